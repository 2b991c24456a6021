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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, check  # noqa: E402

import group_members as gm  # noqa: E402

try:
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:
    pass  # gm.Consumer is None: setup() skips

PARTS = 6
PER_PHASE = 50      # records per partition per phase
PARTIAL_COMMIT = 30  # phase C: committed up to PER_PHASE * 2 + this, then the member leaves
node = None
binary = None
grp = None  # gm.GroupClients bound to the node
state = {}  # family -> {"topic", "group", "end"}


def setup():
    global node, binary, grp
    if gm.Consumer is None:
        raise Skip(f"confluent-kafka not importable: {gm.CK_IMPORT_ERROR}")
    binary = harness.binary_from_argv()
    node = SluiceNode(binary, name="groups",
                      overrides={"group.initial.rebalance.delay.ms": "0"})
    node.start_ready()
    grp = gm.GroupClients(node.bootstrap, PARTS, strict_commits=True)


def create_topic(name):
    a = AdminClient({"bootstrap.servers": node.bootstrap})
    a.create_topics([NewTopic(name, PARTS, 1)])[name].result(60)


def group_lifecycle(family):
    topic, group = f"groups-{family}", f"{family}-group"
    if family == "kp" and gm.KafkaConsumer is None:
        raise Skip(f"kafka-python not importable: {gm.KP_IMPORT_ERROR}")
    create_topic(topic)
    state[family] = {"topic": topic, "group": group}
    state[family]["end"] = grp.group_lifecycle(family, topic, group, PER_PHASE, PARTIAL_COMMIT)


def kcat_group():
    if not shutil.which("kcat"):
        raise Skip("kcat not installed")
    topic, group = "groups-kcat", "kcat-group"
    create_topic(topic)
    state["kcat"] = {"topic": topic, "group": group, "end": grp.kcat_resume(topic, group)}


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
        got = grp.committed(s["group"], s["topic"])
        check(got == {p: s["end"] for p in range(PARTS)},
              f"after {'kill -9' if crash else 'SIGTERM'}: committed offsets of {s['group']} "
              f"are {got}, expected {s['end']}")
    # A consumer resumes exactly after the last commit.
    fam = "kp" if "kp" in state else ("ck" if "ck" in state else None)
    if fam is None:
        return
    s = state[fam]
    grp.produce(s["topic"], 5, "R")
    m = grp.member(fam, s["topic"], s["group"], f"{fam}-after-restart")
    m.start()
    grp.wait_committed(s["group"], s["topic"], s["end"] + 5, "after the restart")
    m.stop()
    grp.check_exactly(m.consumed, s["end"], s["end"] + 5, "consumer after the node restart")
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
