/*
 * ElectLeaders (KIP-460) and targeted leadership transfers on the active
 * controller, with the in-memory quorum (commits on demand) and explicit
 * time: a transfer to an in-sync, unfenced replica writes one
 * PartitionChangeRecord (new leader, leader epoch + 1, ISR unchanged) and
 * answers after it commits; transfers to the leader, to a non-replica, to a
 * replica out of the ISR, fenced or in controlled shutdown, and to unknown
 * partitions are refused without a record; preferred elections move
 * leadership back to replicas[0] or say why they cannot; unclean elections
 * only touch leaderless partitions; a null partition list covers the
 * cluster and answers only the partitions that needed an election.
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

static void setup(struct env *e)
{
    memset(e, 0, sizeof(*e));
    struct controller_config cfg = {
        .node_id = 1, .num_partitions = 3, .default_replication_factor = 3};
    fake_controller_start(&cfg, &e->img, &e->c, &e->fq);
    ck_assert(controller_is_active(e->c));
}

static void teardown(struct env *e)
{
    fake_controller_stop(e->img, e->c, e->fq);
}

static void cap_reg(void *ctx, int16_t err, const char *msg, int64_t epoch)
{
    (void)msg;
    (void)epoch;
    *(int16_t *)ctx = err;
}

struct hb_cap {
    int calls;
    struct ctl_heartbeat_result r;
};

static void cap_hb(void *ctx, const struct ctl_heartbeat_result *r)
{
    struct hb_cap *h = ctx;
    h->calls++;
    h->r = *r;
}

static const struct mi_broker *broker(struct env *e, int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(e->img, id);
    ck_assert_ptr_nonnull(b);
    return b;
}

/* A heartbeat from a broker that has replayed everything committed so far. */
static struct hb_cap hb(struct env *e, int32_t id, bool fence, bool shutdown, int64_t now)
{
    struct hb_cap h = {0};
    controller_broker_heartbeat(e->c, id, broker(e, id)->epoch, metadata_image_offset(e->img),
                                fence, shutdown, now, cap_hb, &h);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(h.calls, 1);
    return h;
}

/* Brokers 1..n registered and unfenced. */
static void start_brokers(struct env *e, int n)
{
    for (int32_t id = 1; id <= n; id++) {
        struct ctl_endpoint ep = {"PLAINTEXT", "localhost", (uint16_t)(9092 + id), 0};
        struct uuid inc;
        memset(&inc, 0, sizeof(inc));
        inc.b[0] = (uint8_t)id;
        inc.b[15] = 7;
        struct ctl_register_broker req = {
            .broker_id = id, .incarnation_id = inc, .endpoints = &ep, .nendpoints = 1};
        int16_t err = -1;
        controller_register_broker_ex(e->c, &req, 0, 0, cap_reg, &err);
        fake_quorum_commit_all(e->fq);
        ck_assert_int_eq(err, 0);
        hb(e, id, false, false, 0);
        ck_assert(!broker(e, id)->fenced);
    }
}

static void cap_ct(void *ctx, const struct ctl_create_topic_result *r, int32_t n)
{
    *(int16_t *)ctx = n > 0 ? r[0].error_code : -100;
}

/* A topic with explicit replica rows of rf ids each. */
static void mk_topic(struct env *e, const char *name, const int32_t *rows, int32_t nparts,
                     int32_t rf)
{
    struct ctl_assignment as[8];
    ck_assert_int_le(nparts, 8);
    for (int32_t i = 0; i < nparts; i++)
        as[i] = (struct ctl_assignment){i, rows + i * rf, rf};
    struct ctl_create_topic t = {.name = name,
                                 .num_partitions = -1,
                                 .replication_factor = -1,
                                 .assignments = as,
                                 .nassignments = nparts};
    struct ctl_create_topics_req req = {&t, 1, false};
    int16_t err = -1;
    controller_create_topics(e->c, &req, cap_ct, &err);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(err, 0);
}

