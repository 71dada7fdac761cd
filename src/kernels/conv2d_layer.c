/*
 * conv2d_layer.c - the conv2d layer kind (layer.h): a 2-D convolution of
 * [channels, height, width] rows by filters x channels x kernel_h x
 * kernel_w weights plus one bias per filter, then an activation.  Settings
 * are NNConv2dSettings (conv2d_layer.h).
 *
 * Each image is lowered (im2col.c) a piece at a time, as many output
 * positions as NN_CONV_CHUNK_FLOATS holds, and each piece is one product:
 *
 *     out[f, p] = sum_k W[f, k] col[k, p] + b[f]       (forward)
 *     dW += dY col^T,  db += sum_p dY,  dcol = W^T dY  (backward)
 *
 * and dcol is added back to the input gradient (col2im).  The backward
 * pass lowers the input again rather than keeping the forward's patches:
 * the layer's training buffers are then two pieces (patches and their
 * gradient), whatever the batch.
 *
 * Parameters: W (filters x channels x kernel_h x kernel_w, row-major, as
 * ONNX's Conv and PyTorch's Conv2d store them), b (filters).  No
 * statistics.  No batch normalization or dropout yet.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "conv2d_layer.h"
#include "interrupt.h"

/* ------------------------------------------------------------ geometry */

bool
nn_conv2d_geom(const NNNet *net, uint32_t l, NNShape in, NNConvGeom *g)
{
	const NNConv2dSettings *s = nn_conv2d(net, l);

	if (in.rank != 3)
		return false;
	*g = (NNConvGeom) {
		.channels = in.dims[0],
		.height = in.dims[1],
		.width = in.dims[2],
		.kernel_h = s->kernel_h,
		.kernel_w = s->kernel_w,
		.stride_h = s->stride_h,
		.stride_w = s->stride_w,
		.pad_top = s->pad_top,
		.pad_left = s->pad_left,
		.pad_bottom = s->pad_bottom,
		.pad_right = s->pad_right,
	};
	return nn_conv_geom_finish(g);
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

size_t
nn_conv2d_chunk(const NNConvGeom *g)
{
	size_t		k = nn_conv_geom_patch(g);
	size_t		n = k <= NN_CONV_CHUNK_FLOATS ? NN_CONV_CHUNK_FLOATS / k : 1;
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
	if (s->batch_norm != 0)
		return "batch normalization on a conv2d layer is not supported";
	if (last)
		return "a conv2d layer cannot be the output layer";
	if (s->filters == 0 || !nn_conv2d_geom(net, l, net->shapes[l], &g))
		return "conv2d kernel does not fit its input";
	/* a window wholly on padding would see nothing */
	if (s->pad_top >= s->kernel_h || s->pad_bottom >= s->kernel_h ||
		s->pad_left >= s->kernel_w || s->pad_right >= s->kernel_w)
		return "conv2d padding must be smaller than the kernel";
	if (nn_conv_geom_patch(&g) > NN_CONV_CHUNK_FLOATS)
		return "conv2d patch (channels x kernel) too large";
	return NULL;
}

/* ------------------------------------------------------------ layout */

/* W (filters x patch) and b; dims are within NN_MAX_WIDTH, so no wrap */
static size_t
Conv2dParams(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	size_t		k = (size_t) in.dims[0] * nn_conv2d(net, l)->kernel_h *
		nn_conv2d(net, l)->kernel_w;

	return (size_t) out.dims[0] * (k + 1);
}

static size_t
Conv2dStats(const NNNet *net, uint32_t l, NNShape out)
{
	(void) net;
	(void) l;
	(void) out;
	return 0;
}

static uint32_t
Conv2dTensors(const NNNet *net, uint32_t l, NNShape in, NNShape out,
			  NNTensor *t)
{
	size_t		nw = Conv2dParams(net, l, in, out) - out.dims[0];

	t[0] = (NNTensor) {"W", 0, nw, true};
	t[1] = (NNTensor) {"b", nw, out.dims[0], false};
	return 2;
}

/* a piece of patches and a piece of their gradient, whatever the batch */
static size_t
Conv2dWorkFloats(const NNNet *net, uint32_t l, NNShape out, size_t max_batch)
{
	NNConvGeom	g;

	(void) out;
	(void) max_batch;
	if (!nn_conv2d_geom(net, l, net->shapes[l], &g))
		return 0;
	return 2 * nn_conv2d_chunk(&g) * nn_conv_geom_patch(&g);
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
	size_t		area = (size_t) s->kernel_h * s->kernel_w;
	size_t		fan_in = in.dims[0] * area;
	size_t		fan_out = out.dims[0] * area;
	size_t		nw = fan_in * out.dims[0];
	bool		rectifier = s->act == NN_ACT_RELU || s->act == NN_ACT_LEAKY_RELU;
	NNInit		kind = init != NN_INIT_AUTO ? init :
		(rectifier ? NN_INIT_HE : NN_INIT_XAVIER);

	(void) stats;
	if (kind == NN_INIT_UNIFORM)
	{
		double		limit = sqrt(1.0 / fan_in);

		for (size_t i = 0; i < nw; i++)
			w[i] = (float) (limit * (2.0 * nn_rng_uniform(rng) - 1.0));
	}
	else
	{
		double		sd = kind == NN_INIT_HE ? sqrt(2.0 / fan_in) :
			sqrt(2.0 / (fan_in + fan_out));

		for (size_t i = 0; i < nw; i++)
			w[i] = (float) (sd * nn_rng_normal(rng));
	}
	memset(w + nw, 0, out.dims[0] * sizeof(float));
}

/* ------------------------------------------------------------ passes */

/* out = act(W * patches + b), a piece of an image at a time through col */
static void
Forward(const NNLayer *L, float *col)
{
	NNConvGeom	g = LayerGeom(L);
	size_t		F = L->out_shape.dims[0];
	size_t		K = nn_conv_geom_patch(&g);
	size_t		P = nn_conv_geom_positions(&g);
	size_t		chunk = nn_conv2d_chunk(&g);
	const float *w = L->params;
	const float *b = w + F * K;

	for (size_t n = 0; n < L->batch; n++)
	{
		float	   *y = L->out + n * F * P;

		for (size_t p0 = 0; p0 < P; p0 += chunk)
		{
			size_t		np = P - p0 < chunk ? P - p0 : chunk;

			nn_im2col(&g, L->in, n * P + p0, np, col);
			cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
						(int) F, (int) np, (int) K, 1.0f, w, (int) K,
						col, (int) np, 0.0f, y + p0, (int) P);
		}
		for (size_t f = 0; f < F; f++)
			for (size_t p = 0; p < P; p++)
				y[f * P + p] += b[f];
		nn_check_interrupt();
	}
	nn_activation_forward((NNActivation) nn_conv2d(L->net, L->index)->act,
						  L->out, L->batch, L->out_size);
}

