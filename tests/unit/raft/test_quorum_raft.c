/*
 * The Raft quorum glue (quorum_raft.c) with a single voter on a temporary
 * directory, driven by a libevent loop without sockets: leadership is
 * announced only after the epoch's LeaderChange marker commits, commits are
 * never delivered inside quorum_append, batches carry the epoch, a reopen
 * replays the whole log in order in a new epoch persisted in quorum-state.
 * KIP-630 snapshots: past the byte threshold the listener writes snapshots,
 * they land as <end>-<epoch>.checkpoint files (older ones deleted), the log
 * below them is dropped, and a reopen loads the newest valid snapshot before
 * replaying only the log tail after it.  Also the quorum-state file format,
 * and that a message the core refuses as contradicting its state (raft_fault)
 * stops the quorum as fatal.
 */
#define _XOPEN_SOURCE 700
#include <check.h>
#include <dirent.h>
#include <event2/event.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "quorum.h"
#include "quorum_raft.h"
#include "record_batch.h"

#define MAXB 4096

/* A tiny state machine: the list of committed record values, snapshotted as one batch. */
struct rec {
    int commits;
    int64_t base[MAXB];
    int32_t epoch[MAXB];
    bool control[MAXB];
    int32_t count[MAXB];
    char first_value[MAXB][32];
    int leader_changes;
    int32_t leader_id, leader_epoch;
    bool in_append;
    bool commit_during_append;
    struct quorum **qp;
    bool append_on_commit;
    int64_t chained_offset;
    int chain_left; /* appends two batches from every commit while > 0 */
    int chain_next;
    /* state */
    char **values;
    int nvalues;
    int64_t applied_end;
    int snapshots_written, snapshots_loaded;
    int64_t written_end; /* end offset of the last snapshot written */
    int64_t loaded_end;
    bool commit_before_load; /* on_commit below a loaded snapshot's end */
    int fatal;               /* on_fatal calls */
    char fatal_what[200];
};

static void state_add(struct rec *r, const uint8_t *v, int32_t len)
{
    r->values = realloc(r->values, (size_t)(r->nvalues + 1) * sizeof(*r->values));
    r->values[r->nvalues] = strndup((const char *)v, (size_t)len);
    r->nvalues++;
}

