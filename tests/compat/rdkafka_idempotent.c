/*
 * Compatibility check with librdkafka's idempotent producer.
 *
 * Produces N keyed messages whose values are unique sequence numbers with
 * enable.idempotence=true (acks=all), waits for every delivery report (all
 * must succeed), then reads the topic back from the beginning with an
 * assign-based consumer that joins no group and checks, per partition, that
 * the log holds exactly the acknowledged messages at their acknowledged
 * offsets, in produce order, with no duplicates or gaps.  The consumer is
 * librdkafka's legacy per-partition consumer (explicit partitions, no
 * group.id): librdkafka's rd_kafka_assign() refuses to run without a group.
 *
 * Usage: rdkafka_idempotent BROKERS TOPIC NMSGS NPARTITIONS
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage/setup error.
 * Driven by test_rdkafka.py, which starts the node and creates the topic.
 */
#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NKEYS     1000
#define MAX_PARTS 64

struct acked {
    int32_t partition; /* -1 until acknowledged */
    int64_t offset;
};

static struct acked *acks;
static long nmsgs, ndelivered, nfailed;
static int failures;

static void fail(const char *fmt, ...)
{
    va_list ap;
    if (++failures > 20)
        return;
    va_start(ap, fmt);
    fputs("FAIL: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
    long seq = (long)(intptr_t)m->_private;
    ndelivered++;
    if (seq < 0 || seq >= nmsgs) {
        fail("delivery report with unknown opaque %ld", seq);
        return;
    }
    if (m->err) {
        nfailed++;
        fail("delivery of seq %ld failed: %s", seq, rd_kafka_err2str(m->err));
        return;
    }
    if (acks[seq].partition >= 0)
        fail("seq %ld acknowledged twice", seq);
    acks[seq].partition = m->partition;
    acks[seq].offset = m->offset;
}

static int produce_all(const char *brokers, const char *topic)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", brokers);
    conf_set(conf, "enable.idempotence", "true");
    conf_set(conf, "acks", "all");
    conf_set(conf, "linger.ms", "5");
    conf_set(conf, "message.timeout.ms", "120000");
    conf_set(conf, "queue.buffering.max.messages", "1000000");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "producer: %s\n", err);
        return 2;
    }
    double t0 = now_s();
    for (long i = 0; i < nmsgs; i++) {
        char key[32], val[32];
        int klen = snprintf(key, sizeof key, "key-%ld", i % NKEYS);
        int vlen = snprintf(val, sizeof val, "%010ld", i);
        rd_kafka_resp_err_t e;
        while ((e = rd_kafka_producev(
                    rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, (size_t)klen),
                    RD_KAFKA_V_VALUE(val, (size_t)vlen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                    RD_KAFKA_V_OPAQUE((void *)(intptr_t)i), RD_KAFKA_V_END)) ==
               RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 10);
        if (e) {
            fail("produce seq %ld: %s", i, rd_kafka_err2str(e));
            break;
        }
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_resp_err_t fe = rd_kafka_flush(rk, 150000);
    if (fe)
        fail("flush: %s (%d messages still queued)", rd_kafka_err2str(fe), rd_kafka_outq_len(rk));
    char ferr[512];
    rd_kafka_resp_err_t fatal = rd_kafka_fatal_error(rk, ferr, sizeof ferr);
    if (fatal)
        fail("idempotent producer fatal error: %s: %s", rd_kafka_err2name(fatal), ferr);
    printf("produced %ld, delivered %ld, failed %ld in %.1fs\n", nmsgs, ndelivered, nfailed,
           now_s() - t0);
    if (ndelivered != nmsgs)
        fail("%ld delivery reports for %ld messages", ndelivered, nmsgs);
    rd_kafka_destroy(rk);
    return 0;
}

/* Every acknowledged message must be in a partition below nparts. */
static void check_partitions(int nparts)
{
    for (long i = 0; i < nmsgs; i++)
        if (acks[i].partition >= nparts)
            fail("seq %ld acknowledged in partition %d, topic has %d", i, acks[i].partition,
                 nparts);
}

/* Messages acknowledged for partition p, in produce (seq) order. */
static long *acked_for(int32_t p, long *n)
{
    long *v = malloc(sizeof(long) * (size_t)nmsgs);
    if (!v) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    *n = 0;
    for (long i = 0; i < nmsgs; i++)
        if (acks[i].partition == p)
            v[(*n)++] = i;
    return v;
}

