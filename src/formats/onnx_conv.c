/*
 * onnx_conv.c - the export entries (onnx_graph.h) of the spatial layer
 * kinds, whose values are NCHW tensors (onnx.c reshapes image rows to
 * them; a dense layer flattens them back):
 *
 *   conv2d            Conv (W [filters, channels, kh, kw], b), then
 *                     BatchNormalization when batch-normalized, then the
 *                     activation; dropout is the identity at inference
 *   max_pool2d        MaxPool
 *   avg_pool2d        AveragePool, count_include_pad 0 (padding is not in
 *                     the divisor, pool_layer.h)
 *   global_avg_pool2d GlobalAveragePool
 *   depthwise_conv2d  Conv with group = channels (W [channels x multiplier,
 *                     1, kh, kw]), then the activation
 *   separable_conv2d  Conv with group = channels and no bias, then a 1x1
 *                     Conv with the bias, then the activation
 *
 * nn's padding is explicit per side: ONNX's pads are [top, left, bottom,
 * right] (x1_begin, x2_begin, x1_end, x2_end).
 */
#include "kernels/conv2d_layer.h"
#include "kernels/depthwise_layer.h"
#include "kernels/pool_layer.h"
#include "onnx_graph.h"

/* a sliding window's attributes, kept alive while its node is written */
typedef struct Window
{
	int64_t		kernel[2];
	int64_t		pads[4];
	int64_t		strides[2];
} Window;

/* the attributes' values of a layer's window (ONNX pads: begins, then ends) */
static void
SetWindow(Window *win, const NNWindow *w)
{
	*win = (Window) {{w->kernel_h, w->kernel_w},
	{w->pad_top, w->pad_left, w->pad_bottom, w->pad_right},
	{w->stride_h, w->stride_w}};
}

/* kernel_shape, pads and strides: the node's first three attributes */
static void
AddWindowAttrs(Node *n, const Window *win)
{
	n->attr[0] = (Attr) {"kernel_shape", ATTR_TYPE_INTS, 0.0f, 2, win->kernel, NULL};
	n->attr[1] = (Attr) {"pads", ATTR_TYPE_INTS, 0.0f, 4, win->pads, NULL};
	n->attr[2] = (Attr) {"strides", ATTR_TYPE_INTS, 0.0f, 2, win->strides, NULL};
	n->n_attr = 3;
}

/* a 4-D float initializer named layerL.what */
static void
AddWeight4(GraphWalk *g, char *name, uint32_t l, const char *what, const float *v,
		   uint64_t d0, uint64_t d1, uint64_t d2, uint64_t d3)
{
	Tensor		t = {name, DTYPE_FLOAT, 4, {d0, d1, d2, d3}, v, 0.0, NULL, NULL, NULL};

	OnnxLayerName(name, l, what);
	OnnxAddTensor(g, &t);
}

/*
 * Conv of cur by the weights w (dims [out, in / group, kh, kw]) and, when
 * b is not NULL, the bias b [out]; its output is the stage stage of layer l
 * (the layer's output when last).  cur names the input, then the output.
 */
static void
AddConv(GraphWalk *g, uint32_t l, const char *stage, const Window *win, int64_t group,
		const float *w, const uint64_t dims[4], const float *b, const char *wname,
		const char *bname, char *cur, bool last, const char *final)
{
	char		weight[NAME_LEN],
				bias[NAME_LEN],
				next[NAME_LEN];
	Node		n = {"Conv", {cur, weight, bias}, b != NULL ? 3 : 2, next, {{0}}, 0, 0};

	AddWeight4(g, weight, l, wname, w, dims[0], dims[1], dims[2], dims[3]);
	if (b != NULL)
	{
		OnnxLayerName(bias, l, bname);
		OnnxAddFloats(g, bias, b, dims[0]);
	}
	OnnxStageName(next, l, stage, last, final);
	AddWindowAttrs(&n, win);
	if (group != 1)
		n.attr[n.n_attr++] = (Attr) {"group", ATTR_TYPE_INT, 0.0f, group, NULL, NULL};
	OnnxAddNode(g, &n);
	strcpy(cur, next);
}

/* ------------------------------------------------------------ conv2d */

