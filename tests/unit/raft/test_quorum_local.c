/*
 * The single-voter quorum on a temporary directory: leadership is announced
 * only after the epoch's LeaderChange marker commits, commits are never
 * delivered inside quorum_append, batches carry the epoch, and a reopen
 * replays the whole log in order, bumps the epoch and persists it in
 * quorum-state.  Also the quorum-state file format and its error handling.
 */
#define _XOPEN_SOURCE 700
#include <check.h>
#include <event2/event.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "quorum.h"
#include "record_batch.h"

#define MAXB 64

struct rec {
    int commits;
    int64_t base[MAXB];
    int32_t epoch[MAXB];
    bool control[MAXB];
    int32_t count[MAXB];
    char first_value[MAXB][32];
    int leader_changes;
    int32_t leader_id, leader_epoch;
    bool in_append; /* set around quorum_append calls */
    bool commit_during_append;
    struct quorum **qp; /* for appends from inside on_commit */
    bool append_on_commit;
    int64_t chained_offset;
};

static void on_commit(void *ctx, int64_t base, const uint8_t *batch, size_t len)
{
    struct rec *r = ctx;
    if (r->in_append)
        r->commit_during_append = true;
    struct rb_header h;
    ck_assert_int_eq(rb_header_parse(batch, len, &h), 0);
    ck_assert_int_eq(rb_crc_check(batch, len), 0);
    ck_assert_int_eq(h.base_offset, base);
    ck_assert_int_lt(r->commits, MAXB);
    int i = r->commits++;
    r->base[i] = base;
    r->epoch[i] = h.partition_leader_epoch;
    r->control[i] = (h.attributes & RB_ATTR_CONTROL) != 0;
    r->count[i] = h.records_count;
    r->first_value[i][0] = '\0';
    struct rb_iter it;
    ck_assert_int_eq(rb_iter_init(&it, batch, len, 1 << 20), 0);
    struct rb_record rec;
    if (rb_iter_next(&it, &rec) == 1 && !r->control[i] && rec.value_len > 0)
        snprintf(r->first_value[i], sizeof(r->first_value[i]), "%.*s", (int)rec.value_len,
                 (const char *)rec.value);
    rb_iter_free(&it);
    if (r->append_on_commit && !r->control[i] && r->qp && *r->qp) {
        r->append_on_commit = false;
        struct kbytes kb = {(const uint8_t *)"chained", 7, NULL};
        ck_assert_int_eq(quorum_append(*r->qp, &kb, 1, &r->chained_offset), 0);
    }
}

static void on_leader(void *ctx, int32_t leader, int32_t epoch)
{
    struct rec *r = ctx;
    r->leader_changes++;
    r->leader_id = leader;
    r->leader_epoch = epoch;
}

