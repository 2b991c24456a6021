/*
 * Kafka-protocol throughput/latency benchmark client on librdkafka, used by
 * run-bench.sh against a Sluice node (any Kafka-compatible broker works).
 *
 *   rdk_bench produce -b BROKERS -t TOPIC [-n COUNT] [-d SECONDS] [-s SIZE]
 *                     [-a ACKS] [-l LINGER_MS] [-B BATCH_BYTES] [-w WINDOW] [-L LABEL]
 *       Produces COUNT messages of SIZE bytes or for SECONDS, whichever ends
 *       first, with at most WINDOW messages awaiting a delivery report
 *       (0 = only librdkafka's queue bounds it).  Prints msgs/s, MB/s and
 *       the produce()->delivery-report latency p50/p99/p99.9/max.
 *   rdk_bench consume -b BROKERS -t TOPIC -p PARTITIONS [-L LABEL]
 *       Reads every partition from the beginning to its end (legacy
 *       per-partition consumer, no group) and prints msgs/s and MB/s.
 *
 * LABEL (e.g. the broker's flush policy) is printed on every result line.
 * Exit status 0 on success, 1 if any delivery failed or nothing was read,
 * 2 on usage errors.
 */
#include <getopt.h>
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct opts {
    const char *brokers, *topic, *acks, *label;
    long count;
    double seconds;
    int size, linger_ms, batch_bytes, window, partitions;
};

static uint64_t *sent_ns, *lat_ns;
static long delivered, failed, nlat;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *xcalloc(size_t n, size_t sz)
{
    void *p = calloc(n, sz);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

static void conf_set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(c, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
        fprintf(stderr, "config %s=%s: %s\n", k, v, err);
        exit(2);
    }
}

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    long i = (long)(intptr_t)m->_private;
    delivered++;
    if (m->err) {
        if (failed++ < 5)
            fprintf(stderr, "delivery failed: %s\n", rd_kafka_err2str(m->err));
        return;
    }
    if (i >= 0)
        lat_ns[nlat++] = now_ns() - sent_ns[i];
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(double q)
{
    if (nlat == 0)
        return 0;
    return (double)lat_ns[(size_t)((double)(nlat - 1) * q)] / 1e6;
}

static int run_produce(const struct opts *o)
{
    char err[512], buf[32];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", o->brokers);
    conf_set(conf, "acks", o->acks);
    snprintf(buf, sizeof buf, "%d", o->linger_ms);
    conf_set(conf, "linger.ms", buf);
    snprintf(buf, sizeof buf, "%d", o->batch_bytes);
    conf_set(conf, "batch.size", buf);
    conf_set(conf, "queue.buffering.max.messages", "1000000");
    conf_set(conf, "queue.buffering.max.kbytes", "2097151");
    conf_set(conf, "message.timeout.ms", "120000");
    conf_set(conf, "enable.idempotence", "false");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        return 2;
    }
    sent_ns = xcalloc((size_t)o->count, sizeof *sent_ns);
    lat_ns = xcalloc((size_t)o->count, sizeof *lat_ns);
    char *payload = xcalloc((size_t)o->size, 1);
    for (int i = 0; i < o->size; i++)
        payload[i] = (char)('a' + i % 26);

    /* Warm-up: metadata and connections, not timed. */
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic), RD_KAFKA_V_VALUE(payload, (size_t)o->size),
                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_OPAQUE((void *)(intptr_t)-1), RD_KAFKA_V_END);
    rd_kafka_flush(rk, 30000);
    long warm_failed = failed;
    delivered = 0;
    failed = 0;
    nlat = 0;

    uint64_t start = now_ns(), stop_at = start + (uint64_t)(o->seconds * 1e9);
    long n = 0;
    for (; n < o->count; n++) {
        if ((n & 255) == 0 && now_ns() >= stop_at)
            break;
        while (o->window > 0 && n - delivered >= o->window)
            rd_kafka_poll(rk, 1);
        sent_ns[n] = now_ns();
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(o->topic),
                                      RD_KAFKA_V_VALUE(payload, (size_t)o->size),
                                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                      RD_KAFKA_V_OPAQUE((void *)(intptr_t)n), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 1);
        if (e) {
            fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e));
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 180000);
    double secs = (double)(now_ns() - start) / 1e9;
    qsort(lat_ns, (size_t)nlat, sizeof *lat_ns, cmp_u64);
    printf("produce [%s] acks=%s size=%d linger.ms=%d batch.size=%d window=%d: msgs=%ld "
           "failed=%ld in %.1fs: %.0f msg/s %.1f MB/s | delivery latency ms p50=%.2f p99=%.2f "
           "p99.9=%.2f max=%.2f\n",
           o->label, o->acks, o->size, o->linger_ms, o->batch_bytes, o->window, n, failed, secs,
           (double)n / secs, (double)n * o->size / secs / 1e6, pct_ms(0.50), pct_ms(0.99),
           pct_ms(0.999), nlat ? (double)lat_ns[nlat - 1] / 1e6 : 0.0);
    int bad = failed > 0 || warm_failed > 0 || delivered != n;
    if (delivered != n)
        fprintf(stderr, "only %ld of %ld delivery reports\n", delivered, n);
    rd_kafka_destroy(rk);
    free(sent_ns);
    free(lat_ns);
    free(payload);
    return bad ? 1 : 0;
}

