/*
 * The group coordinator's node integration (group_coordinator.h): one shard
 * per __consumer_offsets partition, loading shards from the log when this
 * broker becomes their leader, acks=all writes through the partition append
 * path, the event-loop timer that drives every group's deadlines, offset
 * retention, and FindCoordinator.
 */
#include "group_coordinator.h"

#include <event2/event.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_controller.h"
#include "broker_config.h"
#include "broker_env.h"
#include "clock.h"
#include "err.h"
#include "group_records.h"
#include "kafka.h"
#include "kafka_client.h"
#include "log.h"
#include "messages.h"
#include "metadata_image.h"
#include "partition.h"
#include "record_batch.h"
#include "replica_manager.h"
#include "strmap.h"
#include "xalloc.h"

/* Kafka's defaults for settings the broker configuration table does not carry (yet). */
#define NEW_MEMBER_JOIN_TIMEOUT_MS    300000    /* GroupCoordinatorConfig, 5 minutes */
#define DEFAULT_COMMIT_TIMEOUT_MS     5000      /* offsets.commit.timeout.ms */
#define DEFAULT_RETENTION_CHECK_MS    600000    /* offsets.retention.check.interval.ms */
#define DEFAULT_OFFSETS_SEGMENT_BYTES 104857600 /* offsets.topic.segment.bytes */
#define LOAD_CHUNK_BYTES              (4 << 20) /* log bytes replayed per loop pass */
#define LOAD_MAX_DECOMPRESSED         (64u << 20)
#define TOPIC_CREATE_RETRY_MS         1000
#define FORWARD_CREATE_TIMEOUT_MS     30000

struct pending_write {
    struct pending_write *next;
    int64_t base_offset, last_offset;
    int16_t err; /* preset failure when `failed` */
    bool failed;
    bool need_flush;
    int64_t deadline_ms;
    char *group_id;
    uint64_t incarnation;
    group_write_cb cb;
    void *ctx;
};

enum shard_state { SHARD_NONE, SHARD_LOADING, SHARD_ACTIVE };

struct shard {
    struct partition_watch watch;    /* first: the watch is the shard */
    struct partition_watch hw_watch; /* a loaded shard waiting for its HW */
    struct group_coordinator *gc;
    int32_t index;
    enum shard_state state;
    int32_t epoch;
    int64_t load_next;
    int64_t load_started_ms;
    bool awaiting_hw;
    struct pending_write *writes;
};

struct group_coordinator {
    const struct broker_env *env;
    struct group_config gcfg;
    struct group_ops ops;
    struct strmap groups; /* id -> struct group */
    struct shard **shards;
    int nshards;
    uint64_t next_incarnation;
    struct event *timer;
    int64_t armed_at;
    struct event *work_ev; /* deferred completions and leadership changes */
    struct event *load_ev; /* one load chunk per loading shard per pass */
    bool sync_pending;
    int64_t create_requested_ms;
    int64_t last_retention_check_ms;
    int64_t retention_ms;
    int64_t retention_check_ms;
    int32_t commit_timeout_ms;
};

struct load_ctx {
    struct group_coordinator *gc;
    struct shard *sh;
    int64_t next;
    int64_t budget;
    int64_t now;
    int nrecords;
};

struct store_ctx {
    struct group_coordinator *gc;
    char *group_id;
    uint64_t incarnation;
    struct group_store *st;
};

static void rearm(struct group_coordinator *gc);

/* A broker setting by Kafka name when the configuration table has it, else the default. */
static int64_t cfg_long(const struct group_coordinator *gc, const char *key, int64_t dflt)
{
    struct bcfg_entry e;
    if (!broker_config_get(gc->env->cfg, key, &e) || !e.value)
        return dflt;
    char *end;
    long long v = strtoll(e.value, &end, 10);
    return (*e.value && !*end) ? (int64_t)v : dflt;
}

int32_t group_coordinator_min_session_timeout(const struct group_coordinator *gc)
{
    return gc->env->cfg->group_min_session_timeout_ms;
}

int32_t group_coordinator_max_session_timeout(const struct group_coordinator *gc)
{
    return gc->env->cfg->group_max_session_timeout_ms;
}

static const struct mi_topic *offsets_topic(const struct group_coordinator *gc)
{
    return metadata_image_topic_by_name(gc->env->image, GROUP_OFFSETS_TOPIC);
}

bool group_coordinator_partition_exists(const struct group_coordinator *gc, const char *topic,
                                        int32_t partition)
{
    const struct mi_topic *t = topic ? metadata_image_topic_by_name(gc->env->image, topic) : NULL;
    return t && partition >= 0 && partition < t->npartitions;
}

static struct shard *shard_at(struct group_coordinator *gc, int32_t idx)
{
    return idx >= 0 && idx < gc->nshards ? gc->shards[idx] : NULL;
}

static struct shard *shard_ensure(struct group_coordinator *gc, int32_t idx)
{
    if (idx >= gc->nshards) {
        gc->shards = xrealloc(gc->shards, sizeof *gc->shards * (size_t)(idx + 1));
        for (int32_t i = gc->nshards; i <= idx; i++) {
            struct shard *sh = xcalloc(1, sizeof *sh);
            sh->gc = gc;
            sh->index = i;
            gc->shards[i] = sh;
        }
        gc->nshards = idx + 1;
    }
    return gc->shards[idx];
}

