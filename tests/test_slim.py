"""What only the slim image (make lambda-slim, FROM scratch) promises.

The checks it shares with fastfib:latest (handlers through RIE, read-only
root, uid, no shell or tools, readable files, the file audit) run in
test_image.py, parametrized over both images.
"""

from __future__ import annotations

import stat
import subprocess
from typing import Iterator

import pytest
from containers import built_images, image_entries, layers

SLIM = "fastfib:slim"

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def entries() -> Iterator[dict]:
    built_images()
    yield image_entries(SLIM)


def _python(code: str) -> tuple[str, str]:
    """Run ``code`` with the slim image's interpreter, read-only root, as its user; (stdout, stderr)."""
    proc = subprocess.run(
        ["docker", "run", "--rm", "--network", "host", "--read-only", "--entrypoint", "/usr/bin/python3", SLIM, "-c", code],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def test_built_from_scratch_in_one_layer(entries: dict) -> None:
    with_content = [created for created, size in layers(SLIM) if size]
    assert len(with_content) == 1 and "COPY" in with_content[0], with_content


def test_users_and_tmp(entries: dict) -> None:
    out, _ = _python("import pwd, grp; print(pwd.getpwuid(65532).pw_name, grp.getgrgid(65532).gr_name)")
    assert out.split() == ["nonroot", "nonroot"]
    tmp = entries["tmp"]
    assert tmp.isdir() and stat.S_IMODE(tmp.mode) == 0o1777


def test_no_python_sources_and_nothing_writable(entries: dict) -> None:
    names = set(entries)
    assert not [n for n in names if n.endswith(".py") or "__pycache__" in n]
    assert "usr/lib/python3.13/json/__init__.pyc" in names and "var/task/fastfib/handlers.pyc" in names
    files = [m for m in entries.values() if m.isfile() or m.isdir()]
    writable = [m.name for m in files if m.mode & 0o022 and m.name.rstrip("/") != "tmp"]
    assert writable == []
    assert {(m.uid, m.gid) for m in files} == {(0, 0)}


def test_interpreter_starts_clean_on_sourceless_stdlib(entries: dict) -> None:
    # No "Could not find platform independent libraries": os.pyc is the
    # stdlib landmark, and the stdlib loads from sourceless bytecode.
    out, err = _python(
        "import sys, json, fastfib.handlers\n"
        "print(type(json.__spec__.loader).__name__, sys.prefix, sys.getfilesystemencoding(), fastfib.fib(94))"
    )
    assert err == ""
    assert out.split() == ["SourcelessFileLoader", "/usr", "utf-8", "19740274219868223167"]


def test_no_shell_to_exec(entries: dict) -> None:
    assert not {"bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/env", "usr/bin/pip", "usr/bin/pip3"} & set(entries)
    proc = subprocess.run(["docker", "run", "--rm", "--entrypoint", "/bin/sh", SLIM, "-c", "echo reached"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert proc.returncode != 0 and "reached" not in proc.stdout
    assert "no such file or directory" in proc.stderr.lower()
