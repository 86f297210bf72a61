"""The ``fastfib`` command line."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import tempfile

import gmpy2
import pytest


def _cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "fastfib", *args], capture_output=True, timeout=60, cwd=tempfile.gettempdir())


@pytest.mark.parametrize(
    ("args", "out"),
    [
        (["7"], b"13\n"),
        (["100"], b"354224848179261915075\n"),
        (["-8"], b"-21\n"),
        (["10", "--lucas"], b"123\n"),
        (["-5", "--lucas"], b"-11\n"),
        (["1" + "0" * 1000, "--mod", "1000"], b"%d\n" % (gmpy2.fib(10**1000 % 1500) % 1000)),
        (["100", "--mod", "97", "--lucas"], b"%d\n" % (gmpy2.lucas(100) % 97)),
    ],
)
def test_prints_exact_value(args: list[str], out: bytes) -> None:
    proc = _cli(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == out


def test_prints_more_digits_than_str_allows() -> None:
    proc = _cli("200000")
    assert proc.returncode == 0
    assert proc.stdout == gmpy2.digits(gmpy2.fib(200_000)).encode() + b"\n"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["7.0"], b"'7.0' is not a decimal integer"),
        (["seven"], b"'seven' is not a decimal integer"),
        ([], b"the following arguments are required: n"),
        (["7", "--mod", "0"], b"--mod must be an integer >= 1"),
        (["7", "--mod", "x"], b"argument --mod: 'x'"),
        (["1" + "0" * 15], b"is too large"),
        (["7", "--bogus"], b"unrecognized arguments"),
        (["7", "--mod", "-" + "9" * 5000], b"--mod must be an integer >= 1, got -<5000-digit integer>"),
        # refused by its length, unconverted (its size alone says F(n) cannot fit)
        (["9" * 100_000], b"n=<100000-digit integer> is too large: |n| must be at most"),
    ],
)
def test_bad_arguments_get_one_line_and_status_2(args: list[str], needle: bytes) -> None:
    proc = _cli(*args)
    assert proc.returncode == 2
    assert proc.stdout == b""
    assert proc.stderr.count(b"\n") == 1, proc.stderr
    assert needle in proc.stderr


def test_console_script_is_installed() -> None:
    exe = shutil.which("fastfib", path=str(__import__("pathlib").Path(sys.executable).parent))
    assert exe, "the fastfib console script is not installed next to this interpreter"
    proc = subprocess.run([exe, "12"], capture_output=True, timeout=60, cwd=tempfile.gettempdir())
    assert proc.stdout == b"144\n"


@pytest.mark.parametrize("redirect", [">&-", ">/dev/full"], ids=["stdout-closed", "dev-full"])
def test_unwritable_stdout_gets_one_line_and_status_1(redirect: str) -> None:
    proc = subprocess.run(
        f"{shlex.quote(sys.executable)} -m fastfib 10 {redirect}",
        shell=True, capture_output=True, timeout=60, cwd=tempfile.gettempdir(),
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith(b"fastfib: error: cannot write the result:"), proc.stderr
    assert proc.stderr.count(b"\n") == 1 and b"Traceback" not in proc.stderr, proc.stderr


@pytest.mark.parametrize("flags", [[], ["-u"]], ids=["buffered", "unbuffered"])
def test_a_reader_that_stops_early_gets_status_1_and_a_whole_write_otherwise(flags: list[str]) -> None:
    # Unbuffered, stdout is a raw file whose write may take only part of the
    # digits: the CLI must go on writing, and report a pipe that closed.
    cmd = [sys.executable, *flags, "-m", "fastfib", "1000000"]
    full = subprocess.run(cmd, capture_output=True, timeout=60, cwd=tempfile.gettempdir())
    assert full.returncode == 0 and full.stdout == gmpy2.digits(gmpy2.fib(10**6)).encode() + b"\n"
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tempfile.gettempdir())
    assert proc.stdout is not None and proc.stderr is not None
    assert len(proc.stdout.read(10)) == 10
    proc.stdout.close()
    stderr = proc.stderr.read()
    assert proc.wait(timeout=60) == 1, stderr
    assert stderr.startswith(b"fastfib: error: cannot write the result:") and stderr.count(b"\n") == 1, stderr
