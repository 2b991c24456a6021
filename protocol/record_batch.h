/*
 * Kafka record batch v2 (magic 2): header layout, validation, record
 * iteration, compression and a builder.
 *
 * Layout (offsets in bytes; DefaultRecordBatch.java):
 *   0 baseOffset i64 | 8 batchLength i32 (bytes after this field) |
 *   12 partitionLeaderEpoch i32 | 16 magic i8 | 17 crc u32 (CRC-32C of [21, end)) |
 *   21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 |
 *   35 maxTimestamp i64 | 43 producerId i64 | 51 producerEpoch i16 |
 *   53 baseSequence i32 | 57 recordsCount i32 | 61 records
 */
#ifndef SLUICE_RECORD_BATCH_H
#define SLUICE_RECORD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct arena;

#define RB_HEADER_SIZE        61
#define RB_LOG_OVERHEAD       12 /* baseOffset + batchLength */
#define RB_OFF_BASE_OFFSET    0
#define RB_OFF_LENGTH         8
#define RB_OFF_LEADER_EPOCH   12
#define RB_OFF_MAGIC          16
#define RB_OFF_CRC            17
#define RB_OFF_ATTRIBUTES     21
#define RB_OFF_LAST_DELTA     23
#define RB_OFF_BASE_TIMESTAMP 27
#define RB_OFF_MAX_TIMESTAMP  35
#define RB_OFF_PRODUCER_ID    43
#define RB_OFF_PRODUCER_EPOCH 51
#define RB_OFF_BASE_SEQUENCE  53
#define RB_OFF_RECORDS_COUNT  57

#define RB_ATTR_COMPRESSION_MASK 0x07
#define RB_ATTR_LOG_APPEND_TIME  0x08
#define RB_ATTR_TRANSACTIONAL    0x10
#define RB_ATTR_CONTROL          0x20

enum rb_compression {
    RB_COMPRESSION_NONE = 0,
    RB_COMPRESSION_GZIP = 1,
    RB_COMPRESSION_SNAPPY = 2,
    RB_COMPRESSION_LZ4 = 3,
    RB_COMPRESSION_ZSTD = 4,
};

/* The fixed 61-byte header, decoded. */
struct rb_header {
    int64_t base_offset;
    int32_t batch_length; /* bytes after the length field: total size = batch_length + 12 */
    int32_t partition_leader_epoch;
    int8_t magic;
    uint32_t crc;
    int16_t attributes;
    int32_t last_offset_delta;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t records_count;
};

/*
 * Decodes the header at p (len bytes available).  Checks only what the header
 * alone can tell: len >= 61, magic == 2, batch_length >= 49 and
 * batch_length + 12 <= len.  Returns 0 or SL_ECORRUPT (SL_EAGAIN when len is
 * too short to hold the whole batch but the header itself looks valid, so
 * callers scanning a file can tell a torn tail from garbage).
 */
int rb_header_parse(const uint8_t *p, size_t len, struct rb_header *h);

static inline int64_t rb_header_last_offset(const struct rb_header *h)
{
    return h->base_offset + h->last_offset_delta;
}
static inline size_t rb_header_total_size(const struct rb_header *h)
{
    return (size_t)h->batch_length + RB_LOG_OVERHEAD;
}

#define RB_MAGIC             2
#define RB_NO_TIMESTAMP      (-1LL)
#define RB_NO_PRODUCER_ID    (-1LL)
#define RB_NO_PRODUCER_EPOCH (-1)
#define RB_NO_SEQUENCE       (-1)

/* Control record types (the i16 after the i16 version in a control record's key). */
enum rb_control_type {
    RB_CONTROL_ABORT = 0,
    RB_CONTROL_COMMIT = 1,
    RB_CONTROL_LEADER_CHANGE = 2,
    RB_CONTROL_SNAPSHOT_HEADER = 3,
    RB_CONTROL_SNAPSHOT_FOOTER = 4,
    RB_CONTROL_KRAFT_VERSION = 5,
    RB_CONTROL_KRAFT_VOTERS = 6,
};

/* CRC-32C of bytes [21, total) of a whole batch of `total` bytes (>= 21). */
uint32_t rb_crc_compute(const uint8_t *batch, size_t total);

/*
 * Checks the stored CRC of the whole batch at p (len bytes, exactly one
 * batch as rb_header_parse accepts).  Returns 0 or SL_ECORRUPT.
 */
