/*
 * The partition log (partition_log.h): segment list, recovery on open, append
 * with roll and flush policy, reads, retention, truncation and scans.  Follows
 * Kafka's UnifiedLog/LocalLog/LogLoader; see the header for the contracts.
 */
#include "partition_log.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "fileutil.h"
#include "invariant.h"
#include "log.h"
#include "record_batch.h"
#include "segment.h"
#include "xalloc.h"

#define CLEAN_MARKER ".clean"

struct storage_log {
    char *dir;
    struct storage_log_config cfg;
    struct storage_segment_params sp;
    struct storage_segment **segs; /* ascending base offsets; the last is active */
    size_t nseg;
    size_t cap;
    int64_t start_offset;
    int64_t recovery_point;
    int64_t size_bytes;
    int64_t last_flush_ms; /* -1 until the first timed check */
    bool dir_dirty;        /* segment files created or removed since the last dir fsync */
    bool io_failed;        /* a write, sync or file operation failed: the log is offline */
    uint64_t generation;   /* bumped by truncation: flush jobs started before do not count */
    uint64_t (*random)(void *ctx); /* roll jitter source (storage_log_set_random) */
    void *random_ctx;
    uint64_t rng;                   /* state of the default source */
    struct pending_delete *pending; /* segments renamed *.deleted, oldest first */
    size_t npending, cappending;
    int64_t last_now_ms; /* the latest now_ms the log was given, -1 before any */
};

/* xorshift64*: the default jitter source; quality only needs to spread rolls. */
static uint64_t default_random(void *ctx)
{
    uint64_t *x = ctx;
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return *x * 0x2545F4914F6CDD1DULL;
}

static void seed_random(struct storage_log *l)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed)
        seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)l;
    l->rng = seed ? seed : 0x9E3779B97F4A7C15ULL;
    l->random = default_random;
    l->random_ctx = &l->rng;
}

void storage_log_set_random(struct storage_log *l, uint64_t (*fn)(void *ctx), void *ctx)
{
    if (fn == NULL) {
        seed_random(l);
        return;
    }
    l->random = fn;
    l->random_ctx = ctx;
}

int64_t storage_log_roll_jitter(const struct storage_log_config *c, uint64_t r)
{
    if (c->segment_jitter_ms <= 0)
        return 0;
    int64_t bound = c->segment_jitter_ms < c->segment_ms ? c->segment_jitter_ms : c->segment_ms;
    return (int64_t)(r % (uint64_t)bound);
}

/* A segment out of the log whose renamed files go at due_ms (-1: not yet known). */
struct pending_delete {
    struct storage_segment *s;
    int64_t due_ms;
};

void storage_log_config_default(struct storage_log_config *c)
{
    c->segment_bytes = 1024LL * 1024 * 1024;
    c->segment_ms = 7LL * 24 * 3600 * 1000;
    c->segment_jitter_ms = 0;
    c->file_delete_delay_ms = 60000;
    c->retention_ms = 7LL * 24 * 3600 * 1000;
    c->retention_bytes = -1;
    c->index_interval_bytes = 4096;
    c->max_index_bytes = 10 * 1024 * 1024;
    c->flush_interval_messages = INT64_MAX;
    c->flush_interval_ms = -1;
    c->preallocate = false;
}

int storage_log_config_validate(const struct storage_log_config *c)
{
    if (c->segment_bytes < 14 || c->segment_bytes > INT32_MAX || c->segment_ms < 1 ||
        c->segment_jitter_ms < 0 || c->file_delete_delay_ms < 0 || c->index_interval_bytes < 0 ||
        c->max_index_bytes < STORAGE_TIME_ENTRY_SIZE || c->flush_interval_messages < 1)
        return SL_EINVAL;
    return 0;
}

static struct storage_segment *active(const struct storage_log *l)
{
    return l->segs[l->nseg - 1];
}

const char *storage_log_dir(const struct storage_log *l)
{
    return l->dir;
}
int64_t storage_log_start_offset(const struct storage_log *l)
{
    return l->start_offset;
}
int64_t storage_log_end_offset(const struct storage_log *l)
{
    return active(l)->next_offset;
}
int64_t storage_log_size_bytes(const struct storage_log *l)
{
    return l->size_bytes;
}
int64_t storage_log_recovery_point(const struct storage_log *l)
{
    return l->recovery_point;
}
int64_t storage_log_unflushed_messages(const struct storage_log *l)
{
    int64_t n = storage_log_end_offset(l) - l->recovery_point;
    return n > 0 ? n : 0;
}
bool storage_log_failed(const struct storage_log *l)
{
    return l->io_failed;
}

