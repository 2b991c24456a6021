/*
 * Handlers of the CONTROLLER listener's own APIs (api_table.c): the Raft
 * APIs of the metadata quorum (Vote, BeginQuorumEpoch, EndQuorumEpoch,
 * Fetch on __cluster_metadata, FetchSnapshot, DescribeQuorum; KIP-595,
 * KIP-630) go to the quorum; the broker lifecycle RPCs (BrokerRegistration,
 * BrokerHeartbeat; KIP-631) and AlterPartition (KIP-497) go to the active
 * controller, and are answered NOT_CONTROLLER by the others.  Topic
 * administration and config changes forwarded by brokers (KIP-919) go to the
 * same handlers as on the client listener, and so do ElectLeaders (KIP-460)
 * and Sluice's targeted transfers (handle_elect_leaders.c).
 */
#include "api.h"
#include "api_table.h"
#include "clock.h"
#include "controller.h"
#include "handlers.h"
#include "messages.h"
#include "kafka.h"
#include "log.h"
#include "broker.h"
#include "quorum.h"
#include "request.h"

#include <string.h>

static void reply(void *ctx, const struct proto_schema *schema, const void *resp)
{
    request_respond(ctx, schema, resp);
}

static void on_registered(void *ctx, int16_t error_code, const char *error_message,
                          int64_t broker_epoch)
{
    struct request *req = ctx;
    (void)error_message;
    struct broker_registration_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = error_code;
    resp->broker_epoch = error_code == KERR_NONE ? broker_epoch : -1;
    request_respond(req, &proto_broker_registration_resp_schema, resp);
}

void handle_broker_registration(struct request *req)
{
    const struct broker_registration_req *r =
        request_decode_body(req, &proto_broker_registration_req_schema);
    if (!r)
        return;
    struct broker *n = req->node;
    if (!broker_is_controller(n)) {
        on_registered(req, KERR_NOT_CONTROLLER, NULL, -1);
        return;
    }
    /* Kafka's QuorumController: another cluster's id is INCONSISTENT_CLUSTER_ID; the
     * comparison covers the whole length (an id with an embedded NUL is not ours). */
    size_t cid_len = strlen(n->cluster_id);
    if (!r->cluster_id.s || r->cluster_id.len < 0 || (size_t)r->cluster_id.len != cid_len ||
        memcmp(r->cluster_id.s, n->cluster_id, cid_len) != 0) {
        on_registered(req, KERR_INCONSISTENT_CLUSTER_ID, NULL, -1);
        return;
    }
    int32_t nl = r->listeners.n > 0 ? r->listeners.n : 0;
    struct ctl_endpoint *eps = request_alloc(req, (size_t)nl, sizeof *eps);
    for (int32_t i = 0; i < nl; i++) {
        eps[i].name = r->listeners.v[i].name.s ? r->listeners.v[i].name.s : "";
        eps[i].host = r->listeners.v[i].host.s ? r->listeners.v[i].host.s : "";
        eps[i].port = r->listeners.v[i].port;
        eps[i].security_protocol = r->listeners.v[i].security_protocol;
    }
    int32_t nf = r->features.n > 0 ? r->features.n : 0;
    struct ctl_feature_range *fs = request_alloc(req, (size_t)nf, sizeof *fs);
    for (int32_t i = 0; i < nf; i++) {
        fs[i].name = r->features.v[i].name.s ? r->features.v[i].name.s : "";
        fs[i].min_supported = r->features.v[i].min_supported_version;
        fs[i].max_supported = r->features.v[i].max_supported_version;
    }
    struct ctl_register_broker reg = {
        .broker_id = r->broker_id,
        .incarnation_id = r->incarnation_id,
        .endpoints = eps,
        .nendpoints = nl,
        .features = fs,
        .nfeatures = nf,
        .rack = r->rack.s,
    };
    /* A remote broker registers fenced and is unfenced by its heartbeats (KIP-631). */
    controller_register_broker_ex(n->controller, &reg, 0, clock_mono_ms(), on_registered, req);
}

static void on_heartbeat(void *ctx, const struct ctl_heartbeat_result *r)
{
    struct request *req = ctx;
    struct broker_heartbeat_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = r->error_code;
    resp->is_caught_up = r->is_caught_up;
    resp->is_fenced = r->is_fenced;
    resp->should_shut_down = r->should_shut_down;
    request_respond(req, &proto_broker_heartbeat_resp_schema, resp);
}

void handle_broker_heartbeat(struct request *req)
{
    const struct broker_heartbeat_req *r =
        request_decode_body(req, &proto_broker_heartbeat_req_schema);
    if (!r)
        return;
    struct broker *n = req->node;
    if (!broker_is_controller(n)) {
        struct ctl_heartbeat_result res = {.error_code = KERR_NOT_CONTROLLER, .is_fenced = true};
        on_heartbeat(req, &res);
        return;
    }
    controller_broker_heartbeat(n->controller, r->broker_id, r->broker_epoch,
                                r->current_metadata_offset, r->want_fence, r->want_shut_down,
                                clock_mono_ms(), on_heartbeat, req);
}

static void on_producer_ids(void *ctx, int16_t error_code, int64_t first_id, int32_t count)
{
    struct request *req = ctx;
    struct allocate_producer_ids_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = error_code;
    resp->producer_id_start = error_code == KERR_NONE ? first_id : -1;
    resp->producer_id_len = error_code == KERR_NONE ? count : 0;
    request_respond(req, &proto_allocate_producer_ids_resp_schema, resp);
}

