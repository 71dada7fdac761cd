/*
 * dense.h - fully connected layer over a minibatch, with cblas_sgemm.
 * Weights W are out x in, row-major; inputs X are batch x in; outputs
 * Y = X W^T + b are batch x out.
 */
#ifndef NN_DENSE_H
#define NN_DENSE_H

#include <stddef.h>

void		nn_dense_forward(const float *x, const float *w, const float *b,
							 float *y, size_t batch, size_t in, size_t out);

/*
 * Given dy (batch x out): dw = dy^T x, db = column sums of dy (both
 * overwritten), and dx = dy W when dx is not NULL.
 */
void		nn_dense_backward(const float *x, const float *w, const float *dy,
							  float *dw, float *db, float *dx,
							  size_t batch, size_t in, size_t out);

#endif
