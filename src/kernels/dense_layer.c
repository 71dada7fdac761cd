/*
 * dense_layer.c - the dense layer kind of the layer table (layer.h): a
 * fully connected product, optional batch normalization before the
 * activation and optional dropout after it.  Its settings are
 * NNDenseSettings (dense_layer.h); only this file knows its layout.
 *
 * Layer l maps its input in (n_in columns) to out = acts[l + 1] (units
 * columns):
 *
 *     z = in W^T + b
 *     u = gamma zhat + beta,  zhat = (z - mean) / sqrt(var + eps)   [batch_norm]
 *     acts = act(u)
 *     dropped = acts * mask                                      [dropout]
 *
 * Parameters: W (out x in), b (out), and gamma, beta (out each) when
 * batch-normalized; statistics: running mean and variance (out each).
 * The training buffers (NNDenseWork) are the layer's own block,
 * work->layer[l].  A layer without batch normalization or dropout gets no
 * buffers and no passes beyond the product and the activation.
 */
#include <math.h>
#include <string.h>

#include "bn_dropout.h"
#include "dense.h"
#include "dense_layer.h"

/* ------------------------------------------------------------ layout */

static inline size_t
LayerWeights(size_t in, size_t out)
{
	return out * in;
}

/* W, b and, when batch-normalized, gamma and beta */
static size_t
DenseParams(const NNNet *net, uint32_t l, NNShape in_shape, NNShape out_shape)
{
	size_t		in = nn_shape_size(in_shape);
	size_t		out = nn_shape_size(out_shape);

	return out * (in + 1) + (nn_dense(net, l)->batch_norm ? 2 * out : 0);
}

static size_t
DenseStats(const NNNet *net, uint32_t l, NNShape out_shape)
{
	return nn_dense(net, l)->batch_norm ? 2 * nn_shape_size(out_shape) : 0;
}

static uint32_t
DenseTensors(const NNNet *net, uint32_t l, NNShape in_shape, NNShape out_shape,
			 NNTensor *t)
{
	size_t		in = nn_shape_size(in_shape);
	size_t		out = nn_shape_size(out_shape);
	size_t		nw = LayerWeights(in, out);

	t[0] = (NNTensor) {"W", 0, nw, true, out};
	t[1] = (NNTensor) {"b", nw, out, false, 0};
	if (!nn_dense(net, l)->batch_norm)
		return 2;
	t[2] = (NNTensor) {"gamma", nw + out, out, false, 0};
	t[3] = (NNTensor) {"beta", nw + 2 * out, out, false, 0};
	return 4;
}

/* a dense layer's shape is its width */
static NNShape
DenseOutShape(const NNNet *net, uint32_t l, NNShape in)
{
	(void) in;
	return nn_shape_vector(nn_dense(net, l)->units);
}

static const char *
DenseCheck(const NNNet *net, uint32_t l, bool last)
{
	const NNDenseSettings *s = nn_dense(net, l);

	if (s->batch_norm > 1)
		return "batch_norm flag must be 0 or 1";
	/* written so that a NaN rate fails too */
	if (!(s->dropout >= 0.0f && s->dropout < 1.0f))
		return "dropout rate out of range [0, 1)";
	if (last && s->batch_norm)
		return "batch normalization on the output layer";
	if (last && s->dropout != 0.0f)
		return "dropout on the output layer";
	return NULL;
}

/* ------------------------------------------------------------ workspace */

/*
 * Layer l's buffers in its block own, in a fixed order (mask, dropped,
 * zhat, bn_mean, bn_inv_std; each only when used), or only counted when
 * own is NULL; returns the floats they take.
 */
static size_t
CarveOwn(const NNNet *net, uint32_t l, size_t out, size_t max_batch,
		 float *own, NNDenseWork *w)
{
	size_t		used = 0;

	memset(w, 0, sizeof(*w));
#define TAKE(field, n) \
	do { \
		if (own != NULL) \
			w->field = own + used; \
		used += (n); \
	} while (0)

	if (nn_dense(net, l)->dropout > 0.0f)
	{
		TAKE(mask, max_batch * out);
		TAKE(dropped, max_batch * out);
	}
	if (nn_dense(net, l)->batch_norm)
	{
		TAKE(zhat, max_batch * out);
		TAKE(bn_mean, out);
		TAKE(bn_inv_std, out);
	}
#undef TAKE
	return used;
}

static size_t
DenseWorkFloats(const NNNet *net, uint32_t l, NNShape out, size_t max_batch,
				bool training)
{
	NNDenseWork w;

	/* inference needs no buffer of its own */
	if (!training)
		return 0;
	return CarveOwn(net, l, nn_shape_size(out), max_batch, NULL, &w);
}

