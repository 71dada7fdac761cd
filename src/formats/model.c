/*
 * model.c - the model byte format: a reader that validates every field
 * before anything uses it, the checks it shares with the builders, and the
 * accessors of a model's features (the writer is model_write.c).  Layout:
 * doc/model-format.md.  All integers and floats are little-endian.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "model_bytes.h"
#include "model_layers.h"
#include "model_quant.h"
#include "model_settings.h"

/* ---------- reading ---------- */

static NNModelError Fail(char *err, size_t errlen, NNModelError kind, const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static NNModelError
Fail(char *err, size_t errlen, NNModelError kind, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return kind;
}

/*
 * A length-prefixed string; checked against the bytes left before
 * allocating, so a huge length in a short buffer costs nothing.
 */
static char *
ReadString(ModelReader *r, const NNAllocator *a, uint32_t max_len, bool *bad)
{
	uint32_t	len = ReadU32(r);
	char	   *s;

	if (r->truncated || len > max_len || len > r->left)
	{
		*bad = true;
		return NULL;
	}
	s = a->alloc(a->ctx, (size_t) len + 1);
	Take(r, s, len);
	s[len] = '\0';
	if (strlen(s) != len)
		*bad = true;			/* an embedded NUL */
	return s;
}

static void *
AllocArray(const NNAllocator *a, size_t count, size_t size)
{
	/* callers bound count by documented limits, so this cannot wrap */
	return a->alloc(a->ctx, count == 0 ? 1 : count * size);
}

/*
 * The floats that configure training, in their order in the format.  The
 * writer reads through the same pointers, so the order lives in one place.
 */
void
nn_model_setting_fields(NNNet *net, float *f[N_SETTINGS])
{
	f[0] = &net->opt.learning_rate;
	f[1] = &net->opt.beta1;
	f[2] = &net->opt.beta2;
	f[3] = &net->opt.epsilon;
	f[4] = &net->opt.momentum;
	f[5] = &net->opt.rho;
	f[6] = &net->opt.weight_decay;
	f[7] = &net->loss.huber_delta;
	f[8] = &net->reg.l1;
	f[9] = &net->reg.l2;
	f[10] = &net->reg.clip_value;
	f[11] = &net->reg.clip_norm;
	f[12] = &net->reg.clip_global_norm;
}

static void
ReadSettings(ModelReader *r, NNNet *net)
{
	float	   *f[N_SETTINGS];

	nn_model_setting_fields(net, f);
	for (int i = 0; i < N_SETTINGS; i++)
		*f[i] = ReadF32(r);
}

/*
 * Version 3: the input shape (rank, then each size), then each layer's
 * kind tag and its kind's shape block.  The kind is checked before its
 * entry reads anything; the sizes are checked by the layout.
 */
static NNModelError
ReadKinds(ModelReader *r, NNNet *net, char *err, size_t errlen)
{
	uint32_t	rank = ReadU32(r);

	if (r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	if (rank < 1 || rank > NN_MAX_RANK)
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"model has an input of rank %u (allowed: 1 to %d)", rank, NN_MAX_RANK);
	net->shapes[0].rank = rank;
	for (uint32_t i = 0; i < rank; i++)
		net->shapes[0].dims[i] = ReadU32(r);
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		uint8_t		kind = ReadU8(r);

		if (r->truncated)
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
		if (nn_model_layer_format((NNLayerKind) kind) == NULL)
			return Fail(err, errlen, NN_MODEL_CORRUPT,
						"model layer %u has an unknown kind %u", l + 1, kind);
		net->layers[l].kind = kind;
		nn_model_layer_format((NNLayerKind) kind)->read_shape(r, net, l);
	}
	return NN_MODEL_OK;
}

