/*
 * Write failures in the partition log (storage/partition_log.h), injected
 * with the faultfs LD_PRELOAD shim (tests/faultfs): an append whose data or
 * index write fails is all or nothing (the .log is cut back, the log end
 * offset stays), the log goes offline and refuses every later change, and a
 * reopen after the fault finds exactly what was acknowledged.  Also a failed
 * segment roll, a failed fsync (inline and on the flush thread), a failed
 * truncation and a failed checkpoint write on the flush thread.
 */
#include <check.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "faultfs_ctl.h"
#include "file_writer.h"
#include "flusher.h"
#include "log.h"
#include "partition_log.h"
#include "storage_test_util.h"
#include "xalloc.h"

static char *dir;

static void setup(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    ck_assert_msg(faultfs_loaded(), "the faultfs shim is not preloaded");
    faultfs_ctl_init();
    dir = tu_mkdtemp();
}

static void teardown(void)
{
    faultfs_clear();
    tu_rmdir(dir);
}

/* Every batch gets an offset index entry (index.interval.bytes = 0). */
static void config(struct storage_log_config *c)
{
    storage_log_config_default(c);
    c->index_interval_bytes = 0;
}

static struct storage_log *open_log(const struct storage_log_config *c)
{
    struct storage_log *l = NULL;
    ck_assert_int_eq(storage_log_open(dir, c, -1, &l), 0);
    return l;
}

static int append(struct storage_log *l, int nrec, int64_t ts)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    tu_batch(&w, storage_log_end_offset(l), nrec, ts, 16);
    int rc = storage_log_append(l, w.data, w.len, 1000);
    wbuf_free(&w);
    return rc;
}

static int64_t log_file_size(void)
{
    char *p = tu_seg_path(dir, 0, ".log");
    int64_t n = tu_file_size(p);
    free(p);
    return n;
}

/* Number of whole batches a scan of the log finds. */
static int count_cb(void *ctx, const uint8_t *batch, size_t len)
{
    (void)batch;
    (void)len;
    (*(int *)ctx)++;
    return 0;
}

static int batches(struct storage_log *l)
{
    int n = 0;
    ck_assert_int_eq(storage_log_scan(l, storage_log_start_offset(l), count_cb, &n), 0);
    return n;
}

/* The failure of the issue: .log written, .index not (ENOSPC). */
static void index_failure_case(const struct storage_log_config *c, const char *rule)
{
    struct storage_log *l = open_log(c);
    ck_assert_int_eq(append(l, 3, 100), 0);
    ck_assert_int_eq(append(l, 3, 200), 0); /* the second batch gets an index entry */
    int64_t leo = storage_log_end_offset(l), size = storage_log_size_bytes(l);
    int64_t fsize = c->preallocate ? -1 : log_file_size();

    faultfs_arm(rule);
    ck_assert_int_eq(append(l, 2, 300), SL_EIO);
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    ck_assert_int_eq(storage_log_size_bytes(l), size);
    if (!c->preallocate)
        ck_assert_int_eq(log_file_size(), fsize);
    ck_assert(storage_log_failed(l));
    faultfs_clear();

    /* Offline: nothing more is written, even with the fault gone. */
    ck_assert_int_eq(append(l, 2, 300), SL_EIO);
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    ck_assert_int_eq(storage_log_truncate_to(l, 1), SL_EIO);
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    ck_assert_int_eq(batches(l), 2);
    storage_log_close(l);

    /* A restart recovers the log (no clean marker) and finds only the two batches;
     * the refused batch is appended exactly once. */
    l = open_log(c);
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    ck_assert_int_eq(batches(l), 2);
    ck_assert(!storage_log_failed(l));
    ck_assert_int_eq(append(l, 2, 300), 0);
    ck_assert_int_eq(storage_log_end_offset(l), leo + 2);
    ck_assert_int_eq(batches(l), 3);
    storage_log_close(l);
    l = open_log(c);
    ck_assert_int_eq(batches(l), 3);
    ck_assert_int_eq(storage_log_end_offset(l), leo + 2);
    storage_log_close(l);
}

START_TEST(test_offset_index_write_failure_undoes_the_append)
{
    struct storage_log_config c;
    config(&c);
    index_failure_case(&c, "write .index ENOSPC");
}
END_TEST

