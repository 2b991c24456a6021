"""Integration test harness for Sluice: start real `sluice server` processes on
loopback and talk raw Kafka protocol to them.

What is here:
  * SluiceNode: one single-node dev cluster in a fresh temp dir on free ports
    (start, wait_ready, stop = SIGTERM, kill9 = SIGKILL, restart, logs).
    Every process and directory is cleaned up at exit, even on failure.
  * KafkaConn plus request encoders/decoders written by hand with struct:
    ApiVersions, Metadata v1, CreateTopics v1-v4, Produce v3-v7, record batch
    v2 with CRC-32C.  Used for readiness and for the bad-input tests.
  * run_tests(): a tiny runner printing node logs on failure and mapping the
    outcome to exit codes meson understands (0 pass, 1 fail, 77 skip).

It is also a small CLI used by tests/bench/run-bench.sh:
  harness.py free-ports N                  print N free loopback ports
  harness.py wait-ready HOST:PORT SECS     exit 0 once ApiVersions answers
  harness.py create-topic HOST:PORT NAME PARTITIONS
"""

import atexit
import collections
import glob
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback

# Exit codes understood by meson.
EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77

# Kafka API keys and error codes used by the tests.
API_PRODUCE, API_FETCH, API_METADATA, API_API_VERSIONS = 0, 1, 3, 18
API_CREATE_TOPICS, API_DELETE_TOPICS = 19, 20
ERR_NONE, ERR_CORRUPT_MESSAGE, ERR_UNSUPPORTED_VERSION = 0, 2, 35
ERR_TOPIC_ALREADY_EXISTS = 36

DEFAULT_DEADLINE = 60.0


class Skip(Exception):
    """Raised by a test when a required client tool is missing."""


class TestFailure(AssertionError):
    """A failed check, with a message that says what was expected and got."""


def check(cond, msg):
    """Assert `cond`; on failure raise TestFailure(msg)."""
    if not cond:
        raise TestFailure(msg)


def wait_until(pred, deadline=DEFAULT_DEADLINE, interval=0.05, what="condition"):
    """Poll pred() until it returns a truthy value; return that value.

    Exceptions from pred count as "not yet".  Raises TestFailure naming
    `what` (and the last exception) when `deadline` seconds pass."""
    end = time.monotonic() + deadline
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - polling: any failure means "not yet"
            last_exc = e
        if time.monotonic() >= end:
            extra = f" (last error: {last_exc!r})" if last_exc else ""
            raise TestFailure(f"timed out after {deadline:.0f}s waiting for {what}{extra}")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)


