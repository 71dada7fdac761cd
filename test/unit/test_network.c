/*
 * test_network.c - the network kernels: layout limits and options,
 * workspace binding, seeded initialization, inference and training
 * forward passes (batch normalization, dropout) against an independent
 * double-precision reference, full-network finite-difference checks of
 * nn_net_gradient, penalties and clipping, the training step (optimizer
 * update per tensor, running statistics) and learning XOR with every
 * optimizer.
 */
#include <float.h>

#include "dense.h"
#include "harness.h"
#include "network.h"
#include "testnet.h"

typedef struct TestNet
{
	NNNet		net;
	NNWork		work;
	float	   *buf;
	size_t		max_batch;
} TestNet;

static NNActivation
output_act_for(NNLoss loss)
{
	return loss == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX :
		loss == NN_LOSS_BINARY_CROSS_ENTROPY ? NN_ACT_SIGMOID : NN_ACT_IDENTITY;
}

/*
 * Fill in a network: widths has n_layers + 1 entries, the hidden
 * activation for all but the last layer, the loss's output activation for
 * the last, the optimizer's defaults (lr > 0 overrides the rate), no
 * batch normalization, dropout or regularization.  The caller may change
 * any of it before tn_alloc.
 */
static void
tn_init(TestNet *tn, uint32_t n_layers, const uint32_t *widths,
		NNActivation hidden, NNLoss loss, NNOptimizer opt, float lr)
{
	memset(tn, 0, sizeof(*tn));
	tn->net.n_layers = n_layers;
	for (uint32_t l = 0; l <= n_layers; l++)
		set_width(&tn->net, l, widths[l]);
	for (uint32_t l = 0; l < n_layers; l++)
		nn_dense_mut(&tn->net, l)->act = (uint8_t) (l + 1 < n_layers ? hidden : output_act_for(loss));
	tn->net.loss.kind = loss;
	tn->net.loss.huber_delta = 1.0f;
	tn->net.optimizer = opt;
	nn_optimizer_defaults(opt, &tn->net.opt);
	if (lr > 0)
		tn->net.opt.learning_rate = lr;
	tn->net.lr_factor = 1.0f;
}

/*
 * Lay out the network and allocate its parameters, statistics, optimizer
 * state and a training workspace.  Returns false (after a failed check)
 * when the layout is rejected.
 */
static bool
tn_alloc(TestNet *tn, size_t max_batch)
{
	const char *msg = nn_net_layout(&tn->net);

	if (!CHECK_MSG(msg == NULL, "layout rejected: %s", msg))
		return false;
	tn->net.batch_size = (uint32_t) max_batch;
	tn->net.params = xcalloc(tn->net.n_params, sizeof(float));
	tn->net.stats = tn->net.n_stats > 0 ?
		xcalloc(tn->net.n_stats, sizeof(float)) : NULL;
	tn->net.opt_state = nn_net_state_floats(&tn->net) > 0 ?
		xcalloc(nn_net_state_floats(&tn->net), sizeof(float)) : NULL;
	tn->max_batch = max_batch;
	tn->buf = xcalloc(nn_work_floats(&tn->net, max_batch, true), sizeof(float));
	nn_work_bind(&tn->work, &tn->net, tn->buf, max_batch, true);
	return true;
}

static bool
tn_create(TestNet *tn, uint32_t n_layers, const uint32_t *widths,
		  NNActivation hidden, NNLoss loss, NNOptimizer opt, float lr,
		  size_t max_batch)
{
	tn_init(tn, n_layers, widths, hidden, loss, opt, lr);
	return tn_alloc(tn, max_batch);
}

static void
tn_free(TestNet *tn)
{
	free(tn->net.params);
	free(tn->net.stats);
	free(tn->net.opt_state);
	free(tn->buf);
}

static uint32_t
max_width(const NNNet *net)
{
	uint32_t	m = 0;

	for (uint32_t l = 0; l <= net->n_layers; l++)
		m = width(net, l) > m ? width(net, l) : m;
	return m;
}

/* ------------------------------------------------ double reference */

static double
ref_act(NNActivation act, double u)
{
	switch (act)
	{
		case NN_ACT_SIGMOID:
			return 1.0 / (1.0 + exp(-u));
		case NN_ACT_TANH:
			return tanh(u);
		case NN_ACT_RELU:
			return u > 0 ? u : 0.0;
		case NN_ACT_LEAKY_RELU:
			return u > 0 ? u : NN_LEAKY_SLOPE * u;
		default:
			return u;
	}
}

/*
 * Where the reference pass is relative to the kinks of the functions it
 * went through: the smallest distance of a rectifier's input or of a
 * regression output from a kink, and a hash of which side of its kink
 * each one is on.  A finite-difference step is only meaningful when the
 * pattern is the same at both ends.
 */
typedef struct RefInfo
{
	double		margin;
	uint64_t	pattern;
} RefInfo;

static void
kink_side(RefInfo *info, double dist, bool above)
{
	info->margin = fmin(info->margin, fabs(dist));
	info->pattern = (info->pattern ^ (uint64_t) above) * UINT64_C(0x100000001B3);
}

/* loss of row r of the outputs y (activated) */
static double
ref_row_loss(const NNLossConfig *lc, const double *y, const float *t,
			 size_t r, size_t out, RefInfo *info)
{
	double		l = 0.0;

	switch (lc->kind)
	{
		case NN_LOSS_CROSS_ENTROPY:
			return -log(y[(size_t) t[r]]);
		case NN_LOSS_BINARY_CROSS_ENTROPY:
			return -(t[r] * log(y[0]) + (1.0 - t[r]) * log(1.0 - y[0]));
		default:
			break;
	}
	for (size_t c = 0; c < out; c++)
	{
		double		d = y[c] - t[r * out + c];
		double		a = fabs(d);
		double		delta = lc->huber_delta;

		if (lc->kind == NN_LOSS_MSE)
			l += d * d;
		else if (lc->kind == NN_LOSS_MAE)
		{
			l += a;
			kink_side(info, d, d > 0);
		}
		else
		{
			l += a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
			kink_side(info, a - delta, a > delta);
		}
	}
	return l / (double) out;
}

/*
 * Independent forward pass and weighted mean loss in double.  training:
 * batch statistics (biased variance) and, when dropout is set, the masks
 * the kernels drew (work->mask); otherwise the running statistics and no
 * dropout.  info (if not NULL) gets where the pass is relative to kinks.
 * outputs (if not NULL) gets the activated outputs.
 */
static double
ref_loss(const NNNet *net, const NNWork *work, bool training, bool dropout,
		 const float *x, const float *t, const float *wt, size_t batch,
		 RefInfo *info, double *outputs)
{
	size_t		mw = max_width(net);
	double	   *a = xcalloc(batch * mw, sizeof(double));
	double	   *z = xcalloc(batch * mw, sizeof(double));
	RefInfo		ri = {INFINITY, 0};
	double		sum = 0.0;
	uint32_t	L = net->n_layers;
	size_t		out = width(net, L);

	for (size_t i = 0; i < batch * width(net, 0); i++)
		a[i] = x[i];
	for (uint32_t l = 0; l < L; l++)
	{
		size_t		in = width(net, l),
					o = width(net, l + 1);
		const float *w = net->params + nn_net_weight_offset(net, l);
		const float *b = net->params + nn_net_bias_offset(net, l);
		NNActivation act = (NNActivation) nn_dense(net, l)->act;

		for (size_t r = 0; r < batch; r++)
			for (size_t c = 0; c < o; c++)
			{
				double		s = b[c];

				for (size_t k = 0; k < in; k++)
					s += a[r * in + k] * (double) w[c * in + k];
				z[r * o + c] = s;
			}
		if (nn_dense(net, l)->batch_norm)
		{
			const float *gamma = net->params + nn_net_gamma_offset(net, l);
			const float *beta = net->params + nn_net_beta_offset(net, l);
			const float *rs = net->stats + nn_net_stats_offset(net, l);

			for (size_t c = 0; c < o; c++)
			{
				double		mean = 0.0,
							var = 0.0;

				if (training)
				{
					for (size_t r = 0; r < batch; r++)
						mean += z[r * o + c];
					mean /= (double) batch;
					for (size_t r = 0; r < batch; r++)
						var += (z[r * o + c] - mean) * (z[r * o + c] - mean);
					var /= (double) batch;
				}
				else
				{
					mean = rs[c];
					var = rs[o + c];
				}
				for (size_t r = 0; r < batch; r++)
					z[r * o + c] = gamma[c] * (z[r * o + c] - mean) /
						sqrt(var + NN_BN_EPSILON) + beta[c];
			}
		}
		for (size_t r = 0; r < batch; r++)
		{
			double	   *zr = z + r * o;

			if (act == NN_ACT_SOFTMAX)
			{
				double		max = zr[0],
							s = 0.0;

				for (size_t c = 1; c < o; c++)
					max = fmax(max, zr[c]);
				for (size_t c = 0; c < o; c++)
					s += exp(zr[c] - max);
				for (size_t c = 0; c < o; c++)
					a[r * o + c] = exp(zr[c] - max) / s;
				continue;
			}
			for (size_t c = 0; c < o; c++)
			{
				if (act == NN_ACT_RELU || act == NN_ACT_LEAKY_RELU)
					kink_side(&ri, zr[c], zr[c] > 0);
				a[r * o + c] = ref_act(act, zr[c]);
				if (training && dropout && nn_dense(net, l)->dropout > 0)
					a[r * o + c] *= nn_dense_work(net, work, l).mask[r * o + c];
			}
		}
	}
	for (size_t r = 0; r < batch; r++)
		sum += (wt != NULL ? wt[r] : 1.0) *
			ref_row_loss(&net->loss, a + r * out, t, r, out, &ri);
	if (outputs != NULL)
		memcpy(outputs, a, batch * out * sizeof(double));
	if (info != NULL)
		*info = ri;
	free(a);
	free(z);
	return sum / (double) batch;
}

/* ------------------------------------------------------------ layout */

static const char *
layout(uint32_t n_layers, const uint32_t *widths, size_t *n_params)
{
	NNNet		net;
	const char *msg;

	memset(&net, 0, sizeof(net));
	net.n_layers = n_layers;
	for (uint32_t l = 0; l <= n_layers && l <= NN_MAX_LAYERS; l++)
		set_width(&net, l, widths[l]);
	net.n_params = 123456789;
	msg = nn_net_layout(&net);
	if (n_params)
		*n_params = net.n_params;
	return msg;
}

static void
test_layout_limits(void)
{
	uint32_t	w[NN_MAX_LAYERS + 2];
	size_t		np;
	const char *msg;

	for (int i = 0; i < NN_MAX_LAYERS + 2; i++)
		w[i] = 1;

	/*
	 * layer count; the reason is checked too, so that a layer count let
	 * through is not hidden by the width check reading past widths[]
	 */
	msg = layout(0, w, NULL);
	CHECK(msg != NULL && strstr(msg, "layer count") != NULL);
	msg = layout(NN_MAX_LAYERS + 1, w, NULL);
	CHECK(msg != NULL && strstr(msg, "layer count") != NULL);
	msg = layout(UINT32_MAX, w, NULL);
	CHECK(msg != NULL && strstr(msg, "layer count") != NULL);
	msg = layout(NN_MAX_LAYERS, w, &np);
	CHECK_MSG(msg == NULL, "64 layers rejected: %s", msg);
	CHECK_EQ_INT(np, 2 * NN_MAX_LAYERS);

	/* zero width anywhere: input, hidden, output */
	for (int pos = 0; pos < 3; pos++)
	{
		uint32_t	z[3] = {4, 5, 2};

		z[pos] = 0;
		msg = layout(2, z, NULL);
		CHECK_MSG(msg != NULL && strstr(msg, "width") != NULL,
				  "zero width at %d: %s", pos, msg ? msg : "accepted");
	}

	/* width limit */
	{
		uint32_t	big[2] = {NN_MAX_WIDTH + 1, 1};
		uint32_t	ok[2] = {NN_MAX_WIDTH, 1};
		uint32_t	bigout[3] = {1, 1, NN_MAX_WIDTH + 1};

		CHECK(layout(1, big, NULL) != NULL);
		CHECK(layout(2, bigout, NULL) != NULL);
		msg = layout(1, ok, &np);
		CHECK_MSG(msg == NULL, "max width rejected: %s", msg);
		CHECK_EQ_INT(np, NN_MAX_WIDTH + 1);
	}

	/* parameter limit, at the boundary: (65536 + 1) * out */
	{
		uint32_t	over[2] = {65536, 1024};	/* 67,109,888 > 2^26 */
		uint32_t	under[2] = {65536, 1023};	/* 67,044,351 */
		/* 39,322,200 + 39,387,136: each layer fits, the sum does not */
		uint32_t	sum[3] = {65536, 600, 65536};

		msg = layout(1, over, NULL);
		CHECK(msg != NULL && strstr(msg, "too many parameters") != NULL);
		msg = layout(1, under, &np);
		CHECK_MSG(msg == NULL, "65536 x 1023 rejected: %s", msg);
		CHECK_EQ_INT(np, (size_t) 65537 * 1023);
		msg = layout(2, sum, NULL);
		CHECK(msg != NULL && strstr(msg, "too many parameters") != NULL);
	}

	/* the limit itself is allowed: 65535 x 1024 has (65535 + 1) x 1024 = 2^26 */
	{
		uint32_t	exact[2] = {65535, 1024};

		msg = layout(1, exact, &np);
		CHECK_MSG(msg == NULL, "exactly NN_MAX_PARAMS rejected: %s", msg);
		CHECK_EQ_INT(np, NN_MAX_PARAMS);
	}

	/*
	 * gamma and beta count against the limit too: 65533 x 1024 x 1 has
	 * 1024 * 65534 + 1025 = 67,107,841 parameters, 1023 below 2^26; batch
	 * normalization adds 2048
	 */
	{
		NNNet		net;

		memset(&net, 0, sizeof(net));
		net.n_layers = 2;
		set_width(&net, 0, 65533);
		set_width(&net, 1, 1024);
		set_width(&net, 2, 1);
		msg = nn_net_layout(&net);
		CHECK_MSG(msg == NULL, "65533 x 1024 x 1 rejected: %s", msg);
		CHECK_EQ_INT(net.n_params, 67107841);
		nn_dense_mut(&net, 0)->batch_norm = 1;
		msg = nn_net_layout(&net);
		CHECK(msg != NULL && strstr(msg, "too many parameters") != NULL);
	}
}

