"""fastfib's public functions against the naive reference and known identities."""

from __future__ import annotations

import decimal
import fractions
import math

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastfib
from fastfib import _core, _memory, fib, fib_digits, fib_mod, fib_pair, lucas, reference

SPAN = range(-3000, 3001)


@pytest.fixture(scope="module")
def fib_table() -> dict[int, int]:
    return {n: reference.fib(n) for n in SPAN}


def test_public_names() -> None:
    assert set(fastfib.__all__) == {
        "fib", "fib_pair", "lucas", "fib_mod", "fib_digits", "set_threads", "get_threads", "backend", "__version__",
    }  # fmt: skip
    assert isinstance(fastfib.__version__, str) and fastfib.__version__


def test_known_values() -> None:
    assert fib(100) == 354224848179261915075
    assert [fib(n) for n in range(-6, 8)] == [-8, 5, -3, 2, -1, 1, 0, 1, 1, 2, 3, 5, 8, 13]
    assert [lucas(n) for n in range(-4, 6)] == [7, -4, 3, -1, 2, 1, 3, 4, 7, 11]
    assert fib(94) == 19740274219868223167  # past the 64-bit overflow of the Go original


def test_fib_every_n_in_span(fib_table: dict[int, int]) -> None:
    for n in SPAN:
        value = fib(n)
        assert type(value) is gmpy2.mpz
        assert value == fib_table[n], n


def test_fib_pair_every_n_in_span(fib_table: dict[int, int]) -> None:
    for n in SPAN[:-1]:
        lo, hi = fib_pair(n)
        assert type(lo) is type(hi) is gmpy2.mpz
        assert (lo, hi) == (fib_table[n], fib_table[n + 1]), n


def test_lucas_every_n_in_span() -> None:
    for n in SPAN:
        value = lucas(n)
        assert type(value) is gmpy2.mpz
        assert value == reference.lucas(n), n


@pytest.mark.parametrize("m", [1, 2, 3, 10, 997, 10**9 + 7, 2**32 - 1, 2**32 + 15, 2**64 - 59, 2**64 + 13, 2**127 - 1])
def test_fib_mod_every_n_in_span(fib_table: dict[int, int], m: int) -> None:
    for n in SPAN:
        value = fib_mod(n, m)
        assert type(value) is gmpy2.mpz
        assert value == fib_table[n] % m, (n, m)


@settings(max_examples=25, deadline=None)
@given(st.integers(-100_000, 100_000))
def test_fib_and_lucas_drawn_n(n: int) -> None:
    assert fib(n) == reference.fib(n)
    assert lucas(n) == reference.lucas(n)


@settings(max_examples=60, deadline=None)
@given(st.integers(-100_000, 100_000), st.integers(1, 2**200))
def test_fib_mod_drawn(n: int, m: int) -> None:
    assert fib_mod(n, m) == reference.fib_mod(n, m)


# --- identities at large n -------------------------------------------------

LARGE = st.integers(1, 10**6)


@settings(max_examples=15, deadline=None)
@given(LARGE)
def test_cassini(n: int) -> None:
    assert fib(n - 1) * fib(n + 1) - fib(n) ** 2 == (-1) ** n


@settings(max_examples=15, deadline=None)
@given(LARGE, LARGE)
def test_addition_formula(m: int, n: int) -> None:
    assert fib(m + n) == fib(m) * fib(n + 1) + fib(m - 1) * fib(n)


@settings(max_examples=15, deadline=None)
@given(LARGE, LARGE)
def test_gcd_of_fibonacci_numbers(m: int, n: int) -> None:
    assert gmpy2.gcd(fib(m), fib(n)) == fib(math.gcd(m, n))


@settings(max_examples=15, deadline=None)
@given(st.integers(-(10**6), 10**6))
def test_lucas_from_fibonacci(n: int) -> None:
    assert lucas(n) == fib(n - 1) + fib(n + 1)


@settings(max_examples=10, deadline=None)
@given(st.integers(-(10**6), 10**6))
def test_pair_and_gmp_agree(n: int) -> None:
    lo, hi = fib_pair(n)
    assert (lo, hi) == (fib(n), fib(n + 1))
    if n >= 0:
        assert lo == gmpy2.fib(n)


