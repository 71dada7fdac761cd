/*
 * depthwise_layer.c - the depthwise_conv2d and separable_conv2d layer
 * kinds (layer.h); their settings, parameters and meaning are in
 * depthwise_layer.h.
 *
 * A depthwise convolution touches kernel_h x kernel_w values per output,
 * too few for a lowered matrix product (im2col) to pay: it runs as direct
 * loops, one kernel tap at a time over a whole output plane, so that the
 * innermost loop runs along an output row and the compiler vectorizes it
 * (contiguous input at stride 1).  The same walk gives the three passes:
 *
 *     y[oy, ox] += k[i, j] x[oy sh + i - pt, ox sw + j - pl]   (forward)
 *     dk[i, j]  += sum dy[oy, ox] x[...]                        (weights)
 *     dx[...]   += k[i, j] dy[oy, ox]                           (input)
 *
 * where the tap's span of outputs is clipped to those that read inside
 * the input (nn_conv_tap_span; padding reads zeros).
 *
 * A separable layer keeps its depthwise output D (batch x channels x
 * positions) in its training buffers for the pointwise weights' gradient;
 * its pointwise step is one product per image, filters x channels times
 * channels x positions (cblas_sgemm).
 */
#include <cblas.h>
#include <string.h>

#include "dense.h"
#include "depthwise_layer.h"
#include "interrupt.h"

/* ------------------------------------------------------------ geometry */

bool
nn_depthwise_geom(const NNNet *net, uint32_t l, NNShape in, NNConvGeom *g)
{
	const NNDepthwiseSettings *s = nn_depthwise(net, l);

	return in.rank == 3 && in.dims[0] >= 1 &&
		nn_window_geom(&s->window, in.dims[0], in.dims[1], in.dims[2], g);
}

static bool
Separable(const NNNet *net, uint32_t l)
{
	return net->layers[l].kind == NN_LAYER_SEPARABLE_CONV2D;
}

/* the layer's output channels over an input of C channels */
static size_t
OutChannels(const NNNet *net, uint32_t l, size_t C)
{
	const NNDepthwiseSettings *s = nn_depthwise(net, l);

	return Separable(net, l) ? s->filters : C * s->multiplier;
}

static NNConvGeom
LayerGeom(const NNLayer *L)
{
	NNConvGeom	g;

	nn_depthwise_geom(L->net, L->index, L->in_shape, &g);
	return g;
}

static NNShape
DepthwiseOutShape(const NNNet *net, uint32_t l, NNShape in)
{
	NNShape		out = {0};
	NNConvGeom	g;
	size_t		F;

	if (!nn_depthwise_geom(net, l, in, &g))
		return out;
	F = OutChannels(net, l, g.channels);
	/* the layout bounds the output's size, but not a dims[0] that wraps */
	if (F == 0 || F > NN_MAX_WIDTH)
		return out;
	out.rank = 3;
	out.dims[0] = (uint32_t) F;
	out.dims[1] = (uint32_t) g.out_h;
	out.dims[2] = (uint32_t) g.out_w;
	return out;
}

static const char *
DepthwiseCheck(const NNNet *net, uint32_t l, bool last)
{
	const NNDepthwiseSettings *s = nn_depthwise(net, l);
	NNConvGeom	g;

	if (s->act >= NN_ACT_COUNT || s->act == NN_ACT_SOFTMAX)
		return "depthwise activation out of range";
	if (last)
		return "a depthwise or separable convolution cannot be the output layer";
	if (Separable(net, l) ? s->multiplier != 1 || s->filters == 0 :
		s->multiplier == 0 || s->filters != 0)
		return "depthwise multiplier or separable filters out of range";
	if (!nn_depthwise_geom(net, l, net->shapes[l], &g))
		return "depthwise kernel does not fit its input";
	/* a window wholly on padding would see nothing */
	if (!nn_window_padding_fits(&s->window))
		return "depthwise padding must be smaller than the kernel";
	return NULL;
}

