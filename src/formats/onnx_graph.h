/*
 * onnx_graph.h - the ONNX graph as the export's layer entries see it,
 * private to src/formats/: the nodes and initializers a walk adds, their
 * names, the stages layers share (batch normalization, activations), and
 * the export table, one entry per layer kind (onnx.c holds the table and
 * the graph around the layers; onnx_dense.c the dense entry, onnx_conv.c
 * the convolution and pooling entries, onnx_recurrent.c the recurrent
 * ones).
 */
#ifndef NN_ONNX_GRAPH_H
#define NN_ONNX_GRAPH_H

#include "model.h"
#include "onnx_wire.h"

/* tensor names: "layer63.depthwise_weight" is the longest */
#define NAME_LEN 40
#define MAX_NODE_INPUTS 5
#define MAX_NODE_ATTRS 4
#define MAX_TENSOR_DIMS 4

typedef struct Attr
{
	const char *name;
	int			type;			/* ATTR_TYPE_FLOAT, _INT, _INTS, _STRING or _STRINGS */
	float		f;
	int64_t		i;				/* _INT: the value; _INTS, _STRINGS: their count */
	const int64_t *ints;		/* ATTR_TYPE_INTS: i values */
	const char *const *strings; /* _STRING: strings[0]; _STRINGS: i values */
} Attr;

typedef struct Node
{
	const char *op;
	const char *in[MAX_NODE_INPUTS];
	int			n_in;
	const char *out;			/* also the node's name */
	Attr		attr[MAX_NODE_ATTRS];
	int			n_attr;
	/*
	 * out's position among the node's outputs: those before it are left
	 * out (named ""), as ONNX allows for optional outputs
	 */
	int			out_index;
} Node;

/*
 * An initializer: a float tensor of up to four dimensions, one double, or
 * an int64 vector (a shape)
 */
typedef struct Tensor
{
	const char *name;
	int			data_type;		/* DTYPE_FLOAT, DTYPE_DOUBLE or DTYPE_INT64 */
	int			n_dims;
	uint64_t	dims[MAX_TENSOR_DIMS];
	const float *floats;		/* DTYPE_FLOAT: product of dims values */
	double		scalar;			/* DTYPE_DOUBLE: dims {1} */
	const int64_t *ints;		/* DTYPE_INT64: dims {n} */
	/*
	 * DTYPE_FLOAT with floats NULL: writes the raw data (product of dims
	 * float32 values, PutFloatsLE), for a tensor that is not one slice of
	 * the parameters
	 */
	EmitFn		raw;
	const void *raw_arg;
} Tensor;

/* one walk over the graph writes either its nodes or its initializers */
typedef struct GraphWalk
{
	Writer	   *w;
	bool		nodes;
	const NNModel *m;
} GraphWalk;

/* add a node (a walk over the nodes) or an initializer (over the initializers) */
void		OnnxAddNode(GraphWalk *g, const Node *n);
void		OnnxAddTensor(GraphWalk *g, const Tensor *t);
/* a float vector initializer */
void		OnnxAddFloats(GraphWalk *g, const char *name, const float *v, uint64_t n);
/* a node of one or two inputs (b NULL: one) and no attributes */
void		OnnxAddOp(GraphWalk *g, const char *op, const char *a, const char *b,
					  const char *out);

/* "layerL.what" into buf (NAME_LEN bytes) */
void		OnnxLayerName(char *buf, uint32_t layer, const char *what);

/*
 * The output name of a layer's stage: the last stage of the last layer
 * writes final, the others layerL.STAGE.
 */
void		OnnxStageName(char *buf, uint32_t layer, const char *stage, bool last,
						  const char *final);

/*
 * Batch normalization of layer l's n channels (axis 1) with the running
 * statistics at the layer's stats offset (n means, then n variances) and
 * gamma, beta (n each); last: no activation follows.  cur names the input,
 * then the output.
 */
void		OnnxAddBatchNorm(GraphWalk *g, uint32_t l, uint32_t n, const float *gamma,
							 const float *beta, char *cur, bool last, const char *final);

/* the node of activation act (NNActivation; identity: none), the layer's last stage */
void		OnnxAddActivation(GraphWalk *g, uint32_t l, int act, char *cur,
							  const char *final);

/*
 * A layer kind's export entry: layer l's nodes and initializers, from the
 * value cur names (then renamed to the layer's output); final, when not
 * NULL, names the output of the network's last layer.
 */
typedef struct NNOnnxLayer
{
	void		(*walk) (GraphWalk *g, uint32_t l, char *cur, const char *final);
} NNOnnxLayer;

/* the entry of a kind (onnx.c's table; NULL for an unknown kind) */
const NNOnnxLayer *nn_onnx_layer(NNLayerKind kind);

#endif
