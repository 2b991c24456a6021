/*
 * Unit tests of the classic group state machine (broker/group/group_state.c) on a
 * fake clock: the KIP-394 member-id handshake, the delayed initial join
 * (KIP-134), joins, syncs and the relayed assignment, heartbeats and session
 * expiry, rebalance and sync timeouts, static member rejoin (KIP-345, with
 * and without KIP-814 skip-assignment), leaving during a rebalance, store
 * failures, unloading, offset-commit checks, offset retention and the
 * GroupMetadata record round trip used for failover.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "group_records.h"
#include "group_state.h"
#include "kafka.h"

/* ---- fake ops: record every answer and queue stores ---- */

#define MAXW 64

struct answer {
    bool done;
    bool is_join;
    int16_t error;
    int32_t generation;
    char member_id[128];
    char leader[128];
    char protocol[32];
    bool skip_assignment;
    int nmembers;
    char assignment[64];
};

struct pending_store {
    struct group *g;
    struct group_store *st;
};

static struct answer answers[MAXW];
static int nanswers_done;
static struct pending_store stores[MAXW];
static int nstores;

static void on_join(void *ctx, void *waiter, const struct group_join_result *r)
{
    (void)ctx;
    struct answer *a = waiter;
    ck_assert(!a->done);
    a->done = true;
    a->is_join = true;
    a->error = r->error;
    a->generation = r->generation;
    snprintf(a->member_id, sizeof a->member_id, "%s", r->member_id);
    snprintf(a->leader, sizeof a->leader, "%s", r->leader);
    snprintf(a->protocol, sizeof a->protocol, "%s", r->protocol_name ? r->protocol_name : "");
    a->skip_assignment = r->skip_assignment;
    a->nmembers = r->nmembers;
    nanswers_done++;
}

static void on_sync(void *ctx, void *waiter, const struct group_sync_result *r)
{
    (void)ctx;
    struct answer *a = waiter;
    ck_assert(!a->done);
    a->done = true;
    a->error = r->error;
    snprintf(a->assignment, sizeof a->assignment, "%.*s", (int)r->len,
             r->assignment ? (const char *)r->assignment : "");
    nanswers_done++;
}

static void on_store(void *ctx, struct group *g, struct group_store *st)
{
    (void)ctx;
    ck_assert_int_lt(nstores, MAXW);
    stores[nstores].g = g;
    stores[nstores].st = st;
    nstores++;
}

static const struct group_ops ops = {NULL, on_join, on_sync, on_store};
static struct group_config cfg;
static struct group *g;
static int64_t now;
static int next_answer;

static void setup(void)
{
    memset(answers, 0, sizeof answers);
    nanswers_done = 0;
    nstores = 0;
    next_answer = 0;
    now = 1000000;
    cfg.initial_rebalance_delay_ms = 0;
    cfg.new_member_join_timeout_ms = 300000;
    g = group_new("g1", &cfg, &ops, now);
}

static void teardown(void)
{
    for (int i = 0; i < nstores; i++)
        group_store_free(stores[i].st);
    group_free(g);
}

/* Completes the oldest queued store with err. */
static void finish_store(int16_t err)
{
    ck_assert_int_gt(nstores, 0);
    struct group_store *st = stores[0].st;
    memmove(&stores[0], &stores[1], sizeof stores[0] * (size_t)(nstores - 1));
    nstores--;
    group_store_done(g, st, err, now);
}

static const struct group_protocol_in range_proto[] = {{"range", (const uint8_t *)"sub-a", 5}};
static const struct group_protocol_in rr_proto[] = {{"roundrobin", (const uint8_t *)"sub-b", 5},
                                                    {"range", (const uint8_t *)"sub-b", 5}};

static struct answer *join_full(const char *member_id, const char *instance, int32_t session,
                                int32_t rebalance, bool require_known, bool skip_ok,
                                const struct group_protocol_in *protos, int nprotos)
{
    struct answer *a = &answers[next_answer++];
    struct group_join_args args = {
        .member_id = member_id,
        .instance_id = instance,
        .client_id = "client",
        .client_host = "/127.0.0.1",
        .protocol_type = "consumer",
        .session_timeout_ms = session,
        .rebalance_timeout_ms = rebalance,
        .protocols = protos,
        .nprotocols = nprotos,
        .require_known_member_id = require_known,
        .supports_skip_assignment = skip_ok,
    };
    group_join(g, &args, a, now);
    return a;
}

