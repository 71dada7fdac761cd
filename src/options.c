/*
 * options.c - the jsonb options of nn_train and nn_init: defaults,
 * validation, and errors that name the key and what it accepts.  This is
 * the only file that reads options; README.md documents every key.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "nn.h"

#define MAX_EPOCHS 1000000

typedef void (*OptionSetter) (const char *key, JsonbValue *v, NNOptions *o);

typedef struct OptionDef
{
	const char *key;
	OptionSetter set;
	bool		for_init;		/* nn_init accepts it too */
} OptionDef;

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

	if (v->type != jbvNumeric)
		BadValue(key, psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT, min, max));
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	val = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0 || val < min || val > max)
		BadValue(key, psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT, min, max));
	return (int64) val;
}

static double
GetPositiveNumber(const char *key, JsonbValue *v)
{
	double		d;

	if (v->type != jbvNumeric)
		BadValue(key, "a positive number");
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, NumericGetDatum(v->val.numeric)));
	if (!(d > 0) || !isfinite((float) d))
		BadValue(key, "a positive number");
	return d;
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
GetChoice(const char *key, JsonbValue *v, const char *choices)
{
	if (v->type != jbvString)
		BadValue(key, choices);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

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
	const char *choices = "one of 'adam', 'sgd'";
	int			opt = nn_optimizer_from_name(GetChoice(key, v, choices));

	if (opt < 0)
		BadValue(key, choices);
	o->optimizer = (NNOptimizer) opt;
}

static void
SetLearningRate(const char *key, JsonbValue *v, NNOptions *o)
{
	o->learning_rate = (float) GetPositiveNumber(key, v);
}

static void
SetActivation(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *choices = "one of 'relu', 'sigmoid', 'tanh', 'leaky_relu', 'identity'";
	int			act = nn_activation_from_name(GetChoice(key, v, choices));

	if (act < 0 || act == NN_ACT_SOFTMAX)
		BadValue(key, choices);
	o->activation = (NNActivation) act;
}

static void
SetLoss(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *choices = "one of 'cross_entropy', 'binary_cross_entropy', 'mse'";
	int			loss = nn_loss_from_name(GetChoice(key, v, choices));

	if (loss < 0)
		BadValue(key, choices);
	o->loss = loss;
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
	const char *choices = "one of 'classification', 'regression'";
	char	   *s = GetChoice(key, v, choices);

	if (strcmp(s, "classification") == 0)
		o->task = NN_TASK_CLASSIFICATION;
	else if (strcmp(s, "regression") == 0)
		o->task = NN_TASK_REGRESSION;
	else
		BadValue(key, choices);
}

static const OptionDef option_defs[] = {
	{"activation", SetActivation, true},
	{"batch_size", SetBatchSize, true},
	{"epochs", SetEpochs, false},
	{"learning_rate", SetLearningRate, true},
	{"loss", SetLoss, true},
	{"optimizer", SetOptimizer, true},
	{"seed", SetSeed, true},
	{"standardize", SetStandardize, false},
	{"task", SetTask, true},
	{"verbose", SetVerbose, false},
};

static char *
AllowedKeys(NNOptionsFor caller)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < lengthof(option_defs); i++)
		if (caller == NN_OPTIONS_TRAIN || option_defs[i].for_init)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", option_defs[i].key);
	return buf.data;
}

static void
SetOption(const char *key, JsonbValue *v, NNOptionsFor caller, NNOptions *o)
{
	for (int i = 0; i < lengthof(option_defs); i++)
	{
		if (strcmp(key, option_defs[i].key) != 0)
			continue;
		if (caller == NN_OPTIONS_INIT && !option_defs[i].for_init)
			break;
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
	o->epochs = 10;
	o->batch_size = 32;
	o->optimizer = NN_OPT_ADAM;
	o->learning_rate = NAN;
	o->activation = NN_ACT_RELU;
	o->loss = -1;
	o->seed = 0;
	o->standardize = true;
	o->verbose = false;
	o->task = -1;
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
	if (isnan(out->learning_rate))
		out->learning_rate = nn_optimizer_default_lr(out->optimizer);
}
