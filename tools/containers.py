"""Build the images with make and run them under RIE with docker, for tests and benchmarks.

Containers run with --network host, RIE bound to 127.0.0.1 on a free port,
and a read-only root filesystem with a tmpfs /tmp, as on Lambda.
"""

from __future__ import annotations

import io
import json
import shlex
import subprocess
import tarfile
import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence

from rie import child_pid, free_port, invoke, status_kib, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
RIE_IN_TEST_IMAGE = "/usr/local/bin/aws-lambda-rie"


def docker(*args: str, check: bool = True, timeout: float = 600) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"docker {shlex.join(args)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def make(*targets: str, timeout: float = 1800) -> str:
    """Run make in the repository; return its stdout (stderr passes through)."""
    proc = subprocess.run(["make", "--no-print-directory", "-C", str(ROOT), *targets], stdout=subprocess.PIPE,
                          text=True, timeout=timeout)  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"make {shlex.join(targets)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return proc.stdout


def offline_make_args(arch: str = "x86_64") -> list[str]:
    """The `make offline-bases ARCH=arch` line: BUILDER_IMAGE=… RUNTIME_IMAGE=… DEBUG_RUNTIME_IMAGE=… RIE=…,
    plus ARCH and host networking."""
    last = make("offline-bases", f"ARCH={arch}").strip().splitlines()[-1]
    return [*shlex.split(last), f"ARCH={arch}", "DOCKER_BUILD_FLAGS=--network host"]


@lru_cache(maxsize=None)
def built_images() -> tuple[str, ...]:
    """Build every image the tests use, once per process, as a user would with make; the make arguments used."""
    docker("info")  # a clear failure here means: run scripts/start-docker.sh
    args = tuple(offline_make_args())
    make("lambda", "lambda-nobytecode", "testlambda", "lambda-slim", "testlambda-slim", *args)
    return args


def image_size(image: str) -> int:
    return int(docker("image", "inspect", "--format", "{{.Size}}", image).strip())


def layers(image: str) -> list[tuple[str, int]]:
    """(created-by, size) for each layer, newest first, from docker history."""
    out = docker("history", "--no-trunc", "--format", "{{json .}}", image)
    rows = []
    for line in out.splitlines():
        row = json.loads(line)
        rows.append((row["CreatedBy"], _parse_size(row["Size"])))
    return rows


def _parse_size(text: str) -> int:
    units = {"B": 1, "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3}
    for unit in sorted(units, key=len, reverse=True):
        if text.endswith(unit):
            return int(float(text[: -len(unit)]) * units[unit])
    return int(text)


def image_entries(image: str) -> dict[str, tarfile.TarInfo]:
    """Every path in the image's filesystem (via docker export), with its tar header: mode, type, link target."""
    cid = docker("create", image).strip()
    try:
        export = subprocess.run(["docker", "export", cid], capture_output=True, check=True, timeout=300)
    finally:
        docker("rm", "-f", cid, check=False)
    with tarfile.open(fileobj=io.BytesIO(export.stdout)) as tar:
        return {m.name.rstrip("/"): m for m in tar.getmembers()}


def image_files(image: str) -> dict[str, int]:
    """Every path in the image's filesystem with its mode bits."""
    return {name: m.mode for name, m in image_entries(image).items()}


def resolve_in(entries: dict[str, tarfile.TarInfo], path: str) -> str | None:
    """The listing key where ``path`` (absolute) ends after following symlinks inside the image; None if absent."""
    parts = [p for p in path.split("/") if p]
    current: list[str] = []
    for _ in range(200):
        if not parts:
            return "/".join(current)
        name = parts.pop(0)
        if name == "..":
            current = current[:-1]
            continue
        if name == ".":
            continue
        entry = entries.get("/".join([*current, name]))
        if entry is None:
            return None
        if entry.issym():
            target = entry.linkname
            parts = [p for p in target.split("/") if p] + parts
            if target.startswith("/"):
                current = []
        else:
            current.append(name)
    raise RuntimeError(f"too many symlinks resolving {path}")


class ContainerRie:
    """A container whose entrypoint is RIE, serving one handler on 127.0.0.1:port; a context manager.

    ``rie`` is the RIE path inside the container; ``mounts`` and ``env`` are
    extra ``-v`` and ``-e`` values; ``runtime`` is the command RIE starts for
    the handler.  The root filesystem is read-only.  It offers the methods of
    ``rie.HostRie`` that tests use, so the same test cases run against either.
    """

    def __init__(
        self,
        image: str,
        handler: str,
        rie: str = RIE_IN_TEST_IMAGE,
        mounts: Sequence[str] = (),
        env: Optional[dict[str, str]] = None,
        extra: Sequence[str] = (),
        runtime: Sequence[str] = ("/usr/bin/python3", "-m", "awslambdaric"),
    ) -> None:
        self.image, self.handler, self.rie, self.runtime = image, handler, rie, list(runtime)
        self.port, self.api_port = free_port(), free_port()
        self.name = f"fastfib-test-{uuid.uuid4().hex[:12]}"
        self.args = ["--network", "host", "--read-only", "--tmpfs", "/tmp", *extra]
        for m in mounts:
            self.args += ["-v", m]
        for k, v in (env or {}).items():
            self.args += ["-e", f"{k}={v}"]

    def start(self) -> ContainerRie:
        docker(
            "run", "-d", "--name", self.name, *self.args, "--entrypoint", self.rie, self.image,
            "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
            "--runtime-api-address", f"127.0.0.1:{self.api_port}",
            *self.runtime, self.handler,
        )  # fmt: skip
        try:
            wait_for_port(self.port, timeout=30)
        except TimeoutError:
            raise TimeoutError(f"container {self.name} never listened:\n{self.logs()}") from None
        return self

    def invoke(self, payload: bytes | str, timeout: float = 60.0) -> tuple[int, bytes]:
        return invoke(self.port, payload, timeout)

    def logs(self) -> str:
        proc = subprocess.run(["docker", "logs", self.name], capture_output=True, text=True, timeout=60)
        return proc.stdout + proc.stderr

    def log(self) -> str:
        return self.logs()

    def exec(self, *argv: str) -> str:
        """Run ``argv`` in the running container (there is no shell: name a program); its stdout."""
        return docker("exec", self.name, *argv)

    def runtime_pid(self) -> int:
        """Host PID of the Python runtime that RIE started (after the first invocation)."""
        rie_pid = int(docker("inspect", "--format", "{{.State.Pid}}", self.name).strip())
        return child_pid(rie_pid, f"RIE in {self.name}")

    def runtime_rss_kib(self, field: str = "VmRSS") -> int:
        """The runtime process's resident memory now (VmRSS), or its peak so far (field="VmHWM")."""
        return status_kib(self.runtime_pid(), field)

    def stop(self) -> None:
        docker("rm", "-f", self.name, check=False)

    def __enter__(self) -> ContainerRie:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_for_log(container: ContainerRie, needle: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while True:
        logs = container.logs()
        if needle in logs or time.monotonic() > deadline:
            return logs
        time.sleep(0.05)
