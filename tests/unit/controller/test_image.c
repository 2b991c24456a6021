/*
 * Metadata image replay: records build topics, partitions, brokers, configs,
 * features and producer-id state; deltas reach listeners with old and new
 * state; records that do not apply or cannot be decoded are rejected and
 * leave the image unchanged; whole batches replay in order.
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
    u.b[15] = 0x55;
    return u;
}

static struct kstr ks(const char *s)
{
    struct kstr k = {s, s ? (int32_t)strlen(s) : 0};
    return k;
}

static int64_t next_offset;

static int replay(struct metadata_image *img, int16_t type, const void *rec)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(type, metadata_record_write_version(type), rec, &w), 0);
    int rc = metadata_image_replay(img, next_offset++, w.data, w.len);
    wbuf_free(&w);
    return rc;
}

static int add_topic(struct metadata_image *img, const char *name, struct uuid id)
{
    struct mr_topic t = {ks(name), id};
    return replay(img, MR_TOPIC, &t);
}

static int add_partition(struct metadata_image *img, struct uuid id, int32_t p, int32_t *reps,
                         int32_t n, int32_t leader)
{
    struct mr_partition pr;
    memset(&pr, 0, sizeof(pr));
    pr.partition_id = p;
    pr.topic_id = id;
    pr.replicas.n = n;
    pr.replicas.v = reps;
    pr.isr.n = n;
    pr.isr.v = reps;
    pr.leader = leader;
    return replay(img, MR_PARTITION, &pr);
}

static int register_broker(struct metadata_image *img, int32_t id, int64_t epoch, const char *rack)
{
    struct mr_broker_endpoint ep = {ks("PLAINTEXT"), ks("localhost"), (uint16_t)(9092 + id), 0};
    struct mr_register_broker r;
    memset(&r, 0, sizeof(r));
    r.broker_id = id;
    r.incarnation_id = uuid_n((uint8_t)(100 + id));
    r.broker_epoch = epoch;
    r.end_points.n = 1;
    r.end_points.v = &ep;
    r.rack = ks(rack);
    r.fenced = true;
    return replay(img, MR_REGISTER_BROKER, &r);
}

/* A listener that records what it saw. */
struct seen {
    int created, deleted, changed, brokers, configs;
    int32_t last_old_leader, last_new_leader, last_new_epoch;
    bool last_old_null;
    char last_topic[64];
    char last_config_key[64];
    bool last_config_null;
    bool broker_was_fenced, broker_now_fenced;
};

static void on_created(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    struct seen *s = ctx;
    s->created++;
    snprintf(s->last_topic, sizeof(s->last_topic), "%s", t->name);
    ck_assert_ptr_eq(metadata_image_topic_by_name(img, t->name), t);
}

static void on_deleted(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    struct seen *s = ctx;
    s->deleted++;
    snprintf(s->last_topic, sizeof(s->last_topic), "%s", t->name);
    ck_assert_ptr_null(metadata_image_topic_by_name(img, t->name));
}

static void on_partition(void *ctx, const struct metadata_image *img, const struct mi_topic *t,
                         const struct mi_partition *old, const struct mi_partition *now)
{
    struct seen *s = ctx;
    s->changed++;
    s->last_old_null = old == NULL;
    s->last_old_leader = old ? old->leader : -100;
    s->last_new_leader = now->leader;
    s->last_new_epoch = now->leader_epoch;
}

static void on_broker(void *ctx, const struct metadata_image *img, const struct mi_broker *old,
                      const struct mi_broker *now)
{
    struct seen *s = ctx;
    s->brokers++;
    s->broker_was_fenced = old ? old->fenced : true;
    s->broker_now_fenced = now->fenced;
}

static void on_config(void *ctx, const struct metadata_image *img, int8_t type, const char *name,
                      const char *key, const char *value)
{
    struct seen *s = ctx;
    s->configs++;
    snprintf(s->last_config_key, sizeof(s->last_config_key), "%s", key);
    s->last_config_null = value == NULL;
}

static struct metadata_image *new_image(struct seen *s)
{
    struct metadata_image *img = metadata_image_new();
    memset(s, 0, sizeof(*s));
    struct metadata_listener l = {s, on_created, on_partition, on_deleted, on_broker, on_config};
    metadata_image_add_listener(img, &l);
    next_offset = 0;
    return img;
}

