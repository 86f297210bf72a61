"""Load gmpy2 and the compiled core, and explain what to do when the core cannot be loaded.

gmpy2's C module sets its ``__version__`` at import by calling
``importlib.metadata.version("gmpy2")``; importing ``importlib.metadata``
and scanning ``sys.path`` costs about 30 ms of every Lambda cold start.
:func:`import_gmpy2` answers that one call from the installed gmpy2's own
``METADATA`` file, read as plain text, so ``gmpy2.__version__`` is exactly
what ``importlib.metadata`` would have said, and the core's version check
below still compares it with the gmpy2 fastfib was built for.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType

_REBUILD = (
    "or rebuild fastfib against the installed gmpy2 from its source folder, with Cython and "
    "setuptools installed: pip install --force-reinstall --no-deps --no-build-isolation ."
)
_METADATA = "importlib.metadata"


def installed_gmpy2_version() -> str | None:
    """The ``Version`` of the gmpy2 distribution installed beside the gmpy2 that ``import`` would load.

    Plain file I/O on ``<site>/gmpy2-*.dist-info/METADATA``; None when that
    is not exactly one readable file with a ``Version`` header (an egg, a
    source tree, a broken install), so the caller can fall back to the slow way.
    """
    spec = None
    for finder in sys.meta_path:  # exactly the finders `import gmpy2` will ask, in order
        find = getattr(finder, "find_spec", None)
        spec = find("gmpy2", None) if find else None
        if spec is not None:
            break
    if spec is None or not spec.origin or not spec.submodule_search_locations:
        return None
    site = os.path.dirname(os.path.dirname(spec.origin))
    try:
        infos = [n for n in os.listdir(site) if n.startswith("gmpy2-") and n.endswith(".dist-info")]
        if len(infos) != 1:
            return None
        with open(os.path.join(site, infos[0], "METADATA"), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    break  # end of the headers
                key, _, value = line.partition(":")
                if key == "Version":
                    return value.strip()
    except OSError:
        pass
    return None


def import_gmpy2() -> ModuleType:
    """Import gmpy2, answering its module-init ``version("gmpy2")`` call without ``importlib.metadata``.

    Only when neither gmpy2 nor ``importlib.metadata`` is loaded yet and the
    version can be read cheaply; otherwise, or if gmpy2 fails to import with
    the stand-in, a plain ``import gmpy2``.  ``sys.modules`` and the
    ``importlib`` package are left exactly as they were, so a later
    ``import importlib.metadata`` loads the real module.
    """
    version = None
    if "gmpy2" not in sys.modules and _METADATA not in sys.modules:
        version = installed_gmpy2_version()
    if version is None:
        return importlib.import_module("gmpy2")

    def stand_in_version(name: str) -> str:
        if name != "gmpy2":
            raise LookupError(f"fastfib's stand-in for importlib.metadata only knows gmpy2, not {name!r}")
        return version

    stand_in = ModuleType(_METADATA, "Answers gmpy2's version lookup while it loads (fastfib._loader).")
    vars(stand_in)["version"] = stand_in_version
    before = set(sys.modules)
    package = vars(importlib)  # the importlib package's namespace
    had_attr, old_attr = "metadata" in package, package.get("metadata")
    sys.modules[_METADATA] = stand_in
    package["metadata"] = stand_in  # as a real import would
    try:
        return importlib.import_module("gmpy2")
    except Exception:
        # A gmpy2 that wants more of importlib.metadata: forget the failed
        # attempt and import it the ordinary way below.
        for name in set(sys.modules) - before:
            if name == "gmpy2" or name.startswith("gmpy2."):
                del sys.modules[name]
    finally:
        _take_back(stand_in, had_attr, old_attr)
    return importlib.import_module("gmpy2")


def _take_back(stand_in: ModuleType, had_attr: bool, old_attr: object) -> None:
    """Leave sys.modules and the importlib package as they were before the stand-in went in."""
    package = vars(importlib)
    if sys.modules.get(_METADATA) is stand_in:
        del sys.modules[_METADATA]
    if had_attr:
        package["metadata"] = old_attr
    elif package.get("metadata") is stand_in:
        del package["metadata"]


gmpy2 = import_gmpy2()


def _built_for() -> str:
    """The gmpy2 version this fastfib's metadata pins (read only on failure: it is slow)."""
    try:
        from importlib.metadata import requires

        for req in requires("fastfib") or []:
            if req.replace(" ", "").startswith("gmpy2=="):
                return req.replace(" ", "").split("==", 1)[1].split(";")[0]
    except Exception:  # no metadata (e.g. run from a source tree)
        pass
    return "the version it was built with"


def _core_not_built() -> bool:
    """Whether no compiled ``_core`` sits beside this module (a source tree nobody has built)."""
    import importlib.machinery

    here = os.path.dirname(__file__)
    return not any(
        os.path.exists(os.path.join(here, "_core" + suffix)) for suffix in importlib.machinery.EXTENSION_SUFFIXES
    )


def check_core() -> None:
    """Raise ImportError with a remedy unless ``fastfib._core`` loads and matches gmpy2.

    The core links the libgmp bundled with one exact gmpy2 release; with any
    other gmpy2 it would load a second libgmp or fail to load at all.
    """
    try:
        from fastfib import _core
    except ImportError as exc:
        if _core_not_built():
            raise ImportError(
                f"fastfib's compiled core is not built in {os.path.dirname(__file__)} (no _core extension "
                "module there): this is a source tree. Run `make venv` in the repository (an editable "
                "install that builds it), or install fastfib: pip install ."
            ) from exc
        raise ImportError(
            f"fastfib's compiled core could not be loaded ({exc}). gmpy2 {gmpy2.__version__} is installed; "
            f"install gmpy2=={_built_for()}, {_REBUILD}"
        ) from exc
    if _core.GMPY2_VERSION != gmpy2.__version__:
        raise ImportError(
            f"fastfib was built against gmpy2 {_core.GMPY2_VERSION}, but gmpy2 {gmpy2.__version__} is installed. "
            f"Install gmpy2=={_core.GMPY2_VERSION}, {_REBUILD}"
        )
