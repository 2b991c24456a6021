"""A three-node Sluice cluster with each node in its own network namespace
(fault-injection suite, issue 15).

Layout of one run (tag = 6 random hex digits, k = a free 10.213.k.0/24):

    root namespace                 slc-<tag>-hub               slc-<tag>-n<i>
    slc<tag>r 10.213.k.254/24 ---- slc<tag>h -+- bridge -+- slc<tag>n<i> ---- eth0 10.213.k.<i>/24

The bridge lives in a namespace of its own, so the root namespace's
firewall (FORWARD policy, br_netfilter) never sees node-to-node traffic and
nothing is added to the root namespace's iptables.  Clients run in the root
namespace and reach the nodes through slc<tag>r.  Every address used here is
one this module assigned to an interface it created.

Each node is `ip netns exec slc-<tag>-n<i> sluice server` (ip execs sluice,
so the pid we hold is sluice's own): Kafka on :9092, CONTROLLER on :9093 and
the admin HTTP API on :9644 of its namespace address.

Cleanup (processes by pid, namespaces, the root veth) runs at exit, on
SIGINT/SIGTERM and on failure.  From setup until release() the subnet has
a blackhole route under the connected one, so nothing sent to it ever
leaves through the default route.  Runs whose owner process is gone (state file
/run/sluice-chaos/<tag>.pid: "pid subnet") are removed first.
"""

import atexit
import glob
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time

NS_PREFIX = "slc-"
STATE_DIR = "/run/sluice-chaos"
KAFKA_PORT, CONTROLLER_PORT, ADMIN_PORT = 9092, 9093, 9644
NODE_IDS = (1, 2, 3)


