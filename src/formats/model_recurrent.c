/*
 * model_recurrent.c - the recurrent layer kinds' entries (rnn, lstm, gru)
 * in the model format's layer-format table (model_layers.h), held by
 * format version 3 (kind tags and shaped inputs: their input is
 * [steps, features]).  The three kinds store the same settings:
 *
 *   shape:  u16 units, u8 return_sequences, u8 bidirectional
 *   record: f32 dropout
 *
 * The reader only stores the values; the layout (nn_net_layout) checks
 * them (units in range, the flags 0 or 1, the rate in [0, 1), the input
 * a sequence) before anything is sized from them.
 */
#include "kernels/recurrent_layer.h"
#include "model.h"
#include "model_bytes.h"
#include "model_layers.h"

static void
RecurrentWriteShape(ModelWriter *w, const NNNet *net, uint32_t l)
{
	const NNRecurrentSettings *s = nn_recurrent(net, l);

	PutU16(w, s->units);
	PutU8(w, s->return_sequences);
	PutU8(w, s->bidirectional);
}

static void
RecurrentReadShape(ModelReader *r, NNNet *net, uint32_t l)
{
	NNRecurrentSettings *s = nn_recurrent_mut(net, l);

	s->units = ReadU16(r);
	s->return_sequences = ReadU8(r);
	s->bidirectional = ReadU8(r);
}

static void
RecurrentWriteRecord(ModelWriter *w, const NNNet *net, uint32_t l)
{
	PutF32(w, nn_recurrent(net, l)->dropout);
}

static void
RecurrentReadRecord(ModelReader *r, NNNet *net, uint32_t l)
{
	nn_recurrent_mut(net, l)->dropout = ReadF32(r);
}

#define RECURRENT_FORMAT(k) { \
	.kind = (k), \
	.min_version = 3, \
	.write_shape = RecurrentWriteShape, \
	.read_shape = RecurrentReadShape, \
	.write_record = RecurrentWriteRecord, \
	.read_record = RecurrentReadRecord, \
}

const NNLayerFormat nn_rnn_format = RECURRENT_FORMAT(NN_LAYER_RNN);
const NNLayerFormat nn_lstm_format = RECURRENT_FORMAT(NN_LAYER_LSTM);
const NNLayerFormat nn_gru_format = RECURRENT_FORMAT(NN_LAYER_GRU);
