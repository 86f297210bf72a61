"""fastfib._loader: gmpy2 imported without importlib.metadata, its version still exact and still checked.

Each case runs in a fresh interpreter, because what matters is what the
first ``import fastfib`` of a process does to ``sys.modules``.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import gmpy2

import fastfib._loader

LOADER = Path(fastfib._loader.__file__)


def _run(code: str, path: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if path:
        env["PYTHONPATH"] = os.pathsep.join(path)
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=60, cwd=tempfile.gettempdir(), env=env)  # fmt: skip


def test_gmpy2_version_is_exact_without_importlib_metadata() -> None:
    proc = _run(
        """
        import json, sys
        import fastfib, gmpy2
        skipped = "importlib.metadata" not in sys.modules and not hasattr(sys.modules["importlib"], "metadata")
        version = gmpy2.__version__
        import importlib.metadata
        real = importlib.metadata
        print(json.dumps([skipped, version, real.version("gmpy2"), real.__spec__ is not None,
                          hasattr(real, "distribution"), str(fastfib.fib(100))]))
        """
    )
    assert proc.returncode == 0, proc.stderr
    skipped, version, later, has_spec, full, f100 = json.loads(proc.stdout)
    assert skipped, "importing fastfib must not load importlib.metadata"
    assert version == importlib.metadata.version("gmpy2") == gmpy2.__version__  # read independently, here
    assert later == version and has_spec and full  # a later import gives the real module
    assert f100 == "354224848179261915075"


def test_gmpy2_imported_after_importlib_metadata_is_left_alone() -> None:
    proc = _run(
        """
        import importlib.metadata as m
        import fastfib, gmpy2, sys
        assert sys.modules["importlib.metadata"] is m
        print(gmpy2.__version__)
        """
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == importlib.metadata.version("gmpy2")


def _fake_gmpy2(root: Path, version: str, init: str) -> None:
    (root / "gmpy2").mkdir()
    (root / "gmpy2" / "__init__.py").write_text(textwrap.dedent(init))
    info = root / f"gmpy2-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: gmpy2\nVersion: {version}\n\nVersion: 9.9.9 (body)\n")


_PROBE = """
    import importlib.util, json, sys
    import __future__                     # the loader's own first import
    before = set(sys.modules)
    had = hasattr(sys.modules["importlib"], "metadata")
    spec = importlib.util.spec_from_file_location("loader_under_test", {loader!r})
    loader = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(loader)   # its top level imports gmpy2: the fake one
    except ImportError:
        pass                              # check_core is never reached; only the import matters
    added = sorted(set(sys.modules) - before)
    print(json.dumps([loader.gmpy2.__version__, added, had, hasattr(sys.modules["importlib"], "metadata")]))
"""


def test_stand_in_answers_version_and_leaves_sys_modules_exactly(tmp_path: Path) -> None:
    # gmpy2's C init does PyImport_ImportModule("importlib.metadata").version("gmpy2"); so does this fake.
    _fake_gmpy2(tmp_path, "4.5.6", "import importlib.metadata\n__version__ = importlib.metadata.version('gmpy2')\n")
    proc = _run(_PROBE.format(loader=str(LOADER)), [str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    version, added, had, has = json.loads(proc.stdout)
    assert version == "4.5.6"  # the header, not the body
    assert added == ["gmpy2"] and not had and not has


def test_gmpy2_wanting_more_than_version_falls_back_to_the_real_module(tmp_path: Path) -> None:
    _fake_gmpy2(tmp_path, "4.5.7", "from importlib.metadata import distribution\n__version__ = distribution('gmpy2').version\n")
    proc = _run(_PROBE.format(loader=str(LOADER)), [str(tmp_path)])
    assert proc.returncode == 0, proc.stderr
    version, added, _, has = json.loads(proc.stdout)
    assert version == "4.5.7"
    assert "gmpy2" in added and "importlib.metadata" in added and has  # imported for real, the slow way


def test_mismatched_installed_gmpy2_still_fails_with_a_remedy(tmp_path: Path) -> None:
    # The real gmpy2 package, but its installed metadata says another release.
    site = Path(gmpy2.__file__).parents[1]
    (tmp_path / "gmpy2").symlink_to(site / "gmpy2")
    (tmp_path / "gmpy2.libs").symlink_to(site / "gmpy2.libs")
    info = tmp_path / "gmpy2-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gmpy2\nVersion: 0.0.1\n")
    proc = _run("import fastfib", [str(tmp_path)])
    assert proc.returncode != 0
    built = fastfib._loader.gmpy2.__version__
    assert f"fastfib was built against gmpy2 {built}, but gmpy2 0.0.1 is installed" in proc.stderr
    assert f"Install gmpy2=={built}" in proc.stderr


def test_the_suite_tests_the_working_tree() -> None:
    # make venv installs fastfib editable: the package under test is src/fastfib, not an old copy.
    root = Path(__file__).resolve().parents[1]
    assert LOADER.resolve().parent == root / "src" / "fastfib"


def test_a_source_tree_without_its_core_says_so_and_how_to_build_it(tmp_path: Path) -> None:
    tree = tmp_path / "fastfib"
    tree.mkdir()
    for source in LOADER.parent.glob("*.py"):
        (tree / source.name).write_bytes(source.read_bytes())
    proc = _run("import fastfib", path=[str(tmp_path)])
    assert proc.returncode == 1
    message = proc.stderr.strip().splitlines()[-1]
    assert message.startswith("ImportError: fastfib's compiled core is not built in " + str(tree))
    assert "make venv" in message and "pip install ." in message and "install gmpy2" not in message
