/*
 * Unit tests of idempotent-producer state (broker/replica/producer_state.c): the
 * sequence rules of Kafka's ProducerAppendInfo (KIP-98, KIP-360).
 */
#include <check.h>
#include <stdlib.h>

#include "producer_state.h"

/* Kafka 2.5+ (KIP-360): a producer without state is accepted at any sequence. */
START_TEST(test_new_producer_any_sequence)
{
    struct producer_state ps = {0};
    ck_assert_int_eq(producer_state_check(&ps, 7, 0, 0, 5, NULL), PRODUCER_OK);
    ck_assert_int_eq(producer_state_check(&ps, 7, 0, 3, 5, NULL), PRODUCER_OK);
    ck_assert_int_eq(producer_state_check(&ps, 7, 4, INT32_MAX, 1, NULL), PRODUCER_OK);
    producer_state_free(&ps);
}
END_TEST

START_TEST(test_in_sequence_gap_and_duplicate)
{
    struct producer_state ps = {0};
    producer_state_update(&ps, 7, 0, 0, 5, 100, 104, 1);
    ck_assert_int_eq(producer_state_check(&ps, 7, 0, 5, 3, NULL), PRODUCER_OK);
    ck_assert_int_eq(producer_state_check(&ps, 7, 0, 6, 3, NULL), PRODUCER_OUT_OF_ORDER);
    struct producer_batch dup;
    ck_assert_int_eq(producer_state_check(&ps, 7, 0, 0, 5, &dup), PRODUCER_DUPLICATE);
    ck_assert_int_eq(dup.first_offset, 100);
    ck_assert_int_eq(dup.last_offset, 104);
    producer_state_free(&ps);
}
END_TEST

