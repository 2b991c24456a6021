/*
 * Unit tests for the small storage files: offset checkpoints, the leader
 * epoch cache and its checkpoint (KIP-101/KIP-279), partition.metadata and
 * meta.properties.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "err.h"
#include "leader_epoch.h"
#include "log.h"
#include "meta_properties.h"
#include "partition_log.h"
#include "partition_meta.h"
#include "record_batch.h"
#include "storage_test_util.h"
#include "uuid.h"
#include "xalloc.h"

static char *dir;
static char *path;

static void setup(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    dir = tu_mkdtemp();
    path = xasprintf("%s/recovery-point-offset-checkpoint", dir);
}

static void teardown(void)
{
    free(path);
    tu_rmdir(dir);
}

static void write_text(const char *p, const char *text)
{
    tu_write_at(p, 0, text, strlen(text));
    tu_truncate(p, (int64_t)strlen(text));
}

START_TEST(test_checkpoint_roundtrip)
{
    struct storage_checkpoint_entry in[3] = {
        {"orders", 0, 1234},
        {"orders", 7, 0},
        {"__consumer_offsets", 49, 9007199254740993LL},
    };
    ck_assert_int_eq(storage_checkpoint_write(path, in, 3), 0);
    size_t len;
    uint8_t *text = tu_read_file(path, &len);
    const char *want = "0\n3\norders 0 1234\norders 7 0\n__consumer_offsets 49 9007199254740993\n";
    ck_assert_int_eq(len, strlen(want));
    ck_assert_int_eq(memcmp(text, want, len), 0);
    free(text);
    struct storage_checkpoint_entry *out;
    size_t n;
    ck_assert_int_eq(storage_checkpoint_read(path, &out, &n), 0);
    ck_assert_int_eq(n, 3);
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(out[i].topic, in[i].topic);
        ck_assert_int_eq(out[i].partition, in[i].partition);
        ck_assert_int_eq(out[i].offset, in[i].offset);
    }
    storage_checkpoint_free(out, n);
    /* Rewriting replaces the file; no temporary file stays behind. */
    ck_assert_int_eq(storage_checkpoint_write(path, in, 0), 0);
    ck_assert_int_eq(storage_checkpoint_read(path, &out, &n), 0);
    ck_assert_int_eq(n, 0);
    ck_assert_ptr_null(out);
    ck_assert_int_eq(tu_count_files(dir, ".tmp"), 0);
    /* Bad topics are refused and leave the file alone. */
    struct storage_checkpoint_entry bad = {"has space", 0, 1};
    ck_assert_int_eq(storage_checkpoint_write(path, &bad, 1), SL_EINVAL);
    bad.topic = "";
    ck_assert_int_eq(storage_checkpoint_write(path, &bad, 1), SL_EINVAL);
    ck_assert_int_eq(storage_checkpoint_read(path, &out, &n), 0);
    ck_assert_int_eq(n, 0);
    /* Missing file. */
    unlink(path);
    ck_assert_int_eq(storage_checkpoint_read(path, &out, &n), SL_ENOTFOUND);
    /* Tolerated: CRLF line ends, several blanks between fields, trailing blank lines. */
    write_text(path, "0\r\n1\r\nt  3\t42\r\n\n");
    ck_assert_int_eq(storage_checkpoint_read(path, &out, &n), 0);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(out[0].topic, "t");
    ck_assert_int_eq(out[0].partition, 3);
    ck_assert_int_eq(out[0].offset, 42);
    storage_checkpoint_free(out, n);
}
END_TEST

START_TEST(test_checkpoint_malformed)
{
    static const char *bad[] = {
        "",                                 /* empty */
        "1\n0\n",                           /* unknown version */
        "0\n",                              /* no count */
        "0\n-1\n",                          /* negative count */
        "0\n99999999999\nt 0 1\n",          /* count larger than the file can hold */
        "0\n2\nt 0 1\n",                    /* fewer entries than the count */
        "0\n1\nt 0 1\nu 1 2\n",             /* more entries than the count */
        "0\n1\nt zero 1\n",                 /* non-numeric partition */
        "0\n1\nt -1 1\n",                   /* negative partition */
        "0\n1\nt 0 1 9\n",                  /* extra field */
        "0\n1\nt 0\n",                      /* missing field */
        "0\n1\nt 0 99999999999999999999\n", /* offset overflow */
        "0\n1\nt 0 12x\n",                  /* trailing junk */
        "x\n",                              /* garbage */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(path, bad[i]);
        struct storage_checkpoint_entry *out = (void *)1;
        size_t n = 7;
        ck_assert_msg(storage_checkpoint_read(path, &out, &n) == SL_ECORRUPT, "case %zu", i);
        ck_assert_ptr_null(out);
        ck_assert_int_eq(n, 0);
    }
    /* Binary garbage, including NUL bytes. */
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 131);
    tu_write_at(path, 0, junk, sizeof junk);
    tu_truncate(path, sizeof junk);
    struct storage_checkpoint_entry *out;
    size_t n;
    ck_assert_int_eq(storage_checkpoint_read(path, &out, &n), SL_ECORRUPT);
}
END_TEST

