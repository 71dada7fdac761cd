/*
 * train.h - training (src/train/): the jsonb options, building an untrained
 * model, reading training rows and the nn_fit aggregate's state, for
 * nn_train, nn_continue, nn_init and nn_evaluate.  Scoring never includes
 * this file.
 */
#ifndef NN_TRAIN_H
#define NN_TRAIN_H

#include "utils/jsonb.h"

#include "shared/shared.h"

/*
 * ---------- options: option_table.c, the one table of every key;
 * options.c parses jsonb options through it; record.c writes and reads the
 * record a model keeps ----------
 */

/* options.strategy: where the epochs run */
typedef enum NNStrategy
{
	NN_STRATEGY_MEMORY,			/* the rows read into the backend, shuffled */
	NN_STRATEGY_AGGREGATE		/* each epoch one nn_fit query over the source */
} NNStrategy;

typedef enum NNSchedule
{
	NN_SCHEDULE_CONSTANT,
	NN_SCHEDULE_STEP,
	NN_SCHEDULE_EXPONENTIAL,
	NN_SCHEDULE_COSINE
} NNSchedule;

/*
 * The value of layers[].type: the layer kinds of the layer table
 * (NNLayerKind, same numbers), and flatten, which makes no layer (a dense
 * layer reads a shaped input as one vector).
 */
#define NN_LAYER_OPTION_FLATTEN NN_LAYER_KIND_COUNT

/* padding of a spatial layer: a rule, or explicit sides */
typedef enum NNPaddingMode
{
	NN_PADDING_VALID,
	NN_PADDING_SAME,
	NN_PADDING_EXPLICIT
} NNPaddingMode;

typedef struct NNPaddingOption
{
	int			mode;			/* NNPaddingMode */
	int			sides[4];		/* NN_PADDING_EXPLICIT: top, left, bottom, right */
} NNPaddingOption;

/*
 * One element of options.layers.  Keys not given take the top-level option
 * of their name (activation, dropout, batch_norm) or their default; which
 * keys a layer takes depends on its type (option_table.c).
 */
typedef struct NNLayerOption
{
	int			type;			/* NNLayerKind or NN_LAYER_OPTION_FLATTEN */
	int			units;			/* dense, rnn, lstm, gru */
	int			activation;
	float		dropout;
	bool		batch_norm;
	int			filters;		/* conv2d, separable_conv2d */
	int			kernel[2];		/* height, width */
	int			stride[2];		/* 0 until resolved: 1, or pooling's size */
	NNPaddingOption padding;
	int			depth_multiplier;	/* depthwise_conv2d */
	int			size[2];		/* pooling window */
	bool		return_sequences;	/* rnn, lstm, gru: every step's output */
	bool		bidirectional;	/* rnn, lstm, gru: a backward direction too */
	uint32		given;			/* a bit per key of the layer table, when given */
} NNLayerOption;

/* options.input_shape: [steps, features] or [channels, height, width] */
typedef struct NNShapeOption
{
	int			rank;			/* 0: not given, the inputs are a vector */
	int			dims[3];
} NNShapeOption;

/* choices (optimizer, activation, ...) are ints, as the option table stores them */
typedef struct NNOptions
{
	int			epochs;
	int			batch_size;
	int			optimizer;		/* NNOptimizer */
	NNOptConfig opt;			/* NaN fields take the optimizer's defaults */
	int			activation;		/* NNActivation */
	int			loss;			/* NNLoss; -1: chosen from the task */
	float		delta;			/* huber */
	int64		seed;
	bool		standardize;
	bool		verbose;
	int			task;			/* NNTask; -1: chosen from the target's type */
	int			init;			/* NNInit */
	NNRegConfig reg;
	float		dropout;
	bool		batch_norm;
	int			n_layers;		/* -1: no options.layers */
	NNShapeOption input_shape;
	NNLayerOption *layers;
	int			lr_schedule;	/* NNSchedule */
	int			step_size;
	float		gamma;			/* NaN: the schedule's default */
	int			warmup_epochs;
	float		validation_fraction;
	int			patience;		/* 0: no early stopping */
	bool		restore_best;
	bool		class_weight_balanced;
	int			n_class_weights;	/* from a JSON object label -> weight */
	char	  **class_weight_labels;
	float	   *class_weights;
	char	   *weight_column;	/* NULL: every row weighs 1 */
	int			impute;			/* NNImpute: NULL numeric features */
	char	   *name;			/* nn_train: register as; NULL: do not */
	bool		adversarial_given;	/* train on attacked rows too (fit_attack.c) */
	NNAttackOptions adversarial;
	int			strategy;		/* NNStrategy */
	/* two-class decisions (decision.c) */
	char	   *positive_class; /* NULL: the default of the labels */
	float		threshold;		/* P(positive) that decides positive; 0.5: argmax */
	bool		threshold_f1;	/* "f1": chosen after training */
	bool		threshold_given;	/* threshold in the options (nn_continue) */
} NNOptions;

/* which function is asking: each accepts its own set of keys */
typedef enum NNOptionsFor
{
	NN_OPTIONS_TRAIN = 1,
	NN_OPTIONS_INIT = 2,
	NN_OPTIONS_CONTINUE = 4
} NNOptionsFor;

/* options (NULL: none) as caller takes them, with every default filled in */
void		nn_options_parse(Jsonb *options, NNOptionsFor caller, NNOptions *out);
/* every option in effect, as the JSON text a model records */
char	   *nn_options_record(const NNOptions *o, NNOptionsFor caller);
/* the options a model recorded (nn_continue) */
void		nn_options_from_record(const char *record, NNOptions *out);
/* key takes part in training with these settings (nn_info leaves it out if not) */
bool		nn_option_applies(const char *key, int optimizer, int loss, const char *schedule,
							  bool early_stopping);
