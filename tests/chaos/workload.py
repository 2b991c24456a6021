"""Client workloads of the fault-injection suite (issue 15), all recording a
history for checker.py:

  * Writer: an acks=all confluent-kafka producer writing unique values
    "<name>-<seq>" round-robin over the partitions at a bounded rate,
    recording every acknowledgement (partition, offset, value, time) and
    every failure.  Run idempotent (enable.idempotence) on one topic and
    non-idempotent on another.
  * Reader: an assign-based consumer reading every partition from offset 0,
    recording (topic, partition, offset, value).
  * WatermarkPoller: polls ListOffsets (high watermarks) of every partition
    and records each regression (a later answer lower than the highest seen).
"""

import logging
import threading
import time

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

_client_logger = None


def set_client_log(path):
    """Send librdkafka's log lines of every client made by client_conf to `path`."""
    global _client_logger
    lg = logging.getLogger("sluice-chaos-clients")
    lg.setLevel(logging.INFO)
    lg.propagate = False
    h = logging.FileHandler(path)
    h.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    lg.addHandler(h)
    _client_logger = lg


def client_conf(conf):
    """`conf` plus the shared client logger (when set)."""
    if _client_logger is not None:
        conf = dict(conf, logger=_client_logger)
    return conf


class Writer(threading.Thread):
    def __init__(self, bootstrap, topic, partitions, name, idempotent, rate, t0):
        super().__init__(daemon=True, name=f"writer-{name}")
        self.bootstrap, self.topic, self.partitions = bootstrap, topic, partitions
        self.tag, self.idempotent, self.rate, self.t0 = name, idempotent, rate, t0
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.acks = []      # (value, partition, offset, t)
        self.failures = []  # (value, partition, error, t)
        self.fatal = []     # (t, error) producer-fatal errors (producer recreated)
        self.producers = 0
        self.need_new = False
        self.unresolved = 0
        self.abandoned = 0  # still queued in a producer dropped after a fatal error

    def _conf(self):
        c = {"bootstrap.servers": self.bootstrap, "acks": "all",
             "enable.idempotence": self.idempotent, "message.timeout.ms": 30000,
             "request.timeout.ms": 10000, "linger.ms": 5, "retry.backoff.ms": 200,
             "queue.buffering.max.messages": 20000, "socket.timeout.ms": 10000,
             "topic.metadata.refresh.interval.ms": 2000}
        if not self.idempotent:
            c["retries"] = 5
            c["max.in.flight.requests.per.connection"] = 5
        return c

    def _cb(self, err, msg):
        t = time.monotonic() - self.t0
        v = msg.value().decode()
        with self.lock:
            if err is None:
                self.acks.append((v, msg.partition(), msg.offset(), t))
            else:
                self.failures.append((v, msg.partition(), str(err), t))
                if err.fatal():
                    self.need_new = True

    def _error_cb(self, err):
        if err.fatal():
            with self.lock:
                self.fatal.append((round(time.monotonic() - self.t0, 3), str(err)))
                self.need_new = True

    def _new_producer(self):
        conf = client_conf(self._conf())
        conf["error_cb"] = self._error_cb
        self.producers += 1
        self.need_new = False
        return Producer(conf)

    def _fatal(self, e):
        with self.lock:
            self.fatal.append((round(time.monotonic() - self.t0, 3), str(e)))
            self.need_new = True

    def _drain(self, p, timeout):
        """Flush `p` (a producer in fatal state raises: then its messages have
        failed through their callbacks); returns how many are still queued."""
        try:
            return p.flush(timeout)
        except KafkaException as e:
            self._fatal(e)
            try:
                return len(p)
            except Exception:  # noqa: BLE001
                return 0

    def run(self):
        p = self._new_producer()
        seq = 0
        interval = 1.0 / self.rate
        next_t = time.monotonic()
        while not self.stop_ev.is_set():
            try:
                if self.need_new:
                    # A fatal (idempotence) error: the producer is unusable; its
                    # outstanding messages fail.  Drain it and start a new one.
                    self.abandoned += self._drain(p, 35)
                    p = self._new_producer()
                now = time.monotonic()
                if now < next_t:
                    p.poll(min(next_t - now, 0.1))
                    continue
                next_t += interval
                if next_t < now - 1.0:  # fell behind (queue full): do not burst
                    next_t = now
                v = f"{self.tag}-{seq}"
                try:
                    p.produce(self.topic, v.encode(), partition=seq % self.partitions,
                              on_delivery=self._cb)
                    seq += 1
                    self.sent = seq
                except BufferError:
                    p.poll(0.2)
                p.poll(0)
            except KafkaException as e:  # fatal: from produce(), poll() or flush()
                self._fatal(e)
        self.unresolved = self._drain(p, 60)

    def stop(self):
        self.stop_ev.set()


