/*
 * test_optimizers.c - every optimizer against hand-computed values for
 * three steps of one parameter (gradients 2, -1, 0.5), and against an
 * independent double-precision implementation of its textbook formula over
 * many parameters and steps; state layout (slots at state + j * stride),
 * AdamW's decoupled decay, defaults and state validity.
 *
 * Adam's reference is the bias-corrected form
 *   m = b1 m + (1-b1) g,  v = b2 v + (1-b2) g^2,
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 * which the kernel computes in an equivalent folded form.
 */
#include "harness.h"
#include "optimizers.h"

static const float g3[3] = {2.0f, -1.0f, 0.5f};

/*
 * Three steps of one parameter from p = 1 with the gradients g3; checks p
 * after each against expected[], and returns the state in state[].
 */
static void
three_steps(NNOptimizer opt, const NNOptConfig *cfg, float lr, bool decay,
			const double *expected, double rtol, float *state)
{
	float		p = 1.0f;

	memset(state, 0, 2 * sizeof(float));
	for (int t = 0; t < 3; t++)
	{
		nn_optimizer_step(opt, cfg, lr, &p, &g3[t], state, 1, 1,
						  (uint64_t) t + 1, decay);
		CHECK_MSG(harness_close(p, expected[t], 1e-7, rtol),
				  "%s%s step %d: p = %.9g, expected %.9g",
				  nn_optimizer_name(opt), decay ? " (decay)" : "", t + 1, p,
				  expected[t]);
	}
}

static void
test_names(void)
{
	static const char *const names[NN_OPT_COUNT] = {
		"sgd", "adam", "momentum", "nesterov", "rmsprop", "adagrad",
		"adadelta", "adamw"
	};
	static const size_t slots[NN_OPT_COUNT] = {0, 2, 1, 1, 1, 1, 2, 2};

	for (int o = 0; o < NN_OPT_COUNT; o++)
	{
		CHECK_EQ_INT(nn_optimizer_from_name(nn_optimizer_name((NNOptimizer) o)), o);
		CHECK_MSG(strcmp(nn_optimizer_name((NNOptimizer) o), names[o]) == 0,
				  "optimizer %d is %s", o, nn_optimizer_name((NNOptimizer) o));
		CHECK_EQ_INT(nn_optimizer_state_per_param((NNOptimizer) o), slots[o]);
	}
	CHECK_EQ_INT(nn_optimizer_from_name("Adam"), -1);
	CHECK_EQ_INT(nn_optimizer_from_name(""), -1);
	CHECK(strcmp(nn_optimizer_name(NN_OPT_COUNT), "unknown") == 0);
	CHECK_EQ_INT(nn_optimizer_state_per_param(NN_OPT_COUNT), 0);
}

static bool
config_equal(const NNOptConfig *a, const NNOptConfig *b)
{
	return a->learning_rate == b->learning_rate && a->beta1 == b->beta1 &&
		a->beta2 == b->beta2 && a->epsilon == b->epsilon &&
		a->momentum == b->momentum && a->rho == b->rho &&
		a->weight_decay == b->weight_decay;
}

