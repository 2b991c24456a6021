/*
 * ApiVersions (18): the API table of the listener the request arrived on.  An unsupported
 * ApiVersions version is answered in v0 with UNSUPPORTED_VERSION and the ApiVersions range, so the
 * client can retry with a version we know (KIP-511).
 */
#include "api.h"
#include "api_table.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "request.h"

void handle_api_versions(struct request *req)
{
    const struct proto_api_table *t = req->apis->proto;
    struct api_versions_resp resp;
    if (!proto_api_table_version_supported(t, KAPI_API_VERSIONS, req->hdr.api_version)) {
        proto_api_table_versions_unsupported(t, &resp, &req->arena);
        request_respond(req, &proto_api_versions_resp_schema, &resp);
        return;
    }
    /* The body (client software name/version, v3+) is informational; a malformed
     * one is still a malformed request. */
    if (!request_decode_body(req, &proto_api_versions_req_schema))
        return;
    proto_api_table_versions_fill(t, &resp, &req->arena);
    request_respond(req, &proto_api_versions_resp_schema, &resp);
}