static void
test_layout_valid(void)
{
	NNNet		net;
	uint32_t	w[3] = {2, 3, 1};
	uint32_t	w2[4] = {4, 5, 6, 3};

	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	for (uint32_t l = 0; l <= net.n_layers; l++)
		set_width(&net, l, w[l]);
	net.optimizer = NN_OPT_ADAM;
	CHECK(nn_net_layout(&net) == NULL);
	/* 3 x 2 + 3, then 1 x 3 + 1 */
	CHECK_EQ_INT(net.n_params, 13);
	CHECK_EQ_INT(net.n_stats, 0);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 0), 0);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 0), 6);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 1), 9);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 1), 12);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 2), 13);
	CHECK_EQ_INT(nn_net_outputs(&net), 1);
	CHECK_EQ_INT(nn_net_state_floats(&net), 26);
	net.optimizer = NN_OPT_SGD;
	CHECK_EQ_INT(nn_net_state_floats(&net), 0);
	net.optimizer = NN_OPT_MOMENTUM;
	CHECK_EQ_INT(nn_net_state_floats(&net), 13);
	/*
	 * activations of widths 3 and 1 per row; training adds the input
	 * gradient's copy of x (4 x 2), 2 x 4 x 3 + 13
	 */
	CHECK_EQ_INT(nn_work_floats(&net, 4, false), 16);
	CHECK_EQ_INT(nn_work_floats(&net, 4, true), 16 + 8 + 24 + 13);

	memset(&net, 0, sizeof(net));
	net.n_layers = 3;
	for (uint32_t l = 0; l <= net.n_layers; l++)
		set_width(&net, l, w2[l]);
	CHECK(nn_net_layout(&net) == NULL);
	CHECK_EQ_INT(net.n_params, 25 + 36 + 21);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 2), 25 + 36 + 18);
	CHECK_EQ_INT(nn_net_outputs(&net), 3);

	/*
	 * Batch normalization on layer 1 (6 units) only: its gamma and beta
	 * follow its bias, and the next layer moves up by 12; dropout changes
	 * no parameter.
	 */
	nn_dense_mut(&net, 1)->batch_norm = 1;
	nn_dense_mut(&net, 0)->dropout = 0.5f;
	CHECK(nn_net_layout(&net) == NULL);
	CHECK_EQ_INT(net.n_params, 25 + 48 + 21);
	CHECK_EQ_INT(net.n_stats, 12);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 1), 25 + 30);
	CHECK_EQ_INT(nn_net_gamma_offset(&net, 1), 25 + 36);
	CHECK_EQ_INT(nn_net_beta_offset(&net, 1), 25 + 42);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 2), 25 + 48);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 2), 25 + 48 + 18);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 3), net.n_params);
	CHECK_EQ_INT(nn_net_stats_offset(&net, 1), 0);

	/* both hidden layers normalized: stats of layer 1 follow layer 0's */
	nn_dense_mut(&net, 0)->batch_norm = 1;
	CHECK(nn_net_layout(&net) == NULL);
	CHECK_EQ_INT(net.n_params, 35 + 48 + 21);
	CHECK_EQ_INT(net.n_stats, 10 + 12);
	CHECK_EQ_INT(nn_net_gamma_offset(&net, 0), 25);
	CHECK_EQ_INT(nn_net_beta_offset(&net, 0), 30);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 1), 35);
	CHECK_EQ_INT(nn_net_gamma_offset(&net, 1), 35 + 36);
	CHECK_EQ_INT(nn_net_stats_offset(&net, 0), 0);
	CHECK_EQ_INT(nn_net_stats_offset(&net, 1), 10);
	CHECK_EQ_INT(nn_net_stats_offset(&net, 2), 22);

	/*
	 * Inference needs only the activations: 4 x (5 + 6 + 3).  Training
	 * adds, per row of 4: mask and input after layer 0 (2 x 5), zhat of
	 * both (5 + 6), their means and inverse deviations (2 x 5 + 2 x 6, not
	 * per row), the input gradient's copy of x (4), two deltas of the
	 * widest output (6), and the gradient.
	 */
	CHECK_EQ_INT(nn_work_floats(&net, 4, false), 4 * 14);
	CHECK_EQ_INT(nn_work_floats(&net, 4, true),
				 4 * 14 + 4 * 10 + 4 * 11 + 22 + 4 * 4 + 2 * 4 * 6 + net.n_params);
}

/* what a layout with these options says, NULL when accepted */
static const char *
layout_options(uint32_t n_layers, uint8_t bn, float rate, uint32_t layer)
{
	static NNNet net;

	memset(&net, 0, sizeof(net));
	net.n_layers = n_layers;
	for (uint32_t l = 0; l <= n_layers; l++)
		set_width(&net, l, 3);
	nn_dense_mut(&net, layer)->batch_norm = bn;
	nn_dense_mut(&net, layer)->dropout = rate;
	return nn_net_layout(&net);
}

static void
test_layout_options(void)
{
	const float bad_rates[] = {1.0f, 1.5f, -0.1f, -1e-30f, NAN, INFINITY};
	const char *msg;

	/* hidden layers take both */
	CHECK(layout_options(3, 1, 0.0f, 0) == NULL);
	CHECK(layout_options(3, 1, 0.99f, 1) == NULL);
	CHECK(layout_options(3, 0, 0.5f, 0) == NULL);

	/* the output layer takes neither, alone or as the only layer */
	msg = layout_options(3, 1, 0.0f, 2);
	CHECK_MSG(msg != NULL && strstr(msg, "output") != NULL, "bn on output: %s",
			  msg ? msg : "accepted");
	msg = layout_options(3, 0, 0.5f, 2);
	CHECK_MSG(msg != NULL && strstr(msg, "output") != NULL,
			  "dropout on output: %s", msg ? msg : "accepted");
	CHECK(layout_options(1, 1, 0.0f, 0) != NULL);
	CHECK(layout_options(1, 0, 0.25f, 0) != NULL);

	/* rates outside [0, 1), NaN included, on a hidden layer */
	for (size_t i = 0; i < sizeof(bad_rates) / sizeof(bad_rates[0]); i++)
	{
		msg = layout_options(3, 0, bad_rates[i], 1);
		CHECK_MSG(msg != NULL && strstr(msg, "dropout") != NULL,
				  "dropout %g: %s", bad_rates[i], msg ? msg : "accepted");
	}
	/* a flag that is not 0 or 1 */
	CHECK(layout_options(3, 2, 0.0f, 0) != NULL);
}

/* ------------------------------------------------------------ workspace */

typedef struct Region
{
	const float *p;
	size_t		n;
	const char *what;
	int			layer;
} Region;

/*
 * The training workspace: every buffer is inside the bound memory and
 * none overlaps another; in[] aliases acts[] exactly where there is no
 * dropout; inference bindings have no training buffers.
 */
static void
test_work_bind(void)
{
	TestNet		tn;
	uint32_t	w[5] = {3, 7, 2, 5, 4};
	const size_t B = 5;
	Region		reg[64];
	int			nr = 0;
	float	   *end;

	tn_init(&tn, 4, w, NN_ACT_TANH, NN_LOSS_CROSS_ENTROPY, NN_OPT_ADAM, 0);
	nn_dense_mut(&tn.net, 0)->dropout = 0.5f;
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	nn_dense_mut(&tn.net, 2)->batch_norm = 1;
	nn_dense_mut(&tn.net, 2)->dropout = 0.1f;
	if (!tn_alloc(&tn, B))
		return;
	end = tn.buf + nn_work_floats(&tn.net, B, true);
	CHECK(tn.work.max_batch == B);
	CHECK(tn.work.training);

	for (uint32_t l = 1; l <= 4; l++)
	{
		size_t		n = B * w[l];
		NNDenseWork dw = nn_dense_work(&tn.net, &tn.work, l - 1);

		reg[nr++] = (Region) {tn.work.acts[l], n, "acts", (int) l};
		CHECK_MSG(tn.work.in[l] == tn.work.acts[l], "in[%u] not acts", l);
		if (nn_dense(&tn.net, l - 1)->dropout > 0)
		{
			reg[nr++] = (Region) {dw.dropped, n, "dropped", (int) l};
			reg[nr++] = (Region) {dw.mask, n, "mask", (int) l};
		}
		else
			CHECK_MSG(dw.mask == NULL && dw.dropped == NULL, "mask[%u] bound", l);
		if (nn_dense(&tn.net, l - 1)->batch_norm)
		{
			reg[nr++] = (Region) {dw.zhat, n, "zhat", (int) l};
			reg[nr++] = (Region) {dw.bn_mean, w[l], "bn_mean", (int) l};
			reg[nr++] = (Region) {dw.bn_inv_std, w[l], "bn_inv_std", (int) l};
		}
		else
			CHECK_MSG(dw.zhat == NULL && dw.bn_mean == NULL &&
					  dw.bn_inv_std == NULL, "bn buffers of %u bound", l);
		/* a layer with neither has no block of its own */
		CHECK_MSG((tn.work.layer[l - 1] == NULL) ==
				  (nn_dense(&tn.net, l - 1)->dropout == 0 &&
				   !nn_dense(&tn.net, l - 1)->batch_norm), "layer[%u] block", l - 1);
	}
	reg[nr++] = (Region) {tn.work.delta_a, B * 7, "delta_a", -1};
	reg[nr++] = (Region) {tn.work.delta_b, B * 7, "delta_b", -1};
	reg[nr++] = (Region) {tn.work.grads, tn.net.n_params, "grads", -1};

	for (int i = 0; i < nr; i++)
	{
		CHECK_MSG(reg[i].p != NULL && reg[i].p >= tn.buf && reg[i].p + reg[i].n <= end,
				  "%s[%d] outside the workspace", reg[i].what, reg[i].layer);
		for (int j = 0; j < i; j++)
			CHECK_MSG(reg[i].p + reg[i].n <= reg[j].p || reg[j].p + reg[j].n <= reg[i].p,
					  "%s[%d] overlaps %s[%d]", reg[i].what, reg[i].layer,
					  reg[j].what, reg[j].layer);
	}

	/* inference binding: activations only, in[] = acts[] */
	{
		NNWork		inf;
		size_t		n_inf = nn_work_floats(&tn.net, B, false);

		CHECK_EQ_INT(n_inf, B * (7 + 2 + 5 + 4));
		nn_work_bind(&inf, &tn.net, tn.buf, B, false);
		CHECK(!inf.training);
		CHECK(inf.delta_a == NULL && inf.delta_b == NULL && inf.grads == NULL);
		for (uint32_t l = 1; l <= 4; l++)
			CHECK(inf.in[l] == inf.acts[l] && inf.layer[l - 1] == NULL);
		CHECK(inf.acts[4] + B * 4 == tn.buf + n_inf);
	}
	tn_free(&tn);
}

/* ------------------------------------------------------------ init */

static void
test_init_names(void)
{
	CHECK(strcmp(nn_init_name(NN_INIT_HE), "he") == 0);
	CHECK(strcmp(nn_init_name(NN_INIT_XAVIER), "xavier") == 0);
	CHECK(strcmp(nn_init_name(NN_INIT_UNIFORM), "uniform") == 0);
	CHECK(strcmp(nn_init_name(NN_INIT_COUNT), "unknown") == 0);
	for (int i = NN_INIT_HE; i < NN_INIT_COUNT; i++)
		CHECK_EQ_INT(nn_init_from_name(nn_init_name((NNInit) i)), i);
	/* automatic is the absence of a choice, not a name */
	CHECK_EQ_INT(nn_init_from_name("auto"), -1);
	CHECK_EQ_INT(nn_init_from_name("He"), -1);
	CHECK_EQ_INT(nn_init_from_name(""), -1);
}

