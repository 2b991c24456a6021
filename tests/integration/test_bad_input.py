"""Malformed and hostile Kafka requests against a running node: each goes on
its own connection, and after each the node must still be up and a fresh
client must get ApiVersions and Metadata answers.  At the end the node's RSS
must be below a generous bound (no allocation driven by claimed sizes).

Usage: test_bad_input.py /path/to/sluice      (exit 0 pass, 1 fail)"""

import os
import random
import shutil
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import (API_API_VERSIONS, API_METADATA, API_PRODUCE, ERR_CORRUPT_MESSAGE,  # noqa: E402
                     ERR_NONE, ERR_UNSUPPORTED_VERSION, KafkaConn, SluiceNode, TestFailure,
                     check, frame, i16, i32, karray, kstring, record_batch, request_header)

MAX_REQUEST = 1048576          # socket.request.max.bytes for this node
RSS_BOUND_KIB = 512 * 1024     # generous bound on the node's RSS at the end
BOMB_BYTES = 500 << 20         # decompressed size of the compression bombs
TOPIC = "bad-input"

node = None
produce_version = None


def fresh_conn():
    return KafkaConn("127.0.0.1", node.kafka_port, timeout=30)


def after(case):
    node.check_healthy(f"after '{case}'")


def expect_close_or_error(case, c, corr=None, allow_response=True):
    """The server must close the connection or answer; a hang fails.  Returns
    the outcome tuple."""
    kind, resp = c.outcome()
    check(kind != "timeout",
          f"{case}: expected the server to close the connection"
          f"{' or answer' if allow_response else ''}, got no reaction in {c.timeout}s")
    if kind == "response":
        check(allow_response, f"{case}: expected a closed connection, got a response "
                              f"(corr {resp[0]}, {len(resp[1])} body bytes)")
        if corr is not None:
            check(resp[0] == corr, f"{case}: response correlation id {resp[0]}, sent {corr}")
    return kind, resp


# -- framing --------------------------------------------------------------


def case_negative_size():
    with fresh_conn() as c:
        c.send_raw(struct.pack(">i", -2) + b"\x00" * 16)
        expect_close_or_error("negative frame size", c, allow_response=False)
    after("negative frame size")


def case_zero_size():
    with fresh_conn() as c:
        c.send_raw(struct.pack(">i", 0))
        expect_close_or_error("zero frame size", c, allow_response=False)
    after("zero frame size")


def case_oversized_frame():
    # Claims 512 MiB > socket.request.max.bytes: must close without waiting
    # for (or allocating) the body.
    rss0 = node.rss_kib()
    with fresh_conn() as c:
        c.send_raw(struct.pack(">i", 512 << 20) + request_header(API_METADATA, 1, 1) + i32(-1))
        expect_close_or_error("frame size 512 MiB > socket.request.max.bytes", c,
                              allow_response=False)
    rss1 = node.rss_kib()
    check(rss1 - rss0 < 256 * 1024,
          f"frame size 512 MiB: RSS grew from {rss0} KiB to {rss1} KiB (allocation "
          f"driven by the claimed size)")
    after("oversized frame")


def case_short_frame():
    # Complete frame of 3 bytes: shorter than any request header (10 bytes).
    with fresh_conn() as c:
        c.send_raw(struct.pack(">i", 3) + b"\x00\x03\x00")
        expect_close_or_error("3-byte frame (shorter than a header)", c, allow_response=False)
    after("short frame")


def case_disconnect_mid_frame():
    with fresh_conn() as c:
        c.send_raw(struct.pack(">i", 1000) + request_header(API_METADATA, 1, 1))
    after("disconnect in the middle of a frame")


def case_client_id_too_long():
    # Header whose client_id length runs past the end of the frame.
    with fresh_conn() as c:
        c.send_raw(frame(i16(API_METADATA) + i16(1) + i32(7) + i16(30000) + b"abc"))
        expect_close_or_error("client_id length beyond frame", c, corr=7)
    after("client_id length beyond frame")


# -- versions and keys -----------------------------------------------------


def case_unknown_api_key():
    # Kafka closes the connection on an unknown key; an error response is
    # tolerated too.
    with fresh_conn() as c:
        c.send_raw(frame(request_header(9999, 0, 42)))
        expect_close_or_error("unknown api key 9999", c, corr=42)
    after("unknown api key")


