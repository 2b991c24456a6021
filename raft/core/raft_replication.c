/*
 * Raft core: replication by pull (KIP-595).  Followers and observers send
 * Fetch(fetch_offset, last_fetched_epoch); the leader validates the pair
 * against its epoch history and answers with records, a DivergingEpoch the
 * follower truncates to, or a SnapshotId when the offset is below its log
 * start (KIP-630: then FetchSnapshot by position).  Empty fetches are parked
 * (long poll) until new records, a new high watermark or max_wait.
 *
 * The high watermark is the largest offset a majority of voters holds
 * durably, and it moves only once it covers the marker the leader wrote at
 * the start of its epoch (Raft thesis 3.6.2: a leader commits entries of
 * earlier terms only by committing one of its own).  Followers take the
 * leader's value bounded by their own durable log end.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "raft_internal.h"
#include "xalloc.h"

/* ---- leader-side replica tracking ---- */

static void replica_init(struct rreplica *r, int32_t id, int64_t now)
{
    memset(r, 0, sizeof(*r));
    r->id = id;
    r->end = -1;
    r->last_fetch_ms = now;
    r->caught_up_ms = -1;
    r->sent_hw = -1;
}

void rr_leader_init(struct raft_node *n)
{
    for (int i = 0; i < n->cfg.nvoters; i++) {
        replica_init(&n->replicas[i], n->cfg.voters[i], n->now);
        n->replicas[i].begin_acked = i == n->self_idx;
    }
    n->nobservers = 0;
}

static struct rreplica *replica_for(struct raft_node *n, int32_t id)
{
    int idx = rn_voter_index(n, id);
    if (idx >= 0)
        return &n->replicas[idx];
    for (int i = 0; i < n->nobservers; i++)
        if (n->observers[i].id == id)
            return &n->observers[i];
    if (n->nobservers >= RAFT_MAX_OBSERVERS)
        return NULL;
    if (n->nobservers == n->cap_observers) {
        n->cap_observers = n->cap_observers ? n->cap_observers * 2 : 8;
        n->observers = xrealloc(n->observers, (size_t)n->cap_observers * sizeof(*n->observers));
    }
    struct rreplica *r = &n->observers[n->nobservers++];
    replica_init(r, id, -1);
    return r;
}

int rr_successors(const struct raft_node *n, int32_t *out)
{
    int idx[RAFT_MAX_VOTERS];
    int k = 0;
    for (int i = 0; i < n->cfg.nvoters; i++)
        if (i != n->self_idx)
            idx[k++] = i;
    for (int i = 1; i < k; i++) { /* by log end, best first; stable for equal ends */
        int v = idx[i], j = i;
        while (j > 0 && n->replicas[idx[j - 1]].end < n->replicas[v].end) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = v;
    }
    for (int i = 0; i < k; i++)
        out[i] = n->cfg.voters[idx[i]];
    return k;
}

/* ---- fetch validation (KafkaRaftClient's validateOffsetAndEpoch) ---- */

enum fvalid { FV_VALID, FV_DIVERGING, FV_SNAPSHOT };

static enum fvalid validate_fetch(const struct raft_node *n, int64_t offset, int32_t last_epoch,
                                  struct raft_epoch_end *div)
{
    const struct rlog *l = &n->log;
    if (l->snap.end_offset >= 0) {
        if (offset == l->snap.end_offset && last_epoch == l->snap.epoch)
            return FV_VALID;
        if (offset < l->start)
            return FV_SNAPSHOT;
    }
    if (offset == 0 && last_epoch == 0 && l->start == 0)
        return FV_VALID;
    bool below = false;
    struct raft_epoch_end ee = rlog_end_for_epoch(l, last_epoch, &below);
    if (below)
        return FV_SNAPSHOT;
    if (ee.epoch != last_epoch || offset > ee.end_offset) {
        *div = ee;
        return FV_DIVERGING;
    }
    return FV_VALID;
}

