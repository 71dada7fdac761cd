/*
 * onnx_graph.c - the nodes and initializers of the ONNX graph, as the
 * export's walk (onnx.c) and each layer kind's export entry (onnx_dense.c,
 * onnx_conv.c, onnx_recurrent.c) add them: their protobuf messages, the
 * names of a layer's tensors and stages, and the stages several kinds end
 * with (batch normalization, the activation).
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
	else if (a->type == ATTR_TYPE_INT)
		PutInt(w, ATTR_I, a->i);
	else if (a->type == ATTR_TYPE_STRING)
		PutString(w, ATTR_S, a->strings[0]);
	else if (a->type == ATTR_TYPE_STRINGS)
	{
		for (int64_t k = 0; k < a->i; k++)
			PutString(w, ATTR_STRINGS, a->strings[k]);
	}
	else
	{
		/* repeated int64, unpacked as proto2 writes it */
		for (int64_t k = 0; k < a->i; k++)
			PutInt(w, ATTR_INTS, a->ints[k]);
	}
	PutInt(w, ATTR_TYPE, a->type);
}

static void
EmitNode(Writer *w, const void *arg)
{
	const Node *n = arg;

	for (int i = 0; i < n->n_in; i++)
		PutString(w, NODE_INPUT, n->in[i]);
	for (int i = 0; i < n->out_index; i++)
		PutString(w, NODE_OUTPUT, "");
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
	if (t->raw != NULL)
		PutMessage(w, TENSOR_RAW_DATA, t->raw, t->raw_arg);
	else if (t->data_type == DTYPE_FLOAT)
		PutRawFloats(w, TENSOR_RAW_DATA, t->floats, count);
	else if (t->data_type == DTYPE_INT64)
		PutRawInt64s(w, TENSOR_RAW_DATA, t->ints, count);
	else
		PutRawDouble(w, TENSOR_RAW_DATA, t->scalar);
}

/* ------------------------------------------------------------ int8 weights */

typedef struct Int8s
{
	const int8_t *v;			/* NULL: zeros */
	size_t		n;
} Int8s;

static void
EmitInt8s(Writer *w, const void *arg)
{
	const Int8s *a = arg;

	for (size_t i = 0; i < a->n; i++)
		Put(w, a->v != NULL ? &a->v[i] : &(const int8_t) {0}, 1);
}

/*
 * A weight of an int8 model in place of its floats: its values (int8, rows
 * x cols), a scale per row and zero points into DequantizeLinear along
 * axis 0, then, for a weight of another shape than [rows, cols] (a
 * convolution's filters, a recurrent [D, gates x units, inputs]), Reshape
 * to it.  The result is named as the float weight was.
 */
static void
AddQuantized(GraphWalk *g, const Tensor *t, const NNQuantTensor *q)
{
	char		values[NAME_LEN + 8],
				scales[NAME_LEN + 8],
				zeros[NAME_LEN + 8],
				deq[NAME_LEN + 8],
				shape[NAME_LEN + 8];
	bool		reshape = !(t->n_dims == 2 && t->dims[0] == q->rows);
	int64_t		dims[MAX_TENSOR_DIMS];
	Int8s		v = {q->values, q->rows * q->cols},
				z = {NULL, q->rows};
	Tensor		tv = {values, DTYPE_INT8, 2, {q->rows, q->cols}, NULL, 0.0, NULL, EmitInt8s, &v};
	Tensor		tz = {zeros, DTYPE_INT8, 1, {q->rows}, NULL, 0.0, NULL, EmitInt8s, &z};
	Tensor		ts = {shape, DTYPE_INT64, 1, {(uint64_t) t->n_dims}, NULL, 0.0, dims, NULL, NULL};
	Node		dq = {"DequantizeLinear", {values, scales, zeros}, 3, reshape ? deq : t->name,
	{{"axis", ATTR_TYPE_INT, 0.0f, 0, NULL, NULL}}, 1, 0};

	snprintf(values, sizeof(values), "%s_int8", t->name);
	snprintf(scales, sizeof(scales), "%s_scale", t->name);
	snprintf(zeros, sizeof(zeros), "%s_zero", t->name);
	snprintf(deq, sizeof(deq), "%s_rows", t->name);
	snprintf(shape, sizeof(shape), "%s_shape", t->name);
	for (int d = 0; d < t->n_dims; d++)
		dims[d] = (int64_t) t->dims[d];
	if (!g->nodes)
	{
		PutMessage(g->w, GRAPH_INITIALIZER, EmitTensor, &tv);
		OnnxAddFloats(g, scales, q->scales, q->rows);
		PutMessage(g->w, GRAPH_INITIALIZER, EmitTensor, &tz);
		if (reshape)
			PutMessage(g->w, GRAPH_INITIALIZER, EmitTensor, &ts);
		return;
	}
	OnnxAddNode(g, &dq);
	if (reshape)
		OnnxAddOp(g, "Reshape", deq, shape, t->name);
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
	size_t		count = 1;
	NNQuantTensor q;

	for (int d = 0; d < t->n_dims; d++)
		count *= t->dims[d];
	/* an int8 model's weight: dequantized in the graph */
	if (t->data_type == DTYPE_FLOAT && t->floats != NULL &&
		nn_model_quant_tensor(g->m, t->floats, count, &q))
		AddQuantized(g, t, &q);
	else if (!g->nodes)
		PutMessage(g->w, GRAPH_INITIALIZER, EmitTensor, t);
}

