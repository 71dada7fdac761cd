/*
 * compress.c - nn_strip and nn_quantize: a model for deployment, without
 * its optimizer state, and with its weights as int8 (one scale per output
 * channel).  The copies are made by src/formats/model_quant.c over the
 * rounding of src/kernels/quantize.c; this is the SQL glue.
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/jsonb.h"

#include "shared/shared.h"

PG_FUNCTION_INFO_V1(nn_strip);
PG_FUNCTION_INFO_V1(nn_quantize);

/*
 * The model of a compressing function, within the scoring budget: it is
 * read whole, and a copy of its parameters (and for nn_quantize their int8
 * values) is made beside it.
 */
static NNModel *
ReadForCompressing(bytea *b, const char *what)
{
	NNBudget	budget = nn_score_budget();
	NNModel    *m;

	nn_budget_check(&budget, 3.0 * VARSIZE_ANY_EXHDR(b), what, "Use a smaller model");
	m = nn_model_from_bytea(b);
	CHECK_FOR_INTERRUPTS();
	return m;
}

/*
 * nn_strip(model): the float model without its optimizer state.  A
 * stripped or quantized model has none to drop and comes back unchanged.
 */
Datum
nn_strip(PG_FUNCTION_ARGS)
{
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	NNModel    *m = ReadForCompressing(b, "stripping this model");
	NNModel		stripped;

	if (m->storage != NN_STORAGE_FLOAT)
		PG_RETURN_BYTEA_P(PG_GETARG_BYTEA_P(0));
	nn_model_strip(m, &stripped);
	PG_RETURN_BYTEA_P(nn_model_to_bytea(&stripped));
}

/*
 * nn_quantize(model, options): the model with int8 weights, one scale per
 * output channel, and no optimizer state.  No option is defined yet (the
 * argument leaves room for other schemes): every key is refused.
 */
Datum
nn_quantize(PG_FUNCTION_ARGS)
{
	static const char *const keys[] = {NULL};
	bytea	   *b = PG_GETARG_BYTEA_PP(0);
	NNModel    *m;
	NNModel		quantized;

	nn_fnoptions_check(PG_GETARG_JSONB_P(1), "nn_quantize", keys);
	m = ReadForCompressing(b, "quantizing this model");
	if (m->storage == NN_STORAGE_INT8)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("nn_quantize: the model is already quantized"),
				 errhint("Quantize the original float model (or its nn_strip copy).")));
	nn_model_quantize(m, &quantized, nn_palloc_allocator(CurrentMemoryContext));
	CHECK_FOR_INTERRUPTS();
	PG_RETURN_BYTEA_P(nn_model_to_bytea(&quantized));
}
