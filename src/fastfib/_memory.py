"""The process-wide memory ledger: how large a call may be, and what it holds while it runs.

A call refuses (OverflowError) an n whose F(n) could not fit in this
process's memory limit (MAX_INDEX, fixed at import: physical memory, the
cgroup limit, RLIMIT_AS), and a large call also reserves its estimated peak
against the memory free at that moment (:func:`reserve_index`), so that
neither one call nor several at once can make GMP abort the process.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager, nullcontext

from fastfib._args import SHORT_DIGITS, Numeral, as_int, describe

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Callable, ContextManager, Iterator

# log2 of the golden ratio: F(n) and L(n) have about n * LOG2_PHI bits.
LOG2_PHI = 0.6942419136306174

# GMP aborts the process (it cannot raise) once an integer needs more than
# INT_MAX limbs, i.e. 2**37 bits with 64-bit limbs.
_GMP_MAX_BITS = (2**31 - 1) * 64

# Peak memory is about 5.6x the result's size for fib() and 8.2x for
# fib_digits() (measured at n = 10**8); 12 leaves a margin.
WORKING_COPIES = 12
# Peak memory of decimal(x) over x's size: the digits take 2.4x, GMP's
# conversion a few more.
DECIMAL_COPIES = 8
# With threads, a call holds more at once: the two residues of the last
# product and their scratch, two squarings' scratch, and the pieces of the
# decimal output in flight (fib(10**8) on 2 threads peaks at 7.1x the
# result's size, against 5.6x on one).
THREAD_EXTRA_COPIES = 4
# Converting a decimal takes, at its peak, about 4.2 bytes per digit
# (measured at 6·10^6 digits: gmpy2's ASCII copy of the text, GMP's digit
# buffer, the limbs and the conversion's scratch; the int made from the mpz
# fits in what they free); 5 leaves a margin.
PARSE_BYTES_PER_DIGIT = 5
# What the interpreter and the libraries take before any number is made.
_BASELINE_BYTES = 64 << 20
# Above this n, free memory is also checked at each call (a few µs against
# milliseconds of arithmetic).
_CHECK_FREE_ABOVE = 1 << 22
# Under an address-space limit (RLIMIT_AS), from this size on too: GMP aborts
# on a failed allocation, and the caller may have used the space up.
CHECK_LIMITED_ABOVE = 1 << 16


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
    soft = _rlimit_as()
    if soft:
        limits.append(soft)
    return min(limits)


def _index_for_bytes(nbytes: int) -> int:
    bits = min(_GMP_MAX_BITS, max(0, nbytes - _BASELINE_BYTES) * 8 // WORKING_COPIES)
    return int(bits / LOG2_PHI)


def _rlimit_as() -> int | None:
    """The soft RLIMIT_AS in bytes; None without one (the compiled core's _address_space_limited() asks the same)."""
    try:
        import resource

        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):
        return None
    return None if soft < 0 or soft == resource.RLIM_INFINITY else soft


def _address_space_headroom() -> int | None:
    """RLIMIT_AS minus the address space this process maps now (VmSize); None without a limit."""
    soft = _rlimit_as()
    if soft is None:
        return None
    try:
        with open("/proc/self/statm") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None
    return max(0, soft - mapped)



def _unchecked(size: float) -> bool:
    """Whether a computation of this size (an index n, or bits) is too small to need a memory check."""
    return size <= CHECK_LIMITED_ABOVE or (size <= _CHECK_FREE_ABOVE and _rlimit_as() is None)


def available_bytes() -> int | None:
    """Memory that can be had now, None if unknown.

    The least of MemAvailable, the cgroup's headroom (memory.max minus
    memory.current) and the address-space headroom (RLIMIT_AS minus VmSize).
    """
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
    headroom = _address_space_headroom()
    if headroom is not None:
        found.append(headroom)
    return min(found) if found else None


#: Memory this process may use: the machine's, or its container's limit.
MEMORY_LIMIT_BYTES = _memory_limit_bytes()

#: Largest |n| for which F(n), L(n) and their digits fit in that memory.
MAX_INDEX = _index_for_bytes(MEMORY_LIMIT_BYTES)

#: Plain ints with |n| up to this need no further check (the API's fast path).
UNCHECKED_INDEX = min(MAX_INDEX, _CHECK_FREE_ABOVE)

# Memory promised to calls in progress.  A call above the per-call threshold
# reserves its estimated peak under this lock, against what is free at that
# moment minus what the others hold, and returns it when it ends: so
# concurrent calls cannot together overcommit.  A call already running has
# its memory counted twice (mapped, and still reserved), which errs on the
# side of refusing.
_reserve_lock = threading.Lock()
_reserved_bytes = 0


def _forget_reservations_in_child() -> None:
    # Only the forking thread lives on in the child: the calls of the others
    # are gone, and the lock may have been held by one of them.
    global _reserve_lock, _reserved_bytes
    _reserve_lock = threading.Lock()
    _reserved_bytes = 0


os.register_at_fork(after_in_child=_forget_reservations_in_child)


