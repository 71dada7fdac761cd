/*
 * quantize.c - symmetric per-row int8 quantization and its inverse
 * (quantize.h).  Deterministic: roundf and float division only, no
 * reordering, so every CPU gives the same bytes.
 */
#include <math.h>

#include "quantize.h"

float
nn_quant_scale(float max_abs)
{
	float		s = max_abs / (float) NN_QUANT_MAX;

	return s > 0.0f ? s : 1.0f;
}

bool
nn_quant_scale_valid(float scale)
{
	return isfinite(scale) && scale > 0.0f;
}

static int8_t
QuantizeValue(float w, float scale)
{
	float		v = roundf(w / scale);

	/* a subnormal scale can carry the quotient past 127 */
	if (v > NN_QUANT_MAX)
		v = NN_QUANT_MAX;
	else if (v < -NN_QUANT_MAX)
		v = -NN_QUANT_MAX;
	return (int8_t) v;
}

void
nn_quantize_rows(const float *w, size_t rows, size_t cols, float *scales, int8_t *q)
{
	for (size_t r = 0; r < rows; r++)
	{
		const float *row = w + r * cols;
		float		max_abs = 0.0f;

		for (size_t c = 0; c < cols; c++)
			if (fabsf(row[c]) > max_abs)
				max_abs = fabsf(row[c]);
		scales[r] = nn_quant_scale(max_abs);
		for (size_t c = 0; c < cols; c++)
			q[r * cols + c] = QuantizeValue(row[c], scales[r]);
	}
}

void
nn_dequantize_rows(const int8_t *q, const float *scales, size_t rows, size_t cols,
				   float *w)
{
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c < cols; c++)
			w[r * cols + c] = (float) q[r * cols + c] * scales[r];
}
