"""Disk failures on a real node, injected with the faultfs LD_PRELOAD shim
(tests/faultfs): the node runs with LD_PRELOAD and SLUICE_FAULTFS pointing at
a control file; writing a rule into it ("write <path part> ENOSPC") makes
matching calls fail until the file is removed.

  * index_enospc: an idempotent produce whose .index write fails (ENOSPC,
    after the .log write) is answered KAFKA_STORAGE_ERROR; the log dir goes
    offline (retries answer KAFKA_STORAGE_ERROR, /metrics and the admin API
    show it); after a restart the producer's retry of the same sequence is
    appended exactly once (no duplicate in the segment files).
  * quorum_state_at_start: a node whose quorum-state cannot be written exits
    non-zero with a clear message instead of staying up without a quorum and
    never opening its Kafka port; with the disk fixed it starts and serves.
  * fsync_eio_on_flush_thread: with log.flush.interval.messages=1 the fsync
    runs on the flush thread; when it fails (EIO) a produce with acks=1 or
    acks=all is answered KAFKA_STORAGE_ERROR, never success, and the log dir
    goes offline as for any other write failure; after a restart everything
    acknowledged is there and produce works.
  * metadata_fsync_eio: the metadata log's fsync (on its flush thread) fails:
    the node stops with a FATAL log line instead of counting the entry.
  * create_topic_without_log_dir: CreateTopics succeeds (the controller
    commits the topic before brokers create logs, as in Kafka), but the
    broker cannot create the partition's directory: produce to it answers
    KAFKA_STORAGE_ERROR, never success; a restart with space creates it.

Usage: test_disk_faults.py /path/to/sluice /path/to/libsluice_faultfs.so
(exit 0 pass, 1 fail, 77 skip)"""

import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (SluiceNode, KafkaConn, Reader, check, i16, i32, kstring,  # noqa: E402
                     record_batch, run_tests, wait_until)

ERR_STORAGE = 56
API_INIT_PRODUCER_ID = 22
API_DESCRIBE_LOG_DIRS = 35


class FaultNode(SluiceNode):
    """A SluiceNode started with the faultfs shim preloaded."""

    def __init__(self, binary, shim, **kw):
        super().__init__(binary, **kw)
        self.ctl = os.path.join(self.tmpdir, "faultfs.ctl")
        self.shim = shim

    def arm(self, rule):
        with open(self.ctl, "w") as f:
            f.write(rule + "\n")

    def clear(self):
        if os.path.exists(self.ctl):
            os.unlink(self.ctl)

    def start(self):
        saved = {k: os.environ.get(k) for k in ("LD_PRELOAD", "SLUICE_FAULTFS", "ASAN_OPTIONS")}
        os.environ["LD_PRELOAD"] = self.shim
        os.environ["SLUICE_FAULTFS"] = self.ctl
        asan = saved["ASAN_OPTIONS"]
        os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "verify_asan_link_order=0"
        try:
            return super().start()
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v

    def admin_get(self, path):
        url = f"http://127.0.0.1:{self.admin_port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()


def init_producer_id(conn):
    """InitProducerId v0 for an idempotent (non-transactional) producer."""
    body = kstring(None) + i32(60000)
    r = Reader(conn.request(API_INIT_PRODUCER_ID, 0, body))
    r.i32()  # throttle
    err, pid, epoch = r.i16(), r.i64(), r.i16()
    check(err == 0, f"InitProducerId: error {err}")
    return pid, epoch


def produce_seq(conn, topic, pid, epoch, seq, n):
    """One idempotent batch of n records at sequence seq (acks=-1, v3).
    Returns (error_code, base_offset)."""
    recs = [(f"k{seq + i}".encode(), f"v{seq + i}".encode()) for i in range(n)]
    batch = record_batch(recs, producer_id=pid, producer_epoch=epoch, base_sequence=seq)
    [(_, _, err, base)] = conn.produce(topic, 0, batch)
    return err, base


def metric(node, name):
    status, text = node.admin_get("/metrics")
    check(status == 200, f"/metrics answered {status}")
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise harness.TestFailure(f"{name} not in /metrics")


def wait_exit(node, deadline):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        rc = node.proc.poll()
        if rc is not None:
            node._closed()
            return rc
        time.sleep(0.05)
    return None


def kafka_port_open(node):
    try:
        with KafkaConn("127.0.0.1", node.kafka_port, timeout=2):
            return True
    except OSError:
        return False