void storage_log_mark_failed(struct storage_log *l)
{
    if (!l->io_failed)
        LOG_ERROR("storage", "%s: taken offline after an I/O error", l->dir);
    l->io_failed = true;
}

/* Refuses a change to a log that is offline (Kafka writes nothing to a failed log dir). */
static bool refuse_offline(const struct storage_log *l, const char *what)
{
    if (!l->io_failed)
        return false;
    LOG_DEBUG("storage", "%s: %s refused: the log is offline after an I/O error", l->dir, what);
    return true;
}
int storage_log_segment_count(const struct storage_log *l)
{
    return (int)l->nseg;
}

static void push_segment(struct storage_log *l, struct storage_segment *s)
{
    if (l->nseg == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->segs = xrealloc(l->segs, l->cap * sizeof *l->segs);
    }
    l->segs[l->nseg++] = s;
}

/* Removes segments [from, nseg) from the end of the list and from disk. */
static int delete_tail(struct storage_log *l, size_t from)
{
    int rc = 0;
    while (l->nseg > from) {
        struct storage_segment *s = l->segs[--l->nseg];
        l->size_bytes -= s->size;
        if (storage_segment_delete(s) != 0)
            rc = SL_EIO;
        l->dir_dirty = true;
    }
    return rc;
}

/*
 * Takes a segment out of the log for good.  With file_delete_delay_ms > 0 its
 * files are renamed *.deleted and removed later by sweep_deleted (Kafka's
 * LocalLog.deleteSegmentFiles with asyncDelete); readers holding its
 * descriptor keep working meanwhile.
 */
static int retire_segment(struct storage_log *l, struct storage_segment *s)
{
    if (l->cfg.file_delete_delay_ms <= 0)
        return storage_segment_delete(s);
    int rc = storage_segment_rename_deleted(s);
    if (l->npending == l->cappending) {
        l->cappending = l->cappending ? l->cappending * 2 : 8;
        l->pending = xrealloc(l->pending, l->cappending * sizeof *l->pending);
    }
    int64_t due = l->last_now_ms >= 0 && l->last_now_ms <= INT64_MAX - l->cfg.file_delete_delay_ms
                      ? l->last_now_ms + l->cfg.file_delete_delay_ms
                      : -1;
    l->pending[l->npending++] = (struct pending_delete){s, due};
    return rc;
}

/* Removes the renamed files of retired segments whose delay has passed. */
static int sweep_deleted(struct storage_log *l, int64_t now_ms)
{
    l->last_now_ms = now_ms;
    int rc = 0;
    size_t keep = 0;
    for (size_t i = 0; i < l->npending; i++) {
        struct pending_delete *p = &l->pending[i];
        if (p->due_ms < 0)
            p->due_ms = now_ms <= INT64_MAX - l->cfg.file_delete_delay_ms
                            ? now_ms + l->cfg.file_delete_delay_ms
                            : INT64_MAX;
        if (p->due_ms <= now_ms) {
            if (storage_segment_delete(p->s) != 0)
                rc = SL_EIO;
            l->dir_dirty = true;
        } else {
            l->pending[keep++] = *p;
        }
    }
    l->npending = keep;
    return rc;
}

int storage_log_delete_expired(struct storage_log *l, int64_t now_ms)
{
    if (l->npending == 0) {
        l->last_now_ms = now_ms;
        return 0;
    }
    int rc = sweep_deleted(l, now_ms);
    if (rc != 0)
        storage_log_mark_failed(l);
    return rc;
}

int storage_log_pending_deletes(const struct storage_log *l)
{
    return (int)l->npending;
}

/* Removes the first n segments. */
static int delete_head(struct storage_log *l, size_t n)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        l->size_bytes -= l->segs[i]->size;
        if (retire_segment(l, l->segs[i]) != 0)
            rc = SL_EIO;
    }
    memmove(l->segs, l->segs + n, (l->nseg - n) * sizeof *l->segs);
    l->nseg -= n;
    if (n > 0)
        l->dir_dirty = true;
    return rc;
}

/* Index of the segment whose base is the largest <= offset (0 when below all). */
static size_t seg_index(const struct storage_log *l, int64_t offset)
{
    size_t lo = 0, hi = l->nseg;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->segs[mid]->base <= offset)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int new_segment(struct storage_log *l, int64_t base)
{
    struct storage_segment *s;
    int rc = storage_segment_open(l->dir, base, &l->sp, true, &s);
    if (rc != 0)
        return rc;
    push_segment(l, s);
    l->dir_dirty = true;
    return 0;
}

