/*
 * predict_batch.h - many rows through a trained network in blocks of
 * NN_PREDICT_BLOCK rows, in inference mode: the one batch loop behind
 * nn_predict_batch, the window functions, nn_evaluate and the validation
 * loss of training.  Pure C, like the rest of the kernels; the callers
 * keep their own checks and budgets.
 */
#ifndef NN_PREDICT_BATCH_H
#define NN_PREDICT_BATCH_H

#include <stddef.h>

#include "network.h"

/*
 * Rows per forward pass.  The block is part of the results: a block's
 * matrix products may round differently from one row's or another block
 * size's, so every batch path uses this one.
 */
#define NN_PREDICT_BLOCK 256

/* a network's block workspace, bound to caller memory by nn_predict_batch_bind */
typedef struct NNPredictBatch
{
	const NNNet *net;
	const float *mean;			/* standardization of the inputs; NULL: none */
	const float *std;
	size_t		n_inputs;
	size_t		n_outputs;
	NNWork		work;			/* NN_PREDICT_BLOCK rows, inference */
	float	   *x;				/* NN_PREDICT_BLOCK x n_inputs raw rows */
} NNPredictBatch;

/* the floats of work (nn_work_floats) and of x that a bind needs */
size_t		nn_predict_batch_work_floats(const NNNet *net);
size_t		nn_predict_batch_x_floats(size_t n_inputs);

/*
 * Bind pb to net, with the inputs standardized by mean and std (both NULL
 * for none), over caller buffers of the sizes above.
 */
void		nn_predict_batch_bind(NNPredictBatch *pb, const NNNet *net,
								  const float *mean, const float *std,
								  size_t n_inputs, float *work, float *x);

/*
 * The first n (1..NN_PREDICT_BLOCK) rows of pb->x, standardized in place,
 * through the network: returns their outputs, n x n_outputs, valid until
 * the next block.
 */
const float *nn_predict_batch_block(NNPredictBatch *pb, size_t n);

/* fill: rows start..start+n-1 into x; use: their outputs */
typedef void (*NNBlockFill) (void *arg, float *x, size_t start, size_t n);
typedef void (*NNBlockUse) (void *arg, const float *out, size_t start, size_t n);

/*
 * Rows 0..n_rows-1 block after block: fill a block, run it, hand its
 * outputs to use, then call the interrupt hook (interrupt.h).
 */
void		nn_predict_batch_rows(NNPredictBatch *pb, size_t n_rows,
								  NNBlockFill fill, NNBlockUse use, void *arg);

#endif
