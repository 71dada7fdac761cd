/*
 * options.c - the jsonb options of nn_train, nn_init and nn_continue, read
 * through the option table (option_table.c): each value checked against
 * its key's type and range, errors that name the key and what it accepts
 * (or the keys the function takes), and the defaults, some of which depend
 * on other options.  This is the only file that reads options; record.c
 * reads a model's record back through here.
 */
#include "postgres.h"

#include <math.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "train/option_defs.h"

/* a float type's range, and what an error says it expected */
typedef struct FloatRange
{
	double		min;
	double		max;
	bool		min_open;		/* checked on the float: a tiny double rounds to 0 */
	bool		max_open;
	const char *expected;
} FloatRange;

static const FloatRange float_ranges[] = {
	[OPT_POSITIVE] = {0, HUGE_VAL, true, false, "a positive number"},
	[OPT_NONNEGATIVE] = {0, HUGE_VAL, false, false, "a number >= 0"},
	[OPT_FRACTION] = {0, 1, false, true, "a number from 0 up to (not including) 1"},
	[OPT_UNIT] = {0, 1, true, false, "a number above 0 and at most 1"},
};

/* v: the value given, which the error names (NULL: a value given with another) */
static void pg_attribute_noreturn()
BadValue(const char *key, const JsonbValue *v, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for option \"%s\"", key),
			 v != NULL ? errdetail("Expected %s, got %s.", expected, nn_json_value_desc(v)) :
			 errdetail("Expected %s.", expected)));
}

/*
 * the keys of defs that callers take (0: all of them), as "a, b, c"; a key
 * with a line per range (a layer's units) is listed once
 */
static char *
KeyList(const OptionDef *defs, int n, int callers)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		if ((callers == 0 || (defs[i].callers & callers)) &&
			(i == 0 || strcmp(defs[i].key, defs[i - 1].key) != 0))
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", defs[i].key);
	return buf.data;
}

/* the keys of defs that callers take (0: all) and, with types, that a layer type takes */
static const char **
KeyNames(const OptionDef *defs, int n, int callers, int types, int *count)
{
	const char **names = palloc(Max(n, 1) * sizeof(char *));

	*count = 0;
	for (int i = 0; i < n; i++)
		if ((callers == 0 || (defs[i].callers & callers)) &&
			(types == 0 || (defs[i].types & types)))
			names[(*count)++] = defs[i].key;
	return names;
}

/* "Did you mean ...? " for an unknown key, among those KeyNames gives */
static char *
NearestKey(const char *key, const OptionDef *defs, int n, int callers, int types)
{
	int			count;
	const char **names = KeyNames(defs, n, callers, types, &count);

	return nn_did_you_mean(key, names, count);
}

/* v as an integer in [min, max]; false when it is not one */
static bool
ReadInteger(JsonbValue *v, int64 min, int64 max, int64 *out)
{
	char	   *text;
	char	   *end;
	long long	val;

	if (v->type != jbvNumeric)
		return false;
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	errno = 0;
	val = strtoll(text, &end, 10);
	if (*end != '\0' || errno != 0 || val < min || val > max)
		return false;
	*out = (int64) val;
	return true;
}

static int64
GetInteger(const char *key, JsonbValue *v, int64 min, int64 max)
{
	int64		val;

	if (!ReadInteger(v, min, max, &val))
		BadValue(key, v, psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT, min, max));
	return val;
}

/*
 * v as an array of n integers in [min, max] into out, or (n_scalar > 0) as
 * one integer for all n_scalar of them; false when it is neither.
 */
static bool
ReadIntegers(JsonbValue *v, int n, int n_scalar, int64 min, int64 max, int *out)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			i = 0;
	int64		val;

	if (n_scalar > 0 && v->type == jbvNumeric)
	{
		if (!ReadInteger(v, min, max, &val))
			return false;
		for (i = 0; i < n_scalar; i++)
			out[i] = (int) val;
		return true;
	}
	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data) ||
		JsonContainerSize(v->val.binary.data) != n)
		return false;
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
		{
			if (!ReadInteger(&e, min, max, &val))
				return false;
			out[i++] = (int) val;
		}
	return true;
}

