/*
 * The partition log: an ordered list of segments (Kafka's UnifiedLog and
 * LocalLog) holding record batches v2 exactly as they were appended, with a
 * sparse offset index and a time index per segment, crash recovery on open,
 * size/time based segment roll, retention, truncation and flush policy.
 *
 * A log is owned by one thread (the node's event loop); nothing here locks.
 * Its fsyncs may run on a flush thread (flusher.h, storage_log_set_flusher),
 * which only ever sees dup()ed descriptors.  All offsets are Kafka offsets (int64); the log end
 * offset (LEO) is the next offset to assign.
 */
#ifndef SLUICE_STORAGE_PARTITION_LOG_H
#define SLUICE_STORAGE_PARTITION_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct storage_log_config {
    int64_t segment_bytes;           /* log.segment.bytes, default 1 GiB */
    int64_t segment_ms;              /* log.roll.ms, default 7 days */
    int64_t segment_jitter_ms;       /* log.roll.jitter.ms, default 0: each segment rolls
                                        up to this much earlier (random, per segment) */
    int64_t retention_ms;            /* log.retention.ms, default 7 days, -1 = infinite */
    int64_t retention_bytes;         /* log.retention.bytes, default -1 */
    int32_t index_interval_bytes;    /* log.index.interval.bytes, default 4096 */
    int32_t max_index_bytes;         /* log.index.size.max.bytes, default 10 MiB */
    int64_t flush_interval_messages; /* log.flush.interval.messages, default INT64_MAX
                                        (background flush only); 1 = fsync every append */
    int64_t flush_interval_ms;       /* log.flush.interval.ms, default -1 = not time-based */
    int64_t file_delete_delay_ms;    /* log.segment.delete.delay.ms, default 60000: deleted
                                        segments stay renamed *.deleted this long */
    bool preallocate;                /* log.preallocate, default false */
};

/* Fills c with Kafka's defaults (listed above). */
void storage_log_config_default(struct storage_log_config *c);

/*
 * The roll jitter of one segment, as Kafka's LogConfig.randomSegmentJitter:
 * 0 when segment_jitter_ms is 0, else r modulo min(segment_jitter_ms,
 * segment_ms), so in [0, min(segment_jitter_ms, segment_ms)).
 */
int64_t storage_log_roll_jitter(const struct storage_log_config *c, uint64_t r);

/*
 * Checks ranges: segment_bytes in [14, INT32_MAX] (Kafka's int config),
 * segment_ms >= 1, index_interval_bytes >= 0, max_index_bytes >= 12,
 * flush_interval_messages >= 1.  Returns 0 or SL_EINVAL.
 */
int storage_log_config_validate(const struct storage_log_config *c);

struct storage_log;

/*
 * Opens (creating if needed, parents included) the log in `dir`, a partition
 * directory such as <log.dir>/<topic>-<p>, recovers it and returns it in *out
 * (the caller closes it with storage_log_close or storage_log_delete).
 *
 * recovery_point: offset up to which data is known flushed (from the
 * recovery-point checkpoint) or -1 when unknown.  Recovery:
 *  - a `.clean` marker (written by storage_log_close after everything was
 *    fsynced) makes every segment trusted, as Kafka's LogLoader does after a
 *    clean shutdown; the marker is removed on open;
 *  - without it, every segment that may hold data at or after the recovery
 *    point (all of them when -1) is scanned batch by batch: header sane,
 *    CRC-32C valid, offsets increasing.  The segment is cut at the first
 *    invalid or torn batch and every later segment is deleted;
 *  - trusted segments still get their indexes sanity-checked (size, order,
 *    bounds) and the batches after their last index entry validated; a
 *    failure there falls back to the full scan above;
 *  - stray index files without a .log are removed, and so are *.deleted
 *    files a delayed delete left behind (storage_log_delete_expired).
 * Recovered data is fsynced, so the recovery point after open is the LEO.
 * The log start offset starts at the first segment's base offset; a broker
 * that persists a higher one (log-start-offset checkpoint, DeleteRecords)
 * restores it with storage_log_advance_start_offset.
 * Errors: SL_EINVAL (bad config), SL_EIO.
 */
