/*
 * test_svgplot.c - the learning-curve SVG writer: well-formedness, escaping
 * of text from the model, degenerate histories, the sizing pass against the
 * writing pass, the size bound, and every plotted point mapped back through
 * the plot area's data attributes to the history it came from.
 */
#include "harness.h"

#include "formats/svgplot.h"

/* ------------------------------------------------------------ helpers */

/* render into a fresh buffer of exactly the announced size (+ NUL) */
static char *
render(const NNPlotInput *in)
{
	size_t		size = nn_svgplot_render(in, NULL, 0);
	char	   *buf = xcalloc(size + 1, 1);
	size_t		again = nn_svgplot_render(in, buf, size + 1);

	CHECK_EQ_INT(again, size);
	CHECK_EQ_INT(strlen(buf), size);
	return buf;
}

static NNPlotInput
plot_input(const NNEpochStats *h, uint32_t n)
{
	NNPlotInput in = {"target", "mse", 0, n, h, NULL};

	return in;
}

static NNEpochStats *
history_new(uint32_t n)
{
	NNEpochStats *h = xcalloc(n, sizeof(NNEpochStats));

	for (uint32_t i = 0; i < n; i++)
		h[i].train_loss = h[i].val_loss = h[i].val_metric = NAN;
	return h;
}

static int
count_of(const char *s, const char *needle)
{
	int			n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* a printf of NaN or an infinity: "nan" or "inf" where a number starts */
static bool
has_bad_number(const char *svg)
{
	for (const char *p = svg + 1; *p; p++)
		if ((strncmp(p, "nan", 3) == 0 || strncmp(p, "inf", 3) == 0) && strchr("\", ->", p[-1]))
			return true;
	return false;
}

/*
 * A small XML checker, enough for what the writer produces: tags nest and
 * close, attribute values are quoted, character data and attribute values
 * hold no raw '<' and only known entities, every byte is printable ASCII
 * or a newline.  Returns NULL when well formed, else what is wrong.
 */
static const char *
xml_problem(const char *doc)
{
	const char *stack[64];
	size_t		stack_len[64];
	int			depth = 0;
	bool		seen_root = false;

	for (const char *p = doc; *p;)
	{
		if ((*p < 0x20 && *p != '\n') || (unsigned char) *p >= 0x7F)
			return "a byte that is not printable ASCII";
		if (*p == '&')
		{
			const char *end = strchr(p, ';');

			if (end == NULL || end - p > 10)
				return "an unterminated entity";
			if (strncmp(p, "&amp;", 5) && strncmp(p, "&lt;", 4) && strncmp(p, "&gt;", 4) &&
				strncmp(p, "&quot;", 6) && strncmp(p, "&#39;", 5) && strncmp(p, "&#x", 3))
				return "an unknown entity";
			p = end + 1;
			continue;
		}
		if (*p == '>')
			return "a '>' outside a tag";
		if (*p != '<')
		{
			p++;
			continue;
		}
		if (p[1] == '/')
		{
			size_t		len = strcspn(p + 2, ">");

			if (depth == 0 || len != stack_len[depth - 1] ||
				strncmp(p + 2, stack[depth - 1], len) != 0)
				return "a closing tag that does not match";
			depth--;
			p += 2 + len + 1;
			if (depth == 0)
				return p[strspn(p, "\n")] == '\0' ? NULL : "content after the root";
			continue;
		}
		else
		{
			const char *name = p + 1;
			size_t		len = strcspn(name, " />");
			bool		closed = false;

			if (depth == 0 && seen_root)
				return "a second root";
			seen_root = true;
			p = name + len;
			/* attributes: name="value" */
			for (;;)
			{
				p += strspn(p, " ");
				if (*p == '>')
				{
					p++;
					break;
				}
				if (p[0] == '/' && p[1] == '>')
				{
					p += 2;
					closed = true;
					break;
				}
				p += strcspn(p, "=\"<> ");
				if (p[0] != '=' || p[1] != '"')
					return "an attribute without a quoted value";
				for (p += 2; *p != '"'; p++)
					if (*p == '\0' || *p == '<' || *p == '>')
						return "a '<', '>' or the end inside an attribute value";
				p++;
			}
			if (!closed)
			{
				if (depth == 64)
					return "nesting too deep";
				stack[depth] = name;
				stack_len[depth++] = len;
			}
		}
	}
	return "the root is not closed";
}

/* the number in attribute name="..." of the first element after from */
static double
attr_number(const char *from, const char *name)
{
	char		key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=\"", name);
	p = strstr(from, key);
	return p ? strtod(p + strlen(key), NULL) : NAN;
}

