/*
 * score.h - scoring (src/score/): the scorer and its caches, whole-row
 * scoring and scoring by name.  Training never includes this file.
 */
#ifndef NN_SCORE_H
#define NN_SCORE_H

#include "access/htup.h"

#include "shared/shared.h"

/* ---------- modelcache.c: parsed stored models across queries ---------- */

typedef struct NNCachedModel NNCachedModel;

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

/* ---------- predict.c: scoring ---------- */

/* a parsed model with the workspace to score it, in its own memory context */
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
	NNWork		batch_work;		/* nn_scorer_batch, bound on first use */
	float	   *batch_x;
	struct NNCachedModel *shared;	/* the model is borrowed from it, or NULL */
} NNScorer;

NNScorer   *nn_scorer_create(struct varlena *model, MemoryContext parent);
void		nn_scorer_free(NNScorer *s);
/* a model bytea's scorer, cached in *slot (allocated in mcxt) */
NNScorer   *nn_scorer_cached(Datum model, void **slot, MemoryContext mcxt);
/* the same for argument argno, not compared again when it is a constant or parameter */
NNScorer   *nn_scorer_for_arg(FunctionCallInfo fcinfo, int argno, void **slot);
/* the model replaces NULL features (impute 'mean' or 'zero') */
bool		nn_model_imputes(const NNModel *m);
/* the real[] features argument, checked against the model's inputs */
const float *nn_scorer_array_features(const NNScorer *s, ArrayType *arr);
/*
 * Run one row of n_inputs raw, already checked features; returns the
 * output activations (an ERROR if they are not finite).
 */
const float *nn_scorer_run(NNScorer *s, const float *x);
/* results from the outputs: fn names the SQL function in errors */
Datum		nn_scorer_value(const NNScorer *s, const float *out);	/* float8 */
Datum		nn_scorer_class(const NNScorer *s, const float *out, const char *fn);	/* text */
Datum		nn_scorer_proba(const NNScorer *s, const float *out, const char *fn);	/* real[] */
/* nn_predict_batch: a 2-D real[] of rows to a float8[] of predictions */
Datum		nn_scorer_batch(NNScorer *s, ArrayType *rows);

/* rows the batch paths run through the network at once */
#define NN_SCORE_BATCH 256
/* the scorer's NN_SCORE_BATCH x n_inputs row buffer, allocated on first use */
float	   *nn_scorer_batch_rows(NNScorer *s);
/* the outputs of the first n_rows rows of that buffer (standardized in place) */
const float *nn_scorer_run_batch(NNScorer *s, int n_rows);
/* the cache in slot (see nn_scorer_cached) holds this model already */
bool		nn_scorer_cache_matches(void *slot, Datum model);

/* ---------- rowscore.c: whole-row scoring ---------- */

/*
 * The outputs for record r, its feature columns found by name (the lookup
 * cached in *map_slot, allocated in mcxt); NULL when a NULL feature leaves
 * the row without a prediction (the model's impute is 'skip').
 */
const float *nn_score_record(NNScorer *s, HeapTupleHeader r, void **map_slot, MemoryContext mcxt);

/* ---------- catalog.c: the nn_models catalog ---------- */

/*
 * The scorer of the deployed version of name, for the current user: one hash
 * lookup when cached.  Valid until the end of the transaction.
 */
NNScorer   *nn_catalog_scorer(FunctionCallInfo fcinfo, text *name);

#endif
