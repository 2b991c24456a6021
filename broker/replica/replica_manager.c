/*
 * Hosted partitions, kept in step with the metadata image (replica_manager.h).
 *
 * After a restart the metadata image is replayed while the node catches up
 * with the quorum, so what it says early on is old or incomplete.  The manager
 * therefore stays inactive (it ignores image deltas and opens no log) until
 * the node has replayed its own registration of this incarnation (KIP-631's
 * initial catch-up).  Activation then reconciles once: directories of
 * partitions the caught-up image does not assign here are renamed aside as
 * stray (never deleted), and every assigned partition is opened and given its
 * leadership state.  After that, image deltas drive changes.  Checkpoints
 * keep the entries of every partition whose log is on disk, loaded or not.
 */
#include "replica_manager.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker_config.h"
#include "broker_env.h"
#include "checkpoint.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "metadata_image.h"
#include "partition_meta.h"
#include "file_writer.h"
#include "fileutil.h"
#include "flusher.h"
#include "invariant.h"
#include "isr_updates.h"
#include "partition.h"
#include "replica_fetcher.h"
#include "strmap.h"
#include "topic_config.h"
#include "xalloc.h"

#define RECOVERY_CHECKPOINT    "recovery-point-offset-checkpoint"
#define HW_CHECKPOINT          "replication-offset-checkpoint"
#define RECOVERY_CKPT_INTERVAL 60000 /* log.flush.offset.checkpoint.interval.ms */

struct replica_manager {
    const struct broker_env *env;
    const char *log_dir;
    bool active;         /* replica_manager_activate ran: deltas apply */
    struct strmap parts; /* "topic partition" -> struct partition */
    /* Checkpointed values, key -> int64_t*: loaded at start, refreshed from the hosted
     * partitions before each write, dropped only with the partition's directory. */
    struct strmap recovery_points, hws;
    struct strmap strays;   /* directory names set aside as stray -> rm (a marker) */
    struct strmap unopened; /* assigned here, log could not be opened: key -> rm */
    bool dir_offline;       /* the log dir failed (replica_manager_check_storage) */
    /* flush.messages=1: partitions whose flush is asked for in this loop pass, begun
     * together at low priority (flush_ev) on the flush thread (flusher, flusher_ev). */
    struct partition **flush_list;
    size_t nflush, cap_flush;
    struct event *flush_ev;
    struct storage_flusher *flusher;
    struct event *flusher_ev;
    struct storage_file_writer *rp_writer, *hw_writer; /* periodic checkpoints, on flusher */
    struct replica_fetchers *fetchers; /* this broker's followers (replica_fetcher.h) */
    int64_t last_retention_ms, last_hw_ckpt_ms, last_rp_ckpt_ms, last_producer_expiry_ms;
};

static void part_key(char *buf, size_t len, const char *topic, int32_t index)
{
    snprintf(buf, len, "%s %d", topic, index);
}

static void load_checkpoint(struct replica_manager *rm, const char *name, struct strmap *into)
{
    char *path = xasprintf("%s/%s", rm->log_dir, name);
    struct storage_checkpoint_entry *e = NULL;
    size_t n = 0;
    int rc = storage_checkpoint_read(path, &e, &n);
    if (rc < 0 && rc != SL_ENOTFOUND)
        LOG_WARN("broker", "ignoring unreadable %s: %s", path, sl_strerror(rc));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char key[300];
        part_key(key, sizeof key, e[i].topic, e[i].partition);
        int64_t *v = xmalloc(sizeof *v);
        *v = e[i].offset;
        free(strmap_put(into, key, v));
    }
    storage_checkpoint_free(e, n);
    free(path);
}

static int64_t checkpoint_value(struct strmap *m, const char *key)
{
    int64_t *v = strmap_get(m, key);
    return v ? *v : -1;
}

static void checkpoint_set(struct strmap *m, const char *key, int64_t value)
{
    int64_t *v = strmap_get(m, key);
    if (!v) {
        v = xmalloc(sizeof *v);
        strmap_put(m, key, v);
    }
    *v = value;
}

/* The partition's directory is gone (deleted or renamed aside): forget its entries. */
static void checkpoint_forget(struct replica_manager *rm, const char *key)
{
    free(strmap_del(&rm->recovery_points, key));
    free(strmap_del(&rm->hws, key));
}

