/*
 * DescribeConfigs (32): topic configs (the topic's own overrides from the
 * metadata image, else the broker property they default from, else Kafka's
 * default) and broker configs (the broker configuration table), each with the
 * ConfigSource Kafka reports, synonyms (KIP-226, v1+) and types and
 * documentation (KIP-569, v3+).  Sensitive values are sent as null.
 *
 * AlterConfigs (33) and IncrementalAlterConfigs (44, KIP-339): translated
 * into controller_alter_topic_configs and answered once the ConfigRecords
 * commit (KIP-500); a broker that is not the active controller forwards them
 * (forward.h, as CreateTopics does), NOT_CONTROLLER only when no controller
 * is known.  Topic resources only: dynamic broker configs are refused by the
 * controller with INVALID_REQUEST.
 */
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "controller.h"
#include "forward.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "metadata_image.h"
#include "broker.h"
#include "request.h"
#include "topic_name.h"
#include "topic_config.h"

#define RESOURCE_TOPIC  2
#define RESOURCE_BROKER 4

static bool wanted(const struct describe_configs_req_resource *r, const char *name)
{
    if (r->configuration_keys.n < 0)
        return true;
    for (int32_t i = 0; i < r->configuration_keys.n; i++)
        if (r->configuration_keys.v[i].s && strcmp(r->configuration_keys.v[i].s, name) == 0)
            return true;
    return false;
}

static void add_synonym(struct request *req, struct describe_configs_resp_config *c,
                        const char *name, const char *value, int8_t source)
{
    struct describe_configs_resp_synonym *s = &c->synonyms.v[c->synonyms.n++];
    s->name = request_kstr(req, name);
    s->value = request_kstr(req, c->is_sensitive ? NULL : value);
    s->source = source;
}

static void describe_topic(struct request *req, const struct describe_configs_req *dr,
                           const struct describe_configs_req_resource *r,
                           struct describe_configs_resp_result *out)
{
    struct broker *n = req->node;
    const char *topic = r->resource_name.s ? proto_kstr_cstr(r->resource_name, &req->arena) : "";
    if (!metadata_image_topic_by_name(n->image, topic)) {
        out->error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
        out->error_message = request_kstr(req, "unknown topic");
        return;
    }
    size_t nd = topic_config_count();
    out->configs.v = request_alloc(req, nd, sizeof *out->configs.v);
    for (size_t i = 0; i < nd; i++) {
        const struct topic_config_def *d = topic_config_at(i);
        if (!wanted(r, d->name))
            continue;
        const char *override = metadata_image_config(n->image, RESOURCE_TOPIC, topic, d->name);
        int8_t source = 0;
        char vbuf[TC_VALUE_BUF];
        const char *value = topic_config_effective(d, override, broker_config_lookup,
                                                   (void *)n->cfg, &source, vbuf);
        struct describe_configs_resp_config *c = &out->configs.v[out->configs.n++];
        c->name = request_kstr(req, d->name);
        c->is_sensitive = d->sensitive;
        c->value = request_kstr(req, d->sensitive ? NULL : value);
        c->read_only = false;
        c->config_source = source;
        c->is_default = source == TC_SOURCE_DEFAULT;
        c->config_type = (int8_t)d->type;
        if (dr->include_synonyms) {
            /* Kafka's ConfigHelper: the topic override, then each broker synonym in
             * precedence order with its raw value (log.retention.minutes=1, not
             * 60000), then that synonym's default when it has one. */
            struct topic_config_synonym syn[TC_MAX_SYNONYMS];
            size_t ns = topic_config_synonyms(d, syn);
            c->synonyms.v = request_alloc(req, 1 + 2 * TC_MAX_SYNONYMS, sizeof *c->synonyms.v);
            if (override)
                add_synonym(req, c, d->name, override, TC_SOURCE_DYNAMIC_TOPIC);
            for (size_t k = 0; k < ns; k++) {
                int8_t bsrc = 0;
                const char *bval =
                    broker_config_lookup((void *)n->cfg, syn[k].broker_config, &bsrc);
                if (bval)
                    add_synonym(req, c, syn[k].broker_config, bval, bsrc);
                if (syn[k].default_value)
                    add_synonym(req, c, syn[k].broker_config, syn[k].default_value,
                                TC_SOURCE_DEFAULT);
            }
            if (ns == 0)
                add_synonym(req, c, d->name, d->default_value, TC_SOURCE_DEFAULT);
        }
    }
}