/* The local leader replica of the shard's partition at the shard's epoch, or NULL. */
static struct partition *shard_partition(struct group_coordinator *gc, struct shard *sh)
{
    struct partition *p = NULL;
    if (replica_manager_lookup(gc->env->rm, GROUP_OFFSETS_TOPIC, sh->index, &p) != KERR_NONE)
        return NULL;
    if (!p->repl.is_leader || p->deleted || p->repl.leader_epoch != sh->epoch)
        return NULL;
    return p;
}

/* ---- timer ---- */

static void arm(struct group_coordinator *gc, int64_t deadline)
{
    if (deadline >= gc->armed_at)
        return;
    gc->armed_at = deadline;
    int64_t delay = deadline - clock_wall_ms();
    if (delay < 0)
        delay = 0;
    struct timeval tv = {(time_t)(delay / 1000), (suseconds_t)((delay % 1000) * 1000)};
    evtimer_add(gc->timer, &tv);
}

void group_coordinator_touch(struct group_coordinator *gc, struct group *g)
{
    arm(gc, group_next_deadline(g));
}

static void rearm(struct group_coordinator *gc)
{
    int64_t d = GROUP_NO_DEADLINE;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        int64_t gd = group_next_deadline(v);
        if (gd < d)
            d = gd;
    }
    for (int i = 0; i < gc->nshards; i++)
        for (struct pending_write *w = gc->shards[i]->writes; w; w = w->next)
            if (w->deadline_ms < d)
                d = w->deadline_ms;
    gc->armed_at = GROUP_NO_DEADLINE;
    evtimer_del(gc->timer);
    if (d != GROUP_NO_DEADLINE)
        arm(gc, d);
}

/* ---- writes ---- */

static void schedule_work(struct group_coordinator *gc)
{
    event_active(gc->work_ev, EV_TIMEOUT, 0);
}

static void on_shard_watch(struct partition_watch *w)
{
    /* Fired from inside partition code (appends, HW moves, deletion): defer. */
    struct shard *sh = (struct shard *)w;
    schedule_work(sh->gc);
}

/* Appends recs as one batch on the shard's partition; returns the append's Kafka error. */
static int16_t shard_append(struct group_coordinator *gc, struct shard *sh,
                            const struct group_write_record *recs, int n, struct pending_write *w)
{
    struct partition *p = sh->state == SHARD_ACTIVE ? shard_partition(gc, sh) : NULL;
    if (!p)
        return KERR_NOT_LEADER_OR_FOLLOWER;
    if (p->repl.nisr < p->cfg.min_insync_replicas)
        return KERR_NOT_ENOUGH_REPLICAS;
    int64_t now = clock_wall_ms();
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, 0, now);
    for (int i = 0; i < n; i++)
        rb_builder_add(&b, now, recs[i].key, recs[i].key_len, recs[i].value, recs[i].value_len,
                       NULL, 0);
    struct wbuf out;
    wbuf_init(&out, 256);
    int16_t err = KERR_NONE;
    if (rb_builder_finish(&b, &out) < 0) {
        err = KERR_MESSAGE_TOO_LARGE;
    } else {
        struct partition_append_result ar;
        err = partition_append_client(p, out.data, out.len, now, &ar);
        if (err == KERR_NONE) {
            w->base_offset = ar.base_offset;
            w->last_offset = ar.last_offset;
            w->need_flush = partition_flush_awaited(p, ar.last_offset);
            if (w->need_flush && partition_sync_on_append(p))
                replica_manager_request_flush(gc->env->rm, p);
        } else {
            LOG_WARN("group", "%s-%d: coordinator append failed: %s", GROUP_OFFSETS_TOPIC,
                     sh->index, ar.error_message ? ar.error_message : kafka_error_name(err));
        }
    }
    rb_builder_free(&b);
    wbuf_free(&out);
    return err;
}

void group_coordinator_write(struct group_coordinator *gc, struct group *g,
                             const struct group_write_record *recs, int n, group_write_cb cb,
                             void *ctx)
{
    struct shard *sh = shard_ensure(gc, g->shard);
    struct pending_write *w = xcalloc(1, sizeof *w);
    w->base_offset = w->last_offset = -1;
    w->group_id = xstrdup(g->id);
    w->incarnation = g->incarnation;
    w->cb = cb;
    w->ctx = ctx;
    w->deadline_ms = clock_wall_ms() + gc->commit_timeout_ms;
    int16_t err = shard_append(gc, sh, recs, n, w);
    if (err != KERR_NONE) {
        w->failed = true;
        w->err = err;
    }
    g->pending_writes++;
    struct pending_write **tail = &sh->writes;
    while (*tail)
        tail = &(*tail)->next;
    *tail = w;
    schedule_work(gc);
    arm(gc, w->deadline_ms);
}

struct group *group_coordinator_find_group(struct group_coordinator *gc, const char *group_id,
                                           uint64_t incarnation)
{
    struct group *g = strmap_get(&gc->groups, group_id);
    return g && g->incarnation == incarnation ? g : NULL;
}

