/*
 * Unit tests of the listeners' API tables (broker/api_table.c over
 * protocol/api.c): each listener's ApiVersions answer is exactly the one it
 * gave before the tables were joined (keys in order, advertised ranges), the
 * KIP-511 answer to an unsupported ApiVersions version, every protocol row
 * having a handler and the other way round, and the forwarded column.
 */
#include <check.h>
#include <stdlib.h>

#include "api_table.h"
#include "arena.h"
#include "kafka.h"

struct range {
    int16_t key, min, max;
};

static const struct range client_answer[] = {
    {0, 0, 9},  {1, 4, 12}, {2, 1, 7},  {3, 0, 12}, {8, 2, 9},  {9, 1, 9},  {10, 0, 4},
    {11, 0, 9}, {12, 0, 4}, {13, 0, 5}, {14, 0, 5}, {15, 0, 5}, {16, 0, 5}, {18, 0, 3},
    {19, 2, 7}, {20, 1, 6}, {22, 0, 4}, {23, 2, 4}, {32, 0, 4}, {33, 0, 2}, {35, 0, 4},
    {37, 0, 3}, {42, 0, 2}, {43, 0, 2}, {44, 0, 1}, {47, 0, 0}, {60, 0, 1}, {61, 0, 0},
};

static const struct range controller_answer[] = {
    {1, 12, 12}, {18, 0, 3}, {19, 2, 7}, {20, 1, 6}, {33, 0, 2}, {37, 0, 3},
    {43, 0, 2},  {44, 0, 1}, {52, 0, 2}, {53, 0, 1}, {54, 0, 1}, {55, 0, 2},
    {56, 2, 3},  {59, 0, 1}, {60, 0, 1}, {62, 0, 4}, {63, 0, 1}, {67, 0, 0},
};

static void check_answer(const struct broker_api_table *t, const struct range *want, size_t n)
{
    struct arena a = ARENA_INIT;
    struct api_versions_resp resp;
    proto_api_table_versions_fill(t->proto, &resp, &a);
    ck_assert_int_eq(resp.error_code, 0);
    ck_assert_int_eq(resp.throttle_time_ms, 0);
    ck_assert_int_eq(resp.finalized_features_epoch, -1);
    ck_assert_int_eq(resp.api_keys.n, (int32_t)n);
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_eq(resp.api_keys.v[i].api_key, want[i].key);
        ck_assert_int_eq(resp.api_keys.v[i].min_version, want[i].min);
        ck_assert_int_eq(resp.api_keys.v[i].max_version, want[i].max);
    }
    proto_api_table_versions_unsupported(t->proto, &resp, &a);
    ck_assert_int_eq(resp.error_code, KERR_UNSUPPORTED_VERSION);
    ck_assert_int_eq(resp.api_keys.n, 1);
    ck_assert_int_eq(resp.api_keys.v[0].api_key, KAPI_API_VERSIONS);
    ck_assert_int_eq(resp.api_keys.v[0].min_version, 0);
    ck_assert_int_eq(resp.api_keys.v[0].max_version, 3);
    arena_free(&a);
}

START_TEST(test_client_api_versions)
{
    check_answer(&broker_client_apis, client_answer, sizeof client_answer / sizeof *client_answer);
    ck_assert(!broker_client_apis.controller);
}
END_TEST

START_TEST(test_controller_api_versions)
{
    check_answer(&broker_controller_apis, controller_answer,
                 sizeof controller_answer / sizeof *controller_answer);
    ck_assert(broker_controller_apis.controller);
}
END_TEST

/* Every served key has a handler, and no handler sits on a key protocol does not serve. */
static void check_rows(const struct broker_api_table *t)
{
    for (int k = -1; k <= KAPI_MAX_KEY + 1; k++) {
        const struct proto_api *api;
        const struct broker_api *row;
        bool served = broker_api_find(t, (int16_t)k, &api, &row);
        ck_assert(served == (api != NULL));
        if (k >= 0 && k <= KAPI_MAX_KEY)
            ck_assert_msg((t->by_key[k].handler != NULL) == (api != NULL), "key %d", k);
        if (api)
            ck_assert_int_eq(api->key, k);
    }
}

START_TEST(test_rows_join)
{
    check_rows(&broker_client_apis);
    check_rows(&broker_controller_apis);
}
END_TEST

START_TEST(test_forwarded_column)
{
    static const int16_t forwarded[] = {KAPI_CREATE_TOPICS,    KAPI_DELETE_TOPICS,
                                        KAPI_ALTER_CONFIGS,    KAPI_CREATE_PARTITIONS,
                                        43 /* ElectLeaders */, KAPI_INCREMENTAL_ALTER_CONFIGS};
    for (int k = 0; k <= KAPI_MAX_KEY; k++) {
        bool want = false;
        for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
            want = want || forwarded[i] == k;
        ck_assert_msg(broker_client_apis.by_key[k].forwarded == want, "key %d", k);
        ck_assert(!broker_controller_apis.by_key[k].forwarded);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("api_table");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_client_api_versions);
    tcase_add_test(tc, test_controller_api_versions);
    tcase_add_test(tc, test_rows_join);
    tcase_add_test(tc, test_forwarded_column);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
