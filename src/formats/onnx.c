/*
 * onnx.c - an nn model as an ONNX ModelProto, written by hand in the
 * protobuf wire format.
 *
 * The wire format is onnx_wire.h; each layer kind's nodes come from its
 * export entry (onnx_graph.h; dense: onnx_dense.c; spatial kinds:
 * onnx_conv.c; recurrent kinds: onnx_recurrent.c).
 *
 * Protobuf in brief: a message is a sequence of fields, each a key varint
 * (field number << 3 | wire type) and a value: wire type 0 a varint; 2 a
 * length varint and that many bytes (strings, bytes, nested messages);
 * 5 four little-endian bytes (a float).  Field numbers are those of
 * onnx.proto (ONNX 1.12); fields are written in field-number order.
 *
 * A nested message is preceded by its length, so every message is written
 * by an Emit function that PutMessage first runs over a counting writer.
 * Counting never reads the model's arrays, only their sizes, so nesting
 * costs little; the float data are copied once, in the writing pass.
 *
 * The graph (doc/onnx-export.md) is described once, by WalkGraph; a walk
 * either writes its nodes or its initializers, so the two cannot disagree
 * about a tensor's name.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "onnx.h"
#include "onnx_graph.h"

/* what is being exported */
typedef struct Export
{
	const NNModel *model;
	const char *version;
} Export;

/* ------------------------------------------------------------ wire format */

/* exposed for the unit tests */
size_t
nn_onnx_varint(uint8_t *out, uint64_t v)
{
	return WireVarint(out, v);
}

/* ------------------------------------------------------------ JSON text */

static void
PutJsonString(Writer *w, const char *s)
{
	Put(w, "\"", 1);
	for (; *s != '\0'; s++)
	{
		unsigned char c = (unsigned char) *s;
		char		esc[8];

		if (c == '"' || c == '\\')
		{
			esc[0] = '\\';
			esc[1] = (char) c;
			Put(w, esc, 2);
		}
		else if (c < 0x20)
		{
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			Put(w, esc, 6);
		}
		else
			Put(w, s, 1);
	}
	Put(w, "\"", 1);
}

typedef struct StringList
{
	char	  **s;
	uint32_t	n;
} StringList;

/* a JSON array of strings */
static void
EmitJsonStrings(Writer *w, const void *arg)
{
	const StringList *list = arg;

	Put(w, "[", 1);
	for (uint32_t i = 0; i < list->n; i++)
	{
		if (i > 0)
			Put(w, ",", 1);
		PutJsonString(w, list->s[i]);
	}
	Put(w, "]", 1);
}

/* the model's feature widths, a JSON array of numbers */
static void
EmitJsonWidths(Writer *w, const void *arg)
{
	const NNModel *m = arg;

	Put(w, "[", 1);
	for (uint32_t i = 0; i < m->n_features; i++)
	{
		char		num[16];
		int			len = snprintf(num, sizeof(num), i > 0 ? ",%u" : "%u",
								   (unsigned) m->feature_widths[i]);

		Put(w, num, (size_t) len);
	}
	Put(w, "]", 1);
}

/*
 * The text features' categories, a JSON object: each name maps to its
 * values in input order, so a consumer can one-hot encode as nn does.
 */
static void
EmitJsonCategories(Writer *w, const void *arg)
{
	const NNModel *m = arg;
	bool		first = true;

	Put(w, "{", 1);
	for (uint32_t i = 0; i < m->n_features; i++)
	{
		StringList	values = {NULL, m->feature_widths[i]};

		if (nn_model_feature_kind(m, i) != NN_FEATURE_CATEGORICAL)
			continue;
		values.s = m->categories[i];
		if (!first)
			Put(w, ",", 1);
		first = false;
		PutJsonString(w, m->feature_names[i]);
		Put(w, ":", 1);
		EmitJsonStrings(w, &values);
	}
	Put(w, "}", 1);
}

static bool
HasCategories(const NNModel *m)
{
	for (uint32_t i = 0; i < m->n_features; i++)
		if (nn_model_feature_kind(m, i) == NN_FEATURE_CATEGORICAL)
			return true;
	return false;
}

/* ------------------------------------------------------------ messages */

/* a graph input or output: a tensor of shape [N, cols], N symbolic */
typedef struct ValueInfo
{
	const char *name;
	int			elem_type;
	uint64_t	cols;
} ValueInfo;

typedef struct Entry
{
	const char *key;
	const char *value;			/* or NULL and: */
	EmitFn		emit;
	const void *arg;
} Entry;

static void
EmitBatchDim(Writer *w, const void *arg)
{
	(void) arg;
	PutString(w, DIM_PARAM, "N");
}

