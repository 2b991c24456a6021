/*
 * Tests for protocol/compression.h: round trips through every codec, the
 * snappy-java (xerial) framing, corrupt and truncated input, the output cap
 * (including 1 GiB compression bombs built with streaming compressors so the
 * test itself stays small) and level checks.
 */
#include <check.h>
#include <lz4frame.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "buf.h"
#include "compression.h"
#include "err.h"

static const enum rb_compression codecs[] = {RB_COMPRESSION_NONE, RB_COMPRESSION_GZIP,
                                             RB_COMPRESSION_SNAPPY, RB_COMPRESSION_LZ4,
                                             RB_COMPRESSION_ZSTD};
#define NCODECS (sizeof codecs / sizeof codecs[0])

/* Compressible but not trivial input: words with a xorshift sprinkle. */
static uint8_t *make_input(size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    static const char words[] = "sluice kafka record batch offset partition leader epoch ";
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (x % 16 == 0) ? (uint8_t)x : (uint8_t)words[i % (sizeof words - 1)];
    }
    return p;
}

static const size_t sizes[] = {0, 1, 100, 4096, 70000, 300000};

START_TEST(test_roundtrip_all_codecs)
{
    for (size_t c = 0; c < NCODECS; c++) {
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            size_t n = sizes[s];
            uint8_t *in = make_input(n);
            struct wbuf z, out;
            wbuf_init(&z, 0);
            wbuf_init(&out, 0);
            ck_assert_int_eq(compression_compress(codecs[c], COMPRESSION_LEVEL_DEFAULT, in, n, &z),
                             0);
            if (codecs[c] != RB_COMPRESSION_NONE && n >= 4096)
                ck_assert_uint_lt(z.len, n); /* it did compress */
            /* Appends after existing bytes. */
            wbuf_bytes(&out, "xy", 2);
            ck_assert_int_eq(compression_decompress(codecs[c], z.data, z.len, n, &out), 0);
            ck_assert_uint_eq(out.len, n + 2);
            ck_assert_mem_eq(out.data, "xy", 2);
            if (n)
                ck_assert_mem_eq(out.data + 2, in, n);
            ck_assert_uint_le(out.cap, n + 2 > 64 ? n + 2 : 64);
            /* One byte less than needed is over the cap, and the output is rolled back. */
            if (n > 0) {
                out.len = 2;
                ck_assert_int_eq(compression_decompress(codecs[c], z.data, z.len, n - 1, &out),
                                 SL_ETOOLARGE);
                ck_assert_uint_eq(out.len, 2);
            }
            wbuf_free(&z);
            wbuf_free(&out);
            free(in);
        }
    }
}
END_TEST