static struct storage_leader_epoch_cache *open_cache(void)
{
    struct storage_leader_epoch_cache *c = NULL;
    ck_assert_int_eq(storage_leader_epoch_open(dir, &c), 0);
    return c;
}

static void expect_end(struct storage_leader_epoch_cache *c, int32_t req, int64_t leo,
                       int32_t epoch, int64_t end)
{
    int32_t e;
    int64_t o;
    storage_leader_epoch_end_offset_for(c, req, leo, &e, &o);
    ck_assert_msg(e == epoch && o == end, "epoch %d: got (%d, %lld), want (%d, %lld)", req, e,
                  (long long)o, epoch, (long long)end);
}

START_TEST(test_leader_epoch_cache)
{
    struct storage_leader_epoch_cache *c = open_cache();
    ck_assert_int_eq(storage_leader_epoch_latest(c), -1);
    expect_end(c, 0, 10, -1, -1);
    ck_assert_int_eq(storage_leader_epoch_assign(c, 1, 0), 0);
    ck_assert_int_eq(storage_leader_epoch_assign(c, 1, 5), 0); /* same epoch, later: ignored */
    ck_assert_int_eq(storage_leader_epoch_assign(c, 3, 10), 0);
    ck_assert_int_eq(storage_leader_epoch_assign(c, 2, 12), 0); /* lower epoch: ignored */
    ck_assert_int_eq(storage_leader_epoch_assign(c, 4, 20), 0);
    ck_assert_int_eq(storage_leader_epoch_assign(c, 6, 35), 0);
    ck_assert_int_eq(storage_leader_epoch_assign(c, -1, 35), SL_EINVAL);
    size_t n;
    const struct storage_epoch_entry *e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(e[0].epoch, 1);
    ck_assert_int_eq(e[1].start_offset, 10);
    ck_assert_int_eq(storage_leader_epoch_latest(c), 6);
    ck_assert_int_eq(storage_leader_epoch_latest_start(c), 35);

    /* KIP-279 end offsets with LEO 50. */
    expect_end(c, -1, 50, -1, -1); /* undefined epoch */
    expect_end(c, 6, 50, 6, 50);   /* latest epoch: LEO */
    expect_end(c, 7, 50, -1, -1);  /* above the latest */
    expect_end(c, 4, 50, 4, 35);   /* next epoch's start */
    expect_end(c, 5, 50, 4, 35);   /* unknown epoch between: the largest below */
    expect_end(c, 2, 50, 1, 10);
    expect_end(c, 1, 50, 1, 10);
    expect_end(c, 0, 50, 0, 0); /* below every epoch: requested, first start */

    /* The file holds the same entries. */
    char *f = xasprintf("%s/%s", dir, STORAGE_LEADER_EPOCH_FILE);
    size_t len;
    uint8_t *text = tu_read_file(f, &len);
    const char *want = "0\n4\n1 0\n3 10\n4 20\n6 35\n";
    ck_assert_int_eq(len, strlen(want));
    ck_assert_int_eq(memcmp(text, want, len), 0);
    free(text);
    storage_leader_epoch_close(c);
    c = open_cache();
    expect_end(c, 5, 50, 4, 35);

    /* Truncation from the end removes epochs starting at or after the offset. */
    ck_assert_int_eq(storage_leader_epoch_truncate_from_end(c, 36), 0);
    ck_assert_int_eq(storage_leader_epoch_latest(c), 6);
    ck_assert_int_eq(storage_leader_epoch_truncate_from_end(c, 20), 0);
    ck_assert_int_eq(storage_leader_epoch_latest(c), 3);
    expect_end(c, 3, 20, 3, 20);
    expect_end(c, 4, 20, -1, -1);
    /* A higher epoch whose start is below existing entries replaces them. */
    ck_assert_int_eq(storage_leader_epoch_assign(c, 5, 8), 0);
    e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(e[1].epoch, 5);
    ck_assert_int_eq(e[1].start_offset, 8);
    /* The same epoch with a lower start offset moves it (Kafka's isUpdateNeeded). */
    ck_assert_int_eq(storage_leader_epoch_assign(c, 5, 6), 0);
    ck_assert_int_eq(storage_leader_epoch_latest_start(c), 6);
    storage_leader_epoch_close(c);

    /* Truncation from the start keeps the epoch that covers the new start. */
    write_text(f, "0\n4\n1 0\n3 10\n4 20\n6 35\n");
    c = open_cache();
    ck_assert_int_eq(storage_leader_epoch_truncate_from_start(c, 0), 0);
    e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(storage_leader_epoch_truncate_from_start(c, 15), 0);
    e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(e[0].epoch, 3);
    ck_assert_int_eq(e[0].start_offset, 15);
    ck_assert_int_eq(e[1].epoch, 4);
    ck_assert_int_eq(storage_leader_epoch_truncate_from_start(c, 20), 0);
    e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 2);
    ck_assert_int_eq(e[0].epoch, 4);
    ck_assert_int_eq(e[0].start_offset, 20);
    ck_assert_int_eq(storage_leader_epoch_truncate_from_start(c, 100), 0);
    e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(e[0].epoch, 6);
    ck_assert_int_eq(e[0].start_offset, 100);
    storage_leader_epoch_close(c);
    c = open_cache();
    ck_assert_int_eq(storage_leader_epoch_latest(c), 6);
    ck_assert_int_eq(storage_leader_epoch_latest_start(c), 100);
    ck_assert_int_eq(storage_leader_epoch_clear(c), 0);
    ck_assert_int_eq(storage_leader_epoch_latest(c), -1);
    storage_leader_epoch_close(c);
    free(f);
}
END_TEST

