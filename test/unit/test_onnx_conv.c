/*
 * test_onnx_conv.c - the ONNX export of the spatial layer kinds
 * (src/formats/onnx_conv.c), read back with onnx_decode.h: a
 * convolutional model's Reshape, Conv, pooling and Flatten nodes, their
 * windows in ONNX's order, its 4-D and int64 initializers and conv2d batch
 * normalization's tensors; the depthwise and separable kinds' entries,
 * walked on their own.  What the graphs compute is checked in onnxruntime
 * by test/onnx/runtime.sh.
 */
#include "conv2d_layer.h"
#include "depthwise_layer.h"
#include "onnx_decode.h"
#include "pool_layer.h"
#include "testnet.h"

/* ------------------------------------------------------------ a CNN */

/* filters, kh, kw, sh, sw, pad t, l, b, r, act, bn, dropout */
static const NNConv2dSettings cnn_conv = {3, {3, 2, 1, 2, 1, 0, 1, 1}, NN_ACT_RELU, 0, 0.0f};
/* size h, w, stride h, w, pad t, l, b, r */
static const NNPoolSettings cnn_max = {{2, 2, 2, 2, 0, 0, 0, 0}};
static const NNPoolSettings cnn_avg = {{3, 3, 2, 2, 1, 1, 1, 1}};

#define CNN_F 3					/* conv filters */
#define CNN_NW (CNN_F * 2 * 3 * 2)	/* conv weights */

/*
 * Images [2, 5, 4] -> conv2d 3x2, stride 1x2, padding [1, 0, 1, 1], ReLU
 * ([3, 5, 2]) -> max_pool2d 2x2 ([3, 2, 1]) -> avg_pool2d 3x3 stride 2,
 * padding 1 ([3, 1, 1]) -> dense 2, a regressor without standardization.
 * batch_norm: the conv2d layer batch-normalized, its parameters and
 * statistics laid out by hand as conv2d_layer.h documents them (W, b,
 * gamma, beta; running means, then variances), since the layout does not
 * accept it yet.
 */
static void
cnn_make(NNModel *m, bool batch_norm)
{
	NNNet	   *net = &m->net;
	NNRng		rng;
	const char *msg;
	char		err[200];

	memset(m, 0, sizeof(*m));
	net->n_layers = 4;
	net->shapes[0] = (NNShape) {3, {2, 5, 4}};
	nn_conv2d_set(net, 0, &cnn_conv);
	nn_pool_set(net, 1, NN_LAYER_MAX_POOL2D, &cnn_max);
	nn_pool_set(net, 2, NN_LAYER_AVG_POOL2D, &cnn_avg);
	nn_dense_set(net, 3, 1, NN_ACT_IDENTITY, false, 0.0f);
	set_training(net, NN_LOSS_MSE);
	msg = nn_net_layout(net);
	CHECK_MSG(msg == NULL, "layout: %s", msg);
	net->params = xcalloc(net->n_params + 2 * CNN_F, sizeof(float));
	net->stats = xcalloc(2 * CNN_F, sizeof(float));
	nn_rng_seed(&rng, 11);
	nn_net_init_params(net, NN_INIT_XAVIER, &rng);
	m->task = NN_TASK_REGRESSION;
	m->target_name = "y";
	m->options_json = "{}";
	m->y_std = 1.0f;
	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "model: %s", err);
	if (batch_norm)
	{
		nn_conv2d_mut(net, 0)->batch_norm = 1;
		for (int i = 0; i < 2 * CNN_F; i++)
		{
			net->params[CNN_NW + CNN_F + i] = 0.5f + (float) i;
			net->stats[i] = 2.0f + (float) i;
		}
	}
}

/* the file of cnn_make's model; cnn_free frees both */
static uint8_t *
cnn_export(NNModel *m, bool batch_norm, size_t *len)
{
	cnn_make(m, batch_norm);
	return export(m, len);
}

static void
cnn_free(NNModel *m, uint8_t *buf)
{
	free(buf);
	free(m->net.params);
	free(m->net.stats);
}

static void
test_cnn_operators(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf,
			   *padded;
	char		ops[300];

	buf = cnn_export(&m, false, &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Reshape Conv Relu MaxPool AveragePool Flatten Gemm Cast") == 0,
			  "ops \"%s\"", ops);
	/* the two passes agree for the new nodes and 4-D and int64 tensors too */
	padded = xcalloc(len + 8, 1);
	memset(padded, 0xa5, len + 8);
	nn_onnx_write(&m, "9.9", padded);
	CHECK(memcmp(padded, buf, len) == 0 && padded[len] == 0xa5);
	free(padded);
	cnn_free(&m, buf);

	buf = cnn_export(&m, true, &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Reshape Conv BatchNormalization Relu MaxPool AveragePool "
					 "Flatten Gemm Cast") == 0, "batch norm: ops \"%s\"", ops);
	cnn_free(&m, buf);
}

