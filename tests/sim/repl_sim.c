/*
 * The replication simulator (repl_sim.h): a discrete-event loop over a fake
 * clock that plays N replicas, the controller and the clients of one
 * partition, injects faults, and checks the invariants after every event.
 *
 * Model, in the order of the code:
 *  - log: one record per batch (offset = index), each with the leader epoch
 *    that wrote it and a unique value; `flushed` is the durable prefix (all of
 *    it with flush on every append); truncation is durable at once; the
 *    epoch cache is written through (as storage_leader_epoch_* does) and cut
 *    to the log end on restart; the HW checkpoint is written periodically.
 *  - metadata: the controller's states as a log of images (struct mdstate,
 *    s->hist); pushes and answers carry the offset of the image they show;
 *    a replica's image is hist[view], replayed in order after a lagging
 *    restart (replay_step); md_act is the broker's rule for acting on it.
 *  - controller: registrations with broker epochs, heartbeats and sessions
 *    (fencing removes a broker from the ISR unless it is the last member,
 *    then the partition has no leader until that broker is back), elections
 *    from the ISR bumping leader and partition epochs, AlterPartition with
 *    Kafka's checks, metadata pushed on every change and carried by every
 *    heartbeat answer.
 *  - leader: produce (acks=all refused up front below min ISR, answered when
 *    the HW passes it, with NOT_ENOUGH_REPLICAS_AFTER_APPEND when the maximal
 *    ISR is below min ISR, or timed out), replica fetch (current leader
 *    epoch, KIP-903 broker epoch, repl_fetch_diverges against its cache,
 *    repl_follower_fetched, repl_leader_hw over the maximal ISR), one ISR
 *    change at a time (repl_follower_out_of_sync, repl_follower_may_join).
 *  - follower: one fetch in flight, truncation with repl_truncation_offset,
 *    appends updating the epoch cache, HW from repl_follower_hw.
 *  - clients: a producer and a consumer that talk to whoever some broker
 *    says leads, and refresh that on errors.
 *  - network: every message may be dropped, delayed (1-8 ms, or 30-600 ms),
 *    duplicated and so reordered, except AlterPartition requests and answers,
 *    which keep their order and are never duplicated (see repl_sim.h).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repl_sim.h"
#include "replication_core.h"
#include "sim_queue.h"

#define MAXR 7
#define NNET (MAXR + 2) /* replicas, the controller, the clients */
#define MAXB 16         /* records per fetch answer at most */

enum err {
    E_NONE,
    E_NOT_LEADER,
    E_FENCED_EPOCH,
    E_UNKNOWN_EPOCH,
    E_NOT_ENOUGH,
    E_NOT_ENOUGH_AFTER,
    E_TIMEOUT,
    E_STALE_BROKER_EPOCH,
    E_INVALID_VERSION,
    E_INELIGIBLE,
    E_DUPLICATE_REGISTRATION,
};

static const char *err_name(int e)
{
    static const char *names[] = {"NONE",
                                  "NOT_LEADER_OR_FOLLOWER",
                                  "FENCED_LEADER_EPOCH",
                                  "UNKNOWN_LEADER_EPOCH",
                                  "NOT_ENOUGH_REPLICAS",
                                  "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
                                  "REQUEST_TIMED_OUT",
                                  "STALE_BROKER_EPOCH",
                                  "INVALID_UPDATE_VERSION",
                                  "INELIGIBLE_REPLICA",
                                  "DUPLICATE_BROKER_REGISTRATION"};
    return e >= 0 && e < (int)(sizeof(names) / sizeof(names[0])) ? names[e] : "?";
}

enum mtype {
    M_FETCH,
    M_FETCH_RESP,
    M_PRODUCE,
    M_PRODUCE_RESP,
    M_CONSUME,
    M_CONSUME_RESP,
    M_REGISTER,
    M_REGISTER_RESP,
    M_HEARTBEAT,
    M_HEARTBEAT_RESP,
    M_METADATA,
    M_ALTER,
    M_ALTER_RESP,
};

static const char *mtype_name(int t)
{
    static const char *names[] = {"Fetch",        "FetchResp",     "Produce",  "ProduceResp",
                                  "Consume",      "ConsumeResp",   "Register", "RegisterResp",
                                  "Heartbeat",    "HeartbeatResp", "Metadata", "AlterPartition",
                                  "AlterPartResp"};
    return names[t];
}

/* The controller's state of the partition, as metadata carries it. */
struct pstate {
    int32_t leader; /* replica id, -1: none */
    int32_t leader_epoch;
    int32_t pe; /* partition epoch */
    int nisr;
    int32_t isr[MAXR];
};

/* One broker registration as the metadata log has it (RegisterBrokerRecord and fencing). */
struct mdbroker {
    bool registered, fenced;
    uint32_t inc; /* the incarnation (process) that registered */
    int64_t bepoch;
};

/*
 * One state of the metadata log: the image after some record.  The
 * controller appends one whenever its state changes; s->hist[k] is the image
 * at metadata offset k (hist[0]: the empty cluster, before any registration
 * and before the partition existed).
 */
struct mdstate {
    bool exists; /* the partition was created (its replicas are all brokers) */
    struct pstate ps;
    struct mdbroker b[MAXR];
};

struct rec {
    int32_t epoch;
    uint64_t value;
};

struct msg {
    enum mtype type;
    int from, to; /* network indices */
    uint64_t rid;
    int err;
    int64_t offset;     /* fetch / produce / consume offset */
    int32_t last_epoch; /* fetch: last fetched epoch */
    int32_t cur_epoch;  /* current leader epoch (fetch, consume, alter) */
    int64_t bepoch;     /* broker epoch */
    uint32_t inc;       /* register: the process incarnation */
    int64_t hw;
    bool diverging; /* fetch answer: div_epoch/div_end tell where */
    int32_t div_epoch;
    int64_t div_end;
    int nrec;
    struct rec rec[MAXB];
    int acks;
    uint64_t value;
    bool has_ps;
    struct pstate ps;
    int64_t hoff;    /* metadata (register / heartbeat answer, push): the history offset of ps */
    bool want_fence; /* heartbeat: stay fenced (the image has not caught up) */
    int nalter;
    int32_t alter_isr[MAXR];
    int64_t alter_bepoch[MAXR];
    uint32_t alter_seq; /* which send of the leader's proposal (repl_isr_change_sent) */
};

enum evtype {
    EV_DELIVER,
    EV_TICK,
    EV_HB,
    EV_FETCH,
    EV_WAKE,
    EV_RESTART,
    EV_CTRL,
    EV_CLIENT,
    EV_CHAOS,
    EV_REPLAY
};

struct event {
    int64_t t;
    uint64_t seq;
    enum evtype type;
    int node; /* network index, -1 */
    uint32_t inc;
    uint64_t val;
    struct msg *msg;
};

struct ecache {
    int n, cap;
    int32_t *epoch;
    int64_t *start;
};

struct pend {
    uint64_t rid;
    int64_t offset;
    int64_t deadline;
    uint64_t value;
    int32_t epoch;
    int64_t appended_at;
};

struct replica {
    int32_t id;
    bool up, paused;
    uint32_t inc;
    struct event *deferred; /* events that arrived while paused, in order */
    size_t ndef, capdef;
    /* storage */
    struct rec *log;
    int64_t leo, cap, flushed;
    struct ecache ec;
    int64_t hw_ckpt;
    /* process state: the replication core (broker/replication/replication_core.h) decides, and hw
     * is the high watermark the checker last saw it expose (set_hw) */
    struct repl_partition core;
    int64_t hw;
    bool registered;
    int64_t bepoch;
    /* metadata image: the history offset replayed so far; while `replaying` it
     * advances one record at a time (EV_REPLAY) and pushes wait for it */
    int64_t view;
    bool replaying;
    int64_t replay_step_ms;
    int64_t replay_local; /* the image offset its disk held at the start */
    bool active;          /* acts on its image (the fixed rule: it holds its own registration) */
    bool have_md;         /* hosts the partition: md is the state it acts on */
    struct pstate md;
    int64_t fol_bepoch[MAXR];  /* leader: broker epoch each replica (by index) last fetched with */
    int64_t prop_bepoch[MAXR]; /* leader: broker epochs of the proposed ISR in flight */
    struct pend *pend;
    size_t npend, cappend;
    bool fetching;
    uint64_t fetch_rid;
    int64_t fetch_sent;
    uint64_t fetch_gen;
    int64_t fetch_due;
    int64_t next_flush, next_ckpt;
    int64_t restart_at;
    uint64_t reg_rid;
    /* invariants */
    int64_t verified; /* log prefix known equal to the committed log */
};

struct cbroker {
    bool registered;
    uint32_t inc;
    int64_t bepoch;
    bool fenced;
    int64_t last_hb;
    bool isr_intact; /* in the ISR by a grant made during its current registration */
};

struct controller {
    bool created; /* the partition exists (created once every broker was unfenced) */
    struct pstate ps;
    struct cbroker b[MAXR];
    int64_t next_bepoch;
};

struct client {
    int target; /* replica index the producer and consumer talk to, -1 */
    int32_t target_epoch;
    uint64_t next_value;
    int64_t last_answer;
    int64_t consume_at;
    bool stopped;
};

struct sim {
    struct repl_sim_opts o;
    struct repl_sim_stats *st;
    uint64_t rng;
    int64_t now;
    uint64_t rid;
    struct sim_queue q; /* of struct event */
    int n;              /* replicas */
    int ctrl_ix, client_ix;
    struct replica r[MAXR];
    struct controller c;
    struct client cl;
    /* per-seed parameters */
    bool flush_always;
    bool register_waits;
    int64_t session_ms, hb_ms, lag_max_ms, fetch_timeout_ms, alter_retry_ms, produce_timeout_ms;
    int64_t flush_every_ms, ckpt_every_ms;
    int max_batches;
    int64_t chaos_min, chaos_max;
    /* network */
    bool blocked[NNET][NNET];
    int64_t fifo_at[NNET][NNET]; /* last delivery time on an in-order link */
    int64_t hb_latest[MAXR];     /* when the last heartbeat a replica sent arrives */
    int64_t alter_latest[MAXR];  /* when the last AlterPartition a replica sent arrives */
    int drop_pm, dup_pm, slow_pm;
    /* global truth */
    struct rec *cm; /* the committed log */
    int32_t *cm_epoch;
    int64_t ncm, capcm;
    bool cm_mono; /* commit epochs non-decreasing along the log */
    int32_t *leaders;
    size_t nleaders;
    struct mdstate *hist; /* the metadata log, one image per change */
    int64_t nhist, caphist;
    uint64_t *acked_one_v;
    int64_t *acked_one_o;
    size_t nacked_one, capacked_one;
    /* phases: 0 chaos, 1 healed (writes must succeed, ISR full), 2 quiet (logs converge) */
    int phase;
    int64_t phase_start;
    bool acked_in_phase;
    uint64_t events;
    bool failed;
    char *err;
    size_t errlen;
    /* trace ring */
    char (*ring)[200];
    int nring, ring_next;
};