static void describe_broker(struct request *req, const struct describe_configs_req *dr,
                            const struct describe_configs_req_resource *r,
                            struct describe_configs_resp_result *out)
{
    struct broker *n = req->node;
    const char *name = r->resource_name.s ? proto_kstr_cstr(r->resource_name, &req->arena) : "";
    char self[16];
    snprintf(self, sizeof self, "%d", n->node_id);
    if (name[0] == '\0') {
        /* The cluster-wide dynamic default: we have no dynamic broker configs. */
        out->configs.n = 0;
        return;
    }
    if (strcmp(name, self) != 0) {
        out->error_code = KERR_INVALID_REQUEST;
        out->error_message = request_kstr(req, "unexpected broker id");
        return;
    }
    size_t nk = broker_config_key_count();
    out->configs.v = request_alloc(req, nk, sizeof *out->configs.v);
    size_t it = 0;
    struct bcfg_entry e;
    while (broker_config_next(n->cfg, &it, &e)) {
        if (!wanted(r, e.key->name))
            continue;
        struct describe_configs_resp_config *c = &out->configs.v[out->configs.n++];
        c->name = request_kstr(req, e.key->name);
        c->value = request_kstr(req, e.value);
        c->read_only = e.key->read_only;
        c->config_source = broker_config_kafka_source(e.source);
        c->is_default = e.source == PROP_SRC_DEFAULT;
        c->config_type = broker_config_kafka_type(e.key->type);
        if (dr->include_documentation)
            c->documentation = request_kstr(req, e.key->doc);
        if (dr->include_synonyms) {
            c->synonyms.v = request_alloc(req, 1, sizeof *c->synonyms.v);
            add_synonym(req, c, e.key->name, e.value, c->config_source);
        }
    }
}

void handle_describe_configs(struct request *req)
{
    struct describe_configs_req *dr = request_decode_body(req, &proto_describe_configs_req_schema);
    if (!dr)
        return;
    struct describe_configs_resp *resp = request_alloc(req, 1, sizeof *resp);
    int32_t nr = dr->resources.n > 0 ? dr->resources.n : 0;
    resp->results.n = nr;
    resp->results.v = request_alloc(req, (size_t)nr, sizeof *resp->results.v);
    for (int32_t i = 0; i < nr; i++) {
        struct describe_configs_req_resource *r = &dr->resources.v[i];
        struct describe_configs_resp_result *out = &resp->results.v[i];
        out->resource_type = r->resource_type;
        out->resource_name = r->resource_name;
        if (r->resource_type == RESOURCE_TOPIC) {
            describe_topic(req, dr, r, out);
        } else if (r->resource_type == RESOURCE_BROKER) {
            describe_broker(req, dr, r, out);
        } else {
            out->error_code = KERR_INVALID_REQUEST;
            out->error_message = request_kstr(req, "unsupported resource type");
        }
    }
    request_respond(req, &proto_describe_configs_resp_schema, resp);
}

/* ---- AlterConfigs / IncrementalAlterConfigs ---- */

static const struct proto_schema *alter_resp_schema(const struct request *req)
{
    return req->hdr.api_key == KAPI_INCREMENTAL_ALTER_CONFIGS
               ? &proto_incremental_alter_configs_resp_schema
               : &proto_alter_configs_resp_schema;
}

static void on_configs_altered(void *ctx, const struct ctl_alter_configs_result *results, int32_t n)
{
    struct request *req = ctx;
    struct alter_configs_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->responses.n = n;
    resp->responses.v = request_alloc(req, (size_t)n, sizeof *resp->responses.v);
    for (int32_t i = 0; i < n; i++) {
        struct alter_configs_resp_result *o = &resp->responses.v[i];
        o->error_code = results[i].error_code;
        o->error_message = request_kstr(req, results[i].error_message);
        o->resource_type = results[i].resource_type;
        o->resource_name = request_kstr(req, results[i].resource_name);
    }
    request_respond(req, alter_resp_schema(req), resp);
}

/*
 * Forwards or submits `creq` (resources already translated).  body/schema:
 * the decoded request, for forwarding.
 */
