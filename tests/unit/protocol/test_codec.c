/*
 * Tests for the generic codec (protocol/codec.h) on hand-made schemas that
 * use every wire type: exact bytes in flexible and non-flexible encodings,
 * compact-length varint boundaries, nullability by version, version gating
 * and defaults, tagged fields (order, defaults, unknown tags, sizes that need
 * multi-byte varints), file splices, depth limits and malformed input
 * (truncation, oversized counts, negative lengths, huge varints).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "err.h"

/* ---- test schemas ---- */

struct t_inner {
    int32_t a;
    struct kstr s;
};

static const struct proto_field t_inner_fields[] = {
    PF_FIELD(struct t_inner, a, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct t_inner, s, PF_STRING, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(t_inner_schema, struct t_inner, t_inner_fields);

struct t_all {
    bool b;
    int8_t i8;
    int16_t i16;
    uint16_t u16;
    int32_t i32;
    uint32_t u32;
    int64_t i64;
    double f64;
    struct uuid id;
    struct kstr str;
    struct kstr nstr; /* nullable from v1 */
    struct kbytes bytes;
    struct kbytes recs; /* nullable records */
    struct t_inner inner;
    KARR(int32_t) ints;
    KARR(struct kstr) strs;
    KARR(struct t_inner) structs;
    KARR(struct t_inner) nstructs; /* nullable from v0 */
    int32_t v2only;                /* v2+, default -7 */
    int16_t upto1;                 /* v0-v1 */
    /* tagged (flexible versions only) */
    int32_t t_int;              /* tag 1, default -1 */
    struct kstr t_str;          /* tag 5 */
    struct t_inner t_struct;    /* tag 2 */
    KARR(struct t_inner) t_arr; /* tag 3 */
};

static const struct proto_field t_all_fields[] = {
    {.name = "t_str",
     .type = PF_STRING,
     .vmin = 0,
     .vmax = PROTO_VMAX,
     .null_vmin = 0,
     .tag = 5,
     .offset = offsetof(struct t_all, t_str)},
    PF_FIELD(struct t_all, b, PF_BOOL, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, i8, PF_INT8, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, i16, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, u16, PF_UINT16, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, i32, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, u32, PF_UINT32, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, i64, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, f64, PF_FLOAT64, 0, PROTO_VMAX),
    {.name = "t_int",
     .type = PF_INT32,
     .vmin = 0,
     .vmax = PROTO_VMAX,
     .null_vmin = PROTO_VMAX,
     .tag = 1,
     .offset = offsetof(struct t_all, t_int),
     .dflt = -1},
    PF_FIELD(struct t_all, id, PF_UUID, 0, PROTO_VMAX),
    PF_FIELD(struct t_all, str, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct t_all, nstr, PF_STRING, 0, PROTO_VMAX, 1),
    PF_FIELD(struct t_all, bytes, PF_BYTES, 0, PROTO_VMAX),
    PF_FIELD_N(struct t_all, recs, PF_RECORDS, 0, PROTO_VMAX, 0),
    PF_STRUCTF(struct t_all, inner, t_inner_schema, 0, PROTO_VMAX),
    PF_ARRAYF(struct t_all, ints, PF_INT32, 0, PROTO_VMAX),
    PF_ARRAYF(struct t_all, strs, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct t_all, structs, t_inner_schema, 0, PROTO_VMAX),
    PF_SARRAY_N(struct t_all, nstructs, t_inner_schema, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct t_all, v2only, PF_INT32, 2, PROTO_VMAX, -7),
    PF_FIELD(struct t_all, upto1, PF_INT16, 0, 1),
    {.name = "t_arr",
     .type = PF_ARRAY,
     .elem_type = PF_STRUCT,
     .vmin = 0,
     .vmax = PROTO_VMAX,
     .null_vmin = PROTO_VMAX,
     .tag = 3,
     .offset = offsetof(struct t_all, t_arr),
     .elem_size = sizeof(struct t_inner),
     .sub = &t_inner_schema},
    {.name = "t_struct",
     .type = PF_STRUCT,
     .vmin = 0,
     .vmax = PROTO_VMAX,
     .null_vmin = PROTO_VMAX,
     .tag = 2,
     .offset = offsetof(struct t_all, t_struct),
     .sub = &t_inner_schema},
};
static PROTO_SCHEMA(t_all_schema, struct t_all, t_all_fields);

/* One field of each length-prefixed kind, for boundary tests. */
struct t_one {
    struct kstr s;
    struct kbytes b;
    KARR(int8_t) arr;
};
static const struct proto_field t_str_fields[] = {
    PF_FIELD_N(struct t_one, s, PF_STRING, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(t_str_schema, struct t_one, t_str_fields);
static const struct proto_field t_bytes_fields[] = {
    PF_FIELD_N(struct t_one, b, PF_BYTES, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(t_bytes_schema, struct t_one, t_bytes_fields);
static const struct proto_field t_arr_fields[] = {
    PF_ARRAYF_N(struct t_one, arr, PF_INT8, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(t_arr_schema, struct t_one, t_arr_fields);
/* Non-nullable variants. */
static const struct proto_field t_str_nn_fields[] = {
    PF_FIELD(struct t_one, s, PF_STRING, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(t_str_nn_schema, struct t_one, t_str_nn_fields);
static const struct proto_field t_bytes_nn_fields[] = {
    PF_FIELD(struct t_one, b, PF_BYTES, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(t_bytes_nn_schema, struct t_one, t_bytes_nn_fields);

struct t_ints {
    KARR(int32_t) v;
};
static const struct proto_field t_ints_fields[] = {
    PF_ARRAYF(struct t_ints, v, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(t_ints_schema, struct t_ints, t_ints_fields);

struct t_all_structs {
    KARR(struct t_inner) v;
};
static const struct proto_field t_structs_fields[] = {
    PF_SARRAY(struct t_all_structs, v, t_inner_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(t_structs_schema, struct t_all_structs, t_structs_fields);

/* Records, as a regular field and as tagged field 0. */
struct t_recs {
    int32_t x;
    struct kbytes recs;
    struct kbytes t_recs;
};
static const struct proto_field t_recs_fields[] = {
    PF_FIELD(struct t_recs, x, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_N(struct t_recs, recs, PF_RECORDS, 0, PROTO_VMAX, 0),
    {.name = "t_recs",
     .type = PF_RECORDS,
     .vmin = 0,
     .vmax = PROTO_VMAX,
     .null_vmin = PROTO_VMAX,
     .tag = 0,
     .offset = offsetof(struct t_recs, t_recs)},
};
static PROTO_SCHEMA(t_recs_schema, struct t_recs, t_recs_fields);

/* A recursive schema for depth limits. */
struct t_node {
    KARR(struct t_node) kids;
};
static const struct proto_schema t_node_schema;
static const struct proto_field t_node_fields[] = {
    PF_SARRAY(struct t_node, kids, t_node_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(t_node_schema, struct t_node, t_node_fields);

/* ---- helpers ---- */

static struct kstr ks(const char *s)
{
    return (struct kstr){s, (int32_t)strlen(s)};
}

static void fill_all(struct t_all *v, struct t_inner *inners, int32_t *ints, struct kstr *strs)
{
    memset(v, 0, sizeof(*v));
    v->b = true;
    v->i8 = -2;
    v->i16 = -300;
    v->u16 = 65000;
    v->i32 = -70000;
    v->u32 = 4000000000u;
    v->i64 = -5000000000LL;
    v->f64 = 2.5;
    for (int i = 0; i < 16; i++)
        v->id.b[i] = (uint8_t)(i + 1);
    v->str = ks("ab");
    v->nstr = (struct kstr){NULL, 0};
    v->bytes = (struct kbytes){(const uint8_t *)"\x01\x02\x03", 3, NULL};
    v->recs = (struct kbytes){NULL, -1, NULL};
    v->inner.a = 9;
    v->inner.s = ks("x");
    ints[0] = 1;
    ints[1] = -1;
    v->ints.n = 2;
    v->ints.v = ints;
    strs[0] = ks("");
    strs[1] = ks("q");
    v->strs.n = 2;
    v->strs.v = strs;
    inners[0].a = 5;
    inners[0].s = ks("y");
    v->structs.n = 1;
    v->structs.v = inners;
    v->nstructs.n = -1;
    v->v2only = 77;
    v->upto1 = 3;
    v->t_int = -1;
}

/* The smallest valid t_all: non-nullable strings empty, tagged fields default. */
static void min_all(struct t_all *v)
{
    memset(v, 0, sizeof(*v));
    v->str = ks("");
    v->inner.s = ks("");
    v->t_int = -1;
}

static void expect_bytes(const struct proto_out *o, const uint8_t *exp, size_t n)
{
    ck_assert_uint_eq(o->w.len, n);
    ck_assert_mem_eq(o->w.data, exp, n);
}

/* Decoding every strict prefix of a valid encoding must fail cleanly. */
static void check_prefixes_fail(const struct proto_schema *s, int16_t v, bool flex,
                                const uint8_t *p, size_t n)
{
    for (size_t cut = 0; cut < n; cut++) {
        struct arena a = ARENA_INIT;
        struct rbuf r;
        rbuf_init(&r, p, cut);
        void *out = malloc(s->size);
        ck_assert_int_eq(proto_decode(s, v, flex, &r, out, &a), SL_ECORRUPT);
        ck_assert(r.err);
        free(out);
        arena_free(&a);
    }
}

/* ---- tests ---- */

START_TEST(test_all_types_nonflexible_v1)
{
    struct t_all v, d;
    struct t_inner inners[1];
    int32_t ints[2];
    struct kstr strs[2];
    fill_all(&v, inners, ints, strs);
    v.t_int = 42; /* tagged: not written in non-flexible versions */
    v.t_str = ks("zz");

    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_all_schema, 1, false, &v, &o), 0);
    static const uint8_t exp[] = {
        0x01,                                                  /* b */
        0xfe,                                                  /* i8 */
        0xfe, 0xd4,                                            /* i16 -300 */
        0xfd, 0xe8,                                            /* u16 65000 */
        0xff, 0xfe, 0xee, 0x90,                                /* i32 -70000 */
        0xee, 0x6b, 0x28, 0x00,                                /* u32 4e9 */
        0xff, 0xff, 0xff, 0xfe, 0xd5, 0xfa, 0x0e, 0x00,        /* i64 -5e9 */
        0x40, 0x04, 0, 0, 0, 0, 0, 0,                          /* f64 2.5 */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, /* uuid */
        0x00, 0x02, 'a', 'b',                                  /* str */
        0xff, 0xff,                                            /* nstr null (nullable from v1) */
        0x00, 0x00, 0x00, 0x03, 1, 2, 3,                       /* bytes */
        0xff, 0xff, 0xff, 0xff,                                /* recs null */
        0x00, 0x00, 0x00, 0x09, 0x00, 0x01, 'x',               /* inner */
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, /* ints */
        0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 'q',                    /* strs */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x01, 'y',        /* structs */
        0xff, 0xff, 0xff, 0xff,                                                 /* nstructs null */
        /* v2only absent in v1 */
        0x00, 0x03, /* upto1 */
    };
    expect_bytes(&o, exp, sizeof exp);

    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 1, false, &r, &d, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert(d.b);
    ck_assert_int_eq(d.i8, -2);
    ck_assert_int_eq(d.i16, -300);
    ck_assert_uint_eq(d.u16, 65000);
    ck_assert_int_eq(d.i32, -70000);
    ck_assert_uint_eq(d.u32, 4000000000u);
    ck_assert(d.i64 == -5000000000LL);
    ck_assert(d.f64 == 2.5);
    ck_assert_mem_eq(d.id.b, v.id.b, 16);
    ck_assert_str_eq(d.str.s, "ab");
    ck_assert_int_eq(d.str.len, 2);
    ck_assert_ptr_null(d.nstr.s);
    ck_assert_int_eq(d.bytes.len, 3);
    ck_assert_mem_eq(d.bytes.p, "\x01\x02\x03", 3);
    /* BYTES alias the input buffer. */
    ck_assert(d.bytes.p >= o.w.data && d.bytes.p < o.w.data + o.w.len);
    ck_assert_int_lt(d.recs.len, 0);
    ck_assert_ptr_null(d.recs.p);
    ck_assert_int_eq(d.inner.a, 9);
    ck_assert_str_eq(d.inner.s.s, "x");
    ck_assert_int_eq(d.ints.n, 2);
    ck_assert_int_eq(d.ints.v[1], -1);
    ck_assert_int_eq(d.strs.n, 2);
    ck_assert_str_eq(d.strs.v[0].s, "");
    ck_assert_str_eq(d.strs.v[1].s, "q");
    ck_assert_int_eq(d.structs.n, 1);
    ck_assert_str_eq(d.structs.v[0].s.s, "y");
    ck_assert_int_eq(d.nstructs.n, -1);
    ck_assert_int_eq(d.v2only, -7); /* absent: default */
    ck_assert_int_eq(d.upto1, 3);
    ck_assert_int_eq(d.t_int, -1); /* tagged fields do not exist here: default */
    ck_assert_ptr_null(d.t_str.s);

    check_prefixes_fail(&t_all_schema, 1, false, o.w.data, o.w.len);
    arena_free(&a);
    proto_out_free(&o);
}
END_TEST

START_TEST(test_all_types_flexible_tags)
{
    struct t_all v, d;
    struct t_inner inners[1], tarr[2];
    int32_t ints[2];
    struct kstr strs[2];
    fill_all(&v, inners, ints, strs);
    v.nstr = ks("n");
    v.recs = (struct kbytes){(const uint8_t *)"R", 1, NULL};
    v.nstructs.n = 0;
    v.t_int = 300;
    v.t_str = ks("hi");
    v.t_struct.a = 1;
    tarr[0].a = 2;
    tarr[0].s = ks("");
    tarr[1].a = 3;
    tarr[1].s = ks("c");
    v.t_arr.n = 2;
    v.t_arr.v = tarr;

    struct proto_out o;
    proto_out_init(&o);
    /* t_struct differs from its default (a = 1) so it is written, but its
     * non-nullable string is null: refused. */
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 0);
    v.t_struct.s = ks("");
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o), 0);
    static const uint8_t exp[] = {
        0x01, 0xfe, 0xfe, 0xd4, 0xfd, 0xe8, 0xff, 0xfe, 0xee, 0x90, 0xee, 0x6b, 0x28, 0x00, 0xff,
        0xff, 0xff, 0xfe, 0xd5, 0xfa, 0x0e, 0x00, 0x40, 0x04, 0, 0, 0, 0, 0, 0, /* fixed */
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,                  /* uuid */
        0x03, 'a', 'b',                                                         /* str: compact */
        0x02, 'n',                                                              /* nstr */
        0x04, 1, 2, 3,                                                          /* bytes */
        0x02, 'R',                                                              /* recs */
        0x00, 0x00, 0x00, 0x09, 0x02, 'x', 0x00,              /* inner + its empty tag section */
        0x03, 0x00, 0x00, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, /* ints */
        0x03, 0x01, 0x02, 'q',                                /* strs */
        0x02, 0x00, 0x00, 0x00, 0x05, 0x02, 'y', 0x00,        /* structs */
        0x01,                                                 /* nstructs: empty */
        0x00, 0x00, 0x00, 0x4d,                               /* v2only 77 */
        /* upto1 absent in v2; tagged section (36 bytes), increasing tag order: */
        0x04,                                           /* 4 tagged fields */
        0x01, 0x04, 0x00, 0x00, 0x01, 0x2c,             /* tag 1: t_int 300 */
        0x02, 0x06, 0x00, 0x00, 0x00, 0x01, 0x01, 0x00, /* tag 2: t_struct {1, ""} */
        0x03, 0x0e, 0x03, 0x00, 0x00, 0x00, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x02, 'c',
        0x00,                       /* tag 3: t_arr */
        0x05, 0x03, 0x03, 'h', 'i', /* tag 5: t_str */
    };
    expect_bytes(&o, exp, sizeof exp);

    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &d, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_int_eq(d.t_int, 300);
    ck_assert_str_eq(d.t_str.s, "hi");
    ck_assert_int_eq(d.t_struct.a, 1);
    ck_assert_str_eq(d.t_struct.s.s, "");
    ck_assert_int_eq(d.t_arr.n, 2);
    ck_assert_str_eq(d.t_arr.v[1].s.s, "c");
    ck_assert_str_eq(d.nstr.s, "n");
    ck_assert_int_eq(d.nstructs.n, 0);
    ck_assert_int_eq(d.v2only, 77);
    ck_assert_int_eq(d.upto1, 0);

    /* Re-encoding the decoded struct gives the same bytes. */
    struct proto_out o2;
    proto_out_init(&o2);
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &d, &o2), 0);
    expect_bytes(&o2, o.w.data, o.w.len);
    check_prefixes_fail(&t_all_schema, 2, true, o.w.data, o.w.len);

    /* Tagged fields at their defaults are not written: the section is one 0 byte. */
    proto_out_free(&o2);
    proto_out_init(&o2);
    v.t_int = -1;
    v.t_str = ks("");
    v.t_struct = (struct t_inner){0};
    v.t_arr.n = 0;
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o2), 0);
    ck_assert_uint_eq(o2.w.len, sizeof exp - 35);
    ck_assert_mem_eq(o2.w.data, exp, sizeof exp - 36);
    ck_assert_uint_eq(o2.w.data[o2.w.len - 1], 0x00);
    arena_free(&a);
    rbuf_init(&r, o2.w.data, o2.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &d, &a), 0);
    ck_assert_int_eq(d.t_int, -1); /* absent tagged field: its default */
    ck_assert_ptr_null(d.t_str.s);
    ck_assert_int_eq(d.t_arr.n, 0);

    /* In a non-flexible version tagged fields are neither written nor read. */
    proto_out_free(&o2);
    proto_out_init(&o2);
    v.t_int = 5;
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, false, &v, &o2), 0);
    rbuf_init(&r, o2.w.data, o2.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, false, &r, &d, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_int_eq(d.t_int, -1);

    arena_free(&a);
    proto_out_free(&o);
    proto_out_free(&o2);
}
END_TEST

START_TEST(test_unknown_tags_skipped)
{
    /* t_inner, flexible: a=7, s="k", tags: 0 (unknown, 3 bytes), 4000000000 (unknown). */
    static const uint8_t in[] = {
        0x00, 0x00, 0x00, 0x07, 0x02, 'k',  0x02, 0x00, 0x03,
        0xaa, 0xbb, 0xcc, 0x80, 0xd0, 0xac, 0xf3, 0x0e, 0x00, /* tag 4e9 (5-byte uvarint), size 0 */
        0x55,                                                 /* trailing byte: left unread */
    };
    struct t_inner d;
    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, in, sizeof in);
    ck_assert_int_eq(proto_decode(&t_inner_schema, 0, true, &r, &d, &a), 0);
    ck_assert_int_eq(d.a, 7);
    ck_assert_str_eq(d.s.s, "k");
    ck_assert_uint_eq(rbuf_remaining(&r), 1);

    /* A known tag (t_all tag 1) whose payload is shorter than the int32: corrupt. */
    static const uint8_t bad_known[] = {0x01, 0x01, 0x02, 0x00, 0x01};
    struct t_all all, v;
    struct proto_out o;
    proto_out_init(&o);
    min_all(&v);
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o), 0);
    /* Replace the final empty tag section (0x00) with bad_known. */
    o.w.len -= 1;
    wbuf_bytes(&o.w, bad_known, sizeof bad_known);
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &all, &a), SL_ECORRUPT);

    /* The same tag with a payload longer than needed: the extra bytes are ignored. */
    o.w.len -= sizeof bad_known;
    static const uint8_t long_known[] = {0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x2a, 0x99};
    wbuf_bytes(&o.w, long_known, sizeof long_known);
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &all, &a), 0);
    ck_assert_int_eq(all.t_int, 42);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);

    proto_out_free(&o);
    arena_free(&a);
}
END_TEST

