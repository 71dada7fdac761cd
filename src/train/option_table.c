/*
 * option_table.c - the one table of the jsonb options of nn_train,
 * nn_continue and nn_init: for every key its type and range, its default,
 * which of the three functions take it and whether the record a model keeps
 * carries it.  Parsing and its errors (options.c), the hints that list the
 * keys a function takes, the record (record.c) and so nn_info's "options"
 * all come from here; README.md documents every key.
 */
#include "postgres.h"

#include <math.h>

#include "kernels/recurrent_layer.h"
#include "train/option_defs.h"

#define MAX_EPOCHS 1000000
/* the keys of the network: nn_init takes them, and the record lists them first */
#define ANY_CALLER (NN_OPTIONS_TRAIN | NN_OPTIONS_INIT)
#define TRAIN NN_OPTIONS_TRAIN
#define TRAIN_CONTINUE (NN_OPTIONS_TRAIN | NN_OPTIONS_CONTINUE)

#define OPTION(field) offsetof(NNOptions, field)
#define LAYER(field) offsetof(NNLayerOption, field)

static const char *const optimizer_names[] =
{"sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adadelta", "adam", "adamw"};
/* softmax is the output layer's, never chosen */
static const char *const activation_names[] =
{"relu", "sigmoid", "tanh", "leaky_relu", "identity"};
static const char *const loss_names[] =
{"cross_entropy", "binary_cross_entropy", "mse", "mae", "huber"};
/* "auto" is the absence of a choice, not a name one can give */
static const char *const init_names[] = {"he", "xavier", "uniform"};
static const char *const task_names[] = {"classification", "regression"};
static const char *const schedule_names[] = {"constant", "step", "exponential", "cosine"};
static const char *const impute_names[] = {"skip", "error", "mean", "zero"};
static const char *const strategy_names[] = {"memory", "aggregate"};
/* in NNLayerKind order; flatten makes no layer of its own */
static const char *const layer_type_names[] =
{"dense", "conv2d", "max_pool2d", "avg_pool2d", "global_avg_pool2d", "depthwise_conv2d",
"separable_conv2d", "rnn", "lstm", "gru", "flatten"};

StaticAssertDecl(NN_TASK_CLASSIFICATION == 0 && NN_TASK_REGRESSION == 1,
				 "task_names are in the order of NNTask");
StaticAssertDecl(lengthof(schedule_names) == NN_SCHEDULE_COSINE + 1,
				 "schedule_names are in the order of NNSchedule");
StaticAssertDecl(lengthof(strategy_names) == NN_STRATEGY_AGGREGATE + 1,
				 "strategy_names are in the order of NNStrategy");
StaticAssertDecl(lengthof(impute_names) == NN_IMPUTE_COUNT,
				 "impute_names are in the order of NNImpute");
StaticAssertDecl(NN_LAYER_CONV2D == 1 && NN_LAYER_MAX_POOL2D == 2 && NN_LAYER_AVG_POOL2D == 3 &&
				 NN_LAYER_GLOBAL_AVG_POOL2D == 4 && NN_LAYER_DEPTHWISE_CONV2D == 5 &&
				 NN_LAYER_SEPARABLE_CONV2D == 6 && NN_LAYER_RNN == 7 &&
				 NN_LAYER_LSTM == 8 && NN_LAYER_GRU == 9 &&
				 lengthof(layer_type_names) == NN_LAYER_OPTION_FLATTEN + 1,
				 "layer_type_names are in the order of NNLayerKind, flatten last");

