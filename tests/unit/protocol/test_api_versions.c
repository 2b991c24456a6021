/*
 * Hand-written byte vectors for ApiVersions (key 18): a librdkafka-style v3
 * request frame (request header v2, compact strings), the v0 request, and
 * responses v0, v1 and v3 (compact arrays, tagged feature fields).
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
#include "msg_api_versions.h"

#define S(str)                                                                                     \
    {                                                                                              \
        str, (int32_t)(sizeof(str) - 1)                                                            \
    }

static void check_encoding(const struct proto_schema *s, int16_t v, bool flex, const void *in,
                           const uint8_t *exp, size_t n)
{
    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(s, v, flex, in, &o), 0);
    ck_assert_uint_eq(o.w.len, n);
    ck_assert_mem_eq(o.w.data, exp, n);
    proto_out_free(&o);
}

START_TEST(test_request_v3_frame)
{
    static const uint8_t frame[] = {
        0x00, 0x00, 0x00, 0x24,                                        /* size 36 */
        0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01,                /* key 18, v3, corr 1 */
        0x00, 0x07, 'r',  'd',  'k',  'a',  'f',  'k',  'a',           /* client_id: int16 length */
        0x00,                                                          /* header tagged fields */
        0x0b, 'l',  'i',  'b',  'r',  'd',  'k',  'a',  'f', 'k', 'a', /* compact "librdkafka" */
        0x06, '2',  '.',  '0',  '.',  '2',                             /* compact "2.0.2" */
        0x00,                                                          /* body tagged fields */
    };
    struct rbuf r;
    rbuf_init(&r, frame, sizeof frame);
    int32_t size = rbuf_i32(&r);
    ck_assert_int_eq(size, (int32_t)sizeof frame - 4);
    ck_assert_int_eq(proto_frame_size_check(size, PROTO_DEFAULT_MAX_REQUEST_BYTES), 0);
    struct arena a = ARENA_INIT;
    struct proto_req_header h;
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.api_key, KAPI_API_VERSIONS);
    ck_assert_int_eq(h.api_version, 3);
    ck_assert_str_eq(h.client_id.s, "rdkafka");
    ck_assert(proto_api_table_version_supported(&proto_client_apis, h.api_key, h.api_version));
    struct api_versions_req req;
    ck_assert_int_eq(proto_decode(&proto_api_versions_req_schema, 3, true, &r, &req, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_str_eq(req.client_software_name.s, "librdkafka");
    ck_assert_str_eq(req.client_software_version.s, "2.0.2");

    /* Encoding the same request reproduces the frame. */
    struct proto_out o;
    proto_out_init(&o);
    struct proto_req_header eh = {
        .api_key = 18, .api_version = 3, .correlation_id = 1, .client_id = S("rdkafka")};
    struct api_versions_req ereq = {.client_software_name = S("librdkafka"),
                                    .client_software_version = S("2.0.2")};
    ck_assert_int_eq(proto_req_frame_encode(&o, &eh, &proto_api_versions_req_schema, &ereq), 0);
    ck_assert_uint_eq(o.w.len, sizeof frame);
    ck_assert_mem_eq(o.w.data, frame, sizeof frame);
    proto_out_free(&o);

    /* A null software name is not allowed (non-nullable in every version). */
    struct api_versions_req bad = {.client_software_version = S("1")};
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&proto_api_versions_req_schema, 3, true, &bad, &o), SL_EINVAL);
    proto_out_free(&o);
    static const uint8_t null_name[] = {0x00, 0x02, '1', 0x00};
    rbuf_init(&r, null_name, sizeof null_name);
    ck_assert_int_eq(proto_decode(&proto_api_versions_req_schema, 3, true, &r, &req, &a),
                     SL_ECORRUPT);
    arena_free(&a);
}
END_TEST