int rb_crc_check(const uint8_t *p, size_t len);

/*
 * Walks a buffer holding concatenated batches (a Produce partition's
 * records, a Fetch response, a segment file).  Start with *pos = 0.  Returns
 * 1 with *batch and *batch_len set to the next whole batch (header checked by
 * rb_header_parse, CRC not checked) and *pos advanced past it; 0 when *pos ==
 * len; SL_EAGAIN when the remaining bytes are a valid-looking but incomplete
 * batch (a torn tail, or a Fetch response cut at max_bytes); SL_ECORRUPT when
 * they are not a batch at all.  *pos is left unchanged on error.
 */
int rb_split(const uint8_t *p, size_t len, size_t *pos, const uint8_t **batch, size_t *batch_len);

/* ---- validation (UnifiedLog.analyzeAndValidateRecords + LogValidator) ---- */

enum rb_timestamp_check {
    RB_TS_UNCHECKED = 0,   /* no timestamp rules */
    RB_TS_CREATE_TIME,     /* topic message.timestamp.type=CreateTime: range-check record times */
    RB_TS_LOG_APPEND_TIME, /* topic uses LogAppendTime: the producer must not set the bit */
};

struct rb_limits {
    /* Cap on the decompressed size of the records of one batch (bomb guard). */
    size_t max_decompressed_bytes;
    /* max.message.bytes: batches larger than this get MESSAGE_TOO_LARGE; 0 = no limit. */
    size_t max_batch_bytes;
    /* Accept control batches (KRaft/metadata logs, transaction markers). */
    bool allow_control;
    /* Produce from clients: baseOffset must be 0 (KIP-98 era rule of UnifiedLog). */
    bool require_zero_base_offset;
    /*
     * Accept the shapes log compaction leaves behind (records_count 0, gaps in
     * offset deltas, which must still increase and stay <= lastOffsetDelta).
     * Off for client batches, which need count == lastOffsetDelta + 1 > 0 and
     * offset deltas 0..n-1.
     */
    bool allow_compacted;
    /* cleanup.policy=compact: every record needs a non-null key. */
    bool require_keys;
    /* Timestamp rules (KIP-32, KIP-937): see enum rb_timestamp_check. */
    enum rb_timestamp_check timestamp_check;
    int64_t now_ms;
    int64_t timestamp_before_max_ms; /* log.message.timestamp.before.max.ms */
    int64_t timestamp_after_max_ms;  /* log.message.timestamp.after.max.ms */
    /*
     * Where to collect every record-level error of the batch (KIP-467), or
     * NULL to keep only the first one's index in rb_info.error_record_index.
     */
    struct arena *record_errors_arena;
};

/* One rejected record of a batch (Produce v8+ RecordErrors, KIP-467). */
struct rb_record_error {
    int32_t index;       /* the record's position in the batch */
    int16_t code;        /* INVALID_RECORD or INVALID_TIMESTAMP */
    const char *message; /* static text */
};

/* What rb_validate learned about a batch (also filled, partially, on failure). */
struct rb_info {
    size_t batch_size;        /* total bytes, = batch_length + 12 */
    size_t uncompressed_size; /* bytes of the records section after decompression */
    /*
     * Bytes decompression produced or may have produced: the decompressed size,
     * or the cap when decompression failed (work callers budget per request).
     */
    size_t decompress_work;
    bool decompress_over_cap; /* the decompressed records exceeded the cap */
    int32_t records_count;
    int32_t last_offset_delta;
    enum rb_compression codec;
    int16_t attributes;
    bool transactional;
    bool control;
    bool log_append_time;
    int64_t base_offset;
    int64_t base_timestamp;
    int64_t max_timestamp;              /* largest record timestamp seen, or -1 */
    int32_t max_timestamp_offset_delta; /* offset delta of that record, or -1 */
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int32_t
        error_record_index; /* on a per-record error: its index (Produce RecordErrors), else -1 */
    const char *error_message; /* static text describing the failure, NULL on success */
    /*
     * With lim->record_errors_arena: every rejected record in batch order,
     * allocated from that arena (at most one per record of the batch).
     */
    struct rb_record_error *record_errors;
    int32_t n_record_errors;
};

