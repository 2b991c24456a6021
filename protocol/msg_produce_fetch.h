/*
 * C structs and codec schemas for the data-path APIs: Produce (key 0,
 * versions 0-9, flexible from 9), Fetch (key 1, versions 4-12, flexible from
 * 12) and InitProducerId (key 22, versions 0-4, flexible from 2).
 *
 * Field names follow Kafka's message JSON in snake_case.  The comment on each
 * struct gives the version range of every field that does not exist in all
 * the versions we serve; a field absent in the decoded version holds Kafka's
 * default (-1 where Kafka says so, otherwise 0 / false / null).  Encoders skip
 * fields absent in the version being written.
 */
#ifndef SLUICE_MSG_PRODUCE_FETCH_H
#define SLUICE_MSG_PRODUCE_FETCH_H

#include "codec.h"

/* ---- Produce (0) request ---- */

/* PartitionProduceData.  records: nullable RECORDS (v2 batches from v3). */
struct produce_req_partition {
    int32_t index;
    struct kbytes records;
};

/* TopicProduceData. */
struct produce_req_topic {
    struct kstr name;
    KARR(struct produce_req_partition) partition_data;
};

/* transactional_id: v3+, nullable (null below v3).  acks 0, 1 or -1 (all). */
struct produce_req {
    struct kstr transactional_id;
    int16_t acks;
    int32_t timeout_ms;
    KARR(struct produce_req_topic) topic_data;
};

/* ---- Produce (0) response ---- */

/* BatchIndexAndErrorMessage (v8+).  batch_index_error_message nullable. */
struct produce_resp_batch_error {
    int32_t batch_index;
    struct kstr batch_index_error_message;
};

/*
 * PartitionProduceResponse.  log_append_time_ms v2+ (default -1),
 * log_start_offset v5+ (default -1), record_errors and error_message
 * (nullable) v8+.
 */
struct produce_resp_partition {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms;
    int64_t log_start_offset;
    KARR(struct produce_resp_batch_error) record_errors;
    struct kstr error_message;
};

/* TopicProduceResponse. */
struct produce_resp_topic {
    struct kstr name;
    KARR(struct produce_resp_partition) partition_responses;
};

/* throttle_time_ms v1+ (on the wire after the responses array). */
struct produce_resp {
    KARR(struct produce_resp_topic) responses;
    int32_t throttle_time_ms;
};

/* ---- Fetch (1) request ---- */

/*
 * FetchPartition.  current_leader_epoch v9+ (default -1), last_fetched_epoch
 * v12+ (default -1), log_start_offset v5+ (default -1; only followers set it).
 */
struct fetch_req_partition {
    int32_t partition;
    int32_t current_leader_epoch;
    int64_t fetch_offset;
    int32_t last_fetched_epoch;
    int64_t log_start_offset;
    int32_t partition_max_bytes;
};

/* FetchTopic (by name up to v12). */
struct fetch_req_topic {
    struct kstr topic;
    KARR(struct fetch_req_partition) partitions;
};

/* ForgottenTopic (v7+): partitions to drop from an incremental session (KIP-227). */
struct fetch_req_forgotten_topic {
    struct kstr topic;
    KARR(int32_t) partitions;
};

/*
 * cluster_id: v12+ tagged field 0, nullable (null when absent).
 * replica_id: -1 for consumers, the broker id for followers (default -1).
 * max_bytes v3+ (default 0x7fffffff), isolation_level v4+ (0 read
 * uncommitted, 1 read committed), session_id / session_epoch v7+ (defaults 0
 * / -1), forgotten_topics_data v7+, rack_id v11+ (Kafka's default is "": a
 * null kstr below v11 means the empty rack).
 */
struct fetch_req {
    struct kstr cluster_id;
    int32_t replica_id;
    int32_t max_wait_ms;
    int32_t min_bytes;
    int32_t max_bytes;
    int8_t isolation_level;
    int32_t session_id;
    int32_t session_epoch;
    KARR(struct fetch_req_topic) topics;
    KARR(struct fetch_req_forgotten_topic) forgotten_topics_data;
    struct kstr rack_id;
};

/* ---- Fetch (1) response ---- */

/* EpochEndOffset: the diverging epoch of a follower (KIP-595, v12+ tag 0). */
struct fetch_resp_epoch_end_offset {
    int32_t epoch;
    int64_t end_offset;
};

/* LeaderIdAndEpoch (v12+ tag 1). */
struct fetch_resp_leader_id_and_epoch {
    int32_t leader_id;
    int32_t leader_epoch;
};

/* SnapshotId (v12+ tag 2): the snapshot a fetcher must load (KIP-630). */
struct fetch_resp_snapshot_id {
    int64_t end_offset;
    int32_t epoch;
};

/* AbortedTransaction (v4+). */
struct fetch_resp_aborted_transaction {
    int64_t producer_id;
    int64_t first_offset;
};

/*
 * PartitionData.  last_stable_offset v4+ (default -1), log_start_offset v5+
 * (default -1), aborted_transactions v4+ nullable, preferred_read_replica
 * v11+ (default -1), records nullable (may reference a file slice on encode).
 * Tagged v12+: diverging_epoch (tag 0), current_leader (tag 1), snapshot_id
 * (tag 2); each is written only when it differs from Kafka's default (all
 * fields -1) and reads as all -1 when absent.  A zero-filled partition would
 * therefore send diverging epoch 0 / end offset 0, which a follower or Java
 * consumer takes for a real divergence: start every partition with
 * proto_fetch_resp_partition_init().
 */
struct fetch_resp_partition {
    int32_t partition_index;
    int16_t error_code;
    int64_t high_watermark;
    int64_t last_stable_offset;
    int64_t log_start_offset;
    struct fetch_resp_epoch_end_offset diverging_epoch;
    struct fetch_resp_leader_id_and_epoch current_leader;
    struct fetch_resp_snapshot_id snapshot_id;
    KARR(struct fetch_resp_aborted_transaction) aborted_transactions;
    int32_t preferred_read_replica;
    struct kbytes records;
};

/* FetchableTopicResponse (by name up to v12). */
struct fetch_resp_topic {
    struct kstr topic;
    KARR(struct fetch_resp_partition) partitions;
};

/* error_code and session_id v7+ (session_id 0 = no session, KIP-227). */
struct fetch_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int32_t session_id;
    KARR(struct fetch_resp_topic) responses;
};

/* ---- InitProducerId (22) ---- */

/*
 * transactional_id nullable (null for an idempotent producer);
 * producer_id / producer_epoch v3+ (default -1, KIP-360).
 */
struct init_producer_id_req {
    struct kstr transactional_id;
    int32_t transaction_timeout_ms;
    int64_t producer_id;
    int16_t producer_epoch;
};

struct init_producer_id_resp {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id;
    int16_t producer_epoch;
};

/*
 * Sets every field of p to Kafka's default for a Fetch response partition:
 * last_stable_offset, log_start_offset, preferred_read_replica and the three
 * tagged structs to -1; aborted_transactions null (as Kafka sends for
 * read_uncommitted); records empty (not null, as Kafka sends for a partition
 * without data); everything else zero.  The handler then fills in the rest.
 */
void proto_fetch_resp_partition_init(struct fetch_resp_partition *p);

extern const struct proto_schema proto_produce_req_schema, proto_produce_resp_schema;
extern const struct proto_schema proto_fetch_req_schema, proto_fetch_resp_schema;
extern const struct proto_schema proto_init_producer_id_req_schema,
    proto_init_producer_id_resp_schema;

#endif
