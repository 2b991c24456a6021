/*
 * Generic round trip over the whole API table (api.h): for every served API,
 * every advertised version and both the request and the response schema,
 * fill a struct with pseudo-random values driven by the schema itself
 * (nested structs, arrays of 0-3 elements, nulls only where the version
 * allows them, tagged fields sometimes left at their default), then
 * encode -> decode -> re-encode and require identical bytes and a decode
 * that consumes everything.  Every strict prefix of an encoding must fail to
 * decode and random byte corruptions must never crash.  New APIs added to
 * the table are covered without touching this file.
 *
 * The seed is fixed and printed; set SLUICE_TEST_SEED to replay another.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "err.h"

/* The table walked: the client listener's unless the includer says otherwise. */
#ifndef ROUNDTRIP_APIS
#define ROUNDTRIP_APIS (&proto_client_apis)
#endif

#define ITERATIONS   24
#define PREFIX_ITERS 3   /* iterations per case that also check truncations */
#define MAX_PREFIXES 256 /* truncation points tested per encoding */
#define MUTATIONS    16  /* corrupted copies decoded per iteration */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static uint64_t seed_from_env(void)
{
    const char *s = getenv("SLUICE_TEST_SEED");
    if (s && *s)
        return strtoull(s, NULL, 0);
    return 0x511ce5eedULL;
}

static bool present(const struct proto_field *f, int16_t v, bool flex)
{
    return v >= f->vmin && v <= f->vmax && (f->tag < 0 || flex);
}

static void fill_struct(const struct proto_schema *s, int16_t v, bool flex, void *out,
                        struct arena *a, int depth);

static void fill_string(struct kstr *k, bool nullable, struct arena *a)
{
    if (nullable && rnd() % 5 == 0) {
        k->s = NULL;
        k->len = 0;
        return;
    }
    /* Mostly short; sometimes long enough for multi-byte compact lengths. */
    size_t n = rnd() % 8 == 0 ? 120 + rnd() % 20 : rnd() % 9;
    char *p = arena_alloc(a, n + 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + rnd() % 26);
    k->s = p;
    k->len = (int32_t)n;
}

static void fill_bytes(struct kbytes *k, bool nullable, struct arena *a)
{
    k->file = NULL;
    if (nullable && rnd() % 5 == 0) {
        k->p = NULL;
        k->len = -1;
        return;
    }
    size_t n = rnd() % 24;
    uint8_t *p = arena_alloc(a, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)rnd();
    k->p = n ? p : NULL;
    k->len = (int32_t)n;
}

/* Fills one non-array value of `type` (struct values via `sub`). */
static void fill_value(uint8_t type, const struct proto_schema *sub, bool nullable, int16_t v,
                       bool flex, void *p, struct arena *a, int depth)
{
    uint64_t x = rnd();
    switch (type) {
    case PF_BOOL:
        *(bool *)p = x & 1;
        break;
    case PF_INT8:
        *(int8_t *)p = (int8_t)x;
        break;
    case PF_INT16:
        *(int16_t *)p = (int16_t)x;
        break;
    case PF_UINT16:
        *(uint16_t *)p = (uint16_t)x;
        break;
    case PF_INT32:
        *(int32_t *)p = (int32_t)x;
        break;
    case PF_UINT32:
        *(uint32_t *)p = (uint32_t)x;
        break;
    case PF_INT64:
        *(int64_t *)p = (int64_t)x;
        break;
    case PF_FLOAT64:
        *(double *)p = (double)(int32_t)x / 8.0;
        break;
    case PF_UUID:
        for (int i = 0; i < 16; i++)
            ((struct uuid *)p)->b[i] = (uint8_t)rnd();
        break;
    case PF_STRING:
        fill_string(p, nullable, a);
        break;
    case PF_BYTES:
    case PF_RECORDS:
        fill_bytes(p, nullable, a);
        break;
    case PF_STRUCT:
        ck_assert_ptr_nonnull(sub);
        fill_struct(sub, v, flex, p, a, depth + 1);
        break;
    default:
        ck_abort_msg("unexpected field type %u", type);
    }
}

