/*
 * Raft core: roles and elections.  Role transitions (KIP-595's unattached,
 * prospective, candidate, leader, follower, resigned), pre-vote (KIP-996:
 * a voter that still hears from a leader refuses, so a node coming back from
 * a partition cannot disrupt a healthy quorum), votes (one per epoch,
 * persisted before it is answered; granted only to a log at least as up to
 * date, Raft thesis 3.6), BeginQuorumEpoch and EndQuorumEpoch, randomized
 * election timeouts (thesis 3.4) and the leader's check-quorum (thesis 6.2:
 * a leader that hears from no majority within the fetch timeout resigns).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "raft_internal.h"

static int popcount(uint64_t v)
{
    return __builtin_popcountll(v);
}

static void reset_election_timer(struct raft_node *n)
{
    int64_t t = n->cfg.election_timeout_ms;
    n->election_deadline = n->now + rn_rand_range(n, t, 2 * t);
}

/* Leaves the current role: drops its timers and per-role state. */
static void leave_role(struct raft_node *n)
{
    if (n->role == RAFT_LEADER)
        rr_leader_stop(n);
    rr_follower_reset(n);
    n->granted = n->rejected = 0;
    n->round_rid = 0;
    n->election_deadline = INT64_MAX;
    n->fetch_deadline = INT64_MAX;
    n->epoch_start = -1;
    n->begin_resend_at = INT64_MAX;
}

static void log_role(struct raft_node *n)
{
    LOG_DEBUG("raft",
              "node %" PRId32 " -> %s epoch %" PRId32 " leader %" PRId32 " voted %" PRId32
              " log [%" PRId64 ", %" PRId64 ") hw %" PRId64,
              n->id, raft_role_name(n->role), n->epoch, n->leader_id, n->voted_id, n->log.start,
              rlog_end(&n->log), n->hw);
}

void re_become_unattached(struct raft_node *n, int32_t epoch)
{
    leave_role(n);
    if (epoch > n->epoch)
        rn_set_state(n, epoch, -1, -1);
    else
        rn_set_state(n, n->epoch, n->voted_id, -1);
    n->leader_hw = -1;
    n->role = RAFT_UNATTACHED;
    if (n->voter)
        reset_election_timer(n);
    log_role(n);
    rr_maybe_fetch(n); /* an observer looks for the leader */
}

void re_become_follower(struct raft_node *n, int32_t epoch, int32_t leader_id)
{
    leave_role(n);
    rn_set_state(n, epoch, epoch == n->epoch ? n->voted_id : -1, leader_id);
    n->leader_hw = -1;
    n->role = RAFT_FOLLOWER;
    n->fetched_ok = false;
    n->fetch_deadline = n->now + n->cfg.fetch_timeout_ms;
    log_role(n);
    rr_maybe_fetch(n);
}

static void check_round(struct raft_node *n);

/*
 * Sends a copy of body (its type and u) to every other voter that skip (may
 * be NULL) does not pass over, with request id rid, or a new one per voter
 * when rid is 0.
 */
static void send_to_voters(struct raft_node *n, const struct raft_msg *body, uint64_t rid,
                           bool (*skip)(const struct raft_node *n, int i))
{
    for (int i = 0; i < n->cfg.nvoters; i++) {
        if (i == n->self_idx || (skip && skip(n, i)))
            continue;
        struct raft_msg *m = rn_msg(n, body->type, n->cfg.voters[i], rid ? rid : rn_new_rid(n));
        m->u = body->u;
        rn_send(n, m);
    }
}

/* BeginQuorumEpoch from this leader (KIP-595). */
static struct raft_msg begin_epoch(const struct raft_node *n)
{
    return (struct raft_msg){.type = RAFT_MSG_BEGIN_EPOCH,
                             .u.begin = {.leader_id = n->id, .leader_epoch = n->epoch}};
}

static void start_round(struct raft_node *n, bool pre_vote)
{
    n->round_rid = rn_new_rid(n);
    n->granted = (uint64_t)1 << n->self_idx;
    n->rejected = 0;
    reset_election_timer(n);
    struct raft_msg vote = {.type = RAFT_MSG_VOTE,
                            .u.vote = {.epoch = pre_vote ? n->epoch + 1 : n->epoch,
                                       .last_epoch = rlog_last_epoch(&n->log),
                                       .end_offset = rlog_end(&n->log),
                                       .pre_vote = pre_vote}};
    send_to_voters(n, &vote, n->round_rid, NULL);
    check_round(n);
}

