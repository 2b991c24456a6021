/*
 * The node's static configuration: every key Sluice understands, with Apache
 * Kafka's names and defaults, described once in a table (broker_config.c)
 * that drives parsing, validation, documentation and DescribeConfigs.
 *
 * Values come from, in increasing precedence: built-in defaults, the
 * properties file (`-c FILE`), SLUICE_* environment variables
 * (SLUICE_NODE_ID -> node.id, see props_env_to_key) and `--override k=v`.
 * Unknown keys are reported as warnings; a bad value or an inconsistent
 * combination is a start-up error naming the key, the value and its origin.
 *
 * With no properties file the defaults form a single-node development
 * cluster on 127.0.0.1 (DESIGN.md section 7): node.id=1, combined
 * broker+controller roles, Kafka on 9092, controller on 9093, admin HTTP on
 * 9644, data in ./sluice-data.
 */
#ifndef SLUICE_BROKER_CONFIG_H
#define SLUICE_BROKER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "properties.h"

/* Value types of the key table (Kafka's ConfigDef types we use). */
enum bcfg_type {
    BCFG_INT,    /* int32_t */
    BCFG_LONG,   /* int64_t */
    BCFG_BOOL,   /* bool */
    BCFG_STRING, /* char * (NULL when null) */
    BCFG_LIST,   /* struct bcfg_strlist: comma-separated, items trimmed, empty items dropped */
    BCFG_ENUM,   /* int: index into the key's `enum_values` */
};

/* process.roles as a bitmask. */
#define BCFG_ROLE_BROKER     1u
#define BCFG_ROLE_CONTROLLER 2u

/* compression.type, in the order of the key's enum_values. */
enum bcfg_compression {
    BCFG_COMPRESSION_UNCOMPRESSED,
    BCFG_COMPRESSION_ZSTD,
    BCFG_COMPRESSION_LZ4,
    BCFG_COMPRESSION_SNAPPY,
    BCFG_COMPRESSION_GZIP,
    BCFG_COMPRESSION_PRODUCER,
};

/* log.message.timestamp.type. */
enum bcfg_timestamp_type {
    BCFG_TIMESTAMP_CREATE_TIME,
    BCFG_TIMESTAMP_LOG_APPEND_TIME,
};

/* log.level: same order as enum log_level in log.h (debug, info, warn, error). */

struct bcfg_strlist {
    size_t n;
    char **v;
};

/* One entry of listeners / advertised.listeners: NAME://host:port. */
struct bcfg_listener {
    char *name;     /* upper-cased, as Kafka normalises listener names */
    char *host;     /* "" = all interfaces (listeners only) */
    int port;       /* 0..65535; 0 = ephemeral (listeners only) */
    char *protocol; /* security protocol from listener.security.protocol.map ("PLAINTEXT") */
};

struct bcfg_listeners {
    size_t n;
    struct bcfg_listener *v;
};

/* One entry of controller.quorum.voters: id@host:port. */
struct bcfg_voter {
    int32_t id;
    char *host;
    int port;
};

struct bcfg_voters {
    size_t n;
    struct bcfg_voter *v;
};

/* Current value of one key: normalised text (NULL = null), source and origin. */
struct bcfg_value {
    char *text;
    enum prop_source source;
    char *origin; /* "server.properties:12", "env SLUICE_NODE_ID", "--override", "default" */
};

struct broker_config {
    /* ---- keys of the table (field names follow the key names) ---- */
    int32_t node_id;
    struct bcfg_strlist process_roles;
    struct bcfg_strlist controller_quorum_voters;
    struct bcfg_strlist controller_listener_names;
    struct bcfg_strlist listeners;
    struct bcfg_strlist advertised_listeners;
    struct bcfg_strlist listener_security_protocol_map;
    char *inter_broker_listener_name;
    struct bcfg_strlist log_dirs_key; /* log.dirs */
    char *log_dir;                    /* log.dir */
    char *metadata_log_dir;
    char *broker_rack;
    char *admin_listener;
    struct bcfg_strlist admin_allowed_hosts;
    int32_t admin_request_timeout_ms;
    int log_level; /* enum log_level */

