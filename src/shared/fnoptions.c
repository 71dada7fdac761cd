/*
 * fnoptions.c - the options argument (jsonb) of the functions that use a
 * trained model rather than train one: nn_quantize, nn_explain,
 * nn_importance, nn_adversarial, nn_evaluate.  Training's options have
 * their own table (train/option_table.c), which scoring may not reach;
 * these are the few typed getters every such function needs, with the
 * errors training's options give: the key, what was expected and what
 * was given.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "shared/shared.h"

/* what the value is, for "Expected X, got Y." */
static const char *
JsonTypeName(const JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		case jbvBinary:
			return JsonContainerIsArray(v->val.binary.data) ? "an array" : "an object";
		default:
			return "a JSON value";
	}
}

void
nn_fnoption_bad(const char *fn, const char *key, const JsonbValue *v,
				const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s option \"%s\"", fn, key),
			 errdetail("Expected %s, got %s.", expected, JsonTypeName(v))));
}

void
nn_fnoptions_check(Jsonb *options, const char *fn, const char *const *keys)
{
	if (!JB_ROOT_IS_OBJECT(options))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s options must be a JSON object", fn)));
	nn_fnoptions_check_in(&options->root, fn, NULL, keys);
}

void
nn_fnoptions_check_in(JsonbContainer *obj, const char *fn, const char *prefix,
					  const char *const *keys)
{
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			depth = 0;

	it = JsonbIteratorInit(obj);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_BEGIN_OBJECT || tok == WJB_BEGIN_ARRAY)
			depth++;
		else if (tok == WJB_END_OBJECT || tok == WJB_END_ARRAY)
			depth--;
		else if (tok == WJB_KEY && depth == 1)
		{
			char	   *key = pnstrdup(v.val.string.val, v.val.string.len);
			bool		known = false;
			StringInfoData list;

			initStringInfo(&list);
			for (int i = 0; keys[i] != NULL; i++)
			{
				known |= strcmp(key, keys[i]) == 0;
				appendStringInfo(&list, "%s%s", i > 0 ? ", " : "", keys[i]);
			}
			if (!known)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("unknown %s option \"%s%s%s\"", fn, prefix != NULL ? prefix : "",
								prefix != NULL ? "." : "", key),
						 keys[0] == NULL ? errhint("%s takes no options.", fn) :
						 errhint("Valid options are: %s.", list.data)));
		}
	}
}

JsonbValue *
nn_fnoption(Jsonb *options, const char *key)
{
	if (options == NULL || !JB_ROOT_IS_OBJECT(options))
		return NULL;
	return nn_fnoption_in(&options->root, key);
}

JsonbValue *
nn_fnoption_in(JsonbContainer *obj, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = unconstify(char *, key);
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(obj, JB_FOBJECT, &k);
}

double
nn_fnoption_number(const char *fn, const char *key, const JsonbValue *v,
				   double lo, double hi, const char *expected)
{
	double		d;

	if (v->type != jbvNumeric)
		nn_fnoption_bad(fn, key, v, expected);
	d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
										   NumericGetDatum(v->val.numeric)));
	if (!(d >= lo && d <= hi))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s option \"%s\"", fn, key),
				 errdetail("Expected %s, got %g.", expected, d)));
	return d;
}

int64
nn_fnoption_int(const char *fn, const char *key, const JsonbValue *v,
				int64 lo, int64 hi, const char *expected)
{
	double		d = nn_fnoption_number(fn, key, v, (double) lo, (double) hi, expected);

	if (d != floor(d))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s option \"%s\"", fn, key),
				 errdetail("Expected %s, got %g.", expected, d)));
	return (int64) d;
}

int
nn_fnoption_choice(const char *fn, const char *key, const JsonbValue *v,
				   const char *const *choices)
{
	StringInfoData expected;
	char	   *s = NULL;

	initStringInfo(&expected);
	appendStringInfoString(&expected, "one of ");
	for (int i = 0; choices[i] != NULL; i++)
		appendStringInfo(&expected, "%s\"%s\"", i > 0 ? ", " : "", choices[i]);
	if (v->type == jbvString)
	{
		s = pnstrdup(v->val.string.val, v->val.string.len);
		for (int i = 0; choices[i] != NULL; i++)
			if (strcmp(s, choices[i]) == 0)
				return i;
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s option \"%s\"", fn, key),
				 errdetail("Expected %s, got \"%s\".", expected.data, s)));
	}
	nn_fnoption_bad(fn, key, v, expected.data);
	return -1;					/* not reached */
}

float *
nn_fnoption_floats(const char *fn, const char *key, const JsonbValue *v, int *n)
{
	JsonbIterator *it;
	JsonbValue	e;
	JsonbIteratorToken tok;
	float	   *out;
	int			i = 0;

	if (v->type != jbvBinary || !JsonContainerIsArray(v->val.binary.data))
		nn_fnoption_bad(fn, key, v, "an array of numbers");
	*n = JsonContainerSize(v->val.binary.data);
	out = palloc(Max(*n, 1) * sizeof(float));
	it = JsonbIteratorInit(v->val.binary.data);
	while ((tok = JsonbIteratorNext(&it, &e, true)) != WJB_DONE)
		if (tok == WJB_ELEM)
		{
			double		d;

			if (e.type != jbvNumeric)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for %s option \"%s\"", fn, key),
						 errdetail("Expected an array of numbers; element %d is %s.",
								   i + 1, JsonTypeName(&e))));
			d = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												   NumericGetDatum(e.val.numeric)));
			if (!isfinite((float) d))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("invalid value for %s option \"%s\"", fn, key),
						 errdetail("Element %d (%g) is beyond real's range.", i + 1, d)));
			out[i++] = (float) d;
		}
	return out;
}

char *
nn_class_list(const NNModel *m)
{
	StringInfoData s;
	uint32		shown = Min(m->n_classes, 20);

	initStringInfo(&s);
	for (uint32 i = 0; i < shown; i++)
		appendStringInfo(&s, "%s\"%s\"", i > 0 ? ", " : "", m->classes[i]);
	if (shown < m->n_classes)
		appendStringInfo(&s, " and %u more", m->n_classes - shown);
	return s.data;
}

uint32
nn_fnoption_class(const NNModel *m, const char *fn, const char *key,
				  const JsonbValue *v)
{
	char	   *text;

	if (m->task != NN_TASK_CLASSIFICATION)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s option \"%s\" names a class, and a regression model has none", fn, key)));
	if (v->type == jbvString)
		text = pnstrdup(v->val.string.val, v->val.string.len);
	else if (v->type == jbvNumeric)
		text = DatumGetCString(DirectFunctionCall1(numeric_out,
												   NumericGetDatum(v->val.numeric)));
	else
		nn_fnoption_bad(fn, key, v, "a class label, as a string or a number");
	for (uint32 i = 0; i < m->n_classes; i++)
		if (strcmp(text, m->classes[i]) == 0)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid value for %s option \"%s\": \"%s\" is not a class of the model", fn, key, text),
			 errdetail("The model's classes are %s.", nn_class_list(m))));
	return 0;					/* not reached */
}
