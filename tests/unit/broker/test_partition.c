/*
 * Unit tests of the partition append and read path (broker/replica/partition.c):
 * offsets assigned in place, the high watermark of a one-replica ISR,
 * idempotent duplicates answered with their original offsets, validation
 * errors, reads bounded by the high watermark, leader-epoch checks and state
 * that survives reopening.
 */
#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "kafka.h"
#include "clock.h"
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
    strcpy(tmpdir, "/tmp/sluice-part-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
    nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void config(struct partition_config *pc)
{
    memset(pc, 0, sizeof *pc);
    storage_log_config_default(&pc->log);
    pc->flush_messages = INT64_MAX;
    pc->min_insync_replicas = 1;
    pc->max_message_bytes = 1048588;
    pc->timestamp_before_max_ms = INT64_MAX;
    pc->timestamp_after_max_ms = INT64_MAX;
}

static struct partition *open_leader(int64_t hw)
{
    struct partition_config pc;
    config(&pc);
    struct uuid id = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    struct partition *p = NULL;
    ck_assert_int_eq(partition_open(tmpdir, "t", 0, &id, &pc, -1, hw, &p), 0);
    int32_t self = 1;
    partition_set_state(p, 1, 1, 3, 0, &self, 1, &self, 1);
    return p;
}

/* A client batch of n records (base offset 0), optionally idempotent. */
static uint8_t *batch(int n, int64_t pid, int32_t seq, size_t *len)
{
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, 0, 1000);
    if (pid >= 0)
        rb_builder_set_producer(&b, pid, 0, seq);
    for (int i = 0; i < n; i++) {
        char v[16];
        int vl = snprintf(v, sizeof v, "v%d", i);
        rb_builder_add(&b, 1000 + i, NULL, -1, v, vl, NULL, 0);
    }
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);
    return wbuf_detach(&w, len);
}

static int64_t append(struct partition *p, int n, int64_t pid, int32_t seq, int16_t want, bool *dup)
{
    size_t len;
    uint8_t *b = batch(n, pid, seq, &len);
    struct partition_append_result r;
    int16_t err = partition_append_client(p, b, len, 5000, &r);
    free(b);
    ck_assert_int_eq(err, want);
    if (dup)
        *dup = r.duplicate;
    return r.base_offset;
}

START_TEST(test_offsets_and_high_watermark)
{
    struct partition *p = open_leader(-1);
    ck_assert_int_eq(append(p, 3, -1, 0, KERR_NONE, NULL), 0);
    ck_assert_int_eq(append(p, 2, -1, 0, KERR_NONE, NULL), 3);
    ck_assert_int_eq(partition_leo(p), 5);
    ck_assert_int_eq(p->repl.high_watermark, 5);
    struct storage_slice sl;
    ck_assert_int_eq(partition_read(p, 4, 1 << 20, true, false, &sl), KERR_NONE);
    ck_assert_int_eq(sl.first_offset, 3); /* the batch containing offset 4 */
    ck_assert_int_eq(sl.next_offset, 5);
    ck_assert_int_eq(partition_read(p, 5, 1 << 20, true, false, &sl), KERR_NONE);
    ck_assert_int_eq(sl.len, 0);
    ck_assert_int_eq(partition_read(p, 6, 1 << 20, true, false, &sl), KERR_OFFSET_OUT_OF_RANGE);
    partition_close(p);
}
END_TEST

START_TEST(test_idempotent_duplicate_and_gap)
{
    struct partition *p = open_leader(-1);
    bool dup;
    ck_assert_int_eq(append(p, 4, 42, 0, KERR_NONE, &dup), 0);
    ck_assert(!dup);
    ck_assert_int_eq(append(p, 4, 42, 4, KERR_NONE, &dup), 4);
    /* A retry of the first batch is answered with its original offsets, not appended. */
    ck_assert_int_eq(append(p, 4, 42, 0, KERR_NONE, &dup), 0);
    ck_assert(dup);
    ck_assert_int_eq(partition_leo(p), 8);
    append(p, 1, 42, 10, KERR_OUT_OF_ORDER_SEQUENCE_NUMBER, NULL);
    /* A producer without state starts at any sequence (Kafka 2.5+, KIP-360). */
    ck_assert_int_eq(append(p, 1, 43, 5, KERR_NONE, &dup), 8);
    ck_assert(!dup);
    partition_close(p);

    /* Producer state is rebuilt from the log on reopen. */
    p = open_leader(-1);
    ck_assert_int_eq(append(p, 4, 42, 4, KERR_NONE, &dup), 4);
    ck_assert(dup);
    ck_assert_int_eq(append(p, 2, 42, 8, KERR_NONE, &dup), 9);
    ck_assert(!dup);
    ck_assert_int_eq(append(p, 1, 43, 5, KERR_NONE, &dup), 8); /* 43's retry */
    ck_assert(dup);
    partition_close(p);
}
END_TEST

