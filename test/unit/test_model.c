/*
 * test_model.c - the model byte format of src/model.c: which version the
 * writer picks, round trips of format 2 (categories, impute values), the
 * category lookup, the reader's checks of the version 2 fields, and the
 * scoring reader that leaves the optimizer state out.
 */
#include "harness.h"
#include "model.h"

/* every allocation of a test, freed at its end (ASan checks for leaks) */
#define ARENA_MAX 4096
static void *arena[ARENA_MAX];
static int	arena_used;

static void *
ArenaAlloc(void *ctx, size_t size)
{
	(void) ctx;
	if (arena_used == ARENA_MAX)
		abort();
	return arena[arena_used++] = calloc(1, size);
}

static const NNAllocator arena_alloc = {ArenaAlloc, NULL};

static void
ArenaFree(void)
{
	while (arena_used > 0)
		free(arena[--arena_used]);
}

static char *colors[] = {"blue", "green", "red"};
static char *names[] = {"color", "size"};
static uint32_t widths[] = {3, 1};
static uint8_t kinds[] = {NN_FEATURE_CATEGORICAL, NN_FEATURE_NUMERIC};
static char *classes[] = {"no", "yes"};

/* 4 inputs (color one-hot, size) -> 2 classes, sgd, no training yet */
static void
BuildModel(NNModel *m, bool categorical, NNImpute impute)
{
	NNNet	   *net = &m->net;
	NNRng		rng;

	memset(m, 0, sizeof(*m));
	net->n_layers = 1;
	net->widths[0] = 4;
	net->widths[1] = 2;
	net->act[0] = NN_ACT_SOFTMAX;
	net->loss.kind = NN_LOSS_CROSS_ENTROPY;
	net->loss.huber_delta = 1.0f;
	net->optimizer = NN_OPT_SGD;
	net->opt.learning_rate = 0.1f;
	net->opt.epsilon = 1e-8f;
	net->batch_size = 8;
	net->lr_factor = 1.0f;
	CHECK(nn_net_layout(net) == NULL);
	net->params = ArenaAlloc(NULL, net->n_params * sizeof(float));
	net->stats = ArenaAlloc(NULL, 1);
	net->opt_state = ArenaAlloc(NULL, 1);
	nn_rng_seed(&rng, 7);
	nn_net_init_params(net, NN_INIT_XAVIER, &rng);
	m->task = NN_TASK_CLASSIFICATION;
	m->y_std = 1.0f;
	m->n_classes = 2;
	m->classes = classes;
	m->n_features = 2;
	m->feature_names = names;
	m->feature_widths = widths;
	m->target_name = "bought";
	m->options_json = "{}";
	if (categorical)
	{
		char	 ***cats = ArenaAlloc(NULL, 2 * sizeof(char **));

		cats[0] = colors;
		m->feature_kinds = kinds;
		m->categories = cats;
	}
	m->impute = (uint8_t) impute;
	if (impute == NN_IMPUTE_MEAN || impute == NN_IMPUTE_ZERO)
	{
		m->fill = ArenaAlloc(NULL, 4 * sizeof(float));
		m->fill[3] = impute == NN_IMPUTE_MEAN ? 2.5f : 0.0f;
	}
}

static uint8_t *
Write(const NNModel *m, size_t *len)
{
	char		err[256];

	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "check: %s", err);
	*len = nn_model_size(m);
	{
		uint8_t    *buf = ArenaAlloc(NULL, *len);

		nn_model_write(m, buf);
		return buf;
	}
}

static NNModelError
Read(const uint8_t *buf, size_t len, NNModel *out, char *err)
{
	return nn_model_read(buf, len, out, &arena_alloc, err, 256);
}

static void
test_plain_model_stays_version_1(void)
{
	NNModel		m,
				back;
	size_t		len;
	uint8_t    *buf;
	char		err[256];

	BuildModel(&m, false, NN_IMPUTE_SKIP);
	buf = Write(&m, &len);
	CHECK_EQ_INT(buf[4], 1);
	CHECK_EQ_INT(nn_model_format_version(&m), 1);
	CHECK_MSG(Read(buf, len, &back, err) == NN_MODEL_OK, "read: %s", err);
	CHECK(back.feature_kinds == NULL && back.fill == NULL && back.impute == NN_IMPUTE_SKIP);
	CHECK_EQ_INT(nn_model_feature_kind(&back, 0), NN_FEATURE_NUMERIC);
	ArenaFree();
}

