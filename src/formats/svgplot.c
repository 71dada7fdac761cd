/*
 * svgplot.c - learning curves of a training history as a standalone SVG.
 *
 * One pass over the history writes the whole document through an NNSvgOut that
 * counts every byte and copies only those that fit, so the sizing call and
 * the writing call run the same code and cannot disagree.  Numbers are
 * written with snprintf in the C locale conventions PostgreSQL keeps
 * (LC_NUMERIC is always "C" in a backend).
 */
#include "formats/svgout.h"
#include "formats/svgplot.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* the plot area inside the NN_SVGPLOT_WIDTH x NN_SVGPLOT_HEIGHT document */
#define PLOT_LEFT 90
#define PLOT_TOP 70
#define PLOT_WIDTH 680
#define PLOT_HEIGHT 360

/* about this many intervals between ticks */
#define X_TICK_TARGET 8
#define Y_TICK_TARGET 6
#define MAX_TICKS 64

/* past this many epochs the per-point markers would only smear the line */
#define MAX_MARKED_EPOCHS 200

/* points written between calls of check_interrupts (about 5 ms) */
#define INTERRUPT_EVERY 4096

/* a range narrower than this, relative to its values, is drawn as constant */
#define FLAT_RELATIVE 1e-6

#define TRAIN_COLOR "#1f77b4"
#define VAL_COLOR "#d62728"


/* an axis: its range is the span of its nice ticks */
typedef struct Axis
{
	double		min;
	double		max;
	double		step;
	int			step_exp;		/* step = {1,2,5} * 10^step_exp */
	int			n_ticks;
} Axis;

typedef struct Series
{
	const char *css_class;		/* "train-loss" or "val-loss" */
	const char *color;
	const char *marker_id;
	const char *legend;
	bool		val;			/* history val_loss, else train_loss */
} Series;

static const Series TRAIN_SERIES = {"train-loss", TRAIN_COLOR, "dot-train", "training loss", false};
static const Series VAL_SERIES = {"val-loss", VAL_COLOR, "dot-val", "validation loss", true};

/* ------------------------------------------------------------ axes */

static bool
HasValue(float v)
{
	return isfinite(v);
}

static float
PointValue(const NNEpochStats *h, bool val)
{
	return val ? h->val_loss : h->train_loss;
}

/* step of about span / target, of the form {1,2,5} * 10^k */
static void
NiceStep(double span, int target, Axis *axis)
{
	double		raw = span / target;
	int			k = (int) floor(log10(raw));
	double		mag = pow(10.0, k);
	double		frac = raw / mag;

	if (frac <= 1.0)
		axis->step = mag;
	else if (frac <= 2.0)
		axis->step = 2 * mag;
	else if (frac <= 5.0)
		axis->step = 5 * mag;
	else
	{
		axis->step = 10 * mag;
		k++;
	}
	axis->step_exp = k;
}

/*
 * The value of tick j steps from zero.  A fractional step is applied as a
 * division by a power of ten so that 14 * 0.05 comes out as the double
 * nearest 0.7 rather than 0.70000000000000007.
 */
static double
StepMultiple(const Axis *axis, double j)
{
	double		mantissa = axis->step / pow(10.0, axis->step_exp);

	mantissa = floor(mantissa + 0.5);	/* 1, 2 or 5 */
	if (axis->step_exp < 0)
		return j * mantissa / pow(10.0, -axis->step_exp);
	return j * mantissa * pow(10.0, axis->step_exp);
}

/* widen [lo, hi] to whole steps; ticks are every step across it */
static void
SnapToTicks(double lo, double hi, Axis *axis)
{
	double		first = floor(lo / axis->step);
	double		last = ceil(hi / axis->step);

	if (last - first > MAX_TICKS - 1)	/* cannot happen for a nice step */
		last = first + MAX_TICKS - 1;
	axis->min = StepMultiple(axis, first);
	axis->max = StepMultiple(axis, last);
	axis->n_ticks = (int) (last - first) + 1;
}

/* x: whole epochs 1..n */
static void
EpochAxis(uint32_t n, Axis *axis)
{
	if (n <= 1)
	{
		axis->step = 1;
		axis->step_exp = 0;
		axis->min = 0;
		axis->max = 2;
		axis->n_ticks = 3;
		return;
	}
	NiceStep((double) (n - 1), X_TICK_TARGET, axis);
	if (axis->step < 1)
	{
		axis->step = 1;
		axis->step_exp = 0;
	}
	SnapToTicks(1, n, axis);
	if (axis->n_ticks < 3)
	{
		/* two epochs: show the origin too, so the axis has three ticks */
		axis->min -= axis->step;
		axis->n_ticks++;
	}
}

