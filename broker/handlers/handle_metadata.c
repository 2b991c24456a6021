/*
 * Cluster discovery: Metadata (3), DescribeCluster (60) and FindCoordinator
 * (10), all answered from this node's metadata image.  Brokers are listed with
 * the endpoint of the listener the request arrived on (the docker
 * INTERNAL/EXTERNAL pattern); fenced brokers are left out, as KRaft's
 * MetadataCache does.  Metadata auto-creates unknown topics when
 * auto.create.topics.enable and the request allow it, answering
 * LEADER_NOT_AVAILABLE until the topic exists; at most
 * AUTO_CREATE_MAX_PER_REQUEST per request, the rest wait for the retry.
 */
#include <string.h>

#include "api_table.h"
#include "broker_config.h"
#include "controller.h"
#include "forward.h"
#include "group_coordinator.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "metadata_image.h"
#include "broker.h"
#include "request.h"
#include "topic_name.h"

/*
 * At most this many unknown topics are auto-created per Metadata request;
 * the rest are answered LEADER_NOT_AVAILABLE, which clients retry, and are
 * created by a later request.  Creating a topic opens its partitions' logs
 * on the event loop, so thousands in one request would stall every other
 * client (Kafka forwards the whole set as one CreateTopics to the
 * controller; here the controller may be this very loop).
 */
#define AUTO_CREATE_MAX_PER_REQUEST 100

static const struct mi_endpoint *endpoint_for(const struct mi_broker *b, const char *listener)
{
    for (int32_t i = 0; i < b->nendpoints; i++)
        if (strcasecmp(b->endpoints[i].name, listener) == 0)
            return &b->endpoints[i];
    return NULL;
}

static bool broker_alive(const struct metadata_image *img, int32_t id)
{
    const struct mi_broker *b = metadata_image_broker(img, id);
    return b && !b->fenced;
}

static void fill_ids(struct request *req, const int32_t *ids, int32_t n, int32_t *out_n,
                     int32_t **out_v)
{
    *out_n = n;
    *out_v = request_alloc(req, (size_t)n, sizeof **out_v);
    if (n > 0)
        memcpy(*out_v, ids, sizeof **out_v * (size_t)n);
}

static void fill_topic(struct request *req, const struct metadata_image *img,
                       const struct mi_topic *t, struct metadata_resp_topic *ot)
{
    ot->name = request_kstr(req, t->name);
    ot->topic_id = t->id;
    ot->is_internal = strncmp(t->name, "__", 2) == 0;
    ot->topic_authorized_operations = INT32_MIN;
    ot->partitions.n = t->npartitions;
    ot->partitions.v = request_alloc(req, (size_t)t->npartitions, sizeof *ot->partitions.v);
    for (int32_t i = 0; i < t->npartitions; i++) {
        const struct mi_partition *mp = &t->partitions[i];
        struct metadata_resp_partition *op = &ot->partitions.v[i];
        op->partition_index = mp->partition_id;
        op->leader_id = mp->leader;
        op->leader_epoch = mp->leader_epoch;
        op->error_code = mp->leader < 0 ? KERR_LEADER_NOT_AVAILABLE : KERR_NONE;
        fill_ids(req, mp->replicas, mp->nreplicas, &op->replica_nodes.n, &op->replica_nodes.v);
        fill_ids(req, mp->isr, mp->nisr, &op->isr_nodes.n, &op->isr_nodes.v);
        op->offline_replicas.v = request_alloc(req, (size_t)mp->nreplicas, sizeof(int32_t));
        op->offline_replicas.n = 0;
        for (int32_t r = 0; r < mp->nreplicas; r++)
            if (!broker_alive(img, mp->replicas[r]))
                op->offline_replicas.v[op->offline_replicas.n++] = mp->replicas[r];
    }
}

