/* Parallel products and decimal output on GMP integers, over ff_pool.h.
 *
 * Every function here gives exactly the result of its serial counterpart
 * (mpz_mul, mpz_get_str); threads <= 1 or operands below the thresholds
 * take the serial code itself.
 */
#ifndef FF_PAR_H
#define FF_PAR_H

#include <stdlib.h>
#include <string.h>
#include <gmp.h>
#include "ff_pool.h"

/* Threads a call may use (fastfib.set_threads), and the sizes from which the
 * parallel paths pay (measured on 2 cores; tests force them low). */
static int ff_threads = 1;
/* The thread count of the call running on this thread, fixed when its memory
 * was reserved (see _core._hold); 0 outside such a call, which then reads
 * ff_threads. */
static __thread int ff_call_threads = 0;
#define FF_THREADS() (ff_call_threads > 0 ? ff_call_threads : ff_threads)

static void ff_set_call_threads(int k) { ff_call_threads = k; }

/* Under an address-space limit, make glibc's malloc predictable, once, for
 * the whole process: large blocks always come from mmap at their own size
 * (the dynamic threshold would move them into arena heaps, which grow by
 * 64 MB reservations), and no new arena is made for a thread (each one maps
 * 64 MB).  Either mapping can fail after a call's memory check passed, and
 * then GMP aborts.  Costs some malloc speed in threaded programs, only where
 * RLIMIT_AS is set. */
#if defined(__GLIBC__)
#include <malloc.h>
#endif
static int ff_malloc_tuned = 0;
static void ff_tune_malloc_for_limit(void) {
#if defined(__GLIBC__) && defined(M_MMAP_THRESHOLD) && defined(M_ARENA_MAX)
    if (!__atomic_exchange_n(&ff_malloc_tuned, 1, __ATOMIC_ACQ_REL)) {
        mallopt(M_MMAP_THRESHOLD, 128 * 1024);
        mallopt(M_ARENA_MAX, 1);
    }
#endif
}
static unsigned long ff_par_mul_bits = 1UL << 17;   /* operand bits of a doubling step */
static unsigned long ff_par_digits = 100000;        /* decimal digits of a number */

/* --- products split by residues -------------------------------------------
 *
 * A product x*y of P limbs is fixed by its residues mod B^h - 1 and mod
 * B^h + 1 once 2h >= P (B = 2^GMP_NUMB_BITS).  Every large mpz_mul already
 * works that way (Schönhage–Strassen through mpn_mulmod_bnm1): the two
 * residues are independent halves of about equal cost.  Computing them on two
 * threads halves a product's time with no extra work, and joining them (the
 * Chinese remainder step below) is linear.  GMP exports the halves only as
 * internal functions; they are weak references here, so a libgmp without
 * them still loads, and a self-check against mpz_mul decides once whether
 * they are used (ff_crt_available).  Without them, a product splits x in halves.
 */
extern mp_limb_t __gmpn_mul_fft(mp_ptr, mp_size_t, mp_srcptr, mp_size_t, mp_srcptr, mp_size_t, int)
    __attribute__((weak));
extern void __gmpn_mulmod_bnm1(mp_ptr, mp_size_t, mp_srcptr, mp_size_t, mp_srcptr, mp_size_t, mp_ptr)
    __attribute__((weak));
extern void __gmpn_sqrmod_bnm1(mp_ptr, mp_size_t, mp_srcptr, mp_size_t, mp_ptr) __attribute__((weak));
extern mp_size_t __gmpn_mulmod_bnm1_next_size(mp_size_t) __attribute__((weak));
extern int __gmpn_fft_best_k(mp_size_t, int) __attribute__((weak));

/* Below this many limbs in h, GMP itself would not use its FFT. */
#define FF_CRT_MIN_LIMBS 1024
/* 1: use the residue split when the self-check passed; 0: never (tests). */
static int ff_crt_enabled = 1;
static int ff_crt_checked = 0;   /* 0 unknown, 1 passed, -1 failed */

