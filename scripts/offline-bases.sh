#!/usr/bin/env bash
# Build local stand-ins for the upstream base images from Debian 13
# (trixie) packages, for builds that cannot pull from a container registry:
#   fastfib-local/builder:3.13-trixie                     ~ python:3.13-slim-trixie
#   fastfib-local/distroless-python3-debian13:nonroot     ~ gcr.io/distroless/python3-debian13:nonroot
#   fastfib-local/distroless-python3-debian13:debug       ~ gcr.io/distroless/python3-debian13:debug
# ARCH=arm64 builds linux/arm64 ones, tagged ...-arm64, on an x86_64 machine
# too: packages are only unpacked (dpkg-deb -x), so almost nothing runs under
# emulation, and the image configs are set to arm64 (docker import records the
# host's architecture, and the classic builder copies it into every image
# built on a base).
# Skips the build when all tags carry this script's sha256 as fastfib.recipe.
# The last line of stdout is the make arguments for an offline build; all
# other output goes to stderr.
set -euo pipefail

log() { printf 'offline-bases: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
ARCH=${ARCH:-x86_64}
case $ARCH in
    x86_64) DEB_ARCH=amd64 SUFFIX= ;;
    arm64) DEB_ARCH=arm64 SUFFIX=-arm64 ;;
    *) die "ARCH must be x86_64 or arm64, not $ARCH" ;;
esac
HOST_DEB_ARCH=$(dpkg --print-architecture)
BUILDER_TAG=fastfib-local/builder:3.13-trixie$SUFFIX
RUNTIME_TAG=fastfib-local/distroless-python3-debian13:nonroot$SUFFIX
DEBUG_TAG=fastfib-local/distroless-python3-debian13:debug$SUFFIX
TAGS=("$BUILDER_TAG" "$RUNTIME_TAG" "$DEBUG_TAG")
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
# A foreign builder is only unpacked, so it also needs what the apt variant's
# Essential set gives a Dockerfile's RUN lines: a shell and the core tools.
EXTRACT_PKGS=base-files,base-passwd,bash,dash,coreutils,findutils,grep,sed,tar,gzip,diffutils,libc-bin
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
RIE=$("$SCRIPT_DIR/fetch-rie.sh" "$ARCH" | tail -n1)
[[ $DEB_ARCH == "$HOST_DEB_ARCH" ]] || "$SCRIPT_DIR/enable-emulation.sh" >&2
[[ -x $RIE ]] || die "fetch-rie.sh did not produce an executable RIE"

# One build at a time (two make targets may call this together).
exec 9>/tmp/fastfib-offline-bases.lock
flock 9

up_to_date() {
    local t
    for t in "${TAGS[@]}"; do [[ $(recipe_of "$t") == "$RECIPE" ]] || return 1; done
}

# Make a docker-imported image's config say linux/$DEB_ARCH (docker import
# always records the host's): docker save, edit the config, docker load.
set_architecture() { # $1 = tag
    [[ $DEB_ARCH != "$HOST_DEB_ARCH" ]] || return 0
    local dir=$work/save
    rm -rf "$dir" && mkdir "$dir"
    docker save "$1" | tar -C "$dir" -xf -
    python3 - "$dir" "$DEB_ARCH" <<'PY'
import hashlib, json, os, sys
d, arch = sys.argv[1:]
manifest = json.load(open(os.path.join(d, "manifest.json")))
old = manifest[0]["Config"]
config = json.load(open(os.path.join(d, old)))
config["architecture"] = arch
if arch == "arm64":
    config["variant"] = "v8"
data = json.dumps(config, separators=(",", ":")).encode()
new = hashlib.sha256(data).hexdigest() + ".json"
open(os.path.join(d, new), "wb").write(data)
os.remove(os.path.join(d, old))
manifest[0]["Config"] = new
json.dump(manifest, open(os.path.join(d, "manifest.json"), "w"))
PY
    docker image rm "$1" >/dev/null
    tar -C "$dir" -cf - . | docker load >/dev/null
    rm -rf "$dir"
    [[ $(docker image inspect -f '{{.Architecture}}' "$1") == "$DEB_ARCH" ]] || die "$1 still does not say $DEB_ARCH"
}

if up_to_date; then
    log "${TAGS[*]} are up to date (recipe ${RECIPE:0:12})"
