/*
 * depthwise_layer.h - the depthwise_conv2d and separable_conv2d layer
 * kinds as others see them: their settings.  How they run is
 * depthwise_layer.c's alone, through their NNLayerRoutines.
 *
 *   depthwise_conv2d: each input channel convolved on its own with
 *       `multiplier` filters of kernel_h x kernel_w; output channel
 *       c x multiplier + j comes from input channel c (ONNX Conv with
 *       group = channels, PyTorch Conv2d(groups=channels)).  Parameters:
 *       W (channels x multiplier, kernel_h, kernel_w), b (channels x
 *       multiplier).
 *   separable_conv2d: a depthwise convolution with multiplier 1 and no
 *       bias, then a pointwise (1x1) convolution to `filters` channels with
 *       a bias, then the activation; one layer in the spec (Keras'
 *       SeparableConv2D).  Parameters: W_depthwise (channels, kernel_h,
 *       kernel_w), W_pointwise (filters x channels), b (filters).
 *
 * Padding is explicit per side and smaller than the kernel, as for
 * conv2d (conv2d_layer.h: nn_conv2d_same_padding gives "same").
 */
#ifndef NN_DEPTHWISE_LAYER_H
#define NN_DEPTHWISE_LAYER_H

#include "im2col.h"
#include "layer.h"

typedef struct NNDepthwiseSettings
{
	uint16_t	filters;		/* separable: pointwise outputs; depthwise: 0 */
	uint8_t		multiplier;		/* depthwise: outputs per channel; separable: 1 */
	NNWindow	window;			/* the kernel's */
	uint8_t		act;			/* NNActivation after the layer; not softmax */
} __attribute__((__may_alias__)) NNDepthwiseSettings;

_Static_assert(sizeof(NNDepthwiseSettings) <= NN_LAYER_SETTINGS_BYTES,
			   "depthwise settings must fit NNLayerSettings");

static inline const NNDepthwiseSettings *
nn_depthwise(const NNNet *net, uint32_t l)
{
	return (const NNDepthwiseSettings *) (const void *) net->layers[l].settings.bytes;
}

static inline NNDepthwiseSettings *
nn_depthwise_mut(NNNet *net, uint32_t l)
{
	return (NNDepthwiseSettings *) (void *) net->layers[l].settings.bytes;
}

/*
 * Make layer l a layer of that kind (NN_LAYER_DEPTHWISE_CONV2D or
 * NN_LAYER_SEPARABLE_CONV2D) with these settings, the rest zero.
 */
void		nn_depthwise_set(NNNet *net, uint32_t l, NNLayerKind kind,
							 const NNDepthwiseSettings *s);

/* the depthwise window of layer l over an input of shape in; false if none fits */
bool		nn_depthwise_geom(const NNNet *net, uint32_t l, NNShape in,
							  NNConvGeom *g);

#endif
