/*
 * cpu.h - what the CPU can do, and whether the kernel OpenBLAS chose uses
 * it.  Debian 12's OpenBLAS 0.3.21 does not know CPUs newer than it (an
 * Intel family 6 model 207 with AVX-512, for one) and falls back to its
 * SSE3 "Prescott" kernels with no message: 2.3-4.5x slower matrix products
 * than SkylakeX on that machine.  The server glue (shared/settings.c) asks
 * nn_blas_core_advice once per backend and warns; the decision itself is
 * here, plain C, so a unit test can feed it any core name and flags.
 */
#ifndef NN_CPU_H
#define NN_CPU_H

#include <stdbool.h>
#include <stddef.h>

/* the instruction sets that decide which OpenBLAS kernel suits a CPU */
typedef struct NNCpuFeatures
{
	bool		avx;			/* with the OS saving the YMM registers */
	bool		avx2;
	bool		fma;
	bool		avx512;			/* F, DQ, BW and VL, with the OS saving ZMM */
} NNCpuFeatures;

/* this CPU's, from cpuid and xgetbv (all false off x86) */
NNCpuFeatures nn_cpu_features(void);

/* "AVX, AVX2, FMA, AVX-512" (or "none") into buf; returns buf */
const char *nn_cpu_features_text(NNCpuFeatures f, char *buf, size_t len);

/* core is one of names[0 .. n) (OpenBLAS's core names, in any case) */
bool		nn_blas_core_listed(const char *core, const char *const *names, size_t n);

/* the kernel has AVX2 code (Haswell, Zen, SkylakeX, Cooperlake, SapphireRapids) */
bool		nn_blas_core_has_avx2(const char *core);

/*
 * The OPENBLAS_CORETYPE that suits a CPU with f when the kernel core
 * leaves its AVX2 or AVX-512 unused ("SkylakeX" or "Haswell"), or NULL
 * when core is fine (it has AVX2 code, or the CPU has no AVX2).
 */
const char *nn_blas_core_advice(const char *core, NNCpuFeatures f);

#endif
