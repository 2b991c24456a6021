/*
 * Topic administration: CreateTopics (19), DeleteTopics (20) and
 * CreatePartitions (37).  Requests are translated into controller operations
 * and answered once the controller's records have committed to the metadata
 * log (KIP-500: the controller owns metadata).  A broker that is not the
 * active controller forwards them to it (forward.h); NOT_CONTROLLER only when
 * no controller is known.
 */
#include <string.h>

#include "broker_config.h"
#include "controller.h"
#include "forward.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "broker.h"
#include "request.h"
#include "topic_name.h"

/* ---- CreateTopics ---- */

/*
 * A CreateTopics being answered.  Topics whose name or configs cannot be
 * carried as C strings (a NUL byte) or whose name is illegal are refused here,
 * on their length; the controller gets the others, in order, and its results
 * are merged back into request order.
 */
struct create_ctx {
    struct request *req;
    const struct create_topics_req *cr;
    int16_t *refused; /* per request topic: 0, or the error already decided */
    const char **why; /* its message */
};

static void on_topics_created(void *arg, const struct ctl_create_topic_result *results, int32_t n)
{
    struct create_ctx *ctx = arg;
    struct request *req = ctx->req;
    int32_t nt = ctx->cr->topics.n > 0 ? ctx->cr->topics.n : 0;
    struct create_topics_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->topics.n = nt;
    resp->topics.v = request_alloc(req, (size_t)nt, sizeof *resp->topics.v);
    int32_t next = 0;
    for (int32_t i = 0; i < nt; i++) {
        struct create_topics_resp_topic *ot = &resp->topics.v[i];
        if (ctx->refused[i] != KERR_NONE || next >= n) {
            ot->name = ctx->cr->topics.v[i].name;
            ot->error_code =
                ctx->refused[i] != KERR_NONE ? ctx->refused[i] : KERR_UNKNOWN_SERVER_ERROR;
            ot->error_message = request_kstr(req, ctx->why[i]);
            ot->num_partitions = -1;
            ot->replication_factor = -1;
            ot->configs.n = -1;
            continue;
        }
        const struct ctl_create_topic_result *r = &results[next++];
        ot->name = request_kstr(req, r->name);
        ot->topic_id = r->topic_id;
        ot->error_code = r->error_code;
        ot->error_message = request_kstr(req, r->error_message);
        ot->num_partitions = r->num_partitions;
        ot->replication_factor = r->replication_factor;
        if (r->error_code != KERR_NONE) {
            ot->configs.n = -1; /* Kafka sends null configs for failed topics (v5+) */
            continue;
        }
        ot->configs.n = r->nconfigs;
        ot->configs.v = request_alloc(req, (size_t)r->nconfigs, sizeof *ot->configs.v);
        for (int32_t c = 0; c < r->nconfigs; c++) {
            ot->configs.v[c].name = request_kstr(req, r->configs[c].name);
            ot->configs.v[c].value =
                request_kstr(req, r->configs[c].is_sensitive ? NULL : r->configs[c].value);
            ot->configs.v[c].read_only = r->configs[c].read_only;
            ot->configs.v[c].config_source = r->configs[c].source;
            ot->configs.v[c].is_sensitive = r->configs[c].is_sensitive;
        }
    }
    request_respond(req, &proto_create_topics_resp_schema, resp);
}

/*
 * What the controller cannot be asked about: an illegal name (checked on its
 * length, so "ab\0cd" is refused rather than created as "ab";
 * INVALID_TOPIC_EXCEPTION, Topic.validate) or a config name or value with a
 * NUL byte (INVALID_CONFIG: no config parses it).  Returns 0 when none.
 */
static int16_t create_refusal(struct request *req, const struct create_topics_req_topic *rt,
                              const char **why)
{
    enum proto_topic_name_check rc = proto_topic_name_check_kstr(rt->name);
    if (rc != PROTO_TOPIC_NAME_OK) {
        char buf[512];
        proto_topic_name_why(rc, rt->name.s, rt->name.s ? (size_t)rt->name.len : 0, buf,
                             sizeof buf);
        *why = request_kstr(req, buf).s;
        return KERR_INVALID_TOPIC_EXCEPTION;
    }
    for (int32_t c = 0; c < rt->configs.n; c++)
        if (proto_kstr_has_nul(rt->configs.v[c].name) ||
            proto_kstr_has_nul(rt->configs.v[c].value)) {
            *why = "Config names and values cannot contain a NUL byte";
            return KERR_INVALID_CONFIG;
        }
    return KERR_NONE;
}

