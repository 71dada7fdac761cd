/*
 * info.c - nn_info: everything a model records, as jsonb, built with the
 * jsonb builder (shared/json.c); its "options" are the model's options
 * record, read as JSON here.
 */
#include "postgres.h"

#include <math.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "kernels/conv2d_layer.h"
#include "kernels/dense_layer.h"
#include "kernels/depthwise_layer.h"
#include "kernels/pool_layer.h"
#include "kernels/recurrent_layer.h"
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
PushUints(JsonbParseState **st, const char *key, const uint32 *v, int n)
{
	nn_json_key(st, key);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < n; i++)
		nn_json_uint(st, v[i]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

static void
PushFloats(JsonbParseState **st, const char *key, const float *v, uint32 n)
{
	nn_json_key(st, key);
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 i = 0; i < n; i++)
		nn_json_float(st, v[i]);
	pushJsonbValue(st, WJB_END_ARRAY, NULL);
}

/* a window's size, stride and padding (top, left, bottom, right) */
static void
PushWindow(JsonbParseState **st, const char *name, const NNWindow *win)
{
	uint32		w[2] = {win->kernel_h, win->kernel_w};
	uint32		s[2] = {win->stride_h, win->stride_w};
	uint32		p[4] = {win->pad_top, win->pad_left, win->pad_bottom, win->pad_right};

	PushUints(st, name, w, 2);
	PushUints(st, "stride", s, 2);
	PushUints(st, "padding", p, 4);
}

static void
PushActivation(JsonbParseState **st, int act, bool batch_norm, float dropout)
{
	nn_json_key(st, "activation");
	nn_json_string(st, nn_activation_name(act));
	if (batch_norm)
	{
		nn_json_key(st, "batch_norm");
		nn_json_bool(st, true);
	}
	if (dropout > 0)
	{
		nn_json_key(st, "dropout");
		nn_json_float(st, dropout);
	}
}

/* layer l's settings, as its kind keeps them */
static void
PushSettings(JsonbParseState **st, const NNNet *net, uint32 l)
{
	switch ((NNLayerKind) net->layers[l].kind)
	{
		case NN_LAYER_DENSE:
			{
				const NNDenseSettings *d = nn_dense(net, l);

				nn_json_key(st, "units");
				nn_json_uint(st, d->units);
				PushActivation(st, d->act, d->batch_norm, d->dropout);
				break;
			}
		case NN_LAYER_CONV2D:
			{
				const NNConv2dSettings *c = nn_conv2d(net, l);

				nn_json_key(st, "filters");
				nn_json_uint(st, c->filters);
				PushWindow(st, "kernel", &c->window);
				PushActivation(st, c->act, c->batch_norm, c->dropout);
				break;
			}
		case NN_LAYER_MAX_POOL2D:
		case NN_LAYER_AVG_POOL2D:
			{
				const NNPoolSettings *p = nn_pool(net, l);

				PushWindow(st, "size", &p->window);
				break;
			}
		case NN_LAYER_GLOBAL_AVG_POOL2D:
			break;
		case NN_LAYER_DEPTHWISE_CONV2D:
		case NN_LAYER_SEPARABLE_CONV2D:
			{
				const NNDepthwiseSettings *d = nn_depthwise(net, l);

				if (net->layers[l].kind == NN_LAYER_SEPARABLE_CONV2D)
				{
					nn_json_key(st, "filters");
					nn_json_uint(st, d->filters);
				}
				else
				{
					nn_json_key(st, "depth_multiplier");
					nn_json_uint(st, d->multiplier);
				}
				PushWindow(st, "kernel", &d->window);
				PushActivation(st, d->act, false, 0);
				break;
			}
		case NN_LAYER_RNN:
		case NN_LAYER_LSTM:
		case NN_LAYER_GRU:
			{
				const NNRecurrentSettings *r = nn_recurrent(net, l);

				nn_json_key(st, "units");
				nn_json_uint(st, r->units);
				nn_json_key(st, "return_sequences");
				nn_json_bool(st, r->return_sequences);
				nn_json_key(st, "bidirectional");
				nn_json_bool(st, r->bidirectional);
				if (r->dropout > 0)
				{
					nn_json_key(st, "dropout");
					nn_json_float(st, r->dropout);
				}
				break;
			}
		default:
			elog(ERROR, "layer kind %d has no description", net->layers[l].kind);
	}
}

/*
 * Each layer, the output included: its type, its settings, the shape of
 * its output and its parameter count (they sum to "parameters").
 */
static void
PushLayers(JsonbParseState **st, const NNNet *net)
{
	nn_json_key(st, "layers");
	pushJsonbValue(st, WJB_BEGIN_ARRAY, NULL);
	for (uint32 l = 0; l < net->n_layers; l++)
	{
		pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
		nn_json_key(st, "type");
		nn_json_string(st, nn_layer_type_name(net->layers[l].kind));
		PushSettings(st, net, l);
		PushUints(st, "output_shape", net->shapes[l + 1].dims, net->shapes[l + 1].rank);
		nn_json_key(st, "parameters");
		nn_json_uint(st, nn_net_weight_offset(net, l + 1) - nn_net_weight_offset(net, l));
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
		PushFloats(st, "impute_values", m->fill, nn_model_inputs(m));
	}
}

