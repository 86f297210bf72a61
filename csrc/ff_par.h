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
/* Set on the calling thread for one call whose memory only allows the
 * serial code (see _core._hold): that call then ignores ff_threads. */
static __thread int ff_serial_call = 0;
#define FF_THREADS() (ff_serial_call ? 1 : ff_threads)

static void ff_set_serial_call(int on) { ff_serial_call = on; }
static unsigned long ff_par_mul_bits = 1UL << 17;   /* operand bits of a doubling step */
static unsigned long ff_par_digits = 100000;        /* decimal digits of a number */

typedef struct { mpz_ptr out; mpz_srcptr x, y; } ff_mul_job;

static void ff_mul_task(void *p) {
    ff_mul_job *j = (ff_mul_job *)p;
    mpz_mul(j->out, j->x, j->y);
}

/* o1 = x1*y1 and o2 = x2*y2, at once when the operands are large. */
static void ff_mul2(mpz_ptr o1, mpz_srcptr x1, mpz_srcptr y1, mpz_ptr o2, mpz_srcptr x2, mpz_srcptr y2) {
    ff_mul_job jobs[2] = {{o1, x1, y1}, {o2, x2, y2}};
    void *args[2] = {&jobs[0], &jobs[1]};
    int threads = FF_THREADS();
    if (threads > 1 && mpz_sizeinbase(x1, 2) >= ff_par_mul_bits)
        ff_run(2, ff_mul_task, args, threads);
    else {
        mpz_mul(o1, x1, y1);
        mpz_mul(o2, x2, y2);
    }
}

/* out = x*y (out may alias neither x nor y): split x in two halves at a limb
 * boundary and multiply both by y at once, then shift and add. */
static void ff_mul(mpz_ptr out, mpz_srcptr x, mpz_srcptr y) {
    mp_size_t xn = mpz_size(x), half = xn / 2;
    mpz_t hi, lo, p1;
    if (FF_THREADS() <= 1 || mpz_sizeinbase(x, 2) < 2 * ff_par_mul_bits || half == 0) {
        mpz_mul(out, x, y);
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
