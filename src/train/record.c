/*
 * record.c - the record of every option in effect that a model keeps,
 * written from the option table (option_table.c), and the options read
 * back from it (nn_continue).
 *
 * The record is JSON text inside the model's bytes, so its key order and
 * number formatting are part of every model's bytes: the keys nn_init takes
 * in the table's order, then the training keys in the table's order;
 * floats as the shortest decimal that reads back as the same float.  The
 * jsonb builder cannot write that text (jsonb orders keys shorter first and
 * prints numbers as numeric), so this is the one writer of the record, and
 * the record is the one JSON text nn writes; the SQL functions' JSON output
 * goes through the jsonb builder (shared/json.c).
 */
#include "postgres.h"

#include "common/shortest_dec.h"
#include "utils/json.h"

#include "kernels/adversarial.h"
#include "train/option_defs.h"

static void
Key(StringInfo s, const char *key)
{
	if (s->data[s->len - 1] != '{')
		appendStringInfoChar(s, ',');
	escape_json(s, key);
	appendStringInfoChar(s, ':');
}

static void
Float(StringInfo s, float v)
{
	char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

	float_to_shortest_decimal_buf(v, buf);
	appendStringInfoString(s, buf);
}

/* n integers as a JSON array */
static void
Integers(StringInfo s, const int *v, int n)
{
	appendStringInfoChar(s, '[');
	for (int i = 0; i < n; i++)
		appendStringInfo(s, "%s%d", i > 0 ? "," : "", v[i]);
	appendStringInfoChar(s, ']');
}

/* the attack as given, its defaults filled in; PGD's keys for PGD only */
static void
Adversarial(StringInfo s, const NNAttackOptions *a)
{
	appendStringInfoChar(s, '{');
	Key(s, "method");
	escape_json(s, a->method == NN_ATTACK_PGD ? "pgd" : "fgsm");
	Key(s, "epsilon");
	Float(s, a->epsilon);
	if (a->method == NN_ATTACK_PGD)
	{
		Key(s, "steps");
		appendStringInfo(s, "%d", a->steps);
		Key(s, "step_size");
		Float(s, a->step_size);
	}
	if (a->has_clip)
	{
		Key(s, "clip");
		appendStringInfoChar(s, '[');
		Float(s, a->clip[0]);
		appendStringInfoChar(s, ',');
		Float(s, a->clip[1]);
		appendStringInfoChar(s, ']');
	}
	Key(s, "ratio");
	Float(s, a->ratio);
	appendStringInfoChar(s, '}');
}

/*
 * Whether layer l's record carries layer key k: the keys its type takes,
 * the type itself only when it is not dense (a dense layer's record is as
 * it was before layers had types).
 */
static bool
LayerRecords(const NNLayerOption *l, int k)
{
	if (!(nn_layer_defs[k].types & (1 << l->type)))
		return false;
	return nn_layer_defs[k].offset != offsetof(NNLayerOption, type) || l->type != NN_LAYER_DENSE;
}

