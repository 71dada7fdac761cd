/*
 * model.h - a trained or untrained model in memory and its byte format.
 *
 * model.c and model_write.c, with each layer kind's entry (model_dense.c),
 * are the only code that knows the byte layout (see doc/model-format.md).
 * It is plain C with no PostgreSQL calls, so the reader can be unit-tested
 * and fuzzed as an ordinary program; the server glue passes it an
 * allocator and turns its messages into ereports.
 */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/network.h"

#define NN_MODEL_MAGIC "NNMD"
/*
 * Version 2 adds categorical features and NULL imputation.  A model that
 * uses neither is still written as version 1, so older builds read it.
 *
 * Layers are read and written through a per-kind entry of the layer-format
 * table (model_layers.h; dense: model_dense.c).  Versions 1 and 2 store no
 * layer kind: every layer is dense, and a dense layer's width and its
 * record (act, batch_norm, dropout) are today's bytes.  A future kind
 * (conv2d, lstm, ...) comes with a new version that stores a kind tag per
 * layer ahead of the layer's shape and record, written by the kind's
 * entry; its entry's min_version is that version, and the writer keeps
 * using the oldest version that holds a model (nn_model_format_version),
 * so a model of dense layers keeps its bytes.
 */
#define NN_FORMAT_VERSION 4

/*
 * How a model stores its parameters (version 4: the header's first
 * reserved byte).  Versions 1 to 3 hold float models with their optimizer
 * state only; version 4 is used for the other two and nothing else, so an
 * existing model keeps its bytes.  Both are for scoring only: no
 * optimizer state, and training refuses them.
 */
typedef enum NNStorage
{
	NN_STORAGE_FLOAT = 0,		/* float parameters and the optimizer state */
	NN_STORAGE_STRIPPED = 1,	/* float parameters, no optimizer state */
	NN_STORAGE_INT8 = 2,		/* int8 weights, a float scale per row */
	NN_STORAGE_COUNT
} NNStorage;

/* Documented limits beyond those of the network itself. */
#define NN_MAX_CLASSES 10000
#define NN_MAX_FEATURES NN_MAX_WIDTH
#define NN_MAX_NAME_BYTES 4096	/* a class label or feature name */
#define NN_MAX_HISTORY 1000000	/* epochs recorded */
#define NN_MAX_OPTIONS_BYTES (1024 * 1024)	/* the options record, JSON text */
#define NN_MAX_CATEGORIES 10000	/* distinct values of one categorical feature */

typedef enum NNTask
{
	NN_TASK_CLASSIFICATION = 0,
	NN_TASK_REGRESSION = 1,
	NN_TASK_COUNT
} NNTask;

/* how a feature column becomes inputs */
typedef enum NNFeatureKind
{
	NN_FEATURE_NUMERIC = 0,		/* a number, boolean or array: its values */
	NN_FEATURE_CATEGORICAL = 1, /* text: one input per category, one-hot */
	NN_FEATURE_KIND_COUNT
} NNFeatureKind;

/* what a NULL numeric feature does (options.impute) */
typedef enum NNImpute
{
	NN_IMPUTE_SKIP = 0,			/* training skips the row; scoring returns NULL */
	NN_IMPUTE_ERROR = 1,		/* an error */
	NN_IMPUTE_MEAN = 2,			/* the training rows' mean (model->fill) */
	NN_IMPUTE_ZERO = 3,			/* zero */
	NN_IMPUTE_COUNT
} NNImpute;

/* one element of the training history; NaN where not measured */
typedef struct NNEpochStats
{
	float		train_loss;
	float		val_loss;
	float		val_metric;
} NNEpochStats;

typedef struct NNModel
{
	NNNet		net;			/* architecture, parameters, optimizer state */
	NNTask		task;
	NNInit		init;
	bool		standardized;	/* x_mean/x_std and y_mean/y_std are set */
	uint64_t	seed;
	NNRng		rng;			/* shuffle stream, continued by later runs */
	uint64_t	rows_trained;
	uint32_t	epochs_run;
	uint32_t	best_epoch;		/* 1-based epoch whose weights were restored; 0 none */
	char	   *target_name;	/* "" for a model made by nn_init */
	char	   *options_json;	/* every option in effect, as a JSON object */

	uint32_t	n_classes;		/* 0 for regression */
	char	  **classes;		/* sorted labels, NUL-terminated */
	uint32_t	n_features;		/* 0 when the model was made by nn_init */
	char	  **feature_names;
	uint32_t   *feature_widths; /* inputs each feature column supplies */
	uint8_t    *feature_kinds;	/* NNFeatureKind each; NULL: all numeric */
	char	 ***categories;		/* categorical: feature_widths[i] sorted values */
	uint8_t		impute;			/* NNImpute */
	float	   *fill;			/* mean, zero: n_inputs raw values for NULLs */

	float	   *x_mean;			/* n_inputs each, when standardized */
	float	   *x_std;
	float		y_mean;			/* regression target scaling */
	float		y_std;

	uint32_t	n_history;
	NNEpochStats *history;

	/*
	 * Two-class decisions, from the options record (shared/decision.c), not
	 * bytes of their own: threshold is the probability of the positive
	 * class from which it is predicted, 0 for the class of the larger
	 * probability; positive is 1 + the positive class's index (given or
	 * the labels' default), 0 when there is none.
	 */
	float		threshold;
	uint32_t	positive;

	/* read by nn_model_read_without_state: net.opt_state is NULL */
	bool		without_state;

	/*
	 * NNStorage.  Not NN_STORAGE_FLOAT: net.opt_state is NULL.  For
	 * NN_STORAGE_INT8, every weight tensor's (NNTensor.weight) row scales
	 * and values, in storage order (model_quant.c): what the bytes hold,
	 * so that a model read is written back byte for byte; net.params holds
	 * the weights they give (q * scale), so scoring sees a float model.
	 */
	uint8_t		storage;
	size_t		n_qscales;
	float	   *qscales;
	size_t		n_qvalues;
	int8_t	   *qvalues;
} NNModel;

