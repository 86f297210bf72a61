#!/usr/bin/env bash
# Fetch the official AWS Lambda Runtime Interface Emulator (RIE) into .cache/rie/
# and print its absolute path as the last line of stdout:
#   fetch-rie.sh           this machine's architecture: .cache/rie/aws-lambda-rie
#   fetch-rie.sh arm64     (or x86_64) that one: .cache/rie/aws-lambda-rie-arm64 The binary is taken from the aws-sam-cli
# wheel on PyPI (which bundles it); aws-sam-cli itself is not installed.
set -euo pipefail

log() { printf 'fetch-rie: %s\n' "$*" >&2; }

SAM_VERSION=1.170.0
# sha256 of aws_sam_cli-1.170.0-py3-none-any.whl and of the two RIE binaries in it.
WHEEL_SHA256=24ebaf5ecba38dc1758089968cb89ab61e124b84e92a344fc7a2771a47f4d0bf
RIE_SHA256_x86_64=6b1e686e62ab2baf5759c412c4864276ef2a88b094fca53ec070637ccba9b9a5
RIE_SHA256_arm64=ec2e5d09633d853834c008b1ef264bf834b258a94d551d2b2074966494b39a21

normalize() {
    case "$1" in
        x86_64 | amd64) echo x86_64 ;;
        aarch64 | arm64) echo arm64 ;;
        *) log "unsupported architecture: $1"; exit 1 ;;
    esac
}
host=$(normalize "$(uname -m)")
arch=$(normalize "${1:-$host}")
want_var=RIE_SHA256_$arch
want=${!want_var}

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
OUT=$REPO_ROOT/.cache/rie/aws-lambda-rie
[[ $arch == "$host" ]] || OUT=$OUT-$arch

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [[ -f $OUT ]]; then
    if [[ $(sha256_of "$OUT") == "$want" ]]; then
        chmod 755 "$OUT"
        printf '%s\n' "$OUT"
        exit 0
    fi
    log "cached $OUT has an unexpected sha256; fetching it again"
fi

if ! python3 -m pip --version >/dev/null 2>&1; then
    log "installing python3-pip via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq python3-pip >&2
fi

tmp=$(mktemp -d /tmp/fetch-rie.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

log "downloading aws-sam-cli==$SAM_VERSION wheel (not installing it)"
printf 'aws-sam-cli==%s --hash=sha256:%s\n' "$SAM_VERSION" "$WHEEL_SHA256" >"$tmp/req.txt"
python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    -r "$tmp/req.txt" -d "$tmp/dl" >&2

wheel=("$tmp"/dl/aws_sam_cli-"$SAM_VERSION"-*.whl)
python3 - "${wheel[0]}" "samcli/local/rapid/aws-lambda-rie-$arch" "$tmp/rie" <<'EOF'
import sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, open(dest, "wb") as f:
    f.write(z.read(member))
EOF

got=$(sha256_of "$tmp/rie")
if [[ $got != "$want" ]]; then
    log "sha256 mismatch for aws-lambda-rie-$arch: got $got, want $want; refusing it"
    exit 1
fi

mkdir -p "$(dirname "$OUT")"
chmod 755 "$tmp/rie"
mv -f "$tmp/rie" "$OUT"
log "installed aws-lambda-rie-$arch from aws-sam-cli $SAM_VERSION"
printf '%s\n' "$OUT"
