/*
 * rows.c - reading training rows: resolve the source (a table, view or
 * single SELECT), check the target, feature and weight columns, and read
 * them with an SPI cursor into float rows held in memory within
 * nn.train_memory.  Class labels are collected as text and numbered.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"
#include "utils/varlena.h"
#include "utils/rel.h"

#include "train/train.h"

#define FETCH_ROWS 1000
#define MAX_TRAIN_ROWS ((int64) PG_INT32_MAX)
/* rows per chunk when every chunk goes to the sink (nn_evaluate) */
#define STREAM_ALL_CHUNK 4096


typedef struct ClassLabel
{
	char	   *text;			/* hash key: the label as text */
	int			id;				/* order of first appearance */
	int64		ikey;			/* sort keys for integer/boolean and */
	double		dkey;			/* floating-point targets */
} ClassLabel;

/* ---------- source and columns ---------- */

/* source starts with the keyword (any case), not a longer word */
static bool
StartsWithWord(const char *source, const char *word)
{
	size_t		n = strlen(word);

	return pg_strncasecmp(source, word, n) == 0 && !isalnum((unsigned char) source[n]) &&
		source[n] != '_';
}

/*
 * A query: SELECT, WITH, TABLE or VALUES first (each parses as a
 * SelectStmt).  As names, these are reserved words, so a table called
 * "table" is written with its quotes and stays a name.
 */
static bool
IsQuery(const char *source)
{
	while (*source == ' ' || *source == '\t' || *source == '\n' || *source == '\r' || *source == '(')
		source++;
	return StartsWithWord(source, "select") || StartsWithWord(source, "with") ||
		StartsWithWord(source, "table") || StartsWithWord(source, "values");
}

/* a table or view name as SQL writes it: possibly qualified, possibly quoted */
static List *
SourceName(const char *source)
{
	char	   *copy = pstrdup(source);
	List	   *parts;

	if (!SplitIdentifierString(copy, '.', &parts) || parts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("source is neither a table or view name nor a query: \"%s\"", source),
				 errhint("A query starts with SELECT, WITH, TABLE or VALUES; a name may be schema-qualified, with double quotes around parts that need them.")));
	return stringToQualifiedNameList(source);
}

/*
 * A query source must parse as exactly one SELECT (WITH included), so that
 * wrapping it as a subquery cannot be escaped to run other statements.
 */
static void
SourceSyntaxErrorCallback(void *arg)
{
	int			pos = geterrposition();

	/* point the error cursor into the source text, not the calling query */
	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery((const char *) arg);
	}
}

static void
CheckSingleSelect(const char *query)
{
	ErrorContextCallback cb = {error_context_stack, SourceSyntaxErrorCallback, (void *) query};
	List	   *stmts;

	error_context_stack = &cb;
	stmts = raw_parser(query, RAW_PARSE_DEFAULT);
	error_context_stack = cb.previous;

	if (list_length(stmts) != 1 ||
		!IsA(castNode(RawStmt, linitial(stmts))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement"),
				 errdetail("A query source may start with WITH, but cannot modify data or hold several statements.")));
}

/* The FROM item: a quoted relation name, or the query as a subquery. */
static char *
ResolveSource(const char *source, Oid *relid_out)
{
	RangeVar   *rv;
	Oid			relid;

	*relid_out = InvalidOid;
	if (IsQuery(source))
	{
		char	   *q = pstrdup(source);
		int			len = strlen(q);

		while (len > 0 && (q[len - 1] == ';' || isspace((unsigned char) q[len - 1])))
			q[--len] = '\0';
		CheckSingleSelect(q);
		return psprintf("(%s\n) AS nn_source", q);
	}
	rv = makeRangeVarFromNameList(SourceName(source));
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table or view not found: %s", source),
				 errhint("source is a table or view name, or a query starting with SELECT, WITH, TABLE or VALUES.")));
	*relid_out = relid;
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * The source's columns.  A table or view is described from the catalog, so
 * that a caller with SELECT on just the columns nn reads can train on it;
 * a query is planned and run with LIMIT 0.
 */
