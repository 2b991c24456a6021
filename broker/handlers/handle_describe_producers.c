/*
 * DescribeProducers (61, KIP-664): the active idempotent producers of
 * partitions led by this broker, from each partition's producer state
 * (producer_state.h), as kafka-transactions.sh describe-producers and
 * Admin.describeProducers ask them.  Per partition, like Kafka's
 * KafkaApis.handleDescribeProducersRequest: an illegal topic name answers
 * INVALID_TOPIC_EXCEPTION with Kafka's message, a topic the metadata does
 * not know UNKNOWN_TOPIC_OR_PARTITION, a partition not led here
 * NOT_LEADER_OR_FOLLOWER, an offline replica KAFKA_STORAGE_ERROR.  Sluice
 * has no transactions: coordinator_epoch and current_txn_start_offset are
 * always -1.
 */
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "metadata_image.h"
#include "broker.h"
#include "partition.h"
#include "replica_manager.h"
#include "request.h"
#include "topic_name.h"

/* Kafka's Errors.UNKNOWN_TOPIC_OR_PARTITION.message(), which ApiError carries for a topic-level
 * error. */
#define DP_UNKNOWN_TOPIC_MSG "This server does not host this topic-partition."

/* The producers with state in p, as Kafka's UnifiedLog.activeProducers lists them. */
static void dp_producers(struct request *req, const struct partition *p,
                         struct describe_producers_resp_partition *out)
{
    const struct producer_state *ps = &p->producers;
    struct describe_producers_resp_producer *v = request_alloc(req, ps->count + 1, sizeof *v);
    int32_t n = 0;
    for (size_t i = 0; i < ps->cap && (size_t)n < ps->count; i++) {
        const struct producer_entry *e = &ps->slots[i];
        if (e->producer_id < 0)
            continue;
        v[n++] = (struct describe_producers_resp_producer){
            .producer_id = e->producer_id,
            .producer_epoch = e->epoch,
            .last_sequence = e->nbatches > 0 ? e->batches[e->nbatches - 1].last_seq : -1,
            .last_timestamp = e->nbatches > 0 ? e->last_timestamp : -1,
            .coordinator_epoch = -1,
            .current_txn_start_offset = -1,
        };
    }
    out->active_producers.n = n;
    out->active_producers.v = v;
}

/* One requested topic: a topic-level error for every partition, or each partition's state. */
static void dp_topic(struct request *req, const struct describe_producers_req_topic *t,
                     struct describe_producers_resp_topic *out)
{
    struct broker *n = req->node;
    out->name = t->name;
    out->partitions.n = t->partition_indexes.n;
    out->partitions.v =
        request_alloc(req, (size_t)t->partition_indexes.n + 1, sizeof *out->partitions.v);
    int16_t topic_err = KERR_NONE;
    struct kstr topic_msg = {NULL, -1};
    const char *name = NULL;
    enum proto_topic_name_check rc = proto_topic_name_check_kstr(t->name);
    if (rc != PROTO_TOPIC_NAME_OK) {
        char why[512];
        topic_err = KERR_INVALID_TOPIC_EXCEPTION;
        topic_msg = request_kstr(req, proto_topic_name_why(rc, t->name.s,
                                                           t->name.s ? (size_t)t->name.len : 0, why,
                                                           sizeof why));
    } else {
        name = proto_kstr_cstr(t->name, &req->arena);
        if (!n->image || !metadata_image_topic_by_name(n->image, name)) {
            topic_err = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            topic_msg = request_kstr(req, DP_UNKNOWN_TOPIC_MSG);
        }
    }
    for (int32_t j = 0; j < t->partition_indexes.n; j++) {
        struct describe_producers_resp_partition *rp = &out->partitions.v[j];
        *rp = (struct describe_producers_resp_partition){
            .partition_index = t->partition_indexes.v[j],
            .error_code = topic_err,
            .error_message = topic_msg,
        };
        if (topic_err != KERR_NONE)
            continue;
        struct partition *p = NULL;
        rp->error_code =
            n->rm ? replica_manager_lookup_leader(n->rm, name, rp->partition_index, -1, &p)
                  : KERR_NOT_LEADER_OR_FOLLOWER;
        if (rp->error_code == KERR_NONE)
            dp_producers(req, p, rp);
    }
}

void handle_describe_producers(struct request *req)
{
    struct describe_producers_req *dr =
        request_decode_body(req, &proto_describe_producers_req_schema);
    if (!dr)
        return;
    struct describe_producers_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->topics.n = dr->topics.n;
    resp->topics.v = request_alloc(req, (size_t)dr->topics.n + 1, sizeof *resp->topics.v);
    for (int32_t i = 0; i < dr->topics.n; i++)
        dp_topic(req, &dr->topics.v[i], &resp->topics.v[i]);
    request_respond(req, &proto_describe_producers_resp_schema, resp);
}
