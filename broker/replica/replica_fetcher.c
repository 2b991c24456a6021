/*
 * Replica fetchers (replica_fetcher.h).
 */
#include "replica_fetcher.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "broker_config.h"
#include "broker_env.h"
#include "clock.h"
#include "err.h"
#include "kafka.h"
#include "kafka_client.h"
#include "leader_epoch.h"
#include "log.h"
#include "messages.h"
#include "metadata_image.h"
#include "partition.h"
#include "replica_manager.h"
#include "xalloc.h"

#define FETCH_VERSION      12 /* diverging epochs in the answer (KIP-595 fields) */
#define REQUEST_TIMEOUT_MS 30000
#define MAX_RESPONSE_BYTES (256 << 20)
#define IDLE_RECHECK_MS    1000

/* One partition this broker follows. */
struct followed {
    char *topic;
    int32_t index;
    int64_t backoff_until; /* monotonic ms; 0 = none */
    int32_t sent_epoch;    /* leader epoch of the fetch in flight, -1 none */
    int64_t sent_offset;   /* fetch offset of the fetch in flight */
    int64_t lag;           /* leader HW seen minus local LEO */
};

struct fetcher {
    struct replica_fetchers *rf;
    int32_t leader_id;
    struct kc_conn *conn;
    char *host;
    int port;
    struct followed *parts;
    int nparts, cap;
    bool inflight;
    bool failing; /* the last attempt failed: log recovery once */
    struct event *timer;
    struct fetcher *next;
};

struct replica_fetchers {
    const struct broker_env *n;
    struct fetcher *list;
    bool closing;
};

static void pump(struct fetcher *f);

struct replica_fetchers *replica_fetchers_new(const struct broker_env *n)
{
    struct replica_fetchers *rf = xcalloc(1, sizeof *rf);
    rf->n = n;
    return rf;
}

static void followed_free(struct followed *fp)
{
    free(fp->topic);
}

void replica_fetchers_free(struct replica_fetchers *rf)
{
    if (!rf)
        return;
    rf->closing = true;
    while (rf->list) {
        struct fetcher *f = rf->list;
        rf->list = f->next;
        if (f->conn)
            kc_conn_free(f->conn); /* a fetch in flight completes (ignored) here */
        for (int i = 0; i < f->nparts; i++)
            followed_free(&f->parts[i]);
        free(f->parts);
        free(f->host);
        event_free(f->timer);
        free(f);
    }
    free(rf);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    pump(arg);
}

static struct fetcher *fetcher_for(struct replica_fetchers *rf, int32_t leader_id, bool create)
{
    for (struct fetcher *f = rf->list; f; f = f->next)
        if (f->leader_id == leader_id)
            return f;
    if (!create)
        return NULL;
    struct fetcher *f = xcalloc(1, sizeof *f);
    f->rf = rf;
    f->leader_id = leader_id;
    f->timer = evtimer_new(rf->n->base, on_timer, f);
    f->next = rf->list;
    rf->list = f;
    return f;
}

static int find_part(const struct fetcher *f, const char *topic, int32_t index)
{
    for (int i = 0; i < f->nparts; i++)
        if (f->parts[i].index == index && strcmp(f->parts[i].topic, topic) == 0)
            return i;
    return -1;
}

void replica_fetchers_follow(struct replica_fetchers *rf, const char *topic, int32_t index,
                             int32_t leader_id)
{
    if (!rf || rf->closing)
        return;
    for (struct fetcher *f = rf->list; f; f = f->next) {
        int i = find_part(f, topic, index);
        if (i < 0)
            continue;
        if (f->leader_id == leader_id) {
            /* Same leader, maybe a new epoch: fetch again at once. */
            f->parts[i].backoff_until = 0;
            pump(f);
            return;
        }
        followed_free(&f->parts[i]);
        f->parts[i] = f->parts[--f->nparts];
        break;
    }
    if (leader_id < 0 || leader_id == rf->n->node_id)
        return;
    struct fetcher *f = fetcher_for(rf, leader_id, true);
    if (f->nparts == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->parts = xrealloc(f->parts, sizeof *f->parts * (size_t)f->cap);
    }
    struct followed *fp = &f->parts[f->nparts++];
    memset(fp, 0, sizeof *fp);
    fp->topic = xstrdup(topic);
    fp->index = index;
    fp->sent_epoch = -1;
    pump(f);
}

