/*
 * test_fastmath.c - the recurrent cells' exp, sigmoid and tanh
 * (fastmath.h) against libm: their documented error bounds over the whole
 * float range and beyond, the tails and special values (no overflow, NaN
 * only from NaN), and the array forms the cells use giving the scalar
 * forms' bytes.
 */
#include "fastmath.h"
#include "harness.h"

/*
 * exp against libm over its whole range and beyond, with the documented
 * error bounds (fastmath.h); sigmoid and tanh likewise; the array forms
 * give the scalar forms' bytes; no overflow, no NaN but from a NaN.
 */
static void
test_fastmath(void)
{
	double		exp_rel = 0.0,
				sig_rel = 0.0,
				sig_abs = 0.0,
				tanh_abs = 0.0;
	static float xs[4001],
				ys[4001],
				yt[4001];

	for (double v = -120.0; v <= 120.0; v += 1.0 / 1024)
	{
		float		x = (float) v;
		double		e = exp((double) x);
		double		s = 1.0 / (1.0 + exp(-(double) x));
		float		fe = nn_fast_exp(x);
		float		fs = nn_fast_sigmoid(x);
		float		ft = nn_fast_tanh(x);

		if (!CHECK_MSG(isfinite(fe) && isfinite(fs) && isfinite(ft) &&
					   fe > 0.0f && fs >= 0.0f && fs <= 1.0f &&
					   ft >= -1.0f && ft <= 1.0f, "x = %g: %g %g %g", v, fe, fs, ft))
			break;
		if (x >= -87.0f && x <= 88.0f)
			exp_rel = fmax(exp_rel, fabs(fe - e) / e);
		if (x >= -87.0f && x <= 87.0f)
			sig_rel = fmax(sig_rel, fabs(fs - s) / s);
		sig_abs = fmax(sig_abs, fabs(fs - s));
		tanh_abs = fmax(tanh_abs, fabs(ft - tanh((double) x)));
	}
	if (harness_verbose())
		printf("    exp rel %.3g, sigmoid rel %.3g abs %.3g, tanh abs %.3g\n",
			   exp_rel, sig_rel, sig_abs, tanh_abs);
	CHECK_MSG(exp_rel < 2e-7, "exp relative error %g", exp_rel);
	CHECK_MSG(sig_rel < 3e-7, "sigmoid relative error %g", sig_rel);
	CHECK_MSG(sig_abs < 2e-7, "sigmoid absolute error %g", sig_abs);
	CHECK_MSG(tanh_abs < 3e-7, "tanh absolute error %g", tanh_abs);
	/* the tails and the special values */
	CHECK(nn_fast_sigmoid(INFINITY) == 1.0f && nn_fast_sigmoid(-INFINITY) < 1e-37f);
	CHECK(nn_fast_tanh(INFINITY) == 1.0f && nn_fast_tanh(-INFINITY) == -1.0f);
	CHECK(nn_fast_tanh(1e30f) == 1.0f && nn_fast_tanh(-1e30f) == -1.0f);
	CHECK(nn_fast_exp(0.0f) == 1.0f && nn_fast_tanh(0.0f) == 0.0f);
	CHECK(nn_fast_exp(1000.0f) > 1e38f && isfinite(nn_fast_exp(1000.0f)));
	CHECK(isnan(nn_fast_exp(NAN)) && isnan(nn_fast_sigmoid(NAN)) && isnan(nn_fast_tanh(NAN)));
	/* the array forms, in place and not */
	for (size_t i = 0; i < 4001; i++)
		xs[i] = (float) (-100.0 + 0.05 * i);
	nn_fast_sigmoid_n(xs, ys, 4001);
	memcpy(yt, xs, sizeof(yt));
	nn_fast_tanh_n(yt, yt, 4001);
	for (size_t i = 0; i < 4001; i++)
	{
		CHECK(ys[i] == nn_fast_sigmoid(xs[i]));
		CHECK(yt[i] == nn_fast_tanh(xs[i]));
	}
}

int
main(void)
{
	RUN_TEST(test_fastmath);
	return harness_finish("test_fastmath");
}
