"""A restarting broker never acts on metadata it has not caught up with, and
never deletes a log because the metadata does not (yet) know it (issue #12).

Three scenarios, each failing on the code before the fix:

  * held replay: three combined nodes; a topic whose only replica is node 2
    (so node 2 is its sole ISR member) gets acknowledged records; node 2 is
    killed with SIGKILL and restarted with its metadata replay held back for
    a few seconds (the test-only SLUICE_TEST_HOLD_METADATA_REPLAY_MS), so it
    registers with the active controller long before it has replayed the
    topic.  The old broker then trusted an old "unfenced" record of itself,
    opened its listeners and removed the topic's log as stray.  Now every
    acknowledged record is readable afterwards, the segment file is the same
    file (same inode), and no directory was removed or set aside.
  * checkpoints: three nodes, topic t RF 3 with 100 acknowledged records;
    nodes 2 and 3 stopped, node 1 killed and restarted alone (no quorum, so
    nothing is loaded): its high-watermark checkpoint must keep "t 0 100"
    while it runs (the old broker rewrote it empty); killed again and started
    with node 2, it must report the high watermark 100 at once.
  * damaged metadata log: a single node with acknowledged records is
    restarted cleanly (so the tail of its metadata log is its own
    registration), killed, and 20 bytes are cut off the end of the metadata
    log.  After a restart every acknowledged record is readable and no
    partition directory was removed or set aside.
  * damaged topic record: the same cut where the last metadata batch is the
    topic's own creation, so the topic is gone from the metadata.  Its log
    is renamed aside as "<dir>.<uuid>-stray" with every acknowledged record
    in it (the old broker deleted it), and the admin API and /metrics report
    it.

Usage: test_restart_catchup.py path/to/sluice
"""

import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, check, run_tests, wait_until  # noqa: E402

try:
    import kclients
    from confluent_kafka.admin import AdminClient, NewTopic
except ImportError as e:  # python3-confluent-kafka missing
    kclients = None
    IMPORT_ERROR = e

SLUICE = harness.binary_from_argv()
HOLD_MS = 6000


def need_clients():
    if kclients is None:
        raise Skip(f"python3-confluent-kafka not importable: {IMPORT_ERROR}")


