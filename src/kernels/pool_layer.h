/*
 * pool_layer.h - the pooling layer kinds (max_pool2d, avg_pool2d,
 * global_avg_pool2d) as others see them: their settings.  How they run
 * is pool_layer.c's alone, through their NNLayerRoutines.
 * */
#ifndef NN_POOL_LAYER_H
#define NN_POOL_LAYER_H

#include "im2col.h"
#include "layer.h"

/*
 * A pooling layer's settings, kept in its NNLayerSettings (8 of the 16
 * bytes).  The window slides over each channel on its own: input and
 * output shapes are [channels, height, width] with the same channels.
 * Padding is explicit per side and smaller than the window, so every
 * window holds at least one input value.
 *
 *   max: the largest input value of the window; padding never wins.  Ties
 *        go to the first maximum in row-major window order (the smallest
 *        row, then the smallest column), which alone gets the gradient.
 *   avg: the mean of the window's input values: padding is not counted in
 *        the divisor (ONNX AveragePool's count_include_pad = 0, Keras'
 *        "same"; PyTorch's count_include_pad=False).
 */
typedef struct NNPoolSettings
{
	NNWindow	window;			/* kernel_h and kernel_w: the size */
} __attribute__((__may_alias__)) NNPoolSettings;

_Static_assert(sizeof(NNPoolSettings) <= NN_LAYER_SETTINGS_BYTES,
			   "pooling settings must fit NNLayerSettings");

static inline const NNPoolSettings *
nn_pool(const NNNet *net, uint32_t l)
{
	return (const NNPoolSettings *) (const void *) net->layers[l].settings.bytes;
}

/*
 * Make layer l a pooling layer of that kind (NN_LAYER_MAX_POOL2D or
 * NN_LAYER_AVG_POOL2D) with these settings, the rest of its settings zero.
 */
void		nn_pool_set(NNNet *net, uint32_t l, NNLayerKind kind,
						const NNPoolSettings *s);

/*
 * Make layer l a global_avg_pool2d layer: [channels, height, width] to
 * [channels, 1, 1], each channel's mean (ONNX GlobalAveragePool).  It has
 * no settings.
 */
void		nn_global_pool_set(NNNet *net, uint32_t l);

/* the window of layer l over an input of shape in; false if none fits */
bool		nn_pool_geom(const NNNet *net, uint32_t l, NNShape in, NNConvGeom *g);


#endif
