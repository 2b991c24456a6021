/*
 * The configuration key table and its loader (broker_config.h): defaults,
 * properties file, SLUICE_* environment, --override; typed parsing,
 * validation with messages that name key, value and origin, cross-key rules
 * and the derived fields the rest of the node reads.
 */
#include "broker_config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "xalloc.h"

/* ------------------------------------------------------------------ */
/* Value syntax helpers: lists, host:port, listeners, voters           */
/* ------------------------------------------------------------------ */

static void strlist_free(struct bcfg_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static void strlist_push(struct bcfg_strlist *l, const char *s, size_t n)
{
    l->v = xrealloc(l->v, (l->n + 1) * sizeof *l->v);
    l->v[l->n++] = xstrndup(s, n);
}

/* Splits on ',' and trims every item; empty items are dropped. */
static void strlist_split(struct bcfg_strlist *l, const char *s)
{
    while (*s) {
        const char *e = strchr(s, ',');
        if (!e)
            e = s + strlen(s);
        const char *a = s, *b = e;
        while (a < b && isspace((unsigned char)*a))
            a++;
        while (b > a && isspace((unsigned char)b[-1]))
            b--;
        if (b > a)
            strlist_push(l, a, (size_t)(b - a));
        s = *e ? e + 1 : e;
    }
}

static char *strlist_join(const struct bcfg_strlist *l)
{
    size_t len = 1;
    for (size_t i = 0; i < l->n; i++)
        len += strlen(l->v[i]) + 1;
    char *out = xmalloc(len);
    size_t o = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t n = strlen(l->v[i]);
        if (i)
            out[o++] = ',';
        memcpy(out + o, l->v[i], n);
        o += n;
    }
    out[o] = '\0';
    return out;
}

