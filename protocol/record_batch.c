/*
 * Kafka record batch v2: header parsing, broker-side validation, record
 * iteration, in-place stamping and a builder (see record_batch.h).
 *
 * Validation follows Kafka's UnifiedLog.analyzeAndValidateRecords and
 * LogValidator (KIP-98 batch format, KIP-32 timestamps), with one deliberate
 * difference: Kafka rebuilds a batch whose inner offset deltas are not 0..n-1
 * ("some older clients"), while we store batches exactly as received, so such
 * a batch is rejected with INVALID_RECORD instead.
 */
#include "record_batch.h"

#include <string.h>

#include "compression.h"
#include "arena.h"
#include "crc32c.h"
#include "err.h"
#include "kafka.h"

/* Wrapping arithmetic: the inputs come off the wire and may be anything. */
static inline int64_t add_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static inline int64_t sub_wrap(int64_t a, int64_t b)
{
    return (int64_t)((uint64_t)a - (uint64_t)b);
}

static void header_decode(const uint8_t *p, struct rb_header *h)
{
    h->base_offset = (int64_t)be64_load(p + RB_OFF_BASE_OFFSET);
    h->batch_length = (int32_t)be32_load(p + RB_OFF_LENGTH);
    h->partition_leader_epoch = (int32_t)be32_load(p + RB_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[RB_OFF_MAGIC];
    h->crc = be32_load(p + RB_OFF_CRC);
    h->attributes = (int16_t)be16_load(p + RB_OFF_ATTRIBUTES);
    h->last_offset_delta = (int32_t)be32_load(p + RB_OFF_LAST_DELTA);
    h->base_timestamp = (int64_t)be64_load(p + RB_OFF_BASE_TIMESTAMP);
    h->max_timestamp = (int64_t)be64_load(p + RB_OFF_MAX_TIMESTAMP);
    h->producer_id = (int64_t)be64_load(p + RB_OFF_PRODUCER_ID);
    h->producer_epoch = (int16_t)be16_load(p + RB_OFF_PRODUCER_EPOCH);
    h->base_sequence = (int32_t)be32_load(p + RB_OFF_BASE_SEQUENCE);
    h->records_count = (int32_t)be32_load(p + RB_OFF_RECORDS_COUNT);
}

int rb_header_parse(const uint8_t *p, size_t len, struct rb_header *h)
{
    if (len < RB_LOG_OVERHEAD)
        return SL_EAGAIN;
    int32_t blen = (int32_t)be32_load(p + RB_OFF_LENGTH);
    if (blen < RB_HEADER_SIZE - RB_LOG_OVERHEAD)
        return SL_ECORRUPT;
    if (len <= RB_OFF_MAGIC)
        return SL_EAGAIN;
    if (p[RB_OFF_MAGIC] != RB_MAGIC)
        return SL_ECORRUPT;
    if ((size_t)blen + RB_LOG_OVERHEAD > len)
        return SL_EAGAIN;
    header_decode(p, h);
    return 0;
}

uint32_t rb_crc_compute(const uint8_t *batch, size_t total)
{
    return crc32c(0, batch + RB_OFF_ATTRIBUTES, total - RB_OFF_ATTRIBUTES);
}

int rb_crc_check(const uint8_t *p, size_t len)
{
    struct rb_header h;
    if (rb_header_parse(p, len, &h) != 0 || rb_header_total_size(&h) != len)
        return SL_ECORRUPT;
    return rb_crc_compute(p, len) == h.crc ? 0 : SL_ECORRUPT;
}

int rb_split(const uint8_t *p, size_t len, size_t *pos, const uint8_t **batch, size_t *batch_len)
{
    if (*pos >= len)
        return 0;
    struct rb_header h;
    int rc = rb_header_parse(p + *pos, len - *pos, &h);
    if (rc < 0)
        return rc;
    *batch = p + *pos;
    *batch_len = rb_header_total_size(&h);
    *pos += *batch_len;
    return 1;
}

/* ---- records ---- */

/*
 * Parses one record (DefaultRecord.readFrom) from r into rec.  Returns 0 or
 * SL_ECORRUPT with *why set.  Like Kafka, any negative key or value length
 * means null.
 */
static int record_parse(struct rbuf *r, const struct rb_header *h, struct rb_record *rec,
                        const char **why)
{
    int32_t size = rbuf_varint(r);
    if (r->err) {
        *why = "premature end of the records (record length)";
        return SL_ECORRUPT;
    }
    if (size < 0 || (size_t)size > rbuf_remaining(r)) {
        *why = "record length exceeds the remaining bytes of the batch";
        return SL_ECORRUPT;
    }
    struct rbuf rr;
    rbuf_init(&rr, rbuf_take(r, (size_t)size), (size_t)size);

    rec->attributes = rbuf_i8(&rr);
    int64_t ts_delta = rbuf_varlong(&rr);
    rec->offset_delta = rbuf_varint(&rr);
    rec->offset = add_wrap(h->base_offset, rec->offset_delta);
    rec->timestamp = (h->attributes & RB_ATTR_LOG_APPEND_TIME)
                         ? h->max_timestamp
                         : add_wrap(h->base_timestamp, ts_delta);

    rec->key_len = rbuf_varint(&rr);
    if (rec->key_len >= 0) {
        rec->key = rbuf_take(&rr, (size_t)rec->key_len);
    } else {
        rec->key = NULL;
        rec->key_len = -1;
    }
    rec->value_len = rbuf_varint(&rr);
    if (rec->value_len >= 0) {
        rec->value = rbuf_take(&rr, (size_t)rec->value_len);
    } else {
        rec->value = NULL;
        rec->value_len = -1;
    }
    rec->header_count = rbuf_varint(&rr);
    if (rr.err) {
        *why = "invalid record structure";
        return SL_ECORRUPT;
    }
    if (rec->header_count < 0 || (size_t)rec->header_count > rbuf_remaining(&rr)) {
        *why = "invalid number of record headers";
        return SL_ECORRUPT;
    }
    size_t hstart = rr.pos;
    for (int32_t i = 0; i < rec->header_count && !rr.err; i++) {
        int32_t klen = rbuf_varint(&rr);
        if (!rr.err && klen < 0) {
            *why = "negative record header key length";
            return SL_ECORRUPT;
        }
        rbuf_take(&rr, (size_t)klen);
        int32_t vlen = rbuf_varint(&rr);
        if (vlen > 0)
            rbuf_take(&rr, (size_t)vlen);
    }
    if (rr.err) {
        *why = "invalid record structure";
        return SL_ECORRUPT;
    }
    rec->headers = rr.p + hstart;
    rec->headers_len = rr.pos - hstart;
    if (rbuf_remaining(&rr) != 0) {
        *why = "record length does not match its contents";
        return SL_ECORRUPT;
    }
    return 0;
}

int rb_iter_init(struct rb_iter *it, const uint8_t *batch, size_t len, size_t max_decompressed)
{
    memset(it, 0, sizeof *it);
    wbuf_init(&it->scratch, 0);
    if (rb_header_parse(batch, len, &it->h) != 0 || rb_header_total_size(&it->h) != len) {
        it->why = "not one whole record batch";
        return it->err = SL_ECORRUPT;
    }
    if (it->h.records_count < 0) {
        it->why = "negative records count";
        return it->err = SL_ECORRUPT;
    }
    const uint8_t *records = batch + RB_HEADER_SIZE;
    size_t rlen = len - RB_HEADER_SIZE;
    int codec = it->h.attributes & RB_ATTR_COMPRESSION_MASK;
    if (codec > RB_COMPRESSION_ZSTD) {
        it->why = "unknown compression codec";
        return it->err = SL_EUNSUPPORTED;
    }
    if (it->h.records_count == 0) {
        /* Kafka ignores the records section of an empty batch (compaction leaves them). */
        rbuf_init(&it->r, records, 0);
        return 0;
    }
    if (codec == RB_COMPRESSION_NONE) {
        rbuf_init(&it->r, records, rlen);
        return 0;
    }
    int rc = compression_decompress((enum rb_compression)codec, records, rlen, max_decompressed,
                                    &it->scratch);
    if (rc < 0) {
        it->why = rc == SL_ETOOLARGE ? "decompressed records exceed the size limit"
                                     : "compressed records cannot be decompressed";
        return it->err = rc;
    }
    rbuf_init(&it->r, it->scratch.data, it->scratch.len);
    return 0;
}

int rb_iter_next(struct rb_iter *it, struct rb_record *rec)
{
    if (it->err)
        return it->err;
    if (it->index >= it->h.records_count) {
        if (rbuf_remaining(&it->r) != 0) {
            it->why = "bytes remain after the last record of the batch";
            return it->err = SL_ECORRUPT;
        }
        return 0;
    }
    if (record_parse(&it->r, &it->h, rec, &it->why) < 0)
        return it->err = SL_ECORRUPT;
    it->index++;
    return 1;
}

void rb_iter_free(struct rb_iter *it)
{
    wbuf_free(&it->scratch);
}

int rb_record_header_next(const struct rb_record *rec, size_t *pos, struct rb_header_kv *kv)
{
    if (*pos >= rec->headers_len)
        return 0;
    struct rbuf r;
    rbuf_init(&r, rec->headers, rec->headers_len);
    r.pos = *pos;
    int32_t klen = rbuf_varint(&r);
    if (r.err || klen < 0)
        return SL_ECORRUPT;
    kv->key = (const char *)rbuf_take(&r, (size_t)klen);
    kv->key_len = klen;
    kv->value_len = rbuf_varint(&r);
    if (kv->value_len >= 0) {
        kv->value = rbuf_take(&r, (size_t)kv->value_len);
    } else {
        kv->value = NULL;
        kv->value_len = -1;
    }
    if (r.err)
        return SL_ECORRUPT;
    *pos = r.pos;
    return 1;
}

int rb_record_control_type(const struct rb_record *rec)
{
    if (!rec->key || rec->key_len < 4)
        return SL_ECORRUPT;
    int16_t type = (int16_t)be16_load(rec->key + 2);
    return type < 0 ? SL_ECORRUPT : type;
}

/* ---- validation ---- */

static int fail(struct rb_info *info, int16_t *kerr, int16_t code, int rc, const char *why)
{
    *kerr = code;
    info->error_message = why;
    return rc;
}

/* Record-level rules of LogValidator.validateRecord (keys, timestamps). */
static int check_record(const struct rb_limits *lim, const struct rb_header *h,
                        const struct rb_record *rec, const char **why, int16_t *code)
{
    if (lim->require_keys && !rec->key) {
        *why = "compacted topic cannot accept a record without a key";
        *code = KERR_INVALID_RECORD;
        return SL_EINVAL;
    }
    if (lim->timestamp_check == RB_TS_CREATE_TIME && rec->timestamp != RB_NO_TIMESTAMP) {
        int64_t diff;
        if (__builtin_sub_overflow(lim->now_ms, rec->timestamp, &diff) ||
            diff > lim->timestamp_before_max_ms || diff < -lim->timestamp_after_max_ms) {
            *why = "record timestamp is out of the accepted range";
            *code = KERR_INVALID_TIMESTAMP;
            return SL_EINVAL;
        }
    } else if (lim->timestamp_check != RB_TS_UNCHECKED &&
               (h->attributes & RB_ATTR_LOG_APPEND_TIME)) {
        *why = "producer must not set the timestamp type to LogAppendTime";
        *code = KERR_INVALID_TIMESTAMP;
        return SL_EINVAL;
    }
    return 0;
}

/* The record-level errors of one batch, as rb_validate collects them. */
struct record_errors {
    int32_t n, cap;
    int16_t code; /* the batch's code so far, KERR_NONE while no record failed */
    int rc;
};

/*
 * Notes that record `index` failed: the first sets the batch's message and
 * index; with an arena every one is listed (the array doubles in the arena,
 * capped at the batch's records count, so it never exceeds twice the
 * records actually decoded).  A timestamp error makes the batch's code
 * INVALID_TIMESTAMP, as LogValidator.processRecordErrors does.
 */
static void record_error_add(struct record_errors *e, const struct rb_limits *lim,
                             struct rb_info *info, int32_t records_count, int32_t index,
                             int16_t code, const char *why)
{
    if (e->code == KERR_NONE) {
        info->error_record_index = index;
        info->error_message = why;
        e->code = code;
        e->rc = SL_EINVAL;
    } else if (code == KERR_INVALID_TIMESTAMP) {
        e->code = code;
    }
    if (!lim->record_errors_arena || e->n >= records_count)
        return;
    if (e->n == e->cap) {
        int64_t want = e->cap ? (int64_t)e->cap * 2 : 4;
        int32_t cap = want < records_count ? (int32_t)want : records_count;
        struct rb_record_error *v = arena_alloc(lim->record_errors_arena, (size_t)cap * sizeof *v);
        if (e->n)
            memcpy(v, info->record_errors, (size_t)e->n * sizeof *v);
        info->record_errors = v;
        e->cap = cap;
    }
    info->record_errors[e->n++] = (struct rb_record_error){index, code, why};
    info->n_record_errors = e->n;
}

int rb_validate(const uint8_t *p, size_t len, const struct rb_limits *lim, struct rb_info *info,
                int16_t *kafka_error)
{
    struct rb_info dummy;
    if (!info)
        info = &dummy;
    memset(info, 0, sizeof *info);
    info->error_record_index = -1;
    info->max_timestamp = RB_NO_TIMESTAMP;
    info->max_timestamp_offset_delta = -1;
    *kafka_error = KERR_NONE;

    /* Framing, as ByteBufferLogInputStream and ProduceRequest.validateRecords see it. */
    if (len < RB_LOG_OVERHEAD)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_ECORRUPT,
                    "no record batch in the records");
    int32_t blen = (int32_t)be32_load(p + RB_OFF_LENGTH);
    if (blen < RB_HEADER_SIZE - RB_LOG_OVERHEAD)
        return fail(info, kafka_error, KERR_CORRUPT_MESSAGE, SL_ECORRUPT,
                    "batch length is smaller than the batch header");
    if (len <= RB_OFF_MAGIC)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_ECORRUPT,
                    "no record batch in the records");
    int8_t magic = (int8_t)p[RB_OFF_MAGIC];
    if (magic < 0 || magic > RB_MAGIC)
        return fail(info, kafka_error, KERR_CORRUPT_MESSAGE, SL_ECORRUPT, "invalid magic byte");
    if (magic != RB_MAGIC)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EUNSUPPORTED,
                    "only record batches with magic 2 are accepted");
    size_t total = (size_t)blen + RB_LOG_OVERHEAD;
    if (total > len)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_ECORRUPT,
                    "record batch is truncated");
    if (total < len) {
        struct rb_header next;
        int rc = rb_header_parse(p + total, len - total, &next);
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_ECORRUPT,
                    rc == 0 ? "more than one record batch per partition"
                            : "trailing bytes after the record batch");
    }

    struct rb_header h;
    header_decode(p, &h);
    info->batch_size = total;
    info->records_count = h.records_count;
    info->last_offset_delta = h.last_offset_delta;
    info->attributes = h.attributes;
    info->codec = (enum rb_compression)(h.attributes & RB_ATTR_COMPRESSION_MASK);
    info->transactional = (h.attributes & RB_ATTR_TRANSACTIONAL) != 0;
    info->control = (h.attributes & RB_ATTR_CONTROL) != 0;
    info->log_append_time = (h.attributes & RB_ATTR_LOG_APPEND_TIME) != 0;
    info->base_offset = h.base_offset;
    info->base_timestamp = h.base_timestamp;
    info->producer_id = h.producer_id;
    info->producer_epoch = h.producer_epoch;
    info->base_sequence = h.base_sequence;

    /* UnifiedLog.analyzeAndValidateRecords: base offset, size, CRC. */
    if (lim->require_zero_base_offset && h.base_offset != 0)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL,
                    "the base offset of a produced record batch must be 0");
    if (lim->max_batch_bytes && total > lim->max_batch_bytes)
        return fail(info, kafka_error, KERR_MESSAGE_TOO_LARGE, SL_ETOOLARGE,
                    "record batch is larger than max.message.bytes");
    if (rb_crc_compute(p, total) != h.crc)
        return fail(info, kafka_error, KERR_CORRUPT_MESSAGE, SL_ECORRUPT,
                    "record batch CRC mismatch");
    if (info->codec > RB_COMPRESSION_ZSTD)
        return fail(info, kafka_error, KERR_UNSUPPORTED_COMPRESSION_TYPE, SL_EUNSUPPORTED,
                    "unknown compression codec");

    /* LogValidator.validateBatch. */
    if (!lim->allow_compacted) {
        if ((int64_t)h.last_offset_delta + 1 <= 0)
            return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL,
                        "record batch has an invalid offset range");
        if (h.records_count <= 0)
            return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL, "invalid records count");
        if ((int64_t)h.last_offset_delta + 1 != h.records_count)
            return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL,
                        "records count does not match the batch offset range");
    } else if (h.records_count < 0 || h.last_offset_delta < -1 ||
               h.records_count > (int64_t)h.last_offset_delta + 1) {
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL,
                    "records count does not fit the batch offset range");
    }
    if (info->control && !lim->allow_control)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL,
                    "clients are not allowed to write control records");
    /* Transaction markers carry a producer id without a sequence. */
    if (h.producer_id >= 0 && h.base_sequence < 0 && !info->control)
        return fail(info, kafka_error, KERR_INVALID_RECORD, SL_EINVAL,
                    "invalid sequence number for a producer id");

    /* Every record, decompressing when needed. */
    struct rb_iter it;
    int rc = rb_iter_init(&it, p, len, lim->max_decompressed_bytes);
    if (info->codec != RB_COMPRESSION_NONE && h.records_count > 0)
        info->decompress_work = rc < 0 ? lim->max_decompressed_bytes : it.scratch.len;
    info->decompress_over_cap = rc == SL_ETOOLARGE;
    if (rc < 0) {
        int16_t code = rc == SL_ETOOLARGE      ? KERR_INVALID_RECORD
                       : rc == SL_EUNSUPPORTED ? KERR_UNSUPPORTED_COMPRESSION_TYPE
                                               : KERR_CORRUPT_MESSAGE;
        rc = fail(info, kafka_error, code, rc, it.why);
        rb_iter_free(&it);
        return rc;
    }
    info->uncompressed_size =
        info->codec == RB_COMPRESSION_NONE ? total - RB_HEADER_SIZE : it.scratch.len;
    struct rb_record rec;
    int32_t prev_delta = -1;
    struct record_errors errs = {0};
    for (;;) {
        int32_t index = it.index;
        rc = rb_iter_next(&it, &rec);
        if (rc == 0)
            break;
        if (rc < 0) {
            /* Undecodable: nothing after it can be found. */
            if (index < h.records_count)
                record_error_add(&errs, lim, info, h.records_count, index, KERR_INVALID_RECORD,
                                 it.why);
            /* The message goes with the first failing record, which error_record_index names. */
            if (errs.code == KERR_NONE)
                info->error_message = it.why;
            errs.code = KERR_INVALID_RECORD;
            errs.rc = rc;
            break;
        }
        const char *why = NULL;
        int16_t code = KERR_INVALID_RECORD;
        bool delta_ok = lim->allow_compacted ? rec.offset_delta > prev_delta &&
                                                   rec.offset_delta <= h.last_offset_delta
                                             : rec.offset_delta == index;
        if (!delta_ok)
            why = lim->allow_compacted ? "record offset deltas do not increase within the batch"
                                       : "record offset deltas are not consecutive from 0";
        else
            check_record(lim, &h, &rec, &why, &code);
        if (why)
            record_error_add(&errs, lim, info, h.records_count, index, code, why);
        if (rec.offset_delta > prev_delta)
            prev_delta = rec.offset_delta;
        if (rec.timestamp > info->max_timestamp) {
            info->max_timestamp = rec.timestamp;
            info->max_timestamp_offset_delta = rec.offset_delta;
        }
    }
    rb_iter_free(&it);
    if (errs.code != KERR_NONE) {
        *kafka_error = errs.code;
        return errs.rc;
    }
    return 0;
}

