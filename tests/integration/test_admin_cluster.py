"""The admin API (issue 7) on a three-node cluster: every node a voter and a
broker, formatted with one cluster id, as test_raft_quorum.py starts them.

Checked against what the cluster did:
  * the same answer from every node (cluster, brokers, topics, partitions'
    leader / leader epoch / replicas / ISR), equal to Kafka Metadata;
  * REST writes sent to a node that is not the active controller (forwarded
    to it): create, add partitions, delete, validate_only, and the same
    error statuses and bodies as on the controller itself; the writing node
    shows the change as soon as it answers;
  * POST /v1/partitions/{t}/{p}/transfer_leadership from a non-controller:
    the target leads with the leader epoch bumped by one, on every node;
    refusals (current leader, non-replica, unknown partition, bad target);
  * /v1/raft/metadata: voters with LEO, lag and timestamps on the quorum
    leader, the same leader and epoch everywhere, a note elsewhere;
  * per-replica progress (log end offset, last caught-up time) as the
    partition leader sees it after acks=all produces, and null plus a note
    on the other nodes;
  * SIGKILL of a partition leader: a new leader from the ISR with the epoch
    bumped, the ISR shrunk, health_overview unhealthy naming the node down,
    the page in headless Chromium showing the broker down (screenshot), and
    after a restart the ISR back to three replicas (this needs partition
    replication: a follower rejoins the ISR once it has caught up) and the
    cluster healthy;
  * ElectLeaders (43) on a non-controller's Kafka port, forwarded:
    preferred elections move leadership back to replicas[0] with an epoch
    bump, per-partition errors for the rest.

Usage: test_admin_cluster.py /path/to/sluice   (exit 0 pass, 1 fail, 77 skip)"""

import http.client as httpclient
import json
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (Reader, SluiceNode, Skip, TestFailure, check, i8, i32,  # noqa: E402
                     karray, kstring, record_batch, wait_until)

API_ELECT_LEADERS = 43
ERR_UNKNOWN_TOPIC_OR_PARTITION, ERR_ELECTION_NOT_NEEDED = 3, 84

BINARY = None
TMP = None
NODES = {}      # node id -> SluiceNode
STATE = {}      # facts carried between steps


# ---------------------------------------------------------------------------
# HTTP and Kafka helpers


class Resp:
    def __init__(self, status, body):
        self.status, self.body = status, body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise TestFailure(f"response is not JSON ({e}): {self.body[:300]!r}")

    def __repr__(self):
        return f"<{self.status} {self.body[:400]!r}>"


def http(node, method, path, body=None, timeout=40):
    c = httpclient.HTTPConnection("127.0.0.1", node.admin_port, timeout=timeout)
    try:
        data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
        c.request(method, path, body=data,
                  headers={"Content-Type": "application/json"} if data else {})
        r = c.getresponse()
        return Resp(r.status, r.read())
    finally:
        c.close()


def get(node, path):
    r = http(node, "GET", path)
    check(r.status == 200, f"{node.name} GET {path}: expected 200, got {r}")
    return r.json()


def check_error(r, status, what, kafka_error=None):
    check(r.status == status, f"{what}: expected HTTP {status}, got {r}")
    j = r.json()
    check(j.get("error_code") == status and isinstance(j.get("message"), str) and j["message"],
          f"{what}: error body {j}")
    if kafka_error:
        check(j.get("kafka_error") == kafka_error, f"{what}: expected {kafka_error}: {j}")
    return j


def live():
    return [n for n in NODES.values() if n.running()]


def controller_id():
    ids = {get(n, "/v1/cluster")["controller_id"] for n in live()}
    check(len(ids) == 1 and -1 not in ids, f"nodes disagree on the controller: {ids}")
    return ids.pop()


def non_controller():
    ctl = controller_id()
    return next(n for i, n in sorted(NODES.items()) if i != ctl and n.running())


def metadata(node, topics=None):
    with node.conn() as c:
        return c.metadata(topics)