class Reader(threading.Thread):
    """Reads every partition of `topics` from offset 0 for as long as it runs."""

    def __init__(self, bootstrap, topics, partitions, t0):
        super().__init__(daemon=True, name="reader")
        self.bootstrap, self.topics, self.partitions, self.t0 = bootstrap, topics, partitions, t0
        self.stop_ev = threading.Event()
        self.reads = []   # (topic, partition, offset, value, t)
        self.errors = []  # (t, error)
        self.offset_regressions = []  # (topic, partition, prev_offset, offset, t)

    def run(self):
        c = Consumer(client_conf({"bootstrap.servers": self.bootstrap,
                                  "group.id": "chaos-reader", "enable.auto.commit": False,
                                  "auto.offset.reset": "earliest",
                                  "topic.metadata.refresh.interval.ms": 2000,
                                  "fetch.wait.max.ms": 200}))
        c.assign([TopicPartition(t, p, 0) for t in self.topics for p in range(self.partitions)])
        last = {}
        try:
            while not self.stop_ev.is_set():
                m = c.poll(0.5)
                if m is None:
                    continue
                t = time.monotonic() - self.t0
                if m.error():
                    if m.error().code() != KafkaError._PARTITION_EOF:
                        self.errors.append((t, str(m.error())))
                    continue
                k = (m.topic(), m.partition())
                if k in last and m.offset() <= last[k]:
                    self.offset_regressions.append((k[0], k[1], last[k], m.offset(), t))
                last[k] = m.offset()
                self.reads.append((m.topic(), m.partition(), m.offset(), m.value().decode(), t))
        finally:
            c.close()

    def stop(self):
        self.stop_ev.set()


class WatermarkPoller(threading.Thread):
    """Polls the high watermark of every partition; records regressions."""

    def __init__(self, bootstrap, topics, partitions, t0, interval=0.5):
        super().__init__(daemon=True, name="watermarks")
        self.bootstrap, self.topics, self.partitions = bootstrap, topics, partitions
        self.t0, self.interval = t0, interval
        self.stop_ev = threading.Event()
        self.highest = {}
        self.samples = 0
        self.regressions = []  # (topic, partition, highest_seen, now_seen, t)

    def run(self):
        c = Consumer(client_conf({"bootstrap.servers": self.bootstrap,
                                  "group.id": "chaos-watermarks", "enable.auto.commit": False,
                                  "topic.metadata.refresh.interval.ms": 2000}))
        try:
            while not self.stop_ev.wait(self.interval):
                for t in self.topics:
                    for p in range(self.partitions):
                        try:
                            _, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=2,
                                                            cached=False)
                        except KafkaException:
                            continue
                        if hi is None or hi < 0:
                            continue
                        self.samples += 1
                        k = (t, p)
                        if k in self.highest and hi < self.highest[k]:
                            self.regressions.append((t, p, self.highest[k], hi,
                                                     round(time.monotonic() - self.t0, 3)))
                        self.highest[k] = max(hi, self.highest.get(k, hi))
        finally:
            c.close()

    def stop(self):
        self.stop_ev.set()
