/*
 * parallel.c - the kernels' threads (parallel.h): a pool of workers,
 * started on first use and kept for the life of the process, that run the
 * parts of one call at a time beside the calling thread.
 *
 * A training step hands out work some dozens of times per minibatch, a
 * few hundred microseconds apart: starting a thread per call (tens of
 * microseconds each) cost more than the parts saved at the MLP's product
 * sizes, and OpenBLAS's own pool spent a fifth of a 2-thread epoch in
 * sched_yield.  So a worker waits for the next call by spinning on a
 * counter with the CPU's pause instruction for a while (NN_POOL_SPIN_NS),
 * and only then sleeps on a condition variable.
 *
 * Every started worker takes part in every call (those beyond the call's
 * thread count, started for an earlier call with more, just say they are
 * done), and the caller returns only when all have: so no worker can
 * still be reading one call's description when the next is written.
 * Workers are never stopped; an idle one sleeps.
 * Parts are taken from a shared counter, in any order, by any thread; what
 * a part computes does not depend on who runs it.
 *
 * The workers run with every signal blocked: PostgreSQL's handlers
 * (cancel, terminate, latch wake-ups) must run on the backend's own
 * thread, which is the one that checks for interrupts.  Nothing starts a
 * worker before the first call with more than one thread, so a postmaster
 * that loads nn (shared_preload_libraries) forks its backends without
 * threads.
 */
/* pthread_sigmask and clock_gettime are POSIX, which -std=c11 leaves out */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "parallel.h"

#define NN_MAX_KERNEL_THREADS 64

/* how long an idle worker spins before it sleeps */
#define NN_POOL_SPIN_NS 200000

static int	kernel_threads = 1;

/* one call's work: parts 0 .. n_parts - 1 of fn */
typedef struct PoolJob
{
	NNRangeFn	fn;
	void	   *arg;
	size_t		n;				/* indexes */
	size_t		n_parts;		/* contiguous, even ranges of them */
	bool		tasks;			/* n_parts == n: part p is index p alone */
	int			threads;		/* the caller and workers 1 .. threads - 1 */
} PoolJob;

typedef struct Pool
{
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t	thread[NN_MAX_KERNEL_THREADS];
	uint64_t	born[NN_MAX_KERNEL_THREADS];	/* generation at each start */
	int			started;		/* workers 1 .. started are running */
	atomic_uint_fast64_t generation;	/* bumped by each call */
	atomic_int	remaining;		/* workers yet to finish this call */
	atomic_int	sleeping;		/* workers blocked on wake */
	atomic_size_t next_part;
	PoolJob		job;
} Pool;

static Pool pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

static inline void
CpuRelax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static uint64_t
NowNs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t) t.tv_sec * 1000000000u + (uint64_t) t.tv_nsec;
}

/* part p of the call: its index range */
static void
RunPart(const PoolJob *job, size_t p)
{
	if (job->tasks)
		job->fn(job->arg, p, p + 1);
	else
		job->fn(job->arg, job->n * p / job->n_parts, job->n * (p + 1) / job->n_parts);
}

/*
 * Set on a thread while it runs a pooled call's parts: a part that itself
 * asks for parallel work (a layer's per-image task calling a helper that
 * splits) gets it run in place, since the pool serves one call at a time.
 */
static _Thread_local bool in_part;

/* take parts until none is left */
static void
TakeParts(void)
{
	size_t		p;

	in_part = true;
	while ((p = atomic_fetch_add(&pool.next_part, 1)) < pool.job.n_parts)
		RunPart(&pool.job, p);
	in_part = false;
}

/* wait for a generation other than seen: spin, then sleep */
static uint64_t
AwaitCall(uint64_t seen)
{
	uint64_t	start = NowNs();
	uint64_t	g;

	for (int i = 0;; i++)
	{
		g = atomic_load(&pool.generation);
		if (g != seen)
			return g;
		CpuRelax();
		if ((i & 255) == 255 && NowNs() - start > NN_POOL_SPIN_NS)
			break;
	}
	pthread_mutex_lock(&pool.lock);
	atomic_fetch_add(&pool.sleeping, 1);
	while ((g = atomic_load(&pool.generation)) == seen)
		pthread_cond_wait(&pool.wake, &pool.lock);
	atomic_fetch_sub(&pool.sleeping, 1);
	pthread_mutex_unlock(&pool.lock);
	return g;
}

