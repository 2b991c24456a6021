/*
 * Hostile input to the Raft quorum (issue 13): requests from nodes outside
 * controller.quorum.voters, absurd or negative epochs, responses naming
 * non-voters, and cluster ids that are empty, foreign or carry an embedded
 * NUL.  KIP-595 / KafkaRaftClient refuse all of them before anything moves;
 * each test checks the answer and that epoch, vote, leader and role did not
 * change.  The core is driven directly; the cluster-id rules through the
 * wire glue (raft_wire.c).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "kafka.h"
#include "log.h"
#include "messages.h"
#include "raft.h"
#include "raft_wire.h"

/* ---- a node and what it answered ---- */

static int marker(void *ctx, int64_t base, int32_t epoch, int32_t leader, struct wbuf *out)
{
    (void)ctx;
    (void)base;
    wbuf_i32(out, epoch);
    wbuf_i32(out, leader);
    return 0;
}

static struct raft_config config(int32_t id, int nvoters)
{
    struct raft_config c;
    raft_config_default(&c);
    c.node_id = id;
    c.nvoters = nvoters;
    for (int i = 0; i < nvoters; i++)
        c.voters[i] = i + 1;
    c.marker = marker;
    c.seed = 7;
    return c;
}

static struct raft_node *start(const struct raft_config *c, const struct raft_persisted *st)
{
    struct raft_node *n = NULL;
    ck_assert_int_eq(raft_create(c, st, NULL, NULL, 0, &n), 0);
    raft_start(n, 0);
    return n;
}

/* Node 1 alone (voters {1}): the leader of epoch 1, as the dev cluster is. */
static struct raft_node *lone_leader(void)
{
    struct raft_config cfg = config(1, 1);
    struct raft_node *n = start(&cfg, NULL);
    /* candidacy, then leadership: each quorum-state is made durable */
    for (int i = 0; i < 4 && raft_output(n)->persist; i++)
        raft_persist_done(n, 1, raft_output(n)->persist_seq);
    ck_assert(!raft_output(n)->persist);
    ck_assert_int_eq(raft_role(n), RAFT_LEADER);
    ck_assert_int_eq(raft_epoch(n), 1);
    return n;
}

/* Node 1 of three, following leader 2 in epoch 5. */
static struct raft_node *follower(void)
{
    struct raft_config cfg = config(1, 3);
    struct raft_persisted st = {.epoch = 5, .voted_id = -1, .leader_id = 2};
    struct raft_node *n = start(&cfg, &st);
    ck_assert_int_eq(raft_role(n), RAFT_FOLLOWER);
    return n;
}

static struct raft_msg msg(enum raft_msg_type type, int32_t from, int32_t to)
{
    struct raft_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.from = from;
    m.to = to;
    m.rid = 77;
    return m;
}

static struct raft_msg end_epoch(int32_t leader, int32_t to, int32_t epoch)
{
    struct raft_msg m = msg(RAFT_MSG_END_EPOCH, leader, to);
    m.u.end.leader_id = leader;
    m.u.end.leader_epoch = epoch;
    m.u.end.nsuccessors = 1;
    m.u.end.successors[0] = to;
    return m;
}

static struct raft_msg begin_epoch(int32_t leader, int32_t to, int32_t epoch)
{
    struct raft_msg m = msg(RAFT_MSG_BEGIN_EPOCH, leader, to);
    m.u.begin.leader_id = leader;
    m.u.begin.leader_epoch = epoch;
    return m;
}

static struct raft_msg vote(int32_t cand, int32_t to, int32_t epoch, int32_t last_epoch,
                            bool pre_vote)
{
    struct raft_msg m = msg(RAFT_MSG_VOTE, cand, to);
    m.u.vote.epoch = epoch;
    m.u.vote.last_epoch = last_epoch;
    m.u.vote.end_offset = 1000;
    m.u.vote.pre_vote = pre_vote;
    return m;
}

/* The election state before a hostile message, to compare after it. */
struct snap {
    int32_t epoch, voted, leader;
    enum raft_role role;
};

static struct snap snap_of(const struct raft_node *n)
{
    return (struct snap){raft_epoch(n), raft_voted_id(n), raft_leader_id(n), raft_role(n)};
}

static void assert_unmoved(const struct raft_node *n, struct snap s)
{
    ck_assert_int_eq(raft_epoch(n), s.epoch);
    ck_assert_int_eq(raft_voted_id(n), s.voted);
    ck_assert_int_eq(raft_leader_id(n), s.leader);
    ck_assert_int_eq(raft_role(n), s.role);
    ck_assert(!raft_output(n)->persist);
    ck_assert_ptr_null(raft_fault(n));
}

