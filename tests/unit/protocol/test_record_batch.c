/*
 * Tests for protocol/record_batch.h: builder -> validate -> iterate round
 * trips with every codec (snappy also with hand-made xerial framing), the
 * broker's validation rules and the Kafka error each maps to, compression
 * bombs under a cap, batch splitting, and in-place stamping.
 */
#include <check.h>
#include <snappy-c.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "arena.h"
#include "buf.h"
#include "compression.h"
#include "crc32c.h"
#include "err.h"
#include "kafka.h"
#include "record_batch.h"

#define MIB (1024 * 1024)

static struct rb_limits client_limits(void)
{
    struct rb_limits l;
    memset(&l, 0, sizeof l);
    l.max_decompressed_bytes = MIB;
    l.require_zero_base_offset = true;
    return l;
}

/* ---- hand-made batches, for shapes the builder refuses to produce ---- */

static void put_record(struct wbuf *w, int64_t ts_delta, int32_t off_delta, const char *key,
                       const char *value)
{
    struct wbuf body;
    wbuf_init(&body, 0);
    wbuf_i8(&body, 0);
    wbuf_varlong(&body, ts_delta);
    wbuf_varint(&body, off_delta);
    wbuf_varint(&body, key ? (int32_t)strlen(key) : -1);
    if (key)
        wbuf_bytes(&body, key, strlen(key));
    wbuf_varint(&body, value ? (int32_t)strlen(value) : -1);
    if (value)
        wbuf_bytes(&body, value, strlen(value));
    wbuf_varint(&body, 0);
    wbuf_varint(&w[0], (int32_t)body.len);
    wbuf_bytes(w, body.data, body.len);
    wbuf_free(&body);
}

/* A record whose body is given raw (length prefix computed). */
static void put_raw_record(struct wbuf *w, const uint8_t *body, size_t len)
{
    wbuf_varint(w, (int32_t)len);
    wbuf_bytes(w, body, len);
}

struct hdr {
    int64_t base_offset;
    int16_t attrs;
    int32_t last_delta;
    int32_t count;
    int64_t pid;
    int16_t epoch;
    int32_t seq;
    int64_t base_ts;
    int64_t max_ts;
};

static struct hdr hdr_default(int32_t count)
{
    struct hdr h = {0, 0, count - 1, count, -1, -1, -1, 1000, 1000 + count - 1};
    return h;
}

/* Header + records section (already compressed if attrs say so) + CRC. */
static void make_batch(struct wbuf *out, const struct hdr *h, const uint8_t *recs, size_t len)
{
    size_t start = out->len;
    wbuf_i64(out, h->base_offset);
    wbuf_i32(out, (int32_t)(RB_HEADER_SIZE - RB_LOG_OVERHEAD + len));
    wbuf_i32(out, 0);
    wbuf_i8(out, 2);
    wbuf_u32(out, 0);
    wbuf_i16(out, h->attrs);
    wbuf_i32(out, h->last_delta);
    wbuf_i64(out, h->base_ts);
    wbuf_i64(out, h->max_ts);
    wbuf_i64(out, h->pid);
    wbuf_i16(out, h->epoch);
    wbuf_i32(out, h->seq);
    wbuf_i32(out, h->count);
    wbuf_bytes(out, recs, len);
    uint8_t *p = out->data + start;
    be32_store(p + RB_OFF_CRC, crc32c(0, p + 21, out->len - start - 21));
}

static void recrc(uint8_t *p, size_t len)
{
    be32_store(p + RB_OFF_CRC, crc32c(0, p + 21, len - 21));
}

static int16_t validate(const struct wbuf *b, const struct rb_limits *lim, struct rb_info *info)
{
    int16_t kerr = 12345;
    int rc = rb_validate(b->data, b->len, lim, info, &kerr);
    ck_assert_int_eq(rc == 0, kerr == 0);
    if (rc != 0 && info)
        ck_assert_ptr_nonnull(info->error_message);
    return kerr;
}

/* ---- builder round trips ---- */

#define NREC 50

