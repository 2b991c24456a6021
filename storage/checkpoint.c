/*
 * Offset checkpoint files (checkpoint.h), Kafka's OffsetCheckpointFile format.
 */
#include "checkpoint.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "fileutil.h"
#include "log.h"
#include "xalloc.h"

#define TOPIC_MAX_LEN 249

static bool topic_ok(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > TOPIC_MAX_LEN)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)t[i] <= ' ' || t[i] == 0x7f)
            return false;
    return true;
}

int storage_checkpoint_format(const char *path, const struct storage_checkpoint_entry *e, size_t n,
                              void **out, size_t *len_out)
{
    *out = NULL;
    *len_out = 0;
    struct wbuf w;
    wbuf_init(&w, 64 + n * 48);
    char line[TOPIC_MAX_LEN + 64];
    int len = snprintf(line, sizeof line, "0\n%zu\n", n);
    wbuf_bytes(&w, line, (size_t)len);
    for (size_t i = 0; i < n; i++) {
        if (!topic_ok(e[i].topic) || e[i].partition < 0) {
            LOG_ERROR("storage", "%s: refusing to write entry %zu (bad topic or partition)", path,
                      i);
            wbuf_free(&w);
            return SL_EINVAL;
        }
        len = snprintf(line, sizeof line, "%s %" PRId32 " %" PRId64 "\n", e[i].topic,
                       e[i].partition, e[i].offset);
        wbuf_bytes(&w, line, (size_t)len);
    }
    *out = w.data;
    *len_out = w.len;
    return 0;
}

int storage_checkpoint_write(const char *path, const struct storage_checkpoint_entry *e, size_t n)
{
    void *data;
    size_t len;
    int rc = storage_checkpoint_format(path, e, n, &data, &len);
    if (rc == 0)
        rc = storage_file_write_atomic(path, data, len);
    free(data);
    return rc;
}

void storage_checkpoint_free(struct storage_checkpoint_entry *e, size_t n)
{
    if (e == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(e[i].topic);
    free(e);
}

/* Splits line into exactly `want` whitespace-separated fields. */
static bool split_fields(char *line, char **f, int want)
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(line, " \t", &save); t != NULL; t = strtok_r(NULL, " \t", &save)) {
        if (n == want)
            return false;
        f[n++] = t;
    }
    return n == want;
}

static size_t count_lines(const char *s)
{
    size_t n = 1;
    for (; *s; s++)
        if (*s == '\n')
            n++;
    return n;
}

static int corrupt(const char *path, size_t line, const char *what)
{
    LOG_ERROR("storage", "%s:%zu: malformed checkpoint file: %s", path, line, what);
    return SL_ECORRUPT;
}

int storage_checkpoint_read(const char *path, struct storage_checkpoint_entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    char *text;
    size_t len;
    int rc = storage_file_read_all(path, STORAGE_CHECKPOINT_MAX_BYTES, &text, &len);
    if (rc != 0)
        return rc;
    if (strlen(text) != len) {
        free(text);
        return corrupt(path, 1, "NUL byte in the file");
    }
    size_t max_entries = count_lines(text);
    char *cur = text;
    char *l = storage_text_next_line(&cur);
    int64_t version, count;
    struct storage_checkpoint_entry *e = NULL;
    size_t got = 0;
    if (l == NULL || !storage_parse_i64(l, &version) || version != 0) {
        rc = corrupt(path, 1, "expected version 0");
        goto out;
    }
    l = storage_text_next_line(&cur);
    if (l == NULL || !storage_parse_i64(l, &count) || count < 0 || (uint64_t)count > max_entries) {
        rc = corrupt(path, 2, "bad entry count");
        goto out;
    }
    e = xcalloc((size_t)count + 1, sizeof *e);
    for (; got < (size_t)count; got++) {
        l = storage_text_next_line(&cur);
        char *f[3];
        int64_t part, off;
        if (l == NULL) {
            rc = corrupt(path, got + 3, "fewer entries than the count says");
            goto out;
        }
        if (!split_fields(l, f, 3) || !topic_ok(f[0]) || !storage_parse_i64(f[1], &part) ||
            part < 0 || part > INT32_MAX || !storage_parse_i64(f[2], &off)) {
            rc = corrupt(path, got + 3, "expected \"topic partition offset\"");
            goto out;
        }
        e[got].topic = xstrdup(f[0]);
        e[got].partition = (int32_t)part;
        e[got].offset = off;
    }
    while ((l = storage_text_next_line(&cur)) != NULL) {
        if (l[strspn(l, " \t")] != '\0') {
            rc = corrupt(path, got + 3, "more entries than the count says");
            goto out;
        }
    }
    *out = count > 0 ? e : NULL;
    *n = got;
    if (count == 0)
        free(e);
    e = NULL;
out:
    if (e != NULL)
        storage_checkpoint_free(e, got);
    free(text);
    return rc;
}
