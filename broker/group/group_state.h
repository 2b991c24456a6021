/*
 * One classic consumer group: membership, the generation state machine and
 * the group's committed offsets, as Kafka's group coordinator keeps them
 * (GroupCoordinator / ClassicGroup; KIP-62 rebalance timeouts, KIP-134
 * initial rebalance delay, KIP-345 static membership, KIP-394 member id
 * required, KIP-559 protocol type/name checks, KIP-814 skip assignment).
 *
 *   Empty --join--> PreparingRebalance --all joined / timeout-->
 *   CompletingRebalance --leader's SyncGroup stored--> Stable
 *   (any of the last three) --join, leave, expiry--> PreparingRebalance
 *   Empty <-- a rebalance that ends with no members;  Dead: deleted/unloaded.
 *
 * The machine does no I/O and reads no clock: every operation takes `now`
 * (wall-clock ms) and timers are deadlines the owner polls with
 * group_next_deadline()/group_tick(), so tests drive it with a fake clock.
 * Responses to parked JoinGroup/SyncGroup requests go out through the
 * callbacks of struct group_ops, with `waiter` the caller's opaque handle;
 * every waiter handed in is answered exactly once (possibly before the call
 * returns).  Writes of GroupMetadata records go through ops->store and come
 * back, later and never re-entrantly, as group_store_done().
 *
 * Callers may read the struct fields below; only the functions change them.
 */
#ifndef SLUICE_BROKER_GROUP_STATE_H
#define SLUICE_BROKER_GROUP_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "strmap.h"

struct group_metadata_value;

#define GROUP_NO_DEADLINE INT64_MAX

enum group_state {
    GROUP_EMPTY,
    GROUP_PREPARING_REBALANCE,
    GROUP_COMPLETING_REBALANCE,
    GROUP_STABLE,
    GROUP_DEAD,
};

struct group_protocol {
    char *name;
    uint8_t *metadata;
    int32_t len;
};

struct group_member {
    char *member_id;
    char *instance_id; /* NULL: dynamic member */
    char *client_id;
    char *client_host;
    char *protocol_type;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    struct group_protocol *protocols; /* in the member's order of preference */
    int nprotocols;
    uint8_t *assignment; /* the member's share of the current generation */
    int32_t assignment_len;
    void *join_waiter;   /* parked JoinGroup (member is "awaiting join") or NULL */
    void *sync_waiter;   /* parked SyncGroup or NULL */
    int64_t deadline_ms; /* heartbeat expiry, GROUP_NO_DEADLINE when none */
    bool is_new;         /* joined but has not completed a rebalance yet */
    bool pending_sync;   /* must send SyncGroup within the rebalance timeout */
};

/* A committed offset. */
struct group_offset {
    char *topic;
    int32_t partition;
    int64_t offset;
    int32_t leader_epoch; /* -1 unknown */
    char *metadata;       /* never NULL; metadata_len bytes, NUL-terminated after them */
    int64_t commit_ts;
    int64_t expire_ts;     /* -1: none (retention applies) */
    int64_t record_offset; /* offset of the __consumer_offsets record that set it */
    int32_t metadata_len;  /* the client's bytes exactly (they may hold NUL bytes) */
};

/* A member id handed out with MEMBER_ID_REQUIRED that has not joined yet (KIP-394). */
struct group_pending {
    char *member_id;
    int64_t deadline_ms;
};

struct group_config {
    int32_t initial_rebalance_delay_ms; /* group.initial.rebalance.delay.ms */
    int32_t new_member_join_timeout_ms; /* Kafka's 5 minutes for members awaiting a first join */
};

struct group_join_member {
    const char *member_id;
    const char *instance_id; /* NULL when dynamic */
    const uint8_t *metadata;
    int32_t len;
};

/*
 * What a JoinGroup is answered with.  Strings and members point into the
 * group and are valid during the callback only.  protocol_type and
 * protocol_name may be NULL; leader is "" when unknown.
 */
struct group_join_result {
    int16_t error;
    int32_t generation; /* -1 on errors */
    const char *protocol_type;
    const char *protocol_name;
    const char *leader;
    const char *member_id;
    bool skip_assignment;
    const struct group_join_member *members; /* the leader's copy of the membership */
    int nmembers;
};

/* What a SyncGroup is answered with (valid during the callback only). */
struct group_sync_result {
    int16_t error;
    const char *protocol_type; /* NULL on errors */
    const char *protocol_name;
    const uint8_t *assignment;
    int32_t len;
};

struct group;
struct group_store;

struct group_ops {
    void *ctx;
    void (*join_done)(void *ctx, void *waiter, const struct group_join_result *r);
    void (*sync_done)(void *ctx, void *waiter, const struct group_sync_result *r);
    /*
     * Persist the group's current metadata (group_metadata_snapshot) as a
     * GroupMetadata record; call group_store_done(g, st, err, now) once it is
     * committed or failed, never from inside this call.  If the group goes
     * away first, free st with group_store_free instead.
     */
    void (*store)(void *ctx, struct group *g, struct group_store *st);
};

