/*
 * Partition replica state and the leader's append path (partition.h).
 */
#include "partition.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "leader_epoch.h"
#include "partition_meta.h"
#include "purgatory.h"
#include "log.h"
#include "xalloc.h"

/*
 * Cap on the decompressed records of one batch when validating (bomb guard):
 * 32 times max.message.bytes (32 MiB at the 1 MiB default), at least 16 MiB.
 * A client batch is at most max.message.bytes compressed, and real producers
 * fill batches by their uncompressed size (librdkafka's batch.size, the Java
 * client's compression-ratio estimate), far below this.
 */
#define MAX_DECOMPRESSED_FACTOR 32
#define MIN_DECOMPRESSED_CAP    (16 << 20)

char *partition_dir_name(const char *log_dir, const char *topic, int32_t index)
{
    return xasprintf("%s/%s-%d", log_dir, topic, index);
}

struct rebuild_ctx {
    struct producer_state *ps;
};

/* Records an idempotent producer's batch that is in the log (rebuild, follower appends). */
static void note_producer_batch(struct producer_state *ps, const struct rb_header *h)
{
    if (h->producer_id >= 0 && h->base_sequence >= 0 && !(h->attributes & RB_ATTR_CONTROL))
        producer_state_update(ps, h->producer_id, h->producer_epoch, h->base_sequence,
                              h->last_offset_delta + 1, h->base_offset, rb_header_last_offset(h),
                              h->max_timestamp);
}

static int rebuild_producer(void *arg, const uint8_t *batch, size_t len)
{
    struct rebuild_ctx *ctx = arg;
    struct rb_header h;
    if (rb_header_parse(batch, len, &h) == 0)
        note_producer_batch(ctx->ps, &h);
    return 0;
}

/* The replication core's settings for cfg. */
static void core_config(const struct partition_config *cfg, struct repl_config *out)
{
    out->min_isr = cfg->min_insync_replicas;
    out->isr_change_min_interval_ms = REPL_ISR_CHANGE_MIN_INTERVAL_MS;
}

int partition_open(const char *log_dir, const char *topic, int32_t index,
                   const struct uuid *topic_id, const struct partition_config *cfg,
                   int64_t recovery_point, int64_t hw_checkpoint, struct partition **out)
{
    char *dir = partition_dir_name(log_dir, topic, index);
    /* partition.metadata ties the directory to its topic id: a directory left by an
     * earlier topic of the same name holds data that is not this topic's, and it is
     * not ours to delete (the caller sets it aside as stray). */
    struct uuid on_disk;
    int rc = storage_partition_meta_read(dir, &on_disk);
    if (rc == 0 && !uuid_equal(&on_disk, topic_id)) {
        LOG_WARN("broker", "%s belongs to another topic id than %s-%d's", dir, topic, index);
        free(dir);
        return SL_EEXISTS;
    }
    int meta_rc = rc;
    struct storage_log *log = NULL;
    rc = storage_log_open(dir, &cfg->log, recovery_point, &log);
    if (rc < 0) {
        LOG_ERROR("broker", "cannot open log %s: %s", dir, sl_strerror(rc));
        free(dir);
        return rc;
    }
    if (meta_rc != 0 && (rc = storage_partition_meta_write(dir, topic_id)) < 0) {
        LOG_ERROR("broker", "cannot write %s/partition.metadata: %s", dir, sl_strerror(rc));
        storage_log_close(log);
        free(dir);
        return rc;
    }
    struct storage_leader_epoch_cache *epochs = NULL;
    rc = storage_leader_epoch_open(dir, &epochs);
    if (rc == SL_ECORRUPT && epochs) {
        /* A damaged checkpoint is rebuilt from the epochs stamped on the batches. */
        LOG_WARN("broker", "%s/leader-epoch-checkpoint is corrupt; rebuilding it from the log",
                 dir);
        rc = storage_leader_epoch_rebuild(epochs, log);
    }
    if (rc < 0) {
        LOG_ERROR("broker", "cannot load leader-epoch-checkpoint of %s: %s", dir, sl_strerror(rc));
        if (epochs)
            storage_leader_epoch_close(epochs);
        storage_log_close(log);
        free(dir);
        return rc;
    }
    free(dir);
    /* Entries past the recovered log end describe data that is gone. */
    storage_leader_epoch_truncate_from_end(epochs, storage_log_end_offset(log));

    struct partition *p = xcalloc(1, sizeof *p);
    p->topic = xstrdup(topic);
    p->index = index;
    p->topic_id = *topic_id;
    p->log = log;
    p->epochs = epochs;
    p->cfg = *cfg;
    p->watchers.next = p->watchers.prev = &p->watchers;
    p->watch_key = purgatory_partition_key(topic, strlen(topic), index);
    struct repl_config core_cfg;
    core_config(cfg, &core_cfg);
    repl_init(&p->repl, &core_cfg, hw_checkpoint, storage_log_start_offset(log),
              storage_log_end_offset(log));

    struct rebuild_ctx ctx = {&p->producers};
    rc = storage_log_scan(log, storage_log_start_offset(log), rebuild_producer, &ctx);
    if (rc < 0)
        LOG_WARN("broker", "%s-%d: rebuilding producer state stopped early: %s", topic, index,
                 sl_strerror(rc));
    *out = p;
    return 0;
}

