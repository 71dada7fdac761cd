/*
 * test_losses.c - hand-computed loss values and gradients, and
 * finite-difference checks of the fused gradient w.r.t. the output
 * pre-activation z.
 *
 * The losses take the *activated* outputs (softmax / sigmoid / identity of
 * z) and return the loss summed over rows, with the gradient of the *mean*
 * loss w.r.t. z.  Two finite-difference checks per loss:
 *   - against an independent double-precision implementation of
 *     mean_loss(act(z)), with a tiny step (tight tolerance);
 *   - against the kernels themselves (float activation forward, then
 *     nn_loss_compute / batch), with a float-sized step, so that the
 *     returned value and the returned gradient are consistent.
 */
#include "activations.h"
#include "harness.h"
#include "losses.h"

static void
test_names(void)
{
	for (int l = 0; l < NN_LOSS_COUNT; l++)
		CHECK_EQ_INT(nn_loss_from_name(nn_loss_name((NNLoss) l)), l);
	CHECK(strcmp(nn_loss_name(NN_LOSS_CROSS_ENTROPY), "cross_entropy") == 0);
	CHECK(strcmp(nn_loss_name(NN_LOSS_BINARY_CROSS_ENTROPY),
				 "binary_cross_entropy") == 0);
	CHECK(strcmp(nn_loss_name(NN_LOSS_MSE), "mse") == 0);
	CHECK_EQ_INT(nn_loss_from_name("MSE"), -1);
	CHECK(strcmp(nn_loss_name(NN_LOSS_COUNT), "unknown") == 0);
	{
		float		p = 0.5f,
					t = 0.0f;

		CHECK(isnan(nn_loss_compute(NN_LOSS_COUNT, &p, &t, NULL, 1, 1)));
	}
}

