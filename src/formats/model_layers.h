/*
 * model_layers.h - the model format's layer-format table, private to
 * src/formats/: one entry per layer kind, through which model.c reads and
 * model_write.c writes each layer (dense: model_dense.c).  The bytes
 * themselves go through model_bytes.h.  A kind's entry is named only in
 * the table it fills.
 */
#ifndef NN_MODEL_LAYERS_H
#define NN_MODEL_LAYERS_H

#include "kernels/network.h"

typedef struct ModelReader ModelReader;
typedef struct ModelWriter ModelWriter;

/*
 * How one layer kind is stored.  A model's header holds the input shape,
 * then each layer's shape, then each layer's settings record; versions 1
 * and 2 hold dense layers only, so no kind is stored: a layer's shape is
 * one u32 (its width) and its record is act u8, batch_norm u8, dropout
 * f32.  A kind that needs a newer version says so (min_version), and the
 * writer uses the oldest version that holds every layer.
 */
typedef struct NNLayerFormat
{
	NNLayerKind kind;
	uint32_t	min_version;	/* oldest format version that holds the kind */
	/* the layer's shape (its kind's settings that fix it) */
	void		(*write_shape) (ModelWriter *w, const NNNet *net, uint32_t l);
	void		(*read_shape) (ModelReader *r, NNNet *net, uint32_t l);
	/* the rest of its settings */
	void		(*write_record) (ModelWriter *w, const NNNet *net, uint32_t l);
	void		(*read_record) (ModelReader *r, NNNet *net, uint32_t l);
} NNLayerFormat;

/* the entry of a kind (model.c's table; NULL for an unknown kind) */
const NNLayerFormat *nn_model_layer_format(NNLayerKind kind);

#endif
