/*
 * Unit tests for the partition log (storage/partition_log.h): append/read
 * across segments, read bounds, roll, retention, start offset, truncation,
 * timestamp lookups, scans, flush policy and clean reopen.
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

#define MAXB 2048

/* What the test appended: every batch's bytes, base offset and place in `all`. */
struct model {
    struct wbuf all;
    int64_t base[MAXB];
    int64_t last[MAXB];
    size_t pos[MAXB];
    size_t size[MAXB];
    int n;
    int64_t leo;
};

static char *dir;
static int fds_at_start;
static struct model m;

static void setup(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    dir = tu_mkdtemp();
    fds_at_start = tu_count_fds();
    memset(&m, 0, sizeof m);
    wbuf_init(&m.all, 0);
}

static void teardown(void)
{
    ck_assert_int_eq(tu_count_fds(), fds_at_start);
    wbuf_free(&m.all);
    tu_rmdir(dir);
}

static struct storage_log *open_log(const struct storage_log_config *c, int64_t rp)
{
    struct storage_log *l = NULL;
    ck_assert_int_eq(storage_log_open(dir, c, rp, &l), 0);
    ck_assert_ptr_nonnull(l);
    return l;
}

static void small_config(struct storage_log_config *c, int64_t segment_bytes)
{
    storage_log_config_default(c);
    c->segment_bytes = segment_bytes;
    c->index_interval_bytes = 256;
}

static void append(struct storage_log *l, int nrec, int64_t ts, size_t vlen, int64_t now)
{
    ck_assert_int_lt(m.n, MAXB);
    struct wbuf w;
    wbuf_init(&w, 0);
    tu_batch(&w, m.leo, nrec, ts, vlen);
    ck_assert_int_eq(storage_log_append(l, w.data, w.len, now), 0);
    m.base[m.n] = m.leo;
    m.last[m.n] = m.leo + nrec - 1;
    m.pos[m.n] = m.all.len;
    m.size[m.n] = w.len;
    m.n++;
    m.leo += nrec;
    wbuf_bytes(&m.all, w.data, w.len);
    wbuf_free(&w);
    ck_assert_int_eq(storage_log_end_offset(l), m.leo);
}

static int batch_of(int64_t offset)
{
    for (int i = 0; i < m.n; i++)
        if (m.base[i] <= offset && offset <= m.last[i])
            return i;
    return -1;
}

/* Checks that the slice holds exactly model batches [first, first + count). */
static void check_slice(const struct storage_slice *s, int first, int count)
{
    ck_assert_int_ge(first, 0);
    size_t want = 0;
    for (int i = first; i < first + count; i++)
        want += m.size[i];
    ck_assert_int_eq(s->len, (int64_t)want);
    ck_assert_int_eq(s->first_offset, m.base[first]);
    if (count > 0)
        ck_assert_int_eq(s->next_offset, m.last[first + count - 1] + 1);
    uint8_t *buf = malloc(want + 1);
    ck_assert_int_eq(pread(s->fd, buf, want, s->pos), (ssize_t)want);
    ck_assert_int_eq(memcmp(buf, m.all.data + m.pos[first], want), 0);
    free(buf);
}

/* Reads the whole log from `from` with repeated reads and compares with the model. */
static void check_all(struct storage_log *l, int64_t from)
{
    int64_t off = from;
    int batches = 0;
    while (off < storage_log_end_offset(l)) {
        struct storage_slice s;
        ck_assert_int_eq(storage_log_read(l, off, INT64_MAX, 1 << 20, true, &s), 0);
        ck_assert_int_gt(s.len, 0);
        int first = batch_of(off);
        int count = 0;
        size_t sum = 0;
        while (first + count < m.n && sum + m.size[first + count] <= (size_t)s.len)
            sum += m.size[first + count++];
        check_slice(&s, first, count);
        batches += count;
        off = s.next_offset;
    }
    ck_assert_int_eq(off, storage_log_end_offset(l));
    ck_assert_int_gt(batches, 0);
}

START_TEST(test_empty_log)
{
    struct storage_log_config c;
    storage_log_config_default(&c);
    struct storage_log *l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_start_offset(l), 0);
    ck_assert_int_eq(storage_log_end_offset(l), 0);
    ck_assert_int_eq(storage_log_size_bytes(l), 0);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 1000, true, &s), 0);
    ck_assert_int_eq(s.len, 0);
    ck_assert_int_eq(storage_log_read(l, 1, INT64_MAX, 1000, true, &s), SL_ERANGE);
    int64_t ts, off;
    bool found = true;
    ck_assert_int_eq(storage_log_max_timestamp(l, &ts, &off), 0);
    ck_assert_int_eq(ts, -1);
    ck_assert_int_eq(off, -1);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 0, &off, &found), 0);
    ck_assert(!found);
    storage_log_close(l);
}
END_TEST

