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
#include "node.h"
#include "kafka.h"
#include "kafka_client.h"
#include "log.h"
#include "messages.h"
#include "node.h"
#include "quorum.h"
#include "request.h"
#include "xalloc.h"

#define FORWARD_TIMEOUT_MS 30000

/* The connection to `leader`'s CONTROLLER listener (this node's own one included). */
static struct kc_conn *conn_to(struct node *n, int32_t leader)
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

struct kc_conn *forward_controller_conn(struct node *n)
{
    int32_t leader = n->quorum ? quorum_leader_id(n->quorum) : -1;
    if (leader < 0 || leader == n->node_id)
        return NULL;
    return conn_to(n, leader);
}

struct fwd {
    struct request *req;
    const struct proto_schema *resp_schema;
};

static void on_response(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct fwd *f = ctx;
    struct request *req = f->req;
    const struct proto_schema *schema = f->resp_schema;
    free(f);
    if (err < 0) {
        /* The controller went away mid-request: closing makes the client reconnect,
         * refresh its metadata and retry, as with a lost connection. */
        request_close_connection(req, "forwarding to the controller failed");
        return;
    }
    request_respond(req, schema, resp);
}

static bool send_to(struct kc_conn *c, struct request *req, const struct proto_schema *req_schema,
                    const void *body, const struct proto_schema *resp_schema)
{
    int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
    struct fwd *f = xcalloc(1, sizeof *f);
    f->req = req;
    f->resp_schema = resp_schema;
    if (kc_send(c, key, ver, proto_api_controller_is_flexible(key, ver), req_schema, body,
                resp_schema, FORWARD_TIMEOUT_MS, on_response, f) < 0) {
        free(f);
        return false;
    }
    return true;
}

/* A forwarded request waiting for a controller to be known. */
struct held {
    struct node_delayed parked; /* first */
    struct request *req;
    const struct proto_schema *req_schema, *resp_schema;
    const void *body; /* in req's arena */
    int64_t deadline_ms;
};

static void held_free(struct held *h)
{
    node_delayed_remove(&h->parked);
    free(h);
}

/* Shutdown, or the deadline passed: the client reconnects and retries. */
static void held_expire(struct node_delayed *d)
{
    struct held *h = (struct held *)d;
    struct request *req = h->req;
    held_free(h);
    request_close_connection(req, "no active controller became known in time");
}

bool forward_to_controller(struct request *req, const struct proto_schema *req_schema,
                           const void *body, const struct proto_schema *resp_schema)
{
    struct node *n = req->node;
    int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
    if (!proto_api_controller_version_supported(key, ver))
        return false;
    int32_t leader = n->quorum ? quorum_leader_id(n->quorum) : -1;
    if (leader >= 0) {
        struct kc_conn *c = forward_controller_conn(n);
        return c && send_to(c, req, req_schema, body, resp_schema);
    }
    struct held *h = xcalloc(1, sizeof *h);
    h->req = req;
    h->req_schema = req_schema;
    h->resp_schema = resp_schema;
    h->body = body;
    h->deadline_ms = clock_mono_ms() + FORWARD_TIMEOUT_MS;
    node_delayed_add(n, &h->parked, held_expire);
    h->parked.kind = "forward";
    LOG_DEBUG("broker", "holding API %d until a controller is known", key);
    return true;
}

void forward_retry_held(struct node *n)
{
    int32_t leader = n->quorum ? quorum_leader_id(n->quorum) : -1;
    int64_t now = clock_mono_ms();
    struct node_delayed *d = n->delayed.next;
    while (d != &n->delayed) {
        struct node_delayed *next = d->next;
        if (d->expire == held_expire) {
            struct held *h = (struct held *)d;
            struct kc_conn *c = leader >= 0 ? conn_to(n, leader) : NULL;
            if (c) {
                struct request *req = h->req;
                const struct proto_schema *qs = h->req_schema, *rs = h->resp_schema;
                const void *body = h->body;
                held_free(h);
                if (!send_to(c, req, qs, body, rs))
                    request_close_connection(req, "forwarding to the controller failed");
            } else if (now >= h->deadline_ms || request_conn_closed(h->req)) {
                held_expire(d);
            }
        }
        d = next;
    }
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

bool forward_auto_create(struct node *n, const char *topic)
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

void forward_close(struct node *n)
{
    if (n->forward_conn) {
        struct kc_conn *c = n->forward_conn;
        n->forward_conn = NULL;
        kc_conn_free(c);
    }
    n->forward_to = -1;
}