static void
test_defaults(void)
{
	/* lr, beta1, beta2, eps, momentum, rho, weight_decay; unused are 0 */
	static const NNOptConfig expected[NN_OPT_COUNT] = {
		[NN_OPT_SGD] = {0.01f, 0, 0, 1e-8f, 0, 0, 0},
		[NN_OPT_ADAM] = {0.001f, 0.9f, 0.999f, 1e-8f, 0, 0, 0},
		[NN_OPT_MOMENTUM] = {0.01f, 0, 0, 1e-8f, 0.9f, 0, 0},
		[NN_OPT_NESTEROV] = {0.01f, 0, 0, 1e-8f, 0.9f, 0, 0},
		[NN_OPT_RMSPROP] = {0.001f, 0, 0, 1e-8f, 0, 0.9f, 0},
		[NN_OPT_ADAGRAD] = {0.01f, 0, 0, 1e-8f, 0, 0, 0},
		[NN_OPT_ADADELTA] = {1.0f, 0, 0, 1e-6f, 0, 0.95f, 0},
		[NN_OPT_ADAMW] = {0.001f, 0.9f, 0.999f, 1e-8f, 0, 0, 0.01f},
	};

	for (int o = 0; o < NN_OPT_COUNT; o++)
	{
		NNOptConfig cfg;

		memset(&cfg, 0x7f, sizeof(cfg));
		nn_optimizer_defaults((NNOptimizer) o, &cfg);
		CHECK_MSG(config_equal(&cfg, &expected[o]),
				  "%s defaults: lr %g b1 %g b2 %g eps %g mu %g rho %g wd %g",
				  nn_optimizer_name((NNOptimizer) o), cfg.learning_rate,
				  cfg.beta1, cfg.beta2, cfg.epsilon, cfg.momentum, cfg.rho,
				  cfg.weight_decay);
		CHECK(nn_optimizer_default_lr((NNOptimizer) o) == cfg.learning_rate);
		CHECK(nn_optimizer_default_epsilon((NNOptimizer) o) == cfg.epsilon);
	}

	/* an out-of-range optimizer gets SGD's settings, never a table overrun */
	{
		NNOptConfig cfg;

		memset(&cfg, 0x7f, sizeof(cfg));
		nn_optimizer_defaults(NN_OPT_COUNT, &cfg);
		CHECK(config_equal(&cfg, &expected[NN_OPT_SGD]));
		CHECK(nn_optimizer_default_lr(NN_OPT_COUNT) == expected[NN_OPT_SGD].learning_rate);
		CHECK(nn_optimizer_default_epsilon(NN_OPT_COUNT) == expected[NN_OPT_SGD].epsilon);
	}
}

static void
test_sgd(void)
{
	/* the step's lr argument is used, not cfg->learning_rate */
	NNOptConfig cfg = {.learning_rate = 999.0f};
	float		p[3] = {1.0f, -2.0f, 0.5f};
	const float g1[3] = {0.5f, -1.0f, 0.0f};
	const float g2[3] = {-2.0f, 4.0f, 1.0f};

	/* state is unused (and may be NULL) */
	nn_optimizer_step(NN_OPT_SGD, &cfg, 0.1f, p, g1, NULL, 3, 3, 1, false);
	CHECK_CLOSE(p[0], 0.95, 0, 1e-7);
	CHECK_CLOSE(p[1], -1.9, 0, 1e-7);
	CHECK(p[2] == 0.5f);
	/* decay is AdamW's alone */
	nn_optimizer_step(NN_OPT_SGD, &cfg, 0.1f, p, g2, NULL, 3, 3, 2, true);
	CHECK_CLOSE(p[0], 1.15, 0, 1e-7);
	CHECK_CLOSE(p[1], -2.3, 0, 1e-7);
	CHECK_CLOSE(p[2], 0.4, 0, 1e-7);
	/* a zero-length update touches nothing */
	nn_optimizer_step(NN_OPT_SGD, &cfg, 0.1f, p, g2, NULL, 0, 0, 3, false);
	CHECK_CLOSE(p[0], 1.15, 0, 1e-7);
}

