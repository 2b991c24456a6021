"""Three Sluice nodes form one KRaft-style metadata quorum (KIP-595).

Each node is a voter of controller.quorum.voters=1@..,2@..,3@..; they must
agree on one leader, replicate the metadata log (a topic created through the
leader shows up in every node's image), elect a new leader within a few
election timeouts after the leader is killed with SIGKILL (committed metadata
intact), keep accepting metadata changes, and let the killed node catch up
when it comes back.  Observed through each node's admin API
(/v1/raft/metadata, /v1/topics) and the Kafka port of the active controller.

Every node's broker registers with the active controller (KIP-631
BrokerRegistration and heartbeats over the CONTROLLER listener) and then
serves Kafka clients; every node's Metadata lists the three brokers.  Until
partition replication lands, topics are created with replication factor 1.

Snapshots (KIP-630): every node runs with a small
metadata.log.max.record.bytes.between.snapshots, so the controllers snapshot
their image and drop the log prefix as the log grows.  A voter kept down while
many topics are created comes back below the leader's log start and must
catch up through FetchSnapshot, then see every topic.
"""

import glob
import json
import os
import subprocess
import sys
import time
import urllib.request

import harness
from harness import SluiceNode, check, wait_until


def admin_get(node, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}{path}", timeout=5) as r:
        return json.loads(r.read())


def quorum_view(node):
    q = admin_get(node, "/v1/raft/metadata")
    return q.get("leader_id"), q.get("leader_epoch")


def topics(node):
    return sorted(t["topic_name"] for t in admin_get(node, "/v1/topics"))


def agreed_leader(nodes):
    views = [quorum_view(n) for n in nodes]
    leaders = {v for v in views}
    if len(leaders) == 1:
        leader, epoch = views[0]
        if leader is not None and leader >= 0:
            return leader, epoch
    return None


def create_topic(sluice, node, name):
    out = subprocess.run([sluice, "topic", "create", "-b", node.bootstrap, name, "-p", "2",
                          "-r", "1"], capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"topic create {name} via node {node.name} failed: "
          f"{out.stdout}{out.stderr}")


SNAPSHOT_BYTES = 4096


def checkpoints(node):
    return sorted(glob.glob(os.path.join(node.data_dir, "__cluster_metadata-0", "*.checkpoint")))


