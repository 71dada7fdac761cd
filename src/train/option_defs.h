/*
 * option_defs.h - the descriptor of one option key, shared by the three
 * files that handle options: option_table.c holds the table of them,
 * options.c parses the jsonb options through it and record.c writes the
 * record a model keeps from it.  Private to those files.
 */
#ifndef NN_TRAIN_OPTION_DEFS_H
#define NN_TRAIN_OPTION_DEFS_H

#include "train/train.h"

/* the kinds of value a key takes: each has one parser and one record writer */
typedef enum OptionType
{
	OPT_INT,					/* int in [min, max] */
	OPT_INT64,					/* int64 in [min, max] */
	OPT_POSITIVE,				/* float > 0 */
	OPT_NONNEGATIVE,			/* float >= 0 */
	OPT_FRACTION,				/* float in [0, 1) */
	OPT_UNIT,					/* float in (0, 1] */
	OPT_BOOL,					/* bool */
	OPT_CHOICE,					/* int: one of a list of names */
	OPT_TEXT,					/* char *: of min to max characters (max 0: any) */
	OPT_PAIR,					/* int[2]: n (both) or [h, w], each in [min, max] */
	OPT_PADDING,				/* NNPaddingOption: "valid", "same", n or [t, l, b, r] */
	OPT_SHAPE,					/* NNShapeOption: [steps, features] or [channels,
								 * height, width], each in [min, max] */
	OPT_LAYERS,					/* n_layers and layers, each through layer_defs */
	OPT_CLASS_WEIGHT,			/* 'balanced' or an object label -> weight */
	OPT_ADVERSARIAL,			/* an attack's object (shared/attack_options.c) */
	OPT_THRESHOLD,				/* float in (0, 1), or "f1": threshold_f1 */
	OPT_LABEL					/* char *: a class label, a JSON string, number or
								 * boolean whose text is the label */
} OptionType;

/* when the record a model keeps carries the key */
typedef enum OptionRecord
{
	RECORD_ALWAYS,
	/* at its default it is left out: models from before the key keep their bytes */
	RECORD_UNLESS_DEFAULT,
	RECORD_NEVER				/* how to run, not what the model is */
} OptionRecord;

/* the names an OPT_CHOICE key accepts, in the order its error lists them */
typedef struct OptionChoices
{
	const char *const *names;
	int			n;
	/* value of a name; NULL: its position in names */
	int			(*from_name) (const char *name);
} OptionChoices;

typedef struct OptionDef
{
	const char *key;
	OptionType	type;
	size_t		offset;			/* of the value in NNOptions or NNLayerOption */
	int			callers;		/* NNOptionsFor bits of the functions that take it */
	double		def;			/* default; NaN: from other options, when parsed */
	int64		min;			/* OPT_INT, OPT_INT64: range; OPT_TEXT: characters */
	int64		max;
	const OptionChoices *choices;	/* OPT_CHOICE */
	const char *expected;		/* OPT_TEXT: what an error says it expected */
	OptionRecord record;
	/* a layer key: bits (1 << type) of the layer types that take it */
	int			types;
} OptionDef;

/* option_table.c: every key, in the order of hints and of the record */
extern const OptionDef nn_option_defs[];
extern const int nn_n_option_defs;
/* the keys of one element of options.layers, in the order of the record */
extern const OptionDef nn_layer_defs[];
extern const int nn_n_layer_defs;

/* layers[].type: the names, in NNLayerKind order, flatten last */
extern const OptionChoices nn_layer_types;

/* the value of a choice's names[i] */
int			nn_option_choice_value(const OptionChoices *c, int i);
/* the name of a choice's value; NULL when it has none */
const char *nn_option_choice_name(const OptionChoices *c, int value);
/* the top-level key named key (a layer key defaults to it); NULL when none */
const OptionDef *nn_option_find(const char *key);

#endif