static void complete_write(struct group_coordinator *gc, struct pending_write *w, int16_t err)
{
    struct group *g = group_coordinator_find_group(gc, w->group_id, w->incarnation);
    if (g && g->pending_writes > 0)
        g->pending_writes--;
    w->cb(w->ctx, err, err == KERR_NONE ? w->base_offset : -1);
    free(w->group_id);
    free(w);
}

/*
 * Completes the shard's writes that are committed, failed or timed out (in
 * log order) and re-arms the partition watch for the rest.  `fail` forces
 * every write to fail with that error (unload, shutdown).
 */
static void process_writes(struct group_coordinator *gc, struct shard *sh, int16_t fail)
{
    int64_t now = clock_wall_ms();
    struct partition *p =
        fail == KERR_NONE && sh->state == SHARD_ACTIVE ? shard_partition(gc, sh) : NULL;
    struct pending_write *done = NULL, **done_tail = &done;
    struct pending_write **pp = &sh->writes;
    while (*pp) {
        struct pending_write *w = *pp;
        int16_t err = KERR_NONE;
        bool finished = true;
        if (w->failed)
            err = w->err;
        else if (fail != KERR_NONE)
            err = fail;
        else if (!p)
            err = KERR_NOT_LEADER_OR_FOLLOWER;
        else if (p->repl.high_watermark > w->last_offset &&
                 (!w->need_flush || storage_log_recovery_point(p->log) > w->last_offset))
            err = KERR_NONE;
        else if (p->repl.nisr < p->cfg.min_insync_replicas)
            err = KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND;
        else if (now >= w->deadline_ms)
            err = KERR_REQUEST_TIMED_OUT;
        else
            finished = false;
        if (!finished) {
            pp = &w->next;
            continue;
        }
        *pp = w->next;
        w->next = NULL;
        w->err = err;
        *done_tail = w;
        done_tail = &w->next;
    }
    partition_watch_remove(&sh->watch);
    if (sh->writes && p)
        partition_watch_add(p, &sh->watch, on_shard_watch);
    /* Callbacks last: they may queue new writes on this shard. */
    while (done) {
        struct pending_write *w = done;
        done = w->next;
        complete_write(gc, w, w->err);
    }
}

/* ---- group metadata writes (group_ops.store) ---- */

static void store_written(void *ctx, int16_t err, int64_t base_offset)
{
    (void)base_offset;
    struct store_ctx *sc = ctx;
    struct group *g = group_coordinator_find_group(sc->gc, sc->group_id, sc->incarnation);
    if (g) {
        group_store_done(g, sc->st, err, clock_wall_ms());
        group_coordinator_touch(sc->gc, g);
    } else {
        group_store_free(sc->st);
    }
    free(sc->group_id);
    free(sc);
}

static void op_store(void *ctx, struct group *g, struct group_store *st)
{
    struct group_coordinator *gc = ctx;
    struct arena a = ARENA_INIT;
    struct group_metadata_value v;
    group_metadata_snapshot(g, &a, &v);
    struct wbuf key, val;
    wbuf_init(&key, 64);
    wbuf_init(&val, 256);
    struct store_ctx *sc = xcalloc(1, sizeof *sc);
    sc->gc = gc;
    sc->group_id = xstrdup(g->id);
    sc->incarnation = g->incarnation;
    sc->st = st;
    if (group_records_group_key(&key, g->id) < 0 || group_records_group_value(&val, &v) < 0) {
        /* A field longer than the record format allows: fail like an oversized append. */
        struct shard *sh = shard_ensure(gc, g->shard);
        struct pending_write *w = xcalloc(1, sizeof *w);
        w->group_id = xstrdup(g->id);
        w->incarnation = g->incarnation;
        w->cb = store_written;
        w->ctx = sc;
        w->failed = true;
        w->err = KERR_MESSAGE_TOO_LARGE;
        w->deadline_ms = clock_wall_ms();
        g->pending_writes++;
        struct pending_write **tail = &sh->writes;
        while (*tail)
            tail = &(*tail)->next;
        *tail = w;
        schedule_work(gc);
    } else {
        struct group_write_record rec = {key.data, (int32_t)key.len, val.data, (int32_t)val.len};
        group_coordinator_write(gc, g, &rec, 1, store_written, sc);
    }
    wbuf_free(&key);
    wbuf_free(&val);
    arena_free(&a);
}

static void op_join_done(void *ctx, void *waiter, const struct group_join_result *r)
{
    (void)ctx;
    struct group_waiter *w = waiter;
    w->join_done(w, r);
}

static void op_sync_done(void *ctx, void *waiter, const struct group_sync_result *r)
{
    (void)ctx;
    struct group_waiter *w = waiter;
    w->sync_done(w, r);
}

/* ---- loading and unloading ---- */

static struct group *new_group(struct group_coordinator *gc, const char *id, int32_t shard)
{
    struct group *g = group_new(id, &gc->gcfg, &gc->ops, clock_wall_ms());
    g->shard = shard;
    g->incarnation = ++gc->next_incarnation;
    strmap_put(&gc->groups, id, g);
    return g;
}

