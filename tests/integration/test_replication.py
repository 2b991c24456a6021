"""Partition replication on real processes (issue #5, DESIGN.md section 3).

A cluster of four `sluice server` processes on loopback: nodes 1-3 are
combined broker+controller voters, node 4 is a broker only (so two replicas
of a partition can be down while the metadata quorum keeps its majority).
Steps, each on its own topic (RF 3, min.insync.replicas 2):

  * chaos: an idempotent acks=all producer (confluent-kafka, i.e. librdkafka)
    writes unique values for CHAOS_SECONDS (default 120) while the leader of
    partition 0 is killed with SIGKILL every ~15 s and restarted once a new
    leader is elected.  Afterwards every acknowledged value is read exactly
    once, at its acknowledged offset, in order per partition; no value is
    read twice; and once the ISR is whole again the logs of all replicas are
    byte-identical.
  * pause: the leader is stopped with SIGSTOP past the session timeout; a new
    leader is elected; after SIGCONT the old leader acknowledges nothing more
    (acks=all produce sent straight to it fails) and never serves records
    beyond what the new leader committed.
  * two down: with two of three replicas killed, acks=all writes fail
    (NOT_ENOUGH_REPLICAS once the controller has shrunk the ISR) and none
    succeeds; with one back, writes resume without loss.
  * truncation (KIP-101): a follower restarted with data past its high
    watermark, then the leader killed at once: no acknowledged write lost,
    no diverging logs.
  * fsync per append: a topic with flush.messages=1 (the flush thread syncs
    every append before it is acknowledged, and followers fetch on only once
    their flush completed) under an acks=all producer while the leader is
    killed with SIGKILL: nothing acknowledged lost, logs identical after.

Runs with /usr/bin/python3 (Debian's confluent-kafka).  Usage:
    test_replication.py path/to/sluice
"""

import glob
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (API_PRODUCE, KafkaConn, SluiceNode, Skip, check, frame,  # noqa: E402
                     parse_produce, produce_body, record_batch, request_header, run_tests,
                     wait_until)

try:
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:  # pragma: no cover - exercised only without the package
    Consumer = None

CHAOS_SECONDS = float(os.environ.get("REPLICATION_CHAOS_SECONDS", "120"))
KILL_EVERY = 15.0
ERR_NOT_ENOUGH_REPLICAS = 19
ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND = 20


