"""Build definition for fastfib's compiled core; metadata is in pyproject.toml.

The extension links the very libgmp that the installed gmpy2 uses, so one
process holds one libgmp, and the wheel pins gmpy2 to the exact version it
was compiled against (the bundled library's file name changes between
gmpy2 releases).
"""

import glob
import os

import gmpy2
from Cython.Build import cythonize
from setuptools import Extension, setup

GMPY2_DIR = os.path.dirname(gmpy2.__file__)  # holds gmp.h, gmpy2.h, gmpy2.pxd
BUNDLED = sorted(glob.glob(os.path.join(GMPY2_DIR, os.pardir, "gmpy2.libs", "libgmp-*.so*")))

if BUNDLED:  # manylinux wheel: link the bundled copy by its exact name
    libraries = [":" + os.path.basename(BUNDLED[0])]
    library_dirs = [os.path.dirname(BUNDLED[0])]
    runtime_library_dirs = ["$ORIGIN/../gmpy2.libs"]
else:  # gmpy2 built from source against the system libgmp
    libraries, library_dirs, runtime_library_dirs = ["gmp"], [], []

core = Extension(
    "fastfib._core",
    ["csrc/_core.pyx"],
    include_dirs=[GMPY2_DIR, "csrc"],
    depends=sorted(glob.glob("csrc/*.h") + glob.glob("csrc/*.pxi") + glob.glob("csrc/*.pxd")),
    libraries=libraries,
    library_dirs=library_dirs,
    runtime_library_dirs=runtime_library_dirs,
    define_macros=[("FASTFIB_GMPY2_VERSION", '"%s"' % gmpy2.__version__)],
    extra_compile_args=["-O2", "-pthread"],
    extra_link_args=["-pthread"],
)

setup(
    ext_modules=cythonize([core], include_path=[GMPY2_DIR], compiler_directives={"language_level": "3"}),
    install_requires=["gmpy2==" + gmpy2.__version__],
)
