/*
 * pool_layer.c - the max_pool2d, avg_pool2d and global_avg_pool2d layer
 * kinds (layer.h): a window slid over each channel of [channels, height,
 * width] rows, giving its largest value or its mean (pool_layer.h: the
 * tie rule and how padding counts), or each channel's mean over the whole
 * plane.  No parameters or statistics.  A training forward pass of max
 * pooling keeps each window's winner for the backward pass; the input
 * gradient of a model in inference mode finds it again from the layer's
 * input, by the same rule.
 */
#include <string.h>

#include "interrupt.h"
#include "parallel.h"
#include "pool_layer.h"

bool
nn_pool_geom(const NNNet *net, uint32_t l, NNShape in, NNConvGeom *g)
{
	const NNPoolSettings *s = nn_pool(net, l);

	/* one channel at a time: the channels ride along as images */
	return in.rank == 3 && in.dims[0] >= 1 &&
		nn_window_geom(&s->window, 1, in.dims[1], in.dims[2], g);
}

static NNConvGeom
LayerGeom(const NNLayer *L)
{
	NNConvGeom	g;

	nn_pool_geom(L->net, L->index, L->in_shape, &g);
	return g;
}

static NNShape
PoolOutShape(const NNNet *net, uint32_t l, NNShape in)
{
	NNShape		out = {0};
	NNConvGeom	g;

	if (!nn_pool_geom(net, l, in, &g))
		return out;
	out.rank = 3;
	out.dims[0] = in.dims[0];
	out.dims[1] = (uint32_t) g.out_h;
	out.dims[2] = (uint32_t) g.out_w;
	return out;
}

static const char *
PoolCheck(const NNNet *net, uint32_t l, bool last)
{
	const NNPoolSettings *s = nn_pool(net, l);
	NNConvGeom	g;

	if (last)
		return "a pooling layer cannot be the output layer";
	if (!nn_pool_geom(net, l, net->shapes[l], &g))
		return "pooling window does not fit its input";
	if (!nn_window_padding_fits(&s->window))
		return "pooling padding must be smaller than the window";
	return NULL;
}

/* ------------------------------------------------------------ windows */

/* the rows (or columns) of the window at output index o that are inside */
static inline void
WindowSpan(size_t o, size_t stride, size_t pad, size_t size, size_t limit,
		   size_t *lo, size_t *hi)
{
	size_t		start = o * stride;	/* in padded coordinates */
	size_t		end = start + size;

	*lo = start > pad ? start - pad : 0;
	*hi = end - pad < limit ? end - pad : limit;
}

/*
 * The offset in the plane of the window's first maximum in row-major
 * order; the check keeps each window non-empty.
 */
static inline size_t
ArgMax(const NNConvGeom *g, const float *plane, size_t oy, size_t ox)
{
	size_t		y0,
				y1,
				x0,
				x1;
	size_t		best;

	WindowSpan(oy, g->stride_h, g->pad_top, g->kernel_h, g->height, &y0, &y1);
	WindowSpan(ox, g->stride_w, g->pad_left, g->kernel_w, g->width, &x0, &x1);
	best = y0 * g->width + x0;
	for (size_t y = y0; y < y1; y++)
		for (size_t x = x0; x < x1; x++)
			if (plane[y * g->width + x] > plane[best])
				best = y * g->width + x;
	return best;
}

/* the inside span of the window and how many values it holds */
static inline size_t
WindowCount(const NNConvGeom *g, size_t oy, size_t ox, size_t *y0, size_t *y1,
			size_t *x0, size_t *x1)
{
	WindowSpan(oy, g->stride_h, g->pad_top, g->kernel_h, g->height, y0, y1);
	WindowSpan(ox, g->stride_w, g->pad_left, g->kernel_w, g->width, x0, x1);
	return (*y1 - *y0) * (*x1 - *x0);
}

/* ------------------------------------------------------------ passes */

/* a pass over the planes (image, channel) of the batch, split over threads */
typedef struct Planes
{
	const NNLayer *L;
	bool		max;
	const float *d;				/* backward: the output gradient, else NULL */
	float	   *dx;				/* backward: the input gradient, else NULL */
	float	   *idx;			/* max forward in training: the winners */
} Planes;

/* planes of at least this many values a thread (about 32K values a part) */
static size_t
MinPlanes(const NNLayer *L)
{
	size_t		hw = L->in_shape.dims[1] * L->in_shape.dims[2];

	return nn_parallel_min_part(hw);
}

static void
ForPlanes(const NNLayer *L, NNRangeFn fn, Planes *p)
{
	nn_parallel_for(L->batch * L->in_shape.dims[0], MinPlanes(L), fn, p);
	nn_check_interrupt();
}

