/*
 * test_onnx.c - the ONNX writer (src/formats/onnx.c): varints against
 * known encodings, nn_onnx_size against the bytes written, determinism,
 * and the structure of the file read back by a small protobuf decoder
 * (onnx_decode.h): header fields, the operators in order, an
 * initializer's bytes, attributes and metadata.  The spatial kinds' nodes
 * are test_onnx_conv.c's.
 * What the graph computes is checked by test/onnx/check.sh.
 */
#include "onnx_decode.h"
#include "testnet.h"

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

/*
 * 3 inputs -> 4 hidden units -> the kind's outputs (softmax: one per
 * class, of n_softmax); seeded weights
 */
static void
tm_make_classes(TestModel *t, int kind, uint32_t n_softmax)
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
	set_width(net, 2, kind == KIND_SOFTMAX ? n_softmax : 1);
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
	m->n_classes = kind == KIND_SOFTMAX ? n_softmax : kind == KIND_BINARY ? 2 : 0;
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
tm_make(TestModel *t, int kind)
{
	tm_make_classes(t, kind, 3);
}

static void
tm_free(TestModel *t)
{
	free(t->m.net.params);
	free(t->m.net.stats);
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

/* an initializer's raw data (field 9) */
static bool
initializer_raw(const uint8_t *buf, size_t len, const char *name, PbField *raw)
{
	PbField		tensor;

	return graph_member(buf, len, 5, 8, name, &tensor) &&
		pb_find(tensor.data, tensor.len, 9, raw);
}

/*
 * A two-class model with a threshold labels by it (shared/decision.c):
 * Gather takes the positive class's column of the probabilities (axis 1),
 * GreaterOrEqual compares it with the threshold, and that is the label's
 * Cast input, negated (Not) when the positive class is the first.  With
 * no threshold the file is what it always was, whatever the positive class.
 */
static void
test_threshold_label(void)
{
	static const struct
	{
		int			kind;
		uint32_t	positive;	/* 1 + its index */
		const char *ops;
	}			cases[] = {
		{KIND_BINARY, 2, "Gemm Tanh Gemm Sigmoid Sub Concat Gather GreaterOrEqual Cast"},
		{KIND_BINARY, 1, "Gemm Tanh Gemm Sigmoid Sub Concat Gather GreaterOrEqual Not Cast"},
		{KIND_SOFTMAX, 2,
		"Sub Div Gemm BatchNormalization LeakyRelu Gemm Softmax Gather GreaterOrEqual Cast"},
		{KIND_SOFTMAX, 1,
		"Sub Div Gemm BatchNormalization LeakyRelu Gemm Softmax Gather GreaterOrEqual Not Cast"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		TestModel	t;
		size_t		len,
					plain_len,
					again_len;
		uint8_t    *buf,
				   *plain,
				   *again;
		char		ops[300];
		PbField		raw,
					node,
					attr,
					f;
		float		threshold = 0.0f;
		uint64_t	index = 0;
		uint32_t	bits = 0;

		tm_make_classes(&t, cases[i].kind, 2);
		plain = export(&t.m, &plain_len);
		t.m.positive = cases[i].positive;
		again = export(&t.m, &again_len);
		CHECK_MSG(again_len == plain_len && memcmp(again, plain, plain_len) == 0,
				  "case %zu: a positive class without a threshold changes nothing", i);
		t.m.threshold = 0.3f;
		buf = export(&t.m, &len);
		graph_ops(buf, len, ops, sizeof(ops));
		CHECK_MSG(strcmp(ops, cases[i].ops) == 0, "case %zu: ops \"%s\"", i, ops);
		/* raw data are little-endian */
		if (CHECK(initializer_raw(buf, len, "threshold", &raw) && raw.len == 4))
			for (int b = 3; b >= 0; b--)
				bits = bits << 8 | raw.data[b];
		memcpy(&threshold, &bits, 4);
		CHECK(threshold == 0.3f);
		if (CHECK(initializer_raw(buf, len, "positive_index", &raw) && raw.len == 8))
			for (int b = 7; b >= 0; b--)
				index = index << 8 | raw.data[b];
		CHECK_EQ_INT(index, cases[i].positive - 1);
		CHECK(!graph_member(buf, len, 5, 8, "half", &raw));
		CHECK(graph_member(buf, len, 1, 2, "positive_probability", &node) &&
			  pb_find(node.data, node.len, 5, &attr) &&
			  pb_find(attr.data, attr.len, 1, &f) && pb_string_is(&f, "axis") &&
			  pb_find(attr.data, attr.len, 3, &f) && f.value == 1);
		CHECK(graph_member(buf, len, 1, 2, "label", &node) &&
			  pb_find(node.data, node.len, 1, &f) &&
			  pb_string_is(&f, cases[i].positive == 2 ? "positive" : "second_class"));
		free(buf);
		free(plain);
		free(again);
		tm_free(&t);
	}
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
	RUN_TEST(test_threshold_label);
	return harness_finish("test_onnx");
}
