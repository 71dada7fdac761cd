/*
 * dense.c - fully connected layer with OpenBLAS, large products in blocks.
 */
#include <cblas.h>
#include <stdbool.h>
#include <stdint.h>
#include <math.h>
#include <string.h>

#include "cpu.h"
#include "dense.h"
#include "interrupt.h"
#include "parallel.h"

NNRowProduct nn_row_product = NN_ROW_GEMV;

/* OpenBLAS kernels whose sgemv is slower than one sdot per output (dense.h) */
static const char *const level1_cores[] = {
	"Prescott", "Core2", "Penryn", "Dunnington", "Atom", "Opteron",
	"Opteron_SSE3", "Barcelona", "Nano",
};

size_t
nn_gemm_block_rows(size_t m, double row_cost)
{
	double		total = (double) m * row_cost;
	double		blocks;
	size_t		rows;

	if (total <= NN_GEMM_BLOCK_MNK)
		return m;
	/* as many blocks as the cost needs, evenly sized, rounded up */
	blocks = ceil(total / NN_GEMM_BLOCK_MNK);
	rows = (size_t) ceil((double) m / blocks);
	rows = (rows + NN_GEMM_ALIGN - 1) / NN_GEMM_ALIGN * NN_GEMM_ALIGN;
	return rows < m ? rows : m;
}

size_t
nn_gemm_block_end(size_t start, size_t m, size_t rows, double row_cost)
{
	size_t		left = m - start;

	if (left <= rows || (double) (left - rows) * row_cost < NN_GEMM_MIN_MNK)
		return m;
	return start + rows;
}

/* one product and its plan of parts (dense.h) */
typedef struct GemmCall
{
	int			trans_a;
	int			trans_b;
	size_t		m;
	size_t		n;
	size_t		k;
	float		alpha;
	const float *a;
	size_t		lda;
	const float *b;
	size_t		ldb;
	float		beta;
	float	   *c;
	size_t		ldc;
	bool		by_columns;		/* parts split C's columns, else its rows */
	size_t		parts;
} GemmCall;

size_t
nn_gemm_parts(size_t m, size_t n, size_t k)
{
	double		cost = (double) m * n * k;
	size_t		extent = n >= m ? n : m;
	size_t		parts = 1;

	while (parts < NN_GEMM_MAX_PARTS && cost >= 2 * parts * NN_GEMM_PART_MNK &&
		   extent >= 2 * parts * NN_GEMM_PART_ALIGN)
		parts *= 2;
	return parts;
}

size_t
nn_gemm_part_start(size_t extent, size_t parts, size_t p)
{
	if (p >= parts)
		return extent;
	return extent * p / parts / NN_GEMM_PART_ALIGN * NN_GEMM_PART_ALIGN;
}

static void
GemmPart(void *arg, size_t p, size_t end)
{
	const GemmCall *g = arg;
	size_t		extent = g->by_columns ? g->n : g->m;

	for (; p < end; p++)
	{
		size_t		s = nn_gemm_part_start(extent, g->parts, p);
		size_t		e = nn_gemm_part_start(extent, g->parts, p + 1);
		/* row s of op(A) is A's column s when transposed, as column s of op(B) is B's row s */
		const float *a = g->by_columns ? g->a :
			(g->trans_a ? g->a + s : g->a + s * g->lda);
		const float *b = !g->by_columns ? g->b :
			(g->trans_b ? g->b + s * g->ldb : g->b + s);
		float	   *c = g->by_columns ? g->c + s : g->c + s * g->ldc;

		cblas_sgemm(CblasRowMajor, g->trans_a ? CblasTrans : CblasNoTrans,
					g->trans_b ? CblasTrans : CblasNoTrans,
					(int) (g->by_columns ? g->m : e - s),
					(int) (g->by_columns ? e - s : g->n), (int) g->k,
					g->alpha, a, (int) g->lda, b, (int) g->ldb,
					g->beta, c, (int) g->ldc);
	}
}

/* one block of rows: its parts, over the kernels' threads */
static void
GemmBlock(GemmCall *g)
{
	g->parts = nn_gemm_parts(g->m, g->n, g->k);
	g->by_columns = g->n >= g->m;
	if (g->parts == 1)
		GemmPart(g, 0, 1);
	else
		nn_parallel_tasks(g->parts, GemmPart, g);
}

void
nn_sgemm_blocked(int trans_a, int trans_b, size_t m, size_t n, size_t k,
				 float alpha, const float *a, size_t lda, const float *b,
				 size_t ldb, float beta, float *c, size_t ldc)
{
	double		row_cost = (double) n * k;
	size_t		rows = nn_gemm_block_rows(m, row_cost);

	for (size_t i0 = 0, i1; i0 < m; i0 = i1)
	{
		/* row i0 of op(A): row i0 of A, or its column i0 when transposed */
		GemmCall	g = {trans_a, trans_b, 0, n, k, alpha,
			trans_a ? a + i0 : a + i0 * lda, lda, b, ldb, beta, c + i0 * ldc, ldc,
		false, 1};

		i1 = nn_gemm_block_end(i0, m, rows, row_cost);
		g.m = i1 - i0;
		GemmBlock(&g);
		nn_check_interrupt();
	}
}

