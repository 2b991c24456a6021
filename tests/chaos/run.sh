#!/usr/bin/env bash
# Fault-injection run of Sluice (tests/chaos, issue 15): three nodes in network
# namespaces, a seeded nemesis, a history checker.  Needs root.
#   tests/chaos/run.sh [--seconds N] [--seed S] [--rate R] [--out DIR] [--keep]
#                      [--kinds kill,pause,...,disk,clock | all]
# Builds build/ if needed; SLUICE=/path/to/sluice uses another binary (the
# faultfs shim for `disk` is then taken from that binary's build dir).
# Exit: 0 no anomaly, 1 anomalies, 77 skipped (not root / no netns).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
sluice="${SLUICE:-}"
if [ -z "$sluice" ]; then
    if [ ! -f "$root/build/build.ninja" ]; then
        meson setup "$root/build" >/dev/null
    fi
    ninja -C "$root/build" >/dev/null
    sluice="$root/build/cmd/sluice"
fi
seconds=90
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        *) args+=("$1"); shift ;;
    esac
done
exec env PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 /usr/bin/python3 \
    "$root/tests/chaos/chaos.py" --sluice "$sluice" --seconds "$seconds" "${args[@]+"${args[@]}"}"
