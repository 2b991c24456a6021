/*
 * Codec schemas for Produce (0), Fetch (1) and InitProducerId (22): one
 * field table per struct level, transcribed from the version ranges of
 * Kafka's ProduceRequest/Response, FetchRequest/Response and
 * InitProducerIdRequest/Response message definitions for the versions we
 * serve (see notes/versions.md).  Fields that exist only above our highest
 * version are left out.
 */
#include "msg_produce_fetch.h"

/* ---- Produce request ---- */

static const struct proto_field produce_req_partition_fields[] = {
    PF_FIELD(struct produce_req_partition, index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_N(struct produce_req_partition, records, PF_RECORDS, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(produce_req_partition_schema, struct produce_req_partition,
                    produce_req_partition_fields);

PROTO_TOPIC_SCHEMA(produce_req_topic_schema, struct produce_req_topic, name, partition_data,
                   produce_req_partition_schema);

static const struct proto_field produce_req_fields[] = {
    PF_FIELD_N(struct produce_req, transactional_id, PF_STRING, 3, PROTO_VMAX, 3),
    PF_FIELD(struct produce_req, acks, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct produce_req, timeout_ms, PF_INT32, 0, PROTO_VMAX),
    PF_SARRAY(struct produce_req, topic_data, produce_req_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_produce_req_schema, struct produce_req, produce_req_fields);

/* ---- Produce response ---- */

static const struct proto_field produce_resp_batch_error_fields[] = {
    PF_FIELD(struct produce_resp_batch_error, batch_index, PF_INT32, 8, PROTO_VMAX),
    PF_FIELD_N(struct produce_resp_batch_error, batch_index_error_message, PF_STRING, 8, PROTO_VMAX,
               8),
};
static PROTO_SCHEMA(produce_resp_batch_error_schema, struct produce_resp_batch_error,
                    produce_resp_batch_error_fields);

static const struct proto_field produce_resp_partition_fields[] = {
    PF_FIELD(struct produce_resp_partition, index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct produce_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct produce_resp_partition, base_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct produce_resp_partition, log_append_time_ms, PF_INT64, 2, PROTO_VMAX, -1),
    PF_FIELD_D(struct produce_resp_partition, log_start_offset, PF_INT64, 5, PROTO_VMAX, -1),
    PF_SARRAY(struct produce_resp_partition, record_errors, produce_resp_batch_error_schema, 8,
              PROTO_VMAX),
    PF_FIELD_N(struct produce_resp_partition, error_message, PF_STRING, 8, PROTO_VMAX, 8),
};
static PROTO_SCHEMA(produce_resp_partition_schema, struct produce_resp_partition,
                    produce_resp_partition_fields);

PROTO_TOPIC_SCHEMA(produce_resp_topic_schema, struct produce_resp_topic, name, partition_responses,
                   produce_resp_partition_schema);

static const struct proto_field produce_resp_fields[] = {
    PF_SARRAY(struct produce_resp, responses, produce_resp_topic_schema, 0, PROTO_VMAX),
    PF_FIELD(struct produce_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
};
PROTO_SCHEMA(proto_produce_resp_schema, struct produce_resp, produce_resp_fields);

/* ---- Fetch request ---- */

static const struct proto_field fetch_req_partition_fields[] = {
    PF_FIELD(struct fetch_req_partition, partition, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct fetch_req_partition, current_leader_epoch, PF_INT32, 9, PROTO_VMAX, -1),
    PF_FIELD(struct fetch_req_partition, fetch_offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct fetch_req_partition, last_fetched_epoch, PF_INT32, 12, PROTO_VMAX, -1),
    PF_FIELD_D(struct fetch_req_partition, log_start_offset, PF_INT64, 5, PROTO_VMAX, -1),
    PF_FIELD(struct fetch_req_partition, partition_max_bytes, PF_INT32, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fetch_req_partition_schema, struct fetch_req_partition,
                    fetch_req_partition_fields);

static const struct proto_field fetch_req_topic_fields[] = {
    PF_FIELD(struct fetch_req_topic, topic, PF_STRING, 0, 12),
    PF_SARRAY(struct fetch_req_topic, partitions, fetch_req_partition_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fetch_req_topic_schema, struct fetch_req_topic, fetch_req_topic_fields);

static const struct proto_field fetch_req_forgotten_topic_fields[] = {
    PF_FIELD(struct fetch_req_forgotten_topic, topic, PF_STRING, 7, 12),
    PF_ARRAYF(struct fetch_req_forgotten_topic, partitions, PF_INT32, 7, PROTO_VMAX),
};
static PROTO_SCHEMA(fetch_req_forgotten_topic_schema, struct fetch_req_forgotten_topic,
                    fetch_req_forgotten_topic_fields);

static const struct proto_field fetch_req_fields[] = {
    {.name = "cluster_id",
     .type = PF_STRING,
     .vmin = 12,
     .vmax = PROTO_VMAX,
     .null_vmin = 12,
     .tag = 0,
     .offset = offsetof(struct fetch_req, cluster_id)},
    PF_FIELD_D(struct fetch_req, replica_id, PF_INT32, 0, 14, -1),
    PF_FIELD(struct fetch_req, max_wait_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_req, min_bytes, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct fetch_req, max_bytes, PF_INT32, 3, PROTO_VMAX, 0x7fffffff),
    PF_FIELD_D(struct fetch_req, isolation_level, PF_INT8, 4, PROTO_VMAX, 0),
    PF_FIELD_D(struct fetch_req, session_id, PF_INT32, 7, PROTO_VMAX, 0),
    PF_FIELD_D(struct fetch_req, session_epoch, PF_INT32, 7, PROTO_VMAX, -1),
    PF_SARRAY(struct fetch_req, topics, fetch_req_topic_schema, 0, PROTO_VMAX),
    PF_SARRAY(struct fetch_req, forgotten_topics_data, fetch_req_forgotten_topic_schema, 7,
              PROTO_VMAX),
    PF_FIELD(struct fetch_req, rack_id, PF_STRING, 11, PROTO_VMAX),
};
PROTO_SCHEMA(proto_fetch_req_schema, struct fetch_req, fetch_req_fields);

/* ---- Fetch response ---- */

static const struct proto_field fetch_resp_epoch_end_offset_fields[] = {
    PF_FIELD_D(struct fetch_resp_epoch_end_offset, epoch, PF_INT32, 12, PROTO_VMAX, -1),
    PF_FIELD_D(struct fetch_resp_epoch_end_offset, end_offset, PF_INT64, 12, PROTO_VMAX, -1),
};
static PROTO_SCHEMA(fetch_resp_epoch_end_offset_schema, struct fetch_resp_epoch_end_offset,
                    fetch_resp_epoch_end_offset_fields);

static const struct proto_field fetch_resp_leader_id_and_epoch_fields[] = {
    PF_FIELD_D(struct fetch_resp_leader_id_and_epoch, leader_id, PF_INT32, 12, PROTO_VMAX, -1),
    PF_FIELD_D(struct fetch_resp_leader_id_and_epoch, leader_epoch, PF_INT32, 12, PROTO_VMAX, -1),
};
static PROTO_SCHEMA(fetch_resp_leader_id_and_epoch_schema, struct fetch_resp_leader_id_and_epoch,
                    fetch_resp_leader_id_and_epoch_fields);

static const struct proto_field fetch_resp_snapshot_id_fields[] = {
    PF_FIELD_D(struct fetch_resp_snapshot_id, end_offset, PF_INT64, 0, PROTO_VMAX, -1),
    PF_FIELD_D(struct fetch_resp_snapshot_id, epoch, PF_INT32, 0, PROTO_VMAX, -1),
};
static PROTO_SCHEMA(fetch_resp_snapshot_id_schema, struct fetch_resp_snapshot_id,
                    fetch_resp_snapshot_id_fields);

static const struct proto_field fetch_resp_aborted_transaction_fields[] = {
    PF_FIELD(struct fetch_resp_aborted_transaction, producer_id, PF_INT64, 4, PROTO_VMAX),
    PF_FIELD(struct fetch_resp_aborted_transaction, first_offset, PF_INT64, 4, PROTO_VMAX),
};
static PROTO_SCHEMA(fetch_resp_aborted_transaction_schema, struct fetch_resp_aborted_transaction,
                    fetch_resp_aborted_transaction_fields);

/* A tagged struct field: PF_STRUCTF plus a tag. */
#define PF_TAGGED_STRUCT(ST, F, SUB, V0, V1, TAG)                                                  \
    {                                                                                              \
        .name = #F, .type = PF_STRUCT, .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX,        \
        .tag = (TAG), .offset = offsetof(ST, F), .sub = &(SUB)                                     \
    }

static const struct proto_field fetch_resp_partition_fields[] = {
    PF_FIELD(struct fetch_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_resp_partition, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct fetch_resp_partition, high_watermark, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct fetch_resp_partition, last_stable_offset, PF_INT64, 4, PROTO_VMAX, -1),
    PF_FIELD_D(struct fetch_resp_partition, log_start_offset, PF_INT64, 5, PROTO_VMAX, -1),
    PF_TAGGED_STRUCT(struct fetch_resp_partition, diverging_epoch,
                     fetch_resp_epoch_end_offset_schema, 12, PROTO_VMAX, 0),
    PF_TAGGED_STRUCT(struct fetch_resp_partition, current_leader,
                     fetch_resp_leader_id_and_epoch_schema, 12, PROTO_VMAX, 1),
    PF_TAGGED_STRUCT(struct fetch_resp_partition, snapshot_id, fetch_resp_snapshot_id_schema, 12,
                     PROTO_VMAX, 2),
    PF_SARRAY_N(struct fetch_resp_partition, aborted_transactions,
                fetch_resp_aborted_transaction_schema, 4, PROTO_VMAX, 4),
    PF_FIELD_D(struct fetch_resp_partition, preferred_read_replica, PF_INT32, 11, PROTO_VMAX, -1),
    PF_FIELD_N(struct fetch_resp_partition, records, PF_RECORDS, 0, PROTO_VMAX, 0),
};
static PROTO_SCHEMA(fetch_resp_partition_schema, struct fetch_resp_partition,
                    fetch_resp_partition_fields);

void proto_fetch_resp_partition_init(struct fetch_resp_partition *p)
{
    *p = (struct fetch_resp_partition){
        .last_stable_offset = -1,
        .log_start_offset = -1,
        .diverging_epoch = {.epoch = -1, .end_offset = -1},
        .current_leader = {.leader_id = -1, .leader_epoch = -1},
        .snapshot_id = {.end_offset = -1, .epoch = -1},
        .aborted_transactions = {.n = -1},
        .preferred_read_replica = -1,
    };
}

static const struct proto_field fetch_resp_topic_fields[] = {
    PF_FIELD(struct fetch_resp_topic, topic, PF_STRING, 0, 12),
    PF_SARRAY(struct fetch_resp_topic, partitions, fetch_resp_partition_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(fetch_resp_topic_schema, struct fetch_resp_topic, fetch_resp_topic_fields);

static const struct proto_field fetch_resp_fields[] = {
    PF_FIELD(struct fetch_resp, throttle_time_ms, PF_INT32, 1, PROTO_VMAX),
    PF_FIELD(struct fetch_resp, error_code, PF_INT16, 7, PROTO_VMAX),
    PF_FIELD_D(struct fetch_resp, session_id, PF_INT32, 7, PROTO_VMAX, 0),
    PF_SARRAY(struct fetch_resp, responses, fetch_resp_topic_schema, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_fetch_resp_schema, struct fetch_resp, fetch_resp_fields);

/* ---- InitProducerId ---- */

static const struct proto_field init_producer_id_req_fields[] = {
    PF_FIELD_N(struct init_producer_id_req, transactional_id, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD(struct init_producer_id_req, transaction_timeout_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_D(struct init_producer_id_req, producer_id, PF_INT64, 3, PROTO_VMAX, -1),
    PF_FIELD_D(struct init_producer_id_req, producer_epoch, PF_INT16, 3, PROTO_VMAX, -1),
};
PROTO_SCHEMA(proto_init_producer_id_req_schema, struct init_producer_id_req,
             init_producer_id_req_fields);

static const struct proto_field init_producer_id_resp_fields[] = {
    PF_FIELD(struct init_producer_id_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct init_producer_id_resp, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD_D(struct init_producer_id_resp, producer_id, PF_INT64, 0, PROTO_VMAX, -1),
    PF_FIELD(struct init_producer_id_resp, producer_epoch, PF_INT16, 0, PROTO_VMAX),
};
PROTO_SCHEMA(proto_init_producer_id_resp_schema, struct init_producer_id_resp,
             init_producer_id_resp_fields);
