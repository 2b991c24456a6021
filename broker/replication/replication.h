/*
 * The rules of Kafka's ISR replication, as pure functions without I/O,
 * applied by the replication core (replication_core.h) that the broker and
 * the deterministic replication simulator (tests/sim) both drive.  DESIGN.md
 * section 3.
 *
 * Leader side: each follower's fetch state (log end offset, last caught-up
 * time, Kafka's Replica.updateFetchState), the high watermark (minimum LEO
 * over the ISR, frozen below min.insync.replicas, never backwards), which
 * followers fall out of the ISR (replica.lag.time.max.ms) and which may join
 * it, and the diverging-epoch check of a follower's Fetch (KIP-595's
 * DivergingEpoch as Kafka's Partition.fetchRecords does it).
 *
 * Follower side: where to truncate given the leader's diverging epoch
 * (KIP-101/KIP-279, AbstractFetcherThread.getOffsetTruncationState) and the
 * follower's high watermark.
 *
 * Depends on nothing but libc.
 */
#ifndef SLUICE_BROKER_REPLICATION_H
#define SLUICE_BROKER_REPLICATION_H

#include <stdbool.h>
#include <stdint.h>

/* What the leader knows of one follower during its leadership. */
struct repl_follower {
    int32_t id;
    int64_t leo;                   /* -1 until it has fetched in this leadership */
    int64_t last_caught_up_ms;     /* last time it was known to hold everything */
    int64_t last_fetch_ms;         /* time of its previous fetch, -1 none */
    int64_t last_fetch_leader_leo; /* the leader's LEO at its previous fetch, -1 none */
};

/*
 * A new leadership starts: the follower's LEO is unknown; an ISR member is
 * treated as caught up now (so it is not dropped before it had a chance to
 * fetch), others as never caught up (Kafka's resetReplicaState).
 */
void repl_follower_reset(struct repl_follower *f, int32_t id, bool in_isr, int64_t now_ms);

/*
 * A follower fetched at fetch_offset (its LEO) while the leader's LEO was
 * leader_leo.  It is caught up now when it holds everything the leader has,
 * or caught up as of its previous fetch when it holds everything the leader
 * had then (Kafka's Replica.updateFetchState).
 */
void repl_follower_fetched(struct repl_follower *f, int64_t fetch_offset, int64_t leader_leo,
                           int64_t now_ms);

/*
 * The high watermark the leader may expose: the minimum LEO over `isr` (the
 * leader's own LEO for leader_id, the followers' otherwise; an unknown LEO
 * holds it back), unchanged while the ISR is smaller than min_isr (unless
 * every replica is in it: a topic with fewer replicas than min.insync.replicas
 * still serves acks=1), never below old_hw.  Followers not found in f are
 * treated as unknown.
 */
int64_t repl_leader_hw(int64_t old_hw, int32_t leader_id, int64_t leader_leo,
                       const struct repl_follower *f, int nf, const int32_t *isr, int nisr,
                       int32_t min_isr, int nreplicas);

/* True when an ISR follower has not caught up within lag_max_ms and must leave the ISR. */
bool repl_follower_out_of_sync(const struct repl_follower *f, int64_t now_ms, int64_t lag_max_ms);

/*
 * True when a follower outside the ISR may join it: it has fetched in this
 * leadership, holds everything up to the high watermark, and has reached the
 * start of the current leader epoch (so it cannot hold a stale tail from an
 * earlier one; Kafka's isFollowerInSync plus the epoch start rule).
 */
bool repl_follower_may_join(const struct repl_follower *f, int64_t hw,
                            int64_t leader_epoch_start_offset, int64_t now_ms, int64_t lag_max_ms);

/*
 * Leader: the diverging-epoch check of a follower's Fetch.  last_fetched_epoch
 * is the epoch of the follower's last batch (-1: none, no check), and
 * (found_epoch, end_offset) is the leader's own end offset for that epoch
 * (storage_leader_epoch_end_offset_for).  Returns true when the follower's
 * log diverges: then *div_epoch / *div_end_offset tell it where, and the fetch
 * returns no records and does not count as a fetch at fetch_offset.
 */
bool repl_fetch_diverges(int32_t last_fetched_epoch, int64_t fetch_offset, int32_t found_epoch,
                         int64_t end_offset, int32_t *div_epoch, int64_t *div_end_offset);

/*
 * Follower: where to truncate after the leader answered with a diverging
 * epoch (div_epoch, div_end_offset).  (own_found_epoch, own_end_offset) is
 * the follower's own end offset for div_epoch; own_leo its log end offset.
 * When the follower knows that epoch, it truncates to the smaller of the two
 * ends; when it only knows an older epoch, it truncates to that epoch's end
 * and fetches again (the leader then checks the older epoch); when it knows
 * nothing, to the leader's end offset; when the leader has no end offset
 * to offer, to the follower's high watermark (own_hw).  Never above own_leo.
 */
int64_t repl_truncation_offset(int32_t div_epoch, int64_t div_end_offset, int32_t own_found_epoch,
                               int64_t own_end_offset, int64_t own_leo, int64_t own_hw);

/* Follower: its high watermark after a fetch answer: min(leader HW, own LEO), never backwards
 * except when the log was truncated below it (then the LEO). */
int64_t repl_follower_hw(int64_t old_hw, int64_t leader_hw, int64_t own_leo);

#endif
