/*
 * test_conv.c - the conv2d and pooling kernels, called through their
 * NNLayerRoutines directly (test_layers.c walks them through the table): im2col
 * against its adjoint col2im, conv2d forward against a direct
 * convolution, finite-difference checks of the weight, bias and input
 * gradients at odd sizes (stride 2, asymmetric padding, a 3x2 and a 1x1
 * kernel, one channel, a batch of 3 and one of 9 in 8 groups, images
 * lowered whole, one run a tap, and in several pieces),
 * pooling against direct loops, its tie rule and its gradients, and the
 * settings checks.
 */
#include "conv2d_layer.h"
#include "harness.h"
#include "interrupt.h"
#include "layertest.h"
#include "pool_layer.h"

/* ------------------------------------------------------------ conv2d cases */

typedef struct ConvCase
{
	const char *what;
	uint32_t	c, h, w;
	size_t		batch;
	NNConv2dSettings s;
	size_t		piece_floats;	/* a smaller piece than the default, or 0 */
} ConvCase;

/* filters, kh, kw, sh, sw, pad t, l, b, r, act, bn */
static const ConvCase conv_cases[] = {
	{"3x3 stride 1, no padding", 2, 5, 6, 2, {3, {3, 3, 1, 1, 0, 0, 0, 0}, NN_ACT_TANH, 0, 0.0f}, 0},
	{"3x2 stride 2, padding 1/0/2/1", 3, 7, 5, 3, {4, {3, 2, 2, 2, 1, 0, 2, 1}, NN_ACT_TANH, 0, 0.0f}, 0},
	{"1x1, one channel", 1, 4, 3, 3, {2, {1, 1, 1, 1, 0, 0, 0, 0}, NN_ACT_SIGMOID, 0, 0.0f}, 0},
	{"1x1 stride 2, identity", 3, 5, 5, 1, {1, {1, 1, 2, 2, 0, 0, 0, 0}, NN_ACT_IDENTITY, 0, 0.0f}, 0},
	{"one channel, 2x3 stride 2x1, padding 1", 1, 6, 7, 3, {2, {2, 3, 2, 1, 1, 1, 1, 1}, NN_ACT_TANH, 0, 0.0f}, 0},
	/* 36 floats a patch, 70 positions a piece: 6 pieces an image, the last of 50 */
	{"pieces within images", 4, 20, 20, 2, {2, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH, 0, 0.0f}, 36 * 70},
	/* stride 1, "same": whole images lowered one run a tap (im2col.c) */
	{"one piece an image, 3 images", 2, 6, 6, 3, {3, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH, 0, 0.0f}, 0},
	/* 9 images: 8 groups, one of two images, for the weight gradient */
	{"9 images, 8 groups", 1, 5, 4, 9, {2, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH, 0, 0.0f}, 0},
	/* the bias gradient sums 8 filters side by side, then the ninth alone */
	{"9 filters", 2, 5, 5, 3, {9, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH, 0, 0.0f}, 0},
};

#define N_CONV_CASES (sizeof(conv_cases) / sizeof(conv_cases[0]))

/* out of a direct convolution, before the activation, in double */
static double
direct_conv(const Layer *t, const NNConv2dSettings *s, size_t n, size_t f,
			size_t oy, size_t ox)
{
	size_t		C = t->L.in_shape.dims[0];
	size_t		H = t->L.in_shape.dims[1];
	size_t		W = t->L.in_shape.dims[2];
	size_t		K = C * s->window.kernel_h * s->window.kernel_w;
	double		sum = t->params[(size_t) s->filters * K + f];

	for (size_t c = 0; c < C; c++)
		for (size_t i = 0; i < s->window.kernel_h; i++)
			for (size_t j = 0; j < s->window.kernel_w; j++)
			{
				long		y = (long) (oy * s->window.stride_h + i) - s->window.pad_top;
				long		x = (long) (ox * s->window.stride_w + j) - s->window.pad_left;

				if (y < 0 || x < 0 || y >= (long) H || x >= (long) W)
					continue;
				sum += (double) t->params[((f * C + c) * s->window.kernel_h + i) * s->window.kernel_w + j] *
					t->x[((n * C + c) * H + (size_t) y) * W + (size_t) x];
			}
	return sum;
}

