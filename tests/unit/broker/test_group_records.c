/*
 * Unit tests of the __consumer_offsets record formats (broker/group/group_records.c):
 * the group -> partition hash (Java String.hashCode and Utils.abs), exact
 * bytes of OffsetCommitKey/Value and GroupMetadataKey as Kafka writes them,
 * reading every value version (0-4, flexible 4), tombstone-free round trips,
 * malformed input and consumer-protocol subscriptions.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "group_records.h"

START_TEST(test_partition_for)
{
    /* Values of Java's "...".hashCode(), abs, mod 50. */
    ck_assert_int_eq(group_records_partition_for("test", 50), 48);
    ck_assert_int_eq(group_records_partition_for("my-group", 50), 12);
    ck_assert_int_eq(group_records_partition_for("console-consumer-12345", 50), 6);
    ck_assert_int_eq(group_records_partition_for("", 50), 0);
    /* Non-ASCII: UTF-16 code units, a surrogate pair for U+1F600. */
    ck_assert_int_eq(group_records_partition_for("gr\xc3\xbcppe", 50), 12);
    ck_assert_int_eq(group_records_partition_for("g\xf0\x9f\x98\x80", 50), 32);
    /* hashCode == Integer.MIN_VALUE: Utils.abs gives 0. */
    ck_assert_int_eq(group_records_partition_for("polygenelubricants", 50), 0);
    ck_assert_int_eq(group_records_partition_for("test", 1), 0);
    /* Malformed UTF-8 never reads past the string. */
    int32_t p = group_records_partition_for("\xe2\x82", 7);
    ck_assert(p >= 0 && p < 7);
}
END_TEST

