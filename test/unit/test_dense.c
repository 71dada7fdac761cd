/*
 * test_dense.c - nn_dense_forward against a naive triple loop (batch 1
 * takes the sgemv path, larger batches sgemm), and finite-difference
 * checks of dW, db and dx from nn_dense_backward; the row products of a
 * lone row (sgemv, sdot, saxpy over nonzeros); the row blocks of large
 * products (same bytes as one cblas_sgemm call, interrupt hook per block).
 */
#include <cblas.h>

#include "dense.h"
#include "harness.h"
#include "parallel.h"
#include "interrupt.h"

/* y = x W^T + b in double */
static void
naive_forward(const float *x, const float *w, const float *b, double *y,
			  size_t batch, size_t in, size_t out)
{
	for (size_t r = 0; r < batch; r++)
		for (size_t o = 0; o < out; o++)
		{
			double		s = b[o];

			for (size_t i = 0; i < in; i++)
				s += (double) x[r * in + i] * w[o * in + i];
			y[r * out + o] = s;
		}
}

static void
forward_case(size_t batch, size_t in, size_t out, uint64_t seed)
{
	float	   *x = xcalloc(batch * in, sizeof(float));
	float	   *w = xcalloc(out * in, sizeof(float));
	float	   *b = xcalloc(out, sizeof(float));
	float	   *y = xcalloc(batch * out + 1, sizeof(float));
	double	   *e = xcalloc(batch * out, sizeof(double));
	NNRng		rng;
	size_t		bad = 0;

	nn_rng_seed(&rng, seed);
	fill_uniform(&rng, x, batch * in, -1, 1);
	fill_uniform(&rng, w, out * in, -1, 1);
	fill_uniform(&rng, b, out, -1, 1);
	/* garbage in y (the kernel must overwrite, not accumulate) + a canary */
	for (size_t i = 0; i <= batch * out; i++)
		y[i] = 12345.0f;

	nn_dense_forward(x, w, b, y, batch, in, out);
	naive_forward(x, w, b, e, batch, in, out);
	for (size_t i = 0; i < batch * out; i++)
	{
		/* float accumulation of `in` terms of size <= 1 */
		double		tol = 1e-6 * (double) (in + 1);

		if (!harness_close(y[i], e[i], tol, 1e-5))
		{
			if (bad++ < 4)
				CHECK_MSG(false, "batch %zu in %zu out %zu: y[%zu] = %.9g, "
						  "expected %.9g", batch, in, out, i, y[i], e[i]);
		}
		else
			CHECK(true);
	}
	CHECK_MSG(bad == 0, "batch %zu in %zu out %zu: %zu of %zu outputs wrong",
			  batch, in, out, bad, batch * out);
	CHECK_MSG(y[batch * out] == 12345.0f, "write past the end of y");
	free(x);
	free(w);
	free(b);
	free(y);
	free(e);
}

static void
test_forward_batch1(void)
{
	/* sgemv path */
	forward_case(1, 1, 1, 1);
	forward_case(1, 5, 3, 2);
	forward_case(1, 3, 7, 3);
	forward_case(1, 129, 65, 4);
}

static void
test_forward_batched(void)
{
	/* sgemm path, non-square shapes so a transposition shows */
	forward_case(2, 1, 1, 5);
	forward_case(4, 5, 3, 6);
	forward_case(7, 3, 5, 7);
	forward_case(33, 70, 45, 8);
	forward_case(300, 17, 9, 9);
}

static void
test_forward_batch1_matches_batched(void)
{
	/* the sgemv and sgemm paths agree row by row */
	const size_t in = 6,
				out = 4,
				batch = 5;
	float		x[30],
				w[24],
				b[4],
				yb[20],
				y1[4];
	NNRng		rng;

	nn_rng_seed(&rng, 77);
	fill_uniform(&rng, x, batch * in, -2, 2);
	fill_uniform(&rng, w, out * in, -2, 2);
	fill_uniform(&rng, b, out, -2, 2);
	nn_dense_forward(x, w, b, yb, batch, in, out);
	for (size_t r = 0; r < batch; r++)
	{
		nn_dense_forward(x + r * in, w, b, y1, 1, in, out);
		for (size_t o = 0; o < out; o++)
			CHECK_CLOSE(y1[o], yb[r * out + o], 1e-5, 1e-5);
	}
}

