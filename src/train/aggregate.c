/*
 * aggregate.c - nn_train's strategy "aggregate": each epoch is one query,
 * SELECT nn_fit(model, nn_features_row(model, row), target) FROM source,
 * run through SPI, so that the planner may split it (parallel workers, or
 * Citus's shards) and nn_fit's combine average the partial models.
 *
 * The first pass is the one of strategy "memory" (prepare.c): classes,
 * categories, fill values and standardization from the training rows, in
 * memory or streamed; then the rows are let go.  The features of an epoch
 * come from nn_features_row, the encoding scoring uses, so the model scores
 * as one trained in memory.  There is no shuffling between epochs (an
 * ORDER BY inside nn_fit forbids partial aggregation, and no split plan
 * keeps an order); the hold-out is chosen by a seeded hash of each row's
 * values (source.c), and its rows, a fraction of the source, are held in
 * memory and scored after every epoch as in strategy "memory" (epochs.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "train/run.h"

struct NNAggregate
{
	char	   *query;			/* $1: the model, $2: the class labels */
	Datum		classes;		/* text[]; an empty one for regression */
};

/* options that nn_fit cannot carry out, refused by name */
void
nn_aggregate_check_options(const NNOptions *o)
{
	const char *key = o->weight_column != NULL ? "weight_column" :
		(o->class_weight_balanced || o->n_class_weights > 0) ? "class_weight" : NULL;

	if (key != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" cannot be used with strategy \"aggregate\"", key),
				 errdetail("Each epoch runs the nn_fit aggregate, which weighs every row 1."),
				 errhint("Use strategy \"memory\", or repeat rows to weigh them.")));
	if (o->threshold_f1 && o->validation_fraction <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold \"f1\" with strategy \"aggregate\" needs a validation hold-out"),
				 errdetail("The training rows pass through nn_fit and are not kept to choose the threshold on."),
				 errhint("Set validation_fraction, or give a threshold as a number.")));
}

/* the type of column target in the FROM item from */
static Oid
TargetType(const char *from, const char *target)
{
	if (SPI_execute(psprintf("SELECT %s FROM %s LIMIT 0", quote_identifier(target), from),
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not describe the target column \"%s\"", target);
	return TupleDescAttr(SPI_tuptable->tupdesc, 0)->atttypid;
}

/*
 * The target as nn_fit takes it: a class index, found among the model's
 * labels by the text rows.c gives a label (the type's output, booleans as
 * true and false), or the value as float8 then real, as rows.c reads it.
 */
static char *
TargetSql(const NNModel *m, const char *col, Oid type)
{
	if (m->task == NN_TASK_REGRESSION)
		return psprintf(type == BOOLOID ? "%s::int::float8::real" : "%s::float8::real", col);
	if (type == BOOLOID)
		return psprintf("(pg_catalog.array_position($2, CASE WHEN %s THEN 'true' ELSE 'false' END) - 1)::real",
						col);
	/*
	 * concat applies the output function: char(n) keeps its padding, as in
	 * rows.c.  Built-ins are schema-qualified here and below, so that a
	 * function of the same name on the caller's search_path cannot stand in.
	 */
	return psprintf("(pg_catalog.array_position($2, pg_catalog.concat(%s)) - 1)::real", col);
}

static Datum
ClassArray(const NNModel *m)
{
	Datum	   *labels = palloc(Max(m->n_classes, 1) * sizeof(Datum));

	for (uint32 c = 0; c < m->n_classes; c++)
		labels[c] = CStringGetTextDatum(m->classes[c]);
	return PointerGetDatum(construct_array(labels, (int) m->n_classes, TEXTOID, -1, false,
										   TYPALIGN_INT));
}

/*
 * The epoch's query over source for model m, its functions in the schema
 * of caller_fn: the columns the model reads, rows without a target left
 * out (as rows.c skips them) and, with a hold-out, the training rows only.
 */
NNAggregate *
nn_aggregate_plan(const NNModel *m, const char *source, Oid caller_fn, float fraction)
{
	NNAggregate *a = palloc(sizeof(NNAggregate));
	const char *nsp = quote_identifier(get_namespace_name(get_func_namespace(caller_fn)));
	const char *target = quote_identifier(m->target_name);
	Oid			relid;
	char	   *from = nn_source_from_relation(source, &relid);
	Oid			type;
	StringInfoData q;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	type = TargetType(from, m->target_name);
	SPI_finish();
	initStringInfo(&q);
	/* nn_row.*: the whole row, even where a column is named nn_row */
	appendStringInfo(&q, "SELECT %s.nn_fit($1, %s.nn_features_row($1, nn_row.*), %s)\nFROM ",
					 nsp, nsp, TargetSql(m, target, type));
	/*
	 * A table the caller may read whole is the row itself: Citus ships a
	 * whole-row reference of a subquery to its workers as ROW(...) without
	 * the column names nn_features_row looks for, but a table's as its row
	 * type.  Otherwise (a query, or SELECT on some columns only) a subquery
	 * of the columns the model reads.
	 */
	if (OidIsValid(relid) && pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
		appendStringInfo(&q, "%s AS nn_row", from);
	else
	{
		appendStringInfo(&q, "(SELECT %s", target);
		for (uint32 i = 0; i < m->n_features; i++)
			appendStringInfo(&q, ", %s", quote_identifier(m->feature_names[i]));
		appendStringInfo(&q, " FROM %s) AS nn_row", from);
	}
	appendStringInfo(&q, "\nWHERE %s IS NOT NULL", target);
	if (fraction > 0)
		appendStringInfo(&q, " AND NOT %s",
						 nn_holdout_sql(m->target_name, m->feature_names, (int) m->n_features,
										m->seed, fraction));
	a->query = q.data;
	a->classes = ClassArray(m);
	return a;
}

/* what one nn_fit pass changes in a model, taken from its result (into cxt) */
static void
TakeTrained(NNModel *m, const NNModel *r, MemoryContext cxt)
{
	NNNet	   *net = &m->net;
	NNEpochStats *h = MemoryContextAlloc(cxt, r->n_history * sizeof(NNEpochStats));

	memcpy(net->params, r->net.params, net->n_params * sizeof(float));
	memcpy(net->stats, r->net.stats, net->n_stats * sizeof(float));
	memcpy(net->opt_state, r->net.opt_state, nn_net_state_floats(net) * sizeof(float));
	net->opt_step = r->net.opt_step;
	m->rng = r->rng;
	m->rows_trained = r->rows_trained;
	m->epochs_run = r->epochs_run;
	memcpy(h, r->history, r->n_history * sizeof(NNEpochStats));
	m->history = h;
	m->n_history = r->n_history;
}

/*
 * One epoch: the query over the model as it stands, the learning rate
 * scaled by the schedule's factor (nn_fit reads the rate from the bytes;
 * the product is the one the optimizer would form).
 */
void
nn_aggregate_pass(const NNAggregate *a, NNModel *m)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "nn_train epoch",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	float		rate = m->net.opt.learning_rate;
	Oid			types[2] = {BYTEAOID, TEXTARRAYOID};
	Datum		args[2];
	int			guc_level = NewGUCNestLevel();
	bool		isnull;
	Datum		result;
	bytea	   *b;

	m->net.opt.learning_rate = rate * m->net.lr_factor;
	args[0] = PointerGetDatum(nn_model_to_bytea(m));
	m->net.opt.learning_rate = rate;
	args[1] = a->classes;
	/* a synchronized scan could start mid-table and change the row order */
	(void) set_config_option("synchronize_seqscans", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* count 0: a row limit would rule out a parallel plan */
	if (SPI_execute_with_args(a->query, 2, types, args, NULL, true, 0) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "the nn_fit query of an epoch failed");
	result = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("no training rows: nn_fit saw no row of the source"),
				 errdetail("The rows changed since the first pass, or every row is held out or has a NULL.")));
	b = DatumGetByteaPP(result);
	TakeTrained(m, nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), cxt), old);
	SPI_finish();
	AtEOXact_GUC(true, guc_level);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* why a class can be missing: the hold-out's rows are not the first pass's */
