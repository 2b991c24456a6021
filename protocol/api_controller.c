/*
 * Frame helpers of the CONTROLLER listener's APIs (api_controller.h).
 */
#include "api_controller.h"

#include "err.h"
#include "kafka.h"
#include "messages.h"
#include "msg_controller.h"

int proto_api_controller_resp_frame_encode(struct proto_out *o, int16_t api_key,
                                           int16_t api_version, int32_t correlation_id,
                                           const void *body)
{
    const struct proto_api *api = proto_api_table_find(&proto_controller_apis, api_key);
    if (!api || api_version < api->min || api_version > api->max || !body)
        return SL_EINVAL;
    bool flex = api_version >= api->flex_min;
    struct proto_frame_mark m;
    proto_frame_begin(o, &m);
    /* ApiVersions responses always carry header v0 (KIP-511). */
    proto_resp_header_write(o, correlation_id, flex && api_key != KAPI_API_VERSIONS);
    int rc = proto_encode(api->resp, api_version, flex, body, o);
    if (rc) {
        proto_frame_abort(o, &m);
        return rc;
    }
    return proto_frame_end(o, &m);
}

int proto_api_controller_req_frame_encode(struct proto_out *o, const struct proto_req_header *h,
                                          const void *body)
{
    const struct proto_api *api = proto_api_table_find(&proto_controller_apis, h->api_key);
    if (!api || h->api_version < api->min || h->api_version > api->max || !body)
        return SL_EINVAL;
    bool flex = h->api_version >= api->flex_min;
    struct proto_frame_mark m;
    proto_frame_begin(o, &m);
    proto_req_header_write(o, h, flex);
    int rc = proto_encode(api->req, h->api_version, flex, body, o);
    if (rc) {
        proto_frame_abort(o, &m);
        return rc;
    }
    return proto_frame_end(o, &m);
}
