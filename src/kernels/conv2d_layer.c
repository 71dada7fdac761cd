/*
 * conv2d_layer.c - the conv2d layer kind (layer.h): a 2-D convolution of
 * [channels, height, width] rows by filters x channels x kernel_h x
 * kernel_w weights plus one bias per filter, then an activation.  Settings
 * are NNConv2dSettings (conv2d_layer.h).
 *
 * The images are lowered (im2col.c) to patches, K = channels x kernel
 * rows by P output positions, and each convolution is a product:
 *
 *     out[f, p] = sum_k W[f, k] col[k, p] + b[f]       (forward)
 *     dW += dY col^T,  db += sum_p dY,  dcol = W^T dY  (backward)
 *
 * and dcol is added back to the input gradient (col2im).
 *
 * Every pass runs a batch in NN_CONV_GROUPS fixed groups of consecutive
 * images, one task a group (parallel.h), each task on one thread: per
 * image, a piece of patches at a time (as many output positions of the
 * image as NN_CONV_PIECE_FLOATS holds: all 196 of a 14 x 14 image of 32
 * channels and a 3 x 3 kernel, 225 KB) is lowered into the group's room,
 * where it stays in the core's cache for the products that read it, and
 * the forward product writes the piece's outputs where the next layer
 * reads them.  The backward pass lowers each piece again for the weight
 * gradient (cheaper than keeping a batch's patches, 29 MB for the example
 * and a batch of 128, which made the lowering wait on memory), sums dW and
 * db in the group's own sums and then adds the groups in order: the bytes
 * depend on the batch, never on the thread count, and a pass's memory is
 * bounded by the groups' rooms whatever the batch.  A large batch runs in
 * rounds of a few images a group (RunRounds), with a check for interrupts
 * between them.
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

/*
 * The work of a round (RunRounds), in multiply-adds of one pass's
 * products over all groups, each lowered value counted as ROUND_COPY_COST
 * of them: a round is then a few milliseconds of the machine, so that a
 * cancel is seen that soon whatever the batch (an image that needs more
 * is a round of its own).  Measured: the CNN at batch 4096 stops
 * 30-42 ms after a statement_timeout (0.4 s in one round); at batch 128
 * the rounds cost no measurable time.
 */
#define ROUND_WORK ((size_t) 1 << 28)
#define ROUND_COPY_COST 16

static size_t round_work = ROUND_WORK;

void
nn_conv2d_set_round_work(size_t work)
{
	round_work = work > 0 && work < ROUND_WORK ? work : ROUND_WORK;
}

