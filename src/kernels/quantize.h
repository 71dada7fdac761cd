/*
 * quantize.h - symmetric int8 quantization of a weight tensor, one scale
 * per row (an output channel: a dense unit, a filter, a recurrent gate
 * row), for the compressed model format (src/formats/model_quant.c).
 *
 * It is math over float arrays like the other kernels, so it lives here,
 * below the format that stores its results, and is unit-tested and
 * mutated with them (test/unit/test_quantize.c).
 */
#ifndef NN_QUANTIZE_H
#define NN_QUANTIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* the largest magnitude of a quantized value; -128 is never used */
#define NN_QUANT_MAX 127

/*
 * The scale of a row whose largest magnitude is max_abs: max_abs / 127,
 * or 1 when that is not positive (an all-zero row, or one so small that
 * the division underflows to zero: its values quantize to 0).
 */
float		nn_quant_scale(float max_abs);

/*
 * w (rows x cols, row-major, finite) to one scale per row and values
 * q = round(w / scale), half away from zero, clamped to [-127, 127].
 */
void		nn_quantize_rows(const float *w, size_t rows, size_t cols,
							 float *scales, int8_t *q);

/* w = q * scale of its row */
void		nn_dequantize_rows(const int8_t *q, const float *scales,
							   size_t rows, size_t cols, float *w);

/* a scale a quantized model may hold: finite and positive */
bool		nn_quant_scale_valid(float scale);

#endif
