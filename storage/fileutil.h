/*
 * Small file helpers shared by storage/: whole-file reads with a size cap,
 * atomic replacement of small files (write tmp, fsync, rename, fsync dir),
 * full pread/pwrite loops and directory fsync.
 */
#ifndef SLUICE_STORAGE_FILEUTIL_H
#define SLUICE_STORAGE_FILEUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Reads the whole file at `path` into a freshly allocated, NUL-terminated
 * buffer (*out, freed by the caller with free()); *len gets the byte count
 * without the NUL.  Files larger than max_len are refused before any
 * allocation.  Errors: SL_ENOTFOUND (no such file), SL_ETOOLARGE, SL_EIO.
 */
int storage_file_read_all(const char *path, size_t max_len, char **out, size_t *len);

/*
 * Replaces `path` atomically with `len` bytes: writes "<path>.tmp", fsyncs it,
 * renames it over `path` and fsyncs the containing directory, so a crash
 * leaves either the old or the new content.  Returns 0 or SL_EIO.
 */
int storage_file_write_atomic(const char *path, const void *data, size_t len);

/* fsyncs the directory at `dir`.  Returns 0 or SL_EIO. */
int storage_dir_fsync(const char *dir);

/* fsyncs the directory that contains `path`.  Returns 0 or SL_EIO. */
int storage_parent_dir_fsync(const char *path);

/* pread/pwrite until all `len` bytes are done.  pread returns the number of
 * bytes read (short only at end of file) or SL_EIO; pwrite returns 0 or SL_EIO. */
ssize_t storage_pread_full(int fd, void *buf, size_t len, int64_t off);
int storage_pwrite_full(int fd, const void *buf, size_t len, int64_t off);

/* Creates `dir` and any missing parents (mode 0755).  Returns 0 or SL_EIO. */
int storage_mkdirs(const char *dir);

/*
 * Text parsing helpers for the small checkpoint files.  storage_text_next_line
 * returns the next line of the NUL-terminated buffer at *cursor (the '\n' is
 * replaced by NUL, a trailing '\r' dropped) and advances *cursor; NULL at the
 * end.  storage_parse_i64 parses a whole string as a decimal integer
 * (optional '-', no spaces, no overflow); returns false otherwise.
 */
char *storage_text_next_line(char **cursor);
bool storage_parse_i64(const char *s, int64_t *out);

#endif
