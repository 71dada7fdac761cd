/*
 * test_onnx.c - the ONNX writer (src/formats/onnx.c): varints against
 * known encodings, nn_onnx_size against the bytes written, determinism,
 * and the structure of the file read back by a small protobuf decoder
 * written here (field numbers from onnx.proto): header fields, the
 * operators in order, an initializer's bytes, attributes and metadata;
 * a convolutional model's Reshape, Conv, pooling and Flatten nodes; the
 * depthwise and separable kinds' entries, walked on their own.
 * What the graph computes is checked by test/onnx/check.sh.
 */
#include "conv2d_layer.h"
#include "depthwise_layer.h"
#include "harness.h"
#include "pool_layer.h"
#include "formats/onnx.h"
#include "formats/onnx_graph.h"
#include "formats/model.h"
#include "testnet.h"

/* ------------------------------------------------------------ decoder */

typedef struct PbField
{
	uint32_t	num;
	int			wire;
	uint64_t	value;			/* varint; the length for wire type 2 */
	const uint8_t *data;		/* wire types 2 and 5 */
	size_t		len;
} PbField;

typedef struct PbReader
{
	const uint8_t *p;
	const uint8_t *end;
	bool		bad;
} PbReader;

static PbReader
pb_reader(const uint8_t *data, size_t len)
{
	/* a field not found leaves data NULL: no arithmetic on it */
	PbReader	r = {data, data != NULL ? data + len : data, false};

	return r;
}

static bool
pb_varint(PbReader *r, uint64_t *v)
{
	uint64_t	x = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (r->p >= r->end)
			return false;
		b = *r->p++;
		x |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
		{
			*v = x;
			return true;
		}
	}
	return false;
}

/* the next field; false at the end, or with r->bad set on damage */
static bool
pb_next(PbReader *r, PbField *f)
{
	uint64_t	key;

	if (r->p == r->end)
		return false;
	memset(f, 0, sizeof(*f));
	if (!pb_varint(r, &key))
		goto bad;
	f->num = (uint32_t) (key >> 3);
	f->wire = (int) (key & 7);
	if (f->wire == 0)
	{
		if (!pb_varint(r, &f->value))
			goto bad;
	}
	else if (f->wire == 2)
	{
		if (!pb_varint(r, &f->value) || f->value > (uint64_t) (r->end - r->p))
			goto bad;
		f->data = r->p;
		f->len = (size_t) f->value;
		r->p += f->len;
	}
	else if (f->wire == 5 && r->end - r->p >= 4)
	{
		f->data = r->p;
		f->len = 4;
		r->p += 4;
	}
	else
		goto bad;
	return true;
bad:
	r->bad = true;
	return false;
}

/* the first field num of the message, false when absent */
static bool
pb_find(const uint8_t *data, size_t len, uint32_t num, PbField *out)
{
	PbReader	r = pb_reader(data, len);
	PbField		f;

	memset(out, 0, sizeof(*out));
	while (pb_next(&r, &f))
		if (f.num == num)
		{
			*out = f;
			return true;
		}
	return false;
}

static bool
pb_string_is(const PbField *f, const char *s)
{
	return f->wire == 2 && f->len == strlen(s) && memcmp(f->data, s, f->len) == 0;
}

/* a string field num of the message, as a C string (truncated to size) */
static void
pb_string(const uint8_t *data, size_t len, uint32_t num, char *buf, size_t size)
{
	PbField		f;
	size_t		n = 0;

	if (pb_find(data, len, num, &f) && f.wire == 2)
		n = f.len < size - 1 ? f.len : size - 1;
	if (n > 0)
		memcpy(buf, f.data, n);
	buf[n] = '\0';
}

/* ------------------------------------------------------------ models */

enum
{
	KIND_SOFTMAX,				/* standardized, batch norm, leaky ReLU */
	KIND_BINARY,				/* sigmoid output, tanh hidden layer */
	KIND_REGRESSION				/* standardized, ReLU */
};

typedef struct TestModel
{
	NNModel		m;
	char	   *classes[3];
	char	   *names[2];
	uint32_t	widths[2];
	float		mean[3];
	float		std[3];
} TestModel;

