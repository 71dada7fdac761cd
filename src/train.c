/*
 * train.c - nn_train and nn_init.
 *
 * nn_train resolves the source, reads the target and feature columns with
 * an SPI cursor into float rows held in memory (within nn.train_memory),
 * derives the classes and the standardization, builds the network and
 * runs each epoch through the nn_fit state functions in a fresh seeded
 * order.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parser.h"
#include "portability/instr_time.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "common/hashfn.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/regproc.h"

#include "nn.h"

#define FETCH_ROWS 1000
#define MAX_TRAIN_ROWS ((int64) PG_INT32_MAX)

/* nn.train_memory, in MB: rows nn_train may hold in memory */
int			nn_train_memory_mb = 1024;

typedef enum ColumnKind
{
	COL_SCALAR,
	COL_ARRAY
} ColumnKind;

typedef struct FeatureColumn
{
	char	   *name;
	Oid			type;			/* scalar type, or array element type */
	ColumnKind	kind;
	int			width;			/* arrays: from the first complete row */
} FeatureColumn;

typedef struct ClassLabel
{
	char	   *text;			/* hash key: the label as text */
	int			id;				/* order of first appearance */
	int64		ikey;			/* sort keys for integer/boolean and */
	double		dkey;			/* floating-point targets */
} ClassLabel;

typedef struct TrainData
{
	MemoryContext cxt;
	NNTask		task;
	Oid			target_type;
	int			n_features;
	FeatureColumn *features;
	int			n_inputs;		/* -1 until the first complete row */
	int64		n_rows;
	int64		capacity;
	float	   *x;				/* n_rows x n_inputs */
	float	   *y;				/* class id (by appearance) or value */
	int64		skipped;
	HTAB	   *labels;
	int			n_labels;
} TrainData;

PG_FUNCTION_INFO_V1(nn_train);
PG_FUNCTION_INFO_V1(nn_init);

/* ---------- source and columns ---------- */

static bool
IsQuery(const char *source)
{
	while (*source == ' ' || *source == '\t' || *source == '\n' || *source == '\r' || *source == '(')
		source++;
	return (pg_strncasecmp(source, "select", 6) == 0 && !isalnum((unsigned char) source[6]) &&
			source[6] != '_') ||
		(pg_strncasecmp(source, "with", 4) == 0 && !isalnum((unsigned char) source[4]) &&
		 source[4] != '_');
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
ResolveSource(const char *source)
{
	RangeVar   *rv;
	Oid			relid;

	if (IsQuery(source))
	{
		char	   *q = pstrdup(source);
		int			len = strlen(q);

		while (len > 0 && (q[len - 1] == ';' || isspace((unsigned char) q[len - 1])))
			q[--len] = '\0';
		CheckSingleSelect(q);
		return psprintf("(%s\n) AS nn_source", q);
	}
	rv = makeRangeVarFromNameList(stringToQualifiedNameList(source));
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table or view not found: %s", source),
				 errhint("source is a table or view name, or a query starting with SELECT or WITH.")));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
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

static bool
IsNumericScalar(Oid type)
{
	return type == INT2OID || type == INT4OID || type == INT8OID || type == FLOAT4OID ||
		type == FLOAT8OID || type == NUMERICOID || type == BOOLOID;
}