static void
test_init_determinism(void)
{
	uint32_t	w[4] = {6, 9, 5, 3};
	TestNet		a,
				b,
				c;
	NNRng		ra,
				rb,
				rc;
	size_t		same = 0;
	bool		biases_zero = true;

	tn_init(&a, 3, w, NN_ACT_RELU, NN_LOSS_CROSS_ENTROPY, NN_OPT_ADAM, 0);
	nn_dense_mut(&a.net, 1)->batch_norm = 1;
	b = a;
	c = a;
	if (!tn_alloc(&a, 1) || !tn_alloc(&b, 1) || !tn_alloc(&c, 1))
		return;
	/* garbage everywhere init must write */
	for (size_t i = 0; i < a.net.n_params; i++)
		a.net.params[i] = b.net.params[i] = c.net.params[i] = 99.0f;
	for (size_t i = 0; i < a.net.n_stats; i++)
		a.net.stats[i] = 99.0f;
	for (size_t i = 0; i < nn_net_state_floats(&a.net); i++)
		a.net.opt_state[i] = 5.0f;
	a.net.opt_step = 17;

	nn_rng_seed(&ra, 42);
	nn_rng_seed(&rb, 42);
	nn_rng_seed(&rc, 43);
	nn_net_init_params(&a.net, NN_INIT_AUTO, &ra);
	nn_net_init_params(&b.net, NN_INIT_AUTO, &rb);
	nn_net_init_params(&c.net, NN_INIT_AUTO, &rc);

	CHECK_MSG(memcmp(a.net.params, b.net.params,
					 a.net.n_params * sizeof(float)) == 0,
			  "same seed, different weights");
	/* the generators advanced identically too */
	CHECK(nn_rng_next(&ra) == nn_rng_next(&rb));
	for (uint32_t l = 0; l < a.net.n_layers; l++)
	{
		size_t		wo = nn_net_weight_offset(&a.net, l);
		size_t		bo = nn_net_bias_offset(&a.net, l);

		for (size_t i = wo; i < bo; i++)
		{
			same += a.net.params[i] == c.net.params[i];
			CHECK_MSG(a.net.params[i] != 99.0f && isfinite(a.net.params[i]),
					  "weight %zu not initialized", i);
		}
		for (size_t i = bo; i < bo + w[l + 1]; i++)
			biases_zero &= a.net.params[i] == 0.0f && c.net.params[i] == 0.0f;
	}
	CHECK_MSG(same == 0, "%zu weights equal across seeds 42 and 43", same);
	CHECK_MSG(biases_zero, "biases not zeroed");
	for (uint32_t i = 0; i < w[2]; i++)
	{
		CHECK(a.net.params[nn_net_gamma_offset(&a.net, 1) + i] == 1.0f);
		CHECK(a.net.params[nn_net_beta_offset(&a.net, 1) + i] == 0.0f);
		CHECK(a.net.stats[i] == 0.0f);
		CHECK(a.net.stats[w[2] + i] == 1.0f);
	}
	for (size_t i = 0; i < nn_net_state_floats(&a.net); i++)
		CHECK_MSG(a.net.opt_state[i] == 0.0f, "opt_state[%zu] = %g", i,
				  a.net.opt_state[i]);
	CHECK_EQ_INT(a.net.opt_step, 0);

	/* SGD has no optimizer state: init must cope with opt_state == NULL */
	{
		TestNet		s;
		NNRng		rs;

		tn_init(&s, 3, w, NN_ACT_RELU, NN_LOSS_CROSS_ENTROPY, NN_OPT_SGD, 0);
		nn_dense_mut(&s.net, 1)->batch_norm = 1;
		if (tn_alloc(&s, 1))
		{
			CHECK(s.net.opt_state == NULL);
			nn_rng_seed(&rs, 42);
			nn_net_init_params(&s.net, NN_INIT_AUTO, &rs);
			CHECK(memcmp(s.net.params, a.net.params,
						 a.net.n_params * sizeof(float)) == 0);
			tn_free(&s);
		}
	}
	tn_free(&a);
	tn_free(&b);
	tn_free(&c);
}

/*
 * He and Xavier weights are the draws sd * normal in layer order, exactly
 * as before batch normalization existed (so that seeds reproduce older
 * models), whatever else the network has: batch-normalized layers draw
 * nothing more.  Automatic: He for the ReLU and leaky ReLU layers, Xavier
 * for the identity output.
 */
static void
test_init_draws(void)
{
	uint32_t	w[4] = {3, 4, 5, 2};
	const NNInit inits[3] = {NN_INIT_AUTO, NN_INIT_HE, NN_INIT_XAVIER};

	for (int k = 0; k < 3; k++)
		for (int bn = 0; bn < 2; bn++)
		{
			TestNet		tn;
			NNRng		rng,
						ref;
			size_t		bad = 0;

			tn_init(&tn, 3, w, NN_ACT_RELU, NN_LOSS_MSE, NN_OPT_SGD, 0);
			nn_dense_mut(&tn.net, 1)->act = NN_ACT_LEAKY_RELU;
			nn_dense_mut(&tn.net, 0)->batch_norm = (uint8_t) bn;
			nn_dense_mut(&tn.net, 1)->dropout = (float) bn * 0.5f;
			if (!tn_alloc(&tn, 1))
				return;
			nn_rng_seed(&rng, 77);
			nn_rng_seed(&ref, 77);
			nn_net_init_params(&tn.net, inits[k], &rng);
			for (uint32_t l = 0; l < 3; l++)
			{
				double		in = w[l],
							out = w[l + 1];
				bool		he = inits[k] == NN_INIT_HE ||
					(inits[k] == NN_INIT_AUTO && nn_dense(&tn.net, l)->act != NN_ACT_IDENTITY);
				double		sd = he ? sqrt(2.0 / in) : sqrt(2.0 / (in + out));
				const float *p = tn.net.params + nn_net_weight_offset(&tn.net, l);

				for (size_t i = 0; i < w[l] * w[l + 1]; i++)
					bad += p[i] != (float) (sd * nn_rng_normal(&ref));
			}
			CHECK_MSG(bad == 0, "init %s, bn %d: %zu weights differ from the draws",
					  nn_init_name(inits[k]), bn, bad);
			CHECK(nn_rng_next(&rng) == nn_rng_next(&ref));
			tn_free(&tn);
		}
}

static void
layer_weight_moments(const NNNet *net, uint32_t l, double *var, double *maxabs)
{
	size_t		n = (size_t) width(net, l) * width(net, l + 1);
	const float *w = net->params + nn_net_weight_offset(net, l);
	double		s = 0.0,
				s2 = 0.0;

	*maxabs = 0.0;
	for (size_t i = 0; i < n; i++)
	{
		s += w[i];
		s2 += (double) w[i] * w[i];
		*maxabs = fmax(*maxabs, fabs(w[i]));
	}
	*var = s2 / n - (s / n) * (s / n);
}

/* He (2/in) for rectifiers, Xavier (2/(in+out)) otherwise, or as forced */
static void
test_init_scale(void)
{
	uint32_t	w[3] = {400, 200, 100};
	TestNet		tn;
	NNRng		rng;
	double		var,
				maxabs;

	if (!tn_create(&tn, 2, w, NN_ACT_RELU, NN_LOSS_MSE, NN_OPT_SGD, 0, 1))
		return;
	nn_dense_mut(&tn.net, 1)->act = NN_ACT_TANH;
	nn_rng_seed(&rng, 1);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	layer_weight_moments(&tn.net, 0, &var, &maxabs);
	CHECK_CLOSE(var, 2.0 / 400, 0, 0.05);
	layer_weight_moments(&tn.net, 1, &var, &maxabs);
	CHECK_CLOSE(var, 2.0 / 300, 0, 0.05);
	nn_net_init_params(&tn.net, NN_INIT_XAVIER, &rng);
	layer_weight_moments(&tn.net, 0, &var, &maxabs);
	CHECK_CLOSE(var, 2.0 / 600, 0, 0.05);
	nn_net_init_params(&tn.net, NN_INIT_HE, &rng);
	layer_weight_moments(&tn.net, 1, &var, &maxabs);
	CHECK_CLOSE(var, 2.0 / 200, 0, 0.05);

	/*
	 * Uniform in +-sqrt(1/in): variance 1 / (3 in), every weight inside
	 * the limit and the extremes close to it.
	 */
	nn_net_init_params(&tn.net, NN_INIT_UNIFORM, &rng);
	for (uint32_t l = 0; l < 2; l++)
	{
		double		limit = sqrt(1.0 / w[l]);

		layer_weight_moments(&tn.net, l, &var, &maxabs);
		CHECK_CLOSE(var, 1.0 / (3.0 * w[l]), 0, 0.05);
		CHECK_MSG(maxabs <= limit, "layer %u: |w| %g beyond %g", l, maxabs, limit);
		CHECK_MSG(maxabs > 0.999 * limit, "layer %u: |w| only up to %g of %g",
				  l, maxabs, limit);
	}
	tn_free(&tn);
}

/* ------------------------------------------------ forward */

/* the network forward equals dense + activation applied layer by layer */
static void
test_forward_layers(void)
{
	uint32_t	w[4] = {3, 6, 4, 2};
	TestNet		tn;
	NNRng		rng;
	float		x[15],
				h1[30],
				h2[20],
				o[10];
	const float *y;

	if (!tn_create(&tn, 3, w, NN_ACT_SIGMOID, NN_LOSS_CROSS_ENTROPY,
				   NN_OPT_SGD, 0.1f, 5))
		return;
	nn_rng_seed(&rng, 3);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	fill_uniform(&rng, tn.net.params, tn.net.n_params, -1, 1);
	fill_uniform(&rng, x, 15, -1, 1);
	for (size_t batch = 1; batch <= 5; batch += 4)
	{
		const NNNet *n = &tn.net;

		y = nn_net_forward(n, &tn.work, x, batch);
		CHECK(y == tn.work.acts[3]);
		nn_dense_forward(x, n->params + nn_net_weight_offset(n, 0),
						 n->params + nn_net_bias_offset(n, 0), h1, batch, 3, 6);
		nn_activation_forward(NN_ACT_SIGMOID, h1, batch, 6);
		nn_dense_forward(h1, n->params + nn_net_weight_offset(n, 1),
						 n->params + nn_net_bias_offset(n, 1), h2, batch, 6, 4);
		nn_activation_forward(NN_ACT_SIGMOID, h2, batch, 4);
		nn_dense_forward(h2, n->params + nn_net_weight_offset(n, 2),
						 n->params + nn_net_bias_offset(n, 2), o, batch, 4, 2);
		nn_activation_forward(NN_ACT_SOFTMAX, o, batch, 2);
		for (size_t i = 0; i < batch * 2; i++)
			CHECK_CLOSE(y[i], o[i], 1e-6, 1e-5);
	}
	tn_free(&tn);
}

/*
 * Inference with batch normalization, by hand: 2 inputs, 2 ReLU units
 * normalized with running statistics, 1 identity output.
 *   W1 = [[1, 2], [-1, 0.5]], b1 = [0.5, -1], gamma = [2, 0.5],
 *   beta = [0.1, -0.2], running mean [1, -2], running var [4, 0.25],
 *   W2 = [1, -1], b2 = 0.25.
 * x = (1, 1): z = (3.5, -1.5), u = (2 (2.5) / sqrt(4 + eps) + 0.1,
 * 0.5 (0.5) / sqrt(0.25 + eps) - 0.2) = (~2.6, ~0.3).
 * x = (-2, 1): z = (0.5, 1.5), u = (2 (-0.5) / sqrt(4 + eps) + 0.1,
 * 0.5 (3.5) / sqrt(0.25 + eps) - 0.2) = (~-0.4, ~3.3), ReLU cuts the first.
 */
static void
test_forward_batchnorm_hand(void)
{
	uint32_t	w[3] = {2, 2, 1};
	TestNet		tn;
	const float x[6] = {1, 1, -2, 1, 1, 1};
	const double eps = NN_BN_EPSILON;
	double		e[3];
	const float *y;
	float		y1[3];

	tn_init(&tn, 2, w, NN_ACT_RELU, NN_LOSS_MSE, NN_OPT_SGD, 0);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	nn_dense_mut(&tn.net, 0)->dropout = 0.5f;	/* no effect at inference */
	if (!tn_alloc(&tn, 3))
		return;
	memcpy(tn.net.params, (float[]) {1, 2, -1, 0.5f, 0.5f, -1, 2, 0.5f, 0.1f, -0.2f,
		1, -1, 0.25f}, 13 * sizeof(float));
	memcpy(tn.net.stats, (float[]) {1, -2, 4, 0.25f}, 4 * sizeof(float));
	CHECK_EQ_INT(tn.net.n_params, 13);

	e[0] = (2 * 2.5 / sqrt(4 + eps) + 0.1) - (0.5 * 0.5 / sqrt(0.25 + eps) - 0.2) + 0.25;
	e[1] = 0.0 - (0.5 * 3.5 / sqrt(0.25 + eps) - 0.2) + 0.25;
	e[2] = e[0];

	y = nn_net_forward(&tn.net, &tn.work, x, 3);
	for (int i = 0; i < 3; i++)
		CHECK_CLOSE(y[i], e[i], 1e-6, 1e-6);
	CHECK_CLOSE(e[0], 2.55, 0, 1e-4);	/* the sketch above is right */
	CHECK_CLOSE(e[1], -3.05, 0, 1e-4);
	memcpy(y1, y, sizeof(y1));

	/* deterministic, and each row alone gives the same output */
	y = nn_net_forward(&tn.net, &tn.work, x, 3);
	CHECK(memcmp(y, y1, sizeof(y1)) == 0);
	for (int r = 0; r < 3; r++)
	{
		y = nn_net_forward(&tn.net, &tn.work, x + 2 * r, 1);
		CHECK_CLOSE(y[0], y1[r], 1e-7, 1e-6);
	}
	tn_free(&tn);
}

/*
 * Inference against the double reference, random networks with batch
 * normalization (random running statistics) and dropout on hidden layers;
 * also: inference does not depend on the dropout rate at all.
 */
