/* ff_dec.h -- F(n) and L(n) in decimal, computed in base 10^19 (no base conversion).
 *
 * The fast doubling runs directly on numbers stored as limbs of 19 decimal
 * digits (FLINT's radix module, B = 10^19): the products are FLINT's
 * radix_mul, the small-prime NTT (fft_small) from 80 limbs on; the linear
 * parts are fused loops here.  The digits then come out limb by limb in
 * linear time (radix_get_str_decimal), where GMP's mpz_get_str needs
 * O(M(n) log n): that conversion is most of the time of GMP's
 * mpz_fib_ui + mpz_get_str for large n.
 *
 * Same identities as ff_small.h (see there):
 *     step:  F(2k+1) = 4F(k)^2 - F(k-1)^2 + 2(-1)^k,  F(2k-1) = F(k)^2 + F(k-1)^2,
 *            F(2k) = F(2k+1) - F(2k-1)
 *     last:  F(2k) = F(k)(F(k) + 2F(k-1)),  F(2k+1) = (2F(k)+F(k-1))(2F(k)-F(k-1)) + 2(-1)^k
 *     Lucas: n = m 2^j, L(m) = L(k)L(k+1) - (-1)^k (m = 2k+1), then L(2x) = L(x)^2 - 2(-1)^x
 * All intermediate values are >= 0, so the numbers are plain digit arrays.
 *
 * Entry points (n any long, negative included):
 *     size_t ff_dec_cap(long n)       bytes a buffer needs for F(n) or L(n): sign, digits, NUL
 *     long ff_fib_decimal_write(char *buf, size_t cap, long n, const ff_par2 *par)
 *         write the digits ('-' first if negative, then a NUL) into buf and
 *         return their length, or FF_DEC_ENOMEM / FF_DEC_ESMALL.
 *     size_t ff_dec_peak_bytes(long n, int threads)   peak heap bound of one call
 * par: NULL for one thread, or a hook that runs the two squarings of a step at once.
 * Thread-safe: the only global is the radix context, made once under
 * pthread_once and read-only after; FLINT's fft_small context is
 * thread-local (ff_flint.h).  With that context made once, this path beats
 * GMP's mpz_fib_ui + mpz_get_str from n = 100 up, so there is no small-n
 * special case (n <= 93: the table).
 */
#ifndef FF_DEC_H
#define FF_DEC_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include "ff_fibtab.h"
#include "ff_flint.h"
#include "ff_par2.h"

#define FF_DEC_ENOMEM (-1L)
#define FF_DEC_ESMALL (-2L)

#define FF_DEC_B 10000000000000000000ULL    /* 10^19: the limb radix */

typedef uint64_t ff_u64;
typedef __int128 ff_s128;

/* t = q B + r with 0 <= r < B, for -12B < t < 12B.  q0 = floor(t / 2^63)
 * differs from q by at most one (2^63 = 0.92 B), fixed by one test each way. */
static inline ff_u64 ff_dec_norm(ff_s128 t, int64_t *q) {
    int64_t q0 = (int64_t)(t >> 63);
    ff_s128 r = t - (ff_s128)q0 * (ff_s128)FF_DEC_B;
    if (r < 0) { r += FF_DEC_B; q0--; }
    else if (r >= (ff_s128)FF_DEC_B) { r -= FF_DEC_B; q0++; }
    *q = q0;
    return (ff_u64)r;
}

/* Limbs (base 10^19) of F(k) or L(k): digits <= k log10(phi) + 1, log10(phi) < 0.2090. */
static inline long ff_dec_limbs(unsigned long k) {
    return (long)(((double)k * 0.20899 + 2.0) / 19.0) + 2;
}

/* p += v or p -= v (small v), carry/borrow propagated; the result fits. */
static inline void ff_dec_incr(ff_u64 *p, ff_u64 v) {
    ff_u64 x = p[0] + v;
    while (x >= FF_DEC_B) { *p++ = x - FF_DEC_B; x = *p + 1; }
    *p = x;
}

static inline void ff_dec_decr(ff_u64 *p, ff_u64 v) {
    while (p[0] < v) { p[0] = p[0] + FF_DEC_B - v; p++; v = 1; }
    p[0] -= v;
}

/* Decimal digits of 1 <= x < 10^19. */
static inline long ff_dec_digits_1(ff_u64 x) {
    long d = 1;
    while (x >= 10) { x /= 10; d++; }
    return d;
}

static inline long ff_dec_normalize(const ff_u64 *r, long n) {
    while (n > 0 && r[n - 1] == 0) n--;
    return n;
}