START_TEST(test_rejects_bad_batches)
{
    struct partition *p = open_leader(-1);
    size_t len;
    uint8_t *b = batch(3, -1, 0, &len);
    b[len - 1] ^= 0xff; /* breaks the CRC */
    struct partition_append_result r;
    ck_assert_int_eq(partition_append_client(p, b, len, 0, &r), KERR_CORRUPT_MESSAGE);
    b[len - 1] ^= 0xff;
    /* A truncated batch is refused too (whatever the exact code, nothing is appended). */
    ck_assert_int_ne(partition_append_client(p, b, len - 5, 0, &r), KERR_NONE);
    /* A batch claiming a non-zero base offset from a client is invalid (KIP-98 era rule). */
    be64_store(b, 7);
    ck_assert_int_eq(partition_append_client(p, b, len, 0, &r), KERR_INVALID_RECORD);
    free(b);
    ck_assert_int_eq(partition_leo(p), 0);
    partition_close(p);
}
END_TEST

START_TEST(test_leader_epoch_checks)
{
    struct partition *p = open_leader(-1);
    ck_assert_int_eq(partition_check_leader_epoch(p, -1), KERR_NONE);
    ck_assert_int_eq(partition_check_leader_epoch(p, 3), KERR_NONE);
    ck_assert_int_eq(partition_check_leader_epoch(p, 2), KERR_FENCED_LEADER_EPOCH);
    ck_assert_int_eq(partition_check_leader_epoch(p, 4), KERR_UNKNOWN_LEADER_EPOCH);
    append(p, 5, -1, 0, KERR_NONE, NULL);
    int32_t self = 1;
    partition_set_state(p, 1, 1, 5, 1, &self, 1, &self, 1);
    append(p, 2, -1, 0, KERR_NONE, NULL);
    int32_t e;
    int64_t end;
    partition_end_offset_for_epoch(p, 3, &e, &end);
    ck_assert_int_eq(e, 3);
    ck_assert_int_eq(end, 5);
    partition_end_offset_for_epoch(p, 5, &e, &end);
    ck_assert_int_eq(e, 5);
    ck_assert_int_eq(end, 7);
    ck_assert_int_eq(partition_epoch_for_offset(p, 4), 3);
    ck_assert_int_eq(partition_epoch_for_offset(p, 6), 5);
    partition_close(p);
}
END_TEST

START_TEST(test_follower_refuses_appends)
{
    struct partition *p = open_leader(-1);
    int32_t reps[2] = {1, 2};
    partition_set_state(p, 1, 2, 4, 1, reps, 2, reps, 2);
    ck_assert(!p->repl.is_leader);
    append(p, 1, -1, 0, KERR_NOT_LEADER_OR_FOLLOWER, NULL);
    partition_close(p);
}
END_TEST

START_TEST(test_isr_below_min_freezes_high_watermark)
{
    struct partition *p = open_leader(-1);
    struct partition_config pc;
    config(&pc);
    pc.min_insync_replicas = 2;
    partition_set_config(p, &pc);
    int32_t reps[2] = {1, 2}, isr[1] = {1};
    partition_set_state(p, 1, 1, 3, 1, reps, 2, isr, 1);
    append(p, 2, -1, 0, KERR_NONE, NULL);
    ck_assert_int_eq(p->repl.high_watermark, 0);
    partition_close(p);
}
END_TEST

