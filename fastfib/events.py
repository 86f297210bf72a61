"""Event shapes: which kind of proxy event this is, and where its parts are.

``HttpEvent.parse`` recognises the four proxy shapes AWS sends to a Lambda
behind HTTP (API Gateway REST v1, HTTP API v2, ALB target groups, Function
URLs) and keeps each part as it came, undecoded: reading n and mod from the
body, query string and path is ``fastfib.decode``'s job.  Recognition never
fails on an event's content, only on an event that has no proxy shape at all.
"""

from __future__ import annotations

from fastfib.errors import InvalidInput

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any

REST_V1, HTTP_V2, ALB = "apigw-v1", "apigw-v2", "alb"

#: The keys every proxy shape carries; an event with neither is not one.
_MARKERS = ("httpMethod", "requestContext")


def _object(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


class HttpEvent:
    """A proxy event's parts, as sent (any JSON value; decode.py checks them).

    ``kind`` is REST_V1 (also HTTP API payload 1.0), HTTP_V2 (HTTP API 2.0
    and Function URLs) or ALB; ``multi_value`` is set for ALB target groups
    with multi-value headers, whose responses must use ``multiValueHeaders``.
    ``raw_query`` is HTTP API 2.0's rawQueryString, None for other kinds.
    """

    __slots__ = ("kind", "method", "multi_value", "body", "base64", "raw_query", "query", "multi_query", "path")

    def __init__(self, event: dict[str, Any], kind: str) -> None:
        context = _object(event.get("requestContext"))
        self.kind = kind
        self.method: Any = _object(context.get("http")).get("method") if kind == HTTP_V2 else event.get("httpMethod")
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
