/*
 * Blocking Kafka client for the command-line tools (kclient.h): sockets with
 * poll()-based deadlines, ApiVersions negotiation, metadata cache, leader
 * routing and bounded retries.
 */
#include "kclient.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "clock.h"
#include "err.h"
#include "frame.h"
#include "kafka.h"
#include "xalloc.h"

#ifndef SLUICE_VERSION
#define SLUICE_VERSION "0.0.0"
#endif

/* Largest response frame the tools accept (Fetch answers are bounded by the max_bytes we ask). */
#define KCLIENT_MAX_RESPONSE (256 * 1024 * 1024)
/* Kafka's resource type of topics in DescribeConfigs. */
#define RESOURCE_TOPIC 2
/* Kafka's config_source DYNAMIC_TOPIC_CONFIG. */
#define SOURCE_DYNAMIC_TOPIC 1

struct kclient_conn {
    int32_t node_id; /* -1: bootstrap */
    char *host;
    int port;
    int fd; /* -1 when closed */
    bool have_versions;
    int16_t vmin[KAPI_MAX_KEY + 1], vmax[KAPI_MAX_KEY + 1]; /* -1: not served by the broker */
};

static struct kstr ks(const char *s)
{
    return (struct kstr){.s = s, .len = s ? (int32_t)strlen(s) : 0};
}

static bool kstr_eq(const struct kstr *k, const char *s)
{
    return k->s && (size_t)k->len == strlen(s) && memcmp(k->s, s, (size_t)k->len) == 0;
}

static int seterr(struct kclient *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int seterr(struct kclient *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return rc;
}

const char *kclient_error(const struct kclient *c)
{
    return c->err;
}

int16_t kclient_last_kafka_error(const struct kclient *c)
{
    return c->last_kerr;
}

/* Parses "host:port" / "[v6]:port" into a fresh host string. */
static int split_hostport(const char *s, char **host, int *port)
{
    const char *colon, *hs = s, *he;
    if (*s == '[') {
        hs = s + 1;
        he = strchr(hs, ']');
        if (!he || he[1] != ':')
            return SL_EINVAL;
        colon = he + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return SL_EINVAL;
        he = colon;
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (he == hs || *end || colon[1] == '\0' || p <= 0 || p > 65535)
        return SL_EINVAL;
    *host = xstrndup(hs, (size_t)(he - hs));
    *port = (int)p;
    return 0;
}

int kclient_init(struct kclient *c, const char *bootstrap, const char *client_id)
{
    memset(c, 0, sizeof *c);
    c->client_id = xstrdup(client_id ? client_id : "sluice-cli");
    c->request_timeout_ms = 30000;
    c->retry_budget_ms = 15000;
    c->next_correlation_id = 1;
    if (split_hostport(bootstrap, &c->boot_host, &c->boot_port) < 0)
        return seterr(c, SL_EINVAL, "bad bootstrap server '%s': expected host:port", bootstrap);
    c->conns = xcalloc(1, sizeof *c->conns);
    c->n_conns = 1;
    c->conns[0].node_id = -1;
    c->conns[0].host = xstrdup(c->boot_host);
    c->conns[0].port = c->boot_port;
    c->conns[0].fd = -1;
    return 0;
}

static void conn_close(struct kclient_conn *k)
{
    if (k->fd >= 0)
        close(k->fd);
    k->fd = -1;
    k->have_versions = false;
}

void kclient_free(struct kclient *c)
{
    for (size_t i = 0; i < c->n_conns; i++) {
        conn_close(&c->conns[i]);
        free(c->conns[i].host);
    }
    free(c->conns);
    free(c->client_id);
    free(c->boot_host);
    arena_free(&c->meta_arena);
    memset(c, 0, sizeof *c);
}

/* ---- socket I/O with deadlines ---- */

static int wait_fd(int fd, short events, int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return SL_ETIMEOUT;
        struct pollfd p = {.fd = fd, .events = events};
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return SL_EIO;
    }
}

/* Sends out[0, n), or with out NULL receives in[0, n), before the deadline. */
static int io_full(struct kclient *c, struct kclient_conn *k, const uint8_t *out, uint8_t *in,
                   size_t n, int64_t deadline)
{
    size_t done = 0;
    while (done < n) {
        ssize_t r = out ? send(k->fd, out + done, n - done, MSG_NOSIGNAL)
                        : recv(k->fd, in + done, n - done, 0);
        if (r > 0) {
            done += (size_t)r;
            continue;
        }
        if (r == 0 && !out)
            return seterr(c, SL_ECLOSED, "%s:%d: connection closed by the broker", k->host,
                          k->port);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(k->fd, out ? POLLOUT : POLLIN, deadline);
            if (rc < 0)
                return seterr(c, rc, "%s:%d: %s %s", k->host, k->port,
                              rc == SL_ETIMEOUT ? "timed out" : "poll failed",
                              out ? "while sending" : "waiting for a response");
            continue;
        }
        return seterr(c, SL_EIO, "%s:%d: %s failed: %s", k->host, k->port, out ? "send" : "receive",
                      strerror(errno));
    }
    return 0;
}

