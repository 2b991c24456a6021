/*
 * Hosted partitions, kept in step with the metadata image (replica_manager.h).
 *
 * On start the image is complete (the quorum replays synchronously), so the
 * manager reconciles once: every partition assigned to this broker is opened
 * and given its leadership state, and partition directories the image no
 * longer knows (topics deleted while the node was down) are removed.  After
 * that, image deltas drive changes.
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
#include "checkpoint.h"
#include "clock.h"
#include "err.h"
#include "log.h"
#include "metadata_image.h"
#include "node.h"
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
    struct node *node;
    const char *log_dir;
    struct strmap parts;                /* "topic partition" -> struct partition */
    struct strmap recovery_points, hws; /* from checkpoints at start: key -> int64_t* */
    struct strmap unopened;             /* assigned here, log could not be opened: key -> rm */
    bool dir_offline;                   /* the log dir failed (replica_manager_check_storage) */
    struct partition **flush_list;
    size_t nflush, cap_flush;
    struct event *flush_ev;
    struct replica_fetchers *fetchers; /* this broker's followers (replica_fetcher.h) */
    int64_t last_retention_ms, last_hw_ckpt_ms, last_rp_ckpt_ms;
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

static int64_t take_checkpoint(struct strmap *m, const char *key)
{
    int64_t *v = strmap_del(m, key);
    int64_t r = v ? *v : -1;
    free(v);
    return r;
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

/* Writes one checkpoint file with a value per hosted partition. */
static void write_checkpoint(struct replica_manager *rm, const char *name, bool hw)
{
    if (rm->dir_offline)
        return; /* Kafka checkpoints live log dirs only */
    size_t n = rm->parts.count, i = 0;
    struct storage_checkpoint_entry *e = xcalloc(n ? n : 1, sizeof *e);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        struct partition *p = v;
        e[i].topic = p->topic;
        e[i].partition = p->index;
        e[i].offset = hw ? p->high_watermark : storage_log_recovery_point(p->log);
        i++;
    }
    char *path = xasprintf("%s/%s", rm->log_dir, name);
    int rc = storage_checkpoint_write(path, e, i);
    if (rc < 0) {
        /* Kafka's OffsetCheckpointFile reports a failed write to the LogDirFailureChannel. */
        LOG_ERROR("broker", "cannot write %s: %s", path, sl_strerror(rc));
        if (rc == SL_EIO)
            replica_manager_fail_log_dir(rm);
    }
    free(path);
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

static const char *topic_value(struct replica_manager *rm, const char *topic, const char *name)
{
    const struct topic_config_def *d = topic_config_find(name);
    if (!d)
        return NULL;
    const char *override = metadata_image_config(rm->node->image, 2, topic, name);
    int8_t src;
    return topic_config_effective(d, override, node_broker_config_lookup, rm->node, &src);
}

/* Resolves the settings a topic's partitions apply (LogConfig). */
static void resolve_config(struct replica_manager *rm, const char *topic,
                           struct partition_config *pc)
{
    memset(pc, 0, sizeof *pc);
    storage_log_config_default(&pc->log);
    pc->log.segment_bytes =
        parse_long(topic_value(rm, topic, "segment.bytes"), pc->log.segment_bytes);
    pc->log.segment_ms = parse_long(topic_value(rm, topic, "segment.ms"), pc->log.segment_ms);
    pc->log.retention_ms = parse_long(topic_value(rm, topic, "retention.ms"), pc->log.retention_ms);
    pc->log.retention_bytes =
        parse_long(topic_value(rm, topic, "retention.bytes"), pc->log.retention_bytes);
    pc->log.index_interval_bytes = (int32_t)parse_long(
        topic_value(rm, topic, "index.interval.bytes"), pc->log.index_interval_bytes);
    pc->log.max_index_bytes =
        (int32_t)parse_long(topic_value(rm, topic, "segment.index.bytes"), pc->log.max_index_bytes);
    pc->log.flush_interval_messages =
        parse_long(topic_value(rm, topic, "flush.messages"), pc->log.flush_interval_messages);
    pc->log.flush_interval_ms =
        parse_long(topic_value(rm, topic, "flush.ms"), pc->log.flush_interval_ms);
    /* flush.messages=1 (fsync before acknowledging) is done by the broker as one group
     * commit per loop pass instead of an fsync inside every append. */
    pc->flush_messages = pc->log.flush_interval_messages;
    if (pc->flush_messages <= 1)
        pc->log.flush_interval_messages = INT64_MAX;
    pc->min_insync_replicas = (int32_t)parse_long(topic_value(rm, topic, "min.insync.replicas"), 1);
    pc->max_message_bytes =
        (int32_t)parse_long(topic_value(rm, topic, "max.message.bytes"), 1048588);
    const char *tt = topic_value(rm, topic, "message.timestamp.type");
    pc->log_append_time = tt && strcmp(tt, "LogAppendTime") == 0;
    const char *cp = topic_value(rm, topic, "cleanup.policy");
    pc->compact = cp && strstr(cp, "compact") != NULL;
    pc->timestamp_before_max_ms =
        parse_long(topic_value(rm, topic, "message.timestamp.before.max.ms"), INT64_MAX);
    pc->timestamp_after_max_ms =
        parse_long(topic_value(rm, topic, "message.timestamp.after.max.ms"), INT64_MAX);
}

static bool hosts(const struct mi_partition *mp, int32_t self)
{
    return mi_partition_has_replica(mp, self);
}

static void apply_state(struct replica_manager *rm, struct partition *p,
                        const struct mi_partition *mp)
{
    partition_set_state(p, rm->node->node_id, mp->leader, mp->leader_epoch, mp->partition_epoch,
                        mp->replicas, mp->nreplicas, mp->isr, mp->nisr);
    replica_fetchers_follow(rm->fetchers, p->topic, p->index, p->is_leader ? -1 : mp->leader);
}

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
        int64_t rp = take_checkpoint(&rm->recovery_points, key);
        int64_t hw = take_checkpoint(&rm->hws, key);
        int rc = rm->dir_offline ? SL_EIO
                                 : partition_open(rm->log_dir, t->name, mp->partition_id, &t->id,
                                                  &pc, rp, hw, &p);
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
}