void re_become_prospective(struct raft_node *n)
{
    if (!n->voter)
        return;
    /*
     * KIP-996: a follower whose fetch timed out keeps the leader it knew.
     * Hearing about that same leader from a voter is then no reason to go
     * back (two prospectives would keep dragging each other to a dead
     * leader); losing the pre-vote is (the leader may be fine for the others).
     */
    int32_t leader = n->role == RAFT_FOLLOWER || n->role == RAFT_PROSPECTIVE ? n->leader_id : -1;
    leave_role(n);
    rn_set_state(n, n->epoch, n->voted_id, leader);
    n->leader_hw = -1;
    n->role = RAFT_PROSPECTIVE;
    log_role(n);
    start_round(n, true);
}

static void become_candidate(struct raft_node *n)
{
    if (n->epoch == INT32_MAX) {
        /* Only voters move epochs (voter_request_error); one of them went this far. */
        rn_peer_fault(n, "epoch space exhausted");
        return;
    }
    leave_role(n);
    rn_set_state(n, n->epoch + 1, n->id, -1);
    n->leader_hw = -1;
    n->role = RAFT_CANDIDATE;
    log_role(n);
    start_round(n, false);
}

static void become_leader(struct raft_node *n)
{
    if (n->role != RAFT_CANDIDATE || n->voted_id != n->id || n->leader_id >= 0)
        rn_fault(n, "leading an epoch this node did not win");
    leave_role(n);
    rn_set_state(n, n->epoch, n->voted_id, n->id);
    n->role = RAFT_LEADER;
    rr_leader_init(n);
    /* KIP-595: the epoch starts with a LeaderChange marker; its commit lets the HW move. */
    int64_t base = rlog_end(&n->log);
    struct wbuf w;
    wbuf_init(&w, 128);
    int rc = n->cfg.marker(n->cfg.marker_ctx, base, n->epoch, n->id, &w);
    if (rc != 0 || w.len == 0)
        rn_fault(n, "epoch marker could not be built");
    rn_op_append(n, base, base, n->epoch, w.data, w.len);
    wbuf_free(&w);
    n->epoch_start = base;
    LOG_DEBUG("raft", "node %" PRId32 " leads epoch %" PRId32 " from offset %" PRId64, n->id,
              n->epoch, base);
    struct raft_msg begin = begin_epoch(n);
    send_to_voters(n, &begin, 0, NULL);
    n->begin_resend_at = n->now + n->cfg.fetch_timeout_ms / 2;
    rr_leader_update_hw(n);
}

void re_become_resigned(struct raft_node *n)
{
    int32_t succ[RAFT_MAX_VOTERS];
    int nsucc = n->role == RAFT_LEADER ? rr_successors(n, succ) : 0;
    leave_role(n);
    rn_set_state(n, n->epoch, n->voted_id, -1);
    n->role = RAFT_RESIGNED;
    log_role(n);
    struct raft_msg end = {
        .type = RAFT_MSG_END_EPOCH,
        .u.end = {.leader_id = n->id, .leader_epoch = n->epoch, .nsuccessors = nsucc}};
    memcpy(end.u.end.successors, succ, (size_t)nsucc * sizeof(succ[0]));
    send_to_voters(n, &end, 0, NULL);
    reset_election_timer(n);
}

void re_maybe_win(struct raft_node *n)
{
    if (n->role == RAFT_CANDIDATE && popcount(n->granted) >= rn_majority(n) &&
        n->durable_seq >= n->state_seq)
        become_leader(n);
}

