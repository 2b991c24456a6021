/*
 * `sluice cluster quorum [--replication] [--bootstrap-controller HOST:PORT[,...]]`:
 * the metadata quorum as kafka-metadata-quorum's `describe --status` and
 * `describe --replication` print it, from DescribeQuorum (55, KIP-595) sent
 * to a controller's CONTROLLER listener.  Only the Raft leader can answer;
 * every listed controller is tried in turn.
 */
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "api_controller.h"
#include "arena.h"
#include "buf.h"
#include "cmd.h"
#include "frame.h"
#include "kafka.h"
#include "messages.h"
#include "xalloc.h"

#define DESCRIBE_QUORUM_VERSION 2 /* v2 adds the voters' endpoints (nodes) */
#define IO_TIMEOUT_MS           5000
#define MAX_RESPONSE            (16 << 20)

int cmd_cluster_quorum(int argc, char **argv);

static int dial(const char *hostport)
{
    char host[256], port[16];
    const char *colon = strrchr(hostport, ':');
    if (!colon || (size_t)(colon - hostport) >= sizeof host || strlen(colon + 1) >= sizeof port)
        return -1;
    memcpy(host, hostport, (size_t)(colon - hostport));
    host[colon - hostport] = '\0';
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, port, &hints, &res) != 0 || !res)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    struct timeval tv = {IO_TIMEOUT_MS / 1000, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    return fd;
}