START_TEST(test_offset_for_timestamp)
{
    struct partition *p = open_leader(-1);
    append(p, 3, -1, 0, KERR_NONE, NULL); /* timestamps 1000..1002 */
    append(p, 3, -1, 0, KERR_NONE, NULL); /* offsets 3..5, timestamps 1000..1002 */
    int64_t off, ts;
    ck_assert_int_eq(partition_offset_for_timestamp(p, 1001, &off, &ts), 0);
    ck_assert_int_eq(off, 1);
    ck_assert_int_eq(ts, 1001);
    ck_assert_int_eq(partition_offset_for_timestamp(p, 5000, &off, &ts), 0);
    ck_assert_int_eq(off, -1);
    partition_close(p);
}
END_TEST

/* ---- replication ---- */

static struct partition *open_replica(const char *sub)
{
    struct partition_config pc;
    config(&pc);
    struct uuid id = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}};
    char dir[128];
    snprintf(dir, sizeof dir, "%s/%s", tmpdir, sub);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    struct partition *p = NULL;
    ck_assert_int_eq(partition_open(dir, "t", 0, &id, &pc, -1, -1, &p), 0);
    return p;
}

/* The bytes of p's log from `offset` to its log end, as a leader serves a follower. */
static uint8_t *read_all(struct partition *p, int64_t offset, size_t *len)
{
    struct storage_slice sl;
    ck_assert_int_eq(partition_read(p, offset, 1 << 20, true, true, &sl), KERR_NONE);
    uint8_t *buf = malloc(sl.len ? (size_t)sl.len : 1);
    ck_assert_int_eq(pread(sl.fd, buf, (size_t)sl.len, sl.pos), sl.len);
    *len = (size_t)sl.len;
    return buf;
}

static void replicate(struct partition *from, struct partition *to)
{
    size_t len;
    uint8_t *buf = read_all(from, partition_leo(to), &len);
    int64_t appended = 0;
    ck_assert_int_eq(partition_append_replica(to, buf, len, 5000, &appended), KERR_NONE);
    ck_assert_int_eq(appended, (int64_t)len);
    free(buf);
}

START_TEST(test_follower_fetch_advances_high_watermark)
{
    int32_t reps[2] = {1, 2};
    struct partition *l = open_replica("l"), *f = open_replica("f");
    partition_set_state(l, 1, 1, 3, 0, reps, 2, reps, 2);
    partition_set_state(f, 2, 1, 3, 0, reps, 2, reps, 2);
    append(l, 3, 7, 0, KERR_NONE, NULL);
    ck_assert_int_eq(l->repl.high_watermark, 0); /* the follower's LEO is not known yet */
    int32_t de;
    int64_t dend;
    int64_t now = clock_mono_ms();
    ck_assert_int_eq(partition_replica_fetch(l, 2, 0, -1, now, &de, &dend), KERR_NONE);
    ck_assert_int_eq(de, -1);
    ck_assert_int_eq(dend, -1);
    ck_assert_int_eq(l->repl.high_watermark, 0);
    replicate(l, f);
    ck_assert_int_eq(partition_leo(f), 3);
    ck_assert_int_eq(partition_epoch_for_offset(f, 0), 3); /* epoch cache follows the batches */
    ck_assert_int_eq(partition_replica_fetch(l, 2, 3, 3, now, &de, &dend), KERR_NONE);
    ck_assert_int_eq(l->repl.high_watermark, 3);
    partition_follower_update(f, 3, 0);
    ck_assert_int_eq(f->repl.high_watermark, 3);
    /* The follower rebuilt producer state: a retry after failover is a duplicate. */
    partition_set_state(f, 2, 2, 4, 1, reps, 2, reps, 2);
    bool dup = false;
    ck_assert_int_eq(append(f, 3, 7, 0, KERR_NONE, &dup), 0);
    ck_assert(dup);
    ck_assert_int_eq(partition_replica_fetch(l, 9, 3, 3, now, &de, &dend),
                     KERR_NOT_LEADER_OR_FOLLOWER);
    partition_close(l);
    partition_close(f);
}
END_TEST