/* A FetchResponse in this epoch without records, divergence or snapshot; the caller sends it. */
static struct raft_msg *fetch_resp_new(struct raft_node *n, int32_t to, uint64_t rid,
                                       enum raft_error err, int32_t leader_id, int64_t hw)
{
    struct raft_msg *r = rn_msg(n, RAFT_MSG_FETCH_RESPONSE, to, rid);
    struct raft_fetch_resp *f = &r->u.fetch_resp;
    f->error = err;
    f->leader_id = leader_id;
    f->leader_epoch = n->epoch;
    f->high_watermark = hw;
    f->log_start_offset = n->log.start;
    f->diverging.epoch = -1;
    f->diverging.end_offset = -1;
    f->snapshot_id.end_offset = -1;
    f->snapshot_id.epoch = -1;
    return r;
}

static void fetch_error(struct raft_node *n, const struct raft_msg *m, enum raft_error err)
{
    rn_send(n, fetch_resp_new(n, m->from, m->rid, err, n->leader_id, -1));
}

/* Answers a fetch that passed the epoch checks, from the log as it is now. */
static void fetch_answer(struct raft_node *n, struct rreplica *rep, int32_t to, uint64_t rid,
                         const struct raft_fetch_req *q)
{
    struct raft_msg *r = fetch_resp_new(n, to, rid, RAFT_OK, n->id, n->hw);
    struct raft_fetch_resp *f = &r->u.fetch_resp;
    struct raft_epoch_end div = {-1, -1};
    switch (validate_fetch(n, q->fetch_offset, q->last_fetched_epoch, &div)) {
    case FV_SNAPSHOT:
        f->snapshot_id = n->log.snap;
        break;
    case FV_DIVERGING:
        f->diverging = div;
        break;
    case FV_VALID: {
        if (rep)
            rep->sent_hw = n->hw;
        long first = rlog_find(&n->log, q->fetch_offset);
        if (first < 0)
            break; /* at the log end: no records */
        size_t limit = (size_t)n->cfg.fetch_max_bytes;
        if (q->max_bytes > 0 && (size_t)q->max_bytes < limit)
            limit = (size_t)q->max_bytes;
        size_t cnt = 0, bytes = 0;
        for (size_t i = (size_t)first; i < n->log.n; i++) {
            size_t len = rlog_get(&n->log, i)->len;
            if (cnt > 0 && bytes + len > limit)
                break;
            cnt++;
            bytes += len;
        }
        uint8_t *mem = xmalloc(cnt * sizeof(struct raft_entry) + bytes);
        struct raft_entry *es = (struct raft_entry *)mem;
        uint8_t *p = mem + cnt * sizeof(struct raft_entry);
        for (size_t i = 0; i < cnt; i++) {
            const struct rentry *e = rlog_get(&n->log, (size_t)first + i);
            es[i].base_offset = e->base;
            es[i].last_offset = e->last;
            es[i].epoch = e->epoch;
            memcpy(p, e->data, e->len);
            es[i].data = p;
            es[i].len = e->len;
            p += e->len;
        }
        f->entries = es;
        f->nentries = cnt;
        r->mem = mem;
        break;
    }
    }
    rn_send(n, r);
}

static void answer_parked(struct raft_node *n, struct rreplica *r)
{
    r->parked = false;
    fetch_answer(n, r, r->id, r->park_rid, &r->park_req);
}

void rr_complete_parked(struct raft_node *n, bool all)
{
    int64_t end = rlog_end(&n->log);
    for (int i = 0; i < n->cfg.nvoters + n->nobservers; i++) {
        struct rreplica *r =
            i < n->cfg.nvoters ? &n->replicas[i] : &n->observers[i - n->cfg.nvoters];
        if (!r->parked)
            continue;
        if (all || n->now >= r->park_deadline || end > r->park_req.fetch_offset ||
            n->hw > r->sent_hw)
            answer_parked(n, r);
    }
}

void rr_leader_stop(struct raft_node *n)
{
    /* Parked fetchers learn right away that this node no longer leads the epoch. */
    for (int i = 0; i < n->cfg.nvoters + n->nobservers; i++) {
        struct rreplica *r =
            i < n->cfg.nvoters ? &n->replicas[i] : &n->observers[i - n->cfg.nvoters];
        if (!r->parked)
            continue;
        r->parked = false;
        rn_send(n, fetch_resp_new(n, r->id, r->park_rid, RAFT_E_NOT_LEADER, -1, -1));
    }
    n->nobservers = 0;
}