class Cluster:
    """Nodes 1-3 combined voters, node 4 broker-only; all on free ports."""

    def __init__(self, sluice):
        self.sluice = sluice
        self.nodes = {i: SluiceNode(sluice, name=f"node{i}") for i in (1, 2, 3, 4)}
        voters = ",".join(f"{i}@127.0.0.1:{self.nodes[i].controller_port}" for i in (1, 2, 3))
        cluster_id = subprocess.run([sluice, "random-uuid"], capture_output=True, text=True,
                                    check=True).stdout.strip()
        for i, n in self.nodes.items():
            n.overrides.update({
                "node.id": str(i),
                "controller.quorum.voters": voters,
                "replica.lag.time.max.ms": "6000",
                "min.insync.replicas": "2",
                "default.replication.factor": "3",
            })
            if i == 4:
                n.overrides.update({"process.roles": "broker",
                                    "listeners": f"PLAINTEXT://127.0.0.1:{n.kafka_port}"})
            fmt = subprocess.run(
                [sluice, "format", "--cluster-id", cluster_id,
                 "--override", f"node.id={i}", "--override", f"log.dirs={n.data_dir}",
                 "--override", f"controller.quorum.voters={voters}"]
                + (["--override", "process.roles=broker",
                    "--override", f"listeners=PLAINTEXT://127.0.0.1:{n.kafka_port}"]
                   if i == 4 else []),
                capture_output=True, text=True)
            check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
        for n in self.nodes.values():
            n.start()
        for n in self.nodes.values():
            n.wait_ready(90)

    def live(self):
        return [i for i, n in self.nodes.items() if n.running()]

    def bootstrap(self, exclude=()):
        return ",".join(self.nodes[i].bootstrap for i in self.live() if i not in exclude)

    def admin(self, exclude=()):
        return AdminClient({"bootstrap.servers": self.bootstrap(exclude)})

    def partitions(self, topic, via):
        """{partition: (leader, replicas, isr)} as node `via` reports it."""
        a = AdminClient({"bootstrap.servers": self.nodes[via].bootstrap})
        md = a.list_topics(topic, timeout=5)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return None
        return {p: (pm.leader, sorted(pm.replicas), sorted(pm.isrs))
                for p, pm in t.partitions.items()}

    def wait_all_brokers(self):
        def ok():
            a = AdminClient({"bootstrap.servers": self.bootstrap()})
            return len(a.list_topics(timeout=5).brokers) == 4
        wait_until(ok, 90, what="all four brokers registered")

    def create_topic(self, name, partitions=3, assignment=None, config=None):
        a = self.admin()
        config = {"min.insync.replicas": "2", **(config or {})}
        if assignment:
            nt = NewTopic(name, num_partitions=len(assignment), replica_assignment=assignment,
                          config=config)
        else:
            nt = NewTopic(name, num_partitions=partitions, replication_factor=3, config=config)
        for _, f in a.create_topics([nt], request_timeout=30).items():
            f.result()
        self.wait_isr_full(name)

    def wait_isr_full(self, topic, deadline=90):
        def full():
            for i in self.live():
                ps = self.partitions(topic, i)
                if not ps:
                    return False
                for leader, replicas, isr in ps.values():
                    if leader < 0 or isr != replicas:
                        return False
            return True
        wait_until(full, deadline, what=f"{topic}: every replica in the ISR on every live node")

    def leader_of(self, topic, partition, via=None):
        for i in ([via] if via else self.live()):
            ps = self.partitions(topic, i)
            if ps and partition in ps and ps[partition][0] >= 0:
                return ps[partition][0]
        return -1

    def log_bytes(self, node, topic, partition):
        files = sorted(glob.glob(os.path.join(self.nodes[node].data_dir,
                                              f"{topic}-{partition}", "*.log")))
        h = hashlib.sha256()
        size = 0
        for f in files:
            with open(f, "rb") as fh:
                data = fh.read()
            h.update(data)
            size += len(data)
        return h.hexdigest(), size


