/*
 * parallel.h - the kernels' threads: loops and matrix products split over
 * nn's own threads (a pool, parallel.c), with OpenBLAS itself on one
 * thread.
 *
 * Every split is fixed by the sizes alone (a product's parts: dense.c) or
 * by work whose result does not depend on it (each part writes its own
 * outputs, computed the same way whichever part or thread computes them),
 * so the results, and with them the model bytes, are the same at any
 * number of threads.  Parts run no interrupt check (the hook may longjmp,
 * and only the calling thread may); the caller checks between calls.
 */
#ifndef NN_PARALLEL_H
#define NN_PARALLEL_H

#include <stddef.h>

/* one part of a loop: indexes begin .. end - 1 */
typedef void (*NNRangeFn) (void *arg, size_t begin, size_t end);

/* threads for the loops and products (the server sets it: nn.blas_threads) */
void		nn_set_kernel_threads(int threads);
int			nn_kernel_threads(void);

/*
 * fn over [0, n) in contiguous parts, one per thread but none smaller
 * than min_part indexes; the caller takes parts too.  When a thread
 * cannot be started its part runs on another: the same result.
 */
void		nn_parallel_for(size_t n, size_t min_part, NNRangeFn fn, void *arg);

/*
 * fn(arg, t, t + 1) for each task t of [0, n_tasks), spread over the
 * threads; the tasks must write disjoint outputs.
 */
void		nn_parallel_tasks(size_t n_tasks, NNRangeFn fn, void *arg);

/*
 * The fewest values of work worth a thread of their own: handing a part
 * to a worker and waiting for it costs microseconds, which it must repay.
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
