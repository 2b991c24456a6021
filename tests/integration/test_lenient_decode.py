"""Requests that Kafka's parsers accept must be answered, not refused
(issue 19): a request is parsed field by field as Kafka's generated code does.

  * The exact all-topics Metadata v12 request of librdkafka 2.x
    (confluent-kafka 2.x): its topic array is a 4-byte placeholder
    (00 00 00 00) whose first byte reads as a null compact array, so three
    bytes are left after the body.  Kafka ignores them and lists every
    topic; so must we (before the fix: connection closed, and
    AdminClient.list_topics() failed with _TRANSPORT).
  * Bytes after a non-flexible body, unknown tagged fields in the request
    header, in the body and in nested structs, a client_id length of -2 and
    an array count of -5 (any negative length is null in Kafka's parsers).
  * Where Kafka refuses, the same refusal: a ZStandard batch in Produce
    below v7 gets UNSUPPORTED_COMPRESSION_TYPE (76) for its partition
    (KIP-110), while the same request without compression is appended.

Usage: test_lenient_decode.py /path/to/sluice   (exit 0 pass, 1 fail)"""

import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_METADATA, API_PRODUCE, ERR_NONE,  # noqa: E402
                     Reader, SluiceNode, check, frame, i16, i32, kstring,
                     record_batch, request_header)

ERR_UNKNOWN_TOPIC_OR_PARTITION = 3
ERR_UNSUPPORTED_COMPRESSION_TYPE = 76
CODEC_NONE, CODEC_ZSTD = 0, 4
TOPICS = {"lenient-a": 2, "lenient-b": 1}

node = None


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


class CReader(Reader):
    """Reader with the compact (flexible-version) types."""

    def uvarint(self):
        v = shift = 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if not b & 0x80:
                return v
            shift += 7

    def cstring(self):
        n = self.uvarint() - 1
        return None if n < 0 else self.take(n).decode(errors="replace")

    def carray(self, fn):
        n = self.uvarint() - 1
        if n < 0:
            return None
        if n > self.remaining():
            raise harness.ProtocolError(f"compact array count {n} exceeds remaining bytes")
        return [fn() for _ in range(n)]

    def tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.take(self.uvarint())


def parse_metadata_v12(body):
    """body after the correlation id (response header v1: tags first).
    Returns {"brokers": [ids], "topics": {name: (error, npartitions)}}."""
    r = CReader(body)
    r.tags()
    r.i32()  # throttle_time_ms

    def broker():
        nid = r.i32()
        r.cstring()
        r.i32()
        r.cstring()
        r.tags()
        return nid

    def partition():
        r.i16(), r.i32(), r.i32(), r.i32()
        r.carray(r.i32), r.carray(r.i32), r.carray(r.i32)
        r.tags()

    def topic():
        err = r.i16()
        name = r.cstring()
        r.take(16)  # topic id
        r.i8()      # is_internal
        parts = r.carray(partition)
        r.i32()     # topic_authorized_operations
        r.tags()
        return name, (err, len(parts or []))

    brokers = r.carray(broker)
    r.cstring()  # cluster id
    r.i32()      # controller id
    topics = dict(r.carray(topic))
    r.tags()
    return {"brokers": brokers, "topics": topics}


def send(c, payload):
    c.send_raw(frame(payload))
    kind, resp = c.outcome()
    check(kind == "response", f"expected a response, got {kind} (request {payload.hex()})")
    return resp


def still_open(c, case):
    """The connection must survive: ApiVersions v0 on it is answered."""
    err, apis = c.api_versions()
    check(err == ERR_NONE and apis, f"{case}: ApiVersions on the same connection: error {err}")


def metadata_v1(resp):
    """parse_metadata_v1 in parse_metadata_v12's shape."""
    md = harness.parse_metadata_v1(resp)
    return {"brokers": [b[0] for b in md["brokers"]],
            "topics": {n: (t["error"], len(t["partitions"])) for n, t in md["topics"].items()}}


def check_all_topics(md, case):
    for name, nparts in TOPICS.items():
        check(md["topics"].get(name, (None, 0)) == (ERR_NONE, nparts),
              f"{case}: expected {name} with {nparts} partitions, got {md['topics']}")
    check(md["brokers"], f"{case}: no broker listed")


def setup():
    global node
    node = SluiceNode(harness.binary_from_argv(), name="lenient").start_ready()
    for name, parts in TOPICS.items():
        harness.create_topic(node.bootstrap, name, parts)


def rdkafka_metadata_v12_placeholder():
    # Captured from confluent-kafka 2.16.2 (librdkafka 2.16.0) AdminClient.list_topics():
    # header v2 (client id "rdkafka", no tags), then 00 00 00 00 | 01 00 00.
    hdr = bytes.fromhex("0003000c") + i32(7) + kstring("rdkafka") + b"\x00"
    body = bytes.fromhex("00000000" "010000")
    with node.conn() as c:
        corr, resp = send(c, hdr + body)
        check(corr == 7, f"correlation id {corr}, sent 7")
        check_all_topics(parse_metadata_v12(resp), "librdkafka Metadata v12 placeholder")
        still_open(c, "librdkafka Metadata v12 placeholder")


