/*
 * network.h - a feed-forward network of dense layers: layout, seeded
 * initialization, forward, backward and one training step over a minibatch.
 *
 * The network owns no memory: parameters, optimizer state and the
 * workspace are float arrays the caller allocates (palloc in the server,
 * malloc in the C tests), sized by the functions below.
 */
#ifndef NN_NETWORK_H
#define NN_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "activations.h"
#include "losses.h"
#include "optimizers.h"
#include "rng.h"

/* Documented limits; the model reader enforces the same ones. */
#define NN_MAX_LAYERS 64		/* dense layers, output included */
#define NN_MAX_WIDTH 65536		/* units in one layer, inputs included */
#define NN_MAX_PARAMS (64 * 1024 * 1024)	/* 256 MB of float32 weights */
#define NN_MAX_BATCH 65536

typedef enum NNInit
{
	NN_INIT_AUTO = 0,			/* He for (leaky) ReLU, Xavier otherwise */
	NN_INIT_HE = 1,
	NN_INIT_XAVIER = 2,
	NN_INIT_COUNT
} NNInit;

typedef struct NNNet
{
	uint32_t	n_layers;		/* dense layers, the output layer included */
	uint32_t	widths[NN_MAX_LAYERS + 1];	/* widths[0] = number of inputs */
	uint8_t		act[NN_MAX_LAYERS]; /* activation after each layer */
	NNLoss		loss;
	NNOptimizer optimizer;
	NNOptConfig opt;
	uint32_t	batch_size;

	size_t		n_params;
	float	   *params;			/* per layer: W (out x in), then b (out) */
	float	   *opt_state;		/* n_params * state_per_param floats */
	uint64_t	opt_step;		/* updates applied so far */
} NNNet;

/* Per-minibatch buffers, bound to caller memory by nn_work_bind. */
typedef struct NNWork
{
	size_t		max_batch;
	float	   *acts[NN_MAX_LAYERS + 1];	/* acts[0] points at the input */
	float	   *delta_a;		/* max_batch x max width, ping-pong */
	float	   *delta_b;
	float	   *grads;			/* n_params */
} NNWork;

/*
 * Check widths, layer count and parameter count against the limits and set
 * n_params.  Returns NULL when valid, else a static message.
 */
const char *nn_net_layout(NNNet *net);

size_t		nn_net_weight_offset(const NNNet *net, uint32_t layer);
size_t		nn_net_bias_offset(const NNNet *net, uint32_t layer);
size_t		nn_net_state_floats(const NNNet *net);
uint32_t	nn_net_outputs(const NNNet *net);

/* Random weights (seeded) and zero biases; zeroes optimizer state. */
void		nn_net_init_params(NNNet *net, NNInit init, NNRng *rng);

size_t		nn_work_floats(const NNNet *net, size_t max_batch, bool training);
void		nn_work_bind(NNWork *work, const NNNet *net, float *buf,
						 size_t max_batch, bool training);

/* Forward pass; returns the output activations (batch x outputs). */
const float *nn_net_forward(const NNNet *net, NNWork *work, const float *x,
							size_t batch);

/*
 * Forward and backward pass: fills work->grads with the gradient of the
 * mean loss over the batch and returns the summed loss.
 */
double		nn_net_gradient(const NNNet *net, NNWork *work, const float *x,
							const float *target, size_t batch);

/* nn_net_gradient followed by one optimizer update; returns summed loss. */
double		nn_net_train_batch(NNNet *net, NNWork *work, const float *x,
							   const float *target, size_t batch);

/* x[r][c] = (x[r][c] - mean[c]) / std[c] in place */
void		nn_standardize_rows(float *x, const float *mean, const float *std,
								size_t rows, size_t cols);

/* true when every value is finite */
bool		nn_all_finite(const float *v, size_t n);

#endif
