/*
 * settings.c - module entry: the magic block, the nn.* settings with the
 * ceilings an administrator can put on them, and the interrupt hook of
 * the kernels.
 */
#include "postgres.h"

#include <cblas.h>
#include <limits.h>
#include <sched.h>

#include "fmgr.h"
#include "access/parallel.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "utils/guc.h"

#include "kernels/cpu.h"
#include "kernels/dense.h"
#include "kernels/interrupt.h"
#include "shared/shared.h"

PG_MODULE_MAGIC;

/* the largest MB value of a memory setting: no limit */
#define MEMORY_UNLIMITED (INT_MAX / 2)
#define MAX_BLAS_THREADS 64

/* nn.train_memory, in MB: rows and training workspace of one call */
int			nn_train_memory_mb = 1024;
/* nn.score_memory, in MB: workspace of one scoring call site */
int			nn_score_memory_mb = 256;
int			nn_progress_interval_ms = 1000;
/* nn.blas_core_warning: warn when OpenBLAS's kernel leaves AVX2 unused */
static bool nn_blas_core_warning = true;
/* nn.model_cache_memory, in MB: parsed stored models kept across queries */
static int	nn_model_cache_mb = 64;
/* nn.blas_threads: nn's threads for one training call; 0: as a parallel query */
static int	nn_blas_threads = 0;

/* nn.row_product: how a row scored on its own multiplies (dense.h) */
typedef enum RowProductSetting
{
	ROW_PRODUCT_AUTO,
	ROW_PRODUCT_GEMV,
	ROW_PRODUCT_LEVEL1
} RowProductSetting;

static const struct config_enum_entry row_product_options[] = {
	{"auto", ROW_PRODUCT_AUTO, false},
	{"gemv", ROW_PRODUCT_GEMV, false},
	{"level1", ROW_PRODUCT_LEVEL1, false},
	{NULL, 0, false}
};
static int	nn_row_product_setting = ROW_PRODUCT_AUTO;
/* nn.blas_core: read only, the kernel OpenBLAS chose for this CPU */
static char *nn_blas_core = NULL;

/* superuser-only ceilings on the user settings above */
static int	nn_max_memory_mb = MEMORY_UNLIMITED;
static int	nn_max_blas_threads = MAX_BLAS_THREADS;

void		_PG_init(void);

/* the kernels' interrupt hook: an ERROR here longjmps out of the kernels */
static void
KernelInterrupt(void)
{
	CHECK_FOR_INTERRUPTS();
}

/*
 * Refuse a user setting above its ceiling when someone asks for it (SET,
 * ALTER ROLE/DATABASE SET, connection options).  Values from the server's
 * own configuration and the built-in default pass: the ceiling may be
 * defined after them, and a default above it must not stop the server.
 * Whatever passes, the value in effect is capped again where it is used
 * (nn_train_budget and friends, nn_training_threads), so a ceiling lowered
 * later holds too.
 */
static bool
CheckCeiling(int newval, GucSource source, int ceiling, const char *ceiling_name,
			 const char *unit)
{
	if (newval <= ceiling || source < PGC_S_DATABASE)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("%d%s is above the ceiling %s = %d%s set by an administrator",
					 newval, unit, ceiling_name, ceiling, unit);
	GUC_check_errhint("Choose a value of at most %d%s.", ceiling, unit);
	return false;
}

static bool
CheckMemory(int *newval, void **extra, GucSource source)
{
	return CheckCeiling(*newval, source, nn_max_memory_mb, "nn.max_memory", "MB");
}

static bool
CheckBlasThreads(int *newval, void **extra, GucSource source)
{
	return CheckCeiling(*newval, source, nn_max_blas_threads, "nn.max_blas_threads", "");
}

/*
 * OpenBLAS runs on one thread: nn splits its products over its own threads
 * (kernels/parallel.h), so that the bytes do not depend on their number.
 * OpenBLAS's pthread build starts its thread pool when the library loads,
 * and a pool thread busy-waits (sched_yield) for about 2^28 cycles, 0.1 s
 * here, after it starts and after each job.  Every parallel worker loads
 * the library afresh, so during a short parallel scoring query each
 * worker's idle pool thread competed for the cores with the workers
 * themselves: the per-row query took 160-189 ms with it, 137-150 ms
 * without.  So it is stopped; the entry point is the one OpenBLAS's own
 * fork handler calls, weak because other builds (OpenMP, serial) do not
 * have it.
 */
extern int	blas_thread_shutdown_(void) __attribute__((weak));

