/*
 * Requests on the CONTROLLER listener (apart from ApiVersions): the Raft
 * APIs of the metadata quorum (Vote, BeginQuorumEpoch, EndQuorumEpoch,
 * Fetch on __cluster_metadata, FetchSnapshot, DescribeQuorum; KIP-595,
 * KIP-630) go to the quorum.  Broker-to-controller RPCs (BrokerRegistration,
 * BrokerHeartbeat, AlterPartition) are closed like unknown APIs until the
 * multi-node controller serves them.
 */
#include "api.h"
#include "handlers.h"
#include "kafka.h"
#include "log.h"
#include "node.h"
#include "quorum_raft.h"
#include "request.h"

static void reply(void *ctx, const struct proto_schema *schema, const void *resp)
{
    request_respond(ctx, schema, resp);
}

void handle_controller_rpc(struct request *req)
{
    struct node *n = req->node;
    int16_t key = req->hdr.api_key;
    const struct proto_api *api = req->apis->find(key);
    switch (key) {
    case KAPI_VOTE:
    case KAPI_BEGIN_QUORUM_EPOCH:
    case KAPI_END_QUORUM_EPOCH:
    case KAPI_FETCH:
    case KAPI_FETCH_SNAPSHOT:
    case KAPI_DESCRIBE_QUORUM:
        break;
    default:
        request_close_connection(req, "controller API not served yet");
        return;
    }
    void *body = request_decode_body(req, api->req);
    if (!body)
        return;
    if (!n->quorum ||
        quorum_raft_handle(n->quorum, key, req->hdr.api_version, body, reply, req) < 0)
        request_close_connection(req, "no Raft quorum on this node");
}
