/*
 * One Kafka request as the broker sees it, from the frame read off a
 * connection to the response written back.
 *
 * A connection may have many requests in flight; handlers complete them in
 * any order (synchronously, or later from a purgatory, a long-poll timer or a
 * controller commit) and the connection writes responses strictly in request
 * order.  Everything decoded for the request lives in its arena and in its
 * frame buffer, both freed when the request is retired.
 */
#ifndef SLUICE_BROKER_REQUEST_H
#define SLUICE_BROKER_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "frame.h"

struct broker_api_table;
struct conn;
struct broker;

struct request {
    struct conn *conn;
    struct request *next; /* in the connection's in-order queue */
    struct broker *node;
    const struct broker_api_table *apis; /* of the listener the request arrived on */
    struct proto_req_header hdr;
    struct rbuf body; /* the request body after the header */
    uint8_t *frame;   /* owned: the whole frame without its size prefix */
    size_t frame_len;
    struct arena arena;
    struct proto_out out; /* encoded response frame once done */
    int64_t recv_us;      /* monotonic time the frame was read */
    bool done;
    bool no_response; /* acks=0: retire without writing anything */
    bool close_after; /* close the connection once this request retires */
};

/* Name of the listener the request arrived on (for Metadata's advertised endpoints). */
const char *request_listener_name(const struct request *req);

/*
 * Encodes `resp` (a struct of `schema`) as the response to req at the
 * request's API version, and completes the request.  The connection writes it
 * once every earlier request has been answered.  When the connection is
 * already gone the response is discarded.
 */
void request_respond(struct request *req, const struct proto_schema *schema, const void *resp);

/* Completes the request without a response (Produce with acks=0). */
void request_finish_silent(struct request *req);

/*
 * Completes the request by closing the connection once all earlier requests
 * are answered (Kafka's answer to unparseable requests and to acks=0 errors).
 */
void request_close_connection(struct request *req, const char *why);

/* The client's address as Kafka shows it in group descriptions ("/127.0.0.1"). */
const char *request_client_host(const struct request *req);

/* True when the client has gone away (async handlers may skip work). */
bool request_conn_closed(const struct request *req);

#endif