static void
test_momentum_hand(void)
{
	NNOptConfig cfg = {.learning_rate = 999.0f, .momentum = 0.9f};
	float		state[2];

	/*
	 * lr 0.1, mu 0.9: v = 2, p = 1 - 0.2; v = 1.8 - 1 = 0.8, p -= 0.08;
	 * v = 0.72 + 0.5 = 1.22, p -= 0.122
	 */
	{
		const double e[3] = {0.8, 0.72, 0.598};

		three_steps(NN_OPT_MOMENTUM, &cfg, 0.1f, false, e, 1e-6, state);
		CHECK_CLOSE(state[0], 1.22, 0, 1e-6);
		three_steps(NN_OPT_MOMENTUM, &cfg, 0.1f, true, e, 1e-6, state);
	}

	/*
	 * Nesterov, same v, but p -= lr (g + mu v): 0.1 (2 + 1.8) = 0.38,
	 * 0.1 (-1 + 0.72) = -0.028, 0.1 (0.5 + 1.098) = 0.1598
	 */
	{
		const double e[3] = {0.62, 0.648, 0.4882};

		three_steps(NN_OPT_NESTEROV, &cfg, 0.1f, false, e, 1e-6, state);
		CHECK_CLOSE(state[0], 1.22, 0, 1e-6);
		three_steps(NN_OPT_NESTEROV, &cfg, 0.1f, true, e, 1e-6, state);
	}

	/* mu 0 is plain SGD for both */
	{
		const double e[3] = {0.8, 0.9, 0.85};

		cfg.momentum = 0.0f;
		three_steps(NN_OPT_MOMENTUM, &cfg, 0.1f, false, e, 1e-6, state);
		three_steps(NN_OPT_NESTEROV, &cfg, 0.1f, false, e, 1e-6, state);
	}
}

static void
test_rmsprop_hand(void)
{
	NNOptConfig cfg = {.learning_rate = 999.0f, .rho = 0.9f, .epsilon = 1e-8f};
	float		state[2];

	/*
	 * lr 0.1, rho 0.9: s = 0.4, step 0.2 / 0.632455532 = 0.316227766;
	 * s = 0.36 + 0.1 = 0.46, step -0.1 / 0.678232998 = -0.147441956;
	 * s = 0.414 + 0.025 = 0.439, step 0.05 / 0.662570751 = 0.0754636379
	 */
	{
		const double e[3] = {0.683772234, 0.831214190, 0.755750552};

		three_steps(NN_OPT_RMSPROP, &cfg, 0.1f, false, e, 2e-6, state);
		CHECK_CLOSE(state[0], 0.439, 0, 1e-6);
	}

	/* epsilon outside the root: s = 0.4, 0.1 * 2 / (0.632455532 + 0.5) */
	{
		float		p = 1.0f,
					s = 0.0f;

		cfg.epsilon = 0.5f;
		nn_optimizer_step(NN_OPT_RMSPROP, &cfg, 0.1f, &p, &g3[0], &s, 1, 1, 1,
						  false);
		CHECK_CLOSE(p, 1.0 - 0.2 / 1.132455532, 0, 1e-6);
	}
}

static void
test_adagrad_hand(void)
{
	NNOptConfig cfg = {.learning_rate = 999.0f, .epsilon = 1e-8f};
	float		state[2];

	/*
	 * lr 0.1: s = 4, step 0.2 / 2 = 0.1; s = 5, step -0.1 / sqrt(5) =
	 * -0.0447213595; s = 5.25, step 0.05 / sqrt(5.25) = 0.0218217890
	 */
	{
		const double e[3] = {0.9, 0.9447213595, 0.9228995705};

		three_steps(NN_OPT_ADAGRAD, &cfg, 0.1f, false, e, 1e-6, state);
		CHECK_CLOSE(state[0], 5.25, 0, 1e-7);
	}

	/* epsilon outside the root: 0.1 * 2 / (2 + 1) */
	{
		float		p = 1.0f,
					s = 0.0f;

		cfg.epsilon = 1.0f;
		nn_optimizer_step(NN_OPT_ADAGRAD, &cfg, 0.1f, &p, &g3[0], &s, 1, 1, 1,
						  false);
		CHECK_CLOSE(p, 1.0 - 0.2 / 3.0, 0, 1e-6);
	}
}

