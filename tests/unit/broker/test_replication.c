/*
 * Unit tests of the ISR replication decisions (broker/replication/replication.c): the
 * follower fetch state and Kafka's caught-up rule, the leader's high
 * watermark, ISR shrink and expand, the leader's diverging-epoch check and
 * the follower's truncation point and high watermark.
 */
#include <check.h>
#include <stdlib.h>

#include "replication.h"

/* ---- repl_follower_reset ---- */

START_TEST(test_reset_isr_member_is_caught_up_now)
{
    struct repl_follower f;
    repl_follower_reset(&f, 7, true, 1000);
    ck_assert_int_eq(f.id, 7);
    ck_assert_int_eq(f.leo, -1);
    ck_assert_int_eq(f.last_caught_up_ms, 1000);
    ck_assert_int_eq(f.last_fetch_ms, -1);
    ck_assert_int_eq(f.last_fetch_leader_leo, -1);
    /* Not dropped before it had lag_max to fetch, dropped after. */
    ck_assert(!repl_follower_out_of_sync(&f, 1000 + 500, 500));
    ck_assert(repl_follower_out_of_sync(&f, 1000 + 501, 500));
}
END_TEST

START_TEST(test_reset_non_member_never_caught_up)
{
    struct repl_follower f;
    repl_follower_reset(&f, 3, false, 1000);
    ck_assert_int_eq(f.leo, -1);
    ck_assert_int_eq(f.last_caught_up_ms, -1);
    ck_assert(repl_follower_out_of_sync(&f, 1000, 500));
    ck_assert(!repl_follower_may_join(&f, 0, 0, 1000, 500));
}
END_TEST

/* ---- repl_follower_fetched: Replica.updateFetchState ---- */

START_TEST(test_fetch_at_leader_leo_is_caught_up)
{
    struct repl_follower f;
    repl_follower_reset(&f, 2, false, 0);
    repl_follower_fetched(&f, 10, 10, 100);
    ck_assert_int_eq(f.leo, 10);
    ck_assert_int_eq(f.last_caught_up_ms, 100);
    ck_assert_int_eq(f.last_fetch_ms, 100);
    ck_assert_int_eq(f.last_fetch_leader_leo, 10);
}
END_TEST

START_TEST(test_caught_up_as_of_previous_fetch)
{
    /* Kafka's rule across two fetches: the second fetch reaches the leader's LEO
     * as of the first one, so the follower was caught up at the first fetch's time
     * even though the leader has moved on since. */
    struct repl_follower f;
    repl_follower_reset(&f, 2, false, 0);
    repl_follower_fetched(&f, 5, 10, 100); /* behind */
    ck_assert_int_eq(f.last_caught_up_ms, -1);
    repl_follower_fetched(&f, 10, 15, 200); /* has what the leader had at t=100 */
    ck_assert_int_eq(f.last_caught_up_ms, 100);
    ck_assert_int_eq(f.leo, 10);
    ck_assert_int_eq(f.last_fetch_leader_leo, 15);
    ck_assert_int_eq(f.last_fetch_ms, 200);
}
END_TEST

START_TEST(test_not_caught_up_short_of_previous_leader_leo)
{
    struct repl_follower f;
    repl_follower_reset(&f, 2, false, 0);
    repl_follower_fetched(&f, 5, 10, 100);
    repl_follower_fetched(&f, 9, 15, 200); /* one short of the LEO at t=100 */
    ck_assert_int_eq(f.last_caught_up_ms, -1);
    ck_assert_int_eq(f.leo, 9);
}
END_TEST

START_TEST(test_first_fetch_after_reset_has_no_previous)
{
    /* Right after a reset there is no previous fetch to be caught up to. */
    struct repl_follower f;
    repl_follower_reset(&f, 2, false, 50);
    repl_follower_fetched(&f, 0, 10, 100);
    ck_assert_int_eq(f.last_caught_up_ms, -1);
}
END_TEST

START_TEST(test_caught_up_time_never_goes_back)
{
    struct repl_follower f;
    repl_follower_reset(&f, 2, true, 500);
    /* An ISR member reset at 500: a fetch matching the leader LEO of a previous
     * fetch at 300 must not move last_caught_up back to 300. */
    f.last_fetch_ms = 300;
    f.last_fetch_leader_leo = 4;
    repl_follower_fetched(&f, 4, 8, 600);
    ck_assert_int_eq(f.last_caught_up_ms, 500);
    /* Fully caught up at a time before the recorded one (a reordered clock) keeps it. */
    repl_follower_fetched(&f, 8, 8, 400);
    ck_assert_int_eq(f.last_caught_up_ms, 500);
}
END_TEST

