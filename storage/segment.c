/*
 * Log segments: append, index maintenance, lookups, recovery scans and
 * truncation (segment.h).  Batches are read back with pread through a small
 * buffered header scanner; nothing here trusts a length it read from disk
 * before checking it against the bytes the file really has.
 */
#include "segment.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crc32c.h"
#include "err.h"
#include "fileutil.h"
#include "invariant.h"
#include "log.h"
#include "xalloc.h"

#define SCAN_BUF_RECOVER (256 * 1024)
#define SCAN_BUF_LOOKUP  (8 * 1024)

/* ---- index entry encoding ---- */

static void oidx_make(uint8_t e[STORAGE_OFFSET_ENTRY_SIZE], uint32_t rel, uint32_t pos)
{
    be32_store(e, rel);
    be32_store(e + 4, pos);
}
static uint32_t oidx_rel(const struct storage_segment *s, size_t i)
{
    return be32_load(storage_index_entry(&s->oidx, i));
}
static uint32_t oidx_pos(const struct storage_segment *s, size_t i)
{
    return be32_load(storage_index_entry(&s->oidx, i) + 4);
}
static void tidx_make(uint8_t e[STORAGE_TIME_ENTRY_SIZE], int64_t ts, uint32_t rel)
{
    be64_store(e, (uint64_t)ts);
    be32_store(e + 8, rel);
}
static int64_t tidx_ts(const struct storage_segment *s, size_t i)
{
    return (int64_t)be64_load(storage_index_entry(&s->tidx, i));
}
static uint32_t tidx_rel(const struct storage_segment *s, size_t i)
{
    return be32_load(storage_index_entry(&s->tidx, i) + 8);
}