size_t
nn_conv2d_piece(const NNConvGeom *g)
{
	size_t		k = nn_conv_geom_patch(g);
	size_t		n = k <= piece_floats ? piece_floats / k : 1;
	size_t		p = nn_conv_geom_positions(g);

	return n < p ? n : p;
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
 * groups' rooms and sums (PassFloats) in the layer's block; each NULL
 * when unused.
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

/* the groups of images a pass runs in (at most the batch) */
static size_t
Groups(size_t batch)
{
	return batch < NN_CONV_GROUPS ? batch : NN_CONV_GROUPS;
}

/* floats of a group's room for one piece of patches (K x piece) */
static size_t
PieceFloats(const NNConvGeom *g)
{
	return nn_conv_geom_patch(g) * nn_conv2d_piece(g);
}

/*
 * Floats of a block before its extras: each group's room for a piece of
 * patches (the backward pass lowers each piece again, and overwrites the
 * patches with their gradient once the weight gradient has used them),
 * then in training each group's sums of the weight and bias gradients
 * (F x K + F).
 */
static size_t
PassFloats(const NNConvGeom *g, size_t F, size_t max_batch, bool training)
{
	size_t		sums = training ? F * nn_conv_geom_patch(g) + F : 0;

	return Groups(max_batch) * (PieceFloats(g) + sums);
}

/* the pieces and sums (PassFloats), then in training the extras */
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
		return PassFloats(&g, F, max_batch, false);
	return PassFloats(&g, F, max_batch, true) +
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

/* filters whose bias-gradient sums run side by side (BackwardGroup) */
#define SUM_LANES 8

/*
 * db[f] += the sum of row f of the piece, for filters f0 .. f1 - 1, each
 * added in column order as a plain loop would.  A sum is a chain of
 * dependent additions (a few cycles each), and with PostgreSQL's
 * -fno-strict-aliasing the compiler also stores db[f] after every one:
 * so the sums run in registers, SUM_LANES filters at a time, whose chains
 * overlap.  Same order per filter, so the same bytes.
 */
static void
SumFilterRows(const float *piece, size_t n, size_t f0, size_t f1, float *db)
{
	size_t		f = f0;

	for (; f + SUM_LANES <= f1; f += SUM_LANES)
	{
		float		acc[SUM_LANES];

		for (int k = 0; k < SUM_LANES; k++)
			acc[k] = db[f + k];
		for (size_t j = 0; j < n; j++)
			for (int k = 0; k < SUM_LANES; k++)
				acc[k] += piece[(f + k) * n + j];
		for (int k = 0; k < SUM_LANES; k++)
			db[f + k] = acc[k];
	}
	for (; f < f1; f++)
	{
		float		acc = db[f];

		for (size_t j = 0; j < n; j++)
			acc += piece[f * n + j];
		db[f] = acc;
	}
}

/* the activation (not softmax: elementwise) over rows r0 .. r1 - 1 */
typedef struct Rows
{
	const NNLayer *L;
	bool		forward;		/* the activation of out, in place */
	float	   *d;				/* or its derivative into d */
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
	else
		nn_activation_backward(act, L->out + at, r->d + at, (r1 - r0) * L->out_size);
}

static void
ForRows(const NNLayer *L, Rows *r)
{
	nn_parallel_for(L->batch, nn_parallel_min_part(L->out_size),
					ActivateRows, r);
}

/* the extras of the layer a pass is at (training blocks only) */
static ConvExtras
Extras(const NNLayer *L, const NNConvGeom *g)
{
	ConvExtras	e;
	size_t		F = L->out_shape.dims[0];

	CarveExtras(nn_conv2d(L->net, L->index), L->out_size, F, L->work->max_batch,
				L->own + PassFloats(g, F, L->work->max_batch, true), &e);
	return e;
}

/*
 * A pass over the images of a batch, one group of images a task (Groups),
 * each on the calling thread alone (nn_sgemm_serial, nn_im2col_image):
 * the tasks write disjoint outputs, computed the same way whichever
 * thread runs them.  A group lowers one piece of an image at a time into
 * its own room, where it stays in the core's cache for the products that
 * read it, and the forward product writes the piece's outputs where the
 * next layer reads them (filters x positions, the piece's columns).
 */
typedef struct ImagePass
{
	const NNLayer *L;
	NNConvGeom	g;
	size_t		groups;
	size_t		piece;			/* positions a piece (nn_conv2d_piece) */
	size_t		round_images;	/* images of a group a round (RunRounds) */
	size_t		round;			/* the round the tasks run */
	/*
	 * Forward: the activation runs in the task (no batch normalization
	 * between).  Backward: so do the dropout masks and the activation's
	 * derivative, into d.
	 */
	bool		fused;
	const float *mask;			/* backward, fused: dropout's, or NULL */
	float	   *d;				/* backward: dL/d(output), batch x out_size */
	float	   *dx;				/* backward: the input gradient, or NULL */
	float	   *sums;			/* backward: each group's dW and db, or NULL */
} ImagePass;

static ImagePass
StartPass(const NNLayer *L)
{
	ImagePass	t = {.L = L, .g = LayerGeom(L), .groups = Groups(L->batch)};
	size_t		F = L->out_shape.dims[0];
	size_t		lowered = nn_conv_geom_patch(&t.g) * nn_conv_geom_positions(&t.g);
	size_t		per_round = round_work / (t.groups > 0 ? t.groups : 1);
	size_t		per_image = lowered * (F + ROUND_COPY_COST);

	t.piece = nn_conv2d_piece(&t.g);
	t.round_images = per_image < per_round ? per_round / per_image : 1;
	return t;
}

/* where group k's images start (group k + 1's: where they end) */
static inline size_t
GroupStart(const ImagePass *t, size_t k)
{
	return t->L->batch * k / t->groups;
}

/* group k's images in the round the tasks run: [*i0, *i1) */
static void
RoundImages(const ImagePass *t, size_t k, size_t *i0, size_t *i1)
{
	size_t		end = GroupStart(t, k + 1);
	size_t		skip = t->round * t->round_images;

	*i0 = GroupStart(t, k) + skip < end ? GroupStart(t, k) + skip : end;
	*i1 = end - *i0 < t->round_images ? end : *i0 + t->round_images;
}

/*
 * Run fn over the groups in rounds of round_images images each, checking
 * for interrupts between rounds on this thread (the only one that may):
 * each group still takes its images in order, so the rounds change no
 * byte.  The benchmark's network at batch 128 takes one round in its
 * first convolution and three in its second.
 */
static void
RunRounds(ImagePass *t, NNRangeFn fn)
{
	size_t		most;

	if (t->groups == 0)
		return;
	most = (t->L->batch + t->groups - 1) / t->groups;

	for (t->round = 0; t->round * t->round_images < most; t->round++)
	{
		nn_parallel_tasks(t->groups, fn, t);
		nn_check_interrupt();
	}
}

/* group k's room for a piece of patches */
static inline float *
GroupCol(const ImagePass *t, size_t k)
{
	return t->L->own + k * PieceFloats(&t->g);
}

/* image i's out = W * patches + b, and the activation when fused */
static void
ForwardImage(const ImagePass *t, size_t i, float *col)
{
	const NNLayer *L = t->L;
	size_t		F = L->out_shape.dims[0];
	size_t		K = nn_conv_geom_patch(&t->g);
	size_t		P = nn_conv_geom_positions(&t->g);
	const float *w = L->params;
	const float *b = w + F * K;
	float	   *y = L->out + i * L->out_size;

	for (size_t q0 = 0; q0 < P; q0 += t->piece)
	{
		size_t		n = P - q0 < t->piece ? P - q0 : t->piece;

		nn_im2col_image(&t->g, L->in + i * L->in_size, q0, n, col);
		nn_sgemm_serial(0, 0, F, n, K, 1.0f, w, K, col, n, 0.0f, y + q0, P);
	}
	for (size_t f = 0; f < F; f++)
	{
		float		bias = b[f];

		for (size_t p = 0; p < P; p++)
			y[f * P + p] += bias;
	}
	if (t->fused)
		nn_activation_forward((NNActivation) nn_conv2d(L->net, L->index)->act,
							  y, 1, L->out_size);
}

/* groups k .. end - 1, their images of this round */
static void
ForwardGroup(void *arg, size_t k, size_t end)
{
	const ImagePass *t = arg;
	size_t		i0,
				i1;

	for (; k < end; k++)
	{
		RoundImages(t, k, &i0, &i1);
		for (size_t i = i0; i < i1; i++)
			ForwardImage(t, i, GroupCol(t, k));
	}
}

/*
 * out = act(BN(W * patches + b)).  training: batch normalization uses the
 * batch's statistics, kept in the extras, instead of the running ones.
 */
static void
Forward(const NNLayer *L, bool training)
{
	const NNConv2dSettings *s = nn_conv2d(L->net, L->index);
	ImagePass	t = StartPass(L);
	size_t		F = L->out_shape.dims[0];
	size_t		P = nn_conv_geom_positions(&t.g);
	const float *bn = L->params + F * nn_conv_geom_patch(&t.g) + F;

	t.fused = !s->batch_norm;
	RunRounds(&t, ForwardGroup);
	if (!s->batch_norm)
		return;
	if (training)
	{
		ConvExtras	e = Extras(L, &t.g);

		nn_bn_train(L->out, bn, bn + F, e.zhat, e.bn_mean, e.bn_inv_std,
					L->batch, F, P);
	}
	else
		nn_bn_inference(L->out, bn, bn + F, L->stats, L->stats + F, L->batch,
						F, P);
	ForRows(L, &(Rows) {L, true, NULL});
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

/* the dropout masks drawn in training, or NULL when none were */
static const float *
DropoutMask(const NNLayer *L, bool training, bool rng_used)
{
	NNConvGeom	g;

	if (!training || !rng_used || nn_conv2d(L->net, L->index)->dropout <= 0.0f)
		return NULL;
	g = LayerGeom(L);
	return Extras(L, &g).mask;
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
 * Image i's gradients, piece by piece: (training) the group's sums dw of
 * dW += dY patches^T; (dx) the patches' gradient W^T dY, written over the
 * piece's patches once the weight gradient has read them, and added back
 * into the image's input gradient.  first: the group's first image.
 */
static void
BackwardImage(const ImagePass *t, size_t i, float *col, float *dw, bool first)
{
	const NNLayer *L = t->L;
	size_t		F = L->out_shape.dims[0];
	size_t		K = nn_conv_geom_patch(&t->g);
	size_t		P = nn_conv_geom_positions(&t->g);
	const float *d = t->d + i * L->out_size;
	float	   *dx = t->dx != NULL ? t->dx + i * L->in_size : NULL;

	if (dx != NULL)
		memset(dx, 0, L->in_size * sizeof(float));
	for (size_t q0 = 0; q0 < P; q0 += t->piece)
	{
		size_t		n = P - q0 < t->piece ? P - q0 : t->piece;

		if (dw != NULL)
		{
			nn_im2col_image(&t->g, L->in + i * L->in_size, q0, n, col);
			nn_sgemm_serial(0, 1, F, K, n, 1.0f, d + q0, P, col, n,
							first && q0 == 0 ? 0.0f : 1.0f, dw, K);
		}
		if (dx != NULL)
		{
			nn_sgemm_serial(1, 0, K, n, F, 1.0f, L->params, K, d + q0, P, 0.0f, col, n);
			nn_col2im_image(&t->g, col, q0, n, dx);
		}
	}
	if (dw != NULL)
		SumFilterRows(d, P, 0, F, dw + F * K);
}

/*
 * Group k's images in order, (when fused) d through the dropout masks and
 * the activation's derivative first.
 */
static void
BackwardGroup(void *arg, size_t k, size_t end)
{
	const ImagePass *t = arg;
	const NNLayer *L = t->L;
	size_t		F = L->out_shape.dims[0];
	size_t		sums = F * nn_conv_geom_patch(&t->g) + F;
	NNActivation act = (NNActivation) nn_conv2d(L->net, L->index)->act;

	for (; k < end; k++)
	{
		float	   *dw = t->sums != NULL ? t->sums + k * sums : NULL;
		size_t		i0,
					i1;

		RoundImages(t, k, &i0, &i1);
		/* the group's bias-gradient sums start at its first image */
		if (dw != NULL && i0 == GroupStart(t, k) && i0 < i1)
			memset(dw + sums - F, 0, F * sizeof(float));
		for (size_t i = i0; i < i1; i++)
		{
			float	   *d = t->d + i * L->out_size;

			if (t->mask != NULL)
				for (size_t j = 0; j < L->out_size; j++)
					d[j] *= t->mask[i * L->out_size + j];
			if (t->fused)
				nn_activation_backward(act, L->out + i * L->out_size, d, L->out_size);
			BackwardImage(t, i, GroupCol(t, k), dw, i == GroupStart(t, k));
		}
	}
}

/* dW and db: the groups' sums added in group order */
static void
AddGroups(const NNLayer *L, const float *sums, size_t groups, size_t n)
{
	memcpy(L->grads, sums, n * sizeof(float));
	for (size_t k = 1; k < groups; k++)
		for (size_t j = 0; j < n; j++)
			L->grads[j] += sums[k * n + j];
}

/*
 * From d (dL/d(output), or dL/d(pre-activation) from the loss) to dW and
 * db (training) and dx (when asked).  The weight gradient lowers the
 * patches again, in the group's room.  Without batch normalization the
 * dropout masks and the activation's derivative run in the group tasks;
 * with it, over the batch first, as its gradient needs the whole batch.
 */
static void
Conv2dBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			   bool training, bool rng_used)
{
	const NNConv2dSettings *s = nn_conv2d(L->net, L->index);
	bool		through_act = from == NN_BACK_FROM_OUTPUT;
	const float *mask = through_act ? DropoutMask(L, training, rng_used) : NULL;
	ImagePass	t = StartPass(L);
	size_t		F = L->out_shape.dims[0];
	size_t		sums = F * nn_conv_geom_patch(&t.g) + F;

	t.fused = through_act && !s->batch_norm;
	t.d = d;
	t.dx = dx;
	if (training)
		t.sums = L->own + Groups(L->work->max_batch) * PieceFloats(&t.g);
	if (through_act && s->batch_norm)
	{
		if (mask != NULL)
			for (size_t j = 0; j < L->batch * L->out_size; j++)
				d[j] *= mask[j];
		ForRows(L, &(Rows) {L, false, d});
		NormBackward(L, d, training);
	}
	else
		t.mask = mask;
	RunRounds(&t, BackwardGroup);
	if (training)
		AddGroups(L, t.sums, t.groups, sums);
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
