"""Data-lifetime settings from Kafka's server.properties reach the topics: a
node started with log.retention.minutes (and a lower-precedence
log.retention.hours) reports retention.ms in minutes * 60000 with
DescribeConfigs, sourced from the static broker config with Kafka's synonyms;
segments removed by retention are first renamed *.deleted and disappear after
log.segment.delete.delay.ms.

Usage: test_retention_config.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)"""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, check, run_tests, wait_until  # noqa: E402

try:
    import kclients
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource
except ImportError as e:  # python3-confluent-kafka missing
    kclients = None
    IMPORT_ERROR = e

BINARY = sys.argv[1] if len(sys.argv) > 1 else None
state = {}


def need_clients():
    if kclients is None:
        raise Skip(f"python3-confluent-kafka not importable: {IMPORT_ERROR}")


def describe_topic(bootstrap, topic):
    a = AdminClient({"bootstrap.servers": bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, topic)
    fs = a.describe_configs([res], request_timeout=30)
    return fs[res].result(30)


def start_node():
    need_clients()
    node = SluiceNode(BINARY, name="retention", overrides={
        # Kafka's precedence: log.retention.ms > .minutes > .hours; log.roll.ms > .hours.
        "log.retention.hours": "5",
        "log.retention.minutes": "1",
        "log.roll.hours": "2",
        "log.roll.jitter.hours": "1",
        "log.segment.bytes": "2048",
        "log.segment.delete.delay.ms": "3000",
        "log.retention.check.interval.ms": "300",
    })
    node.start_ready()
    state["node"] = node


def test_describe_effective_retention():
    node = state["node"]
    kclients.admin_create_topic(node.bootstrap, "lifetimes", 1)
    harness.wait_topic_ready(node.bootstrap, "lifetimes", 1)
    cfg = describe_topic(node.bootstrap, "lifetimes")
    r = cfg["retention.ms"]
    check(r.value == "60000", f"retention.ms is {r.value!r}, expected '60000' "
                              f"(log.retention.minutes=1)")
    check(r.source == ConfigSource.STATIC_BROKER_CONFIG.value,
          f"retention.ms source {r.source}, expected STATIC_BROKER_CONFIG")
    check(not r.is_default, "retention.ms reported as default")
    syn = [(s.name, s.value, s.source) for s in r.synonyms.values()] \
        if isinstance(r.synonyms, dict) else [(s.name, s.value, s.source) for s in r.synonyms]
    names = [n for n, _, _ in syn]
    check(("log.retention.minutes", "1", ConfigSource.STATIC_BROKER_CONFIG.value) in syn,
          f"synonyms {syn} lack log.retention.minutes=1 (static broker)")
    # The client keys synonyms by name, so of log.retention.hours=5 (static) and
    # =168 (default) it keeps one.
    check("log.retention.hours" in names, f"synonyms {syn} lack log.retention.hours")
    check(names.index("log.retention.minutes") < names.index("log.retention.hours"),
          f"synonyms {syn} not in precedence order")
    s = cfg["segment.ms"]
    check(s.value == "7200000" and s.source == ConfigSource.STATIC_BROKER_CONFIG.value,
          f"segment.ms {s.value!r} source {s.source}, expected 7200000 from log.roll.hours=2")
    j = cfg["segment.jitter.ms"]
    check(j.value == "3600000", f"segment.jitter.ms {j.value!r}, expected 3600000")
    d = cfg["file.delete.delay.ms"]
    check(d.value == "3000" and d.source == ConfigSource.STATIC_BROKER_CONFIG.value,
          f"file.delete.delay.ms {d.value!r} source {d.source}, expected 3000 (static)")

    # A topic override wins and is reported as such.
    a = AdminClient({"bootstrap.servers": node.bootstrap})
    from confluent_kafka.admin import NewTopic
    fs = a.create_topics([NewTopic("lifetimes-own", 1, 1, config={"retention.ms": "1234"})],
                         operation_timeout=30, request_timeout=30)
    fs["lifetimes-own"].result(30)
    harness.wait_topic_ready(node.bootstrap, "lifetimes-own", 1)
    r = describe_topic(node.bootstrap, "lifetimes-own")["retention.ms"]
    check(r.value == "1234" and r.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value,
          f"retention.ms override {r.value!r} source {r.source}")


def test_retention_renames_then_deletes():
    node = state["node"]
    topic = "lifetimes"
    pdir = os.path.join(node.data_dir, f"{topic}-0")
    # Timestamps an hour old: every closed segment is past retention.ms=60000.
    old = int(time.time() * 1000) - 3600 * 1000
    p = Producer({"bootstrap.servers": node.bootstrap, "acks": "all", "linger.ms": 0})
    errors = []
    # One batch per message (flush each), so that 2048-byte segments roll.
    for i in range(30):
        p.produce(topic, value=b"x" * 500, key=str(i).encode(), timestamp=old + i,
                  on_delivery=lambda err, m: err and errors.append(str(err)))
        check(p.flush(30) == 0, "produce did not finish")
    check(not errors, f"produce errors: {errors[:3]}")

    def deleted_files():
        try:
            return [f for f in os.listdir(pdir) if f.endswith(".deleted")]
        except FileNotFoundError:
            return []

    seen = set()

    def renamed():
        fs = deleted_files()
        seen.update(fs)
        return any(f.endswith(".log.deleted") for f in fs)

    wait_until(renamed, deadline=30, what="segments renamed *.log.deleted by retention")
    t0 = time.monotonic()
    logs = [f for f in os.listdir(pdir) if f.endswith(".log")]
    for f in seen:
        if f.endswith(".log.deleted"):
            check(f[:-len(".deleted")] not in logs,
                  f"{f} renamed but {f[:-len('.deleted')]} still in the log")
    wait_until(lambda: not deleted_files(), deadline=30,
               what="*.deleted files removed after log.segment.delete.delay.ms")
    # Not removed at once: the delay is 3 s (and renamed() saw them, so they lived).
    check(time.monotonic() - t0 < 30, "deleted files lingered")
    # Consumers start at the new log start offset; the node is healthy.
    node.check_healthy("after retention")


if __name__ == "__main__":
    if BINARY is None:
        print(__doc__)
        sys.exit(2)
    run_tests([
        ("start node with log.retention.minutes", start_node),
        ("DescribeConfigs reports the effective retention.ms and its source",
         test_describe_effective_retention),
        ("retention renames segments *.deleted, then removes them", test_retention_renames_then_deletes),
    ], keep_going=lambda: "node" in state and state["node"].running())
