/*
 * test_model_recurrent.c - the recurrent kinds in format version 3
 * (src/formats/model_recurrent.c): a [steps, features] input and rnn, lstm
 * and gru layers round trip byte for byte, a rank-2 input needs version 3
 * even under dense layers, and the reader refuses every damaged field of
 * the new blocks (units, return_sequences, bidirectional, dropout, the
 * rank-2 input and a recurrent layer over anything but a sequence), each
 * for its own reason.
 */
#include "harness.h"
#include "recurrent_layer.h"
#include "formats/model.h"
#include "modeltest.h"
#include "testnet.h"

/*
 * [5, 3] -> lstm 4 units, every step, bidirectional, dropout 0.25 [5, 8]
 * -> rnn 2 units, every step [5, 2] -> gru 3 units, the last step [3] ->
 * dense 2 softmax.  recurrent: false makes the layers dense (2 softmax
 * after 3 tanh) over the same [5, 3] input.
 */
static void
BuildModel(NNModel *m, bool recurrent)
{
	NNNet	   *net = &m->net;
	NNRecurrentSettings lstm = {4, 1, 1, 0.25f};
	NNRecurrentSettings rnn = {2, 1, 0, 0.0f};
	NNRecurrentSettings gru = {3, 0, 0, 0.0f};

	memset(m, 0, sizeof(*m));
	net->shapes[0] = (NNShape) {2, {5, 3}};
	if (recurrent)
	{
		net->n_layers = 4;
		nn_recurrent_set(net, 0, NN_LAYER_LSTM, &lstm);
		nn_recurrent_set(net, 1, NN_LAYER_RNN, &rnn);
		nn_recurrent_set(net, 2, NN_LAYER_GRU, &gru);
	}
	else
	{
		net->n_layers = 2;
		nn_dense_set(net, 0, 3, NN_ACT_TANH, false, 0.0f);
	}
	nn_dense_set(net, net->n_layers - 1, 2, NN_ACT_SOFTMAX, false, 0.0f);
	FinishModel(m, 16);
}

static void
test_recurrent_model_round_trip(void)
{
	NNModel		m;

	BuildModel(&m, true);
	CHECK_EQ_INT(nn_model_format_version(&m), 3);
	/* the shapes the format implies: [5, 8], [5, 2], [3], [2] */
	CHECK(m.net.shapes[1].rank == 2 && m.net.shapes[1].dims[0] == 5 &&
		  m.net.shapes[1].dims[1] == 8);
	CHECK(m.net.shapes[2].rank == 2 && m.net.shapes[2].dims[1] == 2);
	CHECK(m.net.shapes[3].rank == 1 && m.net.shapes[3].dims[0] == 3);
	CheckRoundTrip(&m, "recurrent");
	ArenaFree();
}

/* a dense network over a [steps, features] input keeps its shape: version 3 */
static void
test_sequence_dense_model_needs_version_3(void)
{
	NNModel		m;

	BuildModel(&m, false);
	CheckShapedDense(&m, "sequence dense");
	ArenaFree();
}

/*
 * Offsets in the recurrent model: n_layers 16, rank 20, steps 24-27,
 * features 28-31; layer 0 (lstm): kind 32, units 33-34, return_sequences
 * 35, bidirectional 36; layer 1 (rnn): kind 37, units 38-39, 40, 41;
 * layer 2 (gru): kind 42, units 43-44, 45, 46; layer 3 (dense): kind 47,
 * units 48-51; records: dropout of the lstm 52-55 (0.25: 00 00 80 3e), the
 * rnn 56-59, the gru 60-63; dense 64-69.
 */
