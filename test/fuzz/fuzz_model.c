/*
 * fuzz_model.c - libFuzzer harness over the model reader and the pure-C
 * core of every SQL function that takes a model.
 *
 * Each input is parsed with nn_model_read (the code behind
 * nn_model_from_bytes, which every model-taking function calls first) and
 * with nn_model_read_without_state (the scoring functions' reader, see
 * ReadWithoutState),
 * through an allocator that records its blocks and frees them all after
 * the input, as a memory context would.  When the bytes parse:
 *
 *   - nn_model_check must agree, and nn_model_size / nn_model_write must
 *     reproduce the input byte for byte: the reader accepts only the
 *     canonical encoding, so a model has exactly one byte form (aborts if
 *     not);
 *   - scoring as src/score/predict.c does it: a row standardized with
 *     x_mean/x_std when the model is standardized, nn_net_forward with a
 *     work buffer bound for 1 row (nn_predict, nn_predict_class,
 *     nn_predict_proba) and one bound for 256 rows used for 3
 *     (nn_predict_batch); the class (argmax, re-implemented from
 *     nn_predicted_class in src/shared/decision.c) must be a valid index, the
 *     label a string;
 *   - one training step as nn_fit / nn_continue take it (nn_fit accepts a
 *     user-supplied model; not a stripped or quantized one, which both
 *     refuse): nn_net_train_batch on 3 rows (or batch_size,
 *     if smaller) with valid targets; if the result still passes
 *     nn_model_check, writing it and reading it back must succeed and give
 *     the same bytes again;
 *   - nn_export_onnx's writer (src/formats/onnx.c): the file of every model
 *     that parses is written into a buffer of the size the size pass gave
 *     (ASan sees any byte beyond it) and must fill it exactly.
 *
 * An input that starts with "NNFS" is an nn_fit partial state
 * (src/formats/fit_state.c, what nn_fit_state's input and receive read):
 * its header is read, the model inside it goes through every check above,
 * its pending rows are checked against that model, and a state that passes
 * must be written back to the same bytes.
 *
 * Non-finite scores from a model that parsed are not a crash: a finite
 * but huge weight, a tiny x_std or a huge (finite) feature can overflow
 * float32 legitimately.  They are counted, printed at exit, and with
 * FUZZ_SAVE_DIR set the first few such inputs are saved there for study.
 * So are models that the training step leaves with finite parameters (the
 * server's divergence check passes) but that nn_model_check then rejects:
 * nn_fit would return bytes no function can read.
 *
 * The dense kernels call cblas_sgemv / cblas_sgemm.  OpenBLAS is not
 * instrumented, so ASan would not see an out-of-bounds read inside it;
 * unless built with -DFUZZ_OPENBLAS, this file defines plain-C versions of
 * the two routines (the subset of CBLAS the kernels use), which take
 * precedence over the shared library's, so every access is checked.
 *
 * Build and run: test/fuzz/run.sh.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "formats/fit_state.h"
#include "formats/onnx.h"
#include "formats/model.h"

#ifndef FUZZ_OPENBLAS
#include <cblas.h>
#endif

/* predict.c's SCORE_BATCH: nn_predict_batch's work buffer */
#define SCORE_BATCH 256
#define BATCH_ROWS 3
#define TRAIN_ROWS 3

/* ------------------------------------------------------------ allocator */

typedef struct Arena
{
	void	  **blocks;
	size_t		n;
	size_t		cap;
	size_t		input_len;
} Arena;

static void *
ArenaAlloc(void *ctx, size_t size)
{
	Arena	   *a = ctx;
	void	   *p;

	/*
	 * Every array the reader allocates is either backed by the input's bytes
	 * or bounded by a documented limit (10,000 class pointers, 65,536 feature
	 * names and widths: under 1 MiB); anything beyond means a count was
	 * trusted before it was checked against the bytes present.
	 */
	if (size > ((size_t) 1 << 20) + 16 * a->input_len)
	{
		fprintf(stderr, "fuzz_model: allocation of %zu bytes for a %zu-byte input\n",
				size, a->input_len);
		abort();
	}
	if (a->n == a->cap)
	{
		a->cap = a->cap ? 2 * a->cap : 64;
		a->blocks = realloc(a->blocks, a->cap * sizeof(void *));
		if (a->blocks == NULL)
			abort();
	}
	/* palloc(0) is legal and returns a distinct pointer; so does this */
	p = malloc(size ? size : 1);
	if (p == NULL)
		abort();
	a->blocks[a->n++] = p;
	return p;
}

