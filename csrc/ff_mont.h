/* F(n) mod m for a modulus of a few limbs, on fixed-length limb arrays.
 *
 * A doubling on (F(k), L(k)) over the bits of n, on L-limb arrays: one
 * product and one square per bit (mpn_mul_n, mpn_sqr), each reduced by
 * Montgomery's REDC (L mpn_addmul_1 passes, as GMP's own redc_1), and one
 * to four sums (mpn_add_n / mpn_sub_n with one conditional correction),
 * instead of general mpz calls per step (products into growing mpz, a
 * division, sign fix-ups).  Measured here per bit of n (make bench), against
 * the word loop's 25 ns: 256 bits 115 ns (mpz calls: 240 ns).  Tried and slower:
 * inline C with double-limb products or carry intrinsics (faster only at 2
 * limbs), GMP's internal redc_1 (no gain), and the (F(k), F(k-1)) doubling
 * of the word loop (two squares but six modular sums per bit, 15% slower).
 * Montgomery and the halving need an odd modulus; _mod.pxi splits an even
 * one (m = 2^e q) and joins the residues.
 *
 * Only for m of up to FF_MONT_MAX_LIMBS limbs: REDC is quadratic in L, and
 * above that GMP's subquadratic division wins.  The buffers are on the
 * stack (a few times FF_MONT_MAX_LIMBS limbs): nothing here allocates but
 * the result's few limbs.
 */
#ifndef FF_MONT_H
#define FF_MONT_H

#include <string.h>
#include <gmp.h>

/* Above this many limbs, fib_mod uses mpz calls: REDC's L single-limb
 * passes cost more than GMP's division from about here on. */
#define FF_MONT_MAX_LIMBS 32

#define FF_INLINE static inline __attribute__((always_inline))

/* -1/m0 mod B for odd m0: Newton's iteration doubles the correct low bits
 * (m0 is its own inverse mod 8, so 3 bits to start; 6 steps give 192). */
static mp_limb_t ff_mont_neg_inverse(mp_limb_t m0) {
    mp_limb_t x = m0;
    for (int i = 0; i < 6; i++)
        x *= 2 - m0 * x;
    return -x;
}

/* r = t / B^L mod m, for t < m B^L (2L limbs, clobbered), as GMP's redc_1:
 * each pass clears a low limb of t and parks its carry there, and
 * (t + u m) / B^L, the high half plus those carries, is below 2m. */
FF_INLINE void ff_redc(mp_limb_t *r, mp_limb_t *t, const mp_limb_t *m, mp_limb_t minv, int L) {
    for (int i = 0; i < L; i++)
        t[i] = mpn_addmul_1(t + i, m, L, t[i] * minv);
    if (mpn_add_n(r, t + L, t, L) || mpn_cmp(r, m, L) >= 0)
        mpn_sub_n(r, r, m, L);
}

/* r = a^2 / B^L mod m, for a < m. */
FF_INLINE void ff_mont_sqr(mp_limb_t *r, const mp_limb_t *a, const mp_limb_t *m, mp_limb_t minv, int L) {
    mp_limb_t t[2 * FF_MONT_MAX_LIMBS];
    mpn_sqr(t, a, L);
    ff_redc(r, t, m, minv, L);
}

/* r = x + y mod m, r = x - y mod m, for x, y < m; r may be x or y. */
FF_INLINE void ff_addmod(mp_limb_t *r, const mp_limb_t *x, const mp_limb_t *y, const mp_limb_t *m, int L) {
    if (mpn_add_n(r, x, y, L) || mpn_cmp(r, m, L) >= 0)
        mpn_sub_n(r, r, m, L);
}

FF_INLINE void ff_submod(mp_limb_t *r, const mp_limb_t *x, const mp_limb_t *y, const mp_limb_t *m, int L) {
    if (mpn_sub_n(r, x, y, L))
        mpn_add_n(r, r, m, L);
}

/* r = x / 2 mod m (m odd): x, or x + m, is even. */
FF_INLINE void ff_halfmod(mp_limb_t *r, const mp_limb_t *x, const mp_limb_t *m, int L) {
    mp_limb_t c = 0;
    if (x[0] & 1) {
        c = mpn_add_n(r, x, m, L);
        x = r;
    }
    mpn_rshift(r, x, L, 1);
    r[L - 1] |= c << (GMP_NUMB_BITS - 1);
}