typedef struct Box
{
	double		x_min,
				x_max,
				y_min,
				y_max,
				left,
				top,
				width,
				height;
} Box;

static Box
plot_box(const char *svg)
{
	const char *area = strstr(svg, "<g class=\"plot-area\"");
	Box			b;

	b.x_min = attr_number(area, "data-x-min");
	b.x_max = attr_number(area, "data-x-max");
	b.y_min = attr_number(area, "data-y-min");
	b.y_max = attr_number(area, "data-y-max");
	b.left = attr_number(area, "data-px-left");
	b.top = attr_number(area, "data-px-top");
	b.width = attr_number(area, "data-px-width");
	b.height = attr_number(area, "data-px-height");
	return b;
}

/*
 * Map every vertex of the polylines of class css back to (epoch, loss)
 * and compare with the history: the same epochs in order, each loss
 * within the 0.005 px rounding of the y coordinate.  Returns the runs
 * (polylines) seen.
 */
static int
check_points(const char *svg, const NNEpochStats *h, uint32_t n, bool val)
{
	Box			b = plot_box(svg);
	char		key[64];
	const char *p = svg;
	uint32_t	next = 0;		/* the epoch index expected to come next */
	int			runs = 0;
	double		y_tol = 0.006 * (b.y_max - b.y_min) / b.height;

	snprintf(key, sizeof(key), "<polyline class=\"%s\" points=\"", val ? "val-loss" : "train-loss");
	while ((p = strstr(p, key)) != NULL)
	{
		bool		first = true;

		runs++;
		p += strlen(key);
		while (*p != '"')
		{
			char	   *end;
			double		px = strtod(p, &end),
						py = strtod(end + 1, &end);
			double		epoch = b.x_min + (px - b.left) * (b.x_max - b.x_min) / b.width;
			double		loss = b.y_min + (b.top + b.height - py) * (b.y_max - b.y_min) / b.height;
			uint32_t	e = (uint32_t) llround(epoch);

			p = end + strspn(end, " ");
			if (!CHECK_MSG(fabs(epoch - e) < 0.05 && e >= 1 && e <= n,
						   "pixel %.2f maps to epoch %.4f", px, epoch))
				return runs;
			/* a new run starts after a gap; within a run, epochs follow */
			if (!CHECK_MSG(first ? e - 1 >= next : e - 1 == next,
						   "epoch %u where %u was expected", e, next + 1))
				return runs;
			for (; next < e - 1; next++)
				CHECK_MSG(!isfinite(val ? h[next].val_loss : h[next].train_loss),
						  "epoch %u has a loss but no point", next + 1);
			CHECK_MSG(fabs(loss - (val ? h[e - 1].val_loss : h[e - 1].train_loss)) <= y_tol,
					  "epoch %u: plotted %.9g, history %.9g", e, loss,
					  (double) (val ? h[e - 1].val_loss : h[e - 1].train_loss));
			next = e;
			first = false;
		}
	}
	for (; next < n; next++)
		CHECK_MSG(!isfinite(val ? h[next].val_loss : h[next].train_loss),
				  "epoch %u has a loss but no point", next + 1);
	return runs;
}

/* ------------------------------------------------------------ cases */

