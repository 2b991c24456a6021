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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct broker_env;
struct partition;
struct replica_manager;

/*
 * Creates the manager for the node's log directory; loads checkpoints.  env is
 * borrowed and must outlive the manager.  Returns NULL on error.
 */
struct replica_manager *replica_manager_create(const struct broker_env *env);

/* Flushes every log, writes checkpoints and closes all partitions. */
void replica_manager_destroy(struct replica_manager *rm);

/*
 * Finds the local replica of topic/index.  Returns KERR_NONE with *out set,
 * KAFKA_STORAGE_ERROR when the replica is hosted here but offline (its log
 * failed or could not be opened), UNKNOWN_TOPIC_OR_PARTITION when the image
 * has no such partition, or NOT_LEADER_OR_FOLLOWER when the partition exists
 * but is not hosted here.
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

/* Re-synchronises hosted partitions with the metadata image.  Only once active. */
void replica_manager_sync(struct replica_manager *rm);

/*
 * Starts acting on the metadata image.  Call once, when the image has caught
 * up with the metadata log as of this broker's current registration (KIP-631:
 * it holds the broker's own RegisterBrokerRecord of this incarnation), never
 * from an image that is still replaying.  Partition directories the image
 * does not assign here, judged by topic id, are renamed aside as
 * "<dir>.<uuid>-stray" (never deleted; Kafka 3.7 does the same), then every
 * assigned partition is opened and given its state; image deltas apply from
 * then on.  A second call does nothing.
 */
void replica_manager_activate(struct replica_manager *rm);

/* Whether replica_manager_activate ran. */
bool replica_manager_is_active(const struct replica_manager *rm);

/*
 * Number of stray partition directories set aside in the log directory (by
 * this run or earlier ones).  With names non-NULL, *names gets an array of
 * their directory names (the array is the caller's to free, the strings stay
 * the manager's and live until it is destroyed).
 */
size_t replica_manager_stray_logs(const struct replica_manager *rm, const char ***names);

/* Periodic work: retention, time-based flush, checkpoints.  Called by the node's timer. */
void replica_manager_tick(struct replica_manager *rm, int64_t now_ms);

/* The largest lag (leader high watermark minus local LEO, in offsets) over this broker's
 * followers, as their last fetch answers showed it; 0 when it follows nothing. */
int64_t replica_manager_fetcher_max_lag(const struct replica_manager *rm);

/*
 * Log dir failure (Kafka's LogDirFailureChannel / ReplicaManager.handleLogDirFailure).
 * When a write, sync or file operation of any hosted log fails, or a log
 * cannot be created, the log dir goes offline as a whole: every hosted
 * replica is taken offline (replica_manager_lookup answers
 * KAFKA_STORAGE_ERROR, nothing more is written to the dir, checkpoints
 * included), waiters are woken, the failure is logged at ERROR and shown by
 * the admin API and metrics, and the broker's heartbeats ask the controller
 * to fence it (want_fence) so that leadership moves to replicas elsewhere.
 * The state lasts until the broker restarts and recovers its logs.
 *
 * Kafka halts a broker whose last log dir failed; Sluice has one log dir and
 * stays up instead, fenced, so that the failure stays visible (admin API,
 * metrics) while the cluster routes around it: the same effect for clients.
 *
 * check_storage notices a replica whose log failed and fails the dir (call it
 * after an I/O error; the tick calls it too); fail_log_dir fails it at once.
 */
void replica_manager_check_storage(struct replica_manager *rm);
void replica_manager_fail_log_dir(struct replica_manager *rm);
/* Whether the log dir is offline (false for NULL); its path. */
bool replica_manager_log_dir_offline(const struct replica_manager *rm);
const char *replica_manager_log_dir(const struct replica_manager *rm);

/*
 * Calls fn(ctx, p) for every hosted partition whose log is open (offline
 * ones included: check partition_offline), in no particular order.  fn must
 * not add or remove partitions.
 */
void replica_manager_foreach(const struct replica_manager *rm,
                             void (*fn)(void *ctx, struct partition *p), void *ctx);

/* The lag of a followed partition as its last fetch answer showed it (leader high
 * watermark minus local LEO, >= 0); -1 when this broker does not follow it. */
int64_t replica_manager_follower_lag(const struct replica_manager *rm, const char *topic,
                                     int32_t index);

/* Number of hosted partitions and of those led here (metrics, logs). */
int replica_manager_partition_count(const struct replica_manager *rm);

#endif
