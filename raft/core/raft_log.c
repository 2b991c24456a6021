/*
 * The Raft core's in-memory log: the entries since the latest snapshot, each
 * an opaque batch with its offset range and epoch, plus that snapshot's id
 * and bytes.  Epoch lookups implement KIP-595's endOffsetForEpoch, which the
 * leader uses to validate a fetch and a follower to find where it diverges
 * (KIP-101/KIP-279 style truncation).
 */
#include <stdlib.h>
#include <string.h>

#include "raft_internal.h"
#include "xalloc.h"

void rlog_init(struct rlog *l)
{
    memset(l, 0, sizeof(*l));
    l->snap.end_offset = -1;
    l->snap.epoch = 0;
}

static void entry_free(struct rentry *e)
{
    free(e->data);
    e->data = NULL;
}

void rlog_free(struct rlog *l)
{
    for (size_t i = 0; i < l->n; i++)
        entry_free(&l->v[l->head + i]);
    free(l->v);
    free(l->snap_data);
    rlog_init(l);
}

int64_t rlog_end(const struct rlog *l)
{
    return l->n ? l->v[l->head + l->n - 1].last + 1 : l->start;
}

int32_t rlog_last_epoch(const struct rlog *l)
{
    if (l->n)
        return l->v[l->head + l->n - 1].epoch;
    return l->snap.end_offset >= 0 ? l->snap.epoch : 0;
}

const struct rentry *rlog_get(const struct rlog *l, size_t i)
{
    return &l->v[l->head + i];
}

long rlog_find(const struct rlog *l, int64_t offset)
{
    if (l->n == 0 || offset < l->v[l->head].base || offset > l->v[l->head + l->n - 1].last)
        return -1;
    size_t lo = 0, hi = l->n; /* first entry with last >= offset */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[l->head + mid].last < offset)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo;
}

void rlog_append(struct rlog *l, int64_t base, int64_t last, int32_t epoch, const void *data,
                 size_t len)
{
    if (l->head + l->n == l->cap) {
        if (l->head > 0 && l->head >= l->n) {
            memmove(l->v, l->v + l->head, l->n * sizeof(*l->v));
            l->head = 0;
        } else {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
        }
    }
    struct rentry *e = &l->v[l->head + l->n++];
    e->base = base;
    e->last = last;
    e->epoch = epoch;
    e->len = len;
    e->data = xmalloc(len ? len : 1);
    if (len)
        memcpy(e->data, data, len);
}

int64_t rlog_truncate(struct rlog *l, int64_t offset)
{
    while (l->n > 0 && l->v[l->head + l->n - 1].last >= offset) {
        entry_free(&l->v[l->head + l->n - 1]);
        l->n--;
    }
    return rlog_end(l);
}

static void drop_below(struct rlog *l, int64_t end)
{
    while (l->n > 0 && l->v[l->head].last < end) {
        entry_free(&l->v[l->head]);
        l->head++;
        l->n--;
    }
    if (l->n == 0)
        l->head = 0;
}

void rlog_set_snapshot(struct rlog *l, struct raft_snapshot_id id, const void *data, size_t len)
{
    uint8_t *copy = xmalloc(len ? len : 1);
    if (len)
        memcpy(copy, data, len);
    free(l->snap_data);
    l->snap_data = copy;
    l->snap_len = len;
    l->snap = id;
    drop_below(l, id.end_offset);
    l->start = id.end_offset;
}

void rlog_reset_to_snapshot(struct rlog *l, struct raft_snapshot_id id, uint8_t *data, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        entry_free(&l->v[l->head + i]);
    l->head = l->n = 0;
    free(l->snap_data);
    l->snap_data = data;
    l->snap_len = len;
    l->snap = id;
    l->start = id.end_offset;
}

bool rlog_is_boundary(const struct rlog *l, int64_t offset)
{
    if (offset == l->start || offset == rlog_end(l))
        return true;
    long i = rlog_find(l, offset);
    return i >= 0 && l->v[l->head + i].base == offset;
}

int32_t rlog_epoch_before(const struct rlog *l, int64_t end)
{
    if (end <= l->start)
        return l->snap.end_offset >= 0 ? l->snap.epoch : 0;
    long i = rlog_find(l, end - 1);
    return i >= 0 ? l->v[l->head + i].epoch : -1;
}

struct raft_epoch_end rlog_end_for_epoch(const struct rlog *l, int32_t epoch, bool *below_start)
{
    struct raft_epoch_end r;
    *below_start = false;
    if (epoch >= rlog_last_epoch(l)) {
        r.epoch = rlog_last_epoch(l);
        r.end_offset = rlog_end(l);
        return r;
    }
    /* The last entry whose epoch is <= epoch: epochs never decrease along the log. */
    size_t lo = 0, hi = l->n; /* first entry with epoch > `epoch` */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[l->head + mid].epoch <= epoch)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo > 0) {
        const struct rentry *e = &l->v[l->head + lo - 1];
        r.epoch = e->epoch;
        r.end_offset = e->last + 1;
        return r;
    }
    /* Every entry is newer: the epoch ends at the log start, if the log can tell. */
    if (l->snap.end_offset < 0) {
        r.epoch = 0; /* an unsnapshotted log starts empty at offset 0 in epoch 0 */
        r.end_offset = l->start;
        return r;
    }
    if (l->snap.epoch <= epoch) {
        r.epoch = l->snap.epoch;
        r.end_offset = l->snap.end_offset;
        return r;
    }
    *below_start = true;
    r.epoch = -1;
    r.end_offset = -1;
    return r;
}
