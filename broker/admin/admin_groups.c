/*
 * GET /v1/groups and /v1/groups/{g}: the consumer groups this node
 * coordinates (the groups of the __consumer_offsets partitions it leads,
 * group_coordinator.h), with Kafka's DescribeGroups / kafka-consumer-groups
 * names in snake_case.  A group coordinated by another node is answered 421
 * with that node's id (coordinator_id), as every node answers from its own
 * state; forwarding or merging arrives with the multi-node work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "group_coordinator.h"
#include "group_records.h"
#include "group_state.h"
#include "kafka.h"
#include "messages.h"
#include "metadata_image.h"
#include "broker.h"
#include "partition.h"
#include "replica_manager.h"
#include "xalloc.h"

#define OFFSETS_TOPIC "__consumer_offsets"

struct group_list {
    struct group **v;
    size_t n, cap;
};

static void collect(void *ctx, struct group *g)
{
    struct group_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = g;
}

static int cmp_groups(const void *a, const void *b)
{
    return strcmp((*(struct group *const *)a)->id, (*(struct group *const *)b)->id);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *group_summary(const struct broker *n, const struct group *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "group_id", json_string(g->id));
    json_object_set_new(o, "state", json_string(group_state_name(g->state)));
    json_object_set_new(o, "protocol_type", str_or_null(g->protocol_type));
    json_object_set_new(o, "protocol", str_or_null(g->protocol_name));
    json_object_set_new(o, "generation", json_integer(g->generation));
    json_object_set_new(o, "members_count", json_integer(g->nmembers));
    json_object_set_new(o, "coordinator_id", json_integer(n->node_id));
    json_object_set_new(o, "offsets_partition", json_integer(g->shard));
    return o;
}

void admin_view_groups(struct admin_request *r)
{
    struct broker *n = r->node;
    if (!n->groups) {
        admin_reply_error(r, 404, "node %d runs no group coordinator (it is not a broker)",
                          n->node_id);
        return;
    }
    struct group_list l = {0};
    group_coordinator_foreach(n->groups, collect, &l);
    if (l.n > 1)
        qsort(l.v, l.n, sizeof *l.v, cmp_groups);
    json_t *a = json_array();
    for (size_t i = 0; i < l.n; i++)
        json_array_append_new(a, group_summary(n, l.v[i]));
    free(l.v);
    json_t *o = json_object();
    /* Only the groups coordinated here: those of the __consumer_offsets partitions led here. */
    json_object_set_new(o, "node_id", json_integer(n->node_id));
    json_object_set_new(o, "loading", json_boolean(group_coordinator_loading(n->groups)));
    json_object_set_new(o, "groups", a);
    admin_reply_json(r, 200, o);
}

/* [{topic, partitions}] from a consumer-protocol assignment, or null when it is not one. */
static json_t *assignment_json(const struct group *g, const struct group_member *m)
{
    if (!g->protocol_type || strcmp(g->protocol_type, "consumer") != 0 || !m->assignment ||
        m->assignment_len < 2)
        return json_null();
    struct rbuf rb;
    rbuf_init(&rb, m->assignment, (size_t)m->assignment_len);
    int16_t version = rbuf_i16(&rb);
    if (version < 0)
        return json_null();
    if (version > PROTO_CONSUMER_PROTOCOL_MAX_VERSION)
        version = PROTO_CONSUMER_PROTOCOL_MAX_VERSION;
    struct arena a = ARENA_INIT;
    struct consumer_protocol_assignment as;
    json_t *out = json_null();
    if (proto_decode(&proto_consumer_protocol_assignment_schema, version, false, &rb, &as, &a) ==
        0) {
        out = json_array();
        for (int32_t t = 0; t < as.assigned_partitions.n; t++) {
            const struct consumer_protocol_topic_partition *tp = &as.assigned_partitions.v[t];
            json_t *e = json_object();
            json_object_set_new(e, "topic",
                                tp->topic.s ? json_stringn(tp->topic.s, (size_t)tp->topic.len)
                                            : json_null());
            json_object_set_new(e, "partitions",
                                admin_json_ids(tp->partitions.v, tp->partitions.n));
            json_array_append_new(out, e);
        }
    }
    arena_free(&a);
    return out;
}

