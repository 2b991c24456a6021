/*
 * Broker lifecycle and partition leadership on the active controller, with
 * the in-memory quorum (commits on demand) and a fake clock (explicit
 * now_ms): registration fenced until a heartbeat shows the broker caught up,
 * session expiry fencing, elections from the ISR with epochs bumped and the
 * broker removed from ISRs (last member kept), unclean elections only when
 * enabled, controlled shutdown moving leadership before allowing the
 * shutdown, AlterPartition validation (stale leader / partition epochs,
 * ineligible replicas, ...) and application, preferred-leader balancing,
 * duplicate registrations, and the combined node's local registration.
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

/* ---- broker properties seen by the controller ---- */

#define MAXP 8
struct props {
    const char *k[MAXP];
    const char *v[MAXP];
    int n;
};

static const char *lookup(void *ctx, const char *key, int8_t *source)
{
    struct props *p = ctx;
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->k[i], key) == 0) {
            *source = 4; /* static broker */
            return p->v[i];
        }
    return NULL;
}

static void prop_set(struct props *p, const char *k, const char *v)
{
    for (int i = 0; i < p->n; i++)
        if (strcmp(p->k[i], k) == 0) {
            p->v[i] = v;
            return;
        }
    ck_assert_int_lt(p->n, MAXP);
    p->k[p->n] = k;
    p->v[p->n] = v;
    p->n++;
}

/* ---- environment ---- */

struct env {
    struct metadata_image *img;
    struct controller *c;
    struct fake_quorum *fq;
    struct props props;
};

static void setup(struct env *e)
{
    memset(e, 0, sizeof(*e));
    struct controller_config cfg = {.node_id = 1,
                                    .num_partitions = 3,
                                    .default_replication_factor = 3,
                                    .broker_config = lookup,
                                    .broker_config_ctx = &e->props};
    fake_controller_start(&cfg, &e->img, &e->c, &e->fq);
    ck_assert(controller_is_active(e->c));
}

static void teardown(struct env *e)
{
    fake_controller_stop(e->img, e->c, e->fq);
}

static struct uuid incarnation(int32_t id, int gen)
{
    struct uuid u;
    memset(&u, 0, sizeof(u));
    u.b[0] = (uint8_t)id;
    u.b[1] = (uint8_t)gen;
    u.b[15] = 7;
    return u;
}

struct reg_cap {
    int calls;
    int16_t err;
    int64_t epoch;
};

static void cap_reg(void *ctx, int16_t err, const char *msg, int64_t epoch)
{
    (void)msg;
    struct reg_cap *r = ctx;
    r->calls++;
    r->err = err;
    r->epoch = epoch;
}

