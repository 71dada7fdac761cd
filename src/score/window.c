/*
 * window.c - the batch path as window functions.
 *
 *   SELECT id, nn_predict_window(m.model, t.features) OVER () FROM t, m;
 *
 * gives every row what nn_predict would, but scores the rows
 * NN_PREDICT_BLOCK at a time as matrix products (kernels/predict_batch.h),
 * with no array to build.  At the first row of a chunk the function reads
 * the arguments of up to NN_PREDICT_BLOCK rows ahead in the partition
 * (WindowAgg spools only that far), runs them through the network at once
 * and keeps the outputs; the chunk's other rows read theirs.  The mark
 * moves with the chunk, so the partition's tuplestore holds about one
 * chunk, however long the partition.
 *
 * A chunk ends early where the model changes, so a join that pairs rows
 * with different models scores each with its own.  A NULL model or NULL
 * features give NULL, as the strict nn_predict does.
 *
 * Each C function serves both SQL overloads (resolve.c).  The by-name
 * ones take the deployed model of nn_models (catalog.c): a chunk's name is
 * looked up once, and the chunk ends where the name changes.  The catalog
 * keeps a scorer alive to the end of the transaction, so the chunk may use
 * it across calls; its outputs are copied, since other by-name calls share
 * that scorer's batch.
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
	int16		output_row[NN_PREDICT_BLOCK]; /* each row's output row, -1: NULL */
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
static const float *
KeepOutputs(FunctionCallInfo fcinfo, NNScoreSite *site, const float *out, size_t n)
{
	if (site->outputs == NULL || site->outputs_capacity < n)
	{
		if (site->outputs != NULL)
			pfree(site->outputs);
		site->outputs = MemoryContextAlloc(fcinfo->flinfo->fn_mcxt, n * sizeof(float));
		site->outputs_capacity = n;
	}
	memcpy(site->outputs, out, n * sizeof(float));
	return site->outputs;
}

/*
 * Score the chunk that starts at the current row: read up to NN_PREDICT_BLOCK
 * rows' arguments, stopping where the model changes, and run the rows with
 * features through the network in one batch.
 */
static void
FillChunk(WindowObject win, FunctionCallInfo fcinfo, Chunk *c)
{
	NNScoreSite *site = nn_score_site(fcinfo, 0);
	float	   *rows = NULL;
	Datum		first = (Datum) 0;
	int			n = 0;
	int			k;

	c->start = WinGetCurrentPosition(win);
	c->scorer = NULL;
	c->outputs = NULL;
	/* rows before the chunk are done with: the tuplestore may drop them */
	WinSetMarkPosition(win, c->start);
	for (k = 0; k < NN_PREDICT_BLOCK; k++)
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
			/* a copy: the value lives in a slot the next row's fetch reuses */
			first = site->by_name ? PointerGetDatum(DatumGetTextPCopy(model)) : model;
			c->scorer = nn_score_resolve(fcinfo, site, first);
			rows = nn_scorer_batch_rows(c->scorer);
		}
		else if (!nn_score_same_model(site, first, model))
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
	if (n > 0 && site->by_name)
		c->outputs = KeepOutputs(fcinfo, site, c->outputs, (size_t) n * c->scorer->n_outputs);
	c->filled = true;
	CHECK_FOR_INTERRUPTS();
}

static Datum
WindowScore(FunctionCallInfo fcinfo, WindowResult kind, const char *fn)
{
	WindowObject win = PG_WINDOW_OBJECT();
	Chunk	   *c = WinGetPartitionLocalMemory(win, sizeof(Chunk));
	int64		pos = WinGetCurrentPosition(win);
	const float *out;
	int			row;

	if (!c->filled || pos < c->start || pos >= c->start + c->len)
	{
		c->filled = false;		/* until FillChunk completes */
		FillChunk(win, fcinfo, c);
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
	return WindowScore(fcinfo, WINDOW_VALUE, "nn_predict_window");
}

Datum
nn_predict_class_window(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_CLASS, "nn_predict_class_window");
}

Datum
nn_predict_proba_window(PG_FUNCTION_ARGS)
{
	return WindowScore(fcinfo, WINDOW_PROBA, "nn_predict_proba_window");
}
