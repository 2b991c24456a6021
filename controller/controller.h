/*
 * The active controller (KIP-500, KIP-631): validates metadata changes,
 * places replicas, turns requests into metadata records, appends them to the
 * quorum and answers once they commit.  It acts only while its node is the
 * quorum leader; on every node it also feeds committed batches into the
 * metadata image.
 *
 * Requests are controller-level structs, not Kafka wire structs (the broker
 * translates).  Operations run one at a time in arrival order: each is
 * validated against the image with every earlier operation committed, so
 * concurrent requests never see each other's uncommitted effects.  Every
 * callback is called exactly once, possibly before the submitting function
 * returns (validation errors, validate_only, NOT_CONTROLLER); result memory
 * belongs to the controller and is valid during the callback only.  Request
 * structs are copied: the caller may free them when the call returns.
 *
 * Wiring (a single node): create the image and the controller, open the
 * quorum with controller_quorum_listener(), attach it with
 * controller_set_quorum().  When the listener reports this node as leader,
 * the controller bootstraps metadata.version on an empty log and accepts
 * requests; the broker then registers itself with controller_register_broker.
 *
 * Broker lifecycle (KIP-631) is driven by explicit time (any monotonic
 * millisecond clock, the same one for every call): the node calls
 * controller_tick() periodically (every few hundred ms) on every controller
 * node, and every broker sends controller_broker_heartbeat() (locally, or
 * through the BrokerHeartbeat RPC to the active controller) every
 * broker.heartbeat.interval.ms (2 s).  A broker registered through
 * controller_register_broker_ex() without CTL_REGISTER_CAUGHT_UP starts
 * fenced and is unfenced by the first heartbeat whose metadata offset reaches
 * its registration; an unfenced broker silent for broker.session.timeout.ms
 * is fenced by the tick; a broker asking to shut down is moved out of every
 * leadership and ISR first (controlled shutdown).  Leadership changes go
 * through PartitionChangeRecords (partition elections: leader from the ISR,
 * in replica order; unclean only with unclean.leader.election.enable).
 * Properties read through broker_config (dynamic broker configs in the image
 * first): broker.session.timeout.ms (9000), auto.leader.rebalance.enable
 * (true), leader.imbalance.check.interval.seconds (300) and, per topic,
 * unclean.leader.election.enable (false).
 */
#ifndef SLUICE_CONTROLLER_H
#define SLUICE_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metadata_image.h"
#include "uuid.h"

struct quorum;
struct quorum_listener;

/* Producer-id block size handed out per allocation (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
#define CONTROLLER_PID_BLOCK_SIZE 1000

/* Kafka 4.0's metadata.version feature level 4.0-IV3. */
#define CONTROLLER_DEFAULT_METADATA_VERSION 25

struct controller_config {
    int32_t node_id;
    int32_t num_partitions;             /* num.partitions (Kafka default 1) */
    int16_t default_replication_factor; /* default.replication.factor (Kafka default 1) */
    int16_t metadata_version;           /* written when the log is empty; 0 = the default above */
    /*
     * Broker property lookup for topic config defaults (log.retention.ms ...),
     * see topic_config_effective; may be NULL (Kafka's defaults are used).
     */
    const char *(*broker_config)(void *ctx, const char *key, int8_t *source);
    void *broker_config_ctx;
};

struct controller;

/* A new controller over `img` (borrowed; it must outlive the controller). */
struct controller *controller_new(const struct controller_config *cfg, struct metadata_image *img);
/* Completes every pending operation with NOT_CONTROLLER, then frees.  NULL is a no-op. */
void controller_free(struct controller *c);

/* Attaches the quorum (borrowed) the controller appends to. */
void controller_set_quorum(struct controller *c, struct quorum *q);
/* A listener that forwards to controller_handle_commit / controller_handle_leader_change. */
void controller_quorum_listener(struct controller *c, struct quorum_listener *out);
/* Replays a committed batch into the image and completes the operations it commits. */
void controller_handle_commit(struct controller *c, int64_t base_offset, const uint8_t *batch,
                              size_t len);
