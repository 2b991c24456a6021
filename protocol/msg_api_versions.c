/*
 * Codec schemas for ApiVersions (key 18) request and response; see
 * msg_api_versions.h for the field versions.
 */
#include "msg_api_versions.h"

/* A tagged array of structs (KIP-482): PF_SARRAY plus a tag. */
#define AV_TAGGED_SARRAY(ST, F, SUB, V0, TAG)                                                      \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = PF_STRUCT, .vmin = (V0), .vmax = PROTO_VMAX,    \
        .null_vmin = PROTO_VMAX, .tag = (TAG), .offset = offsetof(ST, F),                          \
        .elem_size = sizeof(*((ST *)0)->F.v), .sub = &(SUB)                                        \
    }

static const struct proto_field api_versions_req_fields[] = {
    PF_FIELD(struct api_versions_req, client_software_name, PF_STRING, 3, PROTO_VMAX),
    PF_FIELD(struct api_versions_req, client_software_version, PF_STRING, 3, PROTO_VMAX),
};
PROTO_SCHEMA(proto_api_versions_req_schema, struct api_versions_req, api_versions_req_fields);

static const struct proto_field api_version_fields[] = {
    PF_FIELD(struct api_versions_resp_api_version, api_key, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct api_versions_resp_api_version, min_version, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct api_versions_resp_api_version, max_version, PF_INT16, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(api_version_schema, struct api_versions_resp_api_version, api_version_fields);

static const struct proto_field supported_feature_fields[] = {
    PF_FIELD(struct api_versions_resp_supported_feature_key, name, PF_STRING, 3, PROTO_VMAX),
    PF_FIELD(struct api_versions_resp_supported_feature_key, min_version, PF_INT16, 3, PROTO_VMAX),
    PF_FIELD(struct api_versions_resp_supported_feature_key, max_version, PF_INT16, 3, PROTO_VMAX),
};
static PROTO_SCHEMA(supported_feature_schema, struct api_versions_resp_supported_feature_key,
                    supported_feature_fields);

static const struct proto_field finalized_feature_fields[] = {
    PF_FIELD(struct api_versions_resp_finalized_feature_key, name, PF_STRING, 3, PROTO_VMAX),
    PF_FIELD(struct api_versions_resp_finalized_feature_key, max_version_level, PF_INT16, 3,
             PROTO_VMAX),
    PF_FIELD(struct api_versions_resp_finalized_feature_key, min_version_level, PF_INT16, 3,
             PROTO_VMAX),
};
static PROTO_SCHEMA(finalized_feature_schema, struct api_versions_resp_finalized_feature_key,
                    finalized_feature_fields);

static const struct proto_field api_versions_resp_fields[] = {
    PF_FIELD(struct api_versions_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_SARRAY(struct api_versions_resp, api_keys, api_version_schema, 0, PROTO_VMAX),
    PF_FIELD(struct api_versions_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    AV_TAGGED_SARRAY(struct api_versions_resp, supported_features, supported_feature_schema, 3, 0),
    {.name = "finalized_features_epoch",
     .type = PF_INT64,
     .vmin = 3,
     .vmax = PROTO_VMAX,
     .null_vmin = PROTO_VMAX,
     .tag = 1,
     .offset = offsetof(struct api_versions_resp, finalized_features_epoch),
     .dflt = -1},
    AV_TAGGED_SARRAY(struct api_versions_resp, finalized_features, finalized_feature_schema, 3, 2),
    PF_TAGGED(struct api_versions_resp, zk_migration_ready, PF_BOOL, 3, PROTO_VMAX, 3),
};
PROTO_SCHEMA(proto_api_versions_resp_schema, struct api_versions_resp, api_versions_resp_fields);
