/*
 * Rule-level tests of the Raft core (raft/core/raft.h), one node at a time with
 * hand-made messages: vote granting and its durability, pre-vote (KIP-996),
 * the single-voter election, the high-watermark rule with the own-epoch
 * requirement, fetch validation and diverging-epoch truncation, check-quorum,
 * EndQuorumEpoch successors, long polling, snapshot hand-off through
 * FetchSnapshot, restart rules, observers and malformed input.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "raft.h"

/* ---- harness ---- */

#define MAXM 64

/* What the last call emitted (messages cloned: the node reuses its buffers). */
struct cap {
    struct raft_msg *m[MAXM];
    int n;
    struct raft_log_op ops[MAXM];
    int nops;
    bool persist;
    uint64_t pseq;
    struct raft_persisted st;
    bool hw_changed;
    int64_t hw;
    bool snap_loaded;
    bool leader_changed;
};

static void cap_clear(struct cap *c)
{
    for (int i = 0; i < c->n; i++)
        raft_msg_free(c->m[i]);
    memset(c, 0, sizeof(*c));
}

static void grab(struct raft_node *n, struct cap *c)
{
    cap_clear(c);
    const struct raft_output *o = raft_output(n);
    ck_assert_int_le(o->nmsgs, MAXM);
    ck_assert_int_le(o->nops, MAXM);
    for (size_t i = 0; i < o->nmsgs; i++)
        c->m[c->n++] = raft_msg_clone(&o->msgs[i]);
    for (size_t i = 0; i < o->nops; i++)
        c->ops[c->nops++] = o->ops[i];
    c->persist = o->persist;
    c->pseq = o->persist_seq;
    c->st = o->state;
    c->hw_changed = o->hw_changed;
    c->hw = o->high_watermark;
    c->snap_loaded = o->snapshot_loaded;
    c->leader_changed = o->leader_changed;
}

/* The first captured message of `type` to `to` (-1: any), or NULL. */
static const struct raft_msg *find(const struct cap *c, enum raft_msg_type type, int32_t to)
{
    for (int i = 0; i < c->n; i++)
        if (c->m[i]->type == type && (to < 0 || c->m[i]->to == to))
            return c->m[i];
    return NULL;
}

static int count(const struct cap *c, enum raft_msg_type type)
{
    int k = 0;
    for (int i = 0; i < c->n; i++)
        k += c->m[i]->type == type;
    return k;
}

static int marker(void *ctx, int64_t base, int32_t epoch, int32_t leader, struct wbuf *out)
{
    (void)ctx;
    (void)base;
    wbuf_i32(out, epoch);
    wbuf_i32(out, leader);
    return 0;
}

static struct raft_config config(int32_t id, int nvoters)
{
    struct raft_config c;
    raft_config_default(&c);
    c.node_id = id;
    c.nvoters = nvoters;
    for (int i = 0; i < nvoters; i++)
        c.voters[i] = i + 1;
    c.marker = marker;
    c.seed = 42;
    return c;
}

/* A node with `nent` single-record entries: entry i at offset i with epoch epochs[i]. */
static struct raft_node *make(const struct raft_config *c, const struct raft_persisted *st,
                              const int32_t *epochs, int nent, int64_t now, struct cap *cap)
{
    struct raft_node *n = NULL;
    ck_assert_int_eq(raft_create(c, st, NULL, NULL, 0, &n), 0);
    for (int i = 0; i < nent; i++) {
        uint8_t data[8] = {(uint8_t)i, (uint8_t)epochs[i]};
        struct raft_entry e = {.base_offset = i,
                               .last_offset = i,
                               .epoch = epochs[i],
                               .data = data,
                               .len = sizeof(data)};
        ck_assert_int_eq(raft_load_entry(n, &e), 0);
    }
    raft_start(n, now);
    grab(n, cap);
    return n;
}

static struct raft_msg msg(enum raft_msg_type type, int32_t from, int32_t to, uint64_t rid)
{
    struct raft_msg m;
    memset(&m, 0, sizeof(m));
    m.type = type;
    m.from = from;
    m.to = to;
    m.rid = rid;
    return m;
}

static struct raft_msg vote(int32_t from, int32_t to, int32_t epoch, int32_t last_epoch,
                            int64_t end, bool pre)
{
    struct raft_msg m = msg(RAFT_MSG_VOTE, from, to, 1000 + (uint64_t)from);
    m.u.vote.epoch = epoch;
    m.u.vote.last_epoch = last_epoch;
    m.u.vote.end_offset = end;
    m.u.vote.pre_vote = pre;
    return m;
}

static struct raft_msg begin(int32_t from, int32_t to, int32_t epoch)
{
    struct raft_msg m = msg(RAFT_MSG_BEGIN_EPOCH, from, to, 7);
    m.u.begin.leader_id = from;
    m.u.begin.leader_epoch = epoch;
    return m;
}

static struct raft_msg fetch(int32_t from, int32_t to, uint64_t rid, int32_t epoch, int64_t off,
                             int32_t lfe, int32_t wait)
{
    struct raft_msg m = msg(RAFT_MSG_FETCH, from, to, rid);
    m.u.fetch.leader_epoch = epoch;
    m.u.fetch.fetch_offset = off;
    m.u.fetch.last_fetched_epoch = lfe;
    m.u.fetch.log_start_offset = 0;
    m.u.fetch.max_wait_ms = wait;
    m.u.fetch.max_bytes = 1 << 20;
    return m;
}

static struct raft_msg fetch_resp(const struct raft_msg *req, int32_t leader, int32_t epoch,
                                  int64_t hw)
{
    struct raft_msg m = msg(RAFT_MSG_FETCH_RESPONSE, req->to, req->from, req->rid);
    m.u.fetch_resp.leader_id = leader;
    m.u.fetch_resp.leader_epoch = epoch;
    m.u.fetch_resp.high_watermark = hw;
    m.u.fetch_resp.diverging.epoch = -1;
    m.u.fetch_resp.diverging.end_offset = -1;
    m.u.fetch_resp.snapshot_id.end_offset = -1;
    m.u.fetch_resp.snapshot_id.epoch = -1;
    return m;
}

static uint64_t last_write(const struct cap *c)
{
    ck_assert_int_gt(c->nops, 0);
    return c->ops[c->nops - 1].write_id;
}

/* Sends *m to n and captures the outputs. */
static void deliver(struct raft_node *n, int64_t now, const struct raft_msg *m, struct cap *c)
{
    ck_assert_int_eq(raft_recv(n, now, m), 0);
    grab(n, c);
}

/* Completes the persist the last call asked for. */
static void persist(struct raft_node *n, int64_t now, struct cap *c)
{
    ck_assert(c->persist);
    raft_persist_done(n, now, c->pseq);
    grab(n, c);
}