static TupleDesc
DescribeSource(const char *from, Oid relid)
{
	if (OidIsValid(relid))
	{
		Relation	rel = relation_open(relid, AccessShareLock);
		TupleDesc	desc = CreateTupleDescCopy(RelationGetDescr(rel));

		relation_close(rel, AccessShareLock);
		return desc;
	}
	if (SPI_execute(psprintf("SELECT * FROM %s LIMIT 0", from), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not describe the source");
	return SPI_tuptable->tupdesc;
}

static int
FindColumn(TupleDesc desc, const char *name, const char *role)
{
	int			found = -1;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (found >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_COLUMN),
					 errmsg("%s column \"%s\" appears more than once in the source", role, name)));
		found = i;
	}
	if (found < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" does not exist in the source", role, name),
				 errhint("Column names are exact and case-sensitive.")));
	return found;
}

static NNFeatureColumn
DescribeFeature(TupleDesc desc, int col)
{
	Form_pg_attribute att = TupleDescAttr(desc, col);
	NNFeatureColumn f;

	f.name = pstrdup(NameStr(att->attname));
	f.width = 1;
	if (nn_is_numeric_scalar(att->atttypid))
	{
		f.kind = NN_COL_SCALAR;
		f.type = att->atttypid;
	}
	else if (att->atttypid == FLOAT4ARRAYOID || att->atttypid == FLOAT8ARRAYOID)
	{
		f.kind = NN_COL_ARRAY;
		f.type = att->atttypid == FLOAT4ARRAYOID ? FLOAT4OID : FLOAT8OID;
		f.width = -1;
	}
	else if (nn_is_category_type(att->atttypid))
	{
		f.kind = NN_COL_CATEGORY;
		f.type = TEXTOID;		/* read as text (BuildQuery casts) */
		f.width = -1;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("feature column \"%s\" has type %s", f.name, format_type_be(att->atttypid)),
				 errdetail("Features must be numeric, boolean, text, real[] or double precision[] columns.")));
	f.categories = NULL;
	return f;
}

static NNTask
TaskForTarget(Oid type, int forced, const char *name)
{
	bool		label_type = type == TEXTOID || type == VARCHAROID || type == BPCHAROID ||
		type == BOOLOID || type == INT2OID || type == INT4OID || type == INT8OID;
	bool		value_type = type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;

	if (!label_type && !value_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target column \"%s\" has type %s", name, format_type_be(type)),
				 errdetail("Targets must be text, boolean or integer (classification), or real, double precision or numeric (regression).")));
	if (forced == NN_TASK_REGRESSION && !(value_type || type == BOOLOID || type == INT2OID ||
										  type == INT4OID || type == INT8OID))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target column \"%s\" has type %s, which cannot be a regression target",
						name, format_type_be(type))));
	if (forced >= 0)
		return (NNTask) forced;
	return label_type ? NN_TASK_CLASSIFICATION : NN_TASK_REGRESSION;
}

static void
AddFeature(NNRows *d, TupleDesc desc, int target_col, const char *name)
{
	int			col = FindColumn(desc, name, "feature");

	if (col == target_col)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" cannot be both the target and a feature", name)));
	for (int j = 0; j < d->n_features; j++)
		if (strcmp(d->features[j].name, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("feature column \"%s\" is listed more than once", name)));
	d->features[d->n_features++] = DescribeFeature(desc, col);
}

/* names NULL: every column but the target and weight column, in order */
static void
ChooseFeatures(NNRows *d, TupleDesc desc, int target_col, char **names, int count)
{
	d->features = palloc((Max(desc->natts, count) + 1) * sizeof(NNFeatureColumn));
	d->n_features = 0;
	if (names == NULL)
	{
		for (int i = 0; i < desc->natts; i++)
		{
			const char *name = NameStr(TupleDescAttr(desc, i)->attname);

			if (i != target_col && !TupleDescAttr(desc, i)->attisdropped &&
				(d->weight_column == NULL || strcmp(name, d->weight_column) != 0))
				AddFeature(d, desc, target_col, name);
		}
	}
	else
		for (int i = 0; i < count; i++)
			AddFeature(d, desc, target_col, names[i]);
	if (d->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no feature columns"),
				 errdetail("The source needs at least one column besides the target.")));
}