/* Writes the compact prefix uvarint(len+1) expected for a length. */
static size_t uv(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

START_TEST(test_compact_length_boundaries)
{
    /* len+1 at every uvarint size boundary: 1, 2, 3 and 4 bytes. */
    static const int32_t lens[] = {0, 1, 126, 127, 128, 16382, 16383, 16384, 2097150, 2097151};
    static const size_t prefix[] = {1, 1, 1, 2, 2, 2, 3, 3, 3, 4};
    uint8_t *payload = malloc(2097151);
    for (int32_t i = 0; i < 2097151; i++)
        payload[i] = (uint8_t)(i * 7);
    for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
        struct t_one v = {.b = {payload, lens[k], NULL}}, d;
        struct proto_out o;
        proto_out_init(&o);
        ck_assert_int_eq(proto_encode(&t_bytes_schema, 0, true, &v, &o), 0);
        uint8_t pre[10];
        size_t pn = uv(pre, (uint64_t)lens[k] + 1);
        ck_assert_uint_eq(pn, prefix[k]);
        ck_assert_uint_eq(o.w.len, pn + (size_t)lens[k] + 1);
        ck_assert_mem_eq(o.w.data, pre, pn);
        ck_assert_uint_eq(o.w.data[o.w.len - 1], 0x00);
        struct arena a = ARENA_INIT;
        struct rbuf r;
        rbuf_init(&r, o.w.data, o.w.len);
        ck_assert_int_eq(proto_decode(&t_bytes_schema, 0, true, &r, &d, &a), 0);
        ck_assert_int_eq(d.b.len, lens[k]);
        if (lens[k])
            ck_assert_mem_eq(d.b.p, payload, (size_t)lens[k]);
        /* Strings too, up to Kafka's 32767-byte limit. */
        if (lens[k] <= PROTO_MAX_STRING_LEN) {
            proto_out_free(&o);
            proto_out_init(&o);
            char *s = malloc((size_t)lens[k] + 1);
            memset(s, 'z', (size_t)lens[k]);
            s[lens[k]] = 0;
            struct t_one vs = {.s = {s, lens[k]}};
            ck_assert_int_eq(proto_encode(&t_str_schema, 0, true, &vs, &o), 0);
            ck_assert_mem_eq(o.w.data, pre, pn);
            rbuf_init(&r, o.w.data, o.w.len);
            ck_assert_int_eq(proto_decode(&t_str_schema, 0, true, &r, &d, &a), 0);
            ck_assert_int_eq(d.s.len, lens[k]);
            ck_assert_str_eq(d.s.s, s);
            free(s);
        }
        arena_free(&a);
        proto_out_free(&o);
    }
    free(payload);
}
END_TEST

