"""The built wheel: what it holds, what it pins, and that it installs cleanly."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import gmpy2
import pytest

ROOT = Path(__file__).resolve().parents[1]


pytestmark = pytest.mark.wheel

@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    (built,) = out.glob("fastfib-*.whl")
    return built


def test_wheel_contents_and_pin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as zf:
        names = zf.namelist()
        metadata = next(zf.read(n).decode() for n in names if n.endswith(".dist-info/METADATA"))
    assert any(n.startswith("fastfib/_core.") and n.endswith(".so") for n in names)
    assert {"fastfib/_core.pyi", "fastfib/py.typed", "fastfib/__init__.py"} <= set(names)
    assert not [n for n in names if n.endswith((".pyx", ".c", ".pxd"))]
    assert f"Requires-Dist: gmpy2=={gmpy2.__version__}" in metadata.splitlines()


def test_wheel_installs_into_fresh_venv(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True, timeout=600)
    proc = subprocess.run(
        [str(python), "-c", "import fastfib; print(fastfib.fib(100))"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,  # not the source tree, so the installed copy is imported
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "354224848179261915075\n"


def test_a_build_without_flint_passes_the_suite_on_the_gmp_path(wheel: Path, tmp_path: Path) -> None:
    # pip install . where no FLINT was built (no FASTFIB_FLINT_DIR): the core alone, and every
    # in-process test of the arithmetic passes on the GMP path.
    with zipfile.ZipFile(wheel) as zf:
        assert not [n for n in zf.namelist() if n.startswith("fastfib/_ntt") and n.endswith(".so")]
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    hypothesis = re.search(r'"(hypothesis[^"]*)"', (ROOT / "pyproject.toml").read_text()).group(1)  # type: ignore[union-attr]
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel), "pytest", hypothesis], check=True, timeout=600)
    backend = subprocess.run([str(python), "-c", "import fastfib; print(fastfib.backend())"], capture_output=True,
                             text=True, timeout=60, cwd=tmp_path)  # fmt: skip
    assert backend.stdout.strip() == "gmp (this build has no NTT module (fastfib was built without FLINT: FASTFIB_FLINT_DIR))"
    proc = subprocess.run(
        [str(venv / "bin" / "pytest"), "-q", "-p", "no:cacheprovider", "tests/test_api.py", "tests/test_threads.py"],
        capture_output=True, text=True, timeout=900, cwd=ROOT, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout.strip().splitlines()[-1]


def test_build_without_a_compiler_fails_loudly(tmp_path: Path) -> None:
    # No silent pure-Python fallback: with no working C compiler the build must fail.
    env = {**os.environ, "CC": "/bin/false", "LDSHARED": "/bin/false"}
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode != 0
    assert not list(tmp_path.glob("*.whl"))
    assert "fastfib" in proc.stdout + proc.stderr
