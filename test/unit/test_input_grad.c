/*
 * test_input_grad.c - nn_net_input_gradient, the gradient w.r.t. the
 * inputs in inference mode, against central differences of an independent
 * double-precision reference of the inference forward pass: every hidden
 * activation, batch normalization with running statistics, dropout layers
 * (ignored in inference), softmax and sigmoid outputs, seeds from one
 * output, from a vector over several outputs and from each loss, with and
 * without the standardization of raw features; and its refusals.
 */
#include <float.h>

#include "harness.h"
#include "layer.h"
#include "testnet.h"

typedef struct Case
{
	uint32_t	n_layers;
	uint32_t	widths[5];
	NNActivation hidden;
	NNLoss		loss;
	bool		batch_norm;
	float		dropout;
	bool		standardize;
	uint64_t	seed;
} Case;

typedef struct Net
{
	NNNet		net;
	NNWork		work;
	float	   *buf;
	float	   *mean;			/* standardization, or NULL */
	float	   *sd;
} Net;

#define BATCH 3

static NNActivation
output_act(NNLoss loss)
{
	return loss == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX :
		loss == NN_LOSS_BINARY_CROSS_ENTROPY ? NN_ACT_SIGMOID : NN_ACT_IDENTITY;
}

static float
uniform(NNRng *rng, float lo, float hi)
{
	return lo + (hi - lo) * (float) nn_rng_uniform(rng);
}

/* random parameters (biases, gamma, beta too) and running statistics */
static void
randomize(NNNet *net, NNRng *rng)
{
	nn_net_init_params(net, NN_INIT_XAVIER, rng);
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		out = width(net, l + 1);
		float	   *b = net->params + nn_net_bias_offset(net, l);

		for (size_t i = 0; i < out; i++)
			b[i] = uniform(rng, -0.5f, 0.5f);
		if (!nn_dense(net, l)->batch_norm)
			continue;
		for (size_t i = 0; i < out; i++)
		{
			float	   *st = net->stats + nn_net_stats_offset(net, l);

			net->params[nn_net_gamma_offset(net, l) + i] = uniform(rng, 0.5f, 1.5f);
			net->params[nn_net_beta_offset(net, l) + i] = uniform(rng, -0.5f, 0.5f);
			st[i] = uniform(rng, -0.5f, 0.5f);
			st[out + i] = uniform(rng, 0.3f, 2.0f);
		}
	}
}

static bool
net_make(Net *n, const Case *c, NNRng *rng)
{
	NNNet	   *net = &n->net;
	const char *msg;

	memset(n, 0, sizeof(*n));
	net->n_layers = c->n_layers;
	for (uint32_t l = 0; l <= c->n_layers; l++)
		set_width(net, l, c->widths[l]);
	for (uint32_t l = 0; l < c->n_layers; l++)
	{
		bool		hidden = l + 1 < c->n_layers;

		nn_dense_mut(net, l)->act = (uint8_t) (hidden ? c->hidden : output_act(c->loss));
		nn_dense_mut(net, l)->batch_norm = hidden && c->batch_norm;
		nn_dense_mut(net, l)->dropout = hidden ? c->dropout : 0.0f;
	}
	net->loss.kind = c->loss;
	net->loss.huber_delta = 0.7f;
	net->optimizer = NN_OPT_SGD;
	nn_optimizer_defaults(NN_OPT_SGD, &net->opt);
	msg = nn_net_layout(net);
	if (!CHECK_MSG(msg == NULL, "layout rejected: %s", msg))
		return false;
	net->params = xcalloc(net->n_params, sizeof(float));
	net->stats = net->n_stats > 0 ? xcalloc(net->n_stats, sizeof(float)) : NULL;
	randomize(net, rng);
	n->buf = xcalloc(nn_work_floats(net, BATCH, true), sizeof(float));
	nn_work_bind(&n->work, net, n->buf, BATCH, true);
	if (c->standardize)
	{
		n->mean = xcalloc(c->widths[0], sizeof(float));
		n->sd = xcalloc(c->widths[0], sizeof(float));
		for (uint32_t i = 0; i < c->widths[0]; i++)
		{
			n->mean[i] = uniform(rng, -2.0f, 2.0f);
			n->sd[i] = uniform(rng, 0.4f, 2.5f);
		}
	}
	return true;
}

