/*
 * fit.c - the nn_fit aggregate: one pass of minibatch updates over the rows
 * it receives.  Rows gather in a batch buffer; each full buffer is one
 * training step.  Partial states (parallel workers, or Citus shards) are
 * combined by averaging their models weighted by the rows each trained.
 * nn_train drives its epochs through the same state functions.
 *
 * Since 1.6 the aggregate's state is the type nn_fit_state (fit_state.c:
 * an expanded object around NNFitState); the functions over an internal
 * state stay for installations whose SQL objects predate it.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "kernels/recurrent_layer.h"
#include "train/run.h"

PG_FUNCTION_INFO_V1(nn_fit_transfn);
PG_FUNCTION_INFO_V1(nn_fit_finalfn);
PG_FUNCTION_INFO_V1(nn_fit_combinefn);
PG_FUNCTION_INFO_V1(nn_fit_serialfn);
PG_FUNCTION_INFO_V1(nn_fit_deserialfn);
PG_FUNCTION_INFO_V1(nn_fit_accum);
PG_FUNCTION_INFO_V1(nn_fit_combine);
PG_FUNCTION_INFO_V1(nn_fit_final);

static void *
AllocHuge(MemoryContext cxt, size_t count, size_t size)
{
	/* counts come from a validated model, within documented limits */
	return MemoryContextAllocExtended(cxt, Max(count * size, 1), MCXT_ALLOC_HUGE);
}

/*
 * A minibatch's activations and gradients grow with batch_size times the
 * layer widths (a recurrent layer's times its steps), and adversarial
 * training adds its attack's buffers; check them against nn.train_memory
 * before allocating.
 */
static void
CheckWorkspace(const NNModel *m, size_t batch)
{
	const NNNet *net = &m->net;
	double		floats = (double) nn_work_floats(net, batch, true) +
		(double) batch * (nn_net_inputs(net) + 2) + nn_fit_attack_floats(m, batch);
	NNBudget	b = nn_train_budget();
	bool		recurrent = false;

	/* backpropagation through time keeps every step: the steps count too */
	for (uint32 l = 0; l < net->n_layers; l++)
		recurrent |= nn_recurrent_gates((NNLayerKind) net->layers[l].kind) > 0;
	nn_budget_check(&b, floats * sizeof(float),
					psprintf("training a minibatch of %zu rows", batch),
					recurrent ? "Lower batch_size, the units or the steps of the sequences" :
					"Lower batch_size or the layer widths");
}

/*
 * A stripped or quantized model (format version 4) has no optimizer state
 * to continue from, and a quantized one's weights are rounded: training
 * would not be the run the model records.
 */
void
nn_fit_refuse_compressed(const NNModel *model, const char *fn)
{
	if (model->storage != NN_STORAGE_FLOAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s cannot train a %s model", fn,
						model->storage == NN_STORAGE_INT8 ? "quantized" : "stripped"),
				 errdetail("It is a scoring-only model without optimizer state (made by %s).",
						   model->storage == NN_STORAGE_INT8 ? "nn_quantize" : "nn_strip"),
				 errhint("Train the original model, then compress it again.")));
}

NNFitState *
nn_fit_state_create(NNModel *model, MemoryContext cxt)
{
	NNFitState *s = MemoryContextAllocZero(cxt, sizeof(NNFitState));
	NNNet	   *net = &model->net;
	size_t		batch = net->batch_size;

	nn_blas_core_check();
	CheckWorkspace(model, batch);
	s->cxt = cxt;
	s->model = model;
	s->n_inputs = nn_model_inputs(model);
	s->batch_x = AllocHuge(cxt, batch * s->n_inputs, sizeof(float));
	s->batch_y = AllocHuge(cxt, batch, sizeof(float));
	s->batch_w = AllocHuge(cxt, batch, sizeof(float));
	nn_work_bind(&s->work, net,
				 AllocHuge(cxt, nn_work_floats(net, batch, true), sizeof(float)),
				 batch, true);
	s->work.threads = nn_training_threads();
	s->attack = nn_fit_attack_create(model, cxt, batch);
	return s;
}

static void
Diverged(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
			 errmsg("training diverged: the loss or the weights became infinite or NaN"),
			 errhint("Lower learning_rate, or standardize the features.")));
}