START_TEST(test_fetch_out_of_range_and_corrupt_batch)
{
    int32_t reps[2] = {1, 2};
    struct partition *l = open_replica("l"), *f = open_replica("f");
    partition_set_state(l, 1, 1, 3, 0, reps, 2, reps, 2);
    partition_set_state(f, 2, 1, 3, 0, reps, 2, reps, 2);
    append(l, 2, -1, 0, KERR_NONE, NULL);
    int32_t de;
    int64_t dend;
    /* Past the leader's end with a known epoch: told where epoch 3 ends (divergence first). */
    ck_assert_int_eq(partition_replica_fetch(l, 2, 10, 3, clock_mono_ms(), &de, &dend), KERR_NONE);
    ck_assert_int_eq(de, 3);
    ck_assert_int_eq(dend, 2);
    /* Without an epoch: out of range. */
    ck_assert_int_eq(partition_replica_fetch(l, 2, 10, -1, clock_mono_ms(), &de, &dend),
                     KERR_OFFSET_OUT_OF_RANGE);
    size_t len;
    uint8_t *buf = read_all(l, 0, &len);
    buf[len - 1] ^= 0x55; /* breaks the CRC */
    int64_t appended = -1;
    ck_assert_int_eq(partition_append_replica(f, buf, len, 5000, &appended), KERR_CORRUPT_MESSAGE);
    ck_assert_int_eq(appended, 0);
    ck_assert_int_eq(partition_leo(f), 0);
    free(buf);
    partition_close(l);
    partition_close(f);
}
END_TEST

START_TEST(test_deposed_leader_truncates_divergent_tail)
{
    int32_t reps[2] = {1, 2};
    struct partition *a = open_replica("a"), *b = open_replica("b");
    /* b leads at epoch 3 and writes 5 records; only the first 3 reach a. */
    partition_set_state(b, 2, 2, 3, 0, reps, 2, reps, 2);
    partition_set_state(a, 1, 2, 3, 0, reps, 2, reps, 2);
    append(b, 3, -1, 0, KERR_NONE, NULL);
    replicate(b, a);
    append(b, 2, -1, 0, KERR_NONE, NULL);
    ck_assert_int_eq(partition_leo(b), 5);
    /* a becomes leader at epoch 4 and writes 2 other records at offset 3. */
    partition_set_state(a, 1, 1, 4, 1, reps, 2, reps, 2);
    partition_set_state(b, 2, 1, 4, 1, reps, 2, reps, 2);
    append(a, 2, -1, 0, KERR_NONE, NULL);
    /* b fetches at 5 with last epoch 3: the leader says epoch 3 ends at 3. */
    int32_t de;
    int64_t dend;
    ck_assert_int_eq(partition_replica_fetch(a, 2, 5, 3, clock_mono_ms(), &de, &dend), KERR_NONE);
    ck_assert_int_eq(de, 3);
    ck_assert_int_eq(dend, 3);
    ck_assert_int_eq(partition_truncate_diverging(b, de, dend), 0);
    ck_assert_int_eq(partition_leo(b), 3);
    ck_assert_int_eq(partition_replica_fetch(a, 2, 3, 3, clock_mono_ms(), &de, &dend), KERR_NONE);
    ck_assert_int_eq(dend, -1);
    replicate(a, b);
    size_t la, lb;
    uint8_t *ba = read_all(a, 0, &la), *bb = read_all(b, 0, &lb);
    ck_assert_int_eq(la, lb);
    ck_assert_int_eq(memcmp(ba, bb, la), 0);
    free(ba);
    free(bb);
    ck_assert_int_eq(partition_epoch_for_offset(b, 3), 4);
    partition_close(a);
    partition_close(b);
}
END_TEST

START_TEST(test_isr_proposal_shrinks_laggards_and_adds_caught_up)
{
    int32_t reps[3] = {1, 2, 3}, isr[2] = {1, 2};
    struct partition *l = open_replica("l");
    partition_set_state(l, 1, 1, 3, 0, reps, 3, isr, 2);
    append(l, 2, -1, 0, KERR_NONE, NULL);
    int64_t later = clock_mono_ms() + 60000; /* follower 2 has been silent for a minute */
    int32_t de;
    int64_t dend;
    ck_assert_int_eq(partition_replica_fetch(l, 3, 2, 3, later, &de, &dend), KERR_NONE);
    struct repl_partition *r = &l->repl;
    ck_assert(repl_leader_propose_isr(r, later, 30000, 0, NULL, NULL));
    ck_assert_int_eq(r->nproposed_isr, 2);
    ck_assert_int_eq(r->proposed_isr[0], 1);
    ck_assert_int_eq(r->proposed_isr[1], 3);
    repl_isr_change_sent(r, later);
    ck_assert(!repl_leader_propose_isr(r, later + 1000, 30000, 0, NULL, NULL)); /* one in flight */
    /* The committed answer is applied with the partition's own replica array. */
    int32_t committed[2] = {1, 3};
    partition_set_state(l, 1, 1, 3, 1, l->repl.replicas, l->repl.nreplicas, committed, 2);
    ck_assert_int_eq(l->repl.nreplicas, 3);
    ck_assert_int_eq(l->repl.replicas[2], 3);
    ck_assert(!l->repl.isr_change_inflight);
    partition_close(l);
}
END_TEST

