/*
 * `sluice group list|describe|reset-offsets|delete`: consumer-group
 * administration over the Kafka protocol (FindCoordinator, ListGroups,
 * DescribeGroups, OffsetFetch, ListOffsets, OffsetCommit, DeleteGroups), in
 * the manner of kafka-consumer-groups.sh: describe prints its columns GROUP
 * TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST
 * CLIENT-ID; reset-offsets plans by default and commits with --execute, and
 * only while the group has no active members.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "cmd.h"
#include "err.h"
#include "kafka.h"
#include "kclient.h"
#include "xalloc.h"

/* The dispatcher in main.c calls this; it has no header of its own. */
int cmd_group(int argc, char **argv);

#define BACKOFF_START_MS 50
#define BACKOFF_MAX_MS   1000

static void usage(FILE *out)
{
    fputs("Usage: sluice group <list|describe|reset-offsets|delete> [options]\n"
          "\n"
          "  sluice group list [--state]\n"
          "  sluice group describe GROUP\n"
          "  sluice group reset-offsets GROUP --topic TOPIC[:P,P...]\n"
          "                  (--to-earliest | --to-latest | --to-offset N) [--execute]\n"
          "  sluice group delete GROUP\n"
          "\n"
          "  -b, --bootstrap-server HOST:PORT  broker to connect to (default $SLUICE_BOOTSTRAP\n"
          "                                    or 127.0.0.1:9092)\n"
          "      --state                       list: also print each group's state\n"
          "      --topic TOPIC[:P,P...]        reset-offsets: the topic (all partitions, or\n"
          "                                    the listed ones)\n"
          "      --to-earliest                 reset to the log start offset\n"
          "      --to-latest                   reset to the log end offset\n"
          "      --to-offset N                 reset to N (clamped to the log's range)\n"
          "      --execute                     reset-offsets: commit the new offsets (without\n"
          "                                    it the plan is only printed)\n"
          "  -h, --help                        this help\n",
          out);
}

static struct kstr ks(const char *s)
{
    struct kstr k = {s, s ? (int32_t)strlen(s) : -1};
    return k;
}

