"""The public functions: argument rules here, arithmetic in ``fastfib._core``."""

from __future__ import annotations

import gmpy2

from fastfib import _core
from fastfib._args import UNCHECKED_INDEX, as_index, as_int, as_modulus


def fib(n: int) -> gmpy2.mpz:
    """Return the n-th Fibonacci number F(n) as a new ``gmpy2.mpz``.

    Defined for every integer n, with F(0) = 0, F(1) = 1 and
    F(-n) = (-1)**(n+1) * F(n).

    Raises TypeError if n is not an integer (bool, float, str and None are
    refused) and OverflowError, at once, if F(n) could not fit in memory.
    """
    if type(n) is not int or not -UNCHECKED_INDEX <= n <= UNCHECKED_INDEX:  # fast path for plain ints
        n = as_index(n)
    return _core.fib(n)


def fib_pair(n: int) -> tuple[gmpy2.mpz, gmpy2.mpz]:
    """Return ``(F(n), F(n+1))`` as two new ``gmpy2.mpz``, for every integer n.

    Costs about as much as one call of :func:`fib`.  Raises like :func:`fib`.
    """
    n = as_index(n)
    if n >= 0:
        return _core.fib_pair(n)
    # With k = -n-1 >= 0: F(n) = (-1)**k F(k+1) and F(n+1) = (-1)**(k+1) F(k).
    k = -n - 1
    f_k, f_k1 = _core.fib_pair(k)
    if k & 1:
        return -f_k1, f_k
    return f_k1, -f_k


def lucas(n: int) -> gmpy2.mpz:
    """Return the n-th Lucas number L(n) as a new ``gmpy2.mpz``.

    Defined for every integer n, with L(0) = 2, L(1) = 1 and
    L(-n) = (-1)**n * L(n).  Raises like :func:`fib`.
    """
    if type(n) is not int or not -UNCHECKED_INDEX <= n <= UNCHECKED_INDEX:
        n = as_index(n)
    return _core.lucas(n)


def fib_mod(n: int, m: int) -> gmpy2.mpz:
    """Return F(n) mod m as a new ``gmpy2.mpz`` in ``[0, m)``.

    n may be any integer, however large (10**1000 takes microseconds):
    the doubling runs modulo m, in the compiled core.  m must be >= 1.

    Raises TypeError if n or m is not an integer, ValueError if m < 1.
    """
    n = as_int(n, "n")
    m = as_modulus(m, "m")
    return _core.fib_mod(gmpy2.mpz(abs(n)), n < 0, gmpy2.mpz(m))


def fib_digits(n: int) -> bytes:
    """Return the decimal digits of F(n) as ASCII bytes, ``b"-"``-prefixed if negative.

    The digits come from GMP, so there is no 4300-digit limit and no
    quadratic conversion.  Raises like :func:`fib`.
    """
    return _core.decimal(fib(n))
