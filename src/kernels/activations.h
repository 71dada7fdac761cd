/*
 * activations.h - element-wise activation functions and their derivatives.
 * Derivatives are expressed through the activation's output y, so the
 * backward pass needs no stored pre-activations.
 */
#ifndef NN_ACTIVATIONS_H
#define NN_ACTIVATIONS_H

#include <stddef.h>

typedef enum NNActivation
{
	NN_ACT_IDENTITY = 0,
	NN_ACT_SIGMOID = 1,
	NN_ACT_TANH = 2,
	NN_ACT_RELU = 3,
	NN_ACT_LEAKY_RELU = 4,
	NN_ACT_SOFTMAX = 5,			/* output layer only */
	NN_ACT_COUNT
} NNActivation;

/* negative-side slope of leaky ReLU */
#define NN_LEAKY_SLOPE 0.01f

const char *nn_activation_name(NNActivation act);
/* -1 when the name is unknown */
int			nn_activation_from_name(const char *name);

/* In place over rows x cols (row-major); softmax is taken per row. */
void		nn_activation_forward(NNActivation act, float *z, size_t rows, size_t cols);

/*
 * Multiply the gradient g (w.r.t. the activation output y) in place by
 * dy/dz, giving the gradient w.r.t. the pre-activation.  Not defined for
 * softmax, whose gradient is always fused with the loss.
 */
void		nn_activation_backward(NNActivation act, const float *y, float *g, size_t n);

/* the same for softmax rows (y: its output), through its full Jacobian */
void		nn_softmax_backward(const float *y, float *g, size_t rows, size_t cols);

#endif
