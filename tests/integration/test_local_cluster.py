"""deploy/local-cluster.sh end to end: the three-node walkthrough of the README
("3-node cluster") run through the script, on nine free loopback ports
(SLUICE_PORT_BASE) with the cluster directory in a temp dir.

start returns with all three nodes ready; a topic with replication factor 3
takes 10,000 messages with acks=all (5,000 from confluent-kafka, 5,000 from
`sluice produce`); `kill N` of the partition leader gets a new leader elected
within 20 s; all 10,000 are read back through a survivor; pause/resume show
in status; `start` brings the killed node back and the ISR returns to all
three; `restart N` replaces a process; `stop` ends every node.

Usage: test_local_cluster.py /path/to/sluice     (exit 0 pass, 1 fail, 77 skip)"""

import atexit
import collections
import json
import os
import random
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import Skip, TestFailure, check, wait_until  # noqa: E402

try:
    import kclients
except ImportError as e:  # python3-confluent-kafka missing
    kclients = None
    IMPORT_ERROR = e

SCRIPT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                      "local-cluster.sh")
TOPIC = "walkthrough"
HALF = 5000
NODES = (1, 2, 3)


def free_port_base(count=9, tries=200):
    """A port B such that B..B+count-1 are all free on 127.0.0.1 (below the
    ephemeral range, so outgoing connections do not take them meanwhile)."""
    for _ in range(tries):
        base = random.randrange(20000, 32000 - count)
        socks = []
        try:
            for p in range(base, base + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                socks.append(s)
                s.bind(("127.0.0.1", p))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise TestFailure(f"no {count} consecutive free ports found")


class Cluster:
    """deploy/local-cluster.sh with its environment and the port layout it uses."""

    def __init__(self, sluice):
        self.sluice = os.path.abspath(sluice)
        self.dir = harness.make_tmpdir("sluice-localcluster-")
        self.base = free_port_base()
        self.env = dict(os.environ, SLUICE_CLUSTER_DIR=self.dir, SLUICE_BIN=self.sluice,
                        SLUICE_PORT_BASE=str(self.base), SLUICE_START_TIMEOUT="180",
                        SLUICE_STOP_TIMEOUT="60")
        for k in list(self.env):  # nothing from the caller's shell reaches the nodes
            if k.startswith("SLUICE_") and k not in ("SLUICE_CLUSTER_DIR", "SLUICE_BIN",
                                                     "SLUICE_PORT_BASE", "SLUICE_START_TIMEOUT",
                                                     "SLUICE_STOP_TIMEOUT"):
                del self.env[k]

    def kafka(self, n):
        return self.base + 3 * (n - 1)

    def admin(self, n):
        return self.base + 3 * (n - 1) + 2

    def bootstrap(self, n):
        return f"127.0.0.1:{self.kafka(n)}"

    def run(self, *args, timeout=300, ok=True):
        """Run the script; returns (exit status, stdout+stderr).  With ok, fails
        unless it exits 0."""
        p = subprocess.run(["bash", SCRIPT, *args], env=self.env, capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
        out = p.stdout + p.stderr
        print("     $ local-cluster.sh " + " ".join(args) + "\n       " +
              out.strip().replace("\n", "\n       "), flush=True)
        check(not ok or p.returncode == 0,
              f"local-cluster.sh {' '.join(args)} exited {p.returncode}: {out}")
        return p.returncode, out

    def status(self):
        """{node: (pid or None, state, ready)} from `status`, and its exit status."""
        rc, out = self.run("status", ok=False)
        rows = {}
        for line in out.splitlines()[1:]:
            f = line.split()
            if len(f) >= 4 and f[0].isdigit():
                rows[int(f[0])] = (None if f[1] == "-" else int(f[1]), f[2], f[3] == "yes")
        check(sorted(rows) == list(NODES), f"status lists nodes {sorted(rows)}: {out}")
        return rows, rc

    def pid(self, n):
        path = os.path.join(self.dir, f"node{n}", "sluice.pid")
        try:
            with open(path) as f:
                return int(f.read().strip())
        except (OSError, ValueError):
            return None

    def admin_get(self, n, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.admin(n)}{path}", timeout=5) as r:
            return json.loads(r.read())

    def partition(self, n):
        return self.admin_get(n, f"/v1/topics/{TOPIC}/partitions/0")

    def logs(self):
        out = []
        for n in NODES:
            path = os.path.join(self.dir, f"node{n}", "node.log")
            try:
                with open(path, "rb") as f:
                    lines = f.read().decode(errors="replace").splitlines()
            except OSError:
                lines = ["(no log)"]
            out.append((n, path, lines))
        return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in f)
    except OSError:
        return False


def values(prefix):
    return [f"{prefix}-{i:05d}".encode() for i in range(1, HALF + 1)]


def main():
    sluice = harness.binary_from_argv()
    c = Cluster(sluice)
    state = {}

    def stop_at_exit():
        if any(c.pid(n) and alive(c.pid(n)) for n in NODES):
            try:
                c.run("stop", ok=False, timeout=120)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass

    # Registered after harness's own handler, so it runs first (before the temp dir goes).
    atexit.register(stop_at_exit)

    def step_start():
        t0 = time.monotonic()
        c.run("start")
        print(f"     three nodes ready after {time.monotonic() - t0:.1f}s on ports "
              f"{c.base}..{c.base + 8}")
        rows, rc = c.status()
        check(rc == 0, f"status exit {rc} with every node up")
        for n, (pid, st, ready) in rows.items():
            check(st == "running" and ready and pid == c.pid(n),
                  f"node {n}: status {rows[n]}, pid file {c.pid(n)}")
        for n in NODES:
            ready = c.admin_get(n, "/v1/status/ready")
            check(ready.get("ready") is True, f"node {n} /v1/status/ready: {ready}")
            brokers = c.admin_get(n, "/v1/brokers")
            check(sorted(b["node_id"] for b in brokers) == [1, 2, 3],
                  f"node {n} knows brokers {brokers}")
        # `start` again is a no-op while everything runs.
        pids = {n: c.pid(n) for n in NODES}
        c.run("start")
        check({n: c.pid(n) for n in NODES} == pids, "a second start replaced running nodes")

    def step_topic():
        out = subprocess.run([sluice, "topic", "create", "-b", c.bootstrap(1), TOPIC, "-p", "1",
                              "-r", "3"], capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"topic create: {out.stdout}{out.stderr}")
        p = wait_until(lambda: (lambda p: p if sorted(p["isr"]) == [1, 2, 3] and
                                p["leader_id"] > 0 else None)(c.partition(2)), 30,
                       what="partition 0 led, with ISR 1,2,3")
        print(f"     leader {p['leader_id']}, replicas {p['replicas']}, ISR {p['isr']}")

    def step_produce():
        if kclients is None:
            raise Skip(f"python3-confluent-kafka not importable: {IMPORT_ERROR}")
        kclients.produce(c.bootstrap(1), TOPIC, [(0, None, v) for v in values("ck")],
                         timeout=120)
        data = "".join(v.decode() + "\n" for v in values("cli"))
        out = subprocess.run([sluice, "produce", "-b", c.bootstrap(2), TOPIC, "--acks", "all"],
                             input=data, capture_output=True, text=True, timeout=180)
        check(out.returncode == 0, f"sluice produce --acks all: {out.stdout}{out.stderr}")
        leader = c.partition(1)["leader_id"]
        p = c.partition(leader)
        check(p["high_watermark"] == 2 * HALF, f"high watermark after 10,000 acks=all: {p}")
        print(f"     high watermark {p['high_watermark']} on leader {leader}, ISR {p['isr']}")

    def step_kill_leader():
        leader = c.partition(1)["leader_id"]
        check(leader in NODES, f"leader {leader}")
        pid = c.pid(leader)
        t0 = time.monotonic()
        c.run("kill", str(leader))
        check(not alive(pid), f"node {leader} pid {pid} still alive after kill")
        rows, rc = c.status()
        check(rows[leader][1] == "down" and rc != 0, f"status after kill: {rows}, exit {rc}")
        other = next(n for n in NODES if n != leader)
        new = wait_until(lambda: (lambda p: p if p["leader_id"] not in (-1, leader) else None)
                         (c.partition(other)), 20, interval=0.2,
                         what=f"a new leader of partition 0 (node {leader} killed)")
        print(f"     node {new['leader_id']} leads after {time.monotonic() - t0:.1f}s, "
              f"ISR {new['isr']}")
        state["killed"], state["leader"] = leader, new["leader_id"]

    def step_consume_after_kill():
        if kclients is None:
            raise Skip(f"python3-confluent-kafka not importable: {IMPORT_ERROR}")
        got = kclients.consume_all(c.bootstrap(state["leader"]), TOPIC, {0: 2 * HALF},
                                   timeout=120)[0]
        have = collections.Counter(v for _, _, v in got)
        want = collections.Counter(values("ck") + values("cli"))
        check(have == want, f"read back {len(got)} messages: {sum((want - have).values())} "
              f"missing, {sum((have - want).values())} unexpected")

    def step_pause_resume():
        n = next(n for n in NODES if n not in (state["killed"], state["leader"]))
        c.run("pause", str(n))
        rows, _ = c.status()
        check(rows[n][1] == "paused" and not rows[n][2], f"status of paused node {n}: {rows[n]}")
        c.run("resume", str(n))
        wait_until(lambda: c.status()[0][n][1:] == ("running", True), 60,
                   what=f"node {n} running and ready after resume")

    def step_start_killed():
        k = state["killed"]
        c.run("start", str(k))
        rows, rc = c.status()
        check(rc == 0 and all(r[1:] == ("running", True) for r in rows.values()),
              f"status after start {k}: {rows}")
        p = wait_until(lambda: (lambda p: p if sorted(p["isr"]) == [1, 2, 3] else None)
                       (c.partition(k)), 120, interval=0.5,
                       what=f"the ISR back to 1,2,3 after node {k} returned")
        print(f"     leader {p['leader_id']}, ISR {p['isr']}")

    def step_restart():
        n = state["killed"]
        old = c.pid(n)
        c.run("restart", str(n))
        new = c.pid(n)
        check(new and new != old and not alive(old), f"restart {n}: pid {old} -> {new}")
        check(c.admin_get(n, "/v1/status/ready").get("ready") is True, f"node {n} not ready")

    def step_stop():
        pids = [c.pid(n) for n in NODES]
        c.run("stop", timeout=200)
        left = [p for p in pids if p and alive(p)]
        check(not left, f"processes still alive after stop: {left}")
        rows, rc = c.status()
        check(rc != 0 and all(r[1] == "down" for r in rows.values()), f"status: {rows}")
        reports = [(n, ln) for n, _, lines in c.logs() for ln in lines
                   if any(k in ln for k in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                                            "runtime error:"))]
        check(not reports, f"sanitizer reports: {reports[:5]}")

    def logged(fn):
        def run():
            try:
                fn()
            except Skip:
                raise
            except BaseException:
                for n, path, lines in c.logs():
                    print(f"===== node {n} ({path}), last 60 lines =====")
                    print("\n".join(lines[-60:]))
                raise
        return run

    harness.run_tests([
        ("start: three nodes ready", logged(step_start)),
        ("topic with replication factor 3", logged(step_topic)),
        ("10,000 messages with acks=all (confluent-kafka and sluice produce)",
         logged(step_produce)),
        ("kill the leader: a new leader within 20 s", logged(step_kill_leader)),
        ("all 10,000 read back through the new leader", logged(step_consume_after_kill)),
        ("pause and resume a node", logged(step_pause_resume)),
        ("start the killed node: the ISR returns to 3", logged(step_start_killed)),
        ("restart a node", logged(step_restart)),
        ("stop: every node ends", logged(step_stop)),
    ], keep_going=lambda: True)


if __name__ == "__main__":
    main()
