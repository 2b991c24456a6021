/*
 * Partition leadership and ISR changes on the active controller: elections
 * when brokers are fenced, shut down or unfenced, AlterPartition from
 * partition leaders (KIP-497), preferred-leader balancing and ElectLeaders
 * (KIP-460, plus targeted transfers), all as PartitionChangeRecords.  One
 * builder computes every change the way Kafka's PartitionChangeBuilder does
 * (without ELR, KIP-966): the new leader is the current one if it may stay,
 * else the first replica (in replica order) that is in the target ISR and
 * acceptable (unfenced, not shutting down); with
 * unclean.leader.election.enable any acceptable replica, which then becomes
 * the whole ISR and the partition RECOVERING (KIP-704); an ISR never becomes
 * empty (the last member stays).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller_internal.h"
#include "invariant.h"
#include "kafka.h"
#include "log.h"
#include "metadata_records.h"
#include "topic_config.h"
#include "xalloc.h"

/* Inputs of one change (PartitionChangeBuilder's settings). */
struct pc_spec {
    const int32_t *removing; /* brokers leaving: out of the ISR, never leader */
    int32_t nremoving;
    int32_t unfencing;         /* unfenced in the same batch: acceptable as leader, or -1 */
    const int32_t *target_isr; /* AlterPartition's ISR; NULL: the ISR minus `removing` */
    int32_t ntarget_isr;
    int8_t target_lrs; /* requested leader recovery state or MR_LRS_NO_CHANGE */
    bool preferred;    /* try replicas[0] first */
    bool unclean;      /* unclean.leader.election.enable for the topic */
    bool targeted;     /* try `target` first (a leadership transfer) */
    int32_t target;
};

