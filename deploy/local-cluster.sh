#!/usr/bin/env bash
# Runs a three-node Sluice cluster as plain processes on 127.0.0.1, for users
# without docker and for tests.  Node N (1..3) is a combined broker and
# controller listening on ports N9092 (Kafka), N9093 (controller) and N9644
# (admin HTTP); all three are voters of the metadata quorum and share one
# cluster id.
#
#   deploy/local-cluster.sh start [N]    start every node (or node N) that is not
#                                        running; returns once they are ready
#   deploy/local-cluster.sh stop [N]     SIGTERM (controlled shutdown), then wait
#   deploy/local-cluster.sh status       pid, state and readiness of each node
#   deploy/local-cluster.sh kill N       SIGKILL node N (a crash)
#   deploy/local-cluster.sh restart N    stop node N and start it again
#   deploy/local-cluster.sh pause N      SIGSTOP node N (a hung process)
#   deploy/local-cluster.sh resume N     SIGCONT node N
#   deploy/local-cluster.sh clean        stop everything and delete the data
#
# Environment:
#   SLUICE_CLUSTER_DIR     data, logs and pid files (default ./cluster-data):
#                          DIR/cluster.id, DIR/nodeN/{server.properties,data/,
#                          node.log,sluice.pid}
#   SLUICE_BIN             the sluice binary (default build/cmd/sluice of this
#                          checkout, built with meson when missing)
#   SLUICE_PORT_BASE       use nine ports from BASE instead of the N9092 layout:
#                          node N gets BASE+3(N-1) (Kafka), +1 (controller), +2 (admin)
#   SLUICE_START_TIMEOUT   seconds `start` waits for readiness (default 90)
#   SLUICE_STOP_TIMEOUT    seconds `stop` waits before SIGKILL (default 30)
# Any other SLUICE_* variable reaches every node as configuration
# (SLUICE_MIN_INSYNC_REPLICAS=2 -> min.insync.replicas=2).
#
# A node is ready when GET /v1/status/ready on its admin port answers 200 and
# its Kafka port answers ApiVersions.  Processes are only ever signalled by the
# pid in their pid file, after checking that the pid is still that node.
set -euo pipefail

repo="$(cd "$(dirname "$0")/.." && pwd)"
cluster_dir="$(realpath -m "${SLUICE_CLUSTER_DIR:-./cluster-data}")"
start_timeout="${SLUICE_START_TIMEOUT:-90}"
stop_timeout="${SLUICE_STOP_TIMEOUT:-30}"
port_base="${SLUICE_PORT_BASE:-}"
nodes=(1 2 3)

die() {
    echo "local-cluster.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'
}

# ---- layout -----------------------------------------------------------------

kafka_port() { if [ -n "$port_base" ]; then echo $((port_base + 3 * ($1 - 1))); else echo "${1}9092"; fi; }
ctrl_port() { if [ -n "$port_base" ]; then echo $((port_base + 3 * ($1 - 1) + 1)); else echo "${1}9093"; fi; }
admin_port() { if [ -n "$port_base" ]; then echo $((port_base + 3 * ($1 - 1) + 2)); else echo "${1}9644"; fi; }
node_dir() { echo "$cluster_dir/node$1"; }
pid_file() { echo "$(node_dir "$1")/sluice.pid"; }
log_file() { echo "$(node_dir "$1")/node.log"; }
config_file() { echo "$(node_dir "$1")/server.properties"; }

voters() {
    local n out=""
    for n in "${nodes[@]}"; do
        out="${out:+$out,}$n@127.0.0.1:$(ctrl_port "$n")"
    done
    echo "$out"
}

check_node() {
    case "${1:-}" in
    1 | 2 | 3) ;;
    *) die "expected a node number 1, 2 or 3, got '${1:-}'" ;;
    esac
}

# ---- the binary ---------------------------------------------------------------

sluice_bin() {
    if [ -n "${SLUICE_BIN:-}" ]; then
        [ -x "$SLUICE_BIN" ] || die "SLUICE_BIN=$SLUICE_BIN is not an executable"
        echo "$SLUICE_BIN"
        return
    fi
    local b="$repo/build/cmd/sluice"
    if [ ! -x "$b" ]; then
        echo "local-cluster.sh: building $b" >&2
        (
            cd "$repo"
            ./scripts/install-deps.sh
            if [ -f build/build.ninja ]; then
                meson setup --reconfigure build >/dev/null
            else
                meson setup build >/dev/null
            fi
            ninja -C build cmd/sluice
        ) >&2 || die "building sluice failed"
    fi
    echo "$b"
}

# This script's own variables are not node settings: sluice runs without them.
own_vars=(-u SLUICE_CLUSTER_DIR -u SLUICE_BIN -u SLUICE_PORT_BASE -u SLUICE_START_TIMEOUT
    -u SLUICE_STOP_TIMEOUT)
sluice() {
    env "${own_vars[@]}" "$bin" "$@"
}

# ---- processes ------------------------------------------------------------------

