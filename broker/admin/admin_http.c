/*
 * HTTP/1.1 request heads for the admin server (admin_internal.h): finding
 * the end of the head in the input, parsing the request line and header
 * fields (RFC 9112) with the admin limits, decoding the target into path
 * segments and query parameters (libevent_extra's URI decoding), and the
 * request's lifetime.
 */
#include <ctype.h>
#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include "admin_internal.h"
#include "xalloc.h"

#define MAX_URI_LENGTH 8192

struct admin_request *admin_request_new(struct broker *n)
{
    struct admin_request *r = xcalloc(1, sizeof *r);
    r->node = n;
    r->content_length = -1;
    TAILQ_INIT(&r->query);
    return r;
}

void admin_request_free(struct admin_request *r)
{
    if (!r)
        return;
    free(r->target);
    for (int i = 0; i < r->nsegs; i++)
        free(r->segs[i]);
    free(r->segs);
    evhttp_clear_headers(&r->query);
    free(r->body);
    free(r->extra_headers);
    free(r->host);
    free(r->origin);
    free(r->content_type);
    free(r);
}

static unsigned parse_method(const char *m)
{
    static const struct {
        const char *name;
        unsigned bit;
    } methods[] = {
        {"GET", ADMIN_GET},         {"HEAD", ADMIN_HEAD},     {"POST", ADMIN_POST},
        {"PUT", ADMIN_PUT},         {"DELETE", ADMIN_DELETE}, {"PATCH", ADMIN_PATCH},
        {"OPTIONS", ADMIN_OPTIONS},
    };
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (strcmp(m, methods[i].name) == 0)
            return methods[i].bit;
    return ADMIN_OTHER;
}