static NNModelError
ReadHeader(ModelReader *r, NNModel *m, char *err, size_t errlen)
{
	char		magic[4];
	uint32_t	version;
	NNNet	   *net = &m->net;

	uint8_t		reserved[3];
	uint8_t		standardized;

	Take(r, magic, 4);
	if (r->truncated || memcmp(magic, NN_MODEL_MAGIC, 4) != 0)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "not an nn model (bad magic number)");
	version = ReadU32(r);
	if (r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	if (version < 1 || version > NN_FORMAT_VERSION)
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"unsupported model format version %u (this build reads versions 1 to %d)",
					version, NN_FORMAT_VERSION);
	r->version = version;
	m->task = ReadU8(r);
	net->loss.kind = ReadU8(r);
	net->optimizer = ReadU8(r);
	m->init = ReadU8(r);
	standardized = ReadU8(r);
	Take(r, reserved, 3);
	net->n_layers = ReadU32(r);
	if (r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	/* version 4: the first reserved byte is the storage (NNStorage) */
	m->storage = version >= 4 ? reserved[0] : 0;
	if ((version < 4 && reserved[0] != 0) || reserved[1] != 0 || reserved[2] != 0)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has non-zero reserved bytes");
	if (m->storage >= NN_STORAGE_COUNT)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has an unknown storage %u", m->storage);
	/* one encoding per model: version 4 for a compressed model only */
	if (version >= 4 && m->storage == NN_STORAGE_FLOAT)
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"model is stored in format version 4 but holds a float model with its optimizer state");
	/* one encoding per model: a flag is 0 or 1, nothing else */
	if (standardized > 1)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has a bad standardized flag");
	m->standardized = standardized == 1;
	if (net->n_layers < 1 || net->n_layers > NN_MAX_LAYERS)
		return Fail(err, errlen, NN_MODEL_LIMIT,
					"model has %u layers (allowed: 1 to %d)", net->n_layers, NN_MAX_LAYERS);
	if (version >= 3)
	{
		NNModelError rc = ReadKinds(r, net, err, errlen);

		if (rc != NN_MODEL_OK)
			return rc;
	}
	else
	{
		/* versions 1 and 2 hold dense layers only, and no kind tag */
		net->shapes[0] = nn_shape_vector(ReadU32(r));
		for (uint32_t l = 0; l < net->n_layers; l++)
		{
			net->layers[l].kind = NN_LAYER_DENSE;
			nn_model_layer_format(NN_LAYER_DENSE)->read_shape(r, net, l);
		}
	}
	for (uint32_t l = 0; l < net->n_layers; l++)
		nn_model_layer_format(net->layers[l].kind)->read_record(r, net, l);
	net->batch_size = ReadU32(r);
	ReadSettings(r, net);
	m->seed = ReadU64(r);
	for (int i = 0; i < 4; i++)
		m->rng.s[i] = ReadU64(r);
	net->opt_step = ReadU64(r);
	m->rows_trained = ReadU64(r);
	m->epochs_run = ReadU32(r);
	m->best_epoch = ReadU32(r);
	if (r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	return NN_MODEL_OK;
}

/* bytes a float array of n needs; false when the buffer cannot hold it */
static bool
FitsFloats(const ModelReader *r, size_t n)
{
	return !r->truncated && n <= r->left / sizeof(float);
}