static int conn_connect(struct kclient *c, struct kclient_conn *k, int64_t deadline)
{
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", k->port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(k->host, portstr, &hints, &res);
    if (gai != 0)
        return seterr(c, SL_EIO, "%s:%d: cannot resolve: %s", k->host, k->port, gai_strerror(gai));
    int rc = SL_EIO;
    int last_errno = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd =
            socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            last_errno = errno;
            continue;
        }
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r < 0 && errno == EINPROGRESS) {
            if (wait_fd(fd, POLLOUT, deadline) < 0) {
                last_errno = ETIMEDOUT;
                close(fd);
                continue;
            }
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
            r = soerr ? -1 : 0;
            errno = soerr;
        }
        if (r < 0) {
            last_errno = errno;
            close(fd);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        k->fd = fd;
        rc = 0;
        break;
    }
    freeaddrinfo(res);
    if (rc < 0)
        return seterr(c, SL_EIO, "%s:%d: cannot connect: %s", k->host, k->port,
                      strerror(last_errno ? last_errno : ECONNREFUSED));
    return 0;
}

/*
 * Sends one request frame on k and, when want_resp, reads the answer frame
 * into `a` and leaves *body at the response body.
 */
static int roundtrip(struct kclient *c, struct kclient_conn *k, int16_t key, int16_t version,
                     const void *req, bool want_resp, int64_t deadline, struct arena *a,
                     struct rbuf *body)
{
    const struct proto_api *api = proto_api_find(key);
    if (!api)
        return seterr(c, SL_EUNSUPPORTED, "API key %d is not known to this client", key);
    struct proto_req_header h = {.api_key = key,
                                 .api_version = version,
                                 .correlation_id = c->next_correlation_id++,
                                 .client_id = ks(c->client_id)};
    if (c->next_correlation_id == INT32_MAX)
        c->next_correlation_id = 1;
    struct proto_out o;
    proto_out_init(&o);
    int rc = proto_req_frame_encode(&o, &h, api->req, req);
    if (rc < 0) {
        proto_out_free(&o);
        return seterr(c, rc, "cannot encode %s v%d request: %s", api->name, version,
                      sl_strerror(rc));
    }
    rc = io_full(c, k, o.w.data, NULL, o.w.len, deadline);
    proto_out_free(&o);
    if (rc < 0 || !want_resp)
        return rc;
    uint8_t szb[4];
    rc = io_full(c, k, NULL, szb, 4, deadline);
    if (rc < 0)
        return rc;
    int32_t size = (int32_t)be32_load(szb);
    rc = proto_resp_frame_size_check(size, KCLIENT_MAX_RESPONSE);
    if (rc < 0)
        return seterr(c, SL_ECORRUPT, "%s:%d: bad response size %d", k->host, k->port, (int)size);
    uint8_t *buf = arena_alloc(a, (size_t)size);
    rc = io_full(c, k, NULL, buf, (size_t)size, deadline);
    if (rc < 0)
        return rc;
    rbuf_init(body, buf, (size_t)size);
    int32_t corr;
    if (proto_resp_header_decode(body, proto_resp_header_flexible(key, version), &corr) < 0)
        return seterr(c, SL_ECORRUPT, "%s:%d: truncated %s response header", k->host, k->port,
                      api->name);
    if (corr != h.correlation_id)
        return seterr(c, SL_ECORRUPT, "%s:%d: response correlation id %d, expected %d", k->host,
                      k->port, (int)corr, (int)h.correlation_id);
    return 0;
}

/* ApiVersions (KIP-511): v3 first, then the version the broker names. */
static int negotiate(struct kclient *c, struct kclient_conn *k, int64_t deadline)
{
    const struct proto_api *api = proto_api_find(KAPI_API_VERSIONS);
    int16_t version = api->max;
    for (int attempt = 0; attempt < 2; attempt++) {
        struct arena a = ARENA_INIT;
        struct api_versions_req req = {.client_software_name = ks("sluice-cli"),
                                       .client_software_version = ks(SLUICE_VERSION)};
        struct rbuf body;
        int rc = roundtrip(c, k, KAPI_API_VERSIONS, version, &req, true, deadline, &a, &body);
        if (rc < 0) {
            arena_free(&a);
            return rc;
        }
        struct rbuf peek = body;
        int16_t ec = rbuf_i16(&peek);
        struct api_versions_resp resp;
        bool unsupported = !peek.err && ec == KERR_UNSUPPORTED_VERSION;
        /* An UNSUPPORTED_VERSION answer is always encoded as v0. */
        int16_t dv = unsupported ? 0 : version;
        rc = proto_decode(api->resp, dv, proto_api_is_flexible(KAPI_API_VERSIONS, dv), &body, &resp,
                          &a);
        if (rc < 0) {
            arena_free(&a);
            return seterr(c, SL_ECORRUPT, "%s:%d: undecodable ApiVersions v%d response", k->host,
                          k->port, dv);
        }
        if (unsupported) {
            int16_t bmax = -1;
            for (int32_t i = 0; i < resp.api_keys.n; i++)
                if (resp.api_keys.v[i].api_key == KAPI_API_VERSIONS)
                    bmax = resp.api_keys.v[i].max_version;
            arena_free(&a);
            if (bmax < 0 || bmax >= version)
                return seterr(c, SL_EUNSUPPORTED, "%s:%d: no common ApiVersions version", k->host,
                              k->port);
            version = bmax;
            continue;
        }
        if (resp.error_code != 0) {
            c->last_kerr = resp.error_code;
            arena_free(&a);
            return seterr(c, SL_EIO, "%s:%d: ApiVersions failed: %s", k->host, k->port,
                          kafka_error_name(resp.error_code));
        }
        for (int i = 0; i <= KAPI_MAX_KEY; i++)
            k->vmin[i] = k->vmax[i] = -1;
        for (int32_t i = 0; i < resp.api_keys.n; i++) {
            const struct api_versions_resp_api_version *v = &resp.api_keys.v[i];
            if (v->api_key >= 0 && v->api_key <= KAPI_MAX_KEY) {
                k->vmin[v->api_key] = v->min_version;
                k->vmax[v->api_key] = v->max_version;
            }
        }
        k->have_versions = true;
        arena_free(&a);
        return 0;
    }
    return seterr(c, SL_EUNSUPPORTED, "%s:%d: ApiVersions negotiation failed", k->host, k->port);
}

