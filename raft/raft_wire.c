/*
 * Raft core messages <-> Kafka wire messages (raft_wire.h).
 */
#include "raft_wire.h"

#include <string.h>

#include "api_controller.h"
#include "err.h"
#include "kafka.h"
#include "messages.h"
#include "record_batch.h"

#define VOTE_VERSION           2 /* PreVote, KIP-996 */
#define BEGIN_EPOCH_VERSION    0
#define END_EPOCH_VERSION      0
#define FETCH_VERSION          12 /* LastFetchedEpoch, DivergingEpoch, SnapshotId (KIP-595) */
#define FETCH_SNAPSHOT_VERSION 0

/* The Raft core's errors and the Kafka error codes that carry them on the wire (KIP-595). */
static const struct {
    enum raft_error raft;
    int16_t kafka;
} errors[] = {
    {RAFT_OK, KERR_NONE},
    {RAFT_E_FENCED_EPOCH, KERR_FENCED_LEADER_EPOCH},
    {RAFT_E_UNKNOWN_EPOCH, KERR_UNKNOWN_LEADER_EPOCH},
    {RAFT_E_NOT_LEADER, KERR_NOT_LEADER_OR_FOLLOWER},
    {RAFT_E_NOT_VOTER, KERR_INCONSISTENT_VOTER_SET},
    {RAFT_E_SNAPSHOT_NOT_FOUND, KERR_SNAPSHOT_NOT_FOUND},
    {RAFT_E_POSITION_OUT_OF_RANGE, KERR_POSITION_OUT_OF_RANGE},
    {RAFT_E_INVALID_REQUEST, KERR_INVALID_REQUEST},
};

int16_t raft_wire_error_code(enum raft_error e)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].raft == e)
            return errors[i].kafka;
    return KERR_UNKNOWN_SERVER_ERROR;
}

enum raft_error raft_wire_error_from_code(int16_t code)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].kafka == code)
            return errors[i].raft;
    return RAFT_E_INVALID_REQUEST;
}

static struct kstr kstr_of(const char *s)
{
    struct kstr k = {s, s ? (int32_t)strlen(s) : -1};
    return k;
}

static void *alloc(struct arena *a, size_t n, size_t size)
{
    return arena_alloc(a, n * size);
}

static bool is_metadata_topic(struct kstr name);

/*
 * Every Raft RPC carries one topic, __cluster_metadata, with one partition.
 * ONE_PARTITION sets the topic array `arr` to that topic (its name in field
 * `name`) with one zeroed partition, and evaluates to that partition.
 * ONLY_PARTITION evaluates to the partition of a request that holds exactly
 * that, else NULL; FIRST_PARTITION to the first partition of the first topic
 * of a response, or NULL when there is none.
 */
#define ONE(a, arr) ((arr).n = 1, (arr).v = alloc((a), 1, sizeof *(arr).v))
#define ONE_PARTITION(a, arr, name)                                                                \
    (ONE(a, arr), (arr).v[0].name = kstr_of(RAFT_WIRE_TOPIC), ONE(a, (arr).v[0].partitions),       \
     &(arr).v[0].partitions.v[0])
#define ONLY_PARTITION(arr, name)                                                                  \
    ((arr).n == 1 && is_metadata_topic((arr).v[0].name) && (arr).v[0].partitions.n == 1            \
         ? &(arr).v[0].partitions.v[0]                                                             \
         : NULL)
#define FIRST_PARTITION(arr)                                                                       \
    ((arr).n >= 1 && (arr).v[0].partitions.n >= 1 ? &(arr).v[0].partitions.v[0] : NULL)

/* The core's error for a response without its partition: its top-level error, or invalid. */
static enum raft_error top_error(int16_t error_code)
{
    return raft_wire_error_from_code(error_code ? error_code : KERR_INVALID_REQUEST);
}

static void set_call(struct raft_wire_call *c, int16_t key, int16_t ver,
                     const struct proto_schema *req, const struct proto_schema *resp)
{
    c->api_key = key;
    c->version = ver;
    c->flexible = proto_api_controller_is_flexible(key, ver);
    c->req_schema = req;
    c->resp_schema = resp;
}

