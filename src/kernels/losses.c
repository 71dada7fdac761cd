/*
 * losses.c - losses fused with their output activation: softmax with
 * cross-entropy, sigmoid with binary cross-entropy, identity with MSE.
 * Fusing gives the simple, stable gradient (output - target).
 */
#include <math.h>
#include <string.h>

#include "losses.h"

/* keeps log() finite when a probability rounds to 0 in float32 */
#define NN_PROB_FLOOR 1e-12

static const char *const loss_names[NN_LOSS_COUNT] = {
	"cross_entropy", "binary_cross_entropy", "mse"
};

const char *
nn_loss_name(NNLoss loss)
{
	return (unsigned) loss < NN_LOSS_COUNT ? loss_names[loss] : "unknown";
}

int
nn_loss_from_name(const char *name)
{
	for (int i = 0; i < NN_LOSS_COUNT; i++)
		if (strcmp(name, loss_names[i]) == 0)
			return i;
	return -1;
}

static double
CrossEntropy(const float *p, const float *target, float *grad,
			 size_t batch, size_t out)
{
	double		sum = 0.0;
	float		scale = 1.0f / (float) batch;

	for (size_t r = 0; r < batch; r++)
	{
		size_t		t = (size_t) target[r];
		const float *row = p + r * out;

		sum -= log(fmax(row[t], NN_PROB_FLOOR));
		if (grad != NULL)
		{
			for (size_t c = 0; c < out; c++)
				grad[r * out + c] = row[c] * scale;
			grad[r * out + t] -= scale;
		}
	}
	return sum;
}

static double
BinaryCrossEntropy(const float *p, const float *target, float *grad,
				   size_t batch)
{
	double		sum = 0.0;
	float		scale = 1.0f / (float) batch;

	for (size_t r = 0; r < batch; r++)
	{
		double		y = target[r];

		sum -= y * log(fmax(p[r], NN_PROB_FLOOR)) +
			(1.0 - y) * log(fmax(1.0 - p[r], NN_PROB_FLOOR));
		if (grad != NULL)
			grad[r] = (p[r] - (float) y) * scale;
	}
	return sum;
}

static double
MeanSquaredError(const float *yhat, const float *target, float *grad,
				 size_t batch, size_t out)
{
	double		sum = 0.0;
	float		scale = 2.0f / (float) (batch * out);

	/* target holds out values per row */
	for (size_t i = 0; i < batch * out; i++)
	{
		float		d = yhat[i] - target[i];

		sum += (double) d * d / (double) out;
		if (grad != NULL)
			grad[i] = d * scale;
	}
	return sum;
}

double
nn_loss_compute(NNLoss loss, const float *out_act, const float *target,
				float *grad, size_t batch, size_t out)
{
	switch (loss)
	{
		case NN_LOSS_CROSS_ENTROPY:
			return CrossEntropy(out_act, target, grad, batch, out);
		case NN_LOSS_BINARY_CROSS_ENTROPY:
			return BinaryCrossEntropy(out_act, target, grad, batch);
		case NN_LOSS_MSE:
			return MeanSquaredError(out_act, target, grad, batch, out);
		default:
			return NAN;
	}
}