static char **
FeatureNames(ArrayType *names, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, count);
	out = palloc((*count + 1) * sizeof(char *));
	for (int i = 0; i < *count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("features must not contain NULL column names")));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

static char *
BuildQuery(const NNRows *d, const char *from, const char *target)
{
	StringInfoData q;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s", quote_identifier(target));
	for (int i = 0; i < d->n_features; i++)
		appendStringInfo(&q, d->features[i].kind == NN_COL_CATEGORY ? ", %s::text" : ", %s",
						 quote_identifier(d->features[i].name));
	if (d->weight_column != NULL)
		appendStringInfo(&q, ", %s", quote_identifier(d->weight_column));
	appendStringInfo(&q, " FROM %s", from);
	return q.data;
}

/* ---------- reading rows ---------- */

/*
 * A NULL feature value (a column, or an array element) under the impute
 * mode: false skips the row; mean marks it NaN, filled once means are known.
 */
static bool
Missing(NNRows *d, const NNFeatureColumn *f, float *out, int n)
{
	if (d->impute == NN_IMPUTE_SKIP)
		return false;
	if (d->impute == NN_IMPUTE_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("feature column \"%s\" is NULL in a row", f->name),
				 errhint("options.impute is 'error'; 'skip' skips such rows, 'mean' and 'zero' replace NULLs.")));
	for (int i = 0; i < n; i++)
		out[i] = d->impute == NN_IMPUTE_MEAN && f->kind != NN_COL_CATEGORY ? NAN : 0.0f;
	d->has_missing |= d->impute == NN_IMPUTE_MEAN && f->kind != NN_COL_CATEGORY;
	return true;
}

/* The array's length, with a check that it has one dimension. */
static int
ArrayLength(ArrayType *arr, const NNFeatureColumn *f)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature column \"%s\" has a %d-dimensional array; one dimension expected",
						f->name, ARR_NDIM(arr))));
	return ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
}

/* The array's elements as floats into out; false skips the row. */
static bool
ArrayValues(NNRows *d, Datum v, const NNFeatureColumn *f, float *out)
{
	ArrayType  *arr = DatumGetArrayTypeP(v);
	int			n = ArrayLength(arr, f);
	bits8	   *nulls = ARR_NULLBITMAP(arr);
	char	   *p = ARR_DATA_PTR(arr);
	int			size = f->type == FLOAT4OID ? sizeof(float4) : sizeof(float8);

	if (n != f->width)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("feature column \"%s\" has an array of length %d, expected %d",
						f->name, n, f->width),
				 errdetail("Every array in a feature column must have the length of the first one.")));
	for (int i = 0; i < n; i++)
	{
		double		e;

		if (nulls != NULL && !(nulls[i / 8] & (1 << (i % 8))))
		{
			if (!Missing(d, f, out + i, 1))
				return false;
			continue;
		}
		e = f->type == FLOAT4OID ? *(float4 *) p : *(float8 *) p;
		p += size;
		nn_check_finite(e, f->name);
		out[i] = (float) e;
	}
	return true;
}