/* objective sum(y * r) in double, with y from the kernel */
static double
objective(const float *x, const float *w, const float *b, const float *r,
		  float *y, size_t batch, size_t in, size_t out)
{
	double		s = 0.0;

	nn_dense_forward(x, w, b, y, batch, in, out);
	for (size_t i = 0; i < batch * out; i++)
		s += (double) y[i] * r[i];
	return s;
}

/* central difference of the objective in v[i] */
static double
fd(float *v, size_t i, const float *x, const float *w, const float *b,
   const float *r, float *y, size_t batch, size_t in, size_t out)
{
	const float h = 1e-2f;
	float		orig = v[i];
	float		vp = orig + h,
				vm = orig - h;
	double		lp,
				lm;

	v[i] = vp;
	lp = objective(x, w, b, r, y, batch, in, out);
	v[i] = vm;
	lm = objective(x, w, b, r, y, batch, in, out);
	v[i] = orig;
	return (lp - lm) / ((double) vp - vm);
}

static void
backward_case(size_t batch, size_t in, size_t out, uint64_t seed)
{
	float	   *x = xcalloc(batch * in, sizeof(float));
	float	   *w = xcalloc(out * in, sizeof(float));
	float	   *b = xcalloc(out, sizeof(float));
	float	   *r = xcalloc(batch * out, sizeof(float));
	float	   *y = xcalloc(batch * out, sizeof(float));
	float	   *dw = xcalloc(out * in + 1, sizeof(float));
	float	   *db = xcalloc(out + 1, sizeof(float));
	float	   *dx = xcalloc(batch * in + 1, sizeof(float));
	float	   *dw2 = xcalloc(out * in, sizeof(float));
	float	   *db2 = xcalloc(out, sizeof(float));
	size_t		nmax = batch * in > out * in ? batch * in : out * in;
	double	   *an = xcalloc(nmax, sizeof(double));
	double	   *nu = xcalloc(nmax, sizeof(double));
	NNRng		rng;
	char		what[96];

	nn_rng_seed(&rng, seed);
	fill_uniform(&rng, x, batch * in, -1, 1);
	fill_uniform(&rng, w, out * in, -1, 1);
	fill_uniform(&rng, b, out, -1, 1);
	fill_uniform(&rng, r, batch * out, -1, 1);
	/* garbage in the outputs: they are overwritten, not accumulated */
	for (size_t i = 0; i <= out * in; i++)
		dw[i] = 777.0f;
	for (size_t i = 0; i <= out; i++)
		db[i] = 777.0f;
	for (size_t i = 0; i <= batch * in; i++)
		dx[i] = 777.0f;

	/* d(sum y r)/dy = r */
	nn_dense_backward(x, w, r, dw, db, dx, batch, in, out);
	CHECK_MSG(dw[out * in] == 777.0f && db[out] == 777.0f &&
			  dx[batch * in] == 777.0f, "write past the end of dw/db/dx");

	for (size_t i = 0; i < out * in; i++)
	{
		an[i] = dw[i];
		nu[i] = fd(w, i, x, w, b, r, y, batch, in, out);
	}
	snprintf(what, sizeof(what), "dW (batch %zu, %zux%zu)", batch, out, in);
	CHECK_GRAD(what, an, nu, out * in, 1e-4, 1e-3, 0.05);

	for (size_t i = 0; i < out; i++)
	{
		an[i] = db[i];
		nu[i] = fd(b, i, x, w, b, r, y, batch, in, out);
	}
	snprintf(what, sizeof(what), "db (batch %zu, %zux%zu)", batch, out, in);
	CHECK_GRAD(what, an, nu, out, 1e-4, 1e-3, 0.05);

	for (size_t i = 0; i < batch * in; i++)
	{
		an[i] = dx[i];
		nu[i] = fd(x, i, x, w, b, r, y, batch, in, out);
	}
	snprintf(what, sizeof(what), "dx (batch %zu, %zux%zu)", batch, out, in);
	CHECK_GRAD(what, an, nu, batch * in, 1e-4, 1e-3, 0.05);

	/* dx == NULL skips dx and gives the same dW and db */
	nn_dense_backward(x, w, r, dw2, db2, NULL, batch, in, out);
	CHECK(memcmp(dw, dw2, out * in * sizeof(float)) == 0);
	CHECK(memcmp(db, db2, out * sizeof(float)) == 0);

	free(x);
	free(w);
	free(b);
	free(r);
	free(y);
	free(dw);
	free(db);
	free(dx);
	free(dw2);
	free(db2);
	free(an);
	free(nu);
}

