"""DescribeLogDirs (35) and DescribeProducers (61), the read APIs admin tools
call (issue 19 item 4), in raw frames against a single node.

An idempotent confluent-kafka producer (Debian's, enable.idempotence) sends
N records to partition 0 of a topic; then:
  * ApiVersions advertises DescribeLogDirs 0-4 and DescribeProducers 0;
  * DescribeProducers v0 lists the producer id found in the partition's
    batch headers, with last_sequence N-1, its epoch, a last_timestamp, and
    coordinator_epoch / current_txn_start_offset -1; partition 1 (no
    producer) lists none; an out-of-range partition and an unknown topic
    answer UNKNOWN_TOPIC_OR_PARTITION; an illegal name (with a NUL byte)
    INVALID_TOPIC_EXCEPTION;
  * DescribeLogDirs v1 (classic) and v4 (flexible, volume sizes) list the
    log dir with partition 0 sized exactly as the sum of its .log segment
    files, lag 0, not future; null topics lists every partition; partitions
    not hosted here are left out.
  * on a two-node cluster, a topic with replication factor 2: the follower
    answers DescribeProducers NOT_LEADER_OR_FOLLOWER and lists its replica
    in DescribeLogDirs (lag 0 once caught up, size equal to its own .log
    files); the leader lists the producer.

Usage: test_describe_apis.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (ERR_NONE, KafkaConn, Reader, SluiceNode, Skip, check,  # noqa: E402
                     i32, karray, kstring, segment_batches)

API_DESCRIBE_LOG_DIRS, API_DESCRIBE_PRODUCERS = 35, 61
ERR_UNKNOWN_TOPIC_OR_PARTITION, ERR_NOT_LEADER_OR_FOLLOWER, ERR_INVALID_TOPIC = 3, 6, 17
TOPIC = "described"
N = 25

node = None


def conn(n=None):
    return KafkaConn("127.0.0.1", (n or node).kafka_port, timeout=60)


# -- flexible (compact) encoding -------------------------------------------


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def cstring(s):
    b = s.encode() if isinstance(s, str) else s
    return uvarint(len(b) + 1) + b


def carray(items, enc):
    if items is None:
        return b"\x00"
    return uvarint(len(items) + 1) + b"".join(enc(x) for x in items)


class FlexReader(Reader):
    def uvarint(self):
        v = shift = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if b < 0x80:
                return v
            shift += 7

    def cstring(self):
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1).decode(errors="replace")

    def carray(self, fn):
        n = self.uvarint()
        if n == 0:
            return None
        return [fn() for _ in range(n - 1)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


# -- requests ---------------------------------------------------------------


def describe_producers(topics, n=None):
    """topics: [(name str|bytes, [partition])].  Returns {(name, p): (err, msg, [producer])}."""
    body = carray(topics, lambda t: cstring(t[0]) + carray(t[1], i32) + b"\x00") + b"\x00"
    with conn(n) as c:
        r = FlexReader(c.request(API_DESCRIBE_PRODUCERS, 0, body, flexible_header=True))
    r.tags()  # response header v1
    r.i32()  # throttle_time_ms
    out = {}

    def producer():
        p = dict(producer_id=r.i64(), producer_epoch=r.i32(), last_sequence=r.i32(),
                 last_timestamp=r.i64(), coordinator_epoch=r.i32(),
                 current_txn_start_offset=r.i64())
        r.tags()
        return p

    def topic():
        name = r.cstring()

        def part():
            idx, err, msg = r.i32(), r.i16(), r.cstring()
            prods = r.carray(producer)
            r.tags()
            out[(name, idx)] = (err, msg, prods)
        r.carray(part)
        r.tags()
    r.carray(topic)
    r.tags()
    check(r.remaining() == 0, f"DescribeProducers: {r.remaining()} bytes after the body")
    return out


def describe_log_dirs(version, topics, n=None):
    """topics: None (all) or [(name, [partition])].  Returns (top error, [dir dict])."""
    flex = version >= 2
    if flex:
        body = carray(topics, lambda t: cstring(t[0]) + carray(t[1], i32) + b"\x00") + b"\x00"
    else:
        body = karray(topics, lambda t: kstring(t[0]) + karray(t[1], i32))
    with conn(n) as c:
        raw = c.request(API_DESCRIBE_LOG_DIRS, version, body, flexible_header=flex)
    r = FlexReader(raw)
    if flex:
        r.tags()
    arr = r.carray if flex else r.array
    string = r.cstring if flex else r.string
    r.i32()
    top_err = r.i16() if version >= 3 else 0

    def part():
        p = dict(partition=r.i32(), size=r.i64(), lag=r.i64(), future=r.i8())
        if flex:
            r.tags()
        return p

    def topic():
        t = (string(), arr(part))
        if flex:
            r.tags()
        return t

    def result():
        d = dict(error=r.i16(), log_dir=string(), topics=dict(arr(topic)))
        if version >= 4:
            d["total_bytes"], d["usable_bytes"] = r.i64(), r.i64()
        if flex:
            r.tags()
        return d
    results = arr(result)
    if flex:
        r.tags()
    check(r.remaining() == 0, f"DescribeLogDirs v{version}: {r.remaining()} bytes after the body")
    return top_err, results


def log_files_size(partition, n=None, topic=TOPIC):
    files = glob.glob(os.path.join((n or node).data_dir, f"{topic}-{partition}", "*.log"))
    check(files, f"no .log segment of {topic}-{partition}")
    return sum(os.path.getsize(f) for f in files)


# -- cases ------------------------------------------------------------------


def setup():
    global node
    try:
        import kclients  # noqa: F401 - Debian's confluent-kafka, /usr/bin/python3 only
    except ImportError as e:
        raise Skip(f"confluent-kafka not importable: {e}")
    node = SluiceNode(harness.binary_from_argv())
    node.start_ready()
    harness.create_topic(node.bootstrap, TOPIC, 2)


def case_api_versions():
    with conn() as c:
        err, apis = c.api_versions()
    check(err == ERR_NONE, f"ApiVersions error {err}")
    check(apis.get(API_DESCRIBE_LOG_DIRS) == (0, 4),
          f"DescribeLogDirs advertised {apis.get(API_DESCRIBE_LOG_DIRS)}, expected (0, 4)")
    check(apis.get(API_DESCRIBE_PRODUCERS) == (0, 0),
          f"DescribeProducers advertised {apis.get(API_DESCRIBE_PRODUCERS)}, expected (0, 0)")


def case_idempotent_produce():
    import kclients
    kclients.produce(node.bootstrap, TOPIC, [(0, None, b"v%d" % i) for i in range(N)],
                     conf={"enable.idempotence": True})


def case_describe_producers():
    _, batches = segment_batches(node.data_dir, TOPIC, 0)
    check(batches, "no batch on disk")
    last = batches[-1]
    check(last.producer_id >= 0, f"the batches carry no producer id: {last}")
    res = describe_producers([(TOPIC, [0, 1, 7]), ("no-such-topic", [0]), (b"a\x00b", [0])])
    print(f"  {res}")
    err, msg, prods = res[(TOPIC, 0)]
    check(err == ERR_NONE and msg is None, f"partition 0: error {err} ({msg})")
    check(len(prods) == 1, f"partition 0: expected one producer, got {prods}")
    p = prods[0]
    check(p["producer_id"] == last.producer_id,
          f"producer id {p['producer_id']}, the log says {last.producer_id}")
    check(p["producer_epoch"] == last.producer_epoch,
          f"producer epoch {p['producer_epoch']}, the log says {last.producer_epoch}")
    check(p["last_sequence"] == N - 1, f"last_sequence {p['last_sequence']}, expected {N - 1}")
    check(p["last_sequence"] == last.base_sequence + last.record_count - 1,
          f"last_sequence {p['last_sequence']} disagrees with the last batch {last}")
    check(p["last_timestamp"] > 0, f"last_timestamp {p['last_timestamp']}")
    check(p["coordinator_epoch"] == -1 and p["current_txn_start_offset"] == -1,
          f"no transactions: coordinator_epoch and current_txn_start_offset must be -1: {p}")
    err, _, prods = res[(TOPIC, 1)]
    check(err == ERR_NONE and prods == [], f"partition 1: error {err}, producers {prods}")
    check(res[(TOPIC, 7)][0] == ERR_UNKNOWN_TOPIC_OR_PARTITION,
          f"partition 7: error {res[(TOPIC, 7)][0]}")
    check(res[("no-such-topic", 0)][0] == ERR_UNKNOWN_TOPIC_OR_PARTITION,
          f"unknown topic: {res[('no-such-topic', 0)]}")
    bad = [v for k, v in res.items() if k[0] not in (TOPIC, "no-such-topic")]
    check(len(bad) == 1 and bad[0][0] == ERR_INVALID_TOPIC and bad[0][1],
          f"a name with a NUL byte: expected INVALID_TOPIC_EXCEPTION with a message, got {bad}")


def check_dir(d, version, want):
    check(d["error"] == ERR_NONE, f"v{version}: log dir error {d['error']}")
    check(os.path.realpath(d["log_dir"]) == os.path.realpath(node.data_dir),
          f"v{version}: log dir {d['log_dir']}, expected {node.data_dir}")
    check(os.path.isabs(d["log_dir"]), f"v{version}: log dir {d['log_dir']} is not absolute")
    got = {p["partition"]: p for p in d["topics"].get(TOPIC, [])}
    check(sorted(got) == want, f"v{version}: partitions {sorted(got)}, expected {want}")
    size = log_files_size(0)
    check(got[0]["size"] == size, f"v{version}: partition 0 size {got[0]['size']}, "
                                  f"the .log files hold {size}")
    check(size > 0, "partition 0 is empty")
    for p in got.values():
        check(p["lag"] == 0 and p["future"] == 0, f"v{version}: leader partition {p}")
    if version >= 4:
        check(d["total_bytes"] > 0 and 0 <= d["usable_bytes"] <= d["total_bytes"],
              f"v4: total_bytes {d['total_bytes']}, usable_bytes {d['usable_bytes']}")


def case_describe_log_dirs():
    for version in (1, 4):
        err, dirs = describe_log_dirs(version, [(TOPIC, [0, 0, 9]), ("no-such-topic", [0])])
        print(f"  v{version}: {dirs}")
        check(err == ERR_NONE, f"v{version}: top-level error {err}")
        check(len(dirs) == 1, f"v{version}: expected one log dir, got {dirs}")
        check(set(dirs[0]["topics"]) == {TOPIC}, f"v{version}: topics {dirs[0]['topics']}")
        check_dir(dirs[0], version, [0])
        err, dirs = describe_log_dirs(version, None)
        check(len(dirs) == 1, f"v{version} (all): expected one log dir, got {dirs}")
        check_dir(dirs[0], version, [0, 1])


def case_describe_log_dirs_other_versions():
    for version in (0, 2, 3):
        err, dirs = describe_log_dirs(version, [(TOPIC, [0])])
        check(err == ERR_NONE and len(dirs) == 1, f"v{version}: error {err}, dirs {dirs}")
        check_dir(dirs[0], version, [0])


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM at the end: exit status {rc}, expected 0")


def case_follower():
    """Two combined nodes; RF 2 topic; the follower's view of both APIs."""
    import kclients
    binary = harness.binary_from_argv()
    nodes = {i: SluiceNode(binary, name=f"node{i}") for i in (1, 2)}
    voters = ",".join(f"{i}@127.0.0.1:{n.controller_port}" for i, n in nodes.items())
    cluster_id = subprocess.run([binary, "random-uuid"], capture_output=True, text=True,
                                check=True).stdout.strip()
    for i, n in nodes.items():
        n.overrides.update({"node.id": str(i), "controller.quorum.voters": voters})
        fmt = subprocess.run([binary, "format", "--cluster-id", cluster_id,
                              "--override", f"node.id={i}", "--override", f"log.dirs={n.data_dir}",
                              "--override", f"controller.quorum.voters={voters}"],
                             capture_output=True, text=True)
        check(fmt.returncode == 0, f"format node {i}: {fmt.stdout}{fmt.stderr}")
    for n in nodes.values():
        n.start()
    for n in nodes.values():
        n.wait_ready(90)
    topic = "replicated"
    md = harness.create_topic(nodes[1].bootstrap, topic, 1, rf=2)
    leader = md["topics"][topic]["partitions"][0][1]
    check(leader in nodes, f"leader {leader}")
    follower = nodes[3 - leader]
    kclients.produce(nodes[leader].bootstrap, topic, [(0, None, b"r%d" % i) for i in range(N)],
                     conf={"enable.idempotence": True})
    err, _, prods = describe_producers([(topic, [0])], nodes[leader])[(topic, 0)]
    check(err == ERR_NONE and len(prods) == 1 and prods[0]["last_sequence"] == N - 1,
          f"leader: error {err}, producers {prods}")
    err, _, prods = describe_producers([(topic, [0])], follower)[(topic, 0)]
    check(err == ERR_NOT_LEADER_OR_FOLLOWER and prods == [],
          f"follower: error {err}, expected NOT_LEADER_OR_FOLLOWER")
    want = log_files_size(0, nodes[leader], topic)

    def caught_up():
        _, dirs = describe_log_dirs(4, [(topic, [0])], follower)
        parts = dirs[0]["topics"].get(topic, [])
        if len(parts) != 1 or parts[0]["size"] != want or parts[0]["lag"] != 0:
            return None
        return parts[0]
    p = harness.wait_until(caught_up, harness.DEFAULT_DEADLINE,
                           what="the follower's DescribeLogDirs showing the leader's size, lag 0")
    check(p["size"] == log_files_size(0, follower, topic),
          f"follower size {p['size']} differs from its .log files")
    for n in nodes.values():
        n.stop()


def main():
    cases = [
        ("start node, create topic", setup),
        ("ApiVersions advertises DescribeLogDirs 0-4, DescribeProducers 0", case_api_versions),
        ("idempotent confluent-kafka producer", case_idempotent_produce),
        ("DescribeProducers v0 lists the producer", case_describe_producers),
        ("DescribeLogDirs v1 and v4: partition sizes", case_describe_log_dirs),
        ("DescribeLogDirs v0, v2, v3", case_describe_log_dirs_other_versions),
        ("clean stop", teardown),
        ("two nodes: the follower's answers", case_follower),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
