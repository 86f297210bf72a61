# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Fast-doubling Fibonacci and Lucas numbers on GMP integers.

Every value is computed with GMP's ``mpz_*`` functions and handed back as a
fresh ``gmpy2.mpz`` made through gmpy2's C API.  The arithmetic runs with
the GIL released once the numbers are large enough for that to pay.

With get_threads() > 1, the two squarings of each doubling step and the
two residues of the last product (mod B^h - 1 and B^h + 1) run on two
threads once the operands pass ff_par_mul_bits (with 4 threads or more,
each squaring splits by residues too), and decimal output is split into
up to get_threads() pieces once it passes ff_par_digits (csrc/ff_par.h,
over the persistent worker pool of csrc/ff_pool.h).  With 1 thread the
serial code runs.

Every function here checks its own arguments, so no argument can make it
return a wrong value or let GMP abort the process: a plain int in the
always-safe range takes a fast path in C, anything else goes through the
rules in ``fastfib._args`` (types, the limit on |n|, and a reservation of
the memory free now), which raise TypeError, ValueError or OverflowError.
"""

from gmpy2 cimport *
from cpython.ref cimport PyObject, Py_DECREF
from libc.string cimport strlen
from posix.resource cimport getrlimit, rlimit, RLIMIT_AS, RLIM_INFINITY

from contextlib import nullcontext

from fastfib import _args

cdef extern from "Python.h":
    PyObject *PyBytes_FromStringAndSize(const char *, Py_ssize_t)
    char *PyBytes_AS_STRING(PyObject *)
    int _PyBytes_Resize(PyObject **, Py_ssize_t)
    long PyLong_AsLongAndOverflow(object, int *) except? -1

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

cdef extern from "gmp.h" nogil:
    void mpz_fib_ui(mpz_ptr, unsigned long)
    void mpz_lucnum_ui(mpz_ptr, unsigned long)

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
import gmpy2

#: gmpy2 version this extension was compiled and linked against.
GMPY2_VERSION = FASTFIB_GMPY2_VERSION.decode("ascii")

ctypedef unsigned long long u64

# F(0)..F(93) fit in 64 bits.
DEF TABLE_LIMIT = 93
# Below this many result bits, releasing the GIL costs more than it frees.
DEF NOGIL_BITS = 50000
# Up to this n, GMP's mpz_fib_ui / mpz_lucnum_ui (no heap scratch) are faster.
DEF SMALL_N = 100000
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
        ff_mul2(s.t1, s.a, s.a, s.t2, s.b, s.b)       # the two squarings, at once when large
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
    if n <= SMALL_N:
        mpz_fib_ui(out, n)                           # no scratch to allocate: cheaper at small n
        return
    _scratch_init(&s, n)
    _fib_pair(&s, k)                                 # a = F[k], b = F[k-1]
    if n & 1:
        # F[2k+1] = (2F[k] + F[k-1]) (2F[k] - F[k-1]) + 2(-1)^k
        mpz_mul_2exp(s.t1, s.a, 1)
        mpz_add(s.t2, s.t1, s.b)
        mpz_sub(s.t1, s.t1, s.b)
        ff_mul(out, s.t1, s.t2)
        if k & 1:
            mpz_sub_ui(out, out, 2)
        else:
            mpz_add_ui(out, out, 2)
    else:
        # F[2k] = F[k] (F[k] + 2F[k-1])
        mpz_mul_2exp(s.t1, s.b, 1)
        mpz_add(s.t1, s.t1, s.a)
        ff_mul(out, s.a, s.t1)
    _scratch_clear(&s)


cdef void _lucas(mpz_ptr out, unsigned long n) noexcept nogil:
    """out = L(n), n >= 0: the doubling to n/2, then one product."""
    cdef Scratch s
    cdef unsigned long k = n >> 1
    if n <= SMALL_N:
        mpz_lucnum_ui(out, n)
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
        ff_mul(out, s.t1, s.t2)
        if k & 1:
            mpz_add_ui(out, out, 1)
        else:
            mpz_sub_ui(out, out, 1)
    else:
        # L[2k] = L[k]^2 - 2(-1)^k
        ff_mul(out, s.t1, s.t1)
        if k & 1:
            mpz_add_ui(out, out, 2)
        else:
            mpz_sub_ui(out, out, 2)
    _scratch_clear(&s)


ctypedef void (*unsigned_fn)(mpz_ptr, unsigned long) noexcept nogil

# Plain ints with |n| up to this are computed without further checks.
cdef long UNCHECKED = _args.UNCHECKED_INDEX


cdef long ALWAYS_FAST = _args._CHECK_LIMITED_ABOVE


cdef bint _address_space_limited() noexcept nogil:
    """A soft RLIMIT_AS is set, as _args._rlimit_as() reads it (a syscall, about 0.2 us)."""
    cdef rlimit rl
    if getrlimit(RLIMIT_AS, &rl) != 0:
        return False
    return rl.rlim_cur != RLIM_INFINITY


cdef inline bint _fast_index(object n, long *out) except -1:
    """True, with *out = n, if n is a plain int with |n| <= UNCHECKED (<= ALWAYS_FAST under RLIMIT_AS)."""
    cdef int overflow = 0
    cdef long k
    if type(n) is int:
        k = PyLong_AsLongAndOverflow(n, &overflow)
        if not overflow and -UNCHECKED <= k <= UNCHECKED:
            if (k > ALWAYS_FAST or k < -ALWAYS_FAST) and _address_space_limited():
                return False
            out[0] = k
            return True
    return False


cdef mpz _of_signed(unsigned_fn compute, long n, bint negate_odd):
    """compute(|n|) into a fresh mpz, negated for n < 0 when |n|'s parity says so.

    F(-m) = (-1)^(m+1) F(m) negates even m; L(-m) = (-1)^m L(m) negates odd m.
    The caller has checked |n| against _args.MAX_INDEX, so -n cannot overflow.
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


