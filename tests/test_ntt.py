"""The NTT path (fastfib._ntt: FLINT's fft_small and radix) against GMP, and the choice between the paths.

``make venv`` builds fastfib with FLINT (``make flint``), and this machine's
CPU has AVX2, FMA and BMI2, so the NTT path is the one in use here; each
property below runs on both paths (``_backend.use``, the private knob).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import textwrap
from typing import Iterator

import gmpy2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastfib
from fastfib import _backend, _core

# Where the paths change hands: the 64-bit table (93/94), the NTT decimal
# kernel's start (100), the limb-array doubling's end (SMALL_N = 100,000),
# the radix multiplication's switch to fft_small (~14,000 and ~29,000: operand
# sizes of 80 and 160 base-10^19 limbs), FLINT's switch from GMP's products
# to fft_small (~260,000 and ~520,000: 1000 and 1400 limbs at the last step),
# and the threads' operand threshold (~755,000, 2^17-bit squarings).
EDGES = [93, 100, 100_000, 14_600, 29_200, 260_000, 520_000, 755_000]
NEAR_EDGES = st.sampled_from(EDGES).flatmap(lambda e: st.integers(e - 64, e + 64))
INDICES = st.one_of(st.integers(-3000, 3000), NEAR_EDGES, NEAR_EDGES.map(lambda n: -n), st.integers(-800_000, 800_000))


def test_the_ntt_path_is_in_use_here() -> None:
    assert fastfib.backend() == "ntt"
    assert _core._ntt_in_use()


@pytest.fixture(params=["ntt", "gmp"])
def path(request: pytest.FixtureRequest) -> Iterator[str]:
    threads = fastfib.get_threads()
    _backend.use(request.param)
    try:
        yield request.param
    finally:
        _backend.use("ntt")
        fastfib.set_threads(threads)


# The path fixture holds for every example of a test (set once, restored after).
ONE_PATH = [HealthCheck.function_scoped_fixture]


@settings(max_examples=60, deadline=None, suppress_health_check=ONE_PATH)
@given(n=INDICES, threads=st.integers(1, 4))
def test_fib_digits_equals_gmp(path: str, n: int, threads: int) -> None:
    fastfib.set_threads(threads)
    assert fastfib.fib_digits(n) == gmpy2.digits(gmpy2.fib(abs(n)) * (-1 if n < 0 and n % 2 == 0 else 1)).encode()


@settings(max_examples=40, deadline=None, suppress_health_check=ONE_PATH)
@given(n=INDICES, threads=st.integers(1, 4))
def test_fib_lucas_and_pair_equal_gmp(path: str, n: int, threads: int) -> None:
    fastfib.set_threads(threads)
    m = abs(n)
    f = gmpy2.fib(m) * (-1 if n < 0 and m % 2 == 0 else 1)
    lucas = gmpy2.lucas(m) * (-1 if n < 0 and m % 2 == 1 else 1)
    assert fastfib.fib(n) == f
    assert fastfib.lucas(n) == lucas
    if n >= 0:
        assert fastfib.fib_pair(n) == (gmpy2.fib(n), gmpy2.fib(n + 1))


@pytest.mark.parametrize("n", [1_000_003, 3_000_000, -(2 * 10**6)])
@pytest.mark.parametrize("threads", [1, 2])
def test_large_n_on_both_paths(path: str, n: int, threads: int) -> None:
    fastfib.set_threads(threads)
    expected = gmpy2.fib(abs(n)) * (-1 if n < 0 and n % 2 == 0 else 1)
    assert fastfib.fib(n) == expected
    assert fastfib.fib_digits(n) == gmpy2.digits(expected).encode()


def test_use_switches_paths_and_names_them() -> None:
    assert _backend.use("gmp") == "ntt"
    try:
        assert fastfib.backend() == "gmp (forced by fastfib._backend.use('gmp'))"
        assert not _core._ntt_in_use()
        assert fastfib.fib_digits(10**5 + 7) == gmpy2.digits(gmpy2.fib(10**5 + 7)).encode()
    finally:
        _backend.use("ntt")
    assert fastfib.backend() == "ntt"
    with pytest.raises(ValueError, match="backend must be 'gmp' or 'ntt'"):
        _backend.use("flint")


def _python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
        cwd=tempfile.gettempdir(), env={**os.environ, **env},
    )  # fmt: skip


# Results of every function at n across the paths' edges, hashed: compared between processes.
_DIGEST = """
    import hashlib, sys, fastfib
    h = hashlib.sha256()
    for n in [0, 1, -1, 2, 93, 94, -94, 99, 100, 101, 5000, 14_650, 99_999, 100_000, 100_001, -100_001, 260_001, 755_001]:
        for value in (fastfib.fib_digits(n), fastfib.fib(n), fastfib.lucas(n), fastfib.fib_pair(n)):
            h.update(repr(value).encode())
    print(fastfib.backend())
    print("fastfib._ntt" in sys.modules)
    print(h.hexdigest())
