/*
 * ApiVersions (18): the API table of the listener the request arrived on.  An unsupported
 * ApiVersions version is answered in v0 with UNSUPPORTED_VERSION and the ApiVersions range, so the
 * client can retry with a version we know (KIP-511).
 */
#include "api.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "request.h"

void handle_api_versions(struct request *req)
{
    struct api_versions_resp resp = {0};
    int16_t ver = req->hdr.api_version;
    if (!req->apis->version_supported(KAPI_API_VERSIONS, ver)) {
        const struct proto_api *api = req->apis->find(KAPI_API_VERSIONS);
        resp.error_code = KERR_UNSUPPORTED_VERSION;
        resp.api_keys.n = 1;
        resp.api_keys.v = request_alloc(req, 1, sizeof *resp.api_keys.v);
        resp.api_keys.v[0].api_key = api->key;
        resp.api_keys.v[0].min_version = api->min;
        resp.api_keys.v[0].max_version = api->max;
        request_respond(req, &proto_api_versions_resp_schema, &resp);
        return;
    }
    /* The body (client software name/version, v3+) is informational; a malformed
     * one is still a malformed request. */
    if (!request_decode_body(req, &proto_api_versions_req_schema))
        return;
    size_t n = req->apis->count();
    resp.api_keys.n = (int32_t)n;
    resp.api_keys.v = request_alloc(req, n, sizeof *resp.api_keys.v);
    for (size_t i = 0; i < n; i++) {
        const struct proto_api *api = req->apis->at(i);
        resp.api_keys.v[i].api_key = api->key;
        resp.api_keys.v[i].min_version = api->min;
        resp.api_keys.v[i].max_version = api->max;
    }
    resp.finalized_features_epoch = -1;
    request_respond(req, &proto_api_versions_resp_schema, &resp);
}
