/*
 * Handlers of the consumer-group APIs (classic protocol), dispatched like the
 * ones in handlers.h:
 *   handle_group.c          JoinGroup (11), Heartbeat (12), LeaveGroup (13),
 *                           SyncGroup (14), DescribeGroups (15), ListGroups (16),
 *                           DeleteGroups (42)
 *   handle_group_offsets.c  OffsetCommit (8), OffsetFetch (9), OffsetDelete (47)
 * Each decodes its request, asks the node's group coordinator
 * (group_coordinator.h) and completes the request, now or once the group's
 * rebalance or the __consumer_offsets write it waits for completes.
 */
#ifndef SLUICE_BROKER_GROUP_HANDLERS_H
#define SLUICE_BROKER_GROUP_HANDLERS_H

#include <stdbool.h>

#include "msg_group.h" /* PROTO_API_OFFSET_DELETE for the dispatch table */
#include "topic_name.h"

struct request;

void handle_join_group(struct request *req);
void handle_sync_group(struct request *req);
void handle_heartbeat(struct request *req);
void handle_leave_group(struct request *req);
void handle_describe_groups(struct request *req);
void handle_list_groups(struct request *req);
void handle_delete_groups(struct request *req);
void handle_offset_commit(struct request *req);
void handle_offset_fetch(struct request *req);
void handle_offset_delete(struct request *req);

/*
 * Group, member and group-instance ids are opaque Kafka strings, but the
 * coordinator keys groups and members by C strings (and writes them into
 * __consumer_offsets keys).  An id holding a NUL byte would silently stand
 * for its prefix, so it is refused instead: the group id with
 * INVALID_GROUP_ID, a member or instance id with UNKNOWN_MEMBER_ID (no member
 * can have it: member ids are handed out by this broker).
 */
static inline bool group_ids_carry_nul(struct kstr group_id)
{
    return proto_kstr_has_nul(group_id);
}
static inline bool member_ids_carry_nul(struct kstr member_id, struct kstr instance_id)
{
    return proto_kstr_has_nul(member_id) || proto_kstr_has_nul(instance_id);
}

#endif
