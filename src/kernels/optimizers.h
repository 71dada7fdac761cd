/*
 * optimizers.h - parameter updates.  An optimizer updates one tensor at a
 * time (a weight matrix, a bias vector, ...) so that weight decay can skip
 * biases; its state for the whole network is k slots of n_params floats,
 * slot j of parameter i at state[j * stride + i].
 */
#ifndef NN_OPTIMIZERS_H
#define NN_OPTIMIZERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum NNOptimizer
{
	NN_OPT_SGD = 0,				/* p -= lr g */
	NN_OPT_ADAM = 1,			/* bias-corrected moments (Kingma & Ba) */
	NN_OPT_MOMENTUM = 2,		/* v = mu v + g; p -= lr v */
	NN_OPT_NESTEROV = 3,		/* v = mu v + g; p -= lr (g + mu v) */
	NN_OPT_RMSPROP = 4,			/* s = rho s + (1-rho) g^2; p -= lr g / (sqrt(s) + eps) */
	NN_OPT_ADAGRAD = 5,			/* s += g^2; p -= lr g / (sqrt(s) + eps) */
	NN_OPT_ADADELTA = 6,		/* Zeiler 2012, scaled by lr */
	NN_OPT_ADAMW = 7,			/* Adam with decoupled weight decay */
	NN_OPT_COUNT
} NNOptimizer;

typedef struct NNOptConfig
{
	float		learning_rate;
	float		beta1;			/* adam, adamw */
	float		beta2;			/* adam, adamw */
	float		epsilon;
	float		momentum;		/* momentum, nesterov */
	float		rho;			/* rmsprop, adadelta */
	float		weight_decay;	/* adamw: p -= lr wd p, on weights only */
} NNOptConfig;

const char *nn_optimizer_name(NNOptimizer opt);
int			nn_optimizer_from_name(const char *name);
/* number of state slots kept per parameter */
size_t		nn_optimizer_state_per_param(NNOptimizer opt);
/* documented defaults: a learning rate that works out of the box, eps */
float		nn_optimizer_default_lr(NNOptimizer opt);
float		nn_optimizer_default_epsilon(NNOptimizer opt);
/* cfg with every default for opt (learning rate, betas, momentum, rho...) */
void		nn_optimizer_defaults(NNOptimizer opt, NNOptConfig *cfg);

/*
 * One update of params[0..n) with gradient grad and learning rate lr (the
 * schedule's, not necessarily cfg->learning_rate).  state points at this
 * tensor's first element in slot 0; slot j is at state + j * stride.
 * step is the 1-based update count (Adam's bias correction).  decay: apply
 * AdamW's weight decay to this tensor.
 */
void		nn_optimizer_step(NNOptimizer opt, const NNOptConfig *cfg, float lr,
							  float *params, const float *grad, float *state,
							  size_t n, size_t stride, uint64_t step, bool decay);

/* false when state holds values the optimizer never produces (v < 0) */
bool		nn_optimizer_state_valid(NNOptimizer opt, const float *state, size_t n);

#endif
