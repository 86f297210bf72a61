# The thread count, and the private knobs tests and benchmarks turn.

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


def _product(mpz x not None, mpz y not None):
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


def _tune_malloc_for_limit():
    """Make glibc's malloc return large blocks to the system at once (see ff_tune_malloc_for_limit); idempotent."""
    ff_tune_malloc_for_limit()
