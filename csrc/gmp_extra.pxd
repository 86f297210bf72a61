# GMP functions fastfib calls that gmpy2.pxd does not declare.

from gmpy2 cimport mpz_ptr, mpz_srcptr

cdef extern from "gmp.h" nogil:
    ctypedef unsigned long mp_bitcnt_t
    size_t mpz_sizeinbase(mpz_srcptr, int)
    void mpz_init2(mpz_ptr, mp_bitcnt_t)
    void mpz_clear(mpz_ptr)
    void mpz_set_ui(mpz_ptr, unsigned long)
    void mpz_swap(mpz_ptr, mpz_ptr)
    void mpz_add(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void mpz_sub(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void mpz_add_ui(mpz_ptr, mpz_srcptr, unsigned long)
    void mpz_sub_ui(mpz_ptr, mpz_srcptr, unsigned long)
    void mpz_mul(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void mpz_mul_2exp(mpz_ptr, mpz_srcptr, mp_bitcnt_t)
    void mpz_mul_ui(mpz_ptr, mpz_srcptr, unsigned long)
    void mpz_submul_ui(mpz_ptr, mpz_srcptr, unsigned long)
    void mpz_neg(mpz_ptr, mpz_srcptr)
    void mpz_mod(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void mpz_tdiv_r(mpz_ptr, mpz_srcptr, mpz_srcptr)
    int mpz_tstbit(mpz_srcptr, mp_bitcnt_t)
    int mpz_sgn(mpz_srcptr)
    int mpz_cmp_ui(mpz_srcptr, unsigned long)
    unsigned long mpz_get_ui(mpz_srcptr)
    char *mpz_get_str(char *, int, mpz_srcptr)
    int mp_bits_per_limb
    size_t mpz_size(mpz_srcptr)
    void mpz_init(mpz_ptr)
    void mpz_setbit(mpz_ptr, mp_bitcnt_t)
    mp_bitcnt_t mpz_scan1(mpz_srcptr, mp_bitcnt_t)
    void mpz_tdiv_q_2exp(mpz_ptr, mpz_srcptr, mp_bitcnt_t)
    void mpz_fdiv_r_2exp(mpz_ptr, mpz_srcptr, mp_bitcnt_t)
    unsigned long mpz_fdiv_ui(mpz_srcptr, unsigned long)
    int mpz_invert(mpz_ptr, mpz_srcptr, mpz_srcptr)
