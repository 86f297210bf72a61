"""Load the compiled core, and explain what to do when it cannot be loaded."""

from __future__ import annotations

import gmpy2

_FIX = "Reinstall fastfib so that it is rebuilt against this gmpy2: pip install --force-reinstall --no-binary fastfib fastfib"


def check_core() -> None:
    """Raise ImportError with a remedy unless ``fastfib._core`` loads and matches gmpy2.

    The core links the libgmp bundled with one exact gmpy2 release; with any
    other gmpy2 it would load a second libgmp or fail to load at all.
    """
    try:
        from fastfib import _core
    except ImportError as exc:
        raise ImportError(
            f"fastfib's compiled core could not be loaded ({exc}). "
            f"It must be built for the installed gmpy2 {gmpy2.__version__}. {_FIX}"
        ) from exc
    if _core.GMPY2_VERSION != gmpy2.__version__:
        raise ImportError(
            f"fastfib was built against gmpy2 {_core.GMPY2_VERSION}, "
            f"but gmpy2 {gmpy2.__version__} is installed. "
            f"Install gmpy2=={_core.GMPY2_VERSION}, or: {_FIX}"
        )
