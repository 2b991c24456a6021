/*
 * Fuzz target for record batch v2 handling: rb_validate, rb_iter, rb_split,
 * the stamping setters, the builder and compression_decompress.
 *
 * Input: one mode byte, then the bytes under test.  Mode bits 0-1 choose
 * 0/1: a batch whose CRC the harness fixes up first (so mutations reach the
 * record parser instead of stopping at the CRC), 2: a batch taken as is,
 * 3: raw decompression with codec (mode >> 2) & 7.  Bits 2-7 pick the
 * validation limits (allow_control, allow_compacted, require_keys, timestamp
 * check, require_zero_base_offset).
 *
 * Properties checked beyond "no crash, no leak, no sanitizer report": a
 * batch that validates iterates exactly records_count records with
 * well-formed headers, still validates after stamping, and rebuilds through
 * rb_builder into a batch that validates and iterates to the same records.
 */
#include <string.h>

#include "buf.h"
#include "compression.h"
#include "err.h"
#include "fuzz.h"
#include "kafka.h"
#include "record_batch.h"

#define FUZZ_CAP (1024 * 1024)

static struct rb_limits limits_from(uint8_t mode)
{
    struct rb_limits lim;
    memset(&lim, 0, sizeof lim);
    lim.max_decompressed_bytes = FUZZ_CAP;
    lim.max_batch_bytes = (mode & 0x80) ? 1048588 : 0;
    lim.allow_control = (mode & 0x04) != 0;
    lim.allow_compacted = (mode & 0x08) != 0;
    lim.require_keys = (mode & 0x10) != 0;
    lim.timestamp_check = (enum rb_timestamp_check)(((mode >> 5) & 3) % 3);
    lim.now_ms = 1700000000000;
    lim.timestamp_before_max_ms = 7 * 24 * 3600 * 1000LL;
    lim.timestamp_after_max_ms = 3600 * 1000LL;
    lim.require_zero_base_offset = (mode & 0x80) != 0;
    return lim;
}

/* Iterates a validated batch: exactly records_count records, headers well-formed. */
static void check_iteration(const uint8_t *p, size_t len, const struct rb_info *info)
{
    struct rb_iter it;
    FUZZ_CHECK(rb_iter_init(&it, p, len, FUZZ_CAP) == 0);
    struct rb_record rec;
    int32_t n = 0;
    int rc;
    while ((rc = rb_iter_next(&it, &rec)) == 1) {
        FUZZ_CHECK(rec.key_len >= -1 && rec.value_len >= -1);
        FUZZ_CHECK((rec.key == NULL) == (rec.key_len == -1));
        FUZZ_CHECK((rec.value == NULL) == (rec.value_len == -1));
        size_t pos = 0;
        struct rb_header_kv kv;
        int32_t h = 0;
        int hr;
        while ((hr = rb_record_header_next(&rec, &pos, &kv)) == 1)
            h++;
        FUZZ_CHECK(hr == 0 && h == rec.header_count);
        if (info->control)
            (void)rb_record_control_type(&rec);
        n++;
    }
    FUZZ_CHECK(rc == 0);
    FUZZ_CHECK(n == info->records_count);
    rb_iter_free(&it);
}

/* Stamping keeps the batch valid; LogAppendTime rewrites maxTimestamp and the CRC. */
static void check_stamping(const uint8_t *p, size_t len, const struct rb_limits *lim)
{
    uint8_t *c = malloc(len);
    FUZZ_CHECK(c != NULL);
    memcpy(c, p, len);
    struct rb_limits l = *lim;
    l.require_zero_base_offset = false;
    l.timestamp_check = RB_TS_UNCHECKED;
    rb_set_base_offset(c, 1234567);
    rb_set_partition_leader_epoch(c, 42);
    int16_t kerr;
    struct rb_info info;
    FUZZ_CHECK(rb_validate(c, len, &l, &info, &kerr) == 0);
    rb_set_log_append_time(c, 1800000000000);
    FUZZ_CHECK(rb_crc_check(c, len) == 0);
    FUZZ_CHECK(rb_validate(c, len, &l, &info, &kerr) == 0);
    /* Records read the append time; an empty (compacted) batch has none to read. */
    FUZZ_CHECK(info.log_append_time && info.base_offset == 1234567);
    FUZZ_CHECK(info.records_count == 0 || info.max_timestamp == 1800000000000);
    struct rb_header h;
    FUZZ_CHECK(rb_header_parse(c, len, &h) == 0 && h.max_timestamp == 1800000000000 &&
               h.partition_leader_epoch == 42);
    free(c);
}