static void
test_typical_history(void)
{
	uint32_t	n = 30;
	NNEpochStats *h = history_new(n);
	NNPlotInput in = plot_input(h, n);
	char	   *svg;
	const char *problem;
	const char *root = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"800\" height=\"500\" "
		"viewBox=\"0 0 800 500\"";

	for (uint32_t i = 0; i < n; i++)
	{
		h[i].train_loss = 2.0f / (1.0f + i) + 0.1f;
		h[i].val_loss = 2.2f / (1.0f + i) + 0.15f;
		h[i].val_metric = 0.5f;
	}
	in.best_epoch = 21;
	svg = render(&in);
	problem = xml_problem(svg);
	CHECK_MSG(problem == NULL, "not well formed: %s", problem ? problem : "");
	CHECK(strncmp(svg, root, strlen(root)) == 0);
	CHECK(strstr(svg, "Learning curve: target</text>") != NULL);
	CHECK(strstr(svg, "mse loss, 30 epochs, best epoch 21</text>") != NULL);
	CHECK(strstr(svg, ">epoch</text>") != NULL);
	CHECK(strstr(svg, ">loss</text>") != NULL);
	CHECK(strstr(svg, ">training loss</text>") != NULL);
	CHECK(strstr(svg, ">validation loss</text>") != NULL);
	CHECK(strstr(svg, "<line class=\"best-epoch\" data-epoch=\"21\"") != NULL);
	CHECK(strstr(svg, "marker-mid=\"url(#dot-train)\"") != NULL);
	CHECK_EQ_INT(check_points(svg, h, n, false), 1);
	CHECK_EQ_INT(check_points(svg, h, n, true), 1);
	free(svg);
	free(h);
}

/* ticks are {1,2,5} x 10^k apart, cover the data, and are not too many */
static void
check_ticks(const char *svg, const char *axis_class, double lo, double hi)
{
	char		key[64];
	const char *axis;
	double		step,
				mantissa,
				first,
				last = NAN;
	int			ticks = 0;

	snprintf(key, sizeof(key), "<g class=\"%s\"", axis_class);
	axis = strstr(svg, key);
	if (!CHECK_MSG(axis != NULL, "no %s", axis_class))
		return;
	step = attr_number(axis, "data-step");
	mantissa = step / pow(10, floor(log10(step) + 1e-9));
	CHECK_MSG(fabs(mantissa - 1) < 1e-9 || fabs(mantissa - 2) < 1e-9 || fabs(mantissa - 5) < 1e-9,
			  "%s step %.17g is not 1, 2 or 5 times a power of ten", axis_class, step);
	first = attr_number(axis, "data-value");
	for (const char *t = strstr(axis, "<g class=\"tick\""); t && t < strstr(axis, "axis-label");
		 t = strstr(t + 1, "<g class=\"tick\""))
	{
		double		v = attr_number(t, "data-value");

		if (ticks > 0)
			CHECK_MSG(fabs(v - last - step) <= 1e-9 * fabs(step), "%s: ticks %.17g then %.17g",
					  axis_class, last, v);
		last = v;
		ticks++;
	}
	CHECK_MSG(ticks >= 3 && ticks <= 12, "%s: %d ticks", axis_class, ticks);
	CHECK_MSG(first <= lo && last >= hi, "%s: ticks %.9g..%.9g do not cover %.9g..%.9g",
			  axis_class, first, last, lo, hi);
}