START_TEST(test_roundtrip_segments)
{
    struct storage_log_config c;
    small_config(&c, 2048);
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 120; i++)
        append(l, 1 + i % 4, 1000 + i * 10, 20 + (size_t)(i % 7) * 13, 0);
    ck_assert_int_gt(storage_log_segment_count(l), 5);
    ck_assert_int_eq(storage_log_size_bytes(l), (int64_t)m.all.len);
    check_all(l, 0);
    /* Every offset maps to the batch containing it. */
    for (int64_t off = 0; off < m.leo; off++) {
        struct storage_slice s;
        ck_assert_int_eq(storage_log_read(l, off, INT64_MAX, 1, true, &s), 0);
        check_slice(&s, batch_of(off), 1);
    }
    /* Index files exist for every segment and hold entries. */
    ck_assert_int_eq(tu_count_files(dir, ".index"), storage_log_segment_count(l));
    char *ip = tu_seg_path(dir, 0, ".index");
    ck_assert_int_gt(tu_file_size(ip), 0);
    ck_assert_int_eq(tu_file_size(ip) % 8, 0);
    free(ip);
    storage_log_close(l);
}
END_TEST

START_TEST(test_read_bounds)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 10; i++)
        append(l, 3, 100 + i, 50, 0); /* batch i holds offsets 3i .. 3i+2 */
    struct storage_slice s;
    /* From the middle of a batch: the whole batch is returned. */
    ck_assert_int_eq(storage_log_read(l, 4, INT64_MAX, 1 << 20, true, &s), 0);
    check_slice(&s, 1, 9);
    /* max_offset excludes batches whose base offset is >= it. */
    ck_assert_int_eq(storage_log_read(l, 4, 9, 1 << 20, true, &s), 0);
    check_slice(&s, 1, 2);
    ck_assert_int_eq(storage_log_read(l, 4, 10, 1 << 20, true, &s), 0);
    check_slice(&s, 1, 3);
    ck_assert_int_eq(storage_log_read(l, 9, 9, 1 << 20, true, &s), 0);
    ck_assert_int_eq(s.len, 0);
    /* max_bytes: whole batches only. */
    int64_t two = (int64_t)(m.size[0] + m.size[1]);
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, two, true, &s), 0);
    check_slice(&s, 0, 2);
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, two - 1, true, &s), 0);
    check_slice(&s, 0, 1);
    /* KIP-74: min_one returns the first batch even when it is larger than max_bytes. */
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 10, true, &s), 0);
    check_slice(&s, 0, 1);
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 10, false, &s), 0);
    ck_assert_int_eq(s.len, 0);
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 0, true, &s), 0);
    check_slice(&s, 0, 1);
    /* At the LEO: empty.  Past it or below the start: out of range. */
    ck_assert_int_eq(storage_log_read(l, 30, INT64_MAX, 1000, true, &s), 0);
    ck_assert_int_eq(s.len, 0);
    ck_assert_int_eq(storage_log_read(l, 31, INT64_MAX, 1000, true, &s), SL_ERANGE);
    ck_assert_int_eq(storage_log_read(l, -1, INT64_MAX, 1000, true, &s), SL_ERANGE);
    ck_assert_int_eq(storage_log_advance_start_offset(l, 7), 0);
    ck_assert_int_eq(storage_log_read(l, 6, INT64_MAX, 1000, true, &s), SL_ERANGE);
    ck_assert_int_eq(storage_log_read(l, 7, INT64_MAX, 1, true, &s), 0);
    check_slice(&s, 2, 1);
    storage_log_close(l);
}
END_TEST

START_TEST(test_read_stays_in_one_segment)
{
    struct storage_log_config c;
    small_config(&c, 600);
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 12; i++)
        append(l, 2, 100, 100, 0);
    ck_assert_int_gt(storage_log_segment_count(l), 3);
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 1 << 20, true, &s), 0);
    /* Only the first segment's batches come back. */
    ck_assert_int_lt(s.len, (int64_t)m.all.len);
    ck_assert_int_le(s.len, 600 + (int64_t)m.size[0]);
    check_all(l, 0);
    storage_log_close(l);
}
END_TEST

