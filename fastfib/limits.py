"""The largest n the handlers compute exactly: ``FASTFIB_MAX_N``, read once at start."""

from __future__ import annotations

import os
from typing import Mapping

#: Lambda's limit on a synchronous response, which RIE enforces too.
RESPONSE_LIMIT_BYTES = 6_291_556

#: The largest round n whose response fits RESPONSE_LIMIT_BYTES: F(3e7) has
#: 6,269,635 digits, and the proxy envelope adds about 150 bytes.
DEFAULT_MAX_N = 30_000_000

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
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise RuntimeError(f"{ENV_VAR} must be a positive integer such as {DEFAULT_MAX_N}, got {raw!r}")
    return int(text)
