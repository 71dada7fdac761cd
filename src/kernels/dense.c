/*
 * dense.c - fully connected layer with OpenBLAS, large products in blocks.
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "dense.h"
#include "interrupt.h"

void		(*nn_interrupt_hook) (void) = NULL;
int			nn_gemm_threads = 1;

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

void
nn_sgemm_blocked(int trans_a, int trans_b, size_t m, size_t n, size_t k,
				 float alpha, const float *a, size_t lda, const float *b,
				 size_t ldb, float beta, float *c, size_t ldc)
{
	double		row_cost = (double) n * k;
	size_t		rows = nn_gemm_block_rows(m, row_cost);

	for (size_t i0 = 0, i1; i0 < m; i0 = i1)
	{
		i1 = nn_gemm_block_end(i0, m, rows, row_cost);
		/* row i0 of op(A): row i0 of A, or its column i0 when transposed */
		cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
					trans_b ? CblasTrans : CblasNoTrans,
					(int) (i1 - i0), (int) n, (int) k, alpha,
					trans_a ? a + i0 : a + i0 * lda, (int) lda, b, (int) ldb,
					beta, c + i0 * ldc, (int) ldc);
		nn_check_interrupt();
	}
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

void
nn_dense_backward(const float *x, const float *w, const float *dy,
				  float *dw, float *db, float *dx,
				  size_t batch, size_t in, size_t out)
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

	/* dX (batch x in) = dY (batch x out) W (out x in) */
	if (dx != NULL)
		nn_sgemm_blocked(0, 0, batch, in, out, 1.0f, dy, out, w, in, 0.0f, dx, in);
}
