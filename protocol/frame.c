/*
 * Kafka request/response headers and size-prefixed frames (frame.h).
 */
#include "frame.h"

#include <string.h>

#include "api.h"
#include "err.h"
#include "kafka.h"

static int size_check(int32_t size, int32_t max, int32_t min)
{
    if (size < min)
        return SL_ECORRUPT;
    if (size > max)
        return SL_ETOOLARGE;
    return 0;
}

int proto_frame_size_check(int32_t size, int32_t max)
{
    return size_check(size, max, PROTO_MIN_REQUEST_BYTES);
}

int proto_resp_frame_size_check(int32_t size, int32_t max)
{
    return size_check(size, max, PROTO_MIN_RESPONSE_BYTES);
}

int proto_req_header_decode_ex(struct rbuf *r, struct proto_req_header *h, struct arena *a,
                               bool (*is_flexible)(int16_t key, int16_t version))
{
    memset(h, 0, sizeof(*h));
    h->api_key = rbuf_i16(r);
    h->api_version = rbuf_i16(r);
    h->correlation_id = rbuf_i32(r);
    /* client_id: always an int16 length, even in header v2; any negative
     * length is null, as in Kafka's RequestHeaderData. */
    int16_t n = rbuf_i16(r);
    if (r->err)
        return SL_ECORRUPT;
    if (n >= 0) {
        const uint8_t *p = rbuf_take(r, (size_t)n);
        if (!p)
            return SL_ECORRUPT;
        h->client_id.s = arena_strndup(a, (const char *)p, (size_t)n);
        h->client_id.len = n;
    }
    if (is_flexible && is_flexible(h->api_key, h->api_version))
        return proto_tagged_fields_skip(r);
    return 0;
}

int proto_req_header_decode(struct rbuf *r, struct proto_req_header *h, struct arena *a)
{
    return proto_req_header_decode_ex(r, h, a, proto_api_is_flexible);
}

void proto_req_header_write(struct proto_out *o, const struct proto_req_header *h, bool flexible)
{
    wbuf_i16(&o->w, h->api_key);
    wbuf_i16(&o->w, h->api_version);
    wbuf_i32(&o->w, h->correlation_id);
    if (!h->client_id.s) {
        wbuf_i16(&o->w, -1);
    } else {
        int32_t len = h->client_id.len;
        if (len < 0)
            len = 0;
        if (len > PROTO_MAX_STRING_LEN)
            len = PROTO_MAX_STRING_LEN; /* a client id is informational: truncate */
        wbuf_i16(&o->w, (int16_t)len);
        wbuf_bytes(&o->w, h->client_id.s, (size_t)len);
    }
    if (flexible)
        wbuf_uvarint(&o->w, 0);
}

bool proto_resp_header_flexible(int16_t api_key, int16_t api_version)
{
    if (api_key == KAPI_API_VERSIONS)
        return false; /* always response header v0 (KIP-511) */
    return proto_api_is_flexible(api_key, api_version);
}

void proto_resp_header_write(struct proto_out *o, int32_t correlation_id, bool flexible)
{
    wbuf_i32(&o->w, correlation_id);
    if (flexible)
        wbuf_uvarint(&o->w, 0);
}

void proto_resp_header_encode(struct proto_out *o, int16_t api_key, int16_t api_version,
                              int32_t correlation_id)
{
    proto_resp_header_write(o, correlation_id, proto_resp_header_flexible(api_key, api_version));
}

int proto_resp_header_decode(struct rbuf *r, bool flexible, int32_t *correlation_id)
{
    *correlation_id = rbuf_i32(r);
    if (r->err)
        return SL_ECORRUPT;
    return flexible ? proto_tagged_fields_skip(r) : 0;
}

void proto_frame_begin(struct proto_out *o, struct proto_frame_mark *m)
{
    m->start = wbuf_skip(&o->w, 4);
    m->nsplices = o->nsplices;
    m->spliced_bytes = o->spliced_bytes;
}

void proto_frame_abort(struct proto_out *o, const struct proto_frame_mark *m)
{
    o->w.len = m->start;
    o->nsplices = m->nsplices;
    o->spliced_bytes = m->spliced_bytes;
}

int proto_frame_end(struct proto_out *o, const struct proto_frame_mark *m)
{
    int64_t size = (int64_t)(o->w.len - m->start - 4) + (o->spliced_bytes - m->spliced_bytes);
    if (size > INT32_MAX) {
        proto_frame_abort(o, m);
        return SL_ETOOLARGE;
    }
    wbuf_patch_i32(&o->w, m->start, (int32_t)size);
    return 0;
}

int proto_resp_frame_encode(struct proto_out *o, int16_t api_key, int16_t api_version,
                            int32_t correlation_id, const struct proto_schema *schema,
                            const void *body)
{
    struct proto_frame_mark m;
    proto_frame_begin(o, &m);
    proto_resp_header_encode(o, api_key, api_version, correlation_id);
    int rc =
        proto_encode(schema, api_version, proto_api_is_flexible(api_key, api_version), body, o);
    if (rc) {
        proto_frame_abort(o, &m);
        return rc;
    }
    return proto_frame_end(o, &m);
}

int proto_req_frame_encode(struct proto_out *o, const struct proto_req_header *h,
                           const struct proto_schema *schema, const void *body)
{
    bool flex = proto_api_is_flexible(h->api_key, h->api_version);
    struct proto_frame_mark m;
    proto_frame_begin(o, &m);
    proto_req_header_write(o, h, flex);
    int rc = proto_encode(schema, h->api_version, flex, body, o);
    if (rc) {
        proto_frame_abort(o, &m);
        return rc;
    }
    return proto_frame_end(o, &m);
}
