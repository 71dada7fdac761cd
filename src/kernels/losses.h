/*
 * losses.h - loss functions fused with the output activation.  Each returns
 * the (weighted) loss summed over the batch rows (callers divide) and, when
 * grad is not NULL, writes d(loss)/d(pre-activation) for every output,
 * divided by the batch size: the gradient of the batch mean.
 */
#ifndef NN_LOSSES_H
#define NN_LOSSES_H

#include <stddef.h>

typedef enum NNLoss
{
	NN_LOSS_CROSS_ENTROPY = 0,	/* softmax outputs, target = class index */
	NN_LOSS_BINARY_CROSS_ENTROPY = 1,	/* one sigmoid output, target 0/1 */
	NN_LOSS_MSE = 2,			/* identity outputs, target = value */
	NN_LOSS_MAE = 3,			/* identity outputs, mean absolute error */
	NN_LOSS_HUBER = 4,			/* identity outputs, quadratic within delta */
	NN_LOSS_COUNT
} NNLoss;

typedef struct NNLossConfig
{
	NNLoss		kind;
	float		huber_delta;	/* > 0; used by NN_LOSS_HUBER */
} NNLossConfig;

const char *nn_loss_name(NNLoss loss);
int			nn_loss_from_name(const char *name);
/* true for the losses over values (identity outputs) */
int			nn_loss_is_regression(NNLoss loss);

/*
 * out_act: batch x out, the output layer's activations (softmax, sigmoid or
 * identity already applied).  target: one value per row for the
 * classification losses, out values per row for the regression losses.
 * weight: per-row weights, or NULL for all 1.  grad: batch x out, or NULL.
 *
 * Per row r (weighted by w_r): cross-entropy -log p[t]; binary
 * cross-entropy -(y log p + (1-y) log(1-p)); mse mean_c d^2; mae
 * mean_c |d|; huber mean_c (d^2/2 if |d| <= delta else delta(|d| - delta/2)),
 * where d = out - target.
 */
double		nn_loss_compute(const NNLossConfig *loss, const float *out_act,
							const float *target, const float *weight,
							float *grad, size_t batch, size_t out);

#endif
