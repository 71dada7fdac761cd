/*
 * conv2d_layer.c - the conv2d layer kind (layer.h): a 2-D convolution of
 * [channels, height, width] rows by filters x channels x kernel_h x
 * kernel_w weights plus one bias per filter, then an activation.  Settings
 * are NNConv2dSettings (conv2d_layer.h).
 *
 * The batch is lowered (im2col.c) a piece at a time, as many output
 * positions (of one image or several) as NN_CONV_PIECE_FLOATS holds, and
 * each piece is one product:
 *
 *     out[f, p] = sum_k W[f, k] col[k, p] + b[f]       (forward)
 *     dW += dY col^T,  db += sum_p dY,  dcol = W^T dY  (backward)
 *
 * and dcol is added back to the input gradient (col2im).  Inference needs
 * one piece of patches; a training forward pass keeps the patches of the
 * whole batch for the weight gradient (channels x kernel x positions x
 * batch floats: 29 MB for 32 channels, 3x3, 14x14 and a batch of 128),
 * which saves lowering them a second time (about a tenth of a step).
 *
 * Optional batch normalization per filter (statistics over the batch and
 * the output positions) after the bias and before the activation, and
 * optional inverted dropout after the activation, as a dense layer's
 * (bn_dropout.c).
 *
 * Parameters: W (filters x channels x kernel_h x kernel_w, row-major, as
 * ONNX's Conv and PyTorch's Conv2d store them), b (filters), and when
 * batch-normalized gamma, beta (filters each).  Statistics, when
 * batch-normalized: running mean, running variance (filters each).
 */
#include <math.h>
#include <string.h>

#include "bn_dropout.h"
#include "conv2d_layer.h"
#include "dense.h"
#include "interrupt.h"
#include "parallel.h"

/* ------------------------------------------------------------ geometry */

bool
nn_conv2d_geom(const NNNet *net, uint32_t l, NNShape in, NNConvGeom *g)
{
	const NNConv2dSettings *s = nn_conv2d(net, l);

	return in.rank == 3 &&
		nn_window_geom(&s->window, in.dims[0], in.dims[1], in.dims[2], g);
}

void
nn_conv2d_same_padding(uint32_t size, uint32_t kernel, uint32_t stride,
					   uint8_t *pad_begin, uint8_t *pad_end)
{
	uint32_t	out = (size + stride - 1) / stride;
	uint32_t	need = (out - 1) * stride + kernel;
	uint32_t	total = need > size ? need - size : 0;

	*pad_begin = (uint8_t) (total / 2);
	*pad_end = (uint8_t) (total - total / 2);
}

static size_t piece_floats = NN_CONV_PIECE_FLOATS;

void
nn_conv2d_set_piece_floats(size_t floats)
{
	piece_floats = floats > 0 && floats < NN_CONV_PIECE_FLOATS ? floats : NN_CONV_PIECE_FLOATS;
}

size_t
nn_conv2d_piece(const NNConvGeom *g, size_t batch)
{
	size_t		k = nn_conv_geom_patch(g);
	size_t		n = k <= piece_floats ? piece_floats / k : 1;
	size_t		q = batch * nn_conv_geom_positions(g);

	return n < q ? n : q;
}

/* the geometry of a layer a pass is at (checked by the layout) */
static NNConvGeom
LayerGeom(const NNLayer *L)
{
	NNConvGeom	g;

	nn_conv2d_geom(L->net, L->index, L->in_shape, &g);
	return g;
}

static NNShape
Conv2dOutShape(const NNNet *net, uint32_t l, NNShape in)
{
	NNShape		out = {0};
	NNConvGeom	g;

	if (nn_conv2d(net, l)->filters == 0 || !nn_conv2d_geom(net, l, in, &g))
		return out;
	out.rank = 3;
	out.dims[0] = nn_conv2d(net, l)->filters;
	out.dims[1] = (uint32_t) g.out_h;
	out.dims[2] = (uint32_t) g.out_w;
	return out;
}

