"""Consumer groups on a three-node cluster (issue #6) with real clients:
kafka-python (python3-kafka), confluent-kafka (python3-confluent-kafka) and
kcat -G, against topics with 6 partitions and replication factor 3.

  * __consumer_offsets is created on first use through a node that is not the
    active controller (forwarded), with offsets.topic.num.partitions (50) and
    offsets.topic.replication.factor 3.
  * For each client family (separate groups and topics): three consumers
    split the partitions two by two and consume what is produced exactly
    once; one leaves and the other two take its partitions over; the group
    stops, one member consumes the next phase but commits only part of it,
    and three new consumers resume from the committed offsets (nothing
    skipped, only what was consumed after the last commit redelivered).
  * kcat -G consumes and a second run resumes after its commit.
  * Coordinator failover: three kafka-python consumers and three
    confluent-kafka consumers (two groups whose coordinator is the same
    broker, as FindCoordinator says) consume a topic that a producer keeps
    writing, committing after every batch.  That broker is killed with
    SIGKILL.  The groups find the new coordinator (the new leader of their
    __consumer_offsets partitions), whose committed offsets are at least what
    was acknowledged before the kill, and go on consuming; then one member of
    each group leaves and the new coordinator rebalances the members it
    loaded from the log.  Committed offsets never go backwards;
    every record is consumed, and a record is consumed again only when it
    lies at or past the last commit acknowledged before its redelivery began.
  * The killed broker restarts: three brokers in every node's Metadata, and
    every replica of the test topics and of __consumer_offsets back in its
    ISR.  A preferred-leader election (ElectLeaders) hands it back the
    __consumer_offsets partitions of the two groups: it loads them from its
    replicated log, the others unload them, and the groups resume exactly
    after their committed offsets.
  * An offset commit is answered only once every in-sync replica has it: with
    one follower stopped (SIGSTOP) the coordinator neither answers nor shows
    the new offset; it answers once the follower runs again.

min.insync.replicas=2 makes "acknowledged" mean "on two replicas", so an
acknowledged commit must survive the loss of any one broker.

Usage: test_groups_cluster.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (SluiceNode, Skip, TestFailure, Reader, check, frame, i8, i32,  # noqa: E402
                     i64, karray, kstring, request_header, wait_until)

import group_members as gm  # noqa: E402
from group_members import Consumer, KafkaConsumer, CK_IMPORT_ERROR, KP_IMPORT_ERROR  # noqa: E402

try:
    from confluent_kafka import KafkaException, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError:
    pass  # Consumer is None: setup() skips

PARTS = 6
RF = 3
PER_PHASE = 40        # records per partition per lifecycle phase
PARTIAL_COMMIT = 25   # phase C: committed up to 2 * PER_PHASE + this
OFFSETS_PARTITIONS = 50
API_OFFSET_COMMIT, API_OFFSET_FETCH, API_FIND_COORDINATOR, API_ELECT_LEADERS = 8, 9, 10, 43

binary = None
nodes = []
by_id = {}
cluster = {}  # "bootstrap", "killed" (node), "fo" (failover state)
grp = None    # gm.GroupClients bound to the cluster


# ---------------------------------------------------------------------------
# Cluster helpers.

def bootstrap_of(ns):
    return ",".join(n.bootstrap for n in ns)


def live_nodes():
    return [n for n in nodes if n.running()]


def admin_get(node, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}{path}", timeout=5) as r:
        return json.loads(r.read())


def raft_leader(ns):
    views = {admin_get(n, "/v1/raft/metadata").get("leader_id") for n in ns}
    if len(views) == 1:
        (leader,) = views
        if leader is not None and leader >= 0:
            return leader
    return None


def metadata(node, topics=None):
    with node.conn(timeout=10) as c:
        return c.metadata(topics)


def find_coordinator(node, group):
    """FindCoordinator v0 asked of `node`: (error, node id)."""
    with node.conn(timeout=10) as c:
        r = Reader(c.request(API_FIND_COORDINATOR, 0, kstring(group)))
        err, nid = r.i16(), r.i32()
        return err, nid


def coordinator(group, ns=None):
    """The coordinator every given live node names for `group`, or None."""
    answers = set()
    for n in ns or live_nodes():
        err, nid = find_coordinator(n, group)
        if err != 0:
            return None
        answers.add(nid)
    return answers.pop() if len(answers) == 1 else None


def offsets_partition(group):
    """abs(Java String.hashCode(group)) % offsets.topic.num.partitions (ASCII ids)."""
    h = 0
    for ch in group:
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    s = h - (1 << 32) if h >= (1 << 31) else h
    return (0 if s == -(1 << 31) else abs(s)) % OFFSETS_PARTITIONS


def partition_leader(node, topic, index):
    """(leader, replicas in assignment order) of one partition from node's Metadata."""
    p = metadata(node)["topics"][topic]["partitions"][index]
    return p[1], list(p[2])