static void on_topic_created(void *ctx, const struct metadata_image *img, const struct mi_topic *t)
{
    (void)img;
    struct replica_manager *rm = ctx;
    for (int32_t i = 0; i < t->npartitions; i++)
        if (hosts(&t->partitions[i], rm->node->node_id))
            ensure_partition(rm, t, &t->partitions[i]);
}

static void on_partition_changed(void *ctx, const struct metadata_image *img,
                                 const struct mi_topic *t, const struct mi_partition *old,
                                 const struct mi_partition *now)
{
    (void)img;
    (void)old;
    struct replica_manager *rm = ctx;
    if (!now)
        return;
    if (hosts(now, rm->node->node_id))
        ensure_partition(rm, t, now);
    else
        drop_partition(rm, t->name, now->partition_id);
}

static void on_broker_changed(void *ctx, const struct metadata_image *img,
                              const struct mi_broker *old, const struct mi_broker *now)
{
    (void)img;
    struct replica_manager *rm = ctx;
    if (!old || !now || old->epoch == now->epoch || now->id == rm->node->node_id)
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
    if (resource_type != 2)
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

/* Is `name` a partition directory ("<topic>-<n>") that the image does not assign here? */
static bool is_stray_dir(struct replica_manager *rm, const char *name)
{
    const char *dash = strrchr(name, '-');
    if (!dash || dash == name || !dash[1])
        return false;
    for (const char *c = dash + 1; *c; c++)
        if (*c < '0' || *c > '9')
            return false;
    if (strcmp(name, "__cluster_metadata-0") == 0)
        return false;
    char topic[256];
    size_t tl = (size_t)(dash - name);
    if (tl >= sizeof topic)
        return false;
    memcpy(topic, name, tl);
    topic[tl] = '\0';
    char key[300];
    part_key(key, sizeof key, topic, (int32_t)atoi(dash + 1));
    return strmap_get(&rm->parts, key) == NULL && strmap_get(&rm->unopened, key) == NULL;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *path = xasprintf("%s/%s", dir, de->d_name);
        unlink(path);
        free(path);
    }
    closedir(d);
    rmdir(dir);
}