/* ------------------------------------------------------------ layout */

static size_t
Area(const NNNet *net, uint32_t l)
{
	return nn_window_area(&nn_depthwise(net, l)->window);
}

/*
 * depthwise: W (C x M x area), b (C x M); separable: W_depthwise (C x
 * area), W_pointwise (F x C), b (F).  Dims are within NN_MAX_WIDTH and the
 * kernel below 256 x 256, so no product wraps.
 */
static uint32_t
DepthwiseTensors(const NNNet *net, uint32_t l, NNShape in, NNShape out,
				 NNTensor *t)
{
	size_t		C = in.dims[0];
	size_t		F = out.dims[0];
	size_t		nd = Separable(net, l) ? C * Area(net, l) : F * Area(net, l);

	if (!Separable(net, l))
	{
		t[0] = (NNTensor) {"W", 0, nd, true, F};
		t[1] = (NNTensor) {"b", nd, F, false, 0};
		return 2;
	}
	t[0] = (NNTensor) {"W_depthwise", 0, nd, true, C};
	t[1] = (NNTensor) {"W_pointwise", nd, F * C, true, F};
	t[2] = (NNTensor) {"b", nd + F * C, F, false, 0};
	return 3;
}

static size_t
DepthwiseParams(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	NNTensor	t[NN_LAYER_MAX_TENSORS];
	uint32_t	n = DepthwiseTensors(net, l, in, out, t);

	return t[n - 1].offset + t[n - 1].size;
}

static size_t
DepthwiseStats(const NNNet *net, uint32_t l, NNShape out)
{
	(void) net;
	(void) l;
	(void) out;
	return 0;
}

/*
 * Depthwise: none.  Separable: one image's depthwise output (inference,
 * and the gradient of D in training), then in training D of the batch.
 */
static size_t
DepthwiseWorkFloats(const NNNet *net, uint32_t l, NNShape out,
					size_t max_batch, bool training)
{
	size_t		image;

	if (!Separable(net, l))
		return 0;
	image = (size_t) net->shapes[l].dims[0] * out.dims[1] * out.dims[2];
	return image * (training ? 1 + max_batch : 1);
}

/* ------------------------------------------------------------ init */

/*
 * Fan-in is kernel_h x kernel_w for the depthwise weights (each output
 * sees one channel), fan-out multiplier x kernel_h x kernel_w; channels
 * and filters for the pointwise ones.  Biases zero.
 */
static void
DepthwiseInit(const NNNet *net, uint32_t l, NNShape in, NNShape out,
			  float *w, float *stats, NNInit init, NNRng *rng)
{
	const NNDepthwiseSettings *s = nn_depthwise(net, l);
	NNTensor	t[NN_LAYER_MAX_TENSORS];
	uint32_t	n = DepthwiseTensors(net, l, in, out, t);
	size_t		area = Area(net, l);

	(void) stats;
	nn_init_weights(w, t[0].size, area, s->multiplier * area, init, s->act, rng);
	if (Separable(net, l))
		nn_init_weights(w + t[1].offset, t[1].size, in.dims[0], out.dims[0],
						init, s->act, rng);
	memset(w + t[n - 1].offset, 0, t[n - 1].size * sizeof(float));
}

/* ------------------------------------------------------------ the walk */

/* the passes of one (input plane, kernel, output plane) triple */
typedef enum DwPass
{
	DW_FORWARD,					/* y += k * x */
	DW_WEIGHTS,					/* k += dy . x */
	DW_INPUT					/* x += k * dy */
} DwPass;

/*
 * One plane: x (height x width), k (kernel_h x kernel_w), y (out_h x
 * out_w).  Which of them is written depends on the pass; the others are
 * only read.
 */
