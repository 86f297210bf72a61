/* ff_small.h -- F(n), L(n) and (F(n), F(n+1)) by fast doubling on GMP mpn.
 *
 * Replaces GMP's mpz_fib_ui / mpz_lucnum_ui / mpz_fib2_ui: nothing here calls
 * GMP's Fibonacci or Lucas functions; the only precomputed values are
 * F(0)..F(93) (ff_fibtab.h).  Plain C on GMP's public mpn/mpz API, so it
 * builds and runs without FLINT (CPUs without AVX2 use exactly this).
 *
 * The products are pluggable (ff_mulops): with ff_gmp_ops they are GMP's
 * mpn_sqr / mpn_mul; ff_bin.h passes FLINT's flint_mpn_sqr / flint_mpn_mul,
 * which switch to the fft_small NTT at large sizes, and optionally a
 * two-thread "two squarings at once" hook.  The ops struct is a compile-time
 * constant at every call below, so with inlining there is no indirect call
 * on the GMP path.
 *
 * Doubling step (as GMP's mpn_fib2_ui, two squarings per bit of n):
 *     F(2k+1) = 4 F(k)^2 - F(k-1)^2 + 2(-1)^k
 *     F(2k-1) = F(k)^2 + F(k-1)^2
 *     F(2k)   = F(2k+1) - F(2k-1)
 * Two squarings beat "one product + one square" both in the basecase (a
 * square costs ~2/3 of a product) and in an FFT (4 transforms either way,
 * but the squarings are independent, so they can run on two threads).
 *
 * Memory: one block of scratch per call, four buffers the size of F(n/2)
 * (so 2x the result; four, so that the two squarings of a step have distinct
 * inputs and outputs and may run at once), on the stack when it is small (<= FF_STACK_LIMBS)
 * so that small n allocate nothing but the result; no allocation per step.
 * The result mpz is grown with mpz_limbs_write (GMP's allocator: it aborts
 * on failure, as everywhere else in fastfib; the caller has reserved memory).
 * Functions return 0, or -1 if the scratch block could not be allocated
 * (then the output is left a valid mpz with an unspecified value).
 */
#ifndef FF_SMALL_H
#define FF_SMALL_H

#include <stdlib.h>
#include <string.h>
#include <gmp.h>
#include "ff_fibtab.h"

#if GMP_NUMB_BITS != 64
#error "ff_small.h assumes 64-bit limbs"
#endif

/* ---- linear helpers ------------------------------------------------------
 *
 * GMP has one-pass "shift and add/subtract" loops (mpn_addlsh1_n,
 * mpn_rsblsh1_n, mpn_rsblsh2_n) but exports them only as internal symbols.
 * They are weak references here (as in ff_par.h): a libgmp without them
 * still loads, and the two-pass public fallback (mpn_lshift + add/sub) runs.
 * Every caller below knows its result is >= 0, so the returned top limb is
 * the (small, non-negative) carry.  rp must differ from up and vp (the
 * fallback uses rp as its temporary). */
#ifndef FF_NO_GMP_INTERNALS
extern mp_limb_t __gmpn_addlsh1_n(mp_ptr, mp_srcptr, mp_srcptr, mp_size_t) __attribute__((weak));
extern mp_limb_t __gmpn_rsblsh1_n(mp_ptr, mp_srcptr, mp_srcptr, mp_size_t) __attribute__((weak));
extern mp_limb_t __gmpn_rsblsh2_n(mp_ptr, mp_srcptr, mp_srcptr, mp_size_t) __attribute__((weak));
#else   /* tests: force the public fallback */
#define __gmpn_addlsh1_n ((mp_limb_t (*)(mp_ptr, mp_srcptr, mp_srcptr, mp_size_t))0)
#define __gmpn_rsblsh1_n ((mp_limb_t (*)(mp_ptr, mp_srcptr, mp_srcptr, mp_size_t))0)
#define __gmpn_rsblsh2_n ((mp_limb_t (*)(mp_ptr, mp_srcptr, mp_srcptr, mp_size_t))0)
#endif

