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
    global ff_ntt
    cdef const ff_ntt_api *table
    if kernels is None:
        ff_ntt = NULL
        return None
    table = <const ff_ntt_api *>PyCapsule_GetPointer(kernels, b"fastfib._ntt.KERNELS")
    if table.abi != FF_NTT_ABI:
        raise ImportError(f"fastfib._ntt has kernel table version {table.abi}, this core needs {FF_NTT_ABI}: rebuild fastfib")
    ff_ntt = table
    return table.flint_version.decode("ascii")


def _ntt_in_use():
    """Private: whether calls compute with the NTT kernels (fastfib.backend() says why not)."""
    return ff_ntt != NULL
