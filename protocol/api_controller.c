/*
 * The CONTROLLER listener's API table (api_controller.h), its ApiVersions
 * answer and frame helpers.
 */
#include "api_controller.h"

#include "err.h"
#include "kafka.h"
#include "messages.h"
#include "msg_controller.h"

#define API(K, NAME, MIN, MAX, ACCEPT, FLEX, SYM)                                                  \
    {                                                                                              \
        .key = (K), .name = (NAME), .min = (MIN), .max = (MAX), .accept_min = (ACCEPT),            \
        .flex_min = (FLEX), .req = &proto_##SYM##_req_schema, .resp = &proto_##SYM##_resp_schema   \
    }

/*
 * Ordered by key.  Version ranges are Kafka 4.0's, except Fetch, whose
 * schema (msg_produce_fetch.h) stops at version 12: enough between our own
 * nodes (topic names rather than ids; ReplicaState and directory ids of
 * v15+/v17 absent).  AlterPartition 0-1 were removed in Kafka 4.0.
 */
static const struct proto_api apis[] = {
    API(KAPI_FETCH, "Fetch", PROTO_API_CONTROLLER_FETCH_MIN, 12, PROTO_API_CONTROLLER_FETCH_MIN, 12,
        fetch),
    API(KAPI_API_VERSIONS, "ApiVersions", 0, 3, 0, 3, api_versions),
    /* Topic administration straight to controllers (KIP-919) and forwarded by brokers. */
    API(KAPI_CREATE_TOPICS, "CreateTopics", 2, 7, 2, 5, create_topics),
    API(KAPI_DELETE_TOPICS, "DeleteTopics", 1, 6, 1, 4, delete_topics),
    API(KAPI_ALTER_CONFIGS, "AlterConfigs", 0, 2, 0, 2, alter_configs),
    API(KAPI_CREATE_PARTITIONS, "CreatePartitions", 0, 3, 0, 2, create_partitions),
    /* Elections (KIP-460) and Sluice's targeted transfers (msg_elect_leaders.h). */
    API(PROTO_API_ELECT_LEADERS, "ElectLeaders", 0, 2, 0, 2, elect_leaders),
    API(KAPI_INCREMENTAL_ALTER_CONFIGS, "IncrementalAlterConfigs", 0, 1, 0, 1,
        incremental_alter_configs),
    API(KAPI_VOTE, "Vote", 0, 2, 0, 0, vote),
    API(KAPI_BEGIN_QUORUM_EPOCH, "BeginQuorumEpoch", 0, 1, 0, 1, begin_quorum_epoch),
    API(KAPI_END_QUORUM_EPOCH, "EndQuorumEpoch", 0, 1, 0, 1, end_quorum_epoch),
    API(KAPI_DESCRIBE_QUORUM, "DescribeQuorum", 0, 2, 0, 0, describe_quorum),
    API(KAPI_ALTER_PARTITION, "AlterPartition", 2, 3, 2, 0, alter_partition),
    API(KAPI_FETCH_SNAPSHOT, "FetchSnapshot", 0, 1, 0, 0, fetch_snapshot),
    /* Controllers list themselves with endpoint type 2 (KIP-919). */
    API(KAPI_DESCRIBE_CLUSTER, "DescribeCluster", 0, 1, 0, 0, describe_cluster),
    API(KAPI_BROKER_REGISTRATION, "BrokerRegistration", 0, 4, 0, 0, broker_registration),
    API(KAPI_BROKER_HEARTBEAT, "BrokerHeartbeat", 0, 1, 0, 0, broker_heartbeat),
    /* Producer id blocks for brokers that are not the controller (KIP-730). */
    API(KAPI_ALLOCATE_PRODUCER_IDS, "AllocateProducerIds", 0, 0, 0, 0, allocate_producer_ids),
    /* ControllerRegistration (70, KIP-919) has a schema but is not served yet, so it is
     * not advertised. */
};

#define NAPIS (sizeof(apis) / sizeof(apis[0]))

const struct proto_api *proto_api_controller_find(int16_t key)
{
    for (size_t i = 0; i < NAPIS; i++)
        if (apis[i].key == key)
            return &apis[i];
    return NULL;
}

bool proto_api_controller_is_flexible(int16_t key, int16_t version)
{
    return proto_api_entry_is_flexible(proto_api_controller_find(key), version);
}

bool proto_api_controller_version_supported(int16_t key, int16_t version)
{
    return proto_api_entry_serves(proto_api_controller_find(key), version);
}

size_t proto_api_controller_count(void)
{
    return NAPIS;
}

const struct proto_api *proto_api_controller_at(size_t i)
{
    return i < NAPIS ? &apis[i] : NULL;
}

void proto_api_controller_versions_fill(struct api_versions_resp *resp, struct arena *a)
{
    proto_api_versions_fill_from(resp, apis, NAPIS, a);
}

/*
 * A whole frame: the request header h (NULL: a response header with
 * correlation_id), then body in the entry's request or response schema.
 */
static int frame_encode(struct proto_out *o, int16_t api_key, int16_t version,
                        const struct proto_req_header *h, int32_t correlation_id, const void *body)
{
    const struct proto_api *api = proto_api_controller_find(api_key);
    if (!api || version < api->min || version > api->max || !body)
        return SL_EINVAL;
    bool flex = version >= api->flex_min;
    struct proto_frame_mark m;
    proto_frame_begin(o, &m);
    if (h)
        proto_req_header_write(o, h, flex);
    else /* ApiVersions responses always carry header v0 (KIP-511). */
        proto_resp_header_write(o, correlation_id, flex && api_key != KAPI_API_VERSIONS);
    int rc = proto_encode(h ? api->req : api->resp, version, flex, body, o);
    if (rc) {
        proto_frame_abort(o, &m);
        return rc;
    }
    return proto_frame_end(o, &m);
}

int proto_api_controller_resp_frame_encode(struct proto_out *o, int16_t api_key,
                                           int16_t api_version, int32_t correlation_id,
                                           const void *body)
{
    return frame_encode(o, api_key, api_version, NULL, correlation_id, body);
}

int proto_api_controller_req_frame_encode(struct proto_out *o, const struct proto_req_header *h,
                                          const void *body)
{
    return frame_encode(o, h->api_key, h->api_version, h, 0, body);
}
