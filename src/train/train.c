/*
 * train.c - nn_train, nn_continue and nn_init.
 *
 * nn_train reads its rows (rows.c), derives the classes and the
 * standardization, builds the network and runs each epoch through the
 * nn_fit state functions in a fresh seeded order, with the learning-rate
 * schedule, a validation hold-out, early stopping and class or row
 * weights.  nn_continue runs more epochs of the same, from where a model
 * stopped.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "train/train.h"

/* rows scored at once when measuring validation loss */
#define EVAL_BATCH 256

PG_FUNCTION_INFO_V1(nn_train);
PG_FUNCTION_INFO_V1(nn_continue);
PG_FUNCTION_INFO_V1(nn_init);

/* training and validation row numbers */
typedef struct Split
{
	uint32	   *train;
	int64		n_train;
	uint32	   *val;
	int64		n_val;
} Split;

/* ---------- reading ---------- */

static void
LoadRows(NNRows *d, const NNRowsSpec *spec)
{
	int			guc_level = NewGUCNestLevel();

	/* a synchronized scan could start mid-table and change the row order */
	(void) set_config_option("synchronize_seqscans", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	nn_rows_load(d, spec);
	AtEOXact_GUC(true, guc_level);

	if (d->skipped > 0)
		ereport(NOTICE,
				(errmsg_plural("skipped %lld row with a NULL target or feature%s",
							   "skipped %lld rows with a NULL target or feature%s",
							   d->skipped, (long long) d->skipped,
							   d->weight_column != NULL ? " or weight" : "")));
	if (d->n_rows == 0 && !d->streamed)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg(d->skipped > 0 ? "no training rows: every row has a NULL target or feature" :
						"no training rows: the source is empty")));
}


/* a row's place in the hold-out depends only on the seed and its position */
static double
RowHash(uint64 seed, uint64 row)
{
	uint64		z = seed + (row + 1) * UINT64CONST(0x9E3779B97F4A7C15);

	z = (z ^ (z >> 30)) * UINT64CONST(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64CONST(0x94D049BB133111EB);
	z ^= z >> 31;
	return (double) (z >> 11) * (1.0 / 9007199254740992.0);
}

static bool
IsValidation(uint64 seed, float fraction, int64 ordinal)
{
	return fraction > 0 && RowHash(seed, (uint64) ordinal) < fraction;
}

static void
SplitRows(const NNRows *d, uint64 seed, float fraction, Split *s)
{
	s->train = MemoryContextAllocHuge(CurrentMemoryContext, d->n_rows * sizeof(uint32));
	s->val = MemoryContextAllocHuge(CurrentMemoryContext, d->n_rows * sizeof(uint32));
	s->n_train = s->n_val = 0;
	for (int64 r = 0; r < d->n_rows; r++)
	{
		if (IsValidation(seed, fraction, r))
			s->val[s->n_val++] = (uint32) r;
		else
			s->train[s->n_train++] = (uint32) r;
	}
	if (s->n_train == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("validation_fraction leaves no training rows")));
}

/* ---------- class weights and standardization ---------- */

/* per-class weights from options; count: training rows of each class */
static float *
ClassWeights(const NNOptions *o, char **classes, int n_classes, const int64 *count,
			 int64 n_train)
{
	float	   *cw = palloc(n_classes * sizeof(float));

	for (int c = 0; c < n_classes; c++)
		cw[c] = 1.0f;
	/* balanced: n / (k n_c), so every class carries the same total weight */
	for (int c = 0; c < n_classes && o->class_weight_balanced; c++)
		cw[c] = count[c] > 0 ? (float) ((double) n_train / ((double) n_classes * count[c])) : 0.0f;
	for (int i = 0; i < o->n_class_weights; i++)
	{
		int			c = 0;

		while (c < n_classes && strcmp(classes[c], o->class_weight_labels[i]) != 0)
			c++;
		if (c == n_classes)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid value for option \"class_weight\": \"%s\" is not a class",
							o->class_weight_labels[i])));
		cw[c] = o->class_weights[i];
	}
	return cw;
}

/* NULL when every class weighs 1 */
static float *
ClassWeightsFor(const NNOptions *o, const NNModel *m, const int64 *count, int64 n_train)
{
	if (!o->class_weight_balanced && o->n_class_weights == 0)
		return NULL;
	if (m->task != NN_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"class_weight\" needs a classification target")));
	return ClassWeights(o, m->classes, m->n_classes, count, n_train);
}