/* Conv's and the poolings' windows, in ONNX's order: [top, left, bottom, right] */
static void
test_cnn_attributes(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf;
	PbField		node,
				f;
	int64_t		v[8];

	buf = cnn_export(&m, false, &len);
	if (CHECK(graph_member(buf, len, 1, 2, "layer0.conv", &node)))
	{
		CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 3 && v[1] == 2);
		CHECK(node_ints(&node, "strides", v, 8) == 2 && v[0] == 1 && v[1] == 2);
		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] == 1 && v[1] == 0 &&
			  v[2] == 1 && v[3] == 1);
		/* one group: no attribute */
		CHECK(node_ints(&node, "group", v, 8) == -1);
	}
	if (CHECK(graph_member(buf, len, 1, 2, "layer1.max_pool", &node)))
	{
		CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 2 && v[1] == 2);
		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] + v[1] + v[2] + v[3] == 0);
	}
	if (CHECK(graph_member(buf, len, 1, 2, "layer2.avg_pool", &node)))
	{
		PbReader	r = pb_reader(node.data, node.len);
		bool		found = false;

		CHECK(node_ints(&node, "strides", v, 8) == 2 && v[0] == 2 && v[1] == 2);
		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] == 1 && v[3] == 1);
		/* padding is not counted: count_include_pad 0, an INT */
		while (pb_next(&r, &f))
		{
			PbField		name,
						i;

			if (f.num == 5 && pb_find(f.data, f.len, 1, &name) &&
				pb_string_is(&name, "count_include_pad"))
				found = pb_find(f.data, f.len, 3, &i) && i.value == 0 &&
					pb_find(f.data, f.len, 20, &i) && i.value == 2;
		}
		CHECK(found);
	}
	/* the dense layer flattens the [3, 1, 1] images on axis 1 */
	CHECK(graph_member(buf, len, 1, 2, "layer3.flatten", &node) &&
		  pb_find(node.data, node.len, 1, &f) && pb_string_is(&f, "layer2.avg_pool"));
	cnn_free(&m, buf);
}

/* the reshape's shape (int64), the conv weights' 4-D dims and bytes, batch norm's */
static void
test_cnn_initializers(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf;
	PbField		tensor,
				f;
	uint64_t	dims[6];

	buf = cnn_export(&m, true, &len);
	CHECK(tensor_dims(buf, len, "image_shape", dims, 6) == 1 && dims[0] == 4);
	if (CHECK(graph_member(buf, len, 5, 8, "image_shape", &tensor)))
	{
		int64_t		shape[4];

		CHECK(pb_find(tensor.data, tensor.len, 2, &f) && f.value == 7);
		if (CHECK(pb_find(tensor.data, tensor.len, 9, &f) && f.len == sizeof(shape)))
		{
			for (int i = 0; i < 4; i++)
			{
				uint64_t	u = 0;

				for (int b = 7; b >= 0; b--)
					u = u << 8 | f.data[8 * i + b];
				shape[i] = (int64_t) u;
			}
			CHECK(shape[0] == -1 && shape[1] == 2 && shape[2] == 5 && shape[3] == 4);
		}
	}
	CHECK(tensor_dims(buf, len, "layer0.weight", dims, 6) == 4 && dims[0] == 3 &&
		  dims[1] == 2 && dims[2] == 3 && dims[3] == 2);
	CHECK(tensor_dims(buf, len, "layer0.bias", dims, 6) == 1 && dims[0] == CNN_F);
	CHECK(tensor_dims(buf, len, "layer3.weight", dims, 6) == 2 && dims[0] == 1 &&
		  dims[1] == 3);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(graph_member(buf, len, 5, 8, "layer0.weight", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) && f.len == CNN_NW * sizeof(float) &&
		  memcmp(f.data, m.net.params, f.len) == 0);
	/* gamma, beta after W and b; running means, then variances */
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_scale", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) && f.len == CNN_F * sizeof(float) &&
		  memcmp(f.data, m.net.params + CNN_NW + CNN_F, f.len) == 0);
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_bias", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) &&
		  memcmp(f.data, m.net.params + CNN_NW + 2 * CNN_F, CNN_F * sizeof(float)) == 0);
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_variance", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) &&
		  memcmp(f.data, m.net.stats + CNN_F, CNN_F * sizeof(float)) == 0);