static void
SingleThreadedBlas(void)
{
	openblas_set_num_threads(1);
	if (blas_thread_shutdown_ != NULL)
		blas_thread_shutdown_();
}

/* the CPUs this process may run on (its affinity mask), at least 1 */
static int
UsableCpus(void)
{
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	return Max(CPU_COUNT(&set), 1);
}

/*
 * The threads one training call uses (nn.blas_threads): as set, or by
 * default as many as PostgreSQL would give one parallel query (the leader
 * and max_parallel_workers_per_gather workers), at most the CPUs the
 * backend may run on; either way at most nn.max_blas_threads.  A parallel
 * worker (nn_fit in a parallel aggregate) runs on one: its siblings take
 * the other cores.  Per-row scoring runs on one thread per process, and
 * parallel query brings its parallelism (nn_batch_threads for the batch).
 */
int
nn_training_threads(void)
{
	int			threads = nn_blas_threads;

	if (IsParallelWorker())
		return 1;
	if (threads == 0)
		threads = Min(1 + max_parallel_workers_per_gather, UsableCpus());
	return Max(1, Min(threads, nn_max_blas_threads));
}

/*
 * The threads of one batch-scoring call: the window functions,
 * nn_predict_batch, nn_evaluate and training's validation pass, which score
 * blocks of rows as matrix products.  PostgreSQL cannot bring parallelism
 * to them (a WindowAgg and a single array run in one process), so they use
 * what a training call would: the same resolution, one thread in a
 * parallel worker.  The outputs are the same at any count (dense.h).
 */
int
nn_batch_threads(void)
{
	return nn_training_threads();
}

/* auto: by the kernel OpenBLAS chose for this CPU, fixed for the server's life */
static void
AssignRowProduct(int newval, void *extra)
{
	if (newval == ROW_PRODUCT_AUTO)
		nn_row_product = nn_row_product_for_core(openblas_get_corename());
	else
		nn_row_product = newval == ROW_PRODUCT_LEVEL1 ? NN_ROW_LEVEL1 : NN_ROW_GEMV;
}

/*
 * Once per backend, at its first training or large scoring call: a WARNING
 * when OpenBLAS runs a kernel without AVX2 code on a CPU that has AVX2 or
 * AVX-512 (cpu.h), naming the kernel, the CPU's instruction sets and the
 * OPENBLAS_CORETYPE that fixes it.
 */
void
nn_blas_core_check(void)
{
	static bool checked = false;
	const char *core = openblas_get_corename();
	NNCpuFeatures f;
	const char *advice;
	char		flags[64];

	if (checked || !nn_blas_core_warning)
		return;
	checked = true;
	f = nn_cpu_features();
	advice = nn_blas_core_advice(core, f);
	if (advice == NULL)
		return;
	ereport(WARNING,
			(errmsg("OpenBLAS runs its \"%s\" kernel, which has no AVX2 code, on a CPU with %s",
					core, nn_cpu_features_text(f, flags, sizeof(flags))),
			 errdetail("Matrix products, so training and batch scoring, run 2-4x slower than the CPU allows."),
			 errhint("Set OPENBLAS_CORETYPE=%s in the server's environment (on Debian, add the line "
					 "OPENBLAS_CORETYPE = '%s' to /etc/postgresql/15/<cluster>/environment and restart "
					 "the cluster), or turn this warning off with nn.blas_core_warning = off.",
					 advice, advice)));
}

static NNBudget
Budget(int user_mb, const char *user_setting)
{
	NNBudget	b;

	b.capped = user_mb > nn_max_memory_mb;
	b.mb = b.capped ? nn_max_memory_mb : user_mb;
	b.bytes = (Size) b.mb * 1024 * 1024;
	b.setting = b.capped ? "nn.max_memory" : user_setting;
	b.user_setting = user_setting;
	return b;
}

NNBudget
nn_train_budget(void)
{
	return Budget(nn_train_memory_mb, "nn.train_memory");
}

NNBudget
nn_score_budget(void)
{
	return Budget(nn_score_memory_mb, "nn.score_memory");
}

NNBudget
nn_model_cache_budget(void)
{
	return Budget(nn_model_cache_mb, "nn.model_cache_memory");
}

int
nn_budget_hint(const NNBudget *b, const char *lower)
{
	if (b->capped)
		return errhint("%s; nn.max_memory, set by an administrator, caps %s.",
					   lower, b->user_setting);
	return errhint("%s, or raise %s.", lower, b->setting);
}

