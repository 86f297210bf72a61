"""Argument rules shared by the public API: integers only, sizes bounded."""

from __future__ import annotations

import operator
import os
import re

# log2 of the golden ratio: F(n) and L(n) have about n * LOG2_PHI bits.
LOG2_PHI = 0.6942419136306174

# GMP aborts the process (it cannot raise) once an integer needs more than
# INT_MAX limbs, i.e. 2**37 bits with 64-bit limbs.
_GMP_MAX_BITS = (2**31 - 1) * 64

# The doubling keeps about five result-sized integers alive at its peak.
_WORKING_COPIES = 5


def _physical_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # not POSIX: assume 16 GiB
        return 16 << 30


def _max_index() -> int:
    budget_bits = min(_GMP_MAX_BITS, _physical_memory_bytes() * 8 // _WORKING_COPIES)
    return int(budget_bits / LOG2_PHI)


#: Largest |n| for which F(n) and L(n) can be held in this machine's memory.
MAX_INDEX = _max_index()


def as_int(value: object, name: str) -> int:
    """Return ``value`` as a Python int, or raise TypeError naming ``name``.

    Anything with ``__index__`` is accepted (int, gmpy2.mpz, numpy integers);
    bool is refused even though it is an int subclass, and so are float, str
    and None.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, not bool")
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name} must be an integer, not {type(value).__name__}") from None


def as_index(value: object, name: str = "n") -> int:
    """Like :func:`as_int`, and raise OverflowError if F(value) cannot fit in memory."""
    n = as_int(value, name)
    if abs(n) > MAX_INDEX:
        raise OverflowError(
            f"{name}={describe(n)} is too large: the result would need about "
            f"{_size(abs(n))} of memory; |{name}| must be at most {MAX_INDEX} on this machine"
        )
    return n


def as_modulus(value: object, name: str = "m") -> int:
    """Like :func:`as_int`, and raise ValueError unless value >= 1."""
    m = as_int(value, name)
    if m < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {describe(m)}")
    return m


_DECIMAL = re.compile(r"-?[0-9]+")


def parse_decimal(text: str) -> int:
    """Parse a strict decimal integer: optional '-', ASCII digits, nothing else.

    No '+', spaces, underscores or exponents.  Long inputs are parsed by GMP,
    so CPython's 4300-digit limit on int(str) does not apply.
    Raises ValueError on anything else.
    """
    if not _DECIMAL.fullmatch(text):
        raise ValueError(f"{text[:40]!r} is not a decimal integer")
    if len(text) <= 4000:
        return int(text)
    import gmpy2

    return int(gmpy2.mpz(text))


def describe(n: int) -> str:
    """``str(n)`` for n up to 64 bits; a larger n is described by its size (formatting it would be slow)."""
    bits = n.bit_length()
    return str(n) if bits <= 64 else f"{'-' if n < 0 else ''}<{bits}-bit integer>"


def _size(n: int) -> str:
    nbytes = n * 6_942_419 // 80_000_000  # integer maths: n may exceed float range
    if nbytes.bit_length() > 60:
        return f"2**{nbytes.bit_length() - 1} bytes"
    size = float(nbytes)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            break
        size /= 1024
    return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
