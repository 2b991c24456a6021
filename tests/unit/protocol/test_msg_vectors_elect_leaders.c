/*
 * Hand-written wire vectors for msg_elect_leaders.h: ElectLeaders v2 (flexible)
 * with Sluice's tagged target_leader, v1 with a null partition list (every
 * partition), v0 (no election type: preferred), and v1/v2 responses.  Each
 * vector is spelled out from Kafka's message definitions, decoded, checked
 * field by field, re-encoded to the same bytes, and every truncation is
 * rejected.
 */
#include "api.h"
#include "api_controller.h"
#include "kafka.h"
#include "msg_vectors.h"

START_TEST(elect_leaders_req_v2_target)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* election_type: Sluice's targeted transfer */
        0x02,                             /* topic_partitions: 1 (compact) */
        0x02, 't',                        /* topic */
        0x03, B32(0), B32(4),             /* partitions: [0, 4] */
        0x00,                             /* topic tagged fields */
        B32(30000),                       /* timeout_ms */
        0x01,                             /* tagged fields: 1 */
        0x90, 0x4e,                       /* tag 10000 (uvarint) */
        0x04, B32(3),                     /* size 4, target_leader 3 */
    };
    /* clang-format on */
    struct elect_leaders_req *m = VECTOR(proto_elect_leaders_req_schema, 2, true, b);
    ck_assert_int_eq(m->election_type, PROTO_ELECTION_TARGET);
    ck_assert_int_eq(m->topic_partitions.n, 1);
    ck_kstr(m->topic_partitions.v[0].topic, "t");
    ck_assert_int_eq(m->topic_partitions.v[0].partitions.n, 2);
    ck_assert_int_eq(m->topic_partitions.v[0].partitions.v[1], 4);
    ck_assert_int_eq(m->timeout_ms, 30000);
    ck_assert_int_eq(m->target_leader, 3);
}
END_TEST

START_TEST(elect_leaders_req_v2_kafka)
{
    /* What kafka-leader-election.sh sends: no tagged field, so target_leader is -1. */
    /* clang-format off */
    static const uint8_t b[] = {
        0x00,                             /* election_type: PREFERRED */
        0x02, 0x02, 'a', 0x02, B32(1), 0x00,
        B32(60000),
        0x00,
    };
    /* clang-format on */
    struct elect_leaders_req *m = VECTOR(proto_elect_leaders_req_schema, 2, true, b);
    ck_assert_int_eq(m->election_type, PROTO_ELECTION_PREFERRED);
    ck_assert_int_eq(m->target_leader, -1);
}
END_TEST

START_TEST(elect_leaders_req_v1_all)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x01,                             /* election_type: UNCLEAN */
        B32(-1),                          /* topic_partitions: null (every partition) */
        B32(60000),
    };
    /* clang-format on */
    struct elect_leaders_req *m = VECTOR(proto_elect_leaders_req_schema, 1, false, b);
    ck_assert_int_eq(m->election_type, PROTO_ELECTION_UNCLEAN);
    ck_assert_int_lt(m->topic_partitions.n, 0);
}
END_TEST

START_TEST(elect_leaders_req_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(1), B16(2), 'x', 'y', B32(1), B32(7),
        B32(100),
    };
    /* clang-format on */
    struct elect_leaders_req *m = VECTOR(proto_elect_leaders_req_schema, 0, false, b);
    ck_assert_int_eq(m->election_type, PROTO_ELECTION_PREFERRED); /* v0 has no type */
    ck_kstr(m->topic_partitions.v[0].topic, "xy");
    ck_assert_int_eq(m->topic_partitions.v[0].partitions.v[0], 7);
    ck_assert_int_eq(m->timeout_ms, 100);
    ck_assert_int_eq(m->target_leader, -1);
}
END_TEST

START_TEST(elect_leaders_resp_v1_v2)
{
    /* clang-format off */
    static const uint8_t v1[] = {
        B32(0),                           /* throttle_time_ms */
        B16(0),                           /* error_code */
        B32(1),                           /* replica_election_results: 1 */
        B16(1), 't',
        B32(2),                           /* partition_result: 2 */
        B32(0), B16(84), B16(-1),         /* ELECTION_NOT_NEEDED, null message */
        B32(1), B16(0), B16(-1),
    };
    static const uint8_t v2[] = {
        B32(0), B16(41),                  /* NOT_CONTROLLER */
        0x02, 0x02, 't',
        0x02, B32(0), B16(107), 0x03, 'n', 'o', 0x00,
        0x00,
        0x00,
    };
    /* clang-format on */
    struct elect_leaders_resp *m = VECTOR(proto_elect_leaders_resp_schema, 1, false, v1);
    ck_assert_int_eq(m->replica_election_results.n, 1);
    ck_assert_int_eq(m->replica_election_results.v[0].partition_result.n, 2);
    ck_assert_int_eq(m->replica_election_results.v[0].partition_result.v[0].error_code,
                     KERR_ELECTION_NOT_NEEDED);
    m = VECTOR(proto_elect_leaders_resp_schema, 2, true, v2);
    ck_assert_int_eq(m->error_code, KERR_NOT_CONTROLLER);
    ck_kstr(m->replica_election_results.v[0].partition_result.v[0].error_message, "no");
}
END_TEST

START_TEST(controller_table)
{
    const struct proto_api *api =
        proto_api_table_find(&proto_controller_apis, PROTO_API_ELECT_LEADERS);
    ck_assert_ptr_nonnull(api);
    ck_assert_int_eq(api->min, 0);
    ck_assert_int_eq(api->max, 2);
    ck_assert(proto_api_controller_is_flexible(PROTO_API_ELECT_LEADERS, 2));
    ck_assert(!proto_api_controller_is_flexible(PROTO_API_ELECT_LEADERS, 1));
    ck_assert_ptr_eq(api->req, &proto_elect_leaders_req_schema);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("msg_vectors_elect_leaders");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, elect_leaders_req_v2_target);
    tcase_add_test(tc, elect_leaders_req_v2_kafka);
    tcase_add_test(tc, elect_leaders_req_v1_all);
    tcase_add_test(tc, elect_leaders_req_v0);
    tcase_add_test(tc, elect_leaders_resp_v1_v2);
    tcase_add_test(tc, controller_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