static float
GetFloat(const char *key, JsonbValue *v, OptionType type)
{
	const FloatRange *r = &float_ranges[type];
	double		d;
	float		f;

	if (v->type != jbvNumeric)
		BadValue(key, v, r->expected);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	f = (float) d;
	if (!(d >= r->min) || d > r->max || (r->max_open && d >= r->max) || !isfinite(f) ||
		(r->min_open && !(f > r->min)))
		BadValue(key, v, r->expected);
	return f;
}

static bool
GetBool(const char *key, JsonbValue *v)
{
	if (v->type != jbvBool)
		BadValue(key, v, "true or false");
	return v->val.boolean;
}

/* the string value, or an error saying what was expected */
static char *
GetString(const char *key, JsonbValue *v, const char *expected)
{
	if (v->type != jbvString)
		BadValue(key, v, expected);
	return pnstrdup(v->val.string.val, v->val.string.len);
}

static int
GetChoice(const char *key, JsonbValue *v, const OptionChoices *c)
{
	StringInfoData expected;
	char	   *s;

	initStringInfo(&expected);
	appendStringInfoString(&expected, "one of ");
	for (int i = 0; i < c->n; i++)
		appendStringInfo(&expected, "%s'%s'", i > 0 ? ", " : "", c->names[i]);
	s = GetString(key, v, expected.data);
	for (int i = 0; i < c->n; i++)
		if (strcmp(s, c->names[i]) == 0)
			return nn_option_choice_value(c, i);
	BadValue(key, v, expected.data);
}

static char *
GetText(const char *key, JsonbValue *v, const OptionDef *def)
{
	char	   *s = GetString(key, v, def->expected);
	int			chars;

	if (def->max == 0)
		return s;
	chars = pg_mbstrlen(s);
	if (chars < def->min || chars > def->max)
		BadValue(key, v, def->expected);
	return s;
}

/* OPT_THRESHOLD: a probability strictly between 0 and 1 (as a float), or "f1" */
static void
SetThreshold(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *expected = "a probability above 0 and below 1, or 'f1'";
	double		d;

	if (v->type == jbvString)
	{
		if (strcmp(GetString(key, v, expected), "f1") != 0)
			BadValue(key, v, expected);
		o->threshold_f1 = true;
		o->threshold_given = true;
		return;
	}
	if (v->type != jbvNumeric)
		BadValue(key, v, expected);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (!((float) d > 0.0f && (float) d < 1.0f))
		BadValue(key, v, expected);
	o->threshold = (float) d;
	o->threshold_f1 = false;
	o->threshold_given = true;
}

/* OPT_LABEL: a string, or a number or boolean whose text is the label */
static char *
GetLabel(const char *key, JsonbValue *v)
{
	if (v->type == jbvNumeric)
		return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v->val.numeric)));
	if (v->type == jbvBool)
		return pstrdup(v->val.boolean ? "true" : "false");
	return GetString(key, v, "a class label: a string, a number or a boolean");
}

/* OPT_PAIR: n (height and width) or [height, width] */
static void
GetPair(const char *key, JsonbValue *v, const OptionDef *def, int *out)
{
	if (!ReadIntegers(v, 2, 2, def->min, def->max, out))
		BadValue(key, v, psprintf("an integer from " INT64_FORMAT " to " INT64_FORMAT
							   " or an array [height, width] of them", def->min, def->max));
}

/* OPT_SHAPE: [steps, features] or [channels, height, width] */
static void
GetShape(const char *key, JsonbValue *v, const OptionDef *def, NNShapeOption *out)
{
	int			rank = v->type == jbvBinary && JsonContainerIsArray(v->val.binary.data) ?
		(int) JsonContainerSize(v->val.binary.data) : 0;

	if ((rank != 2 && rank != 3) || !ReadIntegers(v, rank, 0, def->min, def->max, out->dims))
		BadValue(key, v, psprintf("an array [steps, features] or [channels, height, width] of integers from "
							   INT64_FORMAT " to " INT64_FORMAT, def->min, def->max));
	out->rank = rank;
}

