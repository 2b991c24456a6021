/*
 * Helpers shared by the hand-written message vector tests (test_msg_vectors*.c):
 * byte macros for spelling big-endian fields out by hand, and the
 * decode / re-encode / truncation checks every vector goes through.  Decoded
 * structs live in `arena`, which each test case frees through the
 * `teardown` checked fixture.
 */
#ifndef SLUICE_TEST_MSG_VECTORS_H
#define SLUICE_TEST_MSG_VECTORS_H

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "messages.h"

/* Big-endian fixed-width fields, for spelling vectors out by hand. */
#define B16(v) (uint8_t)((uint16_t)(v) >> 8), (uint8_t)(v)
#define B32(v)                                                                                     \
    (uint8_t)((uint32_t)(v) >> 24), (uint8_t)((uint32_t)(v) >> 16), (uint8_t)((uint32_t)(v) >> 8), \
        (uint8_t)(v)
#define B64(v) B32((uint64_t)(v) >> 32), B32(v)

/* A stand-in for a record batch: the codec treats RECORDS as opaque bytes. */
#define FAKE_RECORDS 0x00, 0x01, 0x02, 0x03, 0xfe, 0xff, 0x80

static struct arena arena;

static inline void teardown(void)
{
    arena_free(&arena);
}

/* Decodes all of b as schema s at version v; fails the test unless it succeeds exactly. */
static inline void *decode_ok(const struct proto_schema *s, int16_t v, bool flex, const uint8_t *b,
                              size_t n)
{
    void *out = arena_alloc(&arena, s->size);
    struct rbuf r;
    rbuf_init(&r, b, n);
    ck_assert_int_eq(proto_decode(s, v, flex, &r, out, &arena), 0);
    ck_assert(!r.err);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    return out;
}

/* Encodes in as s at version v and checks the result is exactly b. */
static inline void encode_eq(const struct proto_schema *s, int16_t v, bool flex, const void *in,
                             const uint8_t *b, size_t n)
{
    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(s, v, flex, in, &o), 0);
    ck_assert_uint_eq(o.nsplices, 0);
    ck_assert_uint_eq(o.w.len, n);
    ck_assert_mem_eq(o.w.data, b, n);
    proto_out_free(&o);
}

/* Every strict prefix of a vector is truncated input and must be rejected. */
static inline void truncations_fail(const struct proto_schema *s, int16_t v, bool flex,
                                    const uint8_t *b, size_t n)
{
    for (size_t len = 0; len < n; len++) {
        struct arena a = ARENA_INIT;
        void *out = arena_alloc(&a, s->size);
        struct rbuf r;
        rbuf_init(&r, b, len);
        ck_assert_msg(proto_decode(s, v, flex, &r, out, &a) == SL_ECORRUPT,
                      "%s v%d: prefix of %zu/%zu bytes decoded", s->name, v, len, n);
        arena_free(&a);
    }
}

/* Decode, then re-encode to the same bytes, then reject truncations. */
static inline void *vector(const struct proto_schema *s, int16_t v, bool flex, const uint8_t *b,
                           size_t n)
{
    void *out = decode_ok(s, v, flex, b, n);
    encode_eq(s, v, flex, out, b, n);
    truncations_fail(s, v, flex, b, n);
    return out;
}

#define VECTOR(S, V, FLEX, ARR) vector(&(S), (V), (FLEX), (ARR), sizeof(ARR))

static inline void ck_kstr(struct kstr k, const char *want)
{
    if (!want) {
        ck_assert_ptr_null(k.s);
        return;
    }
    ck_assert_ptr_nonnull(k.s);
    ck_assert_int_eq(k.len, (int32_t)strlen(want));
    ck_assert_mem_eq(k.s, want, strlen(want));
    ck_assert_int_eq(k.s[k.len], '\0');
}

static inline void ck_records(struct kbytes k, const uint8_t *want, int32_t n)
{
    ck_assert_int_eq(k.len, n);
    ck_assert_ptr_null(k.file);
    if (n > 0)
        ck_assert_mem_eq(k.p, want, (size_t)n);
}

#endif