def log_text(node):
    with open(node.log_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def main():
    sluice = sys.argv[1]
    nodes = [SluiceNode(sluice, name=f"node{i}") for i in (1, 2, 3)]
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in zip((1, 2, 3), nodes))
    cluster_id = subprocess.run([sluice, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    for i, n in zip((1, 2, 3), nodes):
        n.overrides.update({"node.id": str(i), "controller.quorum.voters": voters,
                            "metadata.log.max.record.bytes.between.snapshots": str(SNAPSHOT_BYTES)})
        fmt = subprocess.run([sluice, "format", "--cluster-id", cluster_id] +
                             sum((["--override", f"{k}={v}"] for k, v in
                                  [("node.id", i), ("log.dirs", n.data_dir),
                                   ("controller.quorum.voters", voters)]), []),
                             capture_output=True, text=True)
        check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
        n.start()
    by_id = dict(zip((1, 2, 3), nodes))

    killed = []

    def step_one_leader():
        return wait_until(lambda: agreed_leader(nodes), 60,
                          what="all three nodes agreeing on a leader")

    def step_describe_quorum():
        ctrl = ",".join(f"127.0.0.1:{n.controller_port}" for n in nodes)
        leader, epoch = agreed_leader(nodes)

        def status():
            out = subprocess.run([sluice, "cluster", "quorum", "--bootstrap-controller", ctrl],
                                 capture_output=True, text=True, timeout=30)
            return out.stdout if out.returncode == 0 else None
        text = wait_until(status, 30, what="sluice cluster quorum answering")
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        check(int(fields["LeaderId"]) == leader, f"LeaderId in {text!r}, expected {leader}")
        check(int(fields["LeaderEpoch"]) >= epoch, f"LeaderEpoch in {text!r}")
        # kafka-metadata-quorum 4.0's form: [{"id": 1, "endpoints": ["CONTROLLER://h:p"]}, ...]
        voters = json.loads(fields["CurrentVoters"])
        check(sorted(v["id"] for v in voters) == [1, 2, 3], f"CurrentVoters in {text!r}")
        for v in voters:
            want = f"CONTROLLER://127.0.0.1:{nodes[v['id'] - 1].controller_port}"
            check(v["endpoints"] == [want], f"endpoints of voter {v['id']} in {text!r}")
        check(fields["ClusterId"].strip() == cluster_id, f"ClusterId in {text!r}")
        out = subprocess.run([sluice, "cluster", "quorum", "--replication",
                              "--bootstrap-controller", ctrl], capture_output=True, text=True,
                             timeout=30)
        rows = [l.split() for l in out.stdout.splitlines()[1:] if l.strip()]
        check(sorted(int(r[0]) for r in rows) == [1, 2, 3], f"replication rows: {out.stdout!r}")
        check([r[-1] for r in rows if int(r[0]) == leader] == ["Leader"],
              f"leader row in {out.stdout!r}")

    def step_all_brokers_registered():
        for n in nodes:
            n.wait_ready()
            wait_until(lambda n=n: len(n.conn().metadata([])["brokers"]) == 3, 30,
                       what=f"{n.name} listing three brokers in Metadata")

    def step_replicated_topic():
        leader, _ = agreed_leader(nodes)
        ln = by_id[leader]
        ln.wait_ready()
        create_topic(sluice, ln, "quorum-a")
        for n in nodes:
            wait_until(lambda n=n: "quorum-a" in topics(n), 30,
                       what=f"{n.name} replaying the topic record")

    def step_leader_killed():
        leader, epoch = agreed_leader(nodes)
        ln = by_id[leader]
        ln.kill9()
        rest = [n for n in nodes if n is not ln]
        t0 = time.monotonic()
        new = wait_until(lambda: (lambda v: v if v and v[0] != leader and v[1] > epoch else None)
                         (agreed_leader(rest)), 30, what="a new leader among the survivors")
        print(f"     new leader {new[0]} at epoch {new[1]} after {time.monotonic() - t0:.1f}s")
        for n in rest:
            check("quorum-a" in topics(n), f"{n.name} lost the committed topic record")
        nl = by_id[new[0]]
        nl.wait_ready()
        create_topic(sluice, nl, "quorum-b")
        for n in rest:
            wait_until(lambda n=n: "quorum-b" in topics(n), 30, what=f"{n.name} seeing quorum-b")
        return ln

    def step_rejoin(killed):
        killed.start()
        wait_until(lambda: {"quorum-a", "quorum-b"} <= set(topics(killed)), 60,
                   what=f"{killed.name} catching up after restart")
        wait_until(lambda: agreed_leader(nodes), 60, what="one leader with all three back")

    def step_rejoin_from_snapshot():
        leader, _ = wait_until(lambda: agreed_leader(nodes), 60, what="an agreed leader")
        ln = by_id[leader]
        down = next(n for n in nodes if n is not ln)
        down.stop()
        ln.wait_ready()
        names = [f"snap-{i:03d}" for i in range(40)]
        for name in names:
            create_topic(sluice, ln, name)
        # The leader snapshotted past everything the stopped voter has.
        check(checkpoints(ln), f"{ln.name} wrote no snapshot")
        seen = len(log_text(down))
        down.start()
        wait_until(lambda: set(names) <= set(topics(down)), 90,
                   what=f"{down.name} catching up through a snapshot")
        check("installed snapshot" in log_text(down)[seen:],
              f"{down.name} caught up without FetchSnapshot")
        check({"quorum-a", "quorum-b"} <= set(topics(down)),
              f"{down.name} lost topics created before the snapshot")
        wait_until(lambda: agreed_leader(nodes), 60, what="one leader with all three back")

    def step_sigterm_moves_leadership():
        leader, _ = agreed_leader(nodes)
        ctl = by_id[leader]
        ctl.wait_ready()
        wait_until(lambda: len(ctl.conn().metadata([])["brokers"]) == 3, 60,
                   what="three unfenced brokers")
        with ctl.conn() as c:
            res = c.create_topics([("moving", 6, 3)])
        check(res["moving"][0] == 0, f"create moving: {res}")

        def leaders(n):
            with n.conn() as c:
                md = c.metadata(["moving"])
            parts = md["topics"]["moving"]["partitions"]
            return {i: p[1] for i, p in parts.items()} if len(parts) == 6 else None
        first = wait_until(lambda: leaders(ctl), 30, what="moving's partitions")
        victim_id = sorted(set(first.values()))[0]
        victim = by_id[victim_id]
        survivor = next(n for n in nodes if n is not victim)
        victim.stop()
        after = leaders(survivor)
        check(all(l not in (victim_id, -1) for l in after.values()),
              f"leaders right after broker {victim_id} stopped: {after}")
        check("controlled shutdown complete" in open(victim.log_path).read(),
              f"{victim.name} did not report a controlled shutdown")
        victim.start()
        victim.wait_ready()
        wait_until(lambda: len(survivor.conn().metadata([])["brokers"]) == 3, 60,
                   what="the stopped broker registered again")

    def metadata_leaders(n, topic):
        with n.conn() as c:
            md = c.metadata([topic])
        t = md["topics"].get(topic)
        if not t or t["error"] != 0:
            return None
        return {i: (p[1], tuple(p[3])) for i, p in t["partitions"].items()}

    def step_forwarded_admin():
        leader, _ = agreed_leader(nodes)
        other = next(n for i, n in by_id.items() if i != leader)
        other.wait_ready()
        with other.conn() as c:
            res = c.create_topics([("forwarded", 6, 3)])
        check(res["forwarded"][0] == 0, f"CreateTopics through non-controller {other.name}: {res}")
        views = [wait_until(lambda n=n: metadata_leaders(n, "forwarded"), 30,
                            what=f"{n.name} knowing 'forwarded'") for n in nodes]
        check(all(v == views[0] for v in views), f"nodes disagree on 'forwarded': {views}")
        check(len(views[0]) == 6 and all(len(isr) == 3 for _, isr in views[0].values()),
              f"'forwarded' partitions: {views[0]}")

    def step_kill_partition_leader():
        leader, _ = agreed_leader(nodes)
        ctl = by_id[leader]
        before = metadata_leaders(ctl, "forwarded")
        victim_id = next(l for l, _ in before.values() if l != leader)
        victim = by_id[victim_id]
        victim.kill9()
        rest = [n for n in nodes if n is not victim]

        def moved(n):
            v = metadata_leaders(n, "forwarded")
            return v if v and all(l not in (-1, victim_id) and l in isr_before
                                  for (l, _), (_, isr_before) in
                                  zip(v.values(), before.values())) else None
        t0 = time.monotonic()
        for n in rest:
            wait_until(lambda n=n: moved(n), 15, what=f"{n.name}: new leaders from the ISR")
        print(f"     leaders moved off broker {victim_id} in {time.monotonic() - t0:.1f}s")
        victim.start()
        victim.wait_ready()

    harness.run_tests([
        ("three voters agree on one leader", step_one_leader),
        ("sluice cluster quorum describes the quorum (DescribeQuorum)", step_describe_quorum),
        ("every broker registers with the controller and serves clients",
         step_all_brokers_registered),
        ("a topic created on the leader is replayed by every node", step_replicated_topic),
        ("SIGTERM of a partition leader moves its leaderships before it exits",
         step_sigterm_moves_leadership),
        ("admin requests sent to a broker that is not the controller are forwarded",
         step_forwarded_admin),
        ("kill -9 a partition leader: new leaders from the ISR within 15 s on every node",
         step_kill_partition_leader),
        ("kill -9 the leader: new leader, committed metadata intact, writes go on",
         lambda: killed.append(step_leader_killed())),
        ("the killed node restarts and catches up", lambda: step_rejoin(killed[0])),
        ("a voter kept down while the log moves on rejoins from a snapshot (FetchSnapshot)",
         step_rejoin_from_snapshot),
    ])


if __name__ == "__main__":
    main()