def topic_view(node, topic):
    """{partition: (leader, replicas, isr)} from node's Metadata, or None."""
    t = metadata(node)["topics"].get(topic)
    if not t or t["error"] != 0:
        return None
    return {i: (p[1], tuple(sorted(p[2])), tuple(sorted(p[3]))) for i, p in t["partitions"].items()}


def fully_replicated(topic, partitions, ns=None):
    """True when every given node sees `partitions` partitions of `topic`, each
    led, with RF replicas all in the ISR, and all nodes agree."""
    views = []
    for n in ns or live_nodes():
        v = topic_view(n, topic)
        if not v or len(v) != partitions:
            return False
        if any(l < 0 or len(r) != RF or isr != r for l, r, isr in v.values()):
            return False
        views.append(v)
    return all(v == views[0] for v in views)


def create_topic(name):
    a = AdminClient({"bootstrap.servers": cluster["bootstrap"]})
    a.create_topics([NewTopic(name, PARTS, RF)])[name].result(60)
    wait_until(lambda: fully_replicated(name, PARTS), 60,
               what=f"{name}: {PARTS} partitions with {RF} in-sync replicas on every node")


def end_offsets(topic):
    """{partition: high watermark} from the partition leaders."""
    c = Consumer({"bootstrap.servers": cluster["bootstrap"], "group.id": "end-offsets"})
    try:
        return {p: c.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
                for p in range(PARTS)}
    finally:
        c.close()


# ---------------------------------------------------------------------------
# Steps.

