/*
 * test_activations.c - forward values at hand-picked points, softmax
 * normalization and stability, and a finite-difference check of
 * nn_activation_backward.
 */
#include "activations.h"
#include "harness.h"

/* apply act to a single value through the kernel */
static float
act1(NNActivation act, float z)
{
	nn_activation_forward(act, &z, 1, 1);
	return z;
}

static void
test_names(void)
{
	for (int a = 0; a < NN_ACT_COUNT; a++)
		CHECK_EQ_INT(nn_activation_from_name(nn_activation_name((NNActivation) a)), a);
	CHECK(strcmp(nn_activation_name(NN_ACT_LEAKY_RELU), "leaky_relu") == 0);
	CHECK(strcmp(nn_activation_name(NN_ACT_SOFTMAX), "softmax") == 0);
	CHECK_EQ_INT(nn_activation_from_name("Sigmoid"), -1);
	CHECK_EQ_INT(nn_activation_from_name(""), -1);
	CHECK(strcmp(nn_activation_name(NN_ACT_COUNT), "unknown") == 0);
}

static void
test_identity(void)
{
	float		z[4] = {-3.5f, 0.0f, 1e-30f, 7.25f};
	float		orig[4];

	memcpy(orig, z, sizeof(z));
	nn_activation_forward(NN_ACT_IDENTITY, z, 2, 2);
	CHECK(memcmp(z, orig, sizeof(z)) == 0);
}

static void
test_sigmoid(void)
{
	CHECK_CLOSE(act1(NN_ACT_SIGMOID, 0.0f), 0.5, 0, 1e-7);
	CHECK_CLOSE(act1(NN_ACT_SIGMOID, 2.0f), 0.8807970779778823, 0, 1e-6);
	CHECK_CLOSE(act1(NN_ACT_SIGMOID, -2.0f), 0.11920292202211755, 0, 1e-6);
	CHECK_CLOSE(act1(NN_ACT_SIGMOID, 0.5f), 0.6224593312018546, 0, 1e-6);
	CHECK_CLOSE(act1(NN_ACT_SIGMOID, -20.0f), 2.0611536181902037e-09, 0, 1e-5);
	/* saturates without overflow or NaN on either side */
	CHECK(act1(NN_ACT_SIGMOID, 1000.0f) == 1.0f);
	CHECK(act1(NN_ACT_SIGMOID, -1000.0f) == 0.0f);
	CHECK(act1(NN_ACT_SIGMOID, 90.0f) == 1.0f);
	CHECK(act1(NN_ACT_SIGMOID, -90.0f) >= 0.0f);
	CHECK(act1(NN_ACT_SIGMOID, -90.0f) < 1e-38f);
	/* symmetry s(-z) = 1 - s(z) */
	CHECK_CLOSE(act1(NN_ACT_SIGMOID, -1.3f), 1.0 - act1(NN_ACT_SIGMOID, 1.3f),
				1e-7, 0);
}

static void
test_tanh(void)
{
	CHECK(act1(NN_ACT_TANH, 0.0f) == 0.0f);
	CHECK_CLOSE(act1(NN_ACT_TANH, 1.0f), 0.7615941559557649, 0, 1e-6);
	CHECK_CLOSE(act1(NN_ACT_TANH, -0.5f), -0.46211715726000974, 0, 1e-6);
	CHECK(act1(NN_ACT_TANH, 50.0f) == 1.0f);
	CHECK(act1(NN_ACT_TANH, -1000.0f) == -1.0f);
}

static void
test_relu(void)
{
	float		z[10] = {-2.0f, -1e-20f, 0.0f, 1e-20f, 2.5f, 1000.0f,
		3e38f, INFINITY, -INFINITY, NAN};
	float		e[10] = {0.0f, 0.0f, 0.0f, 1e-20f, 2.5f, 1000.0f,
		3e38f, INFINITY, 0.0f, 0.0f};

	/* the ends of the bit trick's range: +inf passes, -inf and NaN give 0 */
	nn_activation_forward(NN_ACT_RELU, z, 5, 2);
	for (int i = 0; i < 10; i++)
		CHECK_MSG(z[i] == e[i], "relu[%d] = %g, expected %g", i, z[i], e[i]);
}