/* Delivers a request and returns the one response it produced (to the sender). */
static const struct raft_msg *ask(struct raft_node *n, const struct raft_msg *m,
                                  enum raft_msg_type resp_type)
{
    ck_assert_int_eq(raft_recv(n, 10, m), 0);
    const struct raft_output *o = raft_output(n);
    for (size_t i = 0; i < o->nmsgs; i++)
        if (o->msgs[i].type == resp_type && o->msgs[i].to == m->from && o->msgs[i].rid == m->rid)
            return &o->msgs[i];
    ck_abort_msg("no %s answered", raft_msg_type_name(resp_type));
    return NULL;
}

/* ---- the request, and the same class for every voter-only RPC ---- */

START_TEST(end_epoch_from_non_voter_moves_nothing)
{
    /* EndQuorumEpoch v0, leader_id 2 (not a voter), leader_epoch INT32_MAX. */
    struct raft_node *n = lone_leader();
    struct snap s = snap_of(n);
    struct raft_msg e = end_epoch(2, 1, INT32_MAX);
    const struct raft_msg *r = ask(n, &e, RAFT_MSG_END_EPOCH_RESPONSE);
    ck_assert_int_eq(r->u.epoch_resp.error, RAFT_E_NOT_VOTER);
    ck_assert_int_eq(r->u.epoch_resp.leader_epoch, 1);
    ck_assert_int_eq(r->u.epoch_resp.leader_id, 1);
    assert_unmoved(n, s);
    /* Still able to lead: a proposal is taken in epoch 1. */
    ck_assert_int_eq(raft_propose(n, 20, raft_log_end_offset(n), 1, "x", 1), 0);
    raft_destroy(n);

    n = follower();
    s = snap_of(n);
    e = end_epoch(7, 1, INT32_MAX);
    r = ask(n, &e, RAFT_MSG_END_EPOCH_RESPONSE);
    ck_assert_int_eq(r->u.epoch_resp.error, RAFT_E_NOT_VOTER);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(begin_epoch_from_non_voter_moves_nothing)
{
    struct raft_node *n = follower();
    struct snap s = snap_of(n);
    struct raft_msg b = begin_epoch(9, 1, INT32_MAX);
    const struct raft_msg *r = ask(n, &b, RAFT_MSG_BEGIN_EPOCH_RESPONSE);
    ck_assert_int_eq(r->u.epoch_resp.error, RAFT_E_NOT_VOTER);
    assert_unmoved(n, s);
    raft_destroy(n);

    n = lone_leader();
    s = snap_of(n);
    b = begin_epoch(2, 1, 2);
    r = ask(n, &b, RAFT_MSG_BEGIN_EPOCH_RESPONSE);
    ck_assert_int_eq(r->u.epoch_resp.error, RAFT_E_NOT_VOTER);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(vote_from_non_voter_moves_nothing)
{
    struct raft_node *n = follower();
    struct snap s = snap_of(n);
    struct raft_msg v = vote(4, 1, INT32_MAX, 0, false);
    const struct raft_msg *r = ask(n, &v, RAFT_MSG_VOTE_RESPONSE);
    ck_assert_int_eq(r->u.vote_resp.error, RAFT_E_NOT_VOTER);
    ck_assert(!r->u.vote_resp.granted);
    assert_unmoved(n, s);
    v = vote(4, 1, INT32_MAX, 0, true);
    r = ask(n, &v, RAFT_MSG_VOTE_RESPONSE);
    ck_assert_int_eq(r->u.vote_resp.error, RAFT_E_NOT_VOTER);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(fetch_from_non_voter_with_absurd_epoch_moves_nothing)
{
    struct raft_node *n = lone_leader();
    struct snap s = snap_of(n);
    struct raft_msg f = msg(RAFT_MSG_FETCH, 12, 1);
    f.u.fetch.leader_epoch = INT32_MAX;
    f.u.fetch.fetch_offset = 0;
    f.u.fetch.last_fetched_epoch = 0;
    f.u.fetch.max_bytes = 1 << 20;
    const struct raft_msg *r = ask(n, &f, RAFT_MSG_FETCH_RESPONSE);
    ck_assert_int_eq(r->u.fetch_resp.error, RAFT_E_UNKNOWN_EPOCH);
    ck_assert_int_eq(r->u.fetch_resp.leader_epoch, 1);
    assert_unmoved(n, s);
    /* An observer may fetch in the right epoch (KIP-595: observers replicate too). */
    f.u.fetch.leader_epoch = 1;
    r = ask(n, &f, RAFT_MSG_FETCH_RESPONSE);
    ck_assert_int_eq(r->u.fetch_resp.error, RAFT_OK);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(voter_only_requests_to_an_observer_are_refused)
{
    /* Node 9 observes voters {1,2,3}: Kafka answers INCONSISTENT_VOTER_SET (isObserver). */
    struct raft_config cfg = config(9, 3);
    struct raft_persisted st = {.epoch = 3, .voted_id = -1, .leader_id = -1};
    struct raft_node *n = start(&cfg, &st);
    struct snap s = snap_of(n);
    struct raft_msg b = begin_epoch(2, 9, 40);
    ck_assert_int_eq(ask(n, &b, RAFT_MSG_BEGIN_EPOCH_RESPONSE)->u.epoch_resp.error,
                     RAFT_E_NOT_VOTER);
    assert_unmoved(n, s);
    struct raft_msg e = end_epoch(2, 9, 40);
    ck_assert_int_eq(ask(n, &e, RAFT_MSG_END_EPOCH_RESPONSE)->u.epoch_resp.error, RAFT_E_NOT_VOTER);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(bad_epochs_are_fenced_or_invalid)
{
    struct raft_node *n = follower();
    struct snap s = snap_of(n);
    struct raft_msg b = begin_epoch(3, 1, -7);
    ck_assert_int_eq(ask(n, &b, RAFT_MSG_BEGIN_EPOCH_RESPONSE)->u.epoch_resp.error,
                     RAFT_E_FENCED_EPOCH);
    struct raft_msg e = end_epoch(3, 1, INT32_MIN);
    ck_assert_int_eq(ask(n, &e, RAFT_MSG_END_EPOCH_RESPONSE)->u.epoch_resp.error,
                     RAFT_E_FENCED_EPOCH);
    /* A voter's older epoch is fenced too. */
    e = end_epoch(2, 1, 4);
    ck_assert_int_eq(ask(n, &e, RAFT_MSG_END_EPOCH_RESPONSE)->u.epoch_resp.error,
                     RAFT_E_FENCED_EPOCH);
    /* Vote: last epoch must be below the candidate's epoch, offsets non-negative. */
    struct raft_msg v = vote(3, 1, 9, 9, false);
    ck_assert_int_eq(ask(n, &v, RAFT_MSG_VOTE_RESPONSE)->u.vote_resp.error, RAFT_E_INVALID_REQUEST);
    v = vote(3, 1, 9, -1, false);
    ck_assert_int_eq(ask(n, &v, RAFT_MSG_VOTE_RESPONSE)->u.vote_resp.error, RAFT_E_INVALID_REQUEST);
    v = vote(3, 1, 9, 2, false);
    v.u.vote.end_offset = -1;
    ck_assert_int_eq(ask(n, &v, RAFT_MSG_VOTE_RESPONSE)->u.vote_resp.error, RAFT_E_INVALID_REQUEST);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(responses_naming_non_voters_are_dropped)
{
    struct raft_node *n = follower();
    struct snap s = snap_of(n);
    /* From a non-voter: nodes only send requests to voters. */
    struct raft_msg r = msg(RAFT_MSG_VOTE_RESPONSE, 8, 1);
    r.u.vote_resp.leader_id = -1;
    r.u.vote_resp.leader_epoch = INT32_MAX;
    ck_assert_int_eq(raft_recv(n, 10, &r), SL_EINVAL);
    assert_unmoved(n, s);
    r = msg(RAFT_MSG_BEGIN_EPOCH_RESPONSE, 8, 1);
    r.u.epoch_resp.leader_id = 8;
    r.u.epoch_resp.leader_epoch = INT32_MAX;
    ck_assert_int_eq(raft_recv(n, 10, &r), SL_EINVAL);
    assert_unmoved(n, s);
    /* From a voter, naming a leader outside the voter set. */
    r = msg(RAFT_MSG_FETCH_RESPONSE, 2, 1);
    r.u.fetch_resp.leader_id = 8;
    r.u.fetch_resp.leader_epoch = 6;
    r.u.fetch_resp.diverging.epoch = -1;
    r.u.fetch_resp.snapshot_id.end_offset = -1;
    ck_assert_int_eq(raft_recv(n, 10, &r), SL_EINVAL);
    assert_unmoved(n, s);
    raft_destroy(n);
}
END_TEST

START_TEST(persisted_leader_outside_the_voters_is_forgotten)
{
    struct raft_config cfg = config(1, 3);
    struct raft_persisted st = {.epoch = 5, .voted_id = -1, .leader_id = 8};
    struct raft_node *n = start(&cfg, &st);
    ck_assert_int_eq(raft_leader_id(n), -1);
    ck_assert_int_eq(raft_epoch(n), 5);
    ck_assert_int_ne(raft_role(n), RAFT_FOLLOWER);
    raft_destroy(n);
}
END_TEST

/* ---- the glue: cluster ids (KafkaRaftClient.hasValidClusterId) ---- */

static int16_t wire_end_epoch(const char *cid, int32_t cid_len, struct raft_msg *out)
{
    struct end_quorum_epoch_req_partition p = {.leader_id = 2, .leader_epoch = INT32_MAX};
    struct end_quorum_epoch_req_topic t = {
        .topic_name = {RAFT_WIRE_TOPIC, (int32_t)strlen(RAFT_WIRE_TOPIC)}};
    t.partitions.n = 1;
    t.partitions.v = &p;
    struct end_quorum_epoch_req req = {.cluster_id = {cid, cid_len}};
    req.topics.n = 1;
    req.topics.v = &t;
    struct arena a = ARENA_INIT;
    int16_t kerr = -1;
    int rc = raft_wire_request_to_msg(KAPI_END_QUORUM_EPOCH, 0, &req, 1, "test", &a, out, &kerr);
    arena_free(&a);
    ck_assert(rc == 0 ? kerr == KERR_NONE : kerr != KERR_NONE);
    return kerr;
}

START_TEST(cluster_id_must_be_ours_or_null)
{
    struct raft_msg m;
    ck_assert_int_eq(wire_end_epoch("test", 4, &m), KERR_NONE);
    ck_assert_int_eq(m.type, RAFT_MSG_END_EPOCH);
    ck_assert_int_eq(m.from, 2);
    /* Null: accepted as Kafka does; the core's voter check refuses leader 2 then. */
    ck_assert_int_eq(wire_end_epoch(NULL, 0, &m), KERR_NONE);
    ck_assert_int_eq(wire_end_epoch("", 0, &m), KERR_INCONSISTENT_CLUSTER_ID);
    ck_assert_int_eq(wire_end_epoch("other", 5, &m), KERR_INCONSISTENT_CLUSTER_ID);
    ck_assert_int_eq(wire_end_epoch("test\0evil", 9, &m), KERR_INCONSISTENT_CLUSTER_ID);
    ck_assert_int_eq(wire_end_epoch("tes", 3, &m), KERR_INCONSISTENT_CLUSTER_ID);
}
END_TEST

START_TEST(cluster_id_is_checked_before_the_partition)
{
    /* A foreign cluster's request for another topic is INCONSISTENT_CLUSTER_ID, as in Kafka. */
    struct vote_req req = {.cluster_id = {"other", 5}};
    struct raft_msg m;
    struct arena a = ARENA_INIT;
    int16_t kerr = KERR_NONE;
    ck_assert_int_eq(raft_wire_request_to_msg(KAPI_VOTE, 2, &req, 1, "test", &a, &m, &kerr),
                     SL_EINVAL);
    ck_assert_int_eq(kerr, KERR_INCONSISTENT_CLUSTER_ID);
    req.cluster_id = (struct kstr){"test", 4};
    ck_assert_int_eq(raft_wire_request_to_msg(KAPI_VOTE, 2, &req, 1, "test", &a, &m, &kerr),
                     SL_EINVAL);
    ck_assert_int_eq(kerr, KERR_INVALID_REQUEST);
    arena_free(&a);
}
END_TEST

START_TEST(describe_quorum_names_the_metadata_partition)
{
    struct describe_quorum_req_partition p = {.partition_index = 0};
    struct describe_quorum_req_topic t = {
        .topic_name = {RAFT_WIRE_TOPIC, (int32_t)strlen(RAFT_WIRE_TOPIC)}};
    t.partitions.n = 1;
    t.partitions.v = &p;
    struct describe_quorum_req req = {0};
    req.topics.n = 1;
    req.topics.v = &t;
    ck_assert(raft_wire_describe_quorum_ok(&req));
    p.partition_index = 1;
    ck_assert(!raft_wire_describe_quorum_ok(&req));
    p.partition_index = 0;
    t.topic_name = (struct kstr){"__cluster_metadataX", 19};
    ck_assert(!raft_wire_describe_quorum_ok(&req));
    req.topics.n = 0;
    ck_assert(!raft_wire_describe_quorum_ok(&req));
}
END_TEST

int main(void)
{
    log_set_level(LOG_LEVEL_ERROR);
    Suite *s = suite_create("raft_hostile");
    TCase *tc = tcase_create("raft_hostile");
    tcase_add_test(tc, end_epoch_from_non_voter_moves_nothing);
    tcase_add_test(tc, begin_epoch_from_non_voter_moves_nothing);
    tcase_add_test(tc, vote_from_non_voter_moves_nothing);
    tcase_add_test(tc, fetch_from_non_voter_with_absurd_epoch_moves_nothing);
    tcase_add_test(tc, voter_only_requests_to_an_observer_are_refused);
    tcase_add_test(tc, bad_epochs_are_fenced_or_invalid);
    tcase_add_test(tc, responses_naming_non_voters_are_dropped);
    tcase_add_test(tc, persisted_leader_outside_the_voters_is_forgotten);
    tcase_add_test(tc, cluster_id_must_be_ours_or_null);
    tcase_add_test(tc, cluster_id_is_checked_before_the_partition);
    tcase_add_test(tc, describe_quorum_names_the_metadata_partition);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
