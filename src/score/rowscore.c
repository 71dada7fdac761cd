/*
 * rowscore.c - scoring a whole row: nn_predict_row, nn_predict_class_row
 * and nn_predict_proba_row take a record and find the model's feature
 * columns in it by name; nn_features_row returns the inputs they encode,
 * which nn_train's strategy "aggregate" hands to nn_fit.  Each C function serves both SQL overloads, the
 * model given as a bytea or as a name in nn_models (resolve.c).
 *
 * Which attribute holds which feature depends on the model and the row
 * type, so the lookup is kept in the call site's state with the scorer,
 * keyed on the scorer's id and the row type: a query pays for it once.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "score/score.h"

PG_FUNCTION_INFO_V1(nn_predict_row);
PG_FUNCTION_INFO_V1(nn_predict_class_row);
PG_FUNCTION_INFO_V1(nn_predict_proba_row);
PG_FUNCTION_INFO_V1(nn_features_row);

/* where each of a model's features is in one row type */
typedef struct RowMap
{
	uint64		scorer_id;		/* 0: not built */
	Oid			type_id;
	int32		typmod;
	TupleDesc	desc;			/* a copy, for heap_getattr */
	int		   *attnum;			/* per feature, 1-based */
	float	   *x;				/* one encoded row */
} RowMap;

static int
FindAttribute(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return i + 1;
	}
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_COLUMN),
			 errmsg("the row has no column \"%s\", a feature of this model", name),
			 errhint("Pass a row with every feature column; column names are exact and case-sensitive.")));
	return 0;
}

/* a column type that can supply feature i of the model */
static void
CheckColumnType(const NNModel *m, uint32 i, Oid type)
{
	const char *name = m->feature_names[i];
	bool		categorical = nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL;
	bool		ok;

	if (categorical)
		ok = nn_is_category_type(type);
	else if (type == FLOAT4ARRAYOID || type == FLOAT8ARRAYOID)
		ok = true;				/* the length is checked row by row */
	else
		ok = nn_is_numeric_scalar(type) && m->feature_widths[i] == 1;
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" has type %s, but the model expects %s", name,
						format_type_be(type),
						categorical ? "text" : m->feature_widths[i] == 1 ? "a number or boolean" :
						psprintf("an array of %u numbers", m->feature_widths[i]))));
}

static void
BuildMap(RowMap *map, const NNScorer *s, Oid type_id, int32 typmod, MemoryContext mcxt)
{
	const NNModel *m = s->model;
	TupleDesc	desc = lookup_rowtype_tupdesc(type_id, typmod);
	MemoryContext old = MemoryContextSwitchTo(mcxt);

	if (m->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("this model names no feature columns, so it cannot score a row"),
				 errhint("A model from nn_init scores arrays: use nn_predict(model, features).")));
	if (map->desc != NULL)
	{
		FreeTupleDesc(map->desc);
		pfree(map->attnum);
		pfree(map->x);
	}
	map->desc = CreateTupleDescCopy(desc);
	map->attnum = palloc(m->n_features * sizeof(int));
	map->x = palloc(s->n_inputs * sizeof(float));
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(desc);
	for (uint32 i = 0; i < m->n_features; i++)
	{
		map->attnum[i] = FindAttribute(map->desc, m->feature_names[i]);
		CheckColumnType(m, i, TupleDescAttr(map->desc, map->attnum[i] - 1)->atttypid);
	}
	map->scorer_id = s->id;
	map->type_id = type_id;
	map->typmod = typmod;
}

/*
 * A NULL feature (a column or an array element) as the model's impute mode
 * says: false when the row has no prediction.
 */
static bool
Missing(const NNModel *m, uint32 feature, float *out, uint32 first, uint32 n)
{
	if (m->impute == NN_IMPUTE_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feature column \"%s\" is NULL or has a NULL element", m->feature_names[feature]),
				 errhint("The model was trained with impute 'error'.")));
	if (!nn_model_imputes(m))
		return false;
	for (uint32 j = 0; j < n; j++)
		out[j] = nn_model_feature_kind(m, feature) == NN_FEATURE_CATEGORICAL ? 0.0f :
			m->fill[first + j];
	return true;
}

static bool
ArrayFeature(const NNModel *m, uint32 i, Datum v, Oid type, float *out, uint32 first)
{
	Oid			elem = type == FLOAT4ARRAYOID ? FLOAT4OID : FLOAT8OID;
	ArrayType  *arr = DatumGetArrayTypeP(v);
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("column \"%s\" has a %d-dimensional array; one dimension expected",
						m->feature_names[i], ARR_NDIM(arr))));
	deconstruct_array(arr, elem, elem == FLOAT4OID ? 4 : 8, elem == FLOAT4OID || FLOAT8PASSBYVAL,
					  elem == FLOAT4OID ? TYPALIGN_INT : TYPALIGN_DOUBLE, &elems, &nulls, &n);
	if ((uint32) n != m->feature_widths[i])
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("column \"%s\" has an array of length %d, but the model expects %u",
						m->feature_names[i], n, m->feature_widths[i])));
	for (int j = 0; j < n; j++)
	{
		double		e;

		if (nulls[j])
		{
			if (!Missing(m, i, out + j, first + j, 1))
				return false;
			continue;
		}
		e = elem == FLOAT4OID ? DatumGetFloat4(elems[j]) : DatumGetFloat8(elems[j]);
		nn_check_finite(e, m->feature_names[i]);
		out[j] = (float) e;
	}
	return true;
}

