"""Reading requests: raw events, the four HTTP proxy shapes, and their bodies, queries and paths."""

from __future__ import annotations

import base64
import json
import sys

import pytest

from fastfib._args import Numeral
from fastfib.decode import EVENT_NAMES, FibRequest, http_request, raw_request
from fastfib.errors import InvalidInput, MethodNotAllowed
from fastfib.events import ALB, HTTP_V2, REST_V1, HttpEvent
from fastfib.jsonrules import LongInt, RepeatedNames, json_type, loads, repeated


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"n": 7}, FibRequest(7)),
        ({"n": -8}, FibRequest(-8)),
        ({"n": 10**100, "mod": 97}, FibRequest(10**100, 97)),
        ({"n": 7, "other": "ignored"}, FibRequest(7)),
    ],
)
def test_raw_request(event: dict, expected: FibRequest) -> None:
    assert raw_request(event) == expected


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({}, r"^n is required"),
        ({"mod": 5}, r"^n is required"),
        ({"n": None}, r"^n must be an integer, got null$"),
        ({"n": True}, r"^n must be an integer, got a boolean$"),
        ({"n": 7.0}, r"^n must be an integer, got a non-integer number \(7.0\)$"),
        ({"n": "7"}, r"^n must be an integer, got a string$"),
        ({"n": [7]}, r"^n must be an integer, got an array$"),
        ({"n": {"v": 7}}, r"^n must be an integer, got an object$"),
        ({"n": 7, "mod": 2.5}, r"^mod must be an integer, got a non-integer"),
        ({"n": 7, "mod": None}, r"^mod must be an integer, got null$"),
        ([7], r"^event must be a JSON object"),
        ("7", r"^event must be a JSON object"),
        (7, r"^event must be a JSON object"),
        (None, r"^event must be a JSON object.*got null"),
    ],
)
def test_raw_request_rejects(event: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        raw_request(event)


def test_shapes_are_recognised(sample_event) -> None:
    kinds = {name: HttpEvent.parse(sample_event(name)) for name in ("apigw_v1", "apigw_v2", "alb", "function_url")}
    assert {k: v.kind for k, v in kinds.items()} == {
        "apigw_v1": REST_V1,
        "apigw_v2": HTTP_V2,
        "alb": ALB,
        "function_url": HTTP_V2,
    }
    assert kinds["apigw_v2"].method == "POST" and kinds["apigw_v1"].method == "GET"
    assert not any(v.multi_value for v in kinds.values())


def test_sources_in_order(sample_event) -> None:
    assert http_request(HttpEvent.parse(sample_event("apigw_v2"))) == FibRequest(13)  # body
    assert http_request(HttpEvent.parse(sample_event("apigw_v1"))) == FibRequest(13)  # path
    assert http_request(HttpEvent.parse(sample_event("alb"))) == FibRequest(13, 100)  # query
    assert http_request(HttpEvent.parse(sample_event("function_url"))) == FibRequest(13)  # raw query

    event = sample_event("apigw_v2")
    event["rawQueryString"] = "n=99&mod=7"
    event["pathParameters"] = {"n": "50"}
    assert http_request(HttpEvent.parse(event)) == FibRequest(13, 7)  # n from body, mod from query
    event["body"] = None
    assert http_request(HttpEvent.parse(event)) == FibRequest(99, 7)  # query before path
    event["rawQueryString"] = ""
    assert http_request(HttpEvent.parse(event)) == FibRequest(50)


def test_base64_body(sample_event) -> None:
    event = sample_event("apigw_v2")
    event["body"] = base64.b64encode(b'{"n": 20, "mod": 9}').decode()
    event["isBase64Encoded"] = True
    assert http_request(HttpEvent.parse(event)) == FibRequest(20, 9)
    for bad in ("not base64!", "eyJuIjogMjB9Cg", "eyJu\nIjogMjB9Cg==", "ëyJuIjogMjB9"):  # bad char, no padding, MIME break
        event["body"] = bad
        http = HttpEvent.parse(event)  # recognising the shape never decodes
        with pytest.raises(InvalidInput, match="isBase64Encoded but is not valid base64"):
            http_request(http)


def test_alb_query_is_url_decoded(sample_event) -> None:
    event = sample_event("alb")
    event["queryStringParameters"] = {"n": "%2D8"}
    assert http_request(HttpEvent.parse(event)) == FibRequest(-8)


def test_alb_multi_value(sample_event) -> None:
    event = sample_event("alb")
    del event["queryStringParameters"], event["headers"]
    event["multiValueHeaders"] = {"accept": ["*/*"]}
    event["multiValueQueryStringParameters"] = {"n": ["21"]}
    http = HttpEvent.parse(event)
    assert http.multi_value
    assert http_request(http) == FibRequest(21)
    event["multiValueQueryStringParameters"] = {"n": ["21", "22"]}
    with pytest.raises(InvalidInput, match="n must appear once in the query string"):
        http_request(HttpEvent.parse(event))


def _long(request: FibRequest) -> tuple[str, int | None]:
    """A request whose n is long: its n stays text until admitted (Limits.admit measures it first)."""
    assert isinstance(request.n, Numeral), request
    assert request.mod is None or isinstance(request.mod, int)
    return request.n.text, request.mod


def test_query_values_on_big_n(sample_event) -> None:
    event = sample_event("function_url")
    big = "9" * 10_000  # past CPython's 4300-digit int(str) limit
    event["rawQueryString"] = f"n={big}&mod=1000"
    assert _long(http_request(HttpEvent.parse(event))) == (big, 1000)


@pytest.mark.parametrize("text", ["+7", " 7", "7 ", "1e3", "7.0", "0x10", "1_000", "", "-", "seven", "٣"])
def test_query_and_path_values_are_strict_decimals(sample_event, text: str) -> None:
    event = sample_event("apigw_v1")
    event["pathParameters"] = {"n": text}
    with pytest.raises(InvalidInput, match=r"^n in the path must be a decimal integer"):
        http_request(HttpEvent.parse(event))
    event = sample_event("alb")
    event["queryStringParameters"] = {"n": "7", "mod": text}
    with pytest.raises(InvalidInput, match=r"^mod in the query string must be a decimal integer"):
        http_request(HttpEvent.parse(event))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{", r"^body must be valid JSON"),
        ("[13]", r"^body must be a JSON object.*got an array"),
        ('{"n": "13"}', r"^n must be an integer, got a string"),
        ('{"n": 13.0}', r"^n must be an integer, got a non-integer"),
        ('{"n": NaN}', r"^body must be valid JSON"),  # NaN and Infinity are not JSON (awslambdaric refuses them too)
        ('{"n": 7, "x": -Infinity}', r"^body must be valid JSON"),
        ("[" * 100_000, r"^body nests arrays or objects too deeply"),
        ('{"n": 7, "x": ' + "[" * 50_000 + "]" * 50_000 + "}", r"^body nests arrays or objects too deeply"),
        (b"\xff\xfe{".decode("latin-1"), r"^body must be valid JSON"),
        ("{}", r"^n is required"),
    ],
)
def test_bad_bodies(sample_event, body: str, message: str) -> None:
    event = sample_event("apigw_v2")
    event["body"] = body
    with pytest.raises(InvalidInput, match=message):
        http_request(HttpEvent.parse(event))


