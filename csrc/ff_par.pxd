# csrc/ff_par.h: products, squarings and decimal output on the worker pool.

from gmpy2 cimport mpz_ptr, mpz_srcptr

cdef extern from "ff_par.h" nogil:
    int ff_threads                        # threads a call may use
    unsigned long ff_par_mul_bits         # operand bits from which products run in parallel
    unsigned long ff_par_digits           # digits from which decimal output runs in parallel
    int FF_MAX_THREADS
    void ff_mul(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void ff_mul2(mpz_ptr, mpz_srcptr, mpz_srcptr, mpz_ptr, mpz_srcptr, mpz_srcptr)
    long ff_decimal_abs(char *, mpz_srcptr)
    int ff_workers_started()
    long ff_spin_ns
    void ff_set_call_threads(int)
    void ff_tune_malloc_for_limit()
    int ff_crt_enabled                    # products may split by residues (GMP internals)
    int ff_crt_available()
