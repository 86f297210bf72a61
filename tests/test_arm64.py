"""The linux/arm64 (Graviton) images, built and run under emulation on an x86_64 machine.

`make lambda testlambda ARCH=arm64` on the arm64 stand-in bases (make
offline-bases ARCH=arm64; scripts/enable-emulation.sh registers qemu-aarch64
in binfmt_misc). Times under emulation are reported, never asserted: they
say nothing about native arm64 speed.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import subprocess
import tarfile
import time
from pathlib import Path

import gmpy2
import pytest
from containers import ContainerRie, docker, image_size, make, offline_make_args, wait_for_log
from rie import init_durations_ms

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"
FINAL, TEST_IMAGE = "fastfib:latest-arm64", "testfastfib:latest-arm64"
EM_AARCH64 = 183  # ELF e_machine
MB = 1_000_000

pytestmark = pytest.mark.docker


@pytest.fixture(scope="session")
def arm64_build() -> dict[str, object]:
    docker("info")  # a clear failure here means: run scripts/start-docker.sh
    started = time.monotonic()
    args = offline_make_args("arm64")
    bases_s = time.monotonic() - started
    make("lambda", "testlambda", *args)
    return {"args": args, "bases_s": bases_s, "images_s": time.monotonic() - started - bases_s}


def elf_machines(image: str) -> dict[str, int]:
    """e_machine of every ELF regular file in the image's filesystem (via docker export)."""
    cid = docker("create", image).strip()
    try:
        export = subprocess.run(["docker", "export", cid], capture_output=True, check=True, timeout=300)
    finally:
        docker("rm", "-f", cid, check=False)
    machines = {}
    with tarfile.open(fileobj=io.BytesIO(export.stdout)) as tar:
        for member in tar.getmembers():
            if not member.isfile() or member.size < 20:
                continue
            head = tar.extractfile(member).read(20)  # type: ignore[union-attr]
            if head[:4] == b"\x7fELF":
                machines[member.name] = struct.unpack_from("<H", head, 18)[0]
    return machines


def test_image_configs_say_arm64(arm64_build: dict[str, object]) -> None:
    # Lambda refuses an image for an arm64 function unless its config says arm64.
    for image in (FINAL, TEST_IMAGE):
        assert docker("image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", image).strip() == "linux/arm64"


def test_every_binary_is_aarch64(arm64_build: dict[str, object]) -> None:
    machines = elf_machines(TEST_IMAGE)
    shared = [f for f in machines if f.endswith(".so") or ".so." in f.rsplit("/", 1)[-1]]
    assert any(f.startswith("var/task/fastfib/_core.") for f in shared)
    assert any("libgmp" in f for f in shared) and len(shared) > 20
    assert {"usr/bin/python3.13", "usr/local/bin/aws-lambda-rie"} <= set(machines)
    assert {f: m for f, m in machines.items() if m != EM_AARCH64} == {}


def test_raw_handler_under_arm64_rie(arm64_build: dict[str, object], report) -> None:
    with ContainerRie(TEST_IMAGE, "fastfib.handlers.raw") as c:
        assert c.invoke('{"n":7}', timeout=120) == (200, b'{"result":13}')
        init = init_durations_ms(wait_for_log(c, "INIT REPORT", timeout=30))
        status, body = c.invoke('{"n":100000}', timeout=120)
        assert (status, body) == (200, b'{"result":' + gmpy2.digits(gmpy2.fib(10**5)).encode() + b"}")
        error = json.loads(c.invoke('{"n":"7"}', timeout=120)[1])
        assert error["errorType"] == "InvalidInput" and "n must be an integer" in error["errorMessage"]
    report(
        "arm64 under emulation (qemu-user; not comparable to native arm64)",
        f"stand-in bases (make offline-bases ARCH=arm64): {arm64_build['bases_s']:.0f} s\n"
        f"images (make lambda testlambda ARCH=arm64): {arm64_build['images_s']:.0f} s\n"
        f"INIT of the raw handler: {init[0] if init else float('nan'):.0f} ms\n"
        f"{FINAL}: {image_size(FINAL) / MB:.1f} MB, {TEST_IMAGE}: {image_size(TEST_IMAGE) / MB:.1f} MB, "
        f"x86_64 fastfib:latest: {_size_or_none('fastfib:latest')}",
    )


def test_apigw_handler_under_arm64_rie(arm64_build: dict[str, object]) -> None:
    with ContainerRie(TEST_IMAGE, "fastfib.handlers.apigw") as c:
        status, body = c.invoke((EVENTS / "apigw_v2.json").read_bytes(), timeout=120)
        assert status == 200
        outer = json.loads(body)
        assert outer["statusCode"] == 200 and json.loads(outer["body"]) == {"result": 233}
        event = json.loads((EVENTS / "apigw_v2.json").read_text())
        event["body"] = '{"n": 1e3}'
        outer = json.loads(c.invoke(json.dumps(event), timeout=120)[1])
        assert outer["statusCode"] == 400 and "n must be an integer" in json.loads(outer["body"])["error"]


def _size_or_none(image: str) -> str:
    try:
        return f"{image_size(image) / MB:.1f} MB"
    except RuntimeError:
        return "not built in this run"



# The NEON build of FLINT's NTT (cross-compiled on the host) against GMP's digits on this machine.
_NTT_CHECK = """
import hashlib, fastfib
print(fastfib.backend())
for n in (94, 1000, 100_001, 314_159, 1_000_000):
    print(n, hashlib.sha256(fastfib.fib_digits(n)).hexdigest())
"""


def test_the_arm64_image_computes_on_the_ntt_path(arm64_build: dict[str, object]) -> None:
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "none", "--read-only", "--entrypoint", "/usr/bin/python3",
         FINAL, "-c", _NTT_CHECK],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    backend, *rows = proc.stdout.splitlines()
    assert backend == "ntt"
    for row in rows:
        n, digest = row.split()
        assert digest == hashlib.sha256(gmpy2.digits(gmpy2.fib(int(n))).encode()).hexdigest(), n
    assert len(rows) == 5