static void
ApplyClassWeights(NNRows *d, const NNOptions *o, const NNModel *m, const Split *s)
{
	int64	   *count = palloc0(Max(m->n_classes, 1) * sizeof(int64));
	float	   *cw;

	if (m->task == NN_TASK_CLASSIFICATION)
		for (int64 i = 0; i < s->n_train; i++)
			count[(int) d->y[s->train[i]]]++;
	cw = ClassWeightsFor(o, m, count, s->n_train);
	for (int64 r = 0; cw != NULL && r < d->n_rows; r++)
		d->w[r] *= cw[(int) d->y[r]];
}

static float
ScaleOf(double sum_sq, int64 n)
{
	double		sd = sqrt(sum_sq / n);

	/* a constant column is left as it is, only centred */
	return sd > 1e-12 && isfinite((float) sd) ? (float) sd : 1.0f;
}

/* the streamed StreamedFill's counterpart, over the training rows in memory */
static void
SetFill(NNModel *m, const NNRows *d, const Split *s)
{
	int			n_in = d->n_inputs;
	double	   *sum = palloc0(n_in * sizeof(double));
	int64	   *count = palloc0(n_in * sizeof(int64));

	m->fill = palloc0(n_in * sizeof(float));
	if (m->impute != NN_IMPUTE_MEAN)
		return;
	for (int64 i = 0; i < s->n_train; i++)
	{
		const float *row = d->x + (size_t) s->train[i] * n_in;

		for (int c = 0; c < n_in; c++)
			if (!isnan(row[c]))
			{
				sum[c] += row[c];
				count[c]++;
			}
	}
	for (int c = 0; c < n_in; c++)
		m->fill[c] = count[c] > 0 ? (float) (sum[c] / count[c]) : 0.0f;
}

/* mean and standard deviation of the training rows, in two passes */
static void
SetStandardization(NNModel *m, const NNRows *d, const Split *s)
{
	int			n_in = d->n_inputs;
	double	   *sum = palloc0(n_in * sizeof(double));
	double	   *sq = palloc0(n_in * sizeof(double));
	double		ys = 0,
				yq = 0;

	m->x_mean = palloc(n_in * sizeof(float));
	m->x_std = palloc(n_in * sizeof(float));
	for (int64 i = 0; i < s->n_train; i++)
	{
		const float *row = d->x + (size_t) s->train[i] * n_in;

		for (int c = 0; c < n_in; c++)
			sum[c] += row[c];
		ys += d->y[s->train[i]];
	}
	for (int c = 0; c < n_in; c++)
		sum[c] /= s->n_train;
	ys /= s->n_train;
	for (int64 i = 0; i < s->n_train; i++)
	{
		const float *row = d->x + (size_t) s->train[i] * n_in;
		double		dy = d->y[s->train[i]] - ys;

		for (int c = 0; c < n_in; c++)
			sq[c] += (row[c] - sum[c]) * (row[c] - sum[c]);
		yq += dy * dy;
	}
	for (int c = 0; c < n_in; c++)
	{
		m->x_mean[c] = (float) sum[c];
		m->x_std[c] = ScaleOf(sq[c], s->n_train);
	}
	m->y_mean = m->task == NN_TASK_REGRESSION ? (float) ys : 0.0f;
	m->y_std = m->task == NN_TASK_REGRESSION ? ScaleOf(yq, s->n_train) : 1.0f;
	m->standardized = true;
}

/* ---------- one epoch's pieces ---------- */

/* the learning-rate multiplier for a 0-based epoch of total */
static float
ScheduleFactor(const NNOptions *o, int epoch, int total)
{
	double		f = 1.0;

	switch (o->lr_schedule)
	{
		case NN_SCHEDULE_CONSTANT:
			break;
		case NN_SCHEDULE_STEP:
			f = pow(o->gamma, epoch / o->step_size);
			break;
		case NN_SCHEDULE_EXPONENTIAL:
			f = pow(o->gamma, epoch);
			break;
		case NN_SCHEDULE_COSINE:
			f = 0.5 * (1.0 + cos(M_PI * Min(epoch, total) / total));
			break;
	}
	if (epoch < o->warmup_epochs)
		f *= (double) (epoch + 1) / (o->warmup_epochs + 1);
	return (float) f;
}

