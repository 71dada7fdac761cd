/*
 * test_recurrent.c - the rnn, lstm and gru layers (recurrent_layer.c,
 * recurrent_cells.c), called through their NNLayerRoutines directly
 * (test_layers.c walks them through the table, test_recurrent_net.c in
 * networks): finite-difference checks of the W, R, b and input gradients
 * at 1, 2 and 7 steps, with return_sequences both ways, bidirectional, at
 * odd sizes, through fixed dropout masks and over 520 gates; the forward
 * against a plain reference in double with libm; the initialization
 * (Xavier W, orthogonal R blocks, forget bias 1); the settings checks.
 */
#include "harness.h"
#include "layertest.h"
#include "recurrent_layer.h"
#include "testnet.h"

static const NNLayerRoutine *const kinds[3] = {
	&nn_rnn_layer, &nn_lstm_layer, &nn_gru_layer
};

typedef struct RecCase
{
	uint32_t	steps;
	uint32_t	features;
	size_t		batch;
	NNRecurrentSettings s;
} RecCase;

/* units, return_sequences, bidirectional, dropout */
static const RecCase rec_cases[] = {
	{1, 3, 2, {5, 0, 0, 0.0f}},
	{2, 3, 3, {5, 0, 0, 0.0f}},
	{7, 3, 2, {5, 0, 0, 0.0f}},
	{1, 3, 2, {5, 1, 0, 0.0f}},
	{2, 3, 3, {5, 1, 0, 0.0f}},
	{7, 3, 2, {5, 1, 0, 0.0f}},
	{7, 3, 2, {5, 0, 1, 0.0f}},
	{2, 4, 3, {3, 1, 1, 0.0f}},
	{7, 2, 1, {4, 1, 1, 0.0f}},
	{1, 1, 1, {1, 0, 1, 0.0f}},
};

#define N_REC_CASES (sizeof(rec_cases) / sizeof(rec_cases[0]))

static void
case_name(char *buf, size_t len, const NNLayerRoutine *r, const RecCase *c)
{
	snprintf(buf, len, "%s T=%u F=%u H=%u N=%zu%s%s", r->name, c->steps,
			 c->features, c->s.units, c->batch,
			 c->s.return_sequences ? " sequences" : "",
			 c->s.bidirectional ? " bidirectional" : "");
}

/* W, R, b and the input against finite differences, every kind and case */
static void
test_recurrent_gradients(void)
{
	NNRng		rng;
	char		what[128];

	nn_rng_seed(&rng, 1601);
	for (int k = 0; k < 3; k++)
		for (size_t c = 0; c < N_REC_CASES; c++)
		{
			const RecCase *rc = &rec_cases[c];
			Layer		t;

			case_name(what, sizeof(what), kinds[k], rc);
			if (!CHECK_MSG(make_layer(&t, kinds[k], &rc->s, sizeof(rc->s),
									  shape2(rc->steps, rc->features), rc->batch,
									  &rng), "%s: layer rejected", what))
				continue;
			/* one step: R multiplies the zero initial state only */
			check_layer_gradients(&t, what, 2e-3, rc->steps == 1 ? "R" : NULL);
			t.r->forward(&t.L);
			check_forward_modes(&t, what);
			free_layer(&t);
		}
}

/* ------------------------------------------------------------ reference */

static double
sigm(double v)
{
	return 1.0 / (1.0 + exp(-v));
}

/*
 * The layer's output written plainly from the cell equations of
 * recurrent_layer.h, per element, in double with libm.
 */
