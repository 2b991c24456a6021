/*
 * The active controller against an in-memory quorum (commits on demand):
 * CreateTopics validation and placement, validate_only, configs, manual
 * assignments, DeleteTopics, CreatePartitions, producer-id blocks, broker
 * registration, NOT_CONTROLLER handling and strict one-at-a-time ordering.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "err.h"
#include "fake_quorum.h"
#include "kafka.h"
#include "log.h"
#include "metadata_image.h"
#include "topic_config.h"

struct env {
    struct metadata_image *img;
    struct controller *c;
    struct fake_quorum *fq;
};

/* ---- result capture ---- */

#define MAXR 16
struct captured {
    int calls;
    int n;
    int16_t err[MAXR];
    char msg[MAXR][512];
    struct uuid id[MAXR];
    int32_t nparts[MAXR];
    int16_t rf[MAXR];
    int32_t nconfigs[MAXR];
    char retention[MAXR][32];
    int8_t retention_source[MAXR];
    char name[MAXR][300];
};

static void cap_create(void *ctx, const struct ctl_create_topic_result *r, int32_t n)
{
    struct captured *c = ctx;
    c->calls++;
    c->n = n;
    for (int32_t i = 0; i < n && i < MAXR; i++) {
        c->err[i] = r[i].error_code;
        snprintf(c->msg[i], sizeof(c->msg[i]), "%s", r[i].error_message ? r[i].error_message : "");
        snprintf(c->name[i], sizeof(c->name[i]), "%s", r[i].name ? r[i].name : "");
        c->id[i] = r[i].topic_id;
        c->nparts[i] = r[i].num_partitions;
        c->rf[i] = r[i].replication_factor;
        c->nconfigs[i] = r[i].nconfigs;
        c->retention[i][0] = '\0';
        for (int32_t k = 0; k < r[i].nconfigs; k++)
            if (strcmp(r[i].configs[k].name, "retention.ms") == 0) {
                snprintf(c->retention[i], sizeof(c->retention[i]), "%s", r[i].configs[k].value);
                c->retention_source[i] = r[i].configs[k].source;
            }
    }
}

static void cap_delete(void *ctx, const struct ctl_delete_topic_result *r, int32_t n)
{
    struct captured *c = ctx;
    c->calls++;
    c->n = n;
    for (int32_t i = 0; i < n && i < MAXR; i++) {
        c->err[i] = r[i].error_code;
        snprintf(c->msg[i], sizeof(c->msg[i]), "%s", r[i].error_message ? r[i].error_message : "");
        snprintf(c->name[i], sizeof(c->name[i]), "%s", r[i].name ? r[i].name : "");
        c->id[i] = r[i].topic_id;
    }
}

static void cap_partitions(void *ctx, const struct ctl_create_partitions_result *r, int32_t n)
{
    struct captured *c = ctx;
    c->calls++;
    c->n = n;
    for (int32_t i = 0; i < n && i < MAXR; i++) {
        c->err[i] = r[i].error_code;
        snprintf(c->msg[i], sizeof(c->msg[i]), "%s", r[i].error_message ? r[i].error_message : "");
    }
}

struct pid_cap {
    int calls;
    int16_t err;
    int64_t first;
    int32_t count;
};

static void cap_pid(void *ctx, int16_t err, int64_t first, int32_t count)
{
    struct pid_cap *p = ctx;
    p->calls++;
    p->err = err;
    p->first = first;
    p->count = count;
}

struct reg_cap {
    int calls;
    int16_t err;
    int64_t epoch;
};

static void cap_reg(void *ctx, int16_t err, const char *msg, int64_t epoch)
{
    struct reg_cap *r = ctx;
    r->calls++;
    r->err = err;
    r->epoch = epoch;
}

/* ---- environment ---- */

static struct uuid incarnation(int32_t id, int gen)
{
    struct uuid u;
    memset(&u, 0, sizeof(u));
    u.b[0] = (uint8_t)id;
    u.b[1] = (uint8_t)gen;
    u.b[15] = 1;
    return u;
}

static struct reg_cap register_one(struct env *e, int32_t id, const char *rack, int gen)
{
    struct ctl_endpoint ep = {"PLAINTEXT", "localhost", (uint16_t)(9092 + id), 0};
    struct ctl_register_broker req = {.broker_id = id,
                                      .incarnation_id = incarnation(id, gen),
                                      .endpoints = &ep,
                                      .nendpoints = 1,
                                      .rack = rack};
    struct reg_cap rc = {0};
    controller_register_broker(e->c, &req, cap_reg, &rc);
    fake_quorum_commit_all(e->fq);
    return rc;
}

