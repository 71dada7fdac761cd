/*
 * model_conv.c - the spatial layer kinds' entries in the model format's
 * layer-format table (model_layers.h), held by format version 3 (kind
 * tags and shaped inputs).  A kind's shape block is the settings that fix
 * its output shape; its record the rest:
 *
 *   conv2d      shape: u16 filters, u8 kernel h, w, stride h, w,
 *                      padding top, left, bottom, right
 *               record: u8 activation, u8 batch_norm, f32 dropout
 *   max_pool2d, avg_pool2d
 *               shape: u8 size h, w, stride h, w, padding top, left,
 *                      bottom, right
 *               record: none
 *   global_avg_pool2d
 *               shape: none
 *               record: none
 *   depthwise_conv2d, separable_conv2d
 *               shape: u16 filters, u8 multiplier, kernel h, w, stride h,
 *                      w, padding top, left, bottom, right
 *               record: u8 activation
 *
 * The reader only stores the values; the layout (nn_net_layout) checks
 * them against the input shape before anything is sized from them.
 */
#include "kernels/conv2d_layer.h"
#include "kernels/depthwise_layer.h"
#include "kernels/pool_layer.h"
#include "model.h"
#include "model_bytes.h"
#include "model_layers.h"

/* ------------------------------------------------------------ windows */

/* a window's eight bytes, in NNWindow's order */
static void
WriteWindow(ModelWriter *w, const NNWindow *win)
{
	const uint8_t bytes[8] = {win->kernel_h, win->kernel_w, win->stride_h,
	win->stride_w, win->pad_top, win->pad_left, win->pad_bottom, win->pad_right};

	Put(w, bytes, sizeof(bytes));
}

static NNWindow
ReadWindow(ModelReader *r)
{
	uint8_t		b[8];

	Take(r, b, sizeof(b));
	return (NNWindow) {b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]};
}

/* ------------------------------------------------------------ conv2d */

static void
Conv2dWriteShape(ModelWriter *w, const NNNet *net, uint32_t l)
{
	const NNConv2dSettings *s = nn_conv2d(net, l);

	PutU16(w, s->filters);
	WriteWindow(w, &s->window);
}

static void
Conv2dReadShape(ModelReader *r, NNNet *net, uint32_t l)
{
	NNConv2dSettings *s = nn_conv2d_mut(net, l);

	s->filters = ReadU16(r);
	s->window = ReadWindow(r);
}

static void
Conv2dWriteRecord(ModelWriter *w, const NNNet *net, uint32_t l)
{
	const NNConv2dSettings *s = nn_conv2d(net, l);

	PutU8(w, s->act);
	PutU8(w, s->batch_norm);
	PutF32(w, s->dropout);
}

static void
Conv2dReadRecord(ModelReader *r, NNNet *net, uint32_t l)
{
	NNConv2dSettings *s = nn_conv2d_mut(net, l);

	s->act = ReadU8(r);
	s->batch_norm = ReadU8(r);
	s->dropout = ReadF32(r);
}

const NNLayerFormat nn_conv2d_format = {
	.kind = NN_LAYER_CONV2D,
	.min_version = 3,
	.write_shape = Conv2dWriteShape,
	.read_shape = Conv2dReadShape,
	.write_record = Conv2dWriteRecord,
	.read_record = Conv2dReadRecord,
};

/* ------------------------------------------------------------ pooling */

static void
PoolWriteShape(ModelWriter *w, const NNNet *net, uint32_t l)
{
	WriteWindow(w, &nn_pool(net, l)->window);
}

static void
PoolReadShape(ModelReader *r, NNNet *net, uint32_t l)
{
	NNPoolSettings s = {ReadWindow(r)};

	nn_pool_set(net, l, (NNLayerKind) net->layers[l].kind, &s);
}

/* pooling has no settings beyond its window (global pooling: none at all) */
static void
PoolWriteRecord(ModelWriter *w, const NNNet *net, uint32_t l)
{
	(void) w;
	(void) net;
	(void) l;
}

static void
PoolReadRecord(ModelReader *r, NNNet *net, uint32_t l)
{
	(void) r;
	(void) net;
	(void) l;
}

const NNLayerFormat nn_max_pool2d_format = {
	.kind = NN_LAYER_MAX_POOL2D,
	.min_version = 3,
	.write_shape = PoolWriteShape,
	.read_shape = PoolReadShape,
	.write_record = PoolWriteRecord,
	.read_record = PoolReadRecord,
};

const NNLayerFormat nn_avg_pool2d_format = {
	.kind = NN_LAYER_AVG_POOL2D,
	.min_version = 3,
	.write_shape = PoolWriteShape,
	.read_shape = PoolReadShape,
	.write_record = PoolWriteRecord,
	.read_record = PoolReadRecord,
};

/* ------------------------------------------------------------ global pooling */

static void
GlobalWriteShape(ModelWriter *w, const NNNet *net, uint32_t l)
{
	(void) w;
	(void) net;
	(void) l;
}

static void
GlobalReadShape(ModelReader *r, NNNet *net, uint32_t l)
{
	(void) r;
	nn_global_pool_set(net, l);
}

const NNLayerFormat nn_global_avg_pool2d_format = {
	.kind = NN_LAYER_GLOBAL_AVG_POOL2D,
	.min_version = 3,
	.write_shape = GlobalWriteShape,
	.read_shape = GlobalReadShape,
	.write_record = PoolWriteRecord,
	.read_record = PoolReadRecord,
};

/* ------------------------------------------------------------ depthwise, separable */

static void
DepthwiseWriteShape(ModelWriter *w, const NNNet *net, uint32_t l)
{
	const NNDepthwiseSettings *s = nn_depthwise(net, l);

	PutU16(w, s->filters);
	PutU8(w, s->multiplier);
	WriteWindow(w, &s->window);
}

static void
DepthwiseReadShape(ModelReader *r, NNNet *net, uint32_t l)
{
	NNDepthwiseSettings s = {0};

	s.filters = ReadU16(r);
	s.multiplier = ReadU8(r);
	s.window = ReadWindow(r);
	nn_depthwise_set(net, l, (NNLayerKind) net->layers[l].kind, &s);
}

static void
DepthwiseWriteRecord(ModelWriter *w, const NNNet *net, uint32_t l)
{
	PutU8(w, nn_depthwise(net, l)->act);
}

static void
DepthwiseReadRecord(ModelReader *r, NNNet *net, uint32_t l)
{
	nn_depthwise_mut(net, l)->act = ReadU8(r);
}

const NNLayerFormat nn_depthwise_conv2d_format = {
	.kind = NN_LAYER_DEPTHWISE_CONV2D,
	.min_version = 3,
	.write_shape = DepthwiseWriteShape,
	.read_shape = DepthwiseReadShape,
	.write_record = DepthwiseWriteRecord,
	.read_record = DepthwiseReadRecord,
};

const NNLayerFormat nn_separable_conv2d_format = {
	.kind = NN_LAYER_SEPARABLE_CONV2D,
	.min_version = 3,
	.write_shape = DepthwiseWriteShape,
	.read_shape = DepthwiseReadShape,
	.write_record = DepthwiseWriteRecord,
	.read_record = DepthwiseReadRecord,
};
