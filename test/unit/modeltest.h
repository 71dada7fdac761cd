/*
 * modeltest.h - what the model-format tests (test_model.c,
 * test_model_conv.c, test_model_recurrent.c) share: an arena that frees
 * every allocation of a test at its end (ASan checks for leaks), writing a
 * checked model, reading one and expecting an outcome and a reason, and a
 * round trip that must give back every layer and the same bytes.
 */
#ifndef NN_MODELTEST_H
#define NN_MODELTEST_H

#include "harness.h"
#include "formats/model.h"
#include "testnet.h"

#define ARENA_MAX 4096
static void *arena[ARENA_MAX];
static int	arena_used;

static inline void *
ArenaAlloc(void *ctx, size_t size)
{
	(void) ctx;
	if (arena_used == ARENA_MAX)
		abort();
	return arena[arena_used++] = calloc(1, size);
}

static const NNAllocator arena_alloc = {ArenaAlloc, NULL};

static inline void
ArenaFree(void)
{
	while (arena_used > 0)
		free(arena[--arena_used]);
}

/* the model's bytes, in the arena; it must pass nn_model_check */
static inline uint8_t *
Write(const NNModel *m, size_t *len)
{
	char		err[256];
	uint8_t    *buf;

	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "check: %s", err);
	*len = nn_model_size(m);
	buf = ArenaAlloc(NULL, *len);
	nn_model_write(m, buf);
	return buf;
}

/* reading buf gives want, with why in the message */
static inline void
ReadGives(const uint8_t *buf, size_t len, NNModelError want, const char *why,
		  const char *what)
{
	NNModel		back;
	char		err[256] = "";
	NNModelError rc = nn_model_read(buf, len, &back, &arena_alloc, err, sizeof(err));

	CHECK_MSG(rc == want && strstr(err, why) != NULL,
			  "%s: expected %d \"%s\", got %d \"%s\"", what, (int) want, why, (int) rc, err);
}

static inline uint32_t
U32At(const uint8_t *b)
{
	return (uint32_t) b[0] | (uint32_t) b[1] << 8 | (uint32_t) b[2] << 16 | (uint32_t) b[3] << 24;
}

/*
 * A version 3 model read back: every layer, shape and parameter equal,
 * written again byte for byte.
 */
static inline void
CheckRoundTrip(const NNModel *m, const char *what)
{
	NNModel		back;
	char		err[256];
	size_t		len,
				len2;
	uint8_t    *buf = Write(m, &len);
	uint8_t    *again;

	CHECK_EQ_INT(U32At(buf + 4), 3);
	if (!CHECK_MSG(nn_model_read(buf, len, &back, &arena_alloc, err, sizeof(err)) == NN_MODEL_OK,
				   "%s: %s", what, err))
		return;
	CHECK_EQ_INT(back.net.n_layers, m->net.n_layers);
	for (uint32_t l = 0; l < m->net.n_layers; l++)
		CHECK_MSG(back.net.layers[l].kind == m->net.layers[l].kind &&
				  memcmp(&back.net.layers[l].settings, &m->net.layers[l].settings,
						 sizeof(NNLayerSettings)) == 0,
				  "%s: layer %u differs", what, l);
	CHECK(memcmp(back.net.shapes, m->net.shapes, sizeof(m->net.shapes)) == 0);
	CHECK_EQ_INT(back.net.n_params, m->net.n_params);
	CHECK(memcmp(back.net.params, m->net.params, m->net.n_params * sizeof(float)) == 0);
	again = Write(&back, &len2);
	CHECK_MSG(len2 == len && memcmp(again, buf, len) == 0, "%s: bytes differ", what);
}

/*
 * A version 3 test model's network, its layers and input shape set, made
 * whole: trained with cross entropy (its last layer softmax over 2
 * classes "a" and "b"), laid out, seeded from seed, one feature column
 * "x" of every input.
 */
static inline void
FinishModel(NNModel *m, uint64_t seed)
{
	static char *classes[] = {"a", "b"};
	static char *names[] = {"x"};
	static uint32_t widths[1];
	NNNet	   *net = &m->net;
	NNRng		rng;

	set_training(net, NN_LOSS_CROSS_ENTROPY);
	net->opt.epsilon = 1e-8f;
	CHECK(nn_net_layout(net) == NULL);
	net->params = ArenaAlloc(NULL, net->n_params * sizeof(float));
	net->stats = ArenaAlloc(NULL, 1);
	net->opt_state = ArenaAlloc(NULL, 1);
	nn_rng_seed(&rng, seed);
	nn_net_init_params(net, NN_INIT_AUTO, &rng);
	widths[0] = nn_net_inputs(net);
	m->task = NN_TASK_CLASSIFICATION;
	m->y_std = 1.0f;
	m->n_classes = 2;
	m->classes = classes;
	m->n_features = 1;
	m->feature_names = names;
	m->feature_widths = widths;
	m->target_name = "label";
	m->options_json = "{}";
}

/*
 * A dense network over a shaped input (m) keeps its shape: version 3;
 * over a vector of as many inputs, version 1.
 */
static inline void
CheckShapedDense(NNModel *m, const char *what)
{
	CHECK_EQ_INT(nn_model_format_version(m), 3);
	CheckRoundTrip(m, what);
	m->net.shapes[0] = nn_shape_vector(nn_net_inputs(&m->net));
	CHECK(nn_net_layout(&m->net) == NULL);
	CHECK_EQ_INT(nn_model_format_version(m), 1);
}

/* one damaged byte and what reading the model must say */
typedef struct Damage
{
	size_t		at;
	uint8_t		value;
	NNModelError rc;
	const char *why;
} Damage;

/* each damage of buf refused (or not) as it says, the byte restored after */
static inline void
CheckDamages(uint8_t *buf, size_t len, const Damage *damage, size_t n)
{
	for (size_t i = 0; i < n; i++)
	{
		uint8_t		keep = buf[damage[i].at];
		char		what[32];

		snprintf(what, sizeof(what), "byte %zu = %d", damage[i].at, damage[i].value);
		buf[damage[i].at] = damage[i].value;
		ReadGives(buf, len, damage[i].rc, damage[i].why, what);
		buf[damage[i].at] = keep;
	}
}

/*
 * A copy of the version 3 model buf with its input of that rank made a
 * vector of as many inputs (the rank and the first size replaced, the
 * other sizes cut); its length in *out_len.
 */
static inline uint8_t *
FlattenInput(const uint8_t *buf, size_t len, uint32_t rank, size_t *out_len)
{
	uint32_t	inputs = 1;
	uint8_t    *flat = ArenaAlloc(NULL, len);
	size_t		cut = 4 * (size_t) (rank - 1);

	for (uint32_t i = 0; i < rank; i++)
		inputs *= U32At(buf + 24 + 4 * i);
	memcpy(flat, buf, 20);
	memcpy(flat + 20, (const uint8_t[]) {1, 0, 0, 0, inputs & 0xff, inputs >> 8 & 0xff,
	inputs >> 16 & 0xff, inputs >> 24}, 8);
	memcpy(flat + 28, buf + 28 + cut, len - 28 - cut);
	*out_len = len - cut;
	return flat;
}

#endif
