/*
 * threshold.c - a two-class model's decision at training: the options
 * positive_class and threshold checked against the classes the rows gave,
 * the threshold "f1" chosen once training is over, and
 * nn_with_threshold, which sets the threshold of a trained model without
 * training it again.  The decision lives in the options record; scoring
 * reads it back (shared/decision.c).
 *
 * "f1" scores the validation hold-out (the training rows without one) and
 * takes the cut between two distinct probabilities of the positive class
 * with the highest F1 of that class; among equal F1s the higher cut, so
 * fewer rows are called positive.  The threshold is the midpoint between
 * the lowest probability called positive and the next lower one (0 below
 * the lowest), held strictly above the lower one, so the rows scored get
 * exactly the F1 chosen.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "train/run.h"

PG_FUNCTION_INFO_V1(nn_with_threshold);

/* one scored row: the probability of the positive class, and whether it is positive */
typedef struct Scored
{
	float		p;
	bool		positive;
} Scored;

/* the rows being scored for the choice */
typedef struct Scoring
{
	const NNModel *model;
	const NNRows *d;
	const uint32 *idx;
	uint32		pos;
	Scored	   *rows;
} Scoring;

static bool
DecisionGiven(const NNOptions *o)
{
	return o->threshold_f1 || o->threshold != 0.5f;
}

/* the class index of label, or an error listing the classes */
static int
ClassIndex(const NNModel *m, const char *fn, const char *label)
{
	for (uint32 c = 0; c < m->n_classes; c++)
		if (strcmp(label, m->classes[c]) == 0)
			return (int) c;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: positive_class \"%s\" is not a class of the model", fn, label),
			 errdetail("The model's classes are %s.", nn_class_list(m->classes, m->n_classes))));
	return -1;					/* not reached */
}

/*
 * The positive class of model m under options o (given, else the labels'
 * default), after checking that a decision is one m can take: a
 * two-class classifier, with a positive class when a threshold is set.
 * -1 when there is none and none is needed.
 */
static int
DecisionPositive(const NNModel *m, const NNOptions *o, const char *fn)
{
	const char *key = o->positive_class != NULL ? "positive_class" : "threshold";
	int			pos;

	if ((o->positive_class != NULL || DecisionGiven(o)) &&
		(m->task != NN_TASK_CLASSIFICATION || m->n_classes != 2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" needs a model of two classes, and this one %s", key,
						m->task != NN_TASK_CLASSIFICATION ? "is a regression" :
						psprintf("has %u classes", m->n_classes)),
				 errhint("positive_class and threshold decide between two classes.")));
	pos = o->positive_class != NULL ? ClassIndex(m, fn, o->positive_class) :
		nn_default_positive(m);
	if (pos < 0 && DecisionGiven(o))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"threshold\" needs option \"positive_class\" for the classes %s",
						nn_class_list(m->classes, m->n_classes)),
				 errhint("Only the labels false and true, or two numbers, have a default positive class (true, the larger number).")));
	return pos;
}

void
CheckDecision(const NNModel *m, const NNOptions *o, const NNRows *d, const char *fn)
{
	(void) DecisionPositive(m, o, fn);
	if (o->threshold_f1 && d->streamed)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("threshold \"f1\" needs the training rows in memory, and they exceed nn.train_memory"),
				 errhint("Raise nn.train_memory, or give a threshold as a number.")));
}

static void
FillScoring(void *arg, float *x, size_t start, size_t n)
{
	Scoring    *s = arg;
	int			n_in = s->d->n_inputs;

	for (size_t r = 0; r < n; r++)
		memcpy(x + r * n_in, s->d->x + (size_t) s->idx[start + r] * n_in, n_in * sizeof(float));
}

static void
UseScoring(void *arg, const float *out, size_t start, size_t n)
{
	Scoring    *s = arg;
	uint32		n_out = nn_net_outputs(&s->model->net);

	for (size_t r = 0; r < n; r++)
	{
		s->rows[start + r].p = nn_class_proba(s->model, out + r * n_out, s->pos);
		s->rows[start + r].positive = (uint32) s->d->y[s->idx[start + r]] == s->pos;
	}
	CHECK_FOR_INTERRUPTS();
}

static int
ByProbabilityDesc(const void *a, const void *b)
{
	float		pa = ((const Scored *) a)->p;
	float		pb = ((const Scored *) b)->p;

	return pa > pb ? -1 : pa < pb ? 1 : 0;
}