# node_pid N: the pid of node N if its pid file names a live sluice process
# of this node (checked through /proc/PID/cmdline), else nothing.
node_pid() {
    local f pid
    f="$(pid_file "$1")"
    [ -f "$f" ] || return 0
    pid="$(cat "$f" 2>/dev/null || true)"
    case "$pid" in
    '' | *[!0-9]*) return 0 ;;
    esac
    [ -r "/proc/$pid/cmdline" ] || return 0
    if tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$(config_file "$1")"; then
        echo "$pid"
    fi
}

# proc_state PID: R/S/D (running), T (stopped by a signal), Z, or nothing.
proc_state() {
    awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# ---- readiness probes (bash /dev/tcp, no other tool needed) -------------------------

# http_status PORT PATH: the HTTP status code of GET PATH on 127.0.0.1:PORT.
http_status() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n" "$2" >&3
        read -r _ code _ <&3 && echo "$code"' _ "$1" "$2" 2>/dev/null || true
}

# kafka_answers PORT: true when an ApiVersions v0 request on 127.0.0.1:PORT
# gets a response with its correlation id and error code 0.
kafka_answers() {
    local got
    # shellcheck disable=SC2016 # expanded by the inner bash
    got="$(timeout 5 bash -c '
        exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
        # size 16 | api_key 18 | version 0 | correlation 7 | client_id "health"
        printf "\x00\x00\x00\x10\x00\x12\x00\x00\x00\x00\x00\x07\x00\x06health" >&3
        head -c 10 <&3 | od -An -tx1' _ "$1" 2>/dev/null | tr -d ' \n' || true)"
    # size (4 bytes) | correlation id 7 | error_code 0
    [ "${got:8:12}" = "000000070000" ]
}

node_ready() {
    [ "$(http_status "$(admin_port "$1")" /v1/status/ready)" = 200 ] && kafka_answers "$(kafka_port "$1")"
}

# ---- commands ---------------------------------------------------------------------

cluster_id() {
    local f="$cluster_dir/cluster.id"
    if [ ! -s "$f" ]; then
        sluice random-uuid >"$f.tmp"
        mv "$f.tmp" "$f"
    fi
    cat "$f"
}

write_config() {
    local n="$1"
    cat >"$(config_file "$n")" <<EOF
# Written by deploy/local-cluster.sh (rewritten on every start).
node.id=$n
process.roles=broker,controller
controller.quorum.voters=$(voters)
listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$n"),CONTROLLER://127.0.0.1:$(ctrl_port "$n")
advertised.listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$n")
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
admin.listener=127.0.0.1:$(admin_port "$n")
log.dirs=$(node_dir "$n")/data
EOF
}

start_node() {
    local n="$1" pid d
    pid="$(node_pid "$n")"
    if [ -n "$pid" ]; then
        if [ "$(proc_state "$pid")" = T ]; then
            echo "node $n is paused (pid $pid): resume it with '$0 resume $n'" >&2
        fi
        return 0
    fi
    d="$(node_dir "$n")"
    mkdir -p "$d"
    write_config "$n"
    local out
    if ! out="$(sluice format -c "$(config_file "$n")" --cluster-id "$(cluster_id)" \
        --ignore-formatted 2>&1)"; then
        die "formatting node $n failed: $out"
    fi
    echo "=== $(date '+%F %T') start" >>"$(log_file "$n")"
    rm -f "$(pid_file "$n")"
    # In its own session (setsid), the node outlives this script and a Ctrl-C
    # in its terminal.  setsid may fork, so the process writes its own pid
    # before it becomes sluice.
    # shellcheck disable=SC2016 # expanded by the inner bash
    setsid bash -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$(pid_file "$n")" \
        env "${own_vars[@]}" "$bin" server -c "$(config_file "$n")" >>"$(log_file "$n")" 2>&1 </dev/null &
    local deadline=$((SECONDS + 10))
    until [ -s "$(pid_file "$n")" ]; do
        [ "$SECONDS" -lt "$deadline" ] || die "node $n did not start (see $(log_file "$n"))"
        sleep 0.05
    done
    echo "node $n started (pid $(cat "$(pid_file "$n")")): Kafka 127.0.0.1:$(kafka_port "$n")," \
        "admin http://127.0.0.1:$(admin_port "$n")/"
}

# wait_ready N...: until each node is ready, or fail at the deadline naming
# the nodes that are not (and the tail of a log of a node that exited).
wait_ready() {
    local deadline=$((SECONDS + start_timeout)) n pending
    while :; do
        pending=()
        for n in "$@"; do
            if [ -z "$(node_pid "$n")" ]; then
                echo "local-cluster.sh: node $n exited; the end of $(log_file "$n"):" >&2
                tail -n 20 "$(log_file "$n")" >&2 || true
                exit 1
            fi
            node_ready "$n" || pending+=("$n")
        done
        [ "${#pending[@]}" -eq 0 ] && return 0
        if [ "$SECONDS" -ge "$deadline" ]; then
            for n in "${pending[@]}"; do
                echo "local-cluster.sh: node $n not ready after ${start_timeout}s" \
                    "(admin: $(http_status "$(admin_port "$n")" /v1/status/ready || true);" \
                    "log: $(log_file "$n"))" >&2
            done
            exit 1
        fi
        sleep 0.5
    done
}

