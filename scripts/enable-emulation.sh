#!/usr/bin/env bash
# Let this x86_64 machine run linux/arm64 binaries and containers: Debian's
# qemu-user-static registered in binfmt_misc with the F (fix binary) flag, so
# that the interpreter is found inside chroots and containers too.
# Idempotent: exits at once when qemu-aarch64 is already registered that way.
set -euo pipefail

log() { printf 'enable-emulation: %s\n' "$*" >&2; }

ENTRY=/proc/sys/fs/binfmt_misc/qemu-aarch64

registered() { [[ -f $ENTRY ]] && grep -qx enabled "$ENTRY" && grep -q '^flags:.*F' "$ENTRY"; }

case "$(uname -m)" in aarch64 | arm64) exit 0 ;; esac # native: nothing to emulate
registered && exit 0

missing=()
for p in qemu-user-static binfmt-support; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]} via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
fi
# Containers without systemd do not mount binfmt_misc by themselves.
if [[ ! -f /proc/sys/fs/binfmt_misc/register ]]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
update-binfmts --enable qemu-aarch64 >&2 || true
registered || { log "qemu-aarch64 is not registered with the F flag in binfmt_misc"; exit 1; }
log "arm64 binaries now run under $(sed -n 's/^interpreter //p' "$ENTRY")"
