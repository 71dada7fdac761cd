/*
 * network.h - a feed-forward network: a stack of layers, each of a kind of
 * the layer table (layer.h; today dense, with optional batch normalization
 * before its activation and dropout after it); seeded initialization;
 * forward and backward passes; the gradient w.r.t. the inputs; one
 * training step with penalties, gradient clipping and an optimizer update.
 *
 * The network owns no memory: parameters, running statistics, optimizer
 * state and the workspace are float arrays the caller allocates (palloc in
 * the server, malloc in the C tests), sized by the functions below.
 */
#ifndef NN_NETWORK_H
#define NN_NETWORK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "activations.h"
#include "losses.h"
#include "optimizers.h"
#include "regularize.h"
#include "rng.h"

/* Documented limits; the model reader enforces the same ones. */
#define NN_MAX_LAYERS 64		/* dense layers, output included */
#define NN_MAX_WIDTH 65536		/* units in one layer, inputs included */
#define NN_MAX_PARAMS (64 * 1024 * 1024)	/* 256 MB of float32 weights */
#define NN_MAX_BATCH 65536

/* batch normalization: running = m running + (1 - m) batch; eps in sqrt */
#define NN_BN_MOMENTUM 0.9f
#define NN_BN_EPSILON 1e-5f

/*
 * The kinds of the layer table (layer.h).  Zero is dense, so a network
 * zeroed and filled in by the dense-only code of old is a dense network.
 */
typedef enum NNLayerKind
{
	NN_LAYER_DENSE = 0,
	NN_LAYER_CONV2D = 1,
	NN_LAYER_MAX_POOL2D = 2,
	NN_LAYER_AVG_POOL2D = 3,
	NN_LAYER_GLOBAL_AVG_POOL2D = 4,
	NN_LAYER_DEPTHWISE_CONV2D = 5,
	NN_LAYER_SEPARABLE_CONV2D = 6,
	NN_LAYER_RNN = 7,
	NN_LAYER_LSTM = 8,
	NN_LAYER_GRU = 9,
	NN_LAYER_KIND_COUNT
} NNLayerKind;

/*
 * The shape of one row of the values between two layers: [width] after a
 * dense layer, [channels, height, width] or [steps, features] for the
 * kinds to come.  Rows are stored flat, row-major.
 */
#define NN_MAX_RANK 3

typedef struct NNShape
{
	uint32_t	rank;			/* 0: no valid shape */
	uint32_t	dims[NN_MAX_RANK];
} NNShape;

/* floats in one row of the shape */
size_t		nn_shape_size(NNShape shape);

typedef enum NNInit
{
	NN_INIT_AUTO = 0,			/* He for (leaky) ReLU, Xavier otherwise */
	NN_INIT_HE = 1,				/* normal, sd sqrt(2 / in) */
	NN_INIT_XAVIER = 2,			/* normal, sd sqrt(2 / (in + out)) */
	NN_INIT_UNIFORM = 3,		/* uniform in +-sqrt(1 / in) */
	NN_INIT_COUNT
} NNInit;

const char *nn_init_name(NNInit init);
int			nn_init_from_name(const char *name);


/*
 * A layer's own settings, opaque to everyone but its kind: the kind's file
 * and the entries that describe the kind (its format, options and export
 * entries) read them through the kind's header (dense_layer.h:
 * NNDenseSettings).  Fixed-size, so that a network stays one flat struct
 * that can be copied and zeroed; a kind's settings must fit.
 */
#define NN_LAYER_SETTINGS_BYTES 16

typedef union NNLayerSettings
{
	unsigned char bytes[NN_LAYER_SETTINGS_BYTES];
	uint64_t	align;			/* room for any kind's integers and floats */
} NNLayerSettings;

/* one layer: its kind (NNLayerKind) and that kind's settings */
typedef struct NNLayerSpec
{
	uint8_t		kind;
	NNLayerSettings settings;
} NNLayerSpec;