/* ---- utilities ---- */

static void *must(void *p)
{
    if (!p) {
        fprintf(stderr, "repl_sim: out of memory\n");
        abort();
    }
    return p;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rnd(struct sim *s)
{
    return mix64(s->rng += 0x9e3779b97f4a7c15ULL);
}

static int64_t rnd_in(struct sim *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static bool chance(struct sim *s, int per_mille)
{
    return (int)(rnd(s) % 1000) < per_mille;
}

static bool tracing(const struct sim *s)
{
    return s->o.verbose || s->ring;
}

static void trace(struct sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void trace(struct sim *s, const char *fmt, ...)
{
    if (!tracing(s))
        return;
    char line[200];
    int k = snprintf(line, sizeof(line), "%8" PRId64 " ", s->now);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line + k, sizeof(line) - (size_t)k, fmt, ap);
    va_end(ap);
    if (s->o.verbose)
        fprintf(stderr, "%s\n", line);
    if (s->ring) {
        memcpy(s->ring[s->ring_next], line, sizeof(line));
        s->ring_next = (s->ring_next + 1) % s->o.trace_tail;
        if (s->nring < s->o.trace_tail)
            s->nring++;
    }
}

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
    trace(s, "FAIL %s", s->err + k);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The replica index of a replica id. */
static int ix_of(int32_t id)
{
    return id - 1;
}

static bool has_id(const int32_t *v, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

static void fmt_isr(const int32_t *v, int n, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && k + 4 < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%d", i ? "," : "", v[i]);
}

/* ---- events ---- */

_Static_assert(offsetof(struct event, t) == 0 && offsetof(struct event, seq) == sizeof(int64_t),
               "struct event begins as sim_queue.h requires");

/* An event for node `node` (a replica index, or -1) at time t. */
static void at(struct sim *s, int64_t t, enum evtype type, int node, uint64_t val)
{
    struct event e = {.t = t, .type = type, .node = node, .val = val};
    if (node >= 0 && node < s->n)
        e.inc = s->r[node].inc;
    sim_queue_push(&s->q, &e);
}

/* ---- the global truth ---- */

static void record_leader(struct sim *s, int32_t epoch, int32_t id)
{
    if ((size_t)epoch >= s->nleaders) {
        size_t n = (size_t)epoch * 2 + 16;
        s->leaders = must(realloc(s->leaders, n * sizeof(*s->leaders)));
        for (size_t i = s->nleaders; i < n; i++)
            s->leaders[i] = -1;
        s->nleaders = n;
    }
    if (s->leaders[epoch] < 0) {
        s->leaders[epoch] = id;
        s->st->leaders++;
    } else if (s->leaders[epoch] != id) {
        fail(s, "(e) two leaders in leader epoch %d: replicas %d and %d", epoch, s->leaders[epoch],
             id);
    }
}

static void cm_push(struct sim *s, struct rec e, int32_t epoch)
{
    if (s->ncm == s->capcm) {
        s->capcm = s->capcm ? s->capcm * 2 : 256;
        s->cm = must(realloc(s->cm, (size_t)s->capcm * sizeof(*s->cm)));
        s->cm_epoch = must(realloc(s->cm_epoch, (size_t)s->capcm * sizeof(*s->cm_epoch)));
    }
    if (s->ncm > 0 && epoch < s->cm_epoch[s->ncm - 1])
        s->cm_mono = false;
    s->cm[s->ncm] = e;
    s->cm_epoch[s->ncm] = epoch;
    s->ncm++;
}

/* The smallest commit epoch of the committed records from offset `from` on. */
static int32_t cm_min_epoch_from(const struct sim *s, int64_t from)
{
    if (from >= s->ncm)
        return INT32_MAX;
    if (s->cm_mono)
        return s->cm_epoch[from];
    int32_t m = INT32_MAX;
    for (int64_t k = from; k < s->ncm; k++)
        if (s->cm_epoch[k] < m)
            m = s->cm_epoch[k];
    return m;
}

static bool rec_eq(struct rec a, struct rec b)
{
    return a.epoch == b.epoch && a.value == b.value;
}

/*
 * (a) and (c) for one replica: its log below its HW is the committed log (a
 * HW beyond the committed log commits the replica's records), and a leader
 * holds every record committed in an epoch up to its own.
 */
static void check_replica(struct sim *s, struct replica *r)
{
    if (!r->up || s->failed)
        return;
    int64_t lim = min64(r->leo, s->ncm);
    while (r->verified < lim && rec_eq(r->log[r->verified], s->cm[r->verified]))
        r->verified++;
    if (r->hw != r->core.high_watermark) {
        fail(s, "replica %d: the core's HW %" PRId64 " is not the %" PRId64 " it exposed", r->id,
             r->core.high_watermark, r->hw);
        return;
    }
    if (r->hw > r->leo) {
        fail(s, "replica %d: HW %" PRId64 " beyond its log end %" PRId64, r->id, r->hw, r->leo);
        return;
    }
    if (r->verified < min64(r->hw, s->ncm)) {
        int64_t o = r->verified;
        fail(s,
             "(c) replica %d differs from the committed log at offset %" PRId64
             " below its HW %" PRId64 ": epoch %d value %" PRIx64
             ", committed epoch %d value %" PRIx64,
             r->id, o, r->hw, r->log[o].epoch, r->log[o].value, s->cm[o].epoch, s->cm[o].value);
        return;
    }
    if (r->hw > s->ncm) {
        int32_t epoch = r->have_md ? r->md.leader_epoch : -1;
        for (int64_t o = s->ncm; o < r->hw; o++)
            cm_push(s, r->log[o], epoch);
        r->verified = r->hw;
        trace(s, "committed log now ends at %" PRId64 " (by replica %d, epoch %d)", s->ncm, r->id,
              epoch);
    }
    if (r->core.is_leader && r->verified < s->ncm) {
        int32_t e = r->md.leader_epoch;
        int32_t m = cm_min_epoch_from(s, r->verified);
        if (m <= e) {
            int64_t o = r->verified;
            if (o < r->leo)
                fail(s,
                     "(a) leader %d of epoch %d has epoch %d value %" PRIx64 " at offset %" PRId64
                     " where epoch %d value %" PRIx64 " was committed (commit epoch %d)",
                     r->id, e, r->log[o].epoch, r->log[o].value, o, s->cm[o].epoch, s->cm[o].value,
                     s->cm_epoch[o]);
            else
                fail(s,
                     "(a) leader %d of epoch %d lacks committed offset %" PRId64
                     " (log end %" PRId64 ", commit epoch %d)",
                     r->id, e, o, r->leo, s->cm_epoch[o]);
        }
    }
}

/*
 * (f): every member of the controller's ISR that runs the process the
 * controller registered holds the current leader's log up to the leader's HW
 * (the leader counts every such member in its HW, and a member's log only
 * grows while its process lives).  A member that crashed is exempt until it
 * re-registers, which takes it out of the ISR.
 */
static void check_isr(struct sim *s)
{
    const struct pstate *ps = &s->c.ps;
    if (ps->leader < 0 || s->failed || s->o.no_isr_check)
        return;
    const struct replica *l = &s->r[ix_of(ps->leader)];
    if (!l->up || !l->core.is_leader || l->md.leader_epoch != ps->leader_epoch)
        return;
    for (int k = 0; k < ps->nisr; k++) {
        const struct replica *y = &s->r[ix_of(ps->isr[k])];
        const struct cbroker *b = &s->c.b[ix_of(ps->isr[k])];
        if (y == l || !y->up || !b->registered || b->inc != y->inc)
            continue;
        if (y->verified < min64(l->hw, s->ncm) || y->leo < l->hw) {
            fail(s,
                 "(f) ISR member %d (broker epoch %" PRId64 ") holds %" PRId64
                 " records matching the committed log, LEO %" PRId64
                 ", below leader %d's HW %" PRId64,
                 y->id, b->bepoch, y->verified, y->leo, l->id, l->hw);
            return;
        }
    }
}

/*
 * (h): a replica never starts leading an epoch without the records committed
 * in that epoch or earlier (an empty log after a stray removal, say) while
 * others hold them: its followers would truncate them away.
 */
static void check_leader_start(struct sim *s, const struct replica *r)
{
    if (s->failed || r->verified >= s->ncm ||
        cm_min_epoch_from(s, r->verified) > r->md.leader_epoch)
        return;
    int holders = 0;
    char who[40] = "";
    size_t k = 0;
    for (int i = 0; i < s->n && k + 4 < sizeof(who); i++)
        if (&s->r[i] != r && s->r[i].up && s->r[i].verified > r->verified) {
            holders++;
            k += (size_t)snprintf(who + k, sizeof(who) - k, "%s%d", k ? "," : "", s->r[i].id);
        }
    fail(s,
         "(h) replica %d starts leading epoch %d with LEO %" PRId64 " holding %" PRId64
         " of the %" PRId64
         " committed records (%d running replica(s) {%s} hold more; the controller is at "
         "epoch %d)",
         r->id, r->md.leader_epoch, r->leo, r->verified, s->ncm, holders, who,
         s->c.ps.leader_epoch);
}

/* (b): a replica's HW never moves backwards within one process lifetime. */
static void set_hw(struct sim *s, struct replica *r, int64_t hw)
{
    if (hw == r->hw)
        return;
    if (hw < r->hw)
        fail(s, "(b) replica %d: HW moved back from %" PRId64 " to %" PRId64 "%s", r->id, r->hw, hw,
             r->core.is_leader ? " while leading" : "");
    trace(s, "replica %d HW %" PRId64 " -> %" PRId64, r->id, r->hw, hw);
    r->hw = hw;
    check_replica(s, r);
}

/* ---- the epoch cache (storage/leader_epoch.h) ---- */

static void ec_push(struct ecache *c, int32_t epoch, int64_t start)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->epoch = must(realloc(c->epoch, (size_t)c->cap * sizeof(*c->epoch)));
        c->start = must(realloc(c->start, (size_t)c->cap * sizeof(*c->start)));
    }
    c->epoch[c->n] = epoch;
    c->start[c->n] = start;
    c->n++;
}

static void ec_assign(struct sim *s, struct ecache *c, int32_t epoch, int64_t start)
{
    if (c->n > 0) {
        int32_t le = c->epoch[c->n - 1];
        int64_t ls = c->start[c->n - 1];
        if (s->o.kafka_epoch_assign) {
            if (epoch == le && start >= ls)
                return;
        } else if (epoch < le || (epoch == le && start >= ls)) {
            return;
        }
    }
    while (c->n > 0 && (c->epoch[c->n - 1] >= epoch || c->start[c->n - 1] >= start))
        c->n--;
    ec_push(c, epoch, start);
}

/* storage_leader_epoch_end_offset_for */
static void ec_end_offset_for(const struct ecache *c, int32_t requested, int64_t leo,
                              int32_t *found, int64_t *end)
{
    *found = -1;
    *end = -1;
    if (requested < 0 || c->n == 0)
        return;
    if (requested == c->epoch[c->n - 1]) {
        *found = requested;
        *end = leo;
        return;
    }
    int hi = 0;
    while (hi < c->n && c->epoch[hi] <= requested)
        hi++;
    if (hi == c->n)
        return;
    *end = c->start[hi];
    *found = hi == 0 ? requested : c->epoch[hi - 1];
}

static void ec_truncate_from_end(struct ecache *c, int64_t end)
{
    while (c->n > 0 && c->start[c->n - 1] >= end)
        c->n--;
}

static void fmt_ec(const struct ecache *c, char *buf, size_t len)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int i = c->n > 6 ? c->n - 6 : 0; i < c->n && k + 24 < len; i++)
        k += (size_t)snprintf(buf + k, len - k, "%s%d@%" PRId64, k ? " " : "", c->epoch[i],
                              c->start[i]);
}