typedef struct {
    mp_srcptr xp, yp;   /* |x| and |y|, xn >= yn >= 1 */
    mp_size_t xn, yn;
    int sq;             /* y is x */
    mp_size_t h;        /* the residues are mod B^h - 1 and B^h + 1 */
    int k;              /* FFT depth for mod B^h + 1 */
    mp_ptr rm;          /* h limbs: x*y mod B^h - 1 (B^h - 1 may stand for 0) */
    mp_ptr rp;          /* h + 1 limbs: x*y mod B^h + 1, in [0, B^h] */
    int failed;         /* a task could not get memory */
} ff_crt;

/* {f, h} = {a, an} mod B^h - 1, not fully reduced (B^h - 1 may stand for 0). */
static void ff_fold(mp_ptr f, mp_srcptr a, mp_size_t an, mp_size_t h) {
    mp_limb_t cy = 0;
    mp_size_t off;
    memset(f, 0, (size_t)h * sizeof(mp_limb_t));
    for (off = 0; off < an; off += h)           /* B^h = 1 */
        cy += mpn_add(f, f, h, a + off, an - off < h ? an - off : h);
    while (cy) cy = mpn_add_1(f, f, h, cy);     /* end-around carry */
}

static void ff_crt_minus(void *p) {
    ff_crt *c = (ff_crt *)p;
    mp_size_t h = c->h, an = c->xn, bn = c->yn;
    mp_srcptr a = c->xp, b = c->yp;
    /* Two folded operands and GMP's scratch (at most 2h + 4 limbs). */
    mp_ptr buf = (mp_ptr)malloc((size_t)(4 * h + 8) * sizeof(mp_limb_t));
    if (buf == NULL) { c->failed = 1; return; }
    if (an > h) { ff_fold(buf, a, an, h); a = buf; an = h; }
    if (c->sq) {
        __gmpn_sqrmod_bnm1(c->rm, h, a, an, buf + 2 * h);
    } else {
        if (bn > h) { ff_fold(buf + h, b, bn, h); b = buf + h; bn = h; }
        if (an < bn) { mp_srcptr t = a; a = b; b = t; mp_size_t tn = an; an = bn; bn = tn; }
        __gmpn_mulmod_bnm1(c->rm, h, a, an, b, bn, buf + 2 * h);
    }
    free(buf);
}

static void ff_crt_plus(void *p) {
    ff_crt *c = (ff_crt *)p;
    /* mpn_mul_fft reduces longer operands itself; the same pointers mean a square. */
    c->rp[c->h] = __gmpn_mul_fft(c->rp, c->h, c->xp, c->xn, c->sq ? c->xp : c->yp, c->sq ? c->xn : c->yn, c->k);
}

/* Fill c for |x|*|y| and allocate its residues: 1; 0 if the split does not
 * apply to these sizes, -1 if there was no memory.  The caller then
 * multiplies otherwise. */
static int ff_crt_plan_raw(ff_crt *c, mp_srcptr xp, mp_size_t xn, mp_srcptr yp, mp_size_t yn, int sq) {
    mp_size_t h;
    int k;
    if (xn < yn) { mp_srcptr t = xp; xp = yp; yp = t; mp_size_t tn = xn; xn = yn; yn = tn; }
    if (yn < 1) return 0;
    h = __gmpn_mulmod_bnm1_next_size(xn + yn) / 2;
    if (h < FF_CRT_MIN_LIMBS || 2 * h < xn + yn) return 0;
    k = __gmpn_fft_best_k(h, sq);
    while (k > 0 && (h & ((1L << k) - 1)) != 0) k--;
    if (k < 4) return 0;                         /* GMP's FFT_FIRST_K */
    c->xp = xp; c->xn = xn; c->yp = yp; c->yn = yn; c->sq = sq;
    c->h = h; c->k = k; c->failed = 0;
    c->rm = (mp_ptr)malloc((size_t)(2 * h + 1) * sizeof(mp_limb_t));
    if (c->rm == NULL) return -1;
    c->rp = c->rm + h;
    return 1;
}

/* out = (the product c holds) * sign, by the Chinese remainder theorem:
 *   out = rp + (B^h + 1) t,  t = (rm - rp) / 2 mod (B^h - 1),
 * since B^h + 1 = 2 mod B^h - 1.  With rp <= B^h and t <= B^h - 2,
 * out < B^2h - 1, so it is the product itself.  Frees c's residues; returns
 * 0 (out untouched) if a task failed. */
