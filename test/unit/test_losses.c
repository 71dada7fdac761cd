/*
 * test_losses.c - hand-computed loss values and gradients (with and
 * without row weights), NaN propagation, and finite-difference checks of
 * the fused gradient w.r.t. the output pre-activation z.
 *
 * The losses take the *activated* outputs (softmax / sigmoid / identity of
 * z) and return the weighted loss summed over rows, sum_r w_r loss_r, with
 * the gradient of that sum divided by the batch size.  Two
 * finite-difference checks per loss:
 *   - against an independent double-precision implementation of
 *     sum_r w_r loss_r(act(z)) / batch, with a tiny step (tight tolerance);
 *   - against the kernels themselves (float activation forward, then
 *     nn_loss_compute / batch), with a float-sized step, so that the
 *     returned value and the returned gradient are consistent.
 * MAE and Huber are checked away from their kinks (d = 0 for MAE,
 * |d| = delta for Huber's second derivative), and Huber on both sides.
 */
#include "activations.h"
#include "harness.h"
#include "losses.h"

/* the Huber delta used wherever a test does not choose its own */
#define DELTA 1.0f

static NNLossConfig
cfg_of(NNLoss kind)
{
	NNLossConfig c = {kind, DELTA};

	return c;
}

/* nn_loss_compute with the default configuration of kind */
static double
loss_of(NNLoss kind, const float *y, const float *t, const float *w,
		float *g, size_t batch, size_t out)
{
	NNLossConfig c = cfg_of(kind);

	return nn_loss_compute(&c, y, t, w, g, batch, out);
}

static void
test_names(void)
{
	for (int l = 0; l < NN_LOSS_COUNT; l++)
		CHECK_EQ_INT(nn_loss_from_name(nn_loss_name((NNLoss) l)), l);
	CHECK(strcmp(nn_loss_name(NN_LOSS_CROSS_ENTROPY), "cross_entropy") == 0);
	CHECK(strcmp(nn_loss_name(NN_LOSS_BINARY_CROSS_ENTROPY),
				 "binary_cross_entropy") == 0);
	CHECK(strcmp(nn_loss_name(NN_LOSS_MSE), "mse") == 0);
	CHECK(strcmp(nn_loss_name(NN_LOSS_MAE), "mae") == 0);
	CHECK(strcmp(nn_loss_name(NN_LOSS_HUBER), "huber") == 0);
	CHECK_EQ_INT(nn_loss_from_name("MSE"), -1);
	CHECK_EQ_INT(nn_loss_from_name(""), -1);
	CHECK(strcmp(nn_loss_name(NN_LOSS_COUNT), "unknown") == 0);

	CHECK(!nn_loss_is_regression(NN_LOSS_CROSS_ENTROPY));
	CHECK(!nn_loss_is_regression(NN_LOSS_BINARY_CROSS_ENTROPY));
	CHECK(nn_loss_is_regression(NN_LOSS_MSE));
	CHECK(nn_loss_is_regression(NN_LOSS_MAE));
	CHECK(nn_loss_is_regression(NN_LOSS_HUBER));
	CHECK(!nn_loss_is_regression(NN_LOSS_COUNT));
}

/* configurations and targets that have no loss give NaN */
static void
test_invalid(void)
{
	float		p = 0.5f,
				t = 0.0f;
	float		p2[2] = {0.5f, 0.5f};
	NNLossConfig c = {NN_LOSS_COUNT, DELTA};

	CHECK(isnan(nn_loss_compute(&c, &p, &t, NULL, NULL, 1, 1)));
	c.kind = NN_LOSS_HUBER;
	c.huber_delta = 0.0f;
	CHECK(isnan(nn_loss_compute(&c, &p, &t, NULL, NULL, 1, 1)));
	c.huber_delta = -1.0f;
	CHECK(isnan(nn_loss_compute(&c, &p, &t, NULL, NULL, 1, 1)));
	c.huber_delta = NAN;
	CHECK(isnan(nn_loss_compute(&c, &p, &t, NULL, NULL, 1, 1)));

	/* a class index outside [0, out) reads nothing out of the row */
	{
		const float bad[4] = {2.0f, -1.0f, NAN, 1e30f};

		for (int i = 0; i < 4; i++)
			CHECK_MSG(isnan(loss_of(NN_LOSS_CROSS_ENTROPY, p2, &bad[i], NULL,
									NULL, 1, 2)),
					  "target %g accepted", bad[i]);
	}
}