/* 3 inputs -> 4 hidden units -> the kind's outputs; seeded weights */
static void
tm_make(TestModel *t, int kind)
{
	NNModel    *m = &t->m;
	NNNet	   *net = &m->net;
	NNRng		rng;
	const char *msg;
	char		err[200];

	memset(t, 0, sizeof(*t));
	net->n_layers = 2;
	set_width(net, 0, 3);
	set_width(net, 1, 4);
	set_width(net, 2, kind == KIND_SOFTMAX ? 3 : 1);
	nn_dense_mut(net, 0)->act = kind == KIND_SOFTMAX ? NN_ACT_LEAKY_RELU :
		kind == KIND_BINARY ? NN_ACT_TANH : NN_ACT_RELU;
	nn_dense_mut(net, 1)->act = kind == KIND_SOFTMAX ? NN_ACT_SOFTMAX :
		kind == KIND_BINARY ? NN_ACT_SIGMOID : NN_ACT_IDENTITY;
	nn_dense_mut(net, 0)->batch_norm = kind == KIND_SOFTMAX;
	nn_dense_mut(net, 0)->dropout = 0.25f;
	set_training(net, kind == KIND_SOFTMAX ? NN_LOSS_CROSS_ENTROPY :
				 kind == KIND_BINARY ? NN_LOSS_BINARY_CROSS_ENTROPY : NN_LOSS_MSE);
	msg = nn_net_layout(net);
	CHECK_MSG(msg == NULL, "layout: %s", msg);
	net->params = xcalloc(net->n_params, sizeof(float));
	net->stats = net->n_stats > 0 ? xcalloc(net->n_stats, sizeof(float)) : NULL;
	nn_rng_seed(&rng, 7);
	nn_net_init_params(net, NN_INIT_XAVIER, &rng);

	m->task = kind == KIND_REGRESSION ? NN_TASK_REGRESSION : NN_TASK_CLASSIFICATION;
	m->target_name = "target";
	m->options_json = "{}";
	/* sorted, with what JSON must escape: a control character, " and \ */
	t->classes[0] = "\001x";
	t->classes[1] = "a\"b\\c";
	t->classes[2] = "z";
	if (kind == KIND_BINARY)
		t->classes[0] = "no", t->classes[1] = "yes";
	m->n_classes = kind == KIND_SOFTMAX ? 3 : kind == KIND_BINARY ? 2 : 0;
	m->classes = m->n_classes > 0 ? t->classes : NULL;
	t->names[0] = "a";
	t->names[1] = "bc";
	t->widths[0] = 1;
	t->widths[1] = 2;
	m->n_features = 2;
	m->feature_names = t->names;
	m->feature_widths = t->widths;
	m->standardized = kind != KIND_BINARY;
	for (int i = 0; i < 3; i++)
	{
		t->mean[i] = (float) i;
		t->std[i] = 1.0f + (float) i;
	}
	m->x_mean = m->standardized ? t->mean : NULL;
	m->x_std = m->standardized ? t->std : NULL;
	m->y_mean = m->standardized ? 5.0f : 0.0f;
	m->y_std = m->standardized ? 2.0f : 1.0f;
	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "model: %s", err);
}

static void
tm_free(TestModel *t)
{
	free(t->m.net.params);
	free(t->m.net.stats);
}

/* the file of a model, in a buffer of exactly its size (ASan sees overruns) */
static uint8_t *
export(const NNModel *m, size_t *len)
{
	uint8_t    *buf;

	*len = nn_onnx_size(m, "9.9");
	buf = xcalloc(*len, 1);
	nn_onnx_write(m, "9.9", buf);
	return buf;
}

/* ------------------------------------------------------------ tests */