/* {rp,n} = {up,n} + 2{vp,n}, returns the top limb (0..2). */
static inline mp_limb_t ff_addlsh1(mp_ptr rp, mp_srcptr up, mp_srcptr vp, mp_size_t n) {
    if (__gmpn_addlsh1_n) return __gmpn_addlsh1_n(rp, up, vp, n);
    mp_limb_t c = mpn_lshift(rp, vp, n, 1);
    return c + mpn_add_n(rp, up, rp, n);
}

/* {rp,n} = 2^s {vp,n} - {up,n} (s = 1, 2), returns the top limb, which the
 * caller knows is >= 0. */
static inline mp_limb_t ff_rsblsh(mp_ptr rp, mp_srcptr up, mp_srcptr vp, mp_size_t n, unsigned s) {
    if (s == 1 && __gmpn_rsblsh1_n) return __gmpn_rsblsh1_n(rp, up, vp, n);
    if (s == 2 && __gmpn_rsblsh2_n) return __gmpn_rsblsh2_n(rp, up, vp, n);
    mp_limb_t c = mpn_lshift(rp, vp, n, s);
    return c - mpn_sub_n(rp, rp, up, n);
}

/* {p, n} += v or -= v, the carry/borrow stopping at the first limb it does
 * not change (mpn_add_1 in place would still pass over all n limbs).  The
 * caller knows the result fits in n limbs (and is >= 0). */
static inline void ff_incr(mp_ptr p, mp_limb_t v) {
    mp_limb_t x = p[0] + v;
    p[0] = x;
    if (x < v) while (++*++p == 0) {}
}

static inline void ff_decr(mp_ptr p, mp_limb_t v) {
    mp_limb_t x = p[0];
    p[0] = x - v;
    if (x < v) while ((*++p)-- == 0) {}
}

/* ---- pluggable products ---------------------------------------------- */

typedef struct {
    /* {r1,2n} = {a1,n}^2 and {r2,2n} = {a2,n}^2 (r1, r2, a1, a2 distinct);
     * a hook may run the two on two threads.  Returns 0, or -1 (no memory). */
    int (*sqr2)(void *ctx, mp_ptr r1, mp_srcptr a1, mp_ptr r2, mp_srcptr a2, mp_size_t n);
    /* {r, an+bn} = {a,an} {b,bn}, an >= bn >= 1, r distinct from a and b; a == b allowed. */
    int (*mul)(void *ctx, mp_ptr r, mp_srcptr a, mp_size_t an, mp_srcptr b, mp_size_t bn);
    void *ctx;
} ff_mulops;

static int ff_gmp_sqr2(void *ctx, mp_ptr r1, mp_srcptr a1, mp_ptr r2, mp_srcptr a2, mp_size_t n) {
    (void)ctx;
    mpn_sqr(r1, a1, n);
    mpn_sqr(r2, a2, n);
    return 0;
}

static int ff_gmp_mul(void *ctx, mp_ptr r, mp_srcptr a, mp_size_t an, mp_srcptr b, mp_size_t bn) {
    (void)ctx;
    if (a == b && an == bn) mpn_sqr(r, a, an);
    else mpn_mul(r, a, an, b, bn);
    return 0;
}

static const ff_mulops ff_gmp_ops = { ff_gmp_sqr2, ff_gmp_mul, NULL };

/* ---- sizes ------------------------------------------------------------ */

/* An upper bound on the limbs of F(k) (and of L(k) <= 3 F(k) for k >= 1):
 * F(k) < phi^k, log2(phi) = 0.69424 < 711/1024; +2 bits for L's factor 3. */
static inline mp_size_t ff_fib_limbs(unsigned long k) {
    return (mp_size_t)(((unsigned long long)k * 711 / 1024 + 2) / 64 + 1);
}