START_TEST(test_append_validation)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    struct storage_log *l = open_log(&c, -1);
    append(l, 2, 100, 10, 0);
    struct wbuf w;
    wbuf_init(&w, 0);
    tu_batch(&w, 5, 1, 100, 10); /* LEO is 2 */
    ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), SL_EINVAL);
    w.len = 0;
    tu_batch(&w, 2, 1, 100, 10);
    ck_assert_int_eq(storage_log_append(l, w.data, w.len - 1, 0), SL_EINVAL);
    w.len = 0;
    tu_batch(&w, 2, 3, 100, 10);
    tu_batch(&w, 3, 1, 100, 10); /* overlaps the previous batch */
    ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), SL_EINVAL);
    uint8_t junk[100];
    memset(junk, 0x5a, sizeof junk);
    ck_assert_int_eq(storage_log_append(l, junk, sizeof junk, 0), SL_EINVAL);
    ck_assert_int_eq(storage_log_end_offset(l), 2);
    /* Several batches in one append, with an offset gap between them. */
    w.len = 0;
    tu_batch(&w, 2, 2, 100, 10);
    tu_batch(&w, 10, 2, 100, 10);
    ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), 0);
    ck_assert_int_eq(storage_log_end_offset(l), 12);
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, 5, INT64_MAX, 1 << 20, true, &s), 0);
    ck_assert_int_eq(s.first_offset, 10);
    ck_assert_int_eq(s.next_offset, 12);
    /* From inside the gap with a bound below the next batch: nothing. */
    ck_assert_int_eq(storage_log_read(l, 5, 8, 1 << 20, true, &s), 0);
    ck_assert_int_eq(s.len, 0);
    wbuf_free(&w);
    storage_log_close(l);
}
END_TEST

START_TEST(test_roll_by_size)
{
    struct storage_log_config c;
    small_config(&c, 1000);
    struct storage_log *l = open_log(&c, -1);
    append(l, 1, 100, 300, 0);
    int64_t b = (int64_t)m.size[0];
    ck_assert_int_gt(b, 300);
    int per_seg = (int)(1000 / b); /* batches that fit in one segment */
    ck_assert_int_ge(per_seg, 2);
    for (int i = 1; i < 4 * per_seg + 1; i++) {
        append(l, 1, 100, 300, 0);
        ck_assert_int_eq(storage_log_segment_count(l), i / per_seg + 1);
    }
    char *p = tu_seg_path(dir, per_seg, ".log");
    ck_assert(tu_exists(p));
    free(p);
    for (int i = 0; i < storage_log_segment_count(l) - 1; i++) {
        p = tu_seg_path(dir, (int64_t)i * per_seg, ".log");
        ck_assert_int_eq(tu_file_size(p), per_seg * b);
        free(p);
    }
    /* A batch larger than segment_bytes gets a segment of its own. */
    append(l, 1, 100, 2000, 0);
    int n = storage_log_segment_count(l);
    append(l, 1, 100, 10, 0);
    ck_assert_int_eq(storage_log_segment_count(l), n + 1);
    check_all(l, 0);
    storage_log_close(l);
}
END_TEST

START_TEST(test_roll_by_time)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.segment_ms = 1000;
    struct storage_log *l = open_log(&c, -1);
    /* Batches with timestamps: the first batch's max timestamp is the reference. */
    append(l, 1, 10000, 10, 0);
    append(l, 1, 10500, 10, 0);
    append(l, 1, 11000, 10, 0); /* waited exactly 1000: not more than segment_ms */
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    append(l, 1, 11001, 10, 0);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    /* A later batch without a timestamp never makes a timestamped segment old
     * (Kafka compares message timestamps once the segment has one). */
    append(l, 1, -1, 10, 99999999);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    /* Segments without timestamps: now_ms of the first append is the reference. */
    ck_assert_int_eq(storage_log_truncate_fully(l, m.leo), 0);
    int64_t start = m.leo;
    append(l, 1, -1, 10, 50000);
    append(l, 1, -1, 10, 50900);
    append(l, 1, -1, 10, 51000);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    append(l, 1, -1, 10, 51001);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    append(l, 1, -1, 10, 51500);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    append(l, 1, -1, 10, 52002);
    ck_assert_int_eq(storage_log_segment_count(l), 3);
    check_all(l, start);
    storage_log_close(l);
}
END_TEST

/* Kafka's LogConfig.randomSegmentJitter: [0, min(jitter, segment.ms)). */
START_TEST(test_roll_jitter_range)
{
    struct storage_log_config c;
    storage_log_config_default(&c);
    ck_assert_int_eq(storage_log_roll_jitter(&c, 12345), 0); /* no jitter by default */
    c.segment_ms = 1000;
    c.segment_jitter_ms = 300;
    const uint64_t rs[] = {0, 1, 299, 300, 301, 999, UINT64_MAX, UINT64_MAX / 3, 1ULL << 63};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        int64_t j = storage_log_roll_jitter(&c, rs[i]);
        ck_assert_int_ge(j, 0);
        ck_assert_int_lt(j, 300);
    }
    ck_assert_int_eq(storage_log_roll_jitter(&c, 299), 299);
    ck_assert_int_eq(storage_log_roll_jitter(&c, 300), 0);
    /* A jitter larger than segment.ms is capped by it. */
    c.segment_jitter_ms = 5000;
    for (uint64_t r = 0; r < 3000; r += 7)
        ck_assert_int_lt(storage_log_roll_jitter(&c, r), 1000);
    c.segment_jitter_ms = -1;
    ck_assert_int_eq(storage_log_config_validate(&c), SL_EINVAL);
}
END_TEST

static uint64_t fixed_random(void *ctx)
{
    return *(const uint64_t *)ctx;
}

