/*
 * decision.c - which class a classifier's outputs pick, and one class's
 * probability.  A two-class model may carry a decision in its options
 * record: options.positive_class and options.threshold, the probability of
 * the positive class from which that class is predicted.  Without a
 * threshold (or at 0.5, which the record leaves out) a model picks the
 * class of the larger probability, as models always have, so existing
 * models score the same.  The record is read once, when the model is.
 */
#include "postgres.h"

#include <math.h>

#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "shared/shared.h"

float
nn_class_proba(const NNModel *m, const float *out, uint32 c)
{
	/* one sigmoid output is the second class's probability */
	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
		return c == 1 ? out[0] : 1.0f - out[0];
	return out[c];
}

uint32
nn_predicted_class(const NNModel *m, const float *out)
{
	uint32		n_out = nn_net_outputs(&m->net);
	uint32		best = 0;

	if (m->threshold > 0)
	{
		uint32		pos = m->positive - 1;

		return nn_class_proba(m, out, pos) >= m->threshold ? pos : 1 - pos;
	}
	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
		return out[0] >= 0.5f ? 1 : 0;
	/* ties go to the first class in label order */
	for (uint32 i = 1; i < n_out; i++)
		if (out[i] > out[best])
			best = i;
	return best;
}

/* label as a finite number; false when it is not one */
static bool
LabelNumber(const char *label, double *out)
{
	char	   *end;

	errno = 0;
	*out = strtod(label, &end);
	return end != label && *end == '\0' && errno == 0 && isfinite(*out);
}

int
nn_default_positive(const NNModel *m)
{
	double		a,
				b;

	if (m->task != NN_TASK_CLASSIFICATION || m->n_classes != 2)
		return -1;
	/* labels sort as text: "false" before "true" */
	if (strcmp(m->classes[0], "false") == 0 && strcmp(m->classes[1], "true") == 0)
		return 1;
	if (LabelNumber(m->classes[0], &a) && LabelNumber(m->classes[1], &b) && a != b)
		return a > b ? 0 : 1;
	return -1;
}

static void pg_attribute_noreturn()
BadDecision(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid nn model: the options record's %s", what)));
}

/* the record's value of key, or NULL */
static JsonbValue *
RecordKey(Jsonb *record, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	return findJsonbValueFromContainer(&record->root, JB_FOBJECT, &k);
}

/* the index of the class the record's positive_class names */
static int
RecordPositive(const NNModel *m, const JsonbValue *v)
{
	if (v->type != jbvString || m->n_classes != 2)
		BadDecision("positive_class is not a class of a two-class model");
	for (uint32 c = 0; c < 2; c++)
		if (strlen(m->classes[c]) == (size_t) v->val.string.len &&
			memcmp(m->classes[c], v->val.string.val, v->val.string.len) == 0)
			return (int) c;
	BadDecision("positive_class is not one of the model's classes");
}

static float
RecordThreshold(const JsonbValue *v)
{
	float		t;

	if (v->type != jbvNumeric)
		BadDecision("threshold is not a number");
	t = (float) DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow,
												   NumericGetDatum(v->val.numeric)));
	if (!(t > 0.0f && t < 1.0f))
		BadDecision("threshold is not above 0 and below 1");
	return t;
}

void
nn_model_read_decision(NNModel *m)
{
	int			pos = nn_default_positive(m);
	JsonbParseState *st = NULL;
	Jsonb	   *record;
	JsonbValue *v;

	m->threshold = 0;
	/* the record is JSON text: parsed only when it may hold either key */
	if (strstr(m->options_json, "\"positive_class\"") != NULL ||
		strstr(m->options_json, "\"threshold\"") != NULL)
	{
		record = JsonbValueToJsonb(nn_options_record_push(&st, m->options_json));
		if ((v = RecordKey(record, "positive_class")) != NULL)
			pos = RecordPositive(m, v);
		if ((v = RecordKey(record, "threshold")) != NULL)
		{
			m->threshold = RecordThreshold(v);
			if (pos < 0)
				BadDecision("threshold has no positive class");
		}
	}
	m->positive = (uint32) (pos + 1);
}