static void
test_forward_reference(void)
{
	uint32_t	w[5] = {4, 6, 5, 7, 3};
	const size_t B = 6;
	TestNet		tn,
				nodrop;
	NNRng		rng;
	float		x[6 * 4];
	double		e[6 * 3];

	tn_init(&tn, 4, w, NN_ACT_TANH, NN_LOSS_CROSS_ENTROPY, NN_OPT_SGD, 0);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	nn_dense_mut(&tn.net, 2)->batch_norm = 1;
	nn_dense_mut(&tn.net, 1)->dropout = 0.5f;
	nn_dense_mut(&tn.net, 2)->dropout = 0.3f;
	nodrop = tn;
	nn_dense_mut(&nodrop.net, 1)->dropout = nn_dense_mut(&nodrop.net, 2)->dropout = 0.0f;
	if (!tn_alloc(&tn, B) || !tn_alloc(&nodrop, B))
		return;
	nn_rng_seed(&rng, 11);
	fill_uniform(&rng, tn.net.params, tn.net.n_params, -1, 1);
	fill_uniform(&rng, tn.net.stats, tn.net.n_stats, 0.1, 2);
	fill_uniform(&rng, x, B * 4, -2, 2);
	memcpy(nodrop.net.params, tn.net.params, tn.net.n_params * sizeof(float));
	memcpy(nodrop.net.stats, tn.net.stats, tn.net.n_stats * sizeof(float));

	for (size_t batch = 1; batch <= B; batch += B - 1)
	{
		const float *y = nn_net_forward(&tn.net, &tn.work, x, batch);
		const float *y0;
		float		t[6] = {0};

		ref_loss(&tn.net, &tn.work, false, false, x, t, NULL, batch, NULL, e);
		for (size_t i = 0; i < batch * 3; i++)
			CHECK_CLOSE(y[i], e[i], 1e-6, 1e-5);
		y0 = nn_net_forward(&nodrop.net, &nodrop.work, x, batch);
		CHECK(memcmp(y, y0, batch * 3 * sizeof(float)) == 0);
	}
	tn_free(&tn);
	tn_free(&nodrop);
}

/*
 * A lone row through nn_net_forward_row, with each row product (dense.h),
 * against the reference: ReLU layers and inputs with zeros take the saxpy
 * path over the transposed weights, batch normalization included.
 */
static void
test_forward_row(void)
{
	uint32_t	w[4] = {40, 64, 48, 3};
	TestNet		tn;
	NNRng		rng;
	float		x[40];
	float	   *wt;
	double		e[3];
	float		t[3] = {0};		/* MSE targets, one per output (unused) */
	const NNRowProduct modes[] = {NN_ROW_GEMV, NN_ROW_LEVEL1};

	/* identity outputs: a saturated softmax could hide a wrong product */
	tn_init(&tn, 3, w, NN_ACT_RELU, NN_LOSS_MSE, NN_OPT_SGD, 0);
	nn_dense_mut(&tn.net, 1)->batch_norm = 1;
	if (!tn_alloc(&tn, 1))
		return;
	nn_rng_seed(&rng, 21);
	fill_uniform(&rng, tn.net.params, tn.net.n_params, -0.3, 0.3);
	fill_uniform(&rng, tn.net.stats, tn.net.n_stats, 0.1, 2);
	fill_uniform(&rng, x, 40, -2, 2);
	for (size_t i = 0; i < 40; i += 3)
		x[i] = 0.0f;
	wt = xcalloc(nn_net_weight_floats(&tn.net), sizeof(float));
	nn_net_transpose_weights(&tn.net, wt);
	CHECK(nn_net_weight_floats(&tn.net) == 40 * 64 + 64 * 48 + 48 * 3);
	CHECK(wt[1] == tn.net.params[40]);	/* W1[1][0] */
	/* every element: Wt[i][o] = W[o][i], layer by layer (tiles cut 40 and 48) */
	for (uint32_t l = 0, wt_off = 0; l < 3; wt_off += w[l] * w[l + 1], l++)
	{
		const float *wl = tn.net.params + nn_net_weight_offset(&tn.net, l);

		for (size_t o = 0; o < w[l + 1]; o++)
			for (size_t i = 0; i < w[l]; i++)
				CHECK(wt[wt_off + i * w[l + 1] + o] == wl[o * w[l] + i]);
	}
	ref_loss(&tn.net, &tn.work, false, false, x, t, NULL, 1, NULL, e);
	for (size_t m = 0; m < 2; m++)
		for (int with_wt = 0; with_wt <= 1; with_wt++)
		{
			const float *y;

			nn_row_product = modes[m];
			y = nn_net_forward_row(&tn.net, &tn.work, x, with_wt ? wt : NULL);
			nn_row_product = NN_ROW_GEMV;
			for (size_t i = 0; i < 3; i++)
				CHECK_CLOSE(y[i], e[i], 1e-6, 1e-5);
		}
	free(wt);
	tn_free(&tn);
}

/*
 * The training forward: batch statistics per unit (mean, biased
 * variance), zhat with mean 0 and variance ~1 per unit, outputs and loss
 * against the reference.
 */
static void
test_train_forward_batchnorm(void)
{
	uint32_t	w[3] = {3, 6, 2};
	const size_t B = 7;
	TestNet		tn;
	NNRng		rng;
	float		x[7 * 3],
				t[7 * 2],
				z[7 * 6];
	double		loss,
				ref;

	tn_init(&tn, 2, w, NN_ACT_SIGMOID, NN_LOSS_MSE, NN_OPT_SGD, 0);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	if (!tn_alloc(&tn, B))
		return;
	nn_rng_seed(&rng, 5);
	fill_uniform(&rng, tn.net.params, tn.net.n_params, -1, 1);
	for (size_t i = 0; i < tn.net.n_stats; i++)
		tn.net.stats[i] = 1000.0f;	/* must not be used */
	fill_uniform(&rng, x, B * 3, -2, 2);
	fill_uniform(&rng, t, B * 2, -1, 1);

	loss = nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, NULL);
	ref = ref_loss(&tn.net, &tn.work, true, false, x, t, NULL, B, NULL, NULL);
	CHECK_CLOSE(loss / B, ref, 1e-7, 1e-5);

	nn_dense_forward(x, tn.net.params, tn.net.params + 18, z, B, 3, 6);
	for (size_t c = 0; c < 6; c++)
	{
		double		m = 0,
					v = 0,
					hm = 0,
					hv = 0;
		float		gamma = tn.net.params[nn_net_gamma_offset(&tn.net, 0) + c];
		float		beta = tn.net.params[nn_net_beta_offset(&tn.net, 0) + c];

		for (size_t r = 0; r < B; r++)
			m += z[r * 6 + c] / (double) B;
		for (size_t r = 0; r < B; r++)
			v += (z[r * 6 + c] - m) * (z[r * 6 + c] - m) / (double) B;
		CHECK_CLOSE(nn_dense_work(&tn.net, &tn.work, 0).bn_mean[c], m, 1e-6, 1e-5);
		CHECK_CLOSE(nn_dense_work(&tn.net, &tn.work, 0).bn_inv_std[c], 1.0 / sqrt(v + NN_BN_EPSILON),
					0, 1e-5);
		for (size_t r = 0; r < B; r++)
		{
			float		h = nn_dense_work(&tn.net, &tn.work, 0).zhat[r * 6 + c];

			hm += h / (double) B;
			hv += (double) h * h / (double) B;
			CHECK_CLOSE(tn.work.acts[1][r * 6 + c],
						1.0 / (1.0 + exp(-(gamma * (double) h + beta))), 1e-6, 1e-5);
		}
		CHECK_CLOSE(hm, 0.0, 1e-6, 0);
		CHECK_CLOSE(hv, v / (v + NN_BN_EPSILON), 0, 1e-5);
	}
	/* statistics are the caller's to update: the gradient leaves them */
	for (size_t i = 0; i < tn.net.n_stats; i++)
		CHECK(tn.net.stats[i] == 1000.0f);
	tn_free(&tn);
}

/*
 * Whether column c of layer 0's pre-activations z (B x out) got the batch
 * statistics it should: its mean, and 1 / sqrt(var + eps) with the biased
 * variance computed in two passes in double.
 */
static bool
bn_column_ok(const TestNet *tn, const float *z, size_t B, size_t out, size_t c)
{
	double		m = 0,
				v = 0;

	for (size_t r = 0; r < B; r++)
		m += z[r * out + c] / (double) B;
	for (size_t r = 0; r < B; r++)
		v += (z[r * out + c] - m) * (z[r * out + c] - m) / (double) B;
	return harness_close(nn_dense_work(&tn->net, &tn->work, 0).bn_mean[c], m, 1e-6, 1e-5) &&
		harness_close(nn_dense_work(&tn->net, &tn->work, 0).bn_inv_std[c], 1.0 / sqrt(v + NN_BN_EPSILON), 0, 1e-5);
}

/*
 * Training batch normalization beyond one block of columns (BN_BLOCK is
 * 256: 300 columns take two), and on columns far from zero: the first 100
 * sit near 1e6 with deviations of about 0.1, where mean(z^2) - mean(z)^2
 * without the shift by a sample of the column cancels to a wrong variance.
 */
static void
test_train_batchnorm_wide_far(void)
{
	uint32_t	w[3] = {3, 300, 2};
	const size_t B = 6;
	TestNet		tn;
	NNRng		rng;
	float		x[6 * 3],
				t[6 * 2];
	float	   *z;
	float	   *bias;
	size_t		bad = 0;

	tn_init(&tn, 2, w, NN_ACT_TANH, NN_LOSS_MSE, NN_OPT_SGD, 0);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	if (!tn_alloc(&tn, B))
		return;
	nn_rng_seed(&rng, 17);
	fill_uniform(&rng, tn.net.params, tn.net.n_params, -1, 1);
	bias = tn.net.params + nn_net_bias_offset(&tn.net, 0);
	for (size_t c = 0; c < 100; c++)
	{
		for (size_t i = 0; i < 3; i++)
			tn.net.params[c * 3 + i] *= 0.05f;
		bias[c] = 1e6f;
	}
	fill_uniform(&rng, x, B * 3, -2, 2);
	fill_uniform(&rng, t, B * 2, -1, 1);

	nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, NULL);
	z = xcalloc(B * 300, sizeof(float));
	nn_dense_forward(x, tn.net.params, bias, z, B, 3, 300);
	for (size_t c = 0; c < 300; c++)
		if (!bn_column_ok(&tn, z, B, 300, c) && bad++ < 4)
			CHECK_MSG(false, "column %zu: mean %.9g, inv_std %.9g", c,
					  nn_dense_work(&tn.net, &tn.work, 0).bn_mean[c], nn_dense_work(&tn.net, &tn.work, 0).bn_inv_std[c]);
	CHECK_MSG(bad == 0, "%zu of 300 columns have wrong batch statistics", bad);
	free(z);
	tn_free(&tn);
}

/*
 * Dropout in the training forward: masks are 0 or 1 / (1 - rate), keep
 * about 1 - rate of the units, multiply the activations into the next
 * layer's input, come from the generator (same seed, same masks; the
 * stream moves on), and are off without a generator.
 */
static void
test_dropout_masks(void)
{
	uint32_t	w[3] = {4, 500, 1};
	const size_t B = 8;
	const float rates[2] = {0.5f, 0.2f};

	for (int k = 0; k < 2; k++)
	{
		float		rate = rates[k];
		float		scale = 1.0f / (1.0f - rate);
		size_t		n = B * 500,
					kept = 0,
					bad = 0;
		TestNet		tn,
					plain;
		NNRng		rng,
					r2;
		float		x[8 * 4],
					t[8];
		float	   *mask1;
		double		l_none,
					l_plain,
					expect,
					sd;

		tn_init(&tn, 2, w, NN_ACT_RELU, NN_LOSS_BINARY_CROSS_ENTROPY,
				NN_OPT_SGD, 0);
		nn_dense_mut(&tn.net, 0)->dropout = rate;
		plain = tn;
		nn_dense_mut(&plain.net, 0)->dropout = 0.0f;
		if (!tn_alloc(&tn, B) || !tn_alloc(&plain, B))
			return;
		nn_rng_seed(&rng, 9);
		nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
		memcpy(plain.net.params, tn.net.params, tn.net.n_params * sizeof(float));
		fill_uniform(&rng, x, B * 4, -1, 1);
		for (size_t r = 0; r < B; r++)
			t[r] = (float) (r % 2);

		nn_rng_seed(&rng, 1234);
		nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, &rng);
		for (size_t i = 0; i < n; i++)
		{
			float		m = nn_dense_work(&tn.net, &tn.work, 0).mask[i];

			kept += m != 0.0f;
			bad += (m != 0.0f && m != scale) ||
				tn.work.in[1][i] != tn.work.acts[1][i] * m;
		}
		CHECK_MSG(bad == 0, "rate %g: %zu mask or input values wrong", rate, bad);
		expect = (1.0 - rate) * n;
		sd = sqrt(rate * (1.0 - rate) * n);
		CHECK_MSG(fabs(kept - expect) < 4 * sd, "rate %g: kept %zu of %zu",
				  rate, kept, n);

		/* the same seed gives the same masks; the next call new ones */
		mask1 = xcalloc(n, sizeof(float));
		memcpy(mask1, nn_dense_work(&tn.net, &tn.work, 0).mask, n * sizeof(float));
		nn_rng_seed(&r2, 1234);
		nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, &r2);
		CHECK(memcmp(mask1, nn_dense_work(&tn.net, &tn.work, 0).mask, n * sizeof(float)) == 0);
		CHECK(rng.s[0] == r2.s[0] && rng.s[3] == r2.s[3]);
		nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, &r2);
		CHECK(memcmp(mask1, nn_dense_work(&tn.net, &tn.work, 0).mask, n * sizeof(float)) != 0);

		/* no generator: no dropout, as the plain network */
		l_none = nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, NULL);
		l_plain = nn_net_gradient(&plain.net, &plain.work, x, t, NULL, B, &rng);
		CHECK(l_none == l_plain);
		CHECK(memcmp(tn.work.grads, plain.work.grads,
					 tn.net.n_params * sizeof(float)) == 0);
		/* and the plain network drew nothing */
		nn_rng_seed(&r2, 1234);
		nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, &r2);
		CHECK(rng.s[0] == r2.s[0] && rng.s[1] == r2.s[1]);
		free(mask1);
		tn_free(&tn);
		tn_free(&plain);
	}
}

