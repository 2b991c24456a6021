/*
 * Unit tests of the command-line tools' Kafka client (cmd/kclient.h):
 * Kafka's murmur2 partitioner against the Java client's published values,
 * bootstrap address parsing, and a conversation with a scripted in-process
 * broker (a thread on a loopback socket) covering the KIP-511 ApiVersions
 * fallback, version choice, leader routing and retry of a retriable error.
 */
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "err.h"
#include "frame.h"
#include "kafka.h"
#include "kclient.h"
#include "record_batch.h"

START_TEST(test_murmur2_java_vectors)
{
    /* Values of org.apache.kafka.common.utils.Utils.murmur2 (UtilsTest). */
    static const struct {
        const char *s;
        int32_t h;
    } v[] = {
        {"21", -973932308},
        {"foobar", -790332482},
        {"a-little-bit-long-string", -985981536},
        {"a-little-bit-longer-string", -1486304829},
        {"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971},
        {"abc", 479470107},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        ck_assert_int_eq(kclient_murmur2(v[i].s, strlen(v[i].s)), v[i].h);
    /* toPositive(h) % n */
    ck_assert_int_eq(kclient_partition_for_key("21", 2, 7),
                     (int32_t)(((uint32_t)-973932308 & 0x7fffffffu) % 7));
    ck_assert_int_eq(kclient_partition_for_key("abc", 3, 1), 0);
    for (int n = 1; n < 50; n++) {
        int32_t p = kclient_partition_for_key("foobar", 6, n);
        ck_assert(p >= 0 && p < n);
    }
}
END_TEST

START_TEST(test_bootstrap_parsing)
{
    struct kclient c;
    ck_assert_int_eq(kclient_init(&c, "localhost:9092", NULL), 0);
    ck_assert_str_eq(c.boot_host, "localhost");
    ck_assert_int_eq(c.boot_port, 9092);
    kclient_free(&c);
    ck_assert_int_eq(kclient_init(&c, "[::1]:19092", "x"), 0);
    ck_assert_str_eq(c.boot_host, "::1");
    ck_assert_int_eq(c.boot_port, 19092);
    kclient_free(&c);
    const char *bad[] = {"localhost",  ":9092", "host:",    "host:0",
                         "host:70000", "h:9x",  "[::1]9092"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(kclient_init(&c, bad[i], NULL), SL_EINVAL);
        ck_assert_msg(strstr(kclient_error(&c), bad[i]) != NULL, "%s", kclient_error(&c));
        kclient_free(&c);
    }
}
END_TEST

/* ---- a scripted broker ---- */

struct fake {
    int lfd;
    int port;
    int stop_pipe[2];
    pthread_t thread;
    /* what it saw */
    int api_versions_requests;
    int16_t api_versions_versions[4];
    int metadata_requests;
    int produce_requests;
    int16_t produce_version;
    int32_t produced_records;
    int32_t produced_partition;
};

static int read_full(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static struct kstr kstr_of(const char *s)
{
    return (struct kstr){.s = s, .len = (int32_t)strlen(s)};
}

/* Handles one request frame on fd; returns -1 when the connection ended. */
static int serve_one(struct fake *f, int fd)
{
    uint8_t szb[4];
    if (read_full(fd, szb, 4) < 0)
        return -1;
    int32_t size = (int32_t)be32_load(szb);
    if (size < 8 || size > (1 << 24))
        return -1;
    uint8_t *buf = malloc((size_t)size);
    if (read_full(fd, buf, (size_t)size) < 0) {
        free(buf);
        return -1;
    }
    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, buf, (size_t)size);
    struct proto_req_header h;
    ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
    const struct proto_api *api = proto_api_find(h.api_key);
    ck_assert_ptr_nonnull(api);
    void *req = arena_alloc(&a, api->req->size);
    ck_assert_int_eq(proto_decode(api->req, h.api_version,
                                  proto_api_is_flexible(h.api_key, h.api_version), &r, req, &a),
                     0);
    struct proto_out o;
    proto_out_init(&o);
    int rc = 0;
    if (h.api_key == KAPI_API_VERSIONS) {
        if (f->api_versions_requests < 4)
            f->api_versions_versions[f->api_versions_requests] = h.api_version;
        /*
         * The very first request is refused as a broker that only knows ApiVersions v0-2
         * would (KIP-511: error 35, v0 body naming the range), to exercise the fallback.
         */
        if (f->api_versions_requests++ == 0) {
            struct api_versions_resp_api_version only = {
                .api_key = KAPI_API_VERSIONS, .min_version = 0, .max_version = 2};
            struct api_versions_resp resp = {.error_code = KERR_UNSUPPORTED_VERSION};
            resp.api_keys.n = 1;
            resp.api_keys.v = &only;
            rc = proto_resp_frame_encode(&o, h.api_key, 0, h.correlation_id, api->resp, &resp);
        } else {
            struct api_versions_resp resp;
            proto_api_table_versions_fill(&proto_client_apis, &resp, &a);
            rc = proto_resp_frame_encode(&o, h.api_key, h.api_version, h.correlation_id, api->resp,
                                         &resp);
        }
    } else if (h.api_key == KAPI_METADATA) {
        f->metadata_requests++;
        const struct metadata_req *mr = req;
        struct metadata_resp resp;
        proto_init_defaults(api->resp, &resp);
        struct metadata_resp_broker b = {
            .node_id = 1, .host = kstr_of("127.0.0.1"), .port = f->port};
        resp.brokers.n = 1;
        resp.brokers.v = &b;
        resp.cluster_id = kstr_of("test-cluster");
        resp.controller_id = 1;
        static int32_t replicas[] = {1};
        struct metadata_resp_partition parts[2];
        for (int i = 0; i < 2; i++) {
            memset(&parts[i], 0, sizeof parts[i]);
            parts[i].partition_index = i;
            parts[i].leader_id = 1;
            parts[i].leader_epoch = 0;
            parts[i].replica_nodes.n = 1;
            parts[i].replica_nodes.v = replicas;
            parts[i].isr_nodes.n = 1;
            parts[i].isr_nodes.v = replicas;
        }
        int32_t n = mr->topics.n > 0 ? mr->topics.n : 0;
        struct metadata_resp_topic *topics = arena_alloc(&a, (size_t)(n ? n : 1) * sizeof *topics);
        for (int32_t i = 0; i < n; i++) {
            topics[i].name = mr->topics.v[i].name;
            topics[i].topic_authorized_operations = INT32_MIN;
            if (mr->topics.v[i].name.s && strcmp(mr->topics.v[i].name.s, "t") == 0) {
                topics[i].partitions.n = 2;
                topics[i].partitions.v = parts;
                topics[i].topic_id.b[15] = 7;
            } else {
                topics[i].error_code = KERR_UNKNOWN_TOPIC_OR_PARTITION;
            }
        }
        resp.topics.n = n;
        resp.topics.v = topics;
        rc = proto_resp_frame_encode(&o, h.api_key, h.api_version, h.correlation_id, api->resp,
                                     &resp);
    } else if (h.api_key == KAPI_PRODUCE) {
        const struct produce_req *pr = req;
        f->produce_version = h.api_version;
        ck_assert_int_eq(pr->topic_data.n, 1);
        const struct produce_req_partition *pd = &pr->topic_data.v[0].partition_data.v[0];
        f->produced_partition = pd->index;
        struct rb_iter it;
        ck_assert_int_eq(rb_iter_init(&it, pd->records.p, (size_t)pd->records.len, 1 << 20), 0);
        struct rb_record rec;
        int32_t count = 0;
        while (rb_iter_next(&it, &rec) == 1)
            count++;
        rb_iter_free(&it);
        f->produced_records = count;
        struct produce_resp_partition prp;
        memset(&prp, 0, sizeof prp);
        prp.index = pd->index;
        prp.log_append_time_ms = -1;
        /* The first produce is bounced as if leadership had moved: the client must retry. */
        if (f->produce_requests++ == 0) {
            prp.error_code = KERR_NOT_LEADER_OR_FOLLOWER;
            prp.base_offset = -1;
        } else {
            prp.base_offset = 100;
        }
        struct produce_resp_topic prt = {.name = pr->topic_data.v[0].name};
        prt.partition_responses.n = 1;
        prt.partition_responses.v = &prp;
        struct produce_resp resp = {0};
        resp.responses.n = 1;
        resp.responses.v = &prt;
        rc = proto_resp_frame_encode(&o, h.api_key, h.api_version, h.correlation_id, api->resp,
                                     &resp);
    } else {
        ck_abort_msg("unexpected API %d", h.api_key);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(write_full(fd, o.w.data, o.w.len), 0);
    proto_out_free(&o);
    arena_free(&a);
    free(buf);
    return 0;
}

static void *fake_main(void *arg)
{
    struct fake *f = arg;
    struct pollfd pf[8];
    int n = 2;
    pf[0] = (struct pollfd){.fd = f->stop_pipe[0], .events = POLLIN};
    pf[1] = (struct pollfd){.fd = f->lfd, .events = POLLIN};
    for (;;) {
        ck_assert_int_ge(poll(pf, (nfds_t)n, 10000), 0);
        if (pf[0].revents)
            break;
        if (pf[1].revents & POLLIN) {
            int c = accept(f->lfd, NULL, NULL);
            ck_assert_int_ge(c, 0);
            ck_assert_int_lt(n, 8);
            pf[n++] = (struct pollfd){.fd = c, .events = POLLIN};
        }
        for (int i = 2; i < n; i++) {
            if (pf[i].revents && serve_one(f, pf[i].fd) < 0) {
                close(pf[i].fd);
                pf[i] = pf[--n];
                i--;
            }
        }
    }
    for (int i = 2; i < n; i++)
        close(pf[i].fd);
    return NULL;
}

static void fake_start(struct fake *f)
{
    memset(f, 0, sizeof *f);
    f->lfd = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(f->lfd, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(f->lfd, 8), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(f->lfd, (struct sockaddr *)&sa, &sl), 0);
    f->port = ntohs(sa.sin_port);
    ck_assert_int_eq(pipe(f->stop_pipe), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
    ck_assert_int_eq(write(f->stop_pipe[1], "x", 1), 1);
    pthread_join(f->thread, NULL);
    close(f->stop_pipe[0]);
    close(f->stop_pipe[1]);
    close(f->lfd);
}

START_TEST(test_conversation_with_fake_broker)
{
    struct fake f;
    fake_start(&f);
    char boot[64];
    snprintf(boot, sizeof boot, "127.0.0.1:%d", f.port);
    struct kclient c;
    ck_assert_int_eq(kclient_init(&c, boot, "unit-test"), 0);

    /* Metadata through the bootstrap connection, after the ApiVersions fallback. */
    int32_t np = 0;
    ck_assert_int_eq(kclient_topic_wait(&c, "t", false, &np), 0);
    ck_assert_int_eq(np, 2);
    ck_assert_int_eq(f.api_versions_versions[0], 3);
    ck_assert_int_eq(f.api_versions_versions[1], 2); /* what the refusal's v0 body named */
    ck_assert_int_eq(kclient_leader(&c, "t", 1), 1);
    ck_assert_int_eq(kclient_leader(&c, "t", 5), -1);
    ck_assert_ptr_nonnull(kclient_broker(&c, 1));
    ck_assert_int_eq(kclient_version(&c, -1, KAPI_METADATA), proto_api_find(KAPI_METADATA)->max);

    /* An unknown topic is reported as such (UNKNOWN_TOPIC_OR_PARTITION is retried first). */
    c.retry_budget_ms = 200;
    ck_assert_int_eq(kclient_topic_wait(&c, "missing", false, &np), SL_ENOTFOUND);
    ck_assert_int_eq(kclient_last_kafka_error(&c), KERR_UNKNOWN_TOPIC_OR_PARTITION);
    ck_assert_msg(strstr(kclient_error(&c), "missing") != NULL, "%s", kclient_error(&c));
    c.retry_budget_ms = 15000;

    /* Produce goes to the leader (node 1, a second connection) and survives one bounce. */
    struct rb_builder b;
    rb_builder_init(&b, RB_COMPRESSION_NONE, 0, 1000);
    rb_builder_add(&b, 1000, "k", 1, "v1", 2, NULL, 0);
    rb_builder_add(&b, 1001, NULL, -1, "v2", 2, NULL, 0);
    struct wbuf w;
    wbuf_init(&w, 256);
    ck_assert_int_eq(rb_builder_finish(&b, &w), 0);
    rb_builder_free(&b);
    int64_t base = -5;
    ck_assert_int_eq(kclient_produce(&c, "t", 1, w.data, w.len, -1, 1000, &base), 0);
    ck_assert_int_eq(base, 100);
    ck_assert_int_eq(f.produce_requests, 2);
    ck_assert_int_eq(f.produce_version, proto_api_find(KAPI_PRODUCE)->max);
    ck_assert_int_eq(f.produced_records, 2);
    ck_assert_int_eq(f.produced_partition, 1);
    ck_assert_uint_eq(c.n_conns, 2); /* bootstrap + node 1 */
    wbuf_free(&w);
    kclient_free(&c);
    fake_stop(&f);
}
END_TEST

START_TEST(test_connection_refused)
{
    /* A port nobody listens on: bind, read the port, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t sl = sizeof sa;
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    char boot[64];
    snprintf(boot, sizeof boot, "127.0.0.1:%d", ntohs(sa.sin_port));
    struct kclient c;
    ck_assert_int_eq(kclient_init(&c, boot, NULL), 0);
    c.retry_budget_ms = 100;
    ck_assert_int_eq(kclient_metadata(&c, NULL, -1, false), SL_EIO);
    ck_assert_msg(strstr(kclient_error(&c), "cannot connect") != NULL, "%s", kclient_error(&c));
    kclient_free(&c);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("kclient");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_murmur2_java_vectors);
    tcase_add_test(tc, test_bootstrap_parsing);
    tcase_add_test(tc, test_conversation_with_fake_broker);
    tcase_add_test(tc, test_connection_refused);
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