static void state_clear(struct rec *r)
{
    for (int i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
    r->values = NULL;
    r->nvalues = 0;
}

static void on_commit(void *ctx, int64_t base, const uint8_t *batch, size_t len)
{
    struct rec *r = ctx;
    if (r->in_append)
        r->commit_during_append = true;
    if (r->snapshots_loaded && base < r->loaded_end)
        r->commit_before_load = true;
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
    bool first = true;
    while (rb_iter_next(&it, &rec) == 1) {
        if (r->control[i] || rec.value_len <= 0)
            continue;
        if (first)
            snprintf(r->first_value[i], sizeof(r->first_value[i]), "%.*s", (int)rec.value_len,
                     (const char *)rec.value);
        first = false;
        state_add(r, rec.value, rec.value_len);
    }
    rb_iter_free(&it);
    r->applied_end = rb_header_last_offset(&h) + 1;
    for (int k = 0; k < 2 && r->chain_left > 0 && !r->control[i] && r->qp && *r->qp; k++) {
        char v[32];
        snprintf(v, sizeof v, "chain-%04d", r->chain_next++);
        struct kbytes kb = {(const uint8_t *)v, (int32_t)strlen(v), NULL};
        int64_t off = -1;
        ck_assert_int_eq(quorum_append(*r->qp, &kb, 1, &off), 0);
        r->chain_left--;
    }
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

static int write_snapshot(void *ctx, int64_t end_offset, int32_t epoch, struct wbuf *out)
{
    struct rec *r = ctx;
    ck_assert_int_eq(end_offset, r->applied_end); /* exactly what was applied */
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, 0, 0);
    rb_builder_set_partition_leader_epoch(&b, epoch);
    for (int i = 0; i < r->nvalues; i++)
        rb_builder_add(&b, 0, NULL, -1, r->values[i], (int32_t)strlen(r->values[i]), NULL, 0);
    if (r->nvalues == 0)
        rb_builder_add(&b, 0, NULL, -1, NULL, -1, NULL, 0); /* an empty state: one null record */
    int rc = rb_builder_finish(&b, out);
    rb_builder_free(&b);
    r->snapshots_written++;
    r->written_end = end_offset;
    return rc;
}

static int load_snapshot(void *ctx, int64_t end_offset, const uint8_t *data, size_t len)
{
    struct rec *r = ctx;
    state_clear(r);
    struct rb_iter it;
    int rc = rb_iter_init(&it, data, len, 1 << 24);
    struct rb_record rec;
    while (rc == 0 && rb_iter_next(&it, &rec) == 1)
        if (rec.value_len > 0)
            state_add(r, rec.value, rec.value_len);
    rb_iter_free(&it);
    r->snapshots_loaded++;
    r->loaded_end = end_offset;
    r->applied_end = end_offset;
    return rc;
}

static void on_fatal(void *ctx, const char *what)
{
    struct rec *r = ctx;
    r->fatal++;
    snprintf(r->fatal_what, sizeof r->fatal_what, "%s", what);
}

static char dir[256];
static char logdir[300];

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

static void make_dirs(void)
{
    snprintf(dir, sizeof(dir), "/tmp/sluice-qraft-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(logdir, sizeof(logdir), "%s/__cluster_metadata-0", dir);
}

static void remove_dirs(void)
{
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Runs the loop until *flag is non-zero or the iterations run out. */
static void run_until(struct event_base *base, const int *flag)
{
    for (int i = 0; i < 200 && !*flag; i++)
        event_base_loop(base, EVLOOP_ONCE);
}

/* Runs the loop n times for 20 ms each: long enough for the metadata log's flush
 * thread to report back (commits follow its fsyncs). */
static void spin(struct event_base *base, int n)
{
    for (int i = 0; i < n; i++) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(base, &tv);
        event_base_loop(base, 0);
    }
}

static int64_t snapshot_bytes; /* 0: the default */
static int64_t segment_bytes;

static struct quorum *open_voters(struct event_base *base, struct rec *r, int nvoters, int rc_want);

static struct quorum *open_q(struct event_base *base, struct rec *r, int rc_want)
{
    return open_voters(base, r, 1, rc_want);
}

/* Node 1 of nvoters voters (the others are never reachable). */
static struct quorum *open_voters(struct event_base *base, struct rec *r, int nvoters, int rc_want)
{
    struct quorum_listener l = {r, on_commit, on_leader, write_snapshot, load_snapshot, on_fatal};
    struct quorum_raft_voter v[3] = {{1, "127.0.0.1", 1}, {2, "127.0.0.1", 1}, {3, "127.0.0.1", 1}};
    struct quorum_raft_config cfg = {.node_id = 1,
                                     .dir = logdir,
                                     .cluster_id = "test",
                                     .voters = v,
                                     .nvoters = nvoters,
                                     .snapshot_bytes = snapshot_bytes,
                                     .segment_bytes = segment_bytes};
    struct quorum *q = NULL;
    ck_assert_int_eq(quorum_raft_open(base, &cfg, &l, &q), rc_want);
    return q;
}

static struct quorum *open_leader(struct event_base *base, struct rec *r)
{
    struct quorum *q = open_q(base, r, 0);
    int before = r->leader_changes;
    r->leader_changes = 0;
    run_until(base, &r->leader_changes);
    ck_assert_int_eq(r->leader_changes, 1);
    r->leader_changes += before;
    ck_assert(quorum_is_leader(q));
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

static void rec_free(struct rec *r)
{
    state_clear(r);
    memset(r, 0, sizeof(*r));
}

START_TEST(leadership_and_commits)
{
    make_dirs();
    snapshot_bytes = 0;
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_q(base, &r, 0);
    /* Nothing runs before the loop does. */
    ck_assert(!quorum_is_leader(q));
    ck_assert_int_eq(r.commits, 0);
    const char *v1[1] = {"x"};
    int64_t last = -1;
    ck_assert_int_eq(append_str(q, &r, v1, 1, &last), SL_ESTATE);
    run_until(base, &r.leader_changes);
    ck_assert_int_eq(r.leader_changes, 1);
    ck_assert_int_eq(r.leader_id, 1);
    ck_assert_int_eq(r.leader_epoch, 1);
    ck_assert(quorum_is_leader(q));
    ck_assert_int_eq(quorum_leader_id(q), 1);
    ck_assert_int_eq(quorum_epoch(q), 1);
    /* The marker was delivered before the announcement. */
    ck_assert_int_eq(r.commits, 1);
    ck_assert(r.control[0]);
    ck_assert_int_eq(r.base[0], 0);
    ck_assert_int_eq(quorum_high_watermark(q), 1);

    const char *v3[3] = {"alpha", "beta", "gamma"};
    ck_assert_int_eq(append_str(q, &r, v3, 3, &last), 0);
    ck_assert_int_eq(last, 3);
    ck_assert_int_eq(quorum_log_end_offset(q), 4);
    ck_assert_int_eq(r.commits, 1); /* never inside quorum_append */
    ck_assert_int_eq(append_str(q, &r, v1, 1, &last), 0);
    ck_assert_int_eq(last, 4);
    spin(base, 2);
    ck_assert(!r.commit_during_append);
    ck_assert_int_eq(r.commits, 3);
    ck_assert_int_eq(r.base[1], 1);
    ck_assert_int_eq(r.count[1], 3);
    ck_assert_int_eq(r.epoch[1], 1);
    ck_assert_str_eq(r.first_value[1], "alpha");
    ck_assert_int_eq(r.base[2], 4);
    ck_assert_int_eq(quorum_high_watermark(q), 5);

    /* An append from inside on_commit commits too. */
    r.qp = &q;
    r.append_on_commit = true;
    ck_assert_int_eq(append_str(q, &r, v1, 1, &last), 0);
    spin(base, 3);
    ck_assert_int_eq(r.commits, 5);
    ck_assert_int_eq(r.chained_offset, 6);
    ck_assert_str_eq(r.first_value[4], "chained");

    ck_assert_int_eq(append_str(q, &r, v1, 0, &last), SL_EINVAL);
    /* The default threshold (20 MiB) was not reached: no snapshot. */
    ck_assert_int_eq(r.snapshots_written, 0);
    quorum_close(q);
    rec_free(&r);
    event_base_free(base);
    remove_dirs();
}
END_TEST

START_TEST(reopen_replays_in_a_new_epoch)
{
    make_dirs();
    snapshot_bytes = 0;
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_leader(base, &r);
    const char *v[2] = {"one", "two"};
    int64_t last;
    ck_assert_int_eq(append_str(q, &r, v, 2, &last), 0);
    ck_assert_int_eq(append_str(q, &r, v + 1, 1, &last), 0);
    /* Closed before the last appends were delivered: they are durable anyway. */
    quorum_close(q);
    rec_free(&r);

    q = open_q(base, &r, 0);
    ck_assert_int_eq(r.commits, 0); /* replay happens from the loop */
    run_until(base, &r.leader_changes);
    /* marker(1), [one,two], [two], marker(2) */
    ck_assert_int_eq(r.commits, 4);
    ck_assert(r.control[0]);
    ck_assert_int_eq(r.epoch[0], 1);
    ck_assert_str_eq(r.first_value[1], "one");
    ck_assert_int_eq(r.count[1], 2);
    ck_assert_int_eq(r.base[2], 3);
    ck_assert(r.control[3]);
    ck_assert_int_eq(r.epoch[3], 2);
    ck_assert_int_eq(r.base[3], 4);
    ck_assert_int_eq(r.leader_epoch, 2);
    ck_assert_int_eq(quorum_epoch(q), 2);
    ck_assert_int_eq(append_str(q, &r, v, 1, &last), 0);
    ck_assert_int_eq(last, 5);
    spin(base, 2);
    ck_assert_int_eq(r.commits, 5);
    ck_assert_int_eq(r.epoch[4], 2);
    quorum_close(q);
    rec_free(&r);

    struct quorum_state st;
    ck_assert_int_eq(quorum_state_read(logdir, &st), 0);
    ck_assert_int_eq(st.leader_id, 1);
    ck_assert_int_eq(st.leader_epoch, 2);
    ck_assert_int_eq(st.voted_id, 1);
    event_base_free(base);
    remove_dirs();
}
END_TEST

/* Lists the .checkpoint files and the lowest segment base offset in logdir. */
static int checkpoints(char names[][64], int max, int64_t *first_segment)
{
    DIR *d = opendir(logdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int n = 0;
    *first_segment = INT64_MAX;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 11 && strcmp(de->d_name + l - 11, ".checkpoint") == 0 && n < max)
            snprintf(names[n++], 64, "%s", de->d_name);
        if (l == 24 && strcmp(de->d_name + 20, ".log") == 0) {
            int64_t b = strtoll(de->d_name, NULL, 10);
            if (b < *first_segment)
                *first_segment = b;
        }
    }
    closedir(d);
    return n;
}

/*
 * Snapshots are written on the flush thread and taken by the core once
 * durable: spins until the last one written is the only file left (taken, the
 * older ones deleted); names[0] is then its name.
 */
static void settle_snapshots(struct event_base *base, struct rec *r, char names[][64],
                             int64_t *first_segment)
{
    for (int i = 0; i < 500; i++) {
        long long end;
        int epoch;
        if (checkpoints(names, 8, first_segment) == 1 &&
            sscanf(names[0], "%20lld-%10d.checkpoint", &end, &epoch) == 2 && end == r->written_end)
            return;
        spin(base, 1);
    }
    ck_abort_msg("the last snapshot written was not taken");
}

START_TEST(snapshots_drop_the_log_and_restore_state)
{
    make_dirs();
    snapshot_bytes = 4096;
    segment_bytes = 2048;
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_leader(base, &r);
    char val[64];
    int64_t last = -1;
    for (int i = 0; i < 400; i++) {
        snprintf(val, sizeof val, "value-%04d-padding-padding", i);
        const char *v[1] = {val};
        ck_assert_int_eq(append_str(q, &r, v, 1, &last), 0);
        spin(base, 1);
    }
    spin(base, 2);
    ck_assert_int_eq(r.nvalues, 400);
    ck_assert_int_gt(r.snapshots_written, 3);
    char names[8][64];
    int64_t first_segment;
    settle_snapshots(base, &r, names, &first_segment);
    long long snap_end;
    int snap_epoch;
    ck_assert_int_eq(sscanf(names[0], "%20lld-%10d.checkpoint", &snap_end, &snap_epoch), 2);
    ck_assert_int_gt(snap_end, 200);
    ck_assert_int_eq(snap_epoch, 1);
    ck_assert_int_gt(first_segment, 0); /* the log prefix below the snapshot was dropped */
    ck_assert_int_le(first_segment, snap_end);
    /* A tail after the snapshot, below the threshold.  tail-a may still take the
     * snapshot whose threshold was crossed while the last one was being written;
     * after that, tail-b is below the threshold for sure. */
    const char *tail_a[1] = {"tail-a"}, *tail_b[1] = {"tail-b"};
    ck_assert_int_eq(append_str(q, &r, tail_a, 1, &last), 0);
    for (int i = 0; i < 500 && r.nvalues < 401; i++)
        spin(base, 1);
    settle_snapshots(base, &r, names, &first_segment);
    ck_assert_int_eq(sscanf(names[0], "%20lld-%10d.checkpoint", &snap_end, &snap_epoch), 2);
    ck_assert_int_eq(append_str(q, &r, tail_b, 1, &last), 0);
    for (int i = 0; i < 500 && r.nvalues < 402; i++)
        spin(base, 1);
    int before = r.nvalues;
    quorum_close(q);
    rec_free(&r);

    /* A damaged newer snapshot file is ignored: the intact one is used. */
    char bogus[400];
    snprintf(bogus, sizeof bogus, "%s/%020lld-%010d.checkpoint", logdir, (long long)last + 1, 1);
    FILE *f = fopen(bogus, "w");
    ck_assert_ptr_nonnull(f);
    fputs("not a record batch", f);
    fclose(f);

    q = open_q(base, &r, 0);
    run_until(base, &r.leader_changes);
    ck_assert_int_eq(r.snapshots_loaded, 1);
    ck_assert_int_eq(r.loaded_end, snap_end);
    ck_assert(!r.commit_before_load);
    ck_assert_int_ge(r.base[0], snap_end); /* only the log tail was replayed */
    ck_assert_int_eq(r.nvalues, before);
    ck_assert_str_eq(r.values[r.nvalues - 1], "tail-b");
    ck_assert_str_eq(r.values[0], "value-0000-padding-padding");
    for (int i = 0; i < 400; i++) {
        snprintf(val, sizeof val, "value-%04d-padding-padding", i);
        ck_assert_str_eq(r.values[i], val);
    }
    quorum_close(q);
    rec_free(&r);
    snapshot_bytes = 0;
    segment_bytes = 0;
    event_base_free(base);
    remove_dirs();
}
END_TEST

/* A listener that appends several batches from on_commit, with snapshots taken in
 * between: every append must reach the log, in order (proposals made while outputs
 * are being applied wait their turn instead of replacing each other). */
START_TEST(appends_from_commits_survive_snapshots)
{
    make_dirs();
    snapshot_bytes = 1024;
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_leader(base, &r);
    r.qp = &q;
    r.chain_left = 300;
    const char *seed[1] = {"seed"};
    int64_t last = -1;
    ck_assert_int_eq(append_str(q, &r, seed, 1, &last), 0);
    for (int i = 0; i < 500 && (r.chain_left > 0 || r.nvalues < 301); i++)
        spin(base, 1); /* up to 10 s: commits wait for the flush thread's syncs */
    spin(base, 5);
    ck_assert_int_eq(r.chain_left, 0);
    ck_assert_int_eq(r.nvalues, 301);
    ck_assert_int_gt(r.snapshots_written, 2); /* taken between the queued appends */
    char val[32];
    for (int i = 0; i < 300; i++) {
        snprintf(val, sizeof val, "chain-%04d", i);
        ck_assert_str_eq(r.values[i + 1], val);
    }
    ck_assert(quorum_is_leader(q));
    const char *after[1] = {"after"};
    ck_assert_int_eq(append_str(q, &r, after, 1, &last), 0);
    spin(base, 3);
    ck_assert_str_eq(r.values[r.nvalues - 1], "after");
    quorum_close(q);
    /* The log on disk replays to the same state. */
    struct rec r2;
    memset(&r2, 0, sizeof(r2));
    q = open_q(base, &r2, 0);
    run_until(base, &r2.leader_changes);
    ck_assert_int_eq(r2.nvalues, 302);
    ck_assert_str_eq(r2.values[301], "after");
    quorum_close(q);
    rec_free(&r);
    rec_free(&r2);
    snapshot_bytes = 0;
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
    event_base_free(base);
    remove_dirs();
}
END_TEST

/* The error code of a BeginQuorumEpoch answer. */
static void on_begin_reply(void *ctx, const struct proto_schema *schema, const void *resp)
{
    ck_assert_ptr_eq(schema, &proto_begin_quorum_epoch_resp_schema);
    const struct quorum_epoch_resp *b = resp;
    *(int16_t *)ctx = b->topics.n == 1 ? b->topics.v[0].partitions.v[0].error_code : b->error_code;
}

/* Hands the quorum a BeginQuorumEpoch from `leader` for `epoch`; returns the answer's error. */
static int16_t begin_epoch(struct quorum *q, int32_t leader, int32_t epoch)
{
    struct begin_quorum_epoch_req_partition p = {
        .partition_index = 0, .leader_id = leader, .leader_epoch = epoch};
    struct begin_quorum_epoch_req_topic t = {.topic_name = {"__cluster_metadata", 18}};
    t.partitions.n = 1;
    t.partitions.v = &p;
    struct begin_quorum_epoch_req req = {.cluster_id = {"test", 4}, .voter_id = -1};
    req.topics.n = 1;
    req.topics.v = &t;
    int16_t err = -1;
    ck_assert_int_eq(quorum_raft_handle(q, KAPI_BEGIN_QUORUM_EPOCH, 0, &req, on_begin_reply, &err),
                     0);
    return err;
}

START_TEST(two_leaders_in_one_epoch_stop_the_quorum)
{
    /* Voter 2 and then voter 3 claim epoch 5: the core refuses the second
     * (raft_fault), and the glue stops the quorum as fatal instead of running on. */
    make_dirs();
    snapshot_bytes = 0;
    struct event_base *base = event_base_new();
    struct rec r;
    memset(&r, 0, sizeof(r));
    struct quorum *q = open_voters(base, &r, 3, 0);
    spin(base, 3); /* raft_start runs from the loop */
    ck_assert_int_eq(begin_epoch(q, 2, 5), KERR_NONE);
    ck_assert_int_eq(quorum_leader_id(q), 2);
    ck_assert_int_eq(r.fatal, 0);
    ck_assert_int_ne(begin_epoch(q, 3, 5), KERR_NONE);
    ck_assert_int_eq(r.fatal, 1);
    ck_assert_ptr_nonnull(strstr(r.fatal_what, "two leaders in one epoch"));
    /* Stopped: requests are refused and the loop runs nothing more. */
    ck_assert_int_eq(begin_epoch(q, 2, 6), KERR_KAFKA_STORAGE_ERROR);
    spin(base, 3);
    ck_assert_int_eq(r.fatal, 1);
    quorum_close(q);
    rec_free(&r);
    event_base_free(base);
    remove_dirs();
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("quorum_raft");
    TCase *tc = tcase_create("quorum_raft");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, leadership_and_commits);
    tcase_add_test(tc, reopen_replays_in_a_new_epoch);
    tcase_add_test(tc, snapshots_drop_the_log_and_restore_state);
    tcase_add_test(tc, appends_from_commits_survive_snapshots);
    tcase_add_test(tc, quorum_state_file);
    tcase_add_test(tc, two_leaders_in_one_epoch_stop_the_quorum);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
