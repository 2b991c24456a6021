/*
 * Replica placement: distinct replicas per partition, leaders and replicas
 * spread evenly over 1, 3 and 5 brokers, a rotating start, and rack-aware
 * striping (every partition spans min(rf, racks) racks).
 */
#include <check.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "placement.h"

#define MAXB 16

struct counts {
    int leaders[MAXB];
    int replicas[MAXB];
};

/* Places and checks the structural invariants; tallies per-broker counts (ids are 0..n-1 + 100). */
static void place(const struct placement_broker *b, int n, int32_t first, int32_t nparts, int rf,
                  uint32_t start, int32_t *out, struct counts *c)
{
    ck_assert_int_eq(placement_assign(b, n, first, nparts, rf, start, out), 0);
    memset(c, 0, sizeof(*c));
    for (int32_t p = 0; p < nparts; p++) {
        int32_t *row = out + p * rf;
        for (int i = 0; i < rf; i++) {
            ck_assert_int_ge(row[i], 100);
            ck_assert_int_lt(row[i], 100 + n);
            for (int j = 0; j < i; j++)
                ck_assert_int_ne(row[i], row[j]);
            c->replicas[row[i] - 100]++;
        }
        c->leaders[row[0] - 100]++;
    }
}

static void brokers_n(struct placement_broker *b, int n, const char *const *racks)
{
    /* Given in a scrambled order: placement must not depend on input order. */
    for (int i = 0; i < n; i++) {
        int id = (i * 2 + 1) % n;
        b[i].id = 100 + id;
        b[i].rack = racks ? racks[id] : NULL;
    }
}

static void assert_even(const int *v, int n, int total)
{
    int lo = total / n, hi = (total + n - 1) / n;
    for (int i = 0; i < n; i++) {
        ck_assert_int_ge(v[i], lo);
        ck_assert_int_le(v[i], hi);
    }
}

START_TEST(one_broker)
{
    struct placement_broker b[1] = {{100, NULL}};
    int32_t out[8];
    struct counts c;
    place(b, 1, 0, 8, 1, 5, out, &c);
    ck_assert_int_eq(c.leaders[0], 8);
    ck_assert_int_eq(placement_assign(b, 1, 0, 1, 2, 0, out), SL_EINVAL);
    ck_assert_int_eq(placement_assign(b, 0, 0, 1, 1, 0, out), SL_EINVAL);
    ck_assert_int_eq(placement_assign(b, 1, 0, 1, 0, 0, out), SL_EINVAL);
    ck_assert_int_eq(placement_assign(b, 1, 0, -1, 1, 0, out), SL_EINVAL);
}
END_TEST

START_TEST(three_brokers_balanced)
{
    struct placement_broker b[3];
    brokers_n(b, 3, NULL);
    int32_t out[12 * 3];
    struct counts c;
    for (uint32_t start = 0; start < 4; start++) {
        place(b, 3, 0, 12, 3, start, out, &c);
        assert_even(c.leaders, 3, 12);
        assert_even(c.replicas, 3, 36);
        place(b, 3, 0, 12, 2, start, out, &c);
        assert_even(c.leaders, 3, 12);
        assert_even(c.replicas, 3, 24);
    }
    /* The start rotates the first leader. */
    place(b, 3, 0, 1, 1, 0, out, &c);
    int32_t l0 = out[0];
    place(b, 3, 0, 1, 1, 1, out, &c);
    ck_assert_int_ne(out[0], l0);
}
END_TEST