/* Registers broker id (incarnation gen) and commits; returns the callback's view. */
static struct reg_cap reg(struct env *e, int32_t id, int gen, unsigned flags, int64_t now)
{
    struct ctl_endpoint ep = {"PLAINTEXT", "localhost", (uint16_t)(9092 + id), 0};
    struct ctl_register_broker req = {
        .broker_id = id, .incarnation_id = incarnation(id, gen), .endpoints = &ep, .nendpoints = 1};
    struct reg_cap rc = {0};
    controller_register_broker_ex(e->c, &req, flags, now, cap_reg, &rc);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(rc.calls, 1);
    return rc;
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

static struct hb_cap hb_epoch(struct env *e, int32_t id, int64_t epoch, int64_t offset, bool fence,
                              bool shutdown, int64_t now)
{
    struct hb_cap h = {0};
    controller_broker_heartbeat(e->c, id, epoch, offset, fence, shutdown, now, cap_hb, &h);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(h.calls, 1);
    return h;
}

/* A heartbeat from a broker that has replayed everything committed so far. */
static struct hb_cap hb(struct env *e, int32_t id, bool fence, bool shutdown, int64_t now)
{
    const struct mi_broker *b = metadata_image_broker(e->img, id);
    ck_assert_ptr_nonnull(b);
    return hb_epoch(e, id, b->epoch, metadata_image_offset(e->img), fence, shutdown, now);
}

static const struct mi_broker *broker(struct env *e, int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(e->img, id);
    ck_assert_ptr_nonnull(b);
    return b;
}

/* Brokers 1..n registered through BrokerRegistration and unfenced by a caught-up heartbeat. */
static void start_brokers(struct env *e, int n, int64_t now)
{
    for (int32_t id = 1; id <= n; id++) {
        struct reg_cap rc = reg(e, id, 1, 0, now);
        ck_assert_int_eq(rc.err, 0);
        ck_assert(broker(e, id)->fenced);
        struct hb_cap h = hb(e, id, false, false, now);
        ck_assert_int_eq(h.r.error_code, 0);
        ck_assert(!h.r.is_fenced);
        ck_assert(!broker(e, id)->fenced);
    }
}

static void hb_all(struct env *e, int n, int64_t now)
{
    for (int32_t id = 1; id <= n; id++)
        if (!broker(e, id)->fenced)
            hb(e, id, false, false, now);
}

struct ct_cap {
    int calls;
    int16_t err;
};

static void cap_ct(void *ctx, const struct ctl_create_topic_result *r, int32_t n)
{
    struct ct_cap *c = ctx;
    c->calls++;
    c->err = n > 0 ? r[0].error_code : -100;
}

/* A topic with explicit replica rows (rf ids each); configs optional. */
static void mk_topic(struct env *e, const char *name, const int32_t *rows, int32_t nparts,
                     int32_t rf, const struct ctl_config_entry *cfgs, int32_t ncfgs)
{
    struct ctl_assignment as[16];
    ck_assert_int_le(nparts, 16);
    for (int32_t i = 0; i < nparts; i++)
        as[i] = (struct ctl_assignment){i, rows + i * rf, rf};
    struct ctl_create_topic t = {.name = name,
                                 .num_partitions = -1,
                                 .replication_factor = -1,
                                 .assignments = as,
                                 .nassignments = nparts,
                                 .configs = cfgs,
                                 .nconfigs = ncfgs};
    struct ctl_create_topics_req req = {&t, 1, false};
    struct ct_cap cap = {0};
    controller_create_topics(e->c, &req, cap_ct, &cap);
    fake_quorum_commit_all(e->fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(cap.err, 0);
}

static const struct mi_partition *part(struct env *e, const char *topic, int32_t p)
{
    const struct mi_topic *t = metadata_image_topic_by_name(e->img, topic);
    ck_assert_ptr_nonnull(t);
    const struct mi_partition *mp = metadata_image_partition(t, p);
    ck_assert_ptr_nonnull(mp);
    return mp;
}

static void ck_isr(const struct mi_partition *p, const int32_t *want, int32_t n)
{
    ck_assert_int_eq(p->nisr, n);
    for (int32_t i = 0; i < n; i++)
        ck_assert_int_eq(p->isr[i], want[i]);
}

#define CK_ISR(P, ...)                                                                             \
    do {                                                                                           \
        const int32_t want_[] = {__VA_ARGS__};                                                     \
        ck_isr((P), want_, (int32_t)(sizeof(want_) / sizeof(want_[0])));                           \
    } while (0)

static const int32_t rows3[] = {1, 2, 3, 2, 3, 1, 3, 1, 2};

/* ---- registration and unfencing ---- */

START_TEST(heartbeat_unfences_when_caught_up)
{
    struct env e;
    setup(&e);
    struct reg_cap rc = reg(&e, 1, 1, 0, 0);
    ck_assert_int_eq(rc.err, 0);
    ck_assert_int_eq(broker(&e, 1)->epoch, rc.epoch);
    ck_assert(broker(&e, 1)->fenced);
    /* Behind its own registration: stays fenced, not caught up. */
    struct hb_cap h = hb_epoch(&e, 1, rc.epoch, rc.epoch - 1, false, false, 100);
    ck_assert_int_eq(h.r.error_code, 0);
    ck_assert(!h.r.is_caught_up);
    ck_assert(h.r.is_fenced);
    ck_assert(!h.r.should_shut_down);
    ck_assert(broker(&e, 1)->fenced);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    /* Caught up but asking to stay fenced (still loading its logs). */
    h = hb_epoch(&e, 1, rc.epoch, rc.epoch, true, false, 200);
    ck_assert(h.r.is_caught_up);
    ck_assert(h.r.is_fenced);
    ck_assert(broker(&e, 1)->fenced);
    /* Caught up: an UnfenceBrokerRecord, answered once it committed. */
    struct hb_cap pending = {0};
    controller_broker_heartbeat(e.c, 1, rc.epoch, rc.epoch, false, false, 300, cap_hb, &pending);
    ck_assert_int_eq(pending.calls, 0);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 1);
    ck_assert(broker(&e, 1)->fenced); /* only replay changes the image */
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(pending.calls, 1);
    ck_assert(!pending.r.is_fenced);
    ck_assert(pending.r.is_caught_up);
    ck_assert(!broker(&e, 1)->fenced);
    /* Wrong epoch, unknown broker. */
    h = hb_epoch(&e, 1, rc.epoch + 5, rc.epoch, false, false, 400);
    ck_assert_int_eq(h.r.error_code, KERR_STALE_BROKER_EPOCH);
    h = hb_epoch(&e, 9, 0, 0, false, false, 400);
    ck_assert_int_eq(h.r.error_code, KERR_BROKER_ID_NOT_REGISTERED);
    /* An unfenced broker asking to be fenced is fenced. */
    h = hb(&e, 1, true, false, 500);
    ck_assert(h.r.is_fenced);
    ck_assert(!h.r.should_shut_down);
    ck_assert(broker(&e, 1)->fenced);
    teardown(&e);
}
END_TEST

START_TEST(local_registration_is_unfenced_at_once)
{
    struct env e;
    setup(&e);
    prop_set(&e.props, "broker.session.timeout.ms", "1000");
    /* The combined node's own broker: unfenced by the registration itself, never expires. */
    struct ctl_endpoint ep = {"PLAINTEXT", "localhost", 9092, 0};
    struct ctl_register_broker req = {
        .broker_id = 1, .incarnation_id = incarnation(1, 1), .endpoints = &ep, .nendpoints = 1};
    struct reg_cap rc = {0};
    controller_register_broker(e.c, &req, cap_reg, &rc);
    ck_assert_int_eq(rc.calls, 0);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(rc.calls, 1);
    ck_assert_int_eq(rc.err, 0);
    ck_assert(!broker(&e, 1)->fenced);
    controller_tick(e.c, 0);
    controller_tick(e.c, 60000);
    fake_quorum_commit_all(e.fq);
    ck_assert(!broker(&e, 1)->fenced);
    /* A remote broker on the same controller does expire. */
    reg(&e, 2, 1, 0, 60000);
    hb(&e, 2, false, false, 60000);
    ck_assert(!broker(&e, 2)->fenced);
    controller_tick(e.c, 61001);
    fake_quorum_commit_all(e.fq);
    ck_assert(broker(&e, 2)->fenced);
    ck_assert(!broker(&e, 1)->fenced);
    teardown(&e);
}
END_TEST

START_TEST(duplicate_registration_until_session_expires)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3, 0);
    mk_topic(&e, "t", rows3, 3, 3, NULL, 0);
    int64_t old_epoch = broker(&e, 1)->epoch;
    /* Another incarnation while broker 1's session is alive. */
    struct reg_cap rc = reg(&e, 1, 2, 0, 1000);
    ck_assert_int_eq(rc.err, KERR_DUPLICATE_BROKER_REGISTRATION);
    ck_assert_int_eq(rc.epoch, -1);
    ck_assert_int_eq(broker(&e, 1)->epoch, old_epoch);
    /* The same incarnation (a retry) is accepted: a new epoch, fenced until caught up. */
    rc = reg(&e, 1, 1, 0, 2000);
    ck_assert_int_eq(rc.err, 0);
    ck_assert_int_gt(rc.epoch, old_epoch);
    ck_assert(broker(&e, 1)->fenced);
    /* Its old registration's leadership was moved first. */
    ck_assert_int_eq(part(&e, "t", 0)->leader, 2);
    CK_ISR(part(&e, "t", 0), 2, 3);
    hb(&e, 1, false, false, 2000);
    ck_assert(!broker(&e, 1)->fenced);
    /* After the session timeout without heartbeats it is fenced, then a new incarnation fits. */
    hb(&e, 2, false, false, 9000);
    hb(&e, 3, false, false, 9000);
    controller_tick(e.c, 11001);
    fake_quorum_commit_all(e.fq);
    ck_assert(broker(&e, 1)->fenced);
    rc = reg(&e, 1, 3, 0, 11001);
    ck_assert_int_eq(rc.err, 0);
    /* A new term: sessions start over, so a new incarnation replaces a live registration. */
    hb(&e, 1, false, false, 11002);
    ck_assert(!broker(&e, 1)->fenced);
    fake_quorum_resign(e.fq, 2);
    fake_quorum_elect(e.fq);
    rc = reg(&e, 3, 2, 0, 12000);
    ck_assert_int_eq(rc.err, 0);
    ck_assert(broker(&e, 3)->fenced);
    ck_assert_int_ne(part(&e, "t", 2)->leader, 3);
    teardown(&e);
}
END_TEST