def start_cluster(n, overrides=None, name="cc"):
    """n combined broker+controller voters formatted with one cluster id; started and ready."""
    nodes = {i: SluiceNode(SLUICE, name=f"{name}{i}") for i in range(1, n + 1)}
    voters = ",".join(f"{i}@127.0.0.1:{nodes[i].controller_port}" for i in nodes)
    cluster_id = subprocess.run([SLUICE, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    for i, node in nodes.items():
        node.overrides.update({"node.id": str(i), "controller.quorum.voters": voters})
        node.overrides.update(overrides or {})
        fmt = subprocess.run([SLUICE, "format", "--cluster-id", cluster_id,
                              "--override", f"node.id={i}",
                              "--override", f"log.dirs={node.data_dir}",
                              "--override", f"controller.quorum.voters={voters}"],
                             capture_output=True, text=True)
        check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
    for node in nodes.values():
        node.start()
    for node in nodes.values():
        node.wait_ready(90)
    return nodes


def bootstrap(nodes):
    return ",".join(n.bootstrap for n in nodes.values() if n.running())


def wait_brokers(nodes, count):
    def ok():
        md = AdminClient({"bootstrap.servers": bootstrap(nodes)}).list_topics(timeout=5)
        return len(md.brokers) >= count
    wait_until(ok, 90, what=f"{count} brokers registered")


def partition_state(nodes, topic, via):
    md = AdminClient({"bootstrap.servers": nodes[via].bootstrap}).list_topics(topic, timeout=5)
    t = md.topics.get(topic)
    if t is None or t.error is not None:
        return None
    return {p: (pm.leader, sorted(pm.replicas), sorted(pm.isrs)) for p, pm in t.partitions.items()}


def create(nodes, topic, **kw):
    a = AdminClient({"bootstrap.servers": bootstrap(nodes)})
    for _, f in a.create_topics([NewTopic(topic, **kw)], request_timeout=30).items():
        f.result()


def high_watermark(bootstrap_servers, topic, partition):
    """The partition's high watermark from the first node that answers ListOffsets v1
    (latest) without error, else None.  Raw, so no consumer group (and no
    __consumer_offsets) comes into being."""
    body = (harness.i32(-1) + harness.i32(1) + harness.kstring(topic) + harness.i32(1)
            + harness.i32(partition) + harness.i64(-1))
    for addr in bootstrap_servers.split(","):
        host, port = addr.rsplit(":", 1)
        try:
            with harness.KafkaConn(host, int(port), timeout=5) as c:
                r = harness.Reader(c.request(2, 1, body))
        except (OSError, harness.ProtocolError, harness.Closed):
            continue
        for _ in range(r.i32()):
            r.string()
            for _ in range(r.i32()):
                r.i32()
                err, _, offset = r.i16(), r.i64(), r.i64()
                if err == 0:
                    return offset
    return None


def produce_values(bs, topic, count, prefix):
    msgs = [(0, None, f"{prefix}-{i:06d}".encode()) for i in range(count)]
    produced = kclients.produce(bs, topic, msgs)
    check(len(produced.get(0, {})) == count, f"{topic}: {count} acknowledged")
    return produced[0]


def check_readable(bs, topic, produced):
    got = kclients.consume_all(bs, topic, {0: len(produced)}, timeout=90)
    rows = {o: v for o, _, v in got[0]}
    check(rows == produced, f"{topic}: read back {len(rows)} records, "
                            f"{sum(1 for o in produced if rows.get(o) != produced[o])} differ "
                            f"from the {len(produced)} acknowledged")


def segment_inodes(node, topic):
    return {os.path.basename(f): os.stat(f).st_ino
            for f in glob.glob(os.path.join(node.data_dir, f"{topic}-0", "*.log"))}


def log_text(node):
    with open(node.log_path, "rb") as f:
        return f.read().decode(errors="replace")


def no_stray(node, context):
    text = log_text(node)
    check("removing stray" not in text, f"{context}: {node.name} removed a log: stray removal")
    strays = glob.glob(os.path.join(node.data_dir, "*-stray"))
    check(not strays, f"{context}: {node.name} set logs aside as stray: {strays}")


def test_held_replay():
    need_clients()
    nodes = start_cluster(3, {"min.insync.replicas": "1"}, name="held")
    wait_brokers(nodes, 3)
    topic = "solo"
    create(nodes, topic, num_partitions=1, replica_assignment=[[2]])
    wait_until(lambda: (partition_state(nodes, topic, 1) or {}).get(0, (-1,))[0] == 2, 60,
               what="node 2 leads solo-0")
    produced = produce_values(bootstrap(nodes), topic, 500, "held")
    inodes = segment_inodes(nodes[2], topic)
    check(inodes, "node 2 has a segment of solo-0")

    nodes[2].kill9()
    nodes[2].env["SLUICE_TEST_HOLD_METADATA_REPLAY_MS"] = str(HOLD_MS)
    nodes[2].start()
    # It registers with the active controller while its replay is held back.
    wait_until(lambda: "registered as broker 2" in log_text(nodes[2]).split("=== start")[-1],
               60, what="node 2 registered again")
    nodes[2].wait_ready(90)
    wait_until(lambda: (partition_state(nodes, topic, 2) or {}).get(0, (-1,))[0] == 2, 60,
               what="node 2 leads solo-0 again")
    check_readable(nodes[2].bootstrap, topic, produced)
    check(segment_inodes(nodes[2], topic) == inodes,
          f"solo-0's segment files were replaced: {inodes} -> {segment_inodes(nodes[2], topic)}")
    no_stray(nodes[2], "held replay")
    for n in nodes.values():
        n.stop()


def read_checkpoint(node, name="replication-offset-checkpoint"):
    try:
        with open(os.path.join(node.data_dir, name)) as f:
            lines = f.read().split("\n")
    except FileNotFoundError:
        return None
    # version, count, then "topic partition offset" lines
    return {tuple(ln.split()[:2]): int(ln.split()[2]) for ln in lines[2:] if ln.strip()}


def test_checkpoints():
    need_clients()
    nodes = start_cluster(3, {"replica.high.watermark.checkpoint.interval.ms": "500",
                              "min.insync.replicas": "2"}, name="ckpt")
    wait_brokers(nodes, 3)
    topic = "t"
    create(nodes, topic, num_partitions=1, replication_factor=3)
    wait_until(lambda: all(isr == [1, 2, 3] for _, _, isr in
                           (partition_state(nodes, topic, 1) or {0: (0, [], [])}).values()),
               60, what="t-0 fully replicated")
    produced = produce_values(bootstrap(nodes), topic, 100, "ckpt")
    wait_until(lambda: (read_checkpoint(nodes[1]) or {}).get((topic, "0")) == 100, 30,
               what="node 1 checkpoints t 0 100")

    nodes[2].stop(60)
    nodes[3].stop(60)
    rp_name = "recovery-point-offset-checkpoint"
    rp_before = read_checkpoint(nodes[1], rp_name) or {}
    nodes[1].kill9()
    path = os.path.join(nodes[1].data_dir, "replication-offset-checkpoint")
    before = os.stat(path).st_mtime_ns
    nodes[1].start()
    # Alone it has no quorum, so nothing is loaded; wait for two rewrites of the file.
    for _ in range(2):
        wait_until(lambda: os.stat(path).st_mtime_ns != before, 30,
                   what="node 1 rewrites its high-watermark checkpoint")
        before = os.stat(path).st_mtime_ns
    nodes[1].check_alive("running alone")
    check((read_checkpoint(nodes[1]) or {}).get((topic, "0")) == 100,
          f"node 1 alone rewrote its checkpoint without t 0 100: {read_checkpoint(nodes[1])}")

    nodes[1].stop()  # a clean stop writes the recovery points too
    rp_after = read_checkpoint(nodes[1], rp_name) or {}
    check(all(k in rp_after for k in rp_before),
          f"node 1 alone dropped recovery points: {rp_before} -> {rp_after}")
    nodes[1].start()
    nodes[2].start()
    nodes[1].wait_ready(90)
    nodes[2].wait_ready(90)
    bs = f"{nodes[1].bootstrap},{nodes[2].bootstrap}"
    wait_until(lambda: high_watermark(bs, topic, 0) == 100, 60,
               what="the high watermark of t-0 is 100 again")
    check_readable(bs, topic, produced)
    for n in nodes.values():
        if n.running():
            n.stop()


def metadata_log_files(node):
    return sorted(glob.glob(os.path.join(node.data_dir, "__cluster_metadata-0", "*.log")))


def cut_metadata_tail(node, nbytes=20):
    segs = metadata_log_files(node)
    check(segs, "a metadata log segment exists")
    size = os.path.getsize(segs[-1])
    check(size > nbytes, f"{segs[-1]} holds more than {nbytes} bytes")
    with open(segs[-1], "r+b") as f:
        f.truncate(size - nbytes)


def segment_offsets(directory):
    """The offsets covered by the batches in the .log files of `directory`."""
    out = []
    for f in sorted(glob.glob(os.path.join(directory, "*.log"))):
        with open(f, "rb") as fh:
            data = fh.read()
        for b in harness.iter_batches(data):
            out.extend(range(b.base_offset, b.base_offset + b.last_offset_delta + 1))
    return out


def admin_json(node, path):
    import json
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}{path}", timeout=10) as r:
        return json.loads(r.read())


def single_node_with_records(name, topic, count=3000):
    """A dev node with `count` acknowledged records in topic-0: (node, {offset: value})."""
    need_clients()
    node = SluiceNode(SLUICE, name=name)
    node.start_ready()
    kclients.admin_create_topic(node.bootstrap, topic, 1)
    harness.wait_topic_ready(node.bootstrap, topic, 1)
    return node, produce_values(node.bootstrap, topic, count, topic)


def metrics_text(node):
    import urllib.request
    with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/metrics", timeout=10) as r:
        return r.read().decode()


def test_damaged_metadata_log():
    """The damage hits a record after the topic's: everything stays readable."""
    topic = "keep"
    node, produced = single_node_with_records("damaged", topic)
    # A clean restart: the tail of the metadata log is now this restart's registration.
    node.stop()
    node.start_ready()
    wait_until(lambda: high_watermark(node.bootstrap, topic, 0) == 3000, 30,
               what="the restarted node serves keep-0")
    node.kill9()
    cut_metadata_tail(node)
    node.start_ready()
    check_readable(node.bootstrap, topic, produced)
    check(os.path.isdir(os.path.join(node.data_dir, f"{topic}-0")),
          "the partition directory keep-0 is still there")
    no_stray(node, "damaged metadata log")
    node.stop()


def test_damaged_topic_record():
    """The damage takes the topic's own record: its log is set aside, whole, and reported."""
    topic = "orphan"
    node, produced = single_node_with_records("lost-topic", topic)
    node.kill9()
    cut_metadata_tail(node)  # the last batch is the topic's creation
    node.start_ready()
    strays = glob.glob(os.path.join(node.data_dir, f"{topic}-0.*-stray"))
    check(len(strays) == 1, f"orphan-0 set aside once, found {strays} in "
                            f"{os.listdir(node.data_dir)}")
    offsets = segment_offsets(strays[0])
    check(offsets == sorted(produced),
          f"the set-aside log holds {len(offsets)} of the {len(produced)} acknowledged offsets")
    check("removing stray" not in log_text(node), "a log was removed")
    me = [b for b in admin_json(node, "/v1/brokers") if b["node_id"] == 1]
    check(me and me[0].get("stray_logs") == [os.path.basename(strays[0])],
          f"the admin API lists the stray log: {me}")
    check("\nsluice_stray_logs 1\n" in metrics_text(node), "sluice_stray_logs is 1 in /metrics")
    node.stop()


def test_forward_held_without_controller():
    """With no controller known, a CreateTopics sent to a broker is held until one is
    elected and then answered with success (Kafka's ForwardingManager), not
    refused at once with NOT_CONTROLLER.  The metadata leader is the node that
    stays up: with the other two paused it resigns (check-quorum) and knows no
    leader until they come back."""
    import signal
    import threading
    nodes = start_cluster(3, name="hold")
    raft_leader = lambda n: admin_json(n, "/v1/raft/metadata").get("leader_id", -1)  # noqa: E731
    leader = wait_until(lambda: raft_leader(nodes[1]) if raft_leader(nodes[1]) > 0 else None,
                        60, what="a metadata leader")
    keep = nodes[leader]
    paused = [n for i, n in nodes.items() if i != leader]
    for n in paused:
        os.kill(n.pid, signal.SIGSTOP)
    try:
        wait_until(lambda: raft_leader(keep) < 0, 60,
                   what=f"node {leader} knows no metadata leader")
        answer = {}

        def create():
            with keep.conn(timeout=60) as c:
                answer.update(c.create_topics([("held-topic", 1, 1)], timeout_ms=30000))
        t = threading.Thread(target=create)
        t.start()
        wait_until(lambda: 'sluice_purgatory_size{kind="other"} 1' in metrics_text(keep), 30,
                   what=f"node {leader} holds the CreateTopics")
    finally:
        for n in paused:
            os.kill(n.pid, signal.SIGCONT)
    t.join(60)
    check(not t.is_alive(), "CreateTopics was answered once a controller was elected")
    check(answer.get("held-topic", (None,))[0] == 0,
          f"CreateTopics held until a controller was known answers success: {answer}")
    for n in nodes.values():
        n.stop()


if __name__ == "__main__":
    run_tests([("held replay", test_held_replay),
               ("checkpoints", test_checkpoints),
               ("damaged metadata log", test_damaged_metadata_log),
               ("damaged topic record", test_damaged_topic_record),
               ("forward held without a controller", test_forward_held_without_controller)],
              keep_going=lambda: True)
