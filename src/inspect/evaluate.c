/*
 * evaluate.c - nn_evaluate(model, source, target, options): the model's
 * metrics on the rows of a source, as jsonb; with options.adversarial,
 * also its metrics on every row attacked against its true label
 * (kernels/adversarial.h): robust_accuracy or robust_mse.
 *
 * The rows are read as nn_train reads them (the model's feature columns,
 * its categories and NULL handling) and pass through in chunks of a few
 * thousand, scored a block at a time (kernels/predict_batch.h), so memory
 * does not grow with the source.  Metrics are unweighted; the result is
 * built with the jsonb builder (shared/json.c).
 *
 * The attacks go ATTACK_BLOCK rows at a time through the input gradient,
 * each row's exactly as nn_adversarial(model, row, options with the row's
 * label) makes it (every row's PGD start from the seed's stream), and are
 * scored as the clean rows are.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "kernels/adversarial.h"
#include "kernels/predict_batch.h"
#include "train/train.h"

PG_FUNCTION_INFO_V1(nn_evaluate);

/* log loss clips probabilities, so one confident mistake is not infinite */
#define PROBA_FLOOR 1e-15
/* rows attacked at a time: each needs the training workspace of a row */
#define ATTACK_BLOCK 64

/* options.adversarial: the attack and its buffers */
typedef struct Attack
{
	NNAttack	attack;
	NNAttackBudget budget;
	NNWork		work;			/* ATTACK_BLOCK rows, training-bound */
	float	   *x;				/* ATTACK_BLOCK raw rows, attacked in place */
	float	   *target;			/* their targets in the network's units */
	float	   *scratch;
	int64		correct;		/* classification */
	double		sse;			/* regression, target units */
} Attack;

typedef struct Evaluation
{
	NNModel    *model;
	NNPredictBatch batch;
	const NNRows *d;			/* the chunk being scored */
	const float *src;			/* the rows FillRows copies: d->x or attacked ones */
	Attack	   *attack;			/* NULL without options.adversarial */
	bool		attacked;		/* the rows scored are attacks */
	int64		rows;
	bool		checked;		/* the rows' shape against the model */
	/* classification */
	int		   *label_class;	/* class index by label id; -1 not yet known */
	int64	   *confusion;		/* n_classes x n_classes, actual x predicted */
	double		log_loss;
	/* regression */
	double		sse;
	double		sae;
	double		y_sum;
	double		y_sq;
} Evaluation;

/* the model's class for a row's label id */
static int
ClassOf(Evaluation *e, const NNRows *d, int id)
{
	const NNModel *m = e->model;

	if (e->label_class[id] < 0)
	{
		uint32		c = 0;

		while (c < m->n_classes && strcmp(m->classes[c], d->label_text[id]) != 0)
			c++;
		if (c == m->n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target value \"%s\" is not one of the model's classes", d->label_text[id]),
					 errhint("nn_evaluate needs rows whose target the model can predict.")));
		e->label_class[id] = (int) c;
	}
	return e->label_class[id];
}

static void
ScoreClass(Evaluation *e, const float *out, int actual)
{
	const NNModel *m = e->model;
	uint32		predicted = nn_predicted_class(m, out);
	double		p;

	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
		p = actual == 1 ? out[0] : 1.0 - out[0];
	else
		p = out[actual];
	e->log_loss -= log(Max(p, PROBA_FLOOR));
	e->confusion[(size_t) actual * m->n_classes + predicted]++;
}

static void
ScoreValue(Evaluation *e, const float *out, double y)
{
	double		err = (double) out[0] * e->model->y_std + e->model->y_mean - y;

	e->sse += err * err;
	e->sae += fabs(err);
	e->y_sum += y;
	e->y_sq += y * y;
}

/* a block of attacked rows' outputs against their targets (Attack.target) */
static void
ScoreAttacked(Evaluation *e, const float *out, size_t n)
{
	const NNModel *m = e->model;
	Attack	   *a = e->attack;
	uint32		n_out = e->batch.n_outputs;

	for (size_t r = 0; r < n; r++)
	{
		if (m->task == NN_TASK_CLASSIFICATION)
			a->correct += nn_predicted_class(m, out + r * n_out) == (uint32) a->target[r];
		else
		{
			double		err = ((double) out[r] - a->target[r]) * (m->standardized ? m->y_std : 1.0);

			a->sse += err * err;
		}
	}
}

