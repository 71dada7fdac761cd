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
} ScoreCache;

PG_FUNCTION_INFO_V1(nn_predict);
PG_FUNCTION_INFO_V1(nn_predict_class);
PG_FUNCTION_INFO_V1(nn_predict_proba);

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
	return nn_net_forward(&m->net, &c->work, c->x, 1);
}

static uint32
PredictedClass(const NNModel *m, const float *out)
{
	uint32		n_out = nn_net_outputs(&m->net);
	uint32		best = 0;

	if (m->net.loss == NN_LOSS_BINARY_CROSS_ENTROPY)
		return out[0] >= 0.5f ? 1 : 0;
	for (uint32 i = 1; i < n_out; i++)
		if (out[i] > out[best])
			best = i;
	return best;
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
	NNModel    *m = c->model;

	if (m->task == NN_TASK_CLASSIFICATION)
		PG_RETURN_FLOAT8((double) PredictedClass(m, out));
	PG_RETURN_FLOAT8((double) out[0] * m->y_std + m->y_mean);
}

Datum
nn_predict_class(PG_FUNCTION_ARGS)
{
	ScoreCache *c;
	const float *out = ScoreRow(fcinfo, &c);

	RequireClassifier(c->model, "nn_predict_class");
	PG_RETURN_TEXT_P(cstring_to_text(c->model->classes[PredictedClass(c->model, out)]));
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
	if (m->net.loss == NN_LOSS_BINARY_CROSS_ENTROPY)
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