static void on_auto_created(void *ctx, const struct ctl_create_topic_result *results, int32_t n)
{
    (void)ctx;
    for (int32_t i = 0; i < n; i++)
        if (results[i].error_code != KERR_NONE &&
            results[i].error_code != KERR_TOPIC_ALREADY_EXISTS)
            LOG_WARN("broker", "auto-creating topic %s failed: %s", results[i].name,
                     results[i].error_message ? results[i].error_message
                                              : kafka_error_name(results[i].error_code));
}

/*
 * Starts creating the `n` topics in `names` (legal, distinct) with the broker
 * defaults (auto.create.topics.enable), as one CreateTopics on the active
 * controller, or one forwarded CreateTopics per topic from another broker.
 * Writes each topic's answer (LEADER_NOT_AVAILABLE while it is being created,
 * UNKNOWN_TOPIC_OR_PARTITION when no controller can be asked) into errs.
 */
static void auto_create(struct request *req, const char **names, int32_t n, int16_t *errs)
{
    struct broker *node = req->node;
    if (n == 0)
        return;
    if (!broker_is_controller(node)) {
        for (int32_t i = 0; i < n; i++)
            errs[i] = forward_auto_create(node, names[i]) ? KERR_LEADER_NOT_AVAILABLE
                                                          : KERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    struct ctl_create_topic *t = request_alloc(req, (size_t)n, sizeof *t);
    for (int32_t i = 0; i < n; i++) {
        t[i] = (struct ctl_create_topic){
            .name = names[i], .num_partitions = -1, .replication_factor = -1};
        errs[i] = KERR_LEADER_NOT_AVAILABLE;
        LOG_INFO("broker", "auto-creating topic %s", names[i]);
    }
    struct ctl_create_topics_req cr = {.topics = t, .ntopics = n};
    controller_create_topics(node->controller, &cr, on_auto_created, NULL);
}

static void fill_brokers(struct request *req, struct metadata_resp *resp)
{
    const struct metadata_image *img = req->node->image;
    const char *listener = request_listener_name(req);
    size_t nb = metadata_image_broker_count(img);
    resp->brokers.v = request_alloc(req, nb, sizeof *resp->brokers.v);
    resp->brokers.n = 0;
    for (size_t i = 0; i < nb; i++) {
        const struct mi_broker *b = metadata_image_broker_at(img, i);
        const struct mi_endpoint *ep = b->fenced ? NULL : endpoint_for(b, listener);
        if (!ep)
            continue;
        struct metadata_resp_broker *ob = &resp->brokers.v[resp->brokers.n++];
        ob->node_id = b->id;
        ob->host = request_kstr(req, ep->host);
        ob->port = ep->port;
        ob->rack = request_kstr(req, b->rack);
    }
}

void handle_metadata(struct request *req)
{
    struct broker *n = req->node;
    const struct metadata_image *img = n->image;
    int16_t ver = req->hdr.api_version;
    struct metadata_req *mr = request_decode_body(req, &proto_metadata_req_schema);
    if (!mr)
        return;
    struct metadata_resp *resp = request_alloc(req, 1, sizeof *resp);
    fill_brokers(req, resp);
    resp->cluster_id = request_kstr(req, n->cluster_id);
    resp->controller_id = broker_controller_id(n);
    resp->cluster_authorized_operations = INT32_MIN;

    bool all = mr->topics.n < 0 || (ver == 0 && mr->topics.n == 0);
    if (all) {
        size_t nt = metadata_image_topic_count(img);
        resp->topics.n = (int32_t)nt;
        resp->topics.v = request_alloc(req, nt, sizeof *resp->topics.v);
        for (size_t i = 0; i < nt; i++)
            fill_topic(req, img, metadata_image_topic_at(img, i), &resp->topics.v[i]);
        request_respond(req, &proto_metadata_resp_schema, resp);
        return;
    }
    bool may_create =
        n->cfg->auto_create_topics_enable && (ver < 4 || mr->allow_auto_topic_creation);
    resp->topics.n = mr->topics.n;
    resp->topics.v = request_alloc(req, (size_t)mr->topics.n, sizeof *resp->topics.v);
    /* Topics to auto-create (distinct, at most AUTO_CREATE_MAX_PER_REQUEST) and the
     * response entries waiting for their answer (several when a name repeats). */
    const char **create = request_alloc(req, AUTO_CREATE_MAX_PER_REQUEST, sizeof *create);
    int16_t *create_err = request_alloc(req, AUTO_CREATE_MAX_PER_REQUEST, sizeof *create_err);
    int32_t *create_of = request_alloc(req, (size_t)mr->topics.n, sizeof *create_of);
    int32_t ncreate = 0;
    for (int32_t i = 0; i < mr->topics.n; i++) {
        struct metadata_req_topic *rt = &mr->topics.v[i];
        struct metadata_resp_topic *ot = &resp->topics.v[i];
        ot->topic_authorized_operations = INT32_MIN;
        create_of[i] = -1;
        const struct mi_topic *t = NULL;
        if (rt->name.s) {
            /* Checked on its length first: "ab\0zzz" must not find topic "ab". */
            if (!proto_topic_name_legal(rt->name)) {
                ot->name = rt->name;
                ot->error_code = KERR_INVALID_TOPIC_EXCEPTION;
                continue;
            }
            t = metadata_image_topic_by_name(img, rt->name.s);
        } else if (!uuid_is_zero(&rt->topic_id)) {
            t = metadata_image_topic_by_id(img, &rt->topic_id);
            if (!t) {
                ot->error_code = KERR_UNKNOWN_TOPIC_ID;
                ot->topic_id = rt->topic_id;
                continue;
            }
        } else {
            ot->error_code = KERR_INVALID_REQUEST;
            continue;
        }
        if (t) {
            fill_topic(req, img, t, ot);
            continue;
        }
        ot->name = rt->name;
        ot->error_code = may_create ? KERR_LEADER_NOT_AVAILABLE : KERR_UNKNOWN_TOPIC_OR_PARTITION;
        if (!may_create)
            continue;
        int32_t c = 0;
        while (c < ncreate && strcmp(create[c], rt->name.s) != 0)
            c++;
        if (c == ncreate && ncreate < AUTO_CREATE_MAX_PER_REQUEST)
            create[ncreate++] = rt->name.s;
        /* Past the cap: LEADER_NOT_AVAILABLE without creating; the client's retry will. */
        create_of[i] = c < ncreate ? c : -1;
    }
    auto_create(req, create, ncreate, create_err);
    for (int32_t i = 0; i < mr->topics.n; i++)
        if (create_of[i] >= 0)
            resp->topics.v[i].error_code = create_err[create_of[i]];
    request_respond(req, &proto_metadata_resp_schema, resp);
}

void handle_describe_cluster(struct request *req)
{
    struct broker *n = req->node;
    const struct metadata_image *img = n->image;
    struct describe_cluster_req *dr = request_decode_body(req, &proto_describe_cluster_req_schema);
    if (!dr)
        return;
    struct describe_cluster_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->endpoint_type = dr->endpoint_type;
    resp->cluster_authorized_operations = INT32_MIN;
    resp->controller_id = broker_controller_id(n);
    resp->cluster_id = request_kstr(req, n->cluster_id);
    if (req->hdr.api_version >= 1 && dr->endpoint_type == 2 && req->apis->controller) {
        /* KIP-919: a controller asked for controller endpoints lists the voters. */
        const struct broker_config *cfg = n->cfg;
        resp->brokers.v = request_alloc(req, cfg->voters.n, sizeof *resp->brokers.v);
        for (size_t i = 0; i < cfg->voters.n; i++) {
            struct describe_cluster_resp_broker *ob = &resp->brokers.v[resp->brokers.n++];
            ob->broker_id = cfg->voters.v[i].id;
            ob->host = request_kstr(req, cfg->voters.v[i].host);
            ob->port = cfg->voters.v[i].port;
            ob->rack = request_kstr(req, NULL);
        }
        request_respond(req, &proto_describe_cluster_resp_schema, resp);
        return;
    }
    if (req->hdr.api_version >= 1 && dr->endpoint_type != 1) {
        /* KIP-919 controller endpoints are served by controllers, not brokers. */
        resp->error_code = KERR_INVALID_REQUEST;
        resp->error_message = request_kstr(req, "only broker endpoints (type 1) are served here");
        request_respond(req, &proto_describe_cluster_resp_schema, resp);
        return;
    }
    const char *listener = request_listener_name(req);
    size_t nb = metadata_image_broker_count(img);
    resp->brokers.v = request_alloc(req, nb, sizeof *resp->brokers.v);
    for (size_t i = 0; i < nb; i++) {
        const struct mi_broker *b = metadata_image_broker_at(img, i);
        const struct mi_endpoint *ep = b->fenced ? NULL : endpoint_for(b, listener);
        if (!ep)
            continue;
        struct describe_cluster_resp_broker *ob = &resp->brokers.v[resp->brokers.n++];
        ob->broker_id = b->id;
        ob->host = request_kstr(req, ep->host);
        ob->port = ep->port;
        ob->rack = request_kstr(req, b->rack);
    }
    request_respond(req, &proto_describe_cluster_resp_schema, resp);
}

/*
 * The coordinator for a key (KafkaApis.getCoordinator).  A group (key type 0)
 * is coordinated by the leader of its __consumer_offsets partition
 * (group_coordinator.h), answered with that broker's endpoint on the listener
 * the request came in on; the topic is created on first use, meanwhile
 * COORDINATOR_NOT_AVAILABLE.  Transaction coordinators (key type 1) do not
 * run on this version, so those keys get COORDINATOR_NOT_AVAILABLE with a
 * message saying so; other key types are INVALID_REQUEST.  As in Kafka the
 * message is the error's description ("NONE" on success).
 */
static void find_one(struct request *req, int8_t key_type, const char *key, int16_t *err,
                     struct kstr *msg, int32_t *node_id, struct kstr *host, int32_t *port)
{
    *node_id = -1;
    *host = request_kstr(req, "");
    *port = -1;
    if (key_type == 0) {
        const char *h = "";
        *err = req->node->groups
                   ? group_coordinator_find(req->node->groups, key ? key : "",
                                            request_listener_name(req), node_id, &h, port)
                   : KERR_COORDINATOR_NOT_AVAILABLE;
        *host = request_kstr(req, h);
        *msg = request_kstr(req, *err == KERR_NONE ? "NONE" : "The coordinator is not available.");
        return;
    }
    *err = key_type == 1 ? KERR_COORDINATOR_NOT_AVAILABLE : KERR_INVALID_REQUEST;
    *msg = request_kstr(req, key_type == 1 ? "transactions are not supported by this broker"
                                           : "unknown coordinator key type");
}

void handle_find_coordinator(struct request *req)
{
    struct find_coordinator_req *fr = request_decode_body(req, &proto_find_coordinator_req_schema);
    if (!fr)
        return;
    struct find_coordinator_resp *resp = request_alloc(req, 1, sizeof *resp);
    if (req->hdr.api_version < 4) {
        find_one(req, fr->key_type, fr->key.s, &resp->error_code, &resp->error_message,
                 &resp->node_id, &resp->host, &resp->port);
    } else {
        /* Batched keys (KIP-699). */
        int32_t nk = fr->coordinator_keys.n > 0 ? fr->coordinator_keys.n : 0;
        resp->coordinators.n = nk;
        resp->coordinators.v = request_alloc(req, (size_t)nk, sizeof *resp->coordinators.v);
        for (int32_t i = 0; i < nk; i++) {
            struct find_coordinator_resp_coordinator *c = &resp->coordinators.v[i];
            c->key = fr->coordinator_keys.v[i];
            find_one(req, fr->key_type, c->key.s, &c->error_code, &c->error_message, &c->node_id,
                     &c->host, &c->port);
        }
    }
    request_respond(req, &proto_find_coordinator_resp_schema, resp);
}
