/*
 * Hand-written wire vectors for msg_configs.h: an IncrementalAlterConfigs v1
 * request (flexible: compact strings and arrays, tagged-field bytes) and an
 * AlterConfigs v0 response (classic encoding, a null and a non-null error
 * message), plus the shared response schema at IncrementalAlterConfigs v1.
 * Each vector is spelled out from Kafka's message definitions, decoded,
 * checked field by field, re-encoded to the same bytes, and every truncation
 * is rejected.
 */
#include "api.h"
#include "api_controller.h"
#include "kafka.h"
#include "msg_vectors.h"

#define RETENTION_MS   'r', 'e', 't', 'e', 'n', 't', 'i', 'o', 'n', '.', 'm', 's'
#define CLEANUP_POLICY 'c', 'l', 'e', 'a', 'n', 'u', 'p', '.', 'p', 'o', 'l', 'i', 'c', 'y'

START_TEST(incremental_alter_configs_req_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x02,                             /* resources: 1 (compact) */
        0x02,                             /* resource_type: topic */
        0x03, 't', '1',                   /* resource_name (compact) */
        0x04,                             /* configs: 3 */
        0x0d, RETENTION_MS,               /* name */
        0x00,                             /* config_operation: SET */
        0x05, '1', '0', '0', '0',         /* value */
        0x00,                             /* config tagged fields */
        0x0f, CLEANUP_POLICY,             /* name */
        0x02,                             /* config_operation: APPEND */
        0x08, 'c', 'o', 'm', 'p', 'a', 'c', 't',
        0x00,
        0x02, 'x',                        /* name */
        0x01,                             /* config_operation: DELETE */
        0x00,                             /* value: null */
        0x00,
        0x00,                             /* resource tagged fields */
        0x01,                             /* validate_only */
        0x00,                             /* tagged fields */
    };
    /* clang-format on */
    struct incremental_alter_configs_req *m =
        VECTOR(proto_incremental_alter_configs_req_schema, 1, true, b);
    ck_assert_int_eq(m->resources.n, 1);
    struct incremental_alter_configs_req_resource *r = &m->resources.v[0];
    ck_assert_int_eq(r->resource_type, 2);
    ck_kstr(r->resource_name, "t1");
    ck_assert_int_eq(r->configs.n, 3);
    ck_kstr(r->configs.v[0].name, "retention.ms");
    ck_assert_int_eq(r->configs.v[0].config_operation, 0);
    ck_kstr(r->configs.v[0].value, "1000");
    ck_kstr(r->configs.v[1].name, "cleanup.policy");
    ck_assert_int_eq(r->configs.v[1].config_operation, 2);
    ck_kstr(r->configs.v[1].value, "compact");
    ck_kstr(r->configs.v[2].name, "x");
    ck_assert_int_eq(r->configs.v[2].config_operation, 1);
    ck_kstr(r->configs.v[2].value, NULL);
    ck_assert(m->validate_only);
}
END_TEST

START_TEST(incremental_alter_configs_req_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(1),                           /* resources: 1 */
        0x04,                             /* resource_type: broker */
        B16(1), '1',                      /* resource_name */
        B32(1),                           /* configs: 1 */
        B16(12), RETENTION_MS,
        0x03,                             /* config_operation: SUBTRACT */
        B16(1), '5',
        0x00,                             /* validate_only */
    };
    /* clang-format on */
    struct incremental_alter_configs_req *m =
        VECTOR(proto_incremental_alter_configs_req_schema, 0, false, b);
    ck_assert_int_eq(m->resources.n, 1);
    ck_assert_int_eq(m->resources.v[0].resource_type, 4);
    ck_kstr(m->resources.v[0].resource_name, "1");
    ck_assert_int_eq(m->resources.v[0].configs.v[0].config_operation, 3);
    ck_kstr(m->resources.v[0].configs.v[0].value, "5");
    ck_assert(!m->validate_only);
}
END_TEST