void
OnnxAddFloats(GraphWalk *g, const char *name, const float *v, uint64_t n)
{
	Tensor		t = {name, DTYPE_FLOAT, 1, {n}, v, 0.0, NULL, NULL, NULL};

	OnnxAddTensor(g, &t);
}

void
OnnxAddOp(GraphWalk *g, const char *op, const char *a, const char *b, const char *out)
{
	Node		n = {op, {a, b}, b != NULL ? 2 : 1, out, {{0}}, 0, 0};

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

/* ------------------------------------------------------------ shared stages */

void
OnnxAddBatchNorm(GraphWalk *g, uint32_t l, uint32_t n, const float *gamma,
				 const float *beta, char *cur, bool last, const char *final)
{
	const NNNet *net = &g->m->net;
	const float *stats = net->stats + nn_net_stats_offset(net, l);
	char		scale[NAME_LEN],
				bias[NAME_LEN],
				mean[NAME_LEN],
				var[NAME_LEN],
				next[NAME_LEN];
	Node		node = {"BatchNormalization", {cur, scale, bias, mean, var}, 5, next,
	{{"epsilon", ATTR_TYPE_FLOAT, NN_BN_EPSILON, 0, NULL, NULL}}, 1, 0};

	OnnxLayerName(scale, l, "bn_scale");
	OnnxLayerName(bias, l, "bn_bias");
	OnnxLayerName(mean, l, "bn_mean");
	OnnxLayerName(var, l, "bn_variance");
	OnnxStageName(next, l, "batch_norm", last, final);
	OnnxAddFloats(g, scale, gamma, n);
	OnnxAddFloats(g, bias, beta, n);
	OnnxAddFloats(g, mean, stats, n);
	OnnxAddFloats(g, var, stats + n, n);
	OnnxAddNode(g, &node);
	strcpy(cur, next);
}

void
OnnxAddActivation(GraphWalk *g, uint32_t l, int act, char *cur, const char *final)
{
	char		next[NAME_LEN];
	Node		n = {NULL, {cur}, 1, next, {{0}}, 0, 0};

	OnnxStageName(next, l, nn_activation_name((NNActivation) act), true, final);
	switch (act)
	{
		case NN_ACT_SIGMOID:
			n.op = "Sigmoid";
			break;
		case NN_ACT_TANH:
			n.op = "Tanh";
			break;
		case NN_ACT_RELU:
			n.op = "Relu";
			break;
		case NN_ACT_LEAKY_RELU:
			n.op = "LeakyRelu";
			n.attr[n.n_attr++] = (Attr) {"alpha", ATTR_TYPE_FLOAT, NN_LEAKY_SLOPE, 0, NULL,
			NULL};
			break;
		case NN_ACT_SOFTMAX:
			n.op = "Softmax";
			n.attr[n.n_attr++] = (Attr) {"axis", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL};
			break;
		default:
			/* identity: no node (the model reader allows nothing else) */
			return;
	}
	OnnxAddNode(g, &n);
	strcpy(cur, next);
}