/*
 * An odd number of dropout values (batch 3 x 5 units): two values per
 * 64-bit draw, so the generator moves ceil(15 / 2) = 8 draws, and the odd
 * last value is drawn like the others, dropped about half the time.
 */
static void
test_dropout_odd(void)
{
	uint32_t	w[3] = {2, 5, 1};
	const size_t B = 3;
	TestNet		tn;
	float		x[6] = {0.5f, -1, 1, 0.25f, -0.5f, 2},
				t[3] = {0, 1, 1};
	int			last_dropped = 0,
				first_dropped = 0;

	tn_init(&tn, 2, w, NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY, NN_OPT_SGD, 0);
	nn_dense_mut(&tn.net, 0)->dropout = 0.5f;
	if (!tn_alloc(&tn, B))
		return;
	for (uint64_t seed = 0; seed < 200; seed++)
	{
		NNRng		rng,
					ref;

		nn_rng_seed(&rng, seed);
		nn_rng_seed(&ref, seed);
		nn_net_gradient(&tn.net, &tn.work, x, t, NULL, B, &rng);
		for (int k = 0; k < 8; k++)
			nn_rng_next(&ref);
		CHECK(memcmp(&rng, &ref, sizeof(rng)) == 0);
		last_dropped += nn_dense_work(&tn.net, &tn.work, 0).mask[B * 5 - 1] == 0.0f;
		first_dropped += nn_dense_work(&tn.net, &tn.work, 0).mask[0] == 0.0f;
	}
	/* binomial(200, 0.5): sd ~7 */
	CHECK_MSG(last_dropped > 70 && last_dropped < 130,
			  "odd last value dropped %d of 200 times", last_dropped);
	CHECK_MSG(first_dropped > 70 && first_dropped < 130,
			  "first value dropped %d of 200 times", first_dropped);
	tn_free(&tn);
}

/* ------------------------------------------------ gradient check */

typedef struct GradCase
{
	uint32_t	n_layers;
	const uint32_t *widths;
	NNActivation hidden;
	NNLoss		loss;
	size_t		batch;
	uint64_t	bn;				/* bit l: batch-normalize layer l */
	float		dropout;		/* rate on every hidden layer */
	bool		weighted;
	uint64_t	seed;
} GradCase;

/* the summed training loss over the batch with masks seeded from seed */
static double
train_loss(TestNet *tn, const float *x, const float *t, const float *wt,
		   size_t batch, bool dropout, uint64_t seed)
{
	NNRng		rng;

	nn_rng_seed(&rng, seed);
	return nn_net_gradient(&tn->net, &tn->work, x, t, wt, batch,
						   dropout ? &rng : NULL);
}

static void
describe(char *buf, size_t len, const GradCase *gc)
{
	snprintf(buf, len, "%u layers, %s, %s, batch %zu%s%s%s",
			 gc->n_layers, nn_activation_name(gc->hidden),
			 nn_loss_name(gc->loss), gc->batch, gc->bn ? ", bn" : "",
			 gc->dropout > 0 ? ", dropout" : "", gc->weighted ? ", weighted" : "");
}

/* a tensor whose gradient must vanish: only float rounding is left */
static void
expect_zero(const char *what, const char *tensor, uint32_t l,
			const double *an, size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++)
		CHECK_MSG(fabs(an[i]) < 1e-5, "%s: layer %u d%s[%zu] = %g, expected 0",
				  what, l, tensor, i - lo, an[i]);
}

/* check one tensor [lo, hi) of the gradient */
static void
check_tensor(const char *what, const char *tensor, uint32_t l,
			 const double *an, const double *nu, size_t lo, size_t hi,
			 double rtol, double min_norm)
{
	char		buf[240];

	snprintf(buf, sizeof(buf), "%s, layer %u %s", what, l, tensor);
	CHECK_GRAD(buf, an + lo, nu + lo, hi - lo, 1e-4, rtol, min_norm);
}

/*
 * true when a step of +-h on any parameter moves a rectifier input or a
 * regression output across its kink.  Batch normalization divides by the
 * batch's deviation, which can be small, so a margin alone does not tell.
 */
static bool
steps_cross_kinks(TestNet *tn, const float *x, const float *t,
				  const float *wt, size_t batch, bool dropout, float h)
{
	const float steps[4] = {-h, -h / 2, h / 2, h};
	RefInfo		base,
				ri;

	ref_loss(&tn->net, &tn->work, true, dropout, x, t, wt, batch, &base, NULL);
	for (size_t i = 0; i < tn->net.n_params; i++)
	{
		float	   *p = &tn->net.params[i];
		float		orig = *p;
		bool		crossed = false;

		for (int k = 0; k < 4 && !crossed; k++)
		{
			*p = orig + steps[k];
			ref_loss(&tn->net, &tn->work, true, dropout, x, t, wt, batch, &ri, NULL);
			crossed = ri.pattern != base.pattern;
		}
		*p = orig;
		if (crossed)
			return true;
	}
	return false;
}

/*
 * The tensors of layer l: W, b and, when batch-normalized, gamma and beta.
 * zero: the gradient vanishes by construction.  A normalized layer's b is
 * cancelled by its mean subtraction; the shift of a layer (b, or beta when
 * normalized) is cancelled by the next layer's normalization when nothing
 * nonlinear comes between (identity activation, no dropout).
 */
typedef struct Tensor
{
	const char *name;
	size_t		lo,
				hi;
	bool		zero;
} Tensor;

static int
layer_tensors(const NNNet *net, uint32_t l, Tensor *t)
{
	bool		bn = nn_dense(net, l)->batch_norm;
	bool		shift_cancelled = l + 1 < net->n_layers &&
		nn_dense(net, l)->act == NN_ACT_IDENTITY && nn_dense(net, l)->dropout == 0.0f &&
		nn_dense(net, l + 1)->batch_norm;
	size_t		bo = nn_net_bias_offset(net, l);
	size_t		end = nn_net_weight_offset(net, l + 1);

	t[0] = (Tensor) {"W", nn_net_weight_offset(net, l), bo, false};
	if (!bn)
	{
		t[1] = (Tensor) {"b", bo, end, shift_cancelled};
		return 2;
	}
	t[1] = (Tensor) {"b", bo, nn_net_gamma_offset(net, l), true};
	t[2] = (Tensor) {"gamma", nn_net_gamma_offset(net, l),
	nn_net_beta_offset(net, l), false};
	t[3] = (Tensor) {"beta", nn_net_beta_offset(net, l), end, shift_cancelled};
	return 4;
}

/* the smallest norm of a tensor whose gradient is not zero by construction */
static double
smallest_tensor_norm(const NNNet *net, const float *g)
{
	double		m = INFINITY;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		Tensor		t[4];
		int			n = layer_tensors(net, l, t);

		for (int k = 0; k < n; k++)
		{
			double		s = 0.0;

			if (t[k].zero)
				continue;
			for (size_t i = t[k].lo; i < t[k].hi; i++)
				s += (double) g[i] * g[i];
			m = fmin(m, sqrt(s));
		}
	}
	return m;
}

/*
 * Random parameters (biases, gamma and beta included) and inputs are
 * redrawn, deterministically, until every rectifier input and regression
 * output is at least 0.05 away from a kink, no finite-difference step
 * crosses one, and every layer has a gradient to speak of.  Then:
 *   - the training loss equals the double reference (with the kernels'
 *     dropout masks);
 *   - work->grads matches central differences of the kernels' own loss
 *     (the generator reseeded before each evaluation, so the masks are the
 *     same) with steps 4e-3 and 2e-3 on the float grid, extrapolated
 *     (Richardson) to cancel the h^2 error: with batch normalization over
 *     3 rows the loss bends too sharply for a plain difference at a step
 *     large enough to stay clear of float noise;
 *   - and central differences of the double reference, which are free of
 *     float noise, with a step of 1e-4 and a tighter tolerance;
 * over all parameters and tensor by tensor, so that an error confined to
 * a small tensor (a first layer, a gamma) is not averaged away.
 */
static void
grad_check_case(const GradCase *gc)
{
	const float h = 4e-3f;
	const float h_ref = 1e-4f;
	const uint64_t mask_seed = gc->seed * 7919 + 1;
	uint32_t	n_layers = gc->n_layers;
	uint32_t	out = gc->widths[n_layers];
	size_t		batch = gc->batch;
	bool		dropout = gc->dropout > 0;
	TestNet		tn;
	NNRng		rng;
	float	   *x = xcalloc(batch * gc->widths[0], sizeof(float));
	float	   *t = xcalloc(batch * out, sizeof(float));
	float	   *wt = gc->weighted ? xcalloc(batch, sizeof(float)) : NULL;
	double	   *an,
			   *nu,
			   *nr;
	double		sum,
				margin = 0.0;
	RefInfo		ri;
	int			tries = 0;
	char		what[200];

	describe(what, sizeof(what), gc);
	tn_init(&tn, n_layers, gc->widths, gc->hidden, gc->loss, NN_OPT_SGD, 0.1f);
	for (uint32_t l = 0; l + 1 < n_layers; l++)
	{
		nn_dense_mut(&tn.net, l)->batch_norm = (gc->bn >> l) & 1;
		nn_dense_mut(&tn.net, l)->dropout = gc->dropout;
	}
	if (!tn_alloc(&tn, batch))
	{
		free(x);
		free(t);
		free(wt);
		return;
	}
	an = xcalloc(tn.net.n_params, sizeof(double));
	nu = xcalloc(tn.net.n_params, sizeof(double));
	nr = xcalloc(tn.net.n_params, sizeof(double));
	nn_rng_seed(&rng, gc->seed);
	do
	{
		nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
		/* non-zero biases, gamma and beta, so that their role is exercised */
		for (uint32_t l = 0; l < n_layers; l++)
		{
			fill_uniform(&rng, tn.net.params + nn_net_bias_offset(&tn.net, l),
						 gc->widths[l + 1], -0.5, 0.5);
			if (nn_dense(&tn.net, l)->batch_norm)
			{
				fill_uniform(&rng, tn.net.params + nn_net_gamma_offset(&tn.net, l),
							 gc->widths[l + 1], 0.5, 1.5);
				fill_uniform(&rng, tn.net.params + nn_net_beta_offset(&tn.net, l),
							 gc->widths[l + 1], -0.5, 0.5);
			}
		}
		fill_uniform(&rng, x, batch * gc->widths[0], -1.5, 1.5);
		for (size_t r = 0; r < batch; r++)
		{
			if (gc->loss == NN_LOSS_CROSS_ENTROPY)
				t[r] = (float) nn_rng_below(&rng, out);
			else if (gc->loss == NN_LOSS_BINARY_CROSS_ENTROPY)
				t[r] = (float) nn_rng_below(&rng, 2);
		}
		if (nn_loss_is_regression(gc->loss))
			fill_uniform(&rng, t, batch * out, -1.5, 1.5);
		if (wt != NULL)
		{
			fill_uniform(&rng, wt, batch, 0.2, 3.0);
			wt[batch - 1] = 0.0f;	/* a row that counts for nothing */
		}
		train_loss(&tn, x, t, wt, batch, dropout, mask_seed);
		ref_loss(&tn.net, &tn.work, true, dropout, x, t, wt, batch, &ri, NULL);
		margin = ri.margin;
		/* also skip draws where a tensor's gradient is tiny (mostly noise) */
		if (smallest_tensor_norm(&tn.net, tn.work.grads) < 2e-3)
			margin = 0.0;
		if (margin >= 0.05 &&
			steps_cross_kinks(&tn, x, t, wt, batch, dropout, h))
			margin = 0.0;
	} while (margin < 0.05 && ++tries < 1000);
	CHECK_MSG(margin >= 0.05, "%s: no suitable draw in %d tries", what, tries);

	/* grads is overwritten, not accumulated */
	for (size_t i = 0; i < tn.net.n_params; i++)
		tn.work.grads[i] = 1000.0f;
	sum = train_loss(&tn, x, t, wt, batch, dropout, mask_seed);
	CHECK_MSG(harness_close(sum / (double) batch,
							ref_loss(&tn.net, &tn.work, true, dropout, x, t, wt,
									 batch, NULL, NULL), 1e-6, 1e-5),
			  "%s: loss %.9g differs from the reference", what, sum / batch);
	for (size_t i = 0; i < tn.net.n_params; i++)
		an[i] = tn.work.grads[i];

	for (size_t i = 0; i < tn.net.n_params; i++)
	{
		float	   *p = &tn.net.params[i];
		float		orig = *p,
					rpp = orig + h_ref,
					rpm = orig - h_ref;
		double		d[2],
					rp,
					rm;

		for (int k = 0; k < 2; k++)
		{
			float		pp = orig + h / (float) (1 + k),
						pm = orig - h / (float) (1 + k);
			double		lp,
						lm;

			*p = pp;
			lp = train_loss(&tn, x, t, wt, batch, dropout, mask_seed);
			*p = pm;
			lm = train_loss(&tn, x, t, wt, batch, dropout, mask_seed);
			d[k] = (lp - lm) / batch / ((double) pp - pm);
		}
		/* the reference uses the masks of the last kernel call, all alike */
		*p = rpp;
		rp = ref_loss(&tn.net, &tn.work, true, dropout, x, t, wt, batch, NULL, NULL);
		*p = rpm;
		rm = ref_loss(&tn.net, &tn.work, true, dropout, x, t, wt, batch, NULL, NULL);
		*p = orig;
		nu[i] = (4.0 * d[1] - d[0]) / 3.0;
		nr[i] = (rp - rm) / ((double) rpp - rpm);
	}
	/* float noise of the kernels' loss, ~1e-6, over steps of ~1e-3 */
	CHECK_GRAD(what, an, nu, tn.net.n_params, 1e-3, 1e-2, 1e-2);
	{
		char		rw[240];

		snprintf(rw, sizeof(rw), "%s vs double", what);
		CHECK_GRAD(rw, an, nr, tn.net.n_params, 1e-5, 1e-3, 1e-2);
	}

	for (uint32_t l = 0; l < n_layers; l++)
	{
		Tensor		ts[4];
		int			nt = layer_tensors(&tn.net, l, ts);

		for (int k = 0; k < nt; k++)
		{
			if (ts[k].zero)
				expect_zero(what, ts[k].name, l, an, ts[k].lo, ts[k].hi);
			else
				check_tensor(what, ts[k].name, l, an, nr, ts[k].lo, ts[k].hi,
							 1e-3, 1e-3);
		}
	}
	/*
	 * A row of weight 0 counts for nothing: another target for it leaves
	 * the loss and the gradient as they were, bit for bit.
	 */
	if (wt != NULL)
	{
		size_t		r = batch - 1;

		if (nn_loss_is_regression(gc->loss))
			for (size_t c = 0; c < out; c++)
				t[r * out + c] += 1.0f;
		else
			t[r] = gc->loss == NN_LOSS_CROSS_ENTROPY ?
				(float) (((int) t[r] + 1) % out) : 1.0f - t[r];
		CHECK(train_loss(&tn, x, t, wt, batch, dropout, mask_seed) == sum);
		for (size_t i = 0; i < tn.net.n_params; i++)
			CHECK_MSG(tn.work.grads[i] == (float) an[i],
					  "%s: target of a weightless row changes grads[%zu]", what, i);
	}

	free(an);
	free(nu);
	free(nr);
	free(x);
	free(t);
	free(wt);
	tn_free(&tn);
}

