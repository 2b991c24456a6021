"""Per-record errors of Produce (KIP-467, issue 19 item 3).

A batch with record-level errors is rejected as a whole, and Produce v8+
lists EVERY failing record in record_errors (batch_index and its message)
plus the partition's error_message, as Kafka's LogValidator does; v3-v7
answers carry neither field.  On a compacted topic a batch of 5 records
where records 1 and 3 have no key gets INVALID_RECORD with record_errors
[1, 3] and nothing is appended.  A confluent-kafka producer sending a
keyless message to a compacted topic gets that message failed with
INVALID_RECORD, well before its message timeout.

Usage: test_record_errors.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_CREATE_TOPICS, API_PRODUCE, ERR_NONE, KafkaConn, Reader,  # noqa: E402
                     SluiceNode, Skip, check, i8, i16, i32, karray, kstring, produce_body,
                     record_batch)

ERR_INVALID_RECORD = 87
TOPIC = "compacted"
CK_TOPIC = "compacted-ck"
# The client's message timeout: the failure must come long before it.
CK_MESSAGE_TIMEOUT_MS = 120000

node = None


def conn():
    return KafkaConn("127.0.0.1", node.kafka_port, timeout=60)


def create_compacted(name):
    """CreateTopics v2 with cleanup.policy=compact; waits until it is led."""
    def topic(n):
        return (kstring(n) + i32(1) + i16(1) + karray([]) +
                karray([("cleanup.policy", "compact")], lambda c: kstring(c[0]) + kstring(c[1])))
    with conn() as c:
        r = Reader(c.request(API_CREATE_TOPICS, 2, karray([name], topic) + i32(30000) + i8(0)))
        r.i32()  # throttle_time_ms
        check(r.i32() == 1, "CreateTopics: one result expected")
        got, err, msg = r.string(), r.i16(), r.string()
        check(got == name and err == ERR_NONE, f"CreateTopics {name}: error {err} ({msg})")
    harness.wait_topic_ready(node.bootstrap, name, 1)


def parse_produce_v8(body):
    """[(topic, partition, error, base_offset, [(batch_index, message)], error_message)]."""
    r = Reader(body)
    out = []
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx, err, base = r.i32(), r.i16(), r.i64()
            r.i64()  # log_append_time_ms
            r.i64()  # log_start_offset
            rec_errs = r.array(lambda: (r.i32(), r.string()))
            msg = r.string()
            out.append((name, idx, err, base, rec_errs, msg))
    r.i32()  # throttle_time_ms
    check(r.remaining() == 0, f"Produce v8: {r.remaining()} bytes left over")
    return out


def two_keyless_of_five():
    return record_batch([(None if i in (1, 3) else b"k%d" % i, b"v%d" % i) for i in range(5)])


def setup():
    global node
    node = SluiceNode(harness.binary_from_argv(), name="record-errors")
    node.start_ready()
    create_compacted(TOPIC)
    create_compacted(CK_TOPIC)


def case_v8_lists_every_failing_record():
    with conn() as c:
        body = produce_body(TOPIC, 0, two_keyless_of_five(), acks=-1)
        res = parse_produce_v8(c.request(API_PRODUCE, 8, body))
    check(len(res) == 1, f"one partition answer expected: {res}")
    _, _, err, base, rec_errs, msg = res[0]
    print(f"  error {err}, record_errors {rec_errs}, error_message {msg!r}")
    check(err == ERR_INVALID_RECORD, f"error {err}, expected INVALID_RECORD")
    check(base == -1, f"base_offset {base}, expected -1")
    check([i for i, _ in rec_errs] == [1, 3], f"record_errors {rec_errs}, expected [1, 3]")
    check(all(m for _, m in rec_errs), f"each record error has a message: {rec_errs}")
    check(msg, "the partition's error_message is set")


def case_v7_unchanged():
    with conn() as c:
        body = produce_body(TOPIC, 0, two_keyless_of_five(), acks=-1)
        resp = c.request(API_PRODUCE, 7, body)
    res = harness.parse_produce(resp, 7)
    check([e[2] for e in res] == [ERR_INVALID_RECORD], f"v7: {res}")
    # v7 ends with throttle_time_ms right after the partition: no v8 fields.
    expected = 4 + 2 + len(TOPIC) + 4 + (4 + 2 + 8 + 8 + 8) + 4
    check(len(resp) == expected, f"v7 response is {len(resp)} bytes, expected {expected}")


def case_nothing_appended():
    batch = record_batch([(b"k%d" % i, b"v") for i in range(2)])
    with conn() as c:
        res = parse_produce_v8(c.request(API_PRODUCE, 8, produce_body(TOPIC, 0, batch, acks=-1)))
    _, _, err, base, rec_errs, _ = res[0]
    check(err == ERR_NONE and rec_errs == [], f"keyed batch: error {err}, {rec_errs}")
    check(base == 0, f"keyed batch landed at offset {base}: the rejected ones were appended")


def case_confluent_keyless_fails_fast():
    if sys.executable != "/usr/bin/python3":
        raise Skip("confluent-kafka imports only under /usr/bin/python3")
    try:
        from confluent_kafka import KafkaError, Producer
    except ImportError as e:
        raise Skip(f"confluent-kafka not importable: {e}")
    p = Producer({"bootstrap.servers": node.bootstrap, "acks": "all",
                  "message.timeout.ms": CK_MESSAGE_TIMEOUT_MS})
    reports = []
    p.produce(CK_TOPIC, value=b"keyed", key=b"has key", on_delivery=lambda e, m: reports.append(e))
    p.produce(CK_TOPIC, value=b"no key", on_delivery=lambda e, m: reports.append(e))
    t0 = time.monotonic()
    deadline = t0 + CK_MESSAGE_TIMEOUT_MS / 1000 + 30
    while len(reports) < 2 and time.monotonic() < deadline:
        p.poll(0.2)
    took = time.monotonic() - t0
    print(f"  delivery reports after {took:.1f}s: {reports}")
    check(len(reports) == 2, "two delivery reports expected")
    bad = [e for e in reports if e is not None]
    check(bad, "the keyless message was not failed")
    codes = [e.code() for e in bad]
    check(ERR_INVALID_RECORD in codes, f"errors {bad}, expected INVALID_RECORD ({ERR_INVALID_RECORD})")
    check(KafkaError._MSG_TIMED_OUT not in codes, f"a message timed out: {bad}")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM at the end: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node, create compacted topics", setup),
        ("Produce v8: record_errors lists records 1 and 3", case_v8_lists_every_failing_record),
        ("Produce v7: same error, no v8 fields", case_v7_unchanged),
        ("nothing of the rejected batches was appended", case_nothing_appended),
        ("confluent-kafka: a keyless message fails with INVALID_RECORD", case_confluent_keyless_fails_fast),
        ("clean stop", teardown),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