static void free_values(struct strmap *m)
{
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(m, &it, &k, &v))
        free(v);
    strmap_free(m);
}

/* Kafka's OffsetCheckpointFile reports a failed write to the LogDirFailureChannel. */
static void checkpoint_written(void *ctx, const char *path, int rc)
{
    if (rc == 0)
        return;
    LOG_ERROR("broker", "cannot write %s: %s", path, sl_strerror(rc));
    if (rc == SL_EIO)
        replica_manager_fail_log_dir(ctx);
}

static struct storage_file_writer *checkpoint_writer(struct replica_manager *rm, const char *name)
{
    char *path = xasprintf("%s/%s", rm->log_dir, name);
    struct storage_file_writer *w =
        storage_file_writer_new(rm->flusher, path, checkpoint_written, rm);
    free(path);
    return w;
}

/*
 * Writes one checkpoint file: the current value of every hosted partition and
 * the last known value of every partition whose log is on disk but not
 * (yet) loaded, so a restart that has not caught up never loses an entry.
 * The content is taken now; with a writer the flush thread writes it
 * (checkpoint_written reports its end), without one it is written here.
 */
static void write_checkpoint(struct replica_manager *rm, const char *name, bool hw,
                             struct storage_file_writer *w)
{
    if (rm->dir_offline)
        return; /* Kafka checkpoints live log dirs only */
    struct strmap *m = hw ? &rm->hws : &rm->recovery_points;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        struct partition *p = v;
        checkpoint_set(m, k, hw ? p->repl.high_watermark : storage_log_recovery_point(p->log));
    }
    struct storage_checkpoint_entry *e = xcalloc(m->count ? m->count : 1, sizeof *e);
    char **topics = xcalloc(m->count ? m->count : 1, sizeof *topics);
    size_t i = 0;
    it = 0;
    while (strmap_next(m, &it, &k, &v)) {
        const char *space = strrchr(k, ' ');
        SL_ASSERT(space != NULL);
        topics[i] = xstrndup(k, (size_t)(space - k));
        e[i].topic = topics[i];
        e[i].partition = (int32_t)atoi(space + 1);
        e[i].offset = *(int64_t *)v;
        i++;
    }
    char *path = xasprintf("%s/%s", rm->log_dir, name);
    void *data;
    size_t len;
    int rc = storage_checkpoint_format(path, e, i, &data, &len);
    if (rc == 0 && w != NULL) {
        storage_file_writer_write(w, data, len);
    } else if (rc == 0) {
        rc = storage_file_write_atomic(path, data, len);
        free(data);
    }
    checkpoint_written(rm, path, rc);
    free(path);
    for (size_t j = 0; j < i; j++)
        free(topics[j]);
    free(topics);
    free(e);
}

static int64_t parse_long(const char *s, int64_t dflt)
{
    if (!s)
        return dflt;
    char *end;
    long long v = strtoll(s, &end, 10);
    return (*s && !*end) ? (int64_t)v : dflt;
}

/* One topic setting's effective value; buf: TC_VALUE_BUF bytes the result may borrow, so
 * each value is parsed before the next lookup reuses buf. */
static const char *topic_value(struct replica_manager *rm, const char *topic, const char *name,
                               char *buf)
{
    const struct topic_config_def *d = topic_config_find(name);
    if (!d)
        return NULL;
    const char *override = metadata_image_config(rm->env->image, 2, topic, name);
    int8_t src;
    return topic_config_effective(d, override, broker_config_lookup, (void *)rm->env->cfg, &src,
                                  buf);
}