static struct answer *join(const char *member_id)
{
    return join_full(member_id, NULL, 10000, 60000, false, false, range_proto, 1);
}

static struct answer *sync_as(const char *member_id, int32_t gen,
                              const struct group_sync_assignment *as, int nas)
{
    struct answer *a = &answers[next_answer++];
    struct group_sync_args args = {
        .member_id = member_id, .generation = gen, .assignments = as, .nassignments = nas};
    group_sync(g, &args, a, now);
    return a;
}

/* A one-member Stable group; returns the member id (static buffer). */
static const char *stable_one(void)
{
    static char id[128];
    struct answer *j = join("");
    ck_assert(j->done);
    ck_assert_int_eq(j->error, KERR_NONE);
    snprintf(id, sizeof id, "%s", j->member_id);
    struct group_sync_assignment as = {id, (const uint8_t *)"A0", 2};
    struct answer *s = sync_as(id, j->generation, &as, 1);
    ck_assert(!s->done);
    finish_store(KERR_NONE);
    ck_assert(s->done);
    ck_assert_int_eq(g->state, GROUP_STABLE);
    return id;
}

START_TEST(test_member_id_required_then_join_and_sync)
{
    /* JoinGroup v4+: the first join only hands out an id (KIP-394). */
    struct answer *a = join_full("", NULL, 10000, 60000, true, false, range_proto, 1);
    ck_assert(a->done);
    ck_assert_int_eq(a->error, KERR_MEMBER_ID_REQUIRED);
    ck_assert(strncmp(a->member_id, "client-", 7) == 0);
    ck_assert_int_eq(strlen(a->member_id), 7 + 36);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
    ck_assert_int_eq(g->npending, 1);

    char id[128];
    snprintf(id, sizeof id, "%s", a->member_id);
    struct answer *b = join_full(id, NULL, 10000, 60000, true, false, range_proto, 1);
    /* initial delay 0: the generation completes at once with this member as leader. */
    ck_assert(b->done);
    ck_assert_int_eq(b->error, KERR_NONE);
    ck_assert_int_eq(b->generation, 1);
    ck_assert_str_eq(b->member_id, id);
    ck_assert_str_eq(b->leader, id);
    ck_assert_str_eq(b->protocol, "range");
    ck_assert_int_eq(b->nmembers, 1);
    ck_assert_int_eq(g->state, GROUP_COMPLETING_REBALANCE);
    ck_assert_int_eq(g->npending, 0);

    /* The leader's SyncGroup is stored, then relayed. */
    struct group_sync_assignment as = {id, (const uint8_t *)"P0P1", 4};
    struct answer *s = sync_as(id, 1, &as, 1);
    ck_assert(!s->done);
    ck_assert_int_eq(nstores, 1);
    finish_store(KERR_NONE);
    ck_assert(s->done);
    ck_assert_int_eq(s->error, KERR_NONE);
    ck_assert_str_eq(s->assignment, "P0P1");
    ck_assert_int_eq(g->state, GROUP_STABLE);
    ck_assert_int_eq(group_heartbeat(g, id, NULL, 1, now), KERR_NONE);
    ck_assert_int_eq(group_heartbeat(g, id, NULL, 0, now), KERR_ILLEGAL_GENERATION);
    ck_assert_int_eq(group_heartbeat(g, "nobody", NULL, 1, now), KERR_UNKNOWN_MEMBER_ID);
}
END_TEST

START_TEST(test_initial_delay_extends_for_new_members)
{
    cfg.initial_rebalance_delay_ms = 3000;
    struct answer *a = join("");
    ck_assert(!a->done);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(group_next_deadline(g), now + 3000);
    now += 1000;
    struct answer *b = join("");
    ck_assert(!b->done);
    /* Both joined but the initial delay is never cut short. */
    now += 2000;
    group_tick(g, now);
    ck_assert(!a->done);
    ck_assert_int_eq(group_next_deadline(g), now + 3000);
    now += 3000;
    group_tick(g, now);
    ck_assert(a->done && b->done);
    ck_assert_int_eq(a->generation, 1);
    ck_assert_int_eq(b->generation, 1);
    ck_assert_str_eq(a->leader, a->member_id);
    ck_assert_int_eq(a->nmembers, 2);
    ck_assert_int_eq(b->nmembers, 0);
}
END_TEST

