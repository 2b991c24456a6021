/*
 * The admin listener's HTTP/1.1 server (admin.h): connections on the node's
 * event loop, request parsing with limits, routing and replies.
 *
 * Built on bufferevents rather than libevent's evhttp: evhttp 2.1 answers an
 * oversized body with its own HTML page before any callback runs and has no
 * connection limit, and the admin API must answer every error as JSON and
 * refuse connections beyond its limit.  libevent_extra's URI helpers decode
 * the path and the query.
 *
 * Per connection one request is handled at a time (pipelined requests wait in
 * the input buffer); reading stops while a handler works, so a write waiting
 * for the controller holds its connection.  Limits: ADMIN_MAX_CONNECTIONS
 * connections (one more is answered 503 and closed), ADMIN_MAX_HEADER_BYTES
 * of request line and headers (431), ADMIN_MAX_BODY_BYTES of body (413,
 * checked against Content-Length before reading the body), no chunked
 * request bodies (501).  Deadlines are absolute, never reset by traffic, so
 * that clients trickling bytes cannot hold connections (and with them the
 * connection limit): a request's head and body must arrive within
 * admin.request.timeout.ms of its first byte (of the accept for the first
 * request on a connection), else 408 and the connection closes; a keep-alive
 * connection with no request is closed ADMIN_IDLE_TIMEOUT_S after its last
 * response; a handler at work has no deadline here (writes end with the
 * controller's timeout).  Writes pass the cross-site guards of admin_guard.c
 * (Host among this node's names, Origin same-origin, JSON bodies) before
 * their body is read.  A connection is closed after an error response with a
 * lingering close (output flushed, write side shut, input discarded for a
 * moment) so that the client reads the error instead of a reset.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admin.h"
#include "accept_backoff.h"
#include "admin_internal.h"
#include "broker_config.h"
#include "err.h"
#include "log.h"
#include "metrics.h"
#include "broker.h"
#include "xalloc.h"

#define LINGER_MS         2000
#define MAX_REJECTING     16 /* connections beyond the limit being answered 503 at once */
#define OUTPUT_HIGH_WATER (4u << 20)

struct admin_server {
    struct broker *node;
    int request_timeout_ms; /* admin.request.timeout.ms */
    char **names;           /* this node's names and addresses, for the Host guard */
    size_t nnames;
    struct evconnlistener *evl;
    struct accept_backoff backoff; /* pauses accepting after accept() failures */
    struct admin_conn *conns;      /* every open connection, rejected ones included */
    struct admin_write *settling;  /* forwarded writes waiting for the image (admin_writes.c) */
    int nconns;                    /* connections counted against the limit */
    int nrejecting;
};

/* What a connection is doing, for its deadline timer. */
enum conn_phase {
    CONN_REQUEST,  /* reading a request: deadline admin.request.timeout.ms (408) */
    CONN_HANDLING, /* a handler works on the request: no deadline */
    CONN_IDLE,     /* keep-alive, no request yet: closed after ADMIN_IDLE_TIMEOUT_S */
    CONN_CLOSING,  /* answering its last response and lingering (own deadline) */
};

struct admin_conn {
    struct admin_server *srv;
    enum conn_phase phase;
    struct event *deadline; /* the phase's deadline */
    struct bufferevent *bev;
    struct admin_conn *prev, *next;
    struct admin_request *cur; /* being read (body) or handled */
    struct event *linger;      /* lingering-close deadline */
    struct event *resume;      /* reads the next request after an asynchronous reply */
    bool closing;              /* no more requests: flush, then linger */
    bool lingering;            /* write side shut; discarding input */
    bool rejected;             /* over the connection limit (not counted) */
    bool in_process;           /* conn_process is on the stack */
    bool continue_sent;
    char peer[64];
    char local[64]; /* the address the client connected to (no port) */
};

/* ------------------------------------------------------------------------ */
/* Connection lifetime                                                      */

