/*
 * regularize.c - the penalties on weights (L1, L2) and gradient clipping
 * (per element, per tensor norm, global norm), over the tensors the network
 * driver lists: a tensor marked as a weight is penalized, every tensor is
 * clipped on its own.
 */
#include <math.h>

#include "regularize.h"

/* ------------------------------------------------------------ penalties */

double
nn_reg_penalty(const NNRegConfig *reg, const float *params, const NNTensor *t,
			   uint32_t nt)
{
	double		abs_sum = 0.0,
				sq_sum = 0.0;

	if (reg->l1 == 0.0f && reg->l2 == 0.0f)
		return 0.0;
	for (uint32_t k = 0; k < nt; k++)
	{
		const float *w = params + t[k].offset;

		for (size_t i = 0; t[k].weight && i < t[k].size; i++)
		{
			abs_sum += fabsf(w[i]);
			sq_sum += (double) w[i] * w[i];
		}
	}
	return reg->l1 * abs_sum + reg->l2 * sq_sum;
}

/* g += l1 sign(w) + 2 l2 w, with sign(0) = 0 */
static void
PenaltyGradient(const float *w, float *g, size_t n, float l1, float l2)
{
	float		l2x2 = 2.0f * l2;

	for (size_t i = 0; i < n; i++)
		g[i] += l1 * (float) ((w[i] > 0.0f) - (w[i] < 0.0f)) + l2x2 * w[i];
}

/* ------------------------------------------------------------- clipping */

/* clamp to [-limit, limit]; the comparisons keep a NaN a NaN */
static void
ClipValues(float *g, size_t n, float limit)
{
	for (size_t i = 0; i < n; i++)
	{
		float		v = g[i] < -limit ? -limit : g[i];

		g[i] = v > limit ? limit : v;
	}
}

/* scale g to L2 norm limit when its norm is larger */
static void
ClipNorm(float *g, size_t n, float limit)
{
	double		sq = 0.0;
	double		norm;

	for (size_t i = 0; i < n; i++)
		sq += (double) g[i] * g[i];
	norm = sqrt(sq);
	if (norm > limit)
	{
		float		scale = (float) (limit / norm);

		for (size_t i = 0; i < n; i++)
			g[i] *= scale;
	}
}

void
nn_reg_apply(const NNRegConfig *reg, const float *params, float *grads, size_t n,
			 const NNTensor *t, uint32_t nt)
{
	if (reg->l1 != 0.0f || reg->l2 != 0.0f)
		for (uint32_t k = 0; k < nt; k++)
			if (t[k].weight)
				PenaltyGradient(params + t[k].offset, grads + t[k].offset,
								t[k].size, reg->l1, reg->l2);
	if (reg->clip_value > 0.0f)
		ClipValues(grads, n, reg->clip_value);
	if (reg->clip_norm > 0.0f)
		for (uint32_t k = 0; k < nt; k++)
			ClipNorm(grads + t[k].offset, t[k].size, reg->clip_norm);
	if (reg->clip_global_norm > 0.0f)
		ClipNorm(grads, n, reg->clip_global_norm);
}