typedef struct EvalSums
{
	double		loss;
	int64		correct;		/* classification */
	double		sse;			/* regression, standardized units */
	double		sum_y;
	double		sum_yy;
} EvalSums;

static void
EvaluateBatch(const NNModel *m, NNWork *work, float *x, float *y, int n, EvalSums *e)
{
	const NNNet *net = &m->net;
	const float *out;

	if (m->standardized)
		nn_standardize_rows(x, m->x_mean, m->x_std, n, nn_model_inputs(m));
	out = nn_net_forward(net, work, x, n);
	e->loss += nn_loss_compute(&net->loss, out, y, NULL, NULL, n, nn_net_outputs(net));
	for (int r = 0; r < n; r++)
	{
		if (m->task == NN_TASK_CLASSIFICATION)
			e->correct += nn_predicted_class(m, out + (size_t) r * nn_net_outputs(net)) == (uint32) y[r];
		else
		{
			e->sse += (out[r] - y[r]) * (double) (out[r] - y[r]);
			e->sum_y += y[r];
			e->sum_yy += (double) y[r] * y[r];
		}
	}
}

/* buffers for scoring validation rows EVAL_BATCH at a time */
typedef struct Evaluator
{
	NNWork		work;
	float	   *x;
	float	   *y;
	EvalSums	sums;
	int64		rows;
} Evaluator;

static void
EvaluatorInit(Evaluator *ev, const NNModel *m)
{
	const NNNet *net = &m->net;

	size_t		work = nn_work_floats(net, EVAL_BATCH, false);
	size_t		x = (size_t) EVAL_BATCH * nn_model_inputs(m);
	NNBudget	b = nn_train_budget();

	/* wide layers make even EVAL_BATCH rows large: budget them first */
	nn_budget_check(&b, (double) (work + x) * sizeof(float),
					psprintf("scoring validation rows %d at a time", EVAL_BATCH),
					"Lower the layer widths");
	memset(ev, 0, sizeof(*ev));
	nn_work_bind(&ev->work, net, MemoryContextAllocHuge(CurrentMemoryContext, work * sizeof(float)),
				 EVAL_BATCH, false);
	ev->x = MemoryContextAllocHuge(CurrentMemoryContext, x * sizeof(float));
	ev->y = palloc(EVAL_BATCH * sizeof(float));
}

/* add rows idx[0..n) of d to the sums */
static void
EvaluateRows(Evaluator *ev, const NNModel *m, const NNRows *d, const uint32 *idx, int64 n)
{
	int			n_in = d->n_inputs;

	for (int64 start = 0; start < n; start += EVAL_BATCH)
	{
		int			b = (int) Min(EVAL_BATCH, n - start);

		for (int r = 0; r < b; r++)
		{
			uint32		row = idx[start + r];

			memcpy(ev->x + (size_t) r * n_in, d->x + (size_t) row * n_in, n_in * sizeof(float));
			ev->y[r] = m->task == NN_TASK_REGRESSION ? (d->y[row] - m->y_mean) / m->y_std : d->y[row];
		}
		EvaluateBatch(m, &ev->work, ev->x, ev->y, b, &ev->sums);
		CHECK_FOR_INTERRUPTS();
	}
	ev->rows += n;
}

/* validation loss and metric (accuracy, or R^2) from the sums */
static void
EvaluatorResult(const Evaluator *ev, const NNModel *m, float *loss, float *metric)
{
	const EvalSums *e = &ev->sums;
	int64		n = ev->rows;

	*loss = (float) (e->loss / n);
	if (m->task == NN_TASK_CLASSIFICATION)
		*metric = (float) ((double) e->correct / n);
	else
	{
		double		sst = e->sum_yy - e->sum_y * e->sum_y / n;

		*metric = sst > 0 ? (float) (1.0 - e->sse / sst) : NAN;
	}
}

/* ---------- rows that do not fit in memory ---------- */

/*
 * Rows beyond nn.train_memory pass through in chunks, once for what the
 * model needs from all of them (classes, scaling, class counts) and then
 * once per epoch, plus once per epoch for validation.  Each epoch shuffles
 * within a chunk; chunks follow the source's order.
 */
