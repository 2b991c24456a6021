/*
 * Forwarding to the active controller (forward.h).  While no controller is
 * known (an election, a node that has just started) forwarded requests are
 * held, as Kafka's ForwardingManager queues them, and sent once one is known
 * (to this node's own CONTROLLER listener when it won), or the connection is
 * closed after FORWARD_TIMEOUT_MS so the client retries elsewhere.
 */
#include "forward.h"

#include <stdlib.h>
#include <string.h>

#include "api_controller.h"
#include "broker_config.h"
#include "clock.h"
#include "kafka.h"
#include "kafka_client.h"
#include "log.h"
#include "messages.h"
#include "broker.h"
#include "purgatory.h"
#include "quorum.h"
#include "request.h"
#include "xalloc.h"

#define FORWARD_TIMEOUT_MS 30000

/* The connection to `leader`'s CONTROLLER listener (this node's own one included). */
static struct kc_conn *conn_to(struct broker *n, int32_t leader)
{
    if (n->forward_conn && n->forward_to == leader)
        return n->forward_conn;
    forward_close(n);
    const struct broker_config *cfg = n->cfg;
    for (size_t i = 0; i < cfg->voters.n; i++) {
        if (cfg->voters.v[i].id != leader)
            continue;
        char client_id[32];
        snprintf(client_id, sizeof client_id, "forward-%d", n->node_id);
        n->forward_conn =
            kc_conn_new(n->base, cfg->voters.v[i].host, cfg->voters.v[i].port, client_id, 64 << 20);
        n->forward_to = leader;
        return n->forward_conn;
    }
    return NULL;
}

struct kc_conn *forward_controller_conn(struct broker *n)
{
    int32_t leader = n->quorum ? quorum_leader_id(n->quorum) : -1;
    if (leader < 0 || leader == n->node_id)
        return NULL;
    return conn_to(n, leader);
}

/*
 * One forwarded request: the decoded body stays in req's arena until the
 * controller answers, so it can be sent again (BrokerToControllerRequestThread
 * puts a request answered NOT_CONTROLLER back at the head of its queue).
 */
struct fwd {
    struct purgatory_op held_op; /* first; parked while held */
    struct request *req;
    const struct proto_schema *req_schema, *resp_schema;
    const void *body;
    int64_t deadline_ms;
    bool held;      /* has waited for a controller (not just arrived) */
    bool in_flight; /* sent: the controller's answer, not the purgatory, frees it */
};

static void fwd_hold(struct fwd *f, bool try_first);

/* Whether the controller refused the request as not (or no longer) the active controller. */
static bool answered_not_controller(int16_t api_key, const void *resp)
{
    switch (api_key) {
    case KAPI_CREATE_TOPICS: {
        const struct create_topics_resp *r = resp;
        for (int32_t i = 0; i < r->topics.n; i++)
            if (r->topics.v[i].error_code == KERR_NOT_CONTROLLER)
                return true;
        return false;
    }
    case KAPI_DELETE_TOPICS: {
        const struct delete_topics_resp *r = resp;
        for (int32_t i = 0; i < r->responses.n; i++)
            if (r->responses.v[i].error_code == KERR_NOT_CONTROLLER)
                return true;
        return false;
    }
    case KAPI_CREATE_PARTITIONS: {
        const struct create_partitions_resp *r = resp;
        for (int32_t i = 0; i < r->results.n; i++)
            if (r->results.v[i].error_code == KERR_NOT_CONTROLLER)
                return true;
        return false;
    }
    case KAPI_ALTER_CONFIGS:
    case KAPI_INCREMENTAL_ALTER_CONFIGS: {
        const struct alter_configs_resp *r = resp;
        for (int32_t i = 0; i < r->responses.n; i++)
            if (r->responses.v[i].error_code == KERR_NOT_CONTROLLER)
                return true;
        return false;
    }
    case PROTO_API_ELECT_LEADERS: {
        const struct elect_leaders_resp *r = resp;
        if (r->error_code == KERR_NOT_CONTROLLER)
            return true;
        for (int32_t i = 0; i < r->replica_election_results.n; i++)
            for (int32_t j = 0; j < r->replica_election_results.v[i].partition_result.n; j++)
                if (r->replica_election_results.v[i].partition_result.v[j].error_code ==
                    KERR_NOT_CONTROLLER)
                    return true;
        return false;
    }
    default:
        return false;
    }
}

static void on_response(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct fwd *f = ctx;
    struct request *req = f->req;
    f->in_flight = false;
    if (err < 0) {
        free(f);
        /* The controller went away mid-request: closing makes the client reconnect,
         * refresh its metadata and retry, as with a lost connection. */
        request_close_connection(req, "forwarding to the controller failed");
        return;
    }
    if (answered_not_controller(req->hdr.api_key, resp) && clock_mono_ms() < f->deadline_ms &&
        !request_conn_closed(req)) {
        /* Elected but not yet active, or already deposed: ask again once the quorum
         * says who leads (the request's own deadline still holds).  The connection
         * stays: other forwards may be in flight on it, and a new leader replaces it. */
        fwd_hold(f, false);
        return;
    }
    const struct proto_schema *schema = f->resp_schema;
    free(f);
    request_respond(req, schema, resp);
}

