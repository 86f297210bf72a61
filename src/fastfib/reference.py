"""Naive, obviously correct reference implementations, used by the tests.

Plain Python ints and iterative addition only; nothing here is shared with
the compiled core.  They take O(n) additions, so keep n to a few thousand.
"""

from __future__ import annotations


def fib(n: int) -> int:
    """F(n) by stepping the recurrence F(k+1) = F(k) + F(k-1) forward or backward."""
    a, b = 0, 1  # F(0), F(1)
    if n >= 0:
        for _ in range(n):
            a, b = b, a + b
        return a
    for _ in range(-n):  # F(k-1) = F(k+1) - F(k)
        a, b = b - a, a
    return a


def lucas(n: int) -> int:
    """L(n) by the same recurrence, started from L(0) = 2, L(1) = 1."""
    a, b = 2, 1
    if n >= 0:
        for _ in range(n):
            a, b = b, a + b
        return a
    for _ in range(-n):
        a, b = b - a, a
    return a


def fib_mod(n: int, m: int) -> int:
    """F(n) mod m by the recurrence, reducing at every step (n of any sign)."""
    a, b = 0, 1 % m
    if n >= 0:
        for _ in range(n):
            a, b = b, (a + b) % m
        return a
    for _ in range(-n):
        a, b = (b - a) % m, a
    return a


def fib_fast_doubling(n: int) -> int:
    """F(n) for n >= 0 by textbook fast doubling on Python ints.

    Not a test oracle: it is the pure-Python baseline in the benchmark.
    """
    a, b = 0, 1  # F(k), F(k+1) with k = 0
    for bit in bin(n)[2:]:
        c = a * (2 * b - a)  # F(2k)
        d = a * a + b * b  # F(2k+1)
        a, b = (d, c + d) if bit == "1" else (c, d)
    return a