NNDenseWork
nn_dense_work(const NNNet *net, const NNWork *work, uint32_t l)
{
	NNDenseWork w;

	CarveOwn(net, l, nn_shape_size(net->shapes[l + 1]), work->max_batch,
			 work->layer[l], &w);
	return w;
}

/* the buffers of the layer a pass is at */
static NNDenseWork
OwnWork(const NNLayer *L)
{
	NNDenseWork w;

	CarveOwn(L->net, L->index, L->out_size, L->work->max_batch, L->own, &w);
	return w;
}

/* ------------------------------------------------------------ init */

/* random W, zero b; gamma 1, beta 0; running mean 0, variance 1 */
static void
DenseInit(const NNNet *net, uint32_t l, NNShape in_shape, NNShape out_shape,
		  float *w, float *stats, NNInit init, NNRng *rng)
{
	size_t		in = nn_shape_size(in_shape);
	size_t		out = nn_shape_size(out_shape);
	const NNDenseSettings *s = nn_dense(net, l);

	nn_init_weights(w, in * out, in, out, init, s->act, rng);
	memset(w + in * out, 0, out * sizeof(float));
	if (s->batch_norm)
		nn_bn_init(w + in * out + out, stats, out);
}

/* ------------------------------------------------------------ passes */

/* batch normalization with the running statistics, then the activation */
static void
FinishInference(const NNLayer *L)
{
	const NNNet *net = L->net;
	uint32_t	l = L->index;
	size_t		out = L->out_size;
	const float *bn = L->params + (L->in_size + 1) * out;

	if (nn_dense(net, l)->batch_norm)
		nn_bn_inference(L->out, bn, bn + out, L->stats, L->stats + out,
						L->batch, out, 1);
	nn_activation_forward((NNActivation) nn_dense(net, l)->act, L->out, L->batch, out);
}

static void
DenseForward(const NNLayer *L)
{
	const float *w = L->params;

	nn_dense_forward(L->in, w, w + L->in_size * L->out_size, L->out, L->batch,
					 L->in_size, L->out_size);
	FinishInference(L);
}

static void
DenseForwardRow(const NNLayer *L, const float *wt)
{
	const float *w = L->params;

	nn_dense_forward_row(L->in, w, wt, w + L->in_size * L->out_size, L->out,
						 L->in_size, L->out_size);
	FinishInference(L);
}

static const float *
DenseForwardTrain(const NNLayer *L, NNRng *rng)
{
	const NNDenseSettings *s = nn_dense(L->net, L->index);
	size_t		n_in = L->in_size;
	size_t		out = L->out_size;
	const float *w = L->params;
	float	   *z = L->out;
	NNDenseWork own = OwnWork(L);

	nn_dense_forward(L->in, w, w + n_in * out, z, L->batch, n_in, out);
	if (s->batch_norm)
		nn_bn_train(z, w + (n_in + 1) * out, w + (n_in + 2) * out,
					own.zhat, own.bn_mean, own.bn_inv_std, L->batch, out, 1);
	nn_activation_forward((NNActivation) s->act, z, L->batch, out);
	if (rng == NULL || s->dropout <= 0.0f)
		return z;
	nn_dropout_forward(s->dropout, z, own.mask, own.dropped, L->batch * out, rng);
	return own.dropped;
}

/*
 * d from dL/d(output after dropout) to dL/dz: through the dropout mask
 * (training), the activation and the batch normalization, whose
 * parameter gradients land in grads when training.
 */
static void
BackToPreactivation(const NNLayer *L, float *d, bool training, bool rng_used)
{
	const NNDenseSettings *s = nn_dense(L->net, L->index);
	size_t		out = L->out_size;
	size_t		n = L->batch * out;
	size_t		gamma = (L->in_size + 1) * out;
	NNActivation act = (NNActivation) s->act;
	NNDenseWork own = OwnWork(L);

	if (training && rng_used && s->dropout > 0.0f)
	{
		const float *mask = own.mask;

		for (size_t i = 0; i < n; i++)
			d[i] *= mask[i];
	}
	if (act == NN_ACT_SOFTMAX)
		nn_softmax_backward(L->out, d, L->batch, out);
	else
		nn_activation_backward(act, L->out, d, n);
	if (!s->batch_norm)
		return;
	if (training)
		nn_bn_backward(d, own.zhat, own.bn_inv_std,
					   L->params + gamma, L->grads + gamma,
					   L->grads + gamma + out, L->batch, out, 1);
	else
		nn_bn_inference_backward(d, L->params + gamma, L->stats + out,
								 L->batch, out, 1);
}

