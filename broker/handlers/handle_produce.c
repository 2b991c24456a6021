/*
 * Produce (0): validates and appends each partition's batch on the leader and
 * answers according to acks (KafkaApis.handleProduceRequest,
 * ReplicaManager.appendRecords):
 *   acks=0   no response; an error closes the connection, the only signal a
 *            fire-and-forget client gets;
 *   acks=1   answer after the local append (and, under fsync-on-append, after
 *            the group commit that makes it durable);
 *   acks=-1  NOT_ENOUGH_REPLICAS up front when the ISR is below
 *            min.insync.replicas, else wait in the delayed-produce purgatory
 *            until the high watermark passes the batch (NONE), the ISR shrinks
 *            below the minimum (NOT_ENOUGH_REPLICAS_AFTER_APPEND) or
 *            timeout_ms passes (REQUEST_TIMED_OUT).
 * Versions 0-2 are advertised (librdkafka 2.0.2 needs Produce 0 in range to
 * enable gzip/snappy) but answered UNSUPPORTED_VERSION, as Kafka 4 does
 * (KIP-896, KAFKA-18659).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "metrics.h"
#include "broker.h"
#include "partition.h"
#include "purgatory.h"
#include "record_batch.h"
#include "replica_manager.h"
#include "request.h"
#include "topic_name.h"
#include "xalloc.h"

#define PRODUCE_ACCEPT_MIN 3

struct pending_part {
    struct partition *p;
    struct produce_resp_partition *out;
    int64_t last_offset;
    bool wait_flush;
    bool wait_hw;
    bool done;
};

struct delayed_produce {
    struct purgatory_op op; /* first */
    struct request *req;
    struct produce_resp *resp;
    struct pending_part *parts;
    int nparts;
    int npending;
};

static void part_done(struct delayed_produce *dp, struct pending_part *pp, int16_t err)
{
    if (pp->done)
        return;
    pp->done = true;
    if (err != KERR_NONE) {
        pp->out->error_code = err;
        pp->out->base_offset = -1;
    }
    dp->npending--;
}

/*
 * Re-checks one waiting partition.  Its partition is alive: closing or
 * deleting one checks its key first, and that finishes the part.
 */
static void part_check(struct delayed_produce *dp, struct pending_part *pp)
{
    struct partition *p = pp->p;
    if (p->deleted) {
        part_done(dp, pp, KERR_NOT_LEADER_OR_FOLLOWER);
        return;
    }
    if (partition_offline(p)) {
        /* The log failed after the append (its fsync, or the log dir): what was
         * appended may not survive, so it is not acknowledged. */
        part_done(dp, pp, KERR_KAFKA_STORAGE_ERROR);
        return;
    }
    if (pp->wait_flush && storage_log_recovery_point(p->log) > pp->last_offset)
        pp->wait_flush = false;
    if (pp->wait_hw) {
        if (!p->repl.is_leader) {
            part_done(dp, pp, KERR_NOT_LEADER_OR_FOLLOWER);
            return;
        }
        if (p->repl.high_watermark > pp->last_offset) {
            pp->wait_hw = false;
        } else if (p->repl.nisr < p->cfg.min_insync_replicas) {
            part_done(dp, pp, KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);
            return;
        }
    }
    if (!pp->wait_flush && !pp->wait_hw)
        part_done(dp, pp, KERR_NONE);
}

static bool produce_try_complete(struct purgatory_op *op)
{
    struct delayed_produce *dp = (struct delayed_produce *)op;
    for (int i = 0; i < dp->nparts; i++)
        if (!dp->parts[i].done)
            part_check(dp, &dp->parts[i]);
    if (dp->npending > 0)
        return false;
    request_respond(dp->req, &proto_produce_resp_schema, dp->resp);
    return true;
}

/* timeout_ms passed (or shutdown): the parts still waiting answer REQUEST_TIMED_OUT. */
static void produce_expire(struct purgatory_op *op)
{
    struct delayed_produce *dp = (struct delayed_produce *)op;
    for (int i = 0; i < dp->nparts; i++)
        part_done(dp, &dp->parts[i], KERR_REQUEST_TIMED_OUT);
    request_respond(dp->req, &proto_produce_resp_schema, dp->resp);
}

