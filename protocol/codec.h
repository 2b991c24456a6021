/*
 * Table-driven codec for Kafka messages.
 *
 * Every request and response body (and every KRaft metadata record body) is
 * described once as a `struct proto_schema`: an array of field descriptors
 * that say, for each field, its wire type, the versions it exists in, from
 * which version it is nullable, whether it is a tagged field (KIP-482) and
 * where it lives in the C struct (offsetof).  One generic decoder and one
 * generic encoder walk these tables for any (schema, version) pair, so adding
 * an API is writing its C struct and its table, never a hand-written codec.
 *
 * C representation of wire types:
 *   PF_BOOL          bool
 *   PF_INT8..INT64   int8_t, int16_t, uint16_t, int32_t, uint32_t, int64_t
 *   PF_FLOAT64       double
 *   PF_UUID          struct uuid
 *   PF_STRING        struct kstr   (NUL-terminated copy in the arena; s == NULL means null)
 *   PF_BYTES         struct kbytes (aliases the input buffer; p == NULL && len < 0 means null)
 *   PF_RECORDS       struct kbytes (as BYTES; on encode may reference a file slice)
 *   PF_STRUCT        the nested C struct, inline
 *   PF_ARRAY         struct karr-compatible { int32_t n; T *v; } (n < 0 means null)
 *
 * Flexible versions (>= the API's first flexible version) use compact strings,
 * bytes and arrays and end every struct with a tagged-field section; the
 * caller says which with the `flexible` argument.
 */
#ifndef SLUICE_PROTO_CODEC_H
#define SLUICE_PROTO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "buf.h"
#include "uuid.h"

#define PROTO_VMAX INT16_MAX

enum proto_ftype {
    PF_BOOL = 1,
    PF_INT8,
    PF_INT16,
    PF_UINT16,
    PF_INT32,
    PF_UINT32,
    PF_INT64,
    PF_FLOAT64,
    PF_UUID,
    PF_STRING,
    PF_BYTES,
    PF_RECORDS,
    PF_STRUCT,
    PF_ARRAY,
};

/* A string decoded into the request arena.  s == NULL encodes as null. */
struct kstr {
    const char *s;
    int32_t len;
};

/*
 * A slice of an open file that an encoder emits by reference instead of by
 * copy, so Fetch responses go out with sendfile (see struct proto_out).
 */
struct proto_file_slice {
    int fd;      /* borrowed; the consumer of proto_out dups it if it must outlive the call */
    int64_t off; /* offset in the file */
    int64_t len; /* bytes */
};

/*
 * Bytes.  On decode p aliases the input buffer.  On encode either p/len, or
 * (for PF_RECORDS only) `file` set and len == file->len.  len < 0 is null.
 */
struct kbytes {
    const uint8_t *p;
    int32_t len;
    const struct proto_file_slice *file;
};

/* Layout shared by every array field: `KARR(T) name;` in message structs. */
struct karr {
    int32_t n;
    void *v;
};
#define KARR(T)                                                                                    \
    struct {                                                                                       \
        int32_t n;                                                                                 \
        T *v;                                                                                      \
    }

struct proto_schema;

struct proto_field {
    const char *name;
    uint8_t type;       /* enum proto_ftype */
    uint8_t elem_type;  /* for PF_ARRAY: the element's type (PF_STRUCT for arrays of structs) */
    int16_t vmin;       /* first version the field exists in */
    int16_t vmax;       /* last version (PROTO_VMAX when open-ended) */
    int16_t null_vmin;  /* first version in which it is nullable (PROTO_VMAX: never) */
    int16_t tag;        /* tagged-field id, or -1 for a regular field */
    uint32_t offset;    /* offsetof in the C struct */
    uint32_t elem_size; /* for PF_ARRAY: sizeof one element */
    const struct proto_schema *sub; /* for PF_STRUCT and arrays of PF_STRUCT */
    int64_t dflt; /* value for integer/bool fields absent in the decoded version */
};

struct proto_schema {
    const char *name;
    const struct proto_field *fields;
    uint16_t nfields;
    uint32_t size; /* sizeof the C struct */
};

/*
 * Field-table helpers.  Example:
 *   static const struct proto_field topic_fields[] = {
 *       PF_FIELD(struct metadata_req_topic, topic_id, PF_UUID, 10, PROTO_VMAX),
 *       PF_FIELD_N(struct metadata_req_topic, name, PF_STRING, 0, PROTO_VMAX, 10),
 *   };
 *   PROTO_SCHEMA(metadata_req_topic_schema, struct metadata_req_topic, topic_fields);
 */
