"""Reading a request: n and mod from a raw event, or from a proxy event's body, query string and path.

Every fault in what a client sent becomes an InvalidInput (or, for a
method, MethodNotAllowed) whose message names the field and the rule and
echoes at most a short prefix of the value.  Whether a well-formed request
is served is decided in one place, ``fastfib.limits``.
"""

from __future__ import annotations

import json

from fastfib._args import describe, parse_decimal
from fastfib.errors import InvalidInput, MethodNotAllowed, shown
from fastfib.events import ALB

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any, Mapping, Optional

    from fastfib.events import HttpEvent

FIELDS = ("n", "mod")
ALLOWED_METHODS = ("GET", "POST")
#: A query string with more parameters than this is refused, before anything in it is decoded.
MAX_QUERY_FIELDS = 1000
#: The longest name that can URL-decode to a field ("%6D%6F%64" is "mod"); longer names are skipped undecoded.
_MAX_ENCODED_NAME = 3 * max(len(field) for field in FIELDS)
#: Python refuses to parse JSON integers longer than this (int's default max_str_digits), so a longer
#: n or mod in a raw event may come as a string of decimal digits instead.
JSON_INT_DIGITS = 4300


class FibRequest:
    """A decoded request: F(n), or F(n) mod ``mod`` when mod is set."""

    __slots__ = ("n", "mod")

    def __init__(self, n: int, mod: Optional[int] = None) -> None:
        self.n = n
        self.mod = mod

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FibRequest) and (self.n, self.mod) == (other.n, other.mod)

    def __repr__(self) -> str:
        return f"FibRequest(n={describe(self.n)}, mod={self.mod if self.mod is None else describe(self.mod)})"