START_TEST(test_offset_key_and_value_bytes)
{
    struct wbuf w;
    wbuf_init(&w, 32);
    ck_assert_int_eq(group_records_offset_key(&w, "g", "t", 2), 0);
    static const uint8_t key[] = {0, 1, 0, 1, 'g', 0, 1, 't', 0, 0, 0, 2};
    ck_assert_uint_eq(w.len, sizeof key);
    ck_assert(memcmp(w.data, key, sizeof key) == 0);

    w.len = 0;
    struct group_offset_value v = {5, 7, {"m", 1}, 1000, -1};
    ck_assert_int_eq(group_records_offset_value(&w, &v), 0);
    static const uint8_t v3[] = {0, 3, 0, 0,   0, 0, 0, 0, 0, 5, 0,    0,   0,
                                 7, 0, 1, 'm', 0, 0, 0, 0, 0, 0, 0x03, 0xe8};
    ck_assert_uint_eq(w.len, sizeof v3);
    ck_assert(memcmp(w.data, v3, sizeof v3) == 0);

    /* An explicit expire timestamp (OffsetCommit v2-4 retention) is written as v1. */
    w.len = 0;
    v.expire_timestamp = 2000;
    ck_assert_int_eq(group_records_offset_value(&w, &v), 0);
    static const uint8_t v1[] = {0, 1, 0, 0, 0, 0,    0, 0, 0, 5, 0, 1, 'm',  0,   0,
                                 0, 0, 0, 0, 3, 0xe8, 0, 0, 0, 0, 0, 0, 0x07, 0xd0};
    ck_assert_uint_eq(w.len, sizeof v1);
    ck_assert(memcmp(w.data, v1, sizeof v1) == 0);

    w.len = 0;
    ck_assert_int_eq(group_records_group_key(&w, "g"), 0);
    static const uint8_t gk[] = {0, 2, 0, 1, 'g'};
    ck_assert_uint_eq(w.len, sizeof gk);
    ck_assert(memcmp(w.data, gk, sizeof gk) == 0);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_decode_keys_and_versions)
{
    struct arena a = ARENA_INIT;
    struct group_record_key k;
    static const uint8_t key0[] = {0, 0, 0, 2, 'g', '1', 0, 1, 't', 0, 0, 0, 9};
    ck_assert_int_eq(group_records_key_decode(key0, sizeof key0, &a, &k), GROUP_RECORD_OFFSET);
    ck_assert_str_eq(k.group.s, "g1");
    ck_assert_str_eq(k.topic.s, "t");
    ck_assert_int_eq(k.partition, 9);
    static const uint8_t gkey[] = {0, 2, 0, 1, 'g'};
    ck_assert_int_eq(group_records_key_decode(gkey, sizeof gkey, &a, &k), GROUP_RECORD_GROUP);
    ck_assert_str_eq(k.group.s, "g");
    /* KIP-848 consumer-group records (key version 3+) are not ours. */
    static const uint8_t other[] = {0, 3, 0, 1, 'g'};
    ck_assert_int_eq(group_records_key_decode(other, sizeof other, &a, &k), GROUP_RECORD_OTHER);
    /* Truncated, trailing bytes, null group. */
    ck_assert_int_eq(group_records_key_decode(key0, 7, &a, &k), SL_ECORRUPT);
    static const uint8_t trailing[] = {0, 2, 0, 1, 'g', 0};
    ck_assert_int_eq(group_records_key_decode(trailing, sizeof trailing, &a, &k), SL_ECORRUPT);
    static const uint8_t nullg[] = {0, 2, 0xff, 0xff};
    ck_assert_int_eq(group_records_key_decode(nullg, sizeof nullg, &a, &k), SL_ECORRUPT);
    ck_assert_int_eq(group_records_key_decode(key0, 1, &a, &k), SL_ECORRUPT);

    struct group_offset_value v;
    /* v0: offset, metadata, commit timestamp. */
    static const uint8_t v0[] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    ck_assert_int_eq(group_records_offset_value_decode(v0, sizeof v0, &a, &v), 0);
    ck_assert_int_eq(v.offset, 9);
    ck_assert_int_eq(v.leader_epoch, -1);
    ck_assert_int_eq(v.commit_timestamp, 1);
    ck_assert_int_eq(v.expire_timestamp, -1);
    /* v4 (flexible): compact metadata and a tagged-field section. */
    static const uint8_t v4[] = {0, 4, 0,   0,   0, 0, 0, 0, 0, 3, 0, 0, 0,
                                 2, 3, 'a', 'b', 0, 0, 0, 0, 0, 0, 0, 4, 0};
    ck_assert_int_eq(group_records_offset_value_decode(v4, sizeof v4, &a, &v), 0);
    ck_assert_int_eq(v.offset, 3);
    ck_assert_int_eq(v.leader_epoch, 2);
    ck_assert_str_eq(v.metadata.s, "ab");
    ck_assert_int_eq(v.commit_timestamp, 4);
    static const uint8_t v9[] = {0, 9, 0, 0};
    ck_assert_int_eq(group_records_offset_value_decode(v9, sizeof v9, &a, &v), SL_EUNSUPPORTED);
    ck_assert_int_eq(group_records_offset_value_decode(v4, 12, &a, &v), SL_ECORRUPT);
    arena_free(&a);
}
END_TEST

