"""The admin API's defences (issue 13 items 7 and 8) against a running node.

  * Trickling clients cannot hold the connection limit: 70 clients each
    sending one byte of a never-ending request head every second (65 and
    more are refused with 503 as before) are cut with 408 once
    admin.request.timeout.ms (set to 2 s here) has passed since their
    accept, while they keep trickling; a normal client then gets 200 and the
    connection gauge drops back.  Before the fix every byte restarted a 60 s
    idle timer, so the trickling clients held all 64 slots for as long as
    they liked.
  * Cross-site writes are refused: POST /v1/topics with text/plain (415), a
    form body (415), a foreign Origin (403), Origin "null" (403), a foreign
    Host (DNS rebinding: 403), the example of the issue (text/plain, Origin
    evil, Host evil.example); none of them creates its topic.  A same-origin
    JSON write (with and without Origin, Host localhost or 127.0.0.1, a
    charset parameter) succeeds, a name listed in admin.allowed.hosts is
    accepted, DELETE with a foreign Origin is refused, and reads stay open
    to any Host.

Usage: test_admin_guard.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, check, wait_until  # noqa: E402

REQUEST_TIMEOUT_MS = 2000
MAX_CONNECTIONS = 64
TRICKLERS = 70
ALLOWED = "admin.example.internal"

BINARY = None
NODE = None


def request(method, path, headers, body=b"", timeout=15):
    """One raw request on a fresh connection (headers exactly as given, no others but
    Content-Length and Connection: close); returns (status, parsed JSON body or None)."""
    s = socket.create_connection(("127.0.0.1", NODE.admin_port), timeout=timeout)
    try:
        head = f"{method} {path} HTTP/1.1\r\n"
        for k, v in headers.items():
            head += f"{k}: {v}\r\n"
        head += f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        s.sendall(head.encode() + body)
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
    head, _, rbody = buf.partition(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 "), f"{method} {path}: no response ({buf[:200]!r})")
    status = int(head[9:12])
    try:
        return status, json.loads(rbody) if rbody else None
    except ValueError:
        return status, rbody


def own_host():
    return f"127.0.0.1:{NODE.admin_port}"


def topics():
    status, j = request("GET", "/v1/topics", {"Host": own_host()})
    check(status == 200, f"GET /v1/topics: {status} {j}")
    return [t["topic_name"] for t in j]


def gauge(name):
    status, body = request("GET", "/metrics", {"Host": own_host()})
    check(status == 200, f"/metrics: {status}")
    for line in body.decode().split("\n"):
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def t_setup():
    global NODE
    tmp = harness.make_tmpdir("sluice-admin-guard-")
    NODE = SluiceNode(BINARY, tmpdir=os.path.join(tmp, "node1"),
                      overrides={"admin.request.timeout.ms": str(REQUEST_TIMEOUT_MS),
                                 "admin.allowed.hosts": ALLOWED})
    NODE.start_ready()
    NODE.wait_broker_registered()


def t_trickling_clients():
    socks, got, closed = [], {}, set()
    payload = b"GET /v1/cluster HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 10000
    try:
        for i in range(TRICKLERS):
            s = socket.create_connection(("127.0.0.1", NODE.admin_port), timeout=15)
            s.setblocking(False)
            socks.append(s)
            got[i] = b""
        sent = 0
        normal = []
        t0 = time.monotonic()

        def poll():
            for i, s in enumerate(socks):
                if i in closed:
                    continue
                try:
                    s.send(payload[sent:sent + 1])
                except (BlockingIOError, InterruptedError):
                    pass
                except OSError:
                    pass  # the server shut its side; the reads below see the end
                while True:
                    try:
                        chunk = s.recv(65536)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        chunk = b""
                    if not chunk:
                        closed.add(i)
                        break
                    got[i] += chunk
            return len(closed) == TRICKLERS

        # One byte per client per second, for as long as any of them is still open and
        # no normal request got through (the old code kept them for ever).
        deadline = t0 + 40
        while time.monotonic() < deadline:
            done = poll()
            status, _ = request("GET", "/v1/status/ready", {"Host": own_host()}, timeout=5)
            normal.append(status)
            if done and status == 200:
                break
            sent += 1
            time.sleep(1.0)  # the trickle's pace (the attack), not a wait for a condition
        statuses = [got[i][9:12] for i in range(TRICKLERS)]
        timed_out = statuses.count(b"408")
        refused = statuses.count(b"503")
        check(len(closed) == TRICKLERS,
              f"{TRICKLERS - len(closed)} trickling clients still hold their connection after "
              f"{time.monotonic() - t0:.0f}s (answers so far: {statuses})")
        check(timed_out == MAX_CONNECTIONS and refused == TRICKLERS - MAX_CONNECTIONS,
              f"expected {MAX_CONNECTIONS} x 408 and {TRICKLERS - MAX_CONNECTIONS} x 503, "
              f"got {statuses}")
        check(b'"error_code": 408' in got[0] or b'"error_code":408' in got[0],
              f"408 answer is not the JSON error: {got[0][:400]!r}")
        check(normal[-1] == 200, f"normal client statuses while trickling: {normal}")
        print(f"    trickling clients cut after {time.monotonic() - t0:.1f}s; "
              f"normal client statuses {normal}")
    finally:
        for s in socks:
            s.close()
    wait_until(lambda: gauge("sluice_admin_connections") == 1,
               what="admin connections back to the one asking")


def t_idle_and_disconnect():
    # A connection that sends nothing is cut by the request deadline too (no slot is held
    # by an idle socket), and a client that disconnects mid-request frees its slot.
    s = socket.create_connection(("127.0.0.1", NODE.admin_port), timeout=30)
    try:
        buf = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        check(buf.startswith(b"HTTP/1.1 408 "), f"silent connection answer {buf[:200]!r}")
    finally:
        s.close()
    socks = []
    for _ in range(MAX_CONNECTIONS):
        s = socket.create_connection(("127.0.0.1", NODE.admin_port), timeout=15)
        s.sendall(b"GET /v1/cluster HTTP/1.1\r\n")
        socks.append(s)
    for s in socks:
        s.close()
    wait_until(lambda: request("GET", "/v1/status/ready", {"Host": own_host()}, timeout=5)[0]
               == 200, what="a normal request after the partial clients left")
    wait_until(lambda: gauge("sluice_admin_connections") == 1,
               what="admin connections freed after the clients left")


JSON = "application/json"
BODY = lambda name: json.dumps({"name": name, "partitions": 1}).encode()  # noqa: E731

# (what, headers, topic name, expected status)
REFUSED_WRITES = [
    ("text/plain", {"Content-Type": "text/plain"}, "g-plain", 415),
    ("form body", {"Content-Type": "application/x-www-form-urlencoded"}, "g-form", 415),
    ("no Content-Type", {}, "g-none", 415),
    ("json-like type", {"Content-Type": "application/jsonx"}, "g-jsonx", 415),
    ("two Content-Types", {"Content-Type": JSON, "content-type": "text/plain"}, "g-two", 415),
    ("foreign Origin", {"Content-Type": JSON, "Origin": "http://evil"}, "g-evil", 403),
    ("Origin null", {"Content-Type": JSON, "Origin": "null"}, "g-null", 403),
    ("Origin on another port", {"Content-Type": JSON, "Origin": "http://127.0.0.1:1"},
     "g-port", 403),
    ("foreign Host", {"Content-Type": JSON, "Host": "evil.example"}, "g-rebind", 403),
    ("foreign Host and matching Origin",
     {"Content-Type": JSON, "Host": "evil.example:80", "Origin": "http://evil.example"},
     "g-rebind2", 403),
    ("the issue's example",
     {"Content-Type": "text/plain", "Origin": "evil", "Host": "evil.example"}, "g-issue", 403),
    ("no Host", {"Content-Type": JSON, "Host": None}, "g-nohost", 403),
]


def t_cross_site_writes():
    for what, hdrs, name, status in REFUSED_WRITES:
        h = {"Host": own_host()}
        h.update(hdrs)
        h = {k: v for k, v in h.items() if v is not None}
        got, j = request("POST", "/v1/topics", h, BODY(name))
        check(got == status, f"{what}: expected {status}, got {got} {j}")
        check(isinstance(j, dict) and j.get("error_code") == status and j.get("message"),
              f"{what}: JSON error body expected, got {j}")
    names = topics()
    for what, _, name, _ in REFUSED_WRITES:
        check(name not in names, f"{what}: topic {name} was created")

    # Same-origin JSON writes go through, in their usual forms.
    port = NODE.admin_port
    accepted = [
        ("JSON, no Origin", {"Host": own_host(), "Content-Type": JSON}, "g-ok1"),
        ("JSON with charset and Origin",
         {"Host": f"localhost:{port}", "Content-Type": "Application/JSON; charset=utf-8",
          "Origin": f"http://localhost:{port}"}, "g-ok2"),
        ("allowed host", {"Host": f"{ALLOWED}:{port}", "Content-Type": JSON,
                          "Origin": f"http://{ALLOWED}:{port}"}, "g-ok3"),
        ("IPv6 loopback Host", {"Host": f"[::1]:{port}", "Content-Type": JSON}, "g-ok4"),
    ]
    for what, h, name in accepted:
        got, j = request("POST", "/v1/topics", h, BODY(name))
        check(got == 201, f"{what}: expected 201, got {got} {j}")
    names = topics()
    for what, _, name in accepted:
        check(name in names, f"{what}: topic {name} missing")

    # DELETE (no body) with a foreign Origin or Host is refused; from the node's own
    # origin it works.  A body-less POST needs no Content-Type (curl -XPOST).
    for hdrs in ({"Host": own_host(), "Origin": "http://evil"}, {"Host": "evil.example"}):
        got, j = request("DELETE", "/v1/topics/g-ok1", hdrs)
        check(got == 403, f"DELETE with {hdrs}: expected 403, got {got} {j}")
    check("g-ok1" in topics(), "a refused DELETE removed the topic")
    got, j = request("DELETE", "/v1/topics/g-ok1",
                     {"Host": own_host(), "Origin": f"http://{own_host()}"})
    check(got == 200, f"same-origin DELETE: {got} {j}")
    got, j = request("POST", "/v1/partitions/g-ok2/0/transfer_leadership?target=1",
                     {"Host": own_host()})
    check(got == 409 and j.get("kafka_error") == "ELECTION_NOT_NEEDED",
          f"body-less POST without Content-Type: {got} {j}")
    got, j = request("POST", "/v1/partitions/g-ok2/0/transfer_leadership?target=1",
                     {"Host": own_host(), "Content-Type": "text/plain"})
    check(got == 415, f"body-less POST with text/plain: {got} {j}")

    # Reads stay open to any Host (monitoring scrapes by whatever name).
    got, j = request("GET", "/v1/cluster", {"Host": "evil.example"})
    check(got == 200, f"GET with a foreign Host: {got} {j}")
    NODE.check_alive("after the cross-site writes")


def main():
    global BINARY
    BINARY = harness.binary_from_argv()
    tests = [("setup", t_setup), ("trickling clients", t_trickling_clients),
             ("idle and disconnected clients", t_idle_and_disconnect),
             ("cross-site writes", t_cross_site_writes)]
    harness.run_tests(tests, keep_going=lambda: NODE is not None and NODE.running())


if __name__ == "__main__":
    main()
