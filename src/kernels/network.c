/*
 * network.c - the network driver: it walks the layers through the layer
 * table (layer.h) for the layout, initialization, workspace, forward and
 * backward passes, the gradient w.r.t. the inputs and the running
 * statistics.  It never switches on a layer's kind and knows nothing
 * of a kind's layout (dense_layer.c holds the dense one).
 *
 * Layer l (0-based) maps its input (a row of shapes[l]) to acts[l + 1] (a
 * row of shapes[l + 1]); in training, the next layer's input is what the
 * layer's forward returns (dense: its dropout buffer or acts), kept in
 * in[l + 1].  The training step over the tensors the layers list
 * (penalties, clipping, the optimizer update) is train_step.c.
 */
#include <math.h>
#include <string.h>

#include "interrupt.h"
#include "layer.h"
#include "parallel.h"

static const char *const init_names[NN_INIT_COUNT] = {
	"auto", "he", "xavier", "uniform"
};

const char *
nn_init_name(NNInit init)
{
	return (unsigned) init < NN_INIT_COUNT ? init_names[init] : "unknown";
}

int
nn_init_from_name(const char *name)
{
	/* "auto" is the absence of a choice, not a name one can give */
	for (int i = NN_INIT_HE; i < NN_INIT_COUNT; i++)
		if (strcmp(name, init_names[i]) == 0)
			return i;
	return -1;
}

/* ------------------------------------------------------------ the table */

/* one entry per kind; a new kind adds its file and its line here */
static const NNLayerRoutine *const layer_kinds[NN_LAYER_KIND_COUNT] = {
	[NN_LAYER_DENSE] = &nn_dense_layer,
	[NN_LAYER_CONV2D] = &nn_conv2d_layer,
	[NN_LAYER_MAX_POOL2D] = &nn_max_pool2d_layer,
	[NN_LAYER_AVG_POOL2D] = &nn_avg_pool2d_layer,
	[NN_LAYER_GLOBAL_AVG_POOL2D] = &nn_global_avg_pool2d_layer,
	[NN_LAYER_DEPTHWISE_CONV2D] = &nn_depthwise_conv2d_layer,
	[NN_LAYER_SEPARABLE_CONV2D] = &nn_separable_conv2d_layer,
	[NN_LAYER_RNN] = &nn_rnn_layer,
	[NN_LAYER_LSTM] = &nn_lstm_layer,
	[NN_LAYER_GRU] = &nn_gru_layer,
};

const NNLayerRoutine *
nn_layer_routine(NNLayerKind kind)
{
	return (unsigned) kind < NN_LAYER_KIND_COUNT ? layer_kinds[kind] : NULL;
}

void
nn_layer_no_stats_update(const NNLayer *L, float *stats)
{
	(void) L;
	(void) stats;
}

bool
nn_layer_no_stats_valid(const NNNet *net, uint32_t l, NNShape out, const float *stats)
{
	(void) net;
	(void) l;
	(void) out;
	(void) stats;
	return true;
}

size_t
nn_layer_no_floats(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	(void) net;
	(void) l;
	(void) in;
	(void) out;
	return 0;
}

void
nn_layer_no_row_prepare(const NNNet *net, uint32_t l, NNShape in, NNShape out,
						const float *params, float *dst)
{
	(void) net;
	(void) l;
	(void) in;
	(void) out;
	(void) params;
	(void) dst;
}

static inline const NNLayerRoutine *
Kind(const NNNet *net, uint32_t l)
{
	return layer_kinds[net->layers[l].kind];
}

NNShape
nn_shape_vector(uint32_t n)
{
	return (NNShape) {1, {n}};
}

size_t
nn_shape_size(NNShape shape)
{
	size_t		n = 1;

	for (uint32_t i = 0; i < shape.rank; i++)
		n *= shape.dims[i];
	return shape.rank > 0 ? n : 0;
}

/* ------------------------------------------------------------ layout */

static inline size_t
LayerParams(const NNNet *net, uint32_t l)
{
	return Kind(net, l)->n_params(net, l, net->shapes[l], net->shapes[l + 1]);
}

static inline size_t
LayerStats(const NNNet *net, uint32_t l)
{
	return Kind(net, l)->n_stats(net, l, net->shapes[l + 1]);
}

/* a layer's tensors, at offsets within the layer's parameters */
static inline uint32_t
LayerTensors(const NNNet *net, uint32_t l, NNTensor *t)
{
	return Kind(net, l)->tensors(net, l, net->shapes[l], net->shapes[l + 1], t);
}

