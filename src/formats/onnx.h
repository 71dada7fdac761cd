/*
 * onnx.h - an nn model as an ONNX ModelProto (the network with its
 * standardization, for scoring outside the database).
 *
 * Plain C, no PostgreSQL: a hand-written protobuf encoder, used like
 * model.c's writer - nn_onnx_size first, then nn_onnx_write into a buffer
 * of exactly that size.  Nothing is allocated.  The graph is described in
 * doc/onnx-export.md.
 */
#ifndef NN_FORMATS_ONNX_H
#define NN_FORMATS_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

/* what the export declares: IR version 7 goes with opset 13 (ONNX 1.8+) */
#define NN_ONNX_IR_VERSION 7
#define NN_ONNX_OPSET 13

/*
 * Bytes nn_onnx_write will produce for a valid model (nn_model_read or
 * nn_model_check accepted it).  Every string the model holds (labels,
 * feature and target names) must be UTF-8, as protobuf strings are;
 * version is the producer version recorded in the file.
 */
size_t		nn_onnx_size(const NNModel *model, const char *version);
void		nn_onnx_write(const NNModel *model, const char *version, uint8_t *buf);

/*
 * The protobuf base-128 varint of v into out (at most 10 bytes); returns
 * the bytes written.  Exposed for the unit tests.
 */
size_t		nn_onnx_varint(uint8_t *out, uint64_t v);

#endif
