/*
 * testnet.h - what the C tests use to build dense networks by hand: the
 * widths between the layers (the input's, then each dense layer's units),
 * read and written before nn_net_layout has set the shapes.
 */
#ifndef NN_TESTNET_H
#define NN_TESTNET_H

#include "dense_layer.h"

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

#endif
