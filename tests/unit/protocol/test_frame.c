/*
 * Tests for protocol/frame.h and protocol/api.h: request header v1/v2
 * decoding (client_id always int16-length; unknown keys and versions read as
 * v1), response headers (v0/v1; ApiVersions always v0), frame size checks,
 * whole-frame encoders with file splices, the API table against
 * notes/versions.md, the KIP-511 ApiVersions answer and error names.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "frame.h"
#include "kafka.h"

START_TEST(test_req_header_v1)
{
    /* Metadata v1 is not flexible: header v1, the body starts right after client_id. */
    static const uint8_t in[] = {0x00, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, 0x00,
                                 0x03, 'a',  'b',  'c',  0xff, 0xff, 0xff, 0xff};
    struct arena a = ARENA_INIT;
    struct proto_req_header h;
    struct rbuf r;
    rbuf_init(&r, in, sizeof in);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.api_key, KAPI_METADATA);
    ck_assert_int_eq(h.api_version, 1);
    ck_assert_int_eq(h.correlation_id, 42);
    ck_assert_str_eq(h.client_id.s, "abc");
    ck_assert_int_eq(h.client_id.len, 3);
    ck_assert_uint_eq(r.pos, 13);

    /* Null client id. */
    static const uint8_t null_id[] = {0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0xff, 0xff};
    rbuf_init(&r, null_id, sizeof null_id);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_ptr_null(h.client_id.s);
    ck_assert_int_eq(h.api_version, 3);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    arena_free(&a);
}
END_TEST

START_TEST(test_req_header_v2)
{
    /* Metadata v9 is flexible: header v2 = v1 + tagged fields; client_id keeps its int16
     * length.  Here the header carries one unknown tagged field, which is skipped. */
    static const uint8_t in[] = {0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x01, 0x00, 0x00,
                                 0x02, 'i',  'd',  0x01, 0x03, 0x02, 0xaa, 0xbb, 0x77};
    struct arena a = ARENA_INIT;
    struct proto_req_header h;
    struct rbuf r;
    rbuf_init(&r, in, sizeof in);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.correlation_id, 256);
    ck_assert_str_eq(h.client_id.s, "id");
    ck_assert_uint_eq(r.pos, sizeof in - 1);

    /* ApiVersions v3 is flexible, v4 is beyond our table: read as v1 so we can answer. */
    static const uint8_t av3[] = {0x00, 0x12, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x00, 0x00};
    rbuf_init(&r, av3, sizeof av3);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    static const uint8_t av4[] = {0x00, 0x12, 0x00, 0x04, 0, 0, 0, 1, 0x00, 0x00, 0x00};
    rbuf_init(&r, av4, sizeof av4);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.api_version, 4);
    ck_assert_uint_eq(rbuf_remaining(&r), 1);
    /* An API we do not serve (DescribeAcls v3, flexible in Kafka): read as v1. */
    static const uint8_t jg[] = {0x00, 0x1d, 0x00, 0x03, 0, 0, 0, 1, 0x00, 0x00, 0x00};
    rbuf_init(&r, jg, sizeof jg);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.api_key, 29);
    ck_assert_uint_eq(rbuf_remaining(&r), 1);
    /* Negative key. */
    static const uint8_t neg[] = {0xff, 0xff, 0x00, 0x00, 0, 0, 0, 1, 0x00, 0x00};
    rbuf_init(&r, neg, sizeof neg);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.api_key, -1);
    arena_free(&a);
}
END_TEST