static void
WalkConv2d(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	const NNNet *net = &g->m->net;
	const NNConv2dSettings *s = nn_conv2d(net, l);
	const float *p = net->params + nn_net_weight_offset(net, l);
	uint64_t	f = s->filters;
	uint64_t	dims[4] = {f, net->shapes[l].dims[0], s->window.kernel_h,
	s->window.kernel_w};
	uint64_t	nw = dims[0] * dims[1] * dims[2] * dims[3];
	bool		bn = s->batch_norm != 0;
	bool		has_act = s->act != NN_ACT_IDENTITY;
	Window		win;

	SetWindow(&win, &s->window);
	AddConv(g, l, "conv", &win, 1, p, dims, p + nw, "weight", "bias", cur,
			!bn && !has_act, final);
	/* W, b, then gamma and beta per filter */
	if (bn)
		OnnxAddBatchNorm(g, l, (uint32_t) f, p + nw + f, p + nw + 2 * f, cur,
						 !has_act, final);
	OnnxAddActivation(g, l, s->act, cur, final);
}

/* ------------------------------------------------------------ pooling */

static void
WalkPool(GraphWalk *g, uint32_t l, char *cur, const char *final, const char *op,
		 const char *stage)
{
	const NNPoolSettings *s = nn_pool(&g->m->net, l);
	char		next[NAME_LEN];
	Node		n = {op, {cur}, 1, next, {{0}}, 0, 0};
	Window		win;

	SetWindow(&win, &s->window);
	AddWindowAttrs(&n, &win);
	/* AveragePool's default, written out: nn never counts padding */
	if (strcmp(op, "AveragePool") == 0)
		n.attr[n.n_attr++] = (Attr) {"count_include_pad", ATTR_TYPE_INT, 0.0f, 0, NULL, NULL};
	OnnxStageName(next, l, stage, true, final);
	OnnxAddNode(g, &n);
	strcpy(cur, next);
}

static void
WalkMaxPool(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	WalkPool(g, l, cur, final, "MaxPool", "max_pool");
}

static void
WalkAvgPool(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	WalkPool(g, l, cur, final, "AveragePool", "avg_pool");
}

static void
WalkGlobalAvgPool(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	char		next[NAME_LEN];

	OnnxStageName(next, l, "global_avg_pool", true, final);
	OnnxAddOp(g, "GlobalAveragePool", cur, NULL, next);
	strcpy(cur, next);
}

/* ------------------------------------------------------------ depthwise, separable */

/*
 * depthwise_conv2d: W (channels x multiplier, kh, kw), b (channels x
 * multiplier).  separable_conv2d: W_depthwise (channels, kh, kw),
 * W_pointwise (filters x channels), b (filters), the pointwise Conv after
 * the depthwise one.
 */
static void
WalkDepthwiseKind(GraphWalk *g, uint32_t l, char *cur, const char *final, bool separable)
{
	const NNNet *net = &g->m->net;
	const NNDepthwiseSettings *s = nn_depthwise(net, l);
	const float *p = net->params + nn_net_weight_offset(net, l);
	uint64_t	c = net->shapes[l].dims[0];
	uint64_t	m = separable ? 1 : s->multiplier;
	uint64_t	depth_dims[4] = {c * m, 1, s->window.kernel_h, s->window.kernel_w};
	const float *after = p + c * m * nn_window_area(&s->window);
	bool		last = s->act == NN_ACT_IDENTITY;
	Window		win;

	SetWindow(&win, &s->window);
	if (!separable)
		AddConv(g, l, "depthwise", &win, (int64_t) c, p, depth_dims, after,
				"weight", "bias", cur, last, final);
	else
	{
		uint64_t	point_dims[4] = {s->filters, c, 1, 1};
		Window		one;

		SetWindow(&one, &(NNWindow) {1, 1, 1, 1, 0, 0, 0, 0});
		AddConv(g, l, "depthwise", &win, (int64_t) c, p, depth_dims, NULL,
				"depthwise_weight", NULL, cur, false, final);
		AddConv(g, l, "pointwise", &one, 1, after, point_dims, after + s->filters * c,
				"pointwise_weight", "bias", cur, last, final);
	}
	OnnxAddActivation(g, l, s->act, cur, final);
}

static void
WalkDepthwise(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	WalkDepthwiseKind(g, l, cur, final, false);
}

static void
WalkSeparable(GraphWalk *g, uint32_t l, char *cur, const char *final)
{
	WalkDepthwiseKind(g, l, cur, final, true);
}

const NNOnnxLayer nn_onnx_conv2d = {.walk = WalkConv2d};
const NNOnnxLayer nn_onnx_max_pool2d = {.walk = WalkMaxPool};
const NNOnnxLayer nn_onnx_avg_pool2d = {.walk = WalkAvgPool};
const NNOnnxLayer nn_onnx_global_avg_pool2d = {.walk = WalkGlobalAvgPool};
const NNOnnxLayer nn_onnx_depthwise_conv2d = {.walk = WalkDepthwise};
const NNOnnxLayer nn_onnx_separable_conv2d = {.walk = WalkSeparable};
