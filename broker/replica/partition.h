/*
 * One partition replica hosted by this broker: its log, its role (leader or
 * follower), leader epoch, replicas and ISR from the metadata image, the high
 * watermark and idempotent-producer state.  When its log end offset, high
 * watermark or flushed offset move it fires its watchers (the group
 * coordinator's shards) and checks its key in the node's purgatory
 * (long-polling fetches, delayed produces).  DESIGN.md section 3.
 */
#ifndef SLUICE_BROKER_PARTITION_H
#define SLUICE_BROKER_PARTITION_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka.h"
#include "partition_log.h"
#include "producer_state.h"
#include "record_batch.h"
#include "replication_core.h"
#include "uuid.h"

struct purgatory;
struct storage_leader_epoch_cache;
struct partition;

/* The topic-level settings a partition applies, resolved from topic and broker configs. */
struct partition_config {
    struct storage_log_config log;
    int64_t flush_messages; /* flush.messages; 1 = fsync before acknowledging (group commit) */
    int32_t min_insync_replicas;
    int32_t max_message_bytes;
    bool log_append_time; /* message.timestamp.type=LogAppendTime */
    bool compact;         /* cleanup.policy contains compact */
    int64_t timestamp_before_max_ms;
    int64_t timestamp_after_max_ms;
};

/*
 * A callback registered on a partition, fired (from the event loop, never
 * re-entrantly inside an append) when the partition's data or high watermark
 * changes or the partition goes away.  Intrusive: embed it in the waiter.
 */
struct partition_watch {
    struct partition_watch *prev, *next;
    struct partition *p;
    void (*fire)(struct partition_watch *w);
};

struct partition {
    char *topic;
    int32_t index;
    struct uuid topic_id;
    struct storage_log *log;
    struct storage_leader_epoch_cache *epochs;
    struct partition_config cfg;

    /* Role, epochs, replicas, ISR, high watermark, followers and the ISR change in
     * flight: the replication core's state (replication_core.h), changed only
     * through it. */
    struct repl_partition repl;
    struct producer_state producers;
    struct partition_watch watchers; /* list head */
    /* Requests parked on this partition wait in this purgatory under watch_key
     * (purgatory_partition_key of topic and index); NULL outside a node. */
    struct purgatory *purgatory;
    uint64_t watch_key;
    bool flush_pending; /* queued for the next group commit */
    bool deleted;
};

/* Kafka's `<topic>-<partition>` directory name, allocated; the caller frees it. */
char *partition_dir_name(const char *log_dir, const char *topic, int32_t index);

/*
 * Opens (creating when absent) the log of topic/index under log_dir, recovers
 * it, reloads the leader-epoch cache and rebuilds producer state from the log.
 * hw_checkpoint is the persisted high watermark (-1 unknown).  Returns 0 and
 * the partition (owned by the caller, released with partition_close) or a
 * negative SL_E* code: SL_EEXISTS when the directory's partition.metadata
 * names another topic id (left untouched: the caller decides what it is).
 */
int partition_open(const char *log_dir, const char *topic, int32_t index,
                   const struct uuid *topic_id, const struct partition_config *cfg,
                   int64_t recovery_point, int64_t hw_checkpoint, struct partition **out);

/* Flushes and closes the log, fires watchers and frees the partition. */
void partition_close(struct partition *p);

/* Fires watchers, removes the log directory and frees the partition (topic deletion). */
void partition_delete(struct partition *p);

/* Applies new topic settings (retention, segment size, min ISR ...). */
void partition_set_config(struct partition *p, const struct partition_config *cfg);

/*
 * Applies leadership state from the metadata image.  When this broker becomes
 * leader at a new epoch the epoch is recorded in the leader-epoch cache at
 * the current log end offset (KIP-101).
 */
void partition_set_state(struct partition *p, int32_t self_id, int32_t leader_id,
                         int32_t leader_epoch, int32_t partition_epoch, const int32_t *replicas,
                         int nreplicas, const int32_t *isr, int nisr);

/*
 * True when the replica is offline: a write, sync or file operation of its
 * log failed (or its log dir failed), so it serves nothing and writes nothing
 * until the broker restarts and recovers it (Kafka's offline replica:
 * produce, fetch and the other partition requests answer KAFKA_STORAGE_ERROR).
 */
static inline bool partition_offline(const struct partition *p)
{
    return storage_log_failed(p->log);
}