def test_index_enospc(binary, shim):
    node = FaultNode(binary, shim, name="index-enospc",
                     overrides={"log.index.interval.bytes": "0"})
    node.start_ready()
    topic = "diskfull"
    harness.create_topic(node.bootstrap, topic, 1)
    with node.conn() as c:
        pid, epoch = init_producer_id(c)
        check(produce_seq(c, topic, pid, epoch, 0, 3) == (0, 0), "first batch")
        check(produce_seq(c, topic, pid, epoch, 3, 3) == (0, 3), "second batch")
        node.arm(f"write {topic}-0/00000000000000000000.index ENOSPC")
        err, _ = produce_seq(c, topic, pid, epoch, 6, 2)
        check(err == ERR_STORAGE, f"produce with the index write failing: error {err}, "
                                  f"expected KAFKA_STORAGE_ERROR ({ERR_STORAGE})")
        node.clear()
        # The log dir is offline until a restart: the retry is refused, not appended.
        err, _ = produce_seq(c, topic, pid, epoch, 6, 2)
        check(err == ERR_STORAGE, f"retry while offline: error {err}, expected {ERR_STORAGE}")
        # DescribeLogDirs answers the offline dir KAFKA_STORAGE_ERROR, listing nothing.
        r = Reader(c.request(API_DESCRIBE_LOG_DIRS, 1, i32(-1)))
        r.i32()
        dirs = r.array(lambda: (r.i16(), r.string(), r.array(lambda: None)))
        check(len(dirs) == 1 and dirs[0][0] == ERR_STORAGE and dirs[0][2] == [] and
              os.path.realpath(dirs[0][1]) == os.path.realpath(node.data_dir),
              f"DescribeLogDirs v1 of the offline dir: {dirs}, expected one dir with error "
              f"{ERR_STORAGE} and no topics")
    node.check_alive("after the storage error")
    check(metric(node, "sluice_offline_log_dirs") == 1, "sluice_offline_log_dirs is not 1")
    check(metric(node, "sluice_offline_replicas") >= 1, "sluice_offline_replicas is 0")
    status, body = node.admin_get("/v1/status/ready")
    check(status == 503 and "offline" in body, f"/v1/status/ready: {status} {body}")

    # The broker asks to be fenced, so the controller moves leadership away (here
    # there is no other replica: the partition is left without a leader).
    def leaderless():
        with node.conn() as c2:
            md = c2.metadata(None)
        return md["topics"][topic]["partitions"][0][1] == -1
    wait_until(leaderless, harness.DEFAULT_DEADLINE, what="the failed broker fenced")
    _, batches = harness.segment_batches(node.data_dir, topic, 0)
    check([b.base_sequence for b in batches] == [0, 3],
          f"segment holds the refused batch: {batches}")

    node.restart()
    harness.wait_topic_ready(node.bootstrap, topic, 1)
    with node.conn() as c:
        check(produce_seq(c, topic, pid, epoch, 6, 2) == (0, 6), "retry after the restart")
        # The producer retrying again (lost answer) gets the same offsets back.
        check(produce_seq(c, topic, pid, epoch, 6, 2) == (0, 6), "duplicate retry")
        check(produce_seq(c, topic, pid, epoch, 8, 1) == (0, 8), "next batch")
    node.stop()
    _, batches = harness.segment_batches(node.data_dir, topic, 0)
    seqs = [(b.base_offset, b.base_sequence) for b in batches]
    check(seqs == [(0, 0), (3, 3), (6, 6), (8, 8)], f"batches in the log: {seqs}")