/* Unloads a shard: its groups go away (parked requests: NOT_COORDINATOR), writes fail. */
static void unload_shard(struct group_coordinator *gc, struct shard *sh, int16_t err)
{
    int n = 0;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        if (g->shard != sh->index)
            continue;
        group_unload(g, err);
        strmap_del(&gc->groups, k);
        group_free(g);
        n++;
    }
    if (sh->state != SHARD_NONE && n > 0)
        LOG_INFO("group", "unloaded %d group(s) of %s-%d", n, GROUP_OFFSETS_TOPIC, sh->index);
    sh->state = SHARD_NONE;
    sh->awaiting_hw = false;
    partition_watch_remove(&sh->hw_watch);
    process_writes(gc, sh, KERR_NOT_LEADER_OR_FOLLOWER);
    partition_watch_remove(&sh->watch);
}

static void load_record(struct load_ctx *lc, const struct rb_record *rec, struct arena *a)
{
    struct group_coordinator *gc = lc->gc;
    struct group_record_key k;
    int kind = group_records_key_decode(rec->key, rec->key_len, a, &k);
    if (kind == GROUP_RECORD_OTHER)
        return;
    if (kind < 0) {
        LOG_WARN("group", "%s-%d: skipping an undecodable record key at offset %lld",
                 GROUP_OFFSETS_TOPIC, lc->sh->index, (long long)rec->offset);
        return;
    }
    struct group *g = strmap_get(&gc->groups, k.group.s);
    if (g && g->shard != lc->sh->index) {
        LOG_WARN("group", "%s-%d: group %s is already owned by partition %d; skipping",
                 GROUP_OFFSETS_TOPIC, lc->sh->index, k.group.s, g->shard);
        return;
    }
    lc->nrecords++;
    bool tombstone = rec->value == NULL || rec->value_len < 0;
    if (kind == GROUP_RECORD_OFFSET) {
        if (tombstone) {
            if (g)
                group_offset_remove(g, k.topic.s, k.partition, rec->offset);
            return;
        }
        struct group_offset_value v;
        if (group_records_offset_value_decode(rec->value, rec->value_len, a, &v) < 0) {
            LOG_WARN("group", "%s-%d: skipping an undecodable offset commit at offset %lld",
                     GROUP_OFFSETS_TOPIC, lc->sh->index, (long long)rec->offset);
            return;
        }
        if (!g)
            g = new_group(gc, k.group.s, lc->sh->index);
        struct group_offset o = {
            .topic = (char *)k.topic.s,
            .partition = k.partition,
            .offset = v.offset,
            .leader_epoch = v.leader_epoch,
            .metadata = (char *)v.metadata.s,
            .metadata_len = v.metadata.len,
            .commit_ts = v.commit_timestamp,
            .expire_ts = v.expire_timestamp,
            .record_offset = rec->offset,
        };
        group_offset_put(g, &o);
        return;
    }
    if (tombstone) {
        if (g)
            group_load_tombstone(g, lc->now);
        return;
    }
    struct group_metadata_value v;
    if (group_records_group_value_decode(rec->value, rec->value_len, a, &v) < 0) {
        LOG_WARN("group", "%s-%d: skipping undecodable group metadata at offset %lld",
                 GROUP_OFFSETS_TOPIC, lc->sh->index, (long long)rec->offset);
        return;
    }
    if (!g)
        g = new_group(gc, k.group.s, lc->sh->index);
    group_load_metadata(g, &v, lc->now);
}

static int load_batch(void *ctx, const uint8_t *batch, size_t len)
{
    struct load_ctx *lc = ctx;
    struct rb_header h;
    if (rb_header_parse(batch, len, &h) < 0)
        return SL_ECORRUPT;
    lc->next = rb_header_last_offset(&h) + 1;
    lc->budget -= (int64_t)len;
    /* Control batches and transactional offset commits (not written by this coordinator). */
    if (h.attributes & (RB_ATTR_CONTROL | RB_ATTR_TRANSACTIONAL))
        return lc->budget <= 0 ? 1 : 0;
    struct rb_iter it;
    int rc = rb_iter_init(&it, batch, len, LOAD_MAX_DECOMPRESSED);
    if (rc == 0) {
        struct arena a = ARENA_INIT;
        struct rb_record rec;
        while ((rc = rb_iter_next(&it, &rec)) > 0)
            load_record(lc, &rec, &a);
        arena_free(&a);
    }
    rb_iter_free(&it);
    if (rc < 0)
        LOG_WARN("group", "%s-%d: skipping a damaged batch at offset %lld: %s", GROUP_OFFSETS_TOPIC,
                 lc->sh->index, (long long)h.base_offset, sl_strerror(rc));
    return lc->budget <= 0 ? 1 : 0;
}

static void finish_load(struct group_coordinator *gc, struct shard *sh)
{
    int64_t now = clock_wall_ms();
    int n = 0;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        if (g->shard != sh->index)
            continue;
        group_load_finish(g, now);
        if (g->nmembers == 0 && !g->protocol_type && group_offset_count(g) == 0) {
            strmap_del(&gc->groups, k);
            group_free(g);
            continue;
        }
        n++;
    }
    sh->state = SHARD_ACTIVE;
    if (n == 0)
        return;
    LOG_INFO("group", "loaded %d group(s) from %s-%d (leader epoch %d) in %lld ms", n,
             GROUP_OFFSETS_TOPIC, sh->index, sh->epoch, (long long)(now - sh->load_started_ms));
}

