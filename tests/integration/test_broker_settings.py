"""Broker settings are honoured or refused, never accepted and ignored
(issue 19 item 6).

- fetch.max.bytes caps a Fetch request's max_bytes (Kafka's
  KafkaApis.handleFetchRequest): with fetch.max.bytes=1024 a Fetch asking
  for 4 MiB gets the first batch only (returned whole though larger), not
  every batch of the partition;
- a setting Sluice does not implement (num.replica.fetchers=2,
  controller.quorum.append.linger.ms=5) stops the server at startup with a
  message naming the key, instead of being accepted and ignored.

Usage: test_broker_settings.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_FETCH, ERR_NONE, KafkaConn, Reader, SluiceNode, check, i8,  # noqa: E402
                     i32, i64, karray, kstring, record_batch)

TOPIC = "settings"
BATCHES = 4
VALUE = b"x" * 700  # each batch is larger than fetch.max.bytes' 1024 / 2

node = None


def fetch_v4(topic, max_bytes):
    part = i32(0) + i64(0) + i32(max_bytes)
    body = (i32(-1) + i32(0) + i32(1) + i32(max_bytes) + i8(0) +
            karray([topic], lambda t: kstring(t) + karray([part])))
    with KafkaConn("127.0.0.1", node.kafka_port, timeout=60) as c:
        r = Reader(c.request(API_FETCH, 4, body))
    r.i32()  # throttle
    out = []
    for _ in range(r.i32()):
        r.string()
        for _ in range(r.i32()):
            _, err, _ = r.i32(), r.i16(), r.i64()
            r.i64()  # last stable offset
            r.array(lambda: (r.i64(), r.i64()))
            n = r.i32()
            out.append((err, r.take(n) if n > 0 else b""))
    return out


def setup():
    global node
    node = SluiceNode(harness.binary_from_argv(), name="settings",
                      overrides={"fetch.max.bytes": "1024"})
    node.start_ready()
    harness.create_topic(node.bootstrap, TOPIC, 1)
    with KafkaConn("127.0.0.1", node.kafka_port, timeout=60) as c:
        for i in range(BATCHES):
            res = c.produce(TOPIC, 0, record_batch([(b"k%d" % i, VALUE)]), version=3, acks=1)
            check(res[0][2] == ERR_NONE, f"produce {i}: {res}")


def case_fetch_max_bytes_caps_the_request():
    res = fetch_v4(TOPIC, 4 << 20)
    check(len(res) == 1 and res[0][0] == ERR_NONE, f"fetch: {res}")
    batches = list(harness.iter_batches(res[0][1]))
    print(f"  {len(res[0][1])} record bytes, {len(batches)} batch(es)")
    check(len(batches) == 1,
          f"fetch.max.bytes=1024 but a 4 MiB fetch got {len(batches)} batches "
          f"({len(res[0][1])} bytes); expected the first batch only")


def refused_at_startup(key, value):
    tmp = harness.make_tmpdir()
    probe = SluiceNode(harness.binary_from_argv(), tmpdir=tmp, name=f"refuse-{key}",
                       overrides={key: value})
    p = subprocess.run(probe.command(), capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL, cwd=tmp)
    out = p.stdout + p.stderr
    print(f"  {key}={value}: exit {p.returncode}: {out.strip().splitlines()[-1:]}")
    check(p.returncode != 0, f"{key}={value}: the server started (exit {p.returncode})")
    check(key in out and "not supported" in out, f"{key}={value}: message does not name it: {out}")


def case_unimplemented_settings_refused():
    refused_at_startup("num.replica.fetchers", "2")
    refused_at_startup("controller.quorum.append.linger.ms", "5")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM at the end: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node (fetch.max.bytes=1024), produce 4 batches", setup),
        ("fetch.max.bytes caps a Fetch's max_bytes", case_fetch_max_bytes_caps_the_request),
        ("unimplemented settings stop the server at startup", case_unimplemented_settings_refused),
        ("clean stop", teardown),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