/* a NaN output is a NaN loss, not hidden by the probability floor */
static void
test_nan_propagates(void)
{
	float		pc[3] = {NAN, 0.5f, 0.5f};
	float		tc = 0.0f;
	float		pb = NAN;
	float		tb[2] = {0.0f, 1.0f};
	float		y[2] = {1.0f, NAN};
	float		t[2] = {0.0f, 0.0f};
	float		g[3];

	CHECK(isnan(loss_of(NN_LOSS_CROSS_ENTROPY, pc, &tc, NULL, g, 1, 3)));
	/* the NaN of another class still poisons the gradient, not the loss */
	tc = 1.0f;
	CHECK(isfinite(loss_of(NN_LOSS_CROSS_ENTROPY, pc, &tc, NULL, g, 1, 3)));
	for (int i = 0; i < 2; i++)
		CHECK_MSG(isnan(loss_of(NN_LOSS_BINARY_CROSS_ENTROPY, &pb, &tb[i],
								NULL, g, 1, 1)), "bce, target %g", tb[i]);
	for (int k = NN_LOSS_MSE; k <= NN_LOSS_HUBER; k++)
		CHECK_MSG(isnan(loss_of((NNLoss) k, y, t, NULL, g, 1, 2)), "%s",
				  nn_loss_name((NNLoss) k));
}

static void
test_cross_entropy_values(void)
{
	const float p[6] = {0.2f, 0.3f, 0.5f, 0.7f, 0.2f, 0.1f};
	const float t[2] = {2, 0};
	const float ones[2] = {1, 1};
	const float w[2] = {3, 0.5f};
	/* -ln 0.5 - ln 0.7; gradient (p - onehot) / 2 */
	const double e_loss = 0.6931471805599453 + 0.35667494393873245;
	const double e_grad[6] = {0.1, 0.15, -0.25, -0.15, 0.1, 0.05};
	/* weighted: 3 (-ln 0.5) + 0.5 (-ln 0.7); rows scaled by 3 and 0.5 */
	const double e_wloss = 3 * 0.6931471805599453 + 0.5 * 0.35667494393873245;
	const double e_wgrad[6] = {0.3, 0.45, -0.75, -0.075, 0.05, 0.025};
	float		g[6],
				g1[6];

	CHECK_CLOSE(loss_of(NN_LOSS_CROSS_ENTROPY, p, t, NULL, g, 2, 3),
				e_loss, 0, 1e-6);
	for (int i = 0; i < 6; i++)
		CHECK_CLOSE(g[i], e_grad[i], 1e-7, 1e-6);
	/* without a gradient buffer: same value */
	CHECK(loss_of(NN_LOSS_CROSS_ENTROPY, p, t, NULL, NULL, 2, 3) ==
		  loss_of(NN_LOSS_CROSS_ENTROPY, p, t, NULL, g, 2, 3));
	/* unit weights are the same as none, bit for bit */
	CHECK(loss_of(NN_LOSS_CROSS_ENTROPY, p, t, ones, g1, 2, 3) ==
		  loss_of(NN_LOSS_CROSS_ENTROPY, p, t, NULL, g, 2, 3));
	CHECK(memcmp(g, g1, sizeof(g)) == 0);

	CHECK_CLOSE(loss_of(NN_LOSS_CROSS_ENTROPY, p, t, w, g, 2, 3),
				e_wloss, 0, 1e-6);
	for (int i = 0; i < 6; i++)
		CHECK_CLOSE(g[i], e_wgrad[i], 1e-7, 1e-6);

	/* a zero probability for the target is floored, not infinite */
	{
		const float p0[2] = {1.0f, 0.0f};
		const float t0[1] = {1};
		double		l = loss_of(NN_LOSS_CROSS_ENTROPY, p0, t0, NULL, g, 1, 2);

		CHECK(isfinite(l));
		CHECK_CLOSE(l, 27.631021115928547, 0, 1e-6);	/* -ln 1e-12 */
		CHECK(g[0] == 1.0f && g[1] == -1.0f);
	}
}