struct group {
    char *id;
    enum group_state state;
    enum group_state prev_state;
    int64_t state_ts; /* when the current state began (currentStateTimestamp), -1 unknown */
    int32_t generation;
    char *protocol_type; /* NULL: none (offset-only group) */
    char *protocol_name; /* NULL outside a generation */
    struct group_member *leader;
    struct group_member **members; /* in join order */
    int nmembers, cap_members;
    struct group_pending *pending; /* KIP-394 member ids handed out, not joined yet */
    int npending, cap_pending;
    /* Rebalance timers. */
    int64_t join_deadline;
    bool initial_join; /* the join phase is the delayed initial one (KIP-134) */
    int32_t initial_delay_ms, initial_remaining_ms;
    bool new_member_added;
    int64_t sync_deadline;
    int32_t sync_generation;
    /* Subscribed topics of a "consumer" group (NULL/0 with known = false when unknown). */
    char **subscribed;
    int nsubscribed;
    bool subscribed_known;
    struct strmap offsets; /* "partition/topic" -> struct group_offset */
    int pending_writes;    /* owner's count of in-flight offset writes (no expiry meanwhile) */
    uint64_t incarnation;  /* owner-assigned identity, to detect a re-created group */
    int32_t shard;         /* owner's __consumer_offsets partition */
    const struct group_config *cfg;
    const struct group_ops *ops;
};

/* Kafka's state name ("Empty", "PreparingRebalance", ...). */
const char *group_state_name(enum group_state s);

/*
 * A new Empty group with no protocol type and generation 0.  cfg and ops are
 * borrowed and must outlive the group.  Free with group_free.
 */
struct group *group_new(const char *id, const struct group_config *cfg, const struct group_ops *ops,
                        int64_t now);

/*
 * Frees the group.  Parked requests still waiting are answered
 * COORDINATOR_NOT_AVAILABLE first (normally group_unload came before).
 */
void group_free(struct group *g);

/*
 * The group's partition stopped being led here (or the node stops): moves to
 * Dead and answers every parked JoinGroup and SyncGroup with `error`
 * (NOT_COORDINATOR).  The group must then be freed.
 */
void group_unload(struct group *g, int16_t error);

struct group_protocol_in {
    const char *name;
    const uint8_t *metadata;
    int32_t len;
};

struct group_join_args {
    const char *member_id;   /* "" for a new member */
    const char *instance_id; /* NULL or the KIP-345 group.instance.id */
    const char *client_id;
    const char *client_host;
    const char *protocol_type;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    const struct group_protocol_in *protocols;
    int nprotocols;
    bool require_known_member_id;  /* JoinGroup v4+ without an instance id (KIP-394) */
    bool supports_skip_assignment; /* JoinGroup v9+ (KIP-814) */
};

/*
 * JoinGroup for this group (the caller has checked the group id, coordinator
 * ownership and the session-timeout bounds).  The answer goes to
 * ops->join_done(waiter) now or when the rebalance's join phase completes.
 * Errors: COORDINATOR_NOT_AVAILABLE (Dead), INCONSISTENT_GROUP_PROTOCOL,
 * MEMBER_ID_REQUIRED (with the new id), UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID.  Inputs are copied.
 */
void group_join(struct group *g, const struct group_join_args *a, void *waiter, int64_t now);

struct group_sync_assignment {
    const char *member_id;
    const uint8_t *assignment;
    int32_t len;
};

struct group_sync_args {
    const char *member_id;
    const char *instance_id;
    int32_t generation;
    const char *protocol_type; /* NULL: not sent (below v5) */
    const char *protocol_name;
    const struct group_sync_assignment *assignments; /* the leader's, else none */
    int nassignments;
};

/*
 * SyncGroup.  The leader's assignment is stored (ops->store) and then
 * relayed to every member as it is, whatever the assignor.  Errors:
 * COORDINATOR_NOT_AVAILABLE, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
 * ILLEGAL_GENERATION, INCONSISTENT_GROUP_PROTOCOL, REBALANCE_IN_PROGRESS and
 * the store's errors.  Inputs are copied.
 */
void group_sync(struct group *g, const struct group_sync_args *a, void *waiter, int64_t now);

/*
 * Heartbeat: NONE (session extended), REBALANCE_IN_PROGRESS (rejoin),
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID or
 * COORDINATOR_NOT_AVAILABLE.
 */
int16_t group_heartbeat(struct group *g, const char *member_id, const char *instance_id,
                        int32_t generation, int64_t now);

struct group_leave_member {
    const char *member_id; /* "" to remove a static member by instance id */
    const char *instance_id;
};

