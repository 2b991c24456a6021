/*
 * The controller on the real Raft quorum with a single voter (quorum_raft on
 * a temporary directory, driven by a libevent loop, no sockets): the node
 * becomes active, registers its broker, creates topics and allocates
 * producer ids; after a restart the image replayed from disk holds the same
 * topics, ids, partitions and configs, and the controller continues from
 * there.  With a small snapshot threshold the image is rebuilt from the
 * newest KIP-630 snapshot plus the log tail after it.
 */
#include <check.h>
#include <dirent.h>
#include <event2/event.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "kafka.h"
#include "log.h"
#include "metadata_image.h"
#include "quorum_raft.h"

static char dir[256];
static int64_t snapshot_bytes; /* 0: the default */

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    return remove(p);
}

struct node {
    struct event_base *base;
    struct metadata_image *img;
    struct controller *c;
    struct quorum *q;
};

static void node_open(struct node *n)
{
    n->base = event_base_new();
    n->img = metadata_image_new();
    struct controller_config cfg = {
        .node_id = 1, .num_partitions = 2, .default_replication_factor = 1};
    n->c = controller_new(&cfg, n->img);
    struct quorum_listener l;
    controller_quorum_listener(n->c, &l);
    char logdir[400];
    snprintf(logdir, sizeof(logdir), "%s/__cluster_metadata-0", dir);
    struct quorum_raft_voter v = {1, "127.0.0.1", 1};
    struct quorum_raft_config qc = {.node_id = 1,
                                    .dir = logdir,
                                    .cluster_id = "test",
                                    .voters = &v,
                                    .nvoters = 1,
                                    .snapshot_bytes = snapshot_bytes};
    ck_assert_int_eq(quorum_raft_open(n->base, &qc, &l, &n->q), 0);
    controller_set_quorum(n->c, n->q);
    /* One voter elects itself from the loop; no sockets are involved. */
    for (int i = 0; i < 200 && !controller_is_active(n->c); i++)
        event_base_loop(n->base, EVLOOP_ONCE);
    ck_assert(controller_is_active(n->c));
}

static void node_close(struct node *n)
{
    controller_free(n->c);
    quorum_close(n->q);
    metadata_image_free(n->img);
    event_base_free(n->base);
}

/* Runs the loop until *done becomes non-zero (bounded by iterations, not time); each
 * iteration waits for an event, such as the metadata log's flush thread reporting. */
static void run_until(struct node *n, const int *done)
{
    for (int i = 0; i < 200 && !*done; i++)
        event_base_loop(n->base, EVLOOP_ONCE);
    ck_assert(*done);
}

struct reg {
    int calls;
    int16_t err;
    int64_t epoch;
};

static void reg_cb(void *ctx, int16_t err, const char *msg, int64_t epoch)
{
    struct reg *r = ctx;
    r->calls++;
    r->err = err;
    r->epoch = epoch;
}

static int64_t register_self(struct node *n, uint8_t gen)
{
    struct ctl_endpoint ep = {"PLAINTEXT", "127.0.0.1", 9092, 0};
    struct ctl_register_broker req = {.broker_id = 1, .endpoints = &ep, .nendpoints = 1};
    req.incarnation_id.b[0] = gen;
    req.incarnation_id.b[15] = 7;
    struct reg r = {0};
    controller_register_broker(n->c, &req, reg_cb, &r);
    run_until(n, &r.calls);
    ck_assert_int_eq(r.err, 0);
    ck_assert(!metadata_image_broker(n->img, 1)->fenced);
    return r.epoch;
}

struct created {
    int calls;
    int16_t err[4];
    struct uuid id[4];
};

static void create_cb(void *ctx, const struct ctl_create_topic_result *r, int32_t n)
{
    struct created *c = ctx;
    c->calls++;
    for (int32_t i = 0; i < n && i < 4; i++) {
        c->err[i] = r[i].error_code;
        c->id[i] = r[i].topic_id;
    }
}

struct pids {
    int calls;
    int16_t err;
    int64_t first;
};

static void pid_cb(void *ctx, int16_t err, int64_t first, int32_t count)
{
    struct pids *p = ctx;
    p->calls++;
    p->err = err;
    p->first = first;
}