@pytest.mark.parametrize("event", [[], "x", 3, None, {}, {"n": 7}, {"version": "2.0", "body": "{}"}])
def test_not_a_proxy_event(event: object) -> None:
    with pytest.raises(InvalidInput, match=r"not an API Gateway, ALB or Function URL proxy event"):
        HttpEvent.parse(event)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"httpMethod": 5}, r"^the HTTP method must be a non-empty string, got an integer$"),
        ({"httpMethod": ""}, r"^the HTTP method must be a non-empty string"),
        ({"version": "2.0", "requestContext": {"http": {}}}, r"^the HTTP method must be a non-empty string, got null"),
        ({"requestContext": []}, r"^the HTTP method must be a non-empty string, got null"),
        ({"httpMethod": "GET", "pathParameters": []}, r"^event field pathParameters must be an object or null"),
        ({"httpMethod": "GET", "queryStringParameters": "n=7"}, r"^event field queryStringParameters must be an object"),
        ({"httpMethod": "GET", "body": {"n": 7}}, r"^event field body must be a string or null, got an object"),
        ({"httpMethod": "GET", "pathParameters": {"n": 7}}, r"^n in the path must be a decimal integer, got an integer$"),
    ],
)
def test_a_proxy_event_with_bad_parts_is_recognised_then_refused(event: dict, message: str) -> None:
    http = HttpEvent.parse(event)
    with pytest.raises(InvalidInput, match=message):
        http_request(http)


