"""The public functions, with their contracts; the compiled core (``fastfib._core``) checks every argument.

Argument rules (``fastfib._args``), shared by every function:

- n and m must be integers: int, or anything whose ``__index__`` returns an
  int.  bool, float, str, None, and an ``__index__`` returning anything but
  an int raise TypeError naming the argument.
- An n whose F(n) could not fit in this process's memory limit raises
  OverflowError at once.  Above |n| = 2**22, a call also reserves its
  estimated peak memory, under a lock, against the memory free at that moment
  (MemAvailable, the cgroup's headroom and RLIMIT_AS minus the address
  space in use, less what concurrent calls hold) and returns it when done;
  if it is not free, OverflowError.  So GMP never runs out of memory and
  aborts the process, even with several threads calling at once.
"""

from __future__ import annotations

import gmpy2

from fastfib import _core


def fib(n: int) -> gmpy2.mpz:
    """Return the n-th Fibonacci number F(n) as a new ``gmpy2.mpz``.

    Defined for every integer n, with F(0) = 0, F(1) = 1 and
    F(-n) = (-1)**(n+1) * F(n).

    Raises TypeError if n is not an integer (bool, float, str and None are
    refused) and OverflowError, at once, if F(n) could not fit in memory.
    """
    return _core.fib(n)


def fib_pair(n: int) -> tuple[gmpy2.mpz, gmpy2.mpz]:
    """Return ``(F(n), F(n+1))`` as two new ``gmpy2.mpz``, for every integer n.

    Costs about as much as one call of :func:`fib`.  Raises like :func:`fib`.
    """
    return _core.fib_pair(n)


def lucas(n: int) -> gmpy2.mpz:
    """Return the n-th Lucas number L(n) as a new ``gmpy2.mpz``.

    Defined for every integer n, with L(0) = 2, L(1) = 1 and
    L(-n) = (-1)**n * L(n).  Raises like :func:`fib`.
    """
    return _core.lucas(n)


def fib_mod(n: int, m: int) -> gmpy2.mpz:
    """Return F(n) mod m as a new ``gmpy2.mpz`` in ``[0, m)``.

    n may be any integer, however large (10**1000 takes microseconds):
    the doubling runs modulo m, in the compiled core.  m must be >= 1.

    Raises TypeError if n or m is not an integer, ValueError if m < 1.
    """
    return _core.fib_mod(n, m)


def fib_digits(n: int) -> bytes:
    """Return the decimal digits of F(n) as ASCII bytes, ``b"-"``-prefixed if negative.

    The digits come from GMP, so there is no 4300-digit limit and no
    quadratic conversion.  Raises like :func:`fib`.
    """
    return _core.fib_digits(n)
