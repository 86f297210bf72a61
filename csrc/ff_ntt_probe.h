/* ff_ntt_probe.h: the NTT path's two multiplications on operands a test
 * chooses (private: fastfib._core._ntt_product and _ntt_decimal_product).
 *
 * F(n) only ever feeds the kernels Fibonacci-shaped operands; these let
 * tests aim at the edges of the transforms instead: all-ones limbs, digits
 * of 10^19 - 1, powers of the base, sizes across FLINT's thresholds.
 * They run exactly the products ff_bin.h and ff_dec.h run.
 */
#ifndef FF_NTT_PROBE_H
#define FF_NTT_PROBE_H

#include <stdlib.h>
#include <string.h>
#include "ff_bin.h"
#include "ff_dec.h"

/* out = x * y for x, y >= 0, by ff_bin.h's product (flint_mpn_mul/sqr);
 * returns 0 (GMP and FLINT abort without memory: keep the operands small). */
FF_API int ff_probe_binary_product(mpz_ptr out, mpz_srcptr x, mpz_srcptr y) {
    mp_size_t xn = mpz_size(x), yn = mpz_size(y);
    mp_ptr r;
    if (xn == 0 || yn == 0) {
        mpz_set_ui(out, 0);
        return 0;
    }
    if (xn < yn) {                                   /* FLINT wants the longer operand first */
        mpz_srcptr t = x; x = y; y = t;
        mp_size_t tn = xn; xn = yn; yn = tn;
    }
    r = mpz_limbs_write(out, xn + yn);
    ff_bin_mul(NULL, r, mpz_limbs_read(x), xn, mpz_limbs_read(y), yn);
    mpz_limbs_finish(out, ff_normalize(r, xn + yn));
    return 0;
}

/* Decimal digits (no sign, no leading zeros but "0") into base-10^19 limbs,
 * least significant first; returns the limb count. */
static long ff_probe_limbs(ff_u64 *limbs, const char *digits, size_t len) {
    long n = 0;
    while (len > 0) {
        size_t take = len < 19 ? len : 19;
        ff_u64 v = 0;
        for (size_t i = len - take; i < len; i++) v = v * 10 + (ff_u64)(digits[i] - '0');
        limbs[n++] = v;
        len -= take;
    }
    return ff_dec_normalize(limbs, n);
}

/* a * b for two decimal strings of digits, by ff_dec.h's product (radix_mul
 * in base 10^19): the digits of the product into buf (cap bytes: at least
 * alen + blen + 2), returns their length, or FF_DEC_ENOMEM. */
FF_API long ff_probe_decimal_product(char *buf, size_t cap, const char *a, size_t alen, const char *b, size_t blen) {
    const radix_struct *radix = ff_dec_radix();
    long an, bn, rn;
    ff_u64 *A = malloc((alen / 19 + 2) * sizeof(ff_u64));
    ff_u64 *B = malloc((blen / 19 + 2) * sizeof(ff_u64));
    ff_u64 *R = malloc((alen / 19 + blen / 19 + 4) * sizeof(ff_u64));
    if (A == NULL || B == NULL || R == NULL || cap < alen + blen + 2) {
        free(A); free(B); free(R);
        return FF_DEC_ENOMEM;
    }
    an = ff_probe_limbs(A, a, alen);
    bn = ff_probe_limbs(B, b, blen);
    if (an == 0 || bn == 0) {                        /* a factor is 0 */
        strcpy(buf, "0");
        free(A); free(B); free(R);
        return 1;
    }
    if (an < bn) {                                   /* the longer operand first, as for FLINT's mpn */
        ff_u64 *t = A; A = B; B = t;
        long tn = an; an = bn; bn = tn;
    }
    radix_mul(R, A, an, B, bn, radix);
    rn = ff_dec_normalize(R, an + bn);
    radix_get_str_decimal(buf, R, rn, 0, radix);
    free(A); free(B); free(R);
    return (long)strlen(buf);
}

#endif /* FF_NTT_PROBE_H */