/* {r, n} = alpha {a, n} + beta {b, n} (small alpha, beta, result >= 0);
 * returns the top limb (carry).  r may be a or b. */
static inline ff_u64 ff_dec_lincomb(ff_u64 *r, const ff_u64 *a, int alpha, const ff_u64 *b, int beta, long n) {
    int64_t c = 0;
    for (long i = 0; i < n; i++)
        r[i] = ff_dec_norm((ff_s128)alpha * a[i] + (ff_s128)beta * (ff_s128)b[i] + c, &c);
    return (ff_u64)c;
}

/* The linear part of a doubling step, one pass: from X = F(k)^2 and
 * Y = F(k-1)^2 (n limbs each) write
 *     bit 1:  A = F(2k+1), B = F(2k)        bit 0:  A = F(2k), B = F(2k-1)
 * with n + 1 limbs each (A, B distinct from X, Y).  Returns A's size. */
static inline __attribute__((always_inline)) long
ff_dec_combine_bit(ff_u64 *A, ff_u64 *B, const ff_u64 *X, const ff_u64 *Y, long n, int k_odd, const int bit) {
    int64_t cd = k_odd ? -2 : 2;      /* carry of d = 4X - Y + 2(-1)^k = F(2k+1) */
    ff_u64 cs = 0;                    /* carry of s = X + Y = F(2k-1) */
    ff_u64 ce = 0;                    /* borrow of e = d - s = F(2k) */
    long i;
    for (i = 0; i <= n; i++) {
        ff_u64 x = i < n ? X[i] : 0, y = i < n ? Y[i] : 0;
        ff_u64 d = ff_dec_norm(4 * (ff_s128)x - (ff_s128)y + cd, &cd);
        ff_u64 s, e, sub;
        /* s = x + y + cs without overflowing 64 bits (B > 2^63) */
        ff_u64 xs = x + cs, room = FF_DEC_B - y;
        if (xs >= room) { s = xs - room; cs = 1; } else { s = xs + y; cs = 0; }
        /* e = d - s - ce */
        sub = s + ce;
        if (d >= sub) { e = d - sub; ce = 0; } else { e = d + (FF_DEC_B - sub); ce = 1; }
        if (bit) { A[i] = d; B[i] = e; } else { A[i] = e; B[i] = s; }
    }
    /* n + 1 limbs hold F(2k+1) (its carry is 0 past them) */
    return ff_dec_normalize(A, n + 1);
}

/* ---- the two squarings of a step, maybe on two threads ------------------- */

typedef struct {
    ff_u64 *r;
    const ff_u64 *a;
    long n;
    const radix_struct *radix;
} ff_dec_sqr_task;

static void ff_dec_sqr_run(void *p) {
    ff_dec_sqr_task *t = (ff_dec_sqr_task *)p;
    radix_mul(t->r, t->a, t->n, t->a, t->n, t->radix);   /* same pointer: fft_small squares */
    if (t->n >= 4096) ff_flint_trim(FF_FLINT_KEEP);        /* see ff_flint.h (workers) */
}

/* ---- the doubling loop ---------------------------------------------------- */

typedef struct {
    ff_u64 *a, *b, *x, *y;   /* F(k); F(k-1) zero-padded to size; two scratch */
    long size;               /* limbs of F(k), top limb != 0 */
} ff_dec_pair;

/* Buffers for a doubling up to F(k): the last step writes 2 size(F(k/2)) + 1 limbs. */
static inline long ff_dec_pair_cap(unsigned long k) {
    long c = 2 * ff_dec_limbs(k >> 1) + 2, d = ff_dec_limbs(k) + 2;
    return c > d ? c : d;
}

static void ff_dec_u64_set(ff_u64 *r, long *size, uint64_t v) {
    r[0] = v % FF_DEC_B;
    r[1] = v / FF_DEC_B;
    *size = r[1] ? 2 : 1;
}

/* p = (F(k), F(k-1)), k >= 1, in buffers of ff_dec_pair_cap(k) limbs. */
static int ff_dec_pair_run(ff_dec_pair *p, unsigned long k, const radix_struct *radix, const ff_par2 *par) {
    unsigned long cur;
    int pos = ff_table_start(k, &cur);
    long bsize;
    ff_dec_u64_set(p->a, &p->size, ff_fib_table[cur]);
    ff_dec_u64_set(p->b, &bsize, ff_fib_prev(cur));
    while (pos > 0) {
        int bit = (int)((k >> --pos) & 1);
        long n = p->size;
        ff_dec_sqr_task t0 = { p->x, p->a, n, radix }, t1 = { p->y, p->b, n, radix };
        ff_par2_run(par, n, ff_dec_sqr_run, &t0, &t1);
        n = ff_dec_normalize(p->x, 2 * n);            /* F(k-1)^2 <= F(k)^2 */
        if (bit) {
            p->size = ff_dec_combine_bit(p->a, p->b, p->x, p->y, n, (int)(cur & 1), 1);
        } else {
            p->size = ff_dec_combine_bit(p->a, p->b, p->x, p->y, n, (int)(cur & 1), 0);
        }
        cur = 2 * cur + (unsigned long)bit;
    }
    return 0;
}

