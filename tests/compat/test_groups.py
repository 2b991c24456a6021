"""Consumer groups against a single Sluice node: kafka-python (python3-kafka),
confluent-kafka (python3-confluent-kafka, librdkafka) and kcat -G.

For kafka-python and for confluent-kafka (separate groups, separate 6-partition
topics), with group.initial.rebalance.delay.ms=0:
  * three consumers join and split the partitions two by two, then consume
    and commit everything produced (each record exactly once);
  * one leaves (LeaveGroup): the other two take its partitions over and
    consume what is produced next, still exactly once;
  * the group is stopped, more is produced, and a member consumes it but
    commits only up to a known offset before leaving; three new consumers
    then resume from the committed offsets: nothing is skipped and only the
    records consumed after the last commit are delivered again.
kafka-python uses the range assignor, confluent-kafka cooperative-sticky
(the broker relays whatever the leader assigns).  kcat -G consumes a topic
and a second run resumes after what the first one committed.  The node is
then restarted with SIGTERM and with kill -9: committed offsets and the
groups survive and a consumer resumes exactly after the last commit.
`sluice group list/describe` are checked against the same state, and
hand-encoded requests check Kafka's error answers (INVALID_SESSION_TIMEOUT,
MEMBER_ID_REQUIRED, UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, NON_EMPTY_GROUP,
GROUP_ID_NOT_FOUND, UNKNOWN_TOPIC_OR_PARTITION, OFFSET_METADATA_TOO_LARGE).

Usage: test_groups.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)"""

import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, TestFailure, check, wait_until  # noqa: E402

try:
    import kafka
    from kafka import KafkaConsumer, TopicPartition as KpTP
    from kafka.structs import OffsetAndMetadata as KpOAM
except ImportError as e:
    kafka = None
    KP_IMPORT_ERROR = e

try:
    import confluent_kafka
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as e:
    confluent_kafka = None
    CK_IMPORT_ERROR = e

PARTS = 6
PER_PHASE = 50      # records per partition per phase
PARTIAL_COMMIT = 30  # phase C: committed up to PER_PHASE * 2 + this, then the member leaves
node = None
binary = None
state = {}  # family -> {"topic", "group", "end"}


def setup():
    global node, binary
    if confluent_kafka is None:
        raise Skip(f"confluent-kafka not importable: {CK_IMPORT_ERROR}")
    binary = harness.binary_from_argv()
    node = SluiceNode(binary, name="groups",
                      overrides={"group.initial.rebalance.delay.ms": "0"})
    node.start_ready()


def create_topic(name):
    a = AdminClient({"bootstrap.servers": node.bootstrap})
    a.create_topics([NewTopic(name, PARTS, 1)])[name].result(60)


def produce(topic, per_part, tag):
    p = Producer({"bootstrap.servers": node.bootstrap, "acks": "all", "linger.ms": 5})
    errors = []

    def dr(err, m):
        if err is not None:
            errors.append(str(err))
    for i in range(per_part):
        for part in range(PARTS):
            p.produce(topic, value=f"{tag}-{part}-{i}".encode(), partition=part, on_delivery=dr)
    check(p.flush(60) == 0, f"{topic}: delivery reports missing")
    check(not errors, f"{topic}: delivery errors {errors[:3]}")


def committed(group, topic):
    """{partition: committed offset} read with OffsetFetch (no group membership)."""
    c = Consumer({"bootstrap.servers": node.bootstrap, "group.id": group})
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(PARTS)], timeout=20)
    finally:
        c.close()
    return {tp.partition: tp.offset for tp in tps}


