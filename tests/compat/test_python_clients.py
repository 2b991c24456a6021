"""Python clients against a single Sluice node: kafka-python (python3-kafka)
and confluent-kafka (python3-confluent-kafka, on librdkafka).

For each client: admin create/list/delete topics (the deleted topic must
vanish from metadata, a second create of an existing topic must fail with
TOPIC_ALREADY_EXISTS), produce 1,000 messages with acks=all, read them back
with an assign-based consumer from the beginning (no consumer group).
confluent-kafka also runs describe_configs.  Finally each client reads the
other's topic.

Usage: test_python_clients.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)
Runs only under Debian's /usr/bin/python3, where both libraries import."""

import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, TestFailure, check, wait_until  # noqa: E402

try:
    import kafka
    from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
    from kafka import TopicPartition as KpTopicPartition
    from kafka.admin import NewTopic as KpNewTopic
    import kafka.errors as kp_errors
except ImportError as e:
    kafka = None
    KP_IMPORT_ERROR = e

try:
    import confluent_kafka
    from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
    import kclients
except ImportError as e:
    confluent_kafka = None
    CK_IMPORT_ERROR = e

N = 1000
PARTS = 3
node = None
produced = {}   # topic -> {partition: {offset: value}}


def setup():
    global node
    if kafka is None and confluent_kafka is None:
        raise Skip(f"neither kafka-python ({KP_IMPORT_ERROR}) nor confluent-kafka "
                   f"({CK_IMPORT_ERROR}) importable")
    node = SluiceNode(harness.binary_from_argv(), name="pyclients")
    node.start_ready()


def need_kp():
    if kafka is None:
        raise Skip(f"kafka-python not importable: {KP_IMPORT_ERROR}")


def need_ck():
    if confluent_kafka is None:
        raise Skip(f"confluent-kafka not importable: {CK_IMPORT_ERROR}")


def raw_topic_gone(name):
    # All-topics Metadata: naming the topic in Metadata v1..v3 would auto-create
    # it again (auto.create.topics.enable, as in Kafka).
    with node.conn() as c:
        md = c.metadata(None)
    return name not in md["topics"]


def values_for(client):
    return [(i % PARTS, f"key-{i}".encode(), f"{client}-{i:06d}".encode()) for i in range(N)]


def check_read_back(topic, got):
    """got: {partition: [(offset, key, value)]} against produced[topic]."""
    want = produced[topic]
    for p in range(PARTS):
        rows = got.get(p, [])
        check([o for o, _, _ in rows] == list(range(len(rows))),
              f"{topic}[{p}]: offsets read back are not 0..{len(rows) - 1} in order")
        check(len(rows) == len(want.get(p, {})),
              f"{topic}[{p}]: {len(want.get(p, {}))} acknowledged, {len(rows)} read back")
        for o, _, v in rows:
            check(want[p].get(o) == v, f"{topic}[{p}] offset {o}: acknowledged "
                                       f"{want[p].get(o)!r}, read {v!r}")


# -- kafka-python -------------------------------------------------------------


def kp_admin():
    need_kp()
    a = KafkaAdminClient(bootstrap_servers=node.bootstrap, client_id="itest-kp-admin",
                         request_timeout_ms=30000)
    try:
        resp = a.create_topics([KpNewTopic("kp-topic", PARTS, 1),
                                KpNewTopic("kp-doomed", 1, 1)], timeout_ms=30000)
        errs = [e[:2] for e in resp.topic_errors]
        check(all(code == 0 for _, code in errs), f"kafka-python create_topics: {errs}")
        harness.wait_topic_ready(node.bootstrap, "kp-topic", PARTS)
        harness.wait_topic_ready(node.bootstrap, "kp-doomed", 1)
        names = wait_until(lambda: (lambda n: n if {"kp-topic", "kp-doomed"} <= set(n) else None)
                           (a.list_topics()), what="kafka-python list_topics shows both topics")
        print(f"kafka-python list_topics: {sorted(names)}")
        try:
            a.create_topics([KpNewTopic("kp-topic", PARTS, 1)], timeout_ms=30000)
            raise TestFailure("kafka-python create_topics of an existing topic succeeded; "
                              "expected TOPIC_ALREADY_EXISTS (36)")
        except kp_errors.TopicAlreadyExistsError:
            pass
        resp = a.delete_topics(["kp-doomed"], timeout_ms=30000)
        errs = [e[:2] for e in resp.topic_error_codes]
        check(all(code == 0 for _, code in errs), f"kafka-python delete_topics: {errs}")
        wait_until(lambda: "kp-doomed" not in a.list_topics(),
                   what="kp-doomed gone from kafka-python list_topics")
        wait_until(lambda: raw_topic_gone("kp-doomed"), what="kp-doomed gone from Metadata v1")
    finally:
        a.close()


def kp_produce():
    need_kp()
    p = KafkaProducer(bootstrap_servers=node.bootstrap, acks="all", linger_ms=5,
                      client_id="itest-kp-producer")
    out = {}
    try:
        futs = [p.send("kp-topic", key=k, value=v, partition=part)
                for part, k, v in values_for("kp")]
        p.flush(timeout=60)
        for f, (part, _, v) in zip(futs, values_for("kp")):
            md = f.get(timeout=60)
            check(md.partition == part, f"kafka-python send: partition {md.partition}, "
                                        f"asked {part}")
            check(md.offset not in out.setdefault(part, {}),
                  f"kafka-python: offset {md.offset} of partition {part} acknowledged twice")
            out[part][md.offset] = v
    finally:
        p.close(timeout=30)
    for part in range(PARTS):
        check(sorted(out[part]) == list(range(len(out[part]))),
              f"kp-topic[{part}]: acknowledged offsets are not contiguous from 0")
    produced["kp-topic"] = out