static void
TrainPending(NNFitState *s)
{
	NNModel    *m = s->model;
	double		loss;

	if (s->pending == 0)
		return;
	CHECK_FOR_INTERRUPTS();
	if (m->standardized)
		nn_standardize_rows(s->batch_x, m->x_mean, m->x_std, s->pending, s->n_inputs);
	if (s->attack != NULL)
		nn_fit_attack_apply(s->attack, m, &s->work, s->batch_x, s->batch_y, s->pending);
	loss = nn_net_train_batch(&m->net, &s->work, s->batch_x, s->batch_y, s->batch_w,
							  s->pending, &m->rng);
	/* the loss floors probabilities, so also look at the outputs themselves */
	if (!isfinite(loss) ||
		!nn_all_finite(s->work.acts[m->net.n_layers],
					   (size_t) s->pending * nn_net_outputs(&m->net)))
		Diverged();
	s->pass_loss += loss;
	s->pass_rows += s->pending;
	s->pending = 0;
}

/* a state that changes after a final function no longer holds its model */
static void
ForgetFinished(NNFitState *s)
{
	if (s->finished != NULL)
	{
		pfree(s->finished);
		s->finished = NULL;
	}
}

/* x holds raw features; classifiers take a class index as target */
void
nn_fit_state_add(NNFitState *s, const float *x, float target, float weight)
{
	NNModel    *m = s->model;

	ForgetFinished(s);
	if (m->task == NN_TASK_REGRESSION && m->standardized)
		target = (target - m->y_mean) / m->y_std;
	memcpy(s->batch_x + (size_t) s->pending * s->n_inputs, x, s->n_inputs * sizeof(float));
	s->batch_w[s->pending] = weight;
	s->batch_y[s->pending++] = target;
	if (s->pending == m->net.batch_size)
		TrainPending(s);
}

double
nn_fit_state_mean_loss(const NNFitState *s)
{
	return s->pass_rows > 0 ? s->pass_loss / s->pass_rows : NAN;
}

static void
AppendHistory(NNModel *m, MemoryContext cxt, float train_loss)
{
	NNEpochStats *h;

	if (m->n_history >= NN_MAX_HISTORY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("model already records %d epochs, the most a model can hold", NN_MAX_HISTORY)));
	h = MemoryContextAlloc(cxt, (m->n_history + 1) * sizeof(NNEpochStats));
	if (m->n_history > 0)
		memcpy(h, m->history, m->n_history * sizeof(NNEpochStats));
	h[m->n_history].train_loss = train_loss;
	h[m->n_history].val_loss = NAN;
	h[m->n_history].val_metric = NAN;
	m->history = h;
	m->n_history++;
}

NNModel *
nn_fit_state_finish(NNFitState *s)
{
	NNModel    *m = s->model;

	TrainPending(s);
	/* the last update may have overflowed after its forward pass */
	if (!nn_net_state_finite(&m->net))
		Diverged();
	AppendHistory(m, s->cxt, (float) nn_fit_state_mean_loss(s));
	m->rows_trained += s->pass_rows;
	m->epochs_run++;
	s->pass_rows = 0;
	s->pass_loss = 0;
	return m;
}

/* ---------- the aggregate ---------- */

/*
 * The model of a final function.  Finishing changes the state (the
 * pending rows trained, an epoch counted), and PostgreSQL may finalize
 * one state more than once: a rescan that reuses its hash table runs the
 * final function again on each group.  So the state is finished once, its
 * bytes kept in its memory, and each call returns a copy.
 */
static bytea *
FinishOnce(NNFitState *s)
{
	bytea	   *copy;

	if (s->finished == NULL)
	{
		NNModel    *m = nn_fit_state_finish(s);
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		s->finished = nn_model_to_bytea(m);
		MemoryContextSwitchTo(old);
	}
	copy = palloc(VARSIZE(s->finished));
	memcpy(copy, s->finished, VARSIZE(s->finished));
	return copy;
}

static MemoryContext
AggContext(FunctionCallInfo fcinfo, const char *fn)
{
	MemoryContext cxt;

	if (!AggCheckCallContext(fcinfo, &cxt))
		elog(ERROR, "%s called in non-aggregate context", fn);
	return cxt;
}

static float
CheckTarget(const NNModel *m, float target)
{
	if (!isfinite(target))
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("nn_fit target must be finite, got %g", target)));
	if (m->task == NN_TASK_CLASSIFICATION &&
		(target < 0 || target >= m->n_classes || target != floorf(target)))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("nn_fit target %g is not a class index", target),
				 errdetail("Classifier targets are integers from 0 to %u.", m->n_classes - 1)));
	return target;
}

/* a row without features or target teaches nothing */
static bool
RowSkipped(FunctionCallInfo fcinfo)
{
	return PG_ARGISNULL(2) || PG_ARGISNULL(3);
}