/* ---- open and recovery ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Parses "<20 digits><suffix>" into *base. */
static bool parse_segment_name(const char *name, const char *suffix, int64_t *base)
{
    size_t n = strlen(name), sn = strlen(suffix);
    if (n != 20 + sn || strcmp(name + 20, suffix) != 0)
        return false;
    uint64_t v = 0;
    for (int i = 0; i < 20; i++) {
        if (name[i] < '0' || name[i] > '9')
            return false;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > ((uint64_t)INT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *base = (int64_t)v;
    return true;
}

struct dir_listing {
    int64_t *logs;
    size_t nlogs, caplogs;
    char **orphans; /* index files checked against logs later */
    int64_t *orphan_bases;
    size_t norph, caporph;
    size_t removed_deleted; /* leftover *.deleted files removed */
};

static void listing_free(struct dir_listing *d)
{
    free(d->logs);
    for (size_t i = 0; i < d->norph; i++)
        free(d->orphans[i]);
    free(d->orphans);
    free(d->orphan_bases);
}

static int list_dir(const char *dir, struct dir_listing *d)
{
    memset(d, 0, sizeof *d);
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        LOG_ERROR("storage", "cannot open %s: %s", dir, strerror(errno));
        return SL_EIO;
    }
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        int64_t base;
        size_t nl = strlen(de->d_name), sl = strlen(STORAGE_DELETED_SUFFIX);
        if (nl > sl && strcmp(de->d_name + nl - sl, STORAGE_DELETED_SUFFIX) == 0) {
            /* Left by a delayed delete that the previous run did not finish (Kafka's
             * LogLoader removes *.deleted files on load). */
            char *p = xasprintf("%s/%s", dir, de->d_name);
            if (unlink(p) != 0 && errno != ENOENT)
                LOG_WARN("storage", "cannot remove %s: %s", p, strerror(errno));
            else
                d->removed_deleted++;
            free(p);
            continue;
        }
        if (parse_segment_name(de->d_name, ".log", &base)) {
            if (d->nlogs == d->caplogs) {
                d->caplogs = d->caplogs ? d->caplogs * 2 : 16;
                d->logs = xrealloc(d->logs, d->caplogs * sizeof *d->logs);
            }
            d->logs[d->nlogs++] = base;
        } else if (parse_segment_name(de->d_name, ".index", &base) ||
                   parse_segment_name(de->d_name, ".timeindex", &base)) {
            if (d->norph == d->caporph) {
                d->caporph = d->caporph ? d->caporph * 2 : 16;
                d->orphans = xrealloc(d->orphans, d->caporph * sizeof *d->orphans);
                d->orphan_bases = xrealloc(d->orphan_bases, d->caporph * sizeof(int64_t));
            }
            d->orphans[d->norph] = xstrdup(de->d_name);
            d->orphan_bases[d->norph++] = base;
        }
    }
    closedir(dh);
    if (d->nlogs > 1)
        qsort(d->logs, d->nlogs, sizeof *d->logs, cmp_i64);
    return 0;
}

static bool has_log(const struct dir_listing *d, int64_t base)
{
    return d->nlogs > 0 && bsearch(&base, d->logs, d->nlogs, sizeof *d->logs, cmp_i64) != NULL;
}

/* Loads or recovers every segment; see storage_log_open. */
static int recover_segments(struct storage_log *l, const struct dir_listing *d, bool clean,
                            int64_t recovery_point)
{
    for (size_t i = 0; i < d->nlogs; i++) {
        int64_t base = d->logs[i];
        if (l->nseg > 0 && active(l)->next_offset > base) {
            LOG_WARN("storage",
                     "%s: segment %020" PRId64 " overlaps the previous one (which ends at %" PRId64
                     "): deleting it and %zu later segment(s)",
                     l->dir, base, active(l)->next_offset, d->nlogs - i - 1);
            for (size_t j = i; j < d->nlogs; j++) {
                struct storage_segment *s;
                if (storage_segment_open(l->dir, d->logs[j], &l->sp, false, &s) == 0)
                    storage_segment_delete(s);
            }
            l->dir_dirty = true;
            break;
        }
        struct storage_segment *s;
        int rc = storage_segment_open(l->dir, base, &l->sp, false, &s);
        if (rc != 0)
            return rc;
        push_segment(l, s);
        bool last = i + 1 == d->nlogs;
        /* Segment i was rolled at the LEO, so every offset in it is below the
         * next segment's base: a batch beyond it is damaged (the base offset
         * is outside the CRC). */
        s->limit = last ? INT64_MAX : d->logs[i + 1];
        bool trusted = clean || (!last && recovery_point >= 0 && d->logs[i + 1] <= recovery_point);
        if (trusted) {
            rc = storage_segment_load(s, &l->sp);
            if (rc == 0)
                s->limit = INT64_MAX;
            if (rc == SL_EIO)
                return rc;
            if (rc == 0) {
                l->size_bytes += s->size;
                continue;
            }
            LOG_WARN("storage", "%s: rebuilding the indexes of segment %020" PRId64, l->dir, base);
        }
        int64_t cut = 0;
        rc = storage_segment_recover(s, &l->sp, true, &cut);
        s->limit = INT64_MAX;
        if (rc == 0 && !last && cut == 0)
            rc = storage_segment_finish(s); /* final time index entry, as at roll */
        if (rc != 0)
            return rc;
        l->size_bytes += s->size;
        if (cut > 0 && !last) {
            /* Kafka's LogLoader.recoverLog: everything after an invalid batch goes. */
            LOG_WARN("storage", "%s: deleting %zu segment(s) after the invalid data in %020" PRId64,
                     l->dir, d->nlogs - i - 1, base);
            for (size_t j = i + 1; j < d->nlogs; j++) {
                struct storage_segment *t;
                if (storage_segment_open(l->dir, d->logs[j], &l->sp, false, &t) == 0)
                    storage_segment_delete(t);
            }
            l->dir_dirty = true;
            break;
        }
    }
    return 0;
}

