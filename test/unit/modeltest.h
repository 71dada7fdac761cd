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

#endif
