/*
 * Java-properties style parsing, environment overlay and overrides
 * (properties.h).
 */
#include "properties.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "err.h"
#include "xalloc.h"

#define PROPS_MAX_FILE (16u << 20)

void props_free(struct props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].key);
        free(p->v[i].value);
        free(p->v[i].origin);
    }
    free(p->v);
    p->v = NULL;
    p->n = p->cap = 0;
}

static struct prop_entry *find(const struct props *p, const char *key)
{
    for (size_t i = 0; i < p->n; i++)
        if (strcmp(p->v[i].key, key) == 0)
            return &p->v[i];
    return NULL;
}

void props_set(struct props *p, const char *key, const char *value, enum prop_source source,
               const char *origin)
{
    struct prop_entry *e = find(p, key);
    if (!e) {
        if (p->n == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 16;
            p->v = xrealloc(p->v, p->cap * sizeof *p->v);
        }
        e = &p->v[p->n++];
        e->key = xstrdup(key);
    } else {
        free(e->value);
        free(e->origin);
    }
    e->value = xstrdup(value);
    e->source = source;
    e->origin = origin ? xstrdup(origin) : NULL;
}

const struct prop_entry *props_get(const struct props *p, const char *key)
{
    return find(p, key);
}

const char *props_source_name(enum prop_source source)
{
    switch (source) {
    case PROP_SRC_DEFAULT:
        return "default";
    case PROP_SRC_FILE:
        return "file";
    case PROP_SRC_ENV:
        return "env";
    case PROP_SRC_OVERRIDE:
        return "override";
    }
    return "?";
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

/* One physical line [*s, *e) starting at pos; returns the position after its terminator. */
static size_t next_line(const char *text, size_t len, size_t pos, size_t *s, size_t *e)
{
    size_t i = pos;
    while (i < len && text[i] != '\n' && text[i] != '\r')
        i++;
    *s = pos;
    *e = i;
    if (i < len && text[i] == '\r' && i + 1 < len && text[i + 1] == '\n')
        return i + 2;
    return i < len ? i + 1 : i;
}

/* Number of consecutive backslashes ending at e (exclusive), not before s. */
static size_t trailing_backslashes(const char *text, size_t s, size_t e)
{
    size_t n = 0;
    while (e > s && text[e - 1] == '\\') {
        n++;
        e--;
    }
    return n;
}

static void set_err(char *err, size_t errlen, const char *name, int line, const char *what)
{
    if (err && errlen)
        snprintf(err, errlen, "%s:%d: %s", name, line, what);
}

/*
 * Decodes backslash escapes of src[0..n) into dst (at least n+1 bytes).
 * Returns -1 on an unsupported \u escape.
 */
static int unescape(const char *src, size_t n, char *dst)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        if (c != '\\') {
            dst[o++] = c;
            continue;
        }
        if (++i == n)
            break; /* a lone trailing backslash is dropped, as Java does */
        c = src[i];
        switch (c) {
        case 't':
            dst[o++] = '\t';
            break;
        case 'n':
            dst[o++] = '\n';
            break;
        case 'r':
            dst[o++] = '\r';
            break;
        case 'f':
            dst[o++] = '\f';
            break;
        case 'u':
            return -1;
        default:
            dst[o++] = c;
        }
    }
    dst[o] = '\0';
    return 0;
}

/* Splits one logical line into key and value and stores it. */
static int parse_logical(struct props *p, const char *l, size_t n, const char *name, int line,
                         char *err, size_t errlen)
{
    size_t i = 0;
    while (i < n && l[i] != '=' && l[i] != ':' && !is_blank(l[i])) {
        if (l[i] == '\\')
            i++; /* the escaped character belongs to the key */
        i++;
    }
    if (i > n)
        i = n;
    size_t key_end = i;
    while (i < n && is_blank(l[i]))
        i++;
    if (key_end == 0) {
        set_err(err, errlen, name, line, "empty key before '=' or ':'");
        return SL_EINVAL;
    }
    if (i == n || (l[i] != '=' && l[i] != ':')) {
        char msg[160];
        snprintf(msg, sizeof msg,
                 "expected 'key=value' or 'key: value', found no '=' or ':' after '%.*s'",
                 (int)(key_end > 80 ? 80 : key_end), l);
        set_err(err, errlen, name, line, msg);
        return SL_EINVAL;
    }
    i++;
    while (i < n && is_blank(l[i]))
        i++;
    char *key = xmalloc(key_end + 1);
    char *value = xmalloc(n - i + 1);
    int rc = 0;
    if (unescape(l, key_end, key) < 0 || unescape(l + i, n - i, value) < 0) {
        set_err(err, errlen, name, line, "\\u escapes are not supported");
        rc = SL_EINVAL;
    } else if (key[0] == '\0') {
        set_err(err, errlen, name, line, "empty key");
        rc = SL_EINVAL;
    } else {
        char origin[512];
        snprintf(origin, sizeof origin, "%s:%d", name, line);
        props_set(p, key, value, PROP_SRC_FILE, origin);
    }
    free(key);
    free(value);
    return rc;
}