static void
reference_forward(const Layer *t, NNLayerKind kind, double *out)
{
	const NNRecurrentSettings *s = nn_recurrent(&t->net, 0);
	size_t		T = t->L.in_shape.dims[0];
	size_t		F = t->L.in_shape.dims[1];
	size_t		H = s->units;
	size_t		G = nn_recurrent_gates(kind);
	size_t		D = s->bidirectional ? 2 : 1;
	size_t		B = nn_recurrent_bias_floats(kind, (uint32_t) H);
	const float *W = t->params;
	const float *R = W + D * G * H * F;
	const float *bias = R + D * G * H * H;
	double		h[NN_MAX_RECURRENT_UNITS],
				c[NN_MAX_RECURRENT_UNITS],
				pre[4 * 64],
				rh[64];

	for (size_t n = 0; n < t->batch; n++)
		for (size_t d = 0; d < D; d++)
		{
			for (size_t j = 0; j < H; j++)
				h[j] = c[j] = 0.0;
			for (size_t k = 0; k < T; k++)
			{
				size_t		step = d == 0 ? k : T - 1 - k;
				const float *x = t->x + (n * T + step) * F;

				for (size_t g = 0; g < G; g++)
					for (size_t j = 0; j < H; j++)
					{
						size_t		row = d * G * H + g * H + j;
						double		v = bias[d * B + g * H + j];
						double		r = 0.0;

						for (size_t f = 0; f < F; f++)
							v += (double) W[row * F + f] * x[f];
						for (size_t i = 0; i < H; i++)
							r += (double) R[row * H + i] * h[i];
						if (kind == NN_LAYER_GRU && g == 2)
							rh[j] = r + bias[d * B + 3 * H + j];
						else
							v += r;
						pre[g * H + j] = v;
					}
				for (size_t j = 0; j < H; j++)
				{
					if (kind == NN_LAYER_RNN)
						h[j] = tanh(pre[j]);
					else if (kind == NN_LAYER_LSTM)
					{
						c[j] = sigm(pre[2 * H + j]) * c[j] +
							sigm(pre[j]) * tanh(pre[3 * H + j]);
						h[j] = sigm(pre[H + j]) * tanh(c[j]);
					}
					else
					{
						double		z = sigm(pre[j]);
						double		r = sigm(pre[H + j]);
						double		nn = tanh(pre[2 * H + j] + r * rh[j]);

						h[j] = (1.0 - z) * nn + z * h[j];
					}
				}
				for (size_t j = 0; j < H; j++)
				{
					if (s->return_sequences)
						out[n * t->L.out_size + step * D * H + d * H + j] = h[j];
					else if (k == T - 1)
						out[n * t->L.out_size + d * H + j] = h[j];
				}
			}
		}
}

static void
test_recurrent_forward_reference(void)
{
	NNRng		rng;
	char		what[128];

	nn_rng_seed(&rng, 1602);
	for (int k = 0; k < 3; k++)
		for (size_t c = 0; c < N_REC_CASES; c++)
		{
			const RecCase *rc = &rec_cases[c];
			NNLayerKind kind = (NNLayerKind) (NN_LAYER_RNN + k);
			Layer		t;
			double	   *ref;
			double		worst = 0.0;

			case_name(what, sizeof(what), kinds[k], rc);
			if (!CHECK(make_layer(&t, kinds[k], &rc->s, sizeof(rc->s),
								  shape2(rc->steps, rc->features), rc->batch, &rng)))
				continue;
			/* large inputs too: the gates saturate */
			fill_uniform(&rng, t.x, t.batch * t.L.in_size, -4.0, 4.0);
			ref = xcalloc(t.batch * t.L.out_size, sizeof(double));
			t.r->forward(&t.L);
			reference_forward(&t, kind, ref);
			for (size_t i = 0; i < t.batch * t.L.out_size; i++)
				worst = fmax(worst, fabs(t.out[i] - ref[i]));
			CHECK_MSG(worst < 1e-5, "%s: forward differs from the reference by %g",
					  what, worst);
			free(ref);
			free_layer(&t);
		}
}

/* ------------------------------------------------------------ dropout */

/* the loss after a training forward with the masks of that seed */
static double
dropout_loss(Layer *t, uint64_t seed)
{
	NNRng		rng;
	const float *y;
	double		s = 0.0;

	nn_rng_seed(&rng, seed);
	y = t->r->forward_train(&t->L, &rng);
	for (size_t i = 0; i < t->batch * t->L.out_size; i++)
		s += (double) t->weights[i] * y[i];
	return s;
}

/*
 * Through dropout masks fixed by a seed: the gradients of the parameters
 * and the input against finite differences with the same masks.
 */
