/*
 * Broker lifecycle on the active controller (KIP-631): registration,
 * per-broker sessions, heartbeats driving Kafka's broker states
 * (BrokerHeartbeatManager.calculateNextBrokerState: fenced, unfenced,
 * controlled shutdown, shutdown now), fencing of brokers whose session
 * expired, and the time-driven tick.  Rules and messages follow Kafka's
 * ClusterControlManager, BrokerHeartbeatManager and ReplicationControlManager.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller_internal.h"
#include "err.h"
#include "kafka.h"
#include "log.h"
#include "metadata_records.h"
#include "quorum.h"
#include "xalloc.h"

enum broker_state {
    BS_FENCED,
    BS_UNFENCED,
    BS_CONTROLLED_SHUTDOWN,
    BS_SHUTDOWN_NOW,
};

/* ---- sessions ---- */

static size_t sess_lower_bound(const struct controller *c, int32_t id)
{
    size_t lo = 0, hi = c->nsess;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->sess[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct ctl_session *ctl_session_find(struct controller *c, int32_t id)
{
    size_t i = sess_lower_bound(c, id);
    return i < c->nsess && c->sess[i].id == id ? &c->sess[i] : NULL;
}

struct ctl_session *ctl_session_get(struct controller *c, int32_t id, int64_t epoch)
{
    size_t i = sess_lower_bound(c, id);
    if (i == c->nsess || c->sess[i].id != id) {
        if (c->nsess == c->cap_sess) {
            c->cap_sess = c->cap_sess ? c->cap_sess * 2 : 8;
            c->sess = xrealloc(c->sess, c->cap_sess * sizeof(*c->sess));
        }
        memmove(&c->sess[i + 1], &c->sess[i], (c->nsess - i) * sizeof(*c->sess));
        c->nsess++;
    } else if (c->sess[i].epoch == epoch) {
        return &c->sess[i];
    }
    struct ctl_session *s = &c->sess[i];
    /* New, or a new registration of the broker: a fresh session. */
    *s = (struct ctl_session){
        .id = id, .epoch = epoch, .contact_ms = -1, .metadata_offset = -1, .cs_offset = -1};
    return s;
}

void ctl_sessions_reset(struct controller *c)
{
    c->nsess = 0;
    c->next_rebalance_ms = -1;
}

int64_t ctl_session_timeout_ms(const struct controller *c)
{
    int64_t t = ctl_prop_int(c, "broker.session.timeout.ms", CTL_DEFAULT_SESSION_TIMEOUT_MS);
    return t > 0 ? t : CTL_DEFAULT_SESSION_TIMEOUT_MS;
}

static void note_time(struct controller *c, int64_t now_ms)
{
    if (now_ms >= 0 && now_ms > c->now_ms)
        c->now_ms = now_ms;
}

/*
 * BrokerHeartbeatManager.hasValidSession for the duplicate-registration
 * check: a live session of this term that has not expired.  The local
 * broker's session never expires while this node is the active controller.
 */
static bool session_valid(const struct controller *c, const struct ctl_session *s)
{
    if (!s->live)
        return false;
    if (s->local || s->contact_ms < 0 || c->now_ms < 0)
        return true;
    return s->contact_ms + ctl_session_timeout_ms(c) >= c->now_ms;
}

/* The metadata offset a broker last reported; the local broker reads this node's image. */
static int64_t session_offset(const struct controller *c, const struct ctl_session *s)
{
    return s->local ? metadata_image_offset(c->img) : s->metadata_offset;
}

/*
 * BrokerHeartbeatManager.lowestActiveOffset: the lowest metadata offset
 * reported by an active broker (unfenced, not in controlled shutdown), -1
 * for one that has not reported in this term, INT64_MAX when none is active.
 */
static int64_t lowest_active_offset(struct controller *c)
{
    int64_t low = INT64_MAX;
    size_t n = metadata_image_broker_count(c->img);
    for (size_t i = 0; i < n; i++) {
        const struct mi_broker *b = metadata_image_broker_at(c->img, i);
        if (!ctl_broker_active(b))
            continue;
        const struct ctl_session *s = ctl_session_find(c, b->id);
        int64_t off = s && s->epoch == b->epoch ? session_offset(c, s) : -1;
        if (off < low)
            low = off;
    }
    return low;
}

/* ---- registration ---- */

void ctl_process_register_broker(struct controller *c, struct op *op, struct recs *r)
{
    struct ctl_register_broker *q = &op->u.rb.req;
    if (op->phase == 1) {
        /* The registration committed and the broker is caught up (CTL_REGISTER_CAUGHT_UP). */
        const struct mi_broker *b = metadata_image_broker(c->img, q->broker_id);
        if (!b || b->epoch != op->u.rb.epoch) {
            op->u.rb.error = KERR_STALE_BROKER_EPOCH;
            op->u.rb.message = "The registration was superseded.";
            return;
        }
        if (!b->fenced)
            return;
        struct mr_broker_fencing uf = {.id = q->broker_id, .epoch = op->u.rb.epoch};
        ctl_recs_add(r, MR_UNFENCE_BROKER, &uf);
        ctl_add_unfence_elections(c, r, q->broker_id);
        return;
    }
    if (q->broker_id < 0 || uuid_is_zero(&q->incarnation_id)) {
        op->u.rb.error = KERR_INVALID_REQUEST;
        op->u.rb.message = "Invalid broker id or incarnation id.";
        return;
    }
    const struct mi_broker *old = metadata_image_broker(c->img, q->broker_id);
    if (old && !old->fenced && !uuid_equal(&old->incarnation_id, &q->incarnation_id)) {
        struct ctl_session *s = ctl_session_find(c, q->broker_id);
        if (s && s->epoch == old->epoch && session_valid(c, s)) {
            op->u.rb.error = KERR_DUPLICATE_BROKER_REGISTRATION;
            op->u.rb.message = "Another broker is registered with that broker id.";
            return;
        }
    }
    int16_t mv = metadata_image_feature_level(c->img, "metadata.version");
    for (int32_t i = 0; i < q->nfeatures; i++) {
        const struct ctl_feature_range *f = &q->features[i];
        if (f->name && strcmp(f->name, "metadata.version") == 0 && mv > 0 &&
            (mv < f->min_supported || mv > f->max_supported)) {
            op->u.rb.error = KERR_UNSUPPORTED_VERSION;
            op->u.rb.message = ctl_msgf(&op->a,
                                        "Unable to register because the broker does not support "
                                        "finalized version %d of metadata.version.",
                                        mv);
            return;
        }
    }
    /*
     * The old incarnation's leaderships and ISR memberships go first: the
     * new process starts fenced with whatever its log recovered (as Kafka
     * fences a broker that comes back after an unclean shutdown).
     */
    if (old && !old->fenced) {
        LOG_INFO("controller",
                 "broker %" PRId32 " re-registers while its registration at epoch %" PRId64
                 " is unfenced: moving its leaderships and ISR memberships",
                 q->broker_id, old->epoch);
        ctl_add_removal_changes(c, r, &q->broker_id, 1);
    }
    /* Broker epoch = the offset of the RegisterBrokerRecord (KIP-631), the batch's last record. */
    op->u.rb.epoch = c->q ? quorum_log_end_offset(c->q) + r->n : -1;
    struct mr_register_broker rb;
    memset(&rb, 0, sizeof(rb));
    rb.broker_id = q->broker_id;
    rb.incarnation_id = q->incarnation_id;
    rb.broker_epoch = op->u.rb.epoch;
    rb.end_points.n = q->nendpoints;
    rb.end_points.v = arena_alloc(&op->a, (size_t)(q->nendpoints + 1) * sizeof(*rb.end_points.v));
    for (int32_t i = 0; i < q->nendpoints; i++) {
        rb.end_points.v[i].name = ctl_kstr(q->endpoints[i].name ? q->endpoints[i].name : "");
        rb.end_points.v[i].host = ctl_kstr(q->endpoints[i].host ? q->endpoints[i].host : "");
        rb.end_points.v[i].port = q->endpoints[i].port;
        rb.end_points.v[i].security_protocol = q->endpoints[i].security_protocol;
    }
    rb.features.n = q->nfeatures;
    rb.features.v = arena_alloc(&op->a, (size_t)(q->nfeatures + 1) * sizeof(*rb.features.v));
    for (int32_t i = 0; i < q->nfeatures; i++) {
        rb.features.v[i].name = ctl_kstr(q->features[i].name ? q->features[i].name : "");
        rb.features.v[i].min_supported_version = q->features[i].min_supported;
        rb.features.v[i].max_supported_version = q->features[i].max_supported;
    }
    rb.rack = ctl_kstr(q->rack);
    rb.fenced = true;
    rb.in_controlled_shutdown = false;
    ctl_recs_add(r, MR_REGISTER_BROKER, &rb);
}

void ctl_register_committed(struct controller *c, struct op *op)
{
    if (op->u.rb.error != KERR_NONE)
        return;
    const struct mi_broker *b = metadata_image_broker(c->img, op->u.rb.req.broker_id);
    if (!b || b->epoch != op->u.rb.epoch)
        return;
    struct ctl_session *s = ctl_session_get(c, b->id, b->epoch);
    s->live = true;
    s->local = (op->u.rb.flags & CTL_REGISTER_CAUGHT_UP) != 0;
    s->contact_ms = op->u.rb.now_ms >= 0 ? op->u.rb.now_ms : c->now_ms;
    LOG_INFO("controller", "registered broker %" PRId32 " at epoch %" PRId64 "%s", b->id, b->epoch,
             s->local ? " (local, caught up)" : " (fenced until caught up)");
}

void controller_register_broker_ex(struct controller *c, const struct ctl_register_broker *req,
                                   unsigned flags, int64_t now_ms, ctl_register_broker_cb cb,
                                   void *ctx)
{
    note_time(c, now_ms);
    struct op *op = ctl_op_new(OP_REGISTER_BROKER, ctx);
    op->cb.register_broker = cb;
    op->u.rb.flags = flags;
    op->u.rb.now_ms = now_ms;
    struct ctl_register_broker *d = &op->u.rb.req;
    d->broker_id = req->broker_id;
    d->incarnation_id = req->incarnation_id;
    d->rack = ctl_adup(&op->a, req->rack);
    int32_t ne = req->nendpoints > 0 && req->endpoints ? req->nendpoints : 0;
    struct ctl_endpoint *eps = arena_alloc(&op->a, (size_t)(ne + 1) * sizeof(*eps));
    for (int32_t i = 0; i < ne; i++) {
        eps[i].name = ctl_adup(&op->a, req->endpoints[i].name);
        eps[i].host = ctl_adup(&op->a, req->endpoints[i].host);
        eps[i].port = req->endpoints[i].port;
        eps[i].security_protocol = req->endpoints[i].security_protocol;
    }
    d->endpoints = eps;
    d->nendpoints = ne;
    int32_t nf = req->nfeatures > 0 && req->features ? req->nfeatures : 0;
    struct ctl_feature_range *fs = arena_alloc(&op->a, (size_t)(nf + 1) * sizeof(*fs));
    for (int32_t i = 0; i < nf; i++) {
        fs[i].name = ctl_adup(&op->a, req->features[i].name);
        fs[i].min_supported = req->features[i].min_supported;
        fs[i].max_supported = req->features[i].max_supported;
    }
    d->features = fs;
    d->nfeatures = nf;
    ctl_enqueue(c, op);
}

void controller_register_broker(struct controller *c, const struct ctl_register_broker *req,
                                ctl_register_broker_cb cb, void *ctx)
{
    controller_register_broker_ex(c, req, CTL_REGISTER_CAUGHT_UP, -1, cb, ctx);
}

/* ---- heartbeats ---- */

/* FenceBrokerRecord for b, after the ISR/leadership changes (handleBrokerFenced). */
static void add_fence(struct controller *c, struct recs *r, const struct mi_broker *b)
{
    ctl_add_removal_changes(c, r, &b->id, 1);
    struct mr_broker_fencing f = {.id = b->id, .epoch = b->epoch};
    ctl_recs_add(r, MR_FENCE_BROKER, &f);
}

static const char *state_name(enum broker_state s)
{
    switch (s) {
    case BS_FENCED:
        return "fenced";
    case BS_UNFENCED:
        return "unfenced";
    case BS_CONTROLLED_SHUTDOWN:
        return "controlled shutdown";
    case BS_SHUTDOWN_NOW:
        return "shutdown now";
    }
    return "?";
}

void ctl_process_heartbeat(struct controller *c, struct op *op, struct recs *r)
{
    struct op_heartbeat *h = &op->u.hb;
    struct ctl_heartbeat_result *res = &h->res;
    *res = (struct ctl_heartbeat_result){.is_fenced = true};
    const struct mi_broker *b = metadata_image_broker(c->img, h->broker_id);
    if (!b) {
        res->error_code = KERR_BROKER_ID_NOT_REGISTERED;
        return;
    }
    if (b->epoch != h->broker_epoch) {
        res->error_code = KERR_STALE_BROKER_EPOCH;
        return;
    }
    struct ctl_session *s = ctl_session_get(c, b->id, b->epoch);
    s->live = true;
    if (h->now_ms >= 0 && h->now_ms > s->contact_ms)
        s->contact_ms = h->now_ms;
    if (h->offset > s->metadata_offset)
        s->metadata_offset = h->offset;
    bool caught_up = h->offset >= b->epoch;
    enum broker_state cur = b->fenced                   ? BS_FENCED
                            : b->in_controlled_shutdown ? BS_CONTROLLED_SHUTDOWN
                                                        : BS_UNFENCED;
    enum broker_state next = cur;
    switch (cur) {
    case BS_FENCED:
        if (h->want_fence)
            next = BS_FENCED;
        else if (h->want_shutdown)
            next = BS_SHUTDOWN_NOW;
        else if (caught_up)
            next = BS_UNFENCED;
        break;
    case BS_UNFENCED:
        if (h->want_fence)
            next = h->want_shutdown ? BS_SHUTDOWN_NOW : BS_FENCED;
        else if (h->want_shutdown)
            next = ctl_broker_leads_any(c, b->id) ? BS_CONTROLLED_SHUTDOWN : BS_SHUTDOWN_NOW;
        break;
    case BS_CONTROLLED_SHUTDOWN:
        if (!ctl_broker_leads_any(c, b->id) && s->cs_offset <= lowest_active_offset(c))
            next = BS_SHUTDOWN_NOW;
        break;
    case BS_SHUTDOWN_NOW:
        break;
    }
    if (next != cur)
        LOG_INFO("controller", "broker %" PRId32 " (epoch %" PRId64 "): %s -> %s", b->id, b->epoch,
                 state_name(cur), state_name(next));
    switch (next) {
    case BS_UNFENCED:
        if (cur == BS_FENCED) {
            struct mr_broker_fencing uf = {.id = b->id, .epoch = b->epoch};
            ctl_recs_add(r, MR_UNFENCE_BROKER, &uf);
            ctl_add_unfence_elections(c, r, b->id);
        }
        break;
    case BS_FENCED:
    case BS_SHUTDOWN_NOW:
        if (!b->fenced)
            add_fence(c, r, b);
        break;
    case BS_CONTROLLED_SHUTDOWN: {
        /*
         * handleBrokerInControlledShutdown: mark it, then move its
         * leaderships and ISR memberships away.  Still leading something
         * later (e.g. after a controller failover): move what remains.
         */
        if (cur != BS_CONTROLLED_SHUTDOWN) {
            struct mr_broker_registration_change rc = {.broker_id = b->id,
                                                       .broker_epoch = b->epoch,
                                                       .fenced = MR_FENCING_NONE,
                                                       .in_controlled_shutdown =
                                                           MR_CONTROLLED_SHUTDOWN_ENTER};
            ctl_recs_add(r, MR_BROKER_REGISTRATION_CHANGE, &rc);
        }
        int32_t before = r->n;
        ctl_add_removal_changes(c, r, &b->id, 1);
        h->entering_cs = cur != BS_CONTROLLED_SHUTDOWN || r->n > before;
        break;
    }
    }
    res->is_caught_up = caught_up;
    res->is_fenced = next == BS_FENCED || next == BS_SHUTDOWN_NOW;
    res->in_controlled_shutdown = next == BS_CONTROLLED_SHUTDOWN;
    res->should_shut_down = next == BS_SHUTDOWN_NOW;
}

void ctl_heartbeat_committed(struct controller *c, struct op *op)
{
    if (!op->u.hb.entering_cs || op->u.hb.res.error_code != KERR_NONE)
        return;
    struct ctl_session *s = ctl_session_find(c, op->u.hb.broker_id);
    /* BrokerHeartbeatManager.maybeUpdateControlledShutdownOffset. */
    if (s && s->epoch == op->u.hb.broker_epoch)
        s->cs_offset = op->last_offset;
}

void controller_broker_heartbeat(struct controller *c, int32_t broker_id, int64_t broker_epoch,
                                 int64_t current_metadata_offset, bool want_fence,
                                 bool want_shutdown, int64_t now_ms, ctl_heartbeat_cb cb, void *ctx)
{
    note_time(c, now_ms);
    /*
     * The session is renewed on arrival, so a heartbeat queued behind other
     * operations cannot get its broker fenced (Kafka's BrokerHeartbeatTracker).
     */
    if (controller_is_active(c)) {
        const struct mi_broker *b = metadata_image_broker(c->img, broker_id);
        if (b && b->epoch == broker_epoch) {
            struct ctl_session *s = ctl_session_get(c, broker_id, broker_epoch);
            s->live = true;
            if (now_ms >= 0 && now_ms > s->contact_ms)
                s->contact_ms = now_ms;
        }
    }
    struct op *op = ctl_op_new(OP_HEARTBEAT, ctx);
    op->cb.heartbeat = cb;
    op->u.hb.broker_id = broker_id;
    op->u.hb.broker_epoch = broker_epoch;
    op->u.hb.offset = current_metadata_offset;
    op->u.hb.want_fence = want_fence;
    op->u.hb.want_shutdown = want_shutdown;
    op->u.hb.now_ms = now_ms;
    ctl_enqueue(c, op);
}

/* ---- session expiry and the tick ---- */

/* Whether the session of unfenced broker b expired (the local broker's never does). */
static bool expired(const struct controller *c, const struct ctl_session *s, int64_t timeout)
{
    return !s->local && s->contact_ms >= 0 && c->now_ms >= 0 && s->contact_ms + timeout < c->now_ms;
}

void ctl_process_fence_stale(struct controller *c, struct recs *r)
{
    c->fence_queued = false;
    int64_t timeout = ctl_session_timeout_ms(c);
    size_t n = metadata_image_broker_count(c->img);
    int32_t *ids = xcalloc(n ? n : 1, sizeof(*ids));
    int32_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mi_broker *b = metadata_image_broker_at(c->img, i);
        if (b->fenced)
            continue;
        struct ctl_session *s = ctl_session_find(c, b->id);
        if (s && s->epoch == b->epoch && expired(c, s, timeout)) {
            LOG_WARN("controller",
                     "fencing broker %" PRId32 " (epoch %" PRId64 "): no heartbeat for %" PRId64
                     " ms (broker.session.timeout.ms %" PRId64 ")",
                     b->id, b->epoch, c->now_ms - s->contact_ms, timeout);
            ids[k++] = b->id;
        }
    }
    if (k > 0) {
        /* One pass over the partitions for all of them, so none is elected in place of another. */
        ctl_add_removal_changes(c, r, ids, k);
        for (int32_t i = 0; i < k; i++) {
            const struct mi_broker *b = metadata_image_broker(c->img, ids[i]);
            struct mr_broker_fencing f = {.id = b->id, .epoch = b->epoch};
            ctl_recs_add(r, MR_FENCE_BROKER, &f);
        }
    }
    free(ids);
}

/* Whether some partition's preferred replica could lead but does not (imbalance). */
static bool imbalanced(const struct controller *c)
{
    size_t nt = metadata_image_topic_count(c->img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(c->img, i);
        for (int32_t k = 0; k < t->npartitions; k++) {
            const struct mi_partition *p = &t->partitions[k];
            if (p->nreplicas > 0 && p->leader != p->replicas[0] &&
                mi_partition_in_isr(p, p->replicas[0]) &&
                ctl_broker_active(metadata_image_broker(c->img, p->replicas[0])))
                return true;
        }
    }
    return false;
}

void controller_tick(struct controller *c, int64_t now_ms)
{
    note_time(c, now_ms);
    if (!controller_is_active(c) || c->now_ms < 0)
        return;
    int64_t now = c->now_ms;
    int64_t timeout = ctl_session_timeout_ms(c);
    bool stale = false;
    size_t n = metadata_image_broker_count(c->img);
    for (size_t i = 0; i < n; i++) {
        const struct mi_broker *b = metadata_image_broker_at(c->img, i);
        if (b->fenced)
            continue;
        struct ctl_session *s = ctl_session_get(c, b->id, b->epoch);
        if (s->contact_ms < 0)
            s->contact_ms = now; /* a full session from the first tick of this term */
        else if (expired(c, s, timeout))
            stale = true;
    }
    if (stale && !c->fence_queued) {
        c->fence_queued = true;
        ctl_enqueue(c, ctl_op_new(OP_FENCE_STALE, NULL));
    }
    /* Preferred-leader balancing (auto.leader.rebalance.enable, KIP-183 in KRaft). */
    if (!ctl_prop_bool(c, "auto.leader.rebalance.enable", CTL_DEFAULT_AUTO_LEADER_REBALANCE)) {
        c->next_rebalance_ms = -1;
        return;
    }
    int64_t secs = ctl_prop_int(c, "leader.imbalance.check.interval.seconds",
                                CTL_DEFAULT_IMBALANCE_INTERVAL_S);
    if (secs <= 0 || secs > INT64_MAX / 1000)
        secs = CTL_DEFAULT_IMBALANCE_INTERVAL_S;
    if (c->next_rebalance_ms < 0) {
        c->next_rebalance_ms = now + secs * 1000;
        return;
    }
    if (now < c->next_rebalance_ms)
        return;
    c->next_rebalance_ms = now + secs * 1000;
    if (!c->rebalance_queued && imbalanced(c)) {
        c->rebalance_queued = true;
        ctl_enqueue(c, ctl_op_new(OP_REBALANCE, NULL));
    }
}