int raft_wire_request(const struct raft_msg *m, const char *cluster_id, struct arena *a,
                      struct raft_wire_call *out)
{
    memset(out, 0, sizeof *out);
    switch (m->type) {
    case RAFT_MSG_VOTE: {
        struct vote_req *r = alloc(a, 1, sizeof *r);
        r->cluster_id = kstr_of(cluster_id);
        r->voter_id = m->to;
        struct vote_req_partition *p = ONE_PARTITION(a, r->topics, topic_name);
        p->replica_epoch = m->u.vote.epoch;
        p->replica_id = m->from;
        p->last_offset_epoch = m->u.vote.last_epoch;
        p->last_offset = m->u.vote.end_offset;
        p->pre_vote = m->u.vote.pre_vote;
        set_call(out, KAPI_VOTE, VOTE_VERSION, &proto_vote_req_schema, &proto_vote_resp_schema);
        out->req = r;
        return 0;
    }
    case RAFT_MSG_BEGIN_EPOCH: {
        struct begin_quorum_epoch_req *r = alloc(a, 1, sizeof *r);
        r->cluster_id = kstr_of(cluster_id);
        r->voter_id = m->to;
        struct begin_quorum_epoch_req_partition *p = ONE_PARTITION(a, r->topics, topic_name);
        p->leader_id = m->u.begin.leader_id;
        p->leader_epoch = m->u.begin.leader_epoch;
        set_call(out, KAPI_BEGIN_QUORUM_EPOCH, BEGIN_EPOCH_VERSION,
                 &proto_begin_quorum_epoch_req_schema, &proto_begin_quorum_epoch_resp_schema);
        out->req = r;
        return 0;
    }
    case RAFT_MSG_END_EPOCH: {
        struct end_quorum_epoch_req *r = alloc(a, 1, sizeof *r);
        r->cluster_id = kstr_of(cluster_id);
        struct end_quorum_epoch_req_partition *p = ONE_PARTITION(a, r->topics, topic_name);
        p->leader_id = m->u.end.leader_id;
        p->leader_epoch = m->u.end.leader_epoch;
        p->preferred_successors.n = m->u.end.nsuccessors;
        p->preferred_successors.v = alloc(a, (size_t)m->u.end.nsuccessors, sizeof(int32_t));
        memcpy(p->preferred_successors.v, m->u.end.successors,
               sizeof(int32_t) * (size_t)m->u.end.nsuccessors);
        set_call(out, KAPI_END_QUORUM_EPOCH, END_EPOCH_VERSION, &proto_end_quorum_epoch_req_schema,
                 &proto_end_quorum_epoch_resp_schema);
        out->req = r;
        return 0;
    }
    case RAFT_MSG_FETCH: {
        struct fetch_req *r = alloc(a, 1, sizeof *r);
        proto_init_defaults(&proto_fetch_req_schema, r);
        r->cluster_id = kstr_of(cluster_id);
        r->replica_id = m->from;
        r->max_wait_ms = m->u.fetch.max_wait_ms;
        r->min_bytes = 1;
        r->max_bytes = m->u.fetch.max_bytes;
        r->session_epoch = -1;
        r->rack_id = kstr_of("");
        r->forgotten_topics_data.n = 0;
        struct fetch_req_partition *p = ONE_PARTITION(a, r->topics, topic);
        p->current_leader_epoch = m->u.fetch.leader_epoch;
        p->fetch_offset = m->u.fetch.fetch_offset;
        p->last_fetched_epoch = m->u.fetch.last_fetched_epoch;
        p->log_start_offset = m->u.fetch.log_start_offset;
        p->partition_max_bytes = m->u.fetch.max_bytes;
        set_call(out, KAPI_FETCH, FETCH_VERSION, &proto_fetch_req_schema, &proto_fetch_resp_schema);
        out->req = r;
        return 0;
    }
    case RAFT_MSG_FETCH_SNAPSHOT: {
        struct fetch_snapshot_req *r = alloc(a, 1, sizeof *r);
        r->cluster_id = kstr_of(cluster_id);
        r->replica_id = m->from;
        r->max_bytes = m->u.snap.max_bytes;
        struct fetch_snapshot_req_partition *p = ONE_PARTITION(a, r->topics, name);
        p->current_leader_epoch = m->u.snap.leader_epoch;
        p->snapshot_id.end_offset = m->u.snap.snapshot_id.end_offset;
        p->snapshot_id.epoch = m->u.snap.snapshot_id.epoch;
        p->position = m->u.snap.position;
        set_call(out, KAPI_FETCH_SNAPSHOT, FETCH_SNAPSHOT_VERSION, &proto_fetch_snapshot_req_schema,
                 &proto_fetch_snapshot_resp_schema);
        out->req = r;
        return 0;
    }
    default:
        return SL_EINVAL;
    }
}

