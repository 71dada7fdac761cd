/*
 * losses.h - loss functions fused with the output activation.  Each returns
 * the loss summed over the batch rows (callers divide) and, when grad is
 * not NULL, writes d(mean loss)/d(pre-activation) for every output.
 */
#ifndef NN_LOSSES_H
#define NN_LOSSES_H

#include <stddef.h>

typedef enum NNLoss
{
	NN_LOSS_CROSS_ENTROPY = 0,	/* softmax outputs, target = class index */
	NN_LOSS_BINARY_CROSS_ENTROPY = 1,	/* one sigmoid output, target 0/1 */
	NN_LOSS_MSE = 2,			/* identity outputs, target = value */
	NN_LOSS_COUNT
} NNLoss;

const char *nn_loss_name(NNLoss loss);
int			nn_loss_from_name(const char *name);

/*
 * probs: batch x out, the output layer's activations (softmax, sigmoid or
 * identity already applied).  target: one value per row (class index for
 * cross-entropy).  weight: per-row weights or NULL.  grad: batch x out.
 */
double		nn_loss_compute(NNLoss loss, const float *out_act, const float *target,
							float *grad, size_t batch, size_t out);

#endif
