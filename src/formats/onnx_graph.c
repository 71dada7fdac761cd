/*
 * onnx_graph.c - the nodes and initializers of the ONNX graph, as the
 * export's walk (onnx.c) and each layer kind's export entry (onnx_dense.c)
 * add them: their protobuf messages, and the names of a layer's tensors
 * and stages.
 */
#include <stdio.h>

#include "onnx_graph.h"

static void
EmitAttr(Writer *w, const void *arg)
{
	const Attr *a = arg;

	PutString(w, ATTR_NAME, a->name);
	if (a->type == ATTR_TYPE_FLOAT)
		PutFloatField(w, ATTR_F, a->f);
	else
		PutInt(w, ATTR_I, a->i);
	PutInt(w, ATTR_TYPE, a->type);
}

static void
EmitNode(Writer *w, const void *arg)
{
	const Node *n = arg;

	for (int i = 0; i < n->n_in; i++)
		PutString(w, NODE_INPUT, n->in[i]);
	PutString(w, NODE_OUTPUT, n->out);
	PutString(w, NODE_NAME, n->out);
	PutString(w, NODE_OP_TYPE, n->op);
	for (int i = 0; i < n->n_attr; i++)
		PutMessage(w, NODE_ATTRIBUTE, EmitAttr, &n->attr[i]);
}

static void
EmitTensor(Writer *w, const void *arg)
{
	const Tensor *t = arg;
	size_t		count = 1;

	for (int d = 0; d < t->n_dims; d++)
	{
		PutInt(w, TENSOR_DIMS, (int64_t) t->dims[d]);
		count *= t->dims[d];
	}
	PutInt(w, TENSOR_DATA_TYPE, t->data_type);
	PutString(w, TENSOR_NAME, t->name);
	if (t->data_type == DTYPE_FLOAT)
		PutRawFloats(w, TENSOR_RAW_DATA, t->floats, count);
	else
		PutRawDouble(w, TENSOR_RAW_DATA, t->scalar);
}

/* ------------------------------------------------------------ adding */

void
OnnxAddNode(GraphWalk *g, const Node *n)
{
	if (g->nodes)
		PutMessage(g->w, GRAPH_NODE, EmitNode, n);
}

void
OnnxAddTensor(GraphWalk *g, const Tensor *t)
{
	if (!g->nodes)
		PutMessage(g->w, GRAPH_INITIALIZER, EmitTensor, t);
}

void
OnnxAddFloats(GraphWalk *g, const char *name, const float *v, uint64_t n)
{
	Tensor		t = {name, DTYPE_FLOAT, 1, {n, 0}, v, 0.0};

	OnnxAddTensor(g, &t);
}

void
OnnxAddOp(GraphWalk *g, const char *op, const char *a, const char *b, const char *out)
{
	Node		n = {op, {a, b}, b != NULL ? 2 : 1, out, {{0}}, 0};

	OnnxAddNode(g, &n);
}

void
OnnxLayerName(char *buf, uint32_t layer, const char *what)
{
	snprintf(buf, NAME_LEN, "layer%u.%s", (unsigned) layer, what);
}

void
OnnxStageName(char *buf, uint32_t layer, const char *stage, bool last, const char *final)
{
	if (last && final != NULL)
		snprintf(buf, NAME_LEN, "%s", final);
	else
		OnnxLayerName(buf, layer, stage);
}