def setup():
    global binary, grp
    if Consumer is None:
        raise Skip(f"confluent-kafka not importable: {CK_IMPORT_ERROR}")
    binary = harness.binary_from_argv()
    for i in (1, 2, 3):
        nodes.append(SluiceNode(binary, name=f"node{i}"))
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in zip((1, 2, 3), nodes))
    cluster_id = subprocess.run([binary, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    for i, n in zip((1, 2, 3), nodes):
        n.overrides.update({"node.id": str(i), "controller.quorum.voters": voters,
                            "group.initial.rebalance.delay.ms": "0",
                            "min.insync.replicas": "2"})
        fmt = subprocess.run([binary, "format", "--cluster-id", cluster_id] +
                             sum((["--override", f"{k}={v}"] for k, v in
                                  [("node.id", i), ("log.dirs", n.data_dir),
                                   ("controller.quorum.voters", voters)]), []),
                             capture_output=True, text=True)
        check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
        by_id[i] = n
    for n in nodes:
        n.start()
    for n in nodes:
        n.wait_ready(60)
    for n in nodes:
        wait_until(lambda n=n: len(metadata(n, [])["brokers"]) == 3, 60,
                   what=f"{n.name} listing three live brokers")
    cluster["bootstrap"] = bootstrap_of(nodes)
    grp = gm.GroupClients(cluster["bootstrap"], PARTS)


def offsets_topic_created():
    """First use through a node that is not the active controller."""
    leader = wait_until(lambda: raft_leader(nodes), 60, what="an agreed metadata leader")
    other = next(n for i, n in by_id.items() if i != leader)
    wait_until(lambda: find_coordinator(other, "probe-group")[0] == 0, 60,
               what=f"FindCoordinator through {other.name} (not the controller) answering")
    wait_until(lambda: fully_replicated("__consumer_offsets", OFFSETS_PARTITIONS), 60,
               what=f"__consumer_offsets with {OFFSETS_PARTITIONS} partitions, RF {RF}, "
                    f"all in sync on every node")
    view = topic_view(other, "__consumer_offsets")
    leaders = {l for l, _, _ in view.values()}
    check(leaders == {1, 2, 3}, f"__consumer_offsets leaders spread over {leaders}")
    for t in ("gc-kp", "gc-ck", "gc-kcat", "gc-failover"):
        create_topic(t)


def group_lifecycle(family):
    grp.group_lifecycle(family, f"gc-{family}", f"gc-{family}-group", PER_PHASE, PARTIAL_COMMIT)


def kcat_group():
    grp.kcat_resume("gc-kcat", "gc-kcat-group")


def commit_waits_for_isr():
    """OffsetCommit v2 without group management, sent to the coordinator while
    one follower of the __consumer_offsets partition (every other broker holds
    a replica) is stopped: no answer and no visible offset while the HW cannot
    pass the commit, the answer (error 0) once the follower runs again."""
    group, topic = "gc-hw-group", "gc-kp"
    coord = wait_until(lambda: coordinator(group), 30, what=f"coordinator of {group}")
    cnode = by_id[coord]
    follower = next(n for n in nodes if n is not cnode)

    def commit_body(offset):
        return (kstring(group) + i32(-1) + kstring("") + i64(-1) +
                karray([kstring(topic) + karray([i32(0) + i64(offset) + kstring("")])]))

    def fetched():
        with cnode.conn(timeout=10) as c:
            r = Reader(c.request(API_OFFSET_FETCH, 1,
                                 kstring(group) + karray([kstring(topic) + karray([i32(0)])])))
            parts = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i64(), r.string(),
                                                                    r.i16()))))
            _, _, off, _, err = (parts[0][0],) + parts[0][1][0]
            check(err == 0, f"OffsetFetch error {err}")
            return off

    def commit_reply(c):
        r = Reader(c.recv_frame()[1])
        topics = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16()))))
        return topics[0][1][0][1]

    with cnode.conn(timeout=30) as c:
        c.corr += 1
        c.send_raw(frame(request_header(API_OFFSET_COMMIT, 2, c.corr) + commit_body(3)))
        check(commit_reply(c) == 0, "OffsetCommit with every replica running")
    check(fetched() == 3, "OffsetFetch after an acknowledged commit")

    os.kill(follower.pid, signal.SIGSTOP)
    try:
        with cnode.conn(timeout=30) as c:
            c.corr += 1
            c.send_raw(frame(request_header(API_OFFSET_COMMIT, 2, c.corr) + commit_body(9)))
            c.sock.settimeout(1.5)
            try:
                c.recv_frame()
                raise TestFailure(f"OffsetCommit answered while {follower.name} (in the ISR) "
                                  f"was stopped")
            except socket.timeout:
                pass
            check(fetched() == 3, "OffsetFetch shows a commit the ISR does not have")
            os.kill(follower.pid, signal.SIGCONT)
            c.sock.settimeout(30)
            check(commit_reply(c) == 0, f"OffsetCommit once {follower.name} runs again")
    finally:
        os.kill(follower.pid, signal.SIGCONT)
    check(fetched() == 9, "OffsetFetch after the delayed commit was acknowledged")


class Feeder(threading.Thread):
    """Keeps producing to every partition (acks=all) until stopped.  The checks
    go by offset, so a retried batch written twice changes nothing."""

    def __init__(self, topic):
        super().__init__(daemon=True)
        self.topic = topic
        self.stop_flag = threading.Event()
        self.errors = []
        self.sent = 0

    def run(self):
        p = Producer({"bootstrap.servers": cluster["bootstrap"], "acks": "all", "linger.ms": 10,
                      "message.timeout.ms": 120000})
        fatal = []

        def dr(err, m):
            if err is not None:
                fatal.append(str(err))
        i = 0
        while not self.stop_flag.is_set():
            for part in range(PARTS):
                for _ in range(5):
                    p.produce(self.topic, value=f"F-{part}-{i}".encode(), partition=part,
                              on_delivery=dr)
                    i += 1
            p.poll(0.05)
        left = p.flush(120)
        self.sent = i
        if left:
            self.errors.append(f"{left} record(s) never acknowledged")
        self.errors.extend(fatal[:3])


class CommitWatch(threading.Thread):
    """Reads a group's committed offsets over and over (OffsetFetch) and
    records every answer: committed offsets must never go backwards."""

    def __init__(self, group, topic):
        super().__init__(daemon=True)
        self.group, self.topic = group, topic
        self.stop_flag = threading.Event()
        self.seen = []  # (t, {partition: offset})
        self.regressions = []

    def run(self):
        c = Consumer({"bootstrap.servers": cluster["bootstrap"], "group.id": self.group})
        last = {}
        try:
            while not self.stop_flag.is_set():
                try:
                    tps = c.committed([TopicPartition(self.topic, p) for p in range(PARTS)],
                                      timeout=5)
                except KafkaException:
                    continue
                now = {tp.partition: tp.offset for tp in tps if tp.error is None}
                self.seen.append((time.monotonic(), now))
                for p, o in now.items():
                    if o < last.get(p, -1001):
                        self.regressions.append((p, last[p], o))
                    last[p] = max(o, last.get(p, -1001))
                self.stop_flag.wait(0.2)
        finally:
            c.close()


