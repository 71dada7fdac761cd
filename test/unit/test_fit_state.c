/*
 * test_fit_state.c - the bytes of an nn_fit partial state
 * (src/formats/fit_state.c): a state written and read back gives the same
 * fields and, written again, the same bytes; the header's layout byte by
 * byte; the size function against the bytes written; every truncation,
 * damaged header, inconsistent counter or length and trailing byte refused
 * by the reader with its own message; and the pending rows checked against
 * the model they are to train: compressed models, a width that is not the
 * model's, a full minibatch, non-finite features, targets that are not a
 * class index, bad weights.  Boundaries: no pending rows, the largest
 * counters, a minibatch of NN_MAX_BATCH rows less one.
 */
#include <float.h>
#include <stdint.h>

#include "harness.h"
#include "formats/fit_state.h"
#include "formats/model.h"
#include "modeltest.h"
#include "testnet.h"

#define INPUTS 4
#define BATCH 8
/* the fields the states of these tests carry unless a test says otherwise */
#define PASS_ROWS UINT64_C(0x0102030405060708)
#define PASS_LOSS 1234.5

/* where the header's fields start */
#define AT_VERSION 4
#define AT_ROWS 8
#define AT_LOSS 16
#define AT_PENDING 24
#define AT_INPUTS 28
#define AT_MODEL_LEN 32

/* the reader's and the check's messages, each tested */
#define SHORT "truncated: shorter than its header"
#define MAGIC "wrong header: it does not start with \"NNFS\""
#define VERSION "unsupported version"
#define LOSS "the summed loss is not a finite non-negative number"
#define LOSS_NO_ROWS "a loss without trained rows"
#define MODEL_CUT "truncated: the model is cut short"
#define TOO_MANY "too many pending rows or inputs"
#define ROWS_CUT "truncated: the pending rows are cut short"
#define TRAILING "trailing bytes after the pending rows"
#define COMPRESSED "its model is compressed (stripped or quantized) and cannot train"
#define WIDTH "its rows' width is not the model's number of inputs"
#define FULL "it buffers a full minibatch or more"
#define FEATURE "a pending row's feature is not finite"
#define TARGET "a pending row's target is not finite"
#define CLASS "a pending row's target is not a class index of the model"
#define WEIGHT "a pending row's weight is not a finite non-negative number"

static char *classes[] = {"no", "yes"};
static char *names[] = {"x"};
static uint32_t widths[] = {INPUTS};

/* a model, its bytes, a state over them and the state's fields as written */
typedef struct Fixture
{
	NNModel		model;
	uint8_t    *model_bytes;
	size_t		model_len;
	uint8_t    *buf;
	size_t		len;
	uint32_t	pending;
} Fixture;

/*
 * INPUTS inputs to 2 classes (softmax, cross entropy) or to one value
 * (identity, squared error), plain SGD, minibatches of batch rows.
 */
static void
BuildModel(NNModel *m, NNTask task, uint32_t batch)
{
	NNNet	   *net = &m->net;
	bool		classify = task == NN_TASK_CLASSIFICATION;
	NNRng		rng;

	memset(m, 0, sizeof(*m));
	net->n_layers = 1;
	set_width(net, 0, INPUTS);
	set_width(net, 1, classify ? 2 : 1);
	nn_dense_mut(net, 0)->act = classify ? NN_ACT_SOFTMAX : NN_ACT_IDENTITY;
	set_training(net, classify ? NN_LOSS_CROSS_ENTROPY : NN_LOSS_MSE);
	net->opt.epsilon = 1e-8f;
	net->batch_size = batch;
	CHECK(nn_net_layout(net) == NULL);
	net->params = ArenaAlloc(NULL, net->n_params * sizeof(float));
	net->stats = ArenaAlloc(NULL, 1);
	net->opt_state = ArenaAlloc(NULL, nn_net_state_floats(net) * sizeof(float) + 1);
	nn_rng_seed(&rng, 19);
	nn_net_init_params(net, NN_INIT_XAVIER, &rng);
	m->task = task;
	m->y_std = 1.0f;
	m->n_classes = classify ? 2 : 0;
	m->classes = classify ? classes : NULL;
	m->n_features = 1;
	m->feature_names = names;
	m->feature_widths = widths;
	m->target_name = "y";
	m->options_json = "{}";
}

