/*
 * Codec schemas for DescribeProducers (61), from Kafka's message definitions
 * (msg_describe_producers.h).
 */
#include "msg_describe_producers.h"

#include <stddef.h>

/* ---- request ---- */

PROTO_TOPIC_INDEXES_SCHEMA(describe_producers_req_topic_schema, struct describe_producers_req_topic,
                           name, partition_indexes);

static const struct proto_field describe_producers_req_fields[] = {
    PF_SARRAY(struct describe_producers_req, topics, describe_producers_req_topic_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_producers_req_schema, struct describe_producers_req,
             describe_producers_req_fields);

/* ---- response ---- */

static const struct proto_field describe_producers_resp_producer_fields[] = {
    PF_FIELD(struct describe_producers_resp_producer, producer_id, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct describe_producers_resp_producer, producer_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_producers_resp_producer, last_sequence, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_producers_resp_producer, last_timestamp, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct describe_producers_resp_producer, coordinator_epoch, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_producers_resp_producer, current_txn_start_offset, PF_INT64, 0,
             PROTO_VMAX),
};
static PROTO_SCHEMA(describe_producers_resp_producer_schema,
                    struct describe_producers_resp_producer,
                    describe_producers_resp_producer_fields);

static const struct proto_field describe_producers_resp_partition_fields[] = {
    PF_FIELD(struct describe_producers_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_producers_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_N(struct describe_producers_resp_partition, error_message, PF_STRING, 0, PROTO_VMAX,
               0),
    PF_SARRAY(struct describe_producers_resp_partition, active_producers,
              describe_producers_resp_producer_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(describe_producers_resp_partition_schema,
                    struct describe_producers_resp_partition,
                    describe_producers_resp_partition_fields);

PROTO_TOPIC_SCHEMA(describe_producers_resp_topic_schema, struct describe_producers_resp_topic, name,
                   partitions, describe_producers_resp_partition_schema);

static const struct proto_field describe_producers_resp_fields[] = {
    PF_FIELD(struct describe_producers_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_producers_resp, topics, describe_producers_resp_topic_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_producers_resp_schema, struct describe_producers_resp,
             describe_producers_resp_fields);
