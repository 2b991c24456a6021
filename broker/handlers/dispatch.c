/*
 * API dispatch table (dispatch.h): API key -> handler.
 */
#include "dispatch.h"

#include <string.h>

#include "api.h"
#include "api_controller.h"
#include "group_handlers.h"
#include "broker.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "msg_elect_leaders.h"
#include "request.h"

typedef void (*handler_fn)(struct request *req);

static handler_fn handler_for(int16_t key)
{
    switch (key) {
    case KAPI_API_VERSIONS:
        return handle_api_versions;
    case KAPI_METADATA:
        return handle_metadata;
    case KAPI_PRODUCE:
        return handle_produce;
    case KAPI_FETCH:
        return handle_fetch;
    case KAPI_LIST_OFFSETS:
        return handle_list_offsets;
    case KAPI_CREATE_TOPICS:
        return handle_create_topics;
    case KAPI_DELETE_TOPICS:
        return handle_delete_topics;
    case KAPI_CREATE_PARTITIONS:
        return handle_create_partitions;
    case KAPI_DESCRIBE_CONFIGS:
        return handle_describe_configs;
    case KAPI_ALTER_CONFIGS:
        return handle_alter_configs;
    case KAPI_INCREMENTAL_ALTER_CONFIGS:
        return handle_incremental_alter_configs;
    case KAPI_INIT_PRODUCER_ID:
        return handle_init_producer_id;
    case KAPI_DESCRIBE_CLUSTER:
        return handle_describe_cluster;
    case KAPI_FIND_COORDINATOR:
        return handle_find_coordinator;
    case KAPI_OFFSET_FOR_LEADER_EPOCH:
        return handle_offset_for_leader_epoch;
    case KAPI_OFFSET_COMMIT:
        return handle_offset_commit;
    case KAPI_OFFSET_FETCH:
        return handle_offset_fetch;
    case KAPI_JOIN_GROUP:
        return handle_join_group;
    case KAPI_HEARTBEAT:
        return handle_heartbeat;
    case KAPI_LEAVE_GROUP:
        return handle_leave_group;
    case KAPI_SYNC_GROUP:
        return handle_sync_group;
    case KAPI_DESCRIBE_GROUPS:
        return handle_describe_groups;
    case KAPI_LIST_GROUPS:
        return handle_list_groups;
    case KAPI_DELETE_GROUPS:
        return handle_delete_groups;
    case PROTO_API_OFFSET_DELETE:
        return handle_offset_delete;
    case PROTO_API_ELECT_LEADERS:
        return handle_elect_leaders;
    case PROTO_API_DESCRIBE_LOG_DIRS:
        return handle_describe_log_dirs;
    case PROTO_API_DESCRIBE_PRODUCERS:
        return handle_describe_producers;
    default:
        return NULL;
    }
}

const struct api_table broker_client_apis = {
    proto_api_find,  proto_api_is_flexible, proto_api_version_supported,
    proto_api_count, proto_api_at,
};

const struct api_table broker_controller_apis = {
    proto_api_controller_find,
    proto_api_controller_is_flexible,
    proto_api_controller_version_supported,
    proto_api_controller_count,
    proto_api_controller_at,
};

void broker_dispatch(struct request *req)
{
    int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
    const struct proto_api *api = req->apis->find(key);
    handler_fn fn = NULL;
    if (req->apis == &broker_client_apis)
        fn = handler_for(key);
    else if (key == KAPI_API_VERSIONS)
        fn = handle_api_versions;
    else if (api)
        fn = req->node->controller_rpc;
    if (!api || !fn) {
        /* Kafka closes the connection on an API key it does not know. */
        LOG_DEBUG("broker", "unknown API key %d", key);
        request_close_connection(req, "unknown API key");
        return;
    }
    /* ApiVersions answers any version (KIP-511); other APIs outside the advertised
     * range cannot be parsed and Kafka closes the connection. */
    if (key != KAPI_API_VERSIONS && (ver < api->min || ver > api->max)) {
        LOG_DEBUG("broker", "%s v%d is not supported", api->name, ver);
        request_close_connection(req, "unsupported API version");
        return;
    }
    fn(req);
}

/*
 * Decodes the request body like Kafka's generated parsers: fields are read in
 * order and whatever follows the body is ignored (Kafka never checks that the
 * buffer was consumed).  librdkafka 2.x relies on this: for an all-topics
 * Metadata v12 request it leaves a 4-byte array-count placeholder (00 00 00 00)
 * whose first byte reads as a null compact array, so the real fields follow as
 * trailing bytes.
 */
void *request_decode_body(struct request *req, const struct proto_schema *schema)
{
    int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
    void *out = arena_alloc(&req->arena, schema->size);
    if (proto_decode(schema, ver, req->apis->is_flexible(key, ver), &req->body, out, &req->arena) <
        0) {
        LOG_DEBUG("broker", "malformed %s v%d request", schema->name, ver);
        request_close_connection(req, "malformed request body");
        return NULL;
    }
    if (rbuf_remaining(&req->body) != 0)
        LOG_DEBUG("broker", "%s v%d request: ignoring %zu bytes after the body", schema->name, ver,
                  rbuf_remaining(&req->body));
    return out;
}

void *request_alloc(struct request *req, size_t n, size_t size)
{
    return arena_alloc(&req->arena, n * size);
}

struct kstr request_kstr(struct request *req, const char *s)
{
    struct kstr k = {NULL, -1};
    if (s) {
        k.len = (int32_t)strlen(s);
        k.s = arena_strndup(&req->arena, s, (size_t)k.len);
    }
    return k;
}
