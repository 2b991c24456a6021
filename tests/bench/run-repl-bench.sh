#!/usr/bin/env bash
# run-repl-bench.sh: acks=all benchmark of a three-node Sluice cluster (issue
# #5 "Measure"), with NATS JetStream R3 measured in the same run for
# comparison.  Not part of the test suites: run it by hand or with
# `meson test -C <build> --benchmark --verbose`.
#
#   tests/bench/run-repl-bench.sh SLUICE_BINARY RDK_BENCH_BINARY
#
# For each flush policy, on a fresh cluster of three combined nodes (all
# voters, one cluster id) on free loopback ports in a temp dir:
#   1. default (Kafka's: no fsync per append)
#   2. log.flush.interval.messages=1 (fsync every append, group commit)
# it creates topics with replication factor 3, min.insync.replicas=2 and
# BENCH_PARTITIONS partitions, waits until every partition's ISR is full, and
# produces BENCH_SIZE-byte messages with acks=all (rdk_bench, all three nodes
# as bootstrap servers):
#   window 256: at most 256 messages awaiting their ack (throughput)
#   window 1:   one message in flight (ack latency = the cluster's round trip)
# Result lines name the policy ([sluice R3 flush=...]) and the window.
#
# Then, unless BENCH_NATS=0, the same two shapes against a 3-node NATS
# JetStream cluster with one R3 file stream, through the peer script
# ../shared/research/nats_r3_bench.sh (NATS_BENCH_SCRIPT), run from where it
# is with its work dir inside this run's temp dir.  JetStream acknowledges once
# a quorum of the stream's Raft group has the message and fsyncs every 2 min
# by default (nats-server 2.9 cannot fsync per message), so it compares with
# Sluice's default policy.  BENCH_NATS defaults to 1 when nats-server,
# libnats (pkg-config) and the script are present, else NATS is skipped.
#
# Environment knobs:
#   BENCH_COUNT (200000) messages at window 256   BENCH_LAT_COUNT (20000) at window 1
#   BENCH_SECONDS (30) cap per Sluice run          BENCH_SIZE (1024)
#   BENCH_PARTITIONS (3)  BENCH_LINGER_MS (0)  BENCH_WINDOW (256)
#   BENCH_NATS (auto)  NATS_SERVER (/usr/sbin/nats-server)  NATS_BENCH_SCRIPT
# Numbers on a shared 2-vCPU VM with all six servers and the client on it are
# noisy; nothing here asserts on speed.
set -euo pipefail

SLUICE=${1:?usage: $0 SLUICE_BINARY RDK_BENCH_BINARY}
RDK=${2:?usage: $0 SLUICE_BINARY RDK_BENCH_BINARY}
COUNT=${BENCH_COUNT:-200000}
LAT_COUNT=${BENCH_LAT_COUNT:-20000}
SECONDS_MAX=${BENCH_SECONDS:-30}
SIZE=${BENCH_SIZE:-1024}
PARTS=${BENCH_PARTITIONS:-3}
LINGER=${BENCH_LINGER_MS:-0}
WINDOW=${BENCH_WINDOW:-256}
BATCH=1048576

HERE=$(cd "$(dirname "$0")" && pwd)
HARNESS="$HERE/../integration/harness.py"
TOPIC_PY="$HERE/repl_topic.py"
PY=$(command -v /usr/bin/python3 || command -v python3)
export PYTHONDONTWRITEBYTECODE=1
export NATS_SERVER=${NATS_SERVER:-/usr/sbin/nats-server}
NATS_SCRIPT=${NATS_BENCH_SCRIPT:-$HERE/../../../shared/research/nats_r3_bench.sh}

WORK=$(mktemp -d /tmp/sluice-repl-bench-XXXXXX)
PIDS=()
NATS_ENV=()

stop_nodes() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 1 300); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "node $pid did not exit within 30s of SIGTERM; killing" >&2
            kill -KILL "$pid"
        fi
        wait "$pid" 2>/dev/null || true
    done
    PIDS=()
}

