/*
 * test_rng.c - seeding, determinism, ranges and rough distributions of the
 * xoshiro256** generator.  Every test uses a fixed seed, so the statistical
 * checks are deterministic (their tolerances are still several standard
 * deviations wide, so that a change of stream does not make them flaky).
 */
#include "harness.h"
#include "rng.h"

/*
 * Known answers: splitmix64 seeding and the xoshiro256** stream, computed
 * independently from the reference algorithms.  Models store the RNG state
 * and continue the stream, so the stream itself must never change.
 */
static void
test_known_answers(void)
{
	static const uint64_t state0[4] = {
		UINT64_C(0xe220a8397b1dcdaf), UINT64_C(0x6e789e6aa1b965f4),
		UINT64_C(0x06c45d188009454f), UINT64_C(0xf88bb8a8724c81ec)
	};
	static const uint64_t out0[5] = {
		UINT64_C(0x99ec5f36cb75f2b4), UINT64_C(0xbf6e1f784956452a),
		UINT64_C(0x1a5f849d4933e6e0), UINT64_C(0x6aa594f1262d2d2c),
		UINT64_C(0xbba5ad4a1f842e59)
	};
	static const uint64_t out42[5] = {
		UINT64_C(0x15780b2e0c2ec716), UINT64_C(0x6104d9866d113a7e),
		UINT64_C(0xae17533239e499a1), UINT64_C(0xecb8ad4703b360a1),
		UINT64_C(0xfde6dc7fe2ec5e64)
	};
	NNRng		rng;

	nn_rng_seed(&rng, 0);
	for (int i = 0; i < 4; i++)
		CHECK_MSG(rng.s[i] == state0[i], "seed 0: s[%d] = %016llx", i,
				  (unsigned long long) rng.s[i]);
	for (int i = 0; i < 5; i++)
	{
		uint64_t	v = nn_rng_next(&rng);

		CHECK_MSG(v == out0[i], "seed 0: output %d = %016llx", i,
				  (unsigned long long) v);
	}
	nn_rng_seed(&rng, 42);
	for (int i = 0; i < 5; i++)
	{
		uint64_t	v = nn_rng_next(&rng);

		CHECK_MSG(v == out42[i], "seed 42: output %d = %016llx", i,
				  (unsigned long long) v);
	}
}

static void
test_determinism(void)
{
	NNRng		a,
				b,
				c;
	int			same_ab = 1,
				diff_ac = 0;

	nn_rng_seed(&a, 12345);
	nn_rng_seed(&b, 12345);
	nn_rng_seed(&c, 12346);
	for (int i = 0; i < 1000; i++)
	{
		uint64_t	va = nn_rng_next(&a);
		uint64_t	vb = nn_rng_next(&b);
		uint64_t	vc = nn_rng_next(&c);

		same_ab &= va == vb;
		diff_ac += va != vc;
	}
	CHECK_MSG(same_ab, "same seed gave different streams");
	CHECK_MSG(diff_ac >= 990, "adjacent seeds share %d of 1000 outputs",
			  1000 - diff_ac);

	/* copying the state continues the same stream (models store it) */
	b = a;
	for (int i = 0; i < 100; i++)
		CHECK(nn_rng_next(&a) == nn_rng_next(&b));

	/* reseeding restarts the stream */
	nn_rng_seed(&a, 7);
	{
		uint64_t	first = nn_rng_next(&a);

		nn_rng_seed(&a, 7);
		CHECK(nn_rng_next(&a) == first);
	}

	/* seed 0 must not give the all-zero (stuck) state */
	nn_rng_seed(&a, 0);
	CHECK((a.s[0] | a.s[1] | a.s[2] | a.s[3]) != 0);
	CHECK(nn_rng_next(&a) != 0 || nn_rng_next(&a) != 0);
}

static void
test_uniform(void)
{
	const int	n = 100000;
	NNRng		rng;
	double		sum = 0.0,
				sum2 = 0.0,
				min = 1.0,
				max = 0.0;
	int			in_range = 1;
	int			bins[10] = {0};

	nn_rng_seed(&rng, 2024);
	for (int i = 0; i < n; i++)
	{
		double		u = nn_rng_uniform(&rng);

		in_range &= u >= 0.0 && u < 1.0;
		sum += u;
		sum2 += u * u;
		min = fmin(min, u);
		max = fmax(max, u);
		if (u >= 0.0 && u < 1.0)
			bins[(int) (u * 10)]++;
	}
	CHECK_MSG(in_range, "uniform value outside [0, 1)");
	/* sd of the mean is 0.29/sqrt(n) ~ 0.0009 */
	CHECK_CLOSE(sum / n, 0.5, 0.005, 0);
	CHECK_CLOSE(sum2 / n - (sum / n) * (sum / n), 1.0 / 12.0, 0.003, 0);
	CHECK(min < 0.001);
	CHECK(max > 0.999);
	for (int b = 0; b < 10; b++)
		CHECK_MSG(abs(bins[b] - n / 10) < 600, "decile %d has %d of %d",
				  b, bins[b], n);

	/* the largest possible value is below 1 */
	CHECK((double) (UINT64_MAX >> 11) * (1.0 / 9007199254740992.0) < 1.0);
}

