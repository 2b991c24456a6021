#!/usr/bin/env bash
# Creates the docker image debian:bookworm-slim on this machine when it is
# missing, for machines that cannot pull from an image registry: a minimal
# Debian bookworm made with debootstrap (--variant=minbase) from the Debian
# mirror this machine's apt uses (deploy/debian-mirror.sh), imported with
# `docker import`.  deploy/Dockerfile builds FROM it.
#
#   deploy/make-base-image.sh           create it unless it exists
#   deploy/make-base-image.sh --force   create it again
#
# Needs root (debootstrap; sudo is used when not root) and installs the
# debootstrap package when it is missing.  BASE_IMAGE names another tag.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
image="${BASE_IMAGE:-debian:bookworm-slim}"
force=0
for arg in "$@"; do
    case "$arg" in
    --force) force=1 ;;
    -h | --help)
        sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "make-base-image.sh: unknown option '$arg'" >&2
        exit 2
        ;;
    esac
done

if [ "$force" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
    echo "make-base-image.sh: $image exists"
    exit 0
fi

sudo=()
if [ "$(id -u)" != 0 ]; then
    sudo=(sudo)
fi
if ! command -v debootstrap >/dev/null 2>&1 && [ ! -x /usr/sbin/debootstrap ]; then
    echo "make-base-image.sh: installing debootstrap"
    "${sudo[@]}" apt-get install -y debootstrap >/dev/null ||
        { "${sudo[@]}" apt-get update >/dev/null && "${sudo[@]}" apt-get install -y debootstrap >/dev/null; }
fi

mirror="$("$here/debian-mirror.sh")"
security="$("$here/debian-mirror.sh" --security)"
proxy="$("$here/debian-mirror.sh" --proxy)"
if [ -n "$proxy" ]; then
    export http_proxy="$proxy"
fi

tmp="$(mktemp -d "${TMPDIR:-/tmp}/sluice-base.XXXXXX")"
root="$tmp/rootfs"
cleanup() {
    # debootstrap mounts /proc and /sys inside the tree; never delete through a mount.
    awk -v d="$tmp/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r |
        while read -r m; do "${sudo[@]}" umount -l "$m" || true; done
    "${sudo[@]}" rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

echo "make-base-image.sh: debootstrap bookworm from $mirror (a few minutes)"
if ! "${sudo[@]}" env ${http_proxy:+http_proxy="$http_proxy"} \
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1; then
    tail -n 30 "$tmp/debootstrap.log" >&2
    echo "make-base-image.sh: debootstrap failed" >&2
    exit 1
fi

# What the official slim image also does: apt sources for bookworm, its
# updates and security; no documentation, manuals or translations from later installs.
"${sudo[@]}" tee "$root/etc/apt/sources.list" >/dev/null <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
EOF
"${sudo[@]}" tee "$root/etc/dpkg/dpkg.cfg.d/docker" >/dev/null <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
"${sudo[@]}" sh -c "rm -rf '$root'/var/lib/apt/lists/* '$root'/var/cache/apt/*.bin \
    '$root'/var/cache/apt/archives/*.deb '$root'/usr/share/man/* '$root'/usr/share/info/* \
    '$root'/var/log/*.log '$root'/var/log/apt/*"

echo "make-base-image.sh: importing as $image"
"${sudo[@]}" tar --numeric-owner -C "$root" -c . |
    docker import --change 'CMD ["bash"]' --message "debootstrap minbase bookworm from $mirror" \
        - "$image" >/dev/null
docker image inspect "$image" --format "make-base-image.sh: $image {{.Id}} ({{.Size}} bytes)"
