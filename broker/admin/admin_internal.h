/*
 * Shared between the admin server's files (not for the rest of the broker):
 * the request a handler gets, the reply functions, the JSON helpers and the
 * handlers the routing table (admin_server.c) dispatches to.
 *
 *   admin_server.c   HTTP/1.1 connections, limits, parsing, routing, replies
 *   admin_http.c     request heads (parsing) and the request's lifetime
 *   admin_guard.c    guards against cross-site writes (Host, Origin, Content-Type)
 *   admin_views.c    GET /v1/... JSON views of the image, partitions, quorum
 *   admin_writes.c   POST/DELETE /v1/... through the controller (forwarded to
 *                    it from the other nodes)
 *   admin_metrics.c  GET /metrics
 *   admin_page.c     GET / (the embedded cluster page)
 *
 * A handler answers exactly once, now or later (writes answer when the
 * controller's records commit), with one of the admin_reply_* functions,
 * which also free the request.  When the client disconnects or the server
 * stops first, the request is detached (r->conn == NULL) and the reply only
 * frees it.
 */
#ifndef SLUICE_BROKER_ADMIN_INTERNAL_H
#define SLUICE_BROKER_ADMIN_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/keyvalq_struct.h>

struct admin_conn;
struct admin_server;
struct evbuffer;
struct broker;

/* Limits of the admin listener. */
#define ADMIN_MAX_CONNECTIONS  64
#define ADMIN_MAX_HEADER_BYTES (16 * 1024)
#define ADMIN_MAX_HEADERS      100
#define ADMIN_MAX_BODY_BYTES   (1024 * 1024)
#define ADMIN_MAX_PATH_SEGS    16
#define ADMIN_IDLE_TIMEOUT_S   60    /* keep-alive connections between requests */
#define ADMIN_WRITE_TIMEOUT_MS 30000 /* CreateTopics' default timeout_ms */

/* Methods (bit mask, for routes and the Allow header). */
enum admin_method {
    ADMIN_GET = 1 << 0,
    ADMIN_HEAD = 1 << 1,
    ADMIN_POST = 1 << 2,
    ADMIN_PUT = 1 << 3,
    ADMIN_DELETE = 1 << 4,
    ADMIN_PATCH = 1 << 5,
    ADMIN_OPTIONS = 1 << 6,
    ADMIN_OTHER = 1 << 7,
};

struct admin_request {
    struct admin_conn *conn; /* NULL once detached */
    struct broker *node;
    unsigned method; /* one enum admin_method bit */
    char *target;    /* the request target as sent */
    char **segs;     /* decoded path segments (no empty trailing segment) */
    int nsegs;
    const char *params[4]; /* the segments matched by {} in the route, in order */
    int nparams;
    struct evkeyvalq query; /* decoded query parameters */
    char *body;             /* NUL-terminated copy of the body (NULL when none) */
    size_t body_len;
    char *extra_headers; /* "Name: value\r\n"... added to the response, or NULL */
    bool keep_alive;
    bool http10;
    int64_t content_length; /* -1 when absent */
    bool expect_continue;
    char *host;         /* the Host header, or NULL */
    char *origin;       /* the Origin header, or NULL ("" when sent twice) */
    char *content_type; /* the Content-Type header, or NULL ("" when sent twice) */
    bool dispatched;    /* handed to a handler (owned by it until it replies) */
};

typedef void (*admin_handler)(struct admin_request *r);

/* ---- replies (each frees r) ---- */

/* Sends `body` (stolen; NULL sends "null") as application/json with `status`. */
void admin_reply_json(struct admin_request *r, int status, json_t *body);

/*
 * Sends {"error_code": status, "message": <formatted>} with `status`, plus the
 * fields of `extra` (stolen, may be NULL) merged in.
 */
void admin_reply_error_extra(struct admin_request *r, int status, json_t *extra, const char *fmt,
                             ...) __attribute__((format(printf, 4, 5)));