START_TEST(test_levels)
{
    uint8_t *in = make_input(10000);
    struct wbuf z, out;
    wbuf_init(&z, 0);
    wbuf_init(&out, 0);
    static const struct {
        enum rb_compression c;
        int level;
        int rc;
    } cases[] = {
        {RB_COMPRESSION_GZIP, 1, 0},          {RB_COMPRESSION_GZIP, 9, 0},
        {RB_COMPRESSION_GZIP, -1, 0},         {RB_COMPRESSION_GZIP, 10, SL_EINVAL},
        {RB_COMPRESSION_GZIP, 0, SL_EINVAL},  {RB_COMPRESSION_LZ4, 1, 0},
        {RB_COMPRESSION_LZ4, 17, 0},          {RB_COMPRESSION_LZ4, 0, SL_EINVAL},
        {RB_COMPRESSION_LZ4, 18, SL_EINVAL},  {RB_COMPRESSION_ZSTD, 1, 0},
        {RB_COMPRESSION_ZSTD, 19, 0},         {RB_COMPRESSION_ZSTD, -5, 0},
        {RB_COMPRESSION_ZSTD, 23, SL_EINVAL}, {RB_COMPRESSION_SNAPPY, 42, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        z.len = out.len = 0;
        ck_assert_int_eq(compression_compress(cases[i].c, cases[i].level, in, 10000, &z),
                         cases[i].rc);
        if (cases[i].rc == 0) {
            ck_assert_int_eq(compression_decompress(cases[i].c, z.data, z.len, 10000, &out), 0);
            ck_assert_mem_eq(out.data, in, 10000);
        } else {
            ck_assert_uint_eq(z.len, 0);
        }
    }
    ck_assert_int_eq(compression_compress((enum rb_compression)5, 0, in, 10, &z), SL_EUNSUPPORTED);
    ck_assert_int_eq(compression_decompress((enum rb_compression)7, in, 10, 100, &out),
                     SL_EUNSUPPORTED);
    wbuf_free(&z);
    wbuf_free(&out);
    free(in);
}
END_TEST

/* Builds snappy-java framing by hand: header then [i32 len][raw block] per chunk. */
static void xerial_frame(const uint8_t *in, size_t n, size_t chunk, struct wbuf *out)
{
    static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    wbuf_bytes(out, magic, sizeof magic);
    wbuf_i32(out, 1); /* version */
    wbuf_i32(out, 1); /* compatible version */
    for (size_t off = 0; off < n; off += chunk) {
        size_t len = n - off < chunk ? n - off : chunk;
        size_t max = snappy_max_compressed_length(len);
        size_t at = wbuf_skip(out, 4);
        wbuf_reserve(out, max);
        size_t clen = max;
        ck_assert_int_eq(
            snappy_compress((const char *)in + off, len, (char *)out->data + out->len, &clen),
            SNAPPY_OK);
        out->len += clen;
        wbuf_patch_i32(out, at, (int32_t)clen);
    }
}

START_TEST(test_snappy_xerial)
{
    size_t n = 100000;
    uint8_t *in = make_input(n);
    struct wbuf z, out;
    wbuf_init(&z, 0);
    wbuf_init(&out, 0);
    xerial_frame(in, n, 32768, &z);
    ck_assert_int_eq(compression_decompress(RB_COMPRESSION_SNAPPY, z.data, z.len, n, &out), 0);
    ck_assert_uint_eq(out.len, n);
    ck_assert_mem_eq(out.data, in, n);
    /* Cap applies across blocks. */
    out.len = 0;
    ck_assert_int_eq(compression_decompress(RB_COMPRESSION_SNAPPY, z.data, z.len, n - 1, &out),
                     SL_ETOOLARGE);
    ck_assert_uint_le(out.cap, n);
    /* A block length running past the end, and a cut length field. */
    out.len = 0;
    ck_assert_int_eq(compression_decompress(RB_COMPRESSION_SNAPPY, z.data, z.len - 1, n, &out),
                     SL_ECORRUPT);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_int_eq(compression_decompress(RB_COMPRESSION_SNAPPY, z.data, 18, n, &out),
                     SL_ECORRUPT);
    /* Header only: no blocks, empty output. */
    ck_assert_int_eq(compression_decompress(RB_COMPRESSION_SNAPPY, z.data, 16, n, &out), 0);
    ck_assert_uint_eq(out.len, 0);
    wbuf_free(&z);
    wbuf_free(&out);
    free(in);
}
END_TEST

START_TEST(test_corrupt_input)
{
    size_t n = 50000;
    uint8_t *in = make_input(n);
    for (size_t c = 1; c < NCODECS; c++) {
        struct wbuf z, out;
        wbuf_init(&z, 0);
        wbuf_init(&out, 0);
        ck_assert_int_eq(compression_compress(codecs[c], COMPRESSION_LEVEL_DEFAULT, in, n, &z), 0);
        /* Empty input. */
        ck_assert_int_eq(compression_decompress(codecs[c], z.data, 0, n, &out), SL_ECORRUPT);
        /* Truncated at several points. */
        size_t cuts[] = {1, z.len / 2, z.len - 1};
        for (size_t i = 0; i < 3; i++) {
            out.len = 0;
            ck_assert_int_eq(compression_decompress(codecs[c], z.data, cuts[i], n, &out),
                             SL_ECORRUPT);
            ck_assert_uint_eq(out.len, 0);
        }
        /* Garbage. */
        uint8_t junk[64];
        memset(junk, 0xA5, sizeof junk);
        ck_assert_int_eq(compression_decompress(codecs[c], junk, sizeof junk, n, &out),
                         SL_ECORRUPT);
        /* Trailing garbage after a complete stream (raw snappy has its length up front). */
        if (codecs[c] != RB_COMPRESSION_SNAPPY) {
            wbuf_bytes(&z, "garbage!", 8);
            out.len = 0;
            ck_assert_int_eq(compression_decompress(codecs[c], z.data, z.len, n, &out),
                             SL_ECORRUPT);
        }
        wbuf_free(&z);
        wbuf_free(&out);
    }
    free(in);
}
END_TEST

START_TEST(test_concatenated_streams)
{
    /* Two zstd frames, two gzip members and two lz4 frames decode as one stream. */
    uint8_t *in = make_input(20000);
    enum rb_compression cs[] = {RB_COMPRESSION_GZIP, RB_COMPRESSION_LZ4, RB_COMPRESSION_ZSTD};
    for (size_t c = 0; c < 3; c++) {
        struct wbuf z, out;
        wbuf_init(&z, 0);
        wbuf_init(&out, 0);
        ck_assert_int_eq(compression_compress(cs[c], COMPRESSION_LEVEL_DEFAULT, in, 12000, &z), 0);
        ck_assert_int_eq(
            compression_compress(cs[c], COMPRESSION_LEVEL_DEFAULT, in + 12000, 8000, &z), 0);
        ck_assert_int_eq(compression_decompress(cs[c], z.data, z.len, 20000, &out), 0);
        ck_assert_uint_eq(out.len, 20000);
        ck_assert_mem_eq(out.data, in, 20000);
        wbuf_free(&z);
        wbuf_free(&out);
    }
    free(in);
}
END_TEST

#define GIB  (1024ull * 1024 * 1024)
#define MIB  (1024 * 1024)
#define STEP (1024 * 1024)

/* 1 GiB of zeros through a streaming zstd compressor (no content size in the header). */
static void zstd_bomb(struct wbuf *out)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ck_assert_ptr_nonnull(cc);
    uint8_t *zeros = calloc(1, STEP);
    for (unsigned long long done = 0; done < GIB; done += STEP) {
        ZSTD_inBuffer ib = {zeros, STEP, 0};
        ZSTD_EndDirective mode = done + STEP == GIB ? ZSTD_e_end : ZSTD_e_continue;
        size_t left;
        do {
            wbuf_reserve(out, ZSTD_CStreamOutSize());
            ZSTD_outBuffer ob = {out->data + out->len, out->cap - out->len, 0};
            left = ZSTD_compressStream2(cc, &ob, &ib, mode);
            ck_assert(!ZSTD_isError(left));
            out->len += ob.pos;
        } while (mode == ZSTD_e_end ? left != 0 : ib.pos < ib.size);
    }
    free(zeros);
    ZSTD_freeCCtx(cc);
}