/* pending row r: input i is r - 1 + i / 8, the target r % 2, the weight r + 0.5 */
static void
RowValues(uint32_t r, uint32_t n_inputs, float *x, float *target, float *weight)
{
	for (uint32_t i = 0; i < n_inputs; i++)
		x[i] = (float) r - 1.0f + (float) i / 8.0f;
	*target = (float) (r % 2);
	*weight = (float) r + 0.5f;
}

/*
 * A state written through fit_state.c into a buffer of exactly the size
 * the header, the model and nn_fit_state_rows_size add up to; that the
 * writer ends at its end is checked.
 */
static uint8_t *
MakeState(const uint8_t *model, size_t model_len, uint64_t pass_rows, double pass_loss,
		  uint32_t pending, uint32_t n_inputs, size_t *len)
{
	NNFitStateBytes st = {0};
	float	   *x = ArenaAlloc(NULL, ((size_t) n_inputs + 1) * sizeof(float));
	char	   *buf;
	char	   *p;

	st.pass_rows = pass_rows;
	st.pass_loss = pass_loss;
	st.pending = pending;
	st.n_inputs = n_inputs;
	st.model_len = (uint32_t) model_len;
	st.model = (const char *) model;
	*len = NN_FIT_STATE_HEADER + model_len + nn_fit_state_rows_size(pending, n_inputs);
	buf = ArenaAlloc(NULL, *len);
	p = nn_fit_state_write_head(buf, &st);
	CHECK(p == buf + NN_FIT_STATE_HEADER + model_len);
	for (uint32_t r = 0; r < pending; r++)
	{
		float		target,
					weight;

		RowValues(r, n_inputs, x, &target, &weight);
		p = nn_fit_state_write_row(p, x, n_inputs, target, weight);
	}
	CHECK_MSG(p == buf + *len, "wrote %zu bytes, the sizes add up to %zu",
			  (size_t) (p - buf), *len);
	return (uint8_t *) buf;
}

/* a model of that task and batch size, read back from its bytes, and a state over it */
static void
Setup(Fixture *f, NNTask task, uint32_t batch, uint32_t pending)
{
	NNModel		m;
	char		err[256] = "";

	BuildModel(&m, task, batch);
	f->model_bytes = Write(&m, &f->model_len);
	CHECK_MSG(nn_model_read(f->model_bytes, f->model_len, &f->model, &arena_alloc, err,
							sizeof(err)) == NN_MODEL_OK, "model: %s", err);
	f->pending = pending;
	f->buf = MakeState(f->model_bytes, f->model_len, PASS_ROWS, PASS_LOSS, pending, INPUTS,
					   &f->len);
}

/* a message got is want (NULL: accepted) */
static bool
Says(const char *got, const char *want, const char *what)
{
	bool		same = got == want || (got != NULL && want != NULL && strcmp(got, want) == 0);

	return CHECK_MSG(same, "%s: expected \"%s\", got \"%s\"", what,
					 want != NULL ? want : "(accepted)", got != NULL ? got : "(accepted)");
}

/* reading buf[0, len) says want, the fields in *st */
static bool
ReadSays(const uint8_t *buf, size_t len, const char *want, NNFitStateBytes *st,
		 const char *what)
{
	NNFitStateBytes mine;

	return Says(nn_fit_state_read((const char *) buf, len, st != NULL ? st : &mine), want, what);
}

/* the state buf reads, and checking it against m says want */
static void
CheckSays(const uint8_t *buf, size_t len, const NNModel *m, const char *want, const char *what)
{
	NNFitStateBytes st;

	if (ReadSays(buf, len, NULL, &st, what))
		Says(nn_fit_state_check(&st, m), want, what);
}

/* n big-endian bytes of v at b */
static void
PutBE(uint8_t *b, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		b[i] = (uint8_t) (v >> (8 * (n - 1 - i)));
}

/* d as a big-endian float4 (n = 4) or float8 (n = 8) at b */
static void
PutReal(uint8_t *b, double d, int n)
{
	float		f = (float) d;
	uint32_t	u32;
	uint64_t	u64;

	memcpy(&u32, &f, sizeof(u32));
	memcpy(&u64, &d, sizeof(u64));
	PutBE(b, n == 4 ? u32 : u64, n);
}