/* Each segment rolls segment_ms minus its own jitter after its first batch. */
START_TEST(test_roll_by_time_with_jitter)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.segment_ms = 1000;
    c.segment_jitter_ms = 1000;
    struct storage_log *l = open_log(&c, -1);
    uint64_t r = 400; /* jitter 400: the segment rolls once 600 ms have passed */
    storage_log_set_random(l, fixed_random, &r);
    append(l, 1, 10000, 10, 0);
    append(l, 1, 10600, 10, 0); /* exactly 600: not more */
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    r = 0; /* the next segment gets no jitter */
    append(l, 1, 10601, 10, 0);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    append(l, 1, 11500, 10, 0); /* 899 after the new segment's first batch */
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    append(l, 1, 11602, 10, 0); /* 1001 */
    ck_assert_int_eq(storage_log_segment_count(l), 3);
    check_all(l, 0);
    storage_log_close(l);
}
END_TEST

START_TEST(test_roll_index_full)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.index_interval_bytes = 0;
    c.max_index_bytes = 24; /* 3 offset entries, 2 time entries */
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 10; i++)
        append(l, 1, 100 + i, 10, 0);
    ck_assert_int_gt(storage_log_segment_count(l), 2);
    check_all(l, 0);
    storage_log_close(l);
}
END_TEST

START_TEST(test_retention_time)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.segment_ms = 100;
    c.retention_ms = 1000;
    struct storage_log *l = open_log(&c, -1);
    /* One segment per batch: timestamps 200 apart. */
    for (int i = 0; i < 6; i++)
        append(l, 2, 1000 + i * 200, 10, 0);
    ck_assert_int_eq(storage_log_segment_count(l), 6);
    int deleted = -1;
    ck_assert_int_eq(storage_log_enforce_retention(l, 1500, &deleted), 0);
    ck_assert_int_eq(deleted, 0);
    /* Segment max timestamps are 1001, 1201, 1401, ...: at 2300, 1001 and 1201 are gone. */
    ck_assert_int_eq(storage_log_enforce_retention(l, 2300, &deleted), 0);
    ck_assert_int_eq(deleted, 2);
    ck_assert_int_eq(storage_log_start_offset(l), 4);
    ck_assert_int_eq(storage_log_segment_count(l), 4);
    ck_assert_int_eq(storage_log_size_bytes(l), (int64_t)(m.all.len - m.size[0] - m.size[1]));
    /* The active segment is never deleted. */
    ck_assert_int_eq(storage_log_enforce_retention(l, 1000000, &deleted), 0);
    ck_assert_int_eq(deleted, 3);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    ck_assert_int_eq(storage_log_start_offset(l), 10);
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, 9, INT64_MAX, 100, true, &s), SL_ERANGE);
    ck_assert_int_eq(storage_log_read(l, 10, INT64_MAX, 1000, true, &s), 0);
    check_slice(&s, 5, 1);
    char *p = tu_seg_path(dir, 0, ".log");
    ck_assert(!tu_exists(p));
    free(p);
    storage_log_close(l);
}
END_TEST

/* Kafka's asynchronous segment delete: rename to *.deleted, remove after file.delete.delay.ms. */
START_TEST(test_retention_delayed_delete)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.segment_ms = 100;
    c.retention_ms = 1000;
    c.file_delete_delay_ms = 500;
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 4; i++)
        append(l, 2, 1000 + i * 200, 10, 1000 + i * 200);
    ck_assert_int_eq(storage_log_segment_count(l), 4);
    char *log0 = tu_seg_path(dir, 0, ".log"), *log0d = tu_seg_path(dir, 0, ".log.deleted");
    char *idx0d = tu_seg_path(dir, 0, ".index.deleted");
    char *tix0d = tu_seg_path(dir, 0, ".timeindex.deleted");
    int deleted = -1;
    /* At 2100 the segment with max timestamp 1001 goes (1100 > 1000). */
    ck_assert_int_eq(storage_log_enforce_retention(l, 2100, &deleted), 0);
    ck_assert_int_eq(deleted, 1);
    ck_assert_int_eq(storage_log_segment_count(l), 3);
    ck_assert_int_eq(storage_log_pending_deletes(l), 1);
    ck_assert(!tu_exists(log0));
    ck_assert(tu_exists(log0d));
    ck_assert(tu_exists(idx0d));
    ck_assert(tu_exists(tix0d));
    ck_assert_int_eq(tu_count_files(dir, ".log"), 3);
    /* Reads never see the renamed segment. */
    struct storage_slice sl;
    ck_assert_int_eq(storage_log_read(l, 0, INT64_MAX, 1000, true, &sl), SL_ERANGE);
    check_all(l, 2);
    /* Removed once file.delete.delay.ms has passed since the rename, not before. */
    ck_assert_int_eq(storage_log_delete_expired(l, 2599), 0);
    ck_assert(tu_exists(log0d));
    ck_assert_int_eq(storage_log_delete_expired(l, 2600), 0);
    ck_assert(!tu_exists(log0d));
    ck_assert(!tu_exists(idx0d));
    ck_assert(!tu_exists(tix0d));
    ck_assert_int_eq(storage_log_pending_deletes(l), 0);
    ck_assert_int_eq(tu_count_files(dir, ".deleted"), 0);

    /* Files still waiting at close are removed by the next open. */
    ck_assert_int_eq(storage_log_enforce_retention(l, 2300, &deleted), 0);
    ck_assert_int_eq(deleted, 1);
    ck_assert_int_eq(tu_count_files(dir, ".deleted"), 3);
    storage_log_close(l);
    ck_assert_int_eq(tu_count_files(dir, ".deleted"), 3);
    l = open_log(&c, -1);
    ck_assert_int_eq(tu_count_files(dir, ".deleted"), 0);
    ck_assert_int_eq(storage_log_segment_count(l), 2);
    ck_assert_int_eq(storage_log_start_offset(l), 4);
    check_all(l, 4);

    /* A delay of 0 removes the files at once. */
    c.file_delete_delay_ms = 0;
    ck_assert_int_eq(storage_log_set_config(l, &c), 0);
    ck_assert_int_eq(storage_log_enforce_retention(l, 2500, &deleted), 0);
    ck_assert_int_eq(deleted, 1);
    ck_assert_int_eq(tu_count_files(dir, ".deleted"), 0);
    ck_assert_int_eq(storage_log_pending_deletes(l), 0);
    free(log0);
    free(log0d);
    free(idx0d);
    free(tix0d);
    storage_log_close(l);
}
END_TEST

