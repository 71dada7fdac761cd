/*
 * parallel.h - a loop split over threads, for the kernels' work that is
 * not a matrix product (lowering patches, pooling, moving pieces): OpenBLAS
 * runs its products on nn.blas_threads threads, and with nothing else
 * split, two threads would leave half of a convolutional step on one.
 *
 * The split is fixed by the count alone and each part writes its own
 * outputs, computed the same way whichever part computes them, so the
 * results, and with them the model bytes, do not depend on the number of
 * threads.  Parts run no interrupt check (the hook may longjmp, and only
 * the calling thread may); the caller checks between calls.
 */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include <stddef.h>

/* one part of a loop: indexes begin .. end - 1 */
typedef void (*NNRangeFn) (void *arg, size_t begin, size_t end);

/* threads for the loops (the server keeps it equal to nn.blas_threads) */
void		nn_set_kernel_threads(int threads);
int			nn_kernel_threads(void);

/*
 * fn over [0, n) in contiguous parts, one per thread but none smaller
 * than min_part indexes; the caller runs the first part itself.  When a
 * thread cannot be started its part runs on the caller: the same result.
 */
void		nn_parallel_for(size_t n, size_t min_part, NNRangeFn fn, void *arg);

/*
 * The fewest values of work worth a thread of their own: starting and
 * joining one costs some tens of microseconds, which a part must repay.
 */
#define NN_PARALLEL_MIN_WORK (256 * 1024)

/* the min_part for indexes of per values of work each */
size_t		nn_parallel_min_part(size_t per);

/*
 * For the unit tests only: a smaller minimum (0: the default), so that
 * small cases are split too.
 */
void		nn_set_parallel_min_work(size_t values);

#endif