/* the bytes of pending row r's column c (0..n_inputs - 1 inputs, then target, weight) */
static uint8_t *
RowAt(const Fixture *f, uint32_t r, uint32_t c)
{
	return f->buf + NN_FIT_STATE_HEADER + f->model_len +
		((size_t) r * (INPUTS + 2) + c) * sizeof(float);
}

/* the state st read from, written again from its fields alone */
static uint8_t *
WriteBack(const NNFitStateBytes *st, size_t *len)
{
	float	   *x = ArenaAlloc(NULL, ((size_t) st->n_inputs + 1) * sizeof(float));
	char	   *buf;
	char	   *p;

	*len = NN_FIT_STATE_HEADER + st->model_len + nn_fit_state_rows_size(st->pending, st->n_inputs);
	buf = ArenaAlloc(NULL, *len);
	p = nn_fit_state_write_head(buf, st);
	for (uint32_t r = 0; r < st->pending; r++)
	{
		float		target,
					weight;

		nn_fit_state_row(st, r, x, &target, &weight);
		p = nn_fit_state_write_row(p, x, st->n_inputs, target, weight);
	}
	CHECK(p == buf + *len);
	return (uint8_t *) buf;
}

/* f's state read: every field as written, every row, and the same bytes again */
static void
CheckStateRoundTrip(const Fixture *f, uint64_t pass_rows, double pass_loss, const char *what)
{
	NNFitStateBytes st;
	float		x[INPUTS],
				want_x[INPUTS];
	size_t		len2;
	uint8_t    *again;
	bool		rows_ok = true;

	if (!ReadSays(f->buf, f->len, NULL, &st, what))
		return;
	CHECK_EQ_INT(st.version, NN_FIT_STATE_VERSION);
	CHECK_MSG(st.pass_rows == pass_rows, "%s: pass_rows", what);
	CHECK_MSG(memcmp(&st.pass_loss, &pass_loss, sizeof(double)) == 0, "%s: pass_loss", what);
	CHECK_EQ_INT(st.pending, f->pending);
	CHECK_EQ_INT(st.n_inputs, INPUTS);
	CHECK_EQ_INT(st.model_len, f->model_len);
	CHECK(st.model == (const char *) f->buf + NN_FIT_STATE_HEADER);
	CHECK(st.rows == (const char *) f->buf + NN_FIT_STATE_HEADER + f->model_len);
	CHECK(memcmp(st.model, f->model_bytes, f->model_len) == 0);
	for (uint32_t r = 0; r < st.pending; r++)
	{
		float		t,
					w,
					want_t,
					want_w;

		nn_fit_state_row(&st, r, x, &t, &w);
		RowValues(r, INPUTS, want_x, &want_t, &want_w);
		rows_ok &= memcmp(x, want_x, sizeof(x)) == 0 && t == want_t && w == want_w;
	}
	CHECK_MSG(rows_ok, "%s: a pending row read back differs", what);
	Says(nn_fit_state_check(&st, &f->model), NULL, what);
	again = WriteBack(&st, &len2);
	CHECK_MSG(len2 == f->len && memcmp(again, f->buf, f->len) == 0, "%s: bytes differ", what);
}

static void
test_round_trip(void)
{
	Fixture		f;

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	CheckStateRoundTrip(&f, PASS_ROWS, PASS_LOSS, "3 pending rows");
	ArenaFree();
	Setup(&f, NN_TASK_REGRESSION, BATCH, BATCH - 1);
	CheckStateRoundTrip(&f, PASS_ROWS, PASS_LOSS, "regression, 7 pending rows");
	ArenaFree();
}