def partitions_view(node, topic):
    """{partition: (leader, epoch, replicas, sorted isr)} from the node's admin API."""
    return {p["partition_id"]: (p["leader_id"], p["leader_epoch"], tuple(p["replicas"]),
                                tuple(sorted(p["isr"])))
            for p in get(node, f"/v1/topics/{topic}/partitions")}


def agreed_partitions(topic, nodes=None):
    """The partitions view when every live node (and Kafka Metadata) agrees, else None."""
    nodes = nodes or live()
    views = [partitions_view(n, topic) for n in nodes]
    if any(v != views[0] for v in views):
        return None
    for n in nodes:
        md = metadata(n, [topic])["topics"].get(topic)
        if not md or md["error"] != 0:
            return None
        for pid, (err, leader, replicas, isr) in md["partitions"].items():
            mine = views[0].get(pid)
            if err != 0 or not mine or mine[0] != leader or mine[2] != tuple(replicas) or \
                    mine[3] != tuple(sorted(isr)):
                return None
    return views[0]


def produce(node, topic, partition, n):
    """n records with acks=all through `node` (its Metadata names the leader)."""
    md = metadata(node, [topic])["topics"][topic]["partitions"][partition]
    leader = NODES[md[1]]
    with leader.conn() as c:
        res = c.produce(topic, partition, record_batch([(b"k%d" % i, b"v%d" % i)
                                                        for i in range(n)]), acks=-1)
    check(res and res[0][2] == 0, f"acks=all produce to {topic}/{partition}: {res}")


def strip_times(p):
    q = dict(p)
    q["replica_status"] = [{k: v for k, v in s.items()
                            if k not in ("last_caught_up_ms", "last_caught_up_ms_ago")}
                           for s in p["replica_status"]]
    return q


# ---------------------------------------------------------------------------
# Steps