def case_metadata_unsupported_version():
    with fresh_conn() as c:
        _, apis = c.api_versions()
        hi = apis.get(API_METADATA, (0, 0))[1]
        v = hi + 1 if hi < 32767 else 32767
        c.send_raw(frame(request_header(API_METADATA, v, 43) + i32(-1)))
        kind, resp = expect_close_or_error(f"Metadata v{v} (unsupported)", c, corr=43)
        if kind == "response":
            check(struct.pack(">h", ERR_UNSUPPORTED_VERSION) in resp[1],
                  f"Metadata v{v} (advertised max {hi}): expected an UNSUPPORTED_VERSION (35) "
                  f"error response, got body {resp[1][:64].hex()}")
    after("Metadata unsupported version")


def case_api_versions_v99():
    # KIP-511: answer with a v0 body, error 35, and at least the ApiVersions range.
    with fresh_conn() as c:
        c.send_raw(frame(request_header(API_API_VERSIONS, 99, 44)))
        kind, resp = c.outcome()
        check(kind == "response",
              f"ApiVersions v99: expected a v0 response with error 35, got {kind}")
        corr, body = resp
        check(corr == 44, f"ApiVersions v99: correlation id {corr}, sent 44")
        err, apis = harness.parse_api_versions_v0(body)
        check(err == ERR_UNSUPPORTED_VERSION,
              f"ApiVersions v99: expected error 35, got {err}")
        check(API_API_VERSIONS in apis and apis[API_API_VERSIONS][0] == 0,
              f"ApiVersions v99: ApiVersions (18) range missing or min != 0: "
              f"{apis.get(API_API_VERSIONS)}")
        # The same connection must then work at v0.
        err, apis = c.api_versions()
        check(err == ERR_NONE, f"ApiVersions v0 after v99 on the same connection: error {err}")
    after("ApiVersions v99")


# -- bodies -----------------------------------------------------------------


def case_metadata_huge_array():
    # Metadata v1 whose topic array claims 1e9 entries in a 30-byte frame.
    with fresh_conn() as c:
        c.send_raw(frame(request_header(API_METADATA, 1, 45) + i32(1000000000) + kstring("x")))
        expect_close_or_error("Metadata v1 with topic count 1e9", c, corr=45)
    after("Metadata huge array count")


def case_metadata_negative_string():
    with fresh_conn() as c:
        c.send_raw(frame(request_header(API_METADATA, 1, 46) + i32(1) + i16(-7)))
        expect_close_or_error("Metadata v1 topic name length -7", c, corr=46)
    after("Metadata negative string length")


def uvarint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def case_flexible_amplification():
    # Flexible versions (KIP-482): counts are unsigned varints, checked against
    # what remains before allocating (the CVE-2026-111073/-111115 class).
    with fresh_conn() as c:
        _, apis = c.api_versions()
    md_flex = harness.pick_version(apis, API_METADATA, 9, 12)
    av_flex = harness.pick_version(apis, API_API_VERSIONS, 3, 4)
    cases = []
    if av_flex is not None:
        hdr = request_header(API_API_VERSIONS, av_flex, 70)
        cases += [
            ("ApiVersions v%d header tagged-field count 2^31-1" % av_flex,
             hdr + uvarint(0x7FFFFFFF)),
            ("ApiVersions v%d header tagged field of 1e9 bytes" % av_flex,
             hdr + uvarint(1) + uvarint(0) + uvarint(1000000000) + b"xyz"),
            ("ApiVersions v%d header tag count as an overlong varint" % av_flex,
             hdr + b"\xff" * 12 + b"\x01"),
            ("ApiVersions v%d client_software_name length 2^31" % av_flex,
             hdr + b"\x00" + uvarint(0x80000000) + b"abc"),
        ]
    if md_flex is not None:
        hdr = request_header(API_METADATA, md_flex, 71) + b"\x00"
        cases += [
            ("Metadata v%d compact topic array count 2^31-2" % md_flex,
             hdr + uvarint(0x7FFFFFFF) + b"\x00" * 8),
            ("Metadata v%d body tagged-field count 1e9" % md_flex,
             hdr + uvarint(1) + b"\x01\x00" + uvarint(1000000000)),
        ]
    check(cases, f"no flexible ApiVersions (v3+) or Metadata (v9+) advertised: {apis}")
    for name, payload in cases:
        with fresh_conn() as c:
            c.send_raw(frame(payload))
            kind, resp = expect_close_or_error(name, c)
            print(f"  {name}: {kind}")
        node.check_alive(f"after '{name}'")
    after("flexible-version count amplification")


