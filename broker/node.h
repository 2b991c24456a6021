/*
 * One Sluice process: the event loop and everything hanging off it (DESIGN.md
 * section 1).  All state is reached from `struct node`; no globals.  The node
 * wires the metadata quorum, the controller and its image, the replica
 * manager and the Kafka listeners together, and runs until SIGTERM/SIGINT.
 */
#ifndef SLUICE_BROKER_NODE_H
#define SLUICE_BROKER_NODE_H

#include <stdbool.h>
#include <stdint.h>

#include "uuid.h"

struct admin_server;
struct broker_lifecycle;
struct kc_conn;
struct broker_config;
struct broker_metrics;
struct conn;
struct controller;
struct event;
struct event_base;
struct listener;
struct metadata_image;
struct quorum;
struct replica_manager;
struct group_coordinator;
struct request;
struct purgatory;

#define NODE_MAX_LISTENERS 8

struct node {
    struct event_base *base;
    const struct broker_config *cfg;
    int32_t node_id;
    char cluster_id[65]; /* from meta.properties */
    struct uuid incarnation_id;
    int32_t max_request_bytes;
    int max_connections;

    struct metadata_image *image;
    struct controller *controller;
    struct quorum *quorum;
    struct replica_manager *rm;
    struct group_coordinator *groups; /* consumer groups (group_coordinator.h), NULL if none */

    struct listener *listeners[NODE_MAX_LISTENERS];
    int nlisteners;
    struct conn *conns; /* open client connections, most recently active first (conn.c) */
    int nconns;
    /* Node-wide request budgets of conn.c (queued.max.request.bytes, queued.max.requests)
     * and the connections waiting for them, first come first served. */
    int64_t conn_request_bytes;
    int conn_requests;
    struct conn *conn_waiting, *conn_waiting_tail;
    bool conn_wake_pending;

    int64_t broker_epoch;               /* -1 until the registration commits */
    struct broker_lifecycle *lifecycle; /* registration and heartbeats (KIP-631) */
    struct kc_conn *forward_conn;       /* to the active controller (forward.c) */
    int32_t forward_to;
    struct event *ev_shutdown; /* polls a controlled shutdown */
    int64_t shutdown_deadline_ms;
    bool registering;
    bool serving; /* client listeners open */

    /* Producer ids handed out by InitProducerId, from blocks the controller allocates. */
    int64_t next_producer_id;
    int64_t producer_id_end; /* exclusive */
    bool pid_block_pending;
    int16_t pid_block_error; /* while failing the waiters (handle_producer_id.c) */

    struct purgatory *purgatory; /* every parked request (purgatory.h) */

    struct admin_server *admin;     /* the ADMIN listener (admin.h), NULL when disabled */
    struct broker_metrics *metrics; /* counters for /metrics (metrics.h), NULL when disabled */

    struct event *ev_sigterm, *ev_sigint, *ev_tick;
    /* Test-only hold on metadata replay (node.c, SLUICE_TEST_HOLD_METADATA_REPLAY_MS). */
    int64_t hold_replay_until_ms; /* 0: not holding */
    struct held_batch *held_head, *held_tail;
    struct event *ev_replay_hold;
    bool stopping;
    int exit_code;
};

/*
 * Runs a node with the given configuration until SIGTERM or SIGINT, then shuts
 * down cleanly (every log flushed, checkpoints written).  The data directory
 * must be formatted (meta.properties present).  Returns the process exit code.
 */
int broker_node_run(const struct broker_config *cfg);

/*
 * The controller id clients see in Metadata/DescribeCluster (-1 when unknown):
 * a live broker, which forwards controller requests (KIP-590), preferably the
 * active controller itself.
 */
int32_t node_controller_id(const struct node *n);

/*
 * True once this broker acts on the metadata image: it has replayed its own
 * registration of this incarnation (KIP-631's initial catch-up) and its
 * replica manager has opened the partitions assigned to it.  Until then its
 * heartbeats ask to stay fenced.
 */
bool node_metadata_caught_up(const struct node *n);

/* True when this node can change metadata now (it is the active controller). */
bool node_is_controller(const struct node *n);

/*
 * Broker property lookup in the shape topic_config_effective() wants: the
 * value of `key` when it was set (file, environment or override) with its
 * Kafka ConfigSource in *source, or NULL when it is at its default.
 * ctx is the struct node.
 */
const char *node_broker_config_lookup(void *ctx, const char *key, int8_t *source);

#endif
