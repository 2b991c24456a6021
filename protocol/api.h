/*
 * The protocol columns of the API table of each listener (DESIGN.md section
 * 5): for each API key the advertised version range (what ApiVersions
 * answers), the lowest version actually accepted, the first flexible version
 * (KIP-482) and the request/response schemas (messages.h).  The CLIENT
 * listeners serve proto_client_apis (the ranges of notes/versions.md); the
 * CONTROLLER listener serves proto_controller_apis (api_controller.h says
 * what is in it).  The broker adds the handler column (broker/api_table.h).
 * Also builds ApiVersions answers, including the KIP-511 UNSUPPORTED_VERSION
 * special case.
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

/*
 * One listener's table: rows indexed by API key (0..KAPI_MAX_KEY), a row with
 * a NULL name being an API the listener does not serve.
 */
struct proto_api_table {
    const char *name; /* "client", "controller" */
    const struct proto_api *by_key;
    /* proto_api_table_is_flexible of this table, in the shape header decoders take. */
    bool (*is_flexible)(int16_t key, int16_t version);
};

extern const struct proto_api_table proto_client_apis;
extern const struct proto_api_table proto_controller_apis;

/* The row for `key`, or NULL when the listener does not serve it.  Static storage. */
const struct proto_api *proto_api_table_find(const struct proto_api_table *t, int16_t key);

/*
 * Whether (key, version) uses the flexible encoding (compact types, tagged
 * fields, request header v2, response header v1).  False for unknown keys and
 * for versions outside the advertised range, so such requests are read with
 * header v1 and can still be answered.
 */
bool proto_api_table_is_flexible(const struct proto_api_table *t, int16_t key, int16_t version);

/* Whether the listener serves (key, version): accept_min <= version <= max. */
bool proto_api_table_version_supported(const struct proto_api_table *t, int16_t key,
                                       int16_t version);

/* Number of served APIs, and the i-th by key (NULL beyond the end). */
size_t proto_api_table_count(const struct proto_api_table *t);
const struct proto_api *proto_api_table_at(const struct proto_api_table *t, size_t i);

/*
 * Fills `resp` (any prior content is overwritten) with a successful
 * ApiVersions answer listing every served API's advertised range by key;
 * throttle_time_ms 0, no features, finalized_features_epoch -1.  The array
 * is allocated in `a` and lives as long as the arena.
 */
void proto_api_table_versions_fill(const struct proto_api_table *t, struct api_versions_resp *resp,
                                   struct arena *a);

/*
 * Fills `resp` with the KIP-511 answer to an ApiVersions request whose
 * version the listener does not serve: error UNSUPPORTED_VERSION (35) and
 * api_keys holding only the ApiVersions range, so the client retries with the
 * highest version it shares with us.  Such a body must be encoded as version
 * 0.  Allocates in `a`.
 */
void proto_api_table_versions_unsupported(const struct proto_api_table *t,
                                          struct api_versions_resp *resp, struct arena *a);

/* Shorthands for the client listener's table, which clients and tools speak. */
const struct proto_api *proto_api_find(int16_t key);
bool proto_api_is_flexible(int16_t key, int16_t version);

/*
 * Appends to o the complete response frame (size, response header v0, body
 * v0) for an ApiVersions request with an unsupported version, echoing
 * correlation_id.  Returns 0 (encoding a fixed body cannot fail; a negative
 * SL_E* code would mean a broken schema).
 */
int proto_api_versions_unsupported_encode(struct proto_out *o, int32_t correlation_id);

#endif