START_TEST(topics_and_partitions)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    ck_assert_int_eq(metadata_image_offset(img), -1);
    int32_t r0[3] = {1, 2, 3}, r1[3] = {2, 3, 1};
    ck_assert_int_eq(add_topic(img, "zeta", uuid_n(1)), 0);
    ck_assert_int_eq(add_topic(img, "alpha", uuid_n(2)), 0);
    ck_assert_int_eq(add_topic(img, "mid", uuid_n(3)), 0);
    ck_assert_int_eq(s.created, 3);
    ck_assert_int_eq(add_partition(img, uuid_n(2), 0, r0, 3, 1), 0);
    ck_assert(s.last_old_null);
    ck_assert_int_eq(add_partition(img, uuid_n(2), 1, r1, 3, 2), 0);
    ck_assert_int_eq(s.changed, 2);
    ck_assert_int_eq(metadata_image_offset(img), 4);

    ck_assert_uint_eq(metadata_image_topic_count(img), 3);
    ck_assert_str_eq(metadata_image_topic_at(img, 0)->name, "alpha");
    ck_assert_str_eq(metadata_image_topic_at(img, 1)->name, "mid");
    ck_assert_str_eq(metadata_image_topic_at(img, 2)->name, "zeta");
    ck_assert_ptr_null(metadata_image_topic_at(img, 3));
    const struct mi_topic *t = metadata_image_topic_by_name(img, "alpha");
    ck_assert_ptr_nonnull(t);
    struct uuid id2 = uuid_n(2);
    ck_assert_ptr_eq(metadata_image_topic_by_id(img, &id2), t);
    ck_assert_int_eq(t->npartitions, 2);
    const struct mi_partition *p1 = metadata_image_partition(t, 1);
    ck_assert_int_eq(p1->leader, 2);
    ck_assert_int_eq(p1->nreplicas, 3);
    ck_assert_int_eq(p1->replicas[0], 2);
    ck_assert(mi_partition_has_replica(p1, 1));
    ck_assert(mi_partition_in_isr(p1, 3));
    ck_assert(!mi_partition_has_replica(p1, 9));
    ck_assert_ptr_null(metadata_image_partition(t, 2));
    ck_assert_ptr_null(metadata_image_partition(t, -1));

    /* Rejected: duplicate name, duplicate id, zero id, unknown topic, partition gap. */
    ck_assert_int_eq(add_topic(img, "alpha", uuid_n(9)), SL_EINVAL);
    ck_assert_int_eq(add_topic(img, "other", uuid_n(1)), SL_EINVAL);
    ck_assert_int_eq(add_topic(img, "other", (struct uuid){{0}}), SL_EINVAL);
    ck_assert_int_eq(add_partition(img, uuid_n(77), 0, r0, 3, 1), SL_EINVAL);
    ck_assert_int_eq(add_partition(img, uuid_n(2), 5, r0, 3, 1), SL_EINVAL);
    ck_assert_uint_eq(metadata_image_topic_count(img), 3);
    ck_assert_int_eq(s.created, 3);
    ck_assert_int_eq(metadata_image_offset(img), 9); /* the offset advances anyway */

    /* Remove: gone from every index, configs dropped, listener told. */
    struct mr_config c = {MR_RESOURCE_TOPIC, ks("alpha"), ks("retention.ms"), ks("5")};
    ck_assert_int_eq(replay(img, MR_CONFIG, &c), 0);
    ck_assert_str_eq(metadata_image_config(img, MR_RESOURCE_TOPIC, "alpha", "retention.ms"), "5");
    struct mr_remove_topic rt = {uuid_n(2)};
    ck_assert_int_eq(replay(img, MR_REMOVE_TOPIC, &rt), 0);
    ck_assert_int_eq(s.deleted, 1);
    ck_assert_str_eq(s.last_topic, "alpha");
    ck_assert_ptr_null(metadata_image_topic_by_name(img, "alpha"));
    ck_assert_ptr_null(metadata_image_topic_by_id(img, &id2));
    ck_assert_ptr_null(metadata_image_config(img, MR_RESOURCE_TOPIC, "alpha", "retention.ms"));
    ck_assert_uint_eq(metadata_image_topic_count(img), 2);
    ck_assert_str_eq(metadata_image_topic_at(img, 0)->name, "mid");
    ck_assert_int_eq(replay(img, MR_REMOVE_TOPIC, &rt), SL_EINVAL);
    /* The name can be reused with a new id. */
    ck_assert_int_eq(add_topic(img, "alpha", uuid_n(4)), 0);
    metadata_image_free(img);
}
END_TEST