def _with_margin(estimate: int) -> int:
    """Bytes to hold for an estimated peak: a fixed margin, or double a small estimate (checked under RLIMIT_AS)."""
    return estimate + min(_BASELINE_BYTES // 4, estimate)


def _estimate_within(free: int) -> int:
    """The largest estimate whose _with_margin fits in ``free`` bytes."""
    return max(0, free - _BASELINE_BYTES // 4 if free >= _BASELINE_BYTES // 2 else free // 2)


def _index_bytes(n: int, copies: int) -> int:
    """Bytes to hold for a computation whose result is F(n)-sized."""
    return _with_margin(int(abs(n) * LOG2_PHI / 8) * copies)


@contextmanager
def reserve_bytes(need: int, refusal: Callable[[int], str]) -> Iterator[None]:
    """Hold ``need`` bytes of the free memory for the ``with`` block, or raise OverflowError.

    ``refusal(free)`` gives the error message, from the bytes free now to
    this call; it must not show the machine's memory size.  Does nothing if
    the free memory cannot be read.
    """
    global _reserved_bytes
    with _reserve_lock:
        free = available_bytes()
        if free is not None:
            free = max(0, free - _reserved_bytes)
            if need > free:
                raise OverflowError(refusal(free))
        _reserved_bytes += need
    try:
        yield
    finally:
        with _reserve_lock:
            _reserved_bytes -= need


def reserve_index(n: int, name: str = "n", copies: int = WORKING_COPIES) -> ContextManager[None]:
    """Reserve the memory to compute F(n) (``copies`` result-sized blocks) for the ``with`` block.

    Below |n| = 2**22 (under 5 MB of work) nothing is checked or held, or
    below 2**16 under an address-space limit.  Raises OverflowError naming
    n and the largest |n| the free memory allows now.
    """
    if _unchecked(abs(n)):
        return nullcontext()

    def refusal(free: int) -> str:
        allowed = int(_estimate_within(free) * 8 // copies / LOG2_PHI)
        return (
            f"{name}={describe(n)} is too large for the memory free now: "
            f"|{name}| must be at most {allowed} at present"
        )

    return reserve_bytes(_index_bytes(n, copies), refusal)


def reserve_digits(bits: int, copies: int = DECIMAL_COPIES) -> ContextManager[None]:
    """Reserve the memory to write a ``bits``-bit integer in decimal (``copies`` times its size), for the ``with`` block.

    Nothing is checked below the size of F(2**22) (of F(2**16) under an
    address-space limit).  Raises OverflowError.
    """
    if _unchecked(bits / LOG2_PHI):
        return nullcontext()
    return reserve_bytes(
        _with_margin(bits // 8 * copies),
        lambda free: f"a {bits}-bit integer is too large to write in decimal with the memory free now",
    )


def reserve_modulus(m: int, name: str = "m") -> ContextManager[None]:
    """Reserve the memory for F(n) mod m (products of two residues) for the ``with`` block.

    Nothing is checked below 2**22-bit moduli (2**16 under an address-space
    limit).  Raises OverflowError naming m.
    """
    bits = m.bit_length()
    if _unchecked(bits):
        return nullcontext()
    return reserve_bytes(
        _with_margin(bits // 8 * WORKING_COPIES),
        lambda free: f"{name}={describe(m)} is too large for the memory free now: "
        f"{name} must have at most {_estimate_within(free) * 8 // WORKING_COPIES} bits at present",
    )


def reserve_operand(value: int, name: str) -> ContextManager[None]:
    """Reserve the memory for a copy of ``value`` in GMP (fib_mod copies n), for the ``with`` block."""
    bits = value.bit_length()
    if _unchecked(bits):
        return nullcontext()
    return reserve_bytes(
        _with_margin(bits // 8 * 2),
        lambda free: f"{name}={describe(value)} is too large for the memory free now",
    )


def reserve_parse(digits: int, name: str) -> ContextManager[None]:
    """Reserve the memory to convert a decimal of ``digits`` digits to an int, for the ``with`` block.

    Nothing is held up to SHORT_DIGITS digits (int() converts those).
    Raises OverflowError naming ``name`` and the length, never the memory size.
    """
    if digits <= SHORT_DIGITS:
        return nullcontext()
    return reserve_bytes(
        _with_margin(digits * PARSE_BYTES_PER_DIGIT),
        lambda free: f"{name}=<{digits}-digit integer> is too long to read in the memory free now",
    )


def parse_numeral(numeral: Numeral, name: str) -> int:
    """``numeral.value()`` with its conversion's memory reserved first.

    Raises OverflowError naming ``name`` if that memory is not free, or if
    the conversion runs out of memory all the same (MemoryError).
    """
    with reserve_parse(numeral.digits, name):
        try:
            return numeral.value()
        except MemoryError:
            raise OverflowError(f"{name}={describe(numeral)} is too long to read in the memory free now") from None


def as_index(value: object, name: str = "n") -> int:
    """Like :func:`as_int`, and raise OverflowError if F(value) cannot fit in this process's memory limit.

    The message names the value and the limit on |n|, never the memory size.
    The memory free at the moment is checked by :func:`reserve_index`.
    """
    n = as_int(value, name)
    if abs(n) > MAX_INDEX:
        raise OverflowError(
            f"{name}={describe(n)} is too large: the result alone would take about "
            f"{_size(abs(n))}; |{name}| must be at most {MAX_INDEX} in this process's memory limit"
        )
    return n


def _size(n: int) -> str:
    nbytes = n * round(LOG2_PHI * 10**9) // (8 * 10**9)  # integer maths: n may exceed float range
    if nbytes.bit_length() > 60:
        return f"2**{nbytes.bit_length() - 1} bytes"
    size, unit = float(nbytes), "bytes"
    for bigger in ("KiB", "MiB", "GiB", "TiB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