static void
test_varint(void)
{
	static const struct
	{
		uint64_t	v;
		size_t		len;
		uint8_t		bytes[10];
	}			cases[] = {
		{0, 1, {0x00}},
		{1, 1, {0x01}},
		{127, 1, {0x7f}},
		{128, 2, {0x80, 0x01}},
		{300, 2, {0xac, 0x02}},
		{16384, 3, {0x80, 0x80, 0x01}},
		{UINT64_C(0xffffffff), 5, {0xff, 0xff, 0xff, 0xff, 0x0f}},
		{UINT64_MAX, 10, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		uint8_t		out[12];
		size_t		n;
		uint64_t	back = 0;
		PbReader	r;

		memset(out, 0xa5, sizeof(out));
		n = nn_onnx_varint(out, cases[i].v);
		CHECK_EQ_INT(n, cases[i].len);
		CHECK_MSG(memcmp(out, cases[i].bytes, cases[i].len) == 0,
				  "varint of %llu", (unsigned long long) cases[i].v);
		CHECK(out[n] == 0xa5);
		r = pb_reader(out, n);
		CHECK(pb_varint(&r, &back) && back == cases[i].v && r.p == out + n);
	}
}

/* the size pass and the writing pass agree, and the bytes parse to the end */
static void
test_size_matches_bytes(void)
{
	for (int kind = KIND_SOFTMAX; kind <= KIND_REGRESSION; kind++)
	{
		TestModel	t;
		size_t		len = 0;
		uint8_t    *buf;
		uint8_t    *padded;
		PbReader	r;
		PbField		f;
		size_t		fields = 0;

		tm_make(&t, kind);
		buf = export(&t.m, &len);
		padded = xcalloc(len + 16, 1);
		memset(padded, 0xa5, len + 16);
		nn_onnx_write(&t.m, "9.9", padded);
		CHECK_MSG(memcmp(padded, buf, len) == 0, "kind %d: same bytes", kind);
		for (size_t i = len; i < len + 16; i++)
			CHECK_MSG(padded[i] == 0xa5, "kind %d: byte %zu past the size written", kind, i);
		r = pb_reader(buf, len);
		while (pb_next(&r, &f))
			fields++;
		CHECK_MSG(!r.bad && r.p == buf + len, "kind %d: parses to the end", kind);
		CHECK_MSG(fields >= 8, "kind %d: %zu top-level fields", kind, fields);
		free(buf);
		free(padded);
		tm_free(&t);
	}
}

static void
test_deterministic(void)
{
	TestModel	t;
	size_t		len1,
				len2;
	uint8_t    *a,
			   *b;

	tm_make(&t, KIND_SOFTMAX);
	a = export(&t.m, &len1);
	b = export(&t.m, &len2);
	CHECK(len1 == len2 && memcmp(a, b, len1) == 0);
	free(a);
	free(b);
	tm_free(&t);
}

static void
test_header(void)
{
	TestModel	t;
	size_t		len;
	uint8_t    *buf;
	PbField		f,
				v;
	char		s[64];

	tm_make(&t, KIND_SOFTMAX);
	buf = export(&t.m, &len);
	CHECK(pb_find(buf, len, 1, &f) && f.wire == 0 && f.value == NN_ONNX_IR_VERSION);
	pb_string(buf, len, 2, s, sizeof(s));
	CHECK(strcmp(s, "nn") == 0);
	pb_string(buf, len, 3, s, sizeof(s));
	CHECK(strcmp(s, "9.9") == 0);
	/* opset_import: no domain (ai.onnx), version 13 */
	CHECK(pb_find(buf, len, 8, &f) && !pb_find(f.data, f.len, 1, &v) &&
		  pb_find(f.data, f.len, 2, &v) && v.value == NN_ONNX_OPSET);
	CHECK(pb_find(buf, len, 7, &f) && f.wire == 2);
	free(buf);
	tm_free(&t);
}

/* the op_type of every node, space-separated */
static void
graph_ops(const uint8_t *buf, size_t len, char *ops, size_t size)
{
	PbField		graph,
				f;
	PbReader	r;

	ops[0] = '\0';
	if (!pb_find(buf, len, 7, &graph))
		return;
	r = pb_reader(graph.data, graph.len);
	while (pb_next(&r, &f))
	{
		char		op[40];

		if (f.num != 1)
			continue;
		pb_string(f.data, f.len, 4, op, sizeof(op));
		if (ops[0] != '\0')
			strncat(ops, " ", size - strlen(ops) - 1);
		strncat(ops, op, size - strlen(ops) - 1);
	}
}

static void
test_operators(void)
{
	static const char *const want[] = {
		"Sub Div Gemm BatchNormalization LeakyRelu Gemm Softmax ArgMax",
		"Gemm Tanh Gemm Sigmoid Sub Concat GreaterOrEqual Cast",
		"Sub Div Gemm Relu Gemm Cast Mul Add",
	};

	for (int kind = KIND_SOFTMAX; kind <= KIND_REGRESSION; kind++)
	{
		TestModel	t;
		size_t		len;
		uint8_t    *buf;
		char		ops[300];

		tm_make(&t, kind);
		buf = export(&t.m, &len);
		graph_ops(buf, len, ops, sizeof(ops));
		CHECK_MSG(strcmp(ops, want[kind]) == 0, "kind %d: ops \"%s\", expected \"%s\"",
				  kind, ops, want[kind]);
		free(buf);
		tm_free(&t);
	}
}

/* a graph member (field num) whose name field (name_field) is name */
static bool
graph_member(const uint8_t *buf, size_t len, uint32_t num, uint32_t name_field,
			 const char *name, PbField *out)
{
	PbField		graph,
				f,
				n;
	PbReader	r;

	memset(out, 0, sizeof(*out));
	if (!pb_find(buf, len, 7, &graph))
		return false;
	r = pb_reader(graph.data, graph.len);
	while (pb_next(&r, &f))
		if (f.num == num && pb_find(f.data, f.len, name_field, &n) && pb_string_is(&n, name))
		{
			*out = f;
			return true;
		}
	return false;
}

/* layer 0's weights: dims [out, in], float, the parameters' bytes */
static void
test_initializer(void)
{
	TestModel	t;
	size_t		len;
	uint8_t    *buf;
	PbField		tensor,
				f;
	PbReader	r;
	uint64_t	dims[4];
	int			n_dims = 0;

	tm_make(&t, KIND_SOFTMAX);
	buf = export(&t.m, &len);
	CHECK(graph_member(buf, len, 5, 8, "layer0.weight", &tensor));
	r = pb_reader(tensor.data, tensor.len);
	while (pb_next(&r, &f))
		if (f.num == 1 && n_dims < 4)
			dims[n_dims++] = f.value;
	CHECK(n_dims == 2 && dims[0] == 4 && dims[1] == 3);
	CHECK(pb_find(tensor.data, tensor.len, 2, &f) && f.value == 1);
	CHECK(pb_find(tensor.data, tensor.len, 9, &f) && f.len == 12 * sizeof(float));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(memcmp(f.data, t.m.net.params + nn_net_weight_offset(&t.m.net, 0), f.len) == 0);
#endif
	/* the batch-norm variance is the second half of the running statistics */
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_variance", &tensor));
	CHECK(pb_find(tensor.data, tensor.len, 9, &f) && f.len == 4 * sizeof(float));
	free(buf);
	tm_free(&t);
}

/* LeakyRelu's alpha is nn's slope, a FLOAT attribute (type 1, field f) */
static void
test_attributes(void)
{
	TestModel	t;
	size_t		len;
	uint8_t    *buf;
	PbField		node,
				attr,
				f;
	float		alpha = 0.0f;

	tm_make(&t, KIND_SOFTMAX);
	buf = export(&t.m, &len);
	CHECK(graph_member(buf, len, 1, 2, "layer0.leaky_relu", &node));
	CHECK(pb_find(node.data, node.len, 5, &attr));
	CHECK(pb_find(attr.data, attr.len, 1, &f) && pb_string_is(&f, "alpha"));
	CHECK(pb_find(attr.data, attr.len, 20, &f) && f.value == 1);
	if (CHECK(pb_find(attr.data, attr.len, 2, &f) && f.wire == 5))
		memcpy(&alpha, f.data, 4);
	CHECK(alpha == NN_LEAKY_SLOPE);
	free(buf);
	tm_free(&t);
}

/* the value of metadata key, or "" */
static void
metadata(const uint8_t *buf, size_t len, const char *key, char *out, size_t size)
{
	PbReader	r = pb_reader(buf, len);
	PbField		f,
				k;

	out[0] = '\0';
	while (pb_next(&r, &f))
		if (f.num == 14 && pb_find(f.data, f.len, 1, &k) && pb_string_is(&k, key))
			pb_string(f.data, f.len, 2, out, size);
}

static void
test_metadata(void)
{
	TestModel	t;
	size_t		len;
	uint8_t    *buf;
	char		v[200];

	tm_make(&t, KIND_SOFTMAX);
	buf = export(&t.m, &len);
	metadata(buf, len, "classes", v, sizeof(v));
	CHECK_MSG(strcmp(v, "[\"\\u0001x\",\"a\\\"b\\\\c\",\"z\"]") == 0, "classes %s", v);
	metadata(buf, len, "feature_names", v, sizeof(v));
	CHECK(strcmp(v, "[\"a\",\"bc\"]") == 0);
	metadata(buf, len, "feature_widths", v, sizeof(v));
	CHECK(strcmp(v, "[1,2]") == 0);
	metadata(buf, len, "nn_version", v, sizeof(v));
	CHECK(strcmp(v, "9.9") == 0);
	metadata(buf, len, "task", v, sizeof(v));
	CHECK(strcmp(v, "classification") == 0);
	free(buf);
	tm_free(&t);

	/* a regressor has no classes entry */
	tm_make(&t, KIND_REGRESSION);
	buf = export(&t.m, &len);
	metadata(buf, len, "task", v, sizeof(v));
	CHECK(strcmp(v, "regression") == 0);
	metadata(buf, len, "classes", v, sizeof(v));
	CHECK(v[0] == '\0');
	free(buf);
	tm_free(&t);
}

/* ------------------------------------------------------------ a CNN */

/* filters, kh, kw, sh, sw, pad t, l, b, r, act, bn, dropout */
static const NNConv2dSettings cnn_conv = {3, 3, 2, 1, 2, 1, 0, 1, 1, NN_ACT_RELU, 0, 0.0f};
/* size h, w, stride h, w, pad t, l, b, r */
static const NNPoolSettings cnn_max = {2, 2, 2, 2, 0, 0, 0, 0};
static const NNPoolSettings cnn_avg = {3, 3, 2, 2, 1, 1, 1, 1};

#define CNN_F 3					/* conv filters */
#define CNN_NW (CNN_F * 2 * 3 * 2)	/* conv weights */

/*
 * Images [2, 5, 4] -> conv2d 3x2, stride 1x2, padding [1, 0, 1, 1], ReLU
 * ([3, 5, 2]) -> max_pool2d 2x2 ([3, 2, 1]) -> avg_pool2d 3x3 stride 2,
 * padding 1 ([3, 1, 1]) -> dense 2, a regressor without standardization.
 * batch_norm: the conv2d layer batch-normalized, its parameters and
 * statistics laid out by hand as conv2d_layer.h documents them (W, b,
 * gamma, beta; running means, then variances), since the layout does not
 * accept it yet.
 */
static void
cnn_make(NNModel *m, bool batch_norm)
{
	NNNet	   *net = &m->net;
	NNRng		rng;
	const char *msg;
	char		err[200];

	memset(m, 0, sizeof(*m));
	net->n_layers = 4;
	net->shapes[0] = (NNShape) {3, {2, 5, 4}};
	nn_conv2d_set(net, 0, &cnn_conv);
	nn_pool_set(net, 1, NN_LAYER_MAX_POOL2D, &cnn_max);
	nn_pool_set(net, 2, NN_LAYER_AVG_POOL2D, &cnn_avg);
	nn_dense_set(net, 3, 1, NN_ACT_IDENTITY, false, 0.0f);
	set_training(net, NN_LOSS_MSE);
	msg = nn_net_layout(net);
	CHECK_MSG(msg == NULL, "layout: %s", msg);
	net->params = xcalloc(net->n_params + 2 * CNN_F, sizeof(float));
	net->stats = xcalloc(2 * CNN_F, sizeof(float));
	nn_rng_seed(&rng, 11);
	nn_net_init_params(net, NN_INIT_XAVIER, &rng);
	m->task = NN_TASK_REGRESSION;
	m->target_name = "y";
	m->options_json = "{}";
	m->y_std = 1.0f;
	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "model: %s", err);
	if (batch_norm)
	{
		nn_conv2d_mut(net, 0)->batch_norm = 1;
		for (int i = 0; i < 2 * CNN_F; i++)
		{
			net->params[CNN_NW + CNN_F + i] = 0.5f + (float) i;
			net->stats[i] = 2.0f + (float) i;
		}
	}
}