START_TEST(partition_change_merge)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    int32_t reps[3] = {1, 2, 3};
    ck_assert_int_eq(add_topic(img, "t", uuid_n(1)), 0);
    ck_assert_int_eq(add_partition(img, uuid_n(1), 0, reps, 3, 1), 0);

    /* ISR shrink only: partition epoch +1, leader epoch unchanged. */
    int32_t isr[2] = {1, 3};
    struct mr_partition_change pc;
    metadata_partition_change_init(&pc);
    pc.partition_id = 0;
    pc.topic_id = uuid_n(1);
    pc.isr.n = 2;
    pc.isr.v = isr;
    ck_assert_int_eq(replay(img, MR_PARTITION_CHANGE, &pc), 0);
    const struct mi_partition *p =
        metadata_image_partition(metadata_image_topic_by_name(img, "t"), 0);
    ck_assert_int_eq(p->nisr, 2);
    ck_assert_int_eq(p->isr[1], 3);
    ck_assert_int_eq(p->leader, 1);
    ck_assert_int_eq(p->leader_epoch, 0);
    ck_assert_int_eq(p->partition_epoch, 1);
    ck_assert_int_eq(s.last_old_leader, 1);

    /* Leader change to broker 3: leader epoch +1; ISR untouched. */
    metadata_partition_change_init(&pc);
    pc.partition_id = 0;
    pc.topic_id = uuid_n(1);
    pc.leader = 3;
    ck_assert_int_eq(replay(img, MR_PARTITION_CHANGE, &pc), 0);
    p = metadata_image_partition(metadata_image_topic_by_name(img, "t"), 0);
    ck_assert_int_eq(p->leader, 3);
    ck_assert_int_eq(p->leader_epoch, 1);
    ck_assert_int_eq(p->partition_epoch, 2);
    ck_assert_int_eq(p->nisr, 2);
    ck_assert_int_eq(s.last_old_leader, 1);
    ck_assert_int_eq(s.last_new_leader, 3);
    ck_assert_int_eq(s.last_new_epoch, 1);

    /* Leader to broker 0 must not read as "unchanged", and no leader (-1). */
    int32_t reps0[2] = {0, 3};
    metadata_partition_change_init(&pc);
    pc.partition_id = 0;
    pc.topic_id = uuid_n(1);
    pc.replicas.n = 2;
    pc.replicas.v = reps0;
    pc.leader = 0;
    ck_assert_int_eq(replay(img, MR_PARTITION_CHANGE, &pc), 0);
    p = metadata_image_partition(metadata_image_topic_by_name(img, "t"), 0);
    ck_assert_int_eq(p->leader, 0);
    ck_assert_int_eq(p->nreplicas, 2);
    ck_assert_int_eq(p->leader_epoch, 2);
    pc.replicas.n = -1;
    pc.leader = MR_NO_LEADER;
    pc.leader_recovery_state = MR_LRS_RECOVERING;
    ck_assert_int_eq(replay(img, MR_PARTITION_CHANGE, &pc), 0);
    p = metadata_image_partition(metadata_image_topic_by_name(img, "t"), 0);
    ck_assert_int_eq(p->leader, -1);
    ck_assert_int_eq(p->leader_recovery_state, 1);
    ck_assert_int_eq(p->partition_epoch, 4);

    /* Unknown partition / topic. */
    pc.partition_id = 1;
    ck_assert_int_eq(replay(img, MR_PARTITION_CHANGE, &pc), SL_EINVAL);
    pc.partition_id = 0;
    pc.topic_id = uuid_n(9);
    ck_assert_int_eq(replay(img, MR_PARTITION_CHANGE, &pc), SL_EINVAL);

    /* A PartitionRecord for an existing partition replaces it (old state reported). */
    ck_assert_int_eq(add_partition(img, uuid_n(1), 0, reps, 3, 2), 0);
    ck_assert(!s.last_old_null);
    ck_assert_int_eq(s.last_old_leader, -1);
    ck_assert_int_eq(s.last_new_leader, 2);
    metadata_image_free(img);
}
END_TEST