static int32_t ec_latest(const struct ecache *c)
{
    return c->n ? c->epoch[c->n - 1] : -1;
}

static int64_t ec_latest_start(const struct ecache *c)
{
    return c->n ? c->start[c->n - 1] : -1;
}

/* ---- the log ---- */

static void log_append(struct sim *s, struct replica *r, struct rec e)
{
    if (r->leo == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->log = must(realloc(r->log, (size_t)r->cap * sizeof(*r->log)));
    }
    r->log[r->leo++] = e;
    if (s->flush_always)
        r->flushed = r->leo;
}

static void log_truncate(struct sim *s, struct replica *r, int64_t to)
{
    if (to >= r->leo) {
        if (!s->o.trunc_skips_cache)
            ec_truncate_from_end(&r->ec, r->leo);
        return;
    }
    trace(s, "replica %d truncates from %" PRId64 " to %" PRId64 " (HW %" PRId64 ")", r->id, r->leo,
          to, r->hw);
    /*
     * (g): a follower of epoch E never truncates records committed in epoch E
     * or earlier (its leader has them all, by (a)); a stale leader may cut
     * records committed in a later epoch, which the current leader still has.
     */
    if (to < min64(r->verified, s->ncm) && r->have_md &&
        cm_min_epoch_from(s, to) <= r->md.leader_epoch)
        fail(s,
             "(g) replica %d following epoch %d truncates to %" PRId64 ", below the %" PRId64
             " committed records it holds (committed log ends at %" PRId64
             ", commit epoch at %" PRId64 ": %d)",
             r->id, r->md.leader_epoch, to, min64(r->verified, s->ncm), s->ncm, to,
             s->cm_epoch[to]);
    s->st->truncated += (uint64_t)(r->leo - to);
    r->leo = to;
    if (r->flushed > to)
        r->flushed = to;
    if (r->verified > to)
        r->verified = to;
    ec_truncate_from_end(&r->ec, to);
    if (r->hw > to)
        fail(s, "(b) replica %d truncates to %" PRId64 " below its HW %" PRId64, r->id, to, r->hw);
    repl_log_truncated(&r->core, to);
}

/*
 * The old rule's stray removal: the partition's directory, its epoch cache and
 * its checkpoint entry are gone, durably.
 */
static void log_delete(struct sim *s, struct replica *r)
{
    trace(s, "replica %d deletes its log as stray (LEO %" PRId64 ", HW %" PRId64 ")", r->id, r->leo,
          r->hw);
    s->st->strays_deleted++;
    s->st->truncated += (uint64_t)r->leo;
    r->leo = r->flushed = r->verified = 0;
    r->ec.n = 0;
    r->hw = r->hw_ckpt = 0; /* a new partition, not a HW moving back */
    repl_log_restarted(&r->core, 0);
}

/* ---- network ---- */

static struct msg *new_msg(enum mtype type, int from, int to)
{
    struct msg *m = must(calloc(1, sizeof(*m)));
    m->type = type;
    m->from = from;
    m->to = to;
    m->div_epoch = -1;
    m->div_end = -1;
    m->last_epoch = -1;
    m->cur_epoch = -1;
    m->bepoch = -1;
    return m;
}

static const char *node_name(const struct sim *s, int ix, char *buf, size_t len)
{
    if (ix == s->ctrl_ix)
        snprintf(buf, len, "ctrl");
    else if (ix == s->client_ix)
        snprintf(buf, len, "client");
    else
        snprintf(buf, len, "r%d", s->r[ix].id);
    return buf;
}

static void describe(const struct sim *s, const struct msg *m, char *buf, size_t len)
{
    char a[16], b[16], isr[40];
    int k =
        snprintf(buf, len, "%s %s->%s rid %" PRIu64, mtype_name(m->type),
                 node_name(s, m->from, a, sizeof(a)), node_name(s, m->to, b, sizeof(b)), m->rid);
    if (k < 0 || (size_t)k >= len)
        return;
    buf += k;
    len -= (size_t)k;
    switch (m->type) {
    case M_FETCH:
        snprintf(buf, len, " offset %" PRId64 " last epoch %d cur epoch %d bepoch %" PRId64,
                 m->offset, m->last_epoch, m->cur_epoch, m->bepoch);
        break;
    case M_FETCH_RESP:
        snprintf(buf, len, " %s epoch %d hw %" PRId64 " div %d/%" PRId64 " records %d at %" PRId64,
                 err_name(m->err), m->cur_epoch, m->hw, m->div_epoch, m->div_end, m->nrec,
                 m->offset);
        break;
    case M_PRODUCE:
        snprintf(buf, len, " acks %d value %" PRIx64, m->acks, m->value);
        break;
    case M_PRODUCE_RESP:
        snprintf(buf, len, " %s offset %" PRId64, err_name(m->err), m->offset);
        break;
    case M_CONSUME:
        snprintf(buf, len, " offset %" PRId64 " cur epoch %d", m->offset, m->cur_epoch);
        break;
    case M_CONSUME_RESP:
        snprintf(buf, len, " %s records %d at %" PRId64, err_name(m->err), m->nrec, m->offset);
        break;
    case M_ALTER:
        fmt_isr(m->alter_isr, m->nalter, isr, sizeof(isr));
        snprintf(buf, len, " epoch %d pe %d isr {%s}", m->cur_epoch, m->ps.pe, isr);
        break;
    default:
        if (m->has_ps) {
            fmt_isr(m->ps.isr, m->ps.nisr, isr, sizeof(isr));
            snprintf(buf, len, " %s leader %d epoch %d pe %d isr {%s}", err_name(m->err),
                     m->ps.leader, m->ps.leader_epoch, m->ps.pe, isr);
        } else {
            snprintf(buf, len, " %s bepoch %" PRId64, err_name(m->err), m->bepoch);
        }
        break;
    }
}

/* Sends m (taking it): dropped, delayed, duplicated or blocked as the network is now. */
static void send(struct sim *s, struct msg *m)
{
    s->st->messages++;
    if (s->o.verbose || s->ring) {
        char buf[180];
        describe(s, m, buf, sizeof(buf));
        trace(s, "send %s", buf);
    }
    /* AlterPartition is a stream in order (one connection to the controller). */
    bool fifo = (m->type == M_ALTER || m->type == M_ALTER_RESP) && !s->o.alter_datagram;
    int copies = s->phase == 0 && !fifo && chance(s, s->dup_pm) ? 2 : 1;
    for (int c = 0; c < copies; c++) {
        if (s->blocked[m->from][m->to] || (s->phase == 0 && chance(s, s->drop_pm))) {
            s->st->dropped++;
            continue;
        }
        int64_t delay = rnd_in(s, 1, 8);
        if (s->phase == 0 && chance(s, s->slow_pm))
            delay = rnd_in(s, 30, 600);
        int64_t t = s->now + delay;
        if (fifo) {
            if (t < s->fifo_at[m->from][m->to])
                t = s->fifo_at[m->from][m->to];
            s->fifo_at[m->from][m->to] = t;
        }
        if (m->type == M_HEARTBEAT && t > s->hb_latest[m->from])
            s->hb_latest[m->from] = t;
        if (m->type == M_ALTER && t > s->alter_latest[m->from])
            s->alter_latest[m->from] = t;
        struct msg *copy = must(malloc(sizeof(*copy)));
        *copy = *m;
        struct event e = {.t = t, .type = EV_DELIVER, .node = m->to, .msg = copy};
        if (m->to < s->n)
            e.inc = s->r[m->to].inc;
        sim_queue_push(&s->q, &e);
    }
    free(m);
}

/* ---- controller ---- */

static bool mdstate_eq(const struct mdstate *a, const struct mdstate *b, int n)
{
    if (a->exists != b->exists || a->ps.leader != b->ps.leader ||
        a->ps.leader_epoch != b->ps.leader_epoch || a->ps.pe != b->ps.pe ||
        a->ps.nisr != b->ps.nisr ||
        memcmp(a->ps.isr, b->ps.isr, (size_t)a->ps.nisr * sizeof(a->ps.isr[0])) != 0)
        return false;
    for (int i = 0; i < n; i++)
        if (a->b[i].registered != b->b[i].registered || a->b[i].fenced != b->b[i].fenced ||
            a->b[i].inc != b->b[i].inc || a->b[i].bepoch != b->b[i].bepoch)
            return false;
    return true;
}

/*
 * Appends the controller's state to the metadata log when it changed, and
 * returns the offset of the latest state.  Called before anything carries
 * metadata out, and after every controller event.
 */
static int64_t ctrl_commit(struct sim *s)
{
    struct mdstate cur;
    memset(&cur, 0, sizeof(cur));
    cur.exists = s->c.created;
    cur.ps = s->c.ps;
    for (int i = 0; i < s->n; i++) {
        const struct cbroker *b = &s->c.b[i];
        cur.b[i] = (struct mdbroker){
            .registered = b->registered, .fenced = b->fenced, .inc = b->inc, .bepoch = b->bepoch};
    }
    if (s->nhist > 0 && mdstate_eq(&cur, &s->hist[s->nhist - 1], s->n))
        return s->nhist - 1;
    if (s->nhist == s->caphist) {
        s->caphist = s->caphist ? s->caphist * 2 : 256;
        s->hist = must(realloc(s->hist, (size_t)s->caphist * sizeof(*s->hist)));
    }
    s->hist[s->nhist++] = cur;
    return s->nhist - 1;
}