/* The connection for node_id (-1: bootstrap), connected and negotiated. */
static int get_conn(struct kclient *c, int32_t node_id, struct kclient_conn **out)
{
    struct kclient_conn *k = NULL;
    if (node_id < 0) {
        k = &c->conns[0];
    } else {
        const struct metadata_resp_broker *b = kclient_broker(c, node_id);
        if (!b || !b->host.s)
            return seterr(c, SL_ENOTFOUND, "node %d is not in the cluster metadata", (int)node_id);
        char host[256];
        snprintf(host, sizeof host, "%.*s", (int)b->host.len, b->host.s);
        for (size_t i = 1; i < c->n_conns; i++)
            if (c->conns[i].node_id == node_id)
                k = &c->conns[i];
        if (!k) {
            c->conns = xrealloc(c->conns, (c->n_conns + 1) * sizeof *c->conns);
            k = &c->conns[c->n_conns++];
            memset(k, 0, sizeof *k);
            k->node_id = node_id;
            k->fd = -1;
        }
        if (!k->host || strcmp(k->host, host) != 0 || k->port != b->port) {
            conn_close(k);
            free(k->host);
            k->host = xstrdup(host);
            k->port = b->port;
        }
    }
    if (k->fd < 0 || !k->have_versions) {
        int64_t deadline = clock_mono_ms() + c->request_timeout_ms;
        conn_close(k);
        int rc = conn_connect(c, k, deadline);
        if (rc == 0)
            rc = negotiate(c, k, deadline);
        if (rc < 0) {
            conn_close(k);
            return rc;
        }
    }
    *out = k;
    return 0;
}

/* get_conn, and the API's table entry (SL_EUNSUPPORTED when this client does not know it). */
static int conn_api(struct kclient *c, int32_t node_id, int16_t api_key, struct kclient_conn **k,
                    const struct proto_api **api)
{
    int rc = get_conn(c, node_id, k);
    if (rc < 0)
        return rc;
    *api = proto_api_find(api_key);
    if (!*api)
        return seterr(c, SL_EUNSUPPORTED, "API key %d is not known to this client", api_key);
    return 0;
}

int kclient_version(struct kclient *c, int32_t node_id, int16_t api_key)
{
    struct kclient_conn *k;
    const struct proto_api *api;
    int rc = conn_api(c, node_id, api_key, &k, &api);
    if (rc < 0)
        return rc;
    int16_t bmin = k->vmin[api_key], bmax = k->vmax[api_key];
    int16_t hi = api->max < bmax ? api->max : bmax;
    int16_t lo = api->accept_min > bmin ? api->accept_min : bmin;
    if (bmax < 0 || hi < lo)
        return seterr(c, SL_EUNSUPPORTED,
                      "%s:%d does not support %s in a version this client speaks (%d-%d)", k->host,
                      k->port, api->name, api->accept_min, api->max);
    return hi;
}

int kclient_send(struct kclient *c, int32_t node_id, int16_t api_key, int16_t version,
                 const void *req, void *resp, struct arena *a, int timeout_ms)
{
    struct kclient_conn *k;
    const struct proto_api *api;
    int rc = conn_api(c, node_id, api_key, &k, &api);
    if (rc < 0)
        return rc;
    int64_t deadline = clock_mono_ms() + (timeout_ms > 0 ? timeout_ms : c->request_timeout_ms);
    struct rbuf body;
    rc = roundtrip(c, k, api_key, version, req, resp != NULL, deadline, a, &body);
    if (rc < 0) {
        conn_close(k);
        return rc;
    }
    if (!resp)
        return 0;
    rc = proto_decode(api->resp, version, proto_api_is_flexible(api_key, version), &body, resp, a);
    if (rc < 0) {
        conn_close(k);
        return seterr(c, SL_ECORRUPT, "%s:%d: undecodable %s v%d response", k->host, k->port,
                      api->name, version);
    }
    return 0;
}

/* ---- retries ---- */