def same_coordinator_groups():
    """A kafka-python group and a confluent-kafka group with one coordinator."""
    kp_group = "gc-fo-kp"
    target = wait_until(lambda: coordinator(kp_group), 30, what=f"coordinator of {kp_group}")
    for i in range(400):
        g = f"gc-fo-ck-{i}"
        if coordinator(g) == target:
            return kp_group, g, target
    raise TestFailure(f"no candidate group shares {kp_group}'s coordinator {target}")


def acked_before(members, t):
    """{partition: highest offset acknowledged as committed before time t}."""
    out = {}
    for m in members:
        with m.lock:
            acks = list(m.acks)
        for td, offs in acks:
            if td < t:
                for p, o in offs.items():
                    out[p] = max(o, out.get(p, 0))
    return out


def check_redelivery(members, what, t_ref):
    """Nothing skipped is checked elsewhere; here: within one ownership of a
    partition a member's records follow offset by offset, and wherever a
    member starts a partition (a new assignment) or jumps back (a reset to the
    committed offset after a failed commit or a rebalance) it starts at or
    past every commit acknowledged before that start could have read the
    committed offset.  Returns how many records were delivered again."""
    dups = 0
    for m in members:
        with m.lock:
            polls, assigned_log = list(m.polls), list(m.assigned_log)
        last = {}  # partition -> (last offset, start of the poll that returned it)
        for t0, got in polls:
            for p, offs in got.items():
                for o in offs:
                    prev = last.get(p)
                    # Lost and assigned again since the previous record?
                    if prev is not None and any(prev[1] <= ta <= t0 and p not in parts
                                                for ta, parts in assigned_log):
                        prev = None
                    if prev is not None and o == prev[0] + 1:
                        last[p] = (o, t0)
                        continue
                    if prev is None:
                        # A new ownership: the committed offset is read after p
                        # shows up in the assignment.
                        bound = t0
                        for ta, parts in reversed([(ta, parts) for ta, parts in assigned_log
                                                   if ta <= t0]):
                            if p not in parts:
                                break
                            bound = ta
                    else:
                        if o > prev[0]:
                            raise TestFailure(f"{what}: {m.name} skipped from offset {prev[0]} "
                                              f"to {o} of partition {p}; "
                                              f"{history(members, p, t_ref)}")
                        bound = prev[1]
                        dups += prev[0] - o + 1
                    floor = acked_before(members, bound).get(p, 0)
                    if o < floor:
                        raise TestFailure(f"{what}: {m.name} started partition {p} at offset "
                                          f"{o}, below the commit {floor} acknowledged before; "
                                          f"{history(members, p, t_ref)}")
                    last[p] = (o, t0)
    return dups


def history(members, part, t_ref):
    """What the members did with one partition (for failure messages): each
    member's runs of consecutive offsets, its assignment changes and its
    acknowledged commits, with times relative to t_ref."""
    out = []
    for m in members:
        with m.lock:
            polls, assigned, acks = list(m.polls), list(m.assigned_log), list(m.acks)
        runs = []
        for t0, got in polls:
            for o in got.get(part, []):
                if runs and o == runs[-1][1] + 1:
                    runs[-1][1] = o
                else:
                    runs.append([o, o, round(t0 - t_ref, 2)])
        out.append(f"{m.name}: runs {runs[-6:]} assigned "
                   f"{[(round(t - t_ref, 2), sorted(a)) for t, a in assigned][-6:]} acks "
                   f"{[(round(t - t_ref, 2), o[part]) for t, o in acks if part in o][-4:]}")
    return f"partition {part}: " + " | ".join(out)