START_TEST(alter_configs_resp_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(100),                         /* throttle_time_ms */
        B32(2),                           /* responses: 2 */
        B16(0),                           /* error_code */
        B16(-1),                          /* error_message: null */
        0x02,                             /* resource_type: topic */
        B16(2), 't', '1',                 /* resource_name */
        B16(40),                          /* error_code: INVALID_CONFIG */
        B16(3), 'b', 'a', 'd',            /* error_message */
        0x04,                             /* resource_type: broker */
        B16(1), '1',
    };
    /* clang-format on */
    struct alter_configs_resp *m = VECTOR(proto_alter_configs_resp_schema, 0, false, b);
    ck_assert_int_eq(m->throttle_time_ms, 100);
    ck_assert_int_eq(m->responses.n, 2);
    ck_assert_int_eq(m->responses.v[0].error_code, 0);
    ck_kstr(m->responses.v[0].error_message, NULL);
    ck_assert_int_eq(m->responses.v[0].resource_type, 2);
    ck_kstr(m->responses.v[0].resource_name, "t1");
    ck_assert_int_eq(m->responses.v[1].error_code, KERR_INVALID_CONFIG);
    ck_kstr(m->responses.v[1].error_message, "bad");
    ck_assert_int_eq(m->responses.v[1].resource_type, 4);
    ck_kstr(m->responses.v[1].resource_name, "1");
}
END_TEST

START_TEST(incremental_alter_configs_resp_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        0x02,                             /* responses: 1 (compact) */
        B16(3),                           /* error_code: UNKNOWN_TOPIC_OR_PARTITION */
        0x03, 'n', 'o',                   /* error_message (compact nullable) */
        0x02,                             /* resource_type */
        0x02, 'z',                        /* resource_name */
        0x00,                             /* result tagged fields */
        0x00,                             /* tagged fields */
    };
    /* clang-format on */
    struct alter_configs_resp *m = VECTOR(proto_incremental_alter_configs_resp_schema, 1, true, b);
    ck_assert_int_eq(m->responses.n, 1);
    ck_assert_int_eq(m->responses.v[0].error_code, KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_kstr(m->responses.v[0].error_message, "no");
    ck_kstr(m->responses.v[0].resource_name, "z");
}
END_TEST

START_TEST(tables)
{
    const int16_t keys[] = {KAPI_ALTER_CONFIGS, KAPI_INCREMENTAL_ALTER_CONFIGS};
    for (size_t i = 0; i < 2; i++) {
        const struct proto_api *c = proto_api_find(keys[i]);
        const struct proto_api *k = proto_api_table_find(&proto_controller_apis, keys[i]);
        ck_assert_ptr_nonnull(c);
        ck_assert_ptr_nonnull(k);
        ck_assert_ptr_eq(c->req, k->req);
        ck_assert_int_eq(c->max, k->max);
    }
    ck_assert(proto_api_is_flexible(KAPI_ALTER_CONFIGS, 2));
    ck_assert(!proto_api_is_flexible(KAPI_ALTER_CONFIGS, 1));
    ck_assert(!proto_api_table_version_supported(&proto_client_apis, KAPI_ALTER_CONFIGS, 3));
    ck_assert(proto_api_is_flexible(KAPI_INCREMENTAL_ALTER_CONFIGS, 1));
    ck_assert(!proto_api_is_flexible(KAPI_INCREMENTAL_ALTER_CONFIGS, 0));
    ck_assert(proto_api_controller_is_flexible(KAPI_INCREMENTAL_ALTER_CONFIGS, 1));
    ck_assert_ptr_eq(proto_api_find(KAPI_INCREMENTAL_ALTER_CONFIGS)->req,
                     &proto_incremental_alter_configs_req_schema);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("msg_vectors_configs");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, incremental_alter_configs_req_v1);
    tcase_add_test(tc, incremental_alter_configs_req_v0);
    tcase_add_test(tc, alter_configs_resp_v0);
    tcase_add_test(tc, incremental_alter_configs_resp_v1);
    tcase_add_test(tc, tables);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