START_TEST(test_nulls_and_empties)
{
    struct proto_out o;
    struct t_one v, d;
    struct arena a = ARENA_INIT;
    struct rbuf r;

    /* Null string/bytes/array, non-flexible and flexible. */
    struct {
        const struct proto_schema *s;
        bool flex;
        uint8_t exp[4];
        size_t n;
    } cases[] = {
        {&t_str_schema, false, {0xff, 0xff}, 2},
        {&t_bytes_schema, false, {0xff, 0xff, 0xff, 0xff}, 4},
        {&t_arr_schema, false, {0xff, 0xff, 0xff, 0xff}, 4},
        {&t_str_schema, true, {0x00, 0x00}, 2},
        {&t_bytes_schema, true, {0x00, 0x00}, 2},
        {&t_arr_schema, true, {0x00, 0x00}, 2},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(&v, 0, sizeof v);
        v.s.s = NULL;
        v.b.len = -1;
        v.arr.n = -1;
        proto_out_init(&o);
        ck_assert_int_eq(proto_encode(cases[i].s, 0, cases[i].flex, &v, &o), 0);
        expect_bytes(&o, cases[i].exp, cases[i].n);
        rbuf_init(&r, o.w.data, o.w.len);
        ck_assert_int_eq(proto_decode(cases[i].s, 0, cases[i].flex, &r, &d, &a), 0);
        ck_assert_ptr_null(d.s.s);
        ck_assert_int_eq(d.b.len, cases[i].s == &t_bytes_schema ? -1 : 0);
        ck_assert_int_eq(d.arr.n, cases[i].s == &t_arr_schema ? -1 : 0);
        proto_out_free(&o);
    }

    /* Empty (not null) values. */
    memset(&v, 0, sizeof v);
    v.s = ks("");
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_str_schema, 0, false, &v, &o), 0);
    expect_bytes(&o, (const uint8_t *)"\x00\x00", 2);
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, false, &r, &d, &a), 0);
    ck_assert_ptr_nonnull(d.s.s);
    ck_assert_str_eq(d.s.s, "");
    proto_out_free(&o);

    /* Null where not nullable: EINVAL on encode (o untouched), ECORRUPT on decode. */
    memset(&v, 0, sizeof v);
    proto_out_init(&o);
    wbuf_i8(&o.w, 0x77);
    ck_assert_int_eq(proto_encode(&t_str_nn_schema, 0, false, &v, &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 1);
    v.b.len = -1;
    ck_assert_int_eq(proto_encode(&t_bytes_nn_schema, 0, true, &v, &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 1);
    proto_out_free(&o);
    rbuf_init(&r, "\xff\xff", 2);
    ck_assert_int_eq(proto_decode(&t_str_nn_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    rbuf_init(&r, "\x00\x00", 2);
    ck_assert_int_eq(proto_decode(&t_bytes_nn_schema, 0, true, &r, &d, &a), SL_ECORRUPT);

    /* Nullability by version: t_all.nstr is nullable from v1 only. */
    struct t_all all;
    struct t_inner inners[1];
    int32_t ints[2];
    struct kstr strs[2];
    fill_all(&all, inners, ints, strs);
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_all_schema, 0, false, &all, &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 0);
    all.nstr = ks("");
    ck_assert_int_eq(proto_encode(&t_all_schema, 0, false, &all, &o), 0);
    proto_out_free(&o);

    /* String longer than 32767 bytes: refused. */
    char *big = malloc(40000);
    memset(big, 'a', 40000);
    v.s = (struct kstr){big, 40000};
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_str_schema, 0, true, &v, &o), SL_EINVAL);
    proto_out_free(&o);
    free(big);
    arena_free(&a);
}
END_TEST

