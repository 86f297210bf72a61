#!/usr/bin/env bash
# Run a command inside an unpacked root filesystem (scripts/bullseye-root.sh):
#   in-root.sh ROOT COMMAND [ARG...]
# In mount and PID namespaces of its own (needs root), with /dev bound and a
# fresh /proc, so nothing stays mounted on the host and every process of the
# command dies with it. The network is the host's: a server started inside
# on 127.0.0.1 is reached from the host. A foreign-architecture root runs
# under qemu (scripts/enable-emulation.sh).
set -euo pipefail
root=$(cd "$1" && pwd -P)
shift
exec unshare --mount --pid --fork --kill-child --propagation private \
    sh -c 'r=$1; shift; mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" && exec chroot "$r" "$@"' \
    in-root "$root" "$@"
