/*
 * The group coordinator of one broker (Kafka's GroupCoordinator): it owns the
 * consumer groups whose __consumer_offsets partition this broker leads.
 *
 *  - __consumer_offsets is created through the controller on first use
 *    (offsets.topic.num.partitions, offsets.topic.replication.factor capped
 *    to the unfenced brokers, cleanup.policy=compact); a group belongs to
 *    partition abs(hashCode(group id)) % partitions (group_records.h).
 *  - When this broker becomes leader of such a partition (metadata image
 *    delta, or at start) the partition's log is scanned in chunks from the
 *    event loop and its groups and offsets rebuilt; the groups are served
 *    once the high watermark has reached the end of what was read (nothing
 *    uncommitted is shown); requests for those groups get
 *    COORDINATOR_LOAD_IN_PROGRESS meanwhile.  When it stops being leader
 *    the groups are unloaded: parked requests get NOT_COORDINATOR and the
 *    clients look the coordinator up again.
 *  - Group metadata and offset commits are written as records through the
 *    partition's normal append path and acknowledged with acks=all
 *    semantics: completion waits until the high watermark passes the write
 *    (and the flush, under fsync-on-append), like a delayed produce.
 *  - Session, rebalance and sync timers of every group run on one event-loop
 *    timer armed at the earliest deadline; offsets.retention.minutes is
 *    enforced from the node's tick with tombstones.
 *
 * Everything runs on the node's event loop.  Completions are never delivered
 * from inside the call that caused them.
 */
#ifndef SLUICE_BROKER_GROUP_COORDINATOR_H
#define SLUICE_BROKER_GROUP_COORDINATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "group_state.h"

struct broker_env;
struct group_coordinator;

/*
 * A parked JoinGroup or SyncGroup as the coordinator sees it: the state
 * machine's `waiter` handle.  The handler that parks a request embeds this
 * and sets the callback for the kind of request it is.
 */
struct group_waiter {
    void (*join_done)(struct group_waiter *w, const struct group_join_result *r);
    void (*sync_done)(struct group_waiter *w, const struct group_sync_result *r);
};

/* One record of a coordinator write; value NULL with value_len -1 is a tombstone. */
struct group_write_record {
    const uint8_t *key;
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
};

/*
 * Completion of a coordinator write: err is the append's Kafka error (NONE
 * once committed), base_offset the offset of the first record (-1 on error).
 */
typedef void (*group_write_cb)(void *ctx, int16_t err, int64_t base_offset);

/*
 * Creates the coordinator of the broker env describes (after its replica
 * manager exists: env->rm), registers for image deltas and starts loading the
 * __consumer_offsets partitions this broker already leads.  Returns NULL when
 * there is no replica manager.  env is borrowed and must outlive the
 * coordinator.  Free with group_coordinator_destroy.
 */
struct group_coordinator *group_coordinator_create(const struct broker_env *env);

/*
 * Shutdown: answers every parked request (NOT_COORDINATOR), fails pending
 * writes, frees all groups and unregisters.  Must run before the replica
 * manager is destroyed.  NULL is a no-op.
 */
void group_coordinator_destroy(struct group_coordinator *gc);

/*
 * Looks again at which __consumer_offsets partitions this broker leads (soon,
 * from the loop): call when the hosted partitions changed other than through
 * an image delta (the replica manager's activation).  NULL is a no-op.
 */
void group_coordinator_resync(struct group_coordinator *gc);

/* Periodic work from the node's tick: offset retention and empty-group cleanup. */
void group_coordinator_tick(struct group_coordinator *gc, int64_t now_ms);

/*
 * FindCoordinator for a group (key type 0): the leader of the group's
 * __consumer_offsets partition, with its endpoint for `listener`.  Returns
 * NONE with *node_id, *host (valid until the next image change) and *port,
 * or COORDINATOR_NOT_AVAILABLE (topic being created, no leader, leader
 * without that listener).  Starts creating the topic when it is missing.
 */
int16_t group_coordinator_find(struct group_coordinator *gc, const char *group_id,
                               const char *listener, int32_t *node_id, const char **host,
                               int32_t *port);

/*
 * The group for a request, after Kafka's coordinator checks: NOT_COORDINATOR
 * (its partition is not led here, or the topic does not exist yet),
 * COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE (no coordinator on
 * this node).  On NONE *out is the group, or NULL when it does not exist and
 * create is false; with create a new Empty group is made.
 */
int16_t group_coordinator_lookup(struct group_coordinator *gc, const char *group_id, bool create,
                                 struct group **out);

/* After an operation on g: re-arms the timer for g's deadlines. */
void group_coordinator_touch(struct group_coordinator *gc, struct group *g);

/* Removes and frees a Dead group (DeleteGroups) once its tombstones are written. */
void group_coordinator_drop(struct group_coordinator *gc, struct group *g);

/*
 * Appends recs[0..n) as one batch to g's __consumer_offsets partition and
 * calls cb(ctx, err, base_offset) once committed (acks=all), failed or timed
 * out (offsets.commit.timeout.ms); always later, never inside this call.
 * While the write is pending g's offsets do not expire.
 */
void group_coordinator_write(struct group_coordinator *gc, struct group *g,
                             const struct group_write_record *recs, int n, group_write_cb cb,
                             void *ctx);

/* The live group with this id and incarnation, or NULL (it was unloaded or re-created). */
struct group *group_coordinator_find_group(struct group_coordinator *gc, const char *group_id,
                                           uint64_t incarnation);

/* True while any __consumer_offsets partition led here is still loading (ListGroups). */
bool group_coordinator_loading(const struct group_coordinator *gc);

/*
 * Calls fn for every group of the partitions led here (ListGroups).  fn must
 * not add or remove groups.
 */
void group_coordinator_foreach(struct group_coordinator *gc, void (*fn)(void *ctx, struct group *g),
                               void *ctx);

/* Broker settings the handlers check (group.min/max.session.timeout.ms). */
int32_t group_coordinator_min_session_timeout(const struct group_coordinator *gc);
int32_t group_coordinator_max_session_timeout(const struct group_coordinator *gc);

/* Whether topic exists with partition `partition` (OffsetCommit/OffsetDelete validation). */
bool group_coordinator_partition_exists(const struct group_coordinator *gc, const char *topic,
                                        int32_t partition);

#endif
