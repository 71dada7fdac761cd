/*
 * record.c - the record of every option in effect that a model keeps, as
 * JSON text (key order and number formatting are part of the model's
 * bytes), and the options read back from it through options.c.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "train/train.h"

static void
Key(StringInfo s, const char *key)
{
	if (s->data[s->len - 1] != '{')
		appendStringInfoChar(s, ',');
	escape_json(s, key);
	appendStringInfoChar(s, ':');
}

static void
Number(StringInfo s, const char *key, float v)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

	Key(s, key);
	float_to_shortest_decimal_buf(v, buf);
	appendStringInfoString(s, buf);
}

static void
String(StringInfo s, const char *key, const char *v)
{
	Key(s, key);
	escape_json(s, v);
}

static void
Bool(StringInfo s, const char *key, bool v)
{
	Key(s, key);
	appendStringInfoString(s, v ? "true" : "false");
}

static void
RecordLayers(StringInfo s, const NNOptions *o)
{
	Key(s, "layers");
	appendStringInfoChar(s, '[');
	for (int i = 0; i < o->n_layers; i++)
	{
		const NNLayerOption *l = &o->layers[i];

		appendStringInfo(s, "%s{\"units\":%d", i > 0 ? "," : "", l->units);
		String(s, "activation", nn_activation_name(l->activation));
		Number(s, "dropout", l->dropout);
		Bool(s, "batch_norm", l->batch_norm);
		appendStringInfoChar(s, '}');
	}
	appendStringInfoChar(s, ']');
}

static void
RecordNetwork(StringInfo s, const NNOptions *o)
{
	String(s, "activation", nn_activation_name(o->activation));
	Bool(s, "batch_norm", o->batch_norm);
	appendStringInfo(s, ",\"batch_size\":%d", o->batch_size);
	Number(s, "beta1", o->opt.beta1);
	Number(s, "beta2", o->opt.beta2);
	if (o->reg.clip_global_norm > 0)
		Number(s, "clip_global_norm", o->reg.clip_global_norm);
	if (o->reg.clip_norm > 0)
		Number(s, "clip_norm", o->reg.clip_norm);
	if (o->reg.clip_value > 0)
		Number(s, "clip_value", o->reg.clip_value);
	Number(s, "delta", o->delta);
	Number(s, "dropout", o->dropout);
	Number(s, "epsilon", o->opt.epsilon);
	/* left out when chosen per layer from the activation */
	if (o->init != NN_INIT_AUTO)
		String(s, "init", nn_init_name(o->init));
	Number(s, "l1", o->reg.l1);
	Number(s, "l2", o->reg.l2);
	if (o->n_layers >= 0)
		RecordLayers(s, o);
	Number(s, "learning_rate", o->opt.learning_rate);
	if (o->loss >= 0)
		String(s, "loss", nn_loss_name(o->loss));
	Number(s, "momentum", o->opt.momentum);
	String(s, "optimizer", nn_optimizer_name(o->optimizer));
	Number(s, "rho", o->opt.rho);
	appendStringInfo(s, ",\"seed\":" INT64_FORMAT, o->seed);
	if (o->task >= 0)
		String(s, "task", o->task == NN_TASK_CLASSIFICATION ? "classification" : "regression");
	Number(s, "weight_decay", o->opt.weight_decay);
}

static void
RecordTraining(StringInfo s, const NNOptions *o)
{
	if (o->class_weight_balanced)
		String(s, "class_weight", "balanced");
	else if (o->n_class_weights > 0)
	{
		Key(s, "class_weight");
		appendStringInfoChar(s, '{');
		for (int i = 0; i < o->n_class_weights; i++)
			Number(s, o->class_weight_labels[i], o->class_weights[i]);
		appendStringInfoChar(s, '}');
	}
	appendStringInfo(s, ",\"epochs\":%d", o->epochs);
	Number(s, "gamma", o->gamma);
	/* left out at the default, so models from before the option keep their bytes */
	if (o->impute != NN_IMPUTE_SKIP)
		String(s, "impute", nn_impute_name(o->impute));
	String(s, "lr_schedule", nn_schedule_name(o->lr_schedule));
	appendStringInfo(s, ",\"patience\":%d", o->patience);
	Bool(s, "restore_best", o->restore_best);
	Bool(s, "standardize", o->standardize);
	appendStringInfo(s, ",\"step_size\":%d", o->step_size);
	Number(s, "validation_fraction", o->validation_fraction);
	appendStringInfo(s, ",\"warmup_epochs\":%d", o->warmup_epochs);
	if (o->weight_column != NULL)
		String(s, "weight_column", o->weight_column);
}

char *
nn_options_record(const NNOptions *o, NNOptionsFor caller)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	RecordNetwork(&s, o);
	if (caller != NN_OPTIONS_INIT)
		RecordTraining(&s, o);
	appendStringInfoChar(&s, '}');
	return s.data;
}

void
nn_options_from_record(const char *json, NNOptions *out)
{
	Jsonb	   *jb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));

	nn_options_parse(jb, NN_OPTIONS_TRAIN | NN_OPTIONS_INIT | NN_OPTIONS_CONTINUE, out);
}
