# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Fast-doubling Fibonacci and Lucas numbers on GMP integers.

Every value is computed with GMP's ``mpz_*`` functions and handed back as a
fresh ``gmpy2.mpz`` made through gmpy2's C API.  The arithmetic runs with
the GIL released once the numbers are large enough for that to pay.  The
functions here take already-validated machine integers; argument rules live
in the Python layer (``fastfib._args``).
"""

from gmpy2 cimport *
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_Malloc, PyMem_Free
from libc.string cimport strlen

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
    void mpz_neg(mpz_ptr, mpz_srcptr)
    void mpz_mod(mpz_ptr, mpz_srcptr, mpz_srcptr)
    void mpz_tdiv_r(mpz_ptr, mpz_srcptr, mpz_srcptr)
    int mpz_tstbit(mpz_srcptr, mp_bitcnt_t)
    int mpz_sgn(mpz_srcptr)
    int mpz_cmp_ui(mpz_srcptr, unsigned long)
    unsigned long mpz_get_ui(mpz_srcptr)
    char *mpz_get_str(char *, int, mpz_srcptr)
    int mp_bits_per_limb

cdef extern from *:
    """
    #ifndef FASTFIB_GMPY2_VERSION
    #define FASTFIB_GMPY2_VERSION "unknown"
    #endif
    #if defined(__SIZEOF_INT128__)
    typedef unsigned __int128 ff_wide;
    #define FF_WORD_MOD_MAX 0xffffffffffffffffULL
    #else
    typedef unsigned long long ff_wide;
    #define FF_WORD_MOD_MAX 0xffffffffULL
    #endif
    """
    const char *FASTFIB_GMPY2_VERSION
    ctypedef unsigned long long ff_wide   # holds the product of two words
    unsigned long long FF_WORD_MOD_MAX    # largest m the word path of fib_mod takes

import_gmpy2()

#: gmpy2 version this extension was compiled and linked against.
GMPY2_VERSION = FASTFIB_GMPY2_VERSION.decode("ascii")

ctypedef unsigned long long u64

# F(0)..F(93) fit in 64 bits.
DEF TABLE_LIMIT = 93
# Below this many result bits, releasing the GIL costs more than it frees.
DEF NOGIL_BITS = 50000
cdef u64 FIB_TABLE[TABLE_LIMIT + 1]


cdef void _fill_table() noexcept:
    cdef int i
    FIB_TABLE[0] = 0
    FIB_TABLE[1] = 1
    for i in range(2, TABLE_LIMIT + 1):
        FIB_TABLE[i] = FIB_TABLE[i - 1] + FIB_TABLE[i - 2]

_fill_table()


cdef inline void _set_u64(mpz_ptr z, u64 v) noexcept nogil:
    if sizeof(unsigned long) >= 8:
        mpz_set_ui(z, <unsigned long>v)
    else:  # 32-bit longs: two halves
        mpz_set_ui(z, <unsigned long>(v >> 32))
        mpz_mul_2exp(z, z, 32)
        mpz_add_ui(z, z, <unsigned long>(v & 0xffffffffu))


cdef inline int _bit_length(unsigned long n) noexcept nogil:
    cdef int b = 0
    while n:
        n >>= 1
        b += 1
    return b


cdef inline mp_bitcnt_t _result_bits(unsigned long n) noexcept nogil:
    # F(n) has about n * log2(golden ratio) = 0.69424 n bits; the headroom
    # means no temporary is ever reallocated inside the loop.
    return <mp_bitcnt_t>(<double>n * 0.69425) + 2 * mp_bits_per_limb


cdef struct Scratch:
    mpz_t a, b, t1, t2


cdef void _scratch_init(Scratch *s, unsigned long n) noexcept nogil:
    cdef mp_bitcnt_t bits = _result_bits(n)
    mpz_init2(s.a, bits)
    mpz_init2(s.b, bits)
    mpz_init2(s.t1, bits)
    mpz_init2(s.t2, bits)


cdef void _scratch_clear(Scratch *s) noexcept nogil:
    mpz_clear(s.a)
    mpz_clear(s.b)
    mpz_clear(s.t1)
    mpz_clear(s.t2)


cdef void _fib_pair(Scratch *s, unsigned long n) noexcept nogil:
    """Set s.a = F(n) and s.b = F(n-1), for n >= 1.

    Two squarings per bit (GMP manual, "Fibonacci Numbers Algorithm"):
        F[2k+1] = 4F[k]^2 - F[k-1]^2 + 2(-1)^k
        F[2k-1] = F[k]^2 + F[k-1]^2
        F[2k]   = F[2k+1] - F[2k-1]
    """
    cdef int pos = _bit_length(n)
    cdef unsigned long k = 0
    cdef int bit
    # Start from the table with the leading bits, so the loop never runs on
    # numbers that fit a word.
    while pos > 0 and ((k << 1) | ((n >> (pos - 1)) & 1)) <= TABLE_LIMIT:
        k = (k << 1) | ((n >> (pos - 1)) & 1)
        pos -= 1
    _set_u64(s.a, FIB_TABLE[k])
    _set_u64(s.b, FIB_TABLE[k - 1] if k > 0 else 1)   # F(-1) = 1
    while pos > 0:
        pos -= 1
        bit = (n >> pos) & 1
        mpz_mul(s.t1, s.a, s.a)
        mpz_mul(s.t2, s.b, s.b)
        mpz_mul_2exp(s.a, s.t1, 2)
        mpz_sub(s.a, s.a, s.t2)
        if k & 1:
            mpz_sub_ui(s.a, s.a, 2)
        else:
            mpz_add_ui(s.a, s.a, 2)                  # a = F[2k+1]
        mpz_add(s.b, s.t1, s.t2)                     # b = F[2k-1]
        if bit:
            mpz_sub(s.b, s.a, s.b)                   # (F[2k+1], F[2k])
        else:
            mpz_sub(s.a, s.a, s.b)                   # (F[2k], F[2k-1])
        k = (k << 1) | bit


cdef void _fib(mpz_ptr out, unsigned long n) noexcept nogil:
    """out = F(n), n >= 0: the doubling to n/2, then one product."""
    cdef Scratch s
    cdef unsigned long k = n >> 1
    if n <= TABLE_LIMIT:
        _set_u64(out, FIB_TABLE[n])
        return
    _scratch_init(&s, n)
    _fib_pair(&s, k)                                 # a = F[k], b = F[k-1]
    if n & 1:
        # F[2k+1] = (2F[k] + F[k-1]) (2F[k] - F[k-1]) + 2(-1)^k
        mpz_mul_2exp(s.t1, s.a, 1)
        mpz_add(s.t2, s.t1, s.b)
        mpz_sub(s.t1, s.t1, s.b)
        mpz_mul(out, s.t1, s.t2)
        if k & 1:
            mpz_sub_ui(out, out, 2)
        else:
            mpz_add_ui(out, out, 2)
    else:
        # F[2k] = F[k] (F[k] + 2F[k-1])
        mpz_mul_2exp(s.t1, s.b, 1)
        mpz_add(s.t1, s.t1, s.a)
        mpz_mul(out, s.a, s.t1)
    _scratch_clear(&s)


cdef void _lucas(mpz_ptr out, unsigned long n) noexcept nogil:
    """out = L(n), n >= 0: the doubling to n/2, then one product."""
    cdef Scratch s
    cdef unsigned long k = n >> 1
    if n + 1 <= TABLE_LIMIT:
        # L(n) = F(n-1) + F(n+1), with F(-1) = 1
        _set_u64(out, FIB_TABLE[n + 1])
        mpz_add_ui(out, out, <unsigned long>(FIB_TABLE[n - 1] if n > 0 else 1))
        return
    _scratch_init(&s, n)
    _fib_pair(&s, k)                                 # a = F[k], b = F[k-1]
    mpz_mul_2exp(s.t1, s.b, 1)
    mpz_add(s.t1, s.t1, s.a)                         # t1 = L[k] = F[k] + 2F[k-1]
    if n & 1:
        # L[2k+1] = L[k] L[k+1] - (-1)^k, with L[k+1] = 3F[k] + F[k-1]
        mpz_mul_2exp(s.t2, s.a, 1)
        mpz_add(s.t2, s.t2, s.a)
        mpz_add(s.t2, s.t2, s.b)
        mpz_mul(out, s.t1, s.t2)
        if k & 1:
            mpz_add_ui(out, out, 1)
        else:
            mpz_sub_ui(out, out, 1)
    else:
        # L[2k] = L[k]^2 - 2(-1)^k
        mpz_mul(out, s.t1, s.t1)
        if k & 1:
            mpz_add_ui(out, out, 2)
        else:
            mpz_sub_ui(out, out, 2)
    _scratch_clear(&s)


ctypedef void (*unsigned_fn)(mpz_ptr, unsigned long) noexcept nogil


cdef mpz _of_signed(unsigned_fn compute, long n, bint negate_odd):
    """compute(|n|) into a fresh mpz, negated for n < 0 when |n|'s parity says so.

    F(-m) = (-1)^(m+1) F(m) negates even m; L(-m) = (-1)^m L(m) negates odd m.
    """
    cdef mpz res = GMPy_MPZ_New(NULL)
    cdef mpz_ptr out = MPZ(res)
    cdef unsigned long m = <unsigned long>(-n if n < 0 else n)
    if m * 0.69425 < NOGIL_BITS:
        compute(out, m)
    else:
        with nogil:
            compute(out, m)
    if n < 0 and (m & 1) == negate_odd:
        mpz_neg(out, out)
    return res


def fib(long n):
    """F(n) as a fresh gmpy2.mpz, for any n that fits a C long."""
    return _of_signed(_fib, n, False)


def lucas(long n):
    """L(n) as a fresh gmpy2.mpz, for any n that fits a C long."""
    return _of_signed(_lucas, n, True)


def fib_pair(unsigned long n):
    """(F(n), F(n+1)) for n >= 0, as two fresh gmpy2.mpz."""
    cdef mpz lo = GMPy_MPZ_New(NULL)
    cdef mpz hi = GMPy_MPZ_New(NULL)
    cdef mpz_ptr lo_z = MPZ(lo)
    cdef mpz_ptr hi_z = MPZ(hi)
    cdef Scratch s
    if n + 1 <= TABLE_LIMIT:
        _set_u64(lo_z, FIB_TABLE[n])
        _set_u64(hi_z, FIB_TABLE[n + 1])
        return lo, hi
    with nogil:
        _scratch_init(&s, n + 1)
        _fib_pair(&s, n + 1)                         # a = F[n+1], b = F[n]
        mpz_swap(hi_z, s.a)
        mpz_swap(lo_z, s.b)
        _scratch_clear(&s)
    return lo, hi


# --- F(n) mod m -----------------------------------------------------------

cdef u64 _fib_mod_word(u64 m, mpz_srcptr nz) noexcept nogil:
    """F(n) mod m for n = nz >= 0 and 1 <= m <= FF_WORD_MOD_MAX, in machine words.

    The same doubling as _fib_pair, on (F(k), F(k-1)) mod m.
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


