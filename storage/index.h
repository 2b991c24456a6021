/*
 * A segment index file (.index or .timeindex) mirrored in memory.
 *
 * Entries have a fixed size and are stored big-endian exactly as on disk:
 *   .index      8 bytes: relative offset u32 | position u32
 *   .timeindex 12 bytes: timestamp i64 | relative offset u32
 * The in-memory copy is the authority while the segment is open; appends go
 * to memory and to the file with pwrite.  Entry contents are interpreted by
 * segment.c; this file only stores, loads, truncates and syncs them.
 */
#ifndef SLUICE_STORAGE_INDEX_H
#define SLUICE_STORAGE_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_OFFSET_ENTRY_SIZE 8
#define STORAGE_TIME_ENTRY_SIZE   12

struct storage_index {
    int fd;
    char *path;
    size_t esize;       /* entry size in bytes */
    size_t max_entries; /* the index is full at this many entries */
    uint8_t *data;      /* n * esize bytes */
    size_t n;
    size_t cap; /* entries allocated */
    bool dirty; /* written since the last sync */
};

/*
 * Opens (creating when missing) the index file at `path` with entries of
 * `esize` bytes; the in-memory copy starts empty (see storage_index_load).
 * Takes a copy of path.  Returns 0 or SL_EIO.
 */
int storage_index_open(struct storage_index *ix, const char *path, size_t esize,
                       size_t max_entries);

/*
 * Reads the file into memory.  SL_ECORRUPT when its size is not a multiple of
 * the entry size or exceeds max_bytes (checked before allocating); SL_EIO on
 * read errors.  Entry contents are not checked here.
 */
int storage_index_load(struct storage_index *ix, int64_t max_bytes);

static inline const uint8_t *storage_index_entry(const struct storage_index *ix, size_t i)
{
    return ix->data + i * ix->esize;
}

static inline bool storage_index_full(const struct storage_index *ix)
{
    return ix->n >= ix->max_entries;
}

/* Adds an entry in memory only (see storage_index_persist). */
void storage_index_push(struct storage_index *ix, const uint8_t *entry);

/* Writes the in-memory entries [from, n) to the file.  Returns 0 or SL_EIO. */
int storage_index_persist(struct storage_index *ix, size_t from);

/* push + persist of one entry.  Returns 0 or SL_EIO. */
int storage_index_append(struct storage_index *ix, const uint8_t *entry);

/* Keeps the first n entries in memory and in the file.  Returns 0 or SL_EIO. */
int storage_index_truncate(struct storage_index *ix, size_t n);

/* fdatasyncs the file when it changed since the last sync.  Returns 0 or SL_EIO. */
int storage_index_sync(struct storage_index *ix);

/* Closes the file and frees memory; the struct may be opened again. */
void storage_index_close(struct storage_index *ix);

/* Closes and removes the file.  Returns 0 or SL_EIO. */
int storage_index_unlink(struct storage_index *ix);

#endif