START_TEST(brokers_fencing)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    ck_assert_int_eq(register_broker(img, 3, 10, "r1"), 0);
    ck_assert_int_eq(register_broker(img, 1, 11, NULL), 0);
    ck_assert_int_eq(register_broker(img, 2, 12, "r2"), 0);
    ck_assert_uint_eq(metadata_image_broker_count(img), 3);
    ck_assert_int_eq(metadata_image_broker_at(img, 0)->id, 1);
    ck_assert_int_eq(metadata_image_broker_at(img, 2)->id, 3);
    const struct mi_broker *b = metadata_image_broker(img, 3);
    ck_assert_int_eq(b->epoch, 10);
    ck_assert(b->fenced);
    ck_assert_str_eq(b->rack, "r1");
    ck_assert_int_eq(b->nendpoints, 1);
    ck_assert_str_eq(b->endpoints[0].host, "localhost");
    ck_assert_int_eq(b->endpoints[0].port, 9095);
    ck_assert_ptr_null(metadata_image_broker(img, 1)->rack);
    ck_assert_ptr_null(metadata_image_broker(img, 4));

    struct mr_broker_fencing f = {3, 10};
    ck_assert_int_eq(replay(img, MR_UNFENCE_BROKER, &f), 0);
    ck_assert(!metadata_image_broker(img, 3)->fenced);
    ck_assert(s.broker_was_fenced);
    ck_assert(!s.broker_now_fenced);
    /* Stale epoch and unknown broker are rejected. */
    struct mr_broker_fencing stale = {3, 9};
    ck_assert_int_eq(replay(img, MR_FENCE_BROKER, &stale), SL_EINVAL);
    ck_assert(!metadata_image_broker(img, 3)->fenced);
    struct mr_broker_fencing unknown = {8, 1};
    ck_assert_int_eq(replay(img, MR_UNFENCE_BROKER, &unknown), SL_EINVAL);
    ck_assert_int_eq(replay(img, MR_FENCE_BROKER, &f), 0);
    ck_assert(metadata_image_broker(img, 3)->fenced);
    /* Re-registration replaces the broker with its new epoch. */
    ck_assert_int_eq(register_broker(img, 3, 20, "r3"), 0);
    ck_assert_int_eq(metadata_image_broker(img, 3)->epoch, 20);
    ck_assert_str_eq(metadata_image_broker(img, 3)->rack, "r3");
    ck_assert_uint_eq(metadata_image_broker_count(img), 3);
    ck_assert_int_eq(s.brokers, 6);
    metadata_image_free(img);
}
END_TEST

START_TEST(registration_change)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    ck_assert_int_eq(register_broker(img, 2, 10, NULL), 0);
    ck_assert(metadata_image_broker(img, 2)->fenced);
    struct mr_broker_registration_change rc = {
        .broker_id = 2, .broker_epoch = 10, .fenced = MR_FENCING_UNFENCE};
    ck_assert_int_eq(replay(img, MR_BROKER_REGISTRATION_CHANGE, &rc), 0);
    ck_assert(!metadata_image_broker(img, 2)->fenced);
    ck_assert(!s.broker_now_fenced);
    rc.fenced = MR_FENCING_NONE;
    rc.in_controlled_shutdown = MR_CONTROLLED_SHUTDOWN_ENTER;
    ck_assert_int_eq(replay(img, MR_BROKER_REGISTRATION_CHANGE, &rc), 0);
    ck_assert(metadata_image_broker(img, 2)->in_controlled_shutdown);
    ck_assert(!metadata_image_broker(img, 2)->fenced);
    /* Another registration's epoch, unknown brokers and bad values do not apply. */
    struct mr_broker_registration_change stale = {
        .broker_id = 2, .broker_epoch = 9, .fenced = MR_FENCING_FENCE};
    ck_assert_int_eq(replay(img, MR_BROKER_REGISTRATION_CHANGE, &stale), SL_EINVAL);
    stale.broker_id = 5;
    ck_assert_int_eq(replay(img, MR_BROKER_REGISTRATION_CHANGE, &stale), SL_EINVAL);
    struct mr_broker_registration_change bad = {.broker_id = 2, .broker_epoch = 10, .fenced = 7};
    ck_assert_int_eq(replay(img, MR_BROKER_REGISTRATION_CHANGE, &bad), SL_EINVAL);
    ck_assert(!metadata_image_broker(img, 2)->fenced);
    /* Fencing ends the controlled shutdown. */
    rc.fenced = MR_FENCING_FENCE;
    rc.in_controlled_shutdown = MR_CONTROLLED_SHUTDOWN_NONE;
    ck_assert_int_eq(replay(img, MR_BROKER_REGISTRATION_CHANGE, &rc), 0);
    ck_assert(metadata_image_broker(img, 2)->fenced);
    ck_assert(!metadata_image_broker(img, 2)->in_controlled_shutdown);
    ck_assert(s.broker_now_fenced);
    metadata_image_free(img);
}
END_TEST

