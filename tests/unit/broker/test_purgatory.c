/*
 * Unit tests of the purgatory (broker/purgatory.c): try_complete at add,
 * completion when a watched key is checked, expiry at the deadline (by hand
 * and through the libevent timer), an operation on two keys completed once,
 * oldest-first checks, deferred checks, re-entrant checks, shutdown
 * completing everything and partition keys.
 */
#include <check.h>
#include <event2/event.h>
#include <stdlib.h>

#include "clock.h"
#include "purgatory.h"

/* A test operation: completes when *ready (and, with a budget, while it lasts). */
struct top {
    struct purgatory_op op; /* first */
    struct purgatory *pg;
    bool *ready;
    int *budget; /* NULL: unlimited */
    int *order;  /* completion order: *order is the next slot */
    int id;
    int done_at; /* -1 until completed */
    int tries, completes, expires, releases;
    uint64_t recheck_key; /* checked again from inside try_complete when non-zero */
};

static bool top_try(struct purgatory_op *op)
{
    struct top *t = (struct top *)op;
    t->tries++;
    if (t->recheck_key)
        purgatory_check(t->pg, t->recheck_key);
    if (!*t->ready || (t->budget && *t->budget == 0))
        return false;
    if (t->budget)
        (*t->budget)--;
    t->completes++;
    if (t->order)
        t->done_at = (*t->order)++;
    return true;
}

static void top_expire(struct purgatory_op *op)
{
    ((struct top *)op)->expires++;
}

static void top_release(struct purgatory_op *op)
{
    ((struct top *)op)->releases++;
}

static const struct purgatory_op_type fetch_like = {PURGATORY_FETCH, top_try, top_expire,
                                                    top_release, false};
static const struct purgatory_op_type produce_like = {PURGATORY_PRODUCE, top_try, top_expire,
                                                      top_release, false};
static const struct purgatory_op_type deferred_type = {PURGATORY_FETCH, top_try, top_expire,
                                                       top_release, true};

static struct top top_new(struct purgatory *pg, bool *ready)
{
    return (struct top){.pg = pg, .ready = ready, .done_at = -1};
}

START_TEST(test_try_complete_at_add)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = true;
    struct top t = top_new(pg, &ready);
    uint64_t key = 7;
    ck_assert(purgatory_add(pg, &t.op, &produce_like, PURGATORY_NO_DEADLINE, &key, 1));
    ck_assert_int_eq(t.tries, 1);
    ck_assert_int_eq(t.completes, 1);
    ck_assert_int_eq(t.releases, 1);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_PRODUCE), 0);
    ck_assert_uint_eq(purgatory_watching(pg, key), 0);

    /* Not ready: tried once, parked. */
    ready = false;
    struct top u = top_new(pg, &ready);
    ck_assert(!purgatory_add(pg, &u.op, &produce_like, PURGATORY_NO_DEADLINE, &key, 1));
    ck_assert_int_eq(u.tries, 1);
    ck_assert_int_eq(u.releases, 0);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_PRODUCE), 1);
    ck_assert_uint_eq(purgatory_watching(pg, key), 1);
    purgatory_free(pg);
    ck_assert_int_eq(u.expires, 1);
    ck_assert_int_eq(u.releases, 1);
}
END_TEST

START_TEST(test_complete_on_check)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = false;
    struct top t = top_new(pg, &ready);
    uint64_t key = 11;
    ck_assert(!purgatory_add(pg, &t.op, &fetch_like, PURGATORY_NO_DEADLINE, &key, 1));
    purgatory_check(pg, 12); /* another key: nothing */
    ck_assert_int_eq(t.tries, 1);
    purgatory_check(pg, key); /* still not ready */
    ck_assert_int_eq(t.tries, 2);
    ck_assert_int_eq(t.releases, 0);
    ready = true;
    purgatory_check(pg, key);
    ck_assert_int_eq(t.completes, 1);
    ck_assert_int_eq(t.releases, 1);
    ck_assert_int_eq(t.expires, 0);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_FETCH), 0);
    purgatory_check(pg, key);
    ck_assert_int_eq(t.tries, 3);
    purgatory_check(NULL, key); /* a partition outside a node */
    purgatory_free(pg);
    ck_assert_int_eq(t.expires, 0);
    ck_assert_int_eq(t.releases, 1);
}
END_TEST