/* Limbs of each of the four pair buffers for a doubling up to F(k): the
 * last step squares F(k/2) into 2 ff_fib_limbs(k/2) limbs and writes one
 * more (the carry); the final products' operands need ff_fib_limbs(k) + 1. */
static inline mp_size_t ff_pair_cap(unsigned long k) {
    mp_size_t c = 2 * ff_fib_limbs(k >> 1) + 2;
    mp_size_t d = ff_fib_limbs(k) + 2;
    return c > d ? c : d;
}

/* Scratch below this many limbs lives on the stack (24 KB): covers n up to
 * n of about 1.4e5 for F(n) (24 KB is safe on any thread stack). */
#define FF_STACK_LIMBS 3072

/* ---- the doubling loop ------------------------------------------------- */

/* (F(k), F(k-1)) in four buffers of ff_pair_cap(k) limbs; the pointers
 * rotate between steps, so nothing is copied. */
typedef struct {
    mp_ptr a, b;        /* F(k) (size limbs, top limb != 0); F(k-1), zero-padded to size */
    mp_ptr x, y;        /* scratch: the two squares */
    mp_size_t size;
} ff_pair;

/* One doubling: (F(k), F(k-1)) -> (F(2k+bit), F(2k+bit-1)).  Two squarings
 * into x and y (four distinct buffers, so a hook may run them at once),
 * then three linear passes. */
static inline __attribute__((always_inline)) int
ff_pair_step(ff_pair *p, int k_odd, int bit, const ff_mulops *ops) {
    mp_ptr A = p->a, B = p->b, X = p->x, Y = p->y;
    mp_size_t n2 = 2 * p->size;
    mp_limb_t c;
    if (ops->sqr2(ops->ctx, X, A, Y, B, p->size) < 0) return -1;
    n2 -= (X[n2 - 1] == 0);                     /* F(k-1)^2 <= F(k)^2, so Y fits too */
    A[n2] = c = ff_rsblsh(A, Y, X, n2, 2);      /* A = 4F(k)^2 - F(k-1)^2 */
    if (k_odd) ff_decr(A, 2);                   /*   + 2(-1)^k = F(2k+1) >= 2 */
    else ff_incr(A, 2);
    c = A[n2];
    Y[n2] = mpn_add_n(Y, X, Y, n2);             /* Y = F(2k-1) < F(2k+1) */
    n2 += (c != 0);
    if (bit) {
        mpn_sub_n(B, A, Y, n2);                 /* (A, B) = (F(2k+1), F(2k)) */
    } else {
        mpn_sub_n(A, A, Y, n2);                 /* (A, Y) = (F(2k), F(2k-1)) */
        p->b = Y;
        p->y = B;
        while (A[n2 - 1] == 0) n2--;            /* F(2k) >= 1; F(2k-1) <= F(2k) */
    }
    p->size = n2;
    return 0;
}

/* p = (F(k), F(k-1)) for k >= 1, starting from the table with k's leading
 * bits.  p->a, b, x, y: ff_pair_cap(k) limbs each.  0, or -1 (hook failed). */
static inline __attribute__((always_inline)) int
ff_pair_run(ff_pair *p, unsigned long k, const ff_mulops *ops) {
    unsigned long cur;
    int pos = ff_table_start(k, &cur);
    p->a[0] = ff_fib_table[cur];
    p->b[0] = ff_fib_prev(cur);
    p->size = 1;
    while (pos > 0) {
        int bit = (int)((k >> --pos) & 1);
        if (ff_pair_step(p, (int)(cur & 1), bit, ops) < 0) return -1;
        cur = 2 * cur + (unsigned long)bit;
    }
    return 0;
}

/* One block of scratch for a call: on the stack when it fits. */
typedef struct {
    mp_limb_t *heap;
    mp_limb_t stack[FF_STACK_LIMBS];
} ff_scratch;

static inline mp_ptr ff_scratch_get(ff_scratch *s, mp_size_t limbs) {
    s->heap = NULL;
    if (limbs <= FF_STACK_LIMBS) return s->stack;
    s->heap = (mp_limb_t *)malloc((size_t)limbs * sizeof(mp_limb_t));
    return s->heap;
}

