/*
 * `sluice consume TOPIC`: prints record values one per line, like
 * kafka-console-consumer.sh without a group: ListOffsets for the start
 * (earliest with --from-beginning, else the end), then Fetch from each
 * partition's leader.  Stops after -n records, after --timeout-ms without a
 * new record, or on SIGINT.
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
#include "record_batch.h"
#include "xalloc.h"

#define FETCH_MAX_BYTES   (4 * 1024 * 1024)
#define MAX_DECOMPRESSED  (64 * 1024 * 1024)
#define FETCH_MAX_WAIT_MS 500

struct consumer {
    struct kclient c;
    const char *topic;
    bool from_beginning;
    bool print_key;
    int64_t max_messages; /* -1: unlimited */
    int64_t count;
    int32_t n_parts;
    struct kclient_fetch_part *parts; /* partition + next offset per consumed partition */
};

static void usage(FILE *out)
{
    fputs("Usage: sluice consume TOPIC [options]\n"
          "\n"
          "Prints the value of every record, one per line (null values print as \"null\").\n"
          "\n"
          "  -b, --bootstrap-server HOST:PORT  broker (default $SLUICE_BOOTSTRAP or "
          "127.0.0.1:9092)\n"
          "      --from-beginning              start at the oldest record (default: only new\n"
          "                                    records)\n"
          "  -n, --max-messages N              stop after N records\n"
          "  -p, --partition N                 read only partition N\n"
          "      --print-key                   print KEY<TAB>VALUE\n"
          "      --timeout-ms MS               stop after MS without a new record\n"
          "  -h, --help                        this help\n",
          out);
}

static int start_offset(struct consumer *s, struct kclient_fetch_part *p)
{
    int64_t off;
    int rc = kclient_list_offset(&s->c, s->topic, p->partition,
                                 s->from_beginning ? KCLIENT_EARLIEST : KCLIENT_LATEST, &off);
    if (rc < 0) {
        fprintf(stderr, "sluice consume: %s\n", kclient_error(&s->c));
        return -1;
    }
    p->offset = off;
    return 0;
}

static void print_bytes(const uint8_t *p, int32_t len)
{
    if (!p || len < 0)
        fputs("null", stdout);
    else
        fwrite(p, 1, (size_t)len, stdout);
}

/*
 * Prints the records of one partition's fetched data from its offset on and
 * advances the offset.  Returns 1 when -n was reached, 0 otherwise, -1 on
 * malformed data.
 */