else
    start=$SECONDS
    need_pkgs mmdebstrap debian-archive-keyring
    MIRROR=${DEBIAN_MIRROR:-$(detect_mirror)}
    SECURITY_MIRROR=${DEBIAN_SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
    work=$(mktemp -d /tmp/offline-bases.XXXXXX)
    trap 'rm -rf "$work"' EXIT
    log "building in $work from $MIRROR ($SUITE, $SUITE-updates, $SUITE-security)"

    # Builder: apt variant + toolchain, with debian:slim's dpkg excludes; a
    # foreign one is only unpacked (extract variant: no maintainer scripts
    # under emulation), then given what those scripts would have made. The
    # runtime's .debs (and busybox for the debug flavour) are downloaded, not
    # installed, by the host's apt with the chroot's configuration.
    if [[ $DEB_ARCH == "$HOST_DEB_ARCH" ]]; then
        variant=(--variant=apt --include="$BUILDER_PKGS")
        hook=--customize-hook
        fixups=()
    else # the extract variant runs no customize hooks
        variant=(--variant=extract --include="$EXTRACT_PKGS,$BUILDER_PKGS")
        hook=--extract-hook
        # shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
        fixups=(
            "$hook="'cp "$1/usr/share/base-passwd/passwd.master" "$1/etc/passwd"'
            "$hook="'cp "$1/usr/share/base-passwd/group.master" "$1/etc/group"'
            "$hook="'[ -e "$1/usr/bin/sh" ] || ln -s dash "$1/usr/bin/sh"'
            "$hook="'mkdir -p "$1/tmp" && chmod 1777 "$1/tmp"'
            "$hook="'chroot "$1" /usr/sbin/ldconfig'
        )
    fi
    slim=()
    for p in '/usr/share/doc/*' '/usr/share/man/*' '/usr/share/groff/*' '/usr/share/info/*' \
        '/usr/share/lintian/*' '/usr/share/linda/*' '/usr/share/locale/*'; do
        slim+=(--dpkgopt="path-exclude=$p")
    done
    slim+=(--dpkgopt='path-include=/usr/share/doc/*/copyright')
    mkdir "$work/debs"
    # shellcheck disable=SC2016 # $1 is expanded by mmdebstrap's hook shell
    mmdebstrap --quiet --architectures="$DEB_ARCH" "${variant[@]}" "${slim[@]}" \
        --aptopt='Acquire::Retries "3"' \
        "$hook=upload /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt" \
        "${fixups[@]}" \
        "$hook=mkdir -p $work/debs/rt && cd $work/debs/rt && APT_CONFIG=\$MMDEBSTRAP_APT_CONFIG apt-get download -q -o APT::Sandbox::User=root ${RUNTIME_PKGS[*]} ca-certificates busybox-static libc-bin >&2" \
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
    for d in bin lib sbin $([[ $DEB_ARCH != amd64 ]] || echo lib64); do # arm64 has no /lib64
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
    # distroless ships a prebuilt /etc/ld.so.cache for python3-debian13,
    # written here by the target's own (static) ldconfig, emulated if foreign.
    dpkg-deb -x "$debs"/libc-bin_*.deb "$work/libc-bin"
    "$work/libc-bin/usr/sbin/ldconfig" -X -r "$root" 2>/dev/null || die "ldconfig -r failed"
    [[ -s $root/etc/ld.so.cache ]] || die "no ld.so.cache"

    for f in bin/sh usr/bin/sh usr/bin/bash usr/bin/dash usr/bin/busybox usr/bin/dpkg usr/bin/apt; do
        [[ ! -e $root/$f && ! -L $root/$f ]] || die "runtime rootfs unexpectedly contains /$f"
    done
    tar --numeric-owner -C "$root" -cf "$work/runtime.tar" .

    # The debug flavour adds busybox in /busybox, /bin/sh, and runs as root,
    # as gcr.io/distroless/python3-debian13:debug does.
    ctx=$work/debug
    dpkg-deb -x "$debs"/busybox-static_*.deb "$work/bb"
    mkdir -p "$ctx/busybox"
    cp "$(ls "$work"/bb/{usr/,}bin/busybox 2>/dev/null | head -n1)" "$ctx/busybox/busybox"
    for applet in $("$ctx/busybox/busybox" --list); do
        [[ $applet == busybox ]] || ln -s busybox "$ctx/busybox/$applet"
    done
    [[ -L $ctx/busybox/sh ]] || die "busybox has no sh applet"
    cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM $RUNTIME_TAG
COPY busybox/ /busybox/
USER root
RUN ["/busybox/ln", "-s", "/busybox/sh", "/usr/bin/sh"]
ENV PATH=$PATH_ENV:/busybox
WORKDIR /root
LABEL fastfib.stands-in-for=gcr.io/distroless/python3-debian13:debug
DOCKERFILE

    old_builder=$(docker image inspect -f '{{.Id}}' "$BUILDER_TAG" 2>/dev/null || true)
    old_runtime=$(docker image inspect -f '{{.Id}}' "$RUNTIME_TAG" 2>/dev/null || true)
    old_debug=$(docker image inspect -f '{{.Id}}' "$DEBUG_TAG" 2>/dev/null || true)
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
    set_architecture "$BUILDER_TAG"
    set_architecture "$RUNTIME_TAG"
    # Built on the runtime tag, so it shares its layers and architecture.
    log "building $DEBUG_TAG"
    docker build -q --label "fastfib.recipe=$RECIPE" -t "$DEBUG_TAG" "$ctx" >/dev/null

    # Smoke tests; on failure drop the tags so that the next run rebuilds.
    if ! docker run --rm --network none "$BUILDER_TAG" sh -c \
        'python3 -c "import ssl, sqlite3, venv, sysconfig; print(sysconfig.get_paths()[\"include\"])" >/dev/null &&
         test -f /usr/include/python3.13/Python.h && gcc --version >/dev/null && strip --version >/dev/null' >&2 ||
        ! docker run --rm --network none "$RUNTIME_TAG" -c \
            'import os, ssl, sqlite3, json, ctypes, zoneinfo; assert os.getuid() == 65532; zoneinfo.ZoneInfo("Europe/Paris")' >&2 ||
        docker run --rm --network none --entrypoint /bin/sh "$RUNTIME_TAG" -c true >/dev/null 2>&1 ||
        [[ $(docker run --rm --network none --entrypoint /bin/sh "$DEBUG_TAG" -c \
            'id -u && python3 -c "import ssl; print(1)"') != $'0\n1' ]]; then
        docker image rm "${TAGS[@]}" >/dev/null 2>&1 || true
        die "smoke test of the new images failed"
    fi
    for id in "$old_debug" "$old_builder" "$old_runtime"; do # drop superseded images, if unused
        [[ -z $id ]] || docker image rm "$id" >/dev/null 2>&1 || true
    done
    log "built the $ARCH images in $((SECONDS - start))s"
fi

docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep '^fastfib-local/' >&2 || true
echo "BUILDER_IMAGE=$BUILDER_TAG RUNTIME_IMAGE=$RUNTIME_TAG DEBUG_RUNTIME_IMAGE=$DEBUG_TAG RIE=$RIE"
