"""The Lambda handlers, called directly: every input rule, every event shape."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

import gmpy2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastfib
from fastfib import handlers
from fastfib.errors import MAX_MESSAGE
from fastfib.handlers import InputTooLarge, InvalidInput, apigw, raw
from fastfib.limits import DEFAULT_MAX_N, ENVELOPE_BYTES, RESPONSE_LIMIT_BYTES, largest_max_n, max_n_from_env

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
    monkeypatch.setattr(handlers.LIMITS, "max_n", 1000)
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


def test_importing_the_handlers_leaves_the_int_digit_limit_alone() -> None:
    # A raised limit would let the runtime's decoder parse huge integers in
    # fields fastfib ignores, at quadratic cost; the default keeps that linear.
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; a = sys.get_int_max_str_digits(); import fastfib.handlers; "
         "print(a, sys.get_int_max_str_digits())"],
        capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=60,
    )  # fmt: skip
    before, after = proc.stdout.split()
    assert before == after == "4300", proc.stderr


def test_apigw_logs_even_a_non_proxy_event(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="fastfib"), pytest.raises(InvalidInput):
        apigw([1, 2], None)
    (record,) = caplog.records
    assert json.loads(record.getMessage()) == {**json.loads(record.getMessage()), "handler": "apigw", "outcome": "InvalidInput"}


def test_raw_limit_beyond_memory_is_still_input_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handlers.LIMITS, "max_n", 10**15)
    with pytest.raises(InputTooLarge, match="too large"):
        raw({"n": 10**14}, None)


def test_raw_logs_one_record_without_the_result(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="fastfib"):
        raw({"n": 1000}, None)
    (record,) = caplog.records
    assert record.levelname == "INFO" and record.name == "fastfib"
    fields = json.loads(record.getMessage())
    assert "\n" not in record.getMessage()
    assert fields["handler"] == "raw" and fields["n"] == "1000" and fields["mod"] is None
    assert fields["digits"] == 209 and fields["duration_ms"] >= 0 and fields["outcome"] == "ok"
    assert gmpy2.digits(gmpy2.fib(1000)) not in caplog.text


def test_a_request_the_limits_refuse_is_logged_with_its_n_and_mod(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="fastfib"):
        with pytest.raises(InputTooLarge):
            raw({"n": 10**9}, None)
        with pytest.raises(InvalidInput):
            raw({"n": 5, "mod": 0}, None)
        outer = json.loads(apigw({"httpMethod": "GET", "queryStringParameters": {"n": "-" + "9" * 30}}, None))
    assert outer["statusCode"] == 422
    logged = [json.loads(record.getMessage()) for record in caplog.records]
    assert [(f["n"], f["mod"], f["outcome"]) for f in logged] == [
        ("1000000000", None, "InputTooLarge"),
        ("5", "0", "InvalidInput"),
        ("-<100-bit integer>", None, "422"),
    ]


def test_warn_level_silences_the_per_request_record(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING", logger="fastfib"):
        raw({"n": 10}, None)
        with pytest.raises(InvalidInput):
            raw({}, None)
    assert caplog.records == []


# --- limits ----------------------------------------------------------------


def test_default_limit_fits_the_response_cap() -> None:
    budget = gmpy2.mpz(10) ** (RESPONSE_LIMIT_BYTES - ENVELOPE_BYTES)  # F(n) below this has few enough digits to fit
    assert gmpy2.fib(DEFAULT_MAX_N) < budget
    # ... and it is the largest round (1e6-step) value that does.
    assert DEFAULT_MAX_N <= largest_max_n() < DEFAULT_MAX_N + 10**6
    # largest_max_n() is exact to within a few n: its answer fits, ten more would not.
    assert gmpy2.fib(largest_max_n()) < budget <= gmpy2.fib(largest_max_n() + 10)


@pytest.mark.parametrize(("value", "expected"), [(None, DEFAULT_MAX_N), ("5", 5), (" 123 ", 123)])
def test_max_n_from_env(value: str | None, expected: int) -> None:
    env = {} if value is None else {"FASTFIB_MAX_N": value}
    assert max_n_from_env(env) == expected
    assert max_n_from_env({"FASTFIB_MAX_N": str(largest_max_n())}) == largest_max_n()


@pytest.mark.parametrize(
    "value", ["0", "-5", "1e6", "abc", "", "3.5", "٣", "1" * 5000, "1" * 19, "100000000", str(largest_max_n() + 1)]
)
def test_bad_max_n_stops_start_up(value: str) -> None:
    rule = rf"FASTFIB_MAX_N must be an integer from 1 to {largest_max_n()}"
    with pytest.raises(RuntimeError, match=rule):
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
    assert "FASTFIB_MAX_N must be an integer from 1 to" in proc.stderr


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


def test_apigw_internal_error_is_a_generic_500(sample_event, monkeypatch, caplog) -> None:
    def broken(n: int) -> None:
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(handlers, "fib_digits", broken)
    outer, payload = _decode(apigw(sample_event("apigw_v2"), None))
    assert outer["statusCode"] == 500
    assert payload == {"error": "internal error"}
    (record,) = [r for r in caplog.records if r.name == "fastfib"]
    assert record.levelname == "ERROR" and "secret internal detail" in caplog.text  # logged, not returned


def test_apigw_out_of_memory_building_the_answer_is_a_422(sample_event, monkeypatch) -> None:
    def no_memory(digits: bytes) -> bytes:
        raise MemoryError

    monkeypatch.setattr(handlers, "result_json", no_memory)
    outer, payload = _decode(apigw(sample_event("apigw_v2"), None))
    assert outer["statusCode"] == 422
    assert payload == {"error": "the answer to this request does not fit in the memory free now"}


def test_apigw_out_of_memory_for_the_response_itself_answers_small(sample_event, monkeypatch) -> None:
    real, calls = handlers.http_response, []

    def first_call_fails(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(args[1])
        if len(calls) == 1:
            raise MemoryError
        return real(*args, **kwargs)

    monkeypatch.setattr(handlers, "http_response", first_call_fails)
    outer, payload = _decode(apigw(sample_event("apigw_v2"), None))
    assert calls == [200, 422] and outer["statusCode"] == 422
    assert payload == {"error": "the answer to this request does not fit in the memory free now"}


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


# Values a hostile client or a broken integration could put anywhere: every
# JSON type, strings long enough that echoing them would matter, and text
# that JSON escaping multiplies.
oversized = st.sampled_from(
    ['"' * 100_000, "\\" * 50_000, "\u00e9" * 100_000, "\U0001f600" * 50_000, "9" * 100_000, "[" * 50_000, "\x00" * 10_000]
)
junk = json_values | oversized | st.integers(-(10**60), 10**60) | st.sampled_from(["GET", "POST", "HEAD", "get", "", "n=7"])


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    """The path to every value inside a JSON tree (dict keys and list indexes), the root excluded."""
    found = [prefix] if prefix else []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _paths(child, (*prefix, key))
    return found


def _replace(event: dict, path: tuple, value: object) -> None:
    """Set the value at ``path``, unless an earlier replacement removed that branch."""
    parent: object = event
    for key in path[:-1]:
        try:
            parent = parent[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return
    if isinstance(parent, dict) or (isinstance(parent, list) and isinstance(path[-1], int) and path[-1] < len(parent)):
        parent[path[-1]] = value


@st.composite
def bodies(draw: st.DrawFn) -> tuple[object, object]:
    """(body, isBase64Encoded): JSON requests, junk text, and base64 that is right, truncated, unpadded or broken."""
    request = draw(st.fixed_dictionaries({}, optional={"n": field_values, "mod": field_values}) | json_values)
    text = json.dumps(request) if draw(st.booleans()) else draw(st.text(max_size=20) | oversized)
    if not draw(st.booleans()):
        return text, draw(st.sampled_from([False, None, "true", 1]))
    import base64

    encoded = base64.b64encode(text.encode("utf-8", "surrogatepass")).decode()
    damage = draw(st.sampled_from(["none", "truncate", "unpad", "newline", "bad-char", "non-ascii"]))
    cut = draw(st.integers(0, max(0, len(encoded) - 1)))
    encoded = {
        "none": encoded,
        "truncate": encoded[:cut],
        "unpad": encoded.rstrip("="),
        "newline": encoded[:cut] + "\n" + encoded[cut:],
        "bad-char": encoded[:cut] + "!" + encoded[cut:],
        "non-ascii": encoded[:cut] + "\u00e9" + encoded[cut:],
    }[damage]
    return encoded, True


@st.composite
def hostile_proxy_events(draw: st.DrawFn) -> dict:
    """A sample proxy event (each shape in events/) with any of its fields, at any depth, replaced by junk."""
    from pathlib import Path

    shape = draw(st.sampled_from(SHAPES))
    event = json.loads((Path(__file__).resolve().parents[1] / "events" / f"{shape}.json").read_text())
    for path in draw(st.lists(st.sampled_from(_paths(event)), max_size=4, unique=True)):
        _replace(event, path, draw(junk))
    if draw(st.booleans()):
        event["body"], event["isBase64Encoded"] = draw(bodies())
    if draw(st.booleans()):
        event["queryStringParameters"] = draw(st.dictionaries(st.sampled_from(["n", "mod", "x"]), junk))
        event["rawQueryString"] = draw(st.text(max_size=20) | oversized | st.sampled_from(["n=7&n=8", "n=%FF", "mod=0&n=3"]))
    return event


#: The most an error body (the body string of the HTTP response) may take.
ERROR_BODY_BYTES = 1024


@settings(max_examples=500, deadline=None)
@given(hostile_proxy_events())
def test_apigw_always_answers_http_with_a_bounded_error(event: dict) -> None:
    response = apigw(event, None)  # never raises: every event here has a proxy shape
    outer, payload = _decode(response)
    assert outer["statusCode"] in (200, 400, 405, 422), payload
    if outer["statusCode"] == 200:
        assert set(payload) == {"result"}
    else:
        assert set(payload) == {"error"} and payload["error"]
        assert len(outer["body"].encode()) <= ERROR_BODY_BYTES
        assert len(response) <= ERROR_BODY_BYTES * 2


@settings(max_examples=200, deadline=None)
@given(st.fixed_dictionaries({}, optional={"n": junk, "mod": junk}) | junk)
def test_raw_refusals_are_short(event: object) -> None:
    try:
        raw(event, None)
    except (InvalidInput, InputTooLarge) as exc:
        assert 0 < len(str(exc)) <= MAX_MESSAGE


def test_loading_the_handlers_imports_nothing_else_from_the_stdlib() -> None:
    # INIT: beyond what awslambdaric has loaded, the handlers bring only gmpy2
    # and their own modules (typing, urllib.parse, importlib.metadata and
    # base64 each cost milliseconds, and are imported lazily or not at all).
    code = (
        "import sys, awslambdaric.bootstrap; before = set(sys.modules); import fastfib.handlers; "
        "print(' '.join(sorted(set(sys.modules) - before)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=60)
    added = set(proc.stdout.split())
    assert "fastfib.handlers" in added, proc.stderr
    others = {m for m in added if not m.startswith(("fastfib", "gmpy2", "_cython_"))}
    assert others <= {"cython_runtime", "resource", "gc"}, others  # gc is built into the interpreter


_DECODER_CHECK = r"""
import json, sys
import awslambdaric.lambda_runtime_marshaller as m
from awslambdaric.lambda_runtime_exception import FaultException

