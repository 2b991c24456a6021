/*
 * Broker registration and heartbeats (broker_lifecycle.h).
 */
#include "broker_lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "api_controller.h"
#include "broker_config.h"
#include "clock.h"
#include "controller.h"
#include "kafka.h"
#include "kafka_client.h"
#include "log.h"
#include "messages.h"
#include "metadata_image.h"
#include "broker.h"
#include "replica_manager.h"
#include "quorum.h"
#include "xalloc.h"

#define REGISTRATION_VERSION  0
#define HEARTBEAT_VERSION     0
#define RETRY_MS              500
#define FENCED_HEARTBEAT_MS   250 /* while fenced and catching up, heartbeat sooner */
#define SHUTDOWN_HEARTBEAT_MS 50  /* while waiting for should_shut_down */

struct broker_lifecycle {
    struct broker *node;
    struct kc_conn *conn; /* to the remote active controller */
    int32_t conn_to;      /* its node id, -1 when none */
    uint64_t generation;  /* bumped when the connection is replaced: stale answers are ignored */
    bool inflight;
    int64_t last_sent_ms;
    bool fenced;
    bool shutting_down; /* heartbeats carry want_shutdown */
    bool may_exit;      /* the controller answered should_shut_down */
};

struct call_ctx {
    struct broker_lifecycle *bl;
    uint64_t generation;
};

static void drop_conn(struct broker_lifecycle *bl)
{
    bl->generation++;
    bl->inflight = false;
    if (bl->conn) {
        struct kc_conn *c = bl->conn;
        bl->conn = NULL;
        kc_conn_free(c);
    }
    bl->conn_to = -1;
}

struct broker_lifecycle *broker_lifecycle_new(struct broker *n)
{
    struct broker_lifecycle *bl = xcalloc(1, sizeof *bl);
    bl->node = n;
    bl->conn_to = -1;
    bl->fenced = true;
    return bl;
}

void broker_lifecycle_free(struct broker_lifecycle *bl)
{
    if (!bl)
        return;
    drop_conn(bl);
    free(bl);
}

/* ---- answers ---- */

static void handle_heartbeat_result(struct broker_lifecycle *bl, int16_t err, bool fenced,
                                    bool should_shut_down)
{
    struct broker *n = bl->node;
    if (err == KERR_NONE && bl->shutting_down && should_shut_down)
        bl->may_exit = true;
    if (err == KERR_NONE) {
        if (bl->fenced != fenced)
            LOG_INFO("broker", "broker %d is %s", n->node_id, fenced ? "fenced" : "unfenced");
        bl->fenced = fenced;
        return;
    }
    if (err == KERR_STALE_BROKER_EPOCH || err == KERR_BROKER_ID_NOT_REGISTERED) {
        LOG_WARN("broker", "controller answered %s to our heartbeat; registering again",
                 kafka_error_name(err));
        n->broker_epoch = -1;
    } else if (err == KERR_NOT_CONTROLLER) {
        drop_conn(bl);
    } else {
        LOG_WARN("broker", "heartbeat failed: %s", kafka_error_name(err));
    }
}

static void on_local_heartbeat(void *ctx, const struct ctl_heartbeat_result *r)
{
    struct broker_lifecycle *bl = ctx;
    bl->inflight = false;
    handle_heartbeat_result(bl, r->error_code, r->is_fenced, r->should_shut_down);
}

/*
 * The lifecycle an answer is for, or NULL when it needs no handling: it
 * belongs to an older connection (frees the call either way) or failed in
 * transit (the connection is dropped and the tick retries).
 */
static struct broker_lifecycle *take_answer(struct call_ctx *cc, int err)
{
    struct broker_lifecycle *bl = cc->bl;
    bool current = cc->generation == bl->generation;
    free(cc);
    if (!current)
        return NULL;
    bl->inflight = false;
    if (err < 0) {
        drop_conn(bl);
        return NULL;
    }
    return bl;
}

static void on_remote_heartbeat(void *arg, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct broker_lifecycle *bl = take_answer(arg, err);
    if (!bl)
        return;
    const struct broker_heartbeat_resp *r = resp;
    handle_heartbeat_result(bl, r->error_code, r->is_fenced, r->should_shut_down);
}

static void on_remote_registered(void *arg, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct broker_lifecycle *bl = take_answer(arg, err);
    if (!bl)
        return;
    const struct broker_registration_resp *r = resp;
    if (r->error_code != KERR_NONE) {
        LOG_WARN("broker", "broker registration refused: %s", kafka_error_name(r->error_code));
        if (r->error_code == KERR_NOT_CONTROLLER)
            drop_conn(bl);
        return;
    }
    bl->node->broker_epoch = r->broker_epoch;
    bl->fenced = true;
    LOG_INFO("broker", "registered as broker %d with epoch %lld (controller %d)", bl->node->node_id,
             (long long)r->broker_epoch, bl->conn_to);
}

/* ---- requests ---- */

static bool connect_to(struct broker_lifecycle *bl, int32_t controller)
{
    if (bl->conn && bl->conn_to == controller)
        return true;
    drop_conn(bl);
    const struct broker_config *cfg = bl->node->cfg;
    for (size_t i = 0; i < cfg->voters.n; i++) {
        if (cfg->voters.v[i].id != controller)
            continue;
        char client_id[32];
        snprintf(client_id, sizeof client_id, "broker-%d", bl->node->node_id);
        bl->conn = kc_conn_new(bl->node->base, cfg->voters.v[i].host, cfg->voters.v[i].port,
                               client_id, 1 << 20);
        bl->conn_to = bl->conn ? controller : -1;
        return bl->conn != NULL;
    }
    return false;
}