/* ---- fencing and elections ---- */

START_TEST(fence_elects_from_isr)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3, 0);
    mk_topic(&e, "t", rows3, 3, 3, NULL, 0);
    const struct mi_partition *p0 = part(&e, "t", 0);
    ck_assert_int_eq(p0->leader, 1);
    ck_assert_int_eq(p0->leader_epoch, 0);
    ck_assert_int_eq(p0->partition_epoch, 0);
    CK_ISR(p0, 1, 2, 3);
    int appends = fake_quorum_appends(e.fq);
    struct hb_cap h = hb(&e, 1, true, false, 100);
    ck_assert(h.r.is_fenced);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends + 1); /* one atomic batch */
    ck_assert(broker(&e, 1)->fenced);
    /* p0: led by 1 -> the first remaining ISR member in replica order, both epochs bumped. */
    p0 = part(&e, "t", 0);
    ck_assert_int_eq(p0->leader, 2);
    ck_assert_int_eq(p0->leader_epoch, 1);
    ck_assert_int_eq(p0->partition_epoch, 1);
    CK_ISR(p0, 2, 3);
    /* p1: 1 only a follower: leader and leader epoch unchanged, ISR shrunk. */
    const struct mi_partition *p1 = part(&e, "t", 1);
    ck_assert_int_eq(p1->leader, 2);
    ck_assert_int_eq(p1->leader_epoch, 0);
    ck_assert_int_eq(p1->partition_epoch, 1);
    CK_ISR(p1, 2, 3);
    const struct mi_partition *p2 = part(&e, "t", 2);
    ck_assert_int_eq(p2->leader, 3);
    CK_ISR(p2, 3, 2);
    /* Fencing 2 as well: p0 and p1 move to 3, p2 keeps 3; every ISR is [3]. */
    hb(&e, 2, true, false, 200);
    for (int32_t i = 0; i < 3; i++) {
        ck_assert_int_eq(part(&e, "t", i)->leader, 3);
        CK_ISR(part(&e, "t", i), 3);
    }
    ck_assert_int_eq(part(&e, "t", 0)->leader_epoch, 2);
    /* The last ISR member is kept when it goes too: no leader, ISR [3] (KIP-966 aside). */
    hb(&e, 3, true, false, 300);
    for (int32_t i = 0; i < 3; i++) {
        ck_assert_int_eq(part(&e, "t", i)->leader, -1);
        CK_ISR(part(&e, "t", i), 3);
    }
    /* Unfencing a broker outside the ISR elects nobody (clean elections only). */
    hb(&e, 1, false, false, 400);
    ck_assert(!broker(&e, 1)->fenced);
    ck_assert_int_eq(part(&e, "t", 0)->leader, -1);
    /* Unfencing the ISR member elects it again, with a new leader epoch. */
    int32_t before = part(&e, "t", 0)->leader_epoch;
    hb(&e, 3, false, false, 500);
    for (int32_t i = 0; i < 3; i++)
        ck_assert_int_eq(part(&e, "t", i)->leader, 3);
    ck_assert_int_eq(part(&e, "t", 0)->leader_epoch, before + 1);
    teardown(&e);
}
END_TEST

