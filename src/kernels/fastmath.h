/*
 * fastmath.h - exp, the logistic sigmoid and tanh for the recurrent cells'
 * gates (recurrent_cells.c), written so that a loop over them vectorizes
 * at -O3 without -ffast-math: no branch, no libm call, only selects,
 * multiplies, adds, one division and a float-to-int conversion.  libm's
 * expf and tanhf are scalar calls; an LSTM step evaluates four of them per
 * unit and row, which made them the largest cost of a step after the
 * matrix products.  Dense layers keep libm (their model bytes must not
 * change).
 *
 * exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 in [-ln2/2,
 * ln2/2] (ln 2 split in two parts so that k ln 2 is exact enough), exp(r)
 * by its Taylor polynomial of degree 7 (remainder below 5.3e-9 on that
 * interval), 2^k built in the exponent bits.  x is clamped to [-87, 88],
 * where 2^k stays a normal float: exp(x) below e^-87 (1.6e-38) returns
 * about 1.6e-38, above e^88 about 1.65e38; no overflow, no denormal.  A NaN
 * argument gives NaN.
 *
 * Measured against libm in double (test_recurrent.c, test_fastmath, every
 * 1/1024 over [-120, 120]): nn_fast_exp's relative error is below 2e-7
 * (measured 9.8e-8, about one float ulp) on [-87, 88]; nn_fast_sigmoid's
 * relative error below 3e-7 on [-87, 87] (1.4e-7) and its absolute error
 * below 2e-7 everywhere (8.9e-8); nn_fast_tanh's absolute error below 3e-7
 * everywhere (1.3e-7).  tanh's relative error grows only where tanh(x) ~
 * x is tiny: (1 - e) / (1 + e) cancels there, which a recurrent cell does
 * not mind (its values are summed with others of order 1).
 */
#ifndef NN_FASTMATH_H
#define NN_FASTMATH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* x clamped to [-87, 88], where 2^k below stays a normal float; NaN stays */
static inline float
nn_exp_arg(float x)
{
	float		c = x < -87.0f ? -87.0f : x;

	return c > 88.0f ? 88.0f : c;
}

/* exp of an argument already clamped by nn_exp_arg: no select at all */
static inline float
nn_exp_clamped(float x)
{
	/*
	 * k = x / ln 2 rounded to the nearest integer by adding 1.5 x 2^23:
	 * the sum's low mantissa bits are then k itself (read as bits, so a
	 * NaN makes no undefined float-to-int conversion).
	 */
	const float shifter = 12582912.0f;
	const uint32_t shifter_bits = 0x4b400000u;
	float		kk = x * 1.44269504088896341f + shifter;
	float		k = kk - shifter;
	float		r,
				p,
				scale;
	uint32_t	bits;

	/* ln 2 = 0.693359375 - 2.12194440e-4; the first part is exact in k */
	r = x - k * 0.693359375f;
	r = r + k * 2.12194440054690583e-4f;
	p = 1.0f + r * (1.0f + r * (0.5f + r * (1.0f / 6 + r * (1.0f / 24 +
		r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
	/* 2^k: k + 127 in the exponent bits, 1 .. 254 for k in [-126, 127] */
	memcpy(&bits, &kk, sizeof(bits));
	bits = (bits - shifter_bits + 127u) << 23;
	memcpy(&scale, &bits, sizeof(scale));
	return p * scale;
}

static inline float
nn_fast_exp(float x)
{
	return nn_exp_clamped(nn_exp_arg(x));
}

static inline float
nn_fast_sigmoid(float x)
{
	return 1.0f / (1.0f + nn_fast_exp(-x));
}

/* (1 - e^-2x) / (1 + e^-2x): -1 and 1 in the clamped tails, no sign test */
static inline float
nn_fast_tanh(float x)
{
	float		e = nn_fast_exp(-2.0f * x);

	return (1.0f - e) / (1.0f + e);
}

/*
 * The same over arrays (y may be x), as two loops: the clamps, stored,
 * then the arithmetic.  In one loop gcc sinks the arithmetic into the
 * select's arms, which -ftrapping-math then keeps from being if-converted:
 * no vectorization.  Two loops over a row of gates stay in L1.
 */
static inline void
nn_fast_sigmoid_n(const float *x, float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = nn_exp_arg(-x[i]);
	for (size_t i = 0; i < n; i++)
		y[i] = 1.0f / (1.0f + nn_exp_clamped(y[i]));
}

static inline void
nn_fast_tanh_n(const float *x, float *y, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] = nn_exp_arg(-2.0f * x[i]);
	for (size_t i = 0; i < n; i++)
	{
		float		e = nn_exp_clamped(y[i]);

		y[i] = (1.0f - e) / (1.0f + e);
	}
}

#endif