static void
test_backward_batch1(void)
{
	backward_case(1, 5, 3, 11);
	backward_case(1, 2, 6, 12);
}

static void
test_backward_batched(void)
{
	backward_case(4, 5, 3, 13);
	backward_case(3, 2, 7, 14);
	backward_case(16, 9, 4, 15);
	backward_case(2, 1, 1, 16);
}

/* exact values on a tiny case worked by hand */
static void
test_backward_values(void)
{
	/* batch 2, in 2, out 1: W = [1 2], x = [[1 0], [3 -1]], dy = [[2], [-1]] */
	const float x[4] = {1, 0, 3, -1};
	const float w[2] = {1, 2};
	const float dy[2] = {2, -1};
	float		dw[2],
				db[1],
				dx[4];

	nn_dense_backward(x, w, dy, dw, db, dx, 2, 2, 1);
	/* dW = dy^T x = [2*1 - 1*3, 2*0 - 1*(-1)] = [-1, 1] */
	CHECK(dw[0] == -1.0f && dw[1] == 1.0f);
	/* db = 2 - 1 */
	CHECK(db[0] == 1.0f);
	/* dx = dy W = [[2, 4], [-1, -2]] */
	CHECK(dx[0] == 2.0f && dx[1] == 4.0f && dx[2] == -1.0f && dx[3] == -2.0f);
}

/* ------------------------------------------------------------ blocking */

static int	hook_calls;

static void
count_hook(void)
{
	hook_calls++;
}

/*
 * The plan of dense.h, one cblas_sgemm per part of each row block, written
 * out plainly: what nn_sgemm_blocked must give, byte for byte.
 */
static void
plan_reference(int ta, int tb, size_t m, size_t n, size_t k, const float *a,
			   size_t lda, const float *b, size_t ldb, float beta, float *c)
{
	double		row_cost = (double) n * k;
	size_t		rows = nn_gemm_block_rows(m, row_cost);

	for (size_t i0 = 0, i1; i0 < m; i0 = i1)
	{
		size_t		bm;
		size_t		parts;
		bool		cols;

		i1 = nn_gemm_block_end(i0, m, rows, row_cost);
		bm = i1 - i0;
		parts = nn_gemm_parts(bm, n, k);
		cols = n >= bm;
		for (size_t p = 0; p < parts; p++)
		{
			size_t		s = nn_gemm_part_start(cols ? n : bm, parts, p);
			size_t		e = nn_gemm_part_start(cols ? n : bm, parts, p + 1);
			size_t		r0 = cols ? i0 : i0 + s;
			size_t		pm = cols ? bm : e - s;
			size_t		pn = cols ? e - s : n;
			size_t		c0 = cols ? s : 0;

			cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
						tb ? CblasTrans : CblasNoTrans, (int) pm, (int) pn, (int) k,
						1.0f, ta ? a + r0 : a + r0 * lda, (int) lda,
						tb ? b + c0 * ldb : b + c0, (int) ldb, beta,
						c + r0 * n + c0, (int) n);
		}
	}
}

/*
 * nn_sgemm_blocked against the plan written out, byte for byte, at 1, 2
 * and 3 threads, and against one cblas_sgemm call to rounding, for each
 * transpose combination the layers use; returns the hook calls.
 */
