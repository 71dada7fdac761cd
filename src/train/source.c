/*
 * source.c - the source of training rows and its columns: resolve the
 * source (a table, view or single SELECT), check the target, feature and
 * weight columns, find the categories of text features and the widths of
 * array features, and build the SELECT that reads them; nn_rows_load puts
 * it together and hands the reading to rows.c.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/varlena.h"
#include "utils/rel.h"

#include "train/run.h"

/* ---------- source and columns ---------- */

/* source starts with the keyword (any case), not a longer word */
static bool
StartsWithWord(const char *source, const char *word)
{
	size_t		n = strlen(word);

	return pg_strncasecmp(source, word, n) == 0 && !isalnum((unsigned char) source[n]) &&
		source[n] != '_';
}

/*
 * A query: SELECT, WITH, TABLE or VALUES first (each parses as a
 * SelectStmt).  As names, these are reserved words, so a table called
 * "table" is written with its quotes and stays a name.
 */
static bool
IsQuery(const char *source)
{
	while (*source == ' ' || *source == '\t' || *source == '\n' || *source == '\r' || *source == '(')
		source++;
	return StartsWithWord(source, "select") || StartsWithWord(source, "with") ||
		StartsWithWord(source, "table") || StartsWithWord(source, "values");
}

/* a table or view name as SQL writes it: possibly qualified, possibly quoted */
static List *
SourceName(const char *source)
{
	char	   *copy = pstrdup(source);
	List	   *parts;

	if (!SplitIdentifierString(copy, '.', &parts) || parts == NIL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("source is neither a table or view name nor a query: \"%s\"", source),
				 errhint("A query starts with SELECT, WITH, TABLE or VALUES; a name may be schema-qualified, with double quotes around parts that need them.")));
	return stringToQualifiedNameList(source);
}

/*
 * A query source must parse as exactly one SELECT (WITH included), so that
 * wrapping it as a subquery cannot be escaped to run other statements.
 */
static void
SourceSyntaxErrorCallback(void *arg)
{
	int			pos = geterrposition();

	/* point the error cursor into the source text, not the calling query */
	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery((const char *) arg);
	}
}

static void
CheckSingleSelect(const char *query)
{
	ErrorContextCallback cb = {error_context_stack, SourceSyntaxErrorCallback, (void *) query};
	List	   *stmts;

	error_context_stack = &cb;
	stmts = raw_parser(query, RAW_PARSE_DEFAULT);
	error_context_stack = cb.previous;

	if (list_length(stmts) != 1 ||
		!IsA(castNode(RawStmt, linitial(stmts))->stmt, SelectStmt))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source query must be a single SELECT statement"),
				 errdetail("A query source may start with WITH, but cannot modify data or hold several statements.")));
}

/* The FROM item: a quoted relation name, or the query as a subquery. */
static char *
ResolveSource(const char *source, Oid *relid_out)
{
	RangeVar   *rv;
	Oid			relid;

	*relid_out = InvalidOid;
	if (IsQuery(source))
	{
		char	   *q = pstrdup(source);
		int			len = strlen(q);

		while (len > 0 && (q[len - 1] == ';' || isspace((unsigned char) q[len - 1])))
			q[--len] = '\0';
		CheckSingleSelect(q);
		return psprintf("(%s\n) AS nn_source", q);
	}
	rv = makeRangeVarFromNameList(SourceName(source));
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table or view not found: %s", source),
				 errhint("source is a table or view name, or a query starting with SELECT, WITH, TABLE or VALUES.")));
	*relid_out = relid;
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* the FROM item of a source, checked as nn_rows_load checks it */
char *
nn_source_from(const char *source)
{
	Oid			relid;

	return ResolveSource(source, &relid);
}

/* the same, and the table or view it names (InvalidOid for a query) */
char *
nn_source_from_relation(const char *source, Oid *relid)
{
	return ResolveSource(source, relid);
}

/*
 * The source's columns.  A table or view is described from the catalog, so
 * that a caller with SELECT on just the columns nn reads can train on it;
 * a query is planned and run with LIMIT 0.
 */