/*
 * Planes c0 .. c1 - 1: forward into out, or backward from d into dx
 * (zeroed here first: each plane's input gradient is its own).
 */
static void
PoolPlanes(void *arg, size_t c0, size_t c1)
{
	const Planes *pl = arg;
	const NNLayer *L = pl->L;
	bool		max = pl->max;
	const float *d = pl->d;
	float	   *dx = pl->dx;
	NNConvGeom	g = LayerGeom(L);
	size_t		hw = g.height * g.width;
	size_t		P = nn_conv_geom_positions(&g);

	if (dx != NULL)
		memset(dx + c0 * hw, 0, (c1 - c0) * hw * sizeof(float));
	for (size_t c = c0; c < c1; c++)
	{
		const float *plane = L->in + c * hw;

		for (size_t oy = 0; oy < g.out_h; oy++)
			for (size_t ox = 0; ox < g.out_w; ox++)
			{
				size_t		o = c * P + oy * g.out_w + ox;
				size_t		y0,
							y1,
							x0,
							x1;
				size_t		n;
				float		sum = 0.0f;

				if (max)
				{
					size_t		at = ArgMax(&g, plane, oy, ox);

					if (dx == NULL)
						L->out[o] = plane[at];
					else
						dx[c * hw + at] += d[o];
					continue;
				}
				n = WindowCount(&g, oy, ox, &y0, &y1, &x0, &x1);
				for (size_t y = y0; y < y1; y++)
					for (size_t x = x0; x < x1; x++)
					{
						if (dx == NULL)
							sum += plane[y * g.width + x];
						else
							dx[c * hw + y * g.width + x] += d[o] / (float) n;
					}
				if (dx == NULL)
					L->out[o] = sum / (float) n;
			}
	}
}

/*
 * One output row of a 2x2 stride-2 window without padding, from input
 * rows r0 and r1 (r0 at offset base of its plane): selects, not
 * branches, which random data would mispredict half the time, in a loop
 * the compiler can vectorize.  The same comparisons in the same order as
 * ArgMax; idx, when not NULL, gets each winner's offset in the plane.
 */
static void
Max2x2Row(const float *restrict r0, const float *restrict r1, size_t n,
		  size_t base, size_t W, float *restrict out, float *restrict idx)
{
	for (size_t ox = 0; ox < n; ox++)
	{
		float		a = r0[2 * ox],
					b = r0[2 * ox + 1],
					c = r1[2 * ox],
					d = r1[2 * ox + 1];
		float		ab = b > a ? b : a;
		float		cd = d > c ? d : c;

		out[ox] = cd > ab ? cd : ab;
	}
	if (idx == NULL)
		return;
	/*
	 * The first of the window, in row-major order, that equals its
	 * maximum; offsets are below NN_MAX_WIDTH, so int and float are exact.
	 */
	for (int ox = 0; ox < (int) n; ox++)
	{
		float		m = out[ox];
		int			e0 = r0[2 * ox] == m;
		int			e1 = r0[2 * ox + 1] == m;
		int			e2 = r1[2 * ox] == m;
		int			at = e0 ? 0 : e1 ? 1 : e2 ? (int) W : (int) W + 1;

		idx[ox] = (float) ((int) base + 2 * ox + at);
	}
}

/*
 * Max pooling forward; idx, when not NULL, receives each output's winner
 * as its offset in the plane (exact in a float: planes hold at most
 * NN_MAX_WIDTH values), so that the training backward pass need not find
 * it again.  The 2x2 stride-2 window without padding, the common one, is
 * spelled out: the same comparisons in the same order as ArgMax.
 */
static void
MaxPlanes(void *arg, size_t c0, size_t c1)
{
	const NNLayer *L = ((const Planes *) arg)->L;
	float	   *idx = ((const Planes *) arg)->idx;
	NNConvGeom	g = LayerGeom(L);
	size_t		hw = g.height * g.width;
	size_t		P = nn_conv_geom_positions(&g);
	size_t		W = g.width;
	bool		quick = g.kernel_h == 2 && g.kernel_w == 2 && g.stride_h == 2 &&
		g.stride_w == 2 && g.pad_top == 0 && g.pad_left == 0;

	for (size_t c = c0; c < c1; c++)
	{
		const float *plane = L->in + c * hw;
		float	   *out = L->out + c * P;

		for (size_t oy = 0; oy < g.out_h; oy++)
		{
			float	   *row_idx = idx != NULL ? idx + c * P + oy * g.out_w : NULL;

			if (quick)
			{
				Max2x2Row(plane + 2 * oy * W, plane + (2 * oy + 1) * W, g.out_w,
						  2 * oy * W, W, out + oy * g.out_w, row_idx);
				continue;
			}
			for (size_t ox = 0; ox < g.out_w; ox++)
			{
				size_t		at = ArgMax(&g, plane, oy, ox);

				out[oy * g.out_w + ox] = plane[at];
				if (row_idx != NULL)
					row_idx[ox] = (float) at;
			}
		}
	}
}

