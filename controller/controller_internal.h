/*
 * Internals shared by the controller's source files (not for other modules):
 * the operation queue entry, the controller struct, record accumulation for
 * one atomic append, per-broker session state (KIP-631) and the processing
 * steps implemented in controller_lifecycle.c (registration, heartbeats,
 * fencing) and controller_partitions.c (elections, AlterPartition,
 * preferred-leader balancing).  controller.c runs the queue: an operation
 * is processed when it reaches the head with everything before it
 * committed, its records are appended as one batch, and it completes when
 * that batch commits.
 */
#ifndef SLUICE_CONTROLLER_INTERNAL_H
#define SLUICE_CONTROLLER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "controller.h"
#include "metadata_image.h"
#include "quorum.h"

/* Kafka's QuorumController.MAX_RECORDS_PER_USER_OP: bounds one atomic batch. */
#define MAX_RECORDS_PER_OP 10000

/* Kafka's defaults of the lifecycle properties. */
#define CTL_DEFAULT_SESSION_TIMEOUT_MS      9000
#define CTL_DEFAULT_IMBALANCE_INTERVAL_S    300
#define CTL_DEFAULT_AUTO_LEADER_REBALANCE   true
#define CTL_DEFAULT_UNCLEAN_LEADER_ELECTION false

enum op_type {
    OP_BOOTSTRAP,
    OP_CREATE_TOPICS,
    OP_DELETE_TOPICS,
    OP_CREATE_PARTITIONS,
    OP_PRODUCER_IDS,
    OP_REGISTER_BROKER,
    OP_HEARTBEAT,
    OP_FENCE_STALE,
    OP_ALTER_PARTITION,
    OP_REBALANCE,
    OP_ALTER_CONFIGS,
    OP_ELECT_LEADERS,
};

/* One requested AlterPartition partition and its answer. */
struct ap_item {
    struct ctl_alter_partition in; /* new_isr copied into the op's arena */
    struct ctl_alter_partition_result out;
    bool changed; /* a record was appended: fill `out` from the image at completion */
};

/* A BrokerHeartbeat in the queue. */
struct op_heartbeat {
    int32_t broker_id;
    int64_t broker_epoch;
    int64_t offset;
    bool want_fence, want_shutdown;
    int64_t now_ms;
    bool entering_cs; /* the batch moves its leaderships for a controlled shutdown */
    struct ctl_heartbeat_result res;
};

struct op {
    enum op_type type;
    struct op *next;
    struct arena a; /* request copy, results, messages */
    bool in_flight;
    int64_t last_offset;
    int phase; /* OP_REGISTER_BROKER: 0 register, 1 unfence (CTL_REGISTER_CAUGHT_UP) */
    void *ctx;
    union {
        ctl_create_topics_cb create_topics;
        ctl_delete_topics_cb delete_topics;
        ctl_create_partitions_cb create_partitions;
        ctl_producer_ids_cb producer_ids;
        ctl_register_broker_cb register_broker;
        ctl_heartbeat_cb heartbeat;
        ctl_alter_partition_cb alter_partition;
        ctl_alter_configs_cb alter_configs;
        ctl_elect_leaders_cb elect_leaders;
    } cb;
    union {
        struct {
            struct ctl_create_topic *topics;
            int32_t n;
            bool validate_only;
            struct ctl_create_topic_result *res;
        } ct;
        struct {
            struct ctl_delete_topic *topics;
            int32_t n;
            struct ctl_delete_topic_result *res;
        } dt;
        struct {
            struct ctl_create_partitions_topic *topics;
            int32_t n;
            bool validate_only;
            struct ctl_create_partitions_result *res;
        } cp;
        struct {
            int32_t broker_id;
            int64_t broker_epoch;
            int64_t first;
            int16_t error;
        } pid;
        struct {
            struct ctl_register_broker req;
            unsigned flags;
            int64_t now_ms;
            int64_t epoch;
            int16_t error;
            const char *message;
        } rb;
        struct op_heartbeat hb;
        struct {
            int32_t broker_id;
            int64_t broker_epoch;
            int16_t error;
            struct ap_item *items;
            int32_t n;
        } ap;
        struct {
            struct ctl_alter_configs_resource *resources;
            int32_t n;
            bool incremental, validate_only;
            struct ctl_alter_configs_result *res;
        } ac;
        struct {
            int8_t type;
            int32_t target;
            bool all; /* every partition (null topic_partitions) */
            struct ctl_elect_result *res;
            int32_t n;
            int16_t error;
        } el;
    } u;
};

/*
 * A broker's session with this active controller (BrokerHeartbeatManager):
 * reset when leadership changes.
 */
