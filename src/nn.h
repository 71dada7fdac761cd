/*
 * nn.h - declarations shared by the SQL glue (train, fit, predict, info,
 * options).  Kernels and model.c never include this file.
 */
#ifndef NN_GLUE_H
#define NN_GLUE_H

#include "postgres.h"

#include "access/htup.h"
#include "utils/array.h"
#include "utils/jsonb.h"

#include "formats/model.h"

/* ---------- options.c ---------- */

typedef enum NNSchedule
{
	NN_SCHEDULE_CONSTANT,
	NN_SCHEDULE_STEP,
	NN_SCHEDULE_EXPONENTIAL,
	NN_SCHEDULE_COSINE
} NNSchedule;

/* one element of options.layers; -1 takes the top-level option */
typedef struct NNLayerOption
{
	int			units;
	int			activation;
	float		dropout;
	int			batch_norm;
} NNLayerOption;

typedef struct NNOptions
{
	int			epochs;
	int			batch_size;
	NNOptimizer optimizer;
	NNOptConfig opt;			/* NaN fields take the optimizer's defaults */
	NNActivation activation;
	int			loss;			/* -1: chosen from the task */
	float		delta;			/* huber */
	int64		seed;
	bool		standardize;
	bool		verbose;
	int			task;			/* -1: chosen from the target's type */
	NNInit		init;
	NNRegConfig reg;
	float		dropout;
	bool		batch_norm;
	int			n_layers;		/* -1: no options.layers */
	NNLayerOption *layers;
	NNSchedule	lr_schedule;
	int			step_size;
	float		gamma;			/* NaN: the schedule's default */
	int			warmup_epochs;
	float		validation_fraction;
	int			patience;		/* 0: no early stopping */
	bool		restore_best;
	bool		class_weight_balanced;
	int			n_class_weights;	/* from a JSON object label -> weight */
	char	  **class_weight_labels;
	float	   *class_weights;
	char	   *weight_column;	/* NULL: every row weighs 1 */
	NNImpute	impute;			/* NULL numeric features */
	char	   *name;			/* nn_train: register as; NULL: do not */
} NNOptions;

/* which function is asking: each accepts its own set of keys */
typedef enum NNOptionsFor
{
	NN_OPTIONS_TRAIN = 1,
	NN_OPTIONS_INIT = 2,
	NN_OPTIONS_CONTINUE = 4
} NNOptionsFor;

void		nn_options_parse(Jsonb *options, NNOptionsFor caller, NNOptions *out);
/* every option in effect, as the JSON text a model records */
char	   *nn_options_record(const NNOptions *o, NNOptionsFor caller);
/* the options a model recorded */
void		nn_options_from_record(const char *json, NNOptions *out);
const char *nn_schedule_name(NNSchedule s);
const char *nn_impute_name(NNImpute i);

/* ---------- modelio.c: models as bytea ---------- */

/* allocator for nn_model_read that pallocs in a given context */
extern const NNAllocator *nn_palloc_allocator(MemoryContext cxt);
NNModel    *nn_model_from_bytes(const char *data, size_t len, MemoryContext cxt);
NNModel    *nn_model_for_scoring(struct varlena *value, MemoryContext cxt);
NNModel    *nn_model_from_bytea(bytea *b);
bytea	   *nn_model_to_bytea(const NNModel *model);
NNModel    *nn_model_copy(const NNModel *model, MemoryContext cxt);

/*
 * Build an untrained model: network from the sizes and options, weights
 * from the seed.  classes may be NULL (labels "0".."n-1").
 */
NNModel    *nn_model_build(uint32 n_inputs, const int32 *hidden, int n_hidden,
						   NNTask task, uint32 n_classes, const NNOptions *opts);

uint32		nn_predicted_class(const NNModel *m, const float *out);

/* the real[] argument as floats; errors on NULL elements or wrong rank */
float	   *nn_array_floats(ArrayType *arr, const char *what, int *n);
void		nn_check_features(const float *x, int n, uint32 expected);

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

/* the longest model name in characters (nn_models checks it too) */
#define NN_MODEL_NAME_MAX 128

/*
 * The scorer of the deployed version of name, for the current user: one hash
 * lookup when cached.  Valid until the end of the transaction.
 */
NNScorer   *nn_catalog_scorer(FunctionCallInfo fcinfo, text *name);

/* nn_train's option "name": nn_register in the schema of function caller_fn */
void		nn_catalog_register(Oid caller_fn, const char *name, bytea *model);

/* ---------- nn.c: settings ---------- */

/*
 * A memory budget in effect: the user's setting (nn.train_memory or
 * nn.score_memory), or nn.max_memory when that is lower.
 */
typedef struct NNBudget
{
	Size		bytes;
	int			mb;
	bool		capped;			/* nn.max_memory is the limit */
	const char *setting;		/* the setting that limits: for messages */
	const char *user_setting;
} NNBudget;