static TupleDesc
DescribeSource(const char *from, Oid relid)
{
	if (OidIsValid(relid))
	{
		Relation	rel = relation_open(relid, AccessShareLock);
		TupleDesc	desc = CreateTupleDescCopy(RelationGetDescr(rel));

		relation_close(rel, AccessShareLock);
		return desc;
	}
	if (SPI_execute(psprintf("SELECT * FROM %s LIMIT 0", from), true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not describe the source");
	return SPI_tuptable->tupdesc;
}

/* "Did you mean ...? " among the source's columns, or "" */
static char *
NearestColumn(TupleDesc desc, const char *name)
{
	const char **names = palloc(Max(desc->natts, 1) * sizeof(char *));

	for (int i = 0; i < desc->natts; i++)
		names[i] = TupleDescAttr(desc, i)->attisdropped ? NULL :
			NameStr(TupleDescAttr(desc, i)->attname);
	return nn_did_you_mean(name, names, desc->natts);
}

static int
FindColumn(TupleDesc desc, const char *name, const char *role)
{
	int			found = -1;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (found >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_COLUMN),
					 errmsg("%s column \"%s\" appears more than once in the source", role, name)));
		found = i;
	}
	if (found < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("%s column \"%s\" does not exist in the source", role, name),
				 errhint("%sColumn names are exact and case-sensitive.", NearestColumn(desc, name))));
	return found;
}

/*
 * The errhint for a date or time column: the extract(...) that makes
 * numbers of it in a query source (a date's parts; a time or an
 * interval's seconds); 0 for other types.
 */
static int
TemporalHint(Oid type, const char *name)
{
	const char *col = quote_identifier(name);
	const char *as = quote_identifier(psprintf("%s_epoch", name));

	if (type == DATEOID || type == TIMESTAMPOID || type == TIMESTAMPTZOID)
		return errhint("Use a query source that makes numbers of it, such as SELECT extract(epoch from %s) AS %s, ... (seconds), or parts such as extract(month from %s) or extract(dow from %s).",
					   col, as, col, col);
	if (type == TIMEOID || type == TIMETZOID || type == INTERVALOID)
		return errhint("Use a query source that makes a number of it, such as SELECT extract(epoch from %s) AS %s, ... (seconds).",
					   col, as);
	return 0;
}

static NNFeatureColumn
DescribeFeature(TupleDesc desc, int col)
{
	Form_pg_attribute att = TupleDescAttr(desc, col);
	NNFeatureColumn f = {0};

	f.name = pstrdup(NameStr(att->attname));
	f.width = 1;
	if (nn_is_numeric_scalar(att->atttypid))
	{
		f.kind = NN_COL_SCALAR;
		f.type = att->atttypid;
	}
	else if (att->atttypid == FLOAT4ARRAYOID || att->atttypid == FLOAT8ARRAYOID)
	{
		f.kind = NN_COL_ARRAY;
		f.type = att->atttypid == FLOAT4ARRAYOID ? FLOAT4OID : FLOAT8OID;
		f.width = -1;
	}
	else if (nn_is_category_type(att->atttypid))
	{
		f.kind = NN_COL_CATEGORY;
		f.type = TEXTOID;		/* read as text (BuildQuery casts) */
		f.width = -1;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("feature column \"%s\" has type %s", f.name, format_type_be(att->atttypid)),
				 errdetail("Features must be numeric, boolean, text, real[] or double precision[] columns."),
				 TemporalHint(att->atttypid, f.name)));
	f.categories = NULL;
	return f;
}

