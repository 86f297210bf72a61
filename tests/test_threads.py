"""Threads: set_threads/get_threads, FASTFIB_THREADS, and identical results on any number of threads.

The parallel paths start at operands of about 131,000 bits and 100,000
digits; the private knob ``_core._set_thresholds`` lowers both so that small,
fast n take them here.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import textwrap
import threading
from typing import Iterator

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastfib
from fastfib import _core

LOW_BITS, LOW_DIGITS = 64, 50


@pytest.fixture
def low_thresholds() -> Iterator[None]:
    """Force the parallel paths from tiny sizes; restore thresholds, threads and the residue split afterwards."""
    threads = fastfib.get_threads()
    old = _core._set_thresholds(LOW_BITS, LOW_DIGITS)
    try:
        yield
    finally:
        _core._set_thresholds(*old)
        fastfib.set_threads(threads)
        _core._residue_split(True)


def _all_results(n: int) -> tuple[object, ...]:
    return fastfib.fib(n), fastfib.lucas(n), fastfib.fib_pair(n), fastfib.fib_digits(n), _core.decimal(fastfib.fib(n))


SAMPLE_N = [0, 1, -1, 93, 94, 5000, 99_999, 100_000, 100_001, 123_457, -123_456, 250_001, 10**6, -(10**6) - 1]


@pytest.mark.usefixtures("low_thresholds")
@pytest.mark.parametrize("spin_ns", [0, 100_000], ids=["sleep", "spin"])
def test_one_to_four_threads_give_identical_results(spin_ns: int) -> None:
    _core._set_thresholds(spin_ns=spin_ns)
    fastfib.set_threads(1)
    serial = {n: _all_results(n) for n in SAMPLE_N}
    for n in SAMPLE_N:
        if n >= 0:
            assert serial[n][0] == gmpy2.fib(n) and serial[n][1] == gmpy2.lucas(n)
        assert serial[n][3] == gmpy2.digits(serial[n][0]).encode()
    for k in (2, 3, 4):
        fastfib.set_threads(k)
        for n in SAMPLE_N:
            assert _all_results(n) == serial[n], (k, n)
    assert _core._workers_started() >= 3  # the pool really ran


def test_products_split_by_residues_here() -> None:
    # The wheel's libgmp exports the internals the residue split needs, and
    # they pass its self-check: the fast path is the one the other tests run.
    assert _core._residue_split() is True


@pytest.mark.usefixtures("low_thresholds")
@pytest.mark.parametrize("residues", [True, False], ids=["residues", "halves"])
def test_either_product_split_gives_gmps_values(residues: bool) -> None:
    # n from 190,000 up makes the last product big enough for the residue split
    # (h >= 1024 limbs); with 4 threads the doubling's squarings split too.
    _core._residue_split(residues)
    for k in (2, 4):
        fastfib.set_threads(k)
        for n in (190_001, 250_000, 400_003, 10**6):
            assert fastfib.fib(n) == gmpy2.fib(n), (k, n)
            assert fastfib.lucas(n) == gmpy2.lucas(n), (k, n)


def _operand(bits: int, pattern: str, seed: int, negative: bool) -> gmpy2.mpz:
    """A number of about `bits` bits: random, all ones, a power of two, or one past it."""
    value = {
        "random": random.Random(seed).getrandbits(bits) | (1 << (bits - 1)),
        "ones": (1 << bits) - 1,
        "power": 1 << bits,
        "power+1": (1 << bits) + 1,
    }[pattern]
    return gmpy2.mpz(-value if negative else value)


_operands = st.builds(
    _operand,
    st.integers(64 * 900, 64 * 9000),  # around the residue split's 1024-limb floor, and well past it
    st.sampled_from(["random", "ones", "power", "power+1"]),
    st.integers(0, 2**32),
    st.booleans(),
)


@pytest.mark.usefixtures("low_thresholds")
@settings(max_examples=200, deadline=None)
@given(_operands, _operands, st.booleans(), st.sampled_from([2, 4]), st.booleans())
def test_parallel_products_equal_gmps(x: gmpy2.mpz, y: gmpy2.mpz, square: bool, k: int, residues: bool) -> None:
    # All-ones and power-of-two operands put the residues at 0, B^h - 1 and
    # B^h, the edges of the Chinese remainder step.
    _core._residue_split(residues)
    fastfib.set_threads(k)
    if square:
        assert _core._product(x, x) == x * x
    else:
        assert _core._product(x, y) == x * y


@pytest.mark.usefixtures("low_thresholds")
@settings(max_examples=150, deadline=None)
@given(st.integers(-400_000, 400_000), st.integers(1, 8))
def test_drawn_n_and_thread_counts(n: int, k: int) -> None:
    fastfib.set_threads(k)
    value = fastfib.fib(n)
    assert value == gmpy2.fib(abs(n)) * (-1 if n < 0 and n % 2 == 0 else 1)  # F(-n) = (-1)**(n+1) F(n)
    assert fastfib.fib_digits(n) == gmpy2.digits(value).encode()
    assert fastfib.lucas(n) == fastfib.fib(n - 1) + fastfib.fib(n + 1)


@pytest.mark.usefixtures("low_thresholds")
@settings(max_examples=150, deadline=None)
@given(st.integers(-(10**9000), 10**9000), st.integers(2, 8))
def test_decimal_pieces_are_padded_exactly(x: int, k: int) -> None:
    # Inner pieces that start with zeros, or are zero, must keep every digit.
    fastfib.set_threads(k)
    for value in (x, x - x % 10**4000, 10 ** (abs(x) % 9000), -(10 ** (abs(x) % 9000)) + 1):
        assert _core.decimal(gmpy2.mpz(value)) == gmpy2.digits(gmpy2.mpz(value)).encode()


@pytest.mark.usefixtures("low_thresholds")
def test_concurrent_calls_from_python_threads() -> None:
    fastfib.set_threads(2)
    ns = [200_001 + 7919 * i for i in range(24)]
    expected = {n: gmpy2.digits(gmpy2.fib(n)).encode() for n in ns}
    errors: list[str] = []

    def work(offset: int) -> None:
        for i in range(len(ns)):
            n = ns[(i + offset) % len(ns)]
            if fastfib.fib_digits(n) != expected[n] or fastfib.fib(n) != gmpy2.fib(n):
                errors.append(f"wrong value for n={n}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_set_threads_rules() -> None:
    before = fastfib.get_threads()
    try:
        fastfib.set_threads(3)
        assert fastfib.get_threads() == 3
        fastfib.set_threads(gmpy2.mpz(1))
        assert fastfib.get_threads() == 1
        for bad in (True, 2.0, "2", None):
            with pytest.raises(TypeError, match=r"^threads must be an integer"):
                fastfib.set_threads(bad)  # type: ignore[arg-type]
        for bad in (0, -1, 65, 2**70):
            with pytest.raises(ValueError, match=r"^threads must be between 1 and 64, got"):
                fastfib.set_threads(bad)
        assert fastfib.get_threads() == 1
    finally:
        fastfib.set_threads(before)


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120,
        cwd=tempfile.gettempdir(), env={**{k: v for k, v in os.environ.items() if k != "FASTFIB_THREADS"}, **env},
    )  # fmt: skip


@pytest.mark.parametrize(("value", "expected"), [("1", "1"), ("3", "3"), (" 2 ", "2"), ("64", "64")])
def test_fastfib_threads_is_read_at_import(value: str, expected: str) -> None:
    proc = _python("import fastfib; print(fastfib.get_threads())", FASTFIB_THREADS=value)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == expected


@pytest.mark.parametrize("value", ["0", "65", "two", "", "-1", "1.5", "0" * 4400 + "2"])
def test_bad_fastfib_threads_stops_the_import_with_the_rule(value: str) -> None:
    proc = _python("import fastfib", FASTFIB_THREADS=value)
    assert proc.returncode == 1
    assert "RuntimeError: FASTFIB_THREADS must be an integer from 1 to 64 (1 = serial); got" in proc.stderr


def test_default_is_the_cpus_this_process_may_use() -> None:
    proc = _python(
        """
        import os
        cpus = len(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        import fastfib
        print(fastfib.get_threads(), cpus)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split()[0] == "1"  # one CPU in the affinity mask: one thread
    cpu_max = "/sys/fs/cgroup/cpu.max"
    quota = open(cpu_max).read().split() if os.path.exists(cpu_max) else ["max"]
    if quota[0] == "max":
        assert _python("import fastfib; print(fastfib.get_threads())").stdout.strip() == proc.stdout.split()[1]


def test_cgroup_quota_caps_the_default(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from fastfib import _api

    real_open = open
    fake = {
        "/sys/fs/cgroup/cpu.max": tmp_path / "cpu.max",
        "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": tmp_path / "quota",
        "/sys/fs/cgroup/cpu/cpu.cfs_period_us": tmp_path / "period",
    }

    def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        return real_open(fake.get(path, path), *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3, 4, 5})
    for text, expected in (("150000 100000", 2), ("50000 100000", 1), ("max 100000", 6), ("600000 100000", 6)):
        (tmp_path / "cpu.max").write_text(text + "\n")
        assert _api.available_cpus() == expected, text
    (tmp_path / "cpu.max").unlink()  # cgroup v1
    (tmp_path / "period").write_text("100000\n")
    for quota, expected in (("250000", 3), ("-1", 6)):
        (tmp_path / "quota").write_text(quota + "\n")
        assert _api.available_cpus() == expected, quota


def test_calls_after_fork_use_a_fresh_pool() -> None:
    proc = _python(
        f"""
        import os, sys, warnings, gmpy2, fastfib
        from fastfib import _core
        warnings.simplefilter("ignore", DeprecationWarning)  # fork() with threads running: that is the point
        _core._set_thresholds({LOW_BITS}, {LOW_DIGITS})
        fastfib.set_threads(2)
        n = 300_001
        want = gmpy2.digits(gmpy2.fib(n)).encode()
        assert fastfib.fib_digits(n) == want and _core._workers_started() == 1
        pid = os.fork()
        if pid == 0:
            ok = _core._workers_started() == 0  # the parent's workers do not exist here
            ok = ok and all(fastfib.fib_digits(n) == want for _ in range(3)) and _core._workers_started() == 1
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        assert fastfib.fib_digits(n) == want
        print(os.waitstatus_to_exitcode(status))
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "0"


def test_serial_when_no_thread_can_start() -> None:
    # An address-space limit just above what is mapped leaves no room for a
    # worker's stack: pthread_create fails and the call runs serially.
    proc = _python(
        f"""
        import os, resource, gmpy2, fastfib
        from fastfib import _core
        _core._set_thresholds({LOW_BITS}, {LOW_DIGITS})
        fastfib.set_threads(4)
        want = gmpy2.digits(gmpy2.fib(300_001)).encode()
        mapped = int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (mapped + (6 << 20), resource.RLIM_INFINITY))
        print(fastfib.fib_digits(300_001) == want, _core._workers_started())
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "0"]


