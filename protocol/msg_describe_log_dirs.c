/*
 * Codec schemas for DescribeLogDirs (35), from Kafka's message definitions
 * (msg_describe_log_dirs.h).
 */
#include "msg_describe_log_dirs.h"

#include <stddef.h>

/* ---- request ---- */

PROTO_TOPIC_INDEXES_SCHEMA(describe_log_dirs_req_topic_schema, struct describe_log_dirs_req_topic,
                           topic, partitions);

static const struct proto_field describe_log_dirs_req_fields[] = {
    PF_SARRAY_N(struct describe_log_dirs_req, topics, describe_log_dirs_req_topic_schema, 0,
                PROTO_VMAX, 0),
};
PROTO_SCHEMA(proto_describe_log_dirs_req_schema, struct describe_log_dirs_req,
             describe_log_dirs_req_fields);

/* ---- response ---- */

static const struct proto_field describe_log_dirs_resp_partition_fields[] = {
    PF_FIELD(struct describe_log_dirs_resp_partition, partition_index, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_log_dirs_resp_partition, partition_size, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct describe_log_dirs_resp_partition, offset_lag, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD(struct describe_log_dirs_resp_partition, is_future_key, PF_BOOL, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(describe_log_dirs_resp_partition_schema,
                    struct describe_log_dirs_resp_partition,
                    describe_log_dirs_resp_partition_fields);

PROTO_TOPIC_SCHEMA(describe_log_dirs_resp_topic_schema, struct describe_log_dirs_resp_topic, name,
                   partitions, describe_log_dirs_resp_partition_schema);

static const struct proto_field describe_log_dirs_resp_result_fields[] = {
    PF_FIELD(struct describe_log_dirs_resp_result, error_code, PF_INT16, 0, PROTO_VMAX),
    PF_FIELD(struct describe_log_dirs_resp_result, log_dir, PF_STRING, 0, PROTO_VMAX),
    PF_SARRAY(struct describe_log_dirs_resp_result, topics, describe_log_dirs_resp_topic_schema, 0,
              PROTO_VMAX),
    PF_FIELD_D(struct describe_log_dirs_resp_result, total_bytes, PF_INT64, 4, PROTO_VMAX, -1),
    PF_FIELD_D(struct describe_log_dirs_resp_result, usable_bytes, PF_INT64, 4, PROTO_VMAX, -1),
};
static PROTO_SCHEMA(describe_log_dirs_resp_result_schema, struct describe_log_dirs_resp_result,
                    describe_log_dirs_resp_result_fields);

static const struct proto_field describe_log_dirs_resp_fields[] = {
    PF_FIELD(struct describe_log_dirs_resp, throttle_time_ms, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct describe_log_dirs_resp, error_code, PF_INT16, 3, PROTO_VMAX),
    PF_SARRAY(struct describe_log_dirs_resp, results, describe_log_dirs_resp_result_schema, 0,
              PROTO_VMAX),
};
PROTO_SCHEMA(proto_describe_log_dirs_resp_schema, struct describe_log_dirs_resp,
             describe_log_dirs_resp_fields);
