/*
 * The node's one purgatory (Kafka's DelayedOperationPurgatory): requests
 * parked until their condition holds or their deadline passes, each watching
 * one or more keys.  Delayed produce (acks=all waiting for the high watermark
 * or the fsync), long-polling fetch, forwarded requests held while no
 * controller is known and InitProducerId waiting for an id block all park
 * here; transactions and reassignment are meant to as well.
 *
 * A key names what an operation waits on (a partition, "the active
 * controller", "the producer-id block"); whoever changes that thing calls
 * purgatory_check(key), which asks every operation watching it to try to
 * complete.  One timer serves every deadline; shutdown expires everything
 * still parked, so every request gets its answer.  Single-threaded: every
 * call comes from the event loop.
 */
#ifndef SLUICE_BROKER_PURGATORY_H
#define SLUICE_BROKER_PURGATORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event;
struct event_base;
struct purgatory;
struct purgatory_op;
struct purgatory_watch;

/* What an operation is, for the sluice_purgatory_size metrics. */
enum purgatory_kind {
    PURGATORY_PRODUCE,     /* acks=all produce waiting for the HW or the fsync */
    PURGATORY_FETCH,       /* fetch waiting for fetch.min.bytes */
    PURGATORY_FORWARD,     /* forwarded request held while no controller is known */
    PURGATORY_PRODUCER_ID, /* InitProducerId waiting for a producer-id block */
    PURGATORY_NKINDS
};

#define PURGATORY_NO_DEADLINE INT64_MAX

/* Keys that are not partitions (partition keys come from purgatory_partition_key). */
#define PURGATORY_KEY_CONTROLLER   1 /* the active controller became known or changed */
#define PURGATORY_KEY_PRODUCER_IDS 2 /* a producer-id block arrived or failed */

/*
 * How an operation behaves.  The callbacks get the op they were given; none
 * of them may free it (release does, when the purgatory lets go of it).
 */
struct purgatory_op_type {
    enum purgatory_kind kind;
    /*
     * Completes the operation (answers its request) and returns true when its
     * condition holds now; returns false to keep waiting.  Called once when it
     * is added (purgatory_add) and whenever one of its keys is checked.
     */
    bool (*try_complete)(struct purgatory_op *op);
    /* The deadline passed or the purgatory shuts down: answer with what there is. */
    void (*on_expire)(struct purgatory_op *op);
    /* The purgatory no longer references op: the owner may free or re-add it. */
    void (*release)(struct purgatory_op *op);
    /*
     * Checks run later from the event loop rather than inside purgatory_check's
     * caller (a partition in the middle of an append): for operations whose
     * try_complete may itself change partitions (a follower's fetch moves the HW).
     */
    bool deferred;
};

/*
 * One parked operation; embed it in the request's state.  Its fields belong to
 * the purgatory: the owner touches it only through the functions below.
 */
struct purgatory_op {
    const struct purgatory_op_type *type;
    int64_t deadline_us;              /* clock_mono_us() time, PURGATORY_NO_DEADLINE for none */
    struct purgatory_op *prev, *next; /* every parked op, oldest first */
    struct purgatory_op *deferred_next;
    struct purgatory_watch *watches;
    int nwatches;
    size_t heap_index; /* in the deadline heap; SIZE_MAX when not in it */
    int pins;          /* references held by an iteration or the deferred queue */
    bool parked;
    bool queued; /* on the deferred queue */
    bool busy;   /* inside one of its callbacks: further checks are skipped */
    bool done;
};

/*
 * A purgatory whose timer and deferred checks run on `base`.  base may be
 * NULL (unit tests): then deadlines pass only through purgatory_advance and
 * deferred checks run only through purgatory_run_deferred.  Owned by the
 * caller, freed with purgatory_free.
 */
struct purgatory *purgatory_new(struct event_base *base);

/*
 * Expires every parked operation (shutdown); operations added afterwards
 * expire at once.  The purgatory itself stays usable until purgatory_free.
 */
void purgatory_shutdown(struct purgatory *pg);

/* Shuts down (if not done yet) and frees the purgatory.  NULL is a no-op. */
void purgatory_free(struct purgatory *pg);

/*
 * Kafka's tryCompleteElseWatch: calls type->try_complete once and, unless
 * that completed the operation, parks it watching keys[0..nkeys) (repeated
 * keys count once) until deadline_us (clock_mono_us(), or
 * PURGATORY_NO_DEADLINE).  Returns true when the operation completed (and was
 * released) before this returned; the caller must not touch op after this
 * call either way except through its callbacks.  After purgatory_shutdown the
 * operation is expired at once.
 */
bool purgatory_add(struct purgatory *pg, struct purgatory_op *op,
                   const struct purgatory_op_type *type, int64_t deadline_us, const uint64_t *keys,
                   int nkeys);

/*
 * Like purgatory_add without the first try: for an operation its owner has
 * just found unable to complete and must not retry before a key is checked
 * (a forward the controller has just refused).
 */
void purgatory_park(struct purgatory *pg, struct purgatory_op *op,
                    const struct purgatory_op_type *type, int64_t deadline_us, const uint64_t *keys,
                    int nkeys);

/*
 * Something `key` names changed: every operation watching it tries to
 * complete (oldest first), now or, for deferred types, from the event loop
 * soon after.  An operation inside one of its own callbacks is skipped.
 * pg may be NULL (a partition outside a node): nothing happens.
 */
void purgatory_check(struct purgatory *pg, uint64_t key);

/*
 * Expires every operation whose deadline is <= now_us.  The purgatory's timer
 * calls this; tests call it with their own clock.
 */
void purgatory_advance(struct purgatory *pg, int64_t now_us);

/* Runs the deferred checks queued so far (the purgatory's event does this). */
void purgatory_run_deferred(struct purgatory *pg);

/* Number of parked operations of `kind`. */
size_t purgatory_size(const struct purgatory *pg, enum purgatory_kind kind);

/* Number of parked operations watching `key`. */
size_t purgatory_watching(const struct purgatory *pg, uint64_t key);

/*
 * The key of partition `index` of the topic named by topic[0..len) (any bytes:
 * a name with a NUL byte in it is not its prefix).  Distinct partitions may
 * share a key (a 64-bit hash): that only costs an extra try_complete.
 */
uint64_t purgatory_partition_key(const char *topic, size_t len, int32_t index);

#endif