static bool kstr_is(const struct kstr *k, const char *s)
{
    return k->s && strcmp(k->s, s) == 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Errors after which the group's coordinator is looked up again. */
static bool coordinator_retriable(int16_t e)
{
    return e == KERR_COORDINATOR_NOT_AVAILABLE || e == KERR_COORDINATOR_LOAD_IN_PROGRESS ||
           e == KERR_NOT_COORDINATOR || e == KERR_REQUEST_TIMED_OUT;
}

struct retry {
    int64_t deadline;
    int backoff;
};

static void retry_start(const struct kclient *c, struct retry *r)
{
    r->deadline = clock_mono_ms() + c->retry_budget_ms;
    r->backoff = BACKOFF_START_MS;
}

static bool retry_again(struct retry *r)
{
    if (clock_mono_ms() + r->backoff > r->deadline)
        return false;
    sleep_ms(r->backoff);
    r->backoff = r->backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : r->backoff * 2;
    return true;
}

/*
 * FindCoordinator for the group, once.  Returns 0 with *node (and the node
 * in the client's metadata), a negative SL_E* code for a local or network
 * failure, or a positive Kafka error code.
 */
static int find_coordinator_once(struct kclient *c, const char *group, int32_t *node)
{
    int v = kclient_version(c, -1, KAPI_FIND_COORDINATOR);
    if (v < 0)
        return v;
    struct find_coordinator_req req = {.key = ks(group), .key_type = 0};
    struct kstr key = ks(group);
    req.coordinator_keys.n = 1;
    req.coordinator_keys.v = &key;
    struct arena a = ARENA_INIT;
    struct find_coordinator_resp resp;
    int rc = kclient_send(c, -1, KAPI_FIND_COORDINATOR, (int16_t)v, &req, &resp, &a, 0);
    if (rc == 0) {
        int16_t err = resp.error_code;
        *node = resp.node_id;
        if (v >= 4) {
            err = resp.coordinators.n == 1 ? resp.coordinators.v[0].error_code
                                           : KERR_COORDINATOR_NOT_AVAILABLE;
            *node = resp.coordinators.n == 1 ? resp.coordinators.v[0].node_id : -1;
        }
        rc = err;
    }
    arena_free(&a);
    if (rc == 0 && !kclient_broker(c, *node)) {
        /* Learn the coordinator's address (brokers only, no topics). */
        rc = kclient_metadata(c, NULL, 0, false);
        if (rc == 0 && !kclient_broker(c, *node))
            rc = KERR_COORDINATOR_NOT_AVAILABLE;
    }
    return rc;
}

/*
 * Sends one request about `group` to its coordinator, looking the
 * coordinator up (again) and retrying while check() reports a coordinator
 * error, within the client's retry budget.  build(ctx, req, version) fills
 * the request for the negotiated version (pointing into ctx); check()
 * returns the answer's Kafka error.
 * Returns 0 with *resp valid (allocated in a), or an error with a message
 * in kclient_error / a positive Kafka error code.
 */
static int group_request(struct kclient *c, const char *group, int16_t api_key,
                         void (*build)(void *ctx, void *req, int16_t version), void *ctx, void *req,
                         void *resp, int16_t (*check)(const void *resp, int16_t version),
                         struct arena *a)
{
    struct retry r;
    retry_start(c, &r);
    for (;;) {
        int32_t node = -1;
        int rc = find_coordinator_once(c, group, &node);
        if (rc == 0) {
            int v = kclient_version(c, node, api_key);
            if (v < 0)
                return v;
            build(ctx, req, (int16_t)v);
            arena_free(a);
            rc = kclient_send(c, node, api_key, (int16_t)v, req, resp, a, 0);
            if (rc == 0) {
                rc = check(resp, (int16_t)v);
                if (rc == 0)
                    return 0;
            }
        }
        bool retriable = rc > 0 ? coordinator_retriable((int16_t)rc)
                                : (rc == SL_EIO || rc == SL_ETIMEOUT || rc == SL_ECLOSED);
        if (!retriable || !retry_again(&r))
            return rc;
    }
}

static void print_error(const char *action, struct kclient *c, int rc)
{
    if (rc > 0)
        fprintf(stderr, "sluice group %s: %s\n", action, kafka_error_name((int16_t)rc));
    else
        fprintf(stderr, "sluice group %s: %s\n", action, kclient_error(c));
}

/* ---- list ---- */

struct listed {
    char *group;
    char *state;
};

static int cmp_listed(const void *a, const void *b)
{
    return strcmp(((const struct listed *)a)->group, ((const struct listed *)b)->group);
}

static int do_list(struct kclient *c, bool with_state)
{
    if (kclient_metadata(c, NULL, 0, false) < 0) {
        fprintf(stderr, "sluice group list: %s\n", kclient_error(c));
        return CMD_FAIL;
    }
    int32_t nb = c->meta.brokers.n;
    int32_t *ids = xcalloc((size_t)(nb > 0 ? nb : 1), sizeof *ids);
    for (int32_t i = 0; i < nb; i++)
        ids[i] = c->meta.brokers.v[i].node_id;
    struct listed *v = NULL;
    size_t n = 0;
    int status = CMD_OK;
    /* Every broker lists the groups it coordinates. */
    for (int32_t b = 0; b < nb; b++) {
        struct retry r;
        retry_start(c, &r);
        for (;;) {
            int rc = kclient_version(c, ids[b], KAPI_LIST_GROUPS);
            struct arena a = ARENA_INIT;
            struct list_groups_resp resp;
            if (rc >= 0) {
                struct list_groups_req req = {0};
                rc = kclient_send(c, ids[b], KAPI_LIST_GROUPS, (int16_t)rc, &req, &resp, &a, 0);
                if (rc == 0 && resp.error_code != KERR_NONE)
                    rc = resp.error_code;
            }
            if (rc == 0) {
                v = xrealloc(v, sizeof *v * (n + (size_t)resp.groups.n + 1));
                for (int32_t i = 0; i < resp.groups.n; i++) {
                    v[n].group =
                        xstrdup(resp.groups.v[i].group_id.s ? resp.groups.v[i].group_id.s : "");
                    v[n].state = xstrdup(
                        resp.groups.v[i].group_state.s ? resp.groups.v[i].group_state.s : "");
                    n++;
                }
            }
            arena_free(&a);
            if (rc == 0)
                break;
            if (rc != KERR_COORDINATOR_LOAD_IN_PROGRESS || !retry_again(&r)) {
                print_error("list", c, rc);
                status = CMD_FAIL;
                break;
            }
        }
    }
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_listed);
    size_t w = 5;
    for (size_t i = 0; i < n; i++)
        if (strlen(v[i].group) > w)
            w = strlen(v[i].group);
    if (with_state)
        printf("%-*s %s\n", (int)w, "GROUP", "STATE");
    for (size_t i = 0; i < n; i++) {
        if (with_state)
            printf("%-*s %s\n", (int)w, v[i].group, v[i].state);
        else
            printf("%s\n", v[i].group);
        free(v[i].group);
        free(v[i].state);
    }
    free(v);
    free(ids);
    return status;
}