cmd_start() {
    local which=("${nodes[@]}") n pid
    if [ -n "${1:-}" ]; then
        check_node "$1"
        which=("$1")
    fi
    mkdir -p "$cluster_dir"
    for n in "${which[@]}"; do
        start_node "$n"
    done
    for n in "${which[@]}"; do
        pid="$(node_pid "$n")"
        if [ -n "$pid" ] && [ "$(proc_state "$pid")" = T ]; then
            die "node $n is paused (pid $pid); resume it first"
        fi
    done
    wait_ready "${which[@]}"
    echo "ready: ${which[*]} (bootstrap 127.0.0.1:$(kafka_port 1),127.0.0.1:$(kafka_port 2),127.0.0.1:$(kafka_port 3))"
}

# wait_gone PID SECONDS: true once PID has exited.
wait_gone() {
    local deadline=$((SECONDS + $2))
    while [ -d "/proc/$1" ] && [ "$(proc_state "$1")" != Z ]; do
        [ "$SECONDS" -ge "$deadline" ] && return 1
        sleep 0.2
    done
}

stop_node() {
    local n="$1" pid
    pid="$(node_pid "$n")"
    if [ -z "$pid" ]; then
        rm -f "$(pid_file "$n")"
        return 0
    fi
    kill -TERM "$pid" 2>/dev/null || true
    kill -CONT "$pid" 2>/dev/null || true # a paused node must run to exit
    if ! wait_gone "$pid" "$stop_timeout"; then
        echo "node $n (pid $pid) did not exit within ${stop_timeout}s of SIGTERM: SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
        wait_gone "$pid" 10 || die "node $n (pid $pid) survived SIGKILL"
    fi
    rm -f "$(pid_file "$n")"
    echo "node $n stopped"
}

cmd_stop() {
    local n pids=()
    if [ -n "${1:-}" ]; then
        check_node "$1"
        stop_node "$1"
        return
    fi
    # Signal all first so that they shut down together, then wait for each.
    for n in "${nodes[@]}"; do
        stop_node "$n" &
        pids+=($!)
    done
    local rc=0 p
    for p in "${pids[@]}"; do
        wait "$p" || rc=1
    done
    return "$rc"
}

cmd_kill() {
    check_node "${1:-}"
    local pid
    pid="$(node_pid "$1")"
    [ -n "$pid" ] || die "node $1 is not running"
    kill -KILL "$pid"
    kill -CONT "$pid" 2>/dev/null || true
    wait_gone "$pid" 10 || die "node $1 (pid $pid) survived SIGKILL"
    rm -f "$(pid_file "$1")"
    echo "node $1 killed (pid $pid)"
}

cmd_signal() { # cmd_signal N SIGNAL WORD
    check_node "${1:-}"
    local pid
    pid="$(node_pid "$1")"
    [ -n "$pid" ] || die "node $1 is not running"
    kill "-$2" "$pid"
    echo "node $1 $3 (pid $pid)"
}

cmd_restart() {
    check_node "${1:-}"
    stop_node "$1"
    cmd_start "$1"
}

cmd_status() {
    local n pid state ready all=0
    printf '%-5s %-8s %-8s %-6s %-22s %-22s %s\n' NODE PID STATE READY KAFKA ADMIN LOG
    for n in "${nodes[@]}"; do
        pid="$(node_pid "$n")"
        ready=no
        if [ -z "$pid" ]; then
            state=down
            pid=-
        elif [ "$(proc_state "$pid")" = T ]; then
            state=paused
        else
            state=running
            if node_ready "$n"; then
                ready=yes
                all=$((all + 1))
            fi
        fi
        printf '%-5s %-8s %-8s %-6s %-22s %-22s %s\n' "$n" "$pid" "$state" "$ready" \
            "127.0.0.1:$(kafka_port "$n")" "127.0.0.1:$(admin_port "$n")" "$(log_file "$n")"
    done
    [ "$all" -eq "${#nodes[@]}" ]
}

cmd_clean() {
    cmd_stop
    rm -rf "$cluster_dir"
    echo "removed $cluster_dir"
}

case "${1:-}" in
start | restart | clean) bin="$(sluice_bin)" ;;
-h | --help | help | "")
    usage
    exit 0
    ;;
esac

cmd="$1"
shift
case "$cmd" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status ;;
kill) cmd_kill "$@" ;;
restart) cmd_restart "$@" ;;
pause) cmd_signal "${1:-}" STOP paused ;;
resume) cmd_signal "${1:-}" CONT resumed ;;
clean) cmd_clean ;;
*)
    usage >&2
    exit 2
    ;;
esac