/* the categories of feature i, checked against its width first */
static NNModelError
ReadCategories(ModelReader *r, NNModel *m, uint32_t i, const NNAllocator *a, char *err, size_t errlen)
{
	uint32_t	n = m->feature_widths[i];
	bool		bad = false;

	if (n > NN_MAX_CATEGORIES)
		return Fail(err, errlen, NN_MODEL_LIMIT, "model has a feature with %u categories (at most %d allowed)",
					n, NN_MAX_CATEGORIES);
	/* each category takes at least its 4-byte length */
	if (r->truncated || n > r->left / 4)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	m->categories[i] = AllocArray(a, n, sizeof(char *));
	for (uint32_t c = 0; c < n && !bad; c++)
		m->categories[i][c] = ReadString(r, a, NN_MAX_NAME_BYTES, &bad);
	if (bad || r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has a damaged category");
	return NN_MODEL_OK;
}

/*
 * Version 2: the impute mode, each feature's kind, the categories of the
 * categorical ones, and the values NULLs are replaced by.
 */
static NNModelError
ReadFeatureEncoding(ModelReader *r, NNModel *m, const NNAllocator *a, char *err, size_t errlen)
{
	NNModelError rc;
	uint32_t	n_in = nn_model_inputs(m);

	m->impute = ReadU8(r);
	m->feature_kinds = AllocArray(a, m->n_features, sizeof(uint8_t));
	m->categories = AllocArray(a, m->n_features, sizeof(char **));
	Take(r, m->n_features > 0 ? m->feature_kinds : NULL, m->n_features);
	if (r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	for (uint32_t i = 0; i < m->n_features; i++)
	{
		m->categories[i] = NULL;
		if (m->feature_kinds[i] >= NN_FEATURE_KIND_COUNT)
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model has a feature of unknown kind");
		if (m->feature_kinds[i] == NN_FEATURE_CATEGORICAL &&
			(rc = ReadCategories(r, m, i, a, err, errlen)) != NN_MODEL_OK)
			return rc;
	}
	if (m->impute >= NN_IMPUTE_COUNT)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has an unknown impute mode");
	if (m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO)
	{
		if (!FitsFloats(r, n_in))
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
		m->fill = AllocArray(a, n_in, sizeof(float));
		ReadFloats(r, m->fill, n_in);
	}
	return NN_MODEL_OK;
}

#define DAMAGED_NAMES "model has a damaged label, name or options record"

static NNModelError
ReadNames(ModelReader *r, NNModel *m, const NNAllocator *a, char *err, size_t errlen)
{
	bool		bad = false;

	m->n_classes = ReadU32(r);
	if (m->n_classes > NN_MAX_CLASSES)
		return Fail(err, errlen, NN_MODEL_LIMIT, "model has %u classes (at most %d allowed)",
					m->n_classes, NN_MAX_CLASSES);
	m->classes = AllocArray(a, m->n_classes, sizeof(char *));
	for (uint32_t i = 0; i < m->n_classes && !bad; i++)
		m->classes[i] = ReadString(r, a, NN_MAX_NAME_BYTES, &bad);
	/* a refused label is not skipped: what follows it cannot be read */
	if (bad && !r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, DAMAGED_NAMES);

	m->n_features = r->truncated ? 0 : ReadU32(r);
	if (m->n_features > NN_MAX_FEATURES)
		return Fail(err, errlen, NN_MODEL_LIMIT, "model has %u feature columns (at most %d allowed)",
					m->n_features, NN_MAX_FEATURES);
	m->feature_names = AllocArray(a, m->n_features, sizeof(char *));
	m->feature_widths = AllocArray(a, m->n_features, sizeof(uint32_t));
	for (uint32_t i = 0; i < m->n_features && !bad; i++)
	{
		m->feature_widths[i] = ReadU32(r);
		m->feature_names[i] = ReadString(r, a, NN_MAX_NAME_BYTES, &bad);
	}
	if (!bad)
		m->target_name = ReadString(r, a, NN_MAX_NAME_BYTES, &bad);
	if (!bad)
		m->options_json = ReadString(r, a, NN_MAX_OPTIONS_BYTES, &bad);
	if (r->truncated)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	if (bad)
		return Fail(err, errlen, NN_MODEL_CORRUPT, DAMAGED_NAMES);
	if (r->version >= 2)
		return ReadFeatureEncoding(r, m, a, err, errlen);
	return NN_MODEL_OK;
}

static NNModelError
ReadTensors(ModelReader *r, NNModel *m, const NNAllocator *a, char *err, size_t errlen)
{
	NNNet	   *net = &m->net;
	uint32_t	n_in = nn_net_inputs(net);
	size_t		n_state = r->without_state ? 0 : nn_model_state_floats(m);
	const char *msg;

	if (m->standardized)
	{
		if (!FitsFloats(r, 2 * (size_t) n_in + 2))
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
		m->x_mean = AllocArray(a, n_in, sizeof(float));
		m->x_std = AllocArray(a, n_in, sizeof(float));
		ReadFloats(r, m->x_mean, n_in);
		ReadFloats(r, m->x_std, n_in);
		m->y_mean = ReadF32(r);
		m->y_std = ReadF32(r);
	}
	else
	{
		m->y_mean = 0.0f;
		m->y_std = 1.0f;
	}
	m->n_history = ReadU32(r);
	if (m->n_history > NN_MAX_HISTORY)
		return Fail(err, errlen, NN_MODEL_LIMIT, "model has %u history entries (at most %d allowed)",
					m->n_history, NN_MAX_HISTORY);
	if (!FitsFloats(r, 3 * (size_t) m->n_history))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model is truncated");
	m->history = AllocArray(a, m->n_history, sizeof(NNEpochStats));
	for (uint32_t i = 0; i < m->n_history; i++)
	{
		m->history[i].train_loss = ReadF32(r);
		m->history[i].val_loss = ReadF32(r);
		m->history[i].val_metric = ReadF32(r);
	}
	if (m->storage == NN_STORAGE_INT8)
	{
		if ((msg = nn_model_read_int8(r, m, a)) != NULL)
			return Fail(err, errlen, NN_MODEL_CORRUPT, "%s", msg);
	}
	else if (!FitsFloats(r, net->n_params + net->n_stats + n_state))
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"model is truncated (expected %zu parameters)", net->n_params);
	else
	{
		net->params = AllocArray(a, net->n_params, sizeof(float));
		ReadFloats(r, net->params, net->n_params);
	}
	net->stats = AllocArray(a, net->n_stats, sizeof(float));
	net->opt_state = n_state == 0 ? NULL : AllocArray(a, n_state, sizeof(float));
	ReadFloats(r, net->stats, net->n_stats);
	ReadFloats(r, net->opt_state, n_state);
	m->without_state = r->without_state;
	if (r->left != 0)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has %zu trailing bytes", r->left);
	return NN_MODEL_OK;
}

/* the header, and the layout it implies (sizes of every tensor) */
static NNModelError
ReadLayout(ModelReader *r, NNModel *model, char *err, size_t errlen)
{
	NNModelError rc;
	const char *msg;

	memset(model, 0, sizeof(*model));
	if ((rc = ReadHeader(r, model, err, errlen)) != NN_MODEL_OK)
		return rc;
	/* the enums index tables: check them before anything uses them */
	if ((unsigned) model->net.optimizer >= NN_OPT_COUNT)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has an unknown optimizer");
	model->net.lr_factor = 1.0f;
	if ((msg = nn_net_layout(&model->net)) != NULL)
		return Fail(err, errlen, NN_MODEL_LIMIT, "model %s", msg);
	return NN_MODEL_OK;
}

static NNModelError CheckModel(const NNModel *model, char *err, size_t errlen);

/* one entry per layer kind; a new kind adds its file and its lines here */
extern const NNLayerFormat nn_dense_format;
extern const NNLayerFormat nn_conv2d_format;
extern const NNLayerFormat nn_max_pool2d_format;
extern const NNLayerFormat nn_avg_pool2d_format;
extern const NNLayerFormat nn_global_avg_pool2d_format;
extern const NNLayerFormat nn_depthwise_conv2d_format;
extern const NNLayerFormat nn_separable_conv2d_format;
extern const NNLayerFormat nn_rnn_format;
extern const NNLayerFormat nn_lstm_format;
extern const NNLayerFormat nn_gru_format;

static const NNLayerFormat *const layer_formats[NN_LAYER_KIND_COUNT] = {
	[NN_LAYER_DENSE] = &nn_dense_format,
	[NN_LAYER_CONV2D] = &nn_conv2d_format,
	[NN_LAYER_MAX_POOL2D] = &nn_max_pool2d_format,
	[NN_LAYER_AVG_POOL2D] = &nn_avg_pool2d_format,
	[NN_LAYER_GLOBAL_AVG_POOL2D] = &nn_global_avg_pool2d_format,
	[NN_LAYER_DEPTHWISE_CONV2D] = &nn_depthwise_conv2d_format,
	[NN_LAYER_SEPARABLE_CONV2D] = &nn_separable_conv2d_format,
	[NN_LAYER_RNN] = &nn_rnn_format,
	[NN_LAYER_LSTM] = &nn_lstm_format,
	[NN_LAYER_GRU] = &nn_gru_format,
};

const NNLayerFormat *
nn_model_layer_format(NNLayerKind kind)
{
	return (unsigned) kind < NN_LAYER_KIND_COUNT ? layer_formats[kind] : NULL;
}

static NNModelError
ReadModel(ModelReader *r, NNModel *model, const NNAllocator *alloc, char *err, size_t errlen)
{
	NNModelError rc;

	if ((rc = ReadLayout(r, model, err, errlen)) != NN_MODEL_OK)
		return rc;
	/*
	 * One encoding per model: version 3 only for what needs it (a layer
	 * of another kind than dense, or a shaped input), so that the bytes
	 * written back are the bytes read.
	 */
	if (r->version >= 3 && nn_model_format_version(model) < 3)
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"model is stored in format version %u but holds only what version 2 holds",
					r->version);
	if ((rc = ReadNames(r, model, alloc, err, errlen)) != NN_MODEL_OK)
		return rc;
	if ((rc = ReadTensors(r, model, alloc, err, errlen)) != NN_MODEL_OK)
		return rc;
	return CheckModel(model, err, errlen);
}

