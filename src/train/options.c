/*
 * options.c - the jsonb options of nn_train, nn_init and nn_continue:
 * defaults, validation, and errors that name the key and what it accepts.
 * This is the only file that reads options (record.c writes the record a
 * model keeps and reads it back through here); README.md documents every
 * key.
 */
#include "postgres.h"

#include <math.h>

#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "train/train.h"

#define MAX_EPOCHS 1000000
#define ANY_CALLER (NN_OPTIONS_TRAIN | NN_OPTIONS_INIT)

typedef void (*OptionSetter) (const char *key, JsonbValue *v, NNOptions *o);

typedef struct OptionDef
{
	const char *key;
	OptionSetter set;
	int			callers;		/* NNOptionsFor bits that accept the key */
} OptionDef;

static const char *const schedule_names[] = {"constant", "step", "exponential", "cosine"};

const char *
nn_schedule_name(NNSchedule s)
{
	return schedule_names[s];
}

static void pg_attribute_noreturn()
BadValue(const char *key, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\"", key),
			 errdetail("Expected %s.", expected)));
}

static int64
GetInteger(const char *key, JsonbValue *v, int64 min, int64 max)
{
	char	   *text;
	char	   *end;
	long long	val;
	const char *expected = psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT, min, max);

	if (v->type != jbvNumeric)
		BadValue(key, expected);
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	val = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0 || val < min || val > max)
		BadValue(key, expected);
	return (int64) val;
}

/* a number in [min, max] (or [min, max) when max_open), as float */
static float
GetNumber(const char *key, JsonbValue *v, double min, double max, bool max_open,
		  const char *expected)
{
	double		d;

	if (v->type != jbvNumeric)
		BadValue(key, expected);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (!(d >= min) || d > max || (max_open && d >= max) || !isfinite((float) d))
		BadValue(key, expected);
	return (float) d;
}

static float
GetPositive(const char *key, JsonbValue *v)
{
	float		f = GetNumber(key, v, 0, HUGE_VAL, false, "a positive number");

	if (!(f > 0))
		BadValue(key, "a positive number");
	return f;
}

static float
GetNonNegative(const char *key, JsonbValue *v)
{
	return GetNumber(key, v, 0, HUGE_VAL, false, "a number >= 0");
}

static float
GetFraction(const char *key, JsonbValue *v)
{
	return GetNumber(key, v, 0, 1, true, "a number from 0 up to (not including) 1");
}

static bool
GetBool(const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		BadValue(key, "true or false");
	return v->val.boolean;
}