START_TEST(session_expiry_fences)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3, 1000);
    mk_topic(&e, "t", rows3, 3, 3, NULL, 0);
    controller_tick(e.c, 5000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    hb(&e, 2, false, false, 6000);
    hb(&e, 3, false, false, 6000);
    /* Exactly broker.session.timeout.ms (9000) after the last heartbeat: still alive. */
    controller_tick(e.c, 10000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    ck_assert(!broker(&e, 1)->fenced);
    int appends = fake_quorum_appends(e.fq);
    controller_tick(e.c, 10001);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 1);
    controller_tick(e.c, 10002); /* a tick meanwhile fences nothing twice */
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends + 1);
    ck_assert(broker(&e, 1)->fenced);
    ck_assert(!broker(&e, 2)->fenced);
    ck_assert_int_eq(part(&e, "t", 0)->leader, 2);
    ck_assert_int_eq(part(&e, "t", 0)->leader_epoch, 1);
    CK_ISR(part(&e, "t", 0), 2, 3);
    /* A heartbeat queued behind an uncommitted operation renews the session on arrival. */
    struct ctl_create_topic t2 = {.name = "t2", .num_partitions = 1, .replication_factor = 1};
    struct ctl_create_topics_req req = {&t2, 1, false};
    struct ct_cap cap = {0};
    controller_create_topics(e.c, &req, cap_ct, &cap);
    struct hb_cap queued = {0};
    controller_broker_heartbeat(e.c, 2, broker(&e, 2)->epoch, metadata_image_offset(e.img), false,
                                false, 14500, cap_hb, &queued);
    ck_assert_int_eq(queued.calls, 0);
    controller_tick(e.c, 15001); /* 3 (last seen at 6000) expires, 2 does not */
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(cap.calls, 1);
    ck_assert_int_eq(queued.calls, 1);
    ck_assert(!queued.r.is_fenced);
    ck_assert(!broker(&e, 2)->fenced);
    ck_assert(broker(&e, 3)->fenced);
    /* Brokers expiring together are fenced in one batch. */
    hb(&e, 1, false, false, 16000);
    hb(&e, 3, false, false, 16000);
    hb(&e, 2, false, false, 17000);
    ck_assert(!broker(&e, 1)->fenced && !broker(&e, 3)->fenced);
    appends = fake_quorum_appends(e.fq);
    controller_tick(e.c, 25001);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends + 1);
    ck_assert(broker(&e, 1)->fenced);
    ck_assert(!broker(&e, 2)->fenced);
    ck_assert(broker(&e, 3)->fenced);
    for (int32_t i = 0; i < 3; i++) {
        ck_assert_int_eq(part(&e, "t", i)->leader, 2);
        CK_ISR(part(&e, "t", i), 2);
    }
    /* A configured timeout. */
    prop_set(&e.props, "broker.session.timeout.ms", "500");
    hb(&e, 2, false, false, 30000);
    ck_assert(!broker(&e, 2)->fenced);
    controller_tick(e.c, 30400);
    fake_quorum_commit_all(e.fq);
    ck_assert(!broker(&e, 2)->fenced);
    controller_tick(e.c, 30501);
    fake_quorum_commit_all(e.fq);
    ck_assert(broker(&e, 2)->fenced);
    teardown(&e);
}
END_TEST

