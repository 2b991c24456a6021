/*
 * Unit tests for the admin server's HTTP/1.1 request heads (admin_http.c):
 * where a head ends (CRLF and bare LF, partial input), the request line,
 * header fields and their limits (each protocol error with its status),
 * keep-alive rules, Expect, Content-Length, and the target decoded into
 * path segments and query parameters.
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