/* ---- stamping ---- */

static size_t batch_total(const uint8_t *batch)
{
    return (size_t)(uint32_t)be32_load(batch + RB_OFF_LENGTH) + RB_LOG_OVERHEAD;
}

static void batch_recrc(uint8_t *batch)
{
    be32_store(batch + RB_OFF_CRC, rb_crc_compute(batch, batch_total(batch)));
}

void rb_set_base_offset(uint8_t *batch, int64_t base)
{
    be64_store(batch + RB_OFF_BASE_OFFSET, (uint64_t)base);
}

void rb_set_partition_leader_epoch(uint8_t *batch, int32_t epoch)
{
    be32_store(batch + RB_OFF_LEADER_EPOCH, (uint32_t)epoch);
}

void rb_set_log_append_time(uint8_t *batch, int64_t now_ms)
{
    uint16_t attrs = be16_load(batch + RB_OFF_ATTRIBUTES);
    be16_store(batch + RB_OFF_ATTRIBUTES, attrs | RB_ATTR_LOG_APPEND_TIME);
    be64_store(batch + RB_OFF_MAX_TIMESTAMP, (uint64_t)now_ms);
    batch_recrc(batch);
}

void rb_set_max_timestamp(uint8_t *batch, int64_t max_timestamp)
{
    uint16_t attrs = be16_load(batch + RB_OFF_ATTRIBUTES);
    int64_t cur = (int64_t)be64_load(batch + RB_OFF_MAX_TIMESTAMP);
    if (!(attrs & RB_ATTR_LOG_APPEND_TIME) && cur == max_timestamp)
        return;
    be16_store(batch + RB_OFF_ATTRIBUTES, attrs & (uint16_t)~RB_ATTR_LOG_APPEND_TIME);
    be64_store(batch + RB_OFF_MAX_TIMESTAMP, (uint64_t)max_timestamp);
    batch_recrc(batch);
}

