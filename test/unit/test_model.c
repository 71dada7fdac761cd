/*
 * test_model.c - the model byte format of src/formats/model.c and
 * model_write.c: which version the writer picks, round trips of format 2
 * (categories, impute values), the category lookup, the reader's checks of
 * the version 2 fields, and the scoring reader that leaves the optimizer
 * state out.
 */
#include "harness.h"
#include "formats/model.h"
#include "modeltest.h"
#include "testnet.h"

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
	set_width(net, 0, 4);
	set_width(net, 1, 2);
	nn_dense_mut(net, 0)->act = NN_ACT_SOFTMAX;
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
	/* what the bytes do not hold: no target scaling, the full learning rate */
	CHECK(back.y_mean == 0.0f && back.y_std == 1.0f && back.net.lr_factor == 1.0f);
	ArenaFree();
}

/* both impute modes that store fill values: mean, and zero */
static void
version_2_round_trip(NNImpute impute)
{
	NNModel		m,
				back;
	size_t		len,
				len2;
	uint8_t    *buf,
			   *again;
	char		err[256];

	BuildModel(&m, true, impute);
	buf = Write(&m, &len);
	CHECK_EQ_INT(buf[4], 2);
	CHECK_MSG(Read(buf, len, &back, err) == NN_MODEL_OK, "read: %s", err);
	CHECK_EQ_INT(back.impute, impute);
	CHECK_EQ_INT(nn_model_feature_kind(&back, 0), NN_FEATURE_CATEGORICAL);
	CHECK_EQ_INT(nn_model_feature_kind(&back, 1), NN_FEATURE_NUMERIC);
	for (int c = 0; c < 3; c++)
		CHECK(strcmp(back.categories[0][c], colors[c]) == 0);
	CHECK(back.categories[1] == NULL);
	CHECK_CLOSE(back.fill[3], impute == NN_IMPUTE_MEAN ? 2.5 : 0.0, 0, 0);
	CHECK_EQ_INT(nn_model_feature_offset(&back, 1), 3);
	again = Write(&back, &len2);
	CHECK(len2 == len && memcmp(buf, again, len) == 0);
	ArenaFree();
}

