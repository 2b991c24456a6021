"""Soak of the Kafka listener's memory bounds (broker/handlers/conn.c): 2,000 idle
connections plus several clients that pipeline Metadata requests and never
read the answers.  The node's RSS must stay bounded (responses are not
buffered without limit: a connection stops being read while its output
waits) and another client must still be served meanwhile (ApiVersions,
Metadata, Produce and Fetch).  Afterwards a pipelining client that starts
reading gets its answers in order.

Usage: test_conn_soak.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_METADATA, KafkaConn, SluiceNode, check, frame, i32,  # noqa: E402
                     record_batch, request_header)
from test_conn_limits import (fetch_request, metric, parse_fetch_v4,  # noqa: E402
                              raise_own_fd_limit)

IDLE_CONNECTIONS = 2000
PIPELINERS = 8
RSS_BOUND_KIB = 150 * 1024
TOPIC = "soak"
PARTITIONS = 100

node = None
idle = []
pipeliners = []


def setup():
    global node
    raise_own_fd_limit(IDLE_CONNECTIONS + 1024)
    # Under AddressSanitizer freed blocks sit in a 256 MiB quarantine, which
    # would count in the RSS bound; keep it small (no effect on other builds).
    asan = os.environ.get("ASAN_OPTIONS", "")
    if "quarantine_size_mb" not in asan:
        os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "quarantine_size_mb=16"
    node = SluiceNode(harness.binary_from_argv(), name="soak")
    node.start_ready()
    harness.create_topic(node.bootstrap, TOPIC, PARTITIONS)


def open_idle():
    for _ in range(IDLE_CONNECTIONS):
        idle.append(socket.create_connection(("127.0.0.1", node.kafka_port), timeout=10))
    harness.wait_until(lambda: metric(node, "sluice_connections") >= IDLE_CONNECTIONS, 30,
                       what=f"the node to accept {IDLE_CONNECTIONS} connections")
    node.check_healthy("with idle connections")


def pipeline_without_reading():
    """Each pipeliner sends Metadata (all topics) requests until the node stops
    reading it: no send makes progress for a second."""
    chunk = b"".join(frame(request_header(API_METADATA, 1, corr) + i32(-1))
                     for corr in range(1, 1001))
    for _ in range(PIPELINERS):
        s = socket.create_connection(("127.0.0.1", node.kafka_port), timeout=10)
        s.setblocking(False)
        pipeliners.append([s, 0])  # socket, bytes sent
    end = time.monotonic() + 30
    last_progress = time.monotonic()
    while time.monotonic() - last_progress < 1.0:
        check(time.monotonic() < end, "pipelining clients were still read after 30s")
        for p in pipeliners:
            off = p[1] % len(chunk)
            try:
                n = p[0].send(chunk[off:])
            except BlockingIOError:
                continue
            if n > 0:
                p[1] += n
                last_progress = time.monotonic()
        time.sleep(0.01)
    print("pipelined request bytes per client: " + ", ".join(str(p[1]) for p in pipeliners))
    node.check_alive("after pipelining")


def check_rss():
    rss = node.rss_kib()
    print(f"RSS with {IDLE_CONNECTIONS} idle and {PIPELINERS} non-reading clients: {rss} KiB")
    check(rss < RSS_BOUND_KIB, f"RSS {rss} KiB, bound {RSS_BOUND_KIB} KiB")


def other_client_served():
    with KafkaConn("127.0.0.1", node.kafka_port, timeout=30) as c:
        err, apis = c.api_versions()
        check(err == 0 and apis, f"ApiVersions error {err}")
        md = c.metadata(None)
        check(len(md["topics"].get(TOPIC, {}).get("partitions", {})) == PARTITIONS,
              f"Metadata of {TOPIC}: {md['topics'].get(TOPIC)}")
        value = b"soak-value-%d" % time.monotonic_ns()
        res = c.produce(TOPIC, 0, record_batch([(b"k", value)]), version=3, acks=-1)
        check(res and res[0][2] == 0, f"Produce: {res}")
        base = res[0][3]
        c.send_raw(fetch_request(4242, TOPIC, 0, base, max_wait_ms=1000))
        corr, body = c.recv_frame()
        check(corr == 4242, f"Fetch corr {corr}")
        parts = parse_fetch_v4(body)
        check(parts and parts[0][2] == 0 and value in parts[0][4],
              f"Fetch at {base} did not return the produced record: {parts[:1]}")
    check_rss()


def pipeliner_reads_in_order():
    s = pipeliners[0][0]
    s.setblocking(True)
    s.settimeout(30)
    c = KafkaConn.__new__(KafkaConn)
    c.sock, c.timeout, c.corr = s, 30, 0
    for want in range(1, 21):
        corr, _ = c.recv_frame()
        check(corr == want, f"pipelined answer {want}: corr {corr}")


def teardown():
    for s in idle:
        s.close()
    for p in pipeliners:
        p[0].close()
    node.check_healthy("after the soak")
    check_rss()
    rc = node.stop()
    check(rc == 0, f"SIGTERM after the soak: exit status {rc}")


def main():
    harness.run_tests([
        ("start node", setup),
        (f"{IDLE_CONNECTIONS} idle connections", open_idle),
        (f"{PIPELINERS} clients pipelining without reading", pipeline_without_reading),
        ("RSS bounded", check_rss),
        ("another client served (ApiVersions, Metadata, Produce, Fetch)", other_client_served),
        ("a pipelining client reads its answers in order", pipeliner_reads_in_order),
        ("close everything, healthy, RSS bounded", teardown),
    ])


if __name__ == "__main__":
    main()