static void
ArenaReset(Arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	a->n = 0;
}

/* ------------------------------------------------------------ findings */

static unsigned long n_inputs;
static unsigned long n_parsed;
static unsigned long n_states;	/* nn_fit states whose header reads */
static unsigned long n_states_valid;	/* ... whose model and rows pass too */
static unsigned long n_nonfinite_moderate;	/* non-finite score for rows of moderate values */
static unsigned long n_nonfinite_extreme;	/* ... for a row of huge or tiny finite values */
static unsigned long n_noncanonical_tolerated;	/* FUZZ_TOLERATE_OFFSETS */
static unsigned long n_trained;
static unsigned long n_train_diverged;	/* the server's Diverged() would fire */
static unsigned long n_train_unreadable;	/* refused by nn_model_to_bytea's check */
static int	n_saved;

static void
Report(void)
{
	fprintf(stderr,
			"fuzz_model: %lu inputs, %lu parsed as models, %lu nn_fit states read (%lu valid); "
			"non-finite scores: %lu on moderate rows, "
			"%lu on extreme rows; training steps: %lu, diverged %lu, "
			"refused on write %lu; "
			"tolerated non-canonical %lu\n",
			n_inputs, n_parsed, n_states, n_states_valid, n_nonfinite_moderate, n_nonfinite_extreme,
			n_trained, n_train_diverged, n_train_unreadable, n_noncanonical_tolerated);
}

static void
SaveInput(const char *kind, const uint8_t *data, size_t len)
{
	const char *dir = getenv("FUZZ_SAVE_DIR");
	char		path[4096];
	FILE	   *f;

	if (dir == NULL || n_saved >= 50)
		return;
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/%s-%d.bin", dir, kind, n_saved++);
	if ((f = fopen(path, "wb")) == NULL)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void) argc;
	(void) argv;
	atexit(Report);
	return 0;
}

/* ------------------------------------------------------------ scoring */

/* deterministic finite feature values */
static float
Feature(size_t row, size_t col)
{
	static const float moderate[] = {
		0.5f, -1.25f, 2.0f, 0.0f, -0.75f, 3.5f, 1.0f, -2.5f, 0.125f, 10.0f, -7.0f
	};
	static const float extreme[] = {
		3.0e38f, -3.0e38f, 1.0e-40f, -1.0e30f, 65504.0f, 0.0f, -0.0f, 1.0e20f
	};

	/* the last row of a batch holds extreme values (still legal input) */
	if (row == BATCH_ROWS - 1)
		return extreme[col % (sizeof(extreme) / sizeof(extreme[0]))];
	return moderate[(row * 7 + col) % (sizeof(moderate) / sizeof(moderate[0]))];
}

/*
 * nn_predicted_class from src/shared/decision.c, without a threshold
 * (server code, so re-implemented)
 */
static uint32_t
PredictedClass(const NNModel *m, const float *out)
{
	uint32_t	n_out = nn_net_outputs(&m->net);
	uint32_t	best = 0;

	if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
		return out[0] >= 0.5f ? 1 : 0;
	for (uint32_t i = 1; i < n_out; i++)
		if (out[i] > out[best])
			best = i;
	return best;
}

static volatile double sink;

