"""Current Kafka clients from PyPI (tests/requirements-clients.txt) against a
three-node Sluice cluster (issue 19): confluent-kafka 2.x with its bundled
librdkafka, kafka-python 3.x and aiokafka.

For each client:
  * metadata: all topics and a named topic;
  * produce with acks 0, 1 and all, with every codec (none, gzip, snappy,
    lz4, zstd), and with idempotence; everything is consumed back
    (assign-based) and compared value by value;
  * a consumer group of two members (eager assignment; confluent-kafka also
    cooperative-sticky) that reads every record of a 4-partition topic,
    splits the partitions and commits;
  * admin: create/delete topics, create partitions, describe/alter configs,
    list/describe/delete groups, describe cluster, list offsets.
Every call has a deadline: a feature Sluice lacks must fail fast with a
Kafka error, never hang.

It runs under the virtualenv scripts/test.sh builds (build/venv-clients,
given by $SLUICE_CLIENTS_VENV from meson): started by any python3, it
re-executes itself with that virtualenv's interpreter.  Without the
virtualenv or its clients (e.g. no network when test.sh ran) it skips
(exit 77) and says why.

Usage: test_current_clients.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REQS = os.path.join(HERE, "..", "requirements-clients.txt")


def _reexec_in_venv():
    """Run under $SLUICE_CLIENTS_VENV/bin/python, or exit 77 with the reason."""
    venv = os.environ.get("SLUICE_CLIENTS_VENV", "")
    py = os.path.join(venv, "bin", "python") if venv else ""
    if venv and os.path.realpath(sys.prefix) == os.path.realpath(venv):
        return
    if not venv or not os.access(py, os.X_OK):
        print(f"SKIP: no client virtualenv at '{venv}' (SLUICE_CLIENTS_VENV): run "
              f"scripts/test.sh, which installs {os.path.normpath(REQS)} into it")
        sys.exit(77)
    probe = subprocess.run([py, "-c", "import confluent_kafka, kafka, aiokafka"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        print(f"SKIP: the clients of {os.path.normpath(REQS)} are not installed in {venv} "
              f"(pip failed, e.g. no network?): {probe.stderr.strip().splitlines()[-1:]}")
        sys.exit(77)
    sys.stdout.flush()
    os.execv(py, [py] + sys.argv)


if __name__ == "__main__":
    _reexec_in_venv()

sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.dont_write_bytecode = True

import asyncio  # noqa: E402

import harness  # noqa: E402
from harness import SluiceNode, Skip, TestFailure, check, wait_until  # noqa: E402

import confluent_kafka as ck  # noqa: E402
from confluent_kafka import admin as ck_admin  # noqa: E402
import kafka as kp  # noqa: E402
from kafka import admin as kp_admin  # noqa: E402
import kafka.errors as kp_errors  # noqa: E402
import aiokafka  # noqa: E402
from aiokafka import admin as aio_admin  # noqa: E402
from aiokafka.admin.config_resource import ConfigResource as AioConfigResource  # noqa: E402
from aiokafka.admin.config_resource import ConfigResourceType as AioConfigResourceType  # noqa: E402

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]
ACKS = [0, 1, -1]
PER_CASE = 12     # records per (acks, codec) case
GROUP_PARTS = 4
GROUP_RECORDS = 40
T = 30            # per-call timeout, seconds

nodes = []
bootstrap = None


# ---------------------------------------------------------------------------
# Cluster.

def setup():
    global bootstrap
    binary = harness.binary_from_argv()
    for i in (1, 2, 3):
        nodes.append(SluiceNode(binary, name=f"node{i}"))
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in zip((1, 2, 3), nodes))
    cluster_id = subprocess.run([binary, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    for i, n in zip((1, 2, 3), nodes):
        n.overrides.update({"node.id": str(i), "controller.quorum.voters": voters,
                            "group.initial.rebalance.delay.ms": "0"})
        fmt = subprocess.run([binary, "format", "--cluster-id", cluster_id,
                              "--override", f"node.id={i}", "--override", f"log.dirs={n.data_dir}",
                              "--override", f"controller.quorum.voters={voters}"],
                             capture_output=True, text=True)
        check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
    for n in nodes:
        n.start()
    for n in nodes:
        n.wait_ready(60)

    def three_brokers(n):
        with n.conn(timeout=5) as c:
            return len(c.metadata([])["brokers"]) == 3
    for n in nodes:
        wait_until(lambda n=n: three_brokers(n), 60, what=f"{n.name} listing three brokers")
    bootstrap = ",".join(n.bootstrap for n in nodes)
    print(f"confluent-kafka {ck.__version__} (librdkafka {ck.libversion()[0]}), "
          f"kafka-python {kp.__version__}, aiokafka {aiokafka.__version__}")


def make_topic(name, parts, rf=3):
    harness.create_topic(nodes[0].bootstrap, name, parts, rf=rf)
    for n in nodes:
        harness.wait_topic_ready(n.bootstrap, name, parts)


def value_set(prefix):
    return {f"{prefix}-{a}-{c}-{i}".encode() for a in ACKS for c in CODECS
            for i in range(PER_CASE)}


def timed(what, fn, *args, limit=T, **kw):
    """fn(*args, **kw), failing if it takes longer than `limit` seconds."""
    t0 = time.monotonic()
    r = fn(*args, **kw)
    dt = time.monotonic() - t0
    check(dt < limit, f"{what} took {dt:.1f}s (limit {limit}s)")
    return r


# ---------------------------------------------------------------------------
# confluent-kafka.

def ck_conf(**kw):
    c = {"bootstrap.servers": bootstrap}
    c.update(kw)
    return c


def ck_consume_all(topic, parts, expected):
    c = ck.Consumer(ck_conf(**{"group.id": f"{topic}-reader", "enable.auto.commit": False}))
    try:
        c.assign([ck.TopicPartition(topic, p, ck.OFFSET_BEGINNING) for p in range(parts)])
        got = []
        end = time.monotonic() + 60
        while len(got) < len(expected) and time.monotonic() < end:
            for m in c.consume(500, 1.0):
                check(m.error() is None, f"consume {topic}: {m.error()}")
                got.append(m.value())
    finally:
        c.close()
    check(sorted(got) == sorted(expected),
          f"{topic}: consumed {len(got)} records, expected {len(expected)}; "
          f"missing {sorted(set(expected) - set(got))[:5]} extra {sorted(set(got) - set(expected))[:5]}")


def ck_metadata():
    make_topic("ck-meta", 3)
    a = ck_admin.AdminClient(ck_conf())
    md = timed("AdminClient.list_topics()", a.list_topics, timeout=T)
    check("ck-meta" in md.topics and len(md.brokers) == 3,
          f"list_topics(): topics {sorted(md.topics)}, brokers {sorted(md.brokers)}")
    md = timed("list_topics(topic)", a.list_topics, topic="ck-meta", timeout=T)
    t = md.topics["ck-meta"]
    check(t.error is None and len(t.partitions) == 3,
          f"list_topics('ck-meta'): error {t.error}, partitions {sorted(t.partitions)}")


def ck_produce():
    topic = "ck-produce"
    make_topic(topic, 3)
    errors = []
    for acks in ACKS:
        for codec in CODECS:
            p = ck.Producer(ck_conf(**{"acks": acks, "compression.type": codec, "linger.ms": 5}))
            for i in range(PER_CASE):
                p.produce(topic, value=f"ck-{acks}-{codec}-{i}".encode(), partition=i % 3,
                          on_delivery=lambda err, m: err and errors.append(err))
            left = timed(f"flush acks={acks} {codec}", p.flush, T)
            check(left == 0, f"acks={acks} {codec}: {left} records not delivered")
    check(not errors, f"delivery errors: {errors[:5]}")
    idem = [f"ck-idem-{i}".encode() for i in range(50)]
    p = ck.Producer(ck_conf(**{"enable.idempotence": True, "compression.type": "zstd"}))
    for i, v in enumerate(idem):
        p.produce(topic, value=v, partition=i % 3,
                  on_delivery=lambda err, m: err and errors.append(err))
    check(timed("idempotent flush", p.flush, T) == 0 and not errors,
          f"idempotent producer: {errors[:5]}")
    ck_consume_all(topic, 3, sorted(value_set("ck")) + idem)


def ck_group_run(strategy, group, topic):
    members = [ck.Consumer(ck_conf(**{"group.id": group, "auto.offset.reset": "earliest",
                                      "partition.assignment.strategy": strategy,
                                      "enable.auto.commit": False,
                                      "session.timeout.ms": 10000}))
               for _ in range(2)]
    got = [set(), set()]
    try:
        for m in members:
            m.subscribe([topic])
        end = time.monotonic() + 90
        while time.monotonic() < end:
            for i, m in enumerate(members):
                for r in m.consume(100, 0.2):
                    check(r.error() is None, f"{strategy} member {i}: {r.error()}")
                    got[i].add(r.value())
            parts = [m.assignment() for m in members]
            if (len(got[0] | got[1]) == GROUP_RECORDS and all(parts) and
                    sum(len(a) for a in parts) == GROUP_PARTS):
                break
        parts = [sorted(tp.partition for tp in m.assignment()) for m in members]
        check(len(got[0] | got[1]) == GROUP_RECORDS,
              f"{strategy}: consumed {len(got[0] | got[1])} of {GROUP_RECORDS}")
        check(all(parts) and sorted(parts[0] + parts[1]) == list(range(GROUP_PARTS)),
              f"{strategy}: assignment {parts}, expected a split of {GROUP_PARTS} partitions")
        # Explicit offsets (the end of each assigned partition): a member may
        # have read nothing from its final assignment, and commit() without
        # offsets would then fail locally with _NO_OFFSET.
        for m in members:
            offs = [ck.TopicPartition(tp.topic, tp.partition,
                                      m.get_watermark_offsets(tp, timeout=T)[1])
                    for tp in m.assignment()]
            res = timed(f"{strategy} commit", m.commit, offsets=offs, asynchronous=False)
            check(all(tp.error is None for tp in res), f"{strategy} commit: {res}")
    finally:
        for m in members:
            m.close()


def ck_groups():
    topic = "ck-group"
    make_topic(topic, GROUP_PARTS)
    p = ck.Producer(ck_conf())
    for i in range(GROUP_RECORDS):
        p.produce(topic, value=f"g-{i}".encode(), partition=i % GROUP_PARTS)
    check(p.flush(T) == 0, "group topic: records not delivered")
    ck_group_run("range", "ck-eager", topic)
    ck_group_run("cooperative-sticky", "ck-coop", topic)


def ck_result(fut, what):
    try:
        return fut.result(timeout=T)
    except ck.KafkaException as e:
        raise TestFailure(f"{what}: {e}")


def ck_admin_calls():
    a = ck_admin.AdminClient(ck_conf())
    fs = a.create_topics([ck_admin.NewTopic("ck-admin", 2, 3)], operation_timeout=T)
    ck_result(fs["ck-admin"], "create_topics")
    wait_until(lambda: "ck-admin" in a.list_topics(timeout=T).topics, T, what="ck-admin listed")
    ck_result(a.create_partitions([ck_admin.NewPartitions("ck-admin", 4)])["ck-admin"],
              "create_partitions")
    wait_until(lambda: len(a.list_topics(topic="ck-admin", timeout=T).topics["ck-admin"]
                           .partitions) == 4, T, what="ck-admin with 4 partitions")
    res = ck_admin.ConfigResource(ck_admin.ResourceType.TOPIC, "ck-admin")
    cfg = ck_result(a.describe_configs([res])[res], "describe_configs")
    check("retention.ms" in cfg, f"describe_configs: no retention.ms in {sorted(cfg)[:10]}")
    inc = ck_admin.ConfigResource(
        ck_admin.ResourceType.TOPIC, "ck-admin",
        incremental_configs=[ck_admin.ConfigEntry(
            "retention.ms", "3600000",
            incremental_operation=ck_admin.AlterConfigOpType.SET)])
    ck_result(a.incremental_alter_configs([inc])[inc], "incremental_alter_configs")
    cfg = ck_result(a.describe_configs([res])[res], "describe_configs")
    check(cfg["retention.ms"].value == "3600000",
          f"retention.ms after incremental_alter_configs: {cfg['retention.ms'].value}")
    alt = ck_admin.ConfigResource(ck_admin.ResourceType.TOPIC, "ck-admin",
                                  set_config={"retention.ms": "7200000"})
    ck_result(a.alter_configs([alt])[alt], "alter_configs")
    cfg = ck_result(a.describe_configs([res])[res], "describe_configs")
    check(cfg["retention.ms"].value == "7200000",
          f"retention.ms after alter_configs: {cfg['retention.ms'].value}")

    cl = ck_result(a.describe_cluster(request_timeout=T), "describe_cluster")
    check(len(cl.nodes) == 3 and cl.controller is not None,
          f"describe_cluster: {len(cl.nodes)} nodes, controller {cl.controller}")

    groups = ck_result(a.list_consumer_groups(request_timeout=T), "list_consumer_groups")
    ids = {g.group_id for g in groups.valid}
    check({"ck-eager", "ck-coop"} <= ids, f"list_consumer_groups: {sorted(ids)}")
    desc = ck_result(a.describe_consumer_groups(["ck-eager"], request_timeout=T)["ck-eager"],
                     "describe_consumer_groups")
    check(desc.group_id == "ck-eager" and desc.state == ck.ConsumerGroupState.EMPTY,
          f"describe_consumer_groups: {desc.group_id} state {desc.state}")
    ck_result(a.delete_consumer_groups(["ck-eager"], request_timeout=T)["ck-eager"],
              "delete_consumer_groups")
    groups = ck_result(a.list_consumer_groups(request_timeout=T), "list_consumer_groups")
    check("ck-eager" not in {g.group_id for g in groups.valid},
          "ck-eager still listed after delete_consumer_groups")

    tp = ck.TopicPartition("ck-produce", 0)
    lo = ck_result(a.list_offsets({tp: ck_admin.OffsetSpec.earliest()})[tp], "list_offsets")
    hi = ck_result(a.list_offsets({tp: ck_admin.OffsetSpec.latest()})[tp], "list_offsets")
    check(lo.offset == 0 and hi.offset > 0, f"list_offsets ck-produce-0: {lo.offset}..{hi.offset}")

    ck_result(a.delete_topics(["ck-admin"], operation_timeout=T)["ck-admin"], "delete_topics")
    wait_until(lambda: "ck-admin" not in a.list_topics(timeout=T).topics, T,
               what="ck-admin gone after delete_topics")


# ---------------------------------------------------------------------------
# kafka-python.

KP_CODEC = {"none": None, "gzip": "gzip", "snappy": "snappy", "lz4": "lz4", "zstd": "zstd"}


def kp_consume_all(topic, parts, expected):
    c = kp.KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
                         request_timeout_ms=T * 1000)
    try:
        tps = [kp.TopicPartition(topic, p) for p in range(parts)]
        c.assign(tps)
        c.seek_to_beginning(*tps)
        got = []
        end = time.monotonic() + 60
        while len(got) < len(expected) and time.monotonic() < end:
            for recs in c.poll(timeout_ms=1000).values():
                got.extend(r.value for r in recs)
    finally:
        c.close()
    check(sorted(got) == sorted(expected),
          f"{topic}: consumed {len(got)} records, expected {len(expected)}")


def kp_metadata():
    make_topic("kp-meta", 3)
    a = kp.KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=T * 1000)
    try:
        topics = timed("list_topics", a.list_topics)
        check("kp-meta" in topics, f"list_topics: {topics}")
        d = timed("describe_topics", a.describe_topics, ["kp-meta"])
        check(len(d) == 1 and d[0]["error_code"] == 0 and len(d[0]["partitions"]) == 3,
              f"describe_topics(['kp-meta']): {d}")
    finally:
        a.close()


def kp_produce():
    topic = "kp-produce"
    make_topic(topic, 3)
    for acks in ACKS:
        for codec in CODECS:
            p = kp.KafkaProducer(bootstrap_servers=bootstrap, acks=acks if acks >= 0 else "all",
                                 compression_type=KP_CODEC[codec], linger_ms=5,
                                 request_timeout_ms=T * 1000)
            try:
                futs = [p.send(topic, value=f"kp-{acks}-{codec}-{i}".encode(),
                               partition=i % 3) for i in range(PER_CASE)]
                timed(f"flush acks={acks} {codec}", p.flush, T)
                for f in futs:
                    f.get(timeout=T)
            finally:
                p.close(timeout=T)
    idem = [f"kp-idem-{i}".encode() for i in range(50)]
    p = kp.KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all",
                         compression_type="zstd", request_timeout_ms=T * 1000)
    try:
        futs = [p.send(topic, value=v, partition=i % 3) for i, v in enumerate(idem)]
        for f in futs:
            f.get(timeout=T)
    finally:
        p.close(timeout=T)
    kp_consume_all(topic, 3, sorted(value_set("kp")) + idem)


def kp_groups():
    topic = "kp-group"
    make_topic(topic, GROUP_PARTS)
    p = kp.KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(GROUP_RECORDS):
        p.send(topic, value=f"g-{i}".encode(), partition=i % GROUP_PARTS)
    p.flush(T)
    p.close()
    members = [kp.KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id="kp-eager",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                request_timeout_ms=T * 1000)
               for _ in range(2)]
    got = set()
    try:
        end = time.monotonic() + 90
        while time.monotonic() < end:
            for m in members:
                for recs in m.poll(timeout_ms=200).values():
                    got.update(r.value for r in recs)
            parts = [m.assignment() for m in members]
            if len(got) == GROUP_RECORDS and all(parts) and \
                    sum(len(a) for a in parts) == GROUP_PARTS:
                break
        parts = [sorted(tp.partition for tp in m.assignment()) for m in members]
        check(len(got) == GROUP_RECORDS, f"kafka-python group: consumed {len(got)}")
        check(all(parts) and sorted(parts[0] + parts[1]) == list(range(GROUP_PARTS)),
              f"kafka-python group assignment {parts}")
        for m in members:
            timed("kafka-python commit", m.commit)
    finally:
        for m in members:
            m.close()


def kp_admin_calls():
    a = kp.KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=T * 1000)
    try:
        timed("create_topics", a.create_topics,
              {"kp-admin": {"num_partitions": 2, "replication_factor": 3}},
              wait_for_metadata=True)
        timed("create_partitions", a.create_partitions, {"kp-admin": 4})
        wait_until(lambda: len(a.describe_topics(["kp-admin"])[0]["partitions"]) == 4, T,
                   what="kp-admin with 4 partitions")
        res = kp_admin.ConfigResource("TOPIC", "kp-admin")
        timed("alter_configs", a.alter_configs,
              [kp_admin.ConfigResource("TOPIC", "kp-admin", {"retention.ms": "3600000"})])
        cfg = timed("describe_configs", a.describe_configs, [res], config_filter="all")
        check("3600000" in repr(cfg), f"describe_configs after alter_configs: {cfg}")
        cl = timed("describe_cluster", a.describe_cluster)
        check(len(cl["brokers"]) == 3, f"describe_cluster: {cl}")
        groups = timed("list_groups", a.list_groups)
        check("kp-eager" in repr(groups), f"list_groups: {groups}")
        d = timed("describe_groups", a.describe_groups, ["kp-eager"])
        check("kp-eager" in repr(d), f"describe_groups: {d}")
        timed("delete_groups", a.delete_groups, ["kp-eager"])
        check("kp-eager" not in repr(a.list_groups()), "kp-eager listed after delete_groups")
        tp = kp.TopicPartition("kp-produce", 0)
        off = timed("list_partition_offsets", a.list_partition_offsets,
                    {tp: kp_admin.OffsetSpec.LATEST})
        check(off[tp].offset > 0, f"list_partition_offsets latest: {off}")
        timed("delete_topics", a.delete_topics, ["kp-admin"])
        wait_until(lambda: "kp-admin" not in a.list_topics(), T, what="kp-admin deleted")
    finally:
        a.close()


# ---------------------------------------------------------------------------
# aiokafka.

def aio(coro):
    return asyncio.run(asyncio.wait_for(coro, 120))


async def aio_consume_all(topic, parts, expected):
    c = aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                  enable_auto_commit=False)
    await c.start()
    try:
        tps = [aiokafka.TopicPartition(topic, p) for p in range(parts)]
        c.assign(tps)
        await c.seek_to_beginning(*tps)
        got = []
        end = time.monotonic() + 60
        while len(got) < len(expected) and time.monotonic() < end:
            for recs in (await c.getmany(timeout_ms=1000)).values():
                got.extend(r.value for r in recs)
    finally:
        await c.stop()
    check(sorted(got) == sorted(expected),
          f"{topic}: consumed {len(got)} records, expected {len(expected)}")


def aio_metadata():
    make_topic("aio-meta", 3)

    async def run():
        a = aio_admin.AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await a.start()
        try:
            topics = await a.list_topics()
            check("aio-meta" in topics, f"list_topics: {topics}")
            d = await a.describe_topics(["aio-meta"])
            check(len(d) == 1 and len(d[0]["partitions"]) == 3, f"describe_topics: {d}")
        finally:
            await a.close()
    aio(run())


def aio_produce():
    topic = "aio-produce"
    make_topic(topic, 3)

    async def run():
        for acks in ACKS:
            for codec in CODECS:
                p = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap,
                                              acks=acks if acks >= 0 else "all",
                                              compression_type=KP_CODEC[codec], linger_ms=5)
                await p.start()
                try:
                    futs = [await p.send(topic, value=f"aio-{acks}-{codec}-{i}".encode(),
                                         partition=i % 3) for i in range(PER_CASE)]
                    await asyncio.gather(*futs)
                finally:
                    await p.stop()
        idem = [f"aio-idem-{i}".encode() for i in range(50)]
        p = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True,
                                      compression_type="zstd")
        await p.start()
        try:
            futs = [await p.send(topic, value=v, partition=i % 3) for i, v in enumerate(idem)]
            await asyncio.gather(*futs)
        finally:
            await p.stop()
        await aio_consume_all(topic, 3, sorted(value_set("aio")) + idem)
    aio(run())


def aio_groups():
    topic = "aio-group"
    make_topic(topic, GROUP_PARTS)

    async def run():
        p = aiokafka.AIOKafkaProducer(bootstrap_servers=bootstrap)
        await p.start()
        try:
            for i in range(GROUP_RECORDS):
                await p.send_and_wait(topic, value=f"g-{i}".encode(), partition=i % GROUP_PARTS)
        finally:
            await p.stop()
        members = [aiokafka.AIOKafkaConsumer(topic, bootstrap_servers=bootstrap,
                                             group_id="aio-eager", auto_offset_reset="earliest",
                                             enable_auto_commit=False)
                   for _ in range(2)]
        for m in members:
            await m.start()
        got = set()
        try:
            end = time.monotonic() + 90
            while time.monotonic() < end:
                for m in members:
                    for recs in (await m.getmany(timeout_ms=200)).values():
                        got.update(r.value for r in recs)
                parts = [m.assignment() for m in members]
                if len(got) == GROUP_RECORDS and all(parts) and \
                        sum(len(a) for a in parts) == GROUP_PARTS:
                    break
            parts = [sorted(tp.partition for tp in m.assignment()) for m in members]
            check(len(got) == GROUP_RECORDS, f"aiokafka group: consumed {len(got)}")
            check(all(parts) and sorted(parts[0] + parts[1]) == list(range(GROUP_PARTS)),
                  f"aiokafka group assignment {parts}")
            for m in members:  # explicit offsets: see ck_group_run
                await m.commit(await m.end_offsets(list(m.assignment())))
        finally:
            for m in members:
                await m.stop()
    aio(run())


def aio_errors(resp):
    """Every non-zero error_code in an aiokafka response (its admin calls
    return responses rather than raising)."""
    out = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "error_code" and v:
                    out.append(o)
                else:
                    walk(v)
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v)
    for r in resp if isinstance(resp, list) else [resp]:
        walk(r.to_object())
    return out


def aio_admin_calls():
    async def run():
        a = aio_admin.AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await a.start()
        try:
            def ok(resp, what):
                errs = aio_errors(resp)
                check(not errs, f"{what}: {errs}")
            ok(await a.create_topics([aio_admin.NewTopic("aio-admin", 2, 3)]), "create_topics")
            ok(await a.create_partitions({"aio-admin": aio_admin.NewPartitions(4)}),
               "create_partitions")
            ok(await a.alter_configs([AioConfigResource(
                AioConfigResourceType.TOPIC, "aio-admin", {"retention.ms": "3600000"})]),
               "alter_configs")
            cfg = await a.describe_configs([AioConfigResource(
                AioConfigResourceType.TOPIC, "aio-admin")])
            ok(cfg, "describe_configs")
            check("3600000" in repr(cfg), f"describe_configs after alter_configs: {cfg}")
            cl = await a.describe_cluster()
            check(len(cl["brokers"]) == 3, f"describe_cluster: {cl}")
            groups = await a.list_consumer_groups()
            check("aio-eager" in repr(groups), f"list_consumer_groups: {groups}")
            d = await a.describe_consumer_groups(["aio-eager"])
            ok(d, "describe_consumer_groups")
            check("aio-eager" in repr(d), f"describe_consumer_groups: {d}")
            # aiokafka 0.14 has no delete_consumer_groups.
            ok(await a.delete_topics(["aio-admin"]), "delete_topics")
            end = time.monotonic() + T
            while "aio-admin" in await a.list_topics():
                check(time.monotonic() < end, f"aio-admin still listed {T}s after delete_topics")
                await asyncio.sleep(0.1)
        finally:
            await a.close()
        c = aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
        await c.start()
        try:
            tp = aiokafka.TopicPartition("aio-produce", 0)
            lo = await c.beginning_offsets([tp])
            hi = await c.end_offsets([tp])
            check(lo[tp] == 0 and hi[tp] > 0, f"list offsets aio-produce-0: {lo}..{hi}")
        finally:
            await c.stop()
    aio(run())


def teardown():
    for n in nodes:
        n.check_healthy("after the client runs")
    for n in nodes:
        rc = n.stop()
        check(rc == 0, f"{n.name}: SIGTERM exit status {rc}")


def main():
    harness.run_tests([
        ("start a three-node cluster", setup),
        ("confluent-kafka: metadata", ck_metadata),
        ("confluent-kafka: produce acks x codecs, idempotent, consume back", ck_produce),
        ("confluent-kafka: groups (eager, cooperative-sticky)", ck_groups),
        ("confluent-kafka: admin calls", ck_admin_calls),
        ("kafka-python: metadata", kp_metadata),
        ("kafka-python: produce acks x codecs, idempotent, consume back", kp_produce),
        ("kafka-python: group (eager)", kp_groups),
        ("kafka-python: admin calls", kp_admin_calls),
        ("aiokafka: metadata", aio_metadata),
        ("aiokafka: produce acks x codecs, idempotent, consume back", aio_produce),
        ("aiokafka: group (eager)", aio_groups),
        ("aiokafka: admin calls", aio_admin_calls),
        ("cluster healthy, clean stop", teardown),
    ], keep_going=lambda: all(n.running() for n in nodes))


if __name__ == "__main__":
    main()