marshaller = m.LambdaMarshaller()

def decode_or_error(text):
    try:
        return marshaller.unmarshal_request(text)
    except FaultException as exc:
        return [exc.exception_type, exc.msg]

import fastfib.handlers as h
from fastfib import runtime

def call(text):
    try:
        event = marshaller.unmarshal_request(text)
    except FaultException as exc:
        return exc.exception_type
    try:
        return h.raw(event).decode()
    except (h.InvalidInput, h.InputTooLarge) as exc:
        return type(exc).__name__ + ": " + str(exc)

def nested(depth):
    return b'{"n":7,"n":8,"x":' + b'{"a":' * depth + b"0" + b"}" * depth + b"}"

# The depth at which the decoder gives up, then every depth around it: a
# repeated n is refused or the event is, never answered.
low, high = 1, 200_000
while low < high:
    mid = (low + high) // 2
    if call(nested(mid)) == "Runtime.UnmarshalError":
        high = mid
    else:
        low = mid + 1
margin = sorted({call(nested(depth)) for depth in range(max(1, low - 30), low + 30)})

def no_memory(*args, **kwargs):
    raise MemoryError
real_loads, runtime.loads = runtime.loads, no_memory  # as a large event decoded under a memory limit
undecodable = marshaller.unmarshal_request(b'{"n":7}')
undecodable_alb = marshaller.unmarshal_request(b'{"requestContext":{"elb":{}},"body":"[[]]"}')
runtime.loads = real_loads
try:
    h.raw(undecodable)
