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

#endif
