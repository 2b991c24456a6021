/*
 * `sluice produce TOPIC`: sends the lines of stdin as records, like
 * kafka-console-producer.sh.  Lines are collected into one record batch per
 * partition and sent when a batch reaches 256 KiB, when stdin has nothing
 * more to read for now, or at end of input.  Keyed records go to the
 * partition the Java client picks (murmur2), others round robin.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "cmd.h"
#include "compression.h"
#include "err.h"
#include "kclient.h"
#include "record_batch.h"
#include "xalloc.h"

#define BATCH_BYTES  (256 * 1024)
#define READ_CHUNK   (64 * 1024)
#define MAX_LINE_LEN (64 * 1024 * 1024)

struct producer {
    struct kclient c;
    const char *topic;
    int32_t n_partitions;
    int32_t fixed_partition; /* -1: choose per record */
    int32_t next_rr;
    const char *key_sep;
    size_t key_sep_len;
    enum rb_compression codec;
    int16_t acks;
    int32_t timeout_ms;
    struct rb_builder *batches; /* one per partition */
    size_t *batch_bytes;
    int64_t lineno;
    int64_t sent;
};

static void usage(FILE *out)
{
    fputs("Usage: sluice produce TOPIC [options] < lines\n"
          "\n"
          "Sends every line of stdin as one record (the line without its newline).\n"
          "\n"
          "  -b, --bootstrap-server HOST:PORT  broker (default $SLUICE_BOOTSTRAP or "
          "127.0.0.1:9092)\n"
          "  -k, --key-separator SEP           the text before the first SEP is the key, the\n"
          "                                    rest the value (a line without SEP is an "
          "error)\n"
          "  -p, --partition N                 send everything to partition N\n"
          "      --acks N                      0, 1 or -1/all (default -1)\n"
          "      --compression CODEC           none, gzip, snappy, lz4 or zstd (default "
          "none)\n"
          "      --timeout-ms MS               broker-side produce timeout (default 30000)\n"
          "  -h, --help                        this help\n"
          "\n"
          "Keyed records go to murmur2(key) % partitions like the Java client; the others\n"
          "round robin.  Exits non-zero on the first error.\n",
          out);
}

static int flush_partition(struct producer *p, int32_t part)
{
    struct rb_builder *b = &p->batches[part];
    if (p->batch_bytes[part] == 0) /* every record adds at least 16: 0 means no batch open */
        return 0;
    struct wbuf out;
    wbuf_init(&out, p->batch_bytes[part] + RB_HEADER_SIZE);
    int rc = rb_builder_finish(b, &out);
    int32_t n = rb_builder_count(b);
    rb_builder_free(b);
    p->batch_bytes[part] = 0;
    if (rc < 0) {
        fprintf(stderr, "sluice produce: cannot build a record batch for partition %d: %s\n",
                (int)part, sl_strerror(rc));
        wbuf_free(&out);
        return -1;
    }
    int64_t base;
    rc = kclient_produce(&p->c, p->topic, part, out.data, out.len, p->acks, p->timeout_ms, &base);
    wbuf_free(&out);
    if (rc < 0) {
        fprintf(stderr, "sluice produce: %s\n", kclient_error(&p->c));
        return -1;
    }
    p->sent += n;
    return 0;
}

static int flush_all(struct producer *p)
{
    for (int32_t i = 0; i < p->n_partitions; i++)
        if (flush_partition(p, i) < 0)
            return -1;
    return 0;
}

static int add_line(struct producer *p, const char *line, size_t len)
{
    p->lineno++;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    const char *key = NULL, *value = line;
    size_t key_len = 0, value_len = len;
    if (p->key_sep) {
        const char *sep = memmem(line, len, p->key_sep, p->key_sep_len);
        if (!sep) {
            fprintf(stderr, "sluice produce: line %lld has no key separator '%s'\n",
                    (long long)p->lineno, p->key_sep);
            return -1;
        }
        key = line;
        key_len = (size_t)(sep - line);
        value = sep + p->key_sep_len;
        value_len = len - key_len - p->key_sep_len;
    }
    int32_t part;
    if (p->fixed_partition >= 0)
        part = p->fixed_partition;
    else if (key)
        part = kclient_partition_for_key(key, key_len, p->n_partitions);
    else
        part = p->next_rr++ % p->n_partitions;
    if (p->next_rr == INT32_MAX)
        p->next_rr = 0;
    struct rb_builder *b = &p->batches[part];
    int64_t now = clock_wall_ms();
    if (p->batch_bytes[part] == 0)
        rb_builder_init(b, p->codec, 0, now);
    rb_builder_add(b, now, key, key ? (int32_t)key_len : -1, value, (int32_t)value_len, NULL, 0);
    p->batch_bytes[part] += key_len + value_len + 16;
    if (p->batch_bytes[part] >= BATCH_BYTES)
        return flush_partition(p, part);
    return 0;
}

/* True when stdin has data (or EOF) ready without blocking. */
static bool stdin_ready(void)
{
    struct pollfd pf = {.fd = STDIN_FILENO, .events = POLLIN};
    return poll(&pf, 1, 0) > 0;
}

