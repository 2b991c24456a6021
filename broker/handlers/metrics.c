/*
 * The node's counters and histograms (metrics.h) and their Prometheus text
 * rendering (exposition format 0.0.4: `# HELP`, `# TYPE`, then
 * `name{labels} value` lines; histograms as cumulative `_bucket{le=...}`
 * lines ending with le="+Inf", then `_sum` and `_count`).
 */
#include "metrics.h"

#include <event2/buffer.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "messages.h"
#include "xalloc.h"

/* Kafka request latencies: sub-millisecond appends up to long polls of several seconds. */
const double broker_metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   10.0,
};

struct broker_metrics *broker_metrics_new(void)
{
    return xcalloc(1, sizeof(struct broker_metrics));
}

void broker_metrics_free(struct broker_metrics *m)
{
    if (!m)
        return;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&m->topics, &it, &k, &v))
        free(v);
    strmap_free(&m->topics);
    free(m);
}

void broker_metrics_observe(struct metrics_histogram *h, double seconds)
{
    if (!(seconds > 0)) /* also catches NaN */
        seconds = 0;
    int i = 0;
    while (i < METRICS_LATENCY_BUCKETS && seconds > broker_metrics_latency_bounds[i])
        i++;
    h->bucket[i]++;
    h->count++;
    h->sum += seconds;
}

void broker_metrics_request_done(struct broker_metrics *m, int16_t api_key, int64_t latency_us)
{
    if (!m)
        return;
    if (api_key < 0 || api_key > KAPI_MAX_KEY) {
        m->requests_other++;
        return;
    }
    m->requests[api_key]++;
    broker_metrics_observe(&m->latency[api_key], (double)latency_us / 1e6);
}

static struct metrics_topic *topic_entry(struct broker_metrics *m, const char *topic)
{
    struct metrics_topic *t = strmap_get(&m->topics, topic);
    if (!t) {
        t = xcalloc(1, sizeof *t);
        strmap_put(&m->topics, topic, t);
    }
    return t;
}

void broker_metrics_produced(struct broker_metrics *m, const char *topic, int64_t bytes,
                             int64_t messages)
{
    if (!m || !topic || (bytes <= 0 && messages <= 0))
        return;
    struct metrics_topic *t = topic_entry(m, topic);
    t->bytes_in += bytes > 0 ? (uint64_t)bytes : 0;
    t->messages_in += messages > 0 ? (uint64_t)messages : 0;
}

void broker_metrics_fetched(struct broker_metrics *m, const struct fetch_req *fr,
                            const struct fetch_resp *resp)
{
    if (!m || !fr || !resp)
        return;
    bool replica = fr->replica_id >= 0;
    for (int32_t i = 0; i < resp->responses.n; i++) {
        const struct fetch_resp_topic *rt = &resp->responses.v[i];
        if (!rt->topic.s)
            continue;
        uint64_t bytes = 0;
        for (int32_t p = 0; p < rt->partitions.n; p++)
            if (rt->partitions.v[p].records.len > 0)
                bytes += (uint64_t)rt->partitions.v[p].records.len;
        if (bytes == 0)
            continue;
        /* kstr is not NUL-terminated in general: copy the name. */
        char name[256];
        if (rt->topic.len <= 0 || (size_t)rt->topic.len >= sizeof name)
            continue;
        memcpy(name, rt->topic.s, (size_t)rt->topic.len);
        name[rt->topic.len] = '\0';
        struct metrics_topic *t = topic_entry(m, name);
        if (replica)
            t->replication_bytes_out += bytes;
        else
            t->bytes_out += bytes;
    }
}

void broker_metrics_isr_change(struct broker_metrics *m, bool shrink)
{
    if (!m)
        return;
    if (shrink)
        m->isr_shrinks++;
    else
        m->isr_expands++;
}

void broker_metrics_http_response(struct broker_metrics *m, int status)
{
    if (!m)
        return;
    int cls = status / 100;
    if (cls >= 1 && cls <= 5)
        m->http_responses[cls]++;
}

const struct metrics_topic *broker_metrics_topic(const struct broker_metrics *m, const char *topic)
{
    return m && topic ? strmap_get(&m->topics, topic) : NULL;
}

void broker_metrics_prune_topics(struct broker_metrics *m,
                                 bool (*exists)(void *ctx, const char *topic), void *ctx)
{
    if (!m)
        return;
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&m->topics, &it, &k, &v)) {
        if (!exists(ctx, k)) {
            /* strmap_del of the current key is allowed during iteration; it copies keys,
             * so k dies with the entry: delete through a copy. */
            char *key = xstrdup(k);
            free(strmap_del(&m->topics, key));
            free(key);
        }
    }
}

void broker_metrics_escape_label(struct evbuffer *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\\')
            evbuffer_add(out, "\\\\", 2);
        else if (*s == '"')
            evbuffer_add(out, "\\\"", 2);
        else if (*s == '\n')
            evbuffer_add(out, "\\n", 2);
        else
            evbuffer_add(out, s, 1);
    }
}

/* A float in the shortest form Prometheus parses back exactly enough (%.17g is exact). */
static void add_double(struct evbuffer *out, double v)
{
    if (isinf(v))
        evbuffer_add_printf(out, v > 0 ? "+Inf" : "-Inf");
    else if (isnan(v))
        evbuffer_add_printf(out, "NaN");
    else
        evbuffer_add_printf(out, "%.9g", v);
}

