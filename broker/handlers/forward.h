/*
 * Forwarding of metadata-changing requests to the active controller: a
 * broker that is not the active controller sends CreateTopics, DeleteTopics
 * and CreatePartitions on to it (to its CONTROLLER listener, which serves
 * them, KIP-919) and answers the client with the controller's answer, as
 * KRaft brokers do (KIP-590 forwarding).
 */
#ifndef SLUICE_BROKER_FORWARD_H
#define SLUICE_BROKER_FORWARD_H

#include <stdbool.h>

#include "codec.h"

struct kc_conn;
struct broker;
struct request;

/*
 * The connection to the active controller's CONTROLLER listener (opened
 * lazily, replaced when leadership moves), or NULL when no other node is
 * known to be the active controller.  Owned by the node.
 */
struct kc_conn *forward_controller_conn(struct broker *n);

/*
 * Sends the decoded request `body` (of req's API and version, living in req's
 * arena) to the active controller and completes `req` with its response.
 * While no active controller is known, and when the controller answers
 * NOT_CONTROLLER (elected but not yet active, or deposed), the request is
 * held and sent again once one is (forward_retry_held), within
 * FORWARD_TIMEOUT_MS; after that the connection is closed so the client
 * retries, as with a controller lost mid-request (Kafka's
 * BrokerToControllerRequestThread).  The caller calls this only when this
 * node is not the active controller.  Returns false (and does nothing) when
 * the controller listener does not serve this API version; the caller then
 * answers NOT_CONTROLLER itself.
 */
bool forward_to_controller(struct request *req, const struct proto_schema *req_schema,
                           const void *body, const struct proto_schema *resp_schema);

/*
 * Sends the held forwarded requests once a controller is known (to this
 * node's own CONTROLLER listener when it is the one), and gives up on those
 * past their deadline.  Called from the node's tick and on leader changes.
 */
void forward_retry_held(struct broker *n);

/*
 * Asks the active controller to create `topic` with the broker defaults
 * (Metadata auto-creation on a broker that is not the controller).  The
 * answer is not awaited; returns false when no controller is known.
 */
bool forward_auto_create(struct broker *n, const char *topic);

/* Closes the connection to the controller (shutdown). */
void forward_close(struct broker *n);

#endif