def t_setup():
    global TMP
    TMP = harness.make_tmpdir("sluice-admin-cluster-")
    nodes = [SluiceNode(BINARY, tmpdir=os.path.join(TMP, f"node{i}"), name=f"node{i}")
             for i in (1, 2, 3)]
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in zip((1, 2, 3), nodes))
    cluster_id = subprocess.run([BINARY, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    STATE["cluster_id"] = cluster_id
    for i, n in zip((1, 2, 3), nodes):
        n.overrides.update({"node.id": str(i), "controller.quorum.voters": voters})
        fmt = subprocess.run([BINARY, "format", "--cluster-id", cluster_id,
                              "--override", f"node.id={i}", "--override", f"log.dirs={n.data_dir}",
                              "--override", f"controller.quorum.voters={voters}"],
                             capture_output=True, text=True)
        check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
        NODES[i] = n
        n.start()
    for n in nodes:
        n.wait_ready(90)
        wait_until(lambda n=n: len(metadata(n, [])["brokers"]) == 3, 90,
                   what=f"{n.name} listing three brokers")
        wait_until(lambda n=n: http(n, "GET", "/v1/status/ready").status == 200, 60,
                   what=f"{n.name} ready")


def t_same_cluster_answer():
    ctl = controller_id()
    answers = []
    for n in live():
        c = get(n, "/v1/cluster")
        md = metadata(n, [])
        check(c["cluster_id"] == STATE["cluster_id"], f"{n.name}: cluster_id {c['cluster_id']}")
        check(c["controller_id"] == ctl, f"{n.name}: controller_id {c['controller_id']}")
        check(sorted((b["node_id"], b["host"], b["port"]) for b in c["brokers"]) ==
              sorted(md["brokers"]), f"{n.name}: brokers {c['brokers']} vs Metadata {md}")
        check([v["node_id"] for v in c["controllers"]] == [1, 2, 3], f"controllers {c}")
        check(c["alive_brokers_count"] == 3 and c["fenced_brokers_count"] == 0, f"counts {c}")
        for b in c["brokers"]:
            check(b["is_alive"] and not b["is_fenced"] and b["roles"] == ["broker", "controller"],
                  f"{n.name}: broker {b}")
            check(b["is_controller"] == (b["node_id"] == ctl), f"is_controller {b}")
        answers.append([(b["node_id"], b["broker_epoch"], b["incarnation_id"], b["leader_count"],
                         b["replica_count"]) for b in c["brokers"]])
        h = get(n, "/v1/cluster/health_overview")
        check(h["is_healthy"] is True and h["nodes_down"] == [] and
              sorted(h["all_nodes"]) == [1, 2, 3], f"{n.name}: health {h}")
    check(all(a == answers[0] for a in answers),
          f"nodes describe the brokers differently: {answers}")


def t_rest_writes_through_non_controller():
    ctl = controller_id()
    other = non_controller()
    controller = NODES[ctl]
    print(f"    controller node {ctl}, writing through {other.name}")
    r = http(other, "POST", "/v1/topics", {"name": "ac", "partitions": 3,
                                           "replication_factor": 3,
                                           "configs": {"retention.ms": 7200000}})
    check(r.status == 201, f"create through {other.name}: {r}")
    j = r.json()
    check(j["topic_name"] == "ac" and j["partitions_count"] == 3 and
          j["replication_factor"] == 3 and j["configs"].get("retention.ms") == "7200000",
          f"create answer {j}")
    # Answered once the writing node's own image has it.
    t = get(other, "/v1/topics/ac")
    check(t["topic_id"] == j["topic_id"] and t["partitions_count"] == 3 and
          t["config_overrides"] == {"retention.ms": "7200000"}, f"{other.name} right after: {t}")
    view = wait_until(lambda: agreed_partitions("ac"), 60, what="every node agreeing on ac")
    check(all(len(v[2]) == 3 and len(v[3]) == 3 and v[1] == 0 for v in view.values()),
          f"ac partitions: {view}")
    check(sorted({v[0] for v in view.values()}) == [1, 2, 3], f"leaders spread: {view}")
    for n in live():
        check(get(n, "/v1/topics/ac")["topic_id"] == j["topic_id"], f"{n.name}: topic id")
    # Errors map to the same statuses and bodies as on the controller.
    for node in (other, controller):
        where = f"through {node.name}"
        e = check_error(http(node, "POST", "/v1/topics", {"name": "ac", "partitions": 1}), 409,
                        f"create existing {where}", "TOPIC_ALREADY_EXISTS")
        check(e["kafka_error_code"] == 36, f"kafka_error_code {e}")
        check_error(http(node, "DELETE", "/v1/topics/nope"), 404, f"delete unknown {where}",
                    "UNKNOWN_TOPIC_OR_PARTITION")
        check_error(http(node, "POST", "/v1/topics/ac/partitions", {"count": 2}), 400,
                    f"shrink partitions {where}", "INVALID_PARTITIONS")
        check_error(http(node, "POST", "/v1/topics",
                         {"name": "toomany", "partitions": 1, "replication_factor": 5}), 400,
                    f"replication factor over the broker count {where}",
                    "INVALID_REPLICATION_FACTOR")
        check_error(http(node, "POST", "/v1/topics/nope/partitions", {"count": 2}), 404,
                    f"add partitions to unknown {where}", "UNKNOWN_TOPIC_OR_PARTITION")
    # Add partitions, validate_only, delete: all through the non-controller.
    r = http(other, "POST", "/v1/topics", {"name": "gone", "partitions": 1,
                                           "replication_factor": 3})
    check(r.status == 201, f"create gone: {r}")
    r = http(other, "POST", "/v1/topics/gone/partitions", {"count": 3})
    check(r.status == 200 and r.json() == {"topic_name": "gone", "partitions_count": 3},
          f"add partitions through {other.name}: {r}")
    check(get(other, "/v1/topics/gone")["partitions_count"] == 3, "partitions right after")
    r = http(other, "POST", "/v1/topics/gone/partitions", {"count": 5, "validate_only": True})
    check(r.status == 200 and r.json()["partitions_count"] == 3, f"validate_only: {r}")
    r = http(other, "POST", "/v1/topics", {"name": "vo", "partitions": 1, "validate_only": True})
    check(r.status == 201, f"validate_only create: {r}")
    r = http(other, "DELETE", "/v1/topics/gone")
    check(r.status == 200 and r.json()["deleted"] is True, f"delete through {other.name}: {r}")
    check_error(http(other, "GET", "/v1/topics/gone"), 404, "deleted topic right after")
    for n in live():
        wait_until(lambda n=n: not {"gone", "vo"} & {t["topic_name"]
                                                     for t in get(n, "/v1/topics")}, 30,
                   what=f"{n.name} without gone and vo")


def t_transfer_from_non_controller():
    other = non_controller()
    view = agreed_partitions("ac")
    leader, epoch, replicas, isr = view[0]
    target = next(r for r in replicas if r != leader)
    r = http(other, "POST", f"/v1/partitions/ac/0/transfer_leadership?target={target}")
    check(r.status == 200, f"transfer ac/0 to {target} through {other.name}: {r}")
    j = r.json()
    check(j == {"topic": "ac", "partition_id": 0, "leader_id": target,
                "leader_epoch": epoch + 1}, f"transfer answer {j} (was leader {leader} epoch "
                                            f"{epoch})")
    after = wait_until(lambda: (lambda v: v if v and v[0][0] == target else None)
                       (agreed_partitions("ac")), 30, what="every node seeing the new leader")
    check(after[0] == (target, epoch + 1, replicas, isr), f"ac/0 after the transfer: {after[0]}")
    check({p: v for p, v in after.items() if p != 0} ==
          {p: v for p, v in view.items() if p != 0}, "other partitions moved")
    # Refusals, through the non-controller and on the controller alike.
    for node in (other, NODES[controller_id()]):
        where = f"through {node.name}"
        e = check_error(http(node, "POST",
                             f"/v1/partitions/ac/0/transfer_leadership?target={target}"),
                        409, f"transfer to the leader {where}", "ELECTION_NOT_NEEDED")
        check(e["leader_id"] == target and e["leader_epoch"] == epoch + 1, f"extras {e}")
        check_error(http(node, "POST", "/v1/partitions/ac/0/transfer_leadership?target=9"), 400,
                    f"transfer to a non-replica {where}", "INVALID_REQUEST")
        check_error(http(node, "POST", "/v1/partitions/ac/7/transfer_leadership?target=1"), 404,
                    f"transfer of an unknown partition {where}", "UNKNOWN_TOPIC_OR_PARTITION")
        check_error(http(node, "POST", "/v1/partitions/nope/0/transfer_leadership?target=1"),
                    404, f"transfer in an unknown topic {where}", "UNKNOWN_TOPIC_OR_PARTITION")
        check_error(http(node, "POST", "/v1/partitions/ac/0/transfer_leadership?target=x"), 400,
                    f"transfer to a bad target {where}")
    STATE["transferred"] = (target, epoch + 1)


def t_raft_view():
    leader = controller_id()
    views = {i: get(n, "/v1/raft/metadata") for i, n in NODES.items()}
    epochs = {v["leader_epoch"] for v in views.values()}
    check({v["leader_id"] for v in views.values()} == {leader} and len(epochs) == 1,
          f"raft views disagree: {[(v['leader_id'], v['leader_epoch']) for v in views.values()]}")
    q = views[leader]
    check(q["replica_progress_from"] == leader, f"leader's progress_from {q}")
    voters = {v["replica_id"]: v for v in q["current_voters"]}
    check(sorted(voters) == [1, 2, 3], f"voters {q['current_voters']}")
    now = time.time() * 1000
    for rid, v in voters.items():
        check(isinstance(v["log_end_offset"], int) and v["log_end_offset"] > 0 and
              isinstance(v["lag"], int) and v["lag"] >= 0, f"voter {rid}: {v}")
        check(v["lag"] == voters[leader]["log_end_offset"] - v["log_end_offset"],
              f"voter {rid} lag {v}")
        for k in ("last_fetch_timestamp", "last_caught_up_timestamp"):
            check(isinstance(v[k], int) and abs(v[k] - now) < 120000, f"voter {rid} {k}: {v}")
        check(v["status"] == ("Leader" if rid == leader else "Follower"), f"voter {rid} {v}")
    check(voters[leader]["log_end_offset"] >= q["high_watermark"], f"leader LEO {q}")
    check(isinstance(q["max_follower_lag"], int) and q["max_follower_lag"] >= 0, f"{q}")
    check(q["observers"] == [], f"observers {q['observers']}")
    for i, v in views.items():
        check(v["local"]["node_id"] == i and v["local"]["state"] ==
              ("leader" if i == leader else "follower"), f"node {i} local {v['local']}")
        if i != leader:
            check(v["replica_progress_from"] is None and "leader" in v["replica_progress_note"],
                  f"node {i}: {v}")
            own = next(x for x in v["current_voters"] if x["replica_id"] == i)
            check(isinstance(own["log_end_offset"], int), f"node {i} own LEO {own}")


def t_replica_progress():
    counts = {0: 7, 1: 4, 2: 0}
    for p, n in counts.items():
        if n:
            produce(NODES[1], "ac", p, n)
    view = agreed_partitions("ac")

    def progress_ok():
        for p, (leader, _, replicas, _) in view.items():
            j = get(NODES[leader], f"/v1/topics/ac/partitions/{p}")
            check(j["replica_progress_from"] == leader, f"{p}: {j}")
            if j["high_watermark"] != counts[p]:
                return False
            for s in j["replica_status"]:
                if s["log_end_offset"] != counts[p] or not s["in_sync"]:
                    return False
                ago = s["last_caught_up_ms_ago"]
                check(isinstance(ago, int) and 0 <= ago < 60000, f"{p}: {s}")
                check(abs(s["last_caught_up_ms"] - time.time() * 1000) < 60000 + 5000, f"{s}")
        return True
    wait_until(progress_ok, 60, what="every replica's LEO at the leader's log end")
    for p, (leader, _, _, _) in view.items():
        for i, n in NODES.items():
            j = get(n, f"/v1/topics/ac/partitions/{p}")
            check(j["log_end_offset"] == counts[p], f"node {i} hosts ac/{p}: LEO {j}")
            if i != leader:
                check(j["replica_progress_from"] is None and
                      f"node {leader}" in j["replica_progress_note"], f"node {i} ac/{p}: {j}")
                check(all(s["log_end_offset"] is None and s["last_caught_up_ms_ago"] is None
                          for s in j["replica_status"]), f"node {i} ac/{p} replica_status {j}")
        # The list view and the single view agree.
        one = get(NODES[leader], f"/v1/topics/ac/partitions/{p}")
        lst = [x for x in get(NODES[leader], "/v1/topics/ac/partitions")
               if x["partition_id"] == p][0]
        check(strip_times(one) == strip_times(lst), f"ac/{p}: list and single views differ")
    STATE["counts"] = counts


def page_dom(node):
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chrome:
        return None, None
    base = [chrome, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={os.path.join(TMP, 'chromium-profile')}",
            "--virtual-time-budget=5000"]
    url = f"http://127.0.0.1:{node.admin_port}/"
    out = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=120)
    return out.stdout, (base, url)


def t_kill_partition_leader():
    ctl = controller_id()
    target, _ = STATE["transferred"]
    # The victim leads ac/0 and is not the controller (a transfer makes it so if needed).
    victim_id = target
    if victim_id == ctl:
        victim_id = next(i for i in (1, 2, 3) if i != ctl)
        r = http(NODES[ctl], "POST", f"/v1/partitions/ac/0/transfer_leadership?target={victim_id}")
        check(r.status == 200, f"transfer ac/0 to {victim_id}: {r}")
    before = wait_until(lambda: (lambda v: v if v and v[0][0] == victim_id else None)
                        (agreed_partitions("ac")), 30, what=f"ac/0 led by {victim_id}")
    victim = NODES[victim_id]
    victim.kill9()
    rest = live()
    t0 = time.monotonic()

    def moved():
        v = agreed_partitions("ac", rest)
        if not v:
            return None
        for p, (leader, epoch, replicas, isr) in v.items():
            b_leader, b_epoch, _, b_isr = before[p]
            if victim_id in isr or leader == victim_id or leader < 0:
                return None
            check(leader in b_isr, f"ac/{p}: new leader {leader} was not in the ISR {b_isr}")
            check(epoch == (b_epoch + 1 if b_leader == victim_id else b_epoch),
                  f"ac/{p}: epoch {epoch} (was {b_epoch}, leader {b_leader})")
            check(len(isr) == 2, f"ac/{p}: ISR {isr}")
        return v
    after = wait_until(moved, 60, what=f"new leaders and ISRs without node {victim_id}")
    print(f"    leaders and ISRs moved off node {victim_id} in {time.monotonic() - t0:.1f}s")

    def unhealthy():
        hs = [get(n, "/v1/cluster/health_overview") for n in rest]
        ok = all(h["is_healthy"] is False and h["nodes_down"] == [victim_id] and
                 "nodes_down" in h["unhealthy_reasons"] and
                 "under_replicated_partitions" in h["unhealthy_reasons"] and
                 h["under_replicated_count"] >= 3 and h["leaderless_count"] == 0 for h in hs)
        return hs if ok else None
    hs = wait_until(unhealthy, 30, what="health_overview naming the node down on every survivor")
    check(all(set(f"ac/{p}" for p in range(3)) <= set(h["under_replicated_partitions"])
              for h in hs), f"under-replicated lists {hs}")
    for n in rest:
        b = get(n, f"/v1/brokers/{victim_id}")
        check(b["is_alive"] is False and b["is_fenced"] is True, f"{n.name}: victim {b}")
        for p in range(3):
            j = get(n, f"/v1/topics/ac/partitions/{p}")
            check(j["offline_replicas"] == [victim_id] and j["is_under_replicated"] is True,
                  f"{n.name} ac/{p}: {j}")
    STATE["victim"] = victim_id


def t_page_shows_node_down():
    victim_id = STATE["victim"]
    node = live()[0]
    dom, how = page_dom(node)
    if dom is None:
        raise Skip("chromium is not installed (apt-get install chromium); page not checked")

    def page_down():
        d, _ = page_dom(node)
        return d if (f'class="down" data-node-id="{victim_id}"' in d or
                     f'data-node-id="{victim_id}" class="down"' in d) and "DOWN" in d else None
    dom = wait_until(page_down, 120, what=f"the page showing node {victim_id} down")
    for p in range(3):
        check(f'data-topic="ac" data-partition="{p}"' in dom, f"page lacks ac/{p}")
    base, url = how
    shot = os.path.join(TMP, "admin-cluster-node-down.png")
    out = subprocess.run(base + ["--window-size=1200,900", f"--screenshot={shot}", url],
                         capture_output=True, text=True, timeout=120)
    check(os.path.exists(shot) and os.path.getsize(shot) > 1000,
          f"no screenshot: {out.stderr[-500:]}")
    keep = os.environ.get("SLUICE_ADMIN_CLUSTER_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    print(f"    screenshot with node {victim_id} down: {shot}" +
          (f" (copied to {keep})" if keep else ""))


def t_restart_heals():
    victim_id = STATE["victim"]
    victim = NODES[victim_id]
    victim.start()
    victim.wait_ready(90)
    t0 = time.monotonic()

    def healed():
        v = agreed_partitions("ac")
        if not v or any(len(isr) != 3 for (_, _, _, isr) in v.values()):
            return None
        hs = [get(n, "/v1/cluster/health_overview") for n in NODES.values()]
        return v if all(h["is_healthy"] is True and h["unhealthy_reasons"] == [] and
                        h["nodes_down"] == [] for h in hs) else None
    v = wait_until(healed, 120, what=f"node {victim_id} back in every ISR and a healthy cluster")
    print(f"    ISRs back to 3 and healthy {time.monotonic() - t0:.1f}s after the restart")
    for p, (leader, epoch, replicas, isr) in v.items():
        check(isr == tuple(sorted(replicas)), f"ac/{p}: ISR {isr}")
    # The restarted replica caught up with what was written before the kill.
    counts = STATE["counts"]

    def caught_up():
        for p in range(3):
            j = get(victim, f"/v1/topics/ac/partitions/{p}")
            if j["log_end_offset"] != counts[p]:
                return False
        return True
    wait_until(caught_up, 60, what=f"node {victim_id}'s replicas at the log end")


def elect_leaders(node, election_type, partitions):
    """ElectLeaders v1 on node's Kafka port.  partitions: {topic: [p]} or None (all).
    Returns (top-level error, {(topic, p): (error, message)})."""
    body = i8(election_type) + (
        i32(-1) if partitions is None else
        karray(list(partitions.items()),
               lambda tp: kstring(tp[0]) + karray(tp[1], i32))) + i32(30000)
    with node.conn() as c:
        r = Reader(c.request(API_ELECT_LEADERS, 1, body))
    r.i32()  # throttle
    top = r.i16()
    out = {}
    for _ in range(r.i32()):
        topic = r.string()
        for _ in range(r.i32()):
            pid, err, msg = r.i32(), r.i16(), r.string()
            out[(topic, pid)] = (err, msg)
    return top, out


def t_elect_leaders_kafka_api():
    """ElectLeaders (kafka-leader-election.sh's request) through a non-controller."""
    other = non_controller()
    # Move ac/1 away from its preferred replica, then elect preferred leaders everywhere.
    view = agreed_partitions("ac")
    leader, _, replicas, _ = view[1]
    if leader == replicas[0]:
        r = http(other, "POST", f"/v1/partitions/ac/1/transfer_leadership?target={replicas[1]}")
        check(r.status == 200, f"transfer ac/1: {r}")
    view = wait_until(lambda: (lambda v: v if v and v[1][0] != v[1][2][0] else None)
                      (agreed_partitions("ac")), 30, what="ac/1 off its preferred replica")
    moved = {p for p, (l, _, reps, _) in view.items() if l != reps[0]}
    top, res = elect_leaders(other, 0, None)
    check(top == 0, f"ElectLeaders preferred, all partitions: top-level error {top}")
    check({p for (t, p) in res if t == "ac"} == moved and
          all(e == 0 for (t, _), (e, _) in res.items() if t == "ac"),
          f"ElectLeaders answered {res}, expected ac partitions {moved}")
    after = wait_until(lambda: (lambda v: v if v and all(l == reps[0] for l, _, reps, _ in
                                                         v.values()) else None)
                       (agreed_partitions("ac")), 30, what="ac led by its preferred replicas")
    for p in moved:
        check(after[p][1] == view[p][1] + 1, f"ac/{p}: epoch {after[p][1]} after {view[p][1]}")
    top, res = elect_leaders(other, 0, {"ac": [0, 9], "nope": [0]})
    check(top == 0 and res[("ac", 0)][0] == ERR_ELECTION_NOT_NEEDED and
          res[("ac", 9)][0] == ERR_UNKNOWN_TOPIC_OR_PARTITION and
          res[("nope", 0)][0] == ERR_UNKNOWN_TOPIC_OR_PARTITION, f"per-partition errors {res}")
    top, res = elect_leaders(NODES[controller_id()], 1, {"ac": [2]})
    check(top == 0 and res[("ac", 2)][0] == ERR_ELECTION_NOT_NEEDED,
          f"unclean election of a led partition: {res}")


def t_shutdown():
    for n in live():
        rc = n.stop()
        check(rc == 0, f"{n.name}: clean shutdown expected exit 0, got {rc}")


def main():
    global BINARY
    BINARY = harness.binary_from_argv()
    harness.run_tests([
        ("three nodes, one cluster", t_setup),
        ("every node gives the same cluster answer", t_same_cluster_answer),
        ("REST writes through a node that is not the controller",
         t_rest_writes_through_non_controller),
        ("transfer_leadership from a node that is not the controller",
         t_transfer_from_non_controller),
        ("/v1/raft/metadata: voters' progress from the quorum leader", t_raft_view),
        ("per-replica progress as the partition leader sees it", t_replica_progress),
        ("kill -9 of a partition leader: new leader, epoch, ISR, health, page",
         t_kill_partition_leader),
        ("the page in headless Chromium shows the node down", t_page_shows_node_down),
        ("restart: ISR back to three, healthy again", t_restart_heals),
        ("ElectLeaders (preferred, unclean) through a non-controller", t_elect_leaders_kafka_api),
        ("shutdown", t_shutdown),
    ])


if __name__ == "__main__":
    main()
