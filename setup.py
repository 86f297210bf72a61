"""Build definition for fastfib's compiled core; metadata is in pyproject.toml.

The extension links the very libgmp that gmpy2 uses, so one process holds
one libgmp, and the wheel pins gmpy2 to the exact version it was compiled
against (the bundled library's file name changes between gmpy2 releases).

Settings (environment variables):

``FASTFIB_GMPY2_DIR``
    The target's ``gmpy2`` package directory (holding gmp.h, gmpy2.h,
    gmpy2.pxd), beside its ``gmpy2-*.dist-info``. ``make wheels`` sets it to
    an unpacked gmpy2 wheel of the target Python and architecture, which need
    not be importable here. Unset: the gmpy2 installed in the building Python.
    Its version and the file name of its bundled libgmp are read from its
    dist-info RECORD, never guessed from a directory listing.
``FASTFIB_FLINT_DIR``
    A FLINT install prefix for the target architecture (``make flint``:
    scripts/build-flint.sh), to build the optional ``fastfib._ntt``
    extension, the NTT path. Unset: the GMP path alone.
"""

import glob
import os
import sysconfig
from importlib import metadata

from Cython.Build import cythonize
from setuptools import Extension, setup


def target_gmpy2():
    """(package dir, version, bundled libgmp path or None) of the target's gmpy2."""
    setting = os.environ.get("FASTFIB_GMPY2_DIR")
    if setting:
        pkg = os.path.abspath(setting)
        found = list(metadata.distributions(name="gmpy2", path=[os.path.dirname(pkg)]))
        if len(found) != 1 or not os.path.isfile(os.path.join(pkg, "gmpy2.h")):
            raise SystemExit(f"FASTFIB_GMPY2_DIR={setting}: not a gmpy2 package directory beside one gmpy2 dist-info")
        dist = found[0]
    else:
        dist = metadata.distribution("gmpy2")
        pkg = str(dist.locate_file("gmpy2"))
    libs = [f for f in dist.files or () if f.parts[0] == "gmpy2.libs" and f.name.startswith("libgmp-")]
    if len(libs) > 1:
        raise SystemExit(f"gmpy2 {dist.version} lists {len(libs)} bundled libgmp files: {libs}")
    return pkg, dist.version, str(dist.locate_file(libs[0])) if libs else None


GMPY2_DIR, GMPY2_VERSION, BUNDLED = target_gmpy2()

if BUNDLED:  # manylinux wheel: link the bundled copy by its exact name
    libraries = [":" + os.path.basename(BUNDLED)]
    library_dirs = [os.path.dirname(BUNDLED)]
    runtime_library_dirs = ["$ORIGIN/../gmpy2.libs"]
else:  # gmpy2 built from source against the system libgmp
    libraries, library_dirs, runtime_library_dirs = ["gmp"], [], []

DEPENDS = sorted(glob.glob("csrc/*.h") + glob.glob("csrc/*.pxi") + glob.glob("csrc/*.pxd") + glob.glob("csrc/*.map"))
GMP = dict(libraries=libraries, library_dirs=library_dirs, runtime_library_dirs=runtime_library_dirs)

core = Extension(
    "fastfib._core",
    ["csrc/_core.pyx"],
    include_dirs=[GMPY2_DIR, "csrc"],
    depends=DEPENDS,
    define_macros=[("FASTFIB_GMPY2_VERSION", '"%s"' % GMPY2_VERSION)],
    extra_compile_args=["-O2", "-pthread"],
    extra_link_args=["-pthread"],
    **GMP,
)
extensions = [core]

# The NTT path: FLINT's fft_small multiplication and radix arithmetic, linked
# statically from the prefix `make flint` builds (scripts/build-flint.sh).
# Without FASTFIB_FLINT_DIR the package builds and runs on the GMP path alone.
# On x86_64 this module is compiled for x86-64-v3 (AVX2, FMA, BMI2), like
# FLINT itself, and fastfib imports it only after the core has checked that
# the CPU has them (fastfib._backend).
FLINT_DIR = os.environ.get("FASTFIB_FLINT_DIR")
# x86-64-v3's features, named one by one: zig cc (make wheels) reads no
# -march=x86-64-v3.  csrc/ff_cpu.h checks each (and the rest of x86-64-v2
# and v3, which FLINT's -march=x86-64-v3 may use) before the module is loaded.
X86_64_V3 = ["-mavx", "-mavx2", "-mfma", "-mbmi", "-mbmi2", "-mf16c", "-mlzcnt", "-mmovbe", "-mpopcnt", "-msse4.2", "-mxsave"]
if FLINT_DIR:
    flint_lib = os.path.join(FLINT_DIR, "lib", "libflint.a")
    if not os.path.isfile(flint_lib):
        raise SystemExit(f"FASTFIB_FLINT_DIR={FLINT_DIR} holds no lib/libflint.a: run make flint, or unset it")
    x86 = sysconfig.get_platform().endswith(("x86_64", "amd64"))
    extensions.append(
        Extension(
            "fastfib._ntt",
            ["csrc/_ntt.pyx"],
            include_dirs=[GMPY2_DIR, "csrc", os.path.join(FLINT_DIR, "include")],
            depends=DEPENDS,
            extra_objects=[flint_lib],
            extra_compile_args=["-O2", "-pthread"] + (X86_64_V3 if x86 else []),
            # The version script exports PyInit__ntt alone, so FLINT's symbols
            # stay private (another FLINT, say python-flint's, may be loaded
            # in the same process); --gc-sections keeps only the functions the
            # kernels reach (FLINT is compiled with -ffunction-sections).
            extra_link_args=["-pthread", "-Wl,--version-script=csrc/_ntt.map", "-Wl,--gc-sections"],
            **{**GMP, "libraries": libraries + ["m"]},
        )
    )

setup(
    ext_modules=cythonize(extensions, include_path=[GMPY2_DIR], compiler_directives={"language_level": "3"}),
    install_requires=["gmpy2==" + GMPY2_VERSION],
)
