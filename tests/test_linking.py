"""How the compiled core is linked and loaded."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60, cwd=tempfile.gettempdir()
    )


def test_process_maps_exactly_one_libgmp() -> None:
    proc = _run(
        """
        import fastfib, gmpy2
        assert fastfib.fib(1000) == gmpy2.fib(1000)
        paths = set()
        with open("/proc/self/maps") as maps:
            for line in maps:
                fields = line.split()
                if len(fields) >= 6 and "libgmp" in os.path.basename(fields[5]):
                    paths.add(os.path.realpath(fields[5]))
        print("\\n".join(sorted(paths)))
        """.replace("import fastfib", "import os, fastfib")
    )
    assert proc.returncode == 0, proc.stderr
    libs = proc.stdout.split()
    assert len(libs) == 1, libs


def test_core_is_compiled_against_installed_gmpy2() -> None:
    import gmpy2

    from fastfib import _core

    assert _core.GMPY2_VERSION == gmpy2.__version__
    assert os.path.splitext(_core.__file__)[1] in (".so", ".pyd")


def _core_version() -> str:
    from fastfib import _core

    return _core.GMPY2_VERSION


def test_mismatched_gmpy2_fails_with_a_remedy() -> None:
    proc = _run(
        """
        import gmpy2
        gmpy2.__version__ = "0.0.1"   # as if another release were installed
        import fastfib
        """
    )
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr
    assert "built against gmpy2" in proc.stderr and "gmpy2 0.0.1 is installed" in proc.stderr
    assert f"Install gmpy2=={_core_version()}" in proc.stderr
    assert "pip install --force-reinstall --no-deps --no-build-isolation" in proc.stderr