static NNTask
TaskForTarget(Oid type, int forced, const char *name)
{
	bool		label_type = type == TEXTOID || type == VARCHAROID || type == BPCHAROID ||
		type == BOOLOID || type == INT2OID || type == INT4OID || type == INT8OID;
	bool		value_type = type == FLOAT4OID || type == FLOAT8OID || type == NUMERICOID;

	if (!label_type && !value_type)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target column \"%s\" has type %s", name, format_type_be(type)),
				 errdetail("Targets must be text, boolean or integer (classification), or real, double precision or numeric (regression).")));
	if (forced == NN_TASK_REGRESSION && !(value_type || type == BOOLOID || type == INT2OID ||
										  type == INT4OID || type == INT8OID))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("target column \"%s\" has type %s, which cannot be a regression target",
						name, format_type_be(type))));
	if (forced >= 0)
		return (NNTask) forced;
	return label_type ? NN_TASK_CLASSIFICATION : NN_TASK_REGRESSION;
}

static void
AddFeature(NNRows *d, TupleDesc desc, int target_col, const char *name)
{
	int			col = FindColumn(desc, name, "feature");

	if (col == target_col)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column \"%s\" cannot be both the target and a feature", name)));
	for (int j = 0; j < d->n_features; j++)
		if (strcmp(d->features[j].name, name) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("feature column \"%s\" is listed more than once", name)));
	d->features[d->n_features++] = DescribeFeature(desc, col);
}

/*
 * A column of relation rel that identifies rows rather than describes
 * them: the primary key when it is one column, or an identity column.  A
 * view has neither in the catalog, nor a query (rel NULL).
 */
static const char *
IdentifierKind(Relation rel, AttrNumber attnum, const Bitmapset *pkey)
{
	if (rel == NULL)
		return NULL;
	if (bms_num_members(pkey) == 1 &&
		bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, pkey))
		return "the table's primary key";
	if (TupleDescAttr(RelationGetDescr(rel), attnum - 1)->attidentity != '\0')
		return "an identity column";
	return NULL;
}

/*
 * names NULL: every column but the target and weight column, in order,
 * and but a table's row identifier (IdentifierKind), with a NOTICE
 */
static void
ChooseFeatures(NNRows *d, TupleDesc desc, int target_col, char **names, int count, Oid relid)
{
	d->features = palloc((Max(desc->natts, count) + 1) * sizeof(NNFeatureColumn));
	d->n_features = 0;
	if (names == NULL)
	{
		Oid			constraint;
		Relation	rel = OidIsValid(relid) ? relation_open(relid, AccessShareLock) : NULL;
		Bitmapset  *pkey = rel != NULL ? get_primary_key_attnos(relid, false, &constraint) : NULL;

		for (int i = 0; i < desc->natts; i++)
		{
			const char *name = NameStr(TupleDescAttr(desc, i)->attname);
			const char *identifier;

			if (i == target_col || TupleDescAttr(desc, i)->attisdropped ||
				(d->weight_column != NULL && strcmp(name, d->weight_column) == 0))
				continue;
			if ((identifier = IdentifierKind(rel, i + 1, pkey)) != NULL)
			{
				ereport(NOTICE,
						(errmsg("column \"%s\" is not a feature: it is %s", name, identifier),
						 errhint("Name the features to use it.")));
				continue;
			}
			AddFeature(d, desc, target_col, name);
		}
		if (rel != NULL)
			relation_close(rel, AccessShareLock);
	}
	else
		for (int i = 0; i < count; i++)
			AddFeature(d, desc, target_col, names[i]);
	if (d->n_features == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("no feature columns"),
				 errdetail("The source needs at least one column besides the target.")));
}

static char **
FeatureNames(ArrayType *names, int *count)
{
	Datum	   *elems;
	bool	   *nulls;
	char	  **out;

	deconstruct_array(names, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, count);
	out = palloc((*count + 1) * sizeof(char *));
	for (int i = 0; i < *count; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("features must not contain NULL column names")));
		out[i] = TextDatumGetCString(elems[i]);
	}
	return out;
}

/*
 * The hold-out of strategy "aggregate": a row is held out when a hash of
 * its target and feature values, seeded, falls in the lowest fraction of
 * 2^53.  An aggregate query has no row positions (a parallel or distributed
 * scan has no order), so the choice rests on the values alone: the same
 * rows on every run, in any plan, on any node; equal rows fall together.
 */