static void produce_release(struct purgatory_op *op)
{
    struct delayed_produce *dp = (struct delayed_produce *)op;
    free(dp->parts);
    free(dp);
}

static const struct purgatory_op_type delayed_produce_type = {
    .kind = PURGATORY_PRODUCE,
    .try_complete = produce_try_complete,
    .on_expire = produce_expire,
    .release = produce_release,
};

/* One (topic, partition) entry of the request, for finding repeated partitions. */
struct part_ref {
    const struct kstr *topic;
    int32_t index;
    int32_t t, i; /* position in the request */
};

/* Orders by topic bytes, then partition; same_only stops there (same partition). */
static int part_ref_order(const struct part_ref *a, const struct part_ref *b, bool same_only)
{
    int32_t la = a->topic->s ? a->topic->len : -1, lb = b->topic->s ? b->topic->len : -1;
    if (la != lb)
        return la < lb ? -1 : 1;
    int c = la > 0 ? memcmp(a->topic->s, b->topic->s, (size_t)la) : 0;
    if (c)
        return c;
    if (a->index != b->index)
        return a->index < b->index ? -1 : 1;
    if (same_only)
        return 0;
    if (a->t != b->t)
        return a->t < b->t ? -1 : 1;
    return a->i < b->i ? -1 : a->i > b->i;
}

/* qsort order: by partition, then position in the request. */
static int part_ref_cmp(const void *pa, const void *pb)
{
    return part_ref_order(pa, pb, false);
}

/*
 * Which entries of the request to drop: every entry of a partition that the
 * request repeats, except the last.  Kafka (KafkaApis.handleProduceRequest)
 * collects the partitions into a map keyed by topic-partition, so a later
 * entry replaces an earlier one, which is neither appended nor answered: a
 * request naming one partition 200 times is validated and appended once.
 * Names compare on their bytes and length.  Returns skip[t][i] in the
 * request's arena.
 */
static bool **repeated_partitions(struct request *req, const struct produce_req *pr)
{
    bool **skip = request_alloc(req, (size_t)pr->topic_data.n, sizeof *skip);
    size_t total = 0;
    for (int32_t t = 0; t < pr->topic_data.n; t++) {
        int32_t np = pr->topic_data.v[t].partition_data.n;
        skip[t] = request_alloc(req, (size_t)(np > 0 ? np : 0), sizeof **skip);
        total += (size_t)(np > 0 ? np : 0);
    }
    if (total < 2)
        return skip;
    struct part_ref *refs = xmalloc(total * sizeof *refs);
    size_t k = 0;
    for (int32_t t = 0; t < pr->topic_data.n; t++)
        for (int32_t i = 0; i < pr->topic_data.v[t].partition_data.n; i++)
            refs[k++] = (struct part_ref){&pr->topic_data.v[t].name,
                                          pr->topic_data.v[t].partition_data.v[i].index, t, i};
    qsort(refs, total, sizeof *refs, part_ref_cmp);
    for (k = 0; k + 1 < total; k++)
        if (part_ref_order(&refs[k], &refs[k + 1], true) == 0)
            skip[refs[k].t][refs[k].i] = true;
    free(refs);
    return skip;
}

/*
 * The response's shape: one topic per request topic, one partition per
 * request partition not in `skip`, each answered `err` with offsets -1 until
 * set.
 */
static struct produce_resp *response_new(struct request *req, const struct produce_req *pr,
                                         bool **skip, int16_t err)
{
    struct produce_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->responses.n = pr->topic_data.n;
    resp->responses.v = request_alloc(req, (size_t)pr->topic_data.n, sizeof *resp->responses.v);
    for (int32_t t = 0; t < pr->topic_data.n; t++) {
        struct produce_req_topic *rt = &pr->topic_data.v[t];
        struct produce_resp_topic *ot = &resp->responses.v[t];
        ot->name = rt->name;
        ot->partition_responses.v =
            request_alloc(req, (size_t)rt->partition_data.n, sizeof *ot->partition_responses.v);
        ot->partition_responses.n = 0;
        for (int32_t i = 0; i < rt->partition_data.n; i++) {
            if (skip[t][i])
                continue;
            struct produce_resp_partition *op =
                &ot->partition_responses.v[ot->partition_responses.n++];
            op->index = rt->partition_data.v[i].index;
            op->error_code = err;
            op->base_offset = -1;
            op->log_append_time_ms = -1;
            op->log_start_offset = -1;
        }
    }
    return resp;
}

