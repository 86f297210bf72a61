"""The container images, built for real with docker and run under RIE.

The session builds the local stand-in bases (make offline-bases), then the
Lambda image, the image without its bytecode layer, and the RIE test image,
exactly as a user would with make.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Iterator

import gmpy2
import pytest
from containers import ContainerRie, docker, image_files, image_size, layers, make, offline_make_args
from rie import free_port, invoke, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
FINAL, NOBYTECODE, TEST_IMAGE = "fastfib:latest", "fastfib:nobytecode", "testfastfib:latest"
MB = 1_000_000


pytestmark = pytest.mark.docker

@pytest.fixture(scope="session")
def build_args() -> list[str]:
    docker("info")  # a clear failure here means: run scripts/start-docker.sh
    return offline_make_args()


@pytest.fixture(scope="session")
def images(build_args: list[str]) -> list[str]:
    started = time.monotonic()
    make("lambda", "lambda-nobytecode", "testlambda", *build_args)
    print(f"images built in {time.monotonic() - started:.0f} s")
    return build_args


@pytest.fixture(scope="module")
def raw_container(images: list[str]) -> Iterator[ContainerRie]:
    with ContainerRie(TEST_IMAGE, "fastfib.handlers.raw") as c:
        yield c


@pytest.fixture(scope="module")
def apigw_container(images: list[str]) -> Iterator[ContainerRie]:
    with ContainerRie(TEST_IMAGE, "fastfib.handlers.apigw") as c:
        yield c


def test_raw_handler_in_container(raw_container: ContainerRie) -> None:
    assert raw_container.invoke('{"n":7}') == (200, b'{"result":13}')
    status, body = raw_container.invoke('{"n":1000000}')
    assert status == 200
    assert body == b'{"result":' + gmpy2.digits(gmpy2.fib(10**6)).encode() + b"}"
    error = json.loads(raw_container.invoke('{"n":"7"}')[1])
    assert error["errorType"] == "InvalidInput" and "n must be an integer" in error["errorMessage"]
    assert raw_container.invoke('{"n":-8}') == (200, b'{"result":-21}')


def test_apigw_handler_in_container(apigw_container: ContainerRie) -> None:
    assert apigw_container.invoke((EVENTS / "apigw_v2.json").read_bytes()) == (
        200,
        b'{"statusCode":200,"headers":{"Content-Type":"application/json"},'
        b'"body":"{\\"result\\":233}","isBase64Encoded":false}',
    )
    event = json.loads((EVENTS / "apigw_v2.json").read_text())
    event["body"] = '{"n": 1e3}'
    outer = json.loads(apigw_container.invoke(json.dumps(event))[1])
    assert outer["statusCode"] == 400 and "n must be an integer" in json.loads(outer["body"])["error"]
    assert apigw_container.invoke((EVENTS / "function_url.json").read_bytes())[1].endswith(
        b'"body":"{\\"result\\":233}","isBase64Encoded":false}'
    )


def test_final_image_holds_only_the_runtime(images: list[str]) -> None:
    modes = image_files(FINAL)
    files = sorted(modes)
    names = set(files)
    assert not names & {"bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/bash", "bin/dash", "usr/bin/dash"}
    assert not [f for f in files if re.search(r"(^|/)(pip|Cython|setuptools)/__init__\.py$", f)]
    assert not [f for f in files if re.search(r"^(usr/)?(local/)?s?bin/(gcc|cc|c\+\+|g\+\+|\S*-gcc[-0-9]*|ld|as|cython)$", f)]
    assert not [f for f in files if f.endswith((".pyx", ".c", ".h", ".pxd"))]
    assert not [f for f in files if re.search(r"^(usr/)?s?bin/(dpkg|apt|apt-get|pip3?)$", f)]
    assert any(f.startswith("var/task/fastfib/_core.") and f.endswith(".so") for f in files)
    assert "var/task/fastfib/handlers.py" in names
    assert not [f for f in files if f.startswith("home/nonroot/")]
    ours = [f for f in files if f.startswith("var/task/") or "__pycache__" in f]
    assert len(ours) > 100
    unreadable = [f for f in ours if not modes[f] & 0o004]
    assert unreadable == [], "every file must be readable by any user"


def test_final_image_config_and_user(images: list[str]) -> None:
    config = json.loads(docker("image", "inspect", "--format", "{{json .Config}}", FINAL))
    assert config["Entrypoint"] == ["/usr/bin/python3", "-m", "awslambdaric"]
    assert config["Cmd"] == ["fastfib.handlers.raw"]
    assert config["User"] in ("65532", "65532:65532")
    code = (
        "import os, fastfib\n"
        "libs = {os.path.realpath(l.split()[-1]) for l in open('/proc/self/maps') if 'libgmp' in l}\n"
        "print(os.getuid(), os.getgid(), fastfib.fib(100), len(libs))"
    )
    out = docker("run", "--rm", "--network", "host", "--read-only", "--entrypoint", "/usr/bin/python3", FINAL, "-c", code)
    assert out.split() == ["65532", "65532", "354224848179261915075", "1"]  # one libgmp, stripped or not


def test_memory_limit_of_the_container_is_respected(images: list[str]) -> None:
    # A result that cannot fit raises OverflowError at once instead of being
    # OOM-killed, and the largest n allowed still completes, digits included.
    code = (
        "import fastfib, fastfib._args as a\n"
        "try:\n    fastfib.fib(3 * 10**9)\nexcept OverflowError as e:\n    print('refused:', e)\n"
        "print(len(fastfib.fib_digits(a.MAX_INDEX)), a.MAX_INDEX, a.MEMORY_LIMIT_BYTES >> 20)\n"
    )
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "host", "--memory", "128m", "--memory-swap", "128m", "--read-only",
         "--entrypoint", "/usr/bin/python3", FINAL, "-c", code],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    refused, sizes = proc.stdout.splitlines()
    assert refused.startswith("refused: n=3000000000 is too large") and "with 128 MiB of memory" in refused
    digits, max_index, limit_mib = map(int, sizes.split())
    assert limit_mib == 128 and max_index > 10**7
    # F(n) has floor(n log10(phi) - log10(sqrt 5)) + 1 digits
    assert abs(digits - (int(max_index * 0.20898764024997873 - 0.3494850021680094) + 1)) <= 1


def test_size_report(images: list[str], report) -> None:
    runtime_base = next(a.split("=", 1)[1] for a in images if a.startswith("RUNTIME_IMAGE="))
    base, final, nobc = image_size(runtime_base), image_size(FINAL), image_size(NOBYTECODE)
    history = layers(FINAL)
    base_layers = len(layers(runtime_base))
    added = history[: len(history) - base_layers]
    added_bytes = sum(size for _, size in added)
    bytecode_layer = final - nobc
    lines = [
        f"runtime base ({runtime_base}): {base / MB:.1f} MB",
        f"final image {FINAL}: {final / MB:.1f} MB",
        f"layers added on top of the base: {added_bytes / MB:.2f} MB, of which the stdlib bytecode layer {bytecode_layer / MB:.2f} MB",
        *(f"  {size / MB:8.2f} MB  {created[:90]}" for created, size in added if size),
    ]
    report("Image sizes", "\n".join(lines))
    assert added_bytes <= 8 * MB
    assert bytecode_layer <= 4 * MB


def test_nothing_compiles_at_start_up(images: list[str]) -> None:
    # python -v names the file each module's code comes from: a .py there
    # means it was compiled from source, which a read-only image repeats on
    # every cold start.
    for handler, payloads in [
        ("fastfib.handlers.raw", ['{"n":7}', '{"n":7.5}', '{"n":100000}']),
        ("fastfib.handlers.apigw", [(EVENTS / n).read_text() for n in ("apigw_v2.json", "alb.json", "apigw_v1.json")]),
    ]:
        with ContainerRie(TEST_IMAGE, handler, env={"PYTHONVERBOSE": "1"}) as c:
            for p in payloads:
                assert c.invoke(p)[0] == 200
            logs = c.logs()
        loaded = re.findall(r"# code object from '?([^'\s]+)'?", logs)
        assert len(loaded) > 50, logs[-2000:]
        from_source = [f for f in loaded if f.endswith(".py")]
        assert from_source == [], f"{handler} compiled from source: {from_source}"


def test_cold_start_table(images: list[str], report) -> None:
    from bench_coldstart import run

    table = run(starts=5, calls=200)
    report("Cold start (make bench-coldstart)", table)
    assert "INIT" in table


def test_make_run_answers_curl(images: list[str]) -> None:
    port, api_port = free_port(), free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(ROOT), "run", f"PORT={port}", f"RUNTIME_API_PORT={api_port}",
         "DOCKER_RUN_FLAGS=--network host", *images],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=60)
        assert invoke(port, '{"n":7}') == (200, b'{"result":13}')
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