static bool in_list(const int32_t *v, int32_t n, int32_t x)
{
    for (int32_t i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

static bool same_list(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

/* ReplicationControlManager's isAcceptableLeader for this change. */
static bool acceptable(const struct controller *c, const struct pc_spec *s, int32_t id)
{
    if (id < 0 || in_list(s->removing, s->nremoving, id))
        return false;
    if (id == s->unfencing)
        return true;
    return ctl_broker_active(metadata_image_broker(c->img, id));
}

/*
 * Computes the change of p described by s into *rec (topic and partition
 * ids are the caller's); isr_buf holds at least max(p->nisr, s->ntarget_isr,
 * 1) ids and backs rec->isr.  Returns whether anything changes.
 */
static bool pc_build(const struct controller *c, const struct mi_partition *p,
                     const struct pc_spec *s, struct mr_partition_change *rec, int32_t *isr_buf)
{
    int32_t n = 0;
    if (s->target_isr) {
        memcpy(isr_buf, s->target_isr, (size_t)s->ntarget_isr * sizeof(*isr_buf));
        n = s->ntarget_isr;
    } else {
        for (int32_t i = 0; i < p->nisr; i++)
            if (!in_list(s->removing, s->nremoving, p->isr[i]))
                isr_buf[n++] = p->isr[i];
    }
#define VALID(x) (in_list(isr_buf, n, (x)) && acceptable(c, s, (x)))
    int32_t leader = MR_NO_LEADER;
    bool unclean = false;
    if (s->targeted && VALID(s->target)) {
        leader = s->target;
    } else if (s->preferred && p->nreplicas > 0 && VALID(p->replicas[0])) {
        leader = p->replicas[0];
    } else if (p->leader >= 0 && VALID(p->leader)) {
        leader = p->leader;
    } else {
        for (int32_t i = 0; i < p->nreplicas && leader < 0; i++)
            if (VALID(p->replicas[i]))
                leader = p->replicas[i];
    }
#undef VALID
    if (leader < 0 && s->unclean) {
        for (int32_t i = 0; i < p->nreplicas && leader < 0; i++)
            if (acceptable(c, s, p->replicas[i])) {
                leader = p->replicas[i];
                unclean = true;
            }
    }
    SL_ASSERT_MSG(leader < 0 || !in_list(s->removing, s->nremoving, leader),
                  "a broker leaving the partition was elected");
    SL_ASSERT_MSG(leader < 0 || unclean || in_list(isr_buf, n, leader),
                  "a clean election chose a leader outside the ISR");
    metadata_partition_change_init(rec);
    bool changed = false;
    if (leader != p->leader) {
        rec->leader = leader;
        changed = true;
    }
    if (unclean) {
        /* The new leader is all the ISR there is, and it must recover first (KIP-704). */
        isr_buf[0] = leader;
        rec->isr.n = 1;
        rec->isr.v = isr_buf;
        if (p->leader_recovery_state != MR_LRS_RECOVERING)
            rec->leader_recovery_state = MR_LRS_RECOVERING;
        return true;
    }
    /* An empty target keeps the ISR as it is: its last member stays (no ELR). */
    if (n > 0 && !same_list(isr_buf, n, p->isr, p->nisr)) {
        rec->isr.n = n;
        rec->isr.v = isr_buf;
        changed = true;
    }
    if (s->target_lrs != MR_LRS_NO_CHANGE && s->target_lrs != p->leader_recovery_state) {
        rec->leader_recovery_state = s->target_lrs;
        changed = true;
    }
    return changed;
}

static bool unclean_enabled(const struct controller *c, const struct mi_topic *t)
{
    const char *key = "unclean.leader.election.enable";
    const char *over = metadata_image_config(c->img, MR_RESOURCE_TOPIC, t->name, key);
    const struct topic_config_def *d = topic_config_find(key);
    int8_t src;
    char buf[TC_VALUE_BUF];
    const char *v =
        d ? topic_config_effective(d, over, ctl_broker_prop, (void *)c, &src, buf) : over;
    return v ? strcasecmp(v, "true") == 0 : CTL_DEFAULT_UNCLEAN_LEADER_ELECTION;
}

/* A scratch buffer of at least n ids. */
struct idbuf {
    int32_t *v;
    int32_t cap;
};

static int32_t *idbuf_reserve(struct idbuf *b, int32_t n)
{
    if (n < 1)
        n = 1;
    if (n > b->cap) {
        b->v = xrealloc(b->v, (size_t)n * sizeof(*b->v));
        b->cap = n;
    }
    return b->v;
}

/* Builds and appends the change of t/p; returns 1 when a record was added. */
static int32_t add_change(const struct controller *c, struct recs *r, const struct mi_topic *t,
                          const struct mi_partition *p, const struct pc_spec *s, struct idbuf *buf,
                          const char *why)
{
    int32_t need = p->nisr > s->ntarget_isr ? p->nisr : s->ntarget_isr;
    int32_t *isr = idbuf_reserve(buf, need);
    struct mr_partition_change rec;
    if (!pc_build(c, p, s, &rec, isr))
        return 0;
    rec.topic_id = t->id;
    rec.partition_id = p->partition_id;
    if (rec.leader != MR_NO_LEADER_CHANGE) {
        if (rec.leader_recovery_state == MR_LRS_RECOVERING && rec.isr.n == 1)
            LOG_WARN("controller",
                     "%s-%" PRId32 ": unclean leader election of %" PRId32
                     " (%s): data may be lost",
                     t->name, p->partition_id, rec.leader, why);
        else
            LOG_INFO("controller", "%s-%" PRId32 ": leader %" PRId32 " -> %" PRId32 " (%s)",
                     t->name, p->partition_id, p->leader, rec.leader, why);
    }
    ctl_recs_add(r, MR_PARTITION_CHANGE, &rec);
    return 1;
}

int32_t ctl_add_removal_changes(struct controller *c, struct recs *r, const int32_t *removing,
                                int32_t n)
{
    struct idbuf buf = {0};
    int32_t added = 0;
    size_t nt = metadata_image_topic_count(c->img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(c->img, i);
        int unclean = -1; /* looked up once per topic, when needed */
        for (int32_t k = 0; k < t->npartitions; k++) {
            const struct mi_partition *p = &t->partitions[k];
            bool touched = false;
            for (int32_t j = 0; j < n && !touched; j++)
                touched = p->leader == removing[j] || mi_partition_in_isr(p, removing[j]);
            if (!touched)
                continue;
            if (unclean < 0)
                unclean = unclean_enabled(c, t);
            struct pc_spec s = {.removing = removing,
                                .nremoving = n,
                                .unfencing = -1,
                                .target_lrs = MR_LRS_NO_CHANGE,
                                .unclean = unclean == 1};
            added += add_change(c, r, t, p, &s, &buf, "broker leaving");
        }
    }
    free(buf.v);
    return added;
}

int32_t ctl_add_unfence_elections(struct controller *c, struct recs *r, int32_t unfencing)
{
    struct idbuf buf = {0};
    int32_t added = 0;
    size_t nt = metadata_image_topic_count(c->img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(c->img, i);
        int unclean = -1;
        for (int32_t k = 0; k < t->npartitions; k++) {
            const struct mi_partition *p = &t->partitions[k];
            if (p->leader >= 0)
                continue;
            if (unclean < 0)
                unclean = unclean_enabled(c, t);
            struct pc_spec s = {
                .unfencing = unfencing, .target_lrs = MR_LRS_NO_CHANGE, .unclean = unclean == 1};
            added += add_change(c, r, t, p, &s, &buf, "broker unfenced");
        }
    }
    free(buf.v);
    return added;
}

bool ctl_broker_leads_any(const struct controller *c, int32_t id)
{
    size_t nt = metadata_image_topic_count(c->img);
    for (size_t i = 0; i < nt; i++) {
        const struct mi_topic *t = metadata_image_topic_at(c->img, i);
        for (int32_t k = 0; k < t->npartitions; k++)
            if (t->partitions[k].leader == id)
                return true;
    }
    return false;
}

/* ---- preferred-leader balancing ---- */

void ctl_process_rebalance(struct controller *c, struct recs *r)
{
    c->rebalance_queued = false;
    struct idbuf buf = {0};
    int32_t added = 0;
    size_t nt = metadata_image_topic_count(c->img);
    for (size_t i = 0; i < nt && added < MAX_RECORDS_PER_OP; i++) {
        const struct mi_topic *t = metadata_image_topic_at(c->img, i);
        for (int32_t k = 0; k < t->npartitions && added < MAX_RECORDS_PER_OP; k++) {
            const struct mi_partition *p = &t->partitions[k];
            if (p->nreplicas == 0 || p->leader == p->replicas[0] ||
                !mi_partition_in_isr(p, p->replicas[0]) ||
                !ctl_broker_active(metadata_image_broker(c->img, p->replicas[0])))
                continue;
            struct pc_spec s = {.unfencing = -1, .target_lrs = MR_LRS_NO_CHANGE, .preferred = true};
            added += add_change(c, r, t, p, &s, &buf, "preferred leader");
        }
    }
    free(buf.v);
}

/* ---- AlterPartition ---- */

/* The Kafka checks of one partition (validateAlterPartitionData), in Kafka's order. */
static int16_t validate_item(const struct controller *c, int32_t sender,
                             const struct mi_partition *p, const struct ctl_alter_partition *in)
{
    /* Newer epochs than ours: this controller is probably not the active one any more. */
    if (in->leader_epoch > p->leader_epoch || in->partition_epoch > p->partition_epoch)
        return KERR_NOT_CONTROLLER;
    if (in->leader_epoch < p->leader_epoch)
        return KERR_FENCED_LEADER_EPOCH;
    if (sender != p->leader)
        return KERR_INVALID_REQUEST;
    if (in->partition_epoch < p->partition_epoch)
        return KERR_INVALID_UPDATE_VERSION;
    bool has_leader = false;
    for (int32_t i = 0; i < in->nnew_isr; i++) {
        int32_t id = in->new_isr[i].broker_id;
        if (!mi_partition_has_replica(p, id))
            return KERR_INVALID_REQUEST; /* not a replica */
        for (int32_t j = 0; j < i; j++)
            if (in->new_isr[j].broker_id == id)
                return KERR_INVALID_REQUEST; /* listed twice */
        has_leader |= id == p->leader;
    }
    if (!has_leader)
        return KERR_INVALID_REQUEST; /* the ISR always holds the leader */
    if (in->leader_recovery_state != MR_LRS_RECOVERED &&
        in->leader_recovery_state != MR_LRS_RECOVERING)
        return KERR_INVALID_REQUEST;
    if (in->leader_recovery_state == MR_LRS_RECOVERING && in->nnew_isr > 1)
        return KERR_INVALID_REQUEST;
    if (p->leader_recovery_state == MR_LRS_RECOVERED &&
        in->leader_recovery_state == MR_LRS_RECOVERING)
        return KERR_INVALID_REQUEST;
    for (int32_t i = 0; i < in->nnew_isr; i++) {
        const struct mi_broker *b = metadata_image_broker(c->img, in->new_isr[i].broker_id);
        if (!b || b->in_controlled_shutdown || b->fenced ||
            (in->new_isr[i].broker_epoch != -1 && in->new_isr[i].broker_epoch != b->epoch))
            return KERR_INELIGIBLE_REPLICA;
    }
    return KERR_NONE;
}

static void fill_state(struct arena *a, const struct mi_partition *p,
                       struct ctl_alter_partition_result *out)
{
    out->leader_id = p->leader;
    out->leader_epoch = p->leader_epoch;
    int32_t *isr = arena_alloc(a, (size_t)(p->nisr + 1) * sizeof(*isr));
    if (p->nisr > 0)
        memcpy(isr, p->isr, (size_t)p->nisr * sizeof(*isr));
    out->isr = isr;
    out->nisr = p->nisr;
    out->leader_recovery_state = p->leader_recovery_state;
    out->partition_epoch = p->partition_epoch;
}

void ctl_process_alter_partition(struct controller *c, struct op *op, struct recs *r)
{
    const struct mi_broker *b = metadata_image_broker(c->img, op->u.ap.broker_id);
    if (!b) {
        op->u.ap.error = KERR_BROKER_ID_NOT_REGISTERED;
        return;
    }
    if (b->epoch != op->u.ap.broker_epoch) {
        op->u.ap.error = KERR_STALE_BROKER_EPOCH;
        return;
    }
    struct idbuf buf = {0};
    struct idbuf ids = {0};
    for (int32_t i = 0; i < op->u.ap.n; i++) {
        struct ap_item *it = &op->u.ap.items[i];
        struct ctl_alter_partition_result *out = &it->out;
        const struct mi_topic *t = metadata_image_topic_by_id(c->img, &out->topic_id);
        if (!t) {
            out->error_code = KERR_UNKNOWN_TOPIC_ID;
            continue;
        }
        const struct mi_partition *p = metadata_image_partition(t, it->in.partition_index);
        if (!p) {
            out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            continue;
        }
        bool dup = false;
        for (int32_t j = 0; j < i && !dup; j++)
            dup = uuid_equal(&op->u.ap.items[j].out.topic_id, &out->topic_id) &&
                  op->u.ap.items[j].in.partition_index == it->in.partition_index;
        out->error_code = dup ? KERR_INVALID_REQUEST : validate_item(c, b->id, p, &it->in);
        if (out->error_code != KERR_NONE) {
            LOG_INFO("controller",
                     "rejecting AlterPartition from broker %" PRId32 " for %s-%" PRId32 ": %s",
                     b->id, t->name, p->partition_id, kafka_error_name(out->error_code));
            continue;
        }
        int32_t *target = idbuf_reserve(&ids, it->in.nnew_isr);
        for (int32_t k = 0; k < it->in.nnew_isr; k++)
            target[k] = it->in.new_isr[k].broker_id;
        struct pc_spec s = {.unfencing = -1,
                            .target_isr = target,
                            .ntarget_isr = it->in.nnew_isr,
                            .target_lrs = it->in.leader_recovery_state};
        int32_t *isr = idbuf_reserve(&buf, p->nisr > it->in.nnew_isr ? p->nisr : it->in.nnew_isr);
        struct mr_partition_change rec;
        if (!pc_build(c, p, &s, &rec, isr)) {
            fill_state(&op->a, p, out); /* already so: answer with the current state */
            continue;
        }
        rec.topic_id = t->id;
        rec.partition_id = p->partition_id;
        /* The sender could not stay leader (e.g. it is shutting down): a new one was elected. */
        if (rec.leader != MR_NO_LEADER_CHANGE)
            out->error_code = KERR_NEW_LEADER_ELECTED;
        ctl_recs_add(r, MR_PARTITION_CHANGE, &rec);
        it->changed = true;
        LOG_INFO("controller", "%s-%" PRId32 ": ISR change from leader %" PRId32 " accepted",
                 t->name, p->partition_id, b->id);
    }
    free(buf.v);
    free(ids.v);
}

void ctl_alter_partition_committed(struct controller *c, struct op *op)
{
    if (op->u.ap.error != KERR_NONE)
        return;
    for (int32_t i = 0; i < op->u.ap.n; i++) {
        struct ap_item *it = &op->u.ap.items[i];
        if (!it->changed || it->out.error_code != KERR_NONE)
            continue;
        const struct mi_topic *t = metadata_image_topic_by_id(c->img, &it->out.topic_id);
        const struct mi_partition *p = metadata_image_partition(t, it->in.partition_index);
        if (p)
            fill_state(&op->a, p, &it->out);
    }
}

void controller_alter_partition(struct controller *c, const struct ctl_alter_partition_req *req,
                                ctl_alter_partition_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_ALTER_PARTITION, ctx);
    op->cb.alter_partition = cb;
    op->u.ap.broker_id = req->broker_id;
    op->u.ap.broker_epoch = req->broker_epoch;
    int32_t n = 0;
    for (int32_t i = 0; i < req->ntopics && req->topics; i++)
        if (req->topics[i].partitions && req->topics[i].npartitions > 0)
            n += req->topics[i].npartitions;
    op->u.ap.items = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.ap.items));
    memset(op->u.ap.items, 0, (size_t)(n + 1) * sizeof(*op->u.ap.items));
    int32_t k = 0;
    for (int32_t i = 0; i < req->ntopics && req->topics; i++) {
        const struct ctl_alter_partition_topic *t = &req->topics[i];
        if (!t->partitions || t->npartitions <= 0)
            continue;
        for (int32_t j = 0; j < t->npartitions; j++) {
            struct ap_item *it = &op->u.ap.items[k++];
            it->in = t->partitions[j];
            int32_t m = it->in.new_isr && it->in.nnew_isr > 0 ? it->in.nnew_isr : 0;
            struct ctl_isr_member *isr = arena_alloc(&op->a, (size_t)(m + 1) * sizeof(*isr));
            if (m)
                memcpy(isr, it->in.new_isr, (size_t)m * sizeof(*isr));
            it->in.new_isr = isr;
            it->in.nnew_isr = m;
            it->out.topic_id = t->topic_id;
            it->out.partition_index = it->in.partition_index;
            it->out.leader_id = -1;
            it->out.leader_epoch = -1;
            it->out.partition_epoch = -1;
        }
    }
    op->u.ap.n = k;
    ctl_enqueue(c, op);
}