static void free_log(struct storage_log *l)
{
    /* Files still waiting for their delay stay *.deleted; the next open removes them. */
    for (size_t i = 0; i < l->npending; i++)
        storage_segment_close(l->pending[i].s);
    free(l->pending);
    for (size_t i = 0; i < l->nseg; i++)
        storage_segment_close(l->segs[i]);
    free(l->segs);
    free(l->dir);
    free(l);
}

int storage_log_open(const char *dir, const struct storage_log_config *cfg, int64_t recovery_point,
                     struct storage_log **out)
{
    *out = NULL;
    if (storage_log_config_validate(cfg) != 0) {
        LOG_ERROR("storage", "%s: invalid log configuration", dir);
        return SL_EINVAL;
    }
    if (storage_mkdirs(dir) != 0)
        return SL_EIO;
    struct storage_log *l = xcalloc(1, sizeof *l);
    l->dir = xstrdup(dir);
    l->cfg = *cfg;
    storage_segment_params_from(&l->sp, cfg);
    l->last_flush_ms = -1;
    l->last_now_ms = -1;
    seed_random(l);

    char *marker = xasprintf("%s/%s", dir, CLEAN_MARKER);
    bool clean = access(marker, F_OK) == 0;
    int rc = 0;
    if (clean) {
        /* Remove the marker durably before anything else can change the log. */
        if (unlink(marker) != 0 || storage_dir_fsync(dir) != 0)
            rc = SL_EIO;
    }
    free(marker);

    struct dir_listing d;
    if (rc == 0)
        rc = list_dir(dir, &d);
    if (rc != 0) {
        free_log(l);
        return rc;
    }
    if (d.removed_deleted > 0) {
        LOG_INFO("storage", "%s: removed %zu leftover *.deleted file(s)", dir, d.removed_deleted);
        l->dir_dirty = true;
    }
    for (size_t i = 0; i < d.norph; i++) {
        if (!has_log(&d, d.orphan_bases[i])) {
            char *p = xasprintf("%s/%s", dir, d.orphans[i]);
            LOG_WARN("storage", "%s: removing index file without a segment", p);
            if (unlink(p) != 0)
                LOG_WARN("storage", "cannot remove %s: %s", p, strerror(errno));
            free(p);
            l->dir_dirty = true;
        }
    }
    if (!clean && d.nlogs > 0)
        LOG_INFO("storage", "%s: recovering from offset %" PRId64 " (unclean shutdown)", dir,
                 recovery_point);
    rc = recover_segments(l, &d, clean, recovery_point);
    listing_free(&d);
    if (rc == 0 && l->nseg == 0)
        rc = new_segment(l, 0);
    if (rc != 0) {
        free_log(l);
        return rc;
    }
    l->start_offset = l->segs[0]->base;
    /* Make whatever recovery saw durable, so that the recovery point is the LEO. */
    l->recovery_point = l->start_offset;
    rc = storage_log_flush(l);
    if (rc != 0) {
        free_log(l);
        return rc;
    }
    *out = l;
    return 0;
}

/* ---- close, delete, config ---- */

static int flush_all(struct storage_log *l)
{
    int rc = 0;
    for (size_t i = 0; i < l->nseg; i++)
        if (storage_segment_flush(l->segs[i]) != 0)
            rc = SL_EIO;
    if (l->dir_dirty) {
        if (storage_dir_fsync(l->dir) != 0)
            rc = SL_EIO;
        else
            l->dir_dirty = false;
    }
    if (rc == 0)
        l->recovery_point = storage_log_end_offset(l);
    return rc;
}