/*
 * KIP-630 snapshots through the quorum listener: write the image as of
 * end_offset (metadata_image_write_snapshot), or replace it by a snapshot
 * covering every offset below end_offset (metadata_image_load_snapshot; the
 * image offset becomes end_offset - 1).  Return 0 or a negative SL_E* code.
 */
int controller_write_snapshot(struct controller *c, int64_t end_offset, int32_t epoch,
                              struct wbuf *out);
int controller_load_snapshot(struct controller *c, int64_t end_offset, const uint8_t *data,
                             size_t len);
/* Activates (leader_id == node id) or deactivates the controller; pending operations fail. */
void controller_handle_leader_change(struct controller *c, int32_t leader_id, int32_t epoch);
/* True while this node is the active controller. */
bool controller_is_active(const struct controller *c);

struct ctl_config_entry {
    const char *name;
    const char *value; /* NULL is rejected for topic configs (INVALID_CONFIG) */
};

struct ctl_assignment {
    int32_t partition_index;
    const int32_t *broker_ids;
    int32_t nbroker_ids;
};

/* ---- CreateTopics ---- */

struct ctl_create_topic {
    const char *name;
    int32_t num_partitions;                   /* -1: num.partitions */
    int16_t replication_factor;               /* -1: default.replication.factor */
    const struct ctl_assignment *assignments; /* manual assignment (then both above are -1) */
    int32_t nassignments;
    const struct ctl_config_entry *configs;
    int32_t nconfigs;
};

struct ctl_create_topics_req {
    const struct ctl_create_topic *topics;
    int32_t ntopics;
    bool validate_only;
};

struct ctl_topic_config {
    const char *name;
    const char *value;
    int8_t source;      /* enum topic_config_source */
    int8_t config_type; /* enum topic_config_type */
    bool read_only;
    bool is_sensitive;
};

struct ctl_create_topic_result {
    const char *name;
    int16_t error_code;                     /* Kafka error code */
    const char *error_message;              /* NULL on success */
    struct uuid topic_id;                   /* zero on error */
    int32_t num_partitions;                 /* -1 on error */
    int16_t replication_factor;             /* -1 on error */
    const struct ctl_topic_config *configs; /* every topic config with its effective value */
    int32_t nconfigs;
};

/* Results are in request order, n == req->ntopics. */
typedef void (*ctl_create_topics_cb)(void *ctx, const struct ctl_create_topic_result *results,
                                     int32_t n);

/*
 * CreateTopics: validates every topic (Kafka's rules and messages: name
 * INVALID_TOPIC_EXCEPTION, duplicates in the request INVALID_REQUEST,
 * TOPIC_ALREADY_EXISTS, INVALID_CONFIG, INVALID_PARTITIONS,
 * INVALID_REPLICATION_FACTOR, INVALID_REPLICA_ASSIGNMENT), places replicas
 * over the unfenced brokers and appends TopicRecord, PartitionRecords and
 * ConfigRecords of all valid topics as one atomic batch; answers when it
 * commits.  validate_only appends nothing.  NOT_CONTROLLER for every topic
 * when this node is not the active controller.
 */
void controller_create_topics(struct controller *c, const struct ctl_create_topics_req *req,
                              ctl_create_topics_cb cb, void *ctx);

/* ---- DeleteTopics ---- */

struct ctl_delete_topic {
    const char *name;     /* by name, or NULL ... */
    struct uuid topic_id; /* ... by id (zero when by name) */
};

struct ctl_delete_topic_result {
    const char *name;     /* the topic's name when known, else NULL */
    struct uuid topic_id; /* the topic's id when known, else zero */
    int16_t error_code;   /* UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_TOPIC_ID, INVALID_REQUEST */
    const char *error_message;
};

typedef void (*ctl_delete_topics_cb)(void *ctx, const struct ctl_delete_topic_result *results,
                                     int32_t n);