/* the file of cnn_make's model; cnn_free frees both */
static uint8_t *
cnn_export(NNModel *m, bool batch_norm, size_t *len)
{
	cnn_make(m, batch_norm);
	return export(m, len);
}

static void
cnn_free(NNModel *m, uint8_t *buf)
{
	free(buf);
	free(m->net.params);
	free(m->net.stats);
}

/* the values of a node's INTS attribute name (type 7, field 8), or -1 */
static int
node_ints(const PbField *node, const char *name, int64_t *out, int max)
{
	PbReader	r = pb_reader(node->data, node->len);
	PbField		attr,
				f;

	while (pb_next(&r, &attr))
	{
		PbReader	a;
		int			n = 0;

		if (attr.num != 5 || !pb_find(attr.data, attr.len, 1, &f) || !pb_string_is(&f, name))
			continue;
		if (!pb_find(attr.data, attr.len, 20, &f) || f.value != 7)
			return -1;
		a = pb_reader(attr.data, attr.len);
		while (pb_next(&a, &f))
			if (f.num == 8 && f.wire == 0 && n < max)
				out[n++] = (int64_t) f.value;
		return n;
	}
	return -1;
}

/* an initializer's dims, or -1 when it is absent */
static int
tensor_dims(const uint8_t *buf, size_t len, const char *name, uint64_t *dims, int max)
{
	PbField		tensor,
				f;
	PbReader	r;
	int			n = 0;

	if (!graph_member(buf, len, 5, 8, name, &tensor))
		return -1;
	r = pb_reader(tensor.data, tensor.len);
	while (pb_next(&r, &f))
		if (f.num == 1 && n < max)
			dims[n++] = f.value;
	return n;
}

