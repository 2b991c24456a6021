/*
 * ISR replication decisions (replication.h).
 */
#include "replication.h"

#include <stddef.h>

void repl_follower_reset(struct repl_follower *f, int32_t id, bool in_isr, int64_t now_ms)
{
    f->id = id;
    f->leo = -1;
    f->last_caught_up_ms = in_isr ? now_ms : -1;
    f->last_fetch_ms = -1;
    f->last_fetch_leader_leo = -1;
}

void repl_follower_fetched(struct repl_follower *f, int64_t fetch_offset, int64_t leader_leo,
                           int64_t now_ms)
{
    if (fetch_offset >= leader_leo) {
        if (now_ms > f->last_caught_up_ms)
            f->last_caught_up_ms = now_ms;
    } else if (f->last_fetch_leader_leo >= 0 && fetch_offset >= f->last_fetch_leader_leo &&
               f->last_fetch_ms > f->last_caught_up_ms) {
        f->last_caught_up_ms = f->last_fetch_ms;
    }
    f->leo = fetch_offset;
    f->last_fetch_leader_leo = leader_leo;
    f->last_fetch_ms = now_ms;
}

static const struct repl_follower *find(const struct repl_follower *f, int nf, int32_t id)
{
    for (int i = 0; i < nf; i++)
        if (f[i].id == id)
            return &f[i];
    return NULL;
}

int64_t repl_leader_hw(int64_t old_hw, int32_t leader_id, int64_t leader_leo,
                       const struct repl_follower *f, int nf, const int32_t *isr, int nisr,
                       int32_t min_isr, int nreplicas)
{
    if (nisr < min_isr && nisr < nreplicas)
        return old_hw; /* frozen below min.insync.replicas (KAFKA-15583) */
    int64_t hw = leader_leo;
    for (int i = 0; i < nisr; i++) {
        if (isr[i] == leader_id)
            continue;
        const struct repl_follower *r = find(f, nf, isr[i]);
        int64_t leo = r ? r->leo : -1;
        if (leo < hw)
            hw = leo;
    }
    return hw > old_hw ? hw : old_hw;
}

bool repl_follower_out_of_sync(const struct repl_follower *f, int64_t now_ms, int64_t lag_max_ms)
{
    return now_ms - f->last_caught_up_ms > lag_max_ms;
}

bool repl_follower_may_join(const struct repl_follower *f, int64_t hw,
                            int64_t leader_epoch_start_offset, int64_t now_ms, int64_t lag_max_ms)
{
    if (f->leo < 0 || f->last_fetch_ms < 0)
        return false;
    if (f->leo < hw || f->leo < leader_epoch_start_offset)
        return false;
    return !repl_follower_out_of_sync(f, now_ms, lag_max_ms);
}

bool repl_fetch_diverges(int32_t last_fetched_epoch, int64_t fetch_offset, int32_t found_epoch,
                         int64_t end_offset, int32_t *div_epoch, int64_t *div_end_offset)
{
    *div_epoch = -1;
    *div_end_offset = -1;
    if (last_fetched_epoch < 0)
        return false;
    if (found_epoch < last_fetched_epoch || end_offset < fetch_offset) {
        *div_epoch = found_epoch;
        *div_end_offset = end_offset;
        return true;
    }
    return false;
}

int64_t repl_truncation_offset(int32_t div_epoch, int64_t div_end_offset, int32_t own_found_epoch,
                               int64_t own_end_offset, int64_t own_leo, int64_t own_hw)
{
    int64_t to;
    if (div_end_offset < 0)
        to = own_hw; /* the leader has no epoch to offer: only the high watermark is safe */
    else if (div_epoch < 0 || own_found_epoch < 0)
        to = div_end_offset; /* no common epoch known: the leader's end is the bound */
    else if (own_found_epoch != div_epoch)
        to = own_end_offset; /* only an older epoch in common: cut there and ask again */
    else
        to = div_end_offset < own_end_offset ? div_end_offset : own_end_offset;
    if (to > own_leo)
        to = own_leo;
    if (to < 0)
        to = 0;
    return to;
}

int64_t repl_follower_hw(int64_t old_hw, int64_t leader_hw, int64_t own_leo)
{
    int64_t hw = leader_hw < own_leo ? leader_hw : own_leo;
    if (hw > old_hw)
        return hw;
    return old_hw > own_leo ? own_leo : old_hw;
}
