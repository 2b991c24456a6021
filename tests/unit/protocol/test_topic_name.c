/*
 * Unit tests of the topic-name rule (topic_name.h): legal bytes, lengths,
 * "." and "..", and names carrying a NUL byte, which must be judged on their
 * length and never stand for their prefix.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "codec.h"
#include "topic_name.h"

static enum proto_topic_name_check chk(const char *s, size_t len)
{
    return proto_topic_name_check(s, len);
}

START_TEST(test_legal_names)
{
    ck_assert_int_eq(chk("a", 1), PROTO_TOPIC_NAME_OK);
    ck_assert_int_eq(chk("Orders.v2_eu-west", 17), PROTO_TOPIC_NAME_OK);
    ck_assert_int_eq(chk("...", 3), PROTO_TOPIC_NAME_OK);
    ck_assert_int_eq(chk("__consumer_offsets", 18), PROTO_TOPIC_NAME_OK);
    char max[PROTO_TOPIC_NAME_MAX];
    memset(max, 'x', sizeof max);
    ck_assert_int_eq(chk(max, sizeof max), PROTO_TOPIC_NAME_OK);
}
END_TEST

START_TEST(test_illegal_names)
{
    ck_assert_int_eq(chk("", 0), PROTO_TOPIC_NAME_EMPTY);
    ck_assert_int_eq(chk(NULL, 0), PROTO_TOPIC_NAME_EMPTY);
    ck_assert_int_eq(chk(".", 1), PROTO_TOPIC_NAME_DOTS);
    ck_assert_int_eq(chk("..", 2), PROTO_TOPIC_NAME_DOTS);
    char big[PROTO_TOPIC_NAME_MAX + 1];
    memset(big, 'x', sizeof big);
    ck_assert_int_eq(chk(big, sizeof big), PROTO_TOPIC_NAME_TOO_LONG);
    ck_assert_int_eq(chk("a b", 3), PROTO_TOPIC_NAME_BAD_CHAR);
    ck_assert_int_eq(chk("a/b", 3), PROTO_TOPIC_NAME_BAD_CHAR);
    ck_assert_int_eq(chk("caf\xc3\xa9", 5), PROTO_TOPIC_NAME_BAD_CHAR);
}
END_TEST

START_TEST(test_nul_inside_name)
{
    /* The bytes after the NUL count: "ab\0cd" is not "ab". */
    ck_assert_int_eq(chk("ab\0cd", 5), PROTO_TOPIC_NAME_BAD_CHAR);
    ck_assert_int_eq(chk("ab\0", 3), PROTO_TOPIC_NAME_BAD_CHAR);
    ck_assert_int_eq(chk("\0", 1), PROTO_TOPIC_NAME_BAD_CHAR);
    /* ".\0" is not "." either: it is a bad byte. */
    ck_assert_int_eq(chk(".\0", 2), PROTO_TOPIC_NAME_BAD_CHAR);
    struct kstr k = {"ab\0zzz", 6};
    ck_assert(!proto_topic_name_legal(k));
    ck_assert(proto_kstr_has_nul(k));
    struct kstr ok = {"ab", 2};
    ck_assert(proto_topic_name_legal(ok));
    ck_assert(!proto_kstr_has_nul(ok));
    struct kstr null = {NULL, -1};
    ck_assert(!proto_topic_name_legal(null));
    ck_assert(!proto_kstr_has_nul(null));
}
END_TEST

START_TEST(test_messages_and_escape)
{
    char why[512];
    proto_topic_name_why(PROTO_TOPIC_NAME_BAD_CHAR, "ab\0cd", 5, why, sizeof why);
    ck_assert_ptr_nonnull(strstr(why, "\"ab\\x00cd\" is illegal"));
    proto_topic_name_why(PROTO_TOPIC_NAME_EMPTY, "", 0, why, sizeof why);
    ck_assert_str_eq(why, "Topic name is illegal, it can't be empty");
    char out[64 * 4 + 8];
    proto_name_escape("ab\0cd", 5, out, sizeof out);
    ck_assert_str_eq(out, "ab\\x00cd");
    /* A cut name is marked so that it is never legal (it never names a real topic). */
    char longname[80];
    memset(longname, 'a', sizeof longname);
    longname[70] = '\0';
    proto_name_escape(longname, sizeof longname, out, sizeof out);
    ck_assert_int_ne(chk(out, strlen(out)), PROTO_TOPIC_NAME_OK);
    ck_assert_int_eq((int)strlen(out), 66);
}
END_TEST

START_TEST(test_kstr_cstr)
{
    struct arena a = ARENA_INIT;
    struct kstr plain = {"orders", 6};
    ck_assert_ptr_eq(proto_kstr_cstr(plain, &a), plain.s);
    struct kstr null = {NULL, -1};
    ck_assert_ptr_null(proto_kstr_cstr(null, &a));
    /* "ab\0x" must not stand for "ab": it becomes a name nothing has. */
    struct kstr nul = {"ab\0x", 4};
    const char *c = proto_kstr_cstr(nul, &a);
    ck_assert_str_eq(c, "ab\\x00x");
    ck_assert_int_ne(chk(c, strlen(c)), PROTO_TOPIC_NAME_OK);
    arena_free(&a);
}
END_TEST

static Suite *topic_name_suite(void)
{
    Suite *s = suite_create("topic_name");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_legal_names);
    tcase_add_test(tc, test_illegal_names);
    tcase_add_test(tc, test_nul_inside_name);
    tcase_add_test(tc, test_messages_and_escape);
    tcase_add_test(tc, test_kstr_cstr);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(topic_name_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