#define PF_FIELD(ST, F, T, V0, V1)                                                                 \
    {                                                                                              \
        .name = #F, .type = (T), .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX, .tag = -1,   \
        .offset = offsetof(ST, F)                                                                  \
    }
#define PF_FIELD_N(ST, F, T, V0, V1, NV0)                                                          \
    {                                                                                              \
        .name = #F, .type = (T), .vmin = (V0), .vmax = (V1), .null_vmin = (NV0), .tag = -1,        \
        .offset = offsetof(ST, F)                                                                  \
    }
#define PF_FIELD_D(ST, F, T, V0, V1, DFLT)                                                         \
    {                                                                                              \
        .name = #F, .type = (T), .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX, .tag = -1,   \
        .offset = offsetof(ST, F), .dflt = (DFLT)                                                  \
    }
#define PF_TAGGED(ST, F, T, V0, V1, TAG)                                                           \
    {                                                                                              \
        .name = #F, .type = (T), .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX,              \
        .tag = (TAG), .offset = offsetof(ST, F)                                                    \
    }
#define PF_STRUCTF(ST, F, SUB, V0, V1)                                                             \
    {                                                                                              \
        .name = #F, .type = PF_STRUCT, .vmin = (V0), .vmax = (V1), .null_vmin = PROTO_VMAX,        \
        .tag = -1, .offset = offsetof(ST, F), .sub = &(SUB)                                        \
    }
#define PF_ARRAYF(ST, F, ET, V0, V1)                                                               \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = (ET), .vmin = (V0), .vmax = (V1),               \
        .null_vmin = PROTO_VMAX, .tag = -1, .offset = offsetof(ST, F),                             \
        .elem_size = sizeof(*((ST *)0)->F.v)                                                       \
    }
#define PF_ARRAYF_N(ST, F, ET, V0, V1, NV0)                                                        \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = (ET), .vmin = (V0), .vmax = (V1),               \
        .null_vmin = (NV0), .tag = -1, .offset = offsetof(ST, F),                                  \
        .elem_size = sizeof(*((ST *)0)->F.v)                                                       \
    }
#define PF_SARRAY(ST, F, SUB, V0, V1)                                                              \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = PF_STRUCT, .vmin = (V0), .vmax = (V1),          \
        .null_vmin = PROTO_VMAX, .tag = -1, .offset = offsetof(ST, F),                             \
        .elem_size = sizeof(*((ST *)0)->F.v), .sub = &(SUB)                                        \
    }
#define PF_SARRAY_N(ST, F, SUB, V0, V1, NV0)                                                       \
    {                                                                                              \
        .name = #F, .type = PF_ARRAY, .elem_type = PF_STRUCT, .vmin = (V0), .vmax = (V1),          \
        .null_vmin = (NV0), .tag = -1, .offset = offsetof(ST, F),                                  \
        .elem_size = sizeof(*((ST *)0)->F.v), .sub = &(SUB)                                        \
    }
