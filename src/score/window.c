/*
 * window.c - the batch path as window functions.
 *
 *   SELECT id, nn_predict_window(m.model, t.features) OVER () FROM t, m;
 *
 * gives every row what nn_predict would, but scores the rows
 * NN_SCORE_BATCH at a time as matrix products, with no array to build.
 * At the first row of a chunk the function reads the arguments of up to
 * NN_SCORE_BATCH rows ahead in the partition (WindowAgg spools only that
 * far), runs them through the network at once and keeps the outputs; the
 * chunk's other rows read theirs.  The mark moves with the chunk, so the
 * partition's tuplestore holds about one chunk, however long the partition.
 *
 * A chunk ends early where the model changes, so a join that pairs rows
 * with different models scores each with its own.  A NULL model or NULL
 * features give NULL, as the strict nn_predict does.
 *
 * The by-name variants take the deployed model of nn_models (catalog.c):
 * a chunk's name is looked up once, and the chunk ends where the name
 * changes.  The catalog keeps a scorer alive to the end of the transaction,
 * so the chunk may use it across calls; its outputs are copied, since other
 * by-name calls share that scorer's batch.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "windowapi.h"

#include "score/score.h"

PG_FUNCTION_INFO_V1(nn_predict_window);
PG_FUNCTION_INFO_V1(nn_predict_class_window);
PG_FUNCTION_INFO_V1(nn_predict_proba_window);
PG_FUNCTION_INFO_V1(nn_predict_window_by_name);
PG_FUNCTION_INFO_V1(nn_predict_class_window_by_name);
PG_FUNCTION_INFO_V1(nn_predict_proba_window_by_name);

typedef enum WindowResult
{
	WINDOW_VALUE,				/* nn_predict */
	WINDOW_CLASS,				/* nn_predict_class */
	WINDOW_PROBA				/* nn_predict_proba */
} WindowResult;

/* per partition: WindowAgg hands out zeroed memory at each partition's start */
typedef struct Chunk
{
	bool		filled;
	int64		start;			/* partition position of the chunk's first row */
	int			len;			/* rows in the chunk */
	NNScorer   *scorer;			/* the chunk's model; NULL if every model was NULL */
	const float *outputs;		/* the scorer's batch outputs, row after row */
	int16		output_row[NN_SCORE_BATCH]; /* each row's output row, -1: NULL */
} Chunk;

/*
 * Argument argno of the row offset rows after the current one; false past
 * the partition's end.
 */
static bool
ArgAhead(WindowObject win, int argno, int offset, Datum *value, bool *isnull)
{
	bool		isout;

	*value = WinGetFuncArgInPartition(win, argno, offset, WINDOW_SEEK_CURRENT,
									  false, isnull, &isout);
	return !isout;
}

/*
 * Check one row's features and copy them into its row of the batch.  A
 * detoasted copy is freed at once: a chunk reads 256 rows in one call, all
 * in the same per-row memory context.
 */
static void
CopyFeatures(const NNScorer *s, Datum features, float *row)
{
	ArrayType  *arr = DatumGetArrayTypeP(features);

	memcpy(row, nn_scorer_array_features(s, arr), s->n_inputs * sizeof(float));
	if ((Pointer) arr != DatumGetPointer(features))
		pfree(arr);
}

/*
 * A by-name call site's copy of its chunk's outputs.  The catalog's scorer
 * is shared by every by-name call in the backend, and another window
 * function of the same query fills its batch between this one's calls.
 */
typedef struct SiteOutputs
{
	size_t		capacity;		/* floats */
	float		data[FLEXIBLE_ARRAY_MEMBER];
} SiteOutputs;

static const float *
KeepOutputs(FmgrInfo *flinfo, const float *out, size_t n)
{
	SiteOutputs *o = (SiteOutputs *) flinfo->fn_extra;

	if (o == NULL || o->capacity < n)
	{
		if (o != NULL)
			pfree(o);
		o = MemoryContextAlloc(flinfo->fn_mcxt, offsetof(SiteOutputs, data) + n * sizeof(float));
		o->capacity = n;
		flinfo->fn_extra = o;
	}
	memcpy(o->data, out, n * sizeof(float));
	return o->data;
}

/* the two text values are equal byte for byte */
static bool
SameText(text *a, text *b)
{
	return VARSIZE_ANY_EXHDR(a) == VARSIZE_ANY_EXHDR(b) &&
		memcmp(VARDATA_ANY(a), VARDATA_ANY(b), VARSIZE_ANY_EXHDR(a)) == 0;
}

