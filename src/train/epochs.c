/*
 * epochs.c - the epochs of nn_train and nn_continue: the learning-rate
 * schedule, each epoch through the nn_fit state functions in a fresh
 * seeded order (or chunk by chunk for streamed rows, or as one nn_fit
 * query under strategy "aggregate", aggregate.c), the validation loss
 * with early stopping and the best weights, and progress reports.
 */
#include "postgres.h"

#include <math.h>

#include "miscadmin.h"
#include "pgstat.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "train/run.h"

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

/* the validation rows of a block and their targets, in model units */
static void
FillValidation(void *arg, float *x, size_t start, size_t n)
{
	Evaluator  *ev = arg;
	const NNModel *m = ev->model;
	int			n_in = ev->d->n_inputs;

	for (size_t r = 0; r < n; r++)
	{
		uint32		row = ev->idx[start + r];

		memcpy(x + r * n_in, ev->d->x + (size_t) row * n_in, n_in * sizeof(float));
		ev->y[r] = m->task == NN_TASK_REGRESSION ? (ev->d->y[row] - m->y_mean) / m->y_std : ev->d->y[row];
	}
}

/* add a block's loss and metric sums */
static void
UseValidation(void *arg, const float *out, size_t start, size_t n)
{
	Evaluator  *ev = arg;
	const NNModel *m = ev->model;
	const NNNet *net = &m->net;
	const float *y = ev->y;
	EvalSums   *e = &ev->sums;

	e->loss += nn_loss_compute(&net->loss, out, y, NULL, NULL, n, nn_net_outputs(net));
	for (size_t r = 0; r < n; r++)
	{
		if (m->task == NN_TASK_CLASSIFICATION)
			e->correct += nn_predicted_class(m, out + r * nn_net_outputs(net)) == (uint32) y[r];
		else
		{
			e->sse += (out[r] - y[r]) * (double) (out[r] - y[r]);
			e->sae += fabs(out[r] - y[r]);
			e->sum_y += y[r];
			e->sum_yy += (double) y[r] * y[r];
		}
	}
}

static void
EvaluatorInit(Evaluator *ev, const NNModel *m)
{
	size_t		work = nn_predict_batch_work_floats(&m->net);
	size_t		x = nn_predict_batch_x_floats(nn_model_inputs(m));
	NNBudget	b = nn_train_budget();
	float	   *work_buf;

	/* wide layers make even one block of rows large: budget them first */
	nn_budget_check(&b, (double) (work + x) * sizeof(float),
					psprintf("scoring validation rows %d at a time", NN_PREDICT_BLOCK),
					"Lower the layer widths");
	memset(ev, 0, sizeof(*ev));
	ev->model = m;
	work_buf = MemoryContextAllocHuge(CurrentMemoryContext, work * sizeof(float));
	nn_predict_batch_bind(&ev->batch, &m->net, m->standardized ? m->x_mean : NULL,
						  m->x_std, nn_model_inputs(m), work_buf,
						  MemoryContextAllocHuge(CurrentMemoryContext, x * sizeof(float)));
	ev->batch.work.threads = nn_training_threads();
	ev->y = palloc(NN_PREDICT_BLOCK * sizeof(float));
}