/*
 * LeaveGroup for n members; errors[i] gets each member's result (NONE,
 * UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID).  Returns the group-level error
 * (COORDINATOR_NOT_AVAILABLE when Dead, else NONE).  A rebalance follows
 * when members left.
 */
int16_t group_leave(struct group *g, const struct group_leave_member *ms, int n, int16_t *errors,
                    int64_t now);

/*
 * Checks that a member (or an offset-only client, generation < 0 on an
 * Empty group) may commit offsets now, extending the member's session.
 * Returns NONE, COORDINATOR_NOT_AVAILABLE, UNKNOWN_MEMBER_ID,
 * FENCED_INSTANCE_ID, ILLEGAL_GENERATION or REBALANCE_IN_PROGRESS.
 */
int16_t group_commit_check(struct group *g, const char *member_id, const char *instance_id,
                           int32_t generation, int64_t now);

/*
 * DeleteGroups: GROUP_ID_NOT_FOUND (Dead), NON_EMPTY_GROUP, or NONE after
 * moving the group to Dead (the caller writes the tombstones and frees it).
 */
int16_t group_delete(struct group *g, int64_t now);

/*
 * Completion of an ops->store write.  err is the append's Kafka error
 * (NONE, NOT_LEADER_OR_FOLLOWER, REQUEST_TIMED_OUT, ...); st is freed.
 */
void group_store_done(struct group *g, struct group_store *st, int16_t err, int64_t now);
void group_store_free(struct group_store *st);

/* The Kafka error a failed GroupMetadata append is answered with. */
int16_t group_append_error(int16_t append_error);

/* The earliest timer of the group (GROUP_NO_DEADLINE when none). */
int64_t group_next_deadline(const struct group *g);

/* Runs every timer due at `now`: heartbeat expiry, join phase end, sync expiry. */
void group_tick(struct group *g, int64_t now);

/* Member by id, or NULL. */
struct group_member *group_member_find(const struct group *g, const char *member_id);

/* The member's metadata for the group's selected protocol (NULL/0 when none). */
const uint8_t *group_member_metadata(const struct group *g, const struct group_member *m,
                                     int32_t *len);

/* Whether a "consumer" group's members subscribe to topic (OffsetDelete, expiry). */
bool group_is_subscribed(const struct group *g, const char *topic);

/* ---- committed offsets ---- */

/* The committed offset of topic/partition, or NULL. */
const struct group_offset *group_offset_get(const struct group *g, const char *topic,
                                            int32_t partition);

/*
 * Stores a committed offset (copied) unless one written by a later record
 * (higher record_offset) is already there.
 */
void group_offset_put(struct group *g, const struct group_offset *o);

/* Removes topic/partition's offset if it was set by a record before `record_offset`. */
void group_offset_remove(struct group *g, const char *topic, int32_t partition,
                         int64_t record_offset);

/* Number of committed offsets. */
size_t group_offset_count(const struct group *g);

/*
 * Every committed offset sorted by topic then partition, in an array
 * allocated in `a` (*n entries; the pointers are the group's, valid until
 * the offsets change).
 */
const struct group_offset **group_offsets_sorted(const struct group *g, struct arena *a, int *n);

/*
 * Offset retention (offsets.retention.minutes, KIP-211): removes the offsets
 * that have expired at `now` and returns them (allocated; free each with
 * group_offset_free and the array with free) so the caller can write
 * tombstones.  Offsets of an Empty group expire retention_ms after the group
 * became Empty; those of a group without a protocol (offset-only) and of a
 * Stable consumer group's unsubscribed topics retention_ms after their
 * commit; an explicit expire timestamp (OffsetCommit v2-4) wins.
 */
struct group_offset **group_expire_offsets(struct group *g, int64_t now, int64_t retention_ms,
                                           int *n);
void group_offset_free(struct group_offset *o);

/* An Empty group with no offsets and no parked requests can be dropped (tombstone). */
bool group_is_disposable(const struct group *g);

/* ---- persistence ---- */

/*
 * The GroupMetadataValue for the group as it is now (strings and bytes
 * point into the group; arrays in `a`).
 */
void group_metadata_snapshot(const struct group *g, struct arena *a,
                             struct group_metadata_value *out);

/*
 * Replaces the group's membership and generation with a GroupMetadataValue
 * read back from the log (while loading).  Call group_load_finish after the
 * last record.
 */
void group_load_metadata(struct group *g, const struct group_metadata_value *v, int64_t now);

/* A GroupMetadata tombstone while loading: membership and generation are dropped. */
void group_load_tombstone(struct group *g, int64_t now);

/*
 * Ends loading: the group becomes Stable (members present) or Empty and every
 * member gets a full session before it is expired.
 */
void group_load_finish(struct group *g, int64_t now);

#endif