int props_parse_string(struct props *p, const char *text, size_t len, const char *name, char *err,
                       size_t errlen)
{
    if (memchr(text, '\0', len)) {
        size_t at = (size_t)((const char *)memchr(text, '\0', len) - text);
        int line = 1;
        for (size_t i = 0; i < at; i++)
            line += text[i] == '\n';
        set_err(err, errlen, name, line, "NUL byte in properties text");
        return SL_EINVAL;
    }
    struct wbuf logical;
    wbuf_init(&logical, 256);
    size_t pos = 0;
    int lineno = 0;
    int rc = 0;
    while (pos < len) {
        size_t s, e;
        pos = next_line(text, len, pos, &s, &e);
        lineno++;
        while (s < e && is_blank(text[s]))
            s++;
        while (e > s && is_blank(text[e - 1]))
            e--;
        if (s == e || text[s] == '#' || text[s] == '!')
            continue;
        int start_line = lineno;
        logical.len = 0;
        for (;;) {
            bool cont = trailing_backslashes(text, s, e) % 2 == 1;
            wbuf_bytes(&logical, text + s, e - s - (cont ? 1 : 0));
            if (!cont || pos >= len)
                break;
            pos = next_line(text, len, pos, &s, &e);
            lineno++;
            while (s < e && is_blank(text[s]))
                s++;
            while (e > s && is_blank(text[e - 1]))
                e--;
        }
        /* A continuation may leave trailing blanks ("a=b \" followed by an empty line). */
        while (logical.len > 0 && is_blank((char)logical.data[logical.len - 1]))
            logical.len--;
        rc = parse_logical(p, (const char *)logical.data, logical.len, name, start_line, err,
                           errlen);
        if (rc < 0)
            break;
    }
    wbuf_free(&logical);
    return rc;
}

int props_parse_file(struct props *p, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && errlen)
            snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return SL_EIO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        if (err && errlen)
            snprintf(err, errlen, "%s: is a directory", path);
        return SL_EIO;
    }
    struct wbuf w;
    wbuf_init(&w, 4096);
    char chunk[8192];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (w.len + got > PROPS_MAX_FILE) {
            if (err && errlen)
                snprintf(err, errlen, "%s: larger than %u bytes", path, PROPS_MAX_FILE);
            rc = SL_ETOOLARGE;
            break;
        }
        wbuf_bytes(&w, chunk, got);
    }
    if (rc == 0 && ferror(f)) {
        if (err && errlen)
            snprintf(err, errlen, "%s: read error: %s", path, strerror(errno));
        rc = SL_EIO;
    }
    fclose(f);
    if (rc == 0)
        rc = props_parse_string(p, (const char *)w.data, w.len, path, err, errlen);
    wbuf_free(&w);
    return rc;
}

char *props_env_to_key(const char *name, const char *prefix)
{
    size_t pl = strlen(prefix);
    if (strncmp(name, prefix, pl) != 0 || name[pl] == '\0')
        return NULL;
    const char *s = name + pl;
    size_t n = strlen(s);
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '_') {
            size_t run = 0;
            while (i + run < n && s[i + run] == '_')
                run++;
            /* Greedy: each "___" is '-', then "__" is '_', then '_' is '.'. */
            while (run >= 3) {
                out[o++] = '-';
                run -= 3;
                i += 3;
            }
            if (run == 2) {
                out[o++] = '_';
                i += 2;
            } else if (run == 1) {
                out[o++] = '.';
                i += 1;
            }
            continue;
        }
        out[o++] = (char)tolower((unsigned char)s[i]);
        i++;
    }
    out[o] = '\0';
    return out;
}

void props_overlay_env(struct props *p, char *const *envp, const char *prefix,
                       const char *const *exclude)
{
    if (!envp)
        return;
    for (size_t i = 0; envp[i]; i++) {
        const char *eq = strchr(envp[i], '=');
        if (!eq)
            continue;
        char *name = xstrndup(envp[i], (size_t)(eq - envp[i]));
        bool skip = false;
        for (size_t j = 0; exclude && exclude[j]; j++)
            if (strcmp(exclude[j], name) == 0)
                skip = true;
        char *key = skip ? NULL : props_env_to_key(name, prefix);
        if (key) {
            char origin[300];
            snprintf(origin, sizeof origin, "env %.280s", name);
            props_set(p, key, eq + 1, PROP_SRC_ENV, origin);
            free(key);
        }
        free(name);
    }
}

int props_overlay_overrides(struct props *p, char *const *kv, int n, char *err, size_t errlen)
{
    for (int i = 0; i < n; i++) {
        const char *item = kv[i];
        const char *eq = strchr(item, '=');
        const char *ks = item, *ke = eq ? eq : item;
        while (ks < ke && isspace((unsigned char)*ks))
            ks++;
        while (ke > ks && isspace((unsigned char)ke[-1]))
            ke--;
        if (!eq || ke == ks) {
            if (err && errlen)
                snprintf(err, errlen, "--override '%s': expected key=value", item);
            return SL_EINVAL;
        }
        const char *vs = eq + 1, *ve = eq + strlen(eq);
        while (vs < ve && isspace((unsigned char)*vs))
            vs++;
        while (ve > vs && isspace((unsigned char)ve[-1]))
            ve--;
        char *key = xstrndup(ks, (size_t)(ke - ks));
        char *value = xstrndup(vs, (size_t)(ve - vs));
        props_set(p, key, value, PROP_SRC_OVERRIDE, "--override");
        free(key);
        free(value);
    }
    return 0;
}