/* the header byte for byte, big-endian; a row's floats likewise */
static void
test_layout(void)
{
	Fixture		f;
	uint8_t		head[NN_FIT_STATE_HEADER] = {
		'N', 'N', 'F', 'S', 0, 0, 0, 1,
		1, 2, 3, 4, 5, 6, 7, 8,
		/* 1234.5 = 0x40934A0000000000 */
		0x40, 0x93, 0x4A, 0, 0, 0, 0, 0,
		0, 0, 0, 3, 0, 0, 0, INPUTS,
	};
	const float x[2] = {1.0f, -2.0f};
	static const uint8_t row[16] = {
		0x3F, 0x80, 0, 0, 0xC0, 0, 0, 0, 0x40, 0x40, 0, 0, 0x3F, 0, 0, 0
	};
	uint8_t		out[16 + 1] = {0};

	CHECK_EQ_INT(NN_FIT_STATE_HEADER, 36);
	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	PutBE(head + AT_MODEL_LEN, f.model_len, 4);
	CHECK(memcmp(f.buf, head, sizeof(head)) == 0);
	CHECK(memcmp(f.buf + NN_FIT_STATE_HEADER, f.model_bytes, f.model_len) == 0);
	/* row 2's last input (2 - 1 + 3/8) and its weight (2.5) */
	CHECK(memcmp(RowAt(&f, 2, INPUTS - 1), (const uint8_t[]) {0x3F, 0xB0, 0, 0}, 4) == 0);
	CHECK(memcmp(RowAt(&f, 2, INPUTS + 1), (const uint8_t[]) {0x40, 0x20, 0, 0}, 4) == 0);
	/* 1, -2, target 3, weight 0.5; nothing written past them */
	CHECK((uint8_t *) nn_fit_state_write_row((char *) out, x, 2, 3.0f, 0.5f) == out + 16);
	CHECK(memcmp(out, row, sizeof(row)) == 0 && out[16] == 0);
	ArenaFree();
}

/* the rows' size: (inputs + target + weight) floats a row, up to the limits */
static void
test_rows_size(void)
{
	CHECK_EQ_INT(nn_fit_state_rows_size(0, 0), 0);
	CHECK_EQ_INT(nn_fit_state_rows_size(0, NN_MAX_FEATURES), 0);
	CHECK_EQ_INT(nn_fit_state_rows_size(1, 0), 8);
	CHECK_EQ_INT(nn_fit_state_rows_size(3, INPUTS), 3 * (INPUTS + 2) * 4);
	CHECK(nn_fit_state_rows_size(NN_MAX_BATCH, NN_MAX_FEATURES) ==
		  (size_t) NN_MAX_BATCH * (NN_MAX_FEATURES + 2) * 4);
	CHECK(nn_fit_state_rows_size(NN_MAX_BATCH + 1, 1) == SIZE_MAX);
	CHECK(nn_fit_state_rows_size(1, NN_MAX_FEATURES + 1) == SIZE_MAX);
	CHECK(nn_fit_state_rows_size(UINT32_MAX, UINT32_MAX) == SIZE_MAX);
}

/* every shorter prefix of f's state refused as truncated, where it is cut */
static void
CheckTruncations(const Fixture *f)
{
	for (size_t cut = 0; cut < f->len; cut++)
	{
		/* a buffer of exactly the prefix, so that ASan sees any read past it */
		uint8_t    *prefix = xcalloc(cut, 1);
		char		what[48];

		memcpy(prefix, f->buf, cut);
		snprintf(what, sizeof(what), "%u rows, cut at %zu", f->pending, cut);
		ReadSays(prefix, cut, cut < NN_FIT_STATE_HEADER ? SHORT :
				 cut < NN_FIT_STATE_HEADER + f->model_len ? MODEL_CUT : ROWS_CUT, NULL, what);
		free(prefix);
	}
}

static void
test_truncations(void)
{
	Fixture		f;
	uint8_t    *longer;
	NNFitStateBytes st;

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	CheckTruncations(&f);
	/* with no rows pending, the model is the last thing cut */
	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 0);
	CheckTruncations(&f);
	/* a byte more, or a row more than the header counts */
	longer = ArenaAlloc(NULL, f.len + (INPUTS + 2) * 4);
	memcpy(longer, f.buf, f.len);
	ReadSays(longer, f.len + 1, TRAILING, NULL, "one byte more");
	ReadSays(longer, f.len + (INPUTS + 2) * 4, TRAILING, NULL, "a row more");
	/* too short for a header: the version is taken for ours */
	st.version = 7;
	ReadSays(f.buf, NN_FIT_STATE_HEADER - 1, SHORT, &st, "header less one byte");
	CHECK_EQ_INT(st.version, NN_FIT_STATE_VERSION);
	ArenaFree();
}

