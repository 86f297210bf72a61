#!/usr/bin/env bash
# Reproducible static FLINT 3.6.0 build (with the fft_small NTT) for fastfib.
#
#   bash build-flint.sh ARCH OUTDIR      ARCH = x86_64 | amd64 | arm64 | aarch64
#
# Leaves OUTDIR/include/flint/*.h, OUTDIR/lib/libflint.a (static, -fPIC) and
# OUTDIR/STAMP (sha256 of this recipe + arch). With an unchanged recipe a second
# call is a no-op. OUTDIR is replaced atomically (built next to it, then mv).
#
# Sources: Debian's source package flint 3.6.0-3 (orig tarball pinned by sha256),
# fetched with a private apt configuration (the machine's apt setup is untouched).
# GMP/MPFR headers: the ones shipped in the gmpy2 2.3.2 wheel for the target
# architecture (GMP 6.3.0, MPFR 4.2.2), which is what fastfib links at run time.
# aarch64 is cross-compiled on the x86_64 host (never under emulation).
#
# lib/libflint.a holds FLINT's individual object files (one function or so per
# file) rather than upstream's one-object-per-module archive, so a static link
# only pulls in what it uses.
#
# Env: FLINT_CACHE_DIR (download cache; default OUTDIR/../src-cache),
#      FLINT_JOBS (make -j; default: nproc).
set -euo pipefail

FLINT_VERSION=3.6.0
DEB_VERSION=3.6.0-3
ORIG_TARBALL=flint_${FLINT_VERSION}.orig.tar.gz
ORIG_SHA256=4307a504622702bf0be6d8969791f7d7ff378645cf2ae3bb5a7a2b56653d97f1
GMPY2_VERSION=2.3.2
GMPY2_WHL_X86_64=gmpy2-2.3.2-cp313-cp313-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl
GMPY2_SHA_X86_64=f8d361636f69f9483505a26299807a3855f637217e1ed0eb3f00496450477e66
GMPY2_WHL_AARCH64=gmpy2-2.3.2-cp313-cp313-manylinux2014_aarch64.manylinux_2_17_aarch64.manylinux_2_28_aarch64.whl
GMPY2_SHA_AARCH64=f05d0fd1530cee966c3249760662a319f72e9e0d41c4587a63bbade4bd273cd5

log() { printf 'build-flint: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

[[ $# -eq 2 ]] || die "usage: $0 ARCH OUTDIR"
case "$1" in
    x86_64 | amd64) ARCH=x86_64 ;;
    arm64 | aarch64) ARCH=aarch64 ;;
    *) die "unknown ARCH '$1' (x86_64|amd64|arm64|aarch64)" ;;
esac
mkdir -p "$(dirname -- "$2")"
OUTDIR="$(cd -- "$(dirname -- "$2")" && pwd)/$(basename -- "$2")"
SELF="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/$(basename -- "${BASH_SOURCE[0]}")"

# ---------------------------------------------------------------- no-op check
RECIPE_HASH="$({ sha256sum <"$SELF"; echo "arch=$ARCH"; } | sha256sum | cut -d' ' -f1)"
if [[ -f $OUTDIR/STAMP && -f $OUTDIR/lib/libflint.a && -f $OUTDIR/include/flint/flint.h ]] &&
    [[ "$(cat "$OUTDIR/STAMP")" == "$RECIPE_HASH" ]]; then
    log "$OUTDIR is up to date ($ARCH)"
    exit 0
fi

CACHE="${FLINT_CACHE_DIR:-$(dirname -- "$OUTDIR")/src-cache}"
JOBS="${FLINT_JOBS:-$(nproc)}"
mkdir -p "$CACHE"
CACHE="$(cd -- "$CACHE" && pwd)"

# ---------------------------------------------------------------- build tools
if [[ $ARCH == x86_64 ]]; then
    [[ "$(uname -m)" == x86_64 ]] || die "x86_64 builds run on an x86_64 host"
    CC=gcc
    CONF_HOST=x86_64-pc-linux-gnu
    pkgs=(gcc libc6-dev make autoconf automake libtool m4)