static void
net_free(Net *n)
{
	free(n->net.params);
	free(n->net.stats);
	free(n->buf);
	free(n->mean);
	free(n->sd);
}

/* ------------------------------------------------------------ reference */

static double
ref_act(NNActivation act, double z)
{
	switch (act)
	{
		case NN_ACT_SIGMOID:
			return 1.0 / (1.0 + exp(-z));
		case NN_ACT_TANH:
			return tanh(z);
		case NN_ACT_RELU:
			return z > 0 ? z : 0.0;
		case NN_ACT_LEAKY_RELU:
			return z > 0 ? z : NN_LEAKY_SLOPE * z;
		default:
			return z;
	}
}

/* inference outputs of one raw row x (standardized here when n->sd) */
static void
ref_forward(const Net *n, const double *x_raw, double *y)
{
	const NNNet *net = &n->net;
	double		a[64],
				z[64];
	uint32_t	in = width(net, 0);

	for (uint32_t i = 0; i < in; i++)
		a[i] = n->sd != NULL ? (x_raw[i] - n->mean[i]) / n->sd[i] : x_raw[i];
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		uint32_t	out = width(net, l + 1);
		const float *w = net->params + nn_net_weight_offset(net, l);
		const float *b = net->params + nn_net_bias_offset(net, l);
		double		sum = 0.0,
					max = -INFINITY;

		for (uint32_t o = 0; o < out; o++)
		{
			z[o] = b[o];
			for (uint32_t i = 0; i < in; i++)
				z[o] += (double) w[o * in + i] * a[i];
			if (nn_dense(net, l)->batch_norm)
			{
				const float *st = net->stats + nn_net_stats_offset(net, l);

				z[o] = (z[o] - st[o]) / sqrt((double) st[out + o] + NN_BN_EPSILON) *
					net->params[nn_net_gamma_offset(net, l) + o] +
					net->params[nn_net_beta_offset(net, l) + o];
			}
			max = fmax(max, z[o]);
		}
		for (uint32_t o = 0; o < out; o++)
		{
			if (nn_dense(net, l)->act == NN_ACT_SOFTMAX)
				sum += (z[o] = exp(z[o] - max));
			else
				z[o] = ref_act((NNActivation) nn_dense(net, l)->act, z[o]);
		}
		for (uint32_t o = 0; o < out; o++)
			a[o] = nn_dense(net, l)->act == NN_ACT_SOFTMAX ? z[o] / sum : z[o];
		in = out;
	}
	memcpy(y, a, in * sizeof(double));
}