    int32_t num_partitions;
    int32_t default_replication_factor;
    int32_t min_insync_replicas;
    bool unclean_leader_election_enable;
    bool auto_leader_rebalance_enable;
    int64_t leader_imbalance_check_interval_seconds;
    bool auto_create_topics_enable;
    bool delete_topic_enable;
    int64_t replica_lag_time_max_ms;
    int32_t replica_fetch_wait_max_ms;
    int32_t replica_fetch_max_bytes;
    int32_t replica_fetch_response_max_bytes;
    int32_t replica_fetch_backoff_ms;
    int32_t num_replica_fetchers;
    int64_t replica_high_watermark_checkpoint_interval_ms;

    int32_t log_segment_bytes;
    int64_t log_roll_ms; /* BCFG_NULL_LONG when unset */
    int32_t log_roll_hours;
    int64_t log_roll_jitter_ms; /* BCFG_NULL_LONG when unset */
    int32_t log_roll_jitter_hours;
    int64_t log_retention_ms;      /* BCFG_NULL_LONG when unset */
    int32_t log_retention_minutes; /* BCFG_NULL_INT when unset */
    int32_t log_retention_hours;
    int64_t log_retention_bytes;
    int64_t log_retention_check_interval_ms;
    struct bcfg_strlist log_cleanup_policy;
    int64_t log_segment_delete_delay_ms;
    int32_t log_index_interval_bytes;
    int32_t log_index_size_max_bytes;
    int64_t log_flush_interval_messages;
    int64_t log_flush_interval_ms; /* BCFG_NULL_LONG when unset */
    int64_t log_flush_scheduler_interval_ms;
    int32_t message_max_bytes;
    int32_t socket_request_max_bytes;
    int32_t max_connections;
    int32_t max_connections_per_ip;
    int64_t connections_max_idle_ms;
    int64_t socket_request_receive_timeout_ms;
    int log_message_timestamp_type; /* enum bcfg_timestamp_type */
    int64_t log_message_timestamp_before_max_ms;
    int64_t log_message_timestamp_after_max_ms;
    int compression_type; /* enum bcfg_compression */
    int32_t fetch_max_bytes;
    int32_t queued_max_requests;
    int64_t queued_max_request_bytes;

    int32_t broker_heartbeat_interval_ms;
    int32_t broker_session_timeout_ms;
    int32_t controller_quorum_election_timeout_ms;
    int32_t controller_quorum_fetch_timeout_ms;
    int32_t controller_quorum_election_backoff_max_ms;
    int32_t controller_quorum_append_linger_ms;
    int32_t controller_quorum_request_timeout_ms;
    int32_t controller_quorum_retry_backoff_ms;
    int64_t metadata_log_max_record_bytes_between_snapshots;

    int32_t offsets_topic_num_partitions;
    int32_t offsets_topic_replication_factor;
    int32_t offsets_retention_minutes;
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t transaction_state_log_replication_factor;
    int32_t producer_id_expiration_ms;
    int32_t producer_id_expiration_check_interval_ms;

    /* ---- derived, filled by broker_config_load after validation ---- */
    unsigned roles;                    /* BCFG_ROLE_* */
    struct bcfg_listeners listen;      /* parsed listeners */
    struct bcfg_listeners advertised;  /* parsed advertised.listeners (default: listeners
                                          minus controller listeners) */
    struct bcfg_voters voters;         /* parsed controller.quorum.voters */
    const char *inter_broker_listener; /* effective name (points into listen) or NULL when
                                          the node is not a broker */
    struct bcfg_strlist data_dirs;     /* effective log dirs: log.dirs, else log.dir */
    const char *metadata_dir;          /* metadata.log.dir, else data_dirs.v[0] */
    int64_t retention_ms;              /* log.retention.ms > .minutes > .hours; -1 = forever */
    int64_t roll_ms;                   /* log.roll.ms, else log.roll.hours */
    int64_t flush_ms;                  /* log.flush.interval.ms, else scheduler interval */
    char *admin_host;                  /* from admin.listener; NULL when disabled ("") */
    int admin_port;

    /* ---- bookkeeping ---- */
    bool dev_mode;             /* no properties file was given */
    char *config_file;         /* the file given, or NULL */
    struct bcfg_value *values; /* one per table key, same order as the table */
    char **warnings;           /* unknown keys and the like, already logged */
    size_t n_warnings;
};

#define BCFG_NULL_INT  INT32_MIN
#define BCFG_NULL_LONG INT64_MIN