/*
 * A leader-epoch checkpoint that cannot be written is an I/O failure of the
 * log dir like any other (Kafka's LeaderEpochFileCache reports it to the
 * LogDirFailureChannel): the replica goes offline rather than serve with a
 * checkpoint that no longer matches its log.
 */
static void check_epoch_write(struct partition *p, int rc)
{
    if (rc == 0)
        return;
    LOG_ERROR("broker", "%s-%d: cannot write leader-epoch-checkpoint: %s; the replica goes offline",
              p->topic, p->index, sl_strerror(rc));
    storage_log_mark_failed(p->log);
}

static void partition_free(struct partition *p)
{
    producer_state_free(&p->producers);
    repl_free(&p->repl);
    free(p->topic);
    free(p);
}

void partition_close(struct partition *p)
{
    p->deleted = true;
    partition_watch_fire_all(p);
    storage_leader_epoch_close(p->epochs);
    storage_log_close(p->log);
    partition_free(p);
}

void partition_delete(struct partition *p)
{
    p->deleted = true;
    partition_watch_fire_all(p);
    storage_leader_epoch_close(p->epochs);
    int rc = storage_log_delete(p->log);
    if (rc < 0)
        LOG_WARN("broker", "deleting %s-%d: %s", p->topic, p->index, sl_strerror(rc));
    partition_free(p);
}

void partition_set_config(struct partition *p, const struct partition_config *cfg)
{
    p->cfg = *cfg;
    core_config(cfg, &p->repl.cfg);
    storage_log_set_config(p->log, &cfg->log);
}

void partition_set_state(struct partition *p, int32_t self_id, int32_t leader_id,
                         int32_t leader_epoch, int32_t partition_epoch, const int32_t *replicas,
                         int nreplicas, const int32_t *isr, int nisr)
{
    struct repl_state_change ch;
    repl_set_state(&p->repl, self_id, leader_id, leader_epoch, partition_epoch, replicas, nreplicas,
                   isr, nisr, clock_mono_ms(), &ch);
    if (ch.new_leadership) {
        /* KIP-101: a new leader epoch starts at the current log end offset. */
        check_epoch_write(p,
                          storage_leader_epoch_assign(p->epochs, leader_epoch, partition_leo(p)));
        LOG_INFO("broker", "%s-%d: leader at epoch %d (log end offset %lld, high watermark %lld)",
                 p->topic, p->index, leader_epoch, (long long)partition_leo(p),
                 (long long)p->repl.high_watermark);
    } else if (ch.became_follower) {
        LOG_INFO("broker", "%s-%d: follower of %d at epoch %d (log end offset %lld)", p->topic,
                 p->index, leader_id, leader_epoch, (long long)partition_leo(p));
    }
    partition_hw_advance(p, false, true);
}

bool partition_sync_on_append(const struct partition *p)
{
    return p->cfg.flush_messages <= 1;
}