static void
DwPlane(const NNConvGeom *g, DwPass pass, float *x, float *k, float *y)
{
	size_t		sw = g->stride_w;

	for (size_t i = 0; i < g->kernel_h; i++)
	{
		size_t		y0,
					y1;

		nn_conv_tap_span(g->out_h, g->stride_h, g->pad_top, i, g->height, &y0, &y1);
		for (size_t j = 0; j < g->kernel_w; j++)
		{
			size_t		x0,
						x1;
			float		kv = k[i * g->kernel_w + j];
			double		acc = 0.0;

			nn_conv_tap_span(g->out_w, sw, g->pad_left, j, g->width, &x0, &x1);
			for (size_t oy = y0; oy < y1; oy++)
			{
				/* the input row the tap reads; column ox sw + j - pl */
				float	   *xr = x + (oy * g->stride_h + i - g->pad_top) * g->width;
				float	   *yr = y + oy * g->out_w;
				size_t		off = j - g->pad_left;	/* wraps; sums do not */

				switch (pass)
				{
					case DW_FORWARD:
						for (size_t ox = x0; ox < x1; ox++)
							yr[ox] += kv * xr[ox * sw + off];
						break;
					case DW_WEIGHTS:
						for (size_t ox = x0; ox < x1; ox++)
							acc += (double) yr[ox] * xr[ox * sw + off];
						break;
					case DW_INPUT:
						for (size_t ox = x0; ox < x1; ox++)
							xr[ox * sw + off] += kv * yr[ox];
						break;
				}
			}
			if (pass == DW_WEIGHTS)
				k[i * g->kernel_w + j] += (float) acc;
		}
	}
}

/*
 * The depthwise step over a batch: output plane c M + m of an image from
 * its input plane c and kernel c M + m.  FORWARD adds into y (the caller
 * sets it to the biases or zero); WEIGHTS adds into k; INPUT adds into x.
 */
static void
DwBatch(const NNConvGeom *g, DwPass pass, size_t batch, size_t M,
		const float *x, const float *k, const float *y, float *out)
{
	size_t		C = g->channels;
	size_t		hw = g->height * g->width;
	size_t		P = nn_conv_geom_positions(g);
	size_t		A = g->kernel_h * g->kernel_w;

	for (size_t n = 0; n < batch; n++)
	{
		for (size_t c = 0; c < C; c++)
			for (size_t m = 0; m < M; m++)
			{
				size_t		o = c * M + m;
				size_t		xi = (n * C + c) * hw;
				size_t		yi = (n * C * M + o) * P;

				/* the one array the pass writes is out; the rest are read */
				switch (pass)
				{
					case DW_FORWARD:
						DwPlane(g, pass, (float *) x + xi, (float *) k + o * A, out + yi);
						break;
					case DW_WEIGHTS:
						DwPlane(g, pass, (float *) x + xi, out + o * A, (float *) y + yi);
						break;
					case DW_INPUT:
						DwPlane(g, pass, out + xi, (float *) k + o * A, (float *) y + yi);
						break;
				}
			}
		nn_check_interrupt();
	}
}

/* ------------------------------------------------------------ depthwise */

static void
DepthwiseForward(const NNLayer *L)
{
	const NNDepthwiseSettings *s = nn_depthwise(L->net, L->index);
	NNConvGeom	g = LayerGeom(L);
	size_t		F = L->out_shape.dims[0];
	size_t		P = nn_conv_geom_positions(&g);
	const float *b = L->params + F * g.kernel_h * g.kernel_w;

	for (size_t n = 0; n < L->batch; n++)
		for (size_t f = 0; f < F; f++)
			for (size_t p = 0; p < P; p++)
				L->out[(n * F + f) * P + p] = b[f];
	DwBatch(&g, DW_FORWARD, L->batch, s->multiplier, L->in, L->params, NULL,
			L->out);
	nn_activation_forward((NNActivation) s->act, L->out, L->batch, L->out_size);
}