START_TEST(test_expire_at_deadline)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = false;
    struct top a = top_new(pg, &ready), b = top_new(pg, &ready), c = top_new(pg, &ready);
    uint64_t key = 3;
    purgatory_add(pg, &a.op, &produce_like, 2000, &key, 1);
    purgatory_add(pg, &b.op, &produce_like, 1000, &key, 1);
    purgatory_add(pg, &c.op, &fetch_like, PURGATORY_NO_DEADLINE, &key, 1);
    purgatory_advance(pg, 999);
    ck_assert_int_eq(a.expires + b.expires + c.expires, 0);
    purgatory_advance(pg, 1000);
    ck_assert_int_eq(b.expires, 1);
    ck_assert_int_eq(b.releases, 1);
    ck_assert_int_eq(a.expires, 0);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_PRODUCE), 1);
    ck_assert_uint_eq(purgatory_watching(pg, key), 2);
    purgatory_advance(pg, INT64_MAX - 1);
    ck_assert_int_eq(a.expires, 1);
    ck_assert_int_eq(c.expires, 0); /* no deadline */
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_FETCH), 1);
    purgatory_free(pg);
    ck_assert_int_eq(c.expires, 1);
    ck_assert_int_eq(a.completes + b.completes + c.completes, 0);
}
END_TEST

START_TEST(test_timer_expires)
{
    struct event_base *base = event_base_new();
    struct purgatory *pg = purgatory_new(base);
    bool ready = false;
    struct top late = top_new(pg, &ready), early = top_new(pg, &ready);
    uint64_t key = 5;
    int64_t start = clock_mono_us();
    purgatory_add(pg, &late.op, &fetch_like, start + 60000, &key, 1);
    purgatory_add(pg, &early.op, &fetch_like, start + 20000, &key, 1);
    while (early.expires == 0 && clock_mono_us() - start < 2000000)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_int_eq(early.expires, 1);
    ck_assert_int_eq(late.expires, 0);
    ck_assert_int_ge(clock_mono_us() - start, 19000);
    while (late.expires == 0 && clock_mono_us() - start < 2000000)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_int_eq(late.expires, 1);
    ck_assert_int_ge(clock_mono_us() - start, 59000);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_FETCH), 0);
    purgatory_free(pg);
    event_base_free(base);
}
END_TEST

START_TEST(test_two_keys_completed_once)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = false;
    struct top t = top_new(pg, &ready);
    uint64_t keys[] = {21, 22, 21}; /* a repeated key counts once */
    ck_assert(!purgatory_add(pg, &t.op, &produce_like, 5000, keys, 3));
    ck_assert_uint_eq(purgatory_watching(pg, 21), 1);
    ck_assert_uint_eq(purgatory_watching(pg, 22), 1);
    purgatory_check(pg, 21);
    ck_assert_int_eq(t.tries, 2); /* once at add, once for key 21 */
    ready = true;
    purgatory_check(pg, 22);
    ck_assert_int_eq(t.completes, 1);
    ck_assert_int_eq(t.releases, 1);
    ck_assert_uint_eq(purgatory_watching(pg, 21), 0);
    ck_assert_uint_eq(purgatory_watching(pg, 22), 0);
    purgatory_check(pg, 21);
    purgatory_advance(pg, 6000);
    ck_assert_int_eq(t.tries, 3);
    ck_assert_int_eq(t.completes, 1);
    ck_assert_int_eq(t.expires, 0);
    purgatory_free(pg);
    ck_assert_int_eq(t.releases, 1);
}
END_TEST

START_TEST(test_oldest_first)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = true;
    int budget = 0, order = 0;
    struct top t[4];
    uint64_t key = PURGATORY_KEY_PRODUCER_IDS;
    for (int i = 0; i < 4; i++) {
        t[i] = top_new(pg, &ready);
        t[i].budget = &budget;
        t[i].order = &order;
        ck_assert(!purgatory_add(pg, &t[i].op, &produce_like, PURGATORY_NO_DEADLINE, &key, 1));
    }
    budget = 3; /* three of four served, in arrival order */
    purgatory_check(pg, key);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(t[i].done_at, i);
    ck_assert_int_eq(t[3].done_at, -1);
    ck_assert_uint_eq(purgatory_watching(pg, key), 1);
    purgatory_free(pg);
    ck_assert_int_eq(t[3].expires, 1);
}
END_TEST