static const char *
Conv2dCheck(const NNNet *net, uint32_t l, bool last)
{
	const NNConv2dSettings *s = nn_conv2d(net, l);
	NNConvGeom	g;

	if (s->act >= NN_ACT_COUNT || s->act == NN_ACT_SOFTMAX)
		return "conv2d activation out of range";
	if (s->batch_norm > 1)
		return "conv2d batch_norm flag must be 0 or 1";
	/* written so that a NaN rate fails too */
	if (!(s->dropout >= 0.0f && s->dropout < 1.0f))
		return "conv2d dropout rate out of range [0, 1)";
	if (last)
		return "a conv2d layer cannot be the output layer";
	if (s->filters == 0 || !nn_conv2d_geom(net, l, net->shapes[l], &g))
		return "conv2d kernel does not fit its input";
	/* a window wholly on padding would see nothing */
	if (!nn_window_padding_fits(&s->window))
		return "conv2d padding must be smaller than the kernel";
	if (nn_conv_geom_patch(&g) > NN_CONV_PIECE_FLOATS)
		return "conv2d patch (channels x kernel) too large";
	return NULL;
}

/* ------------------------------------------------------------ layout */

/* floats of W (filters x patch); dims are within NN_MAX_WIDTH, so no wrap */
static size_t
WeightFloats(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	return (size_t) out.dims[0] * in.dims[0] *
		nn_window_area(&nn_conv2d(net, l)->window);
}

/* W, b and, when batch-normalized, gamma and beta */
static size_t
Conv2dParams(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	size_t		F = out.dims[0];

	return WeightFloats(net, l, in, out) + F + (nn_conv2d(net, l)->batch_norm ? 2 * F : 0);
}

static size_t
Conv2dStats(const NNNet *net, uint32_t l, NNShape out)
{
	return nn_conv2d(net, l)->batch_norm ? 2 * (size_t) out.dims[0] : 0;
}

static uint32_t
Conv2dTensors(const NNNet *net, uint32_t l, NNShape in, NNShape out,
			  NNTensor *t)
{
	size_t		nw = WeightFloats(net, l, in, out);
	size_t		F = out.dims[0];

	t[0] = (NNTensor) {"W", 0, nw, true, F};
	t[1] = (NNTensor) {"b", nw, F, false, 0};
	if (!nn_conv2d(net, l)->batch_norm)
		return 2;
	t[2] = (NNTensor) {"gamma", nw + F, F, false, 0};
	t[3] = (NNTensor) {"beta", nw + 2 * F, F, false, 0};
	return 4;
}

/*
 * The training buffers of batch normalization and dropout, after the
 * pieces (ConvPieces) in the layer's block; each NULL when unused.
 */
typedef struct ConvExtras
{
	float	   *mask;			/* dropout scale, 0 or 1 / (1 - rate) */
	float	   *dropped;		/* acts * mask: the next layer's input */
	float	   *zhat;			/* batch-normalized pre-activation */
	float	   *bn_mean;		/* batch mean of each filter */
	float	   *bn_inv_std;		/* 1 / sqrt(batch var + eps) */
} ConvExtras;

/*
 * Carve the extras of a batch of up to max_batch rows of out floats (F
 * filters) from own, or only count them when own is NULL; returns the
 * floats they take.
 */
static size_t
CarveExtras(const NNConv2dSettings *s, size_t out, size_t F, size_t max_batch,
			float *own, ConvExtras *e)
{
	size_t		used = 0;

	memset(e, 0, sizeof(*e));
#define TAKE(field, n) \
	do { \
		if (own != NULL) \
			e->field = own + used; \
		used += (n); \
	} while (0)

	if (s->dropout > 0.0f)
	{
		TAKE(mask, max_batch * out);
		TAKE(dropped, max_batch * out);
	}
	if (s->batch_norm)
	{
		TAKE(zhat, max_batch * out);
		TAKE(bn_mean, F);
		TAKE(bn_inv_std, F);
	}
#undef TAKE
	return used;
}

/*
 * Floats of a training block's pieces: the patches of the batch, then a
 * piece of outputs and one of the patches' gradient (ConvPieces).
 */
