"""Exact Fibonacci and Lucas numbers by fast doubling on GMP integers.

>>> from fastfib import fib, fib_mod, fib_digits
>>> fib(100)
mpz(354224848179261915075)
>>> fib_mod(10**1000, 10)
mpz(5)
>>> fib_digits(-8)
b'-21'

Large results come from FLINT's NTT multiplication where this build and
CPU allow it, else from GMP's (:func:`backend` says which, and why).
Each call may use several threads: ``FASTFIB_THREADS`` at import, or
:func:`set_threads`; by default the CPUs this process may use.
"""

from fastfib._loader import check_core as _check_core

_check_core()

from fastfib._api import fib, fib_digits, fib_mod, fib_pair, get_threads, lucas, set_threads  # noqa: E402
from fastfib._api import threads_from_env as _threads_from_env  # noqa: E402
from fastfib._backend import backend  # noqa: E402
from fastfib._backend import choose as _choose_backend  # noqa: E402
from fastfib._version import __version__  # noqa: E402

set_threads(_threads_from_env())
_choose_backend()

__all__ = ["fib", "fib_pair", "lucas", "fib_mod", "fib_digits", "set_threads", "get_threads", "backend", "__version__"]