static void
test_recurrent_dropout_gradients(void)
{
	NNRng		rng;
	char		what[160];

	nn_rng_seed(&rng, 1603);
	for (int k = 0; k < 3; k++)
		for (int seq = 0; seq < 2; seq++)
		{
			NNRecurrentSettings s = {5, (uint8_t) seq, (uint8_t) (k == 1), 0.4f};
			Layer		t;
			size_t		np,
						nx,
						ny;
			double	   *an,
					   *nu;
			float	   *d;
			float	   *dx;
			const float *y;
			size_t		dropped = 0;

			snprintf(what, sizeof(what), "%s dropout 0.4%s", kinds[k]->name,
					 seq ? " sequences" : "");
			if (!CHECK(make_layer(&t, kinds[k], &s, sizeof(s), shape2(4, 3), 3, &rng)))
				continue;
			np = n_params(&t);
			nx = t.batch * t.L.in_size;
			ny = t.batch * t.L.out_size;
			an = xcalloc(np + nx, sizeof(double));
			nu = xcalloc(np + nx, sizeof(double));
			d = xcalloc(ny, sizeof(float));
			dx = xcalloc(nx, sizeof(float));
			dropout_loss(&t, 77);
			{
				NNRng		again;

				nn_rng_seed(&again, 77);
				y = t.r->forward_train(&t.L, &again);
				CHECK(y != t.out);
				for (size_t i = 0; i < ny; i++)
					dropped += y[i] == 0.0f;
			}
			CHECK_MSG(dropped > 0 && dropped < ny, "%s: %zu of %zu dropped", what,
					  dropped, ny);
			memcpy(d, t.weights, ny * sizeof(float));
			t.r->backward(&t.L, d, NN_BACK_FROM_OUTPUT, dx, true, true);
			for (size_t i = 0; i < np; i++)
				an[i] = t.grads[i];
			for (size_t i = 0; i < nx; i++)
				an[np + i] = dx[i];
			for (size_t i = 0; i < np + nx; i++)
			{
				float	   *v = i < np ? &t.params[i] : &t.x[i - np];
				float		keep = *v;
				double		up,
							down;

				*v = keep + FD_H;
				up = dropout_loss(&t, 77);
				*v = keep - FD_H;
				down = dropout_loss(&t, 77);
				*v = keep;
				nu[i] = (up - down) / (2.0 * FD_H);
			}
			CHECK_GRAD(what, an, nu, np + nx, 2e-3, 2e-3, 1e-3);
			free(an);
			free(nu);
			free(d);
			free(dx);
			free_layer(&t);
		}
}

/*
 * A layer of 4 x 130 gates: the bias gradient's column sums run in blocks
 * of 512 columns (recurrent_layer.c, ColumnSums).  Only b against finite
 * differences: R's 67600 values would take long.
 */
static void
test_recurrent_wide_bias(void)
{
	NNRecurrentSettings s = {130, 0, 0, 0.0f};
	NNRng		rng;
	Layer		t;
	size_t		np,
				ny,
				nb = 4 * 130;
	double	   *an,
			   *nu;
	float	   *d;

	nn_rng_seed(&rng, 1608);
	if (!CHECK(make_layer(&t, &nn_lstm_layer, &s, sizeof(s), shape2(3, 2), 2, &rng)))
		return;
	np = n_params(&t);
	ny = t.batch * t.L.out_size;
	an = xcalloc(nb, sizeof(double));
	nu = xcalloc(nb, sizeof(double));
	d = xcalloc(ny, sizeof(float));
	layer_loss_in(&t, true);
	memcpy(d, t.weights, ny * sizeof(float));
	t.r->backward(&t.L, d, NN_BACK_FROM_OUTPUT, NULL, true, false);
	for (size_t i = 0; i < nb; i++)
	{
		float	   *v = &t.params[np - nb + i];
		float		keep = *v;
		double		up,
					down;

		an[i] = t.grads[np - nb + i];
		*v = keep + FD_H;
		up = layer_loss_in(&t, true);
		*v = keep - FD_H;
		down = layer_loss_in(&t, true);
		*v = keep;
		nu[i] = (up - down) / (2.0 * FD_H);
	}
	CHECK_GRAD("lstm H=130: dL/db", an, nu, nb, 2e-3, 2e-3, 1e-3);
	free(an);
	free(nu);
	free(d);
	free_layer(&t);
}

