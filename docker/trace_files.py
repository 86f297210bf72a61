"""Assemble the slim image's root: exactly the files the Lambda runtime touches, stdlib and code as sourceless bytecode.

Runs at image build time, in the builder, after ``trace_imports.py``.  ROOT
is the full image's tree (the runtime base, /var/task and the stdlib
bytecode layer).  For each handler the runtime's own interpreter runs the
real ``python -m awslambdaric <handler>`` in a chroot under ``strace -f``,
against the fake Runtime API of ``trace_imports.py`` with its sample events,
good and bad, with JSON logging and with an INIT that fails
(``trace_imports.scenarios``).  strace sees what no Python-level
hook can: the dynamic loader resolving shared libraries, the interpreter's
own start-up probes, and files C code opens.  Every path that a system call
reached successfully goes into OUT, with every symlink met on the way:

- a Python module's source or cached bytecode becomes one sourceless,
  unchecked-hash ``.pyc`` at the source's path (``json/decoder.pyc``),
  compiled by the runtime's interpreter; sources never enter OUT;
- other files are copied, directories made, symlinks recreated;
- modules in LEFT_OUT are hidden from the traced runs, which must still
  pass without them, so neither they nor the libraries only they load
  (ssl: libssl, libcrypto, libzstd; 8.7 MB) enter OUT;
- plus what a container needs and never "opens" at start: /etc/passwd and
  /etc/group with nonroot (65532), /tmp with mode 1777, and the wheels'
  license files.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import stat
import struct
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Iterator

from trace_imports import CHROOT, Scenario, scenarios, serve

STRACE = shutil.which("strace") or "/usr/bin/strace"
# pid syscall(args) = result: the first quoted argument is the path.
CALL = re.compile(r'^(\d+)\s+(\w+)\((?:(AT_FDCWD|\d+)(?:<([^>]*)>)?, )?"((?:[^"\\]|\\.)*)"(?:\.\.\.)?.*\)\s+=\s+(-?\d+)')
VIRTUAL = ("/proc", "/sys", "/dev", "/tmp")  # provided by the container runtime, or scratch space
PASSWD = "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" \
         "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"  # fmt: skip
GROUP = "root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n"
# Left out on purpose, with why; the traced runs must pass without them, and
# tests/test_image.py allows exactly these (and what only they load) to be missing.
LEFT_OUT = {
    "ssl": "http.client imports it under try/except ImportError, and awslambdaric posts an INIT error "
    "with http.client over plain HTTP to the local Runtime API",
}
PYC_IN_CACHE = re.compile(r"^(?P<dir>.*)/__pycache__/(?P<stem>[^/.]+)\.[\w-]+(\.opt-\d)?\.pyc$")


def strace_paths(root: Path, python: str, scenario: Scenario, log: Path) -> set[str]:
    """Absolute in-root paths that the runtime's system calls reached successfully."""
    cmd = [STRACE, "-f", "-qq", "-y", "-s", "4096", "-e", "trace=%file", "-o", str(log),
           CHROOT, str(root), python, "-m", "awslambdaric", scenario.handler]  # fmt: skip
    serve(cmd, scenario)
    prefix = str(root).rstrip("/")
    paths: set[str] = set()
    started = False  # lines before the interpreter's execve belong to chroot(1), outside the root
    pending: dict[str, str] = {}  # pid -> the start of a call another thread interrupted
    for line in log.read_text(errors="surrogateescape").splitlines():
        pid, _, rest = line.partition(" ")
        if rest.endswith("<unfinished ...>"):
            pending[pid] = rest[: -len("<unfinished ...>")]
            continue
        resumed = re.match(r"<\.\.\. \w+ resumed>(.*)", rest)
        if resumed:
            rest = pending.pop(pid, "") + resumed.group(1)
        m = CALL.match(f"{pid} {rest}")
        if not m:
            continue
        _, call, dirfd, dirpath, raw, result = m.groups()
        path = raw.encode("latin-1", "backslashreplace").decode("unicode_escape")
        if not started:
            started = call == "execve" and path == python and result == "0"
            if not started:
                continue
        if int(result) < 0 or call in ("chdir", "chroot"):
            continue
        if not path.startswith("/"):
            base = dirpath or "/"  # chroot(1) starts the runtime in /
            if base.startswith(prefix + "/") or base == prefix:
                base = base[len(prefix) :] or "/"
            path = f"{base.rstrip('/')}/{path}"
        paths.add(os.path.normpath(path))
    if not started:
        raise RuntimeError(f"no execve of {python} in {log}")
    return paths


