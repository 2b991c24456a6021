/*
 * The replication state machine of one partition replica (replication_core.h).
 */
#include "replication_core.h"

#include <stdlib.h>
#include <string.h>

#include "invariant.h"
#include "xalloc.h"

static int32_t *dup_ids(const int32_t *ids, int n)
{
    int32_t *v = xmalloc(sizeof *v * (size_t)(n ? n : 1));
    if (n)
        memcpy(v, ids, sizeof *v * (size_t)n);
    return v;
}

static bool has_id(const int32_t *ids, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

void repl_init(struct repl_partition *r, const struct repl_config *cfg, int64_t hw_checkpoint,
               int64_t log_start, int64_t leo)
{
    memset(r, 0, sizeof *r);
    r->cfg = *cfg;
    r->leader_id = -1;
    r->leader_epoch = -1;
    int64_t hw = hw_checkpoint < 0 ? log_start : (hw_checkpoint > leo ? leo : hw_checkpoint);
    r->high_watermark = hw < log_start ? log_start : hw;
}

static void clear_isr_change(struct repl_partition *r)
{
    r->isr_change_inflight = false;
    r->isr_change_resend = false;
    free(r->proposed_isr);
    r->proposed_isr = NULL;
    r->nproposed_isr = 0;
}

static void drop_followers(struct repl_partition *r)
{
    free(r->followers);
    r->followers = NULL;
    r->nfollowers = 0;
}

void repl_free(struct repl_partition *r)
{
    drop_followers(r);
    clear_isr_change(r);
    free(r->replicas);
    free(r->isr);
    r->replicas = r->isr = NULL;
    r->nreplicas = r->nisr = 0;
}

/*
 * Rebuilds the follower table for the current replicas: a new leadership
 * (fresh) resets everyone; otherwise known followers keep their state and
 * replicas added since are reset.
 */
static void sync_followers(struct repl_partition *r, bool fresh, int64_t now_ms)
{
    struct repl_follower *old = r->followers;
    int nold = r->nfollowers;
    r->followers = xcalloc((size_t)(r->nreplicas ? r->nreplicas : 1), sizeof *r->followers);
    r->nfollowers = 0;
    for (int i = 0; i < r->nreplicas; i++) {
        int32_t id = r->replicas[i];
        if (id == r->leader_id)
            continue;
        struct repl_follower *f = &r->followers[r->nfollowers++];
        const struct repl_follower *prev = NULL;
        for (int j = 0; !fresh && j < nold; j++)
            if (old[j].id == id)
                prev = &old[j];
        if (prev)
            *f = *prev;
        else
            repl_follower_reset(f, id, has_id(r->isr, r->nisr, id), now_ms);
    }
    free(old);
}

void repl_set_state(struct repl_partition *r, int32_t self_id, int32_t leader_id,
                    int32_t leader_epoch, int32_t partition_epoch, const int32_t *replicas,
                    int nreplicas, const int32_t *isr, int nisr, int64_t now_ms,
                    struct repl_state_change *out)
{
    bool was_leader = r->is_leader;
    int32_t old_epoch = r->leader_epoch;
    int32_t old_partition_epoch = r->partition_epoch;
    r->leader_id = leader_id;
    r->leader_epoch = leader_epoch;
    r->partition_epoch = partition_epoch;
    /* Copy before freeing: callers may pass r's own arrays. */
    int32_t *new_replicas = dup_ids(replicas, nreplicas), *new_isr = dup_ids(isr, nisr);
    free(r->replicas);
    free(r->isr);
    r->replicas = new_replicas;
    r->nreplicas = nreplicas;
    r->isr = new_isr;
    r->nisr = nisr;
    r->is_leader = leader_id == self_id;
    out->new_leadership = r->is_leader && (!was_leader || leader_epoch != old_epoch);
    out->became_follower = !r->is_leader && (was_leader || leader_epoch != old_epoch);
    if (r->is_leader) {
        sync_followers(r, out->new_leadership, now_ms);
        /* A committed change (a newer partition epoch) settles any proposal in flight. */
        if (out->new_leadership || partition_epoch != old_partition_epoch)
            clear_isr_change(r);
    } else {
        drop_followers(r);
        clear_isr_change(r);
    }
}

/* ---- leader ---- */

int repl_leader_maximal_isr(const struct repl_partition *r, int32_t *out)
{
    int n = r->nisr;
    if (n)
        memcpy(out, r->isr, sizeof *out * (size_t)n);
    if (r->isr_change_inflight)
        for (int i = 0; i < r->nproposed_isr; i++)
            if (!has_id(out, n, r->proposed_isr[i]))
                out[n++] = r->proposed_isr[i];
    return n;
}

bool repl_leader_advance_hw(struct repl_partition *r, int64_t leo)
{
    SL_ASSERT_MSG(r->is_leader, "the high watermark is advanced by the leader only");
    /* The size rule looks at the committed ISR only: min.insync.replicas is about
     * replicas the controller agrees are in sync. */
    if (r->nisr < r->cfg.min_isr && r->nisr < r->nreplicas)
        return false;
    /* While an ISR change is in flight the watermark counts every member of the
     * current and the proposed ISR (Kafka's maximal ISR): safe whichever commits. */
    int32_t *maximal = xmalloc(sizeof *maximal * (size_t)(r->nisr + r->nproposed_isr + 1));
    int n = repl_leader_maximal_isr(r, maximal);
    int64_t hw = repl_leader_hw(r->high_watermark, r->leader_id, leo, r->followers, r->nfollowers,
                                maximal, n, 0, r->nreplicas);
    free(maximal);
    if (hw <= r->high_watermark)
        return false;
    r->high_watermark = hw;
    return true;
}

static struct repl_follower *find_follower(const struct repl_partition *r, int32_t id)
{
    for (int i = 0; i < r->nfollowers; i++)
        if (r->followers[i].id == id)
            return &r->followers[i];
    return NULL;
}

const struct repl_follower *repl_leader_follower(const struct repl_partition *r, int32_t id)
{
    return find_follower(r, id);
}

enum repl_fetch_verdict repl_leader_on_fetch(struct repl_partition *r, int32_t replica_id,
                                             int64_t fetch_offset, int32_t last_fetched_epoch,
                                             int32_t found_epoch, int64_t end_offset,
                                             int64_t log_start, int64_t leo, int64_t now_ms,
                                             int32_t *div_epoch, int64_t *div_end_offset)
{
    *div_epoch = -1;
    *div_end_offset = -1;
    struct repl_follower *f = r->is_leader ? find_follower(r, replica_id) : NULL;
    if (!f)
        return REPL_FETCH_NOT_FOLLOWER; /* not a replica of this partition (any more) */
    /* KIP-595 style divergence first: a follower with a longer divergent tail must learn
     * where to cut, not be told it is out of range. */
    if (repl_fetch_diverges(last_fetched_epoch, fetch_offset, found_epoch, end_offset, div_epoch,
                            div_end_offset)) {
        if (*div_end_offset < 0) {
            /* No end offset to offer (cannot happen while the leader's own epoch is in its
             * cache): the high watermark is a safe bound, and a value the follower sees. */
            *div_epoch = -1;
            *div_end_offset = r->high_watermark;
        }
        return REPL_FETCH_DIVERGING;
    }
    if (fetch_offset < log_start || fetch_offset > leo)
        return REPL_FETCH_OUT_OF_RANGE;
    repl_follower_fetched(f, fetch_offset, leo, now_ms);
    return REPL_FETCH_OK;
}

void repl_leader_follower_restarted(struct repl_partition *r, int32_t id, int64_t now_ms)
{
    struct repl_follower *f = r->is_leader ? find_follower(r, id) : NULL;
    if (f)
        repl_follower_reset(f, id, false, now_ms);
}

bool repl_leader_propose_isr(struct repl_partition *r, int64_t now_ms, int64_t lag_max_ms,
                             int64_t epoch_start, bool (*eligible)(void *ctx, int32_t id),
                             void *ctx)
{
    SL_ASSERT_MSG(r->is_leader, "only the leader proposes an ISR");
    if (r->isr_change_inflight ||
        (r->isr_change_sent_ms > 0 &&
         now_ms - r->isr_change_sent_ms < r->cfg.isr_change_min_interval_ms))
        return false;
    int32_t *isr = xmalloc(sizeof *isr * (size_t)(r->nreplicas + 1));
    int n = 0;
    bool changed = false;
    isr[n++] = r->leader_id;
    for (int i = 0; i < r->nfollowers; i++) {
        const struct repl_follower *f = &r->followers[i];
        bool member = has_id(r->isr, r->nisr, f->id);
        bool keep = member ? !repl_follower_out_of_sync(f, now_ms, lag_max_ms)
                           : repl_follower_may_join(f, r->high_watermark, epoch_start, now_ms,
                                                    lag_max_ms) &&
                                 (!eligible || eligible(ctx, f->id));
        if (keep)
            isr[n++] = f->id;
        changed |= keep != member;
    }
    if (!changed) {
        free(isr);
        return false;
    }
    clear_isr_change(r);
    r->isr_change_inflight = true;
    r->proposed_isr = isr;
    r->nproposed_isr = n;
    r->isr_change_sent_ms = now_ms;
    return true;
}

uint32_t repl_isr_change_sent(struct repl_partition *r, int64_t now_ms)
{
    SL_ASSERT_MSG(r->is_leader && r->isr_change_inflight, "an ISR proposal is sent by its leader");
    r->isr_change_sent_ms = now_ms;
    r->isr_change_resend = false;
    return ++r->isr_change_seq;
}

void repl_isr_change_send_failed(struct repl_partition *r)
{
    if (r->isr_change_inflight)
        r->isr_change_resend = true;
}

bool repl_isr_change_resend_due(const struct repl_partition *r, int64_t now_ms,
                                int64_t resend_after_ms, int64_t unanswered_ms)
{
    if (!r->is_leader || !r->isr_change_inflight)
        return false;
    int64_t waited = now_ms - r->isr_change_sent_ms;
    return (r->isr_change_resend && waited >= resend_after_ms) || waited >= unanswered_ms;
}

void repl_isr_change_end(struct repl_partition *r)
{
    clear_isr_change(r);
}

enum repl_isr_action repl_isr_change_answer(struct repl_partition *r, uint32_t seq,
                                            int32_t sent_epoch, enum repl_isr_outcome outcome,
                                            int32_t leader_id, int32_t leader_epoch,
                                            int32_t partition_epoch, const int32_t *isr, int nisr,
                                            int64_t now_ms)
{
    if (!r->is_leader || r->leader_epoch != sent_epoch || !r->isr_change_inflight ||
        r->isr_change_seq != seq)
        return REPL_ISR_IGNORED;
    switch (outcome) {
    case REPL_ISR_REFUSED:
        clear_isr_change(r);
        return REPL_ISR_ENDED;
    case REPL_ISR_RETRY:
        r->isr_change_resend = true;
        return REPL_ISR_RESEND;
    case REPL_ISR_UNKNOWN:
        return REPL_ISR_WAITING;
    case REPL_ISR_COMMITTED:
        break;
    }
    if (leader_id == r->leader_id && leader_epoch == r->leader_epoch &&
        partition_epoch > r->partition_epoch) {
        struct repl_state_change ch;
        repl_set_state(r, r->leader_id, leader_id, leader_epoch, partition_epoch, r->replicas,
                       r->nreplicas, isr, nisr, now_ms, &ch);
        clear_isr_change(r);
        return REPL_ISR_APPLIED;
    }
    if (partition_epoch == r->partition_epoch) {
        clear_isr_change(r); /* already so */
        return REPL_ISR_ENDED;
    }
    return REPL_ISR_WAITING; /* older than what we know: the metadata settles it */
}

/* ---- follower ---- */

int64_t repl_follower_truncation(const struct repl_partition *r, int32_t div_epoch,
                                 int64_t div_end_offset, int32_t own_found_epoch,
                                 int64_t own_end_offset, int64_t leo)
{
    SL_ASSERT_MSG(!r->is_leader, "only a follower truncates to its leader's diverging epoch");
    return repl_truncation_offset(div_epoch, div_end_offset, own_found_epoch, own_end_offset, leo,
                                  r->high_watermark);
}

enum repl_oor_action repl_follower_out_of_range(const struct repl_partition *r, int64_t sent_offset,
                                                int64_t leader_log_start, int64_t leader_hw,
                                                int64_t leo, int64_t *to)
{
    SL_ASSERT_MSG(!r->is_leader, "only a follower handles its leader's OFFSET_OUT_OF_RANGE");
    *to = -1;
    /* Below the leader's log start (its retention went past us): restart there.
     * Above its log end cannot happen without divergence; refetch after a pause. */
    if (leader_log_start >= 0 && sent_offset < leader_log_start) {
        *to = leader_log_start;
        return REPL_OOR_RESTART_AT;
    }
    if (leader_hw >= 0 && leader_hw < leo) {
        *to = leader_hw;
        return REPL_OOR_TRUNCATE;
    }
    return REPL_OOR_RETRY;
}

bool repl_follower_on_leader_hw(struct repl_partition *r, int64_t leader_hw, int64_t leo)
{
    SL_ASSERT_MSG(!r->is_leader, "a leader takes no high watermark from another");
    int64_t hw = repl_follower_hw(r->high_watermark, leader_hw, leo);
    if (hw == r->high_watermark)
        return false;
    r->high_watermark = hw;
    return true;
}

/* ---- the log moved under the core ---- */

void repl_log_truncated(struct repl_partition *r, int64_t leo)
{
    if (r->high_watermark > leo)
        r->high_watermark = leo;
}

void repl_log_restarted(struct repl_partition *r, int64_t offset)
{
    r->high_watermark = offset;
}

void repl_log_start_advanced(struct repl_partition *r, int64_t log_start)
{
    if (r->high_watermark < log_start)
        r->high_watermark = log_start;
}