static void
test_cnn_operators(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf,
			   *padded;
	char		ops[300];

	buf = cnn_export(&m, false, &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Reshape Conv Relu MaxPool AveragePool Flatten Gemm Cast") == 0,
			  "ops \"%s\"", ops);
	/* the two passes agree for the new nodes and 4-D and int64 tensors too */
	padded = xcalloc(len + 8, 1);
	memset(padded, 0xa5, len + 8);
	nn_onnx_write(&m, "9.9", padded);
	CHECK(memcmp(padded, buf, len) == 0 && padded[len] == 0xa5);
	free(padded);
	cnn_free(&m, buf);

	buf = cnn_export(&m, true, &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Reshape Conv BatchNormalization Relu MaxPool AveragePool "
					 "Flatten Gemm Cast") == 0, "batch norm: ops \"%s\"", ops);
	cnn_free(&m, buf);
}

/* Conv's and the poolings' windows, in ONNX's order: [top, left, bottom, right] */
static void
test_cnn_attributes(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf;
	PbField		node,
				f;
	int64_t		v[8];

	buf = cnn_export(&m, false, &len);
	if (CHECK(graph_member(buf, len, 1, 2, "layer0.conv", &node)))
	{
		CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 3 && v[1] == 2);
		CHECK(node_ints(&node, "strides", v, 8) == 2 && v[0] == 1 && v[1] == 2);
		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] == 1 && v[1] == 0 &&
			  v[2] == 1 && v[3] == 1);
		/* one group: no attribute */
		CHECK(node_ints(&node, "group", v, 8) == -1);
	}
	if (CHECK(graph_member(buf, len, 1, 2, "layer1.max_pool", &node)))
	{
		CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 2 && v[1] == 2);
		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] + v[1] + v[2] + v[3] == 0);
	}
	if (CHECK(graph_member(buf, len, 1, 2, "layer2.avg_pool", &node)))
	{
		PbReader	r = pb_reader(node.data, node.len);
		bool		found = false;

		CHECK(node_ints(&node, "strides", v, 8) == 2 && v[0] == 2 && v[1] == 2);
		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] == 1 && v[3] == 1);
		/* padding is not counted: count_include_pad 0, an INT */
		while (pb_next(&r, &f))
		{
			PbField		name,
						i;

			if (f.num == 5 && pb_find(f.data, f.len, 1, &name) &&
				pb_string_is(&name, "count_include_pad"))
				found = pb_find(f.data, f.len, 3, &i) && i.value == 0 &&
					pb_find(f.data, f.len, 20, &i) && i.value == 2;
		}
		CHECK(found);
	}
	/* the dense layer flattens the [3, 1, 1] images on axis 1 */
	CHECK(graph_member(buf, len, 1, 2, "layer3.flatten", &node) &&
		  pb_find(node.data, node.len, 1, &f) && pb_string_is(&f, "layer2.avg_pool"));
	cnn_free(&m, buf);
}