static void
test_adadelta_hand(void)
{
	/* rho 0.5 and a large eps 0.01 make every term visible */
	NNOptConfig cfg = {.learning_rate = 999.0f, .rho = 0.5f, .epsilon = 0.01f};
	float		state[2];

	/*
	 * t=1: s = 0.5 * 4 = 2, dx = sqrt(0 + 0.01) / sqrt(2.01) * 2 =
	 * 0.141069123, d = 0.5 * dx^2 = 0.00995024876.
	 * t=2: s = 1 + 0.5 = 1.5, dx = sqrt(0.01995024876) / sqrt(1.51) * -1 =
	 * -0.114943835, d = 0.00497512438 + 0.5 * 0.0132120851 = 0.011581167.
	 * t=3: s = 0.75 + 0.125 = 0.875, dx = sqrt(0.021581167) / sqrt(0.885)
	 * * 0.5 = 0.0780792857, d = 0.0057905835 + 0.5 * 0.00609637 =
	 * 0.00883877094.
	 */
	{
		const double e[3] = {0.858930877, 0.973874712, 0.895795426};

		three_steps(NN_OPT_ADADELTA, &cfg, 1.0f, false, e, 1e-6, state);
		CHECK_CLOSE(state[0], 0.875, 0, 1e-6);
		CHECK_CLOSE(state[1], 0.00883877094, 0, 1e-5);
	}

	/* lr scales the steps, not the state */
	{
		const double e[3] = {0.929465438, 0.986937356, 0.947897713};

		three_steps(NN_OPT_ADADELTA, &cfg, 0.5f, false, e, 1e-6, state);
		CHECK_CLOSE(state[0], 0.875, 0, 1e-6);
		CHECK_CLOSE(state[1], 0.00883877094, 0, 1e-5);
	}
}

/* Adam, hand-computed for one parameter, lr 0.1, b1 0.9, b2 0.999 */
static void
test_adam_hand(void)
{
	NNOptConfig cfg = {.learning_rate = 999.0f, .beta1 = 0.9f, .beta2 = 0.999f,
	.epsilon = 1e-8f};
	float		p[1] = {1.0f};
	float		state[2] = {0.0f, 0.0f};
	float		g;

	/*
	 * v is checked with rtol 5e-5: 1 - 0.999f is 0.00099998713 in float.
	 *
	 * t=1, g=2: m = 0.2, v = 0.004, mhat = 2, vhat = 4, p = 1 - 0.1*2/2 = 0.9
	 * (Adam's first step is lr * sign(g), whatever the size of g)
	 */
	g = 2.0f;
	nn_optimizer_step(NN_OPT_ADAM, &cfg, 0.1f, p, &g, state, 1, 1, 1, false);
	CHECK_CLOSE(state[0], 0.2, 0, 1e-6);
	CHECK_CLOSE(state[1], 0.004, 0, 5e-5);
	CHECK_CLOSE(p[0], 0.9, 1e-7, 1e-6);

	/*
	 * t=2, g=-1: m = 0.18 - 0.1 = 0.08, v = 0.003996 + 0.001 = 0.004996,
	 * mhat = 0.08/0.19 = 0.42105263, vhat = 0.004996/0.001999 = 2.49924962, sqrt = 1.58090152,
	 * step = 0.1 * 0.42105263 / 1.58090152 = 0.02663370
	 */
	g = -1.0f;
	nn_optimizer_step(NN_OPT_ADAM, &cfg, 0.1f, p, &g, state, 1, 1, 2, false);
	CHECK_CLOSE(state[0], 0.08, 0, 1e-5);
	CHECK_CLOSE(state[1], 0.004996, 0, 5e-5);
	CHECK_CLOSE(p[0], 0.9 - 0.0266337038, 1e-6, 0);

	/*
	 * t=3, g=0.5: m = 0.072 + 0.05 = 0.122, v = 0.004991004 + 0.00025
	 * = 0.005241004, mhat = 0.122/0.271 = 0.45018450,
	 * vhat = 0.005241004/0.002997001 = 1.74874950, sqrt = 1.32240293,
	 * step = 0.1 * 0.45018450 / 1.32240293 = 0.03404291
	 */
	g = 0.5f;
	nn_optimizer_step(NN_OPT_ADAM, &cfg, 0.1f, p, &g, state, 1, 1, 3, false);
	CHECK_CLOSE(state[0], 0.122, 0, 1e-5);
	CHECK_CLOSE(state[1], 0.005241004, 0, 5e-5);
	CHECK_CLOSE(p[0], 0.9 - 0.0266337038 - 0.0340429146, 1e-6, 0);
}