static void
test_conv_forward_direct(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1501);
	for (size_t k = 0; k < N_CONV_CASES; k++)
	{
		const ConvCase *cc = &conv_cases[k];
		Layer		t;
		size_t		F = cc->s.filters;
		size_t		P;
		double		worst = 0.0;

		nn_conv2d_set_piece_floats(cc->piece_floats);
		if (!CHECK_MSG(make_layer(&t, &nn_conv2d_layer, &cc->s, sizeof(cc->s),
								  shape3(cc->c, cc->h, cc->w), cc->batch, &rng),
					   "%s: layer rejected", cc->what))
			continue;
		P = t.L.out_shape.dims[1] * t.L.out_shape.dims[2];
		t.r->forward(&t.L);
		for (size_t n = 0; n < cc->batch; n++)
			for (size_t f = 0; f < F; f++)
				for (size_t p = 0; p < P; p++)
				{
					double		e = apply_act(cc->s.act,
											  direct_conv(&t, &cc->s, n, f,
														  p / t.L.out_shape.dims[2],
														  p % t.L.out_shape.dims[2]));
					double		a = t.out[(n * F + f) * P + p];

					worst = fmax(worst, fabs(a - e));
				}
		CHECK_MSG(worst < 1e-5, "%s: forward differs from direct by %g",
				  cc->what, worst);

		/* training mode lowers into its own block: the same bytes */
		check_forward_modes(&t, cc->what);
		free_layer(&t);
	}
}

/* the output shape of each case, by hand */
static void
test_conv_shapes(void)
{
	/* (H + pt + pb - kh) / sh + 1, (W + pl + pr - kw) / sw + 1 */
	static const uint32_t expect[N_CONV_CASES][3] = {
		{3, 3, 4}, {4, 4, 3}, {2, 4, 3}, {1, 3, 3}, {2, 4, 7}, {2, 20, 20}, {3, 6, 6}, {2, 5, 4},
		{9, 5, 5},
	};
	NNRng		rng;

	nn_rng_seed(&rng, 1502);
	for (size_t k = 0; k < N_CONV_CASES; k++)
	{
		const ConvCase *cc = &conv_cases[k];
		Layer		t;
		NNTensor	ts[NN_LAYER_MAX_TENSORS];
		size_t		K = (size_t) cc->c * cc->s.window.kernel_h * cc->s.window.kernel_w;

		nn_conv2d_set_piece_floats(cc->piece_floats);
		if (!CHECK(make_layer(&t, &nn_conv2d_layer, &cc->s, sizeof(cc->s),
							  shape3(cc->c, cc->h, cc->w), cc->batch, &rng)))
			continue;
		CHECK_EQ_INT(t.L.out_shape.rank, 3);
		for (int d = 0; d < 3; d++)
			CHECK_EQ_INT(t.L.out_shape.dims[d], expect[k][d]);
		CHECK_EQ_INT(n_params(&t), cc->s.filters * (K + 1));
		CHECK_EQ_INT(t.r->tensors(&t.net, 0, t.L.in_shape, t.L.out_shape, ts), 2);
		CHECK(strcmp(ts[0].name, "W") == 0 && ts[0].offset == 0 &&
			  ts[0].size == cc->s.filters * K && ts[0].weight);
		CHECK(strcmp(ts[1].name, "b") == 0 && ts[1].offset == cc->s.filters * K &&
			  ts[1].size == cc->s.filters && !ts[1].weight);
		CHECK_EQ_INT(t.r->n_stats(&t.net, 0, t.L.out_shape), 0);
		CHECK_EQ_INT(t.r->row_floats(&t.net, 0, t.L.in_shape, t.L.out_shape), 0);
		CHECK_EQ_INT(t.r->activation(&t.net, 0), cc->s.act);
		free_layer(&t);
	}
}

/*
 * Finite differences of the loss against backward: W and b (training),
 * the input in training and in inference mode (which must agree: no
 * statistics), and from the pre-activation for identity layers.
 */
static void
test_conv_gradients(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1503);
	for (size_t k = 0; k < N_CONV_CASES; k++)
	{
		const ConvCase *cc = &conv_cases[k];
		Layer		t;

		nn_conv2d_set_piece_floats(cc->piece_floats);
		if (!CHECK(make_layer(&t, &nn_conv2d_layer, &cc->s, sizeof(cc->s),
							  shape3(cc->c, cc->h, cc->w), cc->batch, &rng)))
			continue;
		check_layer_gradients(&t, cc->what, 2e-3, NULL);
		free_layer(&t);
	}
}