START_TEST(new_controller_gives_a_full_session)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 2, 0);
    fake_quorum_resign(e.fq, 2);
    fake_quorum_elect(e.fq);
    /* The first tick of the new term starts the sessions of the unfenced brokers. */
    controller_tick(e.c, 50000);
    fake_quorum_commit_all(e.fq);
    ck_assert(!broker(&e, 1)->fenced);
    controller_tick(e.c, 59000);
    fake_quorum_commit_all(e.fq);
    ck_assert(!broker(&e, 2)->fenced);
    controller_tick(e.c, 59001);
    fake_quorum_commit_all(e.fq);
    ck_assert(broker(&e, 1)->fenced);
    ck_assert(broker(&e, 2)->fenced);
    teardown(&e);
}
END_TEST

START_TEST(unclean_only_when_enabled)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 2, 0);
    /* Broker 2 fenced while the topics are created: their ISRs are [1]. */
    hb(&e, 2, true, false, 0);
    static const int32_t rows[] = {1, 2};
    mk_topic(&e, "clean", rows, 1, 2, NULL, 0);
    struct ctl_config_entry unclean = {"unclean.leader.election.enable", "true"};
    mk_topic(&e, "dirty", rows, 1, 2, &unclean, 1);
    CK_ISR(part(&e, "clean", 0), 1);
    CK_ISR(part(&e, "dirty", 0), 1);
    hb(&e, 2, false, false, 100);
    ck_assert(!broker(&e, 2)->fenced);
    /* The only ISR member goes. */
    hb(&e, 1, true, false, 200);
    const struct mi_partition *c0 = part(&e, "clean", 0);
    ck_assert_int_eq(c0->leader, -1);
    CK_ISR(c0, 1);
    ck_assert_int_eq(c0->leader_recovery_state, 0);
    const struct mi_partition *d0 = part(&e, "dirty", 0);
    ck_assert_int_eq(d0->leader, 2);
    CK_ISR(d0, 2);
    ck_assert_int_eq(d0->leader_recovery_state, 1); /* RECOVERING (KIP-704) */
    ck_assert_int_eq(d0->leader_epoch, 1);
    /* The broker-wide default enables it too. */
    prop_set(&e.props, "unclean.leader.election.enable", "true");
    hb(&e, 2, true, false, 300); /* "dirty" loses 2: no one left; keeps ISR [2] */
    ck_assert_int_eq(part(&e, "dirty", 0)->leader, -1);
    hb(&e, 1, false, false, 400); /* 1 comes back: leads "clean" cleanly, "dirty" uncleanly */
    ck_assert_int_eq(part(&e, "clean", 0)->leader, 1);
    ck_assert_int_eq(part(&e, "clean", 0)->leader_recovery_state, 0);
    ck_assert_int_eq(part(&e, "dirty", 0)->leader, 1);
    CK_ISR(part(&e, "dirty", 0), 1);
    teardown(&e);
}
END_TEST

/* ---- controlled shutdown ---- */

