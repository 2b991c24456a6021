/*
 * One log segment (Kafka's LogSegment): <base>.log holding whole record
 * batches, <base>.index (sparse last-offset -> position) and <base>.timeindex
 * (max timestamp so far -> last offset of the batch that holds it).
 *
 * Index entries follow Kafka: an offset index entry (last offset of the batch,
 * position of the batch) is added before a batch once more than
 * index_interval_bytes were appended since the previous entry, together with
 * a time index entry when the max timestamp grew; a final time index entry is
 * added when the segment stops being active.  Internal to storage/.
 */
#ifndef SLUICE_STORAGE_SEGMENT_H
#define SLUICE_STORAGE_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "index.h"
#include "partition_log.h"
#include "record_batch.h"

struct storage_segment {
    int64_t base;        /* base offset, from the file name */
    int fd;              /* the .log file, read/write */
    char *log_path;      /* <dir>/<base>.log */
    int64_t size;        /* bytes of whole batches */
    int64_t file_size;   /* size of the file (larger than size when preallocated) */
    int64_t next_offset; /* last offset + 1 of the last batch, base when empty */
    struct storage_index oidx;
    struct storage_index tidx;
    int64_t bytes_since_index;
    int64_t max_ts;         /* largest batch max timestamp, -1 when none */
    int64_t max_ts_offset;  /* last offset of the first batch carrying max_ts, -1 when none */
    int64_t first_ts;       /* max timestamp of the first batch, -1 when none */
    int64_t created_ms;     /* now_ms of the first append since open, -1 before */
    int64_t roll_jitter_ms; /* this segment's share of segment_jitter_ms (Kafka's
                               LogSegment.rollJitterMs), -1 until first needed */
    bool dirty;             /* .log written since the last fdatasync */
    bool index_missing;     /* an index file did not exist when the segment was opened */
    int64_t limit;          /* offsets must stay below this (the next segment's base) when
                               loading or recovering; INT64_MAX for the last segment */
    const struct storage_segment_params *params; /* the log's, for index repairs */
};

/* Limits that the segment needs from the log configuration. */
struct storage_segment_params {
    int32_t index_interval_bytes;
    size_t max_oidx_entries;
    size_t max_tidx_entries;
    bool preallocate;
    int64_t segment_bytes;
};

void storage_segment_params_from(struct storage_segment_params *p,
                                 const struct storage_log_config *c);

/* "<dir>/<base %020lld><suffix>", freshly allocated. */
char *storage_segment_path(const char *dir, int64_t base, const char *suffix);

/*
 * Opens the segment files for `base` in dir.  p must outlive the segment (it
 * is kept for index repairs).  create: make a new empty segment
 * (existing files are truncated, the .log preallocated when configured);
 * otherwise the .log must exist (SL_ENOTFOUND) and the index files are created
 * when missing.  Nothing is read: call load or recover next.  *out is freed by
 * storage_segment_close/delete.  Errors: SL_ENOTFOUND, SL_EIO.
 */
int storage_segment_open(const char *dir, int64_t base, const struct storage_segment_params *p,
                         bool create, struct storage_segment **out);

/*
 * Trusted load after a clean shutdown or below the recovery point: loads both
 * indexes, checks them (sizes, increasing entries, entries inside the file,
 * the last entries against the batches they name) and validates, CRC
 * included, the batches after the last offset index entry to find the
 * segment's end and max timestamp.  Like Kafka, it trusts the time index's
 * last entry for the max timestamp of the batches before that (written when
 * the segment stopped being active, synced with the data).  SL_ECORRUPT means
 * the caller must run storage_segment_recover (indexes damaged or the tail
 * invalid); SL_EIO.
 */
int storage_segment_load(struct storage_segment *s, const struct storage_segment_params *p);

/*
 * Scans the whole .log batch by batch (header sane, offsets increasing and
 * inside [base, limit), CRC-32C valid when check_crc), rebuilds both indexes and
 * cuts the file at the first invalid or torn batch.  *truncated_bytes gets the
 * number of bytes cut (0 when the file was whole).  Returns 0 or SL_EIO.
 */
int storage_segment_recover(struct storage_segment *s, const struct storage_segment_params *p,
                            bool check_crc, int64_t *truncated_bytes);

/*
 * Appends whole batches (already checked by the caller: parseable headers,
 * offsets increasing and >= next_offset, relative offsets that fit) and
 * updates indexes and timestamps.  On a write error the file is cut back and
 * SL_EIO returned.
 */
int storage_segment_append(struct storage_segment *s, const struct storage_segment_params *p,
                           const uint8_t *buf, size_t len, int64_t now_ms);

/*
 * Position and header of the first batch whose last offset is >= offset.
 * SL_ENOTFOUND when no batch of the segment reaches offset; SL_EIO, SL_ECORRUPT.
 *
 * Every index entry a lookup uses is checked against the batch it points at
 * (a damaged index that passed the load checks is caught here); on a
 * mismatch the indexes are rebuilt from the data and the lookup repeated.
 */
int storage_segment_find(struct storage_segment *s, int64_t offset, int64_t *pos,
                         struct rb_header *h);

/* Reads whole batches from the batch containing offset (see storage_log_read). */
int storage_segment_read(struct storage_segment *s, int64_t offset, int64_t max_offset,
                         int64_t max_bytes, bool min_one, struct storage_slice *out);

/* Cuts the segment before the batch that contains `offset` (or keeps it whole
 * when no batch reaches it), rebuilds the indexes and fsyncs.  0 or SL_EIO. */
int storage_segment_truncate_to(struct storage_segment *s, const struct storage_segment_params *p,
                                int64_t offset);

/* Batch granularity time lookup inside the segment: base offset of the first
 * batch with last offset >= min_offset and max timestamp >= ts. */
int storage_segment_offset_for_ts(struct storage_segment *s, int64_t ts, int64_t min_offset,
                                  int64_t *offset, bool *found);

/* Calls cb for each batch with base offset >= from; see storage_log_scan. */
int storage_segment_scan(struct storage_segment *s, int64_t from,
                         int (*cb)(void *ctx, const uint8_t *batch, size_t len), void *ctx);

/* The segment stops being active: final time index entry, preallocation trimmed. */
int storage_segment_finish(struct storage_segment *s);

/* fdatasyncs the .log and the indexes when they changed.  0 or SL_EIO. */
int storage_segment_flush(struct storage_segment *s);

/* Largest timestamp for retention: max_ts, or the file's mtime when no batch has one. */
int64_t storage_segment_largest_ts(const struct storage_segment *s);

/* Closes the files and frees the segment (NULL is fine). */
void storage_segment_close(struct storage_segment *s);

/* Suffix of segment files waiting for deletion (Kafka's LogFileUtils.DELETED_FILE_SUFFIX). */
#define STORAGE_DELETED_SUFFIX ".deleted"

/*
 * Renames the three files to <name>.deleted (Kafka's LogSegment.changeFileSuffixes
 * before an asynchronous delete); the descriptors stay open and the segment
 * keeps the new paths, so storage_segment_delete removes the renamed files.
 * Missing index files are skipped.  0 or SL_EIO (some files may be renamed).
 */
int storage_segment_rename_deleted(struct storage_segment *s);

/* Closes and removes the three files, then frees the segment.  0 or SL_EIO. */
int storage_segment_delete(struct storage_segment *s);

#endif
