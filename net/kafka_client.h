/*
 * An asynchronous Kafka-protocol client on the node's libevent loop, for the
 * RPCs nodes send each other (Raft's Vote/BeginQuorumEpoch/Fetch on the
 * CONTROLLER listener, broker registration and heartbeats, replica fetchers).
 *
 * One struct kc_conn is one TCP connection to one peer.  It connects lazily,
 * pipelines requests, matches responses by correlation id (Kafka answers in
 * order), decodes them with the caller's schema and calls back on the loop.
 * A request that times out closes the connection, as Kafka's NetworkClient
 * does; every pending request then completes with an error, and the next
 * send reconnects.
 *
 * Module net/ may use common/, protocol/ and libevent.
 */
#ifndef SLUICE_NET_KAFKA_CLIENT_H
#define SLUICE_NET_KAFKA_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "codec.h"

struct event_base;
struct kc_conn;

/*
 * Completion of one request.  err is 0 with `resp` pointing to the decoded
 * response struct, or a negative SL_E* code (SL_ECLOSED: connection lost or
 * closed; SL_ETIMEOUT; SL_ECORRUPT: undecodable response) with resp NULL.
 * resp and everything it points to live in `a`, freed when the callback
 * returns.
 */
typedef void (*kc_response_cb)(void *ctx, int err, const void *resp, struct arena *a);

/*
 * A connection to host:port (not opened until the first send).  client_id is
 * copied.  Responses larger than max_response_bytes close the connection.
 * Returns NULL only when host is not a valid host name (logged).
 */
struct kc_conn *kc_conn_new(struct event_base *base, const char *host, int port,
                            const char *client_id, int32_t max_response_bytes);

/* Closes the connection; pending requests complete with SL_ECLOSED before it returns. */
void kc_conn_free(struct kc_conn *c);

/* Closes the socket now (pending requests fail with SL_ECLOSED); the next send reconnects. */
void kc_conn_reset(struct kc_conn *c);

/*
 * Sends a request: `req` (a struct of req_schema) at `version`, with request
 * header v2 and flexible encoding when `flexible`, else header v1.  The
 * response is decoded as resp_schema at the same version (response header v1
 * when `flexible`, except for ApiVersions whose responses always use v0).  The callback runs
 * exactly once, never inside kc_send. Returns 0, or SL_EINVAL when the request cannot be encoded
 * (no callback).
 */
int kc_send(struct kc_conn *c, int16_t api_key, int16_t version, bool flexible,
            const struct proto_schema *req_schema, const void *req,
            const struct proto_schema *resp_schema, int32_t timeout_ms, kc_response_cb cb,
            void *ctx);

/* Requests sent and not yet answered. */
int kc_conn_inflight(const struct kc_conn *c);

/* True while a TCP connection is established. */
bool kc_conn_connected(const struct kc_conn *c);

#endif