static const NNActivation hidden_acts[] = {
	NN_ACT_IDENTITY, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
	NN_ACT_LEAKY_RELU
};

#define N_HIDDEN_ACTS (sizeof(hidden_acts) / sizeof(hidden_acts[0]))

static uint32_t
outputs_for(NNLoss loss)
{
	return loss == NN_LOSS_BINARY_CROSS_ENTROPY ? 1 :
		loss == NN_LOSS_CROSS_ENTROPY ? 3 : 2;
}

/* every hidden activation, 2 hidden layers of different widths, batch 3..5 */
static void
grad_check_loss(NNLoss loss, uint64_t bn, float dropout, bool weighted)
{
	for (size_t a = 0; a < N_HIDDEN_ACTS; a++)
	{
		uint32_t	w[4] = {3, 5, 4, outputs_for(loss)};
		GradCase	gc = {3, w, hidden_acts[a], loss, 3 + a % 3, bn, dropout,
		weighted, 100 + 10 * a + loss + 1000 * bn + (uint64_t) (dropout * 50) +
		(weighted ? 500 : 0)};

		grad_check_case(&gc);
	}
}

static void
test_grad_plain(void)
{
	for (int loss = 0; loss < NN_LOSS_COUNT; loss++)
		grad_check_loss((NNLoss) loss, 0, 0.0f, false);
}

static void
test_grad_batchnorm(void)
{
	for (int loss = 0; loss < NN_LOSS_COUNT; loss++)
		grad_check_loss((NNLoss) loss, 3, 0.0f, false);
	/* one of the two hidden layers */
	grad_check_loss(NN_LOSS_CROSS_ENTROPY, 1, 0.0f, false);
	grad_check_loss(NN_LOSS_MSE, 2, 0.0f, false);
}

static void
test_grad_dropout(void)
{
	for (int loss = 0; loss < NN_LOSS_COUNT; loss++)
		grad_check_loss((NNLoss) loss, 0, 0.4f, false);
}

static void
test_grad_batchnorm_dropout(void)
{
	for (int loss = 0; loss < NN_LOSS_COUNT; loss++)
		grad_check_loss((NNLoss) loss, 3, 0.3f, false);
}

static void
test_grad_weighted(void)
{
	for (int loss = 0; loss < NN_LOSS_COUNT; loss++)
		grad_check_loss((NNLoss) loss, 0, 0.0f, true);
	grad_check_loss(NN_LOSS_HUBER, 3, 0.3f, true);
	grad_check_loss(NN_LOSS_CROSS_ENTROPY, 1, 0.2f, true);
}