void handle_create_topics(struct request *req)
{
    struct create_topics_req *cr = request_decode_body(req, &proto_create_topics_req_schema);
    if (!cr)
        return;
    int32_t nt = cr->topics.n > 0 ? cr->topics.n : 0;
    if (!broker_is_controller(req->node) && request_forwarded(req) &&
        forward_to_controller(req, &proto_create_topics_req_schema, cr,
                              &proto_create_topics_resp_schema))
        return;
    struct create_ctx *ctx = request_alloc(req, 1, sizeof *ctx);
    ctx->req = req;
    ctx->cr = cr;
    ctx->refused = request_alloc(req, (size_t)nt, sizeof *ctx->refused);
    ctx->why = request_alloc(req, (size_t)nt, sizeof *ctx->why);
    if (!broker_is_controller(req->node)) {
        for (int32_t i = 0; i < nt; i++)
            ctx->refused[i] = KERR_NOT_CONTROLLER;
        on_topics_created(ctx, NULL, 0);
        return;
    }
    struct ctl_create_topic *topics = request_alloc(req, (size_t)nt, sizeof *topics);
    int32_t nc_topics = 0;
    for (int32_t i = 0; i < nt; i++) {
        struct create_topics_req_topic *rt = &cr->topics.v[i];
        ctx->refused[i] = create_refusal(req, rt, &ctx->why[i]);
        if (ctx->refused[i] != KERR_NONE)
            continue;
        struct ctl_create_topic *t = &topics[nc_topics++];
        t->name = rt->name.s;
        t->num_partitions = rt->num_partitions;
        t->replication_factor = rt->replication_factor;
        int32_t na = rt->assignments.n > 0 ? rt->assignments.n : 0;
        struct ctl_assignment *as = request_alloc(req, (size_t)na, sizeof *as);
        for (int32_t a = 0; a < na; a++) {
            as[a].partition_index = rt->assignments.v[a].partition_index;
            as[a].broker_ids = rt->assignments.v[a].broker_ids.v;
            as[a].nbroker_ids =
                rt->assignments.v[a].broker_ids.n > 0 ? rt->assignments.v[a].broker_ids.n : 0;
        }
        t->assignments = as;
        t->nassignments = na;
        int32_t nc = rt->configs.n > 0 ? rt->configs.n : 0;
        struct ctl_config_entry *cfgs = request_alloc(req, (size_t)nc, sizeof *cfgs);
        for (int32_t c = 0; c < nc; c++) {
            cfgs[c].name = rt->configs.v[c].name.s ? rt->configs.v[c].name.s : "";
            cfgs[c].value = rt->configs.v[c].value.s;
        }
        t->configs = cfgs;
        t->nconfigs = nc;
    }
    struct ctl_create_topics_req creq = {
        .topics = topics, .ntopics = nc_topics, .validate_only = cr->validate_only};
    controller_create_topics(req->node->controller, &creq, on_topics_created, ctx);
}

/* ---- DeleteTopics ---- */

static void on_topics_deleted(void *ctx, const struct ctl_delete_topic_result *results, int32_t n)
{
    struct request *req = ctx;
    struct delete_topics_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->responses.n = n;
    resp->responses.v = request_alloc(req, (size_t)n, sizeof *resp->responses.v);
    for (int32_t i = 0; i < n; i++) {
        struct delete_topics_resp_topic *ot = &resp->responses.v[i];
        ot->name = request_kstr(req, results[i].name);
        ot->topic_id = results[i].topic_id;
        ot->error_code = results[i].error_code;
        ot->error_message = request_kstr(req, results[i].error_message);
    }
    request_respond(req, &proto_delete_topics_resp_schema, resp);
}

