"""The request rules, in one place: which well-formed requests are served.

``Limits.admit`` is the one function that decides.  A request is served when
- mod, if given, is at least 1 and below 2**MAX_MOD_BITS;
- with mod, the digits of |n| times the 64-bit words of mod are at most
  MAX_MOD_WORK, so that no request buys more than about 2.5 s of CPU;
- without mod, |n| is at most ``max_n`` (``FASTFIB_MAX_N``, read once at
  start), which start-up keeps within what Lambda's response cap can carry;
- F(n) fits the memory this process may ever use (``fastfib._memory``); the
  memory free at the moment is reserved when the computation starts, and a
  refusal then is an InputTooLarge too (``handlers._digits``).
Everything else gets an InvalidInput or InputTooLarge that states the rule.

n and mod may arrive as text (``fastfib._args.Numeral``): each rule is first
applied to the text's length, and text is converted only once it is
admitted, with its conversion's memory reserved.  Running out of memory
while a request is read (``Limits.read``) or admitted is the client's
doing, not a fault: InputTooLarge, naming the input.

Every allocation in gmpy2 or GMP sized by what a client sent, and what
admits it first (each has a test under RLIMIT_AS in tests/test_memory.py
or tests/test_admission.py, and through RIE in tests/test_rie_memory.py):

- converting n or mod from text (gmpy2.mpz(text): an ASCII copy, GMP's
  digit buffer, the limbs and their scratch), then int() of the mpz: the
  length rules above, then ``_memory.reserve_parse``;
- fib_mod's copies of n (``-n``, gmpy2.mpz(n)): ``reserve_operand``;
  reducing a long n mod m reads its bits in place (the word and Montgomery
  loops, and n mod 2^e and n mod 3 for an even m): no n-sized temporary;
- products mod m (the mpz loop above 32 limbs): ``reserve_modulus``;
- F(n), L(n) and their products and squarings: ``as_index`` (MAX_INDEX)
  and ``reserve_index``;
- the decimal writer (mpz_get_str's scratch, the bytes buffer, the
  threaded writer's pieces): ``reserve_digits``;
- messages (``describe``, ``shown``): sizes and at most 40 characters.
JSON decoding (Python's, not GMP's) runs before any of these: a MemoryError
there is an InputTooLarge (``Limits.read``) or, for a raw event decoded by
the runtime, a Runtime.UnmarshalError that says so (``fastfib.runtime``).
"""

from __future__ import annotations

import os

from fastfib._args import Numeral, as_modulus, describe, setting_int
from fastfib._memory import as_index, parse_numeral
from fastfib.decode import FibRequest
from fastfib.errors import InputTooLarge, InvalidInput

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Callable, Mapping, TypeVar

    Event = TypeVar("Event")

#: Lambda's limit on a synchronous response, which RIE enforces too.
RESPONSE_LIMIT_BYTES = 6_291_556

#: The most a response adds around the digits: the proxy envelope of an ALB
#: multi-value response (the largest), plus a minus sign.  A test holds each
#: shape's real envelope to this.
ENVELOPE_BYTES = 200

#: log10 of the golden ratio: F(n) has at most int(n * LOG10_PHI) + 1 digits.
LOG10_PHI = 0.20898764024997873

#: mod must stay below 2**MAX_MOD_BITS.
MAX_MOD_BITS = 256
#: Digits of 2**MAX_MOD_BITS: a mod written with more is refused by its length.
MAX_MOD_DIGITS = len(str(2**MAX_MOD_BITS))

#: With mod, the digits of |n| times the 64-bit words of mod (a mod below
#: 2**64 is one word) may be at most this.  fib_mod's cost is one doubling
#: step per bit of n, each a product and a square mod m on fixed-size words:
#: measured here at about 100 ns per digit of n per word (0.6 s for an n of
#: 6·10^6 digits with a 64-bit mod, 2.3 s with a 256-bit one).  So the
#: ceiling, an n of 6,000,000 digits with a 256-bit mod, is about 2.5 s of CPU.
MAX_MOD_WORK = 24_000_000

ENV_VAR = "FASTFIB_MAX_N"

#: The default limit on |n|: the largest round n whose response fits (F(3e7) has 6,269,629 digits).
DEFAULT_MAX_N = 30_000_000


def _max_digits(n: int) -> int:
    # Rounding up, and 1e-9 of slack for the float: never an underestimate.
    return int(n * LOG10_PHI * (1 + 1e-9)) + 1


def largest_max_n(response_bytes: int = RESPONSE_LIMIT_BYTES) -> int:
    """The largest |n| whose response, in any shape, fits ``response_bytes``."""
    budget = response_bytes - ENVELOPE_BYTES
    n = int(budget / LOG10_PHI)
    while _max_digits(n) > budget:
        n -= 1
    while _max_digits(n + 1) <= budget:
        n += 1
    return n


