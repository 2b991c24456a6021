/*
 * A small blocking Kafka client for the command-line tools (topic, produce,
 * consume).  It speaks the wire protocol through protocol/ (the same codec
 * tables the broker uses), so the tools double as protocol smoke tests.
 *
 * Every connection starts with ApiVersions (KIP-511: v3, falling back to the
 * version the broker names when it answers UNSUPPORTED_VERSION); each request
 * then uses the highest version both sides support.  Partition requests go to
 * the leader named by Metadata (one connection per node id).  Retriable
 * errors (NOT_LEADER_OR_FOLLOWER, LEADER_NOT_AVAILABLE,
 * UNKNOWN_TOPIC_OR_PARTITION right after creation, NOT_CONTROLLER, broken
 * connections, ...) refresh metadata and retry with a doubling backoff of 50
 * ms up to 1 s, within `retry_budget_ms`.
 *
 * Not thread-safe; one client per thread.  Errors: functions return 0 or a
 * negative SL_E* code and leave a one-line description in kclient_error();
 * when the broker answered with a Kafka error, kclient_last_kafka_error()
 * holds its code.
 */
#ifndef SLUICE_CMD_KCLIENT_H
#define SLUICE_CMD_KCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "messages.h"

struct kclient_conn;

struct kclient {
    char *client_id;
    int request_timeout_ms; /* per request, on top of a Fetch's max_wait_ms; default 30000 */
    int retry_budget_ms;    /* total time spent retrying one operation; default 15000 */
    char *boot_host;
    int boot_port;
    struct kclient_conn *conns; /* conns[0] is the bootstrap connection (node id -1) */
    size_t n_conns;
    int32_t next_correlation_id;
    /* Cached Metadata (from the last refresh); valid until the next refresh. */
    struct arena meta_arena;
    struct metadata_resp meta;
    bool have_meta;
    int16_t last_kerr;
    char err[512];
};

/*
 * Prepares a client for the bootstrap server "host:port" (or "[v6]:port");
 * nothing is connected yet.  Returns 0 or SL_EINVAL for a malformed address.
 * Free with kclient_free (also after a failure).
 */
int kclient_init(struct kclient *c, const char *bootstrap, const char *client_id);

/* Closes every connection and frees everything the client owns. */
void kclient_free(struct kclient *c);

/* The description of the last error (empty string when none). */
const char *kclient_error(const struct kclient *c);

/* The Kafka error code of the last failed broker answer (0 when the failure was local). */
int16_t kclient_last_kafka_error(const struct kclient *c);

/* ---- raw requests ---- */

/*
 * The version of api_key to use towards node_id (-1 = the bootstrap server):
 * the highest version both this client (protocol/api.h's accepted range) and
 * the broker (its ApiVersions answer) support.  Connects if needed.  Returns
 * the version (>= 0), SL_EUNSUPPORTED when there is no common version, or a
 * connection error.
 */
int kclient_version(struct kclient *c, int32_t node_id, int16_t api_key);

/*
 * Sends req (a struct <api>_req) as api_key at version to node_id and, when
 * resp is not NULL, waits up to timeout_ms (<= 0: request_timeout_ms) for the
 * answer and decodes it into resp (a struct <api>_resp) with strings and
 * arrays allocated in `a`; BYTES/RECORDS alias a buffer that is also owned
 * by `a`.  resp == NULL sends without waiting (Produce with acks=0).  On a
 * network failure the connection is closed (a later call reconnects).
 * Returns 0, SL_EIO / SL_ETIMEOUT / SL_ECLOSED (network), SL_ECORRUPT
 * (undecodable answer) or SL_EINVAL (req cannot be encoded at version).
 */
int kclient_send(struct kclient *c, int32_t node_id, int16_t api_key, int16_t version,
                 const void *req, void *resp, struct arena *a, int timeout_ms);

/* ---- metadata ---- */

/*
 * Refreshes the cached metadata: all topics when n_topics < 0, else the named
 * ones (auto_create asks the broker to create missing topics, Metadata v4+).
 * Returns 0 or an error (broker-level failures only: per-topic errors stay
 * in the cached topic entries).
 */
int kclient_metadata(struct kclient *c, const char *const *topics, int n_topics, bool auto_create);

/* The cached entry of topic name, or NULL. */
const struct metadata_resp_topic *kclient_topic(const struct kclient *c, const char *name);

