/*
 * Internals shared by the Raft core's files (raft_*.c): the node structure,
 * the in-memory log, and the helpers each concern exports to the others.
 * Not for use outside raft/.
 */
#ifndef SLUICE_RAFT_INTERNAL_H
#define SLUICE_RAFT_INTERNAL_H

#include "raft.h"

/* ---- raft_log.c: the log since the latest snapshot, in memory ---- */

struct rentry {
    int64_t base;
    int64_t last;
    int32_t epoch;
    uint8_t *data;
    size_t len;
};

struct rlog {
    struct rentry *v; /* live entries are v[head .. head + n) */
    size_t head, n, cap;
    int64_t start;                /* first offset held: snapshot end, or 0 */
    struct raft_snapshot_id snap; /* end_offset -1: none */
    uint8_t *snap_data;
    size_t snap_len;
};

void rlog_init(struct rlog *l);
void rlog_free(struct rlog *l);
int64_t rlog_end(const struct rlog *l);
/* Epoch of the last entry, else of the snapshot, else 0. */
int32_t rlog_last_epoch(const struct rlog *l);
const struct rentry *rlog_get(const struct rlog *l, size_t i);
/* Index of the entry holding `offset`, or -1. */
long rlog_find(const struct rlog *l, int64_t offset);
/* Appends a copy; the caller validated that it continues the log. */
void rlog_append(struct rlog *l, int64_t base, int64_t last, int32_t epoch, const void *data,
                 size_t len);
/* Removes entries at or above `offset` (rounded down to a batch boundary); returns the new end. */
int64_t rlog_truncate(struct rlog *l, int64_t offset);
/* Records a snapshot (data copied) and drops the entries below its end. */
void rlog_set_snapshot(struct rlog *l, struct raft_snapshot_id id, const void *data, size_t len);
/* Replaces everything with a snapshot whose bytes (malloc'd) the log takes over. */
void rlog_reset_to_snapshot(struct rlog *l, struct raft_snapshot_id id, uint8_t *data, size_t len);
/* Whether `offset` is an entry boundary in [start, end]. */
bool rlog_is_boundary(const struct rlog *l, int64_t offset);
/* Epoch of the entry ending at `end` (boundary), snapshot epoch at start, 0 at an empty start. */
int32_t rlog_epoch_before(const struct rlog *l, int64_t end);

/*
 * KIP-595 endOffsetForEpoch: the largest epoch <= `epoch` present in the log
 * and the offset where it ends (the start of the next epoch, or the log end).
 * Sets *below_start when the answer lies under the log start (inside the
 * snapshot), where the log cannot say.
 */
struct raft_epoch_end rlog_end_for_epoch(const struct rlog *l, int32_t epoch, bool *below_start);

/* ---- the node ---- */

struct rreplica {
    int32_t id;
    int64_t end; /* last validated fetch offset; -1 unknown */
    int64_t last_fetch_ms;
    int64_t caught_up_ms;
    int64_t sent_hw; /* high watermark last sent in a valid fetch response */
    bool begin_acked;
    /* a parked (long-poll) fetch */
    bool parked;
    uint64_t park_rid;
    int64_t park_deadline;
    struct raft_fetch_req park_req;
};

enum pend_type { PEND_APPEND, PEND_TRUNCATE, PEND_INSTALL };

struct rpend {
    uint64_t write_id;
    enum pend_type type;
    int64_t end; /* APPEND: end after the op (capped by later truncations) */
};

struct rheld {
    uint64_t seq; /* quorum-state sequence the message depends on */
    struct raft_msg *m;
};

struct raft_node {
    struct raft_config cfg;
    int32_t id;
    bool voter;
    int self_idx; /* index in cfg.voters, -1 for an observer */
    bool started;
    int64_t now;
    uint64_t rng;
    uint64_t next_rid;
    const char *fault;

    /* election state; (epoch, voted_id, leader_id) is what quorum-state holds */
    enum raft_role role;
    int32_t epoch;
    int32_t voted_id;
    int32_t leader_id;
    uint64_t state_seq;   /* bumped on every change of the persisted triple */
    uint64_t durable_seq; /* highest seq reported durable */
    int64_t election_deadline;
    uint64_t round_rid;         /* pre-vote / vote round being counted */
    uint64_t granted, rejected; /* bit per voter index */

    /* follower / observer */
    int64_t fetch_deadline; /* fetch timeout: no successful fetch until then */
    bool fetched_ok;        /* a fetch from the current leader succeeded in this role */
    bool fetch_inflight;
    uint64_t fetch_rid;
    int64_t fetch_expires; /* give up waiting for the in-flight request */
    int64_t fetch_retry_at;
    int32_t fetch_target;
    int probe_next;    /* observer without a leader: next voter to ask */
    int64_t leader_hw; /* last high watermark from the current leader, -1 none */
    bool snap_fetching;
    struct raft_snapshot_id snap_fetch_id;
    int64_t snap_fetch_size;
    uint8_t *snap_buf;
    size_t snap_len, snap_cap;
    bool installing;
    struct raft_snapshot_id install_id;

    /* leader */
    struct rreplica replicas[RAFT_MAX_VOTERS]; /* by voter index */
    struct rreplica *observers;
    int nobservers, cap_observers;
    struct raft_replica_info *obs_info; /* scratch for raft_describe_quorum */
    int64_t epoch_start;                /* marker offset, -1 when not leader */
    int64_t begin_resend_at;

