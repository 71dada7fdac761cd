/*
 * im2col.c - a minibatch of NCHW images to the matrix of their patches and
 * back (im2col.h).  Both walk the lowered matrix row by row (one kernel
 * tap at a time), so that the writes of im2col and the reads of col2im
 * are sequential, one output row's run at a time: the columns where the
 * tap falls on padding are found once per tap, and with stride 1 the rest
 * of a run is a contiguous copy (im2col) or sum (col2im).
 */
#include "im2col.h"
#include "parallel.h"

bool
nn_conv_geom_finish(NNConvGeom *g)
{
	size_t		ph;
	size_t		pw;

	if (g->channels == 0 || g->height == 0 || g->width == 0 ||
		g->kernel_h == 0 || g->kernel_w == 0 ||
		g->stride_h == 0 || g->stride_w == 0)
		return false;
	ph = g->height + g->pad_top + g->pad_bottom;
	pw = g->width + g->pad_left + g->pad_right;
	if (ph < g->kernel_h || pw < g->kernel_w)
		return false;
	g->out_h = (ph - g->kernel_h) / g->stride_h + 1;
	g->out_w = (pw - g->kernel_w) / g->stride_w + 1;
	return true;
}

bool
nn_window_geom(const NNWindow *w, size_t channels, size_t height,
			   size_t width, NNConvGeom *g)
{
	*g = (NNConvGeom) {
		.channels = channels,
		.height = height,
		.width = width,
		.kernel_h = w->kernel_h,
		.kernel_w = w->kernel_w,
		.stride_h = w->stride_h,
		.stride_w = w->stride_w,
		.pad_top = w->pad_top,
		.pad_left = w->pad_left,
		.pad_bottom = w->pad_bottom,
		.pad_right = w->pad_right,
	};
	return nn_conv_geom_finish(g);
}

bool
nn_window_padding_fits(const NNWindow *w)
{
	return w->pad_top < w->kernel_h && w->pad_bottom < w->kernel_h &&
		w->pad_left < w->kernel_w && w->pad_right < w->kernel_w;
}

void
nn_conv_tap_span(size_t n_out, size_t stride, size_t pad, size_t tap,
				 size_t limit, size_t *lo, size_t *hi)
{
	size_t		first = pad > tap ? (pad - tap + stride - 1) / stride : 0;
	size_t		end = limit + pad > tap ? (limit + pad - tap - 1) / stride + 1 : 0;

	*lo = first;
	*hi = end < n_out ? end : n_out;
}

/*
 * One run of a tap's row of the lowered matrix: output columns [a, b) of
 * one output row, whose image row is src (NULL: on padding).  In [lo, hi)
 * the tap is inside the image; stride 1 makes that a contiguous copy.
 */
static inline void
Run(const NNConvGeom *g, float *src, float *row, size_t a, size_t b,
	size_t lo, size_t hi, ptrdiff_t shift, bool to_col)
{
	size_t		s = g->stride_w;

	if (lo < a)
		lo = a;
	if (hi > b)
		hi = b;
	if (src == NULL || lo >= hi)
	{
		if (to_col)
			for (size_t ox = a; ox < b; ox++)
				row[ox - a] = 0.0f;
		return;
	}
	/* runs are short (an output row): loops, not library calls */
	if (to_col)
	{
		for (size_t ox = a; ox < lo; ox++)
			row[ox - a] = 0.0f;
		if (s == 1)
		{
			const float *from = src + (ptrdiff_t) lo + shift;
			float	   *to = row + (lo - a);

			for (size_t i = 0; i < hi - lo; i++)
				to[i] = from[i];
		}
		else
			for (size_t ox = lo; ox < hi; ox++)
				row[ox - a] = src[(ptrdiff_t) (ox * s) + shift];
		for (size_t ox = hi; ox < b; ox++)
			row[ox - a] = 0.0f;
	}
	else if (s == 1)
	{
		float	   *dst = src + (ptrdiff_t) lo + shift;
		const float *add = row + (lo - a);

		for (size_t i = 0; i < hi - lo; i++)
			dst[i] += add[i];
	}
	else
		for (size_t ox = lo; ox < hi; ox++)
			src[(ptrdiff_t) (ox * s) + shift] += row[ox - a];
}

/* one walk: the lowered matrix's columns q0 .. q0 + n - 1 */
typedef struct Walk
{
	const NNConvGeom *g;
	float	   *im;
	float	   *col;
	size_t		q0;
	size_t		n;
	bool		to_col;			/* copy the image into col, or add col into it */
} Walk;

/*
 * The walk over the taps of channels c0 .. c1 - 1: for each tap k, the
 * columns in order, a run of one output row at a time, with the image
 * and output row stepped along (no division per entry).  A channel's taps
 * read and write only that channel of the images, so the channels can be
 * split over threads, and each image value gets its sums in tap order
 * whatever the split.
 */
static void
WalkChannels(void *arg, size_t c0, size_t c1)
{
	const Walk *w = arg;
	const NNConvGeom *g = w->g;
	float	   *im = w->im;
	float	   *col = w->col;
	size_t		q0 = w->q0;
	size_t		n = w->n;
	bool		to_col = w->to_col;
	size_t		P = nn_conv_geom_positions(g);
	size_t		hw = g->height * g->width;
	size_t		area = g->kernel_h * g->kernel_w;

	for (size_t k = c0 * area; k < c1 * area; k++)
	{
		size_t		c = k / area;
		size_t		ki = k / g->kernel_w % g->kernel_h;
		size_t		kj = k % g->kernel_w;
		ptrdiff_t	shift = (ptrdiff_t) kj - (ptrdiff_t) g->pad_left;
		float	   *row = col + k * n;
		size_t		img = q0 / P;
		size_t		oy = q0 % P / g->out_w;
		size_t		ox = q0 % P % g->out_w;
		size_t		lo,
					hi;

		/* the output columns whose tap kj falls inside the image */
		nn_conv_tap_span(g->out_w, g->stride_w, g->pad_left, kj, g->width, &lo, &hi);
		for (size_t j = 0; j < n;)
		{
			size_t		run = g->out_w - ox < n - j ? g->out_w - ox : n - j;
			/* the padded row; unsigned, so padding wraps above the height */
			size_t		y = oy * g->stride_h + ki - g->pad_top;
			float	   *src = y < g->height ?
				im + (img * g->channels + c) * hw + y * g->width : NULL;

			Run(g, src, row + j, ox, ox + run, lo, hi, shift, to_col);
			j += run;
			ox += run;
			if (ox == g->out_w)
			{
				ox = 0;
				if (++oy == g->out_h)
				{
					oy = 0;
					img++;
				}
			}
		}
	}
}

/* at least this many channels a thread: some 32K values of work each */
static size_t
MinChannels(const NNConvGeom *g, size_t n)
{
	size_t		per = g->kernel_h * g->kernel_w * n;

	return nn_parallel_min_part(per);
}

static void
WalkAll(const NNConvGeom *g, float *im, float *col, size_t q0, size_t n,
		bool to_col)
{
	Walk		w = {g, im, col, q0, n, to_col};

	nn_parallel_for(g->channels, MinChannels(g, n), WalkChannels, &w);
}

void
nn_im2col(const NNConvGeom *g, const float *im, size_t q0, size_t n, float *col)
{
	WalkAll(g, (float *) im, col, q0, n, true);
}

void
nn_col2im(const NNConvGeom *g, const float *col, size_t q0, size_t n, float *im)
{
	WalkAll(g, im, (float *) col, q0, n, false);
}