START_TEST(configs_features_producer_ids)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    struct mr_config c1 = {MR_RESOURCE_BROKER, ks(""), ks("log.retention.ms"), ks("100")};
    struct mr_config c2 = {MR_RESOURCE_BROKER, ks("1"), ks("log.retention.ms"), ks("200")};
    struct mr_config c3 = {MR_RESOURCE_TOPIC, ks("t"), ks("cleanup.policy"), ks("compact")};
    ck_assert_int_eq(replay(img, MR_CONFIG, &c1), 0);
    ck_assert_int_eq(replay(img, MR_CONFIG, &c2), 0);
    ck_assert_int_eq(replay(img, MR_CONFIG, &c3), 0);
    ck_assert_str_eq(metadata_image_config(img, MR_RESOURCE_BROKER, "", "log.retention.ms"), "100");
    ck_assert_str_eq(metadata_image_config(img, MR_RESOURCE_BROKER, "1", "log.retention.ms"),
                     "200");
    ck_assert_str_eq(metadata_image_config(img, MR_RESOURCE_TOPIC, "t", "cleanup.policy"),
                     "compact");
    ck_assert_ptr_null(metadata_image_config(img, MR_RESOURCE_TOPIC, "t", "retention.ms"));
    size_t it = 0;
    const char *k, *v;
    int n = 0;
    while (metadata_image_config_next(img, MR_RESOURCE_TOPIC, "t", &it, &k, &v))
        n++;
    ck_assert_int_eq(n, 1);
    c3.value = ks(NULL);
    ck_assert_int_eq(replay(img, MR_CONFIG, &c3), 0);
    ck_assert_ptr_null(metadata_image_config(img, MR_RESOURCE_TOPIC, "t", "cleanup.policy"));
    ck_assert(s.last_config_null);
    ck_assert_str_eq(s.last_config_key, "cleanup.policy");
    ck_assert_int_eq(s.configs, 4);
    struct mr_config bad = {16, ks("x"), ks("y"), ks("z")};
    ck_assert_int_eq(replay(img, MR_CONFIG, &bad), SL_EINVAL);

    struct mr_feature_level f1 = {ks("metadata.version"), 25};
    struct mr_feature_level f2 = {ks("group.version"), 1};
    ck_assert_int_eq(replay(img, MR_FEATURE_LEVEL, &f1), 0);
    ck_assert_int_eq(replay(img, MR_FEATURE_LEVEL, &f2), 0);
    ck_assert_int_eq(metadata_image_feature_level(img, "metadata.version"), 25);
    ck_assert_uint_eq(metadata_image_feature_count(img), 2);
    const char *fname;
    int16_t lvl;
    ck_assert(metadata_image_feature_at(img, 0, &fname, &lvl));
    ck_assert_str_eq(fname, "group.version");
    f2.feature_level = 0;
    ck_assert_int_eq(replay(img, MR_FEATURE_LEVEL, &f2), 0);
    ck_assert_uint_eq(metadata_image_feature_count(img), 1);
    ck_assert_int_eq(metadata_image_feature_level(img, "group.version"), 0);

    ck_assert_int_eq(metadata_image_next_producer_id(img), 0);
    struct mr_producer_ids p1 = {1, 5, 1000};
    ck_assert_int_eq(replay(img, MR_PRODUCER_IDS, &p1), 0);
    ck_assert_int_eq(metadata_image_next_producer_id(img), 1000);
    ck_assert_int_eq(replay(img, MR_PRODUCER_IDS, &p1), SL_EINVAL); /* not increasing */
    ck_assert_int_eq(metadata_image_next_producer_id(img), 1000);
    struct mr_no_op no = {0};
    ck_assert_int_eq(replay(img, MR_NO_OP, &no), 0);
    metadata_image_free(img);
}
END_TEST

