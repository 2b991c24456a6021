/*
 * The Raft simulator (sim.h): a discrete-event loop over a fake clock that
 * plays the io glue for every node (network, disk, state machine, client)
 * and checks the safety invariants after every event.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "log.h"
#include "raft.h"
#include "sim.h"
#include "sim_queue.h"
#include "xalloc.h"

#define MAX_NODES   8
#define OBSERVER_ID 100
#define SNAP_MAGIC  0x534e4150u /* "SNAP" */

/* ---- hashing ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

/* Hash of the log prefix ending with this batch: what log matching compares. */
static uint64_t chain(uint64_t prev, int64_t base, int64_t last, int32_t epoch, uint64_t ch)
{
    return mix64(prev ^ mix64((uint64_t)base * 0x9e3779b97f4a7c15ULL ^ (uint64_t)last << 20 ^
                              (uint64_t)(uint32_t)epoch << 7 ^ ch));
}

/* ---- events ---- */

enum evtype { EV_DELIVER, EV_TICK, EV_PERSIST, EV_SYNC, EV_CHAOS, EV_CLIENT, EV_SNAPSHOT };

struct event {
    int64_t t;
    uint64_t seq;
    enum evtype type;
    int node;
    uint32_t inc;
    uint64_t val;
    struct raft_msg *msg;
};

/* ---- disks ---- */

struct dentry {
    int64_t base, last;
    int32_t epoch;
    uint8_t *data;
    size_t len;
};

struct dop {
    enum raft_log_op_type type;
    uint64_t write_id;
    struct dentry e;
    int64_t offset;
    struct raft_snapshot_id snap;
    uint8_t *data;
    size_t len;
};

struct dpersist {
    uint64_t seq;
    struct raft_persisted st;
};

struct disk {
    struct raft_persisted st; /* durable quorum-state */
    uint64_t st_seq;
    struct dentry *log; /* durable log, contiguous */
    size_t nlog, caplog;
    int64_t end;
    struct raft_snapshot_id snap; /* durable snapshot */
    uint8_t *snap_data;
    size_t snap_len;
    struct dop *ops; /* written, not yet synced */
    size_t nops, capops;
    struct dpersist *ps;
    size_t nps, capps;
};

/* The simulator's mirror of a node's log (from the ops it emitted), for log matching. */
struct mentry {
    int64_t base, last;
    int32_t epoch;
    uint64_t ch, ph;
};

struct vkind {
    int32_t from;
    uint64_t rid;
    bool pre;
};

struct snode {
    int32_t id;
    bool voter;
    struct raft_node *r;
    bool up;
    uint32_t inc;
    struct disk d;
    struct mentry *m;
    size_t nm, capm;
    int64_t m_start;
    uint64_t m_start_hash;
    /* state machine */
    int64_t applied;
    uint64_t sm_hash;
    int64_t last_client_t;
    /* invariants */
    int64_t last_hw;
    int32_t last_epoch;
    int32_t max_sent_epoch;
    int32_t max_durable_epoch;
    int32_t leader_checked_epoch;
    int32_t *votes; /* durable vote per epoch, -1 none */
    size_t nvotes;
    struct vkind vk[128];
    int vk_next;
    /* scheduling */
    uint64_t tick_gen;
    int64_t tick_at;
    bool slow_disk;
    bool isolated; /* kept apart in the liveness phase */
};

struct committed {
    int64_t base, last;
    int32_t epoch;
    uint64_t ch, chain;
};

struct lm_slot {
    bool used;
    int64_t base;
    int32_t epoch;
    int64_t last;
    uint64_t ph;
};

struct sim {
    struct sim_opts o;
    struct sim_stats *st;
    uint64_t rng;
    int64_t now;
    struct sim_queue q; /* of struct event */
    int nn;             /* voters + observers */
    struct snode nodes[MAX_NODES];
    int nvoters;
    /* network */
    bool blocked[MAX_NODES][MAX_NODES];
    int drop_pct; /* per mille */
    int dup_pm;
    int slow_pm;
    /* per-seed profile */
    int64_t chaos_min, chaos_max; /* gap between fault injections */
    int disk_profile;             /* 0 fast, 1 mixed, 2 slow */
    int lose_all_pm;              /* a crash loses every unsynced write */
    struct raft_config cfg;       /* timeouts and sizes for every node of this seed */
    /* global truth */
    struct committed *cm;
    size_t ncm, capcm;
    int64_t committed_end;
    int32_t *leaders; /* leader id per epoch, -1 none */
    size_t nleaders;
    struct lm_slot *lm;
    size_t lm_cap, lm_used;
    /* phases */
    int phase; /* 0 chaos, 1 majority only, 2 all healed, 3 done */
    int64_t phase_start;
    int32_t stable_epoch; /* phase 2: the leader's epoch must hold (-1: not checked) */
    int p3_step;          /* phase 3: 0 settle, 1 a follower is cut off, 2 healed */
    int64_t p3_until;
    int p3_leader;
    uint64_t client_ctr;
    /* Byzantine input (forged RPCs from outside the voter set) */
    uint64_t byz_rng;
    int byz_pm;         /* chance per event, per mille */
    int32_t byz_sender; /* while draining a forged message's outputs: its claimed sender */
    uint64_t byz_count;
    uint64_t events;
    bool failed;
    char *err;
    size_t errlen;
};

static void fail(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct sim *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = true;
    int k = snprintf(s->err, s->errlen, "t=%" PRId64 " ms: ", s->now);
    if (k < 0 || (size_t)k >= s->errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err + k, s->errlen - (size_t)k, fmt, ap);
    va_end(ap);
}