START_TEST(test_truncation_drops_an_empty_epoch_at_the_log_end)
{
    int32_t reps[2] = {1, 2};
    struct partition *p = open_replica("p");
    partition_set_state(p, 1, 1, 3, 0, reps, 2, reps, 2);
    append(p, 3, -1, 0, KERR_NONE, NULL);
    /* Leader again at epoch 5 but deposed before writing anything. */
    partition_set_state(p, 1, 1, 5, 1, reps, 2, reps, 2);
    partition_set_state(p, 1, 2, 6, 2, reps, 2, reps, 2);
    int32_t found;
    int64_t end;
    partition_end_offset_for_epoch(p, 5, &found, &end);
    ck_assert_int_eq(found, 5);
    /* The leader says epoch 3 ends at 3 = our LEO: nothing to cut but the empty epoch. */
    ck_assert_int_eq(partition_truncate_diverging(p, 3, 3), 0);
    ck_assert_int_eq(partition_leo(p), 3);
    partition_end_offset_for_epoch(p, 5, &found, &end);
    ck_assert_int_eq(found, -1); /* epoch 5 is gone: above the latest epoch now */
    partition_end_offset_for_epoch(p, 3, &found, &end);
    ck_assert_int_eq(found, 3); /* the next fetch reports epoch 3, which ends at the LEO */
    ck_assert_int_eq(end, 3);
    partition_close(p);
}
END_TEST

START_TEST(test_follower_restarts_at_the_leaders_log_start)
{
    int32_t reps[2] = {1, 2};
    struct partition *f = open_replica("f");
    partition_set_state(f, 2, 1, 3, 0, reps, 2, reps, 2);
    /* The leader's retention went past everything this follower has. */
    ck_assert_int_eq(partition_restart_at(f, 10), 0);
    ck_assert_int_eq(partition_log_start(f), 10);
    ck_assert_int_eq(partition_leo(f), 10);
    ck_assert_int_eq(f->repl.high_watermark, 10);
    size_t len;
    uint8_t *b = batch(2, -1, 0, &len);
    rb_set_base_offset(b, 10);
    rb_set_partition_leader_epoch(b, 3);
    int64_t appended = 0;
    /* The leader stamps offsets and epochs outside the CRC: the batch stays valid. */
    ck_assert_int_eq(partition_append_replica(f, b, len, 5000, &appended), KERR_NONE);
    ck_assert_int_eq(partition_leo(f), 12);
    ck_assert_int_eq(partition_epoch_for_offset(f, 11), 3);
    /* A batch that does not continue the log is refused. */
    rb_set_base_offset(b, 20);
    ck_assert_int_eq(partition_append_replica(f, b, len, 5000, &appended), KERR_CORRUPT_MESSAGE);
    ck_assert_int_eq(partition_leo(f), 12);
    free(b);
    partition_close(f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("partition");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_offsets_and_high_watermark);
    tcase_add_test(tc, test_idempotent_duplicate_and_gap);
    tcase_add_test(tc, test_rejects_bad_batches);
    tcase_add_test(tc, test_leader_epoch_checks);
    tcase_add_test(tc, test_follower_refuses_appends);
    tcase_add_test(tc, test_isr_below_min_freezes_high_watermark);
    tcase_add_test(tc, test_offset_for_timestamp);
    tcase_add_test(tc, test_follower_fetch_advances_high_watermark);
    tcase_add_test(tc, test_fetch_out_of_range_and_corrupt_batch);
    tcase_add_test(tc, test_deposed_leader_truncates_divergent_tail);
    tcase_add_test(tc, test_isr_proposal_shrinks_laggards_and_adds_caught_up);
    tcase_add_test(tc, test_truncation_drops_an_empty_epoch_at_the_log_end);
    tcase_add_test(tc, test_follower_restarts_at_the_leaders_log_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
