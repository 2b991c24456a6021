/*
 * KRaft metadata records: the C structs, their codec tables and the record
 * value framing used in the __cluster_metadata log (KIP-500, KIP-631).
 *
 * A record value is `uvarint frameVersion (1), uvarint apiKey (record type),
 * uvarint version`, then the record body in flexible encoding (every metadata
 * record is flexible from version 0), as Kafka's AbstractApiMessageSerde
 * writes it.  Field layouts follow Kafka's metadata record schemas; the C
 * field names are snake_case versions of Kafka's.
 */
#ifndef SLUICE_METADATA_RECORDS_H
#define SLUICE_METADATA_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"
#include "uuid.h"

#define MR_FRAME_VERSION 1

/* Record types (Kafka's metadata record apiKey). */
enum metadata_record_type {
    MR_REGISTER_BROKER = 0,
    MR_TOPIC = 2,
    MR_PARTITION = 3,
    MR_CONFIG = 4,
    MR_PARTITION_CHANGE = 5,
    MR_FENCE_BROKER = 7,
    MR_UNFENCE_BROKER = 8,
    MR_REMOVE_TOPIC = 9,
    MR_FEATURE_LEVEL = 12,
    MR_PRODUCER_IDS = 15,
    MR_BROKER_REGISTRATION_CHANGE = 17,
    MR_NO_OP = 20,
};

/* ConfigRecord resource types (ConfigResource.Type). */
#define MR_RESOURCE_TOPIC  2
#define MR_RESOURCE_BROKER 4

/* PartitionChangeRecord sentinels. */
#define MR_NO_LEADER_CHANGE (-2)
#define MR_NO_LEADER        (-1)
#define MR_LRS_NO_CHANGE    (-1)
#define MR_LRS_RECOVERED    0
#define MR_LRS_RECOVERING   1

struct mr_broker_endpoint {
    struct kstr name;
    struct kstr host;
    uint16_t port;
    int16_t security_protocol;
};

struct mr_broker_feature {
    struct kstr name;
    int16_t min_supported_version;
    int16_t max_supported_version;
};

/* RegisterBrokerRecord (0), versions 0-3. */
struct mr_register_broker {
    int32_t broker_id;
    bool is_migrating_zk_broker; /* v2+ */
    struct uuid incarnation_id;
    int64_t broker_epoch;
    KARR(struct mr_broker_endpoint) end_points;
    KARR(struct mr_broker_feature) features;
    struct kstr rack; /* nullable */
    bool fenced;
    bool in_controlled_shutdown; /* v1+ */
    KARR(struct uuid) log_dirs;  /* v3+, tagged 0 */
};

/* TopicRecord (2), version 0. */
struct mr_topic {
    struct kstr name;
    struct uuid topic_id;
};

/* PartitionRecord (3), versions 0-2. */
struct mr_partition {
    int32_t partition_id;
    struct uuid topic_id;
    KARR(int32_t) replicas;
    KARR(int32_t) isr;
    KARR(int32_t) removing_replicas;
    KARR(int32_t) adding_replicas;
    int32_t leader;
    int8_t leader_recovery_state; /* tagged 0 */
    int32_t leader_epoch;
    int32_t partition_epoch;
    KARR(struct uuid) directories;          /* v1+ */
    KARR(int32_t) eligible_leader_replicas; /* v2+, tagged 1, nullable */
    KARR(int32_t) last_known_elr;           /* v2+, tagged 2, nullable */
};

/* ConfigRecord (4), version 0.  value.s == NULL deletes the key. */
struct mr_config {
    int8_t resource_type;
    struct kstr resource_name;
    struct kstr name;
    struct kstr value;
};

/*
 * PartitionChangeRecord (5), versions 0-2: only changed fields.  Arrays with
 * n < 0 are "unchanged"; leader MR_NO_LEADER_CHANGE and leader_recovery_state
 * MR_LRS_NO_CHANGE mean unchanged.  Use metadata_partition_change_init().
 * The codec writes a tagged array only when n > 0 and decodes an absent one
 * as n == 0, so readers treat n <= 0 as "unchanged" (Kafka never writes an
 * empty replica set or ISR here).
 */
