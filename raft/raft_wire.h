/*
 * Conversions between the Raft core's messages (raft.h) and Kafka's wire
 * messages for them on the CONTROLLER listener: Vote (52, KIP-595/KIP-996),
 * BeginQuorumEpoch (53), EndQuorumEpoch (54), Fetch (1) on
 * __cluster_metadata-0 and FetchSnapshot (59, KIP-630).  Part of the raft io
 * glue (may use protocol/).
 */
#ifndef SLUICE_RAFT_WIRE_H
#define SLUICE_RAFT_WIRE_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "codec.h"
#include "raft.h"

#define RAFT_WIRE_TOPIC "__cluster_metadata"

/* How one request travels: its API, version, encoding and schemas. */
struct raft_wire_call {
    int16_t api_key;
    int16_t version;
    bool flexible;
    const struct proto_schema *req_schema;
    const struct proto_schema *resp_schema;
    void *req; /* in the arena */
};

/*
 * Builds the wire request for a core request message (Vote, BeginQuorumEpoch,
 * EndQuorumEpoch, Fetch, FetchSnapshot).  Everything is allocated in `a`.
 * Returns 0 or SL_EINVAL (not a request type).
 */
int raft_wire_request(const struct raft_msg *m, const char *cluster_id, struct arena *a,
                      struct raft_wire_call *out);

/*
 * Turns the wire response to `call` from node `from` into the core's response
 * message (type, from, to and rid filled in).  Entries and chunks point into
 * `resp` and `a`.  Returns 0 or SL_ECORRUPT (missing partition, undecodable
 * records).
 */
int raft_wire_response_to_msg(const struct raft_wire_call *call, const void *resp, int32_t from,
                              int32_t to, uint64_t rid, struct arena *a, struct raft_msg *out);

/*
 * Turns an inbound wire request (already decoded as api_key/version) into the
 * core's request message addressed to `self`.  Returns 0; SL_EINVAL when it
 * does not concern __cluster_metadata-0 or misses its partition (the caller
 * answers with *kafka_error); SL_ENOTFOUND for an API the core does not take.
 */
int raft_wire_request_to_msg(int16_t api_key, int16_t version, const void *req, int32_t self,
                             const char *cluster_id, struct arena *a, struct raft_msg *out,
                             int16_t *kafka_error);

/* Whether a DescribeQuorum request names exactly __cluster_metadata-0. */
bool raft_wire_describe_quorum_ok(const void *describe_quorum_req);

/*
 * Builds the wire response for api_key from the core's response message, or
 * an error response carrying `kafka_error` when m is NULL.  *resp is in `a`;
 * *schema is the response schema.
 */
int raft_wire_response(int16_t api_key, const struct raft_msg *m, int16_t kafka_error,
                       struct arena *a, void **resp, const struct proto_schema **schema);

/* Kafka error code for a core result, and back. */
int16_t raft_wire_error_code(enum raft_error e);
enum raft_error raft_wire_error_from_code(int16_t code);

#endif
