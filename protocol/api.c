/*
 * The served-API table (api.h) and ApiVersions answers built from it.
 */
#include "api.h"

#include "err.h"
#include "frame.h"
#include "kafka.h"
#include "messages.h"

#define API(K, NAME, MIN, MAX, ACCEPT, FLEX, SYM)                                                  \
    {                                                                                              \
        .key = (K), .name = (NAME), .min = (MIN), .max = (MAX), .accept_min = (ACCEPT),            \
        .flex_min = (FLEX), .req = &proto_##SYM##_req_schema, .resp = &proto_##SYM##_resp_schema   \
    }

/*
 * Ordered by key.  Produce is advertised from 0 although 0-2 are refused:
 * librdkafka 2.0.2 enables gzip/snappy only when Produce 0 is in range
 * (KAFKA-18659; Kafka 4.0 does the same).  FindCoordinator is advertised
 * from 0 because librdkafka 2.0.2 enables LZ4 only then.  JoinGroup is
 * advertised from 0 because librdkafka 2.0.2 checks JoinGroup 0 for SASL
 * GSSAPI, and Kafka 4.0.1 restored versions 0-1 (KAFKA-19444).
 */
static const struct proto_api apis[] = {
    API(KAPI_PRODUCE, "Produce", 0, 9, 3, 9, produce),
    API(KAPI_FETCH, "Fetch", 4, 12, 4, 12, fetch),
    API(KAPI_LIST_OFFSETS, "ListOffsets", 1, 7, 1, 6, list_offsets),
    API(KAPI_METADATA, "Metadata", 0, 12, 0, 9, metadata),
    API(KAPI_OFFSET_COMMIT, "OffsetCommit", 2, 9, 2, 8, offset_commit),
    API(KAPI_OFFSET_FETCH, "OffsetFetch", 1, 9, 1, 6, offset_fetch),
    API(KAPI_FIND_COORDINATOR, "FindCoordinator", 0, 4, 0, 3, find_coordinator),
    API(KAPI_JOIN_GROUP, "JoinGroup", 0, 9, 0, 6, join_group),
    API(KAPI_HEARTBEAT, "Heartbeat", 0, 4, 0, 4, heartbeat),
    API(KAPI_LEAVE_GROUP, "LeaveGroup", 0, 5, 0, 4, leave_group),
    API(KAPI_SYNC_GROUP, "SyncGroup", 0, 5, 0, 4, sync_group),
    API(KAPI_DESCRIBE_GROUPS, "DescribeGroups", 0, 5, 0, 5, describe_groups),
    API(KAPI_LIST_GROUPS, "ListGroups", 0, 5, 0, 3, list_groups),
    API(KAPI_API_VERSIONS, "ApiVersions", 0, 3, 0, 3, api_versions),
    API(KAPI_CREATE_TOPICS, "CreateTopics", 2, 7, 2, 5, create_topics),
    API(KAPI_DELETE_TOPICS, "DeleteTopics", 1, 6, 1, 4, delete_topics),
    API(KAPI_INIT_PRODUCER_ID, "InitProducerId", 0, 4, 0, 2, init_producer_id),
    API(KAPI_OFFSET_FOR_LEADER_EPOCH, "OffsetForLeaderEpoch", 2, 4, 2, 4, offset_for_leader_epoch),
    API(KAPI_DESCRIBE_CONFIGS, "DescribeConfigs", 0, 4, 0, 4, describe_configs),
    API(KAPI_ALTER_CONFIGS, "AlterConfigs", 0, 2, 0, 2, alter_configs),
    API(PROTO_API_DESCRIBE_LOG_DIRS, "DescribeLogDirs", 0, 4, 0, 2, describe_log_dirs),
    API(KAPI_CREATE_PARTITIONS, "CreatePartitions", 0, 3, 0, 2, create_partitions),
    API(KAPI_DELETE_GROUPS, "DeleteGroups", 0, 2, 0, 2, delete_groups),
    API(PROTO_API_ELECT_LEADERS, "ElectLeaders", 0, 2, 0, 2, elect_leaders),
    API(KAPI_INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs", 0, 1, 0, 1,
        incremental_alter_configs),
    /* OffsetDelete has no flexible version. */
    API(PROTO_API_OFFSET_DELETE, "OffsetDelete", 0, 0, 0, PROTO_VMAX, offset_delete),
    API(KAPI_DESCRIBE_CLUSTER, "DescribeCluster", 0, 1, 0, 0, describe_cluster),
    API(PROTO_API_DESCRIBE_PRODUCERS, "DescribeProducers", 0, 0, 0, 0, describe_producers),
};

#define NAPIS (sizeof(apis) / sizeof(apis[0]))