static void
test_below(void)
{
	static const uint64_t ns[] = {1, 2, 3, 7, 10, 1000,
		UINT64_C(0x8000000000000001), UINT64_MAX};
	NNRng		rng;
	int			counts[6] = {0};

	nn_rng_seed(&rng, 99);
	for (size_t k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
	{
		int			ok = 1;

		for (int i = 0; i < 2000; i++)
			ok &= nn_rng_below(&rng, ns[k]) < ns[k];
		CHECK_MSG(ok, "nn_rng_below(%llu) out of range",
				  (unsigned long long) ns[k]);
	}
	for (int i = 0; i < 100; i++)
		CHECK(nn_rng_below(&rng, 1) == 0);

	/* every value reached, about equally often */
	for (int i = 0; i < 60000; i++)
		counts[nn_rng_below(&rng, 6)]++;
	for (int v = 0; v < 6; v++)
		CHECK_MSG(abs(counts[v] - 10000) < 500, "value %d drawn %d times",
				  v, counts[v]);

	/*
	 * The rejection itself: a range just above 2^63 takes the first raw
	 * draw below it (every draw at or above is the top partial range),
	 * never one folded down by the modulo.
	 */
	{
		uint64_t	n = UINT64_C(0x8000000000000001);
		NNRng		copy = rng;
		int			same = 1;

		for (int i = 0; i < 200; i++)
		{
			uint64_t	r;

			do
				r = nn_rng_next(&copy);
			while (r >= n);
			same &= nn_rng_below(&rng, n) == r;
		}
		CHECK_MSG(same, "nn_rng_below(2^63 + 1) kept a draw it must reject");
	}

	/* a range just above 2^63 rejects half of the raw draws; still fine */
	{
		uint64_t	n = UINT64_C(0x8000000000000001);
		int			high = 0;

		for (int i = 0; i < 10000; i++)
			high += nn_rng_below(&rng, n) >= n / 2;
		CHECK_MSG(abs(high - 5000) < 400, "%d of 10000 in the top half", high);
	}
}

static void
test_shuffle(void)
{
	const uint32_t N = 1000;
	uint32_t   *idx = xcalloc(N, sizeof(uint32_t));
	uint32_t   *idx2 = xcalloc(N, sizeof(uint32_t));
	int		   *seen = xcalloc(N, sizeof(int));
	NNRng		rng,
				rng2;
	int			fixed = 0,
				perm = 1;

	for (uint32_t i = 0; i < N; i++)
		idx[i] = idx2[i] = i;
	nn_rng_seed(&rng, 5);
	nn_rng_seed(&rng2, 5);
	nn_rng_shuffle(&rng, idx, N);
	nn_rng_shuffle(&rng2, idx2, N);
	for (uint32_t i = 0; i < N; i++)
	{
		if (idx[i] < N)
			seen[idx[i]]++;
		fixed += idx[i] == i;
	}
	for (uint32_t i = 0; i < N; i++)
		perm &= seen[i] == 1;
	CHECK_MSG(perm, "shuffle is not a permutation");
	/* a random permutation has about 1 fixed point */
	CHECK_MSG(fixed < 10, "%d fixed points: not shuffled", fixed);
	CHECK(memcmp(idx, idx2, N * sizeof(uint32_t)) == 0);

	/* first position is uniform over all 5 values */
	{
		int			first[5] = {0};

		for (int t = 0; t < 50000; t++)
		{
			uint32_t	small[5] = {0, 1, 2, 3, 4};

			nn_rng_shuffle(&rng, small, 5);
			first[small[0]]++;
		}
		for (int v = 0; v < 5; v++)
			CHECK_MSG(abs(first[v] - 10000) < 500, "%d first %d times",
					  v, first[v]);
	}

	/* degenerate sizes */
	{
		uint32_t	one = 42;

		nn_rng_shuffle(&rng, NULL, 0);
		nn_rng_shuffle(&rng, &one, 1);
		CHECK(one == 42);
	}
	free(idx);
	free(idx2);
	free(seen);
}

static void
test_normal(void)
{
	const int	n = 100000;
	NNRng		rng;
	double		sum = 0.0,
				sum2 = 0.0,
				sum4 = 0.0;
	int			within1 = 0,
				finite = 1;

	nn_rng_seed(&rng, 31337);
	for (int i = 0; i < n; i++)
	{
		double		x = nn_rng_normal(&rng);

		finite &= isfinite(x);
		sum += x;
		sum2 += x * x;
		sum4 += x * x * x * x;
		within1 += fabs(x) < 1.0;
	}
	CHECK(finite);
	/* sd of the mean 0.003, of the variance 0.0045 */
	CHECK_CLOSE(sum / n, 0.0, 0.02, 0);
	CHECK_CLOSE(sum2 / n, 1.0, 0.03, 0);
	/* kurtosis 3, P(|x| < 1) = 0.6827 */
	CHECK_CLOSE(sum4 / n, 3.0, 0.15, 0);
	CHECK_CLOSE((double) within1 / n, 0.6827, 0.01, 0);
}

/*
 * Known answers of the normal stream (Box-Muller over the uniform one),
 * computed independently: initial weights are drawn from it, so a seed
 * must give the same network in every version.
 */
static void
test_normal_known_answers(void)
{
	static const double expected[6] = {
		0.06788824651552398, 0.20780665233422843, 0.05552889597059467,
		-0.044076569063412556, 1.2115954287092918, 1.451738942441609
	};
	NNRng		rng;

	nn_rng_seed(&rng, 2024);
	for (int i = 0; i < 6; i++)
	{
		double		v = nn_rng_normal(&rng);

		CHECK_MSG(harness_close(v, expected[i], 0, 1e-12),
				  "seed 2024: normal %d = %.17g, expected %.17g", i, v, expected[i]);
	}
}

int
main(void)
{
	RUN_TEST(test_known_answers);
	RUN_TEST(test_determinism);
	RUN_TEST(test_uniform);
	RUN_TEST(test_below);
	RUN_TEST(test_shuffle);
	RUN_TEST(test_normal);
	RUN_TEST(test_normal_known_answers);
	return harness_finish("test_rng");
}