void replica_fetchers_flushed(struct replica_fetchers *rf, int32_t leader_id)
{
    struct fetcher *f = rf && !rf->closing ? fetcher_for(rf, leader_id, false) : NULL;
    if (f)
        pump(f);
}

int64_t replica_fetchers_max_lag(const struct replica_fetchers *rf)
{
    int64_t lag = 0;
    for (const struct fetcher *f = rf ? rf->list : NULL; f; f = f->next)
        for (int i = 0; i < f->nparts; i++)
            if (f->parts[i].lag > lag)
                lag = f->parts[i].lag;
    return lag;
}

int64_t replica_fetchers_lag(const struct replica_fetchers *rf, const char *topic, int32_t index)
{
    for (const struct fetcher *f = rf ? rf->list : NULL; f; f = f->next)
        for (int i = 0; i < f->nparts; i++)
            if (f->parts[i].index == index && strcmp(f->parts[i].topic, topic) == 0)
                return f->parts[i].lag;
    return -1;
}

/* The local replica of fp if it still follows this fetcher's leader. */
static struct partition *local_follower(struct fetcher *f, const struct followed *fp)
{
    struct partition *p = NULL;
    const struct broker_env *n = f->rf->n;
    if (!n->rm || replica_manager_lookup(n->rm, fp->topic, fp->index, &p) != KERR_NONE)
        return NULL;
    if (p->repl.is_leader || p->repl.leader_id != f->leader_id || p->deleted)
        return NULL;
    return p;
}

/* The leader's inter-broker endpoint from its registration; false when unknown. */
static bool leader_endpoint(struct fetcher *f, const char **host, int *port)
{
    const struct broker_env *n = f->rf->n;
    const struct mi_broker *b = metadata_image_broker(n->image, f->leader_id);
    const char *want = n->cfg->inter_broker_listener;
    if (!b || !want)
        return false;
    for (int32_t i = 0; i < b->nendpoints; i++) {
        if (strcasecmp(b->endpoints[i].name, want) == 0) {
            *host = b->endpoints[i].host;
            *port = b->endpoints[i].port;
            return true;
        }
    }
    return false;
}

static void back_off_all(struct fetcher *f, int64_t now)
{
    int64_t until = now + f->rf->n->cfg->replica_fetch_backoff_ms;
    for (int i = 0; i < f->nparts; i++) {
        f->parts[i].backoff_until = until;
        f->parts[i].sent_epoch = -1;
    }
}

/* Arms the timer for the earliest backoff (or a periodic recheck). */
static void schedule(struct fetcher *f, int64_t now)
{
    if (f->nparts == 0)
        return;
    int64_t wake = now + IDLE_RECHECK_MS;
    for (int i = 0; i < f->nparts; i++)
        if (f->parts[i].backoff_until > now && f->parts[i].backoff_until < wake)
            wake = f->parts[i].backoff_until;
    int64_t ms = wake - now;
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    evtimer_add(f->timer, &tv);
}

static void on_fetch_answer(void *ctx, int err, const void *resp, struct arena *a);

/*
 * True while a followed partition's appended data waits for the flush its policy
 * asked for.  A fetch offset tells the leader what this replica holds, which under
 * a flush policy means what it has flushed, so the next Fetch (for every
 * partition: one that long-polls would hold the others back) is sent once the
 * flush completes (replica_fetchers_flushed), as when the fsync ran inline.
 * Asking for the flush again is free when one is queued.
 */
static bool flush_awaited(struct fetcher *f)
{
    bool awaited = false;
    for (int i = 0; i < f->nparts; i++) {
        struct partition *p = local_follower(f, &f->parts[i]);
        if (p && partition_flush_awaited(p, partition_leo(p) - 1)) {
            awaited = true;
            if (partition_sync_on_append(p))
                replica_manager_request_flush(f->rf->n->rm, p);
        }
    }
    return awaited;
}