/* other shapes: a single layer, batch 1 (sgemv), one hidden layer, deep */
static void
test_grad_shapes(void)
{
	uint32_t	w1[2] = {4, 3};
	uint32_t	w1b[2] = {4, 2};
	uint32_t	w2[3] = {2, 6, 1};
	uint32_t	w3[4] = {3, 5, 4, 3};
	uint32_t	w5[6] = {3, 4, 3, 4, 3, 2};
	const GradCase cases[] = {
		{1, w1, NN_ACT_IDENTITY, NN_LOSS_CROSS_ENTROPY, 4, 0, 0, false, 7},
		{1, w1b, NN_ACT_IDENTITY, NN_LOSS_MSE, 1, 0, 0, false, 8},
		{1, w1b, NN_ACT_IDENTITY, NN_LOSS_HUBER, 3, 0, 0, true, 12},
		{2, w2, NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY, 1, 0, 0, false, 9},
		{3, w3, NN_ACT_LEAKY_RELU, NN_LOSS_CROSS_ENTROPY, 1, 0, 0, false, 10},
		{3, w3, NN_ACT_LEAKY_RELU, NN_LOSS_CROSS_ENTROPY, 1, 0, 0.5f, false, 13},
		{5, w5, NN_ACT_TANH, NN_LOSS_MSE, 5, 0, 0, false, 11},
		{5, w5, NN_ACT_TANH, NN_LOSS_MAE, 6, 0x5, 0.25f, true, 14},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		grad_check_case(&cases[i]);
}

/* ------------------------------------------------ penalties and clipping */

/*
 * A network for the regularization tests: 2 layers, the first batch-
 * normalized, so that it has W, b, gamma, beta and W, b tensors.
 */
static bool
reg_net(TestNet *tn)
{
	uint32_t	w[3] = {3, 4, 2};

	tn_init(tn, 2, w, NN_ACT_TANH, NN_LOSS_MSE, NN_OPT_SGD, 0.1f);
	nn_dense_mut(&tn->net, 0)->batch_norm = 1;
	return tn_alloc(tn, 2);
}

static void
test_penalty(void)
{
	TestNet		tn;
	NNRng		rng;
	double	   *an,
			   *nu;
	size_t		n;

	if (!reg_net(&tn))
		return;
	n = tn.net.n_params;
	an = xcalloc(n, sizeof(double));
	nu = xcalloc(n, sizeof(double));
	/* weights away from 0 (the kink of |w|), everything else random */
	nn_rng_seed(&rng, 21);
	fill_uniform(&rng, tn.net.params, n, -2, 2);
	for (size_t i = 0; i < n; i++)
		if (fabsf(tn.net.params[i]) < 0.05f)
			tn.net.params[i] += 0.1f;

	/* no penalty: 0 and no change */
	CHECK(nn_net_penalty(&tn.net) == 0.0);
	memset(tn.work.grads, 0, n * sizeof(float));
	nn_net_regularize(&tn.net, tn.work.grads);
	CHECK(nn_all_finite(tn.work.grads, n) && tn.work.grads[0] == 0.0f);

	/* the value by hand: weights only */
	{
		double		abs_sum = 0,
					sq_sum = 0;

		for (uint32_t l = 0; l < 2; l++)
			for (size_t i = nn_net_weight_offset(&tn.net, l);
				 i < nn_net_bias_offset(&tn.net, l); i++)
			{
				abs_sum += fabs(tn.net.params[i]);
				sq_sum += (double) tn.net.params[i] * tn.net.params[i];
			}
		tn.net.reg.l1 = 0.3f;
		tn.net.reg.l2 = 0.7f;
		CHECK_CLOSE(nn_net_penalty(&tn.net), 0.3f * abs_sum + 0.7f * sq_sum,
					0, 1e-6);
	}

	/* its gradient against central differences of the penalty */
	for (int k = 0; k < 3; k++)
	{
		const float l1s[3] = {0.3f, 0.0f, 0.3f};
		const float l2s[3] = {0.0f, 0.7f, 0.7f};
		char		what[64];

		tn.net.reg.l1 = l1s[k];
		tn.net.reg.l2 = l2s[k];
		memset(tn.work.grads, 0, n * sizeof(float));
		nn_net_regularize(&tn.net, tn.work.grads);
		for (size_t i = 0; i < n; i++)
		{
			float	   *p = &tn.net.params[i];
			float		orig = *p,
						pp = orig + 1e-3f,
						pm = orig - 1e-3f;
			double		lp,
						lm;

			*p = pp;
			lp = nn_net_penalty(&tn.net);
			*p = pm;
			lm = nn_net_penalty(&tn.net);
			*p = orig;
			nu[i] = (lp - lm) / ((double) pp - pm);
			an[i] = tn.work.grads[i];
		}
		snprintf(what, sizeof(what), "penalty l1 %g l2 %g", l1s[k], l2s[k]);
		CHECK_GRAD(what, an, nu, n, 1e-5, 1e-4, 0.1);
		/* and exactly 0 off the weights */
		for (uint32_t l = 0; l < 2; l++)
			for (size_t i = nn_net_bias_offset(&tn.net, l);
				 i < nn_net_weight_offset(&tn.net, l + 1); i++)
				CHECK_MSG(tn.work.grads[i] == 0.0f, "%s: grads[%zu] = %g",
						  what, i, tn.work.grads[i]);
	}

	/* added to what is there; sign(0) = 0 */
	tn.net.reg.l1 = 0.5f;
	tn.net.reg.l2 = 0.25f;
	tn.net.params[0] = 0.0f;
	tn.net.params[1] = -2.0f;
	tn.net.params[2] = 4.0f;
	for (size_t i = 0; i < n; i++)
		tn.work.grads[i] = 1.0f;
	nn_net_regularize(&tn.net, tn.work.grads);
	CHECK(tn.work.grads[0] == 1.0f);
	CHECK_CLOSE(tn.work.grads[1], 1.0 - 0.5 - 1.0, 0, 1e-7);
	CHECK_CLOSE(tn.work.grads[2], 1.0 + 0.5 + 2.0, 0, 1e-7);
	CHECK(tn.work.grads[nn_net_bias_offset(&tn.net, 0)] == 1.0f);

	free(an);
	free(nu);
	tn_free(&tn);
}

/* set the gradient of one tensor to vals (repeated) */
static void
set_tensor(float *g, size_t lo, size_t hi, const float *vals, size_t nv)
{
	for (size_t i = lo; i < hi; i++)
		g[i] = vals[(i - lo) % nv];
}

static double
norm_of(const float *g, size_t lo, size_t hi)
{
	double		s = 0.0;

	for (size_t i = lo; i < hi; i++)
		s += (double) g[i] * g[i];
	return sqrt(s);
}

static void
test_clipping(void)
{
	TestNet		tn;
	NNNet	   *net;
	float	   *g;
	size_t		n,
				w0,
				b0,
				ga0,
				be0,
				w1,
				b1;

	if (!reg_net(&tn))
		return;
	net = &tn.net;
	g = tn.work.grads;
	n = net->n_params;
	/* W0 4 x 3, b0, gamma, beta 4 each, W1 2 x 4, b1 2 */
	w0 = nn_net_weight_offset(net, 0);
	b0 = nn_net_bias_offset(net, 0);
	ga0 = nn_net_gamma_offset(net, 0);
	be0 = nn_net_beta_offset(net, 0);
	w1 = nn_net_weight_offset(net, 1);
	b1 = nn_net_bias_offset(net, 1);
	CHECK(w0 == 0 && b0 == 12 && ga0 == 16 && be0 == 20 && w1 == 24 && b1 == 32);
	CHECK_EQ_INT(n, 34);

	/* clip_value: element-wise on every tensor; NaN stays NaN */
	net->reg.clip_value = 1.5f;
	for (size_t i = 0; i < n; i++)
		g[i] = (float) ((int) (i % 7) - 3);	/* -3 .. 3 */
	g[b1] = NAN;
	nn_net_regularize(net, g);
	for (size_t i = 0; i < n; i++)
	{
		float		v = (float) ((int) (i % 7) - 3);
		float		e = v > 1.5f ? 1.5f : (v < -1.5f ? -1.5f : v);

		if (i == b1)
			CHECK(isnan(g[i]));
		else
			CHECK_MSG(g[i] == e, "clip_value: g[%zu] = %g, expected %g", i, g[i], e);
	}
	net->reg.clip_value = 0.0f;

	/*
	 * clip_norm: per tensor.  W0 is (3, 4) repeated 6 times: norm
	 * 5 sqrt(6); b0 (0.3, 0.4, 0, 0) norm 0.5 stays; gamma (2, 0, 0, 0)
	 * norm 2; beta (0, 0, 0, -3) norm 3; W1 (1) x 8: norm sqrt(8); b1
	 * (-6, 8) norm 10.
	 */
	set_tensor(g, w0, b0, (float[]) {3, 4}, 2);
	set_tensor(g, b0, ga0, (float[]) {0.3f, 0.4f, 0, 0}, 4);
	set_tensor(g, ga0, be0, (float[]) {2, 0, 0, 0}, 4);
	set_tensor(g, be0, w1, (float[]) {0, 0, 0, -3}, 4);
	set_tensor(g, w1, b1, (float[]) {1}, 1);
	set_tensor(g, b1, n, (float[]) {-6, 8}, 2);
	net->reg.clip_norm = 1.0f;
	nn_net_regularize(net, g);
	for (size_t i = w0; i < b0; i++)
		CHECK_CLOSE(g[i], (i % 2 ? 4.0 : 3.0) / (5 * sqrt(6.0)), 0, 1e-6);
	CHECK(g[b0] == 0.3f && g[b0 + 1] == 0.4f && g[b0 + 2] == 0.0f);
	CHECK_CLOSE(g[ga0], 1.0, 0, 1e-7);
	CHECK(g[ga0 + 1] == 0.0f);
	CHECK(g[be0] == 0.0f);
	CHECK_CLOSE(g[be0 + 3], -1.0, 0, 1e-7);
	for (size_t i = w1; i < b1; i++)
		CHECK_CLOSE(g[i], 1.0 / sqrt(8.0), 0, 1e-6);
	CHECK_CLOSE(g[b1], -0.6, 0, 1e-6);
	CHECK_CLOSE(g[b1 + 1], 0.8, 0, 1e-6);
	net->reg.clip_norm = 0.0f;

	/* clip_global_norm: all tensors together, norm sqrt(34) * 2 -> 1 */
	for (size_t i = 0; i < n; i++)
		g[i] = i % 2 ? 2.0f : -2.0f;
	net->reg.clip_global_norm = 1.0f;
	nn_net_regularize(net, g);
	for (size_t i = 0; i < n; i++)
		CHECK_CLOSE(g[i], (i % 2 ? 1.0 : -1.0) / sqrt(34.0), 0, 1e-6);
	CHECK_CLOSE(norm_of(g, 0, n), 1.0, 0, 1e-6);
	/* within the limit: untouched */
	nn_net_regularize(net, g);
	CHECK_CLOSE(g[0], -1.0 / sqrt(34.0), 0, 1e-7);

	/*
	 * All together, in order: penalty, then values, then tensor norms,
	 * then the global norm; any other order gives other values.  W1 = 1
	 * everywhere with l2 0.5 adds 1 to its gradient (2, -2, 2, ...):
	 * (3, -1, ...), clipped to (2.5, -1, ...), tensor norm sqrt(29) -> 1.
	 * b1 (1, 1) has no penalty, tensor norm sqrt(2) -> 1.  The rest is 0.
	 * Global norm sqrt(2) -> 1: W1 (2.5, -1, ...) / sqrt(58), b1 (0.5, 0.5).
	 */
	memset(net->params, 0, n * sizeof(float));
	for (size_t i = w1; i < b1; i++)
		net->params[i] = 1.0f;
	memset(g, 0, n * sizeof(float));
	for (size_t i = w1; i < b1; i++)
		g[i] = (i - w1) % 2 ? -2.0f : 2.0f;
	g[b1] = g[b1 + 1] = 1.0f;
	net->reg.l2 = 0.5f;
	net->reg.clip_value = 2.5f;
	net->reg.clip_norm = 1.0f;
	net->reg.clip_global_norm = 1.0f;
	nn_net_regularize(net, g);
	for (size_t i = 0; i < n; i++)
	{
		double		e = i >= b1 ? 0.5 :
			i >= w1 ? ((i - w1) % 2 ? -1.0 : 2.5) / sqrt(58.0) : 0.0;

		CHECK_MSG(harness_close(g[i], e, 1e-7, 1e-6),
				  "all clipping: g[%zu] = %.9g, expected %.9g", i, g[i], e);
	}
	tn_free(&tn);
}

/* ------------------------------------------------ training step */

/*
 * nn_net_train_batch equals its definition: nn_net_gradient,
 * nn_net_regularize, then each tensor's optimizer update with learning
 * rate opt.learning_rate * lr_factor and decay on weights only, then the
 * running statistics; for every optimizer, with batch normalization,
 * dropout, penalties and clipping on, over three steps.
 */
static void
test_train_batch_definition(void)
{
	uint32_t	w[4] = {3, 5, 4, 2};
	const size_t B = 4;

	for (int o = 0; o < NN_OPT_COUNT; o++)
	{
		NNOptimizer opt = (NNOptimizer) o;
		TestNet		tn,
					ref;
		NNRng		rng,
					r1,
					r2;
		float		x[4 * 3],
					t[4 * 2],
					wt[4] = {1, 0.5f, 2, 1};
		size_t		np;
		size_t		slots = nn_optimizer_state_per_param(opt);
		int			bad = 0;

		tn_init(&tn, 3, w, NN_ACT_RELU, NN_LOSS_HUBER, opt, 0);
		nn_dense_mut(&tn.net, 0)->batch_norm = 1;
		nn_dense_mut(&tn.net, 1)->dropout = 0.25f;
		tn.net.reg.l1 = 1e-3f;
		tn.net.reg.l2 = 1e-2f;
		tn.net.reg.clip_value = 0.5f;
		tn.net.reg.clip_norm = 0.8f;
		tn.net.reg.clip_global_norm = 1.0f;
		tn.net.opt.weight_decay = 0.1f;		/* used by AdamW only */
		tn.net.opt.learning_rate *= 3;
		tn.net.lr_factor = 0.5f;
		ref = tn;
		if (!tn_alloc(&tn, B) || !tn_alloc(&ref, B))
			return;
		np = tn.net.n_params;
		nn_rng_seed(&rng, 31 + o);
		nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
		fill_uniform(&rng, x, B * 3, -1, 1);
		fill_uniform(&rng, t, B * 2, -1, 1);
		memcpy(ref.net.params, tn.net.params, np * sizeof(float));
		memcpy(ref.net.stats, tn.net.stats, tn.net.n_stats * sizeof(float));
		nn_rng_seed(&r1, 5);
		nn_rng_seed(&r2, 5);

		for (int step = 1; step <= 3; step++)
		{
			double		l1 = nn_net_train_batch(&tn.net, &tn.work, x, t, wt, B, &r1);
			double		l2 = nn_net_gradient(&ref.net, &ref.work, x, t, wt, B, &r2);
			float		lr = ref.net.opt.learning_rate * ref.net.lr_factor;
			float	   *state = ref.net.opt_state;

			CHECK_CLOSE(l1, l2, 0, 1e-6);
			nn_net_regularize(&ref.net, ref.work.grads);
			for (uint32_t l = 0; l < 3; l++)
			{
				size_t		tensors[5] = {
					nn_net_weight_offset(&ref.net, l),
					nn_net_bias_offset(&ref.net, l),
					nn_dense(&ref.net, l)->batch_norm ? nn_net_gamma_offset(&ref.net, l) : 0,
					nn_dense(&ref.net, l)->batch_norm ? nn_net_beta_offset(&ref.net, l) : 0,
					nn_net_weight_offset(&ref.net, l + 1)
				};
				size_t		lo = tensors[0];

				for (int k = 1; k < 5; k++)
				{
					size_t		hi = tensors[k];

					if (hi == 0)
						continue;
					nn_optimizer_step(opt, &ref.net.opt, lr, ref.net.params + lo,
									  ref.work.grads + lo,
									  state != NULL ? state + lo : NULL,
									  hi - lo, np, (uint64_t) step, k == 1);
					lo = hi;
				}
			}
			/* running statistics from the batch's */
			for (uint32_t c = 0; c < 5; c++)
			{
				double		s = nn_dense_work(&ref.net, &ref.work, 0).bn_inv_std[c];
				float	   *st = ref.net.stats;

				st[c] = 0.9f * st[c] + 0.1f * nn_dense_work(&ref.net, &ref.work, 0).bn_mean[c];
				st[5 + c] = (float) (0.9 * st[5 + c] +
									 0.1 * (1.0 / (s * s) - NN_BN_EPSILON));
			}
			CHECK_EQ_INT(tn.net.opt_step, step);
			for (size_t i = 0; i < np; i++)
				bad += !CHECK_MSG(harness_close(tn.net.params[i], ref.net.params[i],
												1e-7, 1e-6),
								  "%s step %d: params[%zu] = %.9g, expected %.9g",
								  nn_optimizer_name(opt), step, i,
								  tn.net.params[i], ref.net.params[i]);
			for (size_t i = 0; i < np * slots; i++)
				bad += !CHECK_MSG(harness_close(tn.net.opt_state[i],
												ref.net.opt_state[i], 1e-9, 1e-6),
								  "%s step %d: opt_state[%zu]",
								  nn_optimizer_name(opt), step, i);
			for (size_t i = 0; i < tn.net.n_stats; i++)
				bad += !CHECK_MSG(harness_close(tn.net.stats[i], ref.net.stats[i],
												1e-7, 1e-5),
								  "%s step %d: stats[%zu] = %.9g, expected %.9g",
								  nn_optimizer_name(opt), step, i,
								  tn.net.stats[i], ref.net.stats[i]);
			if (bad > 5)
				break;
		}
		tn_free(&tn);
		tn_free(&ref);
	}
}

/* SGD by hand: p -= lr * lr_factor * grad, on every tensor alike */
static void
test_sgd_step(void)
{
	uint32_t	w[3] = {2, 3, 2};
	TestNet		tn;
	NNRng		rng;
	float		x[6] = {0.5f, -1, 1, 0.25f, -0.5f, 2};
	float		t[3] = {0, 1, 1};
	float	   *before;
	double		sum;

	tn_init(&tn, 2, w, NN_ACT_TANH, NN_LOSS_CROSS_ENTROPY, NN_OPT_SGD, 0.5f);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	tn.net.lr_factor = 0.5f;
	tn.net.opt.weight_decay = 0.5f;		/* not SGD's */
	if (!tn_alloc(&tn, 3))
		return;
	nn_rng_seed(&rng, 8);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	before = xcalloc(tn.net.n_params, sizeof(float));
	memcpy(before, tn.net.params, tn.net.n_params * sizeof(float));
	sum = nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, 3, NULL);
	CHECK(isfinite(sum) && sum > 0);
	CHECK_EQ_INT(tn.net.opt_step, 1);
	for (size_t i = 0; i < tn.net.n_params; i++)
		CHECK_CLOSE(tn.net.params[i], before[i] - 0.25f * tn.work.grads[i],
					1e-7, 1e-6);
	nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, 3, NULL);
	CHECK_EQ_INT(tn.net.opt_step, 2);
	free(before);
	tn_free(&tn);
}

/*
 * AdamW through the network: with a zero gradient (a zero-weighted batch)
 * only the decay moves anything, and it moves exactly the weights, by the
 * factor 1 - lr wd.
 */
static void
test_adamw_decays_weights_only(void)
{
	uint32_t	w[3] = {2, 3, 1};
	TestNet		tn;
	NNRng		rng;
	float		x[4] = {1, 2, 3, 4},
				t[2] = {1, 0},
				wt[2] = {0, 0};
	float	   *before;
	const float keep = 1.0f - 0.01f * 0.5f * 0.2f;

	tn_init(&tn, 2, w, NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY, NN_OPT_ADAMW,
			0.01f);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	tn.net.opt.weight_decay = 0.2f;
	tn.net.lr_factor = 0.5f;
	if (!tn_alloc(&tn, 2))
		return;
	nn_rng_seed(&rng, 4);
	fill_uniform(&rng, tn.net.params, tn.net.n_params, -1, 1);
	before = xcalloc(tn.net.n_params, sizeof(float));
	memcpy(before, tn.net.params, tn.net.n_params * sizeof(float));
	nn_net_train_batch(&tn.net, &tn.work, x, t, wt, 2, NULL);
	for (uint32_t l = 0; l < 2; l++)
	{
		size_t		wo = nn_net_weight_offset(&tn.net, l);
		size_t		bo = nn_net_bias_offset(&tn.net, l);

		for (size_t i = wo; i < bo; i++)
			CHECK_MSG(tn.net.params[i] == keep * before[i],
					  "weight %zu: %.9g, expected %.9g", i, tn.net.params[i],
					  keep * before[i]);
		for (size_t i = bo; i < nn_net_weight_offset(&tn.net, l + 1); i++)
			CHECK_MSG(tn.net.params[i] == before[i], "param %zu moved", i);
	}
	free(before);
	tn_free(&tn);
}

/*
 * The running statistics after training steps: running = 0.9 running +
 * 0.1 batch, for the batch mean and biased variance of the layer's z,
 * computed here independently from the parameters before each step.
 */
