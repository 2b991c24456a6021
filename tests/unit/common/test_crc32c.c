/*
 * Tests for CRC-32C: published check values, chaining, and the SSE4.2 path
 * against the slicing-by-8 path on random data of every alignment.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"

START_TEST(test_check_value)
{
    ck_assert_uint_eq(crc32c(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(crc32c_sw(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(crc32c_hw(0, "123456789", 9), 0xE3069283u);
    ck_assert_uint_eq(crc32c(0, "", 0), 0u);
}
END_TEST

/* RFC 3720 (iSCSI) appendix B.4 test vectors. */
START_TEST(test_rfc3720_vectors)
{
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    ck_assert_uint_eq(crc32c(0, buf, 32), 0x8A9136AAu);
    ck_assert_uint_eq(crc32c_sw(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, sizeof buf);
    ck_assert_uint_eq(crc32c(0, buf, 32), 0x62A8AB43u);
    ck_assert_uint_eq(crc32c_sw(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    ck_assert_uint_eq(crc32c(0, buf, 32), 0x46DD794Eu);
    ck_assert_uint_eq(crc32c_sw(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    ck_assert_uint_eq(crc32c(0, buf, 32), 0x113FDB5Cu);
    ck_assert_uint_eq(crc32c_sw(0, buf, 32), 0x113FDB5Cu);
}
END_TEST

START_TEST(test_chaining)
{
    const char *s = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(s);
    uint32_t whole = crc32c(0, s, n);
    for (size_t cut = 0; cut <= n; cut++) {
        ck_assert_uint_eq(crc32c(crc32c(0, s, cut), s + cut, n - cut), whole);
        ck_assert_uint_eq(crc32c_sw(crc32c_sw(0, s, cut), s + cut, n - cut), whole);
    }
}
END_TEST

START_TEST(test_hw_matches_sw)
{
    /* Deterministic pseudo-random data (xorshift), every offset and length up to 300. */
    enum { N = 4096 + 64 };
    uint8_t *buf = malloc(N);
    ck_assert_ptr_nonnull(buf);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 16; off++)
        for (size_t len = 0; len < 300; len++)
            ck_assert_uint_eq(crc32c_hw(0, buf + off, len), crc32c_sw(0, buf + off, len));
    ck_assert_uint_eq(crc32c_hw(0x12345678u, buf + 3, 4096), crc32c_sw(0x12345678u, buf + 3, 4096));
    ck_assert_uint_eq(crc32c(0, buf, N), crc32c_sw(0, buf, N));
    free(buf);
}
END_TEST

static Suite *crc_suite(void)
{
    Suite *s = suite_create("crc32c");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_check_value);
    tcase_add_test(tc, test_rfc3720_vectors);
    tcase_add_test(tc, test_chaining);
    tcase_add_test(tc, test_hw_matches_sw);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(crc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
