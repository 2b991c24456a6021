/*
 * The counters and latency histograms a node keeps for GET /metrics: Kafka
 * requests per API (count and latency, Kafka's RequestMetrics TotalTimeMs),
 * bytes and messages in and out per topic (BrokerTopicMetrics), ISR shrinks
 * and expands (ReplicaManager) and admin HTTP responses by status class.
 * Gauges (leader count, under-replicated partitions, raft epoch ...) are not
 * kept here: admin_metrics.c reads them from the image, the quorum and the
 * replica manager when it renders.
 *
 * Owned by the event loop thread; no locks.  Every recording function accepts
 * a NULL registry and then does nothing (the admin listener is disabled, or
 * the node is shutting down), so hooks never need to check.
 */
#ifndef SLUICE_BROKER_METRICS_H
#define SLUICE_BROKER_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "kafka.h"
#include "strmap.h"

struct evbuffer;
struct fetch_req;
struct fetch_resp;

/* Upper bounds (seconds) of the latency histogram buckets; +Inf is implicit. */
#define METRICS_LATENCY_BUCKETS 15
extern const double broker_metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

/* A Prometheus histogram: per-bucket counts (rendered cumulatively), count and sum. */
struct metrics_histogram {
    uint64_t bucket[METRICS_LATENCY_BUCKETS + 1]; /* last: above every bound (+Inf only) */
    uint64_t count;
    double sum; /* seconds */
};

/* Per-topic traffic (Kafka's BrokerTopicMetrics). */
struct metrics_topic {
    uint64_t bytes_in;              /* record bytes appended by Produce */
    uint64_t messages_in;           /* records appended by Produce */
    uint64_t bytes_out;             /* record bytes returned to consumers */
    uint64_t replication_bytes_out; /* record bytes returned to follower replicas */
};

struct broker_metrics {
    uint64_t requests[KAPI_MAX_KEY + 1];
    struct metrics_histogram latency[KAPI_MAX_KEY + 1];
    uint64_t requests_other; /* API keys beyond KAPI_MAX_KEY (answered with an error) */
    struct strmap topics;    /* topic name -> struct metrics_topic (owned) */
    uint64_t isr_shrinks, isr_expands;
    uint64_t http_responses[6]; /* admin HTTP responses by status class: [1] 1xx .. [5] 5xx */
};

/* A zeroed registry.  Free with broker_metrics_free (NULL is a no-op). */
struct broker_metrics *broker_metrics_new(void);
void broker_metrics_free(struct broker_metrics *m);

/* Records one observation (seconds, negative counts as 0) in h. */
void broker_metrics_observe(struct metrics_histogram *h, double seconds);

/* One Kafka request completed (answered or retired silently) after latency_us. */
void broker_metrics_request_done(struct broker_metrics *m, int16_t api_key, int64_t latency_us);

/* Produce appended `messages` records in `bytes` bytes to `topic` (0/0 for a duplicate). */
void broker_metrics_produced(struct broker_metrics *m, const char *topic, int64_t bytes,
                             int64_t messages);

/*
 * A Fetch response is about to be sent: counts the record bytes of every
 * partition per topic, as replication traffic when the request came from a
 * follower (replica_id >= 0), else as consumer traffic.
 */
void broker_metrics_fetched(struct broker_metrics *m, const struct fetch_req *fr,
                            const struct fetch_resp *resp);

/* The ISR of a partition led here shrank (shrink = true) or expanded. */
void broker_metrics_isr_change(struct broker_metrics *m, bool shrink);

/* The admin server answered with HTTP `status`. */
void broker_metrics_http_response(struct broker_metrics *m, int status);

/* The counters of `topic`, or NULL when nothing was recorded for it.  Borrowed. */
const struct metrics_topic *broker_metrics_topic(const struct broker_metrics *m, const char *topic);

/*
 * Drops the per-topic counters of every topic for which exists(ctx, name)
 * returns false (deleted topics stop being exported).
 */
void broker_metrics_prune_topics(struct broker_metrics *m,
                                 bool (*exists)(void *ctx, const char *topic), void *ctx);

/*
 * Appends the registry in Prometheus text exposition format (version 0.0.4)
 * to out: sluice_requests_total and sluice_request_latency_seconds by `api`
 * (Kafka's API name, only APIs that saw requests), the per-topic counters,
 * sluice_isr_shrinks_total / sluice_isr_expands_total and
 * sluice_admin_http_responses_total by `code` class.  Label values are
 * escaped as the format requires.
 */
void broker_metrics_render(const struct broker_metrics *m, struct evbuffer *out);

/*
 * Appends one histogram's sample lines (`name`_bucket with le="...",
 * `name`_sum, `name`_count), each with the extra label text `labels`
 * ("api=\"Produce\"", or "" for none).  HELP/TYPE lines are the caller's.
 */
void broker_metrics_render_histogram(struct evbuffer *out, const char *name, const char *labels,
                                     const struct metrics_histogram *h);

/* Appends `s` to out escaped as a Prometheus label value (backslash, quote, newline). */
void broker_metrics_escape_label(struct evbuffer *out, const char *s);

#endif
