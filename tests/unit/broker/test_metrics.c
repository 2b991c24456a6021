/*
 * Unit tests for broker/handlers/metrics.c: histogram bucketing (le semantics),
 * request and per-topic counters, fetch accounting (consumer vs follower),
 * pruning of deleted topics, NULL-registry no-ops and the Prometheus text
 * rendering (cumulative buckets, +Inf, _sum/_count, label escaping).
 */
#include <check.h>
#include <event2/buffer.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "messages.h"
#include "metrics.h"

static char *render(const struct broker_metrics *m)
{
    struct evbuffer *b = evbuffer_new();
    broker_metrics_render(m, b);
    size_t n = evbuffer_get_length(b);
    char *s = malloc(n + 1);
    evbuffer_remove(b, s, n);
    s[n] = '\0';
    evbuffer_free(b);
    return s;
}

/* True when `line` (without newline) is a whole line of text. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return true;
    return false;
}

START_TEST(test_histogram_buckets)
{
    struct metrics_histogram h = {0};
    broker_metrics_observe(&h, 0.0);    /* first bucket */
    broker_metrics_observe(&h, 0.0001); /* exactly the first bound: le is inclusive */
    broker_metrics_observe(&h, 0.0002); /* second bucket (0.00025) */
    broker_metrics_observe(&h, 1.0);    /* the 1.0 bucket */
    broker_metrics_observe(&h, 1e6);    /* above every bound */
    broker_metrics_observe(&h, -3);     /* clamped to 0 */
    broker_metrics_observe(&h, NAN);    /* clamped to 0 */
    ck_assert_uint_eq(h.count, 7);
    ck_assert_uint_eq(h.bucket[0], 4);
    ck_assert_uint_eq(h.bucket[1], 1);
    int one = -1;
    for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
        if (broker_metrics_latency_bounds[i] == 1.0)
            one = i;
    ck_assert_int_ge(one, 0);
    ck_assert_uint_eq(h.bucket[one], 1);
    ck_assert_uint_eq(h.bucket[METRICS_LATENCY_BUCKETS], 1);
    ck_assert(fabs(h.sum - (0.0001 + 0.0002 + 1.0 + 1e6)) < 1e-6);
    /* Bounds strictly increase. */
    for (int i = 1; i < METRICS_LATENCY_BUCKETS; i++)
        ck_assert(broker_metrics_latency_bounds[i] > broker_metrics_latency_bounds[i - 1]);
}
END_TEST