/* ---- repl_leader_hw ---- */

static void follower_at(struct repl_follower *f, int32_t id, int64_t leo)
{
    repl_follower_reset(f, id, true, 0);
    if (leo >= 0)
        repl_follower_fetched(f, leo, leo, 10);
}

START_TEST(test_hw_is_min_leo_over_isr)
{
    struct repl_follower f[2];
    follower_at(&f[0], 2, 7);
    follower_at(&f[1], 3, 9);
    int32_t isr[] = {1, 2, 3};
    ck_assert_int_eq(repl_leader_hw(0, 1, 10, f, 2, isr, 3, 2, 3), 7);
    /* Only ISR members count: without 2 the minimum is 9. */
    int32_t isr13[] = {1, 3};
    ck_assert_int_eq(repl_leader_hw(0, 1, 10, f, 2, isr13, 2, 2, 3), 9);
    /* The leader's own LEO bounds it. */
    ck_assert_int_eq(repl_leader_hw(0, 1, 8, f, 2, isr13, 2, 2, 3), 8);
}
END_TEST

START_TEST(test_hw_unknown_follower_leo_holds_back)
{
    struct repl_follower f[2];
    follower_at(&f[0], 2, 7);
    follower_at(&f[1], 3, -1); /* not fetched in this leadership */
    int32_t isr[] = {1, 2, 3};
    ck_assert_int_eq(repl_leader_hw(4, 1, 10, f, 2, isr, 3, 2, 3), 4);
    /* An ISR member without any follower state is unknown too. */
    int32_t isr124[] = {1, 2, 4};
    ck_assert_int_eq(repl_leader_hw(4, 1, 10, f, 2, isr124, 3, 2, 3), 4);
    /* Once it fetches, the watermark moves. */
    repl_follower_fetched(&f[1], 8, 10, 20);
    ck_assert_int_eq(repl_leader_hw(4, 1, 10, f, 2, isr, 3, 2, 3), 7);
}
END_TEST

START_TEST(test_hw_frozen_below_min_isr)
{
    struct repl_follower f[2];
    follower_at(&f[0], 2, 7);
    follower_at(&f[1], 3, 9);
    int32_t isr[] = {1};
    /* ISR of 1 < min.insync.replicas 2 with 3 replicas: frozen at the old value. */
    ck_assert_int_eq(repl_leader_hw(3, 1, 10, f, 2, isr, 1, 2, 3), 3);
    /* Back at the minimum it moves. */
    int32_t isr12[] = {1, 2};
    ck_assert_int_eq(repl_leader_hw(3, 1, 10, f, 2, isr12, 2, 2, 3), 7);
}
END_TEST

START_TEST(test_hw_not_frozen_when_every_replica_is_in_isr)
{
    /* A topic with fewer replicas than min.insync.replicas still advances (acks=1). */
    int32_t isr[] = {1};
    ck_assert_int_eq(repl_leader_hw(0, 1, 5, NULL, 0, isr, 1, 2, 1), 5);
    struct repl_follower f[1];
    follower_at(&f[0], 2, 4);
    int32_t isr12[] = {1, 2};
    ck_assert_int_eq(repl_leader_hw(0, 1, 5, f, 1, isr12, 2, 3, 2), 4);
}
END_TEST

START_TEST(test_hw_never_backwards)
{
    struct repl_follower f[2];
    follower_at(&f[0], 2, 3);
    follower_at(&f[1], 3, 9);
    int32_t isr[] = {1, 2, 3};
    ck_assert_int_eq(repl_leader_hw(6, 1, 10, f, 2, isr, 3, 2, 3), 6);
    /* Even when the leader's own LEO is below the old value. */
    ck_assert_int_eq(repl_leader_hw(6, 1, 2, f, 2, isr, 3, 2, 3), 6);
}
END_TEST

/* ---- repl_follower_out_of_sync / repl_follower_may_join ---- */