static int consume_and_check(const char *brokers, const char *topic, int nparts)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    conf_set(conf, "bootstrap.servers", brokers);
    conf_set(conf, "enable.partition.eof", "true");
    conf_set(conf, "enable.auto.commit", "false");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "consumer: %s\n", err);
        return 2;
    }
    /* The legacy per-partition consumer: explicit partitions and offsets, no
     * group.id, so no FindCoordinator/JoinGroup traffic at all. */
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    for (int p = 0; p < nparts; p++) {
        if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1) {
            fprintf(stderr, "consume_start partition %d: %s\n", p,
                    rd_kafka_err2str(rd_kafka_last_error()));
            return 2;
        }
    }

    long *want[MAX_PARTS], nwant[MAX_PARTS], pos[MAX_PARTS];
    int eof[MAX_PARTS];
    for (int p = 0; p < nparts; p++) {
        want[p] = acked_for(p, &nwant[p]);
        pos[p] = 0;
        eof[p] = 0;
        if (nwant[p] == 0)
            fail("partition %d got no messages (keys should spread over %d partitions)", p, nparts);
    }
    double deadline = now_s() + 180;
    long total = 0;
    for (;;) {
        int done = 1;
        for (int p = 0; p < nparts; p++)
            if (!eof[p] || pos[p] < nwant[p])
                done = 0;
        if (done || failures > 20)
            break;
        if (now_s() > deadline) {
            for (int p = 0; p < nparts; p++)
                fail("timeout: partition %d read %ld of %ld, eof=%d", p, pos[p], nwant[p], eof[p]);
            break;
        }
        rd_kafka_message_t *m = rd_kafka_consume_queue(q, 500);
        if (!m)
            continue;
        int32_t p = m->partition;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (p >= 0 && p < nparts)
                eof[p] = 1;
        } else if (m->err) {
            fail("consume: %s", rd_kafka_message_errstr(m));
        } else if (p < 0 || p >= nparts) {
            fail("message from partition %d", p);
        } else {
            eof[p] = 0;
            total++;
            char val[32] = {0};
            size_t len = m->len < sizeof val - 1 ? m->len : sizeof val - 1;
            memcpy(val, m->payload, len);
            long seq = strtol(val, NULL, 10);
            if (pos[p] >= nwant[p]) {
                fail("partition %d: extra message at offset %" PRId64 " value %s (duplicate?)", p,
                     m->offset, val);
            } else {
                long exp = want[p][pos[p]];
                if (seq != exp)
                    fail("partition %d offset %" PRId64 ": value %ld, expected %ld (%s)", p,
                         m->offset, seq, exp,
                         seq < exp ? "duplicate or reordered" : "gap: a message is missing");
                if (m->offset != acks[exp].offset)
                    fail("partition %d: seq %ld read at offset %" PRId64
                         ", acknowledged at %" PRId64,
                         p, exp, m->offset, acks[exp].offset);
                if (m->offset != pos[p])
                    fail("partition %d: offset %" PRId64 " at position %ld (offsets not 0..n-1)", p,
                         m->offset, pos[p]);
                pos[p]++;
            }
        }
        rd_kafka_message_destroy(m);
    }
    printf("consumed %ld messages:", total);
    for (int p = 0; p < nparts; p++) {
        printf(" p%d=%ld/%ld", p, pos[p], nwant[p]);
        free(want[p]);
    }
    printf("\n");
    for (int p = 0; p < nparts; p++)
        rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s BROKERS TOPIC NMSGS NPARTITIONS\n", argv[0]);
        return 2;
    }
    const char *brokers = argv[1], *topic = argv[2];
    nmsgs = atol(argv[3]);
    int nparts = atoi(argv[4]);
    if (nmsgs <= 0 || nparts <= 0 || nparts > MAX_PARTS) {
        fprintf(stderr, "bad NMSGS or NPARTITIONS\n");
        return 2;
    }
    acks = malloc(sizeof *acks * (size_t)nmsgs);
    if (!acks) {
        fprintf(stderr, "out of memory\n");
        return 2;
    }
    for (long i = 0; i < nmsgs; i++)
        acks[i].partition = -1;
    int rc = produce_all(brokers, topic);
    check_partitions(nparts);
    if (rc == 0 && failures == 0)
        rc = consume_and_check(brokers, topic, nparts);
    free(acks);
    if (rc)
        return rc;
    printf("%s\n", failures ? "FAILED" : "OK");
    return failures ? 1 : 0;
}