uint32_t
nn_net_tensors(const NNNet *net, uint32_t layer, NNTensor *t)
{
	uint32_t	n = LayerTensors(net, layer, t);
	size_t		off = nn_net_weight_offset(net, layer);

	for (uint32_t i = 0; i < n; i++)
		t[i].offset += off;
	return n;
}

/*
 * Every row shape between the layers, each within NN_MAX_WIDTH floats
 * (the input shape's rank too, so that no loop runs past dims).
 */
static const char *
LayoutShapes(NNNet *net)
{
	size_t		n;

	if (net->shapes[0].rank > NN_MAX_RANK)
		return "layer width out of range";
	for (uint32_t l = 0; l <= net->n_layers; l++)
	{
		if (l > 0)
		{
			const char *msg;

			net->shapes[l] = Kind(net, l - 1)->out_shape(net, l - 1,
														 net->shapes[l - 1]);
			/* no output shape: the kind's own check says why */
			if (net->shapes[l].rank == 0 &&
				(msg = Kind(net, l - 1)->check(net, l - 1, l == net->n_layers)) != NULL)
				return msg;
		}
		n = nn_shape_size(net->shapes[l]);
		if (n < 1 || n > NN_MAX_WIDTH)
			return "layer width out of range";
	}
	return NULL;
}

const char *
nn_net_layout(NNNet *net)
{
	size_t		total = 0;
	size_t		stats = 0;
	const char *msg;

	if (net->n_layers < 1 || net->n_layers > NN_MAX_LAYERS)
		return "layer count out of range";
	for (uint32_t l = 0; l < net->n_layers; l++)
		if (nn_layer_routine((NNLayerKind) net->layers[l].kind) == NULL)
			return "unknown layer kind";
	if ((msg = LayoutShapes(net)) != NULL)
		return msg;
	for (uint32_t l = 0; l < net->n_layers; l++)
		if ((msg = Kind(net, l)->check(net, l, l + 1 == net->n_layers)) != NULL)
			return msg;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		/* each term is below 2^33, so the sum cannot wrap */
		total += LayerParams(net, l);
		if (total > NN_MAX_PARAMS)
			return "too many parameters";
		stats += LayerStats(net, l);
	}
	net->n_params = total;
	net->n_stats = stats;
	return NULL;
}

size_t
nn_net_weight_offset(const NNNet *net, uint32_t layer)
{
	size_t		off = 0;

	for (uint32_t l = 0; l < layer; l++)
		off += LayerParams(net, l);
	return off;
}

size_t
nn_net_tensor_offset(const NNNet *net, uint32_t layer, const char *name)
{
	NNTensor	t[NN_LAYER_MAX_TENSORS];
	uint32_t	n = nn_net_tensors(net, layer, t);

	for (uint32_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].offset;
	return nn_net_weight_offset(net, layer);
}

size_t
nn_net_stats_offset(const NNNet *net, uint32_t layer)
{
	size_t		off = 0;

	for (uint32_t l = 0; l < layer; l++)
		off += LayerStats(net, l);
	return off;
}

size_t
nn_net_state_floats(const NNNet *net)
{
	return net->n_params * nn_optimizer_state_per_param(net->optimizer);
}

uint32_t
nn_net_inputs(const NNNet *net)
{
	return (uint32_t) nn_shape_size(net->shapes[0]);
}

uint32_t
nn_net_outputs(const NNNet *net)
{
	return (uint32_t) nn_shape_size(net->shapes[net->n_layers]);
}

int
nn_net_activation(const NNNet *net, uint32_t layer)
{
	return Kind(net, layer)->activation(net, layer);
}

bool
nn_net_stats_valid(const NNNet *net)
{
	size_t		soff = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		if (LayerStats(net, l) > 0 &&
			!Kind(net, l)->stats_valid(net, l, net->shapes[l + 1], net->stats + soff))
			return false;
		soff += LayerStats(net, l);
	}
	return true;
}

/* ------------------------------------------------------------ init */

void
nn_init_weights(float *w, size_t n, size_t fan_in, size_t fan_out, NNInit init,
				int act, NNRng *rng)
{
	bool		rectifier = act == NN_ACT_RELU || act == NN_ACT_LEAKY_RELU;
	NNInit		kind = init != NN_INIT_AUTO ? init :
		(rectifier ? NN_INIT_HE : NN_INIT_XAVIER);

	if (kind == NN_INIT_UNIFORM)
	{
		/* uniform in [-sqrt(1/in), sqrt(1/in)), as PyTorch's nn.Linear */
		double		limit = sqrt(1.0 / fan_in);

		for (size_t i = 0; i < n; i++)
			w[i] = (float) (limit * (2.0 * nn_rng_uniform(rng) - 1.0));
	}
	else
	{
		/* He: var 2/in keeps ReLU activations' scale; Xavier: 2/(in+out) */
		double		sd = kind == NN_INIT_HE ? sqrt(2.0 / fan_in) :
			sqrt(2.0 / (fan_in + fan_out));

		for (size_t i = 0; i < n; i++)
			w[i] = (float) (sd * nn_rng_normal(rng));
	}
}