/* Splits a Records blob into core entries (one per batch). */
static int split_entries(const struct kbytes *records, struct arena *a, struct raft_fetch_resp *fr)
{
    fr->nentries = 0;
    fr->entries = NULL;
    if (!records->p || records->len <= 0)
        return 0;
    size_t pos = 0, n = 0;
    const uint8_t *b;
    size_t blen;
    while (rb_split(records->p, (size_t)records->len, &pos, &b, &blen) == 1)
        n++;
    struct raft_entry *e = alloc(a, n ? n : 1, sizeof *e);
    pos = 0;
    size_t i = 0;
    int rc;
    while (i < n && (rc = rb_split(records->p, (size_t)records->len, &pos, &b, &blen)) == 1) {
        struct rb_header h;
        if (rb_header_parse(b, blen, &h) < 0)
            return SL_ECORRUPT;
        e[i].base_offset = h.base_offset;
        e[i].last_offset = rb_header_last_offset(&h);
        e[i].epoch = h.partition_leader_epoch;
        e[i].data = b;
        e[i].len = blen;
        i++;
    }
    /* A trailing partial batch (cut at max_bytes) is dropped, as Kafka clients do. */
    fr->entries = e;
    fr->nentries = i;
    return 0;
}

int raft_wire_response_to_msg(const struct raft_wire_call *call, const void *resp, int32_t from,
                              int32_t to, uint64_t rid, struct arena *a, struct raft_msg *out)
{
    memset(out, 0, sizeof *out);
    out->from = from;
    out->to = to;
    out->rid = rid;
    switch (call->api_key) {
    case KAPI_VOTE: {
        const struct vote_resp *r = resp;
        out->type = RAFT_MSG_VOTE_RESPONSE;
        const struct vote_resp_partition *p = FIRST_PARTITION(r->topics);
        if (!p) {
            out->u.vote_resp.error = top_error(r->error_code);
            out->u.vote_resp.leader_id = -1;
            return 0;
        }
        out->u.vote_resp.error = raft_wire_error_from_code(p->error_code);
        out->u.vote_resp.leader_id = p->leader_id;
        out->u.vote_resp.leader_epoch = p->leader_epoch;
        out->u.vote_resp.granted = p->vote_granted;
        return 0;
    }
    case KAPI_BEGIN_QUORUM_EPOCH:
    case KAPI_END_QUORUM_EPOCH: {
        const struct quorum_epoch_resp *r = resp;
        out->type = call->api_key == KAPI_BEGIN_QUORUM_EPOCH ? RAFT_MSG_BEGIN_EPOCH_RESPONSE
                                                             : RAFT_MSG_END_EPOCH_RESPONSE;
        out->u.epoch_resp.leader_id = -1;
        const struct quorum_epoch_resp_partition *p = FIRST_PARTITION(r->topics);
        if (!p) {
            out->u.epoch_resp.error = top_error(r->error_code);
            return 0;
        }
        out->u.epoch_resp.error = raft_wire_error_from_code(p->error_code);
        out->u.epoch_resp.leader_id = p->leader_id;
        out->u.epoch_resp.leader_epoch = p->leader_epoch;
        return 0;
    }
    case KAPI_FETCH: {
        const struct fetch_resp *r = resp;
        out->type = RAFT_MSG_FETCH_RESPONSE;
        struct raft_fetch_resp *fr = &out->u.fetch_resp;
        fr->leader_id = -1;
        fr->high_watermark = -1;
        fr->diverging.epoch = -1;
        fr->snapshot_id.end_offset = -1;
        const struct fetch_resp_partition *p = FIRST_PARTITION(r->responses);
        if (r->error_code != KERR_NONE || !p) {
            fr->error = top_error(r->error_code);
            return 0;
        }
        fr->error = raft_wire_error_from_code(p->error_code);
        fr->leader_id = p->current_leader.leader_id;
        fr->leader_epoch = p->current_leader.leader_epoch;
        fr->high_watermark = p->high_watermark;
        fr->log_start_offset = p->log_start_offset;
        fr->diverging.epoch = p->diverging_epoch.epoch;
        fr->diverging.end_offset = p->diverging_epoch.end_offset;
        fr->snapshot_id.end_offset = p->snapshot_id.end_offset;
        fr->snapshot_id.epoch = p->snapshot_id.epoch;
        return split_entries(&p->records, a, fr);
    }
    case KAPI_FETCH_SNAPSHOT: {
        const struct fetch_snapshot_resp *r = resp;
        out->type = RAFT_MSG_FETCH_SNAPSHOT_RESPONSE;
        struct raft_fetch_snapshot_resp *sr = &out->u.snap_resp;
        sr->leader_id = -1;
        sr->snapshot_id.end_offset = -1;
        const struct fetch_snapshot_resp_partition *p = FIRST_PARTITION(r->topics);
        if (r->error_code != KERR_NONE || !p) {
            sr->error = top_error(r->error_code);
            return 0;
        }
        sr->error = raft_wire_error_from_code(p->error_code);
        sr->leader_id = p->current_leader.leader_id;
        sr->leader_epoch = p->current_leader.leader_epoch;
        sr->snapshot_id.end_offset = p->snapshot_id.end_offset;
        sr->snapshot_id.epoch = p->snapshot_id.epoch;
        sr->size = p->size;
        sr->position = p->position;
        sr->data = p->unaligned_records.p;
        sr->len = p->unaligned_records.len > 0 ? (size_t)p->unaligned_records.len : 0;
        return 0;
    }
    default:
        return SL_ECORRUPT;
    }
}

