/*
 * The metadata image: the in-memory state every node builds by replaying the
 * committed records of the __cluster_metadata log (KIP-500, KIP-631):
 * topics (by name and by id) with their partitions, brokers, configs, feature
 * levels, the next producer-id block and the offset of the last record
 * applied.  Listeners get a callback after each applied record (a "delta"),
 * which is how the broker learns to create, lead, follow or delete logs.
 *
 * Owned by the event loop thread.  Pointers returned by accessors and passed
 * to listeners stay valid until the next replay call; listeners must not
 * replay records from inside a callback.
 */
#ifndef SLUICE_METADATA_IMAGE_H
#define SLUICE_METADATA_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uuid.h"

struct mi_partition {
    int32_t partition_id;
    int32_t *replicas; /* preferred order; replicas[0] is the preferred leader */
    int32_t nreplicas;
    int32_t *isr;
    int32_t nisr;
    int32_t *removing_replicas;
    int32_t nremoving_replicas;
    int32_t *adding_replicas;
    int32_t nadding_replicas;
    int32_t leader; /* -1: no leader */
    int32_t leader_epoch;
    int32_t partition_epoch;
    int8_t leader_recovery_state; /* 0 recovered, 1 recovering (KIP-704) */
};

struct mi_topic {
    char *name;
    struct uuid id;
    struct mi_partition *partitions; /* partitions[i].partition_id == i */
    int32_t npartitions;
};

struct mi_endpoint {
    char *name; /* listener name */
    char *host;
    uint16_t port;
    int16_t security_protocol;
};

struct mi_feature_range {
    char *name;
    int16_t min_supported;
    int16_t max_supported;
};

struct mi_broker {
    int32_t id;
    int64_t epoch; /* offset of its RegisterBrokerRecord (KIP-631) */
    struct uuid incarnation_id;
    struct mi_endpoint *endpoints;
    int32_t nendpoints;
    struct mi_feature_range *features;
    int32_t nfeatures;
    char *rack; /* NULL when unset */
    bool fenced;
    bool in_controlled_shutdown;
};

struct metadata_image;

/*
 * Deltas.  Every callback may be NULL.  `img` already reflects the record.
 *  - topic_created: after a TopicRecord (the topic has no partitions yet;
 *    partition_changed follows for each PartitionRecord).
 *  - partition_changed: after a PartitionRecord (old == NULL for a new
 *    partition) or PartitionChangeRecord; old is the previous state.
 *  - topic_deleted: after a RemoveTopicRecord; t (with its partitions) is no
 *    longer reachable through the image and is freed after the call.
 *  - broker_changed: after RegisterBroker/Fence/Unfence/
 *    BrokerRegistrationChange (old == NULL for a broker seen for the first
 *    time).
 *  - config_changed: after a ConfigRecord (value NULL: the key was removed).
 */
struct metadata_listener {
    void *ctx;
    void (*topic_created)(void *ctx, const struct metadata_image *img, const struct mi_topic *t);
    void (*partition_changed)(void *ctx, const struct metadata_image *img, const struct mi_topic *t,
                              const struct mi_partition *old, const struct mi_partition *now);
    void (*topic_deleted)(void *ctx, const struct metadata_image *img, const struct mi_topic *t);
    void (*broker_changed)(void *ctx, const struct metadata_image *img, const struct mi_broker *old,
                           const struct mi_broker *now);
    void (*config_changed)(void *ctx, const struct metadata_image *img, int8_t resource_type,
                           const char *resource_name, const char *key, const char *value);
};

/* An empty image (offset -1).  Free with metadata_image_free. */
struct metadata_image *metadata_image_new(void);
void metadata_image_free(struct metadata_image *img);

/* Registers a listener (copied); several may be registered.  Returns 0. */
int metadata_image_add_listener(struct metadata_image *img, const struct metadata_listener *l);
/* Removes every listener registered with this ctx. */
void metadata_image_remove_listener(struct metadata_image *img, void *ctx);

/*
 * Applies one framed record value committed at `offset` and then calls the
 * listeners.  A record that cannot be decoded or does not apply (unknown
 * topic, duplicate topic id, stale broker epoch, decreasing producer id ...)
 * is rejected with a logged error and leaves the image unchanged except for
 * the offset, which always advances.  Returns 0, SL_ECORRUPT (undecodable),
 * SL_EUNSUPPORTED (unknown type or version) or SL_EINVAL (does not apply).
 */
int metadata_image_replay(struct metadata_image *img, int64_t offset, const uint8_t *value,
                          size_t len);