int16_t partition_check_leader_epoch(const struct partition *p, int32_t current_leader_epoch)
{
    if (current_leader_epoch < 0)
        return KERR_NONE;
    if (current_leader_epoch < p->repl.leader_epoch)
        return KERR_FENCED_LEADER_EPOCH;
    if (current_leader_epoch > p->repl.leader_epoch)
        return KERR_UNKNOWN_LEADER_EPOCH;
    return KERR_NONE;
}

static const char over_request_budget[] =
    "the request's records decompress to more than the broker validates in one request";

static size_t decompressed_cap(const struct partition *p)
{
    size_t cap = (size_t)p->cfg.max_message_bytes * MAX_DECOMPRESSED_FACTOR;
    return cap < MIN_DECOMPRESSED_CAP ? MIN_DECOMPRESSED_CAP : cap;
}

/* True when the batch at records (header checked or not) declares a codec. */
static bool batch_is_compressed(const uint8_t *records, size_t len)
{
    struct rb_header h;
    return rb_header_parse(records, len, &h) == 0 &&
           (h.attributes & RB_ATTR_COMPRESSION_MASK) != RB_COMPRESSION_NONE;
}

int16_t partition_append_client(struct partition *p, uint8_t *records, size_t len, int64_t now_ms,
                                struct partition_append_result *res)
{
    return partition_append_client_bounded(p, records, len, now_ms, NULL, NULL, res);
}

int16_t partition_append_client_bounded(struct partition *p, uint8_t *records, size_t len,
                                        int64_t now_ms, size_t *decompressed_used,
                                        struct arena *arena, struct partition_append_result *res)
{
    memset(res, 0, sizeof *res);
    res->base_offset = -1;
    res->last_offset = -1;
    res->log_append_time = -1;
    res->record_error_index = -1;
    if (partition_offline(p))
        return KERR_KAFKA_STORAGE_ERROR;
    if (!p->repl.is_leader)
        return KERR_NOT_LEADER_OR_FOLLOWER;

    /* The request's budget: what is left of max(request budget, this batch's cap). */
    size_t cap = decompressed_cap(p);
    bool budget_bound = false;
    if (decompressed_used && batch_is_compressed(records, len)) {
        size_t budget = cap > PARTITION_REQUEST_DECOMPRESS_BUDGET
                            ? cap
                            : (size_t)PARTITION_REQUEST_DECOMPRESS_BUDGET;
        size_t left = *decompressed_used < budget ? budget - *decompressed_used : 0;
        if (left < cap) {
            cap = left;
            budget_bound = true;
        }
        if (cap == 0) {
            res->error_message = over_request_budget;
            return KERR_RECORD_LIST_TOO_LARGE;
        }
    }

    struct rb_limits lim = {
        .max_decompressed_bytes = cap,
        .max_batch_bytes = (size_t)p->cfg.max_message_bytes,
        .require_zero_base_offset = true,
        .require_keys = p->cfg.compact,
        .timestamp_check = p->cfg.log_append_time ? RB_TS_LOG_APPEND_TIME : RB_TS_CREATE_TIME,
        .now_ms = now_ms,
        .timestamp_before_max_ms = p->cfg.timestamp_before_max_ms,
        .timestamp_after_max_ms = p->cfg.timestamp_after_max_ms,
        .record_errors_arena = arena,
    };
    struct rb_info info;
    int16_t kerr = KERR_NONE;
    int vrc = rb_validate(records, len, &lim, &info, &kerr);
    if (decompressed_used)
        *decompressed_used += info.decompress_work;
    if (vrc < 0) {
        res->record_error_index = info.error_record_index;
        res->error_message = info.error_message;
        res->record_errors = info.record_errors;
        res->n_record_errors = info.n_record_errors;
        if (info.decompress_over_cap && budget_bound) {
            res->error_message = over_request_budget;
            return KERR_RECORD_LIST_TOO_LARGE;
        }
        return kerr != KERR_NONE ? kerr : KERR_CORRUPT_MESSAGE;
    }
    if (info.transactional)
        /* Transactions (KIP-98 transactional producers) are not implemented. */
        return KERR_INVALID_TXN_STATE;