START_TEST(controlled_shutdown_moves_leadership_first)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3, 0);
    mk_topic(&e, "t", rows3, 3, 3, NULL, 0);
    /* Broker 1 leads p0: a controlled shutdown starts, leadership moves, no exit yet. */
    struct hb_cap h = hb(&e, 1, false, true, 100);
    ck_assert_int_eq(h.r.error_code, 0);
    ck_assert(h.r.in_controlled_shutdown);
    ck_assert(!h.r.should_shut_down);
    ck_assert(!h.r.is_fenced);
    ck_assert(broker(&e, 1)->in_controlled_shutdown);
    ck_assert(!broker(&e, 1)->fenced);
    for (int32_t i = 0; i < 3; i++) {
        ck_assert_int_ne(part(&e, "t", i)->leader, 1);
        ck_assert(!mi_partition_in_isr(part(&e, "t", i), 1));
    }
    ck_assert_int_eq(part(&e, "t", 0)->leader, 2);
    /* The other brokers have not seen the change yet: wait. */
    int64_t cs_offset = metadata_image_offset(e.img);
    hb_epoch(&e, 2, broker(&e, 2)->epoch, cs_offset - 1, false, false, 200);
    h = hb(&e, 1, false, true, 300);
    ck_assert(!h.r.should_shut_down);
    ck_assert(h.r.in_controlled_shutdown);
    /* A broker in controlled shutdown is not eligible for the ISR or for placement. */
    hb(&e, 2, false, false, 400);
    hb(&e, 3, false, false, 400);
    h = hb(&e, 1, false, true, 500);
    ck_assert(h.r.should_shut_down);
    ck_assert(h.r.is_fenced);
    ck_assert(broker(&e, 1)->fenced);
    /* A broker leading nothing shuts down at once. */
    static const int32_t rows[] = {2};
    mk_topic(&e, "only2", rows, 1, 1, NULL, 0);
    reg(&e, 4, 1, 0, 600);
    hb(&e, 4, false, false, 600);
    h = hb(&e, 4, false, true, 700);
    ck_assert(h.r.should_shut_down);
    ck_assert(broker(&e, 4)->fenced);
    /* A fenced broker asking to shut down may go. */
    h = hb(&e, 1, false, true, 800);
    ck_assert(h.r.should_shut_down);
    /* The sole ISR member shutting down leaves its partition leaderless, then exits. */
    h = hb(&e, 2, false, true, 900);
    ck_assert(!h.r.should_shut_down);
    ck_assert_int_eq(part(&e, "only2", 0)->leader, -1);
    CK_ISR(part(&e, "only2", 0), 2);
    hb(&e, 3, false, false, 1000);
    h = hb(&e, 2, false, true, 1100);
    ck_assert(h.r.should_shut_down);
    teardown(&e);
}
END_TEST

/* ---- AlterPartition ---- */

struct ap_cap {
    int calls;
    int16_t top;
    int n;
    struct ctl_alter_partition_result r[8];
    int32_t isr[8][8];
};

static void cap_ap(void *ctx, int16_t err, const struct ctl_alter_partition_result *r, int32_t n)
{
    struct ap_cap *c = ctx;
    c->calls++;
    c->top = err;
    c->n = n;
    for (int32_t i = 0; i < n && i < 8; i++) {
        c->r[i] = r[i];
        for (int32_t k = 0; k < r[i].nisr && k < 8; k++)
            c->isr[i][k] = r[i].isr[k];
        c->r[i].isr = NULL;
    }
}

/*
 * One AlterPartition for topic t partition p from `from` (at its current
 * broker epoch); the answer lands in *cap, which must outlive the commit.
 */
static void alter(struct env *e, struct ap_cap *cap, int32_t from, const char *t, int32_t p,
                  int32_t leader_epoch, int32_t partition_epoch, const struct ctl_isr_member *isr,
                  int32_t nisr, bool commit)
{
    struct ctl_alter_partition ap = {.partition_index = p,
                                     .leader_epoch = leader_epoch,
                                     .partition_epoch = partition_epoch,
                                     .new_isr = isr,
                                     .nnew_isr = nisr};
    const struct mi_topic *mt = metadata_image_topic_by_name(e->img, t);
    struct ctl_alter_partition_topic at = {
        .topic_id = mt ? mt->id : (struct uuid){{9}}, .partitions = &ap, .npartitions = 1};
    struct ctl_alter_partition_req req = {
        .broker_id = from, .broker_epoch = broker(e, from)->epoch, .topics = &at, .ntopics = 1};
    memset(cap, 0, sizeof(*cap));
    controller_alter_partition(e->c, &req, cap_ap, cap);
    if (commit)
        fake_quorum_commit_all(e->fq);
}

#define M(id)                                                                                      \
    {                                                                                              \
        (id), -1                                                                                   \
    }
#define ME(id, e)                                                                                  \
    {                                                                                              \
        (id), (e)                                                                                  \
    }