/* ---- builder ---- */

void rb_builder_init(struct rb_builder *b, enum rb_compression codec, int64_t base_offset,
                     int64_t base_timestamp)
{
    memset(b, 0, sizeof *b);
    b->codec = codec;
    b->level = COMPRESSION_LEVEL_DEFAULT;
    b->base_offset = base_offset;
    b->base_timestamp = base_timestamp;
    b->max_timestamp = RB_NO_TIMESTAMP;
    b->max_timestamp_delta = -1;
    b->partition_leader_epoch = -1;
    b->producer_id = RB_NO_PRODUCER_ID;
    b->producer_epoch = RB_NO_PRODUCER_EPOCH;
    b->base_sequence = RB_NO_SEQUENCE;
    wbuf_init(&b->records, 0);
}

void rb_builder_set_producer(struct rb_builder *b, int64_t producer_id, int16_t epoch,
                             int32_t base_sequence)
{
    b->producer_id = producer_id;
    b->producer_epoch = epoch;
    b->base_sequence = base_sequence;
}

static void set_attr(struct rb_builder *b, int16_t bit, bool on)
{
    if (on)
        b->attributes |= bit;
    else
        b->attributes &= (int16_t)~bit;
}

void rb_builder_set_transactional(struct rb_builder *b, bool on)
{
    set_attr(b, RB_ATTR_TRANSACTIONAL, on);
}

