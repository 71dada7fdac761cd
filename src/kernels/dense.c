/*
 * dense.c - fully connected layer with OpenBLAS.
 */
#include <cblas.h>
#include <string.h>

#include "dense.h"

void
nn_dense_forward(const float *x, const float *w, const float *b,
				 float *y, size_t batch, size_t in, size_t out)
{
	/* start from the bias in every row, then accumulate X W^T */
	for (size_t r = 0; r < batch; r++)
		memcpy(y + r * out, b, out * sizeof(float));

	if (batch == 1)
		cblas_sgemv(CblasRowMajor, CblasNoTrans, (int) out, (int) in,
					1.0f, w, (int) in, x, 1, 1.0f, y, 1);
	else
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
					(int) batch, (int) out, (int) in,
					1.0f, x, (int) in, w, (int) in, 1.0f, y, (int) out);
}

void
nn_dense_backward(const float *x, const float *w, const float *dy,
				  float *dw, float *db, float *dx,
				  size_t batch, size_t in, size_t out)
{
	/* dW (out x in) = dY^T (out x batch) X (batch x in) */
	cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans,
				(int) out, (int) in, (int) batch,
				1.0f, dy, (int) out, x, (int) in, 0.0f, dw, (int) in);

	memset(db, 0, out * sizeof(float));
	for (size_t r = 0; r < batch; r++)
	{
		const float *row = dy + r * out;

		for (size_t c = 0; c < out; c++)
			db[c] += row[c];
	}

	/* dX (batch x in) = dY (batch x out) W (out x in) */
	if (dx != NULL)
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
					(int) batch, (int) in, (int) out,
					1.0f, dy, (int) out, w, (int) in, 0.0f, dx, (int) in);
}