static int
blocked_case(int ta, int tb, size_t m, size_t n, size_t k, float beta)
{
	size_t		lda = ta ? m : k;
	size_t		ldb = tb ? k : n;
	float	   *a = xcalloc(m * k, sizeof(float));
	float	   *b = xcalloc(k * n, sizeof(float));
	float	   *c0 = xcalloc(m * n, sizeof(float));
	float	   *c1 = xcalloc(m * n, sizeof(float));
	float	   *c2 = xcalloc(m * n, sizeof(float));
	NNRng		rng;
	int			calls = 0;

	nn_rng_seed(&rng, m * 31 + n * 7 + k);
	fill_uniform(&rng, a, m * k, -1, 1);
	fill_uniform(&rng, b, k * n, -1, 1);
	fill_uniform(&rng, c0, m * n, -1, 1);
	memcpy(c1, c0, m * n * sizeof(float));
	plan_reference(ta, tb, m, n, k, a, lda, b, ldb, beta, c1);
	for (int threads = 1; threads <= 3; threads++)
	{
		size_t		differ = 0;

		memcpy(c2, c0, m * n * sizeof(float));
		nn_set_kernel_threads(threads);
		hook_calls = 0;
		nn_interrupt_hook = count_hook;
		nn_sgemm_blocked(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c2, n);
		nn_interrupt_hook = NULL;
		if (threads == 1)
			calls = hook_calls;
		for (size_t i = 0; i < m * n; i++)
			differ += memcmp(&c1[i], &c2[i], sizeof(float)) != 0;
		CHECK_MSG(differ == 0, "ta %d tb %d m %zu n %zu k %zu, %d threads: %zu of %zu "
				  "outputs differ from the plan", ta, tb, m, n, k, threads, differ, m * n);
	}
	nn_set_kernel_threads(1);
	/* one whole call sums each output in the same k order, up to rounding */
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
				tb ? CblasTrans : CblasNoTrans, (int) m, (int) n, (int) k,
				1.0f, a, (int) lda, b, (int) ldb, beta, c0, (int) n);
	for (size_t i = 0; i < m * n; i++)
		if (!CHECK_MSG(fabsf(c0[i] - c2[i]) <= 1e-5f * (float) k,
					   "ta %d tb %d m %zu n %zu k %zu: output %zu is %g, one call gives %g",
					   ta, tb, m, n, k, i, c2[i], c0[i]))
			break;
	free(a);
	free(b);
	free(c0);
	free(c1);
	free(c2);
	return calls;
}

static void
test_blocked_same_bytes(void)
{
	/* one OpenBLAS thread, as the server always uses */
	openblas_set_num_threads(1);
	/* m n k: one block (in 2 parts when m = n: by columns), a few blocks
	 * with a merged tail, many blocks */
	static const size_t shapes[][3] = {
		{50, 40, 30}, {64, 64, 600}, {1000, 777, 300}, {1000, 1000, 777}, {2049, 300, 200},
		{4100, 64, 1024}, {777, 1500, 1000}
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
	{
		size_t		m = shapes[i][0],
					n = shapes[i][1],
					k = shapes[i][2];
		/* forward (X W^T, beta 1), dW (dY^T X), dX (dY W) */
		int			calls = blocked_case(0, 1, m, n, k, 1.0f);

		blocked_case(1, 0, m, n, k, 0.0f);
		blocked_case(0, 0, m, n, k, 0.0f);
		/* one hook call per block: more than one once the product is large */
		CHECK_MSG((double) m * n * k <= NN_GEMM_BLOCK_MNK ? calls == 1 : calls > 1,
				  "m %zu n %zu k %zu: %d hook calls", m, n, k, calls);
	}
}

/*
 * The block plan: rows start at multiples of NN_GEMM_ALIGN, cover every
 * row once, and every block of a split product costs at least
 * NN_GEMM_MIN_MNK and at most NN_GEMM_BLOCK_MNK + ALIGN rows +
 * NN_GEMM_MIN_MNK.
 */
static void
test_block_plan(void)
{
	static const size_t ms[] = {1, 2, 191, 192, 193, 500, 1000, 4096, 8192, 65536};
	static const double costs[] = {10, 1e3, 3e4, 1e5, 2.6e5, 1e6, 1.3e7, 6.7e7};

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++)
		for (size_t j = 0; j < sizeof(costs) / sizeof(costs[0]); j++)
		{
			size_t		m = ms[i];
			double		cost = costs[j];
			size_t		rows = nn_gemm_block_rows(m, cost);
			size_t		covered = 0;
			size_t		blocks = 0;
			bool		ok = true;
			double		max_cost = NN_GEMM_BLOCK_MNK + NN_GEMM_ALIGN * cost +
				NN_GEMM_MIN_MNK;

			for (size_t i0 = 0, i1; i0 < m; i0 = i1)
			{
				double		c;

				i1 = nn_gemm_block_end(i0, m, rows, cost);
				c = (double) (i1 - i0) * cost;
				ok &= i0 % NN_GEMM_ALIGN == 0 && i1 > i0;
				if (rows < m)
					ok &= c >= NN_GEMM_MIN_MNK && c <= max_cost;
				covered += i1 - i0;
				blocks++;
			}
			CHECK_MSG(ok && covered == m && (rows < m || blocks == 1),
					  "m %zu row cost %g: bad block plan (rows %zu, %zu blocks)",
					  m, cost, rows, blocks);
		}
}

