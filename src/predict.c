/*
 * predict.c - per-row scoring, with the parsed model cached in fn_extra so
 * that a query scoring a million rows parses the model once.
 *
 * The cache key is the model's TOAST pointer when the value is stored out
 * of line, so a hit costs no detoasting; an in-line value is compared by
 * its bytes, which are small by definition.
 */
#include "postgres.h"

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "nn.h"

typedef struct ScoreCache
{
	MemoryContext cxt;			/* holds everything below; freed on a miss */
	bool		toasted;
	Oid			toastrelid;		/* key when toasted */
	Oid			valueid;
	char	   *bytes;			/* key when in line */
	size_t		len;
	NNModel    *model;
	NNWork		work;
	float	   *x;				/* one standardized row */
	NNWork		batch_work;		/* nn_predict_batch, bound on first use */
	float	   *batch_x;
} ScoreCache;

/* rows nn_predict_batch runs through the network at once */
#define SCORE_BATCH 256

PG_FUNCTION_INFO_V1(nn_predict);
PG_FUNCTION_INFO_V1(nn_predict_class);
PG_FUNCTION_INFO_V1(nn_predict_proba);
PG_FUNCTION_INFO_V1(nn_predict_batch);

static ScoreCache *
BuildCache(FunctionCallInfo fcinfo, bytea *b)
{
	MemoryContext parent = fcinfo->flinfo->fn_mcxt;
	ScoreCache *old = (ScoreCache *) fcinfo->flinfo->fn_extra;
	MemoryContext cxt = AllocSetContextCreate(parent, "nn model cache", ALLOCSET_DEFAULT_SIZES);
	ScoreCache *c = MemoryContextAllocZero(cxt, sizeof(ScoreCache));
	NNNet	   *net;

	c->cxt = cxt;
	c->model = nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), cxt);
	net = &c->model->net;
	nn_work_bind(&c->work, net,
				 MemoryContextAllocExtended(cxt, nn_work_floats(net, 1, false) * sizeof(float),
											MCXT_ALLOC_HUGE),
				 1, false);
	c->x = MemoryContextAlloc(cxt, nn_model_inputs(c->model) * sizeof(float));
	/* only now that the new model parsed is the old one dropped */
	if (old != NULL)
		MemoryContextDelete(old->cxt);
	fcinfo->flinfo->fn_extra = c;
	return c;
}

static ScoreCache *
GetScoreCache(FunctionCallInfo fcinfo)
{
	struct varlena *raw = (struct varlena *) DatumGetPointer(PG_GETARG_DATUM(0));
	ScoreCache *c = (ScoreCache *) fcinfo->flinfo->fn_extra;
	bytea	   *b;

	if (VARATT_IS_EXTERNAL_ONDISK(raw))
	{
		struct varatt_external ext;

		VARATT_EXTERNAL_GET_POINTER(ext, raw);
		if (c != NULL && c->toasted && c->valueid == ext.va_valueid &&
			c->toastrelid == ext.va_toastrelid)
			return c;
		c = BuildCache(fcinfo, (bytea *) detoast_attr(raw));
		c->toasted = true;
		c->valueid = ext.va_valueid;
		c->toastrelid = ext.va_toastrelid;
		return c;
	}

	b = PG_GETARG_BYTEA_PP(0);
	if (c != NULL && !c->toasted && c->len == VARSIZE_ANY_EXHDR(b) &&
		memcmp(c->bytes, VARDATA_ANY(b), c->len) == 0)
		return c;
	c = BuildCache(fcinfo, b);
	c->len = VARSIZE_ANY_EXHDR(b);
	c->bytes = MemoryContextAlloc(c->cxt, Max(c->len, 1));
	memcpy(c->bytes, VARDATA_ANY(b), c->len);
	return c;
}

/* a classifier's class index, or a regressor's value in target units */
static double
Prediction(const NNModel *m, const float *out)
{
	if (m->task == NN_TASK_CLASSIFICATION)
		return (double) nn_predicted_class(m, out);
	return (double) out[0] * m->y_std + m->y_mean;
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
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("the model's output is not finite for these features"),
				 errdetail("Some feature values are too large for the network's weights.")));
	return out;
}

