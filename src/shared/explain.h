/*
 * explain.h - integrated gradients of a model (kernels/explain.h) as the
 * SQL functions use them: the options (class, baseline, steps,
 * max_steps), an explainer sized by nn.score_memory, one row explained,
 * and the attributions grouped by the model's feature columns for JSON.
 * Shared by nn_explain and nn_explain_row (score/explain.c), nn_importance
 * (inspect/importance.c) and nn_plot's heat map (inspect/plot.c).
 */
#ifndef NN_SHARED_EXPLAIN_H
#define NN_SHARED_EXPLAIN_H

#include "kernels/explain.h"
#include "shared/shared.h"

#define NN_EXPLAIN_DEFAULT_STEPS 64
#define NN_EXPLAIN_DEFAULT_MAX_STEPS 1024

typedef enum NNBaselineKind
{
	NN_BASELINE_MEAN,			/* the model's training means */
	NN_BASELINE_ZERO,
	NN_BASELINE_ARRAY			/* given, in raw units */
} NNBaselineKind;

/* the nn_explain options, parsed and checked against a model */
typedef struct NNExplainOptions
{
	int64		cls;			/* a class index; -1: each row's predicted class */
	NNBaselineKind baseline;	/* after the fallback: mean without means is zero */
	float	   *baseline_values;	/* n_inputs raw values */
	uint32		steps;
	uint32		max_steps;
} NNExplainOptions;

/* the keys nn_explain takes (NULL-ended), for nn_fnoptions_check */
extern const char *const nn_explain_option_keys[];

/* options (NULL for the defaults) for model m; fn names the function in errors */
void		nn_explain_options(const NNModel *m, Jsonb *options, const char *fn,
							   NNExplainOptions *o);

/* a model's explainer with its buffers, in the current memory context */
typedef struct NNModelExplainer
{
	const NNModel *model;
	NNExplainOptions opt;
	float	   *buf;
	size_t		chunk;
	NNExplainer e;
	double	   *attr;			/* n_inputs, the last row's */
	NNExplanation res;
	uint32		cls;			/* the last row's class (classifiers) */
} NNModelExplainer;

NNModelExplainer *nn_model_explainer(const NNModel *m, const NNExplainOptions *o,
									 const char *fn);
/* explain raw, checked features x: me->attr, me->res and me->cls */
void		nn_model_explain(NNModelExplainer *me, const float *x);

/* the attribution of feature column i: its inputs' sum (text: one number) */
double		nn_column_total(const NNModel *m, uint32 i, const double *attr);
/* columns for JSON: a model from nn_init has one, "input", of every input */
uint32		nn_explain_columns(const NNModel *m);
const char *nn_explain_column_name(const NNModel *m, uint32 i);
/* a number (true) or an array of its inputs' values (false) */
bool		nn_explain_column_is_number(const NNModel *m, uint32 i);
/* push {column: number or array of v}; totals: {column: sum of v} */
void		nn_explain_push_columns(JsonbParseState **st, const NNModel *m,
									const double *v, bool totals);

/* the explanation as nn_explain returns it */
Jsonb	   *nn_explanation_jsonb(const NNModelExplainer *me);

#endif
