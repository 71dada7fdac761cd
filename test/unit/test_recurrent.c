/*
 * test_recurrent.c - the rnn, lstm and gru kernels (recurrent_layer.c,
 * recurrent_cells.c, fastmath.h), called through their NNLayerRoutines
 * directly (test_layers.c walks them through the table): finite-difference
 * checks of the W, R, b and input gradients at 1, 2 and 7 steps, with
 * return_sequences both ways, bidirectional, at odd sizes and through
 * fixed dropout masks; the forward against a plain reference in double
 * with libm; a stacked network's gradients; the initialization (forget
 * bias 1, orthogonal R blocks); the same bytes at 1 and 2 kernel threads;
 * one row against a batch of one; the settings checks; and the fast exp,
 * sigmoid and tanh against libm.
 */
#include <cblas.h>

#include "fastmath.h"
#include "harness.h"
#include "layertest.h"
#include "parallel.h"
#include "recurrent_layer.h"
#include "testnet.h"

static const NNLayerRoutine *const kinds[3] = {
	&nn_rnn_layer, &nn_lstm_layer, &nn_gru_layer
};

static NNShape
shape2(uint32_t steps, uint32_t features)
{
	NNShape		s = {2, {steps, features}};

	return s;
}

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

/* ------------------------------------------------------------ networks */

typedef struct RecNet
{
	NNNet		net;
	NNWork		work;
	float	   *buf;
	size_t		batch;
} RecNet;

/*
 * lstm (return_sequences) -> gru (bidirectional) -> dense, over [steps,
 * features] inputs; dropout on the lstm's output when asked.
 */
static bool
stacked_make(RecNet *n, uint32_t steps, uint32_t features, uint16_t units,
			 size_t batch, float dropout, NNLoss loss, uint32_t outputs,
			 NNRng *rng)
{
	NNRecurrentSettings lstm = {units, 1, 0, dropout};
	NNRecurrentSettings gru = {3, 0, 1, 0.0f};
	const char *msg;

	memset(n, 0, sizeof(*n));
	n->batch = batch;
	n->net.n_layers = 3;
	n->net.shapes[0] = shape2(steps, features);
	nn_recurrent_set(&n->net, 0, NN_LAYER_LSTM, &lstm);
	nn_recurrent_set(&n->net, 1, NN_LAYER_GRU, &gru);
	nn_dense_set(&n->net, 2, outputs,
				 loss == NN_LOSS_MSE ? NN_ACT_IDENTITY : NN_ACT_SOFTMAX, false, 0.0f);
	set_training(&n->net, loss);
	msg = nn_net_layout(&n->net);
	if (!CHECK_MSG(msg == NULL, "stacked layout: %s", msg))
		return false;
	n->net.params = xcalloc(n->net.n_params, sizeof(float));
	n->net.stats = xcalloc(1, sizeof(float));
	n->net.opt_state = xcalloc(nn_net_state_floats(&n->net) + 1, sizeof(float));
	nn_net_init_params(&n->net, NN_INIT_AUTO, rng);
	n->buf = xcalloc(nn_work_floats(&n->net, batch, true), sizeof(float));
	nn_work_bind(&n->work, &n->net, n->buf, batch, true);
	return true;
}

static void
stacked_free(RecNet *n)
{
	free(n->buf);
	free(n->net.params);
	free(n->net.stats);
	free(n->net.opt_state);
}