def case_garbage_after_header():
    rnd = random.Random(1234)
    for i in range(20):
        garbage = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 200)))
        api, ver = rnd.choice([(API_METADATA, 1), (API_PRODUCE, produce_version), (1, 4),
                               (19, 2), (API_API_VERSIONS, 3)])
        with fresh_conn() as c:
            c.send_raw(frame(request_header(api, ver, 100 + i) + garbage))
            expect_close_or_error(f"api {api} v{ver} + {len(garbage)} garbage bytes "
                                  f"(seed 1234 #{i})", c, corr=100 + i)
        node.check_alive(f"after garbage #{i}")
    after("garbage after a valid header")


def produce_raw(c, records, corr, case):
    body = harness.produce_body(TOPIC, 0, records)
    c.send_raw(frame(request_header(API_PRODUCE, produce_version, corr) + body))
    return expect_close_or_error(case, c, corr=corr)


def case_produce_truncated_records():
    good = record_batch([(b"k", b"v" * 100)])
    # records length claims 1000 bytes; only the real batch follows.
    part = i32(0) + i32(1000) + good
    body = kstring(None) + i16(-1) + i32(30000) + karray([TOPIC], lambda t: kstring(t) +
                                                          karray([part]))
    with fresh_conn() as c:
        c.send_raw(frame(request_header(API_PRODUCE, produce_version, 50) + body))
        expect_close_or_error("Produce records length 1000 > bytes left", c, corr=50)
    after("Produce truncated records")


def case_produce_truncated_batch():
    # Records field is consistent, but the batch inside claims more than it has.
    good = bytearray(record_batch([(b"k", b"v" * 100)]))
    struct.pack_into(">i", good, 8, len(good) + 500)
    with fresh_conn() as c:
        kind, resp = produce_raw(c, bytes(good), 51, "Produce batchLength beyond records")
        if kind == "response":
            res = harness.parse_produce(resp[1], produce_version)
            check(res and all(r[2] != ERR_NONE for r in res),
                  f"Produce batchLength beyond records: expected a non-zero error, got {res}")
    after("Produce truncated batch")


def case_produce_bad_crc():
    batch = record_batch([(b"k%d" % i, b"value-%d" % i) for i in range(10)], corrupt_crc=True)
    with fresh_conn() as c:
        kind, resp = produce_raw(c, batch, 52, "Produce with a bad CRC")
        check(kind == "response", "Produce with a bad CRC: expected a response with "
                                  "CORRUPT_MESSAGE (2), the connection was closed")
        res = harness.parse_produce(resp[1], produce_version)
        check(len(res) == 1 and res[0][2] == ERR_CORRUPT_MESSAGE,
              f"Produce with a bad CRC: expected partition error 2 (CORRUPT_MESSAGE), got {res}")
    after("Produce bad CRC")


def case_produce_good():
    """Control case: a well-formed Produce with a correct CRC succeeds."""
    batch = record_batch([(b"k%d" % i, b"value-%d" % i) for i in range(10)])
    with fresh_conn() as c:
        res = c.produce(TOPIC, 0, batch, version=produce_version)
        check(len(res) == 1 and res[0][2] == ERR_NONE and res[0][3] >= 0,
              f"well-formed Produce v{produce_version}: expected error 0 and an offset, got {res}")
    after("Produce good batch")