/* one row's loss, as losses.h defines it, in double */
static double
ref_loss(const NNNet *net, const double *y, const float *t)
{
	uint32_t	out = nn_net_outputs(net);
	double		s = 0.0;

	if (net->loss.kind == NN_LOSS_CROSS_ENTROPY)
		return -log(y[(int) t[0]]);
	if (net->loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
		return -(t[0] * log(y[0]) + (1.0 - t[0]) * log(1.0 - y[0]));
	for (uint32_t c = 0; c < out; c++)
	{
		double		d = y[c] - t[c];
		double		delta = net->loss.huber_delta;

		if (net->loss.kind == NN_LOSS_MSE)
			s += d * d;
		else if (net->loss.kind == NN_LOSS_MAE)
			s += fabs(d);
		else
			s += fabs(d) <= delta ? d * d / 2 : delta * (fabs(d) - delta / 2);
	}
	return s / out;
}

/* what the seed takes the gradient of, for one row */
static double
ref_objective(const Net *n, const NNGradSeed *seed, const double *x_raw,
			  const float *target)
{
	double		y[64];
	double		f = 0.0;

	ref_forward(n, x_raw, y);
	if (seed->kind == NN_SEED_OUTPUT)
		return y[seed->output];
	if (seed->kind == NN_SEED_LOSS)
		return ref_loss(&n->net, y, target);
	for (uint32_t o = 0; o < nn_net_outputs(&n->net); o++)
		f += seed->vector[o] * y[o];
	return f;
}

/* ------------------------------------------------------------ checks */

/*
 * The kernel's gradient of every row against central differences of the
 * reference (step 1e-5 in double: no float noise, and far too small to
 * cross a rectifier's kink at these random points); the outputs returned
 * against nn_net_forward; no parameter gradient written.  Returns the
 * largest gradient seen, so a case cannot pass on a vanishing one.
 */
static double
check_seed(Net *n, const NNGradSeed *seed, const float *x, const float *target)
{
	const NNNet *net = &n->net;
	uint32_t	n_in = width(net, 0);
	uint32_t	n_out = nn_net_outputs(net);
	size_t		t_stride = nn_loss_is_regression(net->loss.kind) ? n_out : 1;
	float		grad[BATCH * 16];
	double		biggest = 0.0;
	const float *out;

	for (size_t i = 0; i < net->n_params; i++)
		n->work.grads[i] = 12345.0f;
	out = nn_net_input_gradient(net, &n->work, x, BATCH, seed, n->mean, n->sd, grad);
	if (!CHECK(out == n->work.acts[net->n_layers]))
		return 0.0;
	for (size_t i = 0; i < net->n_params; i++)
		if (!CHECK_MSG(n->work.grads[i] == 12345.0f, "grads[%zu] written", i))
			break;
	for (size_t r = 0; r < BATCH; r++)
	{
		double		xr[16],
					y[64];

		for (uint32_t c = 0; c < n_in; c++)
			xr[c] = x[r * n_in + c];
		ref_forward(n, xr, y);
		for (uint32_t o = 0; o < n_out; o++)
			CHECK_CLOSE(out[r * n_out + o], y[o], 1e-5, 1e-4);
		for (uint32_t c = 0; c < n_in; c++)
		{
			const double h = 1e-5;
			double		orig = xr[c],
						fp,
						fm,
						fd;

			xr[c] = orig + h;
			fp = ref_objective(n, seed, xr, target + r * t_stride);
			xr[c] = orig - h;
			fm = ref_objective(n, seed, xr, target + r * t_stride);
			xr[c] = orig;
			fd = (fp - fm) / (2 * h);
			CHECK_MSG(fabs(grad[r * n_in + c] - fd) <= 1e-4 + 2e-3 * fabs(fd),
					  "row %zu input %u: %.7g, differences %.7g", r, c,
					  grad[r * n_in + c], fd);
			biggest = fmax(biggest, fabs(fd));
		}
	}
	return biggest;
}

/* inputs (raw units when standardized) and targets of a case */
static void
make_data(const Net *n, NNRng *rng, float *x, float *t)
{
	const NNNet *net = &n->net;
	uint32_t	n_in = width(net, 0);
	uint32_t	n_out = nn_net_outputs(net);

	for (size_t r = 0; r < BATCH; r++)
	{
		for (uint32_t c = 0; c < n_in; c++)
			x[r * n_in + c] = n->sd != NULL ?
				n->mean[c] + n->sd[c] * uniform(rng, -1.5f, 1.5f) :
				uniform(rng, -1.5f, 1.5f);
		if (net->loss.kind == NN_LOSS_CROSS_ENTROPY)
			t[r] = (float) ((r + 1) % n_out);
		else if (net->loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
			t[r] = (float) (r % 2);
		else
			for (uint32_t o = 0; o < n_out; o++)
				t[r * n_out + o] = uniform(rng, -1.0f, 1.0f);
	}
}

/* every output alone, a vector over all outputs, and the loss */
static void
check_case(const Case *c)
{
	Net			n;
	NNRng		rng;
	float		x[BATCH * 16],
				t[BATCH * 16];
	float		v[16];
	double		big;

	nn_rng_seed(&rng, c->seed);
	if (!net_make(&n, c, &rng))
		return;
	make_data(&n, &rng, x, t);
	for (uint32_t o = 0; o < nn_net_outputs(&n.net); o++)
	{
		NNGradSeed	s = {.kind = NN_SEED_OUTPUT, .output = o};

		big = check_seed(&n, &s, x, t);
		CHECK_MSG(big > 1e-3, "output %u: gradient vanishes (%g)", o, big);
		v[o] = uniform(&rng, -1.0f, 1.0f);
	}
	{
		NNGradSeed	s = {.kind = NN_SEED_VECTOR, .vector = v};
		NNGradSeed	l = {.kind = NN_SEED_LOSS, .target = t};

		CHECK(check_seed(&n, &s, x, t) > 1e-3);
		CHECK(check_seed(&n, &l, x, t) > 1e-3);
	}
	net_free(&n);
}

static const NNActivation hidden_acts[] = {
	NN_ACT_IDENTITY, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU, NN_ACT_LEAKY_RELU
};

/* every hidden activation, regression outputs, plain and standardized */
static void
test_activations(void)
{
	for (size_t a = 0; a < sizeof(hidden_acts) / sizeof(hidden_acts[0]); a++)
		for (int std = 0; std < 2; std++)
		{
			Case		c = {3, {4, 6, 5, 2}, hidden_acts[a], NN_LOSS_MSE,
			false, 0.0f, std, 100 + a * 2 + std};

			check_case(&c);
		}
}

/* batch normalization with its running statistics; dropout ignored */
static void
test_batch_norm(void)
{
	for (size_t a = 0; a < sizeof(hidden_acts) / sizeof(hidden_acts[0]); a++)
		for (int std = 0; std < 2; std++)
		{
			Case		c = {3, {5, 6, 4, 3}, hidden_acts[a], NN_LOSS_HUBER,
			true, std ? 0.3f : 0.0f, std, 200 + a * 2 + std};

			check_case(&c);
		}
}

/* softmax and sigmoid outputs, through their own derivatives */
static void
test_class_outputs(void)
{
	Case		soft = {2, {4, 7, 4}, NN_ACT_TANH, NN_LOSS_CROSS_ENTROPY,
	true, 0.0f, true, 301};
	Case		soft1 = {1, {5, 3}, NN_ACT_IDENTITY, NN_LOSS_CROSS_ENTROPY,
	false, 0.0f, false, 302};
	Case		sig = {3, {4, 6, 5, 1}, NN_ACT_RELU, NN_LOSS_BINARY_CROSS_ENTROPY,
	true, 0.2f, true, 303};

	check_case(&soft);
	check_case(&soft1);
	check_case(&sig);
}

/* each loss seeds the gradient, with and without standardization */
static void
test_losses(void)
{
	for (int k = 0; k < NN_LOSS_COUNT; k++)
		for (int std = 0; std < 2; std++)
		{
			uint32_t	out = k == NN_LOSS_CROSS_ENTROPY ? 3 :
				k == NN_LOSS_BINARY_CROSS_ENTROPY ? 1 : 2;
			Case		c = {3, {4, 5, 6, out}, NN_ACT_LEAKY_RELU, (NNLoss) k,
			k % 2 == 0, 0.0f, std, 400 + k * 2 + std};

			check_case(&c);
		}
}

/*
 * A row's gradient does not depend on the other rows of the batch (running
 * statistics, each loss alone), and a lone row goes through the same code.
 */
static void
test_rows_independent(void)
{
	Case		c = {3, {4, 6, 5, 3}, NN_ACT_TANH, NN_LOSS_MAE, true, 0.0f, true, 501};
	Net			n;
	NNRng		rng;
	float		x[BATCH * 16],
				t[BATCH * 16],
				g[BATCH * 16],
				g1[16];
	NNGradSeed	s = {.kind = NN_SEED_LOSS, .target = t};

	nn_rng_seed(&rng, c.seed);
	if (!net_make(&n, &c, &rng))
		return;
	make_data(&n, &rng, x, t);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, BATCH, &s, n.mean, n.sd, g) != NULL);
	for (size_t r = 0; r < BATCH; r++)
	{
		NNGradSeed	s1 = {.kind = NN_SEED_LOSS, .target = t + r * 3};

		CHECK(nn_net_input_gradient(&n.net, &n.work, x + r * 4, 1, &s1, n.mean,
									n.sd, g1) != NULL);
		for (int i = 0; i < 4; i++)
			CHECK_CLOSE(g1[i], g[r * 4 + i], 1e-6, 1e-5);
	}
	net_free(&n);
}

