/*
 * Fuzz target for the Raft RPCs of the CONTROLLER listener: arbitrary bytes
 * are decoded as a Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch,
 * FetchSnapshot or DescribeQuorum request, or as the response to a request
 * the node has in flight, and driven through the wire glue (raft_wire.c)
 * into a Raft core node in one of several states (sole leader, follower,
 * candidate, observer).  The node's answers are encoded back to the wire.
 *
 * Input: byte 0 picks the API and whether it is a request or a response,
 * byte 1 the version, the node's state, the responder and the cluster id the
 * node expects; the rest is the message body.
 *
 * Properties beyond "no crash, no leak, no sanitizer report": a request
 * whose sender is not a voter, and any request refused by the glue (foreign
 * cluster id, wrong partition), moves nothing (epoch, vote, leader, role,
 * quorum-state, log), as KIP-595 requires; a response from a non-voter is
 * dropped; every answer encodes.
 */
#include <string.h>

#include "api_controller.h"
#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "err.h"
#include "fuzz.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "raft.h"
#include "raft_wire.h"

#define CLUSTER_ID "fuzzcluster"

/* Voters of the node's state: {1} alone, else {1, 2, 3}. */
static int nvoters;

static const int16_t apis[] = {KAPI_VOTE,  KAPI_BEGIN_QUORUM_EPOCH, KAPI_END_QUORUM_EPOCH,
                               KAPI_FETCH, KAPI_FETCH_SNAPSHOT,     KAPI_DESCRIBE_QUORUM};

static int marker(void *ctx, int64_t base, int32_t epoch, int32_t leader, struct wbuf *out)
{
    (void)ctx;
    (void)base;
    wbuf_i32(out, epoch);
    wbuf_i32(out, leader);
    return 0;
}

/* Completes every quorum-state write and log sync the node asks for. */
static void settle(struct raft_node *n, int64_t now)
{
    for (int i = 0; i < 8; i++) {
        const struct raft_output *o = raft_output(n);
        if (o->persist) {
            raft_persist_done(n, now, o->persist_seq);
        } else if (o->nops > 0) {
            raft_log_synced(n, now, o->ops[o->nops - 1].write_id);
        } else {
            return;
        }
    }
}

/*
 * States: 0 node 1 the sole voter and leader; 1 node 1 of {1,2,3} following
 * 2 in epoch 5 with a short log; 2 node 1 of {1,2,3} a candidate; 3 node 9
 * observing {1,2,3}.
 */
static struct raft_node *make_node(int state)
{
    struct raft_config c;
    raft_config_default(&c);
    c.marker = marker;
    c.node_id = state == 3 ? 9 : 1;
    c.nvoters = nvoters = state == 0 ? 1 : 3;
    for (int i = 0; i < c.nvoters; i++)
        c.voters[i] = i + 1;
    struct raft_persisted st = {.epoch = 5, .voted_id = -1, .leader_id = state == 1 ? 2 : -1};
    struct raft_node *n = NULL;
    FUZZ_CHECK(raft_create(&c, &st, NULL, NULL, 0, &n) == 0);
    for (int64_t off = 0; off < 3; off++) {
        uint8_t data[4] = {(uint8_t)off};
        struct raft_entry e = {.base_offset = off,
                               .last_offset = off,
                               .epoch = off < 2 ? 3 : 5,
                               .data = data,
                               .len = sizeof data};
        FUZZ_CHECK(raft_load_entry(n, &e) == 0);
    }
    raft_start(n, 0);
    settle(n, 0);
    if (state == 2) {
        raft_tick(n, 10000); /* election timeout: prospective */
        const struct raft_output *o = raft_output(n);
        for (size_t i = 0; i < o->nmsgs; i++) {
            if (o->msgs[i].type != RAFT_MSG_VOTE || o->msgs[i].to != 2)
                continue;
            struct raft_msg g;
            memset(&g, 0, sizeof g);
            g.type = RAFT_MSG_VOTE_RESPONSE;
            g.from = 2;
            g.to = 1;
            g.rid = o->msgs[i].rid;
            g.u.vote_resp.leader_id = -1;
            g.u.vote_resp.leader_epoch = 5;
            g.u.vote_resp.granted = true;
            raft_recv(n, 10001, &g);
            break;
        }
        settle(n, 10002);
    }
    return n;
}

struct state {
    int32_t epoch, voted, leader;
    enum raft_role role;
    int64_t hw, end;
};

static struct state state_of(const struct raft_node *n)
{
    return (struct state){raft_epoch(n), raft_voted_id(n),       raft_leader_id(n),
                          raft_role(n),  raft_high_watermark(n), raft_log_end_offset(n)};
}

static bool unmoved(const struct raft_node *n, struct state s)
{
    struct state t = state_of(n);
    const struct raft_output *o = raft_output(n);
    return t.epoch == s.epoch && t.voted == s.voted && t.leader == s.leader && t.role == s.role &&
           t.hw == s.hw && t.end == s.end && !o->persist && o->nops == 0;
}

static bool is_voter(int32_t id)
{
    return id >= 1 && id <= nvoters;
}