def trailing_bytes_v1():
    with node.conn() as c:
        _, resp = send(c, request_header(API_METADATA, 1, 8) + i32(-1) + b"\xde\xad\xbe\xef")
        check_all_topics(metadata_v1(resp), "Metadata v1 + 4 trailing bytes")
        still_open(c, "Metadata v1 + 4 trailing bytes")


def unknown_tags_v12():
    # Header v2 with unknown tag 7 (3 bytes); topic entry with unknown tag 42;
    # body with unknown tags 1000 (2 bytes) and 5 (0 bytes).
    hdr = (bytes.fromhex("0003000c") + i32(9) + kstring("tags") +
           uvarint(1) + uvarint(7) + uvarint(3) + b"xyz")
    topic = (b"\x00" * 16 + uvarint(len("lenient-a") + 1) + b"lenient-a" +
             uvarint(1) + uvarint(42) + uvarint(1) + b"\x01")
    body = (uvarint(2) + topic + b"\x00\x00" +
            uvarint(2) + uvarint(5) + uvarint(0) + uvarint(1000) + uvarint(2) + b"\xab\xcd")
    with node.conn() as c:
        _, resp = send(c, hdr + body)
        md = parse_metadata_v12(resp)
        check(md["topics"] == {"lenient-a": (ERR_NONE, 2)},
              f"Metadata v12 with unknown tagged fields: got {md['topics']}")
        still_open(c, "unknown tagged fields")


def negative_lengths():
    # client_id length -2: null (Kafka reads any negative length as null).
    hdr = i16(API_METADATA) + i16(1) + i32(10) + i16(-2)
    with node.conn() as c:
        _, resp = send(c, hdr + i32(-1))
        check_all_topics(metadata_v1(resp), "client_id length -2")
        # Topic array count -5 in Metadata v1: null, i.e. all topics.
        _, resp = send(c, request_header(API_METADATA, 1, 11) + i32(-5))
        check_all_topics(metadata_v1(resp), "Metadata v1 topic count -5")
        still_open(c, "negative lengths")


def zstd_below_v7():
    with node.conn() as c:
        _, apis = c.api_versions()
    old = harness.pick_version(apis, API_PRODUCE, 3, 6)
    new = harness.pick_version(apis, API_PRODUCE, 7, 7)
    check(old is not None and new is not None, f"Produce v3..v7 not advertised: {apis}")
    zstd = record_batch(codec=CODEC_ZSTD, payload=b"not zstd at all", count=1)
    plain = record_batch([(b"k", b"v")])
    with node.conn() as c:
        for v in (3, old):
            res = c.produce("lenient-b", 0, zstd, version=v)
            check([r[2] for r in res] == [ERR_UNSUPPORTED_COMPRESSION_TYPE],
                  f"Produce v{v} with a zstd batch: expected error 76 "
                  f"(UNSUPPORTED_COMPRESSION_TYPE, KIP-110), got {res}")
            res = c.produce("lenient-b", 0, plain, version=v)
            check(res[0][2] == ERR_NONE and res[0][3] >= 0,
                  f"Produce v{v} uncompressed: expected an append, got {res}")
        # An unknown topic keeps its own error, as in Kafka (checked first).
        res = c.produce("lenient-none", 0, zstd, version=old)
        check(res[0][2] == ERR_UNKNOWN_TOPIC_OR_PARTITION,
              f"Produce v{old} zstd to an unknown topic: expected error 3, got {res}")
        # From v7 zstd is allowed: this invalid payload is refused for what it is.
        res = c.produce("lenient-b", 0, zstd, version=new)
        check(res[0][2] not in (ERR_NONE, ERR_UNSUPPORTED_COMPRESSION_TYPE),
              f"Produce v{new} with an undecodable zstd batch: expected a record error, "
              f"got {res}")
        still_open(c, "zstd below v7")


def teardown():
    node.check_healthy("after the lenient-decoding cases")
    rc = node.stop()
    check(rc == 0, f"SIGTERM: exit status {rc}, expected 0")


def main():
    harness.run_tests([
        ("start node and create topics", setup),
        ("librdkafka 2.x Metadata v12 with a 4-byte placeholder", rdkafka_metadata_v12_placeholder),
        ("bytes after a Metadata v1 body", trailing_bytes_v1),
        ("unknown tagged fields in header, body and nested struct", unknown_tags_v12),
        ("negative client_id and array lengths are null", negative_lengths),
        ("zstd in Produce below v7: UNSUPPORTED_COMPRESSION_TYPE", zstd_below_v7),
        ("healthy and clean stop", teardown),
    ], keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
