/*
 * test_explain.c - integrated gradients (explain.c): the gradient the
 * kernel integrates against central differences of the score for dense,
 * batch-norm and dropout (inference), conv2d with pooling, depthwise,
 * separable, rnn, lstm and gru (bidirectional too) networks, with and
 * without standardization; completeness at 64 steps for each; zero
 * attributions from the input itself; the nested trapezoid's doubling
 * (the same attributions as the final rule run alone, one pass per new
 * point, stopping at max_steps); chunking; a linear network's attributions
 * exactly slope times distance; regression in target units; a one-sigmoid
 * classifier's two classes; refusals.
 */
#include <float.h>
#include <math.h>

#include "conv2d_layer.h"
#include "depthwise_layer.h"
#include "explain.h"
#include "harness.h"
#include "interrupt.h"
#include "layertest.h"
#include "pool_layer.h"
#include "recurrent_layer.h"
#include "testnet.h"

#define N_CLASSES 3
#define MAX_IN 128

typedef struct Net
{
	const char *what;
	NNNet		net;
	float	   *mean;			/* standardization, or NULL */
	float	   *sd;
	float	   *buf;			/* the explainer's */
	size_t		chunk;
	NNExplainer e;
} Net;

/* ------------------------------------------------------------ networks */

static void
arch_dense(NNNet *net)
{
	net->n_layers = 2;
	net->shapes[0] = nn_shape_vector(6);
	nn_dense_set(net, 0, 8, NN_ACT_TANH, false, 0.0f);
	nn_dense_set(net, 1, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_bn_dropout(NNNet *net)
{
	net->n_layers = 3;
	net->shapes[0] = nn_shape_vector(6);
	nn_dense_set(net, 0, 8, NN_ACT_LEAKY_RELU, true, 0.3f);
	nn_dense_set(net, 1, 5, NN_ACT_SIGMOID, true, 0.2f);
	nn_dense_set(net, 2, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_conv_pool(NNNet *net)
{
	NNConv2dSettings conv = {3, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH, 1, 0.2f};
	NNPoolSettings max = {{2, 2, 2, 2, 0, 0, 0, 0}};
	NNPoolSettings avg = {{2, 2, 1, 1, 0, 0, 1, 1}};

	net->n_layers = 4;
	net->shapes[0] = shape3(2, 6, 6);
	nn_conv2d_set(net, 0, &conv);
	nn_pool_set(net, 1, NN_LAYER_MAX_POOL2D, &max);
	nn_pool_set(net, 2, NN_LAYER_AVG_POOL2D, &avg);
	nn_dense_set(net, 3, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_depthwise(NNNet *net)
{
	NNDepthwiseSettings dw = {0, 2, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH};

	net->n_layers = 3;
	net->shapes[0] = shape3(2, 5, 5);
	nn_depthwise_set(net, 0, NN_LAYER_DEPTHWISE_CONV2D, &dw);
	nn_global_pool_set(net, 1);
	nn_dense_set(net, 2, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_separable(NNNet *net)
{
	NNDepthwiseSettings sep = {3, 1, {3, 2, 2, 1, 1, 0, 1, 1}, NN_ACT_SIGMOID};

	net->n_layers = 2;
	net->shapes[0] = shape3(2, 5, 5);
	nn_depthwise_set(net, 0, NN_LAYER_SEPARABLE_CONV2D, &sep);
	nn_dense_set(net, 1, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_rnn(NNNet *net)
{
	NNRecurrentSettings rnn = {5, 1, 1, 0.0f};

	net->n_layers = 2;
	net->shapes[0] = shape2(4, 3);
	nn_recurrent_set(net, 0, NN_LAYER_RNN, &rnn);
	nn_dense_set(net, 1, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_lstm(NNNet *net)
{
	NNRecurrentSettings lstm = {5, 0, 1, 0.2f};

	net->n_layers = 2;
	net->shapes[0] = shape2(4, 3);
	nn_recurrent_set(net, 0, NN_LAYER_LSTM, &lstm);
	nn_dense_set(net, 1, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

static void
arch_gru(NNNet *net)
{
	NNRecurrentSettings seq = {4, 1, 0, 0.0f};
	NNRecurrentSettings bi = {3, 0, 1, 0.0f};

	net->n_layers = 3;
	net->shapes[0] = shape2(5, 3);
	nn_recurrent_set(net, 0, NN_LAYER_GRU, &seq);
	nn_recurrent_set(net, 1, NN_LAYER_GRU, &bi);
	nn_dense_set(net, 2, N_CLASSES, NN_ACT_SOFTMAX, false, 0.0f);
}

/* one output: identity (regression) or sigmoid (binary classifier) */
static void
arch_one_output(NNNet *net, uint8_t act)
{
	net->n_layers = 2;
	net->shapes[0] = nn_shape_vector(5);
	nn_dense_set(net, 0, 7, NN_ACT_TANH, true, 0.0f);
	nn_dense_set(net, 1, 1, act, false, 0.0f);
}

static void
arch_regression(NNNet *net)
{
	arch_one_output(net, NN_ACT_IDENTITY);
}

static void
arch_binary(NNNet *net)
{
	arch_one_output(net, NN_ACT_SIGMOID);
}

typedef struct Arch
{
	const char *what;
	void		(*make) (NNNet *net);
	NNLoss		loss;
	bool		standardize;
} Arch;

static const Arch archs[] = {
	{"dense", arch_dense, NN_LOSS_CROSS_ENTROPY, true},
	{"batch norm, dropout", arch_bn_dropout, NN_LOSS_CROSS_ENTROPY, false},
	{"conv2d, max and avg pooling", arch_conv_pool, NN_LOSS_CROSS_ENTROPY, true},
	{"depthwise, global pooling", arch_depthwise, NN_LOSS_CROSS_ENTROPY, false},
	{"separable", arch_separable, NN_LOSS_CROSS_ENTROPY, true},
	{"rnn bidirectional", arch_rnn, NN_LOSS_CROSS_ENTROPY, false},
	{"lstm bidirectional", arch_lstm, NN_LOSS_CROSS_ENTROPY, true},
	{"gru, then gru bidirectional", arch_gru, NN_LOSS_CROSS_ENTROPY, false},
};

#define N_ARCHS (sizeof(archs) / sizeof(archs[0]))

static const Arch regression = {"regression", arch_regression, NN_LOSS_MSE, true};
static const Arch binary = {"binary", arch_binary, NN_LOSS_BINARY_CROSS_ENTROPY, false};

/* random parameters and running statistics (variances positive), bound */
static bool
net_make(Net *n, const Arch *a, size_t chunk, NNRng *rng)
{
	NNNet	   *net = &n->net;
	const char *msg;
	uint32_t	n_in;

	memset(n, 0, sizeof(*n));
	n->what = a->what;
	a->make(net);
	set_training(net, a->loss);
	msg = nn_net_layout(net);
	if (!CHECK_MSG(msg == NULL, "%s: layout rejected: %s", a->what, msg))
		return false;
	n_in = nn_net_inputs(net);
	CHECK(n_in <= MAX_IN);
	random_params_and_stats(net, rng, 0.9);
	if (a->standardize)
	{
		n->mean = xcalloc(n_in, sizeof(float));
		n->sd = xcalloc(n_in, sizeof(float));
		fill_uniform(rng, n->mean, n_in, -2.0, 2.0);
		fill_uniform(rng, n->sd, n_in, 0.5, 2.0);
	}
	n->chunk = chunk;
	n->buf = xcalloc(nn_explain_work_floats(net, chunk), sizeof(float));
	return true;
}

static void
net_bind(Net *n, NNExplainTarget t)
{
	nn_explain_bind(&n->e, &n->net, n->mean, n->sd, t, n->buf, n->chunk);
}

static void
net_free(Net *n)
{
	free(n->net.params);
	free(n->net.stats);
	free(n->mean);
	free(n->sd);
	free(n->buf);
}

/* a raw row: around the means, in units of the sds, when standardized */
static void
make_row(const Net *n, NNRng *rng, float *x)
{
	uint32_t	n_in = nn_net_inputs(&n->net);

	fill_uniform(rng, x, n_in, -1.5, 1.5);
	if (n->sd != NULL)
		for (uint32_t i = 0; i < n_in; i++)
			x[i] = n->mean[i] + n->sd[i] * x[i];
}

/* the score of raw row x through nn_net_forward (no explainer code) */
static double
forward_score(Net *n, const NNExplainTarget *t, const float *x)
{
	uint32_t	n_in = nn_net_inputs(&n->net);
	float		xs[MAX_IN];

	memcpy(xs, x, n_in * sizeof(float));
	if (n->sd != NULL)
		nn_standardize_rows(xs, n->mean, n->sd, 1, n_in);
	return nn_explain_score(t, nn_net_forward(&n->net, &n->e.work, xs, 1));
}

/* ------------------------------------------------------------ gradients */

/*
 * The score's gradient (every class's) at two rows, against central
 * differences of forward_score; raw-unit steps of 1e-3 sd.
 */
static void
check_gradient(Net *n, const NNExplainTarget *t, NNRng *rng)
{
	uint32_t	n_in = nn_net_inputs(&n->net);
	float		x[2 * MAX_IN];
	float		grad[2 * MAX_IN];
	double		an[2 * MAX_IN];
	double		nu[2 * MAX_IN];
	char		what[96];

	net_bind(n, *t);
	make_row(n, rng, x);
	make_row(n, rng, x + n_in);
	if (!CHECK(nn_explain_gradient(&n->e, x, 2, grad) != NULL))
		return;
	for (size_t i = 0; i < 2 * n_in; i++)
	{
		float		keep = x[i];
		float		h = 1e-3f * (n->sd != NULL ? n->sd[i % n_in] : 1.0f);
		float	   *row = x + (i / n_in) * n_in;
		double		up,
					down;

		an[i] = grad[i];
		x[i] = keep + h;
		up = forward_score(n, t, row);
		x[i] = keep - h;
		down = forward_score(n, t, row);
		x[i] = keep;
		nu[i] = (up - down) / ((double) (keep + h) - (double) (keep - h));
	}
	snprintf(what, sizeof(what), "%s output %u x %g: d score/dx", n->what,
			 t->output, t->scale);
	CHECK_GRAD(what, an, nu, 2 * n_in, 1e-3, 1e-2, 1e-3);
}

static void
test_gradient_is_the_scores(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1701);
	for (size_t a = 0; a < N_ARCHS; a++)
	{
		Net			n;

		if (!net_make(&n, &archs[a], 2, &rng))
			continue;
		for (uint32_t c = 0; c < N_CLASSES; c++)
		{
			NNExplainTarget t = nn_explain_class_target(&n.net, c);

			CHECK_EQ_INT(t.output, c);
			check_gradient(&n, &t, &rng);
		}
		net_free(&n);
	}
}

/* ------------------------------------------------------------ completeness */

/*
 * Explain a random row from a baseline (zeros or another row) at the
 * default steps (64, doubling up to 1024); the scores are the network's,
 * completeness holds, and the check is not vacuous (the scores differ).
 * Smooth networks need no doubling; max pooling's kinks may.
 */
static void
check_complete(Net *n, const NNExplainTarget *t, NNRng *rng, bool zero_base)
{
	uint32_t	n_in = nn_net_inputs(&n->net);
	float		x[MAX_IN],
				b[MAX_IN] = {0};
	double		attr[MAX_IN];
	double		total = 0.0;
	NNExplanation res;

	net_bind(n, *t);
	make_row(n, rng, x);
	if (!zero_base)
		make_row(n, rng, b);
	if (!CHECK(nn_explain_run(&n->e, x, b, 64, 1024, attr, &res) == NN_EXPLAIN_OK))
		return;
	CHECK_MSG(res.steps == 64 || strstr(n->what, "max") != NULL, "%s: %u steps",
			  n->what, res.steps);
	CHECK_CLOSE(res.score, forward_score(n, t, x), 1e-6, 1e-5);
	CHECK_CLOSE(res.baseline_score, forward_score(n, t, b), 1e-6, 1e-5);
	for (uint32_t i = 0; i < n_in; i++)
		total += attr[i];
	CHECK_CLOSE(res.completeness_error, fabs(total - (res.score - res.baseline_score)),
				1e-12, 1e-9);
	CHECK_MSG(fabs(res.score - res.baseline_score) > 1e-3, "%s: scores %g and %g",
			  n->what, res.score, res.baseline_score);
	CHECK_MSG(res.completeness_error <= 0.01 * fabs(res.score - res.baseline_score) + 1e-6,
			  "%s output %u: completeness error %g, s - b %g", n->what, t->output,
			  res.completeness_error, res.score - res.baseline_score);
}

static void
test_completeness(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1702);
	for (size_t a = 0; a < N_ARCHS; a++)
	{
		Net			n;

		if (!net_make(&n, &archs[a], 16, &rng))
			continue;
		for (uint32_t c = 0; c < N_CLASSES; c++)
		{
			NNExplainTarget t = nn_explain_class_target(&n.net, c);

			check_complete(&n, &t, &rng, c == 0);
		}
		net_free(&n);
	}
}

/* the input as its own baseline: every attribution 0, nothing to double */
static void
test_baseline_is_input(void)
{
	NNRng		rng;
	Net			n;
	float		x[MAX_IN];
	double		attr[MAX_IN];
	NNExplanation res;

	nn_rng_seed(&rng, 1703);
	if (!net_make(&n, &archs[0], 8, &rng))
		return;
	net_bind(&n, nn_explain_class_target(&n.net, 1));
	make_row(&n, &rng, x);
	if (CHECK(nn_explain_run(&n.e, x, x, 8, 1024, attr, &res) == NN_EXPLAIN_OK))
	{
		for (uint32_t i = 0; i < nn_net_inputs(&n.net); i++)
			CHECK(attr[i] == 0.0);
		/* the two ends may run in passes of other sizes: float noise */
		CHECK(fabs(res.score - res.baseline_score) <= 1e-6);
		CHECK(res.completeness_error <= 1e-6);
		CHECK_EQ_INT(res.steps, 8);
	}
	net_free(&n);
}

/* ------------------------------------------------------------ doubling */

static int	hook_calls;

static void
count_hook(void)
{
	hook_calls++;
}

/*
 * Sharp tanh units (weights x 4) make 1 step far from complete: the steps
 * double until complete, and every point is computed once (the hook runs
 * once after each chunk of 1 row, besides per_pass times in its pass).  The result equals the final rule's
 * run alone.  With max_steps 4 the doubling stops there, incomplete.
 */
static void
test_doubling(void)
{
	NNRng		rng;
	Net			n;
	uint32_t	n_in;
	float		x[MAX_IN],
				b[MAX_IN] = {0};
	double		attr[MAX_IN],
				direct[MAX_IN];
	NNExplanation res,
				once;
	int			per_pass;

	nn_rng_seed(&rng, 1704);
	if (!net_make(&n, &archs[0], 1, &rng))
		return;
	n_in = nn_net_inputs(&n.net);
	for (size_t i = 0; i < n.net.n_params; i++)
		n.net.params[i] *= 4.0f;
	net_bind(&n, nn_explain_class_target(&n.net, 2));
	make_row(&n, &rng, x);
	nn_interrupt_hook = count_hook;
	hook_calls = 0;
	CHECK(nn_explain_gradient(&n.e, x, 1, n.e.grad) != NULL);
	per_pass = hook_calls;
	hook_calls = 0;
	if (CHECK(nn_explain_run(&n.e, x, b, 1, 1024, attr, &res) == NN_EXPLAIN_OK))
	{
		CHECK_MSG(res.steps >= 8 && res.steps < 1024, "steps %u", res.steps);
		CHECK_EQ_INT(hook_calls, (res.steps + 1) * (per_pass + 1));
		CHECK(res.completeness_error <= 0.01 * fabs(res.score - res.baseline_score) + 1e-6);
		/* the rule of half the steps missed, or it would have stopped there */
		CHECK(nn_explain_run(&n.e, x, b, res.steps / 2, res.steps / 2, direct, &once) == NN_EXPLAIN_OK);
		CHECK(once.completeness_error > 0.01 * fabs(once.score - once.baseline_score) + 1e-6);
		CHECK(nn_explain_run(&n.e, x, b, res.steps, res.steps, direct, &once) == NN_EXPLAIN_OK);
		for (uint32_t i = 0; i < n_in; i++)
			CHECK_CLOSE(attr[i], direct[i], 1e-9, 1e-6);
		CHECK_CLOSE(res.completeness_error, once.completeness_error, 1e-9, 1e-4);
	}
	nn_interrupt_hook = NULL;
	if (CHECK(nn_explain_run(&n.e, x, b, 1, 4, attr, &res) == NN_EXPLAIN_OK))
	{
		CHECK_EQ_INT(res.steps, 4);
		CHECK(res.completeness_error > 0.01 * fabs(res.score - res.baseline_score) + 1e-6);
	}
	/* steps 3, max 20: 3, 6, 12, never 24 */
	if (CHECK(nn_explain_run(&n.e, x, b, 3, 20, attr, &res) == NN_EXPLAIN_OK))
		CHECK_EQ_INT(res.steps, 12);
	net_free(&n);
}

/* chunks of 1, 5 and 300 rows give the same attributions */
static void
test_chunks(void)
{
	static const size_t chunks[] = {1, 5, 300};
	NNRng		rng;
	float		x[MAX_IN],
				b[MAX_IN];
	double		attr[3][MAX_IN];
	uint32_t	n_in = 0;

	for (int k = 0; k < 3; k++)
	{
		Net			n;
		NNExplanation res;

		nn_rng_seed(&rng, 1705);
		if (!net_make(&n, &archs[2], chunks[k], &rng))
			return;
		n_in = nn_net_inputs(&n.net);
		net_bind(&n, nn_explain_class_target(&n.net, 0));
		make_row(&n, &rng, x);
		make_row(&n, &rng, b);
		CHECK(nn_explain_run(&n.e, x, b, 32, 32, attr[k], &res) == NN_EXPLAIN_OK);
		net_free(&n);
	}
	for (int k = 1; k < 3; k++)
		for (uint32_t i = 0; i < n_in; i++)
			CHECK_CLOSE(attr[k][i], attr[0][i], 1e-7, 1e-4);
}

/*
 * A linear network (identity activations, standardized inputs): the score
 * is linear in the raw row, so each attribution is exactly its slope, from
 * central differences of the score, times its distance from the baseline,
 * at any number of steps.
 */
static void
arch_linear(NNNet *net)
{
	net->n_layers = 2;
	net->shapes[0] = nn_shape_vector(5);
	nn_dense_set(net, 0, 4, NN_ACT_IDENTITY, false, 0.0f);
	nn_dense_set(net, 1, 1, NN_ACT_IDENTITY, false, 0.0f);
}

static void
test_linear_exact(void)
{
	static const Arch linear = {"linear", arch_linear, NN_LOSS_MSE, true};
	NNRng		rng;
	Net			n;
	float		x[MAX_IN],
				b[MAX_IN],
				xh[MAX_IN];
	double		attr[MAX_IN];
	NNExplanation res;
	NNExplainTarget t = nn_explain_value_target(1.5, 2.0);

	nn_rng_seed(&rng, 1709);
	if (!net_make(&n, &linear, 4, &rng))
		return;
	net_bind(&n, t);
	make_row(&n, &rng, x);
	make_row(&n, &rng, b);
	CHECK(nn_explain_run(&n.e, x, b, 1, 1, attr, &res) == NN_EXPLAIN_OK);
	CHECK(res.completeness_error <= 1e-5 * fabs(res.score - res.baseline_score) + 1e-6);
	for (uint32_t i = 0; i < 5; i++)
	{
		double		h = 0.5 * n.sd[i];
		double		slope;

		memcpy(xh, x, sizeof(x));
		xh[i] = (float) (x[i] + h);
		slope = forward_score(&n, &t, xh);
		xh[i] = (float) (x[i] - h);
		slope = (slope - forward_score(&n, &t, xh)) / ((double) (float) (x[i] + h) - (float) (x[i] - h));
		CHECK_CLOSE(attr[i], slope * ((double) x[i] - b[i]), 1e-5, 1e-4);
		CHECK(fabs(attr[i]) > 1e-3);
	}
	net_free(&n);
}

/* ------------------------------------------------------------ targets */

/* a regression's score in target units: y_mean + y_std * output */
static void
test_regression_units(void)
{
	NNRng		rng;
	Net			n;
	float		x[MAX_IN],
				b[MAX_IN];
	double		raw[MAX_IN],
				units[MAX_IN];
	NNExplanation r1,
				r2;
	NNExplainTarget t = nn_explain_value_target(3.0, 2.5);

	CHECK_EQ_INT(t.output, 0);
	nn_rng_seed(&rng, 1706);
	if (!net_make(&n, &regression, 8, &rng))
		return;
	check_gradient(&n, &t, &rng);
	make_row(&n, &rng, x);
	make_row(&n, &rng, b);
	net_bind(&n, nn_explain_value_target(0.0, 1.0));
	CHECK(nn_explain_run(&n.e, x, b, 64, 1024, raw, &r1) == NN_EXPLAIN_OK);
	net_bind(&n, t);
	CHECK(nn_explain_run(&n.e, x, b, 64, 1024, units, &r2) == NN_EXPLAIN_OK);
	CHECK_CLOSE(r2.score, 3.0 + 2.5 * r1.score, 1e-6, 1e-6);
	CHECK_CLOSE(r2.baseline_score, 3.0 + 2.5 * r1.baseline_score, 1e-6, 1e-6);
	for (uint32_t i = 0; i < 5; i++)
		CHECK_CLOSE(units[i], 2.5 * raw[i], 1e-7, 1e-5);
	CHECK(r2.completeness_error <= 0.01 * fabs(r2.score - r2.baseline_score) + 1e-6);
	net_free(&n);
}

/* one sigmoid p: class 1's score is p, class 0's 1 - p */
static void
test_binary_classes(void)
{
	NNRng		rng;
	Net			n;
	float		x[MAX_IN],
				b[MAX_IN] = {0};
	double		a0[MAX_IN],
				a1[MAX_IN];
	NNExplanation r0,
				r1;
	NNExplainTarget t0,
				t1;

	nn_rng_seed(&rng, 1707);
	if (!net_make(&n, &binary, 8, &rng))
		return;
	t0 = nn_explain_class_target(&n.net, 0);
	t1 = nn_explain_class_target(&n.net, 1);
	CHECK(t0.output == 0 && t1.output == 0);
	check_gradient(&n, &t0, &rng);
	check_gradient(&n, &t1, &rng);
	make_row(&n, &rng, x);
	net_bind(&n, t0);
	CHECK(nn_explain_run(&n.e, x, b, 64, 64, a0, &r0) == NN_EXPLAIN_OK);
	net_bind(&n, t1);
	CHECK(nn_explain_run(&n.e, x, b, 64, 64, a1, &r1) == NN_EXPLAIN_OK);
	CHECK_CLOSE(r0.score, 1.0 - r1.score, 1e-7, 0);
	CHECK_CLOSE(r0.baseline_score, 1.0 - r1.baseline_score, 1e-7, 0);
	CHECK(r1.score > 0.0 && r1.score < 1.0);
	for (uint32_t i = 0; i < 5; i++)
		CHECK_CLOSE(a0[i], -a1[i], 1e-9, 1e-6);
	CHECK(fabs(r1.score - r1.baseline_score) > 1e-3);
	CHECK(r1.completeness_error <= 0.01 * fabs(r1.score - r1.baseline_score) + 1e-6);
	net_free(&n);
}

/* ------------------------------------------------------------ refusals */

static void
test_refusals(void)
{
	NNRng		rng;
	Net			n;
	float		x[MAX_IN],
				b[MAX_IN] = {0};
	double		attr[MAX_IN];
	NNExplanation res;
	NNExplainTarget bad = {N_CLASSES, 1.0, 0.0};

	nn_rng_seed(&rng, 1708);
	if (!net_make(&n, &archs[0], 4, &rng))
		return;
	make_row(&n, &rng, x);
	net_bind(&n, nn_explain_class_target(&n.net, 0));
	CHECK(nn_explain_run(&n.e, x, b, 0, 8, attr, &res) == NN_EXPLAIN_BAD_CALL);
	CHECK(nn_explain_run(&n.e, x, b, 9, 8, attr, &res) == NN_EXPLAIN_BAD_CALL);
	CHECK(nn_explain_run(&n.e, x, b, 8, NN_EXPLAIN_MAX_STEPS + 1, attr, &res) == NN_EXPLAIN_BAD_CALL);
	CHECK(nn_explain_run(&n.e, x, b, 1, 1, attr, &res) == NN_EXPLAIN_OK);
	CHECK_EQ_INT(res.steps, 1);
	net_bind(&n, bad);
	CHECK(nn_explain_run(&n.e, x, b, 8, 8, attr, &res) == NN_EXPLAIN_BAD_CALL);
	n.chunk = 0;
	net_bind(&n, nn_explain_class_target(&n.net, 0));
	CHECK(nn_explain_run(&n.e, x, b, 8, 8, attr, &res) == NN_EXPLAIN_BAD_CALL);
	n.chunk = 4;
	net_bind(&n, nn_explain_class_target(&n.net, 0));
	n.net.params[0] = NAN;
	CHECK(nn_explain_run(&n.e, x, b, 8, 8, attr, &res) == NN_EXPLAIN_NOT_FINITE);
	net_free(&n);
	/* an output that overflows while its gradient stays finite */
	if (!net_make(&n, &regression, 4, &rng))
		return;
	{
		float	   *w = n.net.params + nn_net_weight_offset(&n.net, 1);
		float	   *bias = n.net.params + nn_net_bias_offset(&n.net, 1);
		NNExplainTarget t = nn_explain_value_target(0.0, 1.0);
		double		out0;

		net_bind(&n, t);
		make_row(&n, &rng, x);
		for (int i = 0; i < 7; i++)
			w[i] = 1e33f;
		*bias = 0.0f;
		out0 = forward_score(&n, &t, x);
		*bias = copysignf(FLT_MAX, (float) out0);
		memcpy(b, x, sizeof(x));
		CHECK(fabs(out0) > 1e32);
		CHECK(nn_explain_run(&n.e, x, b, 8, 8, attr, &res) == NN_EXPLAIN_NOT_FINITE);
	}
	net_free(&n);
}

int
main(void)
{
	RUN_TEST(test_gradient_is_the_scores);
	RUN_TEST(test_completeness);
	RUN_TEST(test_baseline_is_input);
	RUN_TEST(test_doubling);
	RUN_TEST(test_chunks);
	RUN_TEST(test_linear_exact);
	RUN_TEST(test_regression_units);
	RUN_TEST(test_binary_classes);
	RUN_TEST(test_refusals);
	return harness_finish("test_explain");
}
