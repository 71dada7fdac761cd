/*
 * parallel.c - nn_parallel_for (parallel.h): a thread per part, started
 * and joined in each call.  A step calls it a dozen times, and starting a
 * thread costs some tens of microseconds, well under a percent of a
 * convolutional step; nothing outlives the call, so nothing needs
 * stopping when the backend exits or forks.
 *
 * The threads start with every signal blocked: PostgreSQL's handlers
 * (cancel, terminate, latch wake-ups) must run on the backend's own
 * thread, which is the one that checks for interrupts.
 */
/* pthread_sigmask is POSIX, which the C tests' -std=c11 leaves out */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>

#include "parallel.h"

#define NN_MAX_KERNEL_THREADS 64

static int	kernel_threads = 1;

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

typedef struct Part
{
	NNRangeFn	fn;
	void	   *arg;
	size_t		begin;
	size_t		end;
} Part;

static void *
RunPart(void *p)
{
	Part	   *part = p;

	part->fn(part->arg, part->begin, part->end);
	return NULL;
}

void
nn_parallel_for(size_t n, size_t min_part, NNRangeFn fn, void *arg)
{
	size_t		parts = (size_t) kernel_threads;
	Part		part[NN_MAX_KERNEL_THREADS];
	pthread_t	thread[NN_MAX_KERNEL_THREADS];
	bool		started[NN_MAX_KERNEL_THREADS] = {false};
	sigset_t	all,
				old;

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
	for (size_t i = 0; i < parts; i++)
		part[i] = (Part) {fn, arg, n * i / parts, n * (i + 1) / parts};
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (size_t i = 1; i < parts; i++)
		started[i] = pthread_create(&thread[i], NULL, RunPart, &part[i]) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	RunPart(&part[0]);
	for (size_t i = 1; i < parts; i++)
	{
		if (started[i])
			pthread_join(thread[i], NULL);
		else
			RunPart(&part[i]);
	}
}