def json_type(value: object) -> str:
    """How a JSON value is named in messages: 'null', 'a string', 'an array', ..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, LongInt)):
        return "an integer"
    if isinstance(value, float):
        return f"a non-integer number ({value!r})"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class LongInt:
    """An integer literal longer than JSON_INT_DIGITS, from JSON that fastfib decodes, kept as its text.

    Python's int() refuses it (the 4300-digit guard), and with the guard
    lifted it parses in quadratic time before 3.12.  Kept as text, an
    ignored one costs nothing, and a read one (n or mod) is parsed by GMP.
    """

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"LongInt(<{len(self.text)} characters>)"


def _parse_int(text: str) -> int | LongInt:
    # A plain function, not a type: json calls it for every integer, and a
    # 6 MB event can hold 3 million of them (a str subclass here took 1.7 s).
    if len(text) <= JSON_INT_DIGITS:
        try:
            return int(text)
        except ValueError:  # a lower int_max_str_digits set by the application
            pass
    return LongInt(text)


class RepeatedNames(dict):  # type: ignore[type-arg]
    """A JSON object in which some names appear more than once; as with json, the last value is kept."""

    __slots__ = ("repeated",)
    repeated: frozenset[str]


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    counts: dict[str, int] = {}
    for name, _ in pairs:
        counts[name] = counts.get(name, 0) + 1
    marked = RepeatedNames(obj)
    marked.repeated = frozenset(name for name, count in counts.items() if count > 1)
    return marked


def loads(text: str | bytes) -> Any:
    """Decode JSON the way fastfib reads events and bodies.

    Integers longer than JSON_INT_DIGITS become LongInt, and an object with a
    repeated name becomes a RepeatedNames.  Raises ValueError for text that
    is not JSON (or bytes that are not UTF-8/16/32) and RecursionError for
    JSON nested too deeply, as json.loads does.
    """
    return json.loads(text, parse_int=_parse_int, object_pairs_hook=_object)


def _check_once(obj: Mapping[str, Any], where: str) -> None:
    """n and mod may not be repeated: which value was meant is ambiguous, and JSON parsers disagree."""
    repeated = getattr(obj, "repeated", ())
    for field in FIELDS:
        if field in repeated:
            raise InvalidInput(f"{field} must appear once in the {where}")


def _json_int(value: object, field: str) -> int:
    """A JSON integer, strictly: no booleans, no floats (even 7.0), no strings.

    The one exception: an integer longer than JSON_INT_DIGITS, which Python's
    int() refuses, may also come as a string of decimal digits (for
    decoders other than fastfib's, which would refuse it as a number).
    """
    if isinstance(value, LongInt):
        return parse_decimal(value.text)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value.lstrip("-")) > JSON_INT_DIGITS:
        try:
            return parse_decimal(value)
        except ValueError:
            raise InvalidInput(
                f"{field} as a string must be decimal digits with an optional leading '-', got {shown(value)}"
            ) from None
    raise InvalidInput(f"{field} must be an integer, got {json_type(value)}")


# --- raw events -------------------------------------------------------------


def raw_request(event: object) -> FibRequest:
    """The request in a raw invocation event such as ``{"n": 7}`` or ``{"n": 10**100, "mod": 97}``."""
    if not isinstance(event, dict):
        raise InvalidInput(f'event must be a JSON object like {{"n": 7}}, got {json_type(event)}')
    _check_once(event, "event")
    if "n" not in event:
        raise InvalidInput('n is required: the event must be a JSON object like {"n": 7}')
    n = _json_int(event["n"], "n")
    mod = _json_int(event["mod"], "mod") if "mod" in event else None
    return FibRequest(n, mod)


# --- proxy events -------------------------------------------------------------


def http_request(event: HttpEvent) -> FibRequest:
    """The request in a proxy event: the method first, then n and mod, each from
    the first place that has it: JSON body, query string, path."""
    _check_method(event.method)
    body = _body_object(event)
    query = _query(event)
    path = _mapping(event.path, "pathParameters")
    found: dict[str, int] = {}
    for field in FIELDS:
        if field in body:
            found[field] = _json_int(body[field], field)
        elif field in query:
            values = query[field]
            if len(values) != 1:
                raise InvalidInput(f"{field} must appear once in the query string, got {len(values)} values")
            found[field] = _text_int(values[0], field, "query string")
        elif field in path:
            found[field] = _text_int(path[field], field, "path")
    if "n" not in found:
        raise InvalidInput('n is required: send a JSON body like {"n": 7}, a query string ?n=7, or a path /fib/7')
    return FibRequest(found["n"], found.get("mod"))


def _check_method(method: object) -> None:
    if not isinstance(method, str) or not method:
        raise InvalidInput(f"the HTTP method must be a non-empty string, got {json_type(method)}")
    if not (method.isascii() and method.upper() in ALLOWED_METHODS):  # "poſt".upper() is "POST"
        raise MethodNotAllowed(
            f"method {shown(method)} is not allowed: use GET or POST", {"Allow": ", ".join(ALLOWED_METHODS)}
        )


def _mapping(value: object, field: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"event field {field} must be an object or null, got {json_type(value)}")
    return value


def _body_object(event: HttpEvent) -> Mapping[str, Any]:
    body = event.body
    if body is None or body == "":
        return {}
    if not isinstance(body, str):
        raise InvalidInput(f"event field body must be a string or null, got {json_type(body)}")
    text: str | bytes = body[1:] if body.startswith("\ufeff") else body  # as json.loads(bytes) skips a BOM
    if event.base64:
        import base64  # here, not at import: most bodies are not base64

        try:
            text = base64.b64decode(body, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise InvalidInput("body is marked isBase64Encoded but is not valid base64") from None
    try:
        obj = loads(text)
    except RecursionError:
        raise InvalidInput("body nests arrays or objects too deeply") from None
    except ValueError:  # JSONDecodeError, or bytes that are not UTF-8/16/32
        raise InvalidInput('body must be valid JSON like {"n": 7}') from None
    if not isinstance(obj, dict):
        raise InvalidInput(f'body must be a JSON object like {{"n": 7}}, got {json_type(obj)}')
    _check_once(obj, "body")
    return obj


def _query(event: HttpEvent) -> dict[str, list[Any]]:
    """The values of n and mod in the query string, URL-decoded where the shape needs it.

    Only the names that could be n or mod, and their values, are decoded:
    a query string may hold up to MAX_QUERY_FIELDS parameters, and the
    others cost a count, not a decoding.
    """
    from urllib.parse import unquote, unquote_plus  # here, not at import: it costs ~2.5 ms of INIT

    found: dict[str, list[Any]] = {}
    if isinstance(event.raw_query, str):  # HTTP API 2.0: the raw text, percent- and plus-encoded
        if event.raw_query.count("&") >= MAX_QUERY_FIELDS:
            raise InvalidInput(f"the query string must have at most {MAX_QUERY_FIELDS} parameters")
        for pair in event.raw_query.split("&"):
            name, _, value = pair.partition("=")
            if len(name) <= _MAX_ENCODED_NAME:
                name = unquote_plus(name)
                if name in FIELDS:
                    found.setdefault(name, []).append(unquote_plus(value))
        return found
    if event.multi_query is not None:
        items = _mapping(event.multi_query, "multiValueQueryStringParameters")
        count = sum(len(v) if isinstance(v, list) else 1 for v in items.values())
    else:
        items = _mapping(event.query, "queryStringParameters")
        count = len(items)
    if count > MAX_QUERY_FIELDS:
        raise InvalidInput(f"the query string must have at most {MAX_QUERY_FIELDS} parameters")
    encoded = event.kind == ALB  # ALB passes query strings on without URL-decoding them
    for name, value in items.items():
        if encoded:
            if len(name) > _MAX_ENCODED_NAME:
                continue
            name = unquote(name)
        if name in FIELDS:
            values = value if event.multi_query is not None and isinstance(value, list) else [value]
            found.setdefault(name, []).extend(unquote(x) if encoded and isinstance(x, str) else x for x in values)
    return found


def _text_int(value: object, field: str, source: str) -> int:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} in the {source} must be a decimal integer, got {json_type(value)}")
    try:
        return parse_decimal(value)
    except ValueError:
        raise InvalidInput(
            f"{field} in the {source} must be a decimal integer (digits with an optional leading '-'), got {shown(value)}"
        ) from None
