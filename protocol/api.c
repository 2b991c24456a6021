/*
 * The API tables of both listeners (api.h, api_controller.h) and the
 * ApiVersions answers built from them.
 */
#include "api.h"

#include "err.h"
#include "frame.h"
#include "kafka.h"
#include "api_controller.h"
#include "messages.h"
#include "msg_controller.h"

/* A row at index K of a by-key table. */
#define API(K, NAME, MIN, MAX, ACCEPT, FLEX, SYM)                                                  \
    [K] = {.key = (K),                                                                             \
           .name = (NAME),                                                                         \
           .min = (MIN),                                                                           \
           .max = (MAX),                                                                           \
           .accept_min = (ACCEPT),                                                                 \
           .flex_min = (FLEX),                                                                     \
           .req = &proto_##SYM##_req_schema,                                                       \
           .resp = &proto_##SYM##_resp_schema}

/*
 * Rows both listeners serve alike: ApiVersions, DescribeCluster, and what
 * brokers forward to the controller (KIP-590, KIP-919), so a forwarded
 * request is served at the version its client chose.
 */
#define ROW_API_VERSIONS  API(KAPI_API_VERSIONS, "ApiVersions", 0, 3, 0, 3, api_versions)
#define ROW_CREATE_TOPICS API(KAPI_CREATE_TOPICS, "CreateTopics", 2, 7, 2, 5, create_topics)
#define ROW_DELETE_TOPICS API(KAPI_DELETE_TOPICS, "DeleteTopics", 1, 6, 1, 4, delete_topics)
#define ROW_ALTER_CONFIGS API(KAPI_ALTER_CONFIGS, "AlterConfigs", 0, 2, 0, 2, alter_configs)
#define ROW_CREATE_PARTITIONS                                                                      \
    API(KAPI_CREATE_PARTITIONS, "CreatePartitions", 0, 3, 0, 2, create_partitions)
#define ROW_ELECT_LEADERS API(PROTO_API_ELECT_LEADERS, "ElectLeaders", 0, 2, 0, 2, elect_leaders)
#define ROW_INCREMENTAL_ALTER_CONFIGS                                                              \
    API(KAPI_INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs", 0, 1, 0, 1,                     \
        incremental_alter_configs)
#define ROW_DESCRIBE_CLUSTER                                                                       \
    API(KAPI_DESCRIBE_CLUSTER, "DescribeCluster", 0, 1, 0, 0, describe_cluster)

/*
 * The client listeners.  Produce is advertised from 0 although 0-2 are
 * refused: librdkafka 2.0.2 enables gzip/snappy only when Produce 0 is in
 * range (KAFKA-18659; Kafka 4.0 does the same).  FindCoordinator is
 * advertised from 0 because librdkafka 2.0.2 enables LZ4 only then.
 * JoinGroup is advertised from 0 because librdkafka 2.0.2 checks JoinGroup 0
 * for SASL GSSAPI, and Kafka 4.0.1 restored versions 0-1 (KAFKA-19444).
 */
static const struct proto_api client_rows[KAPI_MAX_KEY + 1] = {
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
    ROW_API_VERSIONS,
    ROW_CREATE_TOPICS,
    ROW_DELETE_TOPICS,
    API(KAPI_INIT_PRODUCER_ID, "InitProducerId", 0, 4, 0, 2, init_producer_id),
    API(KAPI_OFFSET_FOR_LEADER_EPOCH, "OffsetForLeaderEpoch", 2, 4, 2, 4, offset_for_leader_epoch),
    API(KAPI_DESCRIBE_CONFIGS, "DescribeConfigs", 0, 4, 0, 4, describe_configs),
    ROW_ALTER_CONFIGS,
    API(PROTO_API_DESCRIBE_LOG_DIRS, "DescribeLogDirs", 0, 4, 0, 2, describe_log_dirs),
    ROW_CREATE_PARTITIONS,
    API(KAPI_DELETE_GROUPS, "DeleteGroups", 0, 2, 0, 2, delete_groups),
    ROW_ELECT_LEADERS,
    ROW_INCREMENTAL_ALTER_CONFIGS,
    /* OffsetDelete has no flexible version. */
    API(PROTO_API_OFFSET_DELETE, "OffsetDelete", 0, 0, 0, PROTO_VMAX, offset_delete),
    ROW_DESCRIBE_CLUSTER,
    API(PROTO_API_DESCRIBE_PRODUCERS, "DescribeProducers", 0, 0, 0, 0, describe_producers),
};

/*
 * The CONTROLLER listener (api_controller.h).  Version ranges are Kafka
 * 4.0's, except Fetch, whose schema (msg_produce_fetch.h) stops at version
 * 12: enough between our own nodes (topic names rather than ids;
 * ReplicaState and directory ids of v15+/v17 absent).  AlterPartition 0-1
 * were removed in Kafka 4.0.
 */
static const struct proto_api controller_rows[KAPI_MAX_KEY + 1] = {
    API(KAPI_FETCH, "Fetch", PROTO_API_CONTROLLER_FETCH_MIN, 12, PROTO_API_CONTROLLER_FETCH_MIN, 12,
        fetch),
    ROW_API_VERSIONS,
    /* Topic administration straight to controllers (KIP-919) and forwarded by brokers. */
    ROW_CREATE_TOPICS, ROW_DELETE_TOPICS, ROW_ALTER_CONFIGS, ROW_CREATE_PARTITIONS,
    /* Elections (KIP-460) and Sluice's targeted transfers (msg_elect_leaders.h). */
    ROW_ELECT_LEADERS, ROW_INCREMENTAL_ALTER_CONFIGS, API(KAPI_VOTE, "Vote", 0, 2, 0, 0, vote),
    API(KAPI_BEGIN_QUORUM_EPOCH, "BeginQuorumEpoch", 0, 1, 0, 1, begin_quorum_epoch),
    API(KAPI_END_QUORUM_EPOCH, "EndQuorumEpoch", 0, 1, 0, 1, end_quorum_epoch),
    API(KAPI_DESCRIBE_QUORUM, "DescribeQuorum", 0, 2, 0, 0, describe_quorum),
    API(KAPI_ALTER_PARTITION, "AlterPartition", 2, 3, 2, 0, alter_partition),
    API(KAPI_FETCH_SNAPSHOT, "FetchSnapshot", 0, 1, 0, 0, fetch_snapshot),
    /* Controllers list themselves with endpoint type 2 (KIP-919). */
    ROW_DESCRIBE_CLUSTER,
    API(KAPI_BROKER_REGISTRATION, "BrokerRegistration", 0, 4, 0, 0, broker_registration),
    API(KAPI_BROKER_HEARTBEAT, "BrokerHeartbeat", 0, 1, 0, 0, broker_heartbeat),
    /* Producer id blocks for brokers that are not the controller (KIP-730). */
    API(KAPI_ALLOCATE_PRODUCER_IDS, "AllocateProducerIds", 0, 0, 0, 0, allocate_producer_ids),
    /* ControllerRegistration (70, KIP-919) has a schema but is not served yet, so it is
     * not advertised. */
};

const struct proto_api_table proto_client_apis = {"client", client_rows, proto_api_is_flexible};
const struct proto_api_table proto_controller_apis = {"controller", controller_rows,
                                                      proto_api_controller_is_flexible};

const struct proto_api *proto_api_table_find(const struct proto_api_table *t, int16_t key)
{
    if (key < 0 || key > KAPI_MAX_KEY || !t->by_key[key].name)
        return NULL;
    return &t->by_key[key];
}

bool proto_api_table_is_flexible(const struct proto_api_table *t, int16_t key, int16_t version)
{
    const struct proto_api *api = proto_api_table_find(t, key);
    return api && version >= api->min && version <= api->max && version >= api->flex_min;
}

bool proto_api_table_version_supported(const struct proto_api_table *t, int16_t key,
                                       int16_t version)
{
    const struct proto_api *api = proto_api_table_find(t, key);
    return api && version >= api->accept_min && version <= api->max;
}

size_t proto_api_table_count(const struct proto_api_table *t)
{
    size_t n = 0;
    for (int k = 0; k <= KAPI_MAX_KEY; k++)
        n += t->by_key[k].name != NULL;
    return n;
}

const struct proto_api *proto_api_table_at(const struct proto_api_table *t, size_t i)
{
    for (int k = 0; k <= KAPI_MAX_KEY; k++)
        if (t->by_key[k].name && i-- == 0)
            return &t->by_key[k];
    return NULL;
}

const struct proto_api *proto_api_find(int16_t key)
{
    return proto_api_table_find(&proto_client_apis, key);
}

bool proto_api_is_flexible(int16_t key, int16_t version)
{
    return proto_api_table_is_flexible(&proto_client_apis, key, version);
}

bool proto_api_controller_is_flexible(int16_t key, int16_t version)
{
    return proto_api_table_is_flexible(&proto_controller_apis, key, version);
}

static void api_versions_init(struct api_versions_resp *resp)
{
    *resp = (struct api_versions_resp){0};
    resp->finalized_features_epoch = -1;
}

void proto_api_table_versions_fill(const struct proto_api_table *t, struct api_versions_resp *resp,
                                   struct arena *a)
{
    api_versions_init(resp);
    size_t n = proto_api_table_count(t), i = 0;
    struct api_versions_resp_api_version *v = arena_alloc(a, n * sizeof(*v));
    for (int k = 0; k <= KAPI_MAX_KEY; k++) {
        const struct proto_api *api = &t->by_key[k];
        if (!api->name)
            continue;
        v[i].api_key = api->key;
        v[i].min_version = api->min;
        v[i].max_version = api->max;
        i++;
    }
    resp->api_keys.n = (int32_t)n;
    resp->api_keys.v = v;
}

void proto_api_table_versions_unsupported(const struct proto_api_table *t,
                                          struct api_versions_resp *resp, struct arena *a)
{
    const struct proto_api *api = proto_api_table_find(t, KAPI_API_VERSIONS);
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
