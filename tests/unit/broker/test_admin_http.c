/*
 * Unit tests for the admin server's HTTP/1.1 request heads (admin_http.c):
 * where a head ends (CRLF and bare LF, partial input), the request line,
 * header fields and their limits (each protocol error with its status),
 * keep-alive rules, Expect, Content-Length, and the target decoded into
 * path segments and query parameters; and the guards against cross-site
 * writes (admin_guard.c): Content-Type, Host and Origin decisions.
 */
#include <check.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin_internal.h"
#include "kafka.h"

/* Parses `text` as a head (copied: parsing modifies it).  *status gets the result. */
static struct admin_request *parse(const char *text, int *status)
{
    char *head = strdup(text);
    char why[256] = "";
    struct admin_request *r = admin_http_parse_head(NULL, head, status, why, sizeof why);
    if (*status)
        ck_assert_msg(why[0], "an error needs a reason (status %d)", *status);
    free(head);
    return r;
}

static int status_of(const char *text)
{
    int st;
    admin_request_free(parse(text, &st));
    return st;
}

START_TEST(test_find_head_end)
{
    struct evbuffer *b = evbuffer_new();
    size_t hl = 0;
    evbuffer_add_printf(b, "GET / HTTP/1.1\r\nA: b\r\n");
    ck_assert_int_eq(admin_http_find_head_end(b, &hl), -1);
    evbuffer_add_printf(b, "\r");
    ck_assert_int_eq(admin_http_find_head_end(b, &hl), -1); /* CR alone: need more */
    evbuffer_add_printf(b, "\nBODY");
    ssize_t total = admin_http_find_head_end(b, &hl);
    ck_assert_int_eq(total, (ssize_t)strlen("GET / HTTP/1.1\r\nA: b\r\n\r\n"));
    ck_assert_uint_eq(hl, strlen("GET / HTTP/1.1\r\nA: b\r"));
    evbuffer_drain(b, evbuffer_get_length(b));

    evbuffer_add_printf(b, "GET / HTTP/1.1\nA: b\n\nrest");
    total = admin_http_find_head_end(b, &hl);
    ck_assert_int_eq(total, (ssize_t)strlen("GET / HTTP/1.1\nA: b\n\n"));
    ck_assert_uint_eq(hl, strlen("GET / HTTP/1.1\nA: b"));
    evbuffer_drain(b, evbuffer_get_length(b));

    evbuffer_add_printf(b, "GET / HTTP/1.1\r\nA: \nb");
    ck_assert_int_eq(admin_http_find_head_end(b, &hl), -1);
    evbuffer_free(b);
}
END_TEST