static void
test_version_2_round_trip(void)
{
	version_2_round_trip(NN_IMPUTE_MEAN);
	version_2_round_trip(NN_IMPUTE_ZERO);
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
	static char *last_unsorted[] = {"blue", "red", "green"};

	BuildModel(&m, true, NN_IMPUTE_MEAN);
	m.categories[0] = unsorted;
	CHECK(nn_model_check(&m, err, sizeof(err)) == NN_MODEL_CORRUPT);
	m.categories[0] = last_unsorted;
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
	/* the numeric feature's kind: the bytes after it still parse */
	buf[k + 1] = NN_FEATURE_KIND_COUNT;
	CHECK(Read(buf, len, &back, err) == NN_MODEL_CORRUPT && strstr(err, "unknown kind") != NULL);
	buf[k + 1] = NN_FEATURE_NUMERIC;
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

/* ------------------------------------------------ every field, every check */

/*
 * A model that uses every field version 1 stores: 4 inputs -> 3 (relu,
 * batch norm, dropout) -> 2 (softmax), Adam with its state, penalties and
 * clipping, standardized inputs, two epochs of history, and counters with
 * high bits set, so that a field read wrongly shows.
 */
static void
BuildFullModel(NNModel *m)
{
	NNNet	   *net = &m->net;
	NNRng		rng;
	size_t		n_state;

	BuildModel(m, false, NN_IMPUTE_SKIP);
	net->n_layers = 2;
	set_width(net, 1, 3);
	set_width(net, 2, 2);
	nn_dense_mut(net, 0)->act = NN_ACT_RELU;
	nn_dense_mut(net, 1)->act = NN_ACT_SOFTMAX;
	nn_dense_mut(net, 0)->batch_norm = 1;
	nn_dense_mut(net, 0)->dropout = 0.25f;
	net->optimizer = NN_OPT_ADAM;
	nn_optimizer_defaults(NN_OPT_ADAM, &net->opt);
	net->reg.l1 = 0.125f;
	net->reg.l2 = 0.5f;
	net->reg.clip_norm = 3.0f;
	net->batch_size = 32;
	CHECK(nn_net_layout(net) == NULL);
	net->params = ArenaAlloc(NULL, net->n_params * sizeof(float));
	net->stats = ArenaAlloc(NULL, net->n_stats * sizeof(float));
	n_state = nn_net_state_floats(net);
	net->opt_state = ArenaAlloc(NULL, n_state * sizeof(float));
	m->init = NN_INIT_HE;
	nn_rng_seed(&rng, 11);
	nn_net_init_params(net, m->init, &rng);
	for (size_t i = 0; i < n_state; i++)
		net->opt_state[i] = 0.125f * (float) (i % 5);
	net->opt_step = UINT64_C(0x100000003);
	m->seed = UINT64_C(0x8000000000000005);
	nn_rng_seed(&m->rng, 99);
	m->rows_trained = UINT64_C(0x300000007);
	m->standardized = true;
	m->x_mean = ArenaAlloc(NULL, 4 * sizeof(float));
	m->x_std = ArenaAlloc(NULL, 4 * sizeof(float));
	for (int i = 0; i < 4; i++)
	{
		m->x_mean[i] = 0.5f * (float) i;
		m->x_std[i] = 1.0f + (float) i;
	}
	m->n_history = 2;
	m->history = ArenaAlloc(NULL, 2 * sizeof(NNEpochStats));
	m->history[0] = (NNEpochStats) {0.75f, 0.5f, 0.625f};
	m->history[1] = (NNEpochStats) {0.25f, NAN, NAN};
	m->epochs_run = 2;
	m->best_epoch = 1;
}

/* every field survives a write and a read; written again, the same bytes */
static void
test_round_trip_every_field(void)
{
	NNModel		m,
				back;
	NNNet	   *a = &m.net,
			   *b = &back.net;
	size_t		len,
				len2;
	uint8_t    *buf,
			   *again;
	char		err[256];

	BuildFullModel(&m);
	buf = Write(&m, &len);
	if (!CHECK_MSG(Read(buf, len, &back, err) == NN_MODEL_OK, "read: %s", err))
	{
		ArenaFree();
		return;
	}
	CHECK(back.task == m.task && back.init == m.init && back.standardized);
	CHECK(back.seed == m.seed && back.rows_trained == m.rows_trained &&
		  b->opt_step == a->opt_step);
	CHECK(memcmp(back.rng.s, m.rng.s, sizeof(m.rng.s)) == 0);
	CHECK(back.epochs_run == 2 && back.best_epoch == 1 && back.n_history == 2);
	CHECK(memcmp(back.history, m.history, 2 * sizeof(NNEpochStats)) == 0);
	CHECK(b->n_layers == 2);
	for (uint32_t l = 0; l <= 2; l++)
		CHECK(width(b, l) == width(a, l));
	for (uint32_t l = 0; l < 2; l++)
		CHECK(b->layers[l].kind == NN_LAYER_DENSE &&
			  nn_dense(b, l)->act == nn_dense(a, l)->act &&
			  nn_dense(b, l)->batch_norm == nn_dense(a, l)->batch_norm);
	CHECK(nn_dense(b, 0)->dropout == 0.25f && nn_dense(b, 1)->dropout == 0.0f &&
		  b->batch_size == 32);
	CHECK(b->optimizer == NN_OPT_ADAM && b->loss.kind == a->loss.kind &&
		  b->loss.huber_delta == a->loss.huber_delta);
	CHECK(memcmp(&b->opt, &a->opt, sizeof(NNOptConfig)) == 0);
	CHECK(memcmp(&b->reg, &a->reg, sizeof(NNRegConfig)) == 0);
	CHECK(memcmp(back.x_mean, m.x_mean, 4 * sizeof(float)) == 0 &&
		  memcmp(back.x_std, m.x_std, 4 * sizeof(float)) == 0 &&
		  back.y_mean == m.y_mean && back.y_std == m.y_std);
	CHECK(b->n_params == a->n_params && b->n_stats == a->n_stats);
	CHECK(memcmp(b->params, a->params, a->n_params * sizeof(float)) == 0 &&
		  memcmp(b->stats, a->stats, a->n_stats * sizeof(float)) == 0 &&
		  memcmp(b->opt_state, a->opt_state, nn_net_state_floats(a) * sizeof(float)) == 0);
	CHECK(back.n_classes == 2 && strcmp(back.classes[1], "yes") == 0);
	CHECK(back.n_features == 2 && strcmp(back.feature_names[1], "size") == 0 &&
		  back.feature_widths[0] == 3);
	CHECK(strcmp(back.target_name, "bought") == 0 && strcmp(back.options_json, "{}") == 0);
	again = Write(&back, &len2);
	CHECK(len2 == len && memcmp(buf, again, len) == 0);
	ArenaFree();
}

/* where pattern first occurs in buf, or NULL */
static uint8_t *
Find(uint8_t *buf, size_t len, const uint8_t *pattern, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, pattern, n) == 0)
			return buf + i;
	return NULL;
}