static inline int64_t partition_leo(const struct partition *p)
{
    return storage_log_end_offset(p->log);
}
static inline int64_t partition_log_start(const struct partition *p)
{
    return storage_log_start_offset(p->log);
}

/* Result of appending one client batch. */
struct partition_append_result {
    int64_t base_offset;
    int64_t last_offset;
    int64_t log_append_time;    /* -1 unless LogAppendTime */
    bool duplicate;             /* idempotent retry answered from producer state */
    int32_t record_error_index; /* -1, or the first bad record's index */
    const char *error_message;
    /* Every rejected record (KIP-467), in the arena given to the append; else NULL. */
    const struct rb_record_error *record_errors;
    int32_t n_record_errors;
};

/*
 * Validates a client's Produce records for this partition (exactly one v2
 * batch, CRC, framing, limits, timestamps), checks idempotence, assigns
 * offsets and the leader epoch in place and appends.  `records` is modified
 * (offsets, epoch, LogAppendTime).  Returns a Kafka error code; KERR_NONE with
 * res filled on success (a duplicate is a success with the original offsets).
 */
int16_t partition_append_client(struct partition *p, uint8_t *records, size_t len, int64_t now_ms,
                                struct partition_append_result *res);

/*
 * Decompression one Produce request may cause, summed over its partitions:
 * validating a compressed batch runs on the event loop, so a request of many
 * small batches that each inflate to the per-batch cap would stall every
 * other connection.  A topic whose per-batch cap is larger gets that instead.
 */
#define PARTITION_REQUEST_DECOMPRESS_BUDGET (64u << 20)

/*
 * partition_append_client within a request's decompression budget:
 * *decompressed_used is the decompression the request's earlier batches
 * cost and grows by this batch's.  A compressed batch is validated with the
 * smaller of its own cap and what is left of max(budget, its cap); when
 * nothing is left, or it inflates past what was left, the answer is
 * RECORD_LIST_TOO_LARGE (the request, not the batch, is too large).  A batch
 * over its own cap is INVALID_RECORD as in partition_append_client.
 * decompressed_used NULL means no budget.  With `arena` (the request's), a
 * batch rejected for record-level errors lists every failing record in
 * res->record_errors, allocated there (KIP-467); NULL lists none.
 */
int16_t partition_append_client_bounded(struct partition *p, uint8_t *records, size_t len,
                                        int64_t now_ms, size_t *decompressed_used,
                                        struct arena *arena, struct partition_append_result *res);

/*
 * Reads whole batches from `offset` (see storage_log_read) up to the high
 * watermark (consumers) or the log end (replicas).  Returns a Kafka error:
 * OFFSET_OUT_OF_RANGE when offset is below the log start or above the log
 * end; an offset at or past the bound reads nothing.
 */
int16_t partition_read(struct partition *p, int64_t offset, int64_t max_bytes, bool min_one,
                       bool to_leo, struct storage_slice *out);

/*
 * The one place the high watermark is advanced and watchers fired: as
 * leader the core recomputes the high watermark (replication_core.h:
 * minimum LEO over the maximal ISR, frozen below min.insync.replicas,
 * never backwards); watchers (long-polling fetches, delayed produces) fire
 * when it moved, when hw_moved says it moved otherwise (a follower's), or
 * when the log moved (log_moved).  Returns true if the high watermark moved.
 */
bool partition_hw_advance(struct partition *p, bool hw_moved, bool log_moved);

/* ---- replication, leader side (DESIGN.md section 3) ---- */

/*
 * A Fetch from follower replica_id at fetch_offset whose last batch has
 * last_fetched_epoch (-1: unknown).  Checks divergence first: when the
 * follower's log diverges, returns KERR_NONE with *div_epoch and *div_end_offset
 * set (the Fetch then carries no records).  Otherwise records the follower's
 * progress, advances the high watermark (waking watchers) and returns
 * KERR_NONE with both -1; NOT_LEADER_OR_FOLLOWER when this broker does not
 * lead the partition or replica_id is not one of its followers;
 * OFFSET_OUT_OF_RANGE outside [log start, LEO].  now_ms is monotonic.
 */
int16_t partition_replica_fetch(struct partition *p, int32_t replica_id, int64_t fetch_offset,
                                int32_t last_fetched_epoch, int64_t now_ms, int32_t *div_epoch,
                                int64_t *div_end_offset);

/*
 * The broker of replica_id registered again (a new process, new broker
 * epoch): what the leader knew of it came from the old process, whose data
 * may be partly gone (unflushed), so it is forgotten until the new process
 * fetches (the KAFKA-14139 hazard that KIP-903 closes with broker epochs).
 */