static void
DepthwiseBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
				  bool training, bool rng_used)
{
	const NNDepthwiseSettings *s = nn_depthwise(L->net, L->index);
	NNConvGeom	g = LayerGeom(L);
	size_t		F = L->out_shape.dims[0];
	size_t		P = nn_conv_geom_positions(&g);
	size_t		nw = F * g.kernel_h * g.kernel_w;

	(void) rng_used;
	if (from == NN_BACK_FROM_OUTPUT)
		nn_activation_backward((NNActivation) s->act, L->out, d,
							   L->batch * L->out_size);
	if (training)
	{
		float	   *db = L->grads + nw;

		memset(L->grads, 0, (nw + F) * sizeof(float));
		for (size_t n = 0; n < L->batch; n++)
			for (size_t f = 0; f < F; f++)
			{
				double		sum = 0.0;

				for (size_t p = 0; p < P; p++)
					sum += d[(n * F + f) * P + p];
				db[f] += (float) sum;
			}
		DwBatch(&g, DW_WEIGHTS, L->batch, s->multiplier, L->in, NULL, d, L->grads);
	}
	if (dx != NULL)
	{
		memset(dx, 0, L->batch * L->in_size * sizeof(float));
		DwBatch(&g, DW_INPUT, L->batch, s->multiplier, NULL, L->params, d, dx);
	}
}

/* ------------------------------------------------------------ separable */

/*
 * out = act(W_pointwise D + b), D the depthwise output of each image: in
 * d_all (batch x C x P) when given, else a plane at a time in the block's
 * first image.
 */
static void
Separate(const NNLayer *L, float *d_all)
{
	const NNDepthwiseSettings *s = nn_depthwise(L->net, L->index);
	NNConvGeom	g = LayerGeom(L);
	size_t		C = g.channels;
	size_t		F = L->out_shape.dims[0];
	size_t		P = nn_conv_geom_positions(&g);
	const float *wd = L->params;
	const float *wp = wd + C * g.kernel_h * g.kernel_w;
	const float *b = wp + F * C;

	for (size_t n = 0; n < L->batch; n++)
	{
		float	   *D = d_all != NULL ? d_all + n * C * P : L->own;
		float	   *y = L->out + n * F * P;

		memset(D, 0, C * P * sizeof(float));
		DwBatch(&g, DW_FORWARD, 1, 1, L->in + n * L->in_size, wd, NULL, D);
		nn_sgemm_blocked(0, 0, F, P, C, 1.0f, wp, C, D, P, 0.0f, y, P);
		for (size_t f = 0; f < F; f++)
			for (size_t p = 0; p < P; p++)
				y[f * P + p] += b[f];
	}
	nn_activation_forward((NNActivation) s->act, L->out, L->batch, L->out_size);
}

/* D of the batch, after the block's one-image buffer */
static float *
SavedD(const NNLayer *L)
{
	return L->own + (size_t) L->in_shape.dims[0] * L->out_shape.dims[1] *
		L->out_shape.dims[2];
}

static void
SeparableForward(const NNLayer *L)
{
	Separate(L, NULL);
}

/*
 * Per image: dW_pointwise += dY D^T and db += sum dY (training), dD =
 * W_pointwise^T dY into the one-image buffer, then the depthwise step's
 * gradients from dD.
 */
