/*
 * Idempotent-producer state of one partition (KIP-98): for every producer id
 * its epoch and the sequence ranges and offsets of its last five batches, so
 * that a retried batch is recognised and answered with its original offsets
 * and a gap in sequence numbers is refused.  Rebuilt from batch headers when a
 * log is loaded (Kafka's ProducerStateManager without snapshots).
 */
#ifndef SLUICE_BROKER_PRODUCER_STATE_H
#define SLUICE_BROKER_PRODUCER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRODUCER_BATCHES_RETAINED 5 /* ProducerStateEntry.NUM_BATCHES_TO_RETAIN */

struct producer_batch {
    int32_t first_seq;
    int32_t last_seq;
    int64_t first_offset;
    int64_t last_offset;
    int64_t timestamp;
};

struct producer_entry {
    int64_t producer_id; /* -1: empty slot */
    int16_t epoch;
    int nbatches; /* retained, oldest first */
    struct producer_batch batches[PRODUCER_BATCHES_RETAINED];
    int64_t last_timestamp;
};

struct producer_state {
    struct producer_entry *slots;
    size_t cap; /* power of two or 0 */
    size_t count;
};

/* Outcome of checking a batch before it is appended. */
enum producer_check {
    PRODUCER_OK,           /* append it */
    PRODUCER_DUPLICATE,    /* already appended: answer with *dup's offsets */
    PRODUCER_OUT_OF_ORDER, /* OUT_OF_ORDER_SEQUENCE_NUMBER */
    PRODUCER_FENCED,       /* older epoch: INVALID_PRODUCER_EPOCH */
};

/*
 * Checks a batch from producer `pid` at `epoch` with sequences
 * [first_seq, first_seq + count - 1] (wrapping at INT32_MAX) against the
 * state, as Kafka's ProducerAppendInfo does.  On PRODUCER_DUPLICATE *dup
 * receives the original batch.  A producer without state (new, expired, or
 * whose batches were truncated away) is accepted at any sequence: since
 * Kafka 2.5 (KIP-360) the broker no longer answers UNKNOWN_PRODUCER_ID.
 */
enum producer_check producer_state_check(const struct producer_state *ps, int64_t pid,
                                         int16_t epoch, int32_t first_seq, int32_t count,
                                         struct producer_batch *dup);

/* Records an appended batch (after a PRODUCER_OK check, or while rebuilding from the log). */
void producer_state_update(struct producer_state *ps, int64_t pid, int16_t epoch, int32_t first_seq,
                           int32_t count, int64_t first_offset, int64_t last_offset,
                           int64_t timestamp);

/* Forgets batches at or above `offset` (log truncation): producers whose state came only
 * from the truncated tail are dropped. */
void producer_state_truncate(struct producer_state *ps, int64_t offset);

/*
 * Removes producers whose last batch timestamp is expiration_ms or more before
 * now_ms (Kafka's ProducerStateManager.removeExpiredProducers with
 * producer.id.expiration.ms, KIP-854); the broker calls it every
 * producer.id.expiration.check.interval.ms.  Returns the number removed.
 */
size_t producer_state_remove_expired(struct producer_state *ps, int64_t now_ms,
                                     int64_t expiration_ms);

void producer_state_free(struct producer_state *ps);

/* The last sequence of a batch of `count` records starting at first_seq (wraps at INT32_MAX). */
int32_t producer_seq_last(int32_t first_seq, int32_t count);

#endif