/* Removes logs of topics deleted while this node was down (KRaft stray logs). */
void replica_manager_remove_stray_logs(struct replica_manager *rm)
{
    if (rm->dir_offline)
        return; /* nothing is written to a failed log dir */
    DIR *d = opendir(rm->log_dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char *path = xasprintf("%s/%s", rm->log_dir, de->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode) && is_stray_dir(rm, de->d_name)) {
            LOG_INFO("broker", "removing stray log %s (its topic no longer exists)", path);
            remove_tree(path);
        }
        free(path);
    }
    closedir(d);
}

void replica_manager_sync(struct replica_manager *rm)
{
    const struct metadata_image *img = rm->node->image;
    size_t nt = metadata_image_topic_count(img);
    for (size_t i = 0; i < nt; i++)
        on_topic_created(rm, img, metadata_image_topic_at(img, i));
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct replica_manager *rm = arg;
    /* Pop one at a time: flushing fires watchers, and a deleted partition is taken off
     * the list by unflush(), so the list never holds a freed partition. */
    while (rm->nflush > 0) {
        struct partition *p = rm->flush_list[--rm->nflush];
        p->flush_pending = false;
        int rc = partition_flush(p);
        if (rc < 0) {
            LOG_ERROR("broker", "fsync of %s-%d failed: %s", p->topic, p->index, sl_strerror(rc));
            replica_manager_check_storage(rm);
        }
    }
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

struct replica_manager *replica_manager_create(struct node *node)
{
    const struct broker_config *cfg = node->cfg;
    if (cfg->data_dirs.n == 0) {
        LOG_ERROR("broker", "no log directory configured");
        return NULL;
    }
    if (cfg->data_dirs.n > 1)
        LOG_WARN("broker", "several log.dirs are configured; only %s is used", cfg->data_dirs.v[0]);
    struct replica_manager *rm = xcalloc(1, sizeof *rm);
    rm->node = node;
    rm->log_dir = cfg->data_dirs.v[0];
    if (mkdir(rm->log_dir, 0755) < 0 && errno != EEXIST) {
        LOG_ERROR("broker", "cannot create log directory %s: %s", rm->log_dir, strerror(errno));
        free(rm);
        return NULL;
    }
    load_checkpoint(rm, RECOVERY_CHECKPOINT, &rm->recovery_points);
    load_checkpoint(rm, HW_CHECKPOINT, &rm->hws);
    rm->flush_ev = event_new(node->base, -1, 0, on_flush, rm);
    rm->fetchers = replica_fetchers_new(node);
    event_priority_set(rm->flush_ev, 1);
    int64_t now = clock_wall_ms();
    rm->last_retention_ms = rm->last_hw_ckpt_ms = rm->last_rp_ckpt_ms = now;

    replica_manager_sync(rm);
    struct metadata_listener ml = {
        .ctx = rm,
        .topic_created = on_topic_created,
        .partition_changed = on_partition_changed,
        .topic_deleted = on_topic_deleted,
        .broker_changed = on_broker_changed,
        .config_changed = on_config_changed,
    };
    metadata_image_add_listener(node->image, &ml);
    LOG_INFO("broker", "loaded %zu partition(s) from %s", rm->parts.count, rm->log_dir);
    return rm;
}

void replica_manager_destroy(struct replica_manager *rm)
{
    if (!rm)
        return;
    metadata_image_remove_listener(rm->node->image, rm);
    replica_fetchers_free(rm->fetchers);
    rm->fetchers = NULL;
    /* Close first (flushes every log), then record what is now durable. */
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&rm->parts, &it, &k, &v))
        storage_log_flush(((struct partition *)v)->log);
    write_checkpoint(rm, RECOVERY_CHECKPOINT, false);
    write_checkpoint(rm, HW_CHECKPOINT, true);
    it = 0;
    while (strmap_next(&rm->parts, &it, &k, &v))
        partition_close(v);
    strmap_free(&rm->parts);
    strmap_free(&rm->unopened);
    free_values(&rm->recovery_points);
    free_values(&rm->hws);
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
    const struct mi_topic *t = metadata_image_topic_by_name(rm->node->image, topic);
    if (!t || index < 0 || index >= t->npartitions)
        return KERR_UNKNOWN_TOPIC_OR_PARTITION;
    return KERR_NOT_LEADER_OR_FOLLOWER;
}