static FeatureColumn
DescribeFeature(TupleDesc desc, int col)
{
	Form_pg_attribute att = TupleDescAttr(desc, col);
	FeatureColumn f;

	f.name = pstrdup(NameStr(att->attname));
	f.width = 1;
	if (IsNumericScalar(att->atttypid))
	{
		f.kind = COL_SCALAR;
		f.type = att->atttypid;
	}
	else if (att->atttypid == FLOAT4ARRAYOID || att->atttypid == FLOAT8ARRAYOID)
	{
		f.kind = COL_ARRAY;
		f.type = att->atttypid == FLOAT4ARRAYOID ? FLOAT4OID : FLOAT8OID;
		f.width = -1;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("feature column \"%s\" has type %s", f.name, format_type_be(att->atttypid)),
				 errdetail("Features must be numeric, boolean, real[] or double precision[] columns.")));
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
ChooseFeatures(TrainData *d, TupleDesc desc, int target_col, ArrayType *names)
{
	int			n = 0;

	d->features = palloc(desc->natts * sizeof(FeatureColumn) + 1);
	if (names == NULL)
	{
		for (int i = 0; i < desc->natts; i++)
			if (i != target_col && !TupleDescAttr(desc, i)->attisdropped)
			{
				/* FindColumn reports a name the source has twice */
				FindColumn(desc, NameStr(TupleDescAttr(desc, i)->attname), "feature");
				d->features[n++] = DescribeFeature(desc, i);
			}
	}
	else
	{
		Datum	   *elems;
		bool	   *nulls;
		int			count;

		deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &count);
		if (count > desc->natts)
			count = desc->natts + 1;	/* a repeat is certain; reported below */
		d->features = repalloc(d->features, (count + 1) * sizeof(FeatureColumn));
		for (int i = 0; i < count; i++)
		{
			char	   *name;
			int			col;

			if (nulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("features must not contain NULL column names")));
			name = TextDatumGetCString(elems[i]);
			col = FindColumn(desc, name, "feature");
			if (col == target_col)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("column \"%s\" cannot be both the target and a feature", name)));
			for (int j = 0; j < n; j++)
				if (strcmp(d->features[j].name, name) == 0)
					ereport(ERROR,
							(errcode(ERRCODE_DUPLICATE_COLUMN),
							 errmsg("feature column \"%s\" is listed more than once", name)));
			d->features[n++] = DescribeFeature(desc, col);
		}
	}
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no feature columns"),
				 errdetail("The source needs at least one column besides the target.")));
	d->n_features = n;
}

static char *
BuildQuery(const TrainData *d, const char *from, const char *target)
{
	StringInfoData q;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s", quote_identifier(target));
	for (int i = 0; i < d->n_features; i++)
		appendStringInfo(&q, ", %s", quote_identifier(d->features[i].name));
	appendStringInfo(&q, " FROM %s", from);
	return q.data;
}

/* ---------- reading rows ---------- */

static void
CheckFinite(double v, const char *column)
{
	if (isnan(v) || isinf(v) || fabs(v) > FLT_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("column \"%s\" has a NaN or infinite value (or one beyond the range of real)",
						column)));
}

static double
ScalarValue(Datum v, Oid type)
{
	switch (type)
	{
		case BOOLOID:
			return DatumGetBool(v) ? 1.0 : 0.0;
		case INT2OID:
			return DatumGetInt16(v);
		case INT4OID:
			return DatumGetInt32(v);
		case INT8OID:
			return (double) DatumGetInt64(v);
		case FLOAT4OID:
			return DatumGetFloat4(v);
		case FLOAT8OID:
			return DatumGetFloat8(v);
		case NUMERICOID:
			return DatumGetFloat8(DirectFunctionCall1(numeric_float8, v));
		default:
			elog(ERROR, "unexpected column type %u", type);
	}
}

/* The array's elements as floats into out; returns its length. */
static int
ArrayValues(Datum v, FeatureColumn *f, float *out, bool *has_null)
{
	ArrayType  *arr = DatumGetArrayTypeP(v);
	int			n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];

	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature column \"%s\" has a %d-dimensional array; one dimension expected",
						f->name, ARR_NDIM(arr))));
	*has_null = ARR_HASNULL(arr) && array_contains_nulls(arr);
	if (*has_null || out == NULL)
		return n;
	if (n != f->width)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("feature column \"%s\" has an array of length %d, expected %d",
						f->name, n, f->width),
				 errdetail("Every array in a feature column must have the length of the first one.")));
	for (int i = 0; i < n; i++)
	{
		double		e = f->type == FLOAT4OID ? ((float4 *) ARR_DATA_PTR(arr))[i] :
			((float8 *) ARR_DATA_PTR(arr))[i];

		CheckFinite(e, f->name);
		out[i] = (float) e;
	}
	return n;
}

/*
 * On the first complete row, learn array widths and so the input count.
 * Returns false when the row has a NULL array element (it is skipped).
 */
