/*
 * Group membership APIs (group_handlers.h): JoinGroup (11), Heartbeat (12),
 * LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16) and
 * DeleteGroups (42), as Kafka's KafkaApis and group coordinator answer them.
 * JoinGroup and SyncGroup park their request in the group state machine
 * (group_state.h) until the rebalance lets them through.
 */
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "group_coordinator.h"
#include "group_handlers.h"
#include "group_records.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "broker.h"
#include "request.h"

/* AclOperation bits of a group without an authorizer: READ (3), DELETE (6), DESCRIBE (8). */
#define GROUP_AUTHORIZED_OPERATIONS ((1 << 3) | (1 << 6) | (1 << 8))

struct req_waiter {
    struct group_waiter base; /* first */
    struct request *req;
};

static const char *str_or_empty(const char *s)
{
    return s ? s : "";
}

/* Kafka's rule for the group APIs: the group id must be a non-empty string (no NUL:
 * group_handlers.h). */
static bool group_id_valid(struct kstr id)
{
    return id.s && id.len > 0 && !group_ids_carry_nul(id);
}

/* The client's address as Kafka records it for members (InetAddress.toString()). */
static const char *client_host(const struct request *req)
{
    return request_client_host(req);
}

/* ---- JoinGroup ---- */

static void join_respond(struct group_waiter *w, const struct group_join_result *r)
{
    struct request *req = ((struct req_waiter *)w)->req;
    int16_t ver = req->hdr.api_version;
    struct join_group_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = r->error;
    resp->generation_id = r->generation;
    resp->protocol_type = request_kstr(req, r->protocol_type);
    /* ProtocolName is nullable from v7 only (KIP-559). */
    resp->protocol_name = request_kstr(req, r->protocol_name || ver >= 7 ? r->protocol_name : "");
    resp->leader = request_kstr(req, str_or_empty(r->leader));
    resp->skip_assignment = r->skip_assignment;
    resp->member_id = request_kstr(req, str_or_empty(r->member_id));
    resp->members.n = r->nmembers;
    resp->members.v = request_alloc(req, (size_t)r->nmembers, sizeof *resp->members.v);
    for (int i = 0; i < r->nmembers; i++) {
        struct join_group_resp_member *m = &resp->members.v[i];
        m->member_id = request_kstr(req, r->members[i].member_id);
        m->group_instance_id = request_kstr(req, r->members[i].instance_id);
        /* Encoded before this returns, while the group's bytes are still valid. */
        m->metadata = (struct kbytes){r->members[i].metadata, r->members[i].len, NULL};
        if (!m->metadata.p)
            m->metadata = (struct kbytes){(const uint8_t *)"", 0, NULL};
    }
    request_respond(req, &proto_join_group_resp_schema, resp);
}

static void join_fail(struct req_waiter *w, int16_t err, const char *member_id)
{
    struct group_join_result r = {
        .error = err, .generation = -1, .leader = "", .member_id = member_id};
    join_respond(&w->base, &r);
}

