/*
 * conv2d_layer.h - the conv2d layer kind as others see it: its settings
 * and the geometry they give an input shape.  How it runs is
 * conv2d_layer.c's alone, through its NNLayerRoutine (nn_conv2d_layer).
 * */
#ifndef NN_CONV2D_LAYER_H
#define NN_CONV2D_LAYER_H

#include "im2col.h"
#include "layer.h"

/*
 * A pass lowers an image's patches a piece at a time: its output positions
 * (columns) all, or as many as fit NN_CONV_PIECE_FLOATS floats of patches,
 * at least one, so that the buffers stay bounded whatever the image.  The
 * plan depends only on the geometry, the same in training and inference
 * passes.  A patch (channels x kernel_h x kernel_w) may not be larger
 * than a piece.
 */
#define NN_CONV_PIECE_FLOATS (256 * 1024)

/*
 * A pass runs a batch's images in this many groups (fewer for a smaller
 * batch), each group on one thread, each with its own room for a piece
 * of patches; training sums the weight gradient by group, then adds the
 * groups in order.  A fixed plan, so the bytes are the same at any thread
 * count, with parts enough to keep a few threads busy.
 */
#define NN_CONV_GROUPS 8

/*
 * A conv2d layer's settings, kept in its NNLayerSettings (all 16 bytes).  Padding is explicit per side; "same" maps to it (conv2d_layer.c,
 * nn_conv2d_same_padding).  Input and output shapes are [channels,
 * height, width].
 */
typedef struct NNConv2dSettings
{
	uint16_t	filters;		/* output channels */
	NNWindow	window;			/* the kernel's */
	uint8_t		act;			/* NNActivation after the layer; not softmax */
	uint8_t		batch_norm;		/* 1: normalize each filter before act */
	float		dropout;		/* inverted dropout rate in [0, 1) after act */
} __attribute__((__may_alias__)) NNConv2dSettings;

_Static_assert(sizeof(NNConv2dSettings) <= NN_LAYER_SETTINGS_BYTES,
			   "conv2d settings must fit NNLayerSettings");

static inline const NNConv2dSettings *
nn_conv2d(const NNNet *net, uint32_t l)
{
	return (const NNConv2dSettings *) (const void *) net->layers[l].settings.bytes;
}

static inline NNConv2dSettings *
nn_conv2d_mut(NNNet *net, uint32_t l)
{
	return (NNConv2dSettings *) (void *) net->layers[l].settings.bytes;
}

/* make layer l a conv2d layer with these settings, the rest of its settings zero */
void		nn_conv2d_set(NNNet *net, uint32_t l, const NNConv2dSettings *s);

/* the window of layer l over an input of shape in; false if none fits */
bool		nn_conv2d_geom(const NNNet *net, uint32_t l, NNShape in,
						   NNConvGeom *g);

/*
 * "same" padding for one axis (TensorFlow's rule): the output has
 * ceil(size / stride) positions, and the total padding that needs, when
 * positive, is split with the odd one at the end (bottom or right).
 */
void		nn_conv2d_same_padding(uint32_t size, uint32_t kernel, uint32_t stride,
								   uint8_t *pad_begin, uint8_t *pad_end);

/* output positions per piece of an image */
size_t		nn_conv2d_piece(const NNConvGeom *g);

/*
 * For the unit tests only: pieces of fewer floats (0: the default), so
 * that small images take several pieces.  Never larger than the default.
 */
void		nn_conv2d_set_piece_floats(size_t floats);

/*
 * For the unit tests only: rounds of less work (0: the default), so that
 * small batches take several rounds.
 */
void		nn_conv2d_set_round_work(size_t work);


#endif
