"""The handlers under the real AWS Lambda Runtime Interface Emulator, over real HTTP."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterator

import gmpy2
import pytest
from rie import HostRie

from fastfib.limits import DEFAULT_MAX_N, RESPONSE_LIMIT_BYTES, largest_max_n

EVENTS = Path(__file__).resolve().parents[1] / "events"


pytestmark = pytest.mark.rie

@pytest.fixture(scope="module")
def start_rie() -> Callable[..., HostRie]:
    """How the cases here start a runtime under RIE: ``start_rie(handler, env=None)``, on the host.

    tests/test_image.py collects these cases again with its own start_rie,
    raw_rie and apigw_rie, which start a container of each image instead.
    """
    return HostRie


@pytest.fixture(scope="module")
def raw_rie(start_rie: Callable[..., HostRie]) -> Iterator[HostRie]:
    with start_rie("fastfib.handlers.raw") as rie:
        yield rie


@pytest.fixture(scope="module")
def apigw_rie(start_rie: Callable[..., HostRie]) -> Iterator[HostRie]:
    with start_rie("fastfib.handlers.apigw") as rie:
        yield rie


def _error(body: bytes) -> dict:
    error = json.loads(body)
    assert set(error) >= {"errorType", "errorMessage"}, error
    return error


def test_seed_examples_byte_for_byte(raw_rie: HostRie, apigw_rie: HostRie) -> None:
    assert raw_rie.invoke('{"n":7}') == (200, b'{"result":13}')
    assert apigw_rie.invoke((EVENTS / "apigw_v2.json").read_bytes()) == (
        200,
        b'{"statusCode":200,"headers":{"Content-Type":"application/json"},'
        b'"body":"{\\"result\\":233}","isBase64Encoded":false}',
    )


def test_values(raw_rie: HostRie) -> None:
    assert raw_rie.invoke('{"n":-8}') == (200, b'{"result":-21}')
    assert raw_rie.invoke('{"n":94}') == (200, b'{"result":19740274219868223167}')
    status, body = raw_rie.invoke('{"n":1000000}')
    assert status == 200
    assert body == b'{"result":' + gmpy2.digits(gmpy2.fib(10**6)).encode() + b"}"
    n = 10**100
    status, body = raw_rie.invoke(b'{"n":%d,"mod":1000000007}' % n)
    # 10**9+7 is prime and 2 (mod 5): the period of F mod it divides 2 * (10**9 + 8).
    assert body == b'{"result":%d}' % (gmpy2.fib(n % (2 * (10**9 + 8))) % (10**9 + 7))


def test_raw_n_past_pythons_int_digit_limit_then_still_serving(raw_rie: HostRie) -> None:
    # awslambdaric's own decoder refuses JSON integers past 4300 digits; the
    # handlers make it decode with fastfib's rules, which keep them as text
    # for GMP.  So a long n (with mod) is served, and one without mod is
    # refused by the limit that names n.
    for zeros in (4299, 4300, 5000):  # 4300 digits are an int; from 4301 on, text
        n = 10**zeros
        assert raw_rie.invoke(b'{"n":1%s,"mod":1000}' % (b"0" * zeros)) == (200, b'{"result":%d}' % (gmpy2.fib(n % 1500) % 1000))
    error = _error(raw_rie.invoke(b'{"n":1%s}' % (b"0" * 5000))[1])
    assert error["errorType"] == "InputTooLarge" and "|n| must be at most" in error["errorMessage"]
    assert raw_rie.invoke('{"n":12}') == (200, b'{"result":144}')
    # The same n as a string of digits, as before.
    assert raw_rie.invoke(b'{"n":"1%s","mod":1000}' % (b"0" * 5000)) == (200, b'{"result":%d}' % (gmpy2.fib(n % 1500) % 1000))


@pytest.mark.parametrize("shape", ["apigw_v1", "alb", "function_url"])
def test_every_proxy_shape(apigw_rie: HostRie, shape: str) -> None:
    status, body = apigw_rie.invoke((EVENTS / f"{shape}.json").read_bytes())
    outer = json.loads(body)
    assert status == 200 and outer["statusCode"] == 200
    assert json.loads(outer["body"]) == {"result": 33 if shape == "alb" else 233}


def test_largest_allowed_n_comes_back_whole(raw_rie: HostRie, apigw_rie: HostRie) -> None:
    expected = gmpy2.digits(gmpy2.fib(DEFAULT_MAX_N)).encode()
    status, body = raw_rie.invoke(b'{"n":%d}' % DEFAULT_MAX_N, timeout=120)
    assert status == 200 and len(body) <= RESPONSE_LIMIT_BYTES
    assert body == b'{"result":' + expected + b"}"
    event = json.loads((EVENTS / "function_url.json").read_text())
    event["rawQueryString"] = f"n=-{DEFAULT_MAX_N}"
    status, body = apigw_rie.invoke(json.dumps(event), timeout=120)
    assert status == 200 and len(body) <= RESPONSE_LIMIT_BYTES
    # F(-n) = -F(n) for even n
    assert body.endswith(b'"body":"{\\"result\\":-' + expected + b'}","isBase64Encoded":false}')

    error = _error(raw_rie.invoke(b'{"n":%d}' % (DEFAULT_MAX_N + 1))[1])
    assert error["errorType"] == "InputTooLarge"
    assert f"at most {DEFAULT_MAX_N}" in error["errorMessage"]
    event["rawQueryString"] = f"n={DEFAULT_MAX_N + 1}"
    outer = json.loads(apigw_rie.invoke(json.dumps(event))[1])
    assert outer["statusCode"] == 422


@pytest.mark.parametrize(
    ("payload", "error_type", "needle"),
    [
        ("{}", "InvalidInput", "n is required"),
        ('{"n":null}', "InvalidInput", "n must be an integer, got null"),
        ('{"n":true}', "InvalidInput", "got a boolean"),
        ('{"n":7.0}', "InvalidInput", "got a non-integer number"),
        ('{"n":"7"}', "InvalidInput", "got a string"),
        ("[7]", "InvalidInput", "event must be a JSON object"),
        ('"seven"', "InvalidInput", "event must be a JSON object"),
        ('{"n":7,"mod":0}', "InvalidInput", "mod must be an integer >= 1"),
        ('{"n":99999999999}', "InputTooLarge", "at most"),
        ('{"n":', "Runtime.UnmarshalError", "Unable to unmarshal input"),
        ('{"n":7,"n":8}', "InvalidInput", "n must appear once in the event"),
        ('{"n":7,"x":NaN}', "Runtime.UnmarshalError", "NaN is not JSON"),  # as awslambdaric's own decoder
        ('{"n":7,"mod":5,"mod":6}', "InvalidInput", "mod must appear once in the event"),
    ],
)
def test_bad_raw_input_then_still_serving(raw_rie: HostRie, payload: str, error_type: str, needle: str) -> None:
    error = _error(raw_rie.invoke(payload)[1])
    assert error["errorType"] == error_type
    assert needle in error["errorMessage"]
    assert raw_rie.invoke('{"n":12}') == (200, b'{"result":144}')


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        ("{", 400, "body must be valid JSON"),
        ('{"n": 13.5}', 400, "n must be an integer"),
        ('{"n": 13, "mod": -2}', 400, "mod must be an integer >= 1"),
        ('{"n": 100000000}', 422, "at most 30000000"),
    ],
)
def test_bad_http_input_then_still_serving(apigw_rie: HostRie, body: str, status: int, needle: str) -> None:
    event = json.loads((EVENTS / "apigw_v2.json").read_text())
    event["body"] = body
    _, raw_response = apigw_rie.invoke(json.dumps(event))
    outer = json.loads(raw_response)
    assert outer["statusCode"] == status
    assert needle in json.loads(outer["body"])["error"]
    event["requestContext"]["http"]["method"] = "DELETE"
    outer = json.loads(apigw_rie.invoke(json.dumps(event))[1])
    assert outer["statusCode"] == 405 and outer["headers"]["Allow"] == "GET, POST"
    assert apigw_rie.invoke((EVENTS / "apigw_v2.json").read_bytes())[1].endswith(b'233}","isBase64Encoded":false}')


def _edited(name: str, **changes: object) -> str:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event.update(changes)
    return json.dumps(event)


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        (_edited("function_url", rawQueryString="n=abc"), 400, "n in the query string must be a decimal integer"),
        (_edited("function_url", rawQueryString="n=%2B7"), 400, "n in the query string must be a decimal integer"),
        (_edited("function_url", rawQueryString="n=7&mod=0"), 400, "mod must be an integer >= 1"),
        (_edited("function_url", rawQueryString="n=7&n=8"), 400, "n must appear once"),
        (_edited("apigw_v1", pathParameters={"n": "1e3"}), 400, "n in the path must be a decimal integer"),
        (_edited("apigw_v1", pathParameters=None), 400, "n is required"),
        (_edited("alb", queryStringParameters={"n": "-40000000"}), 422, "at most 30000000"),
        (_edited("apigw_v2", body='{"n": 7, "mod": %d}' % 2**300), 422, "mod must be below 2**256"),
        (_edited("apigw_v2", body="bm90IGpzb24=", isBase64Encoded=True), 400, "body must be valid JSON"),
    ],
)
def test_bad_query_path_and_base64_then_still_serving(apigw_rie: HostRie, payload: str, status: int, needle: str) -> None:
    outer = json.loads(apigw_rie.invoke(payload)[1])
    assert outer["statusCode"] == status
    assert needle in json.loads(outer["body"])["error"]
    assert json.loads(apigw_rie.invoke((EVENTS / "apigw_v1.json").read_bytes())[1])["statusCode"] == 200


@pytest.mark.parametrize("payload", ['{"n": 7}', "[1]", '"GET"'])
def test_non_proxy_event_then_still_serving(apigw_rie: HostRie, payload: str) -> None:
    error = _error(apigw_rie.invoke(payload)[1])
    assert error["errorType"] == "InvalidInput" and "proxy event" in error["errorMessage"]
    assert json.loads(apigw_rie.invoke((EVENTS / "apigw_v1.json").read_bytes())[1])["statusCode"] == 200


def test_thousand_invocations_without_failure_or_growth(raw_rie: HostRie) -> None:
    for _ in range(20):  # warm up allocator pools before the baseline
        raw_rie.invoke('{"n":5000}')
    before = raw_rie.runtime_rss_kib()
    expected = b'{"result":' + gmpy2.digits(gmpy2.fib(5000)).encode() + b"}"
    for i in range(1000):
        n = 5000 if i % 2 else -8 - i
        status, body = raw_rie.invoke(b'{"n":%d}' % n)
        assert status == 200
        if n == 5000:
            assert body == expected
    growth_mib = (raw_rie.runtime_rss_kib() - before) / 1024
    print(f"runtime RSS growth over 1000 invocations: {growth_mib:.2f} MiB")
    assert growth_mib < 20


@pytest.mark.parametrize("value", ["lots", "100000000"])
def test_bad_max_n_stops_start_up(start_rie: Callable[..., HostRie], value: str) -> None:
    with start_rie("fastfib.handlers.raw", env={"FASTFIB_MAX_N": value}) as rie:
        error = _error(rie.invoke('{"n":7}')[1])
    assert f"FASTFIB_MAX_N must be an integer from 1 to {largest_max_n()}" in error["errorMessage"]


def test_init_duration_is_reported(raw_rie: HostRie) -> None:
    raw_rie.invoke('{"n":1}')
    assert raw_rie.log().count("INIT REPORT(durationMs:") >= 1


# --- hostile clients: each case, then a good call ------------------------------

MB = 1_000_000


def _proxy(name: str, **changes: object) -> bytes:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    for key, value in changes.items():
        if key == "method":
            if "httpMethod" in event:
                event["httpMethod"] = value
            else:
                event["requestContext"]["http"]["method"] = value
        else:
            event[key] = value
    return json.dumps(event).encode()


def _proxy_text(name: str, key: str, raw_json: bytes) -> bytes:
    """A sample event with ``key`` replaced by JSON text that json.dumps cannot write (long integers, repeated names)."""
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event.pop(key, None)
    return json.dumps(event).encode()[:-1] + b', "%s": %s}' % (key.encode(), raw_json)


HOSTILE_PROXY = [
    # (id, event, status, needle in the error)
    ("method-100k-quotes", _proxy("apigw_v1", method='"' * 100_000), 405, "is not allowed"),
    ("method-6mb-quotes", _proxy("apigw_v2", method='"' * (3 * MB)), 405, "is not allowed"),
    ("method-non-ascii", _proxy("function_url", method="\u00e9" * 500_000), 405, "is not allowed"),
    ("method-array", _proxy("alb", method=["GET"]), 400, "HTTP method must be a non-empty string"),
    ("b64-bad-char", _proxy("apigw_v2", body="eyJuIjo3fQ!=", isBase64Encoded=True), 400, "not valid base64"),
    ("b64-no-padding", _proxy("apigw_v2", body="eyJuIjogN30", isBase64Encoded=True), 400, "not valid base64"),
    ("b64-mime-breaks", _proxy("alb", body="eyJu\r\nIjogN30=", isBase64Encoded=True), 400, "not valid base64"),
    ("b64-head", _proxy("apigw_v1", method="HEAD", body="%%%", isBase64Encoded=True), 405, "'HEAD' is not allowed"),
    ("body-nested", _proxy("apigw_v2", body="[" * (2 * MB)), 400, "nests arrays or objects too deeply"),
    ("body-not-object", _proxy("apigw_v2", body='"' + "x" * MB + '"'), 400, "body must be a JSON object"),
    ("body-long-n-no-mod", _proxy("apigw_v2", body='{"n": %s}' % ("9" * (2 * MB))), 422, "is above the limit"),
    ("query-6mb", _proxy("function_url", rawQueryString="n=1&" * (MB + MB // 2)), 400, "at most 1000 parameters"),
    ("query-twice", _proxy("function_url", rawQueryString="n=1&n=2"), 400, "n must appear once"),
    ("alb-multi-ignored-percents", _proxy("alb", multiValueHeaders={}, headers=None,
        multiValueQueryStringParameters={"x": ["%"] * 999, "n": ["13"]}), 200, ""),
    ("alb-long-percent-keys", _proxy("alb", queryStringParameters={"%" * 500_000 + str(i): "%" for i in range(10)}), 400,
        "n is required"),
    ("alb-too-many-params", _proxy("alb", multiValueHeaders={}, multiValueQueryStringParameters={"x": ["%"] * 1_100_000}),
        400, "at most 1000 parameters"),
    ("raw-query-ignored-percents", _proxy("function_url", rawQueryString="n=13&x=" + "%" * (6 * MB - 2000)), 200, ""),
    ("method-long-s", _proxy("apigw_v1", method="poſt"), 405, "is not allowed"),
    ("query-junk-type", _proxy("alb", queryStringParameters={"n": {"x": [1]}}), 400, "got an object"),
    ("path-junk", _proxy("apigw_v1", pathParameters=[1, 2]), 400, "pathParameters must be an object"),
    ("body-junk-type", _proxy("apigw_v1", body={"n": 7}), 400, "body must be a string or null"),
    ("headers-junk", _proxy("alb", headers="x" * MB, multiValueHeaders=7), 200, ""),
    ("body-many-integers", _proxy("apigw_v2", body='{"n":7,"x":[%s]}' % ",".join(["1"] * MB)), 200, ""),
    ("body-repeated-n", _proxy("apigw_v2", body='{"n":7,"n":8}'), 400, "n must appear once in the body"),
    ("event-long-integer", _proxy_text("apigw_v2", "extra", b"9" * MB), 200, ""),
    ("body-repeated-names-everywhere", _proxy("apigw_v2", body='{"n":7,"x":[%s]}' % ",".join(['{"":0,"":0}'] * (MB // 12))),
        200, ""),
    ("query-n-of-percents", _proxy("function_url", rawQueryString="n=" + "%" * (5 * MB)), 400, "must be a decimal integer"),
    ("alb-n-of-percents", _proxy("alb", queryStringParameters={"n": "%" * (5 * MB)}), 400, "must be a decimal integer"),
    ("alb-names-without-values", _proxy("alb", multiValueHeaders={}, headers=None,
        multiValueQueryStringParameters={**{"%%%02X%x" % (i % 256, i // 256): [] for i in range(300_000)}, "n": ["7"]}),
        400, "at most 1000 parameters"),
    ("query-object-repeated-n", _proxy_text("apigw_v1", "queryStringParameters", b'{"n": "7", "n": "8"}'), 400,
        "n must appear once in the query string"),
    ("event-repeated-body", _proxy("apigw_v2")[:-1] + b', "body": "{\\"n\\": 8}"}', 400, "event field body must appear once"),
    ("event-long-integer-method", _proxy_text("apigw_v1", "httpMethod", b"1" + b"0" * 5000), 400,
        "HTTP method must be a non-empty string, got an integer"),
]


@pytest.mark.parametrize(("event", "status", "needle"), [c[1:] for c in HOSTILE_PROXY], ids=[c[0] for c in HOSTILE_PROXY])
def test_hostile_proxy_event_gets_a_short_answer_then_still_serving(
    apigw_rie: HostRie, event: bytes, status: int, needle: str
) -> None:
    http_status, response = apigw_rie.invoke(event)
    outer = json.loads(response)
    assert http_status == 200 and outer["statusCode"] == status, response[:300]
    assert len(response) < 2048
    if needle:
        assert needle in json.loads(outer["body"])["error"]
    assert json.loads(apigw_rie.invoke((EVENTS / "apigw_v1.json").read_bytes())[1])["statusCode"] == 200


def test_ignored_huge_integers_cost_nothing_in_a_body(apigw_rie: HostRie) -> None:
    body = '{"a": %s, "b": %s, "c": %s, "n": 20}' % (("9" * MB,) * 3)
    outer = json.loads(apigw_rie.invoke(_proxy("apigw_v2", body=body))[1])
    assert outer["statusCode"] == 200 and json.loads(outer["body"]) == {"result": 6765}


@pytest.mark.parametrize(
    "payload",
    [
        b'{"n":7,"a":%s,"b":%s,"c":%s}' % ((b"9" * MB,) * 3),  # huge ignored integers
        b'{"n":7,"x":[%s]}' % b",".join([b"1"] * MB),  # a million small ones
        b"{" + b'"x":1,' * (MB // 6) + b'"n":7}',  # a name repeated 166,666 times
        b'{"n":7,"x":[%s]}' % b",".join([b'{"a":1}'] * (MB // 8)),  # many objects
        b'{"n":7,"x":"' + b"\\u00e9" * MB + b'"}',  # a long ignored string
    ],
    ids=["ignored-integers", "many-integers", "repeated-names", "many-objects", "long-string"],
)
def test_hostile_raw_event_is_served_then_still_serving(raw_rie: HostRie, payload: bytes) -> None:
    assert raw_rie.invoke(payload, timeout=30) == (200, b'{"result":13}')
    assert raw_rie.invoke('{"n":12}') == (200, b'{"result":144}')


def test_refused_large_events_do_not_pile_up_in_memory(raw_rie: HostRie) -> None:
    # awslambdaric keeps sys.exc_info() in the frame that holds the event, a
    # cycle: without a collection after each raised invocation, seven of
    # these took the runtime's RSS from 109 to 646 MB.
    payload = b'{"n":7.5,"x":[%s]}' % b",".join([b'"ab"'] * 1_199_990)
    raw_rie.invoke('{"n":12}')
    before = raw_rie.runtime_rss_kib()
    for _ in range(7):
        assert _error(raw_rie.invoke(payload, timeout=30)[1])["errorType"] == "InvalidInput"
    assert raw_rie.invoke('{"n":12}') == (200, b'{"result":144}')
    growth_mib = (raw_rie.runtime_rss_kib() - before) / 1024
    assert growth_mib < 200, f"runtime RSS grew {growth_mib:.0f} MiB over seven refused 6 MB events"


def test_the_most_memory_hungry_6mb_events_fit_the_templates_minimum(raw_rie: HostRie) -> None:
    # 3 million nested empty arrays are the most memory a 6 MB event can take
    # to decode (about 300 MB); template.yaml's MemorySize is at least 512.
    # Refused and served, one after another: nothing may pile up.
    nested = b"[" + b",".join([b"[" * 400 + b"]" * 400] * 7490) + b"]"
    served = b'{"n":30000000,"x":[%s]}' % b",".join([b"[" * 400 + b"]" * 400] * 7480)
    for _ in range(3):
        assert _error(raw_rie.invoke(nested, timeout=60)[1])["errorType"] == "InvalidInput"
        assert raw_rie.invoke(served, timeout=60)[0] == 200
    assert raw_rie.invoke('{"n":12}') == (200, b'{"result":144}')
    peak_mib = raw_rie.runtime_rss_kib("VmHWM") / 1024
    assert peak_mib < 400, f"the runtime peaked at {peak_mib:.0f} MiB"


def test_raw_event_nested_too_deeply_is_refused_by_the_runtime_then_still_serving(raw_rie: HostRie) -> None:
    status, body = raw_rie.invoke(b"[" * (3 * MB), timeout=30)
    error = _error(body)
    assert status == 200 and error["errorType"] == "Runtime.UnmarshalError" and len(body) < 4096
    assert raw_rie.invoke('{"n":12}') == (200, b'{"result":144}')


# --- logging through the runtime ---------------------------------------------


def _records(log: str) -> list[dict]:
    return [json.loads(line) for line in log.splitlines() if line.startswith("{") and '"handler"' in line]


def test_json_log_format_gives_one_object_per_invocation(start_rie: Callable[..., HostRie]) -> None:
    with start_rie("fastfib.handlers.apigw", env={"AWS_LAMBDA_LOG_FORMAT": "JSON"}) as rie:
        rie.invoke((EVENTS / "apigw_v2.json").read_bytes())
        rie.invoke(_proxy("apigw_v2", body="{"))
        log = rie.log()
    ok, bad = _records(log)
    for record in (ok, bad):
        assert record["level"] == "INFO" and record["requestId"] and record["timestamp"]
        assert record["handler"] == "apigw" and record["logger"] == "fastfib"
    assert (ok["n"], ok["digits"], ok["outcome"]) == ("13", 3, "200") and ok["duration_ms"] >= 0
    assert (bad["digits"], bad["outcome"]) == (0, "400") and "n" not in bad
    assert ok["requestId"] != bad["requestId"]
    assert not any("233" in str(v) for k, v in ok.items() if k != "requestId")  # the result is never logged


def test_warn_log_level_silences_the_record(start_rie: Callable[..., HostRie]) -> None:
    env = {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"}
    with start_rie("fastfib.handlers.raw", env=env) as rie:
        assert rie.invoke('{"n":7}') == (200, b'{"result":13}')
        _error(rie.invoke("{}")[1])
        log = rie.log()
    assert _records(log) == []
    assert '"errorType": "InvalidInput"' in log or '"errorType":"InvalidInput"' in log  # the runtime's own error record


def test_text_log_format_is_one_line_per_invocation(raw_rie: HostRie) -> None:
    raw_rie.invoke('{"n":1234}')
    (line,) = [line for line in raw_rie.log().splitlines() if '"n":"1234"' in line]
    level, _, request_id, message = line.split("\t")
    assert level == "[INFO]" and request_id
    assert json.loads(message) == {**json.loads(message), "handler": "raw", "outcome": "ok", "digits": 258}


def test_make_serve_says_one_request_at_a_time_and_answers() -> None:
    from rie import make_serve_and_invoke

    answer, output = make_serve_and_invoke("serve", '{"n":7}')
    assert answer == (200, b'{"result":13}')
    assert "serves one request at a time" in output