/*
 * KIP-110: ZStandard batches need Produce v7; an older request gets
 * UNSUPPORTED_COMPRESSION_TYPE for the partition, judged from the first
 * batch's attributes as ProduceRequest.validateRecords does.  Anything too
 * short to hold them is left to the append's own validation.
 */
static int16_t produce_compression_check(int16_t version, const struct kbytes *records)
{
    if (version >= 7 || records->len < RB_OFF_ATTRIBUTES + 2 || !records->p)
        return KERR_NONE;
    uint16_t attrs =
        (uint16_t)(records->p[RB_OFF_ATTRIBUTES] << 8 | records->p[RB_OFF_ATTRIBUTES + 1]);
    if ((attrs & RB_ATTR_COMPRESSION_MASK) == RB_COMPRESSION_ZSTD)
        return KERR_UNSUPPORTED_COMPRESSION_TYPE;
    return KERR_NONE;
}

/*
 * A rejected batch's messages (KIP-467, Produce v8+; older versions encode
 * neither field): the partition's error_message, and each failing record's
 * index with its own message in record_errors, so the client fails exactly
 * those records with the partition's error and the others with a generic one.
 */
static void record_errors_answer(struct request *req, struct produce_resp_partition *op,
                                 const struct partition_append_result *ar)
{
    if (ar->n_record_errors > 1) {
        char msg[256];
        snprintf(msg, sizeof msg,
                 "%d records of the batch were rejected; the first, at index %d: %s",
                 (int)ar->n_record_errors, (int)ar->record_errors[0].index,
                 ar->record_errors[0].message);
        op->error_message = request_kstr(req, msg);
    } else if (ar->error_message) {
        op->error_message = request_kstr(req, ar->error_message);
    }
    if (ar->n_record_errors > 0) {
        op->record_errors.n = ar->n_record_errors;
        op->record_errors.v =
            request_alloc(req, (size_t)ar->n_record_errors, sizeof *op->record_errors.v);
        for (int32_t k = 0; k < ar->n_record_errors; k++) {
            op->record_errors.v[k].batch_index = ar->record_errors[k].index;
            op->record_errors.v[k].batch_index_error_message =
                request_kstr(req, ar->record_errors[k].message);
        }
    } else if (ar->record_error_index >= 0) {
        op->record_errors.n = 1;
        op->record_errors.v = request_alloc(req, 1, sizeof *op->record_errors.v);
        op->record_errors.v[0].batch_index = ar->record_error_index;
        op->record_errors.v[0].batch_index_error_message = op->error_message;
    }
}

