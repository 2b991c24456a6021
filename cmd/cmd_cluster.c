/*
 * `sluice cluster info|health`, over a node's admin API (HTTP, default
 * $SLUICE_ADMIN or 127.0.0.1:9644).  The output follows rpk's `cluster info`
 * (CLUSTER / BROKERS with the controller marked `*` / TOPICS) and
 * `cluster health` (the health_overview fields, one per line).  The HTTP
 * client is deliberately small: one GET per connection (Connection: close),
 * bounded response size, connect and read timeouts.
 */
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "xalloc.h"

/* Also declared in main.c; cmd.h is the natural home (see the admin report). */
int cmd_cluster(int argc, char **argv);
/* cmd_quorum.c */
int cmd_cluster_quorum(int argc, char **argv);

#define HTTP_TIMEOUT_MS 10000
#define HTTP_MAX_BYTES  (64u << 20)

static const char *default_admin(void)
{
    const char *a = getenv("SLUICE_ADMIN");
    return a && *a ? a : "127.0.0.1:9644";
}

static void usage(FILE *out)
{
    fputs("Usage: sluice cluster <info|health|quorum> [options]\n"
          "\n"
          "  sluice cluster info                   cluster id, brokers (controller marked *)\n"
          "                                        and topics\n"
          "  sluice cluster health [--watch] [--exit-when-healthy]\n"
          "                                        the cluster health overview\n"
          "  sluice cluster quorum [--replication] [--bootstrap-controller HOST:PORT,...]\n"
          "                                        the metadata quorum (DescribeQuorum)\n"
          "\n"
          "      --admin HOST:PORT    admin API of any node (default $SLUICE_ADMIN or\n"
          "                           127.0.0.1:9644)\n"
          "  -w, --watch              health: keep polling and print every change\n"
          "  -e, --exit-when-healthy  health: poll until the cluster is healthy, then exit 0\n"
          "      --interval-ms MS     health: polling interval (default 1000)\n"
          "  -h, --help               this help\n",
          out);
}

/* ---- a minimal HTTP/1.1 GET ---- */

struct http_resp {
    int status;
    char *body; /* NUL-terminated, owned */
    size_t len;
};

static int split_hostport(const char *hp, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon;
    if (hp[0] == '[') {
        const char *end = strchr(hp, ']');
        if (!end || (size_t)(end - hp - 1) >= hostlen)
            return -1;
        memcpy(host, hp + 1, (size_t)(end - hp - 1));
        host[end - hp - 1] = '\0';
        colon = end[1] == ':' ? end + 1 : NULL;
    } else {
        colon = strrchr(hp, ':');
        size_t hl = colon ? (size_t)(colon - hp) : strlen(hp);
        if (hl == 0 || hl >= hostlen)
            return -1;
        memcpy(host, hp, hl);
        host[hl] = '\0';
    }
    snprintf(port, portlen, "%s", colon && colon[1] ? colon + 1 : "9644");
    return 0;
}

