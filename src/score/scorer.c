/*
 * scorer.c - the scorer: a parsed model with the workspace to score it,
 * one row at a time or a block of rows at a time (kernels/predict_batch.h),
 * the features of a real[] checked against the model, and the outputs as
 * SQL values (a prediction, a class, class probabilities).  Where a scorer
 * comes from (a model bytea, a name in nn_models) is resolve.c's business.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "kernels/dense.h"
#include "score/score.h"

/*
 * A scoring workspace holds rows x the layer widths (and the inputs):
 * check it against nn.score_memory before allocating.
 */
static void
CheckScoreWorkspace(const NNNet *net, size_t rows, uint32 n_inputs)
{
	double		floats = (double) nn_work_floats(net, rows, false) +
		(double) rows * n_inputs;
	NNBudget	b = nn_score_budget();

	nn_budget_check(&b, floats * sizeof(float),
					rows == 1 ? pstrdup("scoring one row of this model") :
					psprintf("scoring %zu rows at a time through this model", rows),
					"Use a model with narrower layers");
}

/* a scorer of model m (in cxt, or borrowed) with its one-row workspace */
NNScorer *
nn_scorer_new(MemoryContext cxt, NNModel *m)
{
	NNScorer   *s = MemoryContextAllocZero(cxt, sizeof(NNScorer));
	NNNet	   *net = &m->net;

	static uint64 last_id = 0;

	s->cxt = cxt;
	s->id = ++last_id;
	s->model = m;
	s->n_inputs = nn_model_inputs(m);
	s->n_outputs = nn_net_outputs(net);
	CheckScoreWorkspace(net, 1, s->n_inputs);
	nn_work_bind(&s->work, net,
				 MemoryContextAllocExtended(cxt, nn_work_floats(net, 1, false) * sizeof(float),
											MCXT_ALLOC_HUGE),
				 1, false);
	s->x = MemoryContextAlloc(cxt, s->n_inputs * sizeof(float));
	return s;
}

/* a scorer of a model value, stored or in memory (nn_model_for_scoring) */
NNScorer *
nn_scorer_create(struct varlena *model, MemoryContext parent)
{
	MemoryContext cxt = AllocSetContextCreate(parent, "nn scorer", ALLOCSET_DEFAULT_SIZES);

	return nn_scorer_new(cxt, nn_model_for_scoring(model, cxt));
}

void
nn_scorer_free(NNScorer *s)
{
	if (s != NULL)
		MemoryContextDelete(s->cxt);
}

/*
 * Features far outside the training range can overflow the network; an
 * error is better than a NaN that argmax would turn into the first class.
 */
static const float *
CheckOutputs(const float *out, size_t n)
{
	if (!nn_all_finite(out, n))
		ereport(ERROR,
				(errcode(ERRCODE_FLOATING_POINT_EXCEPTION),
				 errmsg("the model's output is not finite for these features"),
				 errdetail("Some feature values are too large for the network's weights.")));
	return out;
}

/* the transposed weights the level-1 row product wants (dense.h), or NULL */
static const float *
RowWeights(NNScorer *s)
{
	const NNNet *net = &s->model->net;
	size_t		n;
	NNBudget	b;

	if (nn_row_product != NN_ROW_LEVEL1 || s->weights_t != NULL)
		return s->weights_t;
	n = nn_net_weight_floats(net);
	b = nn_score_budget();
	nn_budget_check(&b, ((double) nn_work_floats(net, 1, false) + s->n_inputs + n) * sizeof(float),
					"scoring one row of this model with its weights transposed (nn.row_product = level1)",
					"Use a model with narrower layers, or SET nn.row_product = gemv");
	if (s->shared != NULL)
		s->weights_t = nn_cached_weights_t(s->shared, n, nn_net_transpose_weights);
	/* no cache entry, or no room in it: this call site's own copy */
	if (s->weights_t == NULL)
	{
		s->weights_t = MemoryContextAllocExtended(s->cxt, n * sizeof(float), MCXT_ALLOC_HUGE);
		nn_net_transpose_weights(net, s->weights_t);
	}
	return s->weights_t;
}

const float *
nn_scorer_run(NNScorer *s, const float *x)
{
	NNModel    *m = s->model;

	memcpy(s->x, x, s->n_inputs * sizeof(float));
	if (m->standardized)
		nn_standardize_rows(s->x, m->x_mean, m->x_std, 1, s->n_inputs);
	return CheckOutputs(nn_net_forward_row(&m->net, &s->work, s->x, RowWeights(s)),
						s->n_outputs);
}

bool
nn_model_imputes(const NNModel *m)
{
	return m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO;
}

/* a features array with NULL elements, each replaced by the model's fill value */
static float *
FilledFeatures(const NNScorer *s, ArrayType *arr, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	float	   *x;

	if (ARR_ELEMTYPE(arr) != FLOAT4OID)
		elog(ERROR, "features: expected a real[] array");
	if (ARR_NDIM(arr) != 1)
		return nn_array_floats(arr, "features", n);		/* its errors */
	deconstruct_array(arr, FLOAT4OID, sizeof(float4), true, TYPALIGN_INT, &elems, &nulls, n);
	if ((uint32) *n != s->n_inputs)
		return (float *) elems; /* nn_check_features reports the count */
	x = palloc(*n * sizeof(float));
	for (int i = 0; i < *n; i++)
		x[i] = nulls[i] ? s->model->fill[i] : DatumGetFloat4(elems[i]);
	return x;
}

