/*
 * test_model_quant.c - format version 4 (src/formats/model_quant.c, the
 * storage byte of model.c and model_write.c): stripped and int8 models of
 * dense (batch-normalized), convolutional (conv2d, separable, depthwise)
 * and recurrent (bidirectional lstm, gru) layers round trip byte for byte;
 * one scale per output channel of each weight; a model and its stripped
 * copy quantize alike; and every damaged field of version 4 is refused for
 * its own reason.
 */
#include <float.h>
#include <math.h>

#include "conv2d_layer.h"
#include "depthwise_layer.h"
#include "harness.h"
#include "recurrent_layer.h"
#include "formats/model.h"
#include "modeltest.h"
#include "testnet.h"

/* the offset of the storage byte: magic, version, five u8 settings */
#define STORAGE_AT 13

typedef enum Arch
{
	ARCH_DENSE,
	ARCH_CONV,
	ARCH_RECURRENT
} Arch;

/*
 * A model of that architecture with Adam's state and, for the dense one,
 * batch norm's running statistics, so that stripping drops something and
 * the int8 section has float tensors between its weights.
 */
static void
BuildModel(NNModel *m, Arch arch)
{
	NNNet	   *net = &m->net;
	NNRng		rng;

	memset(m, 0, sizeof(*m));
	if (arch == ARCH_DENSE)
	{
		net->shapes[0] = nn_shape_vector(6);
		net->n_layers = 2;
		/* FinishModel keeps no statistics: batch norm comes after it */
		nn_dense_set(net, 0, 5, NN_ACT_RELU, false, 0.0f);
	}
	else if (arch == ARCH_CONV)
	{
		NNConv2dSettings c = {3, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_RELU, 0, 0.0f};
		NNDepthwiseSettings sep = {4, 1, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_RELU};
		NNDepthwiseSettings dw = {0, 2, {2, 2, 1, 1, 0, 0, 0, 0}, NN_ACT_TANH};

		net->shapes[0] = (NNShape) {3, {2, 6, 5}};
		net->n_layers = 4;
		nn_conv2d_set(net, 0, &c);
		nn_depthwise_set(net, 1, NN_LAYER_SEPARABLE_CONV2D, &sep);
		nn_depthwise_set(net, 2, NN_LAYER_DEPTHWISE_CONV2D, &dw);
	}
	else
	{
		NNRecurrentSettings lstm = {4, 1, 1, 0.0f};
		NNRecurrentSettings gru = {3, 0, 0, 0.0f};

		net->shapes[0] = (NNShape) {2, {5, 3}};
		net->n_layers = 3;
		nn_recurrent_set(net, 0, NN_LAYER_LSTM, &lstm);
		nn_recurrent_set(net, 1, NN_LAYER_GRU, &gru);
	}
	nn_dense_set(net, net->n_layers - 1, 2, NN_ACT_SOFTMAX, false, 0.0f);
	FinishModel(m, 21);
	if (arch == ARCH_DENSE)
	{
		nn_dense_set(net, 0, 5, NN_ACT_RELU, true, 0.0f);
		CHECK(nn_net_layout(net) == NULL);
		net->params = ArenaAlloc(NULL, net->n_params * sizeof(float));
	}
	net->optimizer = NN_OPT_ADAM;
	nn_optimizer_defaults(NN_OPT_ADAM, &net->opt);
	net->stats = ArenaAlloc(NULL, net->n_stats * sizeof(float) + 1);
	net->opt_state = ArenaAlloc(NULL, nn_net_state_floats(net) * sizeof(float) + 1);
	nn_rng_seed(&rng, 21);
	nn_net_init_params(net, NN_INIT_AUTO, &rng);
	for (size_t i = 0; i < nn_net_state_floats(net); i++)
		net->opt_state[i] = 0.001f * (float) (i % 7);
}

static uint8_t *
Read(const uint8_t *buf, size_t len, NNModel *back, const char *what)
{
	char		err[256] = "";
	NNModelError rc = nn_model_read(buf, len, back, &arena_alloc, err, sizeof(err));

	CHECK_MSG(rc == NN_MODEL_OK, "%s: %s", what, err);
	return rc == NN_MODEL_OK ? (uint8_t *) buf : NULL;
}