NNModelError
nn_model_read(const uint8_t *buf, size_t len, NNModel *model,
			  const NNAllocator *alloc, char *err, size_t errlen)
{
	ModelReader		r = {buf, len, false, 0, false};

	return ReadModel(&r, model, alloc, err, errlen);
}

NNModelError
nn_model_read_without_state(const uint8_t *buf, size_t len, NNModel *model,
							const NNAllocator *alloc, char *err, size_t errlen)
{
	ModelReader		r = {buf, len, false, 0, true};

	return ReadModel(&r, model, alloc, err, errlen);
}

int64_t
nn_model_state_bytes(const uint8_t *buf, size_t len)
{
	ModelReader		r = {buf, len, false, 0, false};
	NNModel		m;
	char		err[8];

	if (ReadLayout(&r, &m, err, sizeof(err)) != NN_MODEL_OK)
		return -1;
	return (int64_t) (nn_model_state_floats(&m) * sizeof(float));
}

/* ---------- semantic checks, shared by the reader and builders ---------- */

static bool
InUnitInterval(float v)
{
	return v >= 0.0f && v < 1.0f;
}

static bool
SettingsValid(const NNNet *net)
{
	const NNOptConfig *o = &net->opt;
	float	   *f[N_SETTINGS];

	nn_model_setting_fields((NNNet *) net, f);
	for (int i = 0; i < N_SETTINGS; i++)
		if (!isfinite(*f[i]) || *f[i] < 0.0f)
			return false;
	/* e.g. running variances must stay positive for the square root */
	if (!nn_net_stats_valid(net))
		return false;
	return o->learning_rate > 0 && o->epsilon > 0 && InUnitInterval(o->beta1) &&
		InUnitInterval(o->beta2) && InUnitInterval(o->momentum) && InUnitInterval(o->rho) &&
		net->loss.huber_delta > 0;
}