static void setup(struct env *e, int nbrokers, const char *const *racks)
{
    memset(e, 0, sizeof(*e));
    struct controller_config cfg = {
        .node_id = 1, .num_partitions = 3, .default_replication_factor = 1};
    fake_controller_start(&cfg, &e->img, &e->c, &e->fq);
    ck_assert(controller_is_active(e->c));
    ck_assert_int_eq(metadata_image_feature_level(e->img, "metadata.version"),
                     CONTROLLER_DEFAULT_METADATA_VERSION);
    for (int i = 0; i < nbrokers; i++) {
        struct reg_cap rc = register_one(e, i + 1, racks ? racks[i] : NULL, 1);
        ck_assert_int_eq(rc.calls, 1);
        ck_assert_int_eq(rc.err, 0);
        const struct mi_broker *b = metadata_image_broker(e->img, i + 1);
        ck_assert_ptr_nonnull(b);
        ck_assert(!b->fenced);
        ck_assert_int_eq(b->epoch, rc.epoch);
    }
}

static void teardown(struct env *e)
{
    fake_controller_stop(e->img, e->c, e->fq);
}

/* Submits a CreateTopics; results land in *cap (which must outlive the commit). */
static void create(struct env *e, const struct ctl_create_topic *t, int n, bool validate_only,
                   bool commit, struct captured *cap)
{
    struct ctl_create_topics_req req = {t, n, validate_only};
    memset(cap, 0, sizeof(*cap));
    controller_create_topics(e->c, &req, cap_create, cap);
    if (commit)
        fake_quorum_commit_all(e->fq);
}

static struct ctl_create_topic topic(const char *name, int32_t np, int16_t rf)
{
    struct ctl_create_topic t = {.name = name, .num_partitions = np, .replication_factor = rf};
    return t;
}

/* ---- tests ---- */

START_TEST(create_topics_valid)
{
    struct env e;
    setup(&e, 3, NULL);
    struct ctl_config_entry cfgs[2] = {{"retention.ms", "1000"}, {"cleanup.policy", "compact"}};
    struct ctl_create_topic t[2] = {topic("a", -1, -1), topic("b", 6, 3)};
    t[1].configs = cfgs;
    t[1].nconfigs = 2;
    int appends = fake_quorum_appends(e.fq);
    struct captured cap;
    create(&e, t, 2, false, false, &cap);
    /* Nothing is answered before the records commit; all of it is one batch. */
    ck_assert_int_eq(cap.calls, 0);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 1);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends + 1);
    ck_assert_ptr_null(metadata_image_topic_by_name(e.img, "a"));
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_int_eq(cap.err[0], 0);
    ck_assert_int_eq(cap.err[1], 0);
    ck_assert_int_eq(cap.nparts[0], 3);
    ck_assert_int_eq(cap.rf[0], 1);
    ck_assert_int_eq(cap.nparts[1], 6);
    ck_assert_int_eq(cap.rf[1], 3);
    ck_assert_int_eq(cap.nconfigs[1], (int32_t)topic_config_count());
    ck_assert_str_eq(cap.retention[1], "1000");
    ck_assert_int_eq(cap.retention_source[1], TC_SOURCE_DYNAMIC_TOPIC);
    ck_assert_str_eq(cap.retention[0], "604800000");
    ck_assert_int_eq(cap.retention_source[0], TC_SOURCE_DEFAULT);

    const struct mi_topic *a = metadata_image_topic_by_name(e.img, "a");
    const struct mi_topic *b = metadata_image_topic_by_name(e.img, "b");
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert(uuid_equal(&a->id, &cap.id[0]));
    ck_assert(uuid_equal(&b->id, &cap.id[1]));
    ck_assert(!uuid_equal(&a->id, &b->id));
    ck_assert_int_eq(a->npartitions, 3);
    ck_assert_int_eq(b->npartitions, 6);
    int leaders[4] = {0};
    for (int p = 0; p < 6; p++) {
        const struct mi_partition *pp = metadata_image_partition(b, p);
        ck_assert_int_eq(pp->nreplicas, 3);
        ck_assert_int_eq(pp->nisr, 3);
        ck_assert_int_eq(pp->leader, pp->replicas[0]);
        ck_assert_int_eq(memcmp(pp->isr, pp->replicas, 3 * sizeof(int32_t)), 0);
        ck_assert_int_eq(pp->leader_epoch, 0);
        ck_assert_int_eq(pp->partition_epoch, 0);
        leaders[pp->leader]++;
    }
    ck_assert_int_eq(leaders[1], 2);
    ck_assert_int_eq(leaders[2], 2);
    ck_assert_int_eq(leaders[3], 2);
    ck_assert_str_eq(metadata_image_config(e.img, 2, "b", "retention.ms"), "1000");
    ck_assert_str_eq(metadata_image_config(e.img, 2, "b", "cleanup.policy"), "compact");
    ck_assert_ptr_null(metadata_image_config(e.img, 2, "a", "retention.ms"));
    teardown(&e);
}
END_TEST

