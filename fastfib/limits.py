"""The largest n the handlers compute exactly: ``FASTFIB_MAX_N``, read once at start."""

from __future__ import annotations

import os
from typing import Mapping

#: Lambda's limit on a synchronous response, which RIE enforces too.
RESPONSE_LIMIT_BYTES = 6_291_556

#: The largest round n whose response fits RESPONSE_LIMIT_BYTES: F(3e7) has
#: 6,269,629 digits, and the proxy envelope adds about 150 bytes.
DEFAULT_MAX_N = 30_000_000

#: mod must stay below 2**MAX_MOD_BITS.  fib_mod's cost is bits(n) times the
#: cost of one step mod m: about 20 ns for m < 2**64 and 200 ns at 256 bits,
#: so even an n as long as a whole 6 MB event is answered within seconds.
MAX_MOD_BITS = 256

#: Raw events are decoded by awslambdaric before fastfib sees them, with
#: Python's int(str), which refuses more than 4300 digits by default; the
#: handlers raise that to this many (about 0.5 s to parse on Python 3.13).
EVENT_INT_DIGITS = 1_000_000

ENV_VAR = "FASTFIB_MAX_N"


def max_n_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """Return the limit on |n| from ``FASTFIB_MAX_N``, or DEFAULT_MAX_N if unset.

    Raises RuntimeError, naming the variable and the rule, unless the value
    is a positive decimal integer; the handler module then fails to import,
    which stops the Lambda start-up with that message.
    """
    raw = environ.get(ENV_VAR)
    if raw is None:
        return DEFAULT_MAX_N
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 18 or int(text) < 1:
        shown = raw if len(raw) <= 40 else raw[:40] + "..."
        raise RuntimeError(f"{ENV_VAR} must be a positive integer below 10**18, such as {DEFAULT_MAX_N}; got {shown!r}")
    return int(text)