START_TEST(test_req_header_malformed)
{
    struct arena a = ARENA_INIT;
    struct proto_req_header h;
    struct rbuf r;
    static const uint8_t full[] = {0x00, 0x03, 0x00, 0x09, 0x00, 0x00, 0x01,
                                   0x00, 0x00, 0x02, 'i',  'd',  0x00};
    /* Every truncation fails. */
    for (size_t cut = 0; cut < sizeof full; cut++) {
        rbuf_init(&r, full, cut);
        ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), SL_ECORRUPT);
        ck_assert(r.err);
    }
    /* client_id length -2: null, as in Kafka's RequestHeaderData (any negative
     * length); the body follows right after it. */
    static const uint8_t neg_len[] = {0x00, 0x03, 0x00, 0x01, 0, 0, 0, 1, 0xff, 0xfe, 'x'};
    rbuf_init(&r, neg_len, sizeof neg_len);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_ptr_null(h.client_id.s);
    ck_assert_uint_eq(rbuf_remaining(&r), 1);
    arena_free(&a);
    /* A client_id length beyond the frame. */
    static const uint8_t long_len[] = {0x00, 0x03, 0x00, 0x01, 0, 0, 0, 1, 0x7f, 0xff, 'x'};
    rbuf_init(&r, long_len, sizeof long_len);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), SL_ECORRUPT);
    ck_assert_uint_eq(a.used, 0);
    /* Header tagged section whose field size exceeds the frame. */
    static const uint8_t bad_tags[] = {0x00, 0x03, 0x00, 0x09, 0,    0,    0,
                                       1,    0xff, 0xff, 0x01, 0x00, 0x7f, 0x00};
    rbuf_init(&r, bad_tags, sizeof bad_tags);
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), SL_ECORRUPT);
    arena_free(&a);
}
END_TEST

static bool always_flexible(int16_t key, int16_t version)
{
    (void)key;
    (void)version;
    return true;
}

START_TEST(test_req_header_ex_and_write)
{
    struct arena a = ARENA_INIT;
    struct proto_req_header h = {.api_key = 52, .api_version = 1, .correlation_id = -5}, d;
    h.client_id = (struct kstr){"node-1", 6};
    struct proto_out o;
    proto_out_init(&o);
    proto_req_header_write(&o, &h, true);
    static const uint8_t exp[] = {0x00, 0x34, 0x00, 0x01, 0xff, 0xff, 0xff, 0xfb, 0x00,
                                  0x06, 'n',  'o',  'd',  'e',  '-',  '1',  0x00};
    ck_assert_uint_eq(o.w.len, sizeof exp);
    ck_assert_mem_eq(o.w.data, exp, sizeof exp);
    struct rbuf r;
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_req_header_decode_ex(&r, &d, &a, always_flexible), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_int_eq(d.api_key, 52);
    ck_assert_int_eq(d.correlation_id, -5);
    ck_assert_str_eq(d.client_id.s, "node-1");
    /* Vote is not in the client table: the default decoder reads v1 and leaves the tag byte. */
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_req_header_decode(&r, &d, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 1);
    /* Null client id, header v1. */
    o.w.len = 0;
    h.client_id.s = NULL;
    proto_req_header_write(&o, &h, false);
    ck_assert_uint_eq(o.w.len, 10);
    ck_assert_uint_eq(o.w.data[8], 0xff);
    ck_assert_uint_eq(o.w.data[9], 0xff);
    proto_out_free(&o);
    arena_free(&a);
}
END_TEST