/* Builds the Fetch for every partition ready to fetch; false when there is none. */
static bool build_request(struct fetcher *f, int64_t now, struct fetch_req *req)
{
    const struct broker_config *cfg = f->rf->n->cfg;
    proto_init_defaults(&proto_fetch_req_schema, req);
    req->replica_id = f->rf->n->node_id;
    req->max_wait_ms = cfg->replica_fetch_wait_max_ms;
    req->min_bytes = 1;
    req->max_bytes = cfg->replica_fetch_response_max_bytes;
    req->isolation_level = 0;
    req->session_id = 0;
    req->session_epoch = -1;
    req->rack_id.s = "";
    req->rack_id.len = 0;
    struct fetch_req_topic *topics = xcalloc((size_t)f->nparts + 1, sizeof *topics);
    int32_t nt = 0;
    for (int i = 0; i < f->nparts; i++) {
        struct followed *fp = &f->parts[i];
        fp->sent_epoch = -1;
        if (fp->backoff_until > now)
            continue;
        struct partition *p = local_follower(f, fp);
        if (!p)
            continue;
        struct fetch_req_topic *t = NULL;
        for (int32_t k = 0; k < nt && !t; k++)
            if (strcmp(topics[k].topic.s, fp->topic) == 0)
                t = &topics[k];
        if (!t) {
            t = &topics[nt++];
            t->topic.s = fp->topic;
            t->topic.len = (int32_t)strlen(fp->topic);
            t->partitions.v = xcalloc((size_t)f->nparts, sizeof *t->partitions.v);
        }
        struct fetch_req_partition *rp = &t->partitions.v[t->partitions.n++];
        rp->partition = fp->index;
        rp->current_leader_epoch = p->repl.leader_epoch;
        rp->fetch_offset = partition_leo(p);
        size_t ne = 0;
        storage_leader_epoch_entries(p->epochs, &ne);
        rp->last_fetched_epoch = ne > 0 ? storage_leader_epoch_latest(p->epochs) : -1;
        rp->log_start_offset = partition_log_start(p);
        rp->partition_max_bytes = cfg->replica_fetch_max_bytes;
        fp->sent_epoch = p->repl.leader_epoch;
        fp->sent_offset = rp->fetch_offset;
    }
    req->topics.v = topics;
    req->topics.n = nt;
    return nt > 0;
}

static void free_request(struct fetch_req *req)
{
    for (int32_t t = 0; t < req->topics.n; t++)
        free(req->topics.v[t].partitions.v);
    free(req->topics.v);
}

static void pump(struct fetcher *f)
{
    struct replica_fetchers *rf = f->rf;
    if (f->inflight || rf->closing)
        return;
    evtimer_del(f->timer);
    int64_t now = clock_mono_ms();
    const char *host;
    int port;
    if (f->nparts == 0)
        return;
    if (!leader_endpoint(f, &host, &port)) {
        LOG_DEBUG("broker", "replica fetcher: broker %d has no %s endpoint yet", f->leader_id,
                  rf->n->cfg->inter_broker_listener ? rf->n->cfg->inter_broker_listener : "(none)");
        back_off_all(f, now);
        schedule(f, now);
        return;
    }
    if (f->conn && (port != f->port || strcmp(host, f->host) != 0)) {
        kc_conn_free(f->conn);
        f->conn = NULL;
    }
    if (!f->conn) {
        char client_id[48];
        snprintf(client_id, sizeof client_id, "replica-fetcher-%d-%d", rf->n->node_id,
                 f->leader_id);
        f->conn = kc_conn_new(rf->n->base, host, port, client_id, MAX_RESPONSE_BYTES);
        free(f->host);
        f->host = xstrdup(host);
        f->port = port;
        if (!f->conn) {
            back_off_all(f, now);
            schedule(f, now);
            return;
        }
    }
    if (flush_awaited(f)) {
        schedule(f, now);
        return;
    }
    struct fetch_req req;
    if (!build_request(f, now, &req)) {
        free_request(&req);
        schedule(f, now);
        return;
    }
    int rc =
        kc_send(f->conn, KAPI_FETCH, FETCH_VERSION, true, &proto_fetch_req_schema, &req,
                &proto_fetch_resp_schema,
                REQUEST_TIMEOUT_MS + rf->n->cfg->replica_fetch_wait_max_ms, on_fetch_answer, f);
    free_request(&req);
    if (rc < 0) {
        LOG_ERROR("broker", "replica fetcher: cannot encode a Fetch for broker %d: %s",
                  f->leader_id, sl_strerror(rc));
        back_off_all(f, now);
        schedule(f, now);
        return;
    }
    f->inflight = true;
}