#define CHOICES(names, from_name) {names, lengthof(names), from_name}
static const OptionChoices optimizers = CHOICES(optimizer_names, nn_optimizer_from_name);
static const OptionChoices activations = CHOICES(activation_names, nn_activation_from_name);
static const OptionChoices losses = CHOICES(loss_names, nn_loss_from_name);
static const OptionChoices inits = CHOICES(init_names, nn_init_from_name);
static const OptionChoices tasks = CHOICES(task_names, NULL);
static const OptionChoices schedules = CHOICES(schedule_names, NULL);
static const OptionChoices imputes = CHOICES(impute_names, NULL);
static const OptionChoices strategies = CHOICES(strategy_names, NULL);
const OptionChoices nn_layer_types = CHOICES(layer_type_names, NULL);

/*
 * In key order: the hints list the keys so, and the record (whose text is
 * part of a model's bytes) writes the keys nn_init takes in this order, then
 * the others in this order.
 */
const OptionDef nn_option_defs[] = {
	/* key, type, offset, callers, default, min, max, choices, expected, record */
	{"activation", OPT_CHOICE, OPTION(activation), ANY_CALLER, NN_ACT_RELU, 0, 0, &activations},
	/* not given: no adversarial training */
	{"adversarial", OPT_ADVERSARIAL, OPTION(adversarial), TRAIN_CONTINUE, 0,
	.record = RECORD_UNLESS_DEFAULT},
	{"batch_norm", OPT_BOOL, OPTION(batch_norm), ANY_CALLER, false},
	{"batch_size", OPT_INT, OPTION(batch_size), ANY_CALLER, 32, 1, NN_MAX_BATCH},
	{"beta1", OPT_FRACTION, OPTION(opt.beta1), ANY_CALLER, NAN},
	{"beta2", OPT_FRACTION, OPTION(opt.beta2), ANY_CALLER, NAN},
	{"class_weight", OPT_CLASS_WEIGHT, 0, TRAIN, 0, .record = RECORD_UNLESS_DEFAULT},
	{"clip_global_norm", OPT_POSITIVE, OPTION(reg.clip_global_norm), ANY_CALLER, 0,
	.record = RECORD_UNLESS_DEFAULT},
	{"clip_norm", OPT_POSITIVE, OPTION(reg.clip_norm), ANY_CALLER, 0,
	.record = RECORD_UNLESS_DEFAULT},
	{"clip_value", OPT_POSITIVE, OPTION(reg.clip_value), ANY_CALLER, 0,
	.record = RECORD_UNLESS_DEFAULT},
	{"delta", OPT_POSITIVE, OPTION(delta), ANY_CALLER, 1.0},
	{"dropout", OPT_FRACTION, OPTION(dropout), ANY_CALLER, 0},
	{"epochs", OPT_INT, OPTION(epochs), TRAIN_CONTINUE, 10, 1, MAX_EPOCHS},
	{"epsilon", OPT_POSITIVE, OPTION(opt.epsilon), ANY_CALLER, NAN},
	{"gamma", OPT_UNIT, OPTION(gamma), TRAIN, NAN},
	{"impute", OPT_CHOICE, OPTION(impute), TRAIN, NN_IMPUTE_SKIP, 0, 0, &imputes,
	.record = RECORD_UNLESS_DEFAULT},
	/* NN_INIT_AUTO: chosen per layer from the activation */
	{"init", OPT_CHOICE, OPTION(init), ANY_CALLER, NN_INIT_AUTO, 0, 0, &inits,
	.record = RECORD_UNLESS_DEFAULT},
	/* rank 0: not given, the inputs are a vector */
	{"input_shape", OPT_SHAPE, OPTION(input_shape), ANY_CALLER, 0, 1, NN_MAX_WIDTH,
	.record = RECORD_UNLESS_DEFAULT},
	{"l1", OPT_NONNEGATIVE, OPTION(reg.l1), ANY_CALLER, 0},
	{"l2", OPT_NONNEGATIVE, OPTION(reg.l2), ANY_CALLER, 0},
	/* -1: no options.layers, the hidden argument gives the widths */
	{"layers", OPT_LAYERS, OPTION(n_layers), ANY_CALLER, -1, .record = RECORD_UNLESS_DEFAULT},
	{"learning_rate", OPT_POSITIVE, OPTION(opt.learning_rate), ANY_CALLER, NAN},
	/* -1: chosen from the task */
	{"loss", OPT_CHOICE, OPTION(loss), ANY_CALLER, -1, 0, 0, &losses,
	.record = RECORD_UNLESS_DEFAULT},
	{"lr_schedule", OPT_CHOICE, OPTION(lr_schedule), TRAIN, NN_SCHEDULE_CONSTANT, 0, 0, &schedules},
	{"momentum", OPT_FRACTION, OPTION(opt.momentum), ANY_CALLER, NAN},
	/* the name nn_train registers the model under in nn_models */
	{"name", OPT_TEXT, OPTION(name), TRAIN, 0, 1, NN_MODEL_NAME_MAX, NULL,
	"a model name of 1 to " CppAsString2(NN_MODEL_NAME_MAX) " characters", RECORD_NEVER},
	{"optimizer", OPT_CHOICE, OPTION(optimizer), ANY_CALLER, NN_OPT_ADAM, 0, 0, &optimizers},
	/* 0: no early stopping */
	{"patience", OPT_INT, OPTION(patience), TRAIN, 0, 0, MAX_EPOCHS},
	{"restore_best", OPT_BOOL, OPTION(restore_best), TRAIN, true},
	{"rho", OPT_FRACTION, OPTION(opt.rho), ANY_CALLER, NAN},
	{"seed", OPT_INT64, OPTION(seed), ANY_CALLER, 0, 0, PG_INT64_MAX},
	{"standardize", OPT_BOOL, OPTION(standardize), TRAIN, true},
	{"step_size", OPT_INT, OPTION(step_size), TRAIN, 10, 1, MAX_EPOCHS},
	/* "memory" is left out of the record: models from before the key keep their bytes */
	{"strategy", OPT_CHOICE, OPTION(strategy), TRAIN, NN_STRATEGY_MEMORY, 0, 0, &strategies,
	.record = RECORD_UNLESS_DEFAULT},
	/* -1: chosen from the target's type */
	{"task", OPT_CHOICE, OPTION(task), ANY_CALLER, -1, 0, 0, &tasks,
	.record = RECORD_UNLESS_DEFAULT},
	{"validation_fraction", OPT_FRACTION, OPTION(validation_fraction), TRAIN, 0},
	{"verbose", OPT_BOOL, OPTION(verbose), TRAIN_CONTINUE, false, .record = RECORD_NEVER},
	{"warmup_epochs", OPT_INT, OPTION(warmup_epochs), TRAIN, 0, 0, MAX_EPOCHS},
	/* NULL: every row weighs 1 */
	{"weight_column", OPT_TEXT, OPTION(weight_column), TRAIN, 0, 0, 0, NULL, "a column name",
	RECORD_UNLESS_DEFAULT},
	{"weight_decay", OPT_NONNEGATIVE, OPTION(opt.weight_decay), ANY_CALLER, NAN},
};
const int	nn_n_option_defs = lengthof(nn_option_defs);

