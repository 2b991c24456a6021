/*
 * Tests for common/buf.h: fixed-width big-endian fields, unsigned varints
 * (KIP-482) and zigzag varints/varlongs (record format v2), the sticky error
 * flag and malformed or truncated varints.
 */
#include <check.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

START_TEST(test_fixed_roundtrip)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    wbuf_i8(&w, -5);
    wbuf_i16(&w, -300);
    wbuf_u16(&w, 65000);
    wbuf_i32(&w, INT32_MIN);
    wbuf_u32(&w, 0xDEADBEEFu);
    wbuf_i64(&w, INT64_MIN + 7);
    wbuf_f64(&w, 3.25);
    size_t off = wbuf_skip(&w, 4);
    wbuf_patch_i32(&w, off, 0x01020304);
    ck_assert_uint_eq(w.len, 1 + 2 + 2 + 4 + 4 + 8 + 8 + 4);
    /* Big-endian on the wire. */
    ck_assert_uint_eq(w.data[1], 0xfe);
    ck_assert_uint_eq(w.data[2], 0xd4);
    ck_assert_uint_eq(w.data[off], 1);
    ck_assert_uint_eq(w.data[off + 3], 4);

    struct rbuf r;
    rbuf_init(&r, w.data, w.len);
    ck_assert_int_eq(rbuf_i8(&r), -5);
    ck_assert_int_eq(rbuf_i16(&r), -300);
    ck_assert_uint_eq(rbuf_u16(&r), 65000);
    ck_assert_int_eq(rbuf_i32(&r), INT32_MIN);
    ck_assert_uint_eq(rbuf_u32(&r), 0xDEADBEEFu);
    ck_assert(rbuf_i64(&r) == INT64_MIN + 7);
    ck_assert(rbuf_f64(&r) == 3.25);
    ck_assert_int_eq(rbuf_i32(&r), 0x01020304);
    ck_assert(!r.err);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    /* Reading past the end sets the sticky flag and returns 0. */
    ck_assert_int_eq(rbuf_i8(&r), 0);
    ck_assert(r.err);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_known_encodings)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    wbuf_uvarint(&w, 300); /* ac 02 */
    wbuf_varint(&w, -1);   /* 01 */
    wbuf_varint(&w, 1);    /* 02 */
    wbuf_varint(&w, -64);  /* 7f */
    wbuf_varint(&w, 64);   /* 80 01 */
    const uint8_t expect[] = {0xac, 0x02, 0x01, 0x02, 0x7f, 0x80, 0x01};
    ck_assert_uint_eq(w.len, sizeof expect);
    ck_assert_mem_eq(w.data, expect, sizeof expect);
    ck_assert_uint_eq(uvarint_size(300), 2);
    ck_assert_uint_eq(varint_size(-1), 1);
    ck_assert_uint_eq(varint_size(64), 2);
    ck_assert_uint_eq(varint_size(INT32_MIN), 5);
    ck_assert_uint_eq(varlong_size(INT64_MIN), 10);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_varint_roundtrip)
{
    static const int64_t vals[] = {0,         1,         -1,        63,        -64,
                                   64,        -65,       8191,      -8192,     INT32_MAX,
                                   INT32_MIN, INT64_MAX, INT64_MIN, 1ll << 40, -(1ll << 40)};
    size_t n = sizeof vals / sizeof vals[0];
    struct wbuf w;
    wbuf_init(&w, 0);
    for (size_t i = 0; i < n; i++) {
        if (vals[i] >= INT32_MIN && vals[i] <= INT32_MAX)
            wbuf_varint(&w, (int32_t)vals[i]);
        wbuf_varlong(&w, vals[i]);
        wbuf_uvarint(&w, (uint64_t)vals[i]);
    }
    struct rbuf r;
    rbuf_init(&r, w.data, w.len);
    for (size_t i = 0; i < n; i++) {
        if (vals[i] >= INT32_MIN && vals[i] <= INT32_MAX)
            ck_assert_int_eq(rbuf_varint(&r), (int32_t)vals[i]);
        ck_assert(rbuf_varlong(&r) == vals[i]);
        ck_assert(rbuf_uvarlong(&r) == (uint64_t)vals[i]);
    }
    ck_assert(!r.err);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_malformed_varints)
{
    struct rbuf r;
    /* Truncated: continuation bit set on the last byte. */
    const uint8_t trunc[] = {0x80, 0x80};
    rbuf_init(&r, trunc, sizeof trunc);
    (void)rbuf_uvarint(&r);
    ck_assert(r.err);

    /* Six bytes for a 32-bit varint. */
    const uint8_t too_long32[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    rbuf_init(&r, too_long32, sizeof too_long32);
    (void)rbuf_uvarint(&r);
    ck_assert(r.err);

    /* Fifth byte carries bits beyond 32. */
    const uint8_t over32[] = {0xff, 0xff, 0xff, 0xff, 0x1f};
    rbuf_init(&r, over32, sizeof over32);
    (void)rbuf_uvarint(&r);
    ck_assert(r.err);

    /* The largest 32-bit value is accepted. */
    const uint8_t max32[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    rbuf_init(&r, max32, sizeof max32);
    ck_assert_uint_eq(rbuf_uvarint(&r), UINT32_MAX);
    ck_assert(!r.err);

    /* Eleven bytes for a 64-bit varint, and a tenth byte with bits beyond 64. */
    uint8_t too_long64[11];
    memset(too_long64, 0x80, sizeof too_long64);
    too_long64[10] = 0;
    rbuf_init(&r, too_long64, sizeof too_long64);
    (void)rbuf_uvarlong(&r);
    ck_assert(r.err);
    uint8_t over64[10];
    memset(over64, 0xff, sizeof over64);
    over64[9] = 0x02;
    rbuf_init(&r, over64, sizeof over64);
    (void)rbuf_uvarlong(&r);
    ck_assert(r.err);
    over64[9] = 0x01;
    rbuf_init(&r, over64, sizeof over64);
    ck_assert(rbuf_uvarlong(&r) == UINT64_MAX);
    ck_assert(!r.err);

    /* Errors are sticky. */
    const uint8_t ok[] = {0x02, 0x02};
    rbuf_init(&r, ok, sizeof ok);
    rbuf_fail(&r);
    ck_assert_int_eq(rbuf_varint(&r), 0);
    ck_assert(r.err);
}
END_TEST

START_TEST(test_take_and_detach)
{
    const uint8_t in[] = {1, 2, 3, 4, 5};
    struct rbuf r;
    rbuf_init(&r, in, sizeof in);
    const uint8_t *p = rbuf_take(&r, 3);
    ck_assert_ptr_eq(p, in);
    ck_assert_ptr_null(rbuf_take(&r, 3));
    ck_assert(r.err);

    struct wbuf w;
    wbuf_init(&w, 2);
    wbuf_bytes(&w, in, sizeof in);
    wbuf_bytes(&w, NULL, 0);
    size_t len;
    uint8_t *d = wbuf_detach(&w, &len);
    ck_assert_uint_eq(len, sizeof in);
    ck_assert_mem_eq(d, in, sizeof in);
    ck_assert_ptr_null(w.data);
    free(d);
}
END_TEST

static Suite *buf_suite(void)
{
    Suite *s = suite_create("buf");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_fixed_roundtrip);
    tcase_add_test(tc, test_known_encodings);
    tcase_add_test(tc, test_varint_roundtrip);
    tcase_add_test(tc, test_malformed_varints);
    tcase_add_test(tc, test_take_and_detach);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(buf_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
