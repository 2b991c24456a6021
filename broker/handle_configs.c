/*
 * DescribeConfigs (32): topic configs (the topic's own overrides from the
 * metadata image, else the broker property they default from, else Kafka's
 * default) and broker configs (the broker configuration table), each with the
 * ConfigSource Kafka reports, synonyms (KIP-226, v1+) and types and
 * documentation (KIP-569, v3+).  Sensitive values are sent as null.
 */
#include <stdlib.h>
#include <string.h>

#include "broker_config.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "metadata_image.h"
#include "node.h"
#include "request.h"
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
    struct node *n = req->node;
    const char *topic = r->resource_name.s ? r->resource_name.s : "";
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
        const char *value =
            topic_config_effective(d, override, node_broker_config_lookup, n, &source);
        struct describe_configs_resp_config *c = &out->configs.v[out->configs.n++];
        c->name = request_kstr(req, d->name);
        c->is_sensitive = d->sensitive;
        c->value = request_kstr(req, d->sensitive ? NULL : value);
        c->read_only = false;
        c->config_source = source;
        c->is_default = source == TC_SOURCE_DEFAULT;
        c->config_type = (int8_t)d->type;
        if (dr->include_synonyms) {
            c->synonyms.v = request_alloc(req, 3, sizeof *c->synonyms.v);
            if (override)
                add_synonym(req, c, d->name, override, TC_SOURCE_DYNAMIC_TOPIC);
            int8_t bsrc = 0;
            const char *bval =
                d->broker_config ? node_broker_config_lookup(n, d->broker_config, &bsrc) : NULL;
            if (bval)
                add_synonym(req, c, d->broker_config, bval, bsrc);
            add_synonym(req, c, d->broker_config ? d->broker_config : d->name, d->default_value,
                        TC_SOURCE_DEFAULT);
        }
    }
}

static void describe_broker(struct request *req, const struct describe_configs_req *dr,
                            const struct describe_configs_req_resource *r,
                            struct describe_configs_resp_result *out)
{
    struct node *n = req->node;
    const char *name = r->resource_name.s ? r->resource_name.s : "";
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
