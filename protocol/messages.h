/*
 * Every Kafka request and response body the broker serves, as C structs plus
 * the codec schemas (proto_<api>_req_schema / proto_<api>_resp_schema) that
 * proto_decode()/proto_encode() walk.  One header per API family; the
 * comment on each struct there says which Kafka versions each field exists
 * in and its default when absent.
 *
 *   msg_api_versions.h   ApiVersions (18)
 *   msg_produce_fetch.h  Produce (0), Fetch (1), InitProducerId (22)
 *   msg_offsets.h        ListOffsets (2), OffsetForLeaderEpoch (23)
 *   msg_metadata.h       Metadata (3), FindCoordinator (10), DescribeCluster (60)
 *   msg_admin.h          CreateTopics (19), DeleteTopics (20), DescribeConfigs (32),
 *                        CreatePartitions (37)
 *   msg_controller.h     the CONTROLLER listener's APIs: Vote (52), BeginQuorumEpoch (53),
 *                        EndQuorumEpoch (54), DescribeQuorum (55), AlterPartition (56),
 *                        FetchSnapshot (59), BrokerRegistration (62), BrokerHeartbeat (63),
 *                        ControllerRegistration (70) (table: api_controller.h)
 *   msg_group.h          OffsetCommit (8), OffsetFetch (9), JoinGroup (11), Heartbeat (12),
 *                        LeaveGroup (13), SyncGroup (14), DescribeGroups (15), ListGroups (16),
 *                        DeleteGroups (42), OffsetDelete (47)
 *   msg_elect_leaders.h  ElectLeaders (43)
 *   msg_describe_log_dirs.h    DescribeLogDirs (35)
 *   msg_describe_producers.h   DescribeProducers (61)
 *
 * Decoded strings and arrays live in the request arena; BYTES/RECORDS alias
 * the request buffer (see codec.h).
 */
#ifndef SLUICE_MESSAGES_H
#define SLUICE_MESSAGES_H

#include "msg_api_versions.h"
#include "msg_produce_fetch.h"
#include "msg_offsets.h"
#include "msg_metadata.h"
#include "msg_admin.h"
#include "msg_configs.h"
#include "msg_controller.h"
#include "msg_group.h"
#include "msg_elect_leaders.h"
#include "msg_describe_log_dirs.h"
#include "msg_describe_producers.h"

#endif