void handle_join_group(struct request *req)
{
    struct join_group_req *jr = request_decode_body(req, &proto_join_group_req_schema);
    if (!jr)
        return;
    int16_t ver = req->hdr.api_version;
    struct group_coordinator *gc = req->node->groups;
    struct req_waiter *w = request_alloc(req, 1, sizeof *w);
    w->base.join_done = join_respond;
    w->req = req;
    const char *member_id = str_or_empty(jr->member_id.s);
    if (!gc) {
        join_fail(w, KERR_COORDINATOR_NOT_AVAILABLE, member_id);
        return;
    }
    if (!group_id_valid(jr->group_id)) {
        join_fail(w, KERR_INVALID_GROUP_ID, member_id);
        return;
    }
    if (member_ids_carry_nul(jr->member_id, jr->group_instance_id)) {
        join_fail(w, KERR_UNKNOWN_MEMBER_ID, "");
        return;
    }
    struct group *g = NULL;
    int16_t err = group_coordinator_lookup(gc, jr->group_id.s, false, &g);
    if (err != KERR_NONE) {
        join_fail(w, err, member_id);
        return;
    }
    if (jr->session_timeout_ms < group_coordinator_min_session_timeout(gc) ||
        jr->session_timeout_ms > group_coordinator_max_session_timeout(gc)) {
        join_fail(w, KERR_INVALID_SESSION_TIMEOUT, member_id);
        return;
    }
    if (!g) {
        /* A group is created by a new member only; a known member id needs the group. */
        if (member_id[0]) {
            join_fail(w, KERR_UNKNOWN_MEMBER_ID, member_id);
            return;
        }
        group_coordinator_lookup(gc, jr->group_id.s, true, &g);
    }
    int32_t np = jr->protocols.n > 0 ? jr->protocols.n : 0;
    struct group_protocol_in *protos = request_alloc(req, (size_t)np, sizeof *protos);
    for (int32_t i = 0; i < np; i++) {
        protos[i].name = str_or_empty(jr->protocols.v[i].name.s);
        protos[i].metadata = jr->protocols.v[i].metadata.p;
        protos[i].len = jr->protocols.v[i].metadata.len;
    }
    struct group_join_args a = {
        .member_id = member_id,
        .instance_id = jr->group_instance_id.s,
        .client_id = str_or_empty(req->hdr.client_id.s),
        .client_host = client_host(req),
        .protocol_type = str_or_empty(jr->protocol_type.s),
        .session_timeout_ms = jr->session_timeout_ms,
        /* v0 has no rebalance timeout: the session timeout serves as one (KIP-62). */
        .rebalance_timeout_ms = ver == 0 ? jr->session_timeout_ms : jr->rebalance_timeout_ms,
        .protocols = protos,
        .nprotocols = np,
        .require_known_member_id = ver >= 4 && !jr->group_instance_id.s,
        .supports_skip_assignment = ver >= 9,
    };
    group_join(g, &a, &w->base, clock_wall_ms());
    group_coordinator_touch(gc, g);
}

/* ---- SyncGroup ---- */

static void sync_respond(struct group_waiter *w, const struct group_sync_result *r)
{
    struct request *req = ((struct req_waiter *)w)->req;
    struct sync_group_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = r->error;
    resp->protocol_type = request_kstr(req, r->protocol_type);
    resp->protocol_name = request_kstr(req, r->protocol_name);
    resp->assignment = (struct kbytes){r->assignment ? r->assignment : (const uint8_t *)"",
                                       r->assignment ? r->len : 0, NULL};
    request_respond(req, &proto_sync_group_resp_schema, resp);
}

static void sync_fail(struct req_waiter *w, int16_t err)
{
    struct group_sync_result r = {.error = err};
    sync_respond(&w->base, &r);
}

