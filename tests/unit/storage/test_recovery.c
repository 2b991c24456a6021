/*
 * Unit tests for partition log recovery (storage_log_open after a crash or
 * with damaged files): torn and corrupted tails, garbage in an older segment,
 * zero-filled tails, missing and damaged indexes, stray files.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "partition_log.h"
#include "record_batch.h"
#include "storage_test_util.h"

#define MAXB 1024

struct model {
    struct wbuf all;
    int64_t base[MAXB];
    int64_t last[MAXB];
    size_t pos[MAXB]; /* in `all` */
    size_t size[MAXB];
    int64_t seg[MAXB]; /* base offset of the segment holding the batch */
    int64_t seg_pos[MAXB];
    int n;
    int64_t leo;
};

static char *dir;
static int fds_at_start;
static struct model m;
static struct storage_log_config cfg;

static void setup(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    dir = tu_mkdtemp();
    fds_at_start = tu_count_fds();
    memset(&m, 0, sizeof m);
    wbuf_init(&m.all, 0);
    storage_log_config_default(&cfg);
    cfg.segment_bytes = 1200;
    cfg.index_interval_bytes = 150;
}

static void teardown(void)
{
    ck_assert_int_eq(tu_count_fds(), fds_at_start);
    wbuf_free(&m.all);
    tu_rmdir(dir);
}

static struct storage_log *open_log(int64_t rp)
{
    struct storage_log *l = NULL;
    ck_assert_int_eq(storage_log_open(dir, &cfg, rp, &l), 0);
    return l;
}

/* Appends n batches of 2 records and records where each landed. */
static void fill(struct storage_log *l, int n)
{
    for (int k = 0; k < n; k++) {
        struct wbuf w;
        wbuf_init(&w, 0);
        tu_batch(&w, m.leo, 2, 1000 + m.n, 40 + (size_t)(m.n % 5) * 9);
        int segs = storage_log_segment_count(l);
        int64_t before = storage_log_size_bytes(l);
        ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), 0);
        int i = m.n++;
        m.base[i] = m.leo;
        m.last[i] = m.leo + 1;
        m.pos[i] = m.all.len;
        m.size[i] = w.len;
        if (i == 0 || storage_log_segment_count(l) != segs) {
            m.seg[i] = m.leo;
            m.seg_pos[i] = 0;
        } else {
            m.seg[i] = m.seg[i - 1];
            m.seg_pos[i] = m.seg_pos[i - 1] + (int64_t)m.size[i - 1];
        }
        (void)before;
        m.leo += 2;
        wbuf_bytes(&m.all, w.data, w.len);
        wbuf_free(&w);
    }
}

/* Closes the log and removes the clean marker: the next open recovers. */
static void crash(struct storage_log *l)
{
    storage_log_close(l);
    tu_make_unclean(dir);
}

/* Checks that the log holds exactly model batches [0, nb). */
static void check_prefix(struct storage_log *l, int nb)
{
    int64_t leo = nb > 0 ? m.last[nb - 1] + 1 : 0;
    ck_assert_int_eq(storage_log_end_offset(l), leo);
    size_t bytes = nb > 0 ? m.pos[nb - 1] + m.size[nb - 1] : 0;
    ck_assert_int_eq(storage_log_size_bytes(l), (int64_t)bytes);
    for (int i = 0; i < nb; i++) {
        struct storage_slice s;
        ck_assert_int_eq(storage_log_read(l, m.base[i] + 1, INT64_MAX, 1, true, &s), 0);
        ck_assert_int_eq(s.len, (int64_t)m.size[i]);
        ck_assert_int_eq(s.first_offset, m.base[i]);
        uint8_t *buf = malloc(m.size[i]);
        ck_assert_int_eq(pread(s.fd, buf, m.size[i], s.pos), (ssize_t)m.size[i]);
        ck_assert_int_eq(memcmp(buf, m.all.data + m.pos[i], m.size[i]), 0);
        free(buf);
    }
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, leo, INT64_MAX, 100, true, &s), 0);
    ck_assert_int_eq(s.len, 0);
}