void handle_produce(struct request *req)
{
    struct broker *n = req->node;
    struct produce_req *pr = request_decode_body(req, &proto_produce_req_schema);
    if (!pr)
        return;
    bool **skip = repeated_partitions(req, pr);
    if (req->hdr.api_version < PRODUCE_ACCEPT_MIN) {
        request_respond(req, &proto_produce_resp_schema,
                        response_new(req, pr, skip, KERR_UNSUPPORTED_VERSION));
        return;
    }
    int16_t acks = pr->acks;
    if (acks != 0 && acks != 1 && acks != -1) {
        request_respond(req, &proto_produce_resp_schema,
                        response_new(req, pr, skip, KERR_INVALID_REQUIRED_ACKS));
        return;
    }

    int64_t now = clock_wall_ms();
    struct produce_resp *resp = response_new(req, pr, skip, KERR_NONE);
    struct pending_part *parts = NULL;
    int nparts = 0, cap = 0;
    bool any_error = false;
    size_t decompressed = 0; /* the request's decompression so far (bounded per request) */

    for (int32_t t = 0; t < pr->topic_data.n; t++) {
        struct produce_req_topic *rt = &pr->topic_data.v[t];
        struct produce_resp_topic *ot = &resp->responses.v[t];
        /* A name is looked up only when legal: "ab\0zzz" is not topic "ab". */
        bool name_ok = proto_topic_name_legal(rt->name);
        int32_t o = 0;
        for (int32_t i = 0; i < rt->partition_data.n; i++) {
            if (skip[t][i])
                continue;
            struct produce_req_partition *rp = &rt->partition_data.v[i];
            struct produce_resp_partition *op = &ot->partition_responses.v[o++];
            struct partition *p = NULL;
            int16_t err = name_ok
                              ? replica_manager_lookup_leader(n->rm, rt->name.s, rp->index, -1, &p)
                              : KERR_UNKNOWN_TOPIC_OR_PARTITION;
            if (err != KERR_UNKNOWN_TOPIC_OR_PARTITION &&
                produce_compression_check(req->hdr.api_version, &rp->records) != KERR_NONE)
                err = KERR_UNSUPPORTED_COMPRESSION_TYPE;
            if (err == KERR_NONE && (rp->records.len <= 0 || !rp->records.p))
                err = KERR_INVALID_RECORD;
            if (err == KERR_NONE && acks == -1 && p->repl.nisr < p->cfg.min_insync_replicas)
                err = KERR_NOT_ENOUGH_REPLICAS;
            struct partition_append_result ar;
            if (err == KERR_NONE) {
                /* The batch is rewritten in place: the frame buffer is ours. */
                err = partition_append_client_bounded(p, (uint8_t *)rp->records.p,
                                                      (size_t)rp->records.len, now, &decompressed,
                                                      &req->arena, &ar);
                if (err != KERR_NONE) {
                    record_errors_answer(req, op, &ar);
                }
            }
            op->error_code = err;
            if (err == KERR_KAFKA_STORAGE_ERROR)
                replica_manager_check_storage(n->rm); /* the whole log dir goes offline */
            if (err != KERR_NONE) {
                any_error = true;
                LOG_DEBUG("broker", "produce to %s-%d: %s", rt->name.s, rp->index,
                          kafka_error_name(err));
                continue;
            }
            op->base_offset = ar.base_offset;
            broker_metrics_produced(n->metrics, rt->name.s, ar.duplicate ? 0 : rp->records.len,
                                    ar.duplicate ? 0 : ar.last_offset - ar.base_offset + 1);
            op->log_append_time_ms = ar.log_append_time;
            op->log_start_offset = partition_log_start(p);
            bool wait_flush = !ar.duplicate && partition_flush_awaited(p, ar.last_offset);
            bool wait_hw = acks == -1 && p->repl.high_watermark <= ar.last_offset;
            if (wait_flush && partition_sync_on_append(p))
                replica_manager_request_flush(n->rm, p);
            if (acks == 0 || (!wait_flush && !wait_hw))
                continue;
            if (nparts == cap) {
                cap = cap ? cap * 2 : 4;
                parts = xrealloc(parts, sizeof *parts * (size_t)cap);
            }
            struct pending_part *pp = &parts[nparts++];
            *pp = (struct pending_part){.p = p,
                                        .out = op,
                                        .last_offset = ar.last_offset,
                                        .wait_flush = wait_flush,
                                        .wait_hw = wait_hw};
        }
    }

    if (acks == 0) {
        free(parts);
        if (any_error)
            request_close_connection(req, "acks=0 produce failed");
        else
            request_finish_silent(req);
        return;
    }
    if (nparts == 0) {
        request_respond(req, &proto_produce_resp_schema, resp);
        return;
    }
    struct delayed_produce *dp = xcalloc(1, sizeof *dp);
    dp->req = req;
    dp->resp = resp;
    dp->parts = parts;
    dp->nparts = nparts;
    dp->npending = nparts;
    uint64_t *keys = request_alloc(req, (size_t)nparts, sizeof *keys);
    for (int i = 0; i < nparts; i++)
        keys[i] = parts[i].p->watch_key;
    int64_t timeout = pr->timeout_ms > 0 ? pr->timeout_ms : 0;
    purgatory_add(n->purgatory, &dp->op, &delayed_produce_type, clock_mono_us() + timeout * 1000,
                  keys, nparts);
}