START_TEST(malformed_values_rejected)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    uint8_t garbage[] = {1, 2, 0, 0x7f, 'x'};
    ck_assert_int_eq(metadata_image_replay(img, 5, garbage, sizeof(garbage)), SL_ECORRUPT);
    uint8_t unknown[] = {1, 26, 0, 0};
    ck_assert_int_eq(metadata_image_replay(img, 6, unknown, sizeof(unknown)), SL_EUNSUPPORTED);
    ck_assert_int_eq(metadata_image_replay(img, 7, NULL, 0), SL_ECORRUPT);
    ck_assert_int_eq(metadata_image_offset(img), 7);
    ck_assert_uint_eq(metadata_image_topic_count(img), 0);
    /* Every prefix of a valid record fails cleanly. */
    struct mr_topic t = {ks("orders"), uuid_n(1)};
    struct wbuf w;
    wbuf_init(&w, 0);
    metadata_record_encode(MR_TOPIC, 0, &t, &w);
    for (size_t n = 0; n < w.len; n++)
        ck_assert_int_ne(metadata_image_replay(img, 8, w.data, n), 0);
    ck_assert_uint_eq(metadata_image_topic_count(img), 0);
    ck_assert_int_eq(metadata_image_replay(img, 9, w.data, w.len), 0);
    ck_assert_uint_eq(metadata_image_topic_count(img), 1);
    wbuf_free(&w);
    metadata_image_free(img);
}
END_TEST

static void add_rec(struct rb_builder *b, int16_t type, const void *rec)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(type, metadata_record_write_version(type), rec, &w), 0);
    rb_builder_add(b, 0, NULL, -1, w.data, (int32_t)w.len, NULL, 0);
    wbuf_free(&w);
}

START_TEST(batch_replay)
{
    struct seen s;
    struct metadata_image *img = new_image(&s);
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, 10, 0);
    struct mr_topic t = {ks("orders"), uuid_n(1)};
    add_rec(&b, MR_TOPIC, &t);
    int32_t reps[1] = {1};
    struct mr_partition pr;
    memset(&pr, 0, sizeof(pr));
    pr.topic_id = uuid_n(1);
    pr.replicas.n = 1;
    pr.replicas.v = reps;
    pr.isr.n = 1;
    pr.isr.v = reps;
    pr.leader = 1;
    add_rec(&b, MR_PARTITION, &pr);
    pr.partition_id = 1;
    add_rec(&b, MR_PARTITION, &pr);
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);
    ck_assert_int_eq(metadata_image_replay_batch(img, w.data, w.len), 0);
    ck_assert_int_eq(metadata_image_offset(img), 12);
    ck_assert_int_eq(metadata_image_topic_by_name(img, "orders")->npartitions, 2);

    /* A corrupted copy (bad CRC) and a truncated one are refused as a whole. */
    uint8_t *bad = malloc(w.len);
    memcpy(bad, w.data, w.len);
    bad[w.len - 1] ^= 0xff;
    ck_assert_int_eq(metadata_image_replay_batch(img, bad, w.len), SL_ECORRUPT);
    ck_assert_int_eq(metadata_image_replay_batch(img, w.data, w.len - 1), SL_ECORRUPT);
    free(bad);
    wbuf_free(&w);

    /* A control batch advances the offset only. */
    rb_builder_init(&b, RB_COMPRESSION_NONE, 13, 0);
    rb_builder_add_control(&b, 0, RB_CONTROL_LEADER_CHANGE, "x", 1);
    wbuf_init(&w, 0);
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);
    ck_assert_int_eq(metadata_image_replay_batch(img, w.data, w.len), 0);
    ck_assert_int_eq(metadata_image_offset(img), 13);
    ck_assert_uint_eq(metadata_image_topic_count(img), 1);
    wbuf_free(&w);
    metadata_image_free(img);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("metadata_image");
    TCase *tc = tcase_create("image");
    tcase_add_test(tc, topics_and_partitions);
    tcase_add_test(tc, partition_change_merge);
    tcase_add_test(tc, brokers_fencing);
    tcase_add_test(tc, registration_change);
    tcase_add_test(tc, configs_features_producer_ids);
    tcase_add_test(tc, malformed_values_rejected);
    tcase_add_test(tc, batch_replay);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
