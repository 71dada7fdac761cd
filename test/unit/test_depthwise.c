/*
 * test_depthwise.c - the depthwise_conv2d, separable_conv2d and
 * global_avg_pool2d kernels, called through their NNLayerRoutines
 * directly (test_layers.c walks them through the table): forward against
 * direct loops, finite-difference checks of the weight, bias and input
 * gradients at odd sizes (stride 2, asymmetric padding, non-square and
 * 1x1 kernels, one channel, multipliers 1 to 3), the tensors, the
 * initialization and the settings checks.
 */
#include "depthwise_layer.h"
#include "harness.h"
#include "layertest.h"
#include "pool_layer.h"

typedef struct DwCase
{
	const char *what;
	bool		separable;
	uint32_t	c, h, w;
	size_t		batch;
	NNDepthwiseSettings s;
	uint32_t	out[3];			/* the output shape, by hand */
} DwCase;

/*
 * filters, multiplier, kh, kw, sh, sw, pad t, l, b, r, act; out: (H + pt +
 * pb - kh) / sh + 1, (W + pl + pr - kw) / sw + 1
 */
static const DwCase dw_cases[] = {
	{"3x3 stride 1", false, 2, 5, 6, 2, {0, 1, {3, 3, 1, 1, 0, 0, 0, 0}, NN_ACT_TANH}, {2, 3, 4}},
	{"3x2 x2 stride 2, padding 1/0/2/1", false, 3, 7, 5, 3,
	{0, 2, {3, 2, 2, 2, 1, 0, 2, 1}, NN_ACT_TANH}, {6, 4, 3}},
	{"1x1 x3, one channel", false, 1, 4, 3, 2, {0, 3, {1, 1, 1, 1, 0, 0, 0, 0}, NN_ACT_SIGMOID}, {3, 4, 3}},
	{"4x1 stride 1x2, padding 0/0/3/0", false, 2, 5, 5, 2,
	{0, 1, {4, 1, 1, 2, 0, 0, 3, 0}, NN_ACT_IDENTITY}, {2, 5, 3}},
	{"one channel x2, 2x3 stride 2x1, padding 1", false, 1, 6, 7, 3,
	{0, 2, {2, 3, 2, 1, 1, 1, 1, 1}, NN_ACT_TANH}, {2, 4, 7}},
	{"separable 3x3 same", true, 2, 5, 6, 2, {3, 1, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH}, {3, 5, 6}},
	{"separable 3x2 stride 2, padding 1/0/2/1", true, 3, 7, 5, 3,
	{4, 1, {3, 2, 2, 2, 1, 0, 2, 1}, NN_ACT_SIGMOID}, {4, 4, 3}},
	{"separable 1x1, one channel", true, 1, 4, 3, 2, {2, 1, {1, 1, 1, 1, 0, 0, 0, 0}, NN_ACT_IDENTITY}, {2, 4, 3}},
	{"separable 1x4 stride 2x1, padding 0/2/0/1", true, 2, 5, 6, 2,
	{1, 1, {1, 4, 2, 1, 0, 2, 0, 1}, NN_ACT_TANH}, {1, 3, 6}},
};

#define N_DW_CASES (sizeof(dw_cases) / sizeof(dw_cases[0]))

static const NNLayerRoutine *
routine(const DwCase *dc)
{
	return dc->separable ? &nn_separable_conv2d_layer : &nn_depthwise_conv2d_layer;
}

/*
 * The depthwise value of output channel o (input channel o / M, kernel o)
 * at (oy, ox) of image n, no bias, in double.
 */