/*
 * The row counts themselves, which the invariants above leave open: a
 * product costing 2.5 blocks is cut into 3 blocks of ceil(m / 3) rows,
 * rounded up to NN_GEMM_ALIGN, and an aligned count stays as it is.
 */
static void
test_block_rows_exact(void)
{
	double		cost = 2.5 * NN_GEMM_BLOCK_MNK;

	/* 1152 = 3 x 384, and 384 = 2 x 192: no rounding */
	CHECK_EQ_INT(nn_gemm_block_rows(1152, cost / 1152), 384);
	CHECK_EQ_INT(nn_gemm_block_end(0, 1152, 384, cost / 1152), 384);
	CHECK_EQ_INT(nn_gemm_block_end(384, 1152, 384, cost / 1152), 768);
	CHECK_EQ_INT(nn_gemm_block_end(768, 1152, 384, cost / 1152), 1152);
	/* 1000 / 3 -> 334 rows, rounded up to 384 */
	CHECK_EQ_INT(nn_gemm_block_rows(1000, cost / 1000), 384);
	/* half a block: one block of every row */
	CHECK_EQ_INT(nn_gemm_block_rows(1000, 0.5 * NN_GEMM_BLOCK_MNK / 1000), 1000);
}

/*
 * The parts of a block: 1 or NN_GEMM_MAX_PARTS, none under
 * NN_GEMM_PART_MNK, none narrower than NN_GEMM_PART_ALIGN; they start at
 * multiples of the alignment and tile the side without gaps.
 */
static void
test_part_plan(void)
{
	static const size_t shapes[][3] = {
		{128, 256, 784}, {256, 784, 128}, {128, 10, 128}, {128, 128, 256},
		{64, 910, 288}, {17, 33, 5}, {3584, 512, 28}, {10, 100000, 64}, {31, 31, 100000}
	};

	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
	{
		size_t		m = shapes[i][0],
					n = shapes[i][1],
					k = shapes[i][2];
		size_t		parts = nn_gemm_parts(m, n, k);
		size_t		extent = n >= m ? n : m;
		bool		ok = parts >= 1 && parts <= NN_GEMM_MAX_PARTS && (parts & (parts - 1)) == 0;

		ok &= parts == 1 || (double) m * n * k >= parts * NN_GEMM_PART_MNK;
		ok &= nn_gemm_part_start(extent, parts, 0) == 0 &&
			nn_gemm_part_start(extent, parts, parts) == extent;
		for (size_t p = 1; p < parts; p++)
		{
			size_t		s = nn_gemm_part_start(extent, parts, p);

			ok &= s % NN_GEMM_PART_ALIGN == 0;
			ok &= s - nn_gemm_part_start(extent, parts, p - 1) >= NN_GEMM_PART_ALIGN;
		}
		CHECK_MSG(ok, "m %zu n %zu k %zu: bad part plan (%zu parts)", m, n, k, parts);
	}
	/* the MLP's first two layers split in 2; its output layer's product does not */
	CHECK_EQ_INT(nn_gemm_parts(128, 256, 784), 2);
	CHECK_EQ_INT(nn_gemm_parts(128, 128, 256), 2);
	CHECK_EQ_INT(nn_gemm_parts(128, 10, 128), 1);
	/* 2 M multiply-adds over 32 columns or rows: the least that splits */
	CHECK_EQ_INT(nn_gemm_parts(32, 32, 2048), 2);
	CHECK_EQ_INT(nn_gemm_parts(16, 16, 100000), 1);
	CHECK_EQ_INT(nn_gemm_parts(32, 32, 2047), 1);
}