/* the stacked network's parameter and input gradients through the driver */
static void
test_stacked_gradients(void)
{
	RecNet		n;
	NNRng		rng;
	size_t		batch = 3;
	size_t		nx = batch * 5 * 3;
	float		x[3 * 5 * 3];
	float		y[3 * 2];
	float		v[2] = {0.7f, -1.3f};
	float		grad[3 * 5 * 3];
	NNGradSeed	seed = {NN_SEED_VECTOR, 0, v, NULL};
	double	   *an,
			   *nu;
	size_t		np;

	nn_rng_seed(&rng, 1604);
	if (!stacked_make(&n, 5, 3, 4, batch, 0.0f, NN_LOSS_MSE, 2, &rng))
		return;
	CHECK_EQ_INT(n.net.shapes[1].rank, 2);
	CHECK_EQ_INT(n.net.shapes[1].dims[0], 5);
	CHECK_EQ_INT(n.net.shapes[1].dims[1], 4);
	CHECK_EQ_INT(n.net.shapes[2].rank, 1);
	CHECK_EQ_INT(n.net.shapes[2].dims[0], 6);
	/* lstm 4 (4 x 4 x 3 + 4 x 4 x 4 + 16), gru 2 x (9 x 4 + 9 x 3 + 12), dense */
	CHECK_EQ_INT(n.net.n_params, 48 + 64 + 16 + 2 * (36 + 27 + 12) + 2 * 6 + 2);
	np = n.net.n_params;
	fill_uniform(&rng, n.net.params, np, -0.8, 0.8);
	fill_uniform(&rng, x, nx, -1.5, 1.5);
	fill_uniform(&rng, y, batch * 2, -1.0, 1.0);
	an = xcalloc(np + nx, sizeof(double));
	nu = xcalloc(np + nx, sizeof(double));
	nn_net_gradient(&n.net, &n.work, x, y, NULL, batch, NULL);
	for (size_t i = 0; i < np; i++)
		an[i] = n.work.grads[i];
	for (size_t i = 0; i < np; i++)
	{
		float		p = n.net.params[i];
		double		up,
					down;

		n.net.params[i] = p + FD_H;
		up = nn_net_gradient(&n.net, &n.work, x, y, NULL, batch, NULL);
		n.net.params[i] = p - FD_H;
		down = nn_net_gradient(&n.net, &n.work, x, y, NULL, batch, NULL);
		n.net.params[i] = p;
		nu[i] = (up - down) / (2.0 * FD_H) / batch;
	}
	CHECK_GRAD("stacked: dL/dparams", an, nu, np, 2e-3, 2e-3, 1e-3);

	if (CHECK(nn_net_input_gradient(&n.net, &n.work, x, batch, &seed, NULL, NULL,
									grad) != NULL))
	{
		for (size_t i = 0; i < nx; i++)
		{
			float		keep = x[i];
			double		up = 0.0,
						down = 0.0;
			const float *out;

			an[i] = grad[i];
			x[i] = keep + FD_H;
			out = nn_net_forward(&n.net, &n.work, x, batch);
			for (size_t r = 0; r < batch; r++)
				up += v[0] * out[2 * r] + v[1] * out[2 * r + 1];
			x[i] = keep - FD_H;
			out = nn_net_forward(&n.net, &n.work, x, batch);
			for (size_t r = 0; r < batch; r++)
				down += v[0] * out[2 * r] + v[1] * out[2 * r + 1];
			x[i] = keep;
			nu[i] = (up - down) / (2.0 * FD_H);
		}
		CHECK_GRAD("stacked: d(v.out)/dx", an, nu, nx, 2e-3, 2e-3, 1e-3);
	}
	free(an);
	free(nu);
	stacked_free(&n);
}

/*
 * Three Adam steps with dropout, the kernels on kernel_threads threads and
 * OpenBLAS on blas_threads.  The sizes make OpenBLAS split its products
 * (it keeps one thread below 2^18 multiply-adds): 32 rows x 9 steps, 32
 * features, 48 units.
 */
static float *
trained(int kernel_threads, int blas_threads, size_t *np, float **out)
{
	RecNet		n;
	NNRng		rng;
	size_t		batch = 32;
	size_t		nx = batch * 9 * 32;
	float	   *x = xcalloc(nx, sizeof(float));
	float		y[32];
	float	   *params;

	nn_set_kernel_threads(kernel_threads);
	openblas_set_num_threads(blas_threads);
	nn_rng_seed(&rng, 1605);
	if (!stacked_make(&n, 9, 32, 48, batch, 0.25f, NN_LOSS_CROSS_ENTROPY, 3, &rng))
		return NULL;
	n.net.optimizer = NN_OPT_ADAM;
	nn_optimizer_defaults(NN_OPT_ADAM, &n.net.opt);
	free(n.net.opt_state);
	n.net.opt_state = xcalloc(nn_net_state_floats(&n.net), sizeof(float));
	fill_uniform(&rng, x, nx, -1.0, 1.0);
	for (size_t i = 0; i < batch; i++)
		y[i] = (float) (i % 3);
	for (int step = 0; step < 3; step++)
		nn_net_train_batch(&n.net, &n.work, x, y, NULL, batch, &rng);
	*np = n.net.n_params;
	*out = xcalloc(batch * 3, sizeof(float));
	memcpy(*out, nn_net_forward(&n.net, &n.work, x, batch), batch * 3 * sizeof(float));
	params = n.net.params;
	n.net.params = NULL;
	stacked_free(&n);
	free(x);
	nn_set_kernel_threads(1);
	openblas_set_num_threads(1);
	return params;
}