static int ff_crt_join(mpz_ptr out, ff_crt *c, int sign) {
    mpz_t rm, rp, t, m;
    mp_bitcnt_t hb = (mp_bitcnt_t)c->h * GMP_NUMB_BITS;
    if (c->failed) { free(c->rm); return 0; }
    mpz_roinit_n(rm, c->rm, c->h);
    mpz_roinit_n(rp, c->rp, c->h + 1);
    mpz_init2(m, hb + GMP_NUMB_BITS);
    mpz_setbit(m, hb);
    mpz_sub_ui(m, m, 1);                         /* m = B^h - 1 */
    mpz_init2(t, hb + GMP_NUMB_BITS);
    mpz_sub(t, rm, rp);                          /* in [-B^h, B^h - 1] */
    while (mpz_sgn(t) < 0) mpz_add(t, t, m);     /* at most twice */
    if (mpz_cmp(t, m) == 0) mpz_set_ui(t, 0);   /* rm = B^h - 1 standing for 0 (and rp = 0) */
    if (mpz_odd_p(t)) mpz_add(t, t, m);          /* m is odd: now even, < 2m */
    mpz_fdiv_q_2exp(t, t, 1);
    mpz_realloc2(out, 2 * hb + GMP_NUMB_BITS);
    mpz_mul_2exp(out, t, hb);
    mpz_add(out, out, t);
    mpz_add(out, out, rp);
    if (sign < 0) mpz_neg(out, out);
    mpz_clear(t);
    mpz_clear(m);
    free(c->rm);
    return 1;
}

/* Do GMP's internals exist and give mpz_mul's products?  1 yes, 0 no, -1
 * unknown (no memory to test now).  Checked on a product and a square of
 * the sizes the split takes, with all-ones and mixed limbs (the Chinese
 * remainder step's edge cases). */
static int ff_crt_self_check(void) {
    mpz_t x, y, want, got;
    ff_crt c;
    mp_size_t xn = 3 * FF_CRT_MIN_LIMBS, yn = 3 * FF_CRT_MIN_LIMBS - 5, i;
    int result = 1, round, sq;
    if (!__gmpn_mul_fft || !__gmpn_mulmod_bnm1 || !__gmpn_sqrmod_bnm1 || !__gmpn_mulmod_bnm1_next_size
        || !__gmpn_fft_best_k || __GNU_MP_VERSION != 6 || gmp_version[0] != '6' || gmp_version[1] != '.')
        return 0;
    mpz_inits(x, y, want, got, NULL);
    for (round = 0; round < 2 && result == 1; round++) {
        mp_ptr xl = mpz_limbs_write(x, xn), yl = mpz_limbs_write(y, yn);
        mp_limb_t s = 0x9e3779b97f4a7c15UL;
        for (i = 0; i < xn; i++) { s = s * 6364136223846793005UL + 1442695040888963407UL; xl[i] = round ? ~(mp_limb_t)0 : s; }
        for (i = 0; i < yn; i++) { s = s * 6364136223846793005UL + 1442695040888963407UL; yl[i] = round ? ~(mp_limb_t)0 : s; }
        mpz_limbs_finish(x, xn);
        mpz_limbs_finish(y, yn);
        for (sq = 0; sq < 2 && result == 1; sq++) {
            mpz_srcptr b = sq ? x : y;
            mpz_mul(want, x, b);
            int planned = ff_crt_plan_raw(&c, mpz_limbs_read(x), xn, mpz_limbs_read(b), mpz_size(b), sq);
            if (planned <= 0) {                  /* no memory: unknown; sizes refused: not usable */
                result = planned;
                break;
            }
            ff_crt_minus(&c);
            ff_crt_plus(&c);
            if (!ff_crt_join(got, &c, 1)) result = -1;
            else if (mpz_cmp(got, want) != 0) result = 0;
        }
    }
    mpz_clears(x, y, want, got, NULL);
    return result;
}

/* 1 if products may use the residue split now: it is enabled and GMP's
 * internals passed the self-check, which the first caller runs. */
