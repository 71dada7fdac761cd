/*
 * model_quant.h - the parameters of a version 4 model stored as int8
 * (model_quant.c), private to src/formats/: model.c reads them in place of
 * the float parameters, model_write.c writes them.
 */
#ifndef NN_MODEL_QUANT_H
#define NN_MODEL_QUANT_H

#include "model.h"
#include "model_bytes.h"

/*
 * Read the parameters of an int8 model: per layer, per tensor in storage
 * order, a weight's row scales (f32) and values (i8), any other tensor's
 * floats; every scale and value checked, the weights dequantized into
 * net.params.  NULL, or why the bytes are refused.
 */
const char *nn_model_read_int8(ModelReader *r, NNModel *m, const NNAllocator *a);

void		nn_model_write_int8(ModelWriter *w, const NNModel *m);

#endif
