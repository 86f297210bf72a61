"""template.yaml served by SAM CLI, as a Lambda developer would: `make local-api` and `make local-invoke`.

SAM (pinned, in its own venv: make sam) runs the debug image (make
lambda-debug, on the stand-in bases) behind its API Gateway emulator on
127.0.0.1, and curl-like requests go through it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Iterator, Optional

import pytest
from containers import docker, make, offline_make_args
from rie import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
DEBUG_IMAGE = "fastfib:debug"

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def sam_args() -> list[str]:
    docker("info")  # a clear failure here means: run scripts/start-docker.sh
    args = offline_make_args()
    started = time.monotonic()
    make("sam", "lambda-debug", *args)
    print(f"SAM venv and {DEBUG_IMAGE} ready in {time.monotonic() - started:.0f} s")
    return args


@pytest.fixture(scope="module")
def local_api(sam_args: list[str]) -> Iterator[int]:
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="local-api-", suffix=".log", delete=False)
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(ROOT), "local-api", f"PORT={port}", *sam_args],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        try:
            wait_for_port(port, timeout=180)
        except TimeoutError:
            raise TimeoutError(f"make local-api never listened:\n{Path(log.name).read_text()[-3000:]}") from None
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
        os.unlink(log.name)


def request(port: int, path: str, body: Optional[bytes] = None, method: str = "GET") -> tuple[int, str, Any]:
    """(status, Content-Type, decoded JSON body) of one request through SAM's API Gateway emulator."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=300) as resp:  # each request starts a container
            return resp.status, resp.headers.get("Content-Type", ""), json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), json.loads(err.read())


def test_get_path_parameter(local_api: int) -> None:
    assert request(local_api, "/fib/13") == (200, "application/json", {"result": 233})


def test_get_query_string(local_api: int) -> None:
    assert request(local_api, "/fib?n=20") == (200, "application/json", {"result": 6765})


def test_post_json_body(local_api: int) -> None:
    assert request(local_api, "/fib", b'{"n":30}', "POST") == (200, "application/json", {"result": 832040})


@pytest.mark.parametrize(
    "path, body, method, says",
    [
        ("/fib/abc", None, "GET", "n in the path must be a decimal integer"),
        ("/fib", b'{"n":', "POST", "body must be valid JSON"),
    ],
)
def test_bad_n_is_a_json_400(local_api: int, path: str, body: Optional[bytes], method: str, says: str) -> None:
    status, content_type, answer = request(local_api, path, body, method)
    assert (status, content_type) == (400, "application/json")
    assert list(answer) == ["error"] and says in answer["error"], answer


def test_local_invoke_raw_event(sam_args: list[str]) -> None:
    out = make("local-invoke", "FUNCTION=FibRawFunction", "EVENT=events/raw.json", *sam_args)
    assert json.loads(out.strip().splitlines()[-1]) == {"result": 13}, out[-2000:]
