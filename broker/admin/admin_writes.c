/*
 * Admin writes (admin_internal.h): create and delete topics, add partitions,
 * transfer partition leadership.  Each goes through the active controller
 * (KIP-500: the controller owns metadata) and is answered when the
 * controller's records commit.
 *
 * On the active controller a write calls the controller directly.  Any other
 * node forwards it to the active controller's CONTROLLER listener, over the
 * connection brokers already keep for forwarding (forward.h; KIP-590,
 * KIP-919), with the Kafka request the controller serves there:
 * CreateTopics v7, DeleteTopics v6, CreatePartitions v3 and, for a
 * leadership transfer, ElectLeaders v2 with Sluice's targeted election type
 * and tagged target (msg_elect_leaders.h).  That was chosen over proxying
 * HTTP to the controller's admin listener: every controller serves it,
 * broker or not, no admin address has to be published, and a controller
 * that does not know the election type refuses it rather than electing
 * someone else.  Both paths map the controller's Kafka error to the same
 * HTTP status and body.  A forwarded write that succeeded is answered once
 * this node's own metadata image shows it (at most ADMIN_SETTLE_MS later),
 * so that a read from the same node right after it sees the change.
 *
 * 503 only when no active controller is known; 504 when the controller does
 * not answer within ADMIN_WRITE_TIMEOUT_MS; 502 when the connection to the
 * controller fails mid-request (for both, the change may still apply).
 *
 * Bodies are JSON objects; unknown fields are rejected so that a typo
 * ("partition" for "partitions") is an error, not a silent default.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "api_controller.h"
#include "broker_config.h"
#include "clock.h"
#include "controller.h"
#include "err.h"
#include "forward.h"
#include "kafka.h"
#include "kafka_client.h"
#include "messages.h"
#include "metadata_image.h"
#include "msg_elect_leaders.h"
#include "broker.h"
#include "xalloc.h"

#define MAX_CONFIGS 256

/* How long a forwarded write waits for this node's image, and how often it looks. */
#define ADMIN_SETTLE_MS      5000
#define ADMIN_SETTLE_POLL_MS 20

enum write_kind { W_CREATE, W_DELETE, W_PARTITIONS, W_TRANSFER };

/* A write waiting for the controller, then (forwarded) for this node's image. */
struct admin_write {
    struct admin_write *prev, *next; /* in the server's settling list */
    bool linked;
    struct broker *node;
    struct admin_request *r; /* NULL once answered by the timeout */
    struct event *timer;     /* the 504 deadline */
    struct event *poll;      /* the settle poll */
    enum write_kind kind;
    char *topic;
    int32_t partition, target, count;
    int32_t epoch_before; /* W_TRANSFER: the leader epoch this node knew when asked */
    struct uuid topic_id; /* W_CREATE, W_DELETE: the topic's id from the answer */
    bool validate_only;
    bool forwarded;
    json_t *reply; /* W_CREATE, W_DELETE: the success answer */
    int64_t settle_deadline_ms;
};

static void on_write_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct admin_write *op = arg;
    if (!op->r)
        return;
    admin_reply_error(op->r, 504,
                      "the controller did not commit the change within %d ms; it may still "
                      "be applied",
                      ADMIN_WRITE_TIMEOUT_MS);
    op->r = NULL;
}

static struct admin_write *op_new(struct admin_request *r, enum write_kind kind, const char *topic)
{
    struct admin_write *op = xcalloc(1, sizeof *op);
    op->node = r->node;
    op->r = r;
    op->kind = kind;
    op->topic = xstrdup(topic);
    op->partition = op->target = op->count = op->epoch_before = -1;
    op->timer = evtimer_new(r->node->base, on_write_timeout, op);
    struct timeval tv = {ADMIN_WRITE_TIMEOUT_MS / 1000, (ADMIN_WRITE_TIMEOUT_MS % 1000) * 1000};
    evtimer_add(op->timer, &tv);
    return op;
}

static void op_free(struct admin_write *op)
{
    if (op->linked) {
        struct admin_write **head = admin_server_settling(op->node);
        if (op->prev)
            op->prev->next = op->next;
        else if (head)
            *head = op->next;
        if (op->next)
            op->next->prev = op->prev;
    }
    if (op->timer)
        event_free(op->timer);
    if (op->poll)
        event_free(op->poll);
    json_decref(op->reply);
    free(op->topic);
    free(op);
}