def test_quorum_state_at_start(binary, shim):
    node = FaultNode(binary, shim, name="quorum-state")
    node.arm("write quorum-state ENOSPC")
    node.start()
    rc = wait_exit(node, harness.DEFAULT_DEADLINE)
    if rc is None:
        up = kafka_port_open(node)
        node.kill9()
        raise harness.TestFailure(f"the node kept running without a quorum (Kafka port "
                                  f"{'open' if up else 'closed'})")
    check(rc != 0, f"exit status {rc}, expected non-zero")
    with open(node.log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    check("quorum-state" in text and "FATAL" in text,
          "the log does not say that the quorum-state could not be written")
    node.clear()
    node.start_ready()
    node.check_healthy("after the restart with space")
    node.stop()


def test_fsync_eio_on_flush_thread(binary, shim):
    node = FaultNode(binary, shim, name="fsync-eio",
                     overrides={"log.flush.interval.messages": "1"})
    node.start_ready()
    topic = "syncfail"
    harness.create_topic(node.bootstrap, topic, 1)
    with node.conn() as c:
        for acks in (1, -1):
            [(_, _, err, _)] = c.produce(topic, 0, record_batch([(b"k", b"ok")]), acks=acks)
            check(err == 0, f"produce acks={acks} before the fault: error {err}")
        node.arm(f"sync {topic}-0/ EIO")
        [(_, _, err, _)] = c.produce(topic, 0, record_batch([(b"k", b"lost")]), acks=1)
        check(err == ERR_STORAGE, f"produce acks=1 with the fsync failing: error {err}, "
                                  f"expected KAFKA_STORAGE_ERROR ({ERR_STORAGE})")
        [(_, _, err, _)] = c.produce(topic, 0, record_batch([(b"k", b"lost2")]), acks=-1)
        check(err == ERR_STORAGE, f"produce acks=all while offline: error {err}")
        node.clear()
    node.check_alive("after the fsync error")
    check(metric(node, "sluice_offline_log_dirs") == 1, "sluice_offline_log_dirs is not 1")
    node.restart()
    harness.wait_topic_ready(node.bootstrap, topic, 1)
    with node.conn() as c:
        [(_, _, err, base)] = c.produce(topic, 0, record_batch([(b"k", b"after")]))
        check(err == 0 and base >= 2, f"produce after the restart: {(err, base)}")
    node.stop()
    _, batches = harness.segment_batches(node.data_dir, topic, 0)
    check([b.base_offset for b in batches][:2] == [0, 1],
          f"the acknowledged batches are not at offsets 0 and 1: {batches}")


def test_metadata_fsync_eio(binary, shim):
    node = FaultNode(binary, shim, name="meta-fsync-eio")
    node.start_ready()
    node.arm("sync __cluster_metadata-0/00000000000000000000.log EIO")
    try:
        with node.conn() as c:
            c.create_topics([("after-meta-fault", 1, 1)], version=2, timeout_ms=2000)
    except (OSError, harness.Closed):
        pass  # the node stops before it answers
    rc = wait_exit(node, harness.DEFAULT_DEADLINE)
    node.clear()
    if rc is None:
        node.kill9()
        raise harness.TestFailure("the node kept running after its metadata log fsync failed")
    check(rc != 0, f"exit status {rc}, expected non-zero")
    with open(node.log_path, "rb") as f:
        text = f.read().decode(errors="replace")
    check("FATAL" in text and "metadata log could not be synced" in text,
          "the log does not say that the metadata log could not be synced")
    node.start_ready()
    node.check_healthy("after the restart")
    node.stop()


def test_create_topic_without_log_dir(binary, shim):
    node = FaultNode(binary, shim, name="create-topic")
    node.start_ready()
    topic = "nodir"
    node.arm(f"mkdir {topic}-0 ENOSPC")
    with node.conn() as c:
        res = c.create_topics([(topic, 1, 1)], version=2)
        check(res[topic][0] == 0, f"CreateTopics: {res}")

        def answered():
            [(_, _, err, _)] = c.produce(topic, 0, record_batch([(b"k", b"v")]))
            check(err != 0, "produce to a partition without a log answered success")
            return err if err == ERR_STORAGE else None
        wait_until(answered, harness.DEFAULT_DEADLINE,
                   what="KAFKA_STORAGE_ERROR from a partition whose log could not be created")
    check(metric(node, "sluice_offline_replicas") >= 1, "sluice_offline_replicas is 0")
    node.clear()
    node.restart()
    harness.wait_topic_ready(node.bootstrap, topic, 1)
    with node.conn() as c:
        [(_, _, err, base)] = c.produce(topic, 0, record_batch([(b"k", b"v")]))
        check((err, base) == (0, 0), f"produce after the restart: {(err, base)}")
    node.stop()


def main():
    binary = harness.binary_from_argv()
    if len(sys.argv) < 3 or not os.path.exists(sys.argv[2]):
        print("usage: test_disk_faults.py /path/to/sluice /path/to/libsluice_faultfs.so",
              file=sys.stderr)
        sys.exit(2)
    shim = os.path.abspath(sys.argv[2])
    run_tests([
        ("index_enospc", lambda: test_index_enospc(binary, shim)),
        ("quorum_state_at_start", lambda: test_quorum_state_at_start(binary, shim)),
        ("create_topic_without_log_dir", lambda: test_create_topic_without_log_dir(binary, shim)),
        ("fsync_eio_on_flush_thread", lambda: test_fsync_eio_on_flush_thread(binary, shim)),
        ("metadata_fsync_eio", lambda: test_metadata_fsync_eio(binary, shim)),
    ], keep_going=lambda: True)


if __name__ == "__main__":
    main()
