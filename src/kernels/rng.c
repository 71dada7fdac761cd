/*
 * rng.c - xoshiro256** seeded through splitmix64, so that any 64-bit seed
 * (0 included) gives a well-mixed state.
 */
#include <math.h>

#include "rng.h"

/* M_PI is POSIX, not ISO C: strict -std=c11 builds do not declare it */
#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

static uint64_t
SplitMix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static inline uint64_t
Rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

void
nn_rng_seed(NNRng *rng, uint64_t seed)
{
	uint64_t	x = seed;

	for (int i = 0; i < 4; i++)
		rng->s[i] = SplitMix64(&x);
}

uint64_t
nn_rng_next(NNRng *rng)
{
	uint64_t   *s = rng->s;
	uint64_t	result = Rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = Rotl(s[3], 45);
	return result;
}

double
nn_rng_uniform(NNRng *rng)
{
	/* 53 random bits give every double in [0, 1) on a 2^-53 grid */
	return (double) (nn_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

double
nn_rng_normal(NNRng *rng)
{
	/* Box-Muller; 1 - u keeps the logarithm's argument in (0, 1] */
	double		u1 = 1.0 - nn_rng_uniform(rng);
	double		u2 = nn_rng_uniform(rng);

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t
nn_rng_below(NNRng *rng, uint64_t n)
{
	/* reject the top partial range so every value is equally likely */
	uint64_t	limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t	r;

	do
		r = nn_rng_next(rng);
	while (r >= limit);
	return r % n;
}

void
nn_rng_shuffle(NNRng *rng, uint32_t *idx, size_t n)
{
	for (size_t i = n; i > 1; i--)
	{
		size_t		j = (size_t) nn_rng_below(rng, i);
		uint32_t	tmp = idx[i - 1];

		idx[i - 1] = idx[j];
		idx[j] = tmp;
	}
}