/* channels, height, width, kernel h, w, stride h, w, pad t, l, b, r (out h, w: 0) */
static const struct
{
	const char *what;
	NNConvGeom	g;
}			lower_cases[] = {
	{"3x2 stride 2x1, padding 1/1/2/0", {2, 5, 4, 3, 2, 2, 1, 1, 1, 2, 0, 0, 0}},
	{"3x3 stride 1, no padding", {2, 5, 6, 3, 3, 1, 1, 0, 0, 0, 0, 0, 0}},
	/* stride 1, rows as wide as the image's: one run a tap (PlaneShift) */
	{"3x3 same", {2, 6, 5, 3, 3, 1, 1, 1, 1, 1, 1, 0, 0}},
	{"5x5 same on 3 columns: taps past both sides", {1, 4, 3, 5, 5, 1, 1, 2, 2, 2, 2, 0, 0}},
	{"3x2, padding on the left only", {3, 5, 4, 3, 2, 1, 1, 0, 1, 0, 0, 0, 0}},
};

/*
 * The lowered matrix's columns q0 .. q0 + n - 1 by definition: entry (k,
 * q) is tap k's value at output position q, 0 on padding.  to_col: copy
 * into col; else add col into im, tap by tap (the documented order of
 * col2im's sums).
 */
static void
naive_lowering(const NNConvGeom *g, float *im, float *col, size_t q0,
			   size_t n, bool to_col)
{
	size_t		K = nn_conv_geom_patch(g);

	for (size_t k = 0; k < K; k++)
	{
		size_t		c = k / (g->kernel_h * g->kernel_w);
		size_t		ki = k / g->kernel_w % g->kernel_h;
		size_t		kj = k % g->kernel_w;

		for (size_t j = 0; j < n; j++)
		{
			size_t		q = q0 + j;
			long		y = (long) (q / g->out_w * g->stride_h + ki) - (long) g->pad_top;
			long		x = (long) (q % g->out_w * g->stride_w + kj) - (long) g->pad_left;
			bool		inside = y >= 0 && x >= 0 && y < (long) g->height && x < (long) g->width;
			float	   *v = inside ? im + (c * g->height + (size_t) y) * g->width + (size_t) x : NULL;

			if (to_col)
				col[k * n + j] = v != NULL ? *v : 0.0f;
			else if (v != NULL)
				*v += col[k * n + j];
		}
	}
}

static int	interrupt_checks;

static void
count_checks(void)
{
	interrupt_checks++;
}

/* a training forward and backward: out, the gradients and dx */
static void
train_pass(Layer *t, float *out, float *grads, float *dx)
{
	size_t		ny = t->batch * t->L.out_size;
	float	   *d = xcalloc(ny, sizeof(float));

	t->r->forward_train(&t->L, NULL);
	memcpy(out, t->out, ny * sizeof(float));
	memcpy(d, t->weights, ny * sizeof(float));
	t->r->backward(&t->L, d, NN_BACK_FROM_OUTPUT, dx, true, false);
	memcpy(grads, t->grads, n_params(t) * sizeof(float));
	free(d);
}

/*
 * A pass in rounds of one image a group gives the same bytes as in one
 * round, and checks for interrupts after each round: at least the
 * largest group's images, forward and backward.
 */
static void
test_conv_rounds(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1506);
	for (size_t k = 0; k < N_CONV_CASES; k++)
	{
		const ConvCase *cc = &conv_cases[k];
		Layer		t;
		size_t		ny,
					nx,
					np;
		size_t		most = (cc->batch + 7) / 8;
		float	   *out[2],
				   *grads[2],
				   *dx[2];

		nn_conv2d_set_piece_floats(cc->piece_floats);
		if (!CHECK(make_layer(&t, &nn_conv2d_layer, &cc->s, sizeof(cc->s),
							  shape3(cc->c, cc->h, cc->w), cc->batch, &rng)))
			continue;
		ny = t.batch * t.L.out_size;
		nx = t.batch * t.L.in_size;
		np = n_params(&t);
		for (int r = 0; r < 2; r++)
		{
			out[r] = xcalloc(ny, sizeof(float));
			grads[r] = xcalloc(np, sizeof(float));
			dx[r] = xcalloc(nx, sizeof(float));
		}
		train_pass(&t, out[0], grads[0], dx[0]);
		nn_conv2d_set_round_work(1);
		interrupt_checks = 0;
		nn_interrupt_hook = count_checks;
		train_pass(&t, out[1], grads[1], dx[1]);
		nn_interrupt_hook = NULL;
		nn_conv2d_set_round_work(0);
		CHECK_MSG(memcmp(out[0], out[1], ny * sizeof(float)) == 0 &&
				  memcmp(grads[0], grads[1], np * sizeof(float)) == 0 &&
				  memcmp(dx[0], dx[1], nx * sizeof(float)) == 0,
				  "%s: rounds of one image changed the bytes", cc->what);
		CHECK_MSG(interrupt_checks >= (int) (2 * most),
				  "%s: %d interrupt checks, expected at least %zu", cc->what,
				  interrupt_checks, 2 * most);
		for (int r = 0; r < 2; r++)
		{
			free(out[r]);
			free(grads[r]);
			free(dx[r]);
		}
		free_layer(&t);
	}
	nn_conv2d_set_piece_floats(0);
}