static int ff_crt_available(void) {
    if (!ff_crt_enabled) return 0;
    int state = __atomic_load_n(&ff_crt_checked, __ATOMIC_ACQUIRE);
    if (state == 0) {                            /* two first callers may both check: harmless */
        int found = ff_crt_self_check();
        if (found < 0) return 0;                 /* no memory to check now: check at a later call */
        state = found ? 1 : -1;
        __atomic_store_n(&ff_crt_checked, state, __ATOMIC_RELEASE);
    }
    return state > 0;
}

/* Plan x*y for the residue split if it is available and applies to these sizes. */
static int ff_crt_plan(ff_crt *c, mpz_srcptr x, mpz_srcptr y) {
    int sq = mpz_limbs_read(x) == mpz_limbs_read(y) && mpz_size(x) == mpz_size(y);
    return ff_crt_available()
        && ff_crt_plan_raw(c, mpz_limbs_read(x), (mp_size_t)mpz_size(x), mpz_limbs_read(y), (mp_size_t)mpz_size(y), sq) > 0;
}

/* --- products ------------------------------------------------------------- */

typedef struct { ff_crt *c; int plus; } ff_half_job;

static void ff_half_task(void *p) {
    ff_half_job *j = (ff_half_job *)p;
    if (j->plus) ff_crt_plus(j->c); else ff_crt_minus(j->c);
}

typedef struct { mpz_ptr out; mpz_srcptr x, y; } ff_mul_job;

static void ff_mul_task(void *p) {
    ff_mul_job *j = (ff_mul_job *)p;
    mpz_mul(j->out, j->x, j->y);
}

/* o1 = x1*y1 and o2 = x2*y2 (no output aliases an input), at once when the
 * operands are large; with 4 threads or more, each product also splits by
 * residues, so four tasks run. */
static void ff_mul2(mpz_ptr o1, mpz_srcptr x1, mpz_srcptr y1, mpz_ptr o2, mpz_srcptr x2, mpz_srcptr y2) {
    ff_mul_job jobs[2] = {{o1, x1, y1}, {o2, x2, y2}};
    void *args[4] = {&jobs[0], &jobs[1]};
    int threads = FF_THREADS();
    if (threads > 1 && mpz_sizeinbase(x1, 2) >= ff_par_mul_bits) {
        ff_crt c[2];
        if (threads >= 4 && ff_crt_plan(&c[0], x1, y1)) {
            if (ff_crt_plan(&c[1], x2, y2)) {
                ff_half_job halves[4] = {{&c[0], 0}, {&c[0], 1}, {&c[1], 0}, {&c[1], 1}};
                int i;
                for (i = 0; i < 4; i++) args[i] = &halves[i];
                ff_run(4, ff_half_task, args, threads);
                if (!ff_crt_join(o1, &c[0], mpz_sgn(x1) * mpz_sgn(y1))) mpz_mul(o1, x1, y1);
                if (!ff_crt_join(o2, &c[1], mpz_sgn(x2) * mpz_sgn(y2))) mpz_mul(o2, x2, y2);
                return;
            }
            free(c[0].rm);
        }
        ff_run(2, ff_mul_task, args, threads);
    } else {
        mpz_mul(o1, x1, y1);
        mpz_mul(o2, x2, y2);
    }
}

/* out = x*y (out may alias neither x nor y), on two threads when large: by
 * residues, else by splitting x in two halves at a limb boundary,
 * multiplying both by y at once, then shifting and adding. */
