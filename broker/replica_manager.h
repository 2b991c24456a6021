/*
 * The partitions this broker hosts, kept in step with the metadata image:
 * logs are opened when a partition is assigned here, deleted with their
 * topic, and their leadership state follows the image's PartitionRecords and
 * PartitionChangeRecords.  Also owns the group commit of fsync-on-append
 * partitions, the recovery-point and high-watermark checkpoints, and periodic
 * retention and flushing (Kafka's ReplicaManager and LogManager).
 */
#ifndef SLUICE_BROKER_REPLICA_MANAGER_H
#define SLUICE_BROKER_REPLICA_MANAGER_H

#include <stdint.h>

struct node;
struct partition;
struct replica_manager;

/* Creates the manager for the node's log directory; loads checkpoints.  Returns NULL on error. */
struct replica_manager *replica_manager_create(struct node *node);

/* Flushes every log, writes checkpoints and closes all partitions. */
void replica_manager_destroy(struct replica_manager *rm);

/*
 * Finds the local replica of topic/index.  Returns KERR_NONE with *out set,
 * UNKNOWN_TOPIC_OR_PARTITION when the image has no such partition, or
 * NOT_LEADER_OR_FOLLOWER when the partition exists but is not hosted here.
 */
int16_t replica_manager_lookup(struct replica_manager *rm, const char *topic, int32_t index,
                               struct partition **out);

/*
 * replica_manager_lookup, then the checks every leader-only request makes:
 * NOT_LEADER_OR_FOLLOWER when this broker is not the leader, and the
 * KIP-320 current-leader-epoch check (current_leader_epoch < 0: none).
 */
int16_t replica_manager_lookup_leader(struct replica_manager *rm, const char *topic, int32_t index,
                                      int32_t current_leader_epoch, struct partition **out);

/* Queues p for the next group commit (one fsync per log after the current loop pass). */
void replica_manager_request_flush(struct replica_manager *rm, struct partition *p);

/* Re-synchronises hosted partitions with the metadata image (called on image changes). */
void replica_manager_sync(struct replica_manager *rm);

/*
 * Removes partition directories the metadata image does not assign to this
 * broker (topics deleted while it was down).  Call only once the image has
 * caught up with the metadata log (the broker is registered and unfenced),
 * never from an image that is still replaying.
 */
void replica_manager_remove_stray_logs(struct replica_manager *rm);

/* Periodic work: retention, time-based flush, checkpoints.  Called by the node's timer. */
void replica_manager_tick(struct replica_manager *rm, int64_t now_ms);

/* The largest lag (leader high watermark minus local LEO, in offsets) over this broker's
 * followers, as their last fetch answers showed it; 0 when it follows nothing. */
int64_t replica_manager_fetcher_max_lag(const struct replica_manager *rm);

/* Number of hosted partitions and of those led here (metrics, logs). */
int replica_manager_partition_count(const struct replica_manager *rm);

#endif
