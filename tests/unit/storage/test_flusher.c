/*
 * The flush thread (storage/flusher.h) with partition logs: group commit
 * (appends made while a flush runs are covered by one more fsync), flush
 * policies through the thread, completion order, and logs truncated, flushed
 * synchronously, closed or deleted while their flush runs.  Atomic file
 * writes on the thread (file_writer.h): the content lands byte for byte (the
 * bytes of storage_checkpoint_write), requests made while a write runs
 * coalesce into one more write of the newest content, and a writer freed or
 * a flusher destroyed while a write runs.  Fsync and write failures through
 * the thread are in test_faults.c (they need the faultfs shim).
 */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "err.h"
#include "file_writer.h"
#include "flusher.h"
#include "log.h"
#include "partition_log.h"
#include "storage_test_util.h"
#include "xalloc.h"

#define MAX_DONE 64

/* What the done callback saw, in order. */
static struct {
    void *ctx[MAX_DONE];
    int rc[MAX_DONE];
    int64_t rp[MAX_DONE]; /* the log's recovery point when it ran */
    int n;
} seen;

static char *dir;
static char *wpath; /* the file the writer tests write, in dir */

static void on_done(void *owner, void *log_ctx, int rc)
{
    ck_assert_ptr_eq(owner, &seen);
    ck_assert_int_lt(seen.n, MAX_DONE);
    seen.ctx[seen.n] = log_ctx;
    seen.rc[seen.n] = rc;
    seen.rp[seen.n] = storage_log_recovery_point(log_ctx);
    seen.n++;
}

static void setup(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    memset(&seen, 0, sizeof seen);
    dir = tu_mkdtemp();
    wpath = NULL;
}

static void teardown(void)
{
    tu_rmdir(dir);
    free(wpath);
}

static struct storage_flusher *new_flusher(void)
{
    struct storage_flusher *f = NULL;
    ck_assert_int_eq(storage_flusher_create(on_done, &seen, &f), 0);
    return f;
}

static struct storage_log *open_in(const char *path, const struct storage_log_config *c,
                                   struct storage_flusher *f)
{
    struct storage_log *l = NULL;
    ck_assert_int_eq(storage_log_open(path, c, -1, &l), 0);
    if (f)
        storage_log_set_flusher(l, f, l);
    return l;
}

static struct storage_log *open_log(struct storage_flusher *f)
{
    struct storage_log_config c;
    storage_log_config_default(&c);
    return open_in(dir, &c, f);
}

static int append(struct storage_log *l, int nrec)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    tu_batch(&w, storage_log_end_offset(l), nrec, 100, 16);
    int rc = storage_log_append(l, w.data, w.len, 1000);
    wbuf_free(&w);
    return rc;
}