static bool fwd_send(struct kc_conn *c, struct fwd *f)
{
    struct request *req = f->req;
    int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
    return kc_send(c, key, ver, proto_api_controller_is_flexible(key, ver), f->req_schema, f->body,
                   f->resp_schema, FORWARD_TIMEOUT_MS, on_response, f) == 0;
}

/*
 * The connection to send forwarded requests on now, or NULL to keep holding
 * them: no leader known, or this node leads but its controller is not active
 * yet (the quorum names the leader before its epoch starts).
 */
static struct kc_conn *target(struct broker *n)
{
    int32_t leader = n->quorum ? quorum_leader_id(n->quorum) : -1;
    if (leader < 0 || (leader == n->node_id && !broker_is_controller(n)))
        return NULL;
    return conn_to(n, leader);
}

/* Shutdown, or the deadline passed: the client reconnects and retries. */
static void held_expire(struct purgatory_op *op)
{
    struct fwd *f = (struct fwd *)op;
    request_close_connection(f->req, "no active controller became known in time");
}

/* A controller became known (or the tick): send, or give up on a request past its time. */
static bool held_try_send(struct purgatory_op *op)
{
    struct fwd *f = (struct fwd *)op;
    if (f->held && (clock_mono_ms() >= f->deadline_ms || request_conn_closed(f->req))) {
        held_expire(op);
        return true;
    }
    struct kc_conn *c = target(f->req->node);
    if (!c || !fwd_send(c, f))
        return false;
    f->in_flight = true;
    return true;
}

static void held_release(struct purgatory_op *op)
{
    struct fwd *f = (struct fwd *)op;
    if (!f->in_flight)
        free(f);
}

static const struct purgatory_op_type held_type = {
    .kind = PURGATORY_FORWARD,
    .try_complete = held_try_send,
    .on_expire = held_expire,
    .release = held_release,
};

static const uint64_t controller_key = PURGATORY_KEY_CONTROLLER;

/*
 * Holds f until a controller is known; try_first sends it at once when one
 * is (a new request, not one the controller has just refused).  f may be
 * gone when this returns.
 */
static void fwd_hold(struct fwd *f, bool try_first)
{
    struct purgatory *pg = f->req->node->purgatory;
    int64_t deadline_us = f->deadline_ms * 1000;
    int16_t key = f->req->hdr.api_key;
    if (try_first && purgatory_add(pg, &f->held_op, &held_type, deadline_us, &controller_key, 1))
        return; /* sent, or expired by a closed purgatory */
    LOG_DEBUG("broker", "holding API %d until an active controller is known", key);
    if (try_first) {
        f->held = true;
        return;
    }
    f->held = true;
    purgatory_park(pg, &f->held_op, &held_type, deadline_us, &controller_key, 1);
}

bool forward_to_controller(struct request *req, const struct proto_schema *req_schema,
                           const void *body, const struct proto_schema *resp_schema)
{
    if (!proto_api_table_version_supported(&proto_controller_apis, req->hdr.api_key,
                                           req->hdr.api_version))
        return false;
    struct fwd *f = xcalloc(1, sizeof *f);
    f->req = req;
    f->req_schema = req_schema;
    f->resp_schema = resp_schema;
    f->body = body;
    f->deadline_ms = clock_mono_ms() + FORWARD_TIMEOUT_MS;
    fwd_hold(f, true);
    return true;
}

void forward_retry_held(struct broker *n)
{
    purgatory_check(n->purgatory, PURGATORY_KEY_CONTROLLER);
}

static void on_auto_created(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    char *topic = ctx;
    const struct create_topics_resp *r = resp;
    if (err < 0)
        LOG_WARN("broker", "auto-creating %s through the controller failed: %s", topic,
                 "no answer");
    else if (r->topics.n > 0 && r->topics.v[0].error_code != KERR_NONE &&
             r->topics.v[0].error_code != KERR_TOPIC_ALREADY_EXISTS)
        LOG_WARN("broker", "auto-creating %s failed: %s", topic,
                 kafka_error_name(r->topics.v[0].error_code));
    free(topic);
}

bool forward_auto_create(struct broker *n, const char *topic)
{
    struct kc_conn *c = forward_controller_conn(n);
    if (!c)
        return false;
    struct create_topics_req_topic t = {0};
    t.name = (struct kstr){topic, (int32_t)strlen(topic)};
    t.num_partitions = -1;
    t.replication_factor = -1;
    struct create_topics_req req = {0};
    req.topics.n = 1;
    req.topics.v = &t;
    req.timeout_ms = FORWARD_TIMEOUT_MS;
    const int16_t ver = 7;
    char *ctx = xstrdup(topic);
    if (kc_send(c, KAPI_CREATE_TOPICS, ver,
                proto_api_controller_is_flexible(KAPI_CREATE_TOPICS, ver),
                &proto_create_topics_req_schema, &req, &proto_create_topics_resp_schema,
                FORWARD_TIMEOUT_MS, on_auto_created, ctx) < 0) {
        free(ctx);
        return false;
    }
    return true;
}

void forward_close(struct broker *n)
{
    if (n->forward_conn) {
        struct kc_conn *c = n->forward_conn;
        n->forward_conn = NULL;
        kc_conn_free(c);
    }
    n->forward_to = -1;
}
