/*
 * onnx_dense.c - the dense layer kind's entry in the ONNX export
 * (onnx_graph.h): Gemm, then BatchNormalization with the running
 * statistics, then the activation's node; dropout is the identity at
 * inference and adds nothing.
 */
#include <stdio.h>

#include "kernels/dense_layer.h"
#include "onnx_graph.h"

static void
WalkBatchNorm(GraphWalk *g, uint32_t l, char *cur, bool last, const char *final)
{
	const NNNet *net = &g->m->net;
	uint32_t	out = nn_dense(net, l)->units;
	const float *stats = net->stats + nn_net_stats_offset(net, l);
	char		scale[NAME_LEN],
				bias[NAME_LEN],
				mean[NAME_LEN],
				var[NAME_LEN],
				next[NAME_LEN];
	Node		n = {"BatchNormalization", {cur, scale, bias, mean, var}, 5, next,
	{{"epsilon", ATTR_TYPE_FLOAT, NN_BN_EPSILON, 0}}, 1};

	OnnxLayerName(scale, l, "bn_scale");
	OnnxLayerName(bias, l, "bn_bias");
	OnnxLayerName(mean, l, "bn_mean");
	OnnxLayerName(var, l, "bn_variance");
	OnnxStageName(next, l, "batch_norm", last, final);
	OnnxAddFloats(g, scale, net->params + nn_net_gamma_offset(net, l), out);
	OnnxAddFloats(g, bias, net->params + nn_net_beta_offset(net, l), out);
	OnnxAddFloats(g, mean, stats, out);
	OnnxAddFloats(g, var, stats + out, out);
	OnnxAddNode(g, &n);
	strcpy(cur, next);
}

static void
WalkActivation(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	NNActivation act = (NNActivation) nn_dense(&g->m->net, l)->act;
	char		next[NAME_LEN];
	Node		n = {NULL, {cur}, 1, next, {{0}}, 0};

	OnnxStageName(next, l, nn_activation_name(act), true, final);
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
			n.attr[n.n_attr++] = (Attr) {"alpha", ATTR_TYPE_FLOAT, NN_LEAKY_SLOPE, 0};
			break;
		case NN_ACT_SOFTMAX:
			n.op = "Softmax";
			n.attr[n.n_attr++] = (Attr) {"axis", ATTR_TYPE_INT, 0.0f, 1};
			break;
		default:
			/* identity: no node (the model reader allows nothing else) */
			return;
	}
	OnnxAddNode(g, &n);
	strcpy(cur, next);
}

/*
 * Dense layer l: Gemm (W is out x in, row-major, so transB), then batch
 * normalization with the running statistics, then the activation; dropout
 * is the identity at inference.  cur names the input and then the output;
 * final, when not NULL, names the layer's output.
 */
static void
WalkDense(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	const NNNet *net = &g->m->net;
	const NNDenseSettings *s = nn_dense(net, l);
	bool		bn = s->batch_norm != 0;
	bool		has_act = s->act != NN_ACT_IDENTITY;
	uint32_t	in = (uint32_t) nn_shape_size(net->shapes[l]);
	uint32_t	out = s->units;
	char		weight[NAME_LEN],
				bias[NAME_LEN],
				next[NAME_LEN];
	Tensor		tw = {weight, DTYPE_FLOAT, 2, {out, in},
	net->params + nn_net_weight_offset(net, l), 0.0};
	Node		gemm = {"Gemm", {cur, weight, bias}, 3, next,
	{{"transB", ATTR_TYPE_INT, 0.0f, 1}}, 1};

	OnnxLayerName(weight, l, "weight");
	OnnxLayerName(bias, l, "bias");
	OnnxStageName(next, l, "linear", !bn && !has_act, final);
	OnnxAddTensor(g, &tw);
	OnnxAddFloats(g, bias, net->params + nn_net_bias_offset(net, l), out);
	OnnxAddNode(g, &gemm);
	strcpy(cur, next);
	if (bn)
		WalkBatchNorm(g, l, cur, !has_act, final);
	WalkActivation(g, l, cur, final);
}

const NNOnnxLayer nn_onnx_dense = {
	.walk = WalkDense,
};