START_TEST(image_survives_restart)
{
    snprintf(dir, sizeof(dir), "/tmp/sluice-ctl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    struct node n;
    node_open(&n);
    int64_t epoch1 = register_self(&n, 1);
    struct ctl_config_entry cfg = {"retention.ms", "60000"};
    struct ctl_create_topic t[2] = {
        {.name = "orders",
         .num_partitions = 4,
         .replication_factor = 1,
         .configs = &cfg,
         .nconfigs = 1},
        {.name = "events", .num_partitions = -1, .replication_factor = -1},
    };
    struct ctl_create_topics_req req = {t, 2, false};
    struct created cr = {0};
    controller_create_topics(n.c, &req, create_cb, &cr);
    ck_assert_int_eq(cr.calls, 0);
    run_until(&n, &cr.calls);
    ck_assert_int_eq(cr.err[0], 0);
    ck_assert_int_eq(cr.err[1], 0);
    struct pids p = {0};
    controller_allocate_producer_ids(n.c, 1, epoch1, pid_cb, &p);
    run_until(&n, &p.calls);
    ck_assert_int_eq(p.err, 0);
    ck_assert_int_eq(p.first, 0);
    int64_t offset_before = metadata_image_offset(n.img);
    node_close(&n);

    /* Restart: everything comes back from the log. */
    node_open(&n);
    ck_assert_int_gt(metadata_image_offset(n.img), offset_before); /* + the new epoch's marker */
    ck_assert_uint_eq(metadata_image_topic_count(n.img), 2);
    const struct mi_topic *o = metadata_image_topic_by_name(n.img, "orders");
    const struct mi_topic *e = metadata_image_topic_by_name(n.img, "events");
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_nonnull(e);
    ck_assert(uuid_equal(&o->id, &cr.id[0]));
    ck_assert(uuid_equal(&e->id, &cr.id[1]));
    ck_assert_int_eq(o->npartitions, 4);
    ck_assert_int_eq(e->npartitions, 2);
    ck_assert_int_eq(metadata_image_partition(o, 3)->leader, 1);
    ck_assert_str_eq(metadata_image_config(n.img, 2, "orders", "retention.ms"), "60000");
    ck_assert_int_eq(metadata_image_next_producer_id(n.img), CONTROLLER_PID_BLOCK_SIZE);
    ck_assert_int_eq(metadata_image_feature_level(n.img, "metadata.version"),
                     CONTROLLER_DEFAULT_METADATA_VERSION);
    const struct mi_broker *b = metadata_image_broker(n.img, 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_int_eq(b->epoch, epoch1);

    /* The restarted broker registers again (new incarnation, new epoch) and carries on. */
    int64_t epoch2 = register_self(&n, 2);
    ck_assert_int_gt(epoch2, epoch1);
    struct created dup = {0};
    controller_create_topics(n.c, &req, create_cb, &dup);
    run_until(&n, &dup.calls);
    ck_assert_int_eq(dup.err[0], KERR_TOPIC_ALREADY_EXISTS);
    struct pids p2 = {0};
    controller_allocate_producer_ids(n.c, 1, epoch2, pid_cb, &p2);
    run_until(&n, &p2.calls);
    ck_assert_int_eq(p2.first, CONTROLLER_PID_BLOCK_SIZE);
    node_close(&n);
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

/* Number of .checkpoint files in the metadata log directory. */
static int count_checkpoints(void)
{
    char logdir[400];
    snprintf(logdir, sizeof(logdir), "%s/__cluster_metadata-0", dir);
    DIR *d = opendir(logdir);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (l > 11 && strcmp(de->d_name + l - 11, ".checkpoint") == 0)
            n++;
    }
    closedir(d);
    return n;
}

START_TEST(image_rebuilt_from_snapshot_and_tail)
{
    snprintf(dir, sizeof(dir), "/tmp/sluice-ctl-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snapshot_bytes = 2048;
    struct node n;
    node_open(&n);
    register_self(&n, 1);
    struct uuid ids[60];
    for (int i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof name, "topic-%02d", i);
        struct ctl_create_topic t = {.name = name, .num_partitions = 3, .replication_factor = 1};
        struct ctl_create_topics_req req = {&t, 1, false};
        struct created cr = {0};
        controller_create_topics(n.c, &req, create_cb, &cr);
        run_until(&n, &cr.calls);
        ck_assert_int_eq(cr.err[0], 0);
        ids[i] = cr.id[0];
    }
    ck_assert_int_eq(count_checkpoints(), 1);
    int64_t offset_before = metadata_image_offset(n.img);
    node_close(&n);

    /* A fresh image: the snapshot, then the tail, then the new epoch's marker. */
    node_open(&n);
    ck_assert_int_gt(metadata_image_offset(n.img), offset_before);
    ck_assert_uint_eq(metadata_image_topic_count(n.img), 60);
    for (int i = 0; i < 60; i++) {
        char name[32];
        snprintf(name, sizeof name, "topic-%02d", i);
        const struct mi_topic *t = metadata_image_topic_by_name(n.img, name);
        ck_assert_ptr_nonnull(t);
        ck_assert(uuid_equal(&t->id, &ids[i]));
        ck_assert_int_eq(t->npartitions, 3);
        ck_assert_int_eq(metadata_image_partition(t, 2)->leader, 1);
    }
    ck_assert_ptr_nonnull(metadata_image_broker(n.img, 1));
    ck_assert_int_eq(metadata_image_feature_level(n.img, "metadata.version"),
                     CONTROLLER_DEFAULT_METADATA_VERSION);
    /* The controller carries on from the rebuilt image. */
    register_self(&n, 2);
    node_close(&n);
    snapshot_bytes = 0;
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_WARN);
    Suite *s = suite_create("controller_local");
    TCase *tc = tcase_create("controller_local");
    tcase_add_test(tc, image_survives_restart);
    tcase_add_test(tc, image_rebuilt_from_snapshot_and_tail);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
