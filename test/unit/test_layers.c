/*
 * test_layers.c - the tables that make a layer kind: the layer table
 * (layer.h), the model format's layer-format table (model_layers.h) and the
 * ONNX export table (onnx_graph.h).  Every registered kind is walked: its
 * entries are complete, its tensors tile its parameters with the weight
 * flags its samples expect, the driver carves exactly the workspace the
 * kind asks for, gradients through the table match finite differences
 * (parameters in training mode, inputs in inference mode), and its format
 * and export entries round-trip a model.
 *
 * A kind added to the table without samples here fails
 * test_tables_complete, so each new kind brings its own configurations.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv2d_layer.h"
#include "depthwise_layer.h"
#include "harness.h"
#include "pool_layer.h"
#include "recurrent_layer.h"
#include "testnet.h"
#include "formats/model_layers.h"
#include "formats/onnx.h"
#include "formats/onnx_graph.h"

#define BATCH 3
#define N_IN 4
#define MAX_IN 64				/* the largest sample input */
#define UNITS 5
#define N_OUT 2

/*
 * One configuration of a kind: make layer l of that kind, a hidden layer,
 * from the kind's settings arg over an input of shape in (rank 0: N_IN
 * values), and say what the table should report for it: its tensor and
 * weight-tensor counts and its training buffers, work_a x batch x units +
 * work_b x units floats for a layer of UNITS outputs, or work_exact.
 */
typedef struct Sample
{
	const char *what;
	void		(*make) (NNNet *net, uint32_t l, const void *arg);
	const void *arg;
	uint32_t	tensors;
	uint32_t	weights;
	size_t		work_a;
	size_t		work_b;
	NNShape		in;
	size_t		work_exact;
} Sample;

static void
dense_make(NNNet *net, uint32_t l, const void *arg)
{
	const NNDenseSettings *s = arg;

	nn_dense_set(net, l, s->units, s->act, s->batch_norm, s->dropout);
}

/*
 * Smooth activations: a finite difference across a kink would not match
 * (test_network.c checks the kinked ones where no kink is near).
 */
static const NNDenseSettings dense_plain = {UNITS, 0.0f, NN_ACT_TANH, 0};
static const NNDenseSettings dense_bn = {UNITS, 0.0f, NN_ACT_SIGMOID, 1};
static const NNDenseSettings dense_dropout = {UNITS, 0.3f, NN_ACT_SIGMOID, 0};
static const NNDenseSettings dense_bn_dropout = {UNITS, 0.25f, NN_ACT_TANH, 1};

