/*
 * Fuzz target for the request decoder: a frame body (what follows the int32
 * size prefix) goes through proto_req_header_decode, then, for a served API
 * and version, proto_decode with that API's request schema.  Produce requests
 * additionally run every partition's records through rb_split and
 * rb_validate, as the broker would.
 *
 * Property checked beyond "no crash, no leak, no sanitizer report": a body
 * that decodes re-encodes, and the re-encoding decodes and encodes again to
 * the same bytes (the codec is a fixed point after one round).
 */
#include <string.h>

#include "api.h"
#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "frame.h"
#include "fuzz.h"
#include "kafka.h"
#include "msg_produce_fetch.h"
#include "record_batch.h"

static void check_produce_records(const struct produce_req *req)
{
    struct rb_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_decompressed_bytes = 1024 * 1024;
    lim.require_zero_base_offset = true;
    for (int32_t t = 0; t < req->topic_data.n; t++) {
        const struct produce_req_topic *topic = &req->topic_data.v[t];
        for (int32_t i = 0; i < topic->partition_data.n; i++) {
            const struct kbytes *rec = &topic->partition_data.v[i].records;
            if (!rec->p || rec->len <= 0)
                continue;
            size_t pos = 0;
            const uint8_t *b;
            size_t blen;
            while (rb_split(rec->p, (size_t)rec->len, &pos, &b, &blen) == 1)
                ;
            struct rb_info info;
            int16_t kerr;
            int rc = rb_validate(rec->p, (size_t)rec->len, &lim, &info, &kerr);
            FUZZ_CHECK((rc == 0) == (kerr == KERR_NONE));
        }
    }
}

/* Encodes `body`, then decodes and re-encodes the result: both encodings must match. */
static void check_roundtrip(const struct proto_api *api, int16_t version, bool flex,
                            const void *body, struct arena *a)
{
    struct proto_out o1, o2;
    proto_out_init(&o1);
    proto_out_init(&o2);
    if (proto_encode(api->req, version, flex, body, &o1) == 0) {
        FUZZ_CHECK(o1.nsplices == 0);
        struct rbuf r;
        rbuf_init(&r, o1.w.data, o1.w.len);
        void *again = arena_alloc(a, api->req->size);
        FUZZ_CHECK(proto_decode(api->req, version, flex, &r, again, a) == 0);
        FUZZ_CHECK(rbuf_remaining(&r) == 0);
        FUZZ_CHECK(proto_encode(api->req, version, flex, again, &o2) == 0);
        FUZZ_CHECK(o1.w.len == o2.w.len &&
                   (o1.w.len == 0 || memcmp(o1.w.data, o2.w.data, o1.w.len) == 0));
    }
    proto_out_free(&o1);
    proto_out_free(&o2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, data, size);
    struct proto_req_header h;
    if (proto_req_header_decode(&r, &h, &a) != 0)
        goto out;
    const struct proto_api *api = proto_api_find(h.api_key);
    if (!api || !api->req || h.api_version < api->min || h.api_version > api->max)
        goto out;
    bool flex = proto_api_is_flexible(h.api_key, h.api_version);
    void *body = arena_alloc(&a, api->req->size);
    if (proto_decode(api->req, h.api_version, flex, &r, body, &a) != 0)
        goto out;
    if (h.api_key == KAPI_PRODUCE)
        check_produce_records(body);
    check_roundtrip(api, h.api_version, flex, body, &a);
out:
    arena_free(&a);
    return 0;
}
