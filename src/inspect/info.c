/*
 * info.c - nn_info: everything a model records, as jsonb.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "kernels/dense_layer.h"
#include "train/train.h"

PG_FUNCTION_INFO_V1(nn_info);

/* shortest decimal that reads back as the same float; null if not finite */
static void
AppendFloat(StringInfo s, float v)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

	if (!isfinite(v))
	{
		appendStringInfoString(s, "null");
		return;
	}
	float_to_shortest_decimal_buf(v, buf);
	appendStringInfoString(s, buf);
}

static void
AppendKey(StringInfo s, const char *key)
{
	if (s->data[s->len - 1] != '{')
		appendStringInfoChar(s, ',');
	escape_json(s, key);
	appendStringInfoChar(s, ':');
}

static void
AppendStringArray(StringInfo s, const char *key, char **items, uint32 n)
{
	AppendKey(s, key);
	appendStringInfoChar(s, '[');
	for (uint32 i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoChar(s, ',');
		escape_json(s, items[i]);
	}
	appendStringInfoChar(s, ']');
}

static void
AppendLayers(StringInfo s, const NNNet *net)
{
	AppendKey(s, "layers");
	appendStringInfoChar(s, '[');
	for (uint32 l = 0; l < net->n_layers; l++)
	{
		const NNDenseSettings *d = nn_dense(net, l);

		appendStringInfo(s, "%s{\"units\":%u,\"activation\":\"%s\"", l > 0 ? "," : "",
						 d->units, nn_activation_name(d->act));
		if (d->batch_norm)
			appendStringInfoString(s, ",\"batch_norm\":true");
		if (d->dropout > 0)
		{
			AppendKey(s, "dropout");
			AppendFloat(s, d->dropout);
		}
		appendStringInfoChar(s, '}');
	}
	appendStringInfoChar(s, ']');
}

static void
AppendHistory(StringInfo s, const NNModel *m)
{
	const char *metric = m->task == NN_TASK_CLASSIFICATION ? "val_accuracy" : "val_r2";

	AppendKey(s, "history");
	appendStringInfoChar(s, '[');
	for (uint32 i = 0; i < m->n_history; i++)
	{
		const NNEpochStats *h = &m->history[i];

		appendStringInfo(s, "%s{\"epoch\":%u,\"train_loss\":", i > 0 ? "," : "", i + 1);
		AppendFloat(s, h->train_loss);
		if (!isnan(h->val_loss))
		{
			AppendKey(s, "val_loss");
			AppendFloat(s, h->val_loss);
			AppendKey(s, metric);
			AppendFloat(s, h->val_metric);
		}
		appendStringInfoChar(s, '}');
	}
	appendStringInfoChar(s, ']');
}

/* text features' categories (one input each, in this order) and NULL handling */
static void
AppendEncoding(StringInfo s, const NNModel *m)
{
	bool		any = false;

	for (uint32 i = 0; i < m->n_features; i++)
	{
		if (nn_model_feature_kind(m, i) != NN_FEATURE_CATEGORICAL)
			continue;
		if (!any)
		{
			AppendKey(s, "categories");
			appendStringInfoChar(s, '{');
			any = true;
		}
		AppendStringArray(s, m->feature_names[i], m->categories[i], m->feature_widths[i]);
	}
	if (any)
		appendStringInfoChar(s, '}');
	AppendKey(s, "impute");
	escape_json(s, nn_impute_name((NNImpute) m->impute));
	if (m->fill != NULL)
	{
		/* the raw input values that replace NULLs, one per input */
		AppendKey(s, "impute_values");
		appendStringInfoChar(s, '[');
		for (uint32 i = 0; i < nn_model_inputs(m); i++)
		{
			if (i > 0)
				appendStringInfoChar(s, ',');
			AppendFloat(s, m->fill[i]);
		}
		appendStringInfoChar(s, ']');
	}
}

Datum
nn_info(PG_FUNCTION_ARGS)
{
	NNModel    *m = nn_model_from_bytea(PG_GETARG_BYTEA_PP(0));
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfo(&s, "{\"format_version\":%d,\"task\":\"%s\",\"inputs\":%u",
					 nn_model_format_version(m),
					 m->task == NN_TASK_CLASSIFICATION ? "classification" : "regression",
					 nn_model_inputs(m));
	AppendLayers(&s, &m->net);
	appendStringInfo(&s, ",\"loss\":\"%s\",\"optimizer\":\"%s\"",
					 nn_loss_name(m->net.loss.kind), nn_optimizer_name(m->net.optimizer));
	/* the options record is a JSON object, checked when the model was read */
	AppendKey(&s, "options");
	appendStringInfoString(&s, m->options_json);
	AppendKey(&s, "target");
	escape_json(&s, m->target_name);
	AppendStringArray(&s, "features", m->feature_names, m->n_features);
	AppendKey(&s, "feature_widths");
	appendStringInfoChar(&s, '[');
	for (uint32 i = 0; i < m->n_features; i++)
		appendStringInfo(&s, "%s%u", i > 0 ? "," : "", m->feature_widths[i]);
	appendStringInfoChar(&s, ']');
	AppendEncoding(&s, m);
	AppendStringArray(&s, "classes", m->classes, m->n_classes);
	appendStringInfo(&s, ",\"parameters\":%zu,\"rows_trained\":" UINT64_FORMAT
					 ",\"epochs\":%u,\"optimizer_steps\":" UINT64_FORMAT,
					 m->net.n_params, m->rows_trained, m->epochs_run, m->net.opt_step);
	if (m->best_epoch > 0)
		appendStringInfo(&s, ",\"best_epoch\":%u", m->best_epoch);
	AppendHistory(&s, m);
	appendStringInfoChar(&s, '}');
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(s.data)));
}
