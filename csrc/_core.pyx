# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Fast-doubling Fibonacci and Lucas numbers on GMP integers.

Every value is computed with GMP's ``mpz_*`` functions on objects made
through gmpy2's C API, and handed back as ``gmpy2.mpz``.  The functions here
take already-validated machine integers; argument checking lives in the
Python layer (``fastfib._api``).
"""

from gmpy2 cimport *
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.string cimport strlen

cdef extern from "gmp.h":
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
    void mpz_neg(mpz_ptr, mpz_srcptr)
    void mpz_mod(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void mpz_tdiv_r(mpz_ptr, mpz_srcptr, mpz_srcptr)
    int mpz_tstbit(mpz_srcptr, mp_bitcnt_t)
    int mpz_sgn(mpz_srcptr)
    int mpz_cmp(mpz_srcptr, mpz_srcptr)
    int mpz_cmp_ui(mpz_srcptr, unsigned long)
    unsigned long mpz_get_ui(mpz_srcptr)
    char *mpz_get_str(char *, int, mpz_srcptr)
    int mp_bits_per_limb

cdef extern from *:
    """
    #ifndef FASTFIB_GMPY2_VERSION
    #define FASTFIB_GMPY2_VERSION "unknown"
    #endif
    """
    const char *FASTFIB_GMPY2_VERSION

import_gmpy2()

#: gmpy2 version this extension was compiled and linked against.
GMPY2_VERSION = FASTFIB_GMPY2_VERSION.decode("ascii")

ctypedef unsigned long long u64

# F(0)..F(93) fit in 64 bits; index 93 is the largest.
DEF TABLE_LIMIT = 93
cdef u64 FIB_TABLE[TABLE_LIMIT + 2]


cdef void _fill_table() noexcept:
    cdef int i
    FIB_TABLE[0] = 0
    FIB_TABLE[1] = 1
    for i in range(2, TABLE_LIMIT + 1):
        FIB_TABLE[i] = FIB_TABLE[i - 1] + FIB_TABLE[i - 2]

_fill_table()


cdef inline void _set_u64(mpz_ptr z, u64 v) noexcept:
    # unsigned long is 64-bit on every LP64 target we build for; the
    # table is 64-bit wide so guard the (Windows-only) 32-bit case anyway.
    if sizeof(unsigned long) >= 8:
        mpz_set_ui(z, <unsigned long>v)
    else:
        mpz_set_ui(z, <unsigned long>(v >> 32))
        mpz_mul_2exp(z, z, 32)
        mpz_add_ui(z, z, <unsigned long>(v & 0xffffffffu))


cdef inline int _bit_length(unsigned long n) noexcept:
    cdef int b = 0
    while n:
        n >>= 1
        b += 1
    return b


cdef mp_bitcnt_t _result_bits(unsigned long n) noexcept:
    # log2(golden ratio) = 0.6942...; round up and leave headroom so that no
    # temporary is ever reallocated inside the loop.
    return <mp_bitcnt_t>(<double>n * 0.69425) + 2 * mp_bits_per_limb


cdef int _fib_pair_core(mpz_ptr fk, mpz_ptr fk1, unsigned long n,
                        mpz_ptr t1, mpz_ptr t2) noexcept:
    """Set fk = F(n) and fk1 = F(n-1), for n >= 1.

    The doubling uses only two squarings per bit (GMP manual,
    "Fibonacci Numbers Algorithm"):
        F[2k+1] = 4F[k]^2 - F[k-1]^2 + 2(-1)^k
        F[2k-1] = F[k]^2 + F[k-1]^2
        F[2k]   = F[2k+1] - F[2k-1]
    """
    cdef int pos = _bit_length(n)
    cdef unsigned long k = 0
    # Seed from the table with the leading bits, so the loop never runs
    # on small numbers.
    while pos > 0 and ((k << 1) | ((n >> (pos - 1)) & 1)) <= TABLE_LIMIT:
        k = (k << 1) | ((n >> (pos - 1)) & 1)
        pos -= 1
    _set_u64(fk, FIB_TABLE[k])
    _set_u64(fk1, FIB_TABLE[k - 1] if k > 0 else 1)   # F(-1) = 1
    cdef int bit
    while pos > 0:
        pos -= 1
        bit = (n >> pos) & 1
        mpz_mul(t1, fk, fk)
        mpz_mul(t2, fk1, fk1)
        mpz_mul_2exp(fk, t1, 2)
        mpz_sub(fk, fk, t2)                      # 4F[k]^2 - F[k-1]^2
        if k & 1:
            mpz_sub_ui(fk, fk, 2)
        else:
            mpz_add_ui(fk, fk, 2)                # fk = F[2k+1]
        mpz_add(fk1, t1, t2)                     # fk1 = F[2k-1]
        if bit:
            mpz_sub(fk1, fk, fk1)                # (F[2k+1], F[2k])
        else:
            mpz_sub(fk, fk, fk1)                 # (F[2k], F[2k-1])
        k = (k << 1) | bit
    return 0


cdef class _Scratch:
    """Four GMP integers preallocated to the final size."""
    cdef mpz_t a, b, t1, t2

    def __cinit__(self, unsigned long n):
        cdef mp_bitcnt_t bits = _result_bits(n)
        mpz_init2(self.a, bits)
        mpz_init2(self.b, bits)
        mpz_init2(self.t1, bits)
        mpz_init2(self.t2, bits)

    def __dealloc__(self):
        mpz_clear(self.a)
        mpz_clear(self.b)
        mpz_clear(self.t1)
        mpz_clear(self.t2)


cdef inline void _negate_if(mpz res, bint cond) noexcept:
    if cond:
        mpz_neg(MPZ(res), MPZ(res))


def fib_u(unsigned long n, bint negative=False):
    """F(n) for n >= 0, or F(-n) when ``negative``; a fresh gmpy2.mpz."""
    cdef mpz res = GMPy_MPZ_New(NULL)
    cdef _Scratch s
    cdef unsigned long k
    if n <= TABLE_LIMIT:
        _set_u64(MPZ(res), FIB_TABLE[n])
    else:
        s = _Scratch(n)
        k = n >> 1
        _fib_pair_core(s.a, s.b, k, s.t1, s.t2)    # a = F[k], b = F[k-1]
        if n & 1:
            # F[2k+1] = (2F[k] + F[k-1]) (2F[k] - F[k-1]) + 2(-1)^k
            mpz_mul_2exp(s.t1, s.a, 1)
            mpz_add(s.t2, s.t1, s.b)
            mpz_sub(s.t1, s.t1, s.b)
            mpz_mul(MPZ(res), s.t1, s.t2)
            if k & 1:
                mpz_sub_ui(MPZ(res), MPZ(res), 2)
            else:
                mpz_add_ui(MPZ(res), MPZ(res), 2)
        else:
            # F[2k] = F[k] (F[k] + 2F[k-1])
            mpz_mul_2exp(s.t1, s.b, 1)
            mpz_add(s.t1, s.t1, s.a)
            mpz_mul(MPZ(res), s.a, s.t1)
    # F(-n) = (-1)^(n+1) F(n)
    _negate_if(res, negative and not (n & 1))
    return res


def fib_pair_u(unsigned long n):
    """(F(n), F(n+1)) for n >= 0, as two fresh gmpy2.mpz."""
    cdef mpz lo = GMPy_MPZ_New(NULL)
    cdef mpz hi = GMPy_MPZ_New(NULL)
    cdef _Scratch s
    if n + 1 <= TABLE_LIMIT:
        _set_u64(MPZ(lo), FIB_TABLE[n])
        _set_u64(MPZ(hi), FIB_TABLE[n + 1])
        return lo, hi
    s = _Scratch(n + 1)
    _fib_pair_core(s.a, s.b, n + 1, s.t1, s.t2)     # a = F[n+1], b = F[n]
    mpz_swap(MPZ(hi), s.a)
    mpz_swap(MPZ(lo), s.b)
    return lo, hi


def lucas_u(unsigned long n, bint negative=False):
    """L(n) for n >= 0, or L(-n) when ``negative``; a fresh gmpy2.mpz."""
    cdef mpz res = GMPy_MPZ_New(NULL)
    cdef _Scratch s
    cdef unsigned long k
    if n + 1 <= TABLE_LIMIT:
        # L(n) = F(n-1) + F(n+1), with F(-1) = 1
        _set_u64(MPZ(res), FIB_TABLE[n + 1])
        mpz_add_ui(MPZ(res), MPZ(res), <unsigned long>(FIB_TABLE[n - 1] if n > 0 else 1))
    else:
        s = _Scratch(n)
        k = n >> 1
        _fib_pair_core(s.a, s.b, k, s.t1, s.t2)    # a = F[k], b = F[k-1]
        mpz_mul_2exp(s.t1, s.b, 1)
        mpz_add(s.t1, s.t1, s.a)                   # t1 = L[k] = F[k] + 2F[k-1]
        if n & 1:
            # L[2k+1] = L[k] L[k+1] - (-1)^k, with L[k+1] = 3F[k] + F[k-1]
            mpz_mul_2exp(s.t2, s.a, 1)
            mpz_add(s.t2, s.t2, s.a)
            mpz_add(s.t2, s.t2, s.b)
            mpz_mul(MPZ(res), s.t1, s.t2)
            if k & 1:
                mpz_add_ui(MPZ(res), MPZ(res), 1)
            else:
                mpz_sub_ui(MPZ(res), MPZ(res), 1)
        else:
            # L[2k] = L[k]^2 - 2(-1)^k
            mpz_mul(MPZ(res), s.t1, s.t1)
            if k & 1:
                mpz_add_ui(MPZ(res), MPZ(res), 2)
            else:
                mpz_sub_ui(MPZ(res), MPZ(res), 2)
    # L(-n) = (-1)^n L(n)
    _negate_if(res, negative and (n & 1))
    return res


# --- F(n) mod m -----------------------------------------------------------

cdef extern from *:
    """
    #if defined(__SIZEOF_INT128__)
    typedef unsigned __int128 ff_wide;
    #define FF_WORD_MOD_MAX 0xffffffffffffffffULL
    #else
    typedef unsigned long long ff_wide;
    #define FF_WORD_MOD_MAX 0xffffffffULL
    #endif
    """
    ctypedef unsigned long long ff_wide   # a product of two words
    u64 FF_WORD_MOD_MAX                   # largest m the word path handles


cdef u64 _fib_mod_word(u64 m, mpz_ptr nz) noexcept:
    """F(n) mod m for n = nz >= 0 and 1 <= m <= FF_WORD_MOD_MAX, in machine words.

    Same doubling as the big-integer path: (F(k), F(k-1)) -> two squarings.
    """
    cdef u64 a = 0, b = 1             # (F(k), F(k-1)) mod m at k = 0
    cdef u64 s1, s2, t1, t2
    cdef long pos = <long>mpz_sizeinbase(nz, 2) if mpz_sgn(nz) else 0
    cdef bint odd_k = False
    cdef int bit
    if m == 1:
        return 0
    while pos > 0:
        pos -= 1
        bit = mpz_tstbit(nz, pos)
        s1 = <u64>((<ff_wide>a * a) % m)
        s2 = <u64>((<ff_wide>b * b) % m)
        # t1 = F[2k+1] = 4 s1 - s2 + 2(-1)^k, t2 = F[2k-1] = s1 + s2 (mod m)
        t1 = <u64>((<ff_wide>4 * s1 + (m - s2) + (m - 2 % m if odd_k else 2)) % m)
        t2 = <u64>((<ff_wide>s1 + s2) % m)
        if bit:
            a = t1
            b = t1 - t2 if t1 >= t2 else t1 + (m - t2)
        else:
            a = t1 - t2 if t1 >= t2 else t1 + (m - t2)
            b = t2
        odd_k = bit
    return a


cdef void _fib_mod_mpz(mpz_ptr out, mpz_ptr nz, mpz_ptr m) noexcept:
    """out = F(n) mod m for n = nz >= 0 and any m >= 1, in GMP integers."""
    cdef mpz_t a, b, s1, s2
    cdef mp_bitcnt_t width = 2 * mpz_sizeinbase(m, 2) + 4 * mp_bits_per_limb
    cdef long pos = <long>mpz_sizeinbase(nz, 2) if mpz_sgn(nz) else 0
    cdef bint odd_k = False
    cdef int bit
    mpz_init2(a, width)
    mpz_init2(b, width)
    mpz_init2(s1, width)
    mpz_init2(s2, width)
    mpz_set_ui(a, 0)                  # (F(k), F(k-1)) mod m at k = 0
    mpz_set_ui(b, 1)
    while pos > 0:
        pos -= 1
        bit = mpz_tstbit(nz, pos)
        mpz_mul(s1, a, a)
        mpz_mul(s2, b, b)
        mpz_add(b, s1, s2)
        mpz_tdiv_r(b, b, m)           # F[2k-1]
        mpz_mul_2exp(a, s1, 2)
        mpz_sub(a, a, s2)
        if odd_k:
            mpz_sub_ui(a, a, 2)
        else:
            mpz_add_ui(a, a, 2)
        mpz_mod(a, a, m)              # F[2k+1], may start negative
        if bit:                       # (F[2k+1], F[2k])
            mpz_sub(b, a, b)
            if mpz_sgn(b) < 0:
                mpz_add(b, b, m)
        else:                         # (F[2k], F[2k-1])
            mpz_sub(a, a, b)
            if mpz_sgn(a) < 0:
                mpz_add(a, a, m)
        odd_k = bit
    mpz_mod(out, a, m)
    mpz_clear(a)
    mpz_clear(b)
    mpz_clear(s1)
    mpz_clear(s2)


def fib_mod_z(mpz n_abs, bint negative, mpz m):
    """F(n) mod m as a fresh gmpy2.mpz in [0, m).

    ``n_abs`` = |n| and ``m`` >= 1 are gmpy2.mpz values that are only read,
    never written.
    """
    cdef mpz res = GMPy_MPZ_New(NULL)
    if mpz_cmp_ui(MPZ(m), FF_WORD_MOD_MAX) <= 0:
        mpz_set_ui(MPZ(res), <unsigned long>_fib_mod_word(mpz_get_ui(MPZ(m)), MPZ(n_abs)))
    else:
        _fib_mod_mpz(MPZ(res), MPZ(n_abs), MPZ(m))
    # F(-n) = (-1)^(n+1) F(n): negate when n is even.
    if negative and not mpz_tstbit(MPZ(n_abs), 0) and mpz_sgn(MPZ(res)):
        mpz_sub(MPZ(res), MPZ(m), MPZ(res))
    return res


# --- decimal output -------------------------------------------------------

def decimal(mpz x):
    """The decimal digits of x as ASCII bytes, with a leading '-' if negative.

    Uses GMP's mpz_get_str, so it has no digit limit and is subquadratic.
    """
    cdef size_t cap = mpz_sizeinbase(MPZ(x), 10) + 2
    cdef char *buf = <char *>PyMem_Malloc(cap)
    if buf == NULL:
        raise MemoryError("no memory for the decimal digits")
    try:
        mpz_get_str(buf, 10, MPZ(x))
        return PyBytes_FromStringAndSize(buf, strlen(buf))
    finally:
        PyMem_Free(buf)
