/*
 * C structs and codec schemas for the classic consumer-group APIs (the group
 * coordinator's wire interface):
 *
 *   OffsetCommit (8)    versions 2-9, flexible from 8
 *   OffsetFetch (9)     versions 1-9, flexible from 6 (several groups v8+)
 *   JoinGroup (11)      versions 0-9, flexible from 6
 *   Heartbeat (12)      versions 0-4, flexible from 4
 *   LeaveGroup (13)     versions 0-5, flexible from 4 (batched members v3+)
 *   SyncGroup (14)      versions 0-5, flexible from 4
 *   DescribeGroups (15) versions 0-5, flexible from 5
 *   ListGroups (16)     versions 0-5, flexible from 3
 *   DeleteGroups (42)   versions 0-2, flexible from 2
 *   OffsetDelete (47)   version 0, never flexible
 *
 * (FindCoordinator (10) lives in msg_metadata.h.)  Field names follow
 * Kafka's message JSON in snake_case.  The comment on each struct gives the
 * version range of every field that does not exist in all the versions we
 * serve; a field absent in the decoded version holds Kafka's default (given
 * in the comment, otherwise 0 / false / null).
 */
#ifndef SLUICE_MSG_GROUP_H
#define SLUICE_MSG_GROUP_H

#include <stdbool.h>

#include "codec.h"

/* OffsetDelete's API key (Kafka's ApiKeys.OFFSET_DELETE). */
#define PROTO_API_OFFSET_DELETE 47

/* ---- OffsetCommit (8) ---- */

/*
 * OffsetCommitRequestPartition.  committed_leader_epoch v6+ (default -1);
 * committed_metadata nullable.
 */
struct offset_commit_req_partition {
    int32_t partition_index;
    int64_t committed_offset;
    int32_t committed_leader_epoch;
    struct kstr committed_metadata;
};

/* OffsetCommitRequestTopic. */
struct offset_commit_req_topic {
    struct kstr name;
    KARR(struct offset_commit_req_partition) partitions;
};

/*
 * generation_id_or_member_epoch (default -1), member_id; group_instance_id
 * v7+ nullable; retention_time_ms v2-4 (default -1: the broker's
 * offsets.retention.minutes).
 */
struct offset_commit_req {
    struct kstr group_id;
    int32_t generation_id_or_member_epoch;
    struct kstr member_id;
    struct kstr group_instance_id;
    int64_t retention_time_ms;
    KARR(struct offset_commit_req_topic) topics;
};

struct offset_commit_resp_partition {
    int32_t partition_index;
    int16_t error_code;
};

struct offset_commit_resp_topic {
    struct kstr name;
    KARR(struct offset_commit_resp_partition) partitions;
};

/* throttle_time_ms v3+. */
struct offset_commit_resp {
    int32_t throttle_time_ms;
    KARR(struct offset_commit_resp_topic) topics;
};

/* ---- OffsetFetch (9) ---- */

/* OffsetFetchRequestTopic (v1-7) and OffsetFetchRequestTopics (v8+): the same shape. */
struct offset_fetch_req_topic {
    struct kstr name;
    KARR(int32_t) partition_indexes;
};

/*
 * OffsetFetchRequestGroup (v8+).  member_id v9+ nullable, member_epoch v9+
 * (default -1), both only meaningful for KIP-848 groups; topics nullable
 * (null = every committed offset of the group).
 */
struct offset_fetch_req_group {
    struct kstr group_id;
    struct kstr member_id;
    int32_t member_epoch;
    KARR(struct offset_fetch_req_topic) topics;
};

/*
 * group_id and topics v1-7 (topics nullable v2+: null = all); groups v8+;
 * require_stable v7+.
 */
struct offset_fetch_req {
    struct kstr group_id;
    KARR(struct offset_fetch_req_topic) topics;
    KARR(struct offset_fetch_req_group) groups;
    bool require_stable;
};

/*
 * OffsetFetchResponsePartition(s).  committed_leader_epoch v5+ (default -1);
 * metadata nullable.
 */
struct offset_fetch_resp_partition {
    int32_t partition_index;
    int64_t committed_offset;
    int32_t committed_leader_epoch;
    struct kstr metadata;
    int16_t error_code;
};

struct offset_fetch_resp_topic {
    struct kstr name;
    KARR(struct offset_fetch_resp_partition) partitions;
};

