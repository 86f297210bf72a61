#!/usr/bin/env bash
# make lambda-zip / make lambda-layer: fastfib and gmpy2 for a managed Python
# runtime of AWS Lambda, as a function zip or a layer zip (python/ prefix):
#   lambda-zip.sh zip|layer ARCH PYTHON   (ARCH x86_64|arm64, PYTHON 3.12|3.13; 3.9 for tests)
# -> dist/fastfib-lambda-py<PYTHON>-<ARCH>.zip or dist/fastfib-layer-py<PYTHON>-<ARCH>.zip
# The content is what Lambda's own instructions give: pip install
# --platform manylinux2014_<arch> --only-binary=:all: --target, here of the
# wheel make wheels built (built first if missing). No awslambdaric: the
# managed runtime brings its own. The zip is reproducible (sorted entries,
# fixed times). The handlers are the image's: fastfib.handlers.raw and
# fastfib.handlers.apigw.
set -euo pipefail

log() { printf 'lambda-zip: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
kind=${1:?zip or layer} arch=${2:-x86_64} py=${3:-3.13}
case $arch in x86_64) wheel_arch=x86_64 ;; arm64 | aarch64) arch=arm64 wheel_arch=aarch64 ;; *) die "ARCH x86_64 or arm64" ;; esac
case $kind in zip) name=lambda prefix= ;; layer) name=layer prefix=python/ ;; *) die "zip or layer, not $kind" ;; esac
# shellcheck source=scripts/wheel-env.sh
source "$ROOT/scripts/wheel-env.sh"
tools_venv

VERSION=$(sed -n 's/^__version__ = "\(.*\)"/\1/p' "$ROOT/src/fastfib/_version.py")
tag=cp${py/./}
wheel=$(ls "$ROOT"/dist/fastfib-"$VERSION-$tag-$tag"-*_"$wheel_arch".whl 2>/dev/null | head -n1 || true)
if [[ -z $wheel ]]; then
    log "no $tag $wheel_arch wheel in dist/: make wheels first"
    WHEEL_ARCHS=$wheel_arch WHEEL_PYTHONS=$py bash "$ROOT/scripts/build-wheels.sh"
    wheel=$(ls "$ROOT"/dist/fastfib-"$VERSION-$tag-$tag"-*_"$wheel_arch".whl | head -n1)
fi
out=$ROOT/dist/fastfib-$name-py$py-$arch.zip
work=$(mktemp -d /tmp/lambda-zip.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$TOOLS/bin/python" -m pip install --quiet --no-compile --only-binary=:all: --platform "manylinux2014_$wheel_arch" \
    --python-version "$py" --implementation cp --abi "$tag" --target "$work/pkg" "$wheel" >&2
rm -rf "$work/pkg/bin" # the console script's shebang names this machine's Python
"$TOOLS/bin/python" - "$work/pkg" "$out" "$prefix" <<'PY'
import os, sys, zipfile
src, out, prefix = sys.argv[1:]
files = sorted(
    os.path.relpath(os.path.join(d, f), src)
    for d, dirs, names in os.walk(src)
    for f in names
    if "__pycache__" not in d
)
with zipfile.ZipFile(out + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
    for rel in files:
        path = os.path.join(src, rel)
        info = zipfile.ZipInfo(prefix + rel, date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        with open(path, "rb") as f:
            z.writestr(info, f.read())
os.replace(out + ".tmp", out)
PY
log "$(basename "$out"): $(du -k "$out" | cut -f1) KiB, from $(basename "$wheel")"
echo "$out"