static void
PutLE32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

/* Read refuses buf for the reason why (a part of its message) */
static void
ReadRefused(const uint8_t *buf, size_t len, NNModelError want, const char *why,
			const char *what)
{
	NNModel		back;
	char		err[256] = "";
	NNModelError rc = Read(buf, len, &back, err);

	CHECK_MSG(rc == want && strstr(err, why) != NULL,
			  "%s: expected %d \"%s\", got %d \"%s\"", what, (int) want, why, (int) rc, err);
}

/*
 * Each byte of the header the reader checks, damaged in a valid version 1
 * model: the error must be that field's, not a later check's that catches
 * the damage by chance.  Offsets: magic 0, version 4, task 8, loss 9,
 * optimizer 10, init 11, standardized 12, reserved 13 to 15.
 */
static void
test_reader_rejects_bad_header(void)
{
	static const struct
	{
		size_t		at;
		uint8_t		value;
		const char *why;
	}			damage[] = {
		{3, 'd', "bad magic"},
		{4, 0, "format version 0"},
		{4, NN_FORMAT_VERSION + 1, "unsupported model format version"},
		{8, NN_TASK_COUNT, "unknown task"},
		{10, NN_OPT_COUNT, "unknown optimizer"},
		{11, NN_INIT_COUNT, "unknown task"},
		{12, 2, "standardized flag"},
		{13, 1, "reserved"},
		{14, 1, "reserved"},
		{15, 1, "reserved"},
	};
	NNModel		m;
	size_t		len;
	uint8_t    *buf;

	BuildModel(&m, false, NN_IMPUTE_SKIP);
	buf = Write(&m, &len);
	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++)
	{
		uint8_t		keep = buf[damage[i].at];
		char		what[32];

		snprintf(what, sizeof(what), "byte %zu = %d", damage[i].at, damage[i].value);
		buf[damage[i].at] = damage[i].value;
		ReadRefused(buf, len, NN_MODEL_CORRUPT, damage[i].why, what);
		/* nor does the header give a state size */
		if (damage[i].at == 10)
			CHECK_EQ_INT(nn_model_state_bytes(buf, len), -1);
		buf[damage[i].at] = keep;
	}
	ReadRefused(buf, len, NN_MODEL_OK, "", "undamaged");
	ArenaFree();
}

/* a byte after the last field, a NUL inside a label, a label too long */
static void
test_reader_rejects_bad_lengths(void)
{
	static const uint8_t no[] = {2, 0, 0, 0, 'n', 'o'};
	static char label[NN_MAX_NAME_BYTES + 2];
	char	   *long_classes[2] = {"no", label};
	NNModel		m;
	size_t		len;
	uint8_t    *buf,
			   *longer,
			   *at;

	BuildModel(&m, false, NN_IMPUTE_SKIP);
	buf = Write(&m, &len);
	longer = ArenaAlloc(NULL, len + 1);
	memcpy(longer, buf, len);
	ReadRefused(longer, len + 1, NN_MODEL_CORRUPT, "1 trailing bytes", "a byte more");

	/* the class label "no", length 2, becomes "n\0" */
	at = Find(buf, len, no, sizeof(no));
	if (CHECK(at != NULL))
	{
		at[5] = '\0';
		ReadRefused(buf, len, NN_MODEL_CORRUPT, "damaged label", "embedded NUL");
	}

	/*
	 * Labels of NN_MAX_NAME_BYTES bytes are read, and no longer ones: the
	 * error names the label, not what the next field's bytes make of the
	 * label's text (it once said "model has 2038004089 feature columns").
	 */
	memset(label, 'y', NN_MAX_NAME_BYTES);
	m.classes = long_classes;
	buf = Write(&m, &len);
	ReadRefused(buf, len, NN_MODEL_OK, "", "longest label");
	label[NN_MAX_NAME_BYTES] = 'y';
	buf = Write(&m, &len);
	ReadRefused(buf, len, NN_MODEL_CORRUPT, "damaged label", "label too long");
	label[NN_MAX_NAME_BYTES] = '\0';
	ArenaFree();
}