typedef struct Stream
{
	NNModel    *model;
	uint64		seed;
	float		fraction;		/* validation hold-out */
	/* first pass, over training rows: Welford's running moments */
	int64		n_train;
	int64		n_val;
	double	   *mean;
	double	   *m2;
	int64	   *count;			/* non-NULL values per input (impute 'mean') */
	double		y_mean;
	double		y_m2;
	int64	   *label_count;	/* by label id */
	/* epoch passes */
	NNFitState *state;
	const float *class_weight;	/* NULL: all 1 */
	uint32	   *order;
	Evaluator	eval;
	/* progress within the running epoch */
	int			epoch;
	int			epochs;
	int64		rows_done;
	instr_time	start;
} Stream;

/* rows between two looks at the clock for progress within an epoch */
#define ROWS_PER_REPORT 1024

static void ReportRows(int done, int epochs, int64 rows, int64 total, instr_time start);

static void
StatsSink(NNRows *d, void *arg)
{
	Stream	   *st = arg;
	int			n_in = d->n_inputs;

	if (st->mean == NULL)
	{
		st->mean = MemoryContextAllocZero(d->cxt, n_in * sizeof(double));
		st->m2 = MemoryContextAllocZero(d->cxt, n_in * sizeof(double));
		st->count = MemoryContextAllocZero(d->cxt, n_in * sizeof(int64));
		st->label_count = MemoryContextAllocZero(d->cxt, NN_MAX_CLASSES * sizeof(int64));
	}
	for (int64 r = 0; r < d->n_rows; r++)
	{
		const float *row = d->x + (size_t) r * n_in;
		double		dy;

		if (IsValidation(st->seed, st->fraction, d->first_ordinal + r))
		{
			st->n_val++;
			continue;
		}
		st->n_train++;
		for (int c = 0; c < n_in; c++)
		{
			double		delta = row[c] - st->mean[c];

			/* a NULL to impute (NaN) leaves the mean alone, and so the moments */
			if (isnan(row[c]))
				continue;
			st->count[c]++;
			st->mean[c] += delta / st->count[c];
			st->m2[c] += delta * (row[c] - st->mean[c]);
		}
		dy = d->y[r] - st->y_mean;
		st->y_mean += dy / st->n_train;
		st->y_m2 += dy * (d->y[r] - st->y_mean);
		if (d->task == NN_TASK_CLASSIFICATION)
			st->label_count[(int) d->y[r]]++;
	}
}

static void
StreamedStandardization(NNModel *m, const Stream *st, int n_in)
{
	m->x_mean = palloc(n_in * sizeof(float));
	m->x_std = palloc(n_in * sizeof(float));
	for (int c = 0; c < n_in; c++)
	{
		m->x_mean[c] = (float) st->mean[c];
		m->x_std[c] = ScaleOf(st->m2[c], st->n_train);
	}
	m->y_mean = m->task == NN_TASK_REGRESSION ? (float) st->y_mean : 0.0f;
	m->y_std = m->task == NN_TASK_REGRESSION ? ScaleOf(st->y_m2, st->n_train) : 1.0f;
	m->standardized = true;
}

/*
 * Values for NULL features: the training rows' means without the NULLs
 * (impute 'mean'), or zeros.  Filled-in means leave the column's mean as it
 * is and add nothing to its squared deviations, so standardization over all
 * rows (the streamed moments divide by n_train) treats them alike.
 */
static void
StreamedFill(NNModel *m, const Stream *st, int n_in)
{
	m->fill = palloc0(n_in * sizeof(float));
	if (m->impute == NN_IMPUTE_MEAN)
		for (int c = 0; c < n_in; c++)
			m->fill[c] = st->count[c] > 0 ? (float) st->mean[c] : 0.0f;
}

/* training rows of each class, by class index, from the first pass */
static int64 *
StreamedClassCounts(const NNRows *d, const Stream *st, uint32 n_classes)
{
	int64	   *count = palloc0(Max(n_classes, 1) * sizeof(int64));

	for (int id = 0; id < d->n_labels && d->label_remap != NULL; id++)
		count[d->label_remap[id]] += st->label_count[id];
	return count;
}

static void
FillMissing(NNRows *d, const NNModel *m)
{
	if (m->impute == NN_IMPUTE_MEAN)
		nn_rows_fill(d->x, d->n_rows, d->n_inputs, m->fill);
}

