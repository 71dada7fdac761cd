/*
 * fit_state.h - the bytes of an nn_fit partial state (the SQL type
 * nn_fit_state): what crosses processes when the aggregate runs in two
 * phases.  Plain C, no PostgreSQL calls, so the reader can be fuzzed with
 * the model reader it leans on.
 *
 * Layout, every number big-endian:
 *   "NNFS", uint32 version, uint64 rows trained in the pass, float8 their
 *   summed loss, uint32 pending rows (buffered, not yet trained), uint32
 *   inputs per row, uint32 model length, the model's bytes (model.h), then
 *   per pending row its inputs, target and weight as float4.
 */
#ifndef NN_FIT_STATE_H
#define NN_FIT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "formats/model.h"

#define NN_FIT_STATE_MAGIC "NNFS"
#define NN_FIT_STATE_VERSION 1
#define NN_FIT_STATE_HEADER 36

/* a state's fields; model and rows point into the bytes read */
typedef struct NNFitStateBytes
{
	uint32_t	version;		/* as read, even when unsupported; else ours */
	uint64_t	pass_rows;
	double		pass_loss;
	uint32_t	pending;
	uint32_t	n_inputs;
	uint32_t	model_len;
	const char *model;
	const char *rows;			/* pending x (n_inputs + 2) floats */
} NNFitStateBytes;

/* the bytes pending rows take after the model, or SIZE_MAX past any limit */
size_t		nn_fit_state_rows_size(uint32_t pending, uint32_t n_inputs);

/*
 * Read the header and check the lengths; NULL when well formed, else what
 * is wrong.  The model is not read here (nn_model_read, then
 * nn_fit_state_check against it).
 */
const char *nn_fit_state_read(const char *data, size_t len, NNFitStateBytes *st);

/* pending row r's inputs into x, its target and weight */
void		nn_fit_state_row(const NNFitStateBytes *st, uint32_t r, float *x, float *target,
							 float *weight);

/* NULL when the state fits model m (read from st->model), else what is wrong */
const char *nn_fit_state_check(const NNFitStateBytes *st, const NNModel *m);

/* write the header, the model (st->model) and no rows; returns the end */
char	   *nn_fit_state_write_head(char *dst, const NNFitStateBytes *st);
/* write one pending row at dst; returns the end */
char	   *nn_fit_state_write_row(char *dst, const float *x, uint32_t n_inputs, float target,
								   float weight);

#endif