static void trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(struct sim *s, const char *fmt, ...)
{
    if (!s->o.verbose)
        return;
    fprintf(stderr, "%8" PRId64 " ", s->now);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static uint64_t rnd(struct sim *s)
{
    return mix64(s->rng += 0x9e3779b97f4a7c15ULL);
}

/* Uniform in [lo, hi]. */
static int64_t rnd_in(struct sim *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static bool chance(struct sim *s, int per_mille)
{
    return (int)(rnd(s) % 1000) < per_mille;
}

/* ---- events ---- */

_Static_assert(offsetof(struct event, t) == 0 && offsetof(struct event, seq) == sizeof(int64_t),
               "struct event begins as sim_queue.h requires");

static void at(struct sim *s, int64_t t, enum evtype type, int node, uint64_t val)
{
    struct event e = {.t = t, .type = type, .node = node, .val = val};
    if (node >= 0)
        e.inc = s->nodes[node].inc;
    sim_queue_push(&s->q, &e);
}

/* ---- node lookup ---- */

static int node_index(const struct sim *s, int32_t id)
{
    for (int i = 0; i < s->nn; i++)
        if (s->nodes[i].id == id)
            return i;
    return -1;
}

/* ---- global truth: committed batches, leaders, log matching ---- */

static void record_leader(struct sim *s, int32_t epoch, int32_t id)
{
    if ((size_t)epoch >= s->nleaders) {
        size_t n = (size_t)epoch * 2 + 16;
        s->leaders = xrealloc(s->leaders, n * sizeof(*s->leaders));
        for (size_t i = s->nleaders; i < n; i++)
            s->leaders[i] = -1;
        s->nleaders = n;
    }
    if (s->leaders[epoch] < 0) {
        s->leaders[epoch] = id;
        s->st->leaders++;
        trace(s, "** node %d leads epoch %d", id, epoch);
    } else if (s->leaders[epoch] != id) {
        fail(s, "two leaders in epoch %d: %d and %d", epoch, s->leaders[epoch], id);
    }
}

static void lm_grow(struct sim *s);

static struct lm_slot *lm_find(struct sim *s, int64_t base, int32_t epoch, bool insert)
{
    if (insert && (s->lm_used + 1) * 2 > s->lm_cap)
        lm_grow(s);
    size_t mask = s->lm_cap - 1;
    size_t i = (size_t)mix64((uint64_t)base * 31 + (uint64_t)(uint32_t)epoch) & mask;
    for (;;) {
        struct lm_slot *sl = &s->lm[i];
        if (!sl->used) {
            if (!insert)
                return NULL;
            sl->used = true;
            sl->base = base;
            sl->epoch = epoch;
            sl->last = -1;
            s->lm_used++;
            return sl;
        }
        if (sl->base == base && sl->epoch == epoch)
            return sl;
        i = (i + 1) & mask;
    }
}

static void lm_grow(struct sim *s)
{
    struct lm_slot *old = s->lm;
    size_t oldcap = s->lm_cap;
    s->lm_cap = oldcap ? oldcap * 2 : 1024;
    s->lm = xcalloc(s->lm_cap, sizeof(*s->lm));
    s->lm_used = 0;
    for (size_t i = 0; i < oldcap; i++) {
        if (!old[i].used)
            continue;
        struct lm_slot *sl = lm_find(s, old[i].base, old[i].epoch, true);
        *sl = old[i];
    }
    free(old);
}

/* Log matching: a batch at (base, epoch) is the same batch with the same prefix everywhere. */
static void lm_check(struct sim *s, int node, const struct mentry *e)
{
    struct lm_slot *sl = lm_find(s, e->base, e->epoch, true);
    if (sl->last < 0) {
        sl->last = e->last;
        sl->ph = e->ph;
        return;
    }
    if (sl->last != e->last || sl->ph != e->ph)
        fail(s,
             "log matching: node %d has a different batch or prefix at offset %" PRId64 " epoch %d",
             s->nodes[node].id, e->base, e->epoch);
}

static long cm_find(const struct sim *s, int64_t base)
{
    size_t lo = 0, hi = s->ncm;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->cm[mid].base < base)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->ncm && s->cm[lo].base == base ? (long)lo : -1;
}

/* A node's state machine applied this batch: it is committed, and must never differ. */
static void commit_check(struct sim *s, int node, const struct committed *c)
{
    if (c->base < s->committed_end) {
        long i = cm_find(s, c->base);
        if (i < 0 || s->cm[i].last != c->last || s->cm[i].epoch != c->epoch ||
            s->cm[i].ch != c->ch || s->cm[i].chain != c->chain)
            fail(s, "committed batch at %" PRId64 " differs on node %d (epoch %d vs %d)", c->base,
                 s->nodes[node].id, c->epoch, i >= 0 ? s->cm[i].epoch : -1);
        return;
    }
    if (c->base != s->committed_end) {
        fail(s, "node %d commits %" PRId64 " beyond the committed end %" PRId64, s->nodes[node].id,
             c->base, s->committed_end);
        return;
    }
    if (s->ncm == s->capcm) {
        s->capcm = s->capcm ? s->capcm * 2 : 256;
        s->cm = xrealloc(s->cm, s->capcm * sizeof(*s->cm));
    }
    s->cm[s->ncm++] = *c;
    s->committed_end = c->last + 1;
    s->st->committed_batches++;
}

/* ---- snapshots: "SNAP", end offset, chain hash, filler ---- */

static uint8_t *snap_build(struct sim *s, int64_t end, uint64_t h, size_t *len)
{
    size_t fill = (size_t)rnd_in(s, 0, 3000);
    *len = 20 + fill;
    uint8_t *p = xmalloc(*len);
    be32_store(p, SNAP_MAGIC);
    be64_store(p + 4, (uint64_t)end);
    be64_store(p + 12, h);
    for (size_t i = 0; i < fill; i++)
        p[20 + i] = (uint8_t)(h >> (8 * (i % 8))) ^ (uint8_t)i;
    return p;
}

static int snap_parse(const uint8_t *p, size_t len, int64_t *end, uint64_t *h)
{
    if (len < 20 || be32_load(p) != SNAP_MAGIC)
        return -1;
    *end = (int64_t)be64_load(p + 4);
    *h = be64_load(p + 12);
    for (size_t i = 20; i < len; i++)
        if (p[i] != ((uint8_t)(*h >> (8 * ((i - 20) % 8))) ^ (uint8_t)(i - 20)))
            return -1;
    return 0;
}

/* ---- mirror of a node's log ---- */

static void mirror_push(struct sim *s, int i, int64_t base, int64_t last, int32_t epoch,
                        const uint8_t *data, size_t len)
{
    struct snode *sn = &s->nodes[i];
    int64_t end = sn->nm ? sn->m[sn->nm - 1].last + 1 : sn->m_start;
    if (base != end) {
        fail(s, "node %d appends at %" PRId64 " but its log ends at %" PRId64, sn->id, base, end);
        return;
    }
    if (sn->nm == sn->capm) {
        sn->capm = sn->capm ? sn->capm * 2 : 64;
        sn->m = xrealloc(sn->m, sn->capm * sizeof(*sn->m));
    }
    struct mentry *e = &sn->m[sn->nm++];
    e->base = base;
    e->last = last;
    e->epoch = epoch;
    e->ch = fnv(data, len);
    e->ph = chain(sn->nm > 1 ? sn->m[sn->nm - 2].ph : sn->m_start_hash, base, last, epoch, e->ch);
    lm_check(s, i, e);
}

static void mirror_reset(struct snode *sn, int64_t start, uint64_t h)
{
    sn->nm = 0;
    sn->m_start = start;
    sn->m_start_hash = h;
}

static void mirror_apply(struct sim *s, int i, const struct raft_log_op *op)
{
    struct snode *sn = &s->nodes[i];
    switch (op->type) {
    case RAFT_LOG_APPEND:
        mirror_push(s, i, op->entry.base_offset, op->entry.last_offset, op->entry.epoch,
                    op->entry.data, op->entry.len);
        break;
    case RAFT_LOG_TRUNCATE:
        while (sn->nm > 0 && sn->m[sn->nm - 1].last >= op->offset)
            sn->nm--;
        s->st->truncations++;
        break;
    case RAFT_LOG_INSTALL_SNAPSHOT: {
        int64_t end;
        uint64_t h;
        if (snap_parse(op->data, op->len, &end, &h) != 0 || end != op->snapshot.end_offset) {
            fail(s, "node %d installs a malformed snapshot", sn->id);
            return;
        }
        mirror_reset(sn, end, h);
        break;
    }
    case RAFT_LOG_RESET:
        if (sn->nm != 0 || sn->m_start != op->offset)
            fail(s, "node %d: reset to %" PRId64 " of a log that is not empty there", sn->id,
                 op->offset);
        break;
    case RAFT_LOG_DROP_PREFIX: {
        size_t k = 0;
        while (k < sn->nm && sn->m[k].last < op->offset)
            k++;
        if (k > 0) {
            if (sn->m[k - 1].last + 1 == op->offset)
                sn->m_start_hash = sn->m[k - 1].ph;
            memmove(sn->m, sn->m + k, (sn->nm - k) * sizeof(*sn->m));
            sn->nm -= k;
        }
        sn->m_start = op->offset;
        break;
    }
    }
}

/* The core's log must be exactly what its ops described. */
static void mirror_compare(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    struct raft_node *r = sn->r;
    size_t n = raft_entry_count(r);
    if (n != sn->nm || raft_log_start_offset(r) != sn->m_start) {
        fail(s, "node %d: core log (%zu entries from %" PRId64 ") != ops (%zu from %" PRId64 ")",
             sn->id, n, raft_log_start_offset(r), sn->nm, sn->m_start);
        return;
    }
    for (size_t k = 0; k < n; k++) {
        struct raft_entry e;
        raft_entry_at(r, k, &e);
        if (e.base_offset != sn->m[k].base || e.last_offset != sn->m[k].last ||
            e.epoch != sn->m[k].epoch || fnv(e.data, e.len) != sn->m[k].ch) {
            fail(s, "node %d: core entry %zu differs from the ops", sn->id, k);
            return;
        }
    }
}

/* ---- disk ---- */

static void dentry_free(struct dentry *e)
{
    free(e->data);
    e->data = NULL;
}

static void dop_free(struct dop *op)
{
    dentry_free(&op->e);
    free(op->data);
}

static void disk_apply(struct sim *s, struct snode *sn, struct dop *op)
{
    struct disk *d = &sn->d;
    switch (op->type) {
    case RAFT_LOG_APPEND:
        if (op->e.base != d->end) {
            fail(s, "node %d disk append at %" PRId64 " != end %" PRId64, sn->id, op->e.base,
                 d->end);
            dop_free(op);
            return;
        }
        if (d->nlog == d->caplog) {
            d->caplog = d->caplog ? d->caplog * 2 : 64;
            d->log = xrealloc(d->log, d->caplog * sizeof(*d->log));
        }
        d->log[d->nlog++] = op->e;
        op->e.data = NULL;
        d->end = op->e.last + 1;
        break;
    case RAFT_LOG_TRUNCATE:
        while (d->nlog > 0 && d->log[d->nlog - 1].last >= op->offset) {
            d->end = d->log[d->nlog - 1].base;
            dentry_free(&d->log[--d->nlog]);
        }
        break;
    case RAFT_LOG_INSTALL_SNAPSHOT:
        for (size_t k = 0; k < d->nlog; k++)
            dentry_free(&d->log[k]);
        d->nlog = 0;
        d->end = op->snap.end_offset;
        free(d->snap_data);
        d->snap = op->snap;
        d->snap_data = op->data;
        d->snap_len = op->len;
        op->data = NULL;
        break;
    case RAFT_LOG_RESET:
        for (size_t k = 0; k < d->nlog; k++)
            dentry_free(&d->log[k]);
        d->nlog = 0;
        d->end = op->offset;
        break;
    case RAFT_LOG_DROP_PREFIX: {
        size_t k = 0;
        while (k < d->nlog && d->log[k].last < op->offset)
            dentry_free(&d->log[k++]);
        if (k > 0) {
            memmove(d->log, d->log + k, (d->nlog - k) * sizeof(*d->log));
            d->nlog -= k;
        }
        break;
    }
    }
    dop_free(op);
}

static void disk_sync(struct sim *s, struct snode *sn, uint64_t write_id)
{
    struct disk *d = &sn->d;
    size_t k = 0;
    while (k < d->nops && d->ops[k].write_id <= write_id)
        disk_apply(s, sn, &d->ops[k++]);
    if (k > 0) {
        memmove(d->ops, d->ops + k, (d->nops - k) * sizeof(*d->ops));
        d->nops -= k;
    }
}

static void vote_durable(struct sim *s, struct snode *sn, const struct raft_persisted *st)
{
    if (st->epoch < sn->max_durable_epoch)
        fail(s, "node %d: durable epoch went from %d to %d", sn->id, sn->max_durable_epoch,
             st->epoch);
    sn->max_durable_epoch = st->epoch;
    if (st->voted_id < 0)
        return;
    if ((size_t)st->epoch >= sn->nvotes) {
        size_t n = (size_t)st->epoch * 2 + 16;
        sn->votes = xrealloc(sn->votes, n * sizeof(*sn->votes));
        for (size_t k = sn->nvotes; k < n; k++)
            sn->votes[k] = -1;
        sn->nvotes = n;
    }
    if (sn->votes[st->epoch] >= 0 && sn->votes[st->epoch] != st->voted_id)
        fail(s, "node %d voted for %d and %d in epoch %d", sn->id, sn->votes[st->epoch],
             st->voted_id, st->epoch);
    sn->votes[st->epoch] = st->voted_id;
}

static void disk_persist(struct sim *s, struct snode *sn, uint64_t seq)
{
    struct disk *d = &sn->d;
    size_t k = 0;
    while (k < d->nps && d->ps[k].seq <= seq) {
        d->st = d->ps[k].st;
        d->st_seq = d->ps[k].seq;
        vote_durable(s, sn, &d->st);
        k++;
    }
    if (k > 0) {
        memmove(d->ps, d->ps + k, (d->nps - k) * sizeof(*d->ps));
        d->nps -= k;
    }
}

/* A crash: a random prefix of the unsynced writes reached the disk, the rest is lost. */
static void disk_crash(struct sim *s, struct snode *sn)
{
    struct disk *d = &sn->d;
    size_t keep = chance(s, s->lose_all_pm) ? 0 : (size_t)rnd_in(s, 0, (int64_t)d->nops);
    for (size_t k = 0; k < d->nops; k++) {
        if (k < keep)
            disk_apply(s, sn, &d->ops[k]);
        else
            dop_free(&d->ops[k]);
    }
    d->nops = 0;
    size_t keep_ps = chance(s, s->lose_all_pm) ? 0 : (size_t)rnd_in(s, 0, (int64_t)d->nps);
    for (size_t k = 0; k < keep_ps; k++) {
        d->st = d->ps[k].st;
        vote_durable(s, sn, &d->st);
    }
    d->nps = 0;
}

static void disk_free(struct disk *d)
{
    for (size_t k = 0; k < d->nlog; k++)
        dentry_free(&d->log[k]);
    free(d->log);
    for (size_t k = 0; k < d->nops; k++)
        dop_free(&d->ops[k]);
    free(d->ops);
    free(d->ps);
    free(d->snap_data);
}

static int64_t disk_delay(struct sim *s, struct snode *sn)
{
    if (s->phase > 0)
        return rnd_in(s, 0, 5);
    if (sn->slow_disk)
        return rnd_in(s, 50, 400);
    switch (s->disk_profile) {
    case 0:
        return rnd_in(s, 0, 5);
    case 1:
        return chance(s, 300) ? rnd_in(s, 20, 200) : rnd_in(s, 0, 10);
    default:
        return rnd_in(s, 10, 300);
    }
}

/* ---- state machine ---- */

static void sm_apply(struct sim *s, int i, int64_t hw)
{
    struct snode *sn = &s->nodes[i];
    while (sn->applied < hw && !s->failed) {
        struct raft_entry e;
        if (raft_entry_find(sn->r, sn->applied, &e) != 0) {
            fail(s, "node %d: high watermark %" PRId64 " but no entry at %" PRId64, sn->id, hw,
                 sn->applied);
            return;
        }
        if (e.base_offset != sn->applied) {
            fail(s, "node %d: applied %" PRId64 " is inside a batch", sn->id, sn->applied);
            return;
        }
        struct committed c = {.base = e.base_offset,
                              .last = e.last_offset,
                              .epoch = e.epoch,
                              .ch = fnv(e.data, e.len)};
        sn->sm_hash = chain(sn->sm_hash, c.base, c.last, c.epoch, c.ch);
        c.chain = sn->sm_hash;
        commit_check(s, i, &c);
        if (e.len > 1 && e.data[0] == 'c') {
            char txt[64];
            size_t k = e.len < sizeof(txt) - 1 ? e.len : sizeof(txt) - 1;
            memcpy(txt, e.data, k);
            txt[k] = '\0';
            unsigned long long ctr = 0, t = 0;
            if (sscanf(txt, "c%llut%llu;", &ctr, &t) == 2 && (int64_t)t > sn->last_client_t)
                sn->last_client_t = (int64_t)t;
        }
        sn->applied = e.last_offset + 1;
    }
    if (sn->applied != hw && !s->failed)
        fail(s, "node %d: high watermark %" PRId64 " is not a batch boundary", sn->id, hw);
}

static void sm_load(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    const uint8_t *p;
    size_t len;
    struct raft_snapshot_id id = raft_snapshot(sn->r, &p, &len);
    int64_t end;
    uint64_t h;
    if (id.end_offset < 0 || snap_parse(p, len, &end, &h) != 0 || end != id.end_offset) {
        fail(s, "node %d loaded a malformed snapshot", sn->id);
        return;
    }
    /* The snapshot must be exactly the committed state at its end offset. */
    bool ok = false;
    if (end <= s->committed_end && s->ncm > 0) {
        size_t lo = 0, hi = s->ncm;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (s->cm[mid].last + 1 < end)
                lo = mid + 1;
            else
                hi = mid;
        }
        ok = lo < s->ncm && s->cm[lo].last + 1 == end && s->cm[lo].chain == h &&
             s->cm[lo].epoch == id.epoch;
    }
    if (!ok) {
        fail(s, "node %d loaded snapshot %" PRId64 "-%d that is not the committed state", sn->id,
             id.end_offset, id.epoch);
        return;
    }
    if (end > sn->applied) {
        sn->applied = end;
        sn->sm_hash = h;
    }
    s->st->snapshots_installed++;
    trace(s, "node %d loaded snapshot %" PRId64 "-%d", sn->id, id.end_offset, id.epoch);
}