START_TEST(test_time_index_write_failure_undoes_the_append)
{
    struct storage_log_config c;
    config(&c);
    index_failure_case(&c, "write .timeindex ENOSPC");
}
END_TEST

/* With a preallocated segment the refused batch must not stay in the tail. */
START_TEST(test_index_failure_in_a_preallocated_segment)
{
    struct storage_log_config c;
    config(&c);
    c.preallocate = true;
    c.segment_bytes = 1 << 20;
    index_failure_case(&c, "write .index EIO");
}
END_TEST

START_TEST(test_log_write_failure_leaves_the_log_unchanged)
{
    struct storage_log_config c;
    config(&c);
    index_failure_case(&c, "write 00000000000000000000.log ENOSPC");
}
END_TEST

/* A roll whose new segment cannot be created: the old segment stays active
 * and whole, no file of the new one is left, the log is offline. */
START_TEST(test_failed_roll)
{
    struct storage_log_config c;
    config(&c);
    c.segment_bytes = 200;
    struct storage_log *l = open_log(&c);
    ck_assert_int_eq(append(l, 2, 100), 0);
    int64_t leo = storage_log_end_offset(l);
    faultfs_arm("open .timeindex ENOSPC");
    ck_assert_int_eq(append(l, 2, 200), SL_EIO);
    faultfs_clear();
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    ck_assert_int_eq(tu_count_files(dir, ".log"), 1);
    ck_assert_int_eq(tu_count_files(dir, ".index"), 1);
    ck_assert(storage_log_failed(l));
    storage_log_close(l);
    l = open_log(&c);
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    ck_assert_int_eq(append(l, 2, 200), 0);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    storage_log_close(l);
}
END_TEST

/* fsync-per-append: the data went in but is not durable; the log goes offline
 * and its recovery point stays. */
START_TEST(test_failed_fsync_takes_the_log_offline)
{
    struct storage_log_config c;
    config(&c);
    c.flush_interval_messages = 1;
    struct storage_log *l = open_log(&c);
    ck_assert_int_eq(append(l, 2, 100), 0);
    ck_assert_int_eq(storage_log_recovery_point(l), 2);
    faultfs_arm("sync .log EIO");
    ck_assert_int_eq(append(l, 2, 200), SL_EIO);
    faultfs_clear();
    ck_assert_int_eq(storage_log_end_offset(l), 4);
    ck_assert_int_eq(storage_log_recovery_point(l), 2);
    ck_assert(storage_log_failed(l));
    ck_assert_int_eq(storage_log_flush(l), SL_EIO);
    ck_assert_int_eq(storage_log_recovery_point(l), 2);
    ck_assert_int_eq(append(l, 2, 300), SL_EIO);
    storage_log_close(l);
}
END_TEST

static int thread_rc = 1;

static void on_flushed(void *owner, void *log_ctx, int rc)
{
    (void)owner;
    (void)log_ctx;
    thread_rc = rc;
}

/* The same through the flush thread: the failure reaches the loop's callback,
 * the log goes offline with its recovery point where it was, a flush asked for
 * while the failing one ran is not begun, and later requests fail at once. */