/*
 * AdamW: with decay the parameter is first shrunk by 1 - lr wd, then takes
 * Adam's step (which does not depend on p: m and v only see gradients).
 * lr 0.1, wd 0.1: p = 0.99 - 0.1 = 0.89; 0.89 * 0.99 - 0.0266337038;
 * (that) * 0.99 - 0.0340429146.
 */
static void
test_adamw_hand(void)
{
	NNOptConfig cfg = {.learning_rate = 999.0f, .beta1 = 0.9f, .beta2 = 0.999f,
	.epsilon = 1e-8f, .weight_decay = 0.1f};
	const double decayed[3] = {0.89, 0.8544662962, 0.8118787187};
	const double adam[3] = {0.9, 0.8733662962, 0.8393233816};
	float		state[2];

	three_steps(NN_OPT_ADAMW, &cfg, 0.1f, true, decayed, 1e-6, state);
	CHECK_CLOSE(state[0], 0.122, 0, 1e-5);
	/* decay off (biases): plain Adam */
	three_steps(NN_OPT_ADAMW, &cfg, 0.1f, false, adam, 1e-6, state);
	/* plain Adam ignores both the flag and the decay */
	three_steps(NN_OPT_ADAM, &cfg, 0.1f, true, adam, 1e-6, state);
	/* no decay rate: plain Adam */
	cfg.weight_decay = 0.0f;
	three_steps(NN_OPT_ADAMW, &cfg, 0.1f, true, adam, 1e-6, state);

	/* a zero gradient still decays: p = 2 (1 - 0.5 * 0.2) */
	{
		float		p = 2.0f,
					g = 0.0f,
					s[2] = {0, 0};

		cfg.weight_decay = 0.2f;
		nn_optimizer_step(NN_OPT_ADAMW, &cfg, 0.5f, &p, &g, s, 1, 1, 1, true);
		CHECK_CLOSE(p, 1.8, 0, 1e-6);
	}
}

/* ------------------------------------------------ double reference */

/* one textbook update in double; s0, s1 are the state slots */
static void
ref_step(NNOptimizer opt, const NNOptConfig *c, double lr, double *p,
		 double g, double *s0, double *s1, int t, bool decay)
{
	switch (opt)
	{
		case NN_OPT_SGD:
			*p -= lr * g;
			break;
		case NN_OPT_MOMENTUM:
			*s0 = c->momentum * *s0 + g;
			*p -= lr * *s0;
			break;
		case NN_OPT_NESTEROV:
			*s0 = c->momentum * *s0 + g;
			*p -= lr * (g + c->momentum * *s0);
			break;
		case NN_OPT_RMSPROP:
			*s0 = c->rho * *s0 + (1.0 - c->rho) * g * g;
			*p -= lr * g / (sqrt(*s0) + c->epsilon);
			break;
		case NN_OPT_ADAGRAD:
			*s0 += g * g;
			*p -= lr * g / (sqrt(*s0) + c->epsilon);
			break;
		case NN_OPT_ADADELTA:
			{
				double		dx;

				*s0 = c->rho * *s0 + (1.0 - c->rho) * g * g;
				dx = sqrt(*s1 + c->epsilon) / sqrt(*s0 + c->epsilon) * g;
				*s1 = c->rho * *s1 + (1.0 - c->rho) * dx * dx;
				*p -= lr * dx;
				break;
			}
		case NN_OPT_ADAM:
		case NN_OPT_ADAMW:
			{
				double		mhat,
							vhat;

				if (opt == NN_OPT_ADAMW && decay)
					*p -= lr * c->weight_decay * *p;
				*s0 = c->beta1 * *s0 + (1.0 - c->beta1) * g;
				*s1 = c->beta2 * *s1 + (1.0 - c->beta2) * g * g;
				mhat = *s0 / (1.0 - pow(c->beta1, t));
				vhat = *s1 / (1.0 - pow(c->beta2, t));
				*p -= lr * mhat / (sqrt(vhat) + c->epsilon);
				break;
			}
		default:
			break;
	}
}

