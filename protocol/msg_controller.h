/*
 * C structs and codec schemas for the APIs of the CONTROLLER listener: the
 * KRaft consensus RPCs (KIP-595, KIP-630, KIP-853) Vote (key 52, versions
 * 0-2, flexible from 0), BeginQuorumEpoch (53, 0-1, flexible from 1),
 * EndQuorumEpoch (54, 0-1, flexible from 1), DescribeQuorum (55, 0-2,
 * flexible from 0) and FetchSnapshot (59, 0-1, flexible from 0); and the
 * broker-to-controller RPCs (KIP-631, KIP-497) AlterPartition (56, 2-3),
 * BrokerRegistration (62, 0-4), BrokerHeartbeat (63, 0-1),
 * AllocateProducerIds (67, 0, KIP-730) and
 * ControllerRegistration (70, 0), all flexible from their first version.
 * The API table of that listener is api_controller.h.
 *
 * Field names follow Kafka's message JSON in snake_case.  The comment on each
 * struct gives the version range of every field that does not exist in all
 * the versions we serve; a field absent in the decoded version holds Kafka's
 * default (given in the comment, otherwise 0 / false / null).
 */
#ifndef SLUICE_MSG_CONTROLLER_H
#define SLUICE_MSG_CONTROLLER_H

#include <stdbool.h>

#include "codec.h"

/* ---- shared substructures ---- */

/* NodeEndpoint (responses of Vote/BeginQuorumEpoch/EndQuorumEpoch/FetchSnapshot, v1+ tag 0). */
struct kraft_node_endpoint {
    int32_t node_id;
    struct kstr host;
    uint16_t port;
};

/* LeaderEndpoint (Begin/EndQuorumEpoch requests v1+) and DescribeQuorum's Listener (v2+). */
struct kraft_endpoint {
    struct kstr name;
    struct kstr host;
    uint16_t port;
};

/* Listener of BrokerRegistration / ControllerRegistration. */
struct kraft_listener {
    struct kstr name;
    struct kstr host;
    uint16_t port;
    int16_t security_protocol;
};

/* Feature range of BrokerRegistration / ControllerRegistration. */
struct kraft_feature {
    struct kstr name;
    int16_t min_supported_version;
    int16_t max_supported_version;
};

/* ---- Vote (52) ---- */

/*
 * PartitionData.  replica_epoch / replica_id are named candidate_epoch /
 * candidate_id before v2 (same layout); replica_directory_id and
 * voter_directory_id v1+; pre_vote v2+ (KIP-996).
 */
struct vote_req_partition {
    int32_t partition_index;
    int32_t replica_epoch;
    int32_t replica_id;
    struct uuid replica_directory_id;
    struct uuid voter_directory_id;
    int32_t last_offset_epoch;
    int64_t last_offset;
    bool pre_vote;
};

struct vote_req_topic {
    struct kstr topic_name;
    KARR(struct vote_req_partition) partitions;
};

/* cluster_id nullable; voter_id v1+ (default -1). */
struct vote_req {
    struct kstr cluster_id;
    int32_t voter_id;
    KARR(struct vote_req_topic) topics;
};

struct vote_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
    bool vote_granted;
};

struct vote_resp_topic {
    struct kstr topic_name;
    KARR(struct vote_resp_partition) partitions;
};

/* node_endpoints v1+, tagged field 0. */
struct vote_resp {
    int16_t error_code;
    KARR(struct vote_resp_topic) topics;
    KARR(struct kraft_node_endpoint) node_endpoints;
};

/* ---- BeginQuorumEpoch (53) ---- */

/* voter_directory_id v1+. */
struct begin_quorum_epoch_req_partition {
    int32_t partition_index;
    struct uuid voter_directory_id;
    int32_t leader_id;
    int32_t leader_epoch;
};

struct begin_quorum_epoch_req_topic {
    struct kstr topic_name;
    KARR(struct begin_quorum_epoch_req_partition) partitions;
};

/* cluster_id nullable; voter_id v1+ (default -1); leader_endpoints v1+. */
struct begin_quorum_epoch_req {
    struct kstr cluster_id;
    int32_t voter_id;
    KARR(struct begin_quorum_epoch_req_topic) topics;
    KARR(struct kraft_endpoint) leader_endpoints;
};

/* The per-partition answer of BeginQuorumEpoch and EndQuorumEpoch (same layout). */
struct quorum_epoch_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
};

struct quorum_epoch_resp_topic {
    struct kstr topic_name;
    KARR(struct quorum_epoch_resp_partition) partitions;
};

