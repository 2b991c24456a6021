/*
 * The table of Kafka APIs this broker serves on its client listener: for each
 * API key the advertised version range (what ApiVersions answers), the lowest
 * version actually accepted, the first flexible version (KIP-482) and the
 * request/response schemas (messages.h).  The ranges are those of
 * notes/versions.md.  Also builds ApiVersions answers, including the KIP-511
 * UNSUPPORTED_VERSION special case.
 */
#ifndef SLUICE_PROTO_API_H
#define SLUICE_PROTO_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "codec.h"
#include "msg_api_versions.h"

struct proto_api {
    int16_t key;
    const char *name;   /* Kafka's name, e.g. "Produce" */
    int16_t min, max;   /* advertised in ApiVersions */
    int16_t accept_min; /* lowest version served; min..accept_min-1 -> UNSUPPORTED_VERSION */
    int16_t flex_min;   /* first flexible version */
    const struct proto_schema *req, *resp;
};

/* The entry for `key`, or NULL when the API is not served.  Static storage. */
const struct proto_api *proto_api_find(int16_t key);

/*
 * For an entry of either listener's table (NULL: false): whether version is
 * flexible (within min..max and from flex_min), and whether it is served
 * (accept_min..max).
 */
bool proto_api_entry_is_flexible(const struct proto_api *api, int16_t version);
bool proto_api_entry_serves(const struct proto_api *api, int16_t version);

/*
 * Fills `resp` (overwritten) with a successful ApiVersions answer listing
 * the advertised range of each of table[0, n); throttle 0, no features,
 * finalized_features_epoch -1.  The array lives in `a`.
 */
void proto_api_versions_fill_from(struct api_versions_resp *resp, const struct proto_api *table,
                                  size_t n, struct arena *a);

/*
 * Whether (key, version) uses the flexible encoding (compact types, tagged
 * fields, request header v2, response header v1).  False for unknown keys and
 * for versions outside the advertised range, so such requests are read with
 * header v1 and can still be answered.
 */
bool proto_api_is_flexible(int16_t key, int16_t version);

/* Whether the broker serves (key, version): accept_min <= version <= max. */
bool proto_api_version_supported(int16_t key, int16_t version);

/* Number of table entries, and entry i (0 <= i < count, ordered by key; NULL beyond). */
size_t proto_api_count(void);
const struct proto_api *proto_api_at(size_t i);

/*
 * Fills `resp` (any prior content is overwritten) with a successful
 * ApiVersions answer listing every table entry's advertised range;
 * throttle_time_ms 0, no features, finalized_features_epoch -1.  The array
 * is allocated in `a` and lives as long as the arena.
 */
void proto_api_versions_fill(struct api_versions_resp *resp, struct arena *a);

/*
 * Fills `resp` with the KIP-511 answer to an ApiVersions request whose
 * version we do not serve: error UNSUPPORTED_VERSION (35) and api_keys
 * holding only the ApiVersions range, so the client retries with the highest
 * version it shares with us.  Such a body must be encoded as version 0 (see
 * proto_api_versions_unsupported_encode).  Allocates in `a`.
 */
void proto_api_versions_unsupported(struct api_versions_resp *resp, struct arena *a);

/*
 * Appends to o the complete response frame (size, response header v0, body
 * v0) for an ApiVersions request with an unsupported version, echoing
 * correlation_id.  Returns 0 (encoding a fixed body cannot fail; a negative
 * SL_E* code would mean a broken schema).
 */
int proto_api_versions_unsupported_encode(struct proto_out *o, int32_t correlation_id);

#endif