/*
 * N parameters over several steps against ref_step.  The tensor's state
 * slots sit at stride 2N apart in a larger buffer whose other floats are
 * sentinels that must stay untouched.  Gradients: one zero, one tiny
 * (where epsilon matters), one large, the rest in [-1, 1).
 */
static void
reference_case(NNOptimizer opt, const NNOptConfig *cfg, float lr, int steps,
			   bool decay, uint64_t seed)
{
	enum
	{
		N = 6,
		STRIDE = 2 * N
	};
	const float sentinel = -12345.0f;
	size_t		slots = nn_optimizer_state_per_param(opt);
	float		p[N],
				g[N],
				state[2 * STRIDE];
	double		pd[N],
				s0[N] = {0},
				s1[N] = {0};
	bool		squares0 = opt == NN_OPT_RMSPROP || opt == NN_OPT_ADAGRAD ||
		opt == NN_OPT_ADADELTA;
	NNRng		rng;
	int			bad = 0;

	nn_rng_seed(&rng, seed);
	fill_uniform(&rng, p, N, -1, 1);
	for (int i = 0; i < N; i++)
		pd[i] = p[i];
	for (int i = 0; i < 2 * STRIDE; i++)
		state[i] = (i % STRIDE) < N && (size_t) (i / STRIDE) < slots ? 0.0f : sentinel;

	for (int t = 1; t <= steps; t++)
	{
		fill_uniform(&rng, g, N, -1, 1);
		g[0] = 0.0f;
		g[1] *= 1e-3f;
		g[2] *= 100.0f;
		nn_optimizer_step(opt, cfg, lr, p, g, state, N, STRIDE, (uint64_t) t,
						  decay);
		for (int i = 0; i < N; i++)
		{
			ref_step(opt, cfg, lr, &pd[i], g[i], &s0[i], &s1[i], t, decay);
			bad += !CHECK_MSG(harness_close(p[i], pd[i], 2e-6, 1e-5),
							  "%s step %d: p[%d] = %.9g, expected %.9g",
							  nn_optimizer_name(opt), t, i, p[i], pd[i]);
			/* first moments change sign: near 0 only float rounding is left */
			if (slots > 0)
				bad += !CHECK_MSG(harness_close(state[i], s0[i],
												squares0 ? 1e-9 : 1e-6, 1e-4),
								  "%s step %d: slot 0 [%d] = %.9g, expected %.9g",
								  nn_optimizer_name(opt), t, i, state[i], s0[i]);
			if (slots > 1)
				bad += !CHECK_MSG(harness_close(state[STRIDE + i], s1[i], 1e-9, 1e-4),
								  "%s step %d: slot 1 [%d] = %.9g, expected %.9g",
								  nn_optimizer_name(opt), t, i,
								  state[STRIDE + i], s1[i]);
		}
		if (bad > 6)
			break;
	}
	for (int i = 0; i < 2 * STRIDE; i++)
		if ((i % STRIDE) >= N || (size_t) (i / STRIDE) >= slots)
			CHECK_MSG(state[i] == sentinel, "%s: state[%d] written",
					  nn_optimizer_name(opt), i);
}

