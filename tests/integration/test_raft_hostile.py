"""Hostile Raft RPCs on the CONTROLLER listener of a single-node dev cluster
(issue 13: one request stopped the metadata quorum for good).

The exact request of the issue, EndQuorumEpoch v0 with a null cluster id,
leader_id 2 (not a voter) and leader_epoch 2147483647, then the same from a
BeginQuorumEpoch v0 and with an empty cluster id.  Each must be refused with
Kafka's error (INCONSISTENT_VOTER_SET 94, INCONSISTENT_CLUSTER_ID 104) and
move nothing: the node keeps serving (CreateTopics works), quorum-state keeps
its epoch, and after a restart the Kafka port opens and the epoch is sane.

Usage: test_raft_hostile.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (KafkaConn, Reader, SluiceNode, check, create_topic, i16, i32,  # noqa: E402
                     karray, kstring)

API_BEGIN_QUORUM_EPOCH, API_END_QUORUM_EPOCH = 53, 54
ERR_INCONSISTENT_VOTER_SET, ERR_INCONSISTENT_CLUSTER_ID = 94, 104
INT32_MAX = 2147483647
SANE_EPOCH = 1000  # a fresh single-node cluster has seen a handful of elections

node = None
epoch_before = None


def null_string():
    return i16(-1)


def quorum_epoch():
    """leader_epoch from <data>/__cluster_metadata-0/quorum-state."""
    path = os.path.join(node.data_dir, "__cluster_metadata-0", "quorum-state")
    with open(path) as f:
        kv = dict(ln.strip().split("=", 1) for ln in f if "=" in ln and not ln.startswith("#"))
    return int(kv["leader_epoch"])


def epoch_request_body(cluster_id, leader_id, leader_epoch, end):
    """BeginQuorumEpoch v0 / EndQuorumEpoch v0 body (non-flexible)."""
    cid = null_string() if cluster_id is None else kstring(cluster_id)
    part = i32(0) + i32(leader_id) + i32(leader_epoch)
    if end:
        part += karray([])  # PreferredSuccessors
    return cid + karray([kstring("__cluster_metadata") + karray([part])])


def parse_epoch_response(body):
    """{top: error, parts: [(partition, error, leader_id, leader_epoch)]}."""
    r = Reader(body)
    top = r.i16()
    parts = []
    for _ in range(r.i32()):
        r.string()
        for _ in range(r.i32()):
            parts.append((r.i32(), r.i16(), r.i32(), r.i32()))
    return top, parts


def send_epoch_rpc(api_key, cluster_id, leader_id, leader_epoch):
    with KafkaConn("127.0.0.1", node.controller_port, timeout=30) as c:
        body = epoch_request_body(cluster_id, leader_id, leader_epoch,
                                  api_key == API_END_QUORUM_EPOCH)
        return parse_epoch_response(c.request(api_key, 0, body))


def step_setup():
    global node, epoch_before
    node = SluiceNode(sys.argv[1]).start_ready()
    epoch_before = quorum_epoch()
    check(0 < epoch_before < SANE_EPOCH, f"fresh quorum epoch {epoch_before}")


def expect_voter_set_error(api_key, what):
    top, parts = send_epoch_rpc(api_key, None, 2, INT32_MAX)
    check(top == 0 and len(parts) == 1, f"{what}: expected one partition, got {top} {parts}")
    _, err, leader, epoch = parts[0]
    check(err == ERR_INCONSISTENT_VOTER_SET,
          f"{what}: expected INCONSISTENT_VOTER_SET (94), got {err}")
    check(epoch == epoch_before and leader == 1,
          f"{what}: answer must carry the unchanged leader 1 epoch {epoch_before}, "
          f"got leader {leader} epoch {epoch}")
    node.check_alive(what)
    check(quorum_epoch() == epoch_before,
          f"{what}: quorum-state epoch moved from {epoch_before} to {quorum_epoch()}")


def step_end_quorum_epoch_from_non_voter():
    expect_voter_set_error(API_END_QUORUM_EPOCH, "EndQuorumEpoch v0 from non-voter 2")


def step_begin_quorum_epoch_from_non_voter():
    expect_voter_set_error(API_BEGIN_QUORUM_EPOCH, "BeginQuorumEpoch v0 from non-voter 2")


def step_empty_cluster_id():
    top, parts = send_epoch_rpc(API_END_QUORUM_EPOCH, "", 1, INT32_MAX)
    check(top == ERR_INCONSISTENT_CLUSTER_ID,
          f"empty cluster id: expected INCONSISTENT_CLUSTER_ID (104), got {top} {parts}")
    check(quorum_epoch() == epoch_before, "empty cluster id moved the quorum epoch")


def uvarint(n):
    out = b""
    while True:
        b, n = n & 0x7F, n >> 7
        if not n:
            return out + bytes([b])
        out += bytes([b | 0x80])


def compact_string(b):
    return uvarint(len(b) + 1) + b


def step_broker_registration_cluster_id():
    """BrokerRegistration v0 (flexible) with our cluster id plus an embedded NUL
    and a suffix must be INCONSISTENT_CLUSTER_ID, not a registration."""
    with open(os.path.join(node.data_dir, "meta.properties")) as f:
        cid = dict(ln.strip().split("=", 1) for ln in f if "=" in ln)["cluster.id"]
    body = (i32(77) + compact_string(cid.encode() + b"\x00evil") + bytes(16)
            + uvarint(1) + uvarint(1) + b"\x00" + b"\x00")  # no listeners/features, null rack
    with KafkaConn("127.0.0.1", node.controller_port, timeout=30) as c:
        r = Reader(c.request(62, 0, body, flexible_header=True))
        r.take(1)  # response header tags
        r.i32()  # throttle_time_ms
        err = r.i16()
    check(err == ERR_INCONSISTENT_CLUSTER_ID,
          f"BrokerRegistration with '{cid}\\0evil': expected INCONSISTENT_CLUSTER_ID (104), got {err}")


def step_still_serves():
    create_topic(node.bootstrap, "after-hostile-raft", 2)
    check(quorum_epoch() == epoch_before,
          f"quorum epoch moved from {epoch_before} to {quorum_epoch()}")


def step_restart():
    node.restart()  # start_ready: the Kafka port answers and a broker is registered
    epoch = quorum_epoch()
    check(epoch_before <= epoch < SANE_EPOCH,
          f"after restart the quorum epoch is {epoch} (before: {epoch_before})")
    create_topic(node.bootstrap, "after-restart", 1)


if __name__ == "__main__":
    harness.run_tests([
        ("start a single-node dev cluster", step_setup),
        ("EndQuorumEpoch v0 from a non-voter with epoch INT32_MAX is refused",
         step_end_quorum_epoch_from_non_voter),
        ("BeginQuorumEpoch v0 from a non-voter with epoch INT32_MAX is refused",
         step_begin_quorum_epoch_from_non_voter),
        ("an empty cluster id is INCONSISTENT_CLUSTER_ID", step_empty_cluster_id),
        ("BrokerRegistration with a NUL-suffixed cluster id is refused",
         step_broker_registration_cluster_id),
        ("the node still creates topics", step_still_serves),
        ("after a restart the Kafka port opens and the epoch is sane", step_restart),
    ], keep_going=lambda: node is not None and node.running())
