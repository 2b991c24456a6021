/*
 * The topic config table and its validators (topic_config.h).  Names, types,
 * defaults, ranges and broker synonyms follow Kafka 4.0's LogConfig, including
 * the KIP-1030 changes (segment.bytes at least 1 MiB,
 * message.timestamp.after.max.ms defaulting to one hour).  Error texts follow
 * Kafka's ConfigException wording so clients show familiar messages.
 */
#include "topic_config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "err.h"

#define LMAX INT64_MAX
#define IMAX INT32_MAX

static const char *const cleanup_choices[] = {"compact", "delete", NULL};
static const char *const compression_choices[] = {"uncompressed", "zstd",     "lz4", "snappy",
                                                  "gzip",         "producer", NULL};
static const char *const timestamp_type_choices[] = {"CreateTime", "LogAppendTime", NULL};

/* Sorted by name (topic_config_find does a binary search). */
static const struct topic_config_def defs[] = {
    {"cleanup.policy", TC_TYPE_LIST, "log.cleanup.policy", "delete", 0, 0, cleanup_choices, false},
    {"compression.gzip.level", TC_TYPE_INT, "compression.gzip.level", "-1", -1, 9, NULL, false},
    {"compression.lz4.level", TC_TYPE_INT, "compression.lz4.level", "9", 1, 17, NULL, false},
    {"compression.type", TC_TYPE_STRING, "compression.type", "producer", 0, 0, compression_choices,
     false},
    {"compression.zstd.level", TC_TYPE_INT, "compression.zstd.level", "3", -131072, 22, NULL,
     false},
    {"delete.retention.ms", TC_TYPE_LONG, "log.cleaner.delete.retention.ms", "86400000", 0, LMAX,
     NULL, false},
    {"file.delete.delay.ms", TC_TYPE_LONG, "log.segment.delete.delay.ms", "60000", 0, LMAX, NULL,
     false},
    {"flush.messages", TC_TYPE_LONG, "log.flush.interval.messages", "9223372036854775807", 1, LMAX,
     NULL, false},
    {"flush.ms", TC_TYPE_LONG, "log.flush.interval.ms", "9223372036854775807", 0, LMAX, NULL,
     false},
    {"follower.replication.throttled.replicas", TC_TYPE_LIST, NULL, "", 0, 0, NULL, false},
    {"index.interval.bytes", TC_TYPE_INT, "log.index.interval.bytes", "4096", 0, IMAX, NULL, false},
    {"leader.replication.throttled.replicas", TC_TYPE_LIST, NULL, "", 0, 0, NULL, false},
    {"max.compaction.lag.ms", TC_TYPE_LONG, "log.cleaner.max.compaction.lag.ms",
     "9223372036854775807", 1, LMAX, NULL, false},
    {"max.message.bytes", TC_TYPE_INT, "message.max.bytes", "1048588", 0, IMAX, NULL, false},
    /* A no-op since 4.0 (down-conversion was removed) but still accepted. */
    {"message.downconversion.enable", TC_TYPE_BOOLEAN, NULL, "true", 0, 0, NULL, false},
    {"message.timestamp.after.max.ms", TC_TYPE_LONG, "log.message.timestamp.after.max.ms",
     "3600000", 0, LMAX, NULL, false},
    {"message.timestamp.before.max.ms", TC_TYPE_LONG, "log.message.timestamp.before.max.ms",
     "9223372036854775807", 0, LMAX, NULL, false},
    {"message.timestamp.type", TC_TYPE_STRING, "log.message.timestamp.type", "CreateTime", 0, 0,
     timestamp_type_choices, false},
    {"min.cleanable.dirty.ratio", TC_TYPE_DOUBLE, "log.cleaner.min.cleanable.ratio", "0.5", 0, 1,
     NULL, false},
    {"min.compaction.lag.ms", TC_TYPE_LONG, "log.cleaner.min.compaction.lag.ms", "0", 0, LMAX, NULL,
     false},
    {"min.insync.replicas", TC_TYPE_INT, "min.insync.replicas", "1", 1, IMAX, NULL, false},
    {"preallocate", TC_TYPE_BOOLEAN, "log.preallocate", "false", 0, 0, NULL, false},
    {"retention.bytes", TC_TYPE_LONG, "log.retention.bytes", "-1", INT64_MIN, LMAX, NULL, false},
    {"retention.ms", TC_TYPE_LONG, "log.retention.ms", "604800000", -1, LMAX, NULL, false},
    {"segment.bytes", TC_TYPE_INT, "log.segment.bytes", "1073741824", 1048576, IMAX, NULL, false},
    {"segment.index.bytes", TC_TYPE_INT, "log.index.size.max.bytes", "10485760", 4, IMAX, NULL,
     false},
    {"segment.jitter.ms", TC_TYPE_LONG, "log.roll.jitter.ms", "0", 0, LMAX, NULL, false},
    {"segment.ms", TC_TYPE_LONG, "log.roll.ms", "604800000", 1, LMAX, NULL, false},
    {"unclean.leader.election.enable", TC_TYPE_BOOLEAN, "unclean.leader.election.enable", "false",
     0, 0, NULL, false},
};