/* m's bytes read back and written again: the same bytes */
static void
CheckV4RoundTrip(const NNModel *m, NNStorage storage, const char *what)
{
	NNModel		back;
	size_t		len,
				len2;
	uint8_t    *buf = Write(m, &len);
	uint8_t    *again;

	CHECK_EQ_INT(U32At(buf + 4), 4);
	CHECK_EQ_INT(buf[STORAGE_AT], storage);
	if (Read(buf, len, &back, what) == NULL)
		return;
	CHECK_EQ_INT(back.storage, storage);
	CHECK(back.net.opt_state == NULL);
	CHECK_EQ_INT(nn_model_state_bytes(buf, len), 0);
	CHECK(memcmp(back.net.params, m->net.params, m->net.n_params * sizeof(float)) == 0);
	again = Write(&back, &len2);
	CHECK_MSG(len2 == len && memcmp(again, buf, len) == 0, "%s: bytes differ", what);
}

static void
test_stripped_round_trip(void)
{
	for (Arch a = ARCH_DENSE; a <= ARCH_RECURRENT; a++)
	{
		NNModel		m,
					s;
		size_t		len_float,
					len_stripped;

		BuildModel(&m, a);
		Write(&m, &len_float);
		nn_model_strip(&m, &s);
		CHECK_EQ_INT(nn_model_format_version(&s), 4);
		CheckV4RoundTrip(&s, NN_STORAGE_STRIPPED, "stripped");
		Write(&s, &len_stripped);
		/*
		 * The state is all that goes; a dense model of version 1 takes 8
		 * bytes more in version 4's layout (the input's rank and the
		 * layers' kind tags for its widths; the impute mode and the
		 * feature's kind).
		 */
		CHECK_EQ_INT(len_float - len_stripped,
					 nn_net_state_floats(&m.net) * sizeof(float) - (a == ARCH_DENSE ? 8 : 0));
		/* the float model keeps its version and its zero byte */
		CHECK(nn_model_format_version(&m) < 4);
		ArenaFree();
	}
}

/* each weight's rows are its output channels */
static void
test_quantized_scales_per_channel(void)
{
	static const size_t scales[] = {
		/* dense: 5 units, 2 outputs */
		5 + 2,
		/* conv2d 3 filters; separable: depthwise 3 channels, pointwise 4
		 * filters; depthwise: 4 x 2 outputs; dense 2 */
		3 + 3 + 4 + 8 + 2,
		/* lstm: 2 directions x 4 gates x 4 units, W and R; gru 3 x 3, W
		 * and R; dense 2 */
		2 * 32 + 2 * 9 + 2,
	};

	for (Arch a = ARCH_DENSE; a <= ARCH_RECURRENT; a++)
	{
		NNModel		m,
					q;

		BuildModel(&m, a);
		nn_model_quantize(&m, &q, &arena_alloc);
		CHECK_EQ_INT(q.n_qscales, scales[a]);
		CHECK_EQ_INT(nn_net_weight_floats(&m.net) <= q.n_qvalues, true);
		CheckV4RoundTrip(&q, NN_STORAGE_INT8, "quantized");
		ArenaFree();
	}
}

/*
 * The quantized weights are within half a step of the float ones, the rest
 * equal; and nn_model_quant_tensor (the ONNX export's lookup) finds each
 * weight, whole, with its scales and values, and nothing else.
 */
static void
CheckQuantizedTensor(const NNModel *m, const NNModel *q, const NNTensor *t,
					 size_t scale_off, size_t value_off)
{
	NNQuantTensor qt;
	bool		found = nn_model_quant_tensor(q, q->net.params + t->offset, t->size, &qt);

	CHECK_MSG(found == t->weight, "%s", t->name);
	for (size_t k = 0; k < t->size; k++)
	{
		size_t		at = t->offset + k;
		float		step = t->weight ? q->qscales[scale_off + k / (t->size / t->rows)] : 0.0f;

		CHECK_MSG(fabsf(q->net.params[at] - m->net.params[at]) <= 0.5f * step * 1.0001f,
				  "%s[%zu]", t->name, k);
	}
	if (!found)
		return;
	CHECK(qt.scales == q->qscales + scale_off && qt.values == q->qvalues + value_off &&
		  qt.rows == t->rows && qt.rows * qt.cols == t->size);
	/* a part of a weight is not one */
	CHECK(!nn_model_quant_tensor(q, q->net.params + t->offset, t->size - 1, &qt));
}

