# The public fib, lucas, fib_pair and fib_digits.

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
    cdef int failed = 0
    cdef const ff_ntt_api *ntt
    if n + 1 <= <unsigned long>FF_TABLE_LIMIT:
        _set_u64(lo_z, ff_fib_table[n])
        _set_u64(hi_z, ff_fib_table[n + 1])
        return lo, hi
    if n <= SMALL_N:
        failed = ff_fib_pair_mpz(lo_z, hi_z, n)
    else:
        with nogil:
            ntt = ff_ntt_for_call()
            if ntt != NULL:
                failed = ntt.fib_pair(lo_z, hi_z, n, ff_call_par2())
            else:
                _scratch_init(&s, n + 1)
                _fib_pair(&s, n + 1)                 # a = F[n+1], b = F[n]
                mpz_swap(hi_z, s.a)
                mpz_swap(lo_z, s.b)
                _scratch_clear(&s)
    if failed:
        raise MemoryError("no memory for the scratch of F(n)")
    return lo, hi


def fib_pair(n):
    """Return ``(F(n), F(n+1))`` as two new ``gmpy2.mpz``, for every integer n.

    Costs about as much as one call of :func:`fib`.  Raises like :func:`fib`.
    """
    cdef long k
    if _fast_index(n, &k):
        return _signed_pair(k)
    k = _memory.as_index(n, "n")
    with _Held(_memory.reserve_index, k, _WORKING, PAIR):
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

    There is no 4300-digit limit and no quadratic conversion: on the NTT
    path (fastfib.backend()) F(n) is computed in base 10**19 and written out
    in linear time; on the GMP path the digits come from GMP, with threads
    up to get_threads() pieces at once.  Raises like :func:`fib`.  One
    memory reservation covers both the number and its digits.
    """
    cdef long k
    if _fast_index(n, &k):
        return _fib_digits(k)
    k = _memory.as_index(n, "n")
    with _Held(_memory.reserve_index, k, _WORKING, DIGITS):
        return _fib_digits(k)


# From here the decimal kernel beats GMP's F(n) and its conversion.
DEF NTT_DIGITS_MIN = 100


cdef bytes _fib_digits(long k):
    cdef mpz value
    cdef const ff_ntt_api *ntt = ff_ntt_for_call()
    if ntt != NULL and (k >= NTT_DIGITS_MIN or k <= -NTT_DIGITS_MIN):
        return _ntt_fib_digits(ntt, k)
    value = _of_signed(_fib, k, False)
    return _decimal(MPZ(value))


cdef bytes _ntt_fib_digits(const ff_ntt_api *ntt, long k):
    """F(k) in decimal from the NTT kernel, written straight into the bytes object."""
    cdef Py_ssize_t cap = <Py_ssize_t>ntt.decimal_cap(k)
    cdef long written
    cdef PyObject *out = PyBytes_FromStringAndSize(NULL, cap)
    cdef char *buf
    if out == NULL:
        raise MemoryError("no memory for the decimal digits")
    buf = PyBytes_AS_STRING(out)
    with nogil:
        written = ntt.fib_decimal(buf, <size_t>cap, k, ff_call_par2())
    if written < 0:
        Py_XDECREF(out)
        raise MemoryError("no memory for the decimal digits")
    return _resized(out, written)
