/*
 * Kafka's offset checkpoint files (recovery-point-offset-checkpoint,
 * replication-offset-checkpoint, log-start-offset-checkpoint, cleaner
 * checkpoints): text, line 1 the version "0", line 2 the entry count, then one
 * "topic partition offset" line per entry (Kafka's OffsetCheckpointFile).
 */
#ifndef SLUICE_STORAGE_CHECKPOINT_H
#define SLUICE_STORAGE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

/* Checkpoint files larger than this are refused as corrupt. */
#define STORAGE_CHECKPOINT_MAX_BYTES (64 * 1024 * 1024)

struct storage_checkpoint_entry {
    char *topic; /* owned by the array when returned by storage_checkpoint_read */
    int32_t partition;
    int64_t offset;
};

/*
 * Formats the n entries as a checkpoint file's content.  On success *out is a
 * malloc()ed buffer of *len bytes owned by the caller.  Topic names must be
 * 1..249 characters without whitespace.  Returns 0 or SL_EINVAL (logged with
 * `path`, *out NULL).
 */
int storage_checkpoint_format(const char *path, const struct storage_checkpoint_entry *e, size_t n,
                              void **out, size_t *len);

/*
 * Writes the n entries to `path` atomically (tmp file, fsync, rename, fsync of
 * the directory).  Topic names must be 1..249 characters without whitespace
 * (SL_EINVAL otherwise, nothing written).  Returns 0, SL_EINVAL or SL_EIO.
 */
int storage_checkpoint_write(const char *path, const struct storage_checkpoint_entry *e, size_t n);

/*
 * Reads a checkpoint file.  On success *out is an array of *n entries owned by
 * the caller (free with storage_checkpoint_free; NULL when n is 0).
 * Errors: SL_ENOTFOUND when the file does not exist (callers usually treat
 * that as empty), SL_ECORRUPT for a malformed file (unknown version, count
 * mismatch, bad line; logged with the path and line), SL_EIO, SL_ETOOLARGE.
 */
int storage_checkpoint_read(const char *path, struct storage_checkpoint_entry **out, size_t *n);

void storage_checkpoint_free(struct storage_checkpoint_entry *e, size_t n);

#endif
