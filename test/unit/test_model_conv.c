/*
 * test_model_conv.c - format version 3 (src/formats/model.c, model_write.c,
 * model_conv.c): the input shape and the kind tags, a convolutional
 * model's round trip byte for byte, the writer's choice of version (3 only
 * for a layer of another kind or a shaped input), and the reader's checks
 * of every field of the new block, each damage refused for its own reason.
 */
#include "conv2d_layer.h"
#include "harness.h"
#include "pool_layer.h"
#include "formats/model.h"
#include "modeltest.h"
#include "testnet.h"

/*
 * [1, 6, 5] -> conv2d 3 filters 3x3 "same" relu [3, 6, 5] -> max_pool2d
 * 2x2 [3, 3, 2] -> avg_pool2d 2x2 stride 1 [3, 2, 1] -> dense 2 softmax.
 * conv: false makes the layers dense (2 softmax after 3 tanh) over the
 * same shaped input.
 */
static void
BuildModel(NNModel *m, bool conv)
{
	NNNet	   *net = &m->net;
	NNConv2dSettings c = {3, {3, 3, 1, 1, 1, 1, 1, 1}, NN_ACT_RELU, 0, 0.0f};
	NNPoolSettings max = {{2, 2, 2, 2, 0, 0, 0, 0}};
	NNPoolSettings avg = {{2, 2, 1, 1, 0, 0, 0, 0}};

	memset(m, 0, sizeof(*m));
	net->shapes[0] = (NNShape) {3, {1, 6, 5}};
	if (conv)
	{
		net->n_layers = 4;
		nn_conv2d_set(net, 0, &c);
		nn_pool_set(net, 1, NN_LAYER_MAX_POOL2D, &max);
		nn_pool_set(net, 2, NN_LAYER_AVG_POOL2D, &avg);
	}
	else
	{
		net->n_layers = 2;
		nn_dense_set(net, 0, 3, NN_ACT_TANH, false, 0.0f);
	}
	nn_dense_set(net, net->n_layers - 1, 2, NN_ACT_SOFTMAX, false, 0.0f);
	FinishModel(m, 15);
}

static void
test_conv_model_round_trip(void)
{
	NNModel		m;

	BuildModel(&m, true);
	CHECK_EQ_INT(nn_model_format_version(&m), 3);
	CheckRoundTrip(&m, "conv");
	ArenaFree();
}

/* a dense network over a shaped input keeps its shape: version 3 too */
static void
test_shaped_dense_model_needs_version_3(void)
{
	NNModel		m;

	BuildModel(&m, false);
	CheckShapedDense(&m, "shaped dense");
	ArenaFree();
}

/*
 * Offsets in the conv model: n_layers 16, rank 20, dims 24-35; layer 0's
 * kind 36, filters 37-38, its window 39-46 (kernel h, w, stride h, w, pad
 * top, left, bottom, right); layer 1's kind 47, window 48-55; layer 2's
 * kind 56, window 57-64; layer 3's kind 65, units 66-69; records: conv
 * activation 70, batch_norm 71, dropout 72-75; dense 76-81.
 */
static void
test_reader_rejects_damaged_kinds(void)
{
	static const Damage damage[] = {
		{20, 0, NN_MODEL_CORRUPT, "rank 0"},
		{20, 4, NN_MODEL_CORRUPT, "rank 4"},
		{28, 0, NN_MODEL_LIMIT, "width out of range"},
		{36, NN_LAYER_KIND_COUNT, NN_MODEL_CORRUPT, "unknown kind"},
		{47, 200, NN_MODEL_CORRUPT, "layer 2 has an unknown kind 200"},
		{37, 0, NN_MODEL_LIMIT, "kernel does not fit"},
		{39, 9, NN_MODEL_LIMIT, "kernel does not fit"},
		{41, 0, NN_MODEL_LIMIT, "kernel does not fit"},
		{43, 3, NN_MODEL_LIMIT, "padding must be smaller"},
		{70, NN_ACT_SOFTMAX, NN_MODEL_LIMIT, "activation"},
		{70, NN_ACT_COUNT, NN_MODEL_LIMIT, "activation"},
		{48, 0, NN_MODEL_LIMIT, "window does not fit"},
		{52, 2, NN_MODEL_LIMIT, "padding must be smaller"},
		{57, 9, NN_MODEL_LIMIT, "window does not fit"},
	};
	NNModel		m;
	size_t		len;
	uint8_t    *buf;

	BuildModel(&m, true);
	buf = Write(&m, &len);
	/* the offsets above are right: the bytes hold what the comment says */
	CHECK(U32At(buf + 20) == 3 && U32At(buf + 28) == 6 && buf[36] == NN_LAYER_CONV2D &&
		  buf[37] == 3 && buf[39] == 3 && buf[47] == NN_LAYER_MAX_POOL2D &&
		  buf[56] == NN_LAYER_AVG_POOL2D && buf[65] == NN_LAYER_DENSE &&
		  U32At(buf + 66) == 2 && buf[70] == NN_ACT_RELU && buf[76] == NN_ACT_SOFTMAX);
	CheckDamages(buf, len, damage, sizeof(damage) / sizeof(damage[0]));
	/* cut inside the kinds block */
	ReadGives(buf, 40, NN_MODEL_CORRUPT, "truncated", "cut at 40");
	ReadGives(buf, 22, NN_MODEL_CORRUPT, "truncated", "cut at 22");
	ReadGives(buf, len, NN_MODEL_OK, "", "undamaged");
	ArenaFree();
}

/*
 * A version 3 encoding of what version 1 holds (a flat input, dense
 * layers) is refused: a model has one encoding.  Made from the shaped
 * dense model by making its rank-3 input a rank-1 one of the same size.
 */
static void
test_reader_rejects_needless_version_3(void)
{
	NNModel		m;
	size_t		len,
				flat_len;
	uint8_t    *buf;
	uint8_t    *flat;

	BuildModel(&m, false);
	buf = Write(&m, &len);
	flat = FlattenInput(buf, len, 3, &flat_len);
	CHECK(flat_len == len - 8 && U32At(flat + 24) == 30);
	ReadGives(flat, flat_len, NN_MODEL_CORRUPT, "holds only what version 2 holds",
			  "flat dense at version 3");
	ArenaFree();
}

int
main(void)
{
	RUN_TEST(test_conv_model_round_trip);
	RUN_TEST(test_shaped_dense_model_needs_version_3);
	RUN_TEST(test_reader_rejects_damaged_kinds);
	RUN_TEST(test_reader_rejects_needless_version_3);
	return harness_finish("test_model_conv");
}
