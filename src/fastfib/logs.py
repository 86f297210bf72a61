"""One log record per invocation, through :mod:`logging`, so Lambda's logging controls apply.

awslambdaric installs the root handler: with ``AWS_LAMBDA_LOG_FORMAT=JSON``
it writes each record as one JSON object with timestamp, level and
requestId, and fastfib's fields (handler, n, mod, digits, duration_ms,
outcome) become keys of that object; in the text format the message is
those fields as one line of compact JSON.  ``AWS_LAMBDA_LOG_LEVEL=WARN`` (or
higher) silences the record of a served or refused request; a fault of
our own is logged at ERROR with its traceback.  The result is never logged.

awslambdaric imports logging before it loads the handler, so this costs
no INIT time under Lambda.
"""

from __future__ import annotations

import json
import logging
import os
import time

from fastfib._args import describe

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Optional

    from fastfib.decode import FibRequest

logger = logging.getLogger("fastfib")
_lambda_level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "")
# awslambdaric applies the level only if logging knows its name ("TRACE" means DEBUG).
if not isinstance(logging.getLevelName({"TRACE": "DEBUG"}.get(_lambda_level, _lambda_level).upper()), int):
    # Without a level that awslambdaric applies (none, or one it does not
    # know), the root logger passes WARNING and up only; the per-invocation
    # record is INFO and should be seen by default.
    logger.setLevel(logging.INFO)

_JSON_FORMAT = os.environ.get("AWS_LAMBDA_LOG_FORMAT", "").upper() == "JSON"


def log_invocation(
    handler: str, request: Optional[FibRequest], digits: int, started: float, outcome: str, failed: bool = False
) -> None:
    """Log one invocation: its fields, at INFO, or at ERROR with the current exception if ``failed``."""
    level = logging.ERROR if failed else logging.INFO
    if not logger.isEnabledFor(level):  # e.g. AWS_LAMBDA_LOG_LEVEL=WARN: no record, so no fields either
        return
    fields = {
        "handler": handler,
        "n": describe(request.n) if request else None,
        "mod": describe(request.mod) if request and request.mod is not None else None,
        "digits": digits,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "outcome": outcome,
    }
    if _JSON_FORMAT:
        logger.log(level, "fastfib %s %s", handler, outcome, extra=fields, exc_info=failed)
    else:
        logger.log(level, "%s", json.dumps(fields, separators=(",", ":")), exc_info=failed)
