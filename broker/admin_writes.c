/*
 * Admin writes (admin_internal.h): create and delete topics, add partitions,
 * transfer partition leadership.  Each goes through the active controller
 * (KIP-500: the controller owns metadata) and is answered when the
 * controller's records commit, or 504 after ADMIN_WRITE_TIMEOUT_MS (the
 * change may still apply).  A node that is not the active controller answers
 * 503 naming the controller; forwarding comes with the multi-node controller.
 *
 * Bodies are JSON objects; unknown fields are rejected so that a typo
 * ("partition" for "partitions") is an error, not a silent default.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "broker_config.h"
#include "controller.h"
#include "kafka.h"
#include "metadata_image.h"
#include "node.h"
#include "xalloc.h"

#define MAX_CONFIGS 256

/* A write waiting for the controller. */
struct write_op {
    struct admin_request *r; /* NULL once answered by the timeout */
    struct event *timer;
    char *topic;
};

static void on_write_timeout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct write_op *op = arg;
    if (!op->r)
        return;
    admin_reply_error(op->r, 504,
                      "the controller did not commit the change within %d ms; it may still "
                      "be applied",
                      ADMIN_WRITE_TIMEOUT_MS);
    op->r = NULL;
}

static struct write_op *op_new(struct admin_request *r, const char *topic)
{
    struct write_op *op = xcalloc(1, sizeof *op);
    op->r = r;
    op->topic = xstrdup(topic);
    op->timer = evtimer_new(r->node->base, on_write_timeout, op);
    struct timeval tv = {ADMIN_WRITE_TIMEOUT_MS / 1000, (ADMIN_WRITE_TIMEOUT_MS % 1000) * 1000};
    evtimer_add(op->timer, &tv);
    return op;
}

/* Takes the request out of op (NULL when the timeout already answered) and frees op. */
static struct admin_request *op_finish(struct write_op *op)
{
    struct admin_request *r = op->r;
    event_free(op->timer);
    free(op->topic);
    free(op);
    return r;
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

static void on_topic_created(void *ctx, const struct ctl_create_topic_result *res, int32_t n)
{
    struct admin_request *r = op_finish(ctx);
    if (!r)
        return;
    if (n < 1) {
        admin_reply_error(r, 500, "the controller returned no result");
        return;
    }
    if (res[0].error_code != KERR_NONE) {
        admin_reply_kafka_error(r, res[0].error_code, res[0].error_message);
        return;
    }
    json_t *o = json_object();
    char id[UUID_STR_LEN + 1];
    uuid_to_string(&res[0].topic_id, id);
    json_object_set_new(o, "topic_name", json_string(res[0].name));
    json_object_set_new(o, "topic_id", json_string(id));
    json_object_set_new(o, "partitions_count", json_integer(res[0].num_partitions));
    json_object_set_new(o, "replication_factor", json_integer(res[0].replication_factor));
    json_t *cfg = json_object();
    for (int32_t i = 0; i < res[0].nconfigs; i++)
        json_object_set_new(cfg, res[0].configs[i].name,
                            res[0].configs[i].is_sensitive || !res[0].configs[i].value
                                ? json_null()
                                : json_string(res[0].configs[i].value));
    json_object_set_new(o, "configs", cfg);
    admin_reply_json(r, 201, o);
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
    } else if (admin_require_controller(r)) {
        struct ctl_create_topic t = {
            .name = json_string_value(name),
            .num_partitions = (int32_t)partitions,
            .replication_factor = (int16_t)rf,
            .configs = ce,
            .nconfigs = (int32_t)nc,
        };
        struct ctl_create_topics_req req = {
            .topics = &t, .ntopics = 1, .validate_only = vo && json_is_true(vo)};
        struct write_op *op = op_new(r, t.name);
        /* The request is copied: everything below may be freed once the call returns. */
        controller_create_topics(r->node->controller, &req, on_topic_created, op);
    }
    for (size_t k = 0; k < nc; k++)
        free(owned[k]);
    free(owned);
    free(ce);
    json_decref(j);
}

/* ---- DELETE /v1/topics/{t} ---- */