static int run_consume(const struct opts *o)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", o->brokers);
    conf_set(conf, "enable.partition.eof", "true");
    conf_set(conf, "queued.max.messages.kbytes", "262144");
    conf_set(conf, "fetch.message.max.bytes", "4194304");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", err);
        return 2;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int *eof = xcalloc((size_t)o->partitions, sizeof *eof);
    uint64_t t0 = now_ns(), start = 0, last = 0;
    for (int p = 0; p < o->partitions; p++)
        if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1) {
            fprintf(stderr, "consume_start %d: %s\n", p, rd_kafka_err2str(rd_kafka_last_error()));
            return 2;
        }
    long n = 0, errs = 0;
    uint64_t bytes = 0, deadline = t0 + 600ull * 1000000000ull;
    int neof = 0;
    rd_kafka_message_t *batch[1024];
    while (neof < o->partitions && now_ns() < deadline) {
        ssize_t got = rd_kafka_consume_batch_queue(q, 500, batch, 1024);
        for (ssize_t i = 0; i < got; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (m->partition >= 0 && m->partition < o->partitions && !eof[m->partition]) {
                    eof[m->partition] = 1;
                    neof++;
                }
            } else if (m->err) {
                if (errs++ < 5)
                    fprintf(stderr, "consume: %s\n", rd_kafka_message_errstr(m));
            } else {
                if (n++ == 0)
                    start = now_ns();
                last = now_ns();
                bytes += m->len;
            }
            rd_kafka_message_destroy(m);
        }
    }
    /* Rate from the first to the last message (connection set-up excluded). */
    double secs = n > 1 ? (double)(last - start) / 1e9 : 0;
    if (secs <= 0)
        secs = 1e-9;
    printf("consume [%s] partitions=%d: msgs=%ld bytes=%" PRIu64
           " in %.1fs (first byte after %.2fs): %.0f msg/s %.1f MB/s%s\n",
           o->label, o->partitions, n, bytes, secs, n ? (double)(start - t0) / 1e9 : 0.0,
           (double)n / secs, (double)bytes / secs / 1e6,
           neof < o->partitions ? " (timed out before end of log)" : "");
    for (int p = 0; p < o->partitions; p++)
        rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    free(eof);
    return n > 0 && neof == o->partitions ? 0 : 1;
}

static void usage(const char *argv0)
{
    fprintf(stderr,
            "usage: %s produce -b BROKERS -t TOPIC [-n COUNT] [-d SECONDS] [-s SIZE] [-a ACKS]\n"
            "                  [-l LINGER_MS] [-B BATCH_BYTES] [-w WINDOW] [-L LABEL]\n"
            "       %s consume -b BROKERS -t TOPIC -p PARTITIONS [-L LABEL]\n",
            argv0, argv0);
    exit(2);
}

int main(int argc, char **argv)
{
    struct opts o = {.acks = "1",
                     .label = "",
                     .count = 1000000,
                     .seconds = 30,
                     .size = 1024,
                     .linger_ms = 5,
                     .batch_bytes = 1048576,
                     .window = 0,
                     .partitions = 1};
    if (argc < 2)
        usage(argv[0]);
    const char *mode = argv[1];
    int c;
    optind = 2;
    while ((c = getopt(argc, argv, "b:t:n:d:s:a:l:B:w:p:L:")) != -1) {
        switch (c) {
        case 'b':
            o.brokers = optarg;
            break;
        case 't':
            o.topic = optarg;
            break;
        case 'n':
            o.count = atol(optarg);
            break;
        case 'd':
            o.seconds = atof(optarg);
            break;
        case 's':
            o.size = atoi(optarg);
            break;
        case 'a':
            o.acks = optarg;
            break;
        case 'l':
            o.linger_ms = atoi(optarg);
            break;
        case 'B':
            o.batch_bytes = atoi(optarg);
            break;
        case 'w':
            o.window = atoi(optarg);
            break;
        case 'p':
            o.partitions = atoi(optarg);
            break;
        case 'L':
            o.label = optarg;
            break;
        default:
            usage(argv[0]);
        }
    }
    if (!o.brokers || !o.topic || o.count <= 0 || o.size <= 0 || o.partitions <= 0)
        usage(argv[0]);
    if (!strcmp(mode, "produce"))
        return run_produce(&o);
    if (!strcmp(mode, "consume"))
        return run_consume(&o);
    usage(argv[0]);
    return 2;
}
