/*
 * API handlers: one function per Kafka API key, each in the file of its API
 * family (handle_*.c).  A handler decodes the request body, does the work and
 * completes the request through request.h, now or later.
 */
#ifndef SLUICE_BROKER_HANDLERS_H
#define SLUICE_BROKER_HANDLERS_H

#include <stdbool.h>

#include "codec.h"

struct request;

void handle_api_versions(struct request *req);
void handle_metadata(struct request *req);
void handle_produce(struct request *req);
void handle_fetch(struct request *req);
void handle_list_offsets(struct request *req);
void handle_create_topics(struct request *req);
void handle_delete_topics(struct request *req);
void handle_create_partitions(struct request *req);
void handle_describe_configs(struct request *req);
/* AlterConfigs (33) and IncrementalAlterConfigs (44), handle_configs.c. */
void handle_alter_configs(struct request *req);
void handle_incremental_alter_configs(struct request *req);
void handle_init_producer_id(struct request *req);
void handle_describe_cluster(struct request *req);
/* DescribeLogDirs (35), handle_describe_log_dirs.c. */
void handle_describe_log_dirs(struct request *req);
/* DescribeProducers (61), handle_describe_producers.c. */
void handle_describe_producers(struct request *req);
/* ElectLeaders (43), handle_elect_leaders.c. */
void handle_elect_leaders(struct request *req);
void handle_find_coordinator(struct request *req);
void handle_offset_for_leader_epoch(struct request *req);
/* CONTROLLER listener (handle_controller_rpc.c): the Raft APIs of the metadata quorum, the
 * broker lifecycle (KIP-631), AlterPartition (KIP-497) and AllocateProducerIds (KIP-730). */
void handle_raft_rpc(struct request *req);
void handle_broker_registration(struct request *req);
void handle_broker_heartbeat(struct request *req);
void handle_alter_partition(struct request *req);
void handle_allocate_producer_ids(struct request *req);

/*
 * Whether the request's API is one a broker that is not the active controller
 * forwards to it on the listener it arrived on (the table's forwarded column,
 * KIP-590).  The handler forwards when this holds and the node is not the
 * active controller.
 */
bool request_forwarded(const struct request *req);

/*
 * Decodes the request body as `schema` into a struct allocated in the
 * request's arena.  Bytes after the body are ignored (debug log), as Kafka's
 * parsers do.  On malformed input it completes the request by closing the
 * connection, as Kafka does for unparseable requests, and returns NULL: the
 * handler must return at once.
 */
void *request_decode_body(struct request *req, const struct proto_schema *schema);

/* Allocates an array of n elements of `size` bytes in the request's arena. */
void *request_alloc(struct request *req, size_t n, size_t size);

/* A kstr copied into the request's arena (s may be NULL: null string). */
struct kstr request_kstr(struct request *req, const char *s);

#endif
