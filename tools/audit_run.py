"""Run the Lambda runtime as ``python -m awslambdaric HANDLER`` does, logging every file Python opens.

For tests only, mounted into a container: ``python3 audit_run.py HANDLER``.
An audit hook (PEP 578) appends one line per file to ``$AUDIT_LOG`` (default
/tmp/audit.log): every ``open`` event (source, bytecode, data files; also what
linecache reads for tracebacks), every extension module loaded, and the
files of the modules that were imported before the hook existed.  Shared
libraries are not seen here: read the process's /proc/PID/maps for those.
"""

from __future__ import annotations

import os
import sys

_LOG = os.open(os.environ.get("AUDIT_LOG", "/tmp/audit.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _record(path: object) -> None:
    if isinstance(path, (str, bytes)):
        # os.write raises no audit event, so the hook never calls itself.
        os.write(_LOG, os.path.abspath(os.fsdecode(path)).encode("utf-8", "surrogateescape") + b"\n")


def _hook(event: str, args: tuple) -> None:
    if event == "open":
        _record(args[0])
    elif event == "import" and len(args) > 1 and args[1]:
        _record(args[1])  # an extension module's file


for _module in list(sys.modules.values()):
    _spec = getattr(_module, "__spec__", None)
    if _spec is not None and _spec.has_location and _spec.origin:
        _record(_spec.origin)
sys.addaudithook(_hook)

if __name__ == "__main__":
    import runpy

    sys.path[0] = os.getcwd()  # as -m has it
    runpy.run_module("awslambdaric", run_name="__main__", alter_sys=True)