static void ff_mul(mpz_ptr out, mpz_srcptr x, mpz_srcptr y) {
    mp_size_t xn = mpz_size(x), half = xn / 2;
    mpz_t hi, lo, p1;
    ff_crt c;
    if (FF_THREADS() <= 1 || mpz_sizeinbase(x, 2) < 2 * ff_par_mul_bits || half == 0) {
        mpz_mul(out, x, y);
        return;
    }
    if (ff_crt_plan(&c, x, y)) {
        ff_half_job jobs[2] = {{&c, 0}, {&c, 1}};
        void *args[2] = {&jobs[0], &jobs[1]};
        ff_run(2, ff_half_task, args, FF_THREADS());
        if (ff_crt_join(out, &c, mpz_sgn(x) * mpz_sgn(y)))
            return;
    }
    mpz_t lo_copy;
    int copied = 0;
    mpz_roinit_n(hi, mpz_limbs_read(x) + half, xn - half);   /* read-only views of |x| */
    mpz_roinit_n(lo, mpz_limbs_read(x), half);
    if (mpz_limbs_read(x) == mpz_limbs_read(y)) {
        /* A square: mpz_mul takes operands with the same limb pointer for a
         * square of one size, so the low half must live elsewhere. */
        mpz_init_set(lo_copy, lo);
        copied = 1;
    }
    /* Both at their final size: the shift and the sum below then never
     * reallocate (and copy) megabytes. */
    mpz_init2(p1, (mp_bitcnt_t)(xn + mpz_size(y) + 1) * GMP_NUMB_BITS);
    mpz_realloc2(out, (mp_bitcnt_t)(xn + mpz_size(y) + 1) * GMP_NUMB_BITS);
    ff_mul2(p1, hi, y, out, copied ? lo_copy : lo, y);
    mpz_mul_2exp(p1, p1, (mp_bitcnt_t)half * GMP_NUMB_BITS);
    mpz_add(out, out, p1);
    if (mpz_sgn(x) < 0) mpz_neg(out, out);
    mpz_clear(p1);
    if (copied) mpz_clear(lo_copy);
}

/* --- decimal output -------------------------------------------------------- */

typedef struct {
    mpz_t v;          /* the value (the root is a read-only view) */
    int pieces;       /* digit pieces it covers */
    int low;          /* index of its lowest piece (0 = least significant) */
    int owned;        /* v must be cleared */
} ff_node;

typedef struct { ff_node *parent, *hi, *lo; mpz_srcptr pow; } ff_split_job;

static void ff_split_task(void *p) {
    ff_split_job *j = (ff_split_job *)p;
    mpz_tdiv_qr(j->hi->v, j->lo->v, j->parent->v, j->pow);
}

typedef struct { ff_node *node; char *slot; size_t width; int top; size_t written; int failed; } ff_leaf_job;

static void ff_leaf_task(void *p) {
    ff_leaf_job *j = (ff_leaf_job *)p;
    if (j->top) {                     /* the most significant piece: no padding */
        if (mpz_sgn(j->node->v) == 0) { j->failed = 1; return; }
        mpz_get_str(j->slot, 10, j->node->v);
        j->written = strlen(j->slot);
        return;
    }
    size_t cap = mpz_sizeinbase(j->node->v, 10) + 2;
    char *tmp = (char *)malloc(cap);
    if (tmp == NULL) { j->failed = 1; return; }
    mpz_get_str(tmp, 10, j->node->v);
    size_t len = strlen(tmp);
    if (mpz_sgn(j->node->v) == 0) len = 0;          /* an all-zero piece is all padding */
    if (len > j->width) { j->failed = 1; free(tmp); return; }
    memset(j->slot, '0', j->width - len);           /* exact zero-padding of an inner piece */
    memcpy(j->slot + (j->width - len), tmp, len);
    j->written = j->width;
    free(tmp);
}

/* Write the decimal digits of |z| into buf (at least mpz_sizeinbase(z, 10) + 2
 * bytes) and return their number; -1 if memory ran out before anything was
 * written (the caller then falls back to mpz_get_str).  Splits |z| by
 * powers of 10 into up to ff_threads pieces of equal length, converted at once. */