def free_ports(n):
    """Return n distinct free TCP ports on 127.0.0.1 (bound to port 0, then closed)."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


# ---------------------------------------------------------------------------
# Process bookkeeping: everything started here is killed at exit.

_live_nodes = []   # nodes with a process that may still run
ALL_NODES = []     # every node created (their logs are printed on failure)
_tmpdirs = []


def _cleanup_all():
    for node in list(_live_nodes):
        try:
            node.kill9()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass
    for d in list(_tmpdirs):
        shutil.rmtree(d, ignore_errors=True)
    _tmpdirs.clear()


def _on_signal(signum, frame):
    _cleanup_all()
    os._exit(EXIT_FAIL)


atexit.register(_cleanup_all)
signal.signal(signal.SIGTERM, _on_signal)
signal.signal(signal.SIGINT, _on_signal)


def make_tmpdir(prefix="sluice-itest-"):
    """Create a temp dir that is removed at exit; return its path."""
    d = tempfile.mkdtemp(prefix=prefix)
    _tmpdirs.append(d)
    return d


class SluiceNode:
    """One `sluice server` single-node dev cluster on free loopback ports.

    binary: path of the sluice executable.  tmpdir: a directory this node
    owns (created if None; its data lives in tmpdir/data, its log in
    tmpdir/node.log).  overrides: extra {key: value} passed as --override."""

    def __init__(self, binary, tmpdir=None, overrides=None, name="node1"):
        self.binary = os.path.abspath(binary)
        self.tmpdir = tmpdir or make_tmpdir()
        os.makedirs(self.tmpdir, exist_ok=True)
        self.name = name
        self.data_dir = os.path.join(self.tmpdir, "data")
        self.log_path = os.path.join(self.tmpdir, "node.log")
        self.kafka_port, self.controller_port, self.admin_port = free_ports(3)
        self.overrides = dict(overrides or {})
        self.env = {}  # extra environment variables for the process
        self.proc = None
        self._logf = None
        self.apis = {}
        ALL_NODES.append(self)

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.kafka_port}"

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def command(self):
        o = {
            "log.dirs": self.data_dir,
            "listeners": f"PLAINTEXT://127.0.0.1:{self.kafka_port},"
                         f"CONTROLLER://127.0.0.1:{self.controller_port}",
            "controller.quorum.voters": f"1@127.0.0.1:{self.controller_port}",
            "admin.listener": f"127.0.0.1:{self.admin_port}",
        }
        o.update(self.overrides)
        cmd = [self.binary, "server"]
        for k, v in o.items():
            cmd += ["--override", f"{k}={v}"]
        return cmd

    def start(self):
        """Start the process (logs appended to node.log).  Does not wait."""
        if self.running():
            raise TestFailure(f"{self.name}: start() while already running (pid {self.pid})")
        self._logf = open(self.log_path, "ab")
        self._logf.write(f"=== start {time.strftime('%H:%M:%S')}: {' '.join(self.command())}\n"
                         .encode())
        self._logf.flush()
        self.proc = subprocess.Popen(self.command(), stdout=self._logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.tmpdir,
                                     env={**os.environ, **self.env})
        if self not in _live_nodes:
            _live_nodes.append(self)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self, context=""):
        """Fail if the process has exited."""
        if self.proc is None:
            raise TestFailure(f"{self.name}: not started")
        rc = self.proc.poll()
        if rc is not None:
            raise TestFailure(f"{self.name}: process exited with status {rc} {context}".rstrip())

    def wait_ready(self, deadline=DEFAULT_DEADLINE):
        """Wait until the Kafka port answers ApiVersions v0 with error 0.

        Fails early if the process dies.  Returns the ApiVersions map."""
        end = time.monotonic() + deadline
        last = None
        while time.monotonic() < end:
            self.check_alive("while waiting for readiness")
            try:
                with KafkaConn("127.0.0.1", self.kafka_port, timeout=5) as c:
                    err, apis = c.api_versions()
                    if err == ERR_NONE and apis:
                        self.apis = apis
                        return apis
                    last = f"ApiVersions error {err}"
            except (OSError, ProtocolError) as e:
                last = repr(e)
            time.sleep(0.1)
        raise TestFailure(f"{self.name}: not ready after {deadline:.0f}s (last: {last})")

    def wait_broker_registered(self, deadline=DEFAULT_DEADLINE):
        """Wait until Metadata v1 lists at least one broker."""
        def pred():
            self.check_alive()
            with KafkaConn("127.0.0.1", self.kafka_port, timeout=5) as c:
                md = c.metadata([])
                return md if md["brokers"] else None
        return wait_until(pred, deadline, what=f"{self.name}: a broker in Metadata")

    def start_ready(self, deadline=DEFAULT_DEADLINE):
        self.start()
        self.wait_ready(deadline)
        self.wait_broker_registered(deadline)
        return self

    def _wait_exit(self, deadline):
        try:
            return self.proc.wait(timeout=deadline)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, deadline=DEFAULT_DEADLINE):
        """SIGTERM and wait for exit.  Fails (after SIGKILL) if it does not exit
        in time; returns the exit status."""
        if not self.running():
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        rc = self._wait_exit(deadline)
        if rc is None:
            self.kill9()
            raise TestFailure(f"{self.name}: did not exit within {deadline:.0f}s of SIGTERM")
        self._closed()
        return rc

    def kill9(self):
        """SIGKILL (crash) and reap."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._closed()

    def _closed(self):
        if self._logf:
            self._logf.write(f"=== exit {self.proc.returncode if self.proc else '?'}\n".encode())
            self._logf.close()
            self._logf = None
        if self in _live_nodes:
            _live_nodes.remove(self)

    def restart(self, crash=False, deadline=DEFAULT_DEADLINE):
        """Stop (SIGTERM, or SIGKILL when crash) and start again, same dir and ports."""
        if crash:
            self.kill9()
        else:
            self.stop(deadline)
        return self.start_ready(deadline)

    def rss_kib(self):
        """VmRSS of the process in KiB, from /proc/<pid>/status."""
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise TestFailure(f"{self.name}: no VmRSS in /proc/{self.pid}/status")

    def log_tail(self, lines=200):
        try:
            with open(self.log_path, "rb") as f:
                data = f.read().decode(errors="replace").splitlines()
        except OSError:
            return "(no log)"
        return "\n".join(data[-lines:])

    def sanitizer_reports(self):
        """Lines of node.log that are AddressSanitizer/UBSan/LeakSanitizer
        reports (the binary may be a sanitizer build)."""
        try:
            with open(self.log_path, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
        except OSError:
            return []
        keys = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                "SUMMARY: UndefinedBehaviorSanitizer")
        return [ln for ln in lines if any(k in ln for k in keys)]

    def conn(self, timeout=30):
        return KafkaConn("127.0.0.1", self.kafka_port, timeout=timeout)

    def check_healthy(self, context=""):
        """Fail unless the process is up and a fresh connection gets ApiVersions
        error 0 and a Metadata v1 answer with at least one broker."""
        self.check_alive(context)
        with self.conn() as c:
            err, apis = c.api_versions()
            check(err == ERR_NONE and apis,
                  f"{context}: fresh ApiVersions v0 expected error 0, got {err}")
            md = c.metadata([])
            check(md["brokers"], f"{context}: fresh Metadata v1 lists no broker: {md}")
        self.check_alive(context)


