/*
 * info.c - nn_info: everything a model records, as jsonb, built with the
 * jsonb builder (shared/json.c); its "options" are the model's options
 * record, read as JSON here.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/jsonb.h"

#include "kernels/dense_layer.h"
#include "train/train.h"

PG_FUNCTION_INFO_V1(nn_info);

static void
PushStringArray(JsonbParseState **st, const char *key, char **items, uint32 n)
{
	nn_json_key(st, key);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 i = 0; i < n; i++)
		nn_json_string(st, items[i]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static void
PushLayers(JsonbParseState **st, const NNNet *net)
{
	nn_json_key(st, "layers");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 l = 0; l < net->n_layers; l++)
	{
		const NNDenseSettings *d = nn_dense(net, l);

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		nn_json_key(st, "units");
		nn_json_uint(st, d->units);
		nn_json_key(st, "activation");
		nn_json_string(st, nn_activation_name(d->act));
		if (d->batch_norm)
		{
			nn_json_key(st, "batch_norm");
			nn_json_bool(st, true);
		}
		if (d->dropout > 0)
		{
			nn_json_key(st, "dropout");
			nn_json_float(st, d->dropout);
		}
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static void
PushHistory(JsonbParseState **st, const NNModel *m)
{
	const char *metric = m->task == NN_TASK_CLASSIFICATION ? "val_accuracy" : "val_r2";

	nn_json_key(st, "history");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 i = 0; i < m->n_history; i++)
	{
		const NNEpochStats *h = &m->history[i];

		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		nn_json_key(st, "epoch");
		nn_json_uint(st, i + 1);
		nn_json_key(st, "train_loss");
		nn_json_float(st, h->train_loss);
		if (!isnan(h->val_loss))
		{
			nn_json_key(st, "val_loss");
			nn_json_float(st, h->val_loss);
			nn_json_key(st, metric);
			nn_json_float(st, h->val_metric);
		}
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	}
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* text features' categories (one input each, in this order) and NULL handling */
static void
PushEncoding(JsonbParseState **st, const NNModel *m)
{
	bool		any = false;

	for (uint32 i = 0; i < m->n_features; i++)
	{
		if (nn_model_feature_kind(m, i) != NN_FEATURE_CATEGORICAL)
			continue;
		if (!any)
		{
			nn_json_key(st, "categories");
			pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
			any = true;
		}
		PushStringArray(st, m->feature_names[i], m->categories[i], m->feature_widths[i]);
	}
	if (any)
		pushJsonbValue(st, WJB_END_OBJECT, NULL);
	nn_json_key(st, "impute");
	nn_json_string(st, nn_impute_name((NNImpute) m->impute));
	if (m->fill != NULL)
	{
		/* the raw input values that replace NULLs, one per input */
		nn_json_key(st, "impute_values");
		pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
		for (uint32 i = 0; i < nn_model_inputs(m); i++)
			nn_json_float(st, m->fill[i]);
		pushJsonbValue(st, WJB_END_ARRAY, NULL);
	}
}

/* counts of the model's training */
static void
PushCounts(JsonbParseState **st, const NNModel *m)
{
	nn_json_key(st, "parameters");
	nn_json_uint(st, m->net.n_params);
	nn_json_key(st, "rows_trained");
	nn_json_uint(st, m->rows_trained);
	nn_json_key(st, "epochs");
	nn_json_uint(st, m->epochs_run);
	nn_json_key(st, "optimizer_steps");
	nn_json_uint(st, m->net.opt_step);
	if (m->best_epoch > 0)
	{
		nn_json_key(st, "best_epoch");
		nn_json_uint(st, m->best_epoch);
	}
}

Datum
nn_info(PG_FUNCTION_ARGS)
{
	NNModel    *m = nn_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	JsonbParseState *st = NULL;
	JsonbValue *info;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	nn_json_key(&st, "format_version");
	nn_json_int(&st, nn_model_format_version(m));
	nn_json_key(&st, "task");
	nn_json_string(&st, m->task == NN_TASK_CLASSIFICATION ? "classification" : "regression");
	nn_json_key(&st, "inputs");
	nn_json_uint(&st, nn_model_inputs(m));
	PushLayers(&st, &m->net);
	nn_json_key(&st, "loss");
	nn_json_string(&st, nn_loss_name(m->net.loss.kind));
	nn_json_key(&st, "optimizer");
	nn_json_string(&st, nn_optimizer_name(m->net.optimizer));
	nn_json_key(&st, "options");
	nn_options_record_push(&st, m->options_json);
	nn_json_key(&st, "target");
	nn_json_string(&st, m->target_name);
	PushStringArray(&st, "features", m->feature_names, m->n_features);
	nn_json_key(&st, "feature_widths");
	pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 i = 0; i < m->n_features; i++)
		nn_json_uint(&st, m->feature_widths[i]);
	pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	PushEncoding(&st, m);
	PushStringArray(&st, "classes", m->classes, m->n_classes);
	PushCounts(&st, m);
	PushHistory(&st, m);
	info = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(info));
}