static void
test_version_2_round_trip(void)
{
	NNModel		m,
				back;
	size_t		len,
				len2;
	uint8_t    *buf,
			   *again;
	char		err[256];

	BuildModel(&m, true, NN_IMPUTE_MEAN);
	buf = Write(&m, &len);
	CHECK_EQ_INT(buf[4], 2);
	CHECK_MSG(Read(buf, len, &back, err) == NN_MODEL_OK, "read: %s", err);
	CHECK_EQ_INT(back.impute, NN_IMPUTE_MEAN);
	CHECK_EQ_INT(nn_model_feature_kind(&back, 0), NN_FEATURE_CATEGORICAL);
	CHECK_EQ_INT(nn_model_feature_kind(&back, 1), NN_FEATURE_NUMERIC);
	for (int c = 0; c < 3; c++)
		CHECK(strcmp(back.categories[0][c], colors[c]) == 0);
	CHECK(back.categories[1] == NULL);
	CHECK_CLOSE(back.fill[3], 2.5, 0, 0);
	CHECK_EQ_INT(nn_model_feature_offset(&back, 1), 3);
	again = Write(&back, &len2);
	CHECK(len2 == len && memcmp(buf, again, len) == 0);
	ArenaFree();
}

static void
test_impute_alone_needs_version_2(void)
{
	NNModel		m;
	size_t		len;

	BuildModel(&m, false, NN_IMPUTE_ERROR);
	CHECK_EQ_INT(Write(&m, &len)[4], 2);
	ArenaFree();
}

static void
test_category_lookup(void)
{
	NNModel		m;
	static char *mixed[] = {"", "B", "a", "ab", "b"};	/* byte order */
	char	 ***cats;

	BuildModel(&m, true, NN_IMPUTE_SKIP);
	CHECK_EQ_INT(nn_model_category(&m, 0, "blue"), 0);
	CHECK_EQ_INT(nn_model_category(&m, 0, "red"), 2);
	CHECK_EQ_INT(nn_model_category(&m, 0, "Red"), -1);
	CHECK_EQ_INT(nn_model_category(&m, 0, "zzz"), -1);
	CHECK_EQ_INT(nn_model_category(&m, 0, ""), -1);
	cats = m.categories;
	cats[0] = mixed;
	widths[0] = 5;
	for (int c = 0; c < 5; c++)
		CHECK_EQ_INT(nn_model_category(&m, 0, mixed[c]), c);
	CHECK_EQ_INT(nn_model_category(&m, 0, "aa"), -1);
	widths[0] = 3;
	ArenaFree();
}

static void
test_check_rejects_bad_encodings(void)
{
	NNModel		m;
	char		err[256];
	static char *unsorted[] = {"green", "blue", "red"};
	static char *duplicate[] = {"blue", "blue", "red"};

	BuildModel(&m, true, NN_IMPUTE_MEAN);
	m.categories[0] = unsorted;
	CHECK(nn_model_check(&m, err, sizeof(err)) == NN_MODEL_CORRUPT);
	m.categories[0] = duplicate;
	CHECK(nn_model_check(&m, err, sizeof(err)) == NN_MODEL_CORRUPT);
	m.categories[0] = colors;
	m.fill[0] = NAN;
	CHECK(nn_model_check(&m, err, sizeof(err)) == NN_MODEL_CORRUPT);
	m.fill[0] = 0;
	m.impute = NN_IMPUTE_COUNT;
	CHECK(nn_model_check(&m, err, sizeof(err)) == NN_MODEL_CORRUPT);
	ArenaFree();
}

/* the byte of the first feature kind: after options_json in a v2 model */
static size_t
KindOffset(const uint8_t *buf, size_t len)
{
	static const char opts[] = "{}";

	for (size_t i = 0; i + 2 < len; i++)
		if (memcmp(buf + i, opts, 2) == 0 && buf[i - 4] == 2 && buf[i - 3] == 0)
			return i + 2 + 1;	/* past the options text and the impute byte */
	return 0;
}