# ---------------------------------------------------------------------------
# Raw Kafka protocol.


class ProtocolError(Exception):
    pass


class Closed(Exception):
    """The peer closed the connection."""


def crc32c_table():
    t = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        t.append(c)
    return t


_CRC32C = crc32c_table()


def crc32c(data, crc=0):
    """CRC-32C (Castagnoli), as used by record batch v2."""
    crc ^= 0xFFFFFFFF
    t = _CRC32C
    for b in data:
        crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def u32(v): return struct.pack(">I", v)
def i64(v): return struct.pack(">q", v)


def kstring(s):
    """Non-compact nullable STRING (int16 length; None is -1)."""
    if s is None:
        return i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return i16(len(b)) + b


def kbytes(b):
    """Non-compact nullable BYTES (int32 length; None is -1)."""
    if b is None:
        return i32(-1)
    return i32(len(b)) + b


def karray(items, enc=lambda x: x):
    """Non-compact ARRAY (int32 count; None is -1)."""
    if items is None:
        return i32(-1)
    return i32(len(items)) + b"".join(enc(x) for x in items)


def zigzag_varint(v):
    """Signed zigzag varint (record fields)."""
    z = (v << 1) ^ (v >> 63)
    z &= (1 << 64) - 1
    out = bytearray()
    while z >= 0x80:
        out.append((z & 0x7F) | 0x80)
        z >>= 7
    out.append(z)
    return bytes(out)


def request_header(api_key, version, corr, client_id="sluice-itest"):
    """Request header v1 (non-flexible)."""
    return i16(api_key) + i16(version) + i32(corr) + kstring(client_id)


def frame(payload):
    return i32(len(payload)) + payload


class Reader:
    """Bounds-checked big-endian reader for response bodies."""

    def __init__(self, data):
        self.d, self.p = data, 0

    def take(self, n):
        if n < 0 or self.p + n > len(self.d):
            raise ProtocolError(f"short response: need {n} at {self.p} of {len(self.d)}")
        v = self.d[self.p:self.p + n]
        self.p += n
        return v

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]

    def string(self):
        n = self.i16()
        return None if n < 0 else self.take(n).decode(errors="replace")

    def array(self, fn):
        n = self.i32()
        if n < 0:
            return None
        if n > len(self.d) - self.p:
            raise ProtocolError(f"array count {n} exceeds remaining bytes")
        return [fn() for _ in range(n)]

    def remaining(self):
        return len(self.d) - self.p


