/*
 * modelio.c - models as bytea for the SQL functions: read with ereport
 * on damage, write with size checks, copy between memory contexts, and
 * real[] arguments as floats.  The byte layout itself stays in
 * formats/model.c; the class a classifier's outputs pick, in decision.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "shared/shared.h"

static void *
PallocIn(void *ctx, size_t size)
{
	return MemoryContextAllocHuge((MemoryContext) ctx, size);
}

const NNAllocator *
nn_palloc_allocator(MemoryContext cxt)
{
	NNAllocator *a = MemoryContextAlloc(cxt, sizeof(NNAllocator));

	a->alloc = PallocIn;
	a->ctx = cxt;
	return a;
}

static void
CheckText(const char *s)
{
	/* labels, names and the options record come back as text */
	if (!pg_verifymbstr(s, strlen(s), true))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid nn model: a label or name is not valid in the database encoding")));
}

static void
CheckEncoding(const NNModel *m)
{
	for (uint32 i = 0; i < m->n_classes; i++)
		CheckText(m->classes[i]);
	for (uint32 i = 0; i < m->n_features; i++)
	{
		CheckText(m->feature_names[i]);
		if (nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL)
			for (uint32 c = 0; c < m->feature_widths[i]; c++)
				CheckText(m->categories[i][c]);
	}
	CheckText(m->target_name);
	CheckText(m->options_json);
}

NNModel *
nn_model_from_bytes(const char *data, size_t len, MemoryContext cxt)
{
	NNModel    *m = MemoryContextAllocZero(cxt, sizeof(NNModel));
	char		err[256];
	NNModelError rc;

	rc = nn_model_read((const uint8_t *) data, len, m, nn_palloc_allocator(cxt),
					   err, sizeof(err));
	if (rc != NN_MODEL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid nn model: %s", err)));
	CheckEncoding(m);
	/* as JSON only when written and where read as JSON (nn_info, nn_continue) */
	nn_options_record_check(m->options_json, false);
	nn_model_read_decision(m);
	return m;
}

/*
 * A model for scoring from a stored value (in line, compressed or out of
 * line): everything but its optimizer state, the format's last field,
 * which scoring never reads.  Out of line, that is two slices, the header
 * and then the bytes before the state, so an Adam model's state (two
 * thirds of it) is not even fetched.  A value the reader rejects is read
 * again whole, so the error is the one every other reader reports.
 */
NNModel *
nn_model_for_scoring(struct varlena *value, MemoryContext cxt)
{
	Size		total = toast_raw_datum_size(PointerGetDatum(value)) - VARHDRSZ;
	struct varlena *head = value;
	struct varlena *bytes;
	int64		state;
	NNModel    *m;
	char		err[256];

	if (VARATT_IS_EXTENDED(value))
		head = detoast_attr_slice(value, 0, Min(total, NN_MODEL_HEADER_MAX_BYTES));
	state = nn_model_state_bytes((const uint8_t *) VARDATA_ANY(head), VARSIZE_ANY_EXHDR(head));
	if (head != value)
		pfree(head);
	if (state < 0 || (Size) state > total)
		return nn_model_from_bytes(VARDATA_ANY(detoast_attr(value)), total, cxt);
	bytes = VARATT_IS_EXTENDED(value) ? detoast_attr_slice(value, 0, total - state) : value;
	m = MemoryContextAllocZero(cxt, sizeof(NNModel));
	if (nn_model_read_without_state((const uint8_t *) VARDATA_ANY(bytes), total - state, m,
									nn_palloc_allocator(cxt), err, sizeof(err)) != NN_MODEL_OK)
		return nn_model_from_bytes(VARDATA_ANY(detoast_attr(value)), total, cxt);
	if (bytes != value)
		pfree(bytes);
	CheckEncoding(m);
	/* as JSON only when written and where read as JSON (nn_info, nn_continue) */
	nn_options_record_check(m->options_json, false);
	nn_model_read_decision(m);
	return m;
}

NNModel *
nn_model_from_bytea(bytea *b)
{
	return nn_model_from_bytes(VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b), CurrentMemoryContext);
}

bytea *
nn_model_to_bytea(const NNModel *model)
{
	size_t		size = nn_model_size(model);
	bytea	   *result;
	char		err[256];

	/* never hand out bytes that no function could read back */
	if (nn_model_check(model, err, sizeof(err)) != NN_MODEL_OK)
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("nn could not produce a valid model: %s", err),
				 errhint("Training may have diverged; lower learning_rate.")));
	nn_options_record_check(model->options_json, true);

	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("nn model would take %zu bytes, more than the 1 GB limit of a bytea", size)));
	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	nn_model_write(model, (uint8_t *) VARDATA(result));
	return result;
}

NNModel *
nn_model_copy(const NNModel *model, MemoryContext cxt)
{
	/* a round trip through the byte format copies every array */
	bytea	   *b = nn_model_to_bytea(model);
	NNModel    *copy = nn_model_from_bytes(VARDATA(b), VARSIZE(b) - VARHDRSZ, cxt);

	pfree(b);
	return copy;
}


int
nn_array_first_null(ArrayType *arr)
{
	bits8	   *nulls = ARR_NULLBITMAP(arr);
	int			n = ArrayGetNItems(ARR_NDIM(arr), ARR_DIMS(arr));

	for (int i = 0; nulls != NULL && i < n; i++)
		if (!(nulls[i / 8] & (1 << (i % 8))))
			return i;
	return -1;
}

float *
nn_array_floats(ArrayType *arr, const char *what, int *n)
{
	if (ARR_ELEMTYPE(arr) != FLOAT4OID)
		elog(ERROR, "%s: expected a real[] array", what);
	if (ARR_NDIM(arr) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array, not %d-dimensional", what, ARR_NDIM(arr))));
	if (ARR_HASNULL(arr) && array_contains_nulls(arr))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not contain NULL elements: element %d is NULL", what,
						nn_array_first_null(arr) + 1)));
	*n = ARR_NDIM(arr) == 0 ? 0 : ARR_DIMS(arr)[0];
	return (float *) ARR_DATA_PTR(arr);
}

void
nn_check_features(const float *x, int n, uint32 expected)
{
	if ((uint32) n != expected)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("features array has %d elements, but the model expects %u", n, expected)));
	if (nn_all_finite(x, n))
		return;
	for (int i = 0; i < n; i++)
		if (isnan(x[i]) || isinf(x[i]))
			ereport(ERROR,
					(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
					 errmsg("features array has a NaN or infinite value at position %d", i + 1)));
}