except FaultException as exc:
    out_of_memory = [exc.exception_type, exc.msg]
out_of_memory_http = [json.loads(h.apigw(undecodable)), json.loads(h.apigw(undecodable_alb))]

print(json.dumps({
    "installed": [h.DECODER_INSTALLED, runtime.install()],
    "errors": [decode_or_error(text) for text in (b'{"n":', b"[" * 100_000, b"\xff{}", b'{"n":7}}')],
    "plain": marshaller.unmarshal_request(b"raw bytes", "application/octet-stream").decode(),
    "out_of_memory": out_of_memory,
    "out_of_memory_http": out_of_memory_http,
    "after_out_of_memory": call(b'{"n":12}'),
    "long_n_with_mod": call(b'{"n":1%s,"mod":1000}' % (b"0" * 5000)),
    "long_n": call(b'{"n":1%s}' % (b"0" * 5000)),
    "ignored_long": call(b'{"n":12,"x":[%s]}' % (b"9" * 100_000)),
    "repeated": call(b'{"n":7,"n":8}'),
    "margin": margin,
}))
"""


def test_the_handlers_make_awslambdaric_decode_with_fastfibs_rules() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _DECODER_CHECK], capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["installed"] == [True, True]
    # What fastfib's decoder refuses gets awslambdaric's own error type.
    for error_type, message in out["errors"]:
        assert error_type == "Runtime.UnmarshalError" and message.startswith("Unable to unmarshal input: ")
    assert out["plain"] == "raw bytes"  # not JSON: passed through, as before
    # Out of memory while decoding: the raw handler's error gives the reason, not MemoryError's empty message;
    # the apigw handler answers 422 in the event's shape, where an unmarshal error would be a 502.
    assert out["out_of_memory"] == [
        "Runtime.UnmarshalError", "Unable to unmarshal input: the event is too large to decode in the memory free now"
    ]
    rest, alb = out["out_of_memory_http"]
    error = {"error": "the event is too large to decode in the memory free now"}
    assert rest["statusCode"] == 422 and json.loads(rest["body"]) == error and "statusDescription" not in rest
    assert alb["statusCode"] == 422 and json.loads(alb["body"]) == error
    assert alb["statusDescription"] == "422 Unprocessable Content"
    assert out["after_out_of_memory"] == '{"result":144}'
    n = 10**5000
    assert out["long_n_with_mod"] == '{"result":%d}' % (gmpy2.fib(n % 1500) % 1000)
    assert out["long_n"].startswith("InputTooLarge: n=<5001-digit integer> is above the limit: |n| must be at most")
    assert out["ignored_long"] == '{"result":144}'
    assert out["repeated"] == "InvalidInput: n must appear once in the event"
    # No second decoder takes over where the first gives up (it would let the repeated n through).
    assert out["margin"] == ["InvalidInput: n must appear once in the event", "Runtime.UnmarshalError"]


def test_without_awslambdaric_the_handlers_change_nothing() -> None:
    code = "import sys, fastfib.handlers as h; print(h.DECODER_INSTALLED, any(m.startswith('awslambdaric') for m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=60)
    assert proc.stdout.split() == ["False", "False"], proc.stderr


@pytest.mark.parametrize(("level", "logged"), [("", True), ("bogus", True), ("INFO", True), ("WARN", False), ("TRACE", True)])
def test_the_record_is_logged_unless_lambda_sets_a_level_above_info(level: str, logged: bool) -> None:
    # awslambdaric applies AWS_LAMBDA_LOG_LEVEL only when logging knows the name;
    # otherwise the root logger passes WARNING only, so fastfib's logger passes INFO itself.
    code = "import logging, fastfib.logs as l, awslambdaric.bootstrap as b; " \
        "b._setup_logging(b._AWS_LAMBDA_LOG_FORMAT, b._AWS_LAMBDA_LOG_LEVEL, None); print(l.logger.isEnabledFor(logging.INFO))"
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tempfile.gettempdir(), timeout=60,
        env={**os.environ, "AWS_LAMBDA_LOG_LEVEL": level},
    )  # fmt: skip
    assert proc.stdout.strip() == str(logged), proc.stderr
