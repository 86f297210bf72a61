"""Find and compile the stdlib bytecode that the Lambda's INIT and first invocations need.

Runs at image build time, in the builder.  The runtime image's own tree is
at ROOT (copied from RUNTIME_IMAGE), with the installed code in
ROOT/var/task.  For each handler, the runtime's own interpreter runs the
real ``python -m awslambdaric <handler>`` in a chroot against a minimal fake
Lambda Runtime API served here, on 127.0.0.1, which hands it sample events
(good and bad) and collects the answers.  ``-X importtime`` names every
module imported along the way; the stdlib ones are compiled, by the same
runtime interpreter, with unchecked-hash invalidation (so mtimes lost in
COPY cannot make them stale), and copied into OUT with their final paths.
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


class FakeRuntimeApi(http.server.ThreadingHTTPServer):
    """Serves queued events on /invocation/next and counts the answers."""

    def __init__(self, events: list[bytes]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.events = list(events)
        self.answers: list[tuple[str, bytes]] = []
        self.done = threading.Event()
        self.total = len(events)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: FakeRuntimeApi

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if not self.path.endswith("/invocation/next"):
            self.send_error(404)
            return
        if not self.server.events:
            time.sleep(30)  # the runtime is killed before this returns
            return
        body = self.server.events.pop(0)
        request_id = f"trace-{self.server.total - len(self.server.events)}"
        self.send_response(200)
        self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
        self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
        self.send_header("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:trace")
        self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        payload = self.rfile.read(length)
        self.send_response(202)
        self.send_header("Content-Length", "0")
        self.end_headers()
        self.server.answers.append((self.path, payload))
        if "/init/error" in self.path or len(self.server.answers) >= self.server.total:
            self.server.done.set()


def runtime_env(api: FakeRuntimeApi, handler: str) -> dict[str, str]:
    """The environment Lambda gives the runtime, pointed at ``api``."""
    return {
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.server_address[1]}",
        "LAMBDA_TASK_ROOT": "/var/task",
        "PYTHONPATH": "/var/task",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_LAMBDA_FUNCTION_NAME": "trace",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "_HANDLER": handler,
    }


@dataclass(frozen=True)
class Scenario:
    """One traced run: a handler, extra environment, the events it is fed, and whether its INIT must fail."""

    handler: str
    events: tuple[bytes, ...]
    env: tuple[tuple[str, str], ...] = ()
    init_fails: bool = False

    def __str__(self) -> str:
        return " ".join([self.handler, *(f"{k}={v}" for k, v in self.env)])


def serve(cmd: list[str], scenario: Scenario) -> str:
    """Run ``cmd``, a runtime for the scenario's handler, against a fake Runtime API until it answered; its stderr."""
    server = FakeRuntimeApi(list(scenario.events))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**runtime_env(server, scenario.handler), **dict(scenario.env)}
    proc = subprocess.Popen(cmd, env=env, cwd="/", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    finished = server.done.wait(timeout=120)
    time.sleep(0.2)  # let the last answer's imports finish
    proc.kill()
    _, stderr = proc.communicate()
    server.shutdown()
    init_failed = any("/init/error" in a[0] for a in server.answers)
    if not finished or init_failed != scenario.init_fails:
        sys.exit(f"trace of {scenario} failed (answers: {server.answers!r}):\n{stderr[-4000:]}")
    return stderr


def trace(root: Path, python: str, scenario: Scenario) -> set[str]:
    """Module names imported while the scenario's handler starts and answers its events."""
    stderr = serve([CHROOT, str(root), python, "-X", "importtime", "-m", "awslambdaric", scenario.handler], scenario)
    return {m.group(1) for m in map(IMPORT_LINE.match, stderr.splitlines()) if m}


def plans(events_dir: Path) -> dict[str, list[bytes]]:
    """For each handler, the events a trace feeds it: every sample, and each kind of bad input."""
    ev = {f.stem: f.read_bytes() for f in events_dir.glob("*.json")}
    v2, v1, url = (json.loads(ev[name]) for name in ("apigw_v2", "apigw_v1", "function_url"))

    def edited(base: dict, **changes: object) -> bytes:
        return json.dumps({**base, **changes}).encode()

    return {
        "fastfib.handlers.raw": [
            ev["raw"], b'{"n":100000}', b'{"n":10,"mod":7}', b'{"n":-8}', b'{"n":7.0}', b'{"n":"7"}', b"{}", b"[7]",
            b'{"n":7,"mod":0}', b'{"n":99999999999}', b'{"n":1%s,"mod":1000}' % (b"0" * 5000), b"{",
        ],
        "fastfib.handlers.apigw": [
            ev["apigw_v2"], ev["apigw_v1"], ev["alb"], ev["function_url"],
            edited(v2, requestContext={**v2["requestContext"], "http": {"method": "PUT"}}),
            edited(v2, body="{"), edited(v2, body='{"n": 13.5}'), edited(v2, body='{"n": 100000000}'),
            edited(v2, body="eyJuIjogMTN9", isBase64Encoded=True), edited(v2, body="bm90IGpzb24=", isBase64Encoded=True),
            edited(v2, body="%%%", isBase64Encoded=True),
            edited(url, rawQueryString="n=abc"), edited(url, rawQueryString="n=7&n=8"),
            edited(v1, pathParameters={"n": "1e3"}), edited(v1, pathParameters=None),
            b'{"n": 7}', b"[1]",
        ],
    }  # fmt: skip


def stdlib_sources(root: Path, stdlib: str, modules: set[str]) -> list[str]:
    """Runtime paths of the stdlib source files behind ``modules``."""
    found = []
    for name in sorted(modules):
        rel = name.replace(".", "/")
        for candidate in (f"{stdlib}/{rel}.py", f"{stdlib}/{rel}/__init__.py"):
            if (root / candidate.lstrip("/")).is_file():
                found.append(candidate)
                break
    return found


def scenarios(events_dir: Path) -> list[Scenario]:
    """What the tracers run: both handlers on their plans, JSON and WARN logging, and an INIT that fails."""
    raw, apigw = "fastfib.handlers.raw", "fastfib.handlers.apigw"
    p = plans(events_dir)
    json_logs = (("AWS_LAMBDA_LOG_FORMAT", "JSON"),)
    return [
        Scenario(raw, tuple(p[raw])),
        Scenario(apigw, tuple(p[apigw])),
        Scenario(raw, tuple(p[raw][:8]), json_logs),
        Scenario(apigw, tuple(p[apigw][:8]), json_logs),
        Scenario(raw, tuple(p[raw][:8]), (*json_logs, ("AWS_LAMBDA_LOG_LEVEL", "WARN"))),
        Scenario(raw, tuple(p[raw][:1]), (("FASTFIB_MAX_N", "lots"),), init_fails=True),
    ]


COMPILE = """
import importlib.util, py_compile, sys
for path in sys.argv[1:]:
    py_compile.compile(path, cfile=importlib.util.cache_from_source(path), dfile=path, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
    print(importlib.util.cache_from_source(path))
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, required=True, help="the runtime image's tree, with /var/task installed")
    p.add_argument("--python", default="/usr/bin/python3", help="the runtime's interpreter, inside --root")
    p.add_argument("--events", type=Path, required=True, help="folder of sample events")
    p.add_argument("--out", type=Path, required=True, help="where the .pyc files go, under their final paths")
    args = p.parse_args()

    modules: set[str] = set()
    for scenario in scenarios(args.events):
        found = trace(args.root, args.python, scenario)
        print(f"{scenario}: {len(found)} modules imported", file=sys.stderr)
        modules |= found

    probe = [args.python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]
    stdlib = subprocess.run([CHROOT, str(args.root), *probe], check=True, capture_output=True, text=True).stdout.strip()
    sources = stdlib_sources(args.root, stdlib, modules)
    compiled = subprocess.run(
        [CHROOT, str(args.root), args.python, "-c", COMPILE, *sources], check=True, capture_output=True, text=True
    ).stdout.split()
    for pyc in compiled:
        target = args.out / pyc.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(args.root / pyc.lstrip("/"), target)
        os.chmod(target, 0o644)
    size = sum((args.out / c.lstrip("/")).stat().st_size for c in compiled)
    print(f"stdlib bytecode: {len(compiled)} modules, {size / 1024:.0f} KiB, from {stdlib}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
