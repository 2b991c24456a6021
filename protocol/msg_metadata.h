/*
 * C structs and codec schemas for the cluster-discovery APIs: Metadata
 * (key 3, versions 0-12, flexible from 9), FindCoordinator (key 10, versions
 * 0-4, flexible from 3) and DescribeCluster (key 60, versions 0-1, flexible
 * from 0).
 *
 * Field names follow Kafka's message JSON in snake_case.  The comment on each
 * struct gives the version range of every field that does not exist in all
 * the versions we serve; a field absent in the decoded version holds Kafka's
 * default (given in the comment, otherwise 0 / false / null).
 */
#ifndef SLUICE_MSG_METADATA_H
#define SLUICE_MSG_METADATA_H

#include <stdbool.h>

#include "codec.h"

/* ---- Metadata (3) request ---- */

/* MetadataRequestTopic.  topic_id v10+ (zero = by name); name nullable v10+. */
struct metadata_req_topic {
    struct uuid topic_id;
    struct kstr name;
};

/*
 * topics: v0 non-null, an empty array means all topics; v1+ nullable, null
 * means all topics and empty means none.  allow_auto_topic_creation v4+
 * (default true), include_cluster_authorized_operations v8-10,
 * include_topic_authorized_operations v8+.
 */
struct metadata_req {
    KARR(struct metadata_req_topic) topics;
    bool allow_auto_topic_creation;
    bool include_cluster_authorized_operations;
    bool include_topic_authorized_operations;
};

/* ---- Metadata (3) response ---- */

/* MetadataResponseBroker.  rack v1+, nullable. */
struct metadata_resp_broker {
    int32_t node_id;
    struct kstr host;
    int32_t port;
    struct kstr rack;
};

/* MetadataResponsePartition.  leader_epoch v7+ (default -1), offline_replicas v5+. */
struct metadata_resp_partition {
    int16_t error_code;
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch;
    KARR(int32_t) replica_nodes;
    KARR(int32_t) isr_nodes;
    KARR(int32_t) offline_replicas;
};

/*
 * MetadataResponseTopic.  name nullable v12+, topic_id v10+, is_internal v1+,
 * topic_authorized_operations v8+ (default INT32_MIN = not requested).
 */
struct metadata_resp_topic {
    int16_t error_code;
    struct kstr name;
    struct uuid topic_id;
    bool is_internal;
    KARR(struct metadata_resp_partition) partitions;
    int32_t topic_authorized_operations;
};

/*
 * throttle_time_ms v3+, cluster_id v2+ nullable, controller_id v1+ (default
 * -1), cluster_authorized_operations v8-10 (default INT32_MIN).
 */
struct metadata_resp {
    int32_t throttle_time_ms;
    KARR(struct metadata_resp_broker) brokers;
    struct kstr cluster_id;
    int32_t controller_id;
    KARR(struct metadata_resp_topic) topics;
    int32_t cluster_authorized_operations;
};

/* ---- FindCoordinator (10) ---- */

/*
 * key v0-3 (one group or transactional id), key_type v1+ (0 group,
 * 1 transaction; default 0), coordinator_keys v4+ (batched, KIP-699).
 */
struct find_coordinator_req {
    struct kstr key;
    int8_t key_type;
    KARR(struct kstr) coordinator_keys;
};

/* Coordinator (v4+).  error_message nullable. */
struct find_coordinator_resp_coordinator {
    struct kstr key;
    int32_t node_id;
    struct kstr host;
    int32_t port;
    int16_t error_code;
    struct kstr error_message;
};

/*
 * throttle_time_ms v1+; error_code, node_id, host, port v0-3; error_message
 * v1-3 nullable; coordinators v4+ (one entry per requested key).
 */
struct find_coordinator_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct kstr error_message;
    int32_t node_id;
    struct kstr host;
    int32_t port;
    KARR(struct find_coordinator_resp_coordinator) coordinators;
};

/* ---- DescribeCluster (60) ---- */

/* endpoint_type v1+ (1 brokers, 2 controllers; default 1, KIP-919). */
struct describe_cluster_req {
    bool include_cluster_authorized_operations;
    int8_t endpoint_type;
};

/* DescribeClusterBroker.  rack nullable. */
struct describe_cluster_resp_broker {
    int32_t broker_id;
    struct kstr host;
    int32_t port;
    struct kstr rack;
};

/*
 * error_message nullable, endpoint_type v1+ (default 1),
 * cluster_authorized_operations INT32_MIN when not requested.
 */
struct describe_cluster_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct kstr error_message;
    int8_t endpoint_type;
    struct kstr cluster_id;
    int32_t controller_id;
    KARR(struct describe_cluster_resp_broker) brokers;
    int32_t cluster_authorized_operations;
};

extern const struct proto_schema proto_metadata_req_schema, proto_metadata_resp_schema;
extern const struct proto_schema proto_find_coordinator_req_schema,
    proto_find_coordinator_resp_schema;
extern const struct proto_schema proto_describe_cluster_req_schema,
    proto_describe_cluster_resp_schema;

#endif