void rr_leader_update_hw(struct raft_node *n)
{
    if (n->role != RAFT_LEADER || n->installing)
        return;
    int64_t ends[RAFT_MAX_VOTERS];
    int k = n->cfg.nvoters;
    for (int i = 0; i < k; i++)
        ends[i] = i == n->self_idx ? n->durable_end : n->replicas[i].end;
    /* the majority-th largest end is on a majority */
    int64_t cand = rn_kth_largest(ends, k, rn_majority(n));
    if (cand > n->epoch_start && cand > n->hw) {
        rn_set_hw(n, cand);
        rr_complete_parked(n, false);
    }
}

void rr_follower_update_hw(struct raft_node *n)
{
    /* While a snapshot installs, the HW moves only when it completes (rr_install_done). */
    if (n->role != RAFT_FOLLOWER || n->leader_hw < 0 || n->installing)
        return;
    rn_set_hw(n, n->leader_hw < n->durable_end ? n->leader_hw : n->durable_end);
}

void rr_on_fetch(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_fetch_req *q = &m->u.fetch;
    if (q->leader_epoch < n->epoch) {
        fetch_error(n, m, RAFT_E_FENCED_EPOCH);
        return;
    }
    if (q->leader_epoch > n->epoch) {
        fetch_error(n, m, RAFT_E_UNKNOWN_EPOCH);
        return;
    }
    if (n->role != RAFT_LEADER) {
        fetch_error(n, m, RAFT_E_NOT_LEADER);
        return;
    }
    if (q->last_fetched_epoch < 0 || q->last_fetched_epoch > n->epoch) {
        fetch_error(n, m, RAFT_E_INVALID_REQUEST);
        return;
    }
    struct rreplica *r = replica_for(n, m->from);
    bool voter = rn_voter_index(n, m->from) >= 0;
    struct raft_epoch_end div;
    enum fvalid v = validate_fetch(n, q->fetch_offset, q->last_fetched_epoch, &div);
    if (r) {
        r->last_fetch_ms = n->now;
        if (r->parked)
            answer_parked(n, r); /* never drop a request: it may be the one the replica waits on */
        if (voter)
            r->begin_acked = true;
        if (v == FV_VALID) {
            r->end = q->fetch_offset;
            if (q->fetch_offset >= rlog_end(&n->log))
                r->caught_up_ms = n->now;
        }
    }
    if (v == FV_VALID && voter)
        rr_leader_update_hw(n);
    if (r && v == FV_VALID && q->fetch_offset == rlog_end(&n->log) && n->hw <= r->sent_hw &&
        q->max_wait_ms > 0) {
        int64_t wait =
            q->max_wait_ms < n->cfg.request_timeout_ms ? q->max_wait_ms : n->cfg.request_timeout_ms;
        r->parked = true;
        r->park_rid = m->rid;
        r->park_req = *q;
        r->park_deadline = n->now + wait;
        return;
    }
    fetch_answer(n, r, m->from, m->rid, q);
}

/* ---- follower side ---- */

void rr_follower_reset(struct raft_node *n)
{
    n->fetch_inflight = false;
    n->fetch_rid = 0;
    n->fetch_retry_at = 0;
    n->snap_fetching = false;
    n->snap_len = 0;
    n->snap_fetch_size = -1;
}

void rr_maybe_fetch(struct raft_node *n)
{
    if (n->installing || n->fetch_inflight || n->now < n->fetch_retry_at)
        return;
    int32_t target;
    if (n->role == RAFT_FOLLOWER)
        target = n->leader_id;
    else if (!n->voter && n->role == RAFT_UNATTACHED)
        target = n->cfg.voters[n->probe_next++ % n->cfg.nvoters]; /* ask each voter in turn */
    else
        return;
    struct raft_msg *m;
    uint64_t rid = rn_new_rid(n);
    if (n->snap_fetching) {
        m = rn_msg(n, RAFT_MSG_FETCH_SNAPSHOT, target, rid);
        m->u.snap.leader_epoch = n->epoch;
        m->u.snap.snapshot_id = n->snap_fetch_id;
        m->u.snap.position = (int64_t)n->snap_len;
        m->u.snap.max_bytes = n->cfg.snapshot_chunk_bytes;
    } else {
        if (n->durable_end < rlog_end(&n->log))
            return; /* fetch_offset is the durable end: wait for the sync */
        m = rn_msg(n, RAFT_MSG_FETCH, target, rid);
        m->u.fetch.leader_epoch = n->epoch;
        m->u.fetch.fetch_offset = rlog_end(&n->log);
        m->u.fetch.last_fetched_epoch = rlog_last_epoch(&n->log);
        m->u.fetch.log_start_offset = n->log.start;
        m->u.fetch.max_wait_ms = n->cfg.fetch_max_wait_ms;
        m->u.fetch.max_bytes = n->cfg.fetch_max_bytes;
    }
    n->fetch_inflight = true;
    n->fetch_rid = rid;
    n->fetch_target = target;
    n->fetch_expires = n->now + n->cfg.fetch_max_wait_ms + n->cfg.request_timeout_ms;
    rn_send(n, m);
}