/* the magic and the version: each byte damaged; the version read is kept */
static void
test_magic_and_version(void)
{
	Fixture		f;
	NNFitStateBytes st;
	static const uint32_t versions[] = {0, 2, 0xFF000001, 0x000000FE, UINT32_MAX};

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	for (int i = 0; i < 4; i++)
	{
		char		what[32];

		snprintf(what, sizeof(what), "magic byte %d", i);
		f.buf[i] ^= 0x20;		/* "nNFS", "NnFS", ...: the case matters */
		st.version = 7;
		ReadSays(f.buf, f.len, MAGIC, &st, what);
		CHECK_EQ_INT(st.version, NN_FIT_STATE_VERSION);
		f.buf[i] ^= 0x20;
	}
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
	{
		PutBE(f.buf + AT_VERSION, versions[i], 4);
		ReadSays(f.buf, f.len, VERSION, &st, "version");
		CHECK_MSG(st.version == versions[i], "version %u read as %u", versions[i], st.version);
	}
	PutBE(f.buf + AT_VERSION, NN_FIT_STATE_VERSION, 4);
	ReadSays(f.buf, f.len, NULL, NULL, "version restored");
	ArenaFree();
}

/* the summed loss: finite, not negative, and zero without trained rows */
static void
test_loss_and_rows(void)
{
	Fixture		f;
	static const double bad[] = {NAN, -NAN, INFINITY, -INFINITY, -1.0, -DBL_MIN, -DBL_MAX};
	static const struct
	{
		uint64_t	rows;
		double		loss;
		const char *want;
	}			pairs[] = {
		{0, 0.0, NULL},
		{0, 1.0, LOSS_NO_ROWS},
		{0, DBL_MIN, LOSS_NO_ROWS},
		{1, 0.0, NULL},
		{1, DBL_MIN, NULL},
		{UINT64_MAX, DBL_MAX, NULL},
		{UINT64_MAX, 0.0, NULL},
	};

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		char		what[32];

		snprintf(what, sizeof(what), "loss %g", bad[i]);
		PutReal(f.buf + AT_LOSS, bad[i], 8);
		ReadSays(f.buf, f.len, LOSS, NULL, what);
	}
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
	{
		NNFitStateBytes st;
		char		what[64];

		snprintf(what, sizeof(what), "%llu rows, loss %g",
				 (unsigned long long) pairs[i].rows, pairs[i].loss);
		PutBE(f.buf + AT_ROWS, pairs[i].rows, 8);
		PutReal(f.buf + AT_LOSS, pairs[i].loss, 8);
		if (ReadSays(f.buf, f.len, pairs[i].want, &st, what) && pairs[i].want == NULL)
			CHECK_MSG(st.pass_rows == pairs[i].rows && st.pass_loss == pairs[i].loss, "%s", what);
	}
	ArenaFree();
}

/*
 * The counts and lengths against the bytes there are: a model longer or
 * shorter than its bytes, more or fewer rows or inputs, past the limits.
 */
static void
test_counters_and_lengths(void)
{
	Fixture		f;
	uint32_t	ml;

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	ml = (uint32_t) f.model_len;
	{
		/* a header field set to a value, and what reading says */
		const struct
		{
			int			at;
			uint32_t	value;
			const char *want;
		}			counters[] = {
			{AT_MODEL_LEN, ml + 1, ROWS_CUT},
			{AT_MODEL_LEN, ml - 1, TRAILING},
			/* the model and the rows exactly: no rows are left for 3 */
			{AT_MODEL_LEN, (uint32_t) f.len - NN_FIT_STATE_HEADER, ROWS_CUT},
			{AT_MODEL_LEN, (uint32_t) f.len - NN_FIT_STATE_HEADER + 1, MODEL_CUT},
			{AT_MODEL_LEN, UINT32_MAX, MODEL_CUT},
			{AT_MODEL_LEN, 0xFF000000 | ml, MODEL_CUT},
			{AT_PENDING, 4, ROWS_CUT},
			{AT_PENDING, 2, TRAILING},
			{AT_PENDING, 0, TRAILING},
			{AT_PENDING, 0xFF000003, TOO_MANY},
			{AT_PENDING, NN_MAX_BATCH + 1, TOO_MANY},
			{AT_INPUTS, INPUTS + 1, ROWS_CUT},
			{AT_INPUTS, INPUTS - 1, TRAILING},
			{AT_INPUTS, 0xFF000004, TOO_MANY},
			{AT_INPUTS, NN_MAX_FEATURES + 1, TOO_MANY},
		};

		for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
		{
			uint8_t		keep[4];
			char		what[48];

			snprintf(what, sizeof(what), "byte %d = %u", counters[i].at, counters[i].value);
			memcpy(keep, f.buf + counters[i].at, 4);
			PutBE(f.buf + counters[i].at, counters[i].value, 4);
			ReadSays(f.buf, f.len, counters[i].want, NULL, what);
			memcpy(f.buf + counters[i].at, keep, 4);
		}
	}
	/* the model's bytes to the end with no rows pending */
	PutBE(f.buf + AT_PENDING, 0, 4);
	PutBE(f.buf + AT_MODEL_LEN, f.len - NN_FIT_STATE_HEADER, 4);
	ReadSays(f.buf, f.len, NULL, NULL, "a model to the end");
	ArenaFree();
}