START_TEST(five_brokers_balanced)
{
    struct placement_broker b[5];
    brokers_n(b, 5, NULL);
    int32_t out[20 * 3];
    struct counts c;
    for (uint32_t start = 0; start < 7; start++) {
        place(b, 5, 0, 20, 3, start, out, &c);
        assert_even(c.leaders, 5, 20);
        assert_even(c.replicas, 5, 60);
    }
    /* Leaders of successive single-partition topics with an advancing start cycle all brokers. */
    int seen[5] = {0};
    for (uint32_t start = 0; start < 5; start++) {
        place(b, 5, 0, 1, 3, start, out, &c);
        seen[out[0] - 100]++;
    }
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(seen[i], 1);
    /* Added partitions (first_partition > 0) stay valid and balanced. */
    place(b, 5, 7, 10, 2, 3, out, &c);
    assert_even(c.leaders, 5, 10);
}
END_TEST

static int distinct_racks(const int32_t *row, int rf, const char *const *racks)
{
    int n = 0;
    for (int i = 0; i < rf; i++) {
        bool dup = false;
        for (int j = 0; j < i; j++)
            if (strcmp(racks[row[i] - 100], racks[row[j] - 100]) == 0)
                dup = true;
        n += !dup;
    }
    return n;
}

START_TEST(racks_three_brokers)
{
    static const char *const racks[3] = {"a", "b", "c"};
    struct placement_broker b[3];
    brokers_n(b, 3, racks);
    int32_t out[9 * 3];
    struct counts c;
    place(b, 3, 0, 9, 3, 1, out, &c);
    for (int p = 0; p < 9; p++)
        ck_assert_int_eq(distinct_racks(out + p * 3, 3, racks), 3);
    assert_even(c.leaders, 3, 9);
}
END_TEST

START_TEST(racks_five_brokers)
{
    /* Racks a: 100, 103; b: 101, 104; c: 102. */
    static const char *const racks[5] = {"a", "b", "c", "a", "b"};
    struct placement_broker b[5];
    brokers_n(b, 5, racks);
    int32_t out[30 * 4];
    struct counts c;
    for (uint32_t start = 0; start < 5; start++) {
        place(b, 5, 0, 30, 3, start, out, &c);
        for (int p = 0; p < 30; p++)
            ck_assert_int_eq(distinct_racks(out + p * 3, 3, racks), 3);
        assert_even(c.leaders, 5, 30);
        place(b, 5, 0, 30, 2, start, out, &c);
        for (int p = 0; p < 30; p++)
            ck_assert_int_eq(distinct_racks(out + p * 2, 2, racks), 2);
        /* rf 4 over 3 racks: all three racks used, one twice. */
        place(b, 5, 0, 30, 4, start, out, &c);
        for (int p = 0; p < 30; p++)
            ck_assert_int_eq(distinct_racks(out + p * 4, 4, racks), 3);
    }
    /* Two racks only: each rf-2 partition spans both. */
    static const char *const two[5] = {"x", "y", "x", "y", "x"};
    brokers_n(b, 5, two);
    place(b, 5, 0, 20, 2, 0, out, &c);
    for (int p = 0; p < 20; p++)
        ck_assert_int_eq(distinct_racks(out + p * 2, 2, two), 2);
    assert_even(c.leaders, 5, 20);
}
END_TEST

START_TEST(some_brokers_without_rack)
{
    struct placement_broker b[4] = {{100, "a"}, {101, NULL}, {102, "a"}, {103, NULL}};
    int32_t out[8 * 2];
    struct counts c;
    place(b, 4, 0, 8, 2, 0, out, &c);
    /* Brokers without a rack form one group: every partition has one of each group. */
    for (int p = 0; p < 8; p++) {
        bool a0 = b[out[p * 2] - 100].rack != NULL, a1 = b[out[p * 2 + 1] - 100].rack != NULL;
        ck_assert_int_ne(a0, a1);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("placement");
    TCase *tc = tcase_create("placement");
    tcase_add_test(tc, one_broker);
    tcase_add_test(tc, three_brokers_balanced);
    tcase_add_test(tc, five_brokers_balanced);
    tcase_add_test(tc, racks_three_brokers);
    tcase_add_test(tc, racks_five_brokers);
    tcase_add_test(tc, some_brokers_without_rack);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
