/*
 * test_quantize.c - the int8 quantization kernel (src/kernels/quantize.c):
 * one scale per row, max |row| / 127; values rounded half away from zero
 * and clamped to [-127, 127]; an all-zero (or underflowing) row scaled by
 * 1; the round trip within half a step of each value; the scale check.
 */
#include <float.h>
#include <math.h>

#include "harness.h"
#include "quantize.h"

static void
test_scale_per_row(void)
{
	const float w[6] = {1.27f, -0.5f, 0.0f, -2.54f, 0.01f, 1.0f};
	float		s[2];
	int8_t		q[6];

	nn_quantize_rows(w, 2, 3, s, q);
	CHECK_CLOSE(s[0], 0.01f, 1e-9, 1e-6);
	CHECK_CLOSE(s[1], 0.02f, 1e-9, 1e-6);
	/* each row's largest magnitude is +-127 */
	CHECK_EQ_INT(q[0], 127);
	CHECK_EQ_INT(q[1], -50);
	CHECK_EQ_INT(q[2], 0);
	CHECK_EQ_INT(q[3], -127);
	/* 0.01 / 0.02 = 0.5: half away from zero */
	CHECK_EQ_INT(q[4], 1);
	CHECK_EQ_INT(q[5], 50);
}

static void
test_rounding_half_away_from_zero(void)
{
	/* scale 1: the values are the steps themselves */
	const float w[4] = {127.0f, -2.5f, 2.5f, -0.49f};
	float		s[1];
	int8_t		q[4];

	nn_quantize_rows(w, 1, 4, s, q);
	CHECK_CLOSE(s[0], 1.0f, 0, 0);
	CHECK_EQ_INT(q[1], -3);
	CHECK_EQ_INT(q[2], 3);
	CHECK_EQ_INT(q[3], 0);
}

static void
test_zero_and_tiny_rows(void)
{
	const float zero[3] = {0.0f, -0.0f, 0.0f};
	/* FLT_TRUE_MIN / 127 underflows to 0: scale 1, values 0 */
	const float tiny[2] = {FLT_TRUE_MIN, -FLT_TRUE_MIN};
	float		s[1];
	int8_t		q[3];

	nn_quantize_rows(zero, 1, 3, s, q);
	CHECK_CLOSE(s[0], 1.0f, 0, 0);
	CHECK(q[0] == 0 && q[1] == 0 && q[2] == 0);
	nn_quantize_rows(tiny, 1, 2, s, q);
	CHECK_CLOSE(s[0], 1.0f, 0, 0);
	CHECK(q[0] == 0 && q[1] == 0);
	CHECK_CLOSE(nn_quant_scale(0.0f), 1.0f, 0, 0);
	CHECK_CLOSE(nn_quant_scale(254.0f), 2.0f, 0, 0);
}

/*
 * A subnormal scale can carry a quotient past 127: 128 of the smallest
 * floats over 127 rounds to one of them, and 128 / 1 is clamped.
 */
static void
test_clamped(void)
{
	const float w[3] = {128 * FLT_TRUE_MIN, -128 * FLT_TRUE_MIN, FLT_TRUE_MIN};
	float		s[1];
	int8_t		q[3];

	nn_quantize_rows(w, 1, 3, s, q);
	CHECK(s[0] == FLT_TRUE_MIN);
	CHECK_EQ_INT(q[0], 127);
	CHECK_EQ_INT(q[1], -127);
	CHECK_EQ_INT(q[2], 1);
}

/* dequantized weights lie within half a step of the originals */
static void
test_round_trip_error(void)
{
	enum {ROWS = 5, COLS = 37};
	float		w[ROWS * COLS],
				back[ROWS * COLS],
				s[ROWS];
	int8_t		q[ROWS * COLS];
	uint32_t	x = 12345;

	for (int i = 0; i < ROWS * COLS; i++)
	{
		x = x * 1103515245u + 12345u;
		w[i] = ((float) (x >> 8) / (float) (1u << 24) - 0.5f) * (float) (1 + i / COLS);
	}
	nn_quantize_rows(w, ROWS, COLS, s, q);
	nn_dequantize_rows(q, s, ROWS, COLS, back);
	for (int i = 0; i < ROWS * COLS; i++)
	{
		CHECK(q[i] >= -127 && q[i] <= 127);
		CHECK_MSG(fabsf(back[i] - w[i]) <= 0.5f * s[i / COLS] * 1.0001f,
				  "value %d: %g back %g scale %g", i, w[i], back[i], s[i / COLS]);
		CHECK(back[i] == (float) q[i] * s[i / COLS]);
	}
}

static void
test_scale_valid(void)
{
	CHECK(nn_quant_scale_valid(1e-30f));
	CHECK(nn_quant_scale_valid(FLT_MAX));
	CHECK(!nn_quant_scale_valid(0.0f));
	CHECK(!nn_quant_scale_valid(-1.0f));
	CHECK(!nn_quant_scale_valid(INFINITY));
	CHECK(!nn_quant_scale_valid(NAN));
}

int
main(void)
{
	RUN_TEST(test_scale_per_row);
	RUN_TEST(test_rounding_half_away_from_zero);
	RUN_TEST(test_zero_and_tiny_rows);
	RUN_TEST(test_clamped);
	RUN_TEST(test_round_trip_error);
	RUN_TEST(test_scale_valid);
	return harness_finish("test_quantize");
}
