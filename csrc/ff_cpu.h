/* ff_cpu.h: may this process run the NTT module (fastfib._ntt)?
 *
 * On x86_64, FLINT and _ntt are compiled for x86-64-v3, so the compiler may
 * emit any of its instructions anywhere in them: the CPU must have every
 * feature of that level, and the OS must save the AVX (YMM) registers.  This
 * file is compiled into the generic core (no -march), which asks before the
 * NTT module is ever loaded.  On aarch64, FLINT's fft_small uses NEON
 * (ASIMD), which every ARMv8-A CPU has.
 */
#ifndef FF_CPU_H
#define FF_CPU_H

#if defined(__x86_64__)
#include <cpuid.h>

static unsigned long long ff_xgetbv0(void) {
    unsigned int lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((unsigned long long)hi << 32) | lo;
}

/* NULL if the CPU runs x86-64-v3 code (every feature of levels v2 and v3),
 * else the name of a missing feature. */
static const char *ff_ntt_cpu_missing(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return "CPUID leaf 1";
    /* x86-64-v2, which v3 includes */
    if (!(c & (1u << 0))) return "SSE3";
    if (!(c & (1u << 9))) return "SSSE3";
    if (!(c & (1u << 13))) return "CMPXCHG16B";
    if (!(c & (1u << 19))) return "SSE4.1";
    if (!(c & (1u << 20))) return "SSE4.2";
    if (!(c & (1u << 23))) return "POPCNT";
    /* x86-64-v3 */
    if (!(c & (1u << 27))) return "OSXSAVE";
    if ((ff_xgetbv0() & 6) != 6) return "AVX state saved by the OS";
    if (!(c & (1u << 28))) return "AVX";
    if (!(c & (1u << 12))) return "FMA";
    if (!(c & (1u << 22))) return "MOVBE";
    if (!(c & (1u << 29))) return "F16C";
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return "CPUID leaf 7";
    if (!(b & (1u << 5))) return "AVX2";
    if (!(b & (1u << 3))) return "BMI1";
    if (!(b & (1u << 8))) return "BMI2";
    if (!__get_cpuid(0x80000001u, &a, &b, &c, &d)) return "CPUID leaf 0x80000001";
    if (!(c & (1u << 0))) return "LAHF/SAHF";
    if (!(c & (1u << 5))) return "LZCNT";
    return 0;
}
#elif defined(__aarch64__)
static const char *ff_ntt_cpu_missing(void) { return 0; }
#else
static const char *ff_ntt_cpu_missing(void) { return "an x86_64 or aarch64 CPU"; }
#endif

#endif