START_TEST(create_topics_invalid_names)
{
    struct env e;
    setup(&e, 1, NULL);
    char long_ok[250], long_bad[251];
    memset(long_ok, 'x', 249);
    long_ok[249] = '\0';
    memset(long_bad, 'y', 250);
    long_bad[250] = '\0';
    struct ctl_create_topic t[7] = {
        topic("", 1, 1),       topic(".", 1, 1),     topic("..", 1, 1),    topic("a b", 1, 1),
        topic(long_bad, 1, 1), topic(long_ok, 1, 1), topic("ok.-_9", 1, 1)};
    struct captured cap;
    create(&e, t, 7, false, true, &cap);
    ck_assert_int_eq(cap.calls, 1);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(cap.err[i], KERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_str_eq(cap.msg[1], "Topic name cannot be \".\" or \"..\"");
    ck_assert_str_eq(cap.msg[3], "Topic name \"a b\" is illegal, it contains a character other "
                                 "than ASCII alphanumerics, '.', '_' and '-'");
    ck_assert_int_eq(cap.nparts[0], -1);
    ck_assert(uuid_is_zero(&cap.id[0]));
    ck_assert_int_eq(cap.err[5], 0);
    ck_assert_int_eq(cap.err[6], 0);
    ck_assert_uint_eq(metadata_image_topic_count(e.img), 2);
    teardown(&e);
}
END_TEST

START_TEST(create_topics_duplicates_and_exists)
{
    struct env e;
    setup(&e, 1, NULL);
    struct ctl_create_topic t1[3] = {topic("dup", 1, 1), topic("so_lo", 1, 1), topic("dup", 2, 1)};
    struct captured cap;
    create(&e, t1, 3, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REQUEST);
    ck_assert_int_eq(cap.err[2], KERR_INVALID_REQUEST);
    ck_assert_str_eq(cap.msg[0], "Duplicate topic name.");
    ck_assert_int_eq(cap.err[1], 0);
    ck_assert_ptr_null(metadata_image_topic_by_name(e.img, "dup"));
    ck_assert_ptr_nonnull(metadata_image_topic_by_name(e.img, "so_lo"));

    struct ctl_create_topic t2[3] = {topic("so_lo", 1, 1), topic("so.lo", 1, 1),
                                     topic("__cluster_metadata", 1, 1)};
    create(&e, t2, 3, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_TOPIC_ALREADY_EXISTS);
    ck_assert_str_eq(cap.msg[0], "Topic 'so_lo' already exists.");
    ck_assert_int_eq(cap.err[1], KERR_INVALID_TOPIC_EXCEPTION);
    ck_assert_str_eq(cap.msg[1], "Topic 'so.lo' collides with existing topic: so_lo");
    ck_assert_int_eq(cap.err[2], KERR_INVALID_REQUEST);
    /* Nothing was valid: nothing was appended, and the answer came at once. */
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);

    /* Two requests for the same name in flight: the second sees the first committed. */
    struct ctl_create_topic t3 = topic("race", 1, 1);
    struct captured c1;
    create(&e, &t3, 1, false, false, &c1);
    struct captured c2;
    create(&e, &t3, 1, false, false, &c2);
    ck_assert_int_eq(c1.calls + c2.calls, 0);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(c1.calls, 1);
    ck_assert_int_eq(c1.err[0], 0);
    ck_assert_int_eq(c2.calls, 1);
    ck_assert_int_eq(c2.err[0], KERR_TOPIC_ALREADY_EXISTS);
    teardown(&e);
}
END_TEST