#define PROTO_SCHEMA(NAME, ST, FIELDS)                                                             \
    const struct proto_schema NAME = {#ST, FIELDS, sizeof(FIELDS) / sizeof((FIELDS)[0]), sizeof(ST)}

/*
 * The level most messages have between the request or response and its
 * partitions: a topic name (string field NAME_F) and the array PARTS_F of
 * structs of PART_SCHEMA, both in every version.  Defines the file-local
 * schema NAME of struct ST.
 */
#define PROTO_TOPIC_SCHEMA(NAME, ST, NAME_F, PARTS_F, PART_SCHEMA)                                 \
    static const struct proto_field NAME##_fields[] = {                                            \
        PF_FIELD(ST, NAME_F, PF_STRING, 0, PROTO_VMAX),                                            \
        PF_SARRAY(ST, PARTS_F, PART_SCHEMA, 0, PROTO_VMAX),                                        \
    };                                                                                             \
    static PROTO_SCHEMA(NAME, ST, NAME##_fields)
/* The same level when a request names its partitions only by index (int32 array PARTS_F). */
#define PROTO_TOPIC_INDEXES_SCHEMA(NAME, ST, NAME_F, PARTS_F)                                      \
    static const struct proto_field NAME##_fields[] = {                                            \
        PF_FIELD(ST, NAME_F, PF_STRING, 0, PROTO_VMAX),                                            \
        PF_ARRAYF(ST, PARTS_F, PF_INT32, 0, PROTO_VMAX),                                           \
    };                                                                                             \
    static PROTO_SCHEMA(NAME, ST, NAME##_fields)

/*
 * Hard limits of the codec.  PROTO_MAX_DEPTH bounds struct nesting (decode
 * fails with SL_ECORRUPT, encode with SL_EINVAL beyond it); an array count is
 * rejected above PROTO_MAX_ARRAY_LEN or when count * (minimum encoded size of
 * one element) exceeds the bytes remaining; strings are at most
 * PROTO_MAX_STRING_LEN bytes (Kafka's limit, in both encodings).
 */
#define PROTO_MAX_DEPTH      16
#define PROTO_MAX_ARRAY_LEN  (1 << 24)
#define PROTO_MAX_STRING_LEN INT16_MAX

/* Limits applied while decoding, on top of the bytes actually present. */
struct proto_limits {
    int32_t max_array_len; /* per array; also bounded by remaining bytes */
};

/*
 * Decodes one struct of `schema` at `version` from r into out (which must be
 * schema->size bytes; it is zeroed first).  Strings and arrays are allocated
 * in `a`; BYTES/RECORDS alias r's buffer.  Every length and count is checked
 * against the bytes remaining before anything is allocated.  Unknown tagged
 * fields are skipped.  Fields absent in `version` (and tagged fields not sent)
 * hold their default: `dflt` for integers, bools and floats, zero otherwise
 * (null kstr, empty kbytes, empty array, zero UUID).  A null where the field
 * is not nullable in `version` is an error.  Returns 0, or SL_ECORRUPT when
 * the input is truncated or malformed (r->err is then set).  The bytes after
 * the struct are left unread (the caller checks rbuf_remaining if it must).
 */
int proto_decode(const struct proto_schema *schema, int16_t version, bool flexible, struct rbuf *r,
                 void *out, struct arena *a);

/*
 * Output of an encoder: bytes plus, for PF_RECORDS fields that reference a
 * file, splice points.  Splice i means "after the first splices[i].pos bytes
 * of w, insert splices[i].slice" (pos is the wbuf length when the slice was
 * added; splices are in increasing pos order).  Consumers send bytes and
 * slices interleaved in order.
 */
struct proto_splice {
    size_t pos;
    struct proto_file_slice slice;
};

struct proto_out {
    struct wbuf w;
    struct proto_splice *splices;
    size_t nsplices, cap_splices;
    int64_t spliced_bytes; /* total length of all slices */
};

void proto_out_init(struct proto_out *o);
void proto_out_free(struct proto_out *o);
/* Total encoded length: bytes in w plus spliced file bytes. */
static inline int64_t proto_out_len(const struct proto_out *o)
{
    return (int64_t)o->w.len + o->spliced_bytes;
}

/*
 * Encodes `in` as `schema` at `version` into o (appending).  Fields absent
 * in that version are skipped; tagged fields are written, in increasing tag
 * order, only when they differ from their default (`dflt` for integers and
 * bools; null or empty for strings, bytes and arrays; the zero UUID; a struct
 * whose fields are all default).  Returns 0, or SL_EINVAL when a non-nullable
 * field holds null in this version, a string is longer than
 * PROTO_MAX_STRING_LEN, or the schema is inconsistent; on error o is left as
 * it was before the call.
 */
int proto_encode(const struct proto_schema *schema, int16_t version, bool flexible, const void *in,
                 struct proto_out *o);

/*
 * Zeroes `out` (schema->size bytes) and stores every field's default: `dflt`
 * for integers, bools and floats, recursively into inline structs; strings,
 * bytes and arrays stay null/empty.  This is what proto_decode leaves in
 * fields absent from the decoded version, and what makes a tagged struct
 * "default" (not written).  Use it to initialise structs before filling the
 * fields you set, e.g. response partitions whose tagged structs must read
 * -1 when unused.
 */
void proto_init_defaults(const struct proto_schema *schema, void *out);

/*
 * Reads and discards a tagged-field section (uvarint count, then tag, size,
 * payload per field), for headers whose tags we do not interpret.  Returns 0
 * or SL_ECORRUPT (r->err set).
 */
int proto_tagged_fields_skip(struct rbuf *r);

#endif