START_TEST(test_resp_header)
{
    struct proto_out o;
    proto_out_init(&o);
    /* Metadata v9 flexible: header v1 (correlation id + empty tags). */
    proto_resp_header_encode(&o, KAPI_METADATA, 9, 7);
    ck_assert_uint_eq(o.w.len, 5);
    ck_assert_mem_eq(o.w.data, "\x00\x00\x00\x07\x00", 5);
    o.w.len = 0;
    proto_resp_header_encode(&o, KAPI_METADATA, 8, 7);
    ck_assert_uint_eq(o.w.len, 4);
    /* ApiVersions: always header v0, even at v3 (flexible body). */
    o.w.len = 0;
    proto_resp_header_encode(&o, KAPI_API_VERSIONS, 3, 7);
    ck_assert_uint_eq(o.w.len, 4);
    ck_assert(!proto_resp_header_flexible(KAPI_API_VERSIONS, 3));
    ck_assert(proto_api_is_flexible(KAPI_API_VERSIONS, 3));
    ck_assert(proto_resp_header_flexible(KAPI_PRODUCE, 9));
    ck_assert(!proto_resp_header_flexible(KAPI_PRODUCE, 8));
    ck_assert(proto_resp_header_flexible(KAPI_DESCRIBE_CLUSTER, 0));
    /* Unknown API: v0. */
    o.w.len = 0;
    proto_resp_header_encode(&o, 29, 3, 7);
    ck_assert_uint_eq(o.w.len, 4);

    /* Decoding. */
    int32_t corr = 0;
    struct rbuf r;
    rbuf_init(&r, "\x00\x00\x01\x02\x01\x05\x01\x33\x99", 9);
    ck_assert_int_eq(proto_resp_header_decode(&r, true, &corr), 0);
    ck_assert_int_eq(corr, 258);
    ck_assert_uint_eq(rbuf_remaining(&r), 1);
    rbuf_init(&r, "\x00\x00\x01\x02\x01", 5);
    ck_assert_int_eq(proto_resp_header_decode(&r, false, &corr), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 1);
    rbuf_init(&r, "\x00\x00\x01", 3);
    ck_assert_int_eq(proto_resp_header_decode(&r, false, &corr), SL_ECORRUPT);
    rbuf_init(&r, "\x00\x00\x01\x02\x01\x05\x09", 7);
    ck_assert_int_eq(proto_resp_header_decode(&r, true, &corr), SL_ECORRUPT);
    proto_out_free(&o);
}
END_TEST

START_TEST(test_frame_size_check)
{
    int32_t max = PROTO_DEFAULT_MAX_REQUEST_BYTES;
    ck_assert_int_eq(max, 104857600);
    ck_assert_int_eq(proto_frame_size_check(-1, max), SL_ECORRUPT);
    ck_assert_int_eq(proto_frame_size_check(INT32_MIN, max), SL_ECORRUPT);
    ck_assert_int_eq(proto_frame_size_check(0, max), SL_ECORRUPT);
    ck_assert_int_eq(proto_frame_size_check(7, max), SL_ECORRUPT);
    ck_assert_int_eq(proto_frame_size_check(8, max), 0);
    ck_assert_int_eq(proto_frame_size_check(max, max), 0);
    ck_assert_int_eq(proto_frame_size_check(max + 1, max), SL_ETOOLARGE);
    ck_assert_int_eq(proto_frame_size_check(INT32_MAX, max), SL_ETOOLARGE);
    ck_assert_int_eq(proto_resp_frame_size_check(3, max), SL_ECORRUPT);
    ck_assert_int_eq(proto_resp_frame_size_check(4, max), 0);
    ck_assert_int_eq(proto_resp_frame_size_check(max + 1, max), SL_ETOOLARGE);
}
END_TEST