static int full_io(int fd, void *buf, size_t n, bool write_it)
{
    uint8_t *p = buf;
    while (n > 0) {
        ssize_t k = write_it ? write(fd, p, n) : read(fd, p, n);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

/* What call() could not do. */
enum call_error {
    CALL_NO_CONNECTION = -1,
    CALL_NO_ANSWER = -2,  /* nothing, or no valid response frame, came back */
    CALL_UNDECODABLE = -3 /* a frame came back that is not a response of resp_schema */
};

/*
 * One request to a controller on a fresh connection: h and req out, the
 * response decoded into *resp (allocated in a).  Returns 0 or a call_error.
 */
static int call(const char *hostport, const struct proto_req_header *h, const void *req,
                const struct proto_schema *resp_schema, void *resp, struct arena *a)
{
    int fd = dial(hostport);
    if (fd < 0)
        return CALL_NO_CONNECTION;
    struct proto_out o;
    proto_out_init(&o);
    int rc = proto_api_controller_req_frame_encode(&o, h, req);
    if (rc == 0)
        rc = full_io(fd, o.w.data, o.w.len, true);
    proto_out_free(&o);
    uint8_t szb[4];
    if (rc == 0)
        rc = full_io(fd, szb, 4, false);
    int32_t size = rc == 0 ? (int32_t)be32_load(szb) : -1;
    if (rc < 0 || proto_resp_frame_size_check(size, MAX_RESPONSE) < 0) {
        close(fd);
        return CALL_NO_ANSWER;
    }
    uint8_t *frame = arena_alloc(a, (size_t)size);
    rc = full_io(fd, frame, (size_t)size, false);
    close(fd);
    struct rbuf r;
    rbuf_init(&r, frame, (size_t)size);
    bool flex = proto_api_controller_is_flexible(h->api_key, h->api_version);
    int32_t corr;
    if (rc < 0 || proto_resp_header_decode(&r, flex, &corr) < 0 ||
        proto_decode(resp_schema, h->api_version, flex, &r, resp, a) < 0)
        return CALL_UNDECODABLE;
    return 0;
}

/* Sends DescribeQuorum to one controller; fills *resp (allocated in a). */
static int describe(const char *hostport, struct arena *a, struct describe_quorum_resp *resp,
                    char *err, size_t errlen)
{
    struct describe_quorum_req_partition part = {0};
    struct describe_quorum_req_topic topic = {{"__cluster_metadata", 18}, {1, &part}};
    struct describe_quorum_req req = {{1, &topic}};
    struct proto_req_header h = {KAPI_DESCRIBE_QUORUM, DESCRIBE_QUORUM_VERSION, 1, {"sluice", 6}};
    int rc = call(hostport, &h, &req, &proto_describe_quorum_resp_schema, resp, a);
    if (rc == CALL_NO_CONNECTION)
        snprintf(err, errlen, "cannot connect to %s", hostport);
    else if (rc == CALL_NO_ANSWER)
        snprintf(err, errlen, "no valid answer from %s", hostport);
    else if (rc < 0)
        snprintf(err, errlen, "undecodable DescribeQuorum answer from %s", hostport);
    return rc < 0 ? -1 : 0;
}

static void print_ids(const struct describe_quorum_replica_state *v, int32_t n)
{
    putchar('[');
    for (int32_t i = 0; i < n; i++)
        printf("%s%d", i ? "," : "", v[i].replica_id);
    puts("]");
}

/*
 * Voters as kafka-metadata-quorum 4.0 prints them from DescribeQuorum v2:
 * [{"id": 1, "endpoints": ["CONTROLLER://host:port"]}, ...]; plain ids when the
 * answer has no nodes.
 */
static void print_voters(const struct describe_quorum_resp *r,
                         const struct describe_quorum_replica_state *v, int32_t n)
{
    if (r->nodes.n == 0) {
        print_ids(v, n);
        return;
    }
    putchar('[');
    for (int32_t i = 0; i < n; i++) {
        printf("%s{\"id\": %d, \"endpoints\": [", i ? ", " : "", v[i].replica_id);
        for (int32_t k = 0; k < r->nodes.n; k++) {
            const struct describe_quorum_resp_node *nd = &r->nodes.v[k];
            if (nd->node_id != v[i].replica_id)
                continue;
            for (int32_t e = 0; e < nd->listeners.n; e++) {
                const struct kraft_endpoint *ep = &nd->listeners.v[e];
                printf("%s\"%.*s://%.*s:%u\"", e ? ", " : "", (int)ep->name.len, ep->name.s,
                       (int)ep->host.len, ep->host.s, (unsigned)ep->port);
            }
        }
        printf("]}");
    }
    puts("]");
}

/* The cluster id from DescribeCluster (KIP-919 controller endpoints), or NULL. */
static char *cluster_id_of(const char *hostport)
{
    struct describe_cluster_req req = {.endpoint_type = 2};
    struct proto_req_header h = {KAPI_DESCRIBE_CLUSTER, 1, 2, {"sluice", 6}};
    struct describe_cluster_resp resp;
    struct arena a = ARENA_INIT;
    char *id = NULL;
    if (call(hostport, &h, &req, &proto_describe_cluster_resp_schema, &resp, &a) == 0 &&
        resp.error_code == KERR_NONE && resp.cluster_id.s)
        id = xstrdup(resp.cluster_id.s);
    arena_free(&a);
    return id;
}

static void print_status(const struct describe_quorum_resp *r,
                         const struct describe_quorum_resp_partition *p, const char *cluster_id)
{
    int64_t leader_leo = -1, leader_caught_up = -1;
    for (int32_t i = 0; i < p->current_voters.n; i++) {
        if (p->current_voters.v[i].replica_id == p->leader_id) {
            leader_leo = p->current_voters.v[i].log_end_offset;
            leader_caught_up = p->current_voters.v[i].last_caught_up_timestamp;
        }
    }
    int64_t max_lag = 0, max_lag_ms = 0;
    for (int32_t i = 0; i < p->current_voters.n; i++) {
        const struct describe_quorum_replica_state *v = &p->current_voters.v[i];
        if (v->replica_id == p->leader_id || v->log_end_offset < 0)
            continue;
        if (leader_leo - v->log_end_offset > max_lag)
            max_lag = leader_leo - v->log_end_offset;
        if (v->last_caught_up_timestamp >= 0 &&
            leader_caught_up - v->last_caught_up_timestamp > max_lag_ms)
            max_lag_ms = leader_caught_up - v->last_caught_up_timestamp;
    }
    printf("ClusterId:              %s\n", cluster_id ? cluster_id : "");
    printf("LeaderId:               %d\n", p->leader_id);
    printf("LeaderEpoch:            %d\n", p->leader_epoch);
    printf("HighWatermark:          %lld\n", (long long)p->high_watermark);
    printf("MaxFollowerLag:         %lld\n", (long long)max_lag);
    printf("MaxFollowerLagTimeMs:   %lld\n", (long long)max_lag_ms);
    printf("CurrentVoters:          ");
    print_voters(r, p->current_voters.v, p->current_voters.n);
    printf("CurrentObservers:       ");
    print_ids(p->observers.v, p->observers.n);
}

static void print_row(const struct describe_quorum_replica_state *v, int64_t leader_leo,
                      const char *status)
{
    printf("%-7d %-13lld %-6lld %-19lld %-22lld %s\n", v->replica_id, (long long)v->log_end_offset,
           (long long)(v->log_end_offset >= 0 ? leader_leo - v->log_end_offset : -1),
           (long long)v->last_fetch_timestamp, (long long)v->last_caught_up_timestamp, status);
}

static void print_replication(const struct describe_quorum_resp_partition *p)
{
    int64_t leader_leo = -1;
    for (int32_t i = 0; i < p->current_voters.n; i++)
        if (p->current_voters.v[i].replica_id == p->leader_id)
            leader_leo = p->current_voters.v[i].log_end_offset;
    printf("%-7s %-13s %-6s %-19s %-22s %s\n", "NodeId", "LogEndOffset", "Lag",
           "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status");
    for (int32_t i = 0; i < p->current_voters.n; i++)
        print_row(&p->current_voters.v[i], leader_leo,
                  p->current_voters.v[i].replica_id == p->leader_id ? "Leader" : "Follower");
    for (int32_t i = 0; i < p->observers.n; i++)
        print_row(&p->observers.v[i], leader_leo, "Observer");
}

static void usage(FILE *out)
{
    fputs("Usage: sluice cluster quorum [--replication] "
          "[--bootstrap-controller HOST:PORT[,HOST:PORT...]]\n\n"
          "Describes the metadata quorum (DescribeQuorum on a CONTROLLER listener;\n"
          "default $SLUICE_CONTROLLER or 127.0.0.1:9093): the fields of\n"
          "kafka-metadata-quorum describe --status, or --replication.\n",
          out);
}

int cmd_cluster_quorum(int argc, char **argv)
{
    const char *controllers = getenv("SLUICE_CONTROLLER");
    if (!controllers || !*controllers)
        controllers = "127.0.0.1:9093";
    bool replication = false;
    const struct cmd_opt opts[] = {
        {"bootstrap-controller", 'c', CMD_OPT_STR, &controllers},
        {"replication", 'r', CMD_OPT_FLAG, &replication},
        {NULL},
    };
    const struct cmd_parser parser = {
        .cmd = "cluster quorum", .shorts = "c:rh", .opts = opts, .usage = usage};
    int rc = cmd_opts_parse(&parser, argc, argv);
    if (rc != CMD_CONTINUE)
        return rc;
    char *list = xstrdup(controllers), *save = NULL;
    char err[256] = "no controller given";
    rc = CMD_FAIL;
    for (char *hp = strtok_r(list, ",", &save); hp; hp = strtok_r(NULL, ",", &save)) {
        struct arena a = ARENA_INIT;
        struct describe_quorum_resp resp;
        if (describe(hp, &a, &resp, err, sizeof err) == 0) {
            const struct describe_quorum_resp_partition *p =
                resp.topics.n > 0 && resp.topics.v[0].partitions.n > 0
                    ? &resp.topics.v[0].partitions.v[0]
                    : NULL;
            if (resp.error_code == KERR_NONE && p && p->error_code == KERR_NONE) {
                if (replication) {
                    print_replication(p);
                } else {
                    char *cid = cluster_id_of(hp);
                    print_status(&resp, p, cid);
                    free(cid);
                }
                rc = CMD_OK;
                arena_free(&a);
                break;
            }
            snprintf(err, sizeof err, "%s is not the leader (leader %d)", hp,
                     p ? p->leader_id : -1);
        }
        arena_free(&a);
    }
    if (rc != CMD_OK)
        fprintf(stderr, "sluice cluster quorum: %s\n", err);
    free(list);
    return rc;
}