START_TEST(test_out_of_sync_after_lag_max)
{
    struct repl_follower f;
    repl_follower_reset(&f, 2, false, 0);
    repl_follower_fetched(&f, 10, 10, 1000);
    ck_assert(!repl_follower_out_of_sync(&f, 1000, 300));
    ck_assert(!repl_follower_out_of_sync(&f, 1300, 300));
    ck_assert(repl_follower_out_of_sync(&f, 1301, 300));
    /* Fetching without catching up does not help. */
    repl_follower_fetched(&f, 10, 20, 1200);
    repl_follower_fetched(&f, 15, 30, 1400);
    ck_assert(repl_follower_out_of_sync(&f, 1400, 300));
}
END_TEST

START_TEST(test_may_join)
{
    struct repl_follower f;
    repl_follower_reset(&f, 2, false, 0);
    /* Never fetched in this leadership. */
    ck_assert(!repl_follower_may_join(&f, 0, 0, 100, 300));
    repl_follower_fetched(&f, 10, 10, 100);
    ck_assert(repl_follower_may_join(&f, 10, 5, 100, 300));
    /* Below the high watermark. */
    ck_assert(!repl_follower_may_join(&f, 11, 5, 100, 300));
    /* Below the start of the leader's current epoch: may hold a stale tail. */
    ck_assert(!repl_follower_may_join(&f, 8, 11, 100, 300));
    /* Exactly at both bounds is enough. */
    ck_assert(repl_follower_may_join(&f, 10, 10, 100, 300));
    /* Caught up too long ago. */
    ck_assert(!repl_follower_may_join(&f, 10, 5, 401, 300));
}
END_TEST

/* ---- repl_fetch_diverges ---- */

START_TEST(test_no_check_without_last_fetched_epoch)
{
    int32_t de = 99;
    int64_t dend = 99;
    ck_assert(!repl_fetch_diverges(-1, 50, -1, -1, &de, &dend));
    ck_assert_int_eq(de, -1);
    ck_assert_int_eq(dend, -1);
    /* Even an end offset far below the fetch offset is not looked at. */
    ck_assert(!repl_fetch_diverges(-1, 50, 2, 10, &de, &dend));
}
END_TEST

START_TEST(test_diverges_on_lower_found_epoch)
{
    int32_t de;
    int64_t dend;
    /* The follower's last epoch 5 is unknown to the leader, whose largest epoch <= 5
     * is 3, ending at 40: diverging even though 40 >= the fetch offset. */
    ck_assert(repl_fetch_diverges(5, 30, 3, 40, &de, &dend));
    ck_assert_int_eq(de, 3);
    ck_assert_int_eq(dend, 40);
}
END_TEST

START_TEST(test_diverges_on_end_below_fetch_offset)
{
    int32_t de;
    int64_t dend;
    ck_assert(repl_fetch_diverges(4, 30, 4, 25, &de, &dend));
    ck_assert_int_eq(de, 4);
    ck_assert_int_eq(dend, 25);
    /* End offset equal to the fetch offset: the follower is a prefix. */
    ck_assert(!repl_fetch_diverges(4, 25, 4, 25, &de, &dend));
    ck_assert_int_eq(de, -1);
    ck_assert_int_eq(dend, -1);
    ck_assert(!repl_fetch_diverges(4, 20, 4, 25, &de, &dend));
}
END_TEST

START_TEST(test_diverges_when_leader_has_no_end_offset)
{
    /* The leader knows no epoch <= the requested one: (-1, -1) is passed on. */
    int32_t de;
    int64_t dend;
    ck_assert(repl_fetch_diverges(4, 30, -1, -1, &de, &dend));
    ck_assert_int_eq(de, -1);
    ck_assert_int_eq(dend, -1);
}
END_TEST

/* ---- repl_truncation_offset ---- */

START_TEST(test_truncate_same_epoch_to_smaller_end)
{
    /* Both know epoch 4: cut at the smaller of the two ends. */
    ck_assert_int_eq(repl_truncation_offset(4, 25, 4, 30, 35, 10), 25);
    ck_assert_int_eq(repl_truncation_offset(4, 32, 4, 30, 35, 10), 30);
}
END_TEST

START_TEST(test_truncate_older_common_epoch_to_own_end)
{
    /* The leader answered epoch 4, the follower only knows 2 (ending at 18): it cuts
     * there and asks again, whatever the leader's end offset is. */
    ck_assert_int_eq(repl_truncation_offset(4, 25, 2, 18, 35, 10), 18);
    ck_assert_int_eq(repl_truncation_offset(4, 12, 2, 18, 35, 10), 18);
}
END_TEST