static void
TrainSink(NNRows *d, void *arg)
{
	Stream	   *st = arg;
	NNModel    *m = st->model;
	int64		n = 0;

	FillMissing(d, m);
	for (int64 r = 0; r < d->n_rows; r++)
		if (!IsValidation(st->seed, st->fraction, d->first_ordinal + r))
			st->order[n++] = (uint32) r;
	nn_rng_shuffle(&m->rng, st->order, n);
	for (int64 i = 0; i < n; i++)
	{
		uint32		r = st->order[i];
		float		w = d->w[r] * (st->class_weight != NULL ? st->class_weight[(int) d->y[r]] : 1.0f);

		nn_fit_state_add(st->state, d->x + (size_t) r * d->n_inputs, d->y[r], w);
		if (++st->rows_done % ROWS_PER_REPORT == 0)
			ReportRows(st->epoch, st->epochs, st->rows_done, st->n_train, st->start);
	}
}

static void
EvalSink(NNRows *d, void *arg)
{
	Stream	   *st = arg;
	int64		n = 0;

	FillMissing(d, st->model);
	for (int64 r = 0; r < d->n_rows; r++)
		if (IsValidation(st->seed, st->fraction, d->first_ordinal + r))
			st->order[n++] = (uint32) r;
	EvaluateRows(&st->eval, st->model, d, st->order, n);
}

static void
StreamPass(NNRows *d, NNRowSink sink, Stream *st)
{
	int			guc_level = NewGUCNestLevel();

	(void) set_config_option("synchronize_seqscans", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	nn_rows_stream(d, sink, st);
	AtEOXact_GUC(true, guc_level);
}

/*
 * After the rows are read: the hold-out, class weights and (nn_train)
 * standardization, from the rows in memory or from the streamed first pass.
 */
static Split *
PrepareRows(NNModel *m, NNRows *d, const NNOptions *opts, Stream *st, bool standardize)
{
	Split	   *split;

	if (d->streamed)
	{
		if (st->n_train == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("validation_fraction leaves no training rows")));
		st->model = m;
		if (m->fill == NULL && (m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO))
			StreamedFill(m, st, d->n_inputs);
		if (standardize)
			StreamedStandardization(m, st, d->n_inputs);
		st->class_weight = ClassWeightsFor(opts, m, StreamedClassCounts(d, st, m->n_classes),
										   st->n_train);
		st->order = MemoryContextAllocHuge(CurrentMemoryContext, d->capacity * sizeof(uint32));
		return NULL;
	}
	split = palloc(sizeof(Split));
	SplitRows(d, m->seed, opts->validation_fraction, split);
	ApplyClassWeights(d, opts, m, split);
	if (m->fill == NULL && (m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO))
		SetFill(m, d, split);
	FillMissing(d, m);
	if (standardize)
		SetStandardization(m, d, split);
	return split;
}

/* ---------- epochs ---------- */

typedef struct BestWeights
{
	float		loss;
	uint32		epoch;			/* 1-based; 0 before the first */
	float	   *params;
	float	   *stats;
	int			waited;			/* epochs since the best */
} BestWeights;

static void
KeepIfBest(BestWeights *b, const NNModel *m, float loss)
{
	if (b->epoch > 0 && !(loss < b->loss))
	{
		b->waited++;
		return;
	}
	b->loss = loss;
	b->epoch = m->epochs_run;
	b->waited = 0;
	memcpy(b->params, m->net.params, m->net.n_params * sizeof(float));
	memcpy(b->stats, m->net.stats, m->net.n_stats * sizeof(float));
}

/*
 * Progress for other sessions: the backend's pg_stat_activity.query gets a
 * leading comment, "nn progress: ...", ahead of the query itself (the view
 * nn_progress parses it).  Activity text is shared memory PostgreSQL
 * already maintains, so this needs no preloading and no locks.
 */
static const char *progress_fn = "nn_train";

static void
ReportProgress(const char *what)
{
	char	   *text = psprintf("/* nn progress: %s %s */ %s", progress_fn, what,
								debug_query_string != NULL ? debug_query_string : "");

	pgstat_report_activity(STATE_RUNNING, text);
	pfree(text);
}

/* the query text as it was, once training is over */
static void
EndProgress(void)
{
	if (debug_query_string != NULL)
		pgstat_report_activity(STATE_RUNNING, debug_query_string);
}

static double
SecondsSince(instr_time start)
{
	instr_time	now;

	INSTR_TIME_SET_CURRENT(now);
	INSTR_TIME_SUBTRACT(now, start);
	return INSTR_TIME_GET_DOUBLE(now);
}

/*
 * Within an epoch: rows trained so far, looked at every ROWS_PER_REPORT rows
 * and reported at most once per nn.progress_interval.  The row cadence is
 * what makes progress testable: with the interval at 0 every 1,024 rows are
 * reported, however fast the CPU.
 */