/*
 * The options record, without the keys that take no part in this model's
 * training (the placeholders of other optimizers, schedules and losses:
 * nn_option_applies).  The record itself, part of the model's bytes, is
 * left as it is; it is read here as JSON only, as before, so that a
 * record nn_continue would refuse still shows.
 */
static void
PushOptions(JsonbParseState **st, const NNModel *m)
{
	JsonbParseState *rst = NULL;
	Jsonb	   *record = JsonbValueToJsonb(nn_options_record_push(&rst, m->options_json));
	JsonbValue *schedule = nn_fnoption(record, "lr_schedule");
	JsonbValue *patience = nn_fnoption(record, "patience");
	char	   *sched = schedule != NULL && schedule->type == jbvString ?
		pnstrdup(schedule->val.string.val, schedule->val.string.len) : NULL;
	bool		early = patience != NULL && patience->type == jbvNumeric &&
		DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(patience->val.numeric))) > 0;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;

	nn_json_key(st, "options");
	it = JsonbIteratorInit(&record->root);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY &&
			!nn_option_applies(pnstrdup(v.val.string.val, v.val.string.len),
							   m->net.optimizer, m->net.loss.kind, sched, early))
		{
			(void) JsonbIteratorNext(&it, &v, true);	/* its value */
			continue;
		}
		pushJsonbValue(st, tok, tok == WJB_BEGIN_OBJECT || tok == WJB_END_OBJECT ? NULL : &v);
	}
}

/* the standardization scoring applies: per input, and the target's (regression) */
static void
PushStandardization(JsonbParseState **st, const NNModel *m)
{
	uint32		n = nn_model_inputs(m);

	if (!m->standardized)
		return;
	nn_json_key(st, "standardization");
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	PushFloats(st, "input_mean", m->x_mean, n);
	PushFloats(st, "input_std", m->x_std, n);
	if (m->task == NN_TASK_REGRESSION)
	{
		nn_json_key(st, "target_mean");
		nn_json_float(st, m->y_mean);
		nn_json_key(st, "target_std");
		nn_json_float(st, m->y_std);
	}
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
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

/*
 * A compressed model's storage (format version 4) with its bytes and those
 * of its float stripped equivalent; nothing for a float model, whose
 * output stays what it was before compression existed.
 */
static void
PushStorage(JsonbParseState **st, const NNModel *m)
{
	NNModel		stripped = *m;

	if (m->storage == NN_STORAGE_FLOAT)
		return;
	stripped.storage = NN_STORAGE_STRIPPED;
	nn_json_key(st, "storage");
	pushJsonbValue(st, WJB_BEGIN_OBJECT, NULL);
	nn_json_key(st, "kind");
	nn_json_string(st, nn_model_storage_name((NNStorage) m->storage));
	if (m->storage == NN_STORAGE_INT8)
	{
		nn_json_key(st, "quantization");
		nn_json_string(st, "int8, symmetric, one scale per output channel");
		nn_json_key(st, "quantized_weights");
		nn_json_uint(st, m->n_qvalues);
	}
	nn_json_key(st, "bytes");
	nn_json_uint(st, nn_model_size(m));
	nn_json_key(st, "float_bytes");
	nn_json_uint(st, nn_model_size(&stripped));
	pushJsonbValue(st, WJB_END_OBJECT, NULL);
}

/*
 * A two-class model's decision: its positive class (given or the labels'
 * default, JSON null when it has none) and the threshold its class
 * functions use (0.5: the larger probability).
 */
static void
PushDecision(JsonbParseState **st, const NNModel *m)
{
	if (m->task != NN_TASK_CLASSIFICATION || m->n_classes != 2)
		return;
	nn_json_key(st, "positive_class");
	if (m->positive > 0)
		nn_json_string(st, m->classes[m->positive - 1]);
	else
		nn_json_null(st);
	nn_json_key(st, "threshold");
	nn_json_float(st, m->threshold > 0 ? m->threshold : 0.5f);
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
	if (m->net.shapes[0].rank > 1)
		PushUints(&st, "input_shape", m->net.shapes[0].dims, m->net.shapes[0].rank);
	PushLayers(&st, &m->net);
	nn_json_key(&st, "loss");
	nn_json_string(&st, nn_loss_name(m->net.loss.kind));
	nn_json_key(&st, "optimizer");
	nn_json_string(&st, nn_optimizer_name(m->net.optimizer));
	PushOptions(&st, m);
	nn_json_key(&st, "target");
	nn_json_string(&st, m->target_name);
	PushStringArray(&st, "features", m->feature_names, m->n_features);
	PushUints(&st, "feature_widths", m->feature_widths, m->n_features);
	PushEncoding(&st, m);
	PushStandardization(&st, m);
	PushStringArray(&st, "classes", m->classes, m->n_classes);
	PushDecision(&st, m);
	PushCounts(&st, m);
	PushStorage(&st, m);
	PushHistory(&st, m);
	info = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(info));
}