def test_method_is_checked_first_and_echoed_short(sample_event) -> None:
    event = sample_event("apigw_v1")
    event["httpMethod"] = "HEAD"
    event["body"], event["isBase64Encoded"] = "###", True
    with pytest.raises(MethodNotAllowed, match=r"^method 'HEAD' is not allowed") as caught:
        http_request(HttpEvent.parse(event))
    assert caught.value.status == 405 and caught.value.headers == {"Allow": "GET, POST"}
    for method in ('"' * 100_000, "\u00e9" * 100_000, "\U0001f600" * 100_000):
        event["httpMethod"] = method
        with pytest.raises(MethodNotAllowed) as caught:
            http_request(HttpEvent.parse(event))
        message = str(caught.value)
        assert message.isascii() and len(message) < 200


def test_ignored_body_integers_are_never_converted(sample_event, monkeypatch: pytest.MonkeyPatch) -> None:
    converted: list[int] = []
    real = Numeral.value
    monkeypatch.setattr(Numeral, "value", lambda self: converted.append(self.digits) or real(self))
    event = sample_event("apigw_v2")
    event["body"] = '{"x": %s, "y": [%s], "n": 12}' % ("9" * 100_000, "1" * 100_000)
    assert http_request(HttpEvent.parse(event)) == FibRequest(12)
    assert converted == []  # 12 is short enough for int(); the long ones stay text
    event["body"] = '{"x": %s, "n": 1%s}' % ("9" * 100_000, "0" * 5000)
    request = http_request(HttpEvent.parse(event))
    assert _long(request) == ("1" + "0" * 5000, None)
    assert converted == []  # not even the field that is read: Limits.admit converts it
    assert isinstance(request.n, Numeral) and request.n.value() == 10**5000


def test_only_n_and_mod_are_url_decoded(sample_event, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.parse

    decoded: list[str] = []
    for name in ("unquote", "unquote_plus"):
        real = getattr(urllib.parse, name)
        monkeypatch.setattr(urllib.parse, name, lambda text, *a, _real=real, **kw: decoded.append(text) or _real(text, *a, **kw))
    event = sample_event("alb")
    event["queryStringParameters"] = {"%6E": "%2D8", "x" * 20: "%" * 10_000, "other": "%41"}
    assert http_request(HttpEvent.parse(event)) == FibRequest(-8)
    assert "%" * 10_000 not in decoded and "%41" not in decoded and "x" * 20 not in decoded
    decoded.clear()
    event = sample_event("function_url")
    event["rawQueryString"] = "y=" + "%" * 10_000 + "&%6Eo=1&n=%2D8&" + "z" * 50 + "=%41"
    assert http_request(HttpEvent.parse(event)) == FibRequest(-8)
    assert not any("%" * 100 in text or "%41" in text for text in decoded)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rawQueryString", "&".join(["x=1"] * 1000) + "&n=7"),
        ("queryStringParameters", {**{f"k{i}": "1" for i in range(1000)}, "n": "7"}),
        ("multiValueQueryStringParameters", {"x": ["1"] * 1000, "n": ["7"]}),
    ],
)
def test_query_strings_are_capped_before_decoding(sample_event, field: str, value: object) -> None:
    event = sample_event("function_url" if field == "rawQueryString" else "alb")
    event[field] = value
    with pytest.raises(InvalidInput, match="^the query string must have at most 1000 parameters$"):
        http_request(HttpEvent.parse(event))


@pytest.mark.parametrize("method", ["poſt", "ǵet", "GET\u0130"])
def test_methods_are_compared_in_ascii(sample_event, method: str) -> None:
    event = sample_event("apigw_v1")
    event["httpMethod"] = method
    with pytest.raises(MethodNotAllowed):
        http_request(HttpEvent.parse(event))


def test_text_body_may_start_with_a_bom(sample_event) -> None:
    event = sample_event("apigw_v2")
    event["body"] = "\ufeff" + '{"n": 9}'
    assert http_request(HttpEvent.parse(event)) == FibRequest(9)


def test_integers_past_the_json_digit_limit_may_be_decimal_strings() -> None:
    text = "1" + "0" * 5000
    assert _long(raw_request({"n": text, "mod": 97})) == (text, 97)
    assert _long(raw_request({"n": "-" + text})) == ("-" + text, None)
    with pytest.raises(InvalidInput, match="^n must be an integer, got a string$"):
        raw_request({"n": "9" * 4300})  # short enough to be a JSON number: must be one
    with pytest.raises(InvalidInput, match=r"^mod as a string must be decimal digits .*, got '1111.*'...$"):
        raw_request({"n": 7, "mod": "1" * 4400 + "x"})


