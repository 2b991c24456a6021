"""Self-test of checker.py (tests/chaos, issue 15) on made-up histories: each
anomaly kind the chaos run reports must be found, and a clean history must
give none.  No cluster: runs in the default test run.
Usage: /usr/bin/python3 test_checker.py"""

import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from checker import (check_topic, longest_gap, producer_of, sanitizer_and_fatal_lines,
                         split_duplicates)
except ImportError as e:  # confluent-kafka missing
    print(f"SKIP: {e}")
    sys.exit(77)


def writer(acks, tag="i", failures=()):
    return types.SimpleNamespace(tag=tag, acks=acks, failures=list(failures), sent=len(acks),
                                 unresolved=0, abandoned=0, producers=1, fatal=[])


def expect(cond, msg):
    if not cond:
        print(f"FAIL: {msg}")
        sys.exit(1)


def main():
    # Clean: three acked values at their offsets, one read.
    final = {0: [(0, "i-0"), (1, "i-3")], 1: [(0, "i-1")]}
    w = writer([("i-0", 0, 0, 1.0), ("i-1", 1, 0, 1.1), ("i-3", 0, 1, 1.2)])
    r = check_topic(final, w, True, [("t", 0, 0, "i-0", 2.0)])
    for k in ("lost", "wrong_offset", "duplicates", "reordered", "vanished_reads",
              "unknown_values"):
        expect(r[k] == 0, f"clean history: {k} = {r[k]}")
    expect(r["acked"] == 3 and r["final_records"] == 3, f"clean history figures: {r}")

    # Every anomaly at once.
    final = {0: [(0, "i-3"), (1, "i-0"), (2, "i-6"), (3, "i-6"), (4, "x-1")],
             1: [(0, "i-1")]}
    acks = [("i-0", 0, 0, 1.0),   # acked at 0, ends up at 1: wrong offset (and reordered)
            ("i-3", 0, 1, 1.1),   # acked at 1, ends up at 0
            ("i-4", 1, 1, 1.2),   # absent: lost
            ("i-6", 0, 2, 1.3),   # twice: duplicate
            ("i-1", 1, 0, 1.4)]
    reads = [("t", 1, 1, "i-4", 2.0),  # read at 1:1, gone from the final log
             ("t", 0, 2, "i-6", 2.1)]
    r = check_topic(final, writer(acks), True, reads)
    expect(r["lost"] == 1 and r["lost_examples"][0]["value"] == "i-4", f"lost: {r}")
    expect(r["wrong_offset"] == 2, f"wrong_offset: {r['wrong_offset_examples']}")
    expect(r["duplicates"] == 1 and r["duplicate_examples"][0]["value"] == "i-6",
           f"duplicates: {r['duplicate_examples']}")
    expect(r["reordered"] == 1 and r["reordered_examples"][0]["earlier"][0] == "i-0",
           f"reordered: {r['reordered_examples']}")
    expect(r["vanished_reads"] == 1 and r["vanished_examples"][0]["read"] == "i-4",
           f"vanished: {r['vanished_examples']}")
    expect(r["unknown_values"] == 1, f"unknown: {r['unknown_examples']}")

    # The plain writer's reordering is not judged.
    r = check_topic({0: [(0, "n-2"), (1, "n-0")]}, writer([("n-0", 0, 1, 1), ("n-2", 0, 0, 2)],
                                                          "n"), False, [])
    expect(r["reordered"] == 0 and r["lost"] == 0, f"plain writer: {r}")

    # Availability: longest window without an acknowledgement, edges included.
    expect(longest_gap([2.0, 3.0, 9.0], 0.0, 10.0) == (6.0, 3.0, 9.0), "gap inside")
    expect(longest_gap([], 5.0, 8.0) == (3.0, 5.0, 8.0), "no ack at all")
    # Duplicates split by the producer epoch of the batches holding the copies.
    index = [(0, 9, 7, 1), (10, 10, 7, 1), (11, 20, 7, 2)]  # (base, last, pid, epoch)
    expect(producer_of(index, 10) == (7, 1) and producer_of(index, 15) == (7, 2) and
           producer_of(index, 21) is None, "producer_of")
    same, across = split_duplicates([{"value": "i-1", "positions": [[0, 3], [0, 12]]},
                                     {"value": "i-2", "positions": [[0, 4], [0, 10]]},
                                     {"value": "i-3", "positions": [[0, 5], [0, 30]]}],
                                    {0: index})
    expect([d["value"] for d in across] == ["i-1"], f"across epochs: {across}")
    expect([d["value"] for d in same] == ["i-2", "i-3"], f"same epoch / unknown: {same}")

    # Node logs: a FATAL line under a disk fault (up to the next start) is expected;
    # one outside it, or a sanitizer report under it, is not.
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "node.log")
        with open(path, "w") as f:
            f.write("=== start 10:00:00\n"
                    "x ERROR [raft] FATAL: the metadata log could not be written\n"
                    "=== chaos 10:00:05 disk fault armed: segments EIO\n"
                    "y ERROR [raft] FATAL: the metadata log could not be synced\n"
                    "ERROR: AddressSanitizer: heap-use-after-free\n"
                    "=== start 10:00:09\n"
                    "z ERROR [raft] FATAL: again\n")
        excused = []
        bad = sanitizer_and_fatal_lines([types.SimpleNamespace(id=1, log_path=path)], excused)
        expect([ln.split()[1] for ln in excused] == ["y"], f"excused: {excused}")
        expect(len(bad) == 3 and "AddressSanitizer" in bad[1], f"suspicious: {bad}")
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