static void
test_quantized_weights(void)
{
	NNModel		m,
				q;
	size_t		scale_off = 0,
				value_off = 0;
	NNQuantTensor qt;

	BuildModel(&m, ARCH_CONV);
	nn_model_quantize(&m, &q, &arena_alloc);
	for (uint32_t l = 0; l < m.net.n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	n = nn_net_tensors(&m.net, l, t);

		for (uint32_t i = 0; i < n; i++)
		{
			CheckQuantizedTensor(&m, &q, &t[i], scale_off, value_off);
			scale_off += t[i].weight ? t[i].rows : 0;
			value_off += t[i].weight ? t[i].size : 0;
		}
	}
	/* a float model has none */
	CHECK(!nn_model_quant_tensor(&m, m.net.params, 1, &qt));
	ArenaFree();
}

/* a model and its stripped copy quantize to the same bytes */
static void
test_quantize_stripped_same(void)
{
	NNModel		m,
				s,
				q1,
				q2;
	size_t		len1,
				len2;
	uint8_t    *b1,
			   *b2;

	BuildModel(&m, ARCH_RECURRENT);
	nn_model_strip(&m, &s);
	nn_model_quantize(&m, &q1, &arena_alloc);
	nn_model_quantize(&s, &q2, &arena_alloc);
	b1 = Write(&q1, &len1);
	b2 = Write(&q2, &len2);
	CHECK(len1 == len2 && memcmp(b1, b2, len1) == 0);
	ArenaFree();
}

static void
PutF32At(uint8_t *b, float v)
{
	memcpy(b, &v, 4);
}

/*
 * The int8 section starts after the history; the dense model's first
 * tensor is W (5 rows of 6): 5 scales, then 30 values.  Each damage of a
 * scale or a value refused for its reason, and the bytes restored.
 */
static void
test_reader_rejects_damaged_int8(void)
{
	NNModel		m,
				q;
	size_t		len,
				section;
	uint8_t    *buf;
	size_t		at;
	const float bad_scales[] = {0.0f, -1.0f, INFINITY, NAN, -0.0f};
	static const Damage damage[] = {
		{STORAGE_AT, 3, NN_MODEL_CORRUPT, "unknown storage 3"},
		{STORAGE_AT, 255, NN_MODEL_CORRUPT, "unknown storage 255"},
		{STORAGE_AT, 0, NN_MODEL_CORRUPT, "holds a float model with its optimizer state"},
		{STORAGE_AT + 1, 1, NN_MODEL_CORRUPT, "non-zero reserved bytes"},
		{STORAGE_AT + 2, 1, NN_MODEL_CORRUPT, "non-zero reserved bytes"},
		{4, 5, NN_MODEL_CORRUPT, "unsupported model format version 5"},
	};

	BuildModel(&m, ARCH_DENSE);
	nn_model_quantize(&m, &q, &arena_alloc);
	buf = Write(&q, &len);
	CheckDamages(buf, len, damage, sizeof(damage) / sizeof(damage[0]));
	/* stripped bytes (a float section) read as int8: the sizes differ */
	buf[STORAGE_AT] = NN_STORAGE_STRIPPED;
	ReadGives(buf, len, NN_MODEL_CORRUPT, "", "storage 1 over an int8 section");
	buf[STORAGE_AT] = NN_STORAGE_INT8;

	section = 4 * (m.net.n_params - q.n_qvalues + q.n_qscales) + q.n_qvalues;
	at = len - 4 * m.net.n_stats - section;
	for (size_t i = 0; i < sizeof(bad_scales) / sizeof(bad_scales[0]); i++)
	{
		float		keep;

		memcpy(&keep, buf + at + 8, 4);
		PutF32At(buf + at + 8, bad_scales[i]);
		ReadGives(buf, len, NN_MODEL_CORRUPT, "quantization scale that is not finite and positive",
				  "bad scale");
		PutF32At(buf + at + 8, keep);
	}
	/* values -127 and 127 are accepted, -128 is not */
	{
		uint8_t		keep = buf[at + 20];

		buf[at + 20] = 0x80;
		ReadGives(buf, len, NN_MODEL_CORRUPT, "quantized value of -128", "value -128");
		buf[at + 20] = 0x81;
		ReadGives(buf, len, NN_MODEL_OK, "", "value -127");
		buf[at + 20] = 0x7f;
		ReadGives(buf, len, NN_MODEL_OK, "", "value 127");
		buf[at + 20] = keep;
	}
	{
		float		keep;

		memcpy(&keep, buf + at, 4);
		PutF32At(buf + at, FLT_MAX);
		ReadGives(buf, len, NN_MODEL_CORRUPT, "non-finite parameters", "scale overflows");
		PutF32At(buf + at, keep);
	}
	ReadGives(buf, len, NN_MODEL_OK, "", "restored");
	ReadGives(buf, len - 1, NN_MODEL_CORRUPT, "truncated", "one byte short");
	ReadGives(buf, at + 3, NN_MODEL_CORRUPT, "truncated", "cut in a scale");
	{
		uint8_t    *longer = ArenaAlloc(NULL, len + 1);

		memcpy(longer, buf, len);
		ReadGives(longer, len + 1, NN_MODEL_CORRUPT, "trailing", "a byte more");
	}
	ArenaFree();
}