static size_t
TrainPieceFloats(const NNConvGeom *g, size_t F, size_t max_batch)
{
	size_t		K = nn_conv_geom_patch(g);

	return max_batch * nn_conv_geom_positions(g) * K +
		nn_conv2d_piece(g, max_batch) * (F + K);
}

/*
 * Inference: a piece of patches and a piece of outputs (filters x piece).
 * Training keeps the patches of the whole batch from the forward pass for
 * the weight gradient (the backward pass need not lower them again), and
 * adds a piece of the patches' gradient (TrainPieceFloats), then the
 * extras; the output piece then holds the gathered output gradient.
 */
static size_t
Conv2dWorkFloats(const NNNet *net, uint32_t l, NNShape out, size_t max_batch,
				 bool training)
{
	NNConvGeom	g;
	ConvExtras	e;
	size_t		F = out.dims[0];

	if (!nn_conv2d_geom(net, l, net->shapes[l], &g))
		return 0;
	if (!training)
		return nn_conv2d_piece(&g, max_batch) * (nn_conv_geom_patch(&g) + F);
	return TrainPieceFloats(&g, F, max_batch) +
		CarveExtras(nn_conv2d(net, l), nn_shape_size(out), F, max_batch, NULL, &e);
}

/* ------------------------------------------------------------ init */

/*
 * Fan-in is channels x kernel_h x kernel_w, fan-out filters x kernel_h x
 * kernel_w: He, Xavier and uniform as for a dense layer of that fan.
 */
static void
Conv2dInit(const NNNet *net, uint32_t l, NNShape in, NNShape out,
		   float *w, float *stats, NNInit init, NNRng *rng)
{
	const NNConv2dSettings *s = nn_conv2d(net, l);
	size_t		area = nn_window_area(&s->window);
	size_t		fan_in = in.dims[0] * area;
	size_t		fan_out = out.dims[0] * area;
	size_t		nw = fan_in * out.dims[0];

	nn_init_weights(w, nw, fan_in, fan_out, init, s->act, rng);
	memset(w + nw, 0, out.dims[0] * sizeof(float));
	if (s->batch_norm)
		nn_bn_init(w + nw + out.dims[0], stats, out.dims[0]);
}

/* ------------------------------------------------------------ passes */

/*
 * A piece: columns q0 .. q0 + n - 1 of the batch's lowered matrix, which
 * may span several images.  Its products use a filters x n matrix (a
 * "piece" below); these move it to and from the layer's rows (batch x
 * filters x positions), each over the filters f0 .. f1 - 1, so that the
 * filters can be split over threads (parallel.h): a part writes only its
 * filters' values.
 */
typedef struct Move
{
	float	   *piece;
	const float *b;				/* scatter: the biases */
	float	   *rows;			/* the layer's rows (y or d) */
	float	   *db;				/* gather: the bias gradient, or NULL */
	size_t		F;
	size_t		P;
	size_t		q0;
	size_t		n;
} Move;

/* rows[image, f, p] = piece[f, j] + b[f] for the piece's columns */
static void
ScatterFilters(void *arg, size_t f0, size_t f1)
{
	const Move *m = arg;

	for (size_t j = 0; j < m->n;)
	{
		size_t		q = m->q0 + j;
		size_t		p = q % m->P;
		size_t		run = m->P - p < m->n - j ? m->P - p : m->n - j;
		float	   *img = m->rows + q / m->P * m->F * m->P + p;

		for (size_t f = f0; f < f1; f++)
		{
			const float *src = m->piece + f * m->n + j;
			float	   *dst = img + f * m->P;

			for (size_t i = 0; i < run; i++)
				dst[i] = src[i] + m->b[f];
		}
		j += run;
	}
}

