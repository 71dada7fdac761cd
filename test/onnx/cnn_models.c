/*
 * cnn_models.c - convolutional models for test/onnx/runtime.sh, built
 * with the pure-C kernels and model format: nn_train cannot build them
 * until its options take input shapes and layer types.  Prints one line
 * per model, "name<TAB>model bytes in hex"; parameters are seeded and
 * spread away from their initial values (biases non-zero), so that every
 * tensor of the export matters to the scores.
 *
 *   make -C test build/check/cnn_models && test/build/check/cnn_models
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_layer.h"
#include "dense_layer.h"
#include "pool_layer.h"
#include "formats/model.h"

#define MAX_INPUTS 256

static char *classes3[] = {"a", "b", "c"};
static char *classes2[] = {"no", "yes"};

typedef struct Spec
{
	const char *name;
	NNShape		in;
	NNTask		task;
	NNLoss		loss;
	bool		standardized;
	void		(*layers) (NNNet *net);
} Spec;

/* [1, 8, 8] -> conv 4 3x3 "same" relu -> max 2x2 -> avg 3x3 stride 1 pad 1 -> dense 8 -> softmax 3 */
static void
layers_softmax(NNNet *net)
{
	NNConv2dSettings c = {4, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_RELU, 0, 0.0f};
	NNPoolSettings max = {{2, 2, 2, 2, 0, 0, 0, 0}};
	NNPoolSettings avg = {{3, 3, 1, 1, 1, 1, 1, 1}};

	net->n_layers = 5;
	nn_conv2d_set(net, 0, &c);
	nn_pool_set(net, 1, NN_LAYER_MAX_POOL2D, &max);
	nn_pool_set(net, 2, NN_LAYER_AVG_POOL2D, &avg);
	nn_dense_set(net, 3, 8, NN_ACT_RELU, false, 0.0f);
	nn_dense_set(net, 4, 3, NN_ACT_SOFTMAX, false, 0.0f);
}

/* [2, 6, 5] -> conv 3 3x2 stride 1x2 pads [1, 0, 1, 1] tanh -> max 3x3 stride 2 pad 1 -> sigmoid */
static void
layers_binary(NNNet *net)
{
	NNConv2dSettings c = {3, {3, 2, 1, 2, 1, 0, 1, 1}, NN_ACT_TANH, 0, 0.0f};
	NNPoolSettings max = {{3, 3, 2, 2, 1, 1, 1, 1}};

	net->n_layers = 3;
	nn_conv2d_set(net, 0, &c);
	nn_pool_set(net, 1, NN_LAYER_MAX_POOL2D, &max);
	nn_dense_set(net, 2, 1, NN_ACT_SIGMOID, false, 0.0f);
}

/* [3, 7, 7] -> conv 2 1x1 stride 2 leaky -> conv 2 2x2 sigmoid -> avg 2x2 pad [0, 0, 1, 1] -> 1 */
static void
layers_regression(NNNet *net)
{
	NNConv2dSettings c1 = {2, {1, 1, 2, 2, 0, 0, 0, 0}, NN_ACT_LEAKY_RELU, 0, 0.0f};
	NNConv2dSettings c2 = {2, {2, 2, 1, 1, 0, 0, 0, 0}, NN_ACT_SIGMOID, 0, 0.0f};
	NNPoolSettings avg = {{2, 2, 2, 2, 0, 0, 1, 1}};

	net->n_layers = 4;
	nn_conv2d_set(net, 0, &c1);
	nn_conv2d_set(net, 1, &c2);
	nn_pool_set(net, 2, NN_LAYER_AVG_POOL2D, &avg);
	nn_dense_set(net, 3, 1, NN_ACT_IDENTITY, false, 0.0f);
}

static const Spec specs[] = {
	{"cnn_softmax", {3, {1, 8, 8}}, NN_TASK_CLASSIFICATION, NN_LOSS_CROSS_ENTROPY, true,
	layers_softmax},
	{"cnn_binary_raw", {3, {2, 6, 5}}, NN_TASK_CLASSIFICATION, NN_LOSS_BINARY_CROSS_ENTROPY,
	false, layers_binary},
	{"cnn_regression", {3, {3, 7, 7}}, NN_TASK_REGRESSION, NN_LOSS_MSE, true,
	layers_regression},
};

/* uniform in [lo, hi) */
static float
Uniform(NNRng *rng, double lo, double hi)
{
	return (float) (lo + (hi - lo) * nn_rng_uniform(rng));
}

static bool
PrintModel(const Spec *s, NNRng *rng)
{
	NNModel		m;
	NNNet	   *net = &m.net;
	float		mean[MAX_INPUTS],
				sd[MAX_INPUTS];
	const char *msg;
	char		err[200];
	uint8_t    *buf;
	size_t		len;

	memset(&m, 0, sizeof(m));
	net->shapes[0] = s->in;
	s->layers(net);
	net->loss.kind = s->loss;
	net->loss.huber_delta = 1.0f;
	net->optimizer = NN_OPT_SGD;
	nn_optimizer_defaults(NN_OPT_SGD, &net->opt);
	net->batch_size = 8;
	net->lr_factor = 1.0f;
	if ((msg = nn_net_layout(net)) != NULL || nn_net_inputs(net) > MAX_INPUTS)
	{
		fprintf(stderr, "%s: layout: %s\n", s->name, msg != NULL ? msg : "too many inputs");
		return false;
	}
	net->params = calloc(net->n_params, sizeof(float));
	net->stats = calloc(net->n_stats + 1, sizeof(float));
	nn_net_init_params(net, NN_INIT_AUTO, rng);
	for (size_t i = 0; i < net->n_params; i++)
		net->params[i] += Uniform(rng, -0.2, 0.2);
	m.task = s->task;
	m.target_name = "";
	m.options_json = "{}";
	m.y_std = 1.0f;
	if (s->task == NN_TASK_CLASSIFICATION)
	{
		m.n_classes = s->loss == NN_LOSS_BINARY_CROSS_ENTROPY ? 2 : 3;
		m.classes = m.n_classes == 2 ? classes2 : classes3;
	}
	if (s->standardized)
	{
		m.standardized = true;
		for (uint32_t i = 0; i < nn_net_inputs(net); i++)
		{
			mean[i] = Uniform(rng, -1.0, 1.0);
			sd[i] = Uniform(rng, 0.5, 2.0);
		}
		m.x_mean = mean;
		m.x_std = sd;
		if (s->task == NN_TASK_REGRESSION)
		{
			m.y_mean = 3.0f;
			m.y_std = 2.5f;
		}
	}
	if (nn_model_check(&m, err, sizeof(err)) != NN_MODEL_OK)
	{
		fprintf(stderr, "%s: %s\n", s->name, err);
		return false;
	}
	len = nn_model_size(&m);
	buf = malloc(len);
	nn_model_write(&m, buf);
	printf("%s\t", s->name);
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
	printf("\n");
	free(buf);
	free(net->params);
	free(net->stats);
	return true;
}

int
main(void)
{
	NNRng		rng;
	bool		ok = true;

	nn_rng_seed(&rng, 15);
	for (size_t i = 0; i < sizeof(specs) / sizeof(specs[0]); i++)
		ok = PrintModel(&specs[i], &rng) && ok;
	return ok ? 0 : 1;
}