/* the n rows idx of d scored by m: the positive class's probability each */
static Scored *
ScoreRows(const NNModel *m, const NNRows *d, const uint32 *idx, int64 n, uint32 pos)
{
	size_t		work = nn_predict_batch_work_floats(&m->net);
	size_t		x = nn_predict_batch_x_floats(nn_model_inputs(m));
	NNBudget	b = nn_train_budget();
	NNPredictBatch batch;
	Scoring		s = {m, d, idx, pos};

	nn_budget_check(&b, (double) (work + x) * sizeof(float) + (double) n * sizeof(Scored),
					psprintf("choosing threshold \"f1\" over " INT64_FORMAT " rows", n),
					"Lower validation_fraction, or give a threshold as a number");
	s.rows = MemoryContextAllocHuge(CurrentMemoryContext, Max(n, 1) * sizeof(Scored));
	nn_predict_batch_bind(&batch, &m->net, m->standardized ? m->x_mean : NULL, m->x_std,
						  nn_model_inputs(m),
						  MemoryContextAllocHuge(CurrentMemoryContext, work * sizeof(float)),
						  MemoryContextAllocHuge(CurrentMemoryContext, x * sizeof(float)));
	if (!nn_all_finite(m->net.params, m->net.n_params))
		elog(ERROR, "threshold \"f1\": the trained parameters are not finite");
	nn_predict_batch_rows(&batch, n, FillScoring, UseScoring, &s);
	return s.rows;
}

/* the cut of rows (sorted, n_pos positive) with the best F1, as a threshold */
static float
BestCut(const Scored *rows, int64 n, int64 n_pos)
{
	int64		tp = 0,
				called = 0;
	double		best = -1;
	float		hi = 1,
				lo = 0;
	float		t;

	for (int64 i = 0; i < n;)
	{
		float		p = rows[i].p;
		double		f1;

		/* a cut falls between distinct probabilities: take the tie whole */
		for (; i < n && rows[i].p == p; i++, called++)
			tp += rows[i].positive;
		f1 = 2.0 * tp / (double) (called + n_pos);
		if (f1 > best)
		{
			best = f1;
			hi = p;
			lo = i < n ? rows[i].p : 0.0f;
		}
	}
	t = (float) (((double) hi + lo) / 2);
	if (!(t > lo))
		t = hi;
	return Min(Max(t, FLT_MIN), nextafterf(1.0f, 0.0f));
}

/* the best cut into o->threshold (0.5 with a WARNING when no row is positive) */
static void
ChooseCut(const NNModel *m, const NNRows *d, const Split *s, NNOptions *o)
{
	bool		val = s->n_val > 0;
	const uint32 *idx = val ? s->val : s->train;
	int64		n = val ? s->n_val : s->n_train;
	uint32		pos = (uint32) DecisionPositive(m, o, "nn_train");
	Scored	   *rows = ScoreRows(m, d, idx, n, pos);
	int64		n_pos = 0;

	for (int64 i = 0; i < n; i++)
		n_pos += rows[i].positive;
	o->threshold_f1 = false;
	o->threshold = 0.5f;
	if (n_pos == 0)
	{
		ereport(WARNING,
				(errmsg("threshold \"f1\" kept 0.5: the %s has no row of the positive class \"%s\"",
						val ? "validation hold-out" : "training set", m->classes[pos]),
				 errhint("Raise validation_fraction, or give a threshold as a number.")));
		return;
	}
	qsort(rows, n, sizeof(Scored), ByProbabilityDesc);
	o->threshold = BestCut(rows, n, n_pos);
	pfree(rows);
}

void
ChooseThreshold(NNModel *m, const NNRows *d, const Split *s, NNOptions *o)
{
	ChooseCut(m, d, s, o);
	/* the record keeps it; the model in memory decides with it from now on */
	m->options_json = nn_options_record(o, NN_OPTIONS_TRAIN);
	nn_model_read_decision(m);
}

/*
 * nn_with_threshold(model, threshold [, positive_class]): the model with
 * that threshold (and positive class) in its record; every other byte as
 * it was.  0.5 leaves the key out: the larger probability.  Both overloads
 * are STRICT.
 */
Datum
nn_with_threshold(PG_FUNCTION_ARGS)
{
	bytea	   *b;
	NNModel    *m;
	NNOptions	o;
	double		t;

	b = PG_GETARG_BYTEA_PP(0);
	t = PG_GETARG_FLOAT8(1);
	m = nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext);
	if (!((float) t > 0.0f && (float) t < 1.0f))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_with_threshold threshold must be above 0 and below 1, got %.17g", t),
				 t > 0 && t < 1 ? errdetail("The threshold is stored as a real, and this value rounds to %g.", (double) (float) t) : 0));
	if (m->n_features == 0 || m->target_name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_with_threshold needs a model trained by nn_train"),
				 errhint("A model from nn_init keeps no training options to hold a threshold.")));
	nn_options_from_record(m->options_json, &o);
	o.threshold = (float) t;
	o.threshold_f1 = false;
	if (PG_NARGS() > 2)
		o.positive_class = text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (m->task != NN_TASK_CLASSIFICATION || m->n_classes != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_with_threshold needs a model of two classes, and this one %s",
						m->task != NN_TASK_CLASSIFICATION ? "is a regression" :
						psprintf("has %u classes", m->n_classes))));
	(void) DecisionPositive(m, &o, "nn_with_threshold");
	m->options_json = nn_options_record(&o, NN_OPTIONS_TRAIN);
	PG_RETURN_BYTEA_P(nn_model_to_bytea(m));
}
