/*
 * Listening sockets and Kafka connections (conn.h).
 *
 * Reading: a frame is `int32 size` + header + body.  The size is checked
 * against socket.request.max.bytes before anything is allocated; a bad size
 * closes the connection as Kafka does (InvalidReceiveException).  Each frame
 * becomes a struct request queued on its connection and handed to dispatch.
 * Requests may complete out of order; responses are written in order.
 *
 * Back-pressure: a connection stops reading while it has MAX_INFLIGHT_PER_CONN
 * requests in flight or OUTPUT_HIGH_WATER bytes of unsent responses, and
 * resumes when they drain (Kafka mutes a connection until its response is
 * sent; parked requests stay parked meanwhile).  Node-wide, a frame reserves
 * its size from queued.max.request.bytes once its length is read, until its
 * handler has run (KIP-72), and queued.max.requests bounds the requests read
 * and not yet answered; a connection short of either waits its turn.
 *
 * Deadlines (one lazy timer per connection): connections.max.idle.ms closes a
 * connection without requests in flight that has not completed a request or
 * had response bytes taken for that long (bytes of an unfinished request are
 * not activity, so a slow-loris client is idle), and
 * socket.request.receive.timeout.ms closes one whose started request is not
 * complete in time.
 *
 * Accepting: max.connections stops accepting (clients wait in the backlog)
 * until a connection closes, max.connections.per.ip closes the excess one at
 * once (KIP-402), and a failing accept() (EMFILE at the open-file limit)
 * pauses the listener with a backoff instead of retrying in a tight loop.
 */
#include "conn.h"

#include "accept_backoff.h"

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
#include <strings.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "api_table.h"
#include "broker_config.h"
#include "clock.h"
#include "dispatch.h"
#include "kafka.h"
#include "log.h"
#include "metrics.h"
#include "broker.h"
#include "request.h"
#include "xalloc.h"

/*
 * Per-connection bounds: requests read ahead, and response bytes not yet
 * taken by the socket (queued in the output buffer or waiting behind an
 * unanswered earlier request).  Kafka mutes a connection until its one
 * response is sent; Sluice lets a client pipeline a little but stops reading
 * once this much output waits, so a client that never reads costs at most
 * about OUTPUT_HIGH_WATER plus one batch of responses.
 */
#define MAX_INFLIGHT_PER_CONN 32
#define OUTPUT_HIGH_WATER     (256u << 10)
#define OUTPUT_LOW_WATER      (64u << 10)

/* Backoff after a failed accept() (EMFILE, ENFILE, ENOBUFS ...). */
/* At most one line per this period about refused or held-back connections of a listener. */
#define REFUSED_LOG_PERIOD_MS 10000

struct listener {
    struct broker *node;
    const struct broker_api_table *apis;
    char *name;
    struct evconnlistener *evl;
    struct accept_backoff backoff; /* pauses accepting after accept() failures */
    char *backoff_what;            /* "listener NAME" for its log lines */
    int64_t limit_log_ms;          /* last "max.connections reached" log line */
    int64_t refused_log_ms;        /* last "refused" log line */
    long refused;                  /* per-IP refusals since then */
    bool controller;               /* serves the controller APIs (own connection count) */
    bool backing_off;
    bool accepting;
};

struct conn {
    struct broker *node;
    struct listener *listener;
    struct bufferevent *bev; /* NULL once closed */
    char peer[64];
    char host[64]; /* "/<ip>", Kafka's form of the client address */
    struct request *head, *tail;
    int inflight;
    int refs; /* queued requests keep a closed connection's memory alive */
    bool reading;
    bool in_read;            /* inside conn_read_frames */
    bool controller;         /* accepted on the CONTROLLER listener */
    bool protected_listener; /* accepted on the inter-broker listener (KIP-402) */
    bool waiting;            /* on node->conn_waiting for a node-wide budget */
    bool reserved;           /* holds reserved_bytes of queued.max.request.bytes */
    int64_t reserved_bytes;
    size_t held_out;    /* encoded responses waiting behind an unanswered request */
    int64_t active_ms;  /* last complete request read or response progress */
    int64_t partial_ms; /* since when an unfinished request sits in the input; 0 = none */
    int64_t timer_at;   /* when ev_timer fires; 0 = not armed */
    struct event *ev_timer;
    struct conn *prev_conn, *next_conn; /* node->conns list while open */
    struct conn *next_waiting;
};