    if (info.producer_id >= 0) {
        struct producer_batch dup;
        switch (producer_state_check(&p->producers, info.producer_id, info.producer_epoch,
                                     info.base_sequence, info.records_count, &dup)) {
        case PRODUCER_OK:
            break;
        case PRODUCER_DUPLICATE:
            res->duplicate = true;
            res->base_offset = dup.first_offset;
            res->last_offset = dup.last_offset;
            return KERR_NONE;
        case PRODUCER_OUT_OF_ORDER:
            return KERR_OUT_OF_ORDER_SEQUENCE_NUMBER;
        case PRODUCER_FENCED:
            return KERR_INVALID_PRODUCER_EPOCH;
        }
    }

    int64_t base = partition_leo(p);
    rb_set_base_offset(records, base);
    rb_set_partition_leader_epoch(records, p->repl.leader_epoch);
    if (p->cfg.log_append_time) {
        rb_set_log_append_time(records, now_ms);
        res->log_append_time = now_ms;
    }
    int rc = storage_log_append(p->log, records, len, now_ms);
    /* All or nothing: the batch is in producer state exactly when it is in the log.
     * A failed append leaves the log end where it was (the segment is cut back); an
     * fsync that failed after the data went in leaves it in the log. */
    bool in_log = partition_leo(p) > base;
    if (in_log && info.producer_id >= 0)
        producer_state_update(&p->producers, info.producer_id, info.producer_epoch,
                              info.base_sequence, info.records_count, base,
                              base + info.last_offset_delta,
                              p->cfg.log_append_time ? now_ms : info.max_timestamp);
    if (rc < 0) {
        LOG_ERROR("broker", "%s-%d: append at offset %lld failed (%s): %s; the replica is offline",
                  p->topic, p->index, (long long)base,
                  in_log ? "written, not synced" : "not written", sl_strerror(rc));
        storage_log_mark_failed(p->log);
        if (in_log)
            partition_watch_fire_all(p);
        return KERR_KAFKA_STORAGE_ERROR;
    }
    res->base_offset = base;
    res->last_offset = base + info.last_offset_delta;
    partition_hw_advance(p, false, true);
    return KERR_NONE;
}

int16_t partition_read(struct partition *p, int64_t offset, int64_t max_bytes, bool min_one,
                       bool to_leo, struct storage_slice *out)
{
    int64_t bound = to_leo ? partition_leo(p) : p->repl.high_watermark;
    memset(out, 0, sizeof *out);
    out->fd = -1;
    out->first_offset = out->next_offset = offset;
    if (partition_offline(p))
        return KERR_KAFKA_STORAGE_ERROR;
    /* Out of range is judged against the log (Kafka: logStartOffset..logEndOffset); a
     * consumer between the high watermark and the log end just gets nothing yet. */
    if (offset < partition_log_start(p) || offset > partition_leo(p))
        return KERR_OFFSET_OUT_OF_RANGE;
    if (offset >= bound)
        return KERR_NONE;
    int rc = storage_log_read(p->log, offset, bound, max_bytes, min_one, out);
    if (rc == SL_ERANGE)
        return KERR_OFFSET_OUT_OF_RANGE;
    if (rc < 0) {
        LOG_ERROR("broker", "%s-%d: read at %lld failed: %s", p->topic, p->index, (long long)offset,
                  sl_strerror(rc));
        return KERR_KAFKA_STORAGE_ERROR;
    }
    return KERR_NONE;
}

bool partition_hw_advance(struct partition *p, bool hw_moved, bool log_moved)
{
    if (p->repl.is_leader && repl_leader_advance_hw(&p->repl, partition_leo(p)))
        hw_moved = true;
    if (hw_moved || log_moved)
        partition_watch_fire_all(p);
    return hw_moved;
}

bool partition_flush_awaited(const struct partition *p, int64_t offset)
{
    if (offset < storage_log_recovery_point(p->log))
        return false;
    return partition_sync_on_append(p) || storage_log_flush_requested(p->log, offset);
}

