/*
 * Codec schemas for the classic consumer-group APIs (msg_group.h): one field
 * table per struct level, transcribed from the version ranges of Kafka's
 * message definitions for the versions we serve.  Fields that exist only above
 * our highest version (DescribeGroups v6 error_message) are kept with their
 * real range; they are simply never reached.
 */
#include "msg_group.h"

/* ---- OffsetCommit ---- */

static const struct proto_field offset_commit_req_partition_fields[] = {
    PF_FIELD(struct offset_commit_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct offset_commit_req_partition, committed_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct offset_commit_req_partition, committed_leader_epoch, PF_INT32, 6, PROTO_VMAX,
               -1),
    PF_FIELD_N(struct offset_commit_req_partition, committed_metadata, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(offset_commit_req_partition_schema, struct offset_commit_req_partition,
                    offset_commit_req_partition_fields);

PROTO_TOPIC_SCHEMA(offset_commit_req_topic_schema, struct offset_commit_req_topic, name, partitions,
                   offset_commit_req_partition_schema);

static const struct proto_field offset_commit_req_fields[] = {
    PF_FIELD(struct offset_commit_req, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_D(struct offset_commit_req, generation_id_or_member_epoch, PF_INT32, 1, PROTO_VMAX,
               -1),
    PF_FIELD(struct offset_commit_req, member_id, PF_STRING, 1, PROTO_VMAX),
    PF_FIELD_N(struct offset_commit_req, group_instance_id, PF_STRING, 7, PROTO_VMAX, 7),
    PF_FIELD_D(struct offset_commit_req, retention_time_ms, PF_INT64, 2, 4, -1),
    PF_SARRAY(struct offset_commit_req, topics, offset_commit_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_commit_req_schema, struct offset_commit_req, offset_commit_req_fields);

static const struct proto_field offset_commit_resp_partition_fields[] = {
    PF_FIELD(struct offset_commit_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct offset_commit_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_commit_resp_partition_schema, struct offset_commit_resp_partition,
                    offset_commit_resp_partition_fields);

PROTO_TOPIC_SCHEMA(offset_commit_resp_topic_schema, struct offset_commit_resp_topic, name,
                   partitions, offset_commit_resp_partition_schema);

static const struct proto_field offset_commit_resp_fields[] = {
    PF_FIELD(struct offset_commit_resp, throttle_time_ms, PF_INT32, 3, PROTO_VMAX),
    PF_SARRAY(struct offset_commit_resp, topics, offset_commit_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_commit_resp_schema, struct offset_commit_resp, offset_commit_resp_fields);

/* ---- OffsetFetch ---- */

static const struct proto_field offset_fetch_req_topic_fields[] = {
    PF_FIELD(struct offset_fetch_req_topic, name, PF_STRING, 0, PROTO_VMAX),
    PF_ARRAYF(struct offset_fetch_req_topic, partition_indexes, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_fetch_req_topic_schema, struct offset_fetch_req_topic,
                    offset_fetch_req_topic_fields);

static const struct proto_field offset_fetch_req_group_fields[] = {
    PF_FIELD(struct offset_fetch_req_group, group_id, PF_STRING, 8, PROTO_VMAX),
    PF_FIELD_N(struct offset_fetch_req_group, member_id, PF_STRING, 9, PROTO_VMAX, 9),
    PF_FIELD_D(struct offset_fetch_req_group, member_epoch, PF_INT32, 9, PROTO_VMAX, -1),
    PF_SARRAY_N(struct offset_fetch_req_group, topics, offset_fetch_req_topic_schema, 8, PROTO_VMAX,
                8),
};
static PROTO_SCHEMA(offset_fetch_req_group_schema, struct offset_fetch_req_group,
                    offset_fetch_req_group_fields);

static const struct proto_field offset_fetch_req_fields[] = {
    PF_FIELD(struct offset_fetch_req, group_id, PF_STRING, 0, 7),
    PF_SARRAY_N(struct offset_fetch_req, topics, offset_fetch_req_topic_schema, 0, 7, 2),
    PF_SARRAY(struct offset_fetch_req, groups, offset_fetch_req_group_schema, 8, PROTO_VMAX),
    PF_FIELD(struct offset_fetch_req, require_stable, PF_BOOL, 7, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_fetch_req_schema, struct offset_fetch_req, offset_fetch_req_fields);

static const struct proto_field offset_fetch_resp_partition_fields[] = {
    PF_FIELD(struct offset_fetch_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct offset_fetch_resp_partition, committed_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct offset_fetch_resp_partition, committed_leader_epoch, PF_INT32, 5, PROTO_VMAX,
               -1),
    PF_FIELD_N(struct offset_fetch_resp_partition, metadata, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD(struct offset_fetch_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_fetch_resp_partition_schema, struct offset_fetch_resp_partition,
                    offset_fetch_resp_partition_fields);

PROTO_TOPIC_SCHEMA(offset_fetch_resp_topic_schema, struct offset_fetch_resp_topic, name, partitions,
                   offset_fetch_resp_partition_schema);

static const struct proto_field offset_fetch_resp_group_fields[] = {
    PF_FIELD(struct offset_fetch_resp_group, group_id, PF_STRING, 8, PROTO_VMAX),
    PF_SARRAY(struct offset_fetch_resp_group, topics, offset_fetch_resp_topic_schema, 8,
              PROTO_VMAX),
    PF_FIELD(struct offset_fetch_resp_group, error_code, PF_INT16, 8, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_fetch_resp_group_schema, struct offset_fetch_resp_group,
                    offset_fetch_resp_group_fields);

static const struct proto_field offset_fetch_resp_fields[] = {
    PF_FIELD(struct offset_fetch_resp, throttle_time_ms, PF_INT32, 3, PROTO_VMAX),
    PF_SARRAY(struct offset_fetch_resp, topics, offset_fetch_resp_topic_schema, 0, 7),
    PF_FIELD(struct offset_fetch_resp, error_code, PF_INT16, 2, 7),
    PF_SARRAY(struct offset_fetch_resp, groups, offset_fetch_resp_group_schema, 8, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_fetch_resp_schema, struct offset_fetch_resp, offset_fetch_resp_fields);

/* ---- JoinGroup ---- */

static const struct proto_field join_group_req_protocol_fields[] = {
    PF_FIELD(struct join_group_req_protocol, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct join_group_req_protocol, metadata, PF_BYTES, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(join_group_req_protocol_schema, struct join_group_req_protocol,
                    join_group_req_protocol_fields);

static const struct proto_field join_group_req_fields[] = {
    PF_FIELD(struct join_group_req, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct join_group_req, session_timeout_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct join_group_req, rebalance_timeout_ms, PF_INT32, 1, PROTO_VMAX, -1),
    PF_FIELD(struct join_group_req, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct join_group_req, group_instance_id, PF_STRING, 5, PROTO_VMAX, 5),
    PF_FIELD(struct join_group_req, protocol_type, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct join_group_req, protocols, join_group_req_protocol_schema, 0, PROTO_VMAX),
    PF_FIELD_N(struct join_group_req, reason, PF_STRING, 8, PROTO_VMAX, 8),
};
PROTO_SCHEMA(proto_join_group_req_schema, struct join_group_req, join_group_req_fields);

static const struct proto_field join_group_resp_member_fields[] = {
    PF_FIELD(struct join_group_resp_member, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct join_group_resp_member, group_instance_id, PF_STRING, 5, PROTO_VMAX, 5),
    PF_FIELD(struct join_group_resp_member, metadata, PF_BYTES, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(join_group_resp_member_schema, struct join_group_resp_member,
                    join_group_resp_member_fields);

static const struct proto_field join_group_resp_fields[] = {
    PF_FIELD(struct join_group_resp, throttle_time_ms, PF_INT32, 2, PROTO_VMAX),
    PF_FIELD(struct join_group_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_D(struct join_group_resp, generation_id, PF_INT32, 0, PROTO_VMAX, -1),
    PF_FIELD_N(struct join_group_resp, protocol_type, PF_STRING, 7, PROTO_VMAX, 7),
    PF_FIELD_N(struct join_group_resp, protocol_name, PF_STRING, 0, PROTO_VMAX, 7),
    PF_FIELD(struct join_group_resp, leader, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct join_group_resp, skip_assignment, PF_BOOL, 9, PROTO_VMAX),
    PF_FIELD(struct join_group_resp, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct join_group_resp, members, join_group_resp_member_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_join_group_resp_schema, struct join_group_resp, join_group_resp_fields);

/* ---- Heartbeat ---- */

static const struct proto_field heartbeat_req_fields[] = {
    PF_FIELD(struct heartbeat_req, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct heartbeat_req, generation_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct heartbeat_req, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct heartbeat_req, group_instance_id, PF_STRING, 3, PROTO_VMAX, 3),
};
PROTO_SCHEMA(proto_heartbeat_req_schema, struct heartbeat_req, heartbeat_req_fields);

static const struct proto_field heartbeat_resp_fields[] = {
    PF_FIELD(struct heartbeat_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_FIELD(struct heartbeat_resp, error_code, PF_INT16, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_heartbeat_resp_schema, struct heartbeat_resp, heartbeat_resp_fields);

/* ---- LeaveGroup ---- */

static const struct proto_field leave_group_req_member_fields[] = {
    PF_FIELD(struct leave_group_req_member, member_id, PF_STRING, 3, PROTO_VMAX),
    PF_FIELD_N(struct leave_group_req_member, group_instance_id, PF_STRING, 3, PROTO_VMAX, 3),
    PF_FIELD_N(struct leave_group_req_member, reason, PF_STRING, 5, PROTO_VMAX, 5),
};
static PROTO_SCHEMA(leave_group_req_member_schema, struct leave_group_req_member,
                    leave_group_req_member_fields);

static const struct proto_field leave_group_req_fields[] = {
    PF_FIELD(struct leave_group_req, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct leave_group_req, member_id, PF_STRING, 0, 2),
    PF_SARRAY(struct leave_group_req, members, leave_group_req_member_schema, 3, PROTO_VMAX),
};
PROTO_SCHEMA(proto_leave_group_req_schema, struct leave_group_req, leave_group_req_fields);

static const struct proto_field leave_group_resp_member_fields[] = {
    PF_FIELD(struct leave_group_resp_member, member_id, PF_STRING, 3, PROTO_VMAX),
    PF_FIELD_N(struct leave_group_resp_member, group_instance_id, PF_STRING, 3, PROTO_VMAX, 3),
    PF_FIELD(struct leave_group_resp_member, error_code, PF_INT16, 3, PROTO_VMAX),
};
static PROTO_SCHEMA(leave_group_resp_member_schema, struct leave_group_resp_member,
                    leave_group_resp_member_fields);

static const struct proto_field leave_group_resp_fields[] = {
    PF_FIELD(struct leave_group_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_FIELD(struct leave_group_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct leave_group_resp, members, leave_group_resp_member_schema, 3, PROTO_VMAX),
};
PROTO_SCHEMA(proto_leave_group_resp_schema, struct leave_group_resp, leave_group_resp_fields);

/* ---- SyncGroup ---- */

static const struct proto_field sync_group_req_assignment_fields[] = {
    PF_FIELD(struct sync_group_req_assignment, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct sync_group_req_assignment, assignment, PF_BYTES, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(sync_group_req_assignment_schema, struct sync_group_req_assignment,
                    sync_group_req_assignment_fields);

static const struct proto_field sync_group_req_fields[] = {
    PF_FIELD(struct sync_group_req, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct sync_group_req, generation_id, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct sync_group_req, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct sync_group_req, group_instance_id, PF_STRING, 3, PROTO_VMAX, 3),
    PF_FIELD_N(struct sync_group_req, protocol_type, PF_STRING, 5, PROTO_VMAX, 5),
    PF_FIELD_N(struct sync_group_req, protocol_name, PF_STRING, 5, PROTO_VMAX, 5),
    PF_SARRAY(struct sync_group_req, assignments, sync_group_req_assignment_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_sync_group_req_schema, struct sync_group_req, sync_group_req_fields);

static const struct proto_field sync_group_resp_fields[] = {
    PF_FIELD(struct sync_group_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_FIELD(struct sync_group_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct sync_group_resp, protocol_type, PF_STRING, 5, PROTO_VMAX, 5),
    PF_FIELD_N(struct sync_group_resp, protocol_name, PF_STRING, 5, PROTO_VMAX, 5),
    PF_FIELD(struct sync_group_resp, assignment, PF_BYTES, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_sync_group_resp_schema, struct sync_group_resp, sync_group_resp_fields);

/* ---- DescribeGroups ---- */

static const struct proto_field describe_groups_req_fields[] = {
    PF_ARRAYF(struct describe_groups_req, groups, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_req, include_authorized_operations, PF_BOOL, 3, PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_groups_req_schema, struct describe_groups_req,
             describe_groups_req_fields);

static const struct proto_field describe_groups_resp_member_fields[] = {
    PF_FIELD(struct describe_groups_resp_member, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_groups_resp_member, group_instance_id, PF_STRING, 4, PROTO_VMAX, 4),
    PF_FIELD(struct describe_groups_resp_member, client_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_resp_member, client_host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_resp_member, member_metadata, PF_BYTES, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_resp_member, member_assignment, PF_BYTES, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(describe_groups_resp_member_schema, struct describe_groups_resp_member,
                    describe_groups_resp_member_fields);

static const struct proto_field describe_groups_resp_group_fields[] = {
    PF_FIELD(struct describe_groups_resp_group, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_groups_resp_group, error_message, PF_STRING, 6, PROTO_VMAX, 6),
    PF_FIELD(struct describe_groups_resp_group, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_resp_group, group_state, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_resp_group, protocol_type, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct describe_groups_resp_group, protocol_data, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_groups_resp_group, members, describe_groups_resp_member_schema, 0,
              PROTO_VMAX),
    PF_FIELD_D(struct describe_groups_resp_group, authorized_operations, PF_INT32, 3, PROTO_VMAX,
               INT32_MIN),
};
static PROTO_SCHEMA(describe_groups_resp_group_schema, struct describe_groups_resp_group,
                    describe_groups_resp_group_fields);

static const struct proto_field describe_groups_resp_fields[] = {
    PF_FIELD(struct describe_groups_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_SARRAY(struct describe_groups_resp, groups, describe_groups_resp_group_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_groups_resp_schema, struct describe_groups_resp,
             describe_groups_resp_fields);

/* ---- ListGroups ---- */

static const struct proto_field list_groups_req_fields[] = {
    PF_ARRAYF(struct list_groups_req, states_filter, PF_STRING, 4, PROTO_VMAX),
    PF_ARRAYF(struct list_groups_req, types_filter, PF_STRING, 5, PROTO_VMAX),
};
PROTO_SCHEMA(proto_list_groups_req_schema, struct list_groups_req, list_groups_req_fields);

static const struct proto_field list_groups_resp_group_fields[] = {
    PF_FIELD(struct list_groups_resp_group, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct list_groups_resp_group, protocol_type, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct list_groups_resp_group, group_state, PF_STRING, 4, PROTO_VMAX),
    PF_FIELD(struct list_groups_resp_group, group_type, PF_STRING, 5, PROTO_VMAX),
};
static PROTO_SCHEMA(list_groups_resp_group_schema, struct list_groups_resp_group,
                    list_groups_resp_group_fields);

static const struct proto_field list_groups_resp_fields[] = {
    PF_FIELD(struct list_groups_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_FIELD(struct list_groups_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct list_groups_resp, groups, list_groups_resp_group_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_list_groups_resp_schema, struct list_groups_resp, list_groups_resp_fields);

/* ---- DeleteGroups ---- */

static const struct proto_field delete_groups_req_fields[] = {
    PF_ARRAYF(struct delete_groups_req, groups_names, PF_STRING, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_delete_groups_req_schema, struct delete_groups_req, delete_groups_req_fields);

static const struct proto_field delete_groups_resp_result_fields[] = {
    PF_FIELD(struct delete_groups_resp_result, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct delete_groups_resp_result, error_code, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(delete_groups_resp_result_schema, struct delete_groups_resp_result,
                    delete_groups_resp_result_fields);

static const struct proto_field delete_groups_resp_fields[] = {
    PF_FIELD(struct delete_groups_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct delete_groups_resp, results, delete_groups_resp_result_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_delete_groups_resp_schema, struct delete_groups_resp, delete_groups_resp_fields);

/* ---- OffsetDelete ---- */

static const struct proto_field offset_delete_req_partition_fields[] = {
    PF_FIELD(struct offset_delete_req_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_delete_req_partition_schema, struct offset_delete_req_partition,
                    offset_delete_req_partition_fields);

PROTO_TOPIC_SCHEMA(offset_delete_req_topic_schema, struct offset_delete_req_topic, name, partitions,
                   offset_delete_req_partition_schema);

static const struct proto_field offset_delete_req_fields[] = {
    PF_FIELD(struct offset_delete_req, group_id, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct offset_delete_req, topics, offset_delete_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_delete_req_schema, struct offset_delete_req, offset_delete_req_fields);

static const struct proto_field offset_delete_resp_partition_fields[] = {
    PF_FIELD(struct offset_delete_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct offset_delete_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(offset_delete_resp_partition_schema, struct offset_delete_resp_partition,
                    offset_delete_resp_partition_fields);

PROTO_TOPIC_SCHEMA(offset_delete_resp_topic_schema, struct offset_delete_resp_topic, name,
                   partitions, offset_delete_resp_partition_schema);

static const struct proto_field offset_delete_resp_fields[] = {
    PF_FIELD(struct offset_delete_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct offset_delete_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct offset_delete_resp, topics, offset_delete_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_offset_delete_resp_schema, struct offset_delete_resp, offset_delete_resp_fields);

/* ---- Embedded consumer protocol ---- */

static const struct proto_field consumer_protocol_topic_partition_fields[] = {
    PF_FIELD(struct consumer_protocol_topic_partition, topic, PF_STRING, 0, PROTO_VMAX),
    PF_ARRAYF(struct consumer_protocol_topic_partition, partitions, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(consumer_protocol_topic_partition_schema,
                    struct consumer_protocol_topic_partition,
                    consumer_protocol_topic_partition_fields);

static const struct proto_field consumer_protocol_subscription_fields[] = {
    PF_ARRAYF(struct consumer_protocol_subscription, topics, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct consumer_protocol_subscription, user_data, PF_BYTES, 0, PROTO_VMAX, 0),
    PF_SARRAY(struct consumer_protocol_subscription, owned_partitions,
              consumer_protocol_topic_partition_schema, 1, PROTO_VMAX),
    PF_FIELD_D(struct consumer_protocol_subscription, generation_id, PF_INT32, 2, PROTO_VMAX, -1),
    PF_FIELD_N(struct consumer_protocol_subscription, rack_id, PF_STRING, 3, PROTO_VMAX, 3),
};
PROTO_SCHEMA(proto_consumer_protocol_subscription_schema, struct consumer_protocol_subscription,
             consumer_protocol_subscription_fields);

static const struct proto_field consumer_protocol_assignment_fields[] = {
    PF_SARRAY(struct consumer_protocol_assignment, assigned_partitions,
              consumer_protocol_topic_partition_schema, 0, PROTO_VMAX),
    PF_FIELD_N(struct consumer_protocol_assignment, user_data, PF_BYTES, 0, PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_consumer_protocol_assignment_schema, struct consumer_protocol_assignment,
             consumer_protocol_assignment_fields);