/* one-hot over the categories; a category never seen encodes as all zeros */
static void
CategoryValues(Datum v, const NNFeatureColumn *f, float *out)
{
	char	   *s = TextDatumGetCString(v);
	int			lo = 0,
				hi = f->width - 1;

	memset(out, 0, f->width * sizeof(float));
	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			cmp = strcmp(f->categories[mid], s);

		if (cmp == 0)
		{
			out[mid] = 1.0f;
			break;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	pfree(s);
}

/* One feature's inputs into out; false skips the row. */
static bool
EncodeFeature(NNRows *d, const NNFeatureColumn *f, Datum v, bool isnull, float *out)
{
	double		s;

	if (isnull)
		return Missing(d, f, out, f->width);
	switch (f->kind)
	{
		case NN_COL_SCALAR:
			s = nn_scalar_value(v, f->type);
			nn_check_finite(s, f->name);
			out[0] = (float) s;
			return true;
		case NN_COL_ARRAY:
			return ArrayValues(d, v, f, out);
		case NN_COL_CATEGORY:
			CategoryValues(v, f, out);
			return true;
	}
	return false;
}

/*
 * On the first row with every array present, learn the array widths (those
 * not known already) and so the input count.  Returns false when an array
 * is NULL (the row is skipped).
 */
static bool
SetWidths(NNRows *d, HeapTuple tup, TupleDesc desc)
{
	int64		total = 0;

	for (int i = 0; i < d->n_features; i++)
	{
		NNFeatureColumn *f = &d->features[i];
		bool		isnull;
		Datum		v;

		if (f->kind == NN_COL_ARRAY && f->width < 0)
		{
			v = heap_getattr(tup, i + 2, desc, &isnull);
			if (isnull)
				return false;
			/* rows that will be skipped do not set the width */
			if (d->impute == NN_IMPUTE_SKIP && array_contains_nulls(DatumGetArrayTypeP(v)))
				return false;
			f->width = ArrayLength(DatumGetArrayTypeP(v), f);
			if (f->width == 0)
				ereport(ERROR,
						(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
						 errmsg("feature column \"%s\" has an empty array", f->name)));
		}
		total += f->width;
	}
	if (total > NN_MAX_WIDTH)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("features give %lld inputs, more than the %d allowed",
						(long long) total, NN_MAX_WIDTH)));
	d->n_inputs = (int) total;
	return true;
}

/* Hand the buffered rows to the sink and empty the buffer. */
static void
FlushChunk(NNRows *d)
{
	if (d->n_rows == 0)
		return;
	if (d->sink == NULL)
	{
		NNBudget	b = nn_train_budget();

		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("training rows need more than %s (%d MB)", b.setting, b.mb),
				 nn_budget_hint(&b, "Train on a sample")));
	}
	d->sink(d, d->sink_arg);
	d->first_ordinal += d->n_rows;
	d->n_rows = 0;
}

static void
GrowRows(NNRows *d)
{
	int64		cap = d->capacity == 0 ? 1024 : d->capacity * 2;
	NNBudget	b = nn_train_budget();
	Size		budget = b.bytes;
	Size		bytes;

	if (d->n_rows >= MAX_TRAIN_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %lld training rows", (long long) MAX_TRAIN_ROWS)));
	bytes = mul_size((Size) cap, (Size) (d->n_inputs + 2) * sizeof(float));
	if (bytes > budget)
	{
		/* the last doubling may overshoot: try the rows that still fit */
		cap = budget / ((d->n_inputs + 2) * sizeof(float));
		if (cap < 1)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("one training row needs more than %s (%d MB)",
							b.setting, b.mb)));
		if (cap <= d->n_rows)
		{
			/* the rows do not fit: from now on they pass through in chunks */
			FlushChunk(d);
			d->streamed = true;
			return;
		}
	}
	if (d->x == NULL)
	{
		d->x = MemoryContextAllocHuge(d->cxt, (Size) cap * d->n_inputs * sizeof(float));
		d->y = MemoryContextAllocHuge(d->cxt, (Size) cap * sizeof(float));
		d->w = MemoryContextAllocHuge(d->cxt, (Size) cap * sizeof(float));
	}
	else
	{
		d->x = repalloc_huge(d->x, (Size) cap * d->n_inputs * sizeof(float));
		d->y = repalloc_huge(d->y, (Size) cap * sizeof(float));
		d->w = repalloc_huge(d->w, (Size) cap * sizeof(float));
	}
	d->capacity = cap;
}