def kp_consume(topic):
    need_kp()
    c = KafkaConsumer(bootstrap_servers=node.bootstrap, group_id=None,
                      enable_auto_commit=False, auto_offset_reset="earliest",
                      client_id="itest-kp-consumer")
    got = {p: [] for p in range(PARTS)}
    want = sum(len(v) for v in produced[topic].values())
    try:
        tps = [KpTopicPartition(topic, p) for p in range(PARTS)]
        c.assign(tps)
        c.seek_to_beginning()
        end = time.monotonic() + 60
        n = 0
        while n < want and time.monotonic() < end:
            for tp, recs in c.poll(timeout_ms=500).items():
                for r in recs:
                    got[tp.partition].append((r.offset, r.key, r.value))
                    n += 1
        check(n == want, f"kafka-python consumer read {n} of {want} messages from {topic}")
        # Nothing more arrives.
        extra = sum(len(v) for v in c.poll(timeout_ms=1000).values())
        check(extra == 0, f"kafka-python consumer: {extra} messages beyond the {want} produced")
        ends = c.end_offsets(tps)
        for tp in tps:
            check(ends[tp] == len(produced[topic][tp.partition]),
                  f"kafka-python end_offsets {topic}[{tp.partition}] = {ends[tp]}, "
                  f"expected {len(produced[topic][tp.partition])}")
    finally:
        c.close(autocommit=False)
    check_read_back(topic, got)


# -- confluent-kafka ----------------------------------------------------------


def ck_admin():
    need_ck()
    a = AdminClient({"bootstrap.servers": node.bootstrap})
    fs = a.create_topics([NewTopic("ck-topic", PARTS, 1), NewTopic("ck-doomed", 1, 1)],
                         operation_timeout=30, request_timeout=30)
    for name, f in fs.items():
        try:
            f.result(60)
        except Exception as e:  # noqa: BLE001
            raise TestFailure(f"confluent-kafka create_topics {name}: {e!r}")
    harness.wait_topic_ready(node.bootstrap, "ck-topic", PARTS)
    harness.wait_topic_ready(node.bootstrap, "ck-doomed", 1)
    md = a.list_topics(timeout=30)
    check({"ck-topic", "ck-doomed"} <= set(md.topics),
          f"confluent-kafka list_topics: {sorted(md.topics)}")
    check(len(md.topics["ck-topic"].partitions) == PARTS,
          f"confluent-kafka list_topics: ck-topic has "
          f"{len(md.topics['ck-topic'].partitions)} partitions")
    check(md.brokers and any(b.port == node.kafka_port for b in md.brokers.values()),
          f"confluent-kafka list_topics: brokers {md.brokers}")

    f = a.create_topics([NewTopic("ck-topic", PARTS, 1)], request_timeout=30)["ck-topic"]
    try:
        f.result(60)
        raise TestFailure("confluent-kafka create_topics of an existing topic succeeded")
    except confluent_kafka.KafkaException as e:
        code = e.args[0].code()
        check(code == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS,
              f"create of an existing topic: expected TOPIC_ALREADY_EXISTS (36), got {e}")

    res = ConfigResource(ConfigResource.Type.TOPIC, "ck-topic")
    try:
        configs = a.describe_configs([res], request_timeout=30)[res].result(60)
    except Exception as e:  # noqa: BLE001
        raise TestFailure(f"confluent-kafka describe_configs(ck-topic): {e!r}")
    print(f"describe_configs(ck-topic): {len(configs)} entries, e.g. "
          f"{sorted(configs)[:8]}")
    for key in ("cleanup.policy", "retention.ms"):
        check(key in configs, f"describe_configs(ck-topic): no '{key}' among "
                              f"{sorted(configs)}")

    fs = a.delete_topics(["ck-doomed"], operation_timeout=30, request_timeout=30)
    try:
        fs["ck-doomed"].result(60)
    except Exception as e:  # noqa: BLE001
        raise TestFailure(f"confluent-kafka delete_topics ck-doomed: {e!r}")
    wait_until(lambda: "ck-doomed" not in a.list_topics(timeout=10).topics,
               what="ck-doomed gone from confluent-kafka list_topics")
    wait_until(lambda: raw_topic_gone("ck-doomed"), what="ck-doomed gone from Metadata v1")


def ck_produce():
    need_ck()
    out = kclients.produce(node.bootstrap, "ck-topic", values_for("ck"))
    for part in range(PARTS):
        check(sorted(out.get(part, {})) == list(range(len(out.get(part, {})))),
              f"ck-topic[{part}]: acknowledged offsets are not contiguous from 0")
    produced["ck-topic"] = out


def ck_consume(topic):
    need_ck()
    counts = {p: len(produced[topic].get(p, {})) for p in range(PARTS)}
    check_read_back(topic, kclients.consume_all(node.bootstrap, topic, counts))


def cross(consume, topic):
    if topic not in produced:
        raise Skip(f"{topic} was not produced (client missing or an earlier case failed)")
    consume(topic)


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node", setup),
        ("kafka-python admin create/list/delete", kp_admin),
        ("kafka-python produce 1000 acks=all", kp_produce),
        ("kafka-python consume assign+seek_to_beginning", lambda: kp_consume("kp-topic")),
        ("confluent-kafka admin create/list/describe_configs/delete", ck_admin),
        ("confluent-kafka produce 1000 acks=all", ck_produce),
        ("confluent-kafka consume assign OFFSET_BEGINNING", lambda: ck_consume("ck-topic")),
        ("confluent-kafka reads kafka-python's topic", lambda: cross(ck_consume, "kp-topic")),
        ("kafka-python reads confluent-kafka's topic", lambda: cross(kp_consume, "ck-topic")),
        ("stop node", teardown),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