void
nn_net_init_params(NNNet *net, NNInit init, NNRng *rng)
{
	size_t		off = 0;
	size_t		soff = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		/* a layer without statistics gets no pointer into a NULL array */
		float	   *stats = LayerStats(net, l) > 0 ? net->stats + soff : NULL;

		Kind(net, l)->init(net, l, net->shapes[l], net->shapes[l + 1],
						   net->params + off, stats, init, rng);
		off += LayerParams(net, l);
		soff += LayerStats(net, l);
	}
	if (net->opt_state != NULL)
		memset(net->opt_state, 0, nn_net_state_floats(net) * sizeof(float));
	net->opt_step = 0;
}

/* ------------------------------------------------------------ workspace */

/* widest layer output: the size of a delta row (inputs need none) */
static size_t
MaxOutputWidth(const NNNet *net)
{
	size_t		max = 0;

	for (uint32_t l = 1; l <= net->n_layers; l++)
		if (nn_shape_size(net->shapes[l]) > max)
			max = nn_shape_size(net->shapes[l]);
	return max;
}

/*
 * Carve the workspace out of buf in a fixed order, or only count it when
 * work is NULL; returns the floats used.  Both nn_work_floats and
 * nn_work_bind go through here, so they cannot disagree.
 */
static size_t
CarveWork(NNWork *work, const NNNet *net, float *buf, size_t max_batch,
		  bool training)
{
	size_t		used = 0;

	for (uint32_t l = 1; l <= net->n_layers; l++)
	{
		if (work != NULL)
			work->in[l] = work->acts[l] = buf + used;
		used += max_batch * nn_shape_size(net->shapes[l]);
	}
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		n = Kind(net, l)->work_floats(net, l, net->shapes[l + 1],
												  max_batch, training);

		if (work != NULL)
			work->layer[l] = n > 0 ? buf + used : NULL;
		used += n;
	}
	if (!training)
		return used;
	if (work != NULL)
		work->x_std = buf + used;
	used += max_batch * nn_shape_size(net->shapes[0]);
	if (work != NULL)
	{
		work->delta_a = buf + used;
		work->delta_b = work->delta_a + max_batch * MaxOutputWidth(net);
		work->grads = work->delta_b + max_batch * MaxOutputWidth(net);
	}
	return used + 2 * max_batch * MaxOutputWidth(net) + net->n_params;
}

size_t
nn_work_floats(const NNNet *net, size_t max_batch, bool training)
{
	return CarveWork(NULL, net, NULL, max_batch, training);
}

void
nn_work_bind(NNWork *work, const NNNet *net, float *buf, size_t max_batch,
			 bool training)
{
	memset(work, 0, sizeof(*work));
	work->max_batch = max_batch;
	work->training = training;
	work->threads = 1;
	CarveWork(work, net, buf, max_batch, training);
}

/* ------------------------------------------------------------ forward */

/*
 * Layer l as a pass sees it: its parameters at off, its statistics at
 * soff, its input in and its output acts[l + 1]; parameter gradients only
 * in training.
 */
static NNLayer
BindLayer(const NNNet *net, NNWork *work, uint32_t l, size_t off, size_t soff,
		  const float *in, size_t batch, bool training)
{
	NNLayer		L = {
		.net = net,
		.index = l,
		.in_shape = net->shapes[l],
		.out_shape = net->shapes[l + 1],
		.in_size = nn_shape_size(net->shapes[l]),
		.out_size = nn_shape_size(net->shapes[l + 1]),
		.params = net->params + off,
		.grads = training ? work->grads + off : NULL,
		.stats = LayerStats(net, l) > 0 ? net->stats + soff : NULL,
		.work = work,
		.own = work->layer[l],
		.in = in,
		.out = work->acts[l + 1],
		.batch = batch,
	};

	return L;
}

/*
 * Inference.  A lone row (one_row) takes the row product of dense.h, with
 * each layer's one-row data (nn_net_transpose_weights) or NULL.  inputs,
 * when not NULL, receives each layer's input for a backward pass.
 */