static void
test_running_stats(void)
{
	uint32_t	w[3] = {3, 4, 1};
	const size_t B = 5;
	TestNet		tn;
	NNRng		rng;
	float		x[5 * 3],
				t[5],
				z[5 * 4];
	double		rm[4] = {0, 0, 0, 0},
				rv[4] = {1, 1, 1, 1};

	tn_init(&tn, 2, w, NN_ACT_RELU, NN_LOSS_MSE, NN_OPT_ADAM, 0.05f);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	if (!tn_alloc(&tn, B))
		return;
	nn_rng_seed(&rng, 6);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	/* a bias offset, so that the mean is far from 0 */
	for (int i = 0; i < 4; i++)
		tn.net.params[12 + i] = 3.0f + i;
	fill_uniform(&rng, x, B * 3, -1, 1);
	fill_uniform(&rng, t, B, -1, 1);

	for (int step = 0; step < 3; step++)
	{
		nn_dense_forward(x, tn.net.params, tn.net.params + 12, z, B, 3, 4);
		for (size_t c = 0; c < 4; c++)
		{
			double		m = 0,
						v = 0;

			for (size_t r = 0; r < B; r++)
				m += z[r * 4 + c] / (double) B;
			for (size_t r = 0; r < B; r++)
				v += (z[r * 4 + c] - m) * (z[r * 4 + c] - m) / (double) B;
			rm[c] = NN_BN_MOMENTUM * rm[c] + (1 - NN_BN_MOMENTUM) * m;
			rv[c] = NN_BN_MOMENTUM * rv[c] + (1 - NN_BN_MOMENTUM) * v;
		}
		nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, B, NULL);
		for (size_t c = 0; c < 4; c++)
		{
			CHECK_CLOSE(tn.net.stats[c], rm[c], 1e-6, 1e-5);
			CHECK_CLOSE(tn.net.stats[4 + c], rv[c], 1e-6, 1e-4);
		}
	}
	CHECK(tn.net.stats[0] > 0.5);	/* the means moved towards ~3 */

	/* a constant unit has variance 0: the running variance decays, >= 0 */
	{
		float		xc[5 * 3];

		for (size_t i = 0; i < B * 3; i++)
			xc[i] = 1.0f;
		for (int step = 0; step < 200; step++)
			nn_net_train_batch(&tn.net, &tn.work, xc, t, NULL, B, NULL);
		for (size_t c = 0; c < 4; c++)
			CHECK_MSG(tn.net.stats[4 + c] >= 0.0f && tn.net.stats[4 + c] < 1e-6f,
					  "var[%zu] = %g", c, tn.net.stats[4 + c]);
	}
	tn_free(&tn);
}

/* training entry points refuse an inference workspace or a batch too big */
static void
test_guards(void)
{
	uint32_t	w[3] = {2, 3, 1};
	TestNet		tn;
	NNWork		inf;
	float		x[8] = {0},
				t[4] = {0};
	float	   *inf_buf;
	float		p0;

	if (!tn_create(&tn, 2, w, NN_ACT_TANH, NN_LOSS_MSE, NN_OPT_SGD, 0.1f, 2))
		return;
	tn.net.params[0] = 0.5f;
	p0 = tn.net.params[0];
	inf_buf = xcalloc(nn_work_floats(&tn.net, 4, false), sizeof(float));
	nn_work_bind(&inf, &tn.net, inf_buf, 4, false);
	CHECK(isnan(nn_net_gradient(&tn.net, &inf, x, t, NULL, 2, NULL)));
	CHECK(isnan(nn_net_train_batch(&tn.net, &inf, x, t, NULL, 2, NULL)));
	CHECK(isnan(nn_net_gradient(&tn.net, &tn.work, x, t, NULL, 3, NULL)));
	CHECK(isnan(nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, 3, NULL)));
	CHECK(isnan(nn_net_gradient(&tn.net, &tn.work, x, t, NULL, 0, NULL)));
	CHECK(tn.net.params[0] == p0 && tn.net.opt_step == 0);
	CHECK(isfinite(nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, 2, NULL)));
	CHECK_EQ_INT(tn.net.opt_step, 1);
	free(inf_buf);
	tn_free(&tn);
}

/* ------------------------------------------------ learning XOR */

/*
 * XOR: the loss must fall well below its start and every point must be
 * classified right.  16 hidden units: with 8, ReLU nets get stuck (dead
 * units) for ~10% of seeds; with 16 about 0.5%.  The seeds here learn with
 * a wide margin, so the test is not fragile.
 */
static void
xor_case(NNOptimizer opt, float lr, NNActivation hidden, NNLoss loss,
		 int steps, bool bn, uint64_t seed)
{
	static const float x[8] = {0, 0, 0, 1, 1, 0, 1, 1};
	static const float xor[4] = {0, 1, 1, 0};
	uint32_t	out = loss == NN_LOSS_CROSS_ENTROPY ? 2 : 1;
	uint32_t	w[3] = {2, 16, out};
	TestNet		tn;
	NNRng		rng;
	float		t[4];
	double		first,
				last = 0.0;
	const float *y;
	int			correct = 0;

	memcpy(t, xor, sizeof(t));
	/* regression targets centred, so that identity outputs need no offset */
	if (nn_loss_is_regression(loss))
		for (int i = 0; i < 4; i++)
			t[i] = 2 * xor[i] - 1;
	tn_init(&tn, 2, w, hidden, loss, opt, lr);
	nn_dense_mut(&tn.net, 0)->batch_norm = bn;
	if (!tn_alloc(&tn, 4))
		return;
	nn_rng_seed(&rng, seed);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	first = nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, 4, NULL) / 4;
	for (int s = 1; s < steps; s++)
		last = nn_net_train_batch(&tn.net, &tn.work, x, t, NULL, 4, NULL) / 4;
	CHECK_EQ_INT(tn.net.opt_step, steps);
	CHECK(nn_all_finite(tn.net.params, tn.net.n_params));

	y = nn_net_forward(&tn.net, &tn.work, x, 4);
	for (int i = 0; i < 4; i++)
	{
		int			pred;

		if (loss == NN_LOSS_CROSS_ENTROPY)
			pred = y[2 * i + 1] > y[2 * i];
		else if (loss == NN_LOSS_BINARY_CROSS_ENTROPY)
			pred = y[i] > 0.5f;
		else
			pred = y[i] > 0.0f;
		correct += pred == (int) xor[i];
	}
	if (harness_verbose())
		printf("    info: XOR %s lr %g %s/%s%s: mean loss %.4g -> %.4g (ratio %.3g)\n",
			   nn_optimizer_name(opt), tn.net.opt.learning_rate,
			   nn_activation_name(hidden), nn_loss_name(loss), bn ? "/bn" : "",
			   first, last, last / first);
	CHECK_MSG(last < 0.05 * first && last < 0.05,
			  "XOR %s %s/%s: mean loss %.4g -> %.4g after %d steps",
			  nn_optimizer_name(opt), nn_activation_name(hidden),
			  nn_loss_name(loss), first, last, steps);
	CHECK_MSG(correct == 4, "XOR %s %s/%s: %d of 4 right after %d steps",
			  nn_optimizer_name(opt), nn_activation_name(hidden),
			  nn_loss_name(loss), correct, steps);
	tn_free(&tn);
}

static void
test_xor_adam(void)
{
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY, 400, false, 1);
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_RELU, NN_LOSS_CROSS_ENTROPY, 400, false, 2);
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_TANH, NN_LOSS_MSE, 400, false, 3);
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_LEAKY_RELU, NN_LOSS_BINARY_CROSS_ENTROPY, 400, false, 4);
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_SIGMOID, NN_LOSS_CROSS_ENTROPY, 400, false, 5);
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_TANH, NN_LOSS_HUBER, 400, false, 6);
	/*
	 * MAE's gradient does not shrink near the optimum, so with a fixed
	 * rate the loss hovers at a level that scales with it (at 0.05, ratios
	 * 0.03-0.08 over seeds); at 0.005 the ratio is below 0.01 for all the
	 * eight seeds tried.
	 */
	xor_case(NN_OPT_ADAM, 0.005f, NN_ACT_TANH, NN_LOSS_MAE, 3000, false, 7);
	xor_case(NN_OPT_ADAM, 0.05f, NN_ACT_RELU, NN_LOSS_BINARY_CROSS_ENTROPY, 400, true, 8);
}

/*
 * Every optimizer at its default learning rate, tanh and ReLU.  Steps to
 * reach the criterion over seeds 40..51 (tanh / ReLU): SGD 8.6k-12.5k /
 * 3.8k-6.2k, Adagrad 2.9k-4k / 4.3k-14k, Adam, AdamW, RMSprop 1k-1.4k /
 * 1k-2.5k, momentum and Nesterov 0.9k-1.3k / 0.4k-0.7k, Adadelta
 * 0.2k-0.3k / 0.2k-0.5k.  The budgets leave about a factor of 2.
 */
static void
test_xor_optimizers(void)
{
	static const int budget[NN_OPT_COUNT] = {
		[NN_OPT_SGD] = 25000,
		[NN_OPT_ADAM] = 5000,
		[NN_OPT_MOMENTUM] = 3000,
		[NN_OPT_NESTEROV] = 3000,
		[NN_OPT_RMSPROP] = 5000,
		[NN_OPT_ADAGRAD] = 30000,
		[NN_OPT_ADADELTA] = 1000,
		[NN_OPT_ADAMW] = 5000,
	};

	for (int o = 0; o < NN_OPT_COUNT; o++)
	{
		xor_case((NNOptimizer) o, 0, NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY,
				 budget[o], false, 40 + o);
		xor_case((NNOptimizer) o, 0, NN_ACT_RELU, NN_LOSS_BINARY_CROSS_ENTROPY,
				 budget[o], false, 50 + o);
	}
}

/* ------------------------------------------------ small helpers */

static void
test_helpers(void)
{
	float		x[6] = {1, 10, 3, 20, 5, 30};
	const float mean[2] = {3, 20};
	const float sd[2] = {2, 10};
	float		v[3] = {1, 2, 3};

	nn_standardize_rows(x, mean, sd, 3, 2);
	CHECK(x[0] == -1 && x[1] == -1 && x[2] == 0 && x[3] == 0 &&
		  x[4] == 1 && x[5] == 1);
	CHECK(nn_all_finite(v, 3));
	CHECK(nn_all_finite(v, 0));
	v[1] = NAN;
	CHECK(!nn_all_finite(v, 3));
	CHECK(nn_all_finite(v, 1));
	v[1] = -INFINITY;
	CHECK(!nn_all_finite(v, 3));
}

/*
 * nn_net_state_finite covers every float a model stores: parameters,
 * running statistics and all of the optimizer state (two slots per
 * parameter for Adam); the last float of each is made NaN in turn.
 */
static void
test_state_finite(void)
{
	uint32_t	w[3] = {3, 4, 2};
	TestNet		tn;
	float	   *last[3];

	tn_init(&tn, 2, w, NN_ACT_RELU, NN_LOSS_MSE, NN_OPT_ADAM, 0);
	nn_dense_mut(&tn.net, 0)->batch_norm = 1;
	if (!tn_alloc(&tn, 4))
		return;
	last[0] = tn.net.params + tn.net.n_params - 1;
	last[1] = tn.net.stats + tn.net.n_stats - 1;
	last[2] = tn.net.opt_state + nn_net_state_floats(&tn.net) - 1;
	CHECK(nn_net_state_finite(&tn.net));
	for (int i = 0; i < 3; i++)
	{
		*last[i] = NAN;
		CHECK_MSG(!nn_net_state_finite(&tn.net), "NaN in array %d not seen", i);
		*last[i] = 0.0f;
	}
	CHECK(nn_net_state_finite(&tn.net));
	tn_free(&tn);
}

/* nn_all_finite scans in blocks: a bad value anywhere, edges included */
static void
test_all_finite_blocks(void)
{
#define N_VALUES 1000
	static float v[N_VALUES];
	const size_t at[] = {0, 1, 255, 256, 257, 511, 512, 998, 999};
	const float bad[] = {NAN, -NAN, INFINITY, -INFINITY};

	for (size_t i = 0; i < N_VALUES; i++)
		v[i] = (i % 3 == 0) ? FLT_MAX : (i % 3 == 1) ? -FLT_MIN / 4 : -0.0f;
	CHECK(nn_all_finite(v, N_VALUES));
	for (size_t a = 0; a < sizeof(at) / sizeof(at[0]); a++)
		for (size_t b = 0; b < sizeof(bad) / sizeof(bad[0]); b++)
		{
			float		keep = v[at[a]];

			v[at[a]] = bad[b];
			CHECK(!nn_all_finite(v, N_VALUES));
			CHECK(nn_all_finite(v, at[a]));
			CHECK(at[a] + 1 == N_VALUES || nn_all_finite(v + at[a] + 1, N_VALUES - at[a] - 1));
			v[at[a]] = keep;
		}
}

int
main(void)
{
	RUN_TEST(test_layout_limits);
	RUN_TEST(test_all_finite_blocks);
	RUN_TEST(test_layout_valid);
	RUN_TEST(test_layout_options);
	RUN_TEST(test_work_bind);
	RUN_TEST(test_init_names);
	RUN_TEST(test_init_determinism);
	RUN_TEST(test_init_draws);
	RUN_TEST(test_init_scale);
	RUN_TEST(test_forward_layers);
	RUN_TEST(test_forward_batchnorm_hand);
	RUN_TEST(test_forward_reference);
	RUN_TEST(test_forward_row);
	RUN_TEST(test_train_forward_batchnorm);
	RUN_TEST(test_train_batchnorm_wide_far);
	RUN_TEST(test_dropout_masks);
	RUN_TEST(test_dropout_odd);
	RUN_TEST(test_grad_plain);
	RUN_TEST(test_grad_batchnorm);
	RUN_TEST(test_grad_dropout);
	RUN_TEST(test_grad_batchnorm_dropout);
	RUN_TEST(test_grad_weighted);
	RUN_TEST(test_grad_shapes);
	RUN_TEST(test_penalty);
	RUN_TEST(test_clipping);
	RUN_TEST(test_train_batch_definition);
	RUN_TEST(test_sgd_step);
	RUN_TEST(test_adamw_decays_weights_only);
	RUN_TEST(test_running_stats);
	RUN_TEST(test_guards);
	RUN_TEST(test_xor_adam);
	RUN_TEST(test_xor_optimizers);
	RUN_TEST(test_helpers);
	RUN_TEST(test_state_finite);
	return harness_finish("test_network");
}
