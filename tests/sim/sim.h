/*
 * Deterministic simulation of the Raft core (raft/core/raft.h): N voters (and
 * optionally an observer) on a fake clock, an in-memory network that drops,
 * delays, duplicates and reorders messages and partitions nodes (symmetric
 * and one-way), in-memory disks that lose whatever was not fsynced when a
 * node crashes, delayed fsync completions, client appends and snapshots.
 * Every run is a pure function of (seed, options).
 *
 * After every event the simulator checks: at most one leader per epoch; log
 * matching (same offset and epoch => same batch and same prefix); a committed
 * batch never changes and is in every new leader's log; the high watermark of
 * a node never moves backwards; a node's epoch never decreases while it runs,
 * and after a restart it is at least every epoch it ever sent; a vote is
 * answered only once durable and never changes within an epoch; no core
 * fault; a forged RPC from outside the voter set moves nothing (epoch, vote,
 * leader, role, high watermark, log, quorum-state).  Liveness: after the chaos phase a majority is
 * connected (a minority stays down or isolated) and must elect a leader and commit a new client
 * batch within a bound; then everything heals and every node must catch up
 * (through FetchSnapshot when the log it needs was dropped).
 */
#ifndef SLUICE_SIM_H
#define SLUICE_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_opts {
    int nvoters;    /* 1..7 */
    int nobservers; /* 0 or 1; -1: chosen by the seed */
    uint64_t seed;
    int64_t chaos_ms;      /* length of the fault-injection phase */
    int64_t live_bound_ms; /* each liveness phase must finish within this */
    bool verbose;          /* print every event */
    /*
     * Per mille of events after which a running node also receives a forged
     * RPC of a random type from a non-voter (random ids, epochs from negative
     * to INT32_MAX, random offsets); it must move nothing.
     */
    int byzantine_pm;
};

struct sim_stats {
    uint64_t runs;
    uint64_t events;
    uint64_t sim_ms;
    uint64_t messages;
    uint64_t dropped;
    uint64_t leaders; /* (epoch, leader) pairs elected */
    uint64_t forged;  /* Byzantine RPCs delivered */
    uint64_t committed_batches;
    uint64_t crashes;
    uint64_t snapshots_taken;
    uint64_t snapshots_installed;
    uint64_t truncations;
    uint64_t proposals;
    int64_t max_recovery_ms; /* slowest liveness phase */
};

/* Fills defaults: 3 voters, observers by seed, 15 s of chaos, 30 s bound, 2% forged RPCs. */
void sim_opts_default(struct sim_opts *o);

/*
 * Runs one seed.  Returns 0, or -1 with a description of the first broken
 * invariant in err.  Adds to *st.
 */
int sim_run(const struct sim_opts *o, struct sim_stats *st, char *err, size_t errlen);

#endif