/* Applies one partition's answer; returns false when it must back off. */
static bool apply_partition(struct fetcher *f, struct followed *fp,
                            const struct fetch_resp_partition *rp, int64_t now_wall)
{
    struct partition *p = local_follower(f, fp);
    if (!p || p->repl.leader_epoch != fp->sent_epoch || partition_leo(p) != fp->sent_offset)
        return true; /* moved on meanwhile: the next fetch starts from the new state */
    switch (rp->error_code) {
    case KERR_NONE:
        break;
    case KERR_OFFSET_OUT_OF_RANGE:
        partition_follower_out_of_range(p, fp->sent_offset, rp->log_start_offset,
                                        rp->high_watermark);
        return false;
    default:
        /* NOT_LEADER_OR_FOLLOWER, FENCED/UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC...: the
         * metadata image will tell us who leads now. */
        LOG_DEBUG("broker", "%s-%d: fetch from leader %d: %s", p->topic, p->index, f->leader_id,
                  kafka_error_name(rp->error_code));
        return false;
    }
    if (rp->diverging_epoch.epoch >= 0 || rp->diverging_epoch.end_offset >= 0) {
        int rc = partition_truncate_diverging(p, rp->diverging_epoch.epoch,
                                              rp->diverging_epoch.end_offset);
        return rc == 0;
    }
    if (rp->records.len > 0 && rp->records.p) {
        int64_t appended = 0;
        int16_t e = partition_append_replica(p, rp->records.p, (size_t)rp->records.len, now_wall,
                                             &appended);
        if (appended > 0 && partition_sync_on_append(p))
            replica_manager_request_flush(f->rf->n->rm, p);
        if (e != KERR_NONE)
            return false;
    }
    partition_follower_update(p, rp->high_watermark, rp->log_start_offset);
    int64_t lag = rp->high_watermark - partition_leo(p);
    fp->lag = lag > 0 ? lag : 0;
    return true;
}

static void on_fetch_answer(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct fetcher *f = ctx;
    if (f->rf->closing)
        return;
    f->inflight = false;
    int64_t now = clock_mono_ms();
    const struct fetch_resp *r = resp;
    if (err < 0 || r->error_code != KERR_NONE) {
        if (!f->failing)
            LOG_WARN("broker", "replica fetch from broker %d failed: %s; retrying every %d ms",
                     f->leader_id, err < 0 ? sl_strerror(err) : kafka_error_name(r->error_code),
                     f->rf->n->cfg->replica_fetch_backoff_ms);
        f->failing = true;
        back_off_all(f, now);
        schedule(f, now);
        return;
    }
    if (f->failing)
        LOG_INFO("broker", "replica fetch from broker %d works again", f->leader_id);
    f->failing = false;
    int64_t wall = clock_wall_ms();
    for (int32_t t = 0; t < r->responses.n; t++) {
        const struct fetch_resp_topic *rt = &r->responses.v[t];
        char topic[256];
        if (!rt->topic.s || rt->topic.len <= 0 || (size_t)rt->topic.len >= sizeof topic)
            continue;
        memcpy(topic, rt->topic.s, (size_t)rt->topic.len);
        topic[rt->topic.len] = '\0';
        for (int32_t i = 0; i < rt->partitions.n; i++) {
            int k = find_part(f, topic, rt->partitions.v[i].partition_index);
            if (k < 0 || f->parts[k].sent_epoch < 0)
                continue;
            if (!apply_partition(f, &f->parts[k], &rt->partitions.v[i], wall))
                f->parts[k].backoff_until = now + f->rf->n->cfg->replica_fetch_backoff_ms;
            f->parts[k].sent_epoch = -1;
        }
    }
    pump(f);
}
