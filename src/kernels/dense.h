/*
 * dense.h - fully connected layer over a minibatch, with cblas_sgemm.
 * Weights W are out x in, row-major; inputs X are batch x in; outputs
 * Y = X W^T + b are batch x out.
 */
#ifndef NN_DENSE_H
#define NN_DENSE_H

#include <stddef.h>

/*
 * Every matrix product of the kernels goes through nn_sgemm_blocked, with
 * OpenBLAS on one thread: nn splits the products over its own threads
 * (parallel.h), in a way fixed by the shapes alone, so that a model has
 * the same bytes at any thread count.  (OpenBLAS's threads divide a call
 * by their number, and 2 threads gave other bytes than 1 for 7-48% of the
 * outputs at the shapes tried; at batch-128 sizes they also spent a fifth
 * of an epoch handing work to each other.)
 *
 * Large products are first cut into blocks of output rows, each about
 * NN_GEMM_BLOCK_MNK multiply-adds (m n k, about 100 MFLOP: milliseconds),
 * with an interrupt check (interrupt.h) after each, so that a cancel is
 * seen quickly.  Row blocks start at multiples of NN_GEMM_ALIGN, a
 * multiple of every x86 sgemm kernel's row unroll (4 to 24), and none
 * costs less than NN_GEMM_MIN_MNK (OpenBLAS's small-matrix kernels, below
 * about 7.3 M multiply-adds, sum in another order), so a block gives the
 * bytes the same rows give in one call.  A block therefore costs at most
 * NN_GEMM_BLOCK_MNK + NN_GEMM_ALIGN rows + NN_GEMM_MIN_MNK (rows are
 * rounded up to the alignment, and the last block takes a cheap
 * remainder).
 *
 * Each block is then cut into nn_gemm_parts parts (1 or NN_GEMM_MAX_PARTS,
 * 2: none under NN_GEMM_PART_MNK multiply-adds) along the longer of its
 * output's sides, at a multiple of NN_GEMM_PART_ALIGN (a cache line of
 * floats, so that two threads never write one line), one cblas_sgemm
 * each, taken by whichever thread is free.  Each part packs the other
 * operand whole, so more parts cost more packing: at the batch-128
 * products of a 784-256-128-10 network, 4 and 8 parts ran 5-9% slower
 * than one call on one thread and no faster than 2 on two, where 2 parts
 * matched OpenBLAS's own 2 threads (measured).  A part's bytes depend only
 * on its inputs, so the plan, not the threads, decides the result; but
 * parts need not give the bytes of one whole call (OpenBLAS's Haswell
 * kernels round a column differently by where a call's columns start;
 * measured), so this plan is part of what a model's bytes are.
 */
#define NN_GEMM_BLOCK_MNK ((double) (48 * 1024 * 1024))
#define NN_GEMM_MIN_MNK (NN_GEMM_BLOCK_MNK / 4)
#define NN_GEMM_ALIGN 192
#define NN_GEMM_PART_MNK ((double) (1024 * 1024))
#define NN_GEMM_MAX_PARTS 2
#define NN_GEMM_PART_ALIGN 16

/* the parts of an m x n x k product (or block): 1 or 2 */
size_t		nn_gemm_parts(size_t m, size_t n, size_t k);

/* where part p of parts starts along a side of extent values (p = parts: extent) */
size_t		nn_gemm_part_start(size_t extent, size_t parts, size_t p);

/*
 * Rows per block of a product with m rows, each costing row_cost
 * multiply-adds: m when the whole product is one block.
 */
size_t		nn_gemm_block_rows(size_t m, double row_cost);

/*
 * End of the block that starts at row start: start + rows, or m when the
 * rows left after it would cost less than NN_GEMM_MIN_MNK (the last block
 * takes them).
 */
size_t		nn_gemm_block_end(size_t start, size_t m, size_t rows,
							  double row_cost);

/*
 * C = alpha op(A) op(B) + beta C, row-major, m x n over k: in row blocks
 * with interrupt checks, each in parts over the kernels' threads.
 */
void		nn_sgemm_blocked(int trans_a, int trans_b, size_t m, size_t n,
							 size_t k, float alpha, const float *a, size_t lda,
							 const float *b, size_t ldb, float beta, float *c,
							 size_t ldc);

/*
 * The same product as one cblas_sgemm on the calling thread, with no
 * interrupt check: for a part of parallel work (parallel.h) that owns its
 * product, such as one image of a convolution.
 */
void		nn_sgemm_serial(int trans_a, int trans_b, size_t m, size_t n,
							size_t k, float alpha, const float *a, size_t lda,
							const float *b, size_t ldb, float beta, float *c,
							size_t ldc);

void		nn_dense_forward(const float *x, const float *w, const float *b,
							 float *y, size_t batch, size_t in, size_t out);

/*
 * How one row's product y = W x + b is computed when a row is scored on
 * its own.  NN_ROW_GEMV: one cblas_sgemv.  NN_ROW_LEVEL1: OpenBLAS's
 * level-1 routines, one cblas_sdot per output, or, when the row has
 * enough zeros (ReLU outputs and many images and one-hot encodings do),
 * one cblas_saxpy per nonzero input over the transposed weights.
 *
 * Which is faster depends on the kernel OpenBLAS picked for the CPU.
 * Measured on one machine, 784 x 256, one thread: with the older SSE
 * kernels (Prescott, Core2, Penryn, Dunnington, Atom, Opteron,
 * Opteron_SSE3, Barcelona, Nano) sgemv takes 54-89 us and the dots 21-38
 * us; with Nehalem and later kernels sgemv takes 12-25 us and the dots
 * 18-28 us.  The paths sum in different orders, so they may differ in the
 * last bits; the choice is the caller's (nn.row_product), and a minibatch
 * never uses it.
 */
typedef enum NNRowProduct
{
	NN_ROW_GEMV,
	NN_ROW_LEVEL1
} NNRowProduct;

/* the row product nn_dense_forward_row uses (default NN_ROW_GEMV) */
extern NNRowProduct nn_row_product;

/* the row product that suits an OpenBLAS kernel, by its core name */
NNRowProduct nn_row_product_for_core(const char *core);

/*
 * y = W x + b for a single row x (in) into y (out).  wt is W transposed
 * (in x out), or NULL, which rules out the saxpy path.
 */
void		nn_dense_forward_row(const float *x, const float *w, const float *wt,
								 const float *b, float *y, size_t in, size_t out);

/*
 * Given dy (batch x out): dw = dy^T x, db = column sums of dy (both
 * overwritten; neither when dw is NULL, and then x is not read), and
 * dx = dy W when dx is not NULL.
 */
void		nn_dense_backward(const float *x, const float *w, const float *dy,
							  float *dw, float *db, float *dx,
							  size_t batch, size_t in, size_t out);

#endif