START_TEST(test_rebalance_on_new_member_and_assignment_relay)
{
    const char *a_id = stable_one();
    char aid[128];
    snprintf(aid, sizeof aid, "%s", a_id);
    /* B joins: rebalance; A learns it through its heartbeat and rejoins. */
    struct answer *b = join("");
    ck_assert(!b->done);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(group_heartbeat(g, aid, NULL, 1, now), KERR_REBALANCE_IN_PROGRESS);
    /* Commits are still accepted while preparing; the heartbeat announces the rebalance. */
    ck_assert_int_eq(group_commit_check(g, aid, NULL, 1, now), KERR_NONE);
    struct answer *a = join(aid);
    ck_assert(a->done && b->done);
    ck_assert_int_eq(a->generation, 2);
    ck_assert_int_eq(b->generation, 2);
    ck_assert_str_eq(a->leader, aid);
    ck_assert_int_eq(a->nmembers, 2);
    ck_assert_int_eq(b->nmembers, 0);
    ck_assert_int_eq(g->state, GROUP_COMPLETING_REBALANCE);
    ck_assert_int_eq(group_commit_check(g, aid, NULL, 2, now), KERR_REBALANCE_IN_PROGRESS);

    /* The follower syncs first and waits for the leader's assignment. */
    struct answer *sb = sync_as(b->member_id, 2, NULL, 0);
    ck_assert(!sb->done);
    ck_assert_int_eq(group_heartbeat(g, b->member_id, NULL, 2, now), KERR_NONE);
    struct group_sync_assignment as[] = {{aid, (const uint8_t *)"for-a", 5},
                                         {b->member_id, (const uint8_t *)"for-b", 5}};
    struct answer *sa = sync_as(aid, 2, as, 2);
    ck_assert(!sa->done && !sb->done);
    finish_store(KERR_NONE);
    ck_assert(sa->done && sb->done);
    ck_assert_str_eq(sa->assignment, "for-a");
    ck_assert_str_eq(sb->assignment, "for-b");
    /* A late SyncGroup in Stable gets the stored assignment. */
    struct answer *again = sync_as(b->member_id, 2, NULL, 0);
    ck_assert(again->done);
    ck_assert_str_eq(again->assignment, "for-b");
    ck_assert_int_eq(group_commit_check(g, aid, NULL, 2, now), KERR_NONE);
    ck_assert_int_eq(group_commit_check(g, aid, NULL, 1, now), KERR_ILLEGAL_GENERATION);
}
END_TEST

START_TEST(test_session_expiry_triggers_rebalance)
{
    char aid[128], bid[128];
    struct answer *a = join("");
    snprintf(aid, sizeof aid, "%s", a->member_id);
    struct answer *b = join("");
    ck_assert(!b->done);
    ck_assert_int_eq(group_heartbeat(g, aid, NULL, 1, now), KERR_REBALANCE_IN_PROGRESS);
    join(aid);
    ck_assert(b->done);
    snprintf(bid, sizeof bid, "%s", b->member_id);
    struct group_sync_assignment as[] = {{aid, (const uint8_t *)"x", 1},
                                         {bid, (const uint8_t *)"y", 1}};
    sync_as(bid, 2, NULL, 0);
    sync_as(aid, 2, as, 2);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_STABLE);

    /* Only A heartbeats; B's 10 s session runs out. */
    for (int i = 0; i < 3; i++) {
        now += 3000;
        group_tick(g, now);
        ck_assert_int_eq(group_heartbeat(g, aid, NULL, 2, now), KERR_NONE);
    }
    ck_assert_int_eq(g->nmembers, 2);
    now += 1000;
    group_tick(g, now);
    ck_assert_int_eq(g->nmembers, 1);
    ck_assert_ptr_null(group_member_find(g, bid));
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    ck_assert_int_eq(group_heartbeat(g, bid, NULL, 2, now), KERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(group_heartbeat(g, aid, NULL, 2, now), KERR_REBALANCE_IN_PROGRESS);
    struct answer *ra = join(aid);
    ck_assert(ra->done);
    ck_assert_int_eq(ra->generation, 3);
    ck_assert_int_eq(ra->nmembers, 1);
}
END_TEST