static void
SeparableBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
				  bool training, bool rng_used)
{
	const NNDepthwiseSettings *s = nn_depthwise(L->net, L->index);
	NNConvGeom	g = LayerGeom(L);
	size_t		C = g.channels;
	size_t		F = L->out_shape.dims[0];
	size_t		P = nn_conv_geom_positions(&g);
	size_t		nd = C * g.kernel_h * g.kernel_w;
	const float *wp = L->params + nd;
	float	   *dD = L->own;

	(void) rng_used;
	if (from == NN_BACK_FROM_OUTPUT)
		nn_activation_backward((NNActivation) s->act, L->out, d,
							   L->batch * L->out_size);
	if (training)
		memset(L->grads, 0, (nd + F * C + F) * sizeof(float));
	if (dx != NULL)
		memset(dx, 0, L->batch * L->in_size * sizeof(float));
	if (!training && dx == NULL)
		return;
	for (size_t n = 0; n < L->batch; n++)
	{
		const float *dy = d + n * F * P;

		if (training)
		{
			float	   *db = L->grads + nd + F * C;

			nn_sgemm_blocked(0, 1, F, C, P, 1.0f, dy, P, SavedD(L) + n * C * P, P, 1.0f, L->grads + nd, C);
			for (size_t f = 0; f < F; f++)
			{
				double		sum = 0.0;

				for (size_t p = 0; p < P; p++)
					sum += dy[f * P + p];
				db[f] += (float) sum;
			}
		}
		nn_sgemm_blocked(1, 0, C, P, F, 1.0f, wp, C, dy, P, 0.0f, dD, P);
		if (training)
			DwBatch(&g, DW_WEIGHTS, 1, 1, L->in + n * L->in_size, NULL, dD,
					L->grads);
		if (dx != NULL)
			DwBatch(&g, DW_INPUT, 1, 1, NULL, L->params, dD, dx + n * L->in_size);
	}
}

/* ------------------------------------------------------------ the rest */

static void
DepthwiseForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	if (Separable(L->net, L->index))
		Separate(L, NULL);
	else
		DepthwiseForward(L);
}

static const float *
DepthwiseForwardTrain(const NNLayer *L, NNRng *rng)
{
	(void) rng;
	if (Separable(L->net, L->index))
		Separate(L, SavedD(L));
	else
		DepthwiseForward(L);
	return L->out;
}

static int
DepthwiseActivation(const NNNet *net, uint32_t l)
{
	return nn_depthwise(net, l)->act;
}

void
nn_depthwise_set(NNNet *net, uint32_t l, NNLayerKind kind,
				 const NNDepthwiseSettings *s)
{
	net->layers[l].kind = (uint8_t) kind;
	memset(&net->layers[l].settings, 0, sizeof(net->layers[l].settings));
	*nn_depthwise_mut(net, l) = *s;
}

const NNLayerRoutine nn_depthwise_conv2d_layer = {
	.name = "depthwise_conv2d",
	.check = DepthwiseCheck,
	.out_shape = DepthwiseOutShape,
	.n_params = DepthwiseParams,
	.n_stats = DepthwiseStats,
	.tensors = DepthwiseTensors,
	.work_floats = DepthwiseWorkFloats,
	.init = DepthwiseInit,
	.forward = DepthwiseForward,
	.forward_row = DepthwiseForwardRow,
	.forward_train = DepthwiseForwardTrain,
	.backward = DepthwiseBackward,
	.update_stats = nn_layer_no_stats_update,
	.stats_valid = nn_layer_no_stats_valid,
	.activation = DepthwiseActivation,
	.row_floats = nn_layer_no_floats,
	.row_prepare = nn_layer_no_row_prepare,
};

const NNLayerRoutine nn_separable_conv2d_layer = {
	.name = "separable_conv2d",
	.check = DepthwiseCheck,
	.out_shape = DepthwiseOutShape,
	.n_params = DepthwiseParams,
	.n_stats = DepthwiseStats,
	.tensors = DepthwiseTensors,
	.work_floats = DepthwiseWorkFloats,
	.init = DepthwiseInit,
	.forward = SeparableForward,
	.forward_row = DepthwiseForwardRow,
	.forward_train = DepthwiseForwardTrain,
	.backward = SeparableBackward,
	.update_stats = nn_layer_no_stats_update,
	.stats_valid = nn_layer_no_stats_valid,
	.activation = DepthwiseActivation,
	.row_floats = nn_layer_no_floats,
	.row_prepare = nn_layer_no_row_prepare,
};