/*
 * The same parameter and output bytes: at 1 and 2 kernel threads, and in
 * two runs at 2 OpenBLAS threads (a different OpenBLAS thread count may
 * round differently, as for dense models: README, nn.blas_threads).
 */
static void
test_recurrent_same_bytes_threads(void)
{
	static const int runs[4][2] = {{1, 1}, {2, 1}, {2, 2}, {2, 2}};
	size_t		n[4] = {0};
	float	   *o[4];
	float	   *p[4];

	for (int r = 0; r < 4; r++)
		p[r] = trained(runs[r][0], runs[r][1], &n[r], &o[r]);
	for (int r = 1; r < 4; r += 2)
		if (CHECK(p[r - 1] != NULL && p[r] != NULL && n[r - 1] == n[r]))
		{
			CHECK_MSG(memcmp(p[r - 1], p[r], n[r] * sizeof(float)) == 0,
					  "trained parameters differ, run %d", r);
			CHECK_MSG(memcmp(o[r - 1], o[r], 32 * 3 * sizeof(float)) == 0,
					  "outputs differ, run %d", r);
		}
	for (int r = 0; r < 4; r++)
	{
		free(p[r]);
		free(o[r]);
	}
}

/*
 * Each row alone (nn_net_forward_row) against the batch, and the batch in
 * an inference workspace (two steps of states kept) against one in a
 * training workspace (every step's): the same bytes.
 */
