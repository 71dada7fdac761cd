/*
 * fit_state.c - nn_fit_state, the transition value of the nn_fit aggregate
 * as a SQL type, so that partial states can travel as values: between
 * PostgreSQL's parallel workers, and between Citus's nodes (which push a
 * custom aggregate down only when its state type is a real type).
 *
 * In memory a state is an expanded object (utils/expandeddatum.h) wrapping
 * the NNFitState that fit.c trains: nodeAgg keeps a read/write expanded
 * transition value that lives under the aggregate's context across rows,
 * so a row costs what it did when the state was internal.  Flattened, it is
 * the versioned bytes of formats/fit_state.h; the binary send/receive form
 * is those bytes and the text form their base64.  Every reader validates
 * in full: a corrupted state is an error naming what is wrong.
 */
#include "postgres.h"

#include "common/base64.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/memutils.h"

#include "formats/fit_state.h"
#include "train/run.h"

PG_FUNCTION_INFO_V1(nn_fit_state_in);
PG_FUNCTION_INFO_V1(nn_fit_state_out);
PG_FUNCTION_INFO_V1(nn_fit_state_recv);
PG_FUNCTION_INFO_V1(nn_fit_state_send);

static Size FitStateFlatSize(ExpandedObjectHeader *eohptr);
static void FitStateFlattenInto(ExpandedObjectHeader *eohptr, void *result, Size allocated_size);

static const ExpandedObjectMethods FitStateMethods = {
	FitStateFlatSize,
	FitStateFlattenInto
};

static void
BadState(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid nn_fit_state: %s", what),
			 errhint("A state is what nn_fit_partial returns, read back from its own text or binary form.")));
}

FitStateObject *
FitStateNew(MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nn_fit_state", ALLOCSET_DEFAULT_SIZES);
	FitStateObject *o = MemoryContextAllocZero(cxt, sizeof(FitStateObject));

	EOH_init_header(&o->hdr, &FitStateMethods, cxt);
	return o;
}

/* the flat size: the model's bytes are made here and kept for flatten_into */
static Size
FitStateFlatSize(ExpandedObjectHeader *eohptr)
{
	FitStateObject *o = (FitStateObject *) eohptr;
	NNFitState *s = o->state;
	MemoryContext old;
	Size		size;

	if (o->model_bytes != NULL)
		pfree(o->model_bytes);
	old = MemoryContextSwitchTo(eohptr->eoh_context);
	o->model_bytes = nn_model_to_bytea(s->model);
	MemoryContextSwitchTo(old);
	size = add_size(VARHDRSZ + NN_FIT_STATE_HEADER, VARSIZE(o->model_bytes) - VARHDRSZ);
	size = add_size(size, nn_fit_state_rows_size(s->pending, s->n_inputs));
	if (size > MaxAllocSize)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nn_fit_state of %zu bytes exceeds the 1 GB limit of a value", size)));
	return size;
}

static void
FitStateFlattenInto(ExpandedObjectHeader *eohptr, void *result, Size allocated_size)
{
	FitStateObject *o = (FitStateObject *) eohptr;
	NNFitState *s = o->state;
	NNFitStateBytes st;
	char	   *p;

	if (o->model_bytes == NULL)
		elog(ERROR, "nn_fit_state flattened without its size asked first");
	st.pass_rows = s->pass_rows;
	st.pass_loss = s->pass_loss;
	st.pending = s->pending;
	st.n_inputs = s->n_inputs;
	st.model_len = VARSIZE(o->model_bytes) - VARHDRSZ;
	st.model = VARDATA(o->model_bytes);
	SET_VARSIZE(result, allocated_size);
	p = nn_fit_state_write_head(VARDATA(result), &st);
	for (uint32 r = 0; r < s->pending; r++)
		p = nn_fit_state_write_row(p, s->batch_x + (size_t) r * s->n_inputs, s->n_inputs,
								   s->batch_y[r], s->batch_w[r]);
	if (p != (char *) result + allocated_size)
		elog(ERROR, "nn_fit_state flattened to %zu bytes, %zu expected",
			 (size_t) (p - (char *) result), (size_t) allocated_size);
	pfree(o->model_bytes);
	o->model_bytes = NULL;
}

bytea *
FitStateFlatten(NNFitState *s)
{
	FitStateObject o = {.state = s};
	Size		size;
	bytea	   *b;

	o.hdr.eoh_context = CurrentMemoryContext;
	size = FitStateFlatSize(&o.hdr);
	b = palloc(size);
	FitStateFlattenInto(&o.hdr, b, size);
	return b;
}

/* the model reader's errors say what is wrong with the model; say where it was */
static void
ModelContext(void *arg)
{
	errcontext("reading the model inside an nn_fit_state");
}

/* read and check the bytes of a state and its model (read into cxt) */
static NNModel *
ReadChecked(const char *data, size_t len, MemoryContext cxt, NNFitStateBytes *st)
{
	const char *bad = nn_fit_state_read(data, len, st);
	ErrorContextCallback callback = {.previous = error_context_stack,.callback = ModelContext};
	NNModel    *m;

	if (bad != NULL && st->version != NN_FIT_STATE_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid nn_fit_state: unsupported version %u", st->version),
				 errdetail("This nn reads and writes version %d.", NN_FIT_STATE_VERSION),
				 errhint("Partial states are combined by the nn that made them: use one nn version on every node.")));
	if (bad != NULL)
		BadState(bad);
	error_context_stack = &callback;
	m = nn_model_from_bytes(st->model, st->model_len, cxt);
	error_context_stack = callback.previous;
	if ((bad = nn_fit_state_check(st, m)) != NULL)
		BadState(bad);
	return m;
}

