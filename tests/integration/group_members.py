"""Consumer-group building blocks shared by tests/compat/test_groups.py (one
node) and tests/integration/test_groups_cluster.py (three nodes): a group
member consuming in its own thread (kafka-python or confluent-kafka), the
waits and exactness checks on what a group consumed and committed, the
member that commits only part of what it read, and the whole "split, leave,
resume from committed offsets" lifecycle of one group, and kcat -G resuming
after its own commit.

Everything is bound to one GroupClients object, which says what differs
between the two scripts: the bootstrap servers and the partition count.
The Kafka client libraries import only under /usr/bin/python3; when one is
missing, KafkaConsumer / Consumer are None and the *_IMPORT_ERROR names why."""

import shutil
import subprocess
import threading
import time

from harness import Skip, TestFailure, check, wait_until

try:
    from kafka import KafkaConsumer, TopicPartition as KpTP
    from kafka.errors import KafkaError as KpError
    from kafka.structs import OffsetAndMetadata as KpOAM
    KP_IMPORT_ERROR = None
except ImportError as e:
    KafkaConsumer = None
    KP_IMPORT_ERROR = e

try:
    from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
    CK_IMPORT_ERROR = None
except ImportError as e:
    Consumer = None
    CK_IMPORT_ERROR = e


def ck_batch(c, n, timeout):
    """Up to n messages from confluent-kafka Consumer c, waiting up to timeout
    for the first.  poll() one by one, not consume(num_messages): librdkafka
    2.0's batch API (Debian's) can drop prefetched messages of a partition the
    consumer keeps through a cooperative rebalance (a known issue listed with
    librdkafka v2.0.0, fixed later), which would look like skipped records."""
    out = []
    m = c.poll(timeout)
    while m is not None:
        if m.error() is None:
            out.append(m)
        if len(out) >= n:
            break
        m = c.poll(0)
    return out


