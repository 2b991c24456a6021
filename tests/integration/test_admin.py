"""The admin API (issue 7) against a running node: the JSON views checked
against what the node did (topics created through Kafka and through REST,
records produced, Kafka Metadata), health_overview, the quorum view, writes,
bad requests (each with its status and JSON error body, the node still
serving afterwards), the connection limit, /metrics parsed line by line as
Prometheus text with counters that move with traffic, the CLI, and the
embedded page in headless Chromium (skipped when chromium is not installed).

The checks are data-driven over NODES and an EXPECTED model of topics and
record counts, so the multi-node version adds nodes and cases, not code.

Usage: test_admin.py /path/to/sluice      (exit 0 pass, 1 fail, 77 skip)"""

import http.client as httpclient
import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_FETCH, KafkaConn, Reader, SluiceNode, Skip, TestFailure,  # noqa: E402
                     check, create_topic, i8, i32, i64, karray, kstring, record_batch,
                     wait_topic_ready, wait_until)

MAX_BODY = 1 << 20
MAX_CONNECTIONS = 64

BINARY = None
NODES = []          # every node of the cluster (one today)
EXPECTED = {}       # topic -> {"partitions": n, "rf": r, "records": {partition: count}}
TMP = None


# ---------------------------------------------------------------------------
# HTTP helpers


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise TestFailure(f"response is not JSON ({e}): {self.body[:300]!r}")

    def __repr__(self):
        return f"<{self.status} {self.body[:300]!r}>"


