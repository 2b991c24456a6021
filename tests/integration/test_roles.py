"""process.roles: a controller-only node and a broker-only node (KIP-500).

Node 1 runs process.roles=controller: the single voter of the metadata quorum,
with a CONTROLLER listener and no Kafka client listener.  Node 2 runs
process.roles=broker: an observer of the quorum that registers with the
controller over the network and serves clients.  A topic created through the
broker (forwarded to the controller), records produced and consumed through
it, and DescribeQuorum listing node 2 as an observer show both roles work.
"""

import json
import subprocess
import sys
import urllib.request

import harness
from harness import SluiceNode, check, wait_until


def main():
    sluice = sys.argv[1]
    ctl = SluiceNode(sluice, name="controller1")
    brk = SluiceNode(sluice, name="broker2")
    voters = f"1@127.0.0.1:{ctl.controller_port}"
    cluster_id = subprocess.run([sluice, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    ctl.overrides.update({"node.id": "1", "process.roles": "controller",
                          "controller.quorum.voters": voters,
                          "listeners": f"CONTROLLER://127.0.0.1:{ctl.controller_port}"})
    brk.overrides.update({"node.id": "2", "process.roles": "broker",
                          "controller.quorum.voters": voters,
                          "listeners": f"PLAINTEXT://127.0.0.1:{brk.kafka_port}"})
    for n in (ctl, brk):
        args = [sluice, "format", "--cluster-id", cluster_id]
        for k, v in list(n.overrides.items()) + [("log.dirs", n.data_dir)]:
            args += ["--override", f"{k}={v}"]
        out = subprocess.run(args, capture_output=True, text=True)
        check(out.returncode == 0, f"format {n.name}: {out.stdout}{out.stderr}")

    def step_start():
        ctl.start()
        brk.start()
        brk.wait_ready()
        wait_until(lambda: len(brk.conn().metadata([])["brokers"]) == 1, 30,
                   what="the broker-only node in Metadata")

    def step_no_broker_on_controller():
        ctl.check_alive()
        with urllib.request.urlopen(f"http://127.0.0.1:{ctl.admin_port}/v1/brokers",
                                    timeout=5) as r:
            brokers = json.loads(r.read())
        ids = sorted(b["node_id"] for b in brokers)
        check(ids == [2], f"registered brokers {ids}: the controller-only node 1 must not "
              f"register a broker")

    def step_data_through_broker():
        out = subprocess.run([sluice, "topic", "create", "-b", brk.bootstrap, "roles", "-p", "2"],
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"topic create through the broker: {out.stdout}{out.stderr}")
        data = "".join(f"v{i}\n" for i in range(100))
        out = subprocess.run([sluice, "produce", "-b", brk.bootstrap, "roles"], input=data,
                             capture_output=True, text=True, timeout=60)
        check(out.returncode == 0, f"produce: {out.stderr}")
        out = subprocess.run([sluice, "consume", "-b", brk.bootstrap, "roles",
                              "--from-beginning", "-n", "100"], capture_output=True, text=True,
                             timeout=60)
        got = sorted(out.stdout.split())
        check(got == sorted(f"v{i}" for i in range(100)), f"consumed {len(got)} records")

    def step_observer_in_quorum():
        out = subprocess.run([sluice, "cluster", "quorum", "--replication",
                              "--bootstrap-controller", f"127.0.0.1:{ctl.controller_port}"],
                             capture_output=True, text=True, timeout=30)
        rows = {int(r.split()[0]): r.split()[-1] for r in out.stdout.splitlines()[1:] if r.strip()}
        check(rows == {1: "Leader", 2: "Observer"}, f"DescribeQuorum rows: {out.stdout!r}")

    harness.run_tests([
        ("a controller-only voter and a broker-only observer start", step_start),
        ("the controller-only node registers no broker", step_no_broker_on_controller),
        ("topics and records through the broker-only node", step_data_through_broker),
        ("the broker-only node is an observer of the quorum", step_observer_in_quorum),
    ])


if __name__ == "__main__":
    main()