/*
 * The scorer of the chunk's first model (a bytea, or a name in nn_models),
 * kept in *name when by name; NULL when the model of row k is another one.
 */
static NNScorer *
ChunkScorer(FunctionCallInfo fcinfo, Chunk *c, Datum model, bool by_name, text **name)
{
	FmgrInfo   *flinfo = fcinfo->flinfo;

	if (by_name)
	{
		if (c->scorer == NULL)
		{
			/* a copy: the value lives in a slot the next row's fetch reuses */
			*name = DatumGetTextPCopy(model);
			return nn_catalog_scorer(fcinfo, *name);
		}
		return SameText(*name, DatumGetTextPP(model)) ? c->scorer : NULL;
	}
	if (c->scorer == NULL)
		return nn_scorer_cached(model, &flinfo->fn_extra, flinfo->fn_mcxt);
	/* a constant or a parameter is the same model on every row: no compare */
	if (get_fn_expr_arg_stable(flinfo, 0))
		return c->scorer;
	return nn_scorer_cache_matches(flinfo->fn_extra, model) ? c->scorer : NULL;
}

/*
 * Score the chunk that starts at the current row: read up to NN_SCORE_BATCH
 * rows' arguments, stopping where the model changes, and run the rows with
 * features through the network in one batch.
 */
static void
FillChunk(WindowObject win, FunctionCallInfo fcinfo, Chunk *c, bool by_name)
{
	float	   *rows = NULL;
	text	   *name = NULL;
	int			n = 0;
	int			k;

	c->start = WinGetCurrentPosition(win);
	c->scorer = NULL;
	c->outputs = NULL;
	/* rows before the chunk are done with: the tuplestore may drop them */
	WinSetMarkPosition(win, c->start);
	for (k = 0; k < NN_SCORE_BATCH; k++)
	{
		Datum		model;
		Datum		features;
		bool		isnull;

		if (!ArgAhead(win, 0, k, &model, &isnull))
			break;
		c->output_row[k] = -1;
		if (isnull)
			continue;
		if (c->scorer == NULL)
		{
			c->scorer = ChunkScorer(fcinfo, c, model, by_name, &name);
			rows = nn_scorer_batch_rows(c->scorer);
		}
		else if (ChunkScorer(fcinfo, c, model, by_name, &name) == NULL)
			break;				/* the next chunk starts with the new model */
		(void) ArgAhead(win, 1, k, &features, &isnull);
		if (isnull)
			continue;
		CopyFeatures(c->scorer, features, rows + (size_t) n * c->scorer->n_inputs);
		c->output_row[k] = (int16) n++;
	}
	c->len = k;
	if (n > 0)
		c->outputs = nn_scorer_run_batch(c->scorer, n);
	if (n > 0 && by_name)
		c->outputs = KeepOutputs(fcinfo->flinfo, c->outputs, (size_t) n * c->scorer->n_outputs);
	c->filled = true;
	CHECK_FOR_INTERRUPTS();
}

static Datum
WindowScore(FunctionCallInfo fcinfo, WindowResult kind, bool by_name, const char *fn)
{
	WindowObject win = PG_WINDOW_OBJECT();
	Chunk	   *c = WinGetPartitionLocalMemory(win, sizeof(Chunk));
	int64		pos = WinGetCurrentPosition(win);
	const float *out;
	int			row;

	if (!c->filled || pos < c->start || pos >= c->start + c->len)
	{
		c->filled = false;		/* until FillChunk completes */
		FillChunk(win, fcinfo, c, by_name);
	}
	row = c->output_row[pos - c->start];
	if (row < 0)
		PG_RETURN_NULL();
	out = c->outputs + (size_t) row * c->scorer->n_outputs;
	switch (kind)
	{
		case WINDOW_CLASS:
			return nn_scorer_class(c->scorer, out, fn);
		case WINDOW_PROBA:
			return nn_scorer_proba(c->scorer, out, fn);
		default:
			return nn_scorer_value(c->scorer, out);
	}
}

Datum
nn_predict_window(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_VALUE, false, "nn_predict_window");
}

Datum
nn_predict_class_window(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_CLASS, false, "nn_predict_class_window");
}

Datum
nn_predict_proba_window(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_PROBA, false, "nn_predict_proba_window");
}

Datum
nn_predict_window_by_name(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_VALUE, true, "nn_predict_window");
}

Datum
nn_predict_class_window_by_name(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_CLASS, true, "nn_predict_class_window");
}

Datum
nn_predict_proba_window_by_name(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_PROBA, true, "nn_predict_proba_window");
}