# --- fastfib's JSON rules (jsonrules.loads), for bodies and, through fastfib.runtime, events ---


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"x": -Infinity}'])
def test_loads_refuses_what_is_not_json(text: str) -> None:
    with pytest.raises(ValueError, match="is not JSON"):
        loads(text)


def test_a_lowered_int_digit_limit_still_reads_long_fields(sample_event) -> None:
    # With PYTHONINTMAXSTRDIGITS=1000, a 2000-digit n is a LongInt, and must
    # still be parsed (by GMP), not fail in int().
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(1000)
    try:
        text = "1" + "0" * 1999
        assert raw_request(loads('{"n": %s, "mod": 97}' % text)) == FibRequest(10**1999, 97)
        event = sample_event("function_url")
        event["rawQueryString"] = f"n={text}&mod=97"
        assert http_request(HttpEvent.parse(event)) == FibRequest(10**1999, 97)
    finally:
        sys.set_int_max_str_digits(old)


def test_loads_keeps_long_integers_as_text_and_short_ones_as_ints() -> None:
    short, long_ = "9" * 4300, "-" + "9" * 4300
    value = loads('{"a": %s, "b": %s, "c": [1, -0, 2.5]}' % (short, long_))
    assert value["a"] == 10**4300 - 1 and type(value["a"]) is int
    assert isinstance(value["b"], LongInt) and value["b"].text == long_
    assert value["c"] == [1, 0, 2.5]
    assert json_type(value["b"]) == "an integer"
    assert _long(raw_request(loads('{"n": 1%s, "mod": 97}' % ("0" * 5000)))) == ("1" + "0" * 5000, 97)
    assert raw_request(loads('{"n": 7, "ignored": %s}' % ("9" * 100_000))) == FibRequest(7)


def test_loads_notes_repeated_watched_names_at_any_depth() -> None:
    text = '{"n": 7, "x": {"a": 1, "b": 0, "a": 2, "n": 1, "n": 2}, "y": {"c": 1, "c": 2}, "n": 8}'
    value = loads(text, frozenset({"n", "a", "mod"}))
    assert isinstance(value, RepeatedNames) and value["n"] == 8  # the last value, as json.loads
    assert repeated(value, ("mod", "n")) == "n" and repeated(value, ("x",)) is None
    assert isinstance(value["x"], RepeatedNames) and repeated(value["x"], ("n", "a")) == "a"
    assert type(value["y"]) is dict  # "c" is not watched
    assert type(loads(text)) is dict and repeated({"n": 7}, ("n",)) is None
    assert loads(text) == json.loads(text)


@pytest.mark.parametrize("text", ['{"n": 7, "n": 8}', '{"n": 7, "mod": 5, "mod": 5}', '{"n": 7, "n": 7}'])
def test_a_repeated_n_or_mod_is_refused_in_events_and_bodies(sample_event, text: str) -> None:
    field = "mod" if '"mod": 5, "mod"' in text else "n"
    with pytest.raises(InvalidInput, match=f"^{field} must appear once in the event$"):
        raw_request(loads(text, EVENT_NAMES))
    event = sample_event("apigw_v2")
    event["body"] = text
    with pytest.raises(InvalidInput, match=f"^{field} must appear once in the body$"):
        http_request(HttpEvent.parse(event))
    # A repeated name that is not read is no fault.
    assert raw_request(loads('{"n": 7, "x": 1, "x": 2}', EVENT_NAMES)) == FibRequest(7)


def test_long_integers_elsewhere_in_a_proxy_event_are_integers_not_strings(sample_event) -> None:
    event = sample_event("apigw_v1")
    text = json.dumps(event).replace('"GET"', "1" + "0" * 5000).replace('"body": null', '"body": %s' % ("2" * 5000))
    http = HttpEvent.parse(loads(text))
    with pytest.raises(InvalidInput, match="^the HTTP method must be a non-empty string, got an integer$"):
        http_request(http)


