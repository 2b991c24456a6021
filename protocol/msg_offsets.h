/*
 * C structs and codec schemas for the offset-lookup APIs: ListOffsets (key 2,
 * versions 1-7, flexible from 6) and OffsetForLeaderEpoch (key 23, versions
 * 2-4, flexible from 4).
 *
 * Field names follow Kafka's message JSON in snake_case.  The comment on each
 * struct gives the version range of every field that does not exist in all
 * the versions we serve; a field absent in the decoded version holds Kafka's
 * default (given in the comment, otherwise 0 / false / null).
 */
#ifndef SLUICE_MSG_OFFSETS_H
#define SLUICE_MSG_OFFSETS_H

#include "codec.h"

/* ---- ListOffsets (2) request ---- */

/*
 * ListOffsetsPartition.  current_leader_epoch v4+ (default -1).  timestamp:
 * -1 latest, -2 earliest, -3 max timestamp (v7+, KIP-734), else a time in ms.
 */
struct list_offsets_req_partition {
    int32_t partition_index;
    int32_t current_leader_epoch;
    int64_t timestamp;
};

/* ListOffsetsTopic. */
struct list_offsets_req_topic {
    struct kstr name;
    KARR(struct list_offsets_req_partition) partitions;
};

/*
 * replica_id: -1 for consumers.  isolation_level v2+ (0 read uncommitted,
 * 1 read committed).
 */
struct list_offsets_req {
    int32_t replica_id;
    int8_t isolation_level;
    KARR(struct list_offsets_req_topic) topics;
};

/* ---- ListOffsets (2) response ---- */

/*
 * ListOffsetsPartitionResponse.  timestamp and offset default -1;
 * leader_epoch v4+ (default -1).
 */
struct list_offsets_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int64_t timestamp;
    int64_t offset;
    int32_t leader_epoch;
};

/* ListOffsetsTopicResponse. */
struct list_offsets_resp_topic {
    struct kstr name;
    KARR(struct list_offsets_resp_partition) partitions;
};

/* throttle_time_ms v2+. */
struct list_offsets_resp {
    int32_t throttle_time_ms;
    KARR(struct list_offsets_resp_topic) topics;
};

/* ---- OffsetForLeaderEpoch (23) request (KIP-101, KIP-279) ---- */

/* OffsetForLeaderPartition.  current_leader_epoch default -1. */
struct offset_for_leader_epoch_req_partition {
    int32_t partition;
    int32_t current_leader_epoch;
    int32_t leader_epoch;
};

/* OffsetForLeaderTopic. */
struct offset_for_leader_epoch_req_topic {
    struct kstr topic;
    KARR(struct offset_for_leader_epoch_req_partition) partitions;
};

/*
 * replica_id v3+ (default -2 = a consumer, -1 = a debugging tool, else the
 * follower's broker id).
 */
struct offset_for_leader_epoch_req {
    int32_t replica_id;
    KARR(struct offset_for_leader_epoch_req_topic) topics;
};

/* ---- OffsetForLeaderEpoch (23) response ---- */

/* EpochEndOffset.  leader_epoch and end_offset default -1. */
struct offset_for_leader_epoch_resp_partition {
    int16_t error_code;
    int32_t partition;
    int32_t leader_epoch;
    int64_t end_offset;
};

/* OffsetForLeaderTopicResult. */
struct offset_for_leader_epoch_resp_topic {
    struct kstr topic;
    KARR(struct offset_for_leader_epoch_resp_partition) partitions;
};

struct offset_for_leader_epoch_resp {
    int32_t throttle_time_ms;
    KARR(struct offset_for_leader_epoch_resp_topic) topics;
};

extern const struct proto_schema proto_list_offsets_req_schema, proto_list_offsets_resp_schema;
extern const struct proto_schema proto_offset_for_leader_epoch_req_schema,
    proto_offset_for_leader_epoch_resp_schema;

#endif
