/*
 * layertest.h - one layer of a kind called through its NNLayerRoutine
 * directly, with its own buffers, for the kernels' unit tests
 * (test_conv.c, test_depthwise.c): building it, a loss over its output
 * (sum of fixed weights times the output), and finite-difference
 * gradients of that loss against the layer's backward pass.
 */
#ifndef NN_LAYERTEST_H
#define NN_LAYERTEST_H

#include <stdio.h>

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
	/* stale values: backward must overwrite them */
	for (size_t i = 0; i < nx; i++)
		dx[i] = 5.0f;
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

/*
 * After an inference forward: the training forward (no dropout) returns
 * the layer's output, and it and the one-row forward give the same bytes.
 */
static inline void
check_forward_modes(Layer *t, const char *what)
{
	size_t		ny = t->batch * t->L.out_size;
	float	   *inference = xcalloc(ny, sizeof(float));

	memcpy(inference, t->out, ny * sizeof(float));
	CHECK(t->r->forward_train(&t->L, NULL) == t->out);
	CHECK_MSG(memcmp(inference, t->out, ny * sizeof(float)) == 0,
			  "%s: training forward differs from inference", what);
	t->r->forward_row(&t->L, NULL);
	CHECK_MSG(memcmp(inference, t->out, ny * sizeof(float)) == 0,
			  "%s: one-row forward differs from inference", what);
	free(inference);
}

/*
 * An identity layer's input gradient from the pre-activation (the loss's
 * way in) is the one from the output, dx (inference mode).
 */
static inline void
check_from_preact(Layer *t, const double *dx_expected)
{
	size_t		nx = t->batch * t->L.in_size;
	size_t		ny = t->batch * t->L.out_size;
	float	   *d = xcalloc(ny, sizeof(float));
	float	   *dx = xcalloc(nx, sizeof(float));
	float	   *grads = t->L.grads;

	t->r->forward(&t->L);
	memcpy(d, t->weights, ny * sizeof(float));
	t->L.grads = NULL;
	t->r->backward(&t->L, d, NN_BACK_FROM_PREACT, dx, false, false);
	t->L.grads = grads;
	for (size_t i = 0; i < nx; i++)
		CHECK(dx[i] == (float) dx_expected[i]);
	free(d);
	free(dx);
}

/*
 * Every parameter tensor and the input against finite differences in
 * training mode (tolerance rtol), save the tensor named skip (NULL: none),
 * whose gradient must be 0; then the input gradient in inference mode: the
 * training one to the bit for a layer without statistics, else against
 * finite differences through the running statistics; and for an identity
 * layer without statistics, the same from the pre-activation.
 */
static inline void
check_layer_gradients(Layer *t, const char *what, double rtol, const char *skip)
{
	size_t		np = n_params(t);
	size_t		nx = t->batch * t->L.in_size;
	bool		stats = t->r->n_stats(&t->net, 0, t->L.out_shape) > 0;
	double	   *an = xcalloc(np + nx, sizeof(double));
	double	   *nu = xcalloc(np + nx, sizeof(double));
	double	   *an_inf = xcalloc(np + nx, sizeof(double));
	double	   *nu_inf = xcalloc(np + nx, sizeof(double));
	NNTensor	ts[NN_LAYER_MAX_TENSORS];
	uint32_t	nt = t->r->tensors(&t->net, 0, t->L.in_shape, t->L.out_shape, ts);
	char		name[160];

	/* stale gradients must be overwritten */
	for (size_t i = 0; i < np; i++)
		t->grads[i] = 5.0f;
	layer_gradients(t, true, an, nu);
	for (uint32_t i = 0; i < nt; i++)
	{
		snprintf(name, sizeof(name), "%s: dL/d%s", what, ts[i].name);
		if (skip != NULL && strcmp(ts[i].name, skip) == 0)
		{
			for (size_t j = 0; j < ts[i].size; j++)
				CHECK_CLOSE(an[ts[i].offset + j], 0.0, 1e-4, 0.0);
			continue;
		}
		CHECK_GRAD(name, an + ts[i].offset, nu + ts[i].offset, ts[i].size,
				   2e-3, rtol, 1e-3);
	}
	snprintf(name, sizeof(name), "%s: dL/dx", what);
	CHECK_GRAD(name, an + np, nu + np, nx, 2e-3, rtol, 1e-3);

	layer_gradients(t, false, an_inf, nu_inf);
	snprintf(name, sizeof(name), "%s: dL/dx (inference)", what);
	if (stats)
		CHECK_GRAD(name, an_inf + np, nu_inf + np, nx, 2e-3, rtol, 1e-3);
	else
		CHECK_MSG(memcmp(an + np, an_inf + np, nx * sizeof(double)) == 0,
				  "%s: inference input gradient differs", what);
	if (!stats && t->r->activation(&t->net, 0) == NN_ACT_IDENTITY)
		check_from_preact(t, an + np);
	free(an);
	free(nu);
	free(an_inf);
	free(nu_inf);
}

static inline NNShape
shape2(uint32_t steps, uint32_t features)
{
	NNShape		s = {2, {steps, features}};

	return s;
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
