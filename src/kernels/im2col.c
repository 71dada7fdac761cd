/*
 * im2col.c - a minibatch of NCHW images to the matrix of their patches and
 * back (im2col.h).  Both walk the lowered matrix row by row (one kernel
 * tap at a time), so that the writes of im2col and the reads of col2im
 * are sequential; the image side strides by stride_w.
 */
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

/*
 * The one walk of both directions: for each tap k, the columns q0 ..
 * q0 + n - 1 in order, with the column's image and output row and column
 * stepped along (no division per entry).  to_col: copy the image into
 * col; otherwise add col into the image.
 */
static void
Walk(const NNConvGeom *g, float *im, float *col, size_t q0, size_t n,
	 bool to_col)
{
	size_t		P = nn_conv_geom_positions(g);
	size_t		hw = g->height * g->width;
	size_t		K = nn_conv_geom_patch(g);
	size_t		area = g->kernel_h * g->kernel_w;

	for (size_t k = 0; k < K; k++)
	{
		size_t		c = k / area;
		size_t		ki = k / g->kernel_w % g->kernel_h;
		size_t		kj = k % g->kernel_w;
		float	   *row = col + k * n;
		size_t		img = q0 / P;
		size_t		oy = q0 % P / g->out_w;
		size_t		ox = q0 % P % g->out_w;

		for (size_t j = 0; j < n; j++)
		{
			/* padded coordinates; unsigned, so padding wraps above the size */
			size_t		y = oy * g->stride_h + ki - g->pad_top;
			size_t		x = ox * g->stride_w + kj - g->pad_left;
			bool		inside = y < g->height && x < g->width;
			size_t		at = (img * g->channels + c) * hw + y * g->width + x;

			if (to_col)
				row[j] = inside ? im[at] : 0.0f;
			else if (inside)
				im[at] += row[j];
			if (++ox == g->out_w)
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

void
nn_im2col(const NNConvGeom *g, const float *im, size_t q0, size_t n, float *col)
{
	Walk(g, (float *) im, col, q0, n, true);
}

void
nn_col2im(const NNConvGeom *g, const float *col, size_t q0, size_t n, float *im)
{
	Walk(g, im, (float *) col, q0, n, false);
}
