"""Event shapes: which kind of proxy event this is, and where its parts are.

``HttpEvent.parse`` recognises the four proxy shapes AWS sends to a Lambda
behind HTTP (API Gateway REST v1, HTTP API v2, ALB target groups, Function
URLs) and keeps each part as it came, undecoded: reading n and mod from the
body, query string and path is ``fastfib.decode``'s job.  Recognition never
fails on an event's content, only on an event that has no proxy shape at all.
"""

from __future__ import annotations

from fastfib.errors import InvalidInput
from fastfib.jsonrules import repeated

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any

REST_V1, HTTP_V2, ALB = "apigw-v1", "apigw-v2", "alb"

#: The keys every proxy shape carries; an event with neither is not one.
_MARKERS = ("httpMethod", "requestContext")
#: The names read from the event, from its requestContext, and from requestContext.http.
_PARTS = ("httpMethod", "requestContext", "version", "multiValueHeaders", "body", "isBase64Encoded",
          "rawQueryString", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters")  # fmt: skip
_CONTEXT_PARTS = ("http", "elb")
_HTTP_PARTS = ("method",)
#: Every name read from an event's objects here: fastfib.jsonrules.loads watches them for repeats.
NAMES_READ = frozenset(_PARTS + _CONTEXT_PARTS + _HTTP_PARTS)


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class HttpEvent:
    """A proxy event's parts, as sent (any JSON value; decode.py checks them).

    ``kind`` is REST_V1 (also HTTP API payload 1.0), HTTP_V2 (HTTP API 2.0
    and Function URLs) or ALB; ``multi_value`` is set for ALB target groups
    with multi-value headers, whose responses must use ``multiValueHeaders``.
    ``raw_query`` is HTTP API 2.0's rawQueryString, None for other kinds.
    ``repeated`` names a part given more than once (only hand-written events
    can; see fastfib.jsonrules), else None.
    """

    __slots__ = ("kind", "method", "multi_value", "body", "base64", "raw_query", "query", "multi_query", "path", "repeated")

    def __init__(self, event: dict[str, Any], kind: str) -> None:
        context = _object(event.get("requestContext"))
        http = _object(context.get("http"))
        self.repeated = repeated(event, _PARTS) or repeated(context, _CONTEXT_PARTS) or repeated(http, _HTTP_PARTS)
        self.kind = kind
        self.method: Any = http.get("method") if kind == HTTP_V2 else event.get("httpMethod")
        self.multi_value = kind == ALB and "multiValueHeaders" in event
        self.body: Any = event.get("body")
        self.base64 = event.get("isBase64Encoded") is True
        self.raw_query: Any = event.get("rawQueryString") if kind == HTTP_V2 else None
        self.query: Any = event.get("queryStringParameters")
        self.multi_query: Any = event.get("multiValueQueryStringParameters")
        self.path: Any = event.get("pathParameters")

    @staticmethod
    def parse(event: object) -> HttpEvent:
        """Recognise the proxy shape of ``event``; InvalidInput only if it has none."""
        if not isinstance(event, dict) or not any(key in event for key in _MARKERS):
            raise InvalidInput(
                "event is not an API Gateway, ALB or Function URL proxy event: it has neither httpMethod nor requestContext"
            )
        context = _object(event.get("requestContext"))
        if "elb" in context:
            kind = ALB
        elif event.get("version") == "2.0" or isinstance(context.get("http"), dict):
            kind = HTTP_V2
        else:
            kind = REST_V1
        return HttpEvent(event, kind)