START_TEST(create_topics_bad_partitions_and_rf)
{
    struct env e;
    setup(&e, 3, NULL);
    struct ctl_create_topic t[6] = {topic("p0", 0, 1),    topic("pneg", -2, 1), topic("r0", 1, 0),
                                    topic("rneg", 1, -3), topic("r4", 1, 4),    topic("r3", 2, 3)};
    struct captured cap;
    create(&e, t, 6, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_PARTITIONS);
    ck_assert_int_eq(cap.err[1], KERR_INVALID_PARTITIONS);
    ck_assert_str_eq(cap.msg[0], "Number of partitions was set to an invalid non-positive value.");
    ck_assert_int_eq(cap.err[2], KERR_INVALID_REPLICATION_FACTOR);
    ck_assert_int_eq(cap.err[3], KERR_INVALID_REPLICATION_FACTOR);
    ck_assert_int_eq(cap.err[4], KERR_INVALID_REPLICATION_FACTOR);
    ck_assert_str_eq(cap.msg[4], "Unable to replicate the partition 4 time(s): The target "
                                 "replication factor of 4 cannot be reached because only 3 "
                                 "broker(s) are registered.");
    ck_assert_int_eq(cap.err[5], 0);
    ck_assert_uint_eq(metadata_image_topic_count(e.img), 1);
    teardown(&e);
}
END_TEST

START_TEST(create_topics_validate_only)
{
    struct env e;
    setup(&e, 1, NULL);
    int appends = fake_quorum_appends(e.fq);
    struct ctl_config_entry cfg = {"retention.ms", "5"};
    struct ctl_create_topic t[2] = {topic("v", 4, 1), topic("bad", 0, 1)};
    t[0].configs = &cfg;
    t[0].nconfigs = 1;
    struct captured cap;
    create(&e, t, 2, true, false, &cap);
    ck_assert_int_eq(cap.calls, 1); /* answered without any commit */
    ck_assert_int_eq(cap.err[0], 0);
    ck_assert_int_eq(cap.nparts[0], 4);
    ck_assert_int_eq(cap.rf[0], 1);
    ck_assert_str_eq(cap.retention[0], "5");
    ck_assert_int_eq(cap.err[1], KERR_INVALID_PARTITIONS);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    ck_assert_ptr_null(metadata_image_topic_by_name(e.img, "v"));
    teardown(&e);
}
END_TEST

START_TEST(create_topics_bad_config)
{
    struct env e;
    setup(&e, 1, NULL);
    struct ctl_config_entry unknown = {"retention.minutes", "5"};
    struct ctl_config_entry badval = {"retention.ms", "soon"};
    struct ctl_config_entry null = {"cleanup.policy", NULL};
    struct ctl_create_topic t[3] = {topic("c1", 1, 1), topic("c2", 1, 1), topic("c3", 0, 1)};
    t[0].configs = &unknown;
    t[0].nconfigs = 1;
    t[1].configs = &badval;
    t[1].nconfigs = 1;
    t[2].configs = &null;
    t[2].nconfigs = 1;
    struct captured cap;
    create(&e, t, 3, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_CONFIG);
    ck_assert_str_eq(cap.msg[0], "Unknown topic config name: retention.minutes");
    ck_assert_int_eq(cap.err[1], KERR_INVALID_CONFIG);
    ck_assert_str_eq(
        cap.msg[1], "Invalid value soon for configuration retention.ms: Not a number of type LONG");
    /* Config errors come before partition errors, as in Kafka. */
    ck_assert_int_eq(cap.err[2], KERR_INVALID_CONFIG);
    ck_assert_uint_eq(metadata_image_topic_count(e.img), 0);
    teardown(&e);
}
END_TEST

static const char *const three_racks[3] = {"ra", "rb", "rc"};