/* DeleteTopics by names or ids: one RemoveTopicRecord per topic, one atomic batch. */
void controller_delete_topics(struct controller *c, const struct ctl_delete_topic *topics,
                              int32_t ntopics, ctl_delete_topics_cb cb, void *ctx);

/* ---- CreatePartitions ---- */

struct ctl_create_partitions_topic {
    const char *name;
    int32_t count;                            /* new total partition count */
    const struct ctl_assignment *assignments; /* for the new partitions only, or NULL */
    int32_t nassignments;
};

struct ctl_create_partitions_req {
    const struct ctl_create_partitions_topic *topics;
    int32_t ntopics;
    bool validate_only;
};

struct ctl_create_partitions_result {
    const char *name;
    int16_t error_code;
    const char *error_message;
};

typedef void (*ctl_create_partitions_cb)(void *ctx,
                                         const struct ctl_create_partitions_result *results,
                                         int32_t n);

/* CreatePartitions: PartitionRecords for the added partitions, one atomic batch. */
void controller_create_partitions(struct controller *c, const struct ctl_create_partitions_req *req,
                                  ctl_create_partitions_cb cb, void *ctx);

/* ---- AlterConfigs / IncrementalAlterConfigs ---- */

/* IncrementalAlterConfigs operations (KIP-339). */
enum ctl_config_op {
    CTL_CONFIG_SET = 0,
    CTL_CONFIG_DELETE = 1,
    CTL_CONFIG_APPEND = 2,   /* LIST configs: add the values not yet present */
    CTL_CONFIG_SUBTRACT = 3, /* LIST configs: remove the values present */
};

struct ctl_alter_config {
    const char *name;
    int8_t op;         /* enum ctl_config_op (incremental requests only) */
    const char *value; /* may be NULL (DELETE; rejected otherwise) */
};

struct ctl_alter_configs_resource {
    int8_t resource_type; /* 2 topic, 4 broker, ... (only topics are served) */
    const char *resource_name;
    const struct ctl_alter_config *configs;
    int32_t nconfigs;
};

struct ctl_alter_configs_req {
    const struct ctl_alter_configs_resource *resources;
    int32_t nresources;
    /*
     * true: IncrementalAlterConfigs (each entry's op applies to the current
     * overrides); false: AlterConfigs (the entries replace the resource's
     * whole set of overrides; keys not listed are deleted).
     */
    bool incremental;
    bool validate_only;
};

struct ctl_alter_configs_result {
    int8_t resource_type;
    const char *resource_name;
    int16_t error_code;
    const char *error_message; /* NULL on success */
};

/* Results are in request order, n == req->nresources. */
typedef void (*ctl_alter_configs_cb)(void *ctx, const struct ctl_alter_configs_result *results,
                                     int32_t n);

/*
 * AlterConfigs / IncrementalAlterConfigs of topic configs
 * (ConfigurationControlManager).  Per resource: broker resources (4) get
 * INVALID_REQUEST "dynamic broker configs are not supported", other
 * non-topic types INVALID_REQUEST; UNKNOWN_TOPIC_OR_PARTITION when the topic
 * does not exist; INVALID_REQUEST for a key given twice or an unknown
 * operation; INVALID_CONFIG (topic_config_validate's message) for an unknown
 * key, a bad resulting value, or APPEND / SUBTRACT on a non-LIST config.  A
 * resource with any error changes nothing.  Every changed key of the valid
 * resources becomes a ConfigRecord (value NULL = delete; unchanged keys
 * produce none), all in one atomic batch; the callback runs when it
 * commits.  validate_only appends nothing.  NOT_CONTROLLER for every
 * resource when this node is not the active controller.
 */
void controller_alter_topic_configs(struct controller *c, const struct ctl_alter_configs_req *req,
                                    ctl_alter_configs_cb cb, void *ctx);

/* ---- Producer ids (AllocateProducerIds, KIP-730) ---- */

