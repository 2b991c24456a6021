"""Drives rdkafka_idempotent (librdkafka idempotent producer, 100,000 keyed
messages, acks=all, then an assign-style read-back) against a fresh node, and
checks on disk that the stored batches carry a producer id (idempotence was
really used on the wire, not silently turned off).

Usage: test_rdkafka.py /path/to/sluice /path/to/rdkafka_idempotent"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, check  # noqa: E402

N = 100000
PARTS = 3
TOPIC = "rdkafka-idempotent"
node = None


def setup():
    global node
    if len(sys.argv) < 3 or not os.access(sys.argv[2], os.X_OK):
        raise Skip("rdkafka_idempotent not built (librdkafka-dev missing?)")
    node = SluiceNode(harness.binary_from_argv(), name="rdkafka")
    node.start_ready()
    harness.create_topic(node.bootstrap, TOPIC, PARTS)


def case_idempotent():
    p = subprocess.run([sys.argv[2], node.bootstrap, TOPIC, str(N), str(PARTS)],
                       capture_output=True, timeout=400)
    out = p.stdout.decode(errors="replace")
    err = p.stderr.decode(errors="replace")
    print(out)
    check(p.returncode == 0 and out.rstrip().endswith("OK"),
          f"rdkafka_idempotent exit {p.returncode}:\n{out[-4000:]}\nstderr:\n{err[-4000:]}")
    total, with_pid = 0, 0
    for part in range(PARTS):
        files, batches = harness.segment_batches(node.data_dir, TOPIC, part)
        check(files, f"{TOPIC}[{part}]: no segment files under {node.data_dir}")
        for b in batches:
            total += 1
            with_pid += b.producer_id >= 0 and b.base_sequence >= 0
    check(total > 0 and with_pid == total,
          f"{TOPIC}: {with_pid} of {total} stored batches carry a producer id and sequence; "
          f"expected all (enable.idempotence=true)")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM: exit status {rc}, expected 0")


if __name__ == "__main__":
    harness.run_tests([("start node and create topic", setup),
                       ("idempotent produce + read back", case_idempotent),
                       ("stop node", teardown)])
