/*
 * train.c - the SQL entry points nn_train, nn_continue and nn_init.
 *
 * nn_train reads its rows (rows.c), derives the classes and the
 * standardization (prepare.c), builds the network (build.c) and runs each
 * epoch through the nn_fit state functions in a fresh seeded order, with
 * the learning-rate schedule, a validation hold-out, early stopping and
 * class or row weights (epochs.c), or with strategy "aggregate" as one
 * nn_fit query over the source per epoch (aggregate.c); with the option
 * "name" it registers the model in nn_models.  nn_continue runs more epochs
 * of the same, from where a model stopped.
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

#include "train/run.h"

PG_FUNCTION_INFO_V1(nn_train);
PG_FUNCTION_INFO_V1(nn_continue);
PG_FUNCTION_INFO_V1(nn_init);

/* ---------- SQL functions ---------- */

/*
 * nn_train's option "name": register the trained model with nn_register,
 * in the schema of the calling function caller_fn, and say which version
 * it became.
 */
static void
nn_catalog_register(Oid caller_fn, const char *name, bytea *model, Jsonb *metrics)
{
	Oid			argtypes[3] = {TEXTOID, BYTEAOID, JSONBOID};
	Datum		args[3];
	char		nulls[3] = {' ', ' ', metrics == NULL ? 'n' : ' '};
	const char *nsp = quote_identifier(get_namespace_name(get_func_namespace(caller_fn)));
	bool		isnull;
	int32		version;
	bool		deployed;

	SPI_connect();
	args[0] = CStringGetTextDatum(name);
	args[1] = PointerGetDatum(model);
	args[2] = PointerGetDatum(metrics);
	if (SPI_execute_with_args(psprintf("SELECT %s.nn_register($1, $2, $3)", nsp),
							  3, argtypes, args, nulls, false, 1) != SPI_OK_SELECT)
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

/*
 * Strategy "aggregate": the first pass reads the training rows alone (the
 * hold-out is chosen by a hash of the values, source.c) for the classes and
 * the standardization, as strategy "memory" computes them.
 */
static void
AggregateFirstPass(const NNOptions *opts, NNRowsSpec *spec, Stream *st)
{
	nn_aggregate_check_options(opts);
	if (opts->validation_fraction <= 0)
		return;
	spec->holdout_side = 1;
	spec->holdout_seed = (uint64) opts->seed;
	spec->holdout_fraction = opts->validation_fraction;
	st->fraction = 0;
}

/* the rows of the first pass, once the model has what it needs from them */
static void
ReleaseRows(NNRows *d)
{
	if (d->x != NULL)
	{
		pfree(d->x);
		pfree(d->y);
		pfree(d->w);
		d->x = d->y = d->w = NULL;
	}
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
	Split	   *split = NULL;
	Stream		st = {0};
	int			n_hidden;
	int32	   *hidden;
	bytea	   *result;
	Jsonb	   *metrics = NULL;

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
	if (opts.strategy == NN_STRATEGY_AGGREGATE)
		AggregateFirstPass(&opts, &spec, &st);
	d.sink = StatsSink;
	d.sink_arg = &st;
	nn_progress_fn = "nn_train";
	ReportProgress("reading rows");
	LoadRows(&d, &spec);

	MemoryContextSwitchTo(cxt);
	m = BuildModel(&d, hidden, n_hidden, &opts);
	CheckDecision(m, &opts, &d, "nn_train");
	m->options_json = RecordOptions(&opts, m, NN_OPTIONS_TRAIN);
	if (opts.strategy == NN_STRATEGY_AGGREGATE)
	{
		NNOptions	first = opts;

		/* the rows read are the training rows: none of them is held out */
		first.validation_fraction = 0;
		PrepareRows(m, &d, &first, &st, opts.standardize);
		ReleaseRows(&d);
		metrics = nn_aggregate_train(m, spec.source, fcinfo->flinfo->fn_oid, &opts, opts.epochs,
									 opts.name != NULL);
	}
	else
	{
		split = PrepareRows(m, &d, &opts, &st, opts.standardize);
		RunEpochs(m, &d, split, &opts, opts.epochs, d.streamed ? &st : NULL, NULL);
		if (opts.threshold_f1)
			ChooseThreshold(m, &d, split, &opts);
	}
	EndProgress();

	MemoryContextSwitchTo(caller);
	/*
	 * Streamed rows are gone, and strategy "aggregate" kept only its
	 * hold-out (metrics from it, or none): nn_register then takes the
	 * history's metrics.
	 */
	if (metrics != NULL)
		metrics = (Jsonb *) PG_DETOAST_DATUM_COPY(JsonbPGetDatum(metrics));
	else if (opts.name != NULL && !d.streamed && split != NULL)
		metrics = FinalMetrics(m, &d, split);
	result = nn_model_to_bytea(m);
	MemoryContextDelete(cxt);
	if (opts.name != NULL)
		nn_catalog_register(fcinfo->flinfo->fn_oid, opts.name, result, metrics);
	PG_RETURN_BYTEA_P(result);
}

/* nn_continue's model, its record counting every epoch run */
static Datum
FinishContinue(NNModel *m, NNOptions *opts, int total, MemoryContext caller,
			   MemoryContext cxt)
{
	bytea	   *result;

	EndProgress();
	opts->epochs = total;
	m->options_json = nn_options_record(opts, NN_OPTIONS_TRAIN);
	MemoryContextSwitchTo(caller);
	result = nn_model_to_bytea(m);
	MemoryContextDelete(cxt);
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

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("nn_continue model and source must not be NULL")));
	nn_options_parse(PG_ARGISNULL(2) ? NULL : PG_GETARG_JSONB_P(2), NN_OPTIONS_CONTINUE, &more);
	MemoryContextSwitchTo(cxt);
	b = PG_GETARG_BYTEA_PP(0);
	m = nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), cxt);
	nn_fit_refuse_compressed(m, "nn_continue");
	if (m->n_features == 0 || m->target_name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_continue needs a model trained by nn_train"),
				 errhint("A model from nn_init names no columns; train it with the nn_fit aggregate.")));
	/* the model's own options, with epochs, verbose and adversarial from the caller */
	nn_options_from_record(m->options_json, &opts);
	total = opts.epochs + more.epochs;
	opts.epochs = more.epochs;
	opts.verbose = more.verbose;
	if (more.adversarial_given)
	{
		opts.adversarial_given = true;
		opts.adversarial = more.adversarial;
	}
	/* a threshold given replaces the model's ("f1": chosen again) */
	if (more.threshold_given)
	{
		opts.threshold = more.threshold;
		opts.threshold_f1 = more.threshold_f1;
	}

	/* before the record, which strategy "aggregate" hands to nn_fit: no rows yet */
	CheckDecision(m, &opts, &d, "nn_continue");
	/* the nn_fit state reads the adversarial setting from the record */
	m->options_json = nn_options_record(&opts, NN_OPTIONS_TRAIN);
	nn_progress_fn = "nn_continue";
	if (opts.strategy == NN_STRATEGY_AGGREGATE)
	{
		nn_aggregate_check_options(&opts);
		nn_aggregate_train(m, text_to_cstring(PG_GETARG_TEXT_PP(1)), fcinfo->flinfo->fn_oid,
						   &opts, total, false);
		return FinishContinue(m, &opts, total, caller, cxt);
	}
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
	ReportProgress("reading rows");
	LoadRows(&d, &spec);
	nn_rows_check_widths(&d, m);
	if (m->task == NN_TASK_CLASSIFICATION)
		nn_rows_map_classes(&d, m);
	CheckDecision(m, &opts, &d, "nn_continue");
	split = PrepareRows(m, &d, &opts, &st, false);
	RunEpochs(m, &d, split, &opts, total, d.streamed ? &st : NULL, NULL);
	if (opts.threshold_f1)
		ChooseThreshold(m, &d, split, &opts);
	return FinishContinue(m, &opts, total, caller, cxt);
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

	/* STRICT in every version: no argument is NULL here */
	nn_options_parse(PG_GETARG_JSONB_P(3), NN_OPTIONS_INIT, &opts);
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