/*
 * One image: im2col and col2im against their definition, byte for byte,
 * whole (one run a tap where the geometry allows) and in pieces of 3
 * columns (walked output row by row), col2im into a zeroed image as
 * training's; and <col2im(c), x> = <c, im2col(x)>: col2im is im2col's
 * adjoint.
 */
static void
test_im2col_adjoint(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1504);
	for (size_t k = 0; k < sizeof(lower_cases) / sizeof(lower_cases[0]); k++)
	{
		NNConvGeom	g = lower_cases[k].g;
		const char *what = lower_cases[k].what;
		size_t		K,
					P,
					nx;
		float	   *x,
				   *c,
				   *scratch,
				   *lowered,
				   *expect,
				   *back,
				   *back_expect;
		double		lhs = 0.0,
					rhs = 0.0;

		if (!CHECK_MSG(nn_conv_geom_finish(&g), "%s: no geometry", what))
			continue;
		K = nn_conv_geom_patch(&g);
		P = nn_conv_geom_positions(&g);
		nx = g.channels * g.height * g.width;
		x = xcalloc(nx, sizeof(float));
		back = xcalloc(nx, sizeof(float));
		back_expect = xcalloc(nx, sizeof(float));
		c = xcalloc(K * P, sizeof(float));
		scratch = xcalloc(K * P, sizeof(float));
		lowered = xcalloc(K * P, sizeof(float));
		expect = xcalloc(K * P, sizeof(float));
		fill_uniform(&rng, x, nx, -1.0, 1.0);
		fill_uniform(&rng, c, K * P, -1.0, 1.0);

		/* every entry must be written, padding's too */
		for (size_t i = 0; i < K * P; i++)
			lowered[i] = 7.0f;
		nn_im2col_image(&g, x, 0, P, lowered);
		naive_lowering(&g, x, expect, 0, P, true);
		CHECK_MSG(memcmp(lowered, expect, K * P * sizeof(float)) == 0,
				  "%s: im2col of the whole image differs", what);
		memcpy(scratch, c, K * P * sizeof(float));
		nn_col2im_image(&g, scratch, 0, P, back);
		naive_lowering(&g, back_expect, c, 0, P, false);
		CHECK_MSG(memcmp(back, back_expect, nx * sizeof(float)) == 0,
				  "%s: col2im of the whole image differs", what);
		for (size_t i = 0; i < K * P; i++)
			rhs += (double) c[i] * lowered[i];
		for (size_t i = 0; i < nx; i++)
			lhs += (double) back[i] * x[i];
		CHECK_MSG(fabs(lhs - rhs) <= 1e-6 + 1e-9 * fabs(rhs),
				  "%s: <col2im(c), x> %g, <c, im2col(x)> %g", what, lhs, rhs);

		memset(back, 0, nx * sizeof(float));
		memset(back_expect, 0, nx * sizeof(float));
		for (size_t q0 = 0; q0 < P; q0 += 3)
		{
			size_t		n = P - q0 < 3 ? P - q0 : 3;

			nn_im2col_image(&g, x, q0, n, lowered);
			naive_lowering(&g, x, expect, q0, n, true);
			CHECK_MSG(memcmp(lowered, expect, K * n * sizeof(float)) == 0,
					  "%s: im2col of columns %zu.. differs", what, q0);
			for (size_t r = 0; r < K; r++)
				for (size_t j = 0; j < n; j++)
					scratch[r * n + j] = c[r * P + q0 + j];
			naive_lowering(&g, back_expect, scratch, q0, n, false);
			nn_col2im_image(&g, scratch, q0, n, back);
		}
		CHECK_MSG(memcmp(back, back_expect, nx * sizeof(float)) == 0,
				  "%s: col2im by pieces differs", what);
		if (k == 0)
		{
			nn_im2col_image(&g, x, 0, P, lowered);
			/* entry (tap 0, column 0): channel 0, row -1: padding */
			CHECK(lowered[0] == 0.0f);
			/* tap (c 1, ki 1, kj 1) at column 1: x[1][0][1] */
			CHECK(lowered[(1 * 6 + 1 * 2 + 1) * P + 1] == x[(1 * 5 + 0) * 4 + 1]);
		}
		free(x);
		free(back);
		free(back_expect);
		free(c);
		free(scratch);
		free(lowered);
		free(expect);
	}
}