static void
test_nice_ticks(void)
{
	/* loss ranges from tiny to huge, both signs, narrow and wide */
	static const double ranges[][2] = {
		{0.1, 0.9}, {0.31, 0.32}, {1e-30, 7e-30}, {0, 1e-40}, {2.5, 1000},
		{-5, 3}, {1e30, 3e38}, {-3e38, 3e38}, {123456, 123999}, {0.999, 1.001},
		{1.0f, 1.0000002f}, {7, 7}, {0, 0}, {-2, -2}, {1e-44, 1e-44},
	};
	uint32_t	lengths[] = {1, 2, 3, 7, 10, 11, 99, 1000, 12345};

	for (size_t r = 0; r < sizeof(ranges) / sizeof(ranges[0]); r++)
	{
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++)
		{
			uint32_t	n = lengths[l];
			NNEpochStats *h = history_new(n);
			NNPlotInput in = plot_input(h, n);
			char	   *svg;
			const char *problem;
			Box			b;

			for (uint32_t i = 0; i < n; i++)
				h[i].train_loss = (float) (ranges[r][0] + (ranges[r][1] - ranges[r][0]) *
										   (n == 1 ? 0.0 : (double) i / (n - 1)));
			svg = render(&in);
			problem = xml_problem(svg);
			CHECK_MSG(problem == NULL, "range %g..%g, %u epochs: %s", ranges[r][0], ranges[r][1],
					  n, problem ? problem : "");
			b = plot_box(svg);
			CHECK_MSG(b.y_min < b.y_max && b.x_min < b.x_max, "range %g..%g: empty axis",
					  ranges[r][0], ranges[r][1]);
			check_ticks(svg, "x-axis", 1, n);
			check_ticks(svg, "y-axis", h[0].train_loss, h[0].train_loss);
			check_ticks(svg, "y-axis", h[n - 1].train_loss, h[n - 1].train_loss);
			check_points(svg, h, n, false);
			CHECK(!has_bad_number(svg));
			free(svg);
			free(h);
		}
	}
}

/* NaN and infinities break a line; a lone point gets a dot */
static void
test_gaps(void)
{
	uint32_t	n = 12;
	NNEpochStats *h = history_new(n);
	NNPlotInput in = plot_input(h, n);
	char	   *svg;

	for (uint32_t i = 0; i < n; i++)
		h[i].train_loss = 1.0f + 0.1f * i;
	h[3].train_loss = NAN;
	h[7].train_loss = INFINITY;
	h[9].train_loss = -INFINITY;	/* epoch 9 is then alone */
	/* validation measured every third epoch only: four lone points */
	for (uint32_t i = 0; i < n; i += 3)
		h[i].val_loss = 0.5f + i;
	svg = render(&in);
	CHECK(xml_problem(svg) == NULL);
	CHECK_EQ_INT(check_points(svg, h, n, false), 4);
	CHECK_EQ_INT(check_points(svg, h, n, true), 4);
	CHECK_EQ_INT(count_of(svg, "<circle class=\"train-loss-point\""), 1);
	CHECK_EQ_INT(count_of(svg, "<circle class=\"val-loss-point\""), 4);
	free(svg);
	free(h);
}

static void
test_no_history(void)
{
	NNPlotInput in = plot_input(NULL, 0);
	NNEpochStats *h = history_new(5);
	char	   *svg;

	in.target_name = "";
	svg = render(&in);
	CHECK(xml_problem(svg) == NULL);
	CHECK(strstr(svg, ">no training history</text>") != NULL);
	CHECK(strstr(svg, "<title>Learning curve</title>") != NULL);
	CHECK(strstr(svg, "<polyline") == NULL);
	CHECK(strstr(svg, "class=\"legend\"") == NULL);
	free(svg);

	/* a history whose every loss is missing says so */
	in = plot_input(h, 5);
	in.target_name = NULL;
	in.loss_name = NULL;
	svg = render(&in);
	CHECK(xml_problem(svg) == NULL);
	CHECK(strstr(svg, ">no finite loss in the training history</text>") != NULL);
	CHECK(strstr(svg, "<polyline") == NULL);
	free(svg);
	free(h);
}

static void
test_one_epoch(void)
{
	NNEpochStats h = {0.693f, NAN, NAN};
	NNPlotInput in = plot_input(&h, 1);
	char	   *svg = render(&in);
	Box			b = plot_box(svg);

	CHECK(xml_problem(svg) == NULL);
	CHECK(b.x_min < 1 && b.x_max > 1);
	CHECK(b.y_min < 0.693 && b.y_max > 0.693);
	CHECK_EQ_INT(check_points(svg, &h, 1, false), 1);
	CHECK_EQ_INT(count_of(svg, "<circle class=\"train-loss-point\""), 1);
	CHECK(strstr(svg, "validation loss") == NULL);
	CHECK(strstr(svg, "1 epoch</text>") != NULL);
	free(svg);
}