static void
ReportRows(int done, int epochs, int64 rows, int64 total, instr_time start)
{
	static double last = 0;
	double		elapsed = SecondsSince(start);

	/* elapsed < last: a new training in this backend started the clock again */
	if (elapsed < last + nn_progress_interval_ms / 1000.0 && elapsed >= last)
		return;
	last = elapsed;
	ReportProgress(psprintf("epoch %d/%d, rows " INT64_FORMAT "/" INT64_FORMAT ", elapsed %.1f s",
							done, epochs, rows, total, elapsed));
}

static void
ReportEpoch(const NNModel *m, int done, int epochs, instr_time start, bool verbose)
{
	const NNEpochStats *h = &m->history[m->n_history - 1];
	double		elapsed = SecondsSince(start);
	char	   *msg;

	if (isnan(h->val_loss))
		msg = psprintf("epoch %d/%d: train_loss %.6g, elapsed %.1f s, eta %.1f s",
					   done, epochs, h->train_loss, elapsed, elapsed / done * (epochs - done));
	else
		msg = psprintf("epoch %d/%d: train_loss %.6g, val_loss %.6g, val_%s %.4f, elapsed %.1f s, eta %.1f s",
					   done, epochs, h->train_loss, h->val_loss,
					   m->task == NN_TASK_CLASSIFICATION ? "accuracy" : "r2", h->val_metric,
					   elapsed, elapsed / done * (epochs - done));
	ReportProgress(msg);
	if (verbose)
		ereport(NOTICE, (errmsg_internal("%s", msg)));
	pfree(msg);
}

/*
 * Run opts->epochs epochs (fewer when early stopping ends them); total is
 * the epoch count the schedule spans, over this and earlier runs.
 */
static void
RunEpochs(NNModel *m, NNRows *d, const Split *s, const NNOptions *opts, int total,
		  Stream *st)
{
	NNFitState *state = nn_fit_state_create(m, CurrentMemoryContext);
	uint32	   *order = s != NULL ?
		MemoryContextAllocHuge(CurrentMemoryContext, Max(s->n_train, 1) * sizeof(uint32)) : NULL;
	bool		validate = st != NULL ? st->n_val > 0 : s->n_val > 0;
	Evaluator	local;
	Evaluator  *ev = st != NULL ? &st->eval : &local;
	BestWeights best = {0};
	instr_time	start;

	m->best_epoch = 0;
	best.params = MemoryContextAllocHuge(CurrentMemoryContext, Max(m->net.n_params, 1) * sizeof(float));
	best.stats = palloc(Max(m->net.n_stats, 1) * sizeof(float));
	if (validate)
		EvaluatorInit(ev, m);
	if (st != NULL)
		st->state = state;
	INSTR_TIME_SET_CURRENT(start);
	ReportProgress(psprintf("epoch 0/%d", opts->epochs));
	for (int e = 0; e < opts->epochs; e++)
	{
		NNEpochStats *h;

		m->net.lr_factor = ScheduleFactor(opts, m->epochs_run, total);
		if (st != NULL)
		{
			st->epoch = e;
			st->epochs = opts->epochs;
			st->rows_done = 0;
			st->start = start;
			StreamPass(d, TrainSink, st);
		}
		else
		{
			/* a fresh permutation each epoch, drawn from the model's stream */
			memcpy(order, s->train, s->n_train * sizeof(uint32));
			nn_rng_shuffle(&m->rng, order, s->n_train);
			for (int64 i = 0; i < s->n_train; i++)
			{
				nn_fit_state_add(state, d->x + (size_t) order[i] * d->n_inputs, d->y[order[i]],
								 d->w[order[i]]);
				if ((i + 1) % ROWS_PER_REPORT == 0)
					ReportRows(e, opts->epochs, i + 1, s->n_train, start);
			}
		}
		nn_fit_state_finish(state);
		h = &m->history[m->n_history - 1];
		if (validate)
		{
			memset(&ev->sums, 0, sizeof(ev->sums));
			ev->rows = 0;
			if (st != NULL)
				StreamPass(d, EvalSink, st);
			else
				EvaluateRows(ev, m, d, s->val, s->n_val);
			EvaluatorResult(ev, m, &h->val_loss, &h->val_metric);
		}
		ReportEpoch(m, e + 1, opts->epochs, start, opts->verbose);
		/* early stopping watches validation loss, or training loss without it */
		KeepIfBest(&best, m, validate ? h->val_loss : h->train_loss);
		if (opts->patience > 0 && best.waited >= opts->patience)
			break;
	}
	m->net.lr_factor = 1.0f;
	if (opts->patience > 0 && opts->restore_best && best.epoch != m->epochs_run)
	{
		memcpy(m->net.params, best.params, m->net.n_params * sizeof(float));
		memcpy(m->net.stats, best.stats, m->net.n_stats * sizeof(float));
		m->best_epoch = best.epoch;
	}
}