cdef object _hold(object reserve, object arg, int serial_copies):
    """Enter the memory reservation ``reserve(arg, copies=...)`` for one large call, and return it.

    The call's thread count is fixed here, on this thread (a later
    set_threads() from elsewhere does not change it): with threads, it
    reserves THREAD_EXTRA_COPIES more result-sized blocks, and if those do
    not fit but the serial call's do, it runs serially instead of being
    refused, so any n up to MAX_INDEX that fits serially is still computed.
    Under an address-space limit (RLIMIT_AS) it always runs serially: glibc
    gives a thread a 64 MB malloc arena when it first needs one, at a moment
    no check can foresee, and GMP aborts if that mapping fails.  Raises
    OverflowError if nothing fits.  Pair with _release().
    """
    cdef object held = reserve(arg, copies=serial_copies)
    cdef int threads = ff_threads
    if isinstance(held, nullcontext):                # small: nothing to check
        return held
    cdef bint limited = _address_space_limited()
    if limited:
        ff_tune_malloc_for_limit()
    if threads > 1 and not limited:
        held = reserve(arg, copies=serial_copies + _THREAD_EXTRA)
        try:
            held.__enter__()
        except OverflowError:
            pass
        else:
            ff_set_call_threads(threads)
            return held
    held = reserve(arg, copies=serial_copies)
    held.__enter__()
    ff_set_call_threads(1)
    return held


cdef void _release(object held) except *:
    ff_set_call_threads(0)
    held.__exit__(None, None, None)


cdef int _WORKING = _args.WORKING_COPIES
cdef int _DECIMAL = _args.DECIMAL_COPIES
cdef int _THREAD_EXTRA = _args.THREAD_EXTRA_COPIES


cdef mpz _signed_checked(unsigned_fn compute, object n, bint negate_odd):
    """_of_signed for any object n: the rules of _args, and its memory held for the call."""
    cdef long k
    if _fast_index(n, &k):
        return _of_signed(compute, k, negate_odd)
    k = _args.as_index(n, "n")
    held = _hold(_args.reserve_index, k, _WORKING)
    try:
        return _of_signed(compute, k, negate_odd)
    finally:
        _release(held)


