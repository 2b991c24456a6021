/*
 * Fetch (1): reads whole stored batches from partition logs and sends them
 * as file slices (no re-encoding), up to the high watermark for consumers and
 * the log end offset for replicas.  Long polling: when fewer than min_bytes
 * are available the request waits up to max_wait_ms and is re-evaluated each
 * time a partition it reads changes (DelayedFetch).  Incremental fetch
 * sessions (KIP-227) are not offered: the response's session_id is 0, which
 * makes clients send full fetch requests.
 */
#include <stdlib.h>

#include "broker_config.h"
#include "clock.h"
#include "handlers.h"
#include "isr_updates.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "metrics.h"
#include "broker.h"
#include "partition.h"
#include "purgatory.h"
#include "replica_manager.h"
#include "request.h"
#include "topic_name.h"
#include "xalloc.h"

struct delayed_fetch {
    struct purgatory_op op; /* first */
    struct request *req;
    struct fetch_req *fr;
};

/*
 * Builds the response from the current state of the logs.  Returns the
 * number of record bytes it holds; *hard_error is set when some partition
 * answered with an error (Kafka answers at once then).
 */
static int64_t build_response(struct request *req, struct fetch_req *fr, struct fetch_resp **out,
                              bool *hard_error)
{
    struct broker *n = req->node;
    struct fetch_resp *resp = request_alloc(req, 1, sizeof *resp);
    bool replica = fr->replica_id >= 0;
    /* fetch.max.bytes caps what the request asks for (KafkaApis.handleFetchRequest). */
    int64_t budget = fr->max_bytes > 0 ? fr->max_bytes : 0;
    if (budget > n->cfg->fetch_max_bytes)
        budget = n->cfg->fetch_max_bytes;
    int64_t total = 0;
    *hard_error = false;
    resp->responses.n = fr->topics.n;
    resp->responses.v = request_alloc(req, (size_t)fr->topics.n, sizeof *resp->responses.v);
    for (int32_t t = 0; t < fr->topics.n; t++) {
        struct fetch_req_topic *rt = &fr->topics.v[t];
        struct fetch_resp_topic *ot = &resp->responses.v[t];
        ot->topic = rt->topic;
        ot->partitions.n = rt->partitions.n;
        ot->partitions.v = request_alloc(req, (size_t)rt->partitions.n, sizeof *ot->partitions.v);
        /* Looked up by its whole length: "ab\0x" names nothing, not topic "ab". */
        const char *topic = proto_kstr_cstr(rt->topic, &req->arena);
        for (int32_t i = 0; i < rt->partitions.n; i++) {
            struct fetch_req_partition *rp = &rt->partitions.v[i];
            struct fetch_resp_partition *op = &ot->partitions.v[i];
            proto_fetch_resp_partition_init(op);
            op->partition_index = rp->partition;
            op->high_watermark = -1;
            struct partition *p = NULL;
            int16_t err = replica_manager_lookup_leader(n->rm, topic, rp->partition,
                                                        rp->current_leader_epoch, &p);
            if (err != KERR_NONE) {
                op->error_code = err;
                *hard_error = true;
                continue;
            }
            /* A follower's fetch: divergence check, progress, HW, ISR (DESIGN.md 3) -- not
             * for a parked fetch whose connection is gone: its offset may be from a process
             * that has since died and lost data. */
            if (replica && !request_conn_closed(req)) {
                int32_t div_epoch;
                int64_t div_end;
                int32_t last_epoch = req->hdr.api_version >= 12 ? rp->last_fetched_epoch : -1;
                int64_t now = clock_mono_ms();
                err = partition_replica_fetch(p, fr->replica_id, rp->fetch_offset, last_epoch, now,
                                              &div_epoch, &div_end);
                if (err == KERR_NONE && (div_epoch >= 0 || div_end >= 0)) {
                    op->diverging_epoch.epoch = div_epoch;
                    op->diverging_epoch.end_offset = div_end;
                    *hard_error = true; /* answered at once, without records */
                }
                if (err != KERR_NONE) {
                    op->error_code = err;
                    *hard_error = true;
                }
                if (err == KERR_NONE && div_epoch < 0 && div_end < 0)
                    isr_updates_maybe_propose(&n->env, p, now);
            }
            op->high_watermark = p->repl.high_watermark;
            op->last_stable_offset = p->repl.high_watermark;
            op->log_start_offset = partition_log_start(p);
            if (op->error_code != KERR_NONE || op->diverging_epoch.end_offset >= 0 ||
                op->diverging_epoch.epoch >= 0)
                continue;
            int64_t limit = rp->partition_max_bytes > 0 ? rp->partition_max_bytes : 0;
            if (limit > budget)
                limit = budget;
            /* KIP-74: the first partition with data returns at least one batch. */
            bool min_one = total == 0;
            struct storage_slice sl;
            err = partition_read(p, rp->fetch_offset, limit, min_one, replica, &sl);
            if (err != KERR_NONE) {
                op->error_code = err;
                *hard_error = true;
                continue;
            }
            if (sl.len > 0) {
                struct proto_file_slice *fs = request_alloc(req, 1, sizeof *fs);
                fs->fd = sl.fd;
                fs->off = sl.pos;
                fs->len = sl.len;
                op->records.p = NULL;
                op->records.len = (int32_t)sl.len;
                op->records.file = fs;
                total += sl.len;
                budget -= sl.len;
                if (budget < 0)
                    budget = 0;
            }
        }
    }
    *out = resp;
    return total;
}