static void ctrl_broadcast(struct sim *s)
{
    int64_t hoff = ctrl_commit(s);
    char isr[40];
    fmt_isr(s->c.ps.isr, s->c.ps.nisr, isr, sizeof(isr));
    trace(s, "ctrl: leader %d epoch %d pe %d isr {%s}", s->c.ps.leader, s->c.ps.leader_epoch,
          s->c.ps.pe, isr);
    for (int i = 0; i < s->n; i++) {
        struct msg *m = new_msg(M_METADATA, s->ctrl_ix, i);
        m->has_ps = true;
        m->ps = s->c.ps;
        m->hoff = hoff;
        send(s, m);
    }
}

static bool ctrl_eligible(const struct sim *s, int32_t id)
{
    const struct cbroker *b = &s->c.b[ix_of(id)];
    return b->registered && !b->fenced;
}

/* Elects a leader from the ISR (a random eligible member), or none. */
static void ctrl_maybe_elect(struct sim *s);
static void ctrl_elect(struct sim *s, int32_t exclude)
{
    int32_t cand[MAXR];
    int nc = 0;
    for (int k = 0; k < s->c.ps.nisr; k++)
        if (s->c.ps.isr[k] != exclude && ctrl_eligible(s, s->c.ps.isr[k]))
            cand[nc++] = s->c.ps.isr[k];
    s->c.ps.leader = nc ? cand[rnd_in(s, 0, nc - 1)] : -1;
    s->c.ps.leader_epoch++;
}

/* A broker's registration ended (fenced, or replaced by a new process): out of the ISR. */
static void ctrl_remove(struct sim *s, int32_t id)
{
    struct pstate *ps = &s->c.ps;
    s->c.b[ix_of(id)].isr_intact = false;
    if (!s->c.created || !has_id(ps->isr, ps->nisr, id)) {
        return;
    }
    if (ps->nisr > 1) {
        int k = 0;
        for (int j = 0; j < ps->nisr; j++)
            if (ps->isr[j] != id)
                ps->isr[k++] = ps->isr[j];
        ps->nisr = k;
        if (ps->leader == id)
            ctrl_elect(s, id);
    } else if (ps->leader == id) {
        ps->leader = -1; /* the last member stays in the ISR: no leader until it is back */
        ps->leader_epoch++;
    } else {
        return;
    }
    ps->pe++;
    ctrl_broadcast(s);
}

/* A partition without a leader elects one as soon as an ISR member is eligible. */
static void ctrl_maybe_elect(struct sim *s)
{
    if (!s->c.created) {
        /* The topic is created once every broker is registered and unfenced. */
        for (int i = 0; i < s->n; i++)
            if (!s->c.b[i].registered || s->c.b[i].fenced)
                return;
        s->c.created = true;
        for (int i = 0; i < s->n; i++)
            s->c.b[i].isr_intact = true;
        trace(s, "ctrl: partition created");
    }
    if (s->c.ps.leader >= 0)
        return;
    ctrl_elect(s, -1);
    if (s->c.ps.leader < 0) {
        s->c.ps.leader_epoch--; /* nothing changed */
        return;
    }
    s->c.ps.pe++;
    ctrl_broadcast(s);
}

static void ctrl_fence(struct sim *s, int i)
{
    struct cbroker *b = &s->c.b[i];
    trace(s, "ctrl: broker %d fenced (last heartbeat %" PRId64 ")", s->r[i].id, b->last_hb);
    b->fenced = true;
    ctrl_remove(s, s->r[i].id);
}

static void ctrl_answer(struct sim *s, const struct msg *req, enum mtype type, int err)
{
    struct msg *m = new_msg(type, s->ctrl_ix, req->from);
    m->rid = req->rid;
    m->alter_seq = req->alter_seq;
    m->err = err;
    m->inc = req->inc;
    m->cur_epoch = req->cur_epoch;
    int i = req->from;
    m->bepoch = s->c.b[i].bepoch;
    if (err == E_NONE) {
        m->has_ps = true;
        m->ps = s->c.ps;
        m->hoff = ctrl_commit(s);
    }
    send(s, m);
}

static void ctrl_register(struct sim *s, const struct msg *req)
{
    int i = req->from;
    struct cbroker *b = &s->c.b[i];
    if (b->registered && b->inc == req->inc) {
        ctrl_answer(s, req, M_REGISTER_RESP, E_NONE); /* a retry */
        return;
    }
    if (b->registered && req->inc < b->inc)
        return; /* from a process that is gone (its connection died with it) */
    bool first = !b->registered;
    if (!first && !b->fenced && s->register_waits) {
        ctrl_answer(s, req, M_REGISTER_RESP, E_DUPLICATE_REGISTRATION);
        return;
    }
    b->registered = true;
    b->inc = req->inc;
    b->bepoch = ++s->c.next_bepoch;
    b->fenced = true; /* until a heartbeat no longer asks to stay fenced (KIP-631) */
    b->last_hb = s->now;
    trace(s, "ctrl: broker %d registered, broker epoch %" PRId64 "%s", s->r[i].id, b->bepoch,
          first ? "" : " (a new process)");
    if (first) {
        b->isr_intact = has_id(s->c.ps.isr, s->c.ps.nisr, s->r[i].id);
    } else {
        /* Unclean shutdown (KIP-966): it may have lost whatever it had not flushed. */
        ctrl_remove(s, s->r[i].id);
    }
    ctrl_maybe_elect(s);
    ctrl_answer(s, req, M_REGISTER_RESP, E_NONE);
}

static void ctrl_heartbeat(struct sim *s, const struct msg *req)
{
    int i = req->from;
    struct cbroker *b = &s->c.b[i];
    if (!b->registered || b->bepoch != req->bepoch) {
        ctrl_answer(s, req, M_HEARTBEAT_RESP, E_STALE_BROKER_EPOCH);
        return;
    }
    b->last_hb = s->now;
    if (b->fenced && !req->want_fence) {
        b->fenced = false;
        trace(s, "ctrl: broker %d unfenced", s->r[i].id);
        ctrl_maybe_elect(s);
    }
    ctrl_answer(s, req, M_HEARTBEAT_RESP, E_NONE);
}

static void ctrl_alter(struct sim *s, const struct msg *req)
{
    struct pstate *ps = &s->c.ps;
    int32_t from = s->r[req->from].id;
    int err = E_NONE;
    if (req->cur_epoch < ps->leader_epoch)
        err = E_FENCED_EPOCH;
    else if (ps->leader != from)
        err = E_NOT_LEADER;
    else if (req->cur_epoch > ps->leader_epoch)
        err = E_UNKNOWN_EPOCH;
    else if (req->ps.pe != ps->pe)
        err = E_INVALID_VERSION;
    else if (!has_id(req->alter_isr, req->nalter, from))
        err = E_INELIGIBLE;
    for (int k = 0; err == E_NONE && k < req->nalter; k++) {
        const struct cbroker *b = &s->c.b[ix_of(req->alter_isr[k])];
        if (!b->registered || b->fenced ||
            (req->alter_bepoch[k] >= 0 && req->alter_bepoch[k] != b->bepoch))
            err = E_INELIGIBLE;
    }
    if (err != E_NONE) {
        s->st->alter_errors++;
        ctrl_answer(s, req, M_ALTER_RESP, err);
        return;
    }
    for (int k = 0; k < req->nalter; k++)
        if (!has_id(ps->isr, ps->nisr, req->alter_isr[k]))
            s->c.b[ix_of(req->alter_isr[k])].isr_intact = true;
    for (int k = 0; k < ps->nisr; k++)
        if (!has_id(req->alter_isr, req->nalter, ps->isr[k]))
            s->c.b[ix_of(ps->isr[k])].isr_intact = false;
    ps->nisr = req->nalter;
    memcpy(ps->isr, req->alter_isr, sizeof(ps->isr));
    ps->pe++;
    s->st->isr_changes++;
    ctrl_answer(s, req, M_ALTER_RESP, E_NONE);
    ctrl_broadcast(s);
}

static void ctrl_tick(struct sim *s)
{
    /* Sessions expire oldest first. */
    for (;;) {
        int oldest = -1;
        for (int i = 0; i < s->n; i++) {
            const struct cbroker *b = &s->c.b[i];
            if (b->registered && !b->fenced && s->now - b->last_hb > s->session_ms &&
                (oldest < 0 || b->last_hb < s->c.b[oldest].last_hb))
                oldest = i;
        }
        if (oldest < 0)
            break;
        ctrl_fence(s, oldest);
    }
    ctrl_commit(s);
}

/* A controller-initiated leader move (preferred leader election) to another ISR member. */
static void ctrl_move_leader(struct sim *s)
{
    struct pstate *ps = &s->c.ps;
    if (ps->leader < 0)
        return;
    int32_t cand[MAXR];
    int nc = 0;
    for (int k = 0; k < ps->nisr; k++)
        if (ps->isr[k] != ps->leader && ctrl_eligible(s, ps->isr[k]))
            cand[nc++] = ps->isr[k];
    if (!nc)
        return;
    ps->leader = cand[rnd_in(s, 0, nc - 1)];
    ps->leader_epoch++;
    ps->pe++;
    trace(s, "ctrl: moves leadership to %d", ps->leader);
    ctrl_broadcast(s);
}

static void ctrl_recv(struct sim *s, const struct msg *m)
{
    switch (m->type) {
    case M_REGISTER:
        ctrl_register(s, m);
        break;
    case M_HEARTBEAT:
        ctrl_heartbeat(s, m);
        break;
    case M_ALTER:
        ctrl_alter(s, m);
        break;
    default:
        fail(s, "controller got a %s", mtype_name(m->type));
    }
    ctrl_commit(s);
}

/* ---- replicas: leader side ---- */

static void reply_produce(struct sim *s, struct replica *r, uint64_t rid, int err, int64_t offset)
{
    struct msg *m = new_msg(M_PRODUCE_RESP, (int)(r - s->r), s->client_ix);
    m->rid = rid;
    m->err = err;
    m->offset = offset;
    send(s, m);
}

/* Answers the acks=all writes the HW has passed, or whose time is up. */
static void leader_pending(struct sim *s, struct replica *r)
{
    int32_t isr[2 * MAXR];
    int nmax = repl_leader_maximal_isr(&r->core, isr);
    size_t k = 0;
    for (size_t j = 0; j < r->npend && !s->failed; j++) {
        struct pend *p = &r->pend[j];
        if (r->hw > p->offset) {
            if (nmax >= s->o.min_isr || nmax >= s->n) {
                /* (a)/(c): an acknowledged write is the committed record at its offset. */
                if (p->offset >= s->ncm || s->cm[p->offset].value != p->value ||
                    s->cm[p->offset].epoch != p->epoch)
                    fail(s,
                         "(a) replica %d acknowledges value %" PRIx64 " at offset %" PRId64
                         " which is not the committed record there",
                         r->id, p->value, p->offset);
                s->st->acked_all++;
                if (r->md.leader_epoch < s->c.ps.leader_epoch)
                    s->st->stale_acks++;
                if (s->phase == 1 && p->appended_at >= s->phase_start)
                    s->acked_in_phase = true;
                trace(s, "replica %d acks value %" PRIx64 " at %" PRId64, r->id, p->value,
                      p->offset);
                reply_produce(s, r, p->rid, E_NONE, p->offset);
            } else {
                s->st->rejected++;
                reply_produce(s, r, p->rid, E_NOT_ENOUGH_AFTER, p->offset);
            }
        } else if (s->now >= p->deadline) {
            s->st->rejected++;
            reply_produce(s, r, p->rid, E_TIMEOUT, p->offset);
        } else {
            r->pend[k++] = *p;
        }
    }
    r->npend = k;
}

