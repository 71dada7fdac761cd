/*
 * dense_layer.h - the dense layer kind as others see it: its settings,
 * read and written by the entries that describe a dense layer (the model
 * format's, the layer builder's, the ONNX export's, nn_info's), its
 * tensors by name and its training buffers (for the tests).  How it runs
 * is dense_layer.c's alone, through its entry in the layer table.
 */
#ifndef NN_DENSE_LAYER_H
#define NN_DENSE_LAYER_H

#include "layer.h"

/*
 * A dense layer's settings, kept in its NNLayerSettings.  A network's
 * settings are bytes to everyone else, so the type may alias them
 * (gcc and clang; PostgreSQL builds with -fno-strict-aliasing anyway).
 */
typedef struct NNDenseSettings
{
	uint32_t	units;			/* its width: the output shape is [units] */
	float		dropout;		/* rate in [0, 1) after act (hidden only) */
	uint8_t		act;			/* NNActivation after the layer */
	uint8_t		batch_norm;		/* 1: normalize before act (hidden only) */
} __attribute__((__may_alias__)) NNDenseSettings;

_Static_assert(sizeof(NNDenseSettings) <= NN_LAYER_SETTINGS_BYTES,
			   "dense settings must fit NNLayerSettings");

/* layer l's dense settings (its kind must be dense) */
static inline const NNDenseSettings *
nn_dense(const NNNet *net, uint32_t l)
{
	return (const NNDenseSettings *) (const void *) net->layers[l].settings.bytes;
}

static inline NNDenseSettings *
nn_dense_mut(NNNet *net, uint32_t l)
{
	return (NNDenseSettings *) (void *) net->layers[l].settings.bytes;
}

/* make layer l a dense layer with these settings */
void		nn_dense_set(NNNet *net, uint32_t l, uint32_t units, uint8_t act,
						 bool batch_norm, float dropout);

/* where the layer's b, gamma and beta start (gamma, beta: batch-normalized) */
size_t		nn_net_bias_offset(const NNNet *net, uint32_t layer);
size_t		nn_net_gamma_offset(const NNNet *net, uint32_t layer);
size_t		nn_net_beta_offset(const NNNet *net, uint32_t layer);

/*
 * Layer l's training buffers in its block work->layer[l]; NULL where the
 * layer has no dropout (mask, dropped) or no batch normalization (zhat,
 * bn_mean, bn_inv_std).
 */
typedef struct NNDenseWork
{
	float	   *mask;			/* dropout scale, 0 or 1 / (1 - rate) */
	float	   *dropped;		/* acts * mask: the next layer's input */
	float	   *zhat;			/* batch-normalized pre-activation */
	float	   *bn_mean;		/* batch mean of each unit */
	float	   *bn_inv_std;		/* 1 / sqrt(batch var + eps) */
} NNDenseWork;

NNDenseWork nn_dense_work(const NNNet *net, const NNWork *work, uint32_t l);

#endif