void rb_builder_set_control(struct rb_builder *b, bool on)
{
    set_attr(b, RB_ATTR_CONTROL, on);
}

void rb_builder_set_log_append_time(struct rb_builder *b, bool on)
{
    set_attr(b, RB_ATTR_LOG_APPEND_TIME, on);
}

void rb_builder_set_partition_leader_epoch(struct rb_builder *b, int32_t epoch)
{
    b->partition_leader_epoch = epoch;
}

void rb_builder_set_level(struct rb_builder *b, int level)
{
    b->level = level;
}

/* Encoded size of a length-prefixed, nullable byte field. */
static size_t field_size(int32_t len)
{
    return len < 0 ? 1 : varint_size(len) + (size_t)len;
}

void rb_builder_add(struct rb_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                    const void *value, int32_t value_len, const struct rb_header_kv *headers,
                    int n_headers)
{
    if (b->overflow)
        return;
    if (b->count == INT32_MAX || n_headers < 0) {
        b->overflow = true;
        return;
    }
    int32_t delta = b->count;
    int64_t ts_delta = sub_wrap(timestamp, b->base_timestamp);
    if (key_len < 0)
        key_len = -1;
    if (value_len < 0)
        value_len = -1;

    size_t body = 1 + varlong_size(ts_delta) + varint_size(delta) + field_size(key_len) +
                  field_size(value_len) + varint_size(n_headers);
    for (int i = 0; i < n_headers; i++) {
        int32_t klen = headers[i].key_len < 0 ? 0 : headers[i].key_len;
        body += field_size(klen) + field_size(headers[i].value_len < 0 ? -1 : headers[i].value_len);
    }
    if (body > INT32_MAX || b->records.len + body + 5 > INT32_MAX) {
        b->overflow = true;
        return;
    }

    struct wbuf *w = &b->records;
    wbuf_reserve(w, body + 5);
    wbuf_varint(w, (int32_t)body);
    wbuf_i8(w, 0); /* record attributes: unused in v2 */
    wbuf_varlong(w, ts_delta);
    wbuf_varint(w, delta);
    wbuf_varint(w, key_len);
    if (key_len > 0)
        wbuf_bytes(w, key, (size_t)key_len);
    wbuf_varint(w, value_len);
    if (value_len > 0)
        wbuf_bytes(w, value, (size_t)value_len);
    wbuf_varint(w, n_headers);
    for (int i = 0; i < n_headers; i++) {
        int32_t klen = headers[i].key_len < 0 ? 0 : headers[i].key_len;
        wbuf_varint(w, klen);
        if (klen > 0)
            wbuf_bytes(w, headers[i].key, (size_t)klen);
        int32_t vlen = headers[i].value_len < 0 ? -1 : headers[i].value_len;
        wbuf_varint(w, vlen);
        if (vlen > 0)
            wbuf_bytes(w, headers[i].value, (size_t)vlen);
    }

    if (b->max_timestamp_delta < 0 || timestamp > b->max_timestamp) {
        b->max_timestamp = timestamp;
        b->max_timestamp_delta = delta;
    }
    b->count++;
}

