/*
 * ElectLeaders (43, KIP-460): preferred and unclean leader elections, as
 * kafka-leader-election.sh sends them, on the client listeners (forwarded to
 * the active controller, KIP-590) and on the CONTROLLER listener, where the
 * active controller turns them into controller_elect_leaders() and answers
 * once the PartitionChangeRecords commit.  The CONTROLLER listener also
 * carries Sluice's targeted transfer (election type 2 with a tagged target,
 * msg_elect_leaders.h), which the admin API of a node that is not the
 * controller sends.  A node that is not the controller and knows no other
 * answers NOT_CONTROLLER (top level from v1, and per partition).
 */
#include <string.h>

#include "controller.h"
#include "forward.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "msg_elect_leaders.h"
#include "broker.h"
#include "request.h"
#include "topic_name.h"

/* Groups results by topic, keeping the order in which topics first appear. */
static void on_elected(void *ctx, int16_t error_code, const struct ctl_elect_result *res, int32_t n)
{
    struct request *req = ctx;
    struct elect_leaders_resp *resp = request_alloc(req, 1, sizeof *resp);
    resp->error_code = error_code;
    struct elect_leaders_resp_topic *topics = request_alloc(req, (size_t)n + 1, sizeof *topics);
    int32_t nt = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t k = 0;
        while (k < nt && strcmp(topics[k].topic.s, res[i].topic) != 0)
            k++;
        if (k == nt) {
            topics[nt].topic = request_kstr(req, res[i].topic);
            topics[nt].partition_result.v =
                request_alloc(req, (size_t)n, sizeof *topics[nt].partition_result.v);
            nt++;
        }
        struct elect_leaders_resp_partition *p =
            &topics[k].partition_result.v[topics[k].partition_result.n++];
        p->partition_id = res[i].partition_index;
        p->error_code = res[i].error_code;
        p->error_message = request_kstr(req, res[i].error_message);
    }
    resp->replica_election_results.n = nt;
    resp->replica_election_results.v = topics;
    request_respond(req, &proto_elect_leaders_resp_schema, resp);
}

void handle_elect_leaders(struct request *req)
{
    struct elect_leaders_req *er = request_decode_body(req, &proto_elect_leaders_req_schema);
    if (!er)
        return;
    struct broker *n = req->node;
    if (!broker_is_controller(n) && request_forwarded(req) &&
        forward_to_controller(req, &proto_elect_leaders_req_schema, er,
                              &proto_elect_leaders_resp_schema))
        return;
    int32_t total = 0;
    for (int32_t i = 0; i < er->topic_partitions.n; i++)
        if (er->topic_partitions.v[i].partitions.n > 0)
            total += er->topic_partitions.v[i].partitions.n;
    struct ctl_elect_partition *parts = request_alloc(req, (size_t)total + 1, sizeof *parts);
    int32_t k = 0;
    for (int32_t i = 0; i < er->topic_partitions.n; i++) {
        const struct elect_leaders_req_topic *t = &er->topic_partitions.v[i];
        for (int32_t j = 0; j < t->partitions.n; j++)
            parts[k++] = (struct ctl_elect_partition){
                t->topic.s ? proto_kstr_cstr(t->topic, &req->arena) : "", t->partitions.v[j]};
    }
    if (!broker_is_controller(n)) {
        struct ctl_elect_result *res = request_alloc(req, (size_t)k + 1, sizeof *res);
        for (int32_t i = 0; i < k; i++)
            res[i] = (struct ctl_elect_result){.topic = parts[i].topic,
                                               .partition_index = parts[i].partition_index,
                                               .error_code = KERR_NOT_CONTROLLER,
                                               .leader_id = -1,
                                               .leader_epoch = -1};
        on_elected(req, KERR_NOT_CONTROLLER, res, k);
        return;
    }
    struct ctl_elect_leaders_req creq = {
        .election_type = er->election_type,
        .target = er->target_leader,
        .partitions = er->topic_partitions.n >= 0 ? parts : NULL,
        .npartitions = k,
    };
    controller_elect_leaders(n->controller, &creq, on_elected, req);
}
