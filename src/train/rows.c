/*
 * rows.c - reading training rows: the columns source.c found, read with
 * an SPI cursor into float rows held in memory within nn.train_memory, or
 * handed to a sink in chunks beyond it; each feature encoded (arrays,
 * one-hot categories, NULLs imputed or skipped).  Class labels are
 * collected as text and numbered.
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

#include "train/run.h"

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
CategoryValues(Datum v, NNFeatureColumn *f, float *out)
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
	f->unseen += lo > hi;
	pfree(s);
}

/* One feature's inputs into out; false skips the row. */
static bool
EncodeFeature(NNRows *d, NNFeatureColumn *f, Datum v, bool isnull, float *out)
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

/*
 * A row skipped for a NULL feature: count it under each feature column,
 * from the first, that holds a NULL (or an array with one), for the NOTICE.
 */
static bool
CountNulls(NNRows *d, HeapTuple tup, TupleDesc desc, int first)
{
	for (int i = first; i < d->n_features; i++)
	{
		bool		isnull;
		Datum		v = heap_getattr(tup, i + 2, desc, &isnull);

		d->features[i].nulls += isnull ||
			(d->features[i].kind == NN_COL_ARRAY && array_contains_nulls(DatumGetArrayTypeP(v)));
	}
	return false;
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
	{
		d->skipped_target++;
		return false;
	}
	if (d->weight_column != NULL && heap_attisnull(tup, d->n_features + 2, desc))
	{
		d->skipped_weight++;
		return false;
	}
	if (d->n_inputs < 0 && !SetWidths(d, tup, desc))
		return CountNulls(d, tup, desc, 0);
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
			return CountNulls(d, tup, desc, i);
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

void
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

void
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
	d->skipped = d->skipped_target = d->skipped_weight = 0;
	for (int i = 0; i < d->n_features; i++)
		d->features[i].nulls = d->features[i].unseen = 0;
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
					 errmsg("target value \"%s\" is not one of the model's classes", l->text),
					 errdetail("The model's classes are %s.",
							   nn_class_list(model->classes, model->n_classes))));
		remap[l->id] = (int) c;
	}
	ApplyRemap(d, remap);
}