static double
direct_depthwise(const Layer *t, const NNDepthwiseSettings *s, size_t M,
				 const float *k, size_t n, size_t o, size_t oy, size_t ox)
{
	size_t		C = t->L.in_shape.dims[0];
	size_t		H = t->L.in_shape.dims[1];
	size_t		W = t->L.in_shape.dims[2];
	size_t		c = o / M;
	double		sum = 0.0;

	for (size_t i = 0; i < s->window.kernel_h; i++)
		for (size_t j = 0; j < s->window.kernel_w; j++)
		{
			long		y = (long) (oy * s->window.stride_h + i) - s->window.pad_top;
			long		x = (long) (ox * s->window.stride_w + j) - s->window.pad_left;

			if (y < 0 || x < 0 || y >= (long) H || x >= (long) W)
				continue;
			sum += (double) k[(o * s->window.kernel_h + i) * s->window.kernel_w + j] *
				t->x[((n * C + c) * H + (size_t) y) * W + (size_t) x];
		}
	return sum;
}

/* the layer's output f at (oy, ox) of image n, before the activation */
static double
direct_layer(const Layer *t, const DwCase *dc, size_t n, size_t f, size_t oy,
			 size_t ox)
{
	const NNDepthwiseSettings *s = &dc->s;
	size_t		C = t->L.in_shape.dims[0];
	size_t		area = (size_t) s->window.kernel_h * s->window.kernel_w;
	size_t		F = t->L.out_shape.dims[0];
	const float *wp = t->params + C * area;
	double		sum;

	if (!dc->separable)
		return t->params[F * area + f] +
			direct_depthwise(t, s, s->multiplier, t->params, n, f, oy, ox);
	sum = wp[F * C + f];
	for (size_t c = 0; c < C; c++)
		sum += (double) wp[f * C + c] *
			direct_depthwise(t, s, 1, t->params, n, c, oy, ox);
	return sum;
}

static void
test_forward_direct(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1701);
	for (size_t k = 0; k < N_DW_CASES; k++)
	{
		const DwCase *dc = &dw_cases[k];
		Layer		t;
		size_t		F,
					P;
		double		worst = 0.0;

		if (!CHECK_MSG(make_layer(&t, routine(dc), &dc->s, sizeof(dc->s),
								  shape3(dc->c, dc->h, dc->w), dc->batch, &rng),
					   "%s: layer rejected", dc->what))
			continue;
		for (int d = 0; d < 3; d++)
			CHECK_MSG(t.L.out_shape.dims[d] == dc->out[d], "%s: out dim %d is %u",
					  dc->what, d, t.L.out_shape.dims[d]);
		F = t.L.out_shape.dims[0];
		P = t.L.out_shape.dims[1] * t.L.out_shape.dims[2];
		/* stale outputs must be overwritten */
		fill_uniform(&rng, t.out, dc->batch * t.L.out_size, 5.0, 6.0);
		t.r->forward(&t.L);
		for (size_t n = 0; n < dc->batch; n++)
			for (size_t f = 0; f < F; f++)
				for (size_t p = 0; p < P; p++)
				{
					double		e = apply_act(dc->s.act,
											  direct_layer(&t, dc, n, f,
														   p / t.L.out_shape.dims[2],
														   p % t.L.out_shape.dims[2]));

					worst = fmax(worst, fabs(t.out[(n * F + f) * P + p] - e));
				}
		CHECK_MSG(worst < 1e-5, "%s: forward differs from direct by %g",
				  dc->what, worst);

		/* training mode keeps its depthwise output elsewhere: the same bytes */
		check_forward_modes(&t, dc->what);
		free_layer(&t);
	}
}

/*
 * Finite differences against backward: every parameter tensor and the
 * input in training mode, the input alone in inference mode (the same:
 * no statistics), and from the pre-activation for identity layers.
 */
static void
test_gradients(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1702);
	for (size_t k = 0; k < N_DW_CASES; k++)
	{
		const DwCase *dc = &dw_cases[k];
		Layer		t;

		if (!CHECK(make_layer(&t, routine(dc), &dc->s, sizeof(dc->s),
							  shape3(dc->c, dc->h, dc->w), dc->batch, &rng)))
			continue;
		check_layer_gradients(&t, dc->what, 2e-3, NULL);
		free_layer(&t);
	}
}