static int
LabelId(NNRows *d, Datum v)
{
	char	   *text;
	ClassLabel *label;
	bool		found;
	Oid			type = d->target_type;

	if (type == BOOLOID)
		text = DatumGetBool(v) ? "true" : "false";
	else
	{
		Oid			out;
		bool		varlena;

		getTypeOutputInfo(type, &out, &varlena);
		text = OidOutputFunctionCall(out, v);
	}
	if (strlen(text) > NN_MAX_NAME_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a target label is longer than %d bytes", NN_MAX_NAME_BYTES)));
	label = hash_search(d->labels, &text, HASH_ENTER, &found);
	if (!found)
	{
		if (d->n_labels >= NN_MAX_CLASSES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("target has more than %d distinct values", NN_MAX_CLASSES),
					 errhint("For a numeric target, set options.task to 'regression'.")));
		label->text = MemoryContextStrdup(d->cxt, text);
		label->id = d->n_labels++;
		if (d->label_text == NULL)
			d->label_text = MemoryContextAlloc(d->cxt, NN_MAX_CLASSES * sizeof(char *));
		d->label_text[label->id] = label->text;
		label->ikey = type == BOOLOID ? DatumGetBool(v) :
			(type == INT2OID || type == INT4OID || type == INT8OID) ? (int64) nn_scalar_value(v, type) : 0;
		label->dkey = (type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID) ?
			nn_scalar_value(v, type) : 0;
		if (type == INT8OID)
			label->ikey = DatumGetInt64(v);
	}
	return label->id;
}

static float
RowWeight(NNRows *d, HeapTuple tup, TupleDesc desc)
{
	bool		isnull;
	double		w = nn_scalar_value(heap_getattr(tup, d->n_features + 2, desc, &isnull),
								d->weight_type);

	nn_check_finite(w, d->weight_column);
	if (w < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("weight column \"%s\" has a negative value", d->weight_column)));
	return (float) w;
}

/* Append one row; returns false (and counts it) when it is skipped. */
static bool
AddRow(NNRows *d, HeapTuple tup, TupleDesc desc, const char *target)
{
	bool		isnull;
	Datum		tv = heap_getattr(tup, 1, desc, &isnull);
	float	   *row;
	int			pos = 0;

	/* no target or weight: nothing to learn from or score against */
	if (isnull)
		return false;
	if (d->weight_column != NULL && heap_attisnull(tup, d->n_features + 2, desc))
		return false;
	if (d->n_inputs < 0 && !SetWidths(d, tup, desc))
		return false;
	if (d->n_rows == d->capacity && d->stream_all && d->capacity >= STREAM_ALL_CHUNK)
		FlushChunk(d);
	if (d->n_rows == d->capacity)
		GrowRows(d);
	if (d->n_rows == d->capacity)
		FlushChunk(d);
	row = d->x + d->n_rows * d->n_inputs;
	for (int i = 0; i < d->n_features; i++)
	{
		NNFeatureColumn *f = &d->features[i];
		Datum		v = heap_getattr(tup, i + 2, desc, &isnull);

		if (!EncodeFeature(d, f, v, isnull, row + pos))
			return false;
		pos += f->width;
	}
	if (d->task == NN_TASK_CLASSIFICATION)
	{
		int			id = LabelId(d, tv);

		/* a later pass knows the classes: number the row by them at once */
		if (d->label_remap != NULL)
			id = d->label_remap[id];
		d->y[d->n_rows] = (float) id;
	}
	else
	{
		double		t = nn_scalar_value(tv, d->target_type);

		nn_check_finite(t, target);
		d->y[d->n_rows] = (float) t;
	}
	d->w[d->n_rows] = d->weight_column != NULL ? RowWeight(d, tup, desc) : 1.0f;
	d->n_rows++;
	return true;
}

static uint32
LabelHash(const void *key, Size keysize)
{
	const char *s = *(const char *const *) key;

	return string_hash(s, strlen(s) + 1);
}

