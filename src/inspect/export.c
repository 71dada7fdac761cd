/*
 * export.c - nn_export_onnx: a model as an ONNX file (the format itself
 * is written by src/formats/onnx.c).
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "shared/shared.h"
#include "formats/onnx.h"

/* the extension version the file records (nn.control's default_version) */
#define NN_EXTENSION_VERSION "1.7"

PG_FUNCTION_INFO_V1(nn_export_onnx);

/* protobuf strings are UTF-8, whatever the database encoding */
static char *
ToUtf8(char *s)
{
	return pg_server_to_any(s, (int) strlen(s), PG_UTF8);
}

static void
ModelStringsToUtf8(NNModel *m)
{
	for (uint32 i = 0; i < m->n_classes; i++)
		m->classes[i] = ToUtf8(m->classes[i]);
	for (uint32 i = 0; i < m->n_features; i++)
	{
		m->feature_names[i] = ToUtf8(m->feature_names[i]);
		if (nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL)
			for (uint32 c = 0; c < m->feature_widths[i]; c++)
				m->categories[i][c] = ToUtf8(m->categories[i][c]);
	}
	m->target_name = ToUtf8(m->target_name);
}

Datum
nn_export_onnx(PG_FUNCTION_ARGS)
{
	NNModel    *m = nn_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	size_t		size;
	bytea	   *result;

	ModelStringsToUtf8(m);
	size = nn_onnx_size(m, NN_EXTENSION_VERSION);
	if (size > MaxAllocSize - VARHDRSZ)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the ONNX model would take %zu bytes, more than a bytea can hold (%zu)",
						size, (size_t) (MaxAllocSize - VARHDRSZ))));
	result = palloc(size + VARHDRSZ);
	SET_VARSIZE(result, size + VARHDRSZ);
	nn_onnx_write(m, NN_EXTENSION_VERSION, (uint8_t *) VARDATA(result));
	PG_RETURN_BYTEA_P(result);
}