/* the tensors of each kind, by name, size and weight flag */
static void
test_tensors(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1703);
	for (size_t k = 0; k < N_DW_CASES; k++)
	{
		const DwCase *dc = &dw_cases[k];
		Layer		t;
		NNTensor	ts[NN_LAYER_MAX_TENSORS];
		size_t		area = (size_t) dc->s.window.kernel_h * dc->s.window.kernel_w;
		size_t		F = dc->out[0];
		size_t		C = dc->c;
		size_t		P = (size_t) dc->out[1] * dc->out[2];

		if (!CHECK(make_layer(&t, routine(dc), &dc->s, sizeof(dc->s),
							  shape3(dc->c, dc->h, dc->w), dc->batch, &rng)))
			continue;
		if (dc->separable)
		{
			CHECK_EQ_INT(t.r->tensors(&t.net, 0, t.L.in_shape, t.L.out_shape, ts), 3);
			CHECK(strcmp(ts[0].name, "W_depthwise") == 0 && ts[0].offset == 0 &&
				  ts[0].size == C * area && ts[0].weight);
			CHECK(strcmp(ts[1].name, "W_pointwise") == 0 && ts[1].offset == C * area &&
				  ts[1].size == F * C && ts[1].weight);
			CHECK(strcmp(ts[2].name, "b") == 0 && ts[2].offset == C * area + F * C &&
				  ts[2].size == F && !ts[2].weight);
			CHECK_EQ_INT(n_params(&t), C * area + F * C + F);
			CHECK_EQ_INT(t.r->work_floats(&t.net, 0, t.L.out_shape, 4, true), C * P * 5);
			CHECK_EQ_INT(t.r->work_floats(&t.net, 0, t.L.out_shape, 4, false), C * P);
		}
		else
		{
			CHECK_EQ_INT(t.r->tensors(&t.net, 0, t.L.in_shape, t.L.out_shape, ts), 2);
			CHECK(strcmp(ts[0].name, "W") == 0 && ts[0].offset == 0 &&
				  ts[0].size == F * area && ts[0].weight);
			CHECK(strcmp(ts[1].name, "b") == 0 && ts[1].offset == F * area &&
				  ts[1].size == F && !ts[1].weight);
			CHECK_EQ_INT(n_params(&t), F * (area + 1));
			CHECK_EQ_INT(t.r->work_floats(&t.net, 0, t.L.out_shape, 4, true), 0);
		}
		CHECK_EQ_INT(t.r->n_stats(&t.net, 0, t.L.out_shape), 0);
		CHECK_EQ_INT(t.r->row_floats(&t.net, 0, t.L.in_shape, t.L.out_shape), 0);
		CHECK_EQ_INT(t.r->activation(&t.net, 0), dc->s.act);
		free_layer(&t);
	}
}

/* the deviation of n weights */
static double
deviation(const float *w, size_t n)
{
	double		ss = 0.0;

	for (size_t i = 0; i < n; i++)
		ss += (double) w[i] * w[i];
	return sqrt(ss / n);
}

/*
 * He: sqrt(2 / fan_in), fan_in kernel_h x kernel_w for the depthwise
 * weights, the channels for the pointwise ones; Xavier adds the fan-out
 * (multiplier x area; filters); biases zero.
 */