static int
LabelMatch(const void *a, const void *b, Size keysize)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void
ReadRows(NNRows *d, const char *query, const char *target)
{
	MemoryContext rowcxt = AllocSetContextCreate(CurrentMemoryContext, "nn_train rows",
												 ALLOCSET_DEFAULT_SIZES);
	SPIPlanPtr	plan = SPI_prepare(query, 0, NULL);
	Portal		portal;

	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	/* read-only: a source cannot modify data, even through a WITH clause */
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
	for (;;)
	{
		MemoryContext old;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		if (SPI_processed == 0)
			break;
		old = MemoryContextSwitchTo(rowcxt);
		for (uint64 i = 0; i < SPI_processed; i++)
			if (!AddRow(d, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, target))
				d->skipped++;
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
		SPI_freetuptable(SPI_tuptable);
		CHECK_FOR_INTERRUPTS();
	}
	SPI_cursor_close(portal);
	MemoryContextDelete(rowcxt);
	if (d->streamed)
		FlushChunk(d);
}

static void
DescribeWeightColumn(NNRows *d, TupleDesc desc, int target_col)
{
	int			col = FindColumn(desc, d->weight_column, "weight");
	bool		taken = col == target_col;

	for (int i = 0; i < d->n_features; i++)
		taken |= strcmp(d->features[i].name, d->weight_column) == 0;
	if (taken)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight column \"%s\" is also the target or a feature", d->weight_column)));
	d->weight_type = TupleDescAttr(desc, col)->atttypid;
	if (!nn_is_numeric_scalar(d->weight_type))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("weight column \"%s\" has type %s; a numeric column is expected",
						d->weight_column, format_type_be(d->weight_type))));
}

/*
 * The distinct non-NULL values of a text column, sorted in byte order, in
 * cxt (SPI_execute leaves CurrentMemoryContext at SPI's procedure context,
 * which SPI_finish frees).
 */
static char **
DistinctValues(const char *from, const NNFeatureColumn *f, int *n, MemoryContext cxt)
{
	const char *col = quote_identifier(f->name);
	char	  **values;

	/* COLLATE "C": equality and order are those of the bytes, as in scoring */
	if (SPI_execute(psprintf("SELECT DISTINCT (%s::text) COLLATE \"C\" FROM %s WHERE %s IS NOT NULL ORDER BY 1",
							 col, from, col), true, NN_MAX_CATEGORIES + 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the categories of \"%s\"", f->name);
	if (SPI_processed > NN_MAX_CATEGORIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feature column \"%s\" has more than %d distinct values", f->name, NN_MAX_CATEGORIES),
				 errhint("A text feature is one-hot encoded; group rare values, or leave the column out.")));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("text feature column \"%s\" has no non-NULL values", f->name)));
	*n = (int) SPI_processed;
	values = MemoryContextAlloc(cxt, *n * sizeof(char *));
	for (int i = 0; i < *n; i++)
	{
		values[i] = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc, 1));
		if (strlen(values[i]) > NN_MAX_NAME_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("feature column \"%s\" has a value longer than %d bytes", f->name,
							NN_MAX_NAME_BYTES)));
	}
	SPI_freetuptable(SPI_tuptable);
	return values;
}

/* an array column's length, from its first non-NULL value; -1 if none */
static int
FirstArrayLength(const char *from, const NNFeatureColumn *f)
{
	const char *col = quote_identifier(f->name);
	bool		isnull;
	Datum		v;

	if (SPI_execute(psprintf("SELECT coalesce(cardinality(%s), 0) FROM %s WHERE %s IS NOT NULL LIMIT 1",
							 col, from, col), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read feature column \"%s\"", f->name);
	if (SPI_processed == 0)
		return -1;
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return DatumGetInt32(v);
}

/* a column must keep the kind the model was trained on */
static void
CheckModelKind(const NNFeatureColumn *f, const NNModel *model, int i)
{
	bool		was_text = nn_model_feature_kind(model, i) == NN_FEATURE_CATEGORICAL;

	if (was_text != (f->kind == NN_COL_CATEGORY))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("feature column \"%s\" is %s, but the model was trained on %s", f->name,
						f->kind == NN_COL_CATEGORY ? "text" : "numeric",
						was_text ? "text" : "numbers")));
}

