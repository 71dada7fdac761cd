/*
 * predict.c - scoring a real[] of features: nn_predict, nn_predict_class
 * and nn_predict_proba (all classes, or one class's) for one row,
 * nn_predict_batch for a 2-D array of rows.  Each C function serves both
 * SQL overloads, the model given as a bytea or as a name in nn_models
 * (resolve.c tells them apart).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"

#include "score/score.h"

PG_FUNCTION_INFO_V1(nn_predict);
PG_FUNCTION_INFO_V1(nn_predict_class);
PG_FUNCTION_INFO_V1(nn_predict_proba);
PG_FUNCTION_INFO_V1(nn_predict_proba_of);
PG_FUNCTION_INFO_V1(nn_predict_batch);

/* the outputs for the model in argument 0 and the features in argument 1 */
static const float *
ScoreArgs(FunctionCallInfo fcinfo, NNScorer **s)
{
	*s = nn_score_resolve_arg(fcinfo, 0);
	return nn_scorer_run(*s, nn_scorer_array_features(*s, PG_GETARG_ARRAYTYPE_P(1)));
}

Datum
nn_predict(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	PG_RETURN_DATUM(nn_scorer_value(s, out));
}

Datum
nn_predict_class(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	PG_RETURN_DATUM(nn_scorer_class(s, out, "nn_predict_class"));
}

Datum
nn_predict_proba(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	PG_RETURN_DATUM(nn_scorer_proba(s, out, "nn_predict_proba"));
}

/* nn_predict_proba(model, features, class): that class's probability */
Datum
nn_predict_proba_of(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	PG_RETURN_DATUM(nn_scorer_proba_of(s, out, PG_GETARG_TEXT_PP(2), "nn_predict_proba"));
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
		int			first = nn_array_first_null(arr);

		if (!nn_model_imputes(m))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("nn_predict_batch rows must not contain NULL elements: row %d, element %d is NULL",
							first / (int) n_in + 1, first % (int) n_in + 1),
					 errdetail("Only a model trained with impute 'mean' or 'zero' replaces NULLs.")));
		return FilledRows(arr, m, n_in);
	}
	return (float *) ARR_DATA_PTR(arr);
}

/*
 * nn_predict for many rows at once: the rows go through the network a
 * block at a time, as matrix products rather than one product per row.
 */
Datum
nn_predict_batch(PG_FUNCTION_ARGS)
{
	NNScorer   *s = nn_score_resolve_arg(fcinfo, 0);
	uint32		n_in = s->n_inputs;
	int			n_rows;
	float	   *rows = BatchRows(PG_GETARG_ARRAYTYPE_P(1), s->model, n_in, &n_rows);
	Datum	   *result = palloc(Max(n_rows, 1) * sizeof(Datum));

	/* NaN and infinity checks over the whole array, positions as flattened */
	nn_check_features(rows, n_rows * (int) n_in, (uint32) n_rows * n_in);
	nn_scorer_predict_rows(s, rows, n_rows, result);
	PG_RETURN_ARRAYTYPE_P(construct_array(result, n_rows, FLOAT8OID, sizeof(float8),
										  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}