/* bad calls return NULL and write nothing */
static void
test_refusals(void)
{
	Case		c = {2, {3, 4, 2}, NN_ACT_RELU, NN_LOSS_MSE, false, 0.0f, true, 601};
	Net			n;
	NNRng		rng;
	float		x[BATCH * 3] = {0},
				t[BATCH * 2] = {0},
				g[BATCH * 3];
	NNGradSeed	ok = {.kind = NN_SEED_OUTPUT, .output = 1};
	NNGradSeed	bad_out = {.kind = NN_SEED_OUTPUT, .output = 2};
	NNGradSeed	no_vec = {.kind = NN_SEED_VECTOR};
	NNGradSeed	no_target = {.kind = NN_SEED_LOSS};
	NNGradSeed	with_target = {.kind = NN_SEED_LOSS, .target = t};
	NNWork		infer;
	float	   *ibuf;

	nn_rng_seed(&rng, c.seed);
	if (!net_make(&n, &c, &rng))
		return;
	ibuf = xcalloc(nn_work_floats(&n.net, BATCH, false), sizeof(float));
	nn_work_bind(&infer, &n.net, ibuf, BATCH, false);
	for (size_t i = 0; i < BATCH * 3; i++)
		g[i] = -7.0f;
	CHECK(nn_net_input_gradient(&n.net, &infer, x, 1, &ok, NULL, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 0, &ok, NULL, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, BATCH + 1, &ok, NULL, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 1, &bad_out, NULL, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 1, &no_vec, NULL, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 1, &no_target, NULL, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 1, &ok, n.mean, NULL, g) == NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 1, &ok, NULL, n.sd, g) == NULL);
	for (size_t i = 0; i < BATCH * 3; i++)
		CHECK(g[i] == -7.0f);
	/* the limits themselves are accepted */
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, BATCH, &ok, NULL, NULL, g) != NULL);
	CHECK(nn_net_input_gradient(&n.net, &n.work, x, 1, &with_target, n.mean, n.sd, g) != NULL);
	free(ibuf);
	net_free(&n);
}