START_TEST(test_failed_threaded_fsync_takes_the_log_offline)
{
    struct storage_flusher *f = NULL;
    ck_assert_int_eq(storage_flusher_create(on_flushed, NULL, &f), 0);
    struct storage_log_config c;
    config(&c);
    c.flush_interval_messages = 1;
    struct storage_log *l = open_log(&c);
    storage_log_set_flusher(l, f, NULL);
    faultfs_arm("sync .log EIO");
    ck_assert_int_eq(append(l, 2, 200), 0); /* asks for the flush, returns before it */
    ck_assert_int_eq(append(l, 2, 300), 0); /* rides on the next one */
    struct pollfd p = {.fd = storage_flusher_fd(f), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    storage_flusher_complete(f);
    faultfs_clear();
    ck_assert_int_eq(thread_rc, SL_EIO);
    ck_assert(storage_log_failed(l));
    ck_assert_int_eq(storage_log_recovery_point(l), 0);
    ck_assert_int_eq(storage_log_end_offset(l), 4);
    ck_assert(!storage_log_flush_requested(l, 3));
    ck_assert_int_eq(storage_log_request_flush(l), SL_EIO);
    ck_assert_int_eq(append(l, 2, 400), SL_EIO);
    ck_assert_uint_eq(storage_flusher_jobs(f), 1);
    storage_log_close(l);
    storage_flusher_destroy(f);
}
END_TEST

/* A truncation whose cut fails changes nothing; one whose fsync fails keeps
 * memory in step with the shorter file. */
START_TEST(test_failed_truncation)
{
    struct storage_log_config c;
    config(&c);
    struct storage_log *l = open_log(&c);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(append(l, 2, 100 + i), 0);
    faultfs_arm("truncate .log EIO");
    ck_assert_int_eq(storage_log_truncate_to(l, 4), SL_EIO);
    faultfs_clear();
    ck_assert_int_eq(storage_log_end_offset(l), 8);
    ck_assert(storage_log_failed(l));
    storage_log_close(l);

    l = open_log(&c);
    ck_assert_int_eq(storage_log_end_offset(l), 8);
    faultfs_arm("sync .log EIO");
    ck_assert_int_eq(storage_log_truncate_to(l, 4), SL_EIO);
    faultfs_clear();
    ck_assert_int_eq(storage_log_end_offset(l), 4);
    ck_assert_int_eq(batches(l), 2);
    struct storage_slice sl;
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 1 << 20, true, &sl), 0);
    ck_assert_int_le(sl.pos + sl.len, log_file_size());
    storage_log_close(l);
}
END_TEST

static int written_rc = 1, written_n;

static void on_written(void *ctx, const char *path, int rc)
{
    (void)ctx;
    (void)path;
    written_rc = rc;
    written_n++;
}

/* A checkpoint write failing on the flush thread: the loop's callback gets
 * SL_EIO, the old file stays whole, no temporary file is left, the content
 * asked for meanwhile is dropped, and a later write works once the fault is
 * gone. */
START_TEST(test_failed_checkpoint_write_on_the_thread)
{
    char *path = xasprintf("%s/replication-offset-checkpoint", dir);
    char *tmp = xasprintf("%s.tmp", path);
    tu_write_at(path, 0, "old", 3);
    struct storage_flusher *f = NULL;
    ck_assert_int_eq(storage_flusher_create(NULL, NULL, &f), 0);
    struct storage_file_writer *w = storage_file_writer_new(f, path, on_written, NULL);
    faultfs_arm("sync checkpoint.tmp EIO");
    storage_file_writer_write(w, xstrdup("new"), 3);
    storage_file_writer_write(w, xstrdup("newer"), 5);
    struct pollfd p = {.fd = storage_flusher_fd(f), .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    storage_flusher_complete(f);
    faultfs_clear();
    ck_assert_int_eq(written_n, 1);
    ck_assert_int_eq(written_rc, SL_EIO);
    ck_assert(!storage_file_writer_busy(w));
    ck_assert_uint_eq(storage_flusher_jobs(f), 1);
    ck_assert(!tu_exists(tmp));
    size_t len;
    uint8_t *got = tu_read_file(path, &len);
    ck_assert(len == 3 && memcmp(got, "old", 3) == 0);
    free(got);
    storage_file_writer_write(w, xstrdup("again"), 5);
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    storage_flusher_complete(f);
    ck_assert_int_eq(written_n, 2);
    ck_assert_int_eq(written_rc, 0);
    got = tu_read_file(path, &len);
    ck_assert(len == 5 && memcmp(got, "again", 5) == 0);
    free(got);
    storage_file_writer_free(w);
    storage_flusher_destroy(f);
    free(tmp);
    free(path);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("storage_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_offset_index_write_failure_undoes_the_append);
    tcase_add_test(tc, test_time_index_write_failure_undoes_the_append);
    tcase_add_test(tc, test_index_failure_in_a_preallocated_segment);
    tcase_add_test(tc, test_log_write_failure_leaves_the_log_unchanged);
    tcase_add_test(tc, test_failed_roll);
    tcase_add_test(tc, test_failed_fsync_takes_the_log_offline);
    tcase_add_test(tc, test_failed_threaded_fsync_takes_the_log_offline);
    tcase_add_test(tc, test_failed_truncation);
    tcase_add_test(tc, test_failed_checkpoint_write_on_the_thread);
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
