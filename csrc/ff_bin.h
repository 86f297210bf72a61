/* ff_bin.h -- F(n), L(n), (F(n), F(n+1)) into mpz with FLINT's products.
 *
 * The doubling of ff_small.h (same code, same identities, same scratch),
 * with its products switched to FLINT's flint_mpn_sqr / flint_mpn_mul: GMP's
 * own algorithms below FLINT_FFT_SMALL_{MUL,SQR}_THRESHOLD (1000 / 1400
 * limbs on x86_64), the fft_small NTT above, which beats GMP's
 * Schönhage-Strassen by ~2-3x at 10^5..10^6 limbs.  The result is an
 * ordinary GMP mpz (limbs written in place through mpz_limbs_write).
 *
 *     int ff_bin_fib(mpz_ptr out, unsigned long n, const ff_par2 *par)
 *     int ff_bin_lucas(mpz_ptr out, unsigned long n, const ff_par2 *par)
 *     int ff_bin_fib_pair(mpz_ptr f0, mpz_ptr f1, unsigned long n, const ff_par2 *par)
 *         0, or -1 (the scratch block could not be allocated).
 *     size_t ff_bin_peak_bytes(unsigned long n, int threads, int pair)   peak heap bound of one call
 * par: NULL for one thread, or a hook that runs a step's two squarings at once.
 * Negative n is the caller's (as today in _core.pyx: F(-n) = (-1)^(n+1) F(n)).
 */
#ifndef FF_BIN_H
#define FF_BIN_H

#include "ff_small.h"
#include "ff_flint.h"
#include "ff_par2.h"

/* Products from this many limbs trim the fft_small buffer afterwards (see
 * ff_flint.h); below, FLINT does not use fft_small at all. */
#define FF_BIN_TRIM_LIMBS 4096

typedef struct {
    mp_ptr r;
    mp_srcptr a;
    mp_size_t n;
} ff_bin_sqr_task;

static void ff_bin_sqr_run(void *p) {
    ff_bin_sqr_task *t = (ff_bin_sqr_task *)p;
    flint_mpn_sqr(t->r, t->a, t->n);
    if (t->n >= FF_BIN_TRIM_LIMBS) ff_flint_trim(FF_FLINT_KEEP);
}

static int ff_bin_sqr2(void *ctx, mp_ptr r1, mp_srcptr a1, mp_ptr r2, mp_srcptr a2, mp_size_t n) {
    ff_bin_sqr_task t0 = { r1, a1, n }, t1 = { r2, a2, n };
    ff_par2_run((const ff_par2 *)ctx, (long)n, ff_bin_sqr_run, &t0, &t1);
    return 0;
}

/* The products that run alone (the last one of F(n), Lucas' squarings):
 * with par's FLINT workers, if any. */
static int ff_bin_mul(void *ctx, mp_ptr r, mp_srcptr a, mp_size_t an, mp_srcptr b, mp_size_t bn) {
    int old = ff_par2_flint_begin((const ff_par2 *)ctx, (long)bn);
    if (a == b && an == bn) flint_mpn_sqr(r, a, an);
    else flint_mpn_mul(r, a, an, b, bn);
    ff_par2_flint_end(old);
    if (bn >= FF_BIN_TRIM_LIMBS) ff_flint_trim(FF_FLINT_KEEP);
    return 0;
}

/* An upper bound of the heap ff_bin_fib / ff_bin_lucas (pair = 0) or
 * ff_bin_fib_pair (pair = 1) may use at the peak, counting the result's
 * limbs, for admission control.  In units of R = 8 ff_fib_limbs(n) bytes
 * (one F(n)), measured in a fresh process (worst case: fft_small's tables
 * and scratch made during the call; harness/mem_ntt.c), n = 1e6, 1e7, 3e7, 1e8:
 *     F, L  1 thread  11.1, 10.7, 10.1, 10.3     2 threads  16.2, 14.6, 13.6, 13.9
 *     pair  1 thread  12.1, 11.7, 11.1, 11.3     2 threads  20.2, 15.6, 18.2, 18.5
 *     (GMP's mpz_fib_ui: 5.1-5.5)
 * fft_small's scratch for a product, 2 x primes x 8 bytes x the transform
 * length, and its twiddle tables are the largest parts. */
FF_API size_t ff_bin_peak_bytes(unsigned long n, int threads, int pair) {
    double r = 8.0 * (double)ff_fib_limbs(n + 1);
    double k = threads > 1 ? (pair ? 21.0 : 17.0) : (pair ? 12.5 : 11.5);
    return (size_t)(k * r) + ((size_t)(threads > 1 ? 2 : 1) << 20);
}

FF_API int ff_bin_fib(mpz_ptr out, unsigned long n, const ff_par2 *par) {
    ff_mulops ops = { ff_bin_sqr2, ff_bin_mul, (void *)par };
    return ff_fib_mpz_ops(out, n, &ops);
}

FF_API int ff_bin_lucas(mpz_ptr out, unsigned long n, const ff_par2 *par) {
    ff_mulops ops = { ff_bin_sqr2, ff_bin_mul, (void *)par };
    return ff_lucas_mpz_ops(out, n, &ops);
}

FF_API int ff_bin_fib_pair(mpz_ptr f0, mpz_ptr f1, unsigned long n, const ff_par2 *par) {
    ff_mulops ops = { ff_bin_sqr2, ff_bin_mul, (void *)par };
    return ff_fib_pair_mpz_ops(f0, f1, n, &ops);
}

#endif /* FF_BIN_H */