/* The model index of the last batch of the segment before the active one. */
static int last_batch_before(int64_t seg_base)
{
    int i = 0;
    while (i < m.n && m.seg[i] < seg_base)
        i++;
    return i - 1;
}

START_TEST(test_unclean_intact)
{
    struct storage_log *l = open_log(-1);
    fill(l, 30);
    crash(l);
    l = open_log(-1);
    check_prefix(l, 30);
    storage_log_close(l);
    tu_make_unclean(dir);
    l = open_log(m.leo);
    check_prefix(l, 30);
    storage_log_close(l);
}
END_TEST

START_TEST(test_truncated_tail)
{
    struct storage_log *l = open_log(-1);
    fill(l, 30);
    crash(l);
    int last = m.n - 1;
    char *p = tu_seg_path(dir, m.seg[last], ".log");
    /* Cut the last batch in half. */
    tu_truncate(p, m.seg_pos[last] + (int64_t)m.size[last] / 2);
    l = open_log(-1);
    check_prefix(l, 29);
    ck_assert_int_eq(tu_file_size(p), m.seg_pos[last]);
    storage_log_close(l);
    /* Cut inside a header (30 bytes of the next batch). */
    tu_make_unclean(dir);
    tu_truncate(p, m.seg_pos[last - 1] + 30);
    l = open_log(m.seg[last]);
    check_prefix(l, 28);
    /* Appending continues from the recovered LEO. */
    m.n = 28;
    m.leo = m.last[27] + 1;
    m.all.len = m.pos[28];
    fill(l, 3);
    check_prefix(l, 31);
    storage_log_close(l);
    l = open_log(-1);
    check_prefix(l, 31);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_corrupted_tail)
{
    struct storage_log *l = open_log(-1);
    fill(l, 30);
    crash(l);
    int last = m.n - 1;
    int k = last - 2; /* a batch in the active segment with two after it */
    ck_assert_int_eq(m.seg[k], m.seg[last]);
    char *p = tu_seg_path(dir, m.seg[k], ".log");
    /* Flip a byte in the records of batch k: CRC mismatch. */
    tu_flip(p, m.seg_pos[k] + RB_HEADER_SIZE + 3);
    l = open_log(-1);
    check_prefix(l, k);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_corrupted_header_fields)
{
    struct storage_log *l = open_log(-1);
    fill(l, 12);
    crash(l);
    int last = m.n - 1;
    char *p = tu_seg_path(dir, m.seg[last], ".log");
    /* A batch length that points far past the end of the file. */
    tu_flip(p, m.seg_pos[last] + RB_OFF_LENGTH);
    l = open_log(-1);
    check_prefix(l, last);
    storage_log_close(l);
    /* Offsets going backwards (base offset rewritten outside the CRC). */
    tu_make_unclean(dir);
    int k = last - 1;
    ck_assert_int_eq(m.seg[k], m.seg[last]);
    ck_assert_int_gt(m.seg_pos[k], 0);
    uint8_t zero[8] = {0};
    tu_write_at(p, m.seg_pos[k], zero, 8);
    l = open_log(-1);
    check_prefix(l, k);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_garbage_in_older_segment)
{
    struct storage_log *l = open_log(-1);
    fill(l, 60);
    int segs = storage_log_segment_count(l);
    ck_assert_int_ge(segs, 4);
    crash(l);
    /* Garbage in the middle of the second-to-last segment. */
    int64_t active_base = m.seg[m.n - 1];
    int lb = last_batch_before(active_base);
    int64_t seg_base = m.seg[lb];
    int first = lb;
    while (first > 0 && m.seg[first - 1] == seg_base)
        first--;
    int k = (first + lb) / 2;
    ck_assert_int_gt(k, first);
    char *p = tu_seg_path(dir, seg_base, ".log");
    uint8_t junk[40];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    tu_write_at(p, m.seg_pos[k] + 20, junk, sizeof junk);
    l = open_log(-1);
    check_prefix(l, k);
    ck_assert_int_eq(storage_log_segment_count(l), segs - 1);
    char *ap = tu_seg_path(dir, active_base, ".log");
    char *ai = tu_seg_path(dir, active_base, ".index");
    ck_assert(!tu_exists(ap));
    ck_assert(!tu_exists(ai));
    free(ap);
    free(ai);
    ck_assert_int_eq(tu_file_size(p), m.seg_pos[k]);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_garbage_at_start)
{
    struct storage_log *l = open_log(-1);
    fill(l, 40);
    crash(l);
    char *p = tu_seg_path(dir, 0, ".log");
    uint8_t junk[16];
    memset(junk, 0xee, sizeof junk);
    tu_write_at(p, 0, junk, sizeof junk);
    l = open_log(-1);
    check_prefix(l, 0);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    ck_assert_int_eq(tu_count_files(dir, ".log"), 1);
    m.n = 0;
    m.leo = 0;
    m.all.len = 0;
    fill(l, 2);
    check_prefix(l, 2);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_recovery_point_skips_trusted_segments)
{
    struct storage_log *l = open_log(-1);
    fill(l, 60);
    ck_assert_int_ge(storage_log_segment_count(l), 4);
    crash(l);
    /* Damage a batch in the first segment, which the recovery point says is
     * flushed: it is not scanned (Kafka trusts it too) ... */
    char *p = tu_seg_path(dir, 0, ".log");
    tu_flip(p, m.seg_pos[1] + RB_HEADER_SIZE + 2);
    int64_t active_base = m.seg[m.n - 1];
    l = open_log(active_base);
    ck_assert_int_eq(storage_log_end_offset(l), m.leo);
    storage_log_close(l);
    /* ... but with an unknown recovery point every segment is checked. */
    tu_make_unclean(dir);
    l = open_log(-1);
    check_prefix(l, 1);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_zero_tail)
{
    struct storage_log *l = open_log(-1);
    fill(l, 5);
    crash(l);
    char *p = tu_seg_path(dir, m.seg[m.n - 1], ".log");
    int64_t size = tu_file_size(p);
    uint8_t zeros[4096] = {0};
    tu_write_at(p, size, zeros, sizeof zeros);
    l = open_log(-1);
    check_prefix(l, 5);
    ck_assert_int_eq(tu_file_size(p), size);
    storage_log_close(l);
    /* The same with the clean marker present (a trusted active segment). */
    tu_write_at(p, size, zeros, sizeof zeros);
    l = open_log(-1);
    check_prefix(l, 5);
    storage_log_close(l);
    free(p);
}
END_TEST