/* text from the model cannot break the markup, and comes out as ASCII */
static void
test_escaping(void)
{
	NNEpochStats h[2] = {{1, NAN, NAN}, {0.5f, NAN, NAN}};
	NNPlotInput in = plot_input(h, 2);
	char	   *svg;
	char		long_name[4 * 200 + 1];

	in.target_name = "a<b>&\"c'\x01\tz\xc3\xa9\xf0\x9f\x98\x80\xff\xef\xbf\xbe\xc0\xaf"
		"\xed\xa0\x80</text></svg>";
	in.loss_name = "<loss>";
	svg = render(&in);
	CHECK(xml_problem(svg) == NULL);
	CHECK(strstr(svg, "Learning curve: a&lt;b&gt;&amp;&quot;c&#39;&#xFFFD; z&#xE9;&#x1F600;"
				 "&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;&#xFFFD;"
				 "&lt;/text&gt;&lt;/svg&gt;</text>") != NULL);
	CHECK(strstr(svg, "&lt;loss&gt; loss") != NULL);
	free(svg);

	/* a long name (here 200 four-byte characters) is cut to 60 and "..." */
	for (int i = 0; i < 200; i++)
		memcpy(long_name + 4 * i, "\xf0\x9f\x98\x80", 4);
	long_name[800] = '\0';
	in.target_name = long_name;
	svg = render(&in);
	CHECK(xml_problem(svg) == NULL);
	CHECK_EQ_INT(count_of(svg, "&#x1F600;"), 2 * NN_SVGPLOT_MAX_NAME_CHARS);
	CHECK_EQ_INT(count_of(svg, "&#x1F600;...</"), 2);
	free(svg);
}

/* a short buffer gets the prefix, NUL-terminated, and the full size */
static void
test_sizing(void)
{
	uint32_t	n = 50;
	NNEpochStats *h = history_new(n);
	NNPlotInput in = plot_input(h, n);
	char	   *full;
	size_t		size;

	for (uint32_t i = 0; i < n; i++)
		h[i].train_loss = h[i].val_loss = 1.0f / (1 + i);
	full = render(&in);
	size = strlen(full);
	for (size_t cap = 1; cap <= size + 1; cap += (cap < 64 ? 1 : 997))
	{
		char	   *part = xcalloc(cap + 8, 1);

		memset(part, 'X', cap + 8);
		CHECK_EQ_INT(nn_svgplot_render(&in, part, cap), size);
		CHECK_MSG(part[cap - 1] == '\0' && strncmp(part, full, cap - 1) == 0,
				  "cap %zu: not the NUL-terminated prefix", cap);
		CHECK_MSG(part[cap] == 'X', "cap %zu: wrote past the buffer", cap);
		free(part);
	}
	free(full);
	free(h);
}

static int	interrupt_checks;

static void
count_interrupt_check(void)
{
	interrupt_checks++;
}

/*
 * The documented bound holds for the worst histories: every other value
 * missing (a polyline and a dot per point), in both series, out of phase,
 * with the longest name, and for a long ordinary history.
 */