/* The request, taken out of op (NULL when the timeout answered it). */
static struct admin_request *op_take(struct admin_write *op)
{
    struct admin_request *r = op->r;
    op->r = NULL;
    return r;
}

/* ---- answers ---- */

static const struct mi_partition *image_partition(struct broker *n, const char *topic, int32_t p)
{
    const struct mi_topic *t = metadata_image_topic_by_name(n->image, topic);
    return t ? metadata_image_partition(t, p) : NULL;
}

/* Whether this node's image shows the effect of the write. */
static bool settled(const struct admin_write *op)
{
    const struct mi_topic *t = metadata_image_topic_by_name(op->node->image, op->topic);
    switch (op->kind) {
    case W_CREATE:
        return op->validate_only || (t && uuid_equal(&t->id, &op->topic_id));
    case W_DELETE:
        return !t || !uuid_equal(&t->id, &op->topic_id);
    case W_PARTITIONS:
        return op->validate_only || !t || t->npartitions >= op->count;
    case W_TRANSFER: {
        const struct mi_partition *p = t ? metadata_image_partition(t, op->partition) : NULL;
        return !p || p->leader == op->target || p->leader_epoch > op->epoch_before;
    }
    }
    return true;
}

/* Sends the success answer and frees op. */
static void send_success(struct admin_write *op)
{
    struct admin_request *r = op_take(op);
    struct broker *n = op->node;
    json_t *o = op->reply;
    op->reply = NULL;
    int status = 200;
    if (op->kind == W_CREATE) {
        status = 201;
    } else if (op->kind == W_PARTITIONS) {
        const struct mi_topic *t = metadata_image_topic_by_name(n->image, op->topic);
        o = json_object();
        json_object_set_new(o, "topic_name", json_string(op->topic));
        json_object_set_new(o, "partitions_count", t ? json_integer(t->npartitions) : json_null());
    } else if (op->kind == W_TRANSFER) {
        const struct mi_partition *p = image_partition(n, op->topic, op->partition);
        o = json_object();
        json_object_set_new(o, "topic", json_string(op->topic));
        json_object_set_new(o, "partition_id", json_integer(op->partition));
        json_object_set_new(o, "leader_id", json_integer(p ? p->leader : op->target));
        json_object_set_new(o, "leader_epoch", p ? json_integer(p->leader_epoch) : json_null());
    }
    op_free(op);
    if (r)
        admin_reply_json(r, status, o);
    else
        json_decref(o);
}

static void on_settle_poll(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct admin_write *op = arg;
    if (settled(op) || clock_mono_ms() >= op->settle_deadline_ms) {
        send_success(op);
        return;
    }
    struct timeval tv = {0, ADMIN_SETTLE_POLL_MS * 1000};
    evtimer_add(op->poll, &tv);
}

/*
 * The controller accepted the write (`reply`, stolen, is the answer of
 * W_CREATE and W_DELETE; the others are built from the image): answer now,
 * or once this node's image shows the change when the write was forwarded.
 */
static void finish_ok(struct admin_write *op, json_t *reply)
{
    op->reply = reply;
    if (!op->r) {
        op_free(op);
        return;
    }
    struct admin_write **head = op->forwarded ? admin_server_settling(op->node) : NULL;
    if (!head || settled(op)) {
        send_success(op);
        return;
    }
    op->next = *head;
    if (op->next)
        op->next->prev = op;
    *head = op;
    op->linked = true;
    op->settle_deadline_ms = clock_mono_ms() + ADMIN_SETTLE_MS;
    op->poll = evtimer_new(op->node->base, on_settle_poll, op);
    struct timeval tv = {0, ADMIN_SETTLE_POLL_MS * 1000};
    evtimer_add(op->poll, &tv);
}