static void
test_conv_settings(void)
{
	NNConv2dSettings ok = {2, {3, 3, 1, 1, 0, 0, 0, 0}, NN_ACT_RELU, 0, 0.0f};
	NNConv2dSettings s;
	NNNet		net;
	NNConvGeom	g;
	uint8_t		a,
				b;

	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	net.shapes[0] = shape3(3, 4, 4);
	nn_conv2d_set(&net, 0, &ok);
	CHECK(nn_conv2d_layer.check(&net, 0, false) == NULL);
	CHECK(nn_conv2d_layer.check(&net, 0, true) != NULL);

	s = ok;
	s.act = NN_ACT_SOFTMAX;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	/* batch norm is a flag; dropout a rate in [0, 1), NaN not */
	s = ok;
	s.batch_norm = 1;
	s.dropout = 0.5f;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) == NULL);
	s.batch_norm = 2;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	s = ok;
	s.dropout = 1.0f;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	s.dropout = -0.25f;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	s.dropout = NAN;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	s = ok;
	s.window.pad_right = 3;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	s = ok;
	s.window.kernel_h = 5;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.out_shape(&net, 0, net.shapes[0]).rank == 0);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	s = ok;
	s.window.stride_w = 0;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.out_shape(&net, 0, net.shapes[0]).rank == 0);
	s = ok;
	s.filters = 0;
	nn_conv2d_set(&net, 0, &s);
	CHECK(nn_conv2d_layer.out_shape(&net, 0, net.shapes[0]).rank == 0);
	nn_conv2d_set(&net, 0, &ok);
	CHECK(nn_conv2d_layer.out_shape(&net, 0, nn_shape_vector(48)).rank == 0);

	/* a patch larger than a piece: 30000 channels x 3 x 3 */
	net.shapes[0] = shape3(30000, 4, 4);
	CHECK(nn_conv2d_layer.check(&net, 0, false) != NULL);
	/* the largest patch that fits takes one position a piece */
	net.shapes[0] = shape3(NN_CONV_PIECE_FLOATS / 9, 3, 3);
	CHECK(nn_conv2d_layer.check(&net, 0, false) == NULL);
	CHECK(nn_conv2d_geom(&net, 0, net.shapes[0], &g));
	CHECK_EQ_INT(nn_conv2d_piece(&g), 1);
	net.shapes[1] = nn_conv2d_layer.out_shape(&net, 0, net.shapes[0]);
	/*
	 * 8 groups for a batch of 64, each with room for a piece of patches
	 * (one position) and in training its sums of dW (2 filters x K) and db
	 */
	CHECK_EQ_INT(nn_conv2d_layer.work_floats(&net, 0, net.shapes[1], 64, true),
				 8 * (3 * (NN_CONV_PIECE_FLOATS / 9) * 9 + 2));
	CHECK_EQ_INT(nn_conv2d_layer.work_floats(&net, 0, net.shapes[1], 64, false),
				 8 * (NN_CONV_PIECE_FLOATS / 9) * 9);
	/* a batch of 3: 3 groups */
	CHECK_EQ_INT(nn_conv2d_layer.work_floats(&net, 0, net.shapes[1], 3, false),
				 3 * (NN_CONV_PIECE_FLOATS / 9) * 9);
	/* small images: a piece is the whole image, never more */
	net.shapes[0] = shape3(2, 5, 5);
	CHECK(nn_conv2d_geom(&net, 0, net.shapes[0], &g));
	CHECK_EQ_INT(nn_conv2d_piece(&g), 9);

	/* "same": ceil(size / stride) outputs, the odd padding at the end */
	nn_conv2d_same_padding(28, 3, 1, &a, &b);
	CHECK(a == 1 && b == 1);
	nn_conv2d_same_padding(28, 3, 2, &a, &b);
	CHECK(a == 0 && b == 1);
	nn_conv2d_same_padding(5, 2, 2, &a, &b);
	CHECK(a == 0 && b == 1);
	nn_conv2d_same_padding(7, 1, 1, &a, &b);
	CHECK(a == 0 && b == 0);
	nn_conv2d_same_padding(6, 4, 1, &a, &b);
	CHECK(a == 1 && b == 2);
	nn_conv2d_same_padding(9, 3, 3, &a, &b);
	CHECK(a == 0 && b == 0);
}