stop_nats() {
    if [ ${#NATS_ENV[@]} -gt 0 ]; then
        env "${NATS_ENV[@]}" "$NATS_SCRIPT" stop >/dev/null 2>&1 || true
        NATS_ENV=()
    fi
}

cleanup() {
    stop_nodes
    stop_nats
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

show_logs() {
    local f
    for f in "$WORK"/*/node*/node.log "$WORK"/nats/n*.log; do
        [ -f "$f" ] || continue
        echo "===== ${f#"$WORK"/} (last 40 lines) =====" >&2
        tail -40 "$f" >&2
    done
}

# start_cluster NAME [extra overrides...]: three combined nodes; sets PIDS and
# BOOT (all three Kafka listeners, comma-separated).
start_cluster() {
    local name=$1
    shift
    local dir="$WORK/$name" id voters="" i
    local -a kp cp ap
    read -r -a ports < <("$PY" "$HARNESS" free-ports 9)
    for i in 1 2 3; do
        kp[i]=${ports[$((3 * i - 3))]}
        cp[i]=${ports[$((3 * i - 2))]}
        ap[i]=${ports[$((3 * i - 1))]}
        voters="${voters:+$voters,}$i@127.0.0.1:${cp[i]}"
    done
    id=$("$SLUICE" random-uuid)
    BOOT=""
    for i in 1 2 3; do
        mkdir -p "$dir/node$i"
        "$SLUICE" format --cluster-id "$id" --override "node.id=$i" \
            --override "log.dirs=$dir/node$i/data" \
            --override "controller.quorum.voters=$voters" >"$dir/node$i/format.log" 2>&1 || {
            cat "$dir/node$i/format.log" >&2
            exit 1
        }
        "$SLUICE" server \
            --override "node.id=$i" \
            --override "log.dirs=$dir/node$i/data" \
            --override "listeners=PLAINTEXT://127.0.0.1:${kp[i]},CONTROLLER://127.0.0.1:${cp[i]}" \
            --override "controller.quorum.voters=$voters" \
            --override "admin.listener=127.0.0.1:${ap[i]}" \
            --override "min.insync.replicas=2" \
            --override "default.replication.factor=3" \
            "$@" >"$dir/node$i/node.log" 2>&1 &
        PIDS+=($!)
        BOOT="${BOOT:+$BOOT,}127.0.0.1:${kp[i]}"
    done
    for i in 1 2 3; do
        if ! "$PY" "$HARNESS" wait-ready "127.0.0.1:${kp[i]}" 90; then
            echo "$name: node $i did not become ready" >&2
            show_logs
            exit 1
        fi
    done
    if ! "$PY" "$TOPIC_PY" wait-brokers "$BOOT" 3 90; then
        show_logs
        exit 1
    fi
}

create_topic() { # NAME
    if ! "$PY" "$TOPIC_PY" create "$BOOT" "$1" "$PARTS" 3 2 90; then
        show_logs
        exit 1
    fi
}

produce() { # TOPIC COUNT WINDOW LABEL
    "$RDK" produce -b "$BOOT" -t "$1" -a all -n "$2" -d "$SECONDS_MAX" -s "$SIZE" \
        -l "$LINGER" -B "$BATCH" -w "$3" -L "$4"
}

# sluice_round NAME LABEL [overrides...]: one fresh cluster, both windows.
sluice_round() {
    local name=$1 label=$2
    shift 2
    start_cluster "$name" "$@"
    create_topic bench-r3-w"$WINDOW"
    create_topic bench-r3-w1
    produce bench-r3-w"$WINDOW" "$COUNT" "$WINDOW" "$label" || { status=1; show_logs; }
    produce bench-r3-w1 "$LAT_COUNT" 1 "$label" || { status=1; show_logs; }
    du -sh "$WORK/$name" | sed 's/^/# data dirs (3 replicas): /'
    stop_nodes
    rm -rf "${WORK:?}/$name"
}

nats_wanted() {
    case "${BENCH_NATS:-auto}" in
    0) return 1 ;;
    1) return 0 ;;
    esac
    [ -x "$NATS_SERVER" ] && [ -x "$NATS_SCRIPT" ] && pkg-config --exists libnats 2>/dev/null &&
        command -v curl >/dev/null
}

nats_round() {
    local base
    base=$("$PY" "$TOPIC_PY" free-range 9) || return 1
    NATS_ENV=(WORK="$WORK/nats" BASE_CLIENT="$base" BASE_ROUTE=$((base + 3))
        BASE_HTTP=$((base + 6)) NATS_SERVER="$NATS_SERVER")
    local run=(env "${NATS_ENV[@]}" "$NATS_SCRIPT")
    echo "# nats: $("$NATS_SERVER" --version 2>&1), libnats $(pkg-config --modversion libnats)," \
        "script $NATS_SCRIPT"
    "${run[@]}" start | sed 's/^/# nats: /' || return 1
    "${run[@]}" build >"$WORK/nats/build.log" 2>&1 || { cat "$WORK/nats/build.log" >&2; return 1; }
    "${run[@]}" pub "$COUNT" "$SIZE" "$WINDOW" 3 BENCH || return 1
    "${run[@]}" pub "$LAT_COUNT" "$SIZE" 1 3 BENCH || return 1
    stop_nats
}

echo "# sluice replication bench $(date -u +%FT%TZ) on $(nproc) CPUs;" \
    "load:$(uptime | sed 's/.*load average//')"
echo "# 3 combined nodes, RF=3, min.insync.replicas=2, partitions=$PARTS, acks=all," \
    "size=$SIZE, linger.ms=$LINGER; window $WINDOW: count<=$COUNT or ${SECONDS_MAX}s;" \
    "window 1: count<=$LAT_COUNT"

status=0
sluice_round default "sluice R3 flush=default(no fsync)"
sluice_round fsync "sluice R3 flush=log.flush.interval.messages=1(fsync per append)" \
    --override log.flush.interval.messages=1
if nats_wanted; then
    nats_round || { status=1; show_logs; stop_nats; }
else
    case "${BENCH_NATS:-auto}" in
    0) echo "# nats: skipped (BENCH_NATS=0)" ;;
    *) echo "# nats: skipped: needs $NATS_SERVER, libnats-dev, curl and $NATS_SCRIPT" ;;
    esac
fi
echo "# done; load:$(uptime | sed 's/.*load average//')"
exit $status
