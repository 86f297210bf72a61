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

# Peak memory is about 5.6x the result's size for fib() and 8.2x for
# fib_digits() (measured at n = 10**8); 12 leaves a margin.
_WORKING_COPIES = 12
# What the interpreter and the libraries take before any number is made.
_BASELINE_BYTES = 64 << 20
# Above this n, free memory is also checked at each call (a few µs against
# milliseconds of arithmetic).
_CHECK_FREE_ABOVE = 1 << 22


def _read_int(path: str) -> int | None:
    try:
        with open(path) as f:
            text = f.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # cgroup v2 says "max" for no limit


def _memory_limit_bytes() -> int:
    """The least of physical memory, the cgroup (container) limit and RLIMIT_AS."""
    limits = []
    try:
        limits.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        limits.append(16 << 30)  # not POSIX: assume 16 GiB
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        value = _read_int(path)
        if value:
            limits.append(value)
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft > 0:
            limits.append(soft)
    except (ImportError, OSError, ValueError):
        pass
    return min(limits)


def _index_for_bytes(nbytes: int) -> int:
    bits = min(_GMP_MAX_BITS, max(0, nbytes - _BASELINE_BYTES) * 8 // _WORKING_COPIES)
    return int(bits / LOG2_PHI)


def available_bytes() -> int | None:
    """Memory that can be had now: MemAvailable, and the cgroup's headroom; None if unknown."""
    found = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        pass
    limit = _read_int("/sys/fs/cgroup/memory.max")
    used = _read_int("/sys/fs/cgroup/memory.current")
    if limit is not None and used is not None:
        found.append(max(0, limit - used))
    return min(found) if found else None


#: Memory this process may use: the machine's, or its container's limit.
MEMORY_LIMIT_BYTES = _memory_limit_bytes()

#: Largest |n| for which F(n), L(n) and their digits fit in that memory.
MAX_INDEX = _index_for_bytes(MEMORY_LIMIT_BYTES)

#: Plain ints with |n| up to this need no further check (the API's fast path).
UNCHECKED_INDEX = min(MAX_INDEX, _CHECK_FREE_ABOVE)


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
            f"{name}={describe(n)} is too large: the result alone would take about "
            f"{_size(abs(n))}; |{name}| must be at most {MAX_INDEX} with {MEMORY_LIMIT_BYTES >> 20} MiB of memory"
        )
    if abs(n) > _CHECK_FREE_ABOVE:
        free = available_bytes()
        need = _BASELINE_BYTES // 4 + int(abs(n) * LOG2_PHI / 8) * _WORKING_COPIES
        if free is not None and need > free:
            raise OverflowError(
                f"{name}={describe(n)} is too large for the memory free now: computing it needs "
                f"about {need >> 20} MiB and {free >> 20} MiB is available"
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
