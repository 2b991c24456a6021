/*
 * Codec schemas for Metadata (3), FindCoordinator (10) and DescribeCluster
 * (60): one field table per struct level, transcribed from the version ranges
 * of Kafka's message definitions for the versions we serve (see
 * notes/versions.md).  Fields that exist only above our highest version
 * (Metadata v13 error_code, DescribeCluster v2 fenced brokers) are left out.
 */
#include "msg_metadata.h"

/* ---- Metadata request ---- */

static const struct proto_field metadata_req_topic_fields[] = {
    PF_FIELD(struct metadata_req_topic, topic_id, PF_UUID, 10, PROTO_VMAX),
    PF_FIELD_N(struct metadata_req_topic, name, PF_STRING, 0, PROTO_VMAX, 10),
};
static PROTO_SCHEMA(metadata_req_topic_schema, struct metadata_req_topic,
                    metadata_req_topic_fields);

static const struct proto_field metadata_req_fields[] = {
    PF_SARRAY_N(struct metadata_req, topics, metadata_req_topic_schema, 0, PROTO_VMAX, 1),
    PF_FIELD_D(struct metadata_req, allow_auto_topic_creation, PF_BOOL, 4, PROTO_VMAX, 1),
    PF_FIELD(struct metadata_req, include_cluster_authorized_operations, PF_BOOL, 8, 10),
    PF_FIELD(struct metadata_req, include_topic_authorized_operations, PF_BOOL, 8, PROTO_VMAX),
};
PROTO_SCHEMA(proto_metadata_req_schema, struct metadata_req, metadata_req_fields);

/* ---- Metadata response ---- */

