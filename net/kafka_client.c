/*
 * Asynchronous Kafka-protocol client connections (kafka_client.h).
 */
#include "kafka_client.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "buf.h"
#include "clock.h"
#include "err.h"
#include "frame.h"
#include "kafka.h"
#include "log.h"
#include "xalloc.h"

struct kc_pending {
    struct kc_pending *next;
    int32_t correlation_id;
    int16_t api_key;
    int16_t version;
    bool flexible;
    const struct proto_schema *resp_schema;
    int64_t deadline_us;
    kc_response_cb cb;
    void *ctx;
    int err; /* for requests failed before they were sent */
};

struct kc_conn {
    struct event_base *base;
    char *host;
    int port;
    char *client_id;
    int32_t max_response_bytes;
    struct bufferevent *bev;
    bool connected;
    int32_t next_correlation_id;
    struct kc_pending *head, *tail; /* sent, awaiting responses, in order */
    int inflight;
    struct kc_pending *failed; /* to be called back from `deferred` */
    struct event *timer;       /* earliest request deadline */
    struct event *deferred;
    int callback_depth;
    bool free_requested;
    bool resolve_failed; /* the last lookup failed: warned once, quiet until it works */
};

static void conn_destroy(struct kc_conn *c)
{
    if (c->bev)
        bufferevent_free(c->bev);
    event_free(c->timer);
    event_free(c->deferred);
    free(c->host);
    free(c->client_id);
    free(c);
}

static void call(struct kc_conn *c, struct kc_pending *p, int err, const void *resp,
                 struct arena *a)
{
    c->callback_depth++;
    p->cb(p->ctx, err, resp, a);
    c->callback_depth--;
}

/* Frees the connection if kc_conn_free was called from inside a callback. */
static bool maybe_destroy(struct kc_conn *c)
{
    if (c->callback_depth == 0 && c->free_requested) {
        conn_destroy(c);
        return true;
    }
    return false;
}

static void arm_timer(struct kc_conn *c)
{
    if (!c->head) {
        evtimer_del(c->timer);
        return;
    }
    int64_t earliest = c->head->deadline_us;
    for (struct kc_pending *p = c->head; p; p = p->next)
        if (p->deadline_us < earliest)
            earliest = p->deadline_us;
    int64_t wait = earliest - clock_mono_us();
    if (wait < 0)
        wait = 0;
    struct timeval tv = {(time_t)(wait / 1000000), (suseconds_t)(wait % 1000000)};
    evtimer_add(c->timer, &tv);
}

/* Closes the socket and fails everything in flight with err. */
static void fail_all(struct kc_conn *c, int err)
{
    if (c->bev) {
        bufferevent_free(c->bev);
        c->bev = NULL;
    }
    c->connected = false;
    struct kc_pending *list = c->head;
    c->head = c->tail = NULL;
    c->inflight = 0;
    evtimer_del(c->timer);
    while (list) {
        struct kc_pending *p = list;
        list = p->next;
        call(c, p, err, NULL, NULL);
        free(p);
    }
}

static void on_deferred(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct kc_conn *c = arg;
    while (c->failed) {
        struct kc_pending *p = c->failed;
        c->failed = p->next;
        call(c, p, p->err, NULL, NULL);
        free(p);
    }
    maybe_destroy(c);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct kc_conn *c = arg;
    int64_t now = clock_mono_us();
    for (struct kc_pending *p = c->head; p; p = p->next) {
        if (p->deadline_us <= now) {
            LOG_WARN("net", "request (api %d) to %s:%d timed out; closing the connection",
                     p->api_key, c->host, c->port);
            fail_all(c, SL_ETIMEOUT);
            maybe_destroy(c);
            return;
        }
    }
    arm_timer(c);
}

/* Decodes every complete response frame in the input buffer. */
static void read_responses(struct kc_conn *c)
{
    while (c->bev) {
        struct evbuffer *in = bufferevent_get_input(c->bev);
        size_t avail = evbuffer_get_length(in);
        if (avail < 4)
            return;
        uint8_t szb[4];
        evbuffer_copyout(in, szb, 4);
        int32_t size = (int32_t)be32_load(szb);
        if (proto_resp_frame_size_check(size, c->max_response_bytes) < 0) {
            LOG_WARN("net", "%s:%d sent a response frame of %d bytes; closing", c->host, c->port,
                     size);
            fail_all(c, SL_ECORRUPT);
            return;
        }
        if (avail < (size_t)size + 4)
            return;
        struct kc_pending *p = c->head;
        if (!p) {
            LOG_WARN("net", "%s:%d sent a response nobody asked for; closing", c->host, c->port);
            fail_all(c, SL_ECORRUPT);
            return;
        }
        uint8_t *frame = xmalloc((size_t)size);
        evbuffer_drain(in, 4);
        evbuffer_remove(in, frame, (size_t)size);
        struct rbuf r;
        rbuf_init(&r, frame, (size_t)size);
        int32_t corr = -1;
        /* ApiVersions responses always carry header v0 (KIP-511). */
        bool flex_header = p->flexible && p->api_key != KAPI_API_VERSIONS;
        if (proto_resp_header_decode(&r, flex_header, &corr) < 0 || corr != p->correlation_id) {
            LOG_WARN("net", "%s:%d answered correlation id %d, expected %d; closing", c->host,
                     c->port, corr, p->correlation_id);
            free(frame);
            fail_all(c, SL_ECORRUPT);
            return;
        }
        c->head = p->next;
        if (!c->head)
            c->tail = NULL;
        c->inflight--;
        struct arena a = ARENA_INIT;
        void *resp = arena_alloc(&a, p->resp_schema->size);
        int rc = proto_decode(p->resp_schema, p->version, p->flexible, &r, resp, &a);
        if (rc < 0)
            LOG_WARN("net", "undecodable response (api %d v%d) from %s:%d", p->api_key, p->version,
                     c->host, c->port);
        call(c, p, rc < 0 ? SL_ECORRUPT : 0, rc < 0 ? NULL : resp, &a);
        arena_free(&a);
        free(frame);
        free(p);
        if (c->free_requested)
            return;
    }
}