void handle_sync_group(struct request *req)
{
    struct sync_group_req *sr = request_decode_body(req, &proto_sync_group_req_schema);
    if (!sr)
        return;
    struct group_coordinator *gc = req->node->groups;
    struct req_waiter *w = request_alloc(req, 1, sizeof *w);
    w->base.sync_done = sync_respond;
    w->req = req;
    /* v5+ must name the protocol type and name (KIP-559). */
    if (req->hdr.api_version >= 5 && (!sr->protocol_type.s || !sr->protocol_name.s)) {
        sync_fail(w, KERR_INCONSISTENT_GROUP_PROTOCOL);
        return;
    }
    if (!gc) {
        sync_fail(w, KERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    if (!group_id_valid(sr->group_id)) {
        sync_fail(w, KERR_INVALID_GROUP_ID);
        return;
    }
    bool bad_assignment = false;
    for (int32_t i = 0; i < sr->assignments.n; i++)
        bad_assignment |= member_ids_carry_nul(sr->assignments.v[i].member_id, (struct kstr){0});
    if (member_ids_carry_nul(sr->member_id, sr->group_instance_id) || bad_assignment) {
        sync_fail(w, KERR_UNKNOWN_MEMBER_ID);
        return;
    }
    struct group *g = NULL;
    int16_t err = group_coordinator_lookup(gc, sr->group_id.s, false, &g);
    if (err == KERR_NONE && !g)
        err = KERR_UNKNOWN_MEMBER_ID;
    if (err != KERR_NONE) {
        sync_fail(w, err);
        return;
    }
    int32_t na = sr->assignments.n > 0 ? sr->assignments.n : 0;
    struct group_sync_assignment *as = request_alloc(req, (size_t)na, sizeof *as);
    for (int32_t i = 0; i < na; i++) {
        as[i].member_id = str_or_empty(sr->assignments.v[i].member_id.s);
        as[i].assignment = sr->assignments.v[i].assignment.p;
        as[i].len = sr->assignments.v[i].assignment.len;
    }
    struct group_sync_args a = {
        .member_id = str_or_empty(sr->member_id.s),
        .instance_id = sr->group_instance_id.s,
        .generation = sr->generation_id,
        .protocol_type = sr->protocol_type.s,
        .protocol_name = sr->protocol_name.s,
        .assignments = as,
        .nassignments = na,
    };
    group_sync(g, &a, &w->base, clock_wall_ms());
    group_coordinator_touch(gc, g);
}

/* ---- Heartbeat ---- */

void handle_heartbeat(struct request *req)
{
    struct heartbeat_req *hr = request_decode_body(req, &proto_heartbeat_req_schema);
    if (!hr)
        return;
    struct group_coordinator *gc = req->node->groups;
    struct heartbeat_resp *resp = request_alloc(req, 1, sizeof *resp);
    struct group *g = NULL;
    int16_t err;
    if (!gc) {
        err = KERR_COORDINATOR_NOT_AVAILABLE;
    } else if (!group_id_valid(hr->group_id)) {
        err = KERR_INVALID_GROUP_ID;
    } else if (member_ids_carry_nul(hr->member_id, hr->group_instance_id)) {
        err = KERR_UNKNOWN_MEMBER_ID;
    } else {
        err = group_coordinator_lookup(gc, hr->group_id.s, false, &g);
        /* While the group is loading Kafka answers heartbeats blindly with NONE. */
        if (err == KERR_COORDINATOR_LOAD_IN_PROGRESS)
            err = KERR_NONE;
        else if (err == KERR_NONE && !g)
            err = KERR_UNKNOWN_MEMBER_ID;
        else if (err == KERR_NONE) {
            err = group_heartbeat(g, str_or_empty(hr->member_id.s), hr->group_instance_id.s,
                                  hr->generation_id, clock_wall_ms());
            group_coordinator_touch(gc, g);
        }
    }
    resp->error_code = err;
    request_respond(req, &proto_heartbeat_resp_schema, resp);
}

/* ---- LeaveGroup ---- */

void handle_leave_group(struct request *req)
{
    struct leave_group_req *lr = request_decode_body(req, &proto_leave_group_req_schema);
    if (!lr)
        return;
    int16_t ver = req->hdr.api_version;
    struct group_coordinator *gc = req->node->groups;
    struct leave_group_resp *resp = request_alloc(req, 1, sizeof *resp);
    /* v0-2 name one member; v3+ a batch (KIP-345). */
    int n;
    struct group_leave_member *ms;
    if (ver < 3) {
        n = 1;
        ms = request_alloc(req, 1, sizeof *ms);
        ms[0].member_id = str_or_empty(lr->member_id.s);
        ms[0].instance_id = NULL;
    } else {
        n = lr->members.n > 0 ? lr->members.n : 0;
        ms = request_alloc(req, (size_t)n, sizeof *ms);
        for (int i = 0; i < n; i++) {
            ms[i].member_id = str_or_empty(lr->members.v[i].member_id.s);
            ms[i].instance_id = lr->members.v[i].group_instance_id.s;
            /* An id with a NUL byte names no member (group_handlers.h): "" finds none. */
            if (member_ids_carry_nul(lr->members.v[i].member_id,
                                     lr->members.v[i].group_instance_id)) {
                ms[i].member_id = "";
                ms[i].instance_id = NULL;
            }
        }
    }
    int16_t *errors = request_alloc(req, (size_t)n, sizeof *errors);
    int16_t top = KERR_NONE;
    struct group *g = NULL;
    if (!gc)
        top = KERR_COORDINATOR_NOT_AVAILABLE;
    else if (!group_id_valid(lr->group_id))
        top = KERR_INVALID_GROUP_ID;
    else if (ver < 3 && member_ids_carry_nul(lr->member_id, (struct kstr){0}))
        top = KERR_UNKNOWN_MEMBER_ID;
    else
        top = group_coordinator_lookup(gc, lr->group_id.s, false, &g);
    bool with_members = top == KERR_NONE;
    if (top == KERR_NONE && !g) {
        for (int i = 0; i < n; i++)
            errors[i] = KERR_UNKNOWN_MEMBER_ID;
    } else if (top == KERR_NONE) {
        top = group_leave(g, ms, n, errors, clock_wall_ms());
        with_members = top == KERR_NONE;
        group_coordinator_touch(gc, g);
    }
    if (with_members) {
        resp->members.n = n;
        resp->members.v = request_alloc(req, (size_t)n, sizeof *resp->members.v);
        for (int i = 0; i < n; i++) {
            resp->members.v[i].member_id = request_kstr(req, ms[i].member_id);
            resp->members.v[i].group_instance_id = request_kstr(req, ms[i].instance_id);
            resp->members.v[i].error_code = errors[i];
            if (ver >= 3 && member_ids_carry_nul(lr->members.v[i].member_id,
                                                 lr->members.v[i].group_instance_id)) {
                resp->members.v[i].member_id = lr->members.v[i].member_id;
                resp->members.v[i].group_instance_id = lr->members.v[i].group_instance_id;
                resp->members.v[i].error_code = KERR_UNKNOWN_MEMBER_ID;
            }
        }
    }
    /* Below v3 the one member's error is the answer's error. */
    resp->error_code = top != KERR_NONE || ver >= 3 || n == 0 ? top : errors[0];
    request_respond(req, &proto_leave_group_resp_schema, resp);
}

/* ---- DescribeGroups ---- */

static void describe_one(struct request *req, struct group_coordinator *gc, struct kstr id,
                         bool include_ops, struct describe_groups_resp_group *out)
{
    out->group_id = id.s ? id : request_kstr(req, ""); /* echoed with its length */
    out->authorized_operations = include_ops ? GROUP_AUTHORIZED_OPERATIONS : INT32_MIN;
    out->protocol_type = out->protocol_data = request_kstr(req, "");
    struct group *g = NULL;
    int16_t err = !gc ? KERR_COORDINATOR_NOT_AVAILABLE
                  : group_ids_carry_nul(id)
                      ? KERR_INVALID_GROUP_ID
                      : group_coordinator_lookup(gc, str_or_empty(id.s), false, &g);
    if (err != KERR_NONE) {
        out->error_code = err;
        out->group_state = request_kstr(req, "");
        return;
    }
    if (!g || g->state == GROUP_DEAD) {
        /* Up to v5 an unknown group is described as Dead without an error. */
        out->group_state = request_kstr(req, "Dead");
        return;
    }
    bool stable = g->state == GROUP_STABLE;
    out->group_state = request_kstr(req, group_state_name(g->state));
    out->protocol_type = request_kstr(req, str_or_empty(g->protocol_type));
    out->protocol_data = request_kstr(req, stable ? str_or_empty(g->protocol_name) : "");
    out->members.n = g->nmembers;
    out->members.v = request_alloc(req, (size_t)g->nmembers, sizeof *out->members.v);
    for (int i = 0; i < g->nmembers; i++) {
        const struct group_member *m = g->members[i];
        struct describe_groups_resp_member *om = &out->members.v[i];
        om->member_id = request_kstr(req, m->member_id);
        om->group_instance_id = request_kstr(req, m->instance_id);
        om->client_id = request_kstr(req, m->client_id);
        om->client_host = request_kstr(req, m->client_host);
        om->member_metadata = om->member_assignment = (struct kbytes){(const uint8_t *)"", 0, NULL};
        /* Metadata and assignment only for a Stable group, as Kafka. */
        if (stable) {
            int32_t len;
            const uint8_t *md = group_member_metadata(g, m, &len);
            if (md)
                om->member_metadata = (struct kbytes){md, len, NULL};
            if (m->assignment)
                om->member_assignment = (struct kbytes){m->assignment, m->assignment_len, NULL};
        }
    }
}

void handle_describe_groups(struct request *req)
{
    struct describe_groups_req *dr = request_decode_body(req, &proto_describe_groups_req_schema);
    if (!dr)
        return;
    struct describe_groups_resp *resp = request_alloc(req, 1, sizeof *resp);
    int32_t n = dr->groups.n > 0 ? dr->groups.n : 0;
    resp->groups.n = n;
    resp->groups.v = request_alloc(req, (size_t)n, sizeof *resp->groups.v);
    for (int32_t i = 0; i < n; i++)
        describe_one(req, req->node->groups, dr->groups.v[i], dr->include_authorized_operations,
                     &resp->groups.v[i]);
    request_respond(req, &proto_describe_groups_resp_schema, resp);
}

/* ---- ListGroups ---- */

struct list_ctx {
    struct request *req;
    const struct list_groups_req *lr;
    struct list_groups_resp *resp;
    int32_t cap;
};

static bool filter_match(const struct kstr *v, int32_t n, const char *s)
{
    if (n <= 0)
        return true;
    for (int32_t i = 0; i < n; i++)
        if (v[i].s && strcasecmp(v[i].s, s) == 0)
            return true;
    return false;
}

static void list_one(void *ctx, struct group *g)
{
    struct list_ctx *lc = ctx;
    const char *state = group_state_name(g->state);
    if (g->state == GROUP_DEAD ||
        !filter_match(lc->lr->states_filter.v, lc->lr->states_filter.n, state))
        return;
    /* Every group here is a classic group (KIP-848 types filter). */
    if (!filter_match(lc->lr->types_filter.v, lc->lr->types_filter.n, "classic"))
        return;
    struct list_groups_resp *resp = lc->resp;
    if (resp->groups.n == lc->cap)
        return;
    struct list_groups_resp_group *o = &resp->groups.v[resp->groups.n++];
    o->group_id = request_kstr(lc->req, g->id);
    o->protocol_type = request_kstr(lc->req, str_or_empty(g->protocol_type));
    o->group_state = request_kstr(lc->req, state);
    o->group_type = request_kstr(lc->req, "classic");
}

static void count_one(void *ctx, struct group *g)
{
    (void)g;
    (*(int32_t *)ctx)++;
}

void handle_list_groups(struct request *req)
{
    struct list_groups_req *lr = request_decode_body(req, &proto_list_groups_req_schema);
    if (!lr)
        return;
    struct group_coordinator *gc = req->node->groups;
    struct list_groups_resp *resp = request_alloc(req, 1, sizeof *resp);
    if (!gc) {
        resp->error_code = KERR_COORDINATOR_NOT_AVAILABLE;
    } else if (group_coordinator_loading(gc)) {
        resp->error_code = KERR_COORDINATOR_LOAD_IN_PROGRESS;
    } else {
        int32_t cap = 0;
        group_coordinator_foreach(gc, count_one, &cap);
        resp->groups.v = request_alloc(req, (size_t)cap, sizeof *resp->groups.v);
        struct list_ctx lc = {req, lr, resp, cap};
        group_coordinator_foreach(gc, list_one, &lc);
    }
    request_respond(req, &proto_list_groups_resp_schema, resp);
}

/* ---- DeleteGroups ---- */

struct delete_ctx {
    struct request *req;
    struct delete_groups_resp *resp;
    int pending;
};

struct delete_item {
    struct delete_ctx *dc;
    int32_t index;
};

static void delete_written(void *ctx, int16_t err, int64_t base_offset)
{
    (void)base_offset;
    struct delete_item *it = ctx;
    struct delete_ctx *dc = it->dc;
    dc->resp->results.v[it->index].error_code =
        err == KERR_NONE ? KERR_NONE : group_append_error(err);
    if (--dc->pending == 0)
        request_respond(dc->req, &proto_delete_groups_resp_schema, dc->resp);
}

/* Writes g's tombstones (every offset, then the group) and forgets g. */
static void delete_group(struct request *req, struct group_coordinator *gc, struct group *g,
                         struct delete_item *item)
{
    struct arena a = ARENA_INIT;
    int n;
    const struct group_offset **offs = group_offsets_sorted(g, &a, &n);
    struct group_write_record *recs = request_alloc(req, (size_t)n + 1, sizeof *recs);
    struct wbuf *keys = request_alloc(req, (size_t)n + 1, sizeof *keys);
    for (int i = 0; i <= n; i++) {
        wbuf_init(&keys[i], 64);
        if (i < n)
            group_records_offset_key(&keys[i], g->id, offs[i]->topic, offs[i]->partition);
        else
            group_records_group_key(&keys[i], g->id);
        recs[i] = (struct group_write_record){keys[i].data, (int32_t)keys[i].len, NULL, -1};
    }
    LOG_INFO("group", "%s: deleted (%d committed offset(s))", g->id, n);
    group_coordinator_write(gc, g, recs, n + 1, delete_written, item);
    for (int i = 0; i <= n; i++)
        wbuf_free(&keys[i]);
    arena_free(&a);
    group_coordinator_drop(gc, g);
}

void handle_delete_groups(struct request *req)
{
    struct delete_groups_req *dr = request_decode_body(req, &proto_delete_groups_req_schema);
    if (!dr)
        return;
    struct group_coordinator *gc = req->node->groups;
    struct delete_ctx *dc = request_alloc(req, 1, sizeof *dc);
    dc->req = req;
    dc->resp = request_alloc(req, 1, sizeof *dc->resp);
    int32_t n = dr->groups_names.n > 0 ? dr->groups_names.n : 0;
    dc->resp->results.n = n;
    dc->resp->results.v = request_alloc(req, (size_t)n, sizeof *dc->resp->results.v);
    /* Every write completes later, so counting down from 1 answers exactly once. */
    dc->pending = 1;
    int64_t now = clock_wall_ms();
    for (int32_t i = 0; i < n; i++) {
        const char *id = str_or_empty(dr->groups_names.v[i].s);
        struct delete_groups_resp_result *r = &dc->resp->results.v[i];
        r->group_id = dr->groups_names.v[i].s ? dr->groups_names.v[i] : request_kstr(req, id);
        struct group *g = NULL;
        int16_t err = !gc ? KERR_COORDINATOR_NOT_AVAILABLE
                      : group_ids_carry_nul(dr->groups_names.v[i])
                          ? KERR_INVALID_GROUP_ID
                          : group_coordinator_lookup(gc, id, false, &g);
        if (err == KERR_NONE && !g)
            err = KERR_GROUP_ID_NOT_FOUND;
        if (err == KERR_NONE)
            err = group_delete(g, now);
        r->error_code = err;
        if (err != KERR_NONE)
            continue;
        struct delete_item *item = request_alloc(req, 1, sizeof *item);
        item->dc = dc;
        item->index = i;
        dc->pending++;
        delete_group(req, gc, g, item);
    }
    if (--dc->pending == 0)
        request_respond(req, &proto_delete_groups_resp_schema, dc->resp);
}