#endif
	cnn_free(&m, buf);
}

/* ------------------------------------------------------------ depthwise, separable */

static void
test_depthwise_separable(void)
{
	/* filters, multiplier, kh, kw, sh, sw, pad t, l, b, r, act */
	static const NNDepthwiseSettings depthwise = {0, 3, {3, 2, 1, 2, 1, 0, 1, 1}, NN_ACT_RELU};
	static const NNDepthwiseSettings separable = {4, 1, {3, 3, 2, 2, 1, 1, 1, 1}, NN_ACT_IDENTITY};
	/* the kinds are walked on their own (onnx_decode.h, kind_graph) */
	const NNShape dw_in = {3, {2, 5, 4}};
	KindWalk	k;
	size_t		len;
	uint8_t    *buf;
	PbField		node,
				f;
	char		ops[100];
	uint64_t	dims[6];
	int64_t		v[8];

	/* 2 channels x 3: W [6, 1, 3, 2] (36 floats), b [6] */
	buf = kind_graph(&k, NN_LAYER_DEPTHWISE_CONV2D, dw_in, &depthwise, sizeof(depthwise), "images",
					 &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Conv Relu") == 0, "depthwise: ops \"%s\"", ops);
	if (CHECK(graph_member(buf, len, 1, 2, "layer0.depthwise", &node)))
	{
		PbReader	r = pb_reader(node.data, node.len);
		int64_t		group = 0;

		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] == 1 && v[1] == 0 &&
			  v[2] == 1 && v[3] == 1);
		CHECK(node_ints(&node, "strides", v, 8) == 2 && v[0] == 1 && v[1] == 2);
		while (pb_next(&r, &f))
		{
			PbField		name,
						i;

			if (f.num == 5 && pb_find(f.data, f.len, 1, &name) && pb_string_is(&name, "group") &&
				pb_find(f.data, f.len, 3, &i))
				group = (int64_t) i.value;
		}
		CHECK_EQ_INT(group, 2);
	}
	CHECK(tensor_dims(buf, len, "layer0.weight", dims, 6) == 4 && dims[0] == 6 &&
		  dims[1] == 1 && dims[2] == 3 && dims[3] == 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(tensor_floats_at(buf, len, "layer0.weight", k.params, 0, 36));
	CHECK(tensor_floats_at(buf, len, "layer0.bias", k.params, 36, 6));
#endif
	free(buf);

	/* W_depthwise [2, 1, 3, 3] (18), W_pointwise [4, 2, 1, 1] (8), b [4] */
	buf = kind_graph(&k, NN_LAYER_SEPARABLE_CONV2D, dw_in, &separable, sizeof(separable), "images",
					 &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Conv Conv") == 0, "separable: ops \"%s\"", ops);
	/* the depthwise Conv has no bias; the pointwise one feeds on it */
	CHECK(graph_member(buf, len, 1, 2, "layer0.depthwise", &node));
	CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 3 && v[1] == 3);
	{
		PbReader	r = pb_reader(node.data, node.len);
		int			inputs = 0;

		while (pb_next(&r, &f))
			inputs += f.num == 1;
		CHECK_EQ_INT(inputs, 2);
	}
	CHECK(graph_member(buf, len, 1, 2, "layer0.pointwise", &node) &&
		  pb_find(node.data, node.len, 1, &f) && pb_string_is(&f, "layer0.depthwise"));
	CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 1 && v[1] == 1);
	CHECK(tensor_dims(buf, len, "layer0.depthwise_weight", dims, 6) == 4 && dims[0] == 2 &&
		  dims[1] == 1 && dims[2] == 3 && dims[3] == 3);
	CHECK(tensor_dims(buf, len, "layer0.pointwise_weight", dims, 6) == 4 && dims[0] == 4 &&
		  dims[1] == 2 && dims[2] == 1 && dims[3] == 1);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(tensor_floats_at(buf, len, "layer0.depthwise_weight", k.params, 0, 18));
	CHECK(tensor_floats_at(buf, len, "layer0.pointwise_weight", k.params, 18, 8));
	CHECK(tensor_floats_at(buf, len, "layer0.bias", k.params, 26, 4));
#endif
	free(buf);
}

int
main(void)
{
	RUN_TEST(test_cnn_operators);
	RUN_TEST(test_cnn_attributes);
	RUN_TEST(test_cnn_initializers);
	RUN_TEST(test_depthwise_separable);
	return harness_finish("test_onnx_conv");
}