static void
test_binary_cross_entropy_values(void)
{
	const float p[3] = {0.8f, 0.3f, 0.5f};
	const float t[3] = {1, 0, 1};
	const float w[3] = {1, 2, 0};
	const double e_loss = 0.2231435513142097 + 0.35667494393873245 +
		0.6931471805599453;
	const double e_grad[3] = {-0.2 / 3, 0.3 / 3, -0.5 / 3};
	/* the third row weighs nothing: no loss and no gradient */
	const double e_wloss = 0.2231435513142097 + 2 * 0.35667494393873245;
	const double e_wgrad[3] = {-0.2 / 3, 0.6 / 3, 0};
	float		g[3];

	CHECK_CLOSE(loss_of(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, NULL, g, 3, 1),
				e_loss, 0, 1e-6);
	for (int i = 0; i < 3; i++)
		CHECK_CLOSE(g[i], e_grad[i], 1e-7, 1e-6);
	CHECK(loss_of(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, NULL, NULL, 3, 1) ==
		  loss_of(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, NULL, g, 3, 1));
	CHECK_CLOSE(loss_of(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, w, g, 3, 1),
				e_wloss, 0, 1e-6);
	for (int i = 0; i < 3; i++)
		CHECK_CLOSE(g[i], e_wgrad[i], 1e-7, 1e-6);

	/* saturated outputs: floored when wrong, zero when right */
	{
		const float ps[4] = {1.0f, 0.0f, 1.0f, 0.0f};
		const float ts[4] = {0, 1, 1, 0};
		float		gs[4];
		double		l = loss_of(NN_LOSS_BINARY_CROSS_ENTROPY, ps, ts, NULL,
								gs, 4, 1);

		CHECK(isfinite(l));
		CHECK_CLOSE(l, 2 * 27.631021115928547, 0, 1e-6);
		CHECK(gs[0] == 0.25f && gs[1] == -0.25f && gs[2] == 0.0f &&
			  gs[3] == 0.0f);
	}
}

/*
 * The regression losses on one batch: y - t = {-0.5, 0, 1, -2} over 2
 * rows of 2 outputs, with the row weights {2, 0.5}.
 */
static const float reg_y[4] = {1, 2, 3, 4};
static const float reg_t[4] = {1.5f, 2, 2, 6};
static const float reg_w[2] = {2, 0.5f};

static void
regression_case(NNLossConfig c, double e_loss, const double *e_grad,
				double e_wloss, const double *e_wgrad)
{
	const float ones[2] = {1, 1};
	float		g[4],
				g1[4];

	CHECK_CLOSE(nn_loss_compute(&c, reg_y, reg_t, NULL, g, 2, 2), e_loss,
				0, 1e-7);
	for (int i = 0; i < 4; i++)
		CHECK_MSG(harness_close(g[i], e_grad[i], 1e-7, 1e-6),
				  "%s (delta %g): g[%d] = %.9g, expected %.9g",
				  nn_loss_name(c.kind), c.huber_delta, i, g[i], e_grad[i]);
	CHECK(nn_loss_compute(&c, reg_y, reg_t, NULL, NULL, 2, 2) ==
		  nn_loss_compute(&c, reg_y, reg_t, NULL, g, 2, 2));
	CHECK(nn_loss_compute(&c, reg_y, reg_t, ones, g1, 2, 2) ==
		  nn_loss_compute(&c, reg_y, reg_t, NULL, g, 2, 2));
	CHECK(memcmp(g, g1, sizeof(g)) == 0);

	CHECK_CLOSE(nn_loss_compute(&c, reg_y, reg_t, reg_w, g, 2, 2), e_wloss,
				0, 1e-7);
	for (int i = 0; i < 4; i++)
		CHECK_MSG(harness_close(g[i], e_wgrad[i], 1e-7, 1e-6),
				  "%s (delta %g) weighted: g[%d] = %.9g, expected %.9g",
				  nn_loss_name(c.kind), c.huber_delta, i, g[i], e_wgrad[i]);

	/* a perfect prediction */
	CHECK(nn_loss_compute(&c, reg_y, reg_y, NULL, g, 4, 1) == 0.0);
	CHECK(g[0] == 0.0f && g[3] == 0.0f);
}

