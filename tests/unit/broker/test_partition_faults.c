/*
 * The partition append path under disk errors (broker/replica/partition.c), injected
 * with the faultfs LD_PRELOAD shim (tests/faultfs): an idempotent batch whose
 * index write fails is refused with KAFKA_STORAGE_ERROR and is neither in the
 * log nor in producer state; the replica stays offline (appends and reads
 * answer KAFKA_STORAGE_ERROR) until it is reopened, and then the producer's
 * retry of the same sequence is appended exactly once.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "faultfs_ctl.h"
#include "kafka.h"
#include "log.h"
#include "partition.h"
#include "record_batch.h"

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    ck_assert_msg(faultfs_loaded(), "the faultfs shim is not preloaded");
    faultfs_ctl_init();
    strcpy(tmpdir, "/tmp/sluice-pfault-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    faultfs_clear();
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static struct partition *open_leader(void)
{
    struct partition_config pc;
    memset(&pc, 0, sizeof pc);
    storage_log_config_default(&pc.log);
    pc.log.index_interval_bytes = 0; /* an offset index entry for every batch */
    pc.flush_messages = INT64_MAX;
    pc.min_insync_replicas = 1;
    pc.max_message_bytes = 1048588;
    pc.timestamp_before_max_ms = INT64_MAX;
    pc.timestamp_after_max_ms = INT64_MAX;
    struct uuid id = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    struct partition *p = NULL;
    ck_assert_int_eq(partition_open(tmpdir, "t", 0, &id, &pc, -1, -1, &p), 0);
    int32_t self = 1;
    partition_set_state(p, 1, 1, 3, 0, &self, 1, &self, 1);
    return p;
}

/* Appends an idempotent batch of n records (producer 42, epoch 0) at sequence seq. */
static int16_t append(struct partition *p, int n, int32_t seq, struct partition_append_result *r)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, 0, 1000);
    rb_builder_set_producer(&b, 42, 0, seq);
    for (int i = 0; i < n; i++)
        rb_builder_add(&b, 1000 + i, NULL, -1, "value", 5, NULL, 0);
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);
    int16_t err = partition_append_client(p, w.data, w.len, 5000, r);
    wbuf_free(&w);
    return err;
}

static int count_cb(void *ctx, const uint8_t *batch, size_t len)
{
    (void)batch;
    (void)len;
    (*(int *)ctx)++;
    return 0;
}

static int batches(struct partition *p)
{
    int n = 0;
    ck_assert_int_eq(storage_log_scan(p->log, 0, count_cb, &n), 0);
    return n;
}

START_TEST(test_index_failure_then_idempotent_retry_appends_once)
{
    struct partition *p = open_leader();
    struct partition_append_result r;
    ck_assert_int_eq(append(p, 3, 0, &r), KERR_NONE);
    ck_assert_int_eq(append(p, 3, 3, &r), KERR_NONE);
    ck_assert_int_eq(r.base_offset, 3);
    ck_assert_int_eq(partition_leo(p), 6);

    faultfs_arm("write .index ENOSPC");
    ck_assert_int_eq(append(p, 2, 6, &r), KERR_KAFKA_STORAGE_ERROR);
    faultfs_clear();
    ck_assert_int_eq(partition_leo(p), 6);
    ck_assert_int_eq(batches(p), 2);
    ck_assert(partition_offline(p));

    /* Offline until restart: the retry is refused, reads too, nothing is written. */
    ck_assert_int_eq(append(p, 2, 6, &r), KERR_KAFKA_STORAGE_ERROR);
    ck_assert_int_eq(partition_leo(p), 6);
    struct storage_slice sl;
    ck_assert_int_eq(partition_read(p, 0, 1 << 20, true, false, &sl), KERR_KAFKA_STORAGE_ERROR);
    partition_close(p);

    /* After the restart the retry is appended once, then answered as a duplicate. */
    p = open_leader();
    ck_assert(!partition_offline(p));
    ck_assert_int_eq(partition_leo(p), 6);
    ck_assert_int_eq(append(p, 2, 6, &r), KERR_NONE);
    ck_assert(!r.duplicate);
    ck_assert_int_eq(r.base_offset, 6);
    ck_assert_int_eq(append(p, 2, 6, &r), KERR_NONE);
    ck_assert(r.duplicate);
    ck_assert_int_eq(r.base_offset, 6);
    ck_assert_int_eq(partition_leo(p), 8);
    ck_assert_int_eq(batches(p), 3);
    partition_close(p);
}
END_TEST

/* A leader-epoch checkpoint that cannot be written takes the replica offline. */
START_TEST(test_epoch_checkpoint_failure_takes_the_replica_offline)
{
    struct partition *p = open_leader();
    struct partition_append_result r;
    ck_assert_int_eq(append(p, 1, 0, &r), KERR_NONE);
    faultfs_arm("write leader-epoch-checkpoint ENOSPC");
    int32_t self = 1;
    partition_set_state(p, 1, 1, 4, 1, &self, 1, &self, 1);
    faultfs_clear();
    ck_assert(partition_offline(p));
    ck_assert_int_eq(append(p, 1, 1, &r), KERR_KAFKA_STORAGE_ERROR);
    ck_assert_int_eq(partition_leo(p), 1);
    partition_close(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("partition_faults");
    TCase *tc = tcase_create("faults");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_index_failure_then_idempotent_retry_appends_once);
    tcase_add_test(tc, test_epoch_checkpoint_failure_takes_the_replica_offline);
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