void storage_log_close(struct storage_log *l)
{
    if (l == NULL)
        return;
    int rc = SL_EIO;
    if (!l->io_failed) {
        /* An offline log is left as the failure left it: the next open recovers it. */
        rc = storage_segment_finish(active(l));
        if (flush_all(l) != 0)
            rc = SL_EIO;
    }
    if (rc == 0 && !l->io_failed) {
        char *marker = xasprintf("%s/%s", l->dir, CLEAN_MARKER);
        int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || fsync(fd) != 0 || storage_dir_fsync(l->dir) != 0)
            LOG_WARN("storage", "%s: cannot write the clean-shutdown marker", l->dir);
        if (fd >= 0)
            close(fd);
        free(marker);
    } else {
        LOG_WARN("storage", "%s: closed after I/O errors; the next open will recover", l->dir);
    }
    free_log(l);
}

int storage_log_delete(struct storage_log *l)
{
    char *dir = xstrdup(l->dir);
    free_log(l);
    int rc = 0;
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        rc = errno == ENOENT ? 0 : SL_EIO;
    } else {
        struct dirent *de;
        while ((de = readdir(dh)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char *p = xasprintf("%s/%s", dir, de->d_name);
            if (unlink(p) != 0) {
                LOG_ERROR("storage", "cannot remove %s: %s", p, strerror(errno));
                rc = SL_EIO;
            }
            free(p);
        }
        closedir(dh);
        if (rmdir(dir) != 0) {
            LOG_ERROR("storage", "cannot remove %s: %s", dir, strerror(errno));
            rc = SL_EIO;
        } else {
            storage_parent_dir_fsync(dir);
        }
    }
    free(dir);
    return rc;
}

int storage_log_set_config(struct storage_log *l, const struct storage_log_config *cfg)
{
    if (storage_log_config_validate(cfg) != 0)
        return SL_EINVAL;
    l->cfg = *cfg;
    storage_segment_params_from(&l->sp, cfg);
    for (size_t i = 0; i < l->nseg; i++) {
        l->segs[i]->oidx.max_entries = l->sp.max_oidx_entries ? l->sp.max_oidx_entries : 1;
        l->segs[i]->tidx.max_entries = l->sp.max_tidx_entries ? l->sp.max_tidx_entries : 1;
    }
    return 0;
}

/* ---- append ---- */

/* Kafka's LogSegment.shouldRoll. */
static bool should_roll(struct storage_log *l, struct storage_segment *s, size_t len,
                        int64_t last_offset, int64_t max_ts_in, int64_t now_ms)
{
    if (storage_index_full(&s->oidx) || storage_index_full(&s->tidx))
        return true;
    if (last_offset - s->base > INT32_MAX)
        return true;
    if (s->size == 0)
        return false;
    if (s->size > l->cfg.segment_bytes - (int64_t)len)
        return true;
    int64_t waited;
    if (s->first_ts >= 0)
        waited = max_ts_in - s->first_ts;
    else
        waited = s->created_ms >= 0 ? now_ms - s->created_ms : 0;
    if (s->roll_jitter_ms < 0)
        s->roll_jitter_ms = storage_log_roll_jitter(&l->cfg, l->random(l->random_ctx));
    return waited > l->cfg.segment_ms - s->roll_jitter_ms;
}

static int roll(struct storage_log *l, int64_t base)
{
    struct storage_segment *s = active(l);
    if (s->size == 0) {
        /* An empty active segment starts at the LEO already: it is the segment a roll
         * would create (Kafka's roll keeps it too). */
        return 0;
    }
    /* On a failure the old segment stays active and the log goes offline; a new
     * segment that could not be created whole leaves no files (segment_open). */
    SL_ASSERT_MSG(base > s->base, "a new segment must start above the active one");
    if (storage_segment_finish(s) != 0)
        return SL_EIO;
    LOG_DEBUG("storage", "%s: rolled new segment at offset %" PRId64, l->dir, base);
    return new_segment(l, base);
}

