/*
 * explain.h - integrated gradients (Sundararajan, Taly and Yan, 2017):
 * the attribution of each input to one score of a network, the integral
 * of the score's gradient along the straight path from a baseline to the
 * input, times the input's distance from the baseline.
 *
 * The score is offset + scale * output[k] (NNExplainTarget): a class's
 * probability (softmax output k; for one sigmoid output p, class 1's p or
 * class 0's 1 - p) or a regression prediction in target units.  Inputs
 * are raw features, standardized here when the model does (the gradient
 * is then in raw units).
 *
 * Quadrature: the trapezoid rule over steps intervals (steps + 1 points,
 * the endpoints included, so the score and the baseline's score come from
 * the same passes).  Its points nest when the steps double: the 2n rule
 * reuses every point of the n rule and adds the n midpoints, so doubling
 * until completeness holds costs no more gradients than running the
 * final rule alone.  The points run through the network in chunks of at
 * most the explainer's chunk rows, with the interrupt hook between chunks.
 */
#ifndef NN_EXPLAIN_H
#define NN_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "network.h"

/* the most intervals of the path (options steps and max_steps) */
#define NN_EXPLAIN_MAX_STEPS 65536

/* completeness holds when |sum a - (s - b)| <= REL |s - b| + ABS */
#define NN_EXPLAIN_REL_TOLERANCE 0.01
#define NN_EXPLAIN_ABS_TOLERANCE 1e-6

/* the score explained: offset + scale * outputs[output] */
typedef struct NNExplainTarget
{
	uint32_t	output;
	double		scale;
	double		offset;
} NNExplainTarget;

/* class cls's probability for a softmax or a one-sigmoid classifier */
NNExplainTarget nn_explain_class_target(const NNNet *net, uint32_t cls);
/* a regression output in target units: y_mean + y_std * output 0 */
NNExplainTarget nn_explain_value_target(double y_mean, double y_std);
/* the score of one row's outputs */
double		nn_explain_score(const NNExplainTarget *t, const float *out);

typedef struct NNExplainer
{
	const NNNet *net;
	const float *mean;			/* standardization, or both NULL */
	const float *sd;
	NNExplainTarget target;
	size_t		chunk;			/* rows per pass */
	uint32_t	n_inputs;
	NNWork		work;			/* training layout: input gradients need it */
	double	   *sum;			/* n_inputs: the trapezoid's weighted sum */
	float	   *x;				/* chunk x n_inputs: the path's points */
	float	   *grad;			/* chunk x n_inputs */
} NNExplainer;

typedef struct NNExplanation
{
	double		score;			/* at the input */
	double		baseline_score;
	double		completeness_error; /* |sum of attributions - (score - baseline)| */
	uint32_t	steps;			/* intervals of the rule that was used */
} NNExplanation;

typedef enum NNExplainStatus
{
	NN_EXPLAIN_OK = 0,
	NN_EXPLAIN_BAD_CALL,		/* steps, max_steps or the target's output */
	NN_EXPLAIN_NOT_FINITE		/* an output or gradient on the path is not */
} NNExplainStatus;

/*
 * Floats of the buffer nn_explain_bind carves for chunk rows (its doubles
 * first: the buffer must be aligned for double, as malloc and palloc are).
 */
size_t		nn_explain_work_floats(const NNNet *net, size_t chunk);
void		nn_explain_bind(NNExplainer *e, const NNNet *net, const float *mean,
							const float *sd, NNExplainTarget target, float *buf,
							size_t chunk);

/*
 * The gradient of the score w.r.t. each of rows (<= chunk) raw rows x,
 * into grad (rows x inputs); returns the outputs, or NULL for a bad call.
 * This is what nn_explain_run integrates.
 */
const float *nn_explain_gradient(NNExplainer *e, const float *x, size_t rows,
								 float *grad);

/*
 * Integrated gradients of input x from baseline: steps intervals, doubled
 * while completeness misses and the doubled count is at most max_steps
 * (1 <= steps <= max_steps <= NN_EXPLAIN_MAX_STEPS).  Writes an
 * attribution per input into attr and the rest into *res.
 */
NNExplainStatus nn_explain_run(NNExplainer *e, const float *x, const float *baseline,
							   uint32_t steps, uint32_t max_steps, double *attr,
							   NNExplanation *res);

#endif