/* The controller refused the write: the Kafka error as HTTP, then frees op. */
static void finish_err(struct admin_write *op, int16_t kerr, const char *message)
{
    struct admin_request *r = op_take(op);
    if (r && op->kind == W_TRANSFER && kerr != KERR_NOT_CONTROLLER) {
        /* The partition's leadership as this node knows it, beside the error. */
        const struct mi_partition *p = image_partition(op->node, op->topic, op->partition);
        json_t *extra = json_object();
        json_object_set_new(extra, "leader_id", p ? json_integer(p->leader) : json_null());
        json_object_set_new(extra, "leader_epoch", p ? json_integer(p->leader_epoch) : json_null());
        admin_reply_kafka_error_extra(r, kerr, message, extra);
    } else if (r) {
        admin_reply_kafka_error(r, kerr, message);
    }
    op_free(op);
}

/* The forwarded request got no answer (err < 0 from the Kafka client). */
static void finish_transport(struct admin_write *op, int err)
{
    struct admin_request *r = op_take(op);
    int32_t ctl = broker_controller_id(op->node);
    if (r && err == SL_ETIMEOUT)
        admin_reply_error(r, 504,
                          "the controller (node %d) did not answer within %d ms; the change may "
                          "still be applied",
                          ctl, ADMIN_WRITE_TIMEOUT_MS);
    else if (r)
        admin_reply_error(r, 502,
                          "the request to the controller (node %d) failed (%s); the change may "
                          "or may not have been applied",
                          ctl, sl_strerror(err));
    op_free(op);
}

/*
 * Sends a write to the active controller.  Returns true when sent (the
 * callback owns op); otherwise answers 503 (no controller known) or 500,
 * frees op and returns false.
 */
static bool forward(struct admin_write *op, int16_t key, int16_t version,
                    const struct proto_schema *req_schema, const void *req,
                    const struct proto_schema *resp_schema, kc_response_cb cb)
{
    struct kc_conn *c = forward_controller_conn(op->node);
    if (!c) {
        struct admin_request *r = op_take(op);
        op_free(op);
        admin_reply_no_controller(r);
        return false;
    }
    op->forwarded = true;
    /* A little longer than our own deadline, so that the 504 comes from the timer. */
    if (kc_send(c, key, version, proto_api_controller_is_flexible(key, version), req_schema, req,
                resp_schema, ADMIN_WRITE_TIMEOUT_MS + 5000, cb, op) < 0) {
        struct admin_request *r = op_take(op);
        op_free(op);
        admin_reply_error(r, 500, "cannot encode the request to the controller");
        return false;
    }
    return true;
}

/* Stops the 504 timer once the controller answered. */
static void answered(struct admin_write *op)
{
    event_free(op->timer);
    op->timer = NULL;
}

void admin_writes_stop(struct broker *n)
{
    struct admin_write **head = admin_server_settling(n);
    while (head && *head)
        send_success(*head);
}

/*
 * Parses the body as a JSON object whose keys are all in `allowed`
 * (NULL-terminated).  Returns the object (owned by the caller), or NULL after
 * answering 400.
 */
static json_t *parse_body(struct admin_request *r, const char *const *allowed)
{
    if (!r->body || r->body_len == 0) {
        admin_reply_error(r, 400, "the request body must be a JSON object");
        return NULL;
    }
    json_error_t err;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &err);
    if (!j) {
        admin_reply_error(r, 400, "malformed JSON at line %d, column %d: %s", err.line, err.column,
                          err.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        admin_reply_error(r, 400, "the request body must be a JSON object");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        bool ok = false;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(key, *a) == 0)
                ok = true;
        if (!ok) {
            char list[256] = "";
            size_t used = 0;
            for (const char *const *a = allowed; *a && used < sizeof list; a++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                                         a == allowed ? "" : ", ", *a);
            admin_reply_error(r, 400, "unknown field \"%.64s\" (allowed: %s)", key, list);
            json_decref(j);
            return NULL;
        }
    }
    return j;
}

/* An optional integer field within [min, max]; *out keeps its default when absent. */
static bool int_field(struct admin_request *r, json_t *o, const char *name, int64_t min,
                      int64_t max, int64_t *out)
{
    json_t *v = json_object_get(o, name);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        admin_reply_error(r, 400, "\"%s\" must be an integer from %lld to %lld", name,
                          (long long)min, (long long)max);
        return false;
    }
    *out = json_integer_value(v);
    return true;
}