void partition_watch_add(struct partition *p, struct partition_watch *w,
                         void (*fire)(struct partition_watch *w))
{
    w->p = p;
    w->fire = fire;
    w->next = p->watchers.next;
    w->prev = &p->watchers;
    p->watchers.next->prev = w;
    p->watchers.next = w;
}

void partition_watch_remove(struct partition_watch *w)
{
    if (!w->next)
        return;
    w->prev->next = w->next;
    w->next->prev = w->prev;
    w->next = w->prev = NULL;
}

void partition_watch_fire_all(struct partition *p)
{
    /* Detach the list first: a fire callback may remove or re-add watches. */
    struct partition_watch head = p->watchers;
    if (head.next != &p->watchers) {
        head.next->prev = &head;
        head.prev->next = &head;
        p->watchers.next = p->watchers.prev = &p->watchers;
        while (head.next != &head) {
            struct partition_watch *w = head.next;
            partition_watch_remove(w);
            w->fire(w);
        }
    }
    purgatory_check(p->purgatory, p->watch_key);
}

void partition_end_offset_for_epoch(struct partition *p, int32_t epoch, int32_t *found_epoch,
                                    int64_t *end_offset)
{
    storage_leader_epoch_end_offset_for(p->epochs, epoch, partition_leo(p), found_epoch,
                                        end_offset);
}

int32_t partition_epoch_for_offset(struct partition *p, int64_t offset)
{
    size_t n = 0;
    const struct storage_epoch_entry *e = storage_leader_epoch_entries(p->epochs, &n);
    int32_t epoch = -1;
    for (size_t i = 0; i < n && e[i].start_offset <= offset; i++)
        epoch = e[i].epoch;
    return epoch;
}

/* Finds the first record with timestamp >= ts inside the batch at slice `sl`. */
static int refine_in_batch(struct partition *p, const struct storage_slice *sl, int64_t ts,
                           int64_t *offset, int64_t *timestamp)
{
    uint8_t hdr[RB_HEADER_SIZE];
    if (sl->len < RB_HEADER_SIZE || pread(sl->fd, hdr, sizeof hdr, sl->pos) != sizeof hdr)
        return SL_EIO;
    int32_t blen = (int32_t)be32_load(hdr + RB_OFF_LENGTH);
    if (blen < RB_HEADER_SIZE - RB_LOG_OVERHEAD || (int64_t)blen + RB_LOG_OVERHEAD > sl->len)
        return SL_ECORRUPT;
    size_t total = (size_t)blen + RB_LOG_OVERHEAD;
    uint8_t *batch = xmalloc(total);
    int rc = SL_EIO;
    if (pread(sl->fd, batch, total, sl->pos) == (ssize_t)total) {
        struct rb_iter it;
        rc = rb_iter_init(&it, batch, total, decompressed_cap(p));
        if (rc == 0) {
            struct rb_record rec;
            while ((rc = rb_iter_next(&it, &rec)) > 0) {
                if (rec.timestamp >= ts) {
                    *offset = rec.offset;
                    *timestamp = rec.timestamp;
                    break;
                }
            }
            rb_iter_free(&it);
            rc = rc < 0 ? rc : 0;
        }
    }
    free(batch);
    return rc;
}

int partition_offset_for_timestamp(struct partition *p, int64_t ts, int64_t *offset,
                                   int64_t *timestamp)
{
    *offset = -1;
    *timestamp = -1;
    int64_t from = -1;
    bool found = false;
    int rc = storage_log_offset_for_timestamp(p->log, ts, &from, &found);
    if (rc < 0 || !found || from >= p->repl.high_watermark)
        return rc < 0 ? rc : 0;
    /* The first batch whose max timestamp is >= ts holds the record we want. */
    struct storage_slice sl;
    rc = storage_log_read(p->log, from, p->repl.high_watermark, 1, true, &sl);
    if (rc < 0 || sl.len == 0)
        return rc < 0 ? rc : 0;
    rc = refine_in_batch(p, &sl, ts, offset, timestamp);
    if (rc == 0 && *offset >= p->repl.high_watermark)
        *offset = *timestamp = -1;
    return rc;
}

