/*
 * Helpers for the storage unit tests: building valid v2 record batches,
 * temporary directories and small file manipulations used to damage logs.
 */
#ifndef SLUICE_STORAGE_TEST_UTIL_H
#define SLUICE_STORAGE_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/*
 * Appends to w one batch at base_offset with nrec records, each with a
 * value_len-byte value.  Record i has timestamp ts + i (all -1 when ts < 0);
 * the batch max timestamp is the last one.  Returns the batch size in bytes.
 */
size_t tu_batch(struct wbuf *w, int64_t base_offset, int nrec, int64_t ts, size_t value_len);

/* A fresh directory under /tmp (freed with tu_rmdir, which also removes it). */
char *tu_mkdtemp(void);
void tu_rmdir(char *dir);

/* "<dir>/<20-digit base><suffix>", freshly allocated. */
char *tu_seg_path(const char *dir, int64_t base, const char *suffix);
int64_t tu_file_size(const char *path);
bool tu_exists(const char *path);
void tu_truncate(const char *path, int64_t size);
/* XORs the byte at pos with 0xff. */
void tu_flip(const char *path, int64_t pos);
/* Writes len bytes at pos (extending the file as needed). */
void tu_write_at(const char *path, int64_t pos, const void *data, size_t len);
/* Reads a whole (small) file; the caller frees it. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* Number of files in dir whose name ends with suffix. */
int tu_count_files(const char *dir, const char *suffix);
/* Number of open file descriptors of this process (to catch fd leaks). */
int tu_count_fds(void);
/* Removes the .clean marker so that the next open behaves as after a crash. */
void tu_make_unclean(const char *dir);

#endif
