"""Event parsing: every event shape is normalised here, and nowhere else.

``FibRequest`` is what both handlers compute.  ``raw_request`` reads a plain
``{"n": 7, "mod": 5}`` event; ``HttpEvent`` is a small typed view over the
four proxy shapes AWS sends to a Lambda behind HTTP (API Gateway REST v1,
HTTP API v2, ALB target groups, Function URLs), and ``http_request`` reads
n and mod from its body, query string or path.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote

from fastfib._args import describe, parse_decimal
from fastfib.errors import InvalidInput

if TYPE_CHECKING:  # typing, dataclasses and friends stay out of the cold start
    from typing import Any, Mapping, Optional

FIELDS = ("n", "mod")


class FibRequest:
    """A validated request: F(n), or F(n) mod ``mod`` when mod is set (mod >= 1)."""

    __slots__ = ("n", "mod")

    def __init__(self, n: int, mod: Optional[int] = None) -> None:
        self.n = n
        self.mod = mod

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FibRequest) and (self.n, self.mod) == (other.n, other.mod)

    def __repr__(self) -> str:
        return f"FibRequest(n={describe(self.n)}, mod={self.mod if self.mod is None else describe(self.mod)})"


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return f"a non-integer number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _json_int(value: object, field: str) -> int:
    """A JSON integer, strictly: no booleans, no floats (even 7.0), no strings."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise InvalidInput(f"{field} must be an integer, got {_json_type(value)}")


def _checked(n: int, mod: Optional[int]) -> FibRequest:
    if mod is not None and mod < 1:
        raise InvalidInput(f"mod must be an integer >= 1, got {describe(mod)}")
    return FibRequest(n, mod)


def request_from_object(obj: Mapping[str, Any], where: str = "event") -> FibRequest:
    """Read n (required) and mod (optional) from a decoded JSON object."""
    if "n" not in obj:
        raise InvalidInput(f'n is required: the {where} must be a JSON object like {{"n": 7}}')
    n = _json_int(obj["n"], "n")
    mod = _json_int(obj["mod"], "mod") if "mod" in obj else None
    return _checked(n, mod)


def raw_request(event: object) -> FibRequest:
    """The request in a raw invocation event such as ``{"n": 7}`` or ``{"n": 10**100, "mod": 97}``."""
    if not isinstance(event, dict):
        raise InvalidInput(f'event must be a JSON object like {{"n": 7}}, got {_json_type(event)}')
    return request_from_object(event)


# --- HTTP proxy events ------------------------------------------------------

REST_V1, HTTP_V2, ALB = "apigw-v1", "apigw-v2", "alb"


def _mapping(event: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = event.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"event field {key} must be an object or null, got {_json_type(value)}")
    return value


class HttpEvent:
    """A proxy event, normalised.

    ``kind`` is REST_V1 (also HTTP API payload 1.0), HTTP_V2 (HTTP API 2.0
    and Function URLs) or ALB; ``multi_value`` is set for ALB target groups
    with multi-value headers, whose responses must use ``multiValueHeaders``.
    """

    __slots__ = ("kind", "method", "multi_value", "body", "query", "path")

    def __init__(
        self,
        kind: str,
        method: str,
        multi_value: bool,
        body: Optional[bytes],
        query: Mapping[str, list[str]],
        path: Mapping[str, str],
    ) -> None:
        self.kind = kind
        self.method = method
        self.multi_value = multi_value
        self.body = body
        self.query = query
        self.path = path

    @staticmethod
    def parse(event: object) -> HttpEvent:
        """Recognise the proxy shape of ``event``; InvalidInput if it is none of them."""
        if not isinstance(event, dict):
            raise InvalidInput(f"event must be an API Gateway, ALB or Function URL proxy event object, got {_json_type(event)}")
        context = _mapping(event, "requestContext")
        if event.get("version") == "2.0":
            kind = HTTP_V2
            method = _mapping(context, "http").get("method")
        else:
            kind = ALB if "elb" in context else REST_V1
            method = event.get("httpMethod")
        if not isinstance(method, str) or not method:
            raise InvalidInput(
                "event is not an API Gateway, ALB or Function URL proxy event: "
                "no HTTP method in httpMethod or requestContext.http.method"
            )
        multi_value = kind == ALB and "multiValueHeaders" in event
        return HttpEvent(kind, method.upper(), multi_value, _body(event), _query(event, kind), _path(event))


def _body(event: Mapping[str, Any]) -> Optional[bytes]:
    body = event.get("body")
    if body is None or body == "":
        return None
    if not isinstance(body, str):
        raise InvalidInput(f"event field body must be a string or null, got {_json_type(body)}")
    if event.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidInput("body is marked isBase64Encoded but is not valid base64") from None
    return body.encode("utf-8", "surrogatepass")


def _query(event: Mapping[str, Any], kind: str) -> Mapping[str, list[str]]:
    raw = event.get("rawQueryString")
    if kind == HTTP_V2 and isinstance(raw, str):
        return parse_qs(raw, keep_blank_values=True)
    multi = event.get("multiValueQueryStringParameters")
    if multi is not None:
        values = {k: v if isinstance(v, list) else [v] for k, v in _mapping(event, "multiValueQueryStringParameters").items()}
    else:
        values = {k: [v] for k, v in _mapping(event, "queryStringParameters").items()}
    if kind == ALB:  # ALB passes query strings on without URL-decoding them
        values = {unquote(k): [unquote(x) if isinstance(x, str) else x for x in v] for k, v in values.items()}
    return values


def _path(event: Mapping[str, Any]) -> Mapping[str, str]:
    return _mapping(event, "pathParameters")


def _text_int(value: object, field: str, source: str) -> int:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} in the {source} must be a decimal integer, got {_json_type(value)}")
    try:
        return parse_decimal(value)
    except ValueError:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidInput(
            f"{field} in the {source} must be a decimal integer (digits with an optional leading '-'), got {shown!r}"
        ) from None


def _body_object(body: bytes) -> Mapping[str, Any]:
    try:
        # parse_int via GMP: no 4300-digit limit, and no quadratic conversion.
        obj = json.loads(body, parse_int=parse_decimal)
    except (ValueError, RecursionError):
        raise InvalidInput('body must be valid JSON like {"n": 7}') from None
    if not isinstance(obj, dict):
        raise InvalidInput(f'body must be a JSON object like {{"n": 7}}, got {_json_type(obj)}')
    return obj


def http_request(event: HttpEvent) -> FibRequest:
    """Read n and mod, each from the first place that has it: JSON body, query string, path."""
    body = _body_object(event.body) if event.body is not None else {}
    found: dict[str, int] = {}
    for field in FIELDS:
        if field in body:
            found[field] = _json_int(body[field], field)
        elif field in event.query:
            values = event.query[field]
            if len(values) != 1:
                raise InvalidInput(f"{field} must appear once in the query string, got {len(values)} values")
            found[field] = _text_int(values[0], field, "query string")
        elif field in event.path:
            found[field] = _text_int(event.path[field], field, "path")
    if "n" not in found:
        raise InvalidInput('n is required: send a JSON body like {"n": 7}, a query string ?n=7, or a path /fib/7')
    return _checked(found["n"], found.get("mod"))
