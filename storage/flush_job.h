/*
 * One job of the flush thread: a flush of one log, as the partition log
 * (which begins and ends it) and the flush thread (which runs it) share it, or
 * an atomic write of one small file (file_writer.c).  Internal to storage/;
 * the ownership rules are in flusher.h.
 */
#ifndef SLUICE_STORAGE_FLUSH_JOB_H
#define SLUICE_STORAGE_FLUSH_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flusher.h"

enum storage_flush_kind {
    STORAGE_FLUSH_LOG = 0, /* the fields up to `log` */
    STORAGE_FLUSH_FILE,    /* the fields from `writer` */
};

struct storage_flush_job {
    enum storage_flush_kind kind;
    /* Set on the loop by begin, read and emptied by run. */
    int *fds; /* dup()ed descriptors to fdatasync */
    size_t n;
    int dir_fd; /* directory to fsync, or -1 */
    int rc;     /* begin's result, then run's when begin succeeded */
    /* The loop's only. */
    int64_t target;          /* the LEO when begun: flushed up to here once it succeeds */
    uint64_t generation;     /* the log's generation when begun (truncation bumps it) */
    struct storage_log *log; /* NULL once the log was closed while the job ran */
    /* STORAGE_FLUSH_FILE: the job owns path and data; run writes them, the loop
     * alone reads and clears writer (NULL once the writer was freed). */
    struct storage_file_writer *writer;
    char *path;
    void *data;
    size_t len;
    /* The flusher's list link, under its mutex while queued or done. */
    struct storage_flush_job *next;
};

/* Hands a begun job to the thread (loop side). */
void storage_flusher_submit(struct storage_flusher *f, struct storage_flush_job *j);

/*
 * Loop side, for a job back from the thread: ends it on its log (or frees it
 * when the log is gone), begins the log's next flush when `restart` and
 * appends asked for one meanwhile, then calls done(owner, log_ctx, rc) unless
 * done is NULL.
 */
void storage_log_flush_job_done(struct storage_flush_job *j, bool restart,
                                storage_flush_done_fn done, void *owner);

/* Thread side of a file job: writes path atomically (fileutil.h).  0 or SL_EIO. */
int storage_file_job_run(struct storage_flush_job *j);

/*
 * Loop side, for a file job back from the thread: frees it, and unless its
 * writer was freed meanwhile, submits the writer's pending content when
 * `restart` and the write succeeded, then calls the writer's callback (when
 * `restart`).
 */
void storage_file_job_done(struct storage_flush_job *j, bool restart);

#endif