static void
test_init(void)
{
	NNDepthwiseSettings dw = {0, 4, {5, 3, 1, 1, 0, 0, 0, 0}, NN_ACT_RELU};
	NNDepthwiseSettings sep = {48, 1, {3, 3, 1, 1, 0, 0, 0, 0}, NN_ACT_RELU};
	NNShape		in = shape3(64, 8, 8);
	NNNet		net;
	NNShape		out;
	float	   *p;
	NNRng		rng;
	size_t		nd = 64 * 4 * 15;
	size_t		ns = 64 * 9;
	bool		zero_b = true;

	nn_rng_seed(&rng, 1704);
	memset(&net, 0, sizeof(net));
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &dw);
	out = nn_depthwise_conv2d_layer.out_shape(&net, 0, in);
	p = xcalloc(nd + 256, sizeof(float));
	nn_depthwise_conv2d_layer.init(&net, 0, in, out, p, NULL, NN_INIT_AUTO, &rng);
	CHECK_CLOSE(deviation(p, nd), sqrt(2.0 / 15.0), 0.0, 0.05);
	for (size_t i = 0; i < 256; i++)
		zero_b = zero_b && p[nd + i] == 0.0f;
	nn_depthwise_conv2d_layer.init(&net, 0, in, out, p, NULL, NN_INIT_XAVIER, &rng);
	CHECK_CLOSE(deviation(p, nd), sqrt(2.0 / (15.0 + 60.0)), 0.0, 0.05);
	free(p);

	nn_depthwise_set(&net, 0, NN_LAYER_SEPARABLE_CONV2D, &sep);
	out = nn_separable_conv2d_layer.out_shape(&net, 0, in);
	p = xcalloc(ns + 48 * 64 + 48, sizeof(float));
	nn_separable_conv2d_layer.init(&net, 0, in, out, p, NULL, NN_INIT_AUTO, &rng);
	CHECK_CLOSE(deviation(p, ns), sqrt(2.0 / 9.0), 0.0, 0.1);
	CHECK_CLOSE(deviation(p + ns, 48 * 64), sqrt(2.0 / 64.0), 0.0, 0.05);
	for (size_t i = 0; i < 48; i++)
		zero_b = zero_b && p[ns + 48 * 64 + i] == 0.0f;
	nn_separable_conv2d_layer.init(&net, 0, in, out, p, NULL, NN_INIT_XAVIER, &rng);
	CHECK_CLOSE(deviation(p + ns, 48 * 64), sqrt(2.0 / (64.0 + 48.0)), 0.0, 0.05);
	CHECK(zero_b);
	free(p);
}

/* the check of each rule, one setting off a valid one at a time */
static void
test_settings(void)
{
	NNDepthwiseSettings ok = {0, 2, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_RELU};
	NNDepthwiseSettings s;
	NNNet		net;
	const NNLayerRoutine *dw = &nn_depthwise_conv2d_layer;
	const NNLayerRoutine *sep = &nn_separable_conv2d_layer;

	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	net.shapes[0] = shape3(3, 4, 4);
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &ok);
	CHECK_EQ_INT(net.layers[0].kind, NN_LAYER_DEPTHWISE_CONV2D);
	CHECK(dw->check(&net, 0, false) == NULL);
	CHECK(dw->check(&net, 0, true) != NULL);

	s = ok;
	s.act = NN_ACT_SOFTMAX;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->check(&net, 0, false) != NULL);
	s.act = NN_ACT_COUNT;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->check(&net, 0, false) != NULL);
	/* depthwise: a multiplier and no filters */
	s = ok;
	s.multiplier = 0;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->out_shape(&net, 0, net.shapes[0]).rank == 0);
	CHECK(dw->check(&net, 0, false) != NULL);
	s = ok;
	s.filters = 4;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->check(&net, 0, false) != NULL);
	/* separable: filters, and a multiplier of 1 */
	s = ok;
	s.filters = 4;
	s.multiplier = 1;
	nn_depthwise_set(&net, 0, NN_LAYER_SEPARABLE_CONV2D, &s);
	CHECK_EQ_INT(net.layers[0].kind, NN_LAYER_SEPARABLE_CONV2D);
	CHECK(sep->check(&net, 0, false) == NULL);
	CHECK_EQ_INT(sep->out_shape(&net, 0, net.shapes[0]).dims[0], 4);
	s.multiplier = 2;
	nn_depthwise_set(&net, 0, NN_LAYER_SEPARABLE_CONV2D, &s);
	CHECK(sep->check(&net, 0, false) != NULL);
	s.multiplier = 1;
	s.filters = 0;
	nn_depthwise_set(&net, 0, NN_LAYER_SEPARABLE_CONV2D, &s);
	CHECK(sep->check(&net, 0, false) != NULL);
	CHECK(sep->out_shape(&net, 0, net.shapes[0]).rank == 0);
	/* padding as large as the kernel, on each side */
	for (int side = 0; side < 4; side++)
	{
		s = ok;
		(&s.window.pad_top)[side] = 3;
		nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
		CHECK_MSG(dw->check(&net, 0, false) != NULL, "padding side %d", side);
	}
	s = ok;
	s.window.kernel_h = 7;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->out_shape(&net, 0, net.shapes[0]).rank == 0);
	CHECK(dw->check(&net, 0, false) != NULL);
	s = ok;
	s.window.stride_w = 0;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->out_shape(&net, 0, net.shapes[0]).rank == 0);
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &ok);
	CHECK(dw->out_shape(&net, 0, nn_shape_vector(48)).rank == 0);
	CHECK(dw->out_shape(&net, 0, shape3(0, 4, 4)).rank == 0);
	/* the output channels: channels x multiplier */
	CHECK_EQ_INT(dw->out_shape(&net, 0, net.shapes[0]).dims[0], 6);
	/* ones that wrap a u32 channel count are refused */
	s = ok;
	s.multiplier = 255;
	nn_depthwise_set(&net, 0, NN_LAYER_DEPTHWISE_CONV2D, &s);
	CHECK(dw->out_shape(&net, 0, shape3(300, 3, 3)).rank == 0);
}