START_TEST(create_topics_manual_assignment)
{
    struct env e;
    setup(&e, 3, three_racks);
    int32_t r0[2] = {2, 1}, r1[2] = {3, 2};
    struct ctl_assignment as[2] = {{1, r1, 2}, {0, r0, 2}};
    struct ctl_create_topic t = topic("m", -1, -1);
    t.assignments = as;
    t.nassignments = 2;
    struct captured cap;
    create(&e, &t, 1, false, true, &cap);
    ck_assert_int_eq(cap.err[0], 0);
    ck_assert_int_eq(cap.nparts[0], 2);
    ck_assert_int_eq(cap.rf[0], 2);
    const struct mi_topic *m = metadata_image_topic_by_name(e.img, "m");
    ck_assert_int_eq(metadata_image_partition(m, 0)->leader, 2);
    ck_assert_int_eq(metadata_image_partition(m, 1)->leader, 3);
    ck_assert_int_eq(metadata_image_partition(m, 1)->replicas[1], 2);

    int32_t bad_rf[1] = {1}, unknown[2] = {1, 9}, dupb[2] = {2, 2};
    struct ctl_assignment a_rf[2] = {{0, r0, 2}, {1, bad_rf, 1}};
    struct ctl_assignment a_unknown[1] = {{0, unknown, 2}};
    struct ctl_assignment a_dup[1] = {{0, dupb, 2}};
    struct ctl_assignment a_gap[2] = {{0, r0, 2}, {2, r1, 2}};
    struct ctl_assignment a_empty[1] = {{0, NULL, 0}};
    struct ctl_create_topic ts[6] = {topic("m1", -1, -1), topic("m2", -1, -1), topic("m3", -1, -1),
                                     topic("m4", -1, -1), topic("m5", 2, -1),  topic("m6", -1, -1)};
    ts[0].assignments = a_rf;
    ts[0].nassignments = 2;
    ts[1].assignments = a_unknown;
    ts[1].nassignments = 1;
    ts[2].assignments = a_dup;
    ts[2].nassignments = 1;
    ts[3].assignments = a_gap;
    ts[3].nassignments = 2;
    ts[4].assignments = a_rf;
    ts[4].nassignments = 1;
    ts[5].assignments = a_empty;
    ts[5].nassignments = 1;
    create(&e, ts, 6, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_int_eq(cap.err[1], KERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_str_eq(cap.msg[1], "The manual partition assignment includes broker 9, but no such "
                                 "broker is registered.");
    ck_assert_int_eq(cap.err[2], KERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_str_eq(cap.msg[2],
                     "The manual partition assignment includes the broker 2 more than once.");
    ck_assert_int_eq(cap.err[3], KERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_int_eq(cap.err[4], KERR_INVALID_REQUEST);
    ck_assert_int_eq(cap.err[5], KERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_uint_eq(metadata_image_topic_count(e.img), 1);

    /* Automatic placement with racks: every partition spans three racks. */
    struct ctl_create_topic rt = topic("racked", 6, 3);
    create(&e, &rt, 1, false, true, &cap);
    ck_assert_int_eq(cap.err[0], 0);
    const struct mi_topic *r = metadata_image_topic_by_name(e.img, "racked");
    for (int p = 0; p < 6; p++) {
        const struct mi_partition *pp = metadata_image_partition(r, p);
        const char *seen[3];
        for (int i = 0; i < 3; i++) {
            seen[i] = metadata_image_broker(e.img, pp->replicas[i])->rack;
            for (int j = 0; j < i; j++)
                ck_assert_str_ne(seen[i], seen[j]);
        }
    }
    teardown(&e);
}
END_TEST

START_TEST(delete_topics)
{
    struct env e;
    setup(&e, 1, NULL);
    struct ctl_create_topic t[3] = {topic("d1", 1, 1), topic("d2", 2, 1), topic("d3", 1, 1)};
    struct captured cap;
    create(&e, t, 3, false, true, &cap);
    struct uuid id2 = cap.id[1];
    struct ctl_delete_topic del[6] = {
        {"d1", {{0}}}, {NULL, id2},       {"nope", {{0}}},
        {NULL, {{0}}}, {"d3", cap.id[2]}, {NULL, {{9, 9, 9}}},
    };
    struct captured dc;
    memset(&dc, 0, sizeof(dc));
    controller_delete_topics(e.c, del, 6, cap_delete, &dc);
    ck_assert_int_eq(dc.calls, 0);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(dc.calls, 1);
    ck_assert_int_eq(dc.err[0], 0);
    ck_assert_int_eq(dc.err[1], 0);
    ck_assert_str_eq(dc.name[1], "d2");
    ck_assert_int_eq(dc.err[2], KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(dc.err[3], KERR_INVALID_REQUEST);
    ck_assert_int_eq(dc.err[4], KERR_INVALID_REQUEST);
    ck_assert_int_eq(dc.err[5], KERR_UNKNOWN_TOPIC_ID);
    ck_assert_ptr_null(metadata_image_topic_by_name(e.img, "d1"));
    ck_assert_ptr_null(metadata_image_topic_by_name(e.img, "d2"));
    ck_assert_ptr_nonnull(metadata_image_topic_by_name(e.img, "d3"));

    /* Duplicates, including the same topic by name and by id. */
    struct ctl_delete_topic dup[3] = {{"d3", {{0}}}, {NULL, cap.id[2]}, {"x", {{0}}}};
    memset(&dc, 0, sizeof(dc));
    controller_delete_topics(e.c, dup, 3, cap_delete, &dc);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(dc.err[0], 0);
    ck_assert_int_eq(dc.err[1], KERR_INVALID_REQUEST);
    ck_assert_int_eq(dc.err[2], KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_uint_eq(metadata_image_topic_count(e.img), 0);
    teardown(&e);
}
END_TEST

START_TEST(create_partitions)
{
    struct env e;
    setup(&e, 3, NULL);
    struct ctl_create_topic t = topic("cp", 3, 2);
    struct captured cap;
    create(&e, &t, 1, false, true, &cap);
    ck_assert_int_eq(cap.err[0], 0);
    struct ctl_create_partitions_topic ps[5] = {
        {"cp", 5, NULL, 0},   {"cp", 2, NULL, 0},   {"none", 4, NULL, 0},
        {"dupe", 4, NULL, 0}, {"dupe", 5, NULL, 0},
    };
    struct ctl_create_partitions_req req = {ps, 5, false};
    memset(&cap, 0, sizeof(cap));
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    /* "cp" appears twice: both are duplicates. */
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REQUEST);
    ck_assert_int_eq(cap.err[1], KERR_INVALID_REQUEST);
    ck_assert_int_eq(cap.err[2], KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(cap.err[3], KERR_INVALID_REQUEST);
    ck_assert_int_eq(metadata_image_topic_by_name(e.img, "cp")->npartitions, 3);

    struct ctl_create_partitions_topic grow = {"cp", 5, NULL, 0};
    req = (struct ctl_create_partitions_req){&grow, 1, true};
    memset(&cap, 0, sizeof(cap));
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], 0);
    ck_assert_int_eq(metadata_image_topic_by_name(e.img, "cp")->npartitions, 3);
    req.validate_only = false;
    memset(&cap, 0, sizeof(cap));
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    ck_assert_int_eq(cap.calls, 0);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.err[0], 0);
    const struct mi_topic *cp = metadata_image_topic_by_name(e.img, "cp");
    ck_assert_int_eq(cp->npartitions, 5);
    for (int p = 3; p < 5; p++)
        ck_assert_int_eq(metadata_image_partition(cp, p)->nreplicas, 2);

    struct ctl_create_partitions_topic same = {"cp", 5, NULL, 0}, less = {"cp", 4, NULL, 0};
    req = (struct ctl_create_partitions_req){&same, 1, false};
    memset(&cap, 0, sizeof(cap));
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_PARTITIONS);
    ck_assert_str_eq(cap.msg[0], "Topic already has 5 partition(s).");
    req.topics = &less;
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_PARTITIONS);
    ck_assert_str_eq(cap.msg[0],
                     "The topic cp currently has 5 partition(s); 4 would not be an increase.");

    /* Manual assignments for the new partitions. */
    int32_t r5[2] = {3, 1}, r6[2] = {1, 2}, r_bad[1] = {1};
    struct ctl_assignment as[2] = {{0, r5, 2}, {0, r6, 2}};
    struct ctl_create_partitions_topic man = {"cp", 7, as, 2};
    req.topics = &man;
    memset(&cap, 0, sizeof(cap));
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.err[0], 0);
    cp = metadata_image_topic_by_name(e.img, "cp");
    ck_assert_int_eq(cp->npartitions, 7);
    ck_assert_int_eq(metadata_image_partition(cp, 5)->leader, 3);
    ck_assert_int_eq(metadata_image_partition(cp, 6)->leader, 1);
    struct ctl_assignment bad[2] = {{0, r_bad, 1}, {0, r5, 2}};
    struct ctl_create_partitions_topic man_bad = {"cp", 9, bad, 2};
    struct ctl_create_partitions_topic man_count = {"cp", 10, as, 2};
    req.topics = &man_bad;
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REPLICA_ASSIGNMENT);
    req.topics = &man_count;
    controller_create_partitions(e.c, &req, cap_partitions, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REPLICA_ASSIGNMENT);
    ck_assert_str_eq(cap.msg[0], "Attempted to add 3 additional partition(s), but only 2 "
                                 "assignment(s) were specified.");
    ck_assert_int_eq(metadata_image_topic_by_name(e.img, "cp")->npartitions, 7);
    teardown(&e);
}
END_TEST