static void send_registration(struct broker_lifecycle *bl)
{
    struct broker *n = bl->node;
    const struct bcfg_listeners *adv = &n->cfg->advertised;
    struct broker_registration_req req = {0};
    req.broker_id = n->node_id;
    req.cluster_id = (struct kstr){n->cluster_id, (int32_t)strlen(n->cluster_id)};
    req.incarnation_id = n->incarnation_id;
    struct kraft_listener *ls = xcalloc(adv->n ? adv->n : 1, sizeof *ls);
    for (size_t i = 0; i < adv->n; i++) {
        ls[i].name = (struct kstr){adv->v[i].name, (int32_t)strlen(adv->v[i].name)};
        ls[i].host = (struct kstr){adv->v[i].host, (int32_t)strlen(adv->v[i].host)};
        ls[i].port = (uint16_t)adv->v[i].port;
        ls[i].security_protocol = 0; /* PLAINTEXT */
    }
    req.listeners.n = (int32_t)adv->n;
    req.listeners.v = ls;
    struct kraft_feature f = {{"metadata.version", 16}, 1, CONTROLLER_DEFAULT_METADATA_VERSION};
    req.features.n = 1;
    req.features.v = &f;
    req.rack = (struct kstr){n->cfg->broker_rack,
                             n->cfg->broker_rack ? (int32_t)strlen(n->cfg->broker_rack) : -1};
    req.previous_broker_epoch = -1;
    struct call_ctx *cc = xcalloc(1, sizeof *cc);
    cc->bl = bl;
    cc->generation = bl->generation;
    bl->inflight = true;
    if (kc_send(bl->conn, KAPI_BROKER_REGISTRATION, REGISTRATION_VERSION,
                proto_api_controller_is_flexible(KAPI_BROKER_REGISTRATION, REGISTRATION_VERSION),
                &proto_broker_registration_req_schema, &req, &proto_broker_registration_resp_schema,
                5000, on_remote_registered, cc) < 0) {
        bl->inflight = false;
        free(cc);
    }
    free(ls);
}

/*
 * A broker whose log dir failed asks to stay fenced (KIP-631 wantFence), so that
 * the controller moves its leaderships to replicas that can serve; once it shuts
 * down it asks for that only (a fenced broker is let go at once).
 */
static bool wants_fence(const struct broker_lifecycle *bl)
{
    /* Not ready to lead or follow before the initial catch-up (Kafka's readyToUnfence). */
    return !bl->shutting_down &&
           (!broker_metadata_caught_up(bl->node) || replica_manager_log_dir_offline(bl->node->rm));
}

static void send_heartbeat(struct broker_lifecycle *bl)
{
    struct broker *n = bl->node;
    struct broker_heartbeat_req req = {
        .broker_id = n->node_id,
        .broker_epoch = n->broker_epoch,
        .current_metadata_offset = metadata_image_offset(n->image),
        .want_shut_down = bl->shutting_down,
        .want_fence = wants_fence(bl),
    };
    struct call_ctx *cc = xcalloc(1, sizeof *cc);
    cc->bl = bl;
    cc->generation = bl->generation;
    bl->inflight = true;
    if (kc_send(bl->conn, KAPI_BROKER_HEARTBEAT, HEARTBEAT_VERSION,
                proto_api_controller_is_flexible(KAPI_BROKER_HEARTBEAT, HEARTBEAT_VERSION),
                &proto_broker_heartbeat_req_schema, &req, &proto_broker_heartbeat_resp_schema, 5000,
                on_remote_heartbeat, cc) < 0) {
        bl->inflight = false;
        free(cc);
    }
}

void broker_lifecycle_tick(struct broker_lifecycle *bl, int64_t now_ms)
{
    struct broker *n = bl->node;
    int32_t leader = quorum_leader_id(n->quorum);
    if (leader < 0 || bl->inflight)
        return;
    int64_t interval = n->cfg->broker_heartbeat_interval_ms;
    if (bl->fenced)
        interval = FENCED_HEARTBEAT_MS;
    if (bl->shutting_down)
        interval = SHUTDOWN_HEARTBEAT_MS;
    if (leader == n->node_id) {
        /* Our own controller: registration happens in the node when it becomes active;
         * heartbeats go straight to it. */
        drop_conn(bl);
        if (!broker_is_controller(n) || n->broker_epoch < 0 || now_ms - bl->last_sent_ms < interval)
            return;
        bl->last_sent_ms = now_ms;
        bl->inflight = true;
        controller_broker_heartbeat(n->controller, n->node_id, n->broker_epoch,
                                    metadata_image_offset(n->image), wants_fence(bl),
                                    bl->shutting_down, clock_mono_ms(), on_local_heartbeat, bl);
        return;
    }
    if (now_ms - bl->last_sent_ms < (n->broker_epoch < 0 ? RETRY_MS : interval))
        return;
    if (!connect_to(bl, leader))
        return;
    bl->last_sent_ms = now_ms;
    if (n->broker_epoch < 0)
        send_registration(bl);
    else
        send_heartbeat(bl);
}

void broker_lifecycle_begin_shutdown(struct broker_lifecycle *bl)
{
    bl->shutting_down = true;
    bl->last_sent_ms = 0; /* the next tick asks at once */
}

bool broker_lifecycle_may_exit(const struct broker_lifecycle *bl)
{
    return bl->may_exit;
}