/* BeginQuorumEpoch and EndQuorumEpoch responses: node_endpoints v1+, tagged field 0. */
struct quorum_epoch_resp {
    int16_t error_code;
    KARR(struct quorum_epoch_resp_topic) topics;
    KARR(struct kraft_node_endpoint) node_endpoints;
};

/* ---- EndQuorumEpoch (54) ---- */

/* ReplicaInfo (v1+). */
struct end_quorum_epoch_candidate {
    int32_t candidate_id;
    struct uuid candidate_directory_id;
};

/* preferred_successors v0 only; preferred_candidates v1+. */
struct end_quorum_epoch_req_partition {
    int32_t partition_index;
    int32_t leader_id;
    int32_t leader_epoch;
    KARR(int32_t) preferred_successors;
    KARR(struct end_quorum_epoch_candidate) preferred_candidates;
};

struct end_quorum_epoch_req_topic {
    struct kstr topic_name;
    KARR(struct end_quorum_epoch_req_partition) partitions;
};

/* cluster_id nullable; leader_endpoints v1+. */
struct end_quorum_epoch_req {
    struct kstr cluster_id;
    KARR(struct end_quorum_epoch_req_topic) topics;
    KARR(struct kraft_endpoint) leader_endpoints;
};

/* ---- DescribeQuorum (55) ---- */

struct describe_quorum_req_partition {
    int32_t partition_index;
};

struct describe_quorum_req_topic {
    struct kstr topic_name;
    KARR(struct describe_quorum_req_partition) partitions;
};

struct describe_quorum_req {
    KARR(struct describe_quorum_req_topic) topics;
};

/*
 * ReplicaState.  replica_directory_id v2+; last_fetch_timestamp and
 * last_caught_up_timestamp v1+ (default -1).
 */
struct describe_quorum_replica_state {
    int32_t replica_id;
    struct uuid replica_directory_id;
    int64_t log_end_offset;
    int64_t last_fetch_timestamp;
    int64_t last_caught_up_timestamp;
};

/* error_message v2+, nullable. */
struct describe_quorum_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    struct kstr error_message;
    int32_t leader_id;
    int32_t leader_epoch;
    int64_t high_watermark;
    KARR(struct describe_quorum_replica_state) current_voters;
    KARR(struct describe_quorum_replica_state) observers;
};

struct describe_quorum_resp_topic {
    struct kstr topic_name;
    KARR(struct describe_quorum_resp_partition) partitions;
};

/* Node (v2+). */
struct describe_quorum_resp_node {
    int32_t node_id;
    KARR(struct kraft_endpoint) listeners;
};

/* error_message v2+ nullable; nodes v2+. */
struct describe_quorum_resp {
    int16_t error_code;
    struct kstr error_message;
    KARR(struct describe_quorum_resp_topic) topics;
    KARR(struct describe_quorum_resp_node) nodes;
};

/* ---- AlterPartition (56), KIP-497 ---- */

/* BrokerState (v3+): an ISR member with its broker epoch (default -1 = not checked, KIP-903). */
struct alter_partition_broker_state {
    int32_t broker_id;
    int64_t broker_epoch;
};

/*
 * PartitionData.  new_isr v0-2 (so v2 here); new_isr_with_epochs v3+;
 * leader_recovery_state v1+ (default 0).
 */
struct alter_partition_req_partition {
    int32_t partition_index;
    int32_t leader_epoch;
    KARR(int32_t) new_isr;
    KARR(struct alter_partition_broker_state) new_isr_with_epochs;
    int8_t leader_recovery_state;
    int32_t partition_epoch;
};

struct alter_partition_req_topic {
    struct uuid topic_id;
    KARR(struct alter_partition_req_partition) partitions;
};

/* broker_epoch default -1. */
struct alter_partition_req {
    int32_t broker_id;
    int64_t broker_epoch;
    KARR(struct alter_partition_req_topic) topics;
};

/* leader_recovery_state v1+ (default 0). */
struct alter_partition_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
    KARR(int32_t) isr;
    int8_t leader_recovery_state;
    int32_t partition_epoch;
};

struct alter_partition_resp_topic {
    struct uuid topic_id;
    KARR(struct alter_partition_resp_partition) partitions;
};

struct alter_partition_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    KARR(struct alter_partition_resp_topic) topics;
};

/* ---- FetchSnapshot (59), KIP-630 ---- */

struct fetch_snapshot_id {
    int64_t end_offset;
    int32_t epoch;
};

/* replica_directory_id v1+, tagged field 0. */
struct fetch_snapshot_req_partition {
    int32_t partition;
    int32_t current_leader_epoch;
    struct fetch_snapshot_id snapshot_id;
    int64_t position;
    struct uuid replica_directory_id;
};

