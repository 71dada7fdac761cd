/*
 * im2col.c - an NCHW image to the matrix of its patches and back
 * (im2col.h).  Both walk the lowered matrix row by row (one kernel tap at
 * a time), so that the writes of im2col and the reads of col2im are
 * sequential, one output row's run at a time: the columns where the tap
 * falls on padding are found once per tap, and with stride 1 the rest of
 * a run is a contiguous copy (im2col) or sum (col2im).  A whole image at
 * stride 1 with "same" padding across takes one run per tap (PlaneShift).
 */
#include <string.h>

#include "im2col.h"

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

/*
 * The walk over the lowered matrix's columns q0 .. q0 + n - 1 (all of one
 * image), copying the image into col (to_col) or adding col into it: for
 * each tap k, the columns in order, a run of one output row at a time,
 * with the output row stepped along (no division per entry).  Each image
 * value gets its sums in tap order.
 */
static void
Walk(const NNConvGeom *g, float *im, float *col, size_t q0, size_t n,
	 bool to_col)
{
	size_t		hw = g->height * g->width;
	size_t		area = g->kernel_h * g->kernel_w;

	for (size_t k = 0; k < g->channels * area; k++)
	{
		size_t		c = k / area;
		size_t		ki = k / g->kernel_w % g->kernel_h;
		size_t		kj = k % g->kernel_w;
		ptrdiff_t	shift = (ptrdiff_t) kj - (ptrdiff_t) g->pad_left;
		float	   *row = col + k * n;
		size_t		oy = q0 / g->out_w;
		size_t		ox = q0 % g->out_w;
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
				im + c * hw + y * g->width : NULL;

			Run(g, src, row + j, ox, ox + run, lo, hi, shift, to_col);
			j += run;
			ox += run;
			if (ox == g->out_w)
			{
				ox = 0;
				oy++;
			}
		}
	}
}

/*
 * One image at stride 1 whose output rows are as wide as the input's
 * ("same" padding across): the row of tap (ki, kj) in a channel is the
 * channel's plane shifted by sy = ki - pad_top rows and sx = kj - pad_left
 * columns, so it is one contiguous run of the plane but for the sx
 * columns at one side, whose run wraps into the next or the last row and
 * must read zeros instead, and the rows that fall on padding.  A run per
 * tap instead of one per output row: ten times fewer, and long enough to
 * copy at full speed.
 */
static bool
PlaneShift(const NNConvGeom *g)
{
	return g->stride_h == 1 && g->stride_w == 1 && g->out_w == g->width;
}

/* the shifted run of one tap: row entries [a, b) read the plane at + shift */
typedef struct Shift
{
	ptrdiff_t	shift;
	size_t		oy_lo;			/* output rows [oy_lo, oy_hi) are inside */
	size_t		oy_hi;
	size_t		a;				/* the run: row entries [a, b) */
	size_t		b;
	size_t		left;			/* edge columns [0, left) and [right, W) */
	size_t		right;
} Shift;

static inline ptrdiff_t
Clamp(ptrdiff_t v, ptrdiff_t lo, ptrdiff_t hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static Shift
TapShift(const NNConvGeom *g, size_t ki, size_t kj)
{
	ptrdiff_t	W = (ptrdiff_t) g->width;
	ptrdiff_t	sy = (ptrdiff_t) ki - (ptrdiff_t) g->pad_top;
	ptrdiff_t	sx = (ptrdiff_t) kj - (ptrdiff_t) g->pad_left;
	ptrdiff_t	hw = (ptrdiff_t) g->height * W;
	Shift		s;

	s.shift = sy * W + sx;
	s.oy_lo = (size_t) Clamp(-sy, 0, (ptrdiff_t) g->out_h);
	s.oy_hi = (size_t) Clamp((ptrdiff_t) g->height - sy, (ptrdiff_t) s.oy_lo,
							 (ptrdiff_t) g->out_h);
	/* entries outside the plane are edge columns of the first or last row */
	s.a = (size_t) Clamp(-s.shift, (ptrdiff_t) s.oy_lo * W, (ptrdiff_t) s.oy_hi * W);
	s.b = (size_t) Clamp(hw - s.shift, (ptrdiff_t) s.a, (ptrdiff_t) s.oy_hi * W);
	s.left = (size_t) Clamp(-sx, 0, W);
	s.right = (size_t) Clamp(W - sx, (ptrdiff_t) s.left, W);
	return s;
}

/* where a non-empty run starts in its plane (s->a + shift >= 0 then) */
static inline float *
RunStart(const float *plane, const Shift *s)
{
	return (float *) plane + ((ptrdiff_t) s->a + s->shift);
}

/* zero the edge columns of the inside rows of a tap's row */
static void
ZeroEdges(const NNConvGeom *g, const Shift *s, float *row)
{
	for (size_t oy = s->oy_lo; oy < s->oy_hi; oy++)
	{
		float	   *r = row + oy * g->width;

		for (size_t ox = 0; ox < s->left; ox++)
			r[ox] = 0.0f;
		for (size_t ox = s->right; ox < g->width; ox++)
			r[ox] = 0.0f;
	}
}

/* tap s's row of patches from its channel's plane */
static void
CopyTap(const NNConvGeom *g, const Shift *s, const float *plane, float *row)
{
	size_t		P = nn_conv_geom_positions(g);

	memset(row, 0, s->a * sizeof(float));
	if (s->b > s->a)
		memcpy(row + s->a, RunStart(plane, s), (s->b - s->a) * sizeof(float));
	memset(row + s->b, 0, (P - s->b) * sizeof(float));
	ZeroEdges(g, s, row);
}

/*
 * The adjoint: the edge entries are zeroed in the row first, so that the
 * run adds +0 where it wraps; a sum that starts from +0 (a zeroed
 * gradient) never holds -0, so adding +0 leaves every value as it was.
 */
static void
AddTap(const NNConvGeom *g, const Shift *s, float *plane, float *row)
{
	float	   *dst;

	ZeroEdges(g, s, row);
	if (s->b <= s->a)
		return;
	dst = RunStart(plane, s);
	for (size_t j = 0; j < s->b - s->a; j++)
		dst[j] += row[s->a + j];
}

/* every tap of every channel, in row order of the lowered matrix */
static void
ShiftTaps(const NNConvGeom *g, float *im, float *col, bool to_col)
{
	size_t		P = nn_conv_geom_positions(g);
	size_t		hw = g->height * g->width;
	size_t		k = 0;

	for (size_t c = 0; c < g->channels; c++)
		for (size_t ki = 0; ki < g->kernel_h; ki++)
			for (size_t kj = 0; kj < g->kernel_w; kj++, k++)
			{
				Shift		s = TapShift(g, ki, kj);

				if (to_col)
					CopyTap(g, &s, im + c * hw, col + k * P);
				else
					AddTap(g, &s, im + c * hw, col + k * P);
			}
}

void
nn_im2col_image(const NNConvGeom *g, const float *im, size_t q0, size_t n,
				float *col)
{
	if (q0 == 0 && n == nn_conv_geom_positions(g) && PlaneShift(g))
		ShiftTaps(g, (float *) im, col, true);
	else
		Walk(g, (float *) im, col, q0, n, true);
}

void
nn_col2im_image(const NNConvGeom *g, float *col, size_t q0, size_t n,
				float *im)
{
	if (q0 == 0 && n == nn_conv_geom_positions(g) && PlaneShift(g))
		ShiftTaps(g, im, col, false);
	else
		Walk(g, im, col, q0, n, false);
}