/* y: every finite loss of either series; false when there is none */
static bool
LossAxis(const NNPlotInput *in, Axis *axis)
{
	double		lo = INFINITY,
				hi = -INFINITY;
	double		scale;

	for (uint32_t i = 0; i < in->n_epochs; i++)
	{
		for (int s = 0; s < 2; s++)
		{
			float		v = PointValue(&in->history[i], s == 1);

			if (HasValue(v))
			{
				lo = fmin(lo, v);
				hi = fmax(hi, v);
			}
		}
	}
	if (lo > hi)
		return false;
	scale = fmax(fabs(lo), fabs(hi));
	if (hi - lo <= FLAT_RELATIVE * scale)
	{
		/* a constant loss: centre it in a band of +-10% (or +-1 around 0) */
		double		mid = lo + (hi - lo) / 2;
		double		pad = mid != 0 ? fabs(mid) * 0.1 : 1.0;

		lo = mid - pad;
		hi = mid + pad;
	}
	NiceStep(hi - lo, Y_TICK_TARGET, axis);
	SnapToTicks(lo, hi, axis);
	return true;
}

static double
TickValue(const Axis *axis, int i)
{
	return StepMultiple(axis, floor(axis->min / axis->step + 0.5) + i);
}

/* a tick label with just the digits the step needs; epochs are whole */
static void
FormatTick(const Axis *axis, double v, bool whole, char *buf, size_t len)
{
	double		maxabs = fmax(fabs(axis->min), fabs(axis->max));

	if (fabs(v) < axis->step * 1e-9)
		v = 0;					/* no "-0" or 1e-17 at the origin */
	if (whole)
		snprintf(buf, len, "%.0f", v);
	else if (maxabs >= 1e6 || maxabs < 1e-4)
	{
		int			digits = (int) floor(log10(maxabs)) - axis->step_exp;

		snprintf(buf, len, "%.*e", digits > 0 ? digits : 0, v);
	}
	else
		snprintf(buf, len, "%.*f", axis->step_exp < 0 ? -axis->step_exp : 0, v);
}

static double
PixelX(const Axis *x, double epoch)
{
	return PLOT_LEFT + (epoch - x->min) * PLOT_WIDTH / (x->max - x->min);
}

static double
PixelY(const Axis *y, double loss)
{
	return PLOT_TOP + PLOT_HEIGHT - (loss - y->min) * PLOT_HEIGHT / (y->max - y->min);
}

/* ------------------------------------------------------------ parts */

static void
OutHeader(NNSvgOut *o, const NNPlotInput *in)
{
	const char *name = in->target_name ? in->target_name : "";

	nn_svg_fmt(o, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		   "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n",
		   NN_SVGPLOT_WIDTH, NN_SVGPLOT_HEIGHT, NN_SVGPLOT_WIDTH, NN_SVGPLOT_HEIGHT);
	nn_svg_str(o, "<title>Learning curve");
	if (name[0] != '\0')
	{
		nn_svg_str(o, ": ");
		nn_svg_text(o, name, NN_SVGPLOT_MAX_NAME_CHARS);
	}
	nn_svg_str(o, "</title>\n");
	nn_svg_fmt(o, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
		   NN_SVGPLOT_WIDTH, NN_SVGPLOT_HEIGHT);
	nn_svg_fmt(o, "<text class=\"title\" x=\"%d\" y=\"30\" font-size=\"16\" font-weight=\"bold\">"
		   "Learning curve", PLOT_LEFT);
	if (name[0] != '\0')
	{
		nn_svg_str(o, ": ");
		nn_svg_text(o, name, NN_SVGPLOT_MAX_NAME_CHARS);
	}
	nn_svg_str(o, "</text>\n");
	nn_svg_fmt(o, "<text class=\"subtitle\" x=\"%d\" y=\"50\" fill=\"#555\">", PLOT_LEFT);
	if (in->loss_name != NULL)
	{
		nn_svg_text(o, in->loss_name, NN_SVGPLOT_MAX_NAME_CHARS);
		nn_svg_str(o, " loss, ");
	}
	nn_svg_fmt(o, "%u epoch%s", in->n_epochs, in->n_epochs == 1 ? "" : "s");
	if (in->best_epoch >= 1 && in->best_epoch <= in->n_epochs)
		nn_svg_fmt(o, ", best epoch %u", in->best_epoch);
	nn_svg_str(o, "</text>\n");
}