static void on_hw_watch(struct partition_watch *w)
{
    /* Fired from inside partition code: the next load pass looks at the HW. */
    struct shard *sh = (struct shard *)(void *)((char *)w - offsetof(struct shard, hw_watch));
    event_active(sh->gc->load_ev, EV_TIMEOUT, 0);
}

/*
 * Replays one chunk of the shard's log; returns true when more remains.
 * The whole log is read, then the shard goes active only once the high
 * watermark covers it: a new leader may hold records its predecessor wrote
 * but never got committed, and serving them before the ISR has them could
 * show offsets that a further failover takes back (the new coordinator of
 * KIP-848 likewise serves only state up to the HW).
 */
static bool load_chunk(struct group_coordinator *gc, struct shard *sh)
{
    struct partition *p = shard_partition(gc, sh);
    if (!p) {
        unload_shard(gc, sh, KERR_NOT_COORDINATOR);
        gc->sync_pending = true;
        schedule_work(gc);
        return false;
    }
    int64_t end = partition_leo(p);
    if (sh->load_next < partition_log_start(p))
        sh->load_next = partition_log_start(p);
    if (sh->load_next < end) {
        struct load_ctx lc = {gc, sh, sh->load_next, LOAD_CHUNK_BYTES, clock_wall_ms(), 0};
        int rc = storage_log_scan(p->log, sh->load_next, load_batch, &lc);
        if (rc < 0) {
            LOG_ERROR("group",
                      "%s-%d: reading the log at %lld failed (%s); serving what was "
                      "loaded",
                      GROUP_OFFSETS_TOPIC, sh->index, (long long)lc.next, sl_strerror(rc));
        } else if (lc.next > sh->load_next) {
            sh->load_next = lc.next;
            if (rc == 1 && sh->load_next < end)
                return true;
        }
    }
    if (p->repl.high_watermark < sh->load_next) {
        if (!sh->awaiting_hw)
            LOG_DEBUG("group",
                      "%s-%d: read to offset %lld; waiting for the high watermark (%lld) to "
                      "reach it before serving",
                      GROUP_OFFSETS_TOPIC, sh->index, (long long)sh->load_next,
                      (long long)p->repl.high_watermark);
        sh->awaiting_hw = true;
        partition_watch_remove(&sh->hw_watch);
        partition_watch_add(p, &sh->hw_watch, on_hw_watch);
        return false;
    }
    sh->awaiting_hw = false;
    partition_watch_remove(&sh->hw_watch);
    finish_load(gc, sh);
    return false;
}

static void on_load(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    bool more = false;
    for (int i = 0; i < gc->nshards; i++)
        if (gc->shards[i]->state == SHARD_LOADING && load_chunk(gc, gc->shards[i]))
            more = true;
    if (more)
        event_active(gc->load_ev, EV_TIMEOUT, 0);
    rearm(gc);
}

static void start_load(struct group_coordinator *gc, struct shard *sh, struct partition *p)
{
    sh->state = SHARD_LOADING;
    sh->awaiting_hw = false;
    partition_watch_remove(&sh->hw_watch);
    sh->epoch = p->repl.leader_epoch;
    sh->load_next = partition_log_start(p);
    sh->load_started_ms = clock_wall_ms();
    LOG_DEBUG("group", "loading groups from %s-%d (leader epoch %d, offsets %lld-%lld)",
              GROUP_OFFSETS_TOPIC, sh->index, sh->epoch, (long long)sh->load_next,
              (long long)partition_leo(p));
    event_active(gc->load_ev, EV_TIMEOUT, 0);
}

/*
 * Follows leadership of __consumer_offsets partitions: load the ones led
 * here (again when the leader epoch changed), unload the others.
 */
static void sync_leadership(struct group_coordinator *gc)
{
    gc->sync_pending = false;
    const struct mi_topic *t = offsets_topic(gc);
    int32_t np = t ? t->npartitions : 0;
    int32_t n = np > gc->nshards ? np : gc->nshards;
    for (int32_t i = 0; i < n; i++) {
        struct partition *p = NULL;
        bool lead = i < np &&
                    replica_manager_lookup(gc->env->rm, GROUP_OFFSETS_TOPIC, i, &p) == KERR_NONE &&
                    p->repl.is_leader && !p->deleted;
        struct shard *sh = shard_at(gc, i);
        if (lead) {
            sh = shard_ensure(gc, i);
            if (sh->state == SHARD_NONE || sh->epoch != p->repl.leader_epoch) {
                if (sh->state != SHARD_NONE)
                    unload_shard(gc, sh, KERR_NOT_COORDINATOR);
                start_load(gc, sh, p);
            }
        } else if (sh && sh->state != SHARD_NONE) {
            unload_shard(gc, sh, KERR_NOT_COORDINATOR);
        }
    }
}