void handle_delete_topics(struct request *req)
{
    struct delete_topics_req *dr = request_decode_body(req, &proto_delete_topics_req_schema);
    if (!dr)
        return;
    bool by_struct = req->hdr.api_version >= 6;
    int32_t nt = by_struct ? dr->topics.n : dr->topic_names.n;
    if (nt < 0)
        nt = 0;
    struct ctl_delete_topic *topics = request_alloc(req, (size_t)nt, sizeof *topics);
    for (int32_t i = 0; i < nt; i++) {
        if (by_struct) {
            topics[i].name = proto_kstr_cstr(dr->topics.v[i].name, &req->arena);
            topics[i].topic_id = dr->topics.v[i].topic_id;
        } else {
            topics[i].name = proto_kstr_cstr(dr->topic_names.v[i], &req->arena);
        }
    }
    int16_t refuse = KERR_NONE;
    if (!req->node->cfg->delete_topic_enable)
        refuse = KERR_TOPIC_DELETION_DISABLED;
    else if (!broker_is_controller(req->node) && request_forwarded(req) &&
             forward_to_controller(req, &proto_delete_topics_req_schema, dr,
                                   &proto_delete_topics_resp_schema))
        return;
    else if (!broker_is_controller(req->node))
        refuse = KERR_NOT_CONTROLLER;
    if (refuse != KERR_NONE) {
        struct ctl_delete_topic_result *res = request_alloc(req, (size_t)nt, sizeof *res);
        for (int32_t i = 0; i < nt; i++) {
            res[i].name = topics[i].name;
            res[i].topic_id = topics[i].topic_id;
            res[i].error_code = refuse;
        }
        on_topics_deleted(req, res, nt);
        return;
    }
    controller_delete_topics(req->node->controller, topics, nt, on_topics_deleted, req);
}

/* ---- CreatePartitions ---- */

static void on_partitions_created(void *ctx, const struct ctl_create_partitions_result *results,
                                  int32_t n)
{
    struct request *req = ctx;
    struct create_partitions_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->results.n = n;
    resp->results.v = request_alloc(req, (size_t)n, sizeof *resp->results.v);
    for (int32_t i = 0; i < n; i++) {
        resp->results.v[i].name = request_kstr(req, results[i].name);
        resp->results.v[i].error_code = results[i].error_code;
        resp->results.v[i].error_message = request_kstr(req, results[i].error_message);
    }
    request_respond(req, &proto_create_partitions_resp_schema, resp);
}

void handle_create_partitions(struct request *req)
{
    struct create_partitions_req *cr =
        request_decode_body(req, &proto_create_partitions_req_schema);
    if (!cr)
        return;
    int32_t nt = cr->topics.n > 0 ? cr->topics.n : 0;
    if (!broker_is_controller(req->node) && request_forwarded(req) &&
        forward_to_controller(req, &proto_create_partitions_req_schema, cr,
                              &proto_create_partitions_resp_schema))
        return;
    if (!broker_is_controller(req->node)) {
        struct ctl_create_partitions_result *res = request_alloc(req, (size_t)nt, sizeof *res);
        for (int32_t i = 0; i < nt; i++) {
            res[i].name = cr->topics.v[i].name.s;
            res[i].error_code = KERR_NOT_CONTROLLER;
        }
        on_partitions_created(req, res, nt);
        return;
    }
    struct ctl_create_partitions_topic *topics = request_alloc(req, (size_t)nt, sizeof *topics);
    for (int32_t i = 0; i < nt; i++) {
        struct create_partitions_req_topic *rt = &cr->topics.v[i];
        topics[i].name = rt->name.s ? proto_kstr_cstr(rt->name, &req->arena) : "";
        topics[i].count = rt->count;
        int32_t na = rt->assignments.n > 0 ? rt->assignments.n : 0;
        struct ctl_assignment *as = request_alloc(req, (size_t)na, sizeof *as);
        for (int32_t a = 0; a < na; a++) {
            as[a].partition_index = -1;
            as[a].broker_ids = rt->assignments.v[a].broker_ids.v;
            as[a].nbroker_ids =
                rt->assignments.v[a].broker_ids.n > 0 ? rt->assignments.v[a].broker_ids.n : 0;
        }
        topics[i].assignments = na ? as : NULL;
        topics[i].nassignments = na;
    }
    struct ctl_create_partitions_req preq = {
        .topics = topics, .ntopics = nt, .validate_only = cr->validate_only};
    controller_create_partitions(req->node->controller, &preq, on_partitions_created, req);
}