/* the state of a group's first row: its model argument, read into cxt */
static NNFitState *
StartState(FunctionCallInfo fcinfo, MemoryContext cxt)
{
	NNModel    *m;

	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_fit model must not be NULL"),
				 errhint("Start from nn_init(...) or a trained model.")));
	/* the model is read from the first row only */
	m = nn_model_from_bytes(VARDATA_ANY(PG_GETARG_BYTEA_PP(1)),
							VARSIZE_ANY_EXHDR(PG_GETARG_BYTEA_PP(1)), cxt);
	nn_fit_refuse_compressed(m, "nn_fit");
	return nn_fit_state_create(m, cxt);
}

static void
AddRow(FunctionCallInfo fcinfo, NNFitState *s)
{
	int			n;
	float	   *x = nn_array_floats(PG_GETARG_ARRAYTYPE_P(2), "nn_fit features", &n);

	nn_check_features(x, n, s->n_inputs);
	nn_fit_state_add(s, x, CheckTarget(s->model, PG_GETARG_FLOAT4(3)), 1.0f);
}

/* the transition over an internal state, which versions before 1.6 name */
Datum
nn_fit_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "nn_fit_transfn");
	NNFitState *s = PG_ARGISNULL(0) ? NULL : (NNFitState *) PG_GETARG_POINTER(0);

	if (RowSkipped(fcinfo))
	{
		if (s == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(s);
	}
	if (s == NULL)
		s = StartState(fcinfo, cxt);
	AddRow(fcinfo, s);
	PG_RETURN_POINTER(s);
}

/*
 * The transition over nn_fit_state.  The state is an expanded object in a
 * child context of the aggregate's: returned read/write, nodeAgg keeps it
 * without copying, and each row changes it in place.
 */
Datum
nn_fit_accum(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "nn_fit_accum");
	FitStateObject *o = PG_ARGISNULL(0) ? NULL : FitStateGet(PG_GETARG_DATUM(0), cxt, true);

	if (RowSkipped(fcinfo))
	{
		if (o == NULL)
			PG_RETURN_NULL();
		PG_RETURN_DATUM(EOHPGetRWDatum(&o->hdr));
	}
	if (o == NULL)
	{
		o = FitStateNew(cxt);
		o->state = StartState(fcinfo, o->hdr.eoh_context);
	}
	AddRow(fcinfo, o->state);
	PG_RETURN_DATUM(EOHPGetRWDatum(&o->hdr));
}

/* the final function over an internal state (before 1.6) */
Datum
nn_fit_finalfn(PG_FUNCTION_ARGS)
{
	NNFitState *s;

	AggContext(fcinfo, "nn_fit_finalfn");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	s = (NNFitState *) PG_GETARG_POINTER(0);
	PG_RETURN_BYTEA_P(FinishOnce(s));
}

/* dst = (dst * wd + src * ws) / (wd + ws) */
static void
AverageInto(float *dst, const float *src, size_t n, double wd, double ws)
{
	float		a = (float) (wd / (wd + ws));
	float		b = (float) (ws / (wd + ws));

	for (size_t i = 0; i < n; i++)
		dst[i] = a * dst[i] + b * src[i];
}

NNFitState *
FitStateCopy(const NNFitState *src, MemoryContext cxt)
{
	NNFitState *s = nn_fit_state_create(nn_model_copy(src->model, cxt), cxt);

	memcpy(s->batch_x, src->batch_x, (size_t) src->pending * s->n_inputs * sizeof(float));
	memcpy(s->batch_y, src->batch_y, src->pending * sizeof(float));
	memcpy(s->batch_w, src->batch_w, src->pending * sizeof(float));
	s->pending = src->pending;
	s->pass_rows = src->pass_rows;
	s->pass_loss = src->pass_loss;
	return s;
}