static void
test_reader_rejects_damaged_recurrent_blocks(void)
{
	static const Damage damage[] = {
		{24, 0, NN_MODEL_LIMIT, "layer width out of range"},
		{28, 0, NN_MODEL_LIMIT, "layer width out of range"},
		{32, NN_LAYER_KIND_COUNT, NN_MODEL_CORRUPT, "layer 1 has an unknown kind"},
		{37, 255, NN_MODEL_CORRUPT, "layer 2 has an unknown kind 255"},
		/* units 0, and 4096 + 4: the low byte and the high byte */
		{33, 0, NN_MODEL_LIMIT, "units"},
		{34, 0x10, NN_MODEL_LIMIT, "units"},
		{43, 0, NN_MODEL_LIMIT, "units"},
		{35, 2, NN_MODEL_LIMIT, "return_sequences"},
		{36, 2, NN_MODEL_LIMIT, "bidirectional"},
		{41, 255, NN_MODEL_LIMIT, "bidirectional"},
		/* the rnn returns its last step only: the gru's input is no sequence */
		{40, 0, NN_MODEL_LIMIT, "needs input of shape [steps, features]"},
		/* another kind of the same block: another parameter count */
		{37, NN_LAYER_GRU, NN_MODEL_CORRUPT, "truncated"},
		{42, NN_LAYER_RNN, NN_MODEL_CORRUPT, "trailing bytes"},
		/* the gru returns every step: the dense layer reads 15, not 3 */
		{45, 1, NN_MODEL_CORRUPT, "truncated"},
		/* dropout 1 (00 00 80 3f), infinite (00 00 80 7f), negative */
		{55, 0x3f, NN_MODEL_LIMIT, "dropout"},
		{55, 0x7f, NN_MODEL_LIMIT, "dropout"},
		{55, 0xbe, NN_MODEL_LIMIT, "dropout"},
		{63, 0xbf, NN_MODEL_LIMIT, "dropout"},
	};
	NNModel		m;
	size_t		len;
	uint8_t    *buf;

	BuildModel(&m, true);
	buf = Write(&m, &len);
	/* the offsets above are right: the bytes hold what the comment says */
	CHECK(U32At(buf + 20) == 2 && U32At(buf + 24) == 5 && U32At(buf + 28) == 3 &&
		  buf[32] == NN_LAYER_LSTM && buf[33] == 4 && buf[34] == 0 && buf[35] == 1 &&
		  buf[36] == 1 && buf[37] == NN_LAYER_RNN && buf[38] == 2 && buf[40] == 1 &&
		  buf[41] == 0 && buf[42] == NN_LAYER_GRU && buf[43] == 3 && buf[45] == 0 &&
		  buf[47] == NN_LAYER_DENSE && U32At(buf + 48) == 2 &&
		  U32At(buf + 52) == 0x3e800000 && U32At(buf + 56) == 0 && buf[64] == NN_ACT_SOFTMAX);
	CheckDamages(buf, len, damage, sizeof(damage) / sizeof(damage[0]));
	/* cut inside the recurrent blocks */
	ReadGives(buf, 35, NN_MODEL_CORRUPT, "truncated", "cut at 35");
	ReadGives(buf, 58, NN_MODEL_CORRUPT, "truncated", "cut at 58");
	ReadGives(buf, len, NN_MODEL_OK, "", "undamaged");
	ArenaFree();
}

/*
 * A recurrent layer over a vector is refused: the model's [5, 3] input
 * made a rank-1 input of 15.
 */
static void
test_reader_rejects_recurrent_over_vector(void)
{
	NNModel		m;
	size_t		len,
				flat_len;
	uint8_t    *buf;
	uint8_t    *flat;

	BuildModel(&m, true);
	buf = Write(&m, &len);
	flat = FlattenInput(buf, len, 2, &flat_len);
	CHECK(flat_len == len - 4 && U32At(flat + 24) == 15 && flat[28] == NN_LAYER_LSTM);
	ReadGives(flat, flat_len, NN_MODEL_LIMIT, "needs input of shape [steps, features]",
			  "lstm over a vector");
	ArenaFree();
}

int
main(void)
{
	RUN_TEST(test_recurrent_model_round_trip);
	RUN_TEST(test_sequence_dense_model_needs_version_3);
	RUN_TEST(test_reader_rejects_damaged_recurrent_blocks);
	RUN_TEST(test_reader_rejects_recurrent_over_vector);
	return harness_finish("test_model_recurrent");
}
