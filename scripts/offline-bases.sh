#!/usr/bin/env bash
# Build local stand-ins for the two upstream base images from Debian 13
# (trixie) packages, for builds that cannot pull from a container registry:
#   fastfib-local/builder:3.13-trixie                     ~ python:3.13-slim-trixie
#   fastfib-local/distroless-python3-debian13:nonroot     ~ gcr.io/distroless/python3-debian13:nonroot
# Skips the build when both tags carry this script's sha256 as fastfib.recipe.
# The last line of stdout is the make arguments for an offline build; all
# other output goes to stderr.
set -euo pipefail

log() { printf 'offline-bases: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
BUILDER_TAG=fastfib-local/builder:3.13-trixie
RUNTIME_TAG=fastfib-local/distroless-python3-debian13:nonroot
RECIPE=$(sha256sum "$SCRIPT_DIR/$(basename "${BASH_SOURCE[0]}")" | cut -d' ' -f1)
SUITE=trixie

# What gcr.io/distroless/python3-debian13 is made of (static + base + cc +
# python3 package lists in GoogleContainerTools/distroless). libzstd1 is in
# upstream's base list and is needed by libssl3t64; tzdata-legacy is in
# upstream's static list.
RUNTIME_PKGS=(
    base-files netbase tzdata tzdata-legacy media-types
    libc6 libssl3t64 libzstd1 zlib1g
    libgomp1 libstdc++6 libgcc-s1 gcc-14-base
    libbz2-1.0 libdb5.3t64 libexpat1 liblzma5 libsqlite3-0 libuuid1 libncursesw6
    libtinfo6 libcom-err2 libcrypt1 libgssapi-krb5-2 libk5crypto3 libkeyutils1
    libkrb5-3 libkrb5support0 libnsl2 libreadline8t64 libtirpc3t64 libffi8
    libpython3.13-minimal libpython3.13-stdlib python3.13-minimal python3.13-venv
)
BUILDER_PKGS=python3.13,python3,python-is-python3,python3.13-venv,python3.13-dev,gcc,libc6-dev,ca-certificates,binutils
PATH_ENV=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

need_pkgs() {
    local p missing=()
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    log "installing ${missing[*]} via apt"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${missing[@]}" >&2
}

# The Debian mirror the host's apt uses (deb822 "URIs:" or one-line "deb").
detect_mirror() {
    local f uri
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [[ -f $f ]] || continue
        uri=$(sed -nE 's%^[[:space:]]*(deb[[:space:]]+(\[[^]]*\][[:space:]]+)?|URIs:[[:space:]]*)(https?://[^[:space:]]+/debian)/?([[:space:]].*)?$%\3%p' "$f" | head -n1)
        if [[ -n $uri ]]; then echo "$uri"; return; fi
    done
    echo http://deb.debian.org/debian
}

recipe_of() { docker image inspect -f '{{index .Config.Labels "fastfib.recipe"}}' "$1" 2>/dev/null || true; }

"$SCRIPT_DIR/start-docker.sh" >&2
RIE=$("$SCRIPT_DIR/fetch-rie.sh" | tail -n1)
[[ -x $RIE ]] || die "fetch-rie.sh did not produce an executable RIE"

# One build at a time (two make targets may call this together).
exec 9>/tmp/fastfib-offline-bases.lock
flock 9

if [[ $(recipe_of "$BUILDER_TAG") == "$RECIPE" && $(recipe_of "$RUNTIME_TAG") == "$RECIPE" ]]; then
    log "$BUILDER_TAG and $RUNTIME_TAG are up to date (recipe ${RECIPE:0:12})"
else
    start=$SECONDS
    need_pkgs mmdebstrap debian-archive-keyring
    MIRROR=${DEBIAN_MIRROR:-$(detect_mirror)}
    SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
    work=$(mktemp -d /tmp/offline-bases.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    log "building in $work from $MIRROR ($SUITE, $SUITE-updates, $SUITE-security)"

    # Builder: apt variant + toolchain, with debian:slim's dpkg excludes. The
    # runtime's .debs are downloaded (not installed) in the same chroot.
    slim=()
    for p in '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/groff/*' '/usr/share/info/*' \
        '/usr/share/lintian/*' '/usr/share/linda/*' '/usr/share/locale/*'; do
        slim+=(--dpkgopt="path-exclude=$p")
    done
    slim+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')
    mkdir "$work/debs"
    # shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
    mmdebstrap --quiet --variant=apt --include="$BUILDER_PKGS" "${slim[@]}" \
        --aptopt='Acquire::Retries "3"' \
        --customize-hook='upload /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt' \
        --customize-hook="mkdir -p \"\$1/tmp/rt\" && chroot \"\$1\" sh -c 'cd /tmp/rt && apt-get download -q -o APT::Sandbox::User=root ${RUNTIME_PKGS[*]} ca-certificates' >&2" \
        --customize-hook="copy-out /tmp/rt $work/debs" \
        --customize-hook='rm -rf "$1/tmp/rt"' \
        "$SUITE" "$work/builder.tar" \
        "deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main" \
        "deb $SECURITY_MIRROR $SUITE-security main" >&2
    debs=$work/debs/rt
    log "builder rootfs done after $((SECONDS - start))s"

    # Runtime: unpack exactly RUNTIME_PKGS (no maintainer scripts, no
    # dependencies), then add the files distroless adds itself.
    root=$work/root
    mkdir "$root"
    for p in "${RUNTIME_PKGS[@]}"; do # base-files first: it makes /bin, /lib, ... -> usr/...
        deb=("$debs/${p}"_*.deb)
        [[ -f ${deb[0]} ]] || die "no .deb downloaded for $p"
        dpkg-deb -x "${deb[0]}" "$root"
        mkdir -p "$root/var/lib/dpkg/status.d/$p" "$work/ctl"
        dpkg-deb -e "${deb[0]}" "$work/ctl"
        cp "$work/ctl/control" "$root/var/lib/dpkg/status.d/$p/"
        [[ ! -f $work/ctl/md5sums ]] || cp "$work/ctl/md5sums" "$root/var/lib/dpkg/status.d/$p/"
        rm -rf "$work/ctl"
    done
    for d in bin lib lib64 sbin; do
        [[ -L $root/$d ]] || die "/$d is not a usrmerge symlink in the runtime rootfs"
    done

    # CA bundle as distroless builds it: the certificates of Debian's
    # ca-certificates package concatenated in sorted order (the package itself
    # is not installed).
    mkdir "$work/ca"
    dpkg-deb -x "$debs"/ca-certificates_*.deb "$work/ca"
    mkdir -p "$root/etc/ssl/certs"
    find "$work/ca/usr/share/ca-certificates" -type f -name '*.crt' -print0 | sort -z |
        xargs -0 cat >"$root/etc/ssl/certs/ca-certificates.crt"
    [[ -s $root/etc/ssl/certs/ca-certificates.crt ]] || die "empty CA bundle"

    # Users, groups, homes, /tmp, os-release and nsswitch.conf as in distroless
    # (common/BUILD.bazel, common/variables.bzl, static/nsswitch.conf).
    cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
    cat >"$root/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
    chmod 644 "$root/etc/passwd" "$root/etc/group"
    cat >"$root/etc/nsswitch.conf" <<'EOF'
passwd:         compat
group:          compat
shadow:         compat
gshadow:        files

hosts:          files dns
networks:       files

protocols:      db files
services:       db files
ethers:         db files
rpc:            db files

netgroup:       nis
EOF
    rm -f "$root/usr/lib/os-release" # base-files' copy; /etc/os-release links here
    cat >"$root/usr/lib/os-release" <<'EOF'
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="13"
VERSION="Debian GNU/Linux 13 (trixie)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
SUPPORT_URL="https://github.com/GoogleContainerTools/distroless/blob/master/README.md"
BUG_REPORT_URL="https://github.com/GoogleContainerTools/distroless/issues/new"
EOF
    install -d -m 1777 "$root/tmp"
    install -d -m 700 "$root/root"
    install -d -m 755 "$root/home"
    install -d -m 700 -o 65532 -g 65532 "$root/home/nonroot"
    ln -sfn /usr/bin/python3.13 "$root/usr/bin/python3"
    ln -sfn /usr/bin/python3.13 "$root/usr/bin/python"
    # distroless ships a prebuilt /etc/ld.so.cache for python3-debian13.
    ldconfig -X -r "$root" 2>/dev/null || die "ldconfig -r failed"
    [[ -s $root/etc/ld.so.cache ]] || die "no ld.so.cache"

    for f in bin/sh usr/bin/sh usr/bin/bash usr/bin/dash usr/bin/busybox usr/bin/dpkg usr/bin/apt; do
        [[ ! -e $root/$f && ! -L $root/$f ]] || die "runtime rootfs unexpectedly contains /$f"
    done
    tar --numeric-owner -C "$root" -cf "$work/runtime.tar" .

    old_builder=$(docker image inspect -f '{{.Id}}' "$BUILDER_TAG" 2>/dev/null || true)
    old_runtime=$(docker image inspect -f '{{.Id}}' "$RUNTIME_TAG" 2>/dev/null || true)
    log "importing $BUILDER_TAG"
    docker import \
        --change "ENV PATH=$PATH_ENV" \
        --change 'ENV LANG=C.UTF-8' \
        --change 'CMD ["python3"]' \
        --change 'LABEL fastfib.stands-in-for=python:3.13-slim-trixie' \
        --change "LABEL fastfib.recipe=$RECIPE" \
        "$work/builder.tar" "$BUILDER_TAG" >/dev/null
    log "importing $RUNTIME_TAG"
    docker import \
        --change "ENV PATH=$PATH_ENV" \
        --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'USER 65532' \
        --change 'WORKDIR /home/nonroot' \
        --change 'ENTRYPOINT ["/usr/bin/python3.13"]' \
        --change 'LABEL fastfib.stands-in-for=gcr.io/distroless/python3-debian13:nonroot' \
        --change "LABEL fastfib.recipe=$RECIPE" \
        "$work/runtime.tar" "$RUNTIME_TAG" >/dev/null

    # Smoke tests; on failure drop the tags so that the next run rebuilds.
    if ! docker run --rm --network none "$BUILDER_TAG" sh -c \
        'python3 -c "import ssl, sqlite3, venv, sysconfig; print(sysconfig.get_paths()[\"include\"])" >/dev/null &&
         test -f /usr/include/python3.13/Python.h && gcc --version >/dev/null && strip --version >/dev/null' >&2 ||
        ! docker run --rm --network none "$RUNTIME_TAG" -c \
            'import os, ssl, sqlite3, json, ctypes, zoneinfo; assert os.getuid() == 65532; zoneinfo.ZoneInfo("Europe/Paris")' >&2 ||
        docker run --rm --network none --entrypoint /bin/sh "$RUNTIME_TAG" -c true >/dev/null 2>&1; then
        docker image rm "$BUILDER_TAG" "$RUNTIME_TAG" >/dev/null 2>&1 || true
        die "smoke test of the new images failed"
    fi
    for id in "$old_builder" "$old_runtime"; do # drop superseded images, if unused
        [[ -z $id ]] || docker image rm "$id" >/dev/null 2>&1 || true
    done
    log "built both images in $((SECONDS - start))s"
fi

docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^fastfib-local/' >&2 || true
echo "BUILDER_IMAGE=$BUILDER_TAG RUNTIME_IMAGE=$RUNTIME_TAG RIE=$RIE"