const char *nn_schedule_name(NNSchedule s);
const char *nn_impute_name(NNImpute i);
/* a spatial layer's window: kernel (named "kernel") or size ("pooling window") */
const int  *nn_layer_option_window(const NNLayerOption *l, const char **name);
/* layers[].type's name of a layer kind (or NN_LAYER_OPTION_FLATTEN) */
const char *nn_layer_type_name(int type);

/* ---------- build.c: an untrained model ---------- */

/*
 * Build an untrained model: network from the sizes and options, weights
 * from the seed.  classes may be NULL (labels "0".."n-1").
 */
NNModel    *nn_model_build(uint32 n_inputs, const int32 *hidden, int n_hidden,
						   NNTask task, uint32 n_classes, const NNOptions *opts);

/* ---------- rows.c: reading training rows ---------- */

typedef enum NNColumnKind
{
	NN_COL_SCALAR,
	NN_COL_ARRAY,
	NN_COL_CATEGORY				/* text, one-hot over its categories */
} NNColumnKind;

typedef struct NNFeatureColumn
{
	char	   *name;
	Oid			type;			/* scalar type, or array element type */
	NNColumnKind kind;
	int			width;			/* arrays: from the first complete row */
	char	  **categories;		/* NN_COL_CATEGORY: sorted, width of them */
	int64		nulls;			/* skipped rows with a NULL here (this pass) */
	int64		unseen;			/* values not among the categories (this pass) */
} NNFeatureColumn;

/* what to read */
typedef struct NNRowsSpec
{
	const char *source;
	const char *target;
	ArrayType  *features;		/* NULL: every column but the target */
	int			forced_task;	/* -1: from the target's type */
	const char *weight_column;	/* NULL: none */
	const NNModel *model;		/* nn_continue, nn_evaluate: the model's columns */
	NNImpute	impute;			/* NULL features; the model's when model is set */
	bool		stream_all;		/* every chunk goes to the sink (nn_evaluate) */
	/* strategy aggregate: 1 reads the training rows only, -1 the hold-out; 0 all */
	int			holdout_side;
	uint64		holdout_seed;
	float		holdout_fraction;
} NNRowsSpec;

typedef struct NNRows NNRows;

/* takes the rows in the buffer when they do not all fit in memory */
typedef void (*NNRowSink) (NNRows *rows, void *arg);

/* rows read, as float32 in memory */
struct NNRows
{
	MemoryContext cxt;
	NNTask		task;
	Oid			target_type;
	char	   *target_name;
	int			n_features;
	NNFeatureColumn *features;
	char	   *weight_column;
	Oid			weight_type;
	int			n_inputs;		/* -1 until the first complete row */
	int64		n_rows;
	int64		capacity;
	float	   *x;				/* n_rows x n_inputs */
	float	   *y;				/* class id or value */
	float	   *w;				/* row weight, 1 without weight_column */
	int64		skipped;		/* rows with a NULL */
	int64		skipped_target; /* of them, with a NULL target */
	int64		skipped_weight; /* with a NULL weight */
	NNImpute	impute;
	bool		has_missing;	/* impute 'mean': NaN marks a NULL to fill */
	bool		stream_all;		/* every chunk to the sink, however few rows */
	struct HTAB *labels;
	int			n_labels;
	char	  **label_text;		/* by label id */
	int		   *label_remap;	/* label id -> class index, once known */
	char	   *query;			/* the SELECT that reads the rows */
	/* more rows than nn.train_memory holds: they pass through in chunks */
	bool		streamed;
	NNRowSink	sink;
	void	   *sink_arg;
	int64		first_ordinal;	/* position in the source of x[0] */
};

void		nn_rows_load(NNRows *rows, const NNRowsSpec *spec);
/* the FROM item that reads source: its relation, quoted, or (query) AS nn_source */
char	   *nn_source_from(const char *source);
char	   *nn_source_from_relation(const char *source, Oid *relid);
/* SQL true for the rows of the hold-out chosen by a seeded hash of their values */
char	   *nn_holdout_sql(const char *target, char *const *features, int n_features,
						   uint64 seed, float fraction);
/* nn_continue, nn_evaluate: the columns supply the model's input counts */
void		nn_rows_check_widths(const NNRows *rows, const NNModel *model);
/* classification: sort the labels, number targets by them; returns labels */
char	  **nn_rows_sort_classes(NNRows *rows);
void		nn_rows_map_classes(NNRows *rows, const NNModel *model);
void		nn_rows_stream(NNRows *rows, NNRowSink sink, void *arg);
/* replace the NaN of NULL features (impute 'mean') by fill, per input */
void		nn_rows_fill(float *x, int64 n_rows, int n_inputs, const float *fill);
/* the model's feature encoding (kinds, categories, impute) from the rows */
void		nn_rows_set_encoding(NNModel *m, const NNRows *rows);

/* ---------- fit.c: minibatch training state shared with nn_train ---------- */

typedef struct NNFitState NNFitState;

NNFitState *nn_fit_state_create(NNModel *model, MemoryContext cxt);
/* an error when fn (nn_continue, nn_fit) is given a stripped or quantized model */
void		nn_fit_refuse_compressed(const NNModel *model, const char *fn);
void		nn_fit_state_add(NNFitState *state, const float *x, float target, float weight);
/* train the partial batch, record the pass in the history, return model */
NNModel    *nn_fit_state_finish(NNFitState *state);
double		nn_fit_state_mean_loss(const NNFitState *state);

#endif