else
    case "$(uname -m)" in
        aarch64) CC=gcc; pkgs=(gcc libc6-dev) ;;                 # native arm64 host
        *) CC=aarch64-linux-gnu-gcc; pkgs=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross) ;;
    esac
    CONF_HOST=aarch64-unknown-linux-gnu
    pkgs+=(make autoconf automake libtool m4)
fi
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
command -v python3 >/dev/null || die "python3 (with pip) is needed to fetch the gmpy2 wheel"

sha_ok() { [[ -f $1 ]] && [[ "$(sha256sum <"$1" | cut -d' ' -f1)" == "$2" ]]; }

# ---------------------------------------------------------------- FLINT source
if ! sha_ok "$CACHE/$ORIG_TARBALL" "$ORIG_SHA256"; then
    log "fetching Debian source package flint=$DEB_VERSION"
    srcs=/etc/apt/sources.list.d/debian.sources
    uri="$(awk '/^URIs:/ {print $2; exit}' "$srcs" 2>/dev/null || true)"
    key="$(awk '/^Signed-By:/ {print $2; exit}' "$srcs" 2>/dev/null || true)"
    if [[ -z $uri ]]; then # old one-line format
        uri="$(awk '$1=="deb" {for (i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' \
            /etc/apt/sources.list 2>/dev/null || true)"
    fi
    [[ -n $uri ]] || die "cannot read the Debian mirror URI from the apt configuration"
    [[ -n $key ]] || key=/usr/share/keyrings/debian-archive-keyring.gpg
    A="$(mktemp -d)"
    trap 'rm -rf "$A"' EXIT
    mkdir -p "$A/lists/partial" "$A/cache/archives/partial" "$A/dl"
    echo "deb-src [signed-by=$key] $uri sid main" >"$A/sources.list"
    aopts=(-o "Dir::Etc::SourceList=$A/sources.list" -o Dir::Etc::SourceParts=/dev/null
        -o "Dir::State::Lists=$A/lists" -o "Dir::Cache=$A/cache" -o APT::Sandbox::User=root)
    apt-get "${aopts[@]}" update -qq >&2
    (cd "$A/dl" && apt-get "${aopts[@]}" source --download-only -qq "flint=$DEB_VERSION" >&2)
    sha_ok "$A/dl/$ORIG_TARBALL" "$ORIG_SHA256" || die "sha256 mismatch for $ORIG_TARBALL"
    mv "$A/dl/$ORIG_TARBALL" "$CACHE/$ORIG_TARBALL"
    rm -rf "$A"
    trap - EXIT
fi
sha_ok "$CACHE/$ORIG_TARBALL" "$ORIG_SHA256" || die "sha256 mismatch for $CACHE/$ORIG_TARBALL"

# ---------------------------------------------------------------- GMP/MPFR headers (gmpy2 wheel)
if [[ $ARCH == x86_64 ]]; then whl=$GMPY2_WHL_X86_64 whl_sha=$GMPY2_SHA_X86_64 plat=manylinux2014_x86_64
else whl=$GMPY2_WHL_AARCH64 whl_sha=$GMPY2_SHA_AARCH64 plat=manylinux2014_aarch64; fi
if ! sha_ok "$CACHE/$whl" "$whl_sha"; then
    log "downloading gmpy2==$GMPY2_VERSION wheel ($plat)"
    python3 -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
        --platform "$plat" --python-version 3.13 --implementation cp --abi cp313 \
        -d "$CACHE" "gmpy2==$GMPY2_VERSION" >&2
    sha_ok "$CACHE/$whl" "$whl_sha" || die "sha256 mismatch (or unexpected name) for $whl"
fi

# ---------------------------------------------------------------- build
nice_() { nice -n 10 "$@"; }
W="$(mktemp -d "${TMPDIR:-/tmp}/flint-$ARCH.XXXXXX")"
STAGE="$(mktemp -d "$OUTDIR.tmp.XXXXXX")"
trap 'rm -rf "$W" "$STAGE"' EXIT
t0=$SECONDS