START_TEST(producer_ids)
{
    struct env e;
    setup(&e, 1, NULL);
    int64_t epoch = metadata_image_broker(e.img, 1)->epoch;
    struct pid_cap p1 = {0}, p2 = {0}, p3 = {0};
    controller_allocate_producer_ids(e.c, 1, epoch, cap_pid, &p1);
    controller_allocate_producer_ids(e.c, 1, epoch, cap_pid, &p2);
    controller_allocate_producer_ids(e.c, 1, epoch + 1, cap_pid, &p3);
    ck_assert_int_eq(p1.calls, 0);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(p1.calls, 1);
    ck_assert_int_eq(p1.err, 0);
    ck_assert_int_eq(p1.first, 0);
    ck_assert_int_eq(p1.count, CONTROLLER_PID_BLOCK_SIZE);
    ck_assert_int_eq(p2.calls, 1);
    ck_assert_int_eq(p2.first, CONTROLLER_PID_BLOCK_SIZE);
    ck_assert_int_eq(p3.calls, 1);
    ck_assert_int_eq(p3.err, KERR_STALE_BROKER_EPOCH);
    ck_assert_int_eq(metadata_image_next_producer_id(e.img), 2 * CONTROLLER_PID_BLOCK_SIZE);
    struct pid_cap p4 = {0};
    controller_allocate_producer_ids(e.c, 7, 0, cap_pid, &p4);
    ck_assert_int_eq(p4.err, KERR_STALE_BROKER_EPOCH);
    teardown(&e);
}
END_TEST