int storage_log_append(struct storage_log *l, const uint8_t *buf, size_t len, int64_t now_ms)
{
    int64_t leo = storage_log_end_offset(l);
    if (len == 0 || len > UINT32_MAX)
        return SL_EINVAL;
    if (refuse_offline(l, "append"))
        return SL_EIO;
    if (l->npending > 0 && sweep_deleted(l, now_ms) != 0) {
        storage_log_mark_failed(l);
        return SL_EIO;
    }
    l->last_now_ms = now_ms;
    size_t off = 0;
    int64_t expect = leo, max_ts_in = -1;
    while (off < len) {
        struct rb_header h;
        if (rb_header_parse(buf + off, len - off, &h) != 0 || h.last_offset_delta < 0 ||
            h.base_offset < expect || (off == 0 && h.base_offset != leo) ||
            h.base_offset > INT64_MAX - h.last_offset_delta - 1) {
            LOG_WARN("storage", "%s: refusing append at LEO %" PRId64 ": bad batch at byte %zu",
                     l->dir, leo, off);
            return SL_EINVAL;
        }
        expect = rb_header_last_offset(&h) + 1;
        if (h.max_timestamp > max_ts_in)
            max_ts_in = h.max_timestamp;
        off += rb_header_total_size(&h);
    }
    int64_t last_offset = expect - 1;
    if (last_offset - leo > INT32_MAX)
        return SL_EINVAL; /* cannot fit any segment */

    if (should_roll(l, active(l), len, last_offset, max_ts_in, now_ms)) {
        int rc = roll(l, leo);
        if (rc != 0) {
            l->io_failed = true;
            return rc;
        }
    }
    struct storage_segment *s = active(l);
    if (s->size + (int64_t)len > UINT32_MAX)
        return SL_ETOOLARGE;
    int rc = storage_segment_append(s, &l->sp, buf, len, now_ms);
    if (rc != 0) {
        l->io_failed = true;
        return rc;
    }
    SL_ASSERT_MSG(storage_log_end_offset(l) == last_offset + 1 && last_offset >= leo,
                  "an append must move the LEO to its last offset + 1");
    l->size_bytes += (int64_t)len;
    if (l->last_flush_ms < 0)
        l->last_flush_ms = now_ms;
    if (storage_log_unflushed_messages(l) >= l->cfg.flush_interval_messages) {
        rc = storage_log_flush(l);
        if (rc == 0)
            l->last_flush_ms = now_ms;
    }
    return rc;
}

/* ---- flush ---- */

struct storage_flush_job {
    int *fds; /* dup()ed descriptors to fdatasync; the last one may be the directory */
    size_t n;
    int dir_fd; /* directory to fsync, or -1 */
    int64_t target;
    uint64_t generation;
};

static int job_add(struct storage_flush_job *j, int fd, bool *dirty)
{
    if (!*dirty)
        return 0;
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (d < 0) {
        LOG_ERROR("storage", "cannot dup a segment descriptor: %s", strerror(errno));
        return SL_EIO;
    }
    j->fds = xrealloc(j->fds, (j->n + 1) * sizeof *j->fds);
    j->fds[j->n++] = d;
    *dirty = false;
    return 0;
}