static void
MergeInto(NNFitState *dst, const NNFitState *src)
{
	NNNet	   *d = &dst->model->net;
	const NNNet *n = &src->model->net;
	/* equal weights when neither side has trained a batch yet */
	double		wd = dst->pass_rows > 0 || src->pass_rows > 0 ? dst->pass_rows : 1;
	double		ws = dst->pass_rows > 0 || src->pass_rows > 0 ? src->pass_rows : 1;
	const char *differs = nn_model_setup_differs(dst->model, src->model);

	/* the same layout also means the same sizes of everything averaged */
	if (differs != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("nn_fit cannot combine partial states of different models"),
				 errdetail("The models differ in their %s.", differs),
				 errhint("Start every partial state from the same model.")));
	ForgetFinished(dst);
	AverageInto(d->params, n->params, d->n_params, wd, ws);
	AverageInto(d->opt_state, n->opt_state, nn_net_state_floats(d), wd, ws);
	AverageInto(d->stats, n->stats, d->n_stats, wd, ws);
	d->opt_step = Max(d->opt_step, n->opt_step);
	dst->pass_rows += src->pass_rows;
	dst->pass_loss += src->pass_loss;
	/* rows src had not trained yet join dst's buffer */
	for (uint32 i = 0; i < src->pending; i++)
	{
		memcpy(dst->batch_x + (size_t) dst->pending * dst->n_inputs,
			   src->batch_x + (size_t) i * src->n_inputs, dst->n_inputs * sizeof(float));
		dst->batch_w[dst->pending] = src->batch_w[i];
		dst->batch_y[dst->pending++] = src->batch_y[i];
		if (dst->pending == d->batch_size)
			TrainPending(dst);
	}
}

/* the combine function over an internal state (before 1.6) */
Datum
nn_fit_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "nn_fit_combinefn");
	NNFitState *s1 = PG_ARGISNULL(0) ? NULL : (NNFitState *) PG_GETARG_POINTER(0);
	NNFitState *s2 = PG_ARGISNULL(1) ? NULL : (NNFitState *) PG_GETARG_POINTER(1);

	if (s2 == NULL)
		PG_RETURN_POINTER(s1);
	if (s1 == NULL)
		PG_RETURN_POINTER(FitStateCopy(s2, cxt));
	MergeInto(s1, s2);
	PG_RETURN_POINTER(s1);
}

/*
 * An internal state as bytes for parallel workers (before 1.6), and back:
 * they are nn_fit_state's bytes, which never outlive the query.
 */
Datum
nn_fit_serialfn(PG_FUNCTION_ARGS)
{
	AggContext(fcinfo, "nn_fit_serialfn");
	PG_RETURN_BYTEA_P(FitStateFlatten((NNFitState *) PG_GETARG_POINTER(0)));
}

Datum
nn_fit_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext cxt = AggContext(fcinfo, "nn_fit_deserialfn");
	bytea	   *b = PG_GETARG_BYTEA_PP(0);

	PG_RETURN_POINTER(FitStateParse(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), cxt));
}

/*
 * The combine over nn_fit_state, also callable on its own (other sharding
 * tools).  In an aggregate the first state is the aggregate's own and
 * changes in place; the second is never changed.  Flat states (from
 * another process) are read into a new object first.
 */
Datum
nn_fit_combine(PG_FUNCTION_ARGS)
{
	MemoryContext agg;
	MemoryContext cxt = AggCheckCallContext(fcinfo, &agg) ? agg : CurrentMemoryContext;
	FitStateObject *dst;
	FitStateObject *src;
	bool		src_flat;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	/* the first partial state: a copy of it becomes the aggregate's */
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(EOHPGetRWDatum(&FitStateCopyOf(PG_GETARG_DATUM(1), cxt)->hdr));
	dst = FitStateGet(PG_GETARG_DATUM(0), cxt, true);
	src_flat = !VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(PG_GETARG_DATUM(1)));
	src = FitStateGet(PG_GETARG_DATUM(1), CurrentMemoryContext, false);
	if (src == dst)
	{
		/* a state combined with itself: merge a copy */
		src = FitStateCopyOf(PG_GETARG_DATUM(1), CurrentMemoryContext);
		src_flat = true;
	}
	MergeInto(dst->state, src->state);
	/* a state read here for this call: free its model now */
	if (src_flat)
		DeleteExpandedObject(EOHPGetRWDatum(&src->hdr));
	PG_RETURN_DATUM(EOHPGetRWDatum(&dst->hdr));
}

/*
 * The final function over nn_fit_state: train the pending rows, return
 * the model.  nn_fit declares FINALFUNC_MODIFY = READ_WRITE, so in the
 * aggregate the state is finished in place, once (FinishOnce); called on
 * its own, on a copy unless given a read/write value.
 */
Datum
nn_fit_final(PG_FUNCTION_ARGS)
{
	bool		in_agg = AggCheckCallContext(fcinfo, NULL) != 0;
	FitStateObject *o;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	o = FitStateGet(PG_GETARG_DATUM(0), CurrentMemoryContext, !in_agg);
	PG_RETURN_BYTEA_P(FinishOnce(o->state));
}