typedef struct NNNet
{
	uint32_t	n_layers;		/* layers, the output layer included */
	NNLayerSpec layers[NN_MAX_LAYERS];
	/*
	 * shapes[0]: the shape of one input row, set by whoever builds the
	 * network; shapes[l + 1]: layer l's output, set by nn_net_layout.
	 */
	NNShape		shapes[NN_MAX_LAYERS + 1];
	NNLossConfig loss;
	NNOptimizer optimizer;
	NNOptConfig opt;
	NNRegConfig reg;
	uint32_t	batch_size;
	float		lr_factor;		/* schedule multiplier of opt.learning_rate */

	size_t		n_params;
	float	   *params;			/* per layer, its kind's tensors (dense: W, b, [gamma, beta]) */
	size_t		n_stats;
	float	   *stats;			/* per layer, its kind's statistics (batch norm: mean, var) */
	float	   *opt_state;		/* n_params * state_per_param floats */
	uint64_t	opt_step;		/* updates applied so far */
} NNNet;

/*
 * Per-minibatch buffers, bound to caller memory by nn_work_bind.  What a
 * kind needs beyond its output (dense_layer.c: dropout masks, the
 * batch-normalized values and the batch statistics) is its own block,
 * layer[l], carved by the driver at the size the kind asks for and laid
 * out by the kind alone.
 */
typedef struct NNWork
{
	size_t		max_batch;
	bool		training;
	/*
	 * The kernels' threads for its passes (parallel.h; nn_work_bind: 1):
	 * the bytes are the same at any count.
	 */
	int			threads;
	/* input of layer l in the last pass (in[0] = x; dense: after dropout) */
	float	   *in[NN_MAX_LAYERS + 1];
	float	   *acts[NN_MAX_LAYERS + 1];	/* output of layer l-1 */
	/* training only: */
	float	   *layer[NN_MAX_LAYERS];	/* layer l's own buffers, or NULL */
	float	   *x_std;			/* max_batch x inputs: the input gradient's x */
	float	   *delta_a;		/* max_batch x max width, ping-pong */
	float	   *delta_b;
	float	   *grads;			/* n_params */
} NNWork;

/* [n]: the shape of a row of n values (a dense layer's output) */
NNShape		nn_shape_vector(uint32_t n);

/*
 * Check the layer count, the kinds, the shapes, each layer's settings
 * (dense: dropout rates and batch-norm placement) and the parameter count
 * against the limits; set shapes[1..n_layers], n_params and n_stats.
 * Returns NULL when valid, else a static message.
 */
const char *nn_net_layout(NNNet *net);

/* where layer's parameters start; its first tensor (dense: W) is there */
size_t		nn_net_weight_offset(const NNNet *net, uint32_t layer);
/* where the layer's tensor of that name starts (its kind names them) */
size_t		nn_net_tensor_offset(const NNNet *net, uint32_t layer, const char *name);
/* where layer's running statistics start (dense: mean; var follows) */
size_t		nn_net_stats_offset(const NNNet *net, uint32_t layer);
size_t		nn_net_state_floats(const NNNet *net);
uint32_t	nn_net_inputs(const NNNet *net);
uint32_t	nn_net_outputs(const NNNet *net);

/*
 * The activation layer l ends with (NNActivation; as stored, so possibly
 * out of range in a damaged model): the output layer's must suit the loss,
 * which fuses its derivative.
 */
int			nn_net_activation(const NNNet *net, uint32_t layer);

/* every layer's running statistics are in their kind's domain */
bool		nn_net_stats_valid(const NNNet *net);

/*
 * Random weights (seeded), zero biases, batch-norm gamma 1 and beta 0,
 * running mean 0 and variance 1; zeroes the optimizer state and step.
 */
void		nn_net_init_params(NNNet *net, NNInit init, NNRng *rng);

size_t		nn_work_floats(const NNNet *net, size_t max_batch, bool training);
void		nn_work_bind(NNWork *work, const NNNet *net, float *buf,
						 size_t max_batch, bool training);

/*
 * Inference: batch normalization with the running statistics, no dropout.
 * Returns the output activations (batch x outputs), work->acts[n_layers].
 */