/* ---- network ---- */

static int32_t msg_epoch(const struct raft_msg *m)
{
    switch (m->type) {
    case RAFT_MSG_VOTE:
        return m->u.vote.pre_vote ? m->u.vote.epoch - 1 : m->u.vote.epoch;
    case RAFT_MSG_VOTE_RESPONSE:
        return m->u.vote_resp.leader_epoch;
    case RAFT_MSG_BEGIN_EPOCH:
        return m->u.begin.leader_epoch;
    case RAFT_MSG_END_EPOCH:
        return m->u.end.leader_epoch;
    case RAFT_MSG_BEGIN_EPOCH_RESPONSE:
    case RAFT_MSG_END_EPOCH_RESPONSE:
        return m->u.epoch_resp.leader_epoch;
    case RAFT_MSG_FETCH:
        return m->u.fetch.leader_epoch;
    case RAFT_MSG_FETCH_RESPONSE:
        return m->u.fetch_resp.leader_epoch;
    case RAFT_MSG_FETCH_SNAPSHOT:
        return m->u.snap.leader_epoch;
    case RAFT_MSG_FETCH_SNAPSHOT_RESPONSE:
        return m->u.snap_resp.leader_epoch;
    }
    return 0;
}

static void describe_msg(const struct raft_msg *m, char *buf, size_t n)
{
    switch (m->type) {
    case RAFT_MSG_VOTE:
        snprintf(buf, n, "%s epoch %d last %d/%" PRId64, m->u.vote.pre_vote ? "PreVote" : "Vote",
                 m->u.vote.epoch, m->u.vote.last_epoch, m->u.vote.end_offset);
        break;
    case RAFT_MSG_VOTE_RESPONSE:
        snprintf(buf, n, "VoteResponse err %d leader %d epoch %d granted %d", m->u.vote_resp.error,
                 m->u.vote_resp.leader_id, m->u.vote_resp.leader_epoch, m->u.vote_resp.granted);
        break;
    case RAFT_MSG_FETCH:
        snprintf(buf, n, "Fetch epoch %d offset %" PRId64 " last epoch %d", m->u.fetch.leader_epoch,
                 m->u.fetch.fetch_offset, m->u.fetch.last_fetched_epoch);
        break;
    case RAFT_MSG_FETCH_RESPONSE:
        snprintf(buf, n,
                 "FetchResponse err %d leader %d epoch %d hw %" PRId64 " div %d/%" PRId64
                 " snap %" PRId64 " n %zu",
                 m->u.fetch_resp.error, m->u.fetch_resp.leader_id, m->u.fetch_resp.leader_epoch,
                 m->u.fetch_resp.high_watermark, m->u.fetch_resp.diverging.epoch,
                 m->u.fetch_resp.diverging.end_offset, m->u.fetch_resp.snapshot_id.end_offset,
                 m->u.fetch_resp.nentries);
        break;
    case RAFT_MSG_FETCH_SNAPSHOT:
        snprintf(buf, n, "FetchSnapshot %" PRId64 "-%d pos %" PRId64,
                 m->u.snap.snapshot_id.end_offset, m->u.snap.snapshot_id.epoch, m->u.snap.position);
        break;
    case RAFT_MSG_FETCH_SNAPSHOT_RESPONSE:
        snprintf(buf, n, "FetchSnapshotResponse err %d pos %" PRId64 " len %zu size %" PRId64,
                 m->u.snap_resp.error, m->u.snap_resp.position, m->u.snap_resp.len,
                 m->u.snap_resp.size);
        break;
    default:
        snprintf(buf, n, "%s epoch %d", raft_msg_type_name(m->type), msg_epoch(m));
        break;
    }
}

