"""Admission before work: text is measured before it is converted, conversions reserve their memory,
fib_mod is admitted by its cost, and running out of memory on a client's input is a 422, never a 500.

The same cases under real memory limits, through RIE on the host and in the
images, are in tests/test_rie_memory.py; here they run in process, with the
free memory or the decoder stubbed where a limit would bite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap

import gmpy2
import pytest

from fastfib import _core, _memory, handlers, limits
from fastfib._args import Numeral
from fastfib.decode import FibRequest, _number, raw_request
from fastfib.errors import InputTooLarge, InvalidInput
from fastfib.limits import MAX_MOD_DIGITS, MAX_MOD_WORK, Admitted, Limits

LIMITS = Limits(limits.DEFAULT_MAX_N)


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The digit counts of every Numeral converted from here on."""
    converted: list[int] = []
    real = Numeral.value
    monkeypatch.setattr(Numeral, "value", lambda self: converted.append(self.digits) or real(self))
    return converted


# --- refused by length, before any conversion --------------------------------


@pytest.mark.parametrize(
    ("n", "mod", "error", "needle"),
    [
        ("9" * 6_000_000, None, InputTooLarge, "n=<6000000-digit integer> is above the limit: |n| must be at most 30000000"),
        ("-" + "9" * 9, None, InputTooLarge, "|n| must be at most 30000000"),  # one digit more than max_n
        ("7", "1" * 5000, InputTooLarge, "mod=<5000-digit integer> is above the limit: mod must be below 2**256"),
        ("7", "-" + "1" * 6_000_000, InvalidInput, "mod must be an integer >= 1, got -<6000000-digit integer>"),
        ("7", "0" * 6_000_000, InvalidInput, "mod must be an integer >= 1, got 0"),
        ("9" * (MAX_MOD_WORK // 4 + 1), str(2**256 - 1), InputTooLarge, "so |n| may have 6000000 digits"),
        ("9" * (MAX_MOD_WORK // 2 + 1), str(2**128 - 1), InputTooLarge, "with a 128-bit mod is above the limit"),
    ],
    ids=["n-6e6-digits", "n-one-digit-more", "mod-5000-digits", "mod-negative-6e6", "mod-zeros", "work-256-bit", "work-128-bit"],
)
def test_text_too_long_is_refused_unconverted(conversions: list[int], n: str, mod: str | None, error: type, needle: str) -> None:
    request = _as_decoded(n, mod)
    with pytest.raises(error) as caught:
        LIMITS.admit(request)
    assert needle in str(caught.value) and len(str(caught.value)) <= 240
    assert all(digits <= MAX_MOD_DIGITS for digits in conversions), conversions  # nothing long: at most a mod


def _as_decoded(n: str, mod: str | None = None) -> FibRequest:
    """The request as decode.py makes it from text (a query string, or JSON text): long numbers stay Numerals."""
    return FibRequest(_number(Numeral(n)), None if mod is None else _number(Numeral(mod)))


def test_leading_zeros_do_not_count(conversions: list[int]) -> None:
    assert Numeral("-" + "0" * 6_000_000 + "12").digits == 2
    assert LIMITS.admit(_as_decoded("-" + "0" * 6_000_000 + "12")) == Admitted(-12)
    assert LIMITS.admit(_as_decoded("7", "0" * 100_000 + "97")) == Admitted(7, 97)
    assert conversions == [2, 1, 2]  # short: by the decoder, from a slice of 2 characters


def test_a_mod_longer_than_2_256_is_refused_by_its_length(conversions: list[int]) -> None:
    with pytest.raises(InputTooLarge, match=r"^mod=<79-digit integer> is above the limit: mod must be below 2\*\*256$"):
        LIMITS.admit(FibRequest(7, Numeral("1" * 79)))
    assert conversions == []


def test_a_78_digit_mod_above_2_256_is_refused_once_read() -> None:
    request = FibRequest(7, Numeral(str(2**256)))
    assert len(str(2**256)) == MAX_MOD_DIGITS
    with pytest.raises(InputTooLarge, match=r"mod must be below 2\*\*256"):
        LIMITS.admit(request)
    assert LIMITS.admit(FibRequest(7, Numeral(str(2**256 - 1)))) == Admitted(7, 2**256 - 1)


def test_the_work_ceiling_is_digits_of_n_times_words_of_mod(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_MOD_WORK", 40_000)
    at_limit, above = "7" * 10_000, "7" * 10_001
    m4 = 2**256 - 189  # 4 words
    assert LIMITS.admit(FibRequest(Numeral(at_limit), m4)) == Admitted(int(gmpy2.mpz(at_limit)), m4)
    with pytest.raises(InputTooLarge, match="must be at most 40000, so |n| may have 10000 digits"):
        LIMITS.admit(FibRequest(Numeral(above), m4))
    with pytest.raises(InputTooLarge, match="with a 256-bit mod"):
        LIMITS.admit(FibRequest(int(gmpy2.mpz(above)), m4))  # an int n is measured the same way
    assert LIMITS.admit(FibRequest(Numeral("7" * 40_000), 97)) is not None  # one word: 40,000 digits
    with pytest.raises(InputTooLarge, match="with a 64-bit mod"):
        LIMITS.admit(FibRequest(Numeral("7" * 40_001), 2**64 - 59))


def test_default_requests_are_admitted_as_before() -> None:
    assert LIMITS.admit(FibRequest(7)) == Admitted(7)
    assert LIMITS.admit(FibRequest(-30_000_000)) == Admitted(-30_000_000)
    assert LIMITS.admit(FibRequest(10**100, 97)) == Admitted(10**100, 97)
    with pytest.raises(InputTooLarge, match="at most 30000000"):
        LIMITS.admit(FibRequest(30_000_001))
    with pytest.raises(InvalidInput, match="mod must be an integer >= 1, got -5"):
        LIMITS.admit(FibRequest(7, -5))


#: An odd 4-word modulus whose Pisano period is known: pi(5^k) = 4 * 5^k.
M5, M5_PERIOD = 5**110, 4 * 5**110


def test_a_long_n_with_a_4_word_mod_is_served_exactly() -> None:
    # 6·10^5 digits here (the 6·10^6 of the issue, at the ceiling, run through RIE in test_rie_memory.py).
    assert M5.bit_length() == 256 and M5 % 2
    text = "3" * 600_000
    n = int(gmpy2.mpz(text))
    expected = _core._fib_mod_mpz_calls(n % M5_PERIOD, M5)
    assert handlers.raw({"n": text, "mod": M5}) == b'{"result":%d}' % expected


# --- conversions reserve their memory -----------------------------------------


def test_a_long_n_is_converted_only_if_its_memory_is_free(monkeypatch: pytest.MonkeyPatch, conversions: list[int]) -> None:
    text = "7" * 5_000_000
    monkeypatch.setattr(_memory, "available_bytes", lambda: 20 << 20)  # too little to convert 5·10^6 digits
    with pytest.raises(InputTooLarge, match=r"^n=<5000000-digit integer> is too long to read in the memory free now$"):
        LIMITS.admit(FibRequest(Numeral(text), 97))
    assert conversions == []
    monkeypatch.setattr(_memory, "available_bytes", lambda: 80 << 20)
    assert LIMITS.admit(FibRequest(Numeral(text), 97)).n == int(gmpy2.mpz(text))
    assert conversions == [5_000_000]
    assert _memory._reserved_bytes == 0  # given back


def test_a_conversion_that_runs_out_all_the_same_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_memory(self: Numeral) -> int:
        raise MemoryError

    monkeypatch.setattr(Numeral, "value", no_memory)
    with pytest.raises(InputTooLarge, match=r"^n=<5000-digit integer> is too long to read in the memory free now$"):
        LIMITS.admit(FibRequest(Numeral("7" * 5000), 97))


# --- MemoryError is the client's: 422, never 500 -------------------------------


def test_running_out_while_decoding_a_body_is_422_not_500(sample_event, monkeypatch: pytest.MonkeyPatch) -> None:
    import fastfib.decode

    def no_memory(*args: object, **kwargs: object) -> object:
        raise MemoryError

    monkeypatch.setattr(fastfib.decode, "loads", no_memory)
    event = sample_event("apigw_v2")
    event["body"] = '{"n": 7, "x": [[[]]]}'
    response = json.loads(handlers.apigw(event))
    assert response["statusCode"] == 422
    assert json.loads(response["body"]) == {"error": "the request is too large to decode in the memory free now"}
    monkeypatch.undo()
    assert json.loads(handlers.apigw(event))["statusCode"] == 200


def test_running_out_while_reading_a_raw_event_is_input_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    import fastfib.decode

    def no_memory(event: object) -> FibRequest:
        raise MemoryError

    monkeypatch.setattr(handlers, "raw_request", no_memory)
    with pytest.raises(InputTooLarge, match="^the request is too large to decode in the memory free now$"):
        handlers.raw({"n": 7})
    monkeypatch.setattr(handlers, "raw_request", fastfib.decode.raw_request)
    assert handlers.raw({"n": 7}) == b'{"result":13}'


def test_limits_read_passes_other_errors_on() -> None:
    with pytest.raises(InvalidInput, match="n is required"):
        LIMITS.read(raw_request, {})
    with pytest.raises(ZeroDivisionError):  # a fault of our own stays one
        LIMITS.read(lambda event: 1 // 0, {})  # type: ignore[arg-type, return-value]


# --- under RLIMIT_AS: refused or served, never aborted -------------------------

_UNDER_LIMIT = """
import os, resource, sys
import fastfib.handlers as h
text = "7" * {digits}
def mapped():
    return int(open("/proc/self/statm").read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
headroom = {headroom_mib} << 20
resource.setrlimit(resource.RLIMIT_AS, (mapped() + headroom, resource.RLIM_INFINITY))
for event in {events}:
    try:
        print(h.raw(dict(event, n=text) if event.get("n") == "LONG" else event).decode()[:40])
    except (h.InvalidInput, h.InputTooLarge) as exc:
        print(type(exc).__name__, str(exc)[:80])
"""


@pytest.mark.slow  # a subprocess under RLIMIT_AS per headroom
@pytest.mark.parametrize("headroom_mib", [16, 24, 32, 64])
def test_a_long_n_with_mod_under_an_address_space_limit_is_refused_or_served(headroom_mib: int) -> None:
    # gmpy2.mpz(text) of 6·10^6 digits made GMP abort with 20 to 32 MiB of headroom.
    events = [{"n": "LONG", "mod": 97}, {"n": "LONG"}, {"n": 12}]
    source = textwrap.dedent(_UNDER_LIMIT).format(digits=6_000_000, headroom_mib=headroom_mib, events=events)
    proc = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=120,
                          cwd=tempfile.gettempdir(), env={**os.environ, "FASTFIB_THREADS": "1"})  # fmt: skip
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-1000:])
    with_mod, without_mod, good = proc.stdout.splitlines()
    expected = '{"result":%d}' % handlers.fib_mod(int(gmpy2.mpz("7" * 6_000_000)), 97)
    assert with_mod == expected[:40] or with_mod.startswith("InputTooLarge n=<6000000-digit integer> is too long to read")
    assert without_mod.startswith("InputTooLarge n=<6000000-digit integer> is above the limit")
    assert good == '{"result":144}'