class KafkaConn:
    """One TCP connection speaking raw Kafka frames."""

    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.corr = 0

    def __enter__(self):
        return self

    def __exit__(self, *a):
        self.close()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send_raw(self, data):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.sock.recv(min(n - len(buf), 1 << 20))
            except ConnectionResetError:
                raise Closed("connection reset")
            if not chunk:
                raise Closed(f"connection closed after {len(buf)} of {n} bytes")
            buf += chunk
        return bytes(buf)

    def recv_frame(self):
        """Read one response frame; returns (correlation_id, body_after_corr_id).
        Raises Closed when the peer closes, socket.timeout on timeout."""
        size = struct.unpack(">i", self._recv_exact(4))[0]
        if size < 4 or size > (256 << 20):
            raise ProtocolError(f"bad response frame size {size}")
        data = self._recv_exact(size)
        return struct.unpack(">i", data[:4])[0], data[4:]

    def outcome(self):
        """After sending something invalid: ('closed', None), ('response',
        (corr, body)) or ('timeout', None) if nothing happens in self.timeout."""
        try:
            return "response", self.recv_frame()
        except Closed:
            return "closed", None
        except socket.timeout:
            return "timeout", None

    def request(self, api_key, version, body, flexible_header=False):
        """Send one request (header v1, or v2 when flexible_header) and return
        the response body (after the correlation id; header v0 assumed, callers
        of flexible APIs skip the tag buffer themselves)."""
        self.corr += 1
        hdr = request_header(api_key, version, self.corr)
        if flexible_header:
            hdr += b"\x00"
        self.send_raw(frame(hdr + body))
        corr, resp = self.recv_frame()
        if corr != self.corr:
            raise ProtocolError(f"correlation id {corr}, expected {self.corr}")
        return resp

    # -- ApiVersions -------------------------------------------------------

    def api_versions(self):
        """ApiVersions v0.  Returns (error_code, {api_key: (min, max)})."""
        return parse_api_versions_v0(self.request(API_API_VERSIONS, 0, b""))

    # -- Metadata ----------------------------------------------------------

    def metadata(self, topics=None):
        """Metadata v1.  topics None = all topics, [] = no topic (brokers only).
        Returns {"brokers": [(id, host, port)], "controller": id,
                 "topics": {name: {"error": e, "partitions": {idx: (err, leader, replicas, isr)}}}}"""
        body = karray(topics, kstring) if topics is not None else i32(-1)
        return parse_metadata_v1(self.request(API_METADATA, 1, body))

    # -- CreateTopics --------------------------------------------------------

    def create_topics(self, topics, version=2, timeout_ms=30000):
        """CreateTopics v1..v4 (non-flexible).  topics: [(name, partitions, rf)].
        Returns {name: (error_code, error_message)}."""
        if not 1 <= version <= 4:
            raise ValueError("create_topics supports v1..v4")
        def topic(t):
            name, parts, rf = t
            return kstring(name) + i32(parts) + i16(rf) + karray([]) + karray([])
        body = karray(topics, topic) + i32(timeout_ms) + i8(0)
        r = Reader(self.request(API_CREATE_TOPICS, version, body))
        if version >= 2:
            r.i32()  # throttle_time_ms
        out = {}
        for _ in range(r.i32()):
            name = r.string()
            err = r.i16()
            msg = r.string()
            out[name] = (err, msg)
        return out

    # -- Produce -----------------------------------------------------------

    def produce(self, topic, partition, records_bytes, version=3, acks=-1, timeout_ms=30000):
        """Produce v3..v7 of one records blob to one partition.  Returns
        [(topic, partition, error_code, base_offset)]."""
        body = produce_body(topic, partition, records_bytes, acks, timeout_ms)
        return parse_produce(self.request(API_PRODUCE, version, body), version)


def parse_api_versions_v0(body):
    r = Reader(body)
    err = r.i16()
    apis = {}
    n = r.i32()
    if n < 0 or n * 6 > r.remaining():
        raise ProtocolError(f"ApiVersions: bad api_keys count {n}")
    for _ in range(n):
        k, lo, hi = r.i16(), r.i16(), r.i16()
        apis[k] = (lo, hi)
    return err, apis


def parse_metadata_v1(body):
    r = Reader(body)
    brokers = r.array(lambda: (r.i32(), r.string(), r.i32(), r.string()))
    controller = r.i32()
    topics = {}
    for _ in range(r.i32()):
        err = r.i16()
        name = r.string()
        r.i8()  # is_internal
        parts = {}
        for _ in range(r.i32()):
            perr = r.i16()
            idx = r.i32()
            leader = r.i32()
            replicas = r.array(r.i32)
            isr = r.array(r.i32)
            parts[idx] = (perr, leader, replicas, isr)
        topics[name] = {"error": err, "partitions": parts}
    return {"brokers": [(b[0], b[1], b[2]) for b in brokers], "controller": controller,
            "topics": topics}