static void net_send(struct sim *s, int from, const struct raft_msg *m)
{
    struct snode *sn = &s->nodes[from];
    s->st->messages++;
    int32_t e = msg_epoch(m);
    if (e > sn->d.st.epoch)
        fail(s, "node %d sent %s in epoch %d before it was durable (durable epoch %d)", sn->id,
             raft_msg_type_name(m->type), e, sn->d.st.epoch);
    if (e > sn->max_sent_epoch)
        sn->max_sent_epoch = e;
    if (m->type == RAFT_MSG_VOTE_RESPONSE && m->u.vote_resp.granted) {
        for (int k = 0; k < 128; k++) {
            const struct vkind *v = &sn->vk[k];
            if (v->from != m->to || v->rid != m->rid || v->pre)
                continue;
            /* A real vote: durable before it leaves, and the only one in its epoch. */
            int32_t ep = m->u.vote_resp.leader_epoch;
            bool ok = sn->d.st.epoch > ep || (sn->d.st.epoch == ep && sn->d.st.voted_id == m->to);
            if ((size_t)ep < sn->nvotes && sn->votes[ep] >= 0 && sn->votes[ep] != m->to)
                ok = false;
            if (!ok)
                fail(s, "node %d granted a vote to %d in epoch %d that is not durable", sn->id,
                     m->to, ep);
            break;
        }
    }
    int to = node_index(s, m->to);
    if (to < 0 && (m->to == s->byz_sender || s->byz_pm > 0) && (m->to < 1 || m->to > s->nvoters))
        return; /* the answer to a forged request (perhaps parked until now): nobody listens */
    if (to < 0) {
        fail(s, "node %d sent to unknown node %d", sn->id, m->to);
        return;
    }
    if (s->o.verbose) {
        char buf[200];
        describe_msg(m, buf, sizeof(buf));
        trace(s, "send %d->%d rid %" PRIu64 " %s", sn->id, m->to, m->rid, buf);
    }
    int copies = 1;
    if (s->phase == 0 && chance(s, s->dup_pm))
        copies = 2;
    for (int c = 0; c < copies; c++) {
        if (s->blocked[from][to] || (s->phase == 0 && chance(s, s->drop_pct))) {
            s->st->dropped++;
            continue;
        }
        int64_t delay = rnd_in(s, 1, 8);
        if (s->phase == 0 && chance(s, s->slow_pm))
            delay = rnd_in(s, 30, 600);
        struct event ev = {.t = s->now + delay,
                           .type = EV_DELIVER,
                           .node = to,
                           .inc = s->nodes[to].inc,
                           .val = (uint64_t)from,
                           .msg = raft_msg_clone(m)};
        sim_queue_push(&s->q, &ev);
    }
}

/* ---- driving a node ---- */

static void schedule_tick(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    int64_t d = raft_next_deadline(sn->r);
    if (d == INT64_MAX)
        return;
    if (d <= s->now)
        d = s->now + 1;
    if (d == sn->tick_at)
        return;
    sn->tick_at = d;
    sn->tick_gen++;
    at(s, d, EV_TICK, i, sn->tick_gen);
}

static void check_node(struct sim *s, int i);

/* Processes the outputs of the last call into node i (the io glue's job). */
static void drain(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    const struct raft_output *o = raft_output(sn->r);
    if (o->persist) {
        struct disk *d = &sn->d;
        if (d->nps == d->capps) {
            d->capps = d->capps ? d->capps * 2 : 8;
            d->ps = xrealloc(d->ps, d->capps * sizeof(*d->ps));
        }
        d->ps[d->nps++] = (struct dpersist){.seq = o->persist_seq, .st = o->state};
        at(s, s->now + disk_delay(s, sn), EV_PERSIST, i, o->persist_seq);
        trace(s, "node %d persists epoch %d voted %d leader %d (seq %" PRIu64 ")", sn->id,
              o->state.epoch, o->state.voted_id, o->state.leader_id, o->persist_seq);
    }
    if (o->nops > 0) {
        struct disk *d = &sn->d;
        for (size_t k = 0; k < o->nops; k++) {
            const struct raft_log_op *op = &o->ops[k];
            mirror_apply(s, i, op);
            if (d->nops == d->capops) {
                d->capops = d->capops ? d->capops * 2 : 32;
                d->ops = xrealloc(d->ops, d->capops * sizeof(*d->ops));
            }
            struct dop *c = &d->ops[d->nops++];
            memset(c, 0, sizeof(*c));
            c->type = op->type;
            c->write_id = op->write_id;
            c->offset = op->offset;
            c->snap = op->snapshot;
            if (op->type == RAFT_LOG_APPEND) {
                c->e.base = op->entry.base_offset;
                c->e.last = op->entry.last_offset;
                c->e.epoch = op->entry.epoch;
                c->e.len = op->entry.len;
                c->e.data = xmalloc(op->entry.len ? op->entry.len : 1);
                memcpy(c->e.data, op->entry.data, op->entry.len);
            } else if (op->type == RAFT_LOG_INSTALL_SNAPSHOT) {
                c->len = op->len;
                c->data = xmalloc(op->len ? op->len : 1);
                memcpy(c->data, op->data, op->len);
            }
            if (s->o.verbose)
                trace(s,
                      "node %d log op %d id %" PRIu64 " offset %" PRId64 " entry %" PRId64
                      "..%" PRId64 " e%d",
                      sn->id, op->type, op->write_id, op->offset, op->entry.base_offset,
                      op->entry.last_offset, op->entry.epoch);
        }
        at(s, s->now + disk_delay(s, sn), EV_SYNC, i, o->ops[o->nops - 1].write_id);
    }
    for (size_t k = 0; k < o->nmsgs && !s->failed; k++)
        net_send(s, i, &o->msgs[k]);
    if (o->snapshot_loaded)
        sm_load(s, i);
    if (o->hw_changed) {
        if (o->high_watermark < sn->last_hw)
            fail(s, "node %d: high watermark moved back from %" PRId64 " to %" PRId64, sn->id,
                 sn->last_hw, o->high_watermark);
        sn->last_hw = o->high_watermark;
        sm_apply(s, i, o->high_watermark);
        trace(s, "node %d hw %" PRId64, sn->id, o->high_watermark);
    }
    if (o->leader_changed)
        trace(s, "node %d: %s epoch %d leader %d", sn->id, raft_role_name(raft_role(sn->r)),
              o->epoch, o->leader_id);
    check_node(s, i);
    schedule_tick(s, i);
}