/* Resolves the settings a topic's partitions apply (LogConfig). */
static void resolve_config(struct replica_manager *rm, const char *topic,
                           struct partition_config *pc)
{
    char vbuf[TC_VALUE_BUF];
    memset(pc, 0, sizeof *pc);
    storage_log_config_default(&pc->log);
    pc->log.segment_bytes =
        parse_long(topic_value(rm, topic, "segment.bytes", vbuf), pc->log.segment_bytes);
    pc->log.segment_ms = parse_long(topic_value(rm, topic, "segment.ms", vbuf), pc->log.segment_ms);
    pc->log.segment_jitter_ms =
        parse_long(topic_value(rm, topic, "segment.jitter.ms", vbuf), pc->log.segment_jitter_ms);
    pc->log.retention_ms =
        parse_long(topic_value(rm, topic, "retention.ms", vbuf), pc->log.retention_ms);
    if (pc->log.retention_ms < 0)
        pc->log.retention_ms = -1; /* Kafka: any negative retention is unlimited */
    pc->log.file_delete_delay_ms = parse_long(topic_value(rm, topic, "file.delete.delay.ms", vbuf),
                                              pc->log.file_delete_delay_ms);
    pc->log.retention_bytes =
        parse_long(topic_value(rm, topic, "retention.bytes", vbuf), pc->log.retention_bytes);
    pc->log.index_interval_bytes = (int32_t)parse_long(
        topic_value(rm, topic, "index.interval.bytes", vbuf), pc->log.index_interval_bytes);
    pc->log.max_index_bytes = (int32_t)parse_long(
        topic_value(rm, topic, "segment.index.bytes", vbuf), pc->log.max_index_bytes);
    pc->log.flush_interval_messages =
        parse_long(topic_value(rm, topic, "flush.messages", vbuf), pc->log.flush_interval_messages);
    pc->log.flush_interval_ms =
        parse_long(topic_value(rm, topic, "flush.ms", vbuf), pc->log.flush_interval_ms);
    /* flush.messages=1 (fsync before acknowledging) is done by the broker as one group
     * commit per loop pass instead of an fsync inside every append. */
    pc->flush_messages = pc->log.flush_interval_messages;
    if (pc->flush_messages <= 1)
        pc->log.flush_interval_messages = INT64_MAX;
    pc->min_insync_replicas =
        (int32_t)parse_long(topic_value(rm, topic, "min.insync.replicas", vbuf), 1);
    pc->max_message_bytes =
        (int32_t)parse_long(topic_value(rm, topic, "max.message.bytes", vbuf), 1048588);
    const char *tt = topic_value(rm, topic, "message.timestamp.type", vbuf);
    pc->log_append_time = tt && strcmp(tt, "LogAppendTime") == 0;
    const char *cp = topic_value(rm, topic, "cleanup.policy", vbuf);
    pc->compact = cp && strstr(cp, "compact") != NULL;
    pc->timestamp_before_max_ms =
        parse_long(topic_value(rm, topic, "message.timestamp.before.max.ms", vbuf), INT64_MAX);
    pc->timestamp_after_max_ms =
        parse_long(topic_value(rm, topic, "message.timestamp.after.max.ms", vbuf), INT64_MAX);
}

static bool hosts(const struct mi_partition *mp, int32_t self)
{
    return mi_partition_has_replica(mp, self);
}

static void apply_state(struct replica_manager *rm, struct partition *p,
                        const struct mi_partition *mp)
{
    partition_set_state(p, rm->env->node_id, mp->leader, mp->leader_epoch, mp->partition_epoch,
                        mp->replicas, mp->nreplicas, mp->isr, mp->nisr);
    replica_fetchers_follow(rm->fetchers, p->topic, p->index, p->repl.is_leader ? -1 : mp->leader);
}

static void rename_stray(struct replica_manager *rm, const char *name, const char *key,
                         const char *why);
static void scan_strays(struct replica_manager *rm);

/* Opens (if needed) the local replica of t/mp and applies its state. */
static void ensure_partition(struct replica_manager *rm, const struct mi_topic *t,
                             const struct mi_partition *mp)
{
    char key[300];
    part_key(key, sizeof key, t->name, mp->partition_id);
    struct partition *p = strmap_get(&rm->parts, key);
    if (!p) {
        struct partition_config pc;
        resolve_config(rm, t->name, &pc);
        int64_t rp = checkpoint_value(&rm->recovery_points, key);
        int64_t hw = checkpoint_value(&rm->hws, key);
        int rc = rm->dir_offline ? SL_EIO
                                 : partition_open(rm->log_dir, t->name, mp->partition_id, &t->id,
                                                  &pc, rp, hw, &p);
        if (rc == SL_EEXISTS) {
            /* An earlier topic's data under this name: set it aside, start afresh. */
            char name[300];
            snprintf(name, sizeof name, "%s-%d", t->name, mp->partition_id);
            rename_stray(rm, name, key, "it belongs to an earlier topic of the same name");
            scan_strays(rm);
            rc = partition_open(rm->log_dir, t->name, mp->partition_id, &t->id, &pc, -1, -1, &p);
        }
        if (rc < 0) {
            /* The replica is offline on this broker (KAFKA_STORAGE_ERROR to clients); a
             * log that cannot be created or read is a failure of its log dir (Kafka's
             * LogManager.getOrCreateLog reports it to the LogDirFailureChannel). */
            if (!rm->dir_offline)
                LOG_ERROR("broker", "%s-%d: cannot open its log: %s; the replica is offline",
                          t->name, mp->partition_id, sl_strerror(rc));
            strmap_put(&rm->unopened, key, rm); /* any non-NULL value */
            if (rc == SL_EIO)
                replica_manager_fail_log_dir(rm);
            return;
        }
        strmap_del(&rm->unopened, key);
        strmap_put(&rm->parts, key, p);
        p->purgatory = rm->env->purgatory;
        storage_log_set_flusher(p->log, rm->flusher, p);
    }
    apply_state(rm, p, mp);
}