static void conn_read_frames(struct conn *c);
static void listeners_update(struct broker *n);

static void conn_maybe_free(struct conn *c)
{
    if (!c->bev && c->refs == 0)
        free(c);
}

static void conn_unlink(struct conn *c)
{
    struct broker *n = c->node;
    if (c->prev_conn)
        c->prev_conn->next_conn = c->next_conn;
    else if (n->conns == c)
        n->conns = c->next_conn;
    if (c->next_conn)
        c->next_conn->prev_conn = c->prev_conn;
    c->prev_conn = c->next_conn = NULL;
}

static void conn_link_front(struct conn *c)
{
    struct broker *n = c->node;
    c->prev_conn = NULL;
    c->next_conn = n->conns;
    if (n->conns)
        n->conns->prev_conn = c;
    n->conns = c;
}

/* Activity: the connection moves to the front of the least-recently-used order. */
static void conn_touch(struct conn *c)
{
    c->active_ms = clock_mono_ms();
    if (c->node->conns != c) {
        conn_unlink(c);
        conn_link_front(c);
    }
}

/* ---- node-wide budgets: queued.max.request.bytes and queued.max.requests ---- */

static bool budget_left(const struct broker *n)
{
    const struct broker_config *cfg = n->cfg;
    if (n->conn_requests >= cfg->queued_max_requests)
        return false;
    return cfg->queued_max_request_bytes < 0 ||
           n->conn_request_bytes < cfg->queued_max_request_bytes;
}

/*
 * Reserves `size` bytes for a frame about to be received.  A frame that does
 * not fit waits, except when nothing is reserved at all, so a frame larger
 * than the budget is still read (alone).
 */
static bool budget_take(struct broker *n, int64_t size)
{
    const struct broker_config *cfg = n->cfg;
    if (n->conn_requests >= cfg->queued_max_requests)
        return false;
    int64_t limit = cfg->queued_max_request_bytes;
    if (limit >= 0 && n->conn_request_bytes > 0 && n->conn_request_bytes + size > limit)
        return false;
    n->conn_request_bytes += size;
    return true;
}

static void on_wake(evutil_socket_t fd, short what, void *arg);

/* Lets the waiting connections try again once the loop is back at the top. */
static void waiters_wake(struct broker *n)
{
    if (!n->conn_waiting || n->conn_wake_pending || !budget_left(n))
        return;
    struct timeval now = {0, 0};
    if (event_base_once(n->base, -1, EV_TIMEOUT, on_wake, n, &now) == 0)
        n->conn_wake_pending = true;
}

static void conn_release(struct conn *c)
{
    if (!c->reserved)
        return;
    c->node->conn_request_bytes -= c->reserved_bytes;
    c->reserved = false;
    c->reserved_bytes = 0;
    waiters_wake(c->node);
}

static void conn_wait(struct conn *c)
{
    struct broker *n = c->node;
    if (c->waiting)
        return;
    c->waiting = true;
    c->next_waiting = NULL;
    if (n->conn_waiting_tail)
        n->conn_waiting_tail->next_waiting = c;
    else
        n->conn_waiting = c;
    n->conn_waiting_tail = c;
}

static void conn_unwait(struct conn *c)
{
    struct broker *n = c->node;
    if (!c->waiting)
        return;
    struct conn *prev = NULL;
    for (struct conn *w = n->conn_waiting; w; prev = w, w = w->next_waiting) {
        if (w != c)
            continue;
        if (prev)
            prev->next_waiting = c->next_waiting;
        else
            n->conn_waiting = c->next_waiting;
        if (n->conn_waiting_tail == c)
            n->conn_waiting_tail = prev;
        break;
    }
    c->waiting = false;
    c->next_waiting = NULL;
}