FF_INLINE void ff_mont_mul(mp_limb_t *r, const mp_limb_t *a, const mp_limb_t *b, const mp_limb_t *m, mp_limb_t minv, int L) {
    mp_limb_t t[2 * FF_MONT_MAX_LIMBS];
    mpn_mul_n(t, a, b, L);
    ff_redc(r, t, m, minv, L);
}

/* The doubling over the bits of n on (F(k), L(k)), in Montgomery form:
 * F(2k) = F(k) L(k), L(2k) = L(k)^2 - 2 (-1)^k; and a set bit then moves to
 * F(2k+1) = (F(2k) + L(2k)) / 2, L(2k+1) = F(2k+1) + 2 F(2k). */
FF_INLINE void ff_mont_run(mp_limb_t *f, mp_limb_t *l, const mp_limb_t *two, mpz_srcptr n,
                           const mp_limb_t *m, mp_limb_t minv, int L) {
    mp_limb_t f2[FF_MONT_MAX_LIMBS + 1], u[FF_MONT_MAX_LIMBS + 1];
    long pos = mpz_sgn(n) ? (long)mpz_sizeinbase(n, 2) : 0;
    int odd_k = 0;
    while (pos > 0) {
        int bit = mpz_tstbit(n, (mp_bitcnt_t)--pos);
        ff_mont_mul(f2, f, l, m, minv, L);      /* F(2k) */
        ff_mont_sqr(l, l, m, minv, L);          /* L(2k) */
        if (odd_k)
            ff_addmod(l, l, two, m, L);
        else
            ff_submod(l, l, two, m, L);
        if (bit) {
            ff_addmod(u, f2, l, m, L);
            ff_halfmod(f, u, m, L);             /* F(2k+1) */
            ff_addmod(f2, f2, f2, m, L);
            ff_addmod(l, f, f2, m, L);          /* L(2k+1) */
        } else {
            memcpy(f, f2, L * sizeof(mp_limb_t));
        }
        odd_k = bit;
    }
}

/* out = F(n) mod m for n >= 0 and an odd m of 2 to FF_MONT_MAX_LIMBS limbs. */
static void ff_fib_mod_mont(mpz_ptr out, mpz_srcptr n, mpz_srcptr mz) {
    int L = (int)mpz_size(mz);
    const mp_limb_t *m = mpz_limbs_read(mz);
    mp_limb_t minv = ff_mont_neg_inverse(m[0]);
    mp_limb_t a[FF_MONT_MAX_LIMBS + 1], b[FF_MONT_MAX_LIMBS + 1], two[FF_MONT_MAX_LIMBS + 1];
    mp_limb_t t[2 * FF_MONT_MAX_LIMBS + 2], q[FF_MONT_MAX_LIMBS + 2];

    memset(t, 0, sizeof t);
    t[L] = 1;                                   /* B^L */
    mpn_tdiv_qr(q, b, 0, t, L + 1, m, L);       /* b = B^L mod m: 1 in Montgomery form */
    ff_addmod(two, b, b, m, L);
    memcpy(b, two, sizeof two);                 /* L(0) = 2 */
    memset(a, 0, sizeof a);                     /* F(0) = 0 */
    switch (L) {                                /* unrolled for the usual sizes */
    case 2: ff_mont_run(a, b, two, n, m, minv, 2); break;
    case 3: ff_mont_run(a, b, two, n, m, minv, 3); break;
    case 4: ff_mont_run(a, b, two, n, m, minv, 4); break;
    default: ff_mont_run(a, b, two, n, m, minv, L); break;
    }
    memset(t, 0, sizeof t);                     /* out of Montgomery form: REDC of (a, 0) */
    memcpy(t, a, L * sizeof(mp_limb_t));
    ff_redc(a, t, m, minv, L);
    memcpy(mpz_limbs_write(out, L), a, L * sizeof(mp_limb_t));
    mpz_limbs_finish(out, L);
}

#endif