/*
 * What the rows need before they are read: the categories of text columns
 * (the model's, or the source's distinct values), and array widths that a
 * NULL array must be imputed at.
 */
static void
PrepareFeatures(NNRows *d, const char *from, const NNModel *model)
{
	bool		fill_arrays = d->impute == NN_IMPUTE_MEAN || d->impute == NN_IMPUTE_ZERO;

	for (int i = 0; i < d->n_features; i++)
	{
		NNFeatureColumn *f = &d->features[i];

		if (model != NULL)
			CheckModelKind(f, model, i);
		if (f->kind == NN_COL_CATEGORY && model != NULL)
		{
			f->categories = model->categories[i];
			f->width = (int) model->feature_widths[i];
		}
		else if (f->kind == NN_COL_CATEGORY)
			f->categories = DistinctValues(from, f, &f->width, d->cxt);
		else if (f->kind == NN_COL_ARRAY && fill_arrays)
			f->width = model != NULL ? (int) model->feature_widths[i] : FirstArrayLength(from, f);
	}
}

static void
CreateLabelTable(NNRows *d)
{
	HASHCTL		ctl;

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(ClassLabel);
	ctl.hash = LabelHash;
	ctl.match = LabelMatch;
	ctl.hcxt = d->cxt;
	d->labels = hash_create("nn_train labels", 64, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
}

/*
 * Read the rows of spec->source into d (allocated in d->cxt).  For
 * nn_continue (spec->model set), the columns are the model's.
 */
void
nn_rows_load(NNRows *d, const NNRowsSpec *spec)
{
	char	   *from;
	TupleDesc	desc;
	int			target_col;
	char	  **names = NULL;
	int			n_names = 0;
	Oid			relid;
	MemoryContext old;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	from = ResolveSource(spec->source, &relid);
	desc = DescribeSource(from, relid);
	target_col = FindColumn(desc, spec->target, "target");
	d->target_type = TupleDescAttr(desc, target_col)->atttypid;
	d->task = TaskForTarget(d->target_type, spec->forced_task, spec->target);

	old = MemoryContextSwitchTo(d->cxt);
	d->target_name = pstrdup(spec->target);
	if (spec->model != NULL)
	{
		names = spec->model->feature_names;
		n_names = spec->model->n_features;
	}
	else if (spec->features != NULL)
		names = FeatureNames(spec->features, &n_names);
	d->weight_column = spec->weight_column != NULL ? pstrdup(spec->weight_column) : NULL;
	d->impute = spec->model != NULL ? (NNImpute) spec->model->impute : spec->impute;
	d->stream_all = spec->stream_all;
	d->streamed = spec->stream_all;
	ChooseFeatures(d, desc, target_col, names, n_names);
	if (d->weight_column != NULL)
		DescribeWeightColumn(d, desc, target_col);
	CreateLabelTable(d);
	PrepareFeatures(d, from, spec->model);
	MemoryContextSwitchTo(old);

	d->n_inputs = -1;
	d->query = MemoryContextStrdup(d->cxt, BuildQuery(d, from, spec->target));
	ReadRows(d, d->query, spec->target);
	SPI_finish();
}

/*
 * Another pass over the rows of a source too large to hold: every chunk of
 * rows goes to sink, numbered (first_ordinal) as in the first pass.
 */
void
nn_rows_stream(NNRows *d, NNRowSink sink, void *arg)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	d->sink = sink;
	d->sink_arg = arg;
	d->n_rows = 0;
	d->first_ordinal = 0;
	d->skipped = 0;
	ReadRows(d, d->query, d->target_name);
	SPI_finish();
}