static void
Value(StringInfo s, const OptionDef *def, const char *base)
{
	const void *field = base + def->offset;
	const NNOptions *o = (const NNOptions *) base;

	switch (def->type)
	{
		case OPT_INT:
			appendStringInfo(s, "%d", *(const int *) field);
			break;
		case OPT_INT64:
			appendStringInfo(s, INT64_FORMAT, *(const int64 *) field);
			break;
		case OPT_POSITIVE:
		case OPT_NONNEGATIVE:
		case OPT_FRACTION:
		case OPT_UNIT:
			Float(s, *(const float *) field);
			break;
		case OPT_BOOL:
			appendStringInfoString(s, *(const bool *) field ? "true" : "false");
			break;
		case OPT_CHOICE:
			{
				const char *name = nn_option_choice_name(def->choices, *(const int *) field);

				if (name == NULL)
					elog(ERROR, "option \"%s\" has no name for %d", def->key, *(const int *) field);
				escape_json(s, name);
				break;
			}
		case OPT_TEXT:
		case OPT_LABEL:
			escape_json(s, *(char *const *) field);
			break;
		case OPT_THRESHOLD:
			if (o->threshold_f1)
				escape_json(s, "f1");
			else
				Float(s, *(const float *) field);
			break;
		case OPT_PAIR:
			Integers(s, (const int *) field, 2);
			break;
		case OPT_SHAPE:
			Integers(s, ((const NNShapeOption *) field)->dims,
					 ((const NNShapeOption *) field)->rank);
			break;
		case OPT_PADDING:
			{
				const NNPaddingOption *p = (const NNPaddingOption *) field;

				if (p->mode == NN_PADDING_EXPLICIT)
					Integers(s, p->sides, 4);
				else
					escape_json(s, p->mode == NN_PADDING_SAME ? "same" : "valid");
				break;
			}
		case OPT_LAYERS:
			appendStringInfoChar(s, '[');
			for (int i = 0; i < o->n_layers; i++)
			{
				appendStringInfoString(s, i > 0 ? ",{" : "{");
				for (int k = 0; k < nn_n_layer_defs; k++)
				{
					if (!LayerRecords(&o->layers[i], k))
						continue;
					Key(s, nn_layer_defs[k].key);
					Value(s, &nn_layer_defs[k], (const char *) &o->layers[i]);
				}
				appendStringInfoChar(s, '}');
			}
			appendStringInfoChar(s, ']');
			break;
		case OPT_ADVERSARIAL:
			Adversarial(s, &o->adversarial);
			break;
		case OPT_CLASS_WEIGHT:
			if (o->class_weight_balanced)
			{
				escape_json(s, "balanced");
				break;
			}
			appendStringInfoChar(s, '{');
			for (int i = 0; i < o->n_class_weights; i++)
			{
				Key(s, o->class_weight_labels[i]);
				Float(s, o->class_weights[i]);
			}
			appendStringInfoChar(s, '}');
			break;
	}
}

static bool
AtDefault(const OptionDef *def, const NNOptions *o)
{
	const void *field = (const char *) o + def->offset;

	switch (def->type)
	{
		case OPT_INT:
		case OPT_CHOICE:
		case OPT_LAYERS:		/* n_layers */
			return *(const int *) field == (int) def->def;
		case OPT_INT64:
			return *(const int64 *) field == (int64) def->def;
		case OPT_POSITIVE:
		case OPT_NONNEGATIVE:
		case OPT_FRACTION:
		case OPT_UNIT:
			return *(const float *) field == (float) def->def;
		case OPT_BOOL:
			return *(const bool *) field == (def->def != 0);
		case OPT_TEXT:
		case OPT_LABEL:
			return *(char *const *) field == NULL;
		case OPT_THRESHOLD:
			return !o->threshold_f1 && *(const float *) field == (float) def->def;
		case OPT_CLASS_WEIGHT:
			return !o->class_weight_balanced && o->n_class_weights == 0;
		case OPT_ADVERSARIAL:
			return !o->adversarial_given;
		case OPT_SHAPE:
			return ((const NNShapeOption *) field)->rank == 0;
		case OPT_PAIR:
		case OPT_PADDING:
			return false;		/* layer keys: recorded by their layer's type */
	}
	return false;
}

/* the keys of the network (those nn_init takes) or of training, in table order */
static void
RecordKeys(StringInfo s, const NNOptions *o, bool network)
{
	for (int i = 0; i < nn_n_option_defs; i++)
	{
		const OptionDef *def = &nn_option_defs[i];

		if (def->record == RECORD_NEVER ||
			((def->callers & NN_OPTIONS_INIT) != 0) != network ||
			(def->record == RECORD_UNLESS_DEFAULT && AtDefault(def, o)))
			continue;
		Key(s, def->key);
		Value(s, def, (const char *) o);
	}
}

char *
nn_options_record(const NNOptions *o, NNOptionsFor caller)
{
	StringInfoData s;

	initStringInfo(&s);
	appendStringInfoChar(&s, '{');
	RecordKeys(&s, o, true);
	if (caller != NN_OPTIONS_INIT)
		RecordKeys(&s, o, false);
	appendStringInfoChar(&s, '}');
	return s.data;
}

/*
 * The record read as options every function takes: its keys are the
 * table's, checked as when they were given.
 */
void
nn_options_from_record(const char *record, NNOptions *out)
{
	JsonbParseState *st = NULL;
	Jsonb	   *jb = JsonbValueToJsonb(nn_options_record_push(&st, record));

	nn_options_parse(jb, NN_OPTIONS_TRAIN | NN_OPTIONS_INIT | NN_OPTIONS_CONTINUE, out);
}
