/*
 * svgplot.h - learning curves of a training history as a standalone SVG.
 *
 * Plain C with no PostgreSQL calls.  The writer never allocates: it is
 * called once without a buffer to learn the size, then again with a buffer
 * of that size, as snprintf is.  The document is ASCII only (text from the
 * model is written as character references), so it is valid in any
 * database encoding.
 *
 * For machine checks the plot area is a <g class="plot-area"> whose
 * data-x-min/-max and data-y-min/-max attributes give the axis ranges and
 * data-px-left/-top/-width/-height the pixel box they span; every training
 * and validation loss point is a vertex of a polyline of class "train-loss"
 * or "val-loss" in the document's own coordinates.
 */
#ifndef NN_SVGPLOT_H
#define NN_SVGPLOT_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* the size of the document (pixels) */
#define NN_SVGPLOT_WIDTH 800
#define NN_SVGPLOT_HEIGHT 500

/* characters of the target name shown in the title; longer ones end in "..." */
#define NN_SVGPLOT_MAX_NAME_CHARS 60

/*
 * Upper bound of the output: at most NN_SVGPLOT_FIXED_BYTES plus
 * NN_SVGPLOT_EPOCH_BYTES per epoch, whatever the history holds.
 */
#define NN_SVGPLOT_FIXED_BYTES 16384
#define NN_SVGPLOT_EPOCH_BYTES 200

typedef struct NNPlotInput
{
	const char *target_name;	/* UTF-8; "" or NULL for none */
	const char *loss_name;		/* e.g. "cross_entropy"; NULL for none */
	uint32_t	best_epoch;		/* 1-based, 0 for none: marked by a line */
	uint32_t	n_epochs;
	const NNEpochStats *history;	/* n_epochs; NaN where not measured */
	/*
	 * Called every few thousand points when not NULL: the server's
	 * CHECK_FOR_INTERRUPTS, which may jump out (the writer holds nothing).
	 */
	void		(*check_interrupts) (void);
} NNPlotInput;

/*
 * Write the SVG document for in into buf[0..cap), NUL-terminated when it
 * fits (cap > returned length).  Returns the length of the whole document
 * without the NUL, whatever cap is; buf may be NULL when cap is 0.
 */
size_t		nn_svgplot_render(const NNPlotInput *in, char *buf, size_t cap);

#endif
