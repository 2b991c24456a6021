/*
 * KIP-630 metadata snapshots of the image: image -> snapshot -> fresh image
 * gives the same topics, partitions, brokers (with fencing and controlled
 * shutdown), configs, features and producer ids; the framing is a
 * SnapshotHeader control batch first and a SnapshotFooter last; listeners of
 * the loading image see the deltas; truncated, bit-flipped, header- or
 * footer-less snapshots are rejected and leave the image unchanged.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "metadata_image.h"
#include "metadata_records.h"
#include "record_batch.h"

static struct uuid uuid_n(uint8_t n)
{
    struct uuid u;
    memset(&u, 0, sizeof(u));
    u.b[0] = n;
    u.b[15] = 0x77;
    return u;
}

static struct kstr ks(const char *s)
{
    struct kstr k = {s, s ? (int32_t)strlen(s) : -1};
    return k;
}

static int64_t next_offset;

static void replay(struct metadata_image *img, int16_t type, const void *rec)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(type, metadata_record_write_version(type), rec, &w), 0);
    ck_assert_int_eq(metadata_image_replay(img, next_offset++, w.data, w.len), 0);
    wbuf_free(&w);
}

static void add_broker(struct metadata_image *img, int32_t id, const char *rack, bool fenced,
                       bool shutdown)
{
    struct mr_broker_endpoint ep[2] = {
        {ks("PLAINTEXT"), ks("host-a"), (uint16_t)(9092 + id), 0},
        {ks("INTERNAL"), ks("host-b"), (uint16_t)(19092 + id), 1},
    };
    struct mr_broker_feature f = {ks("metadata.version"), 1, 25};
    struct mr_register_broker r;
    memset(&r, 0, sizeof(r));
    r.broker_id = id;
    r.incarnation_id = uuid_n((uint8_t)(200 + id));
    r.broker_epoch = next_offset;
    r.end_points.n = 2;
    r.end_points.v = ep;
    r.features.n = 1;
    r.features.v = &f;
    r.rack = ks(rack);
    r.fenced = true;
    int64_t epoch = next_offset;
    replay(img, MR_REGISTER_BROKER, &r);
    if (!fenced) {
        struct mr_broker_fencing u = {id, epoch};
        replay(img, MR_UNFENCE_BROKER, &u);
    }
    if (shutdown) {
        struct mr_broker_registration_change c = {.broker_id = id,
                                                  .broker_epoch = epoch,
                                                  .fenced = MR_FENCING_NONE,
                                                  .in_controlled_shutdown =
                                                      MR_CONTROLLED_SHUTDOWN_ENTER};
        replay(img, MR_BROKER_REGISTRATION_CHANGE, &c);
    }
}

static void add_topic(struct metadata_image *img, const char *name, uint8_t idn, int32_t nparts)
{
    struct mr_topic t = {ks(name), uuid_n(idn)};
    replay(img, MR_TOPIC, &t);
    for (int32_t p = 0; p < nparts; p++) {
        int32_t reps[3] = {p % 3, (p + 1) % 3, (p + 2) % 3};
        struct mr_partition pr;
        memset(&pr, 0, sizeof(pr));
        pr.partition_id = p;
        pr.topic_id = uuid_n(idn);
        pr.replicas.n = 3;
        pr.replicas.v = reps;
        pr.isr.n = 2;
        pr.isr.v = reps;
        pr.leader = reps[0];
        pr.leader_epoch = p;
        pr.partition_epoch = 2 * p;
        replay(img, MR_PARTITION, &pr);
    }
}

/* A populated image: 3 brokers, many topics, configs, features, producer ids, a change. */
static struct metadata_image *populated(int ntopics)
{
    struct metadata_image *img = metadata_image_new();
    next_offset = 0;
    struct mr_feature_level fl = {ks("metadata.version"), 25};
    replay(img, MR_FEATURE_LEVEL, &fl);
    add_broker(img, 0, "rack-a", false, false);
    add_broker(img, 1, NULL, true, false);
    add_broker(img, 2, "rack-c", false, true);
    for (int i = 0; i < ntopics; i++) {
        char name[32];
        snprintf(name, sizeof name, "topic-%03d", i);
        add_topic(img, name, (uint8_t)(i + 1), 1 + i % 4);
    }
    struct mr_partition_change pc;
    metadata_partition_change_init(&pc);
    pc.topic_id = uuid_n(1);
    pc.partition_id = 0;
    pc.leader = 2;
    replay(img, MR_PARTITION_CHANGE, &pc);
    struct mr_config c1 = {MR_RESOURCE_TOPIC, ks("topic-001"), ks("cleanup.policy"), ks("compact")};
    struct mr_config c2 = {MR_RESOURCE_BROKER, ks(""), ks("log.retention.ms"), ks("100")};
    struct mr_config c3 = {MR_RESOURCE_BROKER, ks("1"), ks("num.io.threads"), ks("4")};
    replay(img, MR_CONFIG, &c1);
    replay(img, MR_CONFIG, &c2);
    replay(img, MR_CONFIG, &c3);
    struct mr_producer_ids pid = {0, 1, 5000};
    replay(img, MR_PRODUCER_IDS, &pid);
    return img;
}