def test_no_thread_per_call_and_no_leak() -> None:
    proc = _python(
        f"""
        import os, gmpy2, fastfib
        from fastfib import _core
        _core._set_thresholds({LOW_BITS}, {LOW_DIGITS})
        fastfib.set_threads(3)
        def rss():
            return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        def tasks():
            return len(os.listdir("/proc/self/task"))
        for _ in range(20):
            fastfib.fib_digits(400_001); fastfib.lucas(-400_000); fastfib.fib_pair(400_000)
        before, threads = rss(), tasks()
        for _ in range(300):
            fastfib.fib_digits(400_001); fastfib.lucas(-400_000); fastfib.fib_pair(400_000)
        print(tasks() - threads, _core._workers_started(), (rss() - before) >> 20)
        """
    )
    assert proc.returncode == 0, proc.stderr
    new_threads, workers, growth_mib = map(int, proc.stdout.split())
    assert new_threads == 0 and workers == 2
    assert growth_mib < 8, f"RSS grew by {growth_mib} MiB over 300 rounds"


@pytest.mark.usefixtures("low_thresholds")
def test_calls_while_another_thread_changes_the_thread_count() -> None:
    ns = [-250_000, -99_999, 123_457, 200_001, 300_000]
    fastfib.set_threads(1)
    expected = {n: (fastfib.fib(n), fastfib.fib_digits(n), fastfib.lucas(n)) for n in ns}
    errors: list[int] = []
    done = threading.Event()

    def work(offset: int) -> None:
        for i in range(40):
            n = ns[(i + offset) % len(ns)]
            if (fastfib.fib(n), fastfib.fib_digits(n), fastfib.lucas(n)) != expected[n]:
                errors.append(n)

    def flip() -> None:
        k = 1
        while not done.is_set():
            k = k % 4 + 1
            fastfib.set_threads(k)
            done.wait(0.0005)

    flipper = threading.Thread(target=flip)
    workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    flipper.start()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    done.set()
    flipper.join()
    assert errors == []