"""


def test_a_cpu_without_avx2_gets_the_gmp_path_with_identical_results() -> None:
    ntt = _python(_DIGEST)
    gmp = _python(_DIGEST, FASTFIB_PRETEND_CPU_LACKS="AVX2")
    assert ntt.returncode == 0 and gmp.returncode == 0, ntt.stderr + gmp.stderr
    ntt_backend, ntt_loaded, ntt_digest = ntt.stdout.split("\n")[:3]
    gmp_backend, gmp_loaded, gmp_digest = gmp.stdout.split("\n")[:3]
    assert ntt_backend == "ntt" and ntt_loaded == "True"
    assert gmp_backend == "gmp (the CPU lacks AVX2, which the NTT build needs)"
    assert gmp_loaded == "False"  # the x86-64-v3 module is never even loaded
    assert gmp_digest == ntt_digest


def test_a_build_without_the_ntt_module_says_so() -> None:
    proc = _python(
        """
        import sys
        class NoNtt:
            def find_spec(self, name, path=None, target=None):
                if name == "fastfib._ntt":
                    raise ModuleNotFoundError("No module named 'fastfib._ntt'", name=name)
        sys.meta_path.insert(0, NoNtt())
        import fastfib
        print(fastfib.backend())
        print(fastfib.fib_digits(1000)[:10].decode())
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == [
        "gmp (this build has no NTT module (fastfib was built without FLINT: FASTFIB_FLINT_DIR))",
        gmpy2.digits(gmpy2.fib(1000))[:10],
    ]


def _undefined_symbols(path: str) -> set[str]:
    out = subprocess.run(["nm", "-D", "--undefined-only", path], capture_output=True, text=True, check=True).stdout
    return {line.split()[-1].split("@")[0] for line in out.splitlines() if line.strip()}


def test_the_core_calls_no_gmp_fibonacci_or_lucas_function() -> None:
    from fastfib import _ntt

    gmp_own = {"__gmpz_fib_ui", "__gmpz_fib2_ui", "__gmpz_lucnum_ui", "__gmpz_lucnum2_ui", "__gmpn_fib2_ui"}
    for module in (_core, _ntt):
        used = _undefined_symbols(str(module.__file__))
        assert "__gmpz_mul" in used or "__gmpn_mul" in used  # the check reads real imports
        assert not used & gmp_own, (module.__name__, used & gmp_own)


def test_the_ntt_module_links_nothing_but_gmp_and_libc() -> None:
    from fastfib import _ntt

    needed = subprocess.run(["readelf", "-d", str(_ntt.__file__)], capture_output=True, text=True, check=True).stdout
    libraries = {line.split("[")[1].rstrip("]") for line in needed.splitlines() if "(NEEDED)" in line}
    # (a wheel built against glibc 2.17 also names libpthread, a separate library before glibc 2.34)
    allowed = ("libgmp", "libc.so", "libm.so", "libpthread.so", "ld-linux")
    assert {lib for lib in libraries if not lib.startswith(allowed)} == set()
    assert not {s for s in _undefined_symbols(str(_ntt.__file__)) if s.startswith(("mpfr_", "flint_", "fmpz_"))}
    assert os.path.getsize(str(_ntt.__file__)) < 2_000_000  # only what the kernels reach (--gc-sections)



def test_the_private_environment_knob_forces_the_gmp_path_or_names_its_rule() -> None:
    forced = _python("import fastfib; print(fastfib.backend()); print(fastfib.fib_digits(12345)[:12].decode())",
                     FASTFIB_BACKEND="gmp")  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout.split("\n")[:2] == ["gmp (forced by FASTFIB_BACKEND=gmp)", gmpy2.digits(gmpy2.fib(12345))[:12]]
    bad = _python("import fastfib", FASTFIB_BACKEND="flint")
    assert bad.returncode == 1
    assert "RuntimeError: FASTFIB_BACKEND may only be 'gmp' (to force the GMP path), got 'flint'" in bad.stderr