static void conn_free(struct admin_conn *c)
{
    struct admin_server *s = c->srv;
    if (c->cur) {
        if (c->cur->dispatched)
            c->cur->conn = NULL; /* the handler still owns it; its reply frees it */
        else
            admin_request_free(c->cur);
        c->cur = NULL;
    }
    if (c->linger)
        event_free(c->linger);
    event_free(c->deadline);
    event_free(c->resume);
    if (c->bev)
        bufferevent_free(c->bev);
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->rejected)
        s->nrejecting--;
    else
        s->nconns--;
    free(c);
}

static void on_linger_done(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    conn_free(arg);
}

/* Output flushed: shut the write side and discard input until EOF or the deadline. */
static void start_linger(struct admin_conn *c)
{
    c->lingering = true;
    shutdown(bufferevent_getfd(c->bev), SHUT_WR);
    evbuffer_drain(bufferevent_get_input(c->bev),
                   evbuffer_get_length(bufferevent_get_input(c->bev)));
    c->linger = evtimer_new(bufferevent_get_base(c->bev), on_linger_done, c);
    struct timeval tv = {LINGER_MS / 1000, (LINGER_MS % 1000) * 1000};
    evtimer_add(c->linger, &tv);
    bufferevent_set_timeouts(c->bev, NULL, NULL);
    bufferevent_enable(c->bev, EV_READ);
}

static void conn_process(struct admin_conn *c);

/* Enters phase p and (re)arms the deadline of that phase, counted from now. */
static void conn_set_phase(struct admin_conn *c, enum conn_phase p)
{
    c->phase = p;
    evtimer_del(c->deadline);
    struct timeval tv = {0, 0};
    if (p == CONN_REQUEST) {
        int ms = c->srv->request_timeout_ms;
        tv.tv_sec = ms / 1000;
        tv.tv_usec = (ms % 1000) * 1000;
    } else if (p == CONN_IDLE) {
        tv.tv_sec = ADMIN_IDLE_TIMEOUT_S;
    } else {
        return;
    }
    evtimer_add(c->deadline, &tv);
}

static void reject(struct admin_conn *c, struct admin_request *r, int status, const char *msg);

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct admin_conn *c = arg;
    if (c->phase == CONN_IDLE) {
        conn_free(c);
        return;
    }
    if (c->phase != CONN_REQUEST)
        return;
    char msg[128];
    snprintf(msg, sizeof msg, "the request did not arrive completely within %d ms",
             c->srv->request_timeout_ms);
    LOG_DEBUG("admin", "%s: %s; closing the connection", c->peer, msg);
    struct admin_request *r = c->cur ? c->cur : admin_request_new(c->srv->node);
    reject(c, r, 408, msg);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct admin_conn *c = arg;
    if (c->lingering) {
        struct evbuffer *in = bufferevent_get_input(bev);
        evbuffer_drain(in, evbuffer_get_length(in));
        return;
    }
    conn_process(c);
}

