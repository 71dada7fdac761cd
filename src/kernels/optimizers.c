/*
 * optimizers.c - SGD and Adam over one flat parameter vector.
 */
#include <math.h>
#include <string.h>

#include "optimizers.h"

static const char *const opt_names[NN_OPT_COUNT] = {"sgd", "adam"};

const char *
nn_optimizer_name(NNOptimizer opt)
{
	return (unsigned) opt < NN_OPT_COUNT ? opt_names[opt] : "unknown";
}

int
nn_optimizer_from_name(const char *name)
{
	for (int i = 0; i < NN_OPT_COUNT; i++)
		if (strcmp(name, opt_names[i]) == 0)
			return i;
	return -1;
}

size_t
nn_optimizer_state_per_param(NNOptimizer opt)
{
	return opt == NN_OPT_ADAM ? 2 : 0;
}

float
nn_optimizer_default_lr(NNOptimizer opt)
{
	return opt == NN_OPT_ADAM ? 0.001f : 0.01f;
}

static void
SgdStep(const NNOptConfig *cfg, float *params, const float *grad, size_t n)
{
	float		lr = cfg->learning_rate;

	for (size_t i = 0; i < n; i++)
		params[i] -= lr * grad[i];
}

/* Adam (Kingma & Ba) with bias-corrected moments kept as m then v. */
static void
AdamStep(const NNOptConfig *cfg, float *params, const float *grad,
		 float *state, size_t n, uint64_t step)
{
	float	   *m = state;
	float	   *v = state + n;
	float		b1 = cfg->beta1;
	float		b2 = cfg->beta2;
	double		t = (double) step;
	/* fold both bias corrections into the step size once per update */
	float		alpha = (float) (cfg->learning_rate *
								 sqrt(1.0 - pow(b2, t)) / (1.0 - pow(b1, t)));
	float		eps_hat = (float) (cfg->epsilon * sqrt(1.0 - pow(b2, t)));

	for (size_t i = 0; i < n; i++)
	{
		float		g = grad[i];

		m[i] = b1 * m[i] + (1.0f - b1) * g;
		v[i] = b2 * v[i] + (1.0f - b2) * g * g;
		params[i] -= alpha * m[i] / (sqrtf(v[i]) + eps_hat);
	}
}

void
nn_optimizer_step(NNOptimizer opt, const NNOptConfig *cfg,
				  float *params, const float *grad, float *state,
				  size_t n, uint64_t step)
{
	switch (opt)
	{
		case NN_OPT_SGD:
			SgdStep(cfg, params, grad, n);
			break;
		case NN_OPT_ADAM:
			AdamStep(cfg, params, grad, state, n, step);
			break;
		default:
			break;
	}
}

bool
nn_optimizer_state_valid(NNOptimizer opt, const float *state, size_t n)
{
	/* Adam's second moments are running means of squares */
	if (opt == NN_OPT_ADAM)
		for (size_t i = 0; i < n; i++)
			if (state[n + i] < 0.0f)
				return false;
	return true;
}