static void on_work(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    if (gc->sync_pending)
        sync_leadership(gc);
    /* No re-arming here: completions re-arm what they change (group_coordinator_touch). */
    for (int i = 0; i < gc->nshards; i++)
        if (gc->shards[i]->writes)
            process_writes(gc, gc->shards[i], KERR_NONE);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct group_coordinator *gc = arg;
    gc->armed_at = GROUP_NO_DEADLINE;
    int64_t now = clock_wall_ms();
    size_t it = 0;
    const char *k;
    void *v;
    /* Ticking never adds or removes groups, so iterating while ticking is safe. */
    while (strmap_next(&gc->groups, &it, &k, &v))
        if (group_next_deadline(v) <= now)
            group_tick(v, now);
    for (int i = 0; i < gc->nshards; i++)
        if (gc->shards[i]->writes)
            process_writes(gc, gc->shards[i], KERR_NONE);
    rearm(gc);
}

/* ---- image deltas ---- */

static void image_changed(struct group_coordinator *gc)
{
    gc->sync_pending = true;
    schedule_work(gc);
}

void group_coordinator_resync(struct group_coordinator *gc)
{
    if (gc)
        image_changed(gc);
}

static void on_topic_created(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    (void)img;
    if (strcmp(t->name, GROUP_OFFSETS_TOPIC) == 0)
        image_changed(ctx);
}

static void on_partition_changed(void *ctx, const struct metadata_image *img,
                                 const struct mi_topic *t, const struct mi_partition *old,
                                 const struct mi_partition *now)
{
    (void)img;
    (void)old;
    (void)now;
    if (strcmp(t->name, GROUP_OFFSETS_TOPIC) == 0)
        image_changed(ctx);
}

static void on_topic_deleted(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    on_topic_created(ctx, img, t);
}

/* ---- __consumer_offsets creation ---- */

static void on_topic_create_done(void *ctx, const struct env_topic_created *r)
{
    (void)ctx; /* none: the coordinator may be gone when the controller answers */
    if (r->error_code == KERR_NONE)
        LOG_INFO("group", "created %s with %d partition(s), replication factor %d", r->name,
                 r->num_partitions, r->replication_factor);
    else if (r->error_code != KERR_TOPIC_ALREADY_EXISTS)
        LOG_WARN("group", "creating %s failed: %s", r->name,
                 r->error_message ? r->error_message : kafka_error_name(r->error_code));
}

static void on_topic_forwarded(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)ctx;
    (void)a;
    const struct create_topics_resp *r = resp;
    if (err < 0) {
        LOG_WARN("group", "creating %s through the controller failed: no answer",
                 GROUP_OFFSETS_TOPIC);
        return;
    }
    for (int32_t i = 0; i < r->topics.n; i++) {
        const struct create_topics_resp_topic *t = &r->topics.v[i];
        if (t->error_code == KERR_NONE)
            LOG_INFO("group", "created %s through the controller", GROUP_OFFSETS_TOPIC);
        else if (t->error_code != KERR_TOPIC_ALREADY_EXISTS)
            LOG_WARN("group", "creating %s through the controller failed: %s", GROUP_OFFSETS_TOPIC,
                     t->error_message.s ? t->error_message.s : kafka_error_name(t->error_code));
    }
}

/*
 * Asks the active controller on another node for the topic, as a KRaft
 * broker's AutoTopicCreationManager does (KIP-590).  Returns false when no
 * other node is known to be the active controller.
 */
static bool forward_create(const struct broker_env *n, const struct env_create_topic *ct)
{
    struct kc_conn *c = n->controller_conn(n->ctx);
    if (!c)
        return false;
    int32_t nc = ct->nconfigs;
    struct create_topics_req_config *cfgs = xcalloc(nc > 0 ? (size_t)nc : 1, sizeof *cfgs);
    for (int32_t i = 0; i < nc; i++) {
        cfgs[i].name = (struct kstr){ct->configs[i].name, (int32_t)strlen(ct->configs[i].name)};
        cfgs[i].value = (struct kstr){ct->configs[i].value, (int32_t)strlen(ct->configs[i].value)};
    }
    struct create_topics_req_topic t = {0};
    t.name = (struct kstr){ct->name, (int32_t)strlen(ct->name)};
    t.num_partitions = ct->num_partitions;
    t.replication_factor = ct->replication_factor;
    t.configs.n = nc;
    t.configs.v = cfgs;
    struct create_topics_req req = {0};
    req.topics.n = 1;
    req.topics.v = &t;
    req.timeout_ms = FORWARD_CREATE_TIMEOUT_MS;
    const int16_t ver = 7;
    /* kc_send encodes the request before it returns. */
    bool sent = kc_send(c, KAPI_CREATE_TOPICS, ver,
                        proto_api_controller_is_flexible(KAPI_CREATE_TOPICS, ver),
                        &proto_create_topics_req_schema, &req, &proto_create_topics_resp_schema,
                        FORWARD_CREATE_TIMEOUT_MS, on_topic_forwarded, NULL) == 0;
    free(cfgs);
    return sent;
}

/*
 * Starts creating __consumer_offsets (at most once per second while it is
 * missing): directly on the active controller when it runs in this node,
 * else forwarded to it.
 */
