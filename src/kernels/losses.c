/*
 * losses.c - losses fused with their output activation: softmax with
 * cross-entropy, sigmoid with binary cross-entropy, identity with MSE, MAE
 * and Huber.  Fusing gives the simple, stable gradient (output - target)
 * for the classification losses.
 *
 * Every loss is a sum over rows of w_r * loss_r (w_r = 1 without weights);
 * the gradient of row r is scaled by w_r / batch, the gradient of the
 * weighted batch mean.
 */
#include <math.h>
#include <string.h>

#include "losses.h"

/* keeps log() finite when a probability rounds to 0 in float32 */
#define NN_PROB_FLOOR 1e-12

static const char *const loss_names[NN_LOSS_COUNT] = {
	"cross_entropy", "binary_cross_entropy", "mse", "mae", "huber"
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

int
nn_loss_is_regression(NNLoss loss)
{
	return loss == NN_LOSS_MSE || loss == NN_LOSS_MAE || loss == NN_LOSS_HUBER;
}

/*
 * log of a probability, floored so that a probability that rounded to 0
 * costs -log(1e-12) instead of infinity.  Written as a comparison rather
 * than fmax(), which would replace a NaN probability by the floor and so
 * hide a diverged network behind a finite loss.
 */
static inline double
LogProb(double p)
{
	return log(p < NN_PROB_FLOOR ? NN_PROB_FLOOR : p);
}

static inline float
RowWeight(const float *weight, size_t r)
{
	return weight != NULL ? weight[r] : 1.0f;
}

static double
CrossEntropy(const float *p, const float *target, const float *weight,
			 float *grad, size_t batch, size_t out)
{
	double		sum = 0.0;
	float		inv_batch = 1.0f / (float) batch;

	for (size_t r = 0; r < batch; r++)
	{
		const float *row = p + r * out;
		float		w = RowWeight(weight, r);
		size_t		t;

		/* a class index outside the outputs must not index past the row */
		if (!(target[r] >= 0.0f && target[r] < (float) out))
			return NAN;
		t = (size_t) target[r];
		sum -= w * LogProb(row[t]);
		if (grad != NULL)
		{
			float		scale = w * inv_batch;
			float	   *g = grad + r * out;

			for (size_t c = 0; c < out; c++)
				g[c] = row[c] * scale;
			g[t] -= scale;
		}
	}
	return sum;
}

static double
BinaryCrossEntropy(const float *p, const float *target, const float *weight,
				   float *grad, size_t batch)
{
	double		sum = 0.0;
	float		inv_batch = 1.0f / (float) batch;

	for (size_t r = 0; r < batch; r++)
	{
		double		y = target[r];
		float		w = RowWeight(weight, r);

		sum -= w * (y * LogProb(p[r]) + (1.0 - y) * LogProb(1.0 - p[r]));
		if (grad != NULL)
			grad[r] = (p[r] - (float) y) * w * inv_batch;
	}
	return sum;
}

/*
 * One row of a regression loss: the mean over the outputs of an element
 * loss of d = y - t, and, when g is not NULL, its derivative times scale.
 * The switch is outside the loops, which are branch-free.
 */
static double
RegressionRow(NNLoss kind, float delta, const float *y, const float *t,
			  float *g, float scale, size_t out)
{
	double		sum = 0.0;

	switch (kind)
	{
		case NN_LOSS_MSE:
			for (size_t c = 0; c < out; c++)
			{
				float		d = y[c] - t[c];

				sum += d * d;
			}
			if (g != NULL)
				for (size_t c = 0; c < out; c++)
					g[c] = 2.0f * (y[c] - t[c]) * scale;
			break;
		case NN_LOSS_MAE:
			for (size_t c = 0; c < out; c++)
				sum += fabsf(y[c] - t[c]);
			/* sign(d), with the subgradient 0 at d == 0 */
			if (g != NULL)
				for (size_t c = 0; c < out; c++)
					g[c] = (float) ((y[c] > t[c]) - (y[c] < t[c])) * scale;
			break;
		case NN_LOSS_HUBER:

			/*
			 * With q = min(|d|, delta), q (|d| - q/2) is d^2/2 inside delta
			 * and delta (|d| - delta/2) outside.  A NaN d makes q delta,
			 * but the factor |d| - q/2 still carries the NaN to the sum.
			 */
			for (size_t c = 0; c < out; c++)
			{
				float		a = fabsf(y[c] - t[c]);
				float		q = a < delta ? a : delta;

				sum += q * (a - 0.5f * q);
			}
			/* the derivative is d clamped to [-delta, delta] */
			if (g != NULL)
				for (size_t c = 0; c < out; c++)
				{
					float		d = y[c] - t[c];

					d = d < -delta ? -delta : d;
					d = d > delta ? delta : d;
					g[c] = d * scale;
				}
			break;
		default:
			return NAN;
	}
	return sum / (double) out;
}

static double
Regression(const NNLossConfig *loss, const float *yhat, const float *target,
		   const float *weight, float *grad, size_t batch, size_t out)
{
	double		sum = 0.0;
	float		inv_n = 1.0f / ((float) batch * (float) out);

	/* a non-positive (or NaN) Huber delta has no meaning */
	if (loss->kind == NN_LOSS_HUBER && !(loss->huber_delta > 0.0f))
		return NAN;

	/* target holds out values per row */
	for (size_t r = 0; r < batch; r++)
	{
		float		w = RowWeight(weight, r);

		sum += w * RegressionRow(loss->kind, loss->huber_delta,
								 yhat + r * out, target + r * out,
								 grad != NULL ? grad + r * out : NULL,
								 w * inv_n, out);
	}
	return sum;
}

double
nn_loss_compute(const NNLossConfig *loss, const float *out_act,
				const float *target, const float *weight,
				float *grad, size_t batch, size_t out)
{
	switch (loss->kind)
	{
		case NN_LOSS_CROSS_ENTROPY:
			return CrossEntropy(out_act, target, weight, grad, batch, out);
		case NN_LOSS_BINARY_CROSS_ENTROPY:
			return BinaryCrossEntropy(out_act, target, weight, grad, batch);
		case NN_LOSS_MSE:
		case NN_LOSS_MAE:
		case NN_LOSS_HUBER:
			return Regression(loss, out_act, target, weight, grad, batch, out);
		default:
			return NAN;
	}
}
