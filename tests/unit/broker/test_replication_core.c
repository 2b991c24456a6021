/*
 * Unit tests of the replication core's transitions (broker/replication/replication_core.c):
 * leadership changes, the leader's high watermark, follower fetches, ISR
 * proposals and the controller's answers (KIP-497), the follower's truncation
 * and high watermark, and the leader-only / follower-only preconditions.
 */
#include <check.h>
#include <signal.h>
#include <stdlib.h>

#include "replication_core.h"

static const int32_t three[3] = {1, 2, 3};

/* Replica `self` of a 3-replica partition led by `leader` at epoch 5, partition epoch 0. */
static void setup(struct repl_partition *r, int32_t self, int32_t leader, const int32_t *isr,
                  int nisr, int32_t min_isr, int64_t now)
{
    struct repl_config cfg = {.min_isr = min_isr, .isr_change_min_interval_ms = 0};
    repl_init(r, &cfg, -1, 0, 0);
    struct repl_state_change ch;
    repl_set_state(r, self, leader, 5, 0, three, 3, isr, nisr, now, &ch);
}

static bool only_even(void *ctx, int32_t id)
{
    (void)ctx;
    return id % 2 == 0;
}

/* A follower fetch at offset with the leader at leo, no epoch check. */
static enum repl_fetch_verdict fetch(struct repl_partition *r, int32_t id, int64_t offset,
                                     int64_t leo, int64_t now)
{
    int32_t de;
    int64_t dend;
    return repl_leader_on_fetch(r, id, offset, -1, -1, -1, 0, leo, now, &de, &dend);
}

/* ---- init and set_state ---- */

START_TEST(test_init_clamps_checkpoint)
{
    struct repl_config cfg = {.min_isr = 1};
    struct repl_partition r;
    repl_init(&r, &cfg, 50, 10, 40);
    ck_assert_int_eq(r.high_watermark, 40); /* above the log end */
    repl_init(&r, &cfg, 5, 10, 40);
    ck_assert_int_eq(r.high_watermark, 10); /* below the log start */
    repl_init(&r, &cfg, -1, 10, 40);
    ck_assert_int_eq(r.high_watermark, 10); /* unknown */
    ck_assert_int_eq(r.leader_id, -1);
    ck_assert_int_eq(r.leader_epoch, -1);
    ck_assert(!r.is_leader);
}
END_TEST

START_TEST(test_new_leadership_resets_followers)
{
    struct repl_partition r;
    int32_t isr[2] = {1, 2};
    struct repl_config cfg = {.min_isr = 1};
    repl_init(&r, &cfg, -1, 0, 0);
    struct repl_state_change ch;
    repl_set_state(&r, 1, 1, 5, 0, three, 3, isr, 2, 1000, &ch);
    ck_assert(ch.new_leadership);
    ck_assert(!ch.became_follower);
    ck_assert(r.is_leader);
    ck_assert_int_eq(r.nfollowers, 2);
    const struct repl_follower *f2 = repl_leader_follower(&r, 2), *f3 = repl_leader_follower(&r, 3);
    ck_assert_ptr_nonnull(f2);
    ck_assert_ptr_nonnull(f3);
    ck_assert_ptr_null(repl_leader_follower(&r, 1));
    ck_assert_int_eq(f2->last_caught_up_ms, 1000); /* ISR member: caught up now */
    ck_assert_int_eq(f3->last_caught_up_ms, -1);   /* not a member: never */
    ck_assert_int_eq(f2->leo, -1);
    /* The same leadership at a newer partition epoch keeps what it knew. */
    ck_assert_int_eq(fetch(&r, 2, 0, 0, 1500), REPL_FETCH_OK);
    repl_set_state(&r, 1, 1, 5, 1, three, 3, three, 3, 2000, &ch);
    ck_assert(!ch.new_leadership);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, 0);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->last_fetch_ms, 1500);
    /* A new epoch resets it. */
    repl_set_state(&r, 1, 1, 6, 2, three, 3, three, 3, 3000, &ch);
    ck_assert(ch.new_leadership);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, -1);
    repl_free(&r);
}
END_TEST