static int sim_marker(void *ctx, int64_t base, int32_t epoch, int32_t leader, struct wbuf *out)
{
    (void)ctx;
    char buf[64];
    int k = snprintf(buf, sizeof(buf), "LC e%d l%d b%" PRId64, epoch, leader, base);
    wbuf_bytes(out, buf, (size_t)k);
    return 0;
}

static void node_start(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    struct raft_config cfg = s->cfg;
    cfg.node_id = sn->id;
    cfg.seed = rnd(s);
    struct disk *d = &sn->d;
    int rc = raft_create(&cfg, &d->st, d->snap.end_offset >= 0 ? &d->snap : NULL, d->snap_data,
                         d->snap_len, &sn->r);
    if (rc != 0) {
        fail(s, "node %d: raft_create failed: %s", sn->id, sl_strerror(rc));
        return;
    }
    for (size_t k = 0; k < d->nlog; k++) {
        struct raft_entry e = {.base_offset = d->log[k].base,
                               .last_offset = d->log[k].last,
                               .epoch = d->log[k].epoch,
                               .data = d->log[k].data,
                               .len = d->log[k].len};
        if (raft_load_entry(sn->r, &e) != 0) {
            trace(s, "node %d: disk log rejected at %" PRId64, sn->id, e.base_offset);
            break;
        }
    }
    /* The state machine restarts from the snapshot; the mirror from what the core loaded. */
    uint64_t h = 0;
    int64_t end = 0;
    if (d->snap.end_offset >= 0 && snap_parse(d->snap_data, d->snap_len, &end, &h) != 0) {
        fail(s, "node %d: corrupt snapshot on disk", sn->id);
        return;
    }
    sn->applied = d->snap.end_offset >= 0 ? d->snap.end_offset : 0;
    sn->sm_hash = h;
    sn->last_client_t = -1;
    mirror_reset(sn, raft_log_start_offset(sn->r), h);
    for (size_t k = 0; k < raft_entry_count(sn->r); k++) {
        struct raft_entry e;
        raft_entry_at(sn->r, k, &e);
        mirror_push(s, i, e.base_offset, e.last_offset, e.epoch, e.data, e.len);
    }
    sn->up = true;
    sn->last_hw = raft_high_watermark(sn->r);
    sn->tick_at = -1;
    sn->leader_checked_epoch = -1;
    raft_start(sn->r, s->now);
    sn->last_epoch = raft_epoch(sn->r);
    if (sn->last_epoch < sn->max_sent_epoch)
        fail(s, "node %d restarted in epoch %d after acting in epoch %d", sn->id, sn->last_epoch,
             sn->max_sent_epoch);
    trace(s, "node %d starts: epoch %d log [%" PRId64 ", %" PRId64 ")", sn->id, sn->last_epoch,
          raft_log_start_offset(sn->r), raft_log_end_offset(sn->r));
    drain(s, i);
}

static void node_crash(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    if (!sn->up)
        return;
    trace(s, "node %d crashes", sn->id);
    raft_destroy(sn->r);
    sn->r = NULL;
    sn->up = false;
    sn->inc++;
    disk_crash(s, sn);
    s->st->crashes++;
}

/* Leader completeness: a new leader holds every committed batch. */
static void check_leader(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    struct raft_node *r = sn->r;
    int32_t epoch = raft_epoch(r);
    record_leader(s, epoch, sn->id);
    if (sn->leader_checked_epoch == epoch)
        return;
    sn->leader_checked_epoch = epoch;
    int64_t start = raft_log_start_offset(r);
    if (raft_log_end_offset(r) < s->committed_end) {
        fail(s,
             "leader %d of epoch %d lacks committed offsets (log end %" PRId64
             ", committed %" PRId64 ")",
             sn->id, epoch, raft_log_end_offset(r), s->committed_end);
        return;
    }
    for (size_t k = 0; k < s->ncm; k++) {
        const struct committed *c = &s->cm[k];
        if (c->base < start)
            continue;
        struct raft_entry e;
        if (raft_entry_find(r, c->base, &e) != 0 || e.base_offset != c->base ||
            e.last_offset != c->last || e.epoch != c->epoch || fnv(e.data, e.len) != c->ch) {
            fail(s, "leader %d of epoch %d lacks committed batch %" PRId64, sn->id, epoch, c->base);
            return;
        }
    }
}

static void check_node(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    if (!sn->up || s->failed)
        return;
    struct raft_node *r = sn->r;
    if (raft_fault(r))
        fail(s, "node %d fault: %s", sn->id, raft_fault(r));
    int32_t e = raft_epoch(r);
    if (e < sn->last_epoch)
        fail(s, "node %d: epoch went from %d to %d", sn->id, sn->last_epoch, e);
    sn->last_epoch = e;
    if (raft_high_watermark(r) != sn->last_hw)
        fail(s, "node %d: hw %" PRId64 " changed without a notification (last %" PRId64 ")", sn->id,
             raft_high_watermark(r), sn->last_hw);
    if (raft_high_watermark(r) > raft_log_end_offset(r))
        fail(s, "node %d: hw %" PRId64 " beyond its log end %" PRId64, sn->id,
             raft_high_watermark(r), raft_log_end_offset(r));
    if (raft_role(r) == RAFT_LEADER)
        check_leader(s, i);
}

/* ---- chaos ---- */

static int random_node(struct sim *s)
{
    return (int)rnd_in(s, 0, s->nn - 1);
}

static void heal(struct sim *s)
{
    memset(s->blocked, 0, sizeof(s->blocked));
}

static void take_snapshot(struct sim *s, int i)
{
    struct snode *sn = &s->nodes[i];
    if (!sn->up || sn->applied <= raft_log_start_offset(sn->r))
        return;
    size_t len;
    uint8_t *data = snap_build(s, sn->applied, sn->sm_hash, &len);
    int rc = raft_snapshot_take(sn->r, s->now, sn->applied, data, len);
    if (rc != 0) {
        free(data);
        fail(s, "node %d: snapshot at applied offset %" PRId64 " refused: %s", sn->id, sn->applied,
             sl_strerror(rc));
        return;
    }
    /* The state machine wrote it durably before telling the core. */
    free(sn->d.snap_data);
    sn->d.snap = raft_snapshot(sn->r, NULL, NULL);
    sn->d.snap_data = data;
    sn->d.snap_len = len;
    s->st->snapshots_taken++;
    trace(s, "node %d takes snapshot at %" PRId64, sn->id, sn->applied);
    drain(s, i);
}

static int find_leader(struct sim *s)
{
    int best = -1;
    for (int i = 0; i < s->nn; i++) {
        struct snode *sn = &s->nodes[i];
        if (sn->up && raft_role(sn->r) == RAFT_LEADER &&
            (best < 0 || raft_epoch(sn->r) > raft_epoch(s->nodes[best].r)))
            best = i;
    }
    return best;
}

static void isolate(struct sim *s, int i)
{
    for (int k = 0; k < s->nn; k++)
        if (k != i)
            s->blocked[i][k] = s->blocked[k][i] = true;
}