/* A tiny body with records, for frame tests with splices. */
struct t_body {
    int32_t x;
    struct kbytes recs;
};
static const struct proto_field t_body_fields[] = {
    PF_FIELD(struct t_body, x, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_N(struct t_body, recs, PF_RECORDS, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(t_body_schema, struct t_body, t_body_fields);

START_TEST(test_frame_encode_with_splice)
{
    struct proto_file_slice f = {.fd = 3, .off = 4096, .len = 5000};
    struct t_body b = {.x = 9, .recs = {NULL, 5000, &f}};
    struct proto_out o;
    proto_out_init(&o);
    wbuf_bytes(&o.w, "prev", 4); /* frames are appended after earlier output */
    /* Fetch v12: flexible header (5 bytes) and body. */
    ck_assert_int_eq(proto_resp_frame_encode(&o, KAPI_FETCH, 12, 77, &t_body_schema, &b), 0);
    /* prev | size | corr | 00 | x | uvarint(5001) (2) | [5000] | 00 */
    ck_assert_uint_eq(o.w.len, 4 + 4 + 4 + 1 + 4 + 2 + 1);
    ck_assert_uint_eq(o.nsplices, 1);
    ck_assert_uint_eq(o.splices[0].pos, 4 + 4 + 4 + 1 + 4 + 2);
    struct rbuf r;
    rbuf_init(&r, o.w.data + 4, 4);
    ck_assert_int_eq(rbuf_i32(&r), 4 + 1 + 4 + 2 + 5000 + 1);
    ck_assert_int_eq(proto_out_len(&o), 4 + 4 + 4 + 1 + 4 + 2 + 5000 + 1);

    /* Fetch v11: header v0 and non-flexible body. */
    o.w.len = 0;
    o.nsplices = 0;
    o.spliced_bytes = 0;
    ck_assert_int_eq(proto_resp_frame_encode(&o, KAPI_FETCH, 11, 77, &t_body_schema, &b), 0);
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(rbuf_i32(&r), 4 + 4 + 4 + 5000);
    ck_assert_uint_eq(o.splices[0].pos, o.w.len);

    /* Frames larger than INT32_MAX are refused and rolled back. */
    struct proto_file_slice huge = {.fd = 3, .off = 0, .len = INT32_MAX - 4};
    struct proto_frame_mark m;
    size_t len0 = o.w.len;
    proto_frame_begin(&o, &m);
    struct t_body hb = {.x = 1, .recs = {NULL, 0, &huge}};
    ck_assert_int_eq(proto_encode(&t_body_schema, 0, false, &hb, &o), 0);
    ck_assert_int_eq(proto_frame_end(&o, &m), SL_ETOOLARGE);
    ck_assert_uint_eq(o.w.len, len0);
    ck_assert_uint_eq(o.nsplices, 1);
    ck_assert_int_eq(o.spliced_bytes, 5000);

    /* An encoding error leaves o unchanged. */
    struct t_body bad = {.x = 1, .recs = {NULL, 3, NULL}};
    ck_assert_int_eq(proto_resp_frame_encode(&o, KAPI_FETCH, 11, 1, &t_body_schema, &bad),
                     SL_EINVAL);
    ck_assert_uint_eq(o.w.len, len0);
    proto_out_free(&o);
}
END_TEST

START_TEST(test_req_frame_roundtrip)
{
    struct proto_out o;
    proto_out_init(&o);
    struct proto_req_header h = {.api_key = KAPI_API_VERSIONS,
                                 .api_version = 3,
                                 .correlation_id = 11,
                                 .client_id = {"c", 1}};
    struct api_versions_req req = {.client_software_name = {"sluice", 6},
                                   .client_software_version = {"0.1", 3}};
    ck_assert_int_eq(proto_req_frame_encode(&o, &h, &proto_api_versions_req_schema, &req), 0);
    struct rbuf r;
    rbuf_init(&r, o.w.data, o.w.len);
    int32_t size = rbuf_i32(&r);
    ck_assert_int_eq(size, (int32_t)o.w.len - 4);
    ck_assert_int_eq(proto_frame_size_check(size, PROTO_DEFAULT_MAX_REQUEST_BYTES), 0);
    struct arena a = ARENA_INIT;
    struct proto_req_header d;
    ck_assert_int_eq(proto_req_header_decode(&r, &d, &a), 0);
    ck_assert_int_eq(d.correlation_id, 11);
    struct api_versions_req dreq;
    ck_assert_int_eq(proto_decode(&proto_api_versions_req_schema, d.api_version,
                                  proto_api_is_flexible(d.api_key, d.api_version), &r, &dreq, &a),
                     0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_str_eq(dreq.client_software_name.s, "sluice");
    ck_assert_str_eq(dreq.client_software_version.s, "0.1");
    arena_free(&a);
    proto_out_free(&o);
}
END_TEST

/*
 * The client API table, restated: key, adv min, adv max, accepted from,
 * flexible from (Kafka's flexibleVersions; PROTO_VMAX: never flexible).
 */
static const struct {
    int16_t key, min, max, accept, flex;
} expected_table[] = {
    {0, 0, 9, 3, 9},  {1, 4, 12, 4, 12},         {2, 1, 7, 1, 6},  {3, 0, 12, 0, 9},
    {8, 2, 9, 2, 8},  {9, 1, 9, 1, 6},           {10, 0, 4, 0, 3}, {11, 0, 9, 0, 6},
    {12, 0, 4, 0, 4}, {13, 0, 5, 0, 4},          {14, 0, 5, 0, 4}, {15, 0, 5, 0, 5},
    {16, 0, 5, 0, 3}, {18, 0, 3, 0, 3},          {19, 2, 7, 2, 5}, {20, 1, 6, 1, 4},
    {22, 0, 4, 0, 2}, {23, 2, 4, 2, 4},          {32, 0, 4, 0, 4}, {33, 0, 2, 0, 2},
    {35, 0, 4, 0, 2}, {37, 0, 3, 0, 2},          {42, 0, 2, 0, 2}, {43, 0, 2, 0, 2},
    {44, 0, 1, 0, 1}, {47, 0, 0, 0, PROTO_VMAX}, {60, 0, 1, 0, 0}, {61, 0, 0, 0, 0},
};

START_TEST(test_api_table)
{
    size_t n = sizeof expected_table / sizeof expected_table[0];
    ck_assert_uint_eq(proto_api_table_count(&proto_client_apis), n);
    ck_assert_ptr_null(proto_api_table_at(&proto_client_apis, n));
    for (size_t i = 0; i < n; i++) {
        const struct proto_api *api = proto_api_table_at(&proto_client_apis, i);
        ck_assert_ptr_nonnull(api);
        ck_assert_int_eq(api->key, expected_table[i].key);
        ck_assert_int_eq(api->min, expected_table[i].min);
        ck_assert_int_eq(api->max, expected_table[i].max);
        ck_assert_int_eq(api->accept_min, expected_table[i].accept);
        ck_assert_int_eq(api->flex_min, expected_table[i].flex);
        ck_assert_ptr_nonnull(api->name);
        ck_assert_ptr_nonnull(api->req);
        ck_assert_ptr_nonnull(api->resp);
        ck_assert_ptr_eq(proto_api_find(api->key), api);
        if (i > 0)
            ck_assert_int_gt(api->key, proto_api_table_at(&proto_client_apis, i - 1)->key);
        for (int16_t v = -1; v <= api->max + 1; v++) {
            ck_assert(proto_api_table_version_supported(&proto_client_apis, api->key, v) ==
                      (v >= api->accept_min && v <= api->max));
            ck_assert(proto_api_is_flexible(api->key, v) ==
                      (v >= api->min && v <= api->max && v >= api->flex_min));
        }
    }
    ck_assert_str_eq(proto_api_find(KAPI_PRODUCE)->name, "Produce");
    ck_assert(!proto_api_table_version_supported(&proto_client_apis, KAPI_PRODUCE, 2));
    ck_assert(proto_api_table_version_supported(&proto_client_apis, KAPI_PRODUCE, 3));
    ck_assert(!proto_api_table_version_supported(&proto_client_apis, KAPI_FETCH, 13));
    static const int16_t unknown[] = {-32768, -1, 4, 17, 21, 29, 34, 36, 62, 90, 91, 1000, 32767};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        ck_assert_ptr_null(proto_api_find(unknown[i]));
        ck_assert(!proto_api_is_flexible(unknown[i], 5));
        ck_assert(!proto_api_table_version_supported(&proto_client_apis, unknown[i], 0));
    }
    ck_assert_ptr_eq(proto_api_find(KAPI_API_VERSIONS)->req, &proto_api_versions_req_schema);
    ck_assert_ptr_eq(proto_api_find(KAPI_API_VERSIONS)->resp, &proto_api_versions_resp_schema);
}
END_TEST

START_TEST(test_api_versions_answers)
{
    struct arena a = ARENA_INIT;
    struct api_versions_resp resp;
    proto_api_table_versions_fill(&proto_client_apis, &resp, &a);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.api_keys.n, (int32_t)proto_api_table_count(&proto_client_apis));
    for (int32_t i = 0; i < resp.api_keys.n; i++) {
        const struct proto_api *api = proto_api_table_at(&proto_client_apis, (size_t)i);
        ck_assert_int_eq(resp.api_keys.v[i].api_key, api->key);
        ck_assert_int_eq(resp.api_keys.v[i].min_version, api->min);
        ck_assert_int_eq(resp.api_keys.v[i].max_version, api->max);
    }
    ck_assert(resp.finalized_features_epoch == -1);
    /* At v3 the answer has no tagged fields (all default). */
    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_resp_frame_encode(&o, KAPI_API_VERSIONS, 3, 5,
                                             &proto_api_versions_resp_schema, &resp),
                     0);
    /* size | corr (header v0) | error | compact n | n * 7 | throttle | 00 */
    size_t n = proto_api_table_count(&proto_client_apis);
    ck_assert_uint_eq(o.w.len, 4 + 4 + 2 + 1 + n * 7 + 4 + 1);
    ck_assert_uint_eq(o.w.data[o.w.len - 1], 0);
    proto_out_free(&o);

    proto_api_table_versions_unsupported(&proto_client_apis, &resp, &a);
    ck_assert_int_eq(resp.error_code, KERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(resp.api_keys.n, 1);
    ck_assert_int_eq(resp.api_keys.v[0].api_key, KAPI_API_VERSIONS);
    ck_assert_int_eq(resp.api_keys.v[0].min_version, 0);
    ck_assert_int_eq(resp.api_keys.v[0].max_version, 3);

    /* KIP-511: the whole frame, v0 header and v0 body. */
    proto_out_init(&o);
    ck_assert_int_eq(proto_api_versions_unsupported_encode(&o, 0x2a), 0);
    static const uint8_t exp[] = {0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x23,
                                  0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03};
    ck_assert_uint_eq(o.w.len, sizeof exp);
    ck_assert_mem_eq(o.w.data, exp, sizeof exp);
    proto_out_free(&o);
    arena_free(&a);
}
END_TEST

START_TEST(test_error_names)
{
    ck_assert_str_eq(kafka_error_name(KERR_NONE), "NONE");
    ck_assert_str_eq(kafka_error_name(KERR_UNKNOWN_SERVER_ERROR), "UNKNOWN_SERVER_ERROR");
    ck_assert_str_eq(kafka_error_name(KERR_UNKNOWN_TOPIC_OR_PARTITION),
                     "UNKNOWN_TOPIC_OR_PARTITION");
    ck_assert_str_eq(kafka_error_name(KERR_UNSUPPORTED_VERSION), "UNSUPPORTED_VERSION");
    ck_assert_str_eq(kafka_error_name(KERR_NOT_LEADER_OR_FOLLOWER), "NOT_LEADER_OR_FOLLOWER");
    ck_assert_str_eq(kafka_error_name(KERR_NEW_LEADER_ELECTED), "NEW_LEADER_ELECTED");
    ck_assert_str_eq(kafka_error_name(120), "TRANSACTION_ABORTABLE");
    ck_assert_str_eq(kafka_error_name(133), "SHARE_SESSION_LIMIT_REACHED");
    ck_assert_str_eq(kafka_error_name(134), "UNKNOWN_ERROR_CODE");
    ck_assert_str_eq(kafka_error_name(-2), "UNKNOWN_ERROR_CODE");
    ck_assert_str_eq(kafka_error_name(INT16_MIN), "UNKNOWN_ERROR_CODE");
    ck_assert_str_eq(kafka_error_name(INT16_MAX), "UNKNOWN_ERROR_CODE");
}
END_TEST

static Suite *frame_suite(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_req_header_v1);
    tcase_add_test(tc, test_req_header_v2);
    tcase_add_test(tc, test_req_header_malformed);
    tcase_add_test(tc, test_req_header_ex_and_write);
    tcase_add_test(tc, test_resp_header);
    tcase_add_test(tc, test_frame_size_check);
    tcase_add_test(tc, test_frame_encode_with_splice);
    tcase_add_test(tc, test_req_frame_roundtrip);
    tcase_add_test(tc, test_api_table);
    tcase_add_test(tc, test_api_versions_answers);
    tcase_add_test(tc, test_error_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frame_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
