/*
 * onnx_dense.c - the dense layer kind's entry in the ONNX export
 * (onnx_graph.h): Flatten when its input is an image, Gemm, then
 * BatchNormalization with the running statistics, then the activation's
 * node; dropout is the identity at inference and adds nothing.
 */
#include <stdio.h>

#include "kernels/dense_layer.h"
#include "onnx_graph.h"

/*
 * Dense layer l: Gemm (W is out x in, row-major, so transB), then batch
 * normalization with the running statistics, then the activation; dropout
 * is the identity at inference.  An input of [channels, height, width]
 * rows is flattened first, row-major as nn stores it.  cur names the input
 * and then the output; final, when not NULL, names the layer's output.
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
				flat[NAME_LEN],
				next[NAME_LEN];
	Tensor		tw = {weight, DTYPE_FLOAT, 2, {out, in},
	net->params + nn_net_weight_offset(net, l), 0.0, NULL, NULL, NULL};
	Node		flatten = {"Flatten", {cur}, 1, flat,
	{{"axis", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL}}, 1, 0};
	Node		gemm = {"Gemm", {cur, weight, bias}, 3, next,
	{{"transB", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL}}, 1, 0};

	if (net->shapes[l].rank == 3)
	{
		OnnxLayerName(flat, l, "flatten");
		OnnxAddNode(g, &flatten);
		strcpy(cur, flat);
	}
	OnnxLayerName(weight, l, "weight");
	OnnxLayerName(bias, l, "bias");
	OnnxStageName(next, l, "linear", !bn && !has_act, final);
	OnnxAddTensor(g, &tw);
	OnnxAddFloats(g, bias, net->params + nn_net_bias_offset(net, l), out);
	OnnxAddNode(g, &gemm);
	strcpy(cur, next);
	if (bn)
		OnnxAddBatchNorm(g, l, out, net->params + nn_net_gamma_offset(net, l),
						 net->params + nn_net_beta_offset(net, l), cur, !has_act, final);
	OnnxAddActivation(g, l, s->act, cur, final);
}

const NNOnnxLayer nn_onnx_dense = {
	.walk = WalkDense,
};
