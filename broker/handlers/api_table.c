/*
 * The broker's columns of both listeners' API tables (api_table.h).  Every
 * row here has a protocol row of the same key in protocol/api.c and the other
 * way round (tests/unit/broker/test_api_table.c checks it).
 */
#include "api_table.h"

#include "group_handlers.h"
#include "handlers.h"
#include "kafka.h"
#include "messages.h"
#include "msg_elect_leaders.h"

#define HANDLE(K, FN)  [K] = {.handler = (FN)}
#define FORWARD(K, FN) [K] = {.handler = (FN), .forwarded = true}

static const struct broker_api client_rows[KAPI_MAX_KEY + 1] = {
    HANDLE(KAPI_PRODUCE, handle_produce),
    HANDLE(KAPI_FETCH, handle_fetch),
    HANDLE(KAPI_LIST_OFFSETS, handle_list_offsets),
    HANDLE(KAPI_METADATA, handle_metadata),
    HANDLE(KAPI_OFFSET_COMMIT, handle_offset_commit),
    HANDLE(KAPI_OFFSET_FETCH, handle_offset_fetch),
    HANDLE(KAPI_FIND_COORDINATOR, handle_find_coordinator),
    HANDLE(KAPI_JOIN_GROUP, handle_join_group),
    HANDLE(KAPI_HEARTBEAT, handle_heartbeat),
    HANDLE(KAPI_LEAVE_GROUP, handle_leave_group),
    HANDLE(KAPI_SYNC_GROUP, handle_sync_group),
    HANDLE(KAPI_DESCRIBE_GROUPS, handle_describe_groups),
    HANDLE(KAPI_LIST_GROUPS, handle_list_groups),
    HANDLE(KAPI_API_VERSIONS, handle_api_versions),
    FORWARD(KAPI_CREATE_TOPICS, handle_create_topics),
    FORWARD(KAPI_DELETE_TOPICS, handle_delete_topics),
    HANDLE(KAPI_INIT_PRODUCER_ID, handle_init_producer_id),
    HANDLE(KAPI_OFFSET_FOR_LEADER_EPOCH, handle_offset_for_leader_epoch),
    HANDLE(KAPI_DESCRIBE_CONFIGS, handle_describe_configs),
    FORWARD(KAPI_ALTER_CONFIGS, handle_alter_configs),
    HANDLE(PROTO_API_DESCRIBE_LOG_DIRS, handle_describe_log_dirs),
    FORWARD(KAPI_CREATE_PARTITIONS, handle_create_partitions),
    HANDLE(KAPI_DELETE_GROUPS, handle_delete_groups),
    FORWARD(PROTO_API_ELECT_LEADERS, handle_elect_leaders),
    FORWARD(KAPI_INCREMENTAL_ALTER_CONFIGS, handle_incremental_alter_configs),
    HANDLE(PROTO_API_OFFSET_DELETE, handle_offset_delete),
    HANDLE(KAPI_DESCRIBE_CLUSTER, handle_describe_cluster),
    HANDLE(PROTO_API_DESCRIBE_PRODUCERS, handle_describe_producers),
};

/* The controller answers what brokers forward itself: nothing is forwarded from here. */
static const struct broker_api controller_rows[KAPI_MAX_KEY + 1] = {
    HANDLE(KAPI_FETCH, handle_raft_rpc),
    HANDLE(KAPI_API_VERSIONS, handle_api_versions),
    HANDLE(KAPI_CREATE_TOPICS, handle_create_topics),
    HANDLE(KAPI_DELETE_TOPICS, handle_delete_topics),
    HANDLE(KAPI_ALTER_CONFIGS, handle_alter_configs),
    HANDLE(KAPI_CREATE_PARTITIONS, handle_create_partitions),
    HANDLE(PROTO_API_ELECT_LEADERS, handle_elect_leaders),
    HANDLE(KAPI_INCREMENTAL_ALTER_CONFIGS, handle_incremental_alter_configs),
    HANDLE(KAPI_VOTE, handle_raft_rpc),
    HANDLE(KAPI_BEGIN_QUORUM_EPOCH, handle_raft_rpc),
    HANDLE(KAPI_END_QUORUM_EPOCH, handle_raft_rpc),
    HANDLE(KAPI_DESCRIBE_QUORUM, handle_raft_rpc),
    HANDLE(KAPI_ALTER_PARTITION, handle_alter_partition),
    HANDLE(KAPI_FETCH_SNAPSHOT, handle_raft_rpc),
    HANDLE(KAPI_DESCRIBE_CLUSTER, handle_describe_cluster),
    HANDLE(KAPI_BROKER_REGISTRATION, handle_broker_registration),
    HANDLE(KAPI_BROKER_HEARTBEAT, handle_broker_heartbeat),
    HANDLE(KAPI_ALLOCATE_PRODUCER_IDS, handle_allocate_producer_ids),
};

const struct broker_api_table broker_client_apis = {&proto_client_apis, client_rows, false};
const struct broker_api_table broker_controller_apis = {&proto_controller_apis, controller_rows,
                                                        true};

bool broker_api_find(const struct broker_api_table *t, int16_t key, const struct proto_api **api,
                     const struct broker_api **row)
{
    *api = proto_api_table_find(t->proto, key);
    *row = *api ? &t->by_key[key] : NULL;
    return *api && (*row)->handler;
}