/* What nn_predict, nn_predict_class and nn_predict_proba do with one output row. */
static bool
UseScores(const NNModel *m, const float *out)
{
	uint32_t	n_out = nn_net_outputs(&m->net);
	bool		finite = nn_all_finite(out, n_out);

	if (m->task == NN_TASK_CLASSIFICATION)
	{
		uint32_t	c = PredictedClass(m, out);

		if (c >= m->n_classes)
		{
			fprintf(stderr, "fuzz_model: class index %u of %u classes\n", c, m->n_classes);
			abort();
		}
		sink = (double) strlen(m->classes[c]);	/* nn_predict_class's label */
		if (m->net.loss.kind == NN_LOSS_BINARY_CROSS_ENTROPY)
			sink = 1.0f - out[0];	/* nn_predict_proba */
		else if (m->n_classes != n_out)
		{
			fprintf(stderr, "fuzz_model: %u classes but %u outputs\n", m->n_classes, n_out);
			abort();
		}
	}
	else
	{
		double		v = (double) out[0] * m->y_std + m->y_mean;

		finite = finite && isfinite(v);
		sink = v;
	}
	return finite;
}

static void
Score(const NNModel *m, const uint8_t *data, size_t len)
{
	const NNNet *net = &m->net;
	uint32_t	n_in = nn_model_inputs(m);
	uint32_t	n_out = nn_net_outputs(net);
	NNWork		work;
	float	   *buf;
	float	   *x;
	const float *out;
	bool		moderate_ok = true;
	bool		extreme_ok = true;

	/* nn_predict: one row, a work buffer for one row */
	buf = malloc(nn_work_floats(net, 1, false) * sizeof(float));
	x = malloc((size_t) SCORE_BATCH * n_in * sizeof(float));
	if (buf == NULL || x == NULL)
		abort();
	nn_work_bind(&work, net, buf, 1, false);
	for (uint32_t i = 0; i < n_in; i++)
		x[i] = Feature(0, i);
	if (m->standardized)
		nn_standardize_rows(x, m->x_mean, m->x_std, 1, n_in);
	out = nn_net_forward(net, &work, x, 1);
	moderate_ok &= UseScores(m, out);
	free(buf);

	/* nn_predict_batch: a buffer for SCORE_BATCH rows, used for fewer */
	buf = malloc(nn_work_floats(net, SCORE_BATCH, false) * sizeof(float));
	if (buf == NULL)
		abort();
	nn_work_bind(&work, net, buf, SCORE_BATCH, false);
	for (size_t r = 0; r < BATCH_ROWS; r++)
		for (uint32_t i = 0; i < n_in; i++)
			x[r * n_in + i] = Feature(r, i);
	if (m->standardized)
		nn_standardize_rows(x, m->x_mean, m->x_std, BATCH_ROWS, n_in);
	out = nn_net_forward(net, &work, x, BATCH_ROWS);
	for (size_t r = 0; r < BATCH_ROWS; r++)
	{
		bool		ok = UseScores(m, out + r * n_out);

		if (r == BATCH_ROWS - 1)
			extreme_ok &= ok;
		else
			moderate_ok &= ok;
	}
	free(buf);
	free(x);

	if (!moderate_ok)
	{
		n_nonfinite_moderate++;
		SaveInput("nonfinite", data, len);
	}
	else if (!extreme_ok)
		n_nonfinite_extreme++;
}

/* ------------------------------------------------------------ training */

/*
 * FUZZ_TOLERATE_OFFSETS: a comma-separated list of byte offsets where a
 * rewritten model may differ from its input (counted instead of aborting),
 * to fuzz on past a known non-canonical field until it is fixed; e.g. "12",
 * the standardized flag, which the reader takes as true for any non-zero
 * byte.  The bytes must agree everywhere else.
 */
static bool
Tolerated(size_t first, const uint8_t *a, const uint8_t *b, size_t n)
{
	const char *list = getenv("FUZZ_TOLERATE_OFFSETS");
	size_t		i;

	if (list == NULL)
		return false;
	for (i = first; i < n; i++)
	{
		const char *p = list;
		bool		ok = false;

		if (a[i] == b[i])
			continue;
		while (*p && !ok)
		{
			char	   *end;
			unsigned long off = strtoul(p, &end, 10);

			if (end == p)
				break;
			ok = off == i;
			p = *end == ',' ? end + 1 : end;
		}
		if (!ok)
			return false;
	}
	return true;
}