/* ---- F(n) and L(n) in base 10^19 ---------------------------------------- */

/* *out = |F(n)| or |L(n)| (lucas) for n >= 0 as a malloc'd limb array, *rn limbs.
 * Returns 0 or FF_DEC_ENOMEM.  Small values come from the table. */
static long ff_dec_compute(ff_u64 **out, long *rn, unsigned long n, int lucas,
                           const radix_struct *radix, const ff_par2 *par) {
    ff_dec_pair p;
    int j = 0;
    unsigned long m = n, k;
    long need, pc, n1, n2;
    ff_u64 *buf, *cur, *spare, *rp;
    ff_u64 c, small[2];
    int table, old;

    if (lucas) { j = n ? __builtin_ctzl(n) : 0; m = n >> j; }
    k = m >> 1;
    need = ff_dec_limbs(n) + 6;                   /* L(n), F(n), or a square's 2 rn limbs, with slack */
    table = m <= (lucas ? FF_TABLE_LIMIT - 1 : FF_TABLE_LIMIT);   /* L(92) < 2^64 */
    pc = table ? 0 : ff_dec_pair_cap(k);
    /* one block: the result, [lucas, j > 0: one ping-pong buffer], the pair */
    buf = (ff_u64 *)malloc(sizeof(ff_u64) * (size_t)(need * (j ? 2 : 1) + 4 * pc + 2));
    if (buf == NULL) return FF_DEC_ENOMEM;
    rp = buf;
    spare = buf + need;
    *out = rp;
    if (table) {                                  /* small m: the table */
        uint64_t v = n == 0 ? (lucas ? 2 : 0)
                   : lucas ? ff_fib_table[m - 1] + ff_fib_table[m + 1] : ff_fib_table[m];
        cur = j ? small : rp;
        ff_dec_u64_set(cur, rn, v);
        *rn = ff_dec_normalize(cur, *rn);         /* F(0) = 0 has no limbs */
    } else {
        ff_u64 *X, *Y;
        p.a = buf + need * (j ? 2 : 1);
        p.b = p.a + pc; p.x = p.b + pc; p.y = p.x + pc;
        ff_dec_pair_run(&p, k, radix, par);
        X = p.x; Y = p.y;
        /* L(m) goes where the first squaring does not write (see below) */
        cur = (j == 0 || ((j - 1) & 1)) ? rp : spare;
        if (!lucas && !(m & 1)) {
            /* F(2k) = F(k) (F(k) + 2F(k-1)) */
            c = ff_dec_lincomb(X, p.a, 1, p.b, 2, p.size);
            X[p.size] = c; n1 = p.size + (c != 0);
            old = ff_par2_flint_begin(par, p.size);
            radix_mul(cur, X, n1, p.a, p.size, radix);
            ff_par2_flint_end(old);
            *rn = n1 + p.size;
        } else if (!lucas) {
            /* F(2k+1) = (2F(k) + F(k-1)) (2F(k) - F(k-1)) + 2(-1)^k */
            c = ff_dec_lincomb(X, p.a, 2, p.b, 1, p.size);
            X[p.size] = c; n1 = p.size + (c != 0);
            c = ff_dec_lincomb(Y, p.a, 2, p.b, -1, p.size);
            Y[p.size] = c; n2 = ff_dec_normalize(Y, p.size + 1);
            old = ff_par2_flint_begin(par, n2);
            radix_mul(cur, X, n1, Y, n2, radix);
            ff_par2_flint_end(old);
            *rn = n1 + n2;
            if (k & 1) ff_dec_decr(cur, 2); else ff_dec_incr(cur, 2);
        } else {
            /* L(2k+1) = L(k) L(k+1) - (-1)^k, L(k) = F(k) + 2F(k-1), L(k+1) = 3F(k) + F(k-1) */
            c = ff_dec_lincomb(X, p.a, 1, p.b, 2, p.size);
            X[p.size] = c; n1 = p.size + (c != 0);
            c = ff_dec_lincomb(Y, p.a, 3, p.b, 1, p.size);
            Y[p.size] = c; n2 = p.size + (c != 0);
            old = ff_par2_flint_begin(par, n1);
            radix_mul(cur, Y, n2, X, n1, radix);
            ff_par2_flint_end(old);
            *rn = n1 + n2;
            if (k & 1) ff_dec_incr(cur, 1); else ff_dec_decr(cur, 1);
        }
        *rn = ff_dec_normalize(cur, *rn);
        if (p.size >= 4096) ff_flint_trim(FF_FLINT_KEEP);
    }
    /* Lucas, n = m 2^j: j squarings L(2x) = L(x)^2 - 2(-1)^x, alternating
     * between rp and spare so that the last lands in rp. */
    for (int i = 1; i <= j; i++) {
        ff_u64 *dst = ((j - i) & 1) ? spare : rp;     /* never cur */
        int old = ff_par2_flint_begin(par, *rn);
        radix_mul(dst, cur, *rn, cur, *rn, radix);
        ff_par2_flint_end(old);
        if (i == 1 && (m & 1)) ff_dec_incr(dst, 2); else ff_dec_decr(dst, 2);
        *rn = ff_dec_normalize(dst, 2 * *rn);
        if (*rn >= 8192) ff_flint_trim(FF_FLINT_KEEP);
        cur = dst;
    }
    if (cur != rp) memcpy(rp, cur, sizeof(ff_u64) * (size_t)*rn);
    return 0;
}