@pytest.mark.parametrize(
    ("shape", "part", "where"),
    [
        ("apigw_v1", '"queryStringParameters": {"n": "7", "n": "8"}', "query string"),
        ("alb", '"multiValueQueryStringParameters": {"n": ["7"], "n": ["8"]}, "multiValueHeaders": {}', "query string"),
        ("apigw_v1", '"pathParameters": {"n": "7", "n": "8"}', "path"),
        ("apigw_v1", '"pathParameters": {"n": "7", "mod": "5", "mod": "6"}', "path"),
    ],
)
def test_a_repeated_n_or_mod_in_query_or_path_objects_is_refused(sample_event, shape: str, part: str, where: str) -> None:
    event = sample_event(shape)
    for key in ("queryStringParameters", "multiValueQueryStringParameters", "pathParameters", "body", "headers"):
        event.pop(key, None)
    text = json.dumps(event)[:-1] + ", " + part + "}"
    field = "mod" if '"mod": "5", "mod"' in part else "n"
    with pytest.raises(InvalidInput, match=f"^{field} must appear once in the {where}$"):
        http_request(HttpEvent.parse(loads(text, EVENT_NAMES)))


@pytest.mark.parametrize(
    ("shape", "part"),
    [("apigw_v1", '"body": "{\\"n\\": 7}"'), ("apigw_v1", '"httpMethod": "POST"'), ("apigw_v2", '"rawQueryString": "n=8"'),
     ("alb", '"queryStringParameters": {"n": "8"}')],
)
def test_a_repeated_part_of_a_proxy_event_is_refused(sample_event, shape: str, part: str) -> None:
    event = sample_event(shape)
    name = part.split('"')[1]
    text = json.dumps(event)[:-1] + ", " + part + "}"  # the part again, last
    with pytest.raises(InvalidInput, match=f"^event field {name} must appear once$"):
        http_request(HttpEvent.parse(loads(text, EVENT_NAMES)))
    text = json.dumps(event).replace('"http": {', '"http": {"method": "GET", ', 1)
    if shape == "apigw_v2":
        with pytest.raises(InvalidInput, match="^event field method must appear once$"):
            http_request(HttpEvent.parse(loads(text, EVENT_NAMES)))


@pytest.mark.parametrize(
    ("value", "expected"),
    [("%37", 7), ("%2D%38", -8), ("%2d8", -8), ("1%30", 10), ("-%31%32%33", -123), ("42", 42)],
)
def test_escaped_digits_in_an_alb_or_raw_query_value_are_decoded(sample_event, value: str, expected: int) -> None:
    event = sample_event("alb")
    event["queryStringParameters"] = {"n": value}
    assert http_request(HttpEvent.parse(event)) == FibRequest(expected)
    event = sample_event("function_url")
    event["rawQueryString"] = f"n={value}"
    assert http_request(HttpEvent.parse(event)) == FibRequest(expected)


@pytest.mark.parametrize("value", ["%%335", "%3", "%", "7%", "%41", "%2B7", "%37%", "%3%37", "+7", "%207", "%E2%80%8B7"])
def test_other_escapes_in_a_query_value_are_refused_as_sent(sample_event, value: str) -> None:
    # Only %30-%39 and %2D can be part of a decimal integer; anything else is
    # refused without decoding, and the message shows the text as sent.
    event = sample_event("function_url")
    event["rawQueryString"] = f"n={value}"
    with pytest.raises(InvalidInput, match="^n in the query string must be a decimal integer") as caught:
        http_request(HttpEvent.parse(event))
    assert repr(value)[1:-1] in str(caught.value)


@pytest.mark.parametrize("shape", ["function_url", "alb"])
def test_a_repeated_query_field_is_refused_even_where_the_body_gives_it(sample_event, shape: str) -> None:
    event = sample_event(shape)
    event["body"] = '{"n": 9}'
    if shape == "alb":
        event.pop("queryStringParameters", None)
        event["multiValueHeaders"] = {}
        event["multiValueQueryStringParameters"] = {"n": ["7", "8"]}
    else:
        event["rawQueryString"] = "n=7&n=8"
    with pytest.raises(InvalidInput, match="^n must appear once in the query string, got 2 values$"):
        http_request(HttpEvent.parse(event))


def test_names_with_no_values_count_as_query_parameters(sample_event) -> None:
    event = sample_event("alb")
    event.pop("queryStringParameters", None)
    event["multiValueHeaders"] = {}
    event["multiValueQueryStringParameters"] = {**{f"%{i:04X}": [] for i in range(1000)}, "n": ["7"]}
    with pytest.raises(InvalidInput, match="^the query string must have at most 1000 parameters$"):
        http_request(HttpEvent.parse(event))
    event["multiValueQueryStringParameters"] = {**{f"%{i:04X}": [] for i in range(999)}, "n": ["7"]}
    assert http_request(HttpEvent.parse(event)) == FibRequest(7)
