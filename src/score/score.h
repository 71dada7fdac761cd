/*
 * score.h - what the files of src/score/ share among themselves: the
 * scorer, the call site's state and the one function that resolves a
 * model argument (bytea or name) to a scorer, the two caches behind it
 * (parsed models, names), and the SQL scoring functions each serving both
 * overloads.  Nothing
 * outside src/score/ includes it; training never does.
 */
#ifndef NN_SCORE_H
#define NN_SCORE_H

#include "access/htup.h"
#include "fmgr.h"

#include "kernels/predict_batch.h"
#include "shared/shared.h"

typedef struct NNCachedModel NNCachedModel;

/* ---------- scorer.c: a parsed model with the workspace to score it ---------- */

typedef struct NNScorer
{
	MemoryContext cxt;			/* holds the model and everything below */
	uint64		id;				/* unique in the backend: caches keyed on it */
	NNModel    *model;
	uint32		n_inputs;
	uint32		n_outputs;
	NNWork		work;			/* one row */
	float	   *x;				/* one row, standardized */
	float	   *weights_t;		/* transposed weights (nn.row_product =
								 * level1), made on first use */
	NNPredictBatch batch;		/* a block of rows, bound on first use */
	NNCachedModel *shared;		/* the model is borrowed from it, or NULL */
	NNWork		grad_work;		/* one row, training-bound: input gradients */
	bool		grad_bound;
} NNScorer;

/* a scorer of model m, in (or borrowing m into) memory context cxt */
NNScorer   *nn_scorer_new(MemoryContext cxt, NNModel *m);
/* a scorer of a model value, stored or in memory, in a new child of parent */
NNScorer   *nn_scorer_create(struct varlena *model, MemoryContext parent);
void		nn_scorer_free(NNScorer *s);
/* the model replaces NULL features (impute 'mean' or 'zero') */
bool		nn_model_imputes(const NNModel *m);
/* the real[] features argument, checked against the model's inputs */
const float *nn_scorer_array_features(const NNScorer *s, ArrayType *arr);
/*
 * Run one row of n_inputs raw, already checked features; returns the
 * output activations (an ERROR if they are not finite).
 */
const float *nn_scorer_run(NNScorer *s, const float *x);
/* the scorer's block of NN_PREDICT_BLOCK x n_inputs raw rows */
float	   *nn_scorer_batch_rows(NNScorer *s);
/* the outputs of the first n_rows rows of that block (standardized in place) */
const float *nn_scorer_run_batch(NNScorer *s, int n_rows);
/*
 * The scorer's one-row workspace for nn_net_input_gradient (bound with
 * training = true, as it needs), made on first use within nn.score_memory.
 */
NNWork	   *nn_scorer_grad_work(NNScorer *s);
/* nn_predict's value (float8) of each of n_rows rows of checked features */
void		nn_scorer_predict_rows(NNScorer *s, const float *rows, int n_rows, Datum *result);
/* results from the outputs: fn names the SQL function in errors */
Datum		nn_scorer_value(const NNScorer *s, const float *out);	/* float8 */
Datum		nn_scorer_class(const NNScorer *s, const float *out, const char *fn);	/* text */
Datum		nn_scorer_proba(const NNScorer *s, const float *out, const char *fn);	/* real[] */
/* float8: the probability of the class labelled label, or an error listing the classes */
Datum		nn_scorer_proba_of(const NNScorer *s, const float *out, text *label, const char *fn);

/* ---------- rowscore.c: a record's features ---------- */

/*
 * The raw, checked features of record r (the model's columns found by
 * name, the lookup cached in *map_slot, allocated in mcxt), or NULL when a
 * NULL feature leaves the row without a prediction (impute 'skip').
 */
const float *nn_score_record_features(NNScorer *s, HeapTupleHeader r, void **map_slot,
									  MemoryContext mcxt);

/* ---------- resolve.c: a model argument to a scorer ---------- */

