"""kcat (librdkafka) against a single Sluice node: metadata listing, then for
every compression codec a keyed produce of 10,000 messages into a
3-partition topic and a read-back from the beginning.  Checks: every message
once, one partition per key, offsets 0..n-1 in order per partition, per-key
produce order kept, and the stored batches carry the requested codec
(DESIGN.md section 4: batches are stored as the client sent them).

Usage: test_kcat.py /path/to/sluice           (exit 0 pass, 1 fail, 77 skip)"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
sys.dont_write_bytecode = True

import harness  # noqa: E402
from harness import SluiceNode, Skip, check  # noqa: E402

N = 10000
PARTS = 3
NKEYS = 97
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}

node = None
KCAT = shutil.which("kcat") or shutil.which("kafkacat")


def kcat(args, stdin=None, timeout=180):
    cmd = [KCAT, "-b", node.bootstrap] + args
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def setup():
    global node
    if not KCAT:
        raise Skip("kcat not installed")
    node = SluiceNode(harness.binary_from_argv(), name="kcat")
    node.start_ready()


def case_metadata():
    harness.create_topic(node.bootstrap, "kcat-meta", PARTS)
    rc, out, err = kcat(["-L", "-m", "30"])
    check(rc == 0, f"kcat -L: exit {rc}, stderr: {err[-2000:]}")
    check(re.search(rf"broker \d+ at 127\.0\.0\.1:{node.kafka_port}\b", out),
          f"kcat -L: no 'broker N at 127.0.0.1:{node.kafka_port}' line in:\n{out}")
    check(re.search(r'topic "kcat-meta" with 3 partitions', out),
          f"kcat -L: no 'topic \"kcat-meta\" with 3 partitions' in:\n{out}")
    for p in range(PARTS):
        check(re.search(rf"partition {p}, leader \d+", out),
              f"kcat -L: partition {p} of kcat-meta has no leader line in:\n{out}")
    rc, out, err = kcat(["-L", "-t", "kcat-meta", "-J"])
    check(rc == 0 and '"topic":"kcat-meta"' in out.replace(" ", ""),
          f"kcat -L -J -t kcat-meta: exit {rc}, output {out[:1000]} {err[-1000:]}")


def stored_codecs(topic):
    """{codec: batch count} over the topic's segment files."""
    seen, nfiles = {}, 0
    for p in range(PARTS):
        files, batches = harness.segment_batches(node.data_dir, topic, p)
        nfiles += len(files)
        for b in batches:
            seen[b.attributes & 7] = seen.get(b.attributes & 7, 0) + 1
    check(nfiles, f"{topic}: no segment files under {node.data_dir}/{topic}-<p>/*.log")
    return seen


def round_codec(codec):
    topic = f"kcat-{codec}"
    harness.create_topic(node.bootstrap, topic, PARTS)
    lines = "".join(f"key{i % NKEYS}:{codec}-{i:06d}\n" for i in range(N))
    rc, out, err = kcat(["-P", "-t", topic, "-K:", "-z", codec, "-X", "acks=all",
                         "-X", "linger.ms=20"], stdin=lines.encode())
    check(rc == 0, f"kcat -P -z {codec}: exit {rc}, stderr: {err[-2000:]}")
    check("Delivery failed" not in err, f"kcat -P -z {codec}: delivery failures: {err[-2000:]}")

    rc, out, err = kcat(["-C", "-t", topic, "-e", "-o", "beginning", "-q",
                         "-f", "%p %o %k %s\\n"])
    check(rc == 0, f"kcat -C ({codec}): exit {rc}, stderr: {err[-2000:]}")
    rows = [ln.split(" ") for ln in out.splitlines() if ln]
    check(all(len(r) == 4 for r in rows), f"kcat -C ({codec}): malformed lines: "
          f"{[r for r in rows if len(r) != 4][:3]}")
    values = [r[3] for r in rows]
    want = {f"{codec}-{i:06d}" for i in range(N)}
    check(len(values) == N and set(values) == want,
          f"{topic}: read {len(values)} messages ({len(set(values))} distinct), "
          f"produced {N}; missing e.g. {sorted(want - set(values))[:5]}, "
          f"unexpected e.g. {sorted(set(values) - want)[:5]}")

    key_part, per_part, per_key = {}, {}, {}
    for p, o, k, v in rows:
        p, o = int(p), int(o)
        check(key_part.setdefault(k, p) == p,
              f"{topic}: key {k} found in partitions {key_part[k]} and {p}")
        per_part.setdefault(p, []).append(o)
        per_key.setdefault(k, []).append(int(v.split("-")[1]))
    check(sorted(per_part) == list(range(PARTS)),
          f"{topic}: messages only in partitions {sorted(per_part)}")
    for p, offs in per_part.items():
        check(offs == list(range(len(offs))),
              f"{topic}[{p}]: offsets are not 0..{len(offs) - 1} in order "
              f"(first bad index {next((i for i, o in enumerate(offs) if o != i), None)})")
    for k, seqs in per_key.items():
        check(seqs == sorted(seqs), f"{topic}: key {k} values out of produce order")

    seen = stored_codecs(topic)
    # librdkafka sends a batch uncompressed when compressing does not make it smaller
    # (a small batch under load), so uncompressed batches may appear next to the codec;
    # the codec itself must be there, or librdkafka disabled it after ApiVersions
    # (protocol.md a4).
    check(seen.get(CODECS[codec], 0) > 0 and set(seen) <= {CODECS[codec], CODECS["none"]},
          f"{topic}: stored batches by codec {seen}, expected codec {CODECS[codec]} "
          f"({codec}), possibly next to uncompressed ones")


def teardown():
    rc = node.stop()
    check(rc == 0, f"SIGTERM: exit status {rc}, expected 0")


def main():
    cases = [("start node", setup), ("kcat -L metadata", case_metadata)]
    for codec in CODECS:
        cases.append((f"kcat produce/consume codec {codec}", lambda c=codec: round_codec(c)))
    cases.append(("stop node", teardown))
    harness.run_tests(cases, keep_going=lambda: node is not None and node.running())


if __name__ == "__main__":
    main()