/* ---- leader side of replication ---- */

int16_t partition_replica_fetch(struct partition *p, int32_t replica_id, int64_t fetch_offset,
                                int32_t last_fetched_epoch, int64_t now_ms, int32_t *div_epoch,
                                int64_t *div_end_offset)
{
    int32_t found = -1;
    int64_t end = -1;
    if (p->repl.is_leader && last_fetched_epoch >= 0)
        partition_end_offset_for_epoch(p, last_fetched_epoch, &found, &end);
    switch (repl_leader_on_fetch(&p->repl, replica_id, fetch_offset, last_fetched_epoch, found, end,
                                 partition_log_start(p), partition_leo(p), now_ms, div_epoch,
                                 div_end_offset)) {
    case REPL_FETCH_NOT_FOLLOWER:
        return KERR_NOT_LEADER_OR_FOLLOWER;
    case REPL_FETCH_OUT_OF_RANGE:
        return KERR_OFFSET_OUT_OF_RANGE;
    case REPL_FETCH_DIVERGING:
        return KERR_NONE;
    case REPL_FETCH_OK:
        break;
    }
    partition_hw_advance(p, false, false);
    return KERR_NONE;
}

void partition_follower_restarted(struct partition *p, int32_t replica_id, int64_t now_ms)
{
    repl_leader_follower_restarted(&p->repl, replica_id, now_ms);
}

enum repl_isr_action partition_isr_change_answer(struct partition *p, uint32_t seq,
                                                 int32_t sent_epoch, enum repl_isr_outcome outcome,
                                                 int32_t leader_id, int32_t leader_epoch,
                                                 int32_t partition_epoch, const int32_t *isr,
                                                 int nisr)
{
    enum repl_isr_action a =
        repl_isr_change_answer(&p->repl, seq, sent_epoch, outcome, leader_id, leader_epoch,
                               partition_epoch, isr, nisr, clock_mono_ms());
    if (a == REPL_ISR_ENDED || a == REPL_ISR_APPLIED)
        partition_hw_advance(p, false, a == REPL_ISR_APPLIED);
    return a;
}

/* ---- follower side of replication ---- */

int16_t partition_append_replica(struct partition *p, const uint8_t *records, size_t len,
                                 int64_t now_ms, int64_t *appended)
{
    *appended = 0;
    if (partition_offline(p))
        return KERR_KAFKA_STORAGE_ERROR;
    size_t pos = 0, start = 0;
    const uint8_t *batch;
    size_t blen;
    int64_t next = partition_leo(p);
    int rc;
    /* Check every batch first (CRC, contiguous offsets) and record the leader epochs
     * of the valid ones (KIP-101) before they land, then append the valid prefix
     * [start, end): batches wholly below our log end are skipped. */
    size_t end = 0;
    while ((rc = rb_split(records, len, &pos, &batch, &blen)) == 1) {
        struct rb_header h;
        if (rb_header_parse(batch, blen, &h) < 0 || rb_crc_check(batch, blen) < 0) {
            LOG_WARN("broker", "%s-%d: corrupt batch from the leader at offset %lld", p->topic,
                     p->index, (long long)next);
            rc = SL_ECORRUPT;
            break;
        }
        if (end == start && rb_header_last_offset(&h) < next) {
            start = end = pos; /* already held */
            continue;
        }
        if (h.base_offset != next) {
            LOG_WARN("broker", "%s-%d: leader sent offset %lld where %lld was expected", p->topic,
                     p->index, (long long)h.base_offset, (long long)next);
            rc = SL_ECORRUPT;
            break;
        }
        check_epoch_write(
            p, storage_leader_epoch_assign(p->epochs, h.partition_leader_epoch, h.base_offset));
        next = rb_header_last_offset(&h) + 1;
        end = pos;
    }
    if (end > start) {
        int arc = storage_log_append(p->log, records + start, end - start, now_ms);
        if (arc < 0) {
            LOG_ERROR("broker", "%s-%d: replica append failed: %s; the replica is offline",
                      p->topic, p->index, sl_strerror(arc));
            storage_log_mark_failed(p->log);
            return KERR_KAFKA_STORAGE_ERROR;
        }
        size_t q = start;
        const uint8_t *b;
        size_t bl;
        while (q < end && rb_split(records, end, &q, &b, &bl) == 1) {
            struct rb_header h;
            if (rb_header_parse(b, bl, &h) == 0)
                note_producer_batch(&p->producers, &h);
        }
        *appended = (int64_t)(end - start);
        partition_hw_advance(p, false, true);
    }
    return rc == SL_ECORRUPT ? KERR_CORRUPT_MESSAGE : KERR_NONE;
}