/* ---- POST /v1/topics ---- */

static json_t *created_json(const char *name, const struct uuid *id, int32_t partitions, int16_t rf)
{
    json_t *o = json_object();
    char ids[UUID_STR_LEN + 1];
    uuid_to_string(id, ids);
    json_object_set_new(o, "topic_name", json_string(name));
    json_object_set_new(o, "topic_id", json_string(ids));
    json_object_set_new(o, "partitions_count", json_integer(partitions));
    json_object_set_new(o, "replication_factor", json_integer(rf));
    return o;
}

static void on_topic_created(void *ctx, const struct ctl_create_topic_result *res, int32_t n)
{
    struct admin_write *op = ctx;
    answered(op);
    if (n < 1) {
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
        return;
    }
    if (res[0].error_code != KERR_NONE) {
        finish_err(op, res[0].error_code, res[0].error_message);
        return;
    }
    op->topic_id = res[0].topic_id;
    json_t *o = created_json(res[0].name, &res[0].topic_id, res[0].num_partitions,
                             res[0].replication_factor);
    json_t *cfg = json_object();
    for (int32_t i = 0; i < res[0].nconfigs; i++)
        json_object_set_new(cfg, res[0].configs[i].name,
                            res[0].configs[i].is_sensitive || !res[0].configs[i].value
                                ? json_null()
                                : json_string(res[0].configs[i].value));
    json_object_set_new(o, "configs", cfg);
    finish_ok(op, o);
}

static void on_topic_created_fwd(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct admin_write *op = ctx;
    answered(op);
    const struct create_topics_resp *cr = resp;
    if (err < 0) {
        finish_transport(op, err);
        return;
    }
    if (cr->topics.n < 1) {
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
        return;
    }
    const struct create_topics_resp_topic *t = &cr->topics.v[0];
    if (t->error_code != KERR_NONE) {
        finish_err(op, t->error_code, t->error_message.s);
        return;
    }
    op->topic_id = t->topic_id;
    json_t *o = created_json(op->topic, &t->topic_id, t->num_partitions, t->replication_factor);
    json_t *cfg = json_object();
    for (int32_t i = 0; i < t->configs.n; i++)
        if (t->configs.v[i].name.s)
            json_object_set_new(cfg, t->configs.v[i].name.s,
                                t->configs.v[i].is_sensitive || !t->configs.v[i].value.s
                                    ? json_null()
                                    : json_string(t->configs.v[i].value.s));
    json_object_set_new(o, "configs", cfg);
    finish_ok(op, o);
}

/* Sends a validated CreateTopics (one topic) to the local or remote controller. */
static void submit_create(struct admin_request *r, const struct ctl_create_topic *t,
                          bool validate_only)
{
    struct admin_write *op = op_new(r, W_CREATE, t->name);
    op->validate_only = validate_only;
    if (broker_is_controller(r->node)) {
        struct ctl_create_topics_req req = {
            .topics = t, .ntopics = 1, .validate_only = validate_only};
        /* The request is copied: everything it points to may be freed once the call returns. */
        controller_create_topics(r->node->controller, &req, on_topic_created, op);
        return;
    }
    struct create_topics_req_config *cfgs = xcalloc((size_t)t->nconfigs + 1, sizeof *cfgs);
    for (int32_t i = 0; i < t->nconfigs; i++) {
        cfgs[i].name = (struct kstr){t->configs[i].name, (int32_t)strlen(t->configs[i].name)};
        cfgs[i].value = (struct kstr){t->configs[i].value, (int32_t)strlen(t->configs[i].value)};
    }
    struct create_topics_req_topic rt = {0};
    rt.name = (struct kstr){t->name, (int32_t)strlen(t->name)};
    rt.num_partitions = t->num_partitions;
    rt.replication_factor = t->replication_factor;
    rt.configs.n = t->nconfigs;
    rt.configs.v = cfgs;
    struct create_topics_req req = {0};
    req.topics.n = 1;
    req.topics.v = &rt;
    req.timeout_ms = ADMIN_WRITE_TIMEOUT_MS;
    req.validate_only = validate_only;
    forward(op, KAPI_CREATE_TOPICS, 7, &proto_create_topics_req_schema, &req,
            &proto_create_topics_resp_schema, on_topic_created_fwd);
    free(cfgs);
}