START_TEST(test_tagged_payload_sizes)
{
    /* t_str payload 1 + len: sizes 127 (1-byte size) / 128 and 200 (2-byte) / 16384 (3-byte). */
    static const int32_t lens[] = {126, 127, 199, 16383};
    static const size_t size_bytes[] = {1, 2, 2, 3};
    for (size_t k = 0; k < 4; k++) {
        char *s = malloc((size_t)lens[k] + 1);
        memset(s, 'm', (size_t)lens[k]);
        s[lens[k]] = 0;
        struct t_all v, d;
        min_all(&v);
        v.t_str = (struct kstr){s, lens[k]};
        struct proto_out o;
        proto_out_init(&o);
        ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o), 0);
        /* The tagged section is the tail: count 1, tag 5, size, compact len, bytes. */
        size_t len_bytes = lens[k] + 1 < 128 ? 1 : lens[k] + 1 < 16384 ? 2 : 3;
        size_t tail = 1 + 1 + size_bytes[k] + len_bytes + (size_t)lens[k];
        const uint8_t *t = o.w.data + o.w.len - tail;
        ck_assert_uint_eq(t[0], 1);
        ck_assert_uint_eq(t[1], 5);
        struct rbuf r;
        rbuf_init(&r, t + 2, tail - 2);
        ck_assert_uint_eq(rbuf_uvarint(&r), len_bytes + (size_t)lens[k]);
        ck_assert_uint_eq(r.pos, size_bytes[k]);
        ck_assert_uint_eq(rbuf_uvarint(&r), (uint32_t)lens[k] + 1);
        struct arena a = ARENA_INIT;
        rbuf_init(&r, o.w.data, o.w.len);
        ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &d, &a), 0);
        ck_assert_int_eq(d.t_str.len, lens[k]);
        ck_assert_str_eq(d.t_str.s, s);
        arena_free(&a);
        proto_out_free(&o);
        free(s);
    }
}
END_TEST

