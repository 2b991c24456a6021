/*
 * The node's struct broker_env calls to the in-process controller
 * (cmd/node/node_env.c) against a controller on an in-memory quorum:
 * alter_partition_local and create_topic_local return false and never answer
 * when this node is not the active controller; otherwise they hand the
 * request to the controller and answer exactly once, after the commit, with
 * the controller's result converted (also when the controller stops).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "broker_env.h"
#include "controller.h"
#include "fake_quorum.h"
#include "kafka.h"
#include "log.h"
#include "metadata_image.h"
#include "node_env.h"

struct env {
    struct metadata_image *img;
    struct controller *c;
    struct fake_quorum *fq;
    struct broker b;
};

struct reg_cap {
    int16_t err;
    int64_t epoch;
};

static void cap_reg(void *ctx, int16_t err, const char *msg, int64_t epoch)
{
    (void)msg;
    struct reg_cap *r = ctx;
    r->err = err;
    r->epoch = epoch;
}

/* An active controller with brokers 1..nbrokers registered (unfenced), and
 * the broker of node 1 wired to it through node_env_init. */
static void setup(struct env *e, int32_t nbrokers)
{
    memset(e, 0, sizeof *e);
    struct controller_config cfg = {
        .node_id = 1, .num_partitions = 1, .default_replication_factor = 1};
    fake_controller_start(&cfg, &e->img, &e->c, &e->fq);
    for (int32_t id = 1; id <= nbrokers; id++) {
        struct ctl_endpoint ep = {"PLAINTEXT", "localhost", (uint16_t)(9092 + id), 0};
        struct ctl_register_broker req = {.broker_id = id, .endpoints = &ep, .nendpoints = 1};
        req.incarnation_id.b[0] = (uint8_t)id;
        req.incarnation_id.b[15] = 1;
        struct reg_cap rc = {.err = -1};
        controller_register_broker(e->c, &req, cap_reg, &rc);
        fake_quorum_commit_all(e->fq);
        ck_assert_int_eq(rc.err, KERR_NONE);
    }
    e->b.node_id = 1;
    e->b.image = e->img;
    e->b.controller = e->c;
    e->b.broker_epoch = metadata_image_broker(e->img, 1)->epoch;
    node_env_init(&e->b);
    ck_assert_ptr_eq(e->b.env.ctx, &e->b);
    ck_assert_ptr_eq(e->b.env.image, e->img);
}

static void teardown(struct env *e)
{
    fake_controller_stop(e->img, e->c, e->fq);
}

/* ---- answers ---- */

struct created {
    int calls;
    int16_t err;
    char name[64];
    char msg[256];
    int32_t nparts;
    int16_t rf;
};

static void on_created(void *ctx, const struct env_topic_created *r)
{
    struct created *c = ctx;
    c->calls++;
    c->err = r->error_code;
    snprintf(c->name, sizeof c->name, "%s", r->name ? r->name : "");
    snprintf(c->msg, sizeof c->msg, "%s", r->error_message ? r->error_message : "");
    c->nparts = r->num_partitions;
    c->rf = r->replication_factor;
}

struct altered {
    int calls;
    struct env_alter_partition_answer a;
    int32_t isr[8];
};

static void on_altered(void *ctx, const struct env_alter_partition_answer *a)
{
    struct altered *al = ctx;
    al->calls++;
    al->a = *a;
    for (int32_t i = 0; i < a->nisr && i < 8; i++)
        al->isr[i] = a->isr[i];
    al->a.isr = NULL;
}

static bool create(struct env *e, const char *name, int32_t np, int16_t rf, struct created *cap)
{
    static const struct env_topic_config cfgs[] = {{"retention.ms", "1000"}};
    struct env_create_topic t = {.name = name,
                                 .num_partitions = np,
                                 .replication_factor = rf,
                                 .configs = cfgs,
                                 .nconfigs = 1};
    memset(cap, 0, sizeof *cap);
    return e->b.env.create_topic_local(e->b.env.ctx, &t, on_created, cap);
}

/* Proposes the ISR `isr` for partition 0 of `topic` from its leader, with the image's epochs. */
static bool alter(struct env *e, const char *topic, const int32_t *isr, int32_t n,
                  struct altered *cap)
{
    const struct mi_topic *t = metadata_image_topic_by_name(e->img, topic);
    const struct mi_partition *p = metadata_image_partition(t, 0);
    struct alter_partition_broker_state members[8];
    for (int32_t i = 0; i < n; i++)
        members[i] = (struct alter_partition_broker_state){
            isr[i], metadata_image_broker(e->img, isr[i])->epoch};
    struct env_alter_partition change = {.topic_id = t->id,
                                         .partition_index = 0,
                                         .leader_epoch = p->leader_epoch,
                                         .partition_epoch = p->partition_epoch,
                                         .new_isr = members,
                                         .nnew_isr = n};
    memset(cap, 0, sizeof *cap);
    return e->b.env.alter_partition_local(e->b.env.ctx, &change, on_altered, cap);
}