static void
test_leaky_relu(void)
{
	float		z[5] = {-2.0f, -100.0f, 0.0f, 0.5f, 3.0f};
	double		e[5] = {-0.02, -1.0, 0.0, 0.5, 3.0};

	CHECK(NN_LEAKY_SLOPE == 0.01f);
	nn_activation_forward(NN_ACT_LEAKY_RELU, z, 1, 5);
	for (int i = 0; i < 5; i++)
		CHECK_CLOSE(z[i], e[i], 0, 1e-6);
}

static void
test_softmax(void)
{
	/* rows: plain, large, large negative, wide spread, all equal */
	float		z[5][3] = {
		{1.0f, 2.0f, 3.0f},
		{1000.0f, 1001.0f, 1000.0f},
		{-1000.0f, -1001.0f, -1002.0f},
		{0.0f, 200.0f, -200.0f},
		{4.0f, 4.0f, 4.0f},
	};
	const double e0[3] = {0.09003057317038046, 0.24472847105479764,
	0.6652409557748219};
	const double e1[3] = {0.21194155761708544, 0.5761168847658291,
	0.21194155761708544};
	const double e2[3] = {0.6652409557748219, 0.24472847105479764,
	0.09003057317038046};

	nn_activation_forward(NN_ACT_SOFTMAX, &z[0][0], 5, 3);
	for (int r = 0; r < 5; r++)
	{
		double		sum = 0.0;

		for (int c = 0; c < 3; c++)
		{
			CHECK_MSG(isfinite(z[r][c]) && z[r][c] >= 0.0f && z[r][c] <= 1.0f,
					  "softmax[%d][%d] = %g", r, c, z[r][c]);
			sum += z[r][c];
		}
		CHECK_CLOSE(sum, 1.0, 1e-6, 0);
	}
	for (int c = 0; c < 3; c++)
	{
		CHECK_CLOSE(z[0][c], e0[c], 0, 1e-6);
		CHECK_CLOSE(z[1][c], e1[c], 0, 1e-6);
		CHECK_CLOSE(z[2][c], e2[c], 0, 1e-6);
		CHECK_CLOSE(z[4][c], 1.0 / 3.0, 0, 1e-6);
	}
	CHECK(z[3][1] == 1.0f);
	CHECK(z[3][0] < 1e-30f);

	/* the (1000, 1001) pair from the spec, and a single column */
	{
		float		p[2] = {1000.0f, 1001.0f};
		float		one[3] = {5.0f, -7.0f, 1e30f};

		nn_activation_forward(NN_ACT_SOFTMAX, p, 1, 2);
		CHECK_CLOSE(p[0], 0.2689414213699951, 0, 1e-6);
		CHECK_CLOSE(p[1], 0.7310585786300049, 0, 1e-6);
		nn_activation_forward(NN_ACT_SOFTMAX, one, 3, 1);
		for (int i = 0; i < 3; i++)
			CHECK(one[i] == 1.0f);
	}
}

/*
 * Finite differences: for random z (kept away from the kink at 0 for the
 * rectifiers) and a random upstream gradient r, nn_activation_backward(y, r)
 * must equal r * (f(z + h) - f(z - h)) / (2h), with f the kernel's own
 * forward.  The step is taken on the float grid and divided by the actual
 * float difference.
 */
static void
fd_check(NNActivation act)
{
	const int	n = 64;
	const float h = 1e-2f;
	float		z[64],
				y[64],
				g[64];
	double		analytic[64],
				numeric[64];
	NNRng		rng;
	char		what[64];

	nn_rng_seed(&rng, 1000 + act);
	for (int i = 0; i < n; i++)
	{
		/* |z| in [0.1, 3], both signs */
		float		mag = (float) (0.1 + 2.9 * nn_rng_uniform(&rng));

		z[i] = (i % 2) ? mag : -mag;
		g[i] = (float) (nn_rng_uniform(&rng) * 2.0 - 1.0);
		if (fabsf(g[i]) < 0.1f)
			g[i] = 0.5f;
	}
	memcpy(y, z, sizeof(z));
	nn_activation_forward(act, y, 8, 8);
	for (int i = 0; i < n; i++)
	{
		float		zp = z[i] + h;
		float		zm = z[i] - h;

		numeric[i] = g[i] * ((double) act1(act, zp) - act1(act, zm)) /
			((double) zp - zm);
	}
	nn_activation_backward(act, y, g, n);
	for (int i = 0; i < n; i++)
		analytic[i] = g[i];
	snprintf(what, sizeof(what), "d%s", nn_activation_name(act));
	CHECK_GRAD(what, analytic, numeric, n, 5e-5, 2e-3, 0.1);
}