def left_out_files(root: Path, stdlib: str) -> list[Path]:
    """The files of the LEFT_OUT modules in ``root``: source, cached bytecode, extension module."""
    lib = root / stdlib.lstrip("/")
    found: list[Path] = []
    for name in LEFT_OUT:
        found += [lib / f"{name}.py", *lib.glob(f"__pycache__/{name}.*.pyc"), *lib.glob(f"lib-dynload/_{name}.*.so")]
    return [f for f in found if f.exists()]


@contextlib.contextmanager
def hidden(files: list[Path]) -> Iterator[None]:
    """Rename ``files`` away for the duration, so the traced runtime cannot import them."""
    for f in files:
        f.rename(f.with_name(f.name + ".left-out"))
    try:
        yield
    finally:
        for f in files:
            f.with_name(f.name + ".left-out").rename(f)


def resolve(root: Path, path: str) -> tuple[list[str], str]:
    """The symlinks met while resolving ``path`` inside ``root``, and the in-root path it ends at."""
    links: list[str] = []
    parts = list(PurePosixPath(path).parts[1:])
    current = "/"
    hops = 0
    while parts:
        name = parts.pop(0)
        candidate = os.path.normpath(os.path.join(current, name))
        full = root / candidate.lstrip("/")
        if full.is_symlink():
            hops += 1
            if hops > 40:
                raise RuntimeError(f"symlink loop at {path}")
            links.append(candidate)
            target = os.readlink(full)
            base = "/" if target.startswith("/") else current
            parts = list(PurePosixPath(os.path.normpath(os.path.join(base, target))).parts[1:]) + parts
            current = "/"
        else:
            current = candidate
    return links, current


