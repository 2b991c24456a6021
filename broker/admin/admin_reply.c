/*
 * Replies and helpers shared by the admin handlers (admin_internal.h): JSON
 * bodies, the {"error_code", "message"} error shape (Confluent REST style,
 * with the Kafka error beside it when there is one), the HTTP status of each
 * Kafka error, the not-the-controller answer, and small parsers.
 */
#include <event2/buffer.h>
#include <event2/http.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "kafka.h"
#include "broker.h"
#include "topic_name.h"
#include "xalloc.h"

void admin_reply_raw(struct admin_request *r, int status, const char *content_type,
                     const void *data, size_t len)
{
    struct evbuffer *b = evbuffer_new();
    if (len)
        evbuffer_add(b, data, len);
    admin_reply_buffer(r, status, content_type, b);
    evbuffer_free(b);
}

void admin_reply_json(struct admin_request *r, int status, json_t *body)
{
    char *text = NULL;
    if (r->conn) {
        text = json_dumps(body ? body : json_null(), JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) {
            json_decref(body);
            admin_reply_error(r, 500, "cannot encode the response");
            return;
        }
    }
    json_decref(body);
    size_t len = text ? strlen(text) : 0;
    struct evbuffer *b = evbuffer_new();
    evbuffer_add(b, text ? text : "", len);
    evbuffer_add(b, "\n", 1);
    free(text);
    admin_reply_buffer(r, status, "application/json", b);
    evbuffer_free(b);
}

static void reply_error_v(struct admin_request *r, int status, json_t *extra, const char *fmt,
                          va_list ap)
{
    if (!r->conn) { /* detached: nobody to answer */
        json_decref(extra);
        admin_request_free(r);
        return;
    }
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *o = json_object();
    json_object_set_new(o, "error_code", json_integer(status));
    json_object_set_new(o, "message", json_string(msg));
    if (extra) {
        json_object_update(o, extra);
        json_decref(extra);
    }
    admin_reply_json(r, status, o);
}

void admin_reply_error_extra(struct admin_request *r, int status, json_t *extra, const char *fmt,
                             ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(r, status, extra, fmt, ap);
    va_end(ap);
}

void admin_reply_error(struct admin_request *r, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_error_v(r, status, NULL, fmt, ap);
    va_end(ap);
}

int admin_kafka_error_status(int16_t e)
{
    switch (e) {
    case KERR_NONE:
        return 200;
    case KERR_INVALID_TOPIC_EXCEPTION:
    case KERR_INVALID_PARTITIONS:
    case KERR_INVALID_REPLICATION_FACTOR:
    case KERR_INVALID_REPLICA_ASSIGNMENT:
    case KERR_INVALID_CONFIG:
    case KERR_INVALID_REQUEST:
    case KERR_POLICY_VIOLATION:
        return 400;
    case KERR_TOPIC_DELETION_DISABLED:
    case KERR_CLUSTER_AUTHORIZATION_FAILED:
    case KERR_TOPIC_AUTHORIZATION_FAILED:
        return 403;
    case KERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KERR_UNKNOWN_TOPIC_ID:
    case KERR_GROUP_ID_NOT_FOUND:
        return 404;
    case KERR_TOPIC_ALREADY_EXISTS:
    case KERR_REASSIGNMENT_IN_PROGRESS:
    case KERR_ELECTION_NOT_NEEDED:
    case KERR_INELIGIBLE_REPLICA: /* leadership transfer to a replica that cannot lead now */
        return 409;
    case KERR_NOT_CONTROLLER:
    case KERR_NOT_COORDINATOR:
    case KERR_COORDINATOR_LOAD_IN_PROGRESS:
    case KERR_COORDINATOR_NOT_AVAILABLE:
    case KERR_LEADER_NOT_AVAILABLE:
    case KERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
    case KERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case KERR_BROKER_NOT_AVAILABLE:
        return 503;
    case KERR_REQUEST_TIMED_OUT:
        return 504;
    default:
        return 500;
    }
}

void admin_reply_kafka_error(struct admin_request *r, int16_t kerr, const char *message)
{
    admin_reply_kafka_error_extra(r, kerr, message, NULL);
}

void admin_reply_kafka_error_extra(struct admin_request *r, int16_t kerr, const char *message,
                                   json_t *extra)
{
    if (!r->conn) { /* detached (possibly at shutdown, with the quorum already closed) */
        json_decref(extra);
        admin_request_free(r);
        return;
    }
    int status = admin_kafka_error_status(kerr);
    const char *name = kafka_error_name(kerr);
    if (!extra)
        extra = json_object();
    json_object_set_new(extra, "kafka_error_code", json_integer(kerr));
    json_object_set_new(extra, "kafka_error", json_string(name ? name : "UNKNOWN"));
    if (kerr == KERR_NOT_CONTROLLER)
        json_object_set_new(extra, "controller_id",
                            admin_json_int_or_null(broker_controller_id(r->node)));
    admin_reply_error_extra(r, status, extra, "%s", message && *message ? message : name);
}

void admin_request_add_header(struct admin_request *r, const char *name, const char *value)
{
    char *line = xasprintf("%s%s: %s\r\n", r->extra_headers ? r->extra_headers : "", name, value);
    free(r->extra_headers);
    r->extra_headers = line;
}

const char *admin_query(struct admin_request *r, const char *key)
{
    return evhttp_find_header(&r->query, key);
}

void admin_reply_no_controller(struct admin_request *r)
{
    struct broker *n = r->node;
    int32_t ctl = broker_controller_id(n);
    json_t *extra = json_object();
    json_object_set_new(extra, "controller_id", admin_json_int_or_null(ctl));
    json_object_set_new(extra, "kafka_error_code", json_integer(KERR_NOT_CONTROLLER));
    json_object_set_new(extra, "kafka_error", json_string("NOT_CONTROLLER"));
    admin_request_add_header(r, "Retry-After", "1");
    admin_reply_error_extra(r, 503, extra,
                            "node %d is not the active controller and knows no other node that "
                            "is; retry once the metadata quorum has a leader",
                            n->node_id);
}

json_t *admin_json_ids(const int32_t *ids, int32_t n)
{
    json_t *a = json_array();
    for (int32_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(ids[i]));
    return a;
}

json_t *admin_json_int_or_null(int64_t v)
{
    return v < 0 ? json_null() : json_integer(v);
}

bool admin_parse_id(const char *s, int32_t *out)
{
    if (!s || !*s || strlen(s) > 10)
        return false;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > INT32_MAX)
        return false;
    *out = (int32_t)v;
    return true;
}

bool admin_topic_name_valid(const char *name, char *why, size_t whylen)
{
    size_t len = strlen(name);
    enum proto_topic_name_check rc = proto_topic_name_check(name, len);
    if (rc != PROTO_TOPIC_NAME_OK)
        proto_topic_name_why(rc, name, len, why, whylen);
    return rc == PROTO_TOPIC_NAME_OK;
}