cdef void _fib_mod_mpz(mpz_ptr out, mpz_srcptr nz, mpz_srcptr m) noexcept nogil:
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
        mpz_mod(a, a, m)              # F[2k+1]; the sum may be negative
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


def fib_mod(mpz n_abs, bint negative, mpz m):
    """F(n) mod m as a fresh gmpy2.mpz in [0, m).

    ``n_abs`` = |n| and ``m`` >= 1 are gmpy2.mpz values that are only read,
    never written.
    """
    cdef mpz res = GMPy_MPZ_New(NULL)
    cdef mpz_ptr out = MPZ(res)
    cdef mpz_srcptr nz = MPZ(n_abs)
    cdef mpz_srcptr mz = MPZ(m)
    cdef u64 word
    with nogil:
        if mpz_cmp_ui(mz, FF_WORD_MOD_MAX) <= 0:
            word = _fib_mod_word(mpz_get_ui(mz), nz)
            mpz_set_ui(out, <unsigned long>word)
        else:
            _fib_mod_mpz(out, nz, mz)
        # F(-n) = (-1)^(n+1) F(n): negate when n is even.
        if negative and not mpz_tstbit(nz, 0) and mpz_sgn(out):
            mpz_sub(out, mz, out)
    return res


# --- decimal output -------------------------------------------------------

def decimal(mpz x):
    """The decimal digits of x as ASCII bytes, with a leading '-' if negative.

    Uses GMP's mpz_get_str (subquadratic, no digit limit), without the GIL.
    """
    cdef mpz_srcptr z = MPZ(x)
    cdef size_t cap = mpz_sizeinbase(z, 10) + 2
    cdef char *buf = <char *>PyMem_Malloc(cap)
    cdef size_t length
    if buf == NULL:
        raise MemoryError("no memory for the decimal digits")
    try:
        with nogil:
            mpz_get_str(buf, 10, z)
            length = strlen(buf)
        return PyBytes_FromStringAndSize(buf, length)
    finally:
        PyMem_Free(buf)