def sh(*args, check=True):
    """Run a command (list of words); raise with its output on failure when check."""
    r = subprocess.run(list(args), capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def ns_exec(ns, *args, check=True):
    return sh("ip", "netns", "exec", ns, *args, check=check)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def netns_list():
    r = sh("ip", "netns", "list", check=False)
    return [line.split()[0] for line in r.stdout.splitlines() if line.strip()]


def _state_path(tag):
    return os.path.join(STATE_DIR, f"{tag}.pid")


def _read_state(tag):
    """(owner pid, subnet) from the state file of run `tag`, or (None, None)."""
    try:
        with open(_state_path(tag)) as f:
            words = f.read().split()
        return int(words[0]), (words[1] if len(words) > 1 else None)
    except (OSError, ValueError, IndexError):
        return None, None


def _blackhole(subnet, add):
    """While a run tears down, its subnet is routed nowhere (metric 4242), so a
    client that is still retrying never sends to those addresses through the
    default route."""
    sh("ip", "route", "add" if add else "del", "blackhole", f"{subnet}.0/24", "metric", "4242",
       check=False)


def release(tag):
    """Last step of a run, once no client is left: drop the blackhole route and
    the state file."""
    _, subnet = _read_state(tag)
    if subnet:
        _blackhole(subnet, False)
    try:
        os.unlink(_state_path(tag))
    except FileNotFoundError:
        pass


def _remove_run(tag):
    """Remove the network of run `tag`: processes in its namespaces (by pid),
    the namespaces (their veths go with them) and the root veth; its subnet is
    blackholed until release(tag)."""
    _, subnet = _read_state(tag)
    if subnet:
        _blackhole(subnet, True)
    for ns in netns_list():
        if ns.startswith(f"{NS_PREFIX}{tag}-"):
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for p in pids:
                try:
                    os.kill(int(p), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "del", ns, check=False)
    sh("ip", "link", "del", f"slc{tag}r", check=False)


def clean_stale_runs(log=print):
    """Remove namespaces of earlier runs whose owning process has exited."""
    tags = set()
    for ns in netns_list():
        m = re.match(rf"^{re.escape(NS_PREFIX)}([0-9a-f]{{6}})-", ns)
        if m:
            tags.add(m.group(1))
    for f in glob.glob(os.path.join(STATE_DIR, "*.pid")):
        tags.add(os.path.basename(f)[:-4])
    for tag in sorted(tags):
        owner, _ = _read_state(tag)
        if owner and owner != os.getpid() and pid_alive(owner):
            continue
        log(f"chaos: removing stale run {tag} (owner {owner} gone)")
        _remove_run(tag)
        release(tag)


def preflight():
    """None when this process can build namespaces, else a reason to skip."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, iptables)"
    for tool in ("ip", "iptables"):
        if not shutil.which(tool):
            return f"needs `{tool}` on PATH"
    probe = f"{NS_PREFIX}probe{os.getpid()}"
    r = sh("ip", "netns", "add", probe, check=False)
    if r.returncode != 0:
        return f"cannot create a network namespace: {r.stderr.strip()}"
    try:
        r = ns_exec(probe, "iptables", "-S", check=False)
        if r.returncode != 0:
            return f"iptables does not work inside a namespace: {r.stderr.strip()}"
    finally:
        sh("ip", "netns", "del", probe, check=False)
    return None


class Node:
    """One `sluice server` in namespace `ns` at address `ip`."""

    def __init__(self, cluster, node_id):
        self.cluster = cluster
        self.id = node_id
        self.ns = f"{NS_PREFIX}{cluster.tag}-n{node_id}"
        self.ip = f"{cluster.subnet}.{node_id}"
        self.dir = os.path.join(cluster.workdir, f"node{node_id}")
        self.data_dir = os.path.join(self.dir, "data")
        self.log_path = os.path.join(self.dir, "node.log")
        self.faultfs_ctl = os.path.join(self.dir, "faultfs.ctl")  # disk faults while it exists
        self.clock_file = os.path.join(self.dir, "faketime")  # libfaketime offset, "+0"
        self.proc = None
        self.stopped = False  # SIGSTOPped by the nemesis
        self._logf = None
        os.makedirs(self.dir, exist_ok=True)

    @property
    def bootstrap(self):
        return f"{self.ip}:{KAFKA_PORT}"

    @property
    def admin_url(self):
        return f"http://{self.ip}:{ADMIN_PORT}"

    def overrides(self):
        return {
            "node.id": str(self.id),
            "log.dirs": self.data_dir,
            "listeners": f"PLAINTEXT://{self.ip}:{KAFKA_PORT},CONTROLLER://{self.ip}:{CONTROLLER_PORT}",
            "advertised.listeners": f"PLAINTEXT://{self.ip}:{KAFKA_PORT}",
            "controller.quorum.voters": self.cluster.voters,
            "admin.listener": f"{self.ip}:{ADMIN_PORT}",
            "min.insync.replicas": "2",
            "default.replication.factor": "3",
            "replica.lag.time.max.ms": "6000",
        }

    def environment(self):
        """Extra environment of the server: the preloaded fault shims (faultfs
        for disk faults, libfaketime for clock steps) and their control files."""
        env, preload = {}, []
        c = self.cluster
        if c.faultfs:
            preload.append(c.faultfs)
            env["SLUICE_FAULTFS"] = self.faultfs_ctl
            env["ASAN_OPTIONS"] = ":".join(
                x for x in (os.environ.get("ASAN_OPTIONS"), "verify_asan_link_order=0") if x)
        if c.faketime:
            preload.append(c.faketime)
            # The wall clock only (an NTP step), re-read from the file each second.
            env.update({"FAKETIME_TIMESTAMP_FILE": self.clock_file,
                        "FAKETIME_CACHE_DURATION": "1", "DONT_FAKE_MONOTONIC": "1"})
        if preload:
            env["LD_PRELOAD"] = " ".join(preload)
        return env

    def set_clock(self, offset):
        """Step this node's wall clock to real time + offset seconds (libfaketime)."""
        tmp = self.clock_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{offset:+d}s\n" if offset else "+0\n")
        os.replace(tmp, self.clock_file)

    def command(self):
        cmd = ["ip", "netns", "exec", self.ns]
        env = self.environment()
        if env:  # env execs sluice, so the pid we hold stays sluice's own
            cmd += ["env"] + [f"{k}={v}" for k, v in env.items()]
        cmd += [self.cluster.binary, "server"]
        for k, v in self.overrides().items():
            cmd += ["--override", f"{k}={v}"]
        return cmd

    def format(self, cluster_id):
        o = self.overrides()
        r = sh(self.cluster.binary, "format", "--cluster-id", cluster_id,
               "--override", f"node.id={self.id}", "--override", f"log.dirs={self.data_dir}",
               "--override", f"controller.quorum.voters={o['controller.quorum.voters']}",
               "--override", f"listeners={o['listeners']}", check=False)
        if r.returncode != 0:
            raise RuntimeError(f"format node {self.id}: {r.stdout}{r.stderr}")

    def note(self, text):
        """Append a marker line to node.log (the nemesis marks its faults)."""
        with open(self.log_path, "ab") as f:
            f.write(f"=== chaos {time.strftime('%H:%M:%S')} {text}\n".encode())

    def start(self):
        if self.running() or self.cluster.closing:
            return
        self._logf = open(self.log_path, "ab")
        self._logf.write(f"=== start {time.strftime('%H:%M:%S')}\n".encode())
        self._logf.flush()
        self.proc = subprocess.Popen(self.command(), stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir)
        self.stopped = False

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    @property
    def pid(self):
        return self.proc.pid if self.running() else None

    def signal(self, sig):
        if self.running():
            self.proc.send_signal(sig)

    def kill9(self):
        if self.proc is not None and self.proc.poll() is None:
            if self.stopped:
                self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()
        self.stopped = False
        if self._logf:
            self._logf.write(f"=== killed {time.strftime('%H:%M:%S')}\n".encode())
            self._logf.close()
            self._logf = None

    def stop(self, deadline=30):
        """SIGTERM, wait, SIGKILL if it does not exit."""
        if not self.running():
            return
        if self.stopped:
            self.proc.send_signal(signal.SIGCONT)
            self.stopped = False
        self.proc.terminate()
        try:
            self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            pass
        self.kill9()


class Cluster:
    """Three combined broker+controller nodes, one namespace each."""

    def __init__(self, binary, workdir, log=print, faultfs=None, faketime=None):
        self.binary = os.path.abspath(binary)
        self.faultfs = faultfs    # path of libsluice_faultfs.so to preload, or None
        self.faketime = faketime  # path of libfaketime.so.1 to preload, or None
        self.workdir = workdir
        self.log = log
        self.tag = "%06x" % random.SystemRandom().randrange(1 << 24)
        self.subnet = None
        self.nodes = {}
        self.voters = ""
        self.hub = f"{NS_PREFIX}{self.tag}-hub"
        self.root_if = f"slc{self.tag}r"
        self._cleaned = False
        self.closing = False  # set first by cleanup(): no node starts after it

    # -- network --------------------------------------------------------

    def _pick_subnet(self):
        used = sh("ip", "-4", "addr", "show").stdout + sh("ip", "-4", "route", "show").stdout
        ks = list(range(1, 251))
        random.SystemRandom().shuffle(ks)
        for k in ks:
            if f"10.213.{k}." not in used:
                return f"10.213.{k}"
        raise RuntimeError("no free 10.213.k.0/24 subnet")

    def setup_network(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        self.subnet = self._pick_subnet()
        with open(_state_path(self.tag), "w") as f:
            f.write(f"{os.getpid()} {self.subnet}\n")
        # From the first moment to release(), the subnet has a blackhole route under the
        # connected one, so nothing sent to it can ever leave through the default route
        # (if the root veth goes away early, for instance).
        _blackhole(self.subnet, True)
        t = self.tag
        sh("ip", "netns", "add", self.hub)
        ns_exec(self.hub, "ip", "link", "set", "lo", "up")
        ns_exec(self.hub, "ip", "link", "add", "br0", "type", "bridge")
        ns_exec(self.hub, "ip", "link", "set", "br0", "up")
        # root <-> hub
        sh("ip", "link", "add", self.root_if, "type", "veth", "peer", "name", f"slc{t}h")
        sh("ip", "link", "set", f"slc{t}h", "netns", self.hub)
        ns_exec(self.hub, "ip", "link", "set", f"slc{t}h", "master", "br0")
        ns_exec(self.hub, "ip", "link", "set", f"slc{t}h", "up")
        sh("ip", "addr", "add", f"{self.subnet}.254/24", "dev", self.root_if)
        sh("ip", "link", "set", self.root_if, "up")
        for i in NODE_IDS:
            ns = f"{NS_PREFIX}{t}-n{i}"
            sh("ip", "netns", "add", ns)
            ns_exec(ns, "ip", "link", "set", "lo", "up")
            sh("ip", "link", "add", f"slc{t}n{i}", "type", "veth", "peer", "name", f"slc{t}e{i}")
            sh("ip", "link", "set", f"slc{t}n{i}", "netns", self.hub)
            ns_exec(self.hub, "ip", "link", "set", f"slc{t}n{i}", "master", "br0")
            ns_exec(self.hub, "ip", "link", "set", f"slc{t}n{i}", "up")
            sh("ip", "link", "set", f"slc{t}e{i}", "netns", ns)
            ns_exec(ns, "ip", "link", "set", f"slc{t}e{i}", "name", "eth0")
            ns_exec(ns, "ip", "addr", "add", f"{self.subnet}.{i}/24", "dev", "eth0")
            ns_exec(ns, "ip", "link", "set", "eth0", "up")
        self.log(f"chaos: run {t}: namespaces {NS_PREFIX}{t}-n1..n3, subnet {self.subnet}.0/24")

    # -- nodes ------------------------------------------------------------

    def start(self):
        """Build the network, format and start the three nodes (no waiting)."""
        atexit.register(self.cleanup)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        self.setup_network()
        self.voters = ",".join(f"{i}@{self.subnet}.{i}:{CONTROLLER_PORT}" for i in NODE_IDS)
        self.nodes = {i: Node(self, i) for i in NODE_IDS}
        cluster_id = sh(self.binary, "random-uuid").stdout.strip()
        for n in self.nodes.values():
            n.format(cluster_id)
            if self.faketime:
                n.set_clock(0)
        for n in self.nodes.values():
            n.start()

    def bootstrap(self):
        return ",".join(n.bootstrap for n in self.nodes.values())

    def live(self):
        return [i for i, n in self.nodes.items() if n.running() and not n.stopped]

    def _on_signal(self, signum, frame):
        # Clients may still be running: the subnet stays blackholed (the next
        # run's clean_stale_runs or `cluster.py clean` drops the route).
        self.log(f"chaos: signal {signum}: cleaning up")
        self.cleanup()
        os._exit(130 if signum == signal.SIGINT else 143)

    def cleanup(self):
        """Kill the nodes and remove the network (call release() after the
        last client is gone)."""
        if self._cleaned:
            return
        self._cleaned = True
        self.closing = True
        for n in self.nodes.values():
            try:
                n.kill9()
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        _remove_run(self.tag)


# -- iptables inside node namespaces (the nemesis's partitions) --------------

CHAIN = "SLCHAOS"


def fw_init(node):
    """Create our chain in the node's namespace and hook it into INPUT/OUTPUT."""
    ns_exec(node.ns, "iptables", "-N", CHAIN)
    ns_exec(node.ns, "iptables", "-I", "INPUT", "-j", CHAIN)
    ns_exec(node.ns, "iptables", "-I", "OUTPUT", "-j", CHAIN)


def fw_drop_from(node, peer_ip):
    """Node stops receiving packets from peer_ip."""
    ns_exec(node.ns, "iptables", "-A", CHAIN, "-s", peer_ip, "-j", "DROP")


def fw_drop_to(node, peer_ip):
    """Node stops sending packets to peer_ip."""
    ns_exec(node.ns, "iptables", "-A", CHAIN, "-d", peer_ip, "-j", "DROP")


def fw_heal(node):
    ns_exec(node.ns, "iptables", "-F", CHAIN, check=False)


def fw_rules(node):
    return ns_exec(node.ns, "iptables", "-S", CHAIN, check=False).stdout


if __name__ == "__main__":  # `cluster.py clean`: remove stale runs by hand
    if sys.argv[1:] == ["clean"]:
        clean_stale_runs()
    else:
        print("usage: cluster.py clean", file=sys.stderr)
        sys.exit(2)