START_TEST(test_record_splices)
{
    struct proto_file_slice f1 = {.fd = 5, .off = 100, .len = 1000};
    struct proto_file_slice f2 = {.fd = 6, .off = 0, .len = 300};
    struct t_recs v = {.x = 1, .recs = {NULL, 1000, &f1}, .t_recs = {NULL, 300, &f2}};
    struct proto_out o;
    proto_out_init(&o);
    wbuf_bytes(&o.w, "HDR", 3); /* appending after existing bytes */
    ck_assert_int_eq(proto_encode(&t_recs_schema, 0, true, &v, &o), 0);
    /* HDR | x(4) | uvarint(1001)=2 bytes | [f1] | count 1 | tag 0 | size uvarint(2+300)=2 |
     * uvarint(301)=2 | [f2] */
    ck_assert_uint_eq(o.nsplices, 2);
    ck_assert_int_eq(o.spliced_bytes, 1300);
    ck_assert_uint_eq(o.splices[0].pos, 3 + 4 + 2);
    ck_assert_int_eq(o.splices[0].slice.fd, 5);
    ck_assert_int_eq(o.splices[0].slice.off, 100);
    ck_assert_uint_eq(o.splices[1].pos, 3 + 4 + 2 + 1 + 1 + 2 + 2);
    ck_assert_uint_eq(o.w.len, 3 + 4 + 2 + 1 + 1 + 2 + 2);
    ck_assert_int_eq(proto_out_len(&o), 3 + 4 + 2 + 1 + 1 + 2 + 2 + 1300);
    static const uint8_t exp[] = {'H',  'D',  'R',  0,    0,    0,    1,   0xe9,
                                  0x07, 0x01, 0x00, 0xae, 0x02, 0xad, 0x02};
    expect_bytes(&o, exp, sizeof exp);

    /* Non-flexible: int32 length, then the slice. */
    proto_out_free(&o);
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_recs_schema, 0, false, &v, &o), 0);
    ck_assert_uint_eq(o.nsplices, 1);
    ck_assert_uint_eq(o.w.len, 8);
    ck_assert_uint_eq(o.splices[0].pos, 8);
    ck_assert_int_eq(proto_out_len(&o), 1008);

    /* A failing encode leaves the output, splices included, as it was. */
    v.x = 2;
    struct t_recs bad = {.recs = {NULL, 10, NULL}}; /* len > 0 without bytes */
    ck_assert_int_eq(proto_encode(&t_recs_schema, 0, true, &bad, &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 8);
    ck_assert_uint_eq(o.nsplices, 1);
    struct t_recs bad2 = {.recs = {NULL, 0, &f1}, .t_recs = {NULL, 10, NULL}};
    ck_assert_int_eq(proto_encode(&t_recs_schema, 0, true, &bad2, &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 8);
    ck_assert_uint_eq(o.nsplices, 1);
    ck_assert_int_eq(o.spliced_bytes, 1000);
    proto_out_free(&o);

    /* A file slice in a BYTES field is refused. */
    struct t_one b = {.b = {NULL, 0, &f1}};
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_bytes_schema, 0, true, &b, &o), SL_EINVAL);
    proto_out_free(&o);
}
END_TEST

