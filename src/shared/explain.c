/*
 * explain.c - integrated gradients of a model for the SQL functions
 * (explain.h): the options, the explainer and its memory, a row explained
 * for its class, and the attributions by feature column as JSON.
 */
#include "postgres.h"

#include <math.h>

#include "utils/jsonb.h"

#include "shared/explain.h"

/* points per pass at most: the default rule's 65 in one pass */
#define EXPLAIN_CHUNK 65

const char *const nn_explain_option_keys[] = {
	"class", "baseline", "steps", "max_steps", NULL
};

static const char *const baseline_names[] = {"mean", "zero", NULL};

static void
BaselineOption(const NNModel *m, const char *fn, const JsonbValue *v,
			   NNExplainOptions *o)
{
	uint32		n_in = nn_model_inputs(m);
	int			n;

	o->baseline = NN_BASELINE_MEAN;
	if (v != NULL && v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data))
	{
		o->baseline = NN_BASELINE_ARRAY;
		o->baseline_values = nn_fnoption_floats(fn, "baseline", v, &n);
		if ((uint32) n != n_in)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for %s option \"baseline\"", fn),
					 errdetail("Expected an array of the model's %u inputs, got %d values.",
							   n_in, n)));
		return;
	}
	if (v != NULL)
		o->baseline = nn_fnoption_choice(fn, "baseline", v, baseline_names) == 0 ?
			NN_BASELINE_MEAN : NN_BASELINE_ZERO;
	/* a model that stores no means explains from zero, and says so */
	if (o->baseline == NN_BASELINE_MEAN && !m->standardized)
		o->baseline = NN_BASELINE_ZERO;
	if (o->baseline == NN_BASELINE_MEAN)
		o->baseline_values = m->x_mean;
	else
		o->baseline_values = palloc0(Max(n_in, 1) * sizeof(float));
}

void
nn_explain_options(const NNModel *m, Jsonb *options, const char *fn,
				   NNExplainOptions *o)
{
	JsonbValue *v;

	memset(o, 0, sizeof(*o));
	o->cls = -1;
	o->steps = NN_EXPLAIN_DEFAULT_STEPS;
	if ((v = nn_fnoption(options, "class")) != NULL)
		o->cls = nn_fnoption_class(m, fn, "class", v);
	BaselineOption(m, fn, nn_fnoption(options, "baseline"), o);
	if ((v = nn_fnoption(options, "steps")) != NULL)
		o->steps = (uint32) nn_fnoption_int(fn, "steps", v, 1, NN_EXPLAIN_MAX_STEPS,
											"an integer from 1 to 65536");
	/* a larger steps raises the default ceiling with it */
	o->max_steps = Max(o->steps, NN_EXPLAIN_DEFAULT_MAX_STEPS);
	if ((v = nn_fnoption(options, "max_steps")) != NULL)
		o->max_steps = (uint32) nn_fnoption_int(fn, "max_steps", v, o->steps,
												NN_EXPLAIN_MAX_STEPS,
												psprintf("an integer from steps (%u) to 65536",
														 o->steps));
}

/*
 * The explainer's buffers hold chunk points in the network's training
 * layout: as many per pass as nn.score_memory allows, at most the default
 * rule's points, at least one.
 */
NNModelExplainer *
nn_model_explainer(const NNModel *m, const NNExplainOptions *o, const char *fn)
{
	NNModelExplainer *me = palloc0(sizeof(NNModelExplainer));
	const NNNet *net = &m->net;
	NNBudget	b = nn_score_budget();
	size_t		chunk = Min(EXPLAIN_CHUNK, (size_t) o->max_steps + 1);
	NNExplainTarget t = {0, 1.0, 0.0};

	while (chunk > 1 && (double) nn_explain_work_floats(net, chunk) * sizeof(float) > b.bytes)
		chunk /= 2;
	nn_budget_check(&b, (double) nn_explain_work_floats(net, chunk) * sizeof(float),
					psprintf("%s of one row of this model", fn), "Use a model with narrower layers");
	me->model = m;
	me->opt = *o;
	me->chunk = chunk;
	me->buf = palloc_extended(nn_explain_work_floats(net, chunk) * sizeof(float), MCXT_ALLOC_HUGE);
	me->attr = palloc0(Max(nn_model_inputs(m), 1) * sizeof(double));
	nn_explain_bind(&me->e, net, m->standardized ? m->x_mean : NULL,
					m->standardized ? m->x_std : NULL, t, me->buf, chunk);
	return me;
}