static const float *
Forward(const NNNet *net, NNWork *work, const float *x, size_t batch,
		bool one_row, const float *wt, const float **inputs)
{
	const float *in = x;
	size_t		off = 0;
	size_t		soff = 0;
	size_t		wt_off = 0;

	nn_set_kernel_threads(work->threads);
	work->in[0] = work->acts[0] = (float *) x;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		const NNLayerRoutine *kind = Kind(net, l);
		NNLayer		L = BindLayer(net, work, l, off, soff, in, batch, false);

		if (inputs != NULL)
			inputs[l] = in;
		if (one_row)
			kind->forward_row(&L, wt != NULL ? wt + wt_off : NULL);
		else
			kind->forward(&L);
		in = L.out;
		off += LayerParams(net, l);
		soff += LayerStats(net, l);
		wt_off += kind->row_floats(net, l, L.in_shape, L.out_shape);
		nn_check_interrupt();
	}
	return work->acts[net->n_layers];
}

const float *
nn_net_forward(const NNNet *net, NNWork *work, const float *x, size_t batch)
{
	return Forward(net, work, x, batch, false, NULL, NULL);
}

const float *
nn_net_forward_row(const NNNet *net, NNWork *work, const float *x,
				   const float *wt)
{
	return Forward(net, work, x, 1, true, wt, NULL);
}

size_t
nn_net_weight_floats(const NNNet *net)
{
	size_t		n = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
		n += Kind(net, l)->row_floats(net, l, net->shapes[l], net->shapes[l + 1]);
	return n;
}

void
nn_net_transpose_weights(const NNNet *net, float *wt)
{
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		const NNLayerRoutine *kind = Kind(net, l);

		kind->row_prepare(net, l, net->shapes[l], net->shapes[l + 1],
						  net->params + nn_net_weight_offset(net, l), wt);
		wt += kind->row_floats(net, l, net->shapes[l], net->shapes[l + 1]);
	}
}

/* training forward; inputs receives each layer's input (after dropout) */
static void
TrainForward(const NNNet *net, NNWork *work, const float *x, size_t batch,
			 NNRng *rng, const float **inputs)
{
	const float *in = x;
	size_t		off = 0;
	size_t		soff = 0;

	nn_set_kernel_threads(work->threads);
	work->in[0] = work->acts[0] = (float *) x;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNLayer		L = BindLayer(net, work, l, off, soff, in, batch, true);

		inputs[l] = in;
		in = work->in[l + 1] = (float *) Kind(net, l)->forward_train(&L, rng);
		off += LayerParams(net, l);
		soff += LayerStats(net, l);
		nn_check_interrupt();
	}
}

/* ------------------------------------------------------------ backward */

/*
 * From delta_a, the gradient w.r.t. the output layer's output (from) down
 * through every layer, ping-ponging between the delta buffers.  Layer 0's
 * input gradient goes to dx0, or is not computed when dx0 is NULL.
 * Training fills work->grads; inference computes input gradients only.
 */
static void
Backward(const NNNet *net, NNWork *work, const float *const *inputs,
		 size_t batch, NNBackFrom from, float *dx0, bool training,
		 bool rng_used)
{
	float	   *delta = work->delta_a;
	float	   *spare = work->delta_b;
	size_t		off = net->n_params;
	size_t		soff = net->n_stats;

	for (uint32_t l = net->n_layers; l-- > 0;)
	{
		NNLayer		L;
		float	   *tmp;

		off -= LayerParams(net, l);
		soff -= LayerStats(net, l);
		L = BindLayer(net, work, l, off, soff, inputs[l], batch, training);
		Kind(net, l)->backward(&L, delta,
							   l + 1 == net->n_layers ? from : NN_BACK_FROM_OUTPUT,
							   l > 0 ? spare : dx0, training, rng_used);
		tmp = delta;
		delta = spare;
		spare = tmp;
		nn_check_interrupt();
	}
}

double
nn_net_gradient(const NNNet *net, NNWork *work, const float *x,
				const float *target, const float *weight, size_t batch,
				NNRng *rng)
{
	const float *inputs[NN_MAX_LAYERS];
	double		loss;

	if (!nn_work_fits(work, batch))
		return NAN;
	TrainForward(net, work, x, batch, rng, inputs);
	/* the loss gives the gradient w.r.t. the output pre-activation */
	loss = nn_loss_compute(&net->loss, work->acts[net->n_layers], target,
						   weight, work->delta_a, batch,
						   nn_net_outputs(net));
	Backward(net, work, inputs, batch, NN_BACK_FROM_PREACT, NULL, true,
			 rng != NULL);
	return loss;
}

/* ------------------------------------------------------------ input gradient */

/*
 * The seed of the backward pass into delta (batch x n_out), from the
 * outputs out; returns where it starts, or -1 for a bad seed.  Each row's
 * loss is taken alone (batch 1), so its gradient is that row's own, not
 * the batch mean's.
 */
