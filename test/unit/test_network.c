/*
 * test_network.c - layout limits, seeded initialization, a full-network
 * finite-difference check of nn_net_gradient, and training on XOR.
 */
#include "dense.h"
#include "harness.h"
#include "network.h"

typedef struct TestNet
{
	NNNet		net;
	NNWork		work;
	float	   *buf;
	size_t		max_batch;
} TestNet;

/*
 * Build a network: widths has n_layers + 1 entries, hidden activation for
 * all but the last layer, out_act for the last.  Returns false (after a
 * failed check) when the layout is rejected.
 */
static bool
tn_create(TestNet *tn, uint32_t n_layers, const uint32_t *widths,
		  NNActivation hidden, NNActivation out_act, NNLoss loss,
		  NNOptimizer opt, float lr, size_t max_batch)
{
	const char *msg;

	memset(tn, 0, sizeof(*tn));
	tn->net.n_layers = n_layers;
	for (uint32_t l = 0; l <= n_layers; l++)
		tn->net.widths[l] = widths[l];
	for (uint32_t l = 0; l < n_layers; l++)
		tn->net.act[l] = (uint8_t) (l + 1 < n_layers ? hidden : out_act);
	tn->net.loss = loss;
	tn->net.optimizer = opt;
	tn->net.opt.learning_rate = lr;
	tn->net.opt.beta1 = 0.9f;
	tn->net.opt.beta2 = 0.999f;
	tn->net.opt.epsilon = 1e-8f;
	tn->net.batch_size = (uint32_t) max_batch;
	msg = nn_net_layout(&tn->net);
	if (!CHECK_MSG(msg == NULL, "layout rejected: %s", msg))
		return false;
	tn->net.params = xcalloc(tn->net.n_params, sizeof(float));
	tn->net.opt_state = nn_net_state_floats(&tn->net) > 0 ?
		xcalloc(nn_net_state_floats(&tn->net), sizeof(float)) : NULL;
	tn->max_batch = max_batch;
	tn->buf = xcalloc(nn_work_floats(&tn->net, max_batch, true), sizeof(float));
	nn_work_bind(&tn->work, &tn->net, tn->buf, max_batch, true);
	return true;
}

static void
tn_free(TestNet *tn)
{
	free(tn->net.params);
	free(tn->net.opt_state);
	free(tn->buf);
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
		net.widths[l] = widths[l];
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
}

static void
test_layout_valid(void)
{
	NNNet		net;
	uint32_t	w[3] = {2, 3, 1};
	uint32_t	w2[4] = {4, 5, 6, 3};

	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	memcpy(net.widths, w, sizeof(w));
	net.optimizer = NN_OPT_ADAM;
	CHECK(nn_net_layout(&net) == NULL);
	/* 3 x 2 + 3, then 1 x 3 + 1 */
	CHECK_EQ_INT(net.n_params, 13);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 0), 0);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 0), 6);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 1), 9);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 1), 12);
	CHECK_EQ_INT(nn_net_weight_offset(&net, 2), 13);
	CHECK_EQ_INT(nn_net_outputs(&net), 1);
	CHECK_EQ_INT(nn_net_state_floats(&net), 26);
	net.optimizer = NN_OPT_SGD;
	CHECK_EQ_INT(nn_net_state_floats(&net), 0);
	/* activations of widths 3 and 1 per row; training adds 2 x 4 x 3 + 13 */
	CHECK_EQ_INT(nn_work_floats(&net, 4, false), 16);
	CHECK_EQ_INT(nn_work_floats(&net, 4, true), 16 + 24 + 13);

	memset(&net, 0, sizeof(net));
	net.n_layers = 3;
	memcpy(net.widths, w2, sizeof(w2));
	CHECK(nn_net_layout(&net) == NULL);
	CHECK_EQ_INT(net.n_params, 25 + 36 + 21);
	CHECK_EQ_INT(nn_net_bias_offset(&net, 2), 25 + 36 + 18);
	CHECK_EQ_INT(nn_net_outputs(&net), 3);
}