static void unflush(struct replica_manager *rm, struct partition *p)
{
    for (size_t i = 0; i < rm->nflush; i++) {
        if (rm->flush_list[i] == p) {
            rm->flush_list[i] = rm->flush_list[--rm->nflush];
            return;
        }
    }
}

static void drop_partition(struct replica_manager *rm, const char *topic, int32_t index)
{
    char key[300];
    part_key(key, sizeof key, topic, index);
    strmap_del(&rm->unopened, key);
    struct partition *p = strmap_del(&rm->parts, key);
    if (!p)
        return;
    unflush(rm, p);
    replica_fetchers_follow(rm->fetchers, topic, index, -1);
    LOG_INFO("broker", "deleting partition %s-%d", topic, index);
    partition_delete(p);
    checkpoint_forget(rm, key);
}

static void on_topic_created(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    (void)img;
    struct replica_manager *rm = ctx;
    if (!rm->active)
        return;
    for (int32_t i = 0; i < t->npartitions; i++)
        if (hosts(&t->partitions[i], rm->env->node_id))
            ensure_partition(rm, t, &t->partitions[i]);
}

static void on_partition_changed(void *ctx, const struct metadata_image *img,
                                 const struct mi_topic *t, const struct mi_partition *old,
                                 const struct mi_partition *now)
{
    (void)img;
    (void)old;
    struct replica_manager *rm = ctx;
    if (!now || !rm->active)
        return;
    if (hosts(now, rm->env->node_id))
        ensure_partition(rm, t, now);
    else
        drop_partition(rm, t->name, now->partition_id);
}

static void on_broker_changed(void *ctx, const struct metadata_image *img,
                              const struct mi_broker *old, const struct mi_broker *now)
{
    (void)img;
    struct replica_manager *rm = ctx;
    if (!rm->active || !old || !now || old->epoch == now->epoch || now->id == rm->env->node_id)
        return;
    int64_t mono = clock_mono_ms();
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v))
        partition_follower_restarted(v, now->id, mono);
}

static void on_topic_deleted(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    (void)img;
    struct replica_manager *rm = ctx;
    if (!rm->active)
        return;
    for (int32_t i = 0; i < t->npartitions; i++)
        drop_partition(rm, t->name, t->partitions[i].partition_id);
}

static void on_config_changed(void *ctx, const struct metadata_image *img, int8_t resource_type,
                              const char *resource_name, const char *key, const char *value)
{
    (void)img;
    (void)key;
    (void)value;
    struct replica_manager *rm = ctx;
    if (!rm->active || resource_type != 2)
        return;
    struct partition_config pc;
    resolve_config(rm, resource_name, &pc);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        struct partition *p = v;
        if (strcmp(p->topic, resource_name) == 0)
            partition_set_config(p, &pc);
    }
}

/*
 * Splits a partition directory name "<topic>-<n>" into its topic and index.
 * Returns false for anything else (the metadata log, stray or deleted dirs).
 */
static bool parse_partition_dir(const char *name, char *topic, size_t cap, int32_t *index)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !dash[1] || strlen(dash + 1) > 9)
        return false;
    for (const char *c = dash + 1; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    size_t tl = (size_t)(dash - name);
    if (tl >= cap || strcmp(name, "__cluster_metadata-0") == 0)
        return false;
    memcpy(topic, name, tl);
    topic[tl] = '\0';
    *index = (int32_t)atoi(dash + 1);
    return true;
}

