"""The Lambda handlers, called directly: every input rule, every event shape."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastfib
from fastfib import handlers
from fastfib.handlers import InputTooLarge, InvalidInput, apigw, raw
from fastfib.limits import DEFAULT_MAX_N, RESPONSE_LIMIT_BYTES, max_n_from_env

SHAPES = ["apigw_v1", "apigw_v2", "alb", "function_url"]


def _decode(response: bytes) -> tuple[dict, object]:
    outer = json.loads(response)
    return outer, json.loads(outer["body"], parse_int=gmpy2.mpz)  # results may pass 4300 digits


# --- raw -----------------------------------------------------------------


def test_raw_seed_examples() -> None:
    assert raw({"n": 7}, None) == b'{"result":13}'
    assert raw({"n": 94}, None) == b'{"result":19740274219868223167}'  # the Go original overflowed here
    assert raw({"n": -8}, None) == b'{"result":-21}'
    assert raw({"n": 0}, None) == b'{"result":0}'


def test_raw_mod_with_huge_n() -> None:
    n = 10**1000
    assert raw({"n": n, "mod": 10}, None) == b'{"result":5}'  # Pisano period 60: F(10**1000 % 60) = F(40)
    assert raw({"n": -n, "mod": 1000}, None) == b'{"result":%d}' % ((-gmpy2.fib(n % 1500)) % 1000)


def test_raw_result_is_exact_beyond_str_limit() -> None:
    body = raw({"n": 100_000}, None)
    assert body == b'{"result":' + gmpy2.digits(gmpy2.fib(100_000)).encode() + b"}"


@pytest.mark.parametrize("event", [{}, {"n": None}, {"n": True}, {"n": 7.0}, {"n": "7"}, [1], "x", {"n": 7, "mod": 0}])
def test_raw_invalid_input(event: object) -> None:
    with pytest.raises(InvalidInput):
        raw(event, None)


def test_raw_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "MAX_N", 1000)
    assert raw({"n": -1000}, None) == b'{"result":' + gmpy2.digits(-gmpy2.fib(1000)).encode() + b"}"
    with pytest.raises(InputTooLarge, match=r"\|n\| must be at most 1000 \(FASTFIB_MAX_N\)"):
        raw({"n": 1001}, None)
    with pytest.raises(InputTooLarge):
        raw({"n": -(10**4000)}, None)
    assert raw({"n": 10**4000, "mod": 7}, None).startswith(b'{"result":')  # no limit with mod


def test_mod_size_limit(sample_event) -> None:
    largest = 2**256 - 1
    assert raw({"n": 10**100, "mod": largest}, None).startswith(b'{"result":')
    with pytest.raises(InputTooLarge, match=r"mod must be below 2\*\*256"):
        raw({"n": 7, "mod": largest + 1}, None)
    event = sample_event("apigw_v2")
    event["body"] = json.dumps({"n": 7, "mod": largest + 1})
    outer, payload = _decode(apigw(event, None))
    assert outer["statusCode"] == 422 and "mod must be below 2**256" in payload["error"]


def test_handlers_let_the_runtime_decode_long_integers() -> None:
    # awslambdaric parses raw events with int(str): the handlers lift its 4300-digit guard.
    if hasattr(sys, "get_int_max_str_digits"):
        limit = sys.get_int_max_str_digits()
        assert limit == 0 or limit >= 1_000_000
        assert json.loads('{"n": 1%s}' % ("0" * 10_000))["n"] == 10**10_000


def test_apigw_logs_even_a_non_proxy_event(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InvalidInput):
        apigw([1, 2], None)
    record = json.loads(capsys.readouterr().out)
    assert record["handler"] == "apigw" and record["outcome"] == "InvalidInput"


def test_raw_limit_beyond_memory_is_still_input_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers, "MAX_N", 10**15)
    with pytest.raises(InputTooLarge, match="too large"):
        raw({"n": 10**14}, None)


def test_raw_logs_one_line_without_the_result(capsys: pytest.CaptureFixture[str]) -> None:
    raw({"n": 1000}, None)
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    record = json.loads(out)
    assert record["handler"] == "raw" and record["n"] == "1000" and record["mod"] is None
    assert record["digits"] == 209 and record["duration_ms"] >= 0
    assert gmpy2.digits(gmpy2.fib(1000)) not in out


# --- limits ----------------------------------------------------------------


def test_default_limit_fits_the_response_cap() -> None:
    digits = len(gmpy2.digits(gmpy2.fib(DEFAULT_MAX_N)))
    assert digits + 200 < RESPONSE_LIMIT_BYTES  # raw and proxy envelopes are well under 200 bytes
    # ... and it is the largest round (1-significant-digit or 1e6-step) value that does.
    assert int((DEFAULT_MAX_N + 10**6) * 0.20898764) > RESPONSE_LIMIT_BYTES - 200


@pytest.mark.parametrize(("value", "expected"), [(None, DEFAULT_MAX_N), ("5", 5), (" 123 ", 123)])
def test_max_n_from_env(value: str | None, expected: int) -> None:
    env = {} if value is None else {"FASTFIB_MAX_N": value}
    assert max_n_from_env(env) == expected


@pytest.mark.parametrize("value", ["0", "-5", "1e6", "abc", "", "3.5", "٣", "1" * 5000, "1" * 19])
def test_bad_max_n_stops_start_up(value: str) -> None:
    with pytest.raises(RuntimeError, match=r"FASTFIB_MAX_N must be a positive integer below 10\*\*18"):
        max_n_from_env({"FASTFIB_MAX_N": value})
    proc = subprocess.run(
        [sys.executable, "-c", "import fastfib.handlers"],
        env={"FASTFIB_MAX_N": value, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
        timeout=60,
    )
    assert proc.returncode != 0
    assert "FASTFIB_MAX_N must be a positive integer" in proc.stderr


# --- apigw -----------------------------------------------------------------


def test_apigw_v2_seed_example_byte_for_byte(sample_event) -> None:
    assert apigw(sample_event("apigw_v2"), None) == (
        b'{"statusCode":200,"headers":{"Content-Type":"application/json"},'
        b'"body":"{\\"result\\":233}","isBase64Encoded":false}'
    )


@pytest.mark.parametrize("shape", SHAPES)
def test_apigw_every_shape(sample_event, shape: str) -> None:
    outer, body = _decode(apigw(sample_event(shape), None))
    assert outer["statusCode"] == 200
    assert outer["headers"] == {"Content-Type": "application/json"}
    assert outer["isBase64Encoded"] is False
    assert body == {"result": 33 if shape == "alb" else 233}  # alb.json asks for mod 100
    assert ("statusDescription" in outer) == (shape == "alb")
    if shape == "alb":
        assert outer["statusDescription"] == "200 OK"


def test_apigw_alb_multi_value_headers(sample_event) -> None:
    event = sample_event("alb")
    event["multiValueHeaders"] = {k: [v] for k, v in event.pop("headers").items()}
    event["multiValueQueryStringParameters"] = {"n": ["13"]}
    del event["queryStringParameters"]
    outer, body = _decode(apigw(event, None))
    assert "headers" not in outer
    assert outer["multiValueHeaders"] == {"Content-Type": ["application/json"]}
    assert body == {"result": 233}


def _with_request(event: dict, shape: str, *, body: str | None = None, query: str | None = None) -> dict:
    """``event`` carrying exactly this body and query string, and no path parameters."""
    event["body"] = body
    event["pathParameters"] = None
    event["rawQueryString"] = query or ""
    pairs = dict(p.split("=", 1) for p in query.split("&")) if query else None
    event["queryStringParameters"] = pairs
    return event


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    ("body", "query", "status", "needle"),
    [
        ("{", None, 400, "body must be valid JSON"),
        ('{"n": 7.0}', None, 400, "n must be an integer"),
        ('{"n": null}', None, 400, "n must be an integer, got null"),
        ('{"n": true}', None, 400, "n must be an integer, got a boolean"),
        ('{"x": 1}', None, 400, "n is required"),
        ('{"n": 5, "mod": 0}', None, 400, "mod must be an integer >= 1"),
        (None, "n=abc", 400, "n in the query string must be a decimal integer"),
        (None, "n=7&mod=-1", 400, "mod must be an integer >= 1"),
        (None, "n=1e3", 400, "n in the query string must be a decimal integer"),
        ('{"n": 30000001}', None, 422, "|n| must be at most 30000000"),
        (None, "n=-30000001", 422, "|n| must be at most 30000000"),
    ],
)
def test_apigw_errors(sample_event, shape: str, body, query, status: int, needle: str) -> None:
    event = _with_request(sample_event(shape), shape, body=body, query=query)
    outer, payload = _decode(apigw(event, None))
    assert outer["statusCode"] == status
    assert outer["headers"] == {"Content-Type": "application/json"}
    assert set(payload) == {"error"} and needle in payload["error"]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
def test_apigw_other_methods_get_405(sample_event, shape: str, method: str) -> None:
    event = sample_event(shape)
    if "httpMethod" in event:
        event["httpMethod"] = method
    else:
        event["requestContext"]["http"]["method"] = method
    outer, payload = _decode(apigw(event, None))
    assert outer["statusCode"] == 405
    assert outer["headers"]["Allow"] == "GET, POST"
    assert method in payload["error"]


def test_apigw_huge_result_and_mod(sample_event) -> None:
    event = sample_event("function_url")
    event["rawQueryString"] = "n=1000000"
    outer = json.loads(apigw(event, None))
    assert outer["statusCode"] == 200
    assert json.loads(outer["body"], parse_int=gmpy2.mpz) == {"result": gmpy2.fib(10**6)}
    event["rawQueryString"] = "n=" + "1" + "0" * 5000 + "&mod=1000"
    _, payload = _decode(apigw(event, None))
    assert payload == {"result": gmpy2.fib(10**5000 % 1500) % 1000}


def test_apigw_internal_error_is_a_generic_500(sample_event, monkeypatch, capsys) -> None:
    def broken(n: int) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(handlers, "fib", broken)
    outer, payload = _decode(apigw(sample_event("apigw_v2"), None))
    assert outer["statusCode"] == 500
    assert payload == {"error": "internal error"}
    assert "secret internal detail" in capsys.readouterr().out  # logged, not returned


def test_apigw_not_a_proxy_event_raises() -> None:
    with pytest.raises(InvalidInput, match="proxy event"):
        apigw({"n": 7}, None)


# --- arbitrary junk never escapes the rules ----------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
field_values = json_values | st.integers(-(10**40), 10**40) | st.sampled_from(["7", "-3", "1e3", "+5", " 4"])


@st.composite
def raw_events(draw: st.DrawFn) -> object:
    if draw(st.booleans()):
        return draw(json_values)
    return draw(st.fixed_dictionaries({}, optional={"n": field_values, "mod": field_values}))


@settings(max_examples=400, deadline=None)
@given(raw_events())
def test_raw_answers_or_raises_invalid_input(event: object) -> None:
    try:
        body = raw(event, None)
    except (InvalidInput, InputTooLarge):
        return
    n, mod = event["n"], event.get("mod")  # type: ignore[index]
    if mod is not None and abs(n) > 10**6:
        expected = fastfib.fib_mod(n, mod)  # fib_mod itself is checked in test_api
    else:
        expected = gmpy2.fib(abs(n)) * (-1 if n < 0 and n % 2 == 0 else 1)
        if mod is not None:
            expected %= mod
    assert body == b'{"result":' + gmpy2.digits(expected).encode() + b"}"


@st.composite
def proxy_events(draw: st.DrawFn) -> object:
    shape = draw(st.sampled_from(["apigw_v1", "apigw_v2", "alb", "function_url", "junk"]))
    if shape == "junk":
        return draw(json_values)
    import copy
    from pathlib import Path

    base = json.loads((Path(__file__).resolve().parents[1] / "events" / f"{shape}.json").read_text())
    event = copy.deepcopy(base)
    for key in draw(st.lists(st.sampled_from(sorted(event)), max_size=3)):
        event[key] = draw(json_values)
    if draw(st.booleans()):
        body = draw(st.fixed_dictionaries({}, optional={"n": field_values, "mod": field_values}) | json_values)
        event["body"] = json.dumps(body) if draw(st.booleans()) else draw(st.text(max_size=20))
    if draw(st.booleans()):
        event["queryStringParameters"] = draw(st.dictionaries(st.sampled_from(["n", "mod", "x"]), json_values | st.text(max_size=6)))
        event["rawQueryString"] = draw(st.text(max_size=20))
    return event


@settings(max_examples=400, deadline=None)
@given(proxy_events())
def test_apigw_answers_or_gives_4xx(event: object) -> None:
    try:
        response = apigw(event, None)
    except InvalidInput:
        return
    outer, payload = _decode(response)
    assert outer["statusCode"] in (200, 400, 405, 422), payload
    if outer["statusCode"] == 200:
        assert set(payload) == {"result"}
    else:
        assert set(payload) == {"error"} and payload["error"]
