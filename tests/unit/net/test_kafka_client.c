/*
 * Unit tests of the asynchronous Kafka client (net/kafka_client.c) against a
 * scripted server on the same event loop: pipelined round trips, responses
 * matched in order, request timeouts, refused and dropped connections, and
 * oversized or mismatched response frames.
 */
#include <arpa/inet.h>
#include <check.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "err.h"
#include "frame.h"
#include "kafka.h"
#include "kafka_client.h"
#include "messages.h"

enum server_mode { ANSWER, SILENT, CLOSE, HUGE, WRONG_ID };

struct server {
    struct event_base *base;
    struct evconnlistener *l;
    int port;
    enum server_mode mode;
    int requests;
    struct bufferevent *conns[16]; /* accepted connections, freed by server_stop */
};

static void forget(struct server *s, struct bufferevent *bev)
{
    for (int i = 0; i < 16; i++)
        if (s->conns[i] == bev)
            s->conns[i] = NULL;
    bufferevent_free(bev);
}

struct result {
    int calls;
    int err;
    int16_t error_code;
    int order[8];
};

static void srv_read(struct bufferevent *bev, void *arg)
{
    struct server *s = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        if (evbuffer_get_length(in) < 4)
            return;
        uint8_t szb[4];
        evbuffer_copyout(in, szb, 4);
        uint32_t size = ((uint32_t)szb[0] << 24) | (szb[1] << 16) | (szb[2] << 8) | szb[3];
        if (evbuffer_get_length(in) < size + 4)
            return;
        uint8_t *frame = malloc(size);
        evbuffer_drain(in, 4);
        evbuffer_remove(in, frame, size);
        s->requests++;
        struct rbuf r;
        rbuf_init(&r, frame, size);
        struct arena a = ARENA_INIT;
        struct proto_req_header h;
        ck_assert_int_eq(proto_req_header_decode(&r, &h, &a), 0);
        if (s->mode == CLOSE) {
            free(frame);
            arena_free(&a);
            forget(s, bev);
            return;
        }
        if (s->mode == ANSWER || s->mode == WRONG_ID || s->mode == HUGE) {
            struct api_versions_resp resp = {0};
            proto_api_table_versions_fill(&proto_client_apis, &resp, &a);
            resp.error_code = (int16_t)s->requests; /* lets the test check ordering */
            struct proto_out o;
            proto_out_init(&o);
            int32_t corr = s->mode == WRONG_ID ? h.correlation_id + 7 : h.correlation_id;
            ck_assert_int_eq(proto_resp_frame_encode(&o, KAPI_API_VERSIONS, h.api_version, corr,
                                                     &proto_api_versions_resp_schema, &resp),
                             0);
            if (s->mode == HUGE) {
                uint8_t big[4] = {0x7f, 0, 0, 0};
                bufferevent_write(bev, big, 4);
            } else {
                bufferevent_write(bev, o.w.data, o.w.len);
            }
            proto_out_free(&o);
        }
        arena_free(&a);
        free(frame);
    }
}

static void srv_event(struct bufferevent *bev, short what, void *arg)
{
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        forget(arg, bev);
}

static void srv_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
                       void *arg)
{
    (void)l;
    (void)sa;
    (void)len;
    struct server *s = arg;
    struct bufferevent *bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev, srv_read, NULL, srv_event, s);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    for (int i = 0; i < 16; i++) {
        if (!s->conns[i]) {
            s->conns[i] = bev;
            break;
        }
    }
}

static void server_stop(struct server *s)
{
    for (int i = 0; i < 16; i++)
        if (s->conns[i])
            forget(s, s->conns[i]);
    if (s->l)
        evconnlistener_free(s->l);
    s->l = NULL;
}

static void server_start(struct server *s, struct event_base *base, enum server_mode mode)
{
    memset(s, 0, sizeof *s);
    s->base = base;
    s->mode = mode;
    struct sockaddr_in sin = {0};
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->l = evconnlistener_new_bind(base, srv_accept, s, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                   16, (struct sockaddr *)&sin, sizeof sin);
    ck_assert_ptr_nonnull(s->l);
    struct sockaddr_in bound;
    socklen_t bl = sizeof bound;
    getsockname(evconnlistener_get_fd(s->l), (struct sockaddr *)&bound, &bl);
    s->port = ntohs(bound.sin_port);
}

static void on_resp(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)a;
    struct result *r = ctx;
    if (r->calls < 8)
        r->order[r->calls] = resp ? ((const struct api_versions_resp *)resp)->error_code : -1;
    r->calls++;
    r->err = err;
    if (resp)
        r->error_code = ((const struct api_versions_resp *)resp)->error_code;
}

static void send_api_versions(struct kc_conn *c, struct result *r, int32_t timeout_ms)
{
    struct api_versions_req req = {{"t", 1}, {"1", 1}};
    ck_assert_int_eq(kc_send(c, KAPI_API_VERSIONS, 3, true, &proto_api_versions_req_schema, &req,
                             &proto_api_versions_resp_schema, timeout_ms, on_resp, r),
                     0);
}