/* an empty frame that says why there is no curve */
static void
OutNoCurve(NNSvgOut *o, const char *why)
{
	nn_svg_fmt(o, "<g class=\"plot-area\" data-px-left=\"%d\" data-px-top=\"%d\" "
		   "data-px-width=\"%d\" data-px-height=\"%d\">\n",
		   PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT);
	nn_svg_fmt(o, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		   "fill=\"none\" stroke=\"#333\"/>\n",
		   PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT);
	nn_svg_fmt(o, "<text class=\"message\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		   "font-size=\"16\" fill=\"#555\">%s</text>\n",
		   PLOT_LEFT + PLOT_WIDTH / 2, PLOT_TOP + PLOT_HEIGHT / 2, why);
	nn_svg_str(o, "</g>\n");
}

static void
OutMarkers(NNSvgOut *o)
{
	const Series *all[2] = {&TRAIN_SERIES, &VAL_SERIES};

	nn_svg_str(o, "<defs>\n");
	for (int s = 0; s < 2; s++)
		nn_svg_fmt(o, "<marker id=\"%s\" viewBox=\"0 0 6 6\" refX=\"3\" refY=\"3\" "
			   "markerWidth=\"6\" markerHeight=\"6\" markerUnits=\"userSpaceOnUse\">"
			   "<circle cx=\"3\" cy=\"3\" r=\"2.5\" fill=\"%s\"/></marker>\n",
			   all[s]->marker_id, all[s]->color);
	nn_svg_str(o, "</defs>\n");
}