static void
RoundTrip(const NNModel *m, const uint8_t *expect, size_t expect_len, const char *what)
{
	size_t		size = nn_model_size(m);
	uint8_t    *bytes;

	if (expect != NULL && size != expect_len)
	{
		fprintf(stderr, "fuzz_model: %s: nn_model_size %zu, input %zu bytes\n",
				what, size, expect_len);
		abort();
	}
	bytes = malloc(size ? size : 1);
	if (bytes == NULL)
		abort();
	nn_model_write(m, bytes);
	if (expect != NULL && memcmp(bytes, expect, size) != 0)
	{
		size_t		i = 0;

		while (bytes[i] == expect[i])
			i++;
		if (Tolerated(i, bytes, expect, size))
		{
			n_noncanonical_tolerated++;
			free(bytes);
			return;
		}
		fprintf(stderr, "fuzz_model: %s: rewritten model differs from the input at byte %zu "
				"(input 0x%02x, rewritten 0x%02x): the reader accepted a non-canonical encoding\n",
				what, i, expect[i], bytes[i]);
		abort();
	}
	free(bytes);
}

/*
 * One nn_fit step on the parsed model (which the step modifies), then the
 * server's divergence checks; a model that passes them is written, read
 * back and written again.
 */
static void
TrainStep(NNModel *m, Arena *arena)
{
	NNNet	   *net = &m->net;
	uint32_t	n_in = nn_model_inputs(m);
	size_t		rows = net->batch_size < TRAIN_ROWS ? net->batch_size : TRAIN_ROWS;
	NNWork		work;
	float	   *buf = malloc(nn_work_floats(net, rows, true) * sizeof(float));
	float	   *x = malloc(rows * n_in * sizeof(float));
	float		y[TRAIN_ROWS];
	float		w[TRAIN_ROWS];
	double		loss;
	bool		diverged;
	char		err[256];

	if (buf == NULL || x == NULL)
		abort();
	nn_work_bind(&work, net, buf, rows, true);
	for (size_t r = 0; r < rows; r++)
	{
		/* moderate rows only: extreme ones diverge by design */
		for (uint32_t i = 0; i < n_in; i++)
			x[r * n_in + i] = Feature(r == BATCH_ROWS - 1 ? 0 : r, i + r);
		if (m->task == NN_TASK_CLASSIFICATION)
			y[r] = (float) (r % m->n_classes);	/* CheckTarget: a class index */
		else
			y[r] = ((float) r - m->y_mean) / m->y_std;	/* nn_fit_state_add */
		w[r] = r == 1 ? 0.5f : 1.0f;
	}
	if (m->standardized)
		nn_standardize_rows(x, m->x_mean, m->x_std, rows, n_in);
	n_trained++;
	loss = nn_net_train_batch(net, &work, x, y, w, rows, &m->rng);
	/* TrainPending's and nn_fit_state_finish's checks */
	diverged = !isfinite(loss) ||
		!nn_all_finite(work.acts[net->n_layers], rows * nn_net_outputs(net)) ||
		!nn_net_state_finite(net);
	free(buf);
	free(x);
	if (diverged)
	{
		n_train_diverged++;
		return;
	}
	/* nn_model_to_bytea checks the model before writing: an ERROR there */
	if (nn_model_check(m, err, sizeof(err)) != NN_MODEL_OK)
	{
		n_train_unreadable++;
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "fuzz_model: refused on write after a training step: %s\n", err);
		return;
	}
	{
		size_t		size = nn_model_size(m);
		uint8_t    *bytes = malloc(size);
		NNModel		again;

		if (bytes == NULL)
			abort();
		nn_model_write(m, bytes);
		if (nn_model_read(bytes, size, &again, &(NNAllocator) {ArenaAlloc, arena},
						  err, sizeof(err)) != NN_MODEL_OK)
		{
			fprintf(stderr, "fuzz_model: a trained model that passes nn_model_check "
					"does not read back: %s\n", err);
			abort();
		}
		RoundTrip(&again, bytes, size, "trained model");
		free(bytes);
	}
}

/* ------------------------------------------------------------ export */