static void
FillRows(void *arg, float *x, size_t start, size_t n)
{
	Evaluation *e = arg;
	int			n_in = e->d->n_inputs;

	memcpy(x, e->src + start * n_in, n * n_in * sizeof(float));
}

static void
UseOutputs(void *arg, const float *out, size_t start, size_t n)
{
	Evaluation *e = arg;
	const NNModel *m = e->model;
	const NNRows *d = e->d;
	uint32		n_out = e->batch.n_outputs;

	if (!nn_all_finite(out, n * n_out))
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("the model's output is not finite for some rows of the source")));
	if (e->attacked)
	{
		ScoreAttacked(e, out, n);
		return;
	}
	for (size_t r = 0; r < n; r++)
	{
		float		y = d->y[start + r];

		if (m->task == NN_TASK_CLASSIFICATION)
			ScoreClass(e, out + r * n_out, ClassOf(e, d, (int) y));
		else
			ScoreValue(e, out + r * n_out, y);
	}
}

/* rows attack->x, the first of them row first of the chunk, attacked and scored */
static void
AttackRows(Evaluation *e, int64 first, int n)
{
	Attack	   *a = e->attack;
	const NNModel *m = e->model;
	const NNRows *d = e->d;
	int			n_in = d->n_inputs;

	memcpy(a->x, d->x + first * n_in, (size_t) n * n_in * sizeof(float));
	for (int r = 0; r < n; r++)
	{
		float		y = d->y[first + r];

		if (m->task == NN_TASK_CLASSIFICATION)
			a->target[r] = (float) ClassOf(e, d, (int) y);
		else
			a->target[r] = m->standardized ? (y - m->y_mean) / m->y_std : y;
	}
	CHECK_FOR_INTERRUPTS();
	if (!nn_attack_rows(&m->net, &a->work, a->x, n, a->target, &a->attack, &a->budget,
						m->standardized ? m->x_mean : NULL, m->standardized ? m->x_std : NULL,
						a->scratch))
		elog(ERROR, "nn_evaluate: the attack refused its arguments");
	e->src = a->x;
	e->attacked = true;
	nn_predict_batch_rows(&e->batch, n, FillRows, UseOutputs, e);
	e->attacked = false;
}

/* a chunk of rows from the source: score them a block at a time */
static void
EvaluateChunk(NNRows *d, void *arg)
{
	Evaluation *e = arg;
	NNModel    *m = e->model;

	if (!e->checked)
	{
		nn_rows_check_widths(d, m);
		e->checked = true;
	}
	if (m->impute == NN_IMPUTE_MEAN)
		nn_rows_fill(d->x, d->n_rows, d->n_inputs, m->fill);
	e->d = d;
	e->src = d->x;
	nn_predict_batch_rows(&e->batch, d->n_rows, FillRows, UseOutputs, e);
	if (e->attack != NULL)
		for (int64 r = 0; r < d->n_rows; r += ATTACK_BLOCK)
			AttackRows(e, r, (int) Min(ATTACK_BLOCK, d->n_rows - r));
	e->rows += d->n_rows;
}

static void
PushDouble(JsonbParseState **st, const char *key, double v)
{
	nn_json_key(st, key);
	nn_json_double(st, v);
}

/*
 * Precision, recall and f1 of each class.  Returns f1 averaged over the
 * classes that occur in the rows or the predictions (as scikit-learn's
 * macro average does).
 */
