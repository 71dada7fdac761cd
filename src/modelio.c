/*
 * modelio.c - models as bytea for the SQL functions: read with ereport
 * on damage, write with size checks, copy between memory contexts, and
 * build an untrained model from options.  The byte layout itself stays in
 * model.c.
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "catalog/pg_type.h"
#include "common/jsonapi.h"
#include "mb/pg_wchar.h"
#include "utils/memutils.h"

#include "nn.h"

/* the initialization and shuffle streams are kept apart by this salt */
#define SHUFFLE_SEED_SALT UINT64CONST(0x5DEECE66D1234567)

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
CheckOptionsRecord(const NNModel *m)
{
	JsonLexContext *lex = makeJsonLexContextCstringLen(m->options_json, strlen(m->options_json),
													   GetDatabaseEncoding(), true);

	if (m->options_json[0] != '{' || pg_parse_json(lex, &nullSemAction) != JSON_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid nn model: its options record is not a JSON object")));
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
	CheckOptionsRecord(m);
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
	CheckOptionsRecord(m);
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

static char **
DefaultClassLabels(uint32 n)
{
	char	  **labels = palloc(n * sizeof(char *));

	for (uint32 i = 0; i < n; i++)
		labels[i] = psprintf("%u", i);
	return labels;
}

/* Hidden layers from options.layers, or from hidden and the top-level keys. */
static void
SetLayers(NNNet *net, uint32 n_inputs, const int32 *hidden, int n_hidden, uint32 n_outputs,
		  const NNOptions *opts)
{
	const char *msg;
	int			n = opts->n_layers >= 0 ? opts->n_layers : n_hidden;

	if (n + 1 > NN_MAX_LAYERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many hidden layers: %d", n),
				 errdetail("At most %d are allowed.", NN_MAX_LAYERS - 1)));
	net->n_layers = n + 1;
	net->widths[0] = n_inputs;
	for (int i = 0; i < n; i++)
	{
		const NNLayerOption *l = opts->n_layers >= 0 ? &opts->layers[i] : NULL;
		int			units = l != NULL ? l->units : hidden[i];

		if (units < 1 || units > NN_MAX_WIDTH)
			ereport(ERROR,
					(errcode(units < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("hidden layer width %d is out of range", units),
					 errdetail("Widths must be from 1 to %d.", NN_MAX_WIDTH)));
		net->widths[i + 1] = units;
		net->act[i] = l != NULL ? l->activation : opts->activation;
		net->dropout[i] = l != NULL ? l->dropout : opts->dropout;
		net->batch_norm[i] = (l != NULL ? l->batch_norm : opts->batch_norm) ? 1 : 0;
	}
	net->widths[n + 1] = n_outputs;
	if ((msg = nn_net_layout(net)) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("network is too large: %s", msg),
				 errdetail("At most %d inputs or units per layer and %d parameters are allowed.",
						   NN_MAX_WIDTH, NN_MAX_PARAMS)));
}

/* the loss follows the task unless options name one that fits it */
static NNLoss
ChooseLoss(const NNOptions *opts, NNTask task, uint32 n_classes)
{
	if (opts->loss < 0)
		return task == NN_TASK_REGRESSION ? NN_LOSS_MSE : NN_LOSS_CROSS_ENTROPY;
	if (task == NN_TASK_REGRESSION && !nn_loss_is_regression(opts->loss))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"loss\": %s is for classification",
						nn_loss_name(opts->loss)),
				 errdetail("Regression uses 'mse', 'mae' or 'huber'.")));
	if (task == NN_TASK_CLASSIFICATION && nn_loss_is_regression(opts->loss))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"loss\": %s is for regression",
						nn_loss_name(opts->loss)),
				 errdetail("Classification uses 'cross_entropy' or, for two classes, 'binary_cross_entropy'.")));
	if (opts->loss == NN_LOSS_BINARY_CROSS_ENTROPY && n_classes != 2)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for option \"loss\": binary_cross_entropy needs exactly 2 classes, found %u",
						n_classes)));
	return (NNLoss) opts->loss;
}

static void *
AllocFloats(size_t n)
{
	return palloc_extended(Max(n, 1) * sizeof(float), MCXT_ALLOC_HUGE);
}

NNModel *
nn_model_build(uint32 n_inputs, const int32 *hidden, int n_hidden,
			   NNTask task, uint32 n_classes, const NNOptions *opts)
{
	NNModel    *m = palloc0(sizeof(NNModel));
	NNNet	   *net = &m->net;
	NNRng		init_rng;
	uint32		last;

	net->loss.kind = ChooseLoss(opts, task, n_classes);
	net->loss.huber_delta = opts->delta;
	SetLayers(net, n_inputs, hidden, n_hidden,
			  net->loss.kind == NN_LOSS_CROSS_ENTROPY ? n_classes : 1, opts);
	last = net->n_layers - 1;
	net->act[last] = net->loss.kind == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX :
		(net->loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY ? NN_ACT_SIGMOID : NN_ACT_IDENTITY);
	net->optimizer = opts->optimizer;
	net->opt = opts->opt;
	net->reg = opts->reg;
	net->batch_size = opts->batch_size;
	net->lr_factor = 1.0f;
	net->params = AllocFloats(net->n_params);
	net->stats = AllocFloats(net->n_stats);
	net->opt_state = AllocFloats(nn_net_state_floats(net));

	m->task = task;
	m->init = opts->init;
	m->seed = (uint64) opts->seed;
	m->n_classes = task == NN_TASK_CLASSIFICATION ? n_classes : 0;
	m->classes = DefaultClassLabels(m->n_classes);
	m->y_std = 1.0f;
	m->target_name = "";
	m->options_json = "{}";

	nn_rng_seed(&init_rng, m->seed);
	nn_net_init_params(net, m->init, &init_rng);
	nn_rng_seed(&m->rng, m->seed ^ SHUFFLE_SEED_SALT);
	return m;
}

/* the class index a classifier's outputs pick */
uint32
nn_predicted_class(const NNModel *m, const float *out)
{
	uint32		n_out = nn_net_outputs(&m->net);
	uint32		best = 0;

	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
		return out[0] >= 0.5f ? 1 : 0;
	for (uint32 i = 1; i < n_out; i++)
		if (out[i] > out[best])
			best = i;
	return best;
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
				 errmsg("%s must not contain NULL elements", what)));
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