static int connect_to(const char *host, const char *port, char *err, size_t errlen)
{
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (errno == EINPROGRESS) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int soerr = 0;
            socklen_t sl = sizeof soerr;
            if (poll(&p, 1, HTTP_TIMEOUT_MS) == 1 &&
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0)
                break;
            errno = soerr ? soerr : ETIMEDOUT;
        }
        snprintf(err, errlen, "cannot connect to %s:%s: %s", host, port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

/* Waits until fd is ready for `events`; -1 on timeout or error. */
static int wait_fd(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int rc;
    do
        rc = poll(&p, 1, HTTP_TIMEOUT_MS);
    while (rc < 0 && errno == EINTR);
    return rc == 1 ? 0 : -1;
}

/* GET path from the admin API at hostport.  Returns 0 with *out filled, or -1 with err. */
static int http_get(const char *hostport, const char *path, struct http_resp *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof *out);
    char host[256], port[32];
    if (split_hostport(hostport, host, sizeof host, port, sizeof port) < 0) {
        snprintf(err, errlen, "invalid admin address '%s' (expected HOST:PORT)", hostport);
        return -1;
    }
    int fd = connect_to(host, port, err, errlen);
    if (fd < 0)
        return -1;
    char *req = xasprintf("GET %s HTTP/1.1\r\nHost: %s:%s\r\nAccept: application/json\r\n"
                          "User-Agent: sluice-cli\r\nConnection: close\r\n\r\n",
                          path, host, port);
    size_t off = 0, len = strlen(req);
    while (off < len) {
        ssize_t n = send(fd, req + off, len - off, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLOUT) < 0)
                break;
            continue;
        }
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    free(req);
    if (off < len) {
        snprintf(err, errlen, "cannot send the request to %s", hostport);
        close(fd);
        return -1;
    }
    size_t cap = 65536, got = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (got == cap) {
            if (cap >= HTTP_MAX_BYTES) {
                snprintf(err, errlen, "response from %s is larger than %u bytes", hostport,
                         HTTP_MAX_BYTES);
                free(buf);
                close(fd);
                return -1;
            }
            cap *= 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t n = recv(fd, buf + got, cap - got, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (wait_fd(fd, POLLIN) < 0) {
                snprintf(err, errlen, "timed out reading the response from %s", hostport);
                free(buf);
                close(fd);
                return -1;
            }
            continue;
        }
        if (n < 0) {
            snprintf(err, errlen, "cannot read the response from %s: %s", hostport,
                     strerror(errno));
            free(buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    int status = 0;
    char *hend = strstr(buf, "\r\n\r\n");
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1 || !hend) {
        snprintf(err, errlen, "malformed HTTP response from %s", hostport);
        free(buf);
        return -1;
    }
    char *body = hend + 4;
    size_t blen = got - (size_t)(body - buf);
    out->status = status;
    out->body = xmalloc(blen + 1);
    memcpy(out->body, body, blen);
    out->body[blen] = '\0';
    out->len = blen;
    free(buf);
    return 0;
}

/* GETs path and parses its JSON; on an HTTP error status prints the server's message. */
static json_t *get_json(const char *admin, const char *path, char *err, size_t errlen)
{
    struct http_resp r;
    if (http_get(admin, path, &r, err, errlen) < 0)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(r.body, r.len, 0, &je);
    if (r.status != 200) {
        const char *msg = j ? json_string_value(json_object_get(j, "message")) : NULL;
        snprintf(err, errlen, "%s answered %d: %s", path, r.status, msg ? msg : r.body);
        json_decref(j);
        free(r.body);
        return NULL;
    }
    free(r.body);
    if (!j)
        snprintf(err, errlen, "%s: invalid JSON: %s", path, je.text);
    return j;
}

static int64_t jint(json_t *o, const char *k, int64_t dflt)
{
    json_t *v = json_object_get(o, k);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : dflt;
}

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* ---- cluster info ---- */

static int do_info(const char *admin)
{
    char err[512];
    json_t *cl = get_json(admin, "/v1/cluster", err, sizeof err);
    json_t *topics = cl ? get_json(admin, "/v1/topics", err, sizeof err) : NULL;
    if (!cl || !topics) {
        fprintf(stderr, "sluice cluster info: %s\n", err);
        json_decref(cl);
        return CMD_FAIL;
    }
    int64_t ctl = jint(cl, "controller_id", -1);
    printf("CLUSTER\n=======\n%s\n\n", jstr(cl, "cluster_id", "?"));
    printf("BROKERS\n=======\n");
    json_t *brokers = json_object_get(cl, "brokers");
    size_t hw = 4, rw = 4;
    size_t i;
    json_t *b;
    json_array_foreach(brokers, i, b)
    {
        size_t l = strlen(jstr(b, "host", "-"));
        if (l > hw)
            hw = l;
        l = strlen(jstr(b, "rack", "-"));
        if (l > rw)
            rw = l;
    }
    printf("%-6s  %-*s  %-5s  %-*s  %s\n", "ID", (int)hw, "HOST", "PORT", (int)rw, "RACK",
           "STATUS");
    json_array_foreach(brokers, i, b)
    {
        int64_t id = jint(b, "node_id", -1);
        char idtxt[24];
        snprintf(idtxt, sizeof idtxt, "%lld%s", (long long)id, id == ctl ? "*" : "");
        char port[16] = "-";
        if (jint(b, "port", -1) >= 0)
            snprintf(port, sizeof port, "%lld", (long long)jint(b, "port", -1));
        bool fenced = json_is_true(json_object_get(b, "is_fenced"));
        printf("%-6s  %-*s  %-5s  %-*s  %s\n", idtxt, (int)hw, jstr(b, "host", "-"), port, (int)rw,
               jstr(b, "rack", "-"), fenced ? "fenced" : "alive");
    }
    printf("\nTOPICS\n======\n");
    size_t nw = 4;
    json_t *t;
    json_array_foreach(topics, i, t)
    {
        size_t l = strlen(jstr(t, "topic_name", ""));
        if (l > nw)
            nw = l;
    }
    printf("%-*s  %-10s  %s\n", (int)nw, "NAME", "PARTITIONS", "REPLICAS");
    json_array_foreach(topics, i, t)
    {
        printf("%-*s  %-10lld  %lld\n", (int)nw, jstr(t, "topic_name", "?"),
               (long long)jint(t, "partitions_count", 0),
               (long long)jint(t, "replication_factor", 0));
    }
    json_decref(cl);
    json_decref(topics);
    return CMD_OK;
}

/* ---- cluster health ---- */

/* "[1 2 3]" from a JSON array of numbers or strings (rpk's format). */
static void list_text(json_t *a, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        if (used >= len)
            break;
        if (json_is_integer(v))
            used += (size_t)snprintf(buf + used, len - used, "%s%lld", i ? " " : "",
                                     (long long)json_integer_value(v));
        else if (json_is_string(v))
            used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? " " : "",
                                     json_string_value(v));
    }
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

