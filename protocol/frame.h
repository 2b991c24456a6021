/*
 * Kafka framing: every request and response is `int32 size` + header + body.
 *
 * Request header v1: api_key i16, api_version i16, correlation_id i32,
 * client_id (nullable STRING with an int16 length).  v2 adds a tagged-field
 * section; client_id stays an int16-length string even then.  v2 is used iff
 * (api_key, api_version) is flexible.
 * Response header v0: correlation_id i32; v1 adds a tagged-field section and
 * is used iff the API version is flexible, except for ApiVersions responses,
 * which always use v0 so a client can read the header before it knows our
 * versions (KIP-511).
 */
#ifndef SLUICE_PROTO_FRAME_H
#define SLUICE_PROTO_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "codec.h"

/* Kafka's socket.request.max.bytes default. */
#define PROTO_DEFAULT_MAX_REQUEST_BYTES (100 * 1024 * 1024)
/* Smallest acceptable request frame: api_key, api_version and correlation_id. */
#define PROTO_MIN_REQUEST_BYTES 8
/* Smallest acceptable response frame (response header v0). */
#define PROTO_MIN_RESPONSE_BYTES 4

struct proto_req_header {
    int16_t api_key;
    int16_t api_version;
    int32_t correlation_id;
    struct kstr client_id; /* s == NULL: null client id */
};

/*
 * Checks the int32 size prefix of a request frame: 0 when
 * PROTO_MIN_REQUEST_BYTES <= size <= max, SL_ETOOLARGE when size > max,
 * SL_ECORRUPT when it is negative or too small.  Call it before allocating
 * the frame buffer.
 */
int proto_frame_size_check(int32_t size, int32_t max);

/* The same for response frames (minimum PROTO_MIN_RESPONSE_BYTES). */
int proto_resp_frame_size_check(int32_t size, int32_t max);

/*
 * Decodes a request header from the start of a frame body (after the size
 * prefix), leaving r at the request body.  Uses header v2 when
 * proto_api_is_flexible(api_key, api_version), else v1 (also for unknown keys
 * and versions, so the broker can still answer them); tagged header fields
 * are skipped.  client_id is copied into `a` (NUL-terminated).  Returns 0 or
 * SL_ECORRUPT (truncated, bad length).
 */
int proto_req_header_decode(struct rbuf *r, struct proto_req_header *h, struct arena *a);

/*
 * As proto_req_header_decode, with the header version chosen by
 * is_flexible(api_key, api_version): for listeners whose API table is not
 * api.h's (e.g. the controller listener).
 */
int proto_req_header_decode_ex(struct rbuf *r, struct proto_req_header *h, struct arena *a,
                               bool (*is_flexible)(int16_t key, int16_t version));

/*
 * Appends request header v2 (flexible) or v1 to o.  A client_id longer than
 * PROTO_MAX_STRING_LEN bytes is truncated (it is informational only).
 */
void proto_req_header_write(struct proto_out *o, const struct proto_req_header *h, bool flexible);

/*
 * Appends the response header for (api_key, api_version) to o: v1
 * (correlation id + empty tagged fields) when the version is flexible per
 * api.h, else v0; always v0 for ApiVersions.
 */
void proto_resp_header_encode(struct proto_out *o, int16_t api_key, int16_t api_version,
                              int32_t correlation_id);

/* Appends response header v1 (flexible) or v0 to o. */
void proto_resp_header_write(struct proto_out *o, int32_t correlation_id, bool flexible);

/* Whether the response to (api_key, api_version) uses response header v1. */
bool proto_resp_header_flexible(int16_t api_key, int16_t api_version);

/*
 * Reads a response header (v1 when flexible, else v0) and leaves r at the
 * body.  Returns 0 or SL_ECORRUPT.
 */
int proto_resp_header_decode(struct rbuf *r, bool flexible, int32_t *correlation_id);

/*
 * Building a frame by hand: proto_frame_begin reserves the 4-byte size at
 * the end of o and records where; the caller appends header and body (with
 * proto_encode, possibly adding file splices); proto_frame_end patches the
 * size to everything appended since, spliced file bytes included.
 * proto_frame_abort drops everything appended since begin.
 */
struct proto_frame_mark {
    size_t start;          /* offset of the size field in o->w */
    size_t nsplices;       /* o->nsplices at begin */
    int64_t spliced_bytes; /* o->spliced_bytes at begin */
};

void proto_frame_begin(struct proto_out *o, struct proto_frame_mark *m);
/* Returns 0, or SL_ETOOLARGE (and aborts the frame) if it exceeds INT32_MAX bytes. */
int proto_frame_end(struct proto_out *o, const struct proto_frame_mark *m);
void proto_frame_abort(struct proto_out *o, const struct proto_frame_mark *m);

/*
 * Appends a complete response frame to o: size, response header (see
 * proto_resp_header_encode) and `body` encoded with `schema` at api_version
 * (flexible per api.h).  Returns 0, or SL_EINVAL / SL_ETOOLARGE from the
 * encoder with o left unchanged.
 */
int proto_resp_frame_encode(struct proto_out *o, int16_t api_key, int16_t api_version,
                            int32_t correlation_id, const struct proto_schema *schema,
                            const void *body);

/*
 * Appends a complete request frame to o: size, request header (v2 when
 * flexible per api.h, else v1) and `body` encoded with `schema` at
 * h->api_version.  Returns 0, or SL_EINVAL / SL_ETOOLARGE with o unchanged.
 */
int proto_req_frame_encode(struct proto_out *o, const struct proto_req_header *h,
                           const struct proto_schema *schema, const void *body);

#endif