/*
 * Why the partition directory `name` (holding topic id `id`) is stray in the
 * caught-up image, or NULL when the image assigns it to this broker
 * (LogManager.findStrayReplicas, KIP-858 / Kafka 3.7): decided by topic id,
 * so a topic deleted and re-created under the same name is told apart.
 */
static const char *stray_reason(struct replica_manager *rm, const char *topic, int32_t index,
                                const struct uuid *id)
{
    const struct mi_topic *t = metadata_image_topic_by_id(rm->env->image, id);
    if (!t)
        return "its topic id is not in the metadata";
    if (strcmp(t->name, topic) != 0)
        return "its topic id belongs to a topic of another name";
    const struct mi_partition *mp = metadata_image_partition(t, index);
    if (!mp)
        return "the topic has no such partition";
    if (!hosts(mp, rm->env->node_id))
        return "the partition is not assigned to this broker";
    return NULL;
}

/* Renames <log_dir>/<name> to <name>.<uuid>-stray (Kafka 3.7's naming); never deletes. */
static void rename_stray(struct replica_manager *rm, const char *name, const char *key,
                         const char *why)
{
    struct uuid u = uuid_random();
    char ustr[UUID_STR_LEN + 1];
    uuid_to_string(&u, ustr);
    char *from = xasprintf("%s/%s", rm->log_dir, name);
    char *to_name = xasprintf("%s.%s-stray", name, ustr);
    char *to = xasprintf("%s/%s", rm->log_dir, to_name);
    if (rename(from, to) != 0) {
        LOG_ERROR("broker", "stray log %s (%s) could not be renamed aside: %s; left in place", from,
                  why, strerror(errno));
    } else {
        storage_parent_dir_fsync(to);
        LOG_WARN("broker",
                 "stray log %s: %s; renamed to %s and kept (remove it by hand once you are sure "
                 "it is not needed)",
                 from, why, to_name);
        checkpoint_forget(rm, key);
    }
    free(to);
    free(to_name);
    free(from);
}

/* Notes every directory already renamed aside as stray (earlier runs), for the operator. */
static void scan_strays(struct replica_manager *rm)
{
    if (rm->dir_offline)
        return; /* nothing is written to a failed log dir */
    DIR *d = opendir(rm->log_dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len > 6 && strcmp(de->d_name + len - 6, "-stray") == 0 &&
            !strmap_get(&rm->strays, de->d_name))
            strmap_put(&rm->strays, de->d_name, rm); /* a marker: the key is what counts */
    }
    closedir(d);
}