/* ------------------------------------------------------------ init */

/*
 * W as nn_init_weights draws it (Xavier for auto), each gate block of R
 * orthogonal (R R^T = I), biases 0 but the LSTM forget gate's 1.
 */
static void
test_recurrent_init(void)
{
	static const uint32_t units[] = {5, 128};

	for (int k = 0; k < 3; k++)
		for (size_t u = 0; u < 2; u++)
		{
			NNNet		net;
			NNRecurrentSettings s = {(uint16_t) units[u], 0, 1, 0.0f};
			NNLayerKind kind = (NNLayerKind) (NN_LAYER_RNN + k);
			NNRng		rng,
						again;
			size_t		H = units[u];
			size_t		G = nn_recurrent_gates(kind);
			size_t		F = 3;
			size_t		nw = 2 * G * H * F;
			size_t		B = nn_recurrent_bias_floats(kind, (uint32_t) H);
			float	   *w;
			double		worst = 0.0;

			memset(&net, 0, sizeof(net));
			net.n_layers = 2;
			net.shapes[0] = shape2(4, (uint32_t) F);
			nn_recurrent_set(&net, 0, kind, &s);
			nn_dense_set(&net, 1, 1, NN_ACT_IDENTITY, false, 0.0f);
			if (!CHECK(nn_net_layout(&net) == NULL))
				continue;
			net.params = xcalloc(net.n_params, sizeof(float));
			nn_rng_seed(&rng, 1607);
			nn_net_init_params(&net, NN_INIT_AUTO, &rng);
			w = xcalloc(nw, sizeof(float));
			nn_rng_seed(&again, 1607);
			nn_init_weights(w, nw, F, H, NN_INIT_XAVIER, NN_ACT_TANH, &again);
			CHECK_MSG(memcmp(w, net.params, nw * sizeof(float)) == 0,
					  "%s: W is not Xavier's draw", nn_layer_routine(kind)->name);
			for (size_t blk = 0; blk < 2 * G; blk++)
			{
				const float *R = net.params + nw + blk * H * H;

				for (size_t i = 0; i < H; i++)
					for (size_t j = 0; j < H; j++)
					{
						double		dot = 0.0;

						for (size_t q = 0; q < H; q++)
							dot += (double) R[i * H + q] * R[j * H + q];
						worst = fmax(worst, fabs(dot - (i == j ? 1.0 : 0.0)));
					}
			}
			CHECK_MSG(worst < 1e-5, "%s H=%zu: R R^T - I up to %g",
					  nn_layer_routine(kind)->name, H, worst);
			for (size_t d = 0; d < 2; d++)
				for (size_t i = 0; i < B; i++)
				{
					bool		forget = kind == NN_LAYER_LSTM && i >= 2 * H && i < 3 * H;

					CHECK_MSG(net.params[nw + 2 * G * H * H + d * B + i] ==
							  (forget ? 1.0f : 0.0f), "%s: bias %zu of direction %zu",
							  nn_layer_routine(kind)->name, i, d);
				}
			free(w);
			free(net.params);
		}
}

/* ------------------------------------------------------------ settings */

/* a network [steps, features] -> layer 0 of kind with s -> dense 2 */
static const char *
layout_with(NNLayerKind kind, NNRecurrentSettings s, NNShape in, bool last)
{
	static NNNet net;

	memset(&net, 0, sizeof(net));
	net.n_layers = last ? 1 : 2;
	net.shapes[0] = in;
	nn_recurrent_set(&net, 0, kind, &s);
	if (!last)
		nn_dense_set(&net, 1, 2, NN_ACT_IDENTITY, false, 0.0f);
	return nn_net_layout(&net);
}