struct fetch_snapshot_req_topic {
    struct kstr name;
    KARR(struct fetch_snapshot_req_partition) partitions;
};

/* cluster_id tagged field 0, nullable; replica_id default -1; max_bytes default 0x7fffffff. */
struct fetch_snapshot_req {
    struct kstr cluster_id;
    int32_t replica_id;
    int32_t max_bytes;
    KARR(struct fetch_snapshot_req_topic) topics;
};

struct fetch_snapshot_leader {
    int32_t leader_id;
    int32_t leader_epoch;
};

/* current_leader tagged field 0; unaligned_records: snapshot bytes from `position`. */
struct fetch_snapshot_resp_partition {
    int32_t index;
    int16_t error_code;
    struct fetch_snapshot_id snapshot_id;
    struct fetch_snapshot_leader current_leader;
    int64_t size;
    int64_t position;
    struct kbytes unaligned_records;
};

struct fetch_snapshot_resp_topic {
    struct kstr name;
    KARR(struct fetch_snapshot_resp_partition) partitions;
};

/* node_endpoints v1+, tagged field 0. */
struct fetch_snapshot_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    KARR(struct fetch_snapshot_resp_topic) topics;
    KARR(struct kraft_node_endpoint) node_endpoints;
};

/* ---- BrokerRegistration (62), KIP-631 ---- */

/*
 * rack nullable; is_migrating_zk_broker v1+; log_dirs v2+ (KIP-858);
 * previous_broker_epoch v3+ (default -1, KIP-966).  Features with
 * min_supported_version 0 are left out by senders before v4 (KAFKA-17011).
 */
struct broker_registration_req {
    int32_t broker_id;
    struct kstr cluster_id;
    struct uuid incarnation_id;
    KARR(struct kraft_listener) listeners;
    KARR(struct kraft_feature) features;
    struct kstr rack;
    bool is_migrating_zk_broker;
    KARR(struct uuid) log_dirs;
    int64_t previous_broker_epoch;
};

/* broker_epoch default -1. */
struct broker_registration_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t broker_epoch;
};

/* ---- BrokerHeartbeat (63), KIP-631 ---- */

/* broker_epoch default -1; offline_log_dirs v1+, tagged field 0. */
struct broker_heartbeat_req {
    int32_t broker_id;
    int64_t broker_epoch;
    int64_t current_metadata_offset;
    bool want_fence;
    bool want_shut_down;
    KARR(struct uuid) offline_log_dirs;
};

/* is_fenced default true. */
struct broker_heartbeat_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    bool is_caught_up;
    bool is_fenced;
    bool should_shut_down;
};

/* ---- ControllerRegistration (70), KIP-919 ---- */

struct controller_registration_req {
    int32_t controller_id;
    struct uuid incarnation_id;
    bool zk_migration_ready;
    KARR(struct kraft_listener) listeners;
    KARR(struct kraft_feature) features;
};

/* error_message nullable. */
struct controller_registration_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct kstr error_message;
};

/* ---- schemas ---- */

extern const struct proto_schema proto_vote_req_schema, proto_vote_resp_schema;
extern const struct proto_schema proto_begin_quorum_epoch_req_schema,
    proto_begin_quorum_epoch_resp_schema;
extern const struct proto_schema proto_end_quorum_epoch_req_schema,
    proto_end_quorum_epoch_resp_schema;
extern const struct proto_schema proto_describe_quorum_req_schema,
    proto_describe_quorum_resp_schema;
extern const struct proto_schema proto_alter_partition_req_schema,
    proto_alter_partition_resp_schema;
extern const struct proto_schema proto_fetch_snapshot_req_schema, proto_fetch_snapshot_resp_schema;
extern const struct proto_schema proto_broker_registration_req_schema,
    proto_broker_registration_resp_schema;
/* ---- AllocateProducerIds (67, v0, flexible; KIP-730) ---- */

struct allocate_producer_ids_req {
    int32_t broker_id;
    int64_t broker_epoch; /* default -1 */
};

/* producer_id_start / producer_id_len: the block [start, start + len) now owned by the broker. */
struct allocate_producer_ids_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id_start;
    int32_t producer_id_len;
};

extern const struct proto_schema proto_allocate_producer_ids_req_schema,
    proto_allocate_producer_ids_resp_schema;

extern const struct proto_schema proto_broker_heartbeat_req_schema,
    proto_broker_heartbeat_resp_schema;
extern const struct proto_schema proto_controller_registration_req_schema,
    proto_controller_registration_resp_schema;

#endif
