/*
 * Frame helpers of the CONTROLLER listener's APIs (api_controller.h).
 */
#include "api_controller.h"

#include "err.h"
#include "kafka.h"
#include "messages.h"
#include "msg_controller.h"

/*
 * A whole frame: the request header h (NULL: a response header with
 * correlation_id), then body in the entry's request or response schema.
 */
static int frame_encode(struct proto_out *o, int16_t api_key, int16_t version,
                        const struct proto_req_header *h, int32_t correlation_id, const void *body)
{
    const struct proto_api *api = proto_api_table_find(&proto_controller_apis, api_key);
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