/*
 * One element of options.layers, in the order of the record.  A key left
 * out takes the top-level key of the same name, else its default (def); a
 * key whose default is NaN must be given.  types: the layer types that
 * take the key.  A dense layer's record holds units, activation, dropout
 * and batch_norm alone, as before layer types were: the type is recorded
 * only when it is not dense.
 */
#define TYPE(t) (1 << (t))
#define DENSE TYPE(NN_LAYER_DENSE)
#define CONV TYPE(NN_LAYER_CONV2D)
#define POOL (TYPE(NN_LAYER_MAX_POOL2D) | TYPE(NN_LAYER_AVG_POOL2D))
#define DEPTHWISE TYPE(NN_LAYER_DEPTHWISE_CONV2D)
#define SEPARABLE TYPE(NN_LAYER_SEPARABLE_CONV2D)
#define WINDOWED (CONV | DEPTHWISE | SEPARABLE)
#define RECURRENT (TYPE(NN_LAYER_RNN) | TYPE(NN_LAYER_LSTM) | TYPE(NN_LAYER_GRU))
#define ALL_TYPES (TYPE(NN_LAYER_OPTION_FLATTEN + 1) - 1)
#define MAX_WINDOW 255			/* kernels, strides, padding: one byte each */

const OptionDef nn_layer_defs[] = {
	{"type", OPT_CHOICE, LAYER(type), 0, NN_LAYER_DENSE, 0, 0, &nn_layer_types,
	.types = ALL_TYPES},
	{"units", OPT_INT, LAYER(units), 0, NAN, 1, NN_MAX_WIDTH, .types = DENSE},
	/* a key may have one line per range: a recurrent layer's units are fewer */
	{"units", OPT_INT, LAYER(units), 0, NAN, 1, NN_MAX_RECURRENT_UNITS, .types = RECURRENT},
	{"activation", OPT_CHOICE, LAYER(activation), 0, 0, 0, 0, &activations,
	.types = DENSE | WINDOWED},
	{"dropout", OPT_FRACTION, LAYER(dropout), .types = DENSE | CONV | RECURRENT},
	{"batch_norm", OPT_BOOL, LAYER(batch_norm), .types = DENSE | CONV},
	{"filters", OPT_INT, LAYER(filters), 0, NAN, 1, UINT16_MAX, .types = CONV | SEPARABLE},
	{"kernel", OPT_PAIR, LAYER(kernel), 0, NAN, 1, MAX_WINDOW, .types = WINDOWED},
	{"size", OPT_PAIR, LAYER(size), 0, NAN, 1, MAX_WINDOW, .types = POOL},
	/* 0: 1 for a convolution, the window's size for pooling */
	{"stride", OPT_PAIR, LAYER(stride), 0, 0, 1, MAX_WINDOW, .types = WINDOWED | POOL},
	{"padding", OPT_PADDING, LAYER(padding), 0, NN_PADDING_VALID, 0, MAX_WINDOW - 1,
	.types = WINDOWED | POOL},
	{"depth_multiplier", OPT_INT, LAYER(depth_multiplier), 0, 1, 1, MAX_WINDOW,
	.types = DEPTHWISE},
	{"return_sequences", OPT_BOOL, LAYER(return_sequences), 0, false, .types = RECURRENT},
	{"bidirectional", OPT_BOOL, LAYER(bidirectional), 0, false, .types = RECURRENT},
};
const int	nn_n_layer_defs = lengthof(nn_layer_defs);

