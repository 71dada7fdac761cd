/*
 * nn.c - module entry: the magic block and the nn.* settings.
 */
#include "postgres.h"

#include <cblas.h>
#include <limits.h>

#include "fmgr.h"
#include "utils/guc.h"

#include "nn.h"

PG_MODULE_MAGIC;

/* nn.blas_threads: OpenBLAS threads a backend's matrix products may use */
static int	nn_blas_threads = 1;

void		_PG_init(void);

static void
AssignBlasThreads(int newval, void *extra)
{
	openblas_set_num_threads(newval);
}

void
_PG_init(void)
{
	DefineCustomIntVariable("nn.train_memory",
							"Memory nn_train may use to hold training rows.",
							"Rows are kept as float32 between epochs; beyond this, nn_train fails.",
							&nn_train_memory_mb,
							1024, 1, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	/*
	 * One thread by default: a server runs many backends, and at minibatch
	 * sizes OpenBLAS's threads spin (sched_yield) waiting for each other.
	 * On an idle 2-core machine two threads made a Fashion-MNIST epoch 1.35x
	 * faster; with another process busy on the cores they made it 2.4x
	 * slower.  Results are the same bytes either way.
	 */
	DefineCustomIntVariable("nn.blas_threads",
							"OpenBLAS threads used by this backend's matrix products.",
							NULL,
							&nn_blas_threads,
							1, 1, 64,
							PGC_USERSET, 0,
							NULL, AssignBlasThreads, NULL);
	MarkGUCPrefixReserved("nn");
}
