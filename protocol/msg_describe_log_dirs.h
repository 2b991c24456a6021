/*
 * C structs and codec schemas for DescribeLogDirs (key 35, versions 0-4,
 * flexible from 2; KIP-113, KIP-784 added the top-level error_code in v3,
 * KIP-827 total_bytes/usable_bytes in v4).  Field names follow Kafka's
 * message JSON in snake_case.
 */
#ifndef SLUICE_MSG_DESCRIBE_LOG_DIRS_H
#define SLUICE_MSG_DESCRIBE_LOG_DIRS_H

#include <stdbool.h>
#include <stdint.h>

#include "codec.h"

/* DescribeLogDirs' API key (kafka.h's enum lists the keys served before it). */
#define PROTO_API_DESCRIBE_LOG_DIRS 35

/* DescribableLogDirTopic. */
struct describe_log_dirs_req_topic {
    struct kstr topic;
    KARR(int32_t) partitions;
};

/* topics nullable in every version (n < 0: every hosted partition). */
struct describe_log_dirs_req {
    KARR(struct describe_log_dirs_req_topic) topics;
};

/* DescribeLogDirsPartition. */
struct describe_log_dirs_resp_partition {
    int32_t partition_index;
    int64_t partition_size;
    int64_t offset_lag;
    bool is_future_key;
};

/* DescribeLogDirsTopic. */
struct describe_log_dirs_resp_topic {
    struct kstr name;
    KARR(struct describe_log_dirs_resp_partition) partitions;
};

/* DescribeLogDirsResult.  total_bytes, usable_bytes: v4+, default -1. */
struct describe_log_dirs_resp_result {
    int16_t error_code;
    struct kstr log_dir;
    KARR(struct describe_log_dirs_resp_topic) topics;
    int64_t total_bytes;
    int64_t usable_bytes;
};

/* error_code: v3+. */
struct describe_log_dirs_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    KARR(struct describe_log_dirs_resp_result) results;
};

extern const struct proto_schema proto_describe_log_dirs_req_schema,
    proto_describe_log_dirs_resp_schema;

#endif