static bool kstr_is(struct kstr k, const char *s)
{
    size_t n = strlen(s);
    return k.s && k.len >= 0 && (size_t)k.len == n && memcmp(k.s, s, n) == 0;
}

static bool is_metadata_topic(struct kstr name)
{
    return kstr_is(name, RAFT_WIRE_TOPIC);
}

/*
 * KafkaRaftClient.hasValidClusterId: a request that carries a cluster id
 * (an empty one included) must carry ours; a null one is accepted ("we
 * don't enforce the cluster id if it is not provided"), which is how Kafka
 * treats every Raft RPC: ClusterId is nullable in all versions of Vote,
 * BeginQuorumEpoch and EndQuorumEpoch and a nullable tagged field of Fetch
 * (v12+) and FetchSnapshot.  A null cluster id therefore protects nothing:
 * the voter checks of the core (KIP-595) do.
 */
static bool cluster_id_ok(struct kstr got, const char *ours)
{
    return !got.s || kstr_is(got, ours ? ours : "");
}

/* The request's ClusterId field, or NULL for an API the core does not take. */
static const struct kstr *request_cluster_id(int16_t api_key, const void *req)
{
    switch (api_key) {
    case KAPI_VOTE:
        return &((const struct vote_req *)req)->cluster_id;
    case KAPI_BEGIN_QUORUM_EPOCH:
        return &((const struct begin_quorum_epoch_req *)req)->cluster_id;
    case KAPI_END_QUORUM_EPOCH:
        return &((const struct end_quorum_epoch_req *)req)->cluster_id;
    case KAPI_FETCH:
        return &((const struct fetch_req *)req)->cluster_id;
    case KAPI_FETCH_SNAPSHOT:
        return &((const struct fetch_snapshot_req *)req)->cluster_id;
    default:
        return NULL;
    }
}

bool raft_wire_describe_quorum_ok(const void *describe_quorum_req)
{
    const struct describe_quorum_req *r = describe_quorum_req;
    const struct describe_quorum_req_partition *p = ONLY_PARTITION(r->topics, topic_name);
    return p && p->partition_index == 0;
}