void
nn_sgemm_serial(int trans_a, int trans_b, size_t m, size_t n, size_t k,
				float alpha, const float *a, size_t lda, const float *b,
				size_t ldb, float beta, float *c, size_t ldc)
{
	GemmCall	g = {trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
	false, 1};

	GemmPart(&g, 0, 1);
}

void
nn_dense_forward(const float *x, const float *w, const float *b,
				 float *y, size_t batch, size_t in, size_t out)
{
	/* start from the bias in every row, then accumulate X W^T */
	for (size_t r = 0; r < batch; r++)
		memcpy(y + r * out, b, out * sizeof(float));

	/* one row: at most NN_MAX_PARAMS multiply-adds, a fraction of a second */
	if (batch == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) out, (int) in,
					1.0f, w, (int) in, x, 1, 1.0f, y, 1);
	else
		nn_sgemm_blocked(0, 1, batch, out, in, 1.0f, x, in, w, in, 1.0f, y, out);
}

NNRowProduct
nn_row_product_for_core(const char *core)
{
	return nn_blas_core_listed(core, level1_cores,
							   sizeof(level1_cores) / sizeof(level1_cores[0])) ?
		NN_ROW_LEVEL1 : NN_ROW_GEMV;
}

/*
 * The saxpy path pays off when its calls cost less than the dots: each
 * call costs about ROW_CALL_COST multiply-adds of overhead plus its length
 * (fitted to Prescott's kernels, where this path is the default: 16 x 16
 * to 1024 x 1024, 1% to 100% nonzero).
 */
#define ROW_CALL_COST 48
#define ROW_BLOCK 256

static bool
SaxpyCheaper(const float *x, size_t in, size_t out)
{
	size_t		nonzero = 0;

	for (size_t i = 0; i < in; i++)
		nonzero += x[i] != 0.0f;
	return (double) nonzero * (ROW_CALL_COST + out) <
		(double) out * (ROW_CALL_COST + in);
}

/*
 * y += x_i Wt_i over the nonzero inputs only (the weights are finite,
 * model.c, so a zero input adds nothing).  The nonzero indices of a block
 * are collected without a branch first: zeros in images and ReLU outputs
 * fall in no pattern a branch predictor could learn.
 */
static void
SaxpyNonzero(const float *x, const float *wt, float *y, size_t in, size_t out)
{
	uint32_t	idx[ROW_BLOCK];

	for (size_t i0 = 0; i0 < in; i0 += ROW_BLOCK)
	{
		size_t		n = in - i0 < ROW_BLOCK ? in - i0 : ROW_BLOCK;
		size_t		k = 0;

		for (size_t i = 0; i < n; i++)
		{
			idx[k] = (uint32_t) (i0 + i);
			k += x[i0 + i] != 0.0f;
		}
		for (size_t j = 0; j < k; j++)
			cblas_saxpy((int) out, x[idx[j]], wt + (size_t) idx[j] * out, 1, y, 1);
	}
}

void
nn_dense_forward_row(const float *x, const float *w, const float *wt,
					 const float *b, float *y, size_t in, size_t out)
{
	if (nn_row_product == NN_ROW_GEMV)
		nn_dense_forward(x, w, b, y, 1, in, out);
	else if (wt != NULL && SaxpyCheaper(x, in, out))
	{
		memcpy(y, b, out * sizeof(float));
		SaxpyNonzero(x, wt, y, in, out);
	}
	else
		for (size_t o = 0; o < out; o++)
			y[o] = b[o] + cblas_sdot((int) in, w + o * in, 1, x, 1);
}

void
nn_dense_backward(const float *x, const float *w, const float *dy,
				  float *dw, float *db, float *dx,
				  size_t batch, size_t in, size_t out)
{
	/* the input gradient alone (inference) computes no parameter gradient */
	if (dw != NULL)
	{
		/* dW (out x in) = dY^T (out x batch) X (batch x in) */
		nn_sgemm_blocked(1, 0, out, in, batch, 1.0f, dy, out, x, in, 0.0f, dw, in);

		memset(db, 0, out * sizeof(float));
		for (size_t r = 0; r < batch; r++)
		{
			const float *row = dy + r * out;

			for (size_t c = 0; c < out; c++)
				db[c] += row[c];
		}
	}

	/* dX (batch x in) = dY (batch x out) W (out x in) */
	if (dx != NULL)
		nn_sgemm_blocked(0, 0, batch, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
}
