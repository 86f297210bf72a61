# The NTT path's switch: the CPU check that must pass before fastfib._ntt is
# loaded (csrc/ff_cpu.h), and the kernels the loaded module hands over.

cdef extern from "ff_cpu.h" nogil:
    const char *ff_ntt_cpu_missing()


def _ntt_cpu_missing():
    """None if this CPU can run the NTT module's code, else the name of a feature it lacks."""
    cdef const char *missing = ff_ntt_cpu_missing()
    return None if missing == NULL else missing.decode("ascii")


def _use_ntt(kernels):
    """Private (fastfib._backend): compute with the kernel table of fastfib._ntt from now on, or with
    GMP's arithmetic alone when ``kernels`` is None.  Returns the FLINT version the table was built with."""
    cdef const ff_ntt_api *table
    if kernels is None:
        ff_set_ntt(NULL)
        return None
    table = <const ff_ntt_api *>PyCapsule_GetPointer(kernels, b"fastfib._ntt.KERNELS")
    if table.abi != FF_NTT_ABI:
        raise ImportError(f"fastfib._ntt has kernel table version {table.abi}, this core needs {FF_NTT_ABI}: rebuild fastfib")
    ff_set_ntt(table)
    return table.flint_version.decode("ascii")


def _ntt_in_use():
    """Private: whether calls compute with the NTT kernels (fastfib.backend() says why not)."""
    return ff_ntt_loaded() != NULL


def _ntt_product(mpz x not None, mpz y not None):
    """Private, for tests: x*y (x, y >= 0) by the NTT path's binary product. No memory check: keep them small."""
    cdef mpz out = GMPy_MPZ_New(NULL)
    cdef const ff_ntt_api *ntt = ff_ntt_loaded()
    if ntt == NULL:
        raise RuntimeError("the NTT kernels are not loaded")
    if mpz_sgn(MPZ(x)) < 0 or mpz_sgn(MPZ(y)) < 0:
        raise ValueError("the operands must be >= 0")
    ntt.binary_product(MPZ(out), MPZ(x), MPZ(y))
    return out


def _ntt_decimal_product(bytes a not None, bytes b not None):
    """Private, for tests: the digits of a*b for two strings of decimal digits, multiplied in base
    10**19 by the NTT path's radix product. No memory check: keep them small."""
    cdef Py_ssize_t cap = len(a) + len(b) + 2
    cdef PyObject *out
    cdef long written
    cdef const ff_ntt_api *ntt = ff_ntt_loaded()
    if ntt == NULL:
        raise RuntimeError("the NTT kernels are not loaded")
    if not (a.isdigit() and b.isdigit()):
        raise ValueError("the operands must be strings of decimal digits")
    out = PyBytes_FromStringAndSize(NULL, cap)
    if out == NULL:
        raise MemoryError("no memory for the digits")
    written = ntt.decimal_product(PyBytes_AS_STRING(out), <size_t>cap, a, len(a), b, len(b))
    if written < 0:
        Py_XDECREF(out)
        raise MemoryError("no memory for the product")
    return _resized(out, written)
