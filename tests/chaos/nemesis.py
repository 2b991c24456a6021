"""The seeded nemesis of the fault-injection suite (issue 15).

Every few seconds (random.Random(seed)) it injects one fault into a
cluster.Cluster and schedules its end:

  kill            kill -9 a random node, restart it after a short random delay
  kill_leader     kill -9 the leader of a random partition, restart later
  kill_controller kill -9 the active controller (Metadata controller_id), restart later
  pause           SIGSTOP a node, SIGCONT it after a random time
  isolate         a node cut off from both peers (minority 1 / majority 2)
  bridge          1-2 and 2-3 talk (via the middle node) but the ends do not
  oneway          one node stops receiving packets from one peer

Process faults (kill*, pause) never overlap each other, so at most one of
the three processes is down or frozen at a time; one network fault may be
active on top of that.  heal_all() ends every fault at once.  A node that
exits on its own is recorded as a crash and restarted.
"""

import collections
import signal
import threading
import time

import cluster as cl

PROCESS_FAULTS = ("kill", "kill_leader", "kill_controller", "pause")
NET_FAULTS = ("isolate", "bridge", "oneway")


class Nemesis(threading.Thread):
    def __init__(self, cluster, rng, topic, partitions, t0, log, interval=(3.0, 8.0),
                 kinds=PROCESS_FAULTS + NET_FAULTS):
        super().__init__(daemon=True, name="nemesis")
        self.c, self.rng, self.topic, self.partitions = cluster, rng, topic, partitions
        self.t0, self.log, self.interval, self.kinds = t0, log, interval, kinds
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.pending = []          # [(due, description, fn)] ends of active faults
        self.process_busy = False  # a kill/pause is active
        self.net_busy = False      # a partition is active
        self.faults = []           # [{t, kind, nodes, duration}]
        self.counts = collections.Counter()
        self.crashes = []          # [{t, node, status}] exits we did not cause
        self.expect_down = set()   # nodes we killed and have not restarted
        self.errors = []
        for n in self.c.nodes.values():
            cl.fw_init(n)

    def now(self):
        return round(time.monotonic() - self.t0, 3)

    def _record(self, kind, nodes, duration, extra=None):
        f = {"t": self.now(), "kind": kind, "nodes": nodes, "duration": round(duration, 2)}
        if extra:
            f.update(extra)
        self.faults.append(f)
        self.counts[kind] += 1
        self.log(f"nemesis t={f['t']:.1f}s {kind} nodes={nodes} for {duration:.1f}s"
                 + (f" {extra}" if extra else ""))
        for i in self.c.nodes:
            self.c.nodes[i].note(f"nemesis {kind} nodes={nodes} for {duration:.1f}s")

    def _schedule(self, delay, desc, fn):
        self.pending.append((time.monotonic() + delay, desc, fn))

    # -- discovery ----------------------------------------------------------

    def _metadata(self):
        from confluent_kafka.admin import AdminClient
        from workload import client_conf
        a = AdminClient(client_conf({"bootstrap.servers": self.c.bootstrap(),
                                     "socket.timeout.ms": 3000}))
        return a.list_topics(timeout=4)

    def _leader_of(self, partition):
        md = self._metadata()
        t = md.topics.get(self.topic)
        if t is None or partition not in t.partitions:
            return -1
        return t.partitions[partition].leader

    def _controller(self):
        return self._metadata().controller_id

    # -- faults -------------------------------------------------------------

    def _kill(self, node_id, kind, extra=None):
        n = self.c.nodes.get(node_id)
        if n is None or not n.running():
            return False
        delay = self.rng.uniform(1.0, 10.0)
        self.expect_down.add(node_id)
        n.note(f"kill -9 pid {n.pid}")
        n.kill9()
        self._record(kind, [node_id], delay, extra)
        self.process_busy = True

        def restart():
            n.start()
            self.expect_down.discard(node_id)
            self.process_busy = False
        self._schedule(delay, f"restart node {node_id}", restart)
        return True

    def _pause(self, node_id):
        n = self.c.nodes[node_id]
        if not n.running():
            return False
        dur = self.rng.uniform(2.0, 15.0)
        n.note(f"SIGSTOP pid {n.pid}")
        n.signal(signal.SIGSTOP)
        n.stopped = True
        self._record("pause", [node_id], dur)
        self.process_busy = True

        def cont():
            n.signal(signal.SIGCONT)
            n.stopped = False
            n.note("SIGCONT")
            self.process_busy = False
        self._schedule(dur, f"SIGCONT node {node_id}", cont)
        return True

    def _net(self, kind):
        ids = sorted(self.c.nodes)
        nodes = self.c.nodes
        dur = self.rng.uniform(3.0, 20.0)
        if kind == "isolate":
            a = self.rng.choice(ids)
            for b in ids:
                if b != a:
                    cl.fw_drop_from(nodes[a], nodes[b].ip)
                    cl.fw_drop_to(nodes[a], nodes[b].ip)
            desc = [a]
        elif kind == "bridge":
            mid = self.rng.choice(ids)
            a, b = [i for i in ids if i != mid]
            cl.fw_drop_from(nodes[a], nodes[b].ip)
            cl.fw_drop_to(nodes[a], nodes[b].ip)
            desc = [a, mid, b]
        else:  # oneway: `a` stops hearing from `b`
            a, b = self.rng.sample(ids, 2)
            cl.fw_drop_from(nodes[a], nodes[b].ip)
            desc = [a, b]
        self._record(kind, desc, dur)
        self.net_busy = True

        def heal():
            for n in nodes.values():
                cl.fw_heal(n)
            self.net_busy = False
            self.log(f"nemesis t={self.now():.1f}s heal network")
        self._schedule(dur, "heal network", heal)
        return True

    def _inject(self):
        kinds = [k for k in self.kinds
                 if (k in NET_FAULTS and not self.net_busy) or
                    (k in PROCESS_FAULTS and not self.process_busy)]
        if not kinds:
            return
        kind = self.rng.choice(kinds)
        node = self.rng.choice(sorted(self.c.nodes))
        if kind == "kill":
            self._kill(node, kind)
        elif kind == "kill_leader":
            p = self.rng.randrange(self.partitions)
            leader = self._leader_of(p)
            if leader in self.c.nodes:
                self._kill(leader, kind, {"partition": p})
        elif kind == "kill_controller":
            ctl = self._controller()
            if ctl in self.c.nodes:
                self._kill(ctl, kind)
        elif kind == "pause":
            self._pause(node)
        else:
            self._net(kind)

    # -- loop -----------------------------------------------------------------

    def _run_due(self, everything=False):
        now = time.monotonic()
        due = [e for e in self.pending if everything or e[0] <= now]
        self.pending = [e for e in self.pending if e not in due]
        for _, desc, fn in sorted(due, key=lambda e: e[0]):
            try:
                fn()
            except Exception as e:  # noqa: BLE001 - keep going, record it
                self.errors.append(f"{desc}: {e!r}")

    def _check_crashes(self):
        if self.c.closing:  # the cluster is being torn down: exits are ours
            return
        for i, n in self.c.nodes.items():
            if i in self.expect_down or n.proc is None:
                continue
            rc = n.proc.poll()
            if rc is not None:
                self.crashes.append({"t": self.now(), "node": i, "status": rc})
                self.log(f"nemesis t={self.now():.1f}s node {i} EXITED on its own "
                         f"(status {rc}); restarting")
                n.note(f"exited on its own with status {rc}")
                n.kill9()
                n.start()

    def run(self):
        next_fault = time.monotonic() + self.rng.uniform(*self.interval)
        while not self.stop_ev.wait(0.1):
            with self.lock:
                self._run_due()
                self._check_crashes()
                if time.monotonic() >= next_fault:
                    try:
                        self._inject()
                    except Exception as e:  # noqa: BLE001 - e.g. metadata timeout
                        self.errors.append(f"inject: {e!r}")
                    next_fault = time.monotonic() + self.rng.uniform(*self.interval)

    def heal_all(self):
        """Stop injecting and end every active fault now."""
        self.stop_ev.set()
        self.join(30)
        with self.lock:
            self._run_due(everything=True)
            for n in self.c.nodes.values():
                cl.fw_heal(n)
                if n.stopped:
                    n.signal(signal.SIGCONT)
                    n.stopped = False
                if not n.running():
                    n.start()
            self.expect_down.clear()
            self._check_crashes()
        self.log(f"nemesis t={self.now():.1f}s healed everything")
