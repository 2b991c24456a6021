"""Connection limits of the Kafka listener (broker/handlers/conn.c), each case on its
own node with the settings it needs:

  * at the open-file limit (RLIMIT_NOFILE lowered on the running process) the
    node neither spins nor floods its log, and serves again once clients go;
  * max.connections blocks accepting (clients wait in the backlog) and
    resumes when a connection closes; max.connections.per.ip closes the
    excess connection at once;
  * connections.max.idle.ms closes idle connections, counting from the last
    complete request (a client trickling bytes of an unfinished request is
    idle), but never one with a parked request;
  * socket.request.receive.timeout.ms closes a slow-loris half frame;
  * queued.max.request.bytes and queued.max.requests hold new requests back
    while the budget is used, and let them in afterwards.

Usage: test_conn_limits.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import resource
import socket
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_API_VERSIONS, KafkaConn, SluiceNode, TestFailure, check,  # noqa: E402
                     frame, i8, i32, i64, karray, kstring, request_header, wait_until)

API_FETCH = 1


def raise_own_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))


def start_node(name, overrides=None):
    node = SluiceNode(harness.binary_from_argv(), overrides=overrides or {}, name=name)
    node.start_ready()
    return node


def api_versions_request(corr):
    return frame(request_header(API_API_VERSIONS, 0, corr))


def fetch_request(corr, topic, partition, offset, max_wait_ms, min_bytes=1):
    """Fetch v4 of one partition."""
    part = i32(partition) + i64(offset) + i32(1 << 20)
    body = (i32(-1) + i32(max_wait_ms) + i32(min_bytes) + i32(4 << 20) + i8(0) +
            karray([topic], lambda t: kstring(t) + karray([part])))
    return frame(request_header(API_FETCH, 4, corr) + body)


def parse_fetch_v4(body):
    """[(topic, partition, error, high_watermark, records bytes)]."""
    r = harness.Reader(body)
    r.i32()  # throttle_time_ms
    out = []
    for _ in range(r.i32()):
        t = r.string()
        for _ in range(r.i32()):
            p, err, hw = r.i32(), r.i16(), r.i64()
            r.i64()  # last_stable_offset
            r.array(lambda: (r.i64(), r.i64()))  # aborted transactions
            n = r.i32()
            recs = r.take(n) if n > 0 else b""
            out.append((t, p, err, hw, recs))
    return out


def served(node, timeout=10):
    """True when a fresh connection gets an ApiVersions answer."""
    with KafkaConn("127.0.0.1", node.kafka_port, timeout=timeout) as c:
        err, apis = c.api_versions()
        return err == 0 and bool(apis)


def closed_by_server(sock):
    """True when the peer has closed `sock` (EOF or reset), without blocking."""
    sock.setblocking(False)
    try:
        data = sock.recv(4096)
        return data == b""
    except BlockingIOError:
        return False
    except (ConnectionResetError, BrokenPipeError):
        return True
    finally:
        sock.setblocking(True)


def expect_no_answer(c, what, seconds=1.5):
    """The server must not answer within `seconds` (it is holding the request back)."""
    c.sock.settimeout(seconds)
    try:
        corr, _ = c.recv_frame()
    except socket.timeout:
        return
    finally:
        c.sock.settimeout(c.timeout)
    raise TestFailure(f"{what}: expected no answer while the limit holds, got corr {corr}")


def metric(node, name):
    """Value of an unlabelled gauge of the node's /metrics."""
    url = f"http://127.0.0.1:{node.admin_port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise TestFailure(f"/metrics has no {name}")


def proc_cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_lines(node):
    with open(node.log_path, "rb") as f:
        return f.read().count(b"\n")


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# -- at the open-file limit -------------------------------------------------