static void
EmitColsDim(Writer *w, const void *arg)
{
	PutInt(w, DIM_VALUE, (int64_t) ((const ValueInfo *) arg)->cols);
}

static void
EmitShape(Writer *w, const void *arg)
{
	PutMessage(w, SHAPE_DIM, EmitBatchDim, NULL);
	PutMessage(w, SHAPE_DIM, EmitColsDim, arg);
}

static void
EmitTensorType(Writer *w, const void *arg)
{
	PutInt(w, TENSOR_TYPE_ELEM_TYPE, ((const ValueInfo *) arg)->elem_type);
	PutMessage(w, TENSOR_TYPE_SHAPE, EmitShape, arg);
}

static void
EmitType(Writer *w, const void *arg)
{
	PutMessage(w, TYPE_TENSOR_TYPE, EmitTensorType, arg);
}

static void
EmitValueInfo(Writer *w, const void *arg)
{
	PutString(w, VALUE_NAME, ((const ValueInfo *) arg)->name);
	PutMessage(w, VALUE_TYPE, EmitType, arg);
}

static void
EmitEntry(Writer *w, const void *arg)
{
	const Entry *e = arg;

	PutString(w, ENTRY_KEY, e->key);
	if (e->value != NULL)
		PutString(w, ENTRY_VALUE, e->value);
	else
		PutMessage(w, ENTRY_VALUE, e->emit, e->arg);
}

static void
EmitOpset(Writer *w, const void *arg)
{
	(void) arg;
	PutInt(w, OPSET_VERSION, NN_ONNX_OPSET);
}

/* ------------------------------------------------------------ the graph */

/* one entry per layer kind; a new kind adds its file and its lines here */
extern const NNOnnxLayer nn_onnx_dense;
extern const NNOnnxLayer nn_onnx_conv2d;
extern const NNOnnxLayer nn_onnx_max_pool2d;
extern const NNOnnxLayer nn_onnx_avg_pool2d;
extern const NNOnnxLayer nn_onnx_global_avg_pool2d;
extern const NNOnnxLayer nn_onnx_depthwise_conv2d;
extern const NNOnnxLayer nn_onnx_separable_conv2d;
extern const NNOnnxLayer nn_onnx_rnn;
extern const NNOnnxLayer nn_onnx_lstm;
extern const NNOnnxLayer nn_onnx_gru;

static const NNOnnxLayer *const layer_exports[NN_LAYER_KIND_COUNT] = {
	[NN_LAYER_DENSE] = &nn_onnx_dense,
	[NN_LAYER_CONV2D] = &nn_onnx_conv2d,
	[NN_LAYER_MAX_POOL2D] = &nn_onnx_max_pool2d,
	[NN_LAYER_AVG_POOL2D] = &nn_onnx_avg_pool2d,
	[NN_LAYER_GLOBAL_AVG_POOL2D] = &nn_onnx_global_avg_pool2d,
	[NN_LAYER_DEPTHWISE_CONV2D] = &nn_onnx_depthwise_conv2d,
	[NN_LAYER_SEPARABLE_CONV2D] = &nn_onnx_separable_conv2d,
	[NN_LAYER_RNN] = &nn_onnx_rnn,
	[NN_LAYER_LSTM] = &nn_onnx_lstm,
	[NN_LAYER_GRU] = &nn_onnx_gru,
};

const NNOnnxLayer *
nn_onnx_layer(NNLayerKind kind)
{
	return (unsigned) kind < NN_LAYER_KIND_COUNT ? layer_exports[kind] : NULL;
}

static const float one = 1.0f;
static const float half = 0.5f;

/* (x - mean) / std, as nn_standardize_rows; cur becomes the result */
static void
WalkStandardize(GraphWalk *g, char *cur)
{
	uint32_t	n_in = nn_net_inputs(&g->m->net);

	OnnxAddFloats(g, "x_mean", g->m->x_mean, n_in);
	OnnxAddFloats(g, "x_std", g->m->x_std, n_in);
	OnnxAddOp(g, "Sub", cur, "x_mean", "centered");
	OnnxAddOp(g, "Div", "centered", "x_std", "standardized");
	strcpy(cur, "standardized");
}

/*
 * Rows of images ([channels, height, width], row-major as nn stores them)
 * to the NCHW tensor the spatial operators take; cur becomes the result.
 */
static void
WalkImageReshape(GraphWalk *g, char *cur)
{
	const NNShape *in = &g->m->net.shapes[0];
	const int64_t dims[4] = {-1, in->dims[0], in->dims[1], in->dims[2]};
	Tensor		shape = {"image_shape", DTYPE_INT64, 1, {4}, NULL, 0.0, dims, NULL, NULL};

	OnnxAddTensor(g, &shape);
	OnnxAddOp(g, "Reshape", cur, "image_shape", "images");
	strcpy(cur, "images");
}

