/*
 * controller_alter_topic_configs against the in-memory quorum: the
 * IncrementalAlterConfigs operations (SET, DELETE, APPEND, SUBTRACT on LIST
 * configs, KIP-339), AlterConfigs replacing the whole override set,
 * per-resource errors (unknown topic, invalid values, duplicate keys,
 * broker and other resource types) next to resources that succeed,
 * validate_only, answers only after the batch commits, no records for
 * unchanged keys, and NOT_CONTROLLER.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller.h"
#include "fake_quorum.h"
#include "kafka.h"
#include "log.h"
#include "metadata_image.h"

struct env {
    struct metadata_image *img;
    struct controller *c;
    struct fake_quorum *fq;
};

#define MAXR 8
struct cap {
    int calls;
    int n;
    int16_t err[MAXR];
    char msg[MAXR][400];
    char name[MAXR][64];
    int8_t type[MAXR];
};

static void on_altered(void *ctx, const struct ctl_alter_configs_result *r, int32_t n)
{
    struct cap *c = ctx;
    c->calls++;
    c->n = n;
    for (int32_t i = 0; i < n && i < MAXR; i++) {
        c->err[i] = r[i].error_code;
        snprintf(c->msg[i], sizeof(c->msg[i]), "%s", r[i].error_message ? r[i].error_message : "");
        snprintf(c->name[i], sizeof(c->name[i]), "%s", r[i].resource_name);
        c->type[i] = r[i].resource_type;
    }
}

static void on_created(void *ctx, const struct ctl_create_topic_result *r, int32_t n)
{
    int *ok = ctx;
    for (int32_t i = 0; i < n; i++)
        ck_assert_int_eq(r[i].error_code, KERR_NONE);
    (*ok)++;
}

static void on_registered(void *ctx, int16_t err, const char *msg, int64_t epoch)
{
    (void)msg;
    (void)epoch;
    ck_assert_int_eq(err, KERR_NONE);
    (*(int *)ctx)++;
}

/* One broker and topics "t1" and "t2" (no overrides). */
static void setup(struct env *e)
{
    memset(e, 0, sizeof(*e));
    struct controller_config cfg = {
        .node_id = 1, .num_partitions = 1, .default_replication_factor = 1};
    fake_controller_start(&cfg, &e->img, &e->c, &e->fq);
    struct ctl_endpoint ep = {"PLAINTEXT", "localhost", 9092, 0};
    struct ctl_register_broker reg = {.broker_id = 1, .endpoints = &ep, .nendpoints = 1};
    reg.incarnation_id.b[15] = 1;
    int done = 0;
    controller_register_broker(e->c, &reg, on_registered, &done);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(done, 1);
    struct ctl_create_topic t[2] = {{.name = "t1", .num_partitions = 1, .replication_factor = 1},
                                    {.name = "t2", .num_partitions = 1, .replication_factor = 1}};
    struct ctl_create_topics_req req = {t, 2, false};
    controller_create_topics(e->c, &req, on_created, &done);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(done, 2);
}

static void teardown(struct env *e)
{
    fake_controller_stop(e->img, e->c, e->fq);
}

static const char *cfg(struct env *e, const char *topic, const char *key)
{
    return metadata_image_config(e->img, 2, topic, key);
}

/* Submits one request; commits when `commit`. */
static void alter(struct env *e, const struct ctl_alter_configs_resource *rs, int32_t n,
                  bool incremental, bool validate_only, bool commit, struct cap *cap)
{
    struct ctl_alter_configs_req req = {rs, n, incremental, validate_only};
    memset(cap, 0, sizeof(*cap));
    controller_alter_topic_configs(e->c, &req, on_altered, cap);
    if (commit)
        fake_quorum_commit_all(e->fq);
}

static struct ctl_alter_configs_resource topic_res(const char *name,
                                                   const struct ctl_alter_config *c, int32_t n)
{
    struct ctl_alter_configs_resource r = {2, name, c, n};
    return r;
}