/* ---- describe ---- */

/* Request-building context of the single-group requests. */
struct group_ctx {
    struct kstr id;
    struct offset_fetch_req_group fetch_group;
};

static void build_describe(void *ctx, void *req, int16_t version)
{
    (void)version;
    struct group_ctx *gx = ctx;
    struct describe_groups_req *r = req;
    memset(r, 0, sizeof *r);
    r->groups.n = 1;
    r->groups.v = &gx->id;
}

static int16_t check_describe(const void *resp, int16_t version)
{
    (void)version;
    const struct describe_groups_resp *r = resp;
    if (r->groups.n != 1)
        return KERR_UNKNOWN_SERVER_ERROR;
    return r->groups.v[0].error_code;
}

static void build_offset_fetch(void *ctx, void *req, int16_t version)
{
    struct group_ctx *gx = ctx;
    struct offset_fetch_req *r = req;
    memset(r, 0, sizeof *r);
    memset(&gx->fetch_group, 0, sizeof gx->fetch_group);
    if (version >= 8) {
        gx->fetch_group.group_id = gx->id;
        gx->fetch_group.member_epoch = -1;
        gx->fetch_group.member_id = ks(NULL);
        gx->fetch_group.topics.n = -1; /* every committed offset */
        r->groups.n = 1;
        r->groups.v = &gx->fetch_group;
    } else {
        r->group_id = gx->id;
        r->topics.n = -1;
    }
}

static int16_t check_offset_fetch(const void *resp, int16_t version)
{
    const struct offset_fetch_resp *r = resp;
    if (version >= 8)
        return r->groups.n == 1 ? r->groups.v[0].error_code : KERR_UNKNOWN_SERVER_ERROR;
    return r->error_code;
}

struct row {
    char *topic;
    int32_t partition;
    int64_t current; /* -1: no committed offset */
    int64_t end;     /* -1: unknown */
    const char *consumer, *host, *client;
};