static void chaos(struct sim *s)
{
    int i = random_node(s);
    struct snode *sn = &s->nodes[i];
    int pick = (int)rnd_in(s, 0, 109);
    int leader = find_leader(s);
    if (pick >= 100) {
        /* Targeted: the newest leader crashes, or is cut off (with a minority in a large quorum).
         */
        if (leader < 0)
            return;
        if (pick < 105) {
            node_crash(s, leader);
        } else {
            isolate(s, leader);
            if (s->nvoters >= 5) {
                int j = random_node(s);
                if (j != leader)
                    for (int k = 0; k < s->nn; k++)
                        if (k != leader && k != j)
                            s->blocked[j][k] = s->blocked[k][j] = true;
                s->blocked[j][leader] = s->blocked[leader][j] = false;
            }
            trace(s, "isolate leader %d", s->nodes[leader].id);
        }
    } else if (pick < 18) {
        node_crash(s, i);
    } else if (pick < 40) {
        for (int k = 0; k < s->nn; k++) {
            int j = (i + k) % s->nn;
            if (!s->nodes[j].up) {
                node_start(s, j);
                break;
            }
        }
    } else if (pick < 48) {
        isolate(s, i);
        trace(s, "isolate node %d", sn->id);
    } else if (pick < 56) {
        int j = random_node(s);
        if (j != i) {
            s->blocked[i][j] = true; /* one-way */
            trace(s, "block %d -> %d", sn->id, s->nodes[j].id);
        }
    } else if (pick < 60) {
        heal(s);
        for (int a = 0; a < s->nn; a++) /* a random split */
            for (int b = 0; b < s->nn; b++)
                if ((rnd(s) & 1) != ((uint64_t)(a + b) & 1))
                    s->blocked[a][b] = true;
        trace(s, "random partition");
    } else if (pick < 72) {
        heal(s);
        trace(s, "heal");
    } else if (pick < 78) {
        static const int drops[] = {0, 0, 10, 50, 200};
        s->drop_pct = drops[rnd_in(s, 0, 4)];
        s->dup_pm = (int)rnd_in(s, 0, 30);
        s->slow_pm = (int)rnd_in(s, 0, 80);
        trace(s, "network drop %d/1000 dup %d slow %d", s->drop_pct, s->dup_pm, s->slow_pm);
    } else if (pick < 90) {
        take_snapshot(s, i);
    } else if (pick < 94) {
        if (sn->up && raft_role(sn->r) == RAFT_LEADER) {
            trace(s, "node %d resigns", sn->id);
            raft_resign(sn->r, s->now);
            drain(s, i);
        }
    } else {
        sn->slow_disk = !sn->slow_disk;
    }
}

/* ---- phases ---- */

static void start_phase(struct sim *s, int phase)
{
    s->phase = phase;
    s->phase_start = s->now;
    s->drop_pct = s->dup_pm = s->slow_pm = 0;
    heal(s);
    if (phase == 1) {
        /* A majority stays connected; a random minority of voters is down or cut off. */
        int minority = (int)rnd_in(s, 0, (s->nvoters - 1) / 2);
        for (int i = 0; i < s->nn; i++)
            s->nodes[i].isolated = false;
        for (int k = 0; k < minority; k++) {
            int i = (int)rnd_in(s, 0, s->nvoters - 1);
            s->nodes[i].isolated = true;
        }
        for (int i = 0; i < s->nn; i++) {
            struct snode *sn = &s->nodes[i];
            sn->slow_disk = false;
            if (sn->isolated) {
                if (chance(s, 500))
                    node_crash(s, i);
                for (int j = 0; j < s->nn; j++)
                    if (j != i)
                        s->blocked[i][j] = s->blocked[j][i] = true;
            } else if (!sn->up) {
                node_start(s, i);
            }
        }
        trace(s, "phase 1: majority connected");
    } else if (phase == 2) {
        /*
         * KIP-996: voters coming back with an epoch no newer than the
         * leader's must not disrupt it (their pre-votes fail).
         */
        int leader = find_leader(s);
        int32_t back = -1;
        for (int i = 0; i < s->nn; i++) {
            struct snode *sn = &s->nodes[i];
            if (!sn->isolated)
                continue;
            int32_t e = sn->up ? raft_epoch(sn->r) : sn->d.st.epoch;
            if (e > back)
                back = e;
        }
        s->stable_epoch = -1;
        if (leader >= 0 && !s->nodes[leader].isolated && back <= raft_epoch(s->nodes[leader].r))
            s->stable_epoch = raft_epoch(s->nodes[leader].r);
        for (int i = 0; i < s->nn; i++) {
            s->nodes[i].isolated = false;
            if (!s->nodes[i].up)
                node_start(s, i);
        }
        trace(s, "phase 2: all healed (stable epoch %d)", s->stable_epoch);
    } else if (phase == 3) {
        s->p3_step = 0;
        s->stable_epoch = -1;
        trace(s, "phase 3: quiet cluster");
    }
}

static bool phase3(struct sim *s);

static bool phase_done(struct sim *s)
{
    if (s->phase == 3) {
        if (s->p3_step == 1 && s->stable_epoch < 0)
            s->stable_epoch = raft_epoch(s->nodes[s->p3_leader].r);
        return phase3(s);
    }
    for (int i = 0; i < s->nn; i++) {
        const struct snode *sn = &s->nodes[i];
        if (sn->isolated) {
            /* check-quorum: a leader cut off from the majority steps down */
            if (sn->up && raft_role(sn->r) == RAFT_LEADER)
                return false;
            continue;
        }
        if (!sn->up || sn->last_client_t < s->phase_start)
            return false;
    }
    return true;
}

/*
 * Phase 3 (KIP-996): with no writes and every log equal, a voter cut off for
 * several fetch timeouts comes back with a log as good as anyone's.  Only
 * pre-vote (followers that hear from their leader refuse) keeps it from
 * starting an election: the leader and the epoch must not change.
 */
static bool phase3(struct sim *s)
{
    if (s->p3_step == 0) {
        int leader = find_leader(s);
        if (leader < 0)
            return false;
        int64_t end = raft_log_end_offset(s->nodes[leader].r);
        for (int i = 0; i < s->nn; i++)
            if (!s->nodes[i].up || raft_high_watermark(s->nodes[i].r) != end ||
                raft_log_end_offset(s->nodes[i].r) != end)
                return false;
        int f = -1;
        for (int k = 0; k < s->nvoters && f < 0; k++) {
            int i = (int)((k + s->client_ctr) % (uint64_t)s->nvoters);
            if (i != leader)
                f = i;
        }
        isolate(s, f);
        s->p3_leader = leader;
        s->p3_step = 1;
        s->p3_until = s->now + rnd_in(s, 3, 6) * s->cfg.fetch_timeout_ms;
        trace(s, "phase 3: cut off node %d", s->nodes[f].id);
        return false;
    }
    struct snode *l = &s->nodes[s->p3_leader];
    if (raft_role(l->r) != RAFT_LEADER || raft_epoch(l->r) != s->stable_epoch) {
        fail(s, "pre-vote: leader %d of epoch %d lost its leadership (now %s, epoch %d) to a %s",
             l->id, s->stable_epoch, raft_role_name(raft_role(l->r)), raft_epoch(l->r),
             s->p3_step == 1 ? "partition of one follower" : "follower that came back");
        return false;
    }
    if (s->now < s->p3_until)
        return false;
    if (s->p3_step == 1) {
        heal(s);
        s->p3_step = 2;
        s->p3_until = s->now + 4 * s->cfg.fetch_timeout_ms;
        trace(s, "phase 3: healed");
        return false;
    }
    return true;
}

static void check_stable(struct sim *s)
{
    if ((s->phase != 2 && s->phase != 3) || s->stable_epoch < 0)
        return;
    for (int i = 0; i < s->nn; i++) {
        struct snode *sn = &s->nodes[i];
        if (sn->up && raft_epoch(sn->r) > s->stable_epoch) {
            fail(s,
                 "pre-vote: node %d moved to epoch %d after the partition healed (leader's epoch "
                 "%d)",
                 sn->id, raft_epoch(sn->r), s->stable_epoch);
            return;
        }
    }
}

/* ---- main loop ---- */

/* ---- Byzantine input ---- */

static uint64_t byz_rnd(struct sim *s)
{
    return mix64(s->byz_rng += 0x9e3779b97f4a7c15ULL);
}

/* An epoch a forger might claim: negative, around `cur`, far beyond it, or the extremes. */
static int32_t byz_epoch(struct sim *s, int32_t cur)
{
    switch (byz_rnd(s) % 8) {
    case 0:
        return -1 - (int32_t)(byz_rnd(s) % 3);
    case 1:
        return INT32_MAX;
    case 2:
        return INT32_MIN;
    case 3:
        return cur + 1 + (int32_t)(byz_rnd(s) % 1000000);
    case 4:
        return (int32_t)(byz_rnd(s) & 0x7fffffff);
    default:
        return cur - 1 + (int32_t)(byz_rnd(s) % 3);
    }
}

static int64_t byz_offset(struct sim *s, int64_t end)
{
    switch (byz_rnd(s) % 5) {
    case 0:
        return -1 - (int64_t)(byz_rnd(s) % 3);
    case 1:
        return INT64_MAX;
    case 2:
        return (int64_t)(byz_rnd(s) >> 1);
    default:
        return end - 2 + (int64_t)(byz_rnd(s) % 5);
    }
}