char *
nn_holdout_sql(const char *target, char *const *features, int n_features, uint64 seed,
			   float fraction)
{
	StringInfoData q;

	initStringInfo(&q);
	appendStringInfo(&q, "(pg_catalog.hash_record_extended(ROW(%s", quote_identifier(target));
	for (int i = 0; i < n_features; i++)
		appendStringInfo(&q, ", %s", quote_identifier(features[i]));
	/* fraction * 2^53 is exact: a float has 24 bits of mantissa */
	appendStringInfo(&q, "), " INT64_FORMAT ") OPERATOR(pg_catalog.&) 9007199254740991) OPERATOR(pg_catalog.<) " INT64_FORMAT,
					 (int64) seed, (int64) ((double) fraction * 9007199254740992.0));
	return q.data;
}

static char *
BuildQuery(const NNRows *d, const char *from, const NNRowsSpec *spec)
{
	const char *target = spec->target;
	StringInfoData q;

	initStringInfo(&q);
	appendStringInfo(&q, "SELECT %s", quote_identifier(target));
	for (int i = 0; i < d->n_features; i++)
		appendStringInfo(&q, d->features[i].kind == NN_COL_CATEGORY ? ", %s::text" : ", %s",
						 quote_identifier(d->features[i].name));
	if (d->weight_column != NULL)
		appendStringInfo(&q, ", %s", quote_identifier(d->weight_column));
	appendStringInfo(&q, " FROM %s", from);
	if (spec->holdout_side != 0)
	{
		char	  **names = palloc(d->n_features * sizeof(char *));

		for (int i = 0; i < d->n_features; i++)
			names[i] = d->features[i].name;
		appendStringInfo(&q, " WHERE %s(%s)", spec->holdout_side > 0 ? "NOT " : "",
						 nn_holdout_sql(target, names, d->n_features, spec->holdout_seed,
										spec->holdout_fraction));
	}
	return q.data;
}

static void
DescribeWeightColumn(NNRows *d, TupleDesc desc, int target_col)
{
	int			col = FindColumn(desc, d->weight_column, "weight");
	bool		taken = col == target_col;

	for (int i = 0; i < d->n_features; i++)
		taken |= strcmp(d->features[i].name, d->weight_column) == 0;
	if (taken)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weight column \"%s\" is also the target or a feature", d->weight_column)));
	d->weight_type = TupleDescAttr(desc, col)->atttypid;
	if (!nn_is_numeric_scalar(d->weight_type))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("weight column \"%s\" has type %s; a numeric column is expected",
						d->weight_column, format_type_be(d->weight_type))));
}

/*
 * The distinct non-NULL values of a text column, sorted in byte order, in
 * cxt (SPI_execute leaves CurrentMemoryContext at SPI's procedure context,
 * which SPI_finish frees).
 */
static char **
DistinctValues(const char *from, const NNFeatureColumn *f, int *n, MemoryContext cxt)
{
	const char *col = quote_identifier(f->name);
	char	  **values;

	/* COLLATE "C": equality and order are those of the bytes, as in scoring */
	if (SPI_execute(psprintf("SELECT DISTINCT (%s::text) COLLATE \"C\" FROM %s WHERE %s IS NOT NULL ORDER BY 1",
							 col, from, col), true, NN_MAX_CATEGORIES + 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the categories of \"%s\"", f->name);
	if (SPI_processed > NN_MAX_CATEGORIES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("feature column \"%s\" has more than %d distinct values", f->name, NN_MAX_CATEGORIES),
				 errhint("A text feature is one-hot encoded; group rare values, or leave the column out.")));
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("text feature column \"%s\" has no non-NULL values", f->name)));
	*n = (int) SPI_processed;
	values = MemoryContextAlloc(cxt, *n * sizeof(char *));
	for (int i = 0; i < *n; i++)
	{
		values[i] = MemoryContextStrdup(cxt, SPI_getvalue(SPI_tuptable->vals[i],
														  SPI_tuptable->tupdesc, 1));
		if (strlen(values[i]) > NN_MAX_NAME_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("feature column \"%s\" has a value longer than %d bytes", f->name,
							NN_MAX_NAME_BYTES)));
	}
	SPI_freetuptable(SPI_tuptable);
	return values;
}

