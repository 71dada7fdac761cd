/*
 * test_conv_bn.c - conv2d's batch normalization and dropout, through its
 * NNLayerRoutine directly: the layout of gamma, beta and the running
 * statistics, training-mode gradients through the batch statistics
 * (finite differences, images lowered in one piece or several),
 * inference against the running statistics, the running statistics'
 * update, their domain check, and the dropout masks forward and backward.
 */
#include "conv2d_layer.h"
#include "harness.h"
#include "layertest.h"

typedef struct BnCase
{
	const char *what;
	uint32_t	c, h, w;
	size_t		batch;
	NNConv2dSettings s;
	size_t		piece_floats;	/* a smaller piece than the default, or 0 */
} BnCase;

/* filters, kh, kw, sh, sw, pad t, l, b, r, act, bn, dropout */
static const BnCase bn_cases[] = {
	{"3x2 stride 2, padding 1/0/2/1", 3, 7, 5, 3, {3, {3, 2, 2, 2, 1, 0, 2, 1}, NN_ACT_TANH, 1, 0.0f}, 0},
	/* two channels: with one, a 1x1 filter is undone by the normalization */
	{"1x1, identity", 2, 4, 3, 2, {2, {1, 1, 1, 1, 0, 0, 0, 0}, NN_ACT_IDENTITY, 1, 0.0f}, 0},
	/* 18 floats a patch, 7 positions a piece: 4 pieces an image, the last of 4 */
	{"pieces within images", 2, 5, 5, 3, {2, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_SIGMOID, 1, 0.0f}, 18 * 7},
};

#define N_BN_CASES (sizeof(bn_cases) / sizeof(bn_cases[0]))

/* the conv2d settings without batch norm and dropout, identity activation */
static NNConv2dSettings
plain(NNConv2dSettings s)
{
	s.batch_norm = 0;
	s.dropout = 0.0f;
	s.act = NN_ACT_IDENTITY;
	return s;
}

/*
 * The pre-normalization values z (batch x F x P) of t's layer: the same
 * W, b and input through a conv2d layer without batch norm.
 */
static float *
pre_norm(const Layer *t, const NNConv2dSettings *s, NNRng *rng)
{
	NNConv2dSettings ps = plain(*s);
	Layer		p;
	size_t		n = t->batch * t->L.out_size;
	float	   *z = xcalloc(n, sizeof(float));

	if (!CHECK(make_layer(&p, &nn_conv2d_layer, &ps, sizeof(ps), t->L.in_shape,
						  t->batch, rng)))
		return z;
	memcpy(p.params, t->params, n_params(&p) * sizeof(float));
	memcpy(p.x, t->x, t->batch * t->L.in_size * sizeof(float));
	p.r->forward(&p.L);
	memcpy(z, p.out, n * sizeof(float));
	free_layer(&p);
	return z;
}

/* W, b, gamma, beta; mean, variance; gamma 1, beta 0, mean 0, variance 1 */
static void
test_bn_layout(void)
{
	NNRng		rng;
	NNConv2dSettings s = {3, {3, 2, 1, 1, 0, 0, 0, 0}, NN_ACT_RELU, 1, 0.0f};
	NNNet		net;
	NNShape		in = shape3(2, 4, 4);
	NNShape		out;
	NNTensor	ts[NN_LAYER_MAX_TENSORS];
	const NNLayerRoutine *r = &nn_conv2d_layer;
	size_t		nw = 3 * 2 * 3 * 2;
	float	   *p;
	float		stats[6];
	bool		ok = true;

	nn_rng_seed(&rng, 1801);
	memset(&net, 0, sizeof(net));
	net.n_layers = 2;
	nn_conv2d_set(&net, 0, &s);
	net.shapes[0] = in;
	out = net.shapes[1] = r->out_shape(&net, 0, in);
	CHECK_EQ_INT(r->n_params(&net, 0, in, out), nw + 3 * 3);
	CHECK_EQ_INT(r->n_stats(&net, 0, out), 6);
	CHECK_EQ_INT(r->tensors(&net, 0, in, out, ts), 4);
	CHECK(strcmp(ts[2].name, "gamma") == 0 && ts[2].offset == nw + 3 &&
		  ts[2].size == 3 && !ts[2].weight);
	CHECK(strcmp(ts[3].name, "beta") == 0 && ts[3].offset == nw + 6 &&
		  ts[3].size == 3 && !ts[3].weight);
	p = xcalloc(nw + 12, sizeof(float));
	r->init(&net, 0, in, out, p, stats, NN_INIT_AUTO, &rng);
	for (size_t i = 0; i < 3; i++)
		ok = ok && p[nw + i] == 0.0f && p[nw + 3 + i] == 1.0f &&
			p[nw + 6 + i] == 0.0f && stats[i] == 0.0f && stats[3 + i] == 1.0f;
	CHECK(ok);
	free(p);

	/* running variances are not negative; means may be */
	for (size_t i = 0; i < 6; i++)
		stats[i] = 0.5f;
	CHECK(r->stats_valid(&net, 0, out, stats));
	stats[0] = -0.5f;
	CHECK(r->stats_valid(&net, 0, out, stats));
	stats[5] = -0.5f;
	CHECK(!r->stats_valid(&net, 0, out, stats));
	/* dropout alone keeps no statistics and adds no parameter */
	s.batch_norm = 0;
	s.dropout = 0.5f;
	nn_conv2d_set(&net, 0, &s);
	CHECK_EQ_INT(r->n_params(&net, 0, in, out), nw + 3);
	CHECK_EQ_INT(r->n_stats(&net, 0, out), 0);
	CHECK_EQ_INT(r->tensors(&net, 0, in, out, ts), 2);
	CHECK(r->stats_valid(&net, 0, out, stats));
}

