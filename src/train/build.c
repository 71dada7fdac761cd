/*
 * build.c - an untrained model: the network from the sizes and options
 * (hidden layers, the loss that fits the task), parameters initialized
 * from the seed.  nn_train and nn_init start from it.
 */
#include "postgres.h"

#include "kernels/dense_layer.h"
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
	net->shapes[0] = nn_shape_vector(n_inputs);
	for (int i = 0; i < n; i++)
	{
		const NNLayerOption *l = opts->n_layers >= 0 ? &opts->layers[i] : NULL;
		int			units = l != NULL ? l->units : hidden[i];

		if (units < 1 || units > NN_MAX_WIDTH)
			ereport(ERROR,
					(errcode(units < 1 ? ERRCODE_INVALID_PARAMETER_VALUE : ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("hidden layer width %d is out of range", units),
					 errdetail("Widths must be from 1 to %d.", NN_MAX_WIDTH)));
		nn_dense_set(net, i, units, l != NULL ? l->activation : opts->activation,
					 l != NULL ? l->batch_norm : opts->batch_norm,
					 l != NULL ? l->dropout : opts->dropout);
	}
	/* the output layer's activation follows the loss (nn_model_build) */
	nn_dense_set(net, n, n_outputs, NN_ACT_IDENTITY, false, 0.0f);
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
