/*
 * rng.h - seeded pseudo-random numbers (xoshiro256**) for initialization,
 * shuffling and dropout.  The whole state is four words so it can be stored
 * in a model and a later run can continue the same stream.
 */
#ifndef NN_RNG_H
#define NN_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct NNRng
{
	uint64_t	s[4];
} NNRng;

void		nn_rng_seed(NNRng *rng, uint64_t seed);
uint64_t	nn_rng_next(NNRng *rng);
/* uniform in [0, 1) */
double		nn_rng_uniform(NNRng *rng);
/* standard normal */
double		nn_rng_normal(NNRng *rng);
/* uniform integer in [0, n) without modulo bias */
uint64_t	nn_rng_below(NNRng *rng, uint64_t n);
/* Fisher-Yates shuffle of idx[0..n) */
void		nn_rng_shuffle(NNRng *rng, uint32_t *idx, size_t n);

#endif