/* work buffers do not overlap, and fit in nn_work_floats */
static void
test_work_bind(void)
{
	TestNet		tn;
	uint32_t	w[4] = {3, 7, 2, 4};
	float	   *end;

	if (!tn_create(&tn, 3, w, NN_ACT_TANH, NN_ACT_SOFTMAX,
				   NN_LOSS_CROSS_ENTROPY, NN_OPT_ADAM, 0.01f, 5))
		return;
	end = tn.buf + nn_work_floats(&tn.net, 5, true);
	CHECK(tn.work.max_batch == 5);
	CHECK(tn.work.acts[1] == tn.buf);
	CHECK(tn.work.acts[2] == tn.work.acts[1] + 5 * 7);
	CHECK(tn.work.acts[3] == tn.work.acts[2] + 5 * 2);
	CHECK(tn.work.delta_a >= tn.work.acts[3] + 5 * 4);
	CHECK(tn.work.delta_b >= tn.work.delta_a + 5 * 7);
	CHECK(tn.work.grads >= tn.work.delta_b + 5 * 7);
	CHECK(tn.work.grads + tn.net.n_params <= end);

	/* inference binding has no training buffers */
	{
		NNWork		inf;

		nn_work_bind(&inf, &tn.net, tn.buf, 5, false);
		CHECK(inf.delta_a == NULL && inf.delta_b == NULL && inf.grads == NULL);
		CHECK(inf.acts[3] + 5 * 4 == tn.buf + nn_work_floats(&tn.net, 5, false));
	}
	tn_free(&tn);
}