NNFitState *
FitStateParse(const char *data, size_t len, MemoryContext cxt)
{
	NNFitStateBytes st;
	NNModel    *m = ReadChecked(data, len, cxt, &st);
	NNFitState *s = nn_fit_state_create(m, cxt);

	s->pass_rows = st.pass_rows;
	s->pass_loss = st.pass_loss;
	s->pending = st.pending;
	for (uint32 r = 0; r < st.pending; r++)
		nn_fit_state_row(&st, r, s->batch_x + (size_t) r * s->n_inputs, &s->batch_y[r],
						 &s->batch_w[r]);
	return s;
}

/*
 * A flat state from bytes a user gave, validated in full (a valid state
 * has one encoding, the model's included, so the bytes are kept as given).
 */
static Datum
ValidatedCopy(const char *data, size_t len)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "nn_fit_state check",
											  ALLOCSET_DEFAULT_SIZES);
	NNFitStateBytes st;
	struct varlena *v;

	ReadChecked(data, len, cxt, &st);
	MemoryContextDelete(cxt);
	v = palloc(VARHDRSZ + len);
	SET_VARSIZE(v, VARHDRSZ + len);
	memcpy(VARDATA(v), data, len);
	return PointerGetDatum(v);
}

static FitStateObject *
ParseObject(const char *data, size_t len, MemoryContext parent)
{
	FitStateObject *o = FitStateNew(parent);

	o->state = FitStateParse(data, len, o->hdr.eoh_context);
	return o;
}

FitStateObject *
FitStateCopyOf(Datum d, MemoryContext parent)
{
	FitStateObject *o;
	struct varlena *flat;

	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		o = FitStateNew(parent);
		o->state = FitStateCopy(FitStateGet(d, parent, false)->state, o->hdr.eoh_context);
		return o;
	}
	flat = PG_DETOAST_DATUM(d);
	o = ParseObject(VARDATA(flat), VARSIZE(flat) - VARHDRSZ, parent);
	if ((Pointer) flat != DatumGetPointer(d))
		pfree(flat);
	return o;
}

FitStateObject *
FitStateGet(Datum d, MemoryContext parent, bool writable)
{
	if (VARATT_IS_EXTERNAL_EXPANDED(DatumGetPointer(d)))
	{
		FitStateObject *o = (FitStateObject *) DatumGetEOHP(d);

		if (o->hdr.eoh_methods != &FitStateMethods)
			elog(ERROR, "expanded value is not an nn_fit_state");
		/* a read-only value must not change: the caller gets a copy */
		if (!writable || VARATT_IS_EXTERNAL_EXPANDED_RW(DatumGetPointer(d)))
			return o;
	}
	return FitStateCopyOf(d, parent);
}
/* ---------- input, output, send, receive ---------- */

Datum
nn_fit_state_in(PG_FUNCTION_ARGS)
{
	const char *text = PG_GETARG_CSTRING(0);
	size_t		len = strlen(text);
	char	   *bytes;
	int			n;

	/* pg_b64_dec_len computes in int: len * 3 must fit */
	if (len > (size_t) PG_INT32_MAX / 3)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nn_fit_state text of %zu characters exceeds the 1 GB limit of a value", len)));
	bytes = palloc(pg_b64_dec_len((int) len) + 1);
	n = pg_b64_decode(text, (int) len, bytes, pg_b64_dec_len((int) len) + 1);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("invalid input syntax for type nn_fit_state: not base64"),
				 errdetail("An nn_fit_state is written as the base64 of its bytes, as its output gives it.")));
	/* read it whole: an invalid state is refused here, not at its first use */
	PG_RETURN_DATUM(ValidatedCopy(bytes, n));
}

Datum
nn_fit_state_out(PG_FUNCTION_ARGS)
{
	/* an expanded state is flattened here */
	struct varlena *flat = PG_DETOAST_DATUM(PG_GETARG_DATUM(0));
	int			len = VARSIZE(flat) - VARHDRSZ;
	int			size = pg_b64_enc_len(len) + 1;
	char	   *text = palloc(size);
	int			n = pg_b64_encode(VARDATA(flat), len, text, size);

	if (n < 0)
		elog(ERROR, "could not encode an nn_fit_state in base64");
	text[n] = '\0';
	PG_RETURN_CSTRING(text);
}

Datum
nn_fit_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int			len = buf->len - buf->cursor;

	PG_RETURN_DATUM(ValidatedCopy(pq_getmsgbytes(buf, len), len));
}

Datum
nn_fit_state_send(PG_FUNCTION_ARGS)
{
	/* the binary form is the flat bytes themselves */
	PG_RETURN_BYTEA_P(PG_DETOAST_DATUM_COPY(PG_GETARG_DATUM(0)));
}