DEPS="$W/deps"
mkdir -p "$DEPS/include" "$DEPS/lib" "$W/whl"
python3 -m zipfile -e "$CACHE/$whl" "$W/whl"
cp "$W/whl/gmpy2/gmp.h" "$W/whl/gmpy2/mpfr.h" "$DEPS/include/"
grep -q '^#define __GNU_MP_VERSION_MINOR *3$' "$DEPS/include/gmp.h" || die "gmp.h is not GMP 6.3"
# Link-test libraries for configure: the wheel's own libgmp/libmpfr (never installed).
cp "$W/whl"/gmpy2.libs/libgmp-*.so* "$W/whl"/gmpy2.libs/libmpfr-*.so* "$DEPS/lib/"
ln -s "$(cd "$DEPS/lib" && ls libgmp-*.so*)" "$DEPS/lib/libgmp.so"
ln -s "$(cd "$DEPS/lib" && ls libmpfr-*.so*)" "$DEPS/lib/libmpfr.so"

tar -xzf "$CACHE/$ORIG_TARBALL" -C "$W"
SRC="$W/flint-$FLINT_VERSION"
cd "$SRC"
# Debian's patches only touch armhf (32-bit) and the docs: none is needed here.
log "bootstrap"
./bootstrap.sh >"$W/bootstrap.log" 2>&1 || { tail -30 "$W/bootstrap.log" >&2; die "bootstrap failed"; }

# Portable CFLAGS (no -march=native tuning for the build CPU). Giving CFLAGS
# disables FLINT's CPU detection; --build/--host pin the generic x86_64 path.
# A section per function and per datum: linked with --gc-sections, fastfib._ntt
# keeps only what its kernels reach.  Without them, one object such as
# fft_small's default context, which also holds the polynomial wrappers,
# pulled FLINT's generic rings, arb and MPFR into the link (8.6 MB, and
# undefined MPFR symbols).
sections="-ffunction-sections -fdata-sections"
if [[ $ARCH == x86_64 ]]; then
    cflags="-O3 -march=x86-64-v3 -fPIC $sections"    # AVX2+FMA+BMI2: what fft_small needs
    extra=(--enable-avx2)
else
    cflags="-O3 -march=armv8-a -fPIC $sections"       # NEON is baseline: fft_small on by default
    extra=()
fi
tools=()
if [[ $CC == *-gcc ]]; then # cross: binutils carry the compiler's prefix
    x="${CC%gcc}"; tools=(AR="${x}ar" NM="${x}nm" RANLIB="${x}ranlib" STRIP="${x}strip")
fi
conf=(--build="$(uname -m)-pc-linux-gnu" --host="$CONF_HOST"
    --prefix="$STAGE" --disable-shared --enable-static --with-pic
    --disable-debug --disable-assert --disable-coverage --enable-pthread
    --with-gmp-include="$DEPS/include" --with-gmp-lib="$DEPS/lib"
    --with-mpfr-include="$DEPS/include" --with-mpfr-lib="$DEPS/lib"
    "${extra[@]}")
log "configure ${conf[*]} CC=$CC CFLAGS=\"$cflags\""
LD_LIBRARY_PATH="$DEPS/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    nice_ ./configure "${conf[@]}" CC="$CC" CFLAGS="$cflags" "${tools[@]}" \
    LDFLAGS="-Wl,-rpath-link,$DEPS/lib" >"$W/configure.log" 2>&1 ||
    { tail -40 "$W/configure.log" >&2; tail -60 config.log >&2; die "configure failed"; }
grep -q '^#define FLINT_HAVE_FFT_SMALL 1' src/flint-config.h ||
    die "FLINT_HAVE_FFT_SMALL is not 1 in src/flint-config.h"