static void
ExportOnnx(const NNModel *m)
{
	size_t		size = nn_onnx_size(m, "fuzz");
	uint8_t    *buf = malloc(size > 0 ? size : 1);

	if (buf == NULL || size < 16)
	{
		fprintf(stderr, "fuzz_model: ONNX file of %zu bytes\n", size);
		abort();
	}
	/*
	 * The file ends with the last metadata value: feature_widths' "]", or
	 * for a model with text features the categories' "}".
	 */
	buf[size - 1] = 0xa5;
	nn_onnx_write(m, "fuzz", buf);
	if (buf[size - 1] != ']' && buf[size - 1] != '}')
	{
		fprintf(stderr, "fuzz_model: the ONNX writer did not fill its %zu bytes\n", size);
		abort();
	}
	free(buf);
}

/*
 * The scoring reader (nn_model_for_scoring in src/shared/modelio.c): the size of
 * the optimizer state comes from the header alone, and the model without
 * that state reads exactly when the whole one does, with the same
 * parameters, and is refused by nn_model_check.  It may also read when the
 * whole model does not (a damaged state is not its business); it is then
 * scored too.  full is NULL when the whole model did not read.
 */
static void
ReadWithoutState(const uint8_t *data, size_t len, const NNModel *full, NNAllocator *alloc)
{
	size_t		head = len < NN_MODEL_HEADER_MAX_BYTES ? len : NN_MODEL_HEADER_MAX_BYTES;
	int64_t		state = nn_model_state_bytes(data, len);
	NNModel		m;
	char		err[256];

	if (nn_model_state_bytes(data, head) != state)
	{
		fprintf(stderr, "fuzz_model: the header's first %zu bytes give another state size\n", head);
		abort();
	}
	if (state < 0 || (uint64_t) state > len)
	{
		if (full != NULL)
		{
			fprintf(stderr, "fuzz_model: a model that reads has no state size\n");
			abort();
		}
		return;
	}
	if (nn_model_read_without_state(data, len - (size_t) state, &m, alloc, err, sizeof(err))
		!= NN_MODEL_OK)
	{
		if (full != NULL)
		{
			fprintf(stderr, "fuzz_model: read whole but not without its state: %s\n", err);
			abort();
		}
		return;
	}
	if (m.net.opt_state != NULL || !m.without_state ||
		nn_model_check(&m, err, sizeof(err)) == NN_MODEL_OK ||
		(full != NULL &&
		 (memcmp(m.net.params, full->net.params, full->net.n_params * sizeof(float)) != 0 ||
		  memcmp(m.net.stats, full->net.stats, full->net.n_stats * sizeof(float)) != 0)))
	{
		fprintf(stderr, "fuzz_model: the model read without its state differs\n");
		abort();
	}
	if (full == NULL)
		Score(&m, data, len);
}

/* ------------------------------------------------------------ entry */

/*
 * One model: every check above.  Returns whether it parsed, leaving it in
 * *m (allocated in arena) for the caller; a training step may have changed it.
 */
