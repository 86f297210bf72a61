# csrc/ff_fibtab.h, csrc/ff_small.h and csrc/ff_ntt_switch.h: the 64-bit table,
# the doubling on limb arrays (GMP only), and the switch to the NTT kernels.

from libc.stdint cimport uint64_t
from gmpy2 cimport mpz_ptr, mpz_srcptr

cdef extern from "ff_fibtab.h" nogil:
    int FF_TABLE_LIMIT                    # F(0)..F(93) fit in 64 bits
    const uint64_t ff_fib_table[]

cdef extern from "ff_small.h" nogil:
    # 0, or -1 if the scratch block could not be allocated
    int ff_fib_mpz(mpz_ptr, unsigned long) noexcept
    int ff_lucas_mpz(mpz_ptr, unsigned long) noexcept
    int ff_fib_pair_mpz(mpz_ptr, mpz_ptr, unsigned long) noexcept   # F(n), F(n+1)

cdef extern from "ff_ntt_switch.h" nogil:
    ctypedef struct ff_par2:
        pass
    ctypedef struct ff_ntt_api:
        int abi
        const char *flint_version
        int (*fib)(mpz_ptr, unsigned long, const ff_par2 *) noexcept nogil
        int (*lucas)(mpz_ptr, unsigned long, const ff_par2 *) noexcept nogil
        int (*fib_pair)(mpz_ptr, mpz_ptr, unsigned long, const ff_par2 *) noexcept nogil
        size_t (*decimal_cap)(long) noexcept nogil
        long (*fib_decimal)(char *, size_t, long, const ff_par2 *) noexcept nogil
        size_t (*binary_peak)(unsigned long, int, int) noexcept nogil
        size_t (*decimal_peak)(long, int) noexcept nogil
        int (*binary_product)(mpz_ptr, mpz_srcptr, mpz_srcptr) noexcept nogil
        long (*decimal_product)(char *, size_t, const char *, size_t, const char *, size_t) noexcept nogil
    int FF_NTT_ABI
    void ff_set_ntt(const ff_ntt_api *) noexcept       # load (or NULL: unload) the kernels
    const ff_ntt_api *ff_ntt_loaded() noexcept        # the kernels now, NULL for the GMP path
    void ff_set_call_ntt(int) noexcept
    const ff_ntt_api *ff_ntt_for_call() noexcept      # loaded and allowed for this call, read once
    const ff_par2 *ff_call_par2() noexcept  # the pool hook for this call's threads, or NULL
