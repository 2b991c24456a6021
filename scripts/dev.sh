#!/usr/bin/env bash
# Builds Sluice and runs a single-node development cluster in the foreground:
# Kafka on 127.0.0.1:9092, controller on 9093, admin HTTP on 9644, data in
# ./sluice-data (formatted automatically on first start).  Ctrl-C stops it.
#
#   scripts/dev.sh [--override key=value]...   extra options go to `sluice server`
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
if [ -f build/build.ninja ]; then
    meson setup --reconfigure build >/dev/null
else
    meson setup build
fi
ninja -C build
exec build/cmd/sluice server "$@"
