"""Event shapes: which kind of proxy event this is, and where its parts are.

``HttpEvent.parse`` recognises the four proxy shapes AWS sends to a Lambda
behind HTTP (API Gateway REST v1, HTTP API v2, ALB target groups, Function
URLs) and keeps each part as it came, undecoded: reading n and mod from the
body, query string and path is ``fastfib.decode``'s job.  Recognition never
fails on an event's content, only on an event that has no proxy shape at all.
"""

from __future__ import annotations

from fastfib.errors import REASONS, InvalidInput
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

    ``HttpEvent.parse`` decides the kind once and returns the subclass that
    holds that kind's differences, so decoding and the response builder
    never branch on it (as Powertools for AWS Lambda's event classes do):
    ``query_encoded`` says whether query names and values arrive URL-encoded,
    ``raw_query`` is the raw query text where the shape sends one, and
    :meth:`response_head` gives the response's status and header fields.

    This base class is REST_V1 (API Gateway REST, and HTTP API payload 1.0).
    ``repeated`` names a part given more than once (only hand-written events
    can; see fastfib.jsonrules), else None.
    """

    kind = REST_V1
    #: Whether the query string's names and values arrive URL-encoded (only ALB passes them on so).
    query_encoded = False
    #: Whether responses carry multiValueHeaders (ALB target groups with multi-value headers on).
    multi_value = False

    __slots__ = ("method", "body", "base64", "raw_query", "query", "multi_query", "path", "repeated")

    def __init__(self, event: dict[str, Any]) -> None:
        context = _object(event.get("requestContext"))
        http = _object(context.get("http"))
        self.repeated = repeated(event, _PARTS) or repeated(context, _CONTEXT_PARTS) or repeated(http, _HTTP_PARTS)
        self.method: Any = event.get("httpMethod")
        self.body: Any = event.get("body")
        self.base64 = event.get("isBase64Encoded") is True
        self.raw_query: Any = None
        self.query: Any = event.get("queryStringParameters")
        self.multi_query: Any = event.get("multiValueQueryStringParameters")
        self.path: Any = event.get("pathParameters")

    def response_head(self, status: int, headers: dict[str, str]) -> dict[str, object]:
        """The response's fields before its body: the status code and the headers."""
        return {"statusCode": status, "headers": headers}

    @staticmethod
    def parse(event: object) -> HttpEvent:
        """Recognise the proxy shape of ``event``; InvalidInput only if it has none."""
        if not isinstance(event, dict) or not any(key in event for key in _MARKERS):
            raise InvalidInput(
                "event is not an API Gateway, ALB or Function URL proxy event: it has neither httpMethod nor requestContext"
            )
        context = _object(event.get("requestContext"))
        if "elb" in context:
            return AlbEvent(event)
        if event.get("version") == "2.0" or isinstance(context.get("http"), dict):
            return HttpV2Event(event)
        return HttpEvent(event)


class HttpV2Event(HttpEvent):
    """HTTP API payload 2.0 and Function URLs: the method in requestContext.http, the query as raw text."""

    kind = HTTP_V2
    __slots__ = ()

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__(event)
        self.method = _object(_object(event.get("requestContext")).get("http")).get("method")
        self.raw_query = event.get("rawQueryString")


class AlbEvent(HttpEvent):
    """ALB target groups: the query passed on URL-encoded; responses carry a status description,
    and multi-value headers where the target group has them on."""

    kind = ALB
    query_encoded = True
    __slots__ = ("multi_value",)

    def __init__(self, event: dict[str, Any]) -> None:
        super().__init__(event)
        self.multi_value = "multiValueHeaders" in event

    def response_head(self, status: int, headers: dict[str, str]) -> dict[str, object]:
        head: dict[str, object] = {"statusCode": status, "statusDescription": f"{status} {REASONS[status]}"}
        if self.multi_value:
            head["multiValueHeaders"] = {k: [v] for k, v in headers.items()}
        else:
            head["headers"] = headers
        return head