/* piece[f, j] = rows[image, f, p]; db[f] += the piece's sum of row f */
static void
GatherFilters(void *arg, size_t f0, size_t f1)
{
	const Move *m = arg;

	for (size_t j = 0; j < m->n;)
	{
		size_t		q = m->q0 + j;
		size_t		p = q % m->P;
		size_t		run = m->P - p < m->n - j ? m->P - p : m->n - j;
		const float *img = m->rows + q / m->P * m->F * m->P + p;

		for (size_t f = f0; f < f1; f++)
			memcpy(m->piece + f * m->n + j, img + f * m->P, run * sizeof(float));
		j += run;
	}
	if (m->db != NULL)
		for (size_t f = f0; f < f1; f++)
			for (size_t j = 0; j < m->n; j++)
				m->db[f] += m->piece[f * m->n + j];
}

/* filters of at least this many values a thread (about 32K a part) */
static size_t
MinFilters(size_t n)
{
	return nn_parallel_min_part(n);
}

static void
MovePiece(NNRangeFn fn, Move *m)
{
	nn_parallel_for(m->F, MinFilters(m->n), fn, m);
}

/* the activation (not softmax: elementwise) over rows r0 .. r1 - 1 */
typedef struct Rows
{
	const NNLayer *L;
	bool		forward;		/* the activation of out, in place */
	float	   *d;				/* or its derivative into d, unless NULL */
	float	   *dx;				/* and an input gradient to zero, or NULL */
} Rows;

static void
ActivateRows(void *arg, size_t r0, size_t r1)
{
	const Rows *r = arg;
	const NNLayer *L = r->L;
	NNActivation act = (NNActivation) nn_conv2d(L->net, L->index)->act;
	size_t		at = r0 * L->out_size;

	if (r->forward)
		nn_activation_forward(act, L->out + at, r1 - r0, L->out_size);
	else if (r->d != NULL)
		nn_activation_backward(act, L->out + at, r->d + at, (r1 - r0) * L->out_size);
	if (r->dx != NULL)
		memset(r->dx + r0 * L->in_size, 0, (r1 - r0) * L->in_size * sizeof(float));
}

static void
ForRows(const NNLayer *L, Rows *r)
{
	size_t		per = L->out_size + (r->dx != NULL ? L->in_size : 0);

	nn_parallel_for(L->batch, nn_parallel_min_part(per),
					ActivateRows, r);
}

/*
 * The layer's block (Conv2dWorkFloats): patches, then an output piece,
 * then in training a piece of the patches' gradient.  keep: the training
 * layout, where the patches of every piece stay, piece q0 at q0 x K.
 */
typedef struct ConvPieces
{
	float	   *col;
	float	   *y;
	float	   *dcol;
	bool		keep;
} ConvPieces;

static ConvPieces
Pieces(const NNLayer *L, const NNConvGeom *g, size_t piece, bool keep)
{
	size_t		K = nn_conv_geom_patch(g);
	size_t		cols = keep ? L->work->max_batch * nn_conv_geom_positions(g) : piece;
	ConvPieces	c;

	c.col = L->own;
	c.y = L->own + cols * K;
	c.dcol = c.y + piece * L->out_shape.dims[0];
	c.keep = keep;
	return c;
}

/* the extras of the layer a pass is at (training blocks only) */
static ConvExtras
Extras(const NNLayer *L, const NNConvGeom *g)
{
	ConvExtras	e;
	size_t		F = L->out_shape.dims[0];

	CarveExtras(nn_conv2d(L->net, L->index), L->out_size, F, L->work->max_batch,
				L->own + TrainPieceFloats(g, F, L->work->max_batch), &e);
	return e;
}

/* where piece q0's patches are */
static inline float *
PieceCol(const ConvPieces *c, size_t q0, size_t K)
{
	return c->keep ? c->col + q0 * K : c->col;
}

/*
 * out = act(BN(W * patches + b)), piece by piece; keep (training): the
 * patches stay, and batch normalization uses the batch's statistics, kept
 * in the extras, instead of the running ones.
 */
