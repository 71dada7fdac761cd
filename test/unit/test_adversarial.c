/*
 * test_adversarial.c - the attacks of adversarial.h: the gradient they step
 * along against central differences of each row's loss, for networks of
 * every layer kind (dense with batch normalization and dropout, conv2d with
 * max pooling, depthwise, separable, bidirectional rnn, lstm and gru), in
 * raw units through the standardization; FGSM's exact moves, masks and
 * clip range; the budget in standardized units; PGD's ball, range, loss
 * and seeds; and the calls refused.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "adversarial.h"
#include "conv2d_layer.h"
#include "depthwise_layer.h"
#include "harness.h"
#include "pool_layer.h"
#include "recurrent_layer.h"
#include "testnet.h"

#define BATCH 3
#define MAX_IN 64
#define N_OUT 3

/* one or two hidden layers (a kind and its settings), ahead of a dense softmax output */
typedef struct Arch
{
	const char *what;
	NNShape		in;
	NNLayerKind kinds[2];
	const void *settings[2];	/* settings[1] NULL: one hidden layer */
} Arch;

static const NNDenseSettings dense_bn = {6, 0.3f, NN_ACT_TANH, 1};
static const NNDenseSettings dense_dropout = {5, 0.2f, NN_ACT_SIGMOID, 0};
static const NNConv2dSettings conv_bn = {3, {3, 2, 1, 1, 1, 0, 1, 1}, NN_ACT_TANH, 1, 0.25f};
static const NNPoolSettings pool_2x2 = {{2, 2, 2, 2, 0, 0, 0, 0}};
static const NNDepthwiseSettings dw_mult2 = {0, 2, {3, 2, 2, 1, 1, 0, 2, 1}, NN_ACT_TANH};
static const NNDepthwiseSettings sep_same = {3, 1, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH};
static const NNRecurrentSettings rec_bi = {5, 0, 1, 0.2f};

/* layer l of that kind, through the kind's own setter */
static void
set_layer(NNNet *net, uint32_t l, NNLayerKind kind, const void *settings)
{
	const NNDenseSettings *d = settings;

	switch (kind)
	{
		case NN_LAYER_DENSE:
			nn_dense_set(net, l, d->units, d->act, d->batch_norm, d->dropout);
			break;
		case NN_LAYER_CONV2D:
			nn_conv2d_set(net, l, settings);
			break;
		case NN_LAYER_MAX_POOL2D:
			nn_pool_set(net, l, kind, settings);
			break;
		case NN_LAYER_DEPTHWISE_CONV2D:
		case NN_LAYER_SEPARABLE_CONV2D:
			nn_depthwise_set(net, l, kind, settings);
			break;
		default:
			nn_recurrent_set(net, l, kind, settings);
			break;
	}
}

#define DENSE NN_LAYER_DENSE
static const Arch archs[] = {
	{"dense+bn+dropout", {1, {5}}, {DENSE, DENSE}, {&dense_bn, &dense_dropout}},
	{"conv2d+bn+dropout, max_pool2d", {3, {2, 5, 4}}, {NN_LAYER_CONV2D, NN_LAYER_MAX_POOL2D},
	{&conv_bn, &pool_2x2}},
	{"depthwise_conv2d", {3, {2, 5, 4}}, {NN_LAYER_DEPTHWISE_CONV2D}, {&dw_mult2}},
	{"separable_conv2d", {3, {2, 4, 5}}, {NN_LAYER_SEPARABLE_CONV2D}, {&sep_same}},
	{"rnn bidirectional", {2, {4, 3}}, {NN_LAYER_RNN}, {&rec_bi}},
	{"lstm bidirectional", {2, {4, 3}}, {NN_LAYER_LSTM}, {&rec_bi}},
	{"gru bidirectional", {2, {4, 3}}, {NN_LAYER_GRU}, {&rec_bi}},
};

typedef struct Net
{
	NNNet		net;
	NNWork		work;
	float	   *buf;
	float		mean[MAX_IN];
	float		sd[MAX_IN];
	float		target[BATCH];
	float		scratch[2 * BATCH * MAX_IN];
} Net;