struct retry {
    int64_t deadline;
    int backoff_ms;
};

static void retry_start(const struct kclient *c, struct retry *r)
{
    r->deadline = clock_mono_ms() + c->retry_budget_ms;
    r->backoff_ms = 50;
}

/* Sleeps the next backoff; false when the budget is spent. */
static bool retry_again(struct retry *r)
{
    int64_t left = r->deadline - clock_mono_ms();
    if (left <= 0)
        return false;
    int64_t ms = r->backoff_ms < left ? r->backoff_ms : left;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    r->backoff_ms = r->backoff_ms * 2 > 1000 ? 1000 : r->backoff_ms * 2;
    return true;
}

static bool is_network_error(int rc)
{
    return rc == SL_EIO || rc == SL_ETIMEOUT || rc == SL_ECLOSED || rc == SL_ENOTFOUND;
}

/* Kafka errors after which refreshing metadata and retrying may succeed. */
static bool kerr_retriable(int16_t e)
{
    switch (e) {
    case KERR_UNKNOWN_TOPIC_OR_PARTITION:
    case KERR_LEADER_NOT_AVAILABLE:
    case KERR_NOT_LEADER_OR_FOLLOWER:
    case KERR_REQUEST_TIMED_OUT:
    case KERR_BROKER_NOT_AVAILABLE:
    case KERR_REPLICA_NOT_AVAILABLE:
    case KERR_NETWORK_EXCEPTION:
    case KERR_COORDINATOR_LOAD_IN_PROGRESS:
    case KERR_COORDINATOR_NOT_AVAILABLE:
    case KERR_NOT_COORDINATOR:
    case KERR_NOT_ENOUGH_REPLICAS:
    case KERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case KERR_NOT_CONTROLLER:
    case KERR_KAFKA_STORAGE_ERROR:
    case KERR_FENCED_LEADER_EPOCH:
    case KERR_UNKNOWN_LEADER_EPOCH:
    case KERR_OFFSET_NOT_AVAILABLE:
    case KERR_THROTTLING_QUOTA_EXCEEDED:
    case KERR_NEW_LEADER_ELECTED:
        return true;
    default:
        return false;
    }
}

static int kerr_to_sl(int16_t e)
{
    switch (e) {
    case KERR_UNKNOWN_TOPIC_OR_PARTITION:
        return SL_ENOTFOUND;
    case KERR_TOPIC_ALREADY_EXISTS:
        return SL_EEXISTS;
    case KERR_MESSAGE_TOO_LARGE:
    case KERR_RECORD_LIST_TOO_LARGE:
        return SL_ETOOLARGE;
    case KERR_REQUEST_TIMED_OUT:
        return SL_ETIMEOUT;
    case KERR_OFFSET_OUT_OF_RANGE:
        return SL_ERANGE;
    case KERR_UNSUPPORTED_VERSION:
        return SL_EUNSUPPORTED;
    default:
        return SL_EIO;
    }
}