static void gzip_bomb(struct wbuf *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    ck_assert_int_eq(deflateInit2(&zs, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uint8_t *zeros = calloc(1, STEP);
    int z = Z_OK;
    for (unsigned long long done = 0; done < GIB; done += STEP) {
        zs.next_in = zeros;
        zs.avail_in = STEP;
        int flush = done + STEP == GIB ? Z_FINISH : Z_NO_FLUSH;
        do {
            wbuf_reserve(out, 64 * 1024);
            zs.next_out = out->data + out->len;
            zs.avail_out = (uInt)(out->cap - out->len);
            uInt before = zs.avail_out;
            z = deflate(&zs, flush);
            out->len += before - zs.avail_out;
        } while (zs.avail_in > 0 || (flush == Z_FINISH && z != Z_STREAM_END));
    }
    ck_assert_int_eq(z, Z_STREAM_END);
    deflateEnd(&zs);
    free(zeros);
}

static void lz4_bomb(struct wbuf *out)
{
    LZ4F_cctx *cc;
    ck_assert(!LZ4F_isError(LZ4F_createCompressionContext(&cc, LZ4F_VERSION)));
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockMode = LZ4F_blockIndependent;
    uint8_t *zeros = calloc(1, STEP);
    size_t bound = LZ4F_compressBound(STEP, &prefs);
    wbuf_reserve(out, LZ4F_HEADER_SIZE_MAX);
    size_t n = LZ4F_compressBegin(cc, out->data + out->len, out->cap - out->len, &prefs);
    ck_assert(!LZ4F_isError(n));
    out->len += n;
    for (unsigned long long done = 0; done < GIB; done += STEP) {
        wbuf_reserve(out, bound);
        n = LZ4F_compressUpdate(cc, out->data + out->len, out->cap - out->len, zeros, STEP, NULL);
        ck_assert(!LZ4F_isError(n));
        out->len += n;
    }
    wbuf_reserve(out, bound);
    n = LZ4F_compressEnd(cc, out->data + out->len, out->cap - out->len, NULL);
    ck_assert(!LZ4F_isError(n));
    out->len += n;
    free(zeros);
    LZ4F_freeCompressionContext(cc);
}

static void check_bomb(enum rb_compression codec, const struct wbuf *z)
{
    struct wbuf out;
    wbuf_init(&out, 0);
    ck_assert_int_eq(compression_decompress(codec, z->data, z->len, MIB, &out), SL_ETOOLARGE);
    ck_assert_uint_eq(out.len, 0);
    ck_assert_uint_le(out.cap, MIB); /* never allocated beyond the cap */
    wbuf_free(&out);
}

START_TEST(test_bomb_zstd)
{
    struct wbuf z;
    wbuf_init(&z, 0);
    zstd_bomb(&z);
    ck_assert_uint_lt(z.len, 256 * 1024);
    check_bomb(RB_COMPRESSION_ZSTD, &z);
    wbuf_free(&z);
}
END_TEST

START_TEST(test_bomb_gzip)
{
    struct wbuf z;
    wbuf_init(&z, 0);
    gzip_bomb(&z);
    ck_assert_uint_lt(z.len, 8 * MIB);
    check_bomb(RB_COMPRESSION_GZIP, &z);
    wbuf_free(&z);
}
END_TEST

START_TEST(test_bomb_lz4)
{
    struct wbuf z;
    wbuf_init(&z, 0);
    lz4_bomb(&z);
    check_bomb(RB_COMPRESSION_LZ4, &z);
    wbuf_free(&z);
}
END_TEST

START_TEST(test_bomb_snappy)
{
    /* A raw snappy block that claims 1 GiB is refused before any allocation. */
    struct wbuf z;
    wbuf_init(&z, 0);
    wbuf_uvarint(&z, GIB);
    uint8_t junk[32] = {0};
    wbuf_bytes(&z, junk, sizeof junk);
    check_bomb(RB_COMPRESSION_SNAPPY, &z);
    /* The same behind xerial framing. */
    struct wbuf x;
    wbuf_init(&x, 0);
    static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    wbuf_bytes(&x, magic, 8);
    wbuf_i32(&x, 1);
    wbuf_i32(&x, 1);
    wbuf_i32(&x, (int32_t)z.len);
    wbuf_bytes(&x, z.data, z.len);
    check_bomb(RB_COMPRESSION_SNAPPY, &x);
    wbuf_free(&z);
    wbuf_free(&x);
}
END_TEST

START_TEST(test_names)
{
    enum rb_compression c;
    for (size_t i = 0; i < NCODECS; i++) {
        ck_assert_int_eq(compression_parse(compression_name(codecs[i]), &c), 0);
        ck_assert_int_eq(c, codecs[i]);
    }
    ck_assert_int_eq(compression_parse("ZSTD", &c), 0);
    ck_assert_int_eq(c, RB_COMPRESSION_ZSTD);
    ck_assert_int_eq(compression_parse("brotli", &c), SL_EINVAL);
    ck_assert_str_eq(compression_name((enum rb_compression)6), "unknown");
}
END_TEST

static Suite *compression_suite(void)
{
    Suite *s = suite_create("compression");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip_all_codecs);
    tcase_add_test(tc, test_levels);
    tcase_add_test(tc, test_snappy_xerial);
    tcase_add_test(tc, test_corrupt_input);
    tcase_add_test(tc, test_concatenated_streams);
    tcase_add_test(tc, test_bomb_zstd);
    tcase_add_test(tc, test_bomb_gzip);
    tcase_add_test(tc, test_bomb_lz4);
    tcase_add_test(tc, test_bomb_snappy);
    tcase_add_test(tc, test_names);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(compression_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