def case_fd_limit():
    node = start_node("fd-limit")
    base = open_fds(node.pid)
    limit = base + 16
    # The same as starting it under `prlimit --nofile=N`, once its own files are open.
    resource.prlimit(node.pid, resource.RLIMIT_NOFILE, (limit, limit))
    socks = []
    try:
        for _ in range(3 * (limit - base)):
            socks.append(socket.create_connection(("127.0.0.1", node.kafka_port), timeout=10))
        wait_until(lambda: open_fds(node.pid) >= limit - 1, 30,
                   what=f"the node to reach its open-file limit {limit}")
        # The admin listener meets the same limit (it spun there too).
        for _ in range(20):
            socks.append(socket.create_connection(("127.0.0.1", node.admin_port), timeout=10))
        lines0, cpu0, t0 = log_lines(node), proc_cpu_seconds(node.pid), time.monotonic()
        time.sleep(3.0)  # the measurement window: CPU and log growth at the limit
        lines1, cpu1, t1 = log_lines(node), proc_cpu_seconds(node.pid), time.monotonic()
        node.check_alive("at the open-file limit")
        cpu_share = (cpu1 - cpu0) / (t1 - t0)
        print(f"at the fd limit: {lines1 - lines0} log lines, CPU {cpu_share:.0%} of a core")
        check(lines1 - lines0 < 100,
              f"log grew by {lines1 - lines0} lines in {t1 - t0:.1f}s at the fd limit")
        check(cpu_share < 0.30, f"node used {cpu_share:.0%} of a core at the fd limit")
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: served(node, timeout=5), 30,
               what="a fresh client served after the connections closed")
    wait_until(lambda: metric(node, "sluice_partitions") is not None, 30,
               what="the admin API serving again after the connections closed")
    node.check_healthy("after the open-file limit")
    node.stop()


# -- max.connections, max.connections.per.ip --------------------------------


def case_max_connections():
    node = start_node("max-conn", {"max.connections": "3"})
    conns = [node.conn() for _ in range(3)]
    try:
        for c in conns:
            check(c.api_versions()[0] == 0, "ApiVersions below max.connections")
        waiting = node.conn(timeout=10)
        waiting.send_raw(api_versions_request(77))
        expect_no_answer(waiting, "4th connection with max.connections=3")
        conns[0].close()
        corr, _ = waiting.recv_frame()  # accepted once a slot is free
        check(corr == 77, f"waiting connection answered with corr {corr}")
        waiting.close()
        with open(node.log_path, "rb") as f:
            n = f.read().count(b"max.connections (3) reached")
        check(n == 1, f"'max.connections reached' logged {n} times")
    finally:
        for c in conns:
            c.close()
    node.stop()


def case_max_connections_per_ip():
    node = start_node("per-ip", {"max.connections.per.ip": "3"})
    conns = [node.conn() for _ in range(3)]
    try:
        for c in conns:
            check(c.api_versions()[0] == 0, "ApiVersions below max.connections.per.ip")
        for i in range(20):
            extra = node.conn(timeout=10)
            extra.send_raw(api_versions_request(1))
            kind, _ = extra.outcome()
            extra.close()
            check(kind == "closed", f"connection {4 + i} from the same IP: expected it closed, "
                                    f"got {kind}")
        with open(node.log_path, "rb") as f:
            n = f.read().count(b"over max.connections.per.ip")
        check(n == 1, f"refusals logged {n} times for 20 refused connections, expected once")
        conns[0].close()
        wait_until(lambda: served(node), 20, what="a connection served after one closed")
    finally:
        for c in conns:
            c.close()
    node.stop()


# -- connections.max.idle.ms, socket.request.receive.timeout.ms --------------


def trickle_until_closed(node, deadline):
    """A slow-loris client: a 1000-byte frame sent one byte every 0.2 s.
    Returns the seconds until the server closed the connection; fails if it
    does not within `deadline` seconds or the frame would be complete."""
    s = socket.create_connection(("127.0.0.1", node.kafka_port), timeout=10)
    try:
        t0 = time.monotonic()
        s.sendall(i32(1000) + request_header(API_API_VERSIONS, 0, 5))
        sent = 0
        while time.monotonic() - t0 < deadline and sent < 900:
            if closed_by_server(s):
                return time.monotonic() - t0
            try:
                s.sendall(b"x")
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - t0
            sent += 1
            time.sleep(0.2)
        raise TestFailure(f"slow-loris connection still open after {deadline}s "
                          f"({sent} body bytes trickled)")
    finally:
        s.close()