static bool
net_make(Net *n, const Arch *a, NNRng *rng)
{
	NNNet	   *net = &n->net;
	const char *msg;
	uint32_t	n_in;

	memset(n, 0, sizeof(*n));
	net->shapes[0] = a->in;
	net->n_layers = a->settings[1] != NULL ? 3 : 2;
	for (uint32_t l = 0; l + 1 < net->n_layers; l++)
		set_layer(net, l, a->kinds[l], a->settings[l]);
	nn_dense_set(net, net->n_layers - 1, N_OUT, NN_ACT_SOFTMAX, false, 0.0f);
	set_training(net, NN_LOSS_CROSS_ENTROPY);
	msg = nn_net_layout(net);
	if (!CHECK_MSG(msg == NULL, "%s: layout rejected: %s", a->what, msg))
		return false;
	random_params_and_stats(net, rng, 0.8);
	n->buf = xcalloc(nn_work_floats(net, BATCH, true), sizeof(float));
	nn_work_bind(&n->work, net, n->buf, BATCH, true);
	n_in = nn_net_inputs(net);
	if (!CHECK(n_in <= MAX_IN))
		return false;
	fill_uniform(rng, n->mean, n_in, -1.0, 1.0);
	fill_uniform(rng, n->sd, n_in, 0.8, 1.25);
	for (int r = 0; r < BATCH; r++)
		n->target[r] = (float) nn_rng_below(rng, N_OUT);
	return true;
}

static void
net_free(Net *n)
{
	free(n->buf);
	free(n->net.stats);
	free(n->net.params);
}

/*
 * Raw rows whose standardized inputs are at least 3 / nx apart (7919 is
 * prime, so i -> 7919 i mod nx permutes): a step of the finite difference
 * never changes a max pooling window's winner.
 */
static void
spread_rows(const Net *n, float *x)
{
	size_t		n_in = nn_net_inputs(&n->net);
	size_t		nx = BATCH * n_in;

	for (size_t i = 0; i < nx; i++)
		x[i] = (float) (-1.5 + 3.0 * ((double) (i * 7919 % nx) + 0.5) / nx) *
			n->sd[i % n_in] + n->mean[i % n_in];
}

/* the rows' summed loss in inference mode, x raw */
static double
raw_loss(Net *n, const float *x)
{
	size_t		n_in = nn_net_inputs(&n->net);
	float		xs[BATCH * MAX_IN];
	const float *out;

	memcpy(xs, x, BATCH * n_in * sizeof(float));
	nn_standardize_rows(xs, n->mean, n->sd, BATCH, n_in);
	out = nn_net_forward(&n->net, &n->work, xs, BATCH);
	return nn_loss_compute(&n->net.loss, out, n->target, NULL, NULL, BATCH, N_OUT);
}

static void
test_gradient_matches_differences(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1717);
	for (size_t k = 0; k < sizeof(archs) / sizeof(archs[0]); k++)
	{
		Net			n;
		float		x[BATCH * MAX_IN];
		float		grad[BATCH * MAX_IN];
		double		an[BATCH * MAX_IN];
		double		nu[BATCH * MAX_IN];
		const float h = 5e-3f;
		size_t		nx;

		if (!net_make(&n, &archs[k], &rng))
			continue;
		nx = BATCH * nn_net_inputs(&n.net);
		spread_rows(&n, x);
		if (CHECK(nn_attack_gradient(&n.net, &n.work, x, BATCH, n.target, n.mean, n.sd,
									 grad) != NULL))
		{
			for (size_t i = 0; i < nx; i++)
			{
				float		xi = x[i];
				double		up,
							down;

				an[i] = grad[i];
				x[i] = xi + h;
				up = raw_loss(&n, x);
				x[i] = xi - h;
				down = raw_loss(&n, x);
				x[i] = xi;
				nu[i] = (up - down) / (2.0 * h);
			}
			CHECK_GRAD(archs[k].what, an, nu, nx, 2e-3, 2e-2, 1e-3);
		}
		net_free(&n);
	}
}

/* a dense network of 5 inputs, the standardization, a row batch */
static bool
dense_net(Net *n, float *x, uint64_t seed)
{
	NNRng		rng;

	nn_rng_seed(&rng, seed);
	if (!net_make(n, &archs[0], &rng))
		return false;
	fill_uniform(&rng, x, BATCH * 5, 0.1, 0.9);
	return true;
}

static const uint8_t mask5[5] = {0, 1, 0, 0, 0};
static const float clip01[2] = {0.0f, 1.0f};

/* the budget of the 5 inputs of dense_net's rows */
typedef struct Budget
{
	float		eps[5];
	float		lo[5];
	float		hi[5];
	NNAttackBudget b;
} Budget;

static void
budget5(Budget *bu, float eps, const uint8_t *mask, const float *clip,
		const float *mean, const float *sd)
{
	nn_attack_budget(bu->eps, bu->lo, bu->hi, 5, eps, mask, clip, mean, sd);
	bu->b.epsilon = bu->eps;
	bu->b.lo = bu->lo;
	bu->b.hi = bu->hi;
}