def max_n_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """Return the limit on |n| from ``FASTFIB_MAX_N``, or DEFAULT_MAX_N if unset.

    Raises RuntimeError, naming the variable and the rule, unless the value
    is a decimal integer from 1 to largest_max_n(); the handler module then
    fails to import, which stops the Lambda start-up with that message.
    """
    largest = largest_max_n()
    why = (
        f", such as {DEFAULT_MAX_N}: F(n) for a larger n has more digits than Lambda's "
        f"{RESPONSE_LIMIT_BYTES}-byte response can carry"
    )
    n = setting_int(environ, ENV_VAR, 1, largest, why)
    return DEFAULT_MAX_N if n is None else n


class Admitted(FibRequest):
    """A request ``Limits.admit`` serves: F(n), or F(n) mod ``mod`` when mod is set, as ints."""

    __slots__ = ()
    n: int
    mod: int | None

    def __init__(self, n: int, mod: int | None = None) -> None:
        super().__init__(n, mod)


class Limits:
    """The limits one handler process serves under; ``admit`` applies them."""

    __slots__ = ("max_n",)

    def __init__(self, max_n: int) -> None:
        self.max_n = max_n

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        return cls(max_n_from_env(environ))

    def read(self, decode: Callable[[Event], FibRequest], event: Event) -> FibRequest:
        """``decode(event)``, with running out of memory while reading it refused as InputTooLarge.

        A MemoryError there comes from the size of what the client sent (a
        body of 6 MB of nested arrays, say), under a memory limit: the
        client's doing, refused with a message that names the request.
        """
        try:
            return decode(event)
        except MemoryError:
            raise InputTooLarge("the request is too large to decode in the memory free now") from None

    def admit(self, request: FibRequest) -> Admitted:
        """The request with n and mod as ints, if it is served; else InvalidInput or InputTooLarge, stating the rule.

        n or mod given as text is measured before it is converted: a rule it
        breaks by its length alone refuses it unconverted, and a long n that
        is allowed (with mod) is converted with its memory reserved.
        """
        try:
            if request.mod is None:
                return Admitted(self._index(request.n))
            mod = self._modulus(request.mod)
            return Admitted(self._index_with(mod, request.n), mod)
        except MemoryError:  # after every reservation: memory taken since it looked
            raise InputTooLarge("the request is too large for the memory free now") from None

    def _index(self, n: int | Numeral) -> int:
        """n without mod: |n| at most max_n (text with more digits than max_n is refused unread), and F(n) within memory."""
        if isinstance(n, Numeral):
            if n.digits > len(str(self.max_n)):
                raise self._above_max_n(n)
            n = _converted(n, "n")  # as short as max_n
        if abs(n) > self.max_n:
            raise self._above_max_n(n)
        try:
            as_index(n)
        except OverflowError as exc:
            raise InputTooLarge(str(exc)) from None
        return n

    def _above_max_n(self, n: int | Numeral) -> InputTooLarge:
        return InputTooLarge(
            f"n={describe(n)} is above the limit: |n| must be at most {self.max_n} ({ENV_VAR}); "
            "give mod to compute F(n) mod m for any n"
        )

    @staticmethod
    def _modulus(mod: int | Numeral) -> int:
        """mod from 1 to 2**MAX_MOD_BITS - 1 (text with more digits than that is refused unread)."""
        if isinstance(mod, Numeral):
            if mod.negative or mod.digits == 0:  # as_modulus's message, without converting a long one
                raise InvalidInput(f"mod must be an integer >= 1, got {describe(mod)}")
            if mod.digits > MAX_MOD_DIGITS:
                raise _above_max_mod(mod)
            mod = _converted(mod, "mod")  # at most 78 digits
        try:
            as_modulus(mod, "mod")  # the one modulus rule and its message
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if mod.bit_length() > MAX_MOD_BITS:
            raise _above_max_mod(mod)
        return mod

    @staticmethod
    def _index_with(mod: int, n: int | Numeral) -> int:
        """n with mod: the work, digits of |n| times words of mod, at most MAX_MOD_WORK; then n converted."""
        words = max(1, -(-mod.bit_length() // 64))
        digits = n.digits if isinstance(n, Numeral) else int(n.bit_length() * _LOG10_2) + 1
        if digits * words > MAX_MOD_WORK:
            raise InputTooLarge(
                f"n={describe(n)} with a {words * 64}-bit mod is above the limit: the digits of |n| times the "
                f"64-bit words of mod must be at most {MAX_MOD_WORK}, so |n| may have {MAX_MOD_WORK // words} digits"
            )
        return _converted(n, "n")


def _above_max_mod(mod: int | Numeral) -> InputTooLarge:
    return InputTooLarge(f"mod={describe(mod)} is above the limit: mod must be below 2**{MAX_MOD_BITS}")


#: log10(2): an int of b bits has at most int(b * log10(2)) + 1 digits.
_LOG10_2 = 0.30102999566398120


def _converted(value: int | Numeral, name: str) -> int:
    """value as an int: a Numeral is converted with its memory reserved (InputTooLarge if it is not free)."""
    if isinstance(value, int):
        return value
    try:
        return parse_numeral(value, name)
    except OverflowError as exc:
        raise InputTooLarge(str(exc)) from None
