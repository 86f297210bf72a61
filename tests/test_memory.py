"""The library never aborts the process: memory refusals under RLIMIT_AS, alone and from two threads.

Each case runs in a fresh interpreter that lowers its own RLIMIT_AS before
importing fastfib and holds some memory already, so GMP would abort
(``GNU MP: Cannot allocate memory``, SIGABRT) if a call were let through.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap

import pytest

# Seconds each (subprocesses under memory limits): make test runs them, make test-fast does not.
pytestmark = pytest.mark.slow

# Before the import: the limit, and memory already in use (the ballast).
_PRELUDE = """
import resource, sys, threading
limit = {limit_mib} << 20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
ballast = bytearray({ballast_mib} << 20)
import fastfib, fastfib._memory as a
from fastfib import _core

def attempt(func, *args):
    try:
        value = func(*args)
    except OverflowError as exc:
        return "refused " + str(exc)
    return "ok %d" % len(value)
"""


def _run(code: str, limit_mib: int, ballast_mib: int = 0, threads: int = 1) -> list[str]:
    """Run code after the prelude with FASTFIB_THREADS=threads; return its stdout lines, asserting a clean exit (no abort)."""
    source = _PRELUDE.format(limit_mib=limit_mib, ballast_mib=ballast_mib) + textwrap.dedent(code)
    proc = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=120, cwd=tempfile.gettempdir(),
        env={**os.environ, "FASTFIB_THREADS": str(threads)},
    )  # fmt: skip
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    return proc.stdout.splitlines()


def _digits_of_fib(n: int) -> int:
    # F(n) has floor(n log10(phi) - log10(sqrt 5)) + 1 digits.
    return int(n * 0.20898764024997873 - 0.3494850021680094) + 1


def test_near_the_limit_with_memory_in_use_is_refused_not_aborted() -> None:
    # MAX_INDEX is computed from RLIMIT_AS alone; with 200 MiB already in use,
    # 0.9 * MAX_INDEX no longer fits, and the per-call check sees it.
    out = _run("print(attempt(fastfib.fib_digits, a.MAX_INDEX * 9 // 10))", limit_mib=512, ballast_mib=200)
    assert out[0].startswith("refused n=") and "too large for the memory free now" in out[0], out
    assert "MiB" not in out[0] and "GiB" not in out[0]  # names n and the limit on |n|, not memory sizes


def test_what_fits_in_the_headroom_is_still_computed() -> None:
    out = _run("print(attempt(fastfib.fib_digits, -(10**7)))", limit_mib=512, ballast_mib=200)
    assert out == [f"ok {_digits_of_fib(10**7) + 1}"]  # with the '-'


@pytest.mark.parametrize(("threads", "limit_mib", "percent"), [(1, 160, 40), (2, 256, 20)])
def test_two_threads_near_the_limit_do_not_abort(threads: int, limit_mib: int, percent: int) -> None:
    # Each call alone fits; both at once do not (the second thread's stack and
    # malloc arena take address space too, and with threads=2 the pool's
    # worker and the extra temporaries), so the second is refused.
    code = f"""
    n = a.MAX_INDEX * {percent} // 100
    results = []
    threads = [threading.Thread(target=lambda: results.append(attempt(fastfib.fib_digits, n))) for _ in range(2)]
    for t in threads: t.start()
    for t in threads: t.join()
    print(n)
    for r in results: print(r)
    print(fastfib.get_threads())
    """
    n, *results = _run(code, limit_mib=limit_mib, threads=threads)
    assert results.pop() == str(threads)
    assert len(results) == 2
    for r in results:
        assert r == f"ok {_digits_of_fib(int(n))}" or r.startswith(f"refused n={n} is too large for the memory free now"), r
    assert any(r.startswith("ok") for r in results)


@pytest.mark.parametrize(
    "call",
    [
        "_core.decimal(big)",                      # the handlers' digits of an existing number
        "fastfib.fib_mod(5, big)",                 # a modulus as large as the memory
        "fastfib.fib(big_n)",
        "fastfib.lucas(-big_n)",
        "fastfib.fib_pair(big_n)",
    ],
)
@pytest.mark.parametrize("threads", [1, 2])
def test_every_large_entry_point_checks_the_headroom(call: str, threads: int) -> None:
    # big: a 100 MiB number made before the limit bites; big_n: an n allowed by MAX_INDEX but not by what is free.
    code = f"""
    import gmpy2
    big = gmpy2.mpz(1) << (100 << 23)
    big_n = a.MAX_INDEX - 1
    try:
        {call}
        print("computed")
    except OverflowError as exc:
        print("refused", exc)
    """
    out = _run(code, limit_mib=400, ballast_mib=100, threads=threads)
    assert out[0].startswith("refused") and "memory free now" in out[0], out


def test_under_an_address_space_limit_calls_run_serially() -> None:
    # glibc maps a 64 MB malloc arena for a thread when it first needs one, at
    # a moment no check foresees, and GMP aborts if that fails: under RLIMIT_AS
    # the threads stay unused, whatever get_threads() says, and an n that
    # fits serially is computed.
    code = """
    free = a.available_bytes()
    n = min(int(a._estimate_within(free) * 8 // a.WORKING_COPIES / a.LOG2_PHI), a.MAX_INDEX) * 9 // 10
    print(n, attempt(fastfib.fib_digits, n), fastfib.get_threads(), _core._workers_started())
    """
    n, outcome, length, threads, workers = _run(code, limit_mib=224, threads=2)[0].split()
    assert (outcome, threads, workers) == ("ok", "2", "0")
    assert int(length) == _digits_of_fib(int(n))


@pytest.mark.parametrize("call", ["fastfib.fib_digits(4_194_304)", "fastfib.fib(2_000_000)", "fastfib.fib_mod(10**30, big_m)",
                                  "fastfib.fib_mod(big_n, 7)"])
def test_sizes_below_the_usual_check_are_checked_under_an_address_space_limit(call: str) -> None:
    # Without a limit, calls below n = 2**22 skip the check (microseconds
    # against milliseconds); with RLIMIT_AS and the space used up, such a call
    # made GMP abort.  Now it is refused, and a small one still works.
    code = f"""
    import gmpy2, os
    big_m = (1 << (1 << 22)) - 1
    big_n = 1 << (40 << 23)
    mapped = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    resource.setrlimit(resource.RLIMIT_AS, (mapped + (1 << 20), limit))
    try:
        {call}
        print("computed")
    except OverflowError as exc:
        print("refused", exc)
    print(fastfib.fib(1000) == gmpy2.fib(1000))
    """
    out = _run(code, limit_mib=1024, threads=2)
    assert out[0].startswith("refused") and "memory free now" in out[0] and out[1] == "True", out


def test_a_forked_child_starts_with_no_reservations() -> None:
    # A thread of the parent holds a reservation (and may hold its lock) when
    # another forks: the child, where that thread does not exist, must not
    # count it, nor wait for the lock.
    code = """
    import os, threading, gmpy2
    entered, release = threading.Event(), threading.Event()
    def hold():
        with a.reserve_index(10**7 * 3):
            entered.set()
            release.wait()
    t = threading.Thread(target=hold)
    t.start()
    entered.wait()
    held = a._reserved_bytes
    pid = os.fork()
    if pid == 0:
        ok = a._reserved_bytes == 0 and fastfib.fib(5_000_000) == gmpy2.fib(5_000_000)
        os._exit(0 if ok else 3)
    _, status = os.waitpid(pid, 0)
    release.set()
    t.join()
    print(held > 0, os.waitstatus_to_exitcode(status), a._reserved_bytes)
    """
    assert _run(code, limit_mib=4096) == ["True 0 0"]