/*
 * Validates ONE complete batch at p (len bytes) as a Kafka broker validates
 * batches it appends: header and magic, size limit, CRC-32C over [21, end),
 * codec, records count against lastOffsetDelta, control and producer rules,
 * then every record (decompressed with lim->max_decompressed_bytes as the
 * cap): its length, key, value, headers, offset delta == index, that the
 * records fill the section exactly, keys and timestamps per lim.  Nothing
 * is allocated beyond the decompression cap; the input is not modified.
 *
 * Returns 0 (and *kafka_error = 0), or a negative SL_E* code with
 * *kafka_error set to the Kafka error to answer and info->error_message (and
 * info->error_record_index for per-record errors) describing it.
 * Record-level errors (missing key, timestamp out of range, offset deltas)
 * do not stop the walk: as Kafka's LogValidator does (KIP-467), every record
 * is checked, the whole batch is rejected, and with
 * lim->record_errors_arena every failing record is listed in
 * info->record_errors; the batch's code is then INVALID_TIMESTAMP when any
 * record had a timestamp error, else INVALID_RECORD.  A record that cannot
 * be decoded ends the walk (it is listed too).  Codes:
 *   CORRUPT_MESSAGE (2)   CRC mismatch, bad magic, batch_length below the
 *                         header size, undecodable compressed data
 *   INVALID_RECORD (87)   truncated batch, trailing bytes or a second batch,
 *                         magic 0/1, baseOffset != 0 (when required), count
 *                         and offset problems, control batch (unless
 *                         allowed), producerId >= 0 with baseSequence < 0,
 *                         record framing, decompressed size over the cap,
 *                         missing key on a compacted topic
 *   MESSAGE_TOO_LARGE (10) batch over lim->max_batch_bytes
 *   UNSUPPORTED_COMPRESSION_TYPE (76) codec id 5..7
 *   INVALID_TIMESTAMP (32) timestamp rules of lim->timestamp_check
 * info may be NULL.
 */
int rb_validate(const uint8_t *p, size_t len, const struct rb_limits *lim, struct rb_info *info,
                int16_t *kafka_error);

/* ---- record iteration ---- */

struct rb_record {
    int64_t offset;    /* base_offset + offset_delta */
    int64_t timestamp; /* base_timestamp + delta, or max_timestamp under LogAppendTime */
    int32_t offset_delta;
    int8_t attributes;
    const uint8_t *key; /* NULL when null */
    int32_t key_len;    /* -1 when null */
    const uint8_t *value;
    int32_t value_len;
    int32_t header_count;
    const uint8_t *headers; /* the encoded headers, for rb_record_header_next() */
    size_t headers_len;
};

/* One record header.  key is never null; value is NULL with value_len -1 when null. */
struct rb_header_kv {
    const char *key; /* not NUL-terminated */
    int32_t key_len;
    const uint8_t *value;
    int32_t value_len;
};

struct rb_iter {
    struct rb_header h;
    struct rbuf r;       /* over the (decompressed) records section */
    struct wbuf scratch; /* decompressed records, when compressed */
    int32_t index;       /* records returned so far */
    int err;
    const char *why; /* static description of the first error */
};

/*
 * Prepares to iterate the records of the whole batch at batch (len bytes,
 * checked by rb_header_parse; a longer buffer is an error).  Compressed
 * records are decompressed now, up to max_decompressed bytes.  The CRC is
 * not checked (see rb_crc_check).  Returns 0, SL_ECORRUPT (bad header or
 * compressed data), SL_ETOOLARGE (over max_decompressed) or SL_EUNSUPPORTED
 * (unknown codec).  Record pointers alias `batch` (uncompressed) or the
 * iterator's buffer (compressed): both must outlive their use.  Call
 * rb_iter_free() after any return, success or not.
 */
int rb_iter_init(struct rb_iter *it, const uint8_t *batch, size_t len, size_t max_decompressed);

/*
 * Returns 1 with *rec filled, 0 after the last record (having checked that
 * the records section was consumed exactly), or SL_ECORRUPT on a malformed
 * record (later calls keep returning it).  Offset deltas are reported as
 * found (compacted batches may have gaps).
 */
int rb_iter_next(struct rb_iter *it, struct rb_record *rec);

/* Releases the iterator's buffer. */
void rb_iter_free(struct rb_iter *it);

/*
 * Walks rec's headers: start with *pos = 0; returns 1 with *kv filled, 0 at
 * the end, SL_ECORRUPT if malformed (never for records from rb_iter_next,
 * which checked them).  kv aliases the record's memory.
 */
