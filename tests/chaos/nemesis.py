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
  disk            (opt-in) writes or fsyncs of one node fail with EIO/ENOSPC
                  (faultfs shim) for a while; then the fault is removed and the
                  node restarted, as an operator would (its log dir stays
                  offline until a restart).  A node that exits with status 1
                  meanwhile (a failed metadata-log/quorum-state write is fatal
                  by design) is an expected exit, restarted at the same time
  clock           (opt-in) one node's wall clock stepped by +-30 s .. 10 min
                  (libfaketime; CLOCK_MONOTONIC untouched), then back to +0

Process faults (kill*, pause, disk) never overlap each other, so at most one of
the three processes is down or frozen at a time; one network fault may be
active on top of that.  One clock step may overlap both.  heal_all() ends every fault at once.  A node that
exits on its own is recorded as a crash and restarted.
"""

import collections
import os
import signal
import threading
import time

import cluster as cl

PROCESS_FAULTS = ("kill", "kill_leader", "kill_controller", "pause")
NET_FAULTS = ("isolate", "bridge", "oneway")
DISK_FAULTS = ("disk",)    # needs the nodes started with the faultfs shim
CLOCK_FAULTS = ("clock",)  # needs the nodes started under libfaketime
DEFAULT_KINDS = PROCESS_FAULTS + NET_FAULTS
ALL_KINDS = DEFAULT_KINDS + DISK_FAULTS + CLOCK_FAULTS


def disk_rules(data_dir, target, err):
    """faultfs control-file lines for one disk fault.  segments: writes to
    every segment file (<20 digits>.log, the metadata log's too, not node.log);
    partitions: any write under the chaos topics' partition directories;
    fsync: every fsync/fdatasync under the data dir."""
    if target == "segments":
        return [f"write {d}.log {err}" for d in range(10)]
    if target == "partitions":
        return [f"write {data_dir}/chaos- {err}"]
    return [f"sync {data_dir}/ {err}"]


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
        self.clock_busy = False    # a node's clock is stepped
        self.disk_faulted = set()  # nodes with an armed disk fault
        self.expected_exits = []   # [{t, node, status}] status-1 exits under a disk fault
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

    def _disk(self, node_id):
        n = self.c.nodes[node_id]
        if not n.running():
            return False
        dur = self.rng.uniform(2.0, 15.0)
        target = self.rng.choice(("segments", "partitions", "fsync"))
        err = "EIO" if target == "fsync" else self.rng.choice(("EIO", "ENOSPC"))
        rules = disk_rules(n.data_dir, target, err)
        with open(n.faultfs_ctl + ".tmp", "w") as f:
            f.write("".join(r + "\n" for r in rules))
        n.note(f"disk fault armed: {target} {err}")
        os.replace(n.faultfs_ctl + ".tmp", n.faultfs_ctl)
        self.disk_faulted.add(node_id)
        self._record("disk", [node_id], dur, {"target": target, "errno": err})
        self.process_busy = True

        def disarm_and_restart():
            try:
                os.unlink(n.faultfs_ctl)
            except FileNotFoundError:
                pass
            n.note("disk fault disarmed; restarting the node (kill -9 + start)")
            n.kill9()
            self.disk_faulted.discard(node_id)
            self.expect_down.discard(node_id)
            n.start()
            self.process_busy = False
        self._schedule(dur, f"disarm disk fault, restart node {node_id}", disarm_and_restart)
        return True

    def _clock(self, node_id):
        n = self.c.nodes[node_id]
        offset = int(self.rng.uniform(30, 600)) * self.rng.choice((1, -1))
        dur = self.rng.uniform(5.0, 30.0)
        n.note(f"clock stepped by {offset:+d}s")
        n.set_clock(offset)
        self._record("clock", [node_id], dur, {"offset_s": offset})
        self.clock_busy = True

        def back():
            n.set_clock(0)
            n.note("clock back to +0")
            self.clock_busy = False
        self._schedule(dur, f"clock of node {node_id} back to +0", back)
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
                    ((k in PROCESS_FAULTS or k in DISK_FAULTS) and not self.process_busy) or
                    (k in CLOCK_FAULTS and not self.clock_busy)]
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
        elif kind == "disk":
            self._disk(node)
        elif kind == "clock":
            self._clock(node)
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
            if rc == 1 and i in self.disk_faulted:
                # A failed metadata write is fatal by design: restarted when disarmed.
                self.expected_exits.append({"t": self.now(), "node": i, "status": rc})
                self.expect_down.add(i)
                self.log(f"nemesis t={self.now():.1f}s node {i} exited with status 1 "
                         f"under its disk fault (expected); restart when disarmed")
                n.note("exited with status 1 under the disk fault (expected)")
                continue
            if rc is not None:
                self.crashes.append({"t": self.now(), "node": i, "status": rc})
                later = i in self.disk_faulted
                self.log(f"nemesis t={self.now():.1f}s node {i} EXITED on its own "
                         f"(status {rc}); " + ("restart when its disk fault is disarmed"
                                               if later else "restarting"))
                n.note(f"exited on its own with status {rc}")
                n.kill9()
                if later:
                    self.expect_down.add(i)
                else:
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
                if self.c.faketime:
                    n.set_clock(0)
                if n.stopped:
                    n.signal(signal.SIGCONT)
                    n.stopped = False
                if not n.running():
                    n.start()
            self.expect_down.clear()
            self._check_crashes()
        self.log(f"nemesis t={self.now():.1f}s healed everything")