static void on_resume(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct admin_conn *c = arg;
    if (!c->closing && !c->cur)
        conn_process(c);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct admin_conn *c = arg;
    /* Called when the output has drained. */
    if (c->closing && !c->lingering && !c->cur)
        start_linger(c);
    else if (!c->closing && !c->cur && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
        conn_process(c); /* requests held back while the output was full */
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct admin_conn *c = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
        conn_free(c);
}

/* ------------------------------------------------------------------------ */
/* Responses                                                                */

static const struct {
    int status;
    const char *reason;
} reasons[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {400, "Bad Request"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {415, "Unsupported Media Type"},
    {417, "Expectation Failed"},
    {421, "Misdirected Request"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
    {505, "HTTP Version Not Supported"},
};

static const char *reason_phrase(int status)
{
    for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return status < 400 ? "OK" : status < 500 ? "Bad Request" : "Internal Server Error";
}

/* Writes the response to the connection (when still there), frees r, resumes reading. */
void admin_reply_buffer(struct admin_request *r, int status, const char *content_type,
                        struct evbuffer *body)
{
    struct admin_conn *c = r->conn;
    if (!c) {
        admin_request_free(r);
        return;
    }
    struct broker *n = r->node;
    broker_metrics_http_response(n->metrics, status);
    /* A request whose body was not read (413, bad framing) ends the connection. */
    bool close_after = !r->keep_alive || !r->dispatched;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    size_t len = body ? evbuffer_get_length(body) : 0;
    evbuffer_add_printf(out,
                        "HTTP/1.1 %d %s\r\n"
                        "Content-Type: %s\r\n"
                        "Content-Length: %zu\r\n"
                        "Cache-Control: no-store\r\n"
                        "X-Content-Type-Options: nosniff\r\n",
                        status, reason_phrase(status), content_type, len);
    if (r->extra_headers)
        evbuffer_add(out, r->extra_headers, strlen(r->extra_headers));
    if (close_after)
        evbuffer_add_printf(out, "Connection: close\r\n");
    else if (r->http10)
        evbuffer_add_printf(out, "Connection: keep-alive\r\n");
    evbuffer_add(out, "\r\n", 2);
    if (body && (r->method & ADMIN_HEAD) == 0)
        evbuffer_add_buffer(out, body);
    if (c->cur == r)
        c->cur = NULL;
    admin_request_free(r);
    if (close_after) {
        conn_set_phase(c, CONN_CLOSING);
        c->closing = true;
        bufferevent_disable(c->bev, EV_READ);
        if (evbuffer_get_length(out) == 0 && !c->in_process)
            start_linger(c);
        return; /* on_write starts the linger once the output drained */
    }
    conn_set_phase(c, CONN_IDLE);
    bufferevent_enable(c->bev, EV_READ);
    /* Pipelined requests may already be buffered.  After an asynchronous reply (from a
     * controller callback) they are read from a fresh loop callback, never from inside
     * the controller's completion. */
    if (!c->in_process)
        event_active(c->resume, EV_TIMEOUT, 0);
}

/* ------------------------------------------------------------------------ */
/* Routing                                                                  */

struct admin_route {
    const char *pattern; /* segments; "{}" matches any non-empty segment */
    admin_handler get, post, del;
};

static const struct admin_route routes[] = {
    {"/", admin_page_get, NULL, NULL},
    {"/metrics", admin_metrics_get, NULL, NULL},
    {"/v1/status/ready", admin_view_ready, NULL, NULL},
    {"/v1/cluster", admin_view_cluster, NULL, NULL},
    {"/v1/cluster/health_overview", admin_view_health, NULL, NULL},
    {"/v1/brokers", admin_view_brokers, NULL, NULL},
    {"/v1/brokers/{}", admin_view_broker, NULL, NULL},
    {"/v1/topics", admin_view_topics, admin_write_create_topic, NULL},
    {"/v1/topics/{}", admin_view_topic, NULL, admin_write_delete_topic},
    {"/v1/topics/{}/partitions", admin_view_partitions, admin_write_create_partitions, NULL},
    {"/v1/topics/{}/partitions/{}", admin_view_partition, NULL, NULL},
    {"/v1/partitions/{}/{}/transfer_leadership", NULL, admin_write_transfer_leadership, NULL},
    {"/v1/raft/metadata", admin_view_raft, NULL, NULL},
    {"/v1/groups", admin_view_groups, NULL, NULL},
    {"/v1/groups/{}", admin_view_group, NULL, NULL},
};

/* Matches r's segments against pattern; fills r->params on success. */
static bool route_match(const char *pattern, struct admin_request *r)
{
    const char *p = pattern + 1; /* skip the leading '/' */
    int i = 0, np = 0;
    while (*p) {
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (i >= r->nsegs)
            return false;
        if (len == 2 && p[0] == '{' && p[1] == '}') {
            if (!r->segs[i][0] || np >= 4)
                return false;
            r->params[np++] = r->segs[i];
        } else if (strlen(r->segs[i]) != len || memcmp(r->segs[i], p, len) != 0) {
            return false;
        }
        i++;
        p += len;
        if (*p == '/')
            p++;
    }
    if (i != r->nsegs)
        return false;
    r->nparams = np;
    return true;
}

static void allow_text(const struct admin_route *rt, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s", rt->get ? "GET, HEAD, " : "", rt->post ? "POST, " : "",
             rt->del ? "DELETE, " : "", "OPTIONS");
}

static void dispatch(struct admin_request *r)
{
    r->dispatched = true;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct admin_route *rt = &routes[i];
        if (!route_match(rt->pattern, r))
            continue;
        admin_handler h = NULL;
        if (r->method & (ADMIN_GET | ADMIN_HEAD))
            h = rt->get;
        else if (r->method == ADMIN_POST)
            h = rt->post;
        else if (r->method == ADMIN_DELETE)
            h = rt->del;
        if (h) {
            h(r);
            return;
        }
        char allow[64];
        allow_text(rt, allow, sizeof allow);
        admin_request_add_header(r, "Allow", allow);
        if (r->method == ADMIN_OPTIONS) {
            admin_reply_raw(r, 204, "text/plain", NULL, 0);
            return;
        }
        admin_reply_error(r, 405, "method not allowed on %s; allowed: %s", r->target, allow);
        return;
    }
    admin_reply_error(r, 404, "no such endpoint: %s", r->target);
}

/* ------------------------------------------------------------------------ */
/* Reading requests                                                         */

/* Rejects a request before it is dispatched (the connection then closes). */
static void reject(struct admin_conn *c, struct admin_request *r, int status, const char *msg)
{
    r->dispatched = false;
    r->keep_alive = false;
    c->cur = r;
    r->conn = c;
    admin_reply_error(r, status, "%s", msg);
}

/* Reads and handles as many complete requests as are buffered. */
static void conn_process(struct admin_conn *c)
{
    c->in_process = true;
    struct evbuffer *in = bufferevent_get_input(c->bev);
    while (!c->closing) {
        /* A client that does not read its responses stops being served until it does. */
        if (evbuffer_get_length(bufferevent_get_output(c->bev)) > OUTPUT_HIGH_WATER)
            break;
        struct admin_request *r = c->cur;
        if (r && r->dispatched)
            break; /* a handler is working: wait for its reply */
        if (!r) {
            /* Skip empty lines before a request line (RFC 9112 section 2.2). */
            for (;;) {
                unsigned char ch;
                if (evbuffer_copyout(in, &ch, 1) != 1 || (ch != '\r' && ch != '\n'))
                    break;
                evbuffer_drain(in, 1);
            }
            if (evbuffer_get_length(in) == 0)
                break;
            if (c->phase == CONN_IDLE)
                conn_set_phase(c, CONN_REQUEST); /* the next request's first byte */
            size_t head_len = 0;
            ssize_t total = admin_http_find_head_end(in, &head_len);
            if (total < 0) {
                if (evbuffer_get_length(in) > ADMIN_MAX_HEADER_BYTES) {
                    struct admin_request *e = admin_request_new(c->srv->node);
                    reject(c, e, 431, "request line and headers exceed 16384 bytes");
                }
                break;
            }
            if ((size_t)total > ADMIN_MAX_HEADER_BYTES) {
                struct admin_request *e = admin_request_new(c->srv->node);
                reject(c, e, 431, "request line and headers exceed 16384 bytes");
                break;
            }
            char *head = xmalloc((size_t)total + 1);
            evbuffer_remove(in, head, (size_t)total);
            head[head_len] = '\0';
            int status = 0;
            char why[256];
            if (memchr(head, '\0', head_len)) {
                free(head);
                struct admin_request *e = admin_request_new(c->srv->node);
                reject(c, e, 400, "the request head contains a NUL byte");
                break;
            }
            r = admin_http_parse_head(c->srv->node, head, &status, why, sizeof why);
            r->conn = c;
            free(head);
            if (!status) {
                /* The names of this node plus the address this client reached. */
                c->srv->names[c->srv->nnames] = c->local;
                status = admin_request_guard(r, (const char *const *)c->srv->names,
                                             c->srv->nnames + 1, why, sizeof why);
                if (status)
                    LOG_DEBUG("admin", "%s: refused: %s", c->peer, why);
            }
            if (status) {
                reject(c, r, status, why);
                break;
            }
            c->cur = r;
            c->continue_sent = false;
        }
        /* Body. */
        size_t need = r->content_length > 0 ? (size_t)r->content_length : 0;
        if (evbuffer_get_length(in) < need) {
            if (r->expect_continue && !c->continue_sent) {
                evbuffer_add_printf(bufferevent_get_output(c->bev),
                                    "HTTP/1.1 100 Continue\r\n\r\n");
                c->continue_sent = true;
            }
            break;
        }
        if (need) {
            r->body = xmalloc(need + 1);
            evbuffer_remove(in, r->body, need);
            r->body[need] = '\0';
            r->body_len = need;
        }
        conn_set_phase(c, CONN_HANDLING);
        dispatch(r);
    }
    c->in_process = false;
    if (c->closing && !c->cur && !c->lingering &&
        evbuffer_get_length(bufferevent_get_output(c->bev)) == 0)
        start_linger(c);
}

/* ------------------------------------------------------------------------ */
/* Accepting                                                                */

static void set_paused(void *ctx, bool paused)
{
    struct admin_server *s = ctx;
    if (paused)
        evconnlistener_disable(s->evl);
    else
        evconnlistener_enable(s->evl);
}

/* accept() failed (EMFILE at the open-file limit...): pause instead of spinning. */
static void on_accept_error(struct evconnlistener *evl, void *arg)
{
    (void)evl;
    struct admin_server *s = arg;
    accept_backoff_failed(&s->backoff, EVUTIL_SOCKET_ERROR());
}

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)evl;
    (void)salen;
    struct admin_server *s = arg;
    accept_backoff_succeeded(&s->backoff);
    bool over = s->nconns >= ADMIN_MAX_CONNECTIONS;
    if (over && s->nrejecting >= MAX_REJECTING) {
        evutil_closesocket(fd);
        return;
    }
    struct bufferevent *bev = bufferevent_socket_new(s->node->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        evutil_closesocket(fd);
        return;
    }
    struct admin_conn *c = xcalloc(1, sizeof *c);
    c->srv = s;
    c->bev = bev;
    c->resume = event_new(s->node->base, -1, 0, on_resume, c);
    c->deadline = evtimer_new(s->node->base, on_deadline, c);
    if (sa->sa_family == AF_INET) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%d", ip, ntohs(((struct sockaddr_in *)sa)->sin_port));
    } else if (sa->sa_family == AF_INET6) {
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "[%s]:%d", ip,
                 ntohs(((struct sockaddr_in6 *)sa)->sin6_port));
    }
    struct sockaddr_storage local;
    socklen_t llen = sizeof local;
    if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
        if (local.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&local)->sin_addr, c->local,
                      sizeof c->local);
        else if (local.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&local)->sin6_addr, c->local,
                      sizeof c->local);
    }
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    if (over) {
        c->rejected = true;
        s->nrejecting++;
    } else {
        s->nconns++;
    }
    bufferevent_setcb(bev, on_read, on_write, on_event, c);
    /* Reading is bounded by the phase deadlines (a bufferevent read timeout restarts
     * with every byte); the write timeout closes a client that stops reading. */
    struct timeval idle = {ADMIN_IDLE_TIMEOUT_S, 0};
    bufferevent_set_timeouts(bev, NULL, &idle);
    if (!over)
        conn_set_phase(c, CONN_REQUEST); /* the first request's deadline runs from the accept */
    bufferevent_setwatermark(bev, EV_READ, 0, ADMIN_MAX_HEADER_BYTES + ADMIN_MAX_BODY_BYTES + 4096);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    if (over) {
        LOG_WARN("admin", "admin connection limit (%d) reached; refusing %s", ADMIN_MAX_CONNECTIONS,
                 c->peer);
        struct admin_request *r = admin_request_new(s->node);
        admin_request_add_header(r, "Retry-After", "1");
        reject(c, r, 503, "too many admin connections");
    }
}

