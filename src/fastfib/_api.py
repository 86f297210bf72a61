"""The public functions (compiled: ``fastfib._core``) and the number of threads they use.

Argument rules (``fastfib._args`` and ``fastfib._memory``), shared by every function and applied
inside the compiled core:

- n and m must be integers: int, or anything whose ``__index__`` returns an
  int.  bool, float, str, None, and an ``__index__`` returning anything but
  an int raise TypeError naming the argument.
- An n whose F(n) could not fit in this process's memory limit raises
  OverflowError at once.  Above |n| = 2**22, a call also reserves its
  estimated peak memory (more with threads), under a lock, against the
  memory free at that moment (MemAvailable, the cgroup's headroom and
  RLIMIT_AS minus the address space in use, less what concurrent calls
  hold) and returns it when done; if it is not free, OverflowError.  So GMP
  never runs out of memory and aborts the process, even with several
  threads calling at once.

Threads: each call may use up to :func:`get_threads` threads: the two
squarings of a doubling step (and the two residues of the last product,
mod 2**(64h) - 1 and + 1) on two threads once the operands pass about
131,000 bits (four tasks with 4 threads or more), and the decimal output
split by powers of 10 into up to that many pieces once it passes 100,000
digits.  The workers are a persistent pool of C threads, started at the
first call that needs them, that run without the GIL.  One call at a time
uses the pool; a call made while another holds it, or in a process where
no thread can start, runs the serial code.  1 is the serial code itself.
"""

from __future__ import annotations

import math
import os

from fastfib import _core
from fastfib._args import as_int, setting_int

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Mapping

fib = _core.fib
fib_pair = _core.fib_pair
lucas = _core.lucas
fib_mod = _core.fib_mod
fib_digits = _core.fib_digits
#: The decimal digits of an mpz as bytes (package-internal: the handlers and the CLI).
decimal = _core.decimal

#: The environment variable read at import for the number of threads.
THREADS_ENV_VAR = "FASTFIB_THREADS"


def _cgroup_cpu_limit() -> int | None:
    """CPUs allowed by the cgroup quota, rounded up; None without one.

    cgroup v2: cpu.max holds "quota period" ("max" for none); v1:
    cpu.cfs_quota_us (-1 for none) and cpu.cfs_period_us.
    """
    quota = period = ""
    try:
        with open("/sys/fs/cgroup/cpu.max") as f:
            quota, period = f.read().split()[:2]
    except (OSError, ValueError):
        try:
            with open("/sys/fs/cgroup/cpu/cpu.cfs_quota_us") as f:
                quota = f.read().strip()
            with open("/sys/fs/cgroup/cpu/cpu.cfs_period_us") as f:
                period = f.read().strip()
        except OSError:
            return None
    if not (quota.isdigit() and period.isdigit()) or int(period) == 0 or int(quota) == 0:
        return None  # "max", -1, or unreadable: no quota
    return max(1, math.ceil(int(quota) / int(period)))


def available_cpus() -> int:
    """CPUs this process may use: its affinity mask, capped by any cgroup CPU quota."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    quota = _cgroup_cpu_limit()
    return max(1, min(cpus, quota) if quota else cpus)


def set_threads(k: int) -> None:
    """Let each call use up to k threads, 1 <= k <= 64; 1 runs the serial code.

    Raises TypeError if k is not an integer, ValueError if it is out of range.
    """
    _core.set_threads(as_int(k, "threads"))  # the core checks the range


def get_threads() -> int:
    """The number of threads each call may use."""
    return int(_core.get_threads())


def threads_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """``FASTFIB_THREADS`` if set (a decimal integer from 1 to 64), else :func:`available_cpus`, at most 64.

    Raises RuntimeError naming the variable and the rule for any other value.
    """
    k = setting_int(environ, THREADS_ENV_VAR, 1, _core.MAX_THREADS, " (1 = serial)")
    return min(available_cpus(), _core.MAX_THREADS) if k is None else k
