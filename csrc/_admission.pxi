# Admission: the fast path for small plain ints, and the memory held for a large call.

ctypedef int (*unsigned_fn)(mpz_ptr, unsigned long) noexcept nogil

# Plain ints with |n| up to this are computed without further checks.
cdef long UNCHECKED = _memory.UNCHECKED_INDEX


# Under an address-space limit, only up to this.
cdef long ALWAYS_FAST = _memory.CHECK_LIMITED_ABOVE


cdef bint _address_space_limited() except -1:
    """A soft RLIMIT_AS is set: asked of _memory, the one reader (about 1 us; only
    calls above ALWAYS_FAST ask, and they take far longer than that)."""
    return _memory._rlimit_as() is not None


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
    The caller has checked |n| against _memory.MAX_INDEX, so -n cannot overflow.
    """
    cdef mpz res = GMPy_MPZ_New(NULL)
    cdef mpz_ptr out = MPZ(res)
    cdef unsigned long m = <unsigned long>(-n if n < 0 else n)
    cdef int failed
    if m * LOG2_PHI < NOGIL_BITS:
        failed = compute(out, m)
    else:
        with nogil:
            failed = compute(out, m)
    if failed:
        raise MemoryError("no memory for the scratch of F(n)")
    if n < 0 and (m & 1) == negate_odd:
        mpz_neg(out, out)
    return res


# What a reserved call computes, for the NTT kernels' own peak estimates.
DEF GMP_ONLY = 0     # decimal of an existing number: no NTT kernel
DEF BINARY = 1       # F(n) or L(n)
DEF PAIR = 2         # (F(n), F(n+1))
DEF DIGITS = 3       # F(n) in decimal


cdef int _ntt_copies(int kind, long n, int threads):
    """The NTT kernel's peak for this call in F(n)-sized blocks (the unit of
    _memory.reserve_index), rounded up; 0 if no kernel serves it."""
    cdef unsigned long m = <unsigned long>(-n if n < 0 else n)
    cdef double block = <double>(<long>(m * LOG2_PHI / 8))
    cdef double peak
    cdef const ff_ntt_api *ntt = ff_ntt_loaded()
    if ntt == NULL or kind == GMP_ONLY:
        return 0
    if kind == DIGITS:
        peak = <double>ntt.decimal_peak(n, threads)
    else:
        peak = <double>ntt.binary_peak(m, threads, kind == PAIR)
    return <int>(peak / block) + 1 if block >= 1 else 1


cdef object _try_hold(object reserve, object arg, int copies, int threads, int ntt):
    """Hold ``copies`` blocks and fix this call's threads and path; None if they are not free now."""
    held = reserve(arg, copies=copies)
    try:
        held.__enter__()
    except OverflowError:
        return None
    ff_set_call_threads(threads)
    ff_set_call_ntt(ntt)
    return held


cdef object _hold(object reserve, object arg, int serial_copies, int kind):
    """Enter the memory reservation ``reserve(arg, copies=...)`` for one large call, and return it.

    The call's path and thread count are fixed here, on this thread (a later
    set_threads() from elsewhere does not change them), by the first plan
    whose peak fits the memory free now: the NTT kernels (when loaded) on
    threads, then on one thread, then GMP on threads (THREAD_EXTRA_COPIES
    more result-sized blocks), then GMP serially (``serial_copies``).  So
    the NTT path, which takes about twice GMP's memory, gives way before a
    call is refused, and any n up to MAX_INDEX that fits serially is still
    computed.  Under an address-space limit (RLIMIT_AS) it always runs
    serially: glibc gives a thread a 64 MB malloc arena when it first needs
    one, at a moment no check can foresee, and GMP or FLINT abort if that
    mapping fails.  Raises OverflowError if nothing fits.  Pair with _release().
    """
    cdef object held = reserve(arg, copies=serial_copies)
    cdef int threads = ff_threads
    cdef int ntt_copies
    if isinstance(held, nullcontext):                # small: nothing to check
        return held
    cdef bint limited = _address_space_limited()
    if limited:
        ff_tune_malloc_for_limit()
        threads = 1
    if threads > 1:
        ntt_copies = _ntt_copies(kind, arg, threads)
        if ntt_copies:
            held = _try_hold(reserve, arg, ntt_copies, threads, 1)
            if held is not None:
                return held
    ntt_copies = _ntt_copies(kind, arg, 1)
    if ntt_copies:
        held = _try_hold(reserve, arg, ntt_copies, 1, 1)
        if held is not None:
            return held
    if threads > 1:
        held = _try_hold(reserve, arg, serial_copies + _THREAD_EXTRA, threads, 0)
        if held is not None:
            return held
    held = reserve(arg, copies=serial_copies)
    held.__enter__()                                 # OverflowError: nothing fits
    ff_set_call_threads(1)
    ff_set_call_ntt(0)
    return held


cdef void _release(object held) except *:
    ff_set_call_threads(0)
    ff_set_call_ntt(-1)
    held.__exit__(None, None, None)


cdef class _Held:
    """The memory held for one large call, as a ``with`` block: _hold on entry, _release on exit.

    Every checked call is ``with _Held(reserve, arg, copies, kind): ...``, so
    no path can leave the thread count, the path or the reservation behind.
    """
    cdef object reserve, arg, held
    cdef int copies, kind

    def __cinit__(self, reserve, arg, int copies, int kind):
        self.reserve, self.arg, self.copies, self.kind = reserve, arg, copies, kind

    def __enter__(self):
        self.held = _hold(self.reserve, self.arg, self.copies, self.kind)

    def __exit__(self, *exc_info):
        _release(self.held)
        return False


cdef int _WORKING = _memory.WORKING_COPIES
cdef int _DECIMAL = _memory.DECIMAL_COPIES
cdef int _THREAD_EXTRA = _memory.THREAD_EXTRA_COPIES


cdef mpz _signed_checked(unsigned_fn compute, object n, bint negate_odd):
    """_of_signed for any object n: the rules of _args, and its memory held for the call."""
    cdef long k
    if _fast_index(n, &k):
        return _of_signed(compute, k, negate_odd)
    k = _memory.as_index(n, "n")
    with _Held(_memory.reserve_index, k, _WORKING, BINARY):
        return _of_signed(compute, k, negate_odd)