static inline void ff_scratch_free(ff_scratch *s) { free(s->heap); }

static inline int ff_pair_init_run(ff_pair *p, ff_scratch *s, unsigned long k, const ff_mulops *ops) {
    mp_size_t cap = ff_pair_cap(k);
    mp_ptr buf = ff_scratch_get(s, 4 * cap);
    if (buf == NULL) return -1;
    p->a = buf;
    p->b = buf + cap;
    p->x = buf + 2 * cap;
    p->y = buf + 3 * cap;
    return ff_pair_run(p, k, ops);
}

static inline mp_size_t ff_normalize(mp_srcptr r, mp_size_t n) {
    while (n > 0 && r[n - 1] == 0) n--;
    return n;
}

static inline void ff_set_u64(mpz_ptr z, uint64_t v) { mpz_set_ui(z, (unsigned long)v); }

/* ---- F(n), L(n), (F(n), F(n+1)) into mpz --------------------------------- */

/* out = F(n), n >= 0: the doubling to k = n/2, then one product:
 *     F(2k)   = F(k) (F(k) + 2F(k-1))
 *     F(2k+1) = (2F(k) + F(k-1)) (2F(k) - F(k-1)) + 2(-1)^k          */
static inline __attribute__((always_inline)) int
ff_fib_mpz_ops(mpz_ptr out, unsigned long n, const ff_mulops *ops) {
    ff_scratch s;
    ff_pair p;
    unsigned long k = n >> 1;
    mp_size_t sz, n1, n2, rn;
    mp_ptr A, B, X, Y, rp;
    mp_limb_t c;
    int rc = 0;
    if (n <= FF_TABLE_LIMIT) { ff_set_u64(out, ff_fib_table[n]); return 0; }
    if (k <= FF_TABLE_LIMIT) {
        /* 94 <= n <= 187: F(k), F(k-1) are words, the last product is at
         * most 3 limbs: inline 128-bit arithmetic, no scratch, no calls
         * (the general path costs ~10 ns more, 1.8x mpz_fib_ui at n = 100) */
        typedef unsigned __int128 u128;
        uint64_t a = ff_fib_table[k], b = ff_fib_prev(k);
        u128 x, y, lo, mid;
        mp_limb_t r[3];
        if (n & 1) { x = 2 * (u128)a + b; y = 2 * (u128)a - b; }   /* (2a+b)(2a-b) +- 2 */
        else { x = (u128)a + 2 * (u128)b; y = a; }                /* a (a + 2b) */
        /* x, y < 2^66: x y = x0 y0 + (x0 y1 + x1 y0) 2^64 + x1 y1 2^128 */
        lo = (u128)(uint64_t)x * (uint64_t)y;
        mid = (lo >> 64) + (u128)(uint64_t)x * (uint64_t)(y >> 64) + (u128)(uint64_t)(x >> 64) * (uint64_t)y;
        r[0] = (mp_limb_t)lo;
        r[1] = (mp_limb_t)mid;
        r[2] = (mp_limb_t)(mid >> 64) + (mp_limb_t)(x >> 64) * (mp_limb_t)(y >> 64);
        if (n & 1) { if (k & 1) ff_decr(r, 2); else ff_incr(r, 2); }
        rp = mpz_limbs_write(out, 3);
        rp[0] = r[0]; rp[1] = r[1]; rp[2] = r[2];
        mpz_limbs_finish(out, r[2] ? 3 : 2);
        return 0;
    }
    if (ff_pair_init_run(&p, &s, k, ops) < 0) { ff_scratch_free(&s); return -1; }
    A = p.a; B = p.b; X = p.x; Y = p.y; sz = p.size;
    rp = mpz_limbs_write(out, 2 * sz + 2);
    if (n & 1) {
        c = ff_addlsh1(X, B, A, sz);            /* X = 2F(k) + F(k-1) */
        X[sz] = c; n1 = sz + (c != 0);
        c = ff_rsblsh(Y, B, A, sz, 1);          /* Y = 2F(k) - F(k-1) <= X */
        Y[sz] = c; n2 = ff_normalize(Y, sz + 1);
        rc = ops->mul(ops->ctx, rp, X, n1, Y, n2);
        rn = n1 + n2;
        if (k & 1) ff_decr(rp, 2);
        else ff_incr(rp, 2);
    } else {
        c = ff_addlsh1(X, A, B, sz);            /* X = F(k) + 2F(k-1) >= F(k) */
        X[sz] = c; n1 = sz + (c != 0);
        rc = ops->mul(ops->ctx, rp, X, n1, A, sz);
        rn = n1 + sz;
    }
    mpz_limbs_finish(out, ff_normalize(rp, rn));
    ff_scratch_free(&s);
    return rc;
}