START_TEST(test_retention_size_and_hw)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.segment_ms = 100;
    c.retention_ms = -1;
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 8; i++)
        append(l, 1, 1000 + i * 200, 100, 0);
    int64_t b = (int64_t)m.size[0];
    /* Kafka deletes the oldest segments while what remains is still >= retention_bytes. */
    c.retention_bytes = 3 * b + b / 2;
    ck_assert_int_eq(storage_log_set_config(l, &c), 0);
    int deleted = -1;
    /* With a high watermark of 2 only the segments of offsets 0 and 1 may go. */
    ck_assert_int_eq(storage_log_enforce_retention_below(l, 0, 2, &deleted), 0);
    ck_assert_int_eq(deleted, 2);
    ck_assert_int_eq(storage_log_start_offset(l), 2);
    /* 6 segments = 6b; deleting 2 leaves 4b >= 3.5b, a third would leave 3b. */
    ck_assert_int_eq(storage_log_enforce_retention(l, 0, &deleted), 0);
    ck_assert_int_eq(deleted, 2);
    ck_assert_int_eq(storage_log_segment_count(l), 4);
    ck_assert_int_eq(storage_log_start_offset(l), 4);
    ck_assert_int_eq(storage_log_size_bytes(l), 4 * b);
    c.retention_bytes = 3 * b;
    ck_assert_int_eq(storage_log_set_config(l, &c), 0);
    ck_assert_int_eq(storage_log_enforce_retention(l, 0, &deleted), 0);
    ck_assert_int_eq(deleted, 1);
    ck_assert_int_eq(storage_log_start_offset(l), 5);
    ck_assert_int_eq(storage_log_size_bytes(l), 3 * b);
    c.retention_bytes = 0; /* the active segment still stays */
    ck_assert_int_eq(storage_log_set_config(l, &c), 0);
    ck_assert_int_eq(storage_log_enforce_retention(l, 0, &deleted), 0);
    ck_assert_int_eq(deleted, 2);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    check_all(l, 7);
    storage_log_close(l);
}
END_TEST

START_TEST(test_advance_start_offset)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    c.segment_ms = 100;
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 5; i++)
        append(l, 3, 1000 + i * 200, 10, 0); /* segments at 0, 3, 6, 9, 12 */
    ck_assert_int_eq(storage_log_advance_start_offset(l, 16), SL_ERANGE);
    ck_assert_int_eq(storage_log_advance_start_offset(l, 7), 0);
    ck_assert_int_eq(storage_log_start_offset(l), 7);
    ck_assert_int_eq(storage_log_segment_count(l), 3);
    ck_assert_int_eq(storage_log_advance_start_offset(l, 5), 0); /* lower: ignored */
    ck_assert_int_eq(storage_log_start_offset(l), 7);
    ck_assert_int_eq(storage_log_advance_start_offset(l, 15), 0);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    ck_assert_int_eq(storage_log_start_offset(l), 15);
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, 15, INT64_MAX, 100, true, &s), 0);
    ck_assert_int_eq(s.len, 0);
    append(l, 1, 5000, 10, 0);
    ck_assert_int_eq(storage_log_read(l, 15, INT64_MAX, 1000, true, &s), 0);
    check_slice(&s, 5, 1);
    storage_log_close(l);
}
END_TEST

