/*
 * What the replica manager, its fetchers and ISR updates, and the group
 * coordinator see of the node they run in.  The node wiring fills one in and
 * keeps it alive longer than every module it hands it to; the modules never
 * reach the node itself (DESIGN.md section 5).
 */
#ifndef SLUICE_BROKER_ENV_H
#define SLUICE_BROKER_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "msg_controller.h" /* struct alter_partition_broker_state */
#include "uuid.h"

struct broker_config;
struct event_base;
struct kc_conn;
struct metadata_image;
struct purgatory;
struct replica_manager;

/* ---- Requests to the active controller when it runs in this process ---- */

/* One partition's ISR change from its leader (AlterPartition, KIP-497). */
struct env_alter_partition {
    struct uuid topic_id;
    int32_t partition_index;
    int32_t leader_epoch;
    int32_t partition_epoch;
    /* The proposed ISR, each member with the broker epoch it registered with (KIP-903;
     * -1: unknown), as AlterPartition carries it. */
    const struct alter_partition_broker_state *new_isr;
    int32_t nnew_isr;
};

/*
 * The controller's answer for that partition: error_code (a Kafka error code,
 * the top-level one when the whole request failed) and, when it is
 * KERR_NONE, the partition's state after the change; else leader_id,
 * leader_epoch and partition_epoch are -1 and isr is empty.  isr is borrowed
 * for the callback only.
 */
struct env_alter_partition_answer {
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
    int32_t partition_epoch;
    const int32_t *isr;
    int32_t nisr;
};

typedef void (*env_alter_partition_cb)(void *cb_ctx, const struct env_alter_partition_answer *a);

/* A topic config given at creation (name and value, both NUL-terminated). */
struct env_topic_config {
    const char *name;
    const char *value;
};

/* One topic to create (CreateTopics). */
struct env_create_topic {
    const char *name;
    int32_t num_partitions;
    int16_t replication_factor;
    const struct env_topic_config *configs;
    int32_t nconfigs;
};

/*
 * The controller's answer for the topic: error_code KERR_NONE with the
 * partitions and replication factor it got, or an error (error_message may
 * be NULL; the counts are -1).  Strings are borrowed for the callback only.
 */
struct env_topic_created {
    const char *name;
    int16_t error_code;
    const char *error_message;
    int32_t num_partitions;
    int16_t replication_factor;
};

typedef void (*env_create_topic_cb)(void *cb_ctx, const struct env_topic_created *r);

struct broker_env {
    struct event_base *base;         /* the node's event loop */
    const struct broker_config *cfg; /* borrowed */
    int32_t node_id;                 /* node.id */
    struct metadata_image *image;    /* the node's metadata image, borrowed */
    /* The node's replica manager: NULL before it exists and after it is destroyed, so
     * answers arriving late (AlterPartition, fetches) find none. */
    struct replica_manager *rm;
    /* Where requests wait for a partition's HW or data (purgatory.h); a partition's HW
     * advance checks its key there.  Owned by the node, freed after every module. */
    struct purgatory *purgatory;
    void *ctx; /* passed to every callback below */
    /* This broker's epoch from its registration (KIP-631), -1 until it commits. */
    int64_t (*broker_epoch)(void *ctx);
    /*
     * Requests to the active controller go in-process when it runs in this node, else over
     * controller_conn().  Each *_local call returns false, and never calls cb, when this
     * node is not the active controller.  Otherwise it hands the request (borrowed for the
     * call only) to the controller and returns true; cb is called exactly once with the
     * answer, when the change commits or fails (also when the controller stops).
     */
    bool (*alter_partition_local)(void *ctx, const struct env_alter_partition *req,
                                  env_alter_partition_cb cb, void *cb_ctx);
    bool (*create_topic_local)(void *ctx, const struct env_create_topic *t, env_create_topic_cb cb,
                               void *cb_ctx);
    /* The connection to the active controller's CONTROLLER listener on another node, or NULL
     * when none is known (owned by the node). */
    struct kc_conn *(*controller_conn)(void *ctx);
    /* The leader applied an ISR change it proposed (shrink: the ISR got smaller); metrics. */
    void (*isr_changed)(void *ctx, bool shrink);
};

#endif
