/*
 * Listening sockets and Kafka connections (conn.h).
 *
 * Reading: a frame is `int32 size` + header + body.  The size is checked
 * against socket.request.max.bytes before anything is allocated; a bad size
 * closes the connection as Kafka does (InvalidReceiveException).  Each frame
 * becomes a struct request queued on its connection and handed to dispatch.
 * Requests may complete out of order; responses are written in order.
 *
 * Back-pressure: a connection stops reading while it has too many requests
 * in flight or too much unsent output, and resumes when they drain.
 */
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "dispatch.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "node.h"
#include "request.h"
#include "xalloc.h"

#define MAX_INFLIGHT_PER_CONN 128
#define OUTPUT_HIGH_WATER     (32u << 20)
#define OUTPUT_LOW_WATER      (8u << 20)

struct listener {
    struct node *node;
    const struct api_table *apis;
    char *name;
    struct evconnlistener *evl;
    struct listener *next;
};

struct conn {
    struct node *node;
    struct listener *listener;
    struct bufferevent *bev; /* NULL once closed */
    char peer[64];
    char host[64]; /* "/<ip>", Kafka's form of the client address */
    struct request *head, *tail;
    int inflight;
    int refs; /* queued requests keep a closed connection's memory alive */
    bool reading;
    struct conn *prev_conn, *next_conn; /* node->conns list while open */
};

static void conn_maybe_free(struct conn *c)
{
    if (!c->bev && c->refs == 0)
        free(c);
}

static void conn_unlink(struct conn *c)
{
    struct node *n = c->node;
    if (c->prev_conn)
        c->prev_conn->next_conn = c->next_conn;
    else if (n->conns == c)
        n->conns = c->next_conn;
    if (c->next_conn)
        c->next_conn->prev_conn = c->prev_conn;
    c->prev_conn = c->next_conn = NULL;
    n->nconns--;
}

static void request_free(struct request *req)
{
    for (size_t i = 0; i < req->out.nsplices; i++)
        if (req->out.splices[i].slice.fd >= 0)
            close(req->out.splices[i].slice.fd);
    free(req->frame);
    arena_free(&req->arena);
    proto_out_free(&req->out);
    free(req);
}

/* Closes the socket; queued requests stay until their handlers complete. */
static void conn_close(struct conn *c, const char *why)
{
    if (!c->bev)
        return;
    if (why)
        LOG_DEBUG("broker", "closing connection from %s: %s", c->peer, why);
    bufferevent_free(c->bev);
    c->bev = NULL;
    conn_unlink(c);
    /* Drop requests that are already complete; the rest retire as they finish. */
    while (c->head && c->head->done) {
        struct request *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        c->refs--;
        request_free(r);
    }
    conn_maybe_free(c);
}

static void conn_update_reading(struct conn *c)
{
    if (!c->bev)
        return;
    struct evbuffer *out = bufferevent_get_output(c->bev);
    bool want = c->inflight < MAX_INFLIGHT_PER_CONN && evbuffer_get_length(out) < OUTPUT_HIGH_WATER;
    if (want && !c->reading) {
        bufferevent_enable(c->bev, EV_READ);
        c->reading = true;
    } else if (!want && c->reading) {
        bufferevent_disable(c->bev, EV_READ);
        c->reading = false;
    }
}

/*
 * Moves an encoded response (bytes and file slices) to the socket's output.
 * The slices' descriptors were duplicated when the response was encoded
 * (request_respond), so segment deletion in between cannot change what is
 * sent; ownership passes to libevent here.
 */
static int write_response(struct conn *c, struct request *r)
{
    struct evbuffer *out = bufferevent_get_output(c->bev);
    struct proto_out *o = &r->out;
    size_t pos = 0;
    for (size_t i = 0; i < o->nsplices; i++) {
        struct proto_splice *sp = &o->splices[i];
        if (evbuffer_add(out, o->w.data + pos, sp->pos - pos) < 0)
            return -1;
        pos = sp->pos;
        if (sp->slice.len == 0 || sp->slice.fd < 0)
            continue;
        struct evbuffer_file_segment *seg = evbuffer_file_segment_new(
            sp->slice.fd, sp->slice.off, sp->slice.len, EVBUF_FS_CLOSE_ON_FREE);
        if (!seg)
            return -1;
        sp->slice.fd = -1; /* owned by the segment now */
        int rc = evbuffer_add_file_segment(out, seg, 0, sp->slice.len);
        evbuffer_file_segment_free(seg);
        if (rc < 0)
            return -1;
    }
    return evbuffer_add(out, o->w.data + pos, o->w.len - pos);
}