/* Runs the loop until `r` saw `calls` callbacks (bounded by a generous deadline). */
static void run_until(struct event_base *base, struct result *r, int calls)
{
    for (int i = 0; i < 20000 && r->calls < calls; i++)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_int_eq(r->calls, calls);
}

START_TEST(test_pipelined_round_trips_in_order)
{
    struct event_base *base = event_base_new();
    struct server s;
    server_start(&s, base, ANSWER);
    struct kc_conn *c = kc_conn_new(base, "127.0.0.1", s.port, "test", 1 << 20);
    struct result r = {0};
    for (int i = 0; i < 5; i++)
        send_api_versions(c, &r, 5000);
    ck_assert_int_eq(r.calls, 0); /* never called back inside kc_send */
    run_until(base, &r, 5);
    ck_assert_int_eq(r.err, 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(r.order[i], i + 1);
    ck_assert_int_eq(kc_conn_inflight(c), 0);
    ck_assert(kc_conn_connected(c));
    kc_conn_free(c);
    server_stop(&s);
    event_base_free(base);
}
END_TEST

START_TEST(test_timeout_closes_and_fails)
{
    struct event_base *base = event_base_new();
    struct server s;
    server_start(&s, base, SILENT);
    struct kc_conn *c = kc_conn_new(base, "127.0.0.1", s.port, "test", 1 << 20);
    struct result r = {0};
    send_api_versions(c, &r, 50);
    send_api_versions(c, &r, 10000);
    run_until(base, &r, 2);
    ck_assert_int_eq(r.err, SL_ETIMEOUT);
    ck_assert(!kc_conn_connected(c));
    /* The connection is usable again: the next send reconnects. */
    s.mode = ANSWER;
    struct result r2 = {0};
    send_api_versions(c, &r2, 5000);
    run_until(base, &r2, 1);
    ck_assert_int_eq(r2.err, 0);
    kc_conn_free(c);
    server_stop(&s);
    event_base_free(base);
}
END_TEST

START_TEST(test_refused_and_dropped)
{
    struct event_base *base = event_base_new();
    struct server s;
    server_start(&s, base, CLOSE);
    struct kc_conn *c = kc_conn_new(base, "127.0.0.1", s.port, "test", 1 << 20);
    struct result r = {0};
    send_api_versions(c, &r, 5000);
    run_until(base, &r, 1);
    ck_assert_int_eq(r.err, SL_ECLOSED);
    kc_conn_free(c);
    int port = s.port;
    server_stop(&s);
    c = kc_conn_new(base, "127.0.0.1", port, "test", 1 << 20);
    struct result r2 = {0};
    send_api_versions(c, &r2, 5000);
    run_until(base, &r2, 1);
    ck_assert_int_eq(r2.err, SL_ECLOSED);
    kc_conn_free(c);
    event_base_free(base);
}
END_TEST

START_TEST(test_bad_frames)
{
    struct event_base *base = event_base_new();
    struct server s;
    server_start(&s, base, HUGE);
    struct kc_conn *c = kc_conn_new(base, "127.0.0.1", s.port, "test", 1 << 20);
    struct result r = {0};
    send_api_versions(c, &r, 5000);
    run_until(base, &r, 1);
    ck_assert_int_eq(r.err, SL_ECORRUPT);
    s.mode = WRONG_ID;
    struct result r2 = {0};
    send_api_versions(c, &r2, 5000);
    run_until(base, &r2, 1);
    ck_assert_int_eq(r2.err, SL_ECORRUPT);
    kc_conn_free(c);
    server_stop(&s);
    event_base_free(base);
}
END_TEST

static void free_from_callback(void *ctx, int err, const void *resp, struct arena *a)
{
    (void)err;
    (void)resp;
    (void)a;
    struct kc_conn **c = ctx;
    kc_conn_free(*c); /* must be safe inside a callback */
    *c = NULL;
}

START_TEST(test_free_inside_callback)
{
    struct event_base *base = event_base_new();
    struct server s;
    server_start(&s, base, ANSWER);
    struct kc_conn *c = kc_conn_new(base, "127.0.0.1", s.port, "test", 1 << 20);
    struct api_versions_req req = {{"t", 1}, {"1", 1}};
    ck_assert_int_eq(kc_send(c, KAPI_API_VERSIONS, 3, true, &proto_api_versions_req_schema, &req,
                             &proto_api_versions_resp_schema, 5000, free_from_callback, &c),
                     0);
    for (int i = 0; i < 20000 && c; i++)
        event_base_loop(base, EVLOOP_ONCE);
    ck_assert_ptr_null(c);
    server_stop(&s);
    event_base_free(base);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_client");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_pipelined_round_trips_in_order);
    tcase_add_test(tc, test_timeout_closes_and_fails);
    tcase_add_test(tc, test_refused_and_dropped);
    tcase_add_test(tc, test_bad_frames);
    tcase_add_test(tc, test_free_inside_callback);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
