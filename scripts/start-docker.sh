#!/usr/bin/env bash
# Make sure a Docker daemon answers on this machine, starting one if needed.
# Idempotent: exits 0 at once when `docker info` already works.
set -euo pipefail

log() { printf 'start-docker: %s\n' "$*" >&2; }

LOG=/tmp/dockerd.log
TIMEOUT=${DOCKERD_TIMEOUT:-60}

docker_ok() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

if docker_ok; then
    exit 0
fi

if ! command -v dockerd >/dev/null || ! command -v docker >/dev/null; then
    log "installing docker.io via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq docker.io >&2
fi

wait_for_docker() { # $1 = pid of the dockerd we started (or empty)
    local i
    for ((i = 0; i < TIMEOUT; i++)); do
        docker_ok && return 0
        if [[ -n ${1:-} ]] && ! kill -0 "$1" 2>/dev/null; then
            return 1 # our dockerd died
        fi
        sleep 1
    done
    return 1
}

# Concurrent calls: one starts the daemon, the others wait for it here.
exec 8>/tmp/fastfib-start-docker.lock
flock 8
if docker_ok; then
    exit 0
fi

# A daemon from an earlier call may still be booting: wait for it instead of
# starting a second one.
if pid=$(cat /var/run/docker.pid 2>/dev/null) && [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    log "dockerd (pid $pid) is already running; waiting for it"
    if wait_for_docker "$pid"; then exit 0; fi
    log "dockerd pid $pid did not answer within ${TIMEOUT}s; tail of $LOG:"
    tail -n 30 "$LOG" >&2 || true
    exit 1
fi

# overlay2 needs a kernel overlayfs that works on the filesystem of
# /var/lib/docker (it does not on top of another overlayfs, for example).
overlay_works() {
    local d rc=1
    mkdir -p /var/lib/docker
    d=$(mktemp -d /var/lib/docker/.overlay-probe.XXXXXX) || return 1
    mkdir -p "$d"/{lower,upper,work,merged}
    if mount -t overlay overlay -o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/merged" 2>/dev/null; then
        umount "$d/merged"
        rc=0
    fi
    rm -rf "$d"
    return $rc
}

# A storage driver set in daemon.json must not be repeated as a flag.
driver_pinned=false
if [[ -f /etc/docker/daemon.json ]] && grep -q '"storage-driver"' /etc/docker/daemon.json; then
    driver_pinned=true
fi

start_dockerd() { # $1 = storage driver or "" for the default/daemon.json one
    local args=()
    [[ -n $1 ]] && args+=(--storage-driver "$1")
    log "starting dockerd ${args[*]:-} (log: $LOG)"
    setsid dockerd "${args[@]}" </dev/null >>"$LOG" 2>&1 8>&- &
    DOCKERD_PID=$!
}

if [[ -n ${DOCKERD_STORAGE_DRIVER:-} ]]; then
    drivers=("$DOCKERD_STORAGE_DRIVER")
elif $driver_pinned; then
    drivers=("")
elif overlay_works; then
    drivers=(overlay2 vfs)
else
    log "overlayfs mount probe failed; using the vfs storage driver"
    drivers=(vfs)
fi

for driver in "${drivers[@]}"; do
    start_dockerd "$driver"
    if wait_for_docker "$DOCKERD_PID"; then
        log "docker is up (storage driver: $(docker info -f '{{.Driver}}' 2>/dev/null))"
        exit 0
    fi
    log "dockerd${driver:+ with $driver} did not come up within ${TIMEOUT}s"
    kill "$DOCKERD_PID" 2>/dev/null || true
    for _ in $(seq 1 15); do kill -0 "$DOCKERD_PID" 2>/dev/null || break; sleep 1; done
done

log "giving up; tail of $LOG:"
tail -n 30 "$LOG" >&2 || true
exit 1
