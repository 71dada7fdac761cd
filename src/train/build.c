/*
 * build.c - an untrained model: the network from the sizes and options
 * (hidden layers, the loss that fits the task), parameters initialized
 * from the seed.  nn_train and nn_init start from it.
 */
#include "postgres.h"

#include "kernels/conv2d_layer.h"
#include "kernels/dense_layer.h"
#include "kernels/depthwise_layer.h"
#include "kernels/pool_layer.h"
#include "kernels/recurrent_layer.h"
#include "train/train.h"

/* the initialization and shuffle streams are kept apart by this salt */
#define SHUFFLE_SEED_SALT UINT64CONST(0x5DEECE66D1234567)

static char **
DefaultClassLabels(uint32 n)
{
	char	  **labels = palloc(n * sizeof(char *));

	for (uint32 i = 0; i < n; i++)
		labels[i] = psprintf("%u", i);
	return labels;
}

/* a shape as "[8]" or "[1, 28, 28]", for errors */
static char *
ShapeText(NNShape shape)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	for (uint32 i = 0; i < shape.rank; i++)
		appendStringInfo(&buf, "%s%u", i > 0 ? ", " : "", shape.dims[i]);
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/*
 * The shape of one input row: [steps, features] or [channels, height,
 * width] from option input_shape, whose product must be the number of
 * inputs, else a vector.
 */
static NNShape
InputShape(const NNOptions *opts, uint32 n_inputs)
{
	const NNShapeOption *o = &opts->input_shape;
	int64		product = 1;
	NNShape		shape = {o->rank};

	if (o->rank == 0)
		return nn_shape_vector(n_inputs);
	for (int i = 0; i < o->rank; i++)
	{
		shape.dims[i] = o->dims[i];
		product *= o->dims[i];
	}
	if (product != n_inputs)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"input_shape\" %s holds " INT64_FORMAT " inputs, but there are %u",
						ShapeText(shape), product, n_inputs),
				 errdetail("The inputs are the feature columns after categorical encoding (nn_init: n_inputs), read in %s order.",
						   o->rank == 2 ? "step, feature" : "channel, height, width")));
	return shape;
}

/*
 * The window of a spatial layer (listed at position pos) over its input:
 * padding resolved, the output size computed; an error naming the shapes
 * when the window does not fit.
 */
static NNWindow
Window(const NNLayerOption *lo, int pos, NNShape in, NNConvGeom *g)
{
	const char *name;
	const int  *win = nn_layer_option_window(lo, &name);
	uint8		pad[4] = {0};	/* top, left, bottom, right */
	NNWindow	w;

	if (lo->padding.mode == NN_PADDING_SAME)
	{
		nn_conv2d_same_padding(in.dims[1], win[0], lo->stride[0], &pad[0], &pad[2]);
		nn_conv2d_same_padding(in.dims[2], win[1], lo->stride[1], &pad[1], &pad[3]);
	}
	else if (lo->padding.mode == NN_PADDING_EXPLICIT)
		for (int i = 0; i < 4; i++)
			pad[i] = (uint8) lo->padding.sides[i];
	w = (NNWindow) {win[0], win[1], lo->stride[0], lo->stride[1],
	pad[0], pad[1], pad[2], pad[3]};
	if (!nn_window_geom(&w, in.dims[0], in.dims[1], in.dims[2], g))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"layers\" element %d: a %dx%d %s does not fit its input %s",
						pos, win[0], win[1], name, ShapeText(in)),
				 errdetail("With padding %u, %u, %u, %u (top, left, bottom, right) the input is %zux%zu; the output would have no positions.",
						   pad[0], pad[1], pad[2], pad[3],
						   g->height + g->pad_top + g->pad_bottom,
						   g->width + g->pad_left + g->pad_right)));
	return w;
}

/*
 * Make layer l the spatial layer listed at position pos over an input of
 * shape in (which must be an image); returns its output shape.
 */
static NNShape
SetSpatialLayer(NNNet *net, uint32 l, const NNLayerOption *lo, int pos, NNShape in)
{
	const char *type = nn_layer_type_name(lo->type);
	NNConvGeom	g = {0};
	NNWindow	w = {0};
	uint32		channels = in.dims[0];

	if (in.rank != 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"layers\" element %d: a layer of type \"%s\" needs an input of shape [channels, height, width], not %s",
						pos, type, ShapeText(in)),
				 l == 0 ?
				 errhint("Option \"input_shape\" gives the shape of the inputs.") :
				 in.rank == 2 ?
				 errhint("Spatial layers come before recurrent and dense layers.") :
				 errhint("Spatial layers come before the first dense layer.")));
	if (lo->type != NN_LAYER_GLOBAL_AVG_POOL2D)
		w = Window(lo, pos, in, &g);
	switch (lo->type)
	{
		case NN_LAYER_CONV2D:
			{
				NNConv2dSettings s = {lo->filters, w, lo->activation, lo->batch_norm,
				lo->dropout};

				nn_conv2d_set(net, l, &s);
				channels = lo->filters;
				break;
			}
		case NN_LAYER_MAX_POOL2D:
		case NN_LAYER_AVG_POOL2D:
			{
				NNPoolSettings s = {w};

				nn_pool_set(net, l, (NNLayerKind) lo->type, &s);
				break;
			}
		case NN_LAYER_GLOBAL_AVG_POOL2D:
			nn_global_pool_set(net, l);
			g.out_h = g.out_w = 1;
			break;
		case NN_LAYER_DEPTHWISE_CONV2D:
		case NN_LAYER_SEPARABLE_CONV2D:
			{
				bool		separable = lo->type == NN_LAYER_SEPARABLE_CONV2D;
				NNDepthwiseSettings s = {separable ? lo->filters : 0,
				separable ? 1 : lo->depth_multiplier, w, lo->activation};

				nn_depthwise_set(net, l, (NNLayerKind) lo->type, &s);
				channels = separable ? lo->filters : channels * lo->depth_multiplier;
				break;
			}
		default:
			elog(ERROR, "layer type %d is not spatial", lo->type);
	}
	return (NNShape) {3, {channels, g.out_h, g.out_w}};
}

