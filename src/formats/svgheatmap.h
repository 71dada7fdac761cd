/*
 * svgheatmap.h - attributions of an image's pixels (integrated gradients,
 * nn_explain) as a standalone SVG heat map over the image in grayscale.
 *
 * Plain C with no PostgreSQL calls; sized and written as svgplot.h's
 * document is (a call without a buffer returns the size).  ASCII only.
 *
 * Each pixel is a <rect class="pixel"> in gray: the mean over channels,
 * scaled from the image's darkest (black) to its brightest (white).  Over
 * it, each pixel whose attribution (summed over channels) is not zero is a
 * <rect class="heat"> with data-value the sum, red (#d62728) when it
 * raises the score and blue (#1f77b4) when it lowers it, its fill-opacity
 * 0.85 |value| / the largest |value|.  The <g class="heatmap"> holding
 * them gives data-height, data-width, data-cell (pixels per image pixel)
 * and data-max-abs.
 */
#ifndef NN_SVGHEATMAP_H
#define NN_SVGHEATMAP_H

#include <stddef.h>
#include <stdint.h>

/* the longest side drawn, in document pixels */
#define NN_HEATMAP_SIDE 480
/* characters of the title shown; longer ones end in "..." */
#define NN_HEATMAP_MAX_TITLE_CHARS 80

typedef struct NNHeatmapInput
{
	uint32_t	channels;
	uint32_t	height;
	uint32_t	width;
	const float *image;			/* channels x height x width */
	const double *attr;			/* the same layout */
	const char *title;			/* UTF-8, or NULL */
	void		(*check_interrupts) (void); /* every few thousand pixels, or NULL */
} NNHeatmapInput;

/*
 * Write the document into buf[0..cap), NUL-terminated when it fits;
 * returns its length without the NUL, whatever cap is.
 */
size_t		nn_svg_heatmap_render(const NNHeatmapInput *in, char *buf, size_t cap);

#endif