class Member(threading.Thread):
    """One group member consuming in its own thread and committing after every batch."""

    def __init__(self, family, topic, group, name):
        super().__init__(daemon=True)
        self.family, self.topic, self.group, self.name = family, topic, group, name
        self.assigned = frozenset()
        self.consumed = []          # (partition, offset)
        self.errors = []
        self.stop_flag = threading.Event()
        self.closed = threading.Event()
        self.lock = threading.Lock()

    def run(self):
        try:
            if self.family == "kp":
                self.run_kp()
            else:
                self.run_ck()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(e))
        finally:
            self.closed.set()

    def run_kp(self):
        c = KafkaConsumer(self.topic, bootstrap_servers=node.bootstrap, group_id=self.group,
                          client_id=self.name, enable_auto_commit=False,
                          auto_offset_reset="earliest", session_timeout_ms=10000,
                          heartbeat_interval_ms=1000, max_poll_records=100)
        try:
            while not self.stop_flag.is_set():
                batch = c.poll(timeout_ms=200)
                got = [(r.partition, r.offset) for recs in batch.values() for r in recs]
                if got:
                    c.commit()
                    with self.lock:
                        self.consumed.extend(got)
                self.assigned = frozenset(tp.partition for tp in c.assignment())
        finally:
            c.close(autocommit=False)

    def run_ck(self):
        c = Consumer({"bootstrap.servers": node.bootstrap, "group.id": self.group,
                      "client.id": self.name, "enable.auto.commit": False,
                      "auto.offset.reset": "earliest", "session.timeout.ms": 10000,
                      "heartbeat.interval.ms": 1000,
                      "partition.assignment.strategy": "cooperative-sticky"})
        c.subscribe([self.topic])
        try:
            while not self.stop_flag.is_set():
                msgs = c.consume(num_messages=100, timeout=0.2)
                got = [(m.partition(), m.offset()) for m in msgs if m.error() is None]
                if got:
                    c.commit(asynchronous=False)
                    with self.lock:
                        self.consumed.extend(got)
                self.assigned = frozenset(tp.partition for tp in c.assignment())
        finally:
            c.close()

    def stop(self):
        self.stop_flag.set()
        check(self.closed.wait(60), f"{self.name} did not close")
        self.join(10)
        check(not self.errors, f"{self.name}: {self.errors}")


def wait_split(members, per_member, what):
    """Wait until the members' assignments are disjoint, cover every partition
    and give each member `per_member` partitions."""
    def pred():
        for m in members:
            check(not m.errors, f"{m.name}: {m.errors}")
        sets = [m.assigned for m in members]
        union = frozenset().union(*sets)
        return (union == frozenset(range(PARTS)) and sum(len(s) for s in sets) == PARTS
                and all(len(s) == per_member for s in sets))
    wait_until(pred, 60, what=f"{what}: {len(members)} consumers with {per_member} "
                              f"partitions each")


def wait_committed(group, topic, end, what):
    wait_until(lambda: committed(group, topic) == {p: end for p in range(PARTS)}, 60,
               what=f"{what}: committed offsets of {group} at {end}")


def check_exactly(records, lo, hi, what):
    """records (partition, offset) are exactly every offset in [lo, hi) of every partition, once."""
    expected = sorted((p, o) for p in range(PARTS) for o in range(lo, hi))
    got = sorted(records)
    if got != expected:
        dup = len(got) - len(set(got))
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        raise TestFailure(f"{what}: expected offsets [{lo}, {hi}) of {PARTS} partitions once "
                          f"each; got {len(got)} records, {dup} duplicate(s), missing "
                          f"{missing}, unexpected {extra}")