/* Records a Kafka error with context and an optional broker message. */
static int kafka_fail(struct kclient *c, int16_t e, const struct kstr *msg, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int kafka_fail(struct kclient *c, int16_t e, const struct kstr *msg, const char *fmt, ...)
{
    char ctx[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx, sizeof ctx, fmt, ap);
    va_end(ap);
    c->last_kerr = e;
    if (msg && msg->s && msg->len > 0)
        snprintf(c->err, sizeof c->err, "%s: %s (%d): %.*s", ctx, kafka_error_name(e), e,
                 (int)(msg->len > 300 ? 300 : msg->len), msg->s);
    else
        snprintf(c->err, sizeof c->err, "%s: %s (%d)", ctx, kafka_error_name(e), e);
    return kerr_to_sl(e);
}

/* ---- metadata ---- */

static int metadata_once(struct kclient *c, int32_t node, const char *const *topics, int n,
                         bool auto_create)
{
    int v = kclient_version(c, node, KAPI_METADATA);
    if (v < 0)
        return v;
    struct arena req_arena = ARENA_INIT;
    struct metadata_req req = {.allow_auto_topic_creation = auto_create};
    if (n < 0) {
        req.topics.n = v == 0 ? 0 : -1; /* v0: empty = all topics; v1+: null = all */
    } else {
        req.topics.n = n;
        req.topics.v = arena_alloc(&req_arena, (size_t)(n ? n : 1) * sizeof *req.topics.v);
        for (int i = 0; i < n; i++)
            req.topics.v[i].name = ks(topics[i]);
    }
    struct arena a = ARENA_INIT;
    struct metadata_resp resp;
    int rc = kclient_send(c, node, KAPI_METADATA, (int16_t)v, &req, &resp, &a, 0);
    arena_free(&req_arena);
    if (rc < 0) {
        arena_free(&a);
        return rc;
    }
    arena_free(&c->meta_arena);
    c->meta_arena = a;
    c->meta = resp;
    c->have_meta = true;
    return 0;
}

int kclient_metadata(struct kclient *c, const char *const *topics, int n_topics, bool auto_create)
{
    struct retry r;
    retry_start(c, &r);
    for (;;) {
        int rc = metadata_once(c, -1, topics, n_topics, auto_create);
        /* The bootstrap server failed: try the brokers we know of. */
        for (int32_t i = 0; rc < 0 && is_network_error(rc) && c->have_meta && i < c->meta.brokers.n;
             i++)
            rc = metadata_once(c, c->meta.brokers.v[i].node_id, topics, n_topics, auto_create);
        if (rc == 0 || !is_network_error(rc) || !retry_again(&r))
            return rc;
    }
}

const struct metadata_resp_topic *kclient_topic(const struct kclient *c, const char *name)
{
    if (!c->have_meta)
        return NULL;
    for (int32_t i = 0; i < c->meta.topics.n; i++)
        if (kstr_eq(&c->meta.topics.v[i].name, name))
            return &c->meta.topics.v[i];
    return NULL;
}

const struct metadata_resp_broker *kclient_broker(const struct kclient *c, int32_t node_id)
{
    if (!c->have_meta)
        return NULL;
    for (int32_t i = 0; i < c->meta.brokers.n; i++)
        if (c->meta.brokers.v[i].node_id == node_id)
            return &c->meta.brokers.v[i];
    return NULL;
}

int32_t kclient_leader(const struct kclient *c, const char *topic, int32_t partition)
{
    const struct metadata_resp_topic *t = kclient_topic(c, topic);
    if (!t)
        return -1;
    for (int32_t i = 0; i < t->partitions.n; i++)
        if (t->partitions.v[i].partition_index == partition)
            return t->partitions.v[i].leader_id;
    return -1;
}

int kclient_topic_wait(struct kclient *c, const char *topic, bool auto_create,
                       int32_t *n_partitions)
{
    struct retry r;
    retry_start(c, &r);
    for (;;) {
        int rc = kclient_metadata(c, &topic, 1, auto_create);
        if (rc < 0)
            return rc;
        const struct metadata_resp_topic *t = kclient_topic(c, topic);
        int16_t e = t ? t->error_code : KERR_UNKNOWN_TOPIC_OR_PARTITION;
        if (e == 0 && t->partitions.n > 0) {
            *n_partitions = t->partitions.n;
            return 0;
        }
        if (e == 0)
            e = KERR_LEADER_NOT_AVAILABLE; /* no partitions yet */
        rc = kafka_fail(c, e, NULL, "topic %s", topic);
        if (!kerr_retriable(e) || !retry_again(&r))
            return rc;
    }
}

/* ---- produce, list offsets, fetch ---- */

/* Refreshes metadata for one topic, ignoring failures (the retry loop reports them). */
static void refresh_topic(struct kclient *c, const char *topic)
{
    char saved[sizeof c->err];
    memcpy(saved, c->err, sizeof saved);
    int16_t kerr = c->last_kerr;
    kclient_metadata(c, &topic, 1, false);
    memcpy(c->err, saved, sizeof saved);
    c->last_kerr = kerr;
}

/*
 * One attempt of a request to `node` at API version v: returns 0 or a
 * negative SL_E* code, with *kerr the Kafka error of the answer (0: none).
 */
typedef int (*attempt_fn)(struct kclient *c, int32_t node, int16_t v, void *ctx, int16_t *kerr);

/*
 * Runs fn against the leader of topic-partition, or with topic NULL against
 * the controller (any broker first, which forwards or answers
 * NOT_CONTROLLER), until it succeeds or fails for good: an unsupported API, a
 * malformed answer, a Kafka error that retrying cannot fix (final_kerr counts
 * as one), or the retry budget spent.  Between attempts a leader request
 * refreshes the topic's metadata; a controller request told NOT_CONTROLLER
 * looks the controller up.
 */
static int with_retries(struct kclient *c, const char *topic, int32_t partition, int16_t api_key,
                        int16_t final_kerr, attempt_fn fn, void *ctx)
{
    struct retry r;
    retry_start(c, &r);
    int32_t node = -1;
    if (topic && !kclient_topic(c, topic))
        refresh_topic(c, topic);
    for (;;) {
        int16_t kerr = 0;
        int rc;
        if (topic)
            node = kclient_leader(c, topic, partition);
        if (topic && node < 0) {
            rc = kafka_fail(c, KERR_LEADER_NOT_AVAILABLE, NULL, "%s-%d", topic, (int)partition);
        } else {
            rc = kclient_version(c, node, api_key);
            if (rc == SL_EUNSUPPORTED)
                return rc;
            if (rc >= 0) {
                rc = fn(c, node, (int16_t)rc, ctx, &kerr);
                if (rc == 0 || rc == SL_ECORRUPT || rc == SL_EINVAL ||
                    (kerr != 0 && (!kerr_retriable(kerr) || kerr == final_kerr)))
                    return rc;
            }
        }
        if (!retry_again(&r))
            return rc;
        if (topic)
            refresh_topic(c, topic);
        else if (kerr == KERR_NOT_CONTROLLER && kclient_metadata(c, NULL, 0, false) == 0 &&
                 c->meta.controller_id >= 0)
            node = c->meta.controller_id;
    }
}

/* A partition's answer: its error (recorded with context) or 0; SL_ECORRUPT when absent. */
static int partition_result(struct kclient *c, bool found, int16_t error_code,
                            const struct kstr *msg, int16_t *kerr, const char *api,
                            const char *what, const char *topic, int32_t partition)
{
    if (!found)
        return seterr(c, SL_ECORRUPT, "%s response lacks %s-%d", api, topic, (int)partition);
    if (error_code == 0)
        return 0;
    *kerr = error_code;
    return kafka_fail(c, error_code, msg, "%s %s-%d", what, topic, (int)partition);
}

struct produce_call {
    const char *topic;
    int32_t partition;
    const uint8_t *batch;
    size_t len;
    int16_t acks;
    int32_t timeout_ms;
    int64_t *base_offset;
};

static int produce_once(struct kclient *c, int32_t leader, int16_t v, void *ctx, int16_t *kerr)
{
    const struct produce_call *pc = ctx;
    struct produce_req_partition pd = {.index = pc->partition,
                                       .records = {.p = pc->batch, .len = (int32_t)pc->len}};
    struct produce_req_topic td = {.name = ks(pc->topic), .partition_data = {1, &pd}};
    struct produce_req req = {.transactional_id = {NULL, 0},
                              .acks = pc->acks,
                              .timeout_ms = pc->timeout_ms,
                              .topic_data = {1, &td}};
    struct arena a = ARENA_INIT;
    struct produce_resp resp;
    int rc = kclient_send(c, leader, KAPI_PRODUCE, v, &req, pc->acks == 0 ? NULL : &resp, &a,
                          pc->timeout_ms + c->request_timeout_ms);
    if (rc == 0 && pc->acks != 0) {
        const struct produce_resp_partition *p = NULL;
        for (int32_t i = 0; i < resp.responses.n; i++)
            if (kstr_eq(&resp.responses.v[i].name, pc->topic))
                for (int32_t j = 0; j < resp.responses.v[i].partition_responses.n; j++)
                    if (resp.responses.v[i].partition_responses.v[j].index == pc->partition)
                        p = &resp.responses.v[i].partition_responses.v[j];
        rc = partition_result(c, p, p ? p->error_code : 0, p ? &p->error_message : NULL, kerr,
                              "Produce", "produce to", pc->topic, pc->partition);
        if (rc == 0 && pc->base_offset)
            *pc->base_offset = p->base_offset;
    }
    arena_free(&a);
    return rc;
}

int kclient_produce(struct kclient *c, const char *topic, int32_t partition, const uint8_t *batch,
                    size_t len, int16_t acks, int32_t timeout_ms, int64_t *base_offset)
{
    if (base_offset)
        *base_offset = -1;
    if (len > INT32_MAX)
        return seterr(c, SL_ETOOLARGE, "record batch of %zu bytes is too large", len);
    struct produce_call pc = {topic, partition, batch, len, acks, timeout_ms, base_offset};
    return with_retries(c, topic, partition, KAPI_PRODUCE, 0, produce_once, &pc);
}

struct list_offset_call {
    const char *topic;
    int32_t partition;
    int64_t timestamp;
    int64_t *offset;
};

static int list_offset_once(struct kclient *c, int32_t leader, int16_t v, void *ctx, int16_t *kerr)
{
    const struct list_offset_call *lc = ctx;
    struct list_offsets_req_partition rp = {
        .partition_index = lc->partition, .current_leader_epoch = -1, .timestamp = lc->timestamp};
    struct list_offsets_req_topic rt = {.name = ks(lc->topic), .partitions = {1, &rp}};
    struct list_offsets_req req = {.replica_id = -1, .isolation_level = 0, .topics = {1, &rt}};
    struct arena a = ARENA_INIT;
    struct list_offsets_resp resp;
    int rc = kclient_send(c, leader, KAPI_LIST_OFFSETS, v, &req, &resp, &a, 0);
    if (rc == 0) {
        const struct list_offsets_resp_partition *p = NULL;
        for (int32_t i = 0; i < resp.topics.n; i++)
            if (kstr_eq(&resp.topics.v[i].name, lc->topic))
                for (int32_t j = 0; j < resp.topics.v[i].partitions.n; j++)
                    if (resp.topics.v[i].partitions.v[j].partition_index == lc->partition)
                        p = &resp.topics.v[i].partitions.v[j];
        rc = partition_result(c, p, p ? p->error_code : 0, NULL, kerr, "ListOffsets",
                              "list offsets of", lc->topic, lc->partition);
        if (rc == 0)
            *lc->offset = p->offset;
    }
    arena_free(&a);
    return rc;
}

int kclient_list_offset(struct kclient *c, const char *topic, int32_t partition, int64_t timestamp,
                        int64_t *offset)
{
    struct list_offset_call lc = {topic, partition, timestamp, offset};
    return with_retries(c, topic, partition, KAPI_LIST_OFFSETS, 0, list_offset_once, &lc);
}

int kclient_fetch(struct kclient *c, int32_t leader_id, const char *topic,
                  struct kclient_fetch_part *parts, int n, int32_t max_wait_ms, int32_t max_bytes,
                  struct arena *a)
{
    int rc = kclient_version(c, leader_id, KAPI_FETCH);
    if (rc < 0)
        return rc;
    int16_t v = (int16_t)rc;
    struct fetch_req_partition *rp = arena_alloc(a, (size_t)(n ? n : 1) * sizeof *rp);
    for (int i = 0; i < n; i++) {
        rp[i] = (struct fetch_req_partition){.partition = parts[i].partition,
                                             .current_leader_epoch = -1,
                                             .fetch_offset = parts[i].offset,
                                             .last_fetched_epoch = -1,
                                             .log_start_offset = -1,
                                             .partition_max_bytes = max_bytes};
        parts[i].error_code = 0;
        parts[i].high_watermark = -1;
        parts[i].records = NULL;
        parts[i].records_len = 0;
    }
    struct fetch_req_topic rt = {.topic = ks(topic)};
    rt.partitions.n = n;
    rt.partitions.v = rp;
    /* No fetch session (KIP-227): session_id 0 with epoch -1 asks for a full, sessionless fetch. */
    struct fetch_req req = {.cluster_id = {NULL, 0},
                            .replica_id = -1,
                            .max_wait_ms = max_wait_ms,
                            .min_bytes = 1,
                            .max_bytes = max_bytes,
                            .isolation_level = 0,
                            .session_id = 0,
                            .session_epoch = -1,
                            .rack_id = ks("")};
    req.topics.n = 1;
    req.topics.v = &rt;
    struct fetch_resp resp;
    rc = kclient_send(c, leader_id, KAPI_FETCH, v, &req, &resp, a,
                      max_wait_ms + c->request_timeout_ms);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++)
        parts[i].error_code = resp.error_code ? resp.error_code : KERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (resp.error_code != 0)
        return kafka_fail(c, resp.error_code, NULL, "fetch from node %d", (int)leader_id);
    for (int32_t t = 0; t < resp.responses.n; t++) {
        if (!kstr_eq(&resp.responses.v[t].topic, topic))
            continue;
        for (int32_t j = 0; j < resp.responses.v[t].partitions.n; j++) {
            const struct fetch_resp_partition *p = &resp.responses.v[t].partitions.v[j];
            for (int i = 0; i < n; i++) {
                if (parts[i].partition != p->partition_index)
                    continue;
                parts[i].error_code = p->error_code;
                parts[i].high_watermark = p->high_watermark;
                if (p->records.p && p->records.len > 0) {
                    parts[i].records = p->records.p;
                    parts[i].records_len = (size_t)p->records.len;
                }
            }
        }
    }
    return 0;
}