/*
 * With several threads a large product is blocked too (so it can be
 * cancelled), and gives the bytes one thread gives, call after call.
 */
static void
test_blocked_threads(void)
{
	size_t		m = 2000,
				n = 1000,
				k = 300;
	float	   *a = malloc(m * k * sizeof(float)),
			   *b = malloc(n * k * sizeof(float)),
			   *c1 = calloc(m * n, sizeof(float)),
			   *c2 = calloc(m * n, sizeof(float));
	NNRng		rng;

	nn_rng_seed(&rng, 11);
	fill_uniform(&rng, a, m * k, -1, 1);
	fill_uniform(&rng, b, n * k, -1, 1);
	nn_sgemm_blocked(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c1, n);
	for (int threads = 2; threads <= 4; threads++)
		for (int again = 0; again < 2; again++)
		{
			nn_set_kernel_threads(threads);
			hook_calls = 0;
			nn_interrupt_hook = count_hook;
			nn_sgemm_blocked(0, 1, m, n, k, 1.0f, a, k, b, k, 0.0f, c2, n);
			nn_interrupt_hook = NULL;
			CHECK_MSG(hook_calls > 1, "%d hook calls", hook_calls);
			CHECK_MSG(memcmp(c1, c2, m * n * sizeof(float)) == 0,
					  "%d threads: other bytes than 1", threads);
		}
	nn_set_kernel_threads(1);
	free(a);
	free(b);
	free(c1);
	free(c2);
}

/*
 * nn_dense_forward_row in the given mode, against the naive loop; a share
 * `zeros` of the inputs is set to zero so that the saxpy path is taken
 * (with the transposed weights) or not (dense rows, or wt NULL).
 */
static void
row_case(NNRowProduct mode, bool with_wt, double zeros, size_t in, size_t out,
		 uint64_t seed)
{
	float	   *x = xcalloc(in, sizeof(float));
	float	   *w = xcalloc(out * in, sizeof(float));
	float	   *wt = xcalloc(out * in, sizeof(float));
	float	   *b = xcalloc(out, sizeof(float));
	float	   *y = xcalloc(out + 1, sizeof(float));
	double	   *e = xcalloc(out, sizeof(double));
	NNRng		rng;
	size_t		bad = 0;

	nn_rng_seed(&rng, seed);
	fill_uniform(&rng, x, in, -1, 1);
	for (size_t i = 0; i < in; i++)
		if (nn_rng_uniform(&rng) < zeros)
			x[i] = 0.0f;
	fill_uniform(&rng, w, out * in, -1, 1);
	fill_uniform(&rng, b, out, -1, 1);
	for (size_t o = 0; o < out; o++)
		for (size_t i = 0; i < in; i++)
			wt[i * out + o] = w[o * in + i];
	for (size_t i = 0; i <= out; i++)
		y[i] = 12345.0f;

	nn_row_product = mode;
	nn_dense_forward_row(x, w, with_wt ? wt : NULL, b, y, in, out);
	nn_row_product = NN_ROW_GEMV;
	naive_forward(x, w, b, e, 1, in, out);
	for (size_t o = 0; o < out; o++)
		bad += !harness_close(y[o], e[o], 1e-6 * (double) (in + 1), 1e-5);
	CHECK_MSG(bad == 0, "mode %d wt %d zeros %.2f in %zu out %zu: %zu of %zu outputs wrong",
			  (int) mode, (int) with_wt, zeros, in, out, bad, out);
	CHECK_MSG(y[out] == 12345.0f, "write past the end of y");
	free(x);
	free(w);
	free(wt);
	free(b);
	free(y);
	free(e);
}