def produce_body(topic, partition, records_bytes, acks=-1, timeout_ms=30000, txn_id=None):
    """Produce v3..v8 request body (non-flexible) for one topic-partition."""
    part = i32(partition) + kbytes(records_bytes)
    return kstring(txn_id) + i16(acks) + i32(timeout_ms) + \
        karray([topic], lambda t: kstring(t) + karray([part]))


def parse_produce(body, version):
    r = Reader(body)
    out = []
    for _ in range(r.i32()):
        name = r.string()
        for _ in range(r.i32()):
            idx, err, base = r.i32(), r.i16(), r.i64()
            r.i64()  # log_append_time_ms (v2+)
            if version >= 5:
                r.i64()  # log_start_offset
            out.append((name, idx, err, base))
    return out


def encode_record(offset_delta, key, value, ts_delta=0):
    body = i8(0) + zigzag_varint(ts_delta) + zigzag_varint(offset_delta)
    body += zigzag_varint(-1) if key is None else zigzag_varint(len(key)) + key
    body += zigzag_varint(-1) if value is None else zigzag_varint(len(value)) + value
    body += zigzag_varint(0)  # headers
    return zigzag_varint(len(body)) + body


def record_batch(records=None, codec=0, payload=None, count=None, base_ts=None,
                 producer_id=-1, producer_epoch=-1, base_sequence=-1, corrupt_crc=False):
    """Build a record batch v2.  records: [(key, value)] bytes or None.  With
    `payload` given, it is used as the (possibly compressed) records section
    verbatim and `count` is the declared record count.  corrupt_crc flips the CRC."""
    if payload is None:
        payload = b"".join(encode_record(i, k, v) for i, (k, v) in enumerate(records))
        count = len(records)
    ts = int(time.time() * 1000) if base_ts is None else base_ts
    after_crc = (i16(codec & 0x7) + i32(count - 1) + i64(ts) + i64(ts) + i64(producer_id) +
                 i16(producer_epoch) + i32(base_sequence) + i32(count) + payload)
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0xDEADBEEF
    tail = i32(-1) + i8(2) + u32(crc) + after_crc  # partitionLeaderEpoch, magic, crc
    return i64(0) + i32(len(tail)) + tail


BatchInfo = collections.namedtuple(
    "BatchInfo", "base_offset attributes last_offset_delta producer_id producer_epoch "
                 "base_sequence record_count")


def iter_batches(data):
    """Yield a BatchInfo for each complete v2 batch in a segment file's bytes
    (stops at the first partial or non-v2 one)."""
    p = 0
    while p + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, p)
        if length < 49 or p + 12 + length > len(data) or data[p + 16] != 2:
            return
        attrs, lod = struct.unpack_from(">hi", data, p + 21)
        pid, epoch, seq, count = struct.unpack_from(">qhii", data, p + 43)
        yield BatchInfo(base, attrs, lod, pid, epoch, seq, count)
        p += 12 + length


def segment_batches(data_dir, topic, partition):
    """BatchInfo of every batch in data_dir/<topic>-<partition>/*.log, in file
    name order (DESIGN.md section 4 layout)."""
    files = sorted(glob.glob(os.path.join(data_dir, f"{topic}-{partition}", "*.log")))
    out = []
    for f in files:
        with open(f, "rb") as fh:
            out.extend(iter_batches(fh.read()))
    return files, out


def pick_version(apis, key, lo, hi):
    """Highest version in [lo, hi] the server advertises for `key`, or None."""
    if key not in apis:
        return None
    smin, smax = apis[key]
    v = min(hi, smax)
    return v if v >= max(lo, smin) else None


def create_topic(bootstrap, name, partitions, rf=1, deadline=DEFAULT_DEADLINE):
    """Create a topic with raw CreateTopics (v1..v4) and wait until Metadata shows
    every partition with a leader.  Fails with the server's error otherwise."""
    host, port = bootstrap.rsplit(":", 1)
    with KafkaConn(host, int(port)) as c:
        _, apis = c.api_versions()
        v = pick_version(apis, API_CREATE_TOPICS, 1, 4)
        check(v is not None, f"CreateTopics v1..v4 not advertised: {apis.get(API_CREATE_TOPICS)}")
        res = c.create_topics([(name, partitions, rf)], version=v)
        err, msg = res.get(name, (None, None))
        check(err == ERR_NONE, f"CreateTopics v{v} {name} p={partitions}: expected error 0, "
                               f"got {err} ({msg})")
    return wait_topic_ready(bootstrap, name, partitions, deadline)