START_TEST(test_truncate_to)
{
    struct storage_log_config c;
    small_config(&c, 700);
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 30; i++)
        append(l, 2, 1000 + i, 60, 0);
    int segs = storage_log_segment_count(l);
    ck_assert_int_gt(segs, 4);
    /* At or past the LEO: nothing happens. */
    ck_assert_int_eq(storage_log_truncate_to(l, 60), 0);
    ck_assert_int_eq(storage_log_end_offset(l), 60);
    /* Into the middle of batch 20 (offsets 40-41): the whole batch goes. */
    ck_assert_int_eq(storage_log_truncate_to(l, 41), 0);
    ck_assert_int_eq(storage_log_end_offset(l), 40);
    ck_assert_int_lt(storage_log_segment_count(l), segs);
    ck_assert_int_le(storage_log_recovery_point(l), 40);
    m.n = 20;
    m.leo = 40;
    m.all.len = m.pos[20];
    ck_assert_int_eq(storage_log_size_bytes(l), (int64_t)m.all.len);
    check_all(l, 0);
    /* Appends continue at the new LEO, and the max timestamp follows the data. */
    append(l, 2, 5000, 60, 0);
    int64_t ts, off;
    storage_log_max_timestamp(l, &ts, &off);
    ck_assert_int_eq(ts, 5001);
    ck_assert_int_eq(off, 41);
    ck_assert_int_eq(storage_log_truncate_to(l, 40), 0);
    m.n = 20;
    m.leo = 40;
    m.all.len = m.pos[20];
    storage_log_max_timestamp(l, &ts, &off);
    ck_assert_int_eq(ts, 1020);
    ck_assert_int_eq(off, 39);
    /* Exactly at a segment's base offset: that segment is emptied. */
    struct storage_slice s;
    ck_assert_int_eq(storage_log_read(l, 38, INT64_MAX, 10, true, &s), 0);
    storage_log_close(l);
    l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_end_offset(l), 40);
    check_all(l, 0);
    /* Below the first segment's base: the log restarts at the offset. */
    ck_assert_int_eq(storage_log_advance_start_offset(l, 30), 0);
    int64_t first_base = 0;
    for (int64_t o = 0; o < 40; o++) {
        char *p = tu_seg_path(dir, o, ".log");
        if (tu_exists(p) && first_base == 0)
            first_base = o;
        free(p);
    }
    ck_assert_int_gt(first_base, 0);
    ck_assert_int_eq(storage_log_truncate_to(l, first_base - 1), 0);
    ck_assert_int_eq(storage_log_start_offset(l), first_base - 1);
    ck_assert_int_eq(storage_log_end_offset(l), first_base - 1);
    ck_assert_int_eq(storage_log_segment_count(l), 1);
    ck_assert_int_eq(storage_log_size_bytes(l), 0);
    ck_assert_int_eq(storage_log_truncate_fully(l, 100), 0);
    ck_assert_int_eq(storage_log_start_offset(l), 100);
    ck_assert_int_eq(storage_log_end_offset(l), 100);
    ck_assert_int_eq(tu_count_files(dir, ".log"), 1);
    storage_log_close(l);
}
END_TEST

START_TEST(test_timestamps)
{
    struct storage_log_config c;
    small_config(&c, 800);
    c.index_interval_bytes = 100;
    struct storage_log *l = open_log(&c, -1);
    /* Batch i: 2 records at 1000 + 10i and 1000 + 10i + 1; batch 7 jumps ahead. */
    for (int i = 0; i < 20; i++)
        append(l, 2, i == 7 ? 5000 : 1000 + 10 * i, 40, 0);
    ck_assert_int_gt(storage_log_segment_count(l), 2);
    int64_t off;
    bool found;
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 0, &off, &found), 0);
    ck_assert(found);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1001, &off, &found), 0);
    ck_assert(found);
    ck_assert_int_eq(off, 0);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1002, &off, &found), 0);
    ck_assert_int_eq(off, 2);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1061, &off, &found), 0);
    ck_assert_int_eq(off, 12);
    /* 1071 is first reached by batch 7 (max 5001). */
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1071, &off, &found), 0);
    ck_assert_int_eq(off, 14);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1185, &off, &found), 0);
    ck_assert_int_eq(off, 14);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 5001, &off, &found), 0);
    ck_assert_int_eq(off, 14);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 5002, &off, &found), 0);
    ck_assert(!found);
    int64_t ts;
    ck_assert_int_eq(storage_log_max_timestamp(l, &ts, &off), 0);
    ck_assert_int_eq(ts, 5001);
    ck_assert_int_eq(off, 15);
    /* The same answers after a clean reopen (indexes loaded from disk) ... */
    storage_log_close(l);
    l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1061, &off, &found), 0);
    ck_assert_int_eq(off, 12);
    ck_assert_int_eq(storage_log_max_timestamp(l, &ts, &off), 0);
    ck_assert_int_eq(ts, 5001);
    ck_assert_int_eq(off, 15);
    /* ... and after a recovery that rebuilt them. */
    storage_log_close(l);
    tu_make_unclean(dir);
    l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 1185, &off, &found), 0);
    ck_assert_int_eq(off, 14);
    ck_assert_int_eq(storage_log_max_timestamp(l, &ts, &off), 0);
    ck_assert_int_eq(ts, 5001);
    ck_assert_int_eq(off, 15);
    /* Lookups respect the log start offset. */
    ck_assert_int_eq(storage_log_advance_start_offset(l, 13), 0);
    ck_assert_int_eq(storage_log_offset_for_timestamp(l, 0, &off, &found), 0);
    ck_assert(found);
    ck_assert_int_eq(off, 13);
    storage_log_close(l);
}
END_TEST