/* a float model with a storage byte in version 3 is refused */
static void
test_reader_rejects_storage_before_v4(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf;
	static const Damage damage[] = {
		{STORAGE_AT, 1, NN_MODEL_CORRUPT, "non-zero reserved bytes"},
		{STORAGE_AT, 2, NN_MODEL_CORRUPT, "non-zero reserved bytes"},
		/* version 4 with storage 0: one encoding per model */
		{4, 4, NN_MODEL_CORRUPT, "holds a float model with its optimizer state"},
	};

	BuildModel(&m, ARCH_CONV);
	buf = Write(&m, &len);
	CHECK_EQ_INT(U32At(buf + 4), 3);
	CheckDamages(buf, len, damage, sizeof(damage) / sizeof(damage[0]));
	ArenaFree();
}

/* read without state, a stripped model is whole; writing it is refused */
static void
test_stripped_read_without_state(void)
{
	NNModel		m,
				s,
				back;
	size_t		len;
	uint8_t    *buf;
	char		err[256] = "";

	BuildModel(&m, ARCH_DENSE);
	nn_model_strip(&m, &s);
	buf = Write(&s, &len);
	CHECK(nn_model_read_without_state(buf, len, &back, &arena_alloc, err, sizeof(err)) ==
		  NN_MODEL_OK);
	CHECK(back.without_state && back.storage == NN_STORAGE_STRIPPED);
	CHECK(nn_model_check(&back, err, sizeof(err)) == NN_MODEL_CORRUPT);
	/* an int8 model must carry its values */
	nn_model_quantize(&m, &back, &arena_alloc);
	back.qscales = NULL;
	CHECK(nn_model_check(&back, err, sizeof(err)) == NN_MODEL_CORRUPT);
	CHECK(strcmp(nn_model_storage_name(NN_STORAGE_INT8), "int8") == 0);
	CHECK(strcmp(nn_model_storage_name(NN_STORAGE_STRIPPED), "stripped") == 0);
	CHECK(strcmp(nn_model_storage_name(NN_STORAGE_FLOAT), "float") == 0);
	ArenaFree();
}

int
main(void)
{
	RUN_TEST(test_stripped_round_trip);
	RUN_TEST(test_quantized_scales_per_channel);
	RUN_TEST(test_quantized_weights);
	RUN_TEST(test_quantize_stripped_same);
	RUN_TEST(test_reader_rejects_damaged_int8);
	RUN_TEST(test_reader_rejects_storage_before_v4);
	RUN_TEST(test_stripped_read_without_state);
	return harness_finish("test_model_quant");
}
