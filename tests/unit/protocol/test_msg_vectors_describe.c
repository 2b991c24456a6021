/*
 * Hand-written wire vectors for msg_describe_log_dirs.h (DescribeLogDirs 35,
 * every version 0-4: v2 flexible, v3 top-level error code, v4 volume sizes)
 * and msg_describe_producers.h (DescribeProducers 61 v0, flexible).  Each
 * vector is spelled out from Kafka's message definitions, decoded, checked
 * field by field, re-encoded to the same bytes, and every truncation is
 * rejected.  The API table entries (advertised ranges, flexible versions) are
 * checked too.
 */
#include "api.h"
#include "kafka.h"
#include "msg_vectors.h"

/* ---- DescribeLogDirs requests ---- */

START_TEST(dld_req_v0_v1_list)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(1),                           /* topics: 1 */
        B16(2), 't', '1',                 /* topic */
        B32(2), B32(0), B32(3),           /* partitions: [0, 3] */
    };
    /* clang-format on */
    for (int16_t v = 0; v <= 1; v++) {
        struct describe_log_dirs_req *m = VECTOR(proto_describe_log_dirs_req_schema, v, false, b);
        ck_assert_int_eq(m->topics.n, 1);
        ck_kstr(m->topics.v[0].topic, "t1");
        ck_assert_int_eq(m->topics.v[0].partitions.n, 2);
        ck_assert_int_eq(m->topics.v[0].partitions.v[1], 3);
    }
}
END_TEST

START_TEST(dld_req_null_every_version)
{
    static const uint8_t classic[] = {B32(-1)};
    static const uint8_t flex[] = {0x00, 0x00}; /* null compact array, no tagged fields */
    for (int16_t v = 0; v <= 4; v++) {
        struct describe_log_dirs_req *m =
            v >= 2 ? VECTOR(proto_describe_log_dirs_req_schema, v, true, flex)
                   : VECTOR(proto_describe_log_dirs_req_schema, v, false, classic);
        ck_assert_int_lt(m->topics.n, 0);
    }
}
END_TEST

START_TEST(dld_req_v2_v4_list)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* topics: 1 (compact) */
        0x02, 'a',                        /* topic */
        0x02, B32(7),                     /* partitions: [7] */
        0x00,                             /* topic tagged fields */
        0x00,                             /* tagged fields */
    };
    /* clang-format on */
    for (int16_t v = 2; v <= 4; v++) {
        struct describe_log_dirs_req *m = VECTOR(proto_describe_log_dirs_req_schema, v, true, b);
        ck_assert_int_eq(m->topics.n, 1);
        ck_kstr(m->topics.v[0].topic, "a");
        ck_assert_int_eq(m->topics.v[0].partitions.v[0], 7);
    }
}
END_TEST

/* ---- DescribeLogDirs responses ---- */

static void ck_dld_partition(const struct describe_log_dirs_resp *m)
{
    ck_assert_int_eq(m->results.n, 1);
    const struct describe_log_dirs_resp_result *r = &m->results.v[0];
    ck_assert_int_eq(r->error_code, 0);
    ck_kstr(r->log_dir, "/d");
    ck_assert_int_eq(r->topics.n, 1);
    ck_kstr(r->topics.v[0].name, "t");
    ck_assert_int_eq(r->topics.v[0].partitions.n, 1);
    const struct describe_log_dirs_resp_partition *p = &r->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition_index, 2);
    ck_assert_int_eq(p->partition_size, 0x100000000LL + 5);
    ck_assert_int_eq(p->offset_lag, 9);
    ck_assert(!p->is_future_key);
}

START_TEST(dld_resp_v0_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(10),                          /* throttle_time_ms */
        B32(1),                           /* results: 1 */
        B16(0),                           /* error_code */
        B16(2), '/', 'd',                 /* log_dir */
        B32(1),                           /* topics: 1 */
        B16(1), 't',                      /* name */
        B32(1),                           /* partitions: 1 */
        B32(2), B64(0x100000005LL), B64(9), 0x00,
    };
    /* clang-format on */
    for (int16_t v = 0; v <= 1; v++) {
        struct describe_log_dirs_resp *m = VECTOR(proto_describe_log_dirs_resp_schema, v, false, b);
        ck_assert_int_eq(m->throttle_time_ms, 10);
        ck_assert_int_eq(m->error_code, 0);
        ck_dld_partition(m);
        ck_assert_int_eq(m->results.v[0].total_bytes, -1); /* absent before v4 */
        ck_assert_int_eq(m->results.v[0].usable_bytes, -1);
    }
}
END_TEST

START_TEST(dld_resp_v2)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        0x02,                             /* results: 1 */
        B16(0), 0x03, '/', 'd',
        0x02,                             /* topics: 1 */
        0x02, 't',
        0x02,                             /* partitions: 1 */
        B32(2), B64(0x100000005LL), B64(9), 0x00,
        0x00,                             /* partition tagged fields */
        0x00,                             /* topic tagged fields */
        0x00,                             /* result tagged fields */
        0x00,                             /* tagged fields */
    };
    /* clang-format on */
    struct describe_log_dirs_resp *m = VECTOR(proto_describe_log_dirs_resp_schema, 2, true, b);
    ck_dld_partition(m);
}
END_TEST

START_TEST(dld_resp_v3_error)
{
    /* v3: the top-level error code follows throttle_time_ms. */
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),
        B16(KERR_CLUSTER_AUTHORIZATION_FAILED),
        0x01,                             /* results: empty */
        0x00,
    };
    /* clang-format on */
    struct describe_log_dirs_resp *m = VECTOR(proto_describe_log_dirs_resp_schema, 3, true, b);
    ck_assert_int_eq(m->error_code, KERR_CLUSTER_AUTHORIZATION_FAILED);
    ck_assert_int_eq(m->results.n, 0);
}
END_TEST