/* a scoring call site's state, in its fn_extra */
typedef struct NNScoreSite
{
	int			argno;			/* the model argument */
	bool		by_name;		/* it is a name in nn_models, not a bytea */
	void	   *models;			/* the site's parsed model, keyed on its bytes */
	void	   *row_map;		/* rowscore.c: the features in the row type */
	float	   *outputs;		/* window.c: a by-name chunk's outputs */
	size_t		outputs_capacity;
} NNScoreSite;

NNScoreSite *nn_score_site(FunctionCallInfo fcinfo, int argno);
/* the scorer of model, a value of the site's model argument */
NNScorer   *nn_score_resolve(FunctionCallInfo fcinfo, NNScoreSite *site, Datum model);
/* the same for the model in argument argno of this call */
NNScorer   *nn_score_resolve_arg(FunctionCallInfo fcinfo, int argno);
/* model is the one the site resolved last, from the value first */
bool		nn_score_same_model(const NNScoreSite *site, Datum first, Datum model);

/* ---------- modelcache.c: parsed stored models across queries ---------- */

/*
 * The backend's entry for a model stored out of line (TOAST), parsed on
 * first use and checked against the value when a later transaction finds
 * it; NULL for an in-line value, or when nn.model_cache_memory keeps none.
 * A model parsed but not kept (bigger than the budget, or every place
 * borrowed) is handed over instead: *unkept is the model and *unkept_cxt
 * the memory context holding it, now the caller's (a child of
 * TopMemoryContext until the caller moves it); both NULL otherwise.
 */
NNCachedModel *nn_model_cache_get(Datum model, NNModel **unkept, MemoryContext *unkept_cxt);
const NNModel *nn_cached_model(const NNCachedModel *e);
/* keep e alive until the memory context borrower is reset or deleted */
void		nn_cached_model_pin(NNCachedModel *e, MemoryContext borrower);
/*
 * The entry's transposed weights (n floats), made by fill on first use;
 * NULL when they do not fit nn.model_cache_memory beside the cached
 * models, even after evicting those no call site borrows.
 */
float	   *nn_cached_weights_t(NNCachedModel *e, size_t n,
								void (*fill) (const NNNet *, float *));

/* ---------- catalog.c: names in nn_models ---------- */

/*
 * The scorer of the deployed version of name, for the current user: one
 * hash lookup when cached.  Valid until the end of the transaction.
 */
NNScorer   *nn_catalog_scorer(FunctionCallInfo fcinfo, text *name);

/*
 * ---------- the SQL scoring functions ----------
 *
 * One per output and input shape, each for both overloads (bytea, name);
 * legacy_symbols.c gives them the names the scripts before 1.4 use.
 */
extern Datum nn_predict(PG_FUNCTION_ARGS);	/* predict.c */
extern Datum nn_predict_class(PG_FUNCTION_ARGS);
extern Datum nn_predict_proba(PG_FUNCTION_ARGS);
extern Datum nn_predict_proba_of(PG_FUNCTION_ARGS);
extern Datum nn_predict_batch(PG_FUNCTION_ARGS);
extern Datum nn_predict_row(PG_FUNCTION_ARGS);	/* rowscore.c */
extern Datum nn_predict_class_row(PG_FUNCTION_ARGS);
extern Datum nn_predict_proba_row(PG_FUNCTION_ARGS);
extern Datum nn_predict_proba_of_row(PG_FUNCTION_ARGS);
extern Datum nn_adversarial(PG_FUNCTION_ARGS);	/* adversarial.c */
extern Datum nn_predict_window(PG_FUNCTION_ARGS);	/* window.c */
extern Datum nn_predict_class_window(PG_FUNCTION_ARGS);
extern Datum nn_predict_proba_window(PG_FUNCTION_ARGS);
extern Datum nn_explain(PG_FUNCTION_ARGS);	/* explain.c */
extern Datum nn_explain_row(PG_FUNCTION_ARGS);

#endif
