/*
 * Codec schemas for the CONTROLLER listener APIs (msg_controller.h): Vote,
 * BeginQuorumEpoch, EndQuorumEpoch, DescribeQuorum, AlterPartition,
 * FetchSnapshot, BrokerRegistration, BrokerHeartbeat and
 * ControllerRegistration.  One field table per struct level, transcribed
 * from the version ranges, defaults, nullability and tags of Kafka 4.0's
 * message definitions for the versions we serve.  AlterPartition 0-1 were
 * removed in Kafka 4.0, so its v0-1-only fields (topic names) are left out.
 */
#include "msg_controller.h"

/* A tagged array of structs. */
#define PF_TAGGED_SARRAY(ST, F, SUB, V0, V1, TAG)                                                  \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = PF_STRUCT, .vmin = (V0), .vmax = (V1),          \
        .null_vmin = PROTO_VMAX, .tag = (TAG), .offset = offsetof(ST, F),                          \
        .elem_size = sizeof(*((ST *)0)->F.v), .sub = &(SUB)                                        \
    }
/* A tagged array of scalars. */
#define PF_TAGGED_ARRAY(ST, F, ET, V0, V1, TAG)                                                    \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = (ET), .vmin = (V0), .vmax = (V1),               \
        .null_vmin = PROTO_VMAX, .tag = (TAG), .offset = offsetof(ST, F),                          \
        .elem_size = sizeof(*((ST *)0)->F.v)                                                       \
    }
/* A tagged struct. */
#define PF_TAGGED_STRUCTF(ST, F, SUB, V0, V1, TAG)                                                 \
    {                                                                                              \
        .name = #F, .type = PF_STRUCT, .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX,        \
        .tag = (TAG), .offset = offsetof(ST, F), .sub = &(SUB)                                     \
    }

/* ---- shared substructures ---- */