/* Every answer the node produced encodes as the Kafka response it mirrors. */
static void encode_answers(const struct raft_node *n, int16_t api, int16_t version, bool flex)
{
    const struct raft_output *o = raft_output(n);
    for (size_t i = 0; i < o->nmsgs; i++) {
        const struct raft_msg *m = &o->msgs[i];
        struct arena a = ARENA_INIT;
        struct proto_out out;
        proto_out_init(&out);
        if (m->type == RAFT_MSG_VOTE || m->type == RAFT_MSG_BEGIN_EPOCH ||
            m->type == RAFT_MSG_END_EPOCH || m->type == RAFT_MSG_FETCH ||
            m->type == RAFT_MSG_FETCH_SNAPSHOT) {
            struct raft_wire_call call;
            FUZZ_CHECK(raft_wire_request(m, CLUSTER_ID, &a, &call) == 0);
            FUZZ_CHECK(proto_encode(call.req_schema, call.version, call.flexible, call.req, &out) ==
                       0);
        } else {
            void *resp = NULL;
            const struct proto_schema *schema = NULL;
            if (raft_wire_response(api, m, KERR_NONE, &a, &resp, &schema) == 0)
                FUZZ_CHECK(proto_encode(schema, version, flex, resp, &out) == 0);
        }
        proto_out_free(&out);
        arena_free(&a);
    }
}

static void fuzz_request(struct raft_node *n, int16_t api, int16_t version, bool flex,
                         const void *req, const char *our_cluster)
{
    if (api == KAPI_DESCRIBE_QUORUM) {
        if (raft_wire_describe_quorum_ok(req)) {
            struct raft_quorum_info qi;
            (void)raft_describe_quorum(n, &qi);
        }
        return;
    }
    struct arena a = ARENA_INIT;
    struct raft_msg m;
    int16_t kerr = KERR_NONE;
    struct state before = state_of(n);
    int rc =
        raft_wire_request_to_msg(api, version, req, raft_node_id(n), our_cluster, &a, &m, &kerr);
    FUZZ_CHECK(rc == 0 || rc == SL_EINVAL);
    FUZZ_CHECK((rc == 0) == (kerr == KERR_NONE));
    if (rc == 0) {
        m.rid = 4242;
        int rrc = raft_recv(n, 20000, &m);
        FUZZ_CHECK(rrc == 0 || rrc == SL_EINVAL);
        /* KIP-595: only voters move epochs, votes and leaders. */
        if (!is_voter(m.from) || rrc != 0)
            FUZZ_CHECK(unmoved(n, before));
        encode_answers(n, api, version, flex);
    } else {
        void *resp = NULL;
        const struct proto_schema *schema = NULL;
        FUZZ_CHECK(raft_wire_response(api, NULL, kerr, &a, &resp, &schema) == 0);
    }
    arena_free(&a);
}

/* The request of `type` the node has in flight to a peer: its rid and the call it went out as. */
static bool in_flight(const struct raft_node *n, int16_t api, struct raft_msg *req)
{
    const struct raft_output *o = raft_output(n);
    for (size_t i = 0; i < o->nmsgs; i++) {
        const struct raft_msg *m = &o->msgs[i];
        struct arena a = ARENA_INIT;
        struct raft_wire_call call;
        bool match = raft_wire_request(m, CLUSTER_ID, &a, &call) == 0 && call.api_key == api;
        arena_free(&a);
        if (match) {
            *req = *m;
            return true;
        }
    }
    return false;
}

static void fuzz_response(struct raft_node *n, int16_t api, int16_t version, const uint8_t *body,
                          size_t len, int32_t from)
{
    struct raft_msg req;
    if (!in_flight(n, api, &req))
        return;
    struct arena a = ARENA_INIT;
    struct raft_wire_call call;
    FUZZ_CHECK(raft_wire_request(&req, CLUSTER_ID, &a, &call) == 0);
    call.version = version;
    call.flexible = proto_api_controller_is_flexible(api, version);
    void *resp = arena_alloc(&a, call.resp_schema->size);
    struct rbuf r;
    rbuf_init(&r, body, len);
    if (proto_decode(call.resp_schema, version, call.flexible, &r, resp, &a) == 0) {
        struct raft_msg m;
        if (raft_wire_response_to_msg(&call, resp, from, raft_node_id(n), req.rid, &a, &m) == 0) {
            struct state before = state_of(n);
            int rc = raft_recv(n, 20000, &m);
            FUZZ_CHECK(rc == 0 || rc == SL_EINVAL);
            if (!is_voter(from))
                FUZZ_CHECK(rc == SL_EINVAL && unmoved(n, before));
            encode_answers(n, api, version, call.flexible);
        }
    }
    arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool quiet;
    if (!quiet) {
        log_set_level(LOG_LEVEL_ERROR); /* refused messages are logged at WARN and below */
        quiet = true;
    }
    if (size < 2)
        return 0;
    int16_t api = apis[(data[0] & 0x7f) % (sizeof apis / sizeof apis[0])];
    bool response = data[0] & 0x80;
    const struct proto_api *pa = proto_api_table_find(&proto_controller_apis, api);
    if (!pa || !pa->req || !pa->resp)
        return 0;
    int16_t version = (int16_t)(pa->min + (data[1] & 0x0f) % (pa->max - pa->min + 1));
    int state = (data[1] >> 4) & 3;
    int32_t from = data[1] & 0x40 ? 7 : 2; /* responses: a non-voter or voter 2 */
    const char *our_cluster = data[1] & 0x80 ? "" : CLUSTER_ID;
    bool flex = proto_api_controller_is_flexible(api, version);
    struct raft_node *n = make_node(state);
    if (response && api != KAPI_DESCRIBE_QUORUM) {
        fuzz_response(n, api, version, data + 2, size - 2, from);
    } else {
        struct arena a = ARENA_INIT;
        const struct proto_schema *schema = pa->req;
        void *req = arena_alloc(&a, schema->size);
        struct rbuf r;
        rbuf_init(&r, data + 2, size - 2);
        if (proto_decode(schema, version, flex, &r, req, &a) == 0)
            fuzz_request(n, api, version, flex, req, our_cluster);
        arena_free(&a);
    }
    raft_destroy(n);
    return 0;
}