/*
 * Whether a two-class model decides by a threshold (shared/decision.c:
 * threshold 0 is the class of the larger probability, as ever); positive
 * is 1 + the positive class's index.
 */
static bool
HasThreshold(const NNModel *m)
{
	return m->task == NN_TASK_CLASSIFICATION && m->n_classes == 2 && m->threshold > 0 &&
		(m->positive == 1 || m->positive == 2);
}

/*
 * A threshold model's label, as nn_predict_class decides: the positive
 * class when its probability (its column of the probabilities) is at least
 * the threshold, else the other.  The comparison is the label when the
 * positive class is the second (index 1), its negation when the first.
 */
static void
WalkThresholdLabel(GraphWalk *g)
{
	const int64_t column = (int64_t) g->m->positive - 1;
	Tensor		index = {"positive_index", DTYPE_INT64, 1, {1}, NULL, 0.0, &column, NULL, NULL};
	Node		gather = {"Gather", {"probabilities", "positive_index"}, 2, "positive_probability",
	{{"axis", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL}}, 1, 0};
	Node		cast = {"Cast", {column == 1 ? "positive" : "second_class"}, 1, "label",
	{{"to", ATTR_TYPE_INT, 0.0f, DTYPE_INT64, NULL, NULL}}, 1, 0};

	OnnxAddTensor(g, &index);
	OnnxAddFloats(g, "threshold", &g->m->threshold, 1);
	OnnxAddNode(g, &gather);
	OnnxAddOp(g, "GreaterOrEqual", "positive_probability", "threshold", "positive");
	if (column == 0)
		OnnxAddOp(g, "Not", "positive", NULL, "second_class");
	OnnxAddNode(g, &cast);
}

/*
 * A sigmoid classifier's probabilities [1 - p, p] (as nn_predict_proba)
 * and label p >= 0.5 (as nn_predict_class); a softmax classifier's label
 * is the first most probable class, as ArgMax picks it.  A model with a
 * threshold takes its label from it instead (WalkThresholdLabel); the
 * graph of a model without one is as it always was.
 */
static void
WalkClassifierOutputs(GraphWalk *g)
{
	bool		sigmoid = g->m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY;
	Node		argmax = {"ArgMax", {"probabilities"}, 1, "label",
	{{"axis", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL},
	{"keepdims", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL}}, 2, 0};
	Node		concat = {"Concat", {"complement", "output"}, 2, "probabilities",
	{{"axis", ATTR_TYPE_INT, 0.0f, 1, NULL, NULL}}, 1, 0};
	Node		cast = {"Cast", {"positive"}, 1, "label",
	{{"to", ATTR_TYPE_INT, 0.0f, DTYPE_INT64, NULL, NULL}}, 1, 0};

	if (sigmoid)
	{
		OnnxAddFloats(g, "one", &one, 1);
		OnnxAddOp(g, "Sub", "one", "output", "complement");
		OnnxAddNode(g, &concat);
	}
	if (HasThreshold(g->m))
		WalkThresholdLabel(g);
	else if (sigmoid)
	{
		OnnxAddFloats(g, "half", &half, 1);
		OnnxAddOp(g, "GreaterOrEqual", "output", "half", "positive");
		OnnxAddNode(g, &cast);
	}
	else
		OnnxAddNode(g, &argmax);
}

/*
 * A regressor's value in target units, in double as nn_predict computes
 * it: (double) output * y_std + y_mean.
 */
static void
WalkRegressorOutputs(GraphWalk *g)
{
	const NNModel *m = g->m;
	Tensor		y_std = {"y_std", DTYPE_DOUBLE, 1, {1}, NULL, m->y_std, NULL, NULL, NULL};
	Tensor		y_mean = {"y_mean", DTYPE_DOUBLE, 1, {1}, NULL, m->y_mean, NULL, NULL, NULL};
	Node		cast = {"Cast", {"output"}, 1, m->standardized ? "output_double" : "value",
	{{"to", ATTR_TYPE_INT, 0.0f, DTYPE_DOUBLE, NULL, NULL}}, 1, 0};

	OnnxAddNode(g, &cast);
	if (!m->standardized)
		return;
	OnnxAddTensor(g, &y_std);
	OnnxAddTensor(g, &y_mean);
	OnnxAddOp(g, "Mul", "output_double", "y_std", "scaled");
	OnnxAddOp(g, "Add", "scaled", "y_mean", "value");
}