    /* log */
    struct rlog log;
    int64_t durable_end;
    int64_t hw;
    uint64_t next_write_id;
    uint64_t synced_write_id;
    struct rpend *pend;
    size_t npend, cap_pend;
    int64_t load_truncate_at; /* first offset rejected by raft_load_entry, -1 none */
    int64_t load_disk_end;    /* end of the last entry passed to raft_load_entry, -1 none */

    /* messages waiting for a durable quorum-state */
    struct rheld *held;
    size_t nheld, cap_held;

    /* outputs of the current call */
    struct raft_msg *out_msgs;
    size_t nout_msgs, cap_out_msgs;
    struct raft_log_op *out_ops;
    size_t nout_ops, cap_out_ops;
    struct raft_output out;
    int32_t last_leader_out, last_epoch_out;
};

/* ---- raft_node.c ---- */

/* Starts an input call: discards the previous outputs. */
void rn_begin(struct raft_node *n, int64_t now);
/* Ends an input call: fills n->out. */
void rn_end(struct raft_node *n);
uint64_t rn_rand(struct raft_node *n);
/* Uniform in [lo, hi). */
int64_t rn_rand_range(struct raft_node *n, int64_t lo, int64_t hi);
uint64_t rn_new_rid(struct raft_node *n);
int rn_voter_index(const struct raft_node *n, int32_t id);
int rn_majority(const struct raft_node *n);
/* The k-th largest of v[0, n), 1 <= k <= n (a partial selection sort of v). */
int64_t rn_kth_largest(int64_t *v, int n, int k);
/* Queues a message (held while the quorum-state is not durable); takes ownership of m. */
void rn_send(struct raft_node *n, struct raft_msg *m);
/* A zeroed message of `type` to `to`. */
struct raft_msg *rn_msg(struct raft_node *n, enum raft_msg_type type, int32_t to, uint64_t rid);
/* Changes the persisted triple (emits a persist when it differs). */
void rn_set_state(struct raft_node *n, int32_t epoch, int32_t voted_id, int32_t leader_id);
/* Log ops: each returns the op's write id. */
uint64_t rn_op_append(struct raft_node *n, int64_t base, int64_t last, int32_t epoch,
                      const void *data, size_t len);
void rn_op_truncate(struct raft_node *n, int64_t offset);
void rn_op_install(struct raft_node *n, struct raft_snapshot_id id, const uint8_t *data,
                   size_t len);
void rn_op_drop_prefix(struct raft_node *n, int64_t offset);
void rn_op_reset(struct raft_node *n, int64_t offset);
/* Advances the high watermark (never backwards). */
void rn_set_hw(struct raft_node *n, int64_t hw);
/*
 * This node broke one of its own invariants (a bug, never bad input): logs
 * and aborts the process (invariant.h), in every build.
 */
_Noreturn void rn_fault(struct raft_node *n, const char *what);
/*
 * A message from a voter contradicts this node's state (two leaders in one
 * epoch, a truncation below the high watermark): the caller refuses it.
 * Logged and kept for raft_fault(), where the simulator, whose voters are
 * all honest, fails on it.
 */
void rn_peer_fault(struct raft_node *n, const char *what);

/* ---- raft_election.c ---- */

void re_become_unattached(struct raft_node *n, int32_t epoch);
void re_become_follower(struct raft_node *n, int32_t epoch, int32_t leader_id);
void re_become_prospective(struct raft_node *n);
void re_become_resigned(struct raft_node *n);
/* Candidate with a majority and a durable candidacy: becomes leader. */
void re_maybe_win(struct raft_node *n);
/*
 * Learns (epoch, leader) from a message: a higher epoch or a newly known
 * leader of the current one changes state.  Returns true when it did.
 */
bool re_observe(struct raft_node *n, int32_t epoch, int32_t leader_id);
void re_tick(struct raft_node *n);
int64_t re_deadline(const struct raft_node *n);
void re_on_vote(struct raft_node *n, const struct raft_msg *m);
void re_on_vote_resp(struct raft_node *n, const struct raft_msg *m);
void re_on_begin(struct raft_node *n, const struct raft_msg *m);
void re_on_end(struct raft_node *n, const struct raft_msg *m);
void re_on_epoch_resp(struct raft_node *n, const struct raft_msg *m);

/* ---- raft_replication.c ---- */

/* Leader: initial replica state of a new epoch. */
void rr_leader_init(struct raft_node *n);
/* Leader stepping down: answers parked fetches, forgets observers. */
void rr_leader_stop(struct raft_node *n);
/* Forgets the in-flight fetch and any snapshot download. */
void rr_follower_reset(struct raft_node *n);
/* Sends the next Fetch / FetchSnapshot when one is due. */
void rr_maybe_fetch(struct raft_node *n);
/* Leader: recomputes the high watermark; completes fetches that can now be answered. */
void rr_leader_update_hw(struct raft_node *n);
void rr_follower_update_hw(struct raft_node *n);
/* Leader: new entries or a new high watermark may complete parked fetches. */
void rr_complete_parked(struct raft_node *n, bool all);
/* Install op became durable. */
void rr_install_done(struct raft_node *n);
void rr_tick(struct raft_node *n);
int64_t rr_deadline(const struct raft_node *n);
void rr_on_fetch(struct raft_node *n, const struct raft_msg *m);
void rr_on_fetch_resp(struct raft_node *n, const struct raft_msg *m);
void rr_on_fetch_snapshot(struct raft_node *n, const struct raft_msg *m);
void rr_on_fetch_snapshot_resp(struct raft_node *n, const struct raft_msg *m);
/* Voter ids ordered by replication progress, best first, self excluded. */
int rr_successors(const struct raft_node *n, int32_t *out);

#endif
