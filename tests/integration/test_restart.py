"""Restart durability: everything acknowledged before a crash (SIGKILL) or a
clean stop (SIGTERM) is there after a restart, exactly once and in order, and
new offsets continue where the old ones stopped.  One more round runs with
log.flush.interval.messages=1 (fsync every append).

Usage: test_restart.py /path/to/sluice        (exit 0 pass, 1 fail, 77 skip)"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, check, run_tests  # noqa: E402

try:
    import kclients
except ImportError as e:  # python3-confluent-kafka missing
    kclients = None
    IMPORT_ERROR = e

N = 20000
N_MORE = 3000
PARTS = 3


def verify_log(topic, produced, consumed):
    """produced: {p: {offset: value}}; consumed: {p: [(offset, key, value)]}."""
    for p in range(PARTS):
        want = produced.get(p, {})
        rows = consumed.get(p, [])
        offsets = [o for o, _, _ in rows]
        check(offsets == list(range(len(rows))),
              f"{topic}[{p}]: offsets read back are not 0..{len(rows) - 1} in order: "
              f"first mismatch at index "
              f"{next((i for i, o in enumerate(offsets) if o != i), None)}")
        check(len(rows) == len(want),
              f"{topic}[{p}]: {len(want)} messages acknowledged, {len(rows)} read back")
        for o, _, v in rows:
            check(want.get(o) == v,
                  f"{topic}[{p}] offset {o}: acknowledged value {want.get(o)!r}, read {v!r}")
        seqs = [int(v.split(b"-")[-1]) for _, _, v in rows]
        check(seqs == sorted(seqs) and len(set(seqs)) == len(seqs),
              f"{topic}[{p}]: values not in produce order or duplicated")


def round_trip(binary, mode, overrides=None):
    if kclients is None:
        raise Skip(f"python3-confluent-kafka not importable: {IMPORT_ERROR}")
    node = SluiceNode(binary, overrides=overrides, name=f"restart-{mode}")
    node.start_ready()
    topic = f"restart-{mode}"
    kclients.admin_create_topic(node.bootstrap, topic, PARTS)
    harness.wait_topic_ready(node.bootstrap, topic, PARTS)

    msgs = [(i % PARTS, str(i).encode(), f"{mode}-{i:08d}".encode()) for i in range(N)]
    produced = kclients.produce(node.bootstrap, topic, msgs)
    counts = {p: len(produced.get(p, {})) for p in range(PARTS)}
    check(sum(counts.values()) == N, f"{topic}: {sum(counts.values())} acknowledged of {N}")
    for p in range(PARTS):
        check(sorted(produced[p]) == list(range(counts[p])),
              f"{topic}[{p}]: acknowledged offsets are not 0..{counts[p] - 1}")

    if mode == "sigterm":
        rc = node.stop()
        check(rc == 0, f"{topic}: clean shutdown (SIGTERM) exit status {rc}, expected 0")
    else:
        node.kill9()
    node.start_ready()
    harness.wait_topic_ready(node.bootstrap, topic, PARTS)

    consumed = kclients.consume_all(node.bootstrap, topic, counts)
    verify_log(topic, produced, consumed)

    more = [(i % PARTS, str(i).encode(), f"{mode}-{i:08d}".encode())
            for i in range(N, N + N_MORE)]
    produced2 = kclients.produce(node.bootstrap, topic, more)
    for p in range(PARTS):
        offs = sorted(produced2.get(p, {}))
        check(offs and offs[0] == counts[p],
              f"{topic}[{p}]: after restart the first new offset is "
              f"{offs[0] if offs else None}, expected {counts[p]} (log end before restart)")
        check(offs == list(range(counts[p], counts[p] + len(offs))),
              f"{topic}[{p}]: new offsets after restart are not contiguous")
        produced[p].update(produced2[p])
    counts = {p: len(produced[p]) for p in range(PARTS)}
    consumed = kclients.consume_all(node.bootstrap, topic, counts)
    verify_log(topic, produced, consumed)
    rc = node.stop()
    check(rc == 0, f"{topic}: final SIGTERM exit status {rc}, expected 0")


def main():
    binary = harness.binary_from_argv()
    run_tests([
        ("kill -9 then restart", lambda: round_trip(binary, "kill9")),
        ("SIGTERM then restart", lambda: round_trip(binary, "sigterm")),
        ("kill -9 with log.flush.interval.messages=1",
         lambda: round_trip(binary, "fsync-kill9", {"log.flush.interval.messages": "1"})),
    ])


if __name__ == "__main__":
    main()