# --- fib_mod at huge n -----------------------------------------------------


def _pisano(m: int) -> int:
    """Period of F(n) mod m, found by stepping the recurrence (small m only)."""
    a, b, k = 0, 1, 0
    while True:
        a, b, k = b, (a + b) % m, k + 1
        if (a, b) == (0, 1):
            return k


@pytest.mark.parametrize("m", [2, 10, 12, 1000, 2024])
@pytest.mark.parametrize("n", [10**1000, -(10**1000), 10**1000 + 1, 3**2000], ids=["1e1000", "-1e1000", "1e1000+1", "3^2000"])
def test_fib_mod_huge_n_by_pisano_period(n: int, m: int) -> None:
    assert fib_mod(n, m) == reference.fib_mod(n % _pisano(m), m)  # n % p keeps the sign rule exact


@pytest.mark.parametrize("p", [1_000_003, 999_983, 1_000_039, 10**9 + 7])
def test_fib_mod_huge_n_prime_modulus(p: int) -> None:
    # For a prime p, the period of F mod p divides p - 1 when p = ±1 (mod 5)
    # and 2(p + 1) when p = ±2 (mod 5).
    assert gmpy2.is_prime(p)
    period = p - 1 if p % 5 in (1, 4) else 2 * (p + 1)
    for n in (10**1000, 10**1000 + 12345, -(7**1200)):
        reduced = n % period
        expected = fib(reduced) % p if reduced < 10**7 else fib_mod(reduced, p)
        assert fib_mod(n, p) == expected


def test_fib_mod_wide_modulus_matches_exact_value() -> None:
    n = 123_457
    for m in (2**200 + 235, 3**150, 10**60 + 3):
        assert fib_mod(n, m) == fib(n) % m
        assert fib_mod(-n - 1, m) == fib(-n - 1) % m


# fib_mod's fixed-size loop (csrc/ff_mont.h): odd moduli of 2 to 32 limbs (2, 3
# and 4 limbs have unrolled copies), limbs of all ones and moduli just below a
# limb boundary (every carry), even moduli split as 2^e q (q a word, q of
# several limbs, q = 1), and both sides of the 32-limb boundary with mpz calls.
FIXED_SIZE_MODULI = {
    "2-limb": 2**127 - 1,
    "2-limb-top": 2**128 - 159,
    "3-limb": 2**192 - 237,
    "4-limb-all-ones": 2**256 - 1,
    "4-limb": 2**255 - 19,
    "5-limb": 3**200,
    "16-limb": 2**1024 - 105,
    "32-limb": 2**2048 - 1,
    "33-limb": 2**2048 + 981,
    "2^64": 2**64,
    "even-word-odd-part": 7 * 2**100,
    "even-power-of-two": 2**200,
    "even-one-limb-power": 3 * 2**64,
    "even-4-limb-odd-part": (2**255 - 19) * 2**33,
    "even-2-limb-odd-part": (2**128 - 159) * 2,
}


@pytest.mark.parametrize("m", FIXED_SIZE_MODULI.values(), ids=FIXED_SIZE_MODULI.keys())
def test_fib_mod_fixed_size_loop(m: int) -> None:
    for n in (0, 1, 2, 3, 94, 1001, 100_003, -1, -2, -7, -100_004):
        assert fib_mod(n, m) == fib(n) % m, n
    for n in (10**300 + 7, -(3**600), 2**1000 - 1):
        assert fib_mod(n, m) == _fib_mod_by_matrix(n, m), n


@settings(max_examples=60, deadline=None)
@given(st.integers(-(2**600), 2**600), st.integers(2**64, 2**2200))
def test_fib_mod_multi_limb_drawn(n: int, m: int) -> None:
    assert fib_mod(n, m) == _fib_mod_by_matrix(n, m)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**4000), st.integers(2**64, 2**2100))
def test_fib_mod_fixed_size_loop_agrees_with_mpz_calls(n: int, m: int) -> None:
    assert fib_mod(n, m) == _core._fib_mod_mpz_calls(n, m)


# --- decimal digits ---------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, -1, -2, 93, 94, -94, 20_000, 100_003, -100_004, 10**6])
def test_fib_digits_match_gmpy2(n: int) -> None:
    digits = fib_digits(n)
    assert type(digits) is bytes
    assert digits == gmpy2.digits(fib(n)).encode("ascii")


