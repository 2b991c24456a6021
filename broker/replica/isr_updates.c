/*
 * AlterPartition from the partition leader (isr_updates.h).
 */
#include "isr_updates.h"

#include <stdlib.h>
#include <string.h>

#include "api_controller.h"
#include "broker_config.h"
#include "broker_env.h"
#include "kafka.h"
#include "kafka_client.h"
#include "leader_epoch.h"
#include "log.h"
#include "messages.h"
#include "metadata_image.h"
#include "partition.h"
#include "replica_manager.h"
#include "xalloc.h"

#define ALTER_PARTITION_VERSION    3 /* ISR members with broker epochs (KIP-903) */
#define ALTER_PARTITION_TIMEOUT_MS 30000
#define RESEND_AFTER_MS            500   /* a send that failed in transit */
#define UNANSWERED_RESEND_MS       60000 /* no answer at all: send it again */

/* Which proposal (and which send of it) an answer belongs to. */
struct pending {
    const struct broker_env *n;
    char *topic;
    int32_t index;
    int32_t leader_epoch;
    uint32_t seq;
    bool shrink;
};

/* The partition the answer is for, if this broker still hosts it. */
static struct partition *hosted(const struct pending *pd)
{
    struct partition *p = NULL;
    if (!pd->n->rm || replica_manager_lookup(pd->n->rm, pd->topic, pd->index, &p) != KERR_NONE)
        return NULL;
    return p;
}

/* Top-level or transport errors after which the same proposal is simply sent again. */
static bool retriable(int16_t err)
{
    return err == KERR_NOT_CONTROLLER || err == KERR_REQUEST_TIMED_OUT ||
           err == KERR_COORDINATOR_NOT_AVAILABLE || err == KERR_UNKNOWN_SERVER_ERROR;
}

/*
 * Applies one partition's answer, as Kafka's Partition.handleAlterPartitionError
 * does (the decisions are the core's, repl_isr_change_answer): a committed ISR
 * is applied; INELIGIBLE_REPLICA and OPERATION_NOT_ATTEMPTED drop the proposal
 * (the controller did nothing); errors in transit send it again; any other
 * error keeps the maximal ISR until the metadata brings a newer partition
 * epoch, because the controller may have committed the change even though
 * this answer says otherwise.
 */
static void apply(struct pending *pd, const struct env_alter_partition_answer *a)
{
    struct partition *p = hosted(pd);
    if (!p)
        return;
    int16_t err = a->error_code;
    enum repl_isr_outcome outcome =
        err == KERR_NONE                                                        ? REPL_ISR_COMMITTED
        : err == KERR_INELIGIBLE_REPLICA || err == KERR_OPERATION_NOT_ATTEMPTED ? REPL_ISR_REFUSED
        : retriable(err)                                                        ? REPL_ISR_RETRY
                                                                                : REPL_ISR_UNKNOWN;
    switch (partition_isr_change_answer(p, pd->seq, pd->leader_epoch, outcome, a->leader_id,
                                        a->leader_epoch, a->partition_epoch, a->isr,
                                        (int)a->nisr)) {
    case REPL_ISR_ENDED:
        if (outcome == REPL_ISR_REFUSED)
            LOG_INFO("broker", "%s-%d: ISR change refused by the controller: %s", p->topic,
                     p->index, kafka_error_name(err));
        break;
    case REPL_ISR_WAITING:
        if (outcome == REPL_ISR_UNKNOWN)
            LOG_INFO("broker", "%s-%d: ISR change answered %s; waiting for the metadata", p->topic,
                     p->index, kafka_error_name(err));
        break;
    case REPL_ISR_APPLIED:
        LOG_INFO("broker", "%s-%d: ISR now has %d member(s) (partition epoch %d)", p->topic,
                 p->index, (int)a->nisr, a->partition_epoch);
        if (pd->n->isr_changed)
            pd->n->isr_changed(pd->n->ctx, pd->shrink);
        break;
    case REPL_ISR_IGNORED:
    case REPL_ISR_RESEND:
        break;
    }
}

static void free_pending(struct pending *pd)
{
    free(pd->topic);
    free(pd);
}

/* The answer of the in-process controller (env->alter_partition_local). */
static void on_answer(void *ctx, const struct env_alter_partition_answer *a)
{
    struct pending *pd = ctx;
    apply(pd, a);
    free_pending(pd);
}

static void on_remote_answer(void *ctx, int err, const void *resp, struct arena *arena)
{
    (void)arena;
    const struct alter_partition_resp *r = resp;
    struct env_alter_partition_answer a = {
        .leader_id = -1, .leader_epoch = -1, .partition_epoch = -1};
    if (err < 0 || r->error_code != KERR_NONE || r->topics.n < 1 ||
        r->topics.v[0].partitions.n < 1) {
        a.error_code = err < 0                      ? KERR_REQUEST_TIMED_OUT
                       : r->error_code != KERR_NONE ? r->error_code
                                                    : KERR_UNKNOWN_SERVER_ERROR;
    } else {
        const struct alter_partition_resp_partition *rp = &r->topics.v[0].partitions.v[0];
        a = (struct env_alter_partition_answer){.error_code = rp->error_code,
                                                .leader_id = rp->leader_id,
                                                .leader_epoch = rp->leader_epoch,
                                                .partition_epoch = rp->partition_epoch,
                                                .isr = rp->isr.v,
                                                .nisr = rp->isr.n};
    }
    on_answer(ctx, &a);
}