/* the reshape's shape (int64), the conv weights' 4-D dims and bytes, batch norm's */
static void
test_cnn_initializers(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf;
	PbField		tensor,
				f;
	uint64_t	dims[6];

	buf = cnn_export(&m, true, &len);
	CHECK(tensor_dims(buf, len, "image_shape", dims, 6) == 1 && dims[0] == 4);
	if (CHECK(graph_member(buf, len, 5, 8, "image_shape", &tensor)))
	{
		int64_t		shape[4];

		CHECK(pb_find(tensor.data, tensor.len, 2, &f) && f.value == 7);
		if (CHECK(pb_find(tensor.data, tensor.len, 9, &f) && f.len == sizeof(shape)))
		{
			for (int i = 0; i < 4; i++)
			{
				uint64_t	u = 0;

				for (int b = 7; b >= 0; b--)
					u = u << 8 | f.data[8 * i + b];
				shape[i] = (int64_t) u;
			}
			CHECK(shape[0] == -1 && shape[1] == 2 && shape[2] == 5 && shape[3] == 4);
		}
	}
	CHECK(tensor_dims(buf, len, "layer0.weight", dims, 6) == 4 && dims[0] == 3 &&
		  dims[1] == 2 && dims[2] == 3 && dims[3] == 2);
	CHECK(tensor_dims(buf, len, "layer0.bias", dims, 6) == 1 && dims[0] == CNN_F);
	CHECK(tensor_dims(buf, len, "layer3.weight", dims, 6) == 2 && dims[0] == 1 &&
		  dims[1] == 3);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(graph_member(buf, len, 5, 8, "layer0.weight", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) && f.len == CNN_NW * sizeof(float) &&
		  memcmp(f.data, m.net.params, f.len) == 0);
	/* gamma, beta after W and b; running means, then variances */
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_scale", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) && f.len == CNN_F * sizeof(float) &&
		  memcmp(f.data, m.net.params + CNN_NW + CNN_F, f.len) == 0);
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_bias", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) &&
		  memcmp(f.data, m.net.params + CNN_NW + 2 * CNN_F, CNN_F * sizeof(float)) == 0);
	CHECK(graph_member(buf, len, 5, 8, "layer0.bn_variance", &tensor) &&
		  pb_find(tensor.data, tensor.len, 9, &f) &&
		  memcmp(f.data, m.net.stats + CNN_F, CNN_F * sizeof(float)) == 0);