static void
test_size_bound(void)
{
	uint32_t	n = 100000;
	NNEpochStats *h = history_new(n);
	NNPlotInput in = plot_input(h, n);
	char		name[4 * NN_MAX_NAME_BYTES / 4 + 1];
	size_t		size;
	char	   *svg;

	for (int i = 0; i < NN_MAX_NAME_BYTES / 4; i++)
		memcpy(name + 4 * i, "\xf4\x8f\xbf\xbf", 4);
	name[NN_MAX_NAME_BYTES] = '\0';
	in.target_name = name;
	in.loss_name = name;
	in.best_epoch = n;
	for (uint32_t i = 0; i < n; i++)
	{
		if (i % 2 == 0)
			h[i].train_loss = 3e38f * (i % 7 == 0 ? -1 : 1);
		else
			h[i].val_loss = -3e38f;
	}
	size = nn_svgplot_render(&in, NULL, 0);
	CHECK_MSG(size <= NN_SVGPLOT_FIXED_BYTES + (size_t) n * NN_SVGPLOT_EPOCH_BYTES,
			  "alternating gaps: %zu bytes for %u epochs", size, n);

	/* an ordinary long history: every point kept, no markers past 200 */
	for (uint32_t i = 0; i < n; i++)
	{
		h[i].train_loss = 1.0f / (1 + i);
		h[i].val_loss = 1.1f / (1 + i);
	}
	in.check_interrupts = count_interrupt_check;
	interrupt_checks = 0;
	svg = render(&in);
	/* two series, written twice (sizing, writing): polled in each */
	CHECK_MSG(interrupt_checks >= 4 * (int) (n / 4096), "%d interrupt checks", interrupt_checks);
	CHECK(strlen(svg) <= NN_SVGPLOT_FIXED_BYTES + (size_t) n * NN_SVGPLOT_EPOCH_BYTES);
	CHECK(xml_problem(svg) == NULL);
	CHECK(strstr(svg, "marker-mid") == NULL);
	CHECK_EQ_INT(check_points(svg, h, n, false), 1);
	CHECK_EQ_INT(check_points(svg, h, n, true), 1);
	free(svg);
	free(h);
}

/* a loss from a mixture of the awkward: gaps, infinities, denormals, extremes */
static float
random_loss(NNRng *rng, float scale)
{
	double		u = nn_rng_uniform(rng);

	if (u < 0.05)
		return NAN;
	if (u < 0.07)
		return nn_rng_uniform(rng) < 0.5 ? INFINITY : -INFINITY;
	if (u < 0.09)
		return 1e-45f * (float) (1 + (int) (nn_rng_uniform(rng) * 100));
	if (u < 0.10)
		return nn_rng_uniform(rng) < 0.5 ? 3.4e38f : -3.4e38f;
	return scale * (float) (nn_rng_uniform(rng) * 2 - 0.3);
}

/* random histories: always well formed, sized right, every point found */
static void
test_random_histories(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 6);
	for (int trial = 0; trial < 300; trial++)
	{
		uint32_t	n = (uint32_t) (nn_rng_uniform(&rng) * (trial % 10 == 0 ? 3000 : 40));
		NNEpochStats *h = history_new(n ? n : 1);
		NNPlotInput in = plot_input(h, n);
		float		scale = (float) pow(10.0, nn_rng_uniform(&rng) * 60 - 30);
		double		val_share = nn_rng_uniform(&rng);
		char	   *svg;
		const char *problem;

		for (uint32_t i = 0; i < n; i++)
		{
			h[i].train_loss = random_loss(&rng, scale);
			if (nn_rng_uniform(&rng) < val_share)
				h[i].val_loss = random_loss(&rng, scale);
		}
		in.best_epoch = (uint32_t) (nn_rng_uniform(&rng) * (n + 2));
		svg = render(&in);
		problem = xml_problem(svg);
		CHECK_MSG(problem == NULL, "trial %d: %s", trial, problem ? problem : "");
		CHECK_MSG(strlen(svg) <= NN_SVGPLOT_FIXED_BYTES + (size_t) n * NN_SVGPLOT_EPOCH_BYTES,
				  "trial %d: %zu bytes for %u epochs", trial, strlen(svg), n);
		CHECK(!has_bad_number(svg));
		if (strstr(svg, "class=\"plot-area\" data-x-min") != NULL)
		{
			check_points(svg, h, n, false);
			check_points(svg, h, n, true);
		}
		free(svg);
		free(h);
	}
}

int
main(void)
{
	RUN_TEST(test_typical_history);
	RUN_TEST(test_nice_ticks);
	RUN_TEST(test_gaps);
	RUN_TEST(test_no_history);
	RUN_TEST(test_one_epoch);
	RUN_TEST(test_escaping);
	RUN_TEST(test_sizing);
	RUN_TEST(test_size_bound);
	RUN_TEST(test_random_histories);
	return harness_finish("test_svgplot");
}