static void names_add(struct admin_server *s, size_t *cap, const char *name)
{
    if (!name || !*name)
        return;
    if (s->nnames + 2 > *cap) { /* one spare slot for the connection's local address */
        *cap = *cap ? *cap * 2 : 16;
        s->names = xrealloc(s->names, *cap * sizeof *s->names);
    }
    s->names[s->nnames++] = xstrdup(name);
}

/*
 * The names the Host header of a write may carry: loopback, the admin
 * listener's host, the listener and advertised hosts, the machine's host
 * name and admin.allowed.hosts.
 */
static void names_build(struct admin_server *s, const struct broker_config *cfg)
{
    size_t cap = 0;
    names_add(s, &cap, "localhost");
    names_add(s, &cap, "127.0.0.1");
    names_add(s, &cap, "::1");
    names_add(s, &cap, cfg->admin_host);
    for (size_t i = 0; i < cfg->listen.n; i++)
        names_add(s, &cap, cfg->listen.v[i].host);
    for (size_t i = 0; i < cfg->advertised.n; i++)
        names_add(s, &cap, cfg->advertised.v[i].host);
    char host[256];
    if (gethostname(host, sizeof host) == 0) {
        host[sizeof host - 1] = '\0';
        names_add(s, &cap, host);
    }
    for (size_t i = 0; i < cfg->admin_allowed_hosts.n; i++)
        names_add(s, &cap, cfg->admin_allowed_hosts.v[i]);
}