#endif
	cnn_free(&m, buf);
}

/* ------------------------------------------------------------ depthwise, separable */

/*
 * The depthwise and separable kinds are not in the layer table yet, so no
 * model holds them: their export entries are walked on their own, for
 * layer 0 (parameters at offset 0) of a [2, 5, 4] input, into a graph.
 */
typedef struct KindWalk
{
	NNModel		m;
	float		params[64];
} KindWalk;

static void
EmitKindGraph(Writer *w, const void *arg)
{
	const KindWalk *k = arg;
	GraphWalk	g = {w, true, &k->m};
	char		cur[NAME_LEN] = "images";

	nn_onnx_layer(k->m.net.layers[0].kind)->walk(&g, 0, cur, NULL);
	strcpy(cur, "images");
	g.nodes = false;
	nn_onnx_layer(k->m.net.layers[0].kind)->walk(&g, 0, cur, NULL);
}

/* a model message holding only the graph (field 7) of the kind's layer */
static uint8_t *
kind_graph(KindWalk *k, NNLayerKind kind, const NNDepthwiseSettings *s, size_t *len)
{
	Writer		count = {NULL, 0};
	Writer		w;
	uint8_t    *buf;

	memset(k, 0, sizeof(*k));
	k->m.net.n_layers = 1;
	k->m.net.shapes[0] = (NNShape) {3, {2, 5, 4}};
	k->m.net.layers[0].kind = (uint8_t) kind;
	memcpy(k->m.net.layers[0].settings.bytes, s, sizeof(*s));
	for (int i = 0; i < 64; i++)
		k->params[i] = (float) i;
	k->m.net.params = k->params;
	PutMessage(&count, 7, EmitKindGraph, k);
	buf = xcalloc(count.size, 1);
	w = (Writer) {buf, 0};
	PutMessage(&w, 7, EmitKindGraph, k);
	*len = w.size;
	CHECK(w.size == count.size);
	return buf;
}

/* an initializer's raw floats start at params[at], n of them */
static bool
tensor_floats_at(const uint8_t *buf, size_t len, const char *name, const float *params,
				 size_t at, size_t n)
{
	PbField		tensor,
				f;

	return graph_member(buf, len, 5, 8, name, &tensor) &&
		pb_find(tensor.data, tensor.len, 9, &f) && f.len == n * sizeof(float) &&
		memcmp(f.data, params + at, f.len) == 0;
}