/* ------------------------------------------------------------ init */

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

	if (!tn_create(&a, 3, w, NN_ACT_RELU, NN_ACT_SOFTMAX,
				   NN_LOSS_CROSS_ENTROPY, NN_OPT_ADAM, 0.01f, 1) ||
		!tn_create(&b, 3, w, NN_ACT_RELU, NN_ACT_SOFTMAX,
				   NN_LOSS_CROSS_ENTROPY, NN_OPT_ADAM, 0.01f, 1) ||
		!tn_create(&c, 3, w, NN_ACT_RELU, NN_ACT_SOFTMAX,
				   NN_LOSS_CROSS_ENTROPY, NN_OPT_ADAM, 0.01f, 1))
		return;
	/* garbage everywhere init must write */
	for (size_t i = 0; i < a.net.n_params; i++)
		a.net.params[i] = b.net.params[i] = c.net.params[i] = 99.0f;
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
	for (size_t i = 0; i < nn_net_state_floats(&a.net); i++)
		CHECK_MSG(a.net.opt_state[i] == 0.0f, "opt_state[%zu] = %g", i,
				  a.net.opt_state[i]);
	CHECK_EQ_INT(a.net.opt_step, 0);

	/* SGD has no optimizer state: init must cope with opt_state == NULL */
	{
		TestNet		s;
		NNRng		rs;

		if (tn_create(&s, 3, w, NN_ACT_RELU, NN_ACT_SOFTMAX,
					  NN_LOSS_CROSS_ENTROPY, NN_OPT_SGD, 0.01f, 1))
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

static double
layer_weight_variance(const NNNet *net, uint32_t l)
{
	size_t		n = (size_t) net->widths[l] * net->widths[l + 1];
	const float *w = net->params + nn_net_weight_offset(net, l);
	double		s = 0.0,
				s2 = 0.0;

	for (size_t i = 0; i < n; i++)
	{
		s += w[i];
		s2 += (double) w[i] * w[i];
	}
	return s2 / n - (s / n) * (s / n);
}

/* He (2/in) for rectifiers, Xavier (2/(in+out)) otherwise, or as forced */
static void
test_init_scale(void)
{
	uint32_t	w[3] = {400, 200, 100};
	TestNet		tn;
	NNRng		rng;

	if (!tn_create(&tn, 2, w, NN_ACT_RELU, NN_ACT_TANH, NN_LOSS_MSE,
				   NN_OPT_SGD, 0.01f, 1))
		return;
	nn_rng_seed(&rng, 1);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	CHECK_CLOSE(layer_weight_variance(&tn.net, 0), 2.0 / 400, 0, 0.05);
	CHECK_CLOSE(layer_weight_variance(&tn.net, 1), 2.0 / 300, 0, 0.05);
	nn_net_init_params(&tn.net, NN_INIT_XAVIER, &rng);
	CHECK_CLOSE(layer_weight_variance(&tn.net, 0), 2.0 / 600, 0, 0.05);
	nn_net_init_params(&tn.net, NN_INIT_HE, &rng);
	CHECK_CLOSE(layer_weight_variance(&tn.net, 1), 2.0 / 200, 0, 0.05);
	tn_free(&tn);
}

/* ------------------------------------------------ forward consistency */

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

	if (!tn_create(&tn, 3, w, NN_ACT_SIGMOID, NN_ACT_SOFTMAX,
				   NN_LOSS_CROSS_ENTROPY, NN_OPT_SGD, 0.1f, 5))
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

/* ------------------------------------------------ gradient check */

static NNActivation
output_act_for(NNLoss loss)
{
	return loss == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX :
		loss == NN_LOSS_BINARY_CROSS_ENTROPY ? NN_ACT_SIGMOID : NN_ACT_IDENTITY;
}

static double
mean_loss(TestNet *tn, const float *x, const float *t, size_t batch)
{
	const float *y = nn_net_forward(&tn->net, &tn->work, x, batch);

	return nn_loss_compute(tn->net.loss, y, t, NULL, batch,
						   nn_net_outputs(&tn->net)) / (double) batch;
}

/*
 * Smallest |pre-activation| over the hidden layers, for the current params
 * and input: a finite-difference step must not carry any unit across the
 * kink of a rectifier.
 */
static double
hidden_margin(TestNet *tn, const float *x, size_t batch)
{
	const NNNet *n = &tn->net;
	double		margin = INFINITY;
	uint32_t	maxw = 0;
	float	   *z;

	for (uint32_t l = 0; l <= n->n_layers; l++)
		maxw = n->widths[l] > maxw ? n->widths[l] : maxw;
	z = xcalloc(batch * maxw, sizeof(float));

	nn_net_forward(n, &tn->work, x, batch);
	for (uint32_t l = 0; l + 1 < n->n_layers; l++)
	{
		size_t		out = n->widths[l + 1];

		nn_dense_forward(tn->work.acts[l], n->params + nn_net_weight_offset(n, l),
						 n->params + nn_net_bias_offset(n, l), z, batch,
						 n->widths[l], out);
		for (size_t i = 0; i < batch * out; i++)
			margin = fmin(margin, fabs(z[i]));
	}
	free(z);
	return margin;
}

/*
 * Central differences of the mean loss over every parameter, against
 * work->grads from nn_net_gradient.  The step 5e-3 is taken on the float
 * grid; rounding in the float forward pass is about 1e-7 of the loss, i.e.
 * ~1e-5 in the quotient, far below any real error.  Random parameters
 * (biases included) and inputs are redrawn, deterministically, until every
 * hidden pre-activation is at least 0.05 away from 0, so no step crosses a
 * ReLU kink.
 */
/* L2 norm of layer l's part (weights and biases) of a gradient */
static double
layer_norm(const NNNet *net, const float *g, uint32_t l)
{
	double		s = 0.0;

	for (size_t i = nn_net_weight_offset(net, l);
		 i < nn_net_weight_offset(net, l + 1); i++)
		s += (double) g[i] * g[i];
	return sqrt(s);
}

static void
grad_check_case(uint32_t n_layers, const uint32_t *widths, NNActivation hidden,
				NNLoss loss, size_t batch, uint64_t seed)
{
	const float h = 5e-3f;
	uint32_t	out = widths[n_layers];
	TestNet		tn;
	NNRng		rng;
	float	   *x = xcalloc(batch * widths[0], sizeof(float));
	float	   *t = xcalloc(batch * out, sizeof(float));
	double	   *an,
			   *nu;
	double		sum,
				margin = 0.0;
	int			tries = 0;
	char		what[160];

	if (!tn_create(&tn, n_layers, widths, hidden, output_act_for(loss), loss,
				   NN_OPT_SGD, 0.1f, batch))
	{
		free(x);
		free(t);
		return;
	}
	an = xcalloc(tn.net.n_params, sizeof(double));
	nu = xcalloc(tn.net.n_params, sizeof(double));
	nn_rng_seed(&rng, seed);
	do
	{
		nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
		/* non-zero biases, so that their role is exercised too */
		for (uint32_t l = 0; l < n_layers; l++)
			fill_uniform(&rng, tn.net.params + nn_net_bias_offset(&tn.net, l),
						 widths[l + 1], -0.5, 0.5);
		fill_uniform(&rng, x, batch * widths[0], -1.5, 1.5);
		for (size_t r = 0; r < batch; r++)
		{
			if (loss == NN_LOSS_CROSS_ENTROPY)
				t[r] = (float) nn_rng_below(&rng, out);
			else if (loss == NN_LOSS_BINARY_CROSS_ENTROPY)
				t[r] = (float) nn_rng_below(&rng, 2);
		}
		if (loss == NN_LOSS_MSE)
			fill_uniform(&rng, t, batch * out, -1, 1);
		margin = n_layers > 1 ? hidden_margin(&tn, x, batch) : INFINITY;
		/* also skip draws where a layer's gradient is tiny (mostly noise) */
		if (margin >= 0.05)
		{
			nn_net_gradient(&tn.net, &tn.work, x, t, batch);
			for (uint32_t l = 0; l < n_layers; l++)
				if (layer_norm(&tn.net, tn.work.grads, l) < 0.02)
					margin = 0.0;
		}
	} while (margin < 0.05 && ++tries < 1000);
	CHECK_MSG(margin >= 0.05, "no suitable draw in %d tries", tries);

	/* grads is overwritten, not accumulated */
	for (size_t i = 0; i < tn.net.n_params; i++)
		tn.work.grads[i] = 1000.0f;
	sum = nn_net_gradient(&tn.net, &tn.work, x, t, batch);
	CHECK_CLOSE(sum / (double) batch, mean_loss(&tn, x, t, batch), 1e-12, 1e-9);
	for (size_t i = 0; i < tn.net.n_params; i++)
		an[i] = tn.work.grads[i];

	for (size_t i = 0; i < tn.net.n_params; i++)
	{
		float	   *p = &tn.net.params[i];
		float		orig = *p,
					pp = orig + h,
					pm = orig - h;
		double		lp,
					lm;

		*p = pp;
		lp = mean_loss(&tn, x, t, batch);
		*p = pm;
		lm = mean_loss(&tn, x, t, batch);
		*p = orig;
		nu[i] = (lp - lm) / ((double) pp - pm);
	}
	snprintf(what, sizeof(what), "grad %u layers, hidden %s, %s, batch %zu",
			 n_layers, nn_activation_name(hidden), nn_loss_name(loss), batch);
	CHECK_GRAD(what, an, nu, tn.net.n_params, 1e-4, 1e-2, 1e-2);

	/*
	 * Layer by layer too, so that an error confined to a layer with a
	 * small gradient (typically the first) is not averaged away.
	 */
	for (uint32_t l = 0; l < n_layers; l++)
	{
		size_t		wo = nn_net_weight_offset(&tn.net, l);
		size_t		end = nn_net_weight_offset(&tn.net, l + 1);
		char		lw[200];

		snprintf(lw, sizeof(lw), "%s, layer %u", what, l);
		CHECK_GRAD(lw, an + wo, nu + wo, end - wo, 1e-4, 1e-2, 1e-2);
	}

	free(an);
	free(nu);
	free(x);
	free(t);
	tn_free(&tn);
}

static const NNActivation hidden_acts[] = {
	NN_ACT_IDENTITY, NN_ACT_SIGMOID, NN_ACT_TANH, NN_ACT_RELU,
	NN_ACT_LEAKY_RELU
};

static void
grad_check_loss(NNLoss loss, uint32_t out)
{
	for (size_t a = 0; a < sizeof(hidden_acts) / sizeof(hidden_acts[0]); a++)
	{
		/* 2 hidden layers of different widths, batch 3..5 */
		uint32_t	w[4] = {3, 5, 4, out};

		grad_check_case(3, w, hidden_acts[a], loss, 3 + a % 3, 100 + 10 * a + loss);
	}
}

static void
test_grad_softmax_cross_entropy(void)
{
	grad_check_loss(NN_LOSS_CROSS_ENTROPY, 3);
}

static void
test_grad_sigmoid_binary_cross_entropy(void)
{
	grad_check_loss(NN_LOSS_BINARY_CROSS_ENTROPY, 1);
}

static void
test_grad_identity_mse(void)
{
	grad_check_loss(NN_LOSS_MSE, 2);
}

/* other shapes: a single layer, batch 1 (sgemv), one hidden layer, deep */
static void
test_grad_shapes(void)
{
	uint32_t	w1[2] = {4, 3};
	uint32_t	w2[3] = {2, 6, 1};
	uint32_t	w5[6] = {3, 4, 3, 4, 3, 2};

	grad_check_case(1, w1, NN_ACT_IDENTITY, NN_LOSS_CROSS_ENTROPY, 4, 7);
	grad_check_case(1, w1, NN_ACT_IDENTITY, NN_LOSS_MSE, 1, 8);
	grad_check_case(2, w2, NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY, 1, 9);
	grad_check_case(3, (uint32_t[]) {3, 5, 4, 3}, NN_ACT_LEAKY_RELU,
					NN_LOSS_CROSS_ENTROPY, 1, 10);
	grad_check_case(5, w5, NN_ACT_TANH, NN_LOSS_MSE, 5, 11);
}

/* ------------------------------------------------ training */

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

	if (!tn_create(&tn, 2, w, NN_ACT_TANH, NN_ACT_SOFTMAX,
				   NN_LOSS_CROSS_ENTROPY, NN_OPT_SGD, 0.5f, 3))
		return;
	nn_rng_seed(&rng, 8);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	before = xcalloc(tn.net.n_params, sizeof(float));
	memcpy(before, tn.net.params, tn.net.n_params * sizeof(float));
	sum = nn_net_train_batch(&tn.net, &tn.work, x, t, 3);
	CHECK(isfinite(sum) && sum > 0);
	CHECK_EQ_INT(tn.net.opt_step, 1);
	for (size_t i = 0; i < tn.net.n_params; i++)
		CHECK_CLOSE(tn.net.params[i], before[i] - 0.5f * tn.work.grads[i],
					1e-7, 1e-6);
	nn_net_train_batch(&tn.net, &tn.work, x, t, 3);
	CHECK_EQ_INT(tn.net.opt_step, 2);
	free(before);
	tn_free(&tn);
}