static const struct proto_field node_endpoint_fields[] = {
    PF_FIELD(struct kraft_node_endpoint, node_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_node_endpoint, host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_node_endpoint, port, PF_UINT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(node_endpoint_schema, struct kraft_node_endpoint, node_endpoint_fields);

static const struct proto_field endpoint_fields[] = {
    PF_FIELD(struct kraft_endpoint, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_endpoint, host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_endpoint, port, PF_UINT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(endpoint_schema, struct kraft_endpoint, endpoint_fields);

static const struct proto_field listener_fields[] = {
    PF_FIELD(struct kraft_listener, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_listener, host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_listener, port, PF_UINT16, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_listener, security_protocol, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(listener_schema, struct kraft_listener, listener_fields);

static const struct proto_field feature_fields[] = {
    PF_FIELD(struct kraft_feature, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_feature, min_supported_version, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct kraft_feature, max_supported_version, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(feature_schema, struct kraft_feature, feature_fields);

/* ---- Vote ---- */

static const struct proto_field vote_req_partition_fields[] = {
    PF_FIELD(struct vote_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, replica_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, replica_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, replica_directory_id, PF_UUID, 1, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, voter_directory_id, PF_UUID, 1, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, last_offset_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, last_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct vote_req_partition, pre_vote, PF_BOOL, 2, PROTO_VMAX),
};
static PROTO_SCHEMA(vote_req_partition_schema, struct vote_req_partition,
                    vote_req_partition_fields);

PROTO_TOPIC_SCHEMA(vote_req_topic_schema, struct vote_req_topic, topic_name, partitions,
                   vote_req_partition_schema);

static const struct proto_field vote_req_fields[] = {
    PF_FIELD_N(struct vote_req, cluster_id, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct vote_req, voter_id, PF_INT32, 1, PROTO_VMAX, -1),
    PF_SARRAY(struct vote_req, topics, vote_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_vote_req_schema, struct vote_req, vote_req_fields);

static const struct proto_field vote_resp_partition_fields[] = {
    PF_FIELD(struct vote_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct vote_resp_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_resp_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct vote_resp_partition, vote_granted, PF_BOOL, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(vote_resp_partition_schema, struct vote_resp_partition,
                    vote_resp_partition_fields);

PROTO_TOPIC_SCHEMA(vote_resp_topic_schema, struct vote_resp_topic, topic_name, partitions,
                   vote_resp_partition_schema);

static const struct proto_field vote_resp_fields[] = {
    PF_FIELD(struct vote_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct vote_resp, topics, vote_resp_topic_schema, 0, PROTO_VMAX),
    PF_TAGGED_SARRAY(struct vote_resp, node_endpoints, node_endpoint_schema, 1, PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_vote_resp_schema, struct vote_resp, vote_resp_fields);

/* ---- BeginQuorumEpoch ---- */

static const struct proto_field bqe_req_partition_fields[] = {
    PF_FIELD(struct begin_quorum_epoch_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct begin_quorum_epoch_req_partition, voter_directory_id, PF_UUID, 1, PROTO_VMAX),
    PF_FIELD(struct begin_quorum_epoch_req_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct begin_quorum_epoch_req_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(bqe_req_partition_schema, struct begin_quorum_epoch_req_partition,
                    bqe_req_partition_fields);

PROTO_TOPIC_SCHEMA(bqe_req_topic_schema, struct begin_quorum_epoch_req_topic, topic_name,
                   partitions, bqe_req_partition_schema);

static const struct proto_field bqe_req_fields[] = {
    PF_FIELD_N(struct begin_quorum_epoch_req, cluster_id, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct begin_quorum_epoch_req, voter_id, PF_INT32, 1, PROTO_VMAX, -1),
    PF_SARRAY(struct begin_quorum_epoch_req, topics, bqe_req_topic_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct begin_quorum_epoch_req, leader_endpoints, endpoint_schema, 1, PROTO_VMAX),
};
PROTO_SCHEMA(proto_begin_quorum_epoch_req_schema, struct begin_quorum_epoch_req, bqe_req_fields);

static const struct proto_field qe_resp_partition_fields[] = {
    PF_FIELD(struct quorum_epoch_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct quorum_epoch_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct quorum_epoch_resp_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct quorum_epoch_resp_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(qe_resp_partition_schema, struct quorum_epoch_resp_partition,
                    qe_resp_partition_fields);

PROTO_TOPIC_SCHEMA(qe_resp_topic_schema, struct quorum_epoch_resp_topic, topic_name, partitions,
                   qe_resp_partition_schema);

/* Begin and EndQuorumEpoch responses have the same fields in every version. */
static const struct proto_field qe_resp_fields[] = {
    PF_FIELD(struct quorum_epoch_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct quorum_epoch_resp, topics, qe_resp_topic_schema, 0, PROTO_VMAX),
    PF_TAGGED_SARRAY(struct quorum_epoch_resp, node_endpoints, node_endpoint_schema, 1, PROTO_VMAX,
                     0),
};
PROTO_SCHEMA(proto_begin_quorum_epoch_resp_schema, struct quorum_epoch_resp, qe_resp_fields);
PROTO_SCHEMA(proto_end_quorum_epoch_resp_schema, struct quorum_epoch_resp, qe_resp_fields);

/* ---- EndQuorumEpoch ---- */

static const struct proto_field eqe_candidate_fields[] = {
    PF_FIELD(struct end_quorum_epoch_candidate, candidate_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct end_quorum_epoch_candidate, candidate_directory_id, PF_UUID, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(eqe_candidate_schema, struct end_quorum_epoch_candidate, eqe_candidate_fields);

static const struct proto_field eqe_req_partition_fields[] = {
    PF_FIELD(struct end_quorum_epoch_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct end_quorum_epoch_req_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct end_quorum_epoch_req_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct end_quorum_epoch_req_partition, preferred_successors, PF_INT32, 0, 0),
    PF_SARRAY(struct end_quorum_epoch_req_partition, preferred_candidates, eqe_candidate_schema, 1,
              PROTO_VMAX),
};
static PROTO_SCHEMA(eqe_req_partition_schema, struct end_quorum_epoch_req_partition,
                    eqe_req_partition_fields);

PROTO_TOPIC_SCHEMA(eqe_req_topic_schema, struct end_quorum_epoch_req_topic, topic_name, partitions,
                   eqe_req_partition_schema);

static const struct proto_field eqe_req_fields[] = {
    PF_FIELD_N(struct end_quorum_epoch_req, cluster_id, PF_STRING, 0, PROTO_VMAX, 0),
    PF_SARRAY(struct end_quorum_epoch_req, topics, eqe_req_topic_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct end_quorum_epoch_req, leader_endpoints, endpoint_schema, 1, PROTO_VMAX),
};
PROTO_SCHEMA(proto_end_quorum_epoch_req_schema, struct end_quorum_epoch_req, eqe_req_fields);

/* ---- DescribeQuorum ---- */

static const struct proto_field dq_req_partition_fields[] = {
    PF_FIELD(struct describe_quorum_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(dq_req_partition_schema, struct describe_quorum_req_partition,
                    dq_req_partition_fields);

PROTO_TOPIC_SCHEMA(dq_req_topic_schema, struct describe_quorum_req_topic, topic_name, partitions,
                   dq_req_partition_schema);

static const struct proto_field dq_req_fields[] = {
    PF_SARRAY(struct describe_quorum_req, topics, dq_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_quorum_req_schema, struct describe_quorum_req, dq_req_fields);

static const struct proto_field dq_replica_state_fields[] = {
    PF_FIELD(struct describe_quorum_replica_state, replica_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_quorum_replica_state, replica_directory_id, PF_UUID, 2, PROTO_VMAX),
    PF_FIELD(struct describe_quorum_replica_state, log_end_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct describe_quorum_replica_state, last_fetch_timestamp, PF_INT64, 1, PROTO_VMAX,
               -1),
    PF_FIELD_D(struct describe_quorum_replica_state, last_caught_up_timestamp, PF_INT64, 1,
               PROTO_VMAX, -1),
};
static PROTO_SCHEMA(dq_replica_state_schema, struct describe_quorum_replica_state,
                    dq_replica_state_fields);

static const struct proto_field dq_resp_partition_fields[] = {
    PF_FIELD(struct describe_quorum_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_quorum_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_quorum_resp_partition, error_message, PF_STRING, 2, PROTO_VMAX, 2),
    PF_FIELD(struct describe_quorum_resp_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_quorum_resp_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_quorum_resp_partition, high_watermark, PF_INT64, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_quorum_resp_partition, current_voters, dq_replica_state_schema, 0,
              PROTO_VMAX),
    PF_SARRAY(struct describe_quorum_resp_partition, observers, dq_replica_state_schema, 0,
              PROTO_VMAX),
};
static PROTO_SCHEMA(dq_resp_partition_schema, struct describe_quorum_resp_partition,
                    dq_resp_partition_fields);

PROTO_TOPIC_SCHEMA(dq_resp_topic_schema, struct describe_quorum_resp_topic, topic_name, partitions,
                   dq_resp_partition_schema);

static const struct proto_field dq_resp_node_fields[] = {
    PF_FIELD(struct describe_quorum_resp_node, node_id, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_quorum_resp_node, listeners, endpoint_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(dq_resp_node_schema, struct describe_quorum_resp_node, dq_resp_node_fields);

static const struct proto_field dq_resp_fields[] = {
    PF_FIELD(struct describe_quorum_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_quorum_resp, error_message, PF_STRING, 2, PROTO_VMAX, 2),
    PF_SARRAY(struct describe_quorum_resp, topics, dq_resp_topic_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_quorum_resp, nodes, dq_resp_node_schema, 2, PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_quorum_resp_schema, struct describe_quorum_resp, dq_resp_fields);

/* ---- AlterPartition ---- */

static const struct proto_field ap_broker_state_fields[] = {
    PF_FIELD(struct alter_partition_broker_state, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct alter_partition_broker_state, broker_epoch, PF_INT64, 0, PROTO_VMAX, -1),
};
static PROTO_SCHEMA(ap_broker_state_schema, struct alter_partition_broker_state,
                    ap_broker_state_fields);

static const struct proto_field ap_req_partition_fields[] = {
    PF_FIELD(struct alter_partition_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct alter_partition_req_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct alter_partition_req_partition, new_isr, PF_INT32, 0, 2),
    PF_SARRAY(struct alter_partition_req_partition, new_isr_with_epochs, ap_broker_state_schema, 3,
              PROTO_VMAX),
    PF_FIELD_D(struct alter_partition_req_partition, leader_recovery_state, PF_INT8, 1, PROTO_VMAX,
               0),
    PF_FIELD(struct alter_partition_req_partition, partition_epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(ap_req_partition_schema, struct alter_partition_req_partition,
                    ap_req_partition_fields);

static const struct proto_field ap_req_topic_fields[] = {
    PF_FIELD(struct alter_partition_req_topic, topic_id, PF_UUID, 2, PROTO_VMAX),
    PF_SARRAY(struct alter_partition_req_topic, partitions, ap_req_partition_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(ap_req_topic_schema, struct alter_partition_req_topic, ap_req_topic_fields);

static const struct proto_field ap_req_fields[] = {
    PF_FIELD(struct alter_partition_req, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct alter_partition_req, broker_epoch, PF_INT64, 0, PROTO_VMAX, -1),
    PF_SARRAY(struct alter_partition_req, topics, ap_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_alter_partition_req_schema, struct alter_partition_req, ap_req_fields);

static const struct proto_field ap_resp_partition_fields[] = {
    PF_FIELD(struct alter_partition_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct alter_partition_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct alter_partition_resp_partition, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct alter_partition_resp_partition, leader_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct alter_partition_resp_partition, isr, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct alter_partition_resp_partition, leader_recovery_state, PF_INT8, 1, PROTO_VMAX,
               0),
    PF_FIELD(struct alter_partition_resp_partition, partition_epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(ap_resp_partition_schema, struct alter_partition_resp_partition,
                    ap_resp_partition_fields);

static const struct proto_field ap_resp_topic_fields[] = {
    PF_FIELD(struct alter_partition_resp_topic, topic_id, PF_UUID, 2, PROTO_VMAX),
    PF_SARRAY(struct alter_partition_resp_topic, partitions, ap_resp_partition_schema, 0,
              PROTO_VMAX),
};
static PROTO_SCHEMA(ap_resp_topic_schema, struct alter_partition_resp_topic, ap_resp_topic_fields);

static const struct proto_field ap_resp_fields[] = {
    PF_FIELD(struct alter_partition_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct alter_partition_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct alter_partition_resp, topics, ap_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_alter_partition_resp_schema, struct alter_partition_resp, ap_resp_fields);

/* ---- FetchSnapshot ---- */

static const struct proto_field fs_id_fields[] = {
    PF_FIELD(struct fetch_snapshot_id, end_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_id, epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fs_id_schema, struct fetch_snapshot_id, fs_id_fields);

static const struct proto_field fs_req_partition_fields[] = {
    PF_FIELD(struct fetch_snapshot_req_partition, partition, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_req_partition, current_leader_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_STRUCTF(struct fetch_snapshot_req_partition, snapshot_id, fs_id_schema, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_req_partition, position, PF_INT64, 0, PROTO_VMAX),
    PF_TAGGED(struct fetch_snapshot_req_partition, replica_directory_id, PF_UUID, 1, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(fs_req_partition_schema, struct fetch_snapshot_req_partition,
                    fs_req_partition_fields);

PROTO_TOPIC_SCHEMA(fs_req_topic_schema, struct fetch_snapshot_req_topic, name, partitions,
                   fs_req_partition_schema);

static const struct proto_field fs_req_fields[] = {
    {.name = "cluster_id",
     .type = PF_STRING,
     .vmin = 0,
     .vmax = PROTO_VMAX,
     .null_vmin = 0,
     .tag = 0,
     .offset = offsetof(struct fetch_snapshot_req, cluster_id)},
    PF_FIELD_D(struct fetch_snapshot_req, replica_id, PF_INT32, 0, PROTO_VMAX, -1),
    PF_FIELD_D(struct fetch_snapshot_req, max_bytes, PF_INT32, 0, PROTO_VMAX, 0x7fffffff),
    PF_SARRAY(struct fetch_snapshot_req, topics, fs_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_fetch_snapshot_req_schema, struct fetch_snapshot_req, fs_req_fields);

static const struct proto_field fs_leader_fields[] = {
    PF_FIELD(struct fetch_snapshot_leader, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_leader, leader_epoch, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fs_leader_schema, struct fetch_snapshot_leader, fs_leader_fields);

static const struct proto_field fs_resp_partition_fields[] = {
    PF_FIELD(struct fetch_snapshot_resp_partition, index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_STRUCTF(struct fetch_snapshot_resp_partition, snapshot_id, fs_id_schema, 0, PROTO_VMAX),
    PF_TAGGED_STRUCTF(struct fetch_snapshot_resp_partition, current_leader, fs_leader_schema, 0,
                      PROTO_VMAX, 0),
    PF_FIELD(struct fetch_snapshot_resp_partition, size, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_resp_partition, position, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_resp_partition, unaligned_records, PF_RECORDS, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fs_resp_partition_schema, struct fetch_snapshot_resp_partition,
                    fs_resp_partition_fields);

PROTO_TOPIC_SCHEMA(fs_resp_topic_schema, struct fetch_snapshot_resp_topic, name, partitions,
                   fs_resp_partition_schema);

static const struct proto_field fs_resp_fields[] = {
    PF_FIELD(struct fetch_snapshot_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_snapshot_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct fetch_snapshot_resp, topics, fs_resp_topic_schema, 0, PROTO_VMAX),
    PF_TAGGED_SARRAY(struct fetch_snapshot_resp, node_endpoints, node_endpoint_schema, 1,
                     PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_fetch_snapshot_resp_schema, struct fetch_snapshot_resp, fs_resp_fields);

/* ---- BrokerRegistration ---- */

static const struct proto_field br_req_fields[] = {
    PF_FIELD(struct broker_registration_req, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct broker_registration_req, cluster_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct broker_registration_req, incarnation_id, PF_UUID, 0, PROTO_VMAX),
    PF_SARRAY(struct broker_registration_req, listeners, listener_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct broker_registration_req, features, feature_schema, 0, PROTO_VMAX),
    PF_FIELD_N(struct broker_registration_req, rack, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD(struct broker_registration_req, is_migrating_zk_broker, PF_BOOL, 1, PROTO_VMAX),
    PF_ARRAYF(struct broker_registration_req, log_dirs, PF_UUID, 2, PROTO_VMAX),
    PF_FIELD_D(struct broker_registration_req, previous_broker_epoch, PF_INT64, 3, PROTO_VMAX, -1),
};
PROTO_SCHEMA(proto_broker_registration_req_schema, struct broker_registration_req, br_req_fields);

static const struct proto_field br_resp_fields[] = {
    PF_FIELD(struct broker_registration_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct broker_registration_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_D(struct broker_registration_resp, broker_epoch, PF_INT64, 0, PROTO_VMAX, -1),
};
PROTO_SCHEMA(proto_broker_registration_resp_schema, struct broker_registration_resp,
             br_resp_fields);

/* ---- BrokerHeartbeat ---- */

static const struct proto_field bh_req_fields[] = {
    PF_FIELD(struct broker_heartbeat_req, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct broker_heartbeat_req, broker_epoch, PF_INT64, 0, PROTO_VMAX, -1),
    PF_FIELD(struct broker_heartbeat_req, current_metadata_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct broker_heartbeat_req, want_fence, PF_BOOL, 0, PROTO_VMAX),
    PF_FIELD(struct broker_heartbeat_req, want_shut_down, PF_BOOL, 0, PROTO_VMAX),
    PF_TAGGED_ARRAY(struct broker_heartbeat_req, offline_log_dirs, PF_UUID, 1, PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_broker_heartbeat_req_schema, struct broker_heartbeat_req, bh_req_fields);

static const struct proto_field bh_resp_fields[] = {
    PF_FIELD(struct broker_heartbeat_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct broker_heartbeat_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_D(struct broker_heartbeat_resp, is_caught_up, PF_BOOL, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct broker_heartbeat_resp, is_fenced, PF_BOOL, 0, PROTO_VMAX, 1),
    PF_FIELD(struct broker_heartbeat_resp, should_shut_down, PF_BOOL, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_broker_heartbeat_resp_schema, struct broker_heartbeat_resp, bh_resp_fields);

/* ---- AllocateProducerIds ---- */

static const struct proto_field apid_req_fields[] = {
    PF_FIELD(struct allocate_producer_ids_req, broker_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct allocate_producer_ids_req, broker_epoch, PF_INT64, 0, PROTO_VMAX, -1),
};
PROTO_SCHEMA(proto_allocate_producer_ids_req_schema, struct allocate_producer_ids_req,
             apid_req_fields);

static const struct proto_field apid_resp_fields[] = {
    PF_FIELD(struct allocate_producer_ids_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct allocate_producer_ids_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct allocate_producer_ids_resp, producer_id_start, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct allocate_producer_ids_resp, producer_id_len, PF_INT32, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_allocate_producer_ids_resp_schema, struct allocate_producer_ids_resp,
             apid_resp_fields);

/* ---- ControllerRegistration ---- */

static const struct proto_field cr_req_fields[] = {
    PF_FIELD(struct controller_registration_req, controller_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct controller_registration_req, incarnation_id, PF_UUID, 0, PROTO_VMAX),
    PF_FIELD(struct controller_registration_req, zk_migration_ready, PF_BOOL, 0, PROTO_VMAX),
    PF_SARRAY(struct controller_registration_req, listeners, listener_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct controller_registration_req, features, feature_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_controller_registration_req_schema, struct controller_registration_req,
             cr_req_fields);

static const struct proto_field cr_resp_fields[] = {
    PF_FIELD(struct controller_registration_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct controller_registration_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct controller_registration_resp, error_message, PF_STRING, 0, PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_controller_registration_resp_schema, struct controller_registration_resp,
             cr_resp_fields);