/*
 * A real[] of features, checked (count, NaN, infinity) against the model.
 * NULL elements are an error, unless the model imputes NULLs.
 */
const float *
nn_scorer_array_features(const NNScorer *s, ArrayType *arr)
{
	int			n;
	float	   *x;

	if (nn_model_imputes(s->model) && ARR_HASNULL(arr))
		x = FilledFeatures(s, arr, &n);
	else
		x = nn_array_floats(arr, "features", &n);
	nn_check_features(x, n, s->n_inputs);
	return x;
}

static void
RequireClassifier(const NNModel *m, const char *fn)
{
	if (m->task != NN_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs a classification model, but this model is a regressor", fn),
				 errhint("Use nn_predict for regression models.")));
}

/* a classifier's class index, or a regressor's value in target units */
static double
Prediction(const NNModel *m, const float *out)
{
	if (m->task == NN_TASK_CLASSIFICATION)
		return (double) nn_predicted_class(m, out);
	return (double) out[0] * m->y_std + m->y_mean;
}

Datum
nn_scorer_value(const NNScorer *s, const float *out)
{
	return Float8GetDatum(Prediction(s->model, out));
}

Datum
nn_scorer_class(const NNScorer *s, const float *out, const char *fn)
{
	RequireClassifier(s->model, fn);
	return PointerGetDatum(cstring_to_text(s->model->classes[nn_predicted_class(s->model, out)]));
}

Datum
nn_scorer_proba(const NNScorer *s, const float *out, const char *fn)
{
	const NNModel *m = s->model;
	uint32		n_classes = m->n_classes;
	Datum	   *elems;

	RequireClassifier(m, fn);
	elems = palloc(n_classes * sizeof(Datum));
	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
	{
		elems[0] = Float4GetDatum(1.0f - out[0]);
		elems[1] = Float4GetDatum(out[0]);
	}
	else
		for (uint32 i = 0; i < n_classes; i++)
			elems[i] = Float4GetDatum(out[i]);
	return PointerGetDatum(construct_array(elems, n_classes, FLOAT4OID, sizeof(float4),
										   true, TYPALIGN_INT));
}

NNWork *
nn_scorer_grad_work(NNScorer *s)
{
	const NNNet *net = &s->model->net;
	size_t		floats = nn_work_floats(net, 1, true);
	NNBudget	b;

	if (s->grad_bound)
		return &s->grad_work;
	b = nn_score_budget();
	nn_budget_check(&b, ((double) floats + nn_work_floats(net, 1, false)) * sizeof(float),
					"the input gradient of one row of this model", "Use a model with narrower layers");
	nn_work_bind(&s->grad_work, net,
				 MemoryContextAllocExtended(s->cxt, floats * sizeof(float), MCXT_ALLOC_HUGE),
				 1, true);
	s->grad_bound = true;
	return &s->grad_work;
}

/* the scorer's block of raw rows (kernels/predict_batch.h), bound on first use */
float *
nn_scorer_batch_rows(NNScorer *s)
{
	NNModel    *m = s->model;
	float	   *work;

	if (s->batch.x != NULL)
		return s->batch.x;
	nn_blas_core_check();
	CheckScoreWorkspace(&m->net, NN_PREDICT_BLOCK, s->n_inputs);
	work = MemoryContextAllocExtended(s->cxt, nn_predict_batch_work_floats(&m->net) * sizeof(float),
									  MCXT_ALLOC_HUGE);
	nn_predict_batch_bind(&s->batch, &m->net, m->standardized ? m->x_mean : NULL, m->x_std,
						  s->n_inputs, work,
						  MemoryContextAllocExtended(s->cxt, nn_predict_batch_x_floats(s->n_inputs) *
													 sizeof(float), MCXT_ALLOC_HUGE));
	s->batch.work.threads = nn_batch_threads();
	return s->batch.x;
}

/* the outputs of the first n_rows rows of that block (standardized in place) */
const float *
nn_scorer_run_batch(NNScorer *s, int n_rows)
{
	Assert(s->batch.x != NULL && n_rows >= 1 && n_rows <= NN_PREDICT_BLOCK);
	return CheckOutputs(nn_predict_batch_block(&s->batch, n_rows),
						(size_t) n_rows * s->n_outputs);
}

/* rows of raw features, block after block, to predictions */
typedef struct PredictRows
{
	NNScorer   *scorer;
	const float *rows;
	Datum	   *result;
} PredictRows;

static void
FillBlock(void *arg, float *x, size_t start, size_t n)
{
	PredictRows *p = arg;
	size_t		n_in = p->scorer->n_inputs;

	memcpy(x, p->rows + start * n_in, n * n_in * sizeof(float));
}

static void
UseBlock(void *arg, const float *out, size_t start, size_t n)
{
	PredictRows *p = arg;
	NNScorer   *s = p->scorer;

	CheckOutputs(out, n * s->n_outputs);
	for (size_t r = 0; r < n; r++)
		p->result[start + r] = nn_scorer_value(s, out + r * s->n_outputs);
}

/*
 * nn_predict's value of each of n_rows rows of raw, already checked
 * features into result, the rows run through the network a block at a
 * time as matrix products rather than one product per row.
 */
void
nn_scorer_predict_rows(NNScorer *s, const float *rows, int n_rows, Datum *result)
{
	PredictRows p = {s, rows, result};

	(void) nn_scorer_batch_rows(s);
	nn_predict_batch_rows(&s->batch, n_rows, FillBlock, UseBlock, &p);
}
