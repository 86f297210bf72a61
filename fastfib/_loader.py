"""Load the compiled core, and explain what to do when it cannot be loaded."""

from __future__ import annotations

import gmpy2

_REBUILD = (
    "or rebuild fastfib against the installed gmpy2 from its source folder, with Cython and "
    "setuptools installed: pip install --force-reinstall --no-deps --no-build-isolation ."
)


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


def check_core() -> None:
    """Raise ImportError with a remedy unless ``fastfib._core`` loads and matches gmpy2.

    The core links the libgmp bundled with one exact gmpy2 release; with any
    other gmpy2 it would load a second libgmp or fail to load at all.
    """
    try:
        from fastfib import _core
    except ImportError as exc:
        raise ImportError(
            f"fastfib's compiled core could not be loaded ({exc}). gmpy2 {gmpy2.__version__} is installed; "
            f"install gmpy2=={_built_for()}, {_REBUILD}"
        ) from exc
    if _core.GMPY2_VERSION != gmpy2.__version__:
        raise ImportError(
            f"fastfib was built against gmpy2 {_core.GMPY2_VERSION}, but gmpy2 {gmpy2.__version__} is installed. "
            f"Install gmpy2=={_core.GMPY2_VERSION}, {_REBUILD}"
        )