static void on_topic_deleted(void *ctx, const struct ctl_delete_topic_result *res, int32_t n)
{
    struct write_op *op = ctx;
    char *topic = xstrdup(op->topic);
    struct admin_request *r = op_finish(op);
    if (r) {
        if (n < 1) {
            admin_reply_error(r, 500, "the controller returned no result");
        } else if (res[0].error_code != KERR_NONE) {
            admin_reply_kafka_error(r, res[0].error_code, res[0].error_message);
        } else {
            json_t *o = json_object();
            char id[UUID_STR_LEN + 1];
            uuid_to_string(&res[0].topic_id, id);
            json_object_set_new(o, "topic_name", json_string(topic));
            json_object_set_new(o, "topic_id", json_string(id));
            json_object_set_new(o, "deleted", json_true());
            admin_reply_json(r, 200, o);
        }
    }
    free(topic);
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
    if (!admin_require_controller(r))
        return;
    struct ctl_delete_topic t = {.name = topic};
    struct write_op *op = op_new(r, topic);
    controller_delete_topics(r->node->controller, &t, 1, on_topic_deleted, op);
}

/* ---- POST /v1/topics/{t}/partitions ---- */

static void on_partitions_created(void *ctx, const struct ctl_create_partitions_result *res,
                                  int32_t n)
{
    struct write_op *op = ctx;
    char *topic = xstrdup(op->topic);
    struct admin_request *r = op_finish(op);
    if (r) {
        if (n < 1) {
            admin_reply_error(r, 500, "the controller returned no result");
        } else if (res[0].error_code != KERR_NONE) {
            admin_reply_kafka_error(r, res[0].error_code, res[0].error_message);
        } else {
            const struct mi_topic *t = metadata_image_topic_by_name(r->node->image, topic);
            json_t *o = json_object();
            json_object_set_new(o, "topic_name", json_string(topic));
            json_object_set_new(o, "partitions_count",
                                t ? json_integer(t->npartitions) : json_null());
            admin_reply_json(r, 200, o);
        }
    }
    free(topic);
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
    if (!admin_require_controller(r))
        return;
    struct ctl_create_partitions_topic t = {.name = topic, .count = (int32_t)count};
    struct ctl_create_partitions_req req = {
        .topics = &t, .ntopics = 1, .validate_only = validate_only};
    struct write_op *op = op_new(r, topic);
    controller_create_partitions(r->node->controller, &req, on_partitions_created, op);
}

/* ---- POST /v1/partitions/{t}/{p}/transfer_leadership?target=N ---- */

void admin_write_transfer_leadership(struct admin_request *r)
{
    struct node *n = r->node;
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
    const struct mi_topic *t = metadata_image_topic_by_name(n->image, topic);
    const struct mi_partition *mp = t ? metadata_image_partition(t, index) : NULL;
    if (!mp) {
        char msg[320];
        snprintf(msg, sizeof msg, "unknown topic-partition %.256s/%d", topic, index);
        admin_reply_kafka_error(r, KERR_UNKNOWN_TOPIC_OR_PARTITION, msg);
        return;
    }
    if (!mi_partition_has_replica(mp, target)) {
        admin_reply_error(r, 400, "node %d is not a replica of %s/%d", target, topic, index);
        return;
    }
    if (!admin_require_controller(r))
        return;
    json_t *extra = json_object();
    json_object_set_new(extra, "leader_id", json_integer(mp->leader));
    json_object_set_new(extra, "leader_epoch", json_integer(mp->leader_epoch));
    if (mp->leader == target) {
        /* Kafka's ElectLeaders answers ELECTION_NOT_NEEDED here (KIP-460). */
        json_object_set_new(extra, "kafka_error_code", json_integer(KERR_ELECTION_NOT_NEEDED));
        json_object_set_new(extra, "kafka_error", json_string("ELECTION_NOT_NEEDED"));
        admin_reply_error_extra(r, 409, extra, "node %d already leads %s/%d", target, topic, index);
        return;
    }
    const struct mi_broker *b = metadata_image_broker(n->image, target);
    if (!b || b->fenced || !mi_partition_in_isr(mp, target)) {
        json_object_set_new(extra, "kafka_error_code", json_integer(KERR_INELIGIBLE_REPLICA));
        json_object_set_new(extra, "kafka_error", json_string("INELIGIBLE_REPLICA"));
        admin_reply_error_extra(r, 409, extra,
                                "node %d cannot lead %s/%d: it is %s (only a live in-sync "
                                "replica can take leadership)",
                                target, topic, index,
                                !b          ? "not registered"
                                : b->fenced ? "fenced"
                                            : "not in the ISR");
        return;
    }
    /* The controller has no leader-change operation yet (a PartitionChangeRecord that moves
     * leadership to another ISR member): say so instead of pretending. */
    admin_reply_error_extra(r, 501, extra,
                            "leadership transfer is not supported by this controller yet; "
                            "%s/%d is still led by node %d",
                            topic, index, mp->leader);
}