static void
Forward(const NNLayer *L, bool keep)
{
	NNConvGeom	g = LayerGeom(L);
	size_t		F = L->out_shape.dims[0];
	size_t		K = nn_conv_geom_patch(&g);
	size_t		P = nn_conv_geom_positions(&g);
	size_t		Q = L->batch * P;
	size_t		piece = nn_conv2d_piece(&g, L->batch);
	ConvPieces	c = Pieces(L, &g, piece, keep);
	const float *w = L->params;
	const NNConv2dSettings *s = nn_conv2d(L->net, L->index);
	const float *bn = w + F * K + F;	/* gamma, beta */

	for (size_t q0 = 0; q0 < Q; q0 += piece)
	{
		size_t		n = Q - q0 < piece ? Q - q0 : piece;
		float	   *col = PieceCol(&c, q0, K);

		Move		m = {c.y, w + F * K, L->out, NULL, F, P, q0, n};

		nn_im2col(&g, L->in, q0, n, col);
		nn_sgemm_blocked(0, 0, F, n, K, 1.0f, w, K, col, n, 0.0f, c.y, n);
		MovePiece(ScatterFilters, &m);
		nn_check_interrupt();
	}
	if (s->batch_norm && keep)
	{
		ConvExtras	e = Extras(L, &g);

		nn_bn_train(L->out, bn, bn + F, e.zhat, e.bn_mean, e.bn_inv_std,
					L->batch, F, P);
	}
	else if (s->batch_norm)
		nn_bn_inference(L->out, bn, bn + F, L->stats, L->stats + F, L->batch,
						F, P);
	ForRows(L, &(Rows) {L, true, NULL, NULL});
}

static void
Conv2dForward(const NNLayer *L)
{
	Forward(L, false);
}

static void
Conv2dForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	Forward(L, false);
}

/* batch statistics and dropout masks (when rng is given) */
static const float *
Conv2dForwardTrain(const NNLayer *L, NNRng *rng)
{
	const NNConv2dSettings *s = nn_conv2d(L->net, L->index);
	NNConvGeom	g;
	ConvExtras	e;

	Forward(L, true);
	if (rng == NULL || s->dropout <= 0.0f)
		return L->out;
	g = LayerGeom(L);
	e = Extras(L, &g);
	nn_dropout_forward(s->dropout, L->out, e.mask, e.dropped,
					   L->batch * L->out_size, rng);
	return e.dropped;
}

/*
 * The dropout masks drawn (training) on d, from dL/d(output after
 * dropout) to dL/d(activation).
 */
static void
DropoutBackward(const NNLayer *L, float *d, bool training, bool rng_used)
{
	const NNConv2dSettings *s = nn_conv2d(L->net, L->index);
	size_t		n = L->batch * L->out_size;
	NNConvGeom	g;
	ConvExtras	e;

	if (!training || !rng_used || s->dropout <= 0.0f)
		return;
	g = LayerGeom(L);
	e = Extras(L, &g);
	for (size_t i = 0; i < n; i++)
		d[i] *= e.mask[i];
}

/*
 * d from dL/du to dL/dz through batch normalization (u = BN(z), z = W *
 * patches + b): the batch's statistics, with gamma and beta's gradients
 * into grads (training), or the running ones.
 */
static void
NormBackward(const NNLayer *L, float *d, bool training)
{
	size_t		F = L->out_shape.dims[0];
	size_t		gamma = WeightFloats(L->net, L->index, L->in_shape, L->out_shape) + F;
	NNConvGeom	g = LayerGeom(L);

	if (!nn_conv2d(L->net, L->index)->batch_norm)
		return;
	if (training)
	{
		ConvExtras	e = Extras(L, &g);

		nn_bn_backward(d, e.zhat, e.bn_inv_std, L->params + gamma,
					   L->grads + gamma, L->grads + gamma + F, L->batch, F,
					   L->out_size / F);
	}
	else
		nn_bn_inference_backward(d, L->params + gamma, L->stats + F, L->batch,
								 F, L->out_size / F);
}

/*
 * From d (dL/d(output), or dL/d(pre-activation) from the loss) to dW and
 * db (training) and dx (when asked), piece by piece: the output gradient
 * gathered into a piece, the weight gradient from the patches the
 * training forward pass kept.
 */
