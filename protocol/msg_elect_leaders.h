/*
 * C struct and codec schemas for ElectLeaders (key 43, versions 0-2,
 * flexible from 2; KIP-183, KIP-460 added election_type in v1).  Field
 * names follow Kafka's message JSON in snake_case.
 *
 * Sluice extension: a leadership transfer to a chosen replica travels
 * between Sluice nodes as ElectLeaders v2 with election_type
 * PROTO_ELECTION_TARGET (2, not a Kafka value, so a controller that does
 * not know it answers INVALID_REQUEST instead of electing someone else) and
 * the node id in the request's tagged field PROTO_ELECT_LEADERS_TAG_TARGET
 * (ignored by every Kafka parser, KIP-482).
 */
#ifndef SLUICE_MSG_ELECT_LEADERS_H
#define SLUICE_MSG_ELECT_LEADERS_H

#include <stdint.h>

#include "codec.h"

/* ElectLeaders' API key (kafka.h's enum lists the keys served before it). */
#define PROTO_API_ELECT_LEADERS 43

/* Kafka's ElectionType values and Sluice's targeted transfer (see above). */
#define PROTO_ELECTION_PREFERRED 0
#define PROTO_ELECTION_UNCLEAN   1
#define PROTO_ELECTION_TARGET    2

/* The tag of the request's target_leader field (v2+, Sluice's own). */
#define PROTO_ELECT_LEADERS_TAG_TARGET 10000

/* TopicPartitions. */
struct elect_leaders_req_topic {
    struct kstr topic;
    KARR(int32_t) partitions;
};

/*
 * election_type: v1+ (v0 means preferred, the default 0).  topic_partitions
 * nullable (n < 0: every partition).  timeout_ms default 60000.
 * target_leader: tagged (v2+), -1 when absent.
 */
struct elect_leaders_req {
    int8_t election_type;
    KARR(struct elect_leaders_req_topic) topic_partitions;
    int32_t timeout_ms;
    int32_t target_leader;
};

/* PartitionResult.  error_message nullable. */
struct elect_leaders_resp_partition {
    int32_t partition_id;
    int16_t error_code;
    struct kstr error_message;
};

/* ReplicaElectionResult. */
struct elect_leaders_resp_topic {
    struct kstr topic;
    KARR(struct elect_leaders_resp_partition) partition_result;
};

/* error_code: v1+. */
struct elect_leaders_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    KARR(struct elect_leaders_resp_topic) replica_election_results;
};

extern const struct proto_schema proto_elect_leaders_req_schema, proto_elect_leaders_resp_schema;

#endif
