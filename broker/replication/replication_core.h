/*
 * The replication state of one partition replica as a pure state machine:
 * role, leader and partition epochs, replicas and ISR, the high watermark,
 * what the leader knows of each follower, the ISR change in flight (KIP-497
 * AlterPartition) and the follower's truncation decisions.  No clock,
 * sockets or disk: times, log end offsets and epoch-cache answers come in as
 * arguments, decisions go out as return values.  The broker drives it from
 * partition.c, handle_fetch.c, replica_fetcher.c and isr_updates.c; the
 * replication simulator (tests/sim/repl_sim.c) drives the very same code.
 * The rules it applies are replication.h's.  DESIGN.md section 3.
 *
 * Depends on libc and common (xalloc, SL_ASSERT) only.
 */
#ifndef SLUICE_BROKER_REPLICATION_CORE_H
#define SLUICE_BROKER_REPLICATION_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "replication.h"

/* The broker's interval between two ISR proposals of one partition (retries after a
 * rejection included). */
#define REPL_ISR_CHANGE_MIN_INTERVAL_MS 500

/* The settings the core applies; the glue fills them and may change them at any time. */
struct repl_config {
    int32_t min_isr;                    /* min.insync.replicas */
    int64_t isr_change_min_interval_ms; /* between two ISR proposals (0: none) */
};

struct repl_partition {
    struct repl_config cfg;
    int32_t leader_id;
    int32_t leader_epoch;
    int32_t partition_epoch;
    int32_t *replicas;
    int nreplicas;
    int32_t *isr;
    int nisr;
    bool is_leader;
    int64_t high_watermark;
    /* Leader only: what it knows of each other replica, one per entry of
     * replicas[] except itself, reset at every new leadership. */
    struct repl_follower *followers;
    int nfollowers;
    /* Leader only: an AlterPartition in flight (KIP-497); while it is, the
     * high watermark counts the union of the current and the proposed ISR
     * (Kafka's maximal ISR) and no other change is proposed. */
    bool isr_change_inflight;
    bool isr_change_resend;  /* the last send failed in transit: send it again */
    uint32_t isr_change_seq; /* which send an answer belongs to */
    int32_t *proposed_isr;
    int nproposed_isr;
    int64_t isr_change_sent_ms;
};

/*
 * A replica with no role yet (leader -1, epoch -1).  Its high watermark is
 * hw_checkpoint (-1: unknown) clamped to [log_start, leo].  The arrays it
 * allocates later are released by repl_free.
 */
void repl_init(struct repl_partition *r, const struct repl_config *cfg, int64_t hw_checkpoint,
               int64_t log_start, int64_t leo);
void repl_free(struct repl_partition *r);

/* What repl_set_state changed. */
struct repl_state_change {
    bool new_leadership;  /* leads now at an epoch it did not lead before: the glue records
                           * the epoch at the log end in its epoch cache (KIP-101) */
    bool became_follower; /* was leader, or follows at a new epoch */
};

/*
 * Applies leadership state from metadata (the arrays are copied; they may be
 * r's own).  A new leadership resets every follower (Kafka's
 * resetReplicaState: ISR members count as caught up at now_ms); the same
 * leadership keeps what it knew and resets replicas added since.  A new
 * leadership or partition epoch settles any ISR change in flight.  Does not
 * move the high watermark (repl_leader_advance_hw does).
 */
void repl_set_state(struct repl_partition *r, int32_t self_id, int32_t leader_id,
                    int32_t leader_epoch, int32_t partition_epoch, const int32_t *replicas,
                    int nreplicas, const int32_t *isr, int nisr, int64_t now_ms,
                    struct repl_state_change *out);

/* ---- leader ---- */

/*
 * Leader: recomputes the high watermark from its own LEO and its followers'
 * (repl_leader_hw over the maximal ISR while a change is in flight), frozen
 * while the committed ISR is below min.insync.replicas (KAFKA-15583).
 * Returns true when it moved (it never moves back).
 */
bool repl_leader_advance_hw(struct repl_partition *r, int64_t leo);

/* The ISR the leader counts: the committed one plus, while a change is in flight, the
 * proposed members.  Writes up to nisr + nproposed_isr ids to out; returns how many. */
int repl_leader_maximal_isr(const struct repl_partition *r, int32_t *out);

enum repl_fetch_verdict {
    REPL_FETCH_OK,           /* progress recorded: advance the HW, serve from fetch_offset */
    REPL_FETCH_DIVERGING,    /* answer the diverging epoch, no records */
    REPL_FETCH_NOT_FOLLOWER, /* not the leader, or replica_id is not one of its followers */
    REPL_FETCH_OUT_OF_RANGE, /* fetch_offset outside [log_start, leo] */
};

/*
 * Leader: a Fetch from follower replica_id at fetch_offset whose last batch
 * has last_fetched_epoch (-1 unknown).  (found_epoch, end_offset) is the
 * leader's own end offset for last_fetched_epoch (its epoch cache; both -1
 * when unknown or not asked).  Divergence is checked first (KIP-595's
 * DivergingEpoch): then *div_epoch / *div_end_offset say where, the high
 * watermark standing in when the leader has no end offset to offer.  On
 * REPL_FETCH_OK the follower's progress is recorded (Replica.updateFetchState);
 * both outputs are -1 unless diverging.
 */
enum repl_fetch_verdict repl_leader_on_fetch(struct repl_partition *r, int32_t replica_id,
                                             int64_t fetch_offset, int32_t last_fetched_epoch,
                                             int32_t found_epoch, int64_t end_offset,
                                             int64_t log_start, int64_t leo, int64_t now_ms,
                                             int32_t *div_epoch, int64_t *div_end_offset);