/* the string value, or an error listing the choices */
static char *
GetString(const char *key, JsonbValue *v, const char *choices)
{
	if (v->type != jbvString)
		BadValue(key, choices);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static int
GetChoice(const char *key, JsonbValue *v, const char *const *names, int n, const char *choices)
{
	char	   *s = GetString(key, v, choices);

	for (int i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	BadValue(key, choices);
}

/* ---------- setters, one per key ---------- */

static void
SetEpochs(const char *key, JsonbValue *v, NNOptions *o)
{
	o->epochs = (int) GetInteger(key, v, 1, MAX_EPOCHS);
}

static void
SetBatchSize(const char *key, JsonbValue *v, NNOptions *o)
{
	o->batch_size = (int) GetInteger(key, v, 1, NN_MAX_BATCH);
}

static void
SetOptimizer(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *choices = "one of 'sgd', 'momentum', 'nesterov', 'rmsprop', 'adagrad', 'adadelta', 'adam', 'adamw'";
	int			opt = nn_optimizer_from_name(GetString(key, v, choices));

	if (opt < 0)
		BadValue(key, choices);
	o->optimizer = (NNOptimizer) opt;
}

static void
SetLearningRate(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.learning_rate = GetPositive(key, v);
}

static void
SetMomentum(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.momentum = GetFraction(key, v);
}

static void
SetRho(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.rho = GetFraction(key, v);
}

static void
SetBeta1(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.beta1 = GetFraction(key, v);
}

static void
SetBeta2(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.beta2 = GetFraction(key, v);
}

static void
SetEpsilon(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.epsilon = GetPositive(key, v);
}

static void
SetWeightDecay(const char *key, JsonbValue *v, NNOptions *o)
{
	o->opt.weight_decay = GetNonNegative(key, v);
}

static NNActivation
GetActivation(const char *key, JsonbValue *v)
{
	const char *choices = "one of 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'identity'";
	int			act = nn_activation_from_name(GetString(key, v, choices));

	if (act < 0 || act == NN_ACT_SOFTMAX)
		BadValue(key, choices);
	return (NNActivation) act;
}

static void
SetActivation(const char *key, JsonbValue *v, NNOptions *o)
{
	o->activation = GetActivation(key, v);
}

static void
SetLoss(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *choices = "one of 'cross_entropy', 'binary_cross_entropy', 'mse', 'mae', 'huber'";
	int			loss = nn_loss_from_name(GetString(key, v, choices));

	if (loss < 0)
		BadValue(key, choices);
	o->loss = loss;
}

static void
SetDelta(const char *key, JsonbValue *v, NNOptions *o)
{
	o->delta = GetPositive(key, v);
}

static void
SetSeed(const char *key, JsonbValue *v, NNOptions *o)
{
	o->seed = GetInteger(key, v, 0, PG_INT64_MAX);
}

static void
SetStandardize(const char *key, JsonbValue *v, NNOptions *o)
{
	o->standardize = GetBool(key, v);
}

static void
SetVerbose(const char *key, JsonbValue *v, NNOptions *o)
{
	o->verbose = GetBool(key, v);
}

static void
SetTask(const char *key, JsonbValue *v, NNOptions *o)
{
	static const char *const names[] = {"classification", "regression"};

	o->task = GetChoice(key, v, names, 2, "one of 'classification', 'regression'");
}

static void
SetInit(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *choices = "one of 'he', 'xavier', 'uniform'";
	int			init = nn_init_from_name(GetString(key, v, choices));

	if (init < 0)
		BadValue(key, choices);
	o->init = (NNInit) init;
}

static void
SetL1(const char *key, JsonbValue *v, NNOptions *o)
{
	o->reg.l1 = GetNonNegative(key, v);
}

static void
SetL2(const char *key, JsonbValue *v, NNOptions *o)
{
	o->reg.l2 = GetNonNegative(key, v);
}

static void
SetClipValue(const char *key, JsonbValue *v, NNOptions *o)
{
	o->reg.clip_value = GetPositive(key, v);
}

static void
SetClipNorm(const char *key, JsonbValue *v, NNOptions *o)
{
	o->reg.clip_norm = GetPositive(key, v);
}

static void
SetClipGlobalNorm(const char *key, JsonbValue *v, NNOptions *o)
{
	o->reg.clip_global_norm = GetPositive(key, v);
}

static void
SetDropout(const char *key, JsonbValue *v, NNOptions *o)
{
	o->dropout = GetFraction(key, v);
}

static void
SetBatchNorm(const char *key, JsonbValue *v, NNOptions *o)
{
	o->batch_norm = GetBool(key, v);
}

static void
SetSchedule(const char *key, JsonbValue *v, NNOptions *o)
{
	o->lr_schedule = GetChoice(key, v, schedule_names, lengthof(schedule_names),
							   "one of 'constant', 'step', 'exponential', 'cosine'");
}

static void
SetStepSize(const char *key, JsonbValue *v, NNOptions *o)
{
	o->step_size = (int) GetInteger(key, v, 1, MAX_EPOCHS);
}

static void
SetGamma(const char *key, JsonbValue *v, NNOptions *o)
{
	o->gamma = GetNumber(key, v, 0, 1, false, "a number above 0 and at most 1");
	if (!(o->gamma > 0))
		BadValue(key, "a number above 0 and at most 1");
}

static void
SetWarmup(const char *key, JsonbValue *v, NNOptions *o)
{
	o->warmup_epochs = (int) GetInteger(key, v, 0, MAX_EPOCHS);
}

static void
SetValidationFraction(const char *key, JsonbValue *v, NNOptions *o)
{
	o->validation_fraction = GetNumber(key, v, 0, 1, true,
									   "a number from 0 up to (not including) 1");
}

static void
SetPatience(const char *key, JsonbValue *v, NNOptions *o)
{
	o->patience = (int) GetInteger(key, v, 0, MAX_EPOCHS);
}

static void
SetRestoreBest(const char *key, JsonbValue *v, NNOptions *o)
{
	o->restore_best = GetBool(key, v);
}

static const char *const impute_names[] = {"skip", "error", "mean", "zero"};

static void
SetImpute(const char *key, JsonbValue *v, NNOptions *o)
{
	o->impute = GetChoice(key, v, impute_names, lengthof(impute_names),
						  "one of 'skip', 'error', 'mean', 'zero'");
}

const char *
nn_impute_name(NNImpute i)
{
	return impute_names[i];
}

static void
SetWeightColumn(const char *key, JsonbValue *v, NNOptions *o)
{
	o->weight_column = GetString(key, v, "a column name");
}

/* the name nn_train registers the model under in nn_models */
static void
SetName(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *expected = psprintf("a model name of 1 to %d characters", NN_MODEL_NAME_MAX);
	char	   *name = GetString(key, v, expected);
	int			chars = pg_mbstrlen(name);

	if (chars < 1 || chars > NN_MODEL_NAME_MAX)
		BadValue(key, expected);
	o->name = name;
}

/* class_weight: 'balanced' or an object label -> positive weight */
static void
SetClassWeight(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *expected = "'balanced' or an object mapping class labels to positive weights";
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			n = 0;

	if (v->type == jbvString)
	{
		if (GetChoice(key, v, (const char *const[]) {"balanced"}, 1, expected) == 0)
			o->class_weight_balanced = true;
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		BadValue(key, expected);
	o->n_class_weights = JsonContainerSize(v->val.binary.data);
	o->class_weight_labels = palloc(Max(o->n_class_weights, 1) * sizeof(char *));
	o->class_weights = palloc(Max(o->n_class_weights, 1) * sizeof(float));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			o->class_weight_labels[n] = pnstrdup(e.val.string.val, e.val.string.len);
		else if (tok == WJB_VALUE)
		{
			char	   *name = psprintf("class_weight.%s", o->class_weight_labels[n]);

			o->class_weights[n++] = GetPositive(name, &e);
		}
	}
}

/* ---------- options.layers ---------- */

static void
SetLayerKey(const char *key, JsonbValue *v, NNLayerOption *l, int index)
{
	char	   *name = psprintf("layers[%d].%s", index, key);

	if (strcmp(key, "units") == 0)
		l->units = (int) GetInteger(name, v, 1, NN_MAX_WIDTH);
	else if (strcmp(key, "activation") == 0)
		l->activation = GetActivation(name, v);
	else if (strcmp(key, "dropout") == 0)
		l->dropout = GetFraction(name, v);
	else if (strcmp(key, "batch_norm") == 0)
		l->batch_norm = GetBool(name, v);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown key \"%s\" in option \"layers\" element %d", key, index),
				 errhint("Layer keys are: units, activation, dropout, batch_norm.")));
}