static int print_records(struct consumer *s, struct kclient_fetch_part *p, bool *progress)
{
    size_t pos = 0;
    const uint8_t *batch;
    size_t blen;
    int rc;
    while ((rc = rb_split(p->records, p->records_len, &pos, &batch, &blen)) == 1) {
        struct rb_header h;
        if (rb_header_parse(batch, blen, &h) < 0)
            return -1;
        int64_t next = rb_header_last_offset(&h) + 1;
        if (next <= p->offset)
            continue;
        if (h.attributes & RB_ATTR_CONTROL) {
            p->offset = next;
            *progress = true;
            continue;
        }
        struct rb_iter it;
        rc = rb_iter_init(&it, batch, blen, MAX_DECOMPRESSED);
        struct rb_record rec;
        while (rc == 0 && (rc = rb_iter_next(&it, &rec)) == 1) {
            rc = 0;
            if (rec.offset < p->offset)
                continue;
            if (s->print_key) {
                print_bytes(rec.key, rec.key_len);
                fputc('\t', stdout);
            }
            print_bytes(rec.value, rec.value_len);
            fputc('\n', stdout);
            p->offset = rec.offset + 1;
            *progress = true;
            s->count++;
            if (s->max_messages >= 0 && s->count >= s->max_messages) {
                rb_iter_free(&it);
                return 1;
            }
        }
        rb_iter_free(&it);
        if (rc < 0) {
            fprintf(stderr, "sluice consume: malformed record batch at offset %lld of %s-%d: %s\n",
                    (long long)h.base_offset, s->topic, (int)p->partition, sl_strerror(rc));
            return -1;
        }
        p->offset = next;
        *progress = true;
    }
    /* SL_EAGAIN: the answer ended inside a batch (max_bytes); the next fetch resumes there. */
    if (rc < 0 && rc != SL_EAGAIN) {
        fprintf(stderr, "sluice consume: malformed fetch data for %s-%d\n", s->topic,
                (int)p->partition);
        return -1;
    }
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* One round: a Fetch to every leader.  Returns 1 when done (-n), 0 to go on, -1 on error. */
static int fetch_round(struct consumer *s, bool *progress, bool *need_refresh, int32_t max_wait)
{
    int32_t leaders[s->n_parts > 0 ? s->n_parts : 1];
    int n_leaders = 0;
    for (int32_t i = 0; i < s->n_parts; i++) {
        int32_t l = kclient_leader(&s->c, s->topic, s->parts[i].partition);
        if (l < 0) {
            *need_refresh = true;
            continue;
        }
        bool seen = false;
        for (int j = 0; j < n_leaders; j++)
            seen |= leaders[j] == l;
        if (!seen)
            leaders[n_leaders++] = l;
    }
    int32_t wait = n_leaders > 1 ? max_wait / n_leaders : max_wait;
    if (wait < 10)
        wait = 10;
    for (int j = 0; j < n_leaders; j++) {
        struct kclient_fetch_part group[s->n_parts];
        int32_t idx[s->n_parts];
        int k = 0;
        for (int32_t i = 0; i < s->n_parts; i++)
            if (kclient_leader(&s->c, s->topic, s->parts[i].partition) == leaders[j]) {
                idx[k] = i;
                group[k++] = s->parts[i];
            }
        struct arena a = ARENA_INIT;
        int rc = kclient_fetch(&s->c, leaders[j], s->topic, group, k, wait, FETCH_MAX_BYTES, &a);
        if (rc < 0 && (k == 0 || group[0].error_code == 0)) {
            /* Network trouble (a broker-level error would be in every part): the caller
             * refreshes metadata and retries within its budget. */
            *need_refresh = true;
            arena_free(&a);
            return 0;
        }
        for (int g = 0; g < k; g++) {
            struct kclient_fetch_part *p = &s->parts[idx[g]];
            int16_t e = group[g].error_code;
            if (e == KERR_OFFSET_OUT_OF_RANGE) {
                if (start_offset(s, p) < 0) {
                    arena_free(&a);
                    return -1;
                }
                continue;
            }
            if (e != 0) {
                if (e == KERR_NOT_LEADER_OR_FOLLOWER || e == KERR_LEADER_NOT_AVAILABLE ||
                    e == KERR_UNKNOWN_TOPIC_OR_PARTITION || e == KERR_FENCED_LEADER_EPOCH ||
                    e == KERR_UNKNOWN_LEADER_EPOCH || e == KERR_REPLICA_NOT_AVAILABLE ||
                    e == KERR_KAFKA_STORAGE_ERROR || e == KERR_NOT_COORDINATOR) {
                    *need_refresh = true;
                    continue;
                }
                fprintf(stderr, "sluice consume: fetch from %s-%d: %s (%d)\n", s->topic,
                        (int)p->partition, kafka_error_name(e), e);
                arena_free(&a);
                return -1;
            }
            group[g].offset = p->offset;
            int r = print_records(s, &group[g], progress);
            p->offset = group[g].offset;
            if (r != 0) {
                arena_free(&a);
                return r;
            }
        }
        arena_free(&a);
    }
    return 0;
}

static int run(struct consumer *s, int64_t timeout_ms)
{
    for (int32_t i = 0; i < s->n_parts; i++)
        if (start_offset(s, &s->parts[i]) < 0)
            return -1;
    int64_t idle_since = clock_mono_ms();
    int64_t trouble_since = -1;
    for (;;) {
        bool progress = false, need_refresh = false;
        int32_t wait = FETCH_MAX_WAIT_MS;
        if (timeout_ms > 0) {
            int64_t left = idle_since + timeout_ms - clock_mono_ms();
            if (left <= 0)
                return 0;
            if (left < wait)
                wait = (int32_t)left;
        }
        int rc = fetch_round(s, &progress, &need_refresh, wait);
        fflush(stdout);
        if (rc != 0)
            return rc > 0 ? 0 : -1;
        if (progress)
            idle_since = clock_mono_ms();
        if (need_refresh) {
            if (trouble_since < 0)
                trouble_since = clock_mono_ms();
            if (clock_mono_ms() - trouble_since > s->c.retry_budget_ms) {
                fprintf(stderr, "sluice consume: giving up: %s\n", kclient_error(&s->c));
                return -1;
            }
            sleep_ms(100);
            kclient_metadata(&s->c, &s->topic, 1, false);
        } else {
            trouble_since = -1;
        }
    }
}

int cmd_consume(int argc, char **argv)
{
    struct consumer s = {.max_messages = -1};
    const char *bootstrap = cmd_default_bootstrap();
    int64_t partition = -1, timeout_ms = 0;
    const struct cmd_opt opts[] = {
        {"bootstrap-server", 'b', CMD_OPT_STR, &bootstrap},
        {"from-beginning", 'B', CMD_OPT_FLAG, &s.from_beginning},
        {"max-messages", 'n', CMD_OPT_INT, &s.max_messages, "message count", 1, INT64_MAX},
        {"partition", 'p', CMD_OPT_INT, &partition, "partition", 0, INT32_MAX - 1},
        {"print-key", 'K', CMD_OPT_FLAG, &s.print_key},
        {"timeout-ms", 'T', CMD_OPT_INT, &timeout_ms, "timeout", 1, INT32_MAX},
        {NULL},
    };
    const struct cmd_parser p = {.cmd = "consume",
                                 .shorts = "b:n:p:h",
                                 .opts = opts,
                                 .usage = usage,
                                 .one_operand = "topic name"};
    int rc = cmd_opts_parse(&p, argc, argv);
    if (rc == CMD_CONTINUE)
        rc = cmd_kclient_init("consume", bootstrap, &s.c);
    if (rc != CMD_CONTINUE)
        return rc;
    s.topic = argv[optind];
    int status = CMD_FAIL;
    int32_t np;
    if (kclient_topic_wait(&s.c, s.topic, false, &np) < 0) {
        fprintf(stderr, "sluice consume: %s\n", kclient_error(&s.c));
        goto done;
    }
    if (partition >= np) {
        fprintf(stderr,
                "sluice consume: topic %s has %d partition(s); partition %d does not exist\n",
                s.topic, (int)np, (int)partition);
        goto done;
    }
    s.n_parts = partition >= 0 ? 1 : np;
    s.parts = xcalloc((size_t)s.n_parts, sizeof *s.parts);
    for (int32_t i = 0; i < s.n_parts; i++)
        s.parts[i].partition = partition >= 0 ? (int32_t)partition : i;
    if (run(&s, timeout_ms) == 0)
        status = CMD_OK;
    if (timeout_ms > 0 || s.max_messages >= 0)
        fprintf(stderr, "Processed a total of %lld messages\n", (long long)s.count);
done:
    free(s.parts);
    kclient_free(&s.c);
    return status;
}
