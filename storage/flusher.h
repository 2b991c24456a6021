/*
 * The flush thread (DESIGN.md sections 1 and 4): fdatasyncs partition and
 * metadata logs off the event loop, with group commit.
 *
 * A flusher is one POSIX thread and two job lists.  Logs are attached to it
 * (storage_log_set_flusher); from then on every flush their policy or their
 * owner asks for (storage_log_request_flush, log.flush.interval.messages,
 * log.flush.interval.ms) is begun on the loop (storage_log_flush_begin: the
 * LEO is noted and the written files are dup()ed), run on the thread
 * (storage_flush_job_run: fdatasync, directory fsync) and ended back on the
 * loop (storage_log_flush_end: the recovery point advances), where the
 * flusher's `done` callback then tells the owner.  Group commit: a log has at
 * most one flush running; appends made while it runs only mark the log, and
 * the one flush begun when it ends covers them all.  The thread takes every
 * queued job of every log at once, so one pass syncs many logs.
 *
 * Wake-up: the thread writes an eventfd (storage_flusher_fd) once a pass has
 * finished jobs; the owner watches it on its event loop and calls
 * storage_flusher_complete, which ends the finished jobs in the order they
 * ran.  storage/ knows no event loop: the broker and raft glue hook the fd in.
 *
 * The same thread also replaces small files atomically (file_writer.h: a
 * second job kind whose completion goes to its writer's callback, not to
 * `done`).  Its job owns a copy of the path and the content, and a writer
 * freed while its write runs is detached from the job like a closed log.
 *
 * Ownership and locking (what a race checker should see):
 *  - the mutex guards `queue`, `done` and `stop` only;
 *  - a job is the loop's until storage_flusher_submit puts it on `queue`,
 *    the thread's from the moment it takes the queue until it puts the job on
 *    `done`, and the loop's again once storage_flusher_complete takes `done`.
 *    The thread touches nothing but the job's descriptors and result: never
 *    a log, a segment or an index;
 *  - the descriptors the thread syncs are dup()s owned by the job, so a
 *    segment rolled, truncated, retired or deleted (and its own descriptor
 *    closed) while its flush runs is harmless; the thread closes the dups;
 *  - a log closed or deleted while its flush runs is detached from the job
 *    (on the loop), and the job is freed unseen when it comes back.
 * Everything except the thread body runs on the owner's loop thread.
 */
#ifndef SLUICE_STORAGE_FLUSHER_H
#define SLUICE_STORAGE_FLUSHER_H

#include <stdint.h>

struct storage_flusher;
struct storage_log;

/*
 * Completion callback, called on the loop from storage_flusher_complete after
 * a flush of an attached log ended: owner is the flusher's, log_ctx the one
 * given to storage_log_set_flusher, rc 0 or SL_EIO (the log is then offline,
 * storage_log_failed).  It may append to, request flushes of, close or delete
 * any log, but must not destroy the flusher.
 */
typedef void (*storage_flush_done_fn)(void *owner, void *log_ctx, int rc);

/*
 * Starts a flush thread.  done (may be NULL) and owner as above.  Returns 0
 * and *out (released with storage_flusher_destroy) or SL_EIO when the eventfd
 * or the thread cannot be created.
 */
int storage_flusher_create(storage_flush_done_fn done, void *owner, struct storage_flusher **out);

/*
 * Lets the thread finish every queued job, joins it, then ends those jobs on
 * their logs (recovery points advance) without calling `done`.  Attached logs
 * must not ask for a flush afterwards: detach them (storage_log_set_flusher
 * with NULL) or close them.  NULL is fine.
 */
void storage_flusher_destroy(struct storage_flusher *f);

/* The descriptor that becomes readable when finished jobs wait for
 * storage_flusher_complete; owned by the flusher. */
int storage_flusher_fd(const struct storage_flusher *f);

/* On the loop: clears the descriptor and ends every finished job, calling
 * `done` for each whose log is still open, in the order they ran. */
void storage_flusher_complete(struct storage_flusher *f);

/* Statistics for tests and metrics: thread passes run and jobs synced so far. */
uint64_t storage_flusher_passes(struct storage_flusher *f);
uint64_t storage_flusher_jobs(struct storage_flusher *f);

#endif
