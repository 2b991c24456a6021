/*
 * C structs and codec schemas for changing configurations: AlterConfigs
 * (key 33, versions 0-2, flexible from 2) and IncrementalAlterConfigs (key
 * 44, versions 0-1, flexible from 1; KIP-339).  Both responses have the
 * same shape, so both response schemas decode into struct alter_configs_resp.
 *
 * Field names follow Kafka's message JSON in snake_case; every field exists
 * in every version we serve.
 */
#ifndef SLUICE_MSG_CONFIGS_H
#define SLUICE_MSG_CONFIGS_H

#include <stdbool.h>

#include "codec.h"

/* ---- AlterConfigs (33) request ---- */

/* AlterableConfig.  value nullable. */
struct alter_configs_req_config {
    struct kstr name;
    struct kstr value;
};

/* AlterConfigsResource.  resource_type: 2 topic, 4 broker, 8 broker logger. */
struct alter_configs_req_resource {
    int8_t resource_type;
    struct kstr resource_name;
    KARR(struct alter_configs_req_config) configs;
};

struct alter_configs_req {
    KARR(struct alter_configs_req_resource) resources;
    bool validate_only;
};

/* ---- IncrementalAlterConfigs (44) request ---- */

/*
 * AlterableConfig.  config_operation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT
 * (KIP-339); value nullable.
 */
struct incremental_alter_configs_req_config {
    struct kstr name;
    int8_t config_operation;
    struct kstr value;
};

struct incremental_alter_configs_req_resource {
    int8_t resource_type;
    struct kstr resource_name;
    KARR(struct incremental_alter_configs_req_config) configs;
};

struct incremental_alter_configs_req {
    KARR(struct incremental_alter_configs_req_resource) resources;
    bool validate_only;
};

/* ---- AlterConfigs (33) and IncrementalAlterConfigs (44) responses ---- */

/* AlterConfigsResourceResponse.  error_message nullable. */
struct alter_configs_resp_result {
    int16_t error_code;
    struct kstr error_message;
    int8_t resource_type;
    struct kstr resource_name;
};

struct alter_configs_resp {
    int32_t throttle_time_ms;
    KARR(struct alter_configs_resp_result) responses;
};

extern const struct proto_schema proto_alter_configs_req_schema, proto_alter_configs_resp_schema;
/* The response schema decodes into struct alter_configs_resp. */
extern const struct proto_schema proto_incremental_alter_configs_req_schema,
    proto_incremental_alter_configs_resp_schema;

#endif