/* Unset layer keys (-1) take the top-level options later. */
static void
SetLayers(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *expected = "an array of objects with keys units, activation, dropout, batch_norm";
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			n = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		BadValue(key, expected);
	o->n_layers = JsonContainerSize(v->val.binary.data);
	if (o->n_layers >= NN_MAX_LAYERS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("option \"layers\" has %d layers, at most %d allowed", o->n_layers,
						NN_MAX_LAYERS - 1)));
	o->layers = palloc0(Max(o->n_layers, 1) * sizeof(NNLayerOption));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
	{
		NNLayerOption *l;
		JsonbIterator *lit;
		JsonbValue	f;
		char	   *k = NULL;

		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvBinary || !JsonContainerIsObject(e.val.binary.data))
			BadValue(key, expected);
		l = &o->layers[n];
		l->activation = -1;
		l->dropout = -1;
		l->batch_norm = -1;
		lit = JsonbIteratorInit(e.val.binary.data);
		while ((tok = JsonbIteratorNext(&lit, &f, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				k = pnstrdup(f.val.string.val, f.val.string.len);
			else if (tok == WJB_VALUE)
				SetLayerKey(k, &f, l, n);
		}
		if (l->units == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"layers\" element %d has no \"units\"", n)));
		n++;
	}
}
static const OptionDef option_defs[] = {
	{"activation", SetActivation, ANY_CALLER},
	{"batch_norm", SetBatchNorm, ANY_CALLER},
	{"batch_size", SetBatchSize, ANY_CALLER},
	{"beta1", SetBeta1, ANY_CALLER},
	{"beta2", SetBeta2, ANY_CALLER},
	{"class_weight", SetClassWeight, NN_OPTIONS_TRAIN},
	{"clip_global_norm", SetClipGlobalNorm, ANY_CALLER},
	{"clip_norm", SetClipNorm, ANY_CALLER},
	{"clip_value", SetClipValue, ANY_CALLER},
	{"delta", SetDelta, ANY_CALLER},
	{"dropout", SetDropout, ANY_CALLER},
	{"epochs", SetEpochs, NN_OPTIONS_TRAIN | NN_OPTIONS_CONTINUE},
	{"epsilon", SetEpsilon, ANY_CALLER},
	{"gamma", SetGamma, NN_OPTIONS_TRAIN},
	{"impute", SetImpute, NN_OPTIONS_TRAIN},
	{"init", SetInit, ANY_CALLER},
	{"l1", SetL1, ANY_CALLER},
	{"l2", SetL2, ANY_CALLER},
	{"layers", SetLayers, ANY_CALLER},
	{"learning_rate", SetLearningRate, ANY_CALLER},
	{"loss", SetLoss, ANY_CALLER},
	{"lr_schedule", SetSchedule, NN_OPTIONS_TRAIN},
	{"momentum", SetMomentum, ANY_CALLER},
	{"name", SetName, NN_OPTIONS_TRAIN},
	{"optimizer", SetOptimizer, ANY_CALLER},
	{"patience", SetPatience, NN_OPTIONS_TRAIN},
	{"restore_best", SetRestoreBest, NN_OPTIONS_TRAIN},
	{"rho", SetRho, ANY_CALLER},
	{"seed", SetSeed, ANY_CALLER},
	{"standardize", SetStandardize, NN_OPTIONS_TRAIN},
	{"step_size", SetStepSize, NN_OPTIONS_TRAIN},
	{"task", SetTask, ANY_CALLER},
	{"validation_fraction", SetValidationFraction, NN_OPTIONS_TRAIN},
	{"verbose", SetVerbose, NN_OPTIONS_TRAIN | NN_OPTIONS_CONTINUE},
	{"warmup_epochs", SetWarmup, NN_OPTIONS_TRAIN},
	{"weight_column", SetWeightColumn, NN_OPTIONS_TRAIN},
	{"weight_decay", SetWeightDecay, ANY_CALLER},
};