/*
 * A history count over NN_MAX_HISTORY is a limit error, found before any
 * allocation, while NN_MAX_HISTORY itself is only too many for the bytes.
 * Without history, batch norm or optimizer state the count is the 4 bytes
 * just before the parameters.
 */
static void
test_reader_history_limit(void)
{
	NNModel		m;
	size_t		len;
	uint8_t    *buf,
			   *count;

	BuildModel(&m, false, NN_IMPUTE_SKIP);
	buf = Write(&m, &len);
	count = buf + len - m.net.n_params * sizeof(float) - 4;
	CHECK(count[0] == 0 && count[1] == 0 && count[2] == 0 && count[3] == 0);
	PutLE32(count, NN_MAX_HISTORY + 1);
	ReadRefused(buf, len, NN_MODEL_LIMIT, "history entries", "over the limit");
	PutLE32(count, NN_MAX_HISTORY);
	ReadRefused(buf, len, NN_MODEL_CORRUPT, "truncated", "at the limit");
	ArenaFree();
}

/* nn_model_check refuses m for the reason why (a part of its message) */
static void
Refused(const NNModel *m, const char *why, const char *what)
{
	char		err[256] = "";
	NNModelError rc = nn_model_check(m, err, sizeof(err));

	CHECK_MSG(rc == NN_MODEL_CORRUPT && strstr(err, why) != NULL,
			  "%s: expected \"%s\", got %d \"%s\"", what, why, (int) rc, err);
}

static void
Accepted(const NNModel *m, const char *what)
{
	char		err[256] = "";

	CHECK_MSG(nn_model_check(m, err, sizeof(err)) == NN_MODEL_OK, "%s: %s", what, err);
}

/* each setting just outside its range; the running variances */
static void
test_check_settings(void)
{
	static const char why[] = "bad optimizer or regularization settings";
	NNModel		m;
	NNNet	   *net = &m.net;
	struct
	{
		float	   *field;
		float		bad;
		const char *what;
	}			cases[] = {
		{&net->opt.learning_rate, 0.0f, "learning rate 0"},
		{&net->opt.epsilon, 0.0f, "epsilon 0"},
		{&net->opt.beta1, 1.0f, "beta1 1"},
		{&net->opt.beta2, 1.0f, "beta2 1"},
		{&net->opt.momentum, 1.0f, "momentum 1"},
		{&net->opt.rho, 1.0f, "rho 1"},
		{&net->loss.huber_delta, 0.0f, "huber delta 0"},
		{&net->reg.l2, -1.0f, "l2 -1"},
		{&net->reg.clip_norm, INFINITY, "clip_norm infinite"},
		{&net->opt.weight_decay, NAN, "weight decay NaN"},
	};

	BuildFullModel(&m);
	Accepted(&m, "the full model");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		float		keep = *cases[i].field;

		*cases[i].field = cases[i].bad;
		Refused(&m, why, cases[i].what);
		*cases[i].field = keep;
	}
	/* stats: unit 0's running mean, then its variance (3 units) */
	net->stats[0] = -1.0f;
	Accepted(&m, "negative running mean");
	net->stats[3] = -1.0f;
	Refused(&m, why, "negative running variance");
	ArenaFree();
}

/* the enums, a softmax hidden layer, batch size, finiteness, state, history */
static void
test_check_network(void)
{
	NNModel		m;
	NNNet	   *net = &m.net;
	float		keep;

	BuildFullModel(&m);
	m.task = NN_TASK_COUNT;
	Refused(&m, "unknown task", "task");
	m.task = NN_TASK_CLASSIFICATION;
	m.init = NN_INIT_COUNT;
	Refused(&m, "unknown task", "init");
	m.init = NN_INIT_HE;
	nn_dense_mut(net, 0)->act = NN_ACT_SOFTMAX;
	Refused(&m, "bad activation in layer 1", "softmax hidden layer");
	nn_dense_mut(net, 0)->act = NN_ACT_RELU;

	net->batch_size = 0;
	Refused(&m, "bad batch size", "batch size 0");
	net->batch_size = NN_MAX_BATCH + 1;
	Refused(&m, "bad batch size", "batch size over the limit");
	net->batch_size = NN_MAX_BATCH;
	Accepted(&m, "largest batch size");

	keep = net->params[0];
	net->params[0] = NAN;
	Refused(&m, "non-finite", "NaN weight");
	net->params[0] = keep;
	net->stats[0] = INFINITY;
	Refused(&m, "non-finite", "infinite running mean");
	net->stats[0] = 0.0f;
	/* Adam's second moment of parameter 0 */
	net->opt_state[net->n_params] = -1.0f;
	Refused(&m, "invalid optimizer state", "negative second moment");
	net->opt_state[net->n_params] = 0.0f;

	m.epochs_run = 3;
	Refused(&m, "epoch count", "3 epochs, 2 in the history");
	m.epochs_run = 2;
	m.best_epoch = 3;
	Refused(&m, "epoch count", "best epoch after the last");
	m.best_epoch = 2;
	Accepted(&m, "best epoch the last");
	ArenaFree();
}

