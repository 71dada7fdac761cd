/*
 * cpu.c - the CPU's instruction sets (cpuid) and the OpenBLAS kernel
 * advice of cpu.h.
 */
#include "cpu.h"

#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define NN_X86 1
#endif

/*
 * OpenBLAS's x86 kernels with AVX2 code (0.3.21's core names; Zen runs
 * Haswell's kernels).  Everything else, Sandybridge's AVX-only kernels
 * included, leaves an AVX2 CPU's FMA units idle.
 */
static const char *const avx2_cores[] = {
	"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids",
};

#ifdef NN_X86
/* XCR0: the OS saves SSE and AVX state (bits 1, 2), and AVX-512's (5-7) */
#define XCR0_YMM 0x06u
#define XCR0_ZMM 0xe6u

static uint32_t
ReadXcr0(void)
{
	uint32_t	lo,
				hi;

	__asm__ volatile ("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	return lo;
}
#endif

NNCpuFeatures
nn_cpu_features(void)
{
	NNCpuFeatures f = {false, false, false, false};
#ifdef NN_X86
	unsigned int a,
				b,
				c,
				d;
	uint32_t	xcr0 = 0;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return f;
	/* OSXSAVE (ecx bit 27) says xgetbv may be run */
	if (c & (1u << 27))
		xcr0 = ReadXcr0();
	f.avx = (c & (1u << 28)) && (xcr0 & XCR0_YMM) == XCR0_YMM;
	f.fma = f.avx && (c & (1u << 12));
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return f;
	f.avx2 = f.avx && (b & (1u << 5));
	/* AVX-512 F (bit 16), DQ (17), BW (30), VL (31): what SkylakeX needs */
	f.avx512 = f.avx2 && (xcr0 & XCR0_ZMM) == XCR0_ZMM &&
		(b & (1u << 16)) && (b & (1u << 17)) && (b & (1u << 30)) && (b & (1u << 31));
#endif
	return f;
}

const char *
nn_cpu_features_text(NNCpuFeatures f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s",
			 f.avx ? "AVX" : "none",
			 f.avx2 ? ", AVX2" : "",
			 f.fma ? ", FMA" : "",
			 f.avx512 ? ", AVX-512" : "");
	return buf;
}

bool
nn_blas_core_listed(const char *core, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (core != NULL && strcasecmp(core, names[i]) == 0)
			return true;
	return false;
}

bool
nn_blas_core_has_avx2(const char *core)
{
	return nn_blas_core_listed(core, avx2_cores, sizeof(avx2_cores) / sizeof(avx2_cores[0]));
}

const char *
nn_blas_core_advice(const char *core, NNCpuFeatures f)
{
	if (!f.avx2 || nn_blas_core_has_avx2(core))
		return NULL;
	return f.avx512 ? "SkylakeX" : "Haswell";
}