/* ---- ElectLeaders (KIP-460) and targeted transfers ---- */

/* Why broker id cannot take leadership of p now, or NULL when it can. */
static const char *ineligible_reason(const struct controller *c, const struct mi_partition *p,
                                     int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(c->img, id);
    if (!b)
        return "not registered";
    if (b->fenced)
        return "fenced";
    if (b->in_controlled_shutdown)
        return "in controlled shutdown";
    if (!mi_partition_in_isr(p, id))
        return "not in the ISR";
    return NULL;
}

/* One partition of an election (ReplicationControlManager.electLeader). */
static void elect_one(struct controller *c, struct op *op, struct recs *r, const struct mi_topic *t,
                      const struct mi_partition *p, struct idbuf *buf, struct ctl_elect_result *out)
{
    int8_t type = op->u.el.type;
    int32_t target = op->u.el.target;
    out->leader_id = p->leader;
    out->leader_epoch = p->leader_epoch;
    if (type == CTL_ELECTION_TARGET) {
        const char *why = ineligible_reason(c, p, target);
        if (!mi_partition_has_replica(p, target)) {
            out->error_code = KERR_INVALID_REQUEST;
            out->error_message =
                ctl_msgf(&op->a, "Node %" PRId32 " is not a replica of %s-%" PRId32 ".", target,
                         t->name, p->partition_id);
            return;
        }
        if (p->leader == target) {
            out->error_code = KERR_ELECTION_NOT_NEEDED;
            out->error_message = ctl_msgf(&op->a, "Node %" PRId32 " already leads %s-%" PRId32 ".",
                                          target, t->name, p->partition_id);
            return;
        }
        if (why) {
            out->error_code = KERR_INELIGIBLE_REPLICA;
            out->error_message =
                ctl_msgf(&op->a,
                         "Node %" PRId32 " cannot lead %s-%" PRId32 ": it is %s (only an in-sync "
                         "replica on a registered, unfenced broker that is not shutting down "
                         "can take leadership).",
                         target, t->name, p->partition_id, why);
            return;
        }
    } else if ((type == CTL_ELECTION_PREFERRED && p->nreplicas > 0 &&
                p->leader == p->replicas[0]) ||
               (type == CTL_ELECTION_UNCLEAN && p->leader >= 0)) {
        out->error_code = KERR_ELECTION_NOT_NEEDED;
        return;
    }
    if (r->n >= MAX_RECORDS_PER_OP) {
        out->error_code = KERR_POLICY_VIOLATION;
        out->error_message = ctl_msgf(&op->a, "At most %d partitions change leader in one request.",
                                      MAX_RECORDS_PER_OP);
        return;
    }
    struct pc_spec s = {.unfencing = -1,
                        .target_lrs = MR_LRS_NO_CHANGE,
                        .preferred = type == CTL_ELECTION_PREFERRED,
                        .targeted = type == CTL_ELECTION_TARGET,
                        .target = target,
                        .unclean = type == CTL_ELECTION_UNCLEAN};
    const char *why = type == CTL_ELECTION_TARGET    ? "leadership transfer"
                      : type == CTL_ELECTION_UNCLEAN ? "unclean election"
                                                     : "preferred election";
    if (add_change(c, r, t, p, &s, buf, why)) {
        out->error_code = KERR_NONE;
        return;
    }
    /* Nothing to write: no acceptable replica for this election. */
    out->error_code = type == CTL_ELECTION_PREFERRED ? KERR_PREFERRED_LEADER_NOT_AVAILABLE
                                                     : KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE;
}

