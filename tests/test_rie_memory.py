"""Oversized input under memory limits, through the real RIE: refused with a 4xx or served, never a runtime abort or a 5xx.

Each case runs against a runtime whose RLIMIT_AS is set, once it is up, to
the address space it maps then plus a headroom (16 to 100 MiB, in steps that
cross 20-32 MiB, where gmpy2.mpz() of a 6·10^6-digit n made GMP abort), and
each is followed by a good call that must be answered under the same limit.
Here on the host (Python 3.11 by default); tests/test_image_memory.py runs the
same cases in both images (Python 3.13), and under a cgroup memory limit.
"""

from __future__ import annotations

import json
import resource
from functools import lru_cache, partial
from pathlib import Path
from typing import Callable, Iterator, Protocol

import gmpy2
import pytest
from rie import HostRie, status_kib

from fastfib import fib_mod

EVENTS = Path(__file__).resolve().parents[1] / "events"
MB = 1_000_000
pytestmark = pytest.mark.rie

#: Headrooms above the runtime's mappings, in MiB.
HEADROOMS_MIB = [16, 24, 32, 48, 100]

LONG_N = "7" * (6 * MB)
GOOD_RAW, GOOD_RAW_ANSWER = b'{"n":12}', b'{"result":144}'


class Runtime(Protocol):
    def invoke(self, payload: bytes | str, timeout: float = ...) -> tuple[int, bytes]: ...
    def runtime_pid(self) -> int: ...


@lru_cache(maxsize=None)
def long_n_mod_97() -> int:
    return int(fib_mod(int(gmpy2.mpz(LONG_N)), 97))


def _proxy(name: str, **changes: object) -> bytes:
    event = json.loads((EVENTS / f"{name}.json").read_text())
    event.update(changes)
    return json.dumps(event).encode()


def _long_n_events() -> dict[str, tuple[str, bytes, bool]]:
    """Event id: (handler, event, with mod) for a 6·10^6-digit n in every place an n can come from."""
    with_mod = '{"n": %s, "mod": 97}' % LONG_N
    return {
        "raw-mod": ("raw", b'{"n":%s,"mod":97}' % LONG_N.encode(), True),
        "raw-no-mod": ("raw", b'{"n":%s}' % LONG_N.encode(), False),
        "raw-string-mod": ("raw", b'{"n":"%s","mod":97}' % LONG_N.encode(), True),
        "v2-body-mod": ("apigw", _proxy("apigw_v2", body=with_mod), True),
        "v2-query-no-mod": ("apigw", _proxy("function_url", rawQueryString="n=" + LONG_N), False),
        "alb-query-mod": ("apigw", _proxy("alb", queryStringParameters={"n": LONG_N, "mod": "97"}), True),
        "v1-path-no-mod": ("apigw", _proxy("apigw_v1", pathParameters={"n": LONG_N}), False),
    }


#: Decoding these takes far more memory than their size: 6 MB of empty arrays is about 2·10^6 lists.
NESTED_BODY = _proxy("apigw_v2", body='{"n": 7, "x": [%s]}' % ",".join(["[]"] * (2 * MB)))
NESTED_RAW = b'{"n":7,"x":[%s]}' % b",".join([b"[]"] * (2 * MB))


#: Run in a container (as the runtime's own user, which may set its limits): RLIMIT_AS of RIE's child, the
#: runtime, to its mappings plus argv[1] MiB, or no limit for -1.
IN_CONTAINER_PRLIMIT = """
import os, resource, sys
for pid in filter(str.isdigit, os.listdir("/proc")):
    if open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1] == "1":
        size = next(int(l.split()[1]) for l in open(f"/proc/{pid}/status") if l.startswith("VmSize:")) * 1024
        mib = int(sys.argv[1])
        soft = resource.RLIM_INFINITY if mib < 0 else size + (mib << 20)
        resource.prlimit(int(pid), resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))
"""


def _set_headroom(runtime: Runtime, headroom_mib: int) -> None:
    """The runtime's RLIMIT_AS at its mappings plus ``headroom_mib`` MiB (-1: no limit), as prlimit sets it.

    In a container, from inside it: the runtime's user may set its own
    limits, where the host's root may lack CAP_SYS_RESOURCE.
    """
    exec_in = getattr(runtime, "exec", None)
    if exec_in is not None:
        exec_in("/usr/bin/python3", "-c", IN_CONTAINER_PRLIMIT, str(headroom_mib))
        return
    try:
        pid = runtime.runtime_pid()
    except LookupError:  # no runtime now (it died): nothing to set
        assert headroom_mib < 0
        return
    soft = resource.RLIM_INFINITY if headroom_mib < 0 else status_kib(pid, "VmSize") * 1024 + (headroom_mib << 20)
    try:
        resource.prlimit(pid, resource.RLIMIT_AS, (soft, resource.RLIM_INFINITY))
    except ProcessLookupError:  # it died: the call's assertions say so
        assert headroom_mib < 0


def limited(runtime: Runtime, handler: str, headroom_mib: int, call: Callable[[], None]) -> None:
    """Run ``call`` (a case, then a good call) with the runtime's RLIMIT_AS at its mappings plus ``headroom_mib``."""
    assert runtime.invoke(GOOD_RAW if handler == "raw" else _proxy("apigw_v1"))[0] == 200  # the runtime is up
    _set_headroom(runtime, headroom_mib)
    try:
        call()
    finally:
        _set_headroom(runtime, -1)


UNMARSHAL_REFUSAL = "Unable to unmarshal input: the event is too large to decode in the memory free now"


#: apigw's answer to an event too large to decode at all (behind API Gateway an unmarshal error would be a 502).
UNDECODABLE_HTTP = {"error": "the event is too large to decode in the memory free now"}