def fib(n):
    """Return the n-th Fibonacci number F(n) as a new ``gmpy2.mpz``.

    Defined for every integer n, with F(0) = 0, F(1) = 1 and
    F(-n) = (-1)**(n+1) * F(n).

    Raises TypeError if n is not an integer (bool, float, str and None are
    refused) and OverflowError, at once, if F(n) could not fit in memory.
    """
    return _signed_checked(_fib, n, False)


def lucas(n):
    """Return the n-th Lucas number L(n) as a new ``gmpy2.mpz``.

    Defined for every integer n, with L(0) = 2, L(1) = 1 and
    L(-n) = (-1)**n * L(n).  Raises like :func:`fib`.
    """
    return _signed_checked(_lucas, n, True)


cdef tuple _pair(unsigned long n):
    """(F(n), F(n+1)) for 0 <= n <= MAX_INDEX, as two fresh gmpy2.mpz."""
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


def fib_pair(n):
    """Return ``(F(n), F(n+1))`` as two new ``gmpy2.mpz``, for every integer n.

    Costs about as much as one call of :func:`fib`.  Raises like :func:`fib`.
    """
    cdef long k
    if not _fast_index(n, &k):
        k = _args.as_index(n, "n")
        held = _hold(_args.reserve_index, k, _WORKING)
        try:
            return _signed_pair(k)
        finally:
            _release(held)
    return _signed_pair(k)


cdef tuple _signed_pair(long n):
    cdef unsigned long k
    cdef mpz lo, hi
    if n >= 0:
        return _pair(<unsigned long>n)
    # With k = -n-1 >= 0: F(n) = (-1)**k F(k+1) and F(n+1) = (-1)**(k+1) F(k).
    k = <unsigned long>(-(n + 1))
    lo, hi = _pair(k)                                # F(k), F(k+1): fresh, so negated in place
    if k & 1:
        mpz_neg(MPZ(hi), MPZ(hi))
        return hi, lo
    mpz_neg(MPZ(lo), MPZ(lo))
    return hi, lo


def fib_digits(n):
    """Return the decimal digits of F(n) as ASCII bytes, ``b"-"``-prefixed if negative.

    The digits come from GMP, so there is no 4300-digit limit and no
    quadratic conversion; with threads, up to get_threads() pieces are
    converted at once.  Raises like :func:`fib`.  One memory reservation
    covers both the number and its digits.
    """
    cdef long k
    cdef mpz value
    if _fast_index(n, &k):
        value = _of_signed(_fib, k, False)
        return _decimal(MPZ(value))
    k = _args.as_index(n, "n")
    held = _hold(_args.reserve_index, k, _WORKING)
    try:
        value = _of_signed(_fib, k, False)
        return _decimal(MPZ(value))
    finally:
        _release(held)


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


def fib_mod(n, m):
    """Return F(n) mod m as a new ``gmpy2.mpz`` in ``[0, m)``.

    n may be any integer, however large (10**1000 takes microseconds):
    the doubling runs modulo m.  m must be >= 1.  n and m are only read.

    Raises TypeError if n or m is not an integer, ValueError if m < 1.
    """
    n = _args.as_int(n, "n")
    m = _args.as_modulus(m, "m")
    with _args.reserve_modulus(m, "m"), _args.reserve_operand(n, "n"):
        return _fib_mod(gmpy2.mpz(-n if n < 0 else n), n < 0, gmpy2.mpz(m))


cdef mpz _fib_mod(mpz n_abs, bint negative, mpz m):
    """F(n) mod m for n_abs = |n| >= 0 and m >= 1 (checked by the caller)."""
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

def decimal(mpz x not None):
    """The decimal digits of x as ASCII bytes, with a leading '-' if negative.

    Uses GMP's mpz_get_str (subquadratic, no digit limit), without the GIL,
    writing straight into the bytes object.  A large x first reserves the
    conversion's memory: OverflowError if it is not free now.
    """
    held = _hold(_args.reserve_digits, mpz_sizeinbase(MPZ(x), 2), _DECIMAL)
    try:
        return _decimal(MPZ(x))
    finally:
        _release(held)


