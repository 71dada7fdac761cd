/*
 * model_dense.c - the dense layer kind's entry in the model format's
 * layer-format table (model_layers.h): its shape is its width, one u32 in
 * the header's shapes block, and its record is the activation, the
 * batch-norm flag and the dropout rate.  This is the encoding of format
 * versions 1 and 2, which hold nothing but dense layers.
 */
#include "kernels/dense_layer.h"
#include "model.h"
#include "model_bytes.h"
#include "model_layers.h"

static void
WriteShape(ModelWriter *w, const NNNet *net, uint32_t l)
{
	PutU32(w, nn_dense(net, l)->units);
}

static void
ReadShape(ModelReader *r, NNNet *net, uint32_t l)
{
	nn_dense_mut(net, l)->units = ReadU32(r);
}

static void
WriteRecord(ModelWriter *w, const NNNet *net, uint32_t l)
{
	const NNDenseSettings *s = nn_dense(net, l);

	PutU8(w, s->act);
	PutU8(w, s->batch_norm);
	PutF32(w, s->dropout);
}

static void
ReadRecord(ModelReader *r, NNNet *net, uint32_t l)
{
	NNDenseSettings *s = nn_dense_mut(net, l);

	s->act = ReadU8(r);
	s->batch_norm = ReadU8(r);
	s->dropout = ReadF32(r);
}

const NNLayerFormat nn_dense_format = {
	.kind = NN_LAYER_DENSE,
	.min_version = 1,
	.write_shape = WriteShape,
	.read_shape = ReadShape,
	.write_record = WriteRecord,
	.read_record = ReadRecord,
};