START_TEST(test_deferred_and_reentrant)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = false;
    struct top d = top_new(pg, &ready), s = top_new(pg, &ready);
    uint64_t key = 9;
    ck_assert(!purgatory_add(pg, &d.op, &deferred_type, PURGATORY_NO_DEADLINE, &key, 1));
    ck_assert_int_eq(d.tries, 1); /* the try at add is immediate */
    ready = true;
    purgatory_check(pg, key);
    purgatory_check(pg, key);
    ck_assert_int_eq(d.tries, 1); /* queued once, not run */
    purgatory_run_deferred(pg);
    ck_assert_int_eq(d.tries, 2);
    ck_assert_int_eq(d.completes, 1);
    ck_assert_int_eq(d.releases, 1);

    /* A try_complete that checks its own key is not re-entered. */
    ready = false;
    s.recheck_key = key;
    ck_assert(!purgatory_add(pg, &s.op, &produce_like, PURGATORY_NO_DEADLINE, &key, 1));
    purgatory_check(pg, key);
    ck_assert_int_eq(s.tries, 2);

    /* Expiry while a deferred check is queued: the check is dropped. */
    struct top e = top_new(pg, &ready);
    ck_assert(!purgatory_add(pg, &e.op, &deferred_type, 100, &key, 1));
    purgatory_check(pg, key);
    purgatory_advance(pg, 100);
    ck_assert_int_eq(e.expires, 1);
    ck_assert_int_eq(e.releases, 0); /* the queue still holds it */
    purgatory_run_deferred(pg);
    ck_assert_int_eq(e.tries, 1);
    ck_assert_int_eq(e.releases, 1);
    purgatory_free(pg);
    ck_assert_int_eq(s.expires, 1);
}
END_TEST

START_TEST(test_shutdown_completes_all)
{
    struct purgatory *pg = purgatory_new(NULL);
    bool ready = false;
    struct top t[5];
    const struct purgatory_op_type *types[] = {&produce_like, &fetch_like, &deferred_type,
                                               &produce_like, &fetch_like};
    for (int i = 0; i < 5; i++) {
        t[i] = top_new(pg, &ready);
        uint64_t keys[] = {(uint64_t)i, 100};
        purgatory_add(pg, &t[i].op, types[i], i % 2 ? 1000 : PURGATORY_NO_DEADLINE, keys, 2);
    }
    purgatory_check(pg, 100); /* queues the deferred one */
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_PRODUCE), 2);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_FETCH), 3);
    purgatory_shutdown(pg);
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(t[i].expires, 1);
        ck_assert_int_eq(t[i].completes, 0);
    }
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_PRODUCE), 0);
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_FETCH), 0);
    ck_assert_uint_eq(purgatory_watching(pg, 100), 0);

    /* After shutdown an operation expires at once, untried. */
    struct top late = top_new(pg, &ready);
    uint64_t key = 1;
    ck_assert(purgatory_add(pg, &late.op, &produce_like, PURGATORY_NO_DEADLINE, &key, 1));
    ck_assert_int_eq(late.tries, 0);
    ck_assert_int_eq(late.expires, 1);
    ck_assert_int_eq(late.releases, 1);
    purgatory_free(pg);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(t[i].releases, 1);
}
END_TEST

START_TEST(test_many_keys_and_ops)
{
    /* Enough keys to grow the table, and ops completing in a mixed order. */
    struct purgatory *pg = purgatory_new(NULL);
    enum { N = 500 };
    bool ready[N] = {0};
    struct top *t = calloc(N, sizeof *t);
    for (int i = 0; i < N; i++) {
        t[i] = top_new(pg, &ready[i]);
        uint64_t keys[] = {(uint64_t)i * 2 + 1000, (uint64_t)i * 2 + 1001};
        purgatory_add(pg, &t[i].op, &produce_like, 10000 + (i * 7919) % N, keys, 2);
    }
    for (int i = 0; i < N; i += 2) {
        ready[i] = true;
        purgatory_check(pg, (uint64_t)i * 2 + 1001);
    }
    ck_assert_uint_eq(purgatory_size(pg, PURGATORY_PRODUCE), N / 2);
    for (int64_t now = 10000; now < 10000 + N; now++) {
        purgatory_advance(pg, now);
        for (int i = 1; i < N; i += 2)
            if (t[i].expires)
                ck_assert_int_le(10000 + (i * 7919) % N, now);
    }
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(t[i].completes + t[i].expires, 1);
        ck_assert_int_eq(t[i].releases, 1);
    }
    purgatory_free(pg);
    free(t);
}
END_TEST

START_TEST(test_partition_keys)
{
    uint64_t a = purgatory_partition_key("orders", 6, 0);
    ck_assert(a == purgatory_partition_key("orders", 6, 0));
    ck_assert(a != purgatory_partition_key("orders", 6, 1));
    ck_assert(a != purgatory_partition_key("order", 5, 0));
    ck_assert(purgatory_partition_key("ab\0x", 4, 0) != purgatory_partition_key("ab", 2, 0));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("purgatory");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_try_complete_at_add);
    tcase_add_test(tc, test_complete_on_check);
    tcase_add_test(tc, test_expire_at_deadline);
    tcase_add_test(tc, test_timer_expires);
    tcase_add_test(tc, test_two_keys_completed_once);
    tcase_add_test(tc, test_oldest_first);
    tcase_add_test(tc, test_deferred_and_reentrant);
    tcase_add_test(tc, test_shutdown_completes_all);
    tcase_add_test(tc, test_many_keys_and_ops);
    tcase_add_test(tc, test_partition_keys);
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