def consume_all(bootstrap, topic, partitions, deadline=60):
    """Every record of topic's partitions from the start to the high watermark:
    {partition: [(offset, value)]}."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{time.time()}",
                  "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        out = {p: [] for p in partitions}
        highs = {}
        for p in partitions:
            lo, hi = wait_until(lambda: c.get_watermark_offsets(TopicPartition(topic, p),
                                                                timeout=5),
                                deadline, what=f"watermarks of {topic}-{p}")
            highs[p] = hi
        c.assign([TopicPartition(topic, p, 0) for p in partitions])
        done = {p for p in partitions if highs[p] == 0}
        end = time.monotonic() + deadline
        while len(done) < len(partitions) and time.monotonic() < end:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= highs[m.partition()]:
                        done.add(m.partition())
                    continue
                raise AssertionError(f"consumer error {m.error()}")
            out[m.partition()].append((m.offset(), m.value().decode()))
            if m.offset() + 1 >= highs[m.partition()]:
                done.add(m.partition())
        check(len(done) == len(partitions),
              f"consumed only partitions {sorted(done)} of {partitions} within {deadline}s")
        return out
    finally:
        c.close()


class AckingProducer:
    """An idempotent acks=all producer writing unique values in a thread and
    remembering what was acknowledged: {value: (partition, offset)}."""

    def __init__(self, bootstrap, topic, partitions, timeout_ms=60000):
        self.topic = topic
        self.partitions = partitions
        self.p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                           "acks": "all", "linger.ms": 5, "message.timeout.ms": timeout_ms,
                           "topic.metadata.refresh.interval.ms": 1000,
                           "retry.backoff.ms": 100})
        self.acked = {}
        self.failed = {}
        self.sent = 0
        self.stop = threading.Event()
        self.thread = None
        self.lock = threading.Lock()

    def _cb(self, err, msg):
        v = msg.value().decode()
        with self.lock:
            if err is None:
                self.acked[v] = (msg.partition(), msg.offset())
            else:
                self.failed[v] = err

    def send(self, n=1, partition=None):
        for _ in range(n):
            v = f"{self.topic}-{self.sent:08d}"
            part = partition if partition is not None else self.sent % len(self.partitions)
            while True:
                try:
                    self.p.produce(self.topic, v.encode(), partition=part, on_delivery=self._cb)
                    break
                except BufferError:
                    self.p.poll(0.1)
            self.sent += 1
            self.p.poll(0)

    def _run(self, rate):
        while not self.stop.is_set():
            self.send(max(1, int(rate / 20)))
            self.p.poll(0.05)

    def start(self, rate=400):
        self.thread = threading.Thread(target=self._run, args=(rate,), daemon=True)
        self.thread.start()

    def finish(self, deadline=120):
        self.stop.set()
        if self.thread:
            self.thread.join()
        left = self.p.flush(deadline)
        check(left == 0, f"{left} messages still undelivered after {deadline}s")


def check_acked_present(acked, records, what):
    """Every acknowledged value is read exactly once at its acknowledged offset;
    no value is read twice; offsets increase with the production order per partition."""
    where = {}
    for p, recs in records.items():
        last = -1
        for off, v in recs:
            check(v not in where, f"{what}: {v} read twice ({where.get(v)} and {(p, off)})")
            where[v] = (p, off)
            check(off > last, f"{what}: offsets not increasing in partition {p}")
            last = off
    missing = [v for v in acked if v not in where]
    check(not missing, f"{what}: {len(missing)} acknowledged value(s) lost, e.g. {missing[:5]}")
    moved = [(v, acked[v], where[v]) for v in acked if where[v] != acked[v]]
    check(not moved, f"{what}: acknowledged values at other offsets: {moved[:5]}")
    for p, recs in records.items():
        order = [int(v.rsplit("-", 1)[1]) for _, v in recs]
        check(order == sorted(order), f"{what}: partition {p} out of production order")


def main():
    if Consumer is None:
        raise Skip("confluent-kafka is not installed for /usr/bin/python3")
    sluice = sys.argv[1]
    state = {}

    def setup():
        state["cl"] = Cluster(sluice)
        state["cl"].wait_all_brokers()

    def step(fn):
        """Runs fn with every node up first (an earlier failed step may have left one down)."""
        def run():
            cl = state["cl"]
            for n in cl.nodes.values():
                if not n.running():
                    n.start()
                    n.wait_ready(60)
            cl.wait_all_brokers()
            fn(cl)
        return run

    def same_logs(cl, topic, parts):
        cl.wait_isr_full(topic)
        for p in parts:
            _, replicas, _ = cl.partitions(topic, cl.live()[0])[p]

            def identical():
                sums = {r: cl.log_bytes(r, topic, p) for r in replicas}
                return sums if len(set(sums.values())) == 1 else None
            wait_until(identical, 60, what=f"{topic}-{p}: identical logs on {replicas}")

    def kill_and_restart_leader(cl, topic, partition):
        leader = cl.leader_of(topic, partition)
        check(leader > 0, f"{topic}-{partition} has no leader")
        node = cl.nodes[leader]
        node.kill9()
        others = [i for i in cl.live() if i != leader]
        wait_until(lambda: cl.leader_of(topic, partition, others[0]) not in (leader, -1), 30,
                   what=f"a new leader for {topic}-{partition} after killing {leader}")
        node.start()
        node.wait_ready(60)
        return leader

    def step_chaos(cl):
        topic = "chaos"
        cl.create_topic(topic, 3)
        prod = AckingProducer(cl.bootstrap(), topic, [0, 1, 2])
        prod.start()
        # What clients see as the end of partition 0 (ListOffsets latest) must never go
        # backwards, whichever broker leads.
        highs = []
        watching = threading.Event()

        def watch():
            c = Consumer({"bootstrap.servers": cl.bootstrap(), "group.id": "hw-watch"})
            while not watching.is_set():
                try:
                    highs.append(c.get_watermark_offsets(TopicPartition(topic, 0),
                                                         timeout=2)[1])
                except Exception:  # noqa: BLE001 - a leader change: OFFSET_NOT_AVAILABLE etc.
                    pass
                time.sleep(0.1)
            c.close()
        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        kills = []
        end = time.monotonic() + CHAOS_SECONDS
        while time.monotonic() < end:
            time.sleep(min(KILL_EVERY, max(0.0, end - time.monotonic())))
            if time.monotonic() >= end:
                break
            kills.append(kill_and_restart_leader(cl, topic, 0))
        prod.finish()
        watching.set()
        watcher.join()
        drops = [(a, b) for a, b in zip(highs, highs[1:]) if b < a]
        check(len(highs) > 10, f"only {len(highs)} high watermark readings")
        check(not drops, f"the high watermark clients saw went backwards: {drops[:5]}")
        check(len(prod.acked) > 1000, f"only {len(prod.acked)} writes acknowledged")
        records = consume_all(cl.bootstrap(), topic, [0, 1, 2], 90)
        check_acked_present(prod.acked, records, "chaos")
        same_logs(cl, topic, [0, 1, 2])
        print(f"chaos: {prod.sent} sent, {len(prod.acked)} acknowledged, "
              f"{len(prod.failed)} failed, leaders killed: {kills}")

    def step_pause(cl):
        topic = "paused"
        cl.create_topic(topic, 1)
        prod = AckingProducer(cl.bootstrap(), topic, [0])
        prod.send(200)
        prod.finish()
        old = cl.leader_of(topic, 0)
        n = cl.nodes[old]
        stale_conn = KafkaConn("127.0.0.1", n.kafka_port, timeout=60)
        os.kill(n.pid, signal.SIGSTOP)
        try:
            others = [i for i in cl.live() if i != old]
            new = wait_until(lambda: (lambda l: l if l not in (old, -1) else None)(
                cl.leader_of(topic, 0, others[0])), 40,
                what=f"a new leader while {old} is paused")
            prod2 = AckingProducer(cl.bootstrap(exclude=(old,)), topic, [0])
            prod2.sent = 100000
            prod2.send(200)
            prod2.finish()
            # Queued while it is stopped, so the old leader sees this write first thing on
            # waking, before any metadata tells it it was deposed.
            batch = record_batch([(None, f"stale-{i}".encode()) for i in range(10)])
            stale_conn.send_raw(frame(request_header(API_PRODUCE, 3, 1) +
                                      produce_body(topic, 0, batch, acks=-1, timeout_ms=10000)))
        finally:
            os.kill(n.pid, signal.SIGCONT)
        _, body = stale_conn.recv_frame()
        stale_conn.close()
        (_, _, err, _), = parse_produce(body, 3)
        check(err != 0, f"the deposed leader {old} acknowledged an acks=all write after SIGCONT")
        records = consume_all(cl.bootstrap(), topic, [0], 60)
        values = [v for _, v in records[0]]
        check(not any(v.startswith("stale-") for v in values),
              f"writes sent to the deposed leader {old} reached the log")
        check_acked_present({**prod.acked, **prod2.acked}, records, "pause")
        same_logs(cl, topic, [0])
        print(f"pause: old leader {old}, new leader {new}; the deposed leader answered "
              f"error {err} to an acks=all write, and its tail was truncated")

    def step_two_down(cl):
        topic = "twodown"
        # Replicas 1, 2, 4 with 1 preferred: killing 2 and 4 keeps the quorum (1, 3).
        cl.create_topic(topic, assignment=[[1, 2, 4]])
        prod = AckingProducer(cl.bootstrap(), topic, [0])
        prod.send(100)
        prod.finish()
        cl.nodes[2].kill9()
        cl.nodes[4].kill9()
        wait_until(lambda: cl.partitions(topic, 1)[0][2] == [1], 60,
                   what="the controller shrinking the ISR to the leader alone")
        p = Producer({"bootstrap.servers": cl.bootstrap(), "acks": "all",
                      "message.timeout.ms": 5000})
        errs = []
        for i in range(20):
            p.produce(topic, f"down-{i}".encode(), partition=0,
                      on_delivery=lambda e, m: errs.append(e))
        p.flush(30)
        check(len(errs) == 20, f"only {len(errs)} delivery reports")
        check(all(e is not None for e in errs), "an acks=all write succeeded with 1 of 3 replicas")
        codes = {e.code() for e in errs}
        print(f"two down: delivery errors {sorted(str(e) for e in set(errs))[:3]}")
        check(codes & {ERR_NOT_ENOUGH_REPLICAS, ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND,
                       KafkaError._MSG_TIMED_OUT},
              f"unexpected errors {codes}")
        # librdkafka retries NOT_ENOUGH_REPLICAS until its timeout; ask the broker directly.
        direct = Producer({"bootstrap.servers": cl.nodes[1].bootstrap, "acks": "all",
                           "retries": 0, "message.timeout.ms": 5000})
        derr = []
        direct.produce(topic, b"direct", partition=0, on_delivery=lambda e, m: derr.append(e))
        direct.flush(15)
        check(derr and derr[0] is not None and derr[0].code() == ERR_NOT_ENOUGH_REPLICAS,
              f"expected NOT_ENOUGH_REPLICAS from the leader, got {derr}")
        cl.nodes[2].start()
        cl.nodes[2].wait_ready(60)
        prod2 = AckingProducer(cl.bootstrap(), topic, [0])
        prod2.sent = 100000
        prod2.send(100)
        prod2.finish()
        check(len(prod2.acked) == 100, f"writes did not resume: {len(prod2.acked)} of 100")
        cl.nodes[4].start()
        cl.nodes[4].wait_ready(60)
        records = consume_all(cl.bootstrap(), topic, [0], 60)
        check_acked_present({**prod.acked, **prod2.acked}, records, "two down")
        same_logs(cl, topic, [0])

    def step_truncation(cl):
        topic = "kip101"
        cl.create_topic(topic, assignment=[[3, 1, 4]])
        prod = AckingProducer(cl.bootstrap(), topic, [0])
        prod.send(500)
        prod.finish()
        # Follower 4 crashes and comes back with data past its checkpointed HW,
        # then the leader dies at once: 4 must not keep (or serve) a divergent tail.
        cl.nodes[4].kill9()
        cl.nodes[4].start()
        cl.nodes[4].wait_ready(60)
        cl.nodes[3].kill9()
        wait_until(lambda: cl.leader_of(topic, 0, 1) in (1, 4), 40, what="a new leader")
        prod2 = AckingProducer(cl.bootstrap(exclude=(3,)), topic, [0])
        prod2.sent = 100000
        prod2.send(200)
        prod2.finish()
        cl.nodes[3].start()
        cl.nodes[3].wait_ready(60)
        records = consume_all(cl.bootstrap(), topic, [0], 60)
        check_acked_present({**prod.acked, **prod2.acked}, records, "kip-101")
        same_logs(cl, topic, [0])

    def step_fsync_per_append(cl):
        topic = "fsyncall"
        cl.create_topic(topic, assignment=[[2, 3, 4]], config={"flush.messages": "1"})
        prod = AckingProducer(cl.bootstrap(), topic, [0])
        prod.start(rate=300)
        time.sleep(3)
        cl.nodes[2].kill9()
        wait_until(lambda: cl.leader_of(topic, 0, 1) in (3, 4), 40, what="a new leader")
        time.sleep(3)
        cl.nodes[2].start()
        cl.nodes[2].wait_ready(60)
        time.sleep(2)
        prod.finish()
        check(len(prod.acked) > 100, f"only {len(prod.acked)} writes acknowledged")
        records = consume_all(cl.bootstrap(), topic, [0], 60)
        check_acked_present(prod.acked, records, "fsync per append")
        same_logs(cl, topic, [0])

    run_tests([
        ("setup: 3 voters + 1 broker-only node", setup),
        ("chaos: kill the leader every 15 s under acks=all", step(step_chaos)),
        ("pause: SIGSTOPped leader acknowledges nothing after a new election", step(step_pause)),
        ("two of three replicas down: acks=all fails, then resumes", step(step_two_down)),
        ("KIP-101 truncation: follower restart then leader kill", step(step_truncation)),
        ("flush.messages=1: acks=all through a leader kill", step(step_fsync_per_append)),
    ], keep_going=lambda: True)


if __name__ == "__main__":
    main()
