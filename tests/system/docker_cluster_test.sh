#!/usr/bin/env bash
# System test of the container deployment (not part of `meson test`;
# scripts/test.sh runs it when a docker engine answers):
#
#   1. make debian:bookworm-slim locally when it is missing
#      (deploy/make-base-image.sh: no image registry is needed), build
#      deploy/Dockerfile as sluice:systest
#   2. docker compose up the three nodes of docker-compose.yml under a
#      project name of its own; wait until all three are healthy
#   3. create a topic with one partition and replication factor 3
#   4. produce 5,000 messages with acks=all from the host through the
#      EXTERNAL listeners (confluent-kafka) and 5,000 from a container on the
#      compose network through the INTERNAL listeners (`sluice produce`)
#   5. stop the container leading the partition; a new leader must show in
#      the admin API within 20 s
#   6. consume all 10,000 (each value once, nothing else)
#   7. start the container again; the ISR must return to all three replicas
#   8. docker compose down -v (also on failure or interruption)
#
#   tests/system/docker_cluster_test.sh
#
# Exits 0 when every step passed, 1 otherwise (naming the step, with the
# nodes' logs).  Ports 19092/29092/39092 and 19644/29644/39644 must be free.
set -euo pipefail
cd "$(dirname "$0")/../.."

python=/usr/bin/python3
topic=systest
image="${SLUICE_SYSTEST_IMAGE:-sluice:systest}"
project="sluice-systest-$$"
export SLUICE_IMAGE="$image" COMPOSE_PROJECT_NAME="$project"

if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    echo "docker_cluster_test: neither 'docker compose' nor docker-compose is installed" >&2
    exit 1
fi
# Without the buildx plugin the docker CLI refuses BuildKit builds: use the classic builder.
if ! docker buildx version >/dev/null 2>&1; then
    export DOCKER_BUILDKIT=0 COMPOSE_DOCKER_CLI_BUILD=0
fi

step() { echo "=== $(date +%T) $*"; }
fail() {
    echo "docker_cluster_test: FAIL: $*" >&2
    exit 1
}

up=0
cleanup() {
    local rc=$?
    if [ "$up" = 1 ]; then
        if [ "$rc" -ne 0 ]; then
            "${compose[@]}" ps || true
            "${compose[@]}" logs --no-color --tail 60 node1 node2 node3 2>&1 || true
        fi
        step "compose down -v"
        "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
    fi
    if [ "$rc" -eq 0 ]; then
        echo "docker_cluster_test: passed"
    else
        echo "docker_cluster_test: failed" >&2
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# poll SECONDS WHAT CMD...: run CMD every second until it succeeds; fail naming WHAT.
poll() {
    local secs="$1" what="$2"
    shift 2
    local deadline=$((SECONDS + secs))
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || fail "$what not within ${secs}s"
        sleep 1
    done
}

# partition FIELD ADMIN_PORT: a field of partition 0 of the topic in that node's admin API.
partition() {
    curl -sf --max-time 5 "http://localhost:$2/v1/topics/$topic/partitions/0" |
        "$python" -c 'import json, sys; v = json.load(sys.stdin)[sys.argv[1]]; print(",".join(map(str, sorted(v))) if isinstance(v, list) else v)' "$1"
}

container() { "${compose[@]}" ps -q "$1"; }

healthy() {
    local n c
    for n in "$@"; do
        c="$(container "node$n")"
        [ -n "$c" ] && [ "$(docker inspect -f '{{.State.Health.Status}}' "$c" 2>/dev/null)" = healthy ] ||
            return 1
    done
}

step "base image"
deploy/make-base-image.sh

step "build $image"
old_image="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
docker build --network host \
    --build-arg DEBIAN_MIRROR="$(deploy/debian-mirror.sh)" \
    --build-arg DEBIAN_SECURITY_MIRROR="$(deploy/debian-mirror.sh --security)" \
    -f deploy/Dockerfile -t "$image" . >"${TMPDIR:-/tmp}/$project-build.log" 2>&1 ||
    { tail -n 40 "${TMPDIR:-/tmp}/$project-build.log" >&2; fail "docker build"; }
rm -f "${TMPDIR:-/tmp}/$project-build.log"
new_image="$(docker image inspect -f '{{.Id}}' "$image")"
if [ -n "$old_image" ] && [ "$old_image" != "$new_image" ]; then
    docker image rm "$old_image" >/dev/null 2>&1 || true # the previous build, now untagged
fi
# Earlier build stages (untagged, newest first): keep only the newest, the build cache.
docker images -q --filter label=org.sluice.stage=build --filter dangling=true | tail -n +2 |
    xargs -r docker image rm >/dev/null 2>&1 || true

step "compose up (project $project)"
up=1
"${compose[@]}" up -d --no-build
poll 180 "three healthy nodes" healthy 1 2 3

step "admin API and web view on the published ports"
for n in 1 2 3; do
    curl -sf --max-time 5 "http://localhost:${n}9644/v1/status/ready" >/dev/null ||
        fail "GET localhost:${n}9644/v1/status/ready"
done
page="$(curl -sf --max-time 5 http://localhost:19644/)" || fail "GET localhost:19644/ (web view)"
grep -qi "<html" <<<"$page" || fail "the web view on localhost:19644 is not an HTML page"

step "create $topic (1 partition, replication factor 3) from a container (INTERNAL)"
"${compose[@]}" run --rm -T client topic create "$topic" -p 1 -r 3 -b node1:9092
# shellcheck disable=SC2016 # expanded by eval
poll 30 "partition 0 with a leader and three in-sync replicas" \
    eval '[ "$(partition isr 19644 2>/dev/null)" = 1,2,3 ] && [ "$(partition leader_id 19644)" -gt 0 ]'

step "produce 5,000 from the host through EXTERNAL (acks=all)"
"$python" tests/system/kafka_check.py produce localhost:19092 "$topic" host 5000 ||
    fail "producing from the host"

step "produce 5,000 from a container through INTERNAL (sluice produce --acks all)"
seq -f 'internal-%05g' 1 5000 |
    "${compose[@]}" run --rm -T client produce "$topic" --acks all -b node2:9092 ||
    fail "producing from a container on the compose network"

leader="$(partition leader_id 19644)"
case "$leader" in
1 | 2 | 3) ;;
*) fail "partition 0 has no leader: '$leader'" ;;
esac
other=$((leader % 3 + 1))
step "stop node$leader, the leader of partition 0"
"${compose[@]}" stop "node$leader"
t0=$SECONDS
# shellcheck disable=SC2016 # expanded by eval
poll 20 "a new leader of partition 0 (was node $leader)" \
    eval 'l="$(partition leader_id ${other}9644 2>/dev/null)" && [ "$l" -gt 0 ] && [ "$l" != "$leader" ]'
echo "new leader: node $(partition leader_id "${other}9644") after $((SECONDS - t0))s;" \
    "ISR $(partition isr "${other}9644")"

step "consume all 10,000 through node$other"
"$python" tests/system/kafka_check.py consume "localhost:${other}9092" "$topic" \
    host:5000 internal:5000 || fail "consuming after the leader change"

step "start node$leader again; the ISR must return to 1,2,3"
"${compose[@]}" start "node$leader"
poll 180 "node$leader healthy again" healthy "$leader"
# shellcheck disable=SC2016 # expanded by eval
poll 120 "ISR 1,2,3 again" eval '[ "$(partition isr ${other}9644 2>/dev/null)" = 1,2,3 ]'
echo "ISR $(partition isr "${other}9644"), leader node $(partition leader_id "${other}9644")"