static void
test_reader_rejects_damaged_version_2(void)
{
	NNModel		m,
				back;
	size_t		len,
				k;
	uint8_t    *buf;
	char		err[256];
	int			rejected = 0;

	BuildModel(&m, true, NN_IMPUTE_MEAN);
	buf = Write(&m, &len);
	k = KindOffset(buf, len);
	CHECK(k > 0 && buf[k] == NN_FEATURE_CATEGORICAL && buf[k - 1] == NN_IMPUTE_MEAN);
	buf[k] = 2;
	CHECK(Read(buf, len, &back, err) == NN_MODEL_CORRUPT);
	buf[k] = NN_FEATURE_CATEGORICAL;
	buf[k - 1] = NN_IMPUTE_COUNT;
	CHECK(Read(buf, len, &back, err) == NN_MODEL_CORRUPT);
	buf[k - 1] = NN_IMPUTE_MEAN;
	CHECK(Read(buf, len, &back, err) == NN_MODEL_OK);
	/* "blue" (after the two kind bytes and its length) becomes "zlue": unsorted */
	CHECK(buf[k + 6] == 'b');
	buf[k + 6] = 'z';
	CHECK(Read(buf, len, &back, err) == NN_MODEL_CORRUPT);
	buf[k + 6] = 'b';
	for (size_t n = 0; n < len; n++)
		rejected += Read(buf, n, &back, err) != NN_MODEL_OK;
	CHECK_EQ_INT(rejected, (long long) len);
	buf[4] = 3;
	CHECK(Read(buf, len, &back, err) == NN_MODEL_CORRUPT);
	ArenaFree();
}

/*
 * The scoring reader: an Adam model's state is its last 2 x n_params
 * floats; the header alone gives that size, and the bytes before it read
 * with the same parameters, into a model nn_model_check refuses.  Whole
 * bytes or a byte less are errors (trailing bytes, truncated), as is a
 * buffer shorter than the header.
 */
static void
test_read_without_state(void)
{
	NNModel		m,
				back;
	size_t		len;
	uint8_t    *buf;
	char		err[256];
	int64_t		state;

	BuildModel(&m, true, NN_IMPUTE_MEAN);
	m.net.optimizer = NN_OPT_ADAM;
	m.net.opt.beta1 = 0.9f;
	m.net.opt.beta2 = 0.999f;
	m.net.opt_state = ArenaAlloc(NULL, nn_net_state_floats(&m.net) * sizeof(float));
	for (size_t i = 0; i < nn_net_state_floats(&m.net); i++)
		m.net.opt_state[i] = 0.25f;
	buf = Write(&m, &len);
	state = nn_model_state_bytes(buf, len);
	CHECK_EQ_INT(state, (int64_t) (2 * m.net.n_params * sizeof(float)));
	CHECK_EQ_INT(nn_model_state_bytes(buf, NN_MODEL_HEADER_MAX_BYTES < len ? NN_MODEL_HEADER_MAX_BYTES : len),
				 state);
	CHECK_EQ_INT(nn_model_state_bytes(buf, 10), -1);
	CHECK_EQ_INT(nn_model_state_bytes((const uint8_t *) "not a model at all", 18), -1);

	CHECK_MSG(nn_model_read_without_state(buf, len - (size_t) state, &back, &arena_alloc, err,
										  sizeof(err)) == NN_MODEL_OK, "read: %s", err);
	CHECK(back.without_state && back.net.opt_state == NULL);
	CHECK(memcmp(back.net.params, m.net.params, m.net.n_params * sizeof(float)) == 0);
	CHECK(back.n_features == 2 && back.fill != NULL && back.fill[3] == 2.5f);
	CHECK(nn_model_check(&back, err, sizeof(err)) == NN_MODEL_CORRUPT);
	CHECK(strstr(err, "without its optimizer state") != NULL);

	CHECK(nn_model_read_without_state(buf, len, &back, &arena_alloc, err, sizeof(err))
		  == NN_MODEL_CORRUPT);
	CHECK(strstr(err, "trailing bytes") != NULL);
	CHECK(nn_model_read_without_state(buf, len - (size_t) state - 1, &back, &arena_alloc, err,
									  sizeof(err)) == NN_MODEL_CORRUPT);
	CHECK(strstr(err, "truncated") != NULL);
	/* the whole reader still reads it, state included */
	CHECK(Read(buf, len, &back, err) == NN_MODEL_OK && !back.without_state &&
		  back.net.opt_state[0] == 0.25f);
	ArenaFree();
}

int
main(void)
{
	RUN_TEST(test_plain_model_stays_version_1);
	RUN_TEST(test_version_2_round_trip);
	RUN_TEST(test_impute_alone_needs_version_2);
	RUN_TEST(test_category_lookup);
	RUN_TEST(test_check_rejects_bad_encodings);
	RUN_TEST(test_reader_rejects_damaged_version_2);
	RUN_TEST(test_read_without_state);
	return harness_finish("test_model");
}
