/*
 * nn.h - declarations shared by the SQL glue (train, fit, predict, info,
 * options).  Kernels and model.c never include this file.
 */
#ifndef NN_GLUE_H
#define NN_GLUE_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/jsonb.h"

#include "model.h"

/* ---------- options.c ---------- */

typedef struct NNOptions
{
	int			epochs;
	int			batch_size;
	NNOptimizer optimizer;
	float		learning_rate;	/* NaN: the optimizer's default */
	NNActivation activation;
	int			loss;			/* -1: chosen from the task */
	int64		seed;
	bool		standardize;
	bool		verbose;
	int			task;			/* -1: chosen from the target's type */
} NNOptions;

/* which function is asking: nn_init takes only the network's keys */
typedef enum NNOptionsFor
{
	NN_OPTIONS_TRAIN,
	NN_OPTIONS_INIT
} NNOptionsFor;

void		nn_options_parse(Jsonb *options, NNOptionsFor caller, NNOptions *out);

/* ---------- modelio.c: models as bytea ---------- */

/* allocator for nn_model_read that pallocs in a given context */
extern const NNAllocator *nn_palloc_allocator(MemoryContext cxt);
NNModel    *nn_model_from_bytes(const char *data, size_t len, MemoryContext cxt);
NNModel    *nn_model_from_bytea(bytea *b);
bytea	   *nn_model_to_bytea(const NNModel *model);
NNModel    *nn_model_copy(const NNModel *model, MemoryContext cxt);

/*
 * Build an untrained model: network from the sizes and options, weights
 * from the seed.  classes may be NULL (labels "0".."n-1").
 */
NNModel    *nn_model_build(uint32 n_inputs, const int32 *hidden, int n_hidden,
						   NNTask task, uint32 n_classes, const NNOptions *opts);

/* the real[] argument as floats; errors on NULL elements or wrong rank */
float	   *nn_array_floats(ArrayType *arr, const char *what, int *n);
void		nn_check_features(const float *x, int n, uint32 expected);

/* ---------- fit.c: minibatch training state shared with nn_train ---------- */

typedef struct NNFitState NNFitState;

NNFitState *nn_fit_state_create(NNModel *model, MemoryContext cxt);
void		nn_fit_state_add(NNFitState *state, const float *x, float target);
/* train the partial batch, record the pass in the history, return model */
NNModel    *nn_fit_state_finish(NNFitState *state);
double		nn_fit_state_mean_loss(const NNFitState *state);

#endif
