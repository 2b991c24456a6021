/*
 * The API table of the CONTROLLER listener (DESIGN.md section 1): the KRaft
 * RPCs between controllers (Vote, BeginQuorumEpoch, EndQuorumEpoch, Fetch,
 * FetchSnapshot, DescribeQuorum) and the broker-to-controller RPCs
 * (BrokerRegistration, BrokerHeartbeat, AlterPartition,
 * ControllerRegistration), plus ApiVersions, the topic administration that
 * brokers forward (KIP-919) and ElectLeaders (also Sluice's targeted
 * transfers, msg_elect_leaders.h).  Same entry layout as the
 * client listener's table (api.h); the schemas are msg_controller.h's, and
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

/* The entry for `key` on the controller listener, or NULL.  Static storage. */
const struct proto_api *proto_api_controller_find(int16_t key);

/*
 * Whether (key, version) is flexible on this listener (request header v2,
 * response header v1 except ApiVersions).  False for unknown keys and
 * versions outside the advertised range.  Matches the is_flexible argument
 * of proto_req_header_decode_ex.
 */
bool proto_api_controller_is_flexible(int16_t key, int16_t version);

/* Whether this listener serves (key, version): accept_min <= version <= max. */
bool proto_api_controller_version_supported(int16_t key, int16_t version);

/* Number of entries and entry i (ordered by key; NULL beyond the end). */
size_t proto_api_controller_count(void);
const struct proto_api *proto_api_controller_at(size_t i);

/*
 * Fills `resp` (overwritten) with a successful ApiVersions answer for the
 * controller listener: every entry's advertised range, throttle 0, no
 * features, finalized_features_epoch -1.  The array lives in `a`.  An
 * ApiVersions request with an unsupported version gets the same KIP-511
 * answer as on the client listener (proto_api_versions_unsupported_encode).
 */
void proto_api_controller_versions_fill(struct api_versions_resp *resp, struct arena *a);

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
