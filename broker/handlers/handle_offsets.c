/*
 * ListOffsets (2) and OffsetForLeaderEpoch (23): offset lookups on partition
 * leaders.  ListOffsets special timestamps: -1 latest (the high watermark,
 * which is also the last stable offset without transactions), -2 earliest
 * (the log start offset), -3 the record with the largest timestamp (KIP-734).
 * OffsetForLeaderEpoch answers the end offset of an epoch (KIP-101, KIP-279).
 */
#include "handlers.h"
#include "kafka.h"
#include "leader_epoch.h"
#include "messages.h"
#include "broker.h"
#include "partition.h"
#include "replica_manager.h"
#include "request.h"
#include "topic_name.h"

#define LIST_OFFSETS_LATEST        (-1)
#define LIST_OFFSETS_EARLIEST      (-2)
#define LIST_OFFSETS_MAX_TIMESTAMP (-3)

static void list_one(struct request *req, bool from_client, const char *topic,
                     struct list_offsets_req_partition *rp, struct list_offsets_resp_partition *op)
{
    op->partition_index = rp->partition_index;
    op->timestamp = -1;
    op->offset = -1;
    op->leader_epoch = -1;
    struct partition *p = NULL;
    int16_t err = replica_manager_lookup_leader(req->node->rm, topic, rp->partition_index,
                                                rp->current_leader_epoch, &p);
    if (err != KERR_NONE) {
        op->error_code = err;
        return;
    }
    /* A new leader whose high watermark has not yet reached the start of its own epoch
     * could answer below what the previous leader exposed: clients retry instead
     * (Kafka's Partition.fetchOffsetForTimestamp, OFFSET_NOT_AVAILABLE). */
    if (from_client && storage_leader_epoch_latest_start(p->epochs) > p->repl.high_watermark) {
        op->error_code = KERR_OFFSET_NOT_AVAILABLE;
        return;
    }
    switch (rp->timestamp) {
    case LIST_OFFSETS_LATEST:
        op->offset = p->repl.high_watermark;
        op->leader_epoch = p->repl.leader_epoch;
        break;
    case LIST_OFFSETS_EARLIEST:
        op->offset = partition_log_start(p);
        op->leader_epoch = partition_epoch_for_offset(p, op->offset);
        break;
    case LIST_OFFSETS_MAX_TIMESTAMP: {
        int64_t ts = -1, off = -1;
        if (storage_log_max_timestamp(p->log, &ts, &off) == 0 && off >= 0 &&
            off < p->repl.high_watermark) {
            op->timestamp = ts;
            op->offset = off;
            op->leader_epoch = partition_epoch_for_offset(p, off);
        }
        break;
    }
    default:
        if (rp->timestamp < 0) {
            op->error_code = KERR_INVALID_REQUEST;
            return;
        }
        if (partition_offset_for_timestamp(p, rp->timestamp, &op->offset, &op->timestamp) < 0) {
            op->error_code = KERR_KAFKA_STORAGE_ERROR;
            return;
        }
        if (op->offset >= 0)
            op->leader_epoch = partition_epoch_for_offset(p, op->offset);
        break;
    }
}

void handle_list_offsets(struct request *req)
{
    struct list_offsets_req *lr = request_decode_body(req, &proto_list_offsets_req_schema);
    if (!lr)
        return;
    struct list_offsets_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->topics.n = lr->topics.n;
    resp->topics.v = request_alloc(req, (size_t)lr->topics.n, sizeof *resp->topics.v);
    for (int32_t t = 0; t < lr->topics.n; t++) {
        struct list_offsets_req_topic *rt = &lr->topics.v[t];
        struct list_offsets_resp_topic *ot = &resp->topics.v[t];
        ot->name = rt->name;
        ot->partitions.n = rt->partitions.n;
        ot->partitions.v = request_alloc(req, (size_t)rt->partitions.n, sizeof *ot->partitions.v);
        for (int32_t i = 0; i < rt->partitions.n; i++)
            list_one(req, lr->replica_id < 0, proto_kstr_cstr(rt->name, &req->arena),
                     &rt->partitions.v[i], &ot->partitions.v[i]);
    }
    request_respond(req, &proto_list_offsets_resp_schema, resp);
}

void handle_offset_for_leader_epoch(struct request *req)
{
    struct offset_for_leader_epoch_req *er =
        request_decode_body(req, &proto_offset_for_leader_epoch_req_schema);
    if (!er)
        return;
    struct offset_for_leader_epoch_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->topics.n = er->topics.n;
    resp->topics.v = request_alloc(req, (size_t)er->topics.n, sizeof *resp->topics.v);
    for (int32_t t = 0; t < er->topics.n; t++) {
        struct offset_for_leader_epoch_req_topic *rt = &er->topics.v[t];
        struct offset_for_leader_epoch_resp_topic *ot = &resp->topics.v[t];
        ot->topic = rt->topic;
        ot->partitions.n = rt->partitions.n;
        ot->partitions.v = request_alloc(req, (size_t)rt->partitions.n, sizeof *ot->partitions.v);
        /* Looked up by its whole length: "ab\0x" names nothing, not topic "ab". */
        const char *topic = proto_kstr_cstr(rt->topic, &req->arena);
        for (int32_t i = 0; i < rt->partitions.n; i++) {
            struct offset_for_leader_epoch_req_partition *rp = &rt->partitions.v[i];
            struct offset_for_leader_epoch_resp_partition *op = &ot->partitions.v[i];
            op->partition = rp->partition;
            op->leader_epoch = -1;
            op->end_offset = -1;
            struct partition *p = NULL;
            int16_t err = replica_manager_lookup_leader(req->node->rm, topic, rp->partition,
                                                        rp->current_leader_epoch, &p);
            op->error_code = err;
            if (err == KERR_NONE)
                partition_end_offset_for_epoch(p, rp->leader_epoch, &op->leader_epoch,
                                               &op->end_offset);
        }
    }
    request_respond(req, &proto_offset_for_leader_epoch_resp_schema, resp);
}