static void leader_update_hw(struct sim *s, struct replica *r)
{
    repl_leader_advance_hw(&r->core, r->leo);
    set_hw(s, r, r->core.high_watermark);
    leader_pending(s, r);
}

static void fail_pending(struct sim *s, struct replica *r)
{
    for (size_t j = 0; j < r->npend; j++) {
        s->st->rejected++;
        reply_produce(s, r, r->pend[j].rid, E_NOT_LEADER, r->pend[j].offset);
    }
    r->npend = 0;
}

static void send_alter(struct sim *s, struct replica *r)
{
    struct msg *m = new_msg(M_ALTER, (int)(r - s->r), s->ctrl_ix);
    m->rid = ++s->rid;
    m->alter_seq = repl_isr_change_sent(&r->core, s->now);
    m->cur_epoch = r->md.leader_epoch;
    m->ps.pe = r->md.pe;
    m->nalter = r->core.nproposed_isr;
    memcpy(m->alter_isr, r->core.proposed_isr, (size_t)m->nalter * sizeof(*m->alter_isr));
    memcpy(m->alter_bepoch, r->prop_bepoch, sizeof(m->alter_bepoch));
    send(s, m);
}

/* One ISR change at a time (the core's): shrink the out-of-sync members, add the caught-up
 * ones; each named with the broker epoch it fetched with (KIP-903). */
static void leader_isr_check(struct sim *s, struct replica *r)
{
    if (!repl_leader_propose_isr(&r->core, s->now, s->lag_max_ms, ec_latest_start(&r->ec), NULL,
                                 NULL))
        return;
    const int32_t *isr = r->core.proposed_isr;
    int n = r->core.nproposed_isr;
    for (int k = 0; k < n; k++) {
        int ix = ix_of(isr[k]);
        r->prop_bepoch[k] = isr[k] == r->id  ? r->bepoch
                            : s->o.no_kip903 ? s->c.b[ix].bepoch
                                             : r->fol_bepoch[ix];
    }
    char a[40], b[40];
    fmt_isr(r->md.isr, r->md.nisr, a, sizeof(a));
    fmt_isr(isr, n, b, sizeof(b));
    trace(s, "replica %d proposes ISR {%s} -> {%s} at pe %d", r->id, a, b, r->md.pe);
    send_alter(s, r);
    leader_update_hw(s, r);
}

/* The core started a new leadership (its followers reset, no ISR change in flight). */
static void become_leader(struct sim *s, struct replica *r)
{
    record_leader(s, r->md.leader_epoch, r->id);
    /* KIP-101: the new epoch starts at the log end. */
    ec_assign(s, &r->ec, r->md.leader_epoch, r->leo);
    for (int i = 0; i < s->n; i++)
        r->fol_bepoch[i] = -1;
    r->fetching = false;
    r->fetch_gen++;
    trace(s, "replica %d leads epoch %d from LEO %" PRId64 " HW %" PRId64, r->id,
          r->md.leader_epoch, r->leo, r->hw);
    check_leader_start(s, r);
    check_replica(s, r);
    leader_update_hw(s, r);
}

static void leader_on_fetch(struct sim *s, struct replica *r, const struct msg *q)
{
    struct msg *m = new_msg(M_FETCH_RESP, q->to, q->from);
    m->rid = q->rid;
    m->cur_epoch = q->cur_epoch;
    m->offset = q->offset;
    int32_t id = s->r[q->from].id;
    if (!r->registered || !repl_leader_follower(&r->core, id)) {
        m->err = E_NOT_LEADER;
    } else if (q->cur_epoch < r->md.leader_epoch) {
        m->err = E_FENCED_EPOCH;
    } else if (q->cur_epoch > r->md.leader_epoch) {
        m->err = E_UNKNOWN_EPOCH;
    } else if (!s->o.no_kip903 && r->fol_bepoch[q->from] > q->bepoch) {
        m->err = E_NOT_LEADER; /* a fetch from an earlier process of that broker */
    } else {
        int32_t found = -1;
        int64_t end = -1;
        if (q->last_epoch >= 0)
            ec_end_offset_for(&r->ec, q->last_epoch, r->leo, &found, &end);
        if (tracing(s)) {
            char ec[120];
            fmt_ec(&r->ec, ec, sizeof(ec));
            trace(s, "leader %d cache [%s] end for epoch %d: %d/%" PRId64, r->id, ec, q->last_epoch,
                  found, end);
        }
        switch (repl_leader_on_fetch(&r->core, id, q->offset, q->last_epoch, found, end, 0, r->leo,
                                     s->now, &m->div_epoch, &m->div_end)) {
        case REPL_FETCH_DIVERGING:
            m->diverging = true;
            s->st->diverging++;
            m->hw = r->hw;
            break;
        case REPL_FETCH_OK:
            r->fol_bepoch[q->from] = q->bepoch;
            leader_update_hw(s, r);
            for (int64_t o = q->offset, end_at = min64(r->leo, q->offset + s->max_batches);
                 o < end_at; o++)
                m->rec[m->nrec++] = r->log[o];
            m->hw = r->hw;
            break;
        case REPL_FETCH_OUT_OF_RANGE:
        case REPL_FETCH_NOT_FOLLOWER:
            fail(s,
                 "leader %d: fetch from %d at %" PRId64 " (LEO %" PRId64
                 ") passed the divergence check (last epoch %d) but is refused",
                 r->id, id, q->offset, r->leo, q->last_epoch);
            break;
        }
    }
    send(s, m);
}

static void leader_on_produce(struct sim *s, struct replica *r, const struct msg *q)
{
    if (!r->registered || !r->core.is_leader) {
        reply_produce(s, r, q->rid, E_NOT_LEADER, -1);
        return;
    }
    if (q->acks != 1 && r->md.nisr < s->o.min_isr && r->md.nisr < s->n) {
        s->st->rejected++;
        reply_produce(s, r, q->rid, E_NOT_ENOUGH, -1);
        return;
    }
    int64_t offset = r->leo;
    log_append(s, r, (struct rec){.epoch = r->md.leader_epoch, .value = q->value});
    trace(s, "replica %d appends value %" PRIx64 " at %" PRId64 " (acks %d)", r->id, q->value,
          offset, q->acks);
    if (q->acks == 1) {
        if (s->nacked_one == s->capacked_one) {
            s->capacked_one = s->capacked_one ? s->capacked_one * 2 : 256;
            s->acked_one_v = must(realloc(s->acked_one_v, s->capacked_one * sizeof(uint64_t)));
            s->acked_one_o = must(realloc(s->acked_one_o, s->capacked_one * sizeof(int64_t)));
        }
        s->acked_one_v[s->nacked_one] = q->value;
        s->acked_one_o[s->nacked_one++] = offset;
        s->st->acked_one++;
        reply_produce(s, r, q->rid, E_NONE, offset);
    } else {
        if (r->npend == r->cappend) {
            r->cappend = r->cappend ? r->cappend * 2 : 16;
            r->pend = must(realloc(r->pend, r->cappend * sizeof(*r->pend)));
        }
        r->pend[r->npend++] = (struct pend){.rid = q->rid,
                                            .offset = offset,
                                            .deadline = s->now + s->produce_timeout_ms,
                                            .value = q->value,
                                            .epoch = r->md.leader_epoch,
                                            .appended_at = s->now};
    }
    leader_update_hw(s, r);
}

static void leader_on_consume(struct sim *s, struct replica *r, const struct msg *q)
{
    struct msg *m = new_msg(M_CONSUME_RESP, q->to, q->from);
    m->rid = q->rid;
    m->offset = q->offset;
    if (!r->registered || !r->core.is_leader) {
        m->err = E_NOT_LEADER;
    } else if (q->cur_epoch >= 0 && q->cur_epoch < r->md.leader_epoch) {
        m->err = E_FENCED_EPOCH;
    } else if (q->cur_epoch > r->md.leader_epoch) {
        m->err = E_UNKNOWN_EPOCH;
    } else {
        m->hw = r->hw;
        int64_t end = min64(r->hw, q->offset + s->max_batches);
        for (int64_t o = q->offset; o < end && !s->failed; o++) {
            /* (d): a consumer is served only the committed log. */
            if (o >= s->ncm || !rec_eq(r->log[o], s->cm[o]))
                fail(s, "(d) replica %d serves a consumer offset %" PRId64 " that is not committed",
                     r->id, o);
            m->rec[m->nrec++] = r->log[o];
            s->st->reads++;
            if (r->md.leader_epoch < s->c.ps.leader_epoch)
                s->st->stale_reads++;
        }
    }
    send(s, m);
}

static void leader_on_alter_resp(struct sim *s, struct replica *r, const struct msg *m)
{
    /* Applied or not, newer metadata will tell: keep counting the maximal ISR, unless the
     * controller says it was not applied (or the variant gives up on any error). */
    enum repl_isr_outcome outcome = m->err == E_NONE ? REPL_ISR_COMMITTED
                                    : m->err == E_INELIGIBLE || s->o.alter_error_resets
                                        ? REPL_ISR_REFUSED
                                        : REPL_ISR_UNKNOWN;
    enum repl_isr_action a =
        repl_isr_change_answer(&r->core, m->alter_seq, m->cur_epoch, outcome, m->ps.leader,
                               m->ps.leader_epoch, m->ps.pe, m->ps.isr, m->ps.nisr, s->now);
    if (a == REPL_ISR_APPLIED) {
        r->md = m->ps; /* same leader and epoch: the committed ISR */
        char isr[40];
        fmt_isr(r->md.isr, r->md.nisr, isr, sizeof(isr));
        trace(s, "replica %d: ISR {%s} committed at pe %d", r->id, isr, r->md.pe);
    }
    if (a == REPL_ISR_APPLIED || a == REPL_ISR_ENDED)
        leader_update_hw(s, r);
}

/* ---- replicas: follower side ---- */