/*
 * Applies every record of one committed v2 batch (as quorum_listener's
 * on_commit delivers it); control batches only advance the offset.  Records
 * that are rejected are logged and skipped as in metadata_image_replay.
 * Returns 0, or SL_ECORRUPT when the batch itself is malformed (records up to
 * the damage have been applied).
 */
int metadata_image_replay_batch(struct metadata_image *img, const uint8_t *batch, size_t len);

/* Offset of the last record or batch applied, -1 when nothing was. */
int64_t metadata_image_offset(const struct metadata_image *img);

/* Topics: lookup, and iteration in name order (i in [0, count)). */
const struct mi_topic *metadata_image_topic_by_name(const struct metadata_image *img,
                                                    const char *name);
const struct mi_topic *metadata_image_topic_by_id(const struct metadata_image *img,
                                                  const struct uuid *id);
size_t metadata_image_topic_count(const struct metadata_image *img);
const struct mi_topic *metadata_image_topic_at(const struct metadata_image *img, size_t i);
/* partition `p` of t, or NULL when out of range. */
const struct mi_partition *metadata_image_partition(const struct mi_topic *t, int32_t p);
/* Whether broker id is in the partition's replica set / ISR. */
bool mi_partition_has_replica(const struct mi_partition *p, int32_t broker_id);
bool mi_partition_in_isr(const struct mi_partition *p, int32_t broker_id);

/* Brokers: lookup, and iteration in id order. */
const struct mi_broker *metadata_image_broker(const struct metadata_image *img, int32_t id);
size_t metadata_image_broker_count(const struct metadata_image *img);
const struct mi_broker *metadata_image_broker_at(const struct metadata_image *img, size_t i);

/*
 * Configs set through ConfigRecords: resource_type MR_RESOURCE_TOPIC (2,
 * name = topic name) or MR_RESOURCE_BROKER (4, name = broker id in decimal, or
 * "" for the cluster-wide default).  Returns the value or NULL when unset.
 */
const char *metadata_image_config(const struct metadata_image *img, int8_t resource_type,
                                  const char *resource_name, const char *key);
/*
 * Iterates the keys set on one resource (unspecified but stable order while
 * the image is unchanged): start with *it = 0; returns false at the end.
 */
bool metadata_image_config_next(const struct metadata_image *img, int8_t resource_type,
                                const char *resource_name, size_t *it, const char **key,
                                const char **value);

/* Finalized feature levels (FeatureLevelRecord); 0 when the feature is not set. */
int16_t metadata_image_feature_level(const struct metadata_image *img, const char *name);
size_t metadata_image_feature_count(const struct metadata_image *img);
/* Feature i (name order): returns false when i is out of range. */
bool metadata_image_feature_at(const struct metadata_image *img, size_t i, const char **name,
                               int16_t *level);

/* First producer id of the next block to hand out (ProducerIdsRecord); 0 initially. */
int64_t metadata_image_next_producer_id(const struct metadata_image *img);

struct wbuf;

/*
 * KIP-630 snapshot of the whole image as of end_offset (the image must have
 * applied nothing at or above end_offset): v2 record batches with offsets
 * from 0 and partitionLeaderEpoch `epoch`, a control batch holding a
 * SnapshotHeader record first, FeatureLevel, RegisterBroker (with its fencing
 * and controlled-shutdown state), Topic, Partition, Config and ProducerIds
 * records, and a control batch holding a SnapshotFooter record last.
 * Appended to `out` (owned by the caller).  Returns 0 or SL_EINVAL (out is
 * then left as it was).
 */
int metadata_image_write_snapshot(const struct metadata_image *img, int64_t end_offset,
                                  int32_t epoch, struct wbuf *out);

/*
 * Replaces the image's content by the snapshot in data[0, len) as written by
 * metadata_image_write_snapshot.  The snapshot is checked first (batch CRCs,
 * contiguous offsets, header first, footer last, every record applies); a
 * bad one returns SL_ECORRUPT and leaves the image untouched.  On success the
 * listeners see the difference as deltas: topic_deleted for topics that are
 * gone, topic_created for new topics, partition_changed for every partition
 * (old = the previous state of the same topic id, or NULL), broker_changed
 * for every broker, config_changed for every key (NULL for removed keys).
 * The offset is left as it was: set it with metadata_image_set_offset.
 */
int metadata_image_load_snapshot(struct metadata_image *img, const uint8_t *data, size_t len);

/* Sets the offset of the last record applied (after loading a snapshot: its end offset - 1). */
void metadata_image_set_offset(struct metadata_image *img, int64_t offset);

#endif