StaticAssertDecl(lengthof(nn_layer_defs) <= 8 * sizeof(((NNLayerOption *) 0)->given) &&
				 NN_LAYER_OPTION_FLATTEN < 8 * sizeof(((OptionDef *) 0)->types),
				 "NNLayerOption.given has a bit per layer key, OptionDef.types per type");

int
nn_option_choice_value(const OptionChoices *c, int i)
{
	return c->from_name != NULL ? c->from_name(c->names[i]) : i;
}

const char *
nn_option_choice_name(const OptionChoices *c, int value)
{
	for (int i = 0; i < c->n; i++)
		if (nn_option_choice_value(c, i) == value)
			return c->names[i];
	return NULL;
}

const OptionDef *
nn_option_find(const char *key)
{
	for (int i = 0; i < nn_n_option_defs; i++)
		if (strcmp(key, nn_option_defs[i].key) == 0)
			return &nn_option_defs[i];
	return NULL;
}

const char *
nn_schedule_name(NNSchedule s)
{
	return nn_option_choice_name(&schedules, s);
}

const char *
nn_impute_name(NNImpute i)
{
	return nn_option_choice_name(&imputes, i);
}

const char *
nn_layer_type_name(int type)
{
	return nn_option_choice_name(&nn_layer_types, type);
}