static void schedule_fetch(struct sim *s, struct replica *r, int64_t delay)
{
    r->fetch_gen++;
    r->fetch_due = s->now + delay;
    at(s, r->fetch_due, EV_FETCH, (int)(r - s->r), r->fetch_gen);
}

static bool following(const struct replica *r)
{
    return r->registered && r->have_md && !r->core.is_leader && r->md.leader >= 0 &&
           r->md.leader != r->id;
}

static void send_fetch(struct sim *s, struct replica *r)
{
    if (!following(r) || r->fetching)
        return;
    struct msg *m = new_msg(M_FETCH, (int)(r - s->r), ix_of(r->md.leader));
    m->rid = r->fetch_rid = ++s->rid;
    m->offset = r->leo;
    if (!s->o.last_epoch_from_batch)
        m->last_epoch = ec_latest(&r->ec);
    else
        m->last_epoch = r->leo > 0 ? r->log[r->leo - 1].epoch : -1;
    m->cur_epoch = r->md.leader_epoch;
    m->bepoch = r->bepoch;
    r->fetching = true;
    r->fetch_sent = s->now;
    send(s, m);
}

static void follower_on_fetch_resp(struct sim *s, struct replica *r, const struct msg *m)
{
    if (!following(r) || !r->fetching || m->rid != r->fetch_rid)
        return;
    r->fetching = false;
    if (m->cur_epoch != r->md.leader_epoch) {
        schedule_fetch(s, r, 0);
        return;
    }
    if (m->err != E_NONE) {
        schedule_fetch(s, r, rnd_in(s, 20, 100));
        return;
    }
    if (m->diverging) {
        int32_t own_found = -1;
        int64_t own_end = -1;
        ec_end_offset_for(&r->ec, m->div_epoch, r->leo, &own_found, &own_end);
        int64_t to = repl_follower_truncation(&r->core, m->div_epoch, m->div_end, own_found,
                                              own_end, r->leo);
        trace(s, "replica %d: diverging %d/%" PRId64 ", own %d/%" PRId64 ": truncate to %" PRId64,
              r->id, m->div_epoch, m->div_end, own_found, own_end, to);
        log_truncate(s, r, to);
        schedule_fetch(s, r, 0);
        return;
    }
    if (m->offset != r->leo) {
        fail(s, "replica %d: fetch answer at %" PRId64 " but its LEO is %" PRId64, r->id, m->offset,
             r->leo);
        return;
    }
    for (int k = 0; k < m->nrec; k++) {
        ec_assign(s, &r->ec, m->rec[k].epoch, r->leo);
        log_append(s, r, m->rec[k]);
    }
    if (repl_follower_on_leader_hw(&r->core, m->hw, r->leo))
        set_hw(s, r, r->core.high_watermark);
    schedule_fetch(s, r, m->nrec > 0 ? 0 : rnd_in(s, 10, 80));
}

/* ---- replicas: metadata ---- */

static void apply_md(struct sim *s, struct replica *r, const struct pstate *ps)
{
    if (r->have_md && ps->pe <= r->md.pe)
        return;
    bool was_leader = r->core.is_leader;
    int32_t old_leader = r->have_md ? r->md.leader : -2;
    int32_t old_epoch = r->have_md ? r->md.leader_epoch : -1;
    r->md = *ps;
    r->have_md = true;
    int32_t replicas[MAXR];
    for (int i = 0; i < s->n; i++)
        replicas[i] = s->r[i].id;
    struct repl_state_change ch;
    repl_set_state(&r->core, r->id, ps->leader, ps->leader_epoch, ps->pe, replicas, s->n, ps->isr,
                   ps->nisr, s->now, &ch);
    if (ch.new_leadership) {
        become_leader(s, r);
    } else if (r->core.is_leader) {
        leader_update_hw(s, r);
    } else {
        if (was_leader) {
            trace(s, "replica %d stops leading (now leader %d epoch %d)", r->id, ps->leader,
                  ps->leader_epoch);
            fail_pending(s, r);
            if (s->o.drop_empty_epoch)
                ec_truncate_from_end(&r->ec, r->leo);
        }
        if (was_leader || ps->leader != old_leader || ps->leader_epoch != old_epoch) {
            r->fetching = false;
            schedule_fetch(s, r, 0);
        }
    }
}

/*
 * Acts on the replica's image hist[view], as the broker does on each record
 * it replays.
 *
 * The rule (cmd/node/node.c advance_startup, replica_manager_activate; KIP-631's
 * initial catch-up): nothing is done with the image until it holds this
 * incarnation's own registration (and the process has its broker epoch); from
 * then on the partition state applies.  A log the caught-up image does not
 * assign here would be set aside, never deleted: the model keeps it (and
 * counts it; with the partition never deleted it should not happen).
 *
 * The old rule (--buggy-catchup): partition states apply as soon as the
 * process registered, whatever incarnation they were written for, and
 * startup completes at the first image showing the broker registered and
 * unfenced (any incarnation): a log whose partition is not loaded by then is
 * deleted as stray.
 */
static void md_act(struct sim *s, struct replica *r)
{
    const struct mdstate *v = &s->hist[r->view];
    const struct mdbroker *self = &v->b[r - s->r];
    if (!r->registered)
        return;
    if (s->o.buggy_catchup) {
        if (v->exists)
            apply_md(s, r, &v->ps);
        if (!r->active && self->registered && !self->fenced) {
            r->active = true;
            trace(s, "replica %d starts up on image %" PRId64 "%s", r->id, r->view,
                  self->inc != r->inc ? " (an earlier incarnation's registration)" : "");
            if (!r->have_md && r->leo > 0)
                log_delete(s, r);
        }
        return;
    }
    if (!r->active) {
        if (!self->registered || self->inc != r->inc)
            return;
        r->active = true;
        trace(s, "replica %d: image %" PRId64 " holds its registration (broker epoch %" PRId64 ")",
              r->id, r->view, self->bepoch);
        if (!v->exists && r->leo > 0) {
            s->st->strays_aside++;
            trace(s, "replica %d sets its log aside (LEO %" PRId64 "): not in the image", r->id,
                  r->leo);
        }
    }
    if (v->exists)
        apply_md(s, r, &v->ps);
}

/* Metadata up to history offset hoff reached the replica (it waits while replaying). */
static void md_push(struct sim *s, struct replica *r, int64_t hoff)
{
    if (!r->replaying && hoff > r->view)
        r->view = hoff;
    md_act(s, r);
}

/*
 * One step of a lagging replay: a few records further, each acted on in
 * order; beyond what was on disk at the start it needs the controller.
 */
static void replay_step(struct sim *s, struct replica *r)
{
    int i = (int)(r - s->r);
    if (!r->replaying)
        return;
    for (int k = (int)rnd_in(s, 1, 8); k > 0 && r->view < s->nhist - 1; k--) {
        if (r->view >= r->replay_local && s->blocked[s->ctrl_ix][i])
            break;
        r->view++;
        const struct mdbroker *self = &s->hist[r->view].b[i];
        if (!r->active && self->registered && self->inc != r->inc)
            s->st->stale_records++;
        md_act(s, r);
    }
    if (r->view >= s->nhist - 1) {
        r->replaying = false;
        trace(s, "replica %d replayed the metadata log to %" PRId64, r->id, r->view);
        return;
    }
    at(s, s->now + r->replay_step_ms, EV_REPLAY, i, 0);
}

static void replica_recv(struct sim *s, struct replica *r, const struct msg *m)
{
    switch (m->type) {
    case M_FETCH:
        leader_on_fetch(s, r, m);
        break;
    case M_FETCH_RESP:
        follower_on_fetch_resp(s, r, m);
        break;
    case M_PRODUCE:
        leader_on_produce(s, r, m);
        break;
    case M_CONSUME:
        leader_on_consume(s, r, m);
        break;
    case M_REGISTER_RESP:
        if (r->registered || m->rid != r->reg_rid || m->inc != r->inc)
            break;
        if (m->err == E_NONE) {
            r->registered = true;
            r->bepoch = m->bepoch;
            trace(s, "replica %d registered with broker epoch %" PRId64, r->id, r->bepoch);
            md_push(s, r, m->hoff);
        }
        break;
    case M_HEARTBEAT_RESP:
    case M_METADATA:
        if (m->err == E_NONE)
            md_push(s, r, m->hoff);
        break;
    case M_ALTER_RESP:
        leader_on_alter_resp(s, r, m);
        break;
    default:
        fail(s, "replica %d got a %s", r->id, mtype_name(m->type));
    }
}

static void replica_tick(struct sim *s, struct replica *r)
{
    if (!s->flush_always && s->now >= r->next_flush) {
        r->flushed = r->leo;
        r->next_flush = s->now + s->flush_every_ms;
    }
    if (s->now >= r->next_ckpt) {
        /* The old rule wrote entries for loaded partitions only. */
        r->hw_ckpt = s->o.buggy_catchup && !r->have_md ? 0 : r->hw;
        r->next_ckpt = s->now + s->ckpt_every_ms;
    }
    if (!r->registered)
        return;
    if (r->core.is_leader) {
        if (repl_isr_change_resend_due(&r->core, s->now, s->alter_retry_ms, s->alter_retry_ms)) {
            if (s->o.alter_error_resets) {
                repl_isr_change_end(&r->core); /* a timed-out request counts as refused */
                leader_update_hw(s, r);
            } else {
                send_alter(s, r); /* the same proposal again */
            }
        }
        leader_isr_check(s, r);
        leader_pending(s, r);
    } else if (following(r)) {
        if (r->fetching && s->now - r->fetch_sent >= s->fetch_timeout_ms)
            r->fetching = false;
        if (!r->fetching && s->now > r->fetch_due + 200)
            schedule_fetch(s, r, 0);
    }
}

static void replica_heartbeat(struct sim *s, struct replica *r)
{
    struct msg *m = new_msg(r->registered ? M_HEARTBEAT : M_REGISTER, (int)(r - s->r), s->ctrl_ix);
    m->rid = ++s->rid;
    m->inc = r->inc;
    m->want_fence = !s->o.buggy_catchup && !r->active;
    if (r->registered)
        m->bepoch = r->bepoch;
    else
        r->reg_rid = m->rid;
    send(s, m);
}

/* ---- process lifecycle ---- */