START_TEST(test_missing_indexes_rebuilt)
{
    struct storage_log *l = open_log(-1);
    fill(l, 40);
    storage_log_close(l);
    char *ip = tu_seg_path(dir, 0, ".index");
    char *tp = tu_seg_path(dir, 0, ".timeindex");
    size_t ilen, tlen;
    uint8_t *orig_i = tu_read_file(ip, &ilen);
    uint8_t *orig_t = tu_read_file(tp, &tlen);
    ck_assert_int_gt(ilen, 0);
    ck_assert_int_gt(tlen, 0);
    unlink(ip);
    unlink(tp);
    l = open_log(-1); /* clean shutdown: the indexes are still checked */
    check_prefix(l, 40);
    storage_log_close(l);
    size_t n;
    uint8_t *now = tu_read_file(ip, &n);
    ck_assert_int_eq(n, ilen);
    ck_assert_int_eq(memcmp(now, orig_i, n), 0);
    free(now);
    now = tu_read_file(tp, &n);
    ck_assert_int_eq(n, tlen);
    ck_assert_int_eq(memcmp(now, orig_t, n), 0);
    free(now);
    free(orig_i);
    free(orig_t);
    free(ip);
    free(tp);
}
END_TEST

/* Damages the first segment's index as `how` says, reopens and compares. */
static void damaged_index_case(int how)
{
    char *ip = tu_seg_path(dir, 0, ".index");
    char *tp = tu_seg_path(dir, 0, ".timeindex");
    size_t ilen, tlen;
    uint8_t *orig_i = tu_read_file(ip, &ilen);
    uint8_t *orig_t = tu_read_file(tp, &tlen);
    ck_assert_int_ge(ilen, 16);
    switch (how) {
    case 0: /* truncated mid-entry */
        tu_truncate(ip, (int64_t)ilen - 3);
        break;
    case 1: { /* entries out of order */
        uint8_t e[8] = {0, 0, 0, 1, 0, 0, 0, 1};
        tu_write_at(ip, 8, e, 8);
        break;
    }
    case 2: { /* an entry past the end of the log */
        uint8_t e[8] = {0, 0, 0x7f, 0, 0x7f, 0, 0, 0};
        tu_write_at(ip, (int64_t)ilen - 8, e, 8);
        break;
    }
    case 3: { /* a last entry that points into the middle of a batch */
        size_t n;
        uint8_t *d = tu_read_file(ip, &n);
        uint8_t e[8];
        memcpy(e, d + n - 8, 8);
        e[7] = (uint8_t)(e[7] + 5);
        tu_write_at(ip, (int64_t)n - 8, e, 8);
        free(d);
        break;
    }
    case 4: { /* time index with a decreasing timestamp */
        uint8_t e[12] = {0};
        tu_write_at(tp, (int64_t)tlen, e, 12);
        break;
    }
    case 5: /* zero-filled index (preallocated and never written) */
    {
        uint8_t *z = calloc(1, 4096);
        tu_write_at(ip, 0, z, 4096);
        free(z);
        break;
    }
    }
    struct storage_log *l = open_log(-1);
    check_prefix(l, m.n);
    storage_log_close(l);
    size_t n;
    uint8_t *now = tu_read_file(ip, &n);
    ck_assert_int_eq(n, ilen);
    ck_assert_int_eq(memcmp(now, orig_i, n), 0);
    free(now);
    now = tu_read_file(tp, &n);
    ck_assert_int_eq(n, tlen);
    ck_assert_int_eq(memcmp(now, orig_t, n), 0);
    free(now);
    free(orig_i);
    free(orig_t);
    free(ip);
    free(tp);
}