def failover():
    if KafkaConsumer is None:
        raise Skip(f"kafka-python not importable: {KP_IMPORT_ERROR}")
    topic = "gc-failover"
    kp_group, ck_group, coord = same_coordinator_groups()
    victim = by_id[coord]
    survivors = [n for n in nodes if n is not victim]
    print(f"     {kp_group} and {ck_group} are coordinated by node {coord}")
    groups = {kp_group: [grp.member("kp", topic, kp_group, f"fo-kp-{i}", session_ms=30000)
                         for i in range(3)],
              ck_group: [grp.member("ck", topic, ck_group, f"fo-ck-{i}", session_ms=30000)
                         for i in range(3)]}
    members = [m for ms in groups.values() for m in ms]
    for m in members:
        m.start()
    for g, ms in groups.items():
        grp.wait_split(ms, 2, g)
    watches = {g: CommitWatch(g, topic) for g in groups}
    for w in watches.values():
        w.start()
    feeder = Feeder(topic)
    feeder.start()
    try:
        def progressed(floor):
            return all(min(grp.committed(g, topic, timeout=10).values()) >= floor for g in groups)
        wait_until(lambda: progressed(200), 60, what="both groups committing the feed")

        t_kill = time.monotonic()
        victim.kill9()
        print(f"     killed node {coord} (SIGKILL)")
        cluster["killed"] = victim
        for g in groups:
            new = wait_until(lambda g=g: (lambda c: c if c not in (None, coord) else None)(
                coordinator(g, survivors)), 60, what=f"{g}: a coordinator other than {coord}")
            wait_until(lambda: all(l != coord for l, _, _ in
                                   topic_view(survivors[0], "__consumer_offsets").values()), 30,
                       what=f"no __consumer_offsets partition led by node {coord}")
            print(f"     {g}: coordinator is now node {new} after "
                  f"{time.monotonic() - t_kill:.1f}s")
            ms = groups[g]
            before = acked_before(ms, t_kill)
            now = wait_until(lambda g=g: grp.committed(g, topic, timeout=10), 60,
                             what=f"{g}: OffsetFetch from the new coordinator")
            check(all(now[p] >= o for p, o in before.items()),
                  f"{g}: committed offsets {now} behind those acknowledged before the kill "
                  f"{before}")
        # Consumption goes on past where it was when the coordinator died.
        at_kill = wait_until(lambda: end_offsets(topic), 60, what=f"{topic}: end offsets")
        wait_until(lambda: all(all(grp.committed(g, topic, timeout=10)[p] > at_kill[p]
                                   for p in range(PARTS)) for g in groups), 90,
                   what=f"both groups committing past {at_kill} after the failover")
        # A rebalance on the new coordinator, over the members it loaded from the log:
        # one member of each group leaves and the other two take its partitions over.
        for g, ms in groups.items():
            ms[0].stop()
        for g, ms in groups.items():
            grp.wait_split(ms[1:], 3, f"{g} on its new coordinator after {ms[0].name} left")
        mid = wait_until(lambda: end_offsets(topic), 60, what=f"{topic}: end offsets")
        wait_until(lambda: all(all(grp.committed(g, topic, timeout=10)[p] > mid[p]
                                   for p in range(PARTS)) for g in groups), 90,
                   what=f"both groups committing past {mid} after the rebalance")
    finally:
        feeder.stop_flag.set()
        feeder.join(150)
    check(not feeder.errors, f"feeder: {feeder.errors}")
    end = wait_until(lambda: end_offsets(topic), 60, what=f"{topic}: end offsets")
    for g in groups:
        grp.wait_committed(g, topic, end, f"{g} draining the feed", deadline=90)
    for m in members:
        if not m.closed.is_set():
            m.stop()
    for w in watches.values():
        w.stop_flag.set()
    for w in watches.values():
        w.join(30)
        check(not w.regressions, f"{w.group}: committed offsets went backwards "
                                 f"(partition, before, after): {w.regressions[:5]}")
        check(len(w.seen) > 10, f"{w.group}: only {len(w.seen)} OffsetFetch answers")
    for g, ms in groups.items():
        got = {r for m in ms for r in m.consumed}
        missing = [(p, o) for p in range(PARTS) for o in range(end[p]) if (p, o) not in got]
        if missing:
            raise TestFailure(f"{g}: {len(missing)} record(s) never consumed, e.g. "
                              f"{missing[:5]}; {history(ms, missing[0][0], t_kill)}")
        total = sum(len(m.consumed) for m in ms)
        dups = check_redelivery(ms, g, t_kill)
        print(f"     {g}: {sum(end.values())} records, {total} deliveries ({total - len(got)} "
              f"again, {dups} of them within one member's ownership), "
              f"{sum(m.commit_failures for m in ms)} failed commits")
    cluster["fo"] = {"groups": list(groups), "topic": topic, "end": end}