int rb_record_header_next(const struct rb_record *rec, size_t *pos, struct rb_header_kv *kv);

/* For a control record: its type (enum rb_control_type) or SL_ECORRUPT if the key is malformed. */
int rb_record_control_type(const struct rb_record *rec);

/* ---- in-place stamping by the leader (DefaultRecordBatch setters) ---- */

/* Sets baseOffset (outside the CRC). */
void rb_set_base_offset(uint8_t *batch, int64_t base);

/* Sets partitionLeaderEpoch (outside the CRC). */
void rb_set_partition_leader_epoch(uint8_t *batch, int32_t epoch);

/*
 * LogAppendTime: sets the timestamp-type bit and maxTimestamp = now_ms and
 * recomputes the CRC.  `batch` must be a whole batch (its length is read from
 * the header, which must have passed rb_header_parse/rb_validate).
 */
void rb_set_log_append_time(uint8_t *batch, int64_t now_ms);

/*
 * CreateTime: clears the timestamp-type bit and sets maxTimestamp, recomputing
 * the CRC only when something changed (as Kafka does when the producer's
 * maxTimestamp disagrees with its records).  Same precondition as above.
 */
void rb_set_max_timestamp(uint8_t *batch, int64_t max_timestamp);

/* ---- builder ---- */

struct rb_builder {
    enum rb_compression codec;
    int level; /* compression level, COMPRESSION_LEVEL_DEFAULT unless set */
    int64_t base_offset;
    int64_t base_timestamp;
    int64_t max_timestamp;
    int32_t max_timestamp_delta; /* offset delta of the record with max_timestamp */
    int32_t partition_leader_epoch;
    int64_t producer_id;
    int16_t producer_epoch;
    int32_t base_sequence;
    int16_t attributes; /* transactional/control/log-append-time bits */
    int32_t count;
    bool overflow; /* a record did not fit the format's int32 sizes */
    struct wbuf records;
};

/*
 * Starts a batch: codec, baseOffset and baseTimestamp (record timestamp deltas
 * are relative to it).  Producer fields start as -1 (not idempotent), the
 * leader epoch as -1.
 */
void rb_builder_init(struct rb_builder *b, enum rb_compression codec, int64_t base_offset,
                     int64_t base_timestamp);

/* Idempotent/transactional producer fields (KIP-98). */
void rb_builder_set_producer(struct rb_builder *b, int64_t producer_id, int16_t epoch,
                             int32_t base_sequence);

/* Marks the batch transactional (KIP-98). */
void rb_builder_set_transactional(struct rb_builder *b, bool on);

/* Marks the batch a control batch (transaction markers, KRaft control records). */
void rb_builder_set_control(struct rb_builder *b, bool on);

/* Marks the batch LogAppendTime (maxTimestamp is then the append time). */
void rb_builder_set_log_append_time(struct rb_builder *b, bool on);

void rb_builder_set_partition_leader_epoch(struct rb_builder *b, int32_t epoch);

/* Compression level for rb_builder_finish (see compression_compress). */
void rb_builder_set_level(struct rb_builder *b, int level);

/*
 * Appends a record with offset delta = records so far.  key_len/value_len -1
 * means null (the pointer is then ignored); headers may be NULL when
 * n_headers is 0 (a header value_len of -1 is a null value).  Copies the data.
 */
void rb_builder_add(struct rb_builder *b, int64_t timestamp, const void *key, int32_t key_len,
                    const void *value, int32_t value_len, const struct rb_header_kv *headers,
                    int n_headers);

/*
 * Appends a control record (key = i16 version 0, i16 type) with the given
 * value, and marks the batch a control batch.
 */
void rb_builder_add_control(struct rb_builder *b, int64_t timestamp, enum rb_control_type type,
                            const void *value, int32_t value_len);

/* Number of records added so far. */
static inline int32_t rb_builder_count(const struct rb_builder *b)
{
    return b->count;
}

/*
 * Compresses the records, writes the 61-byte header and the CRC and appends
 * the whole batch to out (the caller owns out).  The builder keeps its
 * records; free it afterwards.  Returns 0, SL_EINVAL when no record was
 * added, SL_ETOOLARGE when the batch would not fit int32 sizes, or an error
 * of compression_compress.
 */
int rb_builder_finish(struct rb_builder *b, struct wbuf *out);

/* Releases the builder's memory. */
void rb_builder_free(struct rb_builder *b);

#endif