static void build_sample(struct wbuf *out, enum rb_compression codec)
{
    struct rb_builder b;
    rb_builder_init(&b, codec, 0, 1700000000000);
    rb_builder_set_producer(&b, 77, 3, 10);
    for (int i = 0; i < NREC; i++) {
        char key[32], val[128];
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "value-%d-%s", i, "padding padding padding padding padding");
        struct rb_header_kv hs[2] = {{"h1", 2, (const uint8_t *)"v1", 2}, {"nullv", 5, NULL, -1}};
        /* Record 3 has a null key, record 4 an empty value, record 5 a null value. */
        rb_builder_add(&b, 1700000000000 + (i * 7) % 23, i == 3 ? NULL : key,
                       i == 3 ? -1 : (int32_t)strlen(key), val,
                       i == 4 ? 0 : (i == 5 ? -1 : (int32_t)strlen(val)), hs, i % 3);
    }
    ck_assert_int_eq(rb_builder_count(&b), NREC);
    ck_assert_int_eq(rb_builder_finish(&b, out), 0);
    rb_builder_free(&b);
}

static void check_sample_records(const uint8_t *p, size_t len)
{
    struct rb_iter it;
    ck_assert_int_eq(rb_iter_init(&it, p, len, MIB), 0);
    struct rb_record rec;
    int i = 0;
    int rc;
    while ((rc = rb_iter_next(&it, &rec)) == 1) {
        char key[32], val[128];
        snprintf(key, sizeof key, "key-%d", i);
        snprintf(val, sizeof val, "value-%d-%s", i, "padding padding padding padding padding");
        ck_assert_int_eq(rec.offset, i);
        ck_assert_int_eq(rec.offset_delta, i);
        ck_assert(rec.timestamp == 1700000000000 + (i * 7) % 23);
        if (i == 3) {
            ck_assert_ptr_null(rec.key);
            ck_assert_int_eq(rec.key_len, -1);
        } else {
            ck_assert_int_eq(rec.key_len, (int32_t)strlen(key));
            ck_assert_mem_eq(rec.key, key, strlen(key));
        }
        if (i == 4) {
            ck_assert_int_eq(rec.value_len, 0);
            ck_assert_ptr_nonnull(rec.value);
        } else if (i == 5) {
            ck_assert_int_eq(rec.value_len, -1);
            ck_assert_ptr_null(rec.value);
        } else {
            ck_assert_int_eq(rec.value_len, (int32_t)strlen(val));
            ck_assert_mem_eq(rec.value, val, strlen(val));
        }
        ck_assert_int_eq(rec.header_count, i % 3);
        size_t pos = 0;
        struct rb_header_kv kv;
        int n = 0;
        while (rb_record_header_next(&rec, &pos, &kv) == 1) {
            if (n == 0) {
                ck_assert_int_eq(kv.key_len, 2);
                ck_assert_mem_eq(kv.key, "h1", 2);
                ck_assert_int_eq(kv.value_len, 2);
                ck_assert_mem_eq(kv.value, "v1", 2);
            } else {
                ck_assert_mem_eq(kv.key, "nullv", 5);
                ck_assert_int_eq(kv.value_len, -1);
                ck_assert_ptr_null(kv.value);
            }
            n++;
        }
        ck_assert_int_eq(n, i % 3);
        i++;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(i, NREC);
    /* End is sticky. */
    ck_assert_int_eq(rb_iter_next(&it, &rec), 0);
    rb_iter_free(&it);
}

START_TEST(test_roundtrip_codecs)
{
    enum rb_compression cs[] = {RB_COMPRESSION_NONE, RB_COMPRESSION_GZIP, RB_COMPRESSION_SNAPPY,
                                RB_COMPRESSION_LZ4, RB_COMPRESSION_ZSTD};
    size_t none_size = 0;
    for (size_t c = 0; c < 5; c++) {
        struct wbuf w;
        wbuf_init(&w, 0);
        build_sample(&w, cs[c]);
        struct rb_header h;
        ck_assert_int_eq(rb_header_parse(w.data, w.len, &h), 0);
        ck_assert_uint_eq(rb_header_total_size(&h), w.len);
        ck_assert_int_eq(h.attributes & RB_ATTR_COMPRESSION_MASK, cs[c]);
        ck_assert_int_eq(rb_crc_check(w.data, w.len), 0);

        struct rb_limits lim = client_limits();
        struct rb_info info;
        ck_assert_int_eq(validate(&w, &lim, &info), 0);
        ck_assert_ptr_null(info.error_message);
        ck_assert_int_eq(info.records_count, NREC);
        ck_assert_int_eq(info.last_offset_delta, NREC - 1);
        ck_assert_int_eq(info.codec, cs[c]);
        ck_assert_int_eq(info.producer_id, 77);
        ck_assert_int_eq(info.producer_epoch, 3);
        ck_assert_int_eq(info.base_sequence, 10);
        ck_assert(info.max_timestamp == 1700000000000 + 22);
        ck_assert_int_eq(info.max_timestamp_offset_delta, 13); /* (13 * 7) % 23 == 22 */
        ck_assert_uint_eq(info.batch_size, w.len);
        ck_assert_int_eq(info.error_record_index, -1);
        if (cs[c] == RB_COMPRESSION_NONE)
            none_size = info.uncompressed_size;
        else
            ck_assert_uint_eq(info.uncompressed_size, none_size);
        check_sample_records(w.data, w.len);
        wbuf_free(&w);
    }
}
END_TEST

/* Rewraps an uncompressed batch's records in snappy-java framing. */
START_TEST(test_snappy_xerial_batch)
{
    struct wbuf plain, x, batch;
    wbuf_init(&plain, 0);
    wbuf_init(&x, 0);
    wbuf_init(&batch, 0);
    build_sample(&plain, RB_COMPRESSION_NONE);
    const uint8_t *recs = plain.data + RB_HEADER_SIZE;
    size_t rlen = plain.len - RB_HEADER_SIZE;

    static const uint8_t magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
    wbuf_bytes(&x, magic, 8);
    wbuf_i32(&x, 1);
    wbuf_i32(&x, 1);
    for (size_t off = 0; off < rlen; off += 1000) { /* several small blocks */
        size_t n = rlen - off < 1000 ? rlen - off : 1000;
        size_t clen = snappy_max_compressed_length(n);
        size_t at = wbuf_skip(&x, 4);
        wbuf_reserve(&x, clen);
        ck_assert_int_eq(
            snappy_compress((const char *)recs + off, n, (char *)x.data + x.len, &clen), SNAPPY_OK);
        x.len += clen;
        wbuf_patch_i32(&x, at, (int32_t)clen);
    }
    struct rb_header ph;
    ck_assert_int_eq(rb_header_parse(plain.data, plain.len, &ph), 0);
    struct hdr h = hdr_default(NREC);
    h.attrs = RB_COMPRESSION_SNAPPY;
    h.pid = ph.producer_id;
    h.epoch = ph.producer_epoch;
    h.seq = ph.base_sequence;
    h.base_ts = ph.base_timestamp;
    h.max_ts = ph.max_timestamp;
    make_batch(&batch, &h, x.data, x.len);

    struct rb_limits lim = client_limits();
    struct rb_info info;
    ck_assert_int_eq(validate(&batch, &lim, &info), 0);
    ck_assert_uint_eq(info.uncompressed_size, rlen);
    check_sample_records(batch.data, batch.len);
    wbuf_free(&plain);
    wbuf_free(&x);
    wbuf_free(&batch);
}
END_TEST

START_TEST(test_builder_misc)
{
    struct rb_builder b;
    struct wbuf w;
    wbuf_init(&w, 0);
    rb_builder_init(&b, RB_COMPRESSION_NONE, 500, 10);
    ck_assert_int_eq(rb_builder_finish(&b, &w), SL_EINVAL); /* empty */
    ck_assert_uint_eq(w.len, 0);
    rb_builder_set_partition_leader_epoch(&b, 9);
    rb_builder_set_transactional(&b, true);
    rb_builder_set_producer(&b, 5, 0, 0);
    rb_builder_add(&b, 5, "k", 1, "v", 1, NULL, 0); /* timestamp before the base: negative delta */
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);

    struct rb_header h;
    ck_assert_int_eq(rb_header_parse(w.data, w.len, &h), 0);
    ck_assert_int_eq(h.base_offset, 500);
    ck_assert_int_eq(h.partition_leader_epoch, 9);
    ck_assert(h.attributes & RB_ATTR_TRANSACTIONAL);
    ck_assert_int_eq(h.max_timestamp, 5);

    struct rb_limits lim = client_limits();
    struct rb_info info;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD); /* base offset 500 */
    lim.require_zero_base_offset = false;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    ck_assert(info.transactional);
    struct rb_iter it;
    struct rb_record rec;
    ck_assert_int_eq(rb_iter_init(&it, w.data, w.len, 0), 0);
    ck_assert_int_eq(rb_iter_next(&it, &rec), 1);
    ck_assert_int_eq(rec.offset, 500);
    ck_assert_int_eq(rec.timestamp, 5);
    ck_assert_int_eq(rb_iter_next(&it, &rec), 0);
    rb_iter_free(&it);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_control_batch)
{
    struct rb_builder b;
    struct wbuf w;
    wbuf_init(&w, 0);
    rb_builder_init(&b, RB_COMPRESSION_NONE, 0, 42);
    rb_builder_set_producer(&b, 1000, 2, -1); /* transaction markers carry no sequence */
    uint8_t marker[6] = {0, 0, 0, 0, 0, 7};   /* version 0, coordinator epoch 7 */
    rb_builder_add_control(&b, 42, RB_CONTROL_COMMIT, marker, sizeof marker);
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);

    struct rb_limits lim = client_limits();
    struct rb_info info;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    lim.allow_control = true;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    ck_assert(info.control);

    struct rb_iter it;
    struct rb_record rec;
    ck_assert_int_eq(rb_iter_init(&it, w.data, w.len, MIB), 0);
    ck_assert_int_eq(rb_iter_next(&it, &rec), 1);
    ck_assert_int_eq(rb_record_control_type(&rec), RB_CONTROL_COMMIT);
    ck_assert_int_eq(rec.value_len, 6);
    rb_iter_free(&it);
    wbuf_free(&w);
}
END_TEST

