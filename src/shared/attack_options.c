/*
 * attack_options.c - the options of an adversarial attack, one parser for
 * the three places that take them: nn_adversarial's options, nn_evaluate's
 * options.adversarial and nn_train's (nn_continue's) options.adversarial.
 * Each names itself (fn) and the key in errors; the keys beyond the common
 * ones (seed, label, ratio) are the caller's choice.  Also the inputs an
 * attack leaves alone, from the model's feature columns.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "kernels/adversarial.h"
#include "shared/shared.h"

/* seeds pass through a double: integers beyond 2^53 would not be exact */
#define MAX_SEED (INT64CONST(1) << 53)

static const char *const method_names[] = {"fgsm", "pgd", NULL};

StaticAssertDecl(NN_ATTACK_FGSM == 0 && NN_ATTACK_PGD == 1,
				 "method_names are in the order of NNAttackMethod");

/* "prefix.key", or key alone */
static const char *
KeyName(const char *prefix, const char *key)
{
	return prefix != NULL ? psprintf("%s.%s", prefix, key) : key;
}

JsonbContainer *
nn_attack_object(const char *fn, const char *key, const JsonbValue *v)
{
	if (v->type != jbvBinary || !JsonContainerIsObject(v->val.binary.data))
		nn_fnoption_bad(fn, key, v, "an object with keys method, epsilon, ...");
	return v->val.binary.data;
}

static void
NotForFgsm(const char *fn, const char *key)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s option \"%s\" is taken by method \"pgd\" only", fn, key)));
}

/* clip: [min, max], min < max */
static void
ReadClip(const char *fn, const char *key, const JsonbValue *v, NNAttackOptions *out)
{
	int			n;
	float	   *c = nn_fnoption_floats(fn, key, v, &n);

	if (n != 2 || !(c[0] < c[1]))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for %s option \"%s\"", fn, key),
				 errdetail("Expected an array [min, max] with min < max.")));
	out->has_clip = true;
	out->clip[0] = c[0];
	out->clip[1] = c[1];
}

void
nn_attack_options(JsonbContainer *obj, const char *fn, const char *prefix,
				  int extra_keys, NNAttackOptions *out)
{
	const char *keys[9] = {"method", "epsilon", "steps", "step_size", "clip"};
	int			n_keys = 5;
	JsonbValue *v;

	if (extra_keys & NN_ATTACK_KEY_SEED)
		keys[n_keys++] = "seed";
	if (extra_keys & NN_ATTACK_KEY_LABEL)
		keys[n_keys++] = "label";
	if (extra_keys & NN_ATTACK_KEY_RATIO)
		keys[n_keys++] = "ratio";
	keys[n_keys] = NULL;
	nn_fnoptions_check_in(obj, fn, prefix, keys);
	memset(out, 0, sizeof(*out));
	out->ratio = 0.5f;
	if ((v = nn_fnoption_in(obj, "method")) != NULL)
		out->method = nn_fnoption_choice(fn, KeyName(prefix, "method"), v, method_names);
	if ((v = nn_fnoption_in(obj, "epsilon")) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s needs option \"%s\", the largest change of a feature in its own units",
						fn, KeyName(prefix, "epsilon"))));
	out->epsilon = nn_fnoption_number(fn, KeyName(prefix, "epsilon"), v, FLT_MIN, FLT_MAX,
									  "a positive number");
	if (out->method == NN_ATTACK_PGD)
		out->steps = 10;
	if ((v = nn_fnoption_in(obj, "steps")) != NULL)
	{
		if (out->method != NN_ATTACK_PGD)
			NotForFgsm(fn, KeyName(prefix, "steps"));
		out->steps = (int) nn_fnoption_int(fn, KeyName(prefix, "steps"), v, 1, NN_ATTACK_MAX_STEPS,
										   "an integer from 1 to " CppAsString2(NN_ATTACK_MAX_STEPS));
	}
	if (out->method == NN_ATTACK_PGD)
		out->step_size = NN_ATTACK_STEP_FACTOR * out->epsilon / out->steps;
	if ((v = nn_fnoption_in(obj, "step_size")) != NULL)
	{
		if (out->method != NN_ATTACK_PGD)
			NotForFgsm(fn, KeyName(prefix, "step_size"));
		out->step_size = nn_fnoption_number(fn, KeyName(prefix, "step_size"), v, FLT_MIN, FLT_MAX,
											"a positive number");
	}
	if ((v = nn_fnoption_in(obj, "clip")) != NULL)
		ReadClip(fn, KeyName(prefix, "clip"), v, out);
	if ((v = nn_fnoption_in(obj, "seed")) != NULL)
		out->seed = nn_fnoption_int(fn, KeyName(prefix, "seed"), v, 0, MAX_SEED,
									"an integer from 0 to 2^53");
	if ((v = nn_fnoption_in(obj, "ratio")) != NULL)
		out->ratio = nn_fnoption_number(fn, KeyName(prefix, "ratio"), v, FLT_MIN, 1.0,
										"a number above 0 and at most 1");
	out->label = nn_fnoption_in(obj, "label");
}

uint8 *
nn_attack_mask(const NNModel *m)
{
	uint32		n_in = nn_model_inputs(m);
	uint8	   *mask = palloc0(Max(n_in, 1));

	for (uint32 f = 0; f < m->n_features; f++)
		if (nn_model_feature_kind(m, f) == NN_FEATURE_CATEGORICAL)
			memset(mask + nn_model_feature_offset(m, f), 1, m->feature_widths[f]);
	return mask;
}
