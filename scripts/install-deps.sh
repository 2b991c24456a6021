#!/usr/bin/env bash
# Installs the Debian packages Sluice's build and tests need, when missing.
#
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --fuzz   also clang and its runtime (libFuzzer builds)
#
# Installed packages are checked with dpkg-query first; `apt-get update` runs
# once, and only when something is missing.  Uses sudo when not root.
set -euo pipefail

fuzz=0
for arg in "$@"; do
    case "$arg" in
    --fuzz) fuzz=1 ;;
    -h | --help)
        sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "install-deps.sh: unknown option '$arg'" >&2
        exit 2
        ;;
    esac
done

packages=(
    # build
    build-essential meson ninja-build pkg-config
    libevent-dev libssl-dev libzstd-dev liblz4-dev zlib1g-dev libsnappy-dev libjansson-dev
    # unit tests
    check
    # compatibility tests with real Kafka clients
    librdkafka-dev kcat python3-kafka python3-confluent-kafka
    # the current clients of tests/requirements-clients.txt, in a virtualenv
    python3-venv
    # the admin web page test (headless)
    chromium
)
if [ "$fuzz" = 1 ]; then
    packages+=(clang libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install-deps.sh: missing packages: ${missing[*]}" >&2
    echo "install-deps.sh: this is not a Debian/Ubuntu system; install their equivalents yourself" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install-deps.sh: need root (or sudo) to install: ${missing[*]}" >&2
        exit 1
    fi
    sudo=(sudo)
fi
echo "install-deps.sh: installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