def http(node, method, path, body=None, headers=None, timeout=30):
    """One request on a fresh connection (http.client); returns Resp."""
    c = httpclient.HTTPConnection("127.0.0.1", node.admin_port, timeout=timeout)
    headers = dict(headers or {})
    if body is not None and not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/json"  # writes must be JSON (issue 13)
    try:
        data = body
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
        elif isinstance(body, str):
            data = body.encode()
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        return Resp(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
    finally:
        c.close()


def get(node, path):
    r = http(node, "GET", path)
    check(r.status == 200, f"GET {path}: expected 200, got {r}")
    check(r.headers.get("content-type", "").startswith("application/json"),
          f"GET {path}: content-type {r.headers.get('content-type')}")
    return r.json()


def raw_http(node, data, timeout=15):
    """Send raw bytes, read until the server closes; returns (status, headers, body)."""
    s = socket.create_connection(("127.0.0.1", node.admin_port), timeout=timeout)
    try:
        s.sendall(data)
        buf = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    return parse_response(buf)


def parse_response(buf):
    head, sep, body = buf.partition(b"\r\n\r\n")
    check(sep, f"no complete HTTP response head in {buf[:200]!r}")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.1 (\d{3}) ", lines[0] + " ")
    check(m, f"bad status line {lines[0]!r}")
    headers = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", len(body)))
    return Resp(int(m.group(1)), headers, body[:n])


class ResponseReader:
    """Reads responses one at a time from a keep-alive socket (keeps what it over-reads)."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _more(self, what):
        chunk = self.sock.recv(65536)
        check(chunk, f"connection closed {what}: {self.buf[:200]!r}")
        self.buf += chunk

    def next(self):
        while b"\r\n\r\n" not in self.buf:
            self._more("before a full response head")
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        m = re.search(rb"\r\ncontent-length: *(\d+)", head, re.I)
        check(m, f"no Content-Length in {head!r}")
        n = int(m.group(1))
        while len(rest) < n:
            self._more("inside a response body")
            head, _, rest = self.buf.partition(b"\r\n\r\n")
        self.buf = rest[n:]
        return parse_response(head + b"\r\n\r\n" + rest[:n])


def check_error(r, status, what, kafka_error=None):
    """An error response: the status, a JSON body {error_code: status, message: str}."""
    check(r.status == status, f"{what}: expected HTTP {status}, got {r}")
    j = r.json()
    check(isinstance(j, dict) and j.get("error_code") == status,
          f"{what}: error_code should be {status}: {j}")
    check(isinstance(j.get("message"), str) and j["message"],
          f"{what}: error body needs a message: {j}")
    if kafka_error:
        check(j.get("kafka_error") == kafka_error,
              f"{what}: expected kafka_error {kafka_error}: {j}")
    return j


def check_serving(context):
    for node in NODES:
        r = http(node, "GET", "/v1/status/ready")
        check(r.status == 200 and r.json().get("ready") is True,
              f"{context}: {node.name} /v1/status/ready is not 200 ready: {r}")
        node.check_healthy(context)


# ---------------------------------------------------------------------------
# Kafka helpers


def produce(node, topic, partition, n):
    """Produce n records (one batch) to topic/partition with acks=-1; updates EXPECTED."""
    with node.conn() as c:
        res = c.produce(topic, partition,
                        record_batch([(b"k%d" % i, b"value-%d" % i) for i in range(n)]), version=3)
    check(res and res[0][2] == 0, f"produce to {topic}/{partition}: {res}")
    recs = EXPECTED[topic]["records"]
    recs[partition] = recs.get(partition, 0) + n


def kafka_metadata(node):
    with node.conn() as c:
        return c.metadata(None)


def fetch_v4_body(topic, partition, offset, max_wait_ms, min_bytes=1):
    part = i32(partition) + i64(offset) + i32(1 << 20)
    return (i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(4 << 20) + i8(0) +
            karray([topic], lambda t: kstring(t) + karray([part])))


def parse_fetch_v4(body):
    r = Reader(body)
    r.i32()  # throttle
    out = []
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx, err, hw = r.i32(), r.i16(), r.i64()
            r.i64()  # last stable offset
            r.array(lambda: (r.i64(), r.i64()))
            n = r.i32()
            data = r.take(n) if n > 0 else b""
            out.append((name, idx, err, hw, len(data)))
    return out


# ---------------------------------------------------------------------------
# Expected-state checks (every node must give the same answer)


def check_partition_view(node, topic, p, md_part, count):
    """One /v1 partition object against Kafka Metadata and the records produced."""
    where = f"{node.name} {topic}/{p['partition_id']}"
    perr, leader, replicas, isr = md_part
    check(perr == 0, f"{where}: Metadata error {perr}")
    check(p["leader_id"] == leader, f"{where}: leader_id {p['leader_id']} != Metadata {leader}")
    check(p["replicas"] == replicas, f"{where}: replicas {p['replicas']} != Metadata {replicas}")
    check(sorted(p["isr"]) == sorted(isr), f"{where}: isr {p['isr']} != Metadata {isr}")
    check(p["offline_replicas"] == [], f"{where}: offline_replicas {p['offline_replicas']}")
    check(p["leader_epoch"] == 0, f"{where}: a partition that never changed leader has epoch 0, "
                                  f"got {p['leader_epoch']}")
    check(p["is_leaderless"] is False and p["is_under_replicated"] is False,
          f"{where}: flags {p}")
    hosted = node_id(node) in p["replicas"]
    if hosted:
        check(p["log_start_offset"] == 0, f"{where}: log_start_offset {p['log_start_offset']}")
        check(p["high_watermark"] == count, f"{where}: high_watermark {p['high_watermark']} != "
                                            f"{count} records produced")
        check(p["log_end_offset"] == count, f"{where}: log_end_offset {p['log_end_offset']} != "
                                            f"{count}")
        check(p["offsets_from"] == node_id(node), f"{where}: offsets_from {p['offsets_from']}")
    else:
        check(p["high_watermark"] is None and p["log_end_offset"] is None,
              f"{where}: offsets of a partition not hosted here must be null: {p}")
    statuses = {s["node_id"]: s for s in p["replica_status"]}
    check(sorted(statuses) == sorted(replicas), f"{where}: replica_status ids {list(statuses)}")
    for rid, s in statuses.items():
        check(s["is_leader"] == (rid == leader), f"{where}: replica {rid} is_leader {s}")
        check(s["in_sync"] == (rid in isr), f"{where}: replica {rid} in_sync {s}")
        if rid == leader and leader == node_id(node):
            check(s["log_end_offset"] == count, f"{where}: leader's own LEO {s}")
            check(isinstance(s["last_caught_up_ms"], int) and
                  abs(s["last_caught_up_ms"] - time.time() * 1000) < 600000,
                  f"{where}: leader's last_caught_up_ms {s}")
        else:
            # Not known to this node until follower replication reports it.
            check(s["log_end_offset"] is None and s["last_caught_up_ms"] is None,
                  f"{where}: replica {rid} progress must be null here, got {s}")


def node_id(node):
    return int(node.overrides.get("node.id", 1))


def check_expected_state(context=""):
    for node in NODES:
        md = kafka_metadata(node)
        topics = {t["topic_name"]: t for t in get(node, "/v1/topics")}
        check(set(EXPECTED) <= set(topics), f"{context}: {node.name} /v1/topics lacks "
                                            f"{set(EXPECTED) - set(topics)}")
        for name, exp in EXPECTED.items():
            t = topics[name]
            check(t["partitions_count"] == exp["partitions"] and t["replication_factor"] == exp["rf"],
                  f"{context}: {node.name} topic {name} summary {t} vs {exp}")
            check(re.fullmatch(r"[A-Za-z0-9_-]{22}", t["topic_id"]), f"topic id {t['topic_id']}")
            detail = get(node, f"/v1/topics/{name}")
            check(detail["topic_id"] == t["topic_id"], f"{name}: topic ids differ between views")
            parts = get(node, f"/v1/topics/{name}/partitions")
            check(parts == detail["partitions"] or
                  [strip_time(p) for p in parts] == [strip_time(p) for p in detail["partitions"]],
                  f"{name}: /partitions differs from the topic's partitions")
            check(len(parts) == exp["partitions"], f"{name}: {len(parts)} partitions")
            mdt = md["topics"].get(name)
            check(mdt and mdt["error"] == 0, f"{name}: Metadata {mdt}")
            for p in parts:
                pid = p["partition_id"]
                one = get(node, f"/v1/topics/{name}/partitions/{pid}")
                check(strip_time(one) == strip_time(p), f"{name}/{pid}: single view differs")
                check_partition_view(node, name, p, mdt["partitions"][pid],
                                     exp["records"].get(pid, 0))


def strip_time(p):
    q = dict(p)
    q["replica_status"] = [{k: v for k, v in s.items() if k != "last_caught_up_ms"}
                           for s in p["replica_status"]]
    return q


# ---------------------------------------------------------------------------
# Tests


def t_setup():
    global TMP
    TMP = harness.make_tmpdir("sluice-admin-")
    node = SluiceNode(BINARY, tmpdir=os.path.join(TMP, "node1"))
    node.start()
    # Poll readiness from the start: any 503 must have the documented shape.
    seen = []

    def ready():
        node.check_alive()
        r = http(node, "GET", "/v1/status/ready", timeout=5)
        j = r.json()
        seen.append(r.status)
        if r.status == 503:
            check(j["ready"] is False and isinstance(j["reason"], str) and j["reason"],
                  f"503 ready answer needs ready=false and a reason: {j}")
            check(r.headers.get("retry-after") == "1", f"503 without Retry-After: {r.headers}")
            return False
        check(r.status == 200 and j == {"ready": True, "reason": None, "node_id": 1},
              f"ready answer {r}")
        return True
    wait_until(ready, what="/v1/status/ready 200")
    print(f"    readiness statuses seen while starting: {sorted(set(seen))}")
    node.wait_ready()
    node.wait_broker_registered()
    NODES.append(node)


def t_cluster():
    for node in NODES:
        md = kafka_metadata(node)
        c = get(node, "/v1/cluster")
        check(c["controller_id"] == md["controller"],
              f"controller_id {c['controller_id']} != Metadata {md['controller']}")
        check(re.fullmatch(r"[A-Za-z0-9_-]{22}", c["cluster_id"]), f"cluster_id {c['cluster_id']}")
        check(c["node_id"] == node_id(node), f"node_id {c['node_id']}")
        got = sorted((b["node_id"], b["host"], b["port"]) for b in c["brokers"])
        check(got == sorted(md["brokers"]), f"brokers {got} != Metadata {md['brokers']}")
        for b in c["brokers"]:
            check(b["is_alive"] is True and b["is_fenced"] is False, f"broker state {b}")
            check("broker" in b["roles"], f"roles {b['roles']}")
            check(b["is_controller"] == (b["node_id"] == md["controller"]), f"is_controller {b}")
            check(isinstance(b["broker_epoch"], int) and b["broker_epoch"] >= 0, f"epoch {b}")
        check(c["brokers_count"] == len(md["brokers"]) and c["fenced_brokers_count"] == 0,
              f"counts {c}")
        check([v["node_id"] for v in c["controllers"]] == [1], f"controllers {c['controllers']}")
        brokers = get(node, "/v1/brokers")
        check([b["node_id"] for b in brokers] == [b["node_id"] for b in c["brokers"]],
              "/v1/brokers and /v1/cluster list different brokers")
        for b in brokers:
            one = get(node, f"/v1/brokers/{b['node_id']}")
            check(one["node_id"] == b["node_id"] and one["host"] == b["host"], f"broker {one}")
            if b["node_id"] == node_id(node):
                check(isinstance(one["disk_space"], list) and one["disk_space"] and
                      one["disk_space"][0]["total"] > 0, f"own disk_space {one['disk_space']}")
                check(isinstance(one["version"], str), f"own version {one['version']}")


def t_topics_and_offsets():
    node = NODES[0]
    # Through the Kafka protocol ...
    create_topic(node.bootstrap, "kt", 3)
    EXPECTED["kt"] = {"partitions": 3, "rf": 1, "records": {}}
    # ... and through REST.
    r = http(node, "POST", "/v1/topics", {"name": "rt", "partitions": 2, "replication_factor": 1,
                                          "configs": {"retention.ms": "3600000",
                                                      "cleanup.policy": "delete"}})
    check(r.status == 201, f"POST /v1/topics: expected 201, got {r}")
    j = r.json()
    check(j["topic_name"] == "rt" and j["partitions_count"] == 2 and j["replication_factor"] == 1,
          f"create answer {j}")
    check(j["configs"].get("retention.ms") == "3600000", f"create answer configs {j['configs']}")
    wait_topic_ready(node.bootstrap, "rt", 2)
    EXPECTED["rt"] = {"partitions": 2, "rf": 1, "records": {}}
    detail = get(node, "/v1/topics/rt")
    check(detail["topic_id"] == j["topic_id"], "topic id differs from the create answer")
    check(detail["configs"]["retention.ms"] == "3600000" and
          detail["config_overrides"] == {"retention.ms": "3600000", "cleanup.policy": "delete"},
          f"configs {detail['config_overrides']}")
    check(detail["configs"]["segment.bytes"] is not None, "effective configs include defaults")
    check_expected_state("after creating topics")
    produce(node, "kt", 0, 7)
    produce(node, "kt", 2, 3)
    produce(node, "rt", 1, 11)
    produce(node, "kt", 0, 5)
    check_expected_state("after producing")


def t_health_and_raft():
    for node in NODES:
        h = get(node, "/v1/cluster/health_overview")
        md = kafka_metadata(node)
        for field in ("is_healthy", "unhealthy_reasons", "controller_id", "all_nodes",
                      "nodes_down", "leaderless_partitions", "leaderless_count",
                      "under_replicated_partitions", "under_replicated_count",
                      "high_disk_usage_nodes", "nodes_in_recovery_mode", "bytes_in_cloud_storage"):
            check(field in h, f"health_overview lacks {field}: {h}")
        check(h["is_healthy"] is True and h["unhealthy_reasons"] == [], f"health {h}")
        check(h["controller_id"] == md["controller"], f"health controller {h['controller_id']}")
        check(sorted(h["all_nodes"]) == sorted(b[0] for b in md["brokers"]), f"all_nodes {h}")
        check(h["nodes_down"] == [] and h["leaderless_count"] == 0 and
              h["under_replicated_count"] == 0, f"health {h}")
        q = get(node, "/v1/raft/metadata")
        check(q["leader_id"] == md["controller"], f"raft leader {q['leader_id']}")
        check(q["leader_epoch"] >= 1 and q["high_watermark"] > 0, f"raft {q}")
        voters = {v["replica_id"]: v for v in q["current_voters"]}
        check(list(voters) == [1], f"voters {voters}")
        me = voters[node_id(node)]
        check(me["log_end_offset"] >= q["high_watermark"], f"own LEO {me} < hw {q['high_watermark']}")
        check(q["local"]["state"] == ("leader" if q["leader_id"] == node_id(node) else "follower"),
              f"local state {q['local']}")
        check(q["local"]["term"] == q["leader_epoch"] and q["local"]["voted_for"] == q["leader_id"],
              f"local {q['local']}")
        check(q["local"]["last_applied"] == q["high_watermark"] - 1,
              f"last_applied {q['local']['last_applied']} vs hw {q['high_watermark']}")
        check(q["observers"] == [], f"observers {q['observers']}")


def t_writes():
    node = NODES[0]
    r = http(node, "POST", "/v1/topics/rt/partitions", {"count": 4})
    check(r.status == 200 and r.json() == {"topic_name": "rt", "partitions_count": 4},
          f"add partitions: {r}")
    EXPECTED["rt"]["partitions"] = 4
    wait_topic_ready(node.bootstrap, "rt", 4)
    check_expected_state("after adding partitions")
    # Leadership transfer on one node: never pretend.
    check_error(http(node, "POST", "/v1/partitions/kt/0/transfer_leadership?target=7"), 400,
                "transfer to a non-replica")
    check_error(http(node, "POST", "/v1/partitions/kt/0/transfer_leadership?target=1"), 409,
                "transfer to the current leader", kafka_error="ELECTION_NOT_NEEDED")
    check_error(http(node, "POST", "/v1/partitions/kt/0/transfer_leadership"), 400,
                "transfer without target")
    check_error(http(node, "POST", "/v1/partitions/nope/0/transfer_leadership?target=1"), 404,
                "transfer on an unknown topic")
    check_error(http(node, "POST", "/v1/partitions/kt/9/transfer_leadership?target=1"), 404,
                "transfer on an unknown partition")
    # Create and delete.
    r = http(node, "POST", "/v1/topics", {"name": "gone", "partitions": 1})
    check(r.status == 201, f"create gone: {r}")
    r = http(node, "DELETE", "/v1/topics/gone")
    check(r.status == 200 and r.json()["deleted"] is True, f"delete: {r}")
    wait_until(lambda: "gone" not in kafka_metadata(node)["topics"], what="gone deleted")
    check_error(http(node, "DELETE", "/v1/topics/gone"), 404, "delete twice",
                kafka_error="UNKNOWN_TOPIC_OR_PARTITION")
    check_error(http(node, "GET", "/v1/topics/gone"), 404, "GET a deleted topic")
    r = http(node, "POST", "/v1/topics", {"name": "vo", "partitions": 1, "validate_only": True})
    check(r.status == 201, f"validate_only create: {r}")
    check("vo" not in [t["topic_name"] for t in get(node, "/v1/topics")],
          "validate_only must not create the topic")
    check_expected_state("after writes")


BIG = b"x" * (2 * MAX_BODY)

# (name, method, path, body, status, kafka_error or None, Allow header must contain)
BAD_REQUESTS = [
    ("unknown path", "GET", "/v1/nope", None, 404, None, None),
    ("unknown nested path", "GET", "/v1/topics/kt/nope", None, 404, None, None),
    ("unknown topic", "GET", "/v1/topics/nope", None, 404, "UNKNOWN_TOPIC_OR_PARTITION", None),
    ("unknown partition", "GET", "/v1/topics/kt/partitions/99", None, 404, None, None),
    ("non-numeric partition", "GET", "/v1/topics/kt/partitions/x1", None, 400, None, None),
    ("unknown broker", "GET", "/v1/brokers/999", None, 404, None, None),
    ("unknown group", "GET", "/v1/groups/nope", None, 404, None, None),
    ("PUT on topics", "PUT", "/v1/topics", "{}", 405, None, "POST"),
    ("DELETE on cluster", "DELETE", "/v1/cluster", None, 405, None, "GET"),
    ("POST on ready", "POST", "/v1/status/ready", "{}", 405, None, "GET"),
    ("GET on transfer", "GET", "/v1/partitions/kt/0/transfer_leadership", None, 405, None,
     "POST"),
    ("unknown method", "BREW", "/v1/topics", None, 405, None, "GET"),
    ("malformed JSON", "POST", "/v1/topics", '{"name": "x",', 400, None, None),
    ("JSON array body", "POST", "/v1/topics", "[]", 400, None, None),
    ("empty body", "POST", "/v1/topics", "", 400, None, None),
    ("missing name", "POST", "/v1/topics", {"partitions": 1}, 400, None, None),
    ("invalid topic name", "POST", "/v1/topics", {"name": "bad name!"}, 400, None, None),
    ("topic name ..", "POST", "/v1/topics", {"name": ".."}, 400, None, None),
    ("topic name too long", "POST", "/v1/topics", {"name": "a" * 250}, 400, None, None),
    ("unknown field", "POST", "/v1/topics", {"name": "u1", "partition": 2}, 400, None, None),
    ("partitions as string", "POST", "/v1/topics", {"name": "u2", "partitions": "2"}, 400, None,
     None),
    ("zero partitions", "POST", "/v1/topics", {"name": "u3", "partitions": 0}, 400, None, None),
    ("bad config value", "POST", "/v1/topics", {"name": "u4", "configs": {"retention.ms": "x"}},
     400, "INVALID_CONFIG", None),
    ("unknown config", "POST", "/v1/topics", {"name": "u5", "configs": {"no.such": "1"}}, 400,
     "INVALID_CONFIG", None),
    ("replication factor above brokers", "POST", "/v1/topics",
     {"name": "u6", "replication_factor": 3}, 400, "INVALID_REPLICATION_FACTOR", None),
    ("duplicate topic", "POST", "/v1/topics", {"name": "kt"}, 409, "TOPIC_ALREADY_EXISTS", None),
    ("fewer partitions", "POST", "/v1/topics/kt/partitions", {"count": 1}, 400,
     "INVALID_PARTITIONS", None),
    ("partitions of unknown topic", "POST", "/v1/topics/nope/partitions", {"count": 5}, 404,
     "UNKNOWN_TOPIC_OR_PARTITION", None),
    ("oversized body", "POST", "/v1/topics", BIG, 413, None, None),
    ("duplicate JSON keys", "POST", "/v1/topics", '{"name": "a1", "name": "a2"}', 400, None,
     None),
]

# (name, raw request bytes, status)
RAW_BAD_REQUESTS = [
    ("claimed huge body", b"POST /v1/topics HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n"
                          b"\r\n", 413),
    ("chunked body", b"POST /v1/topics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"2\r\n{}\r\n0\r\n\r\n", 501),
    ("header block too large", b"GET /v1/cluster HTTP/1.1\r\nX-Big: " + b"a" * 20000 +
     b"\r\n\r\n", 431),
    ("garbage request line", b"HELLO\r\n\r\n", 400),
    ("HTTP/2 request line", b"GET /v1/cluster HTTP/2.0\r\n\r\n", 505),
    ("NUL in the path", b"GET /v1/topics/a%00b HTTP/1.1\r\n\r\n", 400),
    ("bad Content-Length", b"POST /v1/topics HTTP/1.1\r\nContent-Length: 12x\r\n\r\n", 400),
    ("too many header fields", b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 150 + b"\r\n", 431),
    ("relative target", b"GET v1/cluster HTTP/1.1\r\n\r\n", 400),
]


def t_bad_requests():
    node = NODES[0]
    for name, method, path, body, status, kerr, allow in BAD_REQUESTS:
        r = http(node, method, path, body,
                 headers={"Content-Type": "application/json"} if body is not None else None)
        check_error(r, status, name, kafka_error=kerr)
        if allow:
            check(allow in r.headers.get("allow", ""),
                  f"{name}: Allow header {r.headers.get('allow')!r} lacks {allow}")
        check_serving(f"after '{name}'")
    for name, data, status in RAW_BAD_REQUESTS:
        check_error(raw_http(node, data), status, name)
        check_serving(f"after '{name}'")
    for name, _, _, body, _, _, _ in BAD_REQUESTS:
        if isinstance(body, dict) and body.get("name", "").startswith(("u", "a")):
            check(body["name"] not in [t["topic_name"] for t in get(node, "/v1/topics")],
                  f"'{name}' must not have created a topic")
    check_expected_state("after bad requests")


def t_http_semantics():
    node = NODES[0]
    # Keep-alive with two pipelined requests answered in order, then HEAD and OPTIONS.
    s = socket.create_connection(("127.0.0.1", node.admin_port), timeout=15)
    try:
        s.sendall(b"GET /v1/status/ready HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /v1/nope HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /v1/cluster HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", buf)
    check(statuses == [b"200", b"404", b"200"], f"pipelined statuses {statuses}")
    r = http(node, "HEAD", "/v1/cluster")
    check(r.status == 200 and r.body == b"" and int(r.headers["content-length"]) > 0,
          f"HEAD: {r} {r.headers}")
    r = http(node, "OPTIONS", "/v1/topics")
    check(r.status == 204 and "POST" in r.headers.get("allow", ""), f"OPTIONS: {r} {r.headers}")
    r = http(node, "GET", "/v1/topics/", None)
    check(r.status == 200, f"trailing slash: {r}")
    # A POST with Expect: 100-continue gets the interim answer, then the final one.
    s = socket.create_connection(("127.0.0.1", node.admin_port), timeout=15)
    try:
        body = json.dumps({"name": "kt"}).encode()
        s.sendall(b"POST /v1/topics HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        interim = s.recv(100)
        check(interim.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), f"interim {interim!r}")
        s.sendall(body)
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    check_error(parse_response(buf), 409, "duplicate topic after 100-continue")
    # A write answered asynchronously (when its records commit) followed by a pipelined
    # read on the same connection: the read runs after the write and sees its effect.
    s = socket.create_connection(("127.0.0.1", node.admin_port), timeout=15)
    try:
        body = json.dumps({"name": "piped", "partitions": 2}).encode()
        s.sendall(b"POST /v1/topics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                  b"GET /v1/topics/piped HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                  % (len(body), body))
        rd = ResponseReader(s)
        first = rd.next()
        check(first.status == 201, f"pipelined create: {first}")
        second = rd.next()
        check(second.status == 200 and second.json()["partitions_count"] == 2,
              f"pipelined read after the write: {second}")
    finally:
        s.close()
    # A client that sends a write and goes away before the answer: the write still applies
    # and the node is unharmed.
    s = socket.create_connection(("127.0.0.1", node.admin_port), timeout=15)
    body = json.dumps({"name": "orphan", "partitions": 1}).encode()
    s.sendall(b"POST /v1/topics HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
              % (len(body), body))
    s.close()
    wait_until(lambda: "orphan" in [t["topic_name"] for t in get(node, "/v1/topics")],
               what="the orphaned write to apply")
    for name in ("piped", "orphan"):
        r = http(node, "DELETE", f"/v1/topics/{name}")
        check(r.status == 200, f"delete {name}: {r}")
    check_serving("after HTTP semantics")


def t_connection_limit():
    node = NODES[0]
    socks = []
    try:
        # Each connection gets one answer (so the server has accepted and counted it) and
        # stays open (keep-alive).
        for i in range(MAX_CONNECTIONS):
            s = socket.create_connection(("127.0.0.1", node.admin_port), timeout=15)
            socks.append(s)
            s.sendall(b"GET /v1/status/ready HTTP/1.1\r\nHost: x\r\n\r\n")
            r = ResponseReader(s).next()
            check(r.status == 200, f"connection {i}: {r}")
        r = raw_http(node, b"GET /v1/status/ready HTTP/1.1\r\nHost: x\r\n\r\n")
        check_error(r, 503, "connection over the limit")
        check(r.headers.get("connection") == "close", f"over-limit answer headers {r.headers}")
    finally:
        for s in socks:
            s.close()

    def freed():
        r = http(node, "GET", "/v1/status/ready", timeout=5)
        return r.status == 200
    wait_until(freed, what="admin connections freed after closing")
    check_serving("after the connection limit")


# -- /metrics -------------------------------------------------------------

METRIC_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE_RE = re.compile(rf"^({METRIC_NAME})(?:\{{((?:{LABEL})(?:,(?:{LABEL}))*)?\}})? "
                       r"(\S+)(?: (-?\d+))?$")
HELP_RE = re.compile(rf"^# HELP ({METRIC_NAME}) (.*)$")
TYPE_RE = re.compile(rf"^# TYPE ({METRIC_NAME}) (counter|gauge|histogram|summary|untyped)$")
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_value(v):
    if v in ("+Inf", "-Inf", "NaN"):
        return float(v.replace("Inf", "inf").replace("NaN", "nan"))
    return float(v)


def prom_samples(text):
    """Check every line against the text exposition format (0.0.4); return
    {(name, frozenset(labels)): value} and the declared types."""
    types, samples, helps = {}, {}, set()
    check(text.endswith("\n"), "exposition must end with a newline")
    for ln, line in enumerate(text.split("\n")[:-1], 1):
        where = f"/metrics line {ln}: {line!r}"
        if line.startswith("# HELP "):
            m = HELP_RE.match(line)
            check(m, f"{where}: malformed HELP")
            check(m.group(1) not in helps, f"{where}: second HELP for {m.group(1)}")
            helps.add(m.group(1))
            continue
        if line.startswith("# TYPE "):
            m = TYPE_RE.match(line)
            check(m, f"{where}: malformed TYPE")
            check(m.group(1) not in types, f"{where}: second TYPE for {m.group(1)}")
            check(not any(k[0].startswith(m.group(1)) and
                          k[0] in (m.group(1), m.group(1) + "_bucket", m.group(1) + "_sum",
                                   m.group(1) + "_count") for k in samples),
                  f"{where}: TYPE after samples of its family")
            types[m.group(1)] = m.group(2)
            continue
        check(line and not line.startswith("#"), f"{where}: empty or unknown comment line")
        m = SAMPLE_RE.match(line)
        check(m, f"{where}: not a valid sample line")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        check(name.startswith("sluice_"), f"{where}: metric without the sluice_ prefix")
        try:
            v = parse_value(value)
        except ValueError:
            raise TestFailure(f"{where}: bad value {value!r}")
        lab = dict(LABEL_RE.findall(labels))
        key = (name, frozenset(lab.items()))
        check(key not in samples, f"{where}: duplicate sample")
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        ftype = types.get(name) or types.get(family)
        check(ftype, f"{where}: sample before its TYPE line")
        if ftype == "counter":
            check(name.endswith("_total") and v >= 0 and not math.isnan(v),
                  f"{where}: counters end in _total and are >= 0")
        samples[key] = v
    # Histograms: cumulative buckets, +Inf == _count.
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for (name, labs), v in samples.items():
            if name == fam + "_bucket":
                d = dict(labs)
                le = d.pop("le")
                series.setdefault(frozenset(d.items()), []).append((parse_value(le), v))
        for labs, buckets in series.items():
            buckets.sort()
            counts = [c for _, c in buckets]
            check(counts == sorted(counts), f"{fam}{dict(labs)}: buckets not cumulative")
            check(math.isinf(buckets[-1][0]), f"{fam}{dict(labs)}: no +Inf bucket")
            check(samples.get((fam + "_count", labs)) == counts[-1],
                  f"{fam}{dict(labs)}: _count != +Inf bucket")
            check((fam + "_sum", labs) in samples, f"{fam}{dict(labs)}: no _sum")
    return samples, types


def metrics(node):
    r = http(node, "GET", "/metrics")
    check(r.status == 200 and r.headers.get("content-type", "").startswith("text/plain"),
          f"/metrics: {r.status} {r.headers.get('content-type')}")
    return prom_samples(r.body.decode())


def val(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


REQUIRED_METRICS = [
    ("sluice_under_replicated_partitions", "gauge"), ("sluice_offline_partitions", "gauge"),
    ("sluice_active_controller", "gauge"), ("sluice_leader_partitions", "gauge"),
    ("sluice_partitions", "gauge"), ("sluice_isr_shrinks_total", "counter"),
    ("sluice_isr_expands_total", "counter"), ("sluice_topic_bytes_in_total", "counter"),
    ("sluice_topic_messages_in_total", "counter"), ("sluice_topic_bytes_out_total", "counter"),
    ("sluice_requests_total", "counter"), ("sluice_request_latency_seconds", "histogram"),
    ("sluice_purgatory_size", "gauge"), ("sluice_raft_epoch", "gauge"),
    ("sluice_raft_high_watermark", "gauge"), ("sluice_fenced_brokers", "gauge"),
    ("sluice_connections", "gauge"), ("sluice_replica_fetcher_max_lag", "gauge"),
]


def t_metrics():
    node = NODES[0]
    s0, types = metrics(node)
    for name, t in REQUIRED_METRICS:
        check(types.get(name) == t, f"/metrics: {name} should be a {t}, declared {types.get(name)}")
    total_parts = sum(e["partitions"] for e in EXPECTED.values())
    check(val(s0, "sluice_active_controller") == 1, "active controller gauge")
    check(val(s0, "sluice_partitions") == total_parts, f"partition gauge vs {total_parts}")
    check(val(s0, "sluice_leader_partitions") == total_parts, "leader gauge")
    check(val(s0, "sluice_under_replicated_partitions") == 0, "under-replicated gauge")
    check(val(s0, "sluice_offline_partitions") == 0, "offline gauge")
    check(val(s0, "sluice_fenced_brokers") == 0, "fenced gauge")
    q = get(node, "/v1/raft/metadata")
    check(val(s0, "sluice_raft_epoch") == q["leader_epoch"], "raft epoch gauge")
    check(val(s0, "sluice_raft_high_watermark") == q["high_watermark"], "raft hw gauge")
    check(val(s0, "sluice_topic_messages_in_total", topic="kt") ==
          sum(EXPECTED["kt"]["records"].values()), "messages in for kt")
    for kind in ("produce", "fetch"):
        check(val(s0, "sluice_purgatory_size", kind=kind) == 0, f"{kind} purgatory idle")

    # Traffic moves the counters: produce, then consume through the CLI (Fetch).
    produce(node, "kt", 1, 9)
    out = subprocess.run([BINARY, "consume", "-b", node.bootstrap, "kt", "-p", "1",
                          "--from-beginning", "-n", "9", "--timeout-ms", "20000"],
                         capture_output=True, timeout=60)
    check(out.returncode == 0 and len(out.stdout.splitlines()) == 9,
          f"consume: rc {out.returncode} {out.stdout[:200]!r} {out.stderr[:300]!r}")
    s1, _ = metrics(node)
    api = lambda s, a: val(s, "sluice_requests_total", api=a) or 0  # noqa: E731
    check(api(s1, "Produce") >= api(s0, "Produce") + 1, "Produce request count did not move")
    check(api(s1, "Fetch") >= api(s0, "Fetch") + 1, "Fetch request count did not move")
    check(val(s1, "sluice_request_latency_seconds_count", api="Produce") == api(s1, "Produce"),
          "latency histogram count != request count")
    d_msgs = val(s1, "sluice_topic_messages_in_total", topic="kt") - \
        val(s0, "sluice_topic_messages_in_total", topic="kt")
    check(d_msgs == 9, f"messages in moved by {d_msgs}, expected 9")
    check(val(s1, "sluice_topic_bytes_in_total", topic="kt") >
          val(s0, "sluice_topic_bytes_in_total", topic="kt"), "bytes in did not move")
    check((val(s1, "sluice_topic_bytes_out_total", topic="kt") or 0) >
          (val(s0, "sluice_topic_bytes_out_total", topic="kt") or 0), "bytes out did not move")

    # A long-polling fetch at the end of the log sits in the fetch purgatory.
    leo = EXPECTED["kt"]["records"].get(2, 0)
    c = KafkaConn("127.0.0.1", node.kafka_port, timeout=30)
    try:
        c.corr += 1
        c.send_raw(harness.frame(harness.request_header(API_FETCH, 4, c.corr) +
                                 fetch_v4_body("kt", 2, leo, 20000)))
        wait_until(lambda: val(metrics(node)[0], "sluice_purgatory_size", kind="fetch") == 1,
                   what="the parked fetch in sluice_purgatory_size{kind=fetch}")
        produce(node, "kt", 2, 1)
        corr, body = c.recv_frame()
        res = parse_fetch_v4(body)
        check(res and res[0][2] == 0 and res[0][4] > 0, f"long poll answer {res}")
    finally:
        c.close()
    wait_until(lambda: val(metrics(node)[0], "sluice_purgatory_size", kind="fetch") == 0,
               what="fetch purgatory drained")
    check_expected_state("after metrics traffic")


def t_cli():
    node = NODES[0]
    admin = f"127.0.0.1:{node.admin_port}"
    out = subprocess.run([BINARY, "cluster", "info", "--admin", admin], capture_output=True,
                         text=True, timeout=60)
    check(out.returncode == 0, f"cluster info rc {out.returncode}: {out.stderr}")
    text = out.stdout
    c = get(node, "/v1/cluster")
    for section in ("CLUSTER", "BROKERS", "TOPICS"):
        check(re.search(rf"^{section}\n=+$", text, re.M), f"cluster info lacks {section}:\n{text}")
    check(c["cluster_id"] in text, f"cluster info lacks the cluster id:\n{text}")
    for b in c["brokers"]:
        mark = "*" if b["node_id"] == c["controller_id"] else ""
        check(re.search(rf"^{b['node_id']}{re.escape(mark)}\s+{re.escape(b['host'])}\s+"
                        rf"{b['port']}\s", text, re.M), f"broker row {b['node_id']}{mark}:\n{text}")
    for name, exp in EXPECTED.items():
        check(re.search(rf"^{name}\s+{exp['partitions']}\s+{exp['rf']}$", text, re.M),
              f"topic row {name}:\n{text}")
    out = subprocess.run([BINARY, "cluster", "health", "--admin", admin], capture_output=True,
                         text=True, timeout=60)
    check(out.returncode == 0 and re.search(r"^Healthy:\s+true$", out.stdout, re.M),
          f"cluster health: {out.returncode} {out.stdout} {out.stderr}")
    out = subprocess.run([BINARY, "cluster", "health", "--exit-when-healthy", "--admin", admin],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 0, f"--exit-when-healthy on a healthy cluster: {out.returncode}")
    out = subprocess.run([BINARY, "cluster", "info", "--admin", "127.0.0.1:1"],
                         capture_output=True, text=True, timeout=60)
    check(out.returncode == 1 and "cannot connect" in out.stderr,
          f"unreachable admin: {out.returncode} {out.stderr}")


def t_groups():
    node = NODES[0]
    j = get(node, "/v1/groups")
    check(j["node_id"] == node_id(node) and isinstance(j["groups"], list), f"groups {j}")
    # An offsets-only group, through the CLI (OffsetCommit outside any generation).
    out = subprocess.run([BINARY, "group", "reset-offsets", "g-admin", "--topic", "kt:0",
                          "--to-offset", "5", "--execute", "-b", node.bootstrap],
                         capture_output=True, text=True, timeout=120)
    check(out.returncode == 0, f"group reset-offsets: {out.returncode} {out.stderr}")
    hw = EXPECTED["kt"]["records"].get(0, 0)
    check(hw > 5, f"kt/0 should hold more than 5 records, has {hw}")

    def listed():
        return [g for g in get(node, "/v1/groups")["groups"] if g["group_id"] == "g-admin"]
    g = wait_until(listed, what="g-admin in /v1/groups")[0]
    check(g["state"] == "Empty" and g["members_count"] == 0 and
          g["coordinator_id"] == node_id(node), f"group summary {g}")
    d = get(node, "/v1/groups/g-admin")
    check(d["members"] == [] and d["offsets"] == [
        {"topic": "kt", "partition": 0, "offset": 5, "leader_epoch": d["offsets"][0]["leader_epoch"],
         "metadata": d["offsets"][0]["metadata"],
         "commit_timestamp": d["offsets"][0]["commit_timestamp"], "high_watermark": hw,
         "lag": hw - 5}], f"group detail {d}")
    # A live consumer group (kafka-python, when installed): members and assignments.
    try:
        import kafka  # noqa: F401
    except ImportError:
        print("    kafka-python not installed: live group members not checked")
        return
    from kafka import KafkaConsumer
    consumer = KafkaConsumer("kt", bootstrap_servers=node.bootstrap, group_id="g-live",
                             client_id="admin-itest", auto_offset_reset="earliest",
                             enable_auto_commit=False, api_version=(2, 5, 0))
    try:
        def stable():
            consumer.poll(timeout_ms=200)
            d = get(node, "/v1/groups/g-live")
            return d if d["state"] == "Stable" and d["members"] and \
                d["members"][0]["assignment"] else None
        d = wait_until(stable, deadline=90, what="g-live Stable with an assignment")
        check(d["protocol_type"] == "consumer" and d["generation"] >= 1, f"live group {d}")
        m = d["members"][0]
        check(len(d["members"]) == 1 and m["client_id"] == "admin-itest" and m["is_leader"] and
              d["leader_id"] == m["member_id"], f"member {m}")
        got = sorted(p for a in m["assignment"] if a["topic"] == "kt" for p in a["partitions"])
        check(got == list(range(EXPECTED["kt"]["partitions"])), f"assignment {m['assignment']}")
        check(d["subscribed_topics"] in (None, ["kt"]), f"subscribed {d['subscribed_topics']}")
    finally:
        consumer.close()
    wait_until(lambda: get(node, "/v1/groups/g-live")["state"] == "Empty",
               what="g-live Empty after the consumer left")


def t_page():
    node = NODES[0]
    r = http(node, "GET", "/")
    check(r.status == 200 and r.headers["content-type"].startswith("text/html"), f"page {r}")
    html = r.body.decode()
    check(not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html),
          "the page must not load anything from elsewhere")
    check("default-src 'none'" in r.headers.get("content-security-policy", ""),
          f"CSP {r.headers.get('content-security-policy')}")
    chrome = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chrome:
        raise Skip("chromium is not installed (apt-get install chromium); page DOM not checked")
    url = f"http://127.0.0.1:{node.admin_port}/"
    profile = os.path.join(TMP, "chromium-profile")
    base = [chrome, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            f"--user-data-dir={profile}", "--virtual-time-budget=5000"]

    def dom_ok():
        out = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True,
                             timeout=120)
        dom = out.stdout
        missing = [f'data-node-id="{b}"' for b in [node_id(n) for n in NODES]
                   if f'data-node-id="{b}"' not in dom]
        for name, exp in EXPECTED.items():
            for p in range(exp["partitions"]):
                if f'data-topic="{name}" data-partition="{p}"' not in dom:
                    missing.append(f"{name}/{p}")
        if missing:
            raise TestFailure(f"page DOM lacks {missing[:10]}")
        return dom
    dom = wait_until(dom_ok, deadline=180, what="the page to list brokers and partitions")
    check("controller" in dom and "healthy" in dom, "page shows the controller and health")
    shot = os.path.join(TMP, "admin-page.png")
    out = subprocess.run(base + ["--window-size=1200,800", f"--screenshot={shot}", url],
                         capture_output=True, text=True, timeout=120)
    check(os.path.exists(shot) and os.path.getsize(shot) > 1000,
          f"no screenshot: {out.stderr[-500:]}")
    keep = os.environ.get("SLUICE_ADMIN_SCREENSHOT")
    if keep:
        shutil.copy(shot, keep)
    print(f"    screenshot: {shot}" + (f" (copied to {keep})" if keep else ""))


def t_shutdown():
    node = NODES[0]
    rc = node.stop()
    check(rc == 0, f"clean shutdown expected exit 0, got {rc}")


def main():
    global BINARY
    BINARY = harness.binary_from_argv()
    tests = [("setup", t_setup), ("cluster", t_cluster), ("topics and offsets", t_topics_and_offsets),
             ("health and raft", t_health_and_raft), ("writes", t_writes),
             ("bad requests", t_bad_requests), ("HTTP semantics", t_http_semantics),
             ("connection limit", t_connection_limit), ("metrics", t_metrics), ("cli", t_cli),
             ("groups", t_groups), ("page", t_page), ("shutdown", t_shutdown)]
    harness.run_tests(tests, keep_going=lambda: all(n.running() for n in NODES))


if __name__ == "__main__":
    main()
