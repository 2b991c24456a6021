"""Fault-injection run (issue 15): three `sluice server` nodes in network
namespaces, a seeded nemesis, producers and a reader recording a history,
and a checker over it.  See README.md beside this file.

Usage (as root, with /usr/bin/python3 for Debian's confluent-kafka):
    chaos.py --sluice build/cmd/sluice [--seconds 90] [--seed S]
             [--out DIR] [--rate 200] [--keep] [--kinds kill,disk,clock|all]
             [--faultfs build/tests/faultfs/libsluice_faultfs.so]

Exit status: 0 no anomaly, 1 anomalies (or the run broke), 77 skipped
(not root, no network namespaces, no confluent-kafka).
"""

import argparse
import gc
import gzip
import json
import os
import random
import shutil
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

EXIT_PASS, EXIT_FAIL, EXIT_SKIP = 0, 1, 77
PARTITIONS = 3
TOPIC_IDEM, TOPIC_PLAIN = "chaos-idempotent", "chaos-plain"
RUN_TAG = None  # the cluster's tag, for the final release of its subnet
FAKETIME_PATHS = ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                  "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
                  "/usr/lib/faketime/libfaketime.so.1", "/usr/local/lib/faketime/libfaketime.so.1")


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def wait_until(pred, deadline, what, interval=0.5):
    end = time.monotonic() + deadline
    last = None
    while time.monotonic() < end:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - polling
            last = e
        time.sleep(interval)
    raise RuntimeError(f"timed out after {deadline:.0f}s waiting for {what} (last error: {last!r})")


def partitions_state(c, topic):
    """{partition: (leader, replicas, isr)} as each live node reports it, or None."""
    from confluent_kafka.admin import AdminClient
    from workload import client_conf
    states = []
    for i in c.live():
        a = AdminClient(client_conf({"bootstrap.servers": c.nodes[i].bootstrap,
                                     "socket.timeout.ms": 3000}))
        md = a.list_topics(topic, timeout=4)
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return None
        states.append({p: (pm.leader, sorted(pm.replicas), sorted(pm.isrs))
                       for p, pm in t.partitions.items()})
    return states


def healthy(c, topic):
    """Every live node reports every partition led with a whole ISR."""
    states = partitions_state(c, topic)
    if not states or len(states) != len(c.nodes):
        return False
    for st in states:
        if len(st) != PARTITIONS:
            return False
        for leader, replicas, isr in st.values():
            if leader < 0 or len(replicas) != 3 or isr != replicas:
                return False
    return True