START_TEST(test_becoming_follower_drops_leader_state)
{
    struct repl_partition r;
    setup(&r, 1, 1, three, 3, 1, 1000);
    ck_assert(repl_leader_propose_isr(&r, 1000 + 60000, 30000, 0, NULL, NULL));
    ck_assert(r.isr_change_inflight);
    struct repl_state_change ch;
    repl_set_state(&r, 1, 2, 6, 1, three, 3, three, 3, 70000, &ch);
    ck_assert(ch.became_follower);
    ck_assert(!ch.new_leadership);
    ck_assert(!r.is_leader);
    ck_assert_int_eq(r.nfollowers, 0);
    ck_assert(!r.isr_change_inflight);
    ck_assert_ptr_null(r.proposed_isr);
    /* Following the same leader at the same epoch again is no change. */
    repl_set_state(&r, 1, 2, 6, 2, three, 3, three, 3, 70000, &ch);
    ck_assert(!ch.became_follower);
    repl_free(&r);
}
END_TEST

START_TEST(test_newer_partition_epoch_settles_proposal)
{
    struct repl_partition r;
    setup(&r, 1, 1, three, 3, 1, 1000);
    ck_assert(repl_leader_propose_isr(&r, 61000, 30000, 0, NULL, NULL));
    struct repl_state_change ch;
    repl_set_state(&r, 1, 1, 5, 0, three, 3, three, 3, 61000, &ch); /* same epochs */
    ck_assert(r.isr_change_inflight);
    int32_t isr1[1] = {1};
    repl_set_state(&r, 1, 1, 5, 1, three, 3, isr1, 1, 61000, &ch);
    ck_assert(!r.isr_change_inflight);
    repl_free(&r);
}
END_TEST

/* ---- the leader's high watermark ---- */

START_TEST(test_hw_is_min_isr_leo_and_never_backwards)
{
    struct repl_partition r;
    setup(&r, 1, 1, three, 3, 1, 1000);
    ck_assert(!repl_leader_advance_hw(&r, 10)); /* followers' LEOs unknown */
    ck_assert_int_eq(r.high_watermark, 0);
    ck_assert_int_eq(fetch(&r, 2, 7, 10, 1100), REPL_FETCH_OK);
    ck_assert(!repl_leader_advance_hw(&r, 10));
    ck_assert_int_eq(fetch(&r, 3, 4, 10, 1100), REPL_FETCH_OK);
    ck_assert(repl_leader_advance_hw(&r, 10));
    ck_assert_int_eq(r.high_watermark, 4);
    /* A follower that truncated and fetches lower does not pull it back. */
    ck_assert_int_eq(fetch(&r, 3, 2, 10, 1200), REPL_FETCH_OK);
    ck_assert(!repl_leader_advance_hw(&r, 10));
    ck_assert_int_eq(r.high_watermark, 4);
    repl_free(&r);
}
END_TEST

START_TEST(test_hw_frozen_below_min_isr)
{
    struct repl_partition r;
    int32_t isr1[1] = {1};
    setup(&r, 1, 1, isr1, 1, 2, 1000);
    ck_assert(!repl_leader_advance_hw(&r, 10)); /* ISR {1} < min.insync.replicas 2 */
    ck_assert_int_eq(r.high_watermark, 0);
    struct repl_state_change ch;
    int32_t isr2[2] = {1, 2};
    repl_set_state(&r, 1, 1, 5, 1, three, 3, isr2, 2, 1000, &ch);
    ck_assert_int_eq(fetch(&r, 2, 10, 10, 1100), REPL_FETCH_OK);
    ck_assert(repl_leader_advance_hw(&r, 10));
    ck_assert_int_eq(r.high_watermark, 10);
    /* Every replica in the ISR, fewer than min.insync.replicas: acks=1 topics still move. */
    struct repl_partition s;
    struct repl_config cfg = {.min_isr = 3};
    repl_init(&s, &cfg, -1, 0, 0);
    int32_t one[1] = {1};
    repl_set_state(&s, 1, 1, 1, 0, one, 1, one, 1, 0, &ch);
    ck_assert(repl_leader_advance_hw(&s, 4));
    ck_assert_int_eq(s.high_watermark, 4);
    repl_free(&r);
    repl_free(&s);
}
END_TEST

