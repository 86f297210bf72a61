"""Drive the official AWS Lambda Runtime Interface Emulator (RIE) on this host.

Used by the integration tests and the latency benchmark: start RIE around
``python -m awslambdaric <handler>`` on free 127.0.0.1 ports, invoke it over
HTTP exactly as curl would, and read what it logged.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Mapping, Optional

ROOT = Path(__file__).resolve().parents[1]
INVOKE_PATH = "/2015-03-31/functions/function/invocations"
_INIT_REPORT = re.compile(r"INIT REPORT\(durationMs: ([0-9.]+)\)")


def rie_binary() -> str:
    """Path of aws-lambda-rie: $RIE if set, else fetched by scripts/fetch-rie.sh."""
    if os.environ.get("RIE"):
        return os.environ["RIE"]
    out = subprocess.run(
        ["bash", str(ROOT / "scripts" / "fetch-rie.sh")], check=True, stdout=subprocess.PIPE, text=True, timeout=600
    )
    return out.stdout.strip().splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s") from None
            time.sleep(0.02)


def invoke(port: int, payload: bytes | str, timeout: float = 60.0) -> tuple[int, bytes]:
    """POST ``payload`` to the invocations endpoint on 127.0.0.1:port; return (HTTP status, body)."""
    data = payload.encode() if isinstance(payload, str) else payload
    request = urllib.request.Request(f"http://127.0.0.1:{port}{INVOKE_PATH}", data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def make_serve_and_invoke(
    target: str, payload: bytes | str, *make_args: str, timeout: float = 60.0
) -> tuple[tuple[int, bytes], str]:
    """Run ``make TARGET PORT=… RUNTIME_API_PORT=…`` (make serve, make run), invoke it once, then stop it.

    Returns the invocation's (HTTP status, body) and everything make printed.
    make and what it starts run in a session of their own, stopped as one.
    """
    import signal

    port, api_port = free_port(), free_port()
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "-C", str(ROOT), target, f"PORT={port}", f"RUNTIME_API_PORT={api_port}", *make_args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, timeout=timeout)
        answer = invoke(port, payload)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    return answer, output


def init_durations_ms(log: str) -> list[float]:
    """Every ``INIT REPORT(durationMs: …)`` figure in an RIE log, in order."""
    return [float(x) for x in _INIT_REPORT.findall(log)]


def child_pid(parent: int, what: str) -> int:
    """PID of a child of ``parent`` (RIE's runtime process, once it has been invoked)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            return int(stat.parent.name)
    raise LookupError(f"{what} has no runtime process (invoke it once first)")


def status_kib(pid: int, field: str) -> int:
    """A memory field of /proc/PID/status in KiB: VmRSS (now) or VmHWM (the peak so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(f"no {field} line")


class HostRie:
    """RIE on the host around ``python -m awslambdaric HANDLER``; a context manager."""

    def __init__(
        self,
        handler: str,
        env: Optional[Mapping[str, str]] = None,
        python: str = sys.executable,
        rie: Optional[str] = None,
        port: Optional[int] = None,
    ) -> None:
        self.handler = handler
        self.env = {**os.environ, **(env or {})}
        self.python = python
        self.rie = rie or rie_binary()
        self.port = port or free_port()
        self.api_port = free_port()
        self._log = tempfile.NamedTemporaryFile(prefix="rie-", suffix=".log", delete=False)
        self.proc: Optional[subprocess.Popen[bytes]] = None

    def start(self) -> HostRie:
        cmd = [
            self.rie,
            "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
            "--runtime-api-address", f"127.0.0.1:{self.api_port}",
            self.python, "-m", "awslambdaric", self.handler,
        ]  # fmt: skip
        # cwd outside the source tree, so the installed fastfib is the one imported.
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT, env=self.env, cwd=tempfile.gettempdir())
        wait_for_port(self.port)
        return self

    def invoke(self, payload: bytes | str, timeout: float = 60.0) -> tuple[int, bytes]:
        return invoke(self.port, payload, timeout)

    def log(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def runtime_pid(self) -> int:
        """PID of the Python runtime process that RIE started (after the first invocation)."""
        assert self.proc is not None
        return child_pid(self.proc.pid, "RIE")

    def runtime_rss_kib(self, field: str = "VmRSS") -> int:
        """The runtime process's resident memory now (VmRSS), or its peak so far (field="VmHWM")."""
        return status_kib(self.runtime_pid(), field)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> HostRie:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        os.unlink(self._log.name)