static void fetch_backoff(struct raft_node *n)
{
    n->fetch_retry_at = n->now + n->cfg.retry_backoff_ms;
}

/* KIP-595 truncation on DivergingEpoch (with KIP-279's min of both ends). */
static void truncate_diverging(struct raft_node *n, struct raft_epoch_end div)
{
    bool below = false;
    struct raft_epoch_end own = rlog_end_for_epoch(&n->log, div.epoch, &below);
    if (below) {
        rn_peer_fault(n, "diverging epoch below the snapshot");
        fetch_backoff(n);
        return;
    }
    int64_t t =
        own.epoch == div.epoch && div.end_offset < own.end_offset ? div.end_offset : own.end_offset;
    long i = rlog_find(&n->log, t);
    if (i >= 0)
        t = rlog_get(&n->log, (size_t)i)->base; /* whole batches only */
    if (t < n->hw || t < n->log.start) {
        rn_peer_fault(n, "truncation below the high watermark");
        fetch_backoff(n);
        return;
    }
    if (t >= rlog_end(&n->log)) {
        fetch_backoff(n); /* nothing to cut: the leader will answer differently next time */
        return;
    }
    LOG_DEBUG("raft",
              "node %" PRId32 " truncates to %" PRId64 " (diverging epoch %" PRId32 " end %" PRId64
              ")",
              n->id, t, div.epoch, div.end_offset);
    rn_op_truncate(n, t);
}

/* A response from the current leader of the current epoch that it accepted. */
static bool from_leader(struct raft_node *n, const struct raft_msg *m, enum raft_error err,
                        int32_t leader_id, int32_t epoch)
{
    if (err != RAFT_OK) {
        if (err == RAFT_E_NOT_LEADER && leader_id < 0 && epoch == n->epoch &&
            n->role == RAFT_FOLLOWER && m->from == n->leader_id) {
            re_become_unattached(n, n->epoch); /* the leader resigned */
            return false;
        }
        fetch_backoff(n);
        return false;
    }
    if (n->role != RAFT_FOLLOWER || m->from != n->leader_id || epoch != n->epoch ||
        leader_id != n->leader_id) {
        fetch_backoff(n);
        return false;
    }
    n->fetched_ok = true;
    n->fetch_deadline = n->now + n->cfg.fetch_timeout_ms;
    return true;
}

