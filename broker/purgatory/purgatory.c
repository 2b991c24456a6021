/*
 * The purgatory (purgatory.h): parked operations on a list (oldest first), a
 * min-heap of deadlines behind one libevent timer, and a hash table from key
 * to the operations watching it.  An iteration or the deferred queue pins the
 * operations it holds, so a callback may complete, expire or add any
 * operation (itself included) without freeing memory still in use.
 */
#include "purgatory.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "invariant.h"
#include "xalloc.h"

/* One key's watchers, oldest first. */
struct pkey {
    uint64_t key;
    struct pkey *chain;
    struct purgatory_watch *head, *tail;
    size_t n;
};

struct purgatory_watch {
    struct purgatory_watch *prev, *next;
    struct purgatory_op *op;
    struct pkey *k;
};

struct purgatory {
    struct event_base *base;
    struct event *timer;
    struct event *deferred_ev;
    int64_t armed_us; /* deadline the timer is set for, PURGATORY_NO_DEADLINE when idle */
    struct purgatory_op *first, *last;
    struct purgatory_op **heap;
    size_t nheap, heap_cap;
    struct pkey **buckets;
    size_t nbuckets, nkeys;
    struct purgatory_op *deferred_head, *deferred_tail;
    size_t count[PURGATORY_NKINDS];
    bool closed;
};

/* ---- keys ---- */

static size_t bucket_of(const struct purgatory *pg, uint64_t key)
{
    key ^= key >> 33;
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)(key & (pg->nbuckets - 1));
}

static struct pkey *key_find(const struct purgatory *pg, uint64_t key)
{
    for (struct pkey *k = pg->buckets[bucket_of(pg, key)]; k; k = k->chain)
        if (k->key == key)
            return k;
    return NULL;
}

static void keys_grow(struct purgatory *pg)
{
    struct pkey **old = pg->buckets;
    size_t nold = pg->nbuckets;
    pg->nbuckets *= 2;
    pg->buckets = xcalloc(pg->nbuckets, sizeof *pg->buckets);
    for (size_t i = 0; i < nold; i++) {
        while (old[i]) {
            struct pkey *k = old[i];
            old[i] = k->chain;
            size_t b = bucket_of(pg, k->key);
            k->chain = pg->buckets[b];
            pg->buckets[b] = k;
        }
    }
    free(old);
}

static struct pkey *key_get(struct purgatory *pg, uint64_t key)
{
    struct pkey *k = key_find(pg, key);
    if (k)
        return k;
    if (pg->nkeys >= pg->nbuckets)
        keys_grow(pg);
    k = xcalloc(1, sizeof *k);
    k->key = key;
    size_t b = bucket_of(pg, key);
    k->chain = pg->buckets[b];
    pg->buckets[b] = k;
    pg->nkeys++;
    return k;
}

static void key_drop(struct purgatory *pg, struct pkey *k)
{
    struct pkey **pp = &pg->buckets[bucket_of(pg, k->key)];
    while (*pp != k)
        pp = &(*pp)->chain;
    *pp = k->chain;
    pg->nkeys--;
    free(k);
}

static void watch_link(struct purgatory *pg, struct purgatory_watch *w, uint64_t key)
{
    struct pkey *k = key_get(pg, key);
    w->k = k;
    w->next = NULL;
    w->prev = k->tail;
    if (k->tail)
        k->tail->next = w;
    else
        k->head = w;
    k->tail = w;
    k->n++;
}

static void watch_unlink(struct purgatory *pg, struct purgatory_watch *w)
{
    struct pkey *k = w->k;
    if (w->prev)
        w->prev->next = w->next;
    else
        k->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        k->tail = w->prev;
    if (--k->n == 0)
        key_drop(pg, k);
}

/* ---- deadlines ---- */

static bool heap_less(struct purgatory *pg, size_t a, size_t b)
{
    return pg->heap[a]->deadline_us < pg->heap[b]->deadline_us;
}

static void heap_swap(struct purgatory *pg, size_t a, size_t b)
{
    struct purgatory_op *t = pg->heap[a];
    pg->heap[a] = pg->heap[b];
    pg->heap[b] = t;
    pg->heap[a]->heap_index = a;
    pg->heap[b]->heap_index = b;
}