static bool same_bytes(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
    return alen == blen && (alen <= 0 || memcmp(a, b, (size_t)alen) == 0);
}

/* Rebuilds the records with rb_builder and compares record by record. */
static void check_rebuild(const uint8_t *p, size_t len, const struct rb_limits *lim,
                          const struct rb_info *info)
{
    struct rb_header h;
    FUZZ_CHECK(rb_header_parse(p, len, &h) == 0);
    struct rb_builder b;
    rb_builder_init(&b, info->codec, h.base_offset, h.base_timestamp);
    rb_builder_set_level(&b, 1);
    rb_builder_set_producer(&b, h.producer_id, h.producer_epoch, h.base_sequence);
    rb_builder_set_transactional(&b, info->transactional);
    rb_builder_set_control(&b, info->control);

    struct rb_iter it;
    struct rb_record rec;
    FUZZ_CHECK(rb_iter_init(&it, p, len, FUZZ_CAP) == 0);
    while (rb_iter_next(&it, &rec) == 1) {
        struct rb_header_kv *hs = NULL;
        if (rec.header_count > 0) {
            hs = calloc((size_t)rec.header_count, sizeof *hs);
            FUZZ_CHECK(hs != NULL);
        }
        size_t pos = 0;
        for (int32_t i = 0; i < rec.header_count; i++)
            FUZZ_CHECK(rb_record_header_next(&rec, &pos, &hs[i]) == 1);
        rb_builder_add(&b, rec.timestamp, rec.key, rec.key_len, rec.value, rec.value_len, hs,
                       rec.header_count);
        free(hs);
    }
    rb_iter_free(&it);

    struct wbuf out;
    wbuf_init(&out, 0);
    int rc = rb_builder_finish(&b, &out);
    rb_builder_free(&b);
    /* Recompressed data may exceed what the original compressed to; that is all. */
    if (rc == SL_ETOOLARGE) {
        wbuf_free(&out);
        return;
    }
    FUZZ_CHECK(rc == 0);
    struct rb_limits l = *lim;
    l.timestamp_check = RB_TS_UNCHECKED;
    l.max_batch_bytes = 0;
    struct rb_info info2;
    int16_t kerr;
    FUZZ_CHECK(rb_validate(out.data, out.len, &l, &info2, &kerr) == 0);
    FUZZ_CHECK(info2.records_count == info->records_count);
    FUZZ_CHECK(info2.max_timestamp == info->max_timestamp);

    struct rb_iter a, c;
    struct rb_record ra, rc2;
    FUZZ_CHECK(rb_iter_init(&a, p, len, FUZZ_CAP) == 0);
    FUZZ_CHECK(rb_iter_init(&c, out.data, out.len, FUZZ_CAP) == 0);
    for (;;) {
        int x = rb_iter_next(&a, &ra);
        int y = rb_iter_next(&c, &rc2);
        FUZZ_CHECK(x == y);
        if (x != 1)
            break;
        FUZZ_CHECK(ra.offset == rc2.offset && ra.timestamp == rc2.timestamp);
        FUZZ_CHECK(same_bytes(ra.key, ra.key_len, rc2.key, rc2.key_len));
        FUZZ_CHECK(same_bytes(ra.value, ra.value_len, rc2.value, rc2.value_len));
        FUZZ_CHECK(ra.header_count == rc2.header_count);
        /* Compare decoded headers: the original may use non-minimal varints. */
        size_t pa = 0, pc = 0;
        struct rb_header_kv ka, kc;
        for (int32_t i = 0; i < ra.header_count; i++) {
            FUZZ_CHECK(rb_record_header_next(&ra, &pa, &ka) == 1);
            FUZZ_CHECK(rb_record_header_next(&rc2, &pc, &kc) == 1);
            FUZZ_CHECK(same_bytes((const uint8_t *)ka.key, ka.key_len, (const uint8_t *)kc.key,
                                  kc.key_len));
            FUZZ_CHECK(same_bytes(ka.value, ka.value_len, kc.value, kc.value_len));
        }
    }
    rb_iter_free(&a);
    rb_iter_free(&c);
    wbuf_free(&out);
}