static int64_t broker_epoch_of(const struct broker_env *n, int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(n->image, id);
    return b ? b->epoch : -1;
}

/* Sends the change to the active controller on another node as AlterPartition. */
static bool send_remote(const struct broker_env *n, const struct env_alter_partition *change,
                        struct pending *pd)
{
    struct kc_conn *c = n->controller_conn(n->ctx);
    if (!c)
        return false;
    struct alter_partition_req_partition item;
    memset(&item, 0, sizeof item);
    item.partition_index = change->partition_index;
    item.leader_epoch = change->leader_epoch;
    /* kc_send encodes the request before it returns and only reads it. */
    item.new_isr_with_epochs.v = (struct alter_partition_broker_state *)change->new_isr;
    item.new_isr_with_epochs.n = change->nnew_isr;
    item.leader_recovery_state = 0;
    item.partition_epoch = change->partition_epoch;
    struct alter_partition_req_topic topic;
    memset(&topic, 0, sizeof topic);
    topic.topic_id = change->topic_id;
    topic.partitions.v = &item;
    topic.partitions.n = 1;
    struct alter_partition_req req;
    memset(&req, 0, sizeof req);
    req.broker_id = n->node_id;
    req.broker_epoch = n->broker_epoch(n->ctx);
    req.topics.v = &topic;
    req.topics.n = 1;
    return kc_send(c, KAPI_ALTER_PARTITION, ALTER_PARTITION_VERSION,
                   proto_api_controller_is_flexible(KAPI_ALTER_PARTITION, ALTER_PARTITION_VERSION),
                   &proto_alter_partition_req_schema, &req, &proto_alter_partition_resp_schema,
                   ALTER_PARTITION_TIMEOUT_MS, on_remote_answer, pd) == 0;
}

/* Kafka's isReplicaIsrEligible: a fenced broker or one shutting down may not join. */
static bool eligible(void *ctx, int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(((const struct broker_env *)ctx)->image, id);
    return b && !b->fenced && !b->in_controlled_shutdown;
}

/* Sends (or sends again) p's proposal in flight. */
static void send_proposal(const struct broker_env *n, struct partition *p, int64_t now_ms,
                          bool shrink)
{
    struct pending *pd = xcalloc(1, sizeof *pd);
    pd->n = n;
    pd->topic = xstrdup(p->topic);
    pd->index = p->index;
    pd->leader_epoch = p->repl.leader_epoch;
    pd->seq = repl_isr_change_sent(&p->repl, now_ms);
    pd->shrink = shrink;
    int32_t k = p->repl.nproposed_isr;
    struct alter_partition_broker_state *members = xcalloc((size_t)k + 1, sizeof *members);
    for (int32_t i = 0; i < k; i++) {
        members[i].broker_id = p->repl.proposed_isr[i];
        members[i].broker_epoch = broker_epoch_of(n, p->repl.proposed_isr[i]);
    }
    struct env_alter_partition change = {.topic_id = p->topic_id,
                                         .partition_index = p->index,
                                         .leader_epoch = p->repl.leader_epoch,
                                         .partition_epoch = p->repl.partition_epoch,
                                         .new_isr = members,
                                         .nnew_isr = k};
    bool sent =
        n->alter_partition_local(n->ctx, &change, on_answer, pd) || send_remote(n, &change, pd);
    free(members);
    if (!sent) {
        free_pending(pd);
        repl_isr_change_send_failed(&p->repl); /* no controller reachable now: try again shortly */
    }
}

void isr_updates_maybe_propose(const struct broker_env *n, struct partition *p, int64_t now_ms)
{
    struct repl_partition *r = &p->repl;
    if (n->broker_epoch(n->ctx) < 0 || !r->is_leader)
        return;
    if (r->isr_change_inflight) {
        if (repl_isr_change_resend_due(r, now_ms, RESEND_AFTER_MS, UNANSWERED_RESEND_MS))
            send_proposal(n, p, now_ms, r->nproposed_isr < r->nisr);
        return;
    }
    /* Joiners the controller would refuse (INELIGIBLE_REPLICA) are left out. */
    if (!repl_leader_propose_isr(r, now_ms, n->cfg->replica_lag_time_max_ms,
                                 storage_leader_epoch_latest_start(p->epochs), eligible, (void *)n))
        return;
    LOG_INFO("broker", "%s-%d: proposing ISR of %d member(s) (now %d) to the controller", p->topic,
             p->index, r->nproposed_isr, r->nisr);
    send_proposal(n, p, now_ms, r->nproposed_isr < r->nisr);
}
