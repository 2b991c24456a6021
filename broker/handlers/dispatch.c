/*
 * Dispatch through the listener's API table (dispatch.h, api_table.h) and the
 * request helpers handlers share (handlers.h).
 */
#include "dispatch.h"

#include <string.h>

#include "api_table.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "request.h"

void broker_dispatch(struct request *req)
{
    int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
    const struct proto_api *api;
    const struct broker_api *row;
    if (!broker_api_find(req->apis, key, &api, &row)) {
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
    row->handler(req);
}

bool request_forwarded(const struct request *req)
{
    const struct proto_api *api;
    const struct broker_api *row;
    return broker_api_find(req->apis, req->hdr.api_key, &api, &row) && row->forwarded;
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
    if (proto_decode(schema, ver, req->apis->proto->is_flexible(key, ver), &req->body, out,
                     &req->arena) < 0) {
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