START_TEST(test_truncate_unknown_epoch_to_leader_end)
{
    /* The follower knows no epoch <= the leader's: the leader's end is the bound. */
    ck_assert_int_eq(repl_truncation_offset(4, 25, -1, -1, 35, 10), 25);
    /* The leader named no epoch but an end offset. */
    ck_assert_int_eq(repl_truncation_offset(-1, 22, 3, 30, 35, 10), 22);
}
END_TEST

START_TEST(test_truncate_no_leader_end_to_hw)
{
    ck_assert_int_eq(repl_truncation_offset(-1, -1, -1, -1, 35, 10), 10);
    ck_assert_int_eq(repl_truncation_offset(4, -1, 4, 30, 35, 12), 12);
}
END_TEST

START_TEST(test_truncate_never_above_leo_or_below_zero)
{
    ck_assert_int_eq(repl_truncation_offset(4, 50, 4, 60, 35, 10), 35);
    ck_assert_int_eq(repl_truncation_offset(4, 25, -1, -1, 20, 10), 20);
    ck_assert_int_eq(repl_truncation_offset(-1, -1, -1, -1, 5, 8), 5);
    ck_assert_int_eq(repl_truncation_offset(-1, -1, -1, -1, 5, -1), 0);
}
END_TEST

/* ---- repl_follower_hw ---- */

START_TEST(test_follower_hw)
{
    /* min(leader HW, own LEO). */
    ck_assert_int_eq(repl_follower_hw(0, 10, 7), 7);
    ck_assert_int_eq(repl_follower_hw(0, 5, 7), 5);
    /* Never backwards: a new leader whose HW lags keeps ours. */
    ck_assert_int_eq(repl_follower_hw(6, 4, 7), 6);
    /* Except when the log was truncated below it. */
    ck_assert_int_eq(repl_follower_hw(6, 4, 3), 3);
    ck_assert_int_eq(repl_follower_hw(6, 10, 3), 3);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replication");
    TCase *tc = tcase_create("follower_state");
    tcase_add_test(tc, test_reset_isr_member_is_caught_up_now);
    tcase_add_test(tc, test_reset_non_member_never_caught_up);
    tcase_add_test(tc, test_fetch_at_leader_leo_is_caught_up);
    tcase_add_test(tc, test_caught_up_as_of_previous_fetch);
    tcase_add_test(tc, test_not_caught_up_short_of_previous_leader_leo);
    tcase_add_test(tc, test_first_fetch_after_reset_has_no_previous);
    tcase_add_test(tc, test_caught_up_time_never_goes_back);
    suite_add_tcase(s, tc);
    tc = tcase_create("high_watermark");
    tcase_add_test(tc, test_hw_is_min_leo_over_isr);
    tcase_add_test(tc, test_hw_unknown_follower_leo_holds_back);
    tcase_add_test(tc, test_hw_frozen_below_min_isr);
    tcase_add_test(tc, test_hw_not_frozen_when_every_replica_is_in_isr);
    tcase_add_test(tc, test_hw_never_backwards);
    suite_add_tcase(s, tc);
    tc = tcase_create("isr");
    tcase_add_test(tc, test_out_of_sync_after_lag_max);
    tcase_add_test(tc, test_may_join);
    suite_add_tcase(s, tc);
    tc = tcase_create("divergence");
    tcase_add_test(tc, test_no_check_without_last_fetched_epoch);
    tcase_add_test(tc, test_diverges_on_lower_found_epoch);
    tcase_add_test(tc, test_diverges_on_end_below_fetch_offset);
    tcase_add_test(tc, test_diverges_when_leader_has_no_end_offset);
    suite_add_tcase(s, tc);
    tc = tcase_create("truncation");
    tcase_add_test(tc, test_truncate_same_epoch_to_smaller_end);
    tcase_add_test(tc, test_truncate_older_common_epoch_to_own_end);
    tcase_add_test(tc, test_truncate_unknown_epoch_to_leader_end);
    tcase_add_test(tc, test_truncate_no_leader_end_to_hw);
    tcase_add_test(tc, test_truncate_never_above_leo_or_below_zero);
    tcase_add_test(tc, test_follower_hw);
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