int storage_log_open(const char *dir, const struct storage_log_config *cfg, int64_t recovery_point,
                     struct storage_log **out);

/* Finishes the indexes, trims preallocated files, fsyncs everything, writes the
 * `.clean` marker and frees the log.  Safe to call with NULL. */
void storage_log_close(struct storage_log *l);

/* Closes the log and removes its directory and every file in it.
 * Returns 0 or SL_EIO (the log is freed either way). */
int storage_log_delete(struct storage_log *l);

/* Replaces the configuration (AlterConfigs); takes effect on the next append
 * or retention pass.  Returns 0 or SL_EINVAL (config unchanged). */
int storage_log_set_config(struct storage_log *l, const struct storage_log_config *cfg);

/* Replaces the random source segment roll jitter is drawn from (tests make it
 * deterministic); by default each log has its own generator seeded from the
 * system.  fn(ctx) is called once per segment, when its roll age is first checked. */
void storage_log_set_random(struct storage_log *l, uint64_t (*fn)(void *ctx), void *ctx);

const char *storage_log_dir(const struct storage_log *l);
int64_t storage_log_start_offset(const struct storage_log *l);
int64_t storage_log_end_offset(const struct storage_log *l); /* LEO: next offset to assign */
int64_t storage_log_size_bytes(const struct storage_log *l);
int64_t storage_log_recovery_point(const struct storage_log *l);     /* flushed up to (exclusive) */
int64_t storage_log_unflushed_messages(const struct storage_log *l); /* LEO - recovery point */
int storage_log_segment_count(const struct storage_log *l);
/*
 * True after a write, sync or file operation failed: the log is offline
 * (Kafka's LogDirFailureChannel).  From then on it writes nothing: appends,
 * truncations, retention and start-offset changes return SL_EIO, flushes fail
 * and the recovery point stays put, and close writes neither the final index
 * entries nor the clean marker, so the next open recovers it.  Reads still
 * work; the broker answers KAFKA_STORAGE_ERROR for an offline log.
 */
bool storage_log_failed(const struct storage_log *l);

/* Takes the log offline as above (its log dir failed elsewhere); logged once. */
void storage_log_mark_failed(struct storage_log *l);

/*
 * Appends one or more complete v2 batches stored back to back in buf.  The
 * first batch's baseOffset must equal the LEO and later ones must follow the
 * previous batch's last offset (contiguous or higher); the caller has already
 * validated the batches (CRC, records) and assigned offsets and leader epochs.
 * Headers are re-checked here (magic, lengths, offsets): SL_EINVAL when the
 * buffer is not whole batches or the offsets do not fit.
 *
 * Rolls the active segment first when it is non-empty and the new data would
 * take it past segment_bytes, or it is older than segment_ms minus the
 * segment's random roll jitter (storage_log_roll_jitter; measured, as
 * Kafka does, from the first batch's max timestamp to the newest max timestamp
 * appended, or from the first append's now_ms when batches carry no
 * timestamp), or an index is full, or the offsets no longer fit a 32-bit
 * relative offset.  Adds an offset index entry every index_interval_bytes and
 * a time index entry with it when the max timestamp grew.  Flushes when the
 * unflushed message count reaches flush_interval_messages: inline, or with a
 * flusher attached by storage_log_request_flush (the append returns before
 * the fsync; storage_log_flush_requested then covers its offsets).
 * All or nothing: when a write of the data or of its index entries fails,
 * the files are cut back and the LEO stays where it was, and the log goes
 * offline (storage_log_failed).  Errors: SL_EINVAL, SL_ETOOLARGE, SL_EIO
 * (also for any append to an offline log).  On SL_EIO check the LEO: if it
 * did not move nothing was appended; if it moved the data is in the log but
 * the policy's fsync failed (and the log is offline).
 */
int storage_log_append(struct storage_log *l, const uint8_t *buf, size_t len, int64_t now_ms);