/*
 * Make layer l the recurrent layer listed at position pos over an input
 * of shape in (which must be a sequence, [steps, features]); returns its
 * output shape: every step's output with return_sequences, else the last
 * step's.  prev: the position of the layer before it, -1 for none.
 */
static NNShape
SetRecurrentLayer(NNNet *net, uint32 l, const NNLayerOption *lo, int pos, int prev,
				  const NNOptions *opts, NNShape in)
{
	const char *type = nn_layer_type_name(lo->type);
	NNRecurrentSettings s = {lo->units, lo->return_sequences, lo->bidirectional, lo->dropout};
	uint32		width = (uint32) lo->units * (lo->bidirectional ? 2 : 1);
	const NNLayerOption *before = prev >= 0 ? &opts->layers[prev] : NULL;

	if (in.rank == 2)
	{
		nn_recurrent_set(net, l, (NNLayerKind) lo->type, &s);
		return lo->return_sequences ? (NNShape) {2, {in.dims[0], width}} :
			nn_shape_vector(width);
	}
	if (before != NULL && nn_recurrent_gates((NNLayerKind) before->type) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"layers\" element %d: a layer of type \"%s\" needs a sequence, but element %d (\"%s\") outputs only its last step",
						pos, type, prev, nn_layer_type_name(before->type)),
				 errhint("Set \"return_sequences\": true on element %d.", prev)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("option \"layers\" element %d: a layer of type \"%s\" needs an input of shape [steps, features], not %s",
					pos, type, ShapeText(in)),
			 l == 0 ?
			 errhint("Option \"input_shape\" gives the shape of the inputs: [steps, features].") :
			 errhint("Recurrent layers come before the first dense layer.")));
}

/*
 * The layers from options.layers (flatten makes none: a dense layer reads
 * a shaped input as one vector), or dense ones from hidden and the
 * top-level keys; then the output layer.  Every shape is checked here,
 * with errors that name it, before the network is laid out.
 */
static void
SetLayers(NNNet *net, uint32 n_inputs, const int32 *hidden, int n_hidden, uint32 n_outputs,
		  const NNOptions *opts)
{
	const char *msg;
	int			n = opts->n_layers >= 0 ? opts->n_layers : n_hidden;
	uint32		l = 0;
	NNShape		shape;
	int			prev = -1;		/* the position of the last layer made */

	if (n + 1 > NN_MAX_LAYERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many hidden layers: %d", n),
				 errdetail("At most %d are allowed.", NN_MAX_LAYERS - 1)));
	net->shapes[0] = shape = InputShape(opts, n_inputs);
	for (int i = 0; i < n; i++)
	{
		const NNLayerOption *lo = opts->n_layers >= 0 ? &opts->layers[i] : NULL;
		int			units = lo != NULL ? lo->units : hidden[i];

		if (lo != NULL && lo->type == NN_LAYER_OPTION_FLATTEN)
			continue;
		if (lo != NULL && nn_recurrent_gates((NNLayerKind) lo->type) > 0)
		{
			shape = SetRecurrentLayer(net, l++, lo, i, prev, opts, shape);
			prev = i;
			continue;
		}
		prev = i;
		if (lo != NULL && lo->type != NN_LAYER_DENSE)
		{
			shape = SetSpatialLayer(net, l++, lo, i, shape);
			continue;
		}
		if (units < 1 || units > NN_MAX_WIDTH)
			ereport(ERROR,
					(errcode(units < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("hidden layer width %d is out of range", units),
					 errdetail("Widths must be from 1 to %d.", NN_MAX_WIDTH)));
		nn_dense_set(net, l++, units, lo != NULL ? lo->activation : opts->activation,
					 lo != NULL ? lo->batch_norm : opts->batch_norm,
					 lo != NULL ? lo->dropout : opts->dropout);
		shape = nn_shape_vector(units);
	}
	/* the output layer's activation follows the loss (nn_model_build) */
	nn_dense_set(net, l, n_outputs, NN_ACT_IDENTITY, false, 0.0f);
	net->n_layers = l + 1;
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
	nn_dense_mut(net, last)->act = net->loss.kind == NN_LOSS_CROSS_ENTROPY ? NN_ACT_SOFTMAX :
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