def create_topics(c, names):
    """Create `names` (3 partitions, RF 3, min.insync.replicas 2); the admin
    client is gone when this returns."""
    from confluent_kafka.admin import AdminClient, NewTopic
    from workload import client_conf
    admin = AdminClient(client_conf({"bootstrap.servers": c.bootstrap()}))
    fs = admin.create_topics([NewTopic(t, num_partitions=PARTITIONS, replication_factor=3,
                                       config={"min.insync.replicas": "2"}) for t in names],
                             request_timeout=30)
    for f in fs.values():
        f.result()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sluice", required=True, help="path of the sluice binary")
    ap.add_argument("--seconds", type=float, default=90.0, help="nemesis duration")
    ap.add_argument("--seed", type=int, default=None, help="nemesis seed (random if unset)")
    ap.add_argument("--rate", type=float, default=200.0, help="messages/s per writer")
    ap.add_argument("--out", default=None, help="directory for node dirs, logs and result.json")
    ap.add_argument("--keep", action="store_true", help="keep node data even when the run passes")
    ap.add_argument("--kinds", default=None,
                    help="comma-separated fault kinds, or `all` (default: every kind "
                         "but the opt-in disk and clock)")
    ap.add_argument("--faultfs", default=None,
                    help="the faultfs shim for `disk` (default: tests/faultfs/"
                         "libsluice_faultfs.so in the sluice binary's build dir)")
    args = ap.parse_args()

    try:
        import confluent_kafka  # noqa: F401
    except ImportError:
        print("SKIP: confluent-kafka is not importable (run with /usr/bin/python3)")
        return EXIT_SKIP
    import cluster as cl
    why = cl.preflight()
    if why:
        print(f"SKIP: chaos test {why}")
        return EXIT_SKIP
    if not os.access(args.sluice, os.X_OK):
        print(f"sluice binary {args.sluice} is not executable", file=sys.stderr)
        return EXIT_FAIL

    from checker import (batch_index, check_topic, longest_gap, read_final,
                         sanitizer_and_fatal_lines, split_duplicates, stray_report)
    from confluent_kafka.admin import AdminClient
    from nemesis import ALL_KINDS, DEFAULT_KINDS, Nemesis
    from workload import Reader, WatermarkPoller, Writer, client_conf, set_client_log

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    out = os.path.abspath(args.out or tempfile.mkdtemp(prefix="sluice-chaos-"))
    os.makedirs(out, exist_ok=True)
    log(f"chaos: seed {seed}, {args.seconds:.0f}s of faults, output in {out}")
    rng = random.Random(seed)
    set_client_log(os.path.join(out, "clients.log"))
    if args.kinds == "all":
        kinds = ALL_KINDS
    else:
        kinds = tuple(k for k in args.kinds.split(",") if k) if args.kinds else DEFAULT_KINDS
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown:
        print(f"unknown fault kinds {unknown}; known: {','.join(ALL_KINDS)}", file=sys.stderr)
        return EXIT_FAIL
    faultfs = faketime = None
    if "disk" in kinds:
        faultfs = args.faultfs or os.path.join(
            os.path.dirname(os.path.dirname(os.path.abspath(args.sluice))),
            "tests", "faultfs", "libsluice_faultfs.so")
        if not os.path.isfile(faultfs):
            print(f"the faultfs shim {faultfs} is missing (ninja -C <build>, or --faultfs)",
                  file=sys.stderr)
            return EXIT_FAIL
        faultfs = os.path.abspath(faultfs)
    if "clock" in kinds:
        faketime = next((f for f in FAKETIME_PATHS if os.path.isfile(f)), None)
        if faketime is None:
            log("chaos: SKIPPING fault kind `clock`: libfaketime.so.1 not found "
                "(apt-get install faketime)")
            kinds = tuple(k for k in kinds if k != "clock")
            if not kinds:
                print("SKIP: no fault kind left to run")
                return EXIT_SKIP
    log(f"chaos: fault kinds {','.join(kinds)}")

    cl.clean_stale_runs(log)
    c = cl.Cluster(args.sluice, out, log, faultfs=faultfs, faketime=faketime)
    result = {"seed": seed, "seconds": args.seconds, "rate": args.rate, "out": out,
              "kinds": list(kinds), "anomalies": [], "errors": []}
    t0 = time.monotonic()
    threads = []
    nem = None
    try:
        c.start()
        wait_until(lambda: len(AdminClient(client_conf({"bootstrap.servers": c.bootstrap()}))
                               .list_topics(timeout=5).brokers) == 3, 120,
                   "three registered brokers")
        create_topics(c, [TOPIC_IDEM, TOPIC_PLAIN])
        for t in (TOPIC_IDEM, TOPIC_PLAIN):
            wait_until(lambda: healthy(c, t), 120, f"{t}: leaders and whole ISRs")
        log("chaos: cluster up, topics created; starting workloads")

        t0 = time.monotonic()
        boot = c.bootstrap()
        w_idem = Writer(boot, TOPIC_IDEM, PARTITIONS, "i", True, args.rate, t0)
        w_plain = Writer(boot, TOPIC_PLAIN, PARTITIONS, "n", False, args.rate, t0)
        reader = Reader(boot, [TOPIC_IDEM, TOPIC_PLAIN], PARTITIONS, t0)
        poller = WatermarkPoller(boot, [TOPIC_IDEM, TOPIC_PLAIN], PARTITIONS, t0)
        threads = [w_idem, w_plain, reader, poller]
        for th in threads:
            th.start()
        time.sleep(5)  # a fault-free warm-up: the history starts with acknowledgements
        nem = Nemesis(c, rng, TOPIC_IDEM, PARTITIONS, t0, log, kinds=kinds)
        nem.start()
        nemesis_start = time.monotonic() - t0
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            time.sleep(min(10, max(0, end - time.monotonic())))
            log(f"chaos: t={time.monotonic() - t0:.0f}s acked i={len(w_idem.acks)} "
                f"n={len(w_plain.acks)} failed i={len(w_idem.failures)} "
                f"n={len(w_plain.failures)} reads={len(reader.reads)}")
        nem.heal_all()
        heal_t = time.monotonic() - t0
        log("chaos: healed; waiting for every partition to have a leader and a whole ISR")
        recovered = True
        try:
            for t in (TOPIC_IDEM, TOPIC_PLAIN):
                wait_until(lambda: healthy(c, t), 180, f"{t}: leaders and whole ISRs after heal")
        except RuntimeError as e:
            recovered = False
            result["anomalies"].append(f"recovery: {e}")
        recovery_s = time.monotonic() - t0 - heal_t
        # Writes after the heal: the cluster must accept them again.
        acks_at_heal = len(w_idem.acks)
        try:
            wait_until(lambda: len(w_idem.acks) > acks_at_heal + 50, 120,
                       "acknowledgements after the heal")
        except RuntimeError as e:
            result["anomalies"].append(f"no writes after heal: {e}")
        w_idem.stop()
        w_plain.stop()
        w_idem.join(120)
        w_plain.join(120)
        end_t = time.monotonic() - t0
        # Let the reader catch up with the final high watermarks, then stop it.
        finals, highs = {}, {}
        for t in (TOPIC_IDEM, TOPIC_PLAIN):
            finals[t], highs[t] = read_final(boot, t, PARTITIONS)

        def reader_caught_up():
            last = {}
            for tp, p, o, v, _ in reader.reads[-5000:]:
                last[(tp, p)] = max(o, last.get((tp, p), -1))
            return all(last.get((t, p), -1) + 1 >= highs[t][p]
                       for t in highs for p in range(PARTITIONS) if highs[t][p] > 0)
        try:
            wait_until(reader_caught_up, 120, "the reader reaching the high watermarks")
        except RuntimeError as e:
            result["errors"].append(str(e))
        for th in (reader, poller):
            th.stop()
            th.join(30)

        # -- check --------------------------------------------------------------
        topics = {}
        for t, w, idem in ((TOPIC_IDEM, w_idem, True), (TOPIC_PLAIN, w_plain, False)):
            reads = [r for r in reader.reads if r[0] == t]
            r = check_topic(finals[t], w, idem, reads)
            r["final_high_watermarks"] = highs[t]
            r["reader_offset_regressions"] = [x for x in reader.offset_regressions if x[0] == t][:20]
            topics[t] = r
        # Idempotent duplicates: one epoch (a broker bug) or across an epoch bump
        # (librdkafka re-sending possibly persisted messages): node 1's batches say.
        idx = {p: batch_index(c.nodes[1].data_dir, TOPIC_IDEM, p) for p in range(PARTITIONS)}
        same, across = split_duplicates(topics[TOPIC_IDEM].pop("all_duplicates"), idx)
        topics[TOPIC_PLAIN].pop("all_duplicates")
        topics[TOPIC_IDEM].update({
            "duplicates_same_epoch": len(same), "duplicates_same_epoch_examples": same[:20],
            "duplicates_across_epochs": len(across),
            "duplicates_across_epochs_examples": across[:20]})
        ack_times = sorted(a[3] for a in w_idem.acks)
        all_ack_times = sorted(ack_times + [a[3] for a in w_plain.acks])
        gap, gap_from, gap_to = longest_gap(ack_times, nemesis_start, end_t)
        gap_all = longest_gap(all_ack_times, nemesis_start, end_t)
        strays, stray_dirs = stray_report(c.nodes.values())
        expected_fatal = []
        bad_lines = sanitizer_and_fatal_lines(c.nodes.values(), expected_fatal)
        ti, tn = topics[TOPIC_IDEM], topics[TOPIC_PLAIN]
        summary = {
            "acked": ti["acked"] + tn["acked"],
            "acked_idempotent": ti["acked"], "acked_plain": tn["acked"],
            "lost": ti["lost"] + tn["lost"],
            "wrong_offset": ti["wrong_offset"] + tn["wrong_offset"],
            "duplicates_idempotent": ti["duplicates"],
            "duplicates_idempotent_same_epoch": ti["duplicates_same_epoch"],
            "duplicates_idempotent_across_epochs": ti["duplicates_across_epochs"],
            "duplicates_plain": tn["duplicates"],
            "reordered": ti["reordered"],
            "fatal_producer_errors": ti["fatal_error_count"] + tn["fatal_error_count"],
            "vanished_reads": ti["vanished_reads"] + tn["vanished_reads"],
            "unknown_values": ti["unknown_values"] + tn["unknown_values"],
            "hw_regressions": len(poller.regressions),
            "hw_samples": poller.samples,
            "longest_unavailability_s": gap,
            "longest_unavailability_window": [gap_from, gap_to],
            "longest_unavailability_any_writer_s": gap_all[0],
            "recovered": recovered, "recovery_s": round(recovery_s, 1),
            "faults": dict(nem.counts),
            "crashes": len(nem.crashes),
            "expected_exits": len(nem.expected_exits),
            "stray_log_lines": len(strays), "stray_dirs": len(stray_dirs),
        }
        result.update({"summary": summary, "topics": topics,
                       "hw_regression_examples": poller.regressions[:50],
                       "faults": nem.faults, "crashes": nem.crashes,
                       "expected_exits": nem.expected_exits,
                       "expected_fatal_log_lines": expected_fatal[:50],
                       "nemesis_errors": nem.errors, "stray_log_lines": strays[:50],
                       "stray_dirs": stray_dirs, "suspicious_log_lines": bad_lines[:50],
                       "reader_errors": reader.errors[:20]})
        # The whole history, for diagnosis: history.json.gz beside result.json.
        with gzip.open(os.path.join(out, "history.json.gz"), "wt") as f:
            json.dump({"acks": {"i": w_idem.acks, "n": w_plain.acks},
                       "failures": {"i": w_idem.failures, "n": w_plain.failures},
                       "fatal": {"i": w_idem.fatal, "n": w_plain.fatal},
                       "reads": reader.reads, "faults": nem.faults}, f)
        an = result["anomalies"]
        for k in ("lost", "wrong_offset", "duplicates_idempotent_same_epoch", "reordered",
                  "vanished_reads", "unknown_values", "hw_regressions", "crashes",
                  "stray_log_lines", "stray_dirs"):
            if summary[k]:
                an.append(f"{k}: {summary[k]}")
        if bad_lines:
            an.append(f"suspicious node log lines: {len(bad_lines)}")
        # Reported, not failed: a deposed leader resumed after SIGSTOP can answer
        # OUT_OF_ORDER_SEQUENCE_NUMBER before it learns of its successor, as Kafka's can.
        warn = result.setdefault("warnings", [])
        if summary["fatal_producer_errors"]:
            warn += [f"fatal producer errors: {e}" for e in
                     (ti["fatal_errors"] + tn["fatal_errors"])[:10]]
        # Reported, not failed: Kafka cannot deduplicate across producer epochs either.
        if ti["duplicates_across_epochs"]:
            warn.append(f"idempotent duplicates across a producer epoch bump: "
                        f"{ti['duplicates_across_epochs']}")
    except Exception as e:  # noqa: BLE001 - the run broke: report and fail
        traceback.print_exc()
        result["anomalies"].append(f"run error: {e!r}")
        if nem is not None:
            result["faults_so_far"] = nem.faults
    finally:
        # Every client must be gone before the network is: join the client
        # threads (their producers/consumers close as they end), collect.
        if nem is not None:
            nem.stop_ev.set()
        for th in threads:
            th.stop()
        for th in threads:
            th.join(90)
        threads = w_idem = w_plain = reader = poller = None
        gc.collect()
        c.cleanup()
    global RUN_TAG
    RUN_TAG = c.tag

    path = os.path.join(out, "result.json")
    with open(path, "w") as f:
        json.dump(result, f, indent=1, default=str)
    s = result.get("summary", {})
    line = (f"chaos seed={seed} acked={s.get('acked')} lost={s.get('lost')} "
            f"wrong_offset={s.get('wrong_offset')} dup_idem={s.get('duplicates_idempotent')} "
            f"(same_epoch={s.get('duplicates_idempotent_same_epoch')}) "
            f"dup_plain={s.get('duplicates_plain')} reordered={s.get('reordered')} "
            f"vanished={s.get('vanished_reads')} hw_regressions={s.get('hw_regressions')} "
            f"fatal_producer_errors={s.get('fatal_producer_errors')} "
            f"max_unavail={s.get('longest_unavailability_s')}s faults={s.get('faults')} "
            f"crashes={s.get('crashes')} expected_exits={s.get('expected_exits')} "
            f"anomalies={len(result['anomalies'])} -> {path}")
    print(line, flush=True)
    for w in result.get("warnings", []):
        print(f"WARNING {w}", flush=True)
    for a in result["anomalies"]:
        print(f"ANOMALY {a}", flush=True)
    if result["anomalies"]:
        print(f"FAIL: seed {seed}; node logs under {out}/node*/node.log", flush=True)
        return EXIT_FAIL
    if not args.keep:  # node logs and result.json stay
        for i in c.nodes:
            shutil.rmtree(os.path.join(out, f"node{i}", "data"), ignore_errors=True)
    print("PASS", flush=True)
    return EXIT_PASS


if __name__ == "__main__":
    code = main()
    gc.collect()
    if RUN_TAG:
        import cluster
        cluster.release(RUN_TAG)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # no client thread outlives the run