START_TEST(register_brokers)
{
    struct env e;
    setup(&e, 2, NULL);
    int64_t before = metadata_image_broker(e.img, 2)->epoch;
    /* Another incarnation while broker 2 is live in this term: refused. */
    struct reg_cap rc = register_one(&e, 2, NULL, 2);
    ck_assert_int_eq(rc.calls, 1);
    ck_assert_int_eq(rc.err, KERR_DUPLICATE_BROKER_REGISTRATION);
    ck_assert_int_eq(metadata_image_broker(e.img, 2)->epoch, before);
    /* The same incarnation again (a retry): a new epoch, unfenced again. */
    rc = register_one(&e, 2, NULL, 1);
    ck_assert_int_eq(rc.err, 0);
    ck_assert_int_gt(rc.epoch, before);
    ck_assert_int_eq(metadata_image_broker(e.img, 2)->epoch, rc.epoch);
    ck_assert(!metadata_image_broker(e.img, 2)->fenced);
    /* After a new term (controller failover) a new incarnation is accepted. */
    fake_quorum_resign(e.fq, -1);
    fake_quorum_elect(e.fq);
    rc = register_one(&e, 2, "r9", 3);
    ck_assert_int_eq(rc.err, 0);
    ck_assert_str_eq(metadata_image_broker(e.img, 2)->rack, "r9");
    /* Invalid: zero incarnation. */
    struct ctl_register_broker req = {.broker_id = 5};
    struct reg_cap bad = {0};
    controller_register_broker(e.c, &req, cap_reg, &bad);
    ck_assert_int_eq(bad.err, KERR_INVALID_REQUEST);
    /* A broker that does not support the finalized metadata.version. */
    struct ctl_feature_range fr = {"metadata.version", 1, 7};
    req.incarnation_id = incarnation(5, 1);
    req.features = &fr;
    req.nfeatures = 1;
    controller_register_broker(e.c, &req, cap_reg, &bad);
    ck_assert_int_eq(bad.err, KERR_UNSUPPORTED_VERSION);
    teardown(&e);
}
END_TEST