void rr_on_fetch_resp(struct raft_node *n, const struct raft_msg *m)
{
    if (!n->fetch_inflight || m->rid != n->fetch_rid || n->snap_fetching)
        return;
    n->fetch_inflight = false;
    const struct raft_fetch_resp *r = &m->u.fetch_resp;
    if (re_observe(n, r->leader_epoch, r->leader_id))
        return;
    if (!from_leader(n, m, r->error, r->leader_id, r->leader_epoch)) {
        rr_maybe_fetch(n);
        return;
    }
    if (r->diverging.epoch >= 0) {
        truncate_diverging(n, r->diverging);
        rr_maybe_fetch(n);
        return;
    }
    if (r->snapshot_id.end_offset >= 0) {
        if (r->snapshot_id.epoch < 0 || r->snapshot_id.epoch > n->epoch) {
            fetch_backoff(n);
            return;
        }
        /*
         * The leader cannot check our last epoch against its log (it lies
         * under its snapshot).  Everything above our high watermark is
         * uncommitted: a snapshot beyond it replaces the whole log, even when
         * our (diverging) tail is longer; otherwise drop the tail and ask again.
         */
        if (r->snapshot_id.end_offset <= n->hw) {
            if (n->hw < rlog_end(&n->log))
                rn_op_truncate(n, n->hw);
            else
                fetch_backoff(n);
            rr_maybe_fetch(n);
            return;
        }
        n->snap_fetching = true;
        n->snap_fetch_id = r->snapshot_id;
        n->snap_fetch_size = -1;
        n->snap_len = 0;
        rr_maybe_fetch(n);
        return;
    }
    /* Records must continue the log exactly (the fetch offset was the log end). */
    int64_t expect = rlog_end(&n->log);
    int32_t prev = rlog_last_epoch(&n->log);
    for (size_t i = 0; i < r->nentries; i++) {
        const struct raft_entry *e = &r->entries[i];
        if (e->base_offset != expect || e->last_offset < e->base_offset || e->epoch < prev ||
            e->epoch > n->epoch || (e->len > 0 && !e->data)) {
            LOG_WARN("raft",
                     "node %" PRId32 ": fetch response from %" PRId32
                     " does not continue the log at %" PRId64,
                     n->id, m->from, expect);
            fetch_backoff(n);
            return;
        }
        expect = e->last_offset + 1;
        prev = e->epoch;
    }
    for (size_t i = 0; i < r->nentries; i++) {
        const struct raft_entry *e = &r->entries[i];
        rn_op_append(n, e->base_offset, e->last_offset, e->epoch, e->data, e->len);
    }
    if (r->high_watermark > n->leader_hw)
        n->leader_hw = r->high_watermark;
    rr_follower_update_hw(n);
    rr_maybe_fetch(n);
}

void rr_install_done(struct raft_node *n)
{
    if (!n->installing)
        return;
    n->installing = false;
    rn_set_hw(n, n->install_id.end_offset);
    n->out.snapshot_loaded = true;
    n->out.snapshot = n->install_id;
    if (n->role == RAFT_LEADER)
        rr_leader_update_hw(n);
    else
        rr_follower_update_hw(n);
}

void rr_on_fetch_snapshot_resp(struct raft_node *n, const struct raft_msg *m)
{
    if (!n->fetch_inflight || m->rid != n->fetch_rid || !n->snap_fetching)
        return;
    n->fetch_inflight = false;
    const struct raft_fetch_snapshot_resp *r = &m->u.snap_resp;
    if (re_observe(n, r->leader_epoch, r->leader_id))
        return;
    if (r->error == RAFT_E_SNAPSHOT_NOT_FOUND || r->error == RAFT_E_POSITION_OUT_OF_RANGE) {
        n->snap_fetching = false; /* start over from a Fetch: the leader has a newer snapshot */
        n->snap_len = 0;
        fetch_backoff(n);
        return;
    }
    if (!from_leader(n, m, r->error, r->leader_id, r->leader_epoch)) {
        rr_maybe_fetch(n);
        return;
    }
    bool ok = r->snapshot_id.end_offset == n->snap_fetch_id.end_offset &&
              r->snapshot_id.epoch == n->snap_fetch_id.epoch && r->size >= 0 &&
              r->size <= n->cfg.snapshot_max_bytes &&
              (n->snap_fetch_size < 0 || r->size == n->snap_fetch_size) &&
              r->position == (int64_t)n->snap_len && (int64_t)r->len <= r->size - r->position &&
              (r->len > 0 || r->position == r->size);
    if (!ok) {
        n->snap_fetching = false;
        n->snap_len = 0;
        fetch_backoff(n);
        return;
    }
    n->snap_fetch_size = r->size;
    if (n->snap_len + r->len > n->snap_cap) {
        size_t cap = n->snap_cap ? n->snap_cap : 4096;
        while (cap < n->snap_len + r->len)
            cap *= 2;
        n->snap_buf = xrealloc(n->snap_buf, cap);
        n->snap_cap = cap;
    }
    if (r->len)
        memcpy(n->snap_buf + n->snap_len, r->data, r->len);
    n->snap_len += r->len;
    if ((int64_t)n->snap_len < r->size) {
        rr_maybe_fetch(n);
        return;
    }
    /*
     * Complete: the log becomes the snapshot now (so every later op is
     * consistent with what the disk will hold); the high watermark and the
     * state machine follow once the install is durable.
     */
    struct raft_snapshot_id id = n->snap_fetch_id;
    uint8_t *data = n->snap_buf;
    size_t len = n->snap_len;
    n->snap_buf = NULL;
    n->snap_len = n->snap_cap = 0;
    n->snap_fetching = false;
    rlog_reset_to_snapshot(&n->log, id, data, len);
    for (size_t i = 0; i < n->npend; i++)
        if (n->pend[i].type == PEND_APPEND && n->pend[i].end > id.end_offset)
            n->pend[i].end = id.end_offset;
    n->durable_end = id.end_offset;
    n->installing = true;
    n->install_id = id;
    LOG_DEBUG("raft", "node %" PRId32 " installs snapshot %" PRId64 "-%" PRId32, n->id,
              id.end_offset, id.epoch);
    rn_op_install(n, id, n->log.snap_data, n->log.snap_len);
}