/* OPT_PADDING: "valid", "same", n on every side or [top, left, bottom, right] */
static void
GetPadding(const char *key, JsonbValue *v, const OptionDef *def, NNPaddingOption *out)
{
	const char *expected = psprintf("'valid', 'same', an integer from " INT64_FORMAT " to "
									INT64_FORMAT " or an array [top, left, bottom, right] of them",
									def->min, def->max);

	if (v->type == jbvString)
	{
		char	   *s = GetString(key, v, expected);

		if (strcmp(s, "valid") != 0 && strcmp(s, "same") != 0)
			BadValue(key, v, expected);
		out->mode = strcmp(s, "same") == 0 ? NN_PADDING_SAME : NN_PADDING_VALID;
		return;
	}
	if (!ReadIntegers(v, 4, 4, def->min, def->max, out->sides))
		BadValue(key, v, expected);
	out->mode = NN_PADDING_EXPLICIT;
}

/* bytes of a value of the types a layer key can share with a top-level key */
static size_t
ValueSize(OptionType type)
{
	switch (type)
	{
		case OPT_INT:
		case OPT_CHOICE:
			return sizeof(int);
		case OPT_BOOL:
			return sizeof(bool);
		case OPT_POSITIVE:
		case OPT_NONNEGATIVE:
		case OPT_FRACTION:
		case OPT_UNIT:
			return sizeof(float);
		default:
			elog(ERROR, "option type %d has no fixed size", (int) type);
	}
}

static void SetLayers(const char *key, JsonbValue *v, NNOptions *o);
static void SetClassWeight(const char *key, JsonbValue *v, NNOptions *o);

/* adversarial: an attack, and the share of each minibatch it replaces */
static void
SetAdversarial(const char *key, JsonbValue *v, NNOptions *o)
{
	nn_attack_options(nn_attack_object("training", key, v), "training", key,
					  NN_ATTACK_KEY_RATIO, &o->adversarial);
	o->adversarial_given = true;
}

/* check v as def's type and range; store it at def's offset in base */
static void
SetValue(const OptionDef *def, const char *key, JsonbValue *v, char *base)
{
	void	   *field = base + def->offset;

	switch (def->type)
	{
		case OPT_INT:
			*(int *) field = (int) GetInteger(key, v, def->min, def->max);
			break;
		case OPT_INT64:
			*(int64 *) field = GetInteger(key, v, def->min, def->max);
			break;
		case OPT_POSITIVE:
		case OPT_NONNEGATIVE:
		case OPT_FRACTION:
		case OPT_UNIT:
			*(float *) field = GetFloat(key, v, def->type);
			break;
		case OPT_BOOL:
			*(bool *) field = GetBool(key, v);
			break;
		case OPT_CHOICE:
			*(int *) field = GetChoice(key, v, def->choices);
			break;
		case OPT_TEXT:
			*(char **) field = GetText(key, v, def);
			break;
		case OPT_PAIR:
			GetPair(key, v, def, (int *) field);
			break;
		case OPT_SHAPE:
			GetShape(key, v, def, (NNShapeOption *) field);
			break;
		case OPT_PADDING:
			GetPadding(key, v, def, (NNPaddingOption *) field);
			break;
		case OPT_LAYERS:
			SetLayers(key, v, (NNOptions *) base);
			break;
		case OPT_CLASS_WEIGHT:
			SetClassWeight(key, v, (NNOptions *) base);
			break;
		case OPT_ADVERSARIAL:
			SetAdversarial(key, v, (NNOptions *) base);
			break;
		case OPT_THRESHOLD:
			SetThreshold(key, v, (NNOptions *) base);
			break;
		case OPT_LABEL:
			*(char **) field = GetLabel(key, v);
			break;
	}
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
		if (strcmp(GetString(key, v, expected), "balanced") != 0)
			BadValue(key, v, expected);
		o->class_weight_balanced = true;
		return;
	}
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		BadValue(key, v, expected);
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

			o->class_weights[n++] = GetFloat(name, &e, OPT_POSITIVE);
		}
	}
}