/* Renames aside the partition directories the caught-up image does not assign here. */
static void set_strays_aside(struct replica_manager *rm)
{
    DIR *d = opendir(rm->log_dir);
    if (!d) {
        LOG_ERROR("broker", "cannot list %s: %s", rm->log_dir, strerror(errno));
        return;
    }
    struct dirent *de;
    char **names = NULL;
    size_t n = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        names = xrealloc(names, sizeof *names * (n + 1));
        names[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char topic[256], key[300];
        int32_t index;
        char *path = xasprintf("%s/%s", rm->log_dir, names[i]);
        struct stat st;
        if (parse_partition_dir(names[i], topic, sizeof topic, &index) && stat(path, &st) == 0 &&
            S_ISDIR(st.st_mode)) {
            part_key(key, sizeof key, topic, index);
            struct uuid id;
            int rc = storage_partition_meta_read(path, &id);
            if (rc < 0) {
                /* Without its topic id nothing can tell whose data this is: keep it. */
                LOG_WARN("broker", "%s has no readable partition.metadata (%s); leaving it alone",
                         path, sl_strerror(rc));
            } else {
                const char *why = stray_reason(rm, topic, index, &id);
                if (why)
                    rename_stray(rm, names[i], key, why);
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    scan_strays(rm);
}

void replica_manager_activate(struct replica_manager *rm)
{
    if (rm->active)
        return;
    rm->active = true;
    set_strays_aside(rm);
    replica_manager_sync(rm);
    LOG_INFO("broker", "metadata caught up at offset %lld: hosting %zu partition(s) from %s",
             (long long)metadata_image_offset(rm->env->image), rm->parts.count, rm->log_dir);
}

bool replica_manager_is_active(const struct replica_manager *rm)
{
    return rm->active;
}

size_t replica_manager_stray_logs(const struct replica_manager *rm, const char ***names)
{
    if (names) {
        *names = xcalloc(rm->strays.count ? rm->strays.count : 1, sizeof **names);
        size_t it = 0, i = 0;
        const char *k;
        void *v;
        while (strmap_next(&rm->strays, &it, &k, &v))
            (*names)[i++] = k;
    }
    return rm->strays.count;
}

void replica_manager_sync(struct replica_manager *rm)
{
    SL_ASSERT(rm->active);
    const struct metadata_image *img = rm->env->image;
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++)
        on_topic_created(rm, img, metadata_image_topic_at(img, i));
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct replica_manager *rm = arg;
    bool failed = false;
    while (rm->nflush > 0) {
        struct partition *p = rm->flush_list[--rm->nflush];
        p->flush_pending = false;
        if (storage_log_request_flush(p->log) < 0) {
            failed = true;
            partition_watch_fire_all(p); /* its waiters answer KAFKA_STORAGE_ERROR */
        }
    }
    if (failed)
        replica_manager_check_storage(rm);
}

/* A flush of p's log ended on the flush thread (storage_flush_done_fn): waiters for
 * flushed data (produces, group commits, this follower's next fetch) go on. */
static void on_log_flushed(void *owner, void *log_ctx, int rc)
{
    struct replica_manager *rm = owner;
    struct partition *p = log_ctx;
    if (rc < 0)
        LOG_ERROR("broker", "fsync of %s-%d failed: %s", p->topic, p->index, sl_strerror(rc));
    partition_watch_fire_all(p);
    if (!p->repl.is_leader && rc == 0)
        replica_fetchers_flushed(rm->fetchers, p->repl.leader_id);
    if (rc < 0)
        replica_manager_check_storage(rm);
}

static void on_flusher_ready(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct replica_manager *rm = arg;
    storage_flusher_complete(rm->flusher);
}

void replica_manager_request_flush(struct replica_manager *rm, struct partition *p)
{
    if (p->flush_pending)
        return;
    p->flush_pending = true;
    if (rm->nflush == rm->cap_flush) {
        rm->cap_flush = rm->cap_flush ? rm->cap_flush * 2 : 16;
        rm->flush_list = xrealloc(rm->flush_list, sizeof *rm->flush_list * rm->cap_flush);
    }
    rm->flush_list[rm->nflush++] = p;
    /* Low priority: every request read in this loop pass appends first, then one fsync. */
    event_active(rm->flush_ev, EV_TIMEOUT, 0);
}

struct replica_manager *replica_manager_create(const struct broker_env *env)
{
    const struct broker_config *cfg = env->cfg;
    if (cfg->data_dirs.n == 0) {
        LOG_ERROR("broker", "no log directory configured");
        return NULL;
    }
    if (cfg->data_dirs.n > 1)
        LOG_WARN("broker", "several log.dirs are configured; only %s is used", cfg->data_dirs.v[0]);
    struct replica_manager *rm = xcalloc(1, sizeof *rm);
    rm->env = env;
    rm->log_dir = cfg->data_dirs.v[0];
    if (mkdir(rm->log_dir, 0755) < 0 && errno != EEXIST) {
        LOG_ERROR("broker", "cannot create log directory %s: %s", rm->log_dir, strerror(errno));
        free(rm);
        return NULL;
    }
    if (storage_flusher_create(on_log_flushed, rm, &rm->flusher) < 0) {
        free(rm);
        return NULL;
    }
    rm->flusher_ev = event_new(env->base, storage_flusher_fd(rm->flusher), EV_READ | EV_PERSIST,
                               on_flusher_ready, rm);
    event_priority_set(rm->flusher_ev, 0); /* completions release answers */
    event_add(rm->flusher_ev, NULL);
    rm->rp_writer = checkpoint_writer(rm, RECOVERY_CHECKPOINT);
    rm->hw_writer = checkpoint_writer(rm, HW_CHECKPOINT);
    load_checkpoint(rm, RECOVERY_CHECKPOINT, &rm->recovery_points);
    load_checkpoint(rm, HW_CHECKPOINT, &rm->hws);
    rm->flush_ev = event_new(env->base, -1, 0, on_flush, rm);
    rm->fetchers = replica_fetchers_new(env);
    event_priority_set(rm->flush_ev, 1);
    int64_t now = clock_wall_ms();
    rm->last_retention_ms = rm->last_hw_ckpt_ms = rm->last_rp_ckpt_ms = now;
    rm->last_producer_expiry_ms = now;

    scan_strays(rm);
    struct metadata_listener ml = {
        .ctx = rm,
        .topic_created = on_topic_created,
        .partition_changed = on_partition_changed,
        .topic_deleted = on_topic_deleted,
        .broker_changed = on_broker_changed,
        .config_changed = on_config_changed,
    };
    metadata_image_add_listener(env->image, &ml);
    LOG_INFO("broker",
             "%zu partition checkpoint(s) in %s; logs open once the metadata has caught up",
             rm->hws.count, rm->log_dir);
    return rm;
}

void replica_manager_destroy(struct replica_manager *rm)
{
    if (!rm)
        return;
    metadata_image_remove_listener(rm->env->image, rm);
    replica_fetchers_free(rm->fetchers);
    rm->fetchers = NULL;
    /* Let the flush thread finish (a checkpoint write in flight ends, a pending one is
     * dropped), then flush every log here (shutdown flushes synchronously), then record
     * what is now durable. */
    event_free(rm->flusher_ev);
    storage_flusher_destroy(rm->flusher);
    storage_file_writer_free(rm->rp_writer);
    storage_file_writer_free(rm->hw_writer);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        storage_log_set_flusher(((struct partition *)v)->log, NULL, NULL);
        storage_log_flush(((struct partition *)v)->log);
    }
    write_checkpoint(rm, RECOVERY_CHECKPOINT, false, NULL);
    write_checkpoint(rm, HW_CHECKPOINT, true, NULL);
    it = 0;
    while (strmap_next(&rm->parts, &it, &k, &v))
        partition_close(v);
    strmap_free(&rm->parts);
    strmap_free(&rm->unopened);
    free_values(&rm->recovery_points);
    free_values(&rm->hws);
    strmap_free(&rm->strays);
    free(rm->flush_list);
    event_free(rm->flush_ev);
    free(rm);
}

int16_t replica_manager_lookup(struct replica_manager *rm, const char *topic, int32_t index,
                               struct partition **out)
{
    *out = NULL;
    if (!topic)
        return KERR_UNKNOWN_TOPIC_OR_PARTITION;
    char key[300];
    part_key(key, sizeof key, topic, index);
    struct partition *p = strmap_get(&rm->parts, key);
    if (p && partition_offline(p)) {
        replica_manager_check_storage(rm);
        return KERR_KAFKA_STORAGE_ERROR;
    }
    if (p) {
        *out = p;
        return KERR_NONE;
    }
    if (strmap_get(&rm->unopened, key) != NULL)
        return KERR_KAFKA_STORAGE_ERROR;
    const struct mi_topic *t = metadata_image_topic_by_name(rm->env->image, topic);
    if (!t || index < 0 || index >= t->npartitions)
        return KERR_UNKNOWN_TOPIC_OR_PARTITION;
    return KERR_NOT_LEADER_OR_FOLLOWER;
}

int16_t replica_manager_lookup_leader(struct replica_manager *rm, const char *topic, int32_t index,
                                      int32_t current_leader_epoch, struct partition **out)
{
    int16_t err = replica_manager_lookup(rm, topic, index, out);
    if (err == KERR_NONE && !(*out)->repl.is_leader)
        err = KERR_NOT_LEADER_OR_FOLLOWER;
    if (err == KERR_NONE)
        err = partition_check_leader_epoch(*out, current_leader_epoch);
    return err;
}

void replica_manager_tick(struct replica_manager *rm, int64_t now_ms)
{
    const struct broker_config *cfg = rm->env->cfg;
    size_t it = 0;
    const char *k;
    void *v;
    int64_t mono = clock_mono_ms();
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        struct partition *p = v;
        if (p->repl.is_leader)
            isr_updates_maybe_propose(rm->env, p, mono);
        int rc = partition_offline(p) ? 0 : storage_log_maybe_flush(p->log, now_ms);
        if (rc < 0)
            LOG_ERROR("broker", "flush of %s-%d failed: %s", p->topic, p->index, sl_strerror(rc));
        /* Segments retired by retention are removed file.delete.delay.ms after their
         * rename to *.deleted (Kafka schedules one delayed task per deletion). */
        if (!partition_offline(p) && storage_log_pending_deletes(p->log) > 0 &&
            (rc = storage_log_delete_expired(p->log, now_ms)) < 0)
            LOG_ERROR("broker", "removing deleted segments of %s-%d failed: %s", p->topic, p->index,
                      sl_strerror(rc));
    }
    replica_manager_check_storage(rm);
    if (now_ms - rm->last_producer_expiry_ms >= cfg->producer_id_expiration_check_interval_ms) {
        /* Kafka's removeExpiredProducers task bounds the state of idle producer ids. */
        rm->last_producer_expiry_ms = now_ms;
        it = 0;
        while (strmap_next(&rm->parts, &it, &k, &v)) {
            struct partition *p = v;
            size_t n = producer_state_remove_expired(&p->producers, now_ms,
                                                     cfg->producer_id_expiration_ms);
            if (n > 0)
                LOG_DEBUG("broker", "%s-%d: %zu idle producer id(s) expired", p->topic, p->index,
                          n);
        }
    }
    if (now_ms - rm->last_retention_ms >= cfg->log_retention_check_interval_ms) {
        rm->last_retention_ms = now_ms;
        it = 0;
        while (strmap_next(&rm->parts, &it, &k, &v)) {
            struct partition *p = v;
            int deleted = 0;
            /* Kafka never deletes data above the high watermark. */
            if (!partition_offline(p) &&
                storage_log_enforce_retention_below(p->log, now_ms, p->repl.high_watermark,
                                                    &deleted) == 0 &&
                deleted > 0) {
                LOG_INFO("broker", "%s-%d: retention deleted %d segment(s); log start offset %lld",
                         p->topic, p->index, deleted, (long long)partition_log_start(p));
                repl_log_start_advanced(&p->repl, partition_log_start(p));
            }
        }
    }
    if (now_ms - rm->last_hw_ckpt_ms >= cfg->replica_high_watermark_checkpoint_interval_ms) {
        rm->last_hw_ckpt_ms = now_ms;
        write_checkpoint(rm, HW_CHECKPOINT, true, rm->hw_writer);
    }
    if (now_ms - rm->last_rp_ckpt_ms >= RECOVERY_CKPT_INTERVAL) {
        rm->last_rp_ckpt_ms = now_ms;
        write_checkpoint(rm, RECOVERY_CHECKPOINT, false, rm->rp_writer);
    }
}