int storage_log_flush_begin(struct storage_log *l, struct storage_flush_job **out)
{
    struct storage_flush_job *j = xcalloc(1, sizeof *j);
    j->dir_fd = -1;
    j->target = storage_log_end_offset(l);
    j->generation = l->generation;
    /* Segments holding [recovery point, LEO), plus the one before (its final
     * time index entry is written when it stops being active). */
    int rc = 0;
    for (size_t i = l->nseg; i-- > 0;) {
        struct storage_segment *s = l->segs[i];
        if (job_add(j, s->fd, &s->dirty) != 0 || job_add(j, s->oidx.fd, &s->oidx.dirty) != 0 ||
            job_add(j, s->tidx.fd, &s->tidx.dirty) != 0)
            rc = SL_EIO;
        if (s->base < l->recovery_point)
            break;
    }
    if (l->dir_dirty) {
        j->dir_fd = open(l->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (j->dir_fd < 0)
            rc = SL_EIO;
        else
            l->dir_dirty = false;
    }
    *out = j;
    return rc;
}

int storage_flush_job_run(struct storage_flush_job *j)
{
    int rc = 0;
    for (size_t i = 0; i < j->n; i++) {
        if (fdatasync(j->fds[i]) != 0) {
            LOG_ERROR("storage", "fdatasync failed: %s", strerror(errno));
            rc = SL_EIO;
        }
        close(j->fds[i]);
    }
    j->n = 0;
    if (j->dir_fd >= 0) {
        if (fsync(j->dir_fd) != 0) {
            LOG_ERROR("storage", "directory fsync failed: %s", strerror(errno));
            rc = SL_EIO;
        }
        close(j->dir_fd);
        j->dir_fd = -1;
    }
    return rc;
}

int storage_log_flush_end(struct storage_log *l, struct storage_flush_job *j, int rc)
{
    for (size_t i = 0; i < j->n; i++)
        close(j->fds[i]);
    if (j->dir_fd >= 0)
        close(j->dir_fd);
    if (rc == 0 && l->io_failed)
        rc = SL_EIO; /* an earlier write or sync failed: durability is unknown */
    if (rc != 0) {
        l->io_failed = true; /* no clean marker: the next open recovers */
    } else if (j->generation == l->generation && j->target > l->recovery_point) {
        int64_t leo = storage_log_end_offset(l);
        l->recovery_point = j->target < leo ? j->target : leo;
    }
    free(j->fds);
    free(j);
    return rc;
}

int storage_log_flush(struct storage_log *l)
{
    struct storage_flush_job *j;
    int rc = storage_log_flush_begin(l, &j);
    int rc2 = storage_flush_job_run(j);
    return storage_log_flush_end(l, j, rc != 0 ? rc : rc2);
}

int storage_log_maybe_flush(struct storage_log *l, int64_t now_ms)
{
    if (l->cfg.flush_interval_ms < 0)
        return 0;
    if (l->last_flush_ms < 0)
        l->last_flush_ms = now_ms;
    if (storage_log_unflushed_messages(l) == 0 && !l->dir_dirty)
        return 0;
    if (now_ms - l->last_flush_ms < l->cfg.flush_interval_ms)
        return 0;
    int rc = storage_log_flush(l);
    if (rc == 0)
        l->last_flush_ms = now_ms;
    return rc;
}

/* ---- reads ---- */

int storage_log_read(struct storage_log *l, int64_t offset, int64_t max_offset, int64_t max_bytes,
                     bool min_one, struct storage_slice *out)
{
    int64_t leo = storage_log_end_offset(l);
    out->fd = active(l)->fd;
    out->pos = active(l)->size;
    out->len = 0;
    out->first_offset = offset;
    out->next_offset = offset;
    if (offset < l->start_offset || offset > leo)
        return SL_ERANGE;
    if (offset == leo || offset >= max_offset)
        return 0;
    for (size_t i = seg_index(l, offset); i < l->nseg; i++) {
        int rc = storage_segment_read(l->segs[i], offset, max_offset, max_bytes, min_one, out);
        if (rc == SL_ENOTFOUND)
            continue; /* offset falls in a gap after this segment's last batch */
        if (rc == 0 && out->len > 0 && out->first_offset >= max_offset)
            out->len = 0;
        return rc;
    }
    out->len = 0;
    return 0;
}

int storage_log_offset_for_timestamp(struct storage_log *l, int64_t ts, int64_t *offset,
                                     bool *found)
{
    *found = false;
    *offset = -1;
    for (size_t i = seg_index(l, l->start_offset); i < l->nseg; i++) {
        struct storage_segment *s = l->segs[i];
        if (s->max_ts < ts)
            continue;
        int rc = storage_segment_offset_for_ts(s, ts, l->start_offset, offset, found);
        if (rc != 0 || *found)
            return rc;
    }
    return 0;
}

int storage_log_max_timestamp(struct storage_log *l, int64_t *ts, int64_t *offset)
{
    *ts = -1;
    *offset = -1;
    for (size_t i = 0; i < l->nseg; i++) {
        if (l->segs[i]->max_ts > *ts) {
            *ts = l->segs[i]->max_ts;
            *offset = l->segs[i]->max_ts_offset;
        }
    }
    return 0;
}

int storage_log_scan(struct storage_log *l, int64_t from,
                     int (*cb)(void *ctx, const uint8_t *batch, size_t len), void *ctx)
{
    for (size_t i = seg_index(l, from); i < l->nseg; i++) {
        int rc = storage_segment_scan(l->segs[i], from, cb, ctx);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- truncation, retention, start offset ---- */

static void recount_size(struct storage_log *l)
{
    l->size_bytes = 0;
    for (size_t i = 0; i < l->nseg; i++)
        l->size_bytes += l->segs[i]->size;
}

int storage_log_truncate_fully(struct storage_log *l, int64_t offset)
{
    if (offset < 0)
        return SL_EINVAL;
    if (refuse_offline(l, "truncation"))
        return SL_EIO;
    l->generation++;
    /* Keep one segment until its replacement exists, so the log is never empty. */
    int rc = delete_tail(l, 1);
    if (rc == 0) {
        struct storage_segment *s = l->segs[0];
        if (s->base == offset) {
            rc = storage_segment_truncate_to(s, &l->sp, offset);
        } else {
            rc = new_segment(l, offset);
            if (rc == 0)
                rc = delete_head(l, 1);
        }
    }
    if (rc == 0 && l->dir_dirty) {
        rc = storage_dir_fsync(l->dir);
        if (rc == 0)
            l->dir_dirty = false;
    }
    recount_size(l);
    if (rc != 0) {
        l->io_failed = true;
        return rc;
    }
    l->start_offset = offset;
    l->recovery_point = offset;
    LOG_INFO("storage", "%s: truncated fully, restarting at offset %" PRId64, l->dir, offset);
    return 0;
}

int storage_log_truncate_to(struct storage_log *l, int64_t offset)
{
    if (offset < 0)
        return SL_EINVAL;
    if (offset >= storage_log_end_offset(l))
        return 0;
    if (refuse_offline(l, "truncation"))
        return SL_EIO;
    if (offset < l->segs[0]->base)
        return storage_log_truncate_fully(l, offset);
    l->generation++;
    size_t keep = l->nseg;
    while (keep > 1 && l->segs[keep - 1]->base > offset)
        keep--;
    int rc = delete_tail(l, keep);
    if (rc == 0)
        rc = storage_segment_truncate_to(active(l), &l->sp, offset);
    if (rc == 0 && l->dir_dirty) {
        rc = storage_dir_fsync(l->dir);
        if (rc == 0)
            l->dir_dirty = false;
    }
    recount_size(l);
    int64_t leo = storage_log_end_offset(l);
    if (l->recovery_point > leo)
        l->recovery_point = leo;
    if (l->start_offset > offset)
        l->start_offset = offset; /* Kafka: logStartOffset = min(target, logStartOffset) */
    if (rc != 0)
        l->io_failed = true;
    else
        SL_ASSERT_MSG(leo <= offset, "a truncation must leave nothing at or above its target");
    LOG_INFO("storage", "%s: truncated to offset %" PRId64 " (LEO %" PRId64 ")", l->dir, offset,
             leo);
    return rc;
}

/* Segment i may go only when everything in it is below max_offset. */
static bool below(const struct storage_log *l, size_t i, int64_t max_offset)
{
    return i + 1 < l->nseg && l->segs[i + 1]->base <= max_offset;
}

int storage_log_enforce_retention_below(struct storage_log *l, int64_t now_ms, int64_t max_offset,
                                        int *deleted)
{
    size_t n = 0;
    if (deleted != NULL)
        *deleted = 0;
    if (refuse_offline(l, "retention"))
        return SL_EIO;
    if (storage_log_delete_expired(l, now_ms) != 0)
        return SL_EIO;
    if (l->cfg.retention_ms >= 0) {
        while (below(l, n, max_offset) &&
               now_ms - storage_segment_largest_ts(l->segs[n]) > l->cfg.retention_ms)
            n++;
    }
    if (l->cfg.retention_bytes >= 0) {
        int64_t diff = l->size_bytes - l->cfg.retention_bytes;
        for (size_t i = 0; i < n; i++)
            diff -= l->segs[i]->size;
        while (below(l, n, max_offset) && diff - l->segs[n]->size >= 0) {
            diff -= l->segs[n]->size;
            n++;
        }
    }
    int rc = 0;
    if (n > 0) {
        LOG_INFO("storage", "%s: retention deletes %zu segment(s) below offset %" PRId64, l->dir, n,
                 l->segs[n]->base);
        rc = delete_head(l, n);
        if (rc != 0)
            storage_log_mark_failed(l); /* files may remain: the next open sees them */
        if (l->segs[0]->base > l->start_offset)
            l->start_offset = l->segs[0]->base;
        if (l->recovery_point < l->start_offset)
            l->recovery_point = l->start_offset;
        SL_ASSERT_MSG(l->start_offset <= storage_log_end_offset(l),
                      "retention must keep the log start at or below the LEO");
    }
    if (deleted != NULL)
        *deleted = (int)n;
    return rc;
}

int storage_log_enforce_retention(struct storage_log *l, int64_t now_ms, int *deleted)
{
    return storage_log_enforce_retention_below(l, now_ms, INT64_MAX, deleted);
}

int storage_log_advance_start_offset(struct storage_log *l, int64_t offset)
{
    if (offset > storage_log_end_offset(l))
        return SL_ERANGE;
    if (offset <= l->start_offset)
        return 0;
    if (refuse_offline(l, "advancing the log start offset"))
        return SL_EIO;
    l->start_offset = offset;
    size_t n = 0;
    while (below(l, n, offset))
        n++;
    int rc = delete_head(l, n);
    if (rc != 0)
        storage_log_mark_failed(l);
    if (l->recovery_point < l->segs[0]->base)
        l->recovery_point = l->segs[0]->base;
    SL_ASSERT_MSG(l->segs[0]->base <= l->start_offset,
                  "the first segment must hold the log start offset");
    return rc;
}