START_TEST(test_rebalance_timeout_drops_members_that_do_not_rejoin)
{
    char aid[128], bid[128];
    struct answer *a = join("");
    snprintf(aid, sizeof aid, "%s", a->member_id);
    struct answer *b = join("");
    join(aid);
    snprintf(bid, sizeof bid, "%s", b->member_id);
    struct group_sync_assignment as[] = {{aid, (const uint8_t *)"x", 1}};
    sync_as(aid, 2, as, 1);
    sync_as(bid, 2, NULL, 0);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_STABLE);

    /* B rejoins (new metadata) and waits; A keeps heartbeating but never rejoins. */
    struct answer *rb = join_full(bid, NULL, 10000, 60000, false, false, rr_proto, 2);
    ck_assert(!rb->done);
    for (int i = 0; i < 19; i++) {
        now += 3000;
        group_tick(g, now);
        ck_assert(!rb->done);
        ck_assert_int_eq(group_heartbeat(g, aid, NULL, 2, now), KERR_REBALANCE_IN_PROGRESS);
    }
    now += 3000; /* 60 s after the rebalance started: the rebalance timeout */
    group_tick(g, now);
    ck_assert(rb->done);
    ck_assert_int_eq(rb->error, KERR_NONE);
    ck_assert_int_eq(rb->generation, 3);
    /* B became leader (A was dropped), and the single member's first choice wins. */
    ck_assert_str_eq(rb->leader, bid);
    ck_assert_str_eq(rb->protocol, "roundrobin");
    ck_assert_int_eq(g->nmembers, 1);
    ck_assert_int_eq(group_heartbeat(g, aid, NULL, 3, now), KERR_UNKNOWN_MEMBER_ID);
}
END_TEST

START_TEST(test_pending_sync_expiry)
{
    char aid[128];
    struct answer *a = join("");
    snprintf(aid, sizeof aid, "%s", a->member_id);
    struct answer *b = join("");
    join(aid);
    ck_assert(b->done);
    /* The leader syncs; B never does within the rebalance timeout. */
    struct group_sync_assignment as[] = {{aid, (const uint8_t *)"x", 1}};
    struct answer *sa = sync_as(aid, 2, as, 1);
    finish_store(KERR_NONE);
    ck_assert(sa->done);
    for (int i = 0; i < 30; i++) {
        now += 2000;
        group_heartbeat(g, aid, NULL, g->generation, now);
        group_heartbeat(g, b->member_id, NULL, g->generation, now);
        group_tick(g, now);
    }
    ck_assert_ptr_null(group_member_find(g, b->member_id));
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
}
END_TEST