static bool
SetWidths(TrainData *d, HeapTuple tup, TupleDesc desc)
{
	int64		total = 0;

	for (int i = 0; i < d->n_features; i++)
	{
		FeatureColumn *f = &d->features[i];
		bool		isnull,
					has_null;

		if (f->kind == COL_ARRAY)
		{
			f->width = ArrayValues(heap_getattr(tup, i + 2, desc, &isnull), f, NULL, &has_null);
			if (has_null)
				return false;
			if (f->width == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_EXCEPTION),
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

static void
GrowRows(TrainData *d)
{
	int64		cap = d->capacity == 0 ? 1024 : d->capacity * 2;
	Size		budget = (Size) nn_train_memory_mb * 1024 * 1024;
	Size		bytes;

	if (d->n_rows >= MAX_TRAIN_ROWS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more than %lld training rows", (long long) MAX_TRAIN_ROWS)));
	bytes = mul_size((Size) cap, (Size) (d->n_inputs + 1) * sizeof(float));
	if (bytes > budget)
	{
		/* the last doubling may overshoot: try the rows that still fit */
		cap = budget / ((d->n_inputs + 1) * sizeof(float));
		if (cap <= d->n_rows)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("training rows need more than nn.train_memory (%d MB)", nn_train_memory_mb),
					 errhint("Raise nn.train_memory, or train on a sample or with the nn_fit aggregate.")));
	}
	if (d->x == NULL)
	{
		d->x = MemoryContextAllocHuge(d->cxt, (Size) cap * d->n_inputs * sizeof(float));
		d->y = MemoryContextAllocHuge(d->cxt, (Size) cap * sizeof(float));
	}
	else
	{
		d->x = repalloc_huge(d->x, (Size) cap * d->n_inputs * sizeof(float));
		d->y = repalloc_huge(d->y, (Size) cap * sizeof(float));
	}
	d->capacity = cap;
}

static int
LabelId(TrainData *d, Datum v)
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
		label->ikey = type == BOOLOID ? DatumGetBool(v) :
			(type == INT2OID || type == INT4OID || type == INT8OID) ? (int64) ScalarValue(v, type) : 0;
		label->dkey = (type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID) ?
			ScalarValue(v, type) : 0;
		if (type == INT8OID)
			label->ikey = DatumGetInt64(v);
	}
	return label->id;
}

/* Append one row; returns false (and counts it) when it has a NULL. */
static bool
AddRow(TrainData *d, HeapTuple tup, TupleDesc desc, const char *target)
{
	bool		isnull,
				has_null;
	Datum		tv = heap_getattr(tup, 1, desc, &isnull);
	float	   *row;
	int			pos = 0;

	for (int i = 0; i <= d->n_features && !isnull; i++)
		(void) heap_getattr(tup, i + 1, desc, &isnull);
	if (isnull)
		return false;
	if (d->n_inputs < 0 && !SetWidths(d, tup, desc))
		return false;
	if (d->n_rows == d->capacity)
		GrowRows(d);
	row = d->x + d->n_rows * d->n_inputs;
	for (int i = 0; i < d->n_features; i++)
	{
		FeatureColumn *f = &d->features[i];
		Datum		v = heap_getattr(tup, i + 2, desc, &isnull);

		if (f->kind == COL_SCALAR)
		{
			double		s = ScalarValue(v, f->type);

			CheckFinite(s, f->name);
			row[pos] = (float) s;
		}
		else
		{
			ArrayValues(v, f, row + pos, &has_null);
			if (has_null)
				return false;
		}
		pos += f->width;
	}
	if (d->task == NN_TASK_CLASSIFICATION)
		d->y[d->n_rows] = (float) LabelId(d, tv);
	else
	{
		double		t = ScalarValue(tv, d->target_type);

		CheckFinite(t, target);
		d->y[d->n_rows] = (float) t;
	}
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
ReadRows(TrainData *d, const char *query, const char *target)
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
}

