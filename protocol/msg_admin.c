/*
 * Codec schemas for CreateTopics (19), DeleteTopics (20), DescribeConfigs
 * (32) and CreatePartitions (37): one field table per struct level,
 * transcribed from the version ranges of Kafka's message definitions for the
 * versions we serve (see notes/versions.md).  DescribeConfigs v0 (removed in
 * Kafka 4.0 by KIP-896, still advertised by us) is described from the
 * pre-4.0 definition, where the response carries is_default instead of
 * config_source.
 */
#include "msg_admin.h"

/* ---- CreateTopics request ---- */

static const struct proto_field create_topics_req_assignment_fields[] = {
    PF_FIELD(struct create_topics_req_assignment, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct create_topics_req_assignment, broker_ids, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(create_topics_req_assignment_schema, struct create_topics_req_assignment,
                    create_topics_req_assignment_fields);

static const struct proto_field create_topics_req_config_fields[] = {
    PF_FIELD(struct create_topics_req_config, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct create_topics_req_config, value, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(create_topics_req_config_schema, struct create_topics_req_config,
                    create_topics_req_config_fields);

static const struct proto_field create_topics_req_topic_fields[] = {
    PF_FIELD(struct create_topics_req_topic, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct create_topics_req_topic, num_partitions, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct create_topics_req_topic, replication_factor, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct create_topics_req_topic, assignments, create_topics_req_assignment_schema, 0,
              PROTO_VMAX),
    PF_SARRAY(struct create_topics_req_topic, configs, create_topics_req_config_schema, 0,
              PROTO_VMAX),
};
static PROTO_SCHEMA(create_topics_req_topic_schema, struct create_topics_req_topic,
                    create_topics_req_topic_fields);

static const struct proto_field create_topics_req_fields[] = {
    PF_SARRAY(struct create_topics_req, topics, create_topics_req_topic_schema, 0, PROTO_VMAX),
    PF_FIELD_D(struct create_topics_req, timeout_ms, PF_INT32, 0, PROTO_VMAX, 60000),
    PF_FIELD_D(struct create_topics_req, validate_only, PF_BOOL, 1, PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_create_topics_req_schema, struct create_topics_req, create_topics_req_fields);

/* ---- CreateTopics response ---- */

static const struct proto_field create_topics_resp_config_fields[] = {
    PF_FIELD(struct create_topics_resp_config, name, PF_STRING, 5, PROTO_VMAX),
    PF_FIELD_N(struct create_topics_resp_config, value, PF_STRING, 5, PROTO_VMAX, 5),
    PF_FIELD(struct create_topics_resp_config, read_only, PF_BOOL, 5, PROTO_VMAX),
    PF_FIELD_D(struct create_topics_resp_config, config_source, PF_INT8, 5, PROTO_VMAX, -1),
    PF_FIELD(struct create_topics_resp_config, is_sensitive, PF_BOOL, 5, PROTO_VMAX),
};
static PROTO_SCHEMA(create_topics_resp_config_schema, struct create_topics_resp_config,
                    create_topics_resp_config_fields);

static const struct proto_field create_topics_resp_topic_fields[] = {
    PF_FIELD(struct create_topics_resp_topic, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct create_topics_resp_topic, topic_id, PF_UUID, 7, PROTO_VMAX),
    PF_FIELD(struct create_topics_resp_topic, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct create_topics_resp_topic, error_message, PF_STRING, 1, PROTO_VMAX, 0),
    PF_TAGGED(struct create_topics_resp_topic, topic_config_error_code, PF_INT16, 5, PROTO_VMAX, 0),
    PF_FIELD_D(struct create_topics_resp_topic, num_partitions, PF_INT32, 5, PROTO_VMAX, -1),
    PF_FIELD_D(struct create_topics_resp_topic, replication_factor, PF_INT16, 5, PROTO_VMAX, -1),
    PF_SARRAY_N(struct create_topics_resp_topic, configs, create_topics_resp_config_schema, 5,
                PROTO_VMAX, 5),
};
static PROTO_SCHEMA(create_topics_resp_topic_schema, struct create_topics_resp_topic,
                    create_topics_resp_topic_fields);

static const struct proto_field create_topics_resp_fields[] = {
    PF_FIELD(struct create_topics_resp, throttle_time_ms, PF_INT32, 2, PROTO_VMAX),
    PF_SARRAY(struct create_topics_resp, topics, create_topics_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_create_topics_resp_schema, struct create_topics_resp, create_topics_resp_fields);

/* ---- DeleteTopics request ---- */

static const struct proto_field delete_topics_req_topic_fields[] = {
    PF_FIELD_N(struct delete_topics_req_topic, name, PF_STRING, 6, PROTO_VMAX, 6),
    PF_FIELD(struct delete_topics_req_topic, topic_id, PF_UUID, 6, PROTO_VMAX),
};
static PROTO_SCHEMA(delete_topics_req_topic_schema, struct delete_topics_req_topic,
                    delete_topics_req_topic_fields);

static const struct proto_field delete_topics_req_fields[] = {
    PF_SARRAY(struct delete_topics_req, topics, delete_topics_req_topic_schema, 6, PROTO_VMAX),
    PF_ARRAYF(struct delete_topics_req, topic_names, PF_STRING, 0, 5),
    PF_FIELD(struct delete_topics_req, timeout_ms, PF_INT32, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_delete_topics_req_schema, struct delete_topics_req, delete_topics_req_fields);

/* ---- DeleteTopics response ---- */

static const struct proto_field delete_topics_resp_topic_fields[] = {
    PF_FIELD_N(struct delete_topics_resp_topic, name, PF_STRING, 0, PROTO_VMAX, 6),
    PF_FIELD(struct delete_topics_resp_topic, topic_id, PF_UUID, 6, PROTO_VMAX),
    PF_FIELD(struct delete_topics_resp_topic, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct delete_topics_resp_topic, error_message, PF_STRING, 5, PROTO_VMAX, 5),
};
static PROTO_SCHEMA(delete_topics_resp_topic_schema, struct delete_topics_resp_topic,
                    delete_topics_resp_topic_fields);

static const struct proto_field delete_topics_resp_fields[] = {
    PF_FIELD(struct delete_topics_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_SARRAY(struct delete_topics_resp, responses, delete_topics_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_delete_topics_resp_schema, struct delete_topics_resp, delete_topics_resp_fields);

/* ---- DescribeConfigs request ---- */

static const struct proto_field describe_configs_req_resource_fields[] = {
    PF_FIELD(struct describe_configs_req_resource, resource_type, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct describe_configs_req_resource, resource_name, PF_STRING, 0, PROTO_VMAX),
    PF_ARRAYF_N(struct describe_configs_req_resource, configuration_keys, PF_STRING, 0, PROTO_VMAX,
                0),
};
static PROTO_SCHEMA(describe_configs_req_resource_schema, struct describe_configs_req_resource,
                    describe_configs_req_resource_fields);

static const struct proto_field describe_configs_req_fields[] = {
    PF_SARRAY(struct describe_configs_req, resources, describe_configs_req_resource_schema, 0,
              PROTO_VMAX),
    PF_FIELD_D(struct describe_configs_req, include_synonyms, PF_BOOL, 1, PROTO_VMAX, 0),
    PF_FIELD_D(struct describe_configs_req, include_documentation, PF_BOOL, 3, PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_describe_configs_req_schema, struct describe_configs_req,
             describe_configs_req_fields);

/* ---- DescribeConfigs response ---- */

static const struct proto_field describe_configs_resp_synonym_fields[] = {
    PF_FIELD(struct describe_configs_resp_synonym, name, PF_STRING, 1, PROTO_VMAX),
    PF_FIELD_N(struct describe_configs_resp_synonym, value, PF_STRING, 1, PROTO_VMAX, 0),
    PF_FIELD(struct describe_configs_resp_synonym, source, PF_INT8, 1, PROTO_VMAX),
};
static PROTO_SCHEMA(describe_configs_resp_synonym_schema, struct describe_configs_resp_synonym,
                    describe_configs_resp_synonym_fields);

static const struct proto_field describe_configs_resp_config_fields[] = {
    PF_FIELD(struct describe_configs_resp_config, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_configs_resp_config, value, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD(struct describe_configs_resp_config, read_only, PF_BOOL, 0, PROTO_VMAX),
    PF_FIELD(struct describe_configs_resp_config, is_default, PF_BOOL, 0, 0),
    PF_FIELD_D(struct describe_configs_resp_config, config_source, PF_INT8, 1, PROTO_VMAX, -1),
    PF_FIELD(struct describe_configs_resp_config, is_sensitive, PF_BOOL, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_configs_resp_config, synonyms, describe_configs_resp_synonym_schema,
              1, PROTO_VMAX),
    PF_FIELD_D(struct describe_configs_resp_config, config_type, PF_INT8, 3, PROTO_VMAX, 0),
    PF_FIELD_N(struct describe_configs_resp_config, documentation, PF_STRING, 3, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(describe_configs_resp_config_schema, struct describe_configs_resp_config,
                    describe_configs_resp_config_fields);

static const struct proto_field describe_configs_resp_result_fields[] = {
    PF_FIELD(struct describe_configs_resp_result, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_configs_resp_result, error_message, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD(struct describe_configs_resp_result, resource_type, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct describe_configs_resp_result, resource_name, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_configs_resp_result, configs, describe_configs_resp_config_schema, 0,
              PROTO_VMAX),
};
static PROTO_SCHEMA(describe_configs_resp_result_schema, struct describe_configs_resp_result,
                    describe_configs_resp_result_fields);

static const struct proto_field describe_configs_resp_fields[] = {
    PF_FIELD(struct describe_configs_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_configs_resp, results, describe_configs_resp_result_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_configs_resp_schema, struct describe_configs_resp,
             describe_configs_resp_fields);

/* ---- CreatePartitions request ---- */

static const struct proto_field create_partitions_req_assignment_fields[] = {
    PF_ARRAYF(struct create_partitions_req_assignment, broker_ids, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(create_partitions_req_assignment_schema,
                    struct create_partitions_req_assignment,
                    create_partitions_req_assignment_fields);

static const struct proto_field create_partitions_req_topic_fields[] = {
    PF_FIELD(struct create_partitions_req_topic, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct create_partitions_req_topic, count, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY_N(struct create_partitions_req_topic, assignments,
                create_partitions_req_assignment_schema, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(create_partitions_req_topic_schema, struct create_partitions_req_topic,
                    create_partitions_req_topic_fields);

static const struct proto_field create_partitions_req_fields[] = {
    PF_SARRAY(struct create_partitions_req, topics, create_partitions_req_topic_schema, 0,
              PROTO_VMAX),
    PF_FIELD(struct create_partitions_req, timeout_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct create_partitions_req, validate_only, PF_BOOL, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_create_partitions_req_schema, struct create_partitions_req,
             create_partitions_req_fields);

/* ---- CreatePartitions response ---- */

static const struct proto_field create_partitions_resp_result_fields[] = {
    PF_FIELD(struct create_partitions_resp_result, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct create_partitions_resp_result, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct create_partitions_resp_result, error_message, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(create_partitions_resp_result_schema, struct create_partitions_resp_result,
                    create_partitions_resp_result_fields);

static const struct proto_field create_partitions_resp_fields[] = {
    PF_FIELD(struct create_partitions_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct create_partitions_resp, results, create_partitions_resp_result_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_create_partitions_resp_schema, struct create_partitions_resp,
             create_partitions_resp_fields);