static void *
Worker(void *arg)
{
	int			index = (int) (intptr_t) arg;
	/* the generation before the caller's next call, which this one must join */
	uint64_t	seen = pool.born[index];

	for (;;)
	{
		seen = AwaitCall(seen);
		/* a worker beyond this call's thread count only says it is done */
		if (index < pool.job.threads)
			TakeParts();
		atomic_fetch_sub(&pool.remaining, 1);
	}
	return NULL;				/* not reached: workers live as long as the process */
}

/* publish the call held in pool.job to every started worker */
static void
Publish(void)
{
	atomic_store(&pool.next_part, 0);
	atomic_store(&pool.remaining, pool.started);
	atomic_fetch_add(&pool.generation, 1);
	if (atomic_load(&pool.sleeping) > 0)
	{
		pthread_mutex_lock(&pool.lock);
		pthread_cond_broadcast(&pool.wake);
		pthread_mutex_unlock(&pool.lock);
	}
}

static void
AwaitWorkers(void)
{
	for (int i = 0; atomic_load(&pool.remaining) > 0; i++)
	{
		CpuRelax();
		/* a worker the scheduler took off its core: give it ours */
		if ((i & 4095) == 4095)
			sched_yield();
	}
}

/* workers 1 .. wanted - 1; as many as could be started */
static void
StartWorkers(int wanted)
{
	sigset_t	all,
				old;

	if (pool.started >= wanted - 1)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (pool.started < wanted - 1)
	{
		int			index = pool.started + 1;

		pool.born[index] = atomic_load(&pool.generation);
		if (pthread_create(&pool.thread[index], NULL, Worker,
						   (void *) (intptr_t) index) != 0)
			break;
		pool.started = index;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
nn_set_kernel_threads(int threads)
{
	kernel_threads = threads < 1 ? 1 :
		(threads > NN_MAX_KERNEL_THREADS ? NN_MAX_KERNEL_THREADS : threads);
}

int
nn_kernel_threads(void)
{
	return kernel_threads;
}

static size_t min_work = NN_PARALLEL_MIN_WORK;

void
nn_set_parallel_min_work(size_t values)
{
	min_work = values > 0 && values < NN_PARALLEL_MIN_WORK ? values : NN_PARALLEL_MIN_WORK;
}

size_t
nn_parallel_min_part(size_t per)
{
	if (per == 0)
		per = 1;
	return per >= min_work ? 1 : (min_work + per - 1) / per;
}

/* run job's parts on the caller and the workers; sequentially on one thread */
static void
Run(PoolJob job)
{
	if (kernel_threads > 1 && job.n_parts > 1 && !in_part)
		StartWorkers(kernel_threads);
	if (kernel_threads == 1 || job.n_parts <= 1 || pool.started == 0 || in_part)
	{
		for (size_t p = 0; p < job.n_parts; p++)
			RunPart(&job, p);
		return;
	}
	pool.job = job;
	Publish();
	TakeParts();
	AwaitWorkers();
}

void
nn_parallel_for(size_t n, size_t min_part, NNRangeFn fn, void *arg)
{
	size_t		parts = (size_t) kernel_threads;

	if (min_part < 1)
		min_part = 1;
	if (parts > n / min_part)
		parts = n / min_part;
	if (parts <= 1)
	{
		if (n > 0)
			fn(arg, 0, n);
		return;
	}
	Run((PoolJob) {fn, arg, n, parts, false, kernel_threads});
}

void
nn_parallel_tasks(size_t n_tasks, NNRangeFn fn, void *arg)
{
	Run((PoolJob) {fn, arg, n_tasks, n_tasks, true, kernel_threads});
}