START_TEST(test_malformed_input)
{
    struct arena a = ARENA_INIT;
    struct rbuf r;
    struct t_one d;
    struct t_all all;

    /* Array count far beyond the frame. */
    rbuf_init(&r, "\x7f\xff\xff\xff\x01\x02", 6);
    ck_assert_int_eq(proto_decode(&t_arr_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    ck_assert(r.err);
    ck_assert_uint_eq(a.used, 0);
    /* Count equal to the remaining bytes is fine for int8 elements ... */
    rbuf_init(&r, "\x00\x00\x00\x02\x01\x02", 6);
    ck_assert_int_eq(proto_decode(&t_arr_schema, 0, false, &r, &d, &a), 0);
    ck_assert_int_eq(d.arr.n, 2);
    /* ... and one more is not. */
    rbuf_init(&r, "\x00\x00\x00\x03\x01\x02", 6);
    ck_assert_int_eq(proto_decode(&t_arr_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    /* int32 elements: 5 elements need 20 bytes; 8 remain: rejected before allocating. */
    arena_free(&a);
    rbuf_init(&r, "\x00\x00\x00\x05\x00\x00\x00\x01\x00\x00\x00\x02", 12);
    struct t_ints di;
    ck_assert_int_eq(proto_decode(&t_ints_schema, 0, false, &r, &di, &a), SL_ECORRUPT);
    ck_assert_uint_eq(a.used, 0);
    rbuf_init(&r, "\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00\x02", 12);
    ck_assert_int_eq(proto_decode(&t_ints_schema, 0, false, &r, &di, &a), 0);
    ck_assert_int_eq(di.v.n, 2);
    ck_assert_int_eq(di.v.v[1], 2);
    /* Struct elements: each t_inner needs at least 6 bytes non-flexible. */
    rbuf_init(&r, "\x00\x00\x00\x02\x00\x00\x00\x01\x00\x00\x00", 11);
    struct t_all_structs ds;
    ck_assert_int_eq(proto_decode(&t_structs_schema, 0, false, &r, &ds, &a), SL_ECORRUPT);
    /* Flexible compact array with n+1 = 2^32-1 (5-byte uvarint): Kafka reads it as
     * a Java int (-1), minus 1 is negative: null where nullable, refused elsewhere;
     * never an allocation.  n+1 = 2^31 gives length 2^31-1: beyond the buffer. */
    rbuf_init(&r, "\xff\xff\xff\xff\x0f\x00", 6);
    ck_assert_int_eq(proto_decode(&t_arr_schema, 0, true, &r, &d, &a), 0);
    ck_assert_int_eq(d.arr.n, -1);
    rbuf_init(&r, "\xff\xff\xff\xff\x0f\x00", 6);
    ck_assert_int_eq(proto_decode(&t_ints_schema, 0, true, &r, &di, &a), SL_ECORRUPT);
    arena_free(&a);
    rbuf_init(&r, "\x80\x80\x80\x80\x08\x00", 6);
    ck_assert_int_eq(proto_decode(&t_arr_schema, 0, true, &r, &d, &a), SL_ECORRUPT);
    ck_assert_uint_eq(a.used, 0);
    /* Over-long uvarint (6 bytes) and one that overflows 32 bits. */
    rbuf_init(&r, "\x81\x80\x80\x80\x80\x00", 6);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, true, &r, &d, &a), SL_ECORRUPT);
    rbuf_init(&r, "\x81\x80\x80\x80\x10\x00", 6);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, true, &r, &d, &a), SL_ECORRUPT);
    /* Negative lengths other than -1 are null, as in Kafka's parsers (`length < 0`):
     * accepted where the field is nullable, refused where it is not. */
    rbuf_init(&r, "\xff\xfe", 2);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, false, &r, &d, &a), 0);
    ck_assert_ptr_null(d.s.s);
    rbuf_init(&r, "\xff\xff\xff\xfe", 4);
    ck_assert_int_eq(proto_decode(&t_bytes_schema, 0, false, &r, &d, &a), 0);
    ck_assert_int_eq(d.b.len, -1);
    ck_assert_ptr_null(d.b.p);
    rbuf_init(&r, "\x80\x00\x00\x00", 4);
    ck_assert_int_eq(proto_decode(&t_arr_schema, 0, false, &r, &d, &a), 0);
    ck_assert_int_eq(d.arr.n, -1);
    rbuf_init(&r, "\x80\x00", 2);
    ck_assert_int_eq(proto_decode(&t_str_nn_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    rbuf_init(&r, "\xff\xff\xff\xf0", 4);
    ck_assert_int_eq(proto_decode(&t_bytes_nn_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    rbuf_init(&r, "\xff\xff\xff\xfe", 4);
    ck_assert_int_eq(proto_decode(&t_ints_schema, 0, false, &r, &di, &a), SL_ECORRUPT);
    /* Lengths beyond the buffer. */
    rbuf_init(&r,
              "\x00\x05"
              "abc",
              5);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    rbuf_init(&r,
              "\x7f\xff\xff\xff"
              "abc",
              7);
    ck_assert_int_eq(proto_decode(&t_bytes_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    /* Compact string longer than 32767. */
    uint8_t *big = calloc(1, 40010);
    size_t n = uv(big, 40001);
    rbuf_init(&r, big, n + 40000 + 1);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, true, &r, &d, &a), SL_ECORRUPT);
    free(big);
    /* Tagged section: huge count, size beyond the buffer, truncated tag. */
    rbuf_init(&r, "\x00\x00\x00\x01\x01\xff\xff\xff\xff\x0f", 10);
    struct t_inner ti;
    ck_assert_int_eq(proto_decode(&t_inner_schema, 0, true, &r, &ti, &a), SL_ECORRUPT);
    rbuf_init(&r, "\x00\x00\x00\x01\x01\x01\x07\x10\x01", 9);
    ck_assert_int_eq(proto_decode(&t_inner_schema, 0, true, &r, &ti, &a), SL_ECORRUPT);
    rbuf_init(&r, "\x00\x00\x00\x01\x01\x01\x87", 7);
    ck_assert_int_eq(proto_decode(&t_inner_schema, 0, true, &r, &ti, &a), SL_ECORRUPT);
    /* A reader already in error decodes nothing. */
    rbuf_init(&r, "\x00\x00", 2);
    rbuf_fail(&r);
    ck_assert_int_eq(proto_decode(&t_str_schema, 0, false, &r, &d, &a), SL_ECORRUPT);
    /* Empty input for a big struct. */
    rbuf_init(&r, "", 0);
    ck_assert_int_eq(proto_decode(&t_all_schema, 3, true, &r, &all, &a), SL_ECORRUPT);
    arena_free(&a);
}
END_TEST

START_TEST(test_bool_and_uuid_and_float)
{
    /* Any non-zero byte decodes as true; re-encoded as 1. */
    struct t_all v, d;
    min_all(&v);
    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o), 0);
    o.w.data[0] = 0x7f;
    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &d, &a), 0);
    ck_assert(d.b);
    ck_assert(uuid_is_zero(&d.id));
    ck_assert(d.f64 == 0.0);
    /* Random UUID and a negative float round-trip exactly. */
    v.id = uuid_random();
    v.f64 = -1.0e300;
    proto_out_free(&o);
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_all_schema, 2, true, &v, &o), 0);
    ck_assert_mem_eq(o.w.data + 30, v.id.b, 16);
    rbuf_init(&r, o.w.data, o.w.len);
    ck_assert_int_eq(proto_decode(&t_all_schema, 2, true, &r, &d, &a), 0);
    ck_assert(uuid_equal(&d.id, &v.id));
    ck_assert(d.f64 == -1.0e300);
    proto_out_free(&o);
    arena_free(&a);
}
END_TEST