/* He: the weights' deviation is sqrt(2 / fan_in), fan_in = C kh kw */
static void
test_conv_init(void)
{
	NNConv2dSettings s = {64, {3, 2, 1, 1, 0, 0, 0, 0}, NN_ACT_RELU, 0, 0.0f};
	NNNet		net;
	NNShape		in = shape3(5, 6, 6);
	NNShape		out;
	size_t		nw = 64 * 5 * 3 * 2;
	float	   *p;
	double		ss = 0.0;
	bool		zero_b = true;
	NNRng		rng;

	nn_rng_seed(&rng, 1505);
	memset(&net, 0, sizeof(net));
	nn_conv2d_set(&net, 0, &s);
	out = nn_conv2d_layer.out_shape(&net, 0, in);
	p = xcalloc(nw + 64, sizeof(float));
	nn_conv2d_layer.init(&net, 0, in, out, p, NULL, NN_INIT_AUTO, &rng);
	for (size_t i = 0; i < nw; i++)
		ss += (double) p[i] * p[i];
	for (size_t i = 0; i < 64; i++)
		zero_b = zero_b && p[nw + i] == 0.0f;
	CHECK_CLOSE(sqrt(ss / nw), sqrt(2.0 / 30.0), 0.0, 0.05);
	CHECK(zero_b);
	free(p);
}

/* ------------------------------------------------------------ pooling */

typedef struct PoolCase
{
	const char *what;
	uint32_t	c, h, w;
	size_t		batch;
	NNPoolSettings s;
} PoolCase;

/* size h, w, stride h, w, pad t, l, b, r */
static const PoolCase pool_cases[] = {
	{"2x2 stride 2", 2, 4, 6, 3, {{2, 2, 2, 2, 0, 0, 0, 0}}},
	{"3x3 stride 2, padding 1", 1, 7, 5, 2, {{3, 3, 2, 2, 1, 1, 1, 1}}},
	{"3x2 stride 1x2, padding 0/1/2/0", 3, 5, 5, 3, {{3, 2, 1, 2, 0, 1, 2, 0}}},
	{"odd size, floor", 2, 5, 5, 1, {{2, 2, 2, 2, 0, 0, 0, 0}}},
};

#define N_POOL_CASES (sizeof(pool_cases) / sizeof(pool_cases[0]))

/* max or mean of the window's inside values, in double */
static double
direct_pool(const Layer *t, const NNPoolSettings *s, bool max, size_t plane,
			size_t oy, size_t ox)
{
	size_t		H = t->L.in_shape.dims[1];
	size_t		W = t->L.in_shape.dims[2];
	double		best = -INFINITY,
				sum = 0.0;
	size_t		n = 0;

	for (size_t i = 0; i < s->window.kernel_h; i++)
		for (size_t j = 0; j < s->window.kernel_w; j++)
		{
			long		y = (long) (oy * s->window.stride_h + i) - s->window.pad_top;
			long		x = (long) (ox * s->window.stride_w + j) - s->window.pad_left;
			double		v;

			if (y < 0 || x < 0 || y >= (long) H || x >= (long) W)
				continue;
			v = t->x[(plane * H + (size_t) y) * W + (size_t) x];
			best = fmax(best, v);
			sum += v;
			n++;
		}
	return max ? best : sum / n;
}

/*
 * Inputs a shuffle of distinct multiples of 0.05, so no two are within
 * 2 FD_H of each other and max pooling is differentiable at them.
 */
static void
distinct_inputs(float *x, size_t n, NNRng *rng)
{
	for (size_t i = 0; i < n; i++)
		x[i] = (float) (0.05 * ((double) i - n / 2.0));
	for (size_t i = n - 1; i > 0; i--)
	{
		size_t		j = (size_t) (nn_rng_uniform(rng) * (i + 1));
		float		v = x[i];

		x[i] = x[j];
		x[j] = v;
	}
}