START_TEST(test_hw_counts_the_maximal_isr_while_a_change_is_in_flight)
{
    struct repl_partition r;
    int32_t isr2[2] = {1, 2};
    setup(&r, 1, 1, isr2, 2, 1, 1000);
    ck_assert_int_eq(fetch(&r, 3, 0, 0, 1100), REPL_FETCH_OK); /* 3 caught up at 0 */
    ck_assert(repl_leader_propose_isr(&r, 1100, 30000, 0, NULL, NULL));
    ck_assert_int_eq(r.nproposed_isr, 3); /* 3 joins */
    int32_t max[8];
    ck_assert_int_eq(repl_leader_maximal_isr(&r, max), 3);
    ck_assert_int_eq(fetch(&r, 2, 10, 10, 1200), REPL_FETCH_OK);
    ck_assert(!repl_leader_advance_hw(&r, 10)); /* 3, proposed, is at 0 */
    repl_isr_change_end(&r);
    ck_assert(repl_leader_advance_hw(&r, 10)); /* back to the committed ISR {1, 2} */
    ck_assert_int_eq(r.high_watermark, 10);
    repl_free(&r);
}
END_TEST

/* ---- follower fetches at the leader ---- */

START_TEST(test_fetch_verdicts)
{
    struct repl_partition r;
    setup(&r, 1, 1, three, 3, 1, 1000);
    int32_t de;
    int64_t dend;
    ck_assert_int_eq(repl_leader_on_fetch(&r, 9, 0, -1, -1, -1, 0, 10, 1000, &de, &dend),
                     REPL_FETCH_NOT_FOLLOWER);
    ck_assert_int_eq(repl_leader_on_fetch(&r, 2, 11, -1, -1, -1, 0, 10, 1000, &de, &dend),
                     REPL_FETCH_OUT_OF_RANGE);
    ck_assert_int_eq(repl_leader_on_fetch(&r, 2, 1, -1, -1, -1, 2, 10, 1000, &de, &dend),
                     REPL_FETCH_OUT_OF_RANGE);              /* below the log start */
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, -1); /* not recorded */
    /* Epoch 3 ends at 6 at the leader; the follower is at 8 with epoch 3: diverges. */
    ck_assert_int_eq(repl_leader_on_fetch(&r, 2, 8, 3, 3, 6, 0, 10, 1000, &de, &dend),
                     REPL_FETCH_DIVERGING);
    ck_assert_int_eq(de, 3);
    ck_assert_int_eq(dend, 6);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, -1);
    /* No end offset to offer: the high watermark stands in. */
    r.high_watermark = 4;
    ck_assert_int_eq(repl_leader_on_fetch(&r, 2, 8, 7, -1, -1, 0, 10, 1000, &de, &dend),
                     REPL_FETCH_DIVERGING);
    ck_assert_int_eq(de, -1);
    ck_assert_int_eq(dend, 4);
    ck_assert_int_eq(repl_leader_on_fetch(&r, 2, 6, 3, 3, 6, 0, 10, 1000, &de, &dend),
                     REPL_FETCH_OK);
    ck_assert_int_eq(de, -1);
    ck_assert_int_eq(dend, -1);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, 6);
    /* A restarted follower is forgotten until it fetches again. */
    repl_leader_follower_restarted(&r, 2, 2000);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, -1);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->last_caught_up_ms, -1);
    struct repl_state_change ch;
    repl_set_state(&r, 1, 2, 6, 1, three, 3, three, 3, 2000, &ch);
    ck_assert_int_eq(repl_leader_on_fetch(&r, 3, 0, -1, -1, -1, 0, 10, 1000, &de, &dend),
                     REPL_FETCH_NOT_FOLLOWER); /* no longer the leader */
    repl_free(&r);
}
END_TEST

/* ---- ISR proposals ---- */

START_TEST(test_propose_shrinks_laggards_and_adds_caught_up)
{
    struct repl_partition r;
    int32_t isr2[2] = {1, 2};
    setup(&r, 1, 1, isr2, 2, 1, 0);
    ck_assert(!repl_leader_propose_isr(&r, 100, 30000, 0, NULL, NULL)); /* nothing to change */
    ck_assert_int_eq(fetch(&r, 3, 4, 4, 60000), REPL_FETCH_OK);
    ck_assert(repl_leader_propose_isr(&r, 60000, 30000, 0, NULL, NULL));
    ck_assert(r.isr_change_inflight);
    ck_assert_int_eq(r.nproposed_isr, 2);
    ck_assert_int_eq(r.proposed_isr[0], 1);
    ck_assert_int_eq(r.proposed_isr[1], 3);
    ck_assert(!repl_leader_propose_isr(&r, 61000, 30000, 0, NULL, NULL)); /* one at a time */
    repl_free(&r);
}
END_TEST

