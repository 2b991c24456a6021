/*
 * Atomic small-file writes on the flush thread (file_writer.h).
 */
#include "file_writer.h"

#include <stdlib.h>

#include "fileutil.h"
#include "flush_job.h"
#include "invariant.h"
#include "xalloc.h"

struct storage_file_writer {
    struct storage_flusher *flusher;
    char *path;
    storage_file_written_fn done;
    void *ctx;
    struct storage_flush_job *inflight; /* the running write, or NULL */
    void *pending;                      /* content to write once inflight ends, or NULL */
    size_t pending_len;
};

struct storage_file_writer *storage_file_writer_new(struct storage_flusher *f, const char *path,
                                                    storage_file_written_fn done, void *ctx)
{
    struct storage_file_writer *w = xcalloc(1, sizeof *w);
    w->flusher = f;
    w->path = xstrdup(path);
    w->done = done;
    w->ctx = ctx;
    return w;
}

static void start(struct storage_file_writer *w, void *data, size_t len)
{
    SL_ASSERT(w->inflight == NULL);
    struct storage_flush_job *j = xcalloc(1, sizeof *j);
    j->kind = STORAGE_FLUSH_FILE;
    j->dir_fd = -1;
    j->writer = w;
    j->path = xstrdup(w->path);
    j->data = data;
    j->len = len;
    w->inflight = j;
    storage_flusher_submit(w->flusher, j);
}

void storage_file_writer_write(struct storage_file_writer *w, void *data, size_t len)
{
    if (w->inflight == NULL) {
        start(w, data, len);
        return;
    }
    free(w->pending);
    w->pending = data;
    w->pending_len = len;
}

bool storage_file_writer_busy(const struct storage_file_writer *w)
{
    return w->inflight != NULL;
}

int storage_file_job_run(struct storage_flush_job *j)
{
    return storage_file_write_atomic(j->path, j->data, j->len);
}

static void job_free(struct storage_flush_job *j)
{
    free(j->path);
    free(j->data);
    free(j);
}

void storage_file_job_done(struct storage_flush_job *j, bool restart)
{
    struct storage_file_writer *w = j->writer;
    int rc = j->rc;
    SL_ASSERT(w == NULL || w->inflight == j);
    job_free(j);
    if (w == NULL)
        return;
    w->inflight = NULL;
    void *next = w->pending;
    w->pending = NULL;
    if (restart && rc == 0 && next != NULL)
        start(w, next, w->pending_len);
    else
        free(next);
    if (restart && w->done != NULL)
        w->done(w->ctx, w->path, rc);
}

void storage_file_writer_free(struct storage_file_writer *w)
{
    if (w == NULL)
        return;
    if (w->inflight != NULL)
        w->inflight->writer = NULL;
    free(w->pending);
    free(w->path);
    free(w);
}
