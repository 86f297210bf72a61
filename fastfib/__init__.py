"""Exact Fibonacci and Lucas numbers by fast doubling on GMP integers.

>>> from fastfib import fib, fib_mod, fib_digits
>>> fib(100)
mpz(354224848179261915075)
>>> fib_mod(10**1000, 10)
mpz(5)
>>> fib_digits(-8)
b'-21'
"""

from fastfib._loader import check_core as _check_core

_check_core()

from fastfib._api import fib, fib_digits, fib_mod, fib_pair, lucas  # noqa: E402
from fastfib._version import __version__  # noqa: E402

__all__ = ["fib", "fib_pair", "lucas", "fib_mod", "fib_digits", "__version__"]
