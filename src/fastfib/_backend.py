"""Which arithmetic computes large results: FLINT's NTT kernels (``fastfib._ntt``) or GMP's alone.

Chosen once, at import (:func:`choose`).  The NTT path needs a build that
has ``fastfib._ntt`` (FLINT given at build time: ``make flint``, then
FASTFIB_FLINT_DIR) and, on x86_64, a CPU with every x86-64-v3 feature
(AVX2, FMA, BMI2, ...), which FLINT and the module are compiled for.  The
generic core checks the CPU before the module is loaded, so no instruction
the CPU lacks ever runs; without either, every result comes from the GMP
path, bit for bit the same.  :func:`backend` says which path is in use, and
why not the NTT one.
"""

from __future__ import annotations

import importlib
import os

from fastfib import _core

TYPE_CHECKING = False  # typing stays out of INIT, as in errors.py
if TYPE_CHECKING:
    from typing import Mapping

#: Private, for tests: the import acts as if the CPU lacked this feature.
PRETEND_MISSING_ENV = "FASTFIB_PRETEND_CPU_LACKS"
#: Private, for benchmarks of another process (make bench-rie): "gmp" forces the GMP path.
FORCE_ENV = "FASTFIB_BACKEND"

_reason: str | None = "not chosen yet"  # why not the NTT path; None while it is in use
_kernels: object = None  # the loaded kernel table, kept for use("ntt")


def _load() -> tuple[object, str | None]:
    """The NTT kernel table, or None and the reason it cannot be used here."""
    missing = _core._ntt_cpu_missing()
    if missing is None:
        missing = os.environ.get(PRETEND_MISSING_ENV) or None
    if missing is not None:
        return None, f"the CPU lacks {missing}, which the NTT build needs"
    try:
        _ntt = importlib.import_module("fastfib._ntt")  # not `from fastfib import`: fastfib is still loading
    except ModuleNotFoundError as exc:
        if exc.name != "fastfib._ntt":
            raise
        return None, "this build has no NTT module (fastfib was built without FLINT: FASTFIB_FLINT_DIR)"
    except ImportError as exc:
        return None, f"the NTT module did not load: {exc}"
    return _ntt.KERNELS, None


def choose(environ: Mapping[str, str] = os.environ) -> str:
    """Load the NTT kernels if this build and this CPU allow them; returns :func:`backend`."""
    global _kernels, _reason
    forced = environ.get(FORCE_ENV)
    if forced not in (None, "", "gmp"):
        raise RuntimeError(f"{FORCE_ENV} may only be 'gmp' (to force the GMP path), got {forced[:40]!r}")
    _kernels, _reason = _load()
    if forced == "gmp":
        _core._use_ntt(None)
        _reason = f"forced by {FORCE_ENV}=gmp"
        return backend()
    if _kernels is not None:
        try:
            _core._use_ntt(_kernels)
        except ImportError as exc:  # a stale _ntt beside a newer core
            _kernels, _reason = None, str(exc)
    return backend()


def backend() -> str:
    """``"ntt"`` when large results come from FLINT's NTT kernels, else ``"gmp"`` and, after a space, why."""
    return "ntt" if _reason is None else f"gmp ({_reason})"


def use(name: str) -> str:
    """Private knob for tests and benchmarks: ``"gmp"`` forces the GMP path, ``"ntt"`` restores the
    NTT one where it was loaded.  Returns the previous :func:`backend`."""
    global _reason
    before = backend()
    if name == "gmp":
        _core._use_ntt(None)
        if _reason is None:
            _reason = "forced by fastfib._backend.use('gmp')"
    elif name == "ntt":
        if _kernels is None:
            raise RuntimeError(f"the NTT path is not available: {backend()}")
        _core._use_ntt(_kernels)
        _reason = None
    else:
        raise ValueError(f"backend must be 'gmp' or 'ntt', got {name!r}")
    return before
