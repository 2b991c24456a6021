/*
 * The records the group coordinator keeps in __consumer_offsets, in Kafka's
 * formats so that the partition reads the same as Kafka's (and tools that
 * decode it keep working):
 *
 *   key   int16 version 0/1 + OffsetCommitKey (group, topic, partition)
 *   value int16 version + OffsetCommitValue (offset, leader epoch v3+,
 *         metadata, commit timestamp, expire timestamp v1 only; flexible v4)
 *   key   int16 version 2 + GroupMetadataKey (group)
 *   value int16 version + GroupMetadataValue (protocol type, generation,
 *         protocol, leader, current-state timestamp v2+, members; flexible v4)
 *
 * A null value is a tombstone (offset deleted or expired, group deleted).
 * Keys with other versions belong to KIP-848 consumer groups and share
 * groups; the classic coordinator skips them.  Also here: which partition of
 * __consumer_offsets owns a group, and the consumer-protocol subscription
 * parser used for subscribed-topic checks.
 */
#ifndef SLUICE_BROKER_GROUP_RECORDS_H
#define SLUICE_BROKER_GROUP_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "msg_group.h"

#define GROUP_OFFSETS_TOPIC "__consumer_offsets"

/* Key versions. */
#define GROUP_RECORD_OFFSET_KEY_VERSION 1 /* 0 and 1 are the same format */
#define GROUP_RECORD_GROUP_KEY_VERSION  2

enum group_record_kind {
    GROUP_RECORD_OFFSET = 1, /* OffsetCommitKey */
    GROUP_RECORD_GROUP = 2,  /* GroupMetadataKey */
    GROUP_RECORD_OTHER = 3,  /* a record type the classic coordinator does not use */
};

struct group_record_key {
    struct kstr group;
    struct kstr topic; /* offset keys only */
    int32_t partition; /* offset keys only */
};

/* OffsetCommitValue.  leader_epoch -1 when unknown; expire_timestamp -1 when none (v1 only). */
struct group_offset_value {
    int64_t offset;
    int32_t leader_epoch;
    struct kstr metadata;
    int64_t commit_timestamp;
    int64_t expire_timestamp;
};

/* GroupMetadataValue's MemberMetadata.  group_instance_id nullable (v3+). */
struct group_member_value {
    struct kstr member_id;
    struct kstr group_instance_id;
    struct kstr client_id;
    struct kstr client_host;
    int32_t rebalance_timeout;
    int32_t session_timeout;
    struct kbytes subscription;
    struct kbytes assignment;
};

/* GroupMetadataValue.  protocol and leader nullable; current_state_timestamp -1 when unknown. */
struct group_metadata_value {
    struct kstr protocol_type;
    int32_t generation;
    struct kstr protocol;
    struct kstr leader;
    int64_t current_state_timestamp;
    KARR(struct group_member_value) members;
};

/*
 * The partition of __consumer_offsets that owns `group_id`: Kafka's
 * Utils.abs(groupId.hashCode()) % npartitions, with Java's String.hashCode
 * over the UTF-16 code units of the (UTF-8) id; malformed UTF-8 bytes count
 * as U+FFFD as Java's decoder makes them.  npartitions must be > 0.
 */
int32_t group_records_partition_for(const char *group_id, int32_t npartitions);

/*
 * Decodes a record key.  Returns GROUP_RECORD_OFFSET or GROUP_RECORD_GROUP
 * with *out filled (strings in `a`), GROUP_RECORD_OTHER for a key version
 * the classic coordinator does not use, or SL_ECORRUPT.
 */
int group_records_key_decode(const uint8_t *key, int32_t len, struct arena *a,
                             struct group_record_key *out);

/* Decodes an OffsetCommitValue (versions 0-4).  Returns 0 or SL_ECORRUPT/SL_EUNSUPPORTED. */
int group_records_offset_value_decode(const uint8_t *value, int32_t len, struct arena *a,
                                      struct group_offset_value *out);

/* Decodes a GroupMetadataValue (versions 0-4).  Returns 0 or SL_ECORRUPT/SL_EUNSUPPORTED. */
int group_records_group_value_decode(const uint8_t *value, int32_t len, struct arena *a,
                                     struct group_metadata_value *out);

/*
 * Encoders: append one key or value (with its int16 version) to w.  Offset
 * values are written as version 3, or version 1 when expire_timestamp >= 0
 * (an explicit retention from OffsetCommit v2-4), as Kafka does; group
 * values as version 3.  Return 0, or SL_EINVAL when a field cannot be
 * encoded (a string longer than 32767 bytes).
 */
int group_records_offset_key(struct wbuf *w, const char *group, const char *topic,
                             int32_t partition);
int group_records_offset_value(struct wbuf *w, const struct group_offset_value *v);
int group_records_group_key(struct wbuf *w, const char *group);
int group_records_group_value(struct wbuf *w, const struct group_metadata_value *v);

/*
 * Parses a consumer-protocol subscription (int16 version + body) into out,
 * strings in `a`.  Returns 0 or SL_ECORRUPT.
 */
int group_records_subscription_decode(const uint8_t *p, int32_t len, struct arena *a,
                                      struct consumer_protocol_subscription *out);

#endif