void admin_write_create_topic(struct admin_request *r)
{
    static const char *const allowed[] = {"name",    "partitions",    "replication_factor",
                                          "configs", "validate_only", NULL};
    json_t *j = parse_body(r, allowed);
    if (!j)
        return;
    json_t *name = json_object_get(j, "name");
    if (!json_is_string(name)) {
        json_decref(j);
        admin_reply_error(r, 400, "\"name\" (the topic name, a string) is required");
        return;
    }
    char why[256];
    if (strlen(json_string_value(name)) != json_string_length(name)) {
        json_decref(j);
        admin_reply_error(r, 400, "the topic name contains a NUL character");
        return;
    }
    if (!admin_topic_name_valid(json_string_value(name), why, sizeof why)) {
        json_decref(j);
        admin_reply_error(r, 400, "%s", why);
        return;
    }
    int64_t partitions = -1, rf = -1;
    if (!int_field(r, j, "partitions", -1, INT32_MAX, &partitions) ||
        !int_field(r, j, "replication_factor", -1, INT16_MAX, &rf)) {
        json_decref(j);
        return;
    }
    if (partitions == 0 || rf == 0) {
        json_decref(j);
        admin_reply_error(r, 400, "\"%s\" must be at least 1 (or -1 for the broker default)",
                          partitions == 0 ? "partitions" : "replication_factor");
        return;
    }
    json_t *vo = json_object_get(j, "validate_only");
    if (vo && !json_is_boolean(vo)) {
        json_decref(j);
        admin_reply_error(r, 400, "\"validate_only\" must be a boolean");
        return;
    }
    json_t *configs = json_object_get(j, "configs");
    if (configs && !json_is_object(configs)) {
        json_decref(j);
        admin_reply_error(r, 400, "\"configs\" must be an object of config names to values");
        return;
    }
    size_t nc = configs ? json_object_size(configs) : 0;
    if (nc > MAX_CONFIGS) {
        json_decref(j);
        admin_reply_error(r, 400, "at most %d configs may be given", MAX_CONFIGS);
        return;
    }
    struct ctl_config_entry *ce = xcalloc(nc ? nc : 1, sizeof *ce);
    char **owned = xcalloc(nc ? nc : 1, sizeof *owned);
    size_t i = 0;
    const char *key;
    json_t *v;
    bool bad = false;
    if (configs) {
        json_object_foreach(configs, key, v)
        {
            ce[i].name = key;
            if (json_is_string(v))
                ce[i].value = json_string_value(v);
            else if (json_is_integer(v))
                ce[i].value = owned[i] = xasprintf("%lld", (long long)json_integer_value(v));
            else if (json_is_boolean(v))
                ce[i].value = json_is_true(v) ? "true" : "false";
            else
                bad = true;
            if (bad)
                break;
            i++;
        }
    }
    if (bad) {
        admin_reply_error(r, 400, "config \"%.64s\" must be a string, an integer or a boolean",
                          key);
    } else {
        struct ctl_create_topic t = {
            .name = json_string_value(name),
            .num_partitions = (int32_t)partitions,
            .replication_factor = (int16_t)rf,
            .configs = ce,
            .nconfigs = (int32_t)nc,
        };
        submit_create(r, &t, vo && json_is_true(vo));
    }
    for (size_t k = 0; k < nc; k++)
        free(owned[k]);
    free(owned);
    free(ce);
    json_decref(j);
}

/* ---- DELETE /v1/topics/{t} ---- */

static json_t *deleted_json(const char *topic, const struct uuid *id)
{
    json_t *o = json_object();
    char ids[UUID_STR_LEN + 1];
    uuid_to_string(id, ids);
    json_object_set_new(o, "topic_name", json_string(topic));
    json_object_set_new(o, "topic_id", json_string(ids));
    json_object_set_new(o, "deleted", json_true());
    return o;
}

static void on_topic_deleted(void *ctx, const struct ctl_delete_topic_result *res, int32_t n)
{
    struct admin_write *op = ctx;
    answered(op);
    if (n < 1) {
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
    } else if (res[0].error_code != KERR_NONE) {
        finish_err(op, res[0].error_code, res[0].error_message);
    } else {
        op->topic_id = res[0].topic_id;
        finish_ok(op, deleted_json(op->topic, &res[0].topic_id));
    }
}

