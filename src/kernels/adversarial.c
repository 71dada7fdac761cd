/*
 * adversarial.c - FGSM and PGD under an L-infinity budget per input
 * (adversarial.h), on the input gradient of the network driver.
 */
#include <math.h>
#include <string.h>

#include "adversarial.h"
#include "interrupt.h"

void
nn_attack_budget(float *epsilon, float *lo, float *hi, uint32_t n_inputs,
				 float eps, const uint8_t *mask, const float *clip,
				 const float *mean, const float *sd)
{
	for (uint32_t i = 0; i < n_inputs; i++)
	{
		float		scale = sd != NULL ? sd[i] : 1.0f;
		float		shift = sd != NULL ? mean[i] : 0.0f;

		if (mask != NULL && mask[i])
		{
			epsilon[i] = 0.0f;
			lo[i] = -INFINITY;
			hi[i] = INFINITY;
			continue;
		}
		epsilon[i] = eps / scale;
		lo[i] = clip != NULL ? (clip[0] - shift) / scale : -INFINITY;
		hi[i] = clip != NULL ? (clip[1] - shift) / scale : INFINITY;
	}
}

const float *
nn_attack_gradient(const NNNet *net, NNWork *work, const float *x, size_t batch,
				   const float *target, const float *mean, const float *sd,
				   float *grad)
{
	NNGradSeed	seed = {NN_SEED_LOSS, 0, NULL, target};

	return nn_net_input_gradient(net, work, x, batch, &seed, mean, sd, grad);
}

size_t
nn_attack_scratch_floats(const NNNet *net, size_t batch)
{
	/* the gradient and the rows as given */
	return 2 * batch * nn_net_inputs(net);
}

static inline float
Clamp(float v, float lo, float hi)
{
	return v < lo ? lo : (v > hi ? hi : v);
}

static inline float
Sign(float g)
{
	return g > 0.0f ? 1.0f : (g < 0.0f ? -1.0f : 0.0f);
}

/* PGD's start: each perturbable input uniform in its ball, then in range */
static void
RandomStart(float *x, size_t batch, size_t n_in, const NNAttack *a,
			const NNAttackBudget *b)
{
	for (size_t r = 0; r < batch; r++)
	{
		NNRng		rng;
		float	   *row = x + r * n_in;

		nn_rng_seed(&rng, a->seed + (a->seed_per_row ? r : 0));
		for (size_t i = 0; i < n_in; i++)
		{
			/* drawn for every input, so a row's stream is its own */
			float		u = (float) (2.0 * nn_rng_uniform(&rng) - 1.0);

			if (b->epsilon[i] > 0.0f)
				row[i] = Clamp(row[i] + u * b->epsilon[i], b->lo[i], b->hi[i]);
		}
	}
}

/*
 * One signed step of size step x epsilon from x, kept within epsilon of
 * origin (when given) and in the valid range.
 */
static void
SignStep(float *x, const float *grad, const float *origin, size_t batch,
		 size_t n_in, float step, const NNAttackBudget *b)
{
	for (size_t r = 0; r < batch; r++)
		for (size_t i = 0; i < n_in; i++)
		{
			size_t		k = r * n_in + i;
			float		e = b->epsilon[i];
			float		v;

			if (e == 0.0f)
				continue;
			v = x[k] + step * e * Sign(grad[k]);
			if (origin != NULL)
				v = Clamp(v, origin[k] - e, origin[k] + e);
			x[k] = Clamp(v, b->lo[i], b->hi[i]);
		}
}

bool
nn_attack_rows(const NNNet *net, NNWork *work, float *x, size_t batch,
			   const float *target, const NNAttack *attack,
			   const NNAttackBudget *budget, const float *mean,
			   const float *sd, float *scratch)
{
	size_t		n_in = nn_net_inputs(net);
	float	   *grad = scratch;
	float	   *origin = scratch + batch * n_in;

	if (attack->method == NN_ATTACK_FGSM)
	{
		if (nn_attack_gradient(net, work, x, batch, target, mean, sd, grad) == NULL)
			return false;
		SignStep(x, grad, NULL, batch, n_in, 1.0f, budget);
		return true;
	}
	if (attack->method != NN_ATTACK_PGD || attack->steps < 1 ||
		attack->steps > NN_ATTACK_MAX_STEPS || !(attack->step_fraction > 0.0f) ||
		!isfinite(attack->step_fraction))
		return false;
	memcpy(origin, x, batch * n_in * sizeof(float));
	RandomStart(x, batch, n_in, attack, budget);
	for (uint32_t s = 0; s < attack->steps; s++)
	{
		nn_check_interrupt();
		if (nn_attack_gradient(net, work, x, batch, target, mean, sd, grad) == NULL)
			return false;
		SignStep(x, grad, origin, batch, n_in, attack->step_fraction, budget);
	}
	return true;
}