START_TEST(test_only_last_five_batches_are_remembered)
{
    struct producer_state ps = {0};
    for (int i = 0; i < 7; i++)
        producer_state_update(&ps, 9, 0, i * 2, 2, 10 * i, 10 * i + 1, i);
    struct producer_batch dup;
    /* batches 2..6 retained, 0 and 1 forgotten */
    ck_assert_int_eq(producer_state_check(&ps, 9, 0, 4, 2, &dup), PRODUCER_DUPLICATE);
    ck_assert_int_eq(dup.first_offset, 20);
    ck_assert_int_eq(producer_state_check(&ps, 9, 0, 0, 2, &dup), PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(producer_state_check(&ps, 9, 0, 14, 1, NULL), PRODUCER_OK);
    producer_state_free(&ps);
}
END_TEST

START_TEST(test_epochs)
{
    struct producer_state ps = {0};
    producer_state_update(&ps, 3, 2, 0, 1, 0, 0, 1);
    ck_assert_int_eq(producer_state_check(&ps, 3, 1, 1, 1, NULL), PRODUCER_FENCED);
    ck_assert_int_eq(producer_state_check(&ps, 3, 3, 5, 1, NULL), PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(producer_state_check(&ps, 3, 3, 0, 1, NULL), PRODUCER_OK);
    producer_state_update(&ps, 3, 3, 0, 1, 1, 1, 2);
    ck_assert_int_eq(producer_state_check(&ps, 3, 2, 1, 1, NULL), PRODUCER_FENCED);
    producer_state_free(&ps);
}
END_TEST

START_TEST(test_sequence_wraps)
{
    struct producer_state ps = {0};
    ck_assert_int_eq(producer_seq_last(INT32_MAX - 1, 3), 0);
    producer_state_update(&ps, 1, 0, 0, 1, 0, 0, 0);
    /* Force the last sequence to INT32_MAX through a batch ending there. */
    producer_state_update(&ps, 1, 0, INT32_MAX - 9, 10, 1, 10, 0);
    ck_assert_int_eq(producer_state_check(&ps, 1, 0, 0, 4, NULL), PRODUCER_OK);
    producer_state_free(&ps);
}
END_TEST

START_TEST(test_many_producers_truncate_and_expire)
{
    struct producer_state ps = {0};
    for (int64_t pid = 0; pid < 1000; pid++)
        producer_state_update(&ps, pid, 0, 0, 1, pid, pid, pid);
    ck_assert_uint_eq(ps.count, 1000);
    for (int64_t pid = 0; pid < 1000; pid++)
        ck_assert_int_eq(producer_state_check(&ps, pid, 0, 1, 1, NULL), PRODUCER_OK);
    producer_state_truncate(&ps, 500); /* producers whose only batch is at >= 500 vanish */
    ck_assert_uint_eq(ps.count, 500);
    /* 700's state is gone: a gap is no longer detectable, so any sequence goes. */
    ck_assert_int_eq(producer_state_check(&ps, 700, 0, 9, 1, NULL), PRODUCER_OK);
    ck_assert_int_eq(producer_state_check(&ps, 100, 0, 1, 1, NULL), PRODUCER_OK);
    ck_assert_int_eq(producer_state_check(&ps, 100, 0, 9, 1, NULL), PRODUCER_OUT_OF_ORDER);
    /* now 1249, expiration 1000: last timestamps 0..249 (now - last >= 1000) expire */
    ck_assert_uint_eq(producer_state_remove_expired(&ps, 1249, 1000), 250);
    ck_assert_uint_eq(ps.count, 250);
    ck_assert_int_eq(producer_state_check(&ps, 300, 0, 9, 1, NULL), PRODUCER_OUT_OF_ORDER);
    ck_assert_int_eq(producer_state_check(&ps, 100, 0, 9, 1, NULL), PRODUCER_OK);
    producer_state_free(&ps);
}
END_TEST

/* producer.id.expiration.ms: idle producers go, active ones stay, memory is bounded. */
START_TEST(test_expiry_bounds_state)
{
    struct producer_state ps = {0};
    const int64_t exp = 86400000;
    producer_state_update(&ps, 1, 0, 0, 1, 0, 0, 1000);
    producer_state_update(&ps, 2, 0, 0, 1, 1, 1, 5000);
    ck_assert_uint_eq(producer_state_remove_expired(&ps, 1000 + exp - 1, exp), 0);
    ck_assert_uint_eq(producer_state_remove_expired(&ps, 1000 + exp, exp), 1); /* Kafka: >= */
    ck_assert_uint_eq(ps.count, 1);
    /* A write refreshes the producer's last timestamp. */
    producer_state_update(&ps, 2, 0, 1, 1, 2, 2, 5000 + exp);
    ck_assert_uint_eq(producer_state_remove_expired(&ps, 5000 + exp + 10, exp), 0);
    /* An expired producer writing again with a later sequence is accepted as new
     * (KIP-360), and its duplicates can no longer be recognised. */
    ck_assert_int_eq(producer_state_check(&ps, 1, 0, 1, 1, NULL), PRODUCER_OK);
    /* Many idle producers: the table empties. */
    for (int64_t pid = 10; pid < 5010; pid++)
        producer_state_update(&ps, pid, 0, 0, 1, pid, pid, pid);
    ck_assert_uint_eq(ps.count, 5001);
    ck_assert_uint_eq(producer_state_remove_expired(&ps, 5010 + exp, exp), 5000);
    ck_assert_uint_eq(ps.count, 1);
    ck_assert_uint_eq(producer_state_remove_expired(&ps, 0, -1), 0);
    producer_state_free(&ps);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("producer_state");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_new_producer_any_sequence);
    tcase_add_test(tc, test_in_sequence_gap_and_duplicate);
    tcase_add_test(tc, test_only_last_five_batches_are_remembered);
    tcase_add_test(tc, test_epochs);
    tcase_add_test(tc, test_expiry_bounds_state);
    tcase_add_test(tc, test_sequence_wraps);
    tcase_add_test(tc, test_many_producers_truncate_and_expire);
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