/* Syncs every log op emitted so far. */
static void sync_all(struct raft_node *n, int64_t now, uint64_t write_id, struct cap *c)
{
    raft_log_synced(n, now, write_id);
    grab(n, c);
}

/*
 * Makes node 1 of three the leader of epoch `epoch`+1 with votes from 2 and
 * 3, its leadership persisted; *marker_write is the write id of its marker.
 */
static struct raft_node *elect(const int32_t *epochs, int nent, int32_t epoch, struct cap *c,
                               uint64_t *marker_write)
{
    struct raft_config cfg = config(1, 3);
    struct raft_persisted st = {.epoch = epoch, .voted_id = -1, .leader_id = -1};
    struct raft_node *n = make(&cfg, &st, epochs, nent, 0, c);
    raft_tick(n, 5000); /* election timeout: prospective */
    grab(n, c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    const struct raft_msg *pv = find(c, RAFT_MSG_VOTE, 2);
    ck_assert_ptr_nonnull(pv);
    ck_assert(pv->u.vote.pre_vote);
    struct raft_msg r = msg(RAFT_MSG_VOTE_RESPONSE, 2, 1, pv->rid);
    r.u.vote_resp.leader_id = -1;
    r.u.vote_resp.leader_epoch = epoch;
    r.u.vote_resp.granted = true;
    deliver(n, 5001, &r, c);
    ck_assert_int_eq(raft_role(n), RAFT_CANDIDATE);
    ck_assert_int_eq(raft_epoch(n), epoch + 1);
    persist(n, 5002, c);
    const struct raft_msg *v = find(c, RAFT_MSG_VOTE, 3);
    ck_assert_ptr_nonnull(v);
    ck_assert(!v->u.vote.pre_vote);
    r = msg(RAFT_MSG_VOTE_RESPONSE, 3, 1, v->rid);
    r.u.vote_resp.leader_id = -1;
    r.u.vote_resp.leader_epoch = epoch + 1;
    r.u.vote_resp.granted = true;
    deliver(n, 5003, &r, c);
    ck_assert_int_eq(raft_role(n), RAFT_LEADER);
    *marker_write = last_write(c);
    persist(n, 5004, c);
    return n;
}

/* ---- votes ---- */

START_TEST(vote_granted_once_and_only_when_durable)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    ck_assert_int_eq(raft_role(n), RAFT_UNATTACHED);

    struct raft_msg v = vote(2, 1, 1, 0, 0, false);
    deliver(n, 10, &v, &c);
    ck_assert(c.persist);
    ck_assert_int_eq(c.st.epoch, 1);
    ck_assert_int_eq(c.st.voted_id, 2);
    ck_assert_int_eq(c.n, 0); /* the grant waits for the fsync */
    persist(n, 11, &c);
    const struct raft_msg *r = find(&c, RAFT_MSG_VOTE_RESPONSE, 2);
    ck_assert_ptr_nonnull(r);
    ck_assert(r->u.vote_resp.granted);
    ck_assert_int_eq(r->u.vote_resp.leader_epoch, 1);
    ck_assert_uint_eq(r->rid, v.rid);

    /* Another candidate in the same epoch is refused; the same one again is fine. */
    struct raft_msg v3 = vote(3, 1, 1, 0, 0, false);
    deliver(n, 12, &v3, &c);
    ck_assert(!find(&c, RAFT_MSG_VOTE_RESPONSE, 3)->u.vote_resp.granted);
    deliver(n, 13, &v, &c);
    ck_assert(find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.granted);
    ck_assert(!c.persist);

    /*
     * A vote in epoch 0 cannot be valid (a candidate's last log epoch is below
     * the epoch it runs in, KafkaRaftClient.handleVoteRequest).  Fencing of
     * older epochs: voter_checks_* below.
     */
    struct raft_msg old = vote(3, 1, 0, 0, 0, false);
    deliver(n, 14, &old, &c);
    r = find(&c, RAFT_MSG_VOTE_RESPONSE, 3);
    ck_assert(!r->u.vote_resp.granted);
    ck_assert_int_eq(r->u.vote_resp.error, RAFT_E_INVALID_REQUEST);
    ck_assert_int_eq(r->u.vote_resp.leader_epoch, 1);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(vote_requires_up_to_date_log)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_persisted st = {.epoch = 2, .voted_id = -1, .leader_id = -1};
    int32_t epochs[] = {1, 1, 2, 2, 2}; /* last epoch 2, end offset 5 */
    struct raft_node *n = make(&cfg, &st, epochs, 5, 0, &c);

    struct raft_msg v = vote(2, 1, 3, 1, 10, false); /* longer log, older epoch */
    deliver(n, 10, &v, &c);
    ck_assert_int_eq(raft_epoch(n), 3); /* a higher epoch is adopted even when refused */
    persist(n, 11, &c);
    ck_assert(!find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.granted);

    v = vote(2, 1, 3, 2, 4, false); /* same epoch, shorter */
    deliver(n, 12, &v, &c);
    ck_assert(!find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.granted);

    v = vote(3, 1, 3, 2, 5, false); /* equal: granted */
    deliver(n, 13, &v, &c);
    ck_assert_int_eq(c.st.voted_id, 3);
    persist(n, 14, &c);
    ck_assert(find(&c, RAFT_MSG_VOTE_RESPONSE, 3)->u.vote_resp.granted);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

/* ---- pre-vote (KIP-996) ---- */

START_TEST(prevote_changes_nothing)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    struct raft_msg v = vote(2, 1, 5, 0, 0, true);
    deliver(n, 10, &v, &c);
    ck_assert(!c.persist);
    ck_assert_int_eq(raft_epoch(n), 0);
    ck_assert_int_eq(raft_voted_id(n), -1);
    const struct raft_msg *r = find(&c, RAFT_MSG_VOTE_RESPONSE, 2);
    ck_assert(r->u.vote_resp.granted);
    ck_assert_int_eq(r->u.vote_resp.leader_epoch, 0);
    /* Pre-votes for several candidates are fine. */
    v = vote(3, 1, 5, 0, 0, true);
    deliver(n, 11, &v, &c);
    ck_assert(find(&c, RAFT_MSG_VOTE_RESPONSE, 3)->u.vote_resp.granted);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(prevote_refused_while_leader_is_heard)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    struct raft_msg b = begin(3, 1, 1);
    deliver(n, 10, &b, &c);
    ck_assert_int_eq(raft_role(n), RAFT_FOLLOWER);
    persist(n, 11, &c);
    ck_assert_ptr_nonnull(find(&c, RAFT_MSG_FETCH, 3));
    struct raft_msg f = *find(&c, RAFT_MSG_FETCH, 3);

    /* A follower that has not fetched yet may still grant a pre-vote. */
    struct raft_msg v = vote(2, 1, 2, 0, 0, true);
    deliver(n, 12, &v, &c);
    ck_assert(find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.granted);

    /* After a successful fetch it refuses, and says who leads. */
    struct raft_msg fr = fetch_resp(&f, 3, 1, 0);
    deliver(n, 13, &fr, &c);
    deliver(n, 14, &v, &c);
    const struct raft_msg *r = find(&c, RAFT_MSG_VOTE_RESPONSE, 2);
    ck_assert(!r->u.vote_resp.granted);
    ck_assert_int_eq(r->u.vote_resp.leader_id, 3);

    /* Once the fetch timeout passes without news it becomes prospective. */
    raft_tick(n, 14 + cfg.fetch_timeout_ms);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    ck_assert_int_eq(raft_epoch(n), 1);
    ck_assert_int_eq(count(&c, RAFT_MSG_VOTE), 2);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(prevote_grants_do_not_count_as_votes)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    raft_tick(n, 3000);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    const struct raft_msg *pv = find(&c, RAFT_MSG_VOTE, 2);
    ck_assert(pv->u.vote.pre_vote);
    ck_assert_int_eq(pv->u.vote.epoch, 1);
    uint64_t pre_rid = pv->rid;

    /* A refusal from one voter is not enough to lose, a grant is enough to run. */
    struct raft_msg r = msg(RAFT_MSG_VOTE_RESPONSE, 3, 1, pre_rid);
    r.u.vote_resp.leader_id = -1;
    r.u.vote_resp.leader_epoch = 0;
    deliver(n, 3001, &r, &c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    r = msg(RAFT_MSG_VOTE_RESPONSE, 2, 1, pre_rid);
    r.u.vote_resp.leader_id = -1;
    r.u.vote_resp.leader_epoch = 0;
    r.u.vote_resp.granted = true;
    deliver(n, 3002, &r, &c);
    ck_assert_int_eq(raft_role(n), RAFT_CANDIDATE);
    ck_assert_int_eq(raft_epoch(n), 1);

    /* A late pre-vote grant (even carrying the new epoch) is not a vote. */
    r = msg(RAFT_MSG_VOTE_RESPONSE, 3, 1, pre_rid);
    r.u.vote_resp.leader_id = -1;
    r.u.vote_resp.leader_epoch = 1;
    r.u.vote_resp.granted = true;
    persist(n, 3003, &c);
    deliver(n, 3004, &r, &c);
    ck_assert_int_eq(raft_role(n), RAFT_CANDIDATE);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(leader_refuses_prevote_and_steps_down_for_a_real_vote)
{
    struct cap c = {0};
    uint64_t w;
    struct raft_node *n = elect(NULL, 0, 0, &c, &w);
    struct raft_msg v = vote(2, 1, 2, 1, 1, true);
    deliver(n, 6000, &v, &c);
    ck_assert(!find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.granted);
    ck_assert_int_eq(raft_role(n), RAFT_LEADER);
    v = vote(2, 1, 2, 1, 1, false); /* a majority granted 2's pre-vote: a real vote */
    deliver(n, 6001, &v, &c);
    ck_assert_int_eq(raft_role(n), RAFT_UNATTACHED);
    ck_assert_int_eq(raft_epoch(n), 2);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

/* ---- elections and the high watermark ---- */

START_TEST(single_voter_elects_itself_and_commits_after_sync)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 1);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    ck_assert_int_eq(raft_role(n), RAFT_CANDIDATE); /* a quorum of one needs no timeout */
    ck_assert_int_eq(c.st.epoch, 1);
    ck_assert_int_eq(c.st.voted_id, 1);
    persist(n, 1, &c);
    ck_assert_int_eq(raft_role(n), RAFT_LEADER);
    ck_assert_int_eq(c.nops, 1);
    ck_assert_int_eq(c.ops[0].type, RAFT_LOG_APPEND);
    ck_assert_int_eq(c.ops[0].entry.base_offset, 0);
    ck_assert_int_eq(c.ops[0].entry.epoch, 1);
    ck_assert_int_eq(raft_high_watermark(n), 0); /* not durable yet */
    uint64_t w = last_write(&c);
    ck_assert_int_eq(raft_propose(n, 2, 1, 3, "abc", 3), 0);
    grab(n, &c);
    ck_assert_int_eq(c.ops[0].entry.last_offset, 3);
    ck_assert_int_eq(raft_propose(n, 2, 1, 1, "x", 1), SL_EINVAL); /* wrong base */
    sync_all(n, 3, w, &c);
    ck_assert(c.hw_changed);
    ck_assert_int_eq(raft_high_watermark(n), 1);
    sync_all(n, 4, w + 1, &c);
    ck_assert_int_eq(raft_high_watermark(n), 4);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(hw_waits_for_an_entry_of_the_leaders_epoch)
{
    struct cap c = {0};
    int32_t epochs[] = {1, 1, 1, 1, 1}; /* written in epoch 1, never committed */
    uint64_t marker_write;
    struct raft_node *n = elect(epochs, 5, 1, &c, &marker_write);
    ck_assert_int_eq(raft_epoch(n), 2);
    ck_assert_int_eq(raft_epoch_start_offset(n), 5);
    ck_assert_int_eq(count(&c, RAFT_MSG_BEGIN_EPOCH), 2); /* sent once leadership is durable */

    /* Follower 2 holds the old entries: a majority has offset 5, but 5 is before the marker. */
    struct raft_msg f = fetch(2, 1, 77, 2, 5, 1, 500);
    deliver(n, 6001, &f, &c);
    ck_assert_int_eq(raft_high_watermark(n), 0);
    const struct raft_msg *r = find(&c, RAFT_MSG_FETCH_RESPONSE, 2);
    ck_assert_int_eq(r->u.fetch_resp.nentries, 1); /* the marker */
    ck_assert_int_eq(r->u.fetch_resp.entries[0].epoch, 2);

    /* The leader's marker is durable and follower 2 has it: offsets 0..5 commit together. */
    sync_all(n, 6002, marker_write, &c);
    ck_assert_int_eq(raft_high_watermark(n), 0);
    f = fetch(2, 1, 78, 2, 6, 2, 500);
    deliver(n, 6003, &f, &c);
    ck_assert_int_eq(raft_high_watermark(n), 6);
    r = find(&c, RAFT_MSG_FETCH_RESPONSE, 2);
    ck_assert_ptr_nonnull(r); /* answered at once: the HW moved */
    ck_assert_int_eq(r->u.fetch_resp.high_watermark, 6);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(leader_validates_fetch_offsets)
{
    struct cap c = {0};
    int32_t epochs[] = {1, 1, 1, 3, 3, 3};
    uint64_t w;
    struct raft_node *n = elect(epochs, 6, 3, &c, &w); /* leader of epoch 4, marker at 6 */

    /* Last fetched epoch 2 never existed here: truncate to the end of epoch 1 (offset 3). */
    struct raft_msg f = fetch(2, 1, 1, 4, 5, 2, 0);
    deliver(n, 6001, &f, &c);
    const struct raft_msg *r = find(&c, RAFT_MSG_FETCH_RESPONSE, 2);
    ck_assert_int_eq(r->u.fetch_resp.diverging.epoch, 1);
    ck_assert_int_eq(r->u.fetch_resp.diverging.end_offset, 3);
    ck_assert_int_eq(r->u.fetch_resp.nentries, 0);

    /* More entries of epoch 1 than the leader has: diverging at the leader's end of epoch 1. */
    f = fetch(2, 1, 2, 4, 4, 1, 0);
    deliver(n, 6002, &f, &c);
    r = find(&c, RAFT_MSG_FETCH_RESPONSE, 2);
    ck_assert_int_eq(r->u.fetch_resp.diverging.epoch, 1);
    ck_assert_int_eq(r->u.fetch_resp.diverging.end_offset, 3);

    /* A consistent prefix gets records from its offset. */
    f = fetch(2, 1, 3, 4, 2, 1, 0);
    deliver(n, 6003, &f, &c);
    r = find(&c, RAFT_MSG_FETCH_RESPONSE, 2);
    ck_assert_int_eq(r->u.fetch_resp.diverging.epoch, -1);
    ck_assert_int_eq(r->u.fetch_resp.nentries, 5); /* offsets 2..6 */
    ck_assert_int_eq(r->u.fetch_resp.entries[0].base_offset, 2);

    /* Epoch checks. */
    f = fetch(2, 1, 4, 3, 2, 1, 0);
    deliver(n, 6004, &f, &c);
    ck_assert_int_eq(find(&c, RAFT_MSG_FETCH_RESPONSE, 2)->u.fetch_resp.error, RAFT_E_FENCED_EPOCH);
    f = fetch(2, 1, 5, 5, 2, 1, 0);
    deliver(n, 6005, &f, &c);
    ck_assert_int_eq(find(&c, RAFT_MSG_FETCH_RESPONSE, 2)->u.fetch_resp.error,
                     RAFT_E_UNKNOWN_EPOCH);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(follower_truncates_on_diverging_epoch)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    int32_t epochs[] = {1, 1, 1, 2, 2, 2};
    struct raft_persisted st = {.epoch = 2, .voted_id = -1, .leader_id = -1};
    struct raft_node *n = make(&cfg, &st, epochs, 6, 0, &c);
    struct raft_msg b = begin(3, 1, 3);
    deliver(n, 10, &b, &c);
    persist(n, 11, &c);
    const struct raft_msg *f = find(&c, RAFT_MSG_FETCH, 3);
    ck_assert_int_eq(f->u.fetch.fetch_offset, 6);
    ck_assert_int_eq(f->u.fetch.last_fetched_epoch, 2);

    /* The leader's epoch 2 ended at 4: keep the common part (min of both ends). */
    struct raft_msg fr = fetch_resp(f, 3, 3, 2);
    fr.u.fetch_resp.diverging.epoch = 2;
    fr.u.fetch_resp.diverging.end_offset = 4;
    deliver(n, 12, &fr, &c);
    ck_assert_int_eq(c.nops, 1);
    ck_assert_int_eq(c.ops[0].type, RAFT_LOG_TRUNCATE);
    ck_assert_int_eq(c.ops[0].offset, 4);
    ck_assert_int_eq(raft_log_end_offset(n), 4);
    f = find(&c, RAFT_MSG_FETCH, 3);
    ck_assert_int_eq(f->u.fetch.fetch_offset, 4);
    ck_assert_int_eq(f->u.fetch.last_fetched_epoch, 2);

    /* The leader never had epoch 2 at all (largest <= 2 is 1, ending at 3). */
    fr = fetch_resp(f, 3, 3, 2);
    fr.u.fetch_resp.diverging.epoch = 1;
    fr.u.fetch_resp.diverging.end_offset = 3;
    deliver(n, 13, &fr, &c);
    ck_assert_int_eq(c.ops[0].offset, 3);
    f = find(&c, RAFT_MSG_FETCH, 3);
    ck_assert_int_eq(f->u.fetch.fetch_offset, 3);
    ck_assert_int_eq(f->u.fetch.last_fetched_epoch, 1);

    /* Records continue the log; the HW follows the leader's, bounded by the durable end. */
    fr = fetch_resp(f, 3, 3, 5);
    struct raft_entry es[2] = {
        {.base_offset = 3, .last_offset = 4, .epoch = 3, .data = (const uint8_t *)"ab", .len = 2},
        {.base_offset = 5, .last_offset = 5, .epoch = 3, .data = (const uint8_t *)"c", .len = 1}};
    fr.u.fetch_resp.entries = es;
    fr.u.fetch_resp.nentries = 2;
    deliver(n, 14, &fr, &c);
    ck_assert_int_eq(c.nops, 2);
    ck_assert_int_eq(raft_high_watermark(n), 3);
    ck_assert_int_eq(count(&c, RAFT_MSG_FETCH), 0); /* waits for the sync */
    sync_all(n, 15, c.ops[1].write_id, &c);
    ck_assert_int_eq(raft_high_watermark(n), 5);
    f = find(&c, RAFT_MSG_FETCH, 3);
    ck_assert_int_eq(f->u.fetch.fetch_offset, 6);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(truncation_below_hw_is_refused)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    int32_t epochs[] = {1, 1, 1, 1};
    struct raft_persisted st = {.epoch = 1, .voted_id = -1, .leader_id = 3};
    struct raft_node *n = make(&cfg, &st, epochs, 4, 0, &c);
    ck_assert_int_eq(raft_role(n), RAFT_FOLLOWER);
    const struct raft_msg *f = find(&c, RAFT_MSG_FETCH, 3);
    struct raft_msg fr = fetch_resp(f, 3, 1, 4);
    deliver(n, 10, &fr, &c);
    ck_assert_int_eq(raft_high_watermark(n), 4);
    f = find(&c, RAFT_MSG_FETCH, 3);
    fr = fetch_resp(f, 3, 1, 4);
    fr.u.fetch_resp.diverging.epoch = 1;
    fr.u.fetch_resp.diverging.end_offset = 2;
    deliver(n, 11, &fr, &c);
    ck_assert_int_eq(c.nops, 0);
    ck_assert_int_eq(raft_log_end_offset(n), 4);
    ck_assert_ptr_nonnull(raft_fault(n));
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

/* ---- leader liveness ---- */

START_TEST(check_quorum_resigns_without_a_fetching_majority)
{
    struct cap c = {0};
    uint64_t w;
    struct raft_node *n = elect(NULL, 0, 0, &c, &w);
    int32_t ft = 2000;
    /* Follower 2 keeps fetching: a majority (1 and 2) is alive. */
    struct raft_msg f = fetch(2, 1, 1, 1, 0, 0, 0);
    deliver(n, 5003 + ft - 10, &f, &c);
    raft_tick(n, 5003 + ft + 5);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_LEADER);
    /* Then silence for a whole fetch timeout. */
    int64_t deadline = raft_next_deadline(n);
    ck_assert_int_le(deadline, 5003 + 2 * ft);
    raft_tick(n, 5003 + 2 * ft);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_RESIGNED);
    ck_assert_int_eq(raft_leader_id(n), -1);
    persist(n, 5003 + 2 * ft, &c);
    const struct raft_msg *e = find(&c, RAFT_MSG_END_EPOCH, 3);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->u.end.nsuccessors, 2);
    ck_assert_int_eq(e->u.end.successors[0], 2); /* furthest along first */
    ck_assert_int_eq(raft_propose(n, 9000, raft_log_end_offset(n), 1, "x", 1), SL_ESTATE);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(end_epoch_lets_the_first_successor_run_at_once)
{
    struct cap c = {0};
    struct raft_config cfg = config(2, 3);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    struct raft_msg b = begin(1, 2, 1);
    deliver(n, 10, &b, &c);
    persist(n, 11, &c);
    struct raft_msg e = msg(RAFT_MSG_END_EPOCH, 1, 2, 9);
    e.u.end.leader_id = 1;
    e.u.end.leader_epoch = 1;
    e.u.end.nsuccessors = 2;
    e.u.end.successors[0] = 2;
    e.u.end.successors[1] = 3;
    deliver(n, 20, &e, &c);
    ck_assert_int_eq(raft_role(n), RAFT_UNATTACHED);
    ck_assert_int_eq(raft_next_deadline(n), 20);
    persist(n, 20, &c);
    raft_tick(n, 20);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(empty_fetch_is_parked_until_new_records)
{
    struct cap c = {0};
    uint64_t w;
    struct raft_node *n = elect(NULL, 0, 0, &c, &w);
    sync_all(n, 5005, w, &c);
    struct raft_msg f = fetch(2, 1, 11, 1, 1, 1, 500);
    deliver(n, 5006, &f, &c);
    ck_assert_int_eq(raft_high_watermark(n), 1);
    ck_assert_ptr_nonnull(find(&c, RAFT_MSG_FETCH_RESPONSE, 2)); /* new HW: answered */
    f = fetch(2, 1, 12, 1, 1, 1, 500);
    deliver(n, 5007, &f, &c);
    ck_assert_int_eq(count(&c, RAFT_MSG_FETCH_RESPONSE), 0); /* parked */
    ck_assert_int_eq(raft_propose(n, 5008, 1, 1, "z", 1), 0);
    grab(n, &c);
    const struct raft_msg *r = find(&c, RAFT_MSG_FETCH_RESPONSE, 2);
    ck_assert_ptr_nonnull(r);
    ck_assert_uint_eq(r->rid, 12);
    ck_assert_int_eq(r->u.fetch_resp.nentries, 1);
    /* An idle parked fetch is answered empty at max_wait. */
    f = fetch(3, 1, 13, 1, 2, 1, 500);
    deliver(n, 5009, &f, &c); /* first fetch of 3: answered with the HW */
    ck_assert_int_eq(count(&c, RAFT_MSG_FETCH_RESPONSE), 1);
    f.rid = 14;
    deliver(n, 5010, &f, &c);
    ck_assert_int_eq(count(&c, RAFT_MSG_FETCH_RESPONSE), 0);
    /* Another fetch from the same replica (a late duplicate, say) answers the parked one. */
    struct raft_msg dup = f;
    dup.rid = 99;
    deliver(n, 5011, &dup, &c);
    ck_assert_int_eq(count(&c, RAFT_MSG_FETCH_RESPONSE), 1);
    ck_assert_uint_eq(find(&c, RAFT_MSG_FETCH_RESPONSE, 3)->rid, 14);
    ck_assert_int_eq(raft_next_deadline(n), 5511);
    raft_tick(n, 5511);
    grab(n, &c);
    ck_assert_int_eq(count(&c, RAFT_MSG_FETCH_RESPONSE), 1);
    ck_assert_uint_eq(find(&c, RAFT_MSG_FETCH_RESPONSE, 3)->rid, 99);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

/* ---- snapshots (KIP-630) ---- */

START_TEST(snapshot_hand_off)
{
    struct cap c = {0};
    uint64_t w;
    struct raft_node *l = elect(NULL, 0, 0, &c, &w);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(raft_propose(l, 5005, raft_log_end_offset(l), 2, "rec", 3), 0);
        grab(l, &c);
        w = last_write(&c);
    }
    sync_all(l, 5006, w, &c);
    struct raft_msg f = fetch(2, 1, 21, 1, 9, 1, 0); /* follower 2 has everything */
    deliver(l, 5007, &f, &c);
    ck_assert_int_eq(raft_high_watermark(l), 9);
    ck_assert_int_eq(raft_snapshot_take(l, 5008, 4, "x", 1), SL_ERANGE); /* not a boundary */
    char snap[2500];
    for (size_t i = 0; i < sizeof(snap); i++)
        snap[i] = (char)(i * 7);
    ck_assert_int_eq(raft_snapshot_take(l, 5008, 7, snap, sizeof(snap)), 0);
    grab(l, &c);
    ck_assert_int_eq(c.ops[0].type, RAFT_LOG_DROP_PREFIX);
    ck_assert_int_eq(raft_log_start_offset(l), 7);
    ck_assert_int_eq(raft_snapshot(l, NULL, NULL).epoch, 1);

    /* A follower far behind: node 3, fresh, learns the leader and is sent the snapshot id. */
    struct raft_config cfg3 = config(3, 3);
    cfg3.snapshot_chunk_bytes = 1000;
    struct cap c3 = {0};
    struct raft_node *n3 = make(&cfg3, NULL, NULL, 0, 0, &c3);
    struct raft_msg b = begin(1, 3, 1);
    deliver(n3, 5009, &b, &c3);
    persist(n3, 5009, &c3);
    int rounds = 0;
    while (!raft_output(n3)->snapshot_loaded && rounds++ < 20) {
        const struct raft_msg *q = c3.n ? c3.m[0] : NULL;
        if (!q) { /* waiting for an install to be durable */
            ck_assert_int_gt(c3.nops, 0);
            ck_assert_int_eq(c3.ops[0].type, RAFT_LOG_INSTALL_SNAPSHOT);
            ck_assert_int_eq(c3.ops[0].len, sizeof(snap));
            ck_assert_mem_eq(c3.ops[0].data, snap, sizeof(snap));
            sync_all(n3, 5010, c3.ops[0].write_id, &c3);
            break;
        }
        struct raft_msg qq = *q;
        deliver(l, 5010, &qq, &c);
        ck_assert_int_eq(c.n, 1);
        struct raft_msg resp = *c.m[0];
        if (qq.type == RAFT_MSG_FETCH && qq.u.fetch.fetch_offset == 0)
            ck_assert_int_eq(resp.u.fetch_resp.snapshot_id.end_offset, 7);
        if (qq.type == RAFT_MSG_FETCH_SNAPSHOT)
            ck_assert_int_le(resp.u.snap_resp.len, 1000);
        deliver(n3, 5010, &resp, &c3);
    }
    ck_assert(c3.snap_loaded);
    ck_assert_int_eq(raft_log_start_offset(n3), 7);
    ck_assert_int_eq(raft_high_watermark(n3), 7);
    ck_assert_int_eq(raft_last_epoch(n3), 1);
    const struct raft_msg *nf = find(&c3, RAFT_MSG_FETCH, 1);
    ck_assert_ptr_nonnull(nf);
    ck_assert_int_eq(nf->u.fetch.fetch_offset, 7);
    ck_assert_int_eq(nf->u.fetch.last_fetched_epoch, 1);
    /* ... and continues from the snapshot end. */
    struct raft_msg nq = *nf;
    deliver(l, 5011, &nq, &c);
    ck_assert_int_eq(c.m[0]->u.fetch_resp.nentries, 1);
    ck_assert_int_eq(c.m[0]->u.fetch_resp.entries[0].base_offset, 7);

    /* A stale snapshot id or position is refused. */
    struct raft_msg fs = msg(RAFT_MSG_FETCH_SNAPSHOT, 3, 1, 5);
    fs.u.snap.leader_epoch = 1;
    fs.u.snap.snapshot_id.end_offset = 5;
    fs.u.snap.snapshot_id.epoch = 1;
    deliver(l, 5012, &fs, &c);
    ck_assert_int_eq(c.m[0]->u.snap_resp.error, RAFT_E_SNAPSHOT_NOT_FOUND);
    fs.u.snap.snapshot_id.end_offset = 7;
    fs.u.snap.position = 99999;
    deliver(l, 5013, &fs, &c);
    ck_assert_int_eq(c.m[0]->u.snap_resp.error, RAFT_E_POSITION_OUT_OF_RANGE);
    cap_clear(&c);
    cap_clear(&c3);
    raft_destroy(n3);
    raft_destroy(l);
}
END_TEST

/* ---- restart ---- */

START_TEST(restart_never_leads_the_same_epoch_again)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    int32_t epochs[] = {3, 3};
    struct raft_persisted st = {.epoch = 3, .voted_id = 1, .leader_id = 1};
    struct raft_node *n = make(&cfg, &st, epochs, 2, 0, &c);
    ck_assert_int_eq(raft_role(n), RAFT_UNATTACHED);
    ck_assert_int_eq(raft_epoch(n), 3);
    ck_assert_int_eq(raft_leader_id(n), -1);
    persist(n, 1, &c);
    /* It voted for itself in epoch 3: nobody else gets its vote there. */
    struct raft_msg v = vote(2, 1, 3, 3, 9, false);
    deliver(n, 10, &v, &c);
    ck_assert(!find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.granted);
    /* Its own next election is in epoch 4. */
    raft_tick(n, 5000);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    ck_assert_int_eq(find(&c, RAFT_MSG_VOTE, 2)->u.vote.epoch, 4);
    cap_clear(&c);
    raft_destroy(n);

    /* A follower restarts following its leader; a log ahead of quorum-state forbids voting. */
    st = (struct raft_persisted){.epoch = 2, .voted_id = -1, .leader_id = -1};
    n = make(&cfg, &st, epochs, 2, 0, &c);
    ck_assert_int_eq(raft_epoch(n), 3);
    ck_assert_int_eq(raft_voted_id(n), 1);
    ck_assert(c.persist);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(restart_repairs_the_disk_log)
{
    struct raft_config cfg = config(1, 3);
    struct raft_node *n = NULL;
    struct raft_snapshot_id sid = {.end_offset = 10, .epoch = 2};
    /* The log on disk stops before the snapshot: reset it to start there. */
    ck_assert_int_eq(raft_create(&cfg, NULL, &sid, "s", 1, &n), 0);
    struct raft_entry e = {
        .base_offset = 0, .last_offset = 5, .epoch = 1, .data = (const uint8_t *)"a", .len = 1};
    ck_assert_int_eq(raft_load_entry(n, &e), 0);
    raft_start(n, 0);
    const struct raft_output *o = raft_output(n);
    ck_assert_int_eq(o->nops, 1);
    ck_assert_int_eq(o->ops[0].type, RAFT_LOG_RESET);
    ck_assert_int_eq(o->ops[0].offset, 10);
    ck_assert_int_eq(raft_log_end_offset(n), 10);
    ck_assert_int_eq(raft_high_watermark(n), 10);
    ck_assert_int_eq(raft_epoch(n), 2);
    raft_destroy(n);

    /* A gap: keep what continues the log, truncate the rest. */
    ck_assert_int_eq(raft_create(&cfg, NULL, NULL, NULL, 0, &n), 0);
    e = (struct raft_entry){
        .base_offset = 0, .last_offset = 1, .epoch = 1, .data = (const uint8_t *)"a", .len = 1};
    ck_assert_int_eq(raft_load_entry(n, &e), 0);
    e.base_offset = 3;
    e.last_offset = 3;
    ck_assert_int_eq(raft_load_entry(n, &e), SL_ECORRUPT);
    ck_assert_int_eq(raft_load_entry(n, &e), SL_ECORRUPT);
    raft_start(n, 0);
    o = raft_output(n);
    ck_assert_int_eq(o->nops, 1);
    ck_assert_int_eq(o->ops[0].type, RAFT_LOG_TRUNCATE);
    ck_assert_int_eq(o->ops[0].offset, 2);
    ck_assert_int_eq(raft_load_entry(n, &e), SL_ESTATE);
    raft_destroy(n);
}
END_TEST

/* ---- observers and bad input ---- */

START_TEST(observer_finds_the_leader_and_never_votes)
{
    struct cap c = {0};
    struct raft_config cfg = config(9, 3); /* voters 1..3, node 9 observes */
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    ck_assert(!raft_is_voter(n));
    const struct raft_msg *f = find(&c, RAFT_MSG_FETCH, -1);
    ck_assert_ptr_nonnull(f);
    int32_t first = f->to;
    /* No answer: after the request timeout it asks the next voter. */
    raft_tick(n, raft_next_deadline(n));
    grab(n, &c);
    f = find(&c, RAFT_MSG_FETCH, -1);
    ck_assert_int_ne(f->to, first);
    /* A candidate's newer epoch without a leader does not move an observer. */
    struct raft_msg fr = fetch_resp(f, -1, 0, -1);
    fr.from = f->to;
    fr.u.fetch_resp.error = RAFT_E_NOT_LEADER;
    fr.u.fetch_resp.leader_id = -1;
    fr.u.fetch_resp.leader_epoch = 7;
    int32_t asked = f->to;
    deliver(n, raft_next_deadline(n) - 1, &fr, &c);
    ck_assert_int_eq(raft_epoch(n), 0);
    raft_tick(n, raft_next_deadline(n));
    grab(n, &c);
    f = find(&c, RAFT_MSG_FETCH, -1);
    ck_assert_int_ne(f->to, asked);
    /* That voter knows the leader. */
    fr = fetch_resp(f, -1, 0, -1);
    fr.from = f->to;
    fr.u.fetch_resp.error = RAFT_E_NOT_LEADER;
    fr.u.fetch_resp.leader_id = 2;
    fr.u.fetch_resp.leader_epoch = 4;
    deliver(n, raft_next_deadline(n) - 1, &fr, &c);
    ck_assert_int_eq(raft_role(n), RAFT_FOLLOWER);
    ck_assert_int_eq(raft_leader_id(n), 2);
    persist(n, 6000, &c);
    ck_assert_ptr_nonnull(find(&c, RAFT_MSG_FETCH, 2));
    struct raft_msg v = vote(1, 9, 5, 4, 9, false);
    deliver(n, 6001, &v, &c);
    const struct raft_msg *r = find(&c, RAFT_MSG_VOTE_RESPONSE, 1);
    ck_assert(!r->u.vote_resp.granted);
    ck_assert_int_eq(r->u.vote_resp.error, RAFT_E_NOT_VOTER);
    raft_tick(n, 20000);
    grab(n, &c);
    ck_assert_int_ne(raft_role(n), RAFT_PROSPECTIVE);
    ck_assert_int_ne(raft_role(n), RAFT_CANDIDATE);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(malformed_input_is_rejected)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_node *n = make(&cfg, NULL, NULL, 0, 0, &c);
    struct raft_msg v = vote(2, 4, 1, 0, 0, false); /* not for this node */
    ck_assert_int_eq(raft_recv(n, 1, &v), SL_EINVAL);
    v = vote(2, 1, 1, 0, -5, false); /* answered INVALID_REQUEST, as Kafka does */
    deliver(n, 1, &v, &c);
    ck_assert_int_eq(find(&c, RAFT_MSG_VOTE_RESPONSE, 2)->u.vote_resp.error,
                     RAFT_E_INVALID_REQUEST);
    ck_assert_int_eq(raft_epoch(n), 0);
    v = vote(1, 1, 1, 0, 0, false); /* from itself */
    ck_assert_int_eq(raft_recv(n, 1, &v), SL_EINVAL);
    struct raft_msg b = begin(2, 1, 1);
    b.u.begin.leader_id = 3; /* announcing someone else */
    ck_assert_int_eq(raft_recv(n, 1, &b), SL_EINVAL);
    struct raft_msg f = fetch(2, 1, 1, 0, -1, 0, 0);
    ck_assert_int_eq(raft_recv(n, 1, &f), SL_EINVAL);
    struct raft_msg fr = msg(RAFT_MSG_FETCH_RESPONSE, 2, 1, 1);
    fr.u.fetch_resp.nentries = 3; /* entries missing */
    ck_assert_int_eq(raft_recv(n, 1, &fr), SL_EINVAL);
    ck_assert_int_eq(raft_epoch(n), 0);

    /* A fetch response that does not continue the log is dropped, not applied. */
    b = begin(3, 1, 1);
    deliver(n, 2, &b, &c);
    persist(n, 3, &c);
    const struct raft_msg *q = find(&c, RAFT_MSG_FETCH, 3);
    fr = fetch_resp(q, 3, 1, 9);
    struct raft_entry e = {
        .base_offset = 5, .last_offset = 6, .epoch = 1, .data = (const uint8_t *)"x", .len = 1};
    fr.u.fetch_resp.entries = &e;
    fr.u.fetch_resp.nentries = 1;
    deliver(n, 4, &fr, &c);
    ck_assert_int_eq(c.nops, 0);
    ck_assert_int_eq(raft_log_end_offset(n), 0);
    ck_assert_int_eq(raft_high_watermark(n), 0);

    /* Bad configurations. */
    struct raft_node *bad = NULL;
    struct raft_config bc = config(1, 3);
    bc.voters[2] = 1;
    ck_assert_int_eq(raft_create(&bc, NULL, NULL, NULL, 0, &bad), SL_EINVAL);
    bc = config(1, 3);
    bc.marker = NULL;
    ck_assert_int_eq(raft_create(&bc, NULL, NULL, NULL, 0, &bad), SL_EINVAL);
    bc = config(1, 0);
    ck_assert_int_eq(raft_create(&bc, NULL, NULL, NULL, 0, &bad), SL_EINVAL);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(describe_quorum_reports_replicas)
{
    struct cap c = {0};
    uint64_t w;
    struct raft_node *n = elect(NULL, 0, 0, &c, &w);
    struct raft_quorum_info qi;
    struct raft_msg f = fetch(2, 1, 1, 1, 0, 0, 0);
    deliver(n, 5100, &f, &c);
    f = fetch(50, 1, 2, 1, 0, 0, 0); /* an observer */
    deliver(n, 5200, &f, &c);
    ck_assert_int_eq(raft_describe_quorum(n, &qi), 0);
    ck_assert_int_eq(qi.leader_id, 1);
    ck_assert_int_eq(qi.epoch, 1);
    ck_assert_int_eq(qi.nvoters, 3);
    ck_assert_int_eq(qi.voters[1].id, 2);
    ck_assert_int_eq(qi.voters[1].log_end_offset, 0);
    ck_assert_int_eq(qi.voters[1].last_fetch_ms, 5100);
    ck_assert_int_eq(qi.voters[2].log_end_offset, -1);
    ck_assert_int_eq(qi.nobservers, 1);
    ck_assert_int_eq(qi.observers[0].id, 50);
    ck_assert_int_eq(qi.observers[0].last_fetch_ms, 5200);
    cap_clear(&c);
    raft_destroy(n);

    struct raft_config cfg = config(2, 3);
    n = make(&cfg, NULL, NULL, 0, 0, &c);
    ck_assert_int_eq(raft_describe_quorum(n, &qi), SL_ESTATE);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(leader_reminds_voters_that_do_not_fetch)
{
    struct cap c = {0};
    uint64_t w;
    struct raft_node *n = elect(NULL, 0, 0, &c, &w);
    int64_t t = 5004;
    struct raft_msg f = fetch(2, 1, 1, 1, 0, 0, 0);
    struct raft_msg ack = msg(RAFT_MSG_BEGIN_EPOCH_RESPONSE, 3, 1, 1);
    ack.u.epoch_resp.leader_id = 1;
    ack.u.epoch_resp.leader_epoch = 1;
    deliver(n, t, &ack, &c);
    /* 2 fetches all along; 3 acknowledged but never fetches. */
    bool reminded = false;
    for (int k = 0; k < 4 && !reminded; k++) {
        t += 400;
        f.rid++;
        deliver(n, t, &f, &c);
        ck_assert_ptr_null(find(&c, RAFT_MSG_BEGIN_EPOCH, 2));
        raft_tick(n, raft_next_deadline(n) < t + 400 ? raft_next_deadline(n) : t);
        grab(n, &c);
        ck_assert_ptr_null(find(&c, RAFT_MSG_BEGIN_EPOCH, 2));
        reminded = find(&c, RAFT_MSG_BEGIN_EPOCH, 3) != NULL;
    }
    ck_assert(reminded);
    ck_assert_int_eq(raft_role(n), RAFT_LEADER);
    /* 3 sits in a newer epoch it could not win: it says so, and the leader steps down. */
    const struct raft_msg *b = find(&c, RAFT_MSG_BEGIN_EPOCH, 3);
    struct raft_msg r = msg(RAFT_MSG_BEGIN_EPOCH_RESPONSE, 3, 1, b->rid);
    r.u.epoch_resp.error = RAFT_E_FENCED_EPOCH;
    r.u.epoch_resp.leader_id = -1;
    r.u.epoch_resp.leader_epoch = 4;
    deliver(n, t + 1, &r, &c);
    ck_assert_int_eq(raft_role(n), RAFT_UNATTACHED);
    ck_assert_int_eq(raft_epoch(n), 4);
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

START_TEST(prospective_goes_back_to_a_leader_that_is_alive)
{
    struct cap c = {0};
    struct raft_config cfg = config(1, 3);
    struct raft_persisted st = {.epoch = 2, .voted_id = -1, .leader_id = 3};
    struct raft_node *n = make(&cfg, &st, NULL, 0, 0, &c);
    ck_assert_int_eq(raft_role(n), RAFT_FOLLOWER);
    raft_tick(n, cfg.fetch_timeout_ms);
    grab(n, &c);
    ck_assert_int_eq(raft_role(n), RAFT_PROSPECTIVE);
    ck_assert_int_eq(raft_leader_id(n), 3); /* remembered, not forgotten */
    ck_assert(!c.persist);
    struct raft_msg pv = *find(&c, RAFT_MSG_VOTE, 2);
    /* Hearing about that same leader from a voter that still grants does not pull it back... */
    struct raft_msg r = msg(RAFT_MSG_VOTE_RESPONSE, 2, 1, pv.rid);
    r.u.vote_resp.leader_id = 3;
    r.u.vote_resp.leader_epoch = 2;
    r.u.vote_resp.granted = true;
    deliver(n, cfg.fetch_timeout_ms + 1, &r, &c);
    ck_assert_int_eq(raft_role(n), RAFT_CANDIDATE);
    cap_clear(&c);
    raft_destroy(n);

    /* ... but losing the pre-vote does: the leader is fine for everyone else. */
    n = make(&cfg, &st, NULL, 0, 0, &c);
    raft_tick(n, cfg.fetch_timeout_ms);
    grab(n, &c);
    pv = *find(&c, RAFT_MSG_VOTE, 2);
    for (int32_t from = 2; from <= 3; from++) {
        r = msg(RAFT_MSG_VOTE_RESPONSE, from, 1, pv.rid);
        r.u.vote_resp.leader_id = 3;
        r.u.vote_resp.leader_epoch = 2;
        deliver(n, cfg.fetch_timeout_ms + 1, &r, &c);
    }
    ck_assert_int_eq(raft_role(n), RAFT_FOLLOWER);
    ck_assert_int_eq(raft_leader_id(n), 3);
    ck_assert_ptr_nonnull(find(&c, RAFT_MSG_FETCH, 3));
    cap_clear(&c);
    raft_destroy(n);
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("raft_core");
    TCase *tc = tcase_create("raft_core");
    tcase_add_test(tc, vote_granted_once_and_only_when_durable);
    tcase_add_test(tc, vote_requires_up_to_date_log);
    tcase_add_test(tc, prevote_changes_nothing);
    tcase_add_test(tc, prevote_refused_while_leader_is_heard);
    tcase_add_test(tc, prevote_grants_do_not_count_as_votes);
    tcase_add_test(tc, leader_refuses_prevote_and_steps_down_for_a_real_vote);
    tcase_add_test(tc, single_voter_elects_itself_and_commits_after_sync);
    tcase_add_test(tc, hw_waits_for_an_entry_of_the_leaders_epoch);
    tcase_add_test(tc, leader_validates_fetch_offsets);
    tcase_add_test(tc, follower_truncates_on_diverging_epoch);
    tcase_add_test(tc, truncation_below_hw_is_refused);
    tcase_add_test(tc, check_quorum_resigns_without_a_fetching_majority);
    tcase_add_test(tc, end_epoch_lets_the_first_successor_run_at_once);
    tcase_add_test(tc, empty_fetch_is_parked_until_new_records);
    tcase_add_test(tc, snapshot_hand_off);
    tcase_add_test(tc, restart_never_leads_the_same_epoch_again);
    tcase_add_test(tc, restart_repairs_the_disk_log);
    tcase_add_test(tc, observer_finds_the_leader_and_never_votes);
    tcase_add_test(tc, malformed_input_is_rejected);
    tcase_add_test(tc, describe_quorum_reports_replicas);
    tcase_add_test(tc, leader_reminds_voters_that_do_not_fetch);
    tcase_add_test(tc, prospective_goes_back_to_a_leader_that_is_alive);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
