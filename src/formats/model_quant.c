/*
 * model_quant.c - compressed models: the int8 parameter section of
 * version 4 (read, checked, dequantized; written back byte for byte) and
 * the stripped and quantized copies of a float model.  The rounding
 * itself is kernels/quantize.c; which tensors are weights, and their rows
 * (output channels), is the layer table's (NNTensor).  Layout:
 * doc/model-format.md.
 */
#include "model_quant.h"

#include "kernels/layer.h"
#include "kernels/quantize.h"

static const char *const storage_names[NN_STORAGE_COUNT] = {"float", "stripped", "int8"};

const char *
nn_model_storage_name(NNStorage storage)
{
	return (unsigned) storage < NN_STORAGE_COUNT ? storage_names[storage] : "unknown";
}

size_t
nn_model_state_floats(const NNModel *model)
{
	return model->storage == NN_STORAGE_FLOAT ? nn_net_state_floats(&model->net) : 0;
}

/* the scales and values of every weight tensor of the network */
static void
CountQuantized(const NNNet *net, size_t *n_scales, size_t *n_values)
{
	*n_scales = 0;
	*n_values = 0;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	n = nn_net_tensors(net, l, t);

		for (uint32_t i = 0; i < n; i++)
			if (t[i].weight)
			{
				*n_scales += t[i].rows;
				*n_values += t[i].size;
			}
	}
}

/* ---------- reading ---------- */

/* a weight's scales and values, checked, dequantized into params */
static const char *
ReadWeight(ModelReader *r, const NNTensor *t, float *scales, int8_t *q, float *params)
{
	for (size_t i = 0; i < t->rows; i++)
	{
		scales[i] = ReadF32(r);
		if (!nn_quant_scale_valid(scales[i]))
			return "model has a quantization scale that is not finite and positive";
	}
	Take(r, q, t->size);
	for (size_t i = 0; i < t->size; i++)
		if (q[i] < -NN_QUANT_MAX)
			return "model has a quantized value of -128 (allowed: -127 to 127)";
	nn_dequantize_rows(q, scales, t->rows, t->size / t->rows, params + t->offset);
	return NULL;
}

const char *
nn_model_read_int8(ModelReader *r, NNModel *m, const NNAllocator *a)
{
	NNNet	   *net = &m->net;
	size_t		scale_off = 0,
				value_off = 0;

	CountQuantized(net, &m->n_qscales, &m->n_qvalues);
	/* every count is bounded by NN_MAX_PARAMS: no sum wraps */
	if (r->truncated ||
		(net->n_params - m->n_qvalues + m->n_qscales + net->n_stats) * sizeof(float) +
		m->n_qvalues > r->left)
		return "model is truncated";
	m->qscales = a->alloc(a->ctx, m->n_qscales * sizeof(float) + 1);
	m->qvalues = a->alloc(a->ctx, m->n_qvalues + 1);
	net->params = a->alloc(a->ctx, net->n_params * sizeof(float) + 1);
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	n = nn_net_tensors(net, l, t);

		for (uint32_t i = 0; i < n; i++)
		{
			const char *msg;

			if (!t[i].weight)
			{
				ReadFloats(r, net->params + t[i].offset, t[i].size);
				continue;
			}
			msg = ReadWeight(r, &t[i], m->qscales + scale_off, m->qvalues + value_off,
							 net->params);
			if (msg != NULL)
				return msg;
			scale_off += t[i].rows;
			value_off += t[i].size;
		}
	}
	return NULL;
}

/* ---------- writing ---------- */

void
nn_model_write_int8(ModelWriter *w, const NNModel *m)
{
	const NNNet *net = &m->net;
	size_t		scale_off = 0,
				value_off = 0;

	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	n = nn_net_tensors(net, l, t);

		for (uint32_t i = 0; i < n; i++)
		{
			if (!t[i].weight)
			{
				PutFloats(w, net->params + t[i].offset, t[i].size);
				continue;
			}
			PutFloats(w, m->qscales + scale_off, t[i].rows);
			Put(w, m->qvalues + value_off, t[i].size);
			scale_off += t[i].rows;
			value_off += t[i].size;
		}
	}
}

bool
nn_model_quant_tensor(const NNModel *model, const float *weights, size_t n, NNQuantTensor *out)
{
	const NNNet *net = &model->net;
	size_t		scale_off = 0,
				value_off = 0;

	if (model->storage != NN_STORAGE_INT8 || weights < net->params ||
		weights >= net->params + net->n_params)
		return false;
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	nt = nn_net_tensors(net, l, t);

		for (uint32_t i = 0; i < nt; i++)
		{
			if (!t[i].weight)
				continue;
			if (net->params + t[i].offset == weights && t[i].size == n)
			{
				*out = (NNQuantTensor) {model->qscales + scale_off, model->qvalues + value_off,
				t[i].rows, t[i].size / t[i].rows};
				return true;
			}
			scale_off += t[i].rows;
			value_off += t[i].size;
		}
	}
	return false;
}

/* ---------- compressing ---------- */

void
nn_model_strip(const NNModel *model, NNModel *dst)
{
	*dst = *model;
	dst->net.opt_state = NULL;
	dst->without_state = false;
	if (dst->storage == NN_STORAGE_FLOAT)
		dst->storage = NN_STORAGE_STRIPPED;
}

void
nn_model_quantize(const NNModel *model, NNModel *dst, const NNAllocator *alloc)
{
	NNNet	   *net = &dst->net;
	size_t		scale_off = 0,
				value_off = 0;

	nn_model_strip(model, dst);
	dst->storage = NN_STORAGE_INT8;
	CountQuantized(net, &dst->n_qscales, &dst->n_qvalues);
	dst->qscales = alloc->alloc(alloc->ctx, dst->n_qscales * sizeof(float) + 1);
	dst->qvalues = alloc->alloc(alloc->ctx, dst->n_qvalues + 1);
	net->params = alloc->alloc(alloc->ctx, net->n_params * sizeof(float) + 1);
	memcpy(net->params, model->net.params, net->n_params * sizeof(float));
	for (uint32_t l = 0; l < net->n_layers; l++)
	{
		NNTensor	t[NN_LAYER_MAX_TENSORS];
		uint32_t	n = nn_net_tensors(net, l, t);

		for (uint32_t i = 0; i < n; i++)
		{
			float	   *w = net->params + t[i].offset;
			size_t		cols;

			if (!t[i].weight)
				continue;
			cols = t[i].size / t[i].rows;
			nn_quantize_rows(w, t[i].rows, cols, dst->qscales + scale_off,
							 dst->qvalues + value_off);
			/* score with what the bytes hold */
			nn_dequantize_rows(dst->qvalues + value_off, dst->qscales + scale_off,
							   t[i].rows, cols, w);
			scale_off += t[i].rows;
			value_off += t[i].size;
		}
	}
}
