#!/usr/bin/env bash
# run-bench.sh: produce/consume benchmark of one single-node Sluice dev cluster
# with librdkafka (rdk_bench).  Not part of the test suites: run it by hand or
# with `meson test -C <build> --benchmark --verbose`.
#
#   tests/bench/run-bench.sh SLUICE_BINARY RDK_BENCH_BINARY
#
# Rounds, each on a fresh node in a fresh temp dir on free loopback ports:
#   1. default flush policy (Kafka's: no fsync per append): produce acks=1,
#      then consume everything back; then produce acks=all on a second topic
#   2. log.flush.interval.messages=1 (fsync every append, group commit):
#      produce acks=all, then acks=1
# The throughput rounds keep up to 1M messages queued in librdkafka, so their
# delivery latency is mostly queueing; each node therefore also runs latency
# rounds with one message in flight (window 1, linger.ms 0, BENCH_LAT_COUNT
# messages) whose p50/p99 is the broker's round trip; the fsync node also runs
# acks=all latency rounds with BENCH_LAT_WINDOWS messages in flight (group commit).
# Every result line names the flush policy.  Environment knobs:
#   BENCH_COUNT (1000000)  BENCH_SECONDS (30)  BENCH_SIZE (1024)
#   BENCH_PARTITIONS (3)   BENCH_LINGER_MS (5) BENCH_BATCH (1048576)
#   BENCH_WINDOW (0 = bounded by librdkafka's queue only)  BENCH_LAT_COUNT (5000)
#   BENCH_LAT_WINDOWS ("1 256": in-flight windows of the fsync node's acks=all latency rounds)
# Numbers on a shared 2-vCPU VM are noisy; nothing here asserts on speed.
set -euo pipefail

SLUICE=${1:?usage: $0 SLUICE_BINARY RDK_BENCH_BINARY}
RDK=${2:?usage: $0 SLUICE_BINARY RDK_BENCH_BINARY}
COUNT=${BENCH_COUNT:-1000000}
SECONDS_MAX=${BENCH_SECONDS:-30}
SIZE=${BENCH_SIZE:-1024}
PARTS=${BENCH_PARTITIONS:-3}
LINGER=${BENCH_LINGER_MS:-5}
BATCH=${BENCH_BATCH:-1048576}
WINDOW=${BENCH_WINDOW:-0}
LAT_COUNT=${BENCH_LAT_COUNT:-5000}
LAT_WINDOWS=${BENCH_LAT_WINDOWS:-1 256}

HERE=$(cd "$(dirname "$0")" && pwd)
HARNESS="$HERE/../integration/harness.py"
PY=$(command -v /usr/bin/python3 || command -v python3)
export PYTHONDONTWRITEBYTECODE=1

WORK=$(mktemp -d /tmp/sluice-bench-XXXXXX)
PID=""

stop_node() {
    if [ -n "$PID" ] && kill -0 "$PID" 2>/dev/null; then
        kill -TERM "$PID"
        for _ in $(seq 1 600); do
            kill -0 "$PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$PID" 2>/dev/null; then
            echo "node $PID did not exit within 60s of SIGTERM; killing" >&2
            kill -KILL "$PID"
        fi
        wait "$PID" 2>/dev/null || true
    fi
    PID=""
}

cleanup() {
    stop_node
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# start_node NAME [extra overrides...]: sets PID and BOOT.
start_node() {
    local name=$1
    shift
    local dir="$WORK/$name"
    mkdir -p "$dir"
    read -r P1 P2 P3 < <("$PY" "$HARNESS" free-ports 3)
    "$SLUICE" server \
        --override "log.dirs=$dir/data" \
        --override "listeners=PLAINTEXT://127.0.0.1:$P1,CONTROLLER://127.0.0.1:$P2" \
        --override "controller.quorum.voters=1@127.0.0.1:$P2" \
        --override "admin.listener=127.0.0.1:$P3" \
        "$@" >"$dir/node.log" 2>&1 &
    PID=$!
    BOOT="127.0.0.1:$P1"
    if ! "$PY" "$HARNESS" wait-ready "$BOOT" 60; then
        echo "node $name did not become ready; log:" >&2
        tail -50 "$dir/node.log" >&2
        exit 1
    fi
}

produce() { # TOPIC ACKS LABEL
    "$RDK" produce -b "$BOOT" -t "$1" -a "$2" -n "$COUNT" -d "$SECONDS_MAX" -s "$SIZE" \
        -l "$LINGER" -B "$BATCH" -w "$WINDOW" -L "$3"
}

latency() { # TOPIC ACKS LABEL [WINDOW]: WINDOW (default 1) messages in flight
    local w=${4:-1}
    "$RDK" produce -b "$BOOT" -t "$1" -a "$2" -n "$((LAT_COUNT * w < 100000 ? LAT_COUNT * w : 100000))" \
        -d "$SECONDS_MAX" -s "$SIZE" -l 0 -B "$BATCH" -w "$w" -L "$3"
}

echo "# sluice bench $(date -u +%FT%TZ) on $(nproc) CPUs; load:$(uptime | sed 's/.*load average//')"
echo "# count<=$COUNT or ${SECONDS_MAX}s, size=$SIZE, partitions=$PARTS, linger.ms=$LINGER, batch.size=$BATCH"

status=0
start_node default
"$PY" "$HARNESS" create-topic "$BOOT" bench-acks1 "$PARTS"
"$PY" "$HARNESS" create-topic "$BOOT" bench-acksall "$PARTS"
"$PY" "$HARNESS" create-topic "$BOOT" bench-lat 1
produce bench-acks1 1 "flush=default(no fsync)" || status=1
"$RDK" consume -b "$BOOT" -t bench-acks1 -p "$PARTS" -L "flush=default(no fsync)" || status=1
produce bench-acksall all "flush=default(no fsync)" || status=1
latency bench-lat 1 "flush=default(no fsync)" || status=1
latency bench-lat all "flush=default(no fsync)" || status=1
du -sh "$WORK/default/data" | sed 's/^/# data dir: /'
stop_node
rm -rf "$WORK/default"

start_node fsync --override log.flush.interval.messages=1
"$PY" "$HARNESS" create-topic "$BOOT" bench-acksall "$PARTS"
"$PY" "$HARNESS" create-topic "$BOOT" bench-acks1 "$PARTS"
"$PY" "$HARNESS" create-topic "$BOOT" bench-lat 1
produce bench-acksall all "flush=log.flush.interval.messages=1(fsync per append)" || status=1
produce bench-acks1 1 "flush=log.flush.interval.messages=1(fsync per append)" || status=1
for w in $LAT_WINDOWS; do
    latency bench-lat all "flush=log.flush.interval.messages=1(fsync per append)" "$w" || status=1
done
stop_node
echo "# done; load:$(uptime | sed 's/.*load average//')"
exit $status