cdef bytes _decimal(mpz_srcptr z):
    cdef Py_ssize_t cap = <Py_ssize_t>mpz_sizeinbase(z, 10) + 2
    cdef Py_ssize_t length
    cdef long written
    cdef PyObject *out = PyBytes_FromStringAndSize(NULL, cap)
    cdef char *buf
    cdef int sign
    if out == NULL:
        raise MemoryError("no memory for the decimal digits")
    buf = PyBytes_AS_STRING(out)
    if ff_threads > 1 and <unsigned long>cap >= ff_par_digits:    # ff_decimal_abs may still go serial
        sign = 1 if mpz_sgn(z) < 0 else 0
        buf[0] = b'-'
        with nogil:
            written = ff_decimal_abs(buf + sign, z)  # up to ff_threads pieces at once
            if written < 0:                          # out of memory for the pieces: serial
                mpz_get_str(buf, 10, z)
                length = <Py_ssize_t>strlen(buf)
            else:
                length = sign + written
    elif cap > 100000:
        with nogil:
            mpz_get_str(buf, 10, z)
            length = <Py_ssize_t>strlen(buf)
    else:
        mpz_get_str(buf, 10, z)
        length = <Py_ssize_t>strlen(buf)
    if _PyBytes_Resize(&out, length) < 0:            # frees out on failure
        raise MemoryError("no memory for the decimal digits")
    result = <bytes>out                              # takes a new reference
    Py_DECREF(result)                                # drop the one from PyBytes_FromStringAndSize
    return result


# --- threads ----------------------------------------------------------------

#: Most threads one call may use.
MAX_THREADS = FF_MAX_THREADS


def set_threads(k):
    """Let each call use up to k threads (1 = the serial code), for k a plain int (fastfib.set_threads converts)."""
    global ff_threads
    if type(k) is not int:
        raise TypeError(f"threads must be an integer, not {type(k).__name__}")
    if not 1 <= k <= FF_MAX_THREADS:
        raise ValueError(f"threads must be between 1 and {FF_MAX_THREADS}, got {_args.describe(k)}")
    ff_threads = k


def get_threads():
    """Threads each call may use."""
    return ff_threads


def _set_thresholds(mul_bits=None, digits=None, spin_ns=None):
    """Private test and benchmark knob: operand bits and digits from which the parallel
    paths run, and how long threads spin before sleeping; returns the old triple."""
    global ff_par_mul_bits, ff_par_digits, ff_spin_ns
    old = (ff_par_mul_bits, ff_par_digits, ff_spin_ns)
    if mul_bits is not None:
        ff_par_mul_bits = max(1, mul_bits)
    if digits is not None:
        ff_par_digits = max(1, digits)
    if spin_ns is not None:
        ff_spin_ns = max(0, spin_ns)
    return old


def _residue_split(enable=None):
    """Private test and benchmark knob: let large products split by residues
    (True) or only in halves of one factor (False); returns whether they split
    by residues now, which also needs GMP's internals to pass their self-check."""
    global ff_crt_enabled
    if enable is not None:
        ff_crt_enabled = 1 if enable else 0
    return bool(ff_crt_available())


def _product(mpz x, mpz y):
    """Private, for tests: x*y as fastfib's own products compute it (ff_mul with
    get_threads() threads and the current thresholds; the square path when y is x).
    No memory check: keep the operands small."""
    cdef mpz out = GMPy_MPZ_New(NULL)
    cdef mpz_ptr o = MPZ(out)
    cdef mpz_srcptr a = MPZ(x)
    cdef mpz_srcptr b = MPZ(y)
    with nogil:
        ff_mul(o, a, b)
    return out


def _workers_started():
    """Private: worker threads running in this process (0 until a parallel call, and after fork)."""
    return ff_workers_started()
