/*
 * optimizers.h - parameter updates.  Every optimizer works on one flat
 * parameter vector with its state vectors of the same length, so the
 * network can update all its tensors with one call.
 */
#ifndef NN_OPTIMIZERS_H
#define NN_OPTIMIZERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum NNOptimizer
{
	NN_OPT_SGD = 0,
	NN_OPT_ADAM = 1,
	NN_OPT_COUNT
} NNOptimizer;

typedef struct NNOptConfig
{
	float		learning_rate;
	float		beta1;
	float		beta2;
	float		epsilon;
} NNOptConfig;

const char *nn_optimizer_name(NNOptimizer opt);
int			nn_optimizer_from_name(const char *name);
/* number of state floats kept per parameter */
size_t		nn_optimizer_state_per_param(NNOptimizer opt);
float		nn_optimizer_default_lr(NNOptimizer opt);

/*
 * One update of params[0..n) with gradient grad.  state holds
 * nn_optimizer_state_per_param(opt) * n floats (zeroed before the first
 * step); step is the 1-based update count, used for Adam's bias correction.
 */
void		nn_optimizer_step(NNOptimizer opt, const NNOptConfig *cfg,
							  float *params, const float *grad, float *state,
							  size_t n, uint64_t step);

/* false when state holds values the optimizer never produces (v < 0) */
bool		nn_optimizer_state_valid(NNOptimizer opt, const float *state, size_t n);

#endif