static const struct mi_partition *part(struct env *e, const char *topic, int32_t p)
{
    const struct mi_topic *t = metadata_image_topic_by_name(e->img, topic);
    ck_assert_ptr_nonnull(t);
    const struct mi_partition *mp = metadata_image_partition(t, p);
    ck_assert_ptr_nonnull(mp);
    return mp;
}

struct el_cap {
    int calls;
    int16_t top;
    int32_t n;
    struct ctl_elect_result r[16];
    char topics[16][32];
    char msgs[16][256];
};

static void cap_el(void *ctx, int16_t err, const struct ctl_elect_result *r, int32_t n)
{
    struct el_cap *c = ctx;
    c->calls++;
    c->top = err;
    c->n = n;
    for (int32_t i = 0; i < n && i < 16; i++) {
        c->r[i] = r[i];
        snprintf(c->topics[i], sizeof c->topics[i], "%s", r[i].topic ? r[i].topic : "");
        snprintf(c->msgs[i], sizeof c->msgs[i], "%s", r[i].error_message ? r[i].error_message : "");
        c->r[i].topic = c->topics[i];
        c->r[i].error_message = c->msgs[i];
    }
}

/* One election of `type` over (topic, p) pairs (npairs < 0: every partition), committed. */
static void elect(struct env *e, struct el_cap *cap, int8_t type, int32_t target,
                  const struct ctl_elect_partition *parts, int32_t nparts, bool commit)
{
    struct ctl_elect_leaders_req req = {
        .election_type = type, .target = target, .partitions = parts, .npartitions = nparts};
    memset(cap, 0, sizeof(*cap));
    controller_elect_leaders(e->c, &req, cap_el, cap);
    if (commit)
        fake_quorum_commit_all(e->fq);
}

static const int32_t rows3[] = {1, 2, 3, 2, 3, 1, 3, 1, 2};

START_TEST(transfer_to_an_isr_member)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3);
    mk_topic(&e, "t", rows3, 3, 3);
    const struct mi_partition *p0 = part(&e, "t", 0);
    ck_assert_int_eq(p0->leader, 1);
    int32_t epoch = p0->leader_epoch, pepoch = p0->partition_epoch;
    struct ctl_elect_partition one = {"t", 0};
    struct el_cap c;
    elect(&e, &c, CTL_ELECTION_TARGET, 3, &one, 1, false);
    /* Answered only once the record commits. */
    ck_assert_int_eq(c.calls, 0);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 1);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.top, 0);
    ck_assert_int_eq(c.n, 1);
    ck_assert_str_eq(c.r[0].topic, "t");
    ck_assert_int_eq(c.r[0].partition_index, 0);
    ck_assert_int_eq(c.r[0].error_code, 0);
    ck_assert_int_eq(c.r[0].leader_id, 3);
    ck_assert_int_eq(c.r[0].leader_epoch, epoch + 1);
    p0 = part(&e, "t", 0);
    ck_assert_int_eq(p0->leader, 3);
    ck_assert_int_eq(p0->leader_epoch, epoch + 1);
    ck_assert_int_eq(p0->partition_epoch, pepoch + 1);
    ck_assert_int_eq(p0->nisr, 3); /* the ISR is untouched */
    /* The other partitions did not move. */
    ck_assert_int_eq(part(&e, "t", 1)->leader, 2);
    ck_assert_int_eq(part(&e, "t", 2)->leader, 3);
    teardown(&e);
}
END_TEST

