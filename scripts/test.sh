#!/usr/bin/env bash
# Builds Sluice and runs its tests:
#   1. build/       every default suite (unit, integration, compat); before it,
#                   build/venv-clients gets the current Kafka clients of
#                   tests/requirements-clients.txt (skipped tests when offline);
#                   suite chaos is left out (minutes long, needs root: tests/chaos)
#   2. build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer build, running
#                   the unit and integration suites
#   3. tests/system/docker_cluster_test.sh (one test) when a docker engine answers
# Exits non-zero on any build or test failure and ends with the line
# "N passed, N failed[, N skipped]" summing meson's counts.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
skipped=0

finish() {
    if [ "$skipped" -gt 0 ]; then
        echo "$passed passed, $failed failed, $skipped skipped"
    else
        echo "$passed passed, $failed failed"
    fi
    if [ "$failed" -gt 0 ]; then
        exit 1
    fi
    exit 0
}

# setup_build DIR [meson options...]: configures DIR (reconfigures an existing one).
setup_build() {
    local dir="$1"
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}

# build DIR [meson options...]: configure and compile; a failure counts as one failed test.
build() {
    local dir="$1"
    echo "==> building $dir"
    if ! setup_build "$@" || ! ninja -C "$dir"; then
        echo "test.sh: building $dir failed" >&2
        failed=$((failed + 1))
        return 1
    fi
}

# run_tests DIR [meson test options...]: runs meson test and adds its counts.
run_tests() {
    local dir="$1"
    shift
    local log
    log="$(mktemp)"
    echo "==> testing $dir $*"
    meson test -C "$dir" --print-errorlogs "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    count() { awk -v k="$1" '$0 ~ "^" k ":" { n = $NF } END { print n + 0 }' "$log"; }
    local ok fail timeout xpass xfail skip
    ok=$(count "Ok")
    xfail=$(count "Expected Fail")
    fail=$(count "Fail")
    xpass=$(count "Unexpected Pass")
    timeout=$(count "Timeout")
    skip=$(count "Skipped")
    rm -f "$log"
    passed=$((passed + ok + xfail))
    failed=$((failed + fail + xpass + timeout))
    skipped=$((skipped + skip))
    # meson failed without a failing test (e.g. a build error while rebuilding).
    if [ "$rc" -ne 0 ] && [ $((fail + xpass + timeout)) -eq 0 ]; then
        echo "test.sh: meson test in $dir exited with $rc" >&2
        failed=$((failed + 1))
    fi
}

if ! ./scripts/install-deps.sh; then
    echo "test.sh: installing dependencies failed" >&2
    failed=$((failed + 1))
    finish
fi

# client_venv DIR: creates or updates the virtualenv DIR with the pinned
# clients of tests/requirements-clients.txt.  A stamp holding the file's hash
# makes reruns instant; pip's cache makes a reinstall cheap.  On failure (e.g.
# no network) DIR/bin/python is left without the clients and the compat test
# test_current_clients skips, which meson and this script count as skipped.
client_venv() {
    local dir="$1" req=tests/requirements-clients.txt
    local stamp="$dir/.requirements.sha256" want
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
        return 0
    fi
    local py=/usr/bin/python3
    if ! "$py" -c 'import venv, ensurepip' 2>/dev/null; then
        py=python3
    fi
    echo "==> client virtualenv $dir ($req)"
    rm -f "$stamp"
    if { [ -x "$dir/bin/python" ] || "$py" -m venv "$dir"; } &&
        "$dir/bin/python" -m pip install -q --disable-pip-version-check -r "$req"; then
        echo "$want" >"$stamp"
    else
        echo "test.sh: could not install $req into $dir:" \
            "test_current_clients will be skipped" >&2
    fi
}

mkdir -p build
client_venv build/venv-clients

if build build; then
    run_tests build --no-suite chaos
fi

if build build-asan -Db_sanitize=address,undefined -Db_lundef=false; then
    # The replication chaos test runs 45 s instead of 120 s under the sanitizers.
    REPLICATION_CHAOS_SECONDS=45 run_tests build-asan --suite unit --suite integration
fi

# The container deployment (image, docker-compose.yml): one test, when a docker engine answers.
if command -v docker >/dev/null 2>&1 && timeout 30 docker info >/dev/null 2>&1; then
    echo "==> docker system test (tests/system/docker_cluster_test.sh)"
    if tests/system/docker_cluster_test.sh; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
    fi
else
    echo "docker system test skipped: no docker engine"
    skipped=$((skipped + 1))
fi

finish
