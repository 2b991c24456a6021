/*
 * The CONTROLLER listener's APIs (DESIGN.md section 1), whose rows are
 * proto_controller_apis (api.h): the KRaft
 * RPCs between controllers (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch,
 * FetchSnapshot, DescribeQuorum) and the broker-to-controller RPCs
 * (BrokerRegistration, BrokerHeartbeat, AlterPartition,
 * ControllerRegistration), plus ApiVersions, the topic administration that
 * brokers forward (KIP-919) and ElectLeaders (also Sluice's targeted
 * transfers, msg_elect_leaders.h).  The schemas are msg_controller.h's;
 * Fetch and ApiVersions reuse the client listener's schemas.  A connection
 * on this listener decodes request headers with
 * proto_req_header_decode_ex(..., proto_api_controller_is_flexible).
 */
#ifndef SLUICE_PROTO_API_CONTROLLER_H
#define SLUICE_PROTO_API_CONTROLLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "arena.h"
#include "codec.h"
#include "frame.h"
#include "msg_api_versions.h"

/* ControllerRegistration (KIP-919); kafka.h's enum stops at the keys the client listener uses. */
#define PROTO_API_CONTROLLER_REGISTRATION 70

/*
 * Fetch on this listener is the KRaft replication Fetch (KIP-595): version
 * 12, the first with LastFetchedEpoch, DivergingEpoch and SnapshotId, up to
 * the highest our Fetch schema describes.
 */
#define PROTO_API_CONTROLLER_FETCH_MIN 12

/*
 * Whether (key, version) is flexible on this listener (request header v2,
 * response header v1 except ApiVersions): proto_api_table_is_flexible of
 * proto_controller_apis in the shape of the is_flexible argument of
 * proto_req_header_decode_ex.
 */
bool proto_api_controller_is_flexible(int16_t key, int16_t version);

/*
 * Appends a whole response frame (size, response header, body encoded with
 * the table's response schema of api_key at api_version) to o.  Returns 0,
 * SL_EINVAL for a key or version this listener does not serve or a body the
 * encoder rejects, SL_ETOOLARGE; o is unchanged on error.
 */
int proto_api_controller_resp_frame_encode(struct proto_out *o, int16_t api_key,
                                           int16_t api_version, int32_t correlation_id,
                                           const void *body);

/*
 * Appends a whole request frame (size, request header v2/v1 by this table's
 * flexibility, body encoded with the table's request schema) to o, for the
 * sending side of these RPCs.  Errors as proto_api_controller_resp_frame_encode.
 */
int proto_api_controller_req_frame_encode(struct proto_out *o, const struct proto_req_header *h,
                                          const void *body);

#endif
