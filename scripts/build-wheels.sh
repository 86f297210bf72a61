#!/usr/bin/env bash
# make wheels: an sdist, then manylinux2014 (glibc 2.17) wheels of it for
# CPython 3.9-3.13 on x86_64 and aarch64, into dist/.
#
# Each wheel is compiled from the sdist by zig cc against glibc 2.17 (aarch64
# cross-compiled, never emulated), links the target's own gmpy2 libgmp by its
# exact file name (FASTFIB_GMPY2_DIR = an unpacked gmpy2 wheel of that Python
# and architecture), is tagged by auditwheel, and must pass
# scripts/check_wheels.py, or the build fails.
#
# Settings (environment; the Makefile passes its variables of the same names):
#   WHEEL_ARCHS     architectures, default "x86_64 aarch64"
#   WHEEL_PYTHONS   Python versions, default "3.9 3.10 3.11 3.12 3.13"; each
#                   interpreter is PYTHON_3_X if set, else pyenv's newest
#                   3.X.*, else python3.X on PATH
#   FLINT_X86_64, FLINT_ARM64   FLINT install prefixes; when set, passed to
#                   that architecture's builds as FASTFIB_FLINT_DIR (the
#                   optional fastfib._ntt extension)
# Caches: the tools venv in .cache/wheel-tools (pins: scripts/wheel-tools.txt),
# build venvs in .cache/wheel-build; outside the clone, keyed by pin:
# ${XDG_CACHE_HOME:-~/.cache}/fastfib/zig-<ziglang> (zig's cache) and
# .../gmpy2-<version>/ (the target gmpy2 wheels, unpacked).
set -euo pipefail

log() { printf 'build-wheels: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$ROOT"
ARCHS=${WHEEL_ARCHS:-x86_64 aarch64}
PYTHONS=${WHEEL_PYTHONS:-3.9 3.10 3.11 3.12 3.13}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/fastfib
DIST=$ROOT/dist
started=$SECONDS

# shellcheck source=scripts/wheel-env.sh
source "$ROOT/scripts/wheel-env.sh"
tools_venv

VERSION=$("$TOOLS/bin/python" -c 'import re,sys; print(re.search(r"\"(.+)\"", open(sys.argv[1]).read()).group(1))' src/fastfib/_version.py)
GMPY2_VERSION=$(gmpy2_pin)

# The FLINT prefix for architecture $1: FLINT_X86_64 / FLINT_ARM64 (the
# Makefile passes the ones `make flint` builds); empty: the wheels hold
# _core only, the GMP path.
flint_prefix() {
    local var=FLINT_X86_64 prefix
    [[ $1 == x86_64 || $1 == aarch64 ]] || die "unknown architecture $1 (x86_64 or aarch64)"
    [[ $1 == x86_64 ]] || var=FLINT_ARM64
    prefix=${!var:-}
    [[ -z $prefix ]] && return 0
    [[ -d $prefix/include/flint && -f $prefix/lib/libflint.a ]] ||
        die "$var=$prefix: not a FLINT prefix (include/flint/, lib/libflint.a): run make flint"
    echo "$prefix"
}

work=$(mktemp -d /tmp/build-wheels.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$DIST"

# The sdist first (with the first Python); every wheel is built from it, so
# it is known to be complete, and nothing stray in the tree reaches a wheel.
first_py=${PYTHONS%% *}
first_arch=${ARCHS%% *}
bv=$(build_venv "$first_py")
rm -f "$DIST/fastfib-$VERSION.tar.gz"
FASTFIB_GMPY2_DIR=$(gmpy2_target "$first_py" "$first_arch") \
    nice "$bv/bin/python" -m build --sdist --no-isolation --skip-dependency-check --outdir "$DIST" . >"$work/sdist.log" 2>&1 ||
    { cat "$work/sdist.log" >&2; die "sdist failed"; }
SDIST=$DIST/fastfib-$VERSION.tar.gz
[[ -f $SDIST ]] || die "no $SDIST"
log "sdist: $(basename "$SDIST")"

for arch in $ARCHS; do
    flint=$(flint_prefix "$arch")
    cc=$(zig_cc "$arch")
    for py in $PYTHONS; do
        t0=$SECONDS
        tag=cp${py/./}
        bv=$(build_venv "$py")
        target=$(gmpy2_target "$py" "$arch")
        env=(CC="$cc" LDSHARED="$cc -shared -Wl,-s" FASTFIB_GMPY2_DIR="$target"
            ZIG_GLOBAL_CACHE_DIR="$ZIG_CACHE" ZIG_LOCAL_CACHE_DIR="$ZIG_CACHE")
        [[ -z $flint ]] || env+=(FASTFIB_FLINT_DIR="$flint")
        if [[ $arch != "$(uname -m)" ]]; then # the target's extension suffix and platform tag
            env+=(_PYTHON_HOST_PLATFORM="linux-$arch"
                _PYTHON_SYSCONFIGDATA_NAME="_sysconfigdata__linux_$arch-linux-gnu"
                PYTHONPATH="$(cross_sysconfig "$py" "$arch")")
        fi
        rm -rf "$work/raw" "$work/repaired"
        env "${env[@]}" nice "$bv/bin/python" -m pip wheel --quiet --no-build-isolation --no-deps \
            --no-index --wheel-dir "$work/raw" "$SDIST" >"$work/build.log" 2>&1 ||
            { cat "$work/build.log" >&2; die "$tag $arch: build failed"; }
        raw=("$work"/raw/fastfib-*.whl)
        # auditwheel lists only the host's policies, so a foreign wheel's is
        # found by "auto" (its lowest glibc); check_wheels.py insists on 2.17.
        plat=manylinux2014_$arch
        [[ $arch == "$(uname -m)" ]] || plat=auto
        PATH=$TOOLS/bin:$PATH "$TOOLS/bin/auditwheel" repair --plat "$plat" --exclude 'libgmp*' \
            --wheel-dir "$work/repaired" "${raw[0]}" >"$work/repair.log" 2>&1 ||
            { cat "$work/repair.log" >&2; die "$tag $arch: auditwheel repair failed"; }
        wheel=("$work"/repaired/fastfib-*.whl)
        "$TOOLS/bin/python" "$ROOT/scripts/check_wheels.py" --gmpy2-wheels "$(gmpy2_wheelhouse)" "${wheel[0]}" ||
            die "$tag $arch: $(basename "${wheel[0]}") failed its checks"
        rm -f "$DIST/fastfib-$VERSION-$tag-$tag"-*"$arch".whl
        mv "${wheel[0]}" "$DIST/"
        log "$(basename "${wheel[0]}") in $((SECONDS - t0)) s${flint:+ (FLINT: $flint)}"
    done
done
log "done in $((SECONDS - started)) s"