/* Each waiting connection gets one turn, first come first served. */
static void on_wake(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct broker *n = arg;
    n->conn_wake_pending = false;
    int turns = 0;
    for (struct conn *w = n->conn_waiting; w; w = w->next_waiting)
        turns++;
    while (turns-- > 0 && n->conn_waiting && budget_left(n)) {
        struct conn *c = n->conn_waiting;
        conn_unwait(c);
        conn_read_frames(c);
    }
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

/* Frees an answered request and returns its queued.max.requests slot. */
static void request_retire(struct request *req)
{
    struct broker *n = req->node;
    if (!req->conn->controller)
        n->conn_requests--;
    request_free(req);
    waiters_wake(n);
}

/* ---- deadlines: connections.max.idle.ms and socket.request.receive.timeout.ms ---- */

/*
 * When the connection is due to close: idle (no request in flight and no
 * activity, where activity is a complete request read or response bytes
 * taken by the socket, so trickling bytes of an unfinished request do not
 * count), or an unfinished request older than the receive timeout while the
 * connection is being read.  INT64_MAX = never.
 */
static int64_t conn_deadline(const struct conn *c)
{
    const struct broker_config *cfg = c->node->cfg;
    int64_t d = INT64_MAX;
    if (cfg->connections_max_idle_ms >= 0 && c->inflight == 0)
        d = c->active_ms + cfg->connections_max_idle_ms;
    if (cfg->socket_request_receive_timeout_ms >= 0 && c->reading && c->partial_ms) {
        int64_t p = c->partial_ms + cfg->socket_request_receive_timeout_ms;
        if (p < d)
            d = p;
    }
    return d;
}

/* Arms the timer for the deadline unless it already fires no later (it re-arms lazily). */
static void conn_arm(struct conn *c)
{
    if (!c->bev || !c->ev_timer)
        return;
    int64_t d = conn_deadline(c);
    if (d == INT64_MAX || (c->timer_at && c->timer_at <= d))
        return;
    int64_t wait = d - clock_mono_ms();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
    if (evtimer_add(c->ev_timer, &tv) == 0)
        c->timer_at = d;
}

/* Closes the socket; queued requests stay until their handlers complete. */
static void conn_close(struct conn *c, const char *why)
{
    if (!c->bev)
        return;
    struct broker *n = c->node;
    if (why)
        LOG_DEBUG("broker", "closing connection from %s: %s", c->peer, why);
    bufferevent_free(c->bev);
    c->bev = NULL;
    if (c->ev_timer) {
        event_free(c->ev_timer);
        c->ev_timer = NULL;
    }
    conn_unwait(c);
    conn_release(c);
    conn_unlink(c);
    n->nconns--;
    /* Drop requests that are already complete; the rest retire as they finish. */
    while (c->head && c->head->done) {
        struct request *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        c->refs--;
        request_retire(r);
    }
    listeners_update(n);
    conn_maybe_free(c);
}

static void on_conn_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct conn *c = arg;
    const struct broker_config *cfg = c->node->cfg;
    c->timer_at = 0;
    int64_t now = clock_mono_ms();
    if (cfg->socket_request_receive_timeout_ms >= 0 && c->reading && c->partial_ms &&
        now >= c->partial_ms + cfg->socket_request_receive_timeout_ms) {
        LOG_INFO("broker",
                 "%s did not complete a request within socket.request.receive.timeout.ms "
                 "(%lld ms); closing",
                 c->peer, (long long)cfg->socket_request_receive_timeout_ms);
        conn_close(c, "request receive timeout");
        return;
    }
    if (cfg->connections_max_idle_ms >= 0 && c->inflight == 0 &&
        now >= c->active_ms + cfg->connections_max_idle_ms) {
        conn_close(c, "idle for connections.max.idle.ms");
        return;
    }
    conn_arm(c);
}

/* Unsent response bytes: in the socket's output plus those held behind an unanswered request. */
static size_t conn_output_pending(const struct conn *c)
{
    return evbuffer_get_length(bufferevent_get_output(c->bev)) + c->held_out;
}

static bool conn_may_read(const struct conn *c)
{
    return c->bev && !c->waiting && c->inflight < MAX_INFLIGHT_PER_CONN &&
           conn_output_pending(c) < OUTPUT_HIGH_WATER;
}