static void
check_msg(const char *msg, const char *expect)
{
	CHECK_MSG(msg != NULL && strstr(msg, expect) != NULL,
			  "message \"%s\", expected \"%s\"", msg ? msg : "(none)", expect);
}

static void
test_recurrent_settings(void)
{
	NNShape		in = shape2(3, 2);
	NNRecurrentSettings ok = {4, 0, 0, 0.0f};

	for (int k = 0; k < 3; k++)
	{
		NNLayerKind kind = (NNLayerKind) (NN_LAYER_RNN + k);
		NNRecurrentSettings s;
		NNNet		net;

		CHECK(layout_with(kind, ok, in, false) == NULL);
		s = ok;
		s.units = 0;
		check_msg(layout_with(kind, s, in, false), "units out of range");
		s.units = NN_MAX_RECURRENT_UNITS + 1;
		check_msg(layout_with(kind, s, in, false), "units out of range");
		s.units = NN_MAX_RECURRENT_UNITS;
		if (kind == NN_LAYER_LSTM)	/* 4 x 4096 x 4096 recurrent weights */
			check_msg(layout_with(kind, s, shape2(1, 1), false), "too many parameters");
		else
			CHECK(layout_with(kind, s, shape2(1, 1), false) == NULL);
		s = ok;
		s.return_sequences = 2;
		check_msg(layout_with(kind, s, in, false), "return_sequences flag");
		s = ok;
		s.bidirectional = 2;
		check_msg(layout_with(kind, s, in, false), "bidirectional flag");
		s = ok;
		s.dropout = -0.1f;
		check_msg(layout_with(kind, s, in, false), "dropout rate out of range");
		s.dropout = 1.0f;
		check_msg(layout_with(kind, s, in, false), "dropout rate out of range");
		s.dropout = NAN;
		check_msg(layout_with(kind, s, in, false), "dropout rate out of range");
		s.dropout = 0.99f;
		CHECK(layout_with(kind, s, in, false) == NULL);
		check_msg(layout_with(kind, ok, in, true), "output layer is dense");
		/* a vector input, or [channels, height, width] */
		check_msg(layout_with(kind, ok, nn_shape_vector(6), false),
				  "needs input of shape [steps, features]");
		check_msg(layout_with(kind, ok, (NNShape) {3, {1, 2, 3}}, false),
				  "return_sequences on the recurrent layer before it");
		/* a recurrent layer after one without return_sequences */
		memset(&net, 0, sizeof(net));
		net.n_layers = 3;
		net.shapes[0] = in;
		nn_recurrent_set(&net, 0, kind, &ok);
		nn_recurrent_set(&net, 1, kind, &ok);
		nn_dense_set(&net, 2, 2, NN_ACT_IDENTITY, false, 0.0f);
		check_msg(nn_net_layout(&net), "needs input of shape [steps, features]");
		nn_recurrent_mut(&net, 0)->return_sequences = 1;
		CHECK(nn_net_layout(&net) == NULL);
		/* output shapes: [D H], or [T, D H] */
		CHECK(layout_with(kind, (NNRecurrentSettings) {4, 1, 1, 0.0f}, in, false) == NULL);
		CHECK_EQ_INT(nn_recurrent_gates(kind), k == 0 ? 1 : (k == 1 ? 4 : 3));
		CHECK_EQ_INT(nn_recurrent_bias_floats(kind, 7), k == 0 ? 7 : (k == 1 ? 28 : 28));
		CHECK(strcmp(nn_layer_routine(kind)->name, k == 0 ? "rnn" : (k == 1 ? "lstm" : "gru")) == 0);
	}
	CHECK_EQ_INT(nn_recurrent_gates(NN_LAYER_DENSE), 0);
}

int
main(void)
{
	RUN_TEST(test_recurrent_gradients);
	RUN_TEST(test_recurrent_forward_reference);
	RUN_TEST(test_recurrent_dropout_gradients);
	RUN_TEST(test_recurrent_wide_bias);
	RUN_TEST(test_recurrent_init);
	RUN_TEST(test_recurrent_settings);
	return harness_finish("test_recurrent");
}