/* ---- admin ---- */

struct create_topic_call {
    const char *name;
    int32_t partitions;
    int16_t replication_factor;
    const struct kclient_config_kv *configs;
    int n_configs;
    int32_t timeout_ms;
};

/* The outcome of the one topic of a CreateTopics or DeleteTopics answer (n of them). */
static int topic_result(struct kclient *c, int32_t n, int16_t error_code, const struct kstr *msg,
                        int16_t *kerr, const char *api, const char *what, const char *name)
{
    if (n < 1)
        return seterr(c, SL_ECORRUPT, "%s response has no topic", api);
    if (error_code == 0)
        return 0;
    *kerr = error_code;
    return kafka_fail(c, error_code, msg, "%s topic %s", what, name);
}

static int create_topic_once(struct kclient *c, int32_t target, int16_t v, void *ctx, int16_t *kerr)
{
    const struct create_topic_call *cc = ctx;
    struct arena a = ARENA_INIT;
    struct create_topics_req_topic t = {.name = ks(cc->name),
                                        .num_partitions = cc->partitions,
                                        .replication_factor = cc->replication_factor};
    /* -1 (use the broker's default) exists from CreateTopics v4 (KIP-464). */
    if (v < 4 && t.num_partitions < 0)
        t.num_partitions = 1;
    if (v < 4 && t.replication_factor < 0)
        t.replication_factor = 1;
    t.configs.n = cc->n_configs;
    t.configs.v =
        arena_alloc(&a, (size_t)(cc->n_configs ? cc->n_configs : 1) * sizeof *t.configs.v);
    for (int i = 0; i < cc->n_configs; i++) {
        t.configs.v[i].name = ks(cc->configs[i].name);
        t.configs.v[i].value = ks(cc->configs[i].value);
    }
    struct create_topics_req req = {
        .timeout_ms = cc->timeout_ms, .validate_only = false, .topics = {1, &t}};
    struct create_topics_resp resp;
    int rc = kclient_send(c, target, KAPI_CREATE_TOPICS, v, &req, &resp, &a,
                          cc->timeout_ms + c->request_timeout_ms);
    if (rc == 0)
        rc = topic_result(c, resp.topics.n, resp.topics.n > 0 ? resp.topics.v[0].error_code : 0,
                          resp.topics.n > 0 ? &resp.topics.v[0].error_message : NULL, kerr,
                          "CreateTopics", "create", cc->name);
    arena_free(&a);
    return rc;
}