static void fill_array(const struct proto_field *f, bool nullable, int16_t v, bool flex, void *p,
                       struct arena *a, int depth)
{
    struct karr *k = p;
    if (nullable && rnd() % 6 == 0) {
        k->n = -1;
        k->v = NULL;
        return;
    }
    ck_assert_uint_gt(f->elem_size, 0);
    int32_t n = depth >= 8 ? 0 : (int32_t)(rnd() % 4);
    k->n = n;
    k->v = n ? arena_alloc(a, (size_t)n * f->elem_size) : NULL;
    for (int32_t i = 0; i < n; i++)
        fill_value(f->elem_type, f->sub, false, v, flex, (char *)k->v + (size_t)i * f->elem_size, a,
                   depth);
}

/* Sets a field to its default value, as the codec defines it. */
static void set_default(const struct proto_field *f, void *p)
{
    switch (f->type) {
    case PF_BOOL:
        *(bool *)p = f->dflt != 0;
        break;
    case PF_INT8:
        *(int8_t *)p = (int8_t)f->dflt;
        break;
    case PF_INT16:
        *(int16_t *)p = (int16_t)f->dflt;
        break;
    case PF_UINT16:
        *(uint16_t *)p = (uint16_t)f->dflt;
        break;
    case PF_INT32:
        *(int32_t *)p = (int32_t)f->dflt;
        break;
    case PF_UINT32:
        *(uint32_t *)p = (uint32_t)f->dflt;
        break;
    case PF_INT64:
        *(int64_t *)p = f->dflt;
        break;
    case PF_FLOAT64:
        *(double *)p = (double)f->dflt;
        break;
    case PF_STRUCT:
        proto_init_defaults(f->sub, p);
        break;
    default:
        break; /* zero: null string, empty bytes/array, zero UUID */
    }
}

static void fill_struct(const struct proto_schema *s, int16_t v, bool flex, void *out,
                        struct arena *a, int depth)
{
    ck_assert_int_le(depth, PROTO_MAX_DEPTH);
    for (uint16_t i = 0; i < s->nfields; i++) {
        const struct proto_field *f = &s->fields[i];
        void *p = (char *)out + f->offset;
        if (!present(f, v, flex))
            continue; /* absent: stays zero, and the encoder must not look at it */
        if (f->tag >= 0 && rnd() % 3 == 0) {
            set_default(f, p);
            continue;
        }
        bool nullable = v >= f->null_vmin;
        if (f->type == PF_ARRAY)
            fill_array(f, nullable, v, flex, p, a, depth);
        else
            fill_value(f->type, f->sub, nullable, v, flex, p, a, depth);
    }
}

struct stats {
    unsigned cases, encodings, bytes, prefixes, mutations;
};

static void check_prefixes(const struct proto_schema *s, int16_t v, bool flex, const uint8_t *p,
                           size_t n, void *scratch, struct stats *st)
{
    size_t step = n > MAX_PREFIXES ? n / MAX_PREFIXES : 1;
    for (size_t cut = 0; cut < n; cut += step) {
        struct arena a = ARENA_INIT;
        struct rbuf r;
        rbuf_init(&r, p, cut);
        int rc = proto_decode(s, v, flex, &r, scratch, &a);
        ck_assert_msg(rc == SL_ECORRUPT, "%s v%d: prefix %zu of %zu decoded (rc %d)", s->name, v,
                      cut, n, rc);
        arena_free(&a);
        st->prefixes++;
    }
}

static void check_mutations(const struct proto_schema *s, int16_t v, bool flex, const uint8_t *p,
                            size_t n, void *scratch, struct stats *st)
{
    if (n == 0)
        return;
    uint8_t *copy = malloc(n);
    for (int m = 0; m < MUTATIONS; m++) {
        memcpy(copy, p, n);
        int flips = 1 + (int)(rnd() % 3);
        for (int k = 0; k < flips; k++) {
            size_t at = rnd() % n;
            copy[at] = rnd() % 4 == 0 ? 0xff : (uint8_t)rnd();
        }
        struct arena a = ARENA_INIT;
        struct rbuf r;
        rbuf_init(&r, copy, n);
        int rc = proto_decode(s, v, flex, &r, scratch, &a);
        ck_assert(rc == 0 || rc == SL_ECORRUPT);
        if (rc == 0) {
            /* Whatever decoded must encode again. */
            struct proto_out o;
            proto_out_init(&o);
            ck_assert_int_eq(proto_encode(s, v, flex, scratch, &o), 0);
            proto_out_free(&o);
        }
        arena_free(&a);
        st->mutations++;
    }
    free(copy);
}