/* The cached broker with node_id, or NULL. */
const struct metadata_resp_broker *kclient_broker(const struct kclient *c, int32_t node_id);

/*
 * Looks up topic in fresh metadata (refreshing and retrying while the topic
 * is unknown, has no partitions, or a partition has no leader, within the
 * retry budget) and returns its partition count in *n_partitions.  Returns 0,
 * SL_ENOTFOUND (still unknown: UNKNOWN_TOPIC_OR_PARTITION) or another error.
 */
int kclient_topic_wait(struct kclient *c, const char *topic, bool auto_create,
                       int32_t *n_partitions);

/* ---- partition operations (leader routing and retries included) ---- */

/*
 * Produces one record batch (built with rb_builder) to topic/partition with
 * the given acks (0, 1 or -1) and broker-side timeout.  *base_offset (may be
 * NULL) receives the offset of the first record (-1 with acks=0).  Returns 0
 * or an error; a non-retriable Kafka error (e.g. MESSAGE_TOO_LARGE) fails at
 * once.
 */
int kclient_produce(struct kclient *c, const char *topic, int32_t partition, const uint8_t *batch,
                    size_t len, int16_t acks, int32_t timeout_ms, int64_t *base_offset);

#define KCLIENT_LATEST   (-1LL)
#define KCLIENT_EARLIEST (-2LL)

/*
 * ListOffsets for one partition: timestamp KCLIENT_LATEST (the log end
 * offset), KCLIENT_EARLIEST (the log start offset) or a time in ms.
 * Returns 0 with *offset set, or an error.
 */
int kclient_list_offset(struct kclient *c, const char *topic, int32_t partition, int64_t timestamp,
                        int64_t *offset);

/* One partition's share of a fetch (input: partition, offset; output: the rest). */
struct kclient_fetch_part {
    int32_t partition;
    int64_t offset;
    int16_t error_code;     /* Kafka error of this partition (0 = records may be present) */
    int64_t high_watermark; /* -1 when unknown */
    const uint8_t *records; /* concatenated batches, in the arena; NULL/0 when none */
    size_t records_len;
};

/*
 * Fetches parts[0..n) of topic, which must all be led by node leader_id
 * (see kclient_leader), waiting up to max_wait_ms for min_bytes of data.
 * Fills each part's outputs, with records allocated in `a`.  Returns 0 when
 * the request got an answer (partition errors are in the parts), else an
 * error.  No retries: the caller refreshes metadata on partition errors.
 */
int kclient_fetch(struct kclient *c, int32_t leader_id, const char *topic,
                  struct kclient_fetch_part *parts, int n, int32_t max_wait_ms, int32_t max_bytes,
                  struct arena *a);

/* The cached leader of topic/partition, or -1 when unknown or leaderless. */
int32_t kclient_leader(const struct kclient *c, const char *topic, int32_t partition);

/* ---- admin ---- */

struct kclient_config_kv {
    const char *name;
    const char *value;
};

/*
 * Creates a topic (partitions / replication_factor -1 = the broker's
 * defaults, CreateTopics v4+; older brokers get 1) with configs, waiting up
 * to timeout_ms on the broker side.  Retries NOT_CONTROLLER and network
 * errors.  Returns 0, SL_EEXISTS (TOPIC_ALREADY_EXISTS) or an error.
 */
int kclient_create_topic(struct kclient *c, const char *name, int32_t partitions,
                         int16_t replication_factor, const struct kclient_config_kv *configs,
                         int n_configs, int32_t timeout_ms);

/* Deletes a topic by name.  Returns 0, SL_ENOTFOUND or an error. */
int kclient_delete_topic(struct kclient *c, const char *name, int32_t timeout_ms);

/*
 * DescribeConfigs for one topic: the configs whose source is a dynamic topic
 * override (what kafka-topics --describe prints), as "k=v" joined by ','
 * in a string allocated in `a` (empty when none).  Returns 0 or an error.
 */
int kclient_topic_configs(struct kclient *c, const char *topic, struct arena *a, char **out);

/* ---- partitioning ---- */

/* Kafka's murmur2 (Utils.murmur2: seed 0x9747b28c) of data[0..len). */
int32_t kclient_murmur2(const void *data, size_t len);

/*
 * The partition the Java producer's default partitioner picks for a
 * non-null key: toPositive(murmur2(key)) % n_partitions (KIP-480 keeps this
 * for keyed records).
 */
int32_t kclient_partition_for_key(const void *key, size_t len, int32_t n_partitions);

#endif