static void
Conv2dForward(const NNLayer *L)
{
	float		col[NN_CONV_CHUNK_FLOATS];

	Forward(L, col);
}

static void
Conv2dForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	Conv2dForward(L);
}

static const float *
Conv2dForwardTrain(const NNLayer *L, NNRng *rng)
{
	(void) rng;
	Forward(L, L->own);
	return L->out;
}

/*
 * From d (dL/d(output), or dL/d(pre-activation) from the loss) to dW and
 * db (training) and dx (when asked).  The patches are lowered again only
 * when the weight gradient needs them.
 */
static void
Conv2dBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			   bool training, bool rng_used)
{
	NNConvGeom	g = LayerGeom(L);
	size_t		F = L->out_shape.dims[0];
	size_t		K = nn_conv_geom_patch(&g);
	size_t		P = nn_conv_geom_positions(&g);
	size_t		chunk = nn_conv2d_chunk(&g);
	const float *w = L->params;
	float	   *dw = training ? L->grads : NULL;
	float	   *db = training ? L->grads + F * K : NULL;
	float		stack[NN_CONV_CHUNK_FLOATS];
	float	   *col = L->own;
	float	   *dcol = L->own != NULL ? L->own + chunk * K : stack;

	(void) rng_used;
	if (from == NN_BACK_FROM_OUTPUT)
		nn_activation_backward((NNActivation) nn_conv2d(L->net, L->index)->act,
							   L->out, d, L->batch * L->out_size);
	if (dw != NULL)
	{
		memset(dw, 0, (F * K + F) * sizeof(float));
		if (col == NULL)
			col = stack;		/* not reached: training has its buffers */
	}
	if (dx != NULL)
		memset(dx, 0, L->batch * L->in_size * sizeof(float));

	for (size_t n = 0; n < L->batch; n++)
	{
		const float *dy = d + n * F * P;

		for (size_t p0 = 0; p0 < P; p0 += chunk)
		{
			size_t		np = P - p0 < chunk ? P - p0 : chunk;

			if (dw != NULL)
			{
				nn_im2col(&g, L->in, n * P + p0, np, col);
				cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
							(int) F, (int) K, (int) np, 1.0f, dy + p0, (int) P,
							col, (int) np, 1.0f, dw, (int) K);
			}
			if (dx != NULL)
			{
				cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
							(int) K, (int) np, (int) F, 1.0f, w, (int) K,
							dy + p0, (int) P, 0.0f, dcol, (int) np);
				nn_col2im(&g, dcol, n * P + p0, np, dx);
			}
		}
		if (db != NULL)
			for (size_t f = 0; f < F; f++)
				for (size_t p = 0; p < P; p++)
					db[f] += dy[f * P + p];
		nn_check_interrupt();
	}
}

/* ------------------------------------------------------------ the rest */

static int
Conv2dActivation(const NNNet *net, uint32_t l)
{
	return nn_conv2d(net, l)->act;
}

/* one row runs the batch path: no one-row data */
static size_t
Conv2dRowFloats(const NNNet *net, uint32_t l, NNShape in, NNShape out)
{
	(void) net;
	(void) l;
	(void) in;
	(void) out;
	return 0;
}

static void
Conv2dRowPrepare(const NNNet *net, uint32_t l, NNShape in, NNShape out,
				 const float *params, float *dst)
{
	(void) net;
	(void) l;
	(void) in;
	(void) out;
	(void) params;
	(void) dst;
}

void
nn_conv2d_set(NNNet *net, uint32_t l, const NNConv2dSettings *s)
{
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
	.update_stats = nn_layer_no_stats_update,
	.stats_valid = nn_layer_no_stats_valid,
	.activation = Conv2dActivation,
	.row_floats = Conv2dRowFloats,
	.row_prepare = Conv2dRowPrepare,
};
