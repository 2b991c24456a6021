/*
 * The broker's shared serving state: what the listeners, connections,
 * handlers, purgatories and the admin listener read (the event loop, the
 * configuration, the metadata image, the controller, the replica manager,
 * the group coordinator, connection budgets, forwarding state).  The node
 * wiring (cmd/node/node.c) fills it in and owns its lifetime; this library
 * and admin read it.  All state is reached from `struct broker`; no globals.
 */
#ifndef SLUICE_BROKER_BROKER_H
#define SLUICE_BROKER_BROKER_H

#include <stdbool.h>
#include <stdint.h>

#include "broker_env.h"
#include "uuid.h"

struct admin_server;
struct kc_conn;
struct broker_config;
struct broker_metrics;
struct conn;
struct controller;
struct event_base;
struct listener;
struct metadata_image;
struct quorum;
struct replica_manager;
struct group_coordinator;
struct request;
struct purgatory;

#define BROKER_MAX_LISTENERS 8

struct broker {
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

    struct listener *listeners[BROKER_MAX_LISTENERS];
    int nlisteners;
    struct conn *conns; /* open client connections, most recently active first (conn.c) */
    int nconns;
    /* Node-wide request budgets of conn.c (queued.max.request.bytes, queued.max.requests)
     * and the connections waiting for them, first come first served. */
    int64_t conn_request_bytes;
    int conn_requests;
    struct conn *conn_waiting, *conn_waiting_tail;
    bool conn_wake_pending;

    int64_t broker_epoch;         /* -1 until the registration commits */
    struct broker_env env;        /* what replica and group see of this broker */
    struct kc_conn *forward_conn; /* to the active controller (forward.c) */
    int32_t forward_to;
    bool serving; /* client listeners open */

    /* Producer ids handed out by InitProducerId, from blocks the controller allocates. */
    int64_t next_producer_id;
    int64_t producer_id_end; /* exclusive */
    bool pid_block_pending;
    int16_t pid_block_error; /* while failing the waiters (handle_producer_id.c) */

    struct purgatory *purgatory; /* every parked request (purgatory.h) */

    struct admin_server *admin;     /* the ADMIN listener (admin.h), NULL when disabled */
    struct broker_metrics *metrics; /* counters for /metrics (metrics.h), NULL when disabled */

    bool stopping;
};

/*
 * The controller id clients see in Metadata/DescribeCluster (-1 when unknown):
 * a live broker, which forwards controller requests (KIP-590), preferably the
 * active controller itself.
 */
int32_t broker_controller_id(const struct broker *n);

/*
 * True once this broker acts on the metadata image: it has replayed its own
 * registration of this incarnation (KIP-631's initial catch-up) and its
 * replica manager has opened the partitions assigned to it.  Until then its
 * heartbeats ask to stay fenced.
 */
bool broker_metadata_caught_up(const struct broker *n);

/* True when this node can change metadata now (it is the active controller). */
bool broker_is_controller(const struct broker *n);

#endif