static long ff_decimal_abs(char *buf, mpz_srcptr z) {
    size_t d = mpz_sizeinbase(z, 10);
    int threads = FF_THREADS(), p = threads, i, k, nnodes = 1, nsplit, nleaves = 0;
    size_t width, topmax;
    ff_node nodes[2 * FF_MAX_THREADS];
    ff_split_job splits[FF_MAX_THREADS];
    ff_leaf_job leaves[FF_MAX_THREADS];
    void *args[FF_MAX_THREADS];
    mpz_t pows[FF_MAX_THREADS];      /* pows[k] = 10^(k*width), made once, when needed */
    int have_pow[FF_MAX_THREADS];
    long result = -1;
    if (p > FF_MAX_THREADS) p = FF_MAX_THREADS;
    if (p < 2 || d < ff_par_digits || d / (size_t)p < 64) {
        mpz_t a;
        mpz_roinit_n(a, mpz_limbs_read(z), mpz_size(z));
        mpz_get_str(buf, 10, a);
        return (long)strlen(buf);
    }
    width = (d + p - 1) / p;
    /* d may exceed the true count by one: the top piece keeps at least one digit. */
    while (p > 1 && (size_t)(p - 1) * width + 1 >= d) p--;
    if (p < 2) {
        mpz_t a;
        mpz_roinit_n(a, mpz_limbs_read(z), mpz_size(z));
        mpz_get_str(buf, 10, a);
        return (long)strlen(buf);
    }
    topmax = d - (size_t)(p - 1) * width;            /* the top piece has at most this many digits */
    memset(have_pow, 0, sizeof have_pow);
    mpz_roinit_n(nodes[0].v, mpz_limbs_read(z), mpz_size(z));
    nodes[0].pieces = p; nodes[0].low = 0; nodes[0].owned = 0;
    /* Split level by level; all splits of a level run at once. */
    int first = 0, last = 1;
    while (first < last) {
        nsplit = 0;
        for (i = first; i < last; i++) {
            ff_node *n = &nodes[i];
            if (n->pieces < 2) continue;
            int lo_pieces = n->pieces / 2;
            if (!have_pow[lo_pieces]) {
                mpz_init(pows[lo_pieces]);
                mpz_ui_pow_ui(pows[lo_pieces], 10, (unsigned long)(lo_pieces * width));
                have_pow[lo_pieces] = 1;
            }
            ff_node *hi = &nodes[nnodes++], *lo = &nodes[nnodes++];
            mpz_init(hi->v); mpz_init(lo->v);
            hi->owned = lo->owned = 1;
            hi->pieces = n->pieces - lo_pieces; hi->low = n->low + lo_pieces;
            lo->pieces = lo_pieces; lo->low = n->low;
            splits[nsplit].parent = n; splits[nsplit].hi = hi; splits[nsplit].lo = lo;
            splits[nsplit].pow = pows[lo_pieces];
            args[nsplit] = &splits[nsplit];
            nsplit++;
        }
        ff_run(nsplit, ff_split_task, args, threads);
        for (i = 0; i < nsplit; i++)                 /* parents are no longer needed */
            if (splits[i].parent->owned) { mpz_clear(splits[i].parent->v); splits[i].parent->owned = 0; }
        first = last;
        last = nnodes;
    }
    /* The leaves: the top piece at buf[0], the others in order after topmax. */
    for (i = 0; i < nnodes; i++) {
        if (nodes[i].pieces != 1) continue;
        ff_leaf_job *j = &leaves[nleaves];
        j->node = &nodes[i];
        j->top = nodes[i].low == p - 1;
        j->width = width;
        /* One byte after topmax for the top piece's NUL, so no two slots touch. */
        j->slot = j->top ? buf : buf + topmax + 1 + (size_t)(p - 2 - nodes[i].low) * width;
        j->written = 0; j->failed = 0;
        args[nleaves] = j;
        nleaves++;
    }
    ff_run(nleaves, ff_leaf_task, args, threads);
    size_t top_len = 0;
    int failed = 0;
    for (i = 0; i < nleaves; i++) {
        if (leaves[i].failed) failed = 1;
        if (leaves[i].top) top_len = leaves[i].written;
    }
    if (!failed && top_len > 0 && top_len <= topmax) {
        memmove(buf + top_len, buf + topmax + 1, (size_t)(p - 1) * width);
        buf[top_len + (size_t)(p - 1) * width] = '\0';
        result = (long)(top_len + (size_t)(p - 1) * width);
    }
    for (i = 0; i < nnodes; i++)
        if (nodes[i].owned) mpz_clear(nodes[i].v);
    for (k = 0; k < FF_MAX_THREADS; k++)
        if (have_pow[k]) mpz_clear(pows[k]);
    return result;
}

#endif
