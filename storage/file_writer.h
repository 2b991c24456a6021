/*
 * Atomic replacement of one small file (a checkpoint) on the flush thread
 * (flusher.h), so the loop never waits for its write, fsync, rename and
 * directory fsync.
 *
 * The loop hands a writer the whole new content; the flush thread writes
 * "<path>.tmp", fsyncs it, renames it over the path and fsyncs the directory
 * (storage_file_write_atomic), and the loop hears the result through the
 * writer's callback from storage_flusher_complete.  A writer has at most one
 * write in flight: content given while one runs waits as the pending content,
 * newer content replacing it, and is submitted when the running write ends,
 * so any number of requests during one write cost exactly one more.  A failed
 * write drops the pending content (the owner decides whether to retry).
 * Everything here runs on the owner's loop thread.
 */
#ifndef SLUICE_STORAGE_FILE_WRITER_H
#define SLUICE_STORAGE_FILE_WRITER_H

#include <stdbool.h>
#include <stddef.h>

struct storage_flusher;
struct storage_file_writer;

/* Called on the loop after each write of the file ended: path the writer's,
 * rc 0 (the new content is durable) or SL_EIO.  It may write again or free
 * the writer. */
typedef void (*storage_file_written_fn)(void *ctx, const char *path, int rc);

/*
 * A writer of `path` (copied) through the flush thread f, which must outlive
 * the writer's writes (see storage_file_writer_free).  done may be NULL.
 * Returns the writer, owned by the caller.
 */
struct storage_file_writer *storage_file_writer_new(struct storage_flusher *f, const char *path,
                                                    storage_file_written_fn done, void *ctx);

/*
 * Asks for the file to be replaced by len bytes at data (a malloc()ed buffer
 * the writer takes, freed by it).  Starts the write at once when none runs;
 * otherwise the content becomes the pending one (replacing any older pending
 * content).  Must not be called once f is being destroyed.
 */
void storage_file_writer_write(struct storage_file_writer *w, void *data, size_t len);

/* True while a write is in flight (between its start and its callback). */
bool storage_file_writer_busy(const struct storage_file_writer *w);

/*
 * Frees the writer and its pending content.  A write in flight is not
 * interrupted: it completes on the thread (the file then holds that content)
 * and its job is freed unseen when it comes back, so after storage_flusher_destroy
 * (which waits for it) nothing of it is left.  A write that the flusher's
 * destruction ended calls no callback.  NULL is fine.
 */
void storage_file_writer_free(struct storage_file_writer *w);

#endif