START_TEST(test_propose_respects_epoch_start_and_eligibility)
{
    struct repl_partition r;
    int32_t isr1[1] = {1};
    setup(&r, 1, 1, isr1, 1, 1, 0);
    ck_assert_int_eq(fetch(&r, 2, 4, 4, 100), REPL_FETCH_OK);
    ck_assert_int_eq(fetch(&r, 3, 4, 4, 100), REPL_FETCH_OK);
    /* Neither reached the start of the leader's epoch (5). */
    ck_assert(!repl_leader_propose_isr(&r, 100, 30000, 5, NULL, NULL));
    /* Only the eligible one joins. */
    ck_assert(repl_leader_propose_isr(&r, 100, 30000, 4, only_even, NULL));
    ck_assert_int_eq(r.nproposed_isr, 2);
    ck_assert_int_eq(r.proposed_isr[1], 2);
    repl_free(&r);
}
END_TEST

START_TEST(test_propose_waits_min_interval)
{
    struct repl_partition r;
    struct repl_config cfg = {.min_isr = 1, .isr_change_min_interval_ms = 500};
    repl_init(&r, &cfg, -1, 0, 0);
    struct repl_state_change ch;
    repl_set_state(&r, 1, 1, 5, 0, three, 3, three, 3, 0, &ch);
    ck_assert(repl_leader_propose_isr(&r, 60000, 30000, 0, NULL, NULL));
    repl_isr_change_sent(&r, 60000);
    ck_assert_int_eq(repl_isr_change_answer(&r, r.isr_change_seq, 5, REPL_ISR_REFUSED, -1, -1, -1,
                                            NULL, 0, 60100),
                     REPL_ISR_ENDED);
    ck_assert(!repl_leader_propose_isr(&r, 60499, 30000, 0, NULL, NULL));
    ck_assert(repl_leader_propose_isr(&r, 60500, 30000, 0, NULL, NULL));
    repl_free(&r);
}
END_TEST

/* ---- the controller's answers ---- */

/* A leader of {1,2,3} at epoch 5 with follower 3 proposed out, sent as the returned seq. */
static uint32_t proposing(struct repl_partition *r)
{
    setup(r, 1, 1, three, 3, 1, 0);
    ck_assert_int_eq(fetch(r, 2, 0, 0, 59000), REPL_FETCH_OK);
    ck_assert(repl_leader_propose_isr(r, 60000, 30000, 0, NULL, NULL));
    ck_assert_int_eq(r->nproposed_isr, 2);
    return repl_isr_change_sent(r, 60000);
}

START_TEST(test_answer_to_another_send_or_epoch_is_ignored)
{
    struct repl_partition r;
    uint32_t seq = proposing(&r);
    int32_t isr[2] = {1, 2};
    ck_assert_int_eq(repl_isr_change_answer(&r, seq - 1, 5, REPL_ISR_COMMITTED, 1, 5, 1, isr, 2, 0),
                     REPL_ISR_IGNORED);
    ck_assert_int_eq(repl_isr_change_answer(&r, seq, 4, REPL_ISR_COMMITTED, 1, 5, 1, isr, 2, 0),
                     REPL_ISR_IGNORED);
    ck_assert(r.isr_change_inflight);
    ck_assert_int_eq(r.nisr, 3);
    /* Sent again: the first send's answer is stale, the second's counts. */
    uint32_t again = repl_isr_change_sent(&r, 61000);
    ck_assert_uint_ne(again, seq);
    ck_assert_int_eq(repl_isr_change_answer(&r, seq, 5, REPL_ISR_COMMITTED, 1, 5, 1, isr, 2, 0),
                     REPL_ISR_IGNORED);
    ck_assert_int_eq(repl_isr_change_answer(&r, again, 5, REPL_ISR_COMMITTED, 1, 5, 1, isr, 2, 0),
                     REPL_ISR_APPLIED);
    repl_free(&r);
}
END_TEST

START_TEST(test_committed_answer_applies_newer_isr)
{
    struct repl_partition r;
    uint32_t seq = proposing(&r);
    int32_t isr[2] = {1, 2};
    ck_assert_int_eq(repl_isr_change_answer(&r, seq, 5, REPL_ISR_COMMITTED, 1, 5, 1, isr, 2, 60100),
                     REPL_ISR_APPLIED);
    ck_assert(!r.isr_change_inflight);
    ck_assert_int_eq(r.partition_epoch, 1);
    ck_assert_int_eq(r.nisr, 2);
    ck_assert_int_eq(r.isr[1], 2);
    ck_assert_int_eq(r.nreplicas, 3);
    ck_assert_int_eq(repl_leader_follower(&r, 2)->leo, 0); /* same leadership: kept */
    repl_free(&r);
}
END_TEST

