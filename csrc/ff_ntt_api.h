/* ff_ntt_api.h: the kernels fastfib._ntt hands to the core, and the core's
 * switch for them.
 *
 * _ntt is compiled for x86-64-v3 (on x86_64) and linked with FLINT; the core
 * is generic.  So the core never calls into _ntt by name: after its CPU
 * check passes, fastfib._backend imports _ntt and gives the core this table
 * of function pointers (a PyCapsule), which ff_ntt points to.  NULL means
 * the GMP path.
 */
#ifndef FF_NTT_API_H
#define FF_NTT_API_H

#include <stddef.h>
#include <gmp.h>
#include "ff_par2.h"

/* Bumped whenever the table changes: a stale _ntt beside a new core is refused. */
#define FF_NTT_ABI 2

typedef struct {
    int abi;
    const char *flint_version;
    /* F(n), L(n), (F(n), F(n+1)) for n >= 0 into mpz: 0, or -1 when the
     * scratch block could not be allocated (GMP's and FLINT's own
     * allocations abort instead: the caller reserves the memory first). */
    int (*fib)(mpz_ptr out, unsigned long n, const ff_par2 *par);
    int (*lucas)(mpz_ptr out, unsigned long n, const ff_par2 *par);
    int (*fib_pair)(mpz_ptr f0, mpz_ptr f1, unsigned long n, const ff_par2 *par);
    /* F(n) in decimal, any n: the buffer size it needs, and the writer
     * (length, or < 0: no memory / buffer too small). */
    size_t (*decimal_cap)(long n);
    long (*fib_decimal)(char *buf, size_t cap, long n, const ff_par2 *par);
    /* Peak heap of one call, the result included (admission). */
    size_t (*binary_peak)(unsigned long n, int threads, int pair);
    size_t (*decimal_peak)(long n, int threads);
    /* The two multiplications on operands a test chooses (ff_ntt_probe.h);
     * no memory check: tests keep the operands small. */
    int (*binary_product)(mpz_ptr out, mpz_srcptr x, mpz_srcptr y);
    long (*decimal_product)(char *buf, size_t cap, const char *a, size_t alen, const char *b, size_t blen);
} ff_ntt_api;

#endif /* FF_NTT_API_H */