void
nn_rows_fill(float *x, int64 n_rows, int n_inputs, const float *fill)
{
	for (int64 r = 0; r < n_rows; r++)
	{
		float	   *row = x + (size_t) r * n_inputs;

		for (int c = 0; c < n_inputs; c++)
			if (isnan(row[c]))
				row[c] = fill[c];
	}
}

void
nn_rows_set_encoding(NNModel *m, const NNRows *d)
{
	m->impute = (uint8) d->impute;
	m->feature_kinds = palloc(Max(d->n_features, 1));
	m->categories = palloc0(Max(d->n_features, 1) * sizeof(char **));
	for (int i = 0; i < d->n_features; i++)
	{
		m->feature_kinds[i] = d->features[i].kind == NN_COL_CATEGORY ?
			NN_FEATURE_CATEGORICAL : NN_FEATURE_NUMERIC;
		m->categories[i] = d->features[i].categories;
	}
}

/* the feature columns supply the inputs the model's columns did */
void
nn_rows_check_widths(const NNRows *d, const NNModel *m)
{
	for (int i = 0; i < d->n_features; i++)
		if ((uint32) d->features[i].width != m->feature_widths[i])
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("feature column \"%s\" supplies %d inputs, but the model expects %u",
							d->features[i].name, d->features[i].width, m->feature_widths[i])));
}

/* ---------- classes and scaling ---------- */

static Oid	sort_type;

static int
CompareLabels(const void *a, const void *b)
{
	const ClassLabel *x = *(ClassLabel *const *) a;
	const ClassLabel *y = *(ClassLabel *const *) b;

	if (sort_type == FLOAT4OID || sort_type == FLOAT8OID || sort_type == NUMERICOID)
		return x->dkey < y->dkey ? -1 : x->dkey > y->dkey;
	if (sort_type == TEXTOID || sort_type == VARCHAROID || sort_type == BPCHAROID)
		return strcmp(x->text, y->text);
	return x->ikey < y->ikey ? -1 : x->ikey > y->ikey;
}

/* Renumber the held rows' targets, and those of later passes. */
static void
ApplyRemap(NNRows *d, const int *remap)
{
	for (int64 r = 0; r < d->n_rows; r++)
		d->y[r] = (float) remap[(int) d->y[r]];
	d->label_remap = MemoryContextAlloc(d->cxt, Max(d->n_labels, 1) * sizeof(int));
	memcpy(d->label_remap, remap, d->n_labels * sizeof(int));
}

/* Sort the labels and renumber the rows' targets to the sorted indexes. */
char	  **
nn_rows_sort_classes(NNRows *d)
{
	ClassLabel **sorted = palloc(d->n_labels * sizeof(ClassLabel *));
	int		   *remap = palloc(d->n_labels * sizeof(int));
	char	  **names = palloc(d->n_labels * sizeof(char *));
	HASH_SEQ_STATUS seq;
	ClassLabel *l;
	int			n = 0;

	hash_seq_init(&seq, d->labels);
	while ((l = hash_seq_search(&seq)) != NULL)
		sorted[n++] = l;
	sort_type = d->target_type;
	qsort(sorted, n, sizeof(ClassLabel *), CompareLabels);
	for (int i = 0; i < n; i++)
	{
		remap[sorted[i]->id] = i;
		names[i] = sorted[i]->text;
	}
	ApplyRemap(d, remap);
	return names;
}


/* nn_continue: renumber the rows' targets to the model's class indexes. */
void
nn_rows_map_classes(NNRows *d, const NNModel *model)
{
	int		   *remap = palloc(Max(d->n_labels, 1) * sizeof(int));
	HASH_SEQ_STATUS seq;
	ClassLabel *l;

	hash_seq_init(&seq, d->labels);
	while ((l = hash_seq_search(&seq)) != NULL)
	{
		uint32		c = 0;

		while (c < model->n_classes && strcmp(model->classes[c], l->text) != 0)
			c++;
		if (c == model->n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target value \"%s\" is not one of the model's classes", l->text)));
		remap[l->id] = (int) c;
	}
	ApplyRemap(d, remap);
}