static void
DenseBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			  bool training, bool rng_used)
{
	size_t		n_in = L->in_size;
	size_t		out = L->out_size;

	if (from == NN_BACK_FROM_OUTPUT)
		BackToPreactivation(L, d, training, rng_used);
	nn_dense_backward(L->in, L->params, d,
					  training ? L->grads : NULL,
					  training ? L->grads + n_in * out : NULL,
					  dx, L->batch, n_in, out);
}

/* the batch statistics into the running ones (bn_dropout.c) */
static void
DenseUpdateStats(const NNLayer *L, float *stats)
{
	NNDenseWork own;

	if (!nn_dense(L->net, L->index)->batch_norm)
		return;
	own = OwnWork(L);
	nn_bn_update_stats(stats, own.bn_mean, own.bn_inv_std, L->out_size);
}

/* ------------------------------------------------------------ one row */

static size_t
DenseRowFloats(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	(void) net;
	(void) l;
	return LayerWeights(nn_shape_size(in), nn_shape_size(out));
}

/*
 * b (cols x rows) = a' (a: rows x cols), tile by tile: a plain double loop
 * writes one float per cache line of b, and a 784 x 256 layer's lines do
 * not stay in L1 between two of its columns.  This runs once per parsed
 * model in every process that scores with it (parallel workers included),
 * where it was a quarter of the parse.
 */
#define TRANSPOSE_TILE 32

static void
Transpose(const float *a, float *b, size_t rows, size_t cols)
{
	for (size_t r0 = 0; r0 < rows; r0 += TRANSPOSE_TILE)
	{
		size_t		r1 = rows - r0 < TRANSPOSE_TILE ? rows : r0 + TRANSPOSE_TILE;

		for (size_t c0 = 0; c0 < cols; c0 += TRANSPOSE_TILE)
		{
			size_t		c1 = cols - c0 < TRANSPOSE_TILE ? cols : c0 + TRANSPOSE_TILE;

			for (size_t r = r0; r < r1; r++)
				for (size_t c = c0; c < c1; c++)
					b[c * rows + r] = a[r * cols + c];
		}
	}
}

/* W transposed (in x out), for the saxpy row product of dense.h */
static void
DenseRowPrepare(const NNNet *net, uint32_t l, NNShape in, NNShape out,
				const float *params, float *wt)
{
	(void) net;
	(void) l;
	Transpose(params, wt, nn_shape_size(out), nn_shape_size(in));
}

/* ------------------------------------------------------------ settings */

/* running variances must stay positive for the square root */
static bool
DenseStatsValid(const NNNet *net, uint32_t l, NNShape out_shape,
				const float *stats)
{
	(void) net;
	(void) l;
	return nn_bn_stats_valid(stats, nn_shape_size(out_shape));
}

static int
DenseActivation(const NNNet *net, uint32_t l)
{
	return nn_dense(net, l)->act;
}

void
nn_dense_set(NNNet *net, uint32_t l, uint32_t units, uint8_t act,
			 bool batch_norm, float dropout)
{
	NNDenseSettings *s = nn_dense_mut(net, l);

	net->layers[l].kind = NN_LAYER_DENSE;
	memset(&net->layers[l].settings, 0, sizeof(net->layers[l].settings));
	s->units = units;
	s->act = act;
	s->batch_norm = batch_norm ? 1 : 0;
	s->dropout = dropout;
}

size_t
nn_net_bias_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_tensor_offset(net, layer, "b");
}

size_t
nn_net_gamma_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_tensor_offset(net, layer, "gamma");
}

size_t
nn_net_beta_offset(const NNNet *net, uint32_t layer)
{
	return nn_net_tensor_offset(net, layer, "beta");
}

const NNLayerRoutine nn_dense_layer = {
	.name = "dense",
	.check = DenseCheck,
	.out_shape = DenseOutShape,
	.n_params = DenseParams,
	.n_stats = DenseStats,
	.tensors = DenseTensors,
	.work_floats = DenseWorkFloats,
	.init = DenseInit,
	.forward = DenseForward,
	.forward_row = DenseForwardRow,
	.forward_train = DenseForwardTrain,
	.backward = DenseBackward,
	.update_stats = DenseUpdateStats,
	.stats_valid = DenseStatsValid,
	.activation = DenseActivation,
	.row_floats = DenseRowFloats,
	.row_prepare = DenseRowPrepare,
};