static void conn_update_reading(struct conn *c)
{
    if (!c->bev)
        return;
    bool want = conn_may_read(c);
    if (want && !c->reading) {
        bufferevent_enable(c->bev, EV_READ);
        c->reading = true;
        /* The receive deadline runs only while the connection is read. */
        c->partial_ms = evbuffer_get_length(bufferevent_get_input(c->bev)) ? clock_mono_ms() : 0;
    } else if (!want && c->reading) {
        bufferevent_disable(c->bev, EV_READ);
        c->reading = false;
    }
    conn_arm(c);
}

/*
 * Re-evaluates reading after requests retired; frames already buffered are
 * read from the loop (deferred), never from inside a handler.
 */
static void conn_resume(struct conn *c)
{
    conn_update_reading(c);
    if (c->reading && !c->in_read && evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
        bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_DEFER_CALLBACKS);
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

/* Bytes of the responses that are complete but wait behind an unanswered request. */
static size_t held_output(const struct conn *c)
{
    size_t held = 0;
    for (const struct request *r = c->head; r; r = r->next)
        if (r->done && !r->no_response && !r->close_after)
            held += (size_t)proto_out_len(&r->out);
    return held;
}

/* Writes every completed response at the head of the queue, in order. */
static void conn_flush(struct conn *c)
{
    bool close_now = false, wrote = false;
    const char *why = NULL;
    while (c->head && c->head->done) {
        struct request *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        c->inflight--;
        c->refs--;
        if (c->bev && !r->no_response && !r->close_after) {
            if (write_response(c, r) < 0) {
                close_now = true;
                why = "write failed";
            }
            wrote = true;
        }
        if (r->close_after) {
            close_now = true;
            why = "request asked to close";
        }
        request_retire(r);
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
    c->held_out = held_output(c);
    if (wrote || c->inflight == 0)
        conn_touch(c);
    conn_resume(c);
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
    else if (c->bev)
        c->held_out = held_output(c);
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
        if (key == KAPI_API_VERSIONS &&
            !proto_api_table_version_supported(req->apis->proto, key, ver))
            ver = 0;
        bool flex = req->apis->proto->is_flexible(key, ver);
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

/*
 * Reads and dispatches the complete frames in the input while the
 * connection may read.  Called from the loop only (socket readable, output
 * drained, budget freed): handlers never re-enter it.
 */
static void conn_read_frames(struct conn *c)
{
    struct broker *n = c->node;
    if (!c->bev || c->in_read)
        return;
    c->in_read = true;
    /* A handler may close the connection; the extra reference keeps `c` valid here. */
    c->refs++;
    while (conn_may_read(c)) {
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
        /*
         * KIP-72: the frame's bytes are reserved as soon as its size is known.
         * The CONTROLLER listener is exempt: Kafka's controller has its own
         * socket server and request queue, and Raft and heartbeats must not
         * wait behind client requests.
         */
        if (!c->controller && !c->reserved) {
            if (!budget_take(n, size)) {
                conn_wait(c);
                break;
            }
            c->reserved = true;
            c->reserved_bytes = size;
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
        if (!c->controller)
            n->conn_requests++;
        c->partial_ms = 0;
        conn_touch(c);

        rbuf_init(&req->body, req->frame, req->frame_len);
        req->apis = c->listener->apis;
        if (proto_req_header_decode_ex(&req->body, &req->hdr, &req->arena,
                                       req->apis->proto->is_flexible) < 0) {
            request_close_connection(req, "malformed request header");
        } else {
            broker_dispatch(req);
        }
        /* Like Kafka's memory pool, the reservation ends once the handler has run. */
        conn_release(c);
    }
    c->in_read = false;
    c->refs--;
    if (!c->bev) {
        conn_maybe_free(c);
        return;
    }
    if (evbuffer_get_length(bufferevent_get_input(c->bev)) == 0)
        c->partial_ms = 0;
    else if (!c->partial_ms)
        c->partial_ms = clock_mono_ms();
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
    /* The output drained below the low-water mark: the client is reading. */
    conn_touch(c);
    conn_update_reading(c);
    if (c->reading)
        conn_read_frames(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    struct conn *c = arg;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_close(c, (what & BEV_EVENT_EOF) ? "peer closed" : "socket error");
}

/* ---- accepting: max.connections, max.connections.per.ip, accept errors ---- */

/*
 * KIP-402: with more than one broker listener, the inter-broker listener
 * accepts even when max.connections is reached (it closes the least recently
 * used connection of another listener instead).
 */
static bool listener_protected(const struct listener *l)
{
    const struct broker *n = l->node;
    const char *ibl = n->cfg->inter_broker_listener;
    if (l->controller || !ibl || strcasecmp(ibl, l->name) != 0)
        return false;
    int broker_listeners = 0;
    for (int i = 0; i < n->nlisteners; i++)
        if (n->listeners[i] && !n->listeners[i]->controller)
            broker_listeners++;
    return broker_listeners > 1;
}

/*
 * Open connections of the broker listeners or of the CONTROLLER listener
 * (Kafka's controller has its own socket server and its own count), and of
 * those, the ones from `host` (when not NULL).
 */
static int class_count(const struct broker *n, bool controller, const char *host, int *from_host)
{
    int k = 0, h = 0;
    for (const struct conn *c = n->conns; c; c = c->next_conn) {
        if (c->controller != controller)
            continue;
        k++;
        if (host && strcmp(c->host, host) == 0)
            h++;
    }
    if (from_host)
        *from_host = h;
    return k;
}

static bool slot_available(const struct listener *l)
{
    const struct broker *n = l->node;
    /* max.connections <= 0 sets no limit, as before the limit blocked accepting. */
    if (n->max_connections <= 0 || n->nconns < n->max_connections || listener_protected(l))
        return true;
    return class_count(n, l->controller, NULL, NULL) < n->max_connections;
}

/*
 * Accepts only when not backing off after an accept error and below
 * max.connections; otherwise new connections wait in the kernel's backlog,
 * as Kafka's acceptor blocks for a free slot (KIP-402).
 */
static void listener_update(struct listener *l)
{
    bool backing_off = l->backing_off;
    bool want = !backing_off && slot_available(l);
    if (want == l->accepting)
        return;
    if (want) {
        evconnlistener_enable(l->evl);
    } else {
        evconnlistener_disable(l->evl);
        int64_t now = clock_mono_ms();
        if (!backing_off && (!l->limit_log_ms || now - l->limit_log_ms >= REFUSED_LOG_PERIOD_MS)) {
            l->limit_log_ms = now;
            LOG_INFO("broker",
                     "listener %s: max.connections (%d) reached; accepting again once a "
                     "connection closes",
                     l->name, l->node->max_connections);
        }
    }
    l->accepting = want;
}

static void listeners_update(struct broker *n)
{
    for (int i = 0; i < n->nlisteners; i++)
        if (n->listeners[i])
            listener_update(n->listeners[i]);
}

static void set_backing_off(void *ctx, bool paused)
{
    struct listener *l = ctx;
    l->backing_off = paused;
    listener_update(l);
}

/* accept() failed for a reason other than a vanished client: pause (accept_backoff.h). */
static void on_accept_error(struct evconnlistener *evl, void *arg)
{
    (void)evl;
    struct listener *l = arg;
    accept_backoff_failed(&l->backoff, EVUTIL_SOCKET_ERROR());
}

static void format_peer(const struct sockaddr *sa, char *peer, size_t peerlen, char *host,
                        size_t hostlen)
{
    char ip[INET6_ADDRSTRLEN] = "";
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
        snprintf(peer, peerlen, "%s:%d", ip, ntohs(sin->sin_port));
        snprintf(host, hostlen, "/%s", ip);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
        snprintf(peer, peerlen, "[%s]:%d", ip, ntohs(sin6->sin6_port));
        snprintf(host, hostlen, "/%s", ip);
    } else {
        snprintf(peer, peerlen, "unknown");
        host[0] = '\0';
    }
}

/* One line per REFUSED_LOG_PERIOD_MS at most, however fast a client reconnects. */
static void log_refused(struct listener *l, const char *host)
{
    int64_t now = clock_mono_ms();
    l->refused++;
    if (l->refused_log_ms && now - l->refused_log_ms < REFUSED_LOG_PERIOD_MS)
        return;
    LOG_INFO("broker",
             "listener %s: refused %ld connection(s) over max.connections.per.ip (%d), the last "
             "from %s",
             l->name, l->refused, l->node->cfg->max_connections_per_ip, host + 1);
    l->refused = 0;
    l->refused_log_ms = now;
}

/* Closes the least recently active connection of the non-protected broker listeners. */
static void close_least_recently_used(struct broker *n)
{
    struct conn *victim = NULL;
    for (struct conn *v = n->conns; v; v = v->next_conn)
        if (!v->controller && !v->protected_listener)
            victim = v;
    if (!victim)
        return;
    LOG_INFO("broker",
             "max.connections (%d) exceeded by the inter-broker listener; closing the least "
             "recently used connection, from %s",
             n->max_connections, victim->peer);
    conn_close(victim, "max.connections: least recently used");
}

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    (void)evl;
    (void)salen;
    struct listener *l = arg;
    struct broker *n = l->node;
    accept_backoff_succeeded(&l->backoff);
    char peer[64], host[64];
    format_peer(sa, peer, sizeof peer, host, sizeof host);
    int per_ip = n->cfg->max_connections_per_ip;
    if (host[0] && per_ip < INT32_MAX) {
        int from_host = 0;
        class_count(n, l->controller, host, &from_host);
        if (from_host >= per_ip) {
            /* Kafka closes at once (TooManyConnectionsException). */
            log_refused(l, host);
            evutil_closesocket(fd);
            return;
        }
    }
    struct conn *c = xcalloc(1, sizeof *c);
    c->node = n;
    c->listener = l;
    c->controller = l->controller;
    c->protected_listener = listener_protected(l);
    memcpy(c->peer, peer, sizeof c->peer);
    memcpy(c->host, host, sizeof c->host);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->bev = bufferevent_socket_new(n->base, fd, BEV_OPT_CLOSE_ON_FREE);
    c->ev_timer = evtimer_new(n->base, on_conn_timer, c);
    if (!c->bev || !c->ev_timer) {
        if (c->bev)
            bufferevent_free(c->bev);
        else
            evutil_closesocket(fd);
        if (c->ev_timer)
            event_free(c->ev_timer);
        free(c);
        return;
    }
    bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
    bufferevent_setwatermark(c->bev, EV_WRITE, OUTPUT_LOW_WATER, 0);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->reading = true;
    c->active_ms = clock_mono_ms();
    conn_link_front(c);
    n->nconns++;
    if (c->protected_listener && class_count(n, false, NULL, NULL) > n->max_connections)
        close_least_recently_used(n);
    listeners_update(n);
    conn_arm(c);
}

struct listener *listener_open(struct broker *node, const char *name, const char *host, int port,
                               const struct broker_api_table *apis)
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
    l->controller = apis->controller;
    l->accepting = true;
    l->backoff_what = xasprintf("listener %s", name);
    int backoff_rc =
        accept_backoff_init(&l->backoff, node->base, l->backoff_what, set_backing_off, l);
    l->evl =
        evconnlistener_new_bind(node->base, on_accept, l, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                1024, res->ai_addr, (int)res->ai_addrlen);
    evutil_freeaddrinfo(res);
    if (!l->evl || backoff_rc < 0) {
        LOG_ERROR("broker", "listener %s: cannot listen on %s:%d: %s", name, host, port,
                  strerror(errno));
        if (l->evl)
            evconnlistener_free(l->evl);
        accept_backoff_free(&l->backoff);
        free(l->backoff_what);
        free(l->name);
        free(l);
        return NULL;
    }
    evconnlistener_set_error_cb(l->evl, on_accept_error);
    LOG_INFO("broker", "listening for %s on %s:%d", name, host && *host ? host : "*", port);
    return l;
}

void listener_close(struct listener *l)
{
    if (!l)
        return;
    struct broker *n = l->node;
    for (int i = 0; i < n->nlisteners; i++)
        if (n->listeners[i] == l)
            n->listeners[i] = NULL;
    evconnlistener_free(l->evl);
    accept_backoff_free(&l->backoff);
    free(l->backoff_what);
    free(l->name);
    free(l);
}

void conn_close_all(struct broker *node)
{
    while (node->conns)
        conn_close(node->conns, "shutting down");
}

int conn_count(const struct broker *node)
{
    return node->nconns;
}