/* Index of the largest offset index entry with relative offset <= rel, or -1. */
static ssize_t oidx_lookup(const struct storage_segment *s, uint32_t rel)
{
    ssize_t lo = 0, hi = (ssize_t)s->oidx.n - 1, found = -1;
    while (lo <= hi) {
        ssize_t mid = lo + (hi - lo) / 2;
        if (oidx_rel(s, (size_t)mid) <= rel) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

/* Index of the largest offset index entry with position in [from, to], or -1. */
static ssize_t oidx_lookup_pos(const struct storage_segment *s, int64_t from, int64_t to)
{
    ssize_t lo = 0, hi = (ssize_t)s->oidx.n - 1, found = -1;
    while (lo <= hi) {
        ssize_t mid = lo + (hi - lo) / 2;
        if ((int64_t)oidx_pos(s, (size_t)mid) <= to) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found >= 0 && (int64_t)oidx_pos(s, (size_t)found) < from)
        return -1;
    return found;
}

/* Index of the largest time index entry with timestamp <= ts, or -1. */
static ssize_t tidx_lookup(const struct storage_segment *s, int64_t ts)
{
    ssize_t lo = 0, hi = (ssize_t)s->tidx.n - 1, found = -1;
    while (lo <= hi) {
        ssize_t mid = lo + (hi - lo) / 2;
        if (tidx_ts(s, (size_t)mid) <= ts) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

/* Position to start scanning for the batch that contains `offset`. */
static int64_t start_pos_for(const struct storage_segment *s, int64_t offset)
{
    if (offset <= s->base)
        return 0;
    int64_t rel = offset - s->base;
    if (rel > UINT32_MAX)
        rel = UINT32_MAX;
    ssize_t i = oidx_lookup(s, (uint32_t)rel);
    return i < 0 ? 0 : (int64_t)oidx_pos(s, (size_t)i);
}

/* ---- buffered reads of batch headers ---- */

struct scanner {
    int fd;
    int64_t end; /* bytes of the file that count */
    uint8_t *buf;
    size_t cap;
    int64_t bpos; /* file position of buf[0] */
    size_t blen;  /* valid bytes in buf */
};

static void scanner_init(struct scanner *sc, int fd, int64_t end, size_t cap)
{
    sc->fd = fd;
    sc->end = end;
    sc->buf = xmalloc(cap);
    sc->cap = cap;
    sc->bpos = 0;
    sc->blen = 0;
}

static void scanner_free(struct scanner *sc)
{
    free(sc->buf);
    sc->buf = NULL;
}

/* Points *p at file bytes [pos, pos + n) (n <= cap).  SL_EAGAIN when the file
 * (up to end) has fewer than n bytes there; SL_EIO. */
static int scanner_get(struct scanner *sc, int64_t pos, size_t n, const uint8_t **p)
{
    if (pos >= sc->bpos && pos + (int64_t)n <= sc->bpos + (int64_t)sc->blen) {
        *p = sc->buf + (pos - sc->bpos);
        return 0;
    }
    if (pos < 0 || pos >= sc->end || sc->end - pos < (int64_t)n)
        return SL_EAGAIN;
    size_t want = sc->cap;
    if (sc->end - pos < (int64_t)want)
        want = (size_t)(sc->end - pos);
    ssize_t got = storage_pread_full(sc->fd, sc->buf, want, pos);
    if (got < 0) {
        sc->blen = 0;
        return SL_EIO;
    }
    sc->bpos = pos;
    sc->blen = (size_t)got;
    if ((size_t)got < n)
        return SL_EAGAIN;
    *p = sc->buf;
    return 0;
}

/*
 * Decodes the batch header at pos.  0: sane header and the whole batch lies
 * before end; SL_EAGAIN: torn (the header or the batch runs past end);
 * SL_ECORRUPT: not a batch header; SL_EIO.
 */
static int scanner_header(struct scanner *sc, int64_t pos, struct rb_header *h)
{
    const uint8_t *p;
    int rc = scanner_get(sc, pos, RB_HEADER_SIZE, &p);
    if (rc != 0)
        return rc;
    /* rb_header_parse reads the 61 header bytes only; len tells it how much of
     * the batch the file holds so that it can report a torn batch. */
    return rb_header_parse(p, (size_t)(sc->end - pos), h);
}

/* CRC-32C over [pos + 21, pos + total) compared with the header's. */
static int scanner_crc_ok(struct scanner *sc, int64_t pos, const struct rb_header *h, bool *ok)
{
    size_t total = rb_header_total_size(h);
    uint32_t crc = 0;
    if (total <= sc->cap) {
        const uint8_t *p;
        int rc = scanner_get(sc, pos, total, &p);
        if (rc != 0)
            return rc == SL_EAGAIN ? SL_ECORRUPT : rc;
        crc = crc32c(0, p + RB_OFF_ATTRIBUTES, total - RB_OFF_ATTRIBUTES);
    } else {
        /* A batch larger than the buffer: checksum it in chunks. */
        int64_t off = pos + RB_OFF_ATTRIBUTES;
        size_t left = total - RB_OFF_ATTRIBUTES;
        sc->blen = 0;
        while (left > 0) {
            size_t n = left < sc->cap ? left : sc->cap;
            ssize_t got = storage_pread_full(sc->fd, sc->buf, n, off);
            if (got < 0)
                return SL_EIO;
            if ((size_t)got != n)
                return SL_ECORRUPT;
            crc = crc32c(crc, sc->buf, n);
            off += (int64_t)n;
            left -= n;
        }
    }
    *ok = crc == h->crc;
    return 0;
}

/* True when the bytes [pos, end) of the file are all zero (a preallocated tail). */
static bool tail_is_zero(int fd, int64_t pos, int64_t end)
{
    uint8_t buf[8192];
    while (pos < end) {
        size_t n = end - pos < (int64_t)sizeof buf ? (size_t)(end - pos) : sizeof buf;
        ssize_t got = storage_pread_full(fd, buf, n, pos);
        if (got <= 0)
            return false;
        for (ssize_t i = 0; i < got; i++)
            if (buf[i] != 0)
                return false;
        pos += got;
    }
    return true;
}

/* Offsets of a batch that would follow `next` in segment s. */
static bool offsets_fit(const struct storage_segment *s, const struct rb_header *h, int64_t next)
{
    if (h->last_offset_delta < 0 || h->base_offset < next || h->base_offset < s->base)
        return false;
    int64_t last = rb_header_last_offset(h);
    return last - s->base <= INT32_MAX && last < s->limit;
}

/* ---- paths, open, close ---- */

void storage_segment_params_from(struct storage_segment_params *p,
                                 const struct storage_log_config *c)
{
    p->index_interval_bytes = c->index_interval_bytes;
    p->max_oidx_entries = (size_t)c->max_index_bytes / STORAGE_OFFSET_ENTRY_SIZE;
    p->max_tidx_entries = (size_t)c->max_index_bytes / STORAGE_TIME_ENTRY_SIZE;
    p->preallocate = c->preallocate;
    p->segment_bytes = c->segment_bytes;
}

char *storage_segment_path(const char *dir, int64_t base, const char *suffix)
{
    return xasprintf("%s/%020" PRId64 "%s", dir, base, suffix);
}

static void reset_state(struct storage_segment *s)
{
    s->size = 0;
    s->next_offset = s->base;
    s->bytes_since_index = 0;
    s->max_ts = -1;
    s->max_ts_offset = -1;
    s->first_ts = -1;
}

int storage_segment_open(const char *dir, int64_t base, const struct storage_segment_params *p,
                         bool create, struct storage_segment **out)
{
    *out = NULL;
    struct storage_segment *s = xcalloc(1, sizeof *s);
    s->base = base;
    s->fd = -1;
    s->oidx.fd = -1;
    s->tidx.fd = -1;
    s->created_ms = -1;
    s->roll_jitter_ms = -1;
    s->limit = INT64_MAX;
    s->params = p;
    reset_state(s);
    s->log_path = storage_segment_path(dir, base, ".log");
    int flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
    s->fd = open(s->log_path, flags, 0644);
    if (s->fd < 0) {
        int rc = errno == ENOENT ? SL_ENOTFOUND : SL_EIO;
        if (rc == SL_EIO)
            LOG_ERROR("storage", "cannot open %s: %s", s->log_path, strerror(errno));
        storage_segment_close(s);
        return rc;
    }
    char *ipath = storage_segment_path(dir, base, ".index");
    char *tpath = storage_segment_path(dir, base, ".timeindex");
    s->index_missing = access(ipath, F_OK) != 0 || access(tpath, F_OK) != 0;
    int rc = storage_index_open(&s->oidx, ipath, STORAGE_OFFSET_ENTRY_SIZE, p->max_oidx_entries);
    if (rc == 0)
        rc = storage_index_open(&s->tidx, tpath, STORAGE_TIME_ENTRY_SIZE, p->max_tidx_entries);
    free(ipath);
    free(tpath);
    if (rc == 0 && create) {
        if (storage_index_truncate(&s->oidx, 0) != 0 || storage_index_truncate(&s->tidx, 0) != 0)
            rc = SL_EIO;
        if (rc == 0 && p->preallocate && p->segment_bytes > 0) {
            int e = posix_fallocate(s->fd, 0, (off_t)p->segment_bytes);
            if (e == 0)
                s->file_size = p->segment_bytes;
            else
                LOG_WARN("storage", "%s: preallocation failed: %s", s->log_path, strerror(e));
        }
    }
    if (rc != 0) {
        /* A segment that could not be created whole leaves no files behind. */
        if (create)
            storage_segment_delete(s);
        else
            storage_segment_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void storage_segment_close(struct storage_segment *s)
{
    if (s == NULL)
        return;
    if (s->fd >= 0)
        close(s->fd);
    if (s->oidx.path != NULL)
        storage_index_close(&s->oidx);
    if (s->tidx.path != NULL)
        storage_index_close(&s->tidx);
    free(s->log_path);
    free(s);
}

/* Renames *path to *path + ".deleted" and keeps the new name in *path. */
static int rename_deleted(char **path)
{
    if (*path == NULL)
        return 0;
    char *to = xasprintf("%s%s", *path, STORAGE_DELETED_SUFFIX);
    if (rename(*path, to) != 0 && errno != ENOENT) {
        LOG_ERROR("storage", "cannot rename %s: %s", *path, strerror(errno));
        free(to);
        return SL_EIO;
    }
    free(*path);
    *path = to;
    return 0;
}

int storage_segment_rename_deleted(struct storage_segment *s)
{
    int rc = rename_deleted(&s->log_path);
    if (rename_deleted(&s->oidx.path) != 0)
        rc = SL_EIO;
    if (rename_deleted(&s->tidx.path) != 0)
        rc = SL_EIO;
    return rc;
}

int storage_segment_delete(struct storage_segment *s)
{
    int rc = 0;
    if (s->oidx.path != NULL && storage_index_unlink(&s->oidx) != 0)
        rc = SL_EIO;
    if (s->tidx.path != NULL && storage_index_unlink(&s->tidx) != 0)
        rc = SL_EIO;
    if (s->fd >= 0) {
        close(s->fd);
        s->fd = -1;
    }
    if (unlink(s->log_path) != 0 && errno != ENOENT) {
        LOG_ERROR("storage", "cannot remove %s: %s", s->log_path, strerror(errno));
        rc = SL_EIO;
    }
    storage_segment_close(s);
    return rc;
}

/* ---- per-batch bookkeeping shared by append, recovery and load ---- */

static void maybe_time_entry(struct storage_segment *s, bool ignore_full)
{
    int64_t last_ts = s->tidx.n > 0 ? tidx_ts(s, s->tidx.n - 1) : -1;
    if (s->max_ts <= last_ts || (!ignore_full && storage_index_full(&s->tidx)))
        return;
    uint8_t e[STORAGE_TIME_ENTRY_SIZE];
    tidx_make(e, s->max_ts, (uint32_t)(s->max_ts_offset - s->base));
    storage_index_push(&s->tidx, e);
}

/* Accounts for the batch h at pos (Kafka's LogSegment.append loop); with
 * add_entries false the indexes are left alone (trusted load). */
static void observe(struct storage_segment *s, const struct storage_segment_params *p, int64_t pos,
                    const struct rb_header *h, bool add_entries)
{
    int64_t last = rb_header_last_offset(h);
    if (pos == 0)
        s->first_ts = h->max_timestamp;
    if (h->max_timestamp > s->max_ts) {
        s->max_ts = h->max_timestamp;
        s->max_ts_offset = last;
    }
    if (add_entries && s->bytes_since_index > p->index_interval_bytes) {
        if (!storage_index_full(&s->oidx)) {
            /* Callers checked the batch follows the segment's end (offsets_fit or the log's
             * append check), so entries stay in offset and position order. */
            SL_ASSERT_MSG(s->oidx.n == 0 || (last - s->base > oidx_rel(s, s->oidx.n - 1) &&
                                             pos > oidx_pos(s, s->oidx.n - 1)),
                          "offset index entries out of order");
            uint8_t e[STORAGE_OFFSET_ENTRY_SIZE];
            oidx_make(e, (uint32_t)(last - s->base), (uint32_t)pos);
            storage_index_push(&s->oidx, e);
        }
        maybe_time_entry(s, false);
        s->bytes_since_index = 0;
    }
    s->bytes_since_index += (int64_t)rb_header_total_size(h);
    s->next_offset = last + 1;
    s->size = pos + (int64_t)rb_header_total_size(h);
}

static int rewrite_indexes(struct storage_segment *s)
{
    if (storage_index_truncate(&s->oidx, s->oidx.n) != 0 ||
        storage_index_truncate(&s->tidx, s->tidx.n) != 0)
        return SL_EIO;
    if (storage_index_persist(&s->oidx, 0) != 0 || storage_index_persist(&s->tidx, 0) != 0)
        return SL_EIO;
    return 0;
}

/* ---- recovery ---- */

static int file_size_of(int fd, int64_t *size)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return SL_EIO;
    *size = (int64_t)st.st_size;
    return 0;
}

/*
 * Rebuilds the in-memory state and indexes from the batches in [0, end):
 * header sane, offsets increasing and inside [base, limit), CRC when
 * check_crc.  *valid_end gets the end of the last good batch and *why the
 * reason the scan stopped before `end`.  Returns 0 or SL_EIO.
 */
static int scan_segment(struct storage_segment *s, const struct storage_segment_params *p,
                        int64_t end, bool check_crc, int64_t *valid_end, const char **why)
{
    reset_state(s);
    s->oidx.n = 0;
    s->tidx.n = 0;
    *why = NULL;
    struct scanner sc;
    scanner_init(&sc, s->fd, end, SCAN_BUF_RECOVER);
    int64_t pos = 0;
    int rc = 0;
    while (pos < end) {
        struct rb_header h;
        rc = scanner_header(&sc, pos, &h);
        if (rc == SL_EIO)
            break;
        if (rc != 0) {
            *why = rc == SL_EAGAIN ? "torn batch" : "invalid batch header";
            rc = 0;
            break;
        }
        if (!offsets_fit(s, &h, s->next_offset)) {
            *why = "offsets out of order";
            break;
        }
        if (check_crc) {
            bool ok = false;
            rc = scanner_crc_ok(&sc, pos, &h, &ok);
            if (rc == SL_EIO)
                break;
            if (rc != 0 || !ok) {
                *why = "CRC mismatch";
                rc = 0;
                break;
            }
        }
        observe(s, p, pos, &h, true);
        pos = s->size;
    }
    scanner_free(&sc);
    *valid_end = pos;
    return rc;
}

int storage_segment_recover(struct storage_segment *s, const struct storage_segment_params *p,
                            bool check_crc, int64_t *truncated_bytes)
{
    *truncated_bytes = 0;
    int64_t fsize, pos;
    const char *why;
    if (file_size_of(s->fd, &fsize) != 0)
        return SL_EIO;
    int rc = scan_segment(s, p, fsize, check_crc, &pos, &why);
    if (rc != 0)
        return rc;
    if (pos < fsize) {
        *truncated_bytes = fsize - pos;
        if (tail_is_zero(s->fd, pos, fsize))
            LOG_INFO("storage", "%s: dropping %" PRId64 " zero bytes after position %" PRId64,
                     s->log_path, fsize - pos, pos);
        else
            LOG_WARN("storage",
                     "%s: %s at position %" PRId64 " (offset %" PRId64 "): truncating %" PRId64
                     " bytes",
                     s->log_path, why ? why : "invalid data", pos, s->next_offset, fsize - pos);
        if (ftruncate(s->fd, (off_t)pos) != 0 || fsync(s->fd) != 0) {
            LOG_ERROR("storage", "%s: cannot truncate: %s", s->log_path, strerror(errno));
            return SL_EIO;
        }
    }
    s->file_size = pos;
    s->dirty = true;
    s->index_missing = false;
    return rewrite_indexes(s);
}

/*
 * Rebuilds the indexes of an open segment whose index turned out to be wrong
 * during a lookup.  The data is not touched: if it cannot be read to the end
 * the indexes cover what can, and the error is logged.
 */
static void repair_indexes(struct storage_segment *s)
{
    LOG_WARN("storage", "%s: index entry does not match the log; rebuilding the indexes",
             s->log_path);
    int64_t size = s->size, next = s->next_offset, max_ts = s->max_ts;
    int64_t max_ts_offset = s->max_ts_offset, first_ts = s->first_ts;
    int64_t bytes_since = s->bytes_since_index, limit = s->limit;
    int64_t end;
    const char *why;
    s->limit = INT64_MAX;
    int rc = scan_segment(s, s->params, size, false, &end, &why);
    if (rc != 0 || end != size)
        LOG_ERROR("storage", "%s: batches unreadable from position %" PRId64 " (%s)", s->log_path,
                  end, why ? why : "I/O error");
    s->size = size;
    s->next_offset = next;
    s->max_ts = max_ts;
    s->max_ts_offset = max_ts_offset;
    s->first_ts = first_ts;
    s->bytes_since_index = bytes_since;
    s->limit = limit;
    if (rewrite_indexes(s) != 0)
        LOG_ERROR("storage", "%s: cannot rewrite the indexes", s->log_path);
}

static int find_once(struct storage_segment *s, int64_t offset, int64_t *pos, struct rb_header *h);

/* Checks loaded indexes against each other and the file; see storage_segment_load. */
static bool indexes_sane(const struct storage_segment *s, int64_t fsize)
{
    for (size_t i = 0; i < s->oidx.n; i++) {
        uint32_t rel = oidx_rel(s, i), pos = oidx_pos(s, i);
        if ((int64_t)pos >= fsize || rel > INT32_MAX)
            return false;
        if (i > 0 && (rel <= oidx_rel(s, i - 1) || pos <= oidx_pos(s, i - 1)))
            return false;
    }
    for (size_t i = 0; i < s->tidx.n; i++) {
        if (tidx_rel(s, i) > INT32_MAX || tidx_ts(s, i) < 0)
            return false;
        if (i > 0 && (tidx_ts(s, i) <= tidx_ts(s, i - 1) || tidx_rel(s, i) < tidx_rel(s, i - 1)))
            return false;
    }
    return true;
}

int storage_segment_load(struct storage_segment *s, const struct storage_segment_params *p)
{
    int64_t fsize;
    if (file_size_of(s->fd, &fsize) != 0)
        return SL_EIO;
    reset_state(s);
    if (s->index_missing && fsize > 0) {
        LOG_WARN("storage", "%s: index file missing", s->log_path);
        return SL_ECORRUPT;
    }
    /* Every indexed batch is at least a header long: a bound on sane index sizes. */
    int64_t max_batches = fsize / RB_HEADER_SIZE + 2;
    int rc = storage_index_load(&s->oidx, max_batches * STORAGE_OFFSET_ENTRY_SIZE);
    if (rc == 0)
        rc = storage_index_load(&s->tidx, max_batches * STORAGE_TIME_ENTRY_SIZE);
    if (rc != 0)
        return rc;
    if (!indexes_sane(s, fsize)) {
        LOG_WARN("storage", "%s: index entries out of order or past the log", s->log_path);
        return SL_ECORRUPT;
    }

    /* Validate, CRC included, the batches from the last offset index entry to
     * the end: after a clean shutdown or a completed flush both indexes are
     * complete up to that entry (they are written and synced together), so
     * the time index's last entry plus these batches give the max timestamp.
     * The entries used are checked against the batches they name. */
    int64_t start = 0, start_off = -1;
    if (s->oidx.n > 0) {
        start = oidx_pos(s, s->oidx.n - 1);
        start_off = s->base + oidx_rel(s, s->oidx.n - 1);
    }
    int64_t tidx_ts_last = -1, tidx_off_last = -1;
    if (s->tidx.n > 0) {
        tidx_ts_last = s->max_ts = tidx_ts(s, s->tidx.n - 1);
        tidx_off_last = s->max_ts_offset = s->base + tidx_rel(s, s->tidx.n - 1);
    }
    bool seen_tidx = s->tidx.n == 0;

    struct scanner sc;
    scanner_init(&sc, s->fd, fsize, SCAN_BUF_RECOVER);
    rc = 0;
    if (fsize > 0) {
        struct rb_header h;
        rc = scanner_header(&sc, 0, &h);
        if (rc == 0)
            s->first_ts = h.max_timestamp;
    }
    int64_t pos = start;
    int64_t next = s->base;
    while (rc == 0 && pos < fsize) {
        struct rb_header h;
        rc = scanner_header(&sc, pos, &h);
        if (rc != 0)
            break;
        if (!offsets_fit(s, &h, next)) {
            rc = SL_ECORRUPT;
            break;
        }
        bool ok = false;
        rc = scanner_crc_ok(&sc, pos, &h, &ok);
        if (rc == 0 && !ok)
            rc = SL_ECORRUPT;
        if (rc != 0)
            break;
        int64_t last = rb_header_last_offset(&h);
        if ((pos == start && start_off >= 0 && last != start_off) ||
            (last == tidx_off_last && h.max_timestamp != tidx_ts_last)) {
            rc = SL_ECORRUPT;
            break;
        }
        seen_tidx |= last == tidx_off_last;
        int64_t first_ts = s->first_ts;
        observe(s, p, pos, &h, false);
        s->first_ts = first_ts;
        next = s->next_offset;
        pos = s->size;
    }
    scanner_free(&sc);
    if (rc == SL_EIO)
        return rc;
    if (rc != 0 || pos != fsize) {
        LOG_WARN("storage", "%s: data after the last index entry does not check out", s->log_path);
        return SL_ECORRUPT;
    }
    if (fsize == 0)
        s->size = 0;
    s->file_size = fsize;
    if (!seen_tidx) {
        /* The time index's last entry names an earlier batch: look it up. */
        int64_t q;
        struct rb_header h;
        rc = tidx_off_last < s->next_offset ? find_once(s, tidx_off_last, &q, &h) : SL_ENOTFOUND;
        if (rc == SL_EIO)
            return rc;
        if (rc != 0 || rb_header_last_offset(&h) != tidx_off_last ||
            h.max_timestamp != tidx_ts_last) {
            LOG_WARN("storage", "%s: time index entry does not match the log", s->log_path);
            return SL_ECORRUPT;
        }
    }
    s->bytes_since_index = s->size - start;
    return 0;
}

/* ---- append ---- */

/* The in-memory state an append changes, kept to undo a failed one. */
struct seg_mark {
    int64_t size, file_size, next_offset, bytes_since_index;
    int64_t max_ts, max_ts_offset, first_ts, created_ms;
    size_t on, tn;
    bool dirty;
};

static void seg_mark_take(const struct storage_segment *s, struct seg_mark *m)
{
    *m = (struct seg_mark){s->size,   s->file_size,     s->next_offset, s->bytes_since_index,
                           s->max_ts, s->max_ts_offset, s->first_ts,    s->created_ms,
                           s->oidx.n, s->tidx.n,        s->dirty};
}

/*
 * Undoes a failed append: the in-memory state goes back to m and the files
 * are cut back to what they held before, so that neither this process nor a
 * later recovery sees the batches (a preallocated tail is given up: bytes
 * left in it would be read back as batches).  Returns 0 when the files are
 * back too, SL_EIO when a cut failed (the caller takes the log offline; the
 * next open's recovery then decides what the files hold).
 */
static int seg_undo(struct storage_segment *s, const struct seg_mark *m)
{
    int rc = 0;
    if (ftruncate(s->fd, (off_t)m->size) != 0) {
        LOG_ERROR("storage", "%s: cannot cut a failed append back to %" PRId64 " bytes: %s",
                  s->log_path, m->size, strerror(errno));
        rc = SL_EIO;
    }
    if (storage_index_truncate(&s->oidx, m->on) != 0 ||
        storage_index_truncate(&s->tidx, m->tn) != 0)
        rc = SL_EIO;
    s->size = m->size;
    s->file_size = m->size;
    s->next_offset = m->next_offset;
    s->bytes_since_index = m->bytes_since_index;
    s->max_ts = m->max_ts;
    s->max_ts_offset = m->max_ts_offset;
    s->first_ts = m->first_ts;
    s->created_ms = m->created_ms;
    s->oidx.n = m->on;
    s->tidx.n = m->tn;
    s->dirty = true;
    return rc;
}

int storage_segment_append(struct storage_segment *s, const struct storage_segment_params *p,
                           const uint8_t *buf, size_t len, int64_t now_ms)
{
    struct seg_mark m;
    seg_mark_take(s, &m);
    if (s->created_ms < 0)
        s->created_ms = now_ms;
    if (storage_pwrite_full(s->fd, buf, len, m.size) != 0) {
        LOG_ERROR("storage", "%s: write failed: %s", s->log_path, strerror(errno));
        seg_undo(s, &m);
        return SL_EIO;
    }
    s->dirty = true;
    size_t off = 0;
    while (off < len) {
        struct rb_header h;
        if (rb_header_parse(buf + off, len - off, &h) != 0) {
            seg_undo(s, &m); /* the caller checked the buffer; not reached */
            return SL_EINVAL;
        }
        observe(s, p, m.size + (int64_t)off, &h, true);
        off += rb_header_total_size(&h);
    }
    if (s->size > s->file_size)
        s->file_size = s->size;
    /* All or nothing: an append whose index entries cannot be written is undone,
     * so that a refused batch is neither in the log nor read back after a restart. */
    if (storage_index_persist(&s->oidx, m.on) != 0 || storage_index_persist(&s->tidx, m.tn) != 0) {
        seg_undo(s, &m);
        return SL_EIO;
    }
    return 0;
}

/* ---- lookups and reads ---- */

/* One lookup; SL_EAGAIN when the index entry it started from is wrong. */
static int find_once(struct storage_segment *s, int64_t offset, int64_t *pos, struct rb_header *h)
{
    ssize_t i = -1;
    if (offset > s->base) {
        int64_t rel = offset - s->base;
        i = oidx_lookup(s, rel > UINT32_MAX ? UINT32_MAX : (uint32_t)rel);
    }
    int64_t p = i < 0 ? 0 : (int64_t)oidx_pos(s, (size_t)i);
    bool verify = i >= 0;
    struct scanner sc;
    scanner_init(&sc, s->fd, s->size, SCAN_BUF_LOOKUP);
    int rc = SL_ENOTFOUND;
    while (p < s->size) {
        int r = scanner_header(&sc, p, h);
        if (r == SL_EIO) {
            rc = SL_EIO;
            break;
        }
        if (verify && (r != 0 || rb_header_last_offset(h) != s->base + oidx_rel(s, (size_t)i))) {
            rc = SL_EAGAIN;
            break;
        }
        verify = false;
        if (r != 0) {
            LOG_ERROR("storage", "%s: unreadable batch at position %" PRId64, s->log_path, p);
            rc = SL_ECORRUPT;
            break;
        }
        if (rb_header_last_offset(h) >= offset) {
            *pos = p;
            rc = 0;
            break;
        }
        p += (int64_t)rb_header_total_size(h);
    }
    scanner_free(&sc);
    return rc;
}

int storage_segment_find(struct storage_segment *s, int64_t offset, int64_t *pos,
                         struct rb_header *h)
{
    if (offset >= s->next_offset || s->size == 0)
        return SL_ENOTFOUND;
    int rc = find_once(s, offset, pos, h);
    if (rc == SL_EAGAIN) {
        repair_indexes(s);
        rc = find_once(s, offset, pos, h);
        if (rc == SL_EAGAIN)
            rc = SL_ECORRUPT;
    }
    return rc;
}

/* Base offset of the batch at pos, or the segment's next offset at its end. */
static int base_at(struct storage_segment *s, struct scanner *sc, int64_t pos, int64_t *base)
{
    if (pos >= s->size) {
        *base = s->next_offset;
        return 0;
    }
    struct rb_header h;
    int rc = scanner_header(sc, pos, &h);
    if (rc != 0)
        return rc == SL_EIO ? SL_EIO : SL_ECORRUPT;
    *base = h.base_offset;
    return 0;
}

/* The largest batch boundary in [from, to] (from is one), walking from the
 * nearest offset index entry. */
static int boundary_before(struct storage_segment *s, struct scanner *sc, int64_t from, int64_t to,
                           int64_t *out)
{
    if (to >= s->size) {
        *out = s->size;
        return 0;
    }
    ssize_t i = oidx_lookup_pos(s, from, to);
    int64_t p = from;
    if (i >= 0) {
        struct rb_header h;
        int64_t q = (int64_t)oidx_pos(s, (size_t)i);
        int rc = scanner_header(sc, q, &h);
        if (rc == SL_EIO)
            return rc;
        if (rc == 0 && rb_header_last_offset(&h) == s->base + oidx_rel(s, (size_t)i))
            p = q;
        else
            repair_indexes(s);
    }
    for (;;) {
        struct rb_header h;
        int rc = scanner_header(sc, p, &h);
        if (rc != 0)
            return rc == SL_EIO ? SL_EIO : SL_ECORRUPT;
        int64_t end = p + (int64_t)rb_header_total_size(&h);
        if (end > to)
            break;
        p = end;
        if (p >= s->size)
            break;
    }
    *out = p;
    return 0;
}

int storage_segment_read(struct storage_segment *s, int64_t offset, int64_t max_offset,
                         int64_t max_bytes, bool min_one, struct storage_slice *out)
{
    out->fd = s->fd;
    out->pos = 0;
    out->len = 0;
    out->first_offset = offset;
    out->next_offset = offset;
    int64_t start;
    struct rb_header h0;
    int rc = storage_segment_find(s, offset, &start, &h0);
    if (rc != 0)
        return rc;
    out->pos = start;
    out->first_offset = h0.base_offset;
    out->next_offset = h0.base_offset;
    if (h0.base_offset >= max_offset)
        return 0; /* offset fell in a gap and the next batch is beyond the bound */

    struct scanner sc;
    scanner_init(&sc, s->fd, s->size, SCAN_BUF_LOOKUP);
    /* End bound from max_offset: the first batch whose base offset is >= it. */
    int64_t limit = s->size;
    if (max_offset < s->next_offset) {
        int64_t q;
        struct rb_header hq;
        rc = storage_segment_find(s, max_offset, &q, &hq);
        if (rc == 0)
            limit = hq.base_offset >= max_offset ? q : q + (int64_t)rb_header_total_size(&hq);
        else if (rc != SL_ENOTFOUND)
            goto out;
        rc = 0;
    }
    if (max_bytes < 0)
        max_bytes = 0;
    int64_t target = max_bytes < limit - start ? start + max_bytes : limit;
    int64_t end;
    rc = boundary_before(s, &sc, start, target, &end);
    if (rc != 0)
        goto out;
    if (end == start && min_one)
        end = start + (int64_t)rb_header_total_size(&h0); /* KIP-74 */
    if (end > start) {
        rc = base_at(s, &sc, end, &out->next_offset);
        if (rc != 0)
            goto out;
        out->len = end - start;
    }
out:
    scanner_free(&sc);
    if (rc != 0)
        out->len = 0;
    return rc;
}

/* ---- truncation, time lookups, scans ---- */

int storage_segment_truncate_to(struct storage_segment *s, const struct storage_segment_params *p,
                                int64_t offset)
{
    int64_t pos;
    struct rb_header h;
    int rc = storage_segment_find(s, offset, &pos, &h);
    if (rc == SL_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    if (ftruncate(s->fd, (off_t)pos) != 0) {
        LOG_ERROR("storage", "%s: cannot truncate: %s", s->log_path, strerror(errno));
        return SL_EIO; /* nothing changed */
    }
    /* The file is shorter now: the in-memory state follows it before anything
     * can fail, so that no lookup reads past the cut. */
    int64_t cut = 0;
    rc = storage_segment_recover(s, p, false, &cut);
    int frc = storage_segment_flush(s);
    return rc != 0 ? rc : frc;
}

int storage_segment_offset_for_ts(struct storage_segment *s, int64_t ts, int64_t min_offset,
                                  int64_t *offset, bool *found)
{
    *found = false;
    if (s->max_ts < ts || s->size == 0)
        return 0;
    /* Kafka's LogSegment.findOffsetByTimestamp: time index, then offset index, then scan. */
    int64_t from = min_offset;
    ssize_t t = tidx_lookup(s, ts);
    if (t >= 0) {
        /* The entry must name the batch where the max timestamp first reached its value. */
        int64_t o = s->base + tidx_rel(s, (size_t)t), q;
        struct rb_header h;
        int rc = storage_segment_find(s, o, &q, &h);
        if (rc == SL_EIO)
            return rc;
        if (rc == 0 && rb_header_last_offset(&h) == o && h.max_timestamp == tidx_ts(s, (size_t)t)) {
            if (o > from)
                from = o;
        } else {
            repair_indexes(s);
        }
    }
    struct scanner sc;
    scanner_init(&sc, s->fd, s->size, SCAN_BUF_LOOKUP);
    int64_t p = start_pos_for(s, from);
    int rc = 0;
    while (p < s->size) {
        struct rb_header h;
        rc = scanner_header(&sc, p, &h);
        if (rc != 0) {
            rc = rc == SL_EIO ? SL_EIO : SL_ECORRUPT;
            break;
        }
        if (rb_header_last_offset(&h) >= min_offset && h.max_timestamp >= ts) {
            *offset = h.base_offset > min_offset ? h.base_offset : min_offset;
            *found = true;
            break;
        }
        p += (int64_t)rb_header_total_size(&h);
    }
    scanner_free(&sc);
    return rc;
}

int storage_segment_scan(struct storage_segment *s, int64_t from,
                         int (*cb)(void *ctx, const uint8_t *batch, size_t len), void *ctx)
{
    int64_t p;
    struct rb_header h;
    int rc = storage_segment_find(s, from, &p, &h);
    if (rc == SL_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    int64_t end = s->size;
    uint8_t *buf = NULL;
    size_t cap = 0;
    while (p < end) {
        uint8_t hdr[RB_HEADER_SIZE];
        ssize_t got = storage_pread_full(s->fd, hdr, sizeof hdr, p);
        if (got < 0) {
            rc = SL_EIO;
            break;
        }
        if (got != (ssize_t)sizeof hdr || rb_header_parse(hdr, (size_t)(end - p), &h) != 0) {
            LOG_ERROR("storage", "%s: unreadable batch at position %" PRId64, s->log_path, p);
            rc = SL_ECORRUPT;
            break;
        }
        size_t total = rb_header_total_size(&h); /* <= end - p, checked by the parse */
        if (h.base_offset >= from) {
            if (total > cap) {
                free(buf);
                cap = total;
                buf = xmalloc(cap);
            }
            got = storage_pread_full(s->fd, buf, total, p);
            if (got < 0 || (size_t)got != total) {
                rc = got < 0 ? SL_EIO : SL_ECORRUPT;
                break;
            }
            rc = cb(ctx, buf, total);
            if (rc != 0)
                break;
        }
        p += (int64_t)total;
    }
    free(buf);
    return rc;
}

/* ---- lifecycle ---- */

int storage_segment_finish(struct storage_segment *s)
{
    size_t tn = s->tidx.n;
    maybe_time_entry(s, true);
    int rc = storage_index_persist(&s->tidx, tn);
    if (rc != 0) {
        /* The entry is not on disk: forget it (recovery rebuilds it from the data). */
        s->tidx.n = tn;
        if (storage_index_truncate(&s->tidx, tn) != 0)
            LOG_ERROR("storage", "%s: cannot cut a partly written time index", s->log_path);
    }
    if (s->file_size > s->size) {
        if (ftruncate(s->fd, (off_t)s->size) != 0) {
            LOG_ERROR("storage", "%s: cannot trim: %s", s->log_path, strerror(errno));
            rc = SL_EIO;
        } else {
            s->file_size = s->size;
            s->dirty = true;
        }
    }
    return rc;
}

int storage_segment_flush(struct storage_segment *s)
{
    if (s->dirty) {
        if (fdatasync(s->fd) != 0) {
            LOG_ERROR("storage", "%s: fdatasync failed: %s", s->log_path, strerror(errno));
            return SL_EIO;
        }
        s->dirty = false;
    }
    if (storage_index_sync(&s->oidx) != 0 || storage_index_sync(&s->tidx) != 0)
        return SL_EIO;
    return 0;
}

int64_t storage_segment_largest_ts(const struct storage_segment *s)
{
    if (s->max_ts >= 0)
        return s->max_ts;
    struct stat st;
    if (fstat(s->fd, &st) != 0)
        return -1;
    return (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
}
