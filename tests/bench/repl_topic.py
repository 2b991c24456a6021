#!/usr/bin/env python3
"""Topic set-up for tests/bench/run-repl-bench.sh (a replicated Sluice cluster).

  repl_topic.py wait-brokers BOOTSTRAPS N SECS
      exit 0 once every node in BOOTSTRAPS (comma-separated HOST:PORT) lists
      N registered brokers in Metadata
  repl_topic.py create BOOTSTRAPS NAME PARTITIONS RF MIN_ISR SECS
      CreateTopics (raw, v1..v4) with min.insync.replicas=MIN_ISR, sent to the
      active controller named in Metadata (any node while none is known), then
      wait until every node's Metadata shows each partition led and its ISR
      equal to its replica set.  Exit 0 on success, 1 with the reason on stderr.
  repl_topic.py free-range N
      print a port P such that P..P+N-1 are free on 127.0.0.1 (for the NATS
      cluster, whose script takes consecutive ports)

Uses only tests/integration/harness.py (raw Kafka protocol, no client library).
"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import harness  # noqa: E402
from harness import KafkaConn, Reader, i8, i16, i32, karray, kstring  # noqa: E402


def addrs(bootstraps):
    out = []
    for b in bootstraps.split(","):
        host, port = b.rsplit(":", 1)
        out.append((host, int(port)))
    return out


def metadata(addr):
    with KafkaConn(addr[0], addr[1], timeout=5) as c:
        return c.metadata(None)


def wait_brokers(bootstraps, n, secs):
    def ok():
        return all(len(metadata(a)["brokers"]) >= n for a in addrs(bootstraps))
    harness.wait_until(ok, secs, what=f"{n} brokers registered on every node")


def create_topic_request(addr, name, partitions, rf, min_isr):
    """One CreateTopics to addr; returns (error_code, message)."""
    with KafkaConn(addr[0], addr[1], timeout=30) as c:
        _, apis = c.api_versions()
        v = harness.pick_version(apis, harness.API_CREATE_TOPICS, 1, 4)
        if v is None:
            raise harness.TestFailure("CreateTopics v1..v4 not advertised")
        configs = karray([("min.insync.replicas", str(min_isr))],
                         lambda kv: kstring(kv[0]) + kstring(kv[1]))
        topic = kstring(name) + i32(partitions) + i16(rf) + karray([]) + configs
        body = karray([topic]) + i32(30000) + i8(0)
        r = Reader(c.request(harness.API_CREATE_TOPICS, v, body))
        if v >= 2:
            r.i32()  # throttle_time_ms
        res = {}
        for _ in range(r.i32()):
            tname, err, msg = r.string(), r.i16(), r.string()
            res[tname] = (err, msg)
        return res.get(name, (-1, "no result for the topic"))


def create(bootstraps, name, partitions, rf, min_isr, secs):
    nodes = addrs(bootstraps)

    def send():
        md = metadata(nodes[0])
        target = nodes[0]
        for bid, host, port in md["brokers"]:
            if bid == md["controller"]:
                target = (host, port)
        err, msg = create_topic_request(target, name, partitions, rf, min_isr)
        if err not in (harness.ERR_NONE, harness.ERR_TOPIC_ALREADY_EXISTS):
            raise harness.TestFailure(f"CreateTopics {name}: error {err} ({msg})")
        return True
    harness.wait_until(send, secs, what=f"CreateTopics {name} accepted")

    def isr_full():
        for a in nodes:
            t = metadata(a)["topics"].get(name)
            if not t or t["error"] != 0 or len(t["partitions"]) != partitions:
                return False
            for err, leader, replicas, isr in t["partitions"].values():
                if err != 0 or leader < 0 or len(replicas) != rf or sorted(isr) != sorted(replicas):
                    return False
        return True
    harness.wait_until(isr_full, secs, what=f"{name}: every partition led with a full ISR")


def free_range(n):
    for _ in range(200):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        base = s.getsockname()[1]
        s.close()
        if base + n > 65535:
            continue
        socks = []
        try:
            for p in range(base, base + n):
                t = socket.socket()
                t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                t.bind(("127.0.0.1", p))
                socks.append(t)
            return base
        except OSError:
            continue
        finally:
            for t in socks:
                t.close()
    raise harness.TestFailure(f"no {n} consecutive free ports found")


def main(argv):
    try:
        if len(argv) == 4 and argv[0] == "wait-brokers":
            wait_brokers(argv[1], int(argv[2]), float(argv[3]))
            return 0
        if len(argv) == 7 and argv[0] == "create":
            create(argv[1], argv[2], int(argv[3]), int(argv[4]), int(argv[5]), float(argv[6]))
            return 0
        if len(argv) == 2 and argv[0] == "free-range":
            print(free_range(int(argv[1])))
            return 0
    except harness.TestFailure as e:
        print(str(e), file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
