/*
 * Deterministic simulation of Kafka's ISR partition replication as Sluice
 * runs it (broker/replication/, DESIGN.md section 3): one partition with
 * N replicas (3 or 5) and min.insync.replicas 2, a controller (leader, leader
 * epoch, partition epoch, ISR, broker registrations and sessions, KIP-497
 * AlterPartition with KIP-903 broker epochs), replicas with an in-memory log,
 * a leader-epoch cache (storage/leader_epoch.h semantics), a flushed prefix
 * and a high-watermark checkpoint, followers fetching from the leader
 * (diverging epochs, truncation), producers with acks=all and acks=1 and
 * consumers reading below the high watermark.  Each replica's leader and
 * follower state, high watermark, ISR proposals and truncation decisions are
 * the broker's own replication core (broker/replication/replication_core.h), driven
 * through the same calls the broker's glue makes; the simulator models only
 * the log, the epoch cache, the network, the controller and the clients.
 *
 * Faults, on a fake clock and an in-memory network: drops, delays,
 * duplicates, reordering (AlterPartition excepted: Kafka's correctness needs
 * a broker's AlterPartition requests to reach the controller in order and
 * once, as on its one connection; --alter-datagram shows why), partitions
 * between any two nodes (controller and clients included, symmetric or
 * one-way), crashes that lose the unflushed tail (and restarts with an older
 * HW checkpoint), kill -9 with an immediate restart, pauses (a paused leader
 * wakes up and keeps acting on its stale state until metadata reaches it),
 * controller-initiated leader moves.  Without flush on every append a crash
 * is only injected when Kafka promises durability (repl_sim.c,
 * crash_allowed).
 *
 * Metadata is a log (issue 12): every change of the controller's state
 * (partition, registrations with their incarnation and broker epoch, fencing)
 * is one more image, the first being the empty cluster before the partition
 * was created (it is created once every broker is registered and unfenced).
 * A new registration stays fenced until a heartbeat stops asking to be
 * (KIP-631 want_fence).  Half of the restarts replay the log from an old
 * image (the empty one in 30% of them) one record at a time after a delay,
 * pushes waiting until the end, while the controller may already have taken
 * the new registration: the replica meets records of its earlier
 * incarnation (registered and unfenced, leading some epoch).  The broker acts
 * on its image only once it holds its own registration of this incarnation
 * and asks to stay fenced until then; a log the caught-up image would not
 * assign is set aside, never deleted (cmd/node/node.c advance_startup,
 * broker/replica/replica_manager.c replica_manager_activate).  --buggy-catchup plays
 * the rule from before the fix, which the invariants must catch.
 *
 * Invariants checked after every event: (a) every acknowledged acks=all
 * write (indeed every record ever below a high watermark) is in the log of
 * every replica leading an epoch at least the one it was committed in, at
 * the same offset; (b) a replica's HW never moves backwards within one
 * process lifetime (so no truncation below it); (c) every replica's log below
 * its own HW is the committed log (so any two replicas agree below the
 * smaller HW); (d) what a consumer was served is the committed log; (e) at
 * most one leader per leader epoch; (f) every ISR member (as the controller
 * has it) that runs the process the controller registered holds the current
 * leader's log up to the leader's HW; (g) a follower of leader epoch E never
 * truncates records committed in epoch E or earlier (a stale leader may
 * still cut records committed later, which the current leader keeps); (h) a
 * replica never starts leading epoch E without every record committed in
 * epoch E or earlier (an empty log while others hold committed data: (a) at
 * the moment of election, told with who holds them).  Liveness: once every fault is healed,
 * an acks=all write is acknowledged and the ISR holds every replica again
 * within a bound; then, with producers stopped, every log becomes identical
 * with HW = LEO.
 *
 * Every run is a pure function of (seed, options).
 */
