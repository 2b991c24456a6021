"""confluent-kafka helpers shared by the integration and compat tests:
produce a list of messages with delivery reports, and read partitions back
from the beginning with an assign-based consumer (no group membership).

Import this only under /usr/bin/python3 (Debian's python3-confluent-kafka);
callers turn ImportError into a skip."""

import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from harness import TestFailure, check


def admin_create_topic(bootstrap, name, partitions, rf=1, timeout=60):
    """Create a topic with AdminClient.create_topics; fail with the error."""
    a = AdminClient({"bootstrap.servers": bootstrap})
    fs = a.create_topics([NewTopic(name, partitions, rf)], operation_timeout=timeout,
                         request_timeout=timeout)
    try:
        fs[name].result(timeout)
    except Exception as e:  # noqa: BLE001 - report the client's error as is
        raise TestFailure(f"AdminClient.create_topics({name}, {partitions}): {e!r}")


def produce(bootstrap, topic, msgs, conf=None, timeout=120):
    """Produce msgs = [(partition or None, key bytes or None, value bytes)].

    Waits for every delivery report.  Returns {partition: {offset: value}}.
    Fails if any delivery report carries an error or some never arrive."""
    c = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5,
         "message.timeout.ms": int(timeout * 1000) - 5000,
         "queue.buffering.max.messages": 1000000}
    c.update(conf or {})
    p = Producer(c)
    errors, out = [], {}
    ndr = [0]

    def dr(err, m):
        ndr[0] += 1
        if err is not None:
            errors.append((m.value(), str(err)))
            return
        out.setdefault(m.partition(), {})
        prev = out[m.partition()].get(m.offset())
        if prev is not None:
            errors.append((m.value(), f"offset {m.offset()} of partition {m.partition()} "
                                      f"reported twice (also for {prev!r})"))
        out[m.partition()][m.offset()] = m.value()

    for part, key, value in msgs:
        kw = {"key": key, "value": value, "on_delivery": dr}
        if part is not None:
            kw["partition"] = part
        while True:
            try:
                p.produce(topic, **kw)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(timeout)
    check(left == 0, f"produce to {topic}: {left} messages still undelivered after {timeout}s")
    check(not errors, f"produce to {topic}: {len(errors)} delivery errors, first: {errors[:3]}")
    check(ndr[0] == len(msgs), f"produce to {topic}: {ndr[0]} delivery reports for {len(msgs)}")
    return out


def consume_all(bootstrap, topic, expected_counts, timeout=120, conf=None):
    """Read every partition in expected_counts ({partition: n}) from offset 0
    with assign() (group.id is set only because confluent-kafka requires it;
    nothing subscribes or commits) until each partition reports end-of-log.

    Returns {partition: [(offset, key, value)]} in the order received.
    Fails if more than expected arrive, or if end-of-log is not reached with
    the expected count before `timeout`."""
    c = {"bootstrap.servers": bootstrap, "group.id": "sluice-itest-assign",
         "enable.auto.commit": False, "enable.partition.eof": True,
         "auto.offset.reset": "earliest"}
    c.update(conf or {})
    cons = Consumer(c)
    got = {p: [] for p in expected_counts}
    eof = {p: None for p in expected_counts}
    try:
        cons.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in expected_counts])
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            done = all(eof[p] is not None and len(got[p]) >= expected_counts[p]
                       for p in expected_counts)
            if done:
                break
            for m in cons.consume(num_messages=1000, timeout=0.5):
                err = m.error()
                if err is not None:
                    if err.code() == KafkaError._PARTITION_EOF:
                        eof[m.partition()] = m.offset()
                        continue
                    raise TestFailure(f"consume {topic}: error {err}")
                p = m.partition()
                check(p in got, f"consume {topic}: message from unassigned partition {p}")
                got[p].append((m.offset(), m.key(), m.value()))
                eof[p] = None
                check(len(got[p]) <= expected_counts[p],
                      f"consume {topic}[{p}]: more messages than the {expected_counts[p]} "
                      f"expected (offset {m.offset()})")
        else:
            have = {p: (len(got[p]), eof[p]) for p in got}
            raise TestFailure(f"consume {topic}: after {timeout}s (count, eof offset) per "
                              f"partition = {have}, expected counts {expected_counts}")
    finally:
        cons.close()
    return got