def _outcome(status: int, body: bytes, handler: str) -> dict[str, str]:
    """RIE's answer as JSON: never the runtime's death (Runtime.ExitError); an unmarshal failure only from
    the raw handler, with its reason; from apigw, an HTTP response."""
    assert status == 200, (status, body[:300])
    assert b"Runtime.ExitError" not in body, body[:300]
    answer = json.loads(body)
    if handler == "raw" and answer.get("errorType") == "Runtime.UnmarshalError":  # too little memory to decode it
        assert answer["errorMessage"] == UNMARSHAL_REFUSAL, answer
    if handler == "apigw":
        assert "statusCode" in answer, answer
    return answer  # type: ignore[no-any-return]


def check_long_n(runtime: Runtime, handler: str, event: bytes, with_mod: bool) -> None:
    answer = _outcome(*runtime.invoke(event, timeout=120), handler)
    if answer.get("errorType") == "Runtime.UnmarshalError":
        pass
    elif handler == "raw":
        if "result" in answer:
            assert with_mod and answer["result"] == long_n_mod_97()
        else:
            assert answer["errorType"] == "InputTooLarge", answer
            message = answer["errorMessage"]
            assert message.startswith("n=<6000000-digit integer> is ")
            assert ("too long to read in the memory free now" in message) if with_mod else ("above the limit" in message)
    else:
        inner = json.loads(answer["body"])
        if answer["statusCode"] == 200:
            assert with_mod and inner == {"result": long_n_mod_97()}
        else:
            assert answer["statusCode"] == 422, answer
            if inner != UNDECODABLE_HTTP:
                assert inner["error"].startswith("n=<6000000-digit integer> is ")
                assert with_mod or "above the limit" in inner["error"]
    _good_call(runtime, handler)


def _good_call(runtime: Runtime, handler: str) -> None:
    if handler == "raw":
        assert runtime.invoke(GOOD_RAW) == (200, GOOD_RAW_ANSWER)
    else:
        assert json.loads(runtime.invoke(_proxy("apigw_v1"))[1])["statusCode"] == 200


def check_nested_body(runtime: Runtime) -> None:
    outer = _outcome(*runtime.invoke(NESTED_BODY, timeout=120), "apigw")
    assert outer["statusCode"] in (200, 422), outer
    if outer["statusCode"] == 422:  # the body, or the event itself, was too large to decode
        body = json.loads(outer["body"])
        assert body in ({"error": "the request is too large to decode in the memory free now"}, UNDECODABLE_HTTP), body
    _good_call(runtime, "apigw")


def check_nested_raw(runtime: Runtime) -> None:
    answer = _outcome(*runtime.invoke(NESTED_RAW, timeout=120), "raw")
    assert answer == {"result": 13} or answer["errorType"] == "Runtime.UnmarshalError", answer
    _good_call(runtime, "raw")


# --- on the host -----------------------------------------------------------------


@pytest.fixture(scope="module")
def runtimes() -> Iterator[dict[str, HostRie]]:
    with HostRie("fastfib.handlers.raw") as raw, HostRie("fastfib.handlers.apigw") as apigw:
        yield {"raw": raw, "apigw": apigw}


LONG_N_EVENTS = _long_n_events()


@pytest.mark.parametrize("headroom_mib", HEADROOMS_MIB)
@pytest.mark.parametrize("case", LONG_N_EVENTS)
def test_long_n_under_address_space_headroom(runtimes: dict[str, HostRie], case: str, headroom_mib: int) -> None:
    handler, event, with_mod = LONG_N_EVENTS[case]
    runtime = runtimes[handler]
    limited(runtime, handler, headroom_mib, lambda: check_long_n(runtime, handler, event, with_mod))


@pytest.mark.parametrize("headroom_mib", HEADROOMS_MIB)
def test_nested_body_under_address_space_headroom(runtimes: dict[str, HostRie], headroom_mib: int) -> None:
    limited(runtimes["apigw"], "apigw", headroom_mib, lambda: check_nested_body(runtimes["apigw"]))


@pytest.mark.parametrize("headroom_mib", HEADROOMS_MIB)
def test_nested_raw_event_under_address_space_headroom(runtimes: dict[str, HostRie], headroom_mib: int) -> None:
    limited(runtimes["raw"], "raw", headroom_mib, lambda: check_nested_raw(runtimes["raw"]))


def test_large_events_one_after_another_at_the_lowest_headroom(runtimes: dict[str, HostRie]) -> None:
    # The runtime client's buffer for one 6 MB event stayed mapped, and the
    # next one at 16 MiB then aborted it (std::bad_alloc in awslambdaric's
    # native client), unless malloc gives large blocks back at once.
    handler, event, with_mod = LONG_N_EVENTS["raw-string-mod"]
    runtime = runtimes[handler]
    for _ in range(10):  # without it, one run in two aborted within these
        limited(runtime, handler, HEADROOMS_MIB[0], partial(check_long_n, runtime, handler, event, with_mod))


def test_the_issues_long_n_with_a_256_bit_mod_is_answered_exactly(runtimes: dict[str, HostRie]) -> None:
    # At the work ceiling: 6·10^6 digits times 4 words.  5^110 is odd (the
    # Montgomery loop) and its Pisano period, 4 * 5^110, gives the answer.
    from fastfib import _core

    m = 5**110
    assert m.bit_length() == 256
    expected = _core._fib_mod_mpz_calls(int(gmpy2.mpz(LONG_N)) % (4 * m), m)
    body = json.dumps({"n": 0, "mod": m}).replace('"n": 0', '"n": ' + LONG_N)
    outer = json.loads(runtimes["apigw"].invoke(_proxy("apigw_v2", body=body), timeout=120)[1])
    assert outer["statusCode"] == 200 and json.loads(outer["body"]) == {"result": expected}