/* A byte range of one segment file that holds whole batches: the result of a read. */
struct storage_slice {
    int fd;               /* segment file, borrowed */
    int64_t pos;          /* file position of the first byte */
    int64_t len;          /* bytes; 0 when nothing was read */
    int64_t first_offset; /* base offset of the first batch (or the requested offset when empty) */
    int64_t next_offset;  /* where the next read starts: the base offset of the batch after
                             the slice, or the segment's end offset (last offset + 1) */
};

/*
 * Finds the batch containing `offset` (offset in [start, LEO)) and returns
 * whole batches from it, all in one segment, none with a base offset >=
 * max_offset (an exclusive bound such as the high watermark; pass INT64_MAX
 * for none), at most max_bytes in total except that the first batch is
 * returned whatever its size when min_one (KIP-74).  offset == LEO or offset
 * >= max_offset gives len 0; offset < start or > LEO gives SL_ERANGE.  The fd
 * is borrowed: valid until the next call that can delete segments
 * (retention, truncation, advance_start_offset, delete, close); callers that
 * keep it dup() it.  Errors: SL_ERANGE, SL_EIO, SL_ECORRUPT.
 */
int storage_log_read(struct storage_log *l, int64_t offset, int64_t max_offset, int64_t max_bytes,
                     bool min_one, struct storage_slice *out);

/* fdatasyncs data and indexes up to the LEO (and the directory when segments
 * were created) and advances the recovery point to the LEO, on the calling
 * thread, whether or not a threaded flush runs (it then syncs that flush's
 * files too).  For shutdown and tools.  Returns 0 or SL_EIO. */
int storage_log_flush(struct storage_log *l);

struct storage_flusher;

/*
 * Attaches the log to a flush thread (flusher.h): from now on its policy
 * flushes and storage_log_request_flush run there, and the flusher's done
 * callback gets ctx after each.  f NULL detaches (only when no flush runs:
 * after storage_flusher_destroy).  The flusher must outlive the attachment.
 */
void storage_log_set_flusher(struct storage_log *l, struct storage_flusher *f, void *ctx);

/*
 * Asks for everything appended so far to be flushed.  Without a flusher this
 * is storage_log_flush.  With one it returns at once: a flush begins now, or,
 * when one is running (group commit), once it ends, and covers every append
 * made before it begins; the done callback reports each.  Returns 0, or
 * SL_EIO for an offline log.
 */
int storage_log_request_flush(struct storage_log *l);

/* True when offset is not yet flushed but a running or requested threaded
 * flush covers it (its completion will move the recovery point past it). */
bool storage_log_flush_requested(const struct storage_log *l, int64_t offset);

/*
 * The same flush in three steps, so that the fsyncs can run on a worker
 * thread (DESIGN.md section 1) and cover several appends (group commit):
 *  - storage_log_flush_begin, on the log's thread: notes the LEO and takes
 *    dup()ed descriptors of every file written since the last flush;
 *  - storage_flush_job_run, on any thread: fdatasyncs them (fsyncs the
 *    directory) and closes them; touches nothing of the log;
 *  - storage_log_flush_end, on the log's thread, with run's result: frees the
 *    job and, on success, advances the recovery point to the noted LEO
 *    (unless the log was truncated meanwhile).
 * Appends may continue between begin and end.  Every job that was begun must
 * be ended.  begin returns SL_EIO when the directory cannot be opened (the
 * job must still be run and ended, passing that error).
 */
struct storage_flush_job;
int storage_log_flush_begin(struct storage_log *l, struct storage_flush_job **job);
int storage_flush_job_run(struct storage_flush_job *job);
int storage_log_flush_end(struct storage_log *l, struct storage_flush_job *job, int rc);

/* Time-based flush (log.flush.interval.ms): flushes (storage_log_request_flush)
 * when there is unflushed data and flush_interval_ms >= 0 has passed since the
 * last flush.  The broker calls it from a timer.  Returns 0 or SL_EIO. */
int storage_log_maybe_flush(struct storage_log *l, int64_t now_ms);

