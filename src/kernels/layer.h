/*
 * layer.h - the layer table: what a layer kind tells the network driver
 * (network.c).  Each kind fills one NNLayerRoutine in its own file (dense:
 * dense_layer.c); the driver calls through it and never switches on the
 * kind, as PostgreSQL's executor calls an index through IndexAmRoutine.
 * Only a kind's own file knows its parameter layout, its statistics, its
 * workspace and its settings.
 */
#ifndef NN_LAYER_H
#define NN_LAYER_H

#include "network.h"

/* the most tensors one layer has (dense: W, b, gamma, beta) */
#define NN_LAYER_MAX_TENSORS 4

/*
 * One layer as a pass sees it: the driver fills it in from the network and
 * the workspace, so a kind reads its slices without knowing its
 * neighbours'.  params, grads and stats are this layer's slices (grads
 * NULL outside training; stats NULL for a kind without statistics); in is
 * the layer's input (batch x in_size), out its output buffer, acts[l + 1]
 * (batch x out_size).
 */
typedef struct NNLayer
{
	const NNNet *net;
	uint32_t	index;
	NNShape		in_shape;
	NNShape		out_shape;
	size_t		in_size;		/* floats per row of in */
	size_t		out_size;		/* floats per row of out */
	const float *params;
	float	   *grads;
	const float *stats;
	NNWork	   *work;
	const float *in;
	float	   *out;
	size_t		batch;
} NNLayer;

/*
 * How a backward pass starts at a layer: d is the gradient w.r.t. the
 * layer's output (its activation, before any dropout), or, for the output
 * layer under the loss, w.r.t. the output pre-activation (the loss fuses
 * the output activation's derivative).
 */
typedef enum NNBackFrom
{
	NN_BACK_FROM_OUTPUT,		/* d = dL/d(layer output, after dropout) */
	NN_BACK_FROM_PREACT			/* d = dL/d(pre-activation), from the loss */
} NNBackFrom;

typedef struct NNLayerRoutine
{
	const char *name;

	/* settings against the limits; last: the output layer.  NULL or why not */
	const char *(*check) (const NNNet *net, uint32_t l, bool last);
	/* output shape from the input shape and the settings; rank 0 if invalid */
	NNShape		(*out_shape) (const NNNet *net, uint32_t l, NNShape in);
	/* parameter floats (sizes bounded so that the driver's sum cannot wrap) */
	size_t		(*n_params) (const NNNet *net, uint32_t l, NNShape in, NNShape out);
	/* running-statistics floats (batch norm: mean and variance) */
	size_t		(*n_stats) (const NNNet *net, uint32_t l, NNShape out);
	/*
	 * The parameter tensors in storage order, tiling the layer's parameters
	 * without gaps (the driver clips, penalizes and updates by them);
	 * returns their count.
	 */
	uint32_t	(*tensors) (const NNNet *net, uint32_t l, NNShape in, NNShape out,
							NNTensor *t);

	/*
	 * Carve the layer's training buffers out of buf at *used (only count
	 * them when work is NULL); the driver has bound acts[l + 1] and
	 * in[l + 1] = acts[l + 1] already.
	 */
	void		(*carve) (NNWork *work, const NNNet *net, uint32_t l,
						  NNShape out, float *buf, size_t *used, size_t max_batch);

	/* seeded parameters and initial statistics (params, stats: its slices) */
	void		(*init) (const NNNet *net, uint32_t l, NNShape in, NNShape out,
						 float *params, float *stats, NNInit init, NNRng *rng);

	/* inference over a batch (running statistics, no dropout) into L->out */
	void		(*forward) (const NNLayer *L);
	/* the same for one row, with its one-row data (row_prepare) or NULL */
	void		(*forward_row) (const NNLayer *L, const float *row_data);
	/*
	 * Training over a batch: batch statistics, dropout masks from rng (none
	 * when NULL).  Returns the next layer's input (L->out or a buffer of
	 * its own).
	 */
	const float *(*forward_train) (const NNLayer *L, NNRng *rng);

	/*
	 * Backward from d (batch x out_size, overwritten): parameter gradients
	 * into L->grads when training, and dL/d(input) into dx when dx is not
	 * NULL.  training: through the batch statistics and the dropout masks
	 * drawn (dropped when rng_used is false); otherwise through the running
	 * statistics, and no parameter gradient.
	 */
	void		(*backward) (const NNLayer *L, float *d, NNBackFrom from,
							 float *dx, bool training, bool rng_used);

	/* fold the batch statistics of the last training pass into stats */
	void		(*update_stats) (const NNLayer *L, float *stats);

	/* floats of the one-row data (dense: W transposed), and its making */
	size_t		(*row_floats) (const NNNet *net, uint32_t l, NNShape in, NNShape out);
	void		(*row_prepare) (const NNNet *net, uint32_t l, NNShape in, NNShape out,
								const float *params, float *dst);
} NNLayerRoutine;

/*
 * Layer l's tensors with offsets into net->params (network.c; for the
 * passes over every tensor, such as the penalties and clipping); returns
 * their count.
 */
uint32_t	nn_net_tensors(const NNNet *net, uint32_t l, NNTensor *t);

/* the table entry of each kind (NULL for an unknown kind) */
const NNLayerRoutine *nn_layer_routine(NNLayerKind kind);

extern const NNLayerRoutine nn_dense_layer;

#endif