/* OffsetFetchResponseGroup (v8+). */
struct offset_fetch_resp_group {
    struct kstr group_id;
    KARR(struct offset_fetch_resp_topic) topics;
    int16_t error_code;
};

/* throttle_time_ms v3+; topics v1-7; error_code v2-7; groups v8+. */
struct offset_fetch_resp {
    int32_t throttle_time_ms;
    KARR(struct offset_fetch_resp_topic) topics;
    int16_t error_code;
    KARR(struct offset_fetch_resp_group) groups;
};

/* ---- JoinGroup (11) ---- */

struct join_group_req_protocol {
    struct kstr name;
    struct kbytes metadata;
};

/*
 * rebalance_timeout_ms v1+ (default -1: v0 uses the session timeout);
 * group_instance_id v5+ nullable (KIP-345); reason v8+ nullable (KIP-800).
 */
struct join_group_req {
    struct kstr group_id;
    int32_t session_timeout_ms;
    int32_t rebalance_timeout_ms;
    struct kstr member_id;
    struct kstr group_instance_id;
    struct kstr protocol_type;
    KARR(struct join_group_req_protocol) protocols;
    struct kstr reason;
};

/* JoinGroupResponseMember.  group_instance_id v5+ nullable. */
struct join_group_resp_member {
    struct kstr member_id;
    struct kstr group_instance_id;
    struct kbytes metadata;
};

/*
 * throttle_time_ms v2+; generation_id default -1; protocol_type v7+
 * nullable (KIP-559); protocol_name nullable v7+ (use "" below v7);
 * skip_assignment v9+ (KIP-814).
 */
struct join_group_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int32_t generation_id;
    struct kstr protocol_type;
    struct kstr protocol_name;
    struct kstr leader;
    bool skip_assignment;
    struct kstr member_id;
    KARR(struct join_group_resp_member) members;
};

/* ---- Heartbeat (12) ---- */

/* group_instance_id v3+ nullable. */
struct heartbeat_req {
    struct kstr group_id;
    int32_t generation_id;
    struct kstr member_id;
    struct kstr group_instance_id;
};

/* throttle_time_ms v1+. */
struct heartbeat_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
};

/* ---- LeaveGroup (13) ---- */

/* MemberIdentity (v3+).  group_instance_id nullable; reason v5+ nullable. */
struct leave_group_req_member {
    struct kstr member_id;
    struct kstr group_instance_id;
    struct kstr reason;
};

/* member_id v0-2; members v3+ (KIP-345 batch leave). */
struct leave_group_req {
    struct kstr group_id;
    struct kstr member_id;
    KARR(struct leave_group_req_member) members;
};

/* MemberResponse (v3+).  group_instance_id nullable. */
struct leave_group_resp_member {
    struct kstr member_id;
    struct kstr group_instance_id;
    int16_t error_code;
};

/* throttle_time_ms v1+; members v3+. */
struct leave_group_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    KARR(struct leave_group_resp_member) members;
};

/* ---- SyncGroup (14) ---- */

struct sync_group_req_assignment {
    struct kstr member_id;
    struct kbytes assignment;
};

/* group_instance_id v3+ nullable; protocol_type and protocol_name v5+ nullable (KIP-559). */
struct sync_group_req {
    struct kstr group_id;
    int32_t generation_id;
    struct kstr member_id;
    struct kstr group_instance_id;
    struct kstr protocol_type;
    struct kstr protocol_name;
    KARR(struct sync_group_req_assignment) assignments;
};

/* throttle_time_ms v1+; protocol_type and protocol_name v5+ nullable. */
struct sync_group_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    struct kstr protocol_type;
    struct kstr protocol_name;
    struct kbytes assignment;
};

/* ---- DescribeGroups (15) ---- */

/* include_authorized_operations v3+. */
struct describe_groups_req {
    KARR(struct kstr) groups;
    bool include_authorized_operations;
};

/* DescribedGroupMember.  group_instance_id v4+ nullable. */
struct describe_groups_resp_member {
    struct kstr member_id;
    struct kstr group_instance_id;
    struct kstr client_id;
    struct kstr client_host;
    struct kbytes member_metadata;
    struct kbytes member_assignment;
};

/*
 * DescribedGroup.  error_message v6+ nullable (above our range);
 * authorized_operations v3+ (default INT32_MIN: not requested).
 */