/* the table: dense is kind 0, its tensors tile its parameters */
static void
test_layer_table(void)
{
	Case		c = {3, {4, 6, 5, 2}, NN_ACT_RELU, NN_LOSS_MSE, true, 0.0f, false, 701};
	Net			n;
	NNRng		rng;
	size_t		end = 0;

	CHECK(nn_layer_routine(NN_LAYER_DENSE) == &nn_dense_layer);
	CHECK(nn_layer_routine(NN_LAYER_KIND_COUNT) == NULL);
	nn_rng_seed(&rng, c.seed);
	if (!net_make(&n, &c, &rng))
		return;
	for (uint32_t l = 0; l < n.net.n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	nt = nn_net_tensors(&n.net, l, t);

		CHECK_EQ_INT(nt, nn_dense(&n.net, l)->batch_norm ? 4 : 2);
		CHECK(t[0].weight && !t[1].weight);
		for (uint32_t k = 0; k < nt; k++)
		{
			CHECK_MSG(t[k].offset == end, "layer %u tensor %s at %zu, not %zu",
					  l, t[k].name, t[k].offset, end);
			end += t[k].size;
		}
		CHECK_EQ_INT(n.net.shapes[l + 1].rank, 1);
		CHECK_EQ_INT(n.net.shapes[l + 1].dims[0], width(&n.net, l + 1));
	}
	CHECK_EQ_INT(end, n.net.n_params);
	CHECK_EQ_INT(nn_shape_size(n.net.shapes[0]), 4);
	CHECK_EQ_INT(nn_shape_size((NNShape) {3, {2, 3, 4}}), 24);
	CHECK_EQ_INT(nn_shape_size((NNShape) {0, {5}}), 0);
	n.net.layers[1].kind = NN_LAYER_KIND_COUNT;
	CHECK(nn_net_layout(&n.net) != NULL);
	net_free(&n);
}

int
main(void)
{
	RUN_TEST(test_activations);
	RUN_TEST(test_batch_norm);
	RUN_TEST(test_class_outputs);
	RUN_TEST(test_losses);
	RUN_TEST(test_rows_independent);
	RUN_TEST(test_refusals);
	RUN_TEST(test_layer_table);
	return harness_finish("test_input_grad");
}