/* out = L(n), n >= 0.  With n = m 2^j, m odd:
 *     L(m) = L(k) L(k+1) - (-1)^k  for m = 2k+1,  L(k) = F(k) + 2F(k-1),  L(k+1) = 3F(k) + F(k-1)
 *     then j squarings  L(2x) = L(x)^2 - 2(-1)^x
 * (as GMP's mpz_lucnum_ui: an even n costs one square per bit of its
 * trailing zeros instead of a doubling step, two squares).  The squarings
 * ping-pong between the scratch and out, arranged to end in out. */
static inline __attribute__((always_inline)) int
ff_lucas_mpz_ops(mpz_ptr out, unsigned long n, const ff_mulops *ops) {
    ff_scratch s;
    ff_pair p;
    int i, j = n ? __builtin_ctzl(n) : 0;
    unsigned long m = n >> j, k = m >> 1;
    mp_size_t need, pc = 0, rn, n1, n2;
    mp_ptr buf, cur, spare, rp;
    mp_limb_t c;
    int rc = 0;
    if (n == 0) { mpz_set_ui(out, 2); return 0; }
    if (n < FF_TABLE_LIMIT) {                   /* L(92) = F(91) + F(93) < 2^64 */
        ff_set_u64(out, ff_fib_table[n - 1] + ff_fib_table[n + 1]);
        return 0;
    }
    need = ff_fib_limbs(n) + 2;                 /* any L(m 2^i), i <= j, and a square's top limb */
    rp = mpz_limbs_write(out, need);
    /* scratch: the pair (if m needs a doubling), then (j > 0) one buffer of
     * `need` limbs: the squarings alternate between it and rp, and L(m)
     * starts in the one the first squaring does not write, so the last
     * squaring writes rp. */
    if (m >= FF_TABLE_LIMIT) pc = ff_pair_cap(k);
    buf = ff_scratch_get(&s, 4 * pc + (j ? need : 1));
    if (buf == NULL) return -1;
    spare = buf + 4 * pc;
    cur = (j == 0 || ((j - 1) & 1)) ? rp : spare;   /* L(m) */
    if (m < FF_TABLE_LIMIT) {
        cur[0] = ff_fib_table[m - 1] + ff_fib_table[m + 1];
        rn = 1;
    } else {
        p.a = buf; p.b = buf + pc; p.x = buf + 2 * pc; p.y = buf + 3 * pc;
        if (ff_pair_run(&p, k, ops) < 0) { ff_scratch_free(&s); return -1; }
        c = ff_addlsh1(p.x, p.a, p.b, p.size);  /* x = L(k) = F(k) + 2F(k-1) */
        p.x[p.size] = c; n1 = p.size + (c != 0);
        c = ff_addlsh1(p.y, p.b, p.a, p.size);  /* y = 2F(k) + F(k-1) */
        c += mpn_add_n(p.y, p.y, p.a, p.size);  /*   + F(k) = L(k+1) >= L(k) */
        p.y[p.size] = c; n2 = p.size + (c != 0);
        rc = ops->mul(ops->ctx, cur, p.y, n2, p.x, n1);
        if (k & 1) ff_incr(cur, 1);             /* - (-1)^k */
        else ff_decr(cur, 1);
        rn = ff_normalize(cur, n1 + n2);
    }
    /* j squarings, alternating between rp and spare, the last into rp. */
    for (i = 1; i <= j && rc == 0; i++) {
        mp_ptr dst = ((j - i) & 1) ? spare : rp;
        rc = ops->mul(ops->ctx, dst, cur, rn, cur, rn);
        if (i == 1) ff_incr(dst, 2);            /* L(2x) = L(x)^2 - 2(-1)^x: x = m odd */
        else ff_decr(dst, 2);                   /*                           x even   */
        rn = ff_normalize(dst, 2 * rn);
        cur = dst;
    }
    mpz_limbs_finish(out, rn);
    ff_scratch_free(&s);
    return rc;
}

