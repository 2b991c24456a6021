/*
 * The time-ordered event queue of the simulators (sim_queue.h): a binary
 * heap of records ordered by (t, seq).  Sifting moves a hole rather than
 * swapping records, so each level costs one copy of a record.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_queue.h"

struct key {
    int64_t t;
    uint64_t seq;
};

static struct key key_of(const unsigned char *rec)
{
    struct key k;
    memcpy(&k.t, rec, sizeof(k.t));
    memcpy(&k.seq, rec + sizeof(k.t), sizeof(k.seq));
    return k;
}

static bool before(struct key a, struct key b)
{
    return a.t < b.t || (a.t == b.t && a.seq < b.seq);
}

static unsigned char *slot(const struct sim_queue *q, size_t i)
{
    return q->recs + i * q->size;
}

void sim_queue_init(struct sim_queue *q, size_t size)
{
    memset(q, 0, sizeof(*q));
    q->size = size;
}

void sim_queue_push(struct sim_queue *q, const void *rec)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 256;
        unsigned char *p = realloc(q->recs, cap * q->size);
        if (!p) {
            fprintf(stderr, "sim_queue: out of memory\n");
            abort();
        }
        q->recs = p;
        q->cap = cap;
    }
    struct key k = key_of(rec);
    k.seq = q->next_seq++;
    size_t i = q->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(k, key_of(slot(q, p))))
            break;
        memcpy(slot(q, i), slot(q, p), q->size);
        i = p;
    }
    memcpy(slot(q, i), rec, q->size);
    memcpy(slot(q, i) + sizeof(k.t), &k.seq, sizeof(k.seq));
}

void sim_queue_pop(struct sim_queue *q, void *out)
{
    memcpy(out, slot(q, 0), q->size);
    size_t n = --q->n;
    if (n == 0)
        return;
    /* The last record (now just past the heap) sinks from the root. */
    const unsigned char *last = slot(q, n);
    struct key k = key_of(last);
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        struct key km = k;
        if (l < n && before(key_of(slot(q, l)), km)) {
            m = l;
            km = key_of(slot(q, l));
        }
        if (r < n && before(key_of(slot(q, r)), km))
            m = r;
        if (m == i)
            break;
        memcpy(slot(q, i), slot(q, m), q->size);
        i = m;
    }
    memcpy(slot(q, i), last, q->size);
}

int64_t sim_queue_next_time(const struct sim_queue *q)
{
    return key_of(slot(q, 0)).t;
}

void *sim_queue_rec(const struct sim_queue *q, size_t k)
{
    return slot(q, k);
}

void sim_queue_free(struct sim_queue *q)
{
    free(q->recs);
    memset(q, 0, sizeof(*q));
}
