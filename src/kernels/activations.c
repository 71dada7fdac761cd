/*
 * activations.c - element-wise activations, softmax, and derivatives.
 */
#include <math.h>
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
				z[i] = z[i] > 0.0f ? z[i] : 0.0f;
			break;
		case NN_ACT_LEAKY_RELU:
			for (size_t i = 0; i < n; i++)
				z[i] = z[i] > 0.0f ? z[i] : NN_LEAKY_SLOPE * z[i];
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
				if (y[i] <= 0.0f)
					g[i] = 0.0f;
			break;
		case NN_ACT_LEAKY_RELU:
			/* y > 0 exactly when z > 0, since the slope is positive */
			for (size_t i = 0; i < n; i++)
				if (y[i] <= 0.0f)
					g[i] *= NN_LEAKY_SLOPE;
			break;
		default:
			/* identity; softmax never reaches here (fused with its loss) */
			break;
	}
}