/*
 * Training mode: every tensor and the input against finite differences of
 * the loss through the batch statistics; inference mode: the input
 * gradient through the running statistics.
 */
static void
test_bn_gradients(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1802);
	for (size_t k = 0; k < N_BN_CASES; k++)
	{
		const BnCase *bc = &bn_cases[k];
		Layer		t;

		nn_conv2d_set_piece_floats(bc->piece_floats);
		if (!CHECK(make_layer(&t, &nn_conv2d_layer, &bc->s, sizeof(bc->s),
							  shape3(bc->c, bc->h, bc->w), bc->batch, &rng)))
			continue;
		/* b cancels in the batch mean: its gradient is 0 */
		check_layer_gradients(&t, bc->what, 2e-2, "b");
		free_layer(&t);
	}
	nn_conv2d_set_piece_floats(0);
}

/*
 * Inference normalizes with the running statistics; training with the
 * batch's, and update_stats folds those into the running ones with the
 * momentum: mean and biased variance of each filter over the batch and
 * the positions.
 */
static void
test_bn_statistics(void)
{
	NNRng		rng;

	nn_rng_seed(&rng, 1803);
	for (size_t k = 0; k < N_BN_CASES; k++)
	{
		const BnCase *bc = &bn_cases[k];
		Layer		t;
		float	   *z;
		float		before[2 * 8];
		size_t		F = bc->s.filters;
		size_t		P;
		size_t		nw;
		const float *gamma;
		double		worst = 0.0;

		nn_conv2d_set_piece_floats(bc->piece_floats);
		if (!CHECK(make_layer(&t, &nn_conv2d_layer, &bc->s, sizeof(bc->s),
							  shape3(bc->c, bc->h, bc->w), bc->batch, &rng)))
			continue;
		P = t.L.out_size / F;
		nw = n_params(&t) - 3 * F;
		gamma = t.params + nw + F;
		z = pre_norm(&t, &bc->s, &rng);

		t.r->forward(&t.L);
		for (size_t n = 0; n < bc->batch; n++)
			for (size_t f = 0; f < F; f++)
				for (size_t p = 0; p < P; p++)
				{
					size_t		i = (n * F + f) * P + p;
					double		u = (z[i] - t.stats[f]) /
						sqrt(t.stats[F + f] + NN_BN_EPSILON) * gamma[f] + gamma[F + f];

					worst = fmax(worst, fabs(t.out[i] - apply_act(bc->s.act, u)));
				}
		CHECK_MSG(worst < 1e-5, "%s: inference differs by %g", bc->what, worst);

		memcpy(before, t.stats, 2 * F * sizeof(float));
		t.r->forward_train(&t.L, NULL);
		t.r->update_stats(&t.L, t.stats);
		worst = 0.0;
		for (size_t f = 0; f < F; f++)
		{
			double		sum = 0.0,
						sq = 0.0,
						mean,
						var;
			double		m = NN_BN_MOMENTUM;

			for (size_t n = 0; n < bc->batch; n++)
				for (size_t p = 0; p < P; p++)
					sum += z[(n * F + f) * P + p];
			mean = sum / (bc->batch * P);
			for (size_t n = 0; n < bc->batch; n++)
				for (size_t p = 0; p < P; p++)
					sq += pow(z[(n * F + f) * P + p] - mean, 2);
			var = sq / (bc->batch * P);
			CHECK_CLOSE(t.stats[f], m * before[f] + (1.0 - m) * mean, 1e-5, 1e-5);
			CHECK_CLOSE(t.stats[F + f], m * before[F + f] + (1.0 - m) * var, 1e-5, 1e-4);
			/* identity: the batch's outputs of a filter have mean beta */
			if (bc->s.act == NN_ACT_IDENTITY)
			{
				double		out_sum = 0.0;

				for (size_t n = 0; n < bc->batch; n++)
					for (size_t p = 0; p < P; p++)
						out_sum += t.out[(n * F + f) * P + p];
				worst = fmax(worst, fabs(out_sum / (bc->batch * P) - gamma[F + f]));
			}
		}
		CHECK_MSG(worst < 1e-5, "%s: training output mean off beta by %g", bc->what, worst);
		free(z);
		free_layer(&t);
	}
	nn_conv2d_set_piece_floats(0);
}