/* The loop's side: waits for the flusher's descriptor, then completes. */
static void complete_once(struct storage_flusher *f)
{
    struct pollfd p = {.fd = storage_flusher_fd(f), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    storage_flusher_complete(f);
}

/* Completes until `want` callbacks were seen. */
static void complete_until(struct storage_flusher *f, int want)
{
    for (int i = 0; i < 100 && seen.n < want; i++)
        complete_once(f);
    ck_assert_int_eq(seen.n, want);
}

/* Waits until the thread has run `jobs` jobs in total (without completing them). */
static void wait_jobs(struct storage_flusher *f, uint64_t jobs)
{
    for (int i = 0; i < 10000 && storage_flusher_jobs(f) < jobs; i++)
        poll(NULL, 0, 1);
    ck_assert_uint_eq(storage_flusher_jobs(f), jobs);
}

/* Appends made while a flush runs ride on one more flush, begun when it ends. */
START_TEST(test_group_commit_covers_queued_appends)
{
    struct storage_flusher *f = new_flusher();
    struct storage_log *l = open_log(f);
    ck_assert_int_eq(append(l, 2), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    ck_assert(storage_log_flush_requested(l, 1));
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(append(l, 3), 0);
        ck_assert_int_eq(storage_log_request_flush(l), 0);
    }
    /* Nothing counts as flushed before the loop hears of it. */
    ck_assert_int_eq(storage_log_recovery_point(l), 0);
    ck_assert(storage_log_flush_requested(l, 31));
    ck_assert(!storage_log_flush_requested(l, 32)); /* not appended yet */
    complete_until(f, 2);
    ck_assert_uint_eq(storage_flusher_jobs(f), 2);
    ck_assert_int_eq(seen.rc[0], 0);
    ck_assert_int_eq(seen.rp[0], 2);
    ck_assert_int_eq(seen.rc[1], 0);
    ck_assert_int_eq(seen.rp[1], 32);
    ck_assert_int_eq(storage_log_recovery_point(l), 32);
    ck_assert(!storage_log_flush_requested(l, 31));
    /* Nothing more was asked for: no third flush. */
    ck_assert_int_eq(poll(&(struct pollfd){.fd = storage_flusher_fd(f), .events = POLLIN}, 1, 50),
                     0);
    storage_log_close(l);
    storage_flusher_destroy(f);
}
END_TEST

/* log.flush.interval.messages through the thread: the append that reaches the
 * count asks for the flush and returns before it; earlier ones ask nothing, and
 * appends made while it runs count from what it covers. */
START_TEST(test_message_policy_flushes_on_the_thread)
{
    struct storage_flusher *f = new_flusher();
    struct storage_log_config c;
    storage_log_config_default(&c);
    c.flush_interval_messages = 3;
    struct storage_log *l = open_in(dir, &c, f);
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert(!storage_log_flush_requested(l, 1));
    ck_assert_uint_eq(storage_flusher_jobs(f), 0);
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert(storage_log_flush_requested(l, 2));
    /* While it runs, the count starts again after what it covers. */
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert(!storage_log_flush_requested(l, 4));
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert(storage_log_flush_requested(l, 5));
    complete_until(f, 2);
    ck_assert_int_eq(seen.rp[0], 3);
    ck_assert_int_eq(storage_log_recovery_point(l), 6);
    storage_log_close(l);
    storage_flusher_destroy(f);
}
END_TEST

/* One thread, completions in the order the flushes were asked for. */
START_TEST(test_completions_in_request_order)
{
    struct storage_flusher *f = new_flusher();
    struct storage_log_config c;
    storage_log_config_default(&c);
    struct storage_log *l[3];
    char *paths[3];
    for (int i = 0; i < 3; i++) {
        paths[i] = tu_seg_path(dir, i, ".dir");
        l[i] = open_in(paths[i], &c, f);
        ck_assert_int_eq(append(l[i], 1 + i), 0);
    }
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(storage_log_request_flush(l[i]), 0);
    complete_until(f, 3);
    for (int i = 0; i < 3; i++) {
        ck_assert_ptr_eq(seen.ctx[i], l[i]);
        ck_assert_int_eq(seen.rc[i], 0);
        ck_assert_int_eq(seen.rp[i], 1 + i);
        storage_log_close(l[i]);
        free(paths[i]);
    }
    storage_flusher_destroy(f);
}
END_TEST

/* A truncation while a flush runs: that flush no longer moves the recovery
 * point (its target may be gone), the next one covers what came after. */
START_TEST(test_truncation_while_a_flush_runs)
{
    struct storage_flusher *f = new_flusher();
    struct storage_log *l = open_log(f);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(append(l, 2), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    ck_assert_int_eq(storage_log_truncate_to(l, 4), 0);
    ck_assert_int_le(storage_log_recovery_point(l), 4);
    ck_assert_int_eq(append(l, 3), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    complete_until(f, 2);
    ck_assert_int_le(seen.rp[0], 4);
    ck_assert_int_eq(seen.rp[1], 7);
    ck_assert_int_eq(storage_log_recovery_point(l), 7);
    storage_log_close(l);
    storage_flusher_destroy(f);
}
END_TEST

/* A synchronous flush while a threaded one runs syncs that one's files too and
 * moves the recovery point itself; the late completion does not move it back. */
START_TEST(test_sync_flush_while_a_flush_runs)
{
    struct storage_flusher *f = new_flusher();
    struct storage_log *l = open_log(f);
    ck_assert_int_eq(append(l, 2), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    ck_assert_int_eq(append(l, 2), 0);
    ck_assert_int_eq(storage_log_flush(l), 0);
    ck_assert_int_eq(storage_log_recovery_point(l), 4);
    complete_until(f, 1);
    ck_assert_int_eq(storage_log_recovery_point(l), 4);
    storage_log_close(l);
    storage_flusher_destroy(f);
}
END_TEST

/* Closing or deleting a log while its flush runs: no callback for it, no leaked
 * descriptor, and a closed log reopens whole and clean. */
START_TEST(test_close_and_delete_while_a_flush_runs)
{
    int fds = tu_count_fds();
    struct storage_flusher *f = new_flusher();
    struct storage_log *l = open_log(f);
    ck_assert_int_eq(append(l, 2), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    ck_assert_int_eq(append(l, 2), 0);
    storage_log_close(l);
    wait_jobs(f, 1);
    storage_flusher_complete(f);
    ck_assert_int_eq(seen.n, 0);
    l = open_log(f);
    ck_assert_int_eq(storage_log_end_offset(l), 4);
    ck_assert_int_eq(storage_log_recovery_point(l), 4);
    ck_assert_int_eq(append(l, 2), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    ck_assert_int_eq(storage_log_delete(l), 0);
    wait_jobs(f, 2);
    storage_flusher_complete(f);
    ck_assert_int_eq(seen.n, 0);
    ck_assert(!tu_exists(dir));
    storage_flusher_destroy(f);
    ck_assert_int_eq(tu_count_fds(), fds);
}
END_TEST

/* Destroying the flusher finishes and ends what was asked for, without callbacks. */
START_TEST(test_destroy_finishes_queued_flushes)
{
    struct storage_flusher *f = new_flusher();
    struct storage_log *l = open_log(f);
    ck_assert_int_eq(append(l, 5), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0);
    storage_flusher_destroy(f);
    ck_assert_int_eq(seen.n, 0);
    ck_assert_int_eq(storage_log_recovery_point(l), 5);
    storage_log_set_flusher(l, NULL, NULL);
    ck_assert_int_eq(append(l, 1), 0);
    ck_assert_int_eq(storage_log_request_flush(l), 0); /* inline now */
    ck_assert_int_eq(storage_log_recovery_point(l), 6);
    storage_log_close(l);
}
END_TEST

/* ---- atomic file writes (file_writer.h) ---- */

/* The writer's callback, recorded in `seen` (ctx and rp unused). */
static void on_written(void *ctx, const char *p, int rc)
{
    ck_assert_ptr_eq(ctx, &seen);
    ck_assert_str_eq(p, wpath);
    ck_assert_int_lt(seen.n, MAX_DONE);
    seen.rc[seen.n++] = rc;
}

/* A flusher and a writer of `wpath` on it. */
static struct storage_flusher *new_writer(struct storage_file_writer **w)
{
    struct storage_flusher *f = new_flusher();
    wpath = xasprintf("%s/replication-offset-checkpoint", dir);
    *w = storage_file_writer_new(f, wpath, on_written, &seen);
    return f;
}

static void end_writer(struct storage_flusher *f, struct storage_file_writer *w)
{
    storage_file_writer_free(w);
    storage_flusher_destroy(f);
}

static void *copy(const char *s)
{
    return xstrdup(s);
}

static void assert_content(const char *want)
{
    size_t len = 0;
    uint8_t *got = tu_read_file(wpath, &len);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert(memcmp(got, want, len) == 0);
    free(got);
}

/* The loop's content becomes the file only once the callback says so; the
 * bytes are storage_checkpoint_write's, and no temporary file is left. */
START_TEST(test_writes_the_content_atomically)
{
    struct storage_file_writer *w;
    struct storage_flusher *f = new_writer(&w);
    struct storage_checkpoint_entry e[] = {{"orders", 0, 42}, {"orders", 3, 7}};
    ck_assert_int_eq(storage_checkpoint_write(wpath, e, 2), 0);
    size_t sync_len = 0;
    uint8_t *sync_bytes = tu_read_file(wpath, &sync_len);
    void *data;
    size_t len;
    e[0].offset = 43;
    ck_assert_int_eq(storage_checkpoint_format(wpath, e, 2, &data, &len), 0);
    storage_file_writer_write(w, data, len);
    ck_assert(storage_file_writer_busy(w));
    complete_until(f, 1);
    ck_assert_int_eq(seen.rc[0], 0);
    ck_assert(!storage_file_writer_busy(w));
    assert_content("0\n2\norders 0 43\norders 3 7\n");
    e[0].offset = 42;
    ck_assert_int_eq(storage_checkpoint_format(wpath, e, 2, &data, &len), 0);
    ck_assert_uint_eq(len, sync_len);
    ck_assert(memcmp(data, sync_bytes, len) == 0);
    free(data);
    free(sync_bytes);
    char *tmp = xasprintf("%s.tmp", wpath);
    ck_assert(!tu_exists(tmp));
    free(tmp);
    end_writer(f, w);
}
END_TEST

/* Requests made while a write runs cost one more write, of the newest content. */
START_TEST(test_requests_during_a_write_coalesce)
{
    struct storage_file_writer *w;
    struct storage_flusher *f = new_writer(&w);
    storage_file_writer_write(w, copy("first"), 5);
    storage_file_writer_write(w, copy("second"), 6);
    storage_file_writer_write(w, copy("third"), 5);
    complete_until(f, 2);
    ck_assert_int_eq(seen.rc[0], 0);
    ck_assert_int_eq(seen.rc[1], 0);
    ck_assert_uint_eq(storage_flusher_jobs(f), 2);
    assert_content("third");
    ck_assert(!storage_file_writer_busy(w));
    ck_assert_int_eq(poll(&(struct pollfd){.fd = storage_flusher_fd(f), .events = POLLIN}, 1, 50),
                     0);
    storage_file_writer_write(w, copy("fourth"), 6);
    complete_until(f, 3);
    assert_content("fourth");
    end_writer(f, w);
}
END_TEST

/*
 * A writer freed (_i 0) or its flusher destroyed (_i 1) while a write runs:
 * the write completes, nobody is called, the pending content is dropped and
 * nothing leaks.  After a destroy the owner writes synchronously (shutdown).
 */
START_TEST(test_writer_or_flusher_gone_while_a_write_runs)
{
    struct storage_file_writer *w;
    struct storage_flusher *f = new_writer(&w);
    storage_file_writer_write(w, copy("running"), 7);
    storage_file_writer_write(w, copy("pending"), 7);
    if (_i == 0) {
        storage_file_writer_free(w);
        wait_jobs(f, 1);
        storage_flusher_complete(f);
        ck_assert_uint_eq(storage_flusher_jobs(f), 1);
        storage_flusher_destroy(f);
    } else {
        storage_flusher_destroy(f);
        ck_assert(!storage_file_writer_busy(w));
        storage_file_writer_free(w);
    }
    ck_assert_int_eq(seen.n, 0);
    assert_content("running");
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("storage_flusher");
    TCase *tc = tcase_create("flusher");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_group_commit_covers_queued_appends);
    tcase_add_test(tc, test_message_policy_flushes_on_the_thread);
    tcase_add_test(tc, test_completions_in_request_order);
    tcase_add_test(tc, test_truncation_while_a_flush_runs);
    tcase_add_test(tc, test_sync_flush_while_a_flush_runs);
    tcase_add_test(tc, test_close_and_delete_while_a_flush_runs);
    tcase_add_test(tc, test_destroy_finishes_queued_flushes);
    tcase_add_test(tc, test_writes_the_content_atomically);
    tcase_add_test(tc, test_requests_during_a_write_coalesce);
    tcase_add_loop_test(tc, test_writer_or_flusher_gone_while_a_write_runs, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