/* error_code 0: ids [first_id, first_id + count) belong to the caller. */
typedef void (*ctl_producer_ids_cb)(void *ctx, int16_t error_code, int64_t first_id, int32_t count);

/*
 * Allocates the next block of CONTROLLER_PID_BLOCK_SIZE producer ids for a
 * registered broker (STALE_BROKER_EPOCH when broker_epoch does not match its
 * registration) through a ProducerIdsRecord.
 */
void controller_allocate_producer_ids(struct controller *c, int32_t broker_id, int64_t broker_epoch,
                                      ctl_producer_ids_cb cb, void *ctx);

/* ---- Broker registration (KIP-631) ---- */

struct ctl_endpoint {
    const char *name; /* listener name */
    const char *host;
    uint16_t port;
    int16_t security_protocol; /* 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL */
};

struct ctl_feature_range {
    const char *name;
    int16_t min_supported;
    int16_t max_supported;
};

struct ctl_register_broker {
    int32_t broker_id;
    struct uuid incarnation_id; /* a new random id per process start */
    const struct ctl_endpoint *endpoints;
    int32_t nendpoints;
    const struct ctl_feature_range *features;
    int32_t nfeatures;
    const char *rack; /* NULL: no rack */
};

typedef void (*ctl_register_broker_cb)(void *ctx, int16_t error_code, const char *error_message,
                                       int64_t broker_epoch);

/*
 * Flag of controller_register_broker_ex: the broker is the local broker of
 * this (combined) node and shares its metadata image, so it is caught up by
 * construction: it is unfenced as soon as its registration commits.
 */
#define CTL_REGISTER_CAUGHT_UP 0x1u

/*
 * Registers a broker (KIP-631, BrokerRegistration): appends a
 * RegisterBrokerRecord with fenced=true whose offset is the new broker epoch
 * and calls back once it commits.  The broker then stays fenced until a
 * heartbeat reports a metadata offset >= its broker epoch
 * (controller_broker_heartbeat), unless flags has CTL_REGISTER_CAUGHT_UP, in
 * which case an UnfenceBrokerRecord (plus elections for leaderless
 * partitions whose ISR holds it) follows at once and the callback runs when
 * that commits.  now_ms starts the broker's session (< 0: unknown, the
 * session starts at the next controller_tick).
 * Errors: INVALID_REQUEST (negative id, zero incarnation), UNSUPPORTED_VERSION
 * (metadata.version outside the broker's range), DUPLICATE_BROKER_REGISTRATION
 * when the id is registered, unfenced and within its session from another
 * incarnation (ClusterControlManager.registerBroker; a session counts once the
 * broker registered or heartbeated to this controller in its term, so a
 * combined node restarting together with its controller re-registers at once
 * instead of waiting a session timeout).  Replacing a registration that is
 * still unfenced first moves its leaderships and ISR memberships away, as
 * fencing does (the old incarnation's log state is gone).
 */
void controller_register_broker_ex(struct controller *c, const struct ctl_register_broker *req,
                                   unsigned flags, int64_t now_ms, ctl_register_broker_cb cb,
                                   void *ctx);

/*
 * The combined node's registration of its own broker:
 * controller_register_broker_ex(c, req, CTL_REGISTER_CAUGHT_UP, -1, cb, ctx).
 * The callback runs when the broker is registered and unfenced.
 */
void controller_register_broker(struct controller *c, const struct ctl_register_broker *req,
                                ctl_register_broker_cb cb, void *ctx);

/* ---- Broker heartbeats (KIP-631) ---- */

struct ctl_heartbeat_result {
    /*
     * NONE, BROKER_ID_NOT_REGISTERED, STALE_BROKER_EPOCH (epoch is not the
     * registration's), NOT_CONTROLLER, UNKNOWN_SERVER_ERROR (append failed).
     */
    int16_t error_code;
    bool is_caught_up; /* current_metadata_offset >= the broker's registration offset */
    bool is_fenced;
    bool in_controlled_shutdown;
    bool should_shut_down; /* a broker that asked to shut down may exit now */
};

