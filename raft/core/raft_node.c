/*
 * The Raft core's node: creation from durable state, the input entry points
 * (each starts a fresh output set and ends by publishing it), the output
 * queues (messages held until the quorum-state they depend on is durable,
 * log operations with write ids, notifications), io completions, the leader's
 * propose path, snapshots taken by the state machine, and accessors.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invariant.h"
#include "err.h"
#include "log.h"
#include "raft_internal.h"
#include "xalloc.h"

void raft_config_default(struct raft_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->node_id = -1;
    cfg->election_timeout_ms = 1000;
    cfg->fetch_timeout_ms = 2000;
    cfg->election_backoff_max_ms = 1000;
    cfg->request_timeout_ms = 2000;
    cfg->retry_backoff_ms = 50;
    cfg->fetch_max_wait_ms = 500;
    cfg->fetch_max_bytes = 1024 * 1024;
    cfg->snapshot_chunk_bytes = 1024 * 1024;
    cfg->snapshot_max_bytes = (int64_t)1 << 30;
    cfg->seed = 1;
}

/* ---- randomness (splitmix64: small, seedable, good enough for jitter) ---- */

uint64_t rn_rand(struct raft_node *n)
{
    uint64_t z = (n->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

int64_t rn_rand_range(struct raft_node *n, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(rn_rand(n) % (uint64_t)(hi - lo));
}

uint64_t rn_new_rid(struct raft_node *n)
{
    uint64_t r = ++n->next_rid;
    return r ? r : ++n->next_rid;
}

int rn_voter_index(const struct raft_node *n, int32_t id)
{
    for (int i = 0; i < n->cfg.nvoters; i++)
        if (n->cfg.voters[i] == id)
            return i;
    return -1;
}

int rn_majority(const struct raft_node *n)
{
    return n->cfg.nvoters / 2 + 1;
}

int64_t rn_kth_largest(int64_t *v, int n, int k)
{
    SL_ASSERT(k >= 1 && k <= n);
    for (int i = 0; i < k; i++)
        for (int j = i + 1; j < n; j++)
            if (v[j] > v[i]) {
                int64_t x = v[i];
                v[i] = v[j];
                v[j] = x;
            }
    return v[k - 1];
}

_Noreturn void rn_fault(struct raft_node *n, const char *what)
{
    LOG_ERROR("raft", "node %" PRId32 " epoch %" PRId32 " role %s: invariant broken: %s", n->id,
              n->epoch, raft_role_name(n->role), what);
    sl_check_fail(__FILE__, __LINE__, what);
}

void rn_peer_fault(struct raft_node *n, const char *what)
{
    if (!n->fault)
        n->fault = what;
    LOG_ERROR("raft",
              "node %" PRId32 " epoch %" PRId32 ": refused a message that contradicts this node's "
              "state: %s",
              n->id, n->epoch, what);
}

/* ---- outputs ---- */

static void out_msg_push(struct raft_node *n, struct raft_msg *m)
{
    if (n->nout_msgs == n->cap_out_msgs) {
        n->cap_out_msgs = n->cap_out_msgs ? n->cap_out_msgs * 2 : 16;
        n->out_msgs = xrealloc(n->out_msgs, n->cap_out_msgs * sizeof(*n->out_msgs));
    }
    n->out_msgs[n->nout_msgs++] = *m; /* the array takes over m->mem */
    free(m);
}

static struct raft_log_op *out_op_push(struct raft_node *n, enum raft_log_op_type type)
{
    if (n->nout_ops == n->cap_out_ops) {
        n->cap_out_ops = n->cap_out_ops ? n->cap_out_ops * 2 : 16;
        n->out_ops = xrealloc(n->out_ops, n->cap_out_ops * sizeof(*n->out_ops));
    }
    struct raft_log_op *op = &n->out_ops[n->nout_ops++];
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->write_id = n->next_write_id++;
    return op;
}

static void pend_push(struct raft_node *n, uint64_t id, enum pend_type type, int64_t end)
{
    if (n->npend == n->cap_pend) {
        n->cap_pend = n->cap_pend ? n->cap_pend * 2 : 16;
        n->pend = xrealloc(n->pend, n->cap_pend * sizeof(*n->pend));
    }
    n->pend[n->npend++] = (struct rpend){.write_id = id, .type = type, .end = end};
}

static void release_held(struct raft_node *n)
{
    size_t i = 0;
    while (i < n->nheld && n->held[i].seq <= n->durable_seq)
        out_msg_push(n, n->held[i++].m);
    if (i == 0)
        return;
    memmove(n->held, n->held + i, (n->nheld - i) * sizeof(*n->held));
    n->nheld -= i;
}

void rn_begin(struct raft_node *n, int64_t now)
{
    for (size_t i = 0; i < n->nout_msgs; i++)
        free(n->out_msgs[i].mem);
    n->nout_msgs = 0;
    n->nout_ops = 0;
    n->out.persist = false;
    n->out.hw_changed = false;
    n->out.leader_changed = false;
    n->out.snapshot_loaded = false;
    if (now > n->now)
        n->now = now;
}

void rn_end(struct raft_node *n)
{
    struct raft_output *o = &n->out;
    o->msgs = n->out_msgs;
    o->nmsgs = n->nout_msgs;
    o->ops = n->out_ops;
    o->nops = n->nout_ops;
    if (n->state_seq > o->persist_seq) {
        o->persist = true;
        o->persist_seq = n->state_seq;
        o->state.epoch = n->epoch;
        o->state.voted_id = n->voted_id;
        o->state.leader_id = n->leader_id;
    }
    o->high_watermark = n->hw;
    if (n->leader_id != n->last_leader_out || n->epoch != n->last_epoch_out) {
        o->leader_changed = true;
        n->last_leader_out = n->leader_id;
        n->last_epoch_out = n->epoch;
    }
    o->leader_id = n->leader_id;
    o->epoch = n->epoch;
}

struct raft_msg *rn_msg(struct raft_node *n, enum raft_msg_type type, int32_t to, uint64_t rid)
{
    struct raft_msg *m = xcalloc(1, sizeof(*m));
    m->type = type;
    m->from = n->id;
    m->to = to;
    m->rid = rid;
    return m;
}

void rn_send(struct raft_node *n, struct raft_msg *m)
{
    if (n->nheld > 0 || n->durable_seq < n->state_seq) {
        if (n->nheld == n->cap_held) {
            n->cap_held = n->cap_held ? n->cap_held * 2 : 16;
            n->held = xrealloc(n->held, n->cap_held * sizeof(*n->held));
        }
        n->held[n->nheld++] = (struct rheld){.seq = n->state_seq, .m = m};
        return;
    }
    out_msg_push(n, m);
}

void rn_set_state(struct raft_node *n, int32_t epoch, int32_t voted_id, int32_t leader_id)
{
    if (epoch == n->epoch && voted_id == n->voted_id && leader_id == n->leader_id)
        return;
    if (epoch < n->epoch)
        rn_fault(n, "epoch moved backwards");
    if (epoch == n->epoch && n->voted_id >= 0 && voted_id != n->voted_id)
        rn_fault(n, "a second vote in one epoch");
    if (epoch == n->epoch && n->leader_id >= 0 && leader_id >= 0 && leader_id != n->leader_id)
        rn_fault(n, "two leaders in one epoch");
    /* Raft safety rests on the voter set: only a voter votes, leads or is voted for. */
    if (voted_id != n->voted_id && voted_id >= 0 && (!n->voter || rn_voter_index(n, voted_id) < 0))
        rn_fault(n, "a vote for (or by) a non-voter");
    if (leader_id != n->leader_id && leader_id >= 0 && rn_voter_index(n, leader_id) < 0)
        rn_fault(n, "a leader outside the voter set");
    n->epoch = epoch;
    n->voted_id = voted_id;
    n->leader_id = leader_id;
    n->state_seq++;
}

uint64_t rn_op_append(struct raft_node *n, int64_t base, int64_t last, int32_t epoch,
                      const void *data, size_t len)
{
    rlog_append(&n->log, base, last, epoch, data, len);
    const struct rentry *e = rlog_get(&n->log, n->log.n - 1);
    struct raft_log_op *op = out_op_push(n, RAFT_LOG_APPEND);
    op->entry.base_offset = base;
    op->entry.last_offset = last;
    op->entry.epoch = epoch;
    op->entry.data = e->data;
    op->entry.len = e->len;
    pend_push(n, op->write_id, PEND_APPEND, last + 1);
    return op->write_id;
}

void rn_op_truncate(struct raft_node *n, int64_t offset)
{
    if (offset < n->hw)
        rn_fault(n, "truncation below the high watermark");
    int64_t end = rlog_truncate(&n->log, offset);
    for (size_t i = 0; i < n->npend; i++)
        if (n->pend[i].type == PEND_APPEND && n->pend[i].end > end)
            n->pend[i].end = end;
    if (n->durable_end > end)
        n->durable_end = end;
    struct raft_log_op *op = out_op_push(n, RAFT_LOG_TRUNCATE);
    op->offset = offset;
    pend_push(n, op->write_id, PEND_TRUNCATE, end);
}

void rn_op_install(struct raft_node *n, struct raft_snapshot_id id, const uint8_t *data, size_t len)
{
    struct raft_log_op *op = out_op_push(n, RAFT_LOG_INSTALL_SNAPSHOT);
    op->snapshot = id;
    op->offset = id.end_offset;
    op->data = data;
    op->len = len;
    pend_push(n, op->write_id, PEND_INSTALL, id.end_offset);
}

void rn_op_drop_prefix(struct raft_node *n, int64_t offset)
{
    struct raft_log_op *op = out_op_push(n, RAFT_LOG_DROP_PREFIX);
    op->offset = offset;
}

void rn_op_reset(struct raft_node *n, int64_t offset)
{
    struct raft_log_op *op = out_op_push(n, RAFT_LOG_RESET);
    op->offset = offset;
}

void rn_set_hw(struct raft_node *n, int64_t hw)
{
    SL_ASSERT_MSG(hw <= rlog_end(&n->log) || n->role != RAFT_LEADER,
                  "leader high watermark beyond its log end");
    if (hw > n->hw) {
        n->hw = hw;
        n->out.hw_changed = true;
    }
}

/* ---- creation and restart ---- */

static bool config_ok(const struct raft_config *c)
{
    if (c->node_id < 0 || c->nvoters < 1 || c->nvoters > RAFT_MAX_VOTERS || !c->marker)
        return false;
    for (int i = 0; i < c->nvoters; i++) {
        if (c->voters[i] < 0)
            return false;
        for (int j = 0; j < i; j++)
            if (c->voters[j] == c->voters[i])
                return false;
    }
    return c->election_timeout_ms > 0 && c->fetch_timeout_ms > 0 &&
           c->election_backoff_max_ms >= 0 && c->request_timeout_ms > 0 &&
           c->retry_backoff_ms >= 0 && c->fetch_max_wait_ms >= 0 && c->fetch_max_bytes > 0 &&
           c->snapshot_chunk_bytes > 0 && c->snapshot_max_bytes > 0;
}

int raft_create(const struct raft_config *cfg, const struct raft_persisted *st,
                const struct raft_snapshot_id *snap, const void *snap_data, size_t snap_len,
                struct raft_node **out)
{
    if (!cfg || !out || !config_ok(cfg))
        return SL_EINVAL;
    struct raft_persisted init = {.epoch = 0, .voted_id = -1, .leader_id = -1};
    if (!st)
        st = &init;
    if (st->epoch < 0 || st->voted_id < -1 || st->leader_id < -1)
        return SL_EINVAL;
    bool has_snap = snap && snap->end_offset >= 0;
    if (has_snap && (snap->epoch < 0 || (snap_len > 0 && !snap_data) ||
                     (int64_t)snap_len > cfg->snapshot_max_bytes))
        return SL_EINVAL;

    struct raft_node *n = xcalloc(1, sizeof(*n));
    n->cfg = *cfg;
    n->id = cfg->node_id;
    n->self_idx = rn_voter_index(n, n->id);
    n->voter = n->self_idx >= 0;
    n->rng = cfg->seed;
    n->next_rid = rn_rand(n) >> 16;
    n->probe_next = (int)(rn_rand(n) % (uint64_t)cfg->nvoters);
    n->role = RAFT_UNATTACHED;
    n->epoch = st->epoch;
    n->voted_id = st->voted_id;
    /* A leader that is no longer a configured voter is forgotten (the epoch stays). */
    n->leader_id = rn_voter_index(n, st->leader_id) >= 0 ? st->leader_id : -1;
    n->election_deadline = INT64_MAX;
    n->fetch_deadline = INT64_MAX;
    n->fetch_target = -1;
    n->leader_hw = -1;
    n->epoch_start = -1;
    n->begin_resend_at = INT64_MAX;
    n->load_truncate_at = -1;
    n->load_disk_end = -1;
    n->next_write_id = 1;
    n->last_leader_out = -2;
    n->last_epoch_out = -2;
    rlog_init(&n->log);
    if (has_snap)
        rlog_set_snapshot(&n->log, *snap, snap_data, snap_len);
    n->durable_end = n->log.start;
    n->hw = n->log.start; /* a snapshot only holds committed offsets */
    *out = n;
    return 0;
}

int raft_load_entry(struct raft_node *n, const struct raft_entry *e)
{
    if (n->started)
        return SL_ESTATE;
    if (n->load_truncate_at >= 0)
        return SL_ECORRUPT;
    bool bad = !e || e->base_offset < 0 || e->last_offset < e->base_offset || e->epoch < 0 ||
               (e->len > 0 && !e->data);
    if (!bad && e->last_offset < n->log.start) {
        n->load_disk_end = e->last_offset + 1;
        return 0; /* inside the snapshot */
    }
    if (bad || e->base_offset != rlog_end(&n->log) || e->epoch < rlog_last_epoch(&n->log)) {
        n->load_truncate_at = rlog_end(&n->log);
        return SL_ECORRUPT;
    }
    rlog_append(&n->log, e->base_offset, e->last_offset, e->epoch, e->data, e->len);
    n->durable_end = rlog_end(&n->log);
    n->load_disk_end = rlog_end(&n->log);
    return 0;
}

void raft_start(struct raft_node *n, int64_t now_ms)
{
    if (n->started)
        return;
    rn_begin(n, now_ms);
    n->now = now_ms;
    n->started = true;
    if (n->log.snap.end_offset >= 0 && n->log.n == 0 && n->load_disk_end != n->log.start)
        rn_op_reset(n,
                    n->log.start); /* the disk log stops short of the snapshot (or is elsewhere) */
    else if (n->load_truncate_at >= 0)
        rn_op_truncate(n, n->load_truncate_at);
    n->durable_end = rlog_end(&n->log);
    int32_t last = rlog_last_epoch(&n->log);
    if (last > n->epoch) {
        /* The log is ahead of quorum-state: never vote in that epoch (we cannot know whether we
         * did). */
        LOG_WARN("raft",
                 "node %" PRId32 ": log epoch %" PRId32 " is above quorum-state epoch %" PRId32,
                 n->id, last, n->epoch);
        rn_set_state(n, last, n->voter ? n->id : -1, -1);
    }
    if (n->voter && n->cfg.nvoters == 1) {
        re_become_prospective(n);
    } else if (n->leader_id >= 0 && n->leader_id != n->id) {
        re_become_follower(n, n->epoch, n->leader_id);
    } else {
        /* A former leader (or candidate) of this epoch must never lead it again: a new epoch. */
        re_become_unattached(n, n->epoch);
    }
    rn_end(n);
}

void raft_destroy(struct raft_node *n)
{
    if (!n)
        return;
    rn_begin(n, n->now);
    for (size_t i = 0; i < n->nheld; i++)
        raft_msg_free(n->held[i].m);
    free(n->held);
    free(n->out_msgs);
    free(n->out_ops);
    free(n->pend);
    free(n->observers);
    free(n->obs_info);
    free(n->snap_buf);
    rlog_free(&n->log);
    free(n);
}

/* ---- inputs ---- */

void raft_tick(struct raft_node *n, int64_t now_ms)
{
    rn_begin(n, now_ms);
    if (n->started) {
        re_tick(n);
        rr_tick(n);
    }
    rn_end(n);
}

/* A response's leader is unknown (-1) or a voter. */
static bool leader_ok(const struct raft_node *n, int32_t leader_id)
{
    return leader_id == -1 || rn_voter_index(n, leader_id) >= 0;
}

/*
 * Structural checks before any handler runs.  Every response answers a
 * request this node sent, and nodes send requests to voters only: a response
 * from a non-voter, or naming a non-voter as leader, is dropped (Kafka's
 * QuorumState refuses to follow a leader outside the voter set).
 */
static bool msg_ok(const struct raft_node *n, const struct raft_msg *m)
{
    if (m->to != n->id || m->from < 0 || m->from == n->id)
        return false;
    switch (m->type) {
    case RAFT_MSG_VOTE_RESPONSE:
    case RAFT_MSG_BEGIN_EPOCH_RESPONSE:
    case RAFT_MSG_END_EPOCH_RESPONSE:
    case RAFT_MSG_FETCH_RESPONSE:
    case RAFT_MSG_FETCH_SNAPSHOT_RESPONSE:
        if (rn_voter_index(n, m->from) < 0)
            return false;
        break;
    default:
        break;
    }
    switch (m->type) {
    case RAFT_MSG_VOTE:
        return true; /* re_on_vote answers bad epochs and offsets with INVALID_REQUEST */
    case RAFT_MSG_VOTE_RESPONSE:
        return m->u.vote_resp.leader_epoch >= 0 && leader_ok(n, m->u.vote_resp.leader_id);
    case RAFT_MSG_BEGIN_EPOCH:
        return m->u.begin.leader_id == m->from; /* a negative epoch is fenced */
    case RAFT_MSG_END_EPOCH:
        return m->u.end.leader_id == m->from && m->u.end.nsuccessors >= 0 &&
               m->u.end.nsuccessors <= RAFT_MAX_VOTERS;
    case RAFT_MSG_BEGIN_EPOCH_RESPONSE:
    case RAFT_MSG_END_EPOCH_RESPONSE:
        return m->u.epoch_resp.leader_epoch >= 0 && leader_ok(n, m->u.epoch_resp.leader_id);
    case RAFT_MSG_FETCH:
        return m->u.fetch.leader_epoch >= -1 && m->u.fetch.fetch_offset >= 0 &&
               m->u.fetch.last_fetched_epoch >= -1 && m->u.fetch.max_wait_ms >= 0;
    case RAFT_MSG_FETCH_RESPONSE:
        return m->u.fetch_resp.leader_epoch >= 0 && leader_ok(n, m->u.fetch_resp.leader_id) &&
               (m->u.fetch_resp.nentries == 0 || m->u.fetch_resp.entries);
    case RAFT_MSG_FETCH_SNAPSHOT:
        return m->u.snap.leader_epoch >= -1;
    case RAFT_MSG_FETCH_SNAPSHOT_RESPONSE:
        return m->u.snap_resp.leader_epoch >= 0 && leader_ok(n, m->u.snap_resp.leader_id) &&
               (m->u.snap_resp.len == 0 || m->u.snap_resp.data);
    }
    return false;
}

/* What handles each message type (msg_ok refuses any other). */
static void (*const handlers[])(struct raft_node *n, const struct raft_msg *m) = {
    [RAFT_MSG_VOTE] = re_on_vote,
    [RAFT_MSG_VOTE_RESPONSE] = re_on_vote_resp,
    [RAFT_MSG_BEGIN_EPOCH] = re_on_begin,
    [RAFT_MSG_END_EPOCH] = re_on_end,
    [RAFT_MSG_BEGIN_EPOCH_RESPONSE] = re_on_epoch_resp,
    [RAFT_MSG_END_EPOCH_RESPONSE] = re_on_epoch_resp,
    [RAFT_MSG_FETCH] = rr_on_fetch,
    [RAFT_MSG_FETCH_RESPONSE] = rr_on_fetch_resp,
    [RAFT_MSG_FETCH_SNAPSHOT] = rr_on_fetch_snapshot,
    [RAFT_MSG_FETCH_SNAPSHOT_RESPONSE] = rr_on_fetch_snapshot_resp,
};

int raft_recv(struct raft_node *n, int64_t now_ms, const struct raft_msg *m)
{
    rn_begin(n, now_ms);
    int rc = 0;
    if (!n->started || !m || !msg_ok(n, m)) {
        rc = SL_EINVAL;
    } else {
        SL_ASSERT((size_t)m->type < sizeof handlers / sizeof handlers[0] && handlers[m->type]);
        handlers[m->type](n, m);
    }
    rn_end(n);
    return rc;
}

void raft_persist_done(struct raft_node *n, int64_t now_ms, uint64_t seq)
{
    rn_begin(n, now_ms);
    if (seq > n->durable_seq) {
        n->durable_seq = seq < n->state_seq ? seq : n->state_seq;
        release_held(n);
        re_maybe_win(n);
    }
    rn_end(n);
}

void raft_log_synced(struct raft_node *n, int64_t now_ms, uint64_t write_id)
{
    rn_begin(n, now_ms);
    if (write_id > n->synced_write_id && n->started) {
        if (write_id >= n->next_write_id)
            write_id = n->next_write_id - 1;
        n->synced_write_id = write_id;
        size_t i = 0;
        while (i < n->npend && n->pend[i].write_id <= write_id) {
            struct rpend *p = &n->pend[i++];
            if (p->type == PEND_APPEND && p->end > n->durable_end)
                n->durable_end = p->end;
            else if (p->type == PEND_INSTALL)
                rr_install_done(n);
        }
        if (i > 0) {
            memmove(n->pend, n->pend + i, (n->npend - i) * sizeof(*n->pend));
            n->npend -= i;
        }
        if (n->role == RAFT_LEADER)
            rr_leader_update_hw(n);
        else
            rr_follower_update_hw(n);
        rr_maybe_fetch(n);
    }
    rn_end(n);
}

int raft_propose(struct raft_node *n, int64_t now_ms, int64_t base_offset, int32_t count,
                 const void *data, size_t len)
{
    rn_begin(n, now_ms);
    int rc = 0;
    if (n->role != RAFT_LEADER)
        rc = SL_ESTATE;
    else if (count < 1 || len == 0 || !data || base_offset != rlog_end(&n->log))
        rc = SL_EINVAL;
    if (rc == 0) {
        rn_op_append(n, base_offset, base_offset + count - 1, n->epoch, data, len);
        rr_complete_parked(n, false);
    }
    rn_end(n);
    return rc;
}

int raft_snapshot_take(struct raft_node *n, int64_t now_ms, int64_t end_offset, const void *data,
                       size_t len)
{
    rn_begin(n, now_ms);
    int rc = 0;
    if ((int64_t)len > n->cfg.snapshot_max_bytes)
        rc = SL_ETOOLARGE;
    else if (!n->started || end_offset <= n->log.start || end_offset > n->hw ||
             end_offset > rlog_end(&n->log) || !rlog_is_boundary(&n->log, end_offset) ||
             (len > 0 && !data))
        rc = SL_ERANGE;
    if (rc == 0) {
        struct raft_snapshot_id id = {.end_offset = end_offset,
                                      .epoch = rlog_epoch_before(&n->log, end_offset)};
        rlog_set_snapshot(&n->log, id, data, len);
        rn_op_drop_prefix(n, end_offset);
    }
    rn_end(n);
    return rc;
}

int raft_resign(struct raft_node *n, int64_t now_ms)
{
    rn_begin(n, now_ms);
    int rc = SL_ESTATE;
    if (n->role == RAFT_LEADER) {
        re_become_resigned(n);
        rc = 0;
    }
    rn_end(n);
    return rc;
}

/* ---- accessors ---- */

const struct raft_output *raft_output(const struct raft_node *n)
{
    return &n->out;
}

int64_t raft_next_deadline(const struct raft_node *n)
{
    if (!n->started)
        return INT64_MAX;
    int64_t a = re_deadline(n), b = rr_deadline(n);
    return a < b ? a : b;
}

enum raft_role raft_role(const struct raft_node *n)
{
    return n->role;
}

bool raft_is_voter(const struct raft_node *n)
{
    return n->voter;
}

int32_t raft_node_id(const struct raft_node *n)
{
    return n->id;
}

int32_t raft_epoch(const struct raft_node *n)
{
    return n->epoch;
}

int32_t raft_leader_id(const struct raft_node *n)
{
    return n->leader_id;
}

int32_t raft_voted_id(const struct raft_node *n)
{
    return n->voted_id;
}

int64_t raft_high_watermark(const struct raft_node *n)
{
    return n->hw;
}

int64_t raft_log_start_offset(const struct raft_node *n)
{
    return n->log.start;
}

int64_t raft_log_end_offset(const struct raft_node *n)
{
    return rlog_end(&n->log);
}

int64_t raft_durable_end_offset(const struct raft_node *n)
{
    return n->durable_end;
}

int32_t raft_last_epoch(const struct raft_node *n)
{
    return rlog_last_epoch(&n->log);
}

int64_t raft_epoch_start_offset(const struct raft_node *n)
{
    return n->role == RAFT_LEADER ? n->epoch_start : -1;
}

struct raft_snapshot_id raft_snapshot(const struct raft_node *n, const uint8_t **data, size_t *len)
{
    if (data)
        *data = n->log.snap_data;
    if (len)
        *len = n->log.snap_len;
    return n->log.snap;
}

static void to_entry(const struct rentry *r, struct raft_entry *e)
{
    e->base_offset = r->base;
    e->last_offset = r->last;
    e->epoch = r->epoch;
    e->data = r->data;
    e->len = r->len;
}

int raft_entry_find(const struct raft_node *n, int64_t offset, struct raft_entry *e)
{
    long i = rlog_find(&n->log, offset);
    if (i < 0)
        return SL_ENOTFOUND;
    to_entry(rlog_get(&n->log, (size_t)i), e);
    return 0;
}

size_t raft_entry_count(const struct raft_node *n)
{
    return n->log.n;
}

void raft_entry_at(const struct raft_node *n, size_t i, struct raft_entry *e)
{
    to_entry(rlog_get(&n->log, i), e);
}

const char *raft_fault(const struct raft_node *n)
{
    return n->fault;
}

static void replica_info(const struct rreplica *r, struct raft_replica_info *ri)
{
    ri->id = r->id;
    ri->log_end_offset = r->end;
    ri->last_fetch_ms = r->last_fetch_ms;
    ri->last_caught_up_ms = r->caught_up_ms;
}

int raft_describe_quorum(struct raft_node *n, struct raft_quorum_info *qi)
{
    if (n->role != RAFT_LEADER)
        return SL_ESTATE;
    memset(qi, 0, sizeof(*qi));
    qi->leader_id = n->id;
    qi->epoch = n->epoch;
    qi->high_watermark = n->hw;
    qi->nvoters = n->cfg.nvoters;
    for (int i = 0; i < n->cfg.nvoters; i++) {
        replica_info(&n->replicas[i], &qi->voters[i]);
        if (i == n->self_idx) {
            qi->voters[i].log_end_offset = rlog_end(&n->log);
            qi->voters[i].last_fetch_ms = n->now;
            qi->voters[i].last_caught_up_ms = n->now;
        }
    }
    if (n->nobservers > 0) {
        n->obs_info = xrealloc(n->obs_info, (size_t)n->nobservers * sizeof(*n->obs_info));
        for (int i = 0; i < n->nobservers; i++)
            replica_info(&n->observers[i], &n->obs_info[i]);
    }
    qi->nobservers = n->nobservers;
    qi->observers = n->obs_info;
    return 0;
}
