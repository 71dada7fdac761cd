/*
 * test_svgheatmap.c - the attribution heat map (svgheatmap.c): the sizing
 * pass against the writing pass, one gray pixel per image pixel scaled
 * from black to white (channels averaged), one heat cell per pixel whose
 * attribution summed over channels is not zero, with its sign's color and
 * an opacity proportional to it, a constant image, no attributions, the
 * cell size of small and large images, the largest attribution negative,
 * the title escaped or a default.
 */
#include "harness.h"

#include "formats/svgheatmap.h"

static char *
render(const NNHeatmapInput *in)
{
	size_t		size = nn_svg_heatmap_render(in, NULL, 0);
	char	   *buf = xcalloc(size + 1, 1);
	char		small[16];

	CHECK_EQ_INT(nn_svg_heatmap_render(in, buf, size + 1), size);
	CHECK_EQ_INT(strlen(buf), size);
	/* a short buffer: the same size, truncated and terminated */
	CHECK_EQ_INT(nn_svg_heatmap_render(in, small, sizeof(small)), size);
	CHECK_EQ_INT(strlen(small), sizeof(small) - 1);
	return buf;
}

static int
count_of(const char *s, const char *needle)
{
	int			n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* the attribute name="..." of the first element containing key, as a number */
static double
attr_after(const char *svg, const char *key, const char *name)
{
	const char *p = strstr(svg, key);
	char		pat[64];

	if (p == NULL)
		return NAN;
	snprintf(pat, sizeof(pat), "%s=\"", name);
	p = strstr(p, pat);
	return p == NULL ? NAN : strtod(p + strlen(pat), NULL);
}

/*
 * 2 channels of 2 x 3: the gray of pixel p is the mean of its channels;
 * the heat is the attributions' sum: +2 at pixel 1, -1 at pixel 4, 0 at
 * pixel 2 (+0.5 - 0.5) and elsewhere.
 */
static void
test_pixels_and_heat(void)
{
	float		image[12] = {0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 7};
	double		attr[12] = {0, 1.5, 0.5, 0, 0, 0, 0, 0.5, -0.5, 0, -1, 0};
	NNHeatmapInput in = {2, 2, 3, image, attr, "class 7", NULL};
	char	   *svg;

	svg = render(&in);
	CHECK(strncmp(svg, "<svg ", 5) == 0);
	CHECK(strstr(svg, "</svg>\n") != NULL);
	CHECK_EQ_INT(count_of(svg, "class=\"pixel\""), 6);
	CHECK_EQ_INT(count_of(svg, "class=\"heat\""), 2);
	/* gray: means 0, 1, 2, 3, 4, 6: black to white */
	CHECK(strstr(svg, "x=\"20\" y=\"50\" width=\"160\" height=\"160\" fill=\"#000000\"") != NULL);
	CHECK(strstr(svg, "x=\"340\" y=\"210\" width=\"160\" height=\"160\" fill=\"#ffffff\"") != NULL);
	CHECK(count_of(svg, "fill=\"#ffffff\"") == 1);
	CHECK(strstr(svg, "fill=\"#555555\"") != NULL);	/* 2 / 6 of 255 */
	CHECK_EQ_INT(attr_after(svg, "class=\"heatmap\"", "data-cell"), 160);
	CHECK_CLOSE(attr_after(svg, "class=\"heatmap\"", "data-max-abs"), 2.0, 1e-12, 0);
	CHECK_CLOSE(attr_after(svg, "data-value=\"2\"", "fill-opacity"), 0.85, 1e-9, 0);
	CHECK_CLOSE(attr_after(svg, "data-value=\"-1\"", "fill-opacity"), 0.425, 1e-3, 0);
	CHECK(strstr(svg, "data-value=\"2\" x=\"180\" y=\"50\"") != NULL);
	CHECK(strstr(svg, "data-value=\"-1\" x=\"180\" y=\"210\"") != NULL);
	CHECK(strstr(strstr(svg, "data-value=\"2\""), "#d62728") != NULL);
	CHECK(strncmp(strstr(strstr(svg, "data-value=\"-1\""), "fill=\"#"), "fill=\"#1f77b4\"", 14) == 0);
	CHECK(strstr(svg, ">class 7</text>") != NULL);
	free(svg);
}

static void
test_constant_image_no_heat(void)
{
	float		image[4] = {3, 3, 3, 3};
	double		attr[4] = {0};
	NNHeatmapInput in = {1, 2, 2, image, attr, "", NULL};
	char	   *svg = render(&in);

	CHECK_EQ_INT(count_of(svg, "fill=\"#808080\""), 4);
	CHECK_EQ_INT(count_of(svg, "class=\"heat\""), 0);
	CHECK(strstr(svg, ">attributions</text>") != NULL);
	CHECK(strstr(svg, "nan") == NULL);
	free(svg);
}

/* the largest attribution is negative: it sets the scale */
static void
test_negative_largest(void)
{
	float		image[3] = {0, 1, 2};
	double		attr[3] = {1.0, -4.0, 0.5};
	NNHeatmapInput in = {1, 1, 3, image, attr, NULL, NULL};
	char	   *svg = render(&in);

	CHECK_CLOSE(attr_after(svg, "class=\"heatmap\"", "data-max-abs"), 4.0, 1e-12, 0);
	CHECK_CLOSE(attr_after(svg, "data-value=\"-4\"", "fill-opacity"), 0.85, 1e-9, 0);
	CHECK_CLOSE(attr_after(svg, "data-value=\"1\"", "fill-opacity"), 0.2125, 1e-3, 0);
	CHECK_EQ_INT(count_of(svg, "class=\"heat\""), 3);
	free(svg);
}

static int	interrupts;

static void
count_interrupt(void)
{
	interrupts++;
}

/* 28 x 28 at 17 pixels a cell; 600 x 2 at one; the hook is called */
static void
test_sizes(void)
{
	float	   *image = xcalloc(1200, sizeof(float));
	double	   *attr = xcalloc(1200, sizeof(double));
	NNHeatmapInput mnist = {1, 28, 28, image, attr, "a & <b>", count_interrupt};
	NNHeatmapInput wide = {1, 2, 600, image, attr, NULL, NULL};
	char	   *svg;

	for (int i = 0; i < 1200; i++)
	{
		image[i] = (float) (i % 7);
		attr[i] = i % 3 == 0 ? 0.0 : (i % 2 ? 0.1 : -0.2) * (i % 5);
	}
	interrupts = 0;
	svg = render(&mnist);
	CHECK(interrupts > 0);
	CHECK_EQ_INT(attr_after(svg, "class=\"heatmap\"", "data-cell"), 17);
	CHECK_EQ_INT(count_of(svg, "class=\"pixel\""), 784);
	CHECK(strstr(svg, ">a &amp; &lt;b&gt;</text>") != NULL);
	free(svg);
	svg = render(&wide);
	CHECK_EQ_INT(attr_after(svg, "class=\"heatmap\"", "data-cell"), 1);
	CHECK_EQ_INT(attr_after(svg, "<svg", "width"), 640);
	CHECK_EQ_INT(count_of(svg, "class=\"pixel\""), 1200);
	free(svg);
	free(image);
	free(attr);
}

int
main(void)
{
	RUN_TEST(test_pixels_and_heat);
	RUN_TEST(test_constant_image_no_heat);
	RUN_TEST(test_negative_largest);
	RUN_TEST(test_sizes);
	return harness_finish("test_svgheatmap");
}