/* add rows idx[0..n) of d to the sums */
static void
EvaluateRows(Evaluator *ev, const NNRows *d, const uint32 *idx, int64 n)
{
	ev->d = d;
	ev->idx = idx;
	nn_predict_batch_rows(&ev->batch, n, FillValidation, UseValidation, ev);
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

/* rows between two looks at the clock for progress within an epoch */
#define ROWS_PER_REPORT 1024

static void ReportRows(int done, int epochs, int64 rows, int64 total, instr_time start);

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
	EvaluateRows(&st->eval, d, st->order, n);
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
const char *nn_progress_fn = "nn_train";

void
ReportProgress(const char *what)
{
	char	   *text = psprintf("/* nn progress: %s %s */ %s", nn_progress_fn, what,
								debug_query_string != NULL ? debug_query_string : "");

	pgstat_report_activity(STATE_RUNNING, text);
	pfree(text);
}

/* the query text as it was, once training is over */
void
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
static double last_rows_report;	/* seconds into the training; RunEpochs resets it */

/*
 * The last finished epoch's losses ("train_loss ..., val_loss ..."), which
 * the row reports of the next epoch carry on, as nn_progress documents them;
 * empty before the first.  RunEpochs resets it.
 */
static char last_losses[256];

static void
ReportRows(int done, int epochs, int64 rows, int64 total, instr_time start)
{
	double		elapsed = SecondsSince(start);
	double		fraction = total > 0 ? (double) rows / total : 0;

	if (elapsed < last_rows_report + nn_progress_interval_ms / 1000.0)
		return;
	last_rows_report = elapsed;
	if (done == 0 || last_losses[0] == '\0')
		ReportProgress(psprintf("epoch %d/%d, rows " INT64_FORMAT "/" INT64_FORMAT ", elapsed %.1f s",
								done, epochs, rows, total, elapsed));
	else
		ReportProgress(psprintf("epoch %d/%d, rows " INT64_FORMAT "/" INT64_FORMAT ", %s, elapsed %.1f s, eta %.1f s",
								done, epochs, rows, total, last_losses, elapsed,
								elapsed / (done + fraction) * (epochs - done - fraction)));
}

static void
ReportEpoch(const NNModel *m, int done, int epochs, instr_time start, bool verbose)
{
	const NNEpochStats *h = &m->history[m->n_history - 1];
	double		elapsed = SecondsSince(start);
	char	   *msg;

	if (isnan(h->val_loss))
		snprintf(last_losses, sizeof(last_losses), "train_loss %.6g", h->train_loss);
	else
		snprintf(last_losses, sizeof(last_losses), "train_loss %.6g, val_loss %.6g, val_%s %.4f",
				 h->train_loss, h->val_loss,
				 m->task == NN_TASK_CLASSIFICATION ? "accuracy" : "r2", h->val_metric);
	msg = psprintf("epoch %d/%d: %s, elapsed %.1f s, eta %.1f s",
				   done, epochs, last_losses, elapsed, elapsed / done * (epochs - done));
	ReportProgress(msg);
	if (verbose)
		ereport(NOTICE, (errmsg_internal("%s", msg)));
	pfree(msg);
}

/*
 * Run opts->epochs epochs (fewer when early stopping ends them); total is
 * the epoch count the schedule spans, over this and earlier runs.
 */
void
RunEpochs(NNModel *m, NNRows *d, const Split *s, const NNOptions *opts, int total,
		  Stream *st, const NNAggregate *agg)
{
	NNFitState *state = agg == NULL ? nn_fit_state_create(m, CurrentMemoryContext) : NULL;
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
	last_rows_report = 0;
	last_losses[0] = '\0';
	ReportProgress(psprintf("epoch 0/%d", opts->epochs));
	for (int e = 0; e < opts->epochs; e++)
	{
		NNEpochStats *h;

		m->net.lr_factor = ScheduleFactor(opts, m->epochs_run, total);
		if (agg != NULL)
			nn_aggregate_pass(agg, m);
		else if (st != NULL)
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
		if (state != NULL)
			nn_fit_state_finish(state);
		h = &m->history[m->n_history - 1];
		if (validate)
		{
			memset(&ev->sums, 0, sizeof(ev->sums));
			ev->rows = 0;
			if (st != NULL)
				StreamPass(d, EvalSink, st);
			else
				EvaluateRows(ev, d, s->val, s->n_val);
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

/* ---------- the metrics nn_train registers a model with ---------- */

static void
PushMetric(JsonbParseState **st, const char *key, double v)
{
	nn_json_key(st, key);
	nn_json_double(st, v);
}

/*
 * The trained model's metrics on the validation hold-out, or on the
 * training rows without one, named as nn_evaluate names them and, for
 * regression, in target units: the metrics option "name" registers.
 */
Jsonb *
FinalMetrics(const NNModel *m, const NNRows *d, const Split *s)
{
	bool		holdout = s->n_val > 0;
	Evaluator	ev;
	const EvalSums *e = &ev.sums;
	JsonbParseState *st = NULL;
	double		n;

	EvaluatorInit(&ev, m);
	EvaluateRows(&ev, d, holdout ? s->val : s->train, holdout ? s->n_val : s->n_train);
	n = (double) ev.rows;
	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	nn_json_key(&st, "on");
	nn_json_string(&st, holdout ? "validation" : "training");
	nn_json_key(&st, "rows");
	nn_json_int(&st, ev.rows);
	if (m->task == NN_TASK_CLASSIFICATION)
	{
		PushMetric(&st, "accuracy", e->correct / n);
		PushMetric(&st, "log_loss", e->loss / n);
	}
	else
	{
		/* sums in standardized units: y_std brings errors back to the target's */
		double		sst = e->sum_yy - e->sum_y * e->sum_y / n;
		double		mse = e->sse / n * m->y_std * m->y_std;

		PushMetric(&st, "mse", mse);
		PushMetric(&st, "rmse", sqrt(mse));
		PushMetric(&st, "mae", e->sae / n * m->y_std);
		PushMetric(&st, "r2", sst > 0 ? 1.0 - e->sse / sst : (e->sse == 0 ? 1.0 : 0.0));
	}
	return JsonbValueToJsonb(pushJsonbValue(&st, WJB_END_OBJECT, NULL));
}