static int run(struct producer *p)
{
    struct wbuf in;
    wbuf_init(&in, READ_CHUNK);
    size_t start = 0; /* first byte of the current (incomplete) line */
    int rc = 0;
    bool pending = false;
    for (;;) {
        /* Hand over every complete line. */
        for (;;) {
            uint8_t *nl = memchr(in.data + start, '\n', in.len - start);
            if (!nl)
                break;
            size_t len = (size_t)(nl - (in.data + start));
            if (add_line(p, (const char *)in.data + start, len) < 0) {
                rc = -1;
                goto out;
            }
            pending = true;
            start += len + 1;
        }
        /* Compact the buffer. */
        if (start > 0) {
            memmove(in.data, in.data + start, in.len - start);
            in.len -= start;
            start = 0;
        }
        if (in.len > MAX_LINE_LEN) {
            fprintf(stderr, "sluice produce: line %lld is longer than %d bytes\n",
                    (long long)p->lineno + 1, MAX_LINE_LEN);
            rc = -1;
            goto out;
        }
        /* Interactive input: send what we have before blocking for more. */
        if (pending && !stdin_ready()) {
            if (flush_all(p) < 0) {
                rc = -1;
                goto out;
            }
            pending = false;
        }
        wbuf_reserve(&in, READ_CHUNK);
        ssize_t n = read(STDIN_FILENO, in.data + in.len, READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "sluice produce: reading stdin: %s\n", strerror(errno));
            rc = -1;
            goto out;
        }
        if (n == 0)
            break;
        in.len += (size_t)n;
    }
    if (in.len > 0 && add_line(p, (const char *)in.data, in.len) < 0) {
        rc = -1;
        goto out;
    }
    rc = flush_all(p);
out:
    wbuf_free(&in);
    return rc;
}

/* --key-separator, --acks and --compression, checked in the order given. */
static int produce_opt(void *dst, int letter, char *arg)
{
    struct producer *p = dst;
    int64_t v;
    switch (letter) {
    case 'k':
        if (!*arg) {
            fprintf(stderr, "sluice produce: the key separator must not be empty\n");
            return CMD_USAGE;
        }
        p->key_sep = arg;
        p->key_sep_len = strlen(arg);
        return CMD_CONTINUE;
    case 'a':
        if (strcmp(arg, "all") == 0) {
            p->acks = -1;
            return CMD_CONTINUE;
        }
        if (cmd_parse_int("produce", "acks", arg, -1, 1, &v) < 0)
            return CMD_USAGE;
        p->acks = (int16_t)v;
        return CMD_CONTINUE;
    default:
        if (compression_parse(arg, &p->codec) < 0) {
            fprintf(stderr,
                    "sluice produce: unknown compression '%s' (none, gzip, snappy, lz4, zstd)\n",
                    arg);
            return CMD_USAGE;
        }
        return CMD_CONTINUE;
    }
}

int cmd_produce(int argc, char **argv)
{
    struct producer p = {.fixed_partition = -1, .acks = -1, .timeout_ms = 30000};
    const char *bootstrap = cmd_default_bootstrap();
    int64_t partition = -1, timeout_ms = 30000;
    const struct cmd_opt opts[] = {
        {"bootstrap-server", 'b', CMD_OPT_STR, &bootstrap},
        {"key-separator", 'k', CMD_OPT_CALL, &p, .call = produce_opt},
        {"partition", 'p', CMD_OPT_INT, &partition, "partition", 0, INT32_MAX - 1},
        {"acks", 'a', CMD_OPT_CALL, &p, .call = produce_opt},
        {"compression", 'z', CMD_OPT_CALL, &p, .call = produce_opt},
        {"timeout-ms", 'T', CMD_OPT_INT, &timeout_ms, "timeout", 1, INT32_MAX / 2},
        {NULL},
    };
    const struct cmd_parser parser = {
        .cmd = "produce",
        .shorts = "b:k:p:h",
        .opts = opts,
        .usage = usage,
        .one_operand = "topic name",
    };
    int rc = cmd_opts_parse(&parser, argc, argv);
    if (rc == CMD_CONTINUE)
        rc = cmd_kclient_init("produce", bootstrap, &p.c);
    if (rc != CMD_CONTINUE)
        return rc;
    p.fixed_partition = (int32_t)partition;
    p.timeout_ms = (int32_t)timeout_ms;
    p.topic = argv[optind];
    int status = CMD_FAIL;
    /* Like the console producer, asking for metadata may auto-create the topic. */
    if (kclient_topic_wait(&p.c, p.topic, true, &p.n_partitions) < 0) {
        fprintf(stderr, "sluice produce: %s\n", kclient_error(&p.c));
        goto done;
    }
    if (p.fixed_partition >= p.n_partitions) {
        fprintf(stderr,
                "sluice produce: topic %s has %d partition(s); partition %d does not exist\n",
                p.topic, (int)p.n_partitions, (int)p.fixed_partition);
        goto done;
    }
    p.batches = xcalloc((size_t)p.n_partitions, sizeof *p.batches);
    p.batch_bytes = xcalloc((size_t)p.n_partitions, sizeof *p.batch_bytes);
    if (run(&p) == 0)
        status = CMD_OK;
    for (int32_t i = 0; i < p.n_partitions; i++)
        if (p.batch_bytes[i] > 0)
            rb_builder_free(&p.batches[i]);
done:
    free(p.batches);
    free(p.batch_bytes);
    kclient_free(&p.c);
    return status;
}