void
nn_budget_check(const NNBudget *b, double bytes, const char *what,
				const char *lower)
{
	double		mb = bytes / (1024.0 * 1024.0);

	if (bytes > (double) b->bytes)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s needs %.0f MB, more than %s (%d MB)",
						what, Max(mb, 1.0), b->setting, b->mb),
				 nn_budget_hint(b, lower)));
}

void
_PG_init(void)
{
	/* the ceilings first, so the settings they cap see their values */
	DefineCustomIntVariable("nn.max_memory",
							"Ceiling on nn.train_memory, nn.score_memory and nn.model_cache_memory.",
							"Only superusers can change it.",
							&nn_max_memory_mb,
							MEMORY_UNLIMITED, 1, MEMORY_UNLIMITED,
							PGC_SUSET, GUC_UNIT_MB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("nn.max_blas_threads",
							"Ceiling on nn.blas_threads.",
							"Only superusers can change it.",
							&nn_max_blas_threads,
							MAX_BLAS_THREADS, 1, MAX_BLAS_THREADS,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("nn.train_memory",
							"Memory nn_train may use to hold training rows and a minibatch's workspace.",
							"Rows are kept as float32 between epochs; beyond this they stream in chunks.",
							&nn_train_memory_mb,
							1024, 1, MEMORY_UNLIMITED,
							PGC_USERSET, GUC_UNIT_MB,
							CheckMemory, NULL, NULL);
	DefineCustomIntVariable("nn.score_memory",
							"Workspace one scoring function call site may use.",
							"nn_predict_batch runs 256 rows at a time through every layer.",
							&nn_score_memory_mb,
							256, 1, MEMORY_UNLIMITED,
							PGC_USERSET, GUC_UNIT_MB,
							CheckMemory, NULL, NULL);

	DefineCustomIntVariable("nn.model_cache_memory",
							"Memory a backend may keep parsed stored models in, across queries; 0 keeps none.",
							"A model stored in a table is parsed once per backend instead of once per query; the least recently used goes first.",
							&nn_model_cache_mb,
							64, 0, MEMORY_UNLIMITED,
							PGC_USERSET, GUC_UNIT_MB,
							CheckMemory, NULL, NULL);

	/*
	 * 0, the default, resolves per training call (nn_training_threads).
	 * nn's threads take a product's parts from a shared counter, so a
	 * thread that another process holds off its core leaves its parts to
	 * the others rather than holding up the call.
	 */
	DefineCustomIntVariable("nn.blas_threads",
							"Threads one training or batch-scoring call uses for its matrix products and loops; 0 = as many as one parallel query gets.",
							"0 resolves to 1 + max_parallel_workers_per_gather, at most the CPUs the backend may run on and nn.max_blas_threads. Batch scoring (window functions, nn_predict_batch, nn_evaluate) uses the same; per-row scoring runs on one thread per process.",
							&nn_blas_threads,
							0, 0, MAX_BLAS_THREADS,
							PGC_USERSET, 0,
							CheckBlasThreads, NULL, NULL);
	DefineCustomStringVariable("nn.blas_core",
							   "The CPU kernel OpenBLAS chose (read only).",
							   "OPENBLAS_CORETYPE in the server's environment selects it; otherwise OpenBLAS detects the CPU.",
							   &nn_blas_core,
							   openblas_get_corename(),
							   PGC_INTERNAL, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("nn.blas_core_warning",
							 "Warn once per backend when OpenBLAS's kernel leaves the CPU's AVX2 or AVX-512 unused.",
							 "The warning names the kernel (nn.blas_core), the CPU's instruction sets and the OPENBLAS_CORETYPE that fixes it.",
							 &nn_blas_core_warning,
							 true,
							 PGC_USERSET, 0,
							 NULL, NULL, NULL);
	DefineCustomEnumVariable("nn.row_product",
							 "How a row scored on its own is multiplied: gemv (one sgemv per layer) or level1 (sdot per output, or saxpy per nonzero input).",
							 "auto picks by the CPU kernel OpenBLAS chose: level1 for its older SSE kernels (Prescott, Core2 and the like), gemv otherwise.",
							 &nn_row_product_setting,
							 ROW_PRODUCT_AUTO, row_product_options,
							 PGC_USERSET, 0,
							 NULL, AssignRowProduct, NULL);
	DefineCustomIntVariable("nn.progress_interval",
							"Least time between two reports of the rows trained within an epoch, in nn_progress.",
							"Rows are counted every 1,024; 0 reports each of those counts.",
							&nn_progress_interval_ms,
							1000, 0, 3600 * 1000,
							PGC_USERSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	SingleThreadedBlas();
	MarkGUCPrefixReserved("nn");
	nn_interrupt_hook = KernelInterrupt;
}