struct mr_partition_change {
    int32_t partition_id;
    struct uuid topic_id;
    KARR(int32_t) isr;                      /* tagged 0 */
    int32_t leader;                         /* tagged 1 */
    KARR(int32_t) replicas;                 /* tagged 2 */
    KARR(int32_t) removing_replicas;        /* tagged 3 */
    KARR(int32_t) adding_replicas;          /* tagged 4 */
    int8_t leader_recovery_state;           /* tagged 5 */
    KARR(struct uuid) directories;          /* v1+, tagged 8 */
    KARR(int32_t) eligible_leader_replicas; /* v2+, tagged 6 */
    KARR(int32_t) last_known_elr;           /* v2+, tagged 7 */
};

/* FenceBrokerRecord (7) and UnfenceBrokerRecord (8), version 0. */
struct mr_broker_fencing {
    int32_t id;
    int64_t epoch;
};

/* BrokerRegistrationChangeRecord values of `fenced` and `in_controlled_shutdown`. */
#define MR_FENCING_UNFENCE           (-1)
#define MR_FENCING_NONE              0
#define MR_FENCING_FENCE             1
#define MR_CONTROLLED_SHUTDOWN_NONE  0
#define MR_CONTROLLED_SHUTDOWN_ENTER 1

/*
 * BrokerRegistrationChangeRecord (17), versions 0-2: a change to a live
 * registration (KIP-631, KIP-841).  Written at version 1 to mark a broker as
 * in controlled shutdown; we fence and unfence with Fence/UnfenceBrokerRecord.
 */
struct mr_broker_registration_change {
    int32_t broker_id;
    int64_t broker_epoch;
    int8_t fenced;                 /* tagged 0: MR_FENCING_* */
    int8_t in_controlled_shutdown; /* v1+, tagged 1: MR_CONTROLLED_SHUTDOWN_* */
    KARR(struct uuid) log_dirs;    /* v2+, tagged 2 */
};

/* RemoveTopicRecord (9), version 0. */
struct mr_remove_topic {
    struct uuid topic_id;
};

/* FeatureLevelRecord (12), version 0.  Level 0 removes the feature. */
struct mr_feature_level {
    struct kstr name;
    int16_t feature_level;
};

/* ProducerIdsRecord (15), version 0. */
struct mr_producer_ids {
    int32_t broker_id;
    int64_t broker_epoch;
    int64_t next_producer_id;
};

/* NoOpRecord (20), version 0: no fields. */
struct mr_no_op {
    uint8_t unused;
};

/* A decoded record: `type` selects the member of `u`. */
struct metadata_record {
    int16_t type;
    int16_t version;
    union {
        struct mr_register_broker register_broker;
        struct mr_topic topic;
        struct mr_partition partition;
        struct mr_config config;
        struct mr_partition_change partition_change;
        struct mr_broker_fencing fence_broker;
        struct mr_broker_fencing unfence_broker;
        struct mr_remove_topic remove_topic;
        struct mr_feature_level feature_level;
        struct mr_producer_ids producer_ids;
        struct mr_broker_registration_change registration_change;
        struct mr_no_op no_op;
    } u;
};

/*
 * The codec table of a record type, or NULL when the type is not one we
 * know.  *max_version receives the highest version we read and write.
 */
const struct proto_schema *metadata_record_schema(int16_t type, int16_t *max_version);

/* The version this build writes for a record type (-1 when unknown). */
int16_t metadata_record_write_version(int16_t type);

/* Kafka's name of a record type ("TopicRecord"), or "Unknown". */
const char *metadata_record_name(int16_t type);

/* Sets every field of a PartitionChangeRecord to "unchanged". */
void metadata_partition_change_init(struct mr_partition_change *r);

/*
 * Appends the framed value of one record (`rec` points to the struct for
 * `type`) at `version` to out.  Returns 0, SL_EINVAL for an unknown type, a
 * version out of range or a null in a non-nullable field.  On error out may
 * hold a partial record: the caller discards it.
 */
int metadata_record_encode(int16_t type, int16_t version, const void *rec, struct wbuf *out);

/*
 * Decodes one framed record value.  Strings and arrays are allocated in `a`
 * (owned by the caller, freed with it); BYTES alias p.  Returns 0,
 * SL_ECORRUPT for malformed or truncated input or trailing bytes,
 * SL_EUNSUPPORTED for an unknown frame version, record type or version.
 */
int metadata_record_decode(const uint8_t *p, size_t len, struct arena *a,
                           struct metadata_record *out);

#endif
