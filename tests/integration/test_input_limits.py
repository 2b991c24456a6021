"""Hostile-but-well-formed Kafka requests whose cost or meaning depends on
what is inside them (issue 13 items 4 and 9):

- a Produce naming one partition 200 times, each with a 2 KB zstd batch that
  inflates to 64 MiB, must be refused without stalling other connections, and
  a partition repeated in one Produce is appended once (Kafka keeps the last
  entry per topic-partition);
- a Produce whose batches inflate past the per-request decompression budget
  gets RECORD_LIST_TOO_LARGE for the partitions past it;
- names and strings carrying a NUL byte are judged on their length:
  CreateTopics "ab\\0cd" is refused, Produce to "ab\\0zzz" does not land in
  "ab", offset-commit metadata "Hello\\0world!" comes back byte for byte (also
  after a restart, from __consumer_offsets), a group id with a NUL is refused;
- a Metadata request naming 5,000 unknown topics (auto-creation on) does not
  stall other clients.

Latency checks use generous deadlines, far above the time the bounded work
takes and far below the time the unbounded work took.

Usage: test_input_limits.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import shutil
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_METADATA, API_PRODUCE, ERR_NONE, KafkaConn, Reader,  # noqa: E402
                     SluiceNode, Skip, check, i16, i32, i64, karray, kbytes, kstring,
                     record_batch)

API_OFFSET_COMMIT, API_OFFSET_FETCH, API_FIND_COORDINATOR = 8, 9, 10
ERR_UNKNOWN_TOPIC_OR_PARTITION = 3
ERR_COORDINATOR_RETRY = (14, 15, 16)  # load in progress, not available, not coordinator
ERR_INVALID_TOPIC_EXCEPTION = 17
ERR_RECORD_LIST_TOO_LARGE = 18
ERR_INVALID_GROUP_ID = 24
ERR_INVALID_RECORD = 87

BOMB_INFLATED = 64 << 20       # each bomb batch inflates to this
BOMB_COPIES = 200
PROBE_DEADLINE = 5.0           # seconds another client may wait while a hostile request runs
TOPIC = "limits"
MANY_TOPIC = "limits-many"
MANY_PARTITIONS = 8

node = None
bomb = None


def conn(timeout=120):
    return KafkaConn("127.0.0.1", node.kafka_port, timeout=timeout)


def produce_multi(entries, acks=1, timeout_ms=30000):
    """Produce v3 body: entries [(topic str|bytes, [(partition, records)])]."""
    def topic(e):
        name, parts = e
        return kstring(name) + karray(parts, lambda p: i32(p[0]) + kbytes(p[1]))
    return kstring(None) + i16(acks) + i32(timeout_ms) + karray(entries, topic)


def zstd_bomb_batch():
    """A one-record zstd batch whose record claims BOMB_INFLATED bytes, then
    zeros: about 2 KB compressed.  Written by the zstd CLI from a pipe, so the
    frame does not declare its content size and only decompressing it tells."""
    zstd = shutil.which("zstd")
    if not zstd:
        raise Skip("zstd CLI not found")
    data = harness.zigzag_varint(BOMB_INFLATED - 5) + bytes(BOMB_INFLATED - 4)
    p = subprocess.run([zstd, "-q", "-19", "-c", "-"], input=data, capture_output=True,
                       check=True)
    return record_batch(payload=p.stdout, count=1, codec=4)


def probe_latency(what):
    """ApiVersions then Metadata on a fresh connection; returns the seconds taken."""
    t0 = time.monotonic()
    with conn() as c:
        err, _ = c.api_versions()
        check(err == ERR_NONE, f"{what}: ApiVersions error {err}")
        c.metadata([])
    return time.monotonic() - t0


def send_and_probe(what, body_api, version, body):
    """Sends a request on one connection and, until its answer arrives (and
    a few times after), probes from another connection.  Returns (the worst
    probe's seconds, the response body).  A loop stalled by the request shows
    as a probe that waits for the stall's length."""
    c = conn()
    worst = [0.0]
    done = threading.Event()

    def prober():
        after = 0
        while after < 3:
            if done.is_set():
                after += 1
            t0 = time.monotonic()
            try:
                probe_latency(what)
            except Exception as e:  # noqa: BLE001 - reported as an infinite wait
                print(f"  probe failed: {e!r}")
                worst[0] = float("inf")
                return
            worst[0] = max(worst[0], time.monotonic() - t0)
    try:
        t0 = time.monotonic()
        c.corr += 1
        c.send_raw(harness.frame(harness.request_header(body_api, version, c.corr) + body))
        th = threading.Thread(target=prober, daemon=True)
        th.start()
        corr, resp = c.recv_frame()
        print(f"  {what}: answered in {time.monotonic() - t0:.2f}s")
        done.set()
        th.join()
        check(corr == c.corr, f"{what}: correlation id {corr}, sent {c.corr}")
        return worst[0], resp
    finally:
        done.set()
        c.close()


# -- item 4: decompression ----------------------------------------------------


def case_bomb_repeated_partition():
    body = produce_multi([(TOPIC, [(0, bomb)] * BOMB_COPIES)])
    # zstd needs Produce v7+ (KIP-110: older versions refuse it outright).
    took, resp = send_and_probe("zstd bomb x200", API_PRODUCE, 7, body)
    print(f"  other clients answered within {took:.2f}s while the bomb was validated")
    check(took < PROBE_DEADLINE,
          f"another client waited {took:.1f}s (deadline {PROBE_DEADLINE}s) while a Produce "
          f"of {BOMB_COPIES} zstd bombs ({len(body)} bytes) was validated")
    res = harness.parse_produce(resp, 7)
    check(len(res) == 1, f"partition 0 repeated {BOMB_COPIES} times: Kafka answers it once "
                         f"(the last entry), got {len(res)} answers")
    check(res[0][2] != ERR_NONE, f"zstd bomb: expected an error, got {res[0]}")
    print(f"  bomb refused with error {res[0][2]}")
    node.check_healthy("after the zstd bomb")


def case_bomb_budget():
    body = produce_multi([(MANY_TOPIC, [(p, bomb) for p in range(MANY_PARTITIONS)])])
    with conn() as c:
        res = harness.parse_produce(c.request(API_PRODUCE, 7, body), 7)
    errs = [r[2] for r in res]
    print(f"  errors per partition: {errs}")
    check(len(res) == MANY_PARTITIONS and all(e != ERR_NONE for e in errs),
          f"every bomb must be refused: {res}")
    check(errs[0] == ERR_INVALID_RECORD,
          f"a batch inflating past its own cap is INVALID_RECORD (87), got {errs[0]}")
    check(ERR_RECORD_LIST_TOO_LARGE in errs,
          f"{MANY_PARTITIONS} bombs of {BOMB_INFLATED >> 20} MiB exceed the request's "
          f"decompression budget: expected RECORD_LIST_TOO_LARGE (18) past it, got {errs}")


def case_repeated_partition_appended_once():
    topic = "limits-dup"
    harness.create_topic(node.bootstrap, topic, 1)
    first = record_batch([(b"k", b"first")])
    last = record_batch([(b"k", b"second-1"), (b"k", b"second-2")])
    body = produce_multi([(topic, [(0, first), (0, last)])])
    with conn() as c:
        res = harness.parse_produce(c.request(API_PRODUCE, 3, body), 3)
    check(len(res) == 1 and res[0][2] == ERR_NONE and res[0][3] == 0,
          f"partition repeated in one Produce: expected one answer (error 0, offset 0) as "
          f"Kafka gives, got {res}")
    _, batches = harness.segment_batches(node.data_dir, topic, 0)
    check([b.record_count for b in batches] == [2],
          f"only the last entry of the repeated partition is appended (Kafka keeps the "
          f"last per topic-partition): batches in the log {batches}")


# -- item 9: NUL inside strings ------------------------------------------------


def topic_names():
    with conn() as c:
        return set(c.metadata(None)["topics"])


def case_create_topic_with_nul():
    with conn() as c:
        res = c.create_topics([(b"ab\x00cd", 1, 1)])
    check(res.get("ab\x00cd", (None,))[0] == ERR_INVALID_TOPIC_EXCEPTION,
          f"CreateTopics 'ab\\0cd': expected INVALID_TOPIC_EXCEPTION (17) under its own "
          f"name, got {res}")
    names = topic_names()
    check("ab" not in names and "ab\x00cd" not in names,
          f"CreateTopics 'ab\\0cd' must create nothing, topics now {sorted(names)}")


def case_produce_to_nul_name():
    if "ab" not in topic_names():  # the CreateTopics case above must not have made it
        harness.create_topic(node.bootstrap, "ab", 1)
    batch = record_batch([(b"k", b"for ab\\0zzz")])
    with conn() as c:
        res = harness.parse_produce(
            c.request(API_PRODUCE, 3, produce_multi([(b"ab\x00zzz", [(0, batch)])])), 3)
    check(len(res) == 1 and res[0][2] == ERR_UNKNOWN_TOPIC_OR_PARTITION,
          f"Produce to 'ab\\0zzz': expected UNKNOWN_TOPIC_OR_PARTITION (3), got {res}")
    _, batches = harness.segment_batches(node.data_dir, "ab", 0)
    check(batches == [], f"Produce to 'ab\\0zzz' landed in topic 'ab': {batches}")


def case_read_nul_name():
    """ListOffsets and Fetch of 'ab\0zzz' answer UNKNOWN_TOPIC_OR_PARTITION; they never
    read topic 'ab' (which has a record)."""
    if "ab" not in topic_names():
        harness.create_topic(node.bootstrap, "ab", 1)
    with conn() as c:
        c.produce("ab", 0, record_batch([(b"k", b"in ab")]))
        lo = harness.Reader(c.request(2, 1, harness.i32(-1) + harness.i32(1)
                                      + harness.kstring(b"ab\x00zzz") + harness.i32(1)
                                      + harness.i32(0) + harness.i64(-1)))
        lo.i32()
        lo.string()
        lo.i32()
        lo.i32()
        lo_err = lo.i16()
        fetch = (harness.i32(-1) + harness.i32(0) + harness.i32(0) + harness.i32(1 << 20)
                 + harness.i8(0) + harness.i32(1) + harness.kstring(b"ab\x00zzz")
                 + harness.i32(1) + harness.i32(0) + harness.i64(0) + harness.i32(1 << 20))
        fr = harness.Reader(c.request(1, 4, fetch))
        fr.i32()  # throttle
        fr.i32()
        fr.string()
        fr.i32()
        fr.i32()
        fetch_err = fr.i16()
    check(lo_err == ERR_UNKNOWN_TOPIC_OR_PARTITION,
          f"ListOffsets of 'ab\\0zzz': expected UNKNOWN_TOPIC_OR_PARTITION (3), got {lo_err}")
    check(fetch_err == ERR_UNKNOWN_TOPIC_OR_PARTITION,
          f"Fetch of 'ab\\0zzz': expected UNKNOWN_TOPIC_OR_PARTITION (3), got {fetch_err}")


def find_coordinator(group):
    def ready():
        with conn() as c:
            r = Reader(c.request(API_FIND_COORDINATOR, 0, kstring(group)))
            return r.i16() == ERR_NONE
    harness.wait_until(ready, what=f"a coordinator for group {group!r}")


def raw_string(r):
    n = r.i16()
    return None if n < 0 else r.take(n)


def offset_commit(group, topic, partition, offset, metadata):
    """OffsetCommit v2 without group management; returns the partition error."""
    body = (kstring(group) + i32(-1) + kstring("") + i64(-1) +
            karray([topic], lambda t: kstring(t) + karray(
                [0], lambda _: i32(partition) + i64(offset) + kstring(metadata))))
    with conn() as c:
        r = Reader(c.request(API_OFFSET_COMMIT, 2, body))
    r.i32()  # topics
    r.string()
    r.i32()  # partitions
    r.i32()
    return r.i16()


def offset_fetch(group, topic, partition):
    """OffsetFetch v1: (error, offset, metadata bytes)."""
    body = kstring(group) + karray([topic], lambda t: kstring(t) + karray([i32(partition)]))
    with conn() as c:
        r = Reader(c.request(API_OFFSET_FETCH, 1, body))
    r.i32()
    r.string()
    r.i32()
    r.i32()
    offset = r.i64()
    meta = raw_string(r)
    return r.i16(), offset, meta


def retry_coordinator(fn, what):
    out = []

    def attempt():
        res = fn()
        err = res[0] if isinstance(res, tuple) else res
        if err in ERR_COORDINATOR_RETRY:
            return False
        out.append(res)
        return True
    harness.wait_until(attempt, what=what)
    return out[0]


META = b"Hello\x00world!"


def check_fetched(context):
    err, offset, meta = retry_coordinator(lambda: offset_fetch("g-nul", TOPIC, 0),
                                          f"OffsetFetch {context}")
    check(err == ERR_NONE and offset == 7 and meta == META,
          f"OffsetFetch {context}: expected offset 7 with metadata {META!r} "
          f"({len(META)} bytes), got error {err}, offset {offset}, metadata {meta!r}")


def case_offset_metadata_with_nul():
    find_coordinator("g-nul")
    err = retry_coordinator(lambda: offset_commit("g-nul", TOPIC, 0, 7, META), "OffsetCommit")
    check(err == ERR_NONE, f"OffsetCommit with metadata {META!r}: error {err}")
    check_fetched("after the commit")


def case_offset_metadata_after_restart():
    node.restart()
    find_coordinator("g-nul")
    check_fetched("after a restart (loaded from __consumer_offsets)")


def case_group_id_with_nul():
    err = retry_coordinator(lambda: offset_commit(b"g-nul\x00x", TOPIC, 0, 99, b""),
                            "OffsetCommit for group 'g-nul\\0x'")
    check(err == ERR_INVALID_GROUP_ID,
          f"OffsetCommit for group 'g-nul\\0x': expected INVALID_GROUP_ID (24), got {err}")
    check_fetched("after a commit for 'g-nul\\0x' (which must not touch group 'g-nul')")


# -- Metadata auto-creation ------------------------------------------------------


def case_metadata_autocreate_many():
    names = [f"auto-{i:05d}" for i in range(5000)]
    body = karray(names, kstring)
    worst, resp = send_and_probe("Metadata naming 5000 unknown topics", API_METADATA, 1, body)
    print(f"  other clients answered within {worst:.2f}s")
    check(worst < PROBE_DEADLINE,
          f"another client waited {worst:.1f}s (deadline {PROBE_DEADLINE}s) around a "
          f"Metadata request auto-creating 5000 topics")
    md = harness.parse_metadata_v1(resp)["topics"]
    errs = {md[n]["error"] for n in names if n in md}
    check(len(md) == 5000 and errs <= {5, ERR_NONE},
          f"every unknown topic answers LEADER_NOT_AVAILABLE (5) while it is created or "
          f"until a retry creates it: {len(md)} topics, errors {errs}")
    created = sum(1 for n in topic_names() if n.startswith("auto-"))
    check(created < 5000, f"all 5000 topics were created by one Metadata request")
    node.check_healthy("after the 5000-topic Metadata")


def setup():
    global node, bomb
    binary = harness.binary_from_argv()
    node = SluiceNode(binary, overrides={"auto.create.topics.enable": "true"},
                      name="input-limits")
    node.start_ready()
    harness.create_topic(node.bootstrap, TOPIC, 1)
    harness.create_topic(node.bootstrap, MANY_TOPIC, MANY_PARTITIONS)
    bomb = zstd_bomb_batch()
    print(f"  bomb batch: {len(bomb)} bytes inflating to {BOMB_INFLATED >> 20} MiB")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM at the end: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node, create topics, build the zstd bomb", setup),
        ("zstd bomb x200 on one partition: refused, others served", case_bomb_repeated_partition),
        ("bombs past the request's decompression budget", case_bomb_budget),
        ("a repeated partition is appended once", case_repeated_partition_appended_once),
        ("CreateTopics 'ab\\0cd' refused", case_create_topic_with_nul),
        ("Produce to 'ab\\0zzz' not in 'ab'", case_produce_to_nul_name),
        ("ListOffsets and Fetch of 'ab\\0zzz' do not read 'ab'", case_read_nul_name),
        ("offset metadata with a NUL round-trips", case_offset_metadata_with_nul),
        ("offset metadata with a NUL survives a restart", case_offset_metadata_after_restart),
        ("group id with a NUL refused", case_group_id_with_nul),
        ("Metadata auto-creating 5000 topics", case_metadata_autocreate_many),
        ("clean stop", teardown),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
