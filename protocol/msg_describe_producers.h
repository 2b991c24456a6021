/*
 * C structs and codec schemas for DescribeProducers (key 61, version 0,
 * flexible; KIP-664).  Field names follow Kafka's message JSON in
 * snake_case.
 */
#ifndef SLUICE_MSG_DESCRIBE_PRODUCERS_H
#define SLUICE_MSG_DESCRIBE_PRODUCERS_H

#include <stdint.h>

#include "codec.h"

/* DescribeProducers' API key (kafka.h's enum lists the keys served before it). */
#define PROTO_API_DESCRIBE_PRODUCERS 61

/* TopicRequest. */
struct describe_producers_req_topic {
    struct kstr name;
    KARR(int32_t) partition_indexes;
};

struct describe_producers_req {
    KARR(struct describe_producers_req_topic) topics;
};

/* ProducerState.  last_sequence, last_timestamp, current_txn_start_offset: -1 when unknown. */
struct describe_producers_resp_producer {
    int64_t producer_id;
    int32_t producer_epoch;
    int32_t last_sequence;
    int64_t last_timestamp;
    int32_t coordinator_epoch;
    int64_t current_txn_start_offset;
};

/* PartitionResponse.  error_message nullable. */
struct describe_producers_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    struct kstr error_message;
    KARR(struct describe_producers_resp_producer) active_producers;
};

/* TopicResponse. */
struct describe_producers_resp_topic {
    struct kstr name;
    KARR(struct describe_producers_resp_partition) partitions;
};

struct describe_producers_resp {
    int32_t throttle_time_ms;
    KARR(struct describe_producers_resp_topic) topics;
};

extern const struct proto_schema proto_describe_producers_req_schema,
    proto_describe_producers_resp_schema;

#endif