START_TEST(transfer_refusals)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 4);
    mk_topic(&e, "t", rows3, 3, 3);
    struct ctl_elect_partition one = {"t", 0};
    struct el_cap c;
    int appends = fake_quorum_appends(e.fq);
    /* The current leader. */
    elect(&e, &c, CTL_ELECTION_TARGET, 1, &one, 1, true);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.r[0].error_code, KERR_ELECTION_NOT_NEEDED);
    ck_assert_int_eq(c.r[0].leader_id, 1);
    /* Not a replica (broker 4 exists but holds no replica of t-0). */
    elect(&e, &c, CTL_ELECTION_TARGET, 4, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_INVALID_REQUEST);
    ck_assert_ptr_nonnull(strstr(c.msgs[0], "not a replica"));
    /* Unknown topic and partition. */
    struct ctl_elect_partition bad[] = {{"nope", 0}, {"t", 7}};
    elect(&e, &c, CTL_ELECTION_TARGET, 2, bad, 2, true);
    ck_assert_int_eq(c.n, 2);
    ck_assert_int_eq(c.r[0].error_code, KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(c.r[1].error_code, KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_int_eq(c.r[1].partition_index, 7);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    /* Fenced: broker 3 leaves every ISR and may not lead. */
    hb(&e, 3, true, false, 100);
    ck_assert(broker(&e, 3)->fenced);
    appends = fake_quorum_appends(e.fq);
    elect(&e, &c, CTL_ELECTION_TARGET, 3, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_INELIGIBLE_REPLICA);
    ck_assert_ptr_nonnull(strstr(c.msgs[0], "fenced"));
    /* Unfenced again but not back in the ISR (its leader has not added it). */
    hb(&e, 3, false, false, 200);
    ck_assert(!broker(&e, 3)->fenced);
    ck_assert(!mi_partition_in_isr(part(&e, "t", 0), 3));
    appends = fake_quorum_appends(e.fq);
    elect(&e, &c, CTL_ELECTION_TARGET, 3, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_INELIGIBLE_REPLICA);
    ck_assert_ptr_nonnull(strstr(c.msgs[0], "not in the ISR"));
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    /* In controlled shutdown: broker 2 leads t-1, so it enters controlled shutdown. */
    struct hb_cap h = hb(&e, 2, false, true, 300);
    ck_assert(h.r.in_controlled_shutdown);
    ck_assert(broker(&e, 2)->in_controlled_shutdown);
    elect(&e, &c, CTL_ELECTION_TARGET, 2, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_INELIGIBLE_REPLICA);
    /* Not active: a top-level NOT_CONTROLLER, answered at once. */
    fake_quorum_resign(e.fq, 2);
    elect(&e, &c, CTL_ELECTION_TARGET, 2, &one, 1, false);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.top, KERR_NOT_CONTROLLER);
    ck_assert_int_eq(c.n, 0);
    teardown(&e);
}
END_TEST

START_TEST(preferred_and_unclean_elections)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3);
    mk_topic(&e, "t", rows3, 3, 3);
    struct ctl_elect_partition all3[] = {{"t", 0}, {"t", 1}, {"t", 2}};
    struct el_cap c;
    /* Everyone leads its preferred partition: nothing to do. */
    elect(&e, &c, CTL_ELECTION_PREFERRED, 0, all3, 3, true);
    ck_assert_int_eq(c.n, 3);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(c.r[i].error_code, KERR_ELECTION_NOT_NEEDED);
    /* Move t-0 to 2; a preferred election moves it back to 1 with another epoch bump. */
    struct ctl_elect_partition one = {"t", 0};
    elect(&e, &c, CTL_ELECTION_TARGET, 2, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, 0);
    int32_t epoch = part(&e, "t", 0)->leader_epoch;
    elect(&e, &c, CTL_ELECTION_PREFERRED, 0, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, 0);
    ck_assert_int_eq(part(&e, "t", 0)->leader, 1);
    ck_assert_int_eq(part(&e, "t", 0)->leader_epoch, epoch + 1);
    /* The preferred replica fenced: PREFERRED_LEADER_NOT_AVAILABLE, no record. */
    elect(&e, &c, CTL_ELECTION_TARGET, 3, &one, 1, true);
    hb(&e, 1, true, false, 100);
    int appends = fake_quorum_appends(e.fq);
    elect(&e, &c, CTL_ELECTION_PREFERRED, 0, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_PREFERRED_LEADER_NOT_AVAILABLE);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    /* Unclean elections only touch leaderless partitions. */
    elect(&e, &c, CTL_ELECTION_UNCLEAN, 0, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_ELECTION_NOT_NEEDED);
    /* An unknown election type. */
    elect(&e, &c, 9, 0, &one, 1, true);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.top, KERR_INVALID_REQUEST);
    teardown(&e);
}
END_TEST