/* Builds nested t_node input of `depth` levels (each array holds one child). */
static size_t node_input(uint8_t *buf, int depth, bool flex)
{
    size_t n = 0;
    for (int i = 0; i < depth; i++) {
        if (flex) {
            buf[n++] = 2;
        } else {
            memcpy(buf + n, "\x00\x00\x00\x01", 4);
            n += 4;
        }
    }
    if (flex) {
        buf[n++] = 1; /* empty array */
        for (int i = 0; i <= depth; i++)
            buf[n++] = 0; /* tag sections, innermost first */
    } else {
        memcpy(buf + n, "\x00\x00\x00\x00", 4);
        n += 4;
    }
    return n;
}

START_TEST(test_depth_limit)
{
    uint8_t buf[1024];
    struct arena a = ARENA_INIT;
    struct t_node d;
    struct rbuf r;
    for (int flex = 0; flex < 2; flex++) {
        size_t n = node_input(buf, PROTO_MAX_DEPTH, flex);
        rbuf_init(&r, buf, n);
        ck_assert_int_eq(proto_decode(&t_node_schema, 0, flex, &r, &d, &a), 0);
        ck_assert_uint_eq(rbuf_remaining(&r), 0);
        /* Re-encode the deepest legal tree. */
        struct proto_out o;
        proto_out_init(&o);
        ck_assert_int_eq(proto_encode(&t_node_schema, 0, flex, &d, &o), 0);
        expect_bytes(&o, buf, n);
        proto_out_free(&o);
        /* One level more is refused. */
        n = node_input(buf, PROTO_MAX_DEPTH + 1, flex);
        rbuf_init(&r, buf, n);
        ck_assert_int_eq(proto_decode(&t_node_schema, 0, flex, &r, &d, &a), SL_ECORRUPT);
        /* A crafted very deep input fails without exhausting the stack. */
        n = node_input(buf, 200, flex);
        rbuf_init(&r, buf, n);
        ck_assert_int_eq(proto_decode(&t_node_schema, 0, flex, &r, &d, &a), SL_ECORRUPT);
    }
    /* Encoding a tree deeper than the limit fails too. */
    struct t_node nodes[PROTO_MAX_DEPTH + 2];
    memset(nodes, 0, sizeof nodes);
    for (int i = 0; i < PROTO_MAX_DEPTH + 1; i++) {
        nodes[i].kids.n = 1;
        nodes[i].kids.v = &nodes[i + 1];
    }
    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_encode(&t_node_schema, 0, true, &nodes[0], &o), SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 0);
    proto_out_free(&o);
    arena_free(&a);
}
END_TEST