static char dir[256];
static char logdir[300];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static void make_dirs(void)
{
    snprintf(dir, sizeof(dir), "/tmp/sluice-quorum-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(logdir, sizeof(logdir), "%s/__cluster_metadata-0", dir);
}

static void remove_dirs(void)
{
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void spin(struct event_base *base, int n)
{
    for (int i = 0; i < n; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

static struct quorum *open_q(struct event_base *base, struct rec *r, int rc_want)
{
    struct quorum_listener l = {r, on_commit, on_leader};
    struct quorum *q = NULL;
    ck_assert_int_eq(quorum_local_open(base, logdir, 1, &l, &q), rc_want);
    return q;
}

static int append_str(struct quorum *q, struct rec *r, const char *const *vals, int n,
                      int64_t *last)
{
    struct kbytes kb[8];
    for (int i = 0; i < n; i++) {
        kb[i].p = (const uint8_t *)vals[i];
        kb[i].len = (int32_t)strlen(vals[i]);
        kb[i].file = NULL;
    }
    r->in_append = true;
    int rc = quorum_append(q, kb, n, last);
    r->in_append = false;
    return rc;
}

START_TEST(leadership_and_commits)
{
    make_dirs();
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_q(base, &r, 0);
    /* Not announced until the marker commits on the loop. */
    ck_assert(!quorum_is_leader(q));
    ck_assert_int_eq(quorum_leader_id(q), -1);
    ck_assert_int_eq(quorum_epoch(q), 1);
    ck_assert_int_eq(r.commits, 0);
    const char *v1[1] = {"x"};
    int64_t last = -1;
    ck_assert_int_eq(append_str(q, &r, v1, 1, &last), SL_ESTATE);
    spin(base, 1);
    ck_assert_int_eq(r.leader_changes, 1);
    ck_assert_int_eq(r.leader_id, 1);
    ck_assert_int_eq(r.leader_epoch, 1);
    ck_assert(quorum_is_leader(q));
    ck_assert_int_eq(quorum_leader_id(q), 1);
    ck_assert_int_eq(r.commits, 1);
    ck_assert(r.control[0]);
    ck_assert_int_eq(r.base[0], 0);
    ck_assert_int_eq(quorum_high_watermark(q), 1);

    const char *v3[3] = {"alpha", "beta", "gamma"};
    ck_assert_int_eq(append_str(q, &r, v3, 3, &last), 0);
    ck_assert_int_eq(last, 3);
    ck_assert_int_eq(quorum_log_end_offset(q), 4);
    ck_assert_int_eq(r.commits, 1); /* never inside quorum_append */
    ck_assert_int_eq(quorum_high_watermark(q), 1);
    ck_assert_int_eq(append_str(q, &r, v1, 1, &last), 0);
    ck_assert_int_eq(last, 4);
    spin(base, 1);
    ck_assert(!r.commit_during_append);
    ck_assert_int_eq(r.commits, 3);
    ck_assert_int_eq(r.base[1], 1);
    ck_assert_int_eq(r.count[1], 3);
    ck_assert_int_eq(r.epoch[1], 1);
    ck_assert_str_eq(r.first_value[1], "alpha");
    ck_assert_int_eq(r.base[2], 4);
    ck_assert_int_eq(quorum_high_watermark(q), 5);

    /* An append from inside on_commit is committed on a later iteration. */
    r.qp = &q;
    r.append_on_commit = true;
    ck_assert_int_eq(append_str(q, &r, v1, 1, &last), 0);
    spin(base, 3);
    ck_assert_int_eq(r.commits, 5);
    ck_assert_int_eq(r.chained_offset, 6);
    ck_assert_str_eq(r.first_value[4], "chained");

    ck_assert_int_eq(append_str(q, &r, v1, 0, &last), SL_EINVAL);
    quorum_close(q);
    event_base_free(base);
    remove_dirs();
}
END_TEST

START_TEST(reopen_replays_and_bumps_epoch)
{
    make_dirs();
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_q(base, &r, 0);
    spin(base, 1);
    const char *v[2] = {"one", "two"};
    int64_t last;
    ck_assert_int_eq(append_str(q, &r, v, 2, &last), 0);
    ck_assert_int_eq(append_str(q, &r, v + 1, 1, &last), 0);
    /* Closed before the last appends were delivered: they are durable anyway. */
    quorum_close(q);

    memset(&r, 0, sizeof(r));
    q = open_q(base, &r, 0);
    /* Replay happened inside open: marker(1), [one,two], [two]. */
    ck_assert_int_eq(r.commits, 3);
    ck_assert(r.control[0]);
    ck_assert_int_eq(r.epoch[0], 1);
    ck_assert_str_eq(r.first_value[1], "one");
    ck_assert_int_eq(r.count[1], 2);
    ck_assert_int_eq(r.base[2], 3);
    ck_assert_int_eq(quorum_epoch(q), 2);
    ck_assert_int_eq(quorum_high_watermark(q), 4);
    ck_assert_int_eq(r.leader_changes, 0);
    spin(base, 1);
    ck_assert_int_eq(r.leader_changes, 1);
    ck_assert_int_eq(r.leader_epoch, 2);
    ck_assert_int_eq(r.commits, 4);
    ck_assert(r.control[3]);
    ck_assert_int_eq(r.epoch[3], 2);
    ck_assert_int_eq(r.base[3], 4);
    ck_assert_int_eq(append_str(q, &r, v, 1, &last), 0);
    ck_assert_int_eq(last, 5);
    spin(base, 1);
    ck_assert_int_eq(r.epoch[4], 2);
    quorum_close(q);

    struct quorum_state st;
    ck_assert_int_eq(quorum_state_read(logdir, &st), 0);
    ck_assert_int_eq(st.leader_id, 1);
    ck_assert_int_eq(st.leader_epoch, 2);
    ck_assert_int_eq(st.voted_id, 1);

    /* Without quorum-state the epoch still moves past the log's last epoch. */
    char path[400];
    snprintf(path, sizeof(path), "%s/quorum-state", logdir);
    ck_assert_int_eq(unlink(path), 0);
    memset(&r, 0, sizeof(r));
    q = open_q(base, &r, 0);
    ck_assert_int_eq(quorum_epoch(q), 3);
    quorum_close(q);
    event_base_free(base);
    remove_dirs();
}
END_TEST

static void write_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(s, f);
    fclose(f);
}

START_TEST(quorum_state_file)
{
    make_dirs();
    struct quorum_state st = {7, 3, 7};
    ck_assert_int_eq(quorum_state_read(dir, &st), 0);
    ck_assert_int_eq(st.leader_id, -1);
    ck_assert_int_eq(st.leader_epoch, 0);
    ck_assert_int_eq(st.voted_id, -1);
    struct quorum_state w = {2, 9, -1};
    ck_assert_int_eq(quorum_state_write(dir, &w), 0);
    ck_assert_int_eq(quorum_state_read(dir, &st), 0);
    ck_assert_int_eq(st.leader_id, 2);
    ck_assert_int_eq(st.leader_epoch, 9);
    ck_assert_int_eq(st.voted_id, -1);

    char path[400];
    snprintf(path, sizeof(path), "%s/quorum-state", dir);
    write_file(path, "version=0\nleader_epoch=abc\n");
    ck_assert_int_eq(quorum_state_read(dir, &st), SL_ECORRUPT);
    write_file(path, "version=0\nleader_id=1\n");
    ck_assert_int_eq(quorum_state_read(dir, &st), SL_ECORRUPT);
    write_file(path, "garbage\n");
    ck_assert_int_eq(quorum_state_read(dir, &st), SL_ECORRUPT);
    write_file(path, "version=5\nleader_epoch=1\n");
    ck_assert_int_eq(quorum_state_read(dir, &st), SL_ECORRUPT);
    write_file(path, "# comment\nleader_epoch=4\nfuture_key=x\n");
    ck_assert_int_eq(quorum_state_read(dir, &st), 0);
    ck_assert_int_eq(st.leader_epoch, 4);

    /* A corrupt quorum-state refuses to open the quorum. */
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_q(base, &r, 0);
    quorum_close(q);
    char qpath[400];
    snprintf(qpath, sizeof(qpath), "%s/quorum-state", logdir);
    write_file(qpath, "leader_epoch=-5\n");
    open_q(base, &r, SL_ECORRUPT);
    struct quorum *bad = NULL;
    struct quorum_listener l = {&r, on_commit, on_leader};
    ck_assert_int_eq(quorum_local_open(base, logdir, -1, &l, &bad), SL_EINVAL);
    event_base_free(base);
    remove_dirs();
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("quorum_local");
    TCase *tc = tcase_create("quorum_local");
    tcase_add_test(tc, leadership_and_commits);
    tcase_add_test(tc, reopen_replays_and_bumps_epoch);
    tcase_add_test(tc, quorum_state_file);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
