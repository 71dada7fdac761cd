/*
 * optimizers.c - the parameter updates: SGD, momentum, Nesterov, RMSprop,
 * Adagrad, Adadelta, Adam and AdamW, one tensor at a time.
 *
 * Each update is one pass over the tensor without branches, reading and
 * writing the state slots in place.  Slot j of the tensor's element i is
 * state[j * stride + i].
 */
#include <math.h>
#include <string.h>

#include "optimizers.h"

typedef struct OptimizerInfo
{
	const char *name;
	size_t		slots;			/* state floats per parameter */
	NNOptConfig defaults;
} OptimizerInfo;

/*
 * Defaults follow the usual libraries (PyTorch, Keras).  Fields an
 * optimizer does not use are 0, except epsilon, which is kept positive
 * (1e-8) everywhere so that a configuration is valid whatever optimizer it
 * is later read with.  Adagrad takes PyTorch's learning rate 0.01: its
 * accumulated squares shrink the steps fast enough that Keras's 0.001
 * barely moves a fresh network.
 */
static const OptimizerInfo optimizers[NN_OPT_COUNT] = {
	[NN_OPT_SGD] = {"sgd", 0,
	{.learning_rate = 0.01f, .epsilon = 1e-8f}},
	[NN_OPT_ADAM] = {"adam", 2,
	{.learning_rate = 0.001f, .beta1 = 0.9f, .beta2 = 0.999f, .epsilon = 1e-8f}},
	[NN_OPT_MOMENTUM] = {"momentum", 1,
	{.learning_rate = 0.01f, .epsilon = 1e-8f, .momentum = 0.9f}},
	[NN_OPT_NESTEROV] = {"nesterov", 1,
	{.learning_rate = 0.01f, .epsilon = 1e-8f, .momentum = 0.9f}},
	[NN_OPT_RMSPROP] = {"rmsprop", 1,
	{.learning_rate = 0.001f, .epsilon = 1e-8f, .rho = 0.9f}},
	[NN_OPT_ADAGRAD] = {"adagrad", 1,
	{.learning_rate = 0.01f, .epsilon = 1e-8f}},
	[NN_OPT_ADADELTA] = {"adadelta", 2,
	{.learning_rate = 1.0f, .epsilon = 1e-6f, .rho = 0.95f}},
	[NN_OPT_ADAMW] = {"adamw", 2,
	{.learning_rate = 0.001f, .beta1 = 0.9f, .beta2 = 0.999f, .epsilon = 1e-8f,
	.weight_decay = 0.01f}},
};

const char *
nn_optimizer_name(NNOptimizer opt)
{
	return (unsigned) opt < NN_OPT_COUNT ? optimizers[opt].name : "unknown";
}

int
nn_optimizer_from_name(const char *name)
{
	for (int i = 0; i < NN_OPT_COUNT; i++)
		if (strcmp(name, optimizers[i].name) == 0)
			return i;
	return -1;
}

size_t
nn_optimizer_state_per_param(NNOptimizer opt)
{
	return (unsigned) opt < NN_OPT_COUNT ? optimizers[opt].slots : 0;
}

float
nn_optimizer_default_lr(NNOptimizer opt)
{
	return (unsigned) opt < NN_OPT_COUNT ?
		optimizers[opt].defaults.learning_rate : 0.01f;
}

float
nn_optimizer_default_epsilon(NNOptimizer opt)
{
	return (unsigned) opt < NN_OPT_COUNT ?
		optimizers[opt].defaults.epsilon : 1e-8f;
}

void
nn_optimizer_defaults(NNOptimizer opt, NNOptConfig *cfg)
{
	*cfg = optimizers[(unsigned) opt < NN_OPT_COUNT ? opt : NN_OPT_SGD].defaults;
}

/*
 * The steps with a square root and a division per parameter are the part
 * of a training step that OpenBLAS does not run, on one core: gcc also
 * compiles them for AVX2 and AVX-512 and the widest the CPU has is picked
 * when nn loads (an ifunc).  Adam over Fashion-MNIST's 235k parameters,
 * 469 steps: 0.24 s with SSE2, 0.08 s with AVX-512 (measured).  The bytes
 * are the same: kernels build with -ffp-contract=off (no fused
 * multiply-adds), and vector square roots and divisions round like the
 * scalar ones.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define WIDE_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WIDE_CLONES
#endif

static void
SgdStep(float lr, float *p, const float *g, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] -= lr * g[i];
}

/* heavy ball: v = mu v + g; p -= lr v */
static void
MomentumStep(float lr, float mu, float *p, const float *g, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		v[i] = mu * v[i] + g[i];
		p[i] -= lr * v[i];
	}
}