static void check_round(struct raft_node *n)
{
    if (popcount(n->granted) >= rn_majority(n)) {
        if (n->role == RAFT_PROSPECTIVE)
            become_candidate(n);
        else
            re_maybe_win(n);
    } else if (popcount(n->rejected) > n->cfg.nvoters - rn_majority(n)) {
        if (n->role == RAFT_PROSPECTIVE && n->leader_id >= 0) {
            re_become_follower(n, n->epoch, n->leader_id); /* the leader may be alive after all */
            return;
        }
        /* Lost: retry after a random backoff rather than a full election timeout. */
        int64_t retry = n->now + rn_rand_range(n, 0, (int64_t)n->cfg.election_backoff_max_ms + 1);
        if (retry < n->election_deadline)
            n->election_deadline = retry;
    }
}

bool re_observe(struct raft_node *n, int32_t epoch, int32_t leader_id)
{
    if (epoch > n->epoch) {
        if (leader_id >= 0 && leader_id != n->id) {
            re_become_follower(n, epoch, leader_id);
            return true;
        }
        /*
         * An observer takes a newer epoch only with its leader: a candidate's
         * epoch may never get one, and no voter would ever tell the observer
         * that the quorum stayed on an older epoch.
         */
        if (!n->voter)
            return false;
        re_become_unattached(n, epoch);
        return true;
    }
    if (epoch < n->epoch || leader_id < 0 || leader_id == n->id || leader_id == n->leader_id)
        return false;
    if (n->leader_id >= 0 || n->role == RAFT_RESIGNED || n->role == RAFT_LEADER) {
        rn_peer_fault(n, "two leaders in one epoch");
        return false;
    }
    re_become_follower(n, epoch, leader_id);
    return true;
}

/*
 * KIP-595 (KafkaRaftClient.validateVoterOnlyRequest, static voter sets):
 * Vote, BeginQuorumEpoch and EndQuorumEpoch travel between voters only.  An
 * older epoch is fenced, a negative sender id is invalid, and a request to an
 * observer or from a node outside controller.quorum.voters is refused with
 * INCONSISTENT_VOTER_SET, before anything moves: a non-voter can never change
 * this node's epoch, vote or leader.
 */
static enum raft_error voter_request_error(const struct raft_node *n, int32_t sender, int32_t epoch)
{
    if (epoch < n->epoch)
        return RAFT_E_FENCED_EPOCH;
    if (sender < 0)
        return RAFT_E_INVALID_REQUEST;
    if (!n->voter || rn_voter_index(n, sender) < 0)
        return RAFT_E_NOT_VOTER;
    return RAFT_OK;
}

/* ---- timers ---- */

/* Leader: time by which a majority must have fetched again (check-quorum). */
static int64_t quorum_deadline(const struct raft_node *n)
{
    int need = rn_majority(n) - 1; /* the leader counts itself */
    if (need == 0)
        return INT64_MAX;
    int64_t t[RAFT_MAX_VOTERS];
    int k = 0;
    for (int i = 0; i < n->cfg.nvoters; i++)
        if (i != n->self_idx)
            t[k++] = n->replicas[i].last_fetch_ms;
    /* the need-th most recent fetch */
    return rn_kth_largest(t, k, need) + n->cfg.fetch_timeout_ms;
}

/* A voter that acknowledged this leader's epoch and fetched within the fetch timeout. */
static bool fetching(const struct raft_node *n, int i)
{
    const struct rreplica *r = &n->replicas[i];
    return r->begin_acked && n->now - r->last_fetch_ms < n->cfg.fetch_timeout_ms;
}

void re_tick(struct raft_node *n)
{
    switch (n->role) {
    case RAFT_UNATTACHED:
        if (n->voter && n->now >= n->election_deadline)
            re_become_prospective(n);
        break;
    case RAFT_PROSPECTIVE:
        if (n->now >= n->election_deadline) {
            if (n->leader_id >= 0)
                re_become_follower(n, n->epoch, n->leader_id);
            else
                re_become_prospective(n);
        }
        break;
    case RAFT_CANDIDATE:
    case RAFT_RESIGNED:
        if (n->now >= n->election_deadline)
            re_become_prospective(n);
        break;
    case RAFT_FOLLOWER:
        if (n->now >= n->fetch_deadline) {
            if (n->voter)
                re_become_prospective(n);
            else
                re_become_unattached(n, n->epoch);
        }
        break;
    case RAFT_LEADER:
        if (n->now >= quorum_deadline(n)) {
            LOG_DEBUG("raft", "node %" PRId32 ": no majority fetched within %" PRId32 " ms", n->id,
                      n->cfg.fetch_timeout_ms);
            re_become_resigned(n);
            break;
        }
        if (n->now >= n->begin_resend_at) {
            /*
             * Remind every voter that is not fetching (Kafka's leader does
             * the same): one stuck in a newer epoch it cannot win answers
             * with that epoch, and this leader steps down so that the next
             * election includes it.
             */
            struct raft_msg begin = begin_epoch(n);
            send_to_voters(n, &begin, 0, fetching);
            n->begin_resend_at = n->now + n->cfg.fetch_timeout_ms / 2;
        }
        break;
    }
}