void ctl_process_elect_leaders(struct controller *c, struct op *op, struct recs *r)
{
    int8_t type = op->u.el.type;
    if (type != CTL_ELECTION_PREFERRED && type != CTL_ELECTION_UNCLEAN &&
        type != CTL_ELECTION_TARGET) {
        op->u.el.error = KERR_INVALID_REQUEST;
        return;
    }
    struct idbuf buf = {0};
    if (op->u.el.all) {
        /* Every partition; only those that needed an election are answered (Kafka). */
        size_t nt = metadata_image_topic_count(c->img);
        int32_t total = 0;
        for (size_t i = 0; i < nt; i++)
            total += metadata_image_topic_at(c->img, i)->npartitions;
        op->u.el.res = arena_alloc(&op->a, (size_t)(total + 1) * sizeof(*op->u.el.res));
        int32_t n = 0;
        for (size_t i = 0; i < nt; i++) {
            const struct mi_topic *t = metadata_image_topic_at(c->img, i);
            for (int32_t k = 0; k < t->npartitions; k++) {
                struct ctl_elect_result *out = &op->u.el.res[n];
                *out = (struct ctl_elect_result){.topic = ctl_adup(&op->a, t->name),
                                                 .partition_index = k};
                elect_one(c, op, r, t, &t->partitions[k], &buf, out);
                if (out->error_code != KERR_ELECTION_NOT_NEEDED)
                    n++;
            }
        }
        op->u.el.n = n;
    } else {
        for (int32_t i = 0; i < op->u.el.n; i++) {
            struct ctl_elect_result *out = &op->u.el.res[i];
            const struct mi_topic *t = metadata_image_topic_by_name(c->img, out->topic);
            const struct mi_partition *p =
                t ? metadata_image_partition(t, out->partition_index) : NULL;
            if (!t) {
                out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                out->error_message = ctl_msgf(&op->a, "No such topic as %s", out->topic);
            } else if (!p) {
                out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
                out->error_message = ctl_msgf(&op->a, "No such partition as %s-%" PRId32,
                                              out->topic, out->partition_index);
            } else {
                elect_one(c, op, r, t, p, &buf, out);
            }
        }
    }
    free(buf.v);
}