/*
 * Inverted dropout: the next layer's input is a buffer of the layer's
 * own, each value dropped or scaled by 1 / (1 - rate), at about the rate;
 * backward through the masks is backward of the masked gradient; with no
 * rng (and in inference) nothing is dropped.
 */
static void
test_dropout(void)
{
	static const NNConv2dSettings settings[] = {
		{4, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_TANH, 0, 0.3f},
		{4, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_SIGMOID, 1, 0.5f},
	};
	NNRng		rng;

	nn_rng_seed(&rng, 1804);
	for (size_t k = 0; k < 2; k++)
	{
		const NNConv2dSettings *s = &settings[k];
		Layer		t;
		size_t		ny,
					nx,
					np,
					dropped = 0;
		const float *next;
		float	   *keep,
				   *d,
				   *dm,
				   *dx,
				   *dxm,
				   *g;
		float		scale = 1.0f / (1.0f - s->dropout);
		bool		ok = true;

		if (!CHECK(make_layer(&t, &nn_conv2d_layer, s, sizeof(*s), shape3(2, 8, 8),
							  4, &rng)))
			continue;
		ny = t.batch * t.L.out_size;
		nx = t.batch * t.L.in_size;
		np = n_params(&t);
		keep = xcalloc(ny, sizeof(float));
		d = xcalloc(ny, sizeof(float));
		dm = xcalloc(ny, sizeof(float));
		dx = xcalloc(nx, sizeof(float));
		dxm = xcalloc(nx, sizeof(float));
		g = xcalloc(np, sizeof(float));

		CHECK(t.r->forward_train(&t.L, NULL) == t.out);
		memcpy(keep, t.out, ny * sizeof(float));
		next = t.r->forward_train(&t.L, &rng);
		CHECK(next != t.out && next != NULL);
		CHECK(memcmp(keep, t.out, ny * sizeof(float)) == 0);
		for (size_t i = 0; i < ny; i++)
		{
			if (next[i] == 0.0f)
				dropped++;
			else
				ok = ok && next[i] == t.out[i] * scale;
		}
		CHECK_MSG(ok, "rate %g: kept values not scaled by %g", s->dropout, scale);
		/* 1024 values: the dropped share within 5 deviations of the rate */
		CHECK_CLOSE((double) dropped / ny, s->dropout, 5.0 * sqrt(0.25 / ny), 0.0);

		/* backward through the masks = backward of d * (next / out) */
		fill_uniform(&rng, d, ny, -1.0, 1.0);
		for (size_t i = 0; i < ny; i++)
			dm[i] = next[i] == 0.0f ? 0.0f : d[i] * scale;
		t.r->backward(&t.L, d, NN_BACK_FROM_OUTPUT, dx, true, true);
		memcpy(g, t.grads, np * sizeof(float));
		t.r->backward(&t.L, dm, NN_BACK_FROM_OUTPUT, dxm, true, false);
		CHECK(memcmp(dx, dxm, nx * sizeof(float)) == 0);
		CHECK(memcmp(g, t.grads, np * sizeof(float)) == 0);

		/* inference: no dropout */
		t.r->forward(&t.L);
		if (!s->batch_norm)
			CHECK(memcmp(keep, t.out, ny * sizeof(float)) == 0);
		free(keep);
		free(d);
		free(dm);
		free(dx);
		free(dxm);
		free(g);
		free_layer(&t);
	}
}

int
main(void)
{
	RUN_TEST(test_bn_layout);
	RUN_TEST(test_bn_gradients);
	RUN_TEST(test_bn_statistics);
	RUN_TEST(test_dropout);
	return harness_finish("test_conv_bn");
}