/*
 * Rows that fill the bytes exactly but not the model's width: the reader
 * takes them, the check against the model refuses them.
 */
static void
test_width_against_model(void)
{
	Fixture		f;
	/* 3 rows of 4 inputs, target and weight are 18 floats; so are these */
	static const uint32_t shapes[][2] = {{6, 1}, {2, 7}, {1, 16}, {9, 0}};

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
	{
		char		what[48];

		snprintf(what, sizeof(what), "%u rows of %u inputs", shapes[i][0], shapes[i][1]);
		PutBE(f.buf + AT_PENDING, shapes[i][0], 4);
		PutBE(f.buf + AT_INPUTS, shapes[i][1], 4);
		CheckSays(f.buf, f.len, &f.model, WIDTH, what);
	}
	/* no rows pending, yet a width that is not the model's */
	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 0);
	PutBE(f.buf + AT_INPUTS, INPUTS + 1, 4);
	CheckSays(f.buf, f.len, &f.model, WIDTH, "no rows of 5 inputs");
	PutBE(f.buf + AT_INPUTS, INPUTS - 1, 4);
	CheckSays(f.buf, f.len, &f.model, WIDTH, "no rows of 3 inputs");
	PutBE(f.buf + AT_INPUTS, INPUTS, 4);
	CheckSays(f.buf, f.len, &f.model, NULL, "no rows of 4 inputs");
	ArenaFree();
}

/* a model stripped or quantized has no optimizer state to train with */
static void
test_compressed_model(void)
{
	Fixture		f;
	NNModel		stripped,
				quantized;

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	nn_model_strip(&f.model, &stripped);
	nn_model_quantize(&f.model, &quantized, &arena_alloc);
	CheckSays(f.buf, f.len, &stripped, COMPRESSED, "stripped");
	CheckSays(f.buf, f.len, &quantized, COMPRESSED, "quantized");
	CheckSays(f.buf, f.len, &f.model, NULL, "float");
	ArenaFree();
}

/* a full minibatch would have been trained: batch size less one at most */
static void
test_full_minibatch(void)
{
	for (uint32_t pending = BATCH - 1; pending <= BATCH + 1; pending++)
	{
		Fixture		f;
		char		what[32];

		snprintf(what, sizeof(what), "%u rows pending", pending);
		Setup(&f, NN_TASK_CLASSIFICATION, BATCH, pending);
		CheckSays(f.buf, f.len, &f.model, pending < BATCH ? NULL : FULL, what);
		ArenaFree();
	}
}

/* one float of a pending row set to a value and what the check says */
typedef struct Cell
{
	uint32_t	row;
	uint32_t	col;
	float		value;
	const char *want;
} Cell;

static void
CheckCells(Fixture *f, const Cell *cells, size_t n, const char *model)
{
	for (size_t i = 0; i < n; i++)
	{
		uint8_t    *at = RowAt(f, cells[i].row, cells[i].col);
		uint8_t		keep[4];
		char		what[64];

		snprintf(what, sizeof(what), "%s: row %u column %u = %g", model, cells[i].row,
				 cells[i].col, cells[i].value);
		memcpy(keep, at, 4);
		PutReal(at, cells[i].value, 4);
		CheckSays(f->buf, f->len, &f->model, cells[i].want, what);
		memcpy(at, keep, 4);
	}
	CheckSays(f->buf, f->len, &f->model, NULL, model);
}

