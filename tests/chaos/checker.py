"""The history checker of the fault-injection suite (issue 15).

Input: the final log of every partition (read from the start to the high
watermark by a fresh consumer after the cluster healed), the writers'
acknowledgements and failures, the continuous reader's reads and the
watermark poller's regressions.  Output: a dict of figures and anomalies
(examples capped) that chaos.py writes as JSON.

Anomalies (any makes the run fail):
  lost              an acknowledged value absent from the final log
  wrong_offset      an acknowledged (partition, offset) holding another value
                    (or nothing) in the final log
  duplicates        a value of the idempotent writer present more than once,
                    written twice by one producer epoch (split_duplicates;
                    copies across an epoch bump are a warning, see there)
  reordered         acked values of the idempotent writer whose final offsets
                    do not follow their acknowledged order within a partition
  vanished_reads    a value the reader saw at offset o that the final log
                    does not hold at o
  hw_regressions    a high watermark lower than one seen before
  unknown_values    a record no writer produced
  (chaos.py adds crashes and stray logs, and reports fatal producer errors,
  e.g. OUT_OF_ORDER_SEQUENCE_NUMBER, as warnings: a deposed leader resumed
  after SIGSTOP can answer that before it learns of its successor)
Informational: duplicates of the non-idempotent writer, failures, availability.
"""

import bisect
import collections
import glob
import os
import sys

from confluent_kafka import Consumer, KafkaError, TopicPartition

from workload import client_conf

EXAMPLES = 20

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
from harness import segment_batches  # noqa: E402  (record batch v2 headers on disk)


def read_final(bootstrap, topic, partitions, deadline=120):
    """{partition: [(offset, value)]} from offset 0 to the high watermark."""
    import time
    c = Consumer(client_conf({"bootstrap.servers": bootstrap,
                              "group.id": f"chaos-final-{time.time()}",
                              "enable.auto.commit": False, "enable.partition.eof": True}))
    try:
        highs = {}
        end = time.monotonic() + deadline
        for p in range(partitions):
            while True:
                try:
                    highs[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=5,
                                                       cached=False)[1]
                    break
                except Exception:  # noqa: BLE001 - retry until the deadline
                    if time.monotonic() > end:
                        raise
                    time.sleep(0.5)
        out = {p: [] for p in range(partitions)}
        c.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
        done = {p for p in range(partitions) if highs[p] == 0}
        while len(done) < partitions and time.monotonic() < end:
            m = c.poll(1.0)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    if m.offset() >= highs[m.partition()]:
                        done.add(m.partition())
                    continue
                continue
            out[m.partition()].append((m.offset(), m.value().decode()))
            if m.offset() + 1 >= highs[m.partition()]:
                done.add(m.partition())
        if len(done) < partitions:
            raise RuntimeError(f"final read of {topic}: only partitions {sorted(done)} reached "
                               f"their high watermark {highs} within {deadline}s")
        return out, highs
    finally:
        c.close()


def batch_index(data_dir, topic, partition):
    """Sorted [(base_offset, last_offset, producer_id, producer_epoch)] of the
    batches in one replica's segment files."""
    _, bs = segment_batches(data_dir, topic, partition)
    return sorted((b.base_offset, b.base_offset + b.last_offset_delta, b.producer_id,
                   b.producer_epoch) for b in bs)


def producer_of(index, offset):
    """(producer_id, producer_epoch) of the batch holding `offset`, or None."""
    i = bisect.bisect_right(index, (offset, float("inf"))) - 1
    if i >= 0 and index[i][0] <= offset <= index[i][1]:
        return index[i][2], index[i][3]
    return None


def split_duplicates(dup_examples, indexes):
    """Duplicates of the idempotent writer split by the producer epochs of their
    copies: `same_epoch` (one producer id and epoch wrote the value twice: the
    broker's sequence check failed) and `across_epochs` (librdkafka bumped the
    epoch after timeouts and re-sent possibly persisted messages, which the
    broker cannot deduplicate; librdkafka issue 4953).  indexes: {partition:
    batch_index(...)}.  Copies whose batch is unknown count as same_epoch."""
    same, across = [], []
    for d in dup_examples:
        owners = [producer_of(indexes.get(p, []), o) for p, o in d["positions"]]
        d = dict(d, producers=owners)
        if None in owners or len(set(owners)) < len(owners):
            same.append(d)
        else:
            across.append(d)
    return same, across


def seq_of(value):
    return int(value.rsplit("-", 1)[1])