static bool
FuzzModel(const uint8_t *data, size_t len, Arena *arena, NNModel *m)
{
	static int	no_train = -1;
	NNAllocator alloc = {ArenaAlloc, arena};
	char		err[256];
	NNModelError rc;

	memset(err, 0x7f, sizeof(err));
	rc = nn_model_read(data, len, m, &alloc, err, sizeof(err));
	if (rc != NN_MODEL_OK)
	{
		if ((rc != NN_MODEL_CORRUPT && rc != NN_MODEL_LIMIT) ||
			memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
		{
			fprintf(stderr, "fuzz_model: bad error result %d\n", (int) rc);
			abort();
		}
		ReadWithoutState(data, len, NULL, &alloc);
		return false;
	}
	n_parsed++;
	if (nn_model_check(m, err, sizeof(err)) != NN_MODEL_OK)
	{
		fprintf(stderr, "fuzz_model: read but nn_model_check says: %s\n", err);
		abort();
	}
	ReadWithoutState(data, len, m, &alloc);
	RoundTrip(m, data, len, "parsed model");
	Score(m, data, len);
	ExportOnnx(m);
	if (no_train < 0)
		no_train = getenv("FUZZ_NO_TRAIN") != NULL && getenv("FUZZ_NO_TRAIN")[0] != '\0';
	/* nn_fit and nn_continue refuse a compressed model: it has no state */
	if (!no_train && m->storage == NN_STORAGE_FLOAT)
		TrainStep(m, arena);
	return true;
}

/*
 * An nn_fit partial state (formats/fit_state.h), as nn_fit_state's input
 * and receive functions read one: the header, the model inside it as any
 * model above, the pending rows against that model.  A state that passes
 * must be written back, from the fields read, to the same bytes: one
 * encoding per state, as for models.
 */
static void
FuzzState(const uint8_t *data, size_t len, Arena *arena)
{
	NNFitStateBytes st;
	NNModel		m;
	const char *bad = nn_fit_state_read((const char *) data, len, &st);
	char	   *out;
	char	   *p;

	if (bad != NULL)
	{
		if (bad[0] == '\0')
			abort();
		return;
	}
	n_states++;
	if (!FuzzModel((const uint8_t *) st.model, st.model_len, arena, &m) ||
		nn_fit_state_check(&st, &m) != NULL)
		return;
	n_states_valid++;
	out = malloc(len);
	if (out == NULL)
		abort();
	p = nn_fit_state_write_head(out, &st);
	for (uint32_t r = 0; r < st.pending; r++)
	{
		float	   *x = malloc(((size_t) st.n_inputs + 1) * sizeof(float));
		float		target;
		float		weight;

		if (x == NULL)
			abort();
		nn_fit_state_row(&st, r, x, &target, &weight);
		p = nn_fit_state_write_row(p, x, st.n_inputs, target, weight);
		free(x);
	}
	if ((size_t) (p - out) != len || memcmp(out, data, len) != 0)
	{
		fprintf(stderr, "fuzz_model: an nn_fit state written back differs from its input\n");
		abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static Arena arena;
	NNModel		m;

	n_inputs++;
	arena.input_len = len;
	if (len >= 4 && memcmp(data, NN_FIT_STATE_MAGIC, 4) == 0)
		FuzzState(data, len, &arena);
	else
		FuzzModel(data, len, &arena, &m);
	ArenaReset(&arena);
	return 0;
}

/* ------------------------------------------------------------ BLAS */

#ifndef FUZZ_OPENBLAS
/*
 * Plain-C row-major cblas_sgemv and cblas_sgemm (column-major is not used
 * by the kernels and aborts), so that ASan checks the kernels' matrix
 * arguments element by element.  Accumulation in float, as BLAS does.
 */
static inline float
MatAt(const float *a, int lda, bool trans, int i, int j)
{
	return trans ? a[(size_t) j * lda + i] : a[(size_t) i * lda + j];
}

void
cblas_sgemv(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE trans,
			const blasint m, const blasint n, const float alpha, const float *a,
			const blasint lda, const float *x, const blasint incx, const float beta,
			float *y, const blasint incy)
{
	bool		t = trans != CblasNoTrans;
	int			rows = t ? n : m;
	int			cols = t ? m : n;

	if (order != CblasRowMajor)
		abort();
	for (int i = 0; i < rows; i++)
	{
		float		s = 0.0f;

		for (int j = 0; j < cols; j++)
			s += MatAt(a, lda, t, i, j) * x[(size_t) j * incx];
		y[(size_t) i * incy] = alpha * s + (beta == 0.0f ? 0.0f : beta * y[(size_t) i * incy]);
	}
}

void
cblas_sgemm(const enum CBLAS_ORDER order, const enum CBLAS_TRANSPOSE transa,
			const enum CBLAS_TRANSPOSE transb, const blasint m, const blasint n,
			const blasint k, const float alpha, const float *a, const blasint lda,
			const float *b, const blasint ldb, const float beta, float *c,
			const blasint ldc)
{
	bool		ta = transa != CblasNoTrans;
	bool		tb = transb != CblasNoTrans;

	if (order != CblasRowMajor)
		abort();
	for (int i = 0; i < m; i++)
		for (int j = 0; j < n; j++)
		{
			float		s = 0.0f;
			float	   *cij = c + (size_t) i * ldc + j;

			for (int p = 0; p < k; p++)
				s += MatAt(a, lda, ta, i, p) * MatAt(b, ldb, tb, p, j);
			*cij = alpha * s + (beta == 0.0f ? 0.0f : beta * *cij);
		}
}
#endif
