/*
 * test_optimizers.c - SGD and Adam updates against hand-computed values,
 * and Adam against the textbook bias-corrected formula in double:
 *   m = b1 m + (1-b1) g,  v = b2 v + (1-b2) g^2,
 *   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
 */
#include "harness.h"
#include "optimizers.h"

static void
test_names(void)
{
	for (int o = 0; o < NN_OPT_COUNT; o++)
		CHECK_EQ_INT(nn_optimizer_from_name(nn_optimizer_name((NNOptimizer) o)), o);
	CHECK(strcmp(nn_optimizer_name(NN_OPT_SGD), "sgd") == 0);
	CHECK(strcmp(nn_optimizer_name(NN_OPT_ADAM), "adam") == 0);
	CHECK_EQ_INT(nn_optimizer_from_name("rmsprop"), -1);
	CHECK_EQ_INT(nn_optimizer_state_per_param(NN_OPT_SGD), 0);
	CHECK_EQ_INT(nn_optimizer_state_per_param(NN_OPT_ADAM), 2);
	CHECK(nn_optimizer_default_lr(NN_OPT_SGD) == 0.01f);
	CHECK(nn_optimizer_default_lr(NN_OPT_ADAM) == 0.001f);
}

static void
test_sgd(void)
{
	NNOptConfig cfg = {.learning_rate = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f,
	.epsilon = 1e-8f};
	float		p[3] = {1.0f, -2.0f, 0.5f};
	const float g1[3] = {0.5f, -1.0f, 0.0f};
	const float g2[3] = {-2.0f, 4.0f, 1.0f};

	/* state is unused (and may be NULL) */
	nn_optimizer_step(NN_OPT_SGD, &cfg, p, g1, NULL, 3, 1);
	CHECK_CLOSE(p[0], 0.95, 0, 1e-7);
	CHECK_CLOSE(p[1], -1.9, 0, 1e-7);
	CHECK(p[2] == 0.5f);
	nn_optimizer_step(NN_OPT_SGD, &cfg, p, g2, NULL, 3, 2);
	CHECK_CLOSE(p[0], 1.15, 0, 1e-7);
	CHECK_CLOSE(p[1], -2.3, 0, 1e-7);
	CHECK_CLOSE(p[2], 0.4, 0, 1e-7);
	/* a zero-length update touches nothing */
	nn_optimizer_step(NN_OPT_SGD, &cfg, p, g2, NULL, 0, 3);
	CHECK_CLOSE(p[0], 1.15, 0, 1e-7);
}