int64_t re_deadline(const struct raft_node *n)
{
    switch (n->role) {
    case RAFT_UNATTACHED:
        return n->voter ? n->election_deadline : INT64_MAX;
    case RAFT_PROSPECTIVE:
    case RAFT_CANDIDATE:
    case RAFT_RESIGNED:
        return n->election_deadline;
    case RAFT_FOLLOWER:
        return n->fetch_deadline;
    case RAFT_LEADER: {
        int64_t q = quorum_deadline(n);
        return q < n->begin_resend_at ? q : n->begin_resend_at;
    }
    }
    return INT64_MAX;
}

/* ---- Vote ---- */

static bool log_up_to_date(const struct raft_node *n, const struct raft_vote_req *v)
{
    int32_t le = rlog_last_epoch(&n->log);
    return v->last_epoch > le || (v->last_epoch == le && v->end_offset >= rlog_end(&n->log));
}

static bool grant(struct raft_node *n, int32_t cand, const struct raft_vote_req *v)
{
    if (v->pre_vote) {
        /*
         * KIP-996: a voter that has fetched from its leader within the fetch
         * timeout (or leads) refuses pre-votes.  A follower that has not yet
         * fetched successfully grants them, or two prospectives that learn
         * of a dead leader from each other would keep each other following it.
         */
        if (n->role == RAFT_LEADER || (n->role == RAFT_FOLLOWER && n->fetched_ok))
            return false;
        return log_up_to_date(n, v);
    }
    if (n->role == RAFT_LEADER || n->role == RAFT_FOLLOWER || n->role == RAFT_RESIGNED ||
        n->leader_id >= 0)
        return false;
    if (n->voted_id >= 0 && n->voted_id != cand)
        return false;
    return log_up_to_date(n, v);
}

void re_on_vote(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_vote_req *v = &m->u.vote;
    int32_t cand = m->from;
    bool granted = false;
    /*
     * KafkaRaftClient.handleVoteRequest: a candidate bumps its epoch before
     * asking, so its last log epoch is below the epoch it runs in (a
     * prospective's pre-vote may equal it, KIP-996).
     */
    bool bad_epoch = v->pre_vote ? v->last_epoch > v->epoch : v->last_epoch >= v->epoch;
    enum raft_error err = RAFT_OK;
    if (v->end_offset < 0 || v->last_epoch < 0 || bad_epoch)
        err = RAFT_E_INVALID_REQUEST;
    else
        err = voter_request_error(n, cand, v->epoch);
    if (err == RAFT_OK) {
        if (!v->pre_vote && v->epoch > n->epoch)
            re_become_unattached(n, v->epoch);
        granted = grant(n, cand, v);
        if (granted && !v->pre_vote) {
            if (n->role != RAFT_UNATTACHED)
                re_become_unattached(n, n->epoch);
            rn_set_state(n, n->epoch, cand, n->leader_id);
            reset_election_timer(n);
            LOG_DEBUG("raft", "node %" PRId32 " votes for %" PRId32 " in epoch %" PRId32, n->id,
                      cand, n->epoch);
        }
    }
    struct raft_msg *r = rn_msg(n, RAFT_MSG_VOTE_RESPONSE, cand, m->rid);
    r->u.vote_resp.error = err;
    r->u.vote_resp.leader_id = n->leader_id;
    r->u.vote_resp.leader_epoch = n->epoch;
    r->u.vote_resp.granted = granted;
    rn_send(n, r); /* a granted vote leaves only once it is durable (rn_send holds it) */
}

