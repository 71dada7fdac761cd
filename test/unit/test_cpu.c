/*
 * test_cpu.c - the OpenBLAS kernel advice of cpu.h: core names and CPU
 * instruction sets in, the OPENBLAS_CORETYPE to suggest (or none) out.
 */
#include "cpu.h"
#include "harness.h"

static const NNCpuFeatures no_simd = {false, false, false, false};
static const NNCpuFeatures avx_only = {true, false, false, false};
static const NNCpuFeatures avx2 = {true, true, true, false};
static const NNCpuFeatures avx512 = {true, true, true, true};

static bool
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static const char *
shown(const char *s)
{
	return s != NULL ? s : "none";
}

static void
check_advice(const char *core, NNCpuFeatures f, const char *expected, int line)
{
	const char *got = nn_blas_core_advice(core, f);

	CHECK_MSG(same(got, expected), "line %d: %s with avx2 %d, avx512 %d: advice %s, expected %s",
			  line, shown(core), f.avx2, f.avx512, shown(got), shown(expected));
}

#define CHECK_ADVICE(core, f, expected) check_advice(core, f, expected, __LINE__)

/* the generic kernels on a CPU with AVX2 or AVX-512: the fix is named */
static void
test_generic_kernel_on_new_cpu(void)
{
	const char *generic[] = {"Prescott", "Core2", "Penryn", "Nehalem", "Atom",
	"Sandybridge", "Barcelona", "Bulldozer", "Piledriver", "prescott"};

	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
	{
		CHECK_ADVICE(generic[i], avx2, "Haswell");
		CHECK_ADVICE(generic[i], avx512, "SkylakeX");
		CHECK(!nn_blas_core_has_avx2(generic[i]));
	}
	/* an unknown or missing name, or part of one, is not taken for an AVX2 kernel */
	CHECK_ADVICE("", avx2, "Haswell");
	CHECK_ADVICE("Zen3", avx2, "Haswell");
	CHECK_ADVICE("SkylakeX_SSE", avx512, "SkylakeX");
	CHECK_ADVICE(NULL, avx512, "SkylakeX");
}

/* an AVX2 kernel, in any case of its name, needs no advice */
static void
test_avx2_kernels(void)
{
	const char *good[] = {"Haswell", "Zen", "SkylakeX", "Cooperlake",
	"SapphireRapids", "HASWELL", "skylakex"};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		CHECK(nn_blas_core_has_avx2(good[i]));
		CHECK_ADVICE(good[i], avx2, NULL);
		CHECK_ADVICE(good[i], avx512, NULL);
	}
}

/* a CPU without AVX2 has nothing to gain: no advice, whatever the kernel */
static void
test_old_cpu(void)
{
	CHECK_ADVICE("Prescott", no_simd, NULL);
	CHECK_ADVICE("Sandybridge", avx_only, NULL);
	CHECK_ADVICE("Nehalem", avx_only, NULL);
}

static void
test_features_text(void)
{
	char		buf[64];

	CHECK(strcmp(nn_cpu_features_text(no_simd, buf, sizeof(buf)), "none") == 0);
	CHECK(strcmp(nn_cpu_features_text(avx2, buf, sizeof(buf)), "AVX, AVX2, FMA") == 0);
	CHECK(strcmp(nn_cpu_features_text(avx512, buf, sizeof(buf)), "AVX, AVX2, FMA, AVX-512") == 0);
}

/* this machine's answer is consistent: AVX-512 implies AVX2 implies AVX */
static void
test_this_cpu(void)
{
	NNCpuFeatures f = nn_cpu_features();
	char		buf[64];

	CHECK(!f.avx2 || f.avx);
	CHECK(!f.fma || f.avx);
	CHECK(!f.avx512 || f.avx2);
	printf("    this CPU: %s\n", nn_cpu_features_text(f, buf, sizeof(buf)));
}

int
main(void)
{
	RUN_TEST(test_generic_kernel_on_new_cpu);
	RUN_TEST(test_avx2_kernels);
	RUN_TEST(test_old_cpu);
	RUN_TEST(test_features_text);
	RUN_TEST(test_this_cpu);
	return harness_finish("test_cpu");
}