void replica_manager_fail_log_dir(struct replica_manager *rm)
{
    if (rm->dir_offline)
        return;
    rm->dir_offline = true;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v))
        storage_log_mark_failed(((struct partition *)v)->log);
    LOG_ERROR("broker",
              "LOG DIR %s IS OFFLINE after an I/O error: its %zu replica(s) answer "
              "KAFKA_STORAGE_ERROR and nothing more is written to it; the broker asks to be "
              "fenced so that leadership moves to other replicas.  Free space or fix the disk, "
              "then restart the broker to recover the logs",
              rm->log_dir, rm->parts.count + rm->unopened.count);
    /* Waiters (long polls, acks=all and fsync-on-append produces) answer now. */
    it = 0;
    while (strmap_next(&rm->parts, &it, &k, &v))
        partition_watch_fire_all(v);
}

void replica_manager_check_storage(struct replica_manager *rm)
{
    if (!rm || rm->dir_offline)
        return;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        if (partition_offline(v)) {
            replica_manager_fail_log_dir(rm);
            return;
        }
    }
}

bool replica_manager_log_dir_offline(const struct replica_manager *rm)
{
    return rm && rm->dir_offline;
}

const char *replica_manager_log_dir(const struct replica_manager *rm)
{
    return rm->log_dir;
}

int replica_manager_partition_count(const struct replica_manager *rm)
{
    return (int)rm->parts.count;
}

void replica_manager_foreach(const struct replica_manager *rm,
                             void (*fn)(void *ctx, struct partition *p), void *ctx)
{
    size_t it = 0;
    const char *key;
    void *v;
    while (strmap_next(&rm->parts, &it, &key, &v))
        fn(ctx, v);
}

int64_t replica_manager_follower_lag(const struct replica_manager *rm, const char *topic,
                                     int32_t index)
{
    return rm ? replica_fetchers_lag(rm->fetchers, topic, index) : -1;
}

int64_t replica_manager_fetcher_max_lag(const struct replica_manager *rm)
{
    return rm ? replica_fetchers_max_lag(rm->fetchers) : 0;
}