START_TEST(alter_partition_checks_and_applies)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 3, 0);
    mk_topic(&e, "t", rows3, 3, 3, NULL, 0);
    /* A valid shrink of p0 (leader 1) to [1, 2]: answered after commit, partition epoch + 1. */
    const struct ctl_isr_member shrink[] = {M(1), M(2)};
    struct ap_cap a;
    alter(&e, &a, 1, "t", 0, 0, 0, shrink, 2, false);
    ck_assert_int_eq(a.calls, 0);
    ck_assert_int_eq(part(&e, "t", 0)->nisr, 3);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.top, 0);
    ck_assert_int_eq(a.n, 1);
    ck_assert_int_eq(a.r[0].error_code, 0);
    ck_assert_int_eq(a.r[0].leader_id, 1);
    ck_assert_int_eq(a.r[0].leader_epoch, 0);
    ck_assert_int_eq(a.r[0].partition_epoch, 1);
    ck_assert_int_eq(a.r[0].nisr, 2);
    ck_assert_int_eq(a.isr[0][0], 1);
    ck_assert_int_eq(a.isr[0][1], 2);
    CK_ISR(part(&e, "t", 0), 1, 2);
    ck_assert_int_eq(part(&e, "t", 0)->partition_epoch, 1);
    ck_assert_int_eq(part(&e, "t", 0)->leader_epoch, 0);
    /* Stale partition epoch. */
    const struct ctl_isr_member solo[] = {M(1)};
    alter(&e, &a, 1, "t", 0, 0, 0, solo, 1, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INVALID_UPDATE_VERSION);
    /* Stale leader epoch (checked first). */
    alter(&e, &a, 1, "t", 0, -1, 0, solo, 1, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_FENCED_LEADER_EPOCH);
    /* Epochs ahead of ours: NOT_CONTROLLER. */
    alter(&e, &a, 1, "t", 0, 0, 5, solo, 1, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_NOT_CONTROLLER);
    /* Not from the leader, without the leader, not a replica, duplicates. */
    alter(&e, &a, 2, "t", 0, 0, 1, shrink, 2, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INVALID_REQUEST);
    const struct ctl_isr_member no_leader[] = {M(2)};
    alter(&e, &a, 1, "t", 0, 0, 1, no_leader, 1, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INVALID_REQUEST);
    const struct ctl_isr_member stranger[] = {M(1), M(7)};
    alter(&e, &a, 1, "t", 0, 0, 1, stranger, 2, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INVALID_REQUEST);
    const struct ctl_isr_member twice[] = {M(1), M(2), M(2)};
    alter(&e, &a, 1, "t", 0, 0, 1, twice, 3, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INVALID_REQUEST);
    /* Adding a fenced replica, or one with another broker epoch: INELIGIBLE_REPLICA. */
    hb(&e, 3, true, false, 100);
    ck_assert(broker(&e, 3)->fenced);
    CK_ISR(part(&e, "t", 0), 1, 2);
    int32_t pe = part(&e, "t", 0)->partition_epoch;
    const struct ctl_isr_member grow[] = {M(1), M(2), M(3)};
    alter(&e, &a, 1, "t", 0, 0, pe, grow, 3, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INELIGIBLE_REPLICA);
    hb(&e, 3, false, false, 200);
    const struct ctl_isr_member grow_bad_epoch[] = {M(1), M(2), ME(3, 12345)};
    alter(&e, &a, 1, "t", 0, 0, pe, grow_bad_epoch, 3, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_INELIGIBLE_REPLICA);
    ck_assert_int_eq(part(&e, "t", 0)->partition_epoch, pe);
    /* Now eligible: applied, with the right broker epoch (v3 BrokerState). */
    const struct ctl_isr_member grow_ok[] = {M(1), M(2), ME(3, broker(&e, 3)->epoch)};
    alter(&e, &a, 1, "t", 0, 0, pe, grow_ok, 3, true);
    ck_assert_int_eq(a.r[0].error_code, 0);
    ck_assert_int_eq(a.r[0].partition_epoch, pe + 1);
    CK_ISR(part(&e, "t", 0), 1, 2, 3);
    /* The same ISR again: nothing to write, answered with the current state. */
    int appends = fake_quorum_appends(e.fq);
    alter(&e, &a, 1, "t", 0, 0, pe + 1, grow_ok, 3, false);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.r[0].error_code, 0);
    ck_assert_int_eq(a.r[0].partition_epoch, pe + 1);
    ck_assert_int_eq(fake_quorum_appends(e.fq), appends);
    /* Recovering with several members, or back to recovering: INVALID_REQUEST. */
    struct ctl_alter_partition rec = {.partition_index = 0,
                                      .leader_epoch = 0,
                                      .partition_epoch = pe + 1,
                                      .new_isr = grow_ok,
                                      .nnew_isr = 3,
                                      .leader_recovery_state = 1};
    struct ctl_alter_partition_topic rt = {metadata_image_topic_by_name(e.img, "t")->id, &rec, 1};
    struct ctl_alter_partition_req rr = {1, broker(&e, 1)->epoch, &rt, 1};
    memset(&a, 0, sizeof(a));
    controller_alter_partition(e.c, &rr, cap_ap, &a);
    ck_assert_int_eq(a.r[0].error_code, KERR_INVALID_REQUEST);
    /* Unknown topic id; top-level stale sender epoch. */
    alter(&e, &a, 1, "nope", 0, 0, 0, solo, 1, true);
    ck_assert_int_eq(a.r[0].error_code, KERR_UNKNOWN_TOPIC_ID);
    rr.broker_epoch = 424242;
    memset(&a, 0, sizeof(a));
    controller_alter_partition(e.c, &rr, cap_ap, &a);
    ck_assert_int_eq(a.top, KERR_STALE_BROKER_EPOCH);
    ck_assert_int_eq(a.n, 0);
    rr.broker_id = 99;
    controller_alter_partition(e.c, &rr, cap_ap, &a);
    ck_assert_int_eq(a.top, KERR_BROKER_ID_NOT_REGISTERED);
    teardown(&e);
}
END_TEST