/* ---- validation failures ---- */

START_TEST(test_bad_crc)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    build_sample(&w, RB_COMPRESSION_LZ4);
    w.data[w.len - 3] ^= 0x40;
    struct rb_limits lim = client_limits();
    struct rb_info info;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_CORRUPT_MESSAGE);
    ck_assert_int_eq(rb_crc_check(w.data, w.len), SL_ECORRUPT);
    w.data[w.len - 3] ^= 0x40;
    w.data[RB_OFF_CRC] ^= 1;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_CORRUPT_MESSAGE);
    w.data[RB_OFF_CRC] ^= 1;
    /* Fields outside the CRC may change freely. */
    w.data[RB_OFF_LEADER_EPOCH] ^= 0x55;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_framing_errors)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    build_sample(&w, RB_COMPRESSION_NONE);
    struct rb_limits lim = client_limits();
    struct rb_info info;
    int16_t kerr;
    size_t n = w.len;

    /* Truncated, by one byte and down to a few bytes. */
    ck_assert_int_eq(rb_validate(w.data, n - 1, &lim, &info, &kerr), SL_ECORRUPT);
    ck_assert_int_eq(kerr, KERR_INVALID_RECORD);
    ck_assert_int_lt(rb_validate(w.data, 40, &lim, &info, &kerr), 0);
    ck_assert_int_eq(kerr, KERR_INVALID_RECORD);
    ck_assert_int_lt(rb_validate(w.data, 5, &lim, &info, &kerr), 0);
    ck_assert_int_eq(kerr, KERR_INVALID_RECORD);
    ck_assert_int_lt(rb_validate(w.data, 0, &lim, &info, &kerr), 0);
    ck_assert_int_eq(kerr, KERR_INVALID_RECORD);

    /* Trailing garbage, and a second batch. */
    wbuf_bytes(&w, "\x01\x02\x03", 3);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    w.len = n;
    uint8_t *copy = malloc(n);
    memcpy(copy, w.data, n);
    wbuf_bytes(&w, copy, n);
    free(copy);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_str_eq(info.error_message, "more than one record batch per partition");
    w.len = n;

    /* batch_length below the header size; bad magic; old magic. */
    uint8_t saved[4];
    memcpy(saved, w.data + RB_OFF_LENGTH, 4);
    be32_store(w.data + RB_OFF_LENGTH, 20);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_CORRUPT_MESSAGE);
    be32_store(w.data + RB_OFF_LENGTH, 0xffffffffu);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_CORRUPT_MESSAGE);
    memcpy(w.data + RB_OFF_LENGTH, saved, 4);
    w.data[RB_OFF_MAGIC] = 3;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_CORRUPT_MESSAGE);
    w.data[RB_OFF_MAGIC] = 1;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    w.data[RB_OFF_MAGIC] = 2;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);

    /* Unknown codec id. */
    be16_store(w.data + RB_OFF_ATTRIBUTES, 6);
    recrc(w.data, w.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_UNSUPPORTED_COMPRESSION_TYPE);

    /* max.message.bytes. */
    be16_store(w.data + RB_OFF_ATTRIBUTES, 0);
    recrc(w.data, w.len);
    lim.max_batch_bytes = n - 1;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_MESSAGE_TOO_LARGE);
    lim.max_batch_bytes = n;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_count_and_offsets)
{
    struct rb_limits lim = client_limits();
    struct rb_info info;
    struct wbuf recs, w;
    wbuf_init(&recs, 0);
    wbuf_init(&w, 0);

    /* Offset deltas 0, 2 in a batch claiming 2 records (last delta 1). */
    put_record(&recs, 0, 0, "a", "1");
    put_record(&recs, 1, 2, "b", "2");
    struct hdr h = hdr_default(2);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.error_record_index, 1);

    /* The same records as a compacted batch (last delta 2): fine when compaction is allowed. */
    w.len = 0;
    h.last_delta = 2;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD); /* count != delta + 1 */
    lim.allow_compacted = true;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    /* ... but deltas must still increase. */
    wbuf_free(&recs);
    wbuf_init(&recs, 0);
    put_record(&recs, 0, 2, "a", "1");
    put_record(&recs, 1, 1, "b", "2");
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    lim.allow_compacted = false;

    /* Count larger than the records present. */
    wbuf_free(&recs);
    wbuf_init(&recs, 0);
    put_record(&recs, 0, 0, "a", "1");
    put_record(&recs, 0, 1, "b", "2");
    h = hdr_default(3);
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.error_record_index, 2);

    /* Count smaller than the records present: bytes remain. */
    h = hdr_default(1);
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* count != last delta + 1; zero and negative counts. */
    h = hdr_default(2);
    h.last_delta = 0;
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    h.count = 0;
    h.last_delta = -1;
    w.len = 0;
    make_batch(&w, &h, recs.data, 0);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    h.count = -5;
    w.len = 0;
    make_batch(&w, &h, recs.data, 0);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* An empty batch left by compaction is fine in compacted mode and iterates as nothing. */
    h.count = 0;
    h.last_delta = 4;
    w.len = 0;
    make_batch(&w, &h, recs.data, 0);
    lim.allow_compacted = true;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    struct rb_iter it;
    struct rb_record rec;
    ck_assert_int_eq(rb_iter_init(&it, w.data, w.len, MIB), 0);
    ck_assert_int_eq(rb_iter_next(&it, &rec), 0);
    rb_iter_free(&it);
    lim.allow_compacted = false;

    /* Producer id without a sequence. */
    h = hdr_default(2);
    h.pid = 9;
    h.epoch = 0;
    h.seq = -1;
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    h.seq = 0;
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), 0);

    wbuf_free(&recs);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_record_framing)
{
    struct rb_limits lim = client_limits();
    struct rb_info info;
    struct wbuf recs, w;
    wbuf_init(&recs, 0);
    wbuf_init(&w, 0);
    struct hdr h = hdr_default(1);

    /* Record length larger than what remains. */
    wbuf_varint(&recs, 100);
    wbuf_bytes(&recs, "\0\0\0\0\0\0", 6);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.error_record_index, 0);

    /* Negative record length. */
    recs.len = w.len = 0;
    wbuf_varint(&recs, -3);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* Key length past the record's end. */
    const uint8_t key_past[] = {0, 0, 0, 20, 'a', 1, 0};
    recs.len = w.len = 0;
    put_raw_record(&recs, key_past, sizeof key_past);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* Negative header count; header count larger than the bytes left. */
    const uint8_t neg_headers[] = {0, 0, 0, 1, 1, 0x01};
    recs.len = w.len = 0;
    put_raw_record(&recs, neg_headers, sizeof neg_headers);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    const uint8_t many_headers[] = {0, 0, 0, 1, 1, 0x7e};
    recs.len = w.len = 0;
    put_raw_record(&recs, many_headers, sizeof many_headers);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* A header with a negative key length. */
    const uint8_t neg_hkey[] = {0, 0, 0, 1, 1, 2, 1, 0};
    recs.len = w.len = 0;
    put_raw_record(&recs, neg_hkey, sizeof neg_hkey);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* Record length larger than its fields (a byte left over inside the record). */
    const uint8_t slack[] = {0, 0, 0, 1, 1, 0, 0};
    recs.len = w.len = 0;
    put_raw_record(&recs, slack, sizeof slack);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);

    /* The well-formed minimum: null key, null value, no headers. */
    const uint8_t ok[] = {0, 0, 0, 1, 1, 0};
    recs.len = w.len = 0;
    put_raw_record(&recs, ok, sizeof ok);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), 0);

    /* Compacted topics need keys. */
    lim.require_keys = true;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.error_record_index, 0);

    wbuf_free(&recs);
    wbuf_free(&w);
}
END_TEST