extern int	nn_train_memory_mb;
extern int	nn_score_memory_mb;
extern int	nn_progress_interval_ms;	/* nn.progress_interval */

NNBudget	nn_train_budget(void);
NNBudget	nn_score_budget(void);
NNBudget	nn_model_cache_budget(void);
/* errhint: lower what, or raise the setting (or name the ceiling) */
int			nn_budget_hint(const NNBudget *b, const char *lower);
/* PROGRAM_LIMIT_EXCEEDED "WHAT needs N MB, more than SETTING (M MB)" */
void		nn_budget_check(const NNBudget *b, double bytes, const char *what,
							const char *lower);

/* ---------- rows.c: reading training rows ---------- */

typedef enum NNColumnKind
{
	NN_COL_SCALAR,
	NN_COL_ARRAY,
	NN_COL_CATEGORY				/* text, one-hot over its categories */
} NNColumnKind;

typedef struct NNFeatureColumn
{
	char	   *name;
	Oid			type;			/* scalar type, or array element type */
	NNColumnKind kind;
	int			width;			/* arrays: from the first complete row */
	char	  **categories;		/* NN_COL_CATEGORY: sorted, width of them */
} NNFeatureColumn;

/* what to read */
typedef struct NNRowsSpec
{
	const char *source;
	const char *target;
	ArrayType  *features;		/* NULL: every column but the target */
	int			forced_task;	/* -1: from the target's type */
	const char *weight_column;	/* NULL: none */
	const NNModel *model;		/* nn_continue, nn_evaluate: the model's columns */
	NNImpute	impute;			/* NULL features; the model's when model is set */
	bool		stream_all;		/* every chunk goes to the sink (nn_evaluate) */
} NNRowsSpec;

typedef struct NNRows NNRows;

/* takes the rows in the buffer when they do not all fit in memory */
typedef void (*NNRowSink) (NNRows *rows, void *arg);

/* rows read, as float32 in memory */
struct NNRows
{
	MemoryContext cxt;
	NNTask		task;
	Oid			target_type;
	char	   *target_name;
	int			n_features;
	NNFeatureColumn *features;
	char	   *weight_column;
	Oid			weight_type;
	int			n_inputs;		/* -1 until the first complete row */
	int64		n_rows;
	int64		capacity;
	float	   *x;				/* n_rows x n_inputs */
	float	   *y;				/* class id or value */
	float	   *w;				/* row weight, 1 without weight_column */
	int64		skipped;		/* rows with a NULL */
	NNImpute	impute;
	bool		has_missing;	/* impute 'mean': NaN marks a NULL to fill */
	bool		stream_all;		/* every chunk to the sink, however few rows */
	struct HTAB *labels;
	int			n_labels;
	char	  **label_text;		/* by label id */
	int		   *label_remap;	/* label id -> class index, once known */
	char	   *query;			/* the SELECT that reads the rows */
	/* more rows than nn.train_memory holds: they pass through in chunks */
	bool		streamed;
	NNRowSink	sink;
	void	   *sink_arg;
	int64		first_ordinal;	/* position in the source of x[0] */
};

void		nn_rows_load(NNRows *rows, const NNRowsSpec *spec);
/* text, varchar and char columns are categorical features */
bool		nn_is_category_type(Oid type);
/* int2, int4, int8, real, double precision, numeric and boolean columns */
bool		nn_is_numeric_scalar(Oid type);
double		nn_scalar_value(Datum v, Oid type);
/* an error naming column when v is NaN, infinite or beyond real's range */
void		nn_check_finite(double v, const char *column);
/* nn_continue, nn_evaluate: the columns supply the model's input counts */
void		nn_rows_check_widths(const NNRows *rows, const NNModel *model);
/* classification: sort the labels, number targets by them; returns labels */
char	  **nn_rows_sort_classes(NNRows *rows);
void		nn_rows_map_classes(NNRows *rows, const NNModel *model);
void		nn_rows_stream(NNRows *rows, NNRowSink sink, void *arg);
/* replace the NaN of NULL features (impute 'mean') by fill, per input */
void		nn_rows_fill(float *x, int64 n_rows, int n_inputs, const float *fill);
/* the model's feature encoding (kinds, categories, impute) from the rows */
void		nn_rows_set_encoding(NNModel *m, const NNRows *rows);

/* ---------- fit.c: minibatch training state shared with nn_train ---------- */

typedef struct NNFitState NNFitState;

NNFitState *nn_fit_state_create(NNModel *model, MemoryContext cxt);
void		nn_fit_state_add(NNFitState *state, const float *x, float target, float weight);
/* train the partial batch, record the pass in the history, return model */
NNModel    *nn_fit_state_finish(NNFitState *state);
double		nn_fit_state_mean_loss(const NNFitState *state);

#endif