static void
HoldoutContext(void *arg)
{
	(void) arg;
	errcontext("reading the validation hold-out, whose classes must occur among the training rows "
			   "(a row is held out by a hash of its values: lower validation_fraction or change seed)");
}

/*
 * The hold-out's rows, in memory, as a split of validation rows alone: read
 * with the model's columns and classes, NULLs filled as the model fills them.
 */
static Split *
LoadHoldout(NNRows *d, NNModel *m, const char *source, float fraction)
{
	NNRowsSpec	spec = {0};
	Split	   *s = palloc0(sizeof(Split));

	if (fraction <= 0)
		return s;
	d->cxt = CurrentMemoryContext;
	spec.source = source;
	spec.target = m->target_name;
	spec.forced_task = m->task;
	spec.model = m;
	spec.holdout_side = -1;
	spec.holdout_seed = m->seed;
	spec.holdout_fraction = fraction;
	ReadSource(d, &spec);
	if (d->n_rows == 0)
		return s;				/* nothing held out: no validation */
	nn_rows_check_widths(d, m);
	if (m->task == NN_TASK_CLASSIFICATION)
	{
		ErrorContextCallback context = {error_context_stack, HoldoutContext, NULL};

		error_context_stack = &context;
		nn_rows_map_classes(d, m);
		error_context_stack = context.previous;
	}
	FillMissing(d, m);
	s->n_val = d->n_rows;
	s->val = MemoryContextAllocHuge(CurrentMemoryContext, Max(d->n_rows, 1) * sizeof(uint32));
	for (int64 r = 0; r < d->n_rows; r++)
		s->val[r] = (uint32) r;
	return s;
}

Jsonb *
nn_aggregate_train(NNModel *m, const char *source, Oid caller_fn, NNOptions *opts,
				   int total, bool want_metrics)
{
	NNRows		holdout = {0};
	Split	   *s = LoadHoldout(&holdout, m, source, opts->validation_fraction);

	/*
	 * The epochs' models cross nn_fit as bytes, which a reader checks:
	 * their record holds no "f1" threshold, only the one chosen after.
	 */
	if (opts->threshold_f1)
	{
		NNOptions	pending = *opts;

		pending.threshold_f1 = false;
		pending.threshold = 0.5f;
		m->options_json = nn_options_record(&pending, NN_OPTIONS_TRAIN);
	}
	RunEpochs(m, &holdout, s, opts, total, NULL,
			  nn_aggregate_plan(m, source, caller_fn, opts->validation_fraction));
	if (opts->threshold_f1 && s->n_val == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("threshold \"f1\" with strategy \"aggregate\": the validation hold-out holds no row"),
				 errdetail("A row is held out when a hash of its values falls below validation_fraction, and no row of the source did."),
				 errhint("Raise validation_fraction, or give a threshold as a number.")));
	if (opts->threshold_f1)
		ChooseThreshold(m, &holdout, s, opts);
	/* the training rows were never in memory: only a hold-out can be scored */
	return want_metrics && s->n_val > 0 ? FinalMetrics(m, &holdout, s) : NULL;
}
