/*
 * predict.c - scoring.  An NNScorer is a parsed model with its workspace;
 * the functions that take a model bytea keep one in fn_extra, so a query
 * scoring a million rows parses the model once (the catalog keeps its own
 * per backend, see catalog.c).
 *
 * The cache key is the model's TOAST pointer when the value is stored out
 * of line, so a hit costs no detoasting; an in-line value is compared by
 * its bytes, which are small by definition.  A model stored out of line is
 * also kept across queries (modelcache.c): the call site's scorer borrows
 * it, with a workspace of its own.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "kernels/dense.h"
#include "score/score.h"

/* the fn_extra cache of the scoring functions that take a model bytea */
typedef struct ScoreCache
{
	bool		toasted;
	Oid			toastrelid;		/* key when toasted */
	Oid			valueid;
	char	   *bytes;			/* key when in line */
	size_t		len;
	bool		stable;			/* the argument is a constant or parameter */
	NNScorer   *scorer;			/* owns the memory of everything here */
} ScoreCache;

PG_FUNCTION_INFO_V1(nn_predict);
PG_FUNCTION_INFO_V1(nn_predict_class);
PG_FUNCTION_INFO_V1(nn_predict_proba);
PG_FUNCTION_INFO_V1(nn_predict_batch);

/*
 * A scoring workspace holds rows x the layer widths (and the inputs):
 * check it against nn.score_memory before allocating.
 */
static void
CheckScoreWorkspace(const NNNet *net, size_t rows, uint32 n_inputs)
{
	double		floats = (double) nn_work_floats(net, rows, false) +
		(double) rows * n_inputs;
	NNBudget	b = nn_score_budget();

	nn_budget_check(&b, floats * sizeof(float),
					rows == 1 ? pstrdup("scoring one row of this model") :
					psprintf("scoring %zu rows at a time through this model", rows),
					"Use a model with narrower layers");
}

/* a scorer of model m (in cxt, or borrowed) with its one-row workspace */
static NNScorer *
NewScorer(MemoryContext cxt, NNModel *m)
{
	NNScorer   *s = MemoryContextAllocZero(cxt, sizeof(NNScorer));
	NNNet	   *net = &m->net;

	static uint64 last_id = 0;

	s->cxt = cxt;
	s->id = ++last_id;
	s->model = m;
	s->n_inputs = nn_model_inputs(m);
	s->n_outputs = nn_net_outputs(net);
	CheckScoreWorkspace(net, 1, s->n_inputs);
	nn_work_bind(&s->work, net,
				 MemoryContextAllocExtended(cxt, nn_work_floats(net, 1, false) * sizeof(float),
											MCXT_ALLOC_HUGE),
				 1, false);
	s->x = MemoryContextAlloc(cxt, s->n_inputs * sizeof(float));
	return s;
}

/* a scorer of a model value, stored or in memory (nn_model_for_scoring) */
NNScorer *
nn_scorer_create(struct varlena *model, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nn scorer", ALLOCSET_DEFAULT_SIZES);

	return NewScorer(cxt, nn_model_for_scoring(model, cxt));
}

/* a scorer of its own (workspace) for the backend's cached model e */
static NNScorer *
BorrowScorer(NNCachedModel *e, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nn scorer", ALLOCSET_SMALL_SIZES);
	NNScorer   *s = NewScorer(cxt, (NNModel *) nn_cached_model(e));

	s->shared = e;
	nn_cached_model_pin(e, cxt);
	return s;
}

void
nn_scorer_free(NNScorer *s)
{
	if (s != NULL)
		MemoryContextDelete(s->cxt);
}

static ScoreCache *
InstallCache(void **slot, NNScorer *s)
{
	ScoreCache *old = (ScoreCache *) *slot;
	ScoreCache *c = MemoryContextAllocZero(s->cxt, sizeof(ScoreCache));

	c->scorer = s;
	/* only now that the new model parsed is the old one dropped */
	if (old != NULL)
		nn_scorer_free(old->scorer);
	*slot = c;
	return c;
}

static ScoreCache *
BuildCache(void **slot, MemoryContext mcxt, struct varlena *model)
{
	return InstallCache(slot, nn_scorer_create(model, mcxt));
}

/* the TOAST pointer of a value stored out of line, or false */
static bool
ToastPointer(Datum model, struct varatt_external *ext)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(model);

	if (!VARATT_IS_EXTERNAL_ONDISK(raw))
		return false;
	VARATT_EXTERNAL_GET_POINTER(*ext, raw);
	return true;
}

