/*
 * layertest.h - one layer of a kind called through its NNLayerRoutine
 * directly, with its own buffers, for the kernels' unit tests
 * (test_conv.c, test_depthwise.c): building it, a loss over its output
 * (sum of fixed weights times the output), and finite-difference
 * gradients of that loss against the layer's backward pass.
 */
#ifndef NN_LAYERTEST_H
#define NN_LAYERTEST_H

#include "harness.h"
#include "layer.h"

#define FD_H 1e-2f

/* one layer of a kind, its buffers, and the NNLayer a pass would see */
typedef struct Layer
{
	NNNet		net;
	const NNLayerRoutine *r;
	NNWork		work;
	NNLayer		L;
	float	   *x;
	float	   *params;
	float	   *grads;
	float	   *stats;
	float	   *own;
	float	   *out;
	float	   *weights;		/* the loss: sum of weights * out */
	size_t		batch;
} Layer;

/*
 * A network of one layer l = 0 of r's kind with these settings over input
 * in: parameters off their initial values, running statistics (pairs of
 * means and variances) too.
 */
static inline bool
make_layer(Layer *t, const NNLayerRoutine *r, const void *settings,
		   size_t bytes, NNShape in, size_t batch, NNRng *rng)
{
	NNShape		out;
	size_t		np;
	size_t		ns;
	size_t		nw;

	memset(t, 0, sizeof(*t));
	t->r = r;
	t->batch = batch;
	t->net.n_layers = 2;		/* not the last layer */
	for (int k = 0; k < NN_LAYER_KIND_COUNT; k++)
		if (nn_layer_routine((NNLayerKind) k) == r)
			t->net.layers[0].kind = (uint8_t) k;
	memcpy(t->net.layers[0].settings.bytes, settings, bytes);
	t->net.shapes[0] = in;
	out = r->out_shape(&t->net, 0, in);
	if (out.rank == 0)
		return false;
	t->net.shapes[1] = out;
	if (r->check(&t->net, 0, false) != NULL)
		return false;
	np = r->n_params(&t->net, 0, in, out);
	ns = r->n_stats(&t->net, 0, out);
	nw = r->work_floats(&t->net, 0, out, batch, true);
	t->x = xcalloc(batch * nn_shape_size(in), sizeof(float));
	t->params = xcalloc(np, sizeof(float));
	t->grads = xcalloc(np, sizeof(float));
	t->stats = ns > 0 ? xcalloc(ns, sizeof(float)) : NULL;
	t->own = nw > 0 ? xcalloc(nw, sizeof(float)) : NULL;
	t->out = xcalloc(batch * nn_shape_size(out), sizeof(float));
	t->weights = xcalloc(batch * nn_shape_size(out), sizeof(float));
	fill_uniform(rng, t->x, batch * nn_shape_size(in), -1.0, 1.0);
	r->init(&t->net, 0, in, out, t->params, t->stats, NN_INIT_XAVIER, rng);
	/* every parameter off its initial value: biases away from zero */
	for (size_t i = 0; i < np; i++)
		t->params[i] += (float) (0.1 * (nn_rng_uniform(rng) - 0.5));
	if (ns > 0)
	{
		fill_uniform(rng, t->stats, ns / 2, -0.5, 0.5);
		fill_uniform(rng, t->stats + ns / 2, ns - ns / 2, 0.4, 1.8);
	}
	fill_uniform(rng, t->weights, batch * nn_shape_size(out), -1.0, 1.0);
	t->work.max_batch = batch;
	t->work.training = true;
	t->L = (NNLayer) {
		.net = &t->net,
		.index = 0,
		.in_shape = in,
		.out_shape = out,
		.in_size = nn_shape_size(in),
		.out_size = nn_shape_size(out),
		.params = t->params,
		.grads = t->grads,
		.stats = t->stats,
		.work = &t->work,
		.own = t->own,
		.in = t->x,
		.out = t->out,
		.batch = batch,
	};
	return true;
}

static inline void
free_layer(Layer *t)
{
	free(t->x);
	free(t->params);
	free(t->grads);
	free(t->stats);
	free(t->own);
	free(t->out);
	free(t->weights);
}

static inline size_t
n_params(const Layer *t)
{
	return t->r->n_params(&t->net, 0, t->L.in_shape, t->L.out_shape);
}

/* the loss, sum of weights * out, after a forward (training: no dropout) */
static inline double
layer_loss_in(Layer *t, bool training)
{
	double		s = 0.0;

	if (training)
		t->r->forward_train(&t->L, NULL);
	else
		t->r->forward(&t->L);
	for (size_t i = 0; i < t->batch * t->L.out_size; i++)
		s += (double) t->weights[i] * t->out[i];
	return s;
}

static inline double
layer_loss(Layer *t)
{
	return layer_loss_in(t, false);
}

/*
 * The loss's gradient w.r.t. the parameters (training only) then the
 * inputs, from backward (an) and by central differences (nu), each np +
 * nx doubles; in training mode through the batch statistics, else through
 * the running ones.
 */
static inline void
layer_gradients(Layer *t, bool training, double *an, double *nu)
{
	size_t		np = n_params(t);
	size_t		nx = t->batch * t->L.in_size;
	size_t		ny = t->batch * t->L.out_size;
	float	   *d = xcalloc(ny, sizeof(float));
	float	   *dx = xcalloc(nx, sizeof(float));
	float	   *grads = t->L.grads;

	layer_loss_in(t, training);
	memcpy(d, t->weights, ny * sizeof(float));
	if (!training)
		t->L.grads = NULL;
	t->r->backward(&t->L, d, NN_BACK_FROM_OUTPUT, dx, training, false);
	t->L.grads = grads;
	for (size_t i = 0; i < np; i++)
		an[i] = training ? t->grads[i] : 0.0;
	for (size_t i = 0; i < nx; i++)
		an[np + i] = dx[i];
	for (size_t i = 0; i < np + nx; i++)
	{
		float	   *v = i < np ? &t->params[i] : &t->x[i - np];
		float		keep = *v;
		double		up,
					down;

		if (i < np && !training)
		{
			nu[i] = 0.0;
			continue;
		}
		*v = keep + FD_H;
		up = layer_loss_in(t, training);
		*v = keep - FD_H;
		down = layer_loss_in(t, training);
		*v = keep;
		nu[i] = (up - down) / (2.0 * FD_H);
	}
	free(d);
	free(dx);
}

static inline NNShape
shape3(uint32_t c, uint32_t h, uint32_t w)
{
	NNShape		s = {3, {c, h, w}};

	return s;
}

static inline double
apply_act(uint8_t act, double z)
{
	switch (act)
	{
		case NN_ACT_TANH:
			return tanh(z);
		case NN_ACT_SIGMOID:
			return 1.0 / (1.0 + exp(-z));
		default:
			return z;
	}
}

#endif