START_TEST(test_parse_ok)
{
    int st;
    struct admin_request *r =
        parse("GET /v1/topics/a%2Db/partitions/3?target=2&x=a%20b HTTP/1.1\r\n"
              "Host: h\r\nContent-Length: 5\r\nX-Empty:\r\nUser-Agent:  curl/8 \r",
              &st);
    ck_assert_int_eq(st, 0);
    ck_assert_uint_eq(r->method, ADMIN_GET);
    ck_assert_str_eq(r->target, "/v1/topics/a%2Db/partitions/3?target=2&x=a%20b");
    ck_assert_int_eq(r->nsegs, 5);
    ck_assert_str_eq(r->segs[0], "v1");
    ck_assert_str_eq(r->segs[2], "a-b");
    ck_assert_str_eq(r->segs[4], "3");
    ck_assert_str_eq(admin_query(r, "target"), "2");
    ck_assert_str_eq(admin_query(r, "x"), "a b");
    ck_assert_ptr_null(admin_query(r, "nope"));
    ck_assert_int_eq(r->content_length, 5);
    ck_assert(r->keep_alive);
    ck_assert(!r->http10);
    admin_request_free(r);

    r = parse("POST /v1/topics/ HTTP/1.1", &st); /* trailing slash, no body */
    ck_assert_int_eq(st, 0);
    ck_assert_uint_eq(r->method, ADMIN_POST);
    ck_assert_int_eq(r->nsegs, 2);
    ck_assert_int_eq(r->content_length, 0);
    admin_request_free(r);

    r = parse("GET / HTTP/1.1", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_int_eq(r->nsegs, 0);
    ck_assert_int_eq(r->content_length, -1);
    admin_request_free(r);

    r = parse("GET http://example:9644/v1/cluster?x=1 HTTP/1.1", &st); /* absolute-form */
    ck_assert_int_eq(st, 0);
    ck_assert_int_eq(r->nsegs, 2);
    ck_assert_str_eq(r->segs[1], "cluster");
    ck_assert_str_eq(admin_query(r, "x"), "1");
    admin_request_free(r);

    r = parse("BREW /pot HTTP/1.1", &st);
    ck_assert_int_eq(st, 0);
    ck_assert_uint_eq(r->method, ADMIN_OTHER);
    admin_request_free(r);

    r = parse("POST /v1/topics HTTP/1.1\r\ncontent-length: 3\r\nCONTENT-LENGTH: 3\r\n"
              "Expect: 100-Continue",
              &st);
    ck_assert_int_eq(st, 0); /* repeated identical Content-Length is allowed */
    ck_assert_int_eq(r->content_length, 3);
    ck_assert(r->expect_continue);
    admin_request_free(r);
}
END_TEST

START_TEST(test_keep_alive)
{
    int st;
    struct admin_request *r = parse("GET / HTTP/1.0", &st);
    ck_assert(!r->keep_alive && r->http10);
    admin_request_free(r);
    r = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive", &st);
    ck_assert(r->keep_alive);
    admin_request_free(r);
    r = parse("GET / HTTP/1.1\r\nConnection: foo, close", &st);
    ck_assert(!r->keep_alive);
    admin_request_free(r);
    r = parse("GET / HTTP/1.0\r\nExpect: 100-continue", &st);
    ck_assert(!r->expect_continue); /* HTTP/1.0 clients do not wait for 100 */
    admin_request_free(r);
}
END_TEST

START_TEST(test_parse_errors)
{
    char big[64];
    snprintf(big, sizeof big, "POST / HTTP/1.1\r\nContent-Length: %d", ADMIN_MAX_BODY_BYTES + 1);
    ck_assert_int_eq(status_of(big), 413);
    snprintf(big, sizeof big, "POST / HTTP/1.1\r\nContent-Length: %d", ADMIN_MAX_BODY_BYTES);
    ck_assert_int_eq(status_of(big), 0);
    ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999"), 400);
    ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nContent-Length: -1"), 400);
    ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2"), 400);
    ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nContent-Length:"), 400);
    ck_assert_int_eq(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked"), 501);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nExpect: magic"), 417);
    ck_assert_int_eq(status_of("GET / HTTP/2.0"), 505);
    ck_assert_int_eq(status_of("GET / FOO/1.1"), 400);
    ck_assert_int_eq(status_of("GET /"), 400);
    ck_assert_int_eq(status_of("GET  / HTTP/1.1"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1 extra"), 400);
    ck_assert_int_eq(status_of("G(T / HTTP/1.1"), 400);
    ck_assert_int_eq(status_of("GET * HTTP/1.1"), 400);
    ck_assert_int_eq(status_of("GET //x HTTP/1.1"), 0); /* an empty first segment */
    ck_assert_int_eq(status_of("GET /a%00b HTTP/1.1"), 400);
    ck_assert_int_eq(status_of("GET /\x7f HTTP/1.1"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nNoColon"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nBad Name: x"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\n: x"), 400);
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nA: b\r\n folded"), 400);
    ck_assert_int_eq(status_of(""), 400);

    /* Path segments and header fields are bounded. */
    char path[256] = "GET ";
    for (int i = 0; i < ADMIN_MAX_PATH_SEGS + 1; i++)
        strcat(path, "/a");
    strcat(path, " HTTP/1.1");
    ck_assert_int_eq(status_of(path), 400);
    size_t cap = 64 + (ADMIN_MAX_HEADERS + 1) * 8;
    char *many = calloc(1, cap);
    strcpy(many, "GET / HTTP/1.1");
    for (int i = 0; i < ADMIN_MAX_HEADERS + 1; i++)
        strcat(many, "\r\nA: b");
    ck_assert_int_eq(status_of(many), 431);
    free(many);
    static char longt[9000];
    snprintf(longt, sizeof longt, "GET /%08200d HTTP/1.1", 0); /* an 8201-byte target */
    ck_assert_int_eq(status_of(longt), 414);
}
END_TEST

START_TEST(test_topic_names_and_ids)
{
    char why[256];
    ck_assert(admin_topic_name_valid("orders.v1_x-y", why, sizeof why));
    ck_assert(!admin_topic_name_valid("", why, sizeof why));
    ck_assert(!admin_topic_name_valid(".", why, sizeof why));
    ck_assert(!admin_topic_name_valid("..", why, sizeof why));
    ck_assert(!admin_topic_name_valid("a b", why, sizeof why));
    ck_assert(!admin_topic_name_valid("a/b", why, sizeof why));
    char n249[251];
    memset(n249, 'a', 250);
    n249[249] = '\0';
    ck_assert(admin_topic_name_valid(n249, why, sizeof why));
    n249[249] = 'a';
    n249[250] = '\0';
    ck_assert(!admin_topic_name_valid(n249, why, sizeof why));

    int32_t v;
    ck_assert(admin_parse_id("0", &v) && v == 0);
    ck_assert(admin_parse_id("2147483647", &v) && v == INT32_MAX);
    ck_assert(!admin_parse_id("2147483648", &v));
    ck_assert(!admin_parse_id("-1", &v));
    ck_assert(!admin_parse_id("1a", &v));
    ck_assert(!admin_parse_id("", &v));
    ck_assert(!admin_parse_id(NULL, &v));
    ck_assert(!admin_parse_id("99999999999999", &v));
}
END_TEST

START_TEST(test_kafka_error_status)
{
    ck_assert_int_eq(admin_kafka_error_status(KERR_TOPIC_ALREADY_EXISTS), 409);
    ck_assert_int_eq(admin_kafka_error_status(KERR_INVALID_TOPIC_EXCEPTION), 400);
    ck_assert_int_eq(admin_kafka_error_status(KERR_INVALID_CONFIG), 400);
    ck_assert_int_eq(admin_kafka_error_status(KERR_UNKNOWN_TOPIC_OR_PARTITION), 404);
    ck_assert_int_eq(admin_kafka_error_status(KERR_NOT_CONTROLLER), 503);
    ck_assert_int_eq(admin_kafka_error_status(KERR_TOPIC_DELETION_DISABLED), 403);
    ck_assert_int_eq(admin_kafka_error_status(KERR_REQUEST_TIMED_OUT), 504);
    ck_assert_int_eq(admin_kafka_error_status(KERR_UNKNOWN_SERVER_ERROR), 500);
}
END_TEST

START_TEST(test_content_type)
{
    ck_assert(admin_content_type_is_json("application/json"));
    ck_assert(admin_content_type_is_json("Application/JSON"));
    ck_assert(admin_content_type_is_json("application/json; charset=utf-8"));
    ck_assert(admin_content_type_is_json("application/json;charset=UTF-8"));
    ck_assert(admin_content_type_is_json(" application/json "));
    ck_assert(!admin_content_type_is_json(NULL));
    ck_assert(!admin_content_type_is_json(""));
    ck_assert(!admin_content_type_is_json("text/plain"));
    ck_assert(!admin_content_type_is_json("application/x-www-form-urlencoded"));
    ck_assert(!admin_content_type_is_json("multipart/form-data; boundary=x"));
    ck_assert(!admin_content_type_is_json("application/jsonx"));
    ck_assert(!admin_content_type_is_json("application/json-patch+json"));
    ck_assert(!admin_content_type_is_json("text/plain; a=application/json"));
}
END_TEST

START_TEST(test_authority_and_hosts)
{
    char h[256];
    int port;
    ck_assert(admin_authority_split("LocalHost:9644", h, sizeof h, &port));
    ck_assert_str_eq(h, "localhost");
    ck_assert_int_eq(port, 9644);
    ck_assert(admin_authority_split("node1.example.", h, sizeof h, &port));
    ck_assert_str_eq(h, "node1.example");
    ck_assert_int_eq(port, -1);
    ck_assert(admin_authority_split("[::1]:80", h, sizeof h, &port));
    ck_assert_str_eq(h, "::1");
    ck_assert_int_eq(port, 80);
    ck_assert(!admin_authority_split("", h, sizeof h, &port));
    ck_assert(!admin_authority_split(":9644", h, sizeof h, &port));
    ck_assert(!admin_authority_split("a:", h, sizeof h, &port));
    ck_assert(!admin_authority_split("a:65536", h, sizeof h, &port));
    ck_assert(!admin_authority_split("a:1x", h, sizeof h, &port));
    ck_assert(!admin_authority_split("a b", h, sizeof h, &port));
    ck_assert(!admin_authority_split("[::1", h, sizeof h, &port));
    ck_assert(!admin_authority_split("::1", h, sizeof h, &port)); /* IPv6 needs brackets */
    ck_assert(!admin_authority_split("evil@host", h, sizeof h, &port));

    const char *names[] = {"localhost", "127.0.0.1", "::1", "Node1.Example", "[fe80::1]", ""};
    size_t n = sizeof names / sizeof names[0];
    ck_assert(admin_host_in("localhost", names, n));
    ck_assert(admin_host_in("node1.example", names, n));
    ck_assert(admin_host_in("node1.example.", names, n));
    ck_assert(admin_host_in("0:0:0:0:0:0:0:1", names, n)); /* ::1 by value */
    ck_assert(admin_host_in("fe80:0::1", names, n));
    ck_assert(!admin_host_in("127.0.0.2", names, n));
    ck_assert(!admin_host_in("evil.example", names, n));
    ck_assert(!admin_host_in("node1.example.evil", names, n));
    ck_assert(!admin_host_in("", names, n));
    const char *any[] = {"localhost", "*"};
    ck_assert(admin_host_in("evil.example", any, 2));
}
END_TEST

START_TEST(test_origin)
{
    ck_assert(admin_origin_matches_host("http://127.0.0.1:9644", "127.0.0.1:9644"));
    ck_assert(admin_origin_matches_host("HTTP://LocalHost:9644", "localhost:9644"));
    ck_assert(admin_origin_matches_host("http://localhost", "localhost:80"));
    ck_assert(admin_origin_matches_host("http://localhost:80", "localhost"));
    ck_assert(admin_origin_matches_host("https://admin.example", "admin.example"));
    ck_assert(admin_origin_matches_host("http://[::1]:9644", "[::1]:9644"));
    ck_assert(!admin_origin_matches_host("http://evil", "127.0.0.1:9644"));
    ck_assert(!admin_origin_matches_host("evil", "127.0.0.1:9644"));
    ck_assert(!admin_origin_matches_host("null", "127.0.0.1:9644"));
    ck_assert(!admin_origin_matches_host("", "127.0.0.1:9644"));
    ck_assert(!admin_origin_matches_host("http://127.0.0.1:9645", "127.0.0.1:9644"));
    ck_assert(!admin_origin_matches_host("http://127.0.0.1", "127.0.0.1:9644"));
    ck_assert(!admin_origin_matches_host("https://localhost", "localhost:80"));
    ck_assert(!admin_origin_matches_host("ftp://localhost:9644", "localhost:9644"));
    ck_assert(!admin_origin_matches_host("http://localhost:9644/x", "localhost:9644"));
    ck_assert(!admin_origin_matches_host("http://localhost:9644", NULL));
    ck_assert(!admin_origin_matches_host(NULL, "localhost:9644"));
}
END_TEST

/* The guard's answer for a request head (parsed) against a fixed list of names. */
static int guard_of(const char *text)
{
    static const char *const names[] = {"localhost", "127.0.0.1", "::1", "node1"};
    int st;
    struct admin_request *r = parse(text, &st);
    ck_assert_int_eq(st, 0);
    char why[256] = "";
    st = admin_request_guard(r, names, 4, why, sizeof why);
    if (st)
        ck_assert_msg(why[0], "a refusal needs a reason (status %d)", st);
    admin_request_free(r);
    return st;
}

START_TEST(test_guard)
{
    /* Reads are never guarded. */
    ck_assert_int_eq(guard_of("GET /v1/topics HTTP/1.1\r\nHost: evil.example\r\n"
                              "Origin: http://evil"),
                     0);
    ck_assert_int_eq(guard_of("HEAD / HTTP/1.1"), 0);
    ck_assert_int_eq(guard_of("OPTIONS /v1/topics HTTP/1.1\r\nOrigin: http://evil"), 0);
    /* Same-origin JSON writes pass; a body-less write needs no Content-Type. */
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: 127.0.0.1:9644\r\n"
                              "Content-Type: application/json\r\nContent-Length: 2"),
                     0);
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: node1:9644\r\n"
                              "Origin: http://node1:9644\r\n"
                              "Content-Type: application/json; charset=utf-8\r\n"
                              "Content-Length: 2"),
                     0);
    ck_assert_int_eq(guard_of("DELETE /v1/topics/a HTTP/1.1\r\nHost: localhost:9644"), 0);
    ck_assert_int_eq(guard_of("POST /v1/partitions/a/0/transfer_leadership?target=1 HTTP/1.1\r\n"
                              "Host: [::1]:9644"),
                     0);
    /* Content-Type: text/plain, forms, none with a body, two of them. */
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Type: text/plain\r\nContent-Length: 2"),
                     415);
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Length: 2"),
                     415);
    ck_assert_int_eq(guard_of("PUT /v1/topics HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Type: application/x-www-form-urlencoded\r\n"
                              "Content-Length: 2"),
                     415);
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Type: application/json\r\nContent-Type: text/plain\r\n"
                              "Content-Length: 2"),
                     415);
    ck_assert_int_eq(guard_of("POST /x HTTP/1.1\r\nHost: localhost\r\n"
                              "Content-Type: text/plain\r\nContent-Length: 0"),
                     415);
    /* Foreign or opaque Origin, also on a body-less DELETE. */
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: localhost:9644\r\n"
                              "Origin: http://evil\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2"),
                     403);
    ck_assert_int_eq(guard_of("DELETE /v1/topics/a HTTP/1.1\r\nHost: localhost:9644\r\n"
                              "Origin: null"),
                     403);
    ck_assert_int_eq(guard_of("DELETE /v1/topics/a HTTP/1.1\r\nHost: localhost:9644\r\n"
                              "Origin: http://localhost:9644\r\nOrigin: http://localhost:9644"),
                     403);
    /* Host not a name of the node (DNS rebinding), missing, malformed. */
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: evil.example\r\n"
                              "Origin: evil\r\nContent-Type: text/plain\r\nContent-Length: 2"),
                     403);
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: evil.example:9644\r\n"
                              "Origin: http://evil.example:9644\r\n"
                              "Content-Type: application/json\r\nContent-Length: 2"),
                     403);
    ck_assert_int_eq(guard_of("BREW /v1/topics HTTP/1.1\r\nHost: 10.0.0.9"), 403);
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.0\r\nContent-Type: application/json\r\n"
                              "Content-Length: 2"),
                     403);
    ck_assert_int_eq(guard_of("POST /v1/topics HTTP/1.1\r\nHost: a b\r\n"
                              "Content-Type: application/json\r\nContent-Length: 2"),
                     400);
    /* A second Host field is a protocol error for every method (RFC 9112 section 3.2). */
    ck_assert_int_eq(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b"), 400);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("broker_admin_http");
    TCase *tc = tcase_create("admin_http");
    tcase_add_test(tc, test_find_head_end);
    tcase_add_test(tc, test_parse_ok);
    tcase_add_test(tc, test_keep_alive);
    tcase_add_test(tc, test_parse_errors);
    tcase_add_test(tc, test_topic_names_and_ids);
    tcase_add_test(tc, test_kafka_error_status);
    tcase_add_test(tc, test_content_type);
    tcase_add_test(tc, test_authority_and_hosts);
    tcase_add_test(tc, test_origin);
    tcase_add_test(tc, test_guard);
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