const float *nn_net_forward(const NNNet *net, NNWork *work, const float *x,
							size_t batch);

/*
 * The same for one row scored on its own, with the row product that
 * nn_row_product chooses (dense.h): nn_net_forward(..., 1) may differ
 * from it in the last bits.  wt: the transposed weights of
 * nn_net_transpose_weights, or NULL (then no saxpy path).
 */
const float *nn_net_forward_row(const NNNet *net, NNWork *work, const float *x,
								const float *wt);

/* every layer's W transposed (in x out), layer after layer, into wt */
size_t		nn_net_weight_floats(const NNNet *net);
void		nn_net_transpose_weights(const NNNet *net, float *wt);

/*
 * Training-mode forward (batch statistics; dropout masks drawn from rng,
 * none when rng is NULL) and backward pass: fills work->grads with the
 * gradient of the batch's mean loss (weighted by weight, NULL for 1) and
 * returns the summed loss.  Penalties are not included.  Needs a work
 * bound with training = true.
 */
double		nn_net_gradient(const NNNet *net, NNWork *work, const float *x,
							const float *target, const float *weight,
							size_t batch, NNRng *rng);

/* l1 * sum |w| + l2 * sum w^2 over the weights */
double		nn_net_penalty(const NNNet *net);

/*
 * Add the penalties' gradient to grads (weights only), then clip: element
 * values, then each tensor's norm, then the global norm.
 */
void		nn_net_regularize(const NNNet *net, float *grads);

/*
 * nn_net_gradient, nn_net_regularize, one optimizer update with learning
 * rate opt.learning_rate * lr_factor, and the running batch-norm
 * statistics; returns the summed loss (without penalties).
 *
 * The passes call the interrupt hook (interrupt.h) between layers, blocks
 * of large matrix products and blocks of the update.  When the hook does
 * not return, the network and the workspace are left partly updated: the
 * caller must discard them.
 */
double		nn_net_train_batch(NNNet *net, NNWork *work, const float *x,
							   const float *target, const float *weight,
							   size_t batch, NNRng *rng);

/*
 * What the gradient w.r.t. the inputs is the gradient of: one output, a
 * weighted sum of the outputs (the same weights for every row), or each
 * row's own loss (unweighted, not divided by the batch size).
 */
typedef enum NNSeedKind
{
	NN_SEED_OUTPUT,
	NN_SEED_VECTOR,
	NN_SEED_LOSS
} NNSeedKind;

typedef struct NNGradSeed
{
	NNSeedKind	kind;
	uint32_t	output;			/* NN_SEED_OUTPUT: which output */
	const float *vector;		/* NN_SEED_VECTOR: one weight per output */
	const float *target;		/* NN_SEED_LOSS: targets, as nn_loss_compute */
} NNGradSeed;

/*
 * The gradient of the seed w.r.t. each row's inputs, in inference mode
 * (running batch-norm statistics, no dropout), with no parameter gradient,
 * into grad (batch x inputs).  x holds raw features when mean and sd are
 * given (the model's standardization, applied here; the gradient is then
 * in raw units, d/dx_raw = d/dx_std / sd), else the network's own inputs.
 * Needs a work bound with training = true (for its delta buffers).
 * Returns the outputs of the forward pass (batch x outputs), or NULL for
 * a bad call (work, batch, seed output, or only one of mean and sd).
 */
const float *nn_net_input_gradient(const NNNet *net, NNWork *work,
								   const float *x, size_t batch,
								   const NNGradSeed *seed, const float *mean,
								   const float *sd, float *grad);

/* x[r][c] = (x[r][c] - mean[c]) / std[c] in place */
void		nn_standardize_rows(float *x, const float *mean, const float *std,
								size_t rows, size_t cols);

/* true when every value is finite */
bool		nn_all_finite(const float *v, size_t n);

/*
 * true when parameters, running statistics and optimizer state are all
 * finite: an optimizer's accumulated squares can overflow while the
 * parameters stay finite, and such a model could not be read back.
 */
bool		nn_net_state_finite(const NNNet *net);

#endif