static void
test_cross_entropy_values(void)
{
	const float p[6] = {0.2f, 0.3f, 0.5f, 0.7f, 0.2f, 0.1f};
	const float t[2] = {2, 0};
	/* -ln 0.5 - ln 0.7; gradient (p - onehot) / 2 */
	const double e_loss = 0.6931471805599453 + 0.35667494393873245;
	const double e_grad[6] = {0.1, 0.15, -0.25, -0.15, 0.1, 0.05};
	float		g[6];

	CHECK_CLOSE(nn_loss_compute(NN_LOSS_CROSS_ENTROPY, p, t, g, 2, 3),
				e_loss, 0, 1e-6);
	for (int i = 0; i < 6; i++)
		CHECK_CLOSE(g[i], e_grad[i], 1e-7, 1e-6);
	/* without a gradient buffer: same value */
	CHECK(nn_loss_compute(NN_LOSS_CROSS_ENTROPY, p, t, NULL, 2, 3) ==
		  nn_loss_compute(NN_LOSS_CROSS_ENTROPY, p, t, g, 2, 3));

	/* a zero probability for the target is floored, not infinite */
	{
		const float p0[2] = {1.0f, 0.0f};
		const float t0[1] = {1};
		double		l = nn_loss_compute(NN_LOSS_CROSS_ENTROPY, p0, t0, g, 1, 2);

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
	const double e_loss = 0.2231435513142097 + 0.35667494393873245 +
		0.6931471805599453;
	const double e_grad[3] = {-0.2 / 3, 0.3 / 3, -0.5 / 3};
	float		g[3];

	CHECK_CLOSE(nn_loss_compute(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, g, 3, 1),
				e_loss, 0, 1e-6);
	for (int i = 0; i < 3; i++)
		CHECK_CLOSE(g[i], e_grad[i], 1e-7, 1e-6);
	CHECK(nn_loss_compute(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, NULL, 3, 1) ==
		  nn_loss_compute(NN_LOSS_BINARY_CROSS_ENTROPY, p, t, g, 3, 1));

	/* saturated outputs: floored when wrong, zero when right */
	{
		const float ps[4] = {1.0f, 0.0f, 1.0f, 0.0f};
		const float ts[4] = {0, 1, 1, 0};
		float		gs[4];
		double		l = nn_loss_compute(NN_LOSS_BINARY_CROSS_ENTROPY, ps, ts,
										gs, 4, 1);

		CHECK(isfinite(l));
		CHECK_CLOSE(l, 2 * 27.631021115928547, 0, 1e-6);
		CHECK(gs[0] == 0.25f && gs[1] == -0.25f && gs[2] == 0.0f &&
			  gs[3] == 0.0f);
	}
}

static void
test_mse_values(void)
{
	const float y[4] = {1, 2, 3, 4};
	const float t[4] = {1.5f, 2, 2, 6};
	/* per row: mean over outputs of d^2: (0.25 + 0)/2 + (1 + 4)/2 */
	const double e_loss = 0.125 + 2.5;
	/* 2 d / (batch * out) */
	const double e_grad[4] = {-0.25, 0, 0.5, -1};
	float		g[4];

	CHECK_CLOSE(nn_loss_compute(NN_LOSS_MSE, y, t, g, 2, 2), e_loss, 0, 1e-7);
	for (int i = 0; i < 4; i++)
		CHECK_CLOSE(g[i], e_grad[i], 1e-7, 1e-6);
	CHECK(nn_loss_compute(NN_LOSS_MSE, y, t, NULL, 2, 2) ==
		  nn_loss_compute(NN_LOSS_MSE, y, t, g, 2, 2));
	/* a perfect prediction */
	CHECK(nn_loss_compute(NN_LOSS_MSE, y, y, g, 4, 1) == 0.0);
	CHECK(g[0] == 0.0f && g[3] == 0.0f);
}

/* ------------------------------------------------ double-precision reference */

static double
softplus(double a)
{
	return a > 0 ? a + log1p(exp(-a)) : log1p(exp(a));
}

/* mean over rows of loss(act(z)) in double */
static double
ref_mean_loss(NNLoss loss, const double *z, const float *t, size_t batch,
			  size_t out)
{
	double		s = 0.0;

	for (size_t r = 0; r < batch; r++)
	{
		const double *row = z + r * out;

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
					s += max + log(sum) - row[(size_t) t[r]];
					break;
				}
			case NN_LOSS_BINARY_CROSS_ENTROPY:
				/* -y ln s(z) - (1-y) ln(1 - s(z)) */
				s += t[r] * softplus(-row[0]) + (1.0 - t[r]) * softplus(row[0]);
				break;
			case NN_LOSS_MSE:
				for (size_t c = 0; c < out; c++)
				{
					double		d = row[c] - t[r * out + c];

					s += d * d / (double) out;
				}
				break;
			default:
				break;
		}
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
kernel_mean_loss(NNLoss loss, const float *z, const float *t, float *work,
				 size_t batch, size_t out)
{
	memcpy(work, z, batch * out * sizeof(float));
	nn_activation_forward(output_act(loss), work, batch, out);
	return nn_loss_compute(loss, work, t, NULL, batch, out) / (double) batch;
}

static void
loss_fd_case(NNLoss loss, size_t batch, size_t out, uint64_t seed)
{
	size_t		n = batch * out;
	size_t		nt = loss == NN_LOSS_MSE ? n : batch;
	float	   *z = xcalloc(n, sizeof(float));
	float	   *p = xcalloc(n, sizeof(float));
	float	   *g = xcalloc(n, sizeof(float));
	float	   *t = xcalloc(nt, sizeof(float));
	double	   *zd = xcalloc(n, sizeof(double));
	double	   *an = xcalloc(n, sizeof(double));
	double	   *nu = xcalloc(n, sizeof(double));
	NNRng		rng;
	double		sum,
				ref;
	char		what[96];

	nn_rng_seed(&rng, seed);
	fill_uniform(&rng, z, n, -2.5, 2.5);
	for (size_t r = 0; r < batch; r++)
	{
		if (loss == NN_LOSS_CROSS_ENTROPY)
			t[r] = (float) nn_rng_below(&rng, out);
		else if (loss == NN_LOSS_BINARY_CROSS_ENTROPY)
			t[r] = (float) (r % 2);
	}
	if (loss == NN_LOSS_MSE)
		fill_uniform(&rng, t, nt, -2, 2);

	/* the kernel's value and gradient */
	memcpy(p, z, n * sizeof(float));
	nn_activation_forward(output_act(loss), p, batch, out);
	sum = nn_loss_compute(loss, p, t, g, batch, out);
	for (size_t i = 0; i < n; i++)
	{
		an[i] = g[i];
		zd[i] = z[i];
	}

	/* value against the double reference */
	ref = ref_mean_loss(loss, zd, t, batch, out);
	CHECK_CLOSE(sum / (double) batch, ref, 1e-7, 1e-5);

	/* 1: central differences of the double reference, step 1e-5 */
	for (size_t i = 0; i < n; i++)
	{
		double		orig = zd[i],
					lp,
					lm;

		zd[i] = orig + 1e-5;
		lp = ref_mean_loss(loss, zd, t, batch, out);
		zd[i] = orig - 1e-5;
		lm = ref_mean_loss(loss, zd, t, batch, out);
		zd[i] = orig;
		nu[i] = (lp - lm) / 2e-5;
	}
	snprintf(what, sizeof(what), "%s grad vs double (batch %zu, out %zu)",
			 nn_loss_name(loss), batch, out);
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
		lp = kernel_mean_loss(loss, z, t, p, batch, out);
		z[i] = zm;
		lm = kernel_mean_loss(loss, z, t, p, batch, out);
		z[i] = orig;
		nu[i] = (lp - lm) / ((double) zp - zm);
	}
	snprintf(what, sizeof(what), "%s grad vs float kernels (batch %zu, out %zu)",
			 nn_loss_name(loss), batch, out);
	CHECK_GRAD(what, an, nu, n, 2e-4, 1e-2, 0.02);

	free(z);
	free(p);
	free(g);
	free(t);
	free(zd);
	free(an);
	free(nu);
}

static void
test_cross_entropy_fd(void)
{
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 4, 3, 21);
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 5, 5, 22);
	loss_fd_case(NN_LOSS_CROSS_ENTROPY, 1, 2, 23);
}

static void
test_binary_cross_entropy_fd(void)
{
	loss_fd_case(NN_LOSS_BINARY_CROSS_ENTROPY, 5, 1, 31);
	loss_fd_case(NN_LOSS_BINARY_CROSS_ENTROPY, 2, 1, 32);
}

static void
test_mse_fd(void)
{
	loss_fd_case(NN_LOSS_MSE, 3, 2, 41);
	loss_fd_case(NN_LOSS_MSE, 4, 1, 42);
	loss_fd_case(NN_LOSS_MSE, 2, 5, 43);
}

int
main(void)
{
	RUN_TEST(test_names);
	RUN_TEST(test_cross_entropy_values);
	RUN_TEST(test_binary_cross_entropy_values);
	RUN_TEST(test_mse_values);
	RUN_TEST(test_cross_entropy_fd);
	RUN_TEST(test_binary_cross_entropy_fd);
	RUN_TEST(test_mse_fd);
	return harness_finish("test_losses");
}