START_TEST(test_request_v0_empty)
{
    /* kafka-python's first request: ApiVersions v0, header v1, empty body. */
    static const uint8_t frame[] = {0x00, 0x00, 0x00, 0x0c, 0x00, 0x12, 0x00, 0x00,
                                    0x00, 0x00, 0x00, 0x05, 0x00, 0x02, 'k',  'p'};
    struct rbuf r;
    rbuf_init(&r, frame, sizeof frame);
    ck_assert_int_eq(rbuf_i32(&r), (int32_t)sizeof frame - 4);
    struct arena a = ARENA_INIT;
    struct proto_req_header h;
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    ck_assert_int_eq(h.correlation_id, 5);
    struct api_versions_req req;
    ck_assert_int_eq(proto_decode(&proto_api_versions_req_schema, 0, false, &r, &req, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_ptr_null(req.client_software_name.s);
    arena_free(&a);
}
END_TEST

static struct api_versions_resp_api_version two_keys[] = {{0, 0, 9}, {18, 0, 3}};

START_TEST(test_response_v0_v1)
{
    struct api_versions_resp resp = {
        .error_code = 0, .throttle_time_ms = 100, .finalized_features_epoch = -1};
    resp.api_keys.n = 2;
    resp.api_keys.v = two_keys;
    static const uint8_t v0[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x09, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03};
    check_encoding(&proto_api_versions_resp_schema, 0, false, &resp, v0, sizeof v0);
    static const uint8_t v1[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x09, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x64};
    check_encoding(&proto_api_versions_resp_schema, 1, false, &resp, v1, sizeof v1);

    struct arena a = ARENA_INIT;
    struct api_versions_resp d;
    struct rbuf r;
    rbuf_init(&r, v0, sizeof v0);
    ck_assert_int_eq(proto_decode(&proto_api_versions_resp_schema, 0, false, &r, &d, &a), 0);
    ck_assert_int_eq(d.api_keys.n, 2);
    ck_assert_int_eq(d.api_keys.v[1].api_key, 18);
    ck_assert_int_eq(d.api_keys.v[1].max_version, 3);
    ck_assert_int_eq(d.throttle_time_ms, 0);
    ck_assert(d.finalized_features_epoch == -1);
    ck_assert(!d.zk_migration_ready);
    rbuf_init(&r, v1, sizeof v1);
    ck_assert_int_eq(proto_decode(&proto_api_versions_resp_schema, 1, false, &r, &d, &a), 0);
    ck_assert_int_eq(d.throttle_time_ms, 100);
    arena_free(&a);
}
END_TEST

START_TEST(test_response_v3_tagged)
{
    struct api_versions_resp_supported_feature_key sf = {S("metadata.version"), 1, 25};
    struct api_versions_resp_finalized_feature_key ff = {S("metadata.version"), 25, 1};
    struct api_versions_resp resp = {
        .error_code = 0, .throttle_time_ms = 0, .finalized_features_epoch = 7};
    resp.api_keys.n = 2;
    resp.api_keys.v = two_keys;
    resp.supported_features.n = 1;
    resp.supported_features.v = &sf;
    resp.finalized_features.n = 1;
    resp.finalized_features.v = &ff;
#define MV 'm', 'e', 't', 'a', 'd', 'a', 't', 'a', '.', 'v', 'e', 'r', 's', 'i', 'o', 'n'
    static const uint8_t v3[] = {
        0x00, 0x00,                                                 /* error_code */
        0x03,                                                       /* compact array: 2 entries */
        0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00,                   /* Produce 0-9, no tags */
        0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,                   /* ApiVersions 0-3 */
        0x00, 0x00, 0x00, 0x00,                                     /* throttle_time_ms */
        0x03,                                                       /* 3 tagged fields */
        0x00, 0x17, 0x02, 0x11, MV,   0x00, 0x01, 0x00, 0x19, 0x00, /* 0: supported_features */
        0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, /* 1: epoch 7 */
        0x02, 0x17, 0x02, 0x11, MV,   0x00, 0x19, 0x00, 0x01, 0x00, /* 2: finalized_features */
    };
#undef MV
    check_encoding(&proto_api_versions_resp_schema, 3, true, &resp, v3, sizeof v3);

    struct arena a = ARENA_INIT;
    struct api_versions_resp d;
    struct rbuf r;
    rbuf_init(&r, v3, sizeof v3);
    ck_assert_int_eq(proto_decode(&proto_api_versions_resp_schema, 3, true, &r, &d, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_int_eq(d.api_keys.n, 2);
    ck_assert_int_eq(d.supported_features.n, 1);
    ck_assert_str_eq(d.supported_features.v[0].name.s, "metadata.version");
    ck_assert_int_eq(d.supported_features.v[0].min_version, 1);
    ck_assert_int_eq(d.supported_features.v[0].max_version, 25);
    ck_assert(d.finalized_features_epoch == 7);
    ck_assert_int_eq(d.finalized_features.n, 1);
    ck_assert_int_eq(d.finalized_features.v[0].max_version_level, 25);
    ck_assert_int_eq(d.finalized_features.v[0].min_version_level, 1);
    ck_assert(!d.zk_migration_ready);

    /* zk_migration_ready = true adds tag 3; no features and epoch -1 leave only it. */
    struct api_versions_resp z = {.finalized_features_epoch = -1, .zk_migration_ready = true};
    static const uint8_t v3z[] = {0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01};
    check_encoding(&proto_api_versions_resp_schema, 3, true, &z, v3z, sizeof v3z);
    rbuf_init(&r, v3z, sizeof v3z);
    ck_assert_int_eq(proto_decode(&proto_api_versions_resp_schema, 3, true, &r, &d, &a), 0);
    ck_assert(d.zk_migration_ready);
    ck_assert(d.finalized_features_epoch == -1);
    ck_assert_int_eq(d.api_keys.n, 0);
    arena_free(&a);
}
END_TEST

static Suite *api_versions_suite(void)
{
    Suite *s = suite_create("api_versions");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_request_v3_frame);
    tcase_add_test(tc, test_request_v0_empty);
    tcase_add_test(tc, test_response_v0_v1);
    tcase_add_test(tc, test_response_v3_tagged);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(api_versions_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