int partition_truncate_to(struct partition *p, int64_t offset)
{
    if (offset >= partition_leo(p)) {
        /* Nothing to cut from the log, but an epoch this replica started as leader
         * without writing anything may sit at its log end: it must go, or the next
         * fetch reports it and diverges forever (Kafka's UnifiedLog.truncateTo). */
        storage_leader_epoch_truncate_from_end(p->epochs, partition_leo(p));
        return 0;
    }
    LOG_INFO("broker", "%s-%d: truncating from %lld to %lld (leader epoch %d)", p->topic, p->index,
             (long long)partition_leo(p), (long long)offset, p->repl.leader_epoch);
    int rc = storage_log_truncate_to(p->log, offset);
    if (rc < 0) {
        LOG_ERROR("broker", "%s-%d: truncation failed: %s", p->topic, p->index, sl_strerror(rc));
        storage_log_mark_failed(p->log);
        return rc;
    }
    int64_t leo = partition_leo(p);
    check_epoch_write(p, storage_leader_epoch_truncate_from_end(p->epochs, leo));
    producer_state_truncate(&p->producers, leo);
    repl_log_truncated(&p->repl, leo);
    partition_hw_advance(p, false, true);
    return 0;
}

int partition_truncate_diverging(struct partition *p, int32_t div_epoch, int64_t div_end_offset)
{
    int32_t own_epoch = -1;
    int64_t own_end = -1;
    if (div_epoch >= 0)
        partition_end_offset_for_epoch(p, div_epoch, &own_epoch, &own_end);
    int64_t to = repl_follower_truncation(&p->repl, div_epoch, div_end_offset, own_epoch, own_end,
                                          partition_leo(p));
    return partition_truncate_to(p, to);
}

int partition_follower_out_of_range(struct partition *p, int64_t sent_offset,
                                    int64_t leader_log_start, int64_t leader_hw)
{
    int64_t to;
    switch (repl_follower_out_of_range(&p->repl, sent_offset, leader_log_start, leader_hw,
                                       partition_leo(p), &to)) {
    case REPL_OOR_RESTART_AT:
        return partition_restart_at(p, to);
    case REPL_OOR_TRUNCATE:
        return partition_truncate_to(p, to);
    case REPL_OOR_RETRY:
        break;
    }
    return 0;
}

int partition_restart_at(struct partition *p, int64_t offset)
{
    LOG_INFO("broker", "%s-%d: log restarts at the leader's log start offset %lld", p->topic,
             p->index, (long long)offset);
    int rc = storage_log_truncate_fully(p->log, offset);
    if (rc < 0)
        return rc;
    check_epoch_write(p, storage_leader_epoch_clear(p->epochs));
    producer_state_truncate(&p->producers, 0);
    repl_log_restarted(&p->repl, offset);
    partition_hw_advance(p, false, true);
    return 0;
}

void partition_follower_update(struct partition *p, int64_t leader_hw, int64_t leader_log_start)
{
    if (p->repl.is_leader)
        return;
    int64_t leo = partition_leo(p);
    if (leader_log_start > partition_log_start(p) && leader_log_start <= leo &&
        leader_log_start <= leader_hw) {
        if (storage_log_advance_start_offset(p->log, leader_log_start) == 0)
            check_epoch_write(
                p, storage_leader_epoch_truncate_from_start(p->epochs, leader_log_start));
    }
    partition_hw_advance(p, repl_follower_on_leader_hw(&p->repl, leader_hw, leo), false);
}
