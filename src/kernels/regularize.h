/*
 * regularize.h - penalties on weights (L1, L2) and gradient clipping over a
 * list of parameter tensors.  It knows tensors, not layers: the network
 * driver (network.c) hands it every layer's tensors, so the dependency runs
 * one way, from the driver down.
 */
#ifndef NN_REGULARIZE_H
#define NN_REGULARIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Penalties on weights (never biases or batch-norm parameters) and clipping. */
typedef struct NNRegConfig
{
	float		l1;				/* adds l1 * sum |w| to the loss */
	float		l2;				/* adds l2 * sum w^2 to the loss */
	float		clip_value;		/* > 0: clamp each gradient element to +-clip_value */
	float		clip_norm;		/* > 0: scale each tensor's gradient to L2 norm <= clip_norm */
	float		clip_global_norm;	/* > 0: the same over all tensors together */
} NNRegConfig;

/* one parameter tensor, at offset floats into the parameters it is part of */
typedef struct NNTensor
{
	const char *name;
	size_t		offset;
	size_t		size;
	bool		weight;			/* L1/L2 penalties and AdamW decay apply */
	/*
	 * A weight's rows, one per output channel (a dense unit, a filter, a
	 * depthwise output channel, a recurrent gate row of each direction),
	 * each size / rows floats: a quantized model scales each row by its
	 * own factor (quantize.h).  0 for a tensor that is not a weight.
	 */
	size_t		rows;
} NNTensor;

/* l1 * sum |w| + l2 * sum w^2 over the tensors marked as weights */
double		nn_reg_penalty(const NNRegConfig *reg, const float *params,
						   const NNTensor *t, uint32_t nt);

/*
 * Add the penalties' gradient to grads (weights only), then clip: element
 * values, then each tensor's norm, then the global norm over n floats.
 */
void		nn_reg_apply(const NNRegConfig *reg, const float *params, float *grads,
						 size_t n, const NNTensor *t, uint32_t nt);

#endif
