/*
 * model.h - a trained or untrained model in memory and its byte format.
 *
 * model.c is the only code that knows the byte layout (see
 * doc/model-format.md).  It is plain C with no PostgreSQL calls, so the
 * reader can be unit-tested and fuzzed as an ordinary program; the server
 * glue passes it an allocator and turns its messages into ereports.
 */
#ifndef NN_MODEL_H
#define NN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/network.h"

#define NN_MODEL_MAGIC "NNMD"
#define NN_FORMAT_VERSION 1

/* Documented limits beyond those of the network itself. */
#define NN_MAX_CLASSES 10000
#define NN_MAX_FEATURES NN_MAX_WIDTH
#define NN_MAX_NAME_BYTES 4096	/* a class label or feature name */
#define NN_MAX_HISTORY 1000000	/* epochs recorded */
#define NN_MAX_OPTIONS_BYTES (1024 * 1024)	/* the options record, JSON text */

typedef enum NNTask
{
	NN_TASK_CLASSIFICATION = 0,
	NN_TASK_REGRESSION = 1,
	NN_TASK_COUNT
} NNTask;

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

	float	   *x_mean;			/* n_inputs each, when standardized */
	float	   *x_std;
	float		y_mean;			/* regression target scaling */
	float		y_std;

	uint32_t	n_history;
	NNEpochStats *history;
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

/* Check a model built in memory (the reader's checks, without bytes). */
NNModelError nn_model_check(const NNModel *model, char *err, size_t errlen);

/* Bytes nn_model_write will produce; SIZE_MAX when beyond size_t. */
size_t		nn_model_size(const NNModel *model);
void		nn_model_write(const NNModel *model, uint8_t *buf);

uint32_t	nn_model_inputs(const NNModel *model);

#endif
