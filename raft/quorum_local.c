/*
 * A metadata quorum of one voter (quorum.h): the single-node deployment runs
 * the same controller and image code as a Raft cluster, with a quorum whose
 * majority is itself.  The log is a storage_log of v2 batches stamped with
 * the epoch; an append is written and fsynced before it counts as committed
 * (KRaft fsyncs the metadata log), and commits are delivered from a libevent
 * callback so that, as with a real quorum, they never arrive inside
 * quorum_append.  Each new epoch starts with a LeaderChange control record
 * (KIP-595, LeaderState's epoch-start marker).
 */
#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "log.h"
#include "partition_log.h"
#include "quorum.h"
#include "record_batch.h"
#include "xalloc.h"

/* KafkaRaftClient caps a batch at 8 MiB. */
#define QL_MAX_BATCH_BYTES (8 * 1024 * 1024)

/* LeaderChangeMessage (control record value), version 0. */
struct lcm_voter {
    int32_t voter_id;
};
struct lcm {
    int16_t version;
    int32_t leader_id;
    KARR(struct lcm_voter) voters;
    KARR(struct lcm_voter) granting_voters;
};
static const struct proto_field lcm_voter_fields[] = {
    PF_FIELD(struct lcm_voter, voter_id, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(lcm_voter_schema, struct lcm_voter, lcm_voter_fields);
static const struct proto_field lcm_fields[] = {
    PF_FIELD(struct lcm, version, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct lcm, leader_id, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct lcm, voters, lcm_voter_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct lcm, granting_voters, lcm_voter_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(lcm_schema, struct lcm, lcm_fields);

struct pending {
    int64_t base_offset;
    int64_t last_offset;
    uint8_t *data;
    size_t len;
};

struct quorum_local {
    struct quorum q;
    struct event_base *base;
    char *dir;
    int32_t node_id;
    struct quorum_listener l;
    struct storage_log *log;
    int32_t epoch;
    int64_t hw;
    int64_t marker_offset; /* last offset of this epoch's LeaderChange batch */
    bool announced;        /* on_leader_change(node_id) was delivered */
    bool failed;           /* a write failed: resigned */
    bool resign_pending;   /* on_leader_change(-1) still to deliver */
    struct pending *pend;
    size_t npend, cap_pend;
    struct event *ev;
};

static struct quorum_local *ql_of(struct quorum *q)
{
    return (struct quorum_local *)q;
}

static const struct quorum_local *ql_ofc(const struct quorum *q)
{
    return (const struct quorum_local *)q;
}

static void schedule(struct quorum_local *ql)
{
    event_active(ql->ev, EV_TIMEOUT, 0);
}

static void commit_cb(evutil_socket_t fd, short what, void *arg)
{
    struct quorum_local *ql = arg;
    /* Deliver only what was pending when this round started; later appends go next round. */
    size_t n = ql->npend;
    size_t done = 0;
    while (done < n) {
        struct pending p = ql->pend[done++];
        ql->hw = p.last_offset + 1;
        if (ql->l.on_commit)
            ql->l.on_commit(ql->l.ctx, p.base_offset, p.data, p.len);
        free(p.data);
        if (!ql->announced && !ql->failed && p.last_offset >= ql->marker_offset) {
            ql->announced = true;
            LOG_INFO("raft",
                     "node %" PRId32 " is the leader of epoch %" PRId32 " (single-voter quorum)",
                     ql->node_id, ql->epoch);
            if (ql->l.on_leader_change)
                ql->l.on_leader_change(ql->l.ctx, ql->node_id, ql->epoch);
        }
    }
    memmove(ql->pend, ql->pend + done, (ql->npend - done) * sizeof(*ql->pend));
    ql->npend -= done;
    if (ql->resign_pending) {
        ql->resign_pending = false;
        if (ql->l.on_leader_change)
            ql->l.on_leader_change(ql->l.ctx, -1, ql->epoch);
    }
    if (ql->npend > 0)
        schedule(ql);
}

static void fail(struct quorum_local *ql, int rc)
{
    LOG_ERROR("raft", "metadata log write failed (%s): resigning leadership", sl_strerror(rc));
    ql->failed = true;
    ql->resign_pending = true;
    schedule(ql);
}

/* Writes one finished batch (already stamped) to the log, fsyncs it and queues its commit. */
static int write_batch(struct quorum_local *ql, struct wbuf *w, int64_t base, int64_t last)
{
    int rc = storage_log_append(ql->log, w->data, w->len, clock_wall_ms());
    if (rc == 0)
        rc = storage_log_flush(ql->log);
    if (rc != 0) {
        fail(ql, rc);
        return SL_EIO;
    }
    if (ql->npend == ql->cap_pend) {
        ql->cap_pend = ql->cap_pend ? ql->cap_pend * 2 : 8;
        ql->pend = xrealloc(ql->pend, ql->cap_pend * sizeof(*ql->pend));
    }
    struct pending *p = &ql->pend[ql->npend++];
    p->base_offset = base;
    p->last_offset = last;
    p->data = wbuf_detach(w, &p->len);
    schedule(ql);
    return 0;
}

static int ql_append(struct quorum *q, const struct kbytes *records, int n, int64_t *last_offset)
{
    struct quorum_local *ql = ql_of(q);
    if (!ql->announced || ql->failed)
        return SL_ESTATE;
    if (n < 1 || !records)
        return SL_EINVAL;
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        if (records[i].len < 0 || (records[i].len > 0 && !records[i].p) || records[i].file)
            return SL_EINVAL;
        total += (size_t)records[i].len + 32; /* generous per-record framing overhead */
    }
    if (total > QL_MAX_BATCH_BYTES)
        return SL_ETOOLARGE;
    int64_t base = storage_log_end_offset(ql->log);
    int64_t now = clock_wall_ms();
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, base, now);
    rb_builder_set_partition_leader_epoch(&b, ql->epoch);
    for (int i = 0; i < n; i++)
        rb_builder_add(&b, now, NULL, -1, records[i].p, records[i].len, NULL, 0);
    struct wbuf w;
    wbuf_init(&w, total + RB_HEADER_SIZE);
    int rc = rb_builder_finish(&b, &w);
    rb_builder_free(&b);
    if (rc == 0)
        rc = write_batch(ql, &w, base, base + n - 1);
    wbuf_free(&w);
    if (rc != 0)
        return rc == SL_ETOOLARGE ? SL_ETOOLARGE : SL_EIO;
    *last_offset = base + n - 1;
    return 0;
}

static bool ql_is_leader(const struct quorum *q)
{
    const struct quorum_local *ql = ql_ofc(q);
    return ql->announced && !ql->failed;
}

static int32_t ql_leader_id(const struct quorum *q)
{
    return ql_is_leader(q) ? ql_ofc(q)->node_id : -1;
}

static int32_t ql_epoch(const struct quorum *q)
{
    return ql_ofc(q)->epoch;
}

static int64_t ql_high_watermark(const struct quorum *q)
{
    return ql_ofc(q)->hw;
}

static int64_t ql_log_end_offset(const struct quorum *q)
{
    return storage_log_end_offset(ql_ofc(q)->log);
}

static void ql_close(struct quorum *q)
{
    struct quorum_local *ql = ql_of(q);
    if (ql->ev)
        event_free(ql->ev);
    storage_log_close(ql->log);
    for (size_t i = 0; i < ql->npend; i++)
        free(ql->pend[i].data);
    free(ql->pend);
    free(ql->dir);
    free(ql);
}

static const struct quorum_ops local_ops = {
    .append = ql_append,
    .is_leader = ql_is_leader,
    .leader_id = ql_leader_id,
    .epoch = ql_epoch,
    .high_watermark = ql_high_watermark,
    .log_end_offset = ql_log_end_offset,
    .close = ql_close,
};

struct replay_ctx {
    struct quorum_local *ql;
    int32_t max_epoch;
    int64_t next_offset;
};

static int replay_cb(void *arg, const uint8_t *batch, size_t len)
{
    struct replay_ctx *rc = arg;
    struct rb_header h;
    if (rb_header_parse(batch, len, &h) != 0)
        return SL_ECORRUPT;
    if (h.partition_leader_epoch > rc->max_epoch)
        rc->max_epoch = h.partition_leader_epoch;
    rc->next_offset = rb_header_last_offset(&h) + 1;
    rc->ql->hw = rc->next_offset;
    if (rc->ql->l.on_commit)
        rc->ql->l.on_commit(rc->ql->l.ctx, h.base_offset, batch, len);
    return 0;
}

/* Appends this epoch's LeaderChange control batch (voters = granting voters = {self}). */
static int append_marker(struct quorum_local *ql)
{
    struct lcm_voter self = {.voter_id = ql->node_id};
    struct lcm m = {.version = 0, .leader_id = ql->node_id};
    m.voters.n = 1;
    m.voters.v = &self;
    m.granting_voters.n = 1;
    m.granting_voters.v = &self;
    struct proto_out o;
    proto_out_init(&o);
    int rc = proto_encode(&lcm_schema, 0, true, &m, &o);
    if (rc != 0) {
        proto_out_free(&o);
        return SL_EINVAL;
    }
    int64_t base = storage_log_end_offset(ql->log);
    int64_t now = clock_wall_ms();
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, base, now);
    rb_builder_set_partition_leader_epoch(&b, ql->epoch);
    rb_builder_add_control(&b, now, RB_CONTROL_LEADER_CHANGE, o.w.data, (int32_t)o.w.len);
    proto_out_free(&o);
    struct wbuf w;
    wbuf_init(&w, 128);
    rc = rb_builder_finish(&b, &w);
    rb_builder_free(&b);
    if (rc == 0) {
        ql->marker_offset = base;
        rc = write_batch(ql, &w, base, base);
    }
    wbuf_free(&w);
    return rc;
}

int quorum_local_open(struct event_base *base, const char *dir, int32_t node_id,
                      const struct quorum_listener *l, struct quorum **out)
{
    if (!base || !dir || node_id < 0 || !l || !out)
        return SL_EINVAL;
    struct storage_log_config cfg;
    storage_log_config_default(&cfg);
    cfg.retention_ms = -1;
    cfg.retention_bytes = -1;
    cfg.flush_interval_messages = INT64_MAX; /* every append is flushed explicitly */
    struct storage_log *log = NULL;
    int rc = storage_log_open(dir, &cfg, -1, &log);
    if (rc != 0) {
        LOG_ERROR("raft", "cannot open the metadata log in %s: %s", dir, sl_strerror(rc));
        return rc;
    }
    struct quorum_state st;
    rc = quorum_state_read(dir, &st);
    if (rc != 0) {
        LOG_ERROR("raft", "cannot read %s/%s: %s", dir, QUORUM_STATE_FILE, sl_strerror(rc));
        storage_log_close(log);
        return rc;
    }

    struct quorum_local *ql = xcalloc(1, sizeof(*ql));
    ql->q.ops = &local_ops;
    ql->base = base;
    ql->dir = xstrdup(dir);
    ql->node_id = node_id;
    ql->l = *l;
    ql->log = log;
    ql->hw = storage_log_start_offset(log);
    ql->marker_offset = INT64_MAX;
    ql->ev = event_new(base, -1, 0, commit_cb, ql);
    if (!ql->ev) {
        ql_close(&ql->q);
        return SL_EIO;
    }

    /* Replay: with one voter, everything that reached the log was committed. */
    struct replay_ctx rctx = {.ql = ql, .max_epoch = 0, .next_offset = ql->hw};
    rc = storage_log_scan(log, storage_log_start_offset(log), replay_cb, &rctx);
    if (rc != 0) {
        LOG_ERROR("raft", "metadata log replay failed: %s", sl_strerror(rc));
        ql_close(&ql->q);
        return rc < 0 ? rc : SL_ECORRUPT;
    }
    ql->hw = storage_log_end_offset(log);

    /* Election of a single voter: a new epoch above anything seen, voting for itself. */
    int32_t last = st.leader_epoch > rctx.max_epoch ? st.leader_epoch : rctx.max_epoch;
    if (last == INT32_MAX) {
        ql_close(&ql->q);
        return SL_ECORRUPT;
    }
    ql->epoch = last + 1;
    st.leader_id = node_id;
    st.leader_epoch = ql->epoch;
    st.voted_id = node_id;
    rc = quorum_state_write(dir, &st);
    if (rc == 0)
        rc = append_marker(ql);
    if (rc != 0) {
        LOG_ERROR("raft", "cannot start epoch %" PRId32 " in %s: %s", ql->epoch, dir,
                  sl_strerror(rc));
        ql_close(&ql->q);
        return rc;
    }
    *out = &ql->q;
    return 0;
}
