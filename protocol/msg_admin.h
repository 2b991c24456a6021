/*
 * C structs and codec schemas for the topic administration APIs: CreateTopics
 * (key 19, versions 2-7, flexible from 5), DeleteTopics (key 20, versions
 * 1-6, flexible from 4), DescribeConfigs (key 32, versions 0-4, flexible from
 * 4) and CreatePartitions (key 37, versions 0-3, flexible from 2).
 *
 * Field names follow Kafka's message JSON in snake_case.  The comment on each
 * struct gives the version range of every field that does not exist in all
 * the versions we serve; a field absent in the decoded version holds Kafka's
 * default (given in the comment, otherwise 0 / false / null).
 */
#ifndef SLUICE_MSG_ADMIN_H
#define SLUICE_MSG_ADMIN_H

#include <stdbool.h>

#include "codec.h"

/* ---- CreateTopics (19) request ---- */

/* CreatableReplicaAssignment: the replicas of one partition, leader first. */
struct create_topics_req_assignment {
    int32_t partition_index;
    KARR(int32_t) broker_ids;
};

/* CreatableTopicConfig.  value nullable. */
struct create_topics_req_config {
    struct kstr name;
    struct kstr value;
};

/*
 * CreatableTopic.  num_partitions / replication_factor -1 = the broker
 * default (KIP-464); both -1 when assignments are given.
 */
struct create_topics_req_topic {
    struct kstr name;
    int32_t num_partitions;
    int16_t replication_factor;
    KARR(struct create_topics_req_assignment) assignments;
    KARR(struct create_topics_req_config) configs;
};

/* timeout_ms default 60000; validate_only v1+. */
struct create_topics_req {
    KARR(struct create_topics_req_topic) topics;
    int32_t timeout_ms;
    bool validate_only;
};

/* ---- CreateTopics (19) response ---- */

/* CreatableTopicConfigs (v5+).  value nullable, config_source default -1. */
struct create_topics_resp_config {
    struct kstr name;
    struct kstr value;
    bool read_only;
    int8_t config_source;
    bool is_sensitive;
};

/*
 * CreatableTopicResult.  topic_id v7+, error_message nullable;
 * topic_config_error_code v5+ tagged field 0; num_partitions and
 * replication_factor v5+ (default -1); configs v5+ nullable (KIP-525).
 */
struct create_topics_resp_topic {
    struct kstr name;
    struct uuid topic_id;
    int16_t error_code;
    struct kstr error_message;
    int16_t topic_config_error_code;
    int32_t num_partitions;
    int16_t replication_factor;
    KARR(struct create_topics_resp_config) configs;
};

struct create_topics_resp {
    int32_t throttle_time_ms;
    KARR(struct create_topics_resp_topic) topics;
};

/* ---- DeleteTopics (20) request ---- */

/* DeleteTopicState (v6+): by name (topic_id zero) or by id (name null). */
struct delete_topics_req_topic {
    struct kstr name;
    struct uuid topic_id;
};

/* topics v6+; topic_names v0-5. */
struct delete_topics_req {
    KARR(struct delete_topics_req_topic) topics;
    KARR(struct kstr) topic_names;
    int32_t timeout_ms;
};

/* ---- DeleteTopics (20) response ---- */

/* DeletableTopicResult.  name nullable v6+, topic_id v6+, error_message v5+ nullable. */
struct delete_topics_resp_topic {
    struct kstr name;
    struct uuid topic_id;
    int16_t error_code;
    struct kstr error_message;
};

struct delete_topics_resp {
    int32_t throttle_time_ms;
    KARR(struct delete_topics_resp_topic) responses;
};

/* ---- DescribeConfigs (32) request ---- */

/*
 * DescribeConfigsResource.  resource_type: 2 topic, 4 broker, 8 broker
 * logger.  configuration_keys nullable (null = all).
 */
struct describe_configs_req_resource {
    int8_t resource_type;
    struct kstr resource_name;
    KARR(struct kstr) configuration_keys;
};

/* include_synonyms v1+, include_documentation v3+. */
struct describe_configs_req {
    KARR(struct describe_configs_req_resource) resources;
    bool include_synonyms;
    bool include_documentation;
};

/* ---- DescribeConfigs (32) response ---- */

/* DescribeConfigsSynonym (v1+).  value nullable. */
struct describe_configs_resp_synonym {
    struct kstr name;
    struct kstr value;
    int8_t source;
};

/*
 * DescribeConfigsResourceResult.  value nullable; is_default v0 only;
 * config_source v1+ (default -1; 1 dynamic topic, 4 static broker,
 * 5 default, ...); synonyms v1+; config_type v3+ (default 0 = unknown);
 * documentation v3+ nullable.
 */
struct describe_configs_resp_config {
    struct kstr name;
    struct kstr value;
    bool read_only;
    bool is_default;
    int8_t config_source;
    bool is_sensitive;
    KARR(struct describe_configs_resp_synonym) synonyms;
    int8_t config_type;
    struct kstr documentation;
};

/* DescribeConfigsResult.  error_message nullable. */
struct describe_configs_resp_result {
    int16_t error_code;
    struct kstr error_message;
    int8_t resource_type;
    struct kstr resource_name;
    KARR(struct describe_configs_resp_config) configs;
};

struct describe_configs_resp {
    int32_t throttle_time_ms;
    KARR(struct describe_configs_resp_result) results;
};

/* ---- CreatePartitions (37) request ---- */

/* CreatePartitionsAssignment: the replicas of one new partition. */
struct create_partitions_req_assignment {
    KARR(int32_t) broker_ids;
};

/* CreatePartitionsTopic.  count = the new total; assignments nullable. */
struct create_partitions_req_topic {
    struct kstr name;
    int32_t count;
    KARR(struct create_partitions_req_assignment) assignments;
};

struct create_partitions_req {
    KARR(struct create_partitions_req_topic) topics;
    int32_t timeout_ms;
    bool validate_only;
};

/* ---- CreatePartitions (37) response ---- */

/* CreatePartitionsTopicResult.  error_message nullable. */
struct create_partitions_resp_result {
    struct kstr name;
    int16_t error_code;
    struct kstr error_message;
};

struct create_partitions_resp {
    int32_t throttle_time_ms;
    KARR(struct create_partitions_resp_result) results;
};

extern const struct proto_schema proto_create_topics_req_schema, proto_create_topics_resp_schema;
extern const struct proto_schema proto_delete_topics_req_schema, proto_delete_topics_resp_schema;
extern const struct proto_schema proto_describe_configs_req_schema,
    proto_describe_configs_resp_schema;
extern const struct proto_schema proto_create_partitions_req_schema,
    proto_create_partitions_resp_schema;

#endif