/* W is the weight; b, gamma and beta are not (no decay, no penalty) */
static const Sample dense_samples[] = {
	{"dense", dense_make, &dense_plain, 2, 1, 0, 0, {0}, 0},
	{"dense+bn", dense_make, &dense_bn, 4, 1, 1, 2, {0}, 0},
	{"dense+dropout", dense_make, &dense_dropout, 2, 1, 2, 0, {0}, 0},
	{"dense+bn+dropout", dense_make, &dense_bn_dropout, 4, 1, 3, 2, {0}, 0},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

static void
conv2d_make(NNNet *net, uint32_t l, const void *arg)
{
	nn_conv2d_set(net, l, arg);
}

static void
max_pool_make(NNNet *net, uint32_t l, const void *arg)
{
	nn_pool_set(net, l, NN_LAYER_MAX_POOL2D, arg);
}

static void
avg_pool_make(NNNet *net, uint32_t l, const void *arg)
{
	nn_pool_set(net, l, NN_LAYER_AVG_POOL2D, arg);
}

#define SHAPE3(c, h, w) {3, {c, h, w}}

/* filters, kh, kw, sh, sw, pad t, l, b, r, act, bn */
static const NNConv2dSettings conv_padded = {3, {3, 2, 1, 2, 1, 0, 1, 1}, NN_ACT_TANH, 0, 0.0f};
static const NNConv2dSettings conv_1x1 = {2, {1, 1, 2, 2, 0, 0, 0, 0}, NN_ACT_SIGMOID, 0, 0.0f};
static const NNConv2dSettings conv_bn = {3, {3, 2, 1, 2, 1, 0, 1, 1}, NN_ACT_TANH, 1, 0.0f};
static const NNConv2dSettings conv_dropout = {2, {1, 1, 2, 2, 0, 0, 0, 0}, NN_ACT_SIGMOID, 0, 0.3f};
static const NNConv2dSettings conv_bn_dropout = {3, {3, 2, 1, 2, 1, 0, 1, 1}, NN_ACT_TANH, 1, 0.25f};

/*
 * [2, 5, 4] -> [3, 5, 2]: patches of 12, 10 positions an image, one piece
 * an image; a pass runs BATCH groups of one image, each with room for a
 * piece of patches (12 x 10) and in training its sums of dW and db (3 x
 * 12 + 3): 3 x 159 floats; the 1x1 one: [2, 3, 2], 3 x (2 x 6 + 2 x 2 +
 * 2).  Batch norm adds zhat (batch x 30) and the batch mean and 1 / std (3
 * each); dropout the mask and the dropped values (batch x out each).
 */
static const Sample conv2d_samples[] = {
	{"conv2d 3x2 stride 1x2, padding", conv2d_make, &conv_padded, 2, 1, 0, 0, SHAPE3(2, 5, 4), 477},
	{"conv2d 1x1 stride 2", conv2d_make, &conv_1x1, 2, 1, 0, 0, SHAPE3(2, 5, 4), 54},
	{"conv2d+bn", conv2d_make, &conv_bn, 4, 1, 0, 0, SHAPE3(2, 5, 4), 477 + BATCH * 30 + 2 * 3},
	{"conv2d+dropout", conv2d_make, &conv_dropout, 2, 1, 0, 0, SHAPE3(2, 5, 4), 54 + 2 * BATCH * 12},
	{"conv2d+bn+dropout", conv2d_make, &conv_bn_dropout, 4, 1, 0, 0, SHAPE3(2, 5, 4),
	477 + 3 * BATCH * 30 + 2 * 3},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

/* size h, w, stride h, w, pad t, l, b, r */
static const NNPoolSettings pool_2x2 = {{2, 2, 2, 2, 0, 0, 0, 0}};
static const NNPoolSettings pool_3x3_padded = {{3, 3, 2, 2, 1, 1, 1, 1}};

static const Sample max_pool_samples[] = {
	/* max pooling keeps each output's winner: [2, 2, 2] and [2, 2, 3] a row */
	{"max_pool2d 2x2", max_pool_make, &pool_2x2, 0, 0, 0, 0, SHAPE3(2, 4, 5), BATCH * 8},
	{"max_pool2d 3x3 stride 2, padding", max_pool_make, &pool_3x3_padded, 0, 0, 0, 0, SHAPE3(2, 4, 5), BATCH * 12},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

static const Sample avg_pool_samples[] = {
	{"avg_pool2d 2x2", avg_pool_make, &pool_2x2, 0, 0, 0, 0, SHAPE3(2, 4, 5), 0},
	{"avg_pool2d 3x3 stride 2, padding", avg_pool_make, &pool_3x3_padded, 0, 0, 0, 0, SHAPE3(2, 4, 5), 0},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

static void
global_pool_make(NNNet *net, uint32_t l, const void *arg)
{
	(void) arg;
	nn_global_pool_set(net, l);
}

static const Sample global_pool_samples[] = {
	{"global_avg_pool2d", global_pool_make, NULL, 0, 0, 0, 0, SHAPE3(2, 4, 5), 0},
	{"global_avg_pool2d 1x1 planes", global_pool_make, NULL, 0, 0, 0, 0, SHAPE3(3, 1, 1), 0},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

static void
depthwise_make(NNNet *net, uint32_t l, const void *arg)
{
	nn_depthwise_set(net, l, NN_LAYER_DEPTHWISE_CONV2D, arg);
}

static void
separable_make(NNNet *net, uint32_t l, const void *arg)
{
	nn_depthwise_set(net, l, NN_LAYER_SEPARABLE_CONV2D, arg);
}

/* filters, multiplier, kh, kw, sh, sw, pad t, l, b, r, act */
static const NNDepthwiseSettings dw_mult2 = {0, 2, {3, 2, 2, 1, 1, 0, 2, 1}, NN_ACT_TANH};
static const NNDepthwiseSettings dw_1x1 = {0, 1, {1, 1, 2, 2, 0, 0, 0, 0}, NN_ACT_SIGMOID};
static const NNDepthwiseSettings sep_same = {3, 1, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH};
static const NNDepthwiseSettings sep_strided = {2, 1, {2, 3, 2, 2, 0, 1, 1, 1}, NN_ACT_SIGMOID};

/* direct loops: no buffers */
static const Sample depthwise_samples[] = {
	{"depthwise_conv2d 3x2 x2, stride 2x1, padding", depthwise_make, &dw_mult2, 2, 1, 0, 0, SHAPE3(2, 5, 4), 0},
	{"depthwise_conv2d 1x1 stride 2", depthwise_make, &dw_1x1, 2, 1, 0, 0, SHAPE3(3, 4, 5), 0},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

/*
 * One image's depthwise output (channels x positions) and the batch's:
 * [2, 4, 5] -> 2 x 20 x (1 + batch); [3, 5, 4] -> [2, 3, 2]: 3 x 6 x (1 +
 * batch).
 */
static const Sample separable_samples[] = {
	{"separable_conv2d 3x3 same", separable_make, &sep_same, 3, 2, 0, 0, SHAPE3(2, 4, 5), 40 * (1 + BATCH)},
	{"separable_conv2d 2x3 stride 2, padding", separable_make, &sep_strided, 3, 2, 0, 0, SHAPE3(3, 5, 4),
	18 * (1 + BATCH)},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

/* a recurrent sample's kind and settings */
typedef struct RecSample
{
	NNLayerKind kind;
	NNRecurrentSettings s;
} RecSample;

static void
recurrent_make(NNNet *net, uint32_t l, const void *arg)
{
	const RecSample *r = arg;

	nn_recurrent_set(net, l, r->kind, &r->s);
}

#define SHAPE2(steps, features) {2, {steps, features}}

/* units, return_sequences, bidirectional, dropout */
static const RecSample rnn_last = {NN_LAYER_RNN, {UNITS, 0, 0, 0.0f}};
static const RecSample rnn_seq_bi = {NN_LAYER_RNN, {UNITS, 1, 1, 0.0f}};
static const RecSample lstm_seq_dropout = {NN_LAYER_LSTM, {UNITS, 1, 0, 0.2f}};
static const RecSample lstm_last_bi = {NN_LAYER_LSTM, {UNITS, 0, 1, 0.0f}};
static const RecSample gru_last_bi = {NN_LAYER_GRU, {UNITS, 0, 1, 0.0f}};
static const RecSample gru_seq_dropout = {NN_LAYER_GRU, {UNITS, 1, 0, 0.2f}};

/*
 * W, R, b with W and R the weights.  Training buffers (recurrent_layer.c),
 * batch N = 3, T steps, D directions, G gates, H = 5: P (N T D G H), the
 * hidden states without return_sequences (N T D H), lstm cells and their
 * tanh and gru R_h h + b_rh (N T D H each), gru's recurrent product (N 3H),
 * dL/dh (N H), lstm dL/dc (N H), dropout mask and output (2 N x output).
 */
static const Sample rnn_samples[] = {
	/* 60 + 60 + 15 */
	{"rnn 4 steps x 3", recurrent_make, &rnn_last, 3, 2, 0, 0, SHAPE2(4, 3), 135},
	/* 90 + 15 */
	{"rnn bidirectional, sequences", recurrent_make, &rnn_seq_bi, 3, 2, 0, 0, SHAPE2(3, 2), 105},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

static const Sample lstm_samples[] = {
	/* 180 + 45 + 45 + 15 + 15 + 90 */
	{"lstm sequences, dropout", recurrent_make, &lstm_seq_dropout, 3, 2, 0, 0, SHAPE2(3, 2), 390},
	/* 480 + 120 + 120 + 120 + 15 + 15 */
	{"lstm bidirectional", recurrent_make, &lstm_last_bi, 3, 2, 0, 0, SHAPE2(4, 3), 870},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

static const Sample gru_samples[] = {
	/* 360 + 120 + 120 + 45 + 15 */
	{"gru bidirectional", recurrent_make, &gru_last_bi, 3, 2, 0, 0, SHAPE2(4, 3), 660},
	/* 45 + 15 + 45 + 15 + 2 x 15 */
	{"gru 1 step, sequences, dropout", recurrent_make, &gru_seq_dropout, 3, 2, 0, 0, SHAPE2(1, 4), 150},
	{NULL, NULL, NULL, 0, 0, 0, 0, {0}, 0}
};

/* the samples of every kind of the layer table, NULL-terminated */
static const Sample *const samples[NN_LAYER_KIND_COUNT] = {
	[NN_LAYER_DENSE] = dense_samples,
	[NN_LAYER_CONV2D] = conv2d_samples,
	[NN_LAYER_MAX_POOL2D] = max_pool_samples,
	[NN_LAYER_AVG_POOL2D] = avg_pool_samples,
	[NN_LAYER_GLOBAL_AVG_POOL2D] = global_pool_samples,
	[NN_LAYER_DEPTHWISE_CONV2D] = depthwise_samples,
	[NN_LAYER_SEPARABLE_CONV2D] = separable_samples,
	[NN_LAYER_RNN] = rnn_samples,
	[NN_LAYER_LSTM] = lstm_samples,
	[NN_LAYER_GRU] = gru_samples,
};

typedef struct Net
{
	NNNet		net;
	NNWork		work;
	float	   *buf;
} Net;

/*
 * The sample's input -> its layer -> a dense identity output of N_OUT,
 * MSE: every kind can feed a dense layer, whatever its output shape.
 */
static bool
net_make(Net *n, const Sample *s, NNRng *rng)
{
	NNNet	   *net = &n->net;
	const char *msg;

	memset(n, 0, sizeof(*n));
	net->n_layers = 2;
	net->shapes[0] = s->in.rank > 0 ? s->in : nn_shape_vector(N_IN);
	s->make(net, 0, s->arg);
	nn_dense_set(net, 1, N_OUT, NN_ACT_IDENTITY, false, 0.0f);
	set_training(net, NN_LOSS_MSE);
	msg = nn_net_layout(net);
	if (!CHECK_MSG(msg == NULL, "%s: layout rejected: %s", s->what, msg))
		return false;
	random_params_and_stats(net, rng, 0.8);
	n->buf = xcalloc(nn_work_floats(net, BATCH, true), sizeof(float));
	nn_work_bind(&n->work, net, n->buf, BATCH, true);
	return true;
}

/* each sample of each kind in a network of its own, with a seeded stream */
static void
for_each_sample(uint64_t seed, void (*fn) (Net *n, const Sample *s, NNRng *rng))
{
	NNRng		rng;

	nn_rng_seed(&rng, seed);
	for (int k = 0; k < NN_LAYER_KIND_COUNT; k++)
		for (const Sample *s = samples[k]; s != NULL && s->make != NULL; s++)
		{
			Net			n;

			if (!net_make(&n, s, &rng))
				continue;
			fn(&n, s, &rng);
			free(n.buf);
			free(n.net.stats);
			free(n.net.params);
		}
}

/* ------------------------------------------------------------ the tables */

static void
test_tables_complete(void)
{
	for (int k = 0; k < NN_LAYER_KIND_COUNT; k++)
	{
		const NNLayerRoutine *r = nn_layer_routine((NNLayerKind) k);
		const NNLayerFormat *f = nn_model_layer_format((NNLayerKind) k);
		const NNOnnxLayer *e = nn_onnx_layer((NNLayerKind) k);

		if (!CHECK_MSG(r != NULL, "kind %d has no layer-table entry", k))
			continue;
		CHECK_MSG(r->name != NULL && r->name[0] != '\0', "kind %d unnamed", k);
		CHECK_MSG(r->check && r->out_shape && r->n_params && r->n_stats &&
				  r->tensors && r->work_floats && r->init && r->forward &&
				  r->forward_row && r->forward_train && r->backward &&
				  r->update_stats && r->stats_valid && r->activation &&
				  r->row_floats && r->row_prepare,
				  "kind %s: an entry of its layer table is missing", r->name);
		for (int j = 0; j < k; j++)
			CHECK_MSG(strcmp(nn_layer_routine((NNLayerKind) j)->name, r->name) != 0,
					  "kinds %d and %d share the name %s", j, k, r->name);
		if (CHECK_MSG(f != NULL, "kind %s has no format entry", r->name))
		{
			CHECK_EQ_INT(f->kind, k);
			CHECK_MSG(f->min_version >= 1 && f->min_version <= NN_FORMAT_VERSION,
					  "kind %s: format version %u", r->name, f->min_version);
			CHECK(f->write_shape && f->read_shape && f->write_record && f->read_record);
		}
		CHECK_MSG(e != NULL && e->walk != NULL, "kind %s has no ONNX export entry", r->name);
		CHECK_MSG(samples[k] != NULL && samples[k][0].make != NULL,
				  "kind %s has no samples in test_layers.c", r->name);
	}
	CHECK(nn_layer_routine(NN_LAYER_KIND_COUNT) == NULL);
	CHECK(nn_model_layer_format(NN_LAYER_KIND_COUNT) == NULL);
	CHECK(nn_onnx_layer(NN_LAYER_KIND_COUNT) == NULL);
	/* dense was first: a zeroed network is a dense network */
	CHECK(nn_layer_routine((NNLayerKind) 0) == &nn_dense_layer);
}

/* ------------------------------------------------------------ layout, workspace */

static void
check_tensors(const Net *n, const Sample *s)
{
	const NNNet *net = &n->net;
	NNTensor	t[NN_LAYER_MAX_TENSORS];
	uint32_t	nt = nn_net_tensors(net, 0, t);
	size_t		end = nn_net_weight_offset(net, 0);
	uint32_t	weights = 0;

	CHECK_MSG(nt == s->tensors, "%s: %u tensors, not %u", s->what, nt, s->tensors);
	for (uint32_t i = 0; i < nt; i++)
	{
		CHECK_MSG(t[i].offset == end && t[i].size > 0, "%s: tensor %s at %zu, not %zu",
				  s->what, t[i].name, t[i].offset, end);
		CHECK_EQ_INT(nn_net_tensor_offset(net, 0, t[i].name), t[i].offset);
		for (uint32_t j = 0; j < i; j++)
			CHECK_MSG(strcmp(t[i].name, t[j].name) != 0, "%s: two tensors %s",
					  s->what, t[i].name);
		end += t[i].size;
		weights += t[i].weight;
	}
	CHECK_MSG(weights == s->weights, "%s: %u weight tensors, not %u",
			  s->what, weights, s->weights);
	CHECK_MSG(end == nn_net_weight_offset(net, 1), "%s: tensors end at %zu, not %zu",
			  s->what, end, nn_net_weight_offset(net, 1));
}

/*
 * The driver carves what the table asks and no more: the activations,
 * each layer's block, two delta buffers and the gradient.
 */
static void
check_work(const Net *n, const Sample *s)
{
	const NNNet *net = &n->net;
	size_t		acts = 0;
	size_t		blocks = 0;
	size_t		widest = 0;
	const float *next;

	for (uint32_t l = 1; l <= net->n_layers; l++)
	{
		acts += BATCH * nn_shape_size(net->shapes[l]);
		if (nn_shape_size(net->shapes[l]) > widest)
			widest = nn_shape_size(net->shapes[l]);
	}
	next = n->buf + acts;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		const NNLayerRoutine *r = nn_layer_routine(net->layers[l].kind);
		size_t		w = r->work_floats(net, l, net->shapes[l + 1], BATCH, true);
		size_t		wi = r->work_floats(net, l, net->shapes[l + 1], BATCH, false);

		if (l == 0)
			CHECK_MSG(w == (s->work_exact > 0 ? s->work_exact :
							(s->work_a * BATCH + s->work_b) * UNITS),
					  "%s: %zu floats of training buffers", s->what, w);
		/* a training block serves inference passes too */
		CHECK_MSG(wi <= w, "%s: inference block larger than training's", s->what);
		/* blocks follow the activations in layer order, NULL when empty */
		CHECK_MSG(w == 0 ? n->work.layer[l] == NULL : n->work.layer[l] == next,
				  "%s: block of layer %u misplaced", s->what, l);
		next += w;
		blocks += w;
	}
	CHECK_EQ_INT(nn_work_floats(net, BATCH, true),
				 acts + blocks + BATCH * nn_net_inputs(net) + 2 * BATCH * widest +
				 net->n_params);
	CHECK(n->work.x_std == next);
	next += BATCH * nn_net_inputs(net);
	CHECK(n->work.delta_a == next && n->work.grads == next + 2 * BATCH * widest);
	CHECK(nn_work_floats(net, 2 * BATCH, true) > nn_work_floats(net, BATCH, true));
}

static void
layout_and_work(Net *n, const Sample *s, NNRng *rng)
{
	(void) rng;
	check_tensors(n, s);
	check_work(n, s);
}

static void
test_tensors_and_work(void)
{
	for_each_sample(1401, layout_and_work);
}

/* ------------------------------------------------------------ gradients */

/* the batch's mean loss in training mode, without dropout masks */
static double
mean_loss(Net *n, const float *x, const float *y)
{
	return nn_net_gradient(&n->net, &n->work, x, y, NULL, BATCH, NULL) / BATCH;
}

static void
check_param_gradient(Net *n, const Sample *s, const float *x, const float *y)
{
	size_t		np = n->net.n_params;
	double	   *an = xcalloc(np, sizeof(double));
	double	   *nu = xcalloc(np, sizeof(double));
	const float h = 1e-2f;
	char		what[64];

	mean_loss(n, x, y);
	for (size_t i = 0; i < np; i++)
		an[i] = n->work.grads[i];
	for (size_t i = 0; i < np; i++)
	{
		float		p = n->net.params[i];
		double		up,
					down;

		n->net.params[i] = p + h;
		up = mean_loss(n, x, y);
		n->net.params[i] = p - h;
		down = mean_loss(n, x, y);
		n->net.params[i] = p;
		nu[i] = (up - down) / (2.0 * h);
	}
	snprintf(what, sizeof(what), "%s: dL/dparams", s->what);
	CHECK_GRAD(what, an, nu, np, 2e-3, 2e-2, 1e-3);
	free(an);
	free(nu);
}

/* sum over rows and outputs of v * output, in inference mode */
static double
weighted_outputs(Net *n, const float *x, const float *v)
{
	const float *out = nn_net_forward(&n->net, &n->work, x, BATCH);
	double		sum = 0.0;

	for (size_t r = 0; r < BATCH; r++)
		for (size_t o = 0; o < N_OUT; o++)
			sum += (double) v[o] * out[r * N_OUT + o];
	return sum;
}

static void
check_input_gradient(Net *n, const Sample *s, float *x, const float *v)
{
	NNGradSeed	seed = {NN_SEED_VECTOR, 0, v, NULL};
	size_t		nx = BATCH * nn_net_inputs(&n->net);
	float		grad[BATCH * MAX_IN];
	double		an[BATCH * MAX_IN];
	double		nu[BATCH * MAX_IN];
	const float h = 1e-2f;
	char		what[64];

	if (!CHECK(nn_net_input_gradient(&n->net, &n->work, x, BATCH, &seed, NULL,
									 NULL, grad) != NULL))
		return;
	for (size_t i = 0; i < nx; i++)
	{
		float		xi = x[i];
		double		up,
					down;

		an[i] = grad[i];
		x[i] = xi + h;
		up = weighted_outputs(n, x, v);
		x[i] = xi - h;
		down = weighted_outputs(n, x, v);
		x[i] = xi;
		nu[i] = (up - down) / (2.0 * h);
	}
	snprintf(what, sizeof(what), "%s: d(v.out)/dx", s->what);
	CHECK_GRAD(what, an, nu, nx, 2e-3, 2e-2, 1e-3);
}

static void
gradients(Net *n, const Sample *s, NNRng *rng)
{
	float		x[BATCH * MAX_IN];
	float		y[BATCH * N_OUT];
	float		v[N_OUT];

	size_t		nx = BATCH * nn_net_inputs(&n->net);

	if (!CHECK(nn_net_inputs(&n->net) <= MAX_IN))
		return;
	/*
	 * Inputs in [-1.5, 1.5] at least 3 / nx > h apart (7919 is prime, so
	 * i -> 7919 i mod nx is a permutation): a step of h never changes
	 * which input of a pooling window is the largest.
	 */
	for (size_t i = 0; i < nx; i++)
		x[i] = (float) (-1.5 + 3.0 * ((double) (i * 7919 % nx) + 0.5) / nx);
	fill_uniform(rng, y, BATCH * N_OUT, -1.0, 1.0);
	fill_uniform(rng, v, N_OUT, 0.5, 1.5);
	check_param_gradient(n, s, x, y);
	check_input_gradient(n, s, x, v);
}

static void
test_gradients_through_table(void)
{
	for_each_sample(1402, gradients);
}

/* ------------------------------------------------------------ format, export */

#define MAX_ALLOCS 64
static void *allocs[MAX_ALLOCS];
static int	n_allocs;

static void *
TestAlloc(void *ctx, size_t size)
{
	(void) ctx;
	if (n_allocs >= MAX_ALLOCS)
		abort();
	return allocs[n_allocs++] = xcalloc(size, 1);
}

static void
FreeAll(void)
{
	while (n_allocs > 0)
		free(allocs[--n_allocs]);
}

static void
check_round_trip(Net *n, const Sample *s, NNRng *rng)
{
	NNModel		m;
	NNModel		back;
	NNAllocator a = {TestAlloc, NULL};
	char		err[200];
	size_t		len,
				onnx_len;
	uint8_t    *buf,
			   *onnx;

	(void) rng;
	/* a kind without a format entry is test_tables_complete's failure */
	if (nn_model_layer_format(n->net.layers[0].kind) == NULL)
		return;
	memset(&m, 0, sizeof(m));
	m.net = n->net;
	m.task = NN_TASK_REGRESSION;
	m.target_name = "y";
	m.options_json = "{}";
	m.y_std = 1.0f;
	if (!CHECK_MSG(nn_model_check(&m, err, sizeof(err)) == NN_MODEL_OK, "%s: %s",
				   s->what, err))
		return;
	/* dense models keep the oldest version; other kinds need their own */
	CHECK_EQ_INT(nn_model_format_version(&m),
				 nn_model_layer_format(m.net.layers[0].kind)->min_version);
	len = nn_model_size(&m);
	buf = xcalloc(len, 1);
	nn_model_write(&m, buf);
	if (CHECK_MSG(nn_model_read(buf, len, &back, &a, err, sizeof(err)) == NN_MODEL_OK,
				  "%s: read back: %s", s->what, err))
	{
		for (uint32_t l = 0; l < m.net.n_layers; l++)
			CHECK_MSG(back.net.layers[l].kind == m.net.layers[l].kind &&
					  memcmp(back.net.layers[l].settings.bytes,
							 m.net.layers[l].settings.bytes,
							 NN_LAYER_SETTINGS_BYTES) == 0,
					  "%s: layer %u read back differs", s->what, l);
		CHECK(memcmp(back.net.shapes, m.net.shapes, sizeof(m.net.shapes)) == 0);
		CHECK(memcmp(back.net.params, m.net.params, m.net.n_params * sizeof(float)) == 0);
	}
	FreeAll();
	free(buf);
	/* a kind without an export entry is test_tables_complete's failure */
	for (uint32_t l = 0; l < m.net.n_layers; l++)
		if (nn_onnx_layer(m.net.layers[l].kind) == NULL)
			return;
	/* the export entry writes exactly the bytes the sizing pass counted */
	onnx_len = nn_onnx_size(&m, "test");
	onnx = xcalloc(onnx_len + 1, 1);
	onnx[onnx_len] = 0xA5;
	nn_onnx_write(&m, "test", onnx);
	CHECK_MSG(onnx_len > 0 && onnx[onnx_len] == 0xA5, "%s: ONNX size", s->what);
	free(onnx);
}

static void
test_format_and_export(void)
{
	for_each_sample(1403, check_round_trip);
}

/*
 * The reader checks the settings of each kind through the layout: a model
 * written with a setting out of range is refused, not used.
 */
static void
break_conv_dropout(NNNet *net)
{
	nn_conv2d_mut(net, 0)->dropout = 1.0f;
}

static void
break_conv_dropout_nan(NNNet *net)
{
	nn_conv2d_mut(net, 0)->dropout = NAN;
}

static void
break_conv_bn(NNNet *net)
{
	nn_conv2d_mut(net, 0)->batch_norm = 2;
}

static void
break_dw_multiplier(NNNet *net)
{
	nn_depthwise_mut(net, 0)->multiplier = 0;
}

static void
break_sep_multiplier(NNNet *net)
{
	nn_depthwise_mut(net, 0)->multiplier = 2;
}

static void
break_dw_act(NNNet *net)
{
	nn_depthwise_mut(net, 0)->act = NN_ACT_SOFTMAX;
}

static void
break_dw_padding(NNNet *net)
{
	nn_depthwise_mut(net, 0)->window.pad_left = nn_depthwise(net, 0)->window.kernel_w;
}

static void
test_reader_checks_settings(void)
{
	static const struct
	{
		const Sample *sample;
		void		(*breaks) (NNNet *net);
	}			cases[] = {
		{&conv2d_samples[4], break_conv_dropout},
		{&conv2d_samples[4], break_conv_dropout_nan},
		{&conv2d_samples[4], break_conv_bn},
		{&depthwise_samples[0], break_dw_multiplier},
		{&depthwise_samples[0], break_dw_act},
		{&depthwise_samples[0], break_dw_padding},
		{&separable_samples[0], break_sep_multiplier},
	};
	NNRng		rng;

	nn_rng_seed(&rng, 1404);
	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
	{
		Net			n;
		NNModel		m;
		NNModel		back;
		NNAllocator a = {TestAlloc, NULL};
		char		err[200];
		uint8_t    *buf;
		size_t		len;

		if (!net_make(&n, cases[k].sample, &rng))
			continue;
		memset(&m, 0, sizeof(m));
		m.net = n.net;
		m.task = NN_TASK_REGRESSION;
		m.target_name = "y";
		m.options_json = "{}";
		m.y_std = 1.0f;
		len = nn_model_size(&m);
		buf = xcalloc(len, 1);
		nn_model_write(&m, buf);
		/* the unbroken model reads back */
		CHECK(nn_model_read(buf, len, &back, &a, err, sizeof(err)) == NN_MODEL_OK);
		FreeAll();
		cases[k].breaks(&m.net);
		nn_model_write(&m, buf);
		CHECK_MSG(nn_model_read(buf, len, &back, &a, err, sizeof(err)) != NN_MODEL_OK,
				  "%s, case %zu: a broken setting read back", cases[k].sample->what, k);
		FreeAll();
		free(buf);
		free(n.buf);
		free(n.net.stats);
		free(n.net.params);
	}
}

/*
 * The driver asks each layer about its own statistics, at its own offset:
 * a negative running variance in the second of two batch-normalized
 * layers makes the network invalid, one in neither leaves it valid.
 */
static void
test_stats_valid_walk(void)
{
	NNNet		net;
	float		stats[4 * UNITS];

	memset(&net, 0, sizeof(net));
	net.n_layers = 3;
	net.shapes[0] = nn_shape_vector(N_IN);
	dense_make(&net, 0, &dense_bn);
	dense_make(&net, 1, &dense_bn);
	nn_dense_set(&net, 2, N_OUT, NN_ACT_IDENTITY, false, 0.0f);
	if (!CHECK(nn_net_layout(&net) == NULL && net.n_stats == 4 * UNITS))
		return;
	net.stats = stats;
	for (size_t i = 0; i < 4 * UNITS; i++)
		stats[i] = 0.5f;
	CHECK(nn_net_stats_valid(&net));
	/* layer 1's variances follow its means, after layer 0's statistics */
	stats[nn_net_stats_offset(&net, 1) + UNITS + 2] = -0.5f;
	CHECK(!nn_net_stats_valid(&net));
	stats[nn_net_stats_offset(&net, 1) + UNITS + 2] = 0.5f;
	/* a negative mean is no error */
	stats[nn_net_stats_offset(&net, 1)] = -0.5f;
	CHECK(nn_net_stats_valid(&net));
}

int
main(void)
{
	RUN_TEST(test_tables_complete);
	RUN_TEST(test_tensors_and_work);
	RUN_TEST(test_gradients_through_table);
	RUN_TEST(test_format_and_export);
	RUN_TEST(test_reader_checks_settings);
	RUN_TEST(test_stats_valid_walk);
	return harness_finish("test_layers");
}