void admin_reply_error(struct admin_request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Answers a Kafka error from the controller: the HTTP status that fits the
 * code (400 invalid input, 404 unknown topic, 409 exists, 503 not controller,
 * ...), error_code = that status, `message` (the controller's, or the
 * error's name when NULL), kafka_error_code and kafka_error.
 */
void admin_reply_kafka_error(struct admin_request *r, int16_t kafka_error, const char *message);

/*
 * admin_reply_kafka_error with the fields of `extra` (stolen, may be NULL)
 * merged into the body.
 */
void admin_reply_kafka_error_extra(struct admin_request *r, int16_t kafka_error,
                                   const char *message, json_t *extra);

/* The HTTP status admin_reply_kafka_error uses for a Kafka error code. */
int admin_kafka_error_status(int16_t kafka_error);

/* Sends `len` bytes of `content_type` with `status` (copied). */
void admin_reply_raw(struct admin_request *r, int status, const char *content_type,
                     const void *data, size_t len);

/* Sends the contents of `buf` (drained) with `status`. */
void admin_reply_buffer(struct admin_request *r, int status, const char *content_type,
                        struct evbuffer *buf);

/* Adds a response header (name and value copied). */
void admin_request_add_header(struct admin_request *r, const char *name, const char *value);

/* A query parameter's decoded value, or NULL. */
const char *admin_query(struct admin_request *r, const char *key);

/* ---- writes (admin_writes.c) ---- */

/*
 * Answers 503 (with Retry-After) for a write that no active controller can
 * take: this node is not it and knows no other.  The body names the
 * controller id this node knows (null when none).
 */
void admin_reply_no_controller(struct admin_request *r);

/*
 * The head of the server's list of forwarded writes waiting for this node's
 * image to show them (admin_writes.c links them), or NULL when the server
 * is not running.
 */
struct admin_write;
struct admin_write **admin_server_settling(struct broker *n);

/* Answers every write still waiting for this node's image (server shutdown). */
void admin_writes_stop(struct broker *n);

/* ---- JSON helpers shared by the views ---- */

/* A JSON array of node ids. */
json_t *admin_json_ids(const int32_t *ids, int32_t n);
/* An integer, or null when v < 0 (unknown ids/offsets). */
json_t *admin_json_int_or_null(int64_t v);

/* Parses a partition/broker id segment (decimal, 0..INT32_MAX); false when invalid. */
bool admin_parse_id(const char *s, int32_t *out);

/*
 * Whether a topic name is legal (Kafka's Topic.validate: 1..249 characters
 * of [a-zA-Z0-9._-], not "." or "..").  On failure writes the reason.
 */
bool admin_topic_name_valid(const char *name, char *why, size_t whylen);

/* ---- requests (admin_http.c) ---- */

/* A new empty request for node n (no connection yet).  Freed by the replies. */
struct admin_request *admin_request_new(struct broker *n);
/* Frees r and everything it owns (the replies call this). */
void admin_request_free(struct admin_request *r);

/*
 * Finds the end of the request head (request line and header fields, ended
 * by an empty line, CRLF or bare LF) at the start of `in`.  Returns the
 * number of bytes up to and including the empty line, with *head_len = the
 * length of the head without its last line break; -1 when more input is
 * needed.
 */
ssize_t admin_http_find_head_end(struct evbuffer *in, size_t *head_len);

/*
 * Parses a request head (`head` is NUL-terminated and modified in place)
 * into a new request for node n: method, target (decoded into segments and
 * query parameters), Content-Length, Connection, Expect, Host, Origin and
 * Content-Type.  Returns the request (never NULL).  *status is 0, or the
 * HTTP status of a protocol error (400 malformed or a repeated Host, 413 body over
 * ADMIN_MAX_BODY_BYTES, 414 target too long, 417 unknown expectation, 431 too many fields, 501
 * Transfer-Encoding, 505 HTTP version) with the reason in why; the request then carries what was
 * parsed, for the error reply.
 */
struct admin_request *admin_http_parse_head(struct broker *n, char *head, int *status, char *why,
                                            size_t whylen);

/* ---- write guards (admin_guard.c) ---- */

/*
 * Whether a Content-Type value is application/json (case-insensitive,
 * parameters such as charset allowed).  False for NULL.
 */
bool admin_content_type_is_json(const char *ct);

/*
 * Splits an authority "host[:port]" (IPv6 addresses in brackets) as sent in
 * a Host header or an origin: *host gets the host lower-cased without
 * brackets or a trailing dot, *port the port or -1 when absent.  Returns
 * false when malformed (empty host, bad characters, bad port) or when the
 * host does not fit hostlen.
 */
bool admin_authority_split(const char *auth, char *host, size_t hostlen, int *port);

/*
 * Whether `host` (as admin_authority_split gives it) is one of names[0..n):
 * names compare case-insensitively, addresses by value ("[::1]" and "::1"
 * alike); a name "*" matches every host.
 */
bool admin_host_in(const char *host, const char *const *names, size_t n);

/*
 * Whether an Origin header value is the same origin as the Host header: an
 * http or https origin whose host and port (the scheme's default when
 * absent, on either side) are the Host header's.  False for "null", other
 * schemes and malformed values.
 */
bool admin_origin_matches_host(const char *origin, const char *host_header);

/*
 * The guards against cross-site writes for a parsed request (every method
 * but GET, HEAD and OPTIONS; see admin_guard.c): the Host header must name
 * one of names[0..n) (400 when malformed, 403 when missing or foreign), an
 * Origin header must match the Host (403), and a body or a Content-Type
 * must be application/json (415).  Returns 0 when the request may proceed,
 * else the HTTP status with the reason in why.
 */
int admin_request_guard(const struct admin_request *r, const char *const *names, size_t n,
                        char *why, size_t whylen);

/* Open admin connections counted against the limit (0 when the server is not running). */
int admin_server_connection_count(const struct broker *n);

/* ---- handlers (the routing table is in admin_server.c) ---- */

void admin_view_ready(struct admin_request *r);
void admin_view_cluster(struct admin_request *r);
void admin_view_health(struct admin_request *r);
void admin_view_brokers(struct admin_request *r);
void admin_view_broker(struct admin_request *r);
void admin_view_topics(struct admin_request *r);
void admin_view_topic(struct admin_request *r);
void admin_view_partitions(struct admin_request *r);
void admin_view_partition(struct admin_request *r);
void admin_view_raft(struct admin_request *r);
void admin_view_groups(struct admin_request *r);
void admin_view_group(struct admin_request *r);

void admin_write_create_topic(struct admin_request *r);
void admin_write_delete_topic(struct admin_request *r);
void admin_write_create_partitions(struct admin_request *r);
void admin_write_transfer_leadership(struct admin_request *r);

void admin_metrics_get(struct admin_request *r);
void admin_page_get(struct admin_request *r);

#endif
