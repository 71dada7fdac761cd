/*
 * importance.c - nn_importance(model, source, options): the mean absolute
 * integrated-gradients attribution of each feature column over the rows
 * of a source (shared/explain.c explains each row), as jsonb.
 *
 * The rows are read as nn_evaluate reads them (train/train.h: the model's
 * columns, categories and NULL handling), at most options.limit of them,
 * and pass through in chunks, so memory does not grow with the source.
 * The source needs no target column: the query that reads it adds a
 * constant one, so unlabelled rows count too.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "shared/explain.h"
#include "train/train.h"

PG_FUNCTION_INFO_V1(nn_importance);

#define IMPORTANCE_DEFAULT_LIMIT 1000
#define IMPORTANCE_TARGET "nn_importance_target"

static const char *const importance_keys[] = {
	"class", "baseline", "steps", "max_steps", "limit", NULL
};

typedef struct Importance
{
	NNModelExplainer *me;
	bool		checked;		/* the rows' shape against the model */
	int64		rows;
	uint32		max_steps_used;
	/*
	 * Per input, the sum over rows of |attribution| (array columns); a
	 * column given as one number (scalar, text) sums |its total| in its
	 * first input, zeros in the rest, so a column's inputs add up to it.
	 */
	double	   *sum;
} Importance;

static void
AddRow(Importance *imp, const float *x)
{
	NNModelExplainer *me = imp->me;
	const NNModel *m = me->model;

	nn_model_explain(me, x);
	for (uint32 i = 0; i < nn_explain_columns(m); i++)
	{
		uint32		first = nn_model_feature_offset(m, i);

		if (nn_explain_column_is_number(m, i))
			imp->sum[first] += fabs(nn_column_total(m, i, me->attr));
		else
			for (uint32 j = 0; j < m->feature_widths[i]; j++)
				imp->sum[first + j] += fabs(me->attr[first + j]);
	}
	imp->max_steps_used = Max(imp->max_steps_used, me->res.steps);
	imp->rows++;
}

/* a chunk of rows from the source */
static void
ImportanceChunk(NNRows *d, void *arg)
{
	Importance *imp = arg;
	const NNModel *m = imp->me->model;

	if (!imp->checked)
	{
		nn_rows_check_widths(d, m);
		imp->checked = true;
	}
	if (m->impute == NN_IMPUTE_MEAN)
		nn_rows_fill(d->x, d->n_rows, d->n_inputs, m->fill);
	for (int64 r = 0; r < d->n_rows; r++)
	{
		CHECK_FOR_INTERRUPTS();
		AddRow(imp, d->x + r * d->n_inputs);
	}
}

/* the source's first limit rows, with a constant target column */
static char *
LimitedSource(const char *source, int64 limit)
{
	return psprintf("SELECT *, 0 AS " IMPORTANCE_TARGET " FROM %s LIMIT " INT64_FORMAT,
					nn_source_from(source), limit);
}

static Jsonb *
ImportanceJsonb(const Importance *imp, int64 skipped)
{
	const NNModelExplainer *me = imp->me;
	const NNModel *m = me->model;
	uint32		n_in = nn_model_inputs(m);
	double	   *mean = palloc(n_in * sizeof(double));
	JsonbParseState *st = NULL;
	static const char *const names[] = {"mean", "zero", "array"};

	for (uint32 i = 0; i < n_in; i++)
		mean[i] = imp->sum[i] / imp->rows;
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	nn_json_key(&st, "rows");
	nn_json_int(&st, imp->rows);
	if (skipped > 0)
	{
		nn_json_key(&st, "skipped_rows");
		nn_json_int(&st, skipped);
	}
	nn_json_key(&st, "class");
	if (m->task != NN_TASK_CLASSIFICATION)
		nn_json_null(&st);
	else
		nn_json_string(&st, me->opt.cls >= 0 ? m->classes[me->opt.cls] : "predicted");
	nn_json_key(&st, "baseline");
	nn_json_string(&st, names[me->opt.baseline]);
	nn_json_key(&st, "max_steps_used");
	nn_json_uint(&st, imp->max_steps_used);
	nn_json_key(&st, "importance");
	nn_explain_push_columns(&st, m, mean, false);
	nn_json_key(&st, "column_totals");
	nn_explain_push_columns(&st, m, mean, true);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}

Datum
nn_importance(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	NNModel    *m;
	Jsonb	   *options = PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2);
	JsonbValue *v;
	int64		limit = IMPORTANCE_DEFAULT_LIMIT;
	NNExplainOptions o;
	Importance	imp = {0};
	NNRows		d = {0};
	NNRowsSpec	spec = {0};

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_importance model and source must not be NULL")));
	b = PG_GETARG_BYTEA_PP(0);
	m = nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext);
	if (m->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_importance needs a model trained by nn_train"),
				 errhint("A model from nn_init names no feature columns to read.")));
	if (options != NULL)
		nn_fnoptions_check(options, "nn_importance", importance_keys);
	if ((v = nn_fnoption(options, "limit")) != NULL)
		limit = nn_fnoption_int("nn_importance", "limit", v, 1, PG_INT32_MAX,
								"an integer from 1 to 2147483647");
	nn_explain_options(m, options, "nn_importance", &o);
	imp.me = nn_model_explainer(m, &o, "nn_importance");
	imp.sum = palloc0(nn_model_inputs(m) * sizeof(double));

	d.cxt = CurrentMemoryContext;
	d.sink = ImportanceChunk;
	d.sink_arg = &imp;
	spec.source = LimitedSource(text_to_cstring(PG_GETARG_TEXT_PP(1)), limit);
	spec.target = IMPORTANCE_TARGET;
	spec.forced_task = m->task;
	spec.model = m;
	spec.stream_all = true;
	nn_rows_load(&d, &spec);
	if (imp.rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no rows to explain: %s", d.skipped > 0 ?
						"every row has a NULL feature" : "the source is empty")));
	PG_RETURN_JSONB_P(ImportanceJsonb(&imp, d.skipped));
}