/* the cache entry is this model: a TOAST pointer or an in-line value's bytes */
static bool
CacheMatches(const ScoreCache *c, Datum model)
{
	struct varatt_external ext;
	bytea	   *b;

	if (c == NULL)
		return false;
	if (ToastPointer(model, &ext))
		return c->toasted && c->valueid == ext.va_valueid &&
			c->toastrelid == ext.va_toastrelid;
	if (c->toasted)
		return false;
	b = DatumGetByteaPP(model);
	return c->len == VARSIZE_ANY_EXHDR(b) && memcmp(c->bytes, VARDATA_ANY(b), c->len) == 0;
}

bool
nn_scorer_cache_matches(void *slot, Datum model)
{
	return CacheMatches((const ScoreCache *) slot, model);
}

/*
 * The scorer of a model bytea, kept in *slot (a call site's cache, in
 * memory context mcxt) and parsed again only when the model changes.
 */
NNScorer *
nn_scorer_cached(Datum model, void **slot, MemoryContext mcxt)
{
	ScoreCache *c = (ScoreCache *) *slot;
	struct varatt_external ext;
	bytea	   *b;

	if (CacheMatches(c, model))
		return c->scorer;
	if (ToastPointer(model, &ext))
	{
		NNModel    *unkept;
		MemoryContext unkept_cxt;
		NNCachedModel *e = nn_model_cache_get(model, &unkept, &unkept_cxt);

		if (e != NULL)
			c = InstallCache(slot, BorrowScorer(e, mcxt));
		else if (unkept != NULL)
		{
			/* parsed for the cache but not kept there: this call site's now */
			MemoryContextSetParent(unkept_cxt, mcxt);
			c = InstallCache(slot, NewScorer(unkept_cxt, unkept));
		}
		else
			c = BuildCache(slot, mcxt, (struct varlena *) DatumGetPointer(model));
		c->toasted = true;
		c->valueid = ext.va_valueid;
		c->toastrelid = ext.va_toastrelid;
		return c->scorer;
	}
	b = DatumGetByteaPP(model);
	c = BuildCache(slot, mcxt, (struct varlena *) b);
	c->len = VARSIZE_ANY_EXHDR(b);
	c->bytes = MemoryContextAlloc(c->scorer->cxt, Max(c->len, 1));
	memcpy(c->bytes, VARDATA_ANY(b), c->len);
	return c->scorer;
}

/*
 * nn_scorer_cached for argument argno of a call site.  A constant or a
 * query parameter is the same value on every row of the query, so after
 * the first row it is not even compared: a large model held in memory (a
 * literal, a bound parameter) would otherwise be compared byte for byte
 * on every row.
 */
NNScorer *
nn_scorer_for_arg(FunctionCallInfo fcinfo, int argno, void **slot)
{
	ScoreCache *c = (ScoreCache *) *slot;

	if (c != NULL && c->stable)
		return c->scorer;
	(void) nn_scorer_cached(PG_GETARG_DATUM(argno), slot, fcinfo->flinfo->fn_mcxt);
	c = (ScoreCache *) *slot;
	c->stable = get_fn_expr_arg_stable(fcinfo->flinfo, argno);
	return c->scorer;
}

/* the scorer of the model bytea in argument 0, parsed once per call site */
static NNScorer *
ArgScorer(FunctionCallInfo fcinfo)
{
	return nn_scorer_for_arg(fcinfo, 0, &fcinfo->flinfo->fn_extra);
}

/*
 * Features far outside the training range can overflow the network; an
 * error is better than a NaN that argmax would turn into the first class.
 */
static const float *
CheckOutputs(const float *out, size_t n)
{
	if (!nn_all_finite(out, n))
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("the model's output is not finite for these features"),
				 errdetail("Some feature values are too large for the network's weights.")));
	return out;
}

/* the transposed weights the level-1 row product wants (dense.h), or NULL */
static const float *
RowWeights(NNScorer *s)
{
	const NNNet *net = &s->model->net;
	size_t		n;
	NNBudget	b;

	if (nn_row_product != NN_ROW_LEVEL1 || s->weights_t != NULL)
		return s->weights_t;
	n = nn_net_weight_floats(net);
	b = nn_score_budget();
	nn_budget_check(&b, ((double) nn_work_floats(net, 1, false) + s->n_inputs + n) * sizeof(float),
					"scoring one row of this model with its weights transposed (nn.row_product = level1)",
					"Use a model with narrower layers, or SET nn.row_product = gemv");
	if (s->shared != NULL)
		s->weights_t = nn_cached_weights_t(s->shared, n, nn_net_transpose_weights);
	/* no cache entry, or no room in it: this call site's own copy */
	if (s->weights_t == NULL)
	{
		s->weights_t = MemoryContextAllocExtended(s->cxt, n * sizeof(float), MCXT_ALLOC_HUGE);
		nn_net_transpose_weights(net, s->weights_t);
	}
	return s->weights_t;
}