static void ensure_topic(struct group_coordinator *gc)
{
    const struct broker_env *n = gc->env;
    int64_t now = clock_wall_ms();
    if (now - gc->create_requested_ms < TOPIC_CREATE_RETRY_MS)
        return;
    int32_t live = 0;
    size_t nb = metadata_image_broker_count(n->image);
    for (size_t i = 0; i < nb; i++)
        if (!metadata_image_broker_at(n->image, i)->fenced)
            live++;
    if (live < 1)
        return;
    /* Kafka refuses (COORDINATOR_NOT_AVAILABLE until enough brokers); issue #6 caps. */
    int32_t rf = n->cfg->offsets_topic_replication_factor;
    bool capped = rf > live;
    if (capped)
        rf = live;
    char segment[32];
    snprintf(segment, sizeof segment, "%lld",
             (long long)cfg_long(gc, "offsets.topic.segment.bytes", DEFAULT_OFFSETS_SEGMENT_BYTES));
    /*
     * cleanup.policy=compact as Kafka sets it.  retention.ms=-1 as well: the
     * log does not compact yet and time retention would otherwise delete
     * the only copy of an idle group's committed offsets.
     */
    struct env_topic_config configs[] = {
        {"cleanup.policy", "compact"},
        {"compression.type", "producer"},
        {"segment.bytes", segment},
        {"retention.ms", "-1"},
    };
    struct env_create_topic t = {
        .name = GROUP_OFFSETS_TOPIC,
        .num_partitions = n->cfg->offsets_topic_num_partitions,
        .replication_factor = (int16_t)rf,
        .configs = configs,
        .nconfigs = (int32_t)(sizeof configs / sizeof configs[0]),
    };
    bool local = n->create_topic_local(n->ctx, &t, on_topic_create_done, NULL);
    if (!local && !forward_create(n, &t))
        return; /* no controller reachable now: the next call tries again */
    gc->create_requested_ms = now;
    if (capped)
        LOG_WARN("group",
                 "%s: offsets.topic.replication.factor %d capped to %d, the number of live "
                 "brokers",
                 GROUP_OFFSETS_TOPIC, n->cfg->offsets_topic_replication_factor, live);
    LOG_INFO("group", "creating %s (%d partitions, replication factor %d)%s", GROUP_OFFSETS_TOPIC,
             t.num_partitions, rf, local ? "" : " through the active controller");
}

/* ---- public API ---- */

int16_t group_coordinator_find(struct group_coordinator *gc, const char *group_id,
                               const char *listener, int32_t *node_id, const char **host,
                               int32_t *port)
{
    *node_id = -1;
    *host = "";
    *port = -1;
    const struct mi_topic *t = offsets_topic(gc);
    if (!t) {
        ensure_topic(gc);
        return KERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (t->npartitions <= 0)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    int32_t idx = group_records_partition_for(group_id ? group_id : "", t->npartitions);
    const struct mi_partition *mp = metadata_image_partition(t, idx);
    if (!mp || mp->leader < 0)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    const struct mi_broker *b = metadata_image_broker(gc->env->image, mp->leader);
    if (!b || b->fenced)
        return KERR_COORDINATOR_NOT_AVAILABLE;
    for (int32_t i = 0; i < b->nendpoints; i++) {
        if (strcasecmp(b->endpoints[i].name, listener) == 0) {
            *node_id = b->id;
            *host = b->endpoints[i].host;
            *port = b->endpoints[i].port;
            return KERR_NONE;
        }
    }
    return KERR_COORDINATOR_NOT_AVAILABLE;
}

int16_t group_coordinator_lookup(struct group_coordinator *gc, const char *group_id, bool create,
                                 struct group **out)
{
    *out = NULL;
    const struct mi_topic *t = offsets_topic(gc);
    if (!t || t->npartitions <= 0)
        return KERR_NOT_COORDINATOR;
    int32_t idx = group_records_partition_for(group_id, t->npartitions);
    struct shard *sh = shard_at(gc, idx);
    if (sh && sh->state == SHARD_LOADING)
        return KERR_COORDINATOR_LOAD_IN_PROGRESS;
    if (!sh || sh->state != SHARD_ACTIVE)
        return KERR_NOT_COORDINATOR;
    struct group *g = strmap_get(&gc->groups, group_id);
    if (!g && create)
        g = new_group(gc, group_id, idx);
    *out = g;
    return KERR_NONE;
}

void group_coordinator_drop(struct group_coordinator *gc, struct group *g)
{
    if (strmap_get(&gc->groups, g->id) == g)
        strmap_del(&gc->groups, g->id);
    group_free(g);
}

bool group_coordinator_loading(const struct group_coordinator *gc)
{
    for (int i = 0; i < gc->nshards; i++)
        if (gc->shards[i]->state == SHARD_LOADING)
            return true;
    return false;
}

void group_coordinator_foreach(struct group_coordinator *gc, void (*fn)(void *ctx, struct group *g),
                               void *ctx)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        struct shard *sh = shard_at(gc, g->shard);
        if (sh && sh->state == SHARD_ACTIVE)
            fn(ctx, g);
    }
}

/* ---- retention ---- */

