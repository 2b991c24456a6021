#!/usr/bin/env bash
# Prints the Debian mirror this machine's apt uses, so that image builds
# (deploy/make-base-image.sh, the docker build of deploy/Dockerfile) fetch
# packages from the same place as the host.
#
#   deploy/debian-mirror.sh             the main archive, e.g. http://deb.debian.org/debian
#   deploy/debian-mirror.sh --security  the security archive
#   deploy/debian-mirror.sh --proxy     apt's HTTP proxy (Acquire::http::Proxy), or nothing
#
# DEBIAN_MIRROR / DEBIAN_SECURITY_MIRROR in the environment win over what
# /etc/apt says; without either, deb.debian.org is printed.
set -euo pipefail

# uris: every archive URI of /etc/apt/sources.list and sources.list.d/*
# (one-line "deb URI SUITE..." and deb822 "URIs:" forms), as "URI SUITES".
uris() {
    local f
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -r "$f" ] || continue
        awk '$1 == "deb" {
                 i = 2
                 if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                 print $i, $(i + 1)
             }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -r "$f" ] || continue
        # One stanza per blank-line-separated paragraph; Enabled: no skips it.
        awk 'function flush() {
                 if (uris != "" && enabled) { n = split(uris, u, " "); for (k = 1; k <= n; k++) print u[k], suites }
                 uris = ""; suites = ""; enabled = 1
             }
             BEGIN { enabled = 1 }
             /^[ \t]*$/ { flush(); next }
             /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
             /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
             /^Enabled:[ \t]*no/ { enabled = 0 }
             END { flush() }' "$f"
    done
}

# pick PATTERN: the first URI whose suites match PATTERN (an awk regex).
pick() {
    uris | awk -v re="$1" '$0 ~ re { print $1; exit }' | sed 's:/*$::'
}

case "${1:-}" in
"")
    m="${DEBIAN_MIRROR:-$(pick ' bookworm( |$)')}"
    echo "${m:-http://deb.debian.org/debian}"
    ;;
--security)
    m="${DEBIAN_SECURITY_MIRROR:-$(pick 'bookworm-security')}"
    echo "${m:-http://deb.debian.org/debian-security}"
    ;;
--proxy)
    if command -v apt-config >/dev/null 2>&1; then
        apt-config shell p Acquire::http::Proxy | sed -n "s/^p='\(.*\)'$/\1/p"
    fi
    ;;
-h | --help)
    sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
    ;;
*)
    echo "debian-mirror.sh: unknown option '$1'" >&2
    exit 2
    ;;
esac