void rr_on_fetch_snapshot(struct raft_node *n, const struct raft_msg *m)
{
    const struct raft_fetch_snapshot_req *q = &m->u.snap;
    struct raft_msg *r = rn_msg(n, RAFT_MSG_FETCH_SNAPSHOT_RESPONSE, m->from, m->rid);
    struct raft_fetch_snapshot_resp *s = &r->u.snap_resp;
    s->leader_id = n->leader_id;
    s->leader_epoch = n->epoch;
    s->snapshot_id = q->snapshot_id;
    s->size = -1;
    s->position = q->position;
    if (q->leader_epoch < n->epoch) {
        s->error = RAFT_E_FENCED_EPOCH;
    } else if (q->leader_epoch > n->epoch) {
        s->error = RAFT_E_UNKNOWN_EPOCH;
    } else if (n->role != RAFT_LEADER) {
        s->error = RAFT_E_NOT_LEADER;
    } else {
        struct rreplica *rep = replica_for(n, m->from);
        if (rep) {
            rep->last_fetch_ms = n->now;
            if (rn_voter_index(n, m->from) >= 0)
                rep->begin_acked = true;
        }
        const struct rlog *l = &n->log;
        if (l->snap.end_offset < 0 || q->snapshot_id.end_offset != l->snap.end_offset ||
            q->snapshot_id.epoch != l->snap.epoch) {
            s->error = RAFT_E_SNAPSHOT_NOT_FOUND;
        } else if (q->position < 0 || q->position > (int64_t)l->snap_len) {
            s->error = RAFT_E_POSITION_OUT_OF_RANGE;
        } else {
            size_t chunk = l->snap_len - (size_t)q->position;
            if (chunk > (size_t)n->cfg.snapshot_chunk_bytes)
                chunk = (size_t)n->cfg.snapshot_chunk_bytes;
            if (q->max_bytes > 0 && chunk > (size_t)q->max_bytes)
                chunk = (size_t)q->max_bytes;
            s->error = RAFT_OK;
            s->size = (int64_t)l->snap_len;
            if (chunk > 0) {
                uint8_t *mem = xmalloc(chunk);
                memcpy(mem, l->snap_data + q->position, chunk);
                r->mem = mem;
                s->data = mem;
                s->len = chunk;
            }
        }
    }
    rn_send(n, r);
}

/* ---- timers ---- */

void rr_tick(struct raft_node *n)
{
    if (n->role == RAFT_LEADER) {
        rr_complete_parked(n, false);
        return;
    }
    if (n->fetch_inflight && n->now >= n->fetch_expires)
        n->fetch_inflight = false; /* lost request or response: ask again */
    rr_maybe_fetch(n);
}

int64_t rr_deadline(const struct raft_node *n)
{
    int64_t d = INT64_MAX;
    if (n->role == RAFT_LEADER) {
        for (int i = 0; i < n->cfg.nvoters + n->nobservers; i++) {
            const struct rreplica *r =
                i < n->cfg.nvoters ? &n->replicas[i] : &n->observers[i - n->cfg.nvoters];
            if (r->parked && r->park_deadline < d)
                d = r->park_deadline;
        }
        return d;
    }
    if (n->fetch_inflight)
        return n->fetch_expires;
    if (n->fetch_retry_at > n->now)
        return n->fetch_retry_at;
    return d;
}