static void
LoadData(TrainData *d, const char *source, const char *target, ArrayType *features,
		 int forced_task)
{
	char	   *from;
	TupleDesc	desc;
	int			target_col;
	HASHCTL		ctl;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	from = ResolveSource(source);
	if (SPI_execute(psprintf("SELECT * FROM %s LIMIT 0", from), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not describe the source");
	desc = SPI_tuptable->tupdesc;
	target_col = FindColumn(desc, target, "target");
	d->target_type = TupleDescAttr(desc, target_col)->atttypid;
	d->task = TaskForTarget(d->target_type, forced_task, target);
	{
		MemoryContext old = MemoryContextSwitchTo(d->cxt);

		ChooseFeatures(d, desc, target_col, features);
		MemoryContextSwitchTo(old);
	}

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(char *);
	ctl.entrysize = sizeof(ClassLabel);
	ctl.hash = LabelHash;
	ctl.match = LabelMatch;
	ctl.hcxt = d->cxt;
	d->labels = hash_create("nn_train labels", 64, &ctl,
							HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);
	d->n_inputs = -1;
	ReadRows(d, BuildQuery(d, from, target), target);
	SPI_finish();
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

/* Sort the labels and renumber the rows' targets to the sorted indexes. */
static char **
SortClasses(TrainData *d)
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
	for (int64 r = 0; r < d->n_rows; r++)
		d->y[r] = (float) remap[(int) d->y[r]];
	return names;
}

static void
SetStandardization(NNModel *m, const TrainData *d)
{
	int			n_in = d->n_inputs;
	double	   *sum = palloc0(n_in * sizeof(double));
	double	   *sq = palloc0(n_in * sizeof(double));

	m->x_mean = palloc(n_in * sizeof(float));
	m->x_std = palloc(n_in * sizeof(float));
	for (int64 r = 0; r < d->n_rows; r++)
	{
		const float *row = d->x + r * n_in;

		for (int c = 0; c < n_in; c++)
			sum[c] += row[c];
	}
	for (int c = 0; c < n_in; c++)
		sum[c] /= d->n_rows;
	/* two passes: the one-pass sum of squares loses precision */
	for (int64 r = 0; r < d->n_rows; r++)
	{
		const float *row = d->x + r * n_in;

		for (int c = 0; c < n_in; c++)
			sq[c] += (row[c] - sum[c]) * (row[c] - sum[c]);
	}
	for (int c = 0; c < n_in; c++)
	{
		double		sd = sqrt(sq[c] / d->n_rows);

		m->x_mean[c] = (float) sum[c];
		m->x_std[c] = sd > 1e-12 && isfinite((float) sd) ? (float) sd : 1.0f;
	}
	m->y_mean = 0.0f;
	m->y_std = 1.0f;
	if (d->task == NN_TASK_REGRESSION)
	{
		double		ys = 0,
					yq = 0;

		for (int64 r = 0; r < d->n_rows; r++)
			ys += d->y[r];
		ys /= d->n_rows;
		for (int64 r = 0; r < d->n_rows; r++)
			yq += (d->y[r] - ys) * (d->y[r] - ys);
		m->y_mean = (float) ys;
		m->y_std = sqrt(yq / d->n_rows) > 1e-12 ? (float) sqrt(yq / d->n_rows) : 1.0f;
	}
	m->standardized = true;
}

/* ---------- training ---------- */

static void
RunEpochs(NNModel *m, const TrainData *d, const NNOptions *opts)
{
	NNFitState *state = nn_fit_state_create(m, CurrentMemoryContext);
	uint32	   *order = MemoryContextAllocHuge(CurrentMemoryContext, d->n_rows * sizeof(uint32));
	instr_time	start,
				now;

	INSTR_TIME_SET_CURRENT(start);
	for (int e = 0; e < opts->epochs; e++)
	{
		/* a fresh permutation each epoch, drawn from the model's stream */
		for (int64 i = 0; i < d->n_rows; i++)
			order[i] = (uint32) i;
		nn_rng_shuffle(&m->rng, order, d->n_rows);
		for (int64 i = 0; i < d->n_rows; i++)
			nn_fit_state_add(state, d->x + (size_t) order[i] * d->n_inputs, d->y[order[i]]);
		nn_fit_state_finish(state);
		if (opts->verbose)
		{
			INSTR_TIME_SET_CURRENT(now);
			INSTR_TIME_SUBTRACT(now, start);
			ereport(NOTICE,
					(errmsg("epoch %d/%d: train_loss %.6g, elapsed %.2f s", e + 1, opts->epochs,
							m->history[m->n_history - 1].train_loss,
							INSTR_TIME_GET_DOUBLE(now))));
		}
	}
}

static int32 *
HiddenWidths(ArrayType *arr, int *n)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hidden must be a one-dimensional array of layer widths")));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("hidden must not contain NULL widths")));
	*n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	if (*n >= NN_MAX_LAYERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many hidden layers: %d", *n),
				 errdetail("At most %d are allowed.", NN_MAX_LAYERS - 1)));
	return (int32 *) ARR_DATA_PTR(arr);
}