START_TEST(test_static_member_rejoin_keeps_generation)
{
    struct answer *a = join_full("", "instance-1", 10000, 60000, true, false, range_proto, 1);
    /* Static members skip MEMBER_ID_REQUIRED. */
    ck_assert(a->done);
    ck_assert_int_eq(a->error, KERR_NONE);
    ck_assert(strncmp(a->member_id, "instance-1-", 11) == 0);
    char old_id[128];
    snprintf(old_id, sizeof old_id, "%s", a->member_id);
    struct group_sync_assignment as = {old_id, (const uint8_t *)"mine", 4};
    sync_as(old_id, 1, &as, 1);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_STABLE);

    /* The process restarts: same instance id, unknown member id, same metadata. */
    struct answer *r = join_full("", "instance-1", 10000, 60000, true, false, range_proto, 1);
    ck_assert(!r->done);
    ck_assert_int_eq(nstores, 1);
    /* The old id is fenced at once. */
    ck_assert_int_eq(group_heartbeat(g, old_id, "instance-1", 1, now), KERR_FENCED_INSTANCE_ID);
    finish_store(KERR_NONE);
    ck_assert(r->done);
    ck_assert_int_eq(r->error, KERR_NONE);
    ck_assert_int_eq(r->generation, 1);
    ck_assert_str_ne(r->member_id, old_id);
    /* Below v9 the answer names the old leader id, so the member does not reassign. */
    ck_assert_str_eq(r->leader, old_id);
    ck_assert_int_eq(g->state, GROUP_STABLE);
    ck_assert_int_eq(group_heartbeat(g, r->member_id, "instance-1", 1, now), KERR_NONE);
    struct answer *s = sync_as(r->member_id, 1, NULL, 0);
    ck_assert(s->done);
    ck_assert_str_eq(s->assignment, "mine");

    /* v9 (KIP-814): the static leader gets the membership and skip_assignment. */
    char id2[128];
    snprintf(id2, sizeof id2, "%s", r->member_id);
    struct answer *r2 = join_full("", "instance-1", 10000, 60000, true, true, range_proto, 1);
    finish_store(KERR_NONE);
    ck_assert(r2->done);
    ck_assert(r2->skip_assignment);
    ck_assert_str_eq(r2->leader, r2->member_id);
    ck_assert_int_eq(r2->nmembers, 1);
    ck_assert_int_eq(group_heartbeat(g, id2, "instance-1", 1, now), KERR_FENCED_INSTANCE_ID);

    /* A failed store reverts to the previous member id. */
    char id3[128];
    snprintf(id3, sizeof id3, "%s", r2->member_id);
    struct answer *r3 = join_full("", "instance-1", 10000, 60000, true, true, range_proto, 1);
    finish_store(KERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert(r3->done);
    ck_assert_int_eq(r3->error, KERR_NOT_COORDINATOR);
    ck_assert_int_eq(group_heartbeat(g, id3, "instance-1", 1, now), KERR_NONE);
}
END_TEST

START_TEST(test_static_member_with_new_protocol_rebalances)
{
    struct answer *a = join_full("", "i1", 10000, 60000, false, false, range_proto, 1);
    sync_as(a->member_id, 1, NULL, 0);
    finish_store(KERR_NONE);
    /* Rejoining with protocols whose first choice differs changes the selection: rebalance. */
    struct answer *r = join_full("", "i1", 10000, 60000, false, false, rr_proto, 2);
    ck_assert(r->done);
    ck_assert_int_eq(r->generation, 2);
    ck_assert_str_eq(r->protocol, "roundrobin");
    ck_assert_int_eq(nstores, 0);
}
END_TEST

START_TEST(test_leave_during_rebalance)
{
    char aid[128], bid[128];
    struct answer *a = join("");
    snprintf(aid, sizeof aid, "%s", a->member_id);
    struct answer *b = join("");
    join(aid);
    snprintf(bid, sizeof bid, "%s", b->member_id);
    sync_as(bid, 2, NULL, 0);
    sync_as(aid, 2, NULL, 0);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_STABLE);

    /* C joins; A rejoins; B leaves instead of rejoining: the join phase completes. */
    struct answer *c = join("");
    struct answer *ra = join(aid);
    ck_assert(!c->done && !ra->done);
    struct group_leave_member lm[] = {{bid, NULL}, {"ghost", NULL}};
    int16_t errs[2];
    ck_assert_int_eq(group_leave(g, lm, 2, errs, now), KERR_NONE);
    ck_assert_int_eq(errs[0], KERR_NONE);
    ck_assert_int_eq(errs[1], KERR_UNKNOWN_MEMBER_ID);
    ck_assert(c->done && ra->done);
    ck_assert_int_eq(ra->generation, 3);
    ck_assert_int_eq(ra->nmembers, 2);
    ck_assert_int_eq(g->nmembers, 2);

    /* The leader leaving while a follower waits in SyncGroup: the follower must rejoin. */
    struct answer *sc = sync_as(c->member_id, 3, NULL, 0);
    ck_assert(!sc->done);
    struct group_leave_member la = {aid, NULL};
    group_leave(g, &la, 1, errs, now);
    ck_assert(sc->done);
    ck_assert_int_eq(sc->error, KERR_REBALANCE_IN_PROGRESS);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
    /* The last member leaves: the group becomes Empty (and is stored as such). */
    struct group_leave_member lc = {c->member_id, NULL};
    group_leave(g, &lc, 1, errs, now);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
    ck_assert_int_eq(nstores, 1);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->generation, 4);
}
END_TEST