void broker_metrics_render_histogram(struct evbuffer *out, const char *name, const char *labels,
                                     const struct metrics_histogram *h)
{
    const char *sep = labels && *labels ? "," : "";
    if (!labels)
        labels = "";
    uint64_t cum = 0;
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
        cum += h->bucket[i];
        evbuffer_add_printf(out, "%s_bucket{%s%sle=\"", name, labels, sep);
        add_double(out, broker_metrics_latency_bounds[i]);
        evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)cum);
    }
    cum += h->bucket[METRICS_LATENCY_BUCKETS];
    evbuffer_add_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", name, labels, sep,
                        (unsigned long long)cum);
    evbuffer_add_printf(out, "%s_sum%s%s%s ", name, *labels ? "{" : "", labels, *labels ? "}" : "");
    add_double(out, h->sum);
    evbuffer_add_printf(out, "\n%s_count%s%s%s %llu\n", name, *labels ? "{" : "", labels,
                        *labels ? "}" : "", (unsigned long long)h->count);
}

/* "Produce" for known keys, "api_<key>" otherwise (a key we answer but do not name). */
static void api_label(char *buf, size_t len, int16_t key)
{
    const struct proto_api *a = proto_api_find(key);
    if (a && a->name)
        snprintf(buf, len, "api=\"%s\"", a->name);
    else
        snprintf(buf, len, "api=\"api_%d\"", key);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void render_topics(const struct broker_metrics *m, struct evbuffer *out)
{
    static const struct {
        const char *name, *help;
        size_t off;
    } counters[] = {
        {"sluice_topic_bytes_in_total", "Record bytes appended to the topic by Produce requests.",
         offsetof(struct metrics_topic, bytes_in)},
        {"sluice_topic_messages_in_total", "Records appended to the topic by Produce requests.",
         offsetof(struct metrics_topic, messages_in)},
        {"sluice_topic_bytes_out_total", "Record bytes of the topic sent to consumers by Fetch.",
         offsetof(struct metrics_topic, bytes_out)},
        {"sluice_topic_replication_bytes_out_total",
         "Record bytes of the topic sent to follower replicas by Fetch.",
         offsetof(struct metrics_topic, replication_bytes_out)},
    };
    size_t n = m->topics.count, i = 0;
    const char **names = xcalloc(n ? n : 1, sizeof *names);
    size_t it = 0;
    const char *k;
    void *v;
    while (strmap_next(&m->topics, &it, &k, &v) && i < n)
        names[i++] = k;
    qsort(names, i, sizeof *names, cmp_str);
    for (size_t c = 0; c < sizeof counters / sizeof counters[0]; c++) {
        evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s counter\n", counters[c].name,
                            counters[c].help, counters[c].name);
        for (size_t j = 0; j < i; j++) {
            const struct metrics_topic *t = strmap_get(&m->topics, names[j]);
            uint64_t val = *(const uint64_t *)((const char *)t + counters[c].off);
            evbuffer_add_printf(out, "%s{topic=\"", counters[c].name);
            broker_metrics_escape_label(out, names[j]);
            evbuffer_add_printf(out, "\"} %llu\n", (unsigned long long)val);
        }
    }
    free(names);
}

void broker_metrics_render(const struct broker_metrics *m, struct evbuffer *out)
{
    char label[64];
    evbuffer_add_printf(out, "# HELP sluice_requests_total Kafka requests completed, by API.\n"
                             "# TYPE sluice_requests_total counter\n");
    for (int k = 0; k <= KAPI_MAX_KEY; k++) {
        if (!m->requests[k])
            continue;
        api_label(label, sizeof label, (int16_t)k);
        evbuffer_add_printf(out, "sluice_requests_total{%s} %llu\n", label,
                            (unsigned long long)m->requests[k]);
    }
    if (m->requests_other)
        evbuffer_add_printf(out, "sluice_requests_total{api=\"other\"} %llu\n",
                            (unsigned long long)m->requests_other);
    evbuffer_add_printf(out,
                        "# HELP sluice_request_latency_seconds Time from reading a Kafka request "
                        "to completing its response, by API.\n"
                        "# TYPE sluice_request_latency_seconds histogram\n");
    for (int k = 0; k <= KAPI_MAX_KEY; k++) {
        if (!m->requests[k])
            continue;
        api_label(label, sizeof label, (int16_t)k);
        broker_metrics_render_histogram(out, "sluice_request_latency_seconds", label,
                                        &m->latency[k]);
    }
    render_topics(m, out);
    evbuffer_add_printf(out,
                        "# HELP sluice_isr_shrinks_total Times the ISR of a partition led here "
                        "shrank.\n# TYPE sluice_isr_shrinks_total counter\n"
                        "sluice_isr_shrinks_total %llu\n"
                        "# HELP sluice_isr_expands_total Times the ISR of a partition led here "
                        "expanded.\n# TYPE sluice_isr_expands_total counter\n"
                        "sluice_isr_expands_total %llu\n",
                        (unsigned long long)m->isr_shrinks, (unsigned long long)m->isr_expands);
    evbuffer_add_printf(out, "# HELP sluice_admin_http_responses_total Admin API responses, by "
                             "status class.\n# TYPE sluice_admin_http_responses_total counter\n");
    for (int c = 1; c <= 5; c++)
        evbuffer_add_printf(out, "sluice_admin_http_responses_total{code=\"%dxx\"} %llu\n", c,
                            (unsigned long long)m->http_responses[c]);
}