START_TEST(test_leader_epoch_malformed)
{
    char *f = xasprintf("%s/%s", dir, STORAGE_LEADER_EPOCH_FILE);
    static const char *bad[] = {
        "1\n0\n",       "0\n2\n1 0\n",      "0\n1\n1\n",
        "0\n1\n1 x\n",  "0\n2\n3 0\n2 5\n", "0\n2\n1 5\n2 4\n",
        "0\n1\n-1 0\n", "0\n1\n1 0\n2 2\n", "",
        "0\n99999\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(f, bad[i]);
        struct storage_leader_epoch_cache *c = NULL;
        ck_assert_msg(storage_leader_epoch_open(dir, &c) == SL_ECORRUPT, "case %zu", i);
        ck_assert_ptr_nonnull(c);
        ck_assert_int_eq(storage_leader_epoch_latest(c), -1);
        /* The cache is usable: rebuilding it rewrites the file. */
        ck_assert_int_eq(storage_leader_epoch_assign(c, 2, 7), 0);
        storage_leader_epoch_close(c);
        c = open_cache();
        ck_assert_int_eq(storage_leader_epoch_latest(c), 2);
        storage_leader_epoch_close(c);
    }
    free(f);
}
END_TEST

START_TEST(test_partition_meta)
{
    struct uuid id = uuid_random(), got;
    ck_assert_int_eq(storage_partition_meta_read(dir, &got), SL_ENOTFOUND);
    ck_assert_int_eq(storage_partition_meta_write(dir, &id), 0);
    ck_assert_int_eq(storage_partition_meta_read(dir, &got), 0);
    ck_assert(uuid_equal(&id, &got));
    char *f = xasprintf("%s/%s", dir, STORAGE_PARTITION_META_FILE);
    size_t len;
    uint8_t *text = tu_read_file(f, &len);
    char s[UUID_STR_LEN + 1];
    uuid_to_string(&id, s);
    char *want = xasprintf("version: 0\ntopic_id: %s\n", s);
    ck_assert_int_eq(len, strlen(want));
    ck_assert_int_eq(memcmp(text, want, len), 0);
    free(text);
    free(want);
    struct uuid zero = {{0}};
    ck_assert_int_eq(storage_partition_meta_write(dir, &zero), SL_EINVAL);
    write_text(f, "version: 1\ntopic_id: AAAAAAAAAAAAAAAAAAAAAA\n");
    ck_assert_int_eq(storage_partition_meta_read(dir, &got), SL_ECORRUPT);
    write_text(f, "version: 0\ntopic_id: short\n");
    ck_assert_int_eq(storage_partition_meta_read(dir, &got), SL_ECORRUPT);
    write_text(f, "version: 0\n");
    ck_assert_int_eq(storage_partition_meta_read(dir, &got), SL_ECORRUPT);
    free(f);
}
END_TEST