START_TEST(test_group_value_round_trip)
{
    struct arena a = ARENA_INIT;
    struct group_member_value m[2] = {
        {{"m1", 2},
         {"i1", 2},
         {"c1", 2},
         {"/1.2.3.4", 8},
         30000,
         10000,
         {(const uint8_t *)"sub", 3, NULL},
         {(const uint8_t *)"as", 2, NULL}},
        {{"m2", 2},
         {NULL, -1},
         {"c2", 2},
         {"/h", 2},
         -1,
         45000,
         {(const uint8_t *)"", 0, NULL},
         {NULL, 0, NULL}},
    };
    struct group_metadata_value v = {{"consumer", 8}, 7, {"range", 5}, {"m1", 2}, 123, {2, m}};
    struct wbuf w;
    wbuf_init(&w, 64);
    ck_assert_int_eq(group_records_group_value(&w, &v), 0);
    ck_assert_int_eq(w.data[1], 3);
    struct group_metadata_value back;
    ck_assert_int_eq(group_records_group_value_decode(w.data, (int32_t)w.len, &a, &back), 0);
    ck_assert_str_eq(back.protocol_type.s, "consumer");
    ck_assert_int_eq(back.generation, 7);
    ck_assert_str_eq(back.protocol.s, "range");
    ck_assert_str_eq(back.leader.s, "m1");
    ck_assert_int_eq(back.current_state_timestamp, 123);
    ck_assert_int_eq(back.members.n, 2);
    ck_assert_str_eq(back.members.v[0].group_instance_id.s, "i1");
    ck_assert_ptr_null(back.members.v[1].group_instance_id.s);
    ck_assert_int_eq(back.members.v[0].rebalance_timeout, 30000);
    ck_assert_int_eq(back.members.v[1].session_timeout, 45000);
    ck_assert_int_eq(back.members.v[0].subscription.len, 3);
    ck_assert(memcmp(back.members.v[0].assignment.p, "as", 2) == 0);
    /* Every truncation of the value is rejected, never read past. */
    for (size_t n = 0; n < w.len; n++)
        ck_assert_int_ne(group_records_group_value_decode(w.data, (int32_t)n, &a, &back), 0);
    /* An Empty generation: null protocol and leader, no members. */
    struct group_metadata_value e = {{"consumer", 8}, 8, {NULL, -1}, {NULL, -1}, 5, {0, NULL}};
    w.len = 0;
    ck_assert_int_eq(group_records_group_value(&w, &e), 0);
    ck_assert_int_eq(group_records_group_value_decode(w.data, (int32_t)w.len, &a, &back), 0);
    ck_assert_ptr_null(back.protocol.s);
    ck_assert_int_eq(back.members.n, 0);
    /* v0 has no current-state timestamp and no instance ids. */
    static const uint8_t v0[] = {0, 0, 0, 1, 'c', 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0};
    ck_assert_int_eq(group_records_group_value_decode(v0, sizeof v0, &a, &back), 0);
    ck_assert_int_eq(back.current_state_timestamp, -1);
    ck_assert_int_eq(back.generation, 1);
    wbuf_free(&w);
    arena_free(&a);
}
END_TEST

START_TEST(test_subscription)
{
    struct arena a = ARENA_INIT;
    struct consumer_protocol_subscription s;
    /* v1: topics ["a","bb"], null user data, no owned partitions. */
    static const uint8_t v1[] = {0,   1,   0,    0,    0,    2,    0, 1, 'a', 0, 2,
                                 'b', 'b', 0xff, 0xff, 0xff, 0xff, 0, 0, 0,   0};
    ck_assert_int_eq(group_records_subscription_decode(v1, sizeof v1, &a, &s), 0);
    ck_assert_int_eq(s.topics.n, 2);
    ck_assert_str_eq(s.topics.v[1].s, "bb");
    /* A newer version than we know is read as the latest known one. */
    static const uint8_t v7[] = {0, 7, 0, 0, 0, 1, 0, 1, 'x',  0xff, 0xff, 0xff, 0xff,
                                 0, 0, 0, 0, 0, 0, 0, 4, 0xff, 0xff, 9,    9};
    ck_assert_int_eq(group_records_subscription_decode(v7, sizeof v7, &a, &s), 0);
    ck_assert_str_eq(s.topics.v[0].s, "x");
    ck_assert_int_eq(s.generation_id, 4);
    ck_assert_int_eq(group_records_subscription_decode(v1, 5, &a, &s), SL_ECORRUPT);
    ck_assert_int_eq(group_records_subscription_decode(NULL, 0, &a, &s), SL_ECORRUPT);
    static const uint8_t huge[] = {0, 0, 0x7f, 0xff, 0xff, 0xff};
    ck_assert_int_eq(group_records_subscription_decode(huge, sizeof huge, &a, &s), SL_ECORRUPT);
    arena_free(&a);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("group_records");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_partition_for);
    tcase_add_test(tc, test_offset_key_and_value_bytes);
    tcase_add_test(tc, test_decode_keys_and_versions);
    tcase_add_test(tc, test_group_value_round_trip);
    tcase_add_test(tc, test_subscription);
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