static bool
IsSoftmaxClassifier(const NNModel *m)
{
	return m->task == NN_TASK_CLASSIFICATION &&
		m->net.loss.kind != NN_LOSS_BINARY_CROSS_ENTROPY;
}

static void
WalkGraph(GraphWalk *g)
{
	const NNModel *m = g->m;
	uint32_t	last = m->net.n_layers - 1;
	char		cur[NAME_LEN] = "features";

	if (m->standardized)
		WalkStandardize(g, cur);
	if (m->net.shapes[0].rank == 3)
		WalkImageReshape(g, cur);
	for (uint32_t l = 0; l <= last; l++)
		nn_onnx_layer(m->net.layers[l].kind)->walk(g, l, cur, l < last ? NULL :
				  IsSoftmaxClassifier(m) ? "probabilities" : "output");
	if (m->task == NN_TASK_CLASSIFICATION)
		WalkClassifierOutputs(g);
	else
		WalkRegressorOutputs(g);
}

static void
EmitGraph(Writer *w, const void *arg)
{
	const NNModel *m = ((const Export *) arg)->model;
	GraphWalk	g = {w, true, m};
	ValueInfo	input = {"features", DTYPE_FLOAT, nn_net_inputs(&m->net)};
	ValueInfo	proba = {"probabilities", DTYPE_FLOAT, m->n_classes};
	ValueInfo	label = {"label", DTYPE_INT64, 1};
	ValueInfo	value = {"value", DTYPE_DOUBLE, 1};

	WalkGraph(&g);
	PutString(w, GRAPH_NAME, "nn");
	g.nodes = false;
	WalkGraph(&g);
	PutString(w, GRAPH_DOC_STRING,
			  "features: the network's numeric inputs, in the model's feature order "
			  "(metadata feature_names and feature_widths), before standardization");
	PutMessage(w, GRAPH_INPUT, EmitValueInfo, &input);
	if (m->task == NN_TASK_CLASSIFICATION)
	{
		PutMessage(w, GRAPH_OUTPUT, EmitValueInfo, &proba);
		PutMessage(w, GRAPH_OUTPUT, EmitValueInfo, &label);
	}
	else
		PutMessage(w, GRAPH_OUTPUT, EmitValueInfo, &value);
}

/* ------------------------------------------------------------ the model */

static void
EmitMetadata(Writer *w, const NNModel *m, const char *version)
{
	StringList	classes = {m->classes, m->n_classes};
	StringList	features = {m->feature_names, m->n_features};
	Entry		entries[] = {
		{"nn_version", version, NULL, NULL},
		{"task", m->task == NN_TASK_CLASSIFICATION ? "classification" : "regression",
		NULL, NULL},
		{"target", m->target_name, NULL, NULL},
		{"classes", NULL, EmitJsonStrings, &classes},
		{"feature_names", NULL, EmitJsonStrings, &features},
		{"feature_widths", NULL, EmitJsonWidths, m},
		{"categories", NULL, EmitJsonCategories, m},
	};

	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
	{
		/* a regressor has no classes, a model without text features no categories */
		if (m->task == NN_TASK_REGRESSION && strcmp(entries[i].key, "classes") == 0)
			continue;
		if (!HasCategories(m) && strcmp(entries[i].key, "categories") == 0)
			continue;
		PutMessage(w, MODEL_METADATA_PROPS, EmitEntry, &entries[i]);
	}
}

static void
EmitModel(Writer *w, const Export *e)
{
	PutInt(w, MODEL_IR_VERSION, NN_ONNX_IR_VERSION);
	PutString(w, MODEL_PRODUCER_NAME, "nn");
	PutString(w, MODEL_PRODUCER_VERSION, e->version);
	PutString(w, MODEL_DOC_STRING,
			  e->model->task == NN_TASK_CLASSIFICATION ?
			  "nn classifier: probabilities as nn_predict_proba, label the class index" :
			  "nn regressor: value as nn_predict");
	PutMessage(w, MODEL_GRAPH, EmitGraph, e);
	PutMessage(w, MODEL_OPSET_IMPORT, EmitOpset, NULL);
	EmitMetadata(w, e->model, e->version);
}

size_t
nn_onnx_size(const NNModel *model, const char *version)
{
	Export		e = {model, version};
	Writer		w = {NULL, 0};

	/* a valid model has at most 256 MB of parameters: the sum fits size_t */
	EmitModel(&w, &e);
	return w.size;
}

void
nn_onnx_write(const NNModel *model, const char *version, uint8_t *buf)
{
	Export		e = {model, version};
	Writer		w = {buf, 0};

	EmitModel(&w, &e);
}