struct scan_ctx {
    int calls;
    int stop_after;
    int64_t bases[MAXB];
};

static int scan_cb(void *ctx, const uint8_t *batch, size_t len)
{
    struct scan_ctx *s = ctx;
    struct rb_header h;
    ck_assert_int_eq(rb_header_parse(batch, len, &h), 0);
    ck_assert_int_eq(rb_header_total_size(&h), len);
    int i = batch_of(h.base_offset);
    ck_assert_int_eq(memcmp(batch, m.all.data + m.pos[i], len), 0);
    s->bases[s->calls++] = h.base_offset;
    return s->calls == s->stop_after ? 7 : 0;
}

START_TEST(test_scan)
{
    struct storage_log_config c;
    small_config(&c, 500);
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 25; i++)
        append(l, 3, 1000 + i, 30 + (size_t)i * 3, 0);
    struct scan_ctx s = {0};
    ck_assert_int_eq(storage_log_scan(l, 0, scan_cb, &s), 0);
    ck_assert_int_eq(s.calls, 25);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(storage_log_scan(l, 31, scan_cb, &s), 0); /* batches based at 33.. */
    ck_assert_int_eq(s.calls, 14);
    ck_assert_int_eq(s.bases[0], 33);
    memset(&s, 0, sizeof s);
    s.stop_after = 3;
    ck_assert_int_eq(storage_log_scan(l, 30, scan_cb, &s), 7);
    ck_assert_int_eq(s.calls, 3);
    ck_assert_int_eq(s.bases[2], 36);
    storage_log_close(l);
}
END_TEST

START_TEST(test_flush_policy)
{
    struct storage_log_config c;
    small_config(&c, 1 << 20);
    struct storage_log *l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_recovery_point(l), 0);
    append(l, 3, 100, 10, 0);
    append(l, 2, 100, 10, 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 5);
    ck_assert_int_eq(storage_log_recovery_point(l), 0);
    ck_assert_int_eq(storage_log_flush(l), 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 0);
    ck_assert_int_eq(storage_log_recovery_point(l), 5);
    storage_log_close(l);

    /* fsync on every append */
    c.flush_interval_messages = 1;
    l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_recovery_point(l), 5);
    append(l, 4, 100, 10, 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 0);
    ck_assert_int_eq(storage_log_recovery_point(l), 9);
    storage_log_close(l);

    /* every 5 messages */
    c.flush_interval_messages = 5;
    l = open_log(&c, -1);
    append(l, 2, 100, 10, 0);
    append(l, 2, 100, 10, 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 4);
    append(l, 1, 100, 10, 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 0);
    storage_log_close(l);

    /* time based */
    c.flush_interval_messages = INT64_MAX;
    c.flush_interval_ms = 1000;
    l = open_log(&c, -1);
    append(l, 2, 100, 10, 10000);
    ck_assert_int_eq(storage_log_maybe_flush(l, 10500), 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 2);
    ck_assert_int_eq(storage_log_maybe_flush(l, 11000), 0);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 0);
    storage_log_close(l);

    /* a flush job: begin, more appends, run (as a worker would), end */
    c.flush_interval_ms = -1;
    l = open_log(&c, -1);
    append(l, 2, 100, 10, 0);
    int64_t target = storage_log_end_offset(l);
    struct storage_flush_job *job;
    ck_assert_int_eq(storage_log_flush_begin(l, &job), 0);
    append(l, 3, 100, 10, 0);
    ck_assert_int_eq(storage_flush_job_run(job), 0);
    ck_assert_int_eq(storage_log_flush_end(l, job, 0), 0);
    ck_assert_int_eq(storage_log_recovery_point(l), target);
    ck_assert_int_eq(storage_log_unflushed_messages(l), 3);
    /* a truncation while the job runs: the job does not count */
    ck_assert_int_eq(storage_log_flush_begin(l, &job), 0);
    ck_assert_int_eq(storage_log_truncate_to(l, target + 1), 0);
    ck_assert_int_eq(storage_log_end_offset(l), target);
    m.n--;
    m.leo = target;
    m.all.len = m.pos[m.n];
    append(l, 4, 100, 10, 0);
    ck_assert_int_eq(storage_flush_job_run(job), 0);
    ck_assert_int_eq(storage_log_flush_end(l, job, 0), 0);
    ck_assert_int_eq(storage_log_recovery_point(l), target);
    /* a failed job leaves the recovery point and skips the clean marker */
    ck_assert_int_eq(storage_log_flush_begin(l, &job), 0);
    ck_assert_int_eq(storage_flush_job_run(job), 0);
    ck_assert_int_eq(storage_log_flush_end(l, job, SL_EIO), SL_EIO);
    ck_assert_int_eq(storage_log_recovery_point(l), target);
    ck_assert(storage_log_failed(l));
    ck_assert_int_eq(storage_log_flush(l), SL_EIO); /* stays failed */
    ck_assert_int_eq(storage_log_recovery_point(l), target);
    storage_log_close(l);
    char *marker = malloc(strlen(dir) + 16);
    strcpy(marker, dir);
    strcat(marker, "/.clean");
    ck_assert(!tu_exists(marker));
    free(marker);
    l = open_log(&c, target);
    ck_assert_int_eq(storage_log_end_offset(l), target + 4);
    check_all(l, 0);
    storage_log_close(l);

    /* invalid configurations are refused */
    struct storage_log *bad = NULL;
    c.segment_bytes = 0;
    ck_assert_int_eq(storage_log_open(dir, &c, -1, &bad), SL_EINVAL);
    ck_assert_ptr_null(bad);
}
END_TEST

