"""The request rules, in one place: which well-formed requests are served.

``Limits.admit`` is the one function that decides.  A request is served when
- mod, if given, is at least 1 and below 2**MAX_MOD_BITS;
- without mod, |n| is at most ``max_n`` (``FASTFIB_MAX_N``, read once at
  start), which start-up keeps within what Lambda's response cap can carry;
- F(n) fits the memory this process may ever use (``fastfib._memory``); the
  memory free at the moment is reserved when the computation starts, and a
  refusal then is an InputTooLarge too (``handlers._digits``).
Everything else gets an InvalidInput or InputTooLarge that states the rule.
"""

from __future__ import annotations

import os

from fastfib._args import as_modulus, describe, setting_int
from fastfib._memory import as_index
from fastfib.errors import InputTooLarge, InvalidInput

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Mapping

    from fastfib.decode import FibRequest

#: Lambda's limit on a synchronous response, which RIE enforces too.
RESPONSE_LIMIT_BYTES = 6_291_556

#: The most a response adds around the digits: the proxy envelope of an ALB
#: multi-value response (the largest), plus a minus sign.  A test holds each
#: shape's real envelope to this.
ENVELOPE_BYTES = 200

#: log10 of the golden ratio: F(n) has at most int(n * LOG10_PHI) + 1 digits.
LOG10_PHI = 0.20898764024997873

#: mod must stay below 2**MAX_MOD_BITS.  fib_mod's cost is bits(n) times the
#: cost of one step mod m: about 20 ns for m < 2**64 and 200 ns at 256 bits,
#: so even an n as long as a whole 6 MB event is answered within seconds.
MAX_MOD_BITS = 256

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


class Limits:
    """The limits one handler process serves under; ``admit`` applies them."""

    __slots__ = ("max_n",)

    def __init__(self, max_n: int) -> None:
        self.max_n = max_n

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> Limits:
        return cls(max_n_from_env(environ))

    def admit(self, request: FibRequest) -> FibRequest:
        """Return ``request`` if it is served; raise InvalidInput or InputTooLarge, stating the rule, if not."""
        n, mod = request.n, request.mod
        if mod is not None:
            try:
                as_modulus(mod, "mod")
            except ValueError as exc:
                raise InvalidInput(str(exc)) from None
            if mod.bit_length() > MAX_MOD_BITS:
                raise InputTooLarge(f"mod={describe(mod)} is above the limit: mod must be below 2**{MAX_MOD_BITS}")
            return request
        if abs(n) > self.max_n:
            raise InputTooLarge(
                f"n={describe(n)} is above the limit: |n| must be at most {self.max_n} ({ENV_VAR}); "
                "give mod to compute F(n) mod m for any n"
            )
        try:
            as_index(n)
        except OverflowError as exc:
            raise InputTooLarge(str(exc)) from None
        return request