START_TEST(test_committed_answer_same_or_older_epoch)
{
    struct repl_partition r;
    uint32_t seq = proposing(&r);
    int32_t isr[2] = {1, 2};
    /* Older than what the leader knows: the metadata settles it. */
    struct repl_state_change ch;
    repl_set_state(&r, 1, 1, 5, 2, three, 3, three, 3, 60000, &ch);
    ck_assert(!r.isr_change_inflight); /* (the newer epoch settled it already) */
    ck_assert(repl_leader_propose_isr(&r, 60000, 30000, 0, NULL, NULL));
    seq = repl_isr_change_sent(&r, 60000);
    ck_assert_int_eq(repl_isr_change_answer(&r, seq, 5, REPL_ISR_COMMITTED, 1, 5, 1, isr, 2, 0),
                     REPL_ISR_WAITING);
    ck_assert(r.isr_change_inflight);
    ck_assert_int_eq(repl_isr_change_answer(&r, seq, 5, REPL_ISR_COMMITTED, 1, 5, 2, three, 3, 0),
                     REPL_ISR_ENDED); /* already so */
    ck_assert(!r.isr_change_inflight);
    ck_assert_int_eq(r.nisr, 3);
    repl_free(&r);
}
END_TEST

START_TEST(test_error_answers)
{
    struct repl_partition r;
    uint32_t seq = proposing(&r);
    ck_assert_int_eq(
        repl_isr_change_answer(&r, seq, 5, REPL_ISR_UNKNOWN, -1, -1, -1, NULL, 0, 60100),
        REPL_ISR_WAITING);
    ck_assert(r.isr_change_inflight); /* keeps the maximal ISR */
    ck_assert(!repl_isr_change_resend_due(&r, 60100, 500, 60000));
    ck_assert_int_eq(repl_isr_change_answer(&r, seq, 5, REPL_ISR_RETRY, -1, -1, -1, NULL, 0, 60100),
                     REPL_ISR_RESEND);
    ck_assert(!repl_isr_change_resend_due(&r, 60499, 500, 60000));
    ck_assert(repl_isr_change_resend_due(&r, 60500, 500, 60000));
    seq = repl_isr_change_sent(&r, 60500);
    ck_assert(!r.isr_change_resend);
    ck_assert(!repl_isr_change_resend_due(&r, 61000, 500, 60000));
    ck_assert(repl_isr_change_resend_due(&r, 60500 + 60000, 500, 60000)); /* unanswered */
    ck_assert_int_eq(
        repl_isr_change_answer(&r, seq, 5, REPL_ISR_REFUSED, -1, -1, -1, NULL, 0, 60600),
        REPL_ISR_ENDED);
    ck_assert(!r.isr_change_inflight);
    ck_assert_int_eq(r.nisr, 3);
    repl_free(&r);
}
END_TEST

START_TEST(test_failed_send_is_resent)
{
    struct repl_partition r;
    proposing(&r);
    repl_isr_change_send_failed(&r);
    ck_assert(r.isr_change_resend);
    ck_assert(repl_isr_change_resend_due(&r, 60500, 500, 60000));
    repl_free(&r);
}
END_TEST

/* ---- follower ---- */

START_TEST(test_follower_truncation)
{
    struct repl_partition r;
    setup(&r, 2, 1, three, 3, 1, 0);
    r.high_watermark = 3;
    /* Both know epoch 4: the smaller end. */
    ck_assert_int_eq(repl_follower_truncation(&r, 4, 6, 4, 8, 10), 6);
    /* Only an older epoch in common: cut at its end and ask again. */
    ck_assert_int_eq(repl_follower_truncation(&r, 4, 6, 2, 5, 10), 5);
    /* No common epoch known: the leader's end. */
    ck_assert_int_eq(repl_follower_truncation(&r, 4, 6, -1, -1, 10), 6);
    /* The leader has nothing to offer: the follower's own high watermark. */
    ck_assert_int_eq(repl_follower_truncation(&r, -1, -1, -1, -1, 10), 3);
    /* Never above the log end. */
    ck_assert_int_eq(repl_follower_truncation(&r, 4, 20, 4, 30, 10), 10);
    repl_free(&r);
}
END_TEST