static void node_start(struct sim *s, int i)
{
    struct replica *r = &s->r[i];
    r->up = true;
    r->paused = false;
    /* What survived on disk: the flushed log, the epoch cache cut to it, the HW checkpoint. */
    r->leo = r->flushed;
    if (r->verified > r->leo)
        r->verified = r->leo;
    ec_truncate_from_end(&r->ec, r->leo);
    r->hw = min64(r->hw_ckpt, r->leo);
    struct repl_config cfg = {.min_isr = s->o.min_isr,
                              .isr_change_min_interval_ms =
                                  s->o.broker_isr_interval ? REPL_ISR_CHANGE_MIN_INTERVAL_MS : 0};
    repl_free(&r->core);
    repl_init(&r->core, &cfg, r->hw, 0, r->leo);
    r->registered = false;
    r->bepoch = -1;
    r->active = false;
    r->have_md = false;
    /*
     * The image: most restarts replay from where the controller is now; the
     * others from an older state (the empty cluster, before the partition
     * existed, with some chance), one record at a time after a delay, while
     * the controller may already have taken the new registration.
     */
    r->replaying = !s->o.no_replay_lag && s->nhist > 1 && chance(s, 500);
    r->replay_local = s->nhist - 1;
    if (r->replaying) {
        r->view = chance(s, 300) ? 0 : rnd_in(s, 0, s->nhist - 1);
        r->replay_step_ms = rnd_in(s, 1, 20);
        s->st->lagged_restarts++;
        at(s, s->now + rnd_in(s, 0, 2000), EV_REPLAY, i, 0);
    } else {
        r->view = s->nhist - 1;
    }
    r->npend = 0;
    r->fetching = false;
    r->fetch_due = s->now;
    r->next_flush = s->now + s->flush_every_ms;
    r->next_ckpt = s->now + rnd_in(s, 0, s->ckpt_every_ms);
    if (tracing(s)) {
        char ec[120];
        fmt_ec(&r->ec, ec, sizeof(ec));
        trace(s,
              "replica %d starts: LEO %" PRId64 " HW %" PRId64 " (checkpoint %" PRId64
              "), cache [%s], image %" PRId64 " of %" PRId64 "%s",
              r->id, r->leo, r->hw, r->hw_ckpt, ec, r->view, s->nhist,
              r->replaying ? " (lagging)" : "");
    }
    at(s, s->now + rnd_in(s, 0, 20), EV_HB, i, 0);
    at(s, s->now + rnd_in(s, 1, 25), EV_TICK, i, 0);
    check_replica(s, r);
}

static void node_crash(struct sim *s, int i)
{
    struct replica *r = &s->r[i];
    if (!r->up)
        return;
    trace(s, "replica %d crashes (LEO %" PRId64 ", flushed %" PRId64 ")", r->id, r->leo,
          r->flushed);
    r->up = false;
    r->paused = false;
    r->inc++;
    for (size_t k = 0; k < r->ndef; k++)
        free(r->deferred[k].msg);
    r->ndef = 0;
    r->leo = r->flushed; /* the unflushed tail is gone */
    if (r->verified > r->leo)
        r->verified = r->leo;
    s->st->crashes++;
    if (!s->flush_always)
        s->st->crashes_unflushed++;
}

/*
 * Without flush on every append, Kafka promises an acknowledged write only
 * while some replica that holds it keeps it in memory and stays electable
 * (a crashed broker that is the last ISR member is elected again with
 * whatever it flushed: "last replica standing").  A crash of i is injected
 * only when every other replica is up, registered as its current process,
 * in the controller's ISR by a grant made to that process, and heard from by
 * the controller after the last heartbeat of i arrives (those still in
 * flight included): then i leaves the ISR (its session expires first, or it
 * re-registers) before anything else can, and another crash waits until it
 * is back in the ISR.  Nor while an AlterPartition of i is still on its way:
 * the controller would apply it after the crash, and a shrink to {i} leaves
 * the crashed process's flushed prefix as the only electable copy.  With
 * flush on every append any crash is fair, all of them at once included.
 */
static bool crash_allowed(const struct sim *s, int i)
{
    if (s->flush_always)
        return true;
    const struct pstate *ps = &s->c.ps;
    if (s->alter_latest[i] > s->now)
        return false;
    int64_t last_hb = s->c.b[i].last_hb > s->hb_latest[i] ? s->c.b[i].last_hb : s->hb_latest[i];
    for (int j = 0; j < s->n; j++) {
        if (j == i)
            continue;
        const struct replica *r = &s->r[j];
        const struct cbroker *b = &s->c.b[j];
        if (!r->up || !b->registered || b->inc != r->inc || b->fenced || !b->isr_intact ||
            !has_id(ps->isr, ps->nisr, r->id) || b->last_hb <= last_hb)
            return false;
    }
    return true;
}

static void pause_node(struct sim *s, int i, int64_t ms)
{
    struct replica *r = &s->r[i];
    if (!r->up || r->paused)
        return;
    r->paused = true;
    s->st->pauses++;
    trace(s, "replica %d paused for %" PRId64 " ms", r->id, ms);
    at(s, s->now + ms, EV_WAKE, i, 0);
}

static void wake(struct sim *s, int i)
{
    struct replica *r = &s->r[i];
    if (!r->paused)
        return;
    r->paused = false;
    trace(s, "replica %d wakes up (%zu events waiting)", r->id, r->ndef);
    for (size_t k = 0; k < r->ndef; k++) {
        struct event e = r->deferred[k];
        e.t = s->now;
        sim_queue_push(&s->q, &e);
    }
    r->ndef = 0;
}

/* ---- clients ---- */

static void client_refresh(struct sim *s)
{
    int cand[MAXR], nc = 0;
    for (int i = 0; i < s->n; i++)
        if (s->r[i].up && !s->r[i].paused && s->r[i].have_md)
            cand[nc++] = i;
    if (!nc) {
        s->cl.target = (int)rnd_in(s, 0, s->n - 1);
        s->cl.target_epoch = -1;
        return;
    }
    const struct replica *r = &s->r[cand[rnd_in(s, 0, nc - 1)]];
    s->cl.target = r->md.leader >= 0 ? ix_of(r->md.leader) : (int)rnd_in(s, 0, s->n - 1);
    s->cl.target_epoch = r->md.leader >= 0 ? r->md.leader_epoch : -1;
}

static void client_tick(struct sim *s)
{
    struct client *cl = &s->cl;
    if (cl->stopped)
        return;
    if (cl->target < 0 || chance(s, 20) || (s->now - cl->last_answer > 400 && chance(s, 200))) {
        client_refresh(s);
        cl->last_answer = s->now;
    }
    int n = (int)rnd_in(s, 1, 3);
    for (int k = 0; k < n; k++) {
        struct msg *m = new_msg(M_PRODUCE, s->client_ix, cl->target);
        m->rid = ++s->rid;
        m->acks = chance(s, 250) ? 1 : -1;
        m->value = (++cl->next_value) | (m->acks == 1 ? 1ULL << 63 : 0);
        send(s, m);
    }
    if (chance(s, 400)) {
        struct msg *m = new_msg(M_CONSUME, s->client_ix, cl->target);
        m->rid = ++s->rid;
        m->offset = chance(s, 100) ? 0 : cl->consume_at;
        m->cur_epoch = chance(s, 500) ? cl->target_epoch : -1;
        send(s, m);
    }
}

static void client_recv(struct sim *s, const struct msg *m)
{
    struct client *cl = &s->cl;
    cl->last_answer = s->now;
    if (m->err != E_NONE) {
        if (m->err != E_NOT_ENOUGH && m->err != E_NOT_ENOUGH_AFTER)
            client_refresh(s);
        return;
    }
    if (m->type == M_CONSUME_RESP) {
        cl->consume_at = m->offset + m->nrec;
        if (m->nrec == 0 && m->offset > m->hw)
            cl->consume_at = m->hw > 0 ? m->hw : 0;
    }
}

/* ---- faults ---- */

static void heal(struct sim *s)
{
    memset(s->blocked, 0, sizeof(s->blocked));
}

static void isolate(struct sim *s, int x)
{
    for (int k = 0; k < s->n + 2; k++)
        if (k != x)
            s->blocked[x][k] = s->blocked[k][x] = true;
}

static void try_crash(struct sim *s, int i)
{
    if (s->r[i].up && crash_allowed(s, i))
        node_crash(s, i);
}

static void chaos(struct sim *s)
{
    int i = (int)rnd_in(s, 0, s->n - 1);
    int leader = s->c.ps.leader >= 0 ? ix_of(s->c.ps.leader) : -1;
    int pick = (int)rnd_in(s, 0, 99);
    if (pick < 10) {
        try_crash(s, i);
    } else if (pick < 18) {
        if (leader >= 0)
            try_crash(s, leader);
    } else if (pick < 30) {
        for (int k = 0; k < s->n; k++) {
            int j = (i + k) % s->n;
            if (!s->r[j].up) {
                node_start(s, j);
                break;
            }
        }
    } else if (pick < 37) {
        pause_node(s, i, rnd_in(s, 50, 2 * s->session_ms));
    } else if (pick < 44) {
        if (leader >= 0)
            pause_node(s, leader, rnd_in(s, s->session_ms + 100, 4 * s->session_ms));
    } else if (pick < 50) {
        if (leader >= 0) {
            s->blocked[leader][s->ctrl_ix] = s->blocked[s->ctrl_ix][leader] = true;
            trace(s, "cut replica %d from the controller", s->r[leader].id);
        }
    } else if (pick < 55) {
        bool one_way = chance(s, 300);
        s->blocked[i][s->ctrl_ix] = true;
        if (!one_way)
            s->blocked[s->ctrl_ix][i] = true;
        trace(s, "cut replica %d from the controller%s", s->r[i].id, one_way ? " (one way)" : "");
    } else if (pick < 63) {
        int j = (int)rnd_in(s, 0, s->n + 1);
        if (j != i) {
            s->blocked[i][j] = true;
            if (chance(s, 600))
                s->blocked[j][i] = true;
            trace(s, "block replica %d <-> node %d", s->r[i].id, j);
        }
    } else if (pick < 67) {
        isolate(s, i);
        trace(s, "isolate replica %d", s->r[i].id);
    } else if (pick < 71) {
        heal(s);
        for (int a = 0; a < s->n + 2; a++)
            for (int b = 0; b < s->n + 2; b++)
                if (a != b && chance(s, 250))
                    s->blocked[a][b] = true;
        trace(s, "random partition");
    } else if (pick < 81) {
        heal(s);
        trace(s, "heal the network");
    } else if (pick < 86) {
        static const int drops[] = {0, 0, 10, 50, 200};
        s->drop_pm = drops[rnd_in(s, 0, 4)];
        s->dup_pm = (int)rnd_in(s, 0, 30);
        s->slow_pm = (int)rnd_in(s, 0, 80);
        trace(s, "network: drop %d dup %d slow %d per mille", s->drop_pm, s->dup_pm, s->slow_pm);
    } else if (pick < 91) {
        /* kill -9 and an immediate restart by a supervisor */
        if (s->r[i].up && crash_allowed(s, i)) {
            node_crash(s, i);
            s->r[i].restart_at = s->now + rnd_in(s, 1, 100);
            at(s, s->r[i].restart_at, EV_RESTART, i, s->r[i].inc);
        }
    } else if (pick < 94) {
        ctrl_move_leader(s);
    } else if (pick < 96) {
        if (s->flush_always) {
            trace(s, "every replica crashes");
            for (int j = 0; j < s->n; j++)
                node_crash(s, j);
        }
    } else {
        for (int j = 0; j < s->n; j++)
            if (s->r[j].paused)
                wake(s, j);
    }
}