START_TEST(unclean_election_of_a_leaderless_partition)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 2);
    /* Broker 2 fenced while the topic is created: the ISR of t-0 is [1]. */
    hb(&e, 2, true, false, 0);
    static const int32_t rows[] = {1, 2};
    mk_topic(&e, "t", rows, 1, 2);
    hb(&e, 2, false, false, 100);
    hb(&e, 1, true, false, 200); /* the only ISR member goes: leaderless */
    ck_assert_int_eq(part(&e, "t", 0)->leader, -1);
    struct ctl_elect_partition one = {"t", 0};
    struct el_cap c;
    /* A preferred election cannot help (replicas[0] is fenced) ... */
    elect(&e, &c, CTL_ELECTION_PREFERRED, 0, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_PREFERRED_LEADER_NOT_AVAILABLE);
    /* ... an unclean one elects the live replica, which becomes the ISR (KIP-704). */
    elect(&e, &c, CTL_ELECTION_UNCLEAN, 0, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, 0);
    ck_assert_int_eq(c.r[0].leader_id, 2);
    const struct mi_partition *p0 = part(&e, "t", 0);
    ck_assert_int_eq(p0->leader, 2);
    ck_assert_int_eq(p0->nisr, 1);
    ck_assert_int_eq(p0->isr[0], 2);
    ck_assert_int_eq(p0->leader_recovery_state, 1);
    /* Nobody live at all: ELIGIBLE_LEADERS_NOT_AVAILABLE. */
    hb(&e, 2, true, false, 300);
    ck_assert_int_eq(part(&e, "t", 0)->leader, -1);
    elect(&e, &c, CTL_ELECTION_UNCLEAN, 0, &one, 1, true);
    ck_assert_int_eq(c.r[0].error_code, KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE);
    teardown(&e);
}
END_TEST

START_TEST(every_partition_when_none_are_named)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3);
    mk_topic(&e, "a", rows3, 3, 3);
    mk_topic(&e, "b", rows3, 3, 3);
    struct ctl_elect_partition a1 = {"a", 1}, b2 = {"b", 2};
    struct el_cap c;
    elect(&e, &c, CTL_ELECTION_TARGET, 3, &a1, 1, true);
    ck_assert_int_eq(c.r[0].error_code, 0);
    elect(&e, &c, CTL_ELECTION_TARGET, 1, &b2, 1, true);
    ck_assert_int_eq(c.r[0].error_code, 0);
    ck_assert_int_eq(part(&e, "a", 1)->leader, 3);
    ck_assert_int_eq(part(&e, "b", 2)->leader, 1);
    /* Null partitions: only the two moved partitions are answered, both moved back at once. */
    int appends = fake_quorum_appends(e.fq);
    elect(&e, &c, CTL_ELECTION_PREFERRED, 0, NULL, 0, true);
    ck_assert_int_eq(c.top, 0);
    ck_assert_int_eq(c.n, 2);
    ck_assert_str_eq(c.r[0].topic, "a");
    ck_assert_int_eq(c.r[0].partition_index, 1);
    ck_assert_int_eq(c.r[0].leader_id, 2);
    ck_assert_str_eq(c.r[1].topic, "b");
    ck_assert_int_eq(c.r[1].partition_index, 2);
    ck_assert_int_eq(c.r[1].leader_id, 3);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends + 1);
    ck_assert_int_eq(part(&e, "a", 1)->leader, 2);
    ck_assert_int_eq(part(&e, "b", 2)->leader, 3);
    /* Nothing left to do: an empty answer. */
    elect(&e, &c, CTL_ELECTION_PREFERRED, 0, NULL, 0, true);
    ck_assert_int_eq(c.calls, 1);
    ck_assert_int_eq(c.n, 0);
    teardown(&e);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("controller_elect_leaders");
    TCase *tc = tcase_create("elect_leaders");
    tcase_add_test(tc, transfer_to_an_isr_member);
    tcase_add_test(tc, transfer_refusals);
    tcase_add_test(tc, preferred_and_unclean_elections);
    tcase_add_test(tc, unclean_election_of_a_leaderless_partition);
    tcase_add_test(tc, every_partition_when_none_are_named);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