void ctl_elect_leaders_committed(struct controller *c, struct op *op)
{
    for (int32_t i = 0; i < op->u.el.n; i++) {
        struct ctl_elect_result *out = &op->u.el.res[i];
        if (out->error_code != KERR_NONE)
            continue;
        const struct mi_topic *t = metadata_image_topic_by_name(c->img, out->topic);
        const struct mi_partition *p = t ? metadata_image_partition(t, out->partition_index) : NULL;
        out->leader_id = p ? p->leader : -1;
        out->leader_epoch = p ? p->leader_epoch : -1;
    }
}

void controller_elect_leaders(struct controller *c, const struct ctl_elect_leaders_req *req,
                              ctl_elect_leaders_cb cb, void *ctx)
{
    struct op *op = ctl_op_new(OP_ELECT_LEADERS, ctx);
    op->cb.elect_leaders = cb;
    op->u.el.type = req->election_type;
    op->u.el.target = req->target;
    op->u.el.all = req->partitions == NULL;
    int32_t n = req->partitions && req->npartitions > 0 ? req->npartitions : 0;
    op->u.el.n = n;
    op->u.el.res = arena_alloc(&op->a, (size_t)(n + 1) * sizeof(*op->u.el.res));
    for (int32_t i = 0; i < n; i++)
        op->u.el.res[i] = (struct ctl_elect_result){
            .topic = ctl_adup(&op->a, req->partitions[i].topic ? req->partitions[i].topic : ""),
            .partition_index = req->partitions[i].partition_index,
            .leader_id = -1,
            .leader_epoch = -1};
    ctl_enqueue(c, op);
}