static bool same_i32(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

static bool same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void assert_configs_equal(const struct metadata_image *a, const struct metadata_image *b,
                                 int8_t type, const char *name)
{
    size_t it = 0;
    const char *k, *v;
    int n = 0;
    while (metadata_image_config_next(a, type, name, &it, &k, &v)) {
        ck_assert_str_eq(metadata_image_config(b, type, name, k), v);
        n++;
    }
    it = 0;
    while (metadata_image_config_next(b, type, name, &it, &k, &v))
        n--;
    ck_assert_int_eq(n, 0);
}

static void assert_images_equal(const struct metadata_image *a, const struct metadata_image *b)
{
    ck_assert_uint_eq(metadata_image_topic_count(a), metadata_image_topic_count(b));
    for (size_t i = 0; i < metadata_image_topic_count(a); i++) {
        const struct mi_topic *ta = metadata_image_topic_at(a, i);
        const struct mi_topic *tb = metadata_image_topic_by_id(b, &ta->id);
        ck_assert_ptr_nonnull(tb);
        ck_assert_str_eq(ta->name, tb->name);
        ck_assert_int_eq(ta->npartitions, tb->npartitions);
        for (int32_t p = 0; p < ta->npartitions; p++) {
            const struct mi_partition *pa = &ta->partitions[p], *pb = &tb->partitions[p];
            ck_assert(same_i32(pa->replicas, pa->nreplicas, pb->replicas, pb->nreplicas));
            ck_assert(same_i32(pa->isr, pa->nisr, pb->isr, pb->nisr));
            ck_assert_int_eq(pa->leader, pb->leader);
            ck_assert_int_eq(pa->leader_epoch, pb->leader_epoch);
            ck_assert_int_eq(pa->partition_epoch, pb->partition_epoch);
            ck_assert_int_eq(pa->leader_recovery_state, pb->leader_recovery_state);
        }
        assert_configs_equal(a, b, MR_RESOURCE_TOPIC, ta->name);
    }
    ck_assert_uint_eq(metadata_image_broker_count(a), metadata_image_broker_count(b));
    for (size_t i = 0; i < metadata_image_broker_count(a); i++) {
        const struct mi_broker *ba = metadata_image_broker_at(a, i);
        const struct mi_broker *bb = metadata_image_broker(b, ba->id);
        ck_assert_ptr_nonnull(bb);
        ck_assert_int_eq(ba->epoch, bb->epoch);
        ck_assert(uuid_equal(&ba->incarnation_id, &bb->incarnation_id));
        ck_assert(same_str(ba->rack, bb->rack));
        ck_assert_int_eq(ba->fenced, bb->fenced);
        ck_assert_int_eq(ba->in_controlled_shutdown, bb->in_controlled_shutdown);
        ck_assert_int_eq(ba->nendpoints, bb->nendpoints);
        for (int32_t e = 0; e < ba->nendpoints; e++) {
            ck_assert_str_eq(ba->endpoints[e].name, bb->endpoints[e].name);
            ck_assert_str_eq(ba->endpoints[e].host, bb->endpoints[e].host);
            ck_assert_int_eq(ba->endpoints[e].port, bb->endpoints[e].port);
            ck_assert_int_eq(ba->endpoints[e].security_protocol,
                             bb->endpoints[e].security_protocol);
        }
        ck_assert_int_eq(ba->nfeatures, bb->nfeatures);
        for (int32_t f = 0; f < ba->nfeatures; f++) {
            ck_assert_str_eq(ba->features[f].name, bb->features[f].name);
            ck_assert_int_eq(ba->features[f].max_supported, bb->features[f].max_supported);
        }
        char id[16];
        snprintf(id, sizeof id, "%d", ba->id);
        assert_configs_equal(a, b, MR_RESOURCE_BROKER, id);
    }
    assert_configs_equal(a, b, MR_RESOURCE_BROKER, "");
    ck_assert_uint_eq(metadata_image_feature_count(a), metadata_image_feature_count(b));
    ck_assert_int_eq(metadata_image_feature_level(b, "metadata.version"),
                     metadata_image_feature_level(a, "metadata.version"));
    ck_assert_int_eq(metadata_image_next_producer_id(a), metadata_image_next_producer_id(b));
}

struct seen {
    int created, deleted, partitions, brokers, configs, config_removals;
};

static void on_created(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    ((struct seen *)ctx)->created++;
    ck_assert_ptr_eq(metadata_image_topic_by_name(img, t->name), t);
}

static void on_deleted(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    ((struct seen *)ctx)->deleted++;
    ck_assert_ptr_null(metadata_image_topic_by_id(img, &t->id));
}

static void on_partition(void *ctx, const struct metadata_image *img, const struct mi_topic *t,
                         const struct mi_partition *old, const struct mi_partition *now)
{
    (void)img;
    (void)t;
    (void)old;
    (void)now;
    ((struct seen *)ctx)->partitions++;
}

static void on_broker(void *ctx, const struct metadata_image *img, const struct mi_broker *old,
                      const struct mi_broker *now)
{
    (void)img;
    (void)old;
    (void)now;
    ((struct seen *)ctx)->brokers++;
}

static void on_config(void *ctx, const struct metadata_image *img, int8_t type, const char *name,
                      const char *key, const char *value)
{
    (void)img;
    (void)type;
    (void)name;
    (void)key;
    struct seen *s = ctx;
    if (value)
        s->configs++;
    else
        s->config_removals++;
}

static void take(const struct metadata_image *img, struct wbuf *w)
{
    wbuf_init(w, 1024);
    ck_assert_int_eq(metadata_image_write_snapshot(img, metadata_image_offset(img) + 1, 7, w), 0);
}

START_TEST(round_trip)
{
    struct metadata_image *a = populated(120);
    struct wbuf w;
    take(a, &w);

    /* Framing: header control batch first, footer last, offsets from 0, epoch stamped. */
    size_t pos = 0, n = 0;
    const uint8_t *batch;
    size_t blen;
    int64_t expect = 0;
    struct rb_header first = {0}, last = {0};
    while (rb_split(w.data, w.len, &pos, &batch, &blen) == 1) {
        struct rb_header h;
        ck_assert_int_eq(rb_header_parse(batch, blen, &h), 0);
        ck_assert_int_eq(rb_crc_check(batch, blen), 0);
        ck_assert_int_eq(h.base_offset, expect);
        ck_assert_int_eq(h.partition_leader_epoch, 7);
        expect = rb_header_last_offset(&h) + 1;
        if (n++ == 0)
            first = h;
        last = h;
    }
    ck_assert_uint_eq(pos, w.len);
    ck_assert_uint_ge(n, 3);
    ck_assert(first.attributes & RB_ATTR_CONTROL);
    ck_assert(last.attributes & RB_ATTR_CONTROL);

    struct metadata_image *b = metadata_image_new();
    struct seen s = {0};
    struct metadata_listener l = {&s, on_created, on_partition, on_deleted, on_broker, on_config};
    metadata_image_add_listener(b, &l);
    ck_assert_int_eq(metadata_image_load_snapshot(b, w.data, w.len), 0);
    assert_images_equal(a, b);
    ck_assert_int_eq(s.created, 120);
    ck_assert_int_eq(s.deleted, 0);
    ck_assert_int_eq(s.brokers, 3);
    ck_assert_int_eq(s.configs, 3);
    int parts = 0;
    for (int i = 0; i < 120; i++)
        parts += 1 + i % 4;
    ck_assert_int_eq(s.partitions, parts);

    /* A snapshot of the loaded image is the same state again. */
    metadata_image_set_offset(b, metadata_image_offset(a));
    struct wbuf w2;
    take(b, &w2);
    struct metadata_image *c = metadata_image_new();
    ck_assert_int_eq(metadata_image_load_snapshot(c, w2.data, w2.len), 0);
    assert_images_equal(a, c);
    wbuf_free(&w2);
    metadata_image_free(c);

    /* Loading over a populated image: deleted topics and removed keys are reported. */
    struct metadata_image *small = populated(2);
    struct wbuf ws;
    take(small, &ws);
    memset(&s, 0, sizeof s);
    ck_assert_int_eq(metadata_image_load_snapshot(b, ws.data, ws.len), 0);
    assert_images_equal(small, b);
    ck_assert_int_eq(s.deleted, 118);
    ck_assert_int_eq(s.created, 0);
    ck_assert_int_eq(s.config_removals, 0);
    wbuf_free(&ws);
    metadata_image_free(small);

    wbuf_free(&w);
    metadata_image_free(a);
    metadata_image_free(b);
}
END_TEST

START_TEST(empty_image)
{
    struct metadata_image *a = metadata_image_new();
    struct wbuf w;
    wbuf_init(&w, 64);
    ck_assert_int_eq(metadata_image_write_snapshot(a, 0, 0, &w), 0);
    struct metadata_image *b = metadata_image_new();
    ck_assert_int_eq(metadata_image_load_snapshot(b, w.data, w.len), 0);
    assert_images_equal(a, b);
    /* An end offset the image already passed is refused. */
    metadata_image_set_offset(a, 10);
    size_t len = w.len;
    ck_assert_int_eq(metadata_image_write_snapshot(a, 5, 0, &w), SL_EINVAL);
    ck_assert_uint_eq(w.len, len);
    wbuf_free(&w);
    metadata_image_free(a);
    metadata_image_free(b);
}
END_TEST

START_TEST(corrupt_rejected)
{
    struct metadata_image *a = populated(10);
    struct wbuf w;
    take(a, &w);
    struct metadata_image *b = populated(3);
    size_t before = metadata_image_topic_count(b);

    /* Every truncation is rejected (a cut on a batch boundary loses the footer). */
    for (size_t cut = 0; cut < w.len; cut += 7)
        ck_assert_int_eq(metadata_image_load_snapshot(b, w.data, cut), SL_ECORRUPT);
    ck_assert_int_eq(metadata_image_load_snapshot(b, NULL, 0), SL_ECORRUPT);
    /* Every flipped byte is rejected: CRC, header fields, lengths. */
    uint8_t *copy = malloc(w.len);
    for (size_t i = 0; i < w.len; i += 3) {
        memcpy(copy, w.data, w.len);
        copy[i] ^= 0x5a;
        ck_assert_msg(metadata_image_load_snapshot(b, copy, w.len) == SL_ECORRUPT,
                      "flip at byte %zu of %zu accepted", i, w.len);
    }
    free(copy);
    ck_assert_uint_eq(metadata_image_topic_count(b), before);

    /* Without the header batch (the first one), or with trailing data after the footer. */
    size_t pos = 0;
    const uint8_t *batch;
    size_t blen;
    ck_assert_int_eq(rb_split(w.data, w.len, &pos, &batch, &blen), 1);
    ck_assert_int_eq(metadata_image_load_snapshot(b, w.data + pos, w.len - pos), SL_ECORRUPT);
    struct wbuf twice;
    wbuf_init(&twice, 2 * w.len);
    wbuf_bytes(&twice, w.data, w.len);
    wbuf_bytes(&twice, w.data, w.len);
    ck_assert_int_eq(metadata_image_load_snapshot(b, twice.data, twice.len), SL_ECORRUPT);
    wbuf_free(&twice);
    ck_assert_uint_eq(metadata_image_topic_count(b), before);

    wbuf_free(&w);
    metadata_image_free(a);
    metadata_image_free(b);
}
END_TEST

int main(void)
{
    log_set_level((enum log_level)(LOG_LEVEL_ERROR + 1)); /* corrupt input is logged */
    Suite *s = suite_create("metadata_snapshot");
    TCase *tc = tcase_create("snapshot");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, round_trip);
    tcase_add_test(tc, empty_image);
    tcase_add_test(tc, corrupt_rejected);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