/* KIP-467: every failing record is listed, not only the first (LogValidator). */
START_TEST(test_record_errors_all)
{
    struct arena a = ARENA_INIT;
    struct rb_limits lim = client_limits();
    lim.require_keys = true;
    lim.record_errors_arena = &a;
    struct rb_info info;
    struct wbuf recs, w;
    wbuf_init(&recs, 0);
    wbuf_init(&w, 0);

    /* 5 records, 1 and 3 without a key. */
    for (int i = 0; i < 5; i++)
        put_record(&recs, i, i, i == 1 || i == 3 ? NULL : "k", "v");
    struct hdr h = hdr_default(5);
    make_batch(&w, &h, recs.data, recs.len);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.error_record_index, 1);
    ck_assert_int_eq(info.n_record_errors, 2);
    ck_assert_int_eq(info.record_errors[0].index, 1);
    ck_assert_int_eq(info.record_errors[1].index, 3);
    ck_assert_int_eq(info.record_errors[1].code, KERR_INVALID_RECORD);
    ck_assert_ptr_nonnull(info.record_errors[1].message);

    /* Without an arena: the same verdict, only the first index. */
    lim.record_errors_arena = NULL;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.error_record_index, 1);
    ck_assert_int_eq(info.n_record_errors, 0);
    ck_assert_ptr_null(info.record_errors);
    lim.record_errors_arena = &a;

    /* 40 records, every odd one keyless, even ones past 30 too far in the
     * future: the list grows past its first allocation, a timestamp error
     * makes the batch INVALID_TIMESTAMP (processRecordErrors). */
    recs.len = w.len = 0;
    for (int i = 0; i < 40; i++)
        put_record(&recs, i >= 30 ? 10000000 : 0, i, i % 2 ? NULL : "k", "v");
    h = hdr_default(40);
    h.max_ts = h.base_ts + 10000000;
    make_batch(&w, &h, recs.data, recs.len);
    lim.timestamp_check = RB_TS_CREATE_TIME;
    lim.now_ms = h.base_ts;
    lim.timestamp_before_max_ms = INT64_MAX;
    lim.timestamp_after_max_ms = 3600000;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_TIMESTAMP);
    ck_assert_int_eq(info.n_record_errors, 25);
    for (int32_t k = 0; k < info.n_record_errors; k++) {
        int32_t want = k < 15 ? 2 * k + 1 : 30 + (k - 15);
        ck_assert_int_eq(info.record_errors[k].index, want);
        ck_assert_int_eq(info.record_errors[k].code,
                         want % 2 ? KERR_INVALID_RECORD : KERR_INVALID_TIMESTAMP);
    }

    /* The same records compressed. */
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_LZ4, 0, 1000);
    for (int i = 0; i < 6; i++)
        rb_builder_add(&b, 1000 + i, i % 3 == 2 ? NULL : "k", i % 3 == 2 ? -1 : 1, "v", 1, NULL, 0);
    struct wbuf cw;
    wbuf_init(&cw, 0);
    ck_assert_int_eq(rb_builder_finish(&b, &cw), 0);
    rb_builder_free(&b);
    lim.timestamp_check = RB_TS_UNCHECKED;
    ck_assert_int_eq(validate(&cw, &lim, &info), KERR_INVALID_RECORD);
    ck_assert_int_eq(info.n_record_errors, 2);
    ck_assert_int_eq(info.record_errors[0].index, 2);
    ck_assert_int_eq(info.record_errors[1].index, 5);

    wbuf_free(&cw);
    wbuf_free(&recs);
    wbuf_free(&w);
    arena_free(&a);
}
END_TEST