int16_t replica_manager_lookup_leader(struct replica_manager *rm, const char *topic, int32_t index,
                                      int32_t current_leader_epoch, struct partition **out)
{
    int16_t err = replica_manager_lookup(rm, topic, index, out);
    if (err == KERR_NONE && !(*out)->is_leader)
        err = KERR_NOT_LEADER_OR_FOLLOWER;
    if (err == KERR_NONE)
        err = partition_check_leader_epoch(*out, current_leader_epoch);
    return err;
}

void replica_manager_tick(struct replica_manager *rm, int64_t now_ms)
{
    const struct broker_config *cfg = rm->node->cfg;
    size_t it = 0;
    const char *k;
    void *v;
    int64_t mono = clock_mono_ms();
    while (strmap_next(&rm->parts, &it, &k, &v)) {
        struct partition *p = v;
        if (p->is_leader)
            isr_updates_maybe_propose(rm->node, p, mono);
        int rc = partition_offline(p) ? 0 : storage_log_maybe_flush(p->log, now_ms);
        if (rc < 0)
            LOG_ERROR("broker", "flush of %s-%d failed: %s", p->topic, p->index, sl_strerror(rc));
    }
    replica_manager_check_storage(rm);
    if (now_ms - rm->last_retention_ms >= cfg->log_retention_check_interval_ms) {
        rm->last_retention_ms = now_ms;
        it = 0;
        while (strmap_next(&rm->parts, &it, &k, &v)) {
            struct partition *p = v;
            int deleted = 0;
            /* Kafka never deletes data above the high watermark. */
            if (!partition_offline(p) &&
                storage_log_enforce_retention_below(p->log, now_ms, p->high_watermark, &deleted) ==
                    0 &&
                deleted > 0) {
                LOG_INFO("broker", "%s-%d: retention deleted %d segment(s); log start offset %lld",
                         p->topic, p->index, deleted, (long long)partition_log_start(p));
                if (p->high_watermark < partition_log_start(p))
                    p->high_watermark = partition_log_start(p);
            }
        }
    }
    if (now_ms - rm->last_hw_ckpt_ms >= cfg->replica_high_watermark_checkpoint_interval_ms) {
        rm->last_hw_ckpt_ms = now_ms;
        write_checkpoint(rm, HW_CHECKPOINT, true);
    }
    if (now_ms - rm->last_rp_ckpt_ms >= RECOVERY_CKPT_INTERVAL) {
        rm->last_rp_ckpt_ms = now_ms;
        write_checkpoint(rm, RECOVERY_CHECKPOINT, false);
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

int64_t replica_manager_fetcher_max_lag(const struct replica_manager *rm)
{
    return rm ? replica_fetchers_max_lag(rm->fetchers) : 0;
}