static void
test_recurrent_one_row(void)
{
	for (int k = 0; k < 3; k++)
	{
		NNNet		net;
		NNRecurrentSettings s = {6, 0, 1, 0.0f};
		NNWork		work;
		NNRng		rng;
		size_t		batch = 5;
		size_t		nx = batch * 7 * 3;
		float	   *x = xcalloc(nx, sizeof(float));
		float	   *buf,
				   *batch_h;
		const float *out;

		memset(&net, 0, sizeof(net));
		net.n_layers = 2;
		net.shapes[0] = shape2(7, 3);
		nn_recurrent_set(&net, 0, (NNLayerKind) (NN_LAYER_RNN + k), &s);
		nn_dense_set(&net, 1, 2, NN_ACT_IDENTITY, false, 0.0f);
		set_training(&net, NN_LOSS_MSE);
		if (!CHECK(nn_net_layout(&net) == NULL))
			continue;
		net.params = xcalloc(net.n_params, sizeof(float));
		nn_rng_seed(&rng, 1606);
		nn_net_init_params(&net, NN_INIT_AUTO, &rng);
		fill_uniform(&rng, x, nx, -1.0, 1.0);
		/* an inference workspace: the one scoring uses */
		buf = xcalloc(nn_work_floats(&net, batch, false), sizeof(float));
		nn_work_bind(&work, &net, buf, batch, false);
		out = nn_net_forward(&net, &work, x, batch);
		CHECK(out != NULL);
		batch_h = xcalloc(batch * 12, sizeof(float));
		memcpy(batch_h, work.acts[1], batch * 12 * sizeof(float));
		{
			float	   *tbuf = xcalloc(nn_work_floats(&net, batch, true), sizeof(float));
			NNWork		twork;

			nn_work_bind(&twork, &net, tbuf, batch, true);
			nn_net_forward(&net, &twork, x, batch);
			CHECK_MSG(memcmp(twork.acts[1], batch_h, batch * 12 * sizeof(float)) == 0,
					  "%s: training workspace differs", kinds[k]->name);
			free(tbuf);
		}
		for (size_t r = 0; r < batch; r++)
		{
			nn_net_forward_row(&net, &work, x + r * 21, NULL);
			CHECK_MSG(memcmp(work.acts[1], batch_h + r * 12, 12 * sizeof(float)) == 0,
					  "%s: row %zu alone differs from the batch", kinds[k]->name, r);
		}
		free(batch_h);
		free(buf);
		free(x);
		free(net.params);
	}
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

/* ------------------------------------------------------------ fastmath */

/*
 * exp against libm over its whole range and beyond, with the documented
 * error bounds (fastmath.h); sigmoid and tanh likewise; the array forms
 * give the scalar forms' bytes; no overflow, no NaN but from a NaN.
 */
static void
test_fastmath(void)
{
	double		exp_rel = 0.0,
				sig_rel = 0.0,
				sig_abs = 0.0,
				tanh_abs = 0.0;
	static float xs[4001],
				ys[4001],
				yt[4001];

	for (double v = -120.0; v <= 120.0; v += 1.0 / 1024)
	{
		float		x = (float) v;
		double		e = exp((double) x);
		double		s = 1.0 / (1.0 + exp(-(double) x));
		float		fe = nn_fast_exp(x);
		float		fs = nn_fast_sigmoid(x);
		float		ft = nn_fast_tanh(x);

		if (!CHECK_MSG(isfinite(fe) && isfinite(fs) && isfinite(ft) &&
					   fe > 0.0f && fs >= 0.0f && fs <= 1.0f &&
					   ft >= -1.0f && ft <= 1.0f, "x = %g: %g %g %g", v, fe, fs, ft))
			break;
		if (x >= -87.0f && x <= 88.0f)
			exp_rel = fmax(exp_rel, fabs(fe - e) / e);
		if (x >= -87.0f && x <= 87.0f)
			sig_rel = fmax(sig_rel, fabs(fs - s) / s);
		sig_abs = fmax(sig_abs, fabs(fs - s));
		tanh_abs = fmax(tanh_abs, fabs(ft - tanh((double) x)));
	}
	if (harness_verbose())
		printf("    exp rel %.3g, sigmoid rel %.3g abs %.3g, tanh abs %.3g\n",
			   exp_rel, sig_rel, sig_abs, tanh_abs);
	CHECK_MSG(exp_rel < 2e-7, "exp relative error %g", exp_rel);
	CHECK_MSG(sig_rel < 3e-7, "sigmoid relative error %g", sig_rel);
	CHECK_MSG(sig_abs < 2e-7, "sigmoid absolute error %g", sig_abs);
	CHECK_MSG(tanh_abs < 3e-7, "tanh absolute error %g", tanh_abs);
	/* the tails and the special values */
	CHECK(nn_fast_sigmoid(INFINITY) == 1.0f && nn_fast_sigmoid(-INFINITY) < 1e-37f);
	CHECK(nn_fast_tanh(INFINITY) == 1.0f && nn_fast_tanh(-INFINITY) == -1.0f);
	CHECK(nn_fast_tanh(1e30f) == 1.0f && nn_fast_tanh(-1e30f) == -1.0f);
	CHECK(nn_fast_exp(0.0f) == 1.0f && nn_fast_tanh(0.0f) == 0.0f);
	CHECK(nn_fast_exp(1000.0f) > 1e38f && isfinite(nn_fast_exp(1000.0f)));
	CHECK(isnan(nn_fast_exp(NAN)) && isnan(nn_fast_sigmoid(NAN)) && isnan(nn_fast_tanh(NAN)));
	/* the array forms, in place and not */
	for (size_t i = 0; i < 4001; i++)
		xs[i] = (float) (-100.0 + 0.05 * i);
	nn_fast_sigmoid_n(xs, ys, 4001);
	memcpy(yt, xs, sizeof(yt));
	nn_fast_tanh_n(yt, yt, 4001);
	for (size_t i = 0; i < 4001; i++)
	{
		CHECK(ys[i] == nn_fast_sigmoid(xs[i]));
		CHECK(yt[i] == nn_fast_tanh(xs[i]));
	}
}

int
main(void)
{
	RUN_TEST(test_recurrent_gradients);
	RUN_TEST(test_recurrent_forward_reference);
	RUN_TEST(test_recurrent_dropout_gradients);
	RUN_TEST(test_stacked_gradients);
	RUN_TEST(test_recurrent_same_bytes_threads);
	RUN_TEST(test_recurrent_one_row);
	RUN_TEST(test_recurrent_init);
	RUN_TEST(test_recurrent_settings);
	RUN_TEST(test_fastmath);
	return harness_finish("test_recurrent");
}