static NNModelError
CheckNetwork(const NNModel *m, char *err, size_t errlen)
{
	const NNNet *net = &m->net;
	uint32_t	last = net->n_layers - 1;
	uint32_t	n_out = nn_net_outputs(net);
	int			out_act = nn_net_activation(net, last);
	bool		state = !m->without_state && m->storage == NN_STORAGE_FLOAT;

	if ((unsigned) m->task >= NN_TASK_COUNT || (unsigned) net->loss.kind >= NN_LOSS_COUNT ||
		(unsigned) net->optimizer >= NN_OPT_COUNT || (unsigned) m->init >= NN_INIT_COUNT)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has an unknown task, loss, optimizer or init");
	for (uint32_t l = 0; l < last; l++)
		if (nn_net_activation(net, l) >= NN_ACT_SOFTMAX)
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model has a bad activation in layer %u", l + 1);
	if (!((net->loss.kind == NN_LOSS_CROSS_ENTROPY && out_act == NN_ACT_SOFTMAX && n_out >= 2) ||
		  (net->loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY && out_act == NN_ACT_SIGMOID && n_out == 1) ||
		  (nn_loss_is_regression(net->loss.kind) && out_act == NN_ACT_IDENTITY)))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model's output layer does not match its loss");
	if (net->batch_size < 1 || net->batch_size > NN_MAX_BATCH)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has a bad batch size");
	if (!SettingsValid(net))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has bad optimizer or regularization settings");
	if (!nn_all_finite(net->params, net->n_params) ||
		!nn_all_finite(net->stats, net->n_stats) ||
		(state && !nn_all_finite(net->opt_state, nn_net_state_floats(net))))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has non-finite parameters");
	if (state && !nn_optimizer_state_valid(net->optimizer, net->opt_state, net->n_params))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has invalid optimizer state");
	if (m->epochs_run != m->n_history || m->best_epoch > m->epochs_run)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model's epoch count does not match its history");
	return NN_MODEL_OK;
}

static NNModelError
CheckTask(const NNModel *m, char *err, size_t errlen)
{
	const NNNet *net = &m->net;
	uint32_t	n_out = nn_net_outputs(net);

	if (m->task == NN_TASK_CLASSIFICATION)
	{
		bool		ok = net->loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY ?
			m->n_classes == 2 : (net->loss.kind == NN_LOSS_CROSS_ENTROPY && m->n_classes == n_out);

		if (!ok)
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model's classes do not match its outputs");
	}
	else if (m->n_classes != 0 || !nn_loss_is_regression(net->loss.kind))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "regression model has classes or a classification loss");
	return NN_MODEL_OK;
}