int kclient_create_topic(struct kclient *c, const char *name, int32_t partitions,
                         int16_t replication_factor, const struct kclient_config_kv *configs,
                         int n_configs, int32_t timeout_ms)
{
    struct create_topic_call cc = {name,    partitions, replication_factor,
                                   configs, n_configs,  timeout_ms};
    return with_retries(c, NULL, -1, KAPI_CREATE_TOPICS, 0, create_topic_once, &cc);
}

struct delete_topic_call {
    const char *name;
    int32_t timeout_ms;
};

static int delete_topic_once(struct kclient *c, int32_t target, int16_t v, void *ctx, int16_t *kerr)
{
    const struct delete_topic_call *dc = ctx;
    struct arena a = ARENA_INIT;
    struct delete_topics_req req = {.timeout_ms = dc->timeout_ms};
    struct delete_topics_req_topic t = {.name = ks(dc->name)};
    struct kstr tn = ks(dc->name);
    if (v >= 6) {
        req.topics.n = 1;
        req.topics.v = &t;
    } else {
        req.topic_names.n = 1;
        req.topic_names.v = &tn;
    }
    struct delete_topics_resp resp;
    int rc = kclient_send(c, target, KAPI_DELETE_TOPICS, v, &req, &resp, &a,
                          dc->timeout_ms + c->request_timeout_ms);
    if (rc == 0)
        rc = topic_result(c, resp.responses.n,
                          resp.responses.n > 0 ? resp.responses.v[0].error_code : 0,
                          resp.responses.n > 0 ? &resp.responses.v[0].error_message : NULL, kerr,
                          "DeleteTopics", "delete", dc->name);
    arena_free(&a);
    return rc;
}