START_TEST(test_timestamps)
{
    struct rb_limits lim = client_limits();
    struct rb_info info;
    struct wbuf recs, w;
    wbuf_init(&recs, 0);
    wbuf_init(&w, 0);
    put_record(&recs, 0, 0, "a", "1");
    put_record(&recs, 5000, 1, "b", "2");
    struct hdr h = hdr_default(2);
    h.base_ts = 100000;
    h.max_ts = 105000;
    make_batch(&w, &h, recs.data, recs.len);

    lim.timestamp_check = RB_TS_CREATE_TIME;
    lim.now_ms = 100000;
    lim.timestamp_before_max_ms = INT64_MAX;
    lim.timestamp_after_max_ms = 3600000;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    ck_assert_int_eq(info.max_timestamp, 105000);
    ck_assert_int_eq(info.max_timestamp_offset_delta, 1);
    lim.timestamp_after_max_ms = 1000; /* record 1 is 5 s in the future */
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_TIMESTAMP);
    ck_assert_int_eq(info.error_record_index, 1);
    lim.timestamp_after_max_ms = 3600000;
    lim.now_ms = 200000;
    lim.timestamp_before_max_ms = 50000; /* both too old */
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_TIMESTAMP);
    ck_assert_int_eq(info.error_record_index, 0);

    /* The producer setting LogAppendTime. */
    h.attrs = RB_ATTR_LOG_APPEND_TIME;
    w.len = 0;
    make_batch(&w, &h, recs.data, recs.len);
    lim.timestamp_check = RB_TS_LOG_APPEND_TIME;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_TIMESTAMP);
    lim.timestamp_check = RB_TS_UNCHECKED;
    ck_assert_int_eq(validate(&w, &lim, &info), 0);
    ck_assert_int_eq(info.max_timestamp, 105000); /* every record reads maxTimestamp */
    wbuf_free(&recs);
    wbuf_free(&w);
}
END_TEST