/* AllocateProducerIds (KIP-730): a block of producer ids for a broker's InitProducerId. */
void handle_allocate_producer_ids(struct request *req)
{
    const struct allocate_producer_ids_req *r =
        request_decode_body(req, &proto_allocate_producer_ids_req_schema);
    if (!r)
        return;
    struct broker *n = req->node;
    if (!broker_is_controller(n)) {
        on_producer_ids(req, KERR_NOT_CONTROLLER, -1, 0);
        return;
    }
    controller_allocate_producer_ids(n->controller, r->broker_id, r->broker_epoch, on_producer_ids,
                                     req);
}

static void on_partitions_altered(void *ctx, int16_t error_code,
                                  const struct ctl_alter_partition_result *results, int32_t n)
{
    struct request *req = ctx;
    struct alter_partition_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = error_code;
    /* Results come in request order; consecutive ones of a topic share an entry. */
    resp->topics.v = request_alloc(req, (size_t)n, sizeof *resp->topics.v);
    for (int32_t i = 0; i < n; i++) {
        const struct ctl_alter_partition_result *r = &results[i];
        struct alter_partition_resp_topic *t =
            resp->topics.n > 0 ? &resp->topics.v[resp->topics.n - 1] : NULL;
        if (!t || !uuid_equal(&t->topic_id, &r->topic_id)) {
            t = &resp->topics.v[resp->topics.n++];
            t->topic_id = r->topic_id;
            t->partitions.v = request_alloc(req, (size_t)n, sizeof *t->partitions.v);
        }
        struct alter_partition_resp_partition *p = &t->partitions.v[t->partitions.n++];
        p->partition_index = r->partition_index;
        p->error_code = r->error_code;
        p->leader_id = r->leader_id;
        p->leader_epoch = r->leader_epoch;
        p->isr.n = r->nisr;
        p->isr.v = request_alloc(req, (size_t)r->nisr, sizeof(int32_t));
        for (int32_t k = 0; k < r->nisr; k++)
            p->isr.v[k] = r->isr[k];
        p->leader_recovery_state = r->leader_recovery_state;
        p->partition_epoch = r->partition_epoch;
    }
    request_respond(req, &proto_alter_partition_resp_schema, resp);
}

void handle_alter_partition(struct request *req)
{
    const struct alter_partition_req *r =
        request_decode_body(req, &proto_alter_partition_req_schema);
    if (!r)
        return;
    struct broker *n = req->node;
    if (!broker_is_controller(n)) {
        on_partitions_altered(req, KERR_NOT_CONTROLLER, NULL, 0);
        return;
    }
    int32_t nt = r->topics.n > 0 ? r->topics.n : 0;
    struct ctl_alter_partition_topic *topics = request_alloc(req, (size_t)nt, sizeof *topics);
    for (int32_t t = 0; t < nt; t++) {
        const struct alter_partition_req_topic *rt = &r->topics.v[t];
        int32_t np = rt->partitions.n > 0 ? rt->partitions.n : 0;
        struct ctl_alter_partition *ps = request_alloc(req, (size_t)np, sizeof *ps);
        for (int32_t i = 0; i < np; i++) {
            const struct alter_partition_req_partition *rp = &rt->partitions.v[i];
            ps[i].partition_index = rp->partition_index;
            ps[i].leader_epoch = rp->leader_epoch;
            ps[i].partition_epoch = rp->partition_epoch;
            ps[i].leader_recovery_state = rp->leader_recovery_state;
            /* v3 carries broker epochs (KIP-903); v2 plain ids, not checked (-1). */
            bool with_epochs = req->hdr.api_version >= 3;
            int32_t nm = with_epochs ? rp->new_isr_with_epochs.n : rp->new_isr.n;
            if (nm < 0)
                nm = 0;
            struct ctl_isr_member *ms = request_alloc(req, (size_t)nm, sizeof *ms);
            for (int32_t k = 0; k < nm; k++) {
                ms[k].broker_id =
                    with_epochs ? rp->new_isr_with_epochs.v[k].broker_id : rp->new_isr.v[k];
                ms[k].broker_epoch = with_epochs ? rp->new_isr_with_epochs.v[k].broker_epoch : -1;
            }
            ps[i].new_isr = ms;
            ps[i].nnew_isr = nm;
        }
        topics[t].topic_id = rt->topic_id;
        topics[t].partitions = ps;
        topics[t].npartitions = np;
    }
    struct ctl_alter_partition_req creq = {.broker_id = r->broker_id,
                                           .broker_epoch = r->broker_epoch,
                                           .topics = topics,
                                           .ntopics = nt};
    controller_alter_partition(n->controller, &creq, on_partitions_altered, req);
}

/* The Raft APIs of the metadata quorum (KIP-595, KIP-630): the quorum answers. */
void handle_raft_rpc(struct request *req)
{
    struct broker *n = req->node;
    int16_t key = req->hdr.api_key;
    void *body = request_decode_body(req, proto_api_table_find(req->apis->proto, key)->req);
    if (!body)
        return;
    if (!n->quorum || quorum_handle_rpc(n->quorum, key, req->hdr.api_version, body, reply, req) < 0)
        request_close_connection(req, "no Raft quorum on this node");
}