/* ------------------------------------------------------------ global pooling */

/* means of each plane; each input's gradient is its plane's over its size */
static void
test_global_pool(void)
{
	NNRng		rng;
	Layer		t;
	const NNLayerRoutine *r = &nn_global_avg_pool2d_layer;
	size_t		nx;
	double	   *an,
			   *nu;
	NNNet		net;

	nn_rng_seed(&rng, 1705);
	if (!CHECK(make_layer(&t, r, "", 0, shape3(3, 5, 4), 2, &rng)))
		return;
	CHECK(t.L.out_shape.rank == 3 && t.L.out_shape.dims[0] == 3 &&
		  t.L.out_shape.dims[1] == 1 && t.L.out_shape.dims[2] == 1);
	t.r->forward(&t.L);
	for (size_t p = 0; p < 6; p++)
	{
		double		sum = 0.0;

		for (size_t i = 0; i < 20; i++)
			sum += t.x[p * 20 + i];
		CHECK_CLOSE(t.out[p], sum / 20.0, 1e-6, 0.0);
	}
	CHECK_EQ_INT(n_params(&t), 0);
	CHECK_EQ_INT(t.r->work_floats(&t.net, 0, t.L.out_shape, 2, true), 0);
	nx = 2 * t.L.in_size;
	an = xcalloc(nx, sizeof(double));
	nu = xcalloc(nx, sizeof(double));
	layer_gradients(&t, true, an, nu);
	CHECK_GRAD("global pool dL/dx", an, nu, nx, 1e-4, 1e-3, 1e-3);
	free(an);
	free(nu);
	free_layer(&t);

	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	nn_global_pool_set(&net, 0);
	CHECK_EQ_INT(net.layers[0].kind, NN_LAYER_GLOBAL_AVG_POOL2D);
	net.shapes[0] = shape3(2, 3, 3);
	CHECK(r->check(&net, 0, false) == NULL);
	CHECK(r->check(&net, 0, true) != NULL);
	net.shapes[0] = nn_shape_vector(18);
	CHECK(r->check(&net, 0, false) != NULL);
	CHECK(r->out_shape(&net, 0, shape3(2, 0, 3)).rank == 0);
	CHECK_EQ_INT(r->activation(&net, 0), NN_ACT_IDENTITY);
}

int
main(void)
{
	RUN_TEST(test_forward_direct);
	RUN_TEST(test_gradients);
	RUN_TEST(test_tensors);
	RUN_TEST(test_init);
	RUN_TEST(test_settings);
	RUN_TEST(test_global_pool);
	return harness_finish("test_depthwise");
}