const float *
nn_scorer_run(NNScorer *s, const float *x)
{
	NNModel    *m = s->model;

	memcpy(s->x, x, s->n_inputs * sizeof(float));
	if (m->standardized)
		nn_standardize_rows(s->x, m->x_mean, m->x_std, 1, s->n_inputs);
	return CheckOutputs(nn_net_forward_row(&m->net, &s->work, s->x, RowWeights(s)),
						s->n_outputs);
}

bool
nn_model_imputes(const NNModel *m)
{
	return m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO;
}

/* a features array with NULL elements, each replaced by the model's fill value */
static float *
FilledFeatures(const NNScorer *s, ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	float	   *x;

	if (ARR_ELEMTYPE(arr) != FLOAT4OID)
		elog(ERROR, "features: expected a real[] array");
	if (ARR_NDIM(arr) != 1)
		return nn_array_floats(arr, "features", n);		/* its errors */
	deconstruct_array(arr, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT, &elems, &nulls, n);
	if ((uint32) *n != s->n_inputs)
		return (float *) elems; /* nn_check_features reports the count */
	x = palloc(*n * sizeof(float));
	for (int i = 0; i < *n; i++)
		x[i] = nulls[i] ? s->model->fill[i] : DatumGetFloat4(elems[i]);
	return x;
}

/*
 * A real[] of features, checked (count, NaN, infinity) against the model.
 * NULL elements are an error, unless the model imputes NULLs.
 */
const float *
nn_scorer_array_features(const NNScorer *s, ArrayType *arr)
{
	int			n;
	float	   *x;

	if (nn_model_imputes(s->model) && ARR_HASNULL(arr))
		x = FilledFeatures(s, arr, &n);
	else
		x = nn_array_floats(arr, "features", &n);
	nn_check_features(x, n, s->n_inputs);
	return x;
}

static void
RequireClassifier(const NNModel *m, const char *fn)
{
	if (m->task != NN_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a classification model, but this model is a regressor", fn),
				 errhint("Use nn_predict for regression models.")));
}

/* a classifier's class index, or a regressor's value in target units */
static double
Prediction(const NNModel *m, const float *out)
{
	if (m->task == NN_TASK_CLASSIFICATION)
		return (double) nn_predicted_class(m, out);
	return (double) out[0] * m->y_std + m->y_mean;
}

Datum
nn_scorer_value(const NNScorer *s, const float *out)
{
	return Float8GetDatum(Prediction(s->model, out));
}

Datum
nn_scorer_class(const NNScorer *s, const float *out, const char *fn)
{
	RequireClassifier(s->model, fn);
	return PointerGetDatum(cstring_to_text(s->model->classes[nn_predicted_class(s->model, out)]));
}

Datum
nn_scorer_proba(const NNScorer *s, const float *out, const char *fn)
{
	const NNModel *m = s->model;
	uint32		n_classes = m->n_classes;
	Datum	   *elems;

	RequireClassifier(m, fn);
	elems = palloc(n_classes * sizeof(Datum));
	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
	{
		elems[0] = Float4GetDatum(1.0f - out[0]);
		elems[1] = Float4GetDatum(out[0]);
	}
	else
		for (uint32 i = 0; i < n_classes; i++)
			elems[i] = Float4GetDatum(out[i]);
	return PointerGetDatum(construct_array(elems, n_classes, FLOAT4OID, sizeof(float4),
										   true, TYPALIGN_INT));
}

Datum
nn_predict(PG_FUNCTION_ARGS)
{
	NNScorer   *s = ArgScorer(fcinfo);
	const float *x = nn_scorer_array_features(s, PG_GETARG_ARRAYTYPE_P(1));

	PG_RETURN_DATUM(nn_scorer_value(s, nn_scorer_run(s, x)));
}

Datum
nn_predict_class(PG_FUNCTION_ARGS)
{
	NNScorer   *s = ArgScorer(fcinfo);
	const float *x = nn_scorer_array_features(s, PG_GETARG_ARRAYTYPE_P(1));

	PG_RETURN_DATUM(nn_scorer_class(s, nn_scorer_run(s, x), "nn_predict_class"));
}

Datum
nn_predict_proba(PG_FUNCTION_ARGS)
{
	NNScorer   *s = ArgScorer(fcinfo);
	const float *x = nn_scorer_array_features(s, PG_GETARG_ARRAYTYPE_P(1));

	PG_RETURN_DATUM(nn_scorer_proba(s, nn_scorer_run(s, x), "nn_predict_proba"));
}