START_TEST(not_controller)
{
    struct env e;
    memset(&e, 0, sizeof(e));
    e.img = metadata_image_new();
    struct controller_config cfg = {.node_id = 1};
    e.c = controller_new(&cfg, e.img);
    struct quorum_listener l;
    controller_quorum_listener(e.c, &l);
    e.fq = fake_quorum_new(1, &l);
    controller_set_quorum(e.c, fake_quorum_base(e.fq));
    /* Not elected yet: answered at once. */
    struct ctl_create_topic t = topic("x", 1, 1);
    struct captured cap;
    create(&e, &t, 1, false, false, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NOT_CONTROLLER);
    ck_assert(!controller_is_active(e.c));

    /* Elected, one broker, then an operation in flight when leadership moves away. */
    fake_quorum_elect(e.fq);
    fake_quorum_commit_all(e.fq);
    register_one(&e, 1, NULL, 1);
    create(&e, &t, 1, false, false, &cap);
    struct pid_cap queued = {0};
    controller_allocate_producer_ids(e.c, 1, metadata_image_broker(e.img, 1)->epoch, cap_pid,
                                     &queued);
    ck_assert_int_eq(cap.calls, 0);
    fake_quorum_resign(e.fq, 2);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NOT_CONTROLLER);
    ck_assert_int_eq(queued.calls, 1);
    ck_assert_int_eq(queued.err, KERR_NOT_CONTROLLER);
    ck_assert(!controller_is_active(e.c));
    /* The record still commits (a new leader kept it): the image follows the log. */
    fake_quorum_commit_all(e.fq);
    ck_assert_ptr_nonnull(metadata_image_topic_by_name(e.img, "x"));
    ck_assert_int_eq(cap.calls, 1);

    /* A failing append answers UNKNOWN_SERVER_ERROR. */
    fake_quorum_elect(e.fq);
    fake_quorum_fail_next(e.fq, SL_EIO);
    struct ctl_create_topic y = topic("y", 1, 1);
    create(&e, &y, 1, false, false, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_UNKNOWN_SERVER_ERROR);

    /* controller_free answers what is still pending. */
    struct ctl_create_topic z = topic("z", 1, 1);
    create(&e, &z, 1, false, false, &cap);
    ck_assert_int_eq(cap.calls, 0);
    controller_free(e.c);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NOT_CONTROLLER);
    quorum_close(fake_quorum_base(e.fq));
    metadata_image_free(e.img);
}
END_TEST

/* A callback that submits another request from inside the completion. */
struct chain {
    struct controller *c;
    struct captured inner;
    int outer_calls;
};

static void chain_cb(void *ctx, const struct ctl_create_topic_result *r, int32_t n)
{
    struct chain *ch = ctx;
    ch->outer_calls++;
    struct ctl_create_topic t = topic("second", 1, 1);
    struct ctl_create_topics_req req = {&t, 1, false};
    controller_create_topics(ch->c, &req, cap_create, &ch->inner);
}

START_TEST(reentrant_callbacks)
{
    struct env e;
    setup(&e, 1, NULL);
    struct chain ch;
    memset(&ch, 0, sizeof(ch));
    ch.c = e.c;
    struct ctl_create_topic t = topic("first", 1, 1);
    struct ctl_create_topics_req req = {&t, 1, false};
    controller_create_topics(e.c, &req, chain_cb, &ch);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(ch.outer_calls, 1);
    ck_assert_int_eq(ch.inner.calls, 1);
    ck_assert_int_eq(ch.inner.err[0], 0);
    ck_assert_uint_eq(metadata_image_topic_count(e.img), 2);
    teardown(&e);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("controller");
    TCase *tc = tcase_create("controller");
    tcase_add_test(tc, create_topics_valid);
    tcase_add_test(tc, create_topics_invalid_names);
    tcase_add_test(tc, create_topics_duplicates_and_exists);
    tcase_add_test(tc, create_topics_bad_partitions_and_rf);
    tcase_add_test(tc, create_topics_validate_only);
    tcase_add_test(tc, create_topics_bad_config);
    tcase_add_test(tc, create_topics_manual_assignment);
    tcase_add_test(tc, delete_topics);
    tcase_add_test(tc, create_partitions);
    tcase_add_test(tc, producer_ids);
    tcase_add_test(tc, register_brokers);
    tcase_add_test(tc, not_controller);
    tcase_add_test(tc, reentrant_callbacks);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