int raft_wire_request_to_msg(int16_t api_key, int16_t version, const void *req, int32_t self,
                             const char *cluster_id, struct arena *a, struct raft_msg *out,
                             int16_t *kafka_error)
{
    (void)version;
    (void)a;
    memset(out, 0, sizeof *out);
    out->to = self;
    *kafka_error = KERR_NONE;
    const struct kstr *cid = request_cluster_id(api_key, req);
    if (!cid)
        return SL_ENOTFOUND;
    /* KafkaRaftClient checks the cluster id first, then the topic partition. */
    if (!cluster_id_ok(*cid, cluster_id)) {
        *kafka_error = KERR_INCONSISTENT_CLUSTER_ID;
        return SL_EINVAL;
    }
    switch (api_key) {
    case KAPI_VOTE: {
        const struct vote_req *r = req;
        const struct vote_req_partition *p = ONLY_PARTITION(r->topics, topic_name);
        if (!p || p->partition_index != 0)
            goto invalid;
        out->type = RAFT_MSG_VOTE;
        out->from = p->replica_id;
        out->u.vote.epoch = p->replica_epoch;
        out->u.vote.last_epoch = p->last_offset_epoch;
        out->u.vote.end_offset = p->last_offset;
        out->u.vote.pre_vote = p->pre_vote;
        break;
    }
    case KAPI_BEGIN_QUORUM_EPOCH: {
        const struct begin_quorum_epoch_req *r = req;
        const struct begin_quorum_epoch_req_partition *p = ONLY_PARTITION(r->topics, topic_name);
        if (!p)
            goto invalid;
        out->type = RAFT_MSG_BEGIN_EPOCH;
        out->from = p->leader_id;
        out->u.begin.leader_id = p->leader_id;
        out->u.begin.leader_epoch = p->leader_epoch;
        break;
    }
    case KAPI_END_QUORUM_EPOCH: {
        const struct end_quorum_epoch_req *r = req;
        const struct end_quorum_epoch_req_partition *p = ONLY_PARTITION(r->topics, topic_name);
        if (!p)
            goto invalid;
        out->type = RAFT_MSG_END_EPOCH;
        out->from = p->leader_id;
        out->u.end.leader_id = p->leader_id;
        out->u.end.leader_epoch = p->leader_epoch;
        int n = p->preferred_successors.n > 0 ? p->preferred_successors.n : 0;
        if (n > RAFT_MAX_VOTERS)
            n = RAFT_MAX_VOTERS;
        out->u.end.nsuccessors = n;
        for (int i = 0; i < n; i++)
            out->u.end.successors[i] = p->preferred_successors.v[i];
        break;
    }
    case KAPI_FETCH: {
        const struct fetch_req *r = req;
        const struct fetch_req_partition *p = ONLY_PARTITION(r->topics, topic);
        if (!p || p->partition != 0)
            goto invalid;
        out->type = RAFT_MSG_FETCH;
        out->from = r->replica_id;
        out->u.fetch.leader_epoch = p->current_leader_epoch;
        out->u.fetch.fetch_offset = p->fetch_offset;
        out->u.fetch.last_fetched_epoch = p->last_fetched_epoch;
        out->u.fetch.log_start_offset = p->log_start_offset;
        out->u.fetch.max_wait_ms = r->max_wait_ms;
        out->u.fetch.max_bytes =
            p->partition_max_bytes < r->max_bytes ? p->partition_max_bytes : r->max_bytes;
        break;
    }
    case KAPI_FETCH_SNAPSHOT: {
        const struct fetch_snapshot_req *r = req;
        const struct fetch_snapshot_req_partition *p = ONLY_PARTITION(r->topics, name);
        if (!p)
            goto invalid;
        out->type = RAFT_MSG_FETCH_SNAPSHOT;
        out->from = r->replica_id;
        out->u.snap.leader_epoch = p->current_leader_epoch;
        out->u.snap.snapshot_id.end_offset = p->snapshot_id.end_offset;
        out->u.snap.snapshot_id.epoch = p->snapshot_id.epoch;
        out->u.snap.position = p->position;
        out->u.snap.max_bytes = r->max_bytes;
        break;
    }
    default:
        return SL_ENOTFOUND;
    }
    return 0;
invalid:
    *kafka_error = KERR_INVALID_REQUEST;
    return SL_EINVAL;
}