static void
test_backward_identity(void)
{
	fd_check(NN_ACT_IDENTITY);
}

static void
test_backward_sigmoid(void)
{
	fd_check(NN_ACT_SIGMOID);
}

static void
test_backward_tanh(void)
{
	fd_check(NN_ACT_TANH);
}

static void
test_backward_relu(void)
{
	fd_check(NN_ACT_RELU);
}

static void
test_backward_leaky_relu(void)
{
	fd_check(NN_ACT_LEAKY_RELU);
}

/* exact derivatives at a few points, including the saturated regions */
static void
test_backward_values(void)
{
	float		y[3],
				g[3];

	/* sigmoid: y (1 - y); at z = 0 the slope is 1/4 */
	y[0] = 0.5f;
	y[1] = 1.0f;
	y[2] = 0.0f;
	g[0] = g[1] = g[2] = 2.0f;
	nn_activation_backward(NN_ACT_SIGMOID, y, g, 3);
	CHECK(g[0] == 0.5f);
	CHECK(g[1] == 0.0f);
	CHECK(g[2] == 0.0f);

	/* tanh: 1 - y^2 */
	y[0] = 0.0f;
	y[1] = 0.5f;
	y[2] = -1.0f;
	g[0] = g[1] = g[2] = -3.0f;
	nn_activation_backward(NN_ACT_TANH, y, g, 3);
	CHECK(g[0] == -3.0f);
	CHECK(g[1] == -2.25f);
	CHECK(g[2] == 0.0f);

	/* relu: gradient passes where y > 0 and is cut elsewhere (0 included) */
	y[0] = 2.0f;
	y[1] = 0.0f;
	y[2] = 1e-30f;
	g[0] = g[1] = g[2] = 1.5f;
	nn_activation_backward(NN_ACT_RELU, y, g, 3);
	CHECK(g[0] == 1.5f);
	CHECK(g[1] == 0.0f);
	CHECK(g[2] == 1.5f);

	/* leaky: slope 1 where y > 0, else 0.01 */
	y[0] = 2.0f;
	y[1] = -0.02f;
	y[2] = 0.0f;
	g[0] = g[1] = g[2] = 4.0f;
	nn_activation_backward(NN_ACT_LEAKY_RELU, y, g, 3);
	CHECK(g[0] == 4.0f);
	CHECK_CLOSE(g[1], 0.04, 0, 1e-6);
	CHECK_CLOSE(g[2], 0.04, 0, 1e-6);

	/* identity leaves the gradient alone */
	g[0] = 1.0f;
	g[1] = -2.0f;
	g[2] = 3.0f;
	nn_activation_backward(NN_ACT_IDENTITY, y, g, 3);
	CHECK(g[0] == 1.0f && g[1] == -2.0f && g[2] == 3.0f);
}

int
main(void)
{
	RUN_TEST(test_names);
	RUN_TEST(test_identity);
	RUN_TEST(test_sigmoid);
	RUN_TEST(test_tanh);
	RUN_TEST(test_relu);
	RUN_TEST(test_leaky_relu);
	RUN_TEST(test_softmax);
	RUN_TEST(test_backward_identity);
	RUN_TEST(test_backward_sigmoid);
	RUN_TEST(test_backward_tanh);
	RUN_TEST(test_backward_relu);
	RUN_TEST(test_backward_leaky_relu);
	RUN_TEST(test_backward_values);
	return harness_finish("test_activations");
}