/* every row and column is looked at: the first and the last of each */
static void
test_pending_values(void)
{
	Fixture		f;
	const uint32_t T = INPUTS,
				W = INPUTS + 1;
	const Cell	classification[] = {
		{0, 0, NAN, FEATURE}, {2, T - 1, INFINITY, FEATURE}, {2, 0, -INFINITY, FEATURE},
		{0, T, NAN, TARGET}, {2, T, INFINITY, TARGET}, {1, T, -INFINITY, TARGET},
		{2, T, -1.0f, CLASS}, {2, T, 2.0f, CLASS}, {2, T, 0.5f, CLASS}, {0, T, 1.5f, CLASS},
		{2, T, -0.5f, CLASS}, {2, T, 1.0f, NULL}, {0, T, 1.0f, NULL}, {1, T, 0.0f, NULL},
		{0, W, NAN, WEIGHT}, {2, W, INFINITY, WEIGHT}, {2, W, -1.0f, WEIGHT},
		{1, W, -FLT_MIN, WEIGHT}, {2, W, 0.0f, NULL}, {2, W, FLT_MAX, NULL},
		{2, T - 1, FLT_MAX, NULL}, {0, 0, -FLT_MAX, NULL},
	};
	const Cell	regression[] = {
		{2, T, -7.25f, NULL}, {0, T, 1e30f, NULL}, {1, T, 0.5f, NULL},
		{2, T, NAN, TARGET}, {0, T, -INFINITY, TARGET}, {2, W, -1.0f, WEIGHT},
		{2, T - 1, NAN, FEATURE},
	};

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 3);
	CheckCells(&f, classification, sizeof(classification) / sizeof(classification[0]),
			   "classification");
	ArenaFree();
	Setup(&f, NN_TASK_REGRESSION, BATCH, 3);
	CheckCells(&f, regression, sizeof(regression) / sizeof(regression[0]), "regression");
	ArenaFree();
}

/*
 * No rows pending: the state is its header and its model.  The largest
 * counters: every row count and the largest finite loss; a model of
 * NN_MAX_BATCH rows a minibatch holds NN_MAX_BATCH - 1 pending, not one more.
 */
static void
test_boundaries(void)
{
	Fixture		f;
	NNFitStateBytes st;

	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 0);
	CHECK_EQ_INT(f.len, NN_FIT_STATE_HEADER + f.model_len);
	CheckStateRoundTrip(&f, PASS_ROWS, PASS_LOSS, "no rows pending");
	f.buf = MakeState(f.model_bytes, f.model_len, 0, 0.0, 0, INPUTS, &f.len);
	CheckStateRoundTrip(&f, 0, 0.0, "a state before any row");
	f.buf = MakeState(f.model_bytes, f.model_len, UINT64_MAX, DBL_MAX, 0, INPUTS, &f.len);
	CheckStateRoundTrip(&f, UINT64_MAX, DBL_MAX, "the largest counters");
	ArenaFree();

	Setup(&f, NN_TASK_REGRESSION, NN_MAX_BATCH, NN_MAX_BATCH - 1);
	CheckStateRoundTrip(&f, PASS_ROWS, PASS_LOSS, "NN_MAX_BATCH - 1 rows pending");
	f.pending = NN_MAX_BATCH;
	f.buf = MakeState(f.model_bytes, f.model_len, UINT64_MAX, DBL_MAX, NN_MAX_BATCH, INPUTS,
					  &f.len);
	CheckSays(f.buf, f.len, &f.model, FULL, "NN_MAX_BATCH rows pending");
	ArenaFree();

	/* the widest rows the reader takes, which no model of these has */
	Setup(&f, NN_TASK_CLASSIFICATION, BATCH, 0);
	f.buf = MakeState(f.model_bytes, f.model_len, 1, 1.0, 1, NN_MAX_FEATURES, &f.len);
	if (ReadSays(f.buf, f.len, NULL, &st, "one row of NN_MAX_FEATURES inputs"))
		Says(nn_fit_state_check(&st, &f.model), WIDTH, "one row of NN_MAX_FEATURES inputs");
	ArenaFree();
}

int
main(void)
{
	RUN_TEST(test_round_trip);
	RUN_TEST(test_layout);
	RUN_TEST(test_rows_size);
	RUN_TEST(test_truncations);
	RUN_TEST(test_magic_and_version);
	RUN_TEST(test_loss_and_rows);
	RUN_TEST(test_counters_and_lengths);
	RUN_TEST(test_width_against_model);
	RUN_TEST(test_compressed_model);
	RUN_TEST(test_full_minibatch);
	RUN_TEST(test_pending_values);
	RUN_TEST(test_boundaries);
	return harness_finish("test_fit_state");
}