static void
test_mse_values(void)
{
	/* rows: (0.25 + 0)/2 and (1 + 4)/2; gradient 2 d / (batch out) */
	const double e_grad[4] = {-0.25, 0, 0.5, -1};
	const double e_wgrad[4] = {-0.5, 0, 0.25, -0.5};

	regression_case(cfg_of(NN_LOSS_MSE), 0.125 + 2.5, e_grad,
					2 * 0.125 + 0.5 * 2.5, e_wgrad);
}

static void
test_mae_values(void)
{
	/* rows: (0.5 + 0)/2 and (1 + 2)/2; gradient sign(d) / 4, 0 at d == 0 */
	const double e_grad[4] = {-0.25, 0, 0.25, -0.25};
	const double e_wgrad[4] = {-0.5, 0, 0.125, -0.125};

	regression_case(cfg_of(NN_LOSS_MAE), 0.25 + 1.5, e_grad,
					2 * 0.25 + 0.5 * 1.5, e_wgrad);
}

static void
test_huber_values(void)
{
	NNLossConfig c = {NN_LOSS_HUBER, 1.0f};

	/*
	 * delta 1: d^2/2 for -0.5, 0 and 1 (the boundary is quadratic), and
	 * 1 (2 - 1/2) for -2.  Rows (0.125 + 0)/2 and (0.5 + 1.5)/2; gradient
	 * d clamped to +-1, over 4.
	 */
	{
		const double e_grad[4] = {-0.125, 0, 0.25, -0.25};
		const double e_wgrad[4] = {-0.25, 0, 0.125, -0.125};

		regression_case(c, 0.0625 + 1.0, e_grad, 2 * 0.0625 + 0.5 * 1.0,
						e_wgrad);
	}

	/*
	 * delta 0.5: 0.125 for -0.5 (the boundary), 0, 0.5 (1 - 0.25) and
	 * 0.5 (2 - 0.25).  Rows 0.0625 and (0.375 + 0.875)/2.
	 */
	{
		const double e_grad[4] = {-0.125, 0, 0.125, -0.125};
		const double e_wgrad[4] = {-0.25, 0, 0.0625, -0.0625};

		c.huber_delta = 0.5f;
		regression_case(c, 0.0625 + 0.625, e_grad, 2 * 0.0625 + 0.5 * 0.625,
						e_wgrad);
	}

	/* a large delta is MSE / 2; a tiny one tends to delta * MAE */
	{
		float		g[4],
					gm[4];

		c.huber_delta = 100.0f;
		CHECK_CLOSE(nn_loss_compute(&c, reg_y, reg_t, NULL, g, 2, 2),
					loss_of(NN_LOSS_MSE, reg_y, reg_t, NULL, gm, 2, 2) / 2,
					0, 1e-7);
		for (int i = 0; i < 4; i++)
			CHECK_CLOSE(g[i], gm[i] / 2, 1e-7, 1e-6);
		c.huber_delta = 1e-3f;
		CHECK_CLOSE(nn_loss_compute(&c, reg_y, reg_t, NULL, g, 2, 2),
					1e-3 * loss_of(NN_LOSS_MAE, reg_y, reg_t, NULL, gm, 2, 2),
					1e-6, 1e-3);
	}
}

/* ------------------------------------------------ double-precision reference */

static double
softplus(double a)
{
	return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a));
}

/* loss of one element d = yhat - t for the regression losses */
static double
ref_element(NNLoss loss, double d)
{
	double		a = fabs(d);

	switch (loss)
	{
		case NN_LOSS_MSE:
			return d * d;
		case NN_LOSS_MAE:
			return a;
		case NN_LOSS_HUBER:
			return a <= DELTA ? 0.5 * d * d : DELTA * (a - 0.5 * DELTA);
		default:
			return NAN;
	}
}

/* sum over rows of w_r loss_r(act(z)), over the batch, in double */
static double
ref_mean_loss(NNLoss loss, const double *z, const float *t, const float *w,
			  size_t batch, size_t out)
{
	double		s = 0.0;

	for (size_t r = 0; r < batch; r++)
	{
		const double *row = z + r * out;
		double		l = 0.0;

		switch (loss)
		{
			case NN_LOSS_CROSS_ENTROPY:
				{
					double		max = row[0],
								sum = 0.0;

					for (size_t c = 1; c < out; c++)
						max = fmax(max, row[c]);
					for (size_t c = 0; c < out; c++)
						sum += exp(row[c] - max);
					l = max + log(sum) - row[(size_t) t[r]];
					break;
				}
			case NN_LOSS_BINARY_CROSS_ENTROPY:
				/* -y ln s(z) - (1-y) ln(1 - s(z)) */
				l = t[r] * softplus(-row[0]) + (1.0 - t[r]) * softplus(row[0]);
				break;
			default:
				for (size_t c = 0; c < out; c++)
					l += ref_element(loss, row[c] - t[r * out + c]) / (double) out;
				break;
		}
		s += (w != NULL ? w[r] : 1.0) * l;
	}
	return s / (double) batch;
}

