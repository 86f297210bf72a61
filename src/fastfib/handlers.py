"""AWS Lambda entry points, run by awslambdaric: ``fastfib.handlers.raw`` and ``fastfib.handlers.apigw``.

``raw`` answers ``{"n": 7}`` with ``{"result":13}`` and raises InvalidInput
or InputTooLarge for a request it does not serve.  ``apigw`` answers API
Gateway (REST and HTTP API), ALB and Function URL proxy events with an HTTP
response: 200; 400, 405 or 422, each with a short JSON error, for whatever a
client sends (running out of memory on what it sent included: 422); and
500, with a generic message, only for a fault of our own.
It raises InvalidInput only for an event with no proxy shape at all.

The limits are read once, when this module is imported (``fastfib.limits``);
an invalid ``FASTFIB_MAX_N`` stops the start-up.  Importing it also makes
the awslambdaric in this process decode events with fastfib's JSON rules
(``fastfib.runtime``): long integers kept as text, a repeated n or mod
refused.  Each invocation logs one record through :mod:`logging` (see
``fastfib.logs``), never the result.
"""

from __future__ import annotations

import time

from fastfib import fib_digits, fib_mod
from fastfib._api import decimal
from fastfib.decode import http_request, raw_request
from fastfib.errors import InputTooLarge, InvalidInput, RequestError
from fastfib.events import HttpEvent
from fastfib.limits import Admitted, Limits
from fastfib.logs import log_invocation
from fastfib.responses import error_json, http_response, result_json
from fastfib.runtime import OUT_OF_MEMORY, Undecodable, install, reclaims_after_raise

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any

__all__ = ["raw", "apigw", "InvalidInput", "InputTooLarge", "LIMITS", "MAX_N"]

#: The limits this process serves under.
LIMITS = Limits.from_env()
#: Largest |n| served without ``mod``.
MAX_N = LIMITS.max_n
#: The 422 message when the answer to a request does not fit in the memory free now.
TOO_LARGE_TO_ANSWER = "the answer to this request does not fit in the memory free now"
#: Whether awslambdaric decodes this process's events with fastfib.jsonrules.loads.
DECODER_INSTALLED = install()


def _digits(request: Admitted) -> bytes:
    """The decimal digits of the answer to an admitted request."""
    try:
        if request.mod is not None:
            return decimal(fib_mod(request.n, request.mod))
        return fib_digits(request.n)
    except (OverflowError, MemoryError) as exc:  # memory taken since admit() looked
        raise InputTooLarge(str(exc) or "the result does not fit in the memory free now") from None


@reclaims_after_raise
def raw(event: Any, context: Any = None) -> bytes:
    """Answer ``{"n": <int>, "mod": <int >= 1, optional>}`` with ``{"result":<digits>}`` as bytes.

    Raises InvalidInput for a malformed event (the message names the field)
    and InputTooLarge for a request above a limit.
    """
    if isinstance(event, Undecodable):  # too large to decode in the memory free now
        raise event.error
    started = time.perf_counter()
    request = None
    try:
        request = LIMITS.read(raw_request, event)  # logged even when the limits refuse it
        digits = _digits(LIMITS.admit(request))
    except RequestError as exc:
        log_invocation("raw", request, 0, started, type(exc).__name__)
        raise
    log_invocation("raw", request, len(digits), started, "ok")
    return result_json(digits)


@reclaims_after_raise
def apigw(event: Any, context: Any = None) -> bytes:
    """Answer an API Gateway, ALB or Function URL proxy event with a JSON HTTP response, as bytes.

    n and mod are read from the JSON body, then the query string, then the
    path parameter ``n``.  Raises InvalidInput only when the event is not a
    proxy event at all, since then no HTTP response shape can be chosen.
    """
    started = time.perf_counter()
    if isinstance(event, Undecodable):  # too large to decode in the memory free now: 422, not the runtime's error
        shape = HttpEvent.parse({"requestContext": {"elb": {}} if event.alb else {}})
        log_invocation("apigw", None, 0, started, "422")
        return http_response(shape, 422, error_json(OUT_OF_MEMORY))
    http = request = None
    headers = None
    try:
        http = HttpEvent.parse(event)
        request = LIMITS.read(http_request, http)  # logged even when the limits refuse it
        digits = _digits(LIMITS.admit(request))
        status, body, ndigits = 200, result_json(digits), len(digits)
    except RequestError as exc:
        if http is None:  # no proxy shape: there is no HTTP response to give
            log_invocation("apigw", None, 0, started, type(exc).__name__)
            raise
        status, body, ndigits, headers = exc.status, error_json(str(exc)), 0, exc.headers
    except MemoryError:  # building the answer for this request's size: the request's doing, not a fault
        if http is None:
            raise
        status, body, ndigits = 422, error_json(TOO_LARGE_TO_ANSWER), 0
    except Exception:  # our fault, not the client's: details to the log only
        if http is None:
            raise
        log_invocation("apigw", request, 0, started, "500", failed=True)
        return http_response(http, 500, error_json("internal error"))
    log_invocation("apigw", request, ndigits, started, str(status))
    try:
        return http_response(http, status, body, headers)
    except MemoryError:  # the response itself (up to 6 MB) did not fit: answer small instead
        del body
        return http_response(http, 422, error_json(TOO_LARGE_TO_ANSWER))