START_TEST(test_meta_properties)
{
    struct storage_meta_properties m = {.version = 1, .node_id = 3}, got;
    strcpy(m.cluster_id, "MkU3OEVBNTcwNTJENDM2Qg");
    ck_assert_int_eq(storage_meta_properties_read(dir, &got), SL_ENOTFOUND);
    ck_assert_int_eq(storage_meta_properties_write(dir, &m), 0);
    ck_assert_int_eq(storage_meta_properties_read(dir, &got), 0);
    ck_assert_int_eq(got.version, 1);
    ck_assert_int_eq(got.node_id, 3);
    ck_assert_str_eq(got.cluster_id, m.cluster_id);
    ck_assert(!got.has_directory_id);
    m.has_directory_id = true;
    m.directory_id = uuid_random();
    ck_assert_int_eq(storage_meta_properties_write(dir, &m), 0);
    ck_assert_int_eq(storage_meta_properties_read(dir, &got), 0);
    ck_assert(got.has_directory_id);
    ck_assert(uuid_equal(&got.directory_id, &m.directory_id));

    /* A file written by Kafka's tools, with comments and a different order. */
    char *f = xasprintf("%s/%s", dir, STORAGE_META_PROPERTIES_FILE);
    write_text(f, "#\n#Thu Jan 01 00:00:00 UTC 2026\nnode.id=12\nversion=1\n"
                  "cluster.id=4L6g3nShT-eMCtK--X86sw\n");
    ck_assert_int_eq(storage_meta_properties_read(dir, &got), 0);
    ck_assert_int_eq(got.node_id, 12);
    ck_assert_str_eq(got.cluster_id, "4L6g3nShT-eMCtK--X86sw");

    static const char *bad[] = {
        "node.id=1\ncluster.id=abc\n",             /* no version */
        "version=0\nnode.id=1\ncluster.id=abc\n",  /* ZooKeeper-era version */
        "version=1\ncluster.id=abc\n",             /* no node.id */
        "version=1\nnode.id=-2\ncluster.id=abc\n", /* bad node.id */
        "version=1\nnode.id=1\n",                  /* no cluster.id */
        "version=1\nnode.id=1\ncluster.id=a b\n",  /* bad cluster.id */
        "version=1\nnode.id=1\ncluster.id=abc\ndirectory.id=zz\n",
        "version\n", /* not a property line */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text(f, bad[i]);
        ck_assert_msg(storage_meta_properties_read(dir, &got) == SL_ECORRUPT, "case %zu", i);
    }
    m.node_id = -1;
    ck_assert_int_eq(storage_meta_properties_write(dir, &m), SL_EINVAL);
    m.node_id = 1;
    strcpy(m.cluster_id, "bad/id");
    ck_assert_int_eq(storage_meta_properties_write(dir, &m), SL_EINVAL);
    free(f);
}
END_TEST

START_TEST(test_leader_epoch_rebuild)
{
    struct storage_log_config cfg;
    storage_log_config_default(&cfg);
    cfg.segment_bytes = 300;
    struct storage_log *l = NULL;
    ck_assert_int_eq(storage_log_open(dir, &cfg, -1, &l), 0);
    /* epochs by batch: 0 0 2 2 2 5 (offsets 0, 2, 4, ...), then one without an epoch */
    int32_t epochs[] = {0, 0, 2, 2, 2, 5, -1};
    struct wbuf w;
    wbuf_init(&w, 0);
    for (int i = 0; i < 7; i++) {
        w.len = 0;
        tu_batch(&w, 2 * i, 2, 100, 50);
        be32_store(w.data + RB_OFF_LEADER_EPOCH, (uint32_t)epochs[i]);
        ck_assert_int_eq(storage_log_append(l, w.data, w.len, 0), 0);
    }
    wbuf_free(&w);
    char *f = xasprintf("%s/%s", dir, STORAGE_LEADER_EPOCH_FILE);
    write_text(f, "garbage\n");
    struct storage_leader_epoch_cache *c = NULL;
    ck_assert_int_eq(storage_leader_epoch_open(dir, &c), SL_ECORRUPT);
    ck_assert_int_eq(storage_leader_epoch_rebuild(c, l), 0);
    size_t n;
    const struct storage_epoch_entry *e = storage_leader_epoch_entries(c, &n);
    ck_assert_int_eq(n, 3);
    ck_assert_int_eq(e[0].epoch, 0);
    ck_assert_int_eq(e[0].start_offset, 0);
    ck_assert_int_eq(e[1].epoch, 2);
    ck_assert_int_eq(e[1].start_offset, 4);
    ck_assert_int_eq(e[2].epoch, 5);
    ck_assert_int_eq(e[2].start_offset, 10);
    storage_leader_epoch_close(c);
    c = open_cache();
    ck_assert_int_eq(storage_leader_epoch_latest(c), 5);
    storage_leader_epoch_close(c);
    storage_log_close(l);
    free(f);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("storage_files");
    TCase *tc = tcase_create("files");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_checkpoint_roundtrip);
    tcase_add_test(tc, test_checkpoint_malformed);
    tcase_add_test(tc, test_leader_epoch_cache);
    tcase_add_test(tc, test_leader_epoch_malformed);
    tcase_add_test(tc, test_leader_epoch_rebuild);
    tcase_add_test(tc, test_partition_meta);
    tcase_add_test(tc, test_meta_properties);
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