/* ---------- SQL functions ---------- */

/*
 * nn_train's option "name": register the trained model with nn_register,
 * in the schema of the calling function caller_fn, and say which version
 * it became.
 */
static void
nn_catalog_register(Oid caller_fn, const char *name, bytea *model)
{
	Oid			argtypes[2] = {TEXTOID, BYTEAOID};
	Datum		args[2];
	const char *nsp = quote_identifier(get_namespace_name(get_func_namespace(caller_fn)));
	bool		isnull;
	int32		version;
	bool		deployed;

	SPI_connect();
	args[0] = CStringGetTextDatum(name);
	args[1] = PointerGetDatum(model);
	if (SPI_execute_with_args(psprintf("SELECT %s.nn_register($1, $2)", nsp),
							  2, argtypes, args, NULL, false, 1) != SPI_OK_SELECT)
		elog(ERROR, "nn_train could not call nn_register");
	version = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	/* a second statement: the first one's snapshot does not see the row */
	args[1] = Int32GetDatum(version);
	argtypes[1] = INT4OID;
	if (SPI_execute_with_args(psprintf("SELECT deployed FROM %s.nn_models WHERE name = $1 AND version = $2", nsp),
							  2, argtypes, args, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "nn_train could not read back the model it registered");
	deployed = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_finish();
	if (deployed)
		ereport(NOTICE,
				(errmsg("registered model \"%s\" version %d, deployed", name, version)));
	else
		ereport(NOTICE,
				(errmsg("registered model \"%s\" version %d", name, version),
				 errhint("nn_deploy('%s', %d) makes it the version that scoring by name uses.",
						 name, version)));
}


/* the options record, with the loss, task and init the model settled on */
static char *
RecordOptions(NNOptions *opts, const NNModel *m, NNOptionsFor caller)
{
	opts->loss = m->net.loss.kind;
	opts->task = m->task;
	opts->init = m->init;
	return nn_options_record(opts, caller);
}

static int32 *
HiddenWidths(ArrayType *arr, int *n)
{
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
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
SetFeatureNames(NNModel *m, const NNRows *d)
{
	m->n_features = d->n_features;
	m->feature_names = palloc(d->n_features * sizeof(char *));
	m->feature_widths = palloc(d->n_features * sizeof(uint32));
	for (int i = 0; i < d->n_features; i++)
	{
		m->feature_names[i] = d->features[i].name;
		m->feature_widths[i] = d->features[i].width;
	}
	m->target_name = d->target_name;
}

static NNModel *
BuildModel(NNRows *d, const int32 *hidden, int n_hidden, const NNOptions *opts)
{
	char	  **classes = NULL;
	NNModel    *m;

	if (d->task == NN_TASK_CLASSIFICATION)
	{
		if (d->n_labels < 2)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_EXCEPTION),
					 errmsg("target has %d distinct value; classification needs at least 2",
							d->n_labels)));
		classes = nn_rows_sort_classes(d);
	}
	m = nn_model_build(d->n_inputs, hidden, n_hidden, d->task, d->n_labels, opts);
	if (classes != NULL)
		m->classes = classes;
	SetFeatureNames(m, d);
	nn_rows_set_encoding(m, d);
	return m;
}