static void expiry_written(void *ctx, int16_t err, int64_t base_offset)
{
    (void)base_offset;
    char *group_id = ctx;
    if (err != KERR_NONE)
        LOG_WARN("group", "%s: writing expired-offset tombstones failed: %s", group_id,
                 kafka_error_name(err));
    free(group_id);
}

/* Expires g's offsets and, once it is empty and offset-less, g itself (tombstones). */
static void expire_group(struct group_coordinator *gc, struct group *g, int64_t now)
{
    int n = 0;
    struct group_offset **ex = group_expire_offsets(g, now, gc->retention_ms, &n);
    bool dispose = group_is_disposable(g);
    if (n == 0 && !dispose)
        return;
    int nrec = n + (dispose ? 1 : 0);
    struct group_write_record *recs = xcalloc((size_t)nrec, sizeof *recs);
    struct wbuf *keys = xcalloc((size_t)nrec, sizeof *keys);
    bool ok = true;
    for (int i = 0; i < nrec; i++) {
        wbuf_init(&keys[i], 64);
        int rc = i < n ? group_records_offset_key(&keys[i], g->id, ex[i]->topic, ex[i]->partition)
                       : group_records_group_key(&keys[i], g->id);
        ok = ok && rc == 0;
        recs[i] = (struct group_write_record){keys[i].data, (int32_t)keys[i].len, NULL, -1};
    }
    if (n > 0)
        LOG_INFO("group", "%s: %d committed offset(s) expired", g->id, n);
    if (dispose)
        LOG_INFO("group", "%s: empty group without offsets removed", g->id);
    if (ok)
        group_coordinator_write(gc, g, recs, nrec, expiry_written, xstrdup(g->id));
    for (int i = 0; i < nrec; i++)
        wbuf_free(&keys[i]);
    free(keys);
    free(recs);
    for (int i = 0; i < n; i++)
        group_offset_free(ex[i]);
    free(ex);
    if (dispose) {
        group_delete(g, now);
        group_coordinator_drop(gc, g);
    }
}

void group_coordinator_tick(struct group_coordinator *gc, int64_t now_ms)
{
    if (!gc || now_ms - gc->last_retention_check_ms < gc->retention_check_ms)
        return;
    gc->last_retention_check_ms = now_ms;
    /* Collect first: expiry may drop groups. */
    size_t cnt = gc->groups.count, ng = 0;
    struct group **gs = xcalloc(cnt ? cnt : 1, sizeof *gs);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        struct group *g = v;
        struct shard *sh = shard_at(gc, g->shard);
        if (sh && sh->state == SHARD_ACTIVE)
            gs[ng++] = g;
    }
    for (size_t i = 0; i < ng; i++)
        expire_group(gc, gs[i], now_ms);
    free(gs);
}

/* ---- life cycle ---- */

struct group_coordinator *group_coordinator_create(const struct broker_env *n)
{
    if (!n->rm)
        return NULL;
    struct group_coordinator *gc = xcalloc(1, sizeof *gc);
    gc->env = n;
    gc->gcfg.initial_rebalance_delay_ms = n->cfg->group_initial_rebalance_delay_ms;
    gc->gcfg.new_member_join_timeout_ms = NEW_MEMBER_JOIN_TIMEOUT_MS;
    gc->ops = (struct group_ops){gc, op_join_done, op_sync_done, op_store};
    gc->armed_at = GROUP_NO_DEADLINE;
    gc->retention_ms = (int64_t)n->cfg->offsets_retention_minutes * 60000;
    gc->retention_check_ms =
        cfg_long(gc, "offsets.retention.check.interval.ms", DEFAULT_RETENTION_CHECK_MS);
    gc->commit_timeout_ms =
        (int32_t)cfg_long(gc, "offsets.commit.timeout.ms", DEFAULT_COMMIT_TIMEOUT_MS);
    gc->last_retention_check_ms = clock_wall_ms();
    gc->create_requested_ms = INT64_MIN / 2;
    gc->timer = evtimer_new(n->base, on_timer, gc);
    gc->work_ev = event_new(n->base, -1, 0, on_work, gc);
    gc->load_ev = event_new(n->base, -1, 0, on_load, gc);
    /* Loading yields to client requests between chunks. */
    event_priority_set(gc->load_ev, 1);
    struct metadata_listener ml = {
        .ctx = gc,
        .topic_created = on_topic_created,
        .partition_changed = on_partition_changed,
        .topic_deleted = on_topic_deleted,
    };
    metadata_image_add_listener(n->image, &ml);
    sync_leadership(gc);
    return gc;
}

void group_coordinator_destroy(struct group_coordinator *gc)
{
    if (!gc)
        return;
    metadata_image_remove_listener(gc->env->image, gc);
    for (int i = 0; i < gc->nshards; i++)
        unload_shard(gc, gc->shards[i], KERR_NOT_COORDINATOR);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&gc->groups, &it, &k, &v)) {
        strmap_del(&gc->groups, k);
        group_free(v);
    }
    strmap_free(&gc->groups);
    for (int i = 0; i < gc->nshards; i++)
        free(gc->shards[i]);
    free(gc->shards);
    event_free(gc->timer);
    event_free(gc->work_ev);
    event_free(gc->load_ev);
    free(gc);
}