/*
 * XOR with Adam: the loss must fall well below its start and every point
 * must be classified right.  One case per loss / output combination.
 * 16 hidden units: with 8, ReLU nets get stuck (dead units) for ~10% of
 * seeds; with 16 about 0.5%.  The seeds here learn with a wide margin
 * (final/initial loss below 0.01), so the test is not fragile.
 */
static void
xor_case(NNActivation hidden, NNLoss loss, float lr, int steps, uint64_t seed)
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
	/* MSE targets centred, so that identity outputs need no offset */
	if (loss == NN_LOSS_MSE)
		for (int i = 0; i < 4; i++)
			t[i] = 2 * xor[i] - 1;
	if (!tn_create(&tn, 2, w, hidden, output_act_for(loss), loss,
				   NN_OPT_ADAM, lr, 4))
		return;
	nn_rng_seed(&rng, seed);
	nn_net_init_params(&tn.net, NN_INIT_AUTO, &rng);
	first = nn_net_train_batch(&tn.net, &tn.work, x, t, 4) / 4;
	for (int s = 1; s < steps; s++)
		last = nn_net_train_batch(&tn.net, &tn.work, x, t, 4) / 4;
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
		printf("    info: XOR %s/%s: mean loss %.4g -> %.4g (ratio %.3g)\n",
			   nn_activation_name(hidden), nn_loss_name(loss), first, last,
			   last / first);
	CHECK_MSG(last < 0.05 * first && last < 0.05,
			  "XOR %s/%s: mean loss %.4g -> %.4g after %d steps",
			  nn_activation_name(hidden), nn_loss_name(loss), first, last, steps);
	CHECK_MSG(correct == 4, "XOR %s/%s: %d of 4 right", nn_activation_name(hidden),
			  nn_loss_name(loss), correct);
	tn_free(&tn);
}