#define NDEFS (sizeof(defs) / sizeof(defs[0]))

const struct topic_config_def *topic_config_find(const char *name)
{
    if (!name)
        return NULL;
    size_t lo = 0, hi = NDEFS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, defs[mid].name);
        if (c == 0)
            return &defs[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

size_t topic_config_count(void)
{
    return NDEFS;
}

const struct topic_config_def *topic_config_at(size_t i)
{
    return i < NDEFS ? &defs[i] : NULL;
}

/* Copies s without leading and trailing whitespace into buf (Kafka trims values). */
static const char *trim(const char *s, char *buf, size_t cap)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= cap)
        n = cap - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static bool parse_i64(const char *s, int64_t *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    if (!*s)
        return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || v != v)
        return false;
    *out = v;
    return true;
}

static bool in_choices(const char *const *choices, const char *s, size_t n)
{
    for (; *choices; choices++)
        if (strlen(*choices) == n && strncmp(*choices, s, n) == 0)
            return true;
    return false;
}

static void choices_text(const char *const *choices, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *c = choices; *c; c++) {
        int w = snprintf(buf + used, cap - used, "%s%s", c == choices ? "" : ", ", *c);
        if (w < 0 || (size_t)w >= cap - used)
            return;
        used += (size_t)w;
    }
}

/* "partition:broker,..." or "*" (Kafka's ThrottledReplicaListValidator). */
static bool valid_throttled_list(const char *s)
{
    if (strcmp(s, "*") == 0 || *s == '\0')
        return true;
    const char *p = s;
    for (;;) {
        while (*p == ' ')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
        if (*p++ != ':')
            return false;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return true;
        if (*p++ != ',')
            return false;
    }
}

static int invalid(char *why, size_t whylen, const struct topic_config_def *d, const char *value,
                   const char *reason)
{
    if (why && whylen)
        snprintf(why, whylen, "Invalid value %s for configuration %s: %s", value, d->name, reason);
    return SL_EINVAL;
}

static int validate_list(const struct topic_config_def *d, const char *v, char *why, size_t whylen)
{
    if (!d->choices) {
        if (!valid_throttled_list(v))
            return invalid(why, whylen, d, v,
                           "must be the literal '*' or a list of replicas in the following format: "
                           "[partitionId]:[brokerId],[partitionId]:[brokerId],...");
        return 0;
    }
    char reason[160], list[120];
    choices_text(d->choices, list, sizeof(list));
    snprintf(reason, sizeof(reason), "String must be one of: %s", list);
    int elems = 0;
    const char *p = v;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        const char *e = p;
        size_t en = n;
        while (en > 0 && isspace((unsigned char)*e)) {
            e++;
            en--;
        }
        while (en > 0 && isspace((unsigned char)e[en - 1]))
            en--;
        if (!in_choices(d->choices, e, en))
            return invalid(why, whylen, d, v, reason);
        elems++;
        if (!comma)
            break;
        p = comma + 1;
        if (*p == '\0')
            return invalid(why, whylen, d, v, reason);
    }
    if (elems == 0)
        return invalid(why, whylen, d, v, "the list must not be empty");
    return 0;
}