static void
SetFeatureNames(NNModel *m, const TrainData *d)
{
	m->n_features = d->n_features;
	m->feature_names = palloc(d->n_features * sizeof(char *));
	m->feature_widths = palloc(d->n_features * sizeof(uint32));
	for (int i = 0; i < d->n_features; i++)
	{
		m->feature_names[i] = d->features[i].name;
		m->feature_widths[i] = d->features[i].width;
	}
}

Datum
nn_train(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt;
	TrainData	d;
	NNOptions	opts;
	NNModel    *m;
	char	  **classes = NULL;
	int			n_hidden;
	int32	   *hidden;
	int			guc_level;
	bytea	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_train source, target and hidden must not be NULL")));
	nn_options_parse(PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4), NN_OPTIONS_TRAIN, &opts);
	hidden = HiddenWidths(PG_GETARG_ARRAYTYPE_P(3), &n_hidden);

	cxt = AllocSetContextCreate(caller, "nn_train", ALLOCSET_DEFAULT_SIZES);
	memset(&d, 0, sizeof(d));
	d.cxt = cxt;
	/* a synchronized scan could start mid-table and change the row order */
	guc_level = NewGUCNestLevel();
	(void) set_config_option("synchronize_seqscans", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	LoadData(&d, text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
			 PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2), opts.task);
	AtEOXact_GUC(true, guc_level);

	if (d.skipped > 0)
		ereport(NOTICE,
				(errmsg_plural("skipped %lld row with a NULL target or feature",
							   "skipped %lld rows with a NULL target or feature",
							   d.skipped, (long long) d.skipped)));
	if (d.n_rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg(d.skipped > 0 ? "no training rows: every row has a NULL target or feature" :
						"no training rows: the source is empty")));

	MemoryContextSwitchTo(cxt);
	if (d.task == NN_TASK_CLASSIFICATION)
	{
		if (d.n_labels < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target has %d distinct value; classification needs at least 2", d.n_labels)));
		classes = SortClasses(&d);
	}
	m = nn_model_build(d.n_inputs, hidden, n_hidden, d.task, d.n_labels, &opts);
	if (classes != NULL)
		m->classes = classes;
	m->epochs_option = opts.epochs;
	SetFeatureNames(m, &d);
	if (opts.standardize)
		SetStandardization(m, &d);
	RunEpochs(m, &d, &opts);

	MemoryContextSwitchTo(caller);
	result = nn_model_to_bytea(m);
	MemoryContextDelete(cxt);
	PG_RETURN_BYTEA_P(result);
}

Datum
nn_init(PG_FUNCTION_ARGS)
{
	int32		n_inputs = PG_GETARG_INT32(0);
	int32		n_outputs = PG_GETARG_INT32(2);
	NNOptions	opts;
	int			n_hidden;
	int32	   *hidden = HiddenWidths(PG_GETARG_ARRAYTYPE_P(1), &n_hidden);
	NNTask		task;
	uint32		n_classes;

	nn_options_parse(PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3), NN_OPTIONS_INIT, &opts);
	if (n_inputs < 1 || n_inputs > NN_MAX_WIDTH)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_inputs must be from 1 to %d, got %d", NN_MAX_WIDTH, n_inputs)));
	if (n_outputs < 1 || n_outputs > NN_MAX_CLASSES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("n_outputs must be from 1 to %d, got %d", NN_MAX_CLASSES, n_outputs)));
	task = opts.task >= 0 ? (NNTask) opts.task :
		(n_outputs > 1 ? NN_TASK_CLASSIFICATION : NN_TASK_REGRESSION);
	if (task == NN_TASK_REGRESSION && n_outputs > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a regression model has one output, got n_outputs %d", n_outputs)));
	/* one output that classifies is a sigmoid over two classes */
	n_classes = task == NN_TASK_REGRESSION ? 0 : Max(n_outputs, 2);
	if (task == NN_TASK_CLASSIFICATION && n_outputs == 1)
	{
		if (opts.loss == NN_LOSS_CROSS_ENTROPY)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"loss\": cross_entropy needs n_outputs of at least 2"),
					 errhint("One output classifies with 'binary_cross_entropy'.")));
		opts.loss = NN_LOSS_BINARY_CROSS_ENTROPY;
	}
	PG_RETURN_BYTEA_P(nn_model_to_bytea(nn_model_build(n_inputs, hidden, n_hidden, task,
													   n_classes, &opts)));
}