static const struct proto_field metadata_resp_broker_fields[] = {
    PF_FIELD(struct metadata_resp_broker, node_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct metadata_resp_broker, host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct metadata_resp_broker, port, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_N(struct metadata_resp_broker, rack, PF_STRING, 1, PROTO_VMAX, 1),
};
static PROTO_SCHEMA(metadata_resp_broker_schema, struct metadata_resp_broker,
                    metadata_resp_broker_fields);

static const struct proto_field metadata_resp_partition_fields[] = {
    PF_FIELD(struct metadata_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct metadata_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct metadata_resp_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct metadata_resp_partition, leader_epoch, PF_INT32, 7, PROTO_VMAX, -1),
    PF_ARRAYF(struct metadata_resp_partition, replica_nodes, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct metadata_resp_partition, isr_nodes, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct metadata_resp_partition, offline_replicas, PF_INT32, 5, PROTO_VMAX),
};
static PROTO_SCHEMA(metadata_resp_partition_schema, struct metadata_resp_partition,
                    metadata_resp_partition_fields);

static const struct proto_field metadata_resp_topic_fields[] = {
    PF_FIELD(struct metadata_resp_topic, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct metadata_resp_topic, name, PF_STRING, 0, PROTO_VMAX, 12),
    PF_FIELD(struct metadata_resp_topic, topic_id, PF_UUID, 10, PROTO_VMAX),
    PF_FIELD_D(struct metadata_resp_topic, is_internal, PF_BOOL, 1, PROTO_VMAX, 0),
    PF_SARRAY(struct metadata_resp_topic, partitions, metadata_resp_partition_schema, 0,
              PROTO_VMAX),
    PF_FIELD_D(struct metadata_resp_topic, topic_authorized_operations, PF_INT32, 8, PROTO_VMAX,
               INT32_MIN),
};
static PROTO_SCHEMA(metadata_resp_topic_schema, struct metadata_resp_topic,
                    metadata_resp_topic_fields);

static const struct proto_field metadata_resp_fields[] = {
    PF_FIELD(struct metadata_resp, throttle_time_ms, PF_INT32, 3, PROTO_VMAX),
    PF_SARRAY(struct metadata_resp, brokers, metadata_resp_broker_schema, 0, PROTO_VMAX),
    PF_FIELD_N(struct metadata_resp, cluster_id, PF_STRING, 2, PROTO_VMAX, 2),
    PF_FIELD_D(struct metadata_resp, controller_id, PF_INT32, 1, PROTO_VMAX, -1),
    PF_SARRAY(struct metadata_resp, topics, metadata_resp_topic_schema, 0, PROTO_VMAX),
    PF_FIELD_D(struct metadata_resp, cluster_authorized_operations, PF_INT32, 8, 10, INT32_MIN),
};
PROTO_SCHEMA(proto_metadata_resp_schema, struct metadata_resp, metadata_resp_fields);

/* ---- FindCoordinator ---- */

static const struct proto_field find_coordinator_req_fields[] = {
    PF_FIELD(struct find_coordinator_req, key, PF_STRING, 0, 3),
    PF_FIELD_D(struct find_coordinator_req, key_type, PF_INT8, 1, PROTO_VMAX, 0),
    PF_ARRAYF(struct find_coordinator_req, coordinator_keys, PF_STRING, 4, PROTO_VMAX),
};
PROTO_SCHEMA(proto_find_coordinator_req_schema, struct find_coordinator_req,
             find_coordinator_req_fields);

static const struct proto_field find_coordinator_resp_coordinator_fields[] = {
    PF_FIELD(struct find_coordinator_resp_coordinator, key, PF_STRING, 4, PROTO_VMAX),
    PF_FIELD(struct find_coordinator_resp_coordinator, node_id, PF_INT32, 4, PROTO_VMAX),
    PF_FIELD(struct find_coordinator_resp_coordinator, host, PF_STRING, 4, PROTO_VMAX),
    PF_FIELD(struct find_coordinator_resp_coordinator, port, PF_INT32, 4, PROTO_VMAX),
    PF_FIELD(struct find_coordinator_resp_coordinator, error_code, PF_INT16, 4, PROTO_VMAX),
    PF_FIELD_N(struct find_coordinator_resp_coordinator, error_message, PF_STRING, 4, PROTO_VMAX,
               4),
};
static PROTO_SCHEMA(find_coordinator_resp_coordinator_schema,
                    struct find_coordinator_resp_coordinator,
                    find_coordinator_resp_coordinator_fields);

static const struct proto_field find_coordinator_resp_fields[] = {
    PF_FIELD(struct find_coordinator_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_FIELD(struct find_coordinator_resp, error_code, PF_INT16, 0, 3),
    PF_FIELD_N(struct find_coordinator_resp, error_message, PF_STRING, 1, 3, 1),
    PF_FIELD(struct find_coordinator_resp, node_id, PF_INT32, 0, 3),
    PF_FIELD(struct find_coordinator_resp, host, PF_STRING, 0, 3),
    PF_FIELD(struct find_coordinator_resp, port, PF_INT32, 0, 3),
    PF_SARRAY(struct find_coordinator_resp, coordinators, find_coordinator_resp_coordinator_schema,
              4, PROTO_VMAX),
};
PROTO_SCHEMA(proto_find_coordinator_resp_schema, struct find_coordinator_resp,
             find_coordinator_resp_fields);

/* ---- DescribeCluster ---- */

static const struct proto_field describe_cluster_req_fields[] = {
    PF_FIELD(struct describe_cluster_req, include_cluster_authorized_operations, PF_BOOL, 0,
             PROTO_VMAX),
    PF_FIELD_D(struct describe_cluster_req, endpoint_type, PF_INT8, 1, PROTO_VMAX, 1),
};
PROTO_SCHEMA(proto_describe_cluster_req_schema, struct describe_cluster_req,
             describe_cluster_req_fields);

static const struct proto_field describe_cluster_resp_broker_fields[] = {
    PF_FIELD(struct describe_cluster_resp_broker, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_cluster_resp_broker, host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_cluster_resp_broker, port, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_cluster_resp_broker, rack, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(describe_cluster_resp_broker_schema, struct describe_cluster_resp_broker,
                    describe_cluster_resp_broker_fields);

static const struct proto_field describe_cluster_resp_fields[] = {
    PF_FIELD(struct describe_cluster_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_cluster_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_cluster_resp, error_message, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct describe_cluster_resp, endpoint_type, PF_INT8, 1, PROTO_VMAX, 1),
    PF_FIELD(struct describe_cluster_resp, cluster_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_D(struct describe_cluster_resp, controller_id, PF_INT32, 0, PROTO_VMAX, -1),
    PF_SARRAY(struct describe_cluster_resp, brokers, describe_cluster_resp_broker_schema, 0,
              PROTO_VMAX),
    PF_FIELD_D(struct describe_cluster_resp, cluster_authorized_operations, PF_INT32, 0, PROTO_VMAX,
               INT32_MIN),
};
PROTO_SCHEMA(proto_describe_cluster_resp_schema, struct describe_cluster_resp,
             describe_cluster_resp_fields);
