/*
 * Per-partition idempotent producer state (producer_state.h): an open
 * addressing table keyed by producer id.
 */
#include "producer_state.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

int32_t producer_seq_last(int32_t first_seq, int32_t count)
{
    int64_t last = (int64_t)first_seq + count - 1;
    if (last > INT32_MAX)
        last -= (int64_t)INT32_MAX + 1;
    return (int32_t)last;
}

static size_t slot_of(int64_t pid, size_t cap)
{
    uint64_t h = (uint64_t)pid * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 17) & (cap - 1);
}

static struct producer_entry *lookup(const struct producer_state *ps, int64_t pid)
{
    if (!ps->cap)
        return NULL;
    for (size_t i = slot_of(pid, ps->cap);; i = (i + 1) & (ps->cap - 1)) {
        struct producer_entry *e = &ps->slots[i];
        if (e->producer_id == pid)
            return e;
        if (e->producer_id == -1)
            return NULL;
    }
}

static void rehash(struct producer_state *ps, size_t cap)
{
    struct producer_entry *old = ps->slots;
    size_t oldcap = ps->cap;
    ps->slots = xmalloc(cap * sizeof *ps->slots);
    for (size_t i = 0; i < cap; i++)
        ps->slots[i].producer_id = -1;
    ps->cap = cap;
    for (size_t i = 0; i < oldcap; i++) {
        if (old[i].producer_id < 0)
            continue;
        size_t j = slot_of(old[i].producer_id, cap);
        while (ps->slots[j].producer_id != -1)
            j = (j + 1) & (cap - 1);
        ps->slots[j] = old[i];
    }
    free(old);
}

static struct producer_entry *insert(struct producer_state *ps, int64_t pid)
{
    if ((ps->count + 1) * 2 > ps->cap)
        rehash(ps, ps->cap ? ps->cap * 2 : 16);
    size_t i = slot_of(pid, ps->cap);
    while (ps->slots[i].producer_id != -1)
        i = (i + 1) & (ps->cap - 1);
    struct producer_entry *e = &ps->slots[i];
    memset(e, 0, sizeof *e);
    e->producer_id = pid;
    ps->count++;
    return e;
}

static bool in_sequence(int32_t last_seq, int32_t next_seq)
{
    if (last_seq == INT32_MAX)
        return next_seq == 0;
    return next_seq == last_seq + 1;
}

enum producer_check producer_state_check(const struct producer_state *ps, int64_t pid,
                                         int16_t epoch, int32_t first_seq, int32_t count,
                                         struct producer_batch *dup)
{
    const struct producer_entry *e = lookup(ps, pid);
    if (!e || e->nbatches == 0)
        /* No producer epoch known (new, expired, or removed by retention or truncation):
         * Kafka 2.5+ accepts any sequence (ProducerAppendInfo.checkSequence, KIP-360). */
        return PRODUCER_OK;
    if (epoch < e->epoch)
        return PRODUCER_FENCED;
    if (epoch > e->epoch)
        /* A bumped epoch must restart at sequence 0 (KIP-360). */
        return first_seq == 0 ? PRODUCER_OK : PRODUCER_OUT_OF_ORDER;
    int32_t last_seq = producer_seq_last(first_seq, count);
    for (int i = 0; i < e->nbatches; i++) {
        if (e->batches[i].first_seq == first_seq && e->batches[i].last_seq == last_seq) {
            if (dup)
                *dup = e->batches[i];
            return PRODUCER_DUPLICATE;
        }
    }
    if (!in_sequence(e->batches[e->nbatches - 1].last_seq, first_seq))
        return PRODUCER_OUT_OF_ORDER;
    return PRODUCER_OK;
}

void producer_state_update(struct producer_state *ps, int64_t pid, int16_t epoch, int32_t first_seq,
                           int32_t count, int64_t first_offset, int64_t last_offset,
                           int64_t timestamp)
{
    struct producer_entry *e = lookup(ps, pid);
    if (!e)
        e = insert(ps, pid);
    if (epoch != e->epoch) {
        e->epoch = epoch;
        e->nbatches = 0;
    }
    if (e->nbatches == PRODUCER_BATCHES_RETAINED) {
        memmove(&e->batches[0], &e->batches[1],
                sizeof e->batches[0] * (PRODUCER_BATCHES_RETAINED - 1));
        e->nbatches--;
    }
    struct producer_batch *b = &e->batches[e->nbatches++];
    b->first_seq = first_seq;
    b->last_seq = producer_seq_last(first_seq, count);
    b->first_offset = first_offset;
    b->last_offset = last_offset;
    b->timestamp = timestamp;
    e->last_timestamp = timestamp;
}

static size_t remove_where(struct producer_state *ps,
                           bool (*drop)(struct producer_entry *, int64_t), int64_t arg)
{
    size_t removed = 0;
    for (size_t i = 0; i < ps->cap; i++) {
        struct producer_entry *e = &ps->slots[i];
        if (e->producer_id >= 0 && drop(e, arg)) {
            e->producer_id = -2; /* mark; rebuilt below */
            ps->count--;
            removed++;
        }
    }
    if (removed == 0)
        return 0;
    for (size_t i = 0; i < ps->cap; i++)
        if (ps->slots[i].producer_id == -2)
            ps->slots[i].producer_id = -1;
    /* Re-insert everything so probe chains stay intact. */
    rehash(ps, ps->cap);
    return removed;
}

static bool truncate_entry(struct producer_entry *e, int64_t offset)
{
    while (e->nbatches > 0 && e->batches[e->nbatches - 1].last_offset >= offset)
        e->nbatches--;
    return e->nbatches == 0;
}

/* cutoff = now - expiration: Kafka expires when now - lastTimestamp >= expiration. */
static bool expired(struct producer_entry *e, int64_t cutoff)
{
    return e->last_timestamp <= cutoff;
}

void producer_state_truncate(struct producer_state *ps, int64_t offset)
{
    (void)remove_where(ps, truncate_entry, offset);
}

size_t producer_state_remove_expired(struct producer_state *ps, int64_t now_ms,
                                     int64_t expiration_ms)
{
    if (expiration_ms < 0 || ps->count == 0)
        return 0;
    int64_t cutoff = now_ms >= INT64_MIN + expiration_ms ? now_ms - expiration_ms : INT64_MIN;
    return remove_where(ps, expired, cutoff);
}

void producer_state_free(struct producer_state *ps)
{
    free(ps->slots);
    ps->slots = NULL;
    ps->cap = ps->count = 0;
}