/* Writes every completed response at the head of the queue, in order. */
static void conn_flush(struct conn *c)
{
    bool close_now = false;
    const char *why = NULL;
    while (c->head && c->head->done) {
        struct request *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        c->inflight--;
        c->refs--;
        if (c->bev && !r->no_response && !r->close_after && write_response(c, r) < 0) {
            close_now = true;
            why = "write failed";
        }
        if (r->close_after) {
            close_now = true;
            why = "request asked to close";
        }
        request_free(r);
        if (close_now)
            break;
    }
    if (close_now) {
        if (c->bev) {
            /* Flush what was already queued for earlier requests, then close. */
            conn_close(c, why);
        } else {
            conn_maybe_free(c);
        }
        return;
    }
    if (!c->bev) {
        conn_maybe_free(c);
        return;
    }
    conn_update_reading(c);
}

const char *request_listener_name(const struct request *req)
{
    return req->conn->listener->name;
}

const char *request_client_host(const struct request *req)
{
    return req->conn->host;
}

bool request_conn_closed(const struct request *req)
{
    return req->conn->bev == NULL;
}

static void request_complete(struct request *req)
{
    req->done = true;
    struct conn *c = req->conn;
    if (c->head == req)
        conn_flush(c);
}

/* Takes private descriptors for every file slice of the encoded response. */
static void own_slices(struct request *req)
{
    for (size_t i = 0; i < req->out.nsplices; i++) {
        struct proto_file_slice *sl = &req->out.splices[i].slice;
        sl->fd = fcntl(sl->fd, F_DUPFD_CLOEXEC, 0);
        if (sl->fd < 0) {
            LOG_ERROR("broker", "dup of a segment descriptor failed: %s", strerror(errno));
            req->close_after = true;
        }
    }
}

void request_respond(struct request *req, const struct proto_schema *schema, const void *resp)
{
    broker_metrics_request_done(req->node->metrics, req->hdr.api_key,
                                clock_mono_us() - req->recv_us);
    if (!request_conn_closed(req)) {
        int16_t key = req->hdr.api_key, ver = req->hdr.api_version;
        /* KIP-511: an ApiVersions answer to an unsupported version is encoded as v0. */
        if (key == KAPI_API_VERSIONS && !req->apis->version_supported(key, ver))
            ver = 0;
        bool flex = req->apis->is_flexible(key, ver);
        size_t size_at = wbuf_skip(&req->out.w, 4);
        /* Header v1 for flexible versions, except ApiVersions (always v0, KIP-511). */
        proto_resp_header_write(&req->out, req->hdr.correlation_id,
                                flex && key != KAPI_API_VERSIONS);
        if (proto_encode(schema, ver, flex, resp, &req->out) < 0) {
            LOG_ERROR("broker", "cannot encode %s v%d response; closing connection", schema->name,
                      ver);
            req->close_after = true;
        } else {
            wbuf_patch_i32(&req->out.w, size_at, (int32_t)(proto_out_len(&req->out) - 4));
            own_slices(req);
        }
    }
    request_complete(req);
}

void request_finish_silent(struct request *req)
{
    broker_metrics_request_done(req->node->metrics, req->hdr.api_key,
                                clock_mono_us() - req->recv_us);
    req->no_response = true;
    request_complete(req);
}

void request_close_connection(struct request *req, const char *why)
{
    LOG_DEBUG("broker", "closing connection: %s", why);
    req->close_after = true;
    request_complete(req);
}