def check_topic(final, writer, idempotent, reads):
    """Figures and anomalies of one topic written by one writer."""
    at = {}                                # (p, o) -> value
    where = collections.defaultdict(list)  # value -> [(p, o)]
    for p, recs in final.items():
        for o, v in recs:
            at[(p, o)] = v
            where[v].append((p, o))
    acks = writer.acks
    acked_values = {a[0] for a in acks}
    lost, wrong = [], []
    for v, p, o, t in acks:
        if v not in where:
            lost.append({"value": v, "partition": p, "offset": o, "acked_at": round(t, 3)})
        elif at.get((p, o)) != v:
            wrong.append({"value": v, "partition": p, "offset": o, "acked_at": round(t, 3),
                          "final_value_there": at.get((p, o)), "final_positions": where[v]})
    dups = {v: pos for v, pos in where.items() if len(pos) > 1}
    prefix = writer.tag + "-"
    unknown = [{"partition": p, "offset": o, "value": v} for (p, o), v in at.items()
               if not v.startswith(prefix)]
    reordered = []
    if idempotent:
        by_part = collections.defaultdict(list)
        for v, p, o, t in acks:
            if v in where:
                by_part[p].append((seq_of(v), min(where[v])[1], v))
        for p, items in by_part.items():
            items.sort()
            for (s1, o1, v1), (s2, o2, v2) in zip(items, items[1:]):
                if o2 <= o1:
                    reordered.append({"partition": p, "earlier": [v1, o1], "later": [v2, o2]})
    vanished = []
    for topic, p, o, v, t in reads:
        if at.get((p, o)) != v:
            vanished.append({"partition": p, "offset": o, "read": v, "read_at": round(t, 3),
                             "final": at.get((p, o))})
    failed_values = {f[0] for f in writer.failures}
    return {
        "sent": writer.sent,
        "acked": len(acks),
        "failed": len(writer.failures),
        "unresolved": writer.unresolved,
        "abandoned_after_fatal": writer.abandoned,
        "fatal_error_count": len(writer.fatal),
        "producers_created": writer.producers,
        "fatal_errors": writer.fatal[:EXAMPLES],
        "failure_kinds": dict(collections.Counter(f[2] for f in writer.failures).most_common(10)),
        "final_records": len(at),
        "final_high_watermarks": None,  # filled by the caller
        "failed_but_present": len([v for v in failed_values if v in where and
                                   v not in acked_values]),
        "reads": len(reads),
        "lost": len(lost), "lost_examples": lost[:EXAMPLES],
        "wrong_offset": len(wrong), "wrong_offset_examples": wrong[:EXAMPLES],
        "duplicates": len(dups),
        "duplicate_examples": [{"value": v, "positions": pos}
                               for v, pos in list(dups.items())[:EXAMPLES]],
        "all_duplicates": [{"value": v, "positions": pos} for v, pos in dups.items()],
        "reordered": len(reordered), "reordered_examples": reordered[:EXAMPLES],
        "vanished_reads": len(vanished), "vanished_examples": vanished[:EXAMPLES],
        "unknown_values": len(unknown), "unknown_examples": unknown[:EXAMPLES],
    }


def longest_gap(times, start, end):
    """Longest interval in [start, end] without an element of sorted `times`;
    returns (seconds, from, to)."""
    pts = [start] + [t for t in times if start <= t <= end] + [end]
    best = (0.0, start, start)
    for a, b in zip(pts, pts[1:]):
        if b - a > best[0]:
            best = (b - a, a, b)
    return tuple(round(x, 3) for x in best)


def stray_report(nodes):
    """Lines mentioning stray logs and *-stray directories on any node."""
    lines, dirs = [], []
    for n in nodes:
        try:
            with open(n.log_path, "rb") as f:
                for ln in f.read().decode(errors="replace").splitlines():
                    if "removing stray" in ln or "stray log" in ln:
                        lines.append(f"node{n.id}: {ln}")
        except OSError:
            pass
        dirs += [f"node{n.id}: {os.path.relpath(d, n.dir)}"
                 for d in glob.glob(os.path.join(n.data_dir, "*-stray"))]
    return lines, dirs


def sanitizer_and_fatal_lines(nodes, expected=None):
    """Sanitizer reports, assertions, FATAL and panic lines of the node logs.
    A FATAL line between a nemesis disk-fault marker (`=== chaos ... disk
    fault armed`) and the node's next start is the designed reaction to a
    failed metadata write: it goes to `expected` (a list) when one is given."""
    keys = ("ERROR: AddressSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer",
            "Assertion", "assertion", "FATAL", "panic")
    out = []
    for n in nodes:
        try:
            with open(n.log_path, "rb") as f:
                text = f.read().decode(errors="replace")
        except OSError:
            continue
        under_disk_fault = False
        for ln in text.splitlines():
            if ln.startswith("=== chaos ") and " disk fault armed" in ln:
                under_disk_fault = True
            elif ln.startswith("=== start "):
                under_disk_fault = False
            if not any(k in ln for k in keys):
                continue
            excused = (under_disk_fault and expected is not None and "FATAL" in ln and
                       not any(k in ln for k in keys if k != "FATAL"))
            (expected if excused else out).append(f"node{n.id}: {ln}")
    return out
