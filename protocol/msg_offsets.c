/*
 * Codec schemas for ListOffsets (2) and OffsetForLeaderEpoch (23): one field
 * table per struct level, transcribed from the version ranges of Kafka's
 * message definitions for the versions we serve (see notes/versions.md).
 * ListOffsets v0-only fields (MaxNumOffsets, OldStyleOffsets) and the v10
 * timeout are outside our range and left out.
 */
#include "msg_offsets.h"

/* ---- ListOffsets request ---- */

static const struct proto_field list_offsets_req_partition_fields[] = {
    PF_FIELD(struct list_offsets_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct list_offsets_req_partition, current_leader_epoch, PF_INT32, 4, PROTO_VMAX,
               -1),
    PF_FIELD(struct list_offsets_req_partition, timestamp, PF_INT64, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(list_offsets_req_partition_schema, struct list_offsets_req_partition,
                    list_offsets_req_partition_fields);

PROTO_TOPIC_SCHEMA(list_offsets_req_topic_schema, struct list_offsets_req_topic, name, partitions,
                   list_offsets_req_partition_schema);

static const struct proto_field list_offsets_req_fields[] = {
    PF_FIELD(struct list_offsets_req, replica_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct list_offsets_req, isolation_level, PF_INT8, 2, PROTO_VMAX),
    PF_SARRAY(struct list_offsets_req, topics, list_offsets_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_list_offsets_req_schema, struct list_offsets_req, list_offsets_req_fields);

/* ---- ListOffsets response ---- */

static const struct proto_field list_offsets_resp_partition_fields[] = {
    PF_FIELD(struct list_offsets_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct list_offsets_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_D(struct list_offsets_resp_partition, timestamp, PF_INT64, 1, PROTO_VMAX, -1),
    PF_FIELD_D(struct list_offsets_resp_partition, offset, PF_INT64, 1, PROTO_VMAX, -1),
    PF_FIELD_D(struct list_offsets_resp_partition, leader_epoch, PF_INT32, 4, PROTO_VMAX, -1),
};
static PROTO_SCHEMA(list_offsets_resp_partition_schema, struct list_offsets_resp_partition,
                    list_offsets_resp_partition_fields);

PROTO_TOPIC_SCHEMA(list_offsets_resp_topic_schema, struct list_offsets_resp_topic, name, partitions,
                   list_offsets_resp_partition_schema);

static const struct proto_field list_offsets_resp_fields[] = {
    PF_FIELD(struct list_offsets_resp, throttle_time_ms, PF_INT32, 2, PROTO_VMAX),
    PF_SARRAY(struct list_offsets_resp, topics, list_offsets_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_list_offsets_resp_schema, struct list_offsets_resp, list_offsets_resp_fields);

/* ---- OffsetForLeaderEpoch request ---- */

static const struct proto_field offset_for_leader_epoch_req_partition_fields[] = {
    PF_FIELD(struct offset_for_leader_epoch_req_partition, partition, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct offset_for_leader_epoch_req_partition, current_leader_epoch, PF_INT32, 2,
               PROTO_VMAX, -1),
    PF_FIELD(struct offset_for_leader_epoch_req_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_for_leader_epoch_req_partition_schema,
                    struct offset_for_leader_epoch_req_partition,
                    offset_for_leader_epoch_req_partition_fields);

PROTO_TOPIC_SCHEMA(offset_for_leader_epoch_req_topic_schema,
                   struct offset_for_leader_epoch_req_topic, topic, partitions,
                   offset_for_leader_epoch_req_partition_schema);

static const struct proto_field offset_for_leader_epoch_req_fields[] = {
    PF_FIELD_D(struct offset_for_leader_epoch_req, replica_id, PF_INT32, 3, PROTO_VMAX, -2),
    PF_SARRAY(struct offset_for_leader_epoch_req, topics, offset_for_leader_epoch_req_topic_schema,
              0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_for_leader_epoch_req_schema, struct offset_for_leader_epoch_req,
             offset_for_leader_epoch_req_fields);

/* ---- OffsetForLeaderEpoch response ---- */

static const struct proto_field offset_for_leader_epoch_resp_partition_fields[] = {
    PF_FIELD(struct offset_for_leader_epoch_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct offset_for_leader_epoch_resp_partition, partition, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct offset_for_leader_epoch_resp_partition, leader_epoch, PF_INT32, 1, PROTO_VMAX,
               -1),
    PF_FIELD_D(struct offset_for_leader_epoch_resp_partition, end_offset, PF_INT64, 0, PROTO_VMAX,
               -1),
};
static PROTO_SCHEMA(offset_for_leader_epoch_resp_partition_schema,
                    struct offset_for_leader_epoch_resp_partition,
                    offset_for_leader_epoch_resp_partition_fields);

PROTO_TOPIC_SCHEMA(offset_for_leader_epoch_resp_topic_schema,
                   struct offset_for_leader_epoch_resp_topic, topic, partitions,
                   offset_for_leader_epoch_resp_partition_schema);

static const struct proto_field offset_for_leader_epoch_resp_fields[] = {
    PF_FIELD(struct offset_for_leader_epoch_resp, throttle_time_ms, PF_INT32, 2, PROTO_VMAX),
    PF_SARRAY(struct offset_for_leader_epoch_resp, topics,
              offset_for_leader_epoch_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_for_leader_epoch_resp_schema, struct offset_for_leader_epoch_resp,
             offset_for_leader_epoch_resp_fields);
