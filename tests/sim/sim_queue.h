/*
 * The time-ordered event queue of the simulators (sim.c, repl_sim.c): a
 * binary heap of fixed-size event records that pops them in order of (time,
 * sequence number), the sequence number being the order of their pushes, so
 * that events due at the same simulated time run in the order they were
 * scheduled and every run is a pure function of its seed.
 *
 * A record is any struct whose first two members are `int64_t t` (the
 * simulated time it is due, ms) and `uint64_t seq` (set by the queue); the
 * queue copies records in and out by value and reads nothing else in them.
 */
#ifndef SLUICE_SIM_QUEUE_H
#define SLUICE_SIM_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct sim_queue {
    unsigned char *recs; /* n records of `size` bytes, a heap on (t, seq) */
    size_t size, n, cap;
    uint64_t next_seq;
};

/* An empty queue of records of `size` bytes (at least 16: t and seq).  The
 * queue owns its storage until sim_queue_free. */
void sim_queue_init(struct sim_queue *q, size_t size);

/* Copies *rec into the queue with the next sequence number as its seq (the
 * caller's record is not changed).  Aborts when out of memory. */
void sim_queue_push(struct sim_queue *q, const void *rec);

/* Moves the earliest record (smallest t, then smallest seq) into *out and
 * removes it.  The queue must not be empty. */
void sim_queue_pop(struct sim_queue *q, void *out);

/* The time of the earliest record; the queue must not be empty. */
int64_t sim_queue_next_time(const struct sim_queue *q);

/* The k-th record held (k < q->n) in no particular order, for releasing what
 * records point to before sim_queue_free; owned by the queue. */
void *sim_queue_rec(const struct sim_queue *q, size_t k);

/* Frees the queue's storage (not what its records point to). */
void sim_queue_free(struct sim_queue *q);

#endif
