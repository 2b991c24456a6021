/*
 * The flush thread (flusher.h): a job queue under a mutex, a thread that
 * syncs every queued job per pass, an eventfd that wakes the owner's loop.
 */
#include "flusher.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "err.h"
#include "flush_job.h"
#include "invariant.h"
#include "log.h"
#include "partition_log.h"
#include "xalloc.h"

struct storage_flusher {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* Under mu. */
    struct storage_flush_job *queue, **queue_tail; /* submitted, not yet taken */
    struct storage_flush_job *done, **done_tail;   /* run, not yet completed */
    bool stop;
    uint64_t passes, jobs;
    /* Immutable after create. */
    int efd;
    storage_flush_done_fn cb;
    void *owner;
};

static void wake_loop(struct storage_flusher *f)
{
    uint64_t one = 1;
    while (write(f->efd, &one, sizeof one) < 0 && errno == EINTR)
        ;
}

static void *flush_thread(void *arg)
{
    struct storage_flusher *f = arg;
    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (f->queue == NULL && !f->stop)
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->queue == NULL)
            break;
        struct storage_flush_job *batch = f->queue;
        f->queue = NULL;
        f->queue_tail = &f->queue;
        pthread_mutex_unlock(&f->mu);

        size_t n = 0;
        for (struct storage_flush_job *j = batch; j; j = j->next, n++) {
            int rc =
                j->kind == STORAGE_FLUSH_FILE ? storage_file_job_run(j) : storage_flush_job_run(j);
            if (j->rc == 0)
                j->rc = rc;
        }

        pthread_mutex_lock(&f->mu);
        bool was_empty = f->done == NULL;
        *f->done_tail = batch;
        struct storage_flush_job *last = batch;
        while (last->next)
            last = last->next;
        f->done_tail = &last->next;
        f->passes++;
        f->jobs += n;
        if (was_empty)
            wake_loop(f);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

int storage_flusher_create(storage_flush_done_fn done, void *owner, struct storage_flusher **out)
{
    *out = NULL;
    struct storage_flusher *f = xcalloc(1, sizeof *f);
    f->cb = done;
    f->owner = owner;
    f->queue_tail = &f->queue;
    f->done_tail = &f->done;
    f->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (f->efd < 0) {
        LOG_ERROR("storage", "cannot create the flush thread's eventfd: %s", strerror(errno));
        free(f);
        return SL_EIO;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    /* The thread takes no signals: they stay with the loop thread's handlers. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int e = pthread_create(&f->thread, NULL, flush_thread, f);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (e != 0) {
        LOG_ERROR("storage", "cannot start the flush thread: %s", strerror(e));
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        close(f->efd);
        free(f);
        return SL_EIO;
    }
    *out = f;
    return 0;
}

int storage_flusher_fd(const struct storage_flusher *f)
{
    return f->efd;
}

void storage_flusher_submit(struct storage_flusher *f, struct storage_flush_job *j)
{
    j->next = NULL;
    pthread_mutex_lock(&f->mu);
    SL_ASSERT_MSG(!f->stop, "a flush was submitted to a stopping flusher");
    *f->queue_tail = j;
    f->queue_tail = &j->next;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

/* Takes the finished jobs (the loop owns them from here). */
static struct storage_flush_job *take_done(struct storage_flusher *f)
{
    uint64_t v;
    while (read(f->efd, &v, sizeof v) < 0 && errno == EINTR)
        ;
    pthread_mutex_lock(&f->mu);
    struct storage_flush_job *list = f->done;
    f->done = NULL;
    f->done_tail = &f->done;
    pthread_mutex_unlock(&f->mu);
    return list;
}

static void complete_list(struct storage_flush_job *list, bool restart, storage_flush_done_fn cb,
                          void *owner)
{
    while (list) {
        struct storage_flush_job *j = list;
        list = j->next;
        if (j->kind == STORAGE_FLUSH_FILE)
            storage_file_job_done(j, restart);
        else
            storage_log_flush_job_done(j, restart, cb, owner);
    }
}

void storage_flusher_complete(struct storage_flusher *f)
{
    complete_list(take_done(f), true, f->cb, f->owner);
}

void storage_flusher_destroy(struct storage_flusher *f)
{
    if (f == NULL)
        return;
    pthread_mutex_lock(&f->mu);
    f->stop = true;
    pthread_cond_signal(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    SL_ASSERT(f->queue == NULL);
    /* Ends the last jobs without callbacks; a log that asked again gets no new flush
     * (its owner flushes it synchronously before closing it). */
    complete_list(take_done(f), false, NULL, NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    close(f->efd);
    free(f);
}

uint64_t storage_flusher_passes(struct storage_flusher *f)
{
    pthread_mutex_lock(&f->mu);
    uint64_t v = f->passes;
    pthread_mutex_unlock(&f->mu);
    return v;
}

uint64_t storage_flusher_jobs(struct storage_flusher *f)
{
    pthread_mutex_lock(&f->mu);
    uint64_t v = f->jobs;
    pthread_mutex_unlock(&f->mu);
    return v;
}