static NNBackFrom
SeedDelta(const NNNet *net, const NNGradSeed *seed, const float *out,
		  float *delta, size_t batch)
{
	size_t		n_out = nn_net_outputs(net);
	size_t		t_stride = nn_loss_is_regression(net->loss.kind) ? n_out : 1;

	for (size_t r = 0; r < batch; r++)
	{
		float	   *d = delta + r * n_out;

		if (seed->kind == NN_SEED_LOSS)
			nn_loss_compute(&net->loss, out + r * n_out, seed->target + r * t_stride,
							NULL, d, 1, n_out);
		else if (seed->kind == NN_SEED_VECTOR)
			memcpy(d, seed->vector, n_out * sizeof(float));
		else
		{
			memset(d, 0, n_out * sizeof(float));
			d[seed->output] = 1.0f;
		}
	}
	return seed->kind == NN_SEED_LOSS ? NN_BACK_FROM_PREACT : NN_BACK_FROM_OUTPUT;
}

static bool
SeedValid(const NNNet *net, const NNGradSeed *seed)
{
	switch (seed->kind)
	{
		case NN_SEED_OUTPUT:
			return seed->output < nn_net_outputs(net);
		case NN_SEED_VECTOR:
			return seed->vector != NULL;
		case NN_SEED_LOSS:
			return seed->target != NULL;
	}
	return false;
}

const float *
nn_net_input_gradient(const NNNet *net, NNWork *work, const float *x,
					  size_t batch, const NNGradSeed *seed, const float *mean,
					  const float *sd, float *grad)
{
	const float *inputs[NN_MAX_LAYERS];
	size_t		n_in = nn_shape_size(net->shapes[0]);
	const float *out;
	NNBackFrom	from;

	if (!nn_work_fits(work, batch) || !SeedValid(net, seed) ||
		(mean == NULL) != (sd == NULL))
		return NULL;
	/*
	 * The standardized input has a buffer of its own: a kind may read its
	 * input in the backward pass (max pooling finds its winners again).
	 */
	memcpy(work->x_std, x, batch * n_in * sizeof(float));
	if (sd != NULL)
		nn_standardize_rows(work->x_std, mean, sd, batch, n_in);
	out = Forward(net, work, work->x_std, batch, false, NULL, inputs);
	from = SeedDelta(net, seed, out, work->delta_a, batch);
	Backward(net, work, inputs, batch, from, grad, false, false);
	/* x_std = (x - mean) / sd, so d/dx = d/dx_std / sd */
	if (sd != NULL)
		for (size_t r = 0; r < batch; r++)
			for (size_t c = 0; c < n_in; c++)
				grad[r * n_in + c] /= sd[c];
	return out;
}

/* ------------------------------------------------------------ statistics */

void
nn_net_update_stats(NNNet *net, NNWork *work)
{
	size_t		off = 0;
	size_t		soff = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNLayer		L = BindLayer(net, work, l, off, soff, NULL, 0, false);

		if (LayerStats(net, l) > 0)
			Kind(net, l)->update_stats(&L, net->stats + soff);
		off += LayerParams(net, l);
		soff += LayerStats(net, l);
	}
}

/* ------------------------------------------------------------ helpers */

void
nn_standardize_rows(float *x, const float *mean, const float *std,
					size_t rows, size_t cols)
{
	for (size_t r = 0; r < rows; r++)
	{
		float	   *row = x + r * cols;

		for (size_t c = 0; c < cols; c++)
			row[c] = (row[c] - mean[c]) / std[c];
	}
}

/*
 * A float is NaN or infinite when its exponent bits are all ones.  Testing
 * the bits of a block with no branch per value lets gcc vectorize the scan
 * (a per-value isfinite() with an early return does not vectorize, and the
 * scan runs over every scored row's features and every parsed model); the
 * scan still stops at the first block that has one.
 */
#define FINITE_BLOCK 256
#define FLOAT_EXPONENT_BITS 0x7f800000u

bool
nn_all_finite(const float *v, size_t n)
{
	for (size_t start = 0; start < n; start += FINITE_BLOCK)
	{
		size_t		end = n - start < FINITE_BLOCK ? n : start + FINITE_BLOCK;
		uint32_t	nonfinite = 0;

		for (size_t i = start; i < end; i++)
		{
			uint32_t	bits;

			memcpy(&bits, &v[i], sizeof(bits));
			nonfinite |= (bits & FLOAT_EXPONENT_BITS) == FLOAT_EXPONENT_BITS;
		}
		if (nonfinite)
			return false;
	}
	return true;
}