START_TEST(test_damaged_indexes_rebuilt)
{
    struct storage_log *l = open_log(-1);
    fill(l, 40);
    storage_log_close(l);
    for (int how = 0; how < 6; how++)
        damaged_index_case(how);
}
END_TEST

START_TEST(test_stray_files)
{
    struct storage_log *l = open_log(-1);
    fill(l, 10);
    storage_log_close(l);
    /* An index without its .log, and files that are not segments. */
    char *si = tu_seg_path(dir, 999, ".index");
    char *st = tu_seg_path(dir, 999, ".timeindex");
    tu_write_at(si, 0, "12345678", 8);
    tu_write_at(st, 0, "123456789012", 12);
    char *other = malloc(strlen(dir) + 32);
    strcpy(other, dir);
    strcat(other, "/notes.log");
    tu_write_at(other, 0, "hello", 5);
    l = open_log(-1);
    ck_assert(!tu_exists(si));
    ck_assert(!tu_exists(st));
    ck_assert(tu_exists(other));
    check_prefix(l, 10);
    storage_log_close(l);
    /* A .log removed from under its indexes: the indexes go and the log
     * starts at the next segment. */
    int64_t second = m.seg[m.n - 1];
    ck_assert_int_gt(second, 0);
    char *lp = tu_seg_path(dir, 0, ".log");
    char *ip = tu_seg_path(dir, 0, ".index");
    unlink(lp);
    l = open_log(-1);
    ck_assert(!tu_exists(ip));
    ck_assert_int_eq(storage_log_start_offset(l), second);
    ck_assert_int_eq(storage_log_end_offset(l), m.leo);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    storage_log_close(l);
    free(lp);
    free(ip);
    free(si);
    free(st);
    free(other);
}
END_TEST