static NNActivation
output_act(NNLoss loss)
{
	return loss == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX :
		loss == NN_LOSS_BINARY_CROSS_ENTROPY ? NN_ACT_SIGMOID : NN_ACT_IDENTITY;
}

/* kernel composition: nn_loss_compute(act(z)) / batch */
static double
kernel_mean_loss(NNLoss loss, const float *z, const float *t, const float *w,
				 float *work, size_t batch, size_t out)
{
	memcpy(work, z, batch * out * sizeof(float));
	nn_activation_forward(output_act(loss), work, batch, out);
	return loss_of(loss, work, t, w, NULL, batch, out) / (double) batch;
}

/*
 * Distance of z from the nearest kink of the loss (for the regression
 * losses, whose output activation is the identity), counting the Huber
 * elements inside and outside delta.
 */
static double
kink_margin(NNLoss loss, const float *z, const float *t, size_t n,
			int *inside, int *outside)
{
	double		margin = INFINITY;

	*inside = *outside = 0;
	for (size_t i = 0; i < n; i++)
	{
		double		a = fabs((double) z[i] - t[i]);

		if (loss == NN_LOSS_MAE)
			margin = fmin(margin, a);
		else if (loss == NN_LOSS_HUBER)
		{
			margin = fmin(margin, fabs(a - DELTA));
			*inside += a < DELTA;
			*outside += a > DELTA;
		}
	}
	return margin;
}

static void
loss_fd_case(NNLoss loss, size_t batch, size_t out, bool weighted,
			 uint64_t seed)
{
	size_t		n = batch * out;
	bool		regression = nn_loss_is_regression(loss);
	size_t		nt = regression ? n : batch;
	float	   *z = xcalloc(n, sizeof(float));
	float	   *p = xcalloc(n, sizeof(float));
	float	   *g = xcalloc(n, sizeof(float));
	float	   *t = xcalloc(nt, sizeof(float));
	float	   *w = weighted ? xcalloc(batch, sizeof(float)) : NULL;
	double	   *zd = xcalloc(n, sizeof(double));
	double	   *an = xcalloc(n, sizeof(double));
	double	   *nu = xcalloc(n, sizeof(double));
	NNRng		rng;
	double		sum,
				ref;
	int			inside = 0,
				outside = 0,
				tries = 0;
	char		what[120];

	nn_rng_seed(&rng, seed);
	if (w != NULL)
		fill_uniform(&rng, w, batch, 0.0, 3.0);

	/*
	 * Redraw until every element is 0.05 away from a kink, and Huber has
	 * elements on both sides of delta: steps of 1e-3 then never cross one.
	 */
	do
	{
		fill_uniform(&rng, z, n, -2.5, 2.5);
		for (size_t r = 0; r < batch; r++)
		{
			if (loss == NN_LOSS_CROSS_ENTROPY)
				t[r] = (float) nn_rng_below(&rng, out);
			else if (loss == NN_LOSS_BINARY_CROSS_ENTROPY)
				t[r] = (float) (r % 2);
		}
		if (regression)
			fill_uniform(&rng, t, nt, -2, 2);
	} while (regression && ++tries < 1000 &&
			 (kink_margin(loss, z, t, n, &inside, &outside) < 0.05 ||
			  (loss == NN_LOSS_HUBER && (inside == 0 || outside == 0))));
	CHECK_MSG(tries < 1000, "%s: no draw away from the kinks",
			  nn_loss_name(loss));

	/* the kernel's value and gradient */
	memcpy(p, z, n * sizeof(float));
	nn_activation_forward(output_act(loss), p, batch, out);
	sum = loss_of(loss, p, t, w, g, batch, out);
	for (size_t i = 0; i < n; i++)
	{
		an[i] = g[i];
		zd[i] = z[i];
	}

	/* value against the double reference */
	ref = ref_mean_loss(loss, zd, t, w, batch, out);
	CHECK_CLOSE(sum / (double) batch, ref, 1e-7, 1e-5);

	/* 1: central differences of the double reference, step 1e-5 */
	for (size_t i = 0; i < n; i++)
	{
		double		orig = zd[i],
					lp,
					lm;

		zd[i] = orig + 1e-5;
		lp = ref_mean_loss(loss, zd, t, w, batch, out);
		zd[i] = orig - 1e-5;
		lm = ref_mean_loss(loss, zd, t, w, batch, out);
		zd[i] = orig;
		nu[i] = (lp - lm) / 2e-5;
	}
	snprintf(what, sizeof(what), "%s%s grad vs double (batch %zu, out %zu)",
			 nn_loss_name(loss), weighted ? " weighted" : "", batch, out);
	CHECK_GRAD(what, an, nu, n, 1e-6, 1e-4, 0.02);

	/*
	 * 2: central differences of the float kernels, step 1e-3 on the float
	 * grid.  Rounding of the float forward pass gives about 1e-5 of noise.
	 */
	for (size_t i = 0; i < n; i++)
	{
		float		orig = z[i];
		float		zp = orig + 1e-3f,
					zm = orig - 1e-3f;
		double		lp,
					lm;

		z[i] = zp;
		lp = kernel_mean_loss(loss, z, t, w, p, batch, out);
		z[i] = zm;
		lm = kernel_mean_loss(loss, z, t, w, p, batch, out);
		z[i] = orig;
		nu[i] = (lp - lm) / ((double) zp - zm);
	}
	snprintf(what, sizeof(what), "%s%s grad vs float kernels (batch %zu, out %zu)",
			 nn_loss_name(loss), weighted ? " weighted" : "", batch, out);
	CHECK_GRAD(what, an, nu, n, 2e-4, 1e-2, 0.02);

	free(z);
	free(p);
	free(g);
	free(t);
	free(w);
	free(zd);
	free(an);
	free(nu);
}