/* Run the network on the features argument; returns output activations. */
static const float *
ScoreRow(FunctionCallInfo fcinfo, ScoreCache **cache)
{
	ScoreCache *c = GetScoreCache(fcinfo);
	NNModel    *m = c->model;
	uint32		n_in = nn_model_inputs(m);
	int			n;
	float	   *x = nn_array_floats(PG_GETARG_ARRAYTYPE_P(1), "features", &n);

	nn_check_features(x, n, n_in);
	memcpy(c->x, x, n_in * sizeof(float));
	if (m->standardized)
		nn_standardize_rows(c->x, m->x_mean, m->x_std, 1, n_in);
	*cache = c;
	return CheckOutputs(nn_net_forward(&m->net, &c->work, c->x, 1), nn_net_outputs(&m->net));
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

Datum
nn_predict(PG_FUNCTION_ARGS)
{
	ScoreCache *c;
	const float *out = ScoreRow(fcinfo, &c);

	PG_RETURN_FLOAT8(Prediction(c->model, out));
}

Datum
nn_predict_class(PG_FUNCTION_ARGS)
{
	ScoreCache *c;
	const float *out = ScoreRow(fcinfo, &c);

	RequireClassifier(c->model, "nn_predict_class");
	PG_RETURN_TEXT_P(cstring_to_text(c->model->classes[nn_predicted_class(c->model, out)]));
}

Datum
nn_predict_proba(PG_FUNCTION_ARGS)
{
	ScoreCache *c;
	const float *out = ScoreRow(fcinfo, &c);
	NNModel    *m = c->model;
	uint32		n_classes = m->n_classes;
	Datum	   *elems;

	RequireClassifier(m, "nn_predict_proba");
	elems = palloc(n_classes * sizeof(Datum));
	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
	{
		elems[0] = Float4GetDatum(1.0f - out[0]);
		elems[1] = Float4GetDatum(out[0]);
	}
	else
		for (uint32 i = 0; i < n_classes; i++)
			elems[i] = Float4GetDatum(out[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n_classes, FLOAT4OID, sizeof(float4),
										  true, TYPALIGN_INT));
}

static void
BindBatchWork(ScoreCache *c)
{
	NNNet	   *net = &c->model->net;

	if (c->batch_x != NULL)
		return;
	nn_work_bind(&c->batch_work, net,
				 MemoryContextAllocExtended(c->cxt, nn_work_floats(net, SCORE_BATCH, false) * sizeof(float),
											MCXT_ALLOC_HUGE),
				 SCORE_BATCH, false);
	c->batch_x = MemoryContextAllocExtended(c->cxt, (size_t) SCORE_BATCH * nn_model_inputs(c->model) *
											sizeof(float), MCXT_ALLOC_HUGE);
}

/* rows: a 2-D real array, one row of features per line */
static float *
BatchRows(ArrayType *arr, uint32 n_in, int *n_rows)
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
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("nn_predict_batch rows must be a 2-D array of rows with %u features each", n_in),
				 errhint("Build it with array_agg(features), which stacks 1-D arrays of equal length.")));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_predict_batch rows must not contain NULL elements")));
	*n_rows = ARR_DIMS(arr)[0];
	return (float *) ARR_DATA_PTR(arr);
}

/*
 * nn_predict for many rows at once: the rows go through the network
 * SCORE_BATCH at a time, as matrix products rather than one product per row.
 */
Datum
nn_predict_batch(PG_FUNCTION_ARGS)
{
	ScoreCache *c = GetScoreCache(fcinfo);
	NNModel    *m = c->model;
	uint32		n_in = nn_model_inputs(m);
	uint32		n_out = nn_net_outputs(&m->net);
	int			n_rows;
	float	   *rows = BatchRows(PG_GETARG_ARRAYTYPE_P(1), n_in, &n_rows);
	Datum	   *result = palloc(Max(n_rows, 1) * sizeof(Datum));

	/* NaN and infinity checks over the whole array, positions as flattened */
	nn_check_features(rows, n_rows * (int) n_in, (uint32) n_rows * n_in);
	BindBatchWork(c);
	for (int start = 0; start < n_rows; start += SCORE_BATCH)
	{
		int			b = Min(SCORE_BATCH, n_rows - start);
		const float *out;

		memcpy(c->batch_x, rows + (size_t) start * n_in, (size_t) b * n_in * sizeof(float));
		if (m->standardized)
			nn_standardize_rows(c->batch_x, m->x_mean, m->x_std, b, n_in);
		out = CheckOutputs(nn_net_forward(&m->net, &c->batch_work, c->batch_x, b),
						   (size_t) b * n_out);
		for (int r = 0; r < b; r++)
			result[start + r] = Float8GetDatum(Prediction(m, out + (size_t) r * n_out));
		CHECK_FOR_INTERRUPTS();
	}
	PG_RETURN_ARRAYTYPE_P(construct_array(result, n_rows, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