static char *
AllowedKeys(NNOptionsFor caller)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < lengthof(option_defs); i++)
		if (option_defs[i].callers & caller)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", option_defs[i].key);
	return buf.data;
}

static const char *
CallerName(NNOptionsFor caller)
{
	return caller == NN_OPTIONS_INIT ? "nn_init" :
		caller == NN_OPTIONS_CONTINUE ? "nn_continue" : "nn_train";
}

static void
SetOption(const char *key, JsonbValue *v, NNOptionsFor caller, NNOptions *o)
{
	for (int i = 0; i < lengthof(option_defs); i++)
	{
		if (strcmp(key, option_defs[i].key) != 0)
			continue;
		if (!(option_defs[i].callers & caller))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"%s\" is not accepted by %s", key, CallerName(caller)),
					 errhint("%s accepts: %s.", CallerName(caller), AllowedKeys(caller))));
		option_defs[i].set(key, v, o);
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown option \"%s\"", key),
			 errhint("Valid options are: %s.", AllowedKeys(caller))));
}

static void
SetDefaults(NNOptions *o)
{
	memset(o, 0, sizeof(*o));
	o->epochs = 10;
	o->batch_size = 32;
	o->optimizer = NN_OPT_ADAM;
	o->opt.learning_rate = o->opt.beta1 = o->opt.beta2 = o->opt.epsilon = NAN;
	o->opt.momentum = o->opt.rho = o->opt.weight_decay = NAN;
	o->activation = NN_ACT_RELU;
	o->loss = -1;
	o->delta = 1.0f;
	o->standardize = true;
	o->task = -1;
	o->init = NN_INIT_AUTO;
	o->n_layers = -1;
	o->lr_schedule = NN_SCHEDULE_CONSTANT;
	o->step_size = 10;
	o->gamma = NAN;
	o->restore_best = true;
}

/* Fill what the user left to defaults that depend on other options. */
static void
ResolveDefaults(NNOptions *o)
{
	NNOptConfig def;
	float	   *mine[] = {&o->opt.learning_rate, &o->opt.beta1, &o->opt.beta2, &o->opt.epsilon,
	&o->opt.momentum, &o->opt.rho, &o->opt.weight_decay};
	float	   *theirs[] = {&def.learning_rate, &def.beta1, &def.beta2, &def.epsilon,
	&def.momentum, &def.rho, &def.weight_decay};

	nn_optimizer_defaults(o->optimizer, &def);
	for (int i = 0; i < lengthof(mine); i++)
		if (isnan(*mine[i]))
			*mine[i] = *theirs[i];
	if (isnan(o->gamma))
		o->gamma = o->lr_schedule == NN_SCHEDULE_STEP ? 0.1f :
			o->lr_schedule == NN_SCHEDULE_EXPONENTIAL ? 0.95f : 1.0f;
	for (int i = 0; i < o->n_layers; i++)
	{
		NNLayerOption *l = &o->layers[i];

		if (l->activation < 0)
			l->activation = o->activation;
		if (l->dropout < 0)
			l->dropout = o->dropout;
		if (l->batch_norm < 0)
			l->batch_norm = o->batch_norm;
	}
}

void
nn_options_parse(Jsonb *options, NNOptionsFor caller, NNOptions *out)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	char	   *key = NULL;

	SetDefaults(out);
	if (options != NULL && !JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("options must be a JSON object")));
	it = options != NULL ? JsonbIteratorInit(&options->root) : NULL;
	while (it != NULL && (tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_KEY)
			key = pnstrdup(v.val.string.val, v.val.string.len);
		else if (tok == WJB_VALUE)
			SetOption(key, &v, caller, out);
	}
	ResolveDefaults(out);
}
