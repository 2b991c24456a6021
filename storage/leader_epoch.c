/*
 * Leader epoch cache and its checkpoint file (leader_epoch.h), following
 * Kafka's LeaderEpochFileCache and LeaderEpochCheckpointFile.
 */
#include "leader_epoch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fileutil.h"
#include "invariant.h"
#include "log.h"
#include "partition_log.h"
#include "record_batch.h"
#include "xalloc.h"

#define EPOCH_FILE_MAX_BYTES (16 * 1024 * 1024)

struct storage_leader_epoch_cache {
    char *path;
    struct storage_epoch_entry *e;
    size_t n, cap;
};

/* Callers keep epochs increasing and start offsets non-decreasing (load refuses a
 * file that does not, assign drops the entries a new epoch conflicts with). */
static void push(struct storage_leader_epoch_cache *c, int32_t epoch, int64_t start)
{
    SL_ASSERT_MSG(c->n == 0 ||
                      (epoch > c->e[c->n - 1].epoch && start >= c->e[c->n - 1].start_offset),
                  "leader epoch entries not increasing");
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 8;
        c->e = xrealloc(c->e, c->cap * sizeof *c->e);
    }
    c->e[c->n].epoch = epoch;
    c->e[c->n].start_offset = start;
    c->n++;
}

static int corrupt(const char *path, size_t line, const char *what)
{
    LOG_ERROR("storage", "%s:%zu: malformed leader epoch checkpoint: %s", path, line, what);
    return SL_ECORRUPT;
}

static int load(struct storage_leader_epoch_cache *c)
{
    char *text;
    size_t len;
    int rc = storage_file_read_all(c->path, EPOCH_FILE_MAX_BYTES, &text, &len);
    if (rc == SL_ENOTFOUND)
        return 0;
    if (rc != 0)
        return rc;
    char *cur = text, *l;
    int64_t v, count;
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    if (strlen(text) != len) {
        rc = corrupt(c->path, 1, "NUL byte in the file");
        goto out;
    }
    l = storage_text_next_line(&cur);
    if (l == NULL || !storage_parse_i64(l, &v) || v != 0) {
        rc = corrupt(c->path, 1, "expected version 0");
        goto out;
    }
    l = storage_text_next_line(&cur);
    if (l == NULL || !storage_parse_i64(l, &count) || count < 0 || (uint64_t)count > lines) {
        rc = corrupt(c->path, 2, "bad entry count");
        goto out;
    }
    for (int64_t i = 0; i < count; i++) {
        l = storage_text_next_line(&cur);
        char *sp = l ? strchr(l, ' ') : NULL;
        int64_t epoch, start;
        if (sp == NULL) {
            rc = corrupt(c->path, (size_t)i + 3, "expected \"epoch startOffset\"");
            goto out;
        }
        *sp = '\0';
        if (!storage_parse_i64(l, &epoch) || !storage_parse_i64(sp + 1, &start) || epoch < 0 ||
            epoch > INT32_MAX || start < 0) {
            rc = corrupt(c->path, (size_t)i + 3, "expected \"epoch startOffset\"");
            goto out;
        }
        if (c->n > 0 && (epoch <= c->e[c->n - 1].epoch || start < c->e[c->n - 1].start_offset)) {
            rc = corrupt(c->path, (size_t)i + 3, "entries not increasing");
            goto out;
        }
        push(c, (int32_t)epoch, start);
    }
    while ((l = storage_text_next_line(&cur)) != NULL) {
        if (l[strspn(l, " \t")] != '\0') {
            rc = corrupt(c->path, (size_t)count + 3, "more entries than the count says");
            goto out;
        }
    }
out:
    if (rc != 0)
        c->n = 0;
    free(text);
    return rc;
}

int storage_leader_epoch_open(const char *dir, struct storage_leader_epoch_cache **out)
{
    struct storage_leader_epoch_cache *c = xcalloc(1, sizeof *c);
    c->path = xasprintf("%s/%s", dir, STORAGE_LEADER_EPOCH_FILE);
    int rc = load(c);
    if (rc == SL_EIO) {
        storage_leader_epoch_close(c);
        *out = NULL;
        return rc;
    }
    *out = c;
    return rc;
}

void storage_leader_epoch_close(struct storage_leader_epoch_cache *c)
{
    if (c == NULL)
        return;
    free(c->e);
    free(c->path);
    free(c);
}

int storage_leader_epoch_flush(struct storage_leader_epoch_cache *c)
{
    struct wbuf w;
    wbuf_init(&w, 32 + c->n * 24);
    char line[64];
    int len = snprintf(line, sizeof line, "0\n%zu\n", c->n);
    wbuf_bytes(&w, line, (size_t)len);
    for (size_t i = 0; i < c->n; i++) {
        len = snprintf(line, sizeof line, "%" PRId32 " %" PRId64 "\n", c->e[i].epoch,
                       c->e[i].start_offset);
        wbuf_bytes(&w, line, (size_t)len);
    }
    int rc = storage_file_write_atomic(c->path, w.data, w.len);
    wbuf_free(&w);
    return rc;
}