static void
test_depthwise_separable(void)
{
	/* filters, multiplier, kh, kw, sh, sw, pad t, l, b, r, act */
	static const NNDepthwiseSettings depthwise = {0, 3, 3, 2, 1, 2, 1, 0, 1, 1, NN_ACT_RELU};
	static const NNDepthwiseSettings separable = {4, 1, 3, 3, 2, 2, 1, 1, 1, 1, NN_ACT_IDENTITY};
	KindWalk	k;
	size_t		len;
	uint8_t    *buf;
	PbField		node,
				f;
	char		ops[100];
	uint64_t	dims[6];
	int64_t		v[8];

	/* 2 channels x 3: W [6, 1, 3, 2] (36 floats), b [6] */
	buf = kind_graph(&k, NN_LAYER_DEPTHWISE_CONV2D, &depthwise, &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Conv Relu") == 0, "depthwise: ops \"%s\"", ops);
	if (CHECK(graph_member(buf, len, 1, 2, "layer0.depthwise", &node)))
	{
		PbReader	r = pb_reader(node.data, node.len);
		int64_t		group = 0;

		CHECK(node_ints(&node, "pads", v, 8) == 4 && v[0] == 1 && v[1] == 0 &&
			  v[2] == 1 && v[3] == 1);
		CHECK(node_ints(&node, "strides", v, 8) == 2 && v[0] == 1 && v[1] == 2);
		while (pb_next(&r, &f))
		{
			PbField		name,
						i;

			if (f.num == 5 && pb_find(f.data, f.len, 1, &name) && pb_string_is(&name, "group") &&
				pb_find(f.data, f.len, 3, &i))
				group = (int64_t) i.value;
		}
		CHECK_EQ_INT(group, 2);
	}
	CHECK(tensor_dims(buf, len, "layer0.weight", dims, 6) == 4 && dims[0] == 6 &&
		  dims[1] == 1 && dims[2] == 3 && dims[3] == 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(tensor_floats_at(buf, len, "layer0.weight", k.params, 0, 36));
	CHECK(tensor_floats_at(buf, len, "layer0.bias", k.params, 36, 6));
#endif
	free(buf);

	/* W_depthwise [2, 1, 3, 3] (18), W_pointwise [4, 2, 1, 1] (8), b [4] */
	buf = kind_graph(&k, NN_LAYER_SEPARABLE_CONV2D, &separable, &len);
	graph_ops(buf, len, ops, sizeof(ops));
	CHECK_MSG(strcmp(ops, "Conv Conv") == 0, "separable: ops \"%s\"", ops);
	/* the depthwise Conv has no bias; the pointwise one feeds on it */
	CHECK(graph_member(buf, len, 1, 2, "layer0.depthwise", &node));
	CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 3 && v[1] == 3);
	{
		PbReader	r = pb_reader(node.data, node.len);
		int			inputs = 0;

		while (pb_next(&r, &f))
			inputs += f.num == 1;
		CHECK_EQ_INT(inputs, 2);
	}
	CHECK(graph_member(buf, len, 1, 2, "layer0.pointwise", &node) &&
		  pb_find(node.data, node.len, 1, &f) && pb_string_is(&f, "layer0.depthwise"));
	CHECK(node_ints(&node, "kernel_shape", v, 8) == 2 && v[0] == 1 && v[1] == 1);
	CHECK(tensor_dims(buf, len, "layer0.depthwise_weight", dims, 6) == 4 && dims[0] == 2 &&
		  dims[1] == 1 && dims[2] == 3 && dims[3] == 3);
	CHECK(tensor_dims(buf, len, "layer0.pointwise_weight", dims, 6) == 4 && dims[0] == 4 &&
		  dims[1] == 2 && dims[2] == 1 && dims[3] == 1);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK(tensor_floats_at(buf, len, "layer0.depthwise_weight", k.params, 0, 18));
	CHECK(tensor_floats_at(buf, len, "layer0.pointwise_weight", k.params, 18, 8));
	CHECK(tensor_floats_at(buf, len, "layer0.bias", k.params, 26, 4));
#endif
	free(buf);
}

int
main(void)
{
	RUN_TEST(test_varint);
	RUN_TEST(test_size_matches_bytes);
	RUN_TEST(test_deterministic);
	RUN_TEST(test_header);
	RUN_TEST(test_operators);
	RUN_TEST(test_initializer);
	RUN_TEST(test_attributes);
	RUN_TEST(test_metadata);
	RUN_TEST(test_cnn_operators);
	RUN_TEST(test_cnn_attributes);
	RUN_TEST(test_cnn_initializers);
	RUN_TEST(test_depthwise_separable);
	return harness_finish("test_onnx");
}