static void heap_sift(struct purgatory *pg, size_t i)
{
    while (i > 0 && heap_less(pg, i, (i - 1) / 2)) {
        heap_swap(pg, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < pg->nheap && heap_less(pg, l, m))
            m = l;
        if (r < pg->nheap && heap_less(pg, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(pg, i, m);
        i = m;
    }
}

static void heap_push(struct purgatory *pg, struct purgatory_op *op)
{
    if (pg->nheap == pg->heap_cap) {
        pg->heap_cap = pg->heap_cap ? pg->heap_cap * 2 : 16;
        pg->heap = xrealloc(pg->heap, pg->heap_cap * sizeof *pg->heap);
    }
    op->heap_index = pg->nheap;
    pg->heap[pg->nheap++] = op;
    heap_sift(pg, op->heap_index);
}

static void heap_remove(struct purgatory *pg, struct purgatory_op *op)
{
    size_t i = op->heap_index;
    if (i == SIZE_MAX)
        return;
    SL_ASSERT(i < pg->nheap && pg->heap[i] == op);
    op->heap_index = SIZE_MAX;
    pg->nheap--;
    if (i == pg->nheap)
        return;
    pg->heap[i] = pg->heap[pg->nheap];
    pg->heap[i]->heap_index = i;
    heap_sift(pg, i);
}

/* Sets the timer for the earliest deadline unless it is already set no later. */
static void rearm(struct purgatory *pg)
{
    if (!pg->timer || pg->nheap == 0)
        return;
    int64_t first = pg->heap[0]->deadline_us;
    if (pg->armed_us <= first)
        return;
    int64_t delay = first - clock_mono_us();
    if (delay < 0)
        delay = 0;
    struct timeval tv = {(time_t)(delay / 1000000), (suseconds_t)(delay % 1000000)};
    evtimer_add(pg->timer, &tv);
    pg->armed_us = first;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct purgatory *pg = arg;
    int64_t now = clock_mono_us();
    int64_t due = pg->armed_us;
    pg->armed_us = PURGATORY_NO_DEADLINE;
    /* libevent's clock may be coarser than clock_mono_us and fire a few
     * milliseconds early: an operation never expires before its deadline, so
     * wait out the rest. */
    if (now < due) {
        rearm(pg);
        return;
    }
    purgatory_advance(pg, now);
}

/* ---- operations ---- */

static void unpin(struct purgatory_op *op)
{
    SL_ASSERT(op->pins > 0);
    if (--op->pins == 0 && op->done)
        op->type->release(op);
}

/* Takes a parked operation out of everything (not freed: the pins decide). */
static void unpark(struct purgatory *pg, struct purgatory_op *op)
{
    op->done = true;
    if (!op->parked)
        return;
    op->parked = false;
    for (int i = 0; i < op->nwatches; i++)
        watch_unlink(pg, &op->watches[i]);
    free(op->watches);
    op->watches = NULL;
    op->nwatches = 0;
    heap_remove(pg, op);
    if (op->prev)
        op->prev->next = op->next;
    else
        pg->first = op->next;
    if (op->next)
        op->next->prev = op->prev;
    else
        pg->last = op->prev;
    op->prev = op->next = NULL;
    pg->count[op->type->kind]--;
}

static void expire_op(struct purgatory *pg, struct purgatory_op *op)
{
    op->pins++;
    unpark(pg, op);
    op->busy = true;
    op->type->on_expire(op);
    op->busy = false;
    unpin(op);
}

static void try_op(struct purgatory *pg, struct purgatory_op *op)
{
    op->pins++;
    op->busy = true;
    bool completed = op->type->try_complete(op);
    op->busy = false;
    if (completed)
        unpark(pg, op);
    unpin(op);
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    purgatory_run_deferred(arg);
}

static void defer_op(struct purgatory *pg, struct purgatory_op *op)
{
    if (op->queued)
        return;
    op->queued = true;
    op->pins++;
    op->deferred_next = NULL;
    if (pg->deferred_tail)
        pg->deferred_tail->deferred_next = op;
    else
        pg->deferred_head = op;
    pg->deferred_tail = op;
    if (pg->deferred_ev && op == pg->deferred_head)
        event_active(pg->deferred_ev, EV_TIMEOUT, 0);
}

void purgatory_run_deferred(struct purgatory *pg)
{
    while (pg->deferred_head) {
        struct purgatory_op *op = pg->deferred_head;
        pg->deferred_head = op->deferred_next;
        if (!pg->deferred_head)
            pg->deferred_tail = NULL;
        op->deferred_next = NULL;
        op->queued = false;
        if (!op->done && !op->busy)
            try_op(pg, op);
        unpin(op);
    }
}

static void op_init(struct purgatory_op *op, const struct purgatory_op_type *type,
                    int64_t deadline_us)
{
    *op = (struct purgatory_op){.type = type, .deadline_us = deadline_us, .heap_index = SIZE_MAX};
}

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void park(struct purgatory *pg, struct purgatory_op *op, const uint64_t *keys, int nkeys)
{
    uint64_t *sorted = xmalloc((size_t)(nkeys > 0 ? nkeys : 1) * sizeof *sorted);
    if (nkeys > 0)
        memcpy(sorted, keys, (size_t)nkeys * sizeof *sorted);
    qsort(sorted, (size_t)nkeys, sizeof *sorted, key_cmp);
    op->watches = xcalloc((size_t)(nkeys > 0 ? nkeys : 1), sizeof *op->watches);
    for (int i = 0; i < nkeys; i++) {
        if (i > 0 && sorted[i] == sorted[i - 1])
            continue;
        struct purgatory_watch *w = &op->watches[op->nwatches++];
        w->op = op;
        watch_link(pg, w, sorted[i]);
    }
    free(sorted);
    op->parked = true;
    op->prev = pg->last;
    if (pg->last)
        pg->last->next = op;
    else
        pg->first = op;
    pg->last = op;
    pg->count[op->type->kind]++;
    if (op->deadline_us != PURGATORY_NO_DEADLINE) {
        heap_push(pg, op);
        rearm(pg);
    }
}

bool purgatory_add(struct purgatory *pg, struct purgatory_op *op,
                   const struct purgatory_op_type *type, int64_t deadline_us, const uint64_t *keys,
                   int nkeys)
{
    op_init(op, type, deadline_us);
    if (pg->closed) {
        expire_op(pg, op);
        return true;
    }
    op->pins++;
    op->busy = true;
    bool completed = type->try_complete(op);
    op->busy = false;
    if (completed) {
        op->done = true;
        unpin(op);
        return true;
    }
    op->pins--;
    park(pg, op, keys, nkeys);
    return false;
}

void purgatory_park(struct purgatory *pg, struct purgatory_op *op,
                    const struct purgatory_op_type *type, int64_t deadline_us, const uint64_t *keys,
                    int nkeys)
{
    op_init(op, type, deadline_us);
    if (pg->closed)
        expire_op(pg, op);
    else
        park(pg, op, keys, nkeys);
}

void purgatory_check(struct purgatory *pg, uint64_t key)
{
    struct pkey *k = pg ? key_find(pg, key) : NULL;
    if (!k)
        return;
    /* Pinned snapshot: callbacks may complete, expire or add operations on this key. */
    struct purgatory_op *small[16], **ops = small;
    size_t n = k->n;
    if (n > sizeof small / sizeof small[0])
        ops = xmalloc(n * sizeof *ops);
    size_t i = 0;
    for (struct purgatory_watch *w = k->head; w; w = w->next) {
        ops[i++] = w->op;
        w->op->pins++;
    }
    for (i = 0; i < n; i++) {
        struct purgatory_op *op = ops[i];
        if (op->done || op->busy)
            continue;
        if (op->type->deferred)
            defer_op(pg, op);
        else
            try_op(pg, op);
    }
    for (i = 0; i < n; i++)
        unpin(ops[i]);
    if (ops != small)
        free(ops);
}

void purgatory_advance(struct purgatory *pg, int64_t now_us)
{
    while (pg->nheap > 0 && pg->heap[0]->deadline_us <= now_us)
        expire_op(pg, pg->heap[0]);
    rearm(pg);
}

/* ---- the purgatory ---- */

struct purgatory *purgatory_new(struct event_base *base)
{
    struct purgatory *pg = xcalloc(1, sizeof *pg);
    pg->base = base;
    pg->armed_us = PURGATORY_NO_DEADLINE;
    pg->nbuckets = 64;
    pg->buckets = xcalloc(pg->nbuckets, sizeof *pg->buckets);
    if (base) {
        pg->timer = evtimer_new(base, on_timer, pg);
        pg->deferred_ev = event_new(base, -1, 0, on_deferred, pg);
    }
    return pg;
}

void purgatory_shutdown(struct purgatory *pg)
{
    pg->closed = true;
    while (pg->first)
        expire_op(pg, pg->first);
}

void purgatory_free(struct purgatory *pg)
{
    if (!pg)
        return;
    purgatory_shutdown(pg);
    /* What is left queued is done: running the queue only drops the pins. */
    purgatory_run_deferred(pg);
    SL_ASSERT(pg->nkeys == 0 && pg->nheap == 0);
    if (pg->timer)
        event_free(pg->timer);
    if (pg->deferred_ev)
        event_free(pg->deferred_ev);
    free(pg->heap);
    free(pg->buckets);
    free(pg);
}

size_t purgatory_size(const struct purgatory *pg, enum purgatory_kind kind)
{
    return pg ? pg->count[kind] : 0;
}

size_t purgatory_watching(const struct purgatory *pg, uint64_t key)
{
    const struct pkey *k = pg ? key_find(pg, key) : NULL;
    return k ? k->n : 0;
}

uint64_t purgatory_partition_key(const char *topic, size_t len, int32_t index)
{
    /* FNV-1a over the name's bytes, then the partition's. */
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)topic[i];
        h *= 0x100000001b3ULL;
    }
    uint32_t u = (uint32_t)index;
    for (int i = 0; i < 4; i++) {
        h ^= (u >> (8 * i)) & 0xff;
        h *= 0x100000001b3ULL;
    }
    return h;
}