def partial_member(family, topic, group, lo, hi, commit_at):
    """Join alone, consume [lo, hi) of every partition, commit commit_at, leave."""
    seen = []
    deadline = time.monotonic() + 60
    if family == "kp":
        c = KafkaConsumer(topic, bootstrap_servers=node.bootstrap, group_id=group,
                          enable_auto_commit=False, auto_offset_reset="earliest",
                          session_timeout_ms=10000, heartbeat_interval_ms=1000)
        try:
            while len(seen) < PARTS * (hi - lo) and time.monotonic() < deadline:
                for recs in c.poll(timeout_ms=200).values():
                    seen.extend((r.partition, r.offset) for r in recs)
            c.commit({KpTP(topic, p): KpOAM(commit_at, None) for p in range(PARTS)})
        finally:
            c.close(autocommit=False)
    else:
        c = Consumer({"bootstrap.servers": node.bootstrap, "group.id": group,
                      "enable.auto.commit": False, "auto.offset.reset": "earliest",
                      "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})
        c.subscribe([topic])
        try:
            while len(seen) < PARTS * (hi - lo) and time.monotonic() < deadline:
                seen.extend((m.partition(), m.offset())
                            for m in c.consume(num_messages=100, timeout=0.2)
                            if m.error() is None)
            c.commit(offsets=[TopicPartition(topic, p, commit_at) for p in range(PARTS)],
                     asynchronous=False)
        finally:
            c.close()
    check_exactly(seen, lo, hi, f"{group}: the member that resumes after the second phase")


def group_lifecycle(family):
    if family == "kp" and kafka is None:
        raise Skip(f"kafka-python not importable: {KP_IMPORT_ERROR}")
    topic, group = f"groups-{family}", f"{family}-group"
    create_topic(topic)
    state[family] = {"topic": topic, "group": group}

    # Three consumers split the partitions before anything is produced, so every
    # record is consumed and committed by a member of a stable generation.
    members = [Member(family, topic, group, f"{family}-c{i}") for i in range(3)]
    for m in members:
        m.start()
    wait_split(members, 2, f"{group} with three members")
    produce(topic, PER_PHASE, "A")
    wait_committed(group, topic, PER_PHASE, f"{group} phase A")

    # One leaves; the other two take its partitions over.
    members[0].stop()
    rest = members[1:]
    wait_split(rest, 3, f"{group} after {members[0].name} left")
    produce(topic, PER_PHASE, "B")
    wait_committed(group, topic, 2 * PER_PHASE, f"{group} phase B")
    for m in rest:
        m.stop()
    check_exactly([r for m in members for r in m.consumed], 0, 2 * PER_PHASE,
                  f"{group}: phases A and B")

    # The group restarts from its committed offsets.  One member consumes phase C
    # but commits only part of it: the next members must redeliver exactly the rest.
    produce(topic, PER_PHASE, "C")
    end = 3 * PER_PHASE
    commit_at = 2 * PER_PHASE + PARTIAL_COMMIT
    partial_member(family, topic, group, 2 * PER_PHASE, end, commit_at)
    check(committed(group, topic) == {p: commit_at for p in range(PARTS)},
          f"{group}: partial commit not visible")
    again = [Member(family, topic, group, f"{family}-r{i}") for i in range(3)]
    for m in again:
        m.start()
    wait_split(again, 2, f"{group} restarted")
    wait_committed(group, topic, end, f"{group} after the restart")
    for m in again:
        m.stop()
    check_exactly([r for m in again for r in m.consumed], commit_at, end,
                  f"{group}: restarted group")
    state[family]["end"] = end


def kcat_group():
    if not shutil.which("kcat"):
        raise Skip("kcat not installed")
    topic, group = "groups-kcat", "kcat-group"
    create_topic(topic)
    produce(topic, 10, "K")

    def run_kcat(count):
        r = subprocess.run(["kcat", "-b", node.bootstrap, "-G", group, "-X",
                            "auto.offset.reset=earliest", "-c", str(count), "-e", "-q",
                            "-f", "%p %o\n", topic],
                           capture_output=True, text=True, timeout=90)
        check(r.returncode == 0, f"kcat -G exited {r.returncode}: {r.stderr[-500:]}")
        return [tuple(int(x) for x in ln.split()) for ln in r.stdout.splitlines() if ln.strip()]
    first = run_kcat(PARTS * 10)
    check_exactly(first, 0, 10, "kcat -G first run")
    wait_committed(group, topic, 10, "kcat -G")
    produce(topic, 2, "L")
    second = run_kcat(PARTS * 2)
    check_exactly(second, 10, 12, "kcat -G second run (resumes after its commit)")
    state["kcat"] = {"topic": topic, "group": group, "end": 12}


def cli_check():
    if not state:
        raise Skip("no group was exercised")

    def run(*args):
        r = subprocess.run([binary, "group", "-b", node.bootstrap] + list(args),
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, f"sluice group {' '.join(args)}: exit {r.returncode}: "
                                 f"{r.stderr}")
        return r.stdout
    listed = run("list").split()
    for s in state.values():
        check(s["group"] in listed, f"sluice group list: {s['group']} missing in {listed}")
    for s in state.values():
        out = run("describe", s["group"]).splitlines()
        check(out[0].split() == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET",
                                 "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"],
              f"describe header: {out[0]!r}")
        rows = [ln.split() for ln in out[1:]]
        check(len(rows) == PARTS, f"describe {s['group']}: {len(rows)} rows: {out}")
        for row in rows:
            check(row[0] == s["group"] and row[1] == s["topic"]
                  and row[3] == str(s["end"]) and row[4] == str(s["end"]) and row[5] == "0",
                  f"describe {s['group']}: unexpected row {row}")


def offsets_survive(crash):
    if not state:
        raise Skip("no group was exercised")
    node.restart(crash=crash)
    for s in state.values():
        got = committed(s["group"], s["topic"])
        check(got == {p: s["end"] for p in range(PARTS)},
              f"after {'kill -9' if crash else 'SIGTERM'}: committed offsets of {s['group']} "
              f"are {got}, expected {s['end']}")
    # A consumer resumes exactly after the last commit.
    fam = "kp" if "kp" in state else ("ck" if "ck" in state else None)
    if fam is None:
        return
    s = state[fam]
    produce(s["topic"], 5, "R")
    m = Member(fam, s["topic"], s["group"], f"{fam}-after-restart")
    m.start()
    wait_committed(s["group"], s["topic"], s["end"] + 5, "after the restart")
    m.stop()
    check_exactly(m.consumed, s["end"], s["end"] + 5, "consumer after the node restart")
    s["end"] += 5


def raw_protocol():
    """Error answers over the wire, with hand-encoded non-flexible requests."""
    from harness import i8, i16, i32, i64, kstring, kbytes, karray, Reader
    FIND, JOIN, HEARTBEAT, LEAVE, SYNC, DESCRIBE, LIST, DELETE, COMMIT = (
        10, 11, 12, 13, 14, 15, 16, 42, 8)
    group = "raw-group"
    with node.conn() as c:
        r = Reader(c.request(FIND, 0, kstring(group)))
        err, nid, host, port = r.i16(), r.i32(), r.string(), r.i32()
        check(err == 0 and nid == 1 and port == node.kafka_port,
              f"FindCoordinator v0: {err} {nid} {host}:{port}")
        for key_type, want in ((1, 15), (2, 42)):
            r = Reader(c.request(FIND, 2, kstring("x") + i8(key_type)))
            r.i32()
            err = r.i16()
            check(err == want, f"FindCoordinator key_type {key_type}: error {err}, want {want}")

        def join(member, session=10000, group_id=group):
            body = (kstring(group_id) + i32(session) + i32(30000) + kstring(member) +
                    kstring("consumer") + karray([kstring("range") + kbytes(b"\x00\x00")]))
            r = Reader(c.request(JOIN, 4, body))
            r.i32()
            return {"error": r.i16(), "generation": r.i32(), "protocol": r.string(),
                    "leader": r.string(), "member": r.string(),
                    "members": r.array(lambda: (r.string(), r.take(r.i32())))}
        j = join("", session=100)
        check(j["error"] == 26, f"JoinGroup with a 100 ms session: {j}")
        j = join("")
        check(j["error"] == 79 and j["member"].startswith("sluice-itest-"),
              f"JoinGroup v4 without member id: {j}")
        mid = j["member"]
        j = join(mid)
        check(j["error"] == 0 and j["generation"] == 1 and j["leader"] == mid
              and j["protocol"] == "range" and len(j["members"]) == 1, f"JoinGroup: {j}")
        check(join("who", group_id="raw-unknown")["error"] == 25, "JoinGroup: unknown group")

        def sync(gen, member, assignment=b""):
            body = kstring(group) + i32(gen) + kstring(member) + karray(
                [kstring(member) + kbytes(assignment)] if assignment else [])
            r = Reader(c.request(SYNC, 1, body))
            r.i32()
            return r.i16(), r.take(r.i32())
        check(sync(7, mid)[0] == 22, "SyncGroup with a wrong generation")
        check(sync(1, mid, b"assigned") == (0, b"assigned"), "SyncGroup of the leader")

        def heartbeat(gen, member):
            r = Reader(c.request(HEARTBEAT, 1, kstring(group) + i32(gen) + kstring(member)))
            r.i32()
            return r.i16()
        check(heartbeat(1, mid) == 0, "Heartbeat")
        check(heartbeat(1, "nobody") == 25, "Heartbeat of an unknown member")
        check(heartbeat(0, mid) == 22, "Heartbeat with an old generation")

        def commit(gen, topic, meta=""):
            body = (kstring(group) + i32(gen) + kstring(mid) + i64(-1) +
                    karray([kstring(topic) + karray([i32(0) + i64(5) + kstring(meta)])]))
            r = Reader(c.request(COMMIT, 2, body))
            topics = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16()))))
            return topics[0][1][0][1]
        check(commit(1, "no-such-topic") == 3, "OffsetCommit to an unknown topic")
        check(commit(1, "groups-kcat", "m" * 5000) == 12, "OffsetCommit with huge metadata")
        check(commit(0, "groups-kcat") == 22, "OffsetCommit from an old generation")
        check(commit(1, "groups-kcat") == 0, "OffsetCommit")

        def delete(g):
            r = Reader(c.request(DELETE, 0, karray([kstring(g)])))
            r.i32()
            return r.array(lambda: (r.string(), r.i16()))[0][1]
        check(delete(group) == 68, "DeleteGroups of a group with members")
        check(delete("raw-unknown") == 69, "DeleteGroups of an unknown group")
        r = Reader(c.request(DESCRIBE, 0, karray([kstring("raw-unknown")])))
        d = r.array(lambda: (r.i16(), r.string(), r.string()))
        check(d[0][0] == 0 and d[0][2] == "Dead", f"DescribeGroups of an unknown group: {d}")

        r = Reader(c.request(LEAVE, 1, kstring(group) + kstring(mid)))
        r.i32()
        check(r.i16() == 0, "LeaveGroup")
        r = Reader(c.request(LIST, 0, b""))
        err = r.i16()
        groups = dict(r.array(lambda: (r.string(), r.string())))
        check(err == 0 and groups.get(group) == "consumer", f"ListGroups: {err} {groups}")
        check(delete(group) == 0, "DeleteGroups of an empty group")
        r = Reader(c.request(LIST, 0, b""))
        r.i16()
        check(group not in dict(r.array(lambda: (r.string(), r.string()))),
              "ListGroups still lists the deleted group")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node (group.initial.rebalance.delay.ms=0)", setup),
        ("kafka-python group: split, leave, resume from committed offsets",
         lambda: group_lifecycle("kp")),
        ("confluent-kafka group (cooperative-sticky): split, leave, resume",
         lambda: group_lifecycle("ck")),
        ("kcat -G consumes and resumes", kcat_group),
        ("sluice group list/describe", cli_check),
        ("coordinator answers over the raw protocol", raw_protocol),
        ("committed offsets survive SIGTERM", lambda: offsets_survive(False)),
        ("committed offsets survive kill -9", lambda: offsets_survive(True)),
        ("stop node", teardown),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