static void fuzz_batch(const uint8_t *p, size_t len, uint8_t mode)
{
    struct rb_limits lim = limits_from(mode);
    struct rb_info info;
    int16_t kerr = -2;
    int rc = rb_validate(p, len, &lim, &info, &kerr);
    if (rc == 0) {
        FUZZ_CHECK(kerr == KERR_NONE && info.error_message == NULL);
        FUZZ_CHECK(info.batch_size == len && rb_crc_check(p, len) == 0);
        check_iteration(p, len, &info);
        check_stamping(p, len, &lim);
        if (!lim.allow_compacted)
            check_rebuild(p, len, &lim, &info);
    } else {
        FUZZ_CHECK(kerr != KERR_NONE && info.error_message != NULL);
    }

    /* The iterator alone, on anything. */
    struct rb_iter it;
    if (rb_iter_init(&it, p, len, FUZZ_CAP) == 0) {
        struct rb_record rec;
        int32_t n = 0;
        while (rb_iter_next(&it, &rec) == 1)
            n++;
        FUZZ_CHECK(n <= it.h.records_count);
    }
    rb_iter_free(&it);

    /* Splitting as a log scan would. */
    size_t pos = 0;
    const uint8_t *b;
    size_t blen;
    while ((rc = rb_split(p, len, &pos, &b, &blen)) == 1) {
        FUZZ_CHECK(b >= p && blen >= RB_HEADER_SIZE && (size_t)(b - p) + blen == pos);
        FUZZ_CHECK(pos <= len);
        (void)rb_crc_check(b, blen);
    }
    FUZZ_CHECK(rc == 0 || rc == SL_EAGAIN || rc == SL_ECORRUPT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    size_t len = size - 1;
    /* A private, exactly sized copy so overreads are caught and the CRC can be fixed. */
    uint8_t *p = malloc(len ? len : 1);
    FUZZ_CHECK(p != NULL);
    if (len)
        memcpy(p, data + 1, len);

    switch (mode & 3) {
    case 0:
    case 1:
        if (len >= RB_HEADER_SIZE) {
            size_t total = (size_t)be32_load(p + RB_OFF_LENGTH) + RB_LOG_OVERHEAD;
            if (total > len || total < RB_HEADER_SIZE)
                total = len;
            be32_store(p + RB_OFF_CRC, rb_crc_compute(p, total));
        }
        fuzz_batch(p, len, mode);
        break;
    case 2:
        fuzz_batch(p, len, mode);
        break;
    case 3: {
        struct wbuf out;
        wbuf_init(&out, 0);
        int rc =
            compression_decompress((enum rb_compression)((mode >> 2) & 7), p, len, FUZZ_CAP, &out);
        FUZZ_CHECK(rc == 0 || rc == SL_ECORRUPT || rc == SL_ETOOLARGE || rc == SL_EUNSUPPORTED);
        FUZZ_CHECK(out.cap <= FUZZ_CAP);
        FUZZ_CHECK(rc == 0 || out.len == 0);
        wbuf_free(&out);
        break;
    }
    }
    free(p);
    return 0;
}
