# F(n) and L(n) into an mpz, n >= 0: the table, the limb-array doubling of
# csrc/ff_small.h up to SMALL_N, then the NTT kernels when loaded and allowed,
# else the mpz doubling below, whose squarings and last product may run on
# threads (csrc/ff_par.h).  Each returns 0, or -1 without memory for scratch.

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
    # F(n) has at most n * LOG2_PHI + 1 bits; the headroom means no
    # temporary is ever reallocated inside the loop.
    return <mp_bitcnt_t>(<double>n * LOG2_PHI) + 2 * mp_bits_per_limb


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
    while pos > 0 and ((k << 1) | ((n >> (pos - 1)) & 1)) <= <unsigned long>FF_TABLE_LIMIT:
        k = (k << 1) | ((n >> (pos - 1)) & 1)
        pos -= 1
    _set_u64(s.a, ff_fib_table[k])
    _set_u64(s.b, ff_fib_table[k - 1] if k > 0 else 1)   # F(-1) = 1
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


cdef int _fib(mpz_ptr out, unsigned long n) noexcept nogil:
    """out = F(n), n >= 0: the doubling to n/2, then one product."""
    cdef Scratch s
    cdef unsigned long k = n >> 1
    cdef const ff_ntt_api *ntt
    if n <= SMALL_N:
        return ff_fib_mpz(out, n)
    ntt = ff_ntt_for_call()
    if ntt != NULL:
        return ntt.fib(out, n, ff_call_par2())
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
    return 0


cdef int _lucas(mpz_ptr out, unsigned long n) noexcept nogil:
    """out = L(n), n >= 0: the doubling to n/2, then one product."""
    cdef Scratch s
    cdef unsigned long k = n >> 1
    cdef const ff_ntt_api *ntt
    if n <= SMALL_N:
        return ff_lucas_mpz(out, n)
    ntt = ff_ntt_for_call()
    if ntt != NULL:
        return ntt.lucas(out, n, ff_call_par2())
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
    return 0