static void
MaxForward(const NNLayer *L)
{
	Planes		p = {L, true, NULL, NULL, NULL};

	ForPlanes(L, MaxPlanes, &p);
}

static void
AvgForward(const NNLayer *L)
{
	Planes		p = {L, false, NULL, NULL, NULL};

	ForPlanes(L, PoolPlanes, &p);
}

static void
MaxForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	MaxForward(L);
}

static void
AvgForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	AvgForward(L);
}

/* training keeps the winners in the layer's block (MaxWorkFloats) */
static const float *
MaxForwardTrain(const NNLayer *L, NNRng *rng)
{
	Planes		p = {L, true, NULL, NULL, L->own};

	(void) rng;
	ForPlanes(L, MaxPlanes, &p);
	return L->out;
}

static const float *
AvgForwardTrain(const NNLayer *L, NNRng *rng)
{
	(void) rng;
	AvgForward(L);
	return L->out;
}

/* planes c0 .. c1 - 1 of dx from the winners a training pass kept */
static void
MaxKeptPlanes(void *arg, size_t c0, size_t c1)
{
	const Planes *pl = arg;
	const NNLayer *L = pl->L;
	size_t		hw = L->in_shape.dims[1] * L->in_shape.dims[2];
	size_t		P = L->out_shape.dims[1] * L->out_shape.dims[2];

	memset(pl->dx + c0 * hw, 0, (c1 - c0) * hw * sizeof(float));
	for (size_t c = c0; c < c1; c++)
		for (size_t o = c * P; o < (c + 1) * P; o++)
			pl->dx[c * hw + (size_t) pl->idx[o]] += pl->d[o];
}

/*
 * dL/d(input) into dx, when asked; no parameters, and no activation, so d
 * is the same from the output or the loss.  Max pooling after a training
 * forward pass uses its winners; otherwise they are found again.
 */
static void
MaxBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			bool training, bool rng_used)
{
	Planes		p = {L, true, d, dx, L->own};

	(void) from;
	(void) rng_used;
	if (dx != NULL)
		ForPlanes(L, training ? MaxKeptPlanes : PoolPlanes, &p);
}

static void
AvgBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			bool training, bool rng_used)
{
	Planes		p = {L, false, d, dx, NULL};

	(void) from;
	(void) training;
	(void) rng_used;
	if (dx != NULL)
		ForPlanes(L, PoolPlanes, &p);
}

/* ------------------------------------------------------------ global */

/* [channels, height, width] -> [channels, 1, 1] */
static NNShape
GlobalOutShape(const NNNet *net, uint32_t l, NNShape in)
{
	NNShape		out = {0};

	(void) net;
	(void) l;
	if (in.rank != 3 || in.dims[0] == 0 || in.dims[1] == 0 || in.dims[2] == 0)
		return out;
	out.rank = 3;
	out.dims[0] = in.dims[0];
	out.dims[1] = 1;
	out.dims[2] = 1;
	return out;
}

static const char *
GlobalCheck(const NNNet *net, uint32_t l, bool last)
{
	if (last)
		return "a pooling layer cannot be the output layer";
	if (GlobalOutShape(net, l, net->shapes[l]).rank == 0)
		return "global pooling needs a [channels, height, width] input";
	return NULL;
}

/* each plane's mean, summed in double: a plane may be large */
static void
GlobalForward(const NNLayer *L)
{
	size_t		planes = L->batch * L->in_shape.dims[0];
	size_t		hw = (size_t) L->in_shape.dims[1] * L->in_shape.dims[2];

	for (size_t c = 0; c < planes; c++)
	{
		const float *plane = L->in + c * hw;
		double		sum = 0.0;

		for (size_t i = 0; i < hw; i++)
			sum += plane[i];
		L->out[c] = (float) (sum / (double) hw);
	}
}

static void
GlobalForwardRow(const NNLayer *L, const float *row_data)
{
	(void) row_data;
	GlobalForward(L);
}

static const float *
GlobalForwardTrain(const NNLayer *L, NNRng *rng)
{
	(void) rng;
	GlobalForward(L);
	return L->out;
}

/* each input value gets its plane's output gradient over the plane's size */
static void
GlobalBackward(const NNLayer *L, float *d, NNBackFrom from, float *dx,
			   bool training, bool rng_used)
{
	size_t		planes = L->batch * L->in_shape.dims[0];
	size_t		hw = (size_t) L->in_shape.dims[1] * L->in_shape.dims[2];

	(void) from;
	(void) training;
	(void) rng_used;
	if (dx == NULL)
		return;
	for (size_t c = 0; c < planes; c++)
	{
		float		g = d[c] / (float) hw;

		for (size_t i = 0; i < hw; i++)
			dx[c * hw + i] = g;
	}
}

