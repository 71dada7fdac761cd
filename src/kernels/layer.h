/*
 * layer.h - the layer table: what a layer kind tells the network driver
 * (network.c).  Each kind fills one NNLayerRoutine in its own file (dense:
 * dense_layer.c); the driver calls through it and never switches on the
 * kind, as PostgreSQL's executor calls an index through IndexAmRoutine.
 * Only a kind's own file knows its parameter layout, its statistics, its
 * workspace and its settings (kept in the layer's NNLayerSettings; a
 * kind's header, like dense_layer.h, shows them to the entries that
 * describe the kind: the model format's, the builder's, the export's).
 *
 * A new kind: its file here with its NNLayerRoutine, a value of
 * NNLayerKind (network.h) and its line in network.c's layer_kinds; then
 * its format entry (src/formats/model_layers.h) and export entry
 * (src/formats/onnx_graph.h), and the samples of test/unit/test_layers.c.
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
 * (batch x out_size); own its block of training buffers, or NULL.
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
	float	   *own;			/* its own buffers (work->layer[l]), or NULL */
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
	 * Floats of the layer's own buffers for batches of up to max_batch
	 * rows (0: none), for training or for inference only (conv2d: its
	 * lowered patches; dense: none).  The driver carves one block of that
	 * size, work->layer[l]; how it is divided is the kind's business.  A
	 * training block serves inference passes too, so it is never smaller
	 * than the inference one.
	 */
	size_t		(*work_floats) (const NNNet *net, uint32_t l, NNShape out,
								size_t max_batch, bool training);

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
	/* running statistics in their domain (dense: variances not negative) */
	bool		(*stats_valid) (const NNNet *net, uint32_t l, NNShape out,
								const float *stats);

	/* the activation the layer ends with (NNActivation, as stored) */
	int			(*activation) (const NNNet *net, uint32_t l);

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

/* a training call needs training buffers large enough for the batch */
static inline bool
nn_work_fits(const NNWork *work, size_t batch)
{
	return work->training && batch >= 1 && batch <= work->max_batch;
}

/*
 * For train_step.c, the driver's other half: fold each layer's batch
 * statistics of the last training pass into the running ones.
 */
void		nn_net_update_stats(NNNet *net, NNWork *work);

/*
 * The update_stats and stats_valid entries of a kind that keeps no running
 * statistics (convolution without batch norm, pooling): nothing to fold,
 * nothing that can be out of its domain.
 */
void		nn_layer_no_stats_update(const NNLayer *L, float *stats);
bool		nn_layer_no_stats_valid(const NNNet *net, uint32_t l, NNShape out,
									const float *stats);

/*
 * The row_floats and row_prepare entries of a kind whose one-row pass is
 * its batch pass (convolutions, pooling): no one-row data; no_floats
 * serves as the n_params entry of a kind without parameters too.
 */
size_t		nn_layer_no_floats(const NNNet *net, uint32_t l, NNShape in,
							   NNShape out);
void		nn_layer_no_row_prepare(const NNNet *net, uint32_t l, NNShape in,
									NNShape out, const float *params, float *dst);

/*
 * n seeded weights of a tensor with that fan-in and fan-out, for the
 * kinds' init entries: init as asked, or for NN_INIT_AUTO He after a
 * (leaky) ReLU act and Xavier otherwise (network.h, NNInit).
 */
void		nn_init_weights(float *w, size_t n, size_t fan_in, size_t fan_out,
							NNInit init, int act, NNRng *rng);

extern const NNLayerRoutine nn_dense_layer;
extern const NNLayerRoutine nn_conv2d_layer;
extern const NNLayerRoutine nn_max_pool2d_layer;
extern const NNLayerRoutine nn_avg_pool2d_layer;
extern const NNLayerRoutine nn_global_avg_pool2d_layer;
extern const NNLayerRoutine nn_depthwise_conv2d_layer;
extern const NNLayerRoutine nn_separable_conv2d_layer;
extern const NNLayerRoutine nn_rnn_layer;
extern const NNLayerRoutine nn_lstm_layer;
extern const NNLayerRoutine nn_gru_layer;

#endif