typedef void (*ctl_heartbeat_cb)(void *ctx, const struct ctl_heartbeat_result *r);

/*
 * BrokerHeartbeat: renews the broker's session (at arrival) and moves it
 * between Kafka's states (BrokerHeartbeatManager.calculateNextBrokerState):
 *  - fenced: want_fence keeps it fenced; want_shutdown lets it shut down at
 *    once; otherwise it is unfenced (UnfenceBrokerRecord, and leaderless
 *    partitions whose ISR holds it elect it) once current_metadata_offset >=
 *    its registration offset;
 *  - unfenced: want_fence fences it (with want_shutdown: shutdown now);
 *    want_shutdown starts a controlled shutdown when it leads partitions
 *    (BrokerRegistrationChangeRecord in_controlled_shutdown, new leaders and
 *    ISRs without it through PartitionChangeRecords), else fences it and
 *    lets it shut down;
 *  - in controlled shutdown: should_shut_down (and fenced) once it leads
 *    nothing and every active broker reported a metadata offset at least the
 *    offset of the records that moved its leaderships.
 * Fencing removes the broker from every ISR (never emptying one) and elects
 * new leaders.  The callback runs once the generated records commit, or at
 * once when there are none (possibly before this returns).
 */
void controller_broker_heartbeat(struct controller *c, int32_t broker_id, int64_t broker_epoch,
                                 int64_t current_metadata_offset, bool want_fence,
                                 bool want_shutdown, int64_t now_ms, ctl_heartbeat_cb cb,
                                 void *ctx);

/*
 * Time passes: on the active controller, fences every unfenced broker
 * without a heartbeat for broker.session.timeout.ms (new leaders from the
 * ISR, ISRs without it, FenceBrokerRecord, one batch) and, every
 * leader.imbalance.check.interval.seconds while auto.leader.rebalance.enable,
 * moves leadership back to each partition's preferred replica (replicas[0])
 * when it is in the ISR and active.  Brokers unfenced in the image without a
 * session in this term (a new active controller) get a full session from
 * this tick.  Only records the time on other nodes.  now_ms must not go
 * backwards (earlier values are ignored).
 */
void controller_tick(struct controller *c, int64_t now_ms);

/* ---- AlterPartition (KIP-497) ---- */

struct ctl_isr_member {
    int32_t broker_id;
    int64_t broker_epoch; /* -1: not checked (AlterPartition v2) */
};

struct ctl_alter_partition {
    int32_t partition_index;
    int32_t leader_epoch;
    int32_t partition_epoch;
    const struct ctl_isr_member *new_isr;
    int32_t nnew_isr;
    int8_t leader_recovery_state; /* 0 recovered, 1 recovering */
};

struct ctl_alter_partition_topic {
    struct uuid topic_id;
    const struct ctl_alter_partition *partitions;
    int32_t npartitions;
};

struct ctl_alter_partition_req {
    int32_t broker_id;
    int64_t broker_epoch;
    const struct ctl_alter_partition_topic *topics;
    int32_t ntopics;
};

/* One per requested partition, in request order; the state after the change. */
struct ctl_alter_partition_result {
    struct uuid topic_id;
    int32_t partition_index;
    int16_t error_code;
    int32_t leader_id;
    int32_t leader_epoch;
    const int32_t *isr;
    int32_t nisr;
    int8_t leader_recovery_state;
    int32_t partition_epoch;
};

/* error_code is the top-level error (then n == 0). */
typedef void (*ctl_alter_partition_cb)(void *ctx, int16_t error_code,
                                       const struct ctl_alter_partition_result *results, int32_t n);