Datum
nn_train(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt;
	NNRows		d = {0};
	NNRowsSpec	spec = {0};
	NNOptions	opts;
	NNModel    *m;
	Split	   *split;
	Stream		st = {0};
	int			n_hidden;
	int32	   *hidden;
	bytea	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_train source, target and hidden must not be NULL")));
	nn_options_parse(PG_ARGISNULL(4) ? NULL : PG_GETARG_JSONB_P(4), NN_OPTIONS_TRAIN, &opts);
	hidden = HiddenWidths(PG_GETARG_ARRAYTYPE_P(3), &n_hidden);

	cxt = AllocSetContextCreate(caller, "nn_train", ALLOCSET_DEFAULT_SIZES);
	d.cxt = cxt;
	spec.source = text_to_cstring(PG_GETARG_TEXT_PP(0));
	spec.target = text_to_cstring(PG_GETARG_TEXT_PP(1));
	spec.features = PG_ARGISNULL(2) ? NULL : PG_GETARG_ARRAYTYPE_P(2);
	spec.forced_task = opts.task;
	spec.weight_column = opts.weight_column;
	spec.impute = opts.impute;
	st.seed = (uint64) opts.seed;
	st.fraction = opts.validation_fraction;
	d.sink = StatsSink;
	d.sink_arg = &st;
	progress_fn = "nn_train";
	ReportProgress("reading rows");
	LoadRows(&d, &spec);

	MemoryContextSwitchTo(cxt);
	m = BuildModel(&d, hidden, n_hidden, &opts);
	m->options_json = RecordOptions(&opts, m, NN_OPTIONS_TRAIN);
	split = PrepareRows(m, &d, &opts, &st, opts.standardize);
	RunEpochs(m, &d, split, &opts, opts.epochs, d.streamed ? &st : NULL);
	EndProgress();

	MemoryContextSwitchTo(caller);
	result = nn_model_to_bytea(m);
	MemoryContextDelete(cxt);
	if (opts.name != NULL)
		nn_catalog_register(fcinfo->flinfo->fn_oid, opts.name, result);
	PG_RETURN_BYTEA_P(result);
}

Datum
nn_continue(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext cxt = AllocSetContextCreate(caller, "nn_continue", ALLOCSET_DEFAULT_SIZES);
	bytea	   *b;
	NNOptions	more,
				opts;
	NNRows		d = {0};
	NNRowsSpec	spec = {0};
	NNModel    *m;
	Split	   *split;
	Stream		st = {0};
	int			total;
	bytea	   *result;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_continue model and source must not be NULL")));
	nn_options_parse(PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), NN_OPTIONS_CONTINUE, &more);
	MemoryContextSwitchTo(cxt);
	b = PG_GETARG_BYTEA_PP(0);
	m = nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), cxt);
	if (m->n_features == 0 || m->target_name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_continue needs a model trained by nn_train"),
				 errhint("A model from nn_init names no columns; train it with the nn_fit aggregate.")));
	/* the model's own options, with only epochs and verbose from the caller */
	nn_options_from_record(m->options_json, &opts);
	total = opts.epochs + more.epochs;
	opts.epochs = more.epochs;
	opts.verbose = more.verbose;

	d.cxt = cxt;
	spec.source = text_to_cstring(PG_GETARG_TEXT_PP(1));
	spec.target = m->target_name;
	spec.forced_task = m->task;
	spec.weight_column = opts.weight_column;
	spec.model = m;
	st.seed = m->seed;
	st.fraction = opts.validation_fraction;
	d.sink = StatsSink;
	d.sink_arg = &st;
	progress_fn = "nn_continue";
	ReportProgress("reading rows");
	LoadRows(&d, &spec);
	nn_rows_check_widths(&d, m);
	if (m->task == NN_TASK_CLASSIFICATION)
		nn_rows_map_classes(&d, m);
	split = PrepareRows(m, &d, &opts, &st, false);
	RunEpochs(m, &d, split, &opts, total, d.streamed ? &st : NULL);
	EndProgress();
	opts.epochs = total;
	m->options_json = nn_options_record(&opts, NN_OPTIONS_TRAIN);

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
	NNModel    *m;

	nn_options_parse(PG_ARGISNULL(3) ? NULL : PG_GETARG_JSONB_P(3), NN_OPTIONS_INIT, &opts);
	if (n_inputs < 1 || n_inputs > NN_MAX_WIDTH)
		ereport(ERROR,
				(errcode(n_inputs < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("n_inputs must be from 1 to %d, got %d", NN_MAX_WIDTH, n_inputs)));
	if (n_outputs < 1 || n_outputs > NN_MAX_CLASSES)
		ereport(ERROR,
				(errcode(n_outputs < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
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
	m = nn_model_build(n_inputs, hidden, n_hidden, task, n_classes, &opts);
	m->options_json = RecordOptions(&opts, m, NN_OPTIONS_INIT);
	PG_RETURN_BYTEA_P(nn_model_to_bytea(m));
}