static int cmp_offsets(const void *a, const void *b)
{
    const struct group_offset *x = *(const struct group_offset *const *)a;
    const struct group_offset *y = *(const struct group_offset *const *)b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Committed offsets with the lag behind the high watermark when this node leads the partition. */
static json_t *offsets_json(struct broker *n, const struct group *g)
{
    size_t cnt = g->offsets.count, k = 0;
    const struct group_offset **v = xcalloc(cnt ? cnt : 1, sizeof *v);
    size_t it = 0;
    const char *key;
    void *val;
    while (strmap_next(&g->offsets, &it, &key, &val) && k < cnt)
        v[k++] = val;
    qsort(v, k, sizeof *v, cmp_offsets);
    json_t *a = json_array();
    for (size_t i = 0; i < k; i++) {
        const struct group_offset *o = v[i];
        json_t *e = json_object();
        json_object_set_new(e, "topic", json_string(o->topic));
        json_object_set_new(e, "partition", json_integer(o->partition));
        json_object_set_new(e, "offset", json_integer(o->offset));
        json_object_set_new(e, "leader_epoch", admin_json_int_or_null(o->leader_epoch));
        json_object_set_new(e, "metadata", json_stringn(o->metadata, (size_t)o->metadata_len));
        json_object_set_new(e, "commit_timestamp", json_integer(o->commit_ts));
        struct partition *p = NULL;
        bool led = n->rm &&
                   replica_manager_lookup(n->rm, o->topic, o->partition, &p) == KERR_NONE &&
                   p->repl.is_leader;
        json_object_set_new(e, "high_watermark",
                            led ? json_integer(p->repl.high_watermark) : json_null());
        int64_t lag = led ? p->repl.high_watermark - o->offset : -1;
        json_object_set_new(e, "lag", led ? json_integer(lag < 0 ? 0 : lag) : json_null());
        json_array_append_new(a, e);
    }
    free(v);
    return a;
}

static json_t *group_detail(struct broker *n, const struct group *g)
{
    json_t *o = group_summary(n, g);
    json_object_set_new(o, "leader_id",
                        g->leader ? json_string(g->leader->member_id) : json_null());
    json_object_set_new(o, "state_timestamp", admin_json_int_or_null(g->state_ts));
    json_t *subs = json_null();
    if (g->subscribed_known) {
        subs = json_array();
        for (int i = 0; i < g->nsubscribed; i++)
            json_array_append_new(subs, json_string(g->subscribed[i]));
    }
    json_object_set_new(o, "subscribed_topics", subs);
    json_t *members = json_array();
    for (int i = 0; i < g->nmembers; i++) {
        const struct group_member *m = g->members[i];
        json_t *e = json_object();
        json_object_set_new(e, "member_id", json_string(m->member_id));
        json_object_set_new(e, "group_instance_id", str_or_null(m->instance_id));
        json_object_set_new(e, "client_id", str_or_null(m->client_id));
        json_object_set_new(e, "client_host", str_or_null(m->client_host));
        json_object_set_new(e, "session_timeout_ms", json_integer(m->session_timeout_ms));
        json_object_set_new(e, "rebalance_timeout_ms", json_integer(m->rebalance_timeout_ms));
        json_object_set_new(e, "is_leader", json_boolean(g->leader == m));
        json_object_set_new(e, "assignment", assignment_json(g, m));
        json_array_append_new(members, e);
    }
    json_object_set_new(o, "members", members);
    json_object_set_new(o, "offsets", offsets_json(n, g));
    return o;
}

/* The group lives on another node's partition (or nowhere yet): say which. */
static void reply_elsewhere(struct admin_request *r, const char *id)
{
    struct broker *n = r->node;
    const struct mi_topic *t = metadata_image_topic_by_name(n->image, OFFSETS_TOPIC);
    if (!t || t->npartitions <= 0) {
        admin_reply_error(r, 404, "no consumer group '%.200s' (no group has been created yet)", id);
        return;
    }
    int32_t part = group_records_partition_for(id, t->npartitions);
    int32_t leader = t->partitions[part].leader;
    json_t *extra = json_object();
    json_object_set_new(extra, "coordinator_id", admin_json_int_or_null(leader));
    json_object_set_new(extra, "offsets_partition", json_integer(part));
    if (leader < 0 || leader == n->node_id) {
        admin_request_add_header(r, "Retry-After", "1");
        admin_reply_error_extra(r, 503, extra,
                                "the coordinator of group '%.200s' (%s-%d) is not available yet",
                                id, OFFSETS_TOPIC, part);
        return;
    }
    admin_reply_error_extra(r, 421, extra,
                            "group '%.200s' is coordinated by node %d (%s-%d); ask that node", id,
                            leader, OFFSETS_TOPIC, part);
}

void admin_view_group(struct admin_request *r)
{
    struct broker *n = r->node;
    const char *id = r->params[0];
    if (!n->groups) {
        admin_reply_error(r, 404, "node %d runs no group coordinator (it is not a broker)",
                          n->node_id);
        return;
    }
    struct group *g = NULL;
    int16_t err = group_coordinator_lookup(n->groups, id, false, &g);
    if (err == KERR_NOT_COORDINATOR) {
        reply_elsewhere(r, id);
        return;
    }
    if (err == KERR_COORDINATOR_LOAD_IN_PROGRESS || err == KERR_COORDINATOR_NOT_AVAILABLE) {
        admin_request_add_header(r, "Retry-After", "1");
        admin_reply_kafka_error(r, err, "the group coordinator is not ready; retry");
        return;
    }
    if (err != KERR_NONE) {
        admin_reply_kafka_error(r, err, NULL);
        return;
    }
    if (!g || g->state == GROUP_DEAD) {
        admin_reply_error(r, 404, "no consumer group '%.200s'", id);
        return;
    }
    admin_reply_json(r, 200, group_detail(n, g));
}