int topic_config_validate(const char *name, const char *value, char *why, size_t whylen)
{
    const struct topic_config_def *d = topic_config_find(name);
    if (!d) {
        if (why && whylen)
            snprintf(why, whylen, "Unknown topic config name: %s", name ? name : "null");
        return SL_EINVAL;
    }
    if (!value) {
        if (why && whylen)
            snprintf(why, whylen, "Null value not supported for topic configs: %s", name);
        return SL_EINVAL;
    }
    char buf[512];
    if (strlen(value) >= sizeof(buf))
        return invalid(why, whylen, d, "(too long)", "value is too long");
    const char *v = trim(value, buf, sizeof(buf));
    char reason[192];
    switch (d->type) {
    case TC_TYPE_BOOLEAN:
        if (strcasecmp(v, "true") != 0 && strcasecmp(v, "false") != 0)
            return invalid(why, whylen, d, v, "Expected value to be either true or false");
        return 0;
    case TC_TYPE_INT:
    case TC_TYPE_LONG: {
        int64_t n;
        bool is_int = d->type == TC_TYPE_INT;
        if (!parse_i64(v, &n) || (is_int && (n < INT32_MIN || n > INT32_MAX)))
            return invalid(why, whylen, d, v,
                           is_int ? "Not a number of type INT" : "Not a number of type LONG");
        /* gzip: 1..9 or -1 for the codec's default level (KIP-390). */
        bool gzip = strcmp(d->name, "compression.gzip.level") == 0;
        if (gzip && n == 0) {
            return invalid(why, whylen, d, v, "Value must be between 1 and 9, or -1");
        }
        if (n < d->min || n > d->max) {
            if (d->max == (is_int ? IMAX : LMAX))
                snprintf(reason, sizeof(reason), "Value must be at least %" PRId64, d->min);
            else
                snprintf(reason, sizeof(reason), "Value must be between %" PRId64 " and %" PRId64,
                         d->min, d->max);
            return invalid(why, whylen, d, v, reason);
        }
        return 0;
    }
    case TC_TYPE_DOUBLE: {
        double x;
        if (!parse_double(v, &x))
            return invalid(why, whylen, d, v, "Not a number of type DOUBLE");
        if (x < (double)d->min || x > (double)d->max) {
            snprintf(reason, sizeof(reason), "Value must be between %" PRId64 " and %" PRId64,
                     d->min, d->max);
            return invalid(why, whylen, d, v, reason);
        }
        return 0;
    }
    case TC_TYPE_STRING:
        if (d->choices && !in_choices(d->choices, v, strlen(v))) {
            char list[120];
            choices_text(d->choices, list, sizeof(list));
            snprintf(reason, sizeof(reason), "String must be one of: %s", list);
            return invalid(why, whylen, d, v, reason);
        }
        return 0;
    case TC_TYPE_LIST:
        return validate_list(d, v, why, whylen);
    default:
        return invalid(why, whylen, d, v, "unsupported type");
    }
}

static const struct topic_config_synonym retention_synonyms[] = {
    {"log.retention.ms", 1, NULL},
    {"log.retention.minutes", 60000, NULL},
    {"log.retention.hours", 3600000, "168"},
};
static const struct topic_config_synonym roll_synonyms[] = {
    {"log.roll.ms", 1, NULL},
    {"log.roll.hours", 3600000, "168"},
};
static const struct topic_config_synonym jitter_synonyms[] = {
    {"log.roll.jitter.ms", 1, NULL},
    {"log.roll.jitter.hours", 3600000, "0"},
};

static size_t copy_synonyms(const struct topic_config_synonym *from, size_t n,
                            struct topic_config_synonym *out)
{
    memcpy(out, from, n * sizeof *from);
    return n;
}

#define COPY_SYNONYMS(arr, out) copy_synonyms(arr, sizeof arr / sizeof arr[0], out)

size_t topic_config_synonyms(const struct topic_config_def *d,
                             struct topic_config_synonym out[TC_MAX_SYNONYMS])
{
    if (!d || !d->broker_config)
        return 0;
    if (strcmp(d->name, "retention.ms") == 0)
        return COPY_SYNONYMS(retention_synonyms, out);
    if (strcmp(d->name, "segment.ms") == 0)
        return COPY_SYNONYMS(roll_synonyms, out);
    if (strcmp(d->name, "segment.jitter.ms") == 0)
        return COPY_SYNONYMS(jitter_synonyms, out);
    out[0] = (struct topic_config_synonym){d->broker_config, 1, d->default_value};
    return 1;
}

/* v (a broker value) times scale as a decimal in buf; NULL when v is not a number. */
static const char *scale_value(const char *v, int64_t scale, char *buf)
{
    int64_t x;
    if (scale == 1 || !parse_i64(v, &x))
        return scale == 1 ? v : NULL;
    int64_t r;
    if (x < 0)
        r = -1;
    else if (x > INT64_MAX / scale)
        r = INT64_MAX;
    else
        r = x * scale;
    snprintf(buf, TC_VALUE_BUF, "%" PRId64, r);
    return buf;
}

const char *topic_config_effective(const struct topic_config_def *d, const char *override,
                                   const char *(*lookup)(void *ctx, const char *broker_config,
                                                         int8_t *source),
                                   void *lookup_ctx, int8_t *source, char *buf)
{
    int8_t src = TC_SOURCE_DEFAULT;
    const char *v = NULL;
    if (override) {
        src = TC_SOURCE_DYNAMIC_TOPIC;
        v = override;
    } else if (lookup) {
        struct topic_config_synonym syn[TC_MAX_SYNONYMS];
        size_t ns = topic_config_synonyms(d, syn);
        for (size_t i = 0; i < ns && !v; i++) {
            int8_t bsrc = TC_SOURCE_STATIC_BROKER;
            const char *bv = lookup(lookup_ctx, syn[i].broker_config, &bsrc);
            if (bv)
                v = scale_value(bv, syn[i].scale, buf);
            if (v)
                src = bsrc;
        }
    }
    if (!v) {
        v = d->default_value;
        src = TC_SOURCE_DEFAULT;
    }
    if (source)
        *source = src;
    return v;
}