static void
test_reference(void)
{
	for (int o = 0; o < NN_OPT_COUNT; o++)
	{
		NNOptimizer opt = (NNOptimizer) o;
		NNOptConfig cfg;

		/* the defaults, at a larger rate so that the steps are visible */
		nn_optimizer_defaults(opt, &cfg);
		reference_case(opt, &cfg, 10 * cfg.learning_rate, 25, false, 10 + o);
		reference_case(opt, &cfg, 10 * cfg.learning_rate, 25, true, 20 + o);

		/* unusual settings: a large epsilon pins down where it goes */
		cfg.beta1 = 0.5f;
		cfg.beta2 = 0.9f;
		cfg.epsilon = 0.05f;
		cfg.momentum = 0.5f;
		cfg.rho = 0.7f;
		cfg.weight_decay = 0.3f;
		reference_case(opt, &cfg, 0.05f, 10, true, 30 + o);
	}
}

/* the Adam epsilon check must actually be sensitive to its placement */
static void
test_adam_epsilon_matters(void)
{
	NNOptConfig cfg = {.learning_rate = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f,
	.epsilon = 0.1f};
	float		p = 0.0f,
				g = 0.1f,
				state[2] = {0, 0};

	/* t=1: mhat = 0.1, sqrt(vhat) = 0.1: step = 0.1 * 0.1 / (0.1 + 0.1) */
	nn_optimizer_step(NN_OPT_ADAM, &cfg, 0.1f, &p, &g, state, 1, 1, 1, false);
	CHECK_CLOSE(p, -0.05, 0, 1e-5);
}

/* ------------------------------------------------ state validity */

static void
test_state_valid(void)
{
	enum
	{
		N = 3
	};
	float		state[2 * N];

	for (int o = 0; o < NN_OPT_COUNT; o++)
	{
		NNOptimizer opt = (NNOptimizer) o;
		size_t		slots = nn_optimizer_state_per_param(opt);

		/* which slots hold squares: the others may take any sign */
		bool		squares[2] = {
			opt == NN_OPT_RMSPROP || opt == NN_OPT_ADAGRAD || opt == NN_OPT_ADADELTA,
			opt == NN_OPT_ADADELTA || opt == NN_OPT_ADAM || opt == NN_OPT_ADAMW
		};

		memset(state, 0, sizeof(state));
		CHECK_MSG(nn_optimizer_state_valid(opt, state, N), "%s: zero state",
				  nn_optimizer_name(opt));
		for (size_t j = 0; j < slots; j++)
		{
			for (int i = 0; i < N; i++)
				state[j * N + i] = 0.5f;
			CHECK(nn_optimizer_state_valid(opt, state, N));
			state[j * N + N - 1] = -1e-30f;
			CHECK_MSG(nn_optimizer_state_valid(opt, state, N) == !squares[j],
					  "%s: slot %zu negative", nn_optimizer_name(opt), j);
			state[j * N + N - 1] = NAN;
			CHECK_MSG(nn_optimizer_state_valid(opt, state, N) == !squares[j],
					  "%s: slot %zu NaN", nn_optimizer_name(opt), j);
			state[j * N + N - 1] = 0.0f;
		}
	}
	/* SGD has no state to look at */
	CHECK(nn_optimizer_state_valid(NN_OPT_SGD, NULL, N));
	/* the check looks at exactly n per slot: a negative beyond is not seen */
	memset(state, 0, sizeof(state));
	state[N] = -1.0f;
	CHECK(nn_optimizer_state_valid(NN_OPT_RMSPROP, state, N));
	CHECK(!nn_optimizer_state_valid(NN_OPT_ADAM, state, N));
}

int
main(void)
{
	RUN_TEST(test_names);
	RUN_TEST(test_defaults);
	RUN_TEST(test_sgd);
	RUN_TEST(test_momentum_hand);
	RUN_TEST(test_rmsprop_hand);
	RUN_TEST(test_adagrad_hand);
	RUN_TEST(test_adadelta_hand);
	RUN_TEST(test_adam_hand);
	RUN_TEST(test_adamw_hand);
	RUN_TEST(test_reference);
	RUN_TEST(test_adam_epsilon_matters);
	RUN_TEST(test_state_valid);
	return harness_finish("test_optimizers");
}