def elf_interpreter(path: Path) -> str | None:
    """The program interpreter (PT_INTERP) an ELF executable names: the kernel opens it, so strace never shows it."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            return None
        end = "<" if head[5] == 1 else ">"
        if head[4] == 2:  # 64-bit
            phoff, = struct.unpack_from(end + "Q", head, 32)
            phentsize, phnum = struct.unpack_from(end + "HH", head, 54)
            layout, fields = end + "IIQQQQQQ", (0, 2, 5)  # p_type, p_offset, p_filesz
        else:
            phoff, = struct.unpack_from(end + "I", head, 28)
            phentsize, phnum = struct.unpack_from(end + "HH", head, 42)
            layout, fields = end + "IIIIIIII", (0, 1, 4)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            entry = struct.unpack(layout, f.read(struct.calcsize(layout)))
            kind, offset, size = (entry[k] for k in fields)
            if kind == 3:  # PT_INTERP
                f.seek(offset)
                return f.read(size).rstrip(b"\0").decode()
    return None


def module_source(root: Path, path: str) -> str | None:
    """The source file of the module whose source or cached bytecode ``path`` is, else None."""
    m = PYC_IN_CACHE.match(path)
    if m:
        path = f"{m['dir']}/{m['stem']}.py"
    elif path.endswith(".pyc"):
        path = path[:-1]
    if path.endswith(".py") and (root / path.lstrip("/")).exists():
        return path
    return None


COMPILE = """
import py_compile, sys
for source, cfile in zip(sys.argv[1::2], sys.argv[2::2]):
    py_compile.compile(source, cfile=cfile, dfile=source, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


def assemble(root: Path, python: str, paths: set[str], out: Path) -> None:
    """Fill ``out`` with what ``paths`` need: bytecode for modules, copies of the rest, symlinks on the way."""
    sources: set[str] = set()
    for path in sorted(paths):
        if path.startswith(VIRTUAL) and path != "/tmp":
            continue
        source = module_source(root, path)
        if source:
            sources.add(source)
            continue
        if "/__pycache__" in path:
            continue  # a cache directory: its files are replaced by the sourceless .pyc
        _copy_resolved(root, path, out)
    # Compiled inside the chroot by the runtime's own interpreter, then moved out.
    staging = "/tmp/slim-pyc"
    pairs = [(s, f"{staging}{s}c") for s in sorted(sources)]
    for _, cfile in pairs:
        (root / cfile.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
    args = [a for pair in pairs for a in pair]
    subprocess.run([CHROOT, str(root), python, "-c", COMPILE, *args], check=True)
    for source, cfile in pairs:
        target = out / (source + "c").lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(root / cfile.lstrip("/")), target)
    shutil.rmtree(root / staging.lstrip("/"))


def _copy_resolved(root: Path, path: str, out: Path) -> None:
    """Copy ``path`` with every symlink met on the way, and the interpreter of an ELF executable."""
    links, final = resolve(root, path)
    for link in links:
        _copy(root, link, out)
    _copy(root, final, out)
    full = root / final.lstrip("/")
    if full.is_file() and not full.is_symlink() and os.access(full, os.X_OK):
        interpreter = elf_interpreter(full)
        if interpreter and not (out / interpreter.lstrip("/")).exists():
            _copy_resolved(root, interpreter, out)


def _copy(root: Path, path: str, out: Path) -> None:
    src, dst = root / path.lstrip("/"), out / path.lstrip("/")
    if dst.exists() or dst.is_symlink():
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    if src.is_symlink():
        os.symlink(os.readlink(src), dst)
    elif src.is_dir():
        dst.mkdir()
    else:
        shutil.copy2(src, dst)


def finish(root: Path, out: Path) -> None:
    """Users, /tmp, the wheels' licenses, and modes: root-owned, readable by all, writable by none but root."""
    (out / "etc").mkdir(exist_ok=True)
    (out / "etc/passwd").write_text(PASSWD)
    (out / "etc/group").write_text(GROUP)
    for license_file in (root / "var/task").glob("*.dist-info/licenses/**/*"):
        if license_file.is_file():
            _copy(root, "/" + str(license_file.relative_to(root)), out)
    for dirpath, dirnames, filenames in os.walk(out):
        for name in dirnames + filenames:
            p = Path(dirpath, name)
            if not p.is_symlink():
                mode = p.stat().st_mode
                p.chmod((stat.S_IMODE(mode) | 0o444 | (0o111 if stat.S_ISDIR(mode) else 0)) & ~0o022)
    (out / "tmp").mkdir(exist_ok=True)
    (out / "tmp").chmod(0o1777)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", type=Path, required=True, help="the full image's tree")
    p.add_argument("--python", default="/usr/bin/python3", help="the runtime's interpreter, inside --root")
    p.add_argument("--events", type=Path, required=True, help="folder of sample events")
    p.add_argument("--out", type=Path, required=True, help="the slim image's root, made here")
    p.add_argument("--log-dir", type=Path, default=Path("/tmp"), help="where the strace logs go")
    args = p.parse_args()

    probe = [args.python, "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"]
    stdlib = subprocess.run([CHROOT, str(args.root), *probe], check=True, capture_output=True, text=True).stdout.strip()
    paths: set[str] = set()
    with hidden(left_out_files(args.root, stdlib)):
        for i, scenario in enumerate(scenarios(args.events)):
            found = strace_paths(args.root, args.python, scenario, args.log_dir / f"strace-{i}.log")
            print(f"{scenario}: {len(found)} paths reached", file=sys.stderr)
            paths |= found
    args.out.mkdir(parents=True, exist_ok=True)
    assemble(args.root, args.python, paths, args.out)
    finish(args.root, args.out)
    files = [Path(d, f) for d, _, fs in os.walk(args.out) for f in fs]
    size = sum(f.lstat().st_size for f in files)
    print(f"slim root: {len(files)} files, {size / 1e6:.2f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