static NNModelError
CheckScaling(const NNModel *m, char *err, size_t errlen)
{
	uint32_t	n_in = nn_model_inputs(m);
	uint64_t	width_sum = 0;

	for (uint32_t i = 0; i < m->n_features; i++)
	{
		if (m->feature_widths[i] < 1 || m->feature_names[i][0] == '\0')
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model has a bad feature column");
		width_sum += m->feature_widths[i];
	}
	if (m->n_features > 0 && width_sum != n_in)
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"model's feature columns supply %llu inputs but its network takes %u",
					(unsigned long long) width_sum, n_in);
	if (m->standardized)
	{
		for (uint32_t i = 0; i < n_in; i++)
			if (!isfinite(m->x_mean[i]) || !isfinite(m->x_std[i]) || m->x_std[i] <= 0)
				return Fail(err, errlen, NN_MODEL_CORRUPT, "model has bad standardization values");
		if (!isfinite(m->y_mean) || !isfinite(m->y_std) || m->y_std <= 0)
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model has bad target scaling");
	}
	return NN_MODEL_OK;
}

/* categories strictly ascending in byte order: one encoding, and bsearch works */
static bool
CategoriesSorted(char **cats, uint32_t n)
{
	for (uint32_t c = 1; c < n; c++)
		if (strcmp(cats[c - 1], cats[c]) >= 0)
			return false;
	return true;
}

static NNModelError
CheckEncoding(const NNModel *m, char *err, size_t errlen)
{
	uint32_t	n_in = nn_model_inputs(m);

	if (m->impute >= NN_IMPUTE_COUNT)
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has an unknown impute mode");
	for (uint32_t i = 0; i < m->n_features; i++)
	{
		if (nn_model_feature_kind(m, i) != NN_FEATURE_CATEGORICAL)
			continue;
		if (m->feature_widths[i] > NN_MAX_CATEGORIES)
			return Fail(err, errlen, NN_MODEL_LIMIT, "model has a feature with %u categories (at most %d allowed)",
						m->feature_widths[i], NN_MAX_CATEGORIES);
		if (!CategoriesSorted(m->categories[i], m->feature_widths[i]))
			return Fail(err, errlen, NN_MODEL_CORRUPT, "model's categories are not sorted and distinct");
	}
	if ((m->impute == NN_IMPUTE_MEAN || m->impute == NN_IMPUTE_ZERO) &&
		(m->fill == NULL || !nn_all_finite(m->fill, n_in)))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has bad values for NULL features");
	return NN_MODEL_OK;
}

/* the checks of nn_model_check; a model read without its state passes them */
static NNModelError
CheckModel(const NNModel *model, char *err, size_t errlen)
{
	NNModelError rc;

	if ((rc = CheckNetwork(model, err, errlen)) != NN_MODEL_OK)
		return rc;
	if ((rc = CheckTask(model, err, errlen)) != NN_MODEL_OK)
		return rc;
	if ((rc = CheckEncoding(model, err, errlen)) != NN_MODEL_OK)
		return rc;
	return CheckScaling(model, err, errlen);
}

NNModelError
nn_model_check(const NNModel *model, char *err, size_t errlen)
{
	/* nothing may write or train a model that lacks its optimizer state */
	if (model->without_state)
		return Fail(err, errlen, NN_MODEL_CORRUPT,
					"model was read without its optimizer state, for scoring only");
	if (model->storage >= NN_STORAGE_COUNT ||
		(model->storage == NN_STORAGE_INT8 && model->qscales == NULL))
		return Fail(err, errlen, NN_MODEL_CORRUPT, "model has an unknown storage");
	return CheckModel(model, err, errlen);
}

uint32_t
nn_model_inputs(const NNModel *model)
{
	return nn_net_inputs(&model->net);
}

NNFeatureKind
nn_model_feature_kind(const NNModel *model, uint32_t i)
{
	return model->feature_kinds == NULL ? NN_FEATURE_NUMERIC :
		(NNFeatureKind) model->feature_kinds[i];
}

int32_t
nn_model_category(const NNModel *model, uint32_t i, const char *value)
{
	char	  **cats = model->categories[i];
	int64_t		lo = 0,
				hi = (int64_t) model->feature_widths[i] - 1;

	while (lo <= hi)
	{
		int64_t		mid = (lo + hi) / 2;
		int			cmp = strcmp(cats[mid], value);

		if (cmp == 0)
			return (int32_t) mid;
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

uint32_t
nn_model_feature_offset(const NNModel *model, uint32_t i)
{
	uint32_t	off = 0;

	for (uint32_t j = 0; j < i; j++)
		off += model->feature_widths[j];
	return off;
}