static void on_topic_deleted_fwd(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct admin_write *op = ctx;
    answered(op);
    const struct delete_topics_resp *dr = resp;
    if (err < 0) {
        finish_transport(op, err);
    } else if (dr->responses.n < 1) {
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
    } else if (dr->responses.v[0].error_code != KERR_NONE) {
        finish_err(op, dr->responses.v[0].error_code, dr->responses.v[0].error_message.s);
    } else {
        op->topic_id = dr->responses.v[0].topic_id;
        finish_ok(op, deleted_json(op->topic, &dr->responses.v[0].topic_id));
    }
}

void admin_write_delete_topic(struct admin_request *r)
{
    const char *topic = r->params[0];
    if (!r->node->cfg->delete_topic_enable) {
        admin_reply_kafka_error(r, KERR_TOPIC_DELETION_DISABLED,
                                "Topic deletion is disabled (delete.topic.enable=false).");
        return;
    }
    char why[256];
    if (!admin_topic_name_valid(topic, why, sizeof why)) {
        admin_reply_error(r, 400, "%s", why);
        return;
    }
    struct admin_write *op = op_new(r, W_DELETE, topic);
    if (broker_is_controller(r->node)) {
        struct ctl_delete_topic t = {.name = topic};
        controller_delete_topics(r->node->controller, &t, 1, on_topic_deleted, op);
        return;
    }
    struct delete_topics_req_topic t = {.name = {topic, (int32_t)strlen(topic)}};
    struct delete_topics_req req = {0};
    req.topics.n = 1;
    req.topics.v = &t;
    req.timeout_ms = ADMIN_WRITE_TIMEOUT_MS;
    forward(op, KAPI_DELETE_TOPICS, 6, &proto_delete_topics_req_schema, &req,
            &proto_delete_topics_resp_schema, on_topic_deleted_fwd);
}

/* ---- POST /v1/topics/{t}/partitions ---- */

static void on_partitions_created(void *ctx, const struct ctl_create_partitions_result *res,
                                  int32_t n)
{
    struct admin_write *op = ctx;
    answered(op);
    if (n < 1)
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
    else if (res[0].error_code != KERR_NONE)
        finish_err(op, res[0].error_code, res[0].error_message);
    else
        finish_ok(op, NULL);
}

static void on_partitions_created_fwd(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct admin_write *op = ctx;
    answered(op);
    const struct create_partitions_resp *cr = resp;
    if (err < 0)
        finish_transport(op, err);
    else if (cr->results.n < 1)
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
    else if (cr->results.v[0].error_code != KERR_NONE)
        finish_err(op, cr->results.v[0].error_code, cr->results.v[0].error_message.s);
    else
        finish_ok(op, NULL);
}

void admin_write_create_partitions(struct admin_request *r)
{
    static const char *const allowed[] = {"count", "validate_only", NULL};
    const char *topic = r->params[0];
    json_t *j = parse_body(r, allowed);
    if (!j)
        return;
    int64_t count = -1;
    if (!int_field(r, j, "count", 1, INT32_MAX, &count)) {
        json_decref(j);
        return;
    }
    json_t *vo = json_object_get(j, "validate_only");
    bool validate_only = vo && json_is_true(vo);
    bool vo_bad = vo && !json_is_boolean(vo);
    json_decref(j);
    if (count < 0) {
        admin_reply_error(r, 400, "\"count\" (the new total number of partitions) is required");
        return;
    }
    if (vo_bad) {
        admin_reply_error(r, 400, "\"validate_only\" must be a boolean");
        return;
    }
    char why[256];
    if (!admin_topic_name_valid(topic, why, sizeof why)) {
        admin_reply_error(r, 400, "%s", why);
        return;
    }
    struct admin_write *op = op_new(r, W_PARTITIONS, topic);
    op->count = (int32_t)count;
    op->validate_only = validate_only;
    if (broker_is_controller(r->node)) {
        struct ctl_create_partitions_topic t = {.name = topic, .count = (int32_t)count};
        struct ctl_create_partitions_req req = {
            .topics = &t, .ntopics = 1, .validate_only = validate_only};
        controller_create_partitions(r->node->controller, &req, on_partitions_created, op);
        return;
    }
    struct create_partitions_req_topic t = {0};
    t.name = (struct kstr){topic, (int32_t)strlen(topic)};
    t.count = (int32_t)count;
    t.assignments.n = -1; /* null: the controller places the new replicas */
    struct create_partitions_req req = {0};
    req.topics.n = 1;
    req.topics.v = &t;
    req.timeout_ms = ADMIN_WRITE_TIMEOUT_MS;
    req.validate_only = validate_only;
    forward(op, KAPI_CREATE_PARTITIONS, 3, &proto_create_partitions_req_schema, &req,
            &proto_create_partitions_resp_schema, on_partitions_created_fwd);
}