/* ---- phases ---- */

static void start_phase(struct sim *s, int phase)
{
    s->phase = phase;
    s->phase_start = s->now;
    s->drop_pm = s->dup_pm = s->slow_pm = 0;
    heal(s);
    for (int i = 0; i < s->n; i++) {
        if (s->r[i].paused)
            wake(s, i);
        if (!s->r[i].up)
            node_start(s, i);
    }
    s->acked_in_phase = false;
    if (phase == 2)
        s->cl.stopped = true;
    trace(s, "phase %d", phase);
}

static bool phase_done(struct sim *s)
{
    const struct pstate *ps = &s->c.ps;
    if (ps->leader < 0 || ps->nisr != s->n)
        return false;
    const struct replica *l = &s->r[ix_of(ps->leader)];
    if (!l->core.is_leader || l->md.pe != ps->pe || l->core.isr_change_inflight)
        return false;
    if (s->phase == 1)
        return s->acked_in_phase;
    for (int i = 0; i < s->n; i++) {
        const struct replica *r = &s->r[i];
        if (!r->registered || r->leo != l->leo || r->hw != r->leo)
            return false;
    }
    for (int i = 0; i < s->n; i++)
        for (int64_t o = 0; o < l->leo; o++)
            if (!rec_eq(s->r[i].log[o], l->log[o])) {
                fail(s,
                     "replica %d differs from the leader at offset %" PRId64
                     " with every HW at the log end",
                     s->r[i].id, o);
                return false;
            }
    return true;
}

/* ---- main loop ---- */

static void handle(struct sim *s, struct event *ev)
{
    struct replica *r = ev->node >= 0 && ev->node < s->n ? &s->r[ev->node] : NULL;
    if (ev->type == EV_RESTART) {
        if (!r->up && r->inc == ev->val && s->phase == 0)
            node_start(s, ev->node);
        return;
    }
    if (r) {
        if (!r->up || ev->inc != r->inc) {
            if (ev->type == EV_DELIVER)
                s->st->dropped++;
            free(ev->msg);
            return;
        }
        if (r->paused && ev->type != EV_WAKE) {
            if (r->ndef == r->capdef) {
                r->capdef = r->capdef ? r->capdef * 2 : 32;
                r->deferred = must(realloc(r->deferred, r->capdef * sizeof(*r->deferred)));
            }
            r->deferred[r->ndef++] = *ev;
            return;
        }
    }
    switch (ev->type) {
    case EV_DELIVER: {
        struct msg *m = ev->msg;
        if (s->o.verbose || s->ring) {
            char buf[180];
            describe(s, m, buf, sizeof(buf));
            trace(s, "recv %s", buf);
        }
        if (ev->node == s->ctrl_ix)
            ctrl_recv(s, m);
        else if (ev->node == s->client_ix)
            client_recv(s, m);
        else
            replica_recv(s, r, m);
        free(m);
        break;
    }
    case EV_TICK:
        replica_tick(s, r);
        at(s, s->now + 25, EV_TICK, ev->node, 0);
        break;
    case EV_HB:
        replica_heartbeat(s, r);
        at(s, s->now + s->hb_ms, EV_HB, ev->node, 0);
        break;
    case EV_FETCH:
        if (ev->val == r->fetch_gen)
            send_fetch(s, r);
        break;
    case EV_WAKE:
        wake(s, ev->node);
        break;
    case EV_RESTART:
        break;
    case EV_CTRL:
        ctrl_tick(s);
        at(s, s->now + 20, EV_CTRL, -1, 0);
        break;
    case EV_CLIENT:
        client_tick(s);
        at(s, s->now + rnd_in(s, 5, 60), EV_CLIENT, -1, 0);
        break;
    case EV_REPLAY:
        replay_step(s, r);
        break;
    case EV_CHAOS:
        if (s->phase == 0) {
            chaos(s);
            at(s, s->now + rnd_in(s, s->chaos_min, s->chaos_max), EV_CHAOS, -1, 0);
        }
        break;
    }
}

void repl_sim_opts_default(struct repl_sim_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->nreplicas = 3;
    o->min_isr = 2;
    o->seed = 1;
    o->chaos_ms = 20000;
    o->live_bound_ms = 30000;
    o->flush = -1;
    o->registration = -1;
}

static void sim_free(struct sim *s)
{
    for (size_t k = 0; k < s->q.n; k++)
        free(((struct event *)sim_queue_rec(&s->q, k))->msg);
    sim_queue_free(&s->q);
    for (int i = 0; i < s->n; i++) {
        struct replica *r = &s->r[i];
        for (size_t k = 0; k < r->ndef; k++)
            free(r->deferred[k].msg);
        free(r->deferred);
        free(r->log);
        free(r->ec.epoch);
        free(r->ec.start);
        free(r->pend);
        repl_free(&r->core);
    }
    free(s->cm);
    free(s->cm_epoch);
    free(s->leaders);
    free(s->hist);
    free(s->acked_one_v);
    free(s->acked_one_o);
    free(s->ring);
}

static void setup(struct sim *s)
{
    const struct repl_sim_opts *o = &s->o;
    s->n = o->nreplicas;
    s->ctrl_ix = s->n;
    s->client_ix = s->n + 1;
    s->cm_mono = true;
    s->flush_always = o->flush >= 0 ? o->flush == 1 : chance(s, 500);
    s->register_waits = o->registration >= 0 ? o->registration == 1 : chance(s, 500);
    static const int64_t sessions[] = {300, 600, 1200};
    s->session_ms = sessions[rnd_in(s, 0, 2)];
    s->hb_ms = s->session_ms / 6;
    static const int64_t lags[] = {200, 500, 1000, 2500};
    s->lag_max_ms = lags[rnd_in(s, 0, 3)];
    s->fetch_timeout_ms = rnd_in(s, 150, 600);
    s->alter_retry_ms = rnd_in(s, 100, 800);
    s->produce_timeout_ms = rnd_in(s, 300, 2000);
    s->flush_every_ms = rnd_in(s, 20, 1000);
    s->ckpt_every_ms = rnd_in(s, 20, 1500);
    s->max_batches = (int)rnd_in(s, 2, MAXB); /* 1 can make catching up slower than producers */
    if (chance(s, 400)) {
        s->chaos_min = 20;
        s->chaos_max = 300;
    } else {
        s->chaos_min = 100;
        s->chaos_max = 1500;
    }
    s->c.ps.leader = -1;
    s->c.ps.nisr = s->n;
    for (int i = 0; i < s->n; i++) {
        s->r[i].id = i + 1;
        s->c.ps.isr[i] = i + 1;
    }
    s->cl.target = -1;
    s->cl.target_epoch = -1;
    trace(s,
          "seed %" PRIu64 ": %d replicas, %s, %s, session %" PRId64 " ms, lag max %" PRId64
          " ms, flush every %" PRId64 " ms, checkpoint every %" PRId64 " ms, %d records per fetch",
          o->seed, s->n, s->flush_always ? "flush on every append" : "background flush",
          s->register_waits ? "re-registration waits for the session" : "KIP-966 re-registration",
          s->session_ms, s->lag_max_ms, s->flush_every_ms, s->ckpt_every_ms, s->max_batches);
}

int repl_sim_run(const struct repl_sim_opts *o, struct repl_sim_stats *st, char *err, size_t errlen)
{
    if (o->nreplicas < 1 || o->nreplicas > MAXR || o->min_isr < 1) {
        snprintf(err, errlen, "replicas must be 1..%d and min ISR >= 1", MAXR);
        return -1;
    }
    struct sim *s = must(calloc(1, sizeof(*s)));
    s->o = *o;
    s->st = st;
    sim_queue_init(&s->q, sizeof(struct event));
    s->err = err;
    s->errlen = errlen;
    if (o->trace_tail > 0)
        s->ring = must(calloc((size_t)o->trace_tail, sizeof(*s->ring)));
    s->rng = mix64(o->seed * 0x2545f4914f6cdd1dULL + (uint64_t)o->nreplicas);
    setup(s);
    ctrl_commit(s); /* hist[0]: the empty cluster */
    for (int i = 0; i < s->n; i++)
        node_start(s, i);
    at(s, 0, EV_CTRL, -1, 0);
    at(s, rnd_in(s, 50, 200), EV_CLIENT, -1, 0);
    at(s, rnd_in(s, 300, 1500), EV_CHAOS, -1, 0);
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
        for (int i = 0; i < s->n && !s->failed; i++)
            check_replica(s, &s->r[i]);
        check_isr(s);
        if (s->phase >= 1 && !s->failed) {
            int64_t took = s->now - s->phase_start;
            if (phase_done(s)) {
                if (took > recovery)
                    recovery = took;
                trace(s, "phase %d done after %" PRId64 " ms", s->phase, took);
                if (s->phase == 2)
                    break;
                start_phase(s, 2);
            } else if (took > o->live_bound_ms) {
                char isr[40];
                fmt_isr(s->c.ps.isr, s->c.ps.nisr, isr, sizeof(isr));
                fail(s,
                     "liveness: %s not reached within %" PRId64
                     " ms of healing (controller: leader %d epoch %d isr {%s})",
                     s->phase == 1 ? "an acknowledged acks=all write with the full ISR"
                                   : "identical logs with HW = LEO everywhere",
                     o->live_bound_ms, s->c.ps.leader, s->c.ps.leader_epoch, isr);
            }
        }
    }
    if (!s->failed && s->phase != 2)
        fail(s, "simulation ended early in phase %d", s->phase);
    if (!s->failed) {
        /* acks=1 writes may be lost; count how many were. */
        const struct replica *l = &s->r[ix_of(s->c.ps.leader)];
        for (size_t k = 0; k < s->nacked_one; k++) {
            int64_t off = s->acked_one_o[k];
            if (off >= l->leo || l->log[off].value != s->acked_one_v[k])
                st->lost_one++;
        }
    }
    if (s->failed && s->ring) {
        printf("--- last %d events of seed %" PRIu64 " ---\n", s->nring, o->seed);
        for (int k = 0; k < s->nring; k++)
            printf("%s\n", s->ring[(s->ring_next - s->nring + k + o->trace_tail) % o->trace_tail]);
        printf("--- end of trace ---\n");
    }
    st->runs++;
    st->events += s->events;
    st->sim_ms += (uint64_t)s->now;
    if (recovery > st->max_recovery_ms)
        st->max_recovery_ms = recovery;
    int rc = s->failed ? -1 : 0;
    sim_free(s);
    free(s);
    return rc;
}
