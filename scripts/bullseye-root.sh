#!/usr/bin/env bash
# A Debian 11 (bullseye: glibc 2.31, Python 3.9) root filesystem, the "older
# system" the wheels are tested on (tests/test_wheels.py), as a tarball:
#   bullseye-root.sh [amd64|arm64]     prints the tarball's path (last line)
# Built offline from the Debian mirror the host's apt uses (the bullseye
# suite alone: its point release, the same for both architectures, where the
# mirror's security pool lacks some arm64 files), with mmdebstrap's
# extract variant: packages are only unpacked, so nothing runs under
# emulation for arm64 but ldconfig. Cached outside the clone, keyed by this
# script's sha256, as the offline bases are:
#   ${XDG_CACHE_HOME:-~/.cache}/fastfib/bullseye-<arch>-<recipe>.tar
# scripts/in-root.sh runs a command inside an unpacked copy.
set -euo pipefail

log() { printf 'bullseye-root: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ARCH=${1:-$(dpkg --print-architecture)}
case $ARCH in amd64 | x86_64) ARCH=amd64 ;; arm64 | aarch64) ARCH=arm64 ;; *) die "amd64 or arm64, not $ARCH" ;; esac
RECIPE=$(sha256sum "$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")" | cut -c1-16)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/fastfib
OUT=$CACHE/bullseye-$ARCH-$RECIPE.tar
SUITE=bullseye
# What a Dockerfile's RUN lines would find (the Essential set's shell and
# core tools), then Python 3.9 with venv and its bundled pip.
PKGS=base-files,base-passwd,bash,dash,coreutils,findutils,grep,sed,tar,gzip,diffutils,libc-bin,ca-certificates,python3,python3-venv

if [[ -f $OUT ]]; then
    log "$OUT is up to date"
    echo "$OUT"
    exit 0
fi

need=()
for p in mmdebstrap debian-archive-keyring; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || need+=("$p")
done
if ((${#need[@]})); then
    log "installing ${need[*]} via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq "${need[@]}" >&2
fi
[[ $ARCH == "$(dpkg --print-architecture)" ]] || "$SCRIPT_DIR/enable-emulation.sh" >&2

# The Debian mirror the host's apt uses (deb822 "URIs:" or one-line "deb").
mirror=${DEBIAN_MIRROR:-}
if [[ -z $mirror ]]; then
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        mirror=$(sed -nE 's%^[[:space:]]*(deb[[:space:]]+(\[[^]]*\][[:space:]]+)?|URIs:[[:space:]]*)(https?://[^[:space:]]+/debian)/?([[:space:]].*)?$%\3%p' "$f" | head -n1)
        [[ -z $mirror ]] || break
    done
fi
[[ -n $mirror ]] || die "no Debian mirror found in /etc/apt; set DEBIAN_MIRROR"

exec 9>"/tmp/fastfib-bullseye-$ARCH.lock"
flock 9
[[ ! -f $OUT ]] || { echo "$OUT"; exit 0; }
start=$SECONDS
mkdir -p "$CACHE"
tmp=$CACHE/.building-$ARCH-$$.tar
trap 'rm -rf "$tmp"' EXIT
log "building the $ARCH root from $mirror"
# shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
mmdebstrap --quiet --format=tar --variant=extract --architectures="$ARCH" --include="$PKGS" \
    --aptopt='Acquire::Retries "3"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --extract-hook='cp "$1/usr/share/base-passwd/passwd.master" "$1/etc/passwd"' \
    --extract-hook='cp "$1/usr/share/base-passwd/group.master" "$1/etc/group"' \
    --extract-hook='[ -e "$1/bin/sh" ] || ln -s dash "$1/bin/sh"' \
    --extract-hook='mkdir -p "$1/tmp" "$1/proc" "$1/dev" && chmod 1777 "$1/tmp"' \
    --extract-hook='chroot "$1" /sbin/ldconfig' \
    --extract-hook='chroot "$1" /usr/bin/python3 -c "import venv, ensurepip, ssl"' \
    "$SUITE" "$tmp" \
    "deb $mirror $SUITE main" >&2
mv "$tmp" "$OUT"
for old in "$CACHE"/bullseye-"$ARCH"-*.tar; do [[ $old == "$OUT" ]] || rm -f "$old"; done
log "built $OUT in $((SECONDS - start)) s"
echo "$OUT"