/* Validator for special values: returns 0, or -1 with a reason in err. */
typedef int (*bcfg_validator)(const char *value, char *err, size_t errlen);

/* One key of the table. */
struct bcfg_key {
    const char *name;
    enum bcfg_type type;
    const char *dflt;        /* default as text; NULL = null */
    size_t offset;           /* offsetof(struct broker_config, field) */
    int64_t min, max;        /* bounds for INT and LONG */
    const char *enum_values; /* ENUM: "a|b|c" (matched case-insensitively) */
    bcfg_validator validate; /* extra check on the text, or NULL */
    const char *doc;
    bool read_only;         /* not changeable at run time (DescribeConfigs read_only) */
    bool nullable;          /* INT/LONG that may be unset (stored as BCFG_NULL_*) */
    const char *topic_name; /* the topic-level config this key is the default of, or NULL */
};

/*
 * Loads the configuration: defaults, then the properties file (if
 * file_or_null), then SLUICE_* environment variables (except
 * SLUICE_BOOTSTRAP, which configures the client tools), then the n_overrides
 * "key=value" strings.  Validates every value and the cross-key rules and
 * fills the derived fields.  Unknown keys are logged (LOG_WARN) and kept in
 * c->warnings.  On error returns SL_EINVAL or SL_EIO with a one-line message
 * in err (naming key, value and origin) and leaves c freed-and-zeroed;
 * returns 0 on success.  Free with broker_config_free.
 */
int broker_config_load(struct broker_config *c, const char *file_or_null, char **overrides,
                       int n_overrides, char *err, size_t errlen);

/*
 * As broker_config_load but reads the environment from envp (a NULL-
 * terminated "NAME=value" array; NULL for none) instead of `environ`, and
 * does not log warnings (they are still kept in c->warnings).  For tests and
 * for callers that sanitise the environment.
 */
int broker_config_load_env(struct broker_config *c, const char *file_or_null, char *const *envp,
                           char **overrides, int n_overrides, char *err, size_t errlen);

/* Releases everything the config owns; c is zeroed. */
void broker_config_free(struct broker_config *c);

/* True when no properties file was given: the server formats its data dirs itself. */
bool broker_config_dev_mode(const struct broker_config *c);

/* ---- the key table, for DescribeConfigs and documentation ---- */

/* Number of keys in the table. */
size_t broker_config_key_count(void);
/* Key i (0 <= i < count), or NULL when out of range.  Static storage. */
const struct bcfg_key *broker_config_key_at(size_t i);
/* Index of the key called name, or -1. */
int broker_config_key_index(const char *name);

/*
 * One key and its current value, for iteration: `value` is the normalised
 * text (NULL when the key is null: DescribeConfigs answers null), `source`
 * and `origin` say where it came from.  Pointers borrow from the config and
 * the static table.
 */
struct bcfg_entry {
    const struct bcfg_key *key;
    const char *value;
    enum prop_source source;
    const char *origin;
};

/*
 * Iteration in table order: `size_t it = 0; struct bcfg_entry e;
 * while (broker_config_next(c, &it, &e)) ...`.  Returns false at the end.
 */
bool broker_config_next(const struct broker_config *c, size_t *it, struct bcfg_entry *out);
/* Looks up one key by name; returns false when the key is not in the table. */
bool broker_config_get(const struct broker_config *c, const char *name, struct bcfg_entry *out);

/*
 * DescribeConfigs helpers (KIP-226 config sources, KIP-569 config types):
 * the config_source of a value (DEFAULT_CONFIG = 5 for defaults,
 * STATIC_BROKER_CONFIG = 4 for file, env and override values) and the
 * config_type of a key (BOOLEAN 1, STRING 2, INT 3, LONG 5, LIST 7).
 */
int8_t broker_config_kafka_source(enum prop_source source);
int8_t broker_config_kafka_type(enum bcfg_type type);

/*
 * Broker property lookup in the shape topic_config_effective() wants: the
 * value of `key` when it was set (file, environment or override) with its
 * Kafka ConfigSource in *source, or NULL when it is at its default.  ctx is
 * the const struct broker_config; the returned string is owned by it.
 */
const char *broker_config_lookup(void *ctx, const char *key, int8_t *source);

/*
 * Writes the whole table, one key per paragraph (name, type, default, doc),
 * to out: `sluice server --help-config`.
 */
void broker_config_print_docs(FILE *out);

#endif