static void
test_xor_adam(void)
{
	xor_case(NN_ACT_TANH, NN_LOSS_BINARY_CROSS_ENTROPY, 0.05f, 400, 1);
	xor_case(NN_ACT_RELU, NN_LOSS_CROSS_ENTROPY, 0.05f, 400, 2);
	xor_case(NN_ACT_TANH, NN_LOSS_MSE, 0.05f, 400, 3);
	xor_case(NN_ACT_LEAKY_RELU, NN_LOSS_BINARY_CROSS_ENTROPY, 0.05f, 400, 4);
	xor_case(NN_ACT_SIGMOID, NN_LOSS_CROSS_ENTROPY, 0.05f, 400, 5);
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

int
main(void)
{
	RUN_TEST(test_layout_limits);
	RUN_TEST(test_layout_valid);
	RUN_TEST(test_work_bind);
	RUN_TEST(test_init_determinism);
	RUN_TEST(test_init_scale);
	RUN_TEST(test_forward_layers);
	RUN_TEST(test_grad_softmax_cross_entropy);
	RUN_TEST(test_grad_sigmoid_binary_cross_entropy);
	RUN_TEST(test_grad_identity_mse);
	RUN_TEST(test_grad_shapes);
	RUN_TEST(test_sgd_step);
	RUN_TEST(test_xor_adam);
	RUN_TEST(test_helpers);
	return harness_finish("test_network");
}