static void respond_now(struct request *req, struct fetch_req *fr)
{
    struct fetch_resp *resp;
    bool hard;
    build_response(req, fr, &resp, &hard);
    broker_metrics_fetched(req->node->metrics, fr, resp);
    request_respond(req, &proto_fetch_resp_schema, resp);
}

/* DelayedFetch.tryComplete: enough bytes, an error, or a client that has gone away. */
static bool fetch_try_complete(struct purgatory_op *op)
{
    struct delayed_fetch *df = (struct delayed_fetch *)op;
    struct request *req = df->req;
    if (request_conn_closed(req)) {
        respond_now(req, df->fr);
        return true;
    }
    struct fetch_resp *resp;
    bool hard;
    int64_t bytes = build_response(req, df->fr, &resp, &hard);
    if (!hard && bytes < df->fr->min_bytes)
        return false; /* the arena keeps the discarded response until the request retires */
    broker_metrics_fetched(req->node->metrics, df->fr, resp);
    request_respond(req, &proto_fetch_resp_schema, resp);
    return true;
}

/* max_wait_ms passed (or shutdown): answer with what there is. */
static void fetch_expire(struct purgatory_op *op)
{
    struct delayed_fetch *df = (struct delayed_fetch *)op;
    respond_now(df->req, df->fr);
}

static void fetch_release(struct purgatory_op *op)
{
    free(op);
}

/* Deferred: a follower's fetch moves the HW, which checks partition keys again. */
static const struct purgatory_op_type delayed_fetch_type = {
    .kind = PURGATORY_FETCH,
    .try_complete = fetch_try_complete,
    .on_expire = fetch_expire,
    .release = fetch_release,
    .deferred = true,
};

void handle_fetch(struct request *req)
{
    struct broker *n = req->node;
    struct fetch_req *fr = request_decode_body(req, &proto_fetch_req_schema);
    if (!fr)
        return;
    /* KIP-227 sessions: we never hand out a session id. */
    if (req->hdr.api_version >= 7 && (fr->session_id != 0 || fr->session_epoch > 0)) {
        struct fetch_resp *resp = request_alloc(req, 1, sizeof *resp);
        resp->error_code = fr->session_id != 0 ? KERR_FETCH_SESSION_ID_NOT_FOUND
                                               : KERR_INVALID_FETCH_SESSION_EPOCH;
        request_respond(req, &proto_fetch_resp_schema, resp);
        return;
    }
    if (fr->max_wait_ms <= 0 || fr->topics.n == 0) {
        respond_now(req, fr);
        return;
    }
    int32_t nkeys = 0;
    for (int32_t t = 0; t < fr->topics.n; t++)
        nkeys += fr->topics.v[t].partitions.n;
    uint64_t *keys = request_alloc(req, (size_t)nkeys, sizeof *keys);
    int32_t k = 0;
    for (int32_t t = 0; t < fr->topics.n; t++) {
        struct fetch_req_topic *rt = &fr->topics.v[t];
        size_t len = rt->topic.s && rt->topic.len > 0 ? (size_t)rt->topic.len : 0;
        for (int32_t i = 0; i < rt->partitions.n; i++)
            keys[k++] = purgatory_partition_key(rt->topic.s, len, rt->partitions.v[i].partition);
    }
    struct delayed_fetch *df = xcalloc(1, sizeof *df);
    df->req = req;
    df->fr = fr;
    purgatory_add(n->purgatory, &df->op, &delayed_fetch_type,
                  clock_mono_us() + (int64_t)fr->max_wait_ms * 1000, keys, nkeys);
}