static void
test_cross_entropy_fd(void)
{
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 4, 3, false, 21);
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 5, 5, false, 22);
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 1, 2, false, 23);
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 4, 3, true, 24);
}

static void
test_binary_cross_entropy_fd(void)
{
	loss_fd_case(NN_LOSS_BINARY_CROSS_ENTROPY, 5, 1, false, 31);
	loss_fd_case(NN_LOSS_BINARY_CROSS_ENTROPY, 2, 1, false, 32);
	loss_fd_case(NN_LOSS_BINARY_CROSS_ENTROPY, 6, 1, true, 33);
}

static void
test_mse_fd(void)
{
	loss_fd_case(NN_LOSS_MSE, 3, 2, false, 41);
	loss_fd_case(NN_LOSS_MSE, 4, 1, false, 42);
	loss_fd_case(NN_LOSS_MSE, 2, 5, false, 43);
	loss_fd_case(NN_LOSS_MSE, 3, 3, true, 44);
}

static void
test_mae_fd(void)
{
	loss_fd_case(NN_LOSS_MAE, 3, 2, false, 51);
	loss_fd_case(NN_LOSS_MAE, 4, 1, false, 52);
	loss_fd_case(NN_LOSS_MAE, 3, 3, true, 53);
}

static void
test_huber_fd(void)
{
	loss_fd_case(NN_LOSS_HUBER, 3, 2, false, 61);
	loss_fd_case(NN_LOSS_HUBER, 2, 5, false, 62);
	loss_fd_case(NN_LOSS_HUBER, 4, 3, true, 63);
}

int
main(void)
{
	RUN_TEST(test_names);
	RUN_TEST(test_invalid);
	RUN_TEST(test_nan_propagates);
	RUN_TEST(test_cross_entropy_values);
	RUN_TEST(test_binary_cross_entropy_values);
	RUN_TEST(test_mse_values);
	RUN_TEST(test_mae_values);
	RUN_TEST(test_huber_values);
	RUN_TEST(test_cross_entropy_fd);
	RUN_TEST(test_binary_cross_entropy_fd);
	RUN_TEST(test_mse_fd);
	RUN_TEST(test_mae_fd);
	RUN_TEST(test_huber_fd);
	return harness_finish("test_losses");
}
