"""AWS Lambda entry points, run by awslambdaric: ``fastfib.handlers.raw`` and ``fastfib.handlers.apigw``.

``raw`` answers ``{"n": 7}`` with ``{"result":13}`` and raises InvalidInput or
InputTooLarge for bad events.  ``apigw`` answers API Gateway (REST and HTTP
API), ALB and Function URL proxy events with an HTTP response: 200, 400 for
a bad request, 405 for a method other than GET or POST, 422 for n above the
limit, and 500, with a generic message, only for a fault of our own.

The limit on |n| (FASTFIB_MAX_N) is read once, when this module is imported;
an invalid value stops the start-up.  Every invocation logs one line to
stdout with n, mod, the number of digits, the duration and the handler,
never the result.
"""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING

from fastfib import _core, fib, fib_mod
from fastfib._args import describe
from fastfib.errors import InputTooLarge, InvalidInput
from fastfib.events import FibRequest, HttpEvent, http_request, raw_request
from fastfib.limits import ENV_VAR, EVENT_INT_DIGITS, MAX_MOD_BITS, max_n_from_env
from fastfib.responses import error_json, http_response, result_json

if TYPE_CHECKING:
    from typing import Any

__all__ = ["raw", "apigw", "InvalidInput", "InputTooLarge", "MAX_N"]

#: Largest |n| served without ``mod``.
MAX_N = max_n_from_env()

if hasattr(sys, "set_int_max_str_digits") and 0 < sys.get_int_max_str_digits() < EVENT_INT_DIGITS:
    # Let awslambdaric's JSON decoder read an n of up to EVENT_INT_DIGITS digits.
    sys.set_int_max_str_digits(EVENT_INT_DIGITS)

_ALLOWED_METHODS = ("GET", "POST")


def _digits(request: FibRequest) -> bytes:
    if request.mod is not None:
        if request.mod.bit_length() > MAX_MOD_BITS:
            raise InputTooLarge(
                f"mod={describe(request.mod)} is above the limit: mod must be below 2**{MAX_MOD_BITS}"
            )
        return _core.decimal(fib_mod(request.n, request.mod))
    if abs(request.n) > MAX_N:
        raise InputTooLarge(
            f"n={describe(request.n)} is above the limit: |n| must be at most {MAX_N} ({ENV_VAR}); "
            "give mod to compute F(n) mod m for any n"
        )
    try:
        return _core.decimal(fib(request.n))
    except OverflowError as exc:  # FASTFIB_MAX_N set beyond this machine's memory
        raise InputTooLarge(str(exc)) from None


def _log(handler: str, request: FibRequest | None, digits: int, started: float, outcome: str) -> None:
    record = {
        "handler": handler,
        "n": describe(request.n) if request else None,
        "mod": describe(request.mod) if request and request.mod is not None else None,
        "digits": digits,
        "duration_ms": round((time.perf_counter() - started) * 1000, 3),
        "outcome": outcome,
    }
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def raw(event: Any, context: Any = None) -> bytes:
    """Answer ``{"n": <int>, "mod": <int >= 1, optional>}`` with ``{"result":<digits>}`` as bytes.

    Raises InvalidInput for a malformed event (the message names the field)
    and InputTooLarge for |n| above MAX_N without mod.
    """
    started = time.perf_counter()
    request = None
    try:
        request = raw_request(event)
        digits = _digits(request)
    except (InvalidInput, InputTooLarge) as exc:
        _log("raw", request, 0, started, type(exc).__name__)
        raise
    _log("raw", request, len(digits), started, "ok")
    return result_json(digits)


def apigw(event: Any, context: Any = None) -> bytes:
    """Answer an API Gateway, ALB or Function URL proxy event with a JSON HTTP response, as bytes.

    n and mod are read from the JSON body, then the query string, then the
    path parameter ``n``.  Raises InvalidInput only when the event is not a
    proxy event at all, since then no HTTP response shape can be chosen.
    """
    started = time.perf_counter()
    try:
        http = HttpEvent.parse(event)
    except InvalidInput:
        _log("apigw", None, 0, started, "InvalidInput")
        raise
    request = None
    try:
        if http.method not in _ALLOWED_METHODS:
            _log("apigw", None, 0, started, "405")
            body = error_json(f"method {http.method} is not allowed: use GET or POST")
            return http_response(http, 405, body, {"Allow": ", ".join(_ALLOWED_METHODS)})
        request = http_request(http)
        digits = _digits(request)
    except InvalidInput as exc:
        _log("apigw", request, 0, started, "400")
        return http_response(http, 400, error_json(str(exc)))
    except InputTooLarge as exc:
        _log("apigw", request, 0, started, "422")
        return http_response(http, 422, error_json(str(exc)))
    except Exception:  # our fault, not the client's: details to the log only
        import traceback

        traceback.print_exc(file=sys.stdout)
        _log("apigw", request, 0, started, "500")
        return http_response(http, 500, error_json("internal error"))
    _log("apigw", request, len(digits), started, "200")
    return http_response(http, 200, result_json(digits))
