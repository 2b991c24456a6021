/*
 * ApiVersions (key 18, versions 0-3 served, flexible from 3): the request a
 * client sends first to learn which API versions the broker speaks, and the
 * answer built from the API table (api.h).
 *
 * Request: v0-v2 are empty; v3 adds client_software_name and
 * client_software_version (KIP-511), both non-nullable compact strings.
 *
 * Response: error_code and api_keys in every version, throttle_time_ms from
 * v1, and from v3 four tagged fields (KIP-584 feature versioning):
 * supported_features (tag 0), finalized_features_epoch (tag 1, default -1),
 * finalized_features (tag 2) and zk_migration_ready (tag 3, default false).
 * The response header is always v0, even when the body is flexible, and an
 * UNSUPPORTED_VERSION answer is encoded as v0 (KIP-511; see api.h).
 */
#ifndef SLUICE_MSG_API_VERSIONS_H
#define SLUICE_MSG_API_VERSIONS_H

#include "codec.h"

/* client_software_name / client_software_version: v3+ (null kstr below v3). */
struct api_versions_req {
    struct kstr client_software_name;
    struct kstr client_software_version;
};

/* ApiVersion: one API key and the version range served for it. */
struct api_versions_resp_api_version {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
};

/* SupportedFeatureKey (v3+, tagged): a feature and the levels this node supports. */
struct api_versions_resp_supported_feature_key {
    struct kstr name;
    int16_t min_version;
    int16_t max_version;
};

/* FinalizedFeatureKey (v3+, tagged): a cluster-wide finalized feature level. */
struct api_versions_resp_finalized_feature_key {
    struct kstr name;
    int16_t max_version_level;
    int16_t min_version_level;
};

/*
 * throttle_time_ms v1+ (0 below).  supported_features (tag 0),
 * finalized_features_epoch (tag 1, default -1), finalized_features (tag 2)
 * and zk_migration_ready (tag 3) exist from v3 and are written only when not
 * default.
 */
struct api_versions_resp {
    int16_t error_code;
    KARR(struct api_versions_resp_api_version) api_keys;
    int32_t throttle_time_ms;
    KARR(struct api_versions_resp_supported_feature_key) supported_features;
    int64_t finalized_features_epoch;
    KARR(struct api_versions_resp_finalized_feature_key) finalized_features;
    bool zk_migration_ready;
};

extern const struct proto_schema proto_api_versions_req_schema, proto_api_versions_resp_schema;

#endif