START_TEST(test_requests_and_render)
{
    struct broker_metrics *m = broker_metrics_new();
    broker_metrics_request_done(m, KAPI_PRODUCE, 300);     /* 0.0003 s */
    broker_metrics_request_done(m, KAPI_PRODUCE, 2000000); /* 2 s */
    broker_metrics_request_done(m, KAPI_METADATA, 50);     /* 0.00005 s */
    broker_metrics_request_done(m, -1, 10);                /* unknown key */
    broker_metrics_request_done(m, KAPI_MAX_KEY + 1, 10);  /* unknown key */
    ck_assert_uint_eq(m->requests[KAPI_PRODUCE], 2);
    ck_assert_uint_eq(m->requests_other, 2);
    char *t = render(m);
    ck_assert(has_line(t, "# TYPE sluice_requests_total counter"));
    ck_assert(has_line(t, "sluice_requests_total{api=\"Produce\"} 2"));
    ck_assert(has_line(t, "sluice_requests_total{api=\"Metadata\"} 1"));
    ck_assert(has_line(t, "sluice_requests_total{api=\"other\"} 2"));
    ck_assert(!strstr(t, "api=\"Fetch\"")); /* APIs without requests are not listed */
    ck_assert(has_line(t, "# TYPE sluice_request_latency_seconds histogram"));
    /* Cumulative: 0 below 0.00025, 1 from 0.0005 (0.0003 s), 2 from 2.5 (2 s). */
    ck_assert(
        has_line(t, "sluice_request_latency_seconds_bucket{api=\"Produce\",le=\"0.00025\"} 0"));
    ck_assert(
        has_line(t, "sluice_request_latency_seconds_bucket{api=\"Produce\",le=\"0.0005\"} 1"));
    ck_assert(has_line(t, "sluice_request_latency_seconds_bucket{api=\"Produce\",le=\"1\"} 1"));
    ck_assert(has_line(t, "sluice_request_latency_seconds_bucket{api=\"Produce\",le=\"2.5\"} 2"));
    ck_assert(has_line(t, "sluice_request_latency_seconds_bucket{api=\"Produce\",le=\"+Inf\"} 2"));
    ck_assert(has_line(t, "sluice_request_latency_seconds_count{api=\"Produce\"} 2"));
    ck_assert(has_line(t, "sluice_request_latency_seconds_sum{api=\"Produce\"} 2.0003"));
    ck_assert(has_line(t, "sluice_isr_shrinks_total 0"));
    ck_assert(has_line(t, "sluice_admin_http_responses_total{code=\"2xx\"} 0"));
    free(t);
    broker_metrics_isr_change(m, true);
    broker_metrics_isr_change(m, false);
    broker_metrics_isr_change(m, false);
    broker_metrics_http_response(m, 404);
    broker_metrics_http_response(m, 200);
    broker_metrics_http_response(m, 99); /* no class: ignored */
    t = render(m);
    ck_assert(has_line(t, "sluice_isr_shrinks_total 1"));
    ck_assert(has_line(t, "sluice_isr_expands_total 2"));
    ck_assert(has_line(t, "sluice_admin_http_responses_total{code=\"4xx\"} 1"));
    ck_assert(has_line(t, "sluice_admin_http_responses_total{code=\"2xx\"} 1"));
    /* Every non-comment line is `name{labels} value` or `name value`; every family has
     * HELP and TYPE before its samples. */
    char *save = NULL;
    for (char *ln = strtok_r(t, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        if (ln[0] == '#') {
            ck_assert(strncmp(ln, "# HELP sluice_", 14) == 0 ||
                      strncmp(ln, "# TYPE sluice_", 14) == 0);
            continue;
        }
        ck_assert_msg(strncmp(ln, "sluice_", 7) == 0, "line %s", ln);
        const char *sp = strrchr(ln, ' ');
        ck_assert(sp && sp[1]);
        char *end;
        strtod(sp + 1, &end);
        ck_assert_msg(*end == '\0', "value of %s", ln);
    }
    free(t);
    broker_metrics_free(m);
}
END_TEST

static bool keep_orders(void *ctx, const char *topic)
{
    (void)ctx;
    return strcmp(topic, "orders") == 0;
}

START_TEST(test_topics_produce_fetch_prune)
{
    struct broker_metrics *m = broker_metrics_new();
    broker_metrics_produced(m, "orders", 100, 3);
    broker_metrics_produced(m, "orders", 50, 2);
    broker_metrics_produced(m, "orders", 0, 0); /* a duplicate: nothing appended */
    broker_metrics_produced(m, "audit", 10, 1);
    const struct metrics_topic *t = broker_metrics_topic(m, "orders");
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(t->bytes_in, 150);
    ck_assert_uint_eq(t->messages_in, 5);

    /* A consumer fetch and a follower fetch of the same topic; the response's topic
     * name is a length-delimited slice of a larger buffer (not NUL-terminated). */
    const char *wire = "ordersXYZ";
    struct fetch_resp_partition parts[2] = {0};
    parts[0].records.len = 40;
    parts[1].records.len = 0;
    struct fetch_resp_topic topics[1] = {0};
    topics[0].topic.s = wire;
    topics[0].topic.len = 6;
    topics[0].partitions.v = parts;
    topics[0].partitions.n = 2;
    struct fetch_resp resp = {0};
    resp.responses.v = topics;
    resp.responses.n = 1;
    struct fetch_req consumer = {.replica_id = -1}, follower = {.replica_id = 2};
    broker_metrics_fetched(m, &consumer, &resp);
    broker_metrics_fetched(m, &consumer, &resp);
    broker_metrics_fetched(m, &follower, &resp);
    t = broker_metrics_topic(m, "orders");
    ck_assert_uint_eq(t->bytes_out, 80);
    ck_assert_uint_eq(t->replication_bytes_out, 40);
    ck_assert_ptr_null(broker_metrics_topic(m, "ordersXYZ"));

    char *text = render(m);
    ck_assert(has_line(text, "sluice_topic_bytes_in_total{topic=\"audit\"} 10"));
    ck_assert(has_line(text, "sluice_topic_bytes_in_total{topic=\"orders\"} 150"));
    ck_assert(has_line(text, "sluice_topic_messages_in_total{topic=\"orders\"} 5"));
    ck_assert(has_line(text, "sluice_topic_bytes_out_total{topic=\"orders\"} 80"));
    ck_assert(has_line(text, "sluice_topic_replication_bytes_out_total{topic=\"orders\"} 40"));
    /* Topics in name order. */
    ck_assert(strstr(text, "bytes_in_total{topic=\"audit\"}") <
              strstr(text, "bytes_in_total{topic=\"orders\"}"));
    free(text);

    /* Deleted topics stop being exported. */
    broker_metrics_prune_topics(m, keep_orders, NULL);
    ck_assert_ptr_null(broker_metrics_topic(m, "audit"));
    ck_assert_ptr_nonnull(broker_metrics_topic(m, "orders"));
    broker_metrics_free(m);
}
END_TEST

START_TEST(test_null_registry_and_escaping)
{
    /* Hooks run with a NULL registry when the admin listener is disabled. */
    broker_metrics_request_done(NULL, KAPI_FETCH, 1);
    broker_metrics_produced(NULL, "t", 1, 1);
    broker_metrics_fetched(NULL, NULL, NULL);
    broker_metrics_isr_change(NULL, true);
    broker_metrics_http_response(NULL, 200);
    broker_metrics_prune_topics(NULL, keep_orders, NULL);
    ck_assert_ptr_null(broker_metrics_topic(NULL, "t"));
    broker_metrics_free(NULL);

    struct evbuffer *b = evbuffer_new();
    broker_metrics_escape_label(b, "a\"b\\c\nd");
    char out[32] = {0};
    evbuffer_remove(b, out, sizeof out - 1);
    ck_assert_str_eq(out, "a\\\"b\\\\c\\nd");
    evbuffer_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("broker_metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_histogram_buckets);
    tcase_add_test(tc, test_requests_and_render);
    tcase_add_test(tc, test_topics_produce_fetch_prune);
    tcase_add_test(tc, test_null_registry_and_escaping);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