/* one-hot; a category the model never saw encodes as all zeros */
static void
CategoryFeature(const NNModel *m, uint32 i, Datum v, Oid type, float *out)
{
	char	   *s = type == BPCHAROID ?
		TextDatumGetCString(DirectFunctionCall1(rtrim1, v)) : TextDatumGetCString(v);
	int32		c = nn_model_category(m, i, s);

	memset(out, 0, m->feature_widths[i] * sizeof(float));
	if (c >= 0)
		out[c] = 1.0f;
}

/* The row's features into map->x; false when a NULL leaves no prediction. */
static bool
EncodeRow(const NNModel *m, RowMap *map, HeapTuple tuple)
{
	uint32		pos = 0;

	for (uint32 i = 0; i < m->n_features; i++)
	{
		int			att = map->attnum[i];
		Oid			type = TupleDescAttr(map->desc, att - 1)->atttypid;
		bool		isnull;
		Datum		v = heap_getattr(tuple, att, map->desc, &isnull);
		float	   *out = map->x + pos;
		double		s;

		if (isnull)
		{
			if (!Missing(m, i, out, pos, m->feature_widths[i]))
				return false;
		}
		else if (nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL)
			CategoryFeature(m, i, v, type, out);
		else if (type == FLOAT4ARRAYOID || type == FLOAT8ARRAYOID)
		{
			if (!ArrayFeature(m, i, v, type, out, pos))
				return false;
		}
		else
		{
			s = nn_scalar_value(v, type);
			nn_check_finite(s, m->feature_names[i]);
			out[0] = (float) s;
		}
		pos += m->feature_widths[i];
	}
	return true;
}

/*
 * The features of record r for scorer s, the row-type lookup cached in
 * *map (allocated in mcxt): raw and checked, or NULL when a NULL feature
 * leaves the row without a prediction (impute 'skip').
 */
const float *
nn_score_record_features(NNScorer *s, HeapTupleHeader r, void **map_slot,
						 MemoryContext mcxt)
{
	RowMap	   *map = (RowMap *) *map_slot;
	Oid			type_id = HeapTupleHeaderGetTypeId(r);
	int32		typmod = HeapTupleHeaderGetTypMod(r);
	HeapTupleData tuple;

	if (map == NULL)
		*map_slot = map = MemoryContextAllocZero(mcxt, sizeof(RowMap));
	if (map->scorer_id != s->id || map->type_id != type_id || map->typmod != typmod)
		BuildMap(map, s, type_id, typmod, mcxt);
	tuple.t_len = HeapTupleHeaderGetDatumLength(r);
	ItemPointerSetInvalid(&tuple.t_self);
	tuple.t_tableOid = InvalidOid;
	tuple.t_data = r;
	if (!EncodeRow(s->model, map, &tuple))
		return NULL;
	return map->x;
}

/* the outputs for record r, or NULL when it has no prediction */
static const float *
nn_score_record(NNScorer *s, HeapTupleHeader r, void **map_slot, MemoryContext mcxt)
{
	const float *x = nn_score_record_features(s, r, map_slot, mcxt);

	return x != NULL ? nn_scorer_run(s, x) : NULL;
}

/* the model in argument 0 and the outputs for the record in argument 1 */
static const float *
ScoreArgs(FunctionCallInfo fcinfo, NNScorer **s)
{
	NNScoreSite *site = nn_score_site(fcinfo, 0);

	*s = nn_score_resolve(fcinfo, site, PG_GETARG_DATUM(0));
	return nn_score_record(*s, PG_GETARG_HEAPTUPLEHEADER(1), &site->row_map, fcinfo->flinfo->fn_mcxt);
}

Datum
nn_predict_row(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	if (out == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(nn_scorer_value(s, out));
}

Datum
nn_predict_class_row(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	if (out == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(nn_scorer_class(s, out, "nn_predict_class_row"));
}

Datum
nn_predict_proba_row(PG_FUNCTION_ARGS)
{
	NNScorer   *s;
	const float *out = ScoreArgs(fcinfo, &s);

	if (out == NULL)
		PG_RETURN_NULL();
	PG_RETURN_DATUM(nn_scorer_proba(s, out, "nn_predict_proba_row"));
}

/*
 * The model's inputs for record r, raw (before standardization, which the
 * model applies): what scoring feeds the network, and so what nn_fit must
 * train on for a model that scores rows.  NULL when a NULL feature leaves
 * the row out (impute 'skip').
 */
Datum
nn_features_row(PG_FUNCTION_ARGS)
{
	NNScoreSite *site = nn_score_site(fcinfo, 0);
	NNScorer   *s = nn_score_resolve(fcinfo, site, PG_GETARG_DATUM(0));
	const float *x = nn_score_record_features(s, PG_GETARG_HEAPTUPLEHEADER(1), &site->row_map,
											  fcinfo->flinfo->fn_mcxt);
	Datum	   *elems;

	if (x == NULL)
		PG_RETURN_NULL();
	elems = palloc(s->n_inputs * sizeof(Datum));
	for (uint32 i = 0; i < s->n_inputs; i++)
		elems[i] = Float4GetDatum(x[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, (int) s->n_inputs, FLOAT4OID, sizeof(float4),
										  true, TYPALIGN_INT));
}