static void
test_fgsm_moves(void)
{
	Net			n;
	float		x[BATCH * 5],
				x0[BATCH * 5],
				grad[BATCH * 5];
	Budget		bu;
	NNAttackBudget *b = &bu.b;
	NNAttack	a = {NN_ATTACK_FGSM, 0, 0.0f, 0, false};
	int			clipped = 0,
				moved = 0;

	if (!dense_net(&n, x, 7))
		return;
	/* input 4 reaches no unit: its gradient is exactly 0, so it stays */
	for (uint32_t o = 0; o < 6; o++)
		n.net.params[nn_net_weight_offset(&n.net, 0) + o * 5 + 4] = 0.0f;
	x[0] = 0.95f;				/* near the top of the range */
	x[2] = 0.05f;
	memcpy(x0, x, sizeof(x));
	budget5(&bu, 0.2f, mask5, clip01, NULL, NULL);
	CHECK(nn_attack_gradient(&n.net, &n.work, x0, BATCH, n.target, n.mean, n.sd, grad) != NULL);
	CHECK(nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	for (int i = 0; i < BATCH * 5; i++)
	{
		float		want = x0[i] + 0.2f * (grad[i] > 0 ? 1.0f : grad[i] < 0 ? -1.0f : 0.0f);

		if (i % 5 == 1)
		{
			CHECK_MSG(x[i] == x0[i], "masked input %d moved: %g -> %g", i, x0[i], x[i]);
			continue;
		}
		if (i % 5 == 4)
		{
			CHECK_MSG(grad[i] == 0.0f && x[i] == x0[i], "input %d: gradient %g, moved to %g",
					  i, grad[i], x[i]);
			continue;
		}
		CHECK_MSG(grad[i] != 0.0f, "input %d has a zero gradient", i);
		if (want > 1.0f || want < 0.0f)
		{
			clipped++;
			want = want > 1.0f ? 1.0f : 0.0f;
		}
		moved++;
		CHECK_MSG(x[i] == want, "input %d: %.9g, want %.9g", i, x[i], want);
	}
	CHECK_MSG(clipped > 0 && moved > clipped, "clipped %d of %d", clipped, moved);
	net_free(&n);
}

/* the budget in standardized units attacks standardized rows the same way */
static void
test_budget_standardized(void)
{
	Net			n;
	float		x[BATCH * 5],
				xs[BATCH * 5];
	Budget		bu;
	NNAttackBudget *b = &bu.b;
	NNAttack	a = {NN_ATTACK_PGD, 4, 0.6f, 99, true};

	if (!dense_net(&n, x, 8))
		return;
	memcpy(xs, x, sizeof(x));
	nn_standardize_rows(xs, n.mean, n.sd, BATCH, 5);
	budget5(&bu, 0.15f, mask5, clip01, NULL, NULL);
	CHECK(nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	budget5(&bu, 0.15f, mask5, clip01, n.mean, n.sd);
	CHECK_CLOSE(bu.eps[2], 0.15f / n.sd[2], 1e-7, 1e-6);
	CHECK_CLOSE(bu.lo[3], -n.mean[3] / n.sd[3], 1e-6, 1e-6);
	CHECK_CLOSE(bu.hi[4], (1.0f - n.mean[4]) / n.sd[4], 1e-6, 1e-6);
	CHECK(bu.eps[1] == 0.0f && isinf(bu.lo[1]) && isinf(bu.hi[1]));
	CHECK(nn_attack_rows(&n.net, &n.work, xs, BATCH, n.target, &a, b, NULL, NULL, n.scratch));
	for (int i = 0; i < BATCH * 5; i++)
		CHECK_CLOSE(xs[i] * n.sd[i % 5] + n.mean[i % 5], x[i], 1e-5, 1e-5);
	net_free(&n);
}

static void
test_pgd(void)
{
	Net			n;
	float		x[BATCH * 5],
				x0[BATCH * 5],
				again[BATCH * 5],
				other[BATCH * 5];
	Budget		bu;
	NNAttackBudget *b = &bu.b;
	NNAttack	a = {NN_ATTACK_PGD, 10, 0.25f, 42, true};
	double		before;

	if (!dense_net(&n, x, 9))
		return;
	memcpy(x0, x, sizeof(x));
	budget5(&bu, 0.3f, mask5, clip01, NULL, NULL);
	before = raw_loss(&n, x0);
	CHECK(nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	for (int i = 0; i < BATCH * 5; i++)
	{
		CHECK_MSG(fabsf(x[i] - x0[i]) <= 0.3f + 1e-6f, "input %d left the ball", i);
		CHECK_MSG(x[i] >= 0.0f && x[i] <= 1.0f, "input %d left the range", i);
		if (i % 5 == 1)
			CHECK(x[i] == x0[i]);
	}
	CHECK_MSG(raw_loss(&n, x) > before, "loss %g, clean %g", raw_loss(&n, x), before);
	/* the same seed the same bytes; another seed, another start */
	memcpy(again, x0, sizeof(x0));
	CHECK(nn_attack_rows(&n.net, &n.work, again, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	CHECK(memcmp(again, x, sizeof(x)) == 0);
	a.steps = 1;
	a.step_fraction = 1e-3f;
	memcpy(again, x0, sizeof(x0));
	CHECK(nn_attack_rows(&n.net, &n.work, again, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	a.seed = 43;
	memcpy(other, x0, sizeof(x0));
	CHECK(nn_attack_rows(&n.net, &n.work, other, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	CHECK(memcmp(again, other, sizeof(x)) != 0);
	net_free(&n);
}

/*
 * One PGD step of twice epsilon from anywhere in the ball ends on its
 * boundary (the step is taken, then projected); the random start spreads
 * over the whole ball, both sides of each row.
 */
static void
test_pgd_steps_and_start(void)
{
	Net			n;
	float		x[BATCH * 5],
				x0[BATCH * 5];
	Budget		bu;
	NNAttackBudget *b = &bu.b;
	NNAttack	a = {NN_ATTACK_PGD, 1, 2.0f, 8, true};
	int			up = 0,
				down = 0;

	if (!dense_net(&n, x, 12))
		return;
	memcpy(x0, x, sizeof(x));
	budget5(&bu, 0.05f, NULL, NULL, NULL, NULL);
	CHECK(nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	for (int i = 0; i < BATCH * 5; i++)
		CHECK_MSG(fabsf(fabsf(x[i] - x0[i]) - 0.05f) < 1e-6f, "input %d: %g from %g", i, x[i], x0[i]);
	/* a start of tiny steps stays where it started */
	a.step_fraction = 1e-4f;
	memcpy(x, x0, sizeof(x));
	CHECK(nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	for (int i = 0; i < BATCH * 5; i++)
	{
		up += x[i] > x0[i] + 0.01f;
		down += x[i] < x0[i] - 0.01f;
	}
	CHECK_MSG(up >= 3 && down >= 3, "start: %d up, %d down", up, down);
	net_free(&n);
}

/* seed_per_row: equal rows start apart; without it, from the same point */
static void
test_pgd_row_streams(void)
{
	Net			n;
	float		x[BATCH * 5];
	Budget		bu;
	NNAttackBudget *b = &bu.b;
	NNAttack	a = {NN_ATTACK_PGD, 1, 1e-3f, 5, false};

	if (!dense_net(&n, x, 10))
		return;
	for (int pass = 0; pass < 2; pass++)
	{
		for (int r = 1; r < BATCH; r++)
			memcpy(x + r * 5, x, 5 * sizeof(float));
		n.target[1] = n.target[0];
		budget5(&bu, 0.3f, NULL, NULL, NULL, NULL);
		a.seed_per_row = pass == 1;
		CHECK(nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
		CHECK((memcmp(x, x + 5, 5 * sizeof(float)) == 0) == (pass == 0));
	}
	net_free(&n);
}

static void
test_refusals(void)
{
	Net			n;
	float		x[BATCH * 5];
	Budget		bu;
	NNAttackBudget *b = &bu.b;
	NNAttack	a = {NN_ATTACK_PGD, 0, 0.5f, 1, false};

	if (!dense_net(&n, x, 11))
		return;
	budget5(&bu, 0.1f, NULL, NULL, NULL, NULL);
	CHECK(!nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	a.steps = 2;
	a.step_fraction = 0.0f;
	CHECK(!nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	a.step_fraction = 0.5f;
	a.method = (NNAttackMethod) 2;
	CHECK(!nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, n.sd, n.scratch));
	a.method = NN_ATTACK_FGSM;
	/* more rows than the work holds; only one of mean and sd */
	CHECK(!nn_attack_rows(&n.net, &n.work, x, BATCH + 1, n.target, &a, b, n.mean, n.sd, n.scratch));
	CHECK(!nn_attack_rows(&n.net, &n.work, x, BATCH, n.target, &a, b, n.mean, NULL, n.scratch));
	CHECK(nn_attack_scratch_floats(&n.net, BATCH) == 2 * BATCH * 5);
	net_free(&n);
}

int
main(void)
{
	RUN_TEST(test_gradient_matches_differences);
	RUN_TEST(test_fgsm_moves);
	RUN_TEST(test_budget_standardized);
	RUN_TEST(test_pgd);
	RUN_TEST(test_pgd_steps_and_start);
	RUN_TEST(test_pgd_row_streams);
	RUN_TEST(test_refusals);
	return harness_finish("test_adversarial");
}
