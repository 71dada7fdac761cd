/*
 * shared.h - what training and scoring both stand on (src/shared/): models
 * as bytea, JSON output through the jsonb builder and the options record a
 * model keeps, column values as numbers, the nn.* settings and memory
 * budgets.
 * Training (train/train.h), scoring (score/score.h) and inspection include
 * it; kernels and formats never do.
 */
#ifndef NN_SHARED_H
#define NN_SHARED_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/jsonb.h"

#include "formats/model.h"

/* the longest model name in characters (nn_models checks it too) */
#define NN_MODEL_NAME_MAX 128

/* ---------- modelio.c: models as bytea ---------- */

/* allocator for nn_model_read that pallocs in a given context */
extern const NNAllocator *nn_palloc_allocator(MemoryContext cxt);
NNModel    *nn_model_from_bytes(const char *data, size_t len, MemoryContext cxt);
NNModel    *nn_model_for_scoring(struct varlena *value, MemoryContext cxt);
NNModel    *nn_model_from_bytea(bytea *b);
bytea	   *nn_model_to_bytea(const NNModel *model);
NNModel    *nn_model_copy(const NNModel *model, MemoryContext cxt);

uint32		nn_predicted_class(const NNModel *m, const float *out);

/* the real[] argument as floats; errors on NULL elements or wrong rank */
float	   *nn_array_floats(ArrayType *arr, const char *what, int *n);
void		nn_check_features(const float *x, int n, uint32 expected);

/* ---------- json.c: JSON output through the jsonb builder ---------- */

/* a key, then its value; values in an array are its elements */
void		nn_json_key(JsonbParseState **st, const char *key);
void		nn_json_string(JsonbParseState **st, const char *s);
/* text: a JSON number, read as jsonb_in reads it */
void		nn_json_number(JsonbParseState **st, const char *text);
void		nn_json_int(JsonbParseState **st, int64 i);
void		nn_json_uint(JsonbParseState **st, uint64 u);
void		nn_json_null(JsonbParseState **st);
/* shortest decimal that reads back the same; null when not finite */
void		nn_json_float(JsonbParseState **st, float f);
void		nn_json_double(JsonbParseState **st, double d);
void		nn_json_bool(JsonbParseState **st, bool b);

/*
 * DATA_CORRUPTED unless record (a model's options record) is braced as an
 * object, and with syntax, unless it is a JSON object
 */
void		nn_options_record_check(const char *record, bool syntax);
/* check record and push it onto *st (NULL: as a value of its own); returns it */
JsonbValue *nn_options_record_push(JsonbParseState **st, const char *record);

/*
 * ---------- fnoptions.c: the options of functions that use a model ----------
 * (nn_quantize, nn_explain, nn_importance, nn_adversarial, nn_evaluate);
 * fn names the function in errors, expected says what the key takes.
 */
/* an error unless options is an object whose keys are all in keys (NULL-ended) */
void		nn_fnoptions_check(Jsonb *options, const char *fn, const char *const *keys);
/* the same for a nested object, its keys named "prefix.key" in errors */
void		nn_fnoptions_check_in(JsonbContainer *obj, const char *fn, const char *prefix,
								  const char *const *keys);
/* the value of key, or NULL when absent */
JsonbValue *nn_fnoption(Jsonb *options, const char *key);
JsonbValue *nn_fnoption_in(JsonbContainer *obj, const char *key);
/* INVALID_PARAMETER_VALUE: "Expected EXPECTED, got a string." */
void		nn_fnoption_bad(const char *fn, const char *key, const JsonbValue *v,
							const char *expected) pg_attribute_noreturn();
/* a number in [lo, hi]; an integer in [lo, hi]; the index of a string in choices */
double		nn_fnoption_number(const char *fn, const char *key, const JsonbValue *v,
							   double lo, double hi, const char *expected);
int64		nn_fnoption_int(const char *fn, const char *key, const JsonbValue *v,
							int64 lo, int64 hi, const char *expected);
int			nn_fnoption_choice(const char *fn, const char *key, const JsonbValue *v,
							   const char *const *choices);
/* an array of finite reals (palloc'd, *n of them) */
float	   *nn_fnoption_floats(const char *fn, const char *key, const JsonbValue *v, int *n);
/*
 * The index of a classifier's class named by v: a JSON string equal to the
 * class's label, or a number whose text is the label (3 matches "3"); an
 * error listing the classes otherwise, or for a regression model.
 */
uint32		nn_fnoption_class(const NNModel *m, const char *fn, const char *key,
							  const JsonbValue *v);

/*
 * ---------- attack_options.c: an attack's options (nn_adversarial,
 * nn_evaluate's "adversarial", nn_train's "adversarial") ----------
 */
typedef struct NNAttackOptions
{
	int			method;			/* NNAttackMethod */
	float		epsilon;		/* raw feature units */
	int			steps;			/* PGD; 0 for FGSM */
	float		step_size;		/* PGD, raw units */
	bool		has_clip;
	float		clip[2];		/* valid range [min, max], raw units */
	int64		seed;			/* PGD's random start (NN_ATTACK_KEY_SEED) */
	float		ratio;			/* rows attacked (NN_ATTACK_KEY_RATIO) */
	JsonbValue *label;			/* NN_ATTACK_KEY_LABEL; NULL: not given */
} NNAttackOptions;

/* the keys beyond method, epsilon, steps, step_size and clip that a caller takes */
#define NN_ATTACK_KEY_SEED 1
#define NN_ATTACK_KEY_LABEL 2
#define NN_ATTACK_KEY_RATIO 4

/*
 * The attack of the object obj (the whole options when prefix is NULL, else
 * the value of option prefix): every key checked, errors naming fn and the
 * key; defaults filled in (steps 10 and step_size 2.5 x epsilon / steps
 * for PGD, seed 0, ratio 0.5).
 */
void		nn_attack_options(JsonbContainer *obj, const char *fn, const char *prefix,
							  int extra_keys, NNAttackOptions *out);
/* the option's value as a JSON object, prefix.key: an error unless it is one */
JsonbContainer *nn_attack_object(const char *fn, const char *key, const JsonbValue *v);
/* a model's inputs that attacks leave alone: a text column's one-hot (palloc'd) */
uint8	   *nn_attack_mask(const NNModel *m);

/* ---------- values.c: column values as numbers ---------- */

/* text, varchar and char columns are categorical features */
bool		nn_is_category_type(Oid type);
/* int2, int4, int8, real, double precision, numeric and boolean columns */
bool		nn_is_numeric_scalar(Oid type);
double		nn_scalar_value(Datum v, Oid type);
/* an error naming column when v is NaN, infinite or beyond real's range */
void		nn_check_finite(double v, const char *column);

/* ---------- settings.c: settings and memory budgets ---------- */

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
/* the threads of one training call (nn.blas_threads resolved) */
int			nn_training_threads(void);
int			nn_batch_threads(void);
/* the once-per-backend warning about a slow OpenBLAS kernel (nn.blas_core_warning) */
void		nn_blas_core_check(void);
/* errhint: lower what, or raise the setting (or name the ceiling) */
int			nn_budget_hint(const NNBudget *b, const char *lower);
/* PROGRAM_LIMIT_EXCEEDED "WHAT needs N MB, more than SETTING (M MB)" */
void		nn_budget_check(const NNBudget *b, double bytes, const char *what,
							const char *lower);

#endif