/* as PyTorch's nesterov = True: the step looks ahead along the new v */
static void
NesterovStep(float lr, float mu, float *p, const float *g, float *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		v[i] = mu * v[i] + g[i];
		p[i] -= lr * (g[i] + mu * v[i]);
	}
}

WIDE_CLONES static void
RmspropStep(float lr, float rho, float eps, float *p, const float *g,
			float *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		s[i] = rho * s[i] + (1.0f - rho) * g[i] * g[i];
		p[i] -= lr * g[i] / (sqrtf(s[i]) + eps);
	}
}

WIDE_CLONES static void
AdagradStep(float lr, float eps, float *p, const float *g, float *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		s[i] += g[i] * g[i];
		p[i] -= lr * g[i] / (sqrtf(s[i]) + eps);
	}
}

/*
 * Adadelta (Zeiler 2012): the step is the gradient scaled by the ratio of
 * the RMS of recent steps to the RMS of recent gradients, so it has the
 * units of the parameter; lr scales it (1 is the paper's method).
 */
WIDE_CLONES static void
AdadeltaStep(float lr, float rho, float eps, float *p, const float *g,
			 float *s, float *d, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		float		dx;

		s[i] = rho * s[i] + (1.0f - rho) * g[i] * g[i];
		dx = sqrtf(d[i] + eps) / sqrtf(s[i] + eps) * g[i];
		d[i] = rho * d[i] + (1.0f - rho) * dx * dx;
		p[i] -= lr * dx;
	}
}

/*
 * Adam (Kingma & Ba) with moments m and v.  Both bias corrections are
 * folded into the step size and epsilon once per update,
 *   lr mhat / (sqrt(vhat) + eps) = alpha m / (sqrt(v) + eps_hat),
 * which is exact.  keep is AdamW's decoupled decay factor 1 - lr wd (1 for
 * plain Adam): it applies to the old parameter, as in PyTorch.
 */
WIDE_CLONES static void
AdamStep(const NNOptConfig *cfg, float lr, float keep, float *p,
		 const float *g, float *m, float *v, size_t n, uint64_t step)
{
	float		b1 = cfg->beta1;
	float		b2 = cfg->beta2;
	double		t = (double) step;
	double		c2 = sqrt(1.0 - pow(b2, t));
	float		alpha = (float) (lr * c2 / (1.0 - pow(b1, t)));
	float		eps_hat = (float) (cfg->epsilon * c2);

	for (size_t i = 0; i < n; i++)
	{
		m[i] = b1 * m[i] + (1.0f - b1) * g[i];
		v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
		p[i] = keep * p[i] - alpha * m[i] / (sqrtf(v[i]) + eps_hat);
	}
}

void
nn_optimizer_step(NNOptimizer opt, const NNOptConfig *cfg, float lr,
				  float *params, const float *grad, float *state,
				  size_t n, size_t stride, uint64_t step, bool decay)
{
	switch (opt)
	{
		case NN_OPT_SGD:
			SgdStep(lr, params, grad, n);
			break;
		case NN_OPT_MOMENTUM:
			MomentumStep(lr, cfg->momentum, params, grad, state, n);
			break;
		case NN_OPT_NESTEROV:
			NesterovStep(lr, cfg->momentum, params, grad, state, n);
			break;
		case NN_OPT_RMSPROP:
			RmspropStep(lr, cfg->rho, cfg->epsilon, params, grad, state, n);
			break;
		case NN_OPT_ADAGRAD:
			AdagradStep(lr, cfg->epsilon, params, grad, state, n);
			break;
		case NN_OPT_ADADELTA:
			AdadeltaStep(lr, cfg->rho, cfg->epsilon, params, grad, state,
						 state + stride, n);
			break;
		case NN_OPT_ADAM:
			AdamStep(cfg, lr, 1.0f, params, grad, state, state + stride, n,
					 step);
			break;
		case NN_OPT_ADAMW:
			AdamStep(cfg, lr, decay ? 1.0f - lr * cfg->weight_decay : 1.0f,
					 params, grad, state, state + stride, n, step);
			break;
		default:
			break;
	}
}

/* true when state[0..n) holds no negative value (nor NaN) */
static bool
AllNonNegative(const float *state, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!(state[i] >= 0.0f))
			return false;
	return true;
}

bool
nn_optimizer_state_valid(NNOptimizer opt, const float *state, size_t n)
{
	/* the slots that are running sums or means of squares */
	switch (opt)
	{
		case NN_OPT_RMSPROP:
		case NN_OPT_ADAGRAD:
			return AllNonNegative(state, n);
		case NN_OPT_ADADELTA:
			return AllNonNegative(state, 2 * n);
		case NN_OPT_ADAM:
		case NN_OPT_ADAMW:
			return AllNonNegative(state + n, n);
		default:
			return true;
	}
}