struct ctl_session {
    int32_t id;
    int64_t epoch;           /* the registration it belongs to */
    int64_t contact_ms;      /* last registration or heartbeat; -1: starts at the next tick */
    int64_t metadata_offset; /* last reported; -1 unknown */
    int64_t cs_offset;       /* last offset of its controlled-shutdown records, -1 none */
    bool live;               /* registered or heartbeated in this term */
    bool local;              /* this node's own broker (CTL_REGISTER_CAUGHT_UP): never expires */
};

struct controller {
    struct controller_config cfg;
    struct metadata_image *img;
    struct quorum *q;
    bool active;
    int32_t epoch;
    struct op *head, *tail;
    bool running;
    struct ctl_session *sess; /* sorted by id */
    size_t nsess, cap_sess;
    int64_t now_ms; /* the latest time seen (tick, heartbeat, registration); -1 none */
    bool fence_queued, rebalance_queued;
    int64_t next_rebalance_ms; /* -1: not scheduled */
};

/* ---- records accumulated for one append ---- */

struct recs {
    struct wbuf w;
    size_t *end;
    int32_t n, cap;
    int err;
};

void ctl_recs_init(struct recs *r);
void ctl_recs_free(struct recs *r);
/* Encodes one record at its write version; an encoding error is kept in r->err. */
void ctl_recs_add(struct recs *r, int16_t type, const void *rec);

/* ---- small helpers (controller.c) ---- */

struct kstr ctl_kstr(const char *s);
const char *ctl_msgf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *ctl_adup(struct arena *a, const char *s);
/* Unfenced and not in controlled shutdown (Kafka's "active"). */
bool ctl_broker_active(const struct mi_broker *b);
/*
 * Effective broker property `key` for this node: dynamic broker config in
 * the image, then the cluster default, then cfg.broker_config; NULL when
 * unset.  ctx is a `const struct controller *`.
 */
const char *ctl_broker_prop(void *ctx, const char *key, int8_t *source);
/* A broker property as an integer/boolean, `dflt` when unset or malformed. */
int64_t ctl_prop_int(const struct controller *c, const char *key, int64_t dflt);
bool ctl_prop_bool(const struct controller *c, const char *key, bool dflt);

struct op *ctl_op_new(enum op_type type, void *ctx);
/* Appends op to the queue and runs the queue. */
void ctl_enqueue(struct controller *c, struct op *op);

/* ---- sessions and lifecycle (controller_lifecycle.c) ---- */

struct ctl_session *ctl_session_find(struct controller *c, int32_t id);
/* The session of (id, epoch), created (contact -1, not live) or reset when the epoch differs. */
struct ctl_session *ctl_session_get(struct controller *c, int32_t id, int64_t epoch);
void ctl_sessions_reset(struct controller *c);
int64_t ctl_session_timeout_ms(const struct controller *c);

void ctl_process_register_broker(struct controller *c, struct op *op, struct recs *r);
/* A registration batch committed (phase 0): starts the broker's session. */
void ctl_register_committed(struct controller *c, struct op *op);
void ctl_process_heartbeat(struct controller *c, struct op *op, struct recs *r);
/* The heartbeat's batch committed: records the controlled-shutdown offset. */
void ctl_heartbeat_committed(struct controller *c, struct op *op);
void ctl_process_fence_stale(struct controller *c, struct recs *r);

/* ---- partition changes (controller_partitions.c) ---- */

/*
 * PartitionChangeRecords that take the `n` brokers in `removing` out of
 * every ISR (an ISR is never emptied) and out of leadership, electing new
 * leaders from the remaining ISR in replica order (unclean elections where
 * the topic allows them).  Returns the number of records added.
 */
int32_t ctl_add_removal_changes(struct controller *c, struct recs *r, const int32_t *removing,
                                int32_t n);
/*
 * Elections for the leaderless partitions, counting `unfencing` (being
 * unfenced in the same batch) as an acceptable leader (handleBrokerUnfenced).
 */
int32_t ctl_add_unfence_elections(struct controller *c, struct recs *r, int32_t unfencing);
/* Whether broker id leads any partition in the image. */
bool ctl_broker_leads_any(const struct controller *c, int32_t id);
void ctl_process_alter_partition(struct controller *c, struct op *op, struct recs *r);
/* Fills the results of the accepted AlterPartition items from the committed image. */
void ctl_alter_partition_committed(struct controller *c, struct op *op);
void ctl_process_rebalance(struct controller *c, struct recs *r);
void ctl_process_elect_leaders(struct controller *c, struct op *op, struct recs *r);
/* Fills the leaders and epochs of the elected partitions from the committed image. */
void ctl_elect_leaders_committed(struct controller *c, struct op *op);

/* ---- config changes (controller_configs.c) ---- */

void ctl_process_alter_configs(struct controller *c, struct op *op, struct recs *r);

#endif