static void
test_forward_row_products(void)
{
	const size_t shapes[][2] = {{1, 1}, {5, 3}, {16, 16}, {129, 65}, {784, 256}, {128, 10}};
	const double zeros[] = {0.0, 0.5, 0.95, 1.0};

	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++)
		for (size_t z = 0; z < sizeof(zeros) / sizeof(zeros[0]); z++)
		{
			uint64_t	seed = 100 + s * 10 + z;

			row_case(NN_ROW_GEMV, true, zeros[z], shapes[s][0], shapes[s][1], seed);
			row_case(NN_ROW_LEVEL1, true, zeros[z], shapes[s][0], shapes[s][1], seed);
			row_case(NN_ROW_LEVEL1, false, zeros[z], shapes[s][0], shapes[s][1], seed);
		}
}

/*
 * Which level-1 product runs: saxpy over the nonzero inputs exactly when
 * its calls cost less than one sdot per output, nonzero (48 + out) <
 * out (48 + in) (dense.c).  The transposed weights given are all zero, so
 * the saxpy path leaves y = b while the dots give b + W x.
 */
static void
test_row_product_choice(void)
{
	enum
	{
		IN = 100, OUT = 10
	};
	static float x[IN],
				w[OUT * IN],
				wt[IN * OUT],
				b[OUT],
				y[OUT];

	for (size_t i = 0; i < OUT * IN; i++)
		w[i] = 1.0f;
	for (size_t o = 0; o < OUT; o++)
		b[o] = 0.5f;
	/* 25 x 58 = 1450 < 10 x 148 = 1480 <= 26 x 58 */
	for (int nonzero = 24; nonzero <= 27; nonzero++)
	{
		memset(x, 0, sizeof(x));
		for (int i = 0; i < nonzero; i++)
			x[i * 3] = 1.0f;
		nn_row_product = NN_ROW_LEVEL1;
		nn_dense_forward_row(x, w, wt, b, y, IN, OUT);
		nn_row_product = NN_ROW_GEMV;
		CHECK_MSG(y[0] == (nonzero <= 25 ? 0.5f : 0.5f + nonzero),
				  "%d nonzero inputs: y = %g", nonzero, y[0]);
	}
}

static void
test_row_product_for_core(void)
{
	CHECK(nn_row_product_for_core("Prescott") == NN_ROW_LEVEL1);
	CHECK(nn_row_product_for_core("prescott") == NN_ROW_LEVEL1);
	CHECK(nn_row_product_for_core("Opteron_SSE3") == NN_ROW_LEVEL1);
	CHECK(nn_row_product_for_core("Haswell") == NN_ROW_GEMV);
	CHECK(nn_row_product_for_core("SkylakeX") == NN_ROW_GEMV);
	CHECK(nn_row_product_for_core("") == NN_ROW_GEMV);
	CHECK(nn_row_product_for_core(NULL) == NN_ROW_GEMV);
}

int
main(void)
{
	RUN_TEST(test_forward_batch1);
	RUN_TEST(test_forward_batched);
	RUN_TEST(test_forward_batch1_matches_batched);
	RUN_TEST(test_forward_row_products);
	RUN_TEST(test_row_product_for_core);
	RUN_TEST(test_row_product_choice);
	RUN_TEST(test_backward_values);
	RUN_TEST(test_backward_batch1);
	RUN_TEST(test_backward_batched);
	RUN_TEST(test_blocked_same_bytes);
	RUN_TEST(test_block_plan);
	RUN_TEST(test_block_rows_exact);
	RUN_TEST(test_part_plan);
	RUN_TEST(test_blocked_threads);
	return harness_finish("test_dense");
}