int32_t storage_leader_epoch_latest(const struct storage_leader_epoch_cache *c)
{
    return c->n > 0 ? c->e[c->n - 1].epoch : STORAGE_UNDEFINED_EPOCH;
}

int64_t storage_leader_epoch_latest_start(const struct storage_leader_epoch_cache *c)
{
    return c->n > 0 ? c->e[c->n - 1].start_offset : -1;
}

const struct storage_epoch_entry *
storage_leader_epoch_entries(const struct storage_leader_epoch_cache *c, size_t *n)
{
    *n = c->n;
    return c->e;
}

int storage_leader_epoch_assign(struct storage_leader_epoch_cache *c, int32_t epoch,
                                int64_t start_offset)
{
    if (epoch < 0 || start_offset < 0)
        return SL_EINVAL;
    if (c->n > 0) {
        const struct storage_epoch_entry *last = &c->e[c->n - 1];
        if (epoch < last->epoch || (epoch == last->epoch && start_offset >= last->start_offset))
            return 0;
    }
    size_t keep = c->n;
    while (keep > 0 &&
           (c->e[keep - 1].epoch >= epoch || c->e[keep - 1].start_offset >= start_offset))
        keep--;
    size_t removed = c->n - keep;
    if (removed > 1 || (removed == 1 && c->e[keep].start_offset != start_offset))
        LOG_WARN("storage",
                 "%s: epoch %" PRId32 " at offset %" PRId64 " removes %zu conflicting entr%s",
                 c->path, epoch, start_offset, removed, removed == 1 ? "y" : "ies");
    c->n = keep;
    push(c, epoch, start_offset);
    return storage_leader_epoch_flush(c);
}

void storage_leader_epoch_end_offset_for(const struct storage_leader_epoch_cache *c,
                                         int32_t requested, int64_t leo, int32_t *found_epoch,
                                         int64_t *end_offset)
{
    *found_epoch = STORAGE_UNDEFINED_EPOCH;
    *end_offset = STORAGE_UNDEFINED_EPOCH_OFFSET;
    if (requested == STORAGE_UNDEFINED_EPOCH || c->n == 0)
        return;
    if (requested == c->e[c->n - 1].epoch) {
        *found_epoch = requested;
        *end_offset = leo;
        return;
    }
    /* First entry with an epoch above the requested one (Kafka's higherEntry). */
    size_t hi = 0;
    while (hi < c->n && c->e[hi].epoch <= requested)
        hi++;
    if (hi == c->n)
        return; /* requested is above the latest epoch */
    *end_offset = c->e[hi].start_offset;
    *found_epoch = hi == 0 ? requested : c->e[hi - 1].epoch;
}

int storage_leader_epoch_truncate_from_end(struct storage_leader_epoch_cache *c, int64_t end_offset)
{
    if (end_offset < 0 || c->n == 0 || c->e[c->n - 1].start_offset < end_offset)
        return 0;
    while (c->n > 0 && c->e[c->n - 1].start_offset >= end_offset)
        c->n--;
    return storage_leader_epoch_flush(c);
}

int storage_leader_epoch_truncate_from_start(struct storage_leader_epoch_cache *c,
                                             int64_t start_offset)
{
    size_t k = 0;
    while (k < c->n && c->e[k].start_offset <= start_offset)
        k++;
    if (k == 0)
        return 0;
    /* Keep the last removed epoch, now starting at start_offset. */
    struct storage_epoch_entry kept = c->e[k - 1];
    if (k == 1 && kept.start_offset == start_offset)
        return 0;
    kept.start_offset = start_offset;
    memmove(c->e + 1, c->e + k, (c->n - k) * sizeof *c->e);
    c->e[0] = kept;
    c->n = c->n - k + 1;
    return storage_leader_epoch_flush(c);
}

int storage_leader_epoch_clear(struct storage_leader_epoch_cache *c)
{
    c->n = 0;
    return storage_leader_epoch_flush(c);
}

static int rebuild_cb(void *ctx, const uint8_t *batch, size_t len)
{
    struct storage_leader_epoch_cache *c = ctx;
    struct rb_header h;
    if (rb_header_parse(batch, len, &h) != 0)
        return SL_ECORRUPT;
    if (h.partition_leader_epoch >= 0 &&
        (c->n == 0 || h.partition_leader_epoch > c->e[c->n - 1].epoch))
        push(c, h.partition_leader_epoch, h.base_offset);
    return 0;
}

int storage_leader_epoch_rebuild(struct storage_leader_epoch_cache *c, struct storage_log *l)
{
    c->n = 0;
    int rc = storage_log_scan(l, storage_log_start_offset(l), rebuild_cb, c);
    if (rc != 0) {
        c->n = 0;
        return rc;
    }
    LOG_INFO("storage", "%s: rebuilt from the log (%zu epochs)", c->path, c->n);
    return storage_leader_epoch_flush(c);
}