void partition_follower_restarted(struct partition *p, int32_t replica_id, int64_t now_ms);

/*
 * Applies the controller's answer to ISR proposal `seq`, sent at leader epoch
 * sent_epoch, through the core (repl_isr_change_answer), then advances the
 * high watermark; watchers fire when the ISR changed or the HW moved.
 */
enum repl_isr_action partition_isr_change_answer(struct partition *p, uint32_t seq,
                                                 int32_t sent_epoch, enum repl_isr_outcome outcome,
                                                 int32_t leader_id, int32_t leader_epoch,
                                                 int32_t partition_epoch, const int32_t *isr,
                                                 int nisr);

/* ---- replication, follower side ---- */

/*
 * Appends batches fetched from the leader as they are (offsets, epochs and
 * bytes unchanged): each must pass its CRC and continue the log exactly;
 * batches wholly below the log end are skipped.  New leader epochs go into
 * the epoch cache, producer state follows.  Appends the valid prefix and
 * returns CORRUPT_MESSAGE when something after it is bad, KAFKA_STORAGE_ERROR
 * when the write fails; *appended gets the bytes appended.
 */
int16_t partition_append_replica(struct partition *p, const uint8_t *records, size_t len,
                                 int64_t now_ms, int64_t *appended);

/* Removes offsets >= offset (log, epoch cache, producer state, HW clamp).  0 or SL_E*. */
int partition_truncate_to(struct partition *p, int64_t offset);

/* Truncates where the leader's diverging epoch says (KIP-279, repl_follower_truncation). */
int partition_truncate_diverging(struct partition *p, int32_t div_epoch, int64_t div_end_offset);

/*
 * The leader answered OFFSET_OUT_OF_RANGE to a fetch at sent_offset with its
 * log start and high watermark (-1 absent): restarts the log at the leader's
 * log start when it is past ours, truncates to its high watermark when that
 * is below our log end (repl_follower_out_of_range).  0 or SL_E*.
 */
int partition_follower_out_of_range(struct partition *p, int64_t sent_offset,
                                    int64_t leader_log_start, int64_t leader_hw);

/* Empties the log and restarts it at the leader's log start offset (a follower that fell
 * behind the leader's retention).  0 or SL_E*. */
int partition_restart_at(struct partition *p, int64_t offset);

/* The leader's high watermark and log start offset from a Fetch answer: the follower's
 * HW becomes min(leader HW, own LEO) (never backwards), its log start follows. */
void partition_follower_update(struct partition *p, int64_t leader_hw, int64_t leader_log_start);

/* True when the flush policy requires an fsync before acknowledging appends. */
bool partition_sync_on_append(const struct partition *p);

/*
 * True when appended data waits for a flush its policy asked for: under
 * flush.messages=1 anything past the recovery point, else what a running or
 * requested threaded flush covers (the append that reached flush.messages).
 * A produce is answered, and a follower reports its log end, only after.
 */
bool partition_flush_awaited(const struct partition *p, int64_t offset);

/* Watchers. */
void partition_watch_add(struct partition *p, struct partition_watch *w,
                         void (*fire)(struct partition_watch *w));
void partition_watch_remove(struct partition_watch *w);

/*
 * The partition's data, high watermark, ISR or leadership changed, or it is
 * going away: fires its watchers and checks its key in the purgatory
 * (purgatory_check), where delayed produces and fetches wait.
 */
void partition_watch_fire_all(struct partition *p);

/* KIP-279: the end offset of `epoch` and the largest epoch <= it (both -1 when unknown). */
void partition_end_offset_for_epoch(struct partition *p, int32_t epoch, int32_t *found_epoch,
                                    int64_t *end_offset);

/* The leader epoch under which `offset` was written, or -1 when unknown. */
int32_t partition_epoch_for_offset(struct partition *p, int64_t offset);

/*
 * The first record with timestamp >= ts below the high watermark (ListOffsets
 * by time, KIP-79): *offset and *timestamp, or both -1 when there is none.
 */
int partition_offset_for_timestamp(struct partition *p, int64_t ts, int64_t *offset,
                                   int64_t *timestamp);

/* Current-leader-epoch check of KIP-320: NONE, FENCED_LEADER_EPOCH or UNKNOWN_LEADER_EPOCH. */
int16_t partition_check_leader_epoch(const struct partition *p, int32_t current_leader_epoch);

#endif