/* ------------------------------------------------------------ nothing to keep */

static size_t
PoolStats(const NNNet *net, uint32_t l, NNShape out)
{
	(void) net;
	(void) l;
	(void) out;
	return 0;
}

static uint32_t
PoolTensors(const NNNet *net, uint32_t l, NNShape in, NNShape out, NNTensor *t)
{
	(void) net;
	(void) l;
	(void) in;
	(void) out;
	(void) t;
	return 0;
}

/* max pooling keeps each output's winner in training; nothing else */
static size_t
MaxWorkFloats(const NNNet *net, uint32_t l, NNShape out, size_t max_batch,
			  bool training)
{
	(void) net;
	(void) l;
	return training ? max_batch * nn_shape_size(out) : 0;
}

/* average and global pooling keep nothing */
static size_t
NoWorkFloats(const NNNet *net, uint32_t l, NNShape out, size_t max_batch,
			 bool training)
{
	(void) net;
	(void) l;
	(void) out;
	(void) max_batch;
	(void) training;
	return 0;
}

static void
PoolInit(const NNNet *net, uint32_t l, NNShape in, NNShape out,
		 float *params, float *stats, NNInit init, NNRng *rng)
{
	(void) net;
	(void) l;
	(void) in;
	(void) out;
	(void) params;
	(void) stats;
	(void) init;
	(void) rng;
}

static int
PoolActivation(const NNNet *net, uint32_t l)
{
	(void) net;
	(void) l;
	return NN_ACT_IDENTITY;
}

void
nn_pool_set(NNNet *net, uint32_t l, NNLayerKind kind, const NNPoolSettings *s)
{
	net->layers[l].kind = (uint8_t) kind;
	memset(&net->layers[l].settings, 0, sizeof(net->layers[l].settings));
	memcpy(net->layers[l].settings.bytes, s, sizeof(*s));
}

void
nn_global_pool_set(NNNet *net, uint32_t l)
{
	net->layers[l].kind = NN_LAYER_GLOBAL_AVG_POOL2D;
	memset(&net->layers[l].settings, 0, sizeof(net->layers[l].settings));
}

const NNLayerRoutine nn_max_pool2d_layer = {
	.name = "max_pool2d",
	.check = PoolCheck,
	.out_shape = PoolOutShape,
	.n_params = nn_layer_no_floats,
	.n_stats = PoolStats,
	.tensors = PoolTensors,
	.work_floats = MaxWorkFloats,
	.init = PoolInit,
	.forward = MaxForward,
	.forward_row = MaxForwardRow,
	.forward_train = MaxForwardTrain,
	.backward = MaxBackward,
	.update_stats = nn_layer_no_stats_update,
	.stats_valid = nn_layer_no_stats_valid,
	.activation = PoolActivation,
	.row_floats = nn_layer_no_floats,
	.row_prepare = nn_layer_no_row_prepare,
};

const NNLayerRoutine nn_avg_pool2d_layer = {
	.name = "avg_pool2d",
	.check = PoolCheck,
	.out_shape = PoolOutShape,
	.n_params = nn_layer_no_floats,
	.n_stats = PoolStats,
	.tensors = PoolTensors,
	.work_floats = NoWorkFloats,
	.init = PoolInit,
	.forward = AvgForward,
	.forward_row = AvgForwardRow,
	.forward_train = AvgForwardTrain,
	.backward = AvgBackward,
	.update_stats = nn_layer_no_stats_update,
	.stats_valid = nn_layer_no_stats_valid,
	.activation = PoolActivation,
	.row_floats = nn_layer_no_floats,
	.row_prepare = nn_layer_no_row_prepare,
};

const NNLayerRoutine nn_global_avg_pool2d_layer = {
	.name = "global_avg_pool2d",
	.check = GlobalCheck,
	.out_shape = GlobalOutShape,
	.n_params = nn_layer_no_floats,
	.n_stats = PoolStats,
	.tensors = PoolTensors,
	.work_floats = NoWorkFloats,
	.init = PoolInit,
	.forward = GlobalForward,
	.forward_row = GlobalForwardRow,
	.forward_train = GlobalForwardTrain,
	.backward = GlobalBackward,
	.update_stats = nn_layer_no_stats_update,
	.stats_valid = nn_layer_no_stats_valid,
	.activation = PoolActivation,
	.row_floats = nn_layer_no_floats,
	.row_prepare = nn_layer_no_row_prepare,
};
