/*
 * im2col.h - lowering a minibatch of images (NCHW, float) to the matrix of
 * their patches, and back, so that a convolution is a matrix product
 * (conv2d_layer.c).
 *
 * The lowered matrix of a batch has K = channels x kernel_h x kernel_w
 * rows, one per (channel, kernel row, kernel column) in that order, and
 * batch x out_h x out_w columns, one per (image, output row, output
 * column).  Entry (k, q) is the input value under kernel tap k when the
 * kernel sits at output position q, or 0 where the tap falls on padding.
 * The functions work on a range of columns, so that a caller can lower an
 * image, or a piece of one, at a time into a buffer of its size.
 */
#ifndef NN_IM2COL_H
#define NN_IM2COL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A window's settings as the spatial kinds keep them (conv2d's kernel,
 * pooling's size, depthwise's kernel): the same eight bytes in each
 * kind's settings, the model format and the export.  Padding is explicit
 * per side.
 */
typedef struct NNWindow
{
	uint8_t		kernel_h;
	uint8_t		kernel_w;
	uint8_t		stride_h;
	uint8_t		stride_w;
	uint8_t		pad_top;
	uint8_t		pad_left;
	uint8_t		pad_bottom;
	uint8_t		pad_right;
} NNWindow;

/* a sliding window over images: a convolution's or a pooling's */
typedef struct NNConvGeom
{
	size_t		channels;
	size_t		height;
	size_t		width;
	size_t		kernel_h;
	size_t		kernel_w;
	size_t		stride_h;
	size_t		stride_w;
	size_t		pad_top;
	size_t		pad_left;
	size_t		pad_bottom;
	size_t		pad_right;
	size_t		out_h;			/* set by nn_conv_geom_finish */
	size_t		out_w;
} NNConvGeom;

/*
 * Set out_h and out_w: floor((height + pad_top + pad_bottom - kernel_h) /
 * stride_h) + 1, and the same across (ONNX's ceil_mode 0).  False when a
 * size or stride is 0 or the padded input is smaller than the kernel.
 */
bool		nn_conv_geom_finish(NNConvGeom *g);

/*
 * The geometry of window w over images of channels x height x width,
 * finished; false when it does not fit (nn_conv_geom_finish).
 */
bool		nn_window_geom(const NNWindow *w, size_t channels, size_t height,
						   size_t width, NNConvGeom *g);

/*
 * Every side's padding is smaller than the window, so no window lies
 * wholly on padding and sees nothing.
 */
bool		nn_window_padding_fits(const NNWindow *w);

/* taps of the window, kernel_h x kernel_w */
static inline size_t
nn_window_area(const NNWindow *w)
{
	return (size_t) w->kernel_h * w->kernel_w;
}

/* positions of one image's output, out_h x out_w */
static inline size_t
nn_conv_geom_positions(const NNConvGeom *g)
{
	return g->out_h * g->out_w;
}

/* rows of the lowered matrix, channels x kernel_h x kernel_w */
static inline size_t
nn_conv_geom_patch(const NNConvGeom *g)
{
	return g->channels * g->kernel_h * g->kernel_w;
}

/*
 * The outputs o of one axis (n_out of them) at which kernel tap t reads
 * inside the input, o x stride + t - pad in [0, limit), as [lo, hi)
 * (empty when lo >= hi): for loops that skip the padding instead of
 * testing each position (im2col.c, depthwise_layer.c).
 */
void		nn_conv_tap_span(size_t n_out, size_t stride, size_t pad, size_t tap,
							 size_t limit, size_t *lo, size_t *hi);

/*
 * Columns q0 .. q0 + n - 1 (at most the positions) of the lowered matrix
 * of one image im (channels x height x width) into col, K x n, row-major.
 * On the calling thread: a part of parallel work (parallel.h) owns its
 * image.
 */
void		nn_im2col_image(const NNConvGeom *g, const float *im, size_t q0,
							size_t n, float *col);

/*
 * The adjoint: add each entry of col (K x n, columns q0 .. q0 + n - 1) to
 * the value of im it was taken from (padding entries are dropped).  im is
 * added to, not overwritten: overlapping windows sum, in the order of the
 * rows of col.  col is the caller's scratch: its entries that fall on
 * padding may be zeroed on the way, and added (as +0) instead of dropped,
 * which turns a -0 of im into +0 and changes nothing else.
 */
void		nn_col2im_image(const NNConvGeom *g, float *col, size_t q0, size_t n,
							float *im);

#endif
