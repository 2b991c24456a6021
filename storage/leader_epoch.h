/*
 * Leader epoch cache of a partition (Kafka's LeaderEpochFileCache, KIP-101 and
 * KIP-279): the ordered list of (leader epoch, start offset) pairs, the first
 * offset each leader epoch wrote, persisted in <partition dir>/
 * leader-epoch-checkpoint as text: "0", the entry count, then one
 * "epoch startOffset" line per entry.  Every change is written to the file
 * (atomically, fsynced) before the call returns.
 */
#ifndef SLUICE_STORAGE_LEADER_EPOCH_H
#define SLUICE_STORAGE_LEADER_EPOCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_LEADER_EPOCH_FILE "leader-epoch-checkpoint"
/* Kafka's UNDEFINED_EPOCH and UNDEFINED_EPOCH_OFFSET. */
#define STORAGE_UNDEFINED_EPOCH        (-1)
#define STORAGE_UNDEFINED_EPOCH_OFFSET (-1)

struct storage_epoch_entry {
    int32_t epoch;
    int64_t start_offset;
};

struct storage_leader_epoch_cache;

/*
 * Opens the cache of the partition directory `dir`, loading its checkpoint
 * file when present (a missing file is an empty cache).  *out is freed with
 * storage_leader_epoch_close.  Errors: SL_ECORRUPT for a malformed file
 * (logged; the caller may storage_leader_epoch_clear() and rebuild it from
 * the log's batches), SL_EIO.  On SL_ECORRUPT *out is still a usable, empty
 * cache.
 */
int storage_leader_epoch_open(const char *dir, struct storage_leader_epoch_cache **out);

void storage_leader_epoch_close(struct storage_leader_epoch_cache *c);

/*
 * Records that `epoch` starts at start_offset (UnifiedLog calls this for each
 * appended batch whose partitionLeaderEpoch is new, and on becoming leader).
 * Ignored (returns 0) unless epoch is higher than the latest epoch, or equal
 * to it with a lower start offset (Kafka's isUpdateNeeded).  Entries that
 * would break monotonicity (start offset >= start_offset) are removed first,
 * with a warning, as Kafka's maybeTruncateNonMonotonicEntries does.
 * Errors: SL_EINVAL (negative values), SL_EIO (file write failed; the
 * in-memory change stays).
 */
int storage_leader_epoch_assign(struct storage_leader_epoch_cache *c, int32_t epoch,
                                int64_t start_offset);

/* Latest epoch, or STORAGE_UNDEFINED_EPOCH when empty. */
int32_t storage_leader_epoch_latest(const struct storage_leader_epoch_cache *c);

/* Start offset of the latest epoch, or -1 when empty. */
int64_t storage_leader_epoch_latest_start(const struct storage_leader_epoch_cache *c);

/*
 * KIP-279 end offset for a requested epoch (OffsetForLeaderEpoch and the
 * diverging-epoch check in Fetch), as LeaderEpochFileCache.endOffsetFor:
 *  - requested == UNDEFINED (-1), or above the latest epoch, or the cache is
 *    empty: (-1, -1);
 *  - requested == latest epoch: (latest, leo);
 *  - otherwise: the largest epoch <= requested (or requested itself when it
 *    is below every epoch) and the start offset of the first epoch above it.
 */
void storage_leader_epoch_end_offset_for(const struct storage_leader_epoch_cache *c,
                                         int32_t requested, int64_t leo, int32_t *found_epoch,
                                         int64_t *end_offset);

/* Removes entries whose start offset is >= end_offset (log truncated to end_offset). */
int storage_leader_epoch_truncate_from_end(struct storage_leader_epoch_cache *c,
                                           int64_t end_offset);

/* Log start offset moved to start_offset: removes entries starting at or below it
 * and keeps the last of them with its start offset raised to start_offset. */
int storage_leader_epoch_truncate_from_start(struct storage_leader_epoch_cache *c,
                                             int64_t start_offset);

/* Removes every entry (and writes the empty file). */
int storage_leader_epoch_clear(struct storage_leader_epoch_cache *c);

struct storage_log;
/*
 * Rebuilds the cache from the partition leader epochs recorded in the log's
 * batches (each batch carries the epoch of the leader that wrote it): the
 * first batch of every higher epoch starts an entry.  For a missing or
 * corrupt checkpoint file.  Writes the file.  Returns 0 or the scan's error.
 */
int storage_leader_epoch_rebuild(struct storage_leader_epoch_cache *c, struct storage_log *l);

/* Writes the file now (it is also written after every change).  0 or SL_EIO. */
int storage_leader_epoch_flush(struct storage_leader_epoch_cache *c);

/* The entries, oldest first; valid until the next change. */
const struct storage_epoch_entry *
storage_leader_epoch_entries(const struct storage_leader_epoch_cache *c, size_t *n);

#endif