class GroupClients:
    """The clients of one test: where they connect and how many partitions
    its group topics have.

    bootstrap:      "host:port[,host:port...]" for every client made here
    parts:          partitions of every topic the groups consume
    strict_commits: a member's failed commit is an error of that member
                    (reported by Member.stop) instead of only being counted
                    in Member.commit_failures (which a failover test expects)
    """

    def __init__(self, bootstrap, parts=6, strict_commits=False):
        self.bootstrap, self.parts, self.strict_commits = bootstrap, parts, strict_commits

    def produce(self, topic, per_part, tag):
        """Write per_part records to every partition of topic (acks=all) and
        fail the test unless every one is acknowledged."""
        p = Producer({"bootstrap.servers": self.bootstrap, "acks": "all", "linger.ms": 5})
        errors = []

        def dr(err, m):
            if err is not None:
                errors.append(str(err))
        for i in range(per_part):
            for part in range(self.parts):
                p.produce(topic, value=f"{tag}-{part}-{i}".encode(), partition=part,
                          on_delivery=dr)
        check(p.flush(60) == 0, f"{topic}: delivery reports missing")
        check(not errors, f"{topic}: delivery errors {errors[:3]}")

    def committed(self, group, topic, timeout=20):
        """{partition: committed offset} read with OffsetFetch (no group membership)."""
        c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group})
        try:
            tps = c.committed([TopicPartition(topic, p) for p in range(self.parts)],
                              timeout=timeout)
        finally:
            c.close()
        return {tp.partition: tp.offset for tp in tps}

    def member(self, family, topic, group, name, session_ms=10000):
        """A Member ("kp": kafka-python, "ck": confluent-kafka) of group on
        topic, not yet started."""
        return Member(self, family, topic, group, name, session_ms)

    def wait_split(self, members, per_member, what, deadline=60):
        """Wait until the members' assignments are disjoint, cover every partition
        and give each member `per_member` partitions; a member error fails at once."""
        def pred():
            for m in members:
                check(not m.errors, f"{m.name}: {m.errors}")
            sets = [m.assigned for m in members]
            union = frozenset().union(*sets)
            return (union == frozenset(range(self.parts))
                    and sum(len(s) for s in sets) == self.parts
                    and all(len(s) == per_member for s in sets))
        wait_until(pred, deadline, what=f"{what}: {len(members)} consumers with {per_member} "
                                        f"partitions each")

    def wait_committed(self, group, topic, want, what, deadline=60):
        """Wait until group's committed offsets on topic are want: an int
        (every partition) or {partition: offset}."""
        if isinstance(want, int):
            want = {p: want for p in range(self.parts)}
        wait_until(lambda: self.committed(group, topic, timeout=10) == want, deadline,
                   what=f"{what}: committed offsets of {group} at {want}")

    def check_exactly(self, records, lo, hi, what):
        """records (partition, offset) are exactly every offset in [lo, hi) of
        every partition, once; TestFailure otherwise."""
        expected = sorted((p, o) for p in range(self.parts) for o in range(lo, hi))
        got = sorted(records)
        if got != expected:
            dup = len(got) - len(set(got))
            missing = sorted(set(expected) - set(got))[:5]
            extra = sorted(set(got) - set(expected))[:5]
            raise TestFailure(f"{what}: expected offsets [{lo}, {hi}) of {self.parts} "
                              f"partitions once each; got {len(got)} records, {dup} "
                              f"duplicate(s), missing {missing}, unexpected {extra}")

    def partial_member(self, family, topic, group, lo, hi, commit_at):
        """Join alone, consume [lo, hi) of every partition (exactly, else
        TestFailure), commit commit_at on every partition, leave."""
        seen = []
        deadline = time.monotonic() + 60
        want = self.parts * (hi - lo)
        if family == "kp":
            c = KafkaConsumer(topic, bootstrap_servers=self.bootstrap, group_id=group,
                              enable_auto_commit=False, auto_offset_reset="earliest",
                              session_timeout_ms=10000, heartbeat_interval_ms=1000)
            try:
                while len(seen) < want and time.monotonic() < deadline:
                    for recs in c.poll(timeout_ms=200).values():
                        seen.extend((r.partition, r.offset) for r in recs)
                c.commit({KpTP(topic, p): KpOAM(commit_at, None) for p in range(self.parts)})
            finally:
                c.close(autocommit=False)
        else:
            c = Consumer({"bootstrap.servers": self.bootstrap, "group.id": group,
                          "enable.auto.commit": False, "auto.offset.reset": "earliest",
                          "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})
            c.subscribe([topic])
            try:
                while len(seen) < want and time.monotonic() < deadline:
                    seen.extend((m.partition(), m.offset()) for m in ck_batch(c, 100, 0.2))
                c.commit(offsets=[TopicPartition(topic, p, commit_at)
                                  for p in range(self.parts)], asynchronous=False)
            finally:
                c.close()
        self.check_exactly(seen, lo, hi,
                           f"{group}: the member that resumes after the second phase")

    def group_lifecycle(self, family, topic, group, per_phase, partial_commit):
        """One group on an existing topic that nothing was produced to yet:
        three members split the partitions and consume phase A exactly once;
        one leaves, the other two take over and consume phase B; the group
        stops, a lone member consumes phase C but commits only up to
        2 * per_phase + partial_commit; three new members resume from there
        and consume exactly the rest.  Skip when family's client is missing.
        Returns the final committed offset of every partition."""
        if family == "kp" and KafkaConsumer is None:
            raise Skip(f"kafka-python not importable: {KP_IMPORT_ERROR}")
        # Three consumers split the partitions before anything is produced, so every
        # record is consumed and committed by a member of a stable generation.
        members = [self.member(family, topic, group, f"{family}-c{i}") for i in range(3)]
        for m in members:
            m.start()
        self.wait_split(members, 2, f"{group} with three members")
        self.produce(topic, per_phase, "A")
        self.wait_committed(group, topic, per_phase, f"{group} phase A")

        # One leaves; the other two take its partitions over.
        members[0].stop()
        rest = members[1:]
        self.wait_split(rest, 3, f"{group} after {members[0].name} left")
        self.produce(topic, per_phase, "B")
        self.wait_committed(group, topic, 2 * per_phase, f"{group} phase B")
        for m in rest:
            m.stop()
        self.check_exactly([r for m in members for r in m.consumed], 0, 2 * per_phase,
                           f"{group}: phases A and B")

        # The group restarts from its committed offsets.  One member consumes phase C
        # but commits only part of it: the next members must redeliver exactly the rest.
        self.produce(topic, per_phase, "C")
        end = 3 * per_phase
        commit_at = 2 * per_phase + partial_commit
        self.partial_member(family, topic, group, 2 * per_phase, end, commit_at)
        check(self.committed(group, topic) == {p: commit_at for p in range(self.parts)},
              f"{group}: partial commit not visible")
        again = [self.member(family, topic, group, f"{family}-r{i}") for i in range(3)]
        for m in again:
            m.start()
        self.wait_split(again, 2, f"{group} restarted")
        self.wait_committed(group, topic, end, f"{group} after the restart")
        for m in again:
            m.stop()
        self.check_exactly([r for m in again for r in m.consumed], commit_at, end,
                           f"{group}: restarted group")
        return end

    def kcat_resume(self, topic, group):
        """kcat -G on an empty topic: a first run consumes the 10 records
        produced to every partition and commits them, a second run consumes
        exactly the 2 produced next.  Skip without kcat.  Returns the final
        committed offset of every partition (12)."""
        if not shutil.which("kcat"):
            raise Skip("kcat not installed")
        self.produce(topic, 10, "K")

        def run_kcat(count):
            r = subprocess.run(["kcat", "-b", self.bootstrap, "-G", group, "-X",
                                "auto.offset.reset=earliest", "-c", str(count), "-e", "-q",
                                "-f", "%p %o\n", topic],
                               capture_output=True, text=True, timeout=90)
            check(r.returncode == 0, f"kcat -G exited {r.returncode}: {r.stderr[-500:]}")
            return [tuple(int(x) for x in ln.split()) for ln in r.stdout.splitlines()
                    if ln.strip()]
        first = run_kcat(self.parts * 10)
        self.check_exactly(first, 0, 10, "kcat -G first run")
        self.wait_committed(group, topic, 10, "kcat -G")
        self.produce(topic, 2, "L")
        second = run_kcat(self.parts * 2)
        self.check_exactly(second, 10, 12, "kcat -G second run (resumes after its commit)")
        return 12


class Member(threading.Thread):
    """One group member in its own thread, committing after every batch the
    next offset of every partition the batch touched.  Made by GroupClients.member.

    It logs what the failover checks need, with time.monotonic() stamps:
      polls:    [(t_start, {partition: [offsets]})] per poll that returned records
      assigned: [(t_start, frozenset)] each time the assignment changed, stamped
                with the start of the poll after which it was seen
      acks:     [(t_done, {partition: offset})] commits the coordinator acknowledged
    `assigned` is the current assignment, `consumed` every (partition, offset)
    returned so far, `errors` what ended the thread (and failed commits when
    the GroupClients is strict_commits).
    """

    def __init__(self, clients, family, topic, group, name, session_ms=10000):
        super().__init__(daemon=True)
        self.clients = clients
        self.family, self.topic, self.group, self.name = family, topic, group, name
        self.session_ms = session_ms
        self.assigned = frozenset()
        self.polls, self.assigned_log, self.acks = [], [], []
        self.commit_failures = 0
        self.errors = []
        self.stop_flag = threading.Event()
        self.closed = threading.Event()
        self.lock = threading.Lock()

    @property
    def consumed(self):
        with self.lock:
            return [(p, o) for _, got in self.polls for p, offs in got.items() for o in offs]

    def _note_assignment(self, t0, parts):
        parts = frozenset(parts)
        if parts != self.assigned:
            with self.lock:
                self.assigned_log.append((t0, parts))
            self.assigned = parts

    def _note_batch(self, t0, got):
        with self.lock:
            self.polls.append((t0, got))

    def _commit_failed(self, why):
        self.commit_failures += 1
        if self.clients.strict_commits:
            self.errors.append(f"commit failed: {why}")

    def run(self):
        try:
            if self.family == "kp":
                self.run_kp()
            else:
                self.run_ck()
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.errors.append(repr(e))
        finally:
            self.closed.set()

    def run_kp(self):
        c = KafkaConsumer(self.topic, bootstrap_servers=self.clients.bootstrap,
                          group_id=self.group, client_id=self.name, enable_auto_commit=False,
                          auto_offset_reset="earliest", session_timeout_ms=self.session_ms,
                          heartbeat_interval_ms=1000, max_poll_records=200,
                          request_timeout_ms=max(30000, self.session_ms + 5000))
        try:
            while not self.stop_flag.is_set():
                t0 = time.monotonic()
                batch = c.poll(timeout_ms=200)
                got = {}
                for tp, recs in batch.items():
                    got.setdefault(tp.partition, []).extend(r.offset for r in recs)
                if got:
                    self._note_batch(t0, got)
                self._note_assignment(t0, (tp.partition for tp in c.assignment()))
                if got:
                    offs = {p: max(o) + 1 for p, o in got.items()}
                    try:
                        c.commit({KpTP(self.topic, p): KpOAM(o, None) for p, o in offs.items()})
                        with self.lock:
                            self.acks.append((time.monotonic(), offs))
                    except KpError as e:
                        self._commit_failed(repr(e))
        finally:
            c.close(autocommit=False)

    def run_ck(self):
        c = Consumer({"bootstrap.servers": self.clients.bootstrap, "group.id": self.group,
                      "client.id": self.name, "enable.auto.commit": False,
                      "auto.offset.reset": "earliest", "session.timeout.ms": self.session_ms,
                      "heartbeat.interval.ms": 1000,
                      "partition.assignment.strategy": "cooperative-sticky"})
        c.subscribe([self.topic])
        try:
            while not self.stop_flag.is_set():
                t0 = time.monotonic()
                got = {}
                for m in ck_batch(c, 200, 0.2):
                    got.setdefault(m.partition(), []).append(m.offset())
                if got:
                    self._note_batch(t0, got)
                self._note_assignment(t0, (tp.partition for tp in c.assignment()))
                if got:
                    offs = {p: max(o) + 1 for p, o in got.items()}
                    try:
                        res = c.commit(offsets=[TopicPartition(self.topic, p, o)
                                                for p, o in offs.items()], asynchronous=False)
                        ok = {tp.partition: tp.offset for tp in res if tp.error is None}
                        if ok:
                            with self.lock:
                                self.acks.append((time.monotonic(), ok))
                        if len(ok) != len(offs):
                            self._commit_failed(f"{len(offs) - len(ok)} partition(s) refused")
                    except KafkaException as e:
                        self._commit_failed(repr(e))
        finally:
            c.close()

    def stop(self):
        """Stop and close the consumer (leaving the group); fail the test if it
        does not close in time or had errors."""
        self.stop_flag.set()
        check(self.closed.wait(90), f"{self.name} did not close")
        self.join(10)
        check(not self.errors, f"{self.name}: {self.errors}")