/* ---- POST /v1/partitions/{t}/{p}/transfer_leadership?target=N ---- */

static void on_transferred(void *ctx, int16_t error_code, const struct ctl_elect_result *res,
                           int32_t n)
{
    struct admin_write *op = ctx;
    answered(op);
    if (error_code != KERR_NONE)
        finish_err(op, error_code, NULL);
    else if (n < 1)
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
    else if (res[0].error_code != KERR_NONE)
        finish_err(op, res[0].error_code, res[0].error_message);
    else
        finish_ok(op, NULL);
}

static void on_transferred_fwd(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct admin_write *op = ctx;
    answered(op);
    const struct elect_leaders_resp *er = resp;
    if (err < 0) {
        finish_transport(op, err);
        return;
    }
    if (er->error_code != KERR_NONE) {
        finish_err(op, er->error_code, NULL);
        return;
    }
    const struct elect_leaders_resp_partition *p = NULL;
    if (er->replica_election_results.n > 0 &&
        er->replica_election_results.v[0].partition_result.n > 0)
        p = &er->replica_election_results.v[0].partition_result.v[0];
    if (!p)
        finish_err(op, KERR_UNKNOWN_SERVER_ERROR, "the controller returned no result");
    else if (p->error_code != KERR_NONE)
        finish_err(op, p->error_code, p->error_message.s);
    else
        finish_ok(op, NULL);
}

void admin_write_transfer_leadership(struct admin_request *r)
{
    struct broker *n = r->node;
    const char *topic = r->params[0];
    int32_t index, target;
    const char *ts = admin_query(r, "target");
    if (!ts || !admin_parse_id(ts, &target)) {
        admin_reply_error(r, 400, "the query parameter target=<node id> is required");
        return;
    }
    if (!admin_parse_id(r->params[1], &index)) {
        admin_reply_error(r, 400, "invalid partition id '%s'", r->params[1]);
        return;
    }
    /* Everything else (unknown partition, non-replica, eligibility) is the controller's call,
     * made on its up-to-date image. */
    struct admin_write *op = op_new(r, W_TRANSFER, topic);
    op->partition = index;
    op->target = target;
    const struct mi_partition *mp = image_partition(n, topic, index);
    op->epoch_before = mp ? mp->leader_epoch : -1;
    if (broker_is_controller(n)) {
        struct ctl_elect_partition p = {topic, index};
        struct ctl_elect_leaders_req req = {.election_type = CTL_ELECTION_TARGET,
                                            .target = target,
                                            .partitions = &p,
                                            .npartitions = 1};
        controller_elect_leaders(n->controller, &req, on_transferred, op);
        return;
    }
    struct elect_leaders_req_topic t = {0};
    t.topic = (struct kstr){topic, (int32_t)strlen(topic)};
    t.partitions.n = 1;
    t.partitions.v = &index;
    struct elect_leaders_req req = {0};
    req.election_type = PROTO_ELECTION_TARGET;
    req.topic_partitions.n = 1;
    req.topic_partitions.v = &t;
    req.timeout_ms = ADMIN_WRITE_TIMEOUT_MS;
    req.target_leader = target;
    forward(op, PROTO_API_ELECT_LEADERS, 2, &proto_elect_leaders_req_schema, &req,
            &proto_elect_leaders_resp_schema, on_transferred_fwd);
}