/*
 * AlterPartition from a partition leader (ReplicationControlManager
 * .alterPartition): top-level STALE_BROKER_EPOCH / BROKER_ID_NOT_REGISTERED
 * for the sender, NOT_CONTROLLER; per partition UNKNOWN_TOPIC_ID,
 * UNKNOWN_TOPIC_OR_PARTITION, NOT_CONTROLLER (epochs newer than ours),
 * FENCED_LEADER_EPOCH (older leader epoch), INVALID_REQUEST (sender not the
 * leader; ISR not a subset of the replicas, without the leader, or with
 * duplicates; recovering with several members or back from recovered),
 * INVALID_UPDATE_VERSION (older partition epoch), INELIGIBLE_REPLICA (a
 * member fenced, in controlled shutdown, unregistered or with another broker
 * epoch).  Accepted changes become PartitionChangeRecords (partition epoch
 * + 1), answered after they commit; NEW_LEADER_ELECTED when the change had
 * to move leadership (the sender is no longer an acceptable leader).
 */
void controller_alter_partition(struct controller *c, const struct ctl_alter_partition_req *req,
                                ctl_alter_partition_cb cb, void *ctx);

/* ---- ElectLeaders (KIP-460) and leadership transfer ---- */

/* Kafka's ElectionType values, plus Sluice's targeted transfer (not a Kafka type). */
enum ctl_election_type {
    CTL_ELECTION_PREFERRED = 0, /* replicas[0], when it is in the ISR and active */
    CTL_ELECTION_UNCLEAN = 1,   /* leaderless partitions: from the ISR, else any live replica */
    CTL_ELECTION_TARGET = 2,    /* a given replica (admin transfer_leadership) */
};

struct ctl_elect_partition {
    const char *topic;
    int32_t partition_index;
};

struct ctl_elect_leaders_req {
    int8_t election_type; /* enum ctl_election_type */
    int32_t target;       /* CTL_ELECTION_TARGET: the node that is to lead */
    /* The partitions; NULL means every partition of the cluster (ElectLeaders' null
     * topic_partitions, KIP-460), which answers only partitions that needed an election. */
    const struct ctl_elect_partition *partitions;
    int32_t npartitions;
};

struct ctl_elect_result {
    const char *topic;
    int32_t partition_index;
    int16_t error_code;
    const char *error_message; /* NULL when none */
    int32_t leader_id;         /* the leader after the election (or now, on error); -1 unknown */
    int32_t leader_epoch;      /* likewise; -1 unknown */
};

/* error_code is the top-level error (NOT_CONTROLLER, INVALID_REQUEST); then n == 0. */
typedef void (*ctl_elect_leaders_cb)(void *ctx, int16_t error_code,
                                     const struct ctl_elect_result *results, int32_t n);

/*
 * ElectLeaders (ReplicationControlManager.electLeaders).  Per partition:
 * UNKNOWN_TOPIC_OR_PARTITION; ELECTION_NOT_NEEDED when a preferred election
 * finds replicas[0] leading or an unclean one finds a leader; a preferred
 * election whose replicas[0] is not in the ISR or not active writes nothing
 * and answers PREFERRED_LEADER_NOT_AVAILABLE (unless the current leader
 * itself cannot stay, then the next eligible replica leads, as Kafka's
 * PartitionChangeBuilder does); an unclean election that finds no live
 * replica answers ELIGIBLE_LEADERS_NOT_AVAILABLE.  CTL_ELECTION_TARGET makes
 * `target` the leader: INVALID_REQUEST when it is not a replica,
 * ELECTION_NOT_NEEDED when it leads already, INELIGIBLE_REPLICA (with the
 * reason in the message) unless it is in the ISR, registered, unfenced and
 * not in controlled shutdown.  Every change is a PartitionChangeRecord (new
 * leader, leader epoch + 1, ISR unchanged), all in one batch; results are
 * in request order and the callback runs once it commits.  An unknown
 * election type is a top-level INVALID_REQUEST.
 */
void controller_elect_leaders(struct controller *c, const struct ctl_elect_leaders_req *req,
                              ctl_elect_leaders_cb cb, void *ctx);

#endif