static void
Conv2dBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			   bool training, bool rng_used)
{
	NNConvGeom	g = LayerGeom(L);
	size_t		F = L->out_shape.dims[0];
	size_t		K = nn_conv_geom_patch(&g);
	size_t		P = nn_conv_geom_positions(&g);
	size_t		Q = L->batch * P;
	size_t		piece = nn_conv2d_piece(&g, L->batch);
	/* training follows a training forward pass, which kept the patches */
	ConvPieces	c = Pieces(L, &g, piece, true);
	const float *w = L->params;
	float	   *dw = training ? L->grads : NULL;
	float	   *db = training ? L->grads + F * K : NULL;

	/*
	 * Through the dropout masks, the activation's derivative (dx zeroed
	 * for col2im's sums) and batch normalization, to dL/dz.
	 */
	if (from == NN_BACK_FROM_OUTPUT)
		DropoutBackward(L, d, training, rng_used);
	ForRows(L, &(Rows) {L, false, from == NN_BACK_FROM_OUTPUT ? d : NULL, dx});
	if (from == NN_BACK_FROM_OUTPUT)
		NormBackward(L, d, training);
	if (dw != NULL)
		memset(dw, 0, (F * K + F) * sizeof(float));

	for (size_t q0 = 0; q0 < Q; q0 += piece)
	{
		size_t		n = Q - q0 < piece ? Q - q0 : piece;
		Move		m = {c.y, NULL, d, db, F, P, q0, n};

		MovePiece(GatherFilters, &m);
		if (dw != NULL)
			nn_sgemm_blocked(0, 1, F, K, n, 1.0f, c.y, n, PieceCol(&c, q0, K), n, 1.0f, dw, K);
		if (dx != NULL)
		{
			nn_sgemm_blocked(1, 0, K, n, F, 1.0f, w, K, c.y, n, 0.0f, c.dcol, n);
			nn_col2im(&g, c.dcol, q0, n, dx);
		}
		nn_check_interrupt();
	}
}

/* fold the batch statistics into the running ones (bn_dropout.c) */
static void
Conv2dUpdateStats(const NNLayer *L, float *stats)
{
	NNConvGeom	g;
	ConvExtras	e;

	if (!nn_conv2d(L->net, L->index)->batch_norm)
		return;
	g = LayerGeom(L);
	e = Extras(L, &g);
	nn_bn_update_stats(stats, e.bn_mean, e.bn_inv_std, L->out_shape.dims[0]);
}

/* ------------------------------------------------------------ the rest */

/* running variances must stay positive for the square root */
static bool
Conv2dStatsValid(const NNNet *net, uint32_t l, NNShape out, const float *stats)
{
	return !nn_conv2d(net, l)->batch_norm || nn_bn_stats_valid(stats, out.dims[0]);
}

static int
Conv2dActivation(const NNNet *net, uint32_t l)
{
	return nn_conv2d(net, l)->act;
}

void
nn_conv2d_set(NNNet *net, uint32_t l, const NNConv2dSettings *s)
{
	net->layers[l].kind = NN_LAYER_CONV2D;
	memset(&net->layers[l].settings, 0, sizeof(net->layers[l].settings));
	*nn_conv2d_mut(net, l) = *s;
}

const NNLayerRoutine nn_conv2d_layer = {
	.name = "conv2d",
	.check = Conv2dCheck,
	.out_shape = Conv2dOutShape,
	.n_params = Conv2dParams,
	.n_stats = Conv2dStats,
	.tensors = Conv2dTensors,
	.work_floats = Conv2dWorkFloats,
	.init = Conv2dInit,
	.forward = Conv2dForward,
	.forward_row = Conv2dForwardRow,
	.forward_train = Conv2dForwardTrain,
	.backward = Conv2dBackward,
	.update_stats = Conv2dUpdateStats,
	.stats_valid = Conv2dStatsValid,
	.activation = Conv2dActivation,
	.row_floats = nn_layer_no_floats,
	.row_prepare = nn_layer_no_row_prepare,
};