int kclient_delete_topic(struct kclient *c, const char *name, int32_t timeout_ms)
{
    struct delete_topic_call dc = {name, timeout_ms};
    /* UNKNOWN_TOPIC_OR_PARTITION is final here: the topic is not there to delete. */
    return with_retries(c, NULL, -1, KAPI_DELETE_TOPICS, KERR_UNKNOWN_TOPIC_OR_PARTITION,
                        delete_topic_once, &dc);
}

int kclient_topic_configs(struct kclient *c, const char *topic, struct arena *a, char **out)
{
    *out = arena_strdup(a, "");
    int rc = kclient_version(c, -1, KAPI_DESCRIBE_CONFIGS);
    if (rc < 0)
        return rc;
    int16_t v = (int16_t)rc;
    struct describe_configs_req_resource res = {.resource_type = RESOURCE_TOPIC,
                                                .resource_name = ks(topic)};
    res.configuration_keys.n = -1; /* null: all keys */
    struct describe_configs_req req = {.include_synonyms = false, .include_documentation = false};
    req.resources.n = 1;
    req.resources.v = &res;
    struct describe_configs_resp resp;
    rc = kclient_send(c, -1, KAPI_DESCRIBE_CONFIGS, v, &req, &resp, a, 0);
    if (rc < 0)
        return rc;
    if (resp.results.n < 1)
        return seterr(c, SL_ECORRUPT, "DescribeConfigs response has no result");
    const struct describe_configs_resp_result *res0 = &resp.results.v[0];
    if (res0->error_code != 0)
        return kafka_fail(c, res0->error_code, &res0->error_message, "describe configs of %s",
                          topic);
    struct wbuf w;
    wbuf_init(&w, 128);
    for (int32_t i = 0; i < res0->configs.n; i++) {
        const struct describe_configs_resp_config *cf = &res0->configs.v[i];
        bool dynamic = v >= 1 ? cf->config_source == SOURCE_DYNAMIC_TOPIC : !cf->is_default;
        if (!dynamic || !cf->name.s)
            continue;
        if (w.len)
            wbuf_bytes(&w, ",", 1);
        wbuf_bytes(&w, cf->name.s, (size_t)cf->name.len);
        wbuf_bytes(&w, "=", 1);
        if (cf->value.s)
            wbuf_bytes(&w, cf->value.s, (size_t)cf->value.len);
        else
            wbuf_bytes(&w, "null", 4);
    }
    *out = arena_strndup(a, (const char *)w.data, w.len);
    wbuf_free(&w);
    return 0;
}

/* ---- partitioning ---- */

int32_t kclient_murmur2(const void *data, size_t len)
{
    const uint8_t *d = data;
    const uint32_t m = 0x5bd1e995;
    const int r = 24;
    uint32_t h = 0x9747b28cu ^ (uint32_t)len;
    size_t n4 = len / 4;
    for (size_t i = 0; i < n4; i++) {
        const uint8_t *p = d + i * 4;
        uint32_t k = (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                     ((uint32_t)p[3] << 24);
        k *= m;
        k ^= k >> r;
        k *= m;
        h *= m;
        h ^= k;
    }
    const uint8_t *tail = d + (len & ~(size_t)3);
    switch (len % 4) {
    case 3:
        h ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        h ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        h ^= tail[0];
        h *= m;
    }
    h ^= h >> 13;
    h *= m;
    h ^= h >> 15;
    return (int32_t)h;
}

int32_t kclient_partition_for_key(const void *key, size_t len, int32_t n_partitions)
{
    if (n_partitions <= 0)
        return 0;
    uint32_t positive = (uint32_t)kclient_murmur2(key, len) & 0x7fffffffu;
    return (int32_t)(positive % (uint32_t)n_partitions);
}