/* an array column's length, from its first non-NULL value; -1 if none */
static int
FirstArrayLength(const char *from, const NNFeatureColumn *f)
{
	const char *col = quote_identifier(f->name);
	bool		isnull;
	Datum		v;

	if (SPI_execute(psprintf("SELECT coalesce(cardinality(%s), 0) FROM %s WHERE %s IS NOT NULL LIMIT 1",
							 col, from, col), true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read feature column \"%s\"", f->name);
	if (SPI_processed == 0)
		return -1;
	v = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return DatumGetInt32(v);
}

/* a column must keep the kind the model was trained on */
static void
CheckModelKind(const NNFeatureColumn *f, const NNModel *model, int i)
{
	bool		was_text = nn_model_feature_kind(model, i) == NN_FEATURE_CATEGORICAL;

	if (was_text != (f->kind == NN_COL_CATEGORY))
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("feature column \"%s\" is %s, but the model was trained on %s", f->name,
						f->kind == NN_COL_CATEGORY ? "text" : "numeric",
						was_text ? "text" : "numbers")));
}

/*
 * What the rows need before they are read: the categories of text columns
 * (the model's, or the source's distinct values), and array widths that a
 * NULL array must be imputed at.
 */
static void
PrepareFeatures(NNRows *d, const char *from, const NNModel *model)
{
	bool		fill_arrays = d->impute == NN_IMPUTE_MEAN || d->impute == NN_IMPUTE_ZERO;

	for (int i = 0; i < d->n_features; i++)
	{
		NNFeatureColumn *f = &d->features[i];

		if (model != NULL)
			CheckModelKind(f, model, i);
		if (f->kind == NN_COL_CATEGORY && model != NULL)
		{
			f->categories = model->categories[i];
			f->width = (int) model->feature_widths[i];
		}
		else if (f->kind == NN_COL_CATEGORY)
			f->categories = DistinctValues(from, f, &f->width, d->cxt);
		else if (f->kind == NN_COL_ARRAY && fill_arrays)
			f->width = model != NULL ? (int) model->feature_widths[i] : FirstArrayLength(from, f);
	}
}

/*
 * Read the rows of spec->source into d (allocated in d->cxt).  For
 * nn_continue (spec->model set), the columns are the model's.
 */
void
nn_rows_load(NNRows *d, const NNRowsSpec *spec)
{
	char	   *from;
	TupleDesc	desc;
	int			target_col;
	char	  **names = NULL;
	int			n_names = 0;
	Oid			relid;
	MemoryContext old;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	from = ResolveSource(spec->source, &relid);
	desc = DescribeSource(from, relid);
	target_col = FindColumn(desc, spec->target, "target");
	d->target_type = TupleDescAttr(desc, target_col)->atttypid;
	d->task = TaskForTarget(d->target_type, spec->forced_task, spec->target);

	old = MemoryContextSwitchTo(d->cxt);
	d->target_name = pstrdup(spec->target);
	if (spec->model != NULL)
	{
		names = spec->model->feature_names;
		n_names = spec->model->n_features;
	}
	else if (spec->features != NULL)
		names = FeatureNames(spec->features, &n_names);
	d->weight_column = spec->weight_column != NULL ? pstrdup(spec->weight_column) : NULL;
	d->impute = spec->model != NULL ? (NNImpute) spec->model->impute : spec->impute;
	d->stream_all = spec->stream_all;
	d->streamed = spec->stream_all;
	ChooseFeatures(d, desc, target_col, names, n_names, relid);
	if (d->weight_column != NULL)
		DescribeWeightColumn(d, desc, target_col);
	CreateLabelTable(d);
	PrepareFeatures(d, from, spec->model);
	MemoryContextSwitchTo(old);

	d->n_inputs = -1;
	d->query = MemoryContextStrdup(d->cxt, BuildQuery(d, from, spec));
	ReadRows(d, d->query, spec->target);
	SPI_finish();
}
