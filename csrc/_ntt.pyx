# cython: language_level=3
"""fastfib's NTT kernels: F(n) and L(n) by fast doubling with FLINT's
small-prime NTT multiplication (fft_small), and F(n) in decimal by the same
doubling in base 10**19 with FLINT's radix arithmetic, so the digits cost a
linear pass instead of a base conversion.

Compiled for x86-64-v3 on x86_64 (as FLINT is): import it only after
``fastfib._core._ntt_cpu_missing()`` returned None (fastfib._backend does).
It holds no Python API of its own: ``KERNELS`` is a capsule with the table
of csrc/ff_ntt_api.h, which the core calls with its own argument rules,
memory admission and threads.
"""

from cpython.pycapsule cimport PyCapsule_New

cdef extern from "ff_ntt_kernels.h":
    ctypedef struct ff_ntt_api:
        int abi
    ff_ntt_api FF_NTT_KERNELS
    int FF_NTT_ABI
    const char *FLINT_VERSION

#: The kernel table (csrc/ff_ntt_api.h), for fastfib._core._use_ntt.
KERNELS = PyCapsule_New(<void *>&FF_NTT_KERNELS, b"fastfib._ntt.KERNELS", NULL)
#: Its layout's version: the core refuses a table it was not built for.
ABI = FF_NTT_ABI
#: The FLINT linked in.
FLINT_VERSION_STRING = FLINT_VERSION.decode("ascii")