def test_fib_digits_beyond_python_str_limit() -> None:
    digits = fib_digits(50_000)  # 10,450 digits: str(int) refuses these by default
    assert len(digits) == 10_450
    assert int(gmpy2.mpz(digits.decode())) == fib(50_000)


# --- argument rules ---------------------------------------------------------

ONE_ARG = [fib, fib_pair, lucas, fib_digits]


@pytest.mark.parametrize("func", ONE_ARG)
@pytest.mark.parametrize("bad", [True, False, 7.0, "7", None, 1 + 0j, [7]])
def test_non_integers_are_refused(func, bad) -> None:
    with pytest.raises(TypeError, match=r"\bn must be an integer"):
        func(bad)


@pytest.mark.parametrize("bad", [True, 7.0, "7", None])
def test_fib_mod_refuses_non_integers(bad) -> None:
    with pytest.raises(TypeError, match=r"\bn must be an integer"):
        fib_mod(bad, 5)
    with pytest.raises(TypeError, match=r"\bm must be an integer"):
        fib_mod(5, bad)


@pytest.mark.parametrize("m", [0, -1, -(10**30)])
def test_fib_mod_refuses_non_positive_modulus(m: int) -> None:
    with pytest.raises(ValueError, match=r"\bm must be an integer >= 1"):
        fib_mod(5, m)


def test_index_like_integers_are_accepted() -> None:
    class Index:
        def __index__(self) -> int:
            return 10

    assert fib(gmpy2.mpz(10)) == fib(Index()) == 55
    assert fib_mod(gmpy2.mpz(10**30), gmpy2.mpz(97)) == fib_mod(10**30, 97)


@pytest.mark.parametrize("func", ONE_ARG)
@pytest.mark.parametrize("n", [10**12, -(10**12), 2**64, 10**1000], ids=["1e12", "-1e12", "2^64", "1e1000"])
def test_results_too_large_for_memory_raise_at_once(func, n: int) -> None:
    rule = r"n=.* is too large.*\|n\| must be at most \d+ in this process's memory limit$"
    with pytest.raises(OverflowError, match=rule) as exc:
        func(n)
    assert "MiB of memory" not in str(exc.value)  # the host's memory size is not revealed


def test_inputs_are_never_written() -> None:
    n, m = gmpy2.mpz(10**40 + 7), gmpy2.mpz(2**100 + 3)
    result = fib_mod(n, m)
    assert (n, m) == (10**40 + 7, 2**100 + 3)
    assert result is not n and result is not m
    a, b = fib(5), fib(5)
    assert a is not b  # every call hands back a fresh object


# --- __index__ that does not return an int ---------------------------------


class _IndexReturns:
    def __init__(self, value: object) -> None:
        self.value = value

    def __index__(self):  # type: ignore[no-untyped-def]
        return self.value


@pytest.mark.parametrize("func", ONE_ARG + [_core.fib, _core.lucas, _core.fib_pair, _core.fib_digits])
@pytest.mark.parametrize("returned", [True, False, 7.0, "7", None])
def test_index_returning_a_non_int_is_refused(func, returned: object) -> None:
    rule = rf"^n must be an integer: _IndexReturns.__index__ returned {type(returned).__name__}, not int$"
    with pytest.raises(TypeError, match=rule):
        func(_IndexReturns(returned))


@pytest.mark.parametrize("returned", [True, 2.0])
def test_fib_mod_index_returning_a_non_int_is_refused(returned: object) -> None:
    with pytest.raises(TypeError, match=r"^n must be an integer: _IndexReturns"):
        fib_mod(_IndexReturns(returned), 7)
    with pytest.raises(TypeError, match=r"^m must be an integer: _IndexReturns"):
        _core.fib_mod(7, _IndexReturns(returned))


# --- the compiled functions check their own arguments ------------------------