/* (f0, f1) = (F(n), F(n+1)), n >= 0, f0 and f1 distinct.  The doubling to
 * k = (n+1)/2, then one last doubling step whose two squares go straight
 * into the outputs and are combined there in place:
 *     f1 = F(k)^2, f0 = F(k-1)^2;  f0 += f1 (= F(2k-1));
 *     f1 = 5 f1 - f0 + 2(-1)^k (= F(2k+1));  then one subtraction.      */
static inline __attribute__((always_inline)) int
ff_fib_pair_mpz_ops(mpz_ptr f0, mpz_ptr f1, unsigned long n, const ff_mulops *ops) {
    ff_scratch s;
    ff_pair p;
    unsigned long m = n + 1, k = m >> 1;
    mp_size_t sz, n2;
    mp_ptr o0, o1;
    mp_limb_t c;
    if (m <= FF_TABLE_LIMIT) {
        ff_set_u64(f0, ff_fib_table[n]);
        ff_set_u64(f1, ff_fib_table[m]);
        return 0;
    }
    if (ff_pair_init_run(&p, &s, k, ops) < 0) { ff_scratch_free(&s); return -1; }
    sz = p.size;
    o1 = mpz_limbs_write(f1, 2 * sz + 2);
    o0 = mpz_limbs_write(f0, 2 * sz + 2);
    if (ops->sqr2(ops->ctx, o1, p.a, o0, p.b, sz) < 0) { ff_scratch_free(&s); return -1; }
    ff_scratch_free(&s);                        /* the rest runs in the outputs */
    n2 = 2 * sz;
    n2 -= (o1[n2 - 1] == 0);
    o0[n2] = mpn_add_n(o0, o1, o0, n2);         /* F(2k-1) */
    c = mpn_mul_1(o1, o1, n2, 5);
    c -= mpn_sub_n(o1, o1, o0, n2);
    c -= o0[n2];
    o1[n2] = c;
    if (k & 1) ff_decr(o1, 2);
    else ff_incr(o1, 2);
    c = o1[n2];                                 /* F(2k+1) */
    n2 += (c != 0);
    if (m & 1) mpn_sub_n(o0, o1, o0, n2);       /* (F(2k+1), F(2k)) */
    else mpn_sub_n(o1, o1, o0, n2);             /* (F(2k), F(2k-1)) */
    mpz_limbs_finish(f1, ff_normalize(o1, n2));
    mpz_limbs_finish(f0, ff_normalize(o0, n2));
    return 0;
}

/* The GMP-only entry points (no FLINT): what fastfib's portable module calls. */
FF_API int ff_fib_mpz(mpz_ptr out, unsigned long n) { return ff_fib_mpz_ops(out, n, &ff_gmp_ops); }
FF_API int ff_lucas_mpz(mpz_ptr out, unsigned long n) { return ff_lucas_mpz_ops(out, n, &ff_gmp_ops); }
FF_API int ff_fib_pair_mpz(mpz_ptr f0, mpz_ptr f1, unsigned long n) { return ff_fib_pair_mpz_ops(f0, f1, n, &ff_gmp_ops); }

#endif /* FF_SMALL_H */
