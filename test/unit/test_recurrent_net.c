/*
 * test_recurrent_net.c - recurrent layers in networks, through the driver
 * (network.c): lstm (return_sequences) -> gru (bidirectional) -> dense,
 * its parameter and input gradients against finite differences; the same
 * trained bytes at 1 and 2 kernel threads, and run after run at 2
 * OpenBLAS threads; each row scored alone as in the batch, and an
 * inference workspace (two steps of states) as a training one (every
 * step's).
 */
#include <cblas.h>

#include "harness.h"
#include "layertest.h"
#include "parallel.h"
#include "recurrent_layer.h"
#include "testnet.h"

static const NNLayerRoutine *const kinds[3] = {
	&nn_rnn_layer, &nn_lstm_layer, &nn_gru_layer
};

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
	n.work.threads = kernel_threads;
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
 * The same parameter and output bytes at 1, 2 and 3 kernel threads, with
 * OpenBLAS on one thread as the server runs it (kernels/dense.h: the
 * products' parts are fixed by the shapes).
 */
static void
test_recurrent_same_bytes_threads(void)
{
	size_t		n[3] = {0};
	float	   *o[3];
	float	   *p[3];

	for (int r = 0; r < 3; r++)
		p[r] = trained(r + 1, 1, &n[r], &o[r]);
	for (int r = 1; r < 3; r++)
		if (CHECK(p[0] != NULL && p[r] != NULL && n[0] == n[r]))
		{
			CHECK_MSG(memcmp(p[0], p[r], n[r] * sizeof(float)) == 0,
					  "trained parameters differ at %d threads", r + 1);
			CHECK_MSG(memcmp(o[0], o[r], 32 * 3 * sizeof(float)) == 0,
					  "outputs differ at %d threads", r + 1);
		}
	for (int r = 0; r < 3; r++)
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
	for (int k = 0; k < 6; k++)
	{
		NNNet		net;
		/* bidirectional, without and with return_sequences */
		NNRecurrentSettings s = {6, (uint8_t) (k / 3), 1, 0.0f};
		NNWork		work,
					twork;
		NNRng		rng;
		size_t		batch = 5;
		size_t		nx = batch * 7 * 3;
		size_t		width = k / 3 ? 7 * 12 : 12;
		float	   *x = xcalloc(nx, sizeof(float));
		float	   *buf,
				   *tbuf,
				   *batch_h;
		const char *name = kinds[k % 3]->name;

		memset(&net, 0, sizeof(net));
		net.n_layers = 2;
		net.shapes[0] = shape2(7, 3);
		nn_recurrent_set(&net, 0, (NNLayerKind) (NN_LAYER_RNN + k % 3), &s);
		nn_dense_set(&net, 1, 2, NN_ACT_IDENTITY, false, 0.0f);
		set_training(&net, NN_LOSS_MSE);
		if (!CHECK(nn_net_layout(&net) == NULL))
			continue;
		CHECK_EQ_INT(nn_shape_size(net.shapes[1]), width);
		net.params = xcalloc(net.n_params, sizeof(float));
		nn_rng_seed(&rng, 1606);
		nn_net_init_params(&net, NN_INIT_AUTO, &rng);
		fill_uniform(&rng, x, nx, -1.0, 1.0);
		/* an inference workspace: the one scoring uses */
		buf = xcalloc(nn_work_floats(&net, batch, false), sizeof(float));
		nn_work_bind(&work, &net, buf, batch, false);
		CHECK(nn_net_forward(&net, &work, x, batch) != NULL);
		batch_h = xcalloc(batch * width, sizeof(float));
		memcpy(batch_h, work.acts[1], batch * width * sizeof(float));
		tbuf = xcalloc(nn_work_floats(&net, batch, true), sizeof(float));
		nn_work_bind(&twork, &net, tbuf, batch, true);
		nn_net_forward(&net, &twork, x, batch);
		CHECK_MSG(memcmp(twork.acts[1], batch_h, batch * width * sizeof(float)) == 0,
				  "%s: training workspace differs", name);
		for (size_t r = 0; r < batch; r++)
		{
			nn_net_forward_row(&net, &work, x + r * 21, NULL);
			CHECK_MSG(memcmp(work.acts[1], batch_h + r * width,
							 width * sizeof(float)) == 0,
					  "%s: row %zu alone differs from the batch", name, r);
		}
		free(batch_h);
		free(tbuf);
		free(buf);
		free(x);
		free(net.params);
	}
}

int
main(void)
{
	RUN_TEST(test_stacked_gradients);
	RUN_TEST(test_recurrent_same_bytes_threads);
	RUN_TEST(test_recurrent_one_row);
	return harness_finish("test_recurrent_net");
}