void re_on_vote_resp(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_vote_resp *r = &m->u.vote_resp;
    if (re_observe(n, r->leader_epoch, r->leader_id))
        return;
    if (m->rid != n->round_rid || (n->role != RAFT_PROSPECTIVE && n->role != RAFT_CANDIDATE))
        return;
    int idx = rn_voter_index(n, m->from);
    if (idx < 0)
        return;
    uint64_t bit = (uint64_t)1 << idx;
    if (r->error == RAFT_OK && r->granted &&
        (n->role == RAFT_PROSPECTIVE || r->leader_epoch == n->epoch)) {
        n->granted |= bit;
        n->rejected &= ~bit;
    } else if (!(n->granted & bit)) {
        n->rejected |= bit;
    }
    check_round(n);
}

/* ---- BeginQuorumEpoch / EndQuorumEpoch ---- */

static void epoch_reply(struct raft_node *n, const struct raft_msg *m, enum raft_msg_type type,
                        enum raft_error err)
{
    struct raft_msg *r = rn_msg(n, type, m->from, m->rid);
    r->u.epoch_resp.error = err;
    r->u.epoch_resp.leader_id = n->leader_id;
    r->u.epoch_resp.leader_epoch = n->epoch;
    rn_send(n, r);
}

void re_on_begin(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_begin_epoch_req *b = &m->u.begin;
    enum raft_error err = voter_request_error(n, b->leader_id, b->leader_epoch);
    if (err != RAFT_OK) {
        /* refused: nothing moves */
    } else if (b->leader_epoch > n->epoch) {
        re_become_follower(n, b->leader_epoch, b->leader_id);
    } else if (n->leader_id != b->leader_id) {
        if (n->leader_id >= 0 || n->role == RAFT_LEADER || n->role == RAFT_RESIGNED) {
            rn_peer_fault(n, "two leaders in one epoch");
            err = RAFT_E_INVALID_REQUEST;
        } else {
            re_become_follower(n, b->leader_epoch, b->leader_id);
        }
    } else if (n->role == RAFT_PROSPECTIVE) {
        re_become_follower(n, b->leader_epoch, b->leader_id); /* the leader is alive */
    }
    epoch_reply(n, m, RAFT_MSG_BEGIN_EPOCH_RESPONSE, err);
}

/* Kafka's strict exponential backoff for the i-th preferred successor. */
static int64_t successor_backoff(const struct raft_node *n, int pos)
{
    if (pos == 0)
        return 0;
    int64_t b = n->cfg.retry_backoff_ms > 0 ? n->cfg.retry_backoff_ms : 1;
    for (int i = 1; i < pos && b < n->cfg.election_backoff_max_ms; i++)
        b *= 2;
    return b < n->cfg.election_backoff_max_ms ? b : n->cfg.election_backoff_max_ms;
}

void re_on_end(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_end_epoch_req *e = &m->u.end;
    enum raft_error err = voter_request_error(n, e->leader_id, e->leader_epoch);
    if (err == RAFT_OK) {
        if (e->leader_epoch > n->epoch)
            re_become_unattached(n, e->leader_epoch);
        else if ((n->role == RAFT_FOLLOWER || n->role == RAFT_PROSPECTIVE) &&
                 n->leader_id == e->leader_id)
            re_become_unattached(n, n->epoch);
        if (n->role == RAFT_UNATTACHED && n->voter) {
            for (int i = 0; i < e->nsuccessors; i++) {
                if (e->successors[i] != n->id)
                    continue;
                int64_t at = n->now + successor_backoff(n, i);
                if (at < n->election_deadline)
                    n->election_deadline = at;
                break;
            }
        }
    }
    epoch_reply(n, m, RAFT_MSG_END_EPOCH_RESPONSE, err);
}

void re_on_epoch_resp(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_epoch_resp *r = &m->u.epoch_resp;
    if (re_observe(n, r->leader_epoch, r->leader_id))
        return;
    if (n->role == RAFT_LEADER && m->type == RAFT_MSG_BEGIN_EPOCH_RESPONSE && r->error == RAFT_OK &&
        r->leader_epoch == n->epoch) {
        int idx = rn_voter_index(n, m->from);
        if (idx >= 0)
            n->replicas[idx].begin_acked = true;
    }
}