static void alter_configs_submit(struct request *req, const struct proto_schema *schema,
                                 const void *body, const struct ctl_alter_configs_req *creq)
{
    if (!broker_is_controller(req->node) && request_forwarded(req) &&
        forward_to_controller(req, schema, body, alter_resp_schema(req)))
        return;
    if (!broker_is_controller(req->node)) {
        int32_t n = creq->nresources;
        struct ctl_alter_configs_result *res = request_alloc(req, (size_t)n, sizeof *res);
        for (int32_t i = 0; i < n; i++) {
            res[i].resource_type = creq->resources[i].resource_type;
            res[i].resource_name = creq->resources[i].resource_name;
            res[i].error_code = KERR_NOT_CONTROLLER;
        }
        on_configs_altered(req, res, n);
        return;
    }
    controller_alter_topic_configs(req->node->controller, creq, on_configs_altered, req);
}

void handle_incremental_alter_configs(struct request *req)
{
    struct incremental_alter_configs_req *ar =
        request_decode_body(req, &proto_incremental_alter_configs_req_schema);
    if (!ar)
        return;
    int32_t nr = ar->resources.n > 0 ? ar->resources.n : 0;
    struct ctl_alter_configs_resource *rs = request_alloc(req, (size_t)nr, sizeof *rs);
    for (int32_t i = 0; i < nr; i++) {
        const struct incremental_alter_configs_req_resource *r = &ar->resources.v[i];
        int32_t nc = r->configs.n > 0 ? r->configs.n : 0;
        struct ctl_alter_config *cf = request_alloc(req, (size_t)nc, sizeof *cf);
        for (int32_t k = 0; k < nc; k++) {
            /* Names and values are judged on their length (topic_name.h): one holding a
             * NUL byte is escaped, so it fails to match or parse instead of being cut. */
            cf[k].name =
                r->configs.v[k].name.s ? proto_kstr_cstr(r->configs.v[k].name, &req->arena) : "";
            cf[k].op = r->configs.v[k].config_operation;
            cf[k].value = proto_kstr_cstr(r->configs.v[k].value, &req->arena);
        }
        rs[i] = (struct ctl_alter_configs_resource){
            r->resource_type,
            r->resource_name.s ? proto_kstr_cstr(r->resource_name, &req->arena) : "", cf, nc};
    }
    struct ctl_alter_configs_req creq = {
        .resources = rs, .nresources = nr, .incremental = true, .validate_only = ar->validate_only};
    alter_configs_submit(req, &proto_incremental_alter_configs_req_schema, ar, &creq);
}

void handle_alter_configs(struct request *req)
{
    struct alter_configs_req *ar = request_decode_body(req, &proto_alter_configs_req_schema);
    if (!ar)
        return;
    int32_t nr = ar->resources.n > 0 ? ar->resources.n : 0;
    struct ctl_alter_configs_resource *rs = request_alloc(req, (size_t)nr, sizeof *rs);
    for (int32_t i = 0; i < nr; i++) {
        const struct alter_configs_req_resource *r = &ar->resources.v[i];
        int32_t nc = r->configs.n > 0 ? r->configs.n : 0;
        struct ctl_alter_config *cf = request_alloc(req, (size_t)nc, sizeof *cf);
        for (int32_t k = 0; k < nc; k++) {
            /* Names and values are judged on their length (topic_name.h): one holding a
             * NUL byte is escaped, so it fails to match or parse instead of being cut. */
            cf[k].name =
                r->configs.v[k].name.s ? proto_kstr_cstr(r->configs.v[k].name, &req->arena) : "";
            cf[k].op = CTL_CONFIG_SET;
            cf[k].value = proto_kstr_cstr(r->configs.v[k].value, &req->arena);
        }
        rs[i] = (struct ctl_alter_configs_resource){
            r->resource_type,
            r->resource_name.s ? proto_kstr_cstr(r->resource_name, &req->arena) : "", cf, nc};
    }
    struct ctl_alter_configs_req creq = {.resources = rs,
                                         .nresources = nr,
                                         .incremental = false,
                                         .validate_only = ar->validate_only};
    alter_configs_submit(req, &proto_alter_configs_req_schema, ar, &creq);
}