/* the shortest of %.15g, %.16g, %.17g that reads back as the same double */
static void
OutExact(NNSvgOut *o, double v)
{
	char		tmp[32];

	for (int digits = 15; digits <= 17; digits++)
	{
		snprintf(tmp, sizeof(tmp), "%.*g", digits, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	nn_svg_str(o, tmp);
}

/* the axis ranges exactly, so that a reader can map pixels back to values */
static void
OutPlotAreaStart(NNSvgOut *o, const Axis *x, const Axis *y)
{
	const char *names[4] = {"x-min", "x-max", "y-min", "y-max"};
	double		values[4] = {x->min, x->max, y->min, y->max};

	nn_svg_str(o, "<g class=\"plot-area\"");
	for (int i = 0; i < 4; i++)
	{
		nn_svg_fmt(o, " data-%s=\"", names[i]);
		OutExact(o, values[i]);
		nn_svg_str(o, "\"");
	}
	nn_svg_str(o, " ");
	nn_svg_fmt(o, "data-px-left=\"%d\" data-px-top=\"%d\" data-px-width=\"%d\" data-px-height=\"%d\">\n",
		   PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT);
}

static void
OutGrid(NNSvgOut *o, const Axis *x, const Axis *y)
{
	nn_svg_str(o, "<g class=\"grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
	for (int i = 0; i < x->n_ticks; i++)
	{
		double		px = PixelX(x, TickValue(x, i));

		nn_svg_fmt(o, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\"/>\n",
			   px, PLOT_TOP, px, PLOT_TOP + PLOT_HEIGHT);
	}
	for (int i = 0; i < y->n_ticks; i++)
	{
		double		py = PixelY(y, TickValue(y, i));

		nn_svg_fmt(o, "<line x1=\"%d\" y1=\"%.2f\" x2=\"%d\" y2=\"%.2f\"/>\n",
			   PLOT_LEFT, py, PLOT_LEFT + PLOT_WIDTH, py);
	}
	nn_svg_str(o, "</g>\n");
	nn_svg_fmt(o, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
		   "fill=\"none\" stroke=\"#333\"/>\n",
		   PLOT_LEFT, PLOT_TOP, PLOT_WIDTH, PLOT_HEIGHT);
}

static void
OutXAxis(NNSvgOut *o, const Axis *x)
{
	int			base = PLOT_TOP + PLOT_HEIGHT;

	nn_svg_fmt(o, "<g class=\"x-axis\" data-step=\"%.15g\">\n", x->step);
	for (int i = 0; i < x->n_ticks; i++)
	{
		double		v = TickValue(x, i);
		double		px = PixelX(x, v);
		char		label[64];

		FormatTick(x, v, true, label, sizeof(label));
		nn_svg_fmt(o, "<g class=\"tick\" data-value=\"%.15g\"><line x1=\"%.2f\" y1=\"%d\" "
			   "x2=\"%.2f\" y2=\"%d\" stroke=\"#333\"/>", v, px, base, px, base + 5);
		nn_svg_fmt(o, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text></g>\n",
			   px, base + 19, label);
	}
	nn_svg_fmt(o, "<text class=\"axis-label\" x=\"%d\" y=\"%d\" text-anchor=\"middle\" "
		   "font-size=\"14\">epoch</text>\n",
		   PLOT_LEFT + PLOT_WIDTH / 2, base + 45);
	nn_svg_str(o, "</g>\n");
}

static void
OutYAxis(NNSvgOut *o, const Axis *y)
{
	nn_svg_fmt(o, "<g class=\"y-axis\" data-step=\"%.15g\">\n", y->step);
	for (int i = 0; i < y->n_ticks; i++)
	{
		double		v = TickValue(y, i);
		double		py = PixelY(y, v);
		char		label[64];

		FormatTick(y, v, false, label, sizeof(label));
		nn_svg_fmt(o, "<g class=\"tick\" data-value=\"%.15g\"><line x1=\"%d\" y1=\"%.2f\" "
			   "x2=\"%d\" y2=\"%.2f\" stroke=\"#333\"/>", v, PLOT_LEFT - 5, py, PLOT_LEFT, py);
		nn_svg_fmt(o, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\" dy=\"0.35em\">"
			   "%s</text></g>\n", PLOT_LEFT - 8, py, label);
	}
	nn_svg_fmt(o, "<text class=\"axis-label\" x=\"20\" y=\"%d\" text-anchor=\"middle\" "
		   "font-size=\"14\" transform=\"rotate(-90 20 %d)\">loss</text>\n",
		   PLOT_TOP + PLOT_HEIGHT / 2, PLOT_TOP + PLOT_HEIGHT / 2);
	nn_svg_str(o, "</g>\n");
}

static bool
SeriesHasValue(const NNPlotInput *in, const Series *s)
{
	for (uint32_t i = 0; i < in->n_epochs; i++)
		if (HasValue(PointValue(&in->history[i], s->val)))
			return true;
	return false;
}

/*
 * One polyline per run of measured epochs: an unmeasured epoch breaks the
 * line.  A run of one point would draw nothing, so it also gets a dot.
 */
static void
OutSeries(NNSvgOut *o, const NNPlotInput *in, const Series *s, const Axis *x, const Axis *y)
{
	uint32_t	i = 0;
	int			x_decimals = 2;

	/*
	 * Enough decimals that an epoch spans at least 20 units of the last
	 * digit, so every x reads back as its epoch even when thousands of
	 * epochs share a pixel.
	 */
	while (x_decimals < 9 && PLOT_WIDTH * pow(10.0, x_decimals) < 20 * (x->max - x->min))
		x_decimals++;

	nn_svg_fmt(o, "<g class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" "
		   "stroke-linejoin=\"round\"", s->color);
	if (in->n_epochs <= MAX_MARKED_EPOCHS)
		nn_svg_fmt(o, " marker-start=\"url(#%s)\" marker-mid=\"url(#%s)\" marker-end=\"url(#%s)\"",
			   s->marker_id, s->marker_id, s->marker_id);
	nn_svg_str(o, ">\n");
	while (i < in->n_epochs)
	{
		uint32_t	start;

		if (!HasValue(PointValue(&in->history[i], s->val)))
		{
			i++;
			continue;
		}
		start = i;
		nn_svg_fmt(o, "<polyline class=\"%s\" points=\"", s->css_class);
		for (; i < in->n_epochs && HasValue(PointValue(&in->history[i], s->val)); i++)
		{
			if (in->check_interrupts != NULL && i % INTERRUPT_EVERY == 0)
				in->check_interrupts();
			nn_svg_fmt(o, "%s%.*f,%.2f", i > start ? " " : "", x_decimals,
				   PixelX(x, i + 1.0), PixelY(y, PointValue(&in->history[i], s->val)));
		}
		nn_svg_str(o, "\"/>\n");
		if (i - start == 1)
			nn_svg_fmt(o, "<circle class=\"%s-point\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\" "
				   "fill=\"%s\" stroke=\"none\"/>\n", s->css_class,
				   PixelX(x, start + 1.0), PixelY(y, PointValue(&in->history[start], s->val)),
				   s->color);
	}
	nn_svg_str(o, "</g>\n");
}

static void
OutBestEpoch(NNSvgOut *o, const NNPlotInput *in, const Axis *x)
{
	double		px;

	if (in->best_epoch < 1 || in->best_epoch > in->n_epochs)
		return;
	px = PixelX(x, in->best_epoch);
	nn_svg_fmt(o, "<line class=\"best-epoch\" data-epoch=\"%u\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" "
		   "y2=\"%d\" stroke=\"#2ca02c\" stroke-dasharray=\"4 3\"/>\n",
		   in->best_epoch, px, PLOT_TOP, px, PLOT_TOP + PLOT_HEIGHT);
}

/* top right inside the plot, where a falling loss curve rarely is */
static void
OutLegend(NNSvgOut *o, const Series **shown, int n_shown, bool best, bool markers)
{
	int			rows = n_shown + (best ? 1 : 0);
	int			left = PLOT_LEFT + PLOT_WIDTH - 150;
	int			top = PLOT_TOP + 10;

	nn_svg_str(o, "<g class=\"legend\">\n");
	nn_svg_fmt(o, "<rect x=\"%d\" y=\"%d\" width=\"140\" height=\"%d\" fill=\"white\" "
		   "fill-opacity=\"0.85\" stroke=\"#999\"/>\n", left, top, 8 + 18 * rows);
	for (int r = 0; r < rows; r++)
	{
		int			cy = top + 13 + 18 * r;
		bool		is_best = r == n_shown;

		nn_svg_fmt(o, "<g class=\"legend-entry\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			   "stroke=\"%s\" stroke-width=\"1.5\"%s/>",
			   left + 8, cy, left + 32, cy,
			   is_best ? "#2ca02c" : shown[r]->color,
			   is_best ? " stroke-dasharray=\"4 3\"" : "");
		if (!is_best && markers)
			nn_svg_fmt(o, "<circle cx=\"%d\" cy=\"%d\" r=\"2.5\" fill=\"%s\"/>",
				   left + 20, cy, shown[r]->color);
		nn_svg_fmt(o, "<text x=\"%d\" y=\"%d\" dy=\"0.35em\">%s</text></g>\n",
			   left + 40, cy, is_best ? "best epoch" : shown[r]->legend);
	}
	nn_svg_str(o, "</g>\n");
}

/* ------------------------------------------------------------ entry */

size_t
nn_svgplot_render(const NNPlotInput *in, char *buf, size_t cap)
{
	NNSvgOut			o = {buf, cap, 0};
	Axis		x,
				y;
	const Series *shown[2];
	int			n_shown = 0;
	bool		best;

	OutHeader(&o, in);
	if (in->n_epochs == 0)
		OutNoCurve(&o, "no training history");
	else if (!LossAxis(in, &y))
		OutNoCurve(&o, "no finite loss in the training history");
	else
	{
		EpochAxis(in->n_epochs, &x);
		OutMarkers(&o);
		OutPlotAreaStart(&o, &x, &y);
		OutGrid(&o, &x, &y);
		OutXAxis(&o, &x);
		OutYAxis(&o, &y);
		if (SeriesHasValue(in, &TRAIN_SERIES))
			shown[n_shown++] = &TRAIN_SERIES;
		if (SeriesHasValue(in, &VAL_SERIES))
			shown[n_shown++] = &VAL_SERIES;
		for (int s = 0; s < n_shown; s++)
			OutSeries(&o, in, shown[s], &x, &y);
		OutBestEpoch(&o, in, &x);
		best = in->best_epoch >= 1 && in->best_epoch <= in->n_epochs;
		OutLegend(&o, shown, n_shown, best, in->n_epochs <= MAX_MARKED_EPOCHS);
		nn_svg_str(&o, "</g>\n");
	}
	nn_svg_str(&o, "</svg>\n");
	nn_svg_finish(&o);
	return o.len;
}