/*
 * A sender outside controller.quorum.voters: an id no node has, a negative
 * one, or the observer's (whose Fetch a leader must serve).  Raft trusts its
 * voters (KIP-595 leaves authenticating them to the listener's security), so
 * forged messages never claim a voter's id: those are the network faults the
 * chaos phase already injects.
 */
static int32_t byz_sender(struct sim *s)
{
    static const int32_t ids[] = {0, 8, 50, 99, 4242, INT32_MAX, -1};
    if (s->nn > s->nvoters && byz_rnd(s) % 4 == 0)
        return s->nodes[s->nvoters].id;
    int32_t id = ids[byz_rnd(s) % (sizeof(ids) / sizeof(ids[0]))];
    return id > 0 && id <= s->nvoters ? id + s->nvoters : id;
}

/* Fills *m with an arbitrary decoded RPC of a random type from a non-voter to node `to`. */
static void byz_msg(struct sim *s, int to, struct raft_msg *m)
{
    const struct raft_node *r = s->nodes[to].r;
    int32_t cur = raft_epoch(r);
    int64_t end = raft_log_end_offset(r);
    memset(m, 0, sizeof(*m));
    m->type = (enum raft_msg_type)(1 + byz_rnd(s) % 10);
    m->from = byz_sender(s);
    m->to = s->nodes[to].id;
    m->rid = byz_rnd(s);
    /* leader/candidate fields name the sender, as the wire glue derives `from` from them */
    int32_t other = byz_rnd(s) % 4 == 0 ? (int32_t)(1 + byz_rnd(s) % (uint64_t)s->nvoters) : -1;
    switch (m->type) {
    case RAFT_MSG_VOTE:
        m->u.vote.epoch = byz_epoch(s, cur);
        m->u.vote.last_epoch = byz_epoch(s, cur);
        m->u.vote.end_offset = byz_offset(s, end);
        m->u.vote.pre_vote = byz_rnd(s) & 1;
        break;
    case RAFT_MSG_BEGIN_EPOCH:
        m->u.begin.leader_id = m->from;
        m->u.begin.leader_epoch = byz_epoch(s, cur);
        break;
    case RAFT_MSG_END_EPOCH:
        m->u.end.leader_id = m->from;
        m->u.end.leader_epoch = byz_epoch(s, cur);
        m->u.end.nsuccessors = (int)(byz_rnd(s) % 4);
        for (int i = 0; i < m->u.end.nsuccessors; i++)
            m->u.end.successors[i] = (int32_t)(byz_rnd(s) % 8);
        break;
    case RAFT_MSG_FETCH:
        m->u.fetch.leader_epoch = byz_epoch(s, cur);
        m->u.fetch.fetch_offset = byz_offset(s, end);
        m->u.fetch.last_fetched_epoch = byz_epoch(s, cur);
        m->u.fetch.log_start_offset = byz_offset(s, end);
        m->u.fetch.max_wait_ms = (int32_t)(byz_rnd(s) % 3) * 100;
        m->u.fetch.max_bytes = (int32_t)(byz_rnd(s) % 70000);
        break;
    case RAFT_MSG_FETCH_SNAPSHOT:
        m->u.snap.leader_epoch = byz_epoch(s, cur);
        m->u.snap.snapshot_id.end_offset = byz_offset(s, end);
        m->u.snap.snapshot_id.epoch = byz_epoch(s, cur);
        m->u.snap.position = byz_offset(s, 10);
        m->u.snap.max_bytes = (int32_t)(byz_rnd(s) % 2000);
        break;
    case RAFT_MSG_VOTE_RESPONSE:
        m->u.vote_resp.error = (enum raft_error)(byz_rnd(s) % 8);
        m->u.vote_resp.leader_id = other;
        m->u.vote_resp.leader_epoch = byz_epoch(s, cur);
        m->u.vote_resp.granted = true;
        break;
    case RAFT_MSG_BEGIN_EPOCH_RESPONSE:
    case RAFT_MSG_END_EPOCH_RESPONSE:
        m->u.epoch_resp.error = (enum raft_error)(byz_rnd(s) % 8);
        m->u.epoch_resp.leader_id = other;
        m->u.epoch_resp.leader_epoch = byz_epoch(s, cur);
        break;
    case RAFT_MSG_FETCH_RESPONSE:
        m->u.fetch_resp.error = (enum raft_error)(byz_rnd(s) % 8);
        m->u.fetch_resp.leader_id = other;
        m->u.fetch_resp.leader_epoch = byz_epoch(s, cur);
        m->u.fetch_resp.high_watermark = byz_offset(s, end);
        m->u.fetch_resp.diverging.epoch = byz_rnd(s) & 1 ? byz_epoch(s, cur) : -1;
        m->u.fetch_resp.diverging.end_offset = byz_offset(s, end);
        m->u.fetch_resp.snapshot_id.end_offset = byz_rnd(s) & 1 ? byz_offset(s, end) : -1;
        m->u.fetch_resp.snapshot_id.epoch = byz_epoch(s, cur);
        break;
    case RAFT_MSG_FETCH_SNAPSHOT_RESPONSE:
        m->u.snap_resp.error = (enum raft_error)(byz_rnd(s) % 8);
        m->u.snap_resp.leader_id = other;
        m->u.snap_resp.leader_epoch = byz_epoch(s, cur);
        m->u.snap_resp.snapshot_id.end_offset = byz_offset(s, end);
        m->u.snap_resp.snapshot_id.epoch = byz_epoch(s, cur);
        m->u.snap_resp.size = byz_offset(s, 100);
        m->u.snap_resp.position = byz_offset(s, 10);
        break;
    }
}

/*
 * Delivers one forged RPC from a non-voter to a running node.  Nothing a
 * non-voter says may move a node: epoch, vote, leader, role, high watermark
 * and log stay as they were, no quorum-state is written and no log op is
 * emitted (KIP-595: voter-only RPCs from non-voters get
 * INCONSISTENT_VOTER_SET; a Fetch from an observer is served without moving
 * anything).  Answers to real nodes (a parked fetch answered early) go out.
 */
static void byzantine(struct sim *s)
{
    int i = (int)(byz_rnd(s) % (uint64_t)s->nn);
    struct snode *sn = &s->nodes[i];
    if (!sn->up)
        return;
    struct raft_node *r = sn->r;
    struct raft_msg m;
    byz_msg(s, i, &m);
    int32_t epoch = raft_epoch(r), voted = raft_voted_id(r), leader = raft_leader_id(r);
    enum raft_role role = raft_role(r);
    int64_t hw = raft_high_watermark(r), end = raft_log_end_offset(r);
    if (s->o.verbose) {
        char buf[200];
        describe_msg(&m, buf, sizeof(buf));
        trace(s, "forged %d->%d %s", m.from, m.to, buf);
    }
    raft_recv(r, s->now, &m);
    s->byz_count++;
    const struct raft_output *o = raft_output(r);
    if (raft_epoch(r) != epoch || raft_voted_id(r) != voted || raft_leader_id(r) != leader ||
        raft_role(r) != role || raft_high_watermark(r) != hw || raft_log_end_offset(r) != end ||
        o->persist || o->nops > 0) {
        char buf[200];
        describe_msg(&m, buf, sizeof(buf));
        fail(s,
             "node %d moved on a forged %s from non-voter %d (%s): epoch %d->%d voted %d->%d "
             "leader %d->%d role %s->%s hw %" PRId64 "->%" PRId64 " end %" PRId64 "->%" PRId64
             " persist %d ops %zu",
             sn->id, raft_msg_type_name(m.type), m.from, buf, epoch, raft_epoch(r), voted,
             raft_voted_id(r), leader, raft_leader_id(r), raft_role_name(role),
             raft_role_name(raft_role(r)), hw, raft_high_watermark(r), end, raft_log_end_offset(r),
             o->persist, o->nops);
        return;
    }
    s->byz_sender = m.from;
    drain(s, i);
    s->byz_sender = RAFT_NO_NODE - 1;
}