#ifndef SLUICE_REPL_SIM_H
#define SLUICE_REPL_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct repl_sim_opts {
    int nreplicas; /* 1..7 */
    int min_isr;   /* min.insync.replicas */
    uint64_t seed;
    int64_t chaos_ms;      /* length of the fault-injection phase */
    int64_t live_bound_ms; /* each liveness phase must finish within this */
    int flush;             /* 1: flush on every append, 0: background flush only, -1: by seed */
    int registration;      /* 0: a re-registering broker leaves the ISR at once (KIP-966),
                            * 1: it is refused until its old session expired, -1: by seed */
    /*
     * Protocol variants, off by default (the rules of the brief, which the
     * invariants must hold under); each models a choice the real broker
     * might make, to show what the invariants say about it.
     */
    bool alter_error_resets;    /* the leader drops its in-flight ISR change on any
                                 * AlterPartition error or timeout (Kafka keeps the
                                 * maximal ISR until newer metadata, except on
                                 * INELIGIBLE_REPLICA) */
    bool no_kip903;             /* AlterPartition names each follower with the broker
                                 * epoch of the current registration instead of the
                                 * one it fetched with; stale fetches are not refused */
    bool last_epoch_from_batch; /* last fetched epoch = epoch of the follower's last
                                 * batch instead of the latest epoch of its cache
                                 * (Kafka's log.latestEpoch) */
    bool drop_empty_epoch;      /* a leader that becomes a follower cuts its epoch cache
                                 * at its LEO (drops the epoch it wrote nothing in) */
    bool kafka_epoch_assign;    /* the epoch cache takes any epoch different from the
                                 * latest (Kafka's isUpdateNeeded) instead of only
                                 * higher ones (storage_leader_epoch_assign) */
    bool trunc_skips_cache;     /* truncating to offsets >= LEO leaves the epoch cache
                                 * alone (Kafka always truncates it from the end) */
    bool alter_datagram;        /* AlterPartition requests and answers are duplicated and
                                 * reordered like every other message (by default they
                                 * keep their order and are never duplicated, as on
                                 * Kafka's one connection to the controller) */
    bool no_isr_check;          /* skip invariant (f), to see whether a run goes on to
                                 * lose data */
    bool buggy_catchup;         /* the broker before issue 12's fix: it acts on its
                                 * metadata image while replaying it after a restart
                                 * (stale records of an earlier incarnation included),
                                 * deletes its log as stray when the partial image
                                 * lacks the partition, keeps HW checkpoint entries of
                                 * loaded partitions only, and never asks to stay
                                 * fenced; the invariants must catch it */
    bool no_replay_lag;         /* every restart replays the image at once (no lag) */
    bool broker_isr_interval;   /* ISR proposals at least the broker's
                                 * REPL_ISR_CHANGE_MIN_INTERVAL_MS apart (by
                                 * default none, as the seeds were tuned) */
    bool verbose;               /* print every event to stderr */
    int trace_tail;             /* on a failure, print the last trace_tail events (0: none) */
};

struct repl_sim_stats {
    uint64_t runs;
    uint64_t events;
    uint64_t sim_ms;
    uint64_t messages;
    uint64_t dropped;
    uint64_t leaders;     /* (epoch, leader) pairs that acted */
    uint64_t acked_all;   /* acks=all writes acknowledged */
    uint64_t acked_one;   /* acks=1 writes acknowledged */
    uint64_t lost_one;    /* acks=1 writes acknowledged but not in the final log */
    uint64_t rejected;    /* acks=all answered with an error */
    uint64_t reads;       /* records served to consumers */
    uint64_t diverging;   /* diverging-epoch fetch answers */
    uint64_t truncated;   /* records removed by follower truncation */
    uint64_t stale_acks;  /* acks=all acknowledged by a leader the controller had replaced */
    uint64_t stale_reads; /* records served by a leader the controller had replaced */
    uint64_t crashes;
    uint64_t crashes_unflushed; /* of them, without flush on every append */
    uint64_t pauses;
    uint64_t isr_changes;     /* AlterPartition requests committed */
    uint64_t alter_errors;    /* AlterPartition requests refused */
    uint64_t lagged_restarts; /* restarts whose image replay started from an old state */
    uint64_t stale_records;   /* images replayed before catching up that show an
                               * earlier incarnation's registration */
    uint64_t strays_deleted;  /* logs deleted as stray (--buggy-catchup) */
    uint64_t strays_aside;    /* logs set aside as stray by the caught-up rule */
    int64_t max_recovery_ms;
};

/* Defaults: 3 replicas, min.insync.replicas 2, 20 s of faults, 30 s bound, modes by seed. */
void repl_sim_opts_default(struct repl_sim_opts *o);

/*
 * Runs one seed.  Returns 0, or -1 with the first broken invariant in err
 * (and, with trace_tail, the last events printed to stdout).  Adds to *st.
 */
int repl_sim_run(const struct repl_sim_opts *o, struct repl_sim_stats *st, char *err,
                 size_t errlen);

#endif