static int cmp_rows(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static struct row *row_for(struct row **rows, size_t *n, const char *topic, int32_t partition)
{
    for (size_t i = 0; i < *n; i++)
        if ((*rows)[i].partition == partition && strcmp((*rows)[i].topic, topic) == 0)
            return &(*rows)[i];
    *rows = xrealloc(*rows, sizeof **rows * (*n + 1));
    struct row *r = &(*rows)[(*n)++];
    *r = (struct row){xstrdup(topic), partition, -1, -1, "-", "-", "-"};
    return r;
}

/* The partitions a member was assigned, from its consumer-protocol assignment. */
static void add_assignment(struct row **rows, size_t *n,
                           const struct describe_groups_resp_member *m, struct arena *a)
{
    const struct kbytes *b = &m->member_assignment;
    if (!b->p || b->len < 2)
        return;
    struct rbuf r;
    rbuf_init(&r, b->p, (size_t)b->len);
    int16_t version = rbuf_i16(&r);
    if (version < 0)
        return;
    if (version > PROTO_CONSUMER_PROTOCOL_MAX_VERSION)
        version = PROTO_CONSUMER_PROTOCOL_MAX_VERSION;
    struct consumer_protocol_assignment as;
    if (proto_decode(&proto_consumer_protocol_assignment_schema, version, false, &r, &as, a) < 0)
        return;
    for (int32_t t = 0; t < as.assigned_partitions.n; t++) {
        const struct consumer_protocol_topic_partition *tp = &as.assigned_partitions.v[t];
        if (!tp->topic.s)
            continue;
        for (int32_t i = 0; i < tp->partitions.n; i++) {
            struct row *row = row_for(rows, n, tp->topic.s, tp->partitions.v[i]);
            row->consumer = m->member_id.s ? m->member_id.s : "-";
            row->host = m->client_host.s && m->client_host.len > 0 ? m->client_host.s : "-";
            row->client = m->client_id.s ? m->client_id.s : "-";
        }
    }
}

static size_t width(size_t w, const char *s)
{
    size_t l = strlen(s);
    return l > w ? l : w;
}

static void print_rows(const char *group, struct row *rows, size_t n)
{
    char cur[32], end[32], lag[32];
    size_t wg = width(5, group), wt = 5, wp = 9, wc = 14, we = 14, wl = 3, wi = 11, wh = 4;
    for (size_t i = 0; i < n; i++) {
        wt = width(wt, rows[i].topic);
        wi = width(wi, rows[i].consumer);
        wh = width(wh, rows[i].host);
    }
    printf("%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n", (int)wg, "GROUP", (int)wt, "TOPIC",
           (int)wp, "PARTITION", (int)wc, "CURRENT-OFFSET", (int)we, "LOG-END-OFFSET", (int)wl,
           "LAG", (int)wi, "CONSUMER-ID", (int)wh, "HOST", "CLIENT-ID");
    for (size_t i = 0; i < n; i++) {
        const struct row *r = &rows[i];
        snprintf(cur, sizeof cur, r->current >= 0 ? "%lld" : "-", (long long)r->current);
        snprintf(end, sizeof end, r->end >= 0 ? "%lld" : "-", (long long)r->end);
        if (r->current >= 0 && r->end >= 0)
            snprintf(lag, sizeof lag, "%lld", (long long)(r->end - r->current));
        else
            snprintf(lag, sizeof lag, "-");
        printf("%-*s %-*s %-*d %-*s %-*s %-*s %-*s %-*s %s\n", (int)wg, group, (int)wt, r->topic,
               (int)wp, (int)r->partition, (int)wc, cur, (int)we, end, (int)wl, lag, (int)wi,
               r->consumer, (int)wh, r->host, r->client);
    }
}

static int do_describe(struct kclient *c, const char *group)
{
    struct group_ctx gx = {.id = ks(group)};
    struct arena da = ARENA_INIT, fa = ARENA_INIT, pa = ARENA_INIT;
    struct describe_groups_req dreq;
    struct describe_groups_resp dresp;
    int status = CMD_FAIL;
    struct row *rows = NULL;
    size_t n = 0;
    int rc = group_request(c, group, KAPI_DESCRIBE_GROUPS, build_describe, &gx, &dreq, &dresp,
                           check_describe, &da);
    if (rc != 0) {
        print_error("describe", c, rc);
        goto out;
    }
    const struct describe_groups_resp_group *g = &dresp.groups.v[0];
    if (kstr_is(&g->group_state, "Dead")) {
        fprintf(stderr, "sluice group describe: consumer group '%s' does not exist\n", group);
        goto out;
    }
    struct offset_fetch_req freq;
    struct offset_fetch_resp fresp;
    rc = group_request(c, group, KAPI_OFFSET_FETCH, build_offset_fetch, &gx, &freq, &fresp,
                       check_offset_fetch, &fa);
    if (rc != 0) {
        print_error("describe", c, rc);
        goto out;
    }
    int32_t nt = fresp.groups.n == 1 ? fresp.groups.v[0].topics.n : fresp.topics.n;
    const struct offset_fetch_resp_topic *tv =
        fresp.groups.n == 1 ? fresp.groups.v[0].topics.v : fresp.topics.v;
    for (int32_t t = 0; t < nt; t++)
        for (int32_t i = 0; i < tv[t].partitions.n; i++) {
            const struct offset_fetch_resp_partition *p = &tv[t].partitions.v[i];
            if (tv[t].name.s && p->error_code == KERR_NONE && p->committed_offset >= 0)
                row_for(&rows, &n, tv[t].name.s, p->partition_index)->current = p->committed_offset;
        }
    bool consumer = kstr_is(&g->protocol_type, "consumer");
    for (int32_t i = 0; consumer && i < g->members.n; i++)
        add_assignment(&rows, &n, &g->members.v[i], &pa);
    if (g->members.n == 0)
        fprintf(stderr, "Consumer group '%s' has no active members.\n", group);
    for (size_t i = 0; i < n; i++) {
        int64_t end = -1;
        if (kclient_list_offset(c, rows[i].topic, rows[i].partition, KCLIENT_LATEST, &end) == 0)
            rows[i].end = end;
    }
    if (n > 1)
        qsort(rows, n, sizeof *rows, cmp_rows);
    print_rows(group, rows, n);
    status = CMD_OK;
out:
    for (size_t i = 0; i < n; i++)
        free(rows[i].topic);
    free(rows);
    arena_free(&da);
    arena_free(&fa);
    arena_free(&pa);
    return status;
}

/* ---- reset-offsets ---- */

struct reset_plan {
    const char *group;
    const char *topic;
    int32_t *partitions;
    int64_t *offsets;
    int32_t n;
    struct offset_commit_req_topic t;
    struct offset_commit_req_partition *ps; /* built once, n entries */
};

static void build_commit(void *ctx, void *req, int16_t version)
{
    (void)version;
    struct reset_plan *p = ctx;
    struct offset_commit_req *r = req;
    for (int32_t i = 0; i < p->n; i++)
        p->ps[i] =
            (struct offset_commit_req_partition){p->partitions[i], p->offsets[i], -1, ks("")};
    memset(&p->t, 0, sizeof p->t);
    p->t.name = ks(p->topic);
    p->t.partitions.n = p->n;
    p->t.partitions.v = p->ps;
    memset(r, 0, sizeof *r);
    r->group_id = ks(p->group);
    /* Not a member: generation -1 and no member id (the group must be inactive). */
    r->generation_id_or_member_epoch = -1;
    r->member_id = ks("");
    r->group_instance_id = ks(NULL);
    r->retention_time_ms = -1;
    r->topics.n = 1;
    r->topics.v = &p->t;
}

static int16_t check_commit(const void *resp, int16_t version)
{
    (void)version;
    const struct offset_commit_resp *r = resp;
    for (int32_t t = 0; t < r->topics.n; t++)
        for (int32_t i = 0; i < r->topics.v[t].partitions.n; i++)
            if (r->topics.v[t].partitions.v[i].error_code != KERR_NONE)
                return r->topics.v[t].partitions.v[i].error_code;
    return KERR_NONE;
}

/* Parses "TOPIC" or "TOPIC:P,P..." (partitions appended to *parts). */
static int parse_topic_arg(char *arg, char **topic, int32_t **parts, int32_t *nparts)
{
    char *colon = strchr(arg, ':');
    *topic = arg;
    *nparts = 0;
    if (!colon)
        return 0;
    *colon = '\0';
    for (char *tok = strtok(colon + 1, ","); tok; tok = strtok(NULL, ",")) {
        int64_t p;
        if (cmd_parse_int("group", "partition", tok, 0, INT32_MAX, &p) < 0)
            return -1;
        *parts = xrealloc(*parts, sizeof **parts * (size_t)(*nparts + 1));
        (*parts)[(*nparts)++] = (int32_t)p;
    }
    return *nparts > 0 ? 0 : -1;
}

enum reset_mode { RESET_NONE, RESET_EARLIEST, RESET_LATEST, RESET_OFFSET };

static int do_reset(struct kclient *c, const char *group, char *topic_arg, enum reset_mode mode,
                    int64_t to_offset, bool execute)
{
    char *topic;
    int32_t *parts = NULL, nparts = 0;
    int status = CMD_FAIL;
    struct arena da = ARENA_INIT, ca = ARENA_INIT;
    int64_t *offsets = NULL;
    if (parse_topic_arg(topic_arg, &topic, &parts, &nparts) < 0) {
        fprintf(stderr, "sluice group reset-offsets: bad --topic '%s'\n", topic_arg);
        free(parts);
        return CMD_USAGE;
    }
    /* Kafka resets only inactive groups (no member could overwrite the new offsets). */
    struct group_ctx gx = {.id = ks(group)};
    struct describe_groups_req dreq;
    struct describe_groups_resp dresp;
    int rc = group_request(c, group, KAPI_DESCRIBE_GROUPS, build_describe, &gx, &dreq, &dresp,
                           check_describe, &da);
    if (rc != 0) {
        print_error("reset-offsets", c, rc);
        goto out;
    }
    const char *state = dresp.groups.v[0].group_state.s ? dresp.groups.v[0].group_state.s : "";
    if (strcmp(state, "Empty") != 0 && strcmp(state, "Dead") != 0) {
        fprintf(stderr,
                "sluice group reset-offsets: assignments can only be reset if the group '%s' is "
                "inactive, but the current state is %s.\n",
                group, state);
        goto out;
    }
    int32_t count;
    if (kclient_topic_wait(c, topic, false, &count) < 0) {
        fprintf(stderr, "sluice group reset-offsets: %s\n", kclient_error(c));
        goto out;
    }
    if (nparts == 0) {
        parts = xcalloc((size_t)count, sizeof *parts);
        for (int32_t i = 0; i < count; i++)
            parts[i] = i;
        nparts = count;
    }
    offsets = xcalloc((size_t)nparts, sizeof *offsets);
    for (int32_t i = 0; i < nparts; i++) {
        if (parts[i] >= count) {
            fprintf(stderr, "sluice group reset-offsets: topic %s has no partition %d\n", topic,
                    (int)parts[i]);
            goto out;
        }
        int64_t lo, hi;
        if (kclient_list_offset(c, topic, parts[i], KCLIENT_EARLIEST, &lo) < 0 ||
            kclient_list_offset(c, topic, parts[i], KCLIENT_LATEST, &hi) < 0) {
            fprintf(stderr, "sluice group reset-offsets: %s\n", kclient_error(c));
            goto out;
        }
        int64_t target = mode == RESET_EARLIEST ? lo : mode == RESET_LATEST ? hi : to_offset;
        if (target < lo) {
            fprintf(stderr,
                    "New offset (%lld) is lower than earliest offset for %s-%d. Value "
                    "will be set to %lld\n",
                    (long long)target, topic, (int)parts[i], (long long)lo);
            target = lo;
        } else if (target > hi) {
            fprintf(stderr,
                    "New offset (%lld) is higher than latest offset for %s-%d. Value "
                    "will be set to %lld\n",
                    (long long)target, topic, (int)parts[i], (long long)hi);
            target = hi;
        }
        offsets[i] = target;
    }
    if (execute) {
        struct reset_plan plan = {
            .group = group, .topic = topic, .partitions = parts, .offsets = offsets, .n = nparts};
        plan.ps = xcalloc((size_t)nparts, sizeof *plan.ps);
        struct offset_commit_req creq;
        struct offset_commit_resp cresp;
        rc = group_request(c, group, KAPI_OFFSET_COMMIT, build_commit, &plan, &creq, &cresp,
                           check_commit, &ca);
        free(plan.ps);
        if (rc != 0) {
            print_error("reset-offsets", c, rc);
            goto out;
        }
    } else {
        fprintf(stderr, "Dry run: nothing is committed without --execute.\n");
    }
    size_t wg = width(5, group), wt = width(5, topic);
    printf("%-*s %-*s %-9s %s\n", (int)wg, "GROUP", (int)wt, "TOPIC", "PARTITION", "NEW-OFFSET");
    for (int32_t i = 0; i < nparts; i++)
        printf("%-*s %-*s %-9d %lld\n", (int)wg, group, (int)wt, topic, (int)parts[i],
               (long long)offsets[i]);
    status = CMD_OK;
out:
    free(parts);
    free(offsets);
    arena_free(&da);
    arena_free(&ca);
    return status;
}

/* ---- delete ---- */

static void build_delete(void *ctx, void *req, int16_t version)
{
    (void)version;
    struct group_ctx *gx = ctx;
    struct delete_groups_req *r = req;
    r->groups_names.n = 1;
    r->groups_names.v = &gx->id;
}

static int16_t check_delete(const void *resp, int16_t version)
{
    (void)version;
    const struct delete_groups_resp *r = resp;
    return r->results.n == 1 ? r->results.v[0].error_code : KERR_UNKNOWN_SERVER_ERROR;
}

static int do_delete(struct kclient *c, const char *group)
{
    struct group_ctx gx = {.id = ks(group)};
    struct arena a = ARENA_INIT;
    struct delete_groups_req req;
    struct delete_groups_resp resp;
    int rc = group_request(c, group, KAPI_DELETE_GROUPS, build_delete, &gx, &req, &resp,
                           check_delete, &a);
    arena_free(&a);
    if (rc == KERR_GROUP_ID_NOT_FOUND) {
        fprintf(stderr, "sluice group delete: group '%s' does not exist\n", group);
        return CMD_FAIL;
    }
    if (rc == KERR_NON_EMPTY_GROUP) {
        fprintf(stderr, "sluice group delete: group '%s' is not empty (it has active members)\n",
                group);
        return CMD_FAIL;
    }
    if (rc != 0) {
        print_error("delete", c, rc);
        return CMD_FAIL;
    }
    printf("Deletion of requested consumer groups ('%s') was successful.\n", group);
    return CMD_OK;
}

/* What --to-earliest, --to-latest and --to-offset set (only one of them may be given). */
struct reset_opts {
    enum reset_mode mode;
    int64_t to_offset;
};

static int reset_opt(void *dst, int letter, char *arg)
{
    struct reset_opts *r = dst;
    if (r->mode != RESET_NONE) {
        fprintf(stderr, "sluice group: give only one of --to-earliest, --to-latest, "
                        "--to-offset\n");
        return CMD_USAGE;
    }
    r->mode = letter == 'E' ? RESET_EARLIEST : letter == 'L' ? RESET_LATEST : RESET_OFFSET;
    if (letter == 'O' && cmd_parse_int("group", "offset", arg, 0, INT64_MAX, &r->to_offset) < 0)
        return CMD_USAGE;
    return CMD_CONTINUE;
}

int cmd_group(int argc, char **argv)
{
    const char *bootstrap = cmd_default_bootstrap();
    bool with_state = false, execute = false;
    char *topic = NULL;
    struct reset_opts reset = {RESET_NONE, 0};
    const struct cmd_opt opts[] = {
        {"bootstrap-server", 'b', CMD_OPT_STR, &bootstrap},
        {"state", 'S', CMD_OPT_FLAG, &with_state},
        {"topic", 't', CMD_OPT_STR, &topic},
        {"to-earliest", 'E', CMD_OPT_CALL_FLAG, &reset, .call = reset_opt},
        {"to-latest", 'L', CMD_OPT_CALL_FLAG, &reset, .call = reset_opt},
        {"to-offset", 'O', CMD_OPT_CALL, &reset, .call = reset_opt},
        {"execute", 'X', CMD_OPT_FLAG, &execute},
        {NULL},
    };
    const struct cmd_parser p = {
        .cmd = "group", .shorts = "b:h", .opts = opts, .usage = usage, .usage_on_bad_value = true};
    int rc = cmd_opts_parse(&p, argc, argv);
    if (rc != CMD_CONTINUE)
        return rc;
    if (optind >= argc) {
        fprintf(stderr, "sluice group: missing action (list, describe, reset-offsets or delete)\n");
        goto usage_error;
    }
    const char *action = argv[optind++];
    int nargs = argc - optind;
    char **args = argv + optind;
    bool is_list = strcmp(action, "list") == 0, is_describe = strcmp(action, "describe") == 0;
    bool is_reset = strcmp(action, "reset-offsets") == 0, is_delete = strcmp(action, "delete") == 0;
    if (!is_list && !is_describe && !is_reset && !is_delete) {
        fprintf(stderr, "sluice group: unknown action '%s'\n", action);
        goto usage_error;
    }
    if (is_list ? nargs != 0 : nargs != 1) {
        fprintf(stderr, "sluice group %s: %s\n", action,
                is_list ? "takes no arguments" : "expected exactly one group id");
        goto usage_error;
    }
    if (is_reset && (!topic || reset.mode == RESET_NONE)) {
        fprintf(stderr, "sluice group reset-offsets: --topic and one of --to-earliest, "
                        "--to-latest, --to-offset are required\n");
        goto usage_error;
    }
    if (!is_reset && (topic || reset.mode != RESET_NONE || execute)) {
        fprintf(stderr,
                "sluice group %s: --topic, --to-* and --execute belong to "
                "reset-offsets\n",
                action);
        goto usage_error;
    }

    struct kclient c;
    if (cmd_kclient_init("group", bootstrap, &c) != CMD_CONTINUE)
        return CMD_USAGE;
    int status;
    if (is_list)
        status = do_list(&c, with_state);
    else if (is_describe)
        status = do_describe(&c, args[0]);
    else if (is_reset)
        status = do_reset(&c, args[0], topic, reset.mode, reset.to_offset, execute);
    else
        status = do_delete(&c, args[0]);
    kclient_free(&c);
    return status;

usage_error:
    usage(stderr);
    return CMD_USAGE;
}