START_TEST(test_large_batch_crc_chunks)
{
    /* Batches larger than the recovery scan buffer are checksummed in pieces. */
    cfg.segment_bytes = 4 * 1024 * 1024;
    struct storage_log *l = open_log(-1);
    struct wbuf w;
    wbuf_init(&w, 0);
    tu_batch(&w, 0, 3, 1000, 200 * 1024);
    ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), 0);
    size_t first = w.len;
    w.len = 0;
    tu_batch(&w, 3, 3, 1000, 200 * 1024);
    ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), 0);
    crash(l);
    l = open_log(-1);
    ck_assert_int_eq(storage_log_end_offset(l), 6);
    storage_log_close(l);
    tu_make_unclean(dir);
    char *p = tu_seg_path(dir, 0, ".log");
    tu_flip(p, (int64_t)first + (int64_t)w.len - 10);
    l = open_log(-1);
    ck_assert_int_eq(storage_log_end_offset(l), 3);
    ck_assert_int_eq(tu_file_size(p), (int64_t)first);
    storage_log_close(l);
    free(p);
    wbuf_free(&w);
}
END_TEST

START_TEST(test_short_indexes_trusted)
{
    /* Index files that lost their last entries (not synced before a crash)
     * are still usable: lookups scan further and the max timestamp is
     * recomputed from the batches after the last time index entry. */
    struct storage_log *l = open_log(-1);
    fill(l, 6);
    storage_log_close(l);
    char *ip = tu_seg_path(dir, 0, ".index");
    char *tp = tu_seg_path(dir, 0, ".timeindex");
    ck_assert_int_ge(tu_file_size(ip), 16);
    ck_assert_int_ge(tu_file_size(tp), 24);
    tu_truncate(ip, 8);
    tu_truncate(tp, 12);
    l = open_log(-1);
    check_prefix(l, 6);
    int64_t ts, off;
    ck_assert_int_eq(storage_log_max_timestamp(l, &ts, &off), 0);
    ck_assert_int_eq(ts, 1000 + 5 + 1);
    ck_assert_int_eq(off, m.last[5]);
    bool found;
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1004, &off, &found), 0);
    ck_assert(found);
    ck_assert_int_eq(off, m.base[3]);
    storage_log_close(l);
    free(ip);
    free(tp);
}
END_TEST

static uint64_t rng_state;
static uint64_t rnd(uint64_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (rng_state >> 33) % n;
}

/* True when byte pos of segment file `seg` is a baseOffset or
 * partitionLeaderEpoch byte, the two header fields outside the CRC, whose
 * damage no reader can detect (for the last segment). */
static bool unprotected(int64_t seg, int64_t pos)
{
    for (int i = 0; i < m.n; i++) {
        if (m.seg[i] != seg || pos < m.seg_pos[i] || pos >= m.seg_pos[i] + (int64_t)m.size[i])
            continue;
        int64_t rel = pos - m.seg_pos[i];
        return rel < 8 || (rel >= 12 && rel < 16);
    }
    return false;
}

static int batch_index(int64_t base)
{
    for (int i = 0; i < m.n; i++)
        if (m.base[i] == base)
            return i;
    return -1;
}

struct verify_ctx {
    int count;
    int64_t next;
};

/* Every batch the log holds must be a model batch, byte for byte, in order. */
static int verify_cb(void *ctx, const uint8_t *batch, size_t len)
{
    struct verify_ctx *v = ctx;
    struct rb_header h;
    ck_assert_int_eq(rb_header_parse(batch, len, &h), 0);
    int i = batch_index(h.base_offset);
    ck_assert_msg(i >= 0, "batch at offset %lld was never written", (long long)h.base_offset);
    ck_assert_int_ge(h.base_offset, v->next);
    ck_assert_int_eq(len, m.size[i]);
    ck_assert_int_eq(memcmp(batch, m.all.data + m.pos[i], len), 0);
    v->next = m.last[i] + 1;
    v->count++;
    return 0;
}

static int verify_log(struct storage_log *l)
{
    struct verify_ctx v = {0, 0};
    ck_assert_int_eq(storage_log_scan(l, 0, verify_cb, &v), 0);
    ck_assert_int_eq(v.next, storage_log_end_offset(l));
    return v.count;
}