struct describe_groups_resp_group {
    int16_t error_code;
    struct kstr error_message;
    struct kstr group_id;
    struct kstr group_state;
    struct kstr protocol_type;
    struct kstr protocol_data;
    KARR(struct describe_groups_resp_member) members;
    int32_t authorized_operations;
};

/* throttle_time_ms v1+. */
struct describe_groups_resp {
    int32_t throttle_time_ms;
    KARR(struct describe_groups_resp_group) groups;
};

/* ---- ListGroups (16) ---- */

/* states_filter v4+ (KIP-518), types_filter v5+ (KIP-848). */
struct list_groups_req {
    KARR(struct kstr) states_filter;
    KARR(struct kstr) types_filter;
};

/* ListedGroup.  group_state v4+, group_type v5+. */
struct list_groups_resp_group {
    struct kstr group_id;
    struct kstr protocol_type;
    struct kstr group_state;
    struct kstr group_type;
};

/* throttle_time_ms v1+. */
struct list_groups_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    KARR(struct list_groups_resp_group) groups;
};

/* ---- DeleteGroups (42) ---- */

struct delete_groups_req {
    KARR(struct kstr) groups_names;
};

struct delete_groups_resp_result {
    struct kstr group_id;
    int16_t error_code;
};

struct delete_groups_resp {
    int32_t throttle_time_ms;
    KARR(struct delete_groups_resp_result) results;
};

/* ---- OffsetDelete (47) ---- */

struct offset_delete_req_partition {
    int32_t partition_index;
};

struct offset_delete_req_topic {
    struct kstr name;
    KARR(struct offset_delete_req_partition) partitions;
};

struct offset_delete_req {
    struct kstr group_id;
    KARR(struct offset_delete_req_topic) topics;
};

struct offset_delete_resp_partition {
    int32_t partition_index;
    int16_t error_code;
};

struct offset_delete_resp_topic {
    struct kstr name;
    KARR(struct offset_delete_resp_partition) partitions;
};

struct offset_delete_resp {
    int16_t error_code;
    int32_t throttle_time_ms;
    KARR(struct offset_delete_resp_topic) topics;
};

/* ---- Embedded consumer protocol (protocol type "consumer") ---- */

/*
 * The member metadata and assignment that Kafka consumers put in JoinGroup
 * protocols and SyncGroup assignments (ConsumerProtocolSubscription and
 * ConsumerProtocolAssignment, versions 0-3, never flexible).  On the wire
 * both are preceded by an int16 version, which the caller reads first; a
 * version above 3 is decoded as 3 (newer versions only append fields, as
 * Kafka's ConsumerProtocol assumes).
 */
struct consumer_protocol_topic_partition {
    struct kstr topic;
    KARR(int32_t) partitions;
};

/* owned_partitions v1+; generation_id v2+ (default -1); rack_id v3+ nullable. */
struct consumer_protocol_subscription {
    KARR(struct kstr) topics;
    struct kbytes user_data;
    KARR(struct consumer_protocol_topic_partition) owned_partitions;
    int32_t generation_id;
    struct kstr rack_id;
};

struct consumer_protocol_assignment {
    KARR(struct consumer_protocol_topic_partition) assigned_partitions;
    struct kbytes user_data;
};

#define PROTO_CONSUMER_PROTOCOL_MAX_VERSION 3

extern const struct proto_schema proto_offset_commit_req_schema, proto_offset_commit_resp_schema;
extern const struct proto_schema proto_offset_fetch_req_schema, proto_offset_fetch_resp_schema;
extern const struct proto_schema proto_join_group_req_schema, proto_join_group_resp_schema;
extern const struct proto_schema proto_heartbeat_req_schema, proto_heartbeat_resp_schema;
extern const struct proto_schema proto_leave_group_req_schema, proto_leave_group_resp_schema;
extern const struct proto_schema proto_sync_group_req_schema, proto_sync_group_resp_schema;
extern const struct proto_schema proto_describe_groups_req_schema,
    proto_describe_groups_resp_schema;
extern const struct proto_schema proto_list_groups_req_schema, proto_list_groups_resp_schema;
extern const struct proto_schema proto_delete_groups_req_schema, proto_delete_groups_resp_schema;
extern const struct proto_schema proto_offset_delete_req_schema, proto_offset_delete_resp_schema;
extern const struct proto_schema proto_consumer_protocol_subscription_schema,
    proto_consumer_protocol_assignment_schema;

#endif
