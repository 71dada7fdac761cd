/*
 * testnet.h - what the C tests use to build dense networks by hand: the
 * widths between the layers (the input's, then each dense layer's units),
 * read and written before nn_net_layout has set the shapes.
 */
#ifndef NN_TESTNET_H
#define NN_TESTNET_H

#include "dense_layer.h"
#include "harness.h"
#include "layer.h"

/* widths[l]: the inputs for l = 0, else dense layer l - 1's units */
static inline void
set_width(NNNet *net, uint32_t l, uint32_t w)
{
	if (l == 0)
		net->shapes[0] = nn_shape_vector(w);
	else
		nn_dense_mut(net, l - 1)->units = w;
}

static inline uint32_t
width(const NNNet *net, uint32_t l)
{
	return l == 0 ? (uint32_t) nn_shape_size(net->shapes[0]) :
		nn_dense(net, l - 1)->units;
}

/*
 * The settings a test network trains with when the test cares for none:
 * the loss, Huber delta 1, plain SGD with its defaults, batch size 8.
 */
static inline void
set_training(NNNet *net, NNLoss loss)
{
	net->loss.kind = loss;
	net->loss.huber_delta = 1.0f;
	net->optimizer = NN_OPT_SGD;
	nn_optimizer_defaults(NN_OPT_SGD, &net->opt);
	net->batch_size = 8;
	net->lr_factor = 1.0f;
}

/*
 * Parameters and running statistics for a laid-out network, seeded and
 * away from their initial values: Xavier, then every parameter uniform in
 * +-range, each layer's statistics in pairs (means in +-0.5, variances in
 * [0.4, 1.8]).  Allocated with xcalloc; the caller frees them.
 */
static inline void
random_params_and_stats(NNNet *net, NNRng *rng, double range)
{
	net->params = xcalloc(net->n_params, sizeof(float));
	net->stats = xcalloc(net->n_stats + 1, sizeof(float));
	nn_net_init_params(net, NN_INIT_XAVIER, rng);
	fill_uniform(rng, net->params, net->n_params, -range, range);
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		size_t		ns = nn_layer_routine(net->layers[l].kind)->n_stats(net, l, net->shapes[l + 1]);
		float	   *st = net->stats + nn_net_stats_offset(net, l);

		fill_uniform(rng, st, ns / 2, -0.5, 0.5);
		fill_uniform(rng, st + ns / 2, ns - ns / 2, 0.4, 1.8);
	}
}

#endif
