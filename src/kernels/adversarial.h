/*
 * adversarial.h - adversarial examples under an L-infinity budget: the
 * fast gradient sign method (FGSM, Goodfellow et al., 2015) and projected
 * gradient descent (PGD, Madry et al., 2018) over a batch of rows, each
 * row attacked against its own target with the gradient of its loss
 * (nn_net_input_gradient, NN_SEED_LOSS) in inference mode.
 *
 * The budget is per input (NNAttackBudget): an epsilon (0 for an input
 * never perturbed, as a text column's one-hot inputs) and a valid range.
 * Rows are raw features when the model's standardization (mean, sd) is
 * given, the network's own inputs otherwise; nn_attack_budget expresses
 * one epsilon and one clip range in either unit.
 */
#ifndef NN_ADVERSARIAL_H
#define NN_ADVERSARIAL_H

#include "network.h"

typedef enum NNAttackMethod
{
	NN_ATTACK_FGSM = 0,
	NN_ATTACK_PGD = 1
} NNAttackMethod;

/* the default PGD step, as a multiple of epsilon / steps (Madry et al.) */
#define NN_ATTACK_STEP_FACTOR 2.5f
#define NN_ATTACK_MAX_STEPS 10000

typedef struct NNAttack
{
	NNAttackMethod method;
	uint32_t	steps;			/* PGD: gradient steps, 1 to NN_ATTACK_MAX_STEPS */
	/* PGD: each step moves an input by step_fraction x its epsilon */
	float		step_fraction;
	uint64_t	seed;			/* PGD: the random start */
	/* row r starts from the stream of seed + r; false: every row from seed's */
	bool		seed_per_row;
} NNAttack;

/* per input, in the units of the rows attacked */
typedef struct NNAttackBudget
{
	const float *epsilon;		/* 0: the input is never perturbed */
	const float *lo;			/* the valid range; -inf and inf: none */
	const float *hi;
} NNAttackBudget;

/*
 * Fill epsilon, lo and hi (n_inputs each) from one epsilon and one clip
 * range [clip[0], clip[1]] (clip NULL: none) in raw units; inputs whose
 * mask is nonzero get epsilon 0 and no range.  With sd given (mean too)
 * the values are for standardized rows: epsilon / sd, (clip - mean) / sd.
 */
void		nn_attack_budget(float *epsilon, float *lo, float *hi, uint32_t n_inputs,
							 float eps, const uint8_t *mask, const float *clip,
							 const float *mean, const float *sd);

/*
 * The gradient of each row's loss against its target w.r.t. its inputs
 * (batch x inputs into grad): what the attacks step along.  x raw when
 * mean and sd are given (the gradient then in raw units).  Returns the
 * outputs of the forward pass, or NULL for a bad call.
 */
const float *nn_attack_gradient(const NNNet *net, NNWork *work, const float *x,
								size_t batch, const float *target,
								const float *mean, const float *sd, float *grad);

/* the scratch floats nn_attack_rows needs for a batch */
size_t		nn_attack_scratch_floats(const NNNet *net, size_t batch);

/*
 * Replace rows x (batch x inputs) by their attacks: FGSM moves each input
 * by its epsilon in the sign of the gradient (not at all where the
 * gradient is 0); PGD starts at a uniform random point of the ball and
 * takes steps of step_fraction x epsilon in the sign of the gradient,
 * projecting onto the ball around x and into the valid range after each.
 * The valid range is applied last, so an input given outside it is moved
 * into it even beyond its epsilon.  work must be bound with training =
 * true for batch rows.  The interrupt hook runs between PGD steps.
 * Returns false for a bad call (work, method, steps, step).
 */
bool		nn_attack_rows(const NNNet *net, NNWork *work, float *x, size_t batch,
						   const float *target, const NNAttack *attack,
						   const NNAttackBudget *budget, const float *mean,
						   const float *sd, float *scratch);

#endif