START_TEST(test_follower_out_of_range)
{
    struct repl_partition r;
    setup(&r, 2, 1, three, 3, 1, 0);
    int64_t to;
    ck_assert_int_eq(repl_follower_out_of_range(&r, 5, 8, 20, 5, &to), REPL_OOR_RESTART_AT);
    ck_assert_int_eq(to, 8);
    ck_assert_int_eq(repl_follower_out_of_range(&r, 12, 0, 9, 12, &to), REPL_OOR_TRUNCATE);
    ck_assert_int_eq(to, 9);
    ck_assert_int_eq(repl_follower_out_of_range(&r, 12, -1, -1, 12, &to), REPL_OOR_RETRY);
    ck_assert_int_eq(repl_follower_out_of_range(&r, 12, 0, 15, 12, &to), REPL_OOR_RETRY);
    repl_free(&r);
}
END_TEST

START_TEST(test_follower_hw_and_log_moves)
{
    struct repl_partition r;
    setup(&r, 2, 1, three, 3, 1, 0);
    ck_assert(repl_follower_on_leader_hw(&r, 10, 6));
    ck_assert_int_eq(r.high_watermark, 6);            /* min(leader HW, own LEO) */
    ck_assert(!repl_follower_on_leader_hw(&r, 4, 6)); /* never backwards */
    ck_assert_int_eq(r.high_watermark, 6);
    repl_log_truncated(&r, 5);
    ck_assert_int_eq(r.high_watermark, 5);
    repl_log_truncated(&r, 9);
    ck_assert_int_eq(r.high_watermark, 5);
    repl_log_start_advanced(&r, 7);
    ck_assert_int_eq(r.high_watermark, 7);
    repl_log_restarted(&r, 3);
    ck_assert_int_eq(r.high_watermark, 3);
    repl_free(&r);
}
END_TEST

/* ---- preconditions (SL_ASSERT aborts) ---- */

START_TEST(test_follower_may_not_advance_leader_hw)
{
    struct repl_partition r;
    setup(&r, 2, 1, three, 3, 1, 0);
    repl_leader_advance_hw(&r, 10);
}
END_TEST

START_TEST(test_follower_may_not_propose_isr)
{
    struct repl_partition r;
    setup(&r, 2, 1, three, 3, 1, 0);
    repl_leader_propose_isr(&r, 0, 30000, 0, NULL, NULL);
}
END_TEST

START_TEST(test_leader_may_not_truncate_to_diverging_epoch)
{
    struct repl_partition r;
    setup(&r, 1, 1, three, 3, 1, 0);
    repl_follower_truncation(&r, 3, 3, 3, 3, 3);
}
END_TEST

START_TEST(test_leader_takes_no_leader_hw)
{
    struct repl_partition r;
    setup(&r, 1, 1, three, 3, 1, 0);
    repl_follower_on_leader_hw(&r, 3, 3);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("replication_core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_init_clamps_checkpoint);
    tcase_add_test(tc, test_new_leadership_resets_followers);
    tcase_add_test(tc, test_becoming_follower_drops_leader_state);
    tcase_add_test(tc, test_newer_partition_epoch_settles_proposal);
    tcase_add_test(tc, test_hw_is_min_isr_leo_and_never_backwards);
    tcase_add_test(tc, test_hw_frozen_below_min_isr);
    tcase_add_test(tc, test_hw_counts_the_maximal_isr_while_a_change_is_in_flight);
    tcase_add_test(tc, test_fetch_verdicts);
    tcase_add_test(tc, test_propose_shrinks_laggards_and_adds_caught_up);
    tcase_add_test(tc, test_propose_respects_epoch_start_and_eligibility);
    tcase_add_test(tc, test_propose_waits_min_interval);
    tcase_add_test(tc, test_answer_to_another_send_or_epoch_is_ignored);
    tcase_add_test(tc, test_committed_answer_applies_newer_isr);
    tcase_add_test(tc, test_committed_answer_same_or_older_epoch);
    tcase_add_test(tc, test_error_answers);
    tcase_add_test(tc, test_failed_send_is_resent);
    tcase_add_test(tc, test_follower_truncation);
    tcase_add_test(tc, test_follower_out_of_range);
    tcase_add_test(tc, test_follower_hw_and_log_moves);
    tcase_add_test_raise_signal(tc, test_follower_may_not_advance_leader_hw, SIGABRT);
    tcase_add_test_raise_signal(tc, test_follower_may_not_propose_isr, SIGABRT);
    tcase_add_test_raise_signal(tc, test_leader_may_not_truncate_to_diverging_epoch, SIGABRT);
    tcase_add_test_raise_signal(tc, test_leader_takes_no_leader_hw, SIGABRT);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