static void conn_read_frames(struct conn *c)
{
    struct node *n = c->node;
    /* A handler may close the connection; the extra reference keeps `c` valid here. */
    c->refs++;
    while (c->bev && c->inflight < MAX_INFLIGHT_PER_CONN) {
        struct evbuffer *in = bufferevent_get_input(c->bev);
        size_t avail = evbuffer_get_length(in);
        if (avail < 4)
            break;
        uint8_t szb[4];
        evbuffer_copyout(in, szb, 4);
        int32_t size = (int32_t)be32_load(szb);
        if (proto_frame_size_check(size, n->max_request_bytes) < 0) {
            LOG_WARN("broker", "%s sent a frame of %d bytes (limit %d); closing", c->peer, size,
                     n->max_request_bytes);
            conn_close(c, "bad frame size");
            break;
        }
        if (avail < (size_t)size + 4) {
            /* Wake up only once the whole frame is here. */
            bufferevent_setwatermark(c->bev, EV_READ, (size_t)size + 4, 0);
            break;
        }
        bufferevent_setwatermark(c->bev, EV_READ, 0, 0);
        struct request *req = xcalloc(1, sizeof *req);
        req->conn = c;
        req->node = n;
        req->frame_len = (size_t)size;
        req->frame = xmalloc(req->frame_len);
        evbuffer_drain(in, 4);
        evbuffer_remove(in, req->frame, req->frame_len);
        req->recv_us = clock_mono_us();
        proto_out_init(&req->out);
        if (c->tail)
            c->tail->next = req;
        else
            c->head = req;
        c->tail = req;
        c->inflight++;
        c->refs++;

        rbuf_init(&req->body, req->frame, req->frame_len);
        req->apis = c->listener->apis;
        if (proto_req_header_decode_ex(&req->body, &req->hdr, &req->arena, req->apis->is_flexible) <
            0) {
            request_close_connection(req, "malformed request header");
            continue;
        }
        broker_dispatch(req);
    }
    c->refs--;
    if (!c->bev) {
        conn_maybe_free(c);
        return;
    }
    conn_update_reading(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    conn_read_frames(arg);
}

static void on_write(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct conn *c = arg;
    bool was_paused = !c->reading;
    conn_update_reading(c);
    /* Output drained below the low-water mark: frames may be waiting in the input. */
    if (was_paused && c->reading)
        conn_read_frames(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct conn *c = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_close(c, (what & BEV_EVENT_EOF) ? "peer closed" : "socket error");
}

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)evl;
    (void)salen;
    struct listener *l = arg;
    struct node *n = l->node;
    if (n->max_connections > 0 && n->nconns >= n->max_connections) {
        LOG_WARN("broker", "max.connections (%d) reached; refusing a connection",
                 n->max_connections);
        evutil_closesocket(fd);
        return;
    }
    struct conn *c = xcalloc(1, sizeof *c);
    c->node = n;
    c->listener = l;
    if (sa->sa_family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)sa;
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "%s:%d", ip, ntohs(sin->sin_port));
        snprintf(c->host, sizeof c->host, "/%s", ip);
    } else if (sa->sa_family == AF_INET6) {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
        char ip[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        snprintf(c->peer, sizeof c->peer, "[%s]:%d", ip, ntohs(sin6->sin6_port));
        snprintf(c->host, sizeof c->host, "/%s", ip);
    } else {
        snprintf(c->peer, sizeof c->peer, "unknown");
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        evutil_closesocket(fd);
        free(c);
        return;
    }
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_WRITE, OUTPUT_LOW_WATER, 0);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->reading = true;
    c->next_conn = n->conns;
    if (n->conns)
        n->conns->prev_conn = c;
    n->conns = c;
    n->nconns++;
}

struct listener *listener_open(struct node *node, const char *name, const char *host, int port,
                               const struct api_table *apis)
{
    struct evutil_addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = EVUTIL_AI_PASSIVE | EVUTIL_AI_ADDRCONFIG;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = evutil_getaddrinfo(host && *host ? host : NULL, portstr, &hints, &res);
    if (rc != 0 || !res) {
        LOG_ERROR("broker", "listener %s: cannot resolve %s: %s", name, host,
                  evutil_gai_strerror(rc));
        return NULL;
    }
    struct listener *l = xcalloc(1, sizeof *l);
    l->node = node;
    l->apis = apis;
    l->name = xstrdup(name);
    l->evl =
        evconnlistener_new_bind(node->base, on_accept, l, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                1024, res->ai_addr, (int)res->ai_addrlen);
    evutil_freeaddrinfo(res);
    if (!l->evl) {
        LOG_ERROR("broker", "listener %s: cannot listen on %s:%d: %s", name, host, port,
                  strerror(errno));
        free(l->name);
        free(l);
        return NULL;
    }
    LOG_INFO("broker", "listening for %s on %s:%d", name, host && *host ? host : "*", port);
    return l;
}

void listener_close(struct listener *l)
{
    if (!l)
        return;
    evconnlistener_free(l->evl);
    free(l->name);
    free(l);
}

void conn_close_all(struct node *node)
{
    while (node->conns)
        conn_close(node->conns, "shutting down");
}

int conn_count(const struct node *node)
{
    return node->nconns;
}