static void names_free(struct admin_server *s)
{
    for (size_t i = 0; i < s->nnames; i++)
        free(s->names[i]);
    free(s->names);
}

int admin_server_start(struct broker *n)
{
    const struct broker_config *cfg = n->cfg;
    if (!cfg->admin_host)
        return 0;
    n->metrics = broker_metrics_new();
    struct evutil_addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
    char port[16];
    snprintf(port, sizeof port, "%d", cfg->admin_port);
    int rc = evutil_getaddrinfo(*cfg->admin_host ? cfg->admin_host : NULL, port, &hints, &res);
    if (rc != 0 || !res) {
        LOG_ERROR("admin", "admin.listener: cannot resolve %s: %s", cfg->admin_host,
                  evutil_gai_strerror(rc));
        return SL_EIO;
    }
    struct admin_server *s = xcalloc(1, sizeof *s);
    s->node = n;
    s->request_timeout_ms = cfg->admin_request_timeout_ms;
    s->evl = evconnlistener_new_bind(
        n->base, on_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
        128, res->ai_addr, (int)res->ai_addrlen);
    evutil_freeaddrinfo(res);
    if (!s->evl || accept_backoff_init(&s->backoff, n->base, "admin listener", set_paused, s) < 0) {
        LOG_ERROR("admin", "admin.listener: cannot listen on %s:%d: %s", cfg->admin_host,
                  cfg->admin_port, strerror(errno));
        if (s->evl)
            evconnlistener_free(s->evl);
        free(s);
        return SL_EIO;
    }
    evconnlistener_set_error_cb(s->evl, on_accept_error);
    names_build(s, cfg);
    n->admin = s;
    LOG_INFO("admin", "admin API on http://%s:%d/", *cfg->admin_host ? cfg->admin_host : "*",
             cfg->admin_port);
    return 0;
}

void admin_server_stop(struct broker *n)
{
    struct admin_server *s = n->admin;
    if (s) {
        admin_writes_stop(n);
        evconnlistener_free(s->evl);
        accept_backoff_free(&s->backoff);
        while (s->conns)
            conn_free(s->conns);
        names_free(s);
        free(s);
        n->admin = NULL;
    }
    broker_metrics_free(n->metrics);
    n->metrics = NULL;
}

struct admin_write **admin_server_settling(struct broker *n)
{
    return n->admin ? &n->admin->settling : NULL;
}

int admin_server_connection_count(const struct broker *n)
{
    return n->admin ? n->admin->nconns : 0;
}