/* setup with two brokers and topic "t" of one partition on both; returns its leader. */
static int32_t setup_topic(struct env *e)
{
    setup(e, 2);
    struct created cap;
    ck_assert(create(e, "t", 1, 2, &cap));
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(cap.err, KERR_NONE);
    const struct mi_partition *p =
        metadata_image_partition(metadata_image_topic_by_name(e->img, "t"), 0);
    ck_assert_int_eq(p->nisr, 2);
    return p->leader;
}

/* ---- tests ---- */

START_TEST(create_topic_in_process)
{
    struct env e;
    setup(&e, 1);
    struct created cap;
    ck_assert(create(&e, "t", 2, 1, &cap));
    /* Answered once the records commit, not before. */
    ck_assert_int_eq(cap.calls, 0);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 1);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err, KERR_NONE);
    ck_assert_str_eq(cap.name, "t");
    ck_assert_int_eq(cap.nparts, 2);
    ck_assert_int_eq(cap.rf, 1);
    const struct mi_topic *t = metadata_image_topic_by_name(e.img, "t");
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(t->npartitions, 2);
    ck_assert_str_eq(metadata_image_config(e.img, 2, "t", "retention.ms"), "1000");
    /* The controller's refusal comes back with its code and message, once. */
    ck_assert(create(&e, "t", 2, 1, &cap));
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err, KERR_TOPIC_ALREADY_EXISTS);
    ck_assert_int_eq(cap.nparts, -1);
    ck_assert(create(&e, "u", 1, 3, &cap));
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err, KERR_INVALID_REPLICATION_FACTOR);
    ck_assert(cap.msg[0] != '\0');
    teardown(&e);
}
END_TEST

START_TEST(alter_partition_in_process)
{
    struct env e;
    int32_t leader = setup_topic(&e);
    const struct mi_partition *p =
        metadata_image_partition(metadata_image_topic_by_name(e.img, "t"), 0);
    int32_t le = p->leader_epoch, pe = p->partition_epoch;
    /* The request goes out as the leader's: node id and broker epoch of this broker. */
    e.b.node_id = leader;
    e.b.broker_epoch = metadata_image_broker(e.img, leader)->epoch;
    struct altered a;
    ck_assert(alter(&e, "t", &leader, 1, &a));
    ck_assert_int_eq(a.calls, 0);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.a.error_code, KERR_NONE);
    ck_assert_int_eq(a.a.leader_id, leader);
    ck_assert_int_eq(a.a.leader_epoch, le);
    ck_assert_int_eq(a.a.partition_epoch, pe + 1);
    ck_assert_int_eq(a.a.nisr, 1);
    ck_assert_int_eq(a.isr[0], leader);
    /* A top-level refusal (the sender's broker epoch is stale): -1s and an empty ISR. */
    e.b.broker_epoch = 12345;
    ck_assert(alter(&e, "t", &leader, 1, &a));
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.a.error_code, KERR_STALE_BROKER_EPOCH);
    ck_assert_int_eq(a.a.leader_id, -1);
    ck_assert_int_eq(a.a.leader_epoch, -1);
    ck_assert_int_eq(a.a.partition_epoch, -1);
    ck_assert_int_eq(a.a.nisr, 0);
    teardown(&e);
}
END_TEST

START_TEST(not_the_active_controller)
{
    struct env e;
    int32_t leader = setup_topic(&e);
    struct created cap;
    fake_quorum_resign(e.fq, 2);
    ck_assert(!controller_is_active(e.c));
    int appends = fake_quorum_appends(e.fq);
    /* The caller goes to controller_conn() instead: nothing is answered here. */
    ck_assert(!create(&e, "u", 1, 1, &cap));
    struct altered a;
    ck_assert(!alter(&e, "t", &leader, 1, &a));
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 0);
    ck_assert_int_eq(a.calls, 0);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    /* No controller in this process at all (a broker-only node). */
    e.b.controller = NULL;
    ck_assert(!create(&e, "u", 1, 1, &cap));
    ck_assert_int_eq(cap.calls, 0);
    e.b.controller = e.c;
    teardown(&e);
}
END_TEST

START_TEST(answered_when_the_controller_stops)
{
    struct env e;
    setup(&e, 1);
    struct created cap;
    ck_assert(create(&e, "t", 1, 1, &cap));
    ck_assert_int_eq(cap.calls, 0);
    teardown(&e);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err, KERR_NOT_CONTROLLER);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("node_env");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, create_topic_in_process);
    tcase_add_test(tc, alter_partition_in_process);
    tcase_add_test(tc, not_the_active_controller);
    tcase_add_test(tc, answered_when_the_controller_stops);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