# FLINT's Makefile uses PIC_FLAG only for shared (.lo) objects and assembles the
# static copies of its .asm files without -DPIC, so -fPIC is in CFLAGS (above)
# and the static assembly is generated in its PIC variant here.
sed -i 's/^PIC_FLAG:=.*/PIC_FLAG:=-fPIC -DPIC/; s/^\t@\$(M4) \$< > \$@$/\t@$(M4) -DPIC $< > $@/' Makefile
grep -q '^PIC_FLAG:=-fPIC -DPIC$' Makefile || die "could not set PIC_FLAG in Makefile"
if grep -qP '^\t@\$\(M4\) \$< > \$@$' Makefile; then die "could not make the static assembly PIC"; fi

log "make -j$JOBS"
if ! nice_ make -j"$JOBS" library >"$W/make.log" 2>&1; then
    tail -40 "$W/make.log" >&2
    die "make failed"
fi
nice_ make install >"$W/install.log" 2>&1 || { tail -30 "$W/install.log" >&2; die "make install failed"; }

# Re-archive the individual objects (upstream's archive has one `ld -r`-merged
# object per module, which drags whole modules into every link). Member names
# get their module prefixed, as many modules have e.g. an add.o.
log "archive"
AR_BIN="$(sed -n 's/^AR:=//p' Makefile)"; AR_BIN="${AR_BIN:-ar}"
[[ $CC != *-gcc || $AR_BIN == "${CC%gcc}ar" ]] || die "cross build would archive with '$AR_BIN'"
NM_BIN="${AR_BIN%ar}nm"
mkdir "$W/objs"
while IFS= read -r o; do
    ln "build/$o" "$W/objs/$(printf '%s' "$o" | tr / _)"
done < <(cd build && find . -name '*.o' ! -name '*_merged.o' -printf '%P\n' | LC_ALL=C sort)
rm -f "$STAGE/lib/libflint.a"
(cd "$W/objs" && LC_ALL=C ls | xargs "$AR_BIN" qcD "$STAGE/lib/libflint.a")
"$AR_BIN" sD "$STAGE/lib/libflint.a"
n_up="$("$NM_BIN" -g --defined-only libflint.a 2>/dev/null | grep -c ' [TDBR] ')"
n_new="$("$NM_BIN" -g --defined-only "$STAGE/lib/libflint.a" 2>/dev/null | grep -c ' [TDBR] ')"
[[ $n_up == "$n_new" ]] || die "re-archived libflint.a defines $n_new symbols, upstream's $n_up"
log "libflint.a: $(ls "$W/objs" | wc -l) objects, $n_new global symbols"

grep -q '^#define FLINT_HAVE_FFT_SMALL 1' "$STAGE/include/flint/flint-config.h" ||
    die "installed flint-config.h lacks FLINT_HAVE_FFT_SMALL 1"
[[ -f $STAGE/lib/libflint.a ]] || die "no libflint.a installed"
# Keep only the headers and the static archive (the rest holds the temp prefix).
rm -rf "$STAGE/lib/pkgconfig" "$STAGE/lib/cmake" "$STAGE/lib/libflint.la" "$STAGE/bin" "$STAGE/share"
{
    echo "flint $FLINT_VERSION (Debian $DEB_VERSION, orig sha256 $ORIG_SHA256)"
    echo "arch: $ARCH  CC: $CC ($($CC -dumpfullversion 2>/dev/null || $CC -dumpversion))"
    echo "configure: ${conf[*]//$STAGE/OUTDIR} CFLAGS=\"$cflags\""
    echo "gmp.h/mpfr.h from $whl"
} >"$STAGE/BUILDINFO"
echo "$RECIPE_HASH" >"$STAGE/STAMP"
chmod 755 "$STAGE"

# Atomic replace: the new tree appears at OUTDIR in one rename.
if [[ -e $OUTDIR ]]; then
    OLD="$(mktemp -d "$OUTDIR.old.XXXXXX")"
    mv "$OUTDIR" "$OLD/"
    mv "$STAGE" "$OUTDIR"
    rm -rf "$OLD"
else
    mv "$STAGE" "$OUTDIR"
fi
log "done: $OUTDIR ($ARCH) in $((SECONDS - t0)) s"