/*
 * Kafka's time lookup (ListOffsets by timestamp), at batch granularity: sets
 * *offset to the base offset of the first batch (at or after the log start
 * offset) whose max timestamp is >= ts, or to the log start offset when that
 * batch begins before it; *found = false when there is none.  The time index
 * narrows the scan.  The broker refines the answer to the first record with
 * timestamp >= ts by iterating that batch.  Returns 0 or SL_EIO/SL_ECORRUPT.
 */
int storage_log_offset_for_timestamp(struct storage_log *l, int64_t ts, int64_t *offset,
                                     bool *found);

/* The largest batch max timestamp in the log and the last offset of the
 * (first) batch that carries it, Kafka's "shallow" offset of max timestamp
 * (ListOffsets -3, KIP-734); -1 and -1 for an empty log.  Returns 0. */
int storage_log_max_timestamp(struct storage_log *l, int64_t *ts, int64_t *offset);

/*
 * Removes every offset >= offset (follower truncation, KIP-101/KIP-279): whole
 * segments with a base offset >= offset are deleted and the segment holding it
 * is cut before the batch that contains it (so the LEO may end below `offset`
 * if that batch started earlier) and its indexes are rebuilt; the result is
 * fsynced.  Below the first segment's base the log is emptied and restarts at
 * `offset`.  offset >= LEO is a no-op.  Errors: SL_EINVAL, SL_EIO.
 */
int storage_log_truncate_to(struct storage_log *l, int64_t offset);

/* Empties the log and restarts it at `offset` (start = LEO = offset), as
 * Kafka's truncateFullyAndStartAt.  Errors: SL_EINVAL, SL_EIO. */
int storage_log_truncate_fully(struct storage_log *l, int64_t offset);

/*
 * Deletes whole segments, oldest first and never the active one, whose
 * largest timestamp (or file mtime when they carry none) is more than
 * retention_ms before now_ms, then oldest segments while the log stays larger
 * than retention_bytes without them (Kafka's deleteRetentionMsBreachedSegments
 * and deleteRetentionSizeBreachedSegments), and advances the log start offset.
 * Their files are renamed *.deleted and removed file_delete_delay_ms later
 * (storage_log_delete_expired).
 * *deleted (may be NULL) gets the number of segments removed.  Returns 0 or SL_EIO.
 */
int storage_log_enforce_retention(struct storage_log *l, int64_t now_ms, int *deleted);

/* The same, deleting only segments whose every offset is below max_offset
 * (the high watermark: Kafka never deletes what consumers cannot yet read,
 * UnifiedLog.deletableSegments).  storage_log_enforce_retention passes INT64_MAX. */
int storage_log_enforce_retention_below(struct storage_log *l, int64_t now_ms, int64_t max_offset,
                                        int *deleted);

/*
 * Segments leave the log (retention, start offset, full truncation) as Kafka's
 * asynchronous delete does: their files are renamed <name>.deleted at once, so
 * no read or reopen sees them, and removed file_delete_delay_ms later (0:
 * removed at once).  This removes those whose delay has passed; appends and
 * retention passes do it too, and the broker calls it from its periodic tick.
 * The delay counts from the latest now_ms the log was given before the rename.
 * Files still pending at close stay and are removed by the next open.
 * Returns 0 or SL_EIO (the log goes offline).
 */
int storage_log_delete_expired(struct storage_log *l, int64_t now_ms);

/* Number of retired segments whose *.deleted files are still waiting. */
int storage_log_pending_deletes(const struct storage_log *l);

/* Raises the log start offset to `offset` (DeleteRecords, KIP-107) and deletes
 * segments wholly below it (never the active one).  Lower values are ignored.
 * Errors: SL_ERANGE (offset > LEO), SL_EIO. */
int storage_log_advance_start_offset(struct storage_log *l, int64_t offset);

/*
 * Calls cb for every batch with base offset >= from, in order, with the whole
 * batch in a buffer the scan owns (valid during the call only).  Stops early
 * when cb returns non-zero and returns that value.  cb must not modify the
 * log.  For producer-state rebuild and metadata log replay.
 * Errors: SL_EIO, SL_ECORRUPT.
 */
int storage_log_scan(struct storage_log *l, int64_t from,
                     int (*cb)(void *ctx, const uint8_t *batch, size_t len), void *ctx);

#endif
