/*
 * The node's struct broker_env callbacks (node_env.h).  Requests the broker
 * modules make of the active controller go to the controller in this process
 * when it is the active one (else the modules use controller_conn()): the
 * AlterPartition of an ISR change (KIP-497) and the CreateTopics of
 * __consumer_offsets.
 */
#include "node_env.h"

#include <stdlib.h>

#include "broker.h"
#include "broker_env.h"
#include "controller.h"
#include "forward.h"
#include "kafka.h"
#include "metrics.h"
#include "xalloc.h"

/* Where the controller's answer goes: the module's callback and its context. */
struct env_call {
    union {
        env_alter_partition_cb alter_partition;
        env_create_topic_cb create_topic;
    } cb;
    void *cb_ctx;
};

static struct env_call *call_new(void *cb_ctx)
{
    struct env_call *call = xcalloc(1, sizeof *call);
    call->cb_ctx = cb_ctx;
    return call;
}

static int64_t env_broker_epoch(void *ctx)
{
    const struct broker *n = ctx;
    return n->broker_epoch;
}

static void on_partition_altered(void *ctx, int16_t error_code,
                                 const struct ctl_alter_partition_result *results, int32_t nres)
{
    struct env_call *call = ctx;
    struct env_alter_partition_answer a = {
        .error_code = error_code != KERR_NONE ? error_code : KERR_UNKNOWN_SERVER_ERROR,
        .leader_id = -1,
        .leader_epoch = -1,
        .partition_epoch = -1};
    if (error_code == KERR_NONE && nres >= 1)
        a = (struct env_alter_partition_answer){.error_code = results[0].error_code,
                                                .leader_id = results[0].leader_id,
                                                .leader_epoch = results[0].leader_epoch,
                                                .partition_epoch = results[0].partition_epoch,
                                                .isr = results[0].isr,
                                                .nisr = results[0].nisr};
    call->cb.alter_partition(call->cb_ctx, &a);
    free(call);
}

static bool env_alter_partition_local(void *ctx, const struct env_alter_partition *change,
                                      env_alter_partition_cb cb, void *cb_ctx)
{
    struct broker *n = ctx;
    if (!broker_is_controller(n))
        return false;
    int32_t k = change->nnew_isr;
    struct ctl_isr_member *members = xcalloc((size_t)k + 1, sizeof *members);
    for (int32_t i = 0; i < k; i++)
        members[i] =
            (struct ctl_isr_member){change->new_isr[i].broker_id, change->new_isr[i].broker_epoch};
    struct ctl_alter_partition item = {.partition_index = change->partition_index,
                                       .leader_epoch = change->leader_epoch,
                                       .partition_epoch = change->partition_epoch,
                                       .new_isr = members,
                                       .nnew_isr = k,
                                       .leader_recovery_state = 0};
    struct ctl_alter_partition_topic topic = {
        .topic_id = change->topic_id, .partitions = &item, .npartitions = 1};
    struct ctl_alter_partition_req req = {
        .broker_id = n->node_id, .broker_epoch = n->broker_epoch, .topics = &topic, .ntopics = 1};
    struct env_call *call = call_new(cb_ctx);
    call->cb.alter_partition = cb;
    controller_alter_partition(n->controller, &req, on_partition_altered, call);
    free(members);
    return true;
}

static void on_topics_created(void *ctx, const struct ctl_create_topic_result *results,
                              int32_t nres)
{
    struct env_call *call = ctx;
    for (int32_t i = 0; i < nres; i++) {
        struct env_topic_created r = {.name = results[i].name,
                                      .error_code = results[i].error_code,
                                      .error_message = results[i].error_message,
                                      .num_partitions = results[i].num_partitions,
                                      .replication_factor = results[i].replication_factor};
        call->cb.create_topic(call->cb_ctx, &r);
    }
    free(call);
}

static bool env_create_topic_local(void *ctx, const struct env_create_topic *t,
                                   env_create_topic_cb cb, void *cb_ctx)
{
    struct broker *n = ctx;
    if (!broker_is_controller(n))
        return false;
    struct ctl_config_entry *configs =
        xcalloc(t->nconfigs > 0 ? (size_t)t->nconfigs : 1, sizeof *configs);
    for (int32_t i = 0; i < t->nconfigs; i++)
        configs[i] = (struct ctl_config_entry){t->configs[i].name, t->configs[i].value};
    struct ctl_create_topic ct = {.name = t->name,
                                  .num_partitions = t->num_partitions,
                                  .replication_factor = t->replication_factor,
                                  .configs = configs,
                                  .nconfigs = t->nconfigs};
    struct ctl_create_topics_req req = {.topics = &ct, .ntopics = 1};
    struct env_call *call = call_new(cb_ctx);
    call->cb.create_topic = cb;
    controller_create_topics(n->controller, &req, on_topics_created, call);
    free(configs);
    return true;
}

static struct kc_conn *env_controller_conn(void *ctx)
{
    return forward_controller_conn(ctx);
}

static void env_isr_changed(void *ctx, bool shrink)
{
    const struct broker *n = ctx;
    broker_metrics_isr_change(n->metrics, shrink);
}

void node_env_init(struct broker *n)
{
    n->env = (struct broker_env){.base = n->base,
                                 .cfg = n->cfg,
                                 .node_id = n->node_id,
                                 .image = n->image,
                                 .purgatory = n->purgatory,
                                 .ctx = n,
                                 .broker_epoch = env_broker_epoch,
                                 .alter_partition_local = env_alter_partition_local,
                                 .create_topic_local = env_create_topic_local,
                                 .controller_conn = env_controller_conn,
                                 .isr_changed = env_isr_changed};
}
