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
rules in ``fastfib._args`` (types) and ``fastfib._memory`` (the limit on
|n|, and a reservation of the memory free now), which raise TypeError, ValueError or OverflowError.
"""

from gmpy2 cimport *
from cpython.ref cimport PyObject, Py_DECREF, Py_XDECREF
from cpython.pycapsule cimport PyCapsule_GetPointer
from libc.string cimport strlen

from gmp_extra cimport *
from ff_par cimport *
from ff_doubling cimport *

from contextlib import nullcontext

from fastfib import _args, _memory

cdef extern from "Python.h":
    PyObject *PyBytes_FromStringAndSize(const char *, Py_ssize_t)
    char *PyBytes_AS_STRING(PyObject *)
    int _PyBytes_Resize(PyObject **, Py_ssize_t)
    long PyLong_AsLongAndOverflow(object, int *) except? -1

cdef extern from *:
    """
    #ifndef FASTFIB_GMPY2_VERSION
    #define FASTFIB_GMPY2_VERSION "unknown"
    #endif
    """
    const char *FASTFIB_GMPY2_VERSION

import_gmpy2()
import gmpy2

#: gmpy2 version this extension was compiled and linked against.
GMPY2_VERSION = FASTFIB_GMPY2_VERSION.decode("ascii")

ctypedef unsigned long long u64

# Below this many result bits, releasing the GIL costs more than it frees.
DEF NOGIL_BITS = 50000
# Up to this n, the doubling on limb arrays of csrc/ff_small.h (scratch on
# the stack, no allocation per step) is fastest; above, the mpz doubling
# with its threads, or the NTT kernels when loaded.
DEF SMALL_N = 100000
# log2 of the golden ratio: F(n) and L(n) have about n * LOG2_PHI bits (one
# home: fastfib._memory, whose estimates must agree with the core's).
cdef double LOG2_PHI = _memory.LOG2_PHI


include "_doubling.pxi"
include "_admission.pxi"
include "_fib.pxi"
include "_mod.pxi"
include "_decimal.pxi"
include "_threads.pxi"
include "_backend.pxi"