START_TEST(dld_resp_v4)
{
    /* v4: total_bytes and usable_bytes after each result's topics; an offline dir. */
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0), B16(0),
        0x03,                             /* results: 2 */
        B16(0), 0x03, '/', 'd',
        0x02, 0x02, 't', 0x02, B32(2), B64(0x100000005LL), B64(9), 0x00, 0x00, 0x00,
        B64(1000000), B64(400000),        /* total_bytes, usable_bytes */
        0x00,
        B16(KERR_KAFKA_STORAGE_ERROR), 0x03, '/', 'e',
        0x01,                             /* topics: empty */
        B64(-1), B64(-1),
        0x00,
        0x00,
    };
    /* clang-format on */
    struct describe_log_dirs_resp *m = VECTOR(proto_describe_log_dirs_resp_schema, 4, true, b);
    ck_assert_int_eq(m->results.n, 2);
    m->results.n = 1;
    ck_dld_partition(m);
    ck_assert_int_eq(m->results.v[0].total_bytes, 1000000);
    ck_assert_int_eq(m->results.v[0].usable_bytes, 400000);
    ck_assert_int_eq(m->results.v[1].error_code, KERR_KAFKA_STORAGE_ERROR);
    ck_kstr(m->results.v[1].log_dir, "/e");
    ck_assert_int_eq(m->results.v[1].total_bytes, -1);
}
END_TEST

/* ---- DescribeProducers ---- */

START_TEST(dp_req_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* topics: 1 */
        0x03, 'p', 'q',                   /* name */
        0x03, B32(0), B32(1),             /* partition_indexes: [0, 1] */
        0x00, 0x00,
    };
    /* clang-format on */
    struct describe_producers_req *m = VECTOR(proto_describe_producers_req_schema, 0, true, b);
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].name, "pq");
    ck_assert_int_eq(m->topics.v[0].partition_indexes.n, 2);
    ck_assert_int_eq(m->topics.v[0].partition_indexes.v[1], 1);
}
END_TEST

START_TEST(dp_resp_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        0x02,                             /* topics: 1 */
        0x02, 't',
        0x03,                             /* partitions: 2 */
        B32(0), B16(0), 0x00,             /* index 0, no error, null message */
        0x02,                             /* active_producers: 1 */
        B64(4000), B32(3), B32(41), B64(1700000000000LL), B32(-1), B64(-1), 0x00,
        0x00,
        B32(1), B16(KERR_NOT_LEADER_OR_FOLLOWER), 0x00, 0x01, 0x00,
        0x00,                             /* topic tagged fields */
        0x00,
    };
    /* clang-format on */
    struct describe_producers_resp *m = VECTOR(proto_describe_producers_resp_schema, 0, true, b);
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].name, "t");
    ck_assert_int_eq(m->topics.v[0].partitions.n, 2);
    const struct describe_producers_resp_partition *p = &m->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->error_code, 0);
    ck_kstr(p->error_message, NULL);
    ck_assert_int_eq(p->active_producers.n, 1);
    const struct describe_producers_resp_producer *s = &p->active_producers.v[0];
    ck_assert_int_eq(s->producer_id, 4000);
    ck_assert_int_eq(s->producer_epoch, 3);
    ck_assert_int_eq(s->last_sequence, 41);
    ck_assert_int_eq(s->last_timestamp, 1700000000000LL);
    ck_assert_int_eq(s->coordinator_epoch, -1);
    ck_assert_int_eq(s->current_txn_start_offset, -1);
    ck_assert_int_eq(m->topics.v[0].partitions.v[1].error_code, KERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert_int_eq(m->topics.v[0].partitions.v[1].active_producers.n, 0);
}
END_TEST

START_TEST(client_table)
{
    const struct proto_api *api = proto_api_find(PROTO_API_DESCRIBE_LOG_DIRS);
    ck_assert_ptr_nonnull(api);
    ck_assert_int_eq(api->min, 0);
    ck_assert_int_eq(api->max, 4);
    ck_assert(!proto_api_is_flexible(PROTO_API_DESCRIBE_LOG_DIRS, 1));
    ck_assert(proto_api_is_flexible(PROTO_API_DESCRIBE_LOG_DIRS, 2));
    ck_assert_ptr_eq(api->resp, &proto_describe_log_dirs_resp_schema);
    api = proto_api_find(PROTO_API_DESCRIBE_PRODUCERS);
    ck_assert_ptr_nonnull(api);
    ck_assert_int_eq(api->min, 0);
    ck_assert_int_eq(api->max, 0);
    ck_assert(proto_api_is_flexible(PROTO_API_DESCRIBE_PRODUCERS, 0));
    ck_assert_ptr_eq(api->req, &proto_describe_producers_req_schema);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("msg_vectors_describe");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, dld_req_v0_v1_list);
    tcase_add_test(tc, dld_req_null_every_version);
    tcase_add_test(tc, dld_req_v2_v4_list);
    tcase_add_test(tc, dld_resp_v0_v1);
    tcase_add_test(tc, dld_resp_v2);
    tcase_add_test(tc, dld_resp_v3_error);
    tcase_add_test(tc, dld_resp_v4);
    tcase_add_test(tc, dp_req_v0);
    tcase_add_test(tc, dp_resp_v0);
    tcase_add_test(tc, client_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