float *
nn_scorer_batch_rows(NNScorer *s)
{
	NNNet	   *net = &s->model->net;

	if (s->batch_x != NULL)
		return s->batch_x;
	CheckScoreWorkspace(net, NN_SCORE_BATCH, s->n_inputs);
	nn_work_bind(&s->batch_work, net,
				 MemoryContextAllocExtended(s->cxt, nn_work_floats(net, NN_SCORE_BATCH, false) * sizeof(float),
											MCXT_ALLOC_HUGE),
				 NN_SCORE_BATCH, false);
	s->batch_x = MemoryContextAllocExtended(s->cxt, (size_t) NN_SCORE_BATCH * s->n_inputs *
											sizeof(float), MCXT_ALLOC_HUGE);
	return s->batch_x;
}

const float *
nn_scorer_run_batch(NNScorer *s, int n_rows)
{
	NNModel    *m = s->model;

	Assert(s->batch_x != NULL && n_rows >= 1 && n_rows <= NN_SCORE_BATCH);
	if (m->standardized)
		nn_standardize_rows(s->batch_x, m->x_mean, m->x_std, n_rows, s->n_inputs);
	return CheckOutputs(nn_net_forward(&m->net, &s->batch_work, s->batch_x, n_rows),
						(size_t) n_rows * s->n_outputs);
}

/* the rows of a 2-D real array with NULLs, each replaced by the model's fill value */
static float *
FilledRows(ArrayType *arr, const NNModel *m, uint32 n_in)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	float	   *x;

	deconstruct_array(arr, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT, &elems, &nulls, &n);
	x = palloc_extended(Max(n, 1) * sizeof(float), MCXT_ALLOC_HUGE);
	for (int i = 0; i < n; i++)
		x[i] = nulls[i] ? m->fill[i % n_in] : DatumGetFloat4(elems[i]);
	return x;
}

/* rows: a 2-D real array, one row of features per line */
static float *
BatchRows(ArrayType *arr, const NNModel *m, uint32 n_in, int *n_rows)
{
	if (ARR_ELEMTYPE(arr) != FLOAT4OID)
		elog(ERROR, "nn_predict_batch: expected a real[] array");
	if (ARR_NDIM(arr) == 0)
	{
		*n_rows = 0;
		return NULL;
	}
	if (ARR_NDIM(arr) != 2 || (uint32) ARR_DIMS(arr)[1] != n_in)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("nn_predict_batch rows must be a 2-D array of rows with %u features each", n_in),
				 errhint("Build it with array_agg(features), which stacks 1-D arrays of equal length.")));
	*n_rows = ARR_DIMS(arr)[0];
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
	{
		if (!nn_model_imputes(m))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nn_predict_batch rows must not contain NULL elements"),
					 errdetail("Only a model trained with impute 'mean' or 'zero' replaces NULLs.")));
		return FilledRows(arr, m, n_in);
	}
	return (float *) ARR_DATA_PTR(arr);
}

/*
 * nn_predict for many rows at once: the rows go through the network
 * NN_SCORE_BATCH at a time, as matrix products rather than one product per row.
 */
Datum
nn_scorer_batch(NNScorer *s, ArrayType *arr)
{
	NNModel    *m = s->model;
	uint32		n_in = s->n_inputs;
	uint32		n_out = s->n_outputs;
	int			n_rows;
	float	   *rows = BatchRows(arr, m, n_in, &n_rows);
	Datum	   *result = palloc(Max(n_rows, 1) * sizeof(Datum));
	float	   *batch_x;

	/* NaN and infinity checks over the whole array, positions as flattened */
	nn_check_features(rows, n_rows * (int) n_in, (uint32) n_rows * n_in);
	batch_x = nn_scorer_batch_rows(s);

	for (int start = 0; start < n_rows; start += NN_SCORE_BATCH)
	{
		int			b = Min(NN_SCORE_BATCH, n_rows - start);
		const float *out;

		memcpy(batch_x, rows + (size_t) start * n_in, (size_t) b * n_in * sizeof(float));
		out = nn_scorer_run_batch(s, b);
		for (int r = 0; r < b; r++)
			result[start + r] = Float8GetDatum(Prediction(m, out + (size_t) r * n_out));
		CHECK_FOR_INTERRUPTS();
	}
	return PointerGetDatum(construct_array(result, n_rows, FLOAT8OID, sizeof(float8),
										   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum
nn_predict_batch(PG_FUNCTION_ARGS)
{
	NNScorer   *s = ArgScorer(fcinfo);

	PG_RETURN_DATUM(nn_scorer_batch(s, PG_GETARG_ARRAYTYPE_P(1)));
}