/* The report text for one health_overview answer (caller frees). */
static char *health_text(json_t *h)
{
    char reasons[1024], all[1024], down[1024], leaderless[4096], under[4096];
    list_text(json_object_get(h, "unhealthy_reasons"), reasons, sizeof reasons);
    list_text(json_object_get(h, "all_nodes"), all, sizeof all);
    list_text(json_object_get(h, "nodes_down"), down, sizeof down);
    list_text(json_object_get(h, "leaderless_partitions"), leaderless, sizeof leaderless);
    list_text(json_object_get(h, "under_replicated_partitions"), under, sizeof under);
    char lhead[64], uhead[64];
    snprintf(lhead, sizeof lhead,
             "Leaderless partitions (%lld):", (long long)jint(h, "leaderless_count", 0));
    snprintf(uhead, sizeof uhead, "Under-replicated partitions (%lld):",
             (long long)jint(h, "under_replicated_count", 0));
    return xasprintf("CLUSTER HEALTH OVERVIEW\n"
                     "=======================\n"
                     "%-34s%s\n%-34s%s\n%-34s%lld\n%-34s%s\n%-34s%s\n%-34s%s\n%-34s%s\n",
                     "Healthy:", json_is_true(json_object_get(h, "is_healthy")) ? "true" : "false",
                     "Unhealthy reasons:", reasons,
                     "Controller ID:", (long long)jint(h, "controller_id", -1), "All nodes:", all,
                     "Nodes down:", down, lhead, leaderless, uhead, under);
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

static int do_health(const char *admin, bool watch, bool exit_when_healthy, int64_t interval_ms)
{
    char *last = NULL;
    bool last_failed = false;
    for (;;) {
        char err[512];
        json_t *h = get_json(admin, "/v1/cluster/health_overview", err, sizeof err);
        bool healthy = false;
        if (!h) {
            if (!watch && !exit_when_healthy) {
                fprintf(stderr, "sluice cluster health: %s\n", err);
                return CMD_FAIL;
            }
            /* Watching: a node that is down for a moment is part of what one watches. */
            if (!last_failed)
                fprintf(stderr, "sluice cluster health: %s (retrying)\n", err);
            last_failed = true;
        } else {
            last_failed = false;
            healthy = json_is_true(json_object_get(h, "is_healthy"));
            char *text = health_text(h);
            json_decref(h);
            if (!last || strcmp(text, last) != 0) {
                if (last)
                    printf("\n");
                fputs(text, stdout);
                fflush(stdout);
            }
            free(last);
            last = text;
        }
        if (exit_when_healthy && healthy)
            break;
        if (!watch && !exit_when_healthy)
            break;
        sleep_ms(interval_ms);
    }
    free(last);
    return CMD_OK;
}

int cmd_cluster(int argc, char **argv)
{
    const char *admin = default_admin();
    bool watch = false, exit_when_healthy = false;
    int64_t interval_ms = 1000;
    const char *sub = argc > 1 ? argv[1] : NULL;
    if (sub && strcmp(sub, "quorum") == 0)
        return cmd_cluster_quorum(argc - 1, argv + 1);
    if (!sub || strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
        usage(sub ? stdout : stderr);
        return sub ? CMD_OK : CMD_USAGE;
    }
    const struct cmd_opt opts[] = {
        {"admin", 'a', CMD_OPT_STR, &admin},
        {"watch", 'w', CMD_OPT_FLAG, &watch},
        {"exit-when-healthy", 'e', CMD_OPT_FLAG, &exit_when_healthy},
        {"interval-ms", 'i', CMD_OPT_INT, &interval_ms, "--interval-ms", 10, 3600000},
        {NULL},
    };
    const struct cmd_parser p = {
        .cmd = "cluster", .shorts = "weh", .opts = opts, .usage = usage, .no_operands = true};
    int rc = cmd_opts_parse(&p, argc - 1, argv + 1);
    if (rc != CMD_CONTINUE)
        return rc;
    if (strcmp(sub, "info") == 0) {
        if (watch || exit_when_healthy) {
            fprintf(stderr, "sluice cluster info: --watch and --exit-when-healthy are options "
                            "of 'cluster health'\n");
            return CMD_USAGE;
        }
        return do_info(admin);
    }
    if (strcmp(sub, "health") == 0)
        return do_health(admin, watch, exit_when_healthy, interval_ms);
    fprintf(stderr, "sluice cluster: unknown subcommand '%s'\n", sub);
    usage(stderr);
    return CMD_USAGE;
}