def bomb_payload_gzip():
    """gzip stream of BOMB_BYTES: a record whose length varint claims the
    whole size, then zeros."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip wrapper
    out = [comp.compress(harness.zigzag_varint(BOMB_BYTES - 5))]
    chunk = bytes(1 << 20)
    for _ in range(BOMB_BYTES >> 20):
        out.append(comp.compress(chunk))
    out.append(comp.flush())
    return b"".join(out)


def bomb_payload_zstd():
    zstd = shutil.which("zstd")
    if not zstd:
        return None
    head = harness.zigzag_varint(BOMB_BYTES - 5)
    p = subprocess.Popen([zstd, "-q", "-19", "-c", "-"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE)
    import threading
    res = []
    t = threading.Thread(target=lambda: res.append(p.stdout.read()))
    t.start()
    p.stdin.write(head)
    chunk = bytes(1 << 20)
    for _ in range(BOMB_BYTES >> 20):
        p.stdin.write(chunk)
    p.stdin.close()
    t.join()
    p.wait()
    return res[0]


def run_bomb(name, codec, payload):
    check(len(payload) < MAX_REQUEST - 65536 - 4096,
          f"{name} bomb is {len(payload)} bytes, too big for the request limit")
    batch = record_batch(payload=payload, count=1, codec=codec)
    with fresh_conn() as c:
        kind, resp = produce_raw(c, batch, 60 + codec,
                                 f"Produce {name} bomb ({len(payload)} -> {BOMB_BYTES} bytes)")
        check(kind == "response", f"Produce {name} bomb: expected an error code in a "
                                  f"response, the connection was closed")
        res = harness.parse_produce(resp[1], produce_version)
        check(len(res) == 1 and res[0][2] != ERR_NONE,
              f"Produce {name} bomb: expected a non-zero partition error, got {res}")
        print(f"  {name} bomb: partition error {res[0][2]}")
    rss = node.rss_kib()
    check(rss < RSS_BOUND_KIB, f"after the {name} bomb RSS is {rss} KiB (bound {RSS_BOUND_KIB})")
    after(f"{name} compression bomb")


def case_gzip_bomb():
    run_bomb("gzip", 1, bomb_payload_gzip())


def case_zstd_bomb():
    payload = bomb_payload_zstd()
    if payload is None:
        print("zstd CLI not found: zstd bomb not run")
        return
    run_bomb("zstd", 4, payload)


def case_many_bad_in_a_row():
    # Repeat the cheap cases to catch leaks per connection.
    for _ in range(50):
        with fresh_conn() as c:
            c.send_raw(frame(request_header(API_METADATA, 1, 1) + i32(1000000000)))
            c.outcome()
        with fresh_conn() as c:
            c.send_raw(struct.pack(">i", 512 << 20))
            c.outcome()
    after("100 bad connections in a row")


def case_final_rss():
    rss = node.rss_kib()
    print(f"final RSS {rss} KiB")
    check(rss < RSS_BOUND_KIB, f"final RSS {rss} KiB, bound {RSS_BOUND_KIB} KiB")


def setup():
    global node, produce_version
    binary = harness.binary_from_argv()
    # message.max.bytes must not exceed socket.request.max.bytes (the server
    # refuses to start otherwise).
    node = SluiceNode(binary, overrides={"socket.request.max.bytes": str(MAX_REQUEST),
                                         "message.max.bytes": str(MAX_REQUEST - 65536)},
                      name="bad-input")
    node.start_ready()
    with fresh_conn() as c:
        _, apis = c.api_versions()
    produce_version = harness.pick_version(apis, API_PRODUCE, 3, 7)
    if produce_version is None:
        raise TestFailure(f"Produce v3..v7 not advertised: {apis.get(API_PRODUCE)}")
    harness.create_topic(node.bootstrap, TOPIC, 1)


def teardown():
    case_final_rss()
    rc = node.stop()
    check(rc == 0, f"SIGTERM after the bad-input cases: exit status {rc}, expected 0")


def main():
    cases = [
        ("start node and create topic", setup),
        ("negative frame size", case_negative_size),
        ("zero frame size", case_zero_size),
        ("frame size 512 MiB > socket.request.max.bytes", case_oversized_frame),
        ("frame shorter than a header", case_short_frame),
        ("disconnect in the middle of a frame", case_disconnect_mid_frame),
        ("client_id length beyond frame", case_client_id_too_long),
        ("unknown api key", case_unknown_api_key),
        ("Metadata unsupported version", case_metadata_unsupported_version),
        ("ApiVersions v99", case_api_versions_v99),
        ("Metadata v1 topic count 1e9", case_metadata_huge_array),
        ("Metadata v1 negative string length", case_metadata_negative_string),
        ("flexible versions: huge varint counts", case_flexible_amplification),
        ("Produce well-formed (control)", case_produce_good),
        ("Produce records length beyond frame", case_produce_truncated_records),
        ("Produce batch length beyond records", case_produce_truncated_batch),
        ("Produce bad CRC", case_produce_bad_crc),
        ("Produce gzip bomb", case_gzip_bomb),
        ("Produce zstd bomb", case_zstd_bomb),
        ("garbage after a valid header", case_garbage_after_header),
        ("100 bad connections", case_many_bad_in_a_row),
        ("final RSS and clean stop", teardown),
    ]
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