START_TEST(test_random_damage)
{
    /* Whatever happens to the files, open succeeds and, after a full check
     * (unknown recovery point), every batch left is one that was written,
     * intact and in order; damage to index files alone loses nothing. */
    rng_state = 0x5eed;
    for (int iter = 0; iter < 40; iter++) {
        char *sub = tu_mkdtemp();
        char *saved = dir;
        dir = sub;
        m.n = 0;
        m.leo = 0;
        m.all.len = 0;
        struct storage_log *l = open_log(-1);
        fill(l, 15 + (int)rnd(20));
        int segs = storage_log_segment_count(l);
        /* Every third round: a clean shutdown and damaged indexes only. */
        bool clean = iter % 3 == 0;
        if (clean)
            storage_log_close(l);
        else
            crash(l);
        bool log_damaged = false;
        for (int d = 0; d < 1 + (int)rnd(3); d++) {
            int64_t seg = m.seg[rnd((uint64_t)m.n)];
            int kind = clean ? 3 + (int)rnd(3) : (int)rnd(6);
            const char *suffix = kind < 3 ? ".log" : kind < 5 ? ".index" : ".timeindex";
            char *p = tu_seg_path(dir, seg, suffix);
            int64_t size = tu_file_size(p);
            if (size <= 0) {
                free(p);
                continue;
            }
            if (kind == 0 || kind == 3) {
                tu_truncate(p, (int64_t)rnd((uint64_t)size));
            } else if (kind == 1 || kind == 4 || kind == 5) {
                for (int k = 0; k < 1 + (int)rnd(8); k++) {
                    int64_t pos = (int64_t)rnd((uint64_t)size);
                    if (kind != 1 || !unprotected(seg, pos))
                        tu_flip(p, pos);
                }
            } else {
                uint8_t junk[64];
                for (size_t k = 0; k < sizeof junk; k++)
                    junk[k] = (uint8_t)rnd(256);
                int64_t pos = (int64_t)rnd((uint64_t)size);
                while (unprotected(seg, pos))
                    pos++;
                tu_write_at(p, pos, junk, 1 + rnd(sizeof junk));
            }
            log_damaged |= kind < 3;
            free(p);
        }
        l = open_log(-1);
        int k = verify_log(l);
        if (!log_damaged) {
            ck_assert_int_eq(k, m.n);
            ck_assert_int_eq(storage_log_segment_count(l), segs);
            check_prefix(l, m.n);
            /* Batch i's max timestamp is 1001 + i (see fill). */
            for (int i = 0; i < m.n; i++) {
                int64_t off;
                bool found;
                ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1001 + i, &off, &found), 0);
                ck_assert(found);
                ck_assert_int_eq(off, m.base[i]);
            }
            int64_t ts, off;
            ck_assert_int_eq(storage_log_max_timestamp(l, &ts, &off), 0);
            ck_assert_int_eq(ts, 1000 + m.n);
            ck_assert_int_eq(off, m.last[m.n - 1]);
        }
        /* It stays usable. */
        int64_t leo = storage_log_end_offset(l);
        int i = 0;
        while (i < m.n && m.base[i] < leo)
            i++;
        m.n = i;
        m.leo = leo;
        m.all.len = i > 0 ? m.pos[i - 1] + m.size[i - 1] : 0;
        fill(l, 2);
        ck_assert_int_eq(verify_log(l), k + 2);
        storage_log_close(l);
        l = open_log(-1);
        ck_assert_int_eq(verify_log(l), k + 2);
        storage_log_close(l);
        dir = saved;
        tu_rmdir(sub);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("storage_recovery");
    TCase *tc = tcase_create("recovery");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_unclean_intact);
    tcase_add_test(tc, test_truncated_tail);
    tcase_add_test(tc, test_corrupted_tail);
    tcase_add_test(tc, test_corrupted_header_fields);
    tcase_add_test(tc, test_garbage_in_older_segment);
    tcase_add_test(tc, test_garbage_at_start);
    tcase_add_test(tc, test_recovery_point_skips_trusted_segments);
    tcase_add_test(tc, test_zero_tail);
    tcase_add_test(tc, test_missing_indexes_rebuilt);
    tcase_add_test(tc, test_damaged_indexes_rebuilt);
    tcase_add_test(tc, test_stray_files);
    tcase_add_test(tc, test_short_indexes_trusted);
    tcase_add_test(tc, test_random_damage);
    tcase_add_test(tc, test_large_batch_crc_chunks);
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