static void
test_pool_forward_and_gradients(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1506);
	for (int m = 0; m < 2; m++)
		for (size_t k = 0; k < N_POOL_CASES; k++)
		{
			const PoolCase *pc = &pool_cases[k];
			const NNLayerRoutine *r = m == 0 ? &nn_max_pool2d_layer : &nn_avg_pool2d_layer;
			Layer		t;
			size_t		nx,
						ny,
						P;
			double	   *an,
					   *nu,
						worst = 0.0;
			float	   *d,
					   *dx;
			char		what[128];

			if (!CHECK_MSG(make_layer(&t, r, &pc->s, sizeof(pc->s),
									  shape3(pc->c, pc->h, pc->w), pc->batch, &rng),
						   "%s %s: rejected", r->name, pc->what))
				continue;
			nx = pc->batch * t.L.in_size;
			ny = pc->batch * t.L.out_size;
			P = t.L.out_shape.dims[1] * t.L.out_shape.dims[2];
			CHECK_EQ_INT(t.L.out_shape.dims[0], pc->c);
			CHECK_EQ_INT(n_params(&t), 0);
			/* max pooling keeps one winner per output in training */
			CHECK_EQ_INT(t.r->work_floats(&t.net, 0, t.L.out_shape, pc->batch, true),
						 m == 0 ? pc->batch * t.L.out_size : 0);
			CHECK_EQ_INT(t.r->work_floats(&t.net, 0, t.L.out_shape, pc->batch, false), 0);
			distinct_inputs(t.x, nx, &rng);

			CHECK(t.r->forward_train(&t.L, NULL) == t.out);
			for (size_t i = 0; i < ny; i++)
				worst = fmax(worst, fabs(t.out[i] -
										 direct_pool(&t, &pc->s, m == 0, i / P,
													 i % P / t.L.out_shape.dims[2],
													 i % P % t.L.out_shape.dims[2])));
			CHECK_MSG(worst < 1e-6, "%s %s: forward differs from direct by %g",
					  r->name, pc->what, worst);

			an = xcalloc(nx, sizeof(double));
			nu = xcalloc(nx, sizeof(double));
			d = xcalloc(ny, sizeof(float));
			dx = xcalloc(nx, sizeof(float));
			memcpy(d, t.weights, ny * sizeof(float));
			fill_uniform(&rng, dx, nx, 5.0, 6.0);
			t.r->backward(&t.L, d, NN_BACK_FROM_OUTPUT, dx, true, false);
			for (size_t i = 0; i < nx; i++)
			{
				float		keep = t.x[i];
				double		up,
							down;

				an[i] = dx[i];
				t.x[i] = keep + FD_H;
				up = layer_loss(&t);
				t.x[i] = keep - FD_H;
				down = layer_loss(&t);
				t.x[i] = keep;
				nu[i] = (up - down) / (2.0 * FD_H);
			}
			snprintf(what, sizeof(what), "%s %s: dL/dx", r->name, pc->what);
			CHECK_GRAD(what, an, nu, nx, 1e-4, 1e-3, 1e-3);

			/* inference mode finds the winners again: the same gradient */
			memcpy(d, t.weights, ny * sizeof(float));
			fill_uniform(&rng, dx, nx, 5.0, 6.0);
			t.r->backward(&t.L, d, NN_BACK_FROM_OUTPUT, dx, false, false);
			for (size_t i = 0; i < nx; i++)
				CHECK_MSG(dx[i] == (float) an[i], "%s %s: inference dL/dx[%zu] %g, training %g",
						  r->name, pc->what, i, dx[i], an[i]);
			free(an);
			free(nu);
			free(d);
			free(dx);
			free_layer(&t);
		}
}

/*
 * Ties: the first maximum in row-major window order wins and alone gets
 * the gradient; padding never wins, even over negative values; an average
 * over a padded window divides by the inside values only.
 */