START_TEST(test_init_defaults)
{
    struct t_all v;
    memset(&v, 0x5a, sizeof v);
    proto_init_defaults(&t_all_schema, &v);
    ck_assert_int_eq(v.t_int, -1);
    ck_assert_int_eq(v.v2only, -7);
    ck_assert_int_eq(v.i32, 0);
    ck_assert_ptr_null(v.str.s);
    ck_assert_int_eq(v.ints.n, 0);
    ck_assert_int_eq(v.inner.a, 0);
    ck_assert(uuid_is_zero(&v.id));
}
END_TEST

START_TEST(test_tagged_skip_helper)
{
    struct rbuf r;
    rbuf_init(&r, "\x02\x00\x01\xaa\x07\x00\x42", 7);
    ck_assert_int_eq(proto_tagged_fields_skip(&r), 0);
    ck_assert_uint_eq(r.pos, 6);
    rbuf_init(&r, "\x01\x00\x05\xaa", 4);
    ck_assert_int_eq(proto_tagged_fields_skip(&r), SL_ECORRUPT);
    rbuf_init(&r, "", 0);
    ck_assert_int_eq(proto_tagged_fields_skip(&r), SL_ECORRUPT);
}
END_TEST

static Suite *codec_suite(void)
{
    Suite *s = suite_create("codec");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_all_types_nonflexible_v1);
    tcase_add_test(tc, test_all_types_flexible_tags);
    tcase_add_test(tc, test_unknown_tags_skipped);
    tcase_add_test(tc, test_compact_length_boundaries);
    tcase_add_test(tc, test_nulls_and_empties);
    tcase_add_test(tc, test_tagged_payload_sizes);
    tcase_add_test(tc, test_record_splices);
    tcase_add_test(tc, test_malformed_input);
    tcase_add_test(tc, test_bool_and_uuid_and_float);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_init_defaults);
    tcase_add_test(tc, test_tagged_skip_helper);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(codec_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
