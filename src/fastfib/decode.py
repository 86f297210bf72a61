"""Reading a request: n and mod from a raw event, or from a proxy event's body, query string and path.

Every fault in what a client sent becomes an InvalidInput (or, for a
method, MethodNotAllowed) whose message names the field and the rule and
echoes at most a short prefix of the value.  Whether a well-formed request
is served is decided in one place, ``fastfib.limits``.
"""

from __future__ import annotations

from fastfib._args import SHORT_DIGITS, Numeral, describe
from fastfib.errors import InvalidInput, MethodNotAllowed, shown
from fastfib.events import NAMES_READ
from fastfib.jsonrules import JSON_INT_DIGITS, LongInt, json_type, loads, repeated

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Any, Mapping

    from fastfib.events import HttpEvent

FIELDS = ("n", "mod")
#: The names whose repeats matter anywhere in an event (fastfib.runtime decodes events with them watched).
EVENT_NAMES = NAMES_READ | frozenset(FIELDS)
ALLOWED_METHODS = ("GET", "POST")
#: A query string with more parameters than this is refused, before anything in it is decoded.
MAX_QUERY_FIELDS = 1000
#: The longest name that can URL-decode to a field ("%6D%6F%64" is "mod"); longer names are skipped undecoded.
_MAX_ENCODED_NAME = 3 * max(len(field) for field in FIELDS)


class FibRequest:
    """A decoded request: F(n), or F(n) mod ``mod`` when mod is set.

    A long n or mod stays text (a Numeral) until ``Limits.admit`` has
    measured it and converts it; the request it returns holds ints.
    """

    __slots__ = ("n", "mod")

    def __init__(self, n: int | Numeral, mod: int | Numeral | None = None) -> None:
        self.n = n
        self.mod = mod

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and (self.n, self.mod) == (other.n, other.mod)

    def __repr__(self) -> str:
        mod = self.mod if self.mod is None else describe(self.mod)
        return f"{type(self).__name__}(n={describe(self.n)}, mod={mod})"


def _check_once(obj: object, where: str) -> None:
    """n and mod may not be repeated: which value was meant is ambiguous, and JSON parsers disagree."""
    name = repeated(obj, FIELDS)
    if name is not None:
        raise InvalidInput(f"{name} must appear once in the {where}")


def _number(numeral: Numeral) -> int | Numeral:
    """A short numeral as its int (int() takes microseconds); a long one stays text for ``Limits.admit`` to measure."""
    return numeral.value() if numeral.digits <= SHORT_DIGITS else numeral


def _json_int(value: object, field: str) -> int | Numeral:
    """A JSON integer, strictly: no booleans, no floats (even 7.0), no strings.

    The one exception: an integer longer than JSON_INT_DIGITS, which Python's
    int() refuses, may also come as a string of decimal digits (for
    decoders other than fastfib's, which would refuse it as a number).
    Long ones are returned unconverted (see _number).
    """
    if isinstance(value, LongInt):
        return _number(Numeral(value.text))
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value) - value.startswith("-") > JSON_INT_DIGITS:  # no copy of a long value
        try:
            return _number(Numeral(value))
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
    if event.repeated is not None:
        raise InvalidInput(f"event field {event.repeated} must appear once")
    _check_method(event.method)
    body = _body_object(event)
    query = _query(event)
    path = _mapping(event.path, "pathParameters")
    _check_once(path, "path")
    for field, values in query.items():  # ambiguous even where the body gives the field
        if len(values) != 1:
            raise InvalidInput(f"{field} must appear once in the query string, got {len(values)} values")
    found: dict[str, int | Numeral] = {}
    for field in FIELDS:
        if field in body:
            found[field] = _json_int(body[field], field)
        elif field in query:
            found[field] = _text_int(query[field][0], field, "query string")
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
        obj = loads(text, frozenset(FIELDS))
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
    a query string may hold up to MAX_QUERY_FIELDS parameters (a name with
    no value counts too), and the others cost a count, not a decoding.
    """
    if isinstance(event.raw_query, str):  # HTTP API 2.0: the raw text, percent- and plus-encoded
        return _raw_query(event.raw_query)
    if event.multi_query is not None:
        items = _mapping(event.multi_query, "multiValueQueryStringParameters")
        count = sum(max(1, len(v)) if isinstance(v, list) else 1 for v in items.values())
    else:
        items = _mapping(event.query, "queryStringParameters")
        count = len(items)
    if count > MAX_QUERY_FIELDS:
        raise InvalidInput(f"the query string must have at most {MAX_QUERY_FIELDS} parameters")
    _check_once(items, "query string")
    found: dict[str, list[Any]] = {}
    for name, value in items.items():
        if event.query_encoded:
            if len(name) > _MAX_ENCODED_NAME:
                continue
            name = _unquote(name)
        if name in FIELDS:
            values = value if event.multi_query is not None and isinstance(value, list) else [value]
            if event.query_encoded:
                values = [_unquote_number(x) if isinstance(x, str) else x for x in values]
            found.setdefault(name, []).extend(values)
    return found


def _raw_query(text: str) -> dict[str, list[str]]:
    """n and mod from a raw query string (percent- and plus-encoded), after counting its parameters."""
    from urllib.parse import unquote_plus  # here, not at import: it costs ~2.5 ms of INIT

    if text.count("&") >= MAX_QUERY_FIELDS:
        raise InvalidInput(f"the query string must have at most {MAX_QUERY_FIELDS} parameters")
    found: dict[str, list[str]] = {}
    for pair in text.split("&"):
        name, _, value = pair.partition("=")
        if len(name) <= _MAX_ENCODED_NAME:
            name = unquote_plus(name)
            if name in FIELDS:
                found.setdefault(name, []).append(_unquote_number(value))
    return found


def _unquote(name: str) -> str:
    from urllib.parse import unquote  # here, not at import: it costs ~2.5 ms of INIT

    return unquote(name)


#: The only escapes that can decode to part of a decimal integer: %30 to %39 and %2D.
_NUMBER_ESCAPES = [("%2D", "-"), ("%2d", "-")] + [(f"%3{d}", d) for d in "0123456789"]


def _unquote_number(text: str) -> str:
    """An n or mod value from a query string, URL-decoded if that can give a decimal integer.

    Anything else comes back as it was, for _text_int to refuse with the
    text the client sent.  urllib's decoder loops in Python over each '%',
    so a 6 MB value of '%' held the runtime for seconds; this costs a
    regular-expression search and twelve str.replace calls, all in C.
    """
    if "%" not in text:
        return text
    import re  # loaded already by urllib.parse

    if re.search("%(?!3[0-9]|2[dD])", text):  # an escape of anything but a digit or '-'
        return text
    # Every '%' now starts one of _NUMBER_ESCAPES, and no escape overlaps
    # another, so replacing them one kind at a time decodes them exactly.
    for escape, char in _NUMBER_ESCAPES:
        text = text.replace(escape, char)
    return text


def _text_int(value: object, field: str, source: str) -> int | Numeral:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} in the {source} must be a decimal integer, got {json_type(value)}")
    try:
        return _number(Numeral(value))
    except ValueError:
        raise InvalidInput(
            f"{field} in the {source} must be a decimal integer (digits with an optional leading '-'), got {shown(value)}"
        ) from None