static void handle(struct sim *s, struct event *ev)
{
    struct snode *sn = ev->node >= 0 ? &s->nodes[ev->node] : NULL;
    bool live = sn && sn->up && ev->inc == sn->inc;
    switch (ev->type) {
    case EV_DELIVER:
        if (live && !s->blocked[ev->val][ev->node]) {
            const struct raft_msg *m = ev->msg;
            if (m->type == RAFT_MSG_VOTE) {
                sn->vk[sn->vk_next] = (struct vkind){m->from, m->rid, m->u.vote.pre_vote};
                sn->vk_next = (sn->vk_next + 1) % 128;
            }
            if (s->o.verbose) {
                char buf[200];
                describe_msg(m, buf, sizeof(buf));
                trace(s, "recv %d->%d rid %" PRIu64 " %s", m->from, m->to, m->rid, buf);
            }
            raft_recv(sn->r, s->now, m);
            drain(s, ev->node);
        } else {
            s->st->dropped++;
        }
        raft_msg_free(ev->msg);
        break;
    case EV_TICK:
        if (live && ev->val == sn->tick_gen) {
            sn->tick_at = -1;
            raft_tick(sn->r, s->now);
            drain(s, ev->node);
        }
        break;
    case EV_PERSIST:
        if (live) {
            disk_persist(s, sn, ev->val);
            raft_persist_done(sn->r, s->now, ev->val);
            drain(s, ev->node);
        }
        break;
    case EV_SYNC:
        if (live) {
            disk_sync(s, sn, ev->val);
            raft_log_synced(sn->r, s->now, ev->val);
            drain(s, ev->node);
        }
        break;
    case EV_CHAOS:
        if (s->phase == 0) {
            chaos(s);
            if (s->now + 100 < s->o.chaos_ms)
                at(s, s->now + rnd_in(s, s->chaos_min, s->chaos_max), EV_CHAOS, -1, 0);
        }
        break;
    case EV_CLIENT:
        for (int i = 0; i < s->nn && !s->failed && s->phase != 3; i++) {
            struct snode *c = &s->nodes[i];
            if (!c->up || raft_role(c->r) != RAFT_LEADER)
                continue;
            char buf[160];
            int k =
                snprintf(buf, sizeof(buf), "c%" PRIu64 "t%" PRId64 ";", ++s->client_ctr, s->now);
            int pad = (int)rnd_in(s, 0, 100);
            for (int p = 0; p < pad && k < (int)sizeof(buf) - 1; p++)
                buf[k++] = (char)('a' + (s->client_ctr + (uint64_t)p) % 26);
            int32_t count = (int32_t)rnd_in(s, 1, 3);
            if (raft_propose(c->r, s->now, raft_log_end_offset(c->r), count, buf, (size_t)k) == 0)
                s->st->proposals++;
            drain(s, i);
        }
        at(s, s->now + rnd_in(s, 20, 200), EV_CLIENT, -1, 0);
        break;
    case EV_SNAPSHOT:
        if (s->phase == 1 || s->phase == 3) {
            int i = random_node(s);
            if (!s->nodes[i].isolated)
                take_snapshot(s, i);
        }
        at(s, s->now + rnd_in(s, 200, 800), EV_SNAPSHOT, -1, 0);
        break;
    }
}

void sim_opts_default(struct sim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->nvoters = 3;
    o->nobservers = -1;
    o->seed = 1;
    o->chaos_ms = 15000;
    o->live_bound_ms = 30000;
    o->byzantine_pm = 20;
}

static void sim_free(struct sim *s)
{
    for (size_t k = 0; k < s->q.n; k++)
        raft_msg_free(((struct event *)sim_queue_rec(&s->q, k))->msg);
    sim_queue_free(&s->q);
    for (int i = 0; i < s->nn; i++) {
        struct snode *sn = &s->nodes[i];
        raft_destroy(sn->r);
        disk_free(&sn->d);
        free(sn->m);
        free(sn->votes);
    }
    free(s->cm);
    free(s->leaders);
    free(s->lm);
}

int sim_run(const struct sim_opts *o, struct sim_stats *st, char *err, size_t errlen)
{
    if (o->nvoters < 1 || o->nvoters >= MAX_NODES) {
        snprintf(err, errlen, "nvoters must be 1..%d", MAX_NODES - 1);
        return -1;
    }
    struct sim *s = xcalloc(1, sizeof(*s));
    s->o = *o;
    s->st = st;
    sim_queue_init(&s->q, sizeof(struct event));
    s->err = err;
    s->errlen = errlen;
    s->rng = mix64(o->seed * 0x2545f4914f6cdd1dULL + (uint64_t)o->nvoters);
    /* its own stream: forged input does not reshuffle the seed's faults */
    s->byz_rng = mix64(s->rng ^ 0xb12a7717e5ULL);
    s->byz_pm = o->byzantine_pm;
    s->byz_sender = RAFT_NO_NODE - 1;
    s->nvoters = o->nvoters;
    int nobs = o->nobservers >= 0 ? o->nobservers : (int)(rnd(s) & 1);
    if (chance(s, 400)) {
        s->chaos_min = 20; /* high tempo: elections under constant churn */
        s->chaos_max = 300;
    } else {
        s->chaos_min = 50;
        s->chaos_max = 1200;
    }
    s->disk_profile = (int)rnd_in(s, 0, 2);
    struct raft_config *c = &s->cfg;
    raft_config_default(c);
    c->nvoters = s->nvoters;
    for (int i = 0; i < s->nvoters; i++)
        c->voters[i] = i + 1;
    c->marker = sim_marker;
    static const int32_t fetch_bytes[] = {1, 150, 400, 65536}; /* 1: one batch per response */
    static const int32_t chunks[] = {64, 700, 1 << 20};
    c->fetch_max_bytes = fetch_bytes[rnd_in(s, 0, 3)];
    c->snapshot_chunk_bytes = chunks[rnd_in(s, 0, 2)];
    if (chance(s, 300)) { /* short timeouts: more elections per simulated second */
        c->election_timeout_ms = 300;
        c->fetch_timeout_ms = 600;
        c->election_backoff_max_ms = 300;
        c->request_timeout_ms = 600;
        c->fetch_max_wait_ms = 150;
    }
    s->lose_all_pm = (int)rnd_in(s, 0, 1) * 700;
    s->nn = o->nvoters + nobs;
    for (int i = 0; i < s->nn; i++) {
        struct snode *sn = &s->nodes[i];
        sn->id = i < o->nvoters ? i + 1 : OBSERVER_ID + i;
        sn->voter = i < o->nvoters;
        sn->d.st = (struct raft_persisted){.epoch = 0, .voted_id = -1, .leader_id = -1};
        sn->d.snap.end_offset = -1;
    }
    for (int i = 0; i < s->nn; i++)
        node_start(s, i);
    at(s, rnd_in(s, 100, 1000), EV_CHAOS, -1, 0);
    at(s, rnd_in(s, 10, 200), EV_CLIENT, -1, 0);
    at(s, 0, EV_SNAPSHOT, -1, 0);
    int64_t recovery = 0;
    while (!s->failed && s->q.n > 0) {
        if (s->phase == 0 && sim_queue_next_time(&s->q) >= o->chaos_ms) {
            s->now = o->chaos_ms;
            start_phase(s, 1);
            continue;
        }
        struct event ev;
        sim_queue_pop(&s->q, &ev);
        s->now = ev.t;
        handle(s, &ev);
        s->events++;
        if (!s->failed && (int)(byz_rnd(s) % 1000) < s->byz_pm)
            byzantine(s);
        if ((s->events & 255) == 0)
            for (int i = 0; i < s->nn && !s->failed; i++)
                if (s->nodes[i].up)
                    mirror_compare(s, i);
        check_stable(s);
        if (s->phase >= 1 && !s->failed) {
            int64_t took = s->now - s->phase_start;
            if (phase_done(s)) {
                if (s->phase < 3 && took > recovery)
                    recovery = took;
                trace(s, "phase %d done after %" PRId64 " ms", s->phase, took);
                if (s->phase == 3 || (s->phase == 2 && s->nvoters < 3))
                    break;
                start_phase(s, s->phase + 1);
            } else if (took > o->live_bound_ms && !(s->phase == 3 && s->p3_step > 0)) {
                fail(s,
                     "liveness: phase %d (%s) made no commit on every node within %" PRId64 " ms",
                     s->phase, s->phase == 1 ? "majority connected" : "all healed",
                     o->live_bound_ms);
            }
        }
    }
    if (!s->failed && s->phase != (s->nvoters < 3 ? 2 : 3))
        fail(s, "simulation ended early in phase %d", s->phase);
    for (int i = 0; i < s->nn && !s->failed; i++)
        if (s->nodes[i].up)
            mirror_compare(s, i);
    st->runs++;
    st->events += s->events;
    st->forged += s->byz_count;
    st->sim_ms += (uint64_t)s->now;
    if (recovery > st->max_recovery_ms)
        st->max_recovery_ms = recovery;
    int rc = s->failed ? -1 : 0;
    sim_free(s);
    free(s);
    return rc;
}