/* Adam, hand-computed for one parameter, lr 0.1, b1 0.9, b2 0.999 */
static void
test_adam_hand(void)
{
	NNOptConfig cfg = {.learning_rate = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f,
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
	nn_optimizer_step(NN_OPT_ADAM, &cfg, p, &g, state, 1, 1);
	CHECK_CLOSE(state[0], 0.2, 0, 1e-6);
	CHECK_CLOSE(state[1], 0.004, 0, 5e-5);
	CHECK_CLOSE(p[0], 0.9, 1e-7, 1e-6);

	/*
	 * t=2, g=-1: m = 0.18 - 0.1 = 0.08, v = 0.003996 + 0.001 = 0.004996,
	 * mhat = 0.08/0.19 = 0.42105263, vhat = 0.004996/0.001999 = 2.49924962, sqrt = 1.58090152,
	 * step = 0.1 * 0.42105263 / 1.58090152 = 0.02663370
	 */
	g = -1.0f;
	nn_optimizer_step(NN_OPT_ADAM, &cfg, p, &g, state, 1, 2);
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
	nn_optimizer_step(NN_OPT_ADAM, &cfg, p, &g, state, 1, 3);
	CHECK_CLOSE(state[0], 0.122, 0, 1e-5);
	CHECK_CLOSE(state[1], 0.005241004, 0, 5e-5);
	CHECK_CLOSE(p[0], 0.9 - 0.0266337038 - 0.0340429146, 1e-6, 0);
}

/*
 * Adam over several parameters and steps against the textbook formula in
 * double.  A large epsilon (0.05, comparable to sqrt(vhat) for the small
 * gradients) also pins down where epsilon goes: outside the square root,
 * added to the bias-corrected sqrt(vhat).
 */
static void
adam_reference_case(float lr, float b1, float b2, float eps, int steps,
					uint64_t seed)
{
	enum
	{
		N = 6
	};
	NNOptConfig cfg = {.learning_rate = lr, .beta1 = b1, .beta2 = b2,
	.epsilon = eps};
	float		p[N],
				state[2 * N],
				g[N];
	double		pd[N],
				m[N] = {0},
				v[N] = {0};
	NNRng		rng;

	nn_rng_seed(&rng, seed);
	fill_uniform(&rng, p, N, -1, 1);
	for (int i = 0; i < N; i++)
		pd[i] = p[i];
	memset(state, 0, sizeof(state));

	for (int t = 1; t <= steps; t++)
	{
		fill_uniform(&rng, g, N, -1, 1);
		g[0] = 0.0f;			/* no gradient: m, v stay 0, no move */
		g[1] *= 1e-3f;			/* small, where epsilon matters */
		g[2] *= 100.0f;			/* large */
		nn_optimizer_step(NN_OPT_ADAM, &cfg, p, g, state, N, (uint64_t) t);
		for (int i = 0; i < N; i++)
		{
			double		mhat,
						vhat;

			m[i] = b1 * m[i] + (1.0 - b1) * g[i];
			v[i] = b2 * v[i] + (1.0 - b2) * (double) g[i] * g[i];
			mhat = m[i] / (1.0 - pow(b1, t));
			vhat = v[i] / (1.0 - pow(b2, t));
			pd[i] -= lr * mhat / (sqrt(vhat) + eps);
		}
		for (int i = 0; i < N; i++)
		{
			CHECK_MSG(harness_close(p[i], pd[i], 2e-6, 1e-5),
					  "eps %g step %d: p[%d] = %.9g, expected %.9g",
					  eps, t, i, p[i], pd[i]);
			CHECK_MSG(harness_close(state[i], m[i], 1e-7, 1e-5),
					  "step %d: m[%d] = %.9g, expected %.9g", t, i,
					  state[i], m[i]);
			CHECK_MSG(harness_close(state[N + i], v[i], 1e-9, 1e-4),
					  "step %d: v[%d] = %.9g, expected %.9g", t, i,
					  state[N + i], v[i]);
		}
	}
}

static void
test_adam_reference(void)
{
	adam_reference_case(0.001f, 0.9f, 0.999f, 1e-8f, 3, 1);
	adam_reference_case(0.01f, 0.9f, 0.999f, 1e-8f, 25, 2);
	adam_reference_case(0.05f, 0.8f, 0.99f, 0.05f, 10, 3);
	adam_reference_case(0.05f, 0.5f, 0.9f, 1e-3f, 10, 4);
}

/* the epsilon check above must actually be sensitive to its placement */
static void
test_adam_epsilon_matters(void)
{
	NNOptConfig cfg = {.learning_rate = 0.1f, .beta1 = 0.9f, .beta2 = 0.999f,
	.epsilon = 0.1f};
	float		p = 0.0f,
				g = 0.1f,
				state[2] = {0, 0};

	/* t=1: mhat = 0.1, sqrt(vhat) = 0.1: step = 0.1 * 0.1 / (0.1 + 0.1) */
	nn_optimizer_step(NN_OPT_ADAM, &cfg, &p, &g, state, 1, 1);
	CHECK_CLOSE(p, -0.05, 0, 1e-5);
}

int
main(void)
{
	RUN_TEST(test_names);
	RUN_TEST(test_sgd);
	RUN_TEST(test_adam_hand);
	RUN_TEST(test_adam_reference);
	RUN_TEST(test_adam_epsilon_matters);
	return harness_finish("test_optimizers");
}