/* ---------- options.layers ---------- */

/* the keys a layer of that type takes, as "a, b, c" */
static char *
TypeKeys(int type)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < nn_n_layer_defs; i++)
		if (nn_layer_defs[i].types & (1 << type))
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", nn_layer_defs[i].key);
	return buf.data;
}

/* the line of key that a layer of its type takes (a key may have one per range) */
static void
SetLayerKey(const char *key, JsonbValue *v, NNLayerOption *l, int index)
{
	const char *type = nn_layer_type_name(l->type);
	bool		known = false;

	for (int i = 0; i < nn_n_layer_defs; i++)
	{
		if (strcmp(key, nn_layer_defs[i].key) != 0)
			continue;
		known = true;
		if (!(nn_layer_defs[i].types & (1 << l->type)))
			continue;
		SetValue(&nn_layer_defs[i], psprintf("layers[%d].%s", index, key), v, (char *) l);
		l->given |= 1 << i;
		return;
	}
	if (known)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key \"%s\" is not taken by a layer of type \"%s\": option \"layers\" element %d",
						key, type, index),
				 errhint("Layers of type \"%s\" take: %s.", type, TypeKeys(l->type))));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown key \"%s\" in option \"layers\" element %d", key, index),
			 errhint("%sLayers of type \"%s\" take: %s.",
					 NearestKey(key, nn_layer_defs, nn_n_layer_defs, 0, 1 << l->type),
					 type, TypeKeys(l->type))));
}

/*
 * What one layer's keys imply together: the keys it must have, the
 * defaults of those it may leave out (stride: 1, or pooling's window) and
 * explicit padding smaller than the window, so that every window sees
 * some input.
 */
static void
FinishLayer(NNLayerOption *l, int index)
{
	const char *name;
	const int  *window = nn_layer_option_window(l, &name);

	/* a key no top-level key or default stands in for must be given */
	for (int i = 0; i < nn_n_layer_defs; i++)
		if ((nn_layer_defs[i].types & (1 << l->type)) && !(l->given & (1 << i)) &&
			isnan(nn_layer_defs[i].def))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("option \"layers\" element %d has no \"%s\"", index,
							nn_layer_defs[i].key)));
	if (l->stride[0] == 0)
	{
		l->stride[0] = window == l->size ? l->size[0] : 1;
		l->stride[1] = window == l->size ? l->size[1] : 1;
	}
	if (l->padding.mode == NN_PADDING_EXPLICIT &&
		(l->padding.sides[0] >= window[0] || l->padding.sides[2] >= window[0] ||
		 l->padding.sides[1] >= window[1] || l->padding.sides[3] >= window[1]))
		BadValue(psprintf("layers[%d].padding", index), NULL,
				 psprintf("padding smaller than the %s, %dx%d, on every side",
						  name, window[0], window[1]));
}

/*
 * One element: its type first (jsonb orders keys by length, not as
 * written), then each key checked against what that type takes.
 */
static void
SetLayer(JsonbContainer *obj, NNLayerOption *l, int index)
{
	JsonbIteratorToken tok;
	JsonbIterator *it;
	JsonbValue	f;
	char	   *k = NULL;

	for (int i = 0; i < nn_n_layer_defs; i++)
		if ((nn_layer_defs[i].type == OPT_INT || nn_layer_defs[i].type == OPT_CHOICE) &&
			!isnan(nn_layer_defs[i].def))
			*(int *) ((char *) l + nn_layer_defs[i].offset) = (int) nn_layer_defs[i].def;
	for (int pass = 0; pass < 2; pass++)
	{
		it = JsonbIteratorInit(obj);
		while ((tok = JsonbIteratorNext(&it, &f, true)) != WJB_DONE)
		{
			if (tok == WJB_KEY)
				k = pnstrdup(f.val.string.val, f.val.string.len);
			else if (tok == WJB_VALUE && (strcmp(k, "type") == 0) == (pass == 0))
				SetLayerKey(k, &f, l, index);
		}
	}
	FinishLayer(l, index);
}