static void
test_pool_ties_and_padding(void)
{
	NNPoolSettings two = {{2, 2, 2, 2, 0, 0, 0, 0}};
	NNPoolSettings padded = {{2, 2, 2, 2, 1, 1, 0, 0}};
	/* one 2x4 plane: windows {7 3 / 7 7}, {1 5 / 5 2} */
	static const float plane[8] = {7, 3, 1, 5, 7, 7, 5, 2};
	float		d[2] = {1.0f, 10.0f};
	float		dx[8];
	Layer		t;
	NNRng		rng;

	nn_rng_seed(&rng, 1507);
	if (CHECK(make_layer(&t, &nn_max_pool2d_layer, &two, sizeof(two),
						 shape3(1, 2, 4), 1, &rng)))
	{
		memcpy(t.x, plane, sizeof(plane));
		t.r->forward(&t.L);
		CHECK(t.out[0] == 7.0f && t.out[1] == 5.0f);
		t.r->backward(&t.L, d, NN_BACK_FROM_OUTPUT, dx, false, false);
		/* 7 at (0,0) before (1,0) and (1,1); 5 at (0,3) before (1,2) */
		CHECK(dx[0] == 1.0f && dx[4] == 0.0f && dx[5] == 0.0f);
		CHECK(dx[3] == 10.0f && dx[6] == 0.0f);
		CHECK(dx[1] == 0.0f && dx[2] == 0.0f && dx[7] == 0.0f);
		free_layer(&t);
	}
	/*
	 * The same rule in training, where the 2x2 stride-2 path keeps the
	 * winners: windows {4 4 / 1 2}, {0 5 / 5 5}, {1 2 / 6 6} of a 2x6
	 * plane, ties first across, then down, then both.
	 */
	if (CHECK(make_layer(&t, &nn_max_pool2d_layer, &two, sizeof(two),
						 shape3(1, 2, 6), 1, &rng)))
	{
		static const float ties[12] = {4, 4, 0, 5, 1, 2, 1, 2, 5, 5, 6, 6};
		float		d3[3] = {1.0f, 10.0f, 100.0f};
		float		dx12[12];

		memcpy(t.x, ties, sizeof(ties));
		for (int mode = 0; mode < 2; mode++)
		{
			if (mode == 0)
				t.r->forward_train(&t.L, NULL);
			else
				t.r->forward(&t.L);
			CHECK(t.out[0] == 4.0f && t.out[1] == 5.0f && t.out[2] == 6.0f);
			t.r->backward(&t.L, d3, NN_BACK_FROM_OUTPUT, dx12, mode == 0, false);
			for (int i = 0; i < 12; i++)
				CHECK_MSG(dx12[i] == (i == 0 ? 1.0f : i == 3 ? 10.0f : i == 10 ? 100.0f : 0.0f),
						  "%s: dx[%d] = %g", mode == 0 ? "training" : "inference", i, dx12[i]);
		}
		free_layer(&t);
	}
	/* padded top and left: the first window holds x[0][0] alone */
	if (CHECK(make_layer(&t, &nn_max_pool2d_layer, &padded, sizeof(padded),
						 shape3(1, 3, 3), 1, &rng)))
	{
		for (int i = 0; i < 9; i++)
			t.x[i] = -1.0f - i;
		t.r->forward(&t.L);
		CHECK_EQ_INT(t.L.out_shape.dims[1], 2);
		CHECK(t.out[0] == -1.0f && t.out[1] == -2.0f);
		CHECK(t.out[2] == -4.0f && t.out[3] == -5.0f);
		free_layer(&t);
	}
	if (CHECK(make_layer(&t, &nn_avg_pool2d_layer, &padded, sizeof(padded),
						 shape3(1, 3, 3), 1, &rng)))
	{
		for (int i = 0; i < 9; i++)
			t.x[i] = (float) i;
		t.r->forward(&t.L);
		/* {0}, {1 2}, {3 6}, {4 5 7 8} */
		CHECK(t.out[0] == 0.0f && t.out[1] == 1.5f);
		CHECK(t.out[2] == 4.5f && t.out[3] == 6.0f);
		free_layer(&t);
	}
}

static void
test_pool_settings(void)
{
	NNPoolSettings ok = {{2, 2, 2, 2, 0, 0, 0, 0}};
	NNPoolSettings s;
	NNNet		net;

	memset(&net, 0, sizeof(net));
	net.shapes[0] = shape3(2, 5, 5);
	nn_pool_set(&net, 0, NN_LAYER_MAX_POOL2D, &ok);
	CHECK(nn_max_pool2d_layer.check(&net, 0, false) == NULL);
	CHECK(nn_avg_pool2d_layer.check(&net, 0, true) != NULL);
	CHECK_EQ_INT(nn_max_pool2d_layer.out_shape(&net, 0, net.shapes[0]).dims[1], 2);
	s = ok;
	s.window.pad_bottom = 2;
	nn_pool_set(&net, 0, NN_LAYER_MAX_POOL2D, &s);
	CHECK(nn_max_pool2d_layer.check(&net, 0, false) != NULL);
	s = ok;
	s.window.kernel_w = 6;
	nn_pool_set(&net, 0, NN_LAYER_MAX_POOL2D, &s);
	CHECK(nn_max_pool2d_layer.out_shape(&net, 0, net.shapes[0]).rank == 0);
	s = ok;
	s.window.stride_h = 0;
	nn_pool_set(&net, 0, NN_LAYER_MAX_POOL2D, &s);
	CHECK(nn_max_pool2d_layer.out_shape(&net, 0, net.shapes[0]).rank == 0);
	nn_pool_set(&net, 0, NN_LAYER_MAX_POOL2D, &ok);
	CHECK(nn_max_pool2d_layer.out_shape(&net, 0, nn_shape_vector(50)).rank == 0);
	CHECK_EQ_INT(nn_max_pool2d_layer.activation(&net, 0), NN_ACT_IDENTITY);
}

int
main(void)
{
	RUN_TEST(test_im2col_adjoint);
	RUN_TEST(test_conv_forward_direct);
	RUN_TEST(test_conv_shapes);
	RUN_TEST(test_conv_gradients);
	RUN_TEST(test_conv_rounds);
	RUN_TEST(test_conv_settings);
	RUN_TEST(test_conv_init);
	RUN_TEST(test_pool_forward_and_gradients);
	RUN_TEST(test_pool_ties_and_padding);
	RUN_TEST(test_pool_settings);
	return harness_finish("test_conv");
}