START_TEST(test_leave_static_member_by_instance_id)
{
    struct answer *a = join_full("", "inst", 10000, 60000, false, false, range_proto, 1);
    ck_assert(a->done);
    struct group_leave_member lm[] = {{"", "inst"}, {"", "other"}};
    int16_t errs[2];
    group_leave(g, lm, 2, errs, now);
    ck_assert_int_eq(errs[0], KERR_NONE);
    ck_assert_int_eq(errs[1], KERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(g->nmembers, 0);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
}
END_TEST

START_TEST(test_pending_member_blocks_then_expires)
{
    const char *aid0 = stable_one();
    char aid[128];
    snprintf(aid, sizeof aid, "%s", aid0);
    /* A new v4 member gets its id but never comes back. */
    struct answer *p = join_full("", NULL, 10000, 60000, true, false, range_proto, 1);
    ck_assert_int_eq(p->error, KERR_MEMBER_ID_REQUIRED);
    /* The leader rejoins (forcing a rebalance); the pending member holds it open. */
    struct answer *ra = join(aid);
    ck_assert(!ra->done);
    now += 10000;
    group_tick(g, now);
    ck_assert(ra->done);
    ck_assert_int_eq(ra->generation, 2);
    ck_assert_int_eq(g->npending, 0);
}
END_TEST

START_TEST(test_protocol_and_sync_errors)
{
    const char *aid0 = stable_one();
    char aid[128];
    snprintf(aid, sizeof aid, "%s", aid0);
    struct answer *bad = &answers[next_answer++];
    struct group_join_args args = {.member_id = "",
                                   .client_id = "c",
                                   .protocol_type = "connect",
                                   .session_timeout_ms = 10000,
                                   .rebalance_timeout_ms = 10000,
                                   .protocols = range_proto,
                                   .nprotocols = 1};
    group_join(g, &args, bad, now);
    ck_assert(bad->done);
    ck_assert_int_eq(bad->error, KERR_INCONSISTENT_GROUP_PROTOCOL);
    static const struct group_protocol_in other[] = {{"sticky", (const uint8_t *)"s", 1}};
    struct answer *nocommon = join_full("", NULL, 10000, 60000, false, false, other, 1);
    ck_assert_int_eq(nocommon->error, KERR_INCONSISTENT_GROUP_PROTOCOL);

    struct answer *s = sync_as(aid, 7, NULL, 0);
    ck_assert_int_eq(s->error, KERR_ILLEGAL_GENERATION);
    s = sync_as("nobody", 1, NULL, 0);
    ck_assert_int_eq(s->error, KERR_UNKNOWN_MEMBER_ID);
    struct answer *s5 = &answers[next_answer++];
    struct group_sync_args sa = {
        .member_id = aid, .generation = 1, .protocol_type = "consumer", .protocol_name = "rr"};
    group_sync(g, &sa, s5, now);
    ck_assert_int_eq(s5->error, KERR_INCONSISTENT_GROUP_PROTOCOL);
    /* Unknown member id on an existing group. */
    struct answer *u = join("someone-else");
    ck_assert_int_eq(u->error, KERR_UNKNOWN_MEMBER_ID);
    /* During a rebalance SyncGroup is refused. */
    join("");
    s = sync_as(aid, 1, NULL, 0);
    ck_assert_int_eq(s->error, KERR_REBALANCE_IN_PROGRESS);
}
END_TEST

START_TEST(test_store_failure_propagates_error)
{
    struct answer *a = join("");
    struct answer *s = sync_as(a->member_id, 1, NULL, 0);
    finish_store(KERR_NOT_LEADER_OR_FOLLOWER);
    ck_assert(s->done);
    ck_assert_int_eq(s->error, KERR_NOT_COORDINATOR);
    ck_assert_int_eq(g->state, GROUP_PREPARING_REBALANCE);
}
END_TEST

START_TEST(test_unload_answers_parked_requests)
{
    cfg.initial_rebalance_delay_ms = 3000;
    struct answer *a = join("");
    ck_assert(!a->done);
    group_unload(g, KERR_NOT_COORDINATOR);
    ck_assert(a->done);
    ck_assert_int_eq(a->error, KERR_NOT_COORDINATOR);
    ck_assert_int_eq(g->state, GROUP_DEAD);
    struct answer *b = join("");
    ck_assert_int_eq(b->error, KERR_COORDINATOR_NOT_AVAILABLE);
    ck_assert_int_eq(group_heartbeat(g, "x", NULL, 0, now), KERR_COORDINATOR_NOT_AVAILABLE);
    ck_assert_int_eq(group_next_deadline(g), GROUP_NO_DEADLINE);
}
END_TEST

START_TEST(test_commit_checks_and_delete)
{
    /* An offset-only client commits with generation -1 on an Empty group. */
    ck_assert_int_eq(group_commit_check(g, "", NULL, -1, now), KERR_NONE);
    ck_assert_int_eq(group_commit_check(g, "x", NULL, 3, now), KERR_UNKNOWN_MEMBER_ID);
    const char *aid0 = stable_one();
    char aid[128];
    snprintf(aid, sizeof aid, "%s", aid0);
    ck_assert_int_eq(group_commit_check(g, "", NULL, -1, now), KERR_UNKNOWN_MEMBER_ID);
    ck_assert_int_eq(group_commit_check(g, aid, NULL, 1, now), KERR_NONE);
    ck_assert_int_eq(group_delete(g, now), KERR_NON_EMPTY_GROUP);
    struct group_leave_member lm = {aid, NULL};
    int16_t err;
    group_leave(g, &lm, 1, &err, now);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
    ck_assert_int_eq(group_delete(g, now), KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_DEAD);
    ck_assert_int_eq(group_delete(g, now), KERR_GROUP_ID_NOT_FOUND);
}
END_TEST

START_TEST(test_offsets_and_retention)
{
    struct group_offset o = {"t", 0, 42, 5, "meta", now, -1, 100, 4};
    group_offset_put(g, &o);
    /* A record written earlier never overwrites a later one (completion order). */
    struct group_offset older = {"t", 0, 40, 5, "", now, -1, 90};
    group_offset_put(g, &older);
    ck_assert_int_eq(group_offset_get(g, "t", 0)->offset, 42);
    struct group_offset o2 = {"t", 1, 7, -1, "", now, -1, 101};
    struct group_offset o3 = {"a", 3, 9, -1, "", now, now + 1000, 102};
    group_offset_put(g, &o2);
    group_offset_put(g, &o3);
    struct arena ar = ARENA_INIT;
    int n;
    const struct group_offset **v = group_offsets_sorted(g, &ar, &n);
    ck_assert_int_eq(n, 3);
    ck_assert_str_eq(v[0]->topic, "a");
    ck_assert_int_eq(v[1]->partition, 0);
    ck_assert_int_eq(v[2]->partition, 1);
    arena_free(&ar);

    /* Offset-only group: retention counts from each commit; explicit expiry wins. */
    struct group_offset **ex = group_expire_offsets(g, now + 1000, 10000, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_str_eq(ex[0]->topic, "a");
    group_offset_free(ex[0]);
    free(ex);
    ex = group_expire_offsets(g, now + 9999, 10000, &n);
    ck_assert_int_eq(n, 0);
    g->pending_writes = 1;
    ex = group_expire_offsets(g, now + 20000, 10000, &n);
    ck_assert_int_eq(n, 0);
    g->pending_writes = 0;
    ex = group_expire_offsets(g, now + 10000, 10000, &n);
    ck_assert_int_eq(n, 2);
    for (int i = 0; i < n; i++)
        group_offset_free(ex[i]);
    free(ex);
    ck_assert(group_is_disposable(g));
    group_offset_remove(g, "t", 0, 200);
}
END_TEST

START_TEST(test_empty_consumer_group_retention_from_empty_time)
{
    const char *aid0 = stable_one();
    char aid[128];
    snprintf(aid, sizeof aid, "%s", aid0);
    struct group_offset o = {"t", 0, 42, 5, "", now - 100000, -1, 10};
    group_offset_put(g, &o);
    /* Stable with a known subscription that does not parse as consumer protocol: kept. */
    int n;
    ck_assert_ptr_null(group_expire_offsets(g, now + 100000, 10000, &n));
    struct group_leave_member lm = {aid, NULL};
    int16_t err;
    now += 5000;
    group_leave(g, &lm, 1, &err, now);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_EMPTY);
    /* Empty: retention counts from when the group became Empty. */
    ck_assert_ptr_null(group_expire_offsets(g, now + 9999, 10000, &n));
    struct group_offset **ex = group_expire_offsets(g, now + 10000, 10000, &n);
    ck_assert_int_eq(n, 1);
    group_offset_free(ex[0]);
    free(ex);
    ck_assert(group_is_disposable(g));
}
END_TEST

START_TEST(test_snapshot_round_trip_through_records)
{
    char aid[128];
    struct answer *a = join_full("", "inst-a", 10000, 30000, false, false, range_proto, 1);
    snprintf(aid, sizeof aid, "%s", a->member_id);
    struct answer *b = join("");
    join_full(aid, "inst-a", 10000, 30000, false, false, range_proto, 1);
    struct group_sync_assignment as[] = {{aid, (const uint8_t *)"AA", 2},
                                         {b->member_id, (const uint8_t *)"BBB", 3}};
    sync_as(aid, 2, as, 2);
    finish_store(KERR_NONE);
    ck_assert_int_eq(g->state, GROUP_STABLE);

    struct arena ar = ARENA_INIT;
    struct group_metadata_value v;
    group_metadata_snapshot(g, &ar, &v);
    struct wbuf w;
    wbuf_init(&w, 64);
    ck_assert_int_eq(group_records_group_value(&w, &v), 0);
    struct group_metadata_value back;
    ck_assert_int_eq(group_records_group_value_decode(w.data, (int32_t)w.len, &ar, &back), 0);
    ck_assert_int_eq(back.generation, 2);
    ck_assert_int_eq(back.members.n, 2);

    struct group *l = group_new("g1", &cfg, &ops, now);
    group_load_metadata(l, &back, now);
    group_load_finish(l, now + 50);
    ck_assert_int_eq(l->state, GROUP_STABLE);
    ck_assert_int_eq(l->generation, 2);
    ck_assert_str_eq(l->protocol_name, "range");
    ck_assert_str_eq(l->leader->member_id, aid);
    ck_assert_str_eq(l->members[0]->instance_id, "inst-a");
    ck_assert_int_eq(l->members[1]->assignment_len, 3);
    ck_assert_int_eq(l->members[0]->rebalance_timeout_ms, 30000);
    /* Loaded members keep working with their generation and get a full session. */
    ck_assert_int_eq(group_heartbeat(l, aid, "inst-a", 2, now + 50), KERR_NONE);
    ck_assert_int_eq(group_next_deadline(l), now + 50 + 10000);
    struct answer *s = &answers[next_answer++];
    struct group_sync_args sa = {.member_id = b->member_id, .generation = 2};
    group_sync(l, &sa, s, now + 60);
    ck_assert_str_eq(s->assignment, "BBB");
    group_load_tombstone(l, now);
    group_load_finish(l, now);
    ck_assert_int_eq(l->state, GROUP_EMPTY);
    group_free(l);
    wbuf_free(&w);
    arena_free(&ar);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("group_state");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_member_id_required_then_join_and_sync);
    tcase_add_test(tc, test_initial_delay_extends_for_new_members);
    tcase_add_test(tc, test_rebalance_on_new_member_and_assignment_relay);
    tcase_add_test(tc, test_session_expiry_triggers_rebalance);
    tcase_add_test(tc, test_rebalance_timeout_drops_members_that_do_not_rejoin);
    tcase_add_test(tc, test_pending_sync_expiry);
    tcase_add_test(tc, test_static_member_rejoin_keeps_generation);
    tcase_add_test(tc, test_static_member_with_new_protocol_rebalances);
    tcase_add_test(tc, test_leave_during_rebalance);
    tcase_add_test(tc, test_leave_static_member_by_instance_id);
    tcase_add_test(tc, test_pending_member_blocks_then_expires);
    tcase_add_test(tc, test_protocol_and_sync_errors);
    tcase_add_test(tc, test_store_failure_propagates_error);
    tcase_add_test(tc, test_unload_answers_parked_requests);
    tcase_add_test(tc, test_commit_checks_and_delete);
    tcase_add_test(tc, test_offsets_and_retention);
    tcase_add_test(tc, test_empty_consumer_group_retention_from_empty_time);
    tcase_add_test(tc, test_snapshot_round_trip_through_records);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