/* the 1-layer model's output: out units, act, loss, and n_classes classes */
static void
SetOutputs(NNModel *m, uint32_t out, NNActivation act, NNLoss loss, uint32_t n_classes)
{
	set_width(&m->net, 1, out);
	nn_dense_mut(&m->net, 0)->act = act;
	m->net.loss.kind = loss;
	m->n_classes = n_classes;
	CHECK(nn_net_layout(&m->net) == NULL);
}

/*
 * The output layer must fit the loss (softmax and 2 or more outputs for
 * cross entropy, one sigmoid for binary cross entropy, identity for
 * regression) and the classes the outputs.  Each case is consistent in
 * every other way, so only the check named can refuse it.
 */
static void
test_check_output_and_task(void)
{
	static const char output[] = "output layer does not match its loss";
	static const char classes[] = "classes do not match its outputs";
	NNModel		m;

	BuildModel(&m, false, NN_IMPUTE_SKIP);
	SetOutputs(&m, 1, NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY, 1);
	Refused(&m, output, "cross entropy over 1 output");
	SetOutputs(&m, 2, NN_ACT_SIGMOID, NN_LOSS_BINARY_CROSS_ENTROPY, 2);
	Refused(&m, output, "binary cross entropy over 2 outputs");
	SetOutputs(&m, 1, NN_ACT_SIGMOID, NN_LOSS_BINARY_CROSS_ENTROPY, 2);
	Accepted(&m, "binary cross entropy");
	m.n_classes = 3;
	Refused(&m, classes, "binary cross entropy with 3 classes");
	SetOutputs(&m, 2, NN_ACT_SOFTMAX, NN_LOSS_CROSS_ENTROPY, 3);
	Refused(&m, classes, "3 classes, 2 outputs");

	m.task = NN_TASK_REGRESSION;
	SetOutputs(&m, 2, NN_ACT_IDENTITY, NN_LOSS_MSE, 0);
	Accepted(&m, "regression");
	nn_dense_mut(&m.net, 0)->act = NN_ACT_SIGMOID;
	Refused(&m, output, "regression through a sigmoid");
	nn_dense_mut(&m.net, 0)->act = NN_ACT_IDENTITY;
	m.n_classes = 2;
	Refused(&m, "regression model has classes", "regression with classes");
	ArenaFree();
}

/* feature columns, and the standardization of inputs and target */
static void
test_check_scaling(void)
{
	char	   *unnamed[] = {"color", ""};
	NNModel		m;

	BuildFullModel(&m);
	m.feature_names = unnamed;
	Refused(&m, "bad feature column", "empty feature name");
	m.feature_names = names;
	/* a model made by nn_init has no feature columns at all */
	m.n_features = 0;
	Accepted(&m, "no feature columns");
	m.n_features = 2;
	m.x_std[2] = 0.0f;
	Refused(&m, "bad standardization values", "x_std 0");
	m.x_std[2] = 3.0f;
	m.y_mean = NAN;
	Refused(&m, "bad target scaling", "y_mean NaN");
	m.y_mean = 0.0f;
	m.y_std = 0.0f;
	Refused(&m, "bad target scaling", "y_std 0");
	m.y_std = 1.0f;
	Accepted(&m, "restored");
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
	RUN_TEST(test_round_trip_every_field);
	RUN_TEST(test_reader_rejects_bad_header);
	RUN_TEST(test_reader_rejects_bad_lengths);
	RUN_TEST(test_reader_history_limit);
	RUN_TEST(test_check_settings);
	RUN_TEST(test_check_network);
	RUN_TEST(test_check_output_and_task);
	RUN_TEST(test_check_scaling);
	return harness_finish("test_model");
}
