/*
 * activations.c - element-wise activations, softmax, and derivatives.
 *
 * The rectifier loops must not branch on the sign: on inputs of random
 * sign (batch-normalized ones, say) every other branch mispredicts, which
 * made them ~5 ns per element instead of under 1.  gcc turns a ternary,
 * an if, fmaxf or a multiplication by a comparison into a branch; it does
 * not turn a table lookup indexed by a comparison, or integer masking.
 * Of those two only the masking is vectorized (a compare and an and; the
 * lookup becomes one scalar load per element): Slope.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "activations.h"

static const char *const act_names[NN_ACT_COUNT] = {
	"identity", "sigmoid", "tanh", "relu", "leaky_relu", "softmax"
};

const char *
nn_activation_name(NNActivation act)
{
	return (unsigned) act < NN_ACT_COUNT ? act_names[act] : "unknown";
}

int
nn_activation_from_name(const char *name)
{
	for (int i = 0; i < NN_ACT_COUNT; i++)
		if (strcmp(name, act_names[i]) == 0)
			return i;
	return -1;
}

static inline float
Sigmoid(float z)
{
	/* split by sign so expf never overflows */
	if (z >= 0)
		return 1.0f / (1.0f + expf(-z));
	else
	{
		float		e = expf(z);

		return e / (1.0f + e);
	}
}

/*
 * max(z, 0) through the bits: z when it is above 0 (bits in [1, +inf]),
 * else +0, NaN included, as z > 0 ? z : 0.
 */
static inline float
Relu(float z)
{
	uint32_t	bits;

	memcpy(&bits, &z, sizeof(bits));
	bits &= 0u - (uint32_t) (bits - 1u < 0x7F800000u);
	memcpy(&z, &bits, sizeof(z));
	return z;
}

/* a rectifier's slope at y: 1 when y > 0, else below (NaN: below) */
static inline float
Slope(float y, float below)
{
	float		one = 1.0f;
	float		slope;
	uint32_t	mask = 0u - (uint32_t) (y > 0.0f);
	uint32_t	a,
				b;

	memcpy(&a, &one, sizeof(a));
	memcpy(&b, &below, sizeof(b));
	a = (a & mask) | (b & ~mask);
	memcpy(&slope, &a, sizeof(slope));
	return slope;
}

static void
SoftmaxRows(float *z, size_t rows, size_t cols)
{
	for (size_t r = 0; r < rows; r++)
	{
		float	   *row = z + r * cols;
		float		max = row[0];
		float		sum = 0.0f;

		/* subtracting the row maximum keeps expf in range */
		for (size_t c = 1; c < cols; c++)
			if (row[c] > max)
				max = row[c];
		for (size_t c = 0; c < cols; c++)
		{
			row[c] = expf(row[c] - max);
			sum += row[c];
		}
		for (size_t c = 0; c < cols; c++)
			row[c] /= sum;
	}
}

void
nn_activation_forward(NNActivation act, float *z, size_t rows, size_t cols)
{
	size_t		n = rows * cols;

	switch (act)
	{
		case NN_ACT_IDENTITY:
			break;
		case NN_ACT_SIGMOID:
			for (size_t i = 0; i < n; i++)
				z[i] = Sigmoid(z[i]);
			break;
		case NN_ACT_TANH:
			for (size_t i = 0; i < n; i++)
				z[i] = tanhf(z[i]);
			break;
		case NN_ACT_RELU:
			for (size_t i = 0; i < n; i++)
				z[i] = Relu(z[i]);
			break;
		case NN_ACT_LEAKY_RELU:
			for (size_t i = 0; i < n; i++)
				z[i] *= Slope(z[i], NN_LEAKY_SLOPE);
			break;
		case NN_ACT_SOFTMAX:
			SoftmaxRows(z, rows, cols);
			break;
		default:
			break;
	}
}

void
nn_activation_backward(NNActivation act, const float *y, float *g, size_t n)
{
	switch (act)
	{
		case NN_ACT_SIGMOID:
			for (size_t i = 0; i < n; i++)
				g[i] *= y[i] * (1.0f - y[i]);
			break;
		case NN_ACT_TANH:
			for (size_t i = 0; i < n; i++)
				g[i] *= 1.0f - y[i] * y[i];
			break;
		case NN_ACT_RELU:
			for (size_t i = 0; i < n; i++)
				g[i] *= Slope(y[i], 0.0f);
			break;
		case NN_ACT_LEAKY_RELU:
			/* y > 0 exactly when z > 0, since the slope is positive */
			for (size_t i = 0; i < n; i++)
				g[i] *= Slope(y[i], NN_LEAKY_SLOPE);
			break;
		default:
			/* identity; softmax never reaches here (fused with its loss) */
			break;
	}
}

/*
 * Softmax rows: dz_i = y_i (g_i - sum_j g_j y_j), the Jacobian product
 * that the loss fuses away in training but a gradient seeded from an
 * output needs.  The sum is taken in double, as the softmax's own.
 */
void
nn_softmax_backward(const float *y, float *g, size_t rows, size_t cols)
{
	for (size_t r = 0; r < rows; r++)
	{
		const float *yr = y + r * cols;
		float	   *gr = g + r * cols;
		double		dot = 0.0;

		for (size_t c = 0; c < cols; c++)
			dot += (double) gr[c] * yr[c];
		for (size_t c = 0; c < cols; c++)
			gr[c] = yr[c] * (float) (gr[c] - dot);
	}
}