static double
PushPerClass(JsonbParseState **st, const Evaluation *e)
{
	const NNModel *m = e->model;
	uint32		n = m->n_classes;
	double		f1_sum = 0;
	int			n_seen = 0;

	nn_json_key(st, "per_class");
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	for (uint32 c = 0; c < n; c++)
	{
		int64		tp = e->confusion[(size_t) c * n + c],
					predicted = 0,
					actual = 0;
		double		precision,
					recall,
					f1;

		for (uint32 k = 0; k < n; k++)
		{
			predicted += e->confusion[(size_t) k * n + c];
			actual += e->confusion[(size_t) c * n + k];
		}
		/* no predictions (or no rows) of a class: 0, as scikit-learn reports */
		precision = predicted > 0 ? (double) tp / predicted : 0.0;
		recall = actual > 0 ? (double) tp / actual : 0.0;
		f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
		if (predicted > 0 || actual > 0)
		{
			f1_sum += f1;
			n_seen++;
		}
		nn_json_key(st, m->classes[c]);
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		PushDouble(st, "precision", precision);
		PushDouble(st, "recall", recall);
		PushDouble(st, "f1", f1);
		nn_json_key(st, "support");
		nn_json_int(st, actual);
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
	return f1_sum / Max(n_seen, 1);
}

static void
PushClassification(JsonbParseState **st, const Evaluation *e)
{
	const NNModel *m = e->model;
	uint32		n = m->n_classes;
	int64		correct = 0;
	double		macro_f1;

	for (uint32 c = 0; c < n; c++)
		correct += e->confusion[(size_t) c * n + c];
	PushDouble(st, "accuracy", (double) correct / e->rows);
	PushDouble(st, "log_loss", e->log_loss / e->rows);
	macro_f1 = PushPerClass(st, e);
	PushDouble(st, "macro_f1", macro_f1);
	nn_json_key(st, "classes");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 c = 0; c < n; c++)
		nn_json_string(st, m->classes[c]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
	nn_json_key(st, "confusion_matrix");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 a = 0; a < n; a++)
	{
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		for (uint32 p = 0; p < n; p++)
			nn_json_int(st, e->confusion[(size_t) a * n + p]);
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static void
PushRegression(JsonbParseState **st, const Evaluation *e)
{
	double		n = (double) e->rows;
	double		sst = e->y_sq - e->y_sum * e->y_sum / n;

	PushDouble(st, "mse", e->sse / n);
	PushDouble(st, "rmse", sqrt(e->sse / n));
	PushDouble(st, "mae", e->sae / n);
	/* a constant target: 1 for a perfect fit, else 0 (as scikit-learn) */
	PushDouble(st, "r2", sst > 0 ? 1.0 - e->sse / sst : (e->sse == 0 ? 1.0 : 0.0));
}

static void
StartEvaluation(Evaluation *e, NNModel *m)
{
	size_t		work = nn_predict_batch_work_floats(&m->net);
	size_t		x = nn_predict_batch_x_floats(nn_model_inputs(m));
	NNBudget	budget = nn_score_budget();
	float	   *work_buf;

	nn_blas_core_check();
	e->model = m;
	nn_budget_check(&budget, ((double) work + (double) x) * sizeof(float),
					"evaluating 256 rows at a time through this model", "Use a model with narrower layers");
	work_buf = palloc_extended(work * sizeof(float), MCXT_ALLOC_HUGE);
	nn_predict_batch_bind(&e->batch, &m->net, m->standardized ? m->x_mean : NULL, m->x_std,
						  nn_model_inputs(m), work_buf,
						  palloc_extended(x * sizeof(float), MCXT_ALLOC_HUGE));
	e->batch.work.threads = nn_batch_threads();
	if (m->task == NN_TASK_CLASSIFICATION)
	{
		e->label_class = palloc(NN_MAX_CLASSES * sizeof(int));
		memset(e->label_class, -1, NN_MAX_CLASSES * sizeof(int));
		e->confusion = palloc0((size_t) m->n_classes * m->n_classes * sizeof(int64));
	}
}

/* options.adversarial: the attack, its budget and buffers */
static Attack *
StartAttack(const NNModel *m, Jsonb *options)
{
	static const char *const keys[] = {"adversarial", NULL};
	JsonbValue *v;
	NNAttackOptions o;
	Attack	   *a;
	uint32		n_in = nn_model_inputs(m);
	size_t		work = nn_work_floats(&m->net, ATTACK_BLOCK, true);
	size_t		scratch = nn_attack_scratch_floats(&m->net, ATTACK_BLOCK);
	NNBudget	budget = nn_score_budget();
	float	   *eps,
			   *lo,
			   *hi;

	if (options == NULL)
		return NULL;
	nn_fnoptions_check(options, "nn_evaluate", keys);
	if ((v = nn_fnoption(options, "adversarial")) == NULL)
		return NULL;
	nn_attack_options(nn_attack_object("nn_evaluate", "adversarial", v), "nn_evaluate",
					  "adversarial", NN_ATTACK_KEY_SEED, &o);
	nn_budget_check(&budget, ((double) work + scratch + (double) ATTACK_BLOCK * (n_in + 1) +
							  nn_predict_batch_work_floats(&m->net)) * sizeof(float),
					psprintf("attacking %d rows at a time through this model", ATTACK_BLOCK),
					"Use a model with narrower layers");
	a = palloc0(sizeof(Attack));
	a->attack.method = (NNAttackMethod) o.method;
	a->attack.steps = (uint32) o.steps;
	a->attack.step_fraction = o.step_size / o.epsilon;
	a->attack.seed = (uint64) o.seed;
	eps = palloc(n_in * sizeof(float));
	lo = palloc(n_in * sizeof(float));
	hi = palloc(n_in * sizeof(float));
	nn_attack_budget(eps, lo, hi, n_in, o.epsilon, nn_attack_mask(m), o.has_clip ? o.clip : NULL,
					 NULL, NULL);
	a->budget.epsilon = eps;
	a->budget.lo = lo;
	a->budget.hi = hi;
	nn_work_bind(&a->work, &m->net, palloc_extended(work * sizeof(float), MCXT_ALLOC_HUGE),
				 ATTACK_BLOCK, true);
	a->x = palloc_extended((size_t) ATTACK_BLOCK * n_in * sizeof(float), MCXT_ALLOC_HUGE);
	a->target = palloc(ATTACK_BLOCK * sizeof(float));
	a->scratch = palloc_extended(scratch * sizeof(float), MCXT_ALLOC_HUGE);
	return a;
}

Datum
nn_evaluate(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	NNModel    *m;
	NNRows		d = {0};
	NNRowsSpec	spec = {0};
	Evaluation	e = {0};
	JsonbParseState *st = NULL;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_evaluate model and source must not be NULL")));
	b = PG_GETARG_BYTEA_PP(0);
	m = nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext);
	if (m->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_evaluate needs a model trained by nn_train"),
				 errhint("A model from nn_init names no feature columns to read.")));
	StartEvaluation(&e, m);
	e.attack = StartAttack(m, PG_NARGS() > 3 && !PG_ARGISNULL(3) ? PG_GETARG_JSONB_P(3) : NULL);
	d.cxt = CurrentMemoryContext;
	d.sink = EvaluateChunk;
	d.sink_arg = &e;
	spec.source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	spec.target = PG_ARGISNULL(2) ? m->target_name : text_to_cstring(PG_GETARG_TEXT_PP(2));
	spec.forced_task = m->task;
	spec.model = m;
	spec.stream_all = true;
	nn_rows_load(&d, &spec);
	if (e.rows == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no rows to evaluate: %s", d.skipped > 0 ?
						"every row has a NULL target or feature" : "the source is empty")));

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	nn_json_key(&st, "task");
	nn_json_string(&st, m->task == NN_TASK_CLASSIFICATION ? "classification" : "regression");
	nn_json_key(&st, "rows");
	nn_json_int(&st, e.rows);
	if (d.skipped > 0)
	{
		nn_json_key(&st, "skipped_rows");
		nn_json_int(&st, d.skipped);
	}
	if (m->task == NN_TASK_CLASSIFICATION)
		PushClassification(&st, &e);
	else
		PushRegression(&st, &e);
	if (e.attack != NULL)
		PushDouble(&st, m->task == NN_TASK_CLASSIFICATION ? "robust_accuracy" : "robust_mse",
				   m->task == NN_TASK_CLASSIFICATION ? (double) e.attack->correct / e.rows :
				   e.attack->sse / e.rows);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL)));
}