typedef void *(*NNAllocFn) (void *ctx, size_t size);

typedef struct NNAllocator
{
	NNAllocFn	alloc;
	void	   *ctx;
} NNAllocator;

typedef enum NNModelError
{
	NN_MODEL_OK = 0,
	NN_MODEL_CORRUPT,			/* damaged or not a model */
	NN_MODEL_LIMIT				/* a size beyond a documented limit */
} NNModelError;

/*
 * Parse and fully validate buf[0..len).  On success fills *model, with
 * every array allocated through alloc, and returns NN_MODEL_OK; otherwise
 * writes a message to err and returns the kind of error.
 */
NNModelError nn_model_read(const uint8_t *buf, size_t len, NNModel *model,
						   const NNAllocator *alloc, char *err, size_t errlen);

/*
 * The optimizer state is the format's last field, and scoring never reads
 * it (two thirds of an Adam model's bytes).  nn_model_state_bytes gives its
 * size from the model's first len bytes (the header, a few hundred bytes
 * for most models), or -1 when they do not hold a valid header;
 * nn_model_read_without_state reads and validates all of a model but that
 * state from buf[0..len), the model's bytes without their last
 * nn_model_state_bytes.  Such a model is for scoring only: net.opt_state
 * is NULL, and nn_model_check (so nn_model_write's callers) refuses it.
 */
int64_t		nn_model_state_bytes(const uint8_t *buf, size_t len);

/* the header's bytes at most: nn_model_state_bytes needs no more */
#define NN_MODEL_HEADER_MAX_BYTES \
	(20 + 4 * (NN_MAX_LAYERS + 1) + 6 * NN_MAX_LAYERS + 4 + 4 * 13 + 8 + 32 + 24)
NNModelError nn_model_read_without_state(const uint8_t *buf, size_t len, NNModel *model,
										 const NNAllocator *alloc, char *err, size_t errlen);

/* Check a model built in memory (the reader's checks, without bytes). */
NNModelError nn_model_check(const NNModel *model, char *err, size_t errlen);

/* Bytes nn_model_write will produce; SIZE_MAX when beyond size_t. */
size_t		nn_model_size(const NNModel *model);
void		nn_model_write(const NNModel *model, uint8_t *buf);

uint32_t	nn_model_inputs(const NNModel *model);

/*
 * The compressed copies of a valid float model (storage 0 or 1), for
 * nn_strip and nn_quantize: *dst shares model's arrays but for the
 * quantized weights, which it allocates (model_quant.c).  A stripped
 * model has no optimizer state; a quantized one scores with its weights
 * rounded to int8 and rescaled.
 */
void		nn_model_strip(const NNModel *model, NNModel *dst);
void		nn_model_quantize(const NNModel *model, NNModel *dst,
							  const NNAllocator *alloc);

/* one weight tensor of an int8 model: rows x cols values, a scale per row */
typedef struct NNQuantTensor
{
	const float *scales;
	const int8_t *values;
	size_t		rows;
	size_t		cols;
} NNQuantTensor;

/*
 * Whether weights (n floats of net.params) are one whole weight tensor of
 * an int8 model, and then its int8 form in *out: the ONNX export writes
 * them as such (DequantizeLinear).
 */
bool		nn_model_quant_tensor(const NNModel *model, const float *weights, size_t n,
								  NNQuantTensor *out);

/* the optimizer state floats the model holds (0 unless NN_STORAGE_FLOAT) */
size_t		nn_model_state_floats(const NNModel *model);

/* the name of a storage, for nn_info: "float", "stripped", "int8" */
const char *nn_model_storage_name(NNStorage storage);

/* the format version the writer uses for this model: the oldest that holds it */
uint32_t	nn_model_format_version(const NNModel *model);

/* the kind of feature column i */
NNFeatureKind nn_model_feature_kind(const NNModel *model, uint32_t i);

/*
 * The category index of value in categorical feature i (byte order, as
 * the categories are sorted), or -1 when the model never saw it.
 */
int32_t		nn_model_category(const NNModel *model, uint32_t i, const char *value);

/*
 * What differs between two models in what training leaves alone (layers,
 * task, classes, features and their encoding, imputation, standardization,
 * loss, optimizer and its settings, batch size, initialization, options,
 * epochs trained), named for an error; NULL when nothing does.
 */
const char *nn_model_setup_differs(const NNModel *a, const NNModel *b);

/* first input of feature column i */
uint32_t	nn_model_feature_offset(const NNModel *model, uint32_t i);

#endif
