/*
 * harness.h - a tiny test harness for the kernel unit tests.
 *
 * A test binary is a set of cases run with RUN_TEST(fn); each case makes
 * any number of CHECKs.  A case passes when all its checks pass.  main()
 * ends with `return harness_finish("test_name");`, which prints
 *
 *     RESULT <cases passed> <cases failed> <checks> <checks failed>
 *
 * (parsed by run.sh) and exits non-zero on any failure.  Everything here is
 * static inline so a test file that uses only part of it still builds
 * with -Wall -Wextra -Werror.
 */
#ifndef NN_TEST_HARNESS_H
#define NN_TEST_HARNESS_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

/* at most this many failure messages are printed per case */
#define HARNESS_MAX_REPORTS 12

typedef struct HarnessState
{
	int			cases_passed;
	int			cases_failed;
	long		checks;
	long		checks_failed;
	const char *case_name;
	int			case_failures;	/* failed checks in the running case */
} HarnessState;

static HarnessState harness;

static inline void
harness_vreport(const char *file, int line, const char *fmt, va_list ap)
{
	if (harness.case_failures > HARNESS_MAX_REPORTS)
		return;
	if (harness.case_failures == HARNESS_MAX_REPORTS)
	{
		printf("    FAIL %s: further failures not shown\n",
			   harness.case_name ? harness.case_name : "(no case)");
		return;
	}
	printf("    FAIL %s: %s:%d: ",
		   harness.case_name ? harness.case_name : "(no case)", file, line);
	vprintf(fmt, ap);
	putchar('\n');
}

/* Records one check; returns ok so callers can add context on failure. */
static inline bool harness_check(bool ok, const char *file, int line,
								 const char *fmt,...)
			__attribute__((format(printf, 4, 5)));

static inline bool
harness_check(bool ok, const char *file, int line, const char *fmt, ...)
{
	harness.checks++;
	if (!ok)
	{
		va_list		ap;

		va_start(ap, fmt);
		harness_vreport(file, line, fmt, ap);
		va_end(ap);
		harness.checks_failed++;
		harness.case_failures++;
	}
	return ok;
}

/* |a - e| <= atol + rtol * max(|a|, |e|); NaN never passes */
static inline bool
harness_close(double actual, double expected, double atol, double rtol)
{
	double		scale = fmax(fabs(actual), fabs(expected));

	return fabs(actual - expected) <= atol + rtol * scale;
}

#define CHECK(cond) \
	harness_check((cond), __FILE__, __LINE__, "%s", #cond)

#define CHECK_MSG(cond, ...) \
	harness_check((cond), __FILE__, __LINE__, __VA_ARGS__)

#define CHECK_CLOSE(actual, expected, atol, rtol) \
	do { \
		double		h_a_ = (double) (actual); \
		double		h_e_ = (double) (expected); \
		harness_check(harness_close(h_a_, h_e_, (atol), (rtol)), \
					  __FILE__, __LINE__, \
					  "%s = %.9g, expected %s = %.9g (atol %g, rtol %g)", \
					  #actual, h_a_, #expected, h_e_, \
					  (double) (atol), (double) (rtol)); \
	} while (0)

#define CHECK_EQ_INT(actual, expected) \
	do { \
		long long	h_a_ = (long long) (actual); \
		long long	h_e_ = (long long) (expected); \
		harness_check(h_a_ == h_e_, __FILE__, __LINE__, \
					  "%s = %lld, expected %lld", #actual, h_a_, h_e_); \
	} while (0)

static inline void
harness_run(const char *name, void (*fn) (void))
{
	harness.case_name = name;
	harness.case_failures = 0;
	fn();
	if (harness.case_failures == 0)
		harness.cases_passed++;
	else
	{
		harness.cases_failed++;
		printf("  FAILED %s (%d failed checks)\n", name, harness.case_failures);
	}
	fflush(stdout);
	harness.case_name = NULL;
}

#define RUN_TEST(fn) harness_run(#fn, fn)

static inline int
harness_finish(const char *prog)
{
	printf("%s: %d cases passed, %d failed (%ld checks, %ld failed)\n",
		   prog, harness.cases_passed, harness.cases_failed,
		   harness.checks, harness.checks_failed);
	printf("RESULT %d %d %ld %ld\n", harness.cases_passed,
		   harness.cases_failed, harness.checks, harness.checks_failed);
	fflush(stdout);
	return harness.cases_failed == 0 && harness.checks_failed == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ helpers */

/* NN_TEST_VERBOSE=1 prints margins (gradient-check errors, losses) */
static inline bool
harness_verbose(void)
{
	const char *v = getenv("NN_TEST_VERBOSE");

	return v != NULL && v[0] != '\0' && strcmp(v, "0") != 0;
}

static inline void *
xcalloc(size_t n, size_t size)
{
	void	   *p = calloc(n ? n : 1, size);

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(2);
	}
	return p;
}

/* fill with uniform values in [lo, hi) */
static inline void
fill_uniform(NNRng *rng, float *v, size_t n, double lo, double hi)
{
	for (size_t i = 0; i < n; i++)
		v[i] = (float) (lo + (hi - lo) * nn_rng_uniform(rng));
}

/*
 * Compare an analytic gradient with a numerical one.  Two criteria, both
 * required:
 *   - element-wise: |a - n| <= atol + rtol * max(|a|, |n|);
 *   - overall: ||a - n|| <= rtol * max(||a||, ||n||), which catches a wrong
 *     factor or sign even when many components are small.
 * It also requires ||n|| >= min_norm, so that a check on an all-zero
 * gradient (where anything "matches") fails loudly instead of passing
 * vacuously.  Returns the overall relative error.
 */
static inline double
harness_grad_check(const char *file, int line, const char *what,
				   const double *analytic, const double *numeric, size_t n,
				   double atol, double rtol, double min_norm)
{
	double		diff2 = 0.0,
				a2 = 0.0,
				n2 = 0.0,
				rel;
	size_t		bad = 0;

	for (size_t i = 0; i < n; i++)
	{
		double		d = analytic[i] - numeric[i];

		diff2 += d * d;
		a2 += analytic[i] * analytic[i];
		n2 += numeric[i] * numeric[i];
		if (!harness_close(analytic[i], numeric[i], atol, rtol))
		{
			if (bad < 4)
				harness_check(false, file, line,
							  "%s[%zu]: analytic %.9g, numeric %.9g",
							  what, i, analytic[i], numeric[i]);
			bad++;
		}
		else
			harness.checks++;
	}
	if (bad > 4)
		harness_check(false, file, line, "%s: %zu of %zu elements differ",
					  what, bad, n);
	rel = sqrt(diff2) / fmax(sqrt(fmax(a2, n2)), 1e-300);
	if (harness_verbose())
		printf("    info: %s: relative error %.3g (limit %g), norm %.3g\n",
			   what, rel, rtol, sqrt(n2));
	harness_check(rel <= rtol, file, line,
				  "%s: overall relative error %.3g > %g", what, rel, rtol);
	harness_check(sqrt(n2) >= min_norm, file, line,
				  "%s: numeric gradient norm %.3g below %g, check is vacuous",
				  what, sqrt(n2), min_norm);
	return rel;
}

#define CHECK_GRAD(what, analytic, numeric, n, atol, rtol, min_norm) \
	harness_grad_check(__FILE__, __LINE__, (what), (analytic), (numeric), \
					   (n), (atol), (rtol), (min_norm))

#endif