int raft_wire_response(int16_t api_key, const struct raft_msg *m, int16_t kafka_error,
                       struct arena *a, void **resp, const struct proto_schema **schema)
{
    switch (api_key) {
    case KAPI_VOTE: {
        struct vote_resp *r = alloc(a, 1, sizeof *r);
        *schema = &proto_vote_resp_schema;
        *resp = r;
        if (!m) {
            r->error_code = kafka_error;
            return 0;
        }
        struct vote_resp_partition *p = ONE_PARTITION(a, r->topics, topic_name);
        p->error_code = raft_wire_error_code(m->u.vote_resp.error);
        p->leader_id = m->u.vote_resp.leader_id;
        p->leader_epoch = m->u.vote_resp.leader_epoch;
        p->vote_granted = m->u.vote_resp.granted;
        return 0;
    }
    case KAPI_BEGIN_QUORUM_EPOCH:
    case KAPI_END_QUORUM_EPOCH: {
        struct quorum_epoch_resp *r = alloc(a, 1, sizeof *r);
        *schema = api_key == KAPI_BEGIN_QUORUM_EPOCH ? &proto_begin_quorum_epoch_resp_schema
                                                     : &proto_end_quorum_epoch_resp_schema;
        *resp = r;
        if (!m) {
            r->error_code = kafka_error;
            return 0;
        }
        struct quorum_epoch_resp_partition *p = ONE_PARTITION(a, r->topics, topic_name);
        p->error_code = raft_wire_error_code(m->u.epoch_resp.error);
        p->leader_id = m->u.epoch_resp.leader_id;
        p->leader_epoch = m->u.epoch_resp.leader_epoch;
        return 0;
    }
    case KAPI_FETCH: {
        struct fetch_resp *r = alloc(a, 1, sizeof *r);
        *schema = &proto_fetch_resp_schema;
        *resp = r;
        if (!m) {
            r->error_code = kafka_error;
            return 0;
        }
        struct fetch_resp_partition *p = ONE_PARTITION(a, r->responses, topic);
        proto_fetch_resp_partition_init(p);
        const struct raft_fetch_resp *fr = &m->u.fetch_resp;
        p->error_code = raft_wire_error_code(fr->error);
        p->high_watermark = fr->high_watermark;
        p->log_start_offset = fr->log_start_offset;
        p->current_leader.leader_id = fr->leader_id;
        p->current_leader.leader_epoch = fr->leader_epoch;
        if (fr->diverging.epoch >= 0) {
            p->diverging_epoch.epoch = fr->diverging.epoch;
            p->diverging_epoch.end_offset = fr->diverging.end_offset;
        }
        if (fr->snapshot_id.end_offset >= 0) {
            p->snapshot_id.end_offset = fr->snapshot_id.end_offset;
            p->snapshot_id.epoch = fr->snapshot_id.epoch;
        }
        size_t total = 0;
        for (size_t i = 0; i < fr->nentries; i++)
            total += fr->entries[i].len;
        if (total > 0 && total <= INT32_MAX) {
            uint8_t *buf = arena_alloc(a, total);
            size_t off = 0;
            for (size_t i = 0; i < fr->nentries; i++) {
                memcpy(buf + off, fr->entries[i].data, fr->entries[i].len);
                off += fr->entries[i].len;
            }
            p->records.p = buf;
            p->records.len = (int32_t)total;
        }
        return 0;
    }
    case KAPI_FETCH_SNAPSHOT: {
        struct fetch_snapshot_resp *r = alloc(a, 1, sizeof *r);
        *schema = &proto_fetch_snapshot_resp_schema;
        *resp = r;
        if (!m) {
            r->error_code = kafka_error;
            return 0;
        }
        struct fetch_snapshot_resp_partition *p = ONE_PARTITION(a, r->topics, name);
        const struct raft_fetch_snapshot_resp *sr = &m->u.snap_resp;
        p->error_code = raft_wire_error_code(sr->error);
        p->snapshot_id.end_offset = sr->snapshot_id.end_offset;
        p->snapshot_id.epoch = sr->snapshot_id.epoch;
        p->current_leader.leader_id = sr->leader_id;
        p->current_leader.leader_epoch = sr->leader_epoch;
        p->size = sr->size;
        p->position = sr->position;
        p->unaligned_records.p = sr->data;
        p->unaligned_records.len = (int32_t)sr->len;
        return 0;
    }
    default:
        return SL_EINVAL;
    }
}