void rb_builder_add_control(struct rb_builder *b, int64_t timestamp, enum rb_control_type type,
                            const void *value, int32_t value_len)
{
    uint8_t key[4];
    be16_store(key, 0); /* ControlRecordType key version */
    be16_store(key + 2, (uint16_t)type);
    rb_builder_set_control(b, true);
    rb_builder_add(b, timestamp, key, sizeof key, value, value_len, NULL, 0);
}

int rb_builder_finish(struct rb_builder *b, struct wbuf *out)
{
    if (b->overflow)
        return SL_ETOOLARGE;
    if (b->count == 0)
        return SL_EINVAL;
    size_t start = out->len;
    wbuf_skip(out, RB_HEADER_SIZE);
    int rc = compression_compress(b->codec, b->level, b->records.data, b->records.len, out);
    if (rc < 0) {
        out->len = start;
        return rc;
    }
    size_t total = out->len - start;
    if (total - RB_LOG_OVERHEAD > INT32_MAX) {
        out->len = start;
        return SL_ETOOLARGE;
    }
    uint8_t *p = out->data + start;
    int16_t attrs = (int16_t)((b->attributes & ~RB_ATTR_COMPRESSION_MASK) |
                              ((int16_t)b->codec & RB_ATTR_COMPRESSION_MASK));
    be64_store(p + RB_OFF_BASE_OFFSET, (uint64_t)b->base_offset);
    be32_store(p + RB_OFF_LENGTH, (uint32_t)(total - RB_LOG_OVERHEAD));
    be32_store(p + RB_OFF_LEADER_EPOCH, (uint32_t)b->partition_leader_epoch);
    p[RB_OFF_MAGIC] = RB_MAGIC;
    be16_store(p + RB_OFF_ATTRIBUTES, (uint16_t)attrs);
    be32_store(p + RB_OFF_LAST_DELTA, (uint32_t)(b->count - 1));
    be64_store(p + RB_OFF_BASE_TIMESTAMP, (uint64_t)b->base_timestamp);
    be64_store(p + RB_OFF_MAX_TIMESTAMP, (uint64_t)b->max_timestamp);
    be64_store(p + RB_OFF_PRODUCER_ID, (uint64_t)b->producer_id);
    be16_store(p + RB_OFF_PRODUCER_EPOCH, (uint16_t)b->producer_epoch);
    be32_store(p + RB_OFF_BASE_SEQUENCE, (uint32_t)b->base_sequence);
    be32_store(p + RB_OFF_RECORDS_COUNT, (uint32_t)b->count);
    be32_store(p + RB_OFF_CRC, rb_crc_compute(p, total));
    return 0;
}

void rb_builder_free(struct rb_builder *b)
{
    wbuf_free(&b->records);
}