/* Leader: follower `id` runs a new process; what was known of it is forgotten (KIP-903). */
void repl_leader_follower_restarted(struct repl_partition *r, int32_t id, int64_t now_ms);

/* The leader's view of follower id, or NULL. */
const struct repl_follower *repl_leader_follower(const struct repl_partition *r, int32_t id);

/*
 * Leader: proposes the ISR it wants now when it differs and no change is in
 * flight (one at a time, at least isr_change_min_interval_ms apart): members
 * that have not caught up within lag_max_ms leave, followers that may join
 * (repl_follower_may_join against epoch_start, the start offset of the
 * leader's latest epoch) and that `eligible` accepts join (Kafka's
 * isReplicaIsrEligible; NULL accepts all).  The leader comes first, then the
 * followers in replica order.  Returns true with the proposal in flight
 * (r->proposed_isr, r->nproposed_isr); the glue then sends it
 * (repl_isr_change_sent).  ISR members that are no longer replicas are left
 * to the controller.
 */
bool repl_leader_propose_isr(struct repl_partition *r, int64_t now_ms, int64_t lag_max_ms,
                             int64_t epoch_start, bool (*eligible)(void *ctx, int32_t id),
                             void *ctx);

/* The proposal in flight is (re)sent now; returns the sequence its answer must carry. */
uint32_t repl_isr_change_sent(struct repl_partition *r, int64_t now_ms);

/* The send failed in transit (or was answered with a retriable error): send it again soon. */
void repl_isr_change_send_failed(struct repl_partition *r);

/* True when the proposal in flight is due to be sent again: resend_after_ms after a failed
 * send, or unanswered for unanswered_ms. */
bool repl_isr_change_resend_due(const struct repl_partition *r, int64_t now_ms,
                                int64_t resend_after_ms, int64_t unanswered_ms);

/* The proposal is over (refused, or already in effect): back to the committed ISR. */
void repl_isr_change_end(struct repl_partition *r);

/* How the controller answered an AlterPartition (Kafka's handleAlterPartitionError). */
enum repl_isr_outcome {
    REPL_ISR_COMMITTED, /* answered with the partition's state */
    REPL_ISR_REFUSED,   /* INELIGIBLE_REPLICA, OPERATION_NOT_ATTEMPTED: nothing was done */
    REPL_ISR_RETRY,     /* lost in transit or not the controller: send the same again */
    REPL_ISR_UNKNOWN,   /* any other error: it may have been applied; newer metadata tells */
};

enum repl_isr_action {
    REPL_ISR_IGNORED, /* not the answer to the proposal in flight at this leader epoch */
    REPL_ISR_ENDED,   /* refused, or already in effect: back to the committed ISR */
    REPL_ISR_RESEND,  /* marked for sending again */
    REPL_ISR_WAITING, /* still counting the maximal ISR until newer metadata */
    REPL_ISR_APPLIED, /* the committed ISR at the newer partition epoch now applies */
};

/*
 * The answer to send `seq` made at leader epoch sent_epoch.  On
 * REPL_ISR_COMMITTED (leader_id, leader_epoch, partition_epoch, isr) is the
 * controller's state: a newer partition epoch of the same leadership is
 * applied (repl_set_state) and settles the proposal, the same one means it
 * was already so, an older one is left to the metadata.  The glue then
 * advances the high watermark.
 */
enum repl_isr_action repl_isr_change_answer(struct repl_partition *r, uint32_t seq,
                                            int32_t sent_epoch, enum repl_isr_outcome outcome,
                                            int32_t leader_id, int32_t leader_epoch,
                                            int32_t partition_epoch, const int32_t *isr, int nisr,
                                            int64_t now_ms);

/* ---- follower ---- */

/*
 * Follower: the offset to truncate to after the leader answered a diverging
 * epoch (div_epoch, div_end_offset), given its own end offset for div_epoch
 * (own_found_epoch, own_end_offset from its epoch cache) and its LEO
 * (repl_truncation_offset: KIP-101/KIP-279).
 */
int64_t repl_follower_truncation(const struct repl_partition *r, int32_t div_epoch,
                                 int64_t div_end_offset, int32_t own_found_epoch,
                                 int64_t own_end_offset, int64_t leo);

enum repl_oor_action {
    REPL_OOR_RETRY,      /* fetch again after a pause */
    REPL_OOR_RESTART_AT, /* below the leader's log start: empty the log, restart at *to */
    REPL_OOR_TRUNCATE,   /* above the leader's end: cut to its high watermark *to */
};

/*
 * Follower: the leader answered OFFSET_OUT_OF_RANGE to a fetch at
 * sent_offset, with its log start and high watermark (-1 when absent).
 */
enum repl_oor_action repl_follower_out_of_range(const struct repl_partition *r, int64_t sent_offset,
                                                int64_t leader_log_start, int64_t leader_hw,
                                                int64_t leo, int64_t *to);

/* Follower: the leader's high watermark from a fetch answer (repl_follower_hw).  Returns true
 * when the follower's high watermark changed. */
bool repl_follower_on_leader_hw(struct repl_partition *r, int64_t leader_hw, int64_t leo);

/* ---- the log moved under the core ---- */

/* The log was truncated to leo: the high watermark follows it down. */
void repl_log_truncated(struct repl_partition *r, int64_t leo);

/* The log was emptied to restart at offset: the high watermark is offset. */
void repl_log_restarted(struct repl_partition *r, int64_t offset);

/* The log start moved to log_start (retention): the high watermark is at least that. */
void repl_log_start_advanced(struct repl_partition *r, int64_t log_start);

#endif