# The kernels' own multiplications on operands at the transforms' edges
# (the private probes _core._ntt_product and _ntt_decimal_product): all-ones
# limbs, limbs of 10**19 - 1, powers of the base, and sizes on both sides of
# each switch: FLINT's radix product goes to fft_small from 80 limbs of 10**19,
# its binary product from 1000 (squares 1400) limbs of 2**64.
BINARY_LIMBS = [1, 2, 999, 1000, 1001, 1399, 1400, 1401, 4097, 30_000]
DECIMAL_LIMBS = [1, 2, 79, 80, 81, 159, 160, 161, 1000, 5000]


def _binary_operand(kind: str, limbs: int, rng: random.Random) -> gmpy2.mpz:
    if kind == "ones":
        return gmpy2.mpz(2) ** (64 * limbs) - 1
    if kind == "power":
        return gmpy2.mpz(2) ** (64 * (limbs - 1))
    return gmpy2.mpz(rng.getrandbits(64 * limbs)) | 1


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(BINARY_LIMBS), st.sampled_from(BINARY_LIMBS), st.sampled_from(["ones", "power", "random"]),
       st.sampled_from(["ones", "power", "random"]), st.booleans(), st.randoms(use_true_random=False))  # fmt: skip
def test_binary_products_at_edge_operands(xn: int, yn: int, xk: str, yk: str, square: bool, rng: random.Random) -> None:
    rng = random.Random(rng.getrandbits(64))  # bulk draws from a plain generator Hypothesis seeds
    x = _binary_operand(xk, xn, rng)
    y = x if square else _binary_operand(yk, yn, rng)
    assert _core._ntt_product(x, y) == x * y


def _decimal_operand(kind: str, limbs: int, rng: random.Random) -> bytes:
    if kind == "nines":  # every limb 10**19 - 1
        return b"9" * (19 * limbs)
    if kind == "power":  # (10**19) ** (limbs - 1)
        return b"1" + b"0" * (19 * (limbs - 1))
    return (str(rng.randrange(1, 10)) + "".join(rng.choices("0123456789", k=19 * limbs - 1))).encode()


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(DECIMAL_LIMBS), st.sampled_from(DECIMAL_LIMBS), st.sampled_from(["nines", "power", "random"]),
       st.sampled_from(["nines", "power", "random"]), st.booleans(), st.randoms(use_true_random=False))  # fmt: skip
def test_decimal_products_at_edge_operands(an: int, bn: int, ak: str, bk: str, square: bool, rng: random.Random) -> None:
    rng = random.Random(rng.getrandbits(64))  # bulk draws from a plain generator Hypothesis seeds
    a = _decimal_operand(ak, an, rng)
    b = a if square else _decimal_operand(bk, bn, rng)
    assert _core._ntt_decimal_product(a, b) == gmpy2.digits(gmpy2.mpz(a) * gmpy2.mpz(b)).encode()


def test_products_of_zero_and_bad_operands() -> None:
    assert _core._ntt_decimal_product(b"0", b"9" * 100) == b"0"
    assert _core._ntt_product(gmpy2.mpz(0), gmpy2.mpz(2**200)) == 0
    with pytest.raises(ValueError, match="decimal digits"):
        _core._ntt_decimal_product(b"12a", b"3")
    with pytest.raises(ValueError, match=">= 0"):
        _core._ntt_product(gmpy2.mpz(-1), gmpy2.mpz(3))


def test_switching_paths_while_another_thread_computes_is_safe() -> None:
    # A call reads the kernel table once; use() may switch it at any moment (a reviewer's SIGSEGV).
    proc = _python(
        """
        import threading, time, fastfib, gmpy2
        from fastfib import _backend
        stop, wrong, calls = False, [], [0]
        def spin():
            while not stop:
                for n in (150, 200_001):
                    if fastfib.fib_digits(n) != gmpy2.digits(gmpy2.fib(n)).encode():
                        wrong.append(n)
                    calls[0] += 1
        t = threading.Thread(target=spin)
        t.start()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            _backend.use("gmp")
            _backend.use("ntt")
        stop = True
        t.join()
        print(len(wrong), calls[0] > 100)
        """
    )
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert proc.stdout.split() == ["0", "True"]