START_TEST(incremental_ops)
{
    struct env e;
    setup(&e);
    struct ctl_alter_config set[] = {{"retention.ms", CTL_CONFIG_SET, "1000"},
                                     {"cleanup.policy", CTL_CONFIG_APPEND, "compact"}};
    struct ctl_alter_configs_resource rs = topic_res("t1", set, 2);
    int appends = fake_quorum_appends(e.fq);
    struct cap cap;
    alter(&e, &rs, 1, true, false, false, &cap);
    /* One batch, and no answer before it commits. */
    ck_assert_int_eq(cap.calls, 0);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends + 1);
    ck_assert_ptr_null(cfg(&e, "t1", "retention.ms"));
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_str_eq(cap.name[0], "t1");
    ck_assert_int_eq(cap.type[0], 2);
    ck_assert_str_eq(cfg(&e, "t1", "retention.ms"), "1000");
    /* APPEND starts from the default ("delete"). */
    ck_assert_str_eq(cfg(&e, "t1", "cleanup.policy"), "delete,compact");
    ck_assert_ptr_null(cfg(&e, "t2", "retention.ms"));

    /* APPEND of a present item changes nothing; SUBTRACT removes; DELETE reverts. */
    struct ctl_alter_config more[] = {{"cleanup.policy", CTL_CONFIG_SUBTRACT, "delete"},
                                      {"retention.ms", CTL_CONFIG_DELETE, NULL}};
    rs = topic_res("t1", more, 2);
    alter(&e, &rs, 1, true, false, true, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_str_eq(cfg(&e, "t1", "cleanup.policy"), "compact");
    ck_assert_ptr_null(cfg(&e, "t1", "retention.ms"));

    /* Nothing changes: no record, answered at once. */
    struct ctl_alter_config same[] = {{"cleanup.policy", CTL_CONFIG_APPEND, "compact"},
                                      {"segment.ms", CTL_CONFIG_DELETE, NULL}};
    rs = topic_res("t1", same, 2);
    appends = fake_quorum_appends(e.fq);
    alter(&e, &rs, 1, true, false, false, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    teardown(&e);
}
END_TEST

START_TEST(errors_per_resource)
{
    struct env e;
    setup(&e);
    struct ctl_alter_config good[] = {{"retention.ms", CTL_CONFIG_SET, "5000"}};
    struct ctl_alter_config bad_value[] = {{"segment.ms", CTL_CONFIG_SET, "7"},
                                           {"retention.ms", CTL_CONFIG_SET, "abc"}};
    struct ctl_alter_config append_long[] = {{"retention.ms", CTL_CONFIG_APPEND, "5"}};
    struct ctl_alter_config unknown[] = {{"no.such.config", CTL_CONFIG_DELETE, NULL}};
    struct ctl_alter_config dup[] = {{"retention.ms", CTL_CONFIG_SET, "1"},
                                     {"retention.ms", CTL_CONFIG_DELETE, NULL}};
    struct ctl_alter_config bad_op[] = {{"retention.ms", 9, "1"}};
    struct ctl_alter_configs_resource rs[8] = {
        topic_res("t1", good, 1),    topic_res("nope", good, 1), topic_res("t2", bad_value, 2),
        {4, "1", good, 1},           {99, "x", good, 1},         topic_res("t2", append_long, 1),
        topic_res("t2", unknown, 1), topic_res("t2", dup, 2),
    };
    /* The first five in one request (t2 only once among them). */
    struct cap cap;
    alter(&e, rs, 5, true, false, true, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.n, 5);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_int_eq(cap.err[1], KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_str_eq(cap.msg[1], "The topic 'nope' does not exist.");
    ck_assert_int_eq(cap.err[2], KERR_INVALID_CONFIG);
    ck_assert_ptr_nonnull(strstr(cap.msg[2], "retention.ms"));
    ck_assert_int_eq(cap.err[3], KERR_INVALID_REQUEST);
    ck_assert_str_eq(cap.msg[3], "dynamic broker configs are not supported");
    ck_assert_int_eq(cap.type[3], 4);
    ck_assert_int_eq(cap.err[4], KERR_INVALID_REQUEST);
    /* The valid resource applied; the failed one changed nothing (segment.ms was valid). */
    ck_assert_str_eq(cfg(&e, "t1", "retention.ms"), "5000");
    ck_assert_ptr_null(cfg(&e, "t2", "segment.ms"));
    ck_assert_ptr_null(cfg(&e, "t2", "retention.ms"));

    for (int i = 5; i < 8; i++) {
        alter(&e, &rs[i], 1, true, false, true, &cap);
        ck_assert_int_eq(cap.calls, 1);
        ck_assert_int_eq(cap.err[0], i == 7 ? KERR_INVALID_REQUEST : KERR_INVALID_CONFIG);
        ck_assert_int_gt(strlen(cap.msg[0]), 0);
    }
    alter(&e, &(struct ctl_alter_configs_resource){2, "t2", bad_op, 1}, 1, true, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REQUEST);
    /* The same topic twice in one request. */
    struct ctl_alter_configs_resource twice[2] = {topic_res("t2", good, 1),
                                                  topic_res("t2", good, 1)};
    alter(&e, twice, 2, true, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_REQUEST);
    ck_assert_int_eq(cap.err[1], KERR_INVALID_REQUEST);
    ck_assert_ptr_null(cfg(&e, "t2", "retention.ms"));
    teardown(&e);
}
END_TEST

START_TEST(validate_only)
{
    struct env e;
    setup(&e);
    struct ctl_alter_config set[] = {{"retention.ms", CTL_CONFIG_SET, "1000"}};
    struct ctl_alter_config bad[] = {{"retention.ms", CTL_CONFIG_SET, "-5"}};
    struct ctl_alter_configs_resource rs[2] = {topic_res("t1", set, 1), topic_res("t2", bad, 1)};
    int appends = fake_quorum_appends(e.fq);
    struct cap cap;
    alter(&e, rs, 2, true, true, false, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_int_eq(cap.err[1], KERR_INVALID_CONFIG);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    ck_assert_ptr_null(cfg(&e, "t1", "retention.ms"));
    /* AlterConfigs validate_only too. */
    alter(&e, rs, 1, false, true, false, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    teardown(&e);
}
END_TEST

START_TEST(alter_configs_replaces)
{
    struct env e;
    setup(&e);
    struct ctl_alter_config set[] = {{"retention.ms", CTL_CONFIG_SET, "1000"},
                                     {"segment.ms", CTL_CONFIG_SET, "60000"}};
    struct ctl_alter_configs_resource rs = topic_res("t1", set, 2);
    struct cap cap;
    alter(&e, &rs, 1, true, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_str_eq(cfg(&e, "t1", "segment.ms"), "60000");
    /* AlterConfigs: only what is listed remains. */
    struct ctl_alter_config only[] = {{"cleanup.policy", 0, "compact"},
                                      {"retention.ms", 0, "1000"}};
    rs = topic_res("t1", only, 2);
    alter(&e, &rs, 1, false, false, true, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_str_eq(cfg(&e, "t1", "cleanup.policy"), "compact");
    ck_assert_str_eq(cfg(&e, "t1", "retention.ms"), "1000");
    ck_assert_ptr_null(cfg(&e, "t1", "segment.ms"));
    /* A null value is invalid in AlterConfigs; nothing changes. */
    struct ctl_alter_config null_value[] = {{"retention.ms", 0, NULL}};
    rs = topic_res("t1", null_value, 1);
    alter(&e, &rs, 1, false, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_INVALID_CONFIG);
    ck_assert_str_eq(cfg(&e, "t1", "cleanup.policy"), "compact");
    /* An empty set removes every override. */
    rs = topic_res("t1", NULL, 0);
    alter(&e, &rs, 1, false, false, true, &cap);
    ck_assert_int_eq(cap.err[0], KERR_NONE);
    ck_assert_ptr_null(cfg(&e, "t1", "cleanup.policy"));
    ck_assert_ptr_null(cfg(&e, "t1", "retention.ms"));
    teardown(&e);
}
END_TEST

START_TEST(not_controller)
{
    struct env e;
    setup(&e);
    struct ctl_alter_config set[] = {{"retention.ms", CTL_CONFIG_SET, "1000"}};
    struct ctl_alter_configs_resource rs = topic_res("t1", set, 1);
    struct cap cap;
    /* Pending when leadership is lost: fails with NOT_CONTROLLER. */
    alter(&e, &rs, 1, true, false, false, &cap);
    ck_assert_int_eq(cap.calls, 0);
    fake_quorum_resign(e.fq, 2);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NOT_CONTROLLER);
    alter(&e, &rs, 1, true, false, false, &cap);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err[0], KERR_NOT_CONTROLLER);
    teardown(&e);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("alter_configs");
    TCase *tc = tcase_create("alter_configs");
    tcase_add_test(tc, incremental_ops);
    tcase_add_test(tc, errors_per_resource);
    tcase_add_test(tc, validate_only);
    tcase_add_test(tc, alter_configs_replaces);
    tcase_add_test(tc, not_controller);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
