/*
 * The admin API's guards against cross-site writes (admin_internal.h): a
 * browser page of another site must not be able to change the cluster
 * through a node's admin listener, neither with a "simple" cross-site
 * request (form POST, text/plain fetch: no CORS preflight) nor through DNS
 * rebinding (a foreign name resolving to the node, so the browser thinks the
 * request is same-origin).
 *
 * For every request that is not GET, HEAD or OPTIONS:
 *   - the Host header must name this node (admin_server.c builds the list:
 *     the admin listener's host, listener and advertised hosts, the machine's
 *     host name, localhost, 127.0.0.1, ::1, admin.allowed.hosts and the
 *     address the client connected to), else 403;
 *   - an Origin header, when present, must be the same origin as the Host
 *     header (http or https scheme, same host and port), else 403;
 *   - a body must be Content-Type application/json (parameters allowed), and
 *     a Content-Type sent without a body must be too, else 415.  Browsers
 *     cannot send application/json cross-site without a CORS preflight,
 *     which this server never grants.
 * The functions here are pure (no I/O) so the unit tests cover them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "admin_internal.h"

/* Whether the method changes state (everything but GET, HEAD and OPTIONS). */
static bool is_write(unsigned method)
{
    return (method & (ADMIN_GET | ADMIN_HEAD | ADMIN_OPTIONS)) == 0;
}

bool admin_content_type_is_json(const char *ct)
{
    static const char json[] = "application/json";
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, json, sizeof json - 1) != 0)
        return false;
    const char *p = ct + sizeof json - 1;
    while (*p == ' ' || *p == '\t')
        p++;
    return *p == '\0' || *p == ';'; /* parameters (charset=...) follow a ';' */
}

bool admin_authority_split(const char *auth, char *host, size_t hostlen, int *port)
{
    if (!auth || !*auth || hostlen == 0)
        return false;
    const char *h = auth, *hend, *rest;
    if (*auth == '[') {
        hend = strchr(auth, ']');
        if (!hend || hend == auth + 1)
            return false;
        h = auth + 1;
        rest = hend + 1;
    } else {
        hend = strchr(auth, ':');
        if (!hend)
            hend = auth + strlen(auth);
        rest = hend;
    }
    size_t len = (size_t)(hend - h);
    if (len == 0 || len >= hostlen)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)h[i];
        if (!(isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || (*auth == '[' && ch == ':')))
            return false;
        host[i] = (char)tolower(ch);
    }
    if (len > 1 && host[len - 1] == '.')
        len--; /* "localhost." is "localhost" */
    host[len] = '\0';
    *port = -1;
    if (*rest == '\0')
        return true;
    if (*rest != ':' || !rest[1])
        return false;
    long v = 0;
    for (const char *p = rest + 1; *p; p++) {
        if (*p < '0' || *p > '9' || p - rest > 5)
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return false;
    *port = (int)v;
    return true;
}

/* Whether two host names or addresses (no brackets, no port) are the same. */
static bool same_host(const char *a, const char *b)
{
    unsigned char x[16], y[16];
    if (inet_pton(AF_INET, a, x) == 1)
        return inet_pton(AF_INET, b, y) == 1 && memcmp(x, y, 4) == 0;
    if (inet_pton(AF_INET6, a, x) == 1)
        return inet_pton(AF_INET6, b, y) == 1 && memcmp(x, y, 16) == 0;
    size_t la = strlen(a), lb = strlen(b);
    if (la > 1 && a[la - 1] == '.')
        la--;
    if (lb > 1 && b[lb - 1] == '.')
        lb--;
    return la == lb && strncasecmp(a, b, la) == 0;
}

bool admin_host_in(const char *host, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *name = names[i];
        if (!name || !*name)
            continue;
        if (strcmp(name, "*") == 0)
            return true;
        char bare[256];
        size_t l = strlen(name);
        if (name[0] == '[' && l > 2 && name[l - 1] == ']' && l - 2 < sizeof bare) {
            memcpy(bare, name + 1, l - 2); /* "[::1]" as configured */
            bare[l - 2] = '\0';
            name = bare;
        }
        if (same_host(host, name))
            return true;
    }
    return false;
}

bool admin_origin_matches_host(const char *origin, const char *host_header)
{
    if (!origin || !host_header)
        return false;
    int dflt;
    const char *auth;
    if (strncasecmp(origin, "http://", 7) == 0) {
        dflt = 80;
        auth = origin + 7;
    } else if (strncasecmp(origin, "https://", 8) == 0) {
        dflt = 443; /* behind a TLS-terminating proxy */
        auth = origin + 8;
    } else {
        return false; /* "null", other schemes */
    }
    char oh[256], hh[256];
    int op, hp;
    if (!admin_authority_split(auth, oh, sizeof oh, &op) ||
        !admin_authority_split(host_header, hh, sizeof hh, &hp))
        return false;
    if (op < 0)
        op = dflt;
    if (hp < 0)
        hp = dflt;
    return op == hp && same_host(oh, hh);
}

int admin_request_guard(const struct admin_request *r, const char *const *names, size_t n,
                        char *why, size_t whylen)
{
    if (!is_write(r->method))
        return 0;
    char host[256];
    int port;
    if (!r->host) {
        snprintf(why, whylen, "a write needs a Host header naming this node");
        return 403;
    }
    if (!admin_authority_split(r->host, host, sizeof host, &port)) {
        snprintf(why, whylen, "malformed Host header");
        return 400;
    }
    if (!admin_host_in(host, names, n)) {
        snprintf(why, whylen,
                 "Host '%.100s' is not a name of this node; writes are refused (DNS rebinding "
                 "guard); list it in admin.allowed.hosts to allow it",
                 host);
        return 403;
    }
    if (r->origin && !admin_origin_matches_host(r->origin, r->host)) {
        snprintf(why, whylen,
                 "cross-origin write refused: Origin '%.100s' is not the origin of this admin "
                 "listener",
                 r->origin);
        return 403;
    }
    bool has_body = r->content_length > 0;
    if ((has_body || r->content_type) && !admin_content_type_is_json(r->content_type)) {
        snprintf(why, whylen, "writes must be sent as Content-Type: application/json (got %.100s)",
                 r->content_type ? r->content_type : "none");
        return 415;
    }
    return 0;
}