FF_API size_t ff_dec_cap(long n) {
    unsigned long m = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;
    return (size_t)((double)m * 0.20898764024997873) + 4;    /* digits + 1, sign, NUL, slack */
}

/* An upper bound of the heap a call of ff_fib_decimal_write (or of
 * ff_dec_write for L(n)) may use at its peak, counting the caller's string
 * buffer (ff_dec_cap(n) bytes), for admission control.  Measured in a fresh
 * process (fft_small's tables and scratch made during the call, the worst
 * case; harness/mem_ntt.c): peak / cap = 6.36, 5.09, 5.96, 6.69 at
 * n = 1e6, 1e7, 3e7, 1e8 with one thread, 6.37, 6.53, 7.82, 8.90 with two
 * (each thread has its own scratch and tables); Lucas is below F.  The
 * spread comes from rounding the transform length up to a power of two. */
FF_API size_t ff_dec_peak_bytes(long n, int threads) {
    double cap = (double)ff_dec_cap(n);
    return threads > 1 ? (size_t)(9.5 * cap) + ((size_t)2 << 20)
                       : (size_t)(7.0 * cap) + ((size_t)1 << 20);
}

/* The decimal radix context (B = 10^19): made once per process (radix_init
 * costs ~240 ns, as much as all of F(200)), read-only afterwards (every
 * radix function takes it const), so sharing it between threads is safe.
 * Never freed (a few hundred bytes). */
static radix_t ff_dec_radix_ctx;
static pthread_once_t ff_dec_radix_once = PTHREAD_ONCE_INIT;
static void ff_dec_radix_init(void) { radix_init(ff_dec_radix_ctx, 10, 19); }
static inline const radix_struct *ff_dec_radix(void) {
    pthread_once(&ff_dec_radix_once, ff_dec_radix_init);
    return ff_dec_radix_ctx;
}

static long ff_dec_write(char *buf, size_t cap, long n, int lucas, const ff_par2 *par) {
    unsigned long m = n < 0 ? 0UL - (unsigned long)n : (unsigned long)n;
    /* F(-m) = (-1)^(m+1) F(m): negative for even m > 0;  L(-m) = (-1)^m L(m): negative for odd m */
    int neg = n < 0 && (lucas ? (m & 1) : !(m & 1));
    const radix_struct *radix;
    ff_u64 *r;
    long rn, ret;
    if (cap < ff_dec_cap(n)) return FF_DEC_ESMALL;
    radix = ff_dec_radix();
    ret = ff_dec_compute(&r, &rn, m, lucas, radix, par);
    if (ret == 0) {
        if (rn == 0) neg = 0;                     /* F(0) = 0 */
        radix_get_str_decimal(buf, r, rn, neg, radix);
        ret = neg + (rn ? (rn - 1) * 19 + ff_dec_digits_1(r[rn - 1]) : 1);
        free(r);
    }
    return ret;
}

FF_API long ff_fib_decimal_write(char *buf, size_t cap, long n, const ff_par2 *par) {
    return ff_dec_write(buf, cap, n, 0, par);
}

#endif /* FF_DEC_H */
