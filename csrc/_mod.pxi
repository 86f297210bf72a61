# F(n) mod m: a doubling in machine words for m < 2**64, on fixed-length limb
# arrays (Montgomery, csrc/ff_mont.h) up to FF_MONT_MAX_LIMBS limbs, in mpz above.

cdef extern from "ff_mont.h" nogil:
    int FF_MONT_MAX_LIMBS
    void ff_fib_mod_mont(mpz_ptr, mpz_srcptr, mpz_srcptr)

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
    ctypedef unsigned long long ff_wide   # holds the product of two words
    unsigned long long FF_WORD_MOD_MAX    # largest m the word path of fib_mod takes

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


cdef void _fib_mod_odd(mpz_ptr out, mpz_srcptr nz, mpz_srcptr q) noexcept nogil:
    """out = F(n) mod q for an odd q of at most FF_MONT_MAX_LIMBS limbs."""
    if mpz_cmp_ui(q, FF_WORD_MOD_MAX) <= 0:
        mpz_set_ui(out, <unsigned long>_fib_mod_word(mpz_get_ui(q), nz))
    else:
        ff_fib_mod_mont(out, nz, q)


cdef void _fib_mod_fixed(mpz_ptr out, mpz_srcptr nz, mpz_srcptr m) noexcept nogil:
    """out = F(n) mod m for m of at most FF_MONT_MAX_LIMBS limbs.

    Montgomery needs an odd modulus: for m = 2^e q with q odd, F(n) mod q
    comes from _fib_mod_odd, F(n) mod 2^e from n reduced mod 3 * 2^(e-1)
    (the Pisano period of 2^e, so at most e + 2 steps in mpz), joined by
    the Chinese remainder theorem.  Every temporary is at most m's size:
    n is reduced through its low bits and its residue mod 3.
    """
    cdef mp_bitcnt_t e = mpz_scan1(m, 0)
    cdef mpz_t q, p, n2, r2
    cdef unsigned long t
    if e == 0:
        _fib_mod_odd(out, nz, m)
        return
    mpz_init(q)
    mpz_tdiv_q_2exp(q, m, e)
    _fib_mod_odd(out, nz, q)
    mpz_init(p)
    mpz_init(n2)
    mpz_init(r2)
    # n2 = n mod 3 * 2^(e-1): its residue mod 2^(e-1), plus 2^(e-1) t with
    # n2 = n (mod 3); 2^(e-1) = (-1)^(e-1) (mod 3) is its own inverse.
    mpz_fdiv_r_2exp(n2, nz, e - 1)
    t = (mpz_fdiv_ui(nz, 3) + 3 - mpz_fdiv_ui(n2, 3)) % 3
    if (e - 1) & 1:
        t = (3 - t) % 3
    mpz_set_ui(p, t)
    mpz_mul_2exp(p, p, e - 1)
    mpz_add(n2, n2, p)
    mpz_set_ui(p, 0)
    mpz_setbit(p, e)
    _fib_mod_mpz(r2, n2, p)          # F(n) mod 2^e
    # out = r_q + q ((r2 - r_q) q^-1 mod 2^e), in [0, m)
    mpz_invert(p, q, p)
    mpz_sub(r2, r2, out)
    mpz_mul(r2, r2, p)
    mpz_fdiv_r_2exp(r2, r2, e)
    mpz_mul(r2, r2, q)
    mpz_add(out, out, r2)
    mpz_clear(q)
    mpz_clear(p)
    mpz_clear(n2)
    mpz_clear(r2)


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
    with _memory.reserve_modulus(m, "m"), _memory.reserve_operand(n, "n"):
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
        elif mpz_size(mz) <= <size_t>FF_MONT_MAX_LIMBS:
            _fib_mod_fixed(out, nz, mz)
        else:
            _fib_mod_mpz(out, nz, mz)
        # F(-n) = (-1)^(n+1) F(n): negate when n is even.
        if negative and not mpz_tstbit(nz, 0) and mpz_sgn(out):
            mpz_sub(out, mz, out)
    return res


def _fib_mod_mpz_calls(n, m):
    """fib_mod(n, m) through the general mpz loop, whatever m's size: for the benchmark and the tests.

    n >= 0 and m >= 1 are checked; no memory is reserved (the callers use small values).
    """
    n = _args.as_int(n, "n")
    m = _args.as_modulus(m, "m")
    if n < 0:
        raise ValueError("n must be >= 0")
    cdef mpz res = GMPy_MPZ_New(NULL)
    cdef mpz n_mpz = gmpy2.mpz(n)
    cdef mpz m_mpz = gmpy2.mpz(m)
    cdef mpz_ptr out = MPZ(res)
    cdef mpz_srcptr nz = MPZ(n_mpz)
    cdef mpz_srcptr mz = MPZ(m_mpz)
    with nogil:
        _fib_mod_mpz(out, nz, mz)
    return res