static void roundtrip_case(const struct proto_api *api, const struct proto_schema *s, int16_t v,
                           struct stats *st)
{
    bool flex = proto_api_table_is_flexible(ROUNDTRIP_APIS, api->key, v);
    void *in = calloc(1, s->size);
    void *out = calloc(1, s->size);
    void *again = calloc(1, s->size);
    for (int it = 0; it < ITERATIONS; it++) {
        struct arena a = ARENA_INIT;
        memset(in, 0, s->size);
        fill_struct(s, v, flex, in, &a, 0);

        struct proto_out o1, o2;
        proto_out_init(&o1);
        proto_out_init(&o2);
        int rc = proto_encode(s, v, flex, in, &o1);
        ck_assert_msg(rc == 0, "%s %s v%d: encode failed (%d)", api->name, s->name, v, rc);
        ck_assert_uint_eq(o1.nsplices, 0);

        struct rbuf r;
        rbuf_init(&r, o1.w.data, o1.w.len);
        rc = proto_decode(s, v, flex, &r, out, &a);
        ck_assert_msg(rc == 0, "%s %s v%d: decode failed at byte %zu of %zu", api->name, s->name, v,
                      r.pos, o1.w.len);
        ck_assert_msg(rbuf_remaining(&r) == 0, "%s %s v%d: %zu bytes left after decode", api->name,
                      s->name, v, rbuf_remaining(&r));

        rc = proto_encode(s, v, flex, out, &o2);
        ck_assert_msg(rc == 0, "%s %s v%d: re-encode failed (%d)", api->name, s->name, v, rc);
        ck_assert_msg(o1.w.len == o2.w.len &&
                          (o1.w.len == 0 || memcmp(o1.w.data, o2.w.data, o1.w.len) == 0),
                      "%s %s v%d: re-encoding differs (%zu vs %zu bytes)", api->name, s->name, v,
                      o1.w.len, o2.w.len);

        /* Decoding the re-encoding again is stable too. */
        rbuf_init(&r, o2.w.data, o2.w.len);
        ck_assert_int_eq(proto_decode(s, v, flex, &r, again, &a), 0);

        if (it < PREFIX_ITERS)
            check_prefixes(s, v, flex, o1.w.data, o1.w.len, again, st);
        check_mutations(s, v, flex, o1.w.data, o1.w.len, again, st);

        st->encodings++;
        st->bytes += (unsigned)o1.w.len;
        proto_out_free(&o1);
        proto_out_free(&o2);
        arena_free(&a);
    }
    st->cases++;
    free(in);
    free(out);
    free(again);
}

START_TEST(test_table_roundtrip)
{
    uint64_t seed = seed_from_env();
    printf("test_roundtrip: seed 0x%" PRIx64 " (set SLUICE_TEST_SEED to replay)\n", seed);
    fflush(stdout);
    rng_state = seed ? seed : 1;
    struct stats st = {0};
    ck_assert_uint_gt(proto_api_table_count(ROUNDTRIP_APIS), 0);
    for (size_t i = 0; i < proto_api_table_count(ROUNDTRIP_APIS); i++) {
        const struct proto_api *api = proto_api_table_at(ROUNDTRIP_APIS, i);
        ck_assert_ptr_nonnull(api->req);
        ck_assert_ptr_nonnull(api->resp);
        ck_assert_int_le(api->min, api->max);
        for (int16_t v = api->min; v <= api->max; v++) {
            roundtrip_case(api, api->req, v, &st);
            roundtrip_case(api, api->resp, v, &st);
        }
    }
    printf("test_roundtrip: %u cases, %u encodings (%u bytes), %u truncations, %u mutations\n",
           st.cases, st.encodings, st.bytes, st.prefixes, st.mutations);
    ck_assert_uint_gt(st.encodings, 0);
}
END_TEST

static Suite *roundtrip_suite(void)
{
    Suite *s = suite_create("roundtrip");
    TCase *tc = tcase_create("table");
    tcase_set_timeout(tc, 110);
    tcase_add_test(tc, test_table_roundtrip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(roundtrip_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