/* the class nn_predict_class gives x (a forward pass in the explainer's work) */
static uint32
PredictedClass(NNModelExplainer *me, const float *x)
{
	const NNModel *m = me->model;
	uint32		n_in = nn_model_inputs(m);
	const float *out;

	memcpy(me->e.x, x, n_in * sizeof(float));
	if (m->standardized)
		nn_standardize_rows(me->e.x, m->x_mean, m->x_std, 1, n_in);
	out = nn_net_forward(&m->net, &me->e.work, me->e.x, 1);
	if (!nn_all_finite(out, nn_net_outputs(&m->net)))
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("the model's output is not finite for these features")));
	return nn_predicted_class(m, out);
}

void
nn_model_explain(NNModelExplainer *me, const float *x)
{
	const NNModel *m = me->model;
	NNExplainStatus st;

	if (m->task == NN_TASK_CLASSIFICATION)
	{
		me->cls = me->opt.cls >= 0 ? (uint32) me->opt.cls : PredictedClass(me, x);
		me->e.target = nn_explain_class_target(&m->net, me->cls);
	}
	else
		me->e.target = nn_explain_value_target(m->y_mean, m->y_std);
	st = nn_explain_run(&me->e, x, me->opt.baseline_values, me->opt.steps,
						me->opt.max_steps, me->attr, &me->res);
	if (st == NN_EXPLAIN_NOT_FINITE)
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("the model's output or its gradient is not finite between the baseline and these features"),
				 errdetail("Some feature or baseline values are too large for the network's weights.")));
	if (st != NN_EXPLAIN_OK)
		elog(ERROR, "integrated gradients refused their arguments");
}

/* ------------------------------------------------------------ columns */

uint32
nn_explain_columns(const NNModel *m)
{
	return m->n_features > 0 ? m->n_features : 1;
}

const char *
nn_explain_column_name(const NNModel *m, uint32 i)
{
	return m->n_features > 0 ? m->feature_names[i] : "input";
}

/* the inputs of column i: [first, first + width) */
static uint32
ColumnInputs(const NNModel *m, uint32 i, uint32 *first)
{
	if (m->n_features == 0)
	{
		*first = 0;
		return nn_model_inputs(m);
	}
	*first = nn_model_feature_offset(m, i);
	return m->feature_widths[i];
}

bool
nn_explain_column_is_number(const NNModel *m, uint32 i)
{
	if (m->n_features == 0)
		return false;
	return m->feature_widths[i] == 1 ||
		nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL;
}

double
nn_column_total(const NNModel *m, uint32 i, const double *attr)
{
	uint32		first;
	uint32		n = ColumnInputs(m, i, &first);
	double		s = 0.0;

	for (uint32 j = 0; j < n; j++)
		s += attr[first + j];
	return s;
}

void
nn_explain_push_columns(JsonbParseState **st, const NNModel *m, const double *v,
						bool totals)
{
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (uint32 i = 0; i < nn_explain_columns(m); i++)
	{
		uint32		first;
		uint32		n = ColumnInputs(m, i, &first);

		nn_json_key(st, nn_explain_column_name(m, i));
		if (totals || nn_explain_column_is_number(m, i))
		{
			nn_json_double(st, nn_column_total(m, i, v));
			continue;
		}
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		for (uint32 j = 0; j < n; j++)
			nn_json_double(st, v[first + j]);
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

static void
PushDouble(JsonbParseState **st, const char *key, double d)
{
	nn_json_key(st, key);
	nn_json_double(st, d);
}

Jsonb *
nn_explanation_jsonb(const NNModelExplainer *me)
{
	const NNModel *m = me->model;
	JsonbParseState *st = NULL;
	static const char *const names[] = {"mean", "zero", "array"};

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	nn_json_key(&st, "class");
	if (m->task == NN_TASK_CLASSIFICATION)
		nn_json_string(&st, m->classes[me->cls]);
	else
		nn_json_null(&st);
	PushDouble(&st, "score", me->res.score);
	PushDouble(&st, "baseline_score", me->res.baseline_score);
	nn_json_key(&st, "attributions");
	nn_explain_push_columns(&st, m, me->attr, false);
	nn_json_key(&st, "column_totals");
	nn_explain_push_columns(&st, m, me->attr, true);
	PushDouble(&st, "completeness_error", me->res.completeness_error);
	nn_json_key(&st, "baseline");
	nn_json_string(&st, names[me->opt.baseline]);
	nn_json_key(&st, "steps");
	nn_json_uint(&st, me->res.steps);
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}