const int *
nn_layer_option_window(const NNLayerOption *l, const char **name)
{
	bool		pool = l->type == NN_LAYER_MAX_POOL2D || l->type == NN_LAYER_AVG_POOL2D;

	*name = pool ? "pooling window" : "kernel";
	return pool ? l->size : l->kernel;
}

/* Layer keys not given take the top-level options later (ResolveDefaults). */
static void
SetLayers(const char *key, JsonbValue *v, NNOptions *o)
{
	const char *expected = psprintf("an array of objects with keys %s",
									KeyList(nn_layer_defs, nn_n_layer_defs, 0));
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	int			n = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		BadValue(key, v, expected);
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
		if (tok != WJB_ELEM)
			continue;
		if (e.type != jbvBinary || !JsonContainerIsObject(e.val.binary.data))
			BadValue(key, &e, expected);
		SetLayer(e.val.binary.data, &o->layers[n], n);
		n++;
	}
}

/* ---------- all options ---------- */

static const char *
CallerName(NNOptionsFor caller)
{
	return caller == NN_OPTIONS_INIT ? "nn_init" :
		caller == NN_OPTIONS_CONTINUE ? "nn_continue" : "nn_train";
}

static void
SetOption(const char *key, JsonbValue *v, NNOptionsFor caller, NNOptions *o)
{
	const OptionDef *def = nn_option_find(key);
	char	   *allowed = KeyList(nn_option_defs, nn_n_option_defs, caller);

	if (def == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown option \"%s\"", key),
				 errhint("%sValid options are: %s.",
						 NearestKey(key, nn_option_defs, nn_n_option_defs, caller, 0), allowed)));
	if (!(def->callers & caller))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("option \"%s\" is not accepted by %s", key, CallerName(caller)),
				 errhint("%s accepts: %s.", CallerName(caller), allowed)));
	SetValue(def, key, v, (char *) o);
}

/* every key at the table's default; NaN defaults are resolved later */
static void
SetDefaults(NNOptions *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < nn_n_option_defs; i++)
	{
		const OptionDef *def = &nn_option_defs[i];
		char	   *field = (char *) o + def->offset;

		switch (def->type)
		{
			case OPT_INT:
			case OPT_CHOICE:
			case OPT_LAYERS:	/* n_layers */
				*(int *) field = (int) def->def;
				break;
			case OPT_INT64:
				*(int64 *) field = (int64) def->def;
				break;
			case OPT_POSITIVE:
			case OPT_NONNEGATIVE:
			case OPT_FRACTION:
			case OPT_UNIT:
			case OPT_THRESHOLD:
				*(float *) field = (float) def->def;
				break;
			case OPT_BOOL:
				*(bool *) field = def->def != 0;
				break;
			case OPT_TEXT:
			case OPT_LABEL:
			case OPT_CLASS_WEIGHT:
			case OPT_ADVERSARIAL:
			case OPT_SHAPE:
			case OPT_PAIR:
			case OPT_PADDING:
				break;			/* NULL, none, all 0 */
		}
	}
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

	nn_optimizer_defaults((NNOptimizer) o->optimizer, &def);
	for (int i = 0; i < lengthof(mine); i++)
		if (isnan(*mine[i]))
			*mine[i] = *theirs[i];
	if (isnan(o->gamma))
		o->gamma = o->lr_schedule == NN_SCHEDULE_STEP ? 0.1f :
			o->lr_schedule == NN_SCHEDULE_EXPONENTIAL ? 0.95f : 1.0f;
	/* a layer key left out takes the top-level key of its name */
	for (int i = 0; i < o->n_layers; i++)
		for (int k = 0; k < nn_n_layer_defs; k++)
		{
			const OptionDef *ld = &nn_layer_defs[k];
			const OptionDef *top = nn_option_find(ld->key);

			if (top != NULL && !(o->layers[i].given & (1 << k)))
				memcpy((char *) &o->layers[i] + ld->offset, (char *) o + top->offset,
					   ValueSize(ld->type));
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
