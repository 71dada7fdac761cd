/*
 * model_write.c - the model byte format's writer: which format version a
 * model needs, its size in bytes, and the bytes themselves, in the order
 * model.c reads them.  Layout: doc/model-format.md.
 */
#include <string.h>

#include "model.h"
#include "model_bytes.h"
#include "model_layers.h"
#include "model_quant.h"
#include "model_settings.h"

/* version 1 cannot say that a model has categories or imputes NULLs */
static bool
NeedsVersion2(const NNModel *m);

/*
 * The oldest version that holds the features, the input's shape (version
 * 3 for any but a flat vector), every layer's kind and the storage
 * (version 4 for a compressed model).
 */
uint32_t
nn_model_format_version(const NNModel *model)
{
	const NNNet *net = &model->net;
	uint32_t	version = net->shapes[0].rank != 1 ? 3 : (NeedsVersion2(model) ? 2 : 1);

	if (model->storage != NN_STORAGE_FLOAT)
		return 4;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		const NNLayerFormat *f = nn_model_layer_format(net->layers[l].kind);

		if (f->min_version > version)
			version = f->min_version;
	}
	return version;
}

static bool
NeedsVersion2(const NNModel *m)
{
	if (m->impute != NN_IMPUTE_SKIP)
		return true;
	for (uint32_t i = 0; i < m->n_features; i++)
		if (nn_model_feature_kind(m, i) != NN_FEATURE_NUMERIC)
			return true;
	return false;
}

/* ---------- writing ---------- */

static void
WriteSettings(ModelWriter *w, const NNNet *net)
{
	float	   *f[N_SETTINGS];

	nn_model_setting_fields((NNNet *) net, f);
	for (int i = 0; i < N_SETTINGS; i++)
		PutF32(w, *f[i]);
}

static void
WriteFeatureEncoding(ModelWriter *w, const NNModel *m)
{
	PutU8(w, m->impute);
	for (uint32_t i = 0; i < m->n_features; i++)
		PutU8(w, (uint8_t) nn_model_feature_kind(m, i));
	for (uint32_t i = 0; i < m->n_features; i++)
		if (nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL)
			for (uint32_t c = 0; c < m->feature_widths[i]; c++)
				PutString(w, m->categories[i][c]);
	if (m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO)
		PutFloats(w, m->fill, nn_model_inputs(m));
}

/* version 3: the input shape, then each layer's kind tag and shape block */
static void
WriteKinds(ModelWriter *w, const NNNet *net)
{
	PutU32(w, net->shapes[0].rank);
	for (uint32_t i = 0; i < net->shapes[0].rank; i++)
		PutU32(w, net->shapes[0].dims[i]);
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		PutU8(w, net->layers[l].kind);
		nn_model_layer_format(net->layers[l].kind)->write_shape(w, net, l);
	}
}

static void
WriteModel(ModelWriter *w, const NNModel *m)
{
	const NNNet *net = &m->net;
	uint32_t	version = nn_model_format_version(m);

	Put(w, NN_MODEL_MAGIC, 4);
	PutU32(w, version);
	PutU8(w, (uint8_t) m->task);
	PutU8(w, (uint8_t) net->loss.kind);
	PutU8(w, (uint8_t) net->optimizer);
	PutU8(w, (uint8_t) m->init);
	PutU8(w, m->standardized ? 1 : 0);
	PutU8(w, m->storage);		/* zero before version 4 */
	Put(w, "\0\0", 2);
	PutU32(w, net->n_layers);
	if (version >= 3)
		WriteKinds(w, net);
	else
	{
		/* versions 1 and 2: a vector input and dense layers, no kind tags */
		PutU32(w, nn_net_inputs(net));
		for (uint32_t l = 0; l < net->n_layers; l++)
			nn_model_layer_format(net->layers[l].kind)->write_shape(w, net, l);
	}
	for (uint32_t l = 0; l < net->n_layers; l++)
		nn_model_layer_format(net->layers[l].kind)->write_record(w, net, l);
	PutU32(w, net->batch_size);
	WriteSettings(w, net);
	PutU64(w, m->seed);
	for (int i = 0; i < 4; i++)
		PutU64(w, m->rng.s[i]);
	PutU64(w, net->opt_step);
	PutU64(w, m->rows_trained);
	PutU32(w, m->epochs_run);
	PutU32(w, m->best_epoch);

	PutU32(w, m->n_classes);
	for (uint32_t i = 0; i < m->n_classes; i++)
		PutString(w, m->classes[i]);
	PutU32(w, m->n_features);
	for (uint32_t i = 0; i < m->n_features; i++)
	{
		PutU32(w, m->feature_widths[i]);
		PutString(w, m->feature_names[i]);
	}
	PutString(w, m->target_name);
	PutString(w, m->options_json);
	if (version >= 2)
		WriteFeatureEncoding(w, m);

	if (m->standardized)
	{
		PutFloats(w, m->x_mean, nn_net_inputs(net));
		PutFloats(w, m->x_std, nn_net_inputs(net));
		PutF32(w, m->y_mean);
		PutF32(w, m->y_std);
	}
	PutU32(w, m->n_history);
	for (uint32_t i = 0; i < m->n_history; i++)
	{
		PutF32(w, m->history[i].train_loss);
		PutF32(w, m->history[i].val_loss);
		PutF32(w, m->history[i].val_metric);
	}
	if (m->storage == NN_STORAGE_INT8)
		nn_model_write_int8(w, m);
	else
		PutFloats(w, net->params, net->n_params);
	PutFloats(w, net->stats, net->n_stats);
	PutFloats(w, net->opt_state, nn_model_state_floats(m));
}

size_t
nn_model_size(const NNModel *model)
{
	ModelWriter		w = {NULL, 0};

	/* every count in a valid model is bounded, so the sum fits size_t */
	WriteModel(&w, model);
	return w.size;
}

void
nn_model_write(const NNModel *model, uint8_t *buf)
{
	ModelWriter		w = {buf, 0};

	WriteModel(&w, model);
}