def wait_topic_ready(bootstrap, name, partitions, deadline=DEFAULT_DEADLINE):
    """Wait until Metadata v1 shows `name` with `partitions` partitions, all led."""
    host, port = bootstrap.rsplit(":", 1)

    def pred():
        # All topics (null array): naming the topic in Metadata v1 would
        # auto-create it when auto.create.topics.enable is on.
        with KafkaConn(host, int(port), timeout=5) as c:
            md = c.metadata(None)
        t = md["topics"].get(name)
        if not t or t["error"] != 0 or len(t["partitions"]) != partitions:
            return None
        if any(p[0] != 0 or p[1] < 0 for p in t["partitions"].values()):
            return None
        return md
    return wait_until(pred, deadline, what=f"topic {name} with {partitions} led partitions")


# ---------------------------------------------------------------------------
# Test runner.


def run_tests(tests, keep_going=None):
    """Run test callables in order.

    tests: [(name, fn)].  Each fn() raises TestFailure/Exception to fail or
    Skip to skip.  The first test is the setup: if it fails, nothing else
    runs.  After a later failure the run continues only while keep_going()
    (e.g. "the node is still up") returns true; without keep_going it stops.
    On failure the log tail of every node created so far is printed.  Exits
    the process with 0 (all passed), 1 (any failed) or 77 (all skipped)."""
    skipped, failed = 0, []
    for i, (name, fn) in enumerate(tests):
        t0 = time.monotonic()
        print(f"--- {name}", flush=True)
        try:
            fn()
        except Skip as e:
            print(f"SKIP {name}: {e}", flush=True)
            skipped += 1
            continue
        except BaseException as e:  # noqa: BLE001 - report everything
            print(f"FAIL {name}: {e}", flush=True)
            traceback.print_exc()
            sys.stdout.flush()
            failed.append(name)
            if i == 0 or keep_going is None or not keep_going():
                break
            continue
        print(f"ok   {name} ({time.monotonic() - t0:.1f}s)", flush=True)
    for node in list(_live_nodes):  # let sanitizer builds print their reports
        try:
            node.stop(30)
        except Exception:  # noqa: BLE001 - best effort
            pass
    for node in ALL_NODES:
        reports = node.sanitizer_reports()
        if reports:
            print(f"FAIL sanitizer reports in the log of {node.name}:\n  " +
                  "\n  ".join(reports[:10]), flush=True)
            failed.append(f"sanitizer reports ({node.name})")
    if failed:
        for node in ALL_NODES:
            print(f"===== log of {node.name} ({node.log_path}) =====")
            print(node.log_tail())
        print(f"FAILED: {len(failed)}: " + "; ".join(failed), flush=True)
    _cleanup_all()
    if failed:
        sys.exit(EXIT_FAIL)
    sys.exit(EXIT_SKIP if skipped == len(tests) else EXIT_PASS)


def binary_from_argv():
    """The sluice binary given as argv[1] (meson passes it)."""
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} /path/to/sluice", file=sys.stderr)
        sys.exit(2)
    b = sys.argv[1]
    if not os.access(b, os.X_OK):
        print(f"sluice binary {b} is not executable", file=sys.stderr)
        sys.exit(EXIT_FAIL)
    return b


def _cli(argv):
    if len(argv) >= 2 and argv[0] == "free-ports":
        print(" ".join(str(p) for p in free_ports(int(argv[1]))))
        return 0
    if len(argv) >= 3 and argv[0] == "wait-ready":
        host, port = argv[1].rsplit(":", 1)
        end = time.monotonic() + float(argv[2])
        while time.monotonic() < end:
            try:
                with KafkaConn(host, int(port), timeout=5) as c:
                    if c.api_versions()[0] == 0 and c.metadata([])["brokers"]:
                        return 0
            except (OSError, ProtocolError):
                pass
            time.sleep(0.1)
        print(f"{argv[1]} not ready", file=sys.stderr)
        return 1
    if len(argv) >= 4 and argv[0] == "create-topic":
        try:
            create_topic(argv[1], argv[2], int(argv[3]))
        except TestFailure as e:
            print(str(e), file=sys.stderr)
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