START_TEST(test_clean_reopen)
{
    struct storage_log_config c;
    small_config(&c, 1500);
    struct storage_log *l = open_log(&c, -1);
    for (int i = 0; i < 40; i++)
        append(l, 2, 1000 + i, 50, 0);
    int segs = storage_log_segment_count(l);
    ck_assert_int_eq(storage_log_advance_start_offset(l, 3), 0);
    storage_log_close(l);
    char *marker = malloc(strlen(dir) + 16);
    strcpy(marker, dir);
    strcat(marker, "/.clean");
    ck_assert(tu_exists(marker));
    l = open_log(&c, 0);
    ck_assert(!tu_exists(marker));
    free(marker);
    ck_assert_int_eq(storage_log_end_offset(l), 80);
    ck_assert_int_eq(storage_log_start_offset(l), 0); /* restored by the broker's checkpoint */
    ck_assert_int_eq(storage_log_recovery_point(l), 80);
    ck_assert_int_eq(storage_log_segment_count(l), segs);
    ck_assert_int_eq(storage_log_size_bytes(l), (int64_t)m.all.len);
    check_all(l, 0);
    append(l, 2, 2000, 50, 0);
    check_all(l, 0);
    storage_log_close(l);
    /* delete removes everything */
    l = open_log(&c, -1);
    ck_assert_int_eq(storage_log_delete(l), 0);
    ck_assert(!tu_exists(dir));
}
END_TEST

START_TEST(test_preallocate)
{
    struct storage_log_config c;
    small_config(&c, 64 * 1024);
    c.preallocate = true;
    struct storage_log *l = open_log(&c, -1);
    char *p = tu_seg_path(dir, 0, ".log");
    append(l, 2, 100, 50, 0);
    append(l, 2, 100, 50, 0);
    ck_assert_int_eq(tu_file_size(p), 64 * 1024);
    check_all(l, 0);
    storage_log_close(l);
    ck_assert_int_eq(tu_file_size(p), (int64_t)m.all.len);
    l = open_log(&c, -1);
    check_all(l, 0);
    append(l, 2, 100, 50, 0);
    check_all(l, 0);
    storage_log_close(l);
    free(p);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("storage_log");
    TCase *tc = tcase_create("log");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_empty_log);
    tcase_add_test(tc, test_roundtrip_segments);
    tcase_add_test(tc, test_read_bounds);
    tcase_add_test(tc, test_read_stays_in_one_segment);
    tcase_add_test(tc, test_append_validation);
    tcase_add_test(tc, test_roll_by_size);
    tcase_add_test(tc, test_roll_by_time);
    tcase_add_test(tc, test_roll_jitter_range);
    tcase_add_test(tc, test_roll_by_time_with_jitter);
    tcase_add_test(tc, test_roll_index_full);
    tcase_add_test(tc, test_retention_time);
    tcase_add_test(tc, test_retention_delayed_delete);
    tcase_add_test(tc, test_retention_size_and_hw);
    tcase_add_test(tc, test_advance_start_offset);
    tcase_add_test(tc, test_truncate_to);
    tcase_add_test(tc, test_timestamps);
    tcase_add_test(tc, test_scan);
    tcase_add_test(tc, test_flush_policy);
    tcase_add_test(tc, test_clean_reopen);
    tcase_add_test(tc, test_preallocate);
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