def restart_killed():
    victim = cluster.get("killed")
    if victim is None:
        raise Skip("no node was killed")
    victim.start()
    victim.wait_ready(60)
    for n in nodes:
        wait_until(lambda n=n: len(metadata(n, [])["brokers"]) == 3, 60,
                   what=f"{n.name} listing three live brokers")
    for t, parts in (("gc-failover", PARTS), ("gc-kp", PARTS), ("gc-ck", PARTS),
                     ("__consumer_offsets", OFFSETS_PARTITIONS)):
        wait_until(lambda t=t, parts=parts: fully_replicated(t, parts, nodes), 90,
                   what=f"{t}: every replica back in the ISR on every node")
    fo = cluster.get("fo")
    if fo:
        for g in fo["groups"]:
            check(grp.committed(g, fo["topic"]) == fo["end"],
                  f"{g}: committed offsets changed across the restart")
    for n in nodes:
        n.check_healthy(f"{n.name} after the restart")


def leadership_returns():
    """Preferred-leader election (ElectLeaders v1 through any node) gives the
    restarted broker back the __consumer_offsets partitions it led first: it
    loads the groups from its replicated log, the others unload them, and the
    groups resume exactly after their committed offsets."""
    fo = cluster.get("fo")
    victim = cluster.get("killed")
    if not fo or victim is None:
        raise Skip("no failover happened")
    topic, end = fo["topic"], dict(fo["end"])
    groups = fo["groups"]
    idx = {g: offsets_partition(g) for g in groups}
    for g in groups:
        leader, _ = partition_leader(nodes[0], "__consumer_offsets", idx[g])
        check(coordinator(g) == leader,
              f"{g}: FindCoordinator does not name the leader {leader} of "
              f"__consumer_offsets-{idx[g]}")
    body = (i8(0) + karray([kstring("__consumer_offsets") +
                            karray([i32(p) for p in sorted(set(idx.values()))])]) + i32(30000))
    with nodes[0].conn(timeout=40) as c:
        r = Reader(c.request(API_ELECT_LEADERS, 1, body))
        r.i32()
        err = r.i16()
        results = r.array(lambda: (r.string(), r.array(lambda: (r.i32(), r.i16(), r.string()))))
    check(err == 0, f"ElectLeaders: error {err} {results}")
    check(all(e in (0, 84) for _, ps in results for _, e, _ in ps),
          f"ElectLeaders results: {results}")  # 84: ELECTION_NOT_NEEDED
    preferred = {g: partition_leader(nodes[0], "__consumer_offsets", idx[g])[1][0]
                 for g in groups}
    check(victim.name in {by_id[p].name for p in preferred.values()},
          f"none of {groups} prefers the restarted broker: {preferred}")
    for g in groups:
        wait_until(lambda g=g: coordinator(g, nodes) == preferred[g], 60,
                   what=f"{g}: coordinator back on its preferred leader {preferred[g]}")
        check(grp.committed(g, topic) == end, f"{g}: committed offsets changed with the move")
    grp.produce(topic, 5, "P")
    more = {p: o + 5 for p, o in end.items()}
    members = [grp.member("kp" if "kp" in g else "ck", topic, g, f"{g}-back") for g in groups]
    for m in members:
        m.start()
    for m in members:
        grp.wait_committed(m.group, topic, more, f"{m.group} on its old coordinator again")
    for m in members:
        m.stop()
        got = sorted(m.consumed)
        want = sorted((p, o) for p in range(PARTS) for o in range(end[p], more[p]))
        check(got == want, f"{m.group}: after the move consumed {len(got)} records, expected "
                           f"exactly offsets [end, end + 5) of every partition")


def teardown():
    for n in nodes:
        rc = n.stop(60)
        check(rc == 0, f"{n.name}: SIGTERM exit status {rc}, expected 0")


def main():
    harness.run_tests([
        ("three nodes, one cluster", setup),
        ("__consumer_offsets created on first use through a non-controller (50 x RF 3)",
         offsets_topic_created),
        ("kafka-python group: split, leave, resume from committed offsets",
         lambda: group_lifecycle("kp")),
        ("confluent-kafka group (cooperative-sticky): split, leave, resume",
         lambda: group_lifecycle("ck")),
        ("kcat -G consumes and resumes", kcat_group),
        ("an offset commit is answered only once every in-sync replica has it",
         commit_waits_for_isr),
        ("kill -9 of the coordinator during consumption: new coordinator, offsets intact",
         failover),
        ("the killed broker restarts and the cluster is healthy", restart_killed),
        ("preferred leaders return: the restarted broker loads the groups and they resume",
         leadership_returns),
        ("stop", teardown),
    ], keep_going=lambda: len(live_nodes()) >= 2)


if __name__ == "__main__":
    main()