/* Key -> index + 1 (0: not served); keys are small, see KAPI_MAX_KEY. */
static const uint8_t index_by_key[KAPI_MAX_KEY + 1] = {
    [KAPI_PRODUCE] = 1,
    [KAPI_FETCH] = 2,
    [KAPI_LIST_OFFSETS] = 3,
    [KAPI_METADATA] = 4,
    [KAPI_OFFSET_COMMIT] = 5,
    [KAPI_OFFSET_FETCH] = 6,
    [KAPI_FIND_COORDINATOR] = 7,
    [KAPI_JOIN_GROUP] = 8,
    [KAPI_HEARTBEAT] = 9,
    [KAPI_LEAVE_GROUP] = 10,
    [KAPI_SYNC_GROUP] = 11,
    [KAPI_DESCRIBE_GROUPS] = 12,
    [KAPI_LIST_GROUPS] = 13,
    [KAPI_API_VERSIONS] = 14,
    [KAPI_CREATE_TOPICS] = 15,
    [KAPI_DELETE_TOPICS] = 16,
    [KAPI_INIT_PRODUCER_ID] = 17,
    [KAPI_OFFSET_FOR_LEADER_EPOCH] = 18,
    [KAPI_DESCRIBE_CONFIGS] = 19,
    [KAPI_ALTER_CONFIGS] = 20,
    [PROTO_API_DESCRIBE_LOG_DIRS] = 21,
    [KAPI_CREATE_PARTITIONS] = 22,
    [KAPI_DELETE_GROUPS] = 23,
    [PROTO_API_ELECT_LEADERS] = 24,
    [KAPI_INCREMENTAL_ALTER_CONFIGS] = 25,
    [PROTO_API_OFFSET_DELETE] = 26,
    [KAPI_DESCRIBE_CLUSTER] = 27,
    [PROTO_API_DESCRIBE_PRODUCERS] = 28,
};

const struct proto_api *proto_api_find(int16_t key)
{
    if (key < 0 || key > KAPI_MAX_KEY || index_by_key[key] == 0)
        return NULL;
    return &apis[index_by_key[key] - 1];
}

bool proto_api_entry_is_flexible(const struct proto_api *api, int16_t version)
{
    return api && version >= api->min && version <= api->max && version >= api->flex_min;
}

bool proto_api_entry_serves(const struct proto_api *api, int16_t version)
{
    return api && version >= api->accept_min && version <= api->max;
}

bool proto_api_is_flexible(int16_t key, int16_t version)
{
    return proto_api_entry_is_flexible(proto_api_find(key), version);
}

bool proto_api_version_supported(int16_t key, int16_t version)
{
    return proto_api_entry_serves(proto_api_find(key), version);
}

size_t proto_api_count(void)
{
    return NAPIS;
}

const struct proto_api *proto_api_at(size_t i)
{
    return i < NAPIS ? &apis[i] : NULL;
}

static void api_versions_init(struct api_versions_resp *resp)
{
    *resp = (struct api_versions_resp){0};
    resp->finalized_features_epoch = -1;
}

void proto_api_versions_fill_from(struct api_versions_resp *resp, const struct proto_api *table,
                                  size_t n, struct arena *a)
{
    api_versions_init(resp);
    struct api_versions_resp_api_version *v = arena_alloc(a, n * sizeof(*v));
    for (size_t i = 0; i < n; i++) {
        v[i].api_key = table[i].key;
        v[i].min_version = table[i].min;
        v[i].max_version = table[i].max;
    }
    resp->api_keys.n = (int32_t)n;
    resp->api_keys.v = v;
}

void proto_api_versions_fill(struct api_versions_resp *resp, struct arena *a)
{
    proto_api_versions_fill_from(resp, apis, NAPIS, a);
}

void proto_api_versions_unsupported(struct api_versions_resp *resp, struct arena *a)
{
    const struct proto_api *api = proto_api_find(KAPI_API_VERSIONS);
    api_versions_init(resp);
    resp->error_code = KERR_UNSUPPORTED_VERSION;
    struct api_versions_resp_api_version *v = arena_alloc(a, sizeof(*v));
    v->api_key = KAPI_API_VERSIONS;
    v->min_version = api->min;
    v->max_version = api->max;
    resp->api_keys.n = 1;
    resp->api_keys.v = v;
}

int proto_api_versions_unsupported_encode(struct proto_out *o, int32_t correlation_id)
{
    const struct proto_api *api = proto_api_find(KAPI_API_VERSIONS);
    struct api_versions_resp_api_version v = {
        .api_key = KAPI_API_VERSIONS, .min_version = api->min, .max_version = api->max};
    struct api_versions_resp resp = {.error_code = KERR_UNSUPPORTED_VERSION,
                                     .finalized_features_epoch = -1};
    resp.api_keys.n = 1;
    resp.api_keys.v = &v;
    return proto_resp_frame_encode(o, KAPI_API_VERSIONS, 0, correlation_id,
                                   &proto_api_versions_resp_schema, &resp);
}