static bool is_tchar(char ch)
{
    return isalnum((unsigned char)ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

/* Stores a header value that must appear once; a second one makes it "" (never matches). */
static void keep_single(char **slot, const char *v)
{
    if (*slot) {
        (*slot)[0] = '\0';
        return;
    }
    *slot = xstrdup(v);
}

/*
 * Splits the path of the target into decoded segments and decodes the query.
 * Returns 0, or an HTTP status (400) with a message in why.
 */
static int parse_target(struct admin_request *r, char *why, size_t whylen)
{
    const char *t = r->target;
    /* absolute-form (RFC 9112 section 3.2.2): servers accept it; the authority is ignored. */
    if (strncasecmp(t, "http://", 7) == 0 || strncasecmp(t, "https://", 8) == 0) {
        const char *path = strchr(strstr(t, "//") + 2, '/');
        t = path ? path : "/";
    }
    if (t[0] != '/') {
        snprintf(why, whylen, "the request target must be an absolute path");
        return 400;
    }
    const char *q = strchr(t, '?');
    const char *hash = strchr(t, '#');
    size_t plen = q ? (size_t)(q - t) : hash ? (size_t)(hash - t) : strlen(t);
    if (q) {
        char *qs = xstrdup(q + 1);
        char *h = strchr(qs, '#');
        if (h)
            *h = '\0';
        int rc = evhttp_parse_query_str(qs, &r->query);
        free(qs);
        if (rc < 0) {
            snprintf(why, whylen, "malformed query string");
            return 400;
        }
    }
    r->segs = xcalloc(ADMIN_MAX_PATH_SEGS, sizeof *r->segs);
    size_t i = 1;
    while (i <= plen) {
        size_t j = i;
        while (j < plen && t[j] != '/')
            j++;
        if (j == plen && j == i && r->nsegs > 0)
            break; /* trailing slash */
        if (j == plen && j == i && r->nsegs == 0)
            break; /* "/" itself */
        if (r->nsegs == ADMIN_MAX_PATH_SEGS) {
            snprintf(why, whylen, "the path has too many segments");
            return 400;
        }
        char *raw = xmalloc(j - i + 1);
        memcpy(raw, t + i, j - i);
        raw[j - i] = '\0';
        size_t dlen = 0;
        char *dec = evhttp_uridecode(raw, 0, &dlen);
        free(raw);
        if (!dec || strlen(dec) != dlen) {
            free(dec);
            snprintf(why, whylen, "the path contains a NUL byte or a bad escape");
            return 400;
        }
        r->segs[r->nsegs++] = dec;
        i = j + 1;
    }
    return 0;
}

struct admin_request *admin_http_parse_head(struct broker *n, char *head, int *status, char *why,
                                            size_t whylen)
{
    struct admin_request *r = admin_request_new(n);
    *status = 0;

    char *save = NULL;
    char *line = strtok_r(head, "\n", &save);
    if (!line) {
        *status = 400;
        snprintf(why, whylen, "empty request");
        return r;
    }
    size_t ll = strlen(line);
    if (ll && line[ll - 1] == '\r')
        line[--ll] = '\0';
    char *sp1 = strchr(line, ' ');
    char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
    if (!sp1 || !sp2 || strchr(sp2 + 1, ' ')) {
        *status = 400;
        snprintf(why, whylen, "malformed request line");
        return r;
    }
    *sp1 = *sp2 = '\0';
    const char *method = line, *target = sp1 + 1, *version = sp2 + 1;
    for (const char *p = method; *p; p++)
        if (!is_tchar(*p)) {
            *status = 400;
            snprintf(why, whylen, "malformed method");
            return r;
        }
    if (!*method || !*target) {
        *status = 400;
        snprintf(why, whylen, "malformed request line");
        return r;
    }
    r->method = parse_method(method);
    r->target = xstrdup(target);
    if (strcmp(version, "HTTP/1.1") == 0) {
        r->keep_alive = true;
    } else if (strcmp(version, "HTTP/1.0") == 0) {
        r->http10 = true;
    } else if (strncmp(version, "HTTP/", 5) == 0) {
        *status = 505;
        snprintf(why, whylen, "only HTTP/1.0 and HTTP/1.1 are supported");
        return r;
    } else {
        *status = 400;
        snprintf(why, whylen, "malformed HTTP version");
        return r;
    }
    if (strlen(target) > MAX_URI_LENGTH) {
        *status = 414;
        snprintf(why, whylen, "the request target is longer than %d bytes", MAX_URI_LENGTH);
        return r;
    }
    for (const unsigned char *p = (const unsigned char *)target; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f) {
            *status = 400;
            snprintf(why, whylen, "the request target contains invalid characters");
            return r;
        }

    int nheaders = 0;
    while ((line = strtok_r(NULL, "\n", &save))) {
        ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        if (++nheaders > ADMIN_MAX_HEADERS) {
            *status = 431;
            snprintf(why, whylen, "more than %d header fields", ADMIN_MAX_HEADERS);
            return r;
        }
        if (line[0] == ' ' || line[0] == '\t') {
            *status = 400;
            snprintf(why, whylen, "obsolete header line folding is not accepted");
            return r;
        }
        char *colon = strchr(line, ':');
        if (!colon || colon == line) {
            *status = 400;
            snprintf(why, whylen, "malformed header field");
            return r;
        }
        *colon = '\0';
        for (const char *p = line; *p; p++)
            if (!is_tchar(*p)) {
                *status = 400;
                snprintf(why, whylen, "malformed header field name");
                return r;
            }
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t')
            v++;
        size_t vl = strlen(v);
        while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
            v[--vl] = '\0';
        if (strcasecmp(line, "Content-Length") == 0) {
            int64_t cl = 0;
            if (!*v || vl > 18) {
                *status = 400;
                snprintf(why, whylen, "invalid Content-Length");
                return r;
            }
            for (const char *p = v; *p; p++) {
                if (*p < '0' || *p > '9') {
                    *status = 400;
                    snprintf(why, whylen, "invalid Content-Length");
                    return r;
                }
                cl = cl * 10 + (*p - '0');
            }
            if (r->content_length >= 0 && r->content_length != cl) {
                *status = 400;
                snprintf(why, whylen, "conflicting Content-Length fields");
                return r;
            }
            r->content_length = cl;
        } else if (strcasecmp(line, "Transfer-Encoding") == 0) {
            *status = 501;
            snprintf(why, whylen,
                     "Transfer-Encoding is not supported for request bodies; send "
                     "Content-Length");
            return r;
        } else if (strcasecmp(line, "Connection") == 0) {
            /* Comma-separated tokens. */
            char *tsave = NULL;
            for (char *tok = strtok_r(v, ", \t", &tsave); tok;
                 tok = strtok_r(NULL, ", \t", &tsave)) {
                if (strcasecmp(tok, "close") == 0)
                    r->keep_alive = false;
                else if (strcasecmp(tok, "keep-alive") == 0 && r->http10)
                    r->keep_alive = true;
            }
        } else if (strcasecmp(line, "Host") == 0) {
            if (r->host) {
                *status = 400;
                snprintf(why, whylen, "more than one Host header field");
                return r;
            }
            r->host = xstrdup(v);
        } else if (strcasecmp(line, "Origin") == 0) {
            keep_single(&r->origin, v);
        } else if (strcasecmp(line, "Content-Type") == 0) {
            keep_single(&r->content_type, v);
        } else if (strcasecmp(line, "Expect") == 0) {
            if (strcasecmp(v, "100-continue") != 0) {
                *status = 417;
                snprintf(why, whylen, "unsupported expectation");
                return r;
            }
            r->expect_continue = !r->http10;
        }
    }
    if (r->content_length > ADMIN_MAX_BODY_BYTES) {
        *status = 413;
        snprintf(why, whylen, "request body of %lld bytes exceeds the limit of %d bytes",
                 (long long)r->content_length, ADMIN_MAX_BODY_BYTES);
        return r;
    }
    if (r->content_length < 0 && (r->method & (ADMIN_POST | ADMIN_PUT | ADMIN_PATCH)))
        r->content_length = 0; /* a POST without a body: handlers report the missing JSON */
    int st = parse_target(r, why, whylen);
    if (st) {
        *status = st;
        return r;
    }
    return r;
}

ssize_t admin_http_find_head_end(struct evbuffer *in, size_t *head_len)
{
    struct evbuffer_ptr p = evbuffer_search(in, "\n", 1, NULL);
    while (p.pos >= 0) {
        /* The line after this LF is empty when followed by LF or CRLF. */
        char two[2];
        struct evbuffer_ptr next = p;
        if (evbuffer_ptr_set(in, &next, 1, EVBUFFER_PTR_ADD) < 0)
            return -1;
        ev_ssize_t got = evbuffer_copyout_from(in, &next, two, 2);
        if (got >= 1 && two[0] == '\n') {
            *head_len = (size_t)p.pos;
            return p.pos + 2;
        }
        if (got == 2 && two[0] == '\r' && two[1] == '\n') {
            *head_len = (size_t)p.pos;
            return p.pos + 3;
        }
        if (got < 2 && got >= 0 && (got == 0 || two[0] == '\r'))
            return -1; /* need more input to decide */
        p = evbuffer_search(in, "\n", 1, &next);
    }
    return -1;
}