C_BOUNDARIES = [
    0, 1, 93, 94, 2**31 - 1, 2**31, 2**32 - 1, 2**32, 2**62, 2**63 - 1, 2**63, 2**64 - 2, 2**64 - 1, 2**64, 2**64 + 1,
    2**128, _memory.MAX_INDEX, _memory.MAX_INDEX + 1,
]  # fmt: skip
C_RANGE = st.one_of(
    st.sampled_from(C_BOUNDARIES + [-b for b in C_BOUNDARIES] + [-b - 1 for b in C_BOUNDARIES]),
    st.integers(-(2**64) - 2, 2**64 + 2),
    st.integers(-3000, 3000),
)


def _core_call(name: str, n: int):  # type: ignore[no-untyped-def]
    return getattr(_core, name)(n)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["fib", "lucas", "fib_pair", "fib_digits"]), C_RANGE)
def test_core_over_the_whole_c_range(name: str, n: int) -> None:
    # Every n gets the exact value or an OverflowError; never (0, 0), a wrong sign or an abort.
    if abs(n) > _memory.MAX_INDEX + 1:
        with pytest.raises(OverflowError, match=r"is too large"):
            _core_call(name, n)
        return
    if abs(n) > 3000:
        return  # legal but slow: the identities above cover large n
    expected = {
        "fib": reference.fib(n),
        "lucas": reference.lucas(n),
        "fib_pair": (reference.fib(n), reference.fib(n + 1)),
        "fib_digits": str(reference.fib(n)).encode(),
    }[name]
    assert _core_call(name, n) == expected


@pytest.mark.parametrize("n", [2**64 - 1, -(2**63), 2**63 - 1, -(2**64) + 1])
def test_core_c_limits_raise(n: int) -> None:
    for name in ("fib", "lucas", "fib_pair", "fib_digits"):
        with pytest.raises(OverflowError, match=r"is too large"):
            _core_call(name, n)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(C_RANGE, st.integers()),
    st.one_of(st.sampled_from([0, -1, 1, 2**64 - 1, 2**64, -(2**64)]), st.integers(-(2**70), 2**70)),
)
def test_core_fib_mod_any_arguments(n: int, m: int) -> None:
    if m < 1:
        with pytest.raises(ValueError, match=r"m must be an integer >= 1"):
            _core.fib_mod(n, m)
    else:
        assert _core.fib_mod(n, m) == _fib_mod_by_matrix(n, m)


def _fib_mod_by_matrix(n: int, m: int) -> int:
    """F(n) mod m from [[1,1],[1,0]]**|n| by square and multiply, and F(-n) = (-1)**(n+1) F(n)."""
    def mul(x: tuple[int, int, int, int], y: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        return ((x[0] * y[0] + x[1] * y[2]) % m, (x[0] * y[1] + x[1] * y[3]) % m,
                (x[2] * y[0] + x[3] * y[2]) % m, (x[2] * y[1] + x[3] * y[3]) % m)  # fmt: skip

    result, base, k = (1, 0, 0, 1), (1, 1, 1, 0), abs(n)
    while k:
        if k & 1:
            result = mul(result, base)
        base, k = mul(base, base), k >> 1
    value = result[1] % m
    return (-value) % m if n < 0 and n % 2 == 0 else value


@pytest.mark.parametrize("bad", [None, 7, 7.0, "7"])
def test_core_decimal_takes_only_mpz(bad: object) -> None:
    with pytest.raises(TypeError):
        _core.decimal(bad)  # type: ignore[arg-type]


@settings(max_examples=100, deadline=None)
@given(st.integers(-(2**3000), 2**3000))
def test_core_decimal_matches_str(x: int) -> None:
    assert _core.decimal(gmpy2.mpz(x)) == str(x).encode()


def test_an_int_subclass_is_its_int_value_whatever_its_index_says() -> None:
    class Odd(int):
        def __index__(self) -> int:  # operator.index() ignores this for int subclasses
            return 5

    assert fastfib.fib(Odd(7)) == 13 and fastfib.fib_mod(Odd(7), Odd(10)) == 3 and fastfib.lucas(Odd(7)) == 29


def test_thread_counts_are_refused_with_a_short_message() -> None:
    with pytest.raises(ValueError, match=r"^threads must be between 1 and 64, got <16610-bit integer>$"):
        fastfib.set_threads(10**5000)
    for bad in (7.9, True, fractions.Fraction(15, 2), decimal.Decimal("3.99")):
        with pytest.raises(TypeError, match="^threads must be an integer"):
            _core.set_threads(bad)
