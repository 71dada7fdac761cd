/*
 * svgheatmap.c - an image's attributions as an SVG heat map over the
 * image in grayscale (svgheatmap.h describes the document).
 */
#include "formats/svgheatmap.h"

#include <math.h>
#include <stdbool.h>

#include "formats/svgout.h"

#define MARGIN 20
#define TOP 50					/* the title above the image */
#define LEGEND_HEIGHT 50
#define MIN_DOC_WIDTH 420
#define MAX_OPACITY 0.85
#define POSITIVE_COLOR "#d62728"
#define NEGATIVE_COLOR "#1f77b4"
#define INTERRUPT_EVERY 4096

/* pixel p's mean over the channels */
static double
Gray(const NNHeatmapInput *in, size_t p)
{
	size_t		plane = (size_t) in->height * in->width;
	double		s = 0.0;

	for (uint32_t c = 0; c < in->channels; c++)
		s += in->image[c * plane + p];
	return s / in->channels;
}

/* pixel p's attribution summed over the channels */
static double
Heat(const NNHeatmapInput *in, size_t p)
{
	size_t		plane = (size_t) in->height * in->width;
	double		s = 0.0;

	for (uint32_t c = 0; c < in->channels; c++)
		s += in->attr[c * plane + p];
	return s;
}

static void
OutPixels(NNSvgOut *o, const NNHeatmapInput *in, int cell)
{
	size_t		plane = (size_t) in->height * in->width;
	double		lo = INFINITY,
				hi = -INFINITY;

	for (size_t p = 0; p < plane; p++)
	{
		lo = fmin(lo, Gray(in, p));
		hi = fmax(hi, Gray(in, p));
	}
	for (size_t p = 0; p < plane; p++)
	{
		/* a constant image is mid gray */
		int			g = hi > lo ? (int) lround(255.0 * (Gray(in, p) - lo) / (hi - lo)) : 128;

		if (in->check_interrupts != NULL && p % INTERRUPT_EVERY == 0)
			in->check_interrupts();
		nn_svg_fmt(o, "<rect class=\"pixel\" x=\"%zu\" y=\"%zu\" width=\"%d\" height=\"%d\" "
				   "fill=\"#%02x%02x%02x\"/>\n", MARGIN + (p % in->width) * cell,
				   TOP + (p / in->width) * cell, cell, cell, g, g, g);
	}
}

static void
OutHeat(NNSvgOut *o, const NNHeatmapInput *in, int cell, double max_abs)
{
	size_t		plane = (size_t) in->height * in->width;

	for (size_t p = 0; p < plane; p++)
	{
		double		h = Heat(in, p);

		if (in->check_interrupts != NULL && p % INTERRUPT_EVERY == 0)
			in->check_interrupts();
		if (h == 0.0 || !(max_abs > 0.0))
			continue;
		nn_svg_fmt(o, "<rect class=\"heat\" data-value=\"%.9g\" x=\"%zu\" y=\"%zu\" "
				   "width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.3f\"/>\n",
				   h, MARGIN + (p % in->width) * cell, TOP + (p / in->width) * cell,
				   cell, cell, h > 0 ? POSITIVE_COLOR : NEGATIVE_COLOR,
				   MAX_OPACITY * fabs(h) / max_abs);
	}
}

size_t
nn_svg_heatmap_render(const NNHeatmapInput *in, char *buf, size_t cap)
{
	NNSvgOut	o = {buf, cap, 0};
	uint32_t	side = in->height > in->width ? in->height : in->width;
	int			cell = side >= NN_HEATMAP_SIDE ? 1 : (int) (NN_HEATMAP_SIDE / side);
	size_t		plane = (size_t) in->height * in->width;
	int			doc_w = (int) in->width * cell + 2 * MARGIN;
	int			doc_h = TOP + (int) in->height * cell + LEGEND_HEIGHT;
	double		max_abs = 0.0;

	if (doc_w < MIN_DOC_WIDTH)
		doc_w = MIN_DOC_WIDTH;
	for (size_t p = 0; p < plane; p++)
		max_abs = fmax(max_abs, fabs(Heat(in, p)));
	nn_svg_fmt(&o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"13\">\n",
			   doc_w, doc_h, doc_w, doc_h);
	nn_svg_str(&o, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
	nn_svg_fmt(&o, "<text class=\"title\" x=\"%d\" y=\"30\" font-size=\"16\">", MARGIN);
	nn_svg_text(&o, in->title != NULL && in->title[0] != '\0' ? in->title : "attributions",
				NN_HEATMAP_MAX_TITLE_CHARS);
	nn_svg_str(&o, "</text>\n");
	nn_svg_fmt(&o, "<g class=\"heatmap\" data-height=\"%u\" data-width=\"%u\" data-cell=\"%d\" "
			   "data-max-abs=\"%.9g\" shape-rendering=\"crispEdges\">\n",
			   in->height, in->width, cell, max_abs);
	OutPixels(&o, in, cell);
	OutHeat(&o, in, cell, max_abs);
	nn_svg_str(&o, "</g>\n");
	nn_svg_fmt(&o, "<text class=\"legend\" x=\"%d\" y=\"%d\"><tspan fill=\"%s\">red</tspan> "
			   "raises the score, <tspan fill=\"%s\">blue</tspan> lowers it; "
			   "opacity: |attribution| / %.4g</text>\n", MARGIN,
			   TOP + (int) in->height * cell + 30, POSITIVE_COLOR, NEGATIVE_COLOR, max_abs);
	nn_svg_str(&o, "</svg>\n");
	nn_svg_finish(&o);
	return o.len;
}