static bool strlist_has_ci(const struct bcfg_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcasecmp(l->v[i], s) == 0)
            return true;
    return false;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static int einval(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* As fail() but returns SL_EINVAL, for the loader's own checks. */
static int einval(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return SL_EINVAL;
}

static bool host_char_ok(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_' || c == '%';
}

static int parse_port(const char *s, int *port)
{
    if (!*s || strlen(s) > 5)
        return -1;
    int v = 0;
    for (const char *p = s; *p; p++) {
        if (!isdigit((unsigned char)*p))
            return -1;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return -1;
    *port = v;
    return 0;
}

/*
 * Parses "host:port" or "[v6addr]:port" into a fresh host string and a port.
 * allow_empty_host accepts ":port" (all interfaces).
 */
static int parse_hostport(const char *s, bool allow_empty_host, char **host, int *port, char *err,
                          size_t errlen)
{
    const char *hs, *he, *colon;
    if (*s == '[') {
        hs = s + 1;
        he = strchr(hs, ']');
        if (!he || he[1] != ':')
            return fail(err, errlen, "expected [ipv6-address]:port");
        colon = he + 1;
        for (const char *p = hs; p < he; p++)
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.' && *p != '%')
                return fail(err, errlen, "bad character '%c' in IPv6 address", *p);
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return fail(err, errlen, "expected host:port");
        hs = s;
        he = colon;
        for (const char *p = hs; p < he; p++)
            if (!host_char_ok(*p))
                return fail(err, errlen, "bad character '%c' in host name", *p);
    }
    if (he == hs && !allow_empty_host)
        return fail(err, errlen, "empty host in '%s'", s);
    if (parse_port(colon + 1, port) < 0)
        return fail(err, errlen, "port '%s' is not a number between 0 and 65535", colon + 1);
    *host = xstrndup(hs, (size_t)(he - hs));
    return 0;
}

static void listener_free(struct bcfg_listener *l)
{
    free(l->name);
    free(l->host);
    free(l->protocol);
}

static void listeners_free(struct bcfg_listeners *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        listener_free(&ls->v[i]);
    free(ls->v);
    ls->v = NULL;
    ls->n = 0;
}

/* "NAME://host:port" -> listener (name upper-cased, protocol left NULL). */
static int parse_listener(const char *item, struct bcfg_listener *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    const char *sep = strstr(item, "://");
    if (!sep || sep == item)
        return fail(err, errlen, "'%s' is not of the form NAME://host:port", item);
    for (const char *p = item; p < sep; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-')
            return fail(err, errlen, "bad character '%c' in listener name of '%s'", *p, item);
    char reason[160];
    if (parse_hostport(sep + 3, true, &out->host, &out->port, reason, sizeof reason) < 0)
        return fail(err, errlen, "'%s': %s", item, reason);
    out->name = xstrndup(item, (size_t)(sep - item));
    for (char *p = out->name; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return 0;
}

static int parse_listeners(const struct bcfg_strlist *items, struct bcfg_listeners *out, char *err,
                           size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->v = xcalloc(items->n ? items->n : 1, sizeof *out->v);
    for (size_t i = 0; i < items->n; i++) {
        if (parse_listener(items->v[i], &out->v[i], err, errlen) < 0) {
            listeners_free(out);
            return -1;
        }
        out->n++;
        for (size_t j = 0; j < i; j++)
            if (strcmp(out->v[j].name, out->v[i].name) == 0) {
                fail(err, errlen, "listener name %s appears twice", out->v[i].name);
                listeners_free(out);
                return -1;
            }
    }
    return 0;
}

static void voters_free(struct bcfg_voters *vs)
{
    for (size_t i = 0; i < vs->n; i++)
        free(vs->v[i].host);
    free(vs->v);
    vs->v = NULL;
    vs->n = 0;
}

/* "id@host:port,..." (KIP-595 controller.quorum.voters). */
static int parse_voters(const struct bcfg_strlist *items, struct bcfg_voters *out, char *err,
                        size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->v = xcalloc(items->n ? items->n : 1, sizeof *out->v);
    for (size_t i = 0; i < items->n; i++) {
        const char *item = items->v[i];
        const char *at = strchr(item, '@');
        char reason[160];
        long long id = -1;
        if (at && at > item && at - item <= 10) {
            char idbuf[16];
            memcpy(idbuf, item, (size_t)(at - item));
            idbuf[at - item] = '\0';
            char *end;
            errno = 0;
            id = strtoll(idbuf, &end, 10);
            if (*end || errno || !isdigit((unsigned char)idbuf[0]))
                id = -1;
        }
        if (id < 0 || id > INT32_MAX) {
            fail(err, errlen, "'%s' is not of the form id@host:port with a node id >= 0", item);
            voters_free(out);
            return -1;
        }
        struct bcfg_voter *v = &out->v[out->n];
        if (parse_hostport(at + 1, false, &v->host, &v->port, reason, sizeof reason) < 0) {
            fail(err, errlen, "'%s': %s", item, reason);
            voters_free(out);
            return -1;
        }
        v->id = (int32_t)id;
        out->n++;
        for (size_t j = 0; j + 1 < out->n; j++)
            if (out->v[j].id == v->id) {
                fail(err, errlen, "voter id %d appears twice", (int)v->id);
                voters_free(out);
                return -1;
            }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Validators referenced by the table                                  */
/* ------------------------------------------------------------------ */

static int v_roles(const char *value, char *err, size_t errlen)
{
    struct bcfg_strlist l = {0};
    strlist_split(&l, value);
    int rc = 0;
    if (l.n == 0)
        rc = fail(err, errlen, "at least one of broker, controller is required");
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (strcmp(l.v[i], "broker") != 0 && strcmp(l.v[i], "controller") != 0)
            rc = fail(err, errlen, "unknown role '%s' (expected broker and/or controller)", l.v[i]);
        for (size_t j = 0; rc == 0 && j < i; j++)
            if (strcmp(l.v[i], l.v[j]) == 0)
                rc = fail(err, errlen, "role '%s' given twice", l.v[i]);
    }
    strlist_free(&l);
    return rc;
}

static int v_listeners(const char *value, char *err, size_t errlen)
{
    struct bcfg_strlist l = {0};
    struct bcfg_listeners ls;
    strlist_split(&l, value);
    int rc = parse_listeners(&l, &ls, err, errlen);
    if (rc == 0)
        listeners_free(&ls);
    strlist_free(&l);
    return rc;
}

static int v_voters(const char *value, char *err, size_t errlen)
{
    struct bcfg_strlist l = {0};
    struct bcfg_voters vs;
    strlist_split(&l, value);
    int rc = parse_voters(&l, &vs, err, errlen);
    if (rc == 0) {
        if (vs.n == 0)
            rc = fail(err, errlen, "at least one voter id@host:port is required");
        voters_free(&vs);
    }
    strlist_free(&l);
    return rc;
}

static const char *const security_protocols[] = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL",
                                                 NULL};

static int v_protocol_map(const char *value, char *err, size_t errlen)
{
    struct bcfg_strlist l = {0};
    strlist_split(&l, value);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        const char *colon = strchr(l.v[i], ':');
        if (!colon || colon == l.v[i]) {
            rc = fail(err, errlen, "'%s' is not of the form LISTENER_NAME:PROTOCOL", l.v[i]);
            break;
        }
        bool known = false;
        for (size_t j = 0; security_protocols[j]; j++)
            if (strcasecmp(colon + 1, security_protocols[j]) == 0)
                known = true;
        if (!known)
            rc = fail(err, errlen,
                      "unknown security protocol '%s' (expected PLAINTEXT, SSL, "
                      "SASL_PLAINTEXT or SASL_SSL)",
                      colon + 1);
    }
    strlist_free(&l);
    return rc;
}

static int v_admin_listener(const char *value, char *err, size_t errlen)
{
    if (!*value)
        return 0; /* disabled */
    char *host;
    int port;
    if (parse_hostport(value, true, &host, &port, err, errlen) < 0)
        return -1;
    free(host);
    return 0;
}

static int v_cleanup_policy(const char *value, char *err, size_t errlen)
{
    struct bcfg_strlist l = {0};
    strlist_split(&l, value);
    int rc = 0;
    if (l.n == 0)
        rc = fail(err, errlen, "expected delete, compact or delete,compact");
    for (size_t i = 0; rc == 0 && i < l.n; i++)
        if (strcmp(l.v[i], "delete") != 0 && strcmp(l.v[i], "compact") != 0)
            rc = fail(err, errlen, "unknown policy '%s' (expected delete and/or compact)", l.v[i]);
    strlist_free(&l);
    return rc;
}

static int v_nonempty(const char *value, char *err, size_t errlen)
{
    if (!*value)
        return fail(err, errlen, "must not be empty");
    return 0;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

#define OFF(field) offsetof(struct broker_config, field)
#define I32MAX     ((int64_t)INT32_MAX)

#define K_INT(NAME, FIELD, DFLT, MIN, MAX, RO, TOPIC, DOC)                                         \
    {                                                                                              \
        .name = NAME, .type = BCFG_INT, .dflt = DFLT, .offset = OFF(FIELD), .min = MIN,            \
        .max = MAX, .read_only = RO, .topic_name = TOPIC, .doc = DOC                               \
    }
#define K_INTN(NAME, FIELD, MIN, MAX, RO, TOPIC, DOC)                                              \
    {                                                                                              \
        .name = NAME, .type = BCFG_INT, .dflt = NULL, .offset = OFF(FIELD), .min = MIN,            \
        .max = MAX, .read_only = RO, .nullable = true, .topic_name = TOPIC, .doc = DOC             \
    }
#define K_LONG(NAME, FIELD, DFLT, MIN, RO, TOPIC, DOC)                                             \
    {                                                                                              \
        .name = NAME, .type = BCFG_LONG, .dflt = DFLT, .offset = OFF(FIELD), .min = MIN,           \
        .max = INT64_MAX, .read_only = RO, .topic_name = TOPIC, .doc = DOC                         \
    }
#define K_LONGN(NAME, FIELD, MIN, RO, TOPIC, DOC)                                                  \
    {                                                                                              \
        .name = NAME, .type = BCFG_LONG, .dflt = NULL, .offset = OFF(FIELD), .min = MIN,           \
        .max = INT64_MAX, .read_only = RO, .nullable = true, .topic_name = TOPIC, .doc = DOC       \
    }
#define K_BOOL(NAME, FIELD, DFLT, RO, TOPIC, DOC)                                                  \
    {                                                                                              \
        .name = NAME, .type = BCFG_BOOL, .dflt = DFLT, .offset = OFF(FIELD), .read_only = RO,      \
        .topic_name = TOPIC, .doc = DOC                                                            \
    }
#define K_STR(NAME, FIELD, DFLT, VAL, RO, DOC)                                                     \
    {                                                                                              \
        .name = NAME, .type = BCFG_STRING, .dflt = DFLT, .offset = OFF(FIELD), .validate = VAL,    \
        .read_only = RO, .doc = DOC                                                                \
    }
#define K_LIST(NAME, FIELD, DFLT, VAL, RO, TOPIC, DOC)                                             \
    {                                                                                              \
        .name = NAME, .type = BCFG_LIST, .dflt = DFLT, .offset = OFF(FIELD), .validate = VAL,      \
        .read_only = RO, .topic_name = TOPIC, .doc = DOC                                           \
    }
#define K_ENUM(NAME, FIELD, DFLT, VALUES, RO, TOPIC, DOC)                                          \
    {                                                                                              \
        .name = NAME, .type = BCFG_ENUM, .dflt = DFLT, .offset = OFF(FIELD),                       \
        .enum_values = VALUES, .read_only = RO, .topic_name = TOPIC, .doc = DOC                    \
    }

/*
 * read_only marks keys Kafka cannot change without a restart; the others are
 * dynamic broker configs in Kafka (KIP-226).  Defaults are Kafka's except
 * where a comment says otherwise (the single-node dev defaults).
 */
static const struct bcfg_key keys[] = {
    /* identity, roles and the quorum: dev defaults (Kafka has none) */
    K_INT("node.id", node_id, "1", 0, I32MAX, true, NULL,
          "Id of this node, unique in the cluster (replaces broker.id, which is accepted as a "
          "synonym)."),
    K_LIST("process.roles", process_roles, "broker,controller", v_roles, true, NULL,
           "Roles of this node: broker, controller, or both (combined mode)."),
    K_LIST("controller.quorum.voters", controller_quorum_voters, "1@127.0.0.1:9093", v_voters, true,
           NULL, "The Raft voters of the metadata quorum, id@host:port,... (KIP-595)."),
    K_LIST("controller.listener.names", controller_listener_names, "CONTROLLER", NULL, true, NULL,
           "Names of the listeners used by the controller quorum; the first is the one this "
           "node's controller listens on."),
    K_LIST("listeners", listeners, "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093",
           v_listeners, true, NULL,
           "Listeners to bind, NAME://host:port,...; an empty host binds all interfaces."),
    K_LIST("advertised.listeners", advertised_listeners, NULL, v_listeners, true, NULL,
           "Addresses given to clients in Metadata responses, NAME://host:port,...; defaults to "
           "listeners without the controller listeners.  0.0.0.0 cannot be advertised."),
    K_LIST("listener.security.protocol.map", listener_security_protocol_map,
           "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,"
           "SASL_SSL:SASL_SSL",
           v_protocol_map, true, NULL,
           "Security protocol of each listener name, NAME:PROTOCOL,...  Only PLAINTEXT is "
           "implemented."),
    K_STR("inter.broker.listener.name", inter_broker_listener_name, NULL, NULL, true,
          "Listener other brokers use to reach this one; defaults to the listener named "
          "PLAINTEXT."),
    K_LIST("log.dirs", log_dirs_key, NULL, NULL, true, NULL,
           "Directories holding partition logs, comma-separated; when unset, log.dir is used."),
    K_STR("log.dir", log_dir, "./sluice-data", v_nonempty, true,
          "Directory holding partition logs when log.dirs is unset (Kafka's default is "
          "/tmp/kafka-logs)."),
    K_STR("metadata.log.dir", metadata_log_dir, NULL, NULL, true,
          "Directory of the metadata log (__cluster_metadata-0); defaults to the first log "
          "dir."),
    K_STR("broker.rack", broker_rack, NULL, NULL, true, "Rack of this broker, for placement."),
    K_STR("admin.listener", admin_listener, "127.0.0.1:9644", v_admin_listener, true,
          "Sluice: host:port of the HTTP admin endpoint (REST, /metrics); empty disables it."),
    K_LIST("admin.allowed.hosts", admin_allowed_hosts, NULL, NULL, true, NULL,
           "Sluice: further host names (or addresses) the admin API answers writes for, besides "
           "the admin listener's host, the advertised and listener hosts, the machine's host "
           "name, localhost and the address a client connected to (DNS rebinding guard)."),
    K_INT("admin.request.timeout.ms", admin_request_timeout_ms, "10000", 100, I32MAX, true, NULL,
          "Sluice: an admin API request (headers and body) must arrive completely within this "
          "time from its first byte (from the connection's accept for the first request), "
          "otherwise the connection is closed with 408."),
    K_ENUM("log.level", log_level, "info", "debug|info|warn|error", false, NULL,
           "Sluice: lowest level of log messages written to stderr."),

    /* topics and replication */
    K_INT("num.partitions", num_partitions, "1", 1, I32MAX, true, NULL,
          "Partitions of auto-created topics and of CreateTopics requests asking for -1."),
    K_INT("default.replication.factor", default_replication_factor, "1", 1, I32MAX, true, NULL,
          "Replication factor of auto-created topics and of CreateTopics requests asking for "
          "-1."),
    K_INT("min.insync.replicas", min_insync_replicas, "1", 1, I32MAX, false, "min.insync.replicas",
          "Smallest ISR with which acks=all produce requests succeed (else "
          "NOT_ENOUGH_REPLICAS)."),
    K_BOOL("unclean.leader.election.enable", unclean_leader_election_enable, "false", false,
           "unclean.leader.election.enable",
           "Allow electing a leader outside the ISR as a last resort, at the cost of data loss."),
    K_BOOL("auto.leader.rebalance.enable", auto_leader_rebalance_enable, "true", true, NULL,
           "Move leadership back to each partition's preferred replica once it is in sync "
           "again."),
    K_LONG("leader.imbalance.check.interval.seconds", leader_imbalance_check_interval_seconds,
           "300", 1, true, NULL, "How often the controller checks for leadership imbalance."),
    K_BOOL("auto.create.topics.enable", auto_create_topics_enable, "true", true, NULL,
           "Create a topic when a client asks for metadata of (or produces to) an unknown one."),
    K_BOOL("delete.topic.enable", delete_topic_enable, "true", true, NULL, "Allow DeleteTopics."),
    K_LONG("replica.lag.time.max.ms", replica_lag_time_max_ms, "30000", 0, true, NULL,
           "A follower that has not caught up with the leader for this long leaves the ISR."),
    K_INT("replica.fetch.wait.max.ms", replica_fetch_wait_max_ms, "500", 0, I32MAX, true, NULL,
          "Longest time a follower's fetch waits at the leader for new data."),
    K_INT("replica.fetch.max.bytes", replica_fetch_max_bytes, "1048576", 0, I32MAX, true, NULL,
          "Bytes a follower asks for per partition in one fetch."),
    K_INT("replica.fetch.response.max.bytes", replica_fetch_response_max_bytes, "10485760", 0,
          I32MAX, true, NULL, "Bytes a follower asks for in one fetch over all partitions."),
    K_INT("replica.fetch.backoff.ms", replica_fetch_backoff_ms, "1000", 0, I32MAX, true, NULL,
          "How long a follower waits before fetching again after an error."),
    K_INT("num.replica.fetchers", num_replica_fetchers, "1", 1, I32MAX, false, NULL,
          "Fetcher connections per source broker.  Sluice runs one; any other value is "
          "refused at startup."),
    K_LONG("replica.high.watermark.checkpoint.interval.ms",
           replica_high_watermark_checkpoint_interval_ms, "5000", 1, true, NULL,
           "How often high watermarks are written to replication-offset-checkpoint."),

    /* logs */
    K_INT("log.segment.bytes", log_segment_bytes, "1073741824", 14, I32MAX, false, "segment.bytes",
          "Size at which a log segment is rolled."),
    K_LONGN("log.roll.ms", log_roll_ms, 1, false, "segment.ms",
            "Age at which a segment is rolled even if not full; overrides log.roll.hours."),
    K_INT("log.roll.hours", log_roll_hours, "168", 1, I32MAX, false, NULL,
          "Age in hours at which a segment is rolled when log.roll.ms is unset."),
    K_LONGN("log.roll.jitter.ms", log_roll_jitter_ms, 0, false, "segment.jitter.ms",
            "Largest random jitter subtracted from the roll age; overrides "
            "log.roll.jitter.hours."),
    K_INT("log.roll.jitter.hours", log_roll_jitter_hours, "0", 0, I32MAX, false, NULL,
          "Largest roll jitter in hours when log.roll.jitter.ms is unset."),
    K_LONGN("log.retention.ms", log_retention_ms, -1, false, "retention.ms",
            "Time a segment is kept; -1 keeps forever.  Takes precedence over "
            "log.retention.minutes and log.retention.hours."),
    K_INTN("log.retention.minutes", log_retention_minutes, -1, I32MAX, false, NULL,
           "Retention in minutes when log.retention.ms is unset."),
    K_INT("log.retention.hours", log_retention_hours, "168", -1, I32MAX, false, NULL,
          "Retention in hours when log.retention.ms and log.retention.minutes are unset."),
    K_LONG("log.retention.bytes", log_retention_bytes, "-1", -1, false, "retention.bytes",
           "Size a partition log may reach before old segments are deleted; -1 = no limit."),
    K_LONG("log.retention.check.interval.ms", log_retention_check_interval_ms, "300000", 1, true,
           NULL, "How often retention is enforced."),
    K_LIST("log.cleanup.policy", log_cleanup_policy, "delete", v_cleanup_policy, false,
           "cleanup.policy", "delete and/or compact (compaction is not implemented yet)."),
    K_LONG("log.segment.delete.delay.ms", log_segment_delete_delay_ms, "60000", 0, false,
           "file.delete.delay.ms",
           "Delay before a segment removed from a log is deleted: it is renamed *.deleted "
           "first."),
    K_INT("log.index.interval.bytes", log_index_interval_bytes, "4096", 0, I32MAX, false,
          "index.interval.bytes", "Bytes of log between two offset index entries."),
    K_INT("log.index.size.max.bytes", log_index_size_max_bytes, "10485760", 4, I32MAX, false,
          "segment.index.bytes", "Largest size of an offset or time index file."),
    K_LONG("log.flush.interval.messages", log_flush_interval_messages, "9223372036854775807", 1,
           false, "flush.messages",
           "Messages appended before a forced fsync (1 = fsync every append with group "
           "commit)."),
    K_LONGN("log.flush.interval.ms", log_flush_interval_ms, 0, false, "flush.ms",
            "Longest time appended data stays unflushed; defaults to "
            "log.flush.scheduler.interval.ms."),
    K_LONG("log.flush.scheduler.interval.ms", log_flush_scheduler_interval_ms,
           "9223372036854775807", 0, true, NULL,
           "How often the flusher checks whether a log needs flushing.  Sluice checks on its own "
           "timer; any value other than the default is refused at startup (set "
           "log.flush.interval.ms)."),
    K_INT("message.max.bytes", message_max_bytes, "1048588", 0, I32MAX, false, "max.message.bytes",
          "Largest record batch the broker accepts."),
    K_INT("socket.request.max.bytes", socket_request_max_bytes, "104857600", 1, I32MAX, true, NULL,
          "Largest request the broker reads; bigger ones close the connection."),
    K_INT("max.connections", max_connections, "2147483647", 0, I32MAX, false, NULL,
          "Connections the broker accepts at once (KIP-402); beyond it the broker stops "
          "accepting until one closes.  The CONTROLLER listener counts its own connections "
          "against the same limit; with several broker listeners the inter-broker one may "
          "exceed it by closing the least recently active connection of another listener."),
    K_INT("max.connections.per.ip", max_connections_per_ip, "2147483647", 0, I32MAX, false, NULL,
          "Connections accepted from one IP address; further ones are closed at once."),
    K_LONG("connections.max.idle.ms", connections_max_idle_ms, "600000", -1, false, NULL,
           "A connection with no request in flight that has neither completed a request nor "
           "sent response bytes for this long is closed (bytes of an unfinished request do "
           "not count as activity); -1 = never."),
    K_LONG("socket.request.receive.timeout.ms", socket_request_receive_timeout_ms, "30000", -1,
           true, NULL,
           "Sluice-specific: a request whose bytes have started arriving must be complete "
           "within this time or the connection is closed (slow senders cannot hold a "
           "connection and its request memory); 30 s like the clients' request.timeout.ms; "
           "-1 = never."),
    K_ENUM("log.message.timestamp.type", log_message_timestamp_type, "CreateTime",
           "CreateTime|LogAppendTime", false, "message.timestamp.type",
           "Whether record timestamps are the producer's or the broker's append time."),
    K_LONG("log.message.timestamp.before.max.ms", log_message_timestamp_before_max_ms,
           "9223372036854775807", 0, false, "message.timestamp.before.max.ms",
           "How far in the past a CreateTime timestamp may be (KIP-937)."),
    K_LONG("log.message.timestamp.after.max.ms", log_message_timestamp_after_max_ms, "3600000", 0,
           false, "message.timestamp.after.max.ms",
           "How far in the future a CreateTime timestamp may be (KIP-937; 1 hour since Kafka "
           "4.0)."),
    K_ENUM("compression.type", compression_type, "producer",
           "uncompressed|zstd|lz4|snappy|gzip|producer", false, "compression.type",
           "Compression of stored batches; producer keeps what the producer sent.  Broker-side "
           "recompression is not implemented: any value other than producer is refused at "
           "startup."),
    K_INT("fetch.max.bytes", fetch_max_bytes, "57671680", 1024, I32MAX, true, NULL,
          "Largest Fetch response the broker builds: caps each Fetch request's max_bytes (the "
          "first batch is still returned whole when larger)."),
    K_INT("queued.max.requests", queued_max_requests, "500", 1, I32MAX, true, NULL,
          "Requests read and not yet answered, over all connections, before the broker stops "
          "reading new ones.  Sluice runs a handler as soon as a request is read, so it counts "
          "requests parked in a purgatory too (Kafka counts those waiting for a handler)."),
    K_LONG("queued.max.request.bytes", queued_max_request_bytes, "104857600", -1, true, NULL,
           "Bytes of requests being received, over all connections, before the broker stops "
           "reading new ones (KIP-72; the size is reserved once a frame's length is read and "
           "released once its handler has run).  Kafka's default is -1 (no limit); Sluice "
           "bounds it by default to 100 MiB, the default socket.request.max.bytes, so the "
           "largest request still fits.  -1 = no limit."),

    /* broker lifecycle and Raft (KIP-631, KIP-595) */
    K_INT("broker.heartbeat.interval.ms", broker_heartbeat_interval_ms, "2000", 1, I32MAX, true,
          NULL, "Interval of broker heartbeats to the active controller."),
    K_INT("broker.session.timeout.ms", broker_session_timeout_ms, "9000", 1, I32MAX, true, NULL,
          "A broker without a heartbeat for this long is fenced."),
    K_INT("controller.quorum.election.timeout.ms", controller_quorum_election_timeout_ms, "1000", 1,
          I32MAX, true, NULL, "Raft election timeout (randomised up to twice this)."),
    K_INT("controller.quorum.fetch.timeout.ms", controller_quorum_fetch_timeout_ms, "2000", 1,
          I32MAX, true, NULL,
          "A voter that has not heard from the leader for this long starts "
          "an election."),
    K_INT("controller.quorum.election.backoff.max.ms", controller_quorum_election_backoff_max_ms,
          "1000", 1, I32MAX, true, NULL,
          "Longest random backoff before a new election after a failed one (KIP-595)."),
    K_INT("controller.quorum.append.linger.ms", controller_quorum_append_linger_ms, "25", 0, I32MAX,
          true, NULL,
          "Time the leader may linger to batch metadata records before appending.  Sluice "
          "appends at once (within this bound); any value other than the default is refused "
          "at startup."),
    K_INT("controller.quorum.request.timeout.ms", controller_quorum_request_timeout_ms, "2000", 1,
          I32MAX, true, NULL, "Timeout of quorum RPCs."),
    K_INT("controller.quorum.retry.backoff.ms", controller_quorum_retry_backoff_ms, "20", 0, I32MAX,
          true, NULL, "Backoff before retrying a failed quorum RPC."),
    K_LONG("metadata.log.max.record.bytes.between.snapshots",
           metadata_log_max_record_bytes_between_snapshots, "20971520", 1, true, NULL,
           "Committed metadata log bytes after which the controller writes a snapshot "
           "and drops the log below it (KIP-630)."),

    /* groups, offsets, producer ids */
    K_INT("offsets.topic.num.partitions", offsets_topic_num_partitions, "50", 1, I32MAX, true, NULL,
          "Partitions of __consumer_offsets."),
    K_INT("offsets.topic.replication.factor", offsets_topic_replication_factor, "3", 1, I32MAX,
          true, NULL,
          "Replication factor of __consumer_offsets.  Where fewer brokers are live when the "
          "topic is created, Sluice caps it to their number (and logs it) where Kafka refuses."),
    K_INT("offsets.retention.minutes", offsets_retention_minutes, "10080", 1, I32MAX, true, NULL,
          "How long committed offsets of an empty group are kept."),
    K_INT("group.initial.rebalance.delay.ms", group_initial_rebalance_delay_ms, "3000", 0, I32MAX,
          true, NULL, "Delay before the first rebalance of a new group."),
    K_INT("group.min.session.timeout.ms", group_min_session_timeout_ms, "6000", 0, I32MAX, true,
          NULL, "Smallest session timeout a consumer may ask for."),
    K_INT("group.max.session.timeout.ms", group_max_session_timeout_ms, "1800000", 0, I32MAX, true,
          NULL, "Largest session timeout a consumer may ask for."),
    K_INT("transaction.state.log.replication.factor", transaction_state_log_replication_factor, "1",
          1, I32MAX, true, NULL,
          "Replication factor of __transaction_state (Kafka's built-in default is 3; see "
          "offsets.topic.replication.factor).  Transactions are not implemented: any value other "
          "than the default is refused at startup."),
    K_INT("producer.id.expiration.ms", producer_id_expiration_ms, "86400000", 1, I32MAX, false,
          NULL, "Time after which an idle producer id's state is dropped (KIP-854)."),
    K_INT("producer.id.expiration.check.interval.ms", producer_id_expiration_check_interval_ms,
          "600000", 1, I32MAX, true, NULL,
          "How often idle producer ids are looked for and their state dropped."),
};

#define NKEYS (sizeof keys / sizeof keys[0])

/*
 * Keys of Kafka's shipped server.properties (and common docker settings)
 * that Sluice reads but does not use: they get a gentler warning.
 */
static const char *const kafka_ignored[] = {
    "num.network.threads",
    "num.io.threads",
    "socket.send.buffer.bytes",
    "socket.receive.buffer.bytes",
    "num.recovery.threads.per.data.dir",
    "transaction.state.log.min.isr",
    "share.coordinator.state.topic.replication.factor",
    "share.coordinator.state.topic.min.isr",
    "group.coordinator.rebalance.protocols",
    "log.cleaner.enable",
    "controller.quorum.bootstrap.servers",
    "security.inter.broker.protocol",
    NULL,
};

/* Environment variables with the SLUICE_ prefix that are not node configuration. */
static const char *const env_exclude[] = {"SLUICE_BOOTSTRAP", NULL};

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static void *field_of(struct broker_config *c, const struct bcfg_key *k)
{
    return (char *)c + k->offset;
}

static const char *origin_of(const struct broker_config *c, const char *name)
{
    int i = broker_config_key_index(name);
    if (i < 0 || !c->values || !c->values[i].origin)
        return "default";
    return c->values[i].origin;
}

static int bad_value(char *err, size_t errlen, const struct bcfg_key *k, const char *text,
                     const char *origin, const char *reason)
{
    if (err && errlen)
        snprintf(err, errlen, "invalid value '%s' for %s (from %s): %s", text, k->name, origin,
                 reason);
    return SL_EINVAL;
}

static int parse_int64(const char *s, int64_t *out)
{
    if (!*s)
        return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end || errno || isspace((unsigned char)*s))
        return -1;
    *out = v;
    return 0;
}

/* Parses text (NULL = null) into key i's field and records it in c->values[i]. */
static int set_key(struct broker_config *c, size_t i, const char *raw, enum prop_source source,
                   const char *origin, char *err, size_t errlen)
{
    const struct bcfg_key *k = &keys[i];
    void *f = field_of(c, k);
    struct bcfg_value *val = &c->values[i];
    val->source = source;
    val->origin = xstrdup(origin);
    if (!raw) {
        switch (k->type) {
        case BCFG_INT:
            *(int32_t *)f = BCFG_NULL_INT;
            break;
        case BCFG_LONG:
            *(int64_t *)f = BCFG_NULL_LONG;
            break;
        default: /* STRING and LIST are NULL/empty already; the table has no null BOOL/ENUM */
            break;
        }
        return 0;
    }
    /* Trim like Kafka's ConfigDef does for every type. */
    const char *a = raw, *b = raw + strlen(raw);
    while (a < b && isspace((unsigned char)*a))
        a++;
    while (b > a && isspace((unsigned char)b[-1]))
        b--;
    char *text = xstrndup(a, (size_t)(b - a));
    char reason[256];
    int rc = 0;
    switch (k->type) {
    case BCFG_INT:
    case BCFG_LONG: {
        int64_t v;
        if (parse_int64(text, &v) < 0 || v < k->min || v > k->max) {
            snprintf(reason, sizeof reason, "expected an integer between %lld and %lld%s",
                     (long long)k->min, (long long)k->max,
                     k->nullable ? " (or leave it unset)" : "");
            rc = bad_value(err, errlen, k, text, origin, reason);
            break;
        }
        if (k->type == BCFG_INT)
            *(int32_t *)f = (int32_t)v;
        else
            *(int64_t *)f = v;
        val->text = xasprintf("%lld", (long long)v);
        break;
    }
    case BCFG_BOOL:
        if (strcasecmp(text, "true") == 0) {
            *(bool *)f = true;
        } else if (strcasecmp(text, "false") == 0) {
            *(bool *)f = false;
        } else {
            rc = bad_value(err, errlen, k, text, origin, "expected true or false");
            break;
        }
        val->text = xstrdup(*(bool *)f ? "true" : "false");
        break;
    case BCFG_STRING:
        *(char **)f = xstrdup(text);
        val->text = xstrdup(text);
        break;
    case BCFG_LIST: {
        struct bcfg_strlist *l = f;
        strlist_free(l);
        strlist_split(l, text);
        val->text = strlist_join(l);
        break;
    }
    case BCFG_ENUM: {
        int idx = 0;
        const char *p = k->enum_values;
        bool found = false;
        while (*p) {
            const char *e = strchr(p, '|');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            if (strlen(text) == n && strncasecmp(text, p, n) == 0) {
                found = true;
                val->text = xstrndup(p, n);
                break;
            }
            idx++;
            p += n + (e ? 1 : 0);
        }
        if (!found) {
            snprintf(reason, sizeof reason, "expected one of %s", k->enum_values);
            for (char *q = reason; *q; q++)
                if (*q == '|')
                    *q = ',';
            rc = bad_value(err, errlen, k, text, origin, reason);
            break;
        }
        *(int *)f = idx;
        break;
    }
    }
    if (rc == 0 && k->validate && k->validate(val->text, reason, sizeof reason) < 0)
        rc = bad_value(err, errlen, k, text, origin, reason);
    free(text);
    return rc;
}

static void add_warning(struct broker_config *c, bool log, char *msg)
{
    if (log)
        LOG_WARN("config", "%s", msg);
    c->warnings = xrealloc(c->warnings, (c->n_warnings + 1) * sizeof *c->warnings);
    c->warnings[c->n_warnings++] = msg;
}

/* broker.id is Kafka's older name of node.id; both may be given if they agree. */
static int apply_broker_id(struct props *p, char *err, size_t errlen)
{
    const struct prop_entry *b = props_get(p, "broker.id");
    if (!b)
        return 0;
    const struct prop_entry *n = props_get(p, "node.id");
    if (n) {
        if (strcmp(n->value, b->value) != 0) {
            if (err && errlen)
                snprintf(err, errlen,
                         "broker.id '%s' (from %s) differs from node.id '%s' (from %s); "
                         "set only node.id",
                         b->value, b->origin ? b->origin : "?", n->value,
                         n->origin ? n->origin : "?");
            return SL_EINVAL;
        }
        return 0;
    }
    char *value = xstrdup(b->value), *origin = xstrdup(b->origin ? b->origin : "broker.id");
    enum prop_source src = b->source;
    props_set(p, "node.id", value, src, origin);
    free(value);
    free(origin);
    return 0;
}

static const struct bcfg_listener *find_listener(const struct bcfg_listeners *ls, const char *name)
{
    for (size_t i = 0; i < ls->n; i++)
        if (strcasecmp(ls->v[i].name, name) == 0)
            return &ls->v[i];
    return NULL;
}

/* Security protocol of a listener name from the map, or NULL. */
static const char *map_protocol(const struct broker_config *c, const char *name)
{
    const struct bcfg_strlist *m = &c->listener_security_protocol_map;
    for (size_t i = 0; i < m->n; i++) {
        const char *colon = strchr(m->v[i], ':');
        if (colon && (size_t)(colon - m->v[i]) == strlen(name) &&
            strncasecmp(m->v[i], name, strlen(name)) == 0)
            return colon + 1;
    }
    return NULL;
}

static int derive_listeners(struct broker_config *c, char *err, size_t errlen)
{
    char reason[256];
    const bool broker = c->roles & BCFG_ROLE_BROKER;
    const bool controller = c->roles & BCFG_ROLE_CONTROLLER;
    const struct bcfg_strlist *cnames = &c->controller_listener_names;

    if (parse_listeners(&c->listeners, &c->listen, reason, sizeof reason) < 0)
        return einval(err, errlen, "listeners (from %s): %s", origin_of(c, "listeners"), reason);
    if (c->listen.n == 0)
        return einval(err, errlen, "listeners (from %s) is empty", origin_of(c, "listeners"));
    for (size_t i = 0; i < c->listen.n; i++) {
        struct bcfg_listener *l = &c->listen.v[i];
        const char *proto = map_protocol(c, l->name);
        if (!proto)
            return einval(err, errlen,
                          "listener %s (from %s) has no entry in listener.security.protocol.map "
                          "(from %s); add %s:PLAINTEXT",
                          l->name, origin_of(c, "listeners"),
                          origin_of(c, "listener.security.protocol.map"), l->name);
        if (strcasecmp(proto, "PLAINTEXT") != 0)
            return einval(err, errlen,
                          "listener %s uses security protocol %s, which Sluice does not support "
                          "yet (only PLAINTEXT)",
                          l->name, proto);
        l->protocol = xstrdup("PLAINTEXT");
        for (size_t j = 0; j < i; j++)
            if (l->port != 0 && c->listen.v[j].port == l->port &&
                strcmp(c->listen.v[j].host, l->host) == 0)
                return einval(err, errlen, "listeners %s and %s (from %s) both use port %d",
                              c->listen.v[j].name, l->name, origin_of(c, "listeners"), l->port);
    }

    if (cnames->n == 0)
        return einval(err, errlen,
                      "controller.listener.names (from %s) must name at least one "
                      "listener",
                      origin_of(c, "controller.listener.names"));
    if (controller && !find_listener(&c->listen, cnames->v[0]))
        return einval(err, errlen,
                      "process.roles includes controller, so listeners (from %s) must contain the "
                      "controller listener %s named first in controller.listener.names",
                      origin_of(c, "listeners"), cnames->v[0]);
    if (!controller)
        for (size_t i = 0; i < cnames->n; i++)
            if (find_listener(&c->listen, cnames->v[i]))
                return einval(err, errlen,
                              "listener %s is a controller listener but this node has no "
                              "controller role; remove it from listeners (from %s)",
                              cnames->v[i], origin_of(c, "listeners"));
    size_t n_client = 0;
    for (size_t i = 0; i < c->listen.n; i++)
        if (!strlist_has_ci(cnames, c->listen.v[i].name))
            n_client++;
    if (broker && n_client == 0)
        return einval(err, errlen,
                      "process.roles includes broker but listeners (from %s) has no "
                      "listener besides the controller listeners",
                      origin_of(c, "listeners"));

    /* advertised.listeners: explicit, or listeners; controller listeners are not advertised. */
    struct bcfg_listeners adv;
    bool explicit_adv = c->advertised_listeners.n > 0;
    if (explicit_adv) {
        if (parse_listeners(&c->advertised_listeners, &adv, reason, sizeof reason) < 0)
            return einval(err, errlen, "advertised.listeners (from %s): %s",
                          origin_of(c, "advertised.listeners"), reason);
    } else {
        adv.n = 0;
        adv.v = xcalloc(c->listen.n, sizeof *adv.v);
        for (size_t i = 0; i < c->listen.n; i++) {
            struct bcfg_listener *s = &c->listen.v[i];
            adv.v[adv.n].name = xstrdup(s->name);
            adv.v[adv.n].host = xstrdup(s->host);
            adv.v[adv.n].port = s->port;
            adv.n++;
        }
    }
    const char *adv_origin = explicit_adv ? origin_of(c, "advertised.listeners") : NULL;
    c->advertised.v = xcalloc(adv.n ? adv.n : 1, sizeof *c->advertised.v);
    int rc = 0;
    for (size_t i = 0; i < adv.n && rc == 0; i++) {
        struct bcfg_listener *a = &adv.v[i];
        if (strlist_has_ci(cnames, a->name))
            continue;
        if (!find_listener(&c->listen, a->name)) {
            rc = fail(err, errlen, "advertised listener %s (from %s) is not in listeners (from %s)",
                      a->name, adv_origin, origin_of(c, "listeners"));
            break;
        }
        if (strcmp(a->host, "0.0.0.0") == 0 || strcmp(a->host, "::") == 0) {
            if (explicit_adv)
                rc = fail(err, errlen,
                          "advertised.listeners (from %s): %s cannot advertise the "
                          "non-routable address %s; give the host name clients should use",
                          adv_origin, a->name, a->host);
            else
                rc = fail(err, errlen,
                          "listener %s (from %s) binds %s, which cannot be advertised to "
                          "clients; set advertised.listeners (e.g. %s://localhost:%d)",
                          a->name, origin_of(c, "listeners"), a->host, a->name, a->port);
            break;
        }
        struct bcfg_listener *d = &c->advertised.v[c->advertised.n++];
        d->name = xstrdup(a->name);
        if (a->host[0]) {
            d->host = xstrdup(a->host);
        } else {
            /* Kafka advertises the canonical host name for an empty host. */
            char hn[256] = "";
            if (gethostname(hn, sizeof hn - 1) != 0 || !hn[0])
                snprintf(hn, sizeof hn, "localhost");
            d->host = xstrdup(hn);
        }
        d->port = a->port;
        d->protocol = xstrdup("PLAINTEXT");
    }
    listeners_free(&adv);
    if (rc < 0)
        return SL_EINVAL;

    /* inter.broker.listener.name */
    if (broker) {
        const char *want =
            c->inter_broker_listener_name ? c->inter_broker_listener_name : "PLAINTEXT";
        const struct bcfg_listener *l = find_listener(&c->listen, want);
        if (!l) {
            if (c->inter_broker_listener_name)
                return einval(err, errlen,
                              "inter.broker.listener.name %s (from %s) is not in listeners (from "
                              "%s)",
                              want, origin_of(c, "inter.broker.listener.name"),
                              origin_of(c, "listeners"));
            return einval(err, errlen,
                          "inter.broker.listener.name is not set and listeners (from %s) has no "
                          "listener named PLAINTEXT; set inter.broker.listener.name",
                          origin_of(c, "listeners"));
        }
        if (strlist_has_ci(cnames, l->name))
            return einval(err, errlen,
                          "inter.broker.listener.name %s is a controller listener; brokers need a "
                          "client listener",
                          l->name);
        c->inter_broker_listener = l->name;
    }
    return 0;
}

/*
 * Keys Sluice accepts only at their default, because it does not implement
 * what another value would ask for; loading any other value fails with the
 * reason, rather than being accepted and ignored.
 */
static const struct {
    const char *key;
    const char *why;
} fixed_keys[] = {
    {"num.replica.fetchers",
     "Sluice runs one fetcher connection per source broker (only the default 1 is supported)"},
    {"controller.quorum.append.linger.ms",
     "the Raft leader appends each metadata batch as soon as it is proposed and does not linger "
     "to batch appends (only the default 25, an upper bound Sluice stays under, is accepted)"},
    {"log.flush.scheduler.interval.ms",
     "Sluice checks time-based flushes per partition on its own timer; set log.flush.interval.ms "
     "(topic flush.ms) instead"},
    {"compression.type",
     "stored batches keep the producer's compression; broker-side recompression is not "
     "implemented"},
    {"transaction.state.log.replication.factor",
     "transactions (KIP-98) are not implemented, so __transaction_state is never created"},
};

/* Whether key k holds its table default (compared as parsed values). */
static bool at_default(const struct broker_config *c, const struct bcfg_key *k)
{
    const void *f = (const char *)c + k->offset;
    switch (k->type) {
    case BCFG_INT:
        return *(const int32_t *)f == (int32_t)strtol(k->dflt, NULL, 10);
    case BCFG_LONG:
        return *(const int64_t *)f == (int64_t)strtoll(k->dflt, NULL, 10);
    default: {
        int i = broker_config_key_index(k->name);
        const char *t = c->values[i].text;
        return t && strcasecmp(t, k->dflt) == 0;
    }
    }
}

static int check_fixed_keys(const struct broker_config *c, char *err, size_t errlen)
{
    for (size_t i = 0; i < sizeof fixed_keys / sizeof fixed_keys[0]; i++) {
        int ki = broker_config_key_index(fixed_keys[i].key);
        const struct bcfg_key *k = &keys[ki];
        if (!at_default(c, k))
            return einval(err, errlen, "%s = %s (from %s) is not supported: %s", k->name,
                          c->values[ki].text ? c->values[ki].text : "null", origin_of(c, k->name),
                          fixed_keys[i].why);
    }
    return 0;
}

static int derive(struct broker_config *c, char *err, size_t errlen)
{
    char reason[256];
    for (size_t i = 0; i < c->process_roles.n; i++)
        c->roles |=
            strcmp(c->process_roles.v[i], "broker") == 0 ? BCFG_ROLE_BROKER : BCFG_ROLE_CONTROLLER;

    int rc = derive_listeners(c, err, errlen);
    if (rc < 0)
        return rc;

    if (parse_voters(&c->controller_quorum_voters, &c->voters, reason, sizeof reason) < 0)
        return einval(err, errlen, "controller.quorum.voters (from %s): %s",
                      origin_of(c, "controller.quorum.voters"), reason);
    if (c->voters.n == 0)
        return einval(err, errlen, "controller.quorum.voters (from %s) is empty",
                      origin_of(c, "controller.quorum.voters"));
    if (c->roles & BCFG_ROLE_CONTROLLER) {
        bool found = false;
        for (size_t i = 0; i < c->voters.n; i++)
            found |= c->voters.v[i].id == c->node_id;
        if (!found)
            return einval(err, errlen,
                          "process.roles includes controller but node.id %d (from %s) is not in "
                          "controller.quorum.voters (from %s)",
                          (int)c->node_id, origin_of(c, "node.id"),
                          origin_of(c, "controller.quorum.voters"));
    }

    /* Data directories: log.dirs, else log.dir (Kafka's rule). */
    if (c->log_dirs_key.n > 0) {
        for (size_t i = 0; i < c->log_dirs_key.n; i++)
            strlist_push(&c->data_dirs, c->log_dirs_key.v[i], strlen(c->log_dirs_key.v[i]));
    } else {
        strlist_push(&c->data_dirs, c->log_dir, strlen(c->log_dir));
    }
    for (size_t i = 0; i < c->data_dirs.n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->data_dirs.v[i], c->data_dirs.v[j]) == 0)
                return einval(err, errlen, "log.dirs (from %s) lists %s twice",
                              origin_of(c, "log.dirs"), c->data_dirs.v[i]);
    c->metadata_dir =
        c->metadata_log_dir && c->metadata_log_dir[0] ? c->metadata_log_dir : c->data_dirs.v[0];

    /* Retention: log.retention.ms > .minutes > .hours; negative means forever. */
    const char *ret_key;
    if (c->log_retention_ms != BCFG_NULL_LONG) {
        c->retention_ms = c->log_retention_ms;
        ret_key = "log.retention.ms";
    } else if (c->log_retention_minutes != BCFG_NULL_INT) {
        c->retention_ms = (int64_t)c->log_retention_minutes * 60000;
        ret_key = "log.retention.minutes";
    } else {
        c->retention_ms = (int64_t)c->log_retention_hours * 3600000;
        ret_key = "log.retention.hours";
    }
    if (c->retention_ms < 0)
        c->retention_ms = -1;
    if (c->retention_ms == 0)
        return einval(err, errlen,
                      "%s (from %s) gives a retention of 0 ms; it must be -1 (unlimited) or at "
                      "least 1 ms",
                      ret_key, origin_of(c, ret_key));

    c->roll_ms =
        c->log_roll_ms != BCFG_NULL_LONG ? c->log_roll_ms : (int64_t)c->log_roll_hours * 3600000;
    c->flush_ms = c->log_flush_interval_ms != BCFG_NULL_LONG ? c->log_flush_interval_ms
                                                             : c->log_flush_scheduler_interval_ms;

    if (c->admin_listener && c->admin_listener[0]) {
        if (parse_hostport(c->admin_listener, true, &c->admin_host, &c->admin_port, reason,
                           sizeof reason) < 0)
            return einval(err, errlen, "admin.listener (from %s): %s",
                          origin_of(c, "admin.listener"), reason);
    }

    if (c->broker_heartbeat_interval_ms >= c->broker_session_timeout_ms)
        return einval(err, errlen,
                      "broker.heartbeat.interval.ms %d (from %s) must be smaller than "
                      "broker.session.timeout.ms %d (from %s)",
                      (int)c->broker_heartbeat_interval_ms,
                      origin_of(c, "broker.heartbeat.interval.ms"),
                      (int)c->broker_session_timeout_ms, origin_of(c, "broker.session.timeout.ms"));
    if (c->group_min_session_timeout_ms > c->group_max_session_timeout_ms)
        return einval(
            err, errlen,
            "group.min.session.timeout.ms %d (from %s) is larger than "
            "group.max.session.timeout.ms %d (from %s)",
            (int)c->group_min_session_timeout_ms, origin_of(c, "group.min.session.timeout.ms"),
            (int)c->group_max_session_timeout_ms, origin_of(c, "group.max.session.timeout.ms"));
    if (c->message_max_bytes > c->socket_request_max_bytes)
        return einval(err, errlen,
                      "message.max.bytes %d (from %s) is larger than socket.request.max.bytes %d "
                      "(from %s): such batches could never arrive",
                      (int)c->message_max_bytes, origin_of(c, "message.max.bytes"),
                      (int)c->socket_request_max_bytes, origin_of(c, "socket.request.max.bytes"));
    return check_fixed_keys(c, err, errlen);
}

static bool is_kafka_ignored(const char *key)
{
    for (size_t i = 0; kafka_ignored[i]; i++)
        if (strcmp(kafka_ignored[i], key) == 0)
            return true;
    return false;
}

static int load(struct broker_config *c, const char *file, char *const *envp, char **overrides,
                int n_overrides, bool log, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (err && errlen)
        err[0] = '\0';
    struct props p = PROPS_INIT;
    int rc = 0;
    if (file)
        rc = props_parse_file(&p, file, err, errlen);
    if (rc == 0) {
        props_overlay_env(&p, envp, "SLUICE_", env_exclude);
        rc = props_overlay_overrides(&p, overrides, n_overrides, err, errlen);
    }
    if (rc == 0)
        rc = apply_broker_id(&p, err, errlen);
    if (rc == 0) {
        c->values = xcalloc(NKEYS, sizeof *c->values);
        for (size_t i = 0; i < NKEYS && rc == 0; i++) {
            const struct prop_entry *e = props_get(&p, keys[i].name);
            if (e)
                rc = set_key(c, i, e->value, e->source, e->origin ? e->origin : "?", err, errlen);
            else
                rc = set_key(c, i, keys[i].dflt, PROP_SRC_DEFAULT, "default", err, errlen);
        }
    }
    if (rc == 0) {
        for (size_t i = 0; i < p.n; i++) {
            const struct prop_entry *e = &p.v[i];
            if (broker_config_key_index(e->key) >= 0 || strcmp(e->key, "broker.id") == 0)
                continue;
            const char *o = e->origin ? e->origin : "?";
            if (is_kafka_ignored(e->key))
                add_warning(c, log,
                            xasprintf("configuration key '%s' (from %s) is a Kafka setting "
                                      "Sluice does not use; ignored",
                                      e->key, o));
            else
                add_warning(
                    c, log,
                    xasprintf("unknown configuration key '%s' (from %s); ignored", e->key, o));
        }
        rc = derive(c, err, errlen);
    }
    props_free(&p);
    if (rc < 0) {
        broker_config_free(c);
        return rc == SL_EIO ? SL_EIO : SL_EINVAL;
    }
    c->dev_mode = file == NULL;
    c->config_file = file ? xstrdup(file) : NULL;
    return 0;
}

int broker_config_load(struct broker_config *c, const char *file_or_null, char **overrides,
                       int n_overrides, char *err, size_t errlen)
{
    return load(c, file_or_null, environ, overrides, n_overrides, true, err, errlen);
}

int broker_config_load_env(struct broker_config *c, const char *file_or_null, char *const *envp,
                           char **overrides, int n_overrides, char *err, size_t errlen)
{
    return load(c, file_or_null, envp, overrides, n_overrides, false, err, errlen);
}

void broker_config_free(struct broker_config *c)
{
    for (size_t i = 0; i < NKEYS; i++) {
        void *f = field_of(c, &keys[i]);
        if (keys[i].type == BCFG_STRING)
            free(*(char **)f);
        else if (keys[i].type == BCFG_LIST)
            strlist_free(f);
        if (c->values) {
            free(c->values[i].text);
            free(c->values[i].origin);
        }
    }
    free(c->values);
    listeners_free(&c->listen);
    listeners_free(&c->advertised);
    voters_free(&c->voters);
    strlist_free(&c->data_dirs);
    free(c->admin_host);
    free(c->config_file);
    for (size_t i = 0; i < c->n_warnings; i++)
        free(c->warnings[i]);
    free(c->warnings);
    memset(c, 0, sizeof *c);
}

bool broker_config_dev_mode(const struct broker_config *c)
{
    return c->dev_mode;
}

/* ------------------------------------------------------------------ */
/* Table access                                                        */
/* ------------------------------------------------------------------ */

size_t broker_config_key_count(void)
{
    return NKEYS;
}

const struct bcfg_key *broker_config_key_at(size_t i)
{
    return i < NKEYS ? &keys[i] : NULL;
}

int broker_config_key_index(const char *name)
{
    for (size_t i = 0; i < NKEYS; i++)
        if (strcmp(keys[i].name, name) == 0)
            return (int)i;
    return -1;
}

bool broker_config_next(const struct broker_config *c, size_t *it, struct bcfg_entry *out)
{
    if (*it >= NKEYS || !c->values)
        return false;
    size_t i = (*it)++;
    out->key = &keys[i];
    out->value = c->values[i].text;
    out->source = c->values[i].source;
    out->origin = c->values[i].origin;
    return true;
}

bool broker_config_get(const struct broker_config *c, const char *name, struct bcfg_entry *out)
{
    int i = broker_config_key_index(name);
    if (i < 0 || !c->values)
        return false;
    size_t it = (size_t)i;
    return broker_config_next(c, &it, out);
}

int8_t broker_config_kafka_source(enum prop_source source)
{
    return source == PROP_SRC_DEFAULT ? 5 : 4;
}

int8_t broker_config_kafka_type(enum bcfg_type type)
{
    switch (type) {
    case BCFG_BOOL:
        return 1;
    case BCFG_STRING:
    case BCFG_ENUM:
        return 2;
    case BCFG_INT:
        return 3;
    case BCFG_LONG:
        return 5;
    case BCFG_LIST:
        return 7;
    }
    return 0;
}

void broker_config_print_docs(FILE *out)
{
    static const char *const type_names[] = {"int", "long", "bool", "string", "list", "enum"};
    for (size_t i = 0; i < NKEYS; i++) {
        const struct bcfg_key *k = &keys[i];
        fprintf(out, "%s (%s, default: %s%s%s)\n", k->name, type_names[k->type],
                k->dflt ? k->dflt : "unset", k->enum_values ? "; one of " : "",
                k->enum_values ? k->enum_values : "");
        fprintf(out, "    %s\n", k->doc);
    }
}

const char *broker_config_lookup(void *ctx, const char *key, int8_t *source)
{
    const struct broker_config *c = ctx;
    struct bcfg_entry e;
    if (!broker_config_get(c, key, &e) || e.source == PROP_SRC_DEFAULT)
        return NULL;
    if (source)
        *source = broker_config_kafka_source(e.source);
    return e.value;
}