/* A zstd frame of 1 GiB of zeros, streamed so the test stays small. */
static void zstd_zero_bomb(struct wbuf *out)
{
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t step = MIB;
    uint8_t *zeros = calloc(1, step);
    for (size_t done = 0; done < 1024 * (size_t)MIB; done += step) {
        ZSTD_inBuffer ib = {zeros, step, 0};
        ZSTD_EndDirective mode = done + step == 1024 * (size_t)MIB ? ZSTD_e_end : ZSTD_e_continue;
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

START_TEST(test_bomb_batch)
{
    struct wbuf z, w;
    wbuf_init(&z, 0);
    wbuf_init(&w, 0);
    zstd_zero_bomb(&z);
    struct hdr h = hdr_default(1);
    h.attrs = RB_COMPRESSION_ZSTD;
    make_batch(&w, &h, z.data, z.len);
    struct rb_limits lim = client_limits();
    struct rb_info info;
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_INVALID_RECORD);
    struct rb_iter it;
    ck_assert_int_eq(rb_iter_init(&it, w.data, w.len, MIB), SL_ETOOLARGE);
    ck_assert_uint_le(it.scratch.cap, MIB);
    rb_iter_free(&it);

    /* Undecodable compressed data is a corrupt message. */
    w.len = 0;
    make_batch(&w, &h, (const uint8_t *)"not zstd at all", 15);
    ck_assert_int_eq(validate(&w, &lim, &info), KERR_CORRUPT_MESSAGE);
    wbuf_free(&z);
    wbuf_free(&w);
}
END_TEST

/* ---- splitting and stamping ---- */

START_TEST(test_split)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    size_t ends[3];
    enum rb_compression cs[3] = {RB_COMPRESSION_NONE, RB_COMPRESSION_ZSTD, RB_COMPRESSION_GZIP};
    for (int i = 0; i < 3; i++) {
        build_sample(&w, cs[i]);
        ends[i] = w.len;
    }
    size_t pos = 0;
    const uint8_t *b;
    size_t blen;
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(rb_split(w.data, w.len, &pos, &b, &blen), 1);
        ck_assert_uint_eq(pos, ends[i]);
        ck_assert_ptr_eq(b + blen, w.data + ends[i]);
        ck_assert_int_eq(rb_crc_check(b, blen), 0);
        check_sample_records(b, blen);
    }
    ck_assert_int_eq(rb_split(w.data, w.len, &pos, &b, &blen), 0);

    /* A torn tail is SL_EAGAIN at every cut; garbage is SL_ECORRUPT. */
    for (size_t cut = ends[1] + 1; cut < ends[2]; cut += 7) {
        pos = ends[1];
        ck_assert_int_eq(rb_split(w.data, cut, &pos, &b, &blen), SL_EAGAIN);
        ck_assert_uint_eq(pos, ends[1]);
    }
    memset(w.data + ends[1], 0, 20);
    pos = ends[1];
    ck_assert_int_eq(rb_split(w.data, w.len, &pos, &b, &blen), SL_ECORRUPT);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_stamping)
{
    enum rb_compression cs[2] = {RB_COMPRESSION_NONE, RB_COMPRESSION_SNAPPY};
    for (int c = 0; c < 2; c++) {
        struct wbuf w;
        wbuf_init(&w, 0);
        build_sample(&w, cs[c]);
        struct rb_limits lim = client_limits();
        lim.require_zero_base_offset = false;
        uint32_t crc0 = be32_load(w.data + RB_OFF_CRC);

        rb_set_base_offset(w.data, 123456789);
        rb_set_partition_leader_epoch(w.data, 17);
        ck_assert_uint_eq(be32_load(w.data + RB_OFF_CRC), crc0); /* outside the CRC */
        ck_assert_int_eq(validate(&w, &lim, NULL), 0);
        struct rb_header h;
        ck_assert_int_eq(rb_header_parse(w.data, w.len, &h), 0);
        ck_assert_int_eq(h.base_offset, 123456789);
        ck_assert_int_eq(h.partition_leader_epoch, 17);

        /* CreateTime max timestamp unchanged: no CRC change; changed: recomputed. */
        rb_set_max_timestamp(w.data, h.max_timestamp);
        ck_assert_uint_eq(be32_load(w.data + RB_OFF_CRC), crc0);
        rb_set_max_timestamp(w.data, h.max_timestamp + 1);
        ck_assert_uint_ne(be32_load(w.data + RB_OFF_CRC), crc0);
        ck_assert_int_eq(rb_crc_check(w.data, w.len), 0);

        /* LogAppendTime: bit set, max timestamp = now, CRC recomputed, records read now. */
        rb_set_log_append_time(w.data, 1800000000000);
        ck_assert_int_eq(rb_crc_check(w.data, w.len), 0);
        struct rb_info info;
        ck_assert_int_eq(validate(&w, &lim, &info), 0);
        ck_assert(info.log_append_time);
        ck_assert(info.max_timestamp == 1800000000000);
        struct rb_iter it;
        struct rb_record rec;
        ck_assert_int_eq(rb_iter_init(&it, w.data, w.len, MIB), 0);
        int n = 0;
        while (rb_iter_next(&it, &rec) == 1) {
            ck_assert(rec.timestamp == 1800000000000);
            ck_assert_int_eq(rec.offset, 123456789 + n);
            n++;
        }
        ck_assert_int_eq(n, NREC);
        rb_iter_free(&it);

        /* Back to CreateTime clears the bit. */
        rb_set_max_timestamp(w.data, 1700000000022);
        ck_assert_int_eq(rb_crc_check(w.data, w.len), 0);
        ck_assert_int_eq(be16_load(w.data + RB_OFF_ATTRIBUTES) & RB_ATTR_LOG_APPEND_TIME, 0);
        wbuf_free(&w);
    }
}
END_TEST

static Suite *rb_suite(void)
{
    Suite *s = suite_create("record_batch");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_roundtrip_codecs);
    tcase_add_test(tc, test_snappy_xerial_batch);
    tcase_add_test(tc, test_builder_misc);
    tcase_add_test(tc, test_control_batch);
    tcase_add_test(tc, test_bad_crc);
    tcase_add_test(tc, test_framing_errors);
    tcase_add_test(tc, test_count_and_offsets);
    tcase_add_test(tc, test_record_framing);
    tcase_add_test(tc, test_timestamps);
    tcase_add_test(tc, test_record_errors_all);
    tcase_add_test(tc, test_bomb_batch);
    tcase_add_test(tc, test_split);
    tcase_add_test(tc, test_stamping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(rb_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
