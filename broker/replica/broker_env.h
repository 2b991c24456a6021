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

struct broker_config;
struct controller;
struct event_base;
struct kc_conn;
struct metadata_image;
struct purgatory;
struct replica_manager;

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
    /* The controller in this process when it is the active one, else NULL: requests to the
     * controller (AlterPartition, CreateTopics) go to it directly. */
    struct controller *(*active_controller)(void *ctx);
    /* The connection to the active controller's CONTROLLER listener on another node, or NULL
     * when none is known (owned by the node). */
    struct kc_conn *(*controller_conn)(void *ctx);
    /* The leader applied an ISR change it proposed (shrink: the ISR got smaller); metrics. */
    void (*isr_changed)(void *ctx, bool shrink);
};

#endif