def case_idle():
    node = start_node("idle", {"connections.max.idle.ms": "1500",
                               "socket.request.receive.timeout.ms": "-1"})
    harness.create_topic(node.bootstrap, "idle-t", 1)
    idle = node.conn()
    parked = node.conn()
    try:
        check(idle.api_versions()[0] == 0, "ApiVersions")
        # A Fetch parked longer than the idle time keeps its connection.
        parked.send_raw(fetch_request(9, "idle-t", 0, 0, max_wait_ms=4000))
        wait_until(lambda: closed_by_server(idle.sock), 20,
                   what="the idle connection to be closed")
        corr, body = parked.recv_frame()
        check(corr == 9, f"parked Fetch answered with corr {corr}")
        check(parse_fetch_v4(body)[0][2] == 0, "parked Fetch error")
        # Bytes of an unfinished request are not activity.
        took = trickle_until_closed(node, 20)
        print(f"trickling client closed after {took:.1f}s by connections.max.idle.ms")
    finally:
        idle.close()
        parked.close()
    node.check_healthy("after idle closes")
    node.stop()


def case_slow_loris():
    node = start_node("slow-loris", {"socket.request.receive.timeout.ms": "1000"})
    took = trickle_until_closed(node, 20)
    print(f"slow-loris closed after {took:.1f}s")
    # A client sending complete requests slowly is not affected.
    with node.conn() as c:
        for _ in range(6):
            check(c.api_versions()[0] == 0, "ApiVersions on a slow but complete client")
            time.sleep(0.4)
    node.check_healthy("after the slow-loris")
    node.stop()


# -- queued.max.request.bytes, queued.max.requests ---------------------------


def case_request_bytes_budget():
    node = start_node("req-bytes", {"queued.max.request.bytes": "1000000"})
    big = socket.create_connection(("127.0.0.1", node.kafka_port), timeout=10)
    small = node.conn(timeout=10)
    try:
        # Half of a frame that takes the whole budget.
        big.sendall(i32(999990) + request_header(API_API_VERSIONS, 0, 1) + b"\0" * 1000)
        wait_until(lambda: metric(node, "sluice_request_queue_bytes") >= 999990, 20,
                   what="the half frame's bytes reserved")
        small.send_raw(api_versions_request(42))
        expect_no_answer(small, "request while queued.max.request.bytes is used up")
        big.close()
        corr, _ = small.recv_frame()
        check(corr == 42, f"held-back request answered with corr {corr}")
    finally:
        big.close()
        small.close()
    node.check_healthy("after the request-bytes budget")
    node.stop()


def case_queued_requests():
    node = start_node("queued-req", {"queued.max.requests": "2"})
    harness.create_topic(node.bootstrap, "q-t", 1)
    parked = [node.conn(), node.conn()]
    other = node.conn(timeout=20)
    try:
        for i, c in enumerate(parked):
            c.send_raw(fetch_request(100 + i, "q-t", 0, 0, max_wait_ms=3000))
        wait_until(lambda: metric(node, "sluice_request_queue_requests") == 2, 20,
                   what="both Fetches parked")
        other.send_raw(api_versions_request(7))
        expect_no_answer(other, "request while queued.max.requests are parked", seconds=1.0)
        corr, _ = other.recv_frame()  # once a parked Fetch is answered
        check(corr == 7, f"held-back request answered with corr {corr}")
        for i, c in enumerate(parked):
            corr, _ = c.recv_frame()
            check(corr == 100 + i, f"parked Fetch answered with corr {corr}")
    finally:
        for c in parked + [other]:
            c.close()
    node.check_healthy("after queued.max.requests")
    node.stop()


def main():
    harness.run_tests([
        ("raise this process's open-file limit", lambda: raise_own_fd_limit(4096)),
        ("max.connections blocks and resumes", case_max_connections),
        ("open-file limit: no spin, no log flood", case_fd_limit),
        ("max.connections.per.ip", case_max_connections_per_ip),
        ("connections.max.idle.ms", case_idle),
        ("socket.request.receive.timeout.ms (slow loris)", case_slow_loris),
        ("queued.max.request.bytes", case_request_bytes_budget),
        ("queued.max.requests", case_queued_requests),
    ], keep_going=lambda: True)


if __name__ == "__main__":
    main()