static void on_read(struct bufferevent *bev, void *arg)
{
    (void)bev;
    struct kc_conn *c = arg;
    read_responses(c);
    if (maybe_destroy(c))
        return;
    arm_timer(c);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct kc_conn *c = arg;
    if (what & BEV_EVENT_CONNECTED) {
        c->connected = true;
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        LOG_DEBUG("net", "connection to %s:%d lost: %s", c->host, c->port,
                  (what & BEV_EVENT_EOF) ? "closed by peer" : strerror(errno));
        fail_all(c, SL_ECLOSED);
        maybe_destroy(c);
    }
}

static int open_socket(struct kc_conn *c)
{
    struct evutil_addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    char port[16];
    snprintf(port, sizeof port, "%d", c->port);
    int rc = evutil_getaddrinfo(c->host, port, &hints, &res);
    if (rc != 0 || !res) {
        if (!c->resolve_failed)
            LOG_WARN("net", "cannot resolve %s: %s (retrying quietly)", c->host,
                     evutil_gai_strerror(rc));
        c->resolve_failed = true;
        return SL_EIO;
    }
    if (c->resolve_failed)
        LOG_INFO("net", "%s resolves again", c->host);
    c->resolve_failed = false;
    c->bev = bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) {
        evutil_freeaddrinfo(res);
        return SL_EIO;
    }
    bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    rc = bufferevent_socket_connect(c->bev, res->ai_addr, (int)res->ai_addrlen);
    evutil_freeaddrinfo(res);
    if (rc < 0) {
        bufferevent_free(c->bev);
        c->bev = NULL;
        return SL_EIO;
    }
    return 0;
}

struct kc_conn *kc_conn_new(struct event_base *base, const char *host, int port,
                            const char *client_id, int32_t max_response_bytes)
{
    if (!host || !*host || port <= 0 || port > 65535) {
        LOG_ERROR("net", "invalid peer address %s:%d", host ? host : "(null)", port);
        return NULL;
    }
    struct kc_conn *c = xcalloc(1, sizeof *c);
    c->base = base;
    c->host = xstrdup(host);
    c->port = port;
    c->client_id = xstrdup(client_id ? client_id : "sluice");
    c->max_response_bytes = max_response_bytes;
    c->timer = evtimer_new(base, on_timer, c);
    c->deferred = event_new(base, -1, 0, on_deferred, c);
    return c;
}

void kc_conn_reset(struct kc_conn *c)
{
    fail_all(c, SL_ECLOSED);
}

void kc_conn_free(struct kc_conn *c)
{
    if (!c)
        return;
    c->free_requested = true;
    c->callback_depth++;
    fail_all(c, SL_ECLOSED);
    while (c->failed) {
        struct kc_pending *p = c->failed;
        c->failed = p->next;
        call(c, p, SL_ECLOSED, NULL, NULL);
        free(p);
    }
    c->callback_depth--;
    maybe_destroy(c);
}

static void defer_failure(struct kc_conn *c, struct kc_pending *p, int err)
{
    p->err = err;
    p->next = NULL;
    struct kc_pending **tail = &c->failed;
    while (*tail)
        tail = &(*tail)->next;
    *tail = p;
    event_active(c->deferred, EV_TIMEOUT, 0);
}

int kc_send(struct kc_conn *c, int16_t api_key, int16_t version, bool flexible,
            const struct proto_schema *req_schema, const void *req,
            const struct proto_schema *resp_schema, int32_t timeout_ms, kc_response_cb cb,
            void *ctx)
{
    struct kc_pending *p = xcalloc(1, sizeof *p);
    p->correlation_id = c->next_correlation_id++;
    if (c->next_correlation_id < 0)
        c->next_correlation_id = 0;
    p->api_key = api_key;
    p->version = version;
    p->flexible = flexible;
    p->resp_schema = resp_schema;
    p->deadline_us = clock_mono_us() + (int64_t)(timeout_ms > 0 ? timeout_ms : 30000) * 1000;
    p->cb = cb;
    p->ctx = ctx;

    struct proto_out o;
    proto_out_init(&o);
    struct proto_frame_mark m;
    proto_frame_begin(&o, &m);
    struct proto_req_header h = {.api_key = api_key,
                                 .api_version = version,
                                 .correlation_id = p->correlation_id,
                                 .client_id = {c->client_id, (int32_t)strlen(c->client_id)}};
    proto_req_header_write(&o, &h, flexible);
    if (proto_encode(req_schema, version, flexible, req, &o) < 0 || o.nsplices > 0 ||
        proto_frame_end(&o, &m) < 0) {
        proto_out_free(&o);
        free(p);
        return SL_EINVAL;
    }
    if (!c->bev && open_socket(c) < 0) {
        proto_out_free(&o);
        defer_failure(c, p, SL_ECLOSED);
        return 0;
    }
    if (bufferevent_write(c->bev, o.w.data, o.w.len) < 0) {
        proto_out_free(&o);
        defer_failure(c, p, SL_ECLOSED);
        return 0;
    }
    proto_out_free(&o);
    if (c->tail)
        c->tail->next = p;
    else
        c->head = p;
    c->tail = p;
    c->inflight++;
    arm_timer(c);
    return 0;
}

int kc_conn_inflight(const struct kc_conn *c)
{
    return c->inflight;
}

bool kc_conn_connected(const struct kc_conn *c)
{
    return c->connected;
}
