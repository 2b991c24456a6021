/*
 * Codec schemas for AlterConfigs (33) and IncrementalAlterConfigs (44): one
 * field table per struct level, from the version ranges of Kafka's message
 * definitions (every field is present from version 0; only the flexible
 * encoding changes, from v2 and v1 respectively).
 */
#include "msg_configs.h"

/* ---- AlterConfigs request ---- */

static const struct proto_field alter_configs_req_config_fields[] = {
    PF_FIELD(struct alter_configs_req_config, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct alter_configs_req_config, value, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(alter_configs_req_config_schema, struct alter_configs_req_config,
                    alter_configs_req_config_fields);

static const struct proto_field alter_configs_req_resource_fields[] = {
    PF_FIELD(struct alter_configs_req_resource, resource_type, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct alter_configs_req_resource, resource_name, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct alter_configs_req_resource, configs, alter_configs_req_config_schema, 0,
              PROTO_VMAX),
};
static PROTO_SCHEMA(alter_configs_req_resource_schema, struct alter_configs_req_resource,
                    alter_configs_req_resource_fields);

static const struct proto_field alter_configs_req_fields[] = {
    PF_SARRAY(struct alter_configs_req, resources, alter_configs_req_resource_schema, 0,
              PROTO_VMAX),
    PF_FIELD(struct alter_configs_req, validate_only, PF_BOOL, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_alter_configs_req_schema, struct alter_configs_req, alter_configs_req_fields);

/* ---- IncrementalAlterConfigs request ---- */

static const struct proto_field incremental_alter_configs_req_config_fields[] = {
    PF_FIELD(struct incremental_alter_configs_req_config, name, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct incremental_alter_configs_req_config, config_operation, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD_N(struct incremental_alter_configs_req_config, value, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(incremental_alter_configs_req_config_schema,
                    struct incremental_alter_configs_req_config,
                    incremental_alter_configs_req_config_fields);

static const struct proto_field incremental_alter_configs_req_resource_fields[] = {
    PF_FIELD(struct incremental_alter_configs_req_resource, resource_type, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct incremental_alter_configs_req_resource, resource_name, PF_STRING, 0,
             PROTO_VMAX),
    PF_SARRAY(struct incremental_alter_configs_req_resource, configs,
              incremental_alter_configs_req_config_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(incremental_alter_configs_req_resource_schema,
                    struct incremental_alter_configs_req_resource,
                    incremental_alter_configs_req_resource_fields);

static const struct proto_field incremental_alter_configs_req_fields[] = {
    PF_SARRAY(struct incremental_alter_configs_req, resources,
              incremental_alter_configs_req_resource_schema, 0, PROTO_VMAX),
    PF_FIELD(struct incremental_alter_configs_req, validate_only, PF_BOOL, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_incremental_alter_configs_req_schema, struct incremental_alter_configs_req,
             incremental_alter_configs_req_fields);

/* ---- the shared response ---- */

static const struct proto_field alter_configs_resp_result_fields[] = {
    PF_FIELD(struct alter_configs_resp_result, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct alter_configs_resp_result, error_message, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD(struct alter_configs_resp_result, resource_type, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct alter_configs_resp_result, resource_name, PF_STRING, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(alter_configs_resp_result_schema, struct alter_configs_resp_result,
                    alter_configs_resp_result_fields);

static const struct proto_field alter_configs_resp_fields[] = {
    PF_FIELD(struct alter_configs_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct alter_configs_resp, responses, alter_configs_resp_result_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_alter_configs_resp_schema, struct alter_configs_resp, alter_configs_resp_fields);
PROTO_SCHEMA(proto_incremental_alter_configs_resp_schema, struct alter_configs_resp,
             alter_configs_resp_fields);