/* ---- preferred leaders ---- */

START_TEST(preferred_leader_rebalance)
{
    struct env e;
    setup(&e);
    prop_set(&e.props, "leader.imbalance.check.interval.seconds", "10");
    start_brokers(&e, 3, 0);
    mk_topic(&e, "t", rows3, 3, 3, NULL, 0);
    controller_tick(e.c, 0); /* schedules the first check at 10 s */
    /* Broker 1 goes away and comes back: p0 is led by 2 and 1 is not in its ISR. */
    hb(&e, 1, true, false, 1000);
    hb(&e, 1, false, false, 2000);
    ck_assert_int_eq(part(&e, "t", 0)->leader, 2);
    ck_assert(!mi_partition_in_isr(part(&e, "t", 0), 1));
    /* Not in the ISR: the check does nothing. */
    hb_all(&e, 3, 10000);
    controller_tick(e.c, 10000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    /* The leader adds it back (AlterPartition), and the next check moves leadership to it. */
    const struct mi_partition *p0 = part(&e, "t", 0);
    const struct ctl_isr_member back[] = {M(2), M(3), M(1)};
    struct ap_cap a;
    alter(&e, &a, 2, "t", 0, p0->leader_epoch, p0->partition_epoch, back, 3, true);
    ck_assert_int_eq(a.r[0].error_code, 0);
    int32_t epoch = part(&e, "t", 0)->leader_epoch;
    hb_all(&e, 3, 15000);
    controller_tick(e.c, 15000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0); /* not due before 20 s */
    hb_all(&e, 3, 20000);
    controller_tick(e.c, 20000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 1);
    fake_quorum_commit_all(e.fq);
    ck_assert_int_eq(part(&e, "t", 0)->leader, 1);
    ck_assert_int_eq(part(&e, "t", 0)->leader_epoch, epoch + 1);
    CK_ISR(part(&e, "t", 0), 2, 3, 1);
    ck_assert_int_eq(part(&e, "t", 1)->leader, 2);
    ck_assert_int_eq(part(&e, "t", 2)->leader, 3);
    /* Disabled: no move. */
    prop_set(&e.props, "auto.leader.rebalance.enable", "false");
    hb(&e, 1, true, false, 21000);
    hb(&e, 1, false, false, 21000);
    p0 = part(&e, "t", 0);
    const struct ctl_isr_member back2[] = {M(2), M(3), M(1)};
    alter(&e, &a, p0->leader, "t", 0, p0->leader_epoch, p0->partition_epoch, back2, 3, true);
    hb_all(&e, 3, 40000);
    controller_tick(e.c, 40000);
    hb_all(&e, 3, 80000);
    controller_tick(e.c, 80000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    ck_assert_int_eq(part(&e, "t", 0)->leader, 2);
    teardown(&e);
}
END_TEST

START_TEST(not_controller_answers)
{
    struct env e;
    setup(&e);
    start_brokers(&e, 1, 0);
    fake_quorum_resign(e.fq, 2);
    struct hb_cap h = {0};
    controller_broker_heartbeat(e.c, 1, broker(&e, 1)->epoch, 0, false, false, 10, cap_hb, &h);
    ck_assert_int_eq(h.calls, 1);
    ck_assert_int_eq(h.r.error_code, KERR_NOT_CONTROLLER);
    ck_assert(h.r.is_fenced);
    /* Ticks on a non-active node do nothing. */
    controller_tick(e.c, 1000000);
    ck_assert_int_eq(fake_quorum_pending(e.fq), 0);
    struct ap_cap a;
    memset(&a, 0, sizeof(a));
    struct ctl_alter_partition_req req = {.broker_id = 1, .broker_epoch = 0};
    controller_alter_partition(e.c, &req, cap_ap, &a);
    ck_assert_int_eq(a.calls, 1);
    ck_assert_int_eq(a.top, KERR_NOT_CONTROLLER);
    teardown(&e);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("controller_lifecycle");
    TCase *tc = tcase_create("lifecycle");
    tcase_add_test(tc, heartbeat_unfences_when_caught_up);
    tcase_add_test(tc, local_registration_is_unfenced_at_once);
    tcase_add_test(tc, duplicate_registration_until_session_expires);
    tcase_add_test(tc, fence_elects_from_isr);
    tcase_add_test(tc, session_expiry_fences);
    tcase_add_test(tc, new_controller_gives_a_full_session);
    tcase_add_test(tc, unclean_only_when_enabled);
    tcase_add_test(tc, controlled_shutdown_moves_leadership_first);
    tcase_add_test(tc, alter_partition_checks_and_applies);
    tcase_add_test(tc, preferred_leader_rebalance);
    tcase_add_test(tc, not_controller_answers);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
