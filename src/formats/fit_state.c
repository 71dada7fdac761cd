/*
 * fit_state.c - read, check and write the bytes of an nn_fit partial state
 * (fit_state.h).  Plain C: the server glue (src/train/fit_state.c) turns
 * the messages into ereports, and the fuzzer runs the same reader.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "formats/fit_state.h"

static uint32_t
Get32(const char *p)
{
	const unsigned char *u = (const unsigned char *) p;

	return ((uint32_t) u[0] << 24) | ((uint32_t) u[1] << 16) | ((uint32_t) u[2] << 8) | u[3];
}

static uint64_t
Get64(const char *p)
{
	return ((uint64_t) Get32(p) << 32) | Get32(p + 4);
}

static float
GetFloat4(const char *p)
{
	uint32_t	u = Get32(p);
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static char *
Put32(char *p, uint32_t v)
{
	p[0] = (char) (v >> 24);
	p[1] = (char) (v >> 16);
	p[2] = (char) (v >> 8);
	p[3] = (char) v;
	return p + 4;
}

static char *
Put64(char *p, uint64_t v)
{
	return Put32(Put32(p, (uint32_t) (v >> 32)), (uint32_t) v);
}

static char *
PutFloat4(char *p, float f)
{
	uint32_t	u;

	memcpy(&u, &f, sizeof(u));
	return Put32(p, u);
}

size_t
nn_fit_state_rows_size(uint32_t pending, uint32_t n_inputs)
{
	/* both are checked against the model later; here only keep the product exact */
	if (pending > NN_MAX_BATCH || n_inputs > NN_MAX_FEATURES)
		return SIZE_MAX;
	return (size_t) pending * ((size_t) n_inputs + 2) * sizeof(float);
}

const char *
nn_fit_state_read(const char *data, size_t len, NNFitStateBytes *st)
{
	size_t		rows;
	uint64_t	loss_bits;

	st->version = NN_FIT_STATE_VERSION;
	if (len < NN_FIT_STATE_HEADER)
		return "truncated: shorter than its header";
	if (memcmp(data, NN_FIT_STATE_MAGIC, 4) != 0)
		return "wrong header: it does not start with \"NNFS\"";
	st->version = Get32(data + 4);
	if (st->version != NN_FIT_STATE_VERSION)
		return "unsupported version";
	st->pass_rows = Get64(data + 8);
	loss_bits = Get64(data + 16);
	memcpy(&st->pass_loss, &loss_bits, sizeof(double));
	st->pending = Get32(data + 24);
	st->n_inputs = Get32(data + 28);
	st->model_len = Get32(data + 32);
	if (!isfinite(st->pass_loss) || st->pass_loss < 0)
		return "the summed loss is not a finite non-negative number";
	if (st->pass_rows == 0 && st->pass_loss != 0)
		return "a loss without trained rows";
	if (st->model_len > len - NN_FIT_STATE_HEADER)
		return "truncated: the model is cut short";
	rows = nn_fit_state_rows_size(st->pending, st->n_inputs);
	if (rows == SIZE_MAX)
		return "too many pending rows or inputs";
	if (rows != len - NN_FIT_STATE_HEADER - st->model_len)
		return rows > len - NN_FIT_STATE_HEADER - st->model_len ?
			"truncated: the pending rows are cut short" :
			"trailing bytes after the pending rows";
	st->model = data + NN_FIT_STATE_HEADER;
	st->rows = st->model + st->model_len;
	return NULL;
}

void
nn_fit_state_row(const NNFitStateBytes *st, uint32_t r, float *x, float *target, float *weight)
{
	const char *p = st->rows + (size_t) r * ((size_t) st->n_inputs + 2) * sizeof(float);

	for (uint32_t i = 0; i < st->n_inputs; i++)
		x[i] = GetFloat4(p + (size_t) i * sizeof(float));
	p += (size_t) st->n_inputs * sizeof(float);
	*target = GetFloat4(p);
	*weight = GetFloat4(p + sizeof(float));
}

/* a buffered target as the aggregate stores it: a class index, or a finite value */
static const char *
CheckTarget(const NNModel *m, float t)
{
	if (!isfinite(t))
		return "a pending row's target is not finite";
	if (m->task == NN_TASK_CLASSIFICATION &&
		(t < 0 || t >= (float) m->n_classes || t != floorf(t)))
		return "a pending row's target is not a class index of the model";
	return NULL;
}

const char *
nn_fit_state_check(const NNFitStateBytes *st, const NNModel *m)
{
	if (m->storage != NN_STORAGE_FLOAT)
		return "its model is compressed (stripped or quantized) and cannot train";
	if (st->n_inputs != nn_model_inputs(m))
		return "its rows' width is not the model's number of inputs";
	if (st->pending >= m->net.batch_size)
		return "it buffers a full minibatch or more";
	for (uint32_t r = 0; r < st->pending; r++)
	{
		const char *p = st->rows + (size_t) r * ((size_t) st->n_inputs + 2) * sizeof(float);
		const char *bad;
		float		w;

		for (uint32_t i = 0; i < st->n_inputs; i++)
			if (!isfinite(GetFloat4(p + (size_t) i * sizeof(float))))
				return "a pending row's feature is not finite";
		p += (size_t) st->n_inputs * sizeof(float);
		if ((bad = CheckTarget(m, GetFloat4(p))) != NULL)
			return bad;
		w = GetFloat4(p + sizeof(float));
		if (!isfinite(w) || w < 0)
			return "a pending row's weight is not a finite non-negative number";
	}
	return NULL;
}

char *
nn_fit_state_write_head(char *dst, const NNFitStateBytes *st)
{
	uint64_t	loss_bits;

	memcpy(&loss_bits, &st->pass_loss, sizeof(double));
	memcpy(dst, NN_FIT_STATE_MAGIC, 4);
	dst = Put32(dst + 4, NN_FIT_STATE_VERSION);
	dst = Put64(dst, st->pass_rows);
	dst = Put64(dst, loss_bits);
	dst = Put32(dst, st->pending);
	dst = Put32(dst, st->n_inputs);
	dst = Put32(dst, st->model_len);
	memcpy(dst, st->model, st->model_len);
	return dst + st->model_len;
}

char *
nn_fit_state_write_row(char *dst, const float *x, uint32_t n_inputs, float target, float weight)
{
	for (uint32_t i = 0; i < n_inputs; i++)
		dst = PutFloat4(dst, x[i]);
	dst = PutFloat4(dst, target);
	return PutFloat4(dst, weight);
}
