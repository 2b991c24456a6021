/*
 * The generic Kafka message codec (codec.h): one decoder and one encoder that
 * walk a `struct proto_schema` for any (schema, version, flexible) triple.
 *
 * Wire rules (Kafka protocol guide; KIP-482 for flexible versions):
 *  - non-flexible: STRING = int16 length + bytes (-1 null), BYTES/RECORDS =
 *    int32 length + bytes (-1 null), ARRAY = int32 count + elements (-1 null);
 *  - flexible: COMPACT_* = uvarint(length + 1) (0 null), and every struct ends
 *    with a tagged-field section: uvarint count, then per field uvarint tag,
 *    uvarint size, payload.  Tags are written in increasing order and only for
 *    fields whose value differs from the default; unknown tags are skipped.
 *
 * Decoding never allocates before checking a length or count against the
 * bytes that remain (and a sanity cap); recursion is bounded by
 * PROTO_MAX_DEPTH.  The encoder writes straight into the output wbuf.
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "xalloc.h"

struct dctx {
    struct rbuf *r;
    struct arena *a;
    int16_t version;
    bool flex;
};

struct ectx {
    struct proto_out *o;
    int16_t version;
    bool flex;
};

static inline bool in_version(const struct proto_field *f, int16_t v)
{
    return v >= f->vmin && v <= f->vmax;
}

static inline bool nullable_in(const struct proto_field *f, int16_t v)
{
    return v >= f->null_vmin;
}

/* A tagged field exists only in flexible versions within its range. */
static inline bool tagged_present(const struct proto_field *f, const struct ectx *c)
{
    return c->flex && in_version(f, c->version);
}

static inline void *field_ptr(void *base, const struct proto_field *f)
{
    return (char *)base + f->offset;
}

static inline const void *field_cptr(const void *base, const struct proto_field *f)
{
    return (const char *)base + f->offset;
}

static const char empty_str[1] = "";

/* ------------------------------------------------------------------ */
/* Defaults                                                             */
/* ------------------------------------------------------------------ */

/*
 * Stores the default of a scalar of `type` at p (already zeroed): dflt for
 * integers, bools and floats; zero (null string, empty bytes, zero UUID)
 * otherwise.
 */
static void set_scalar_default(uint8_t type, int64_t dflt, void *p)
{
    if (dflt == 0)
        return;
    switch (type) {
    case PF_BOOL:
        *(bool *)p = true;
        break;
    case PF_INT8:
        *(int8_t *)p = (int8_t)dflt;
        break;
    case PF_INT16:
        *(int16_t *)p = (int16_t)dflt;
        break;
    case PF_UINT16:
        *(uint16_t *)p = (uint16_t)dflt;
        break;
    case PF_INT32:
        *(int32_t *)p = (int32_t)dflt;
        break;
    case PF_UINT32:
        *(uint32_t *)p = (uint32_t)dflt;
        break;
    case PF_INT64:
        *(int64_t *)p = dflt;
        break;
    case PF_FLOAT64:
        *(double *)p = (double)dflt;
        break;
    default:
        break;
    }
}

/* Fills a zeroed struct with the defaults of every field (no version filter). */
static int set_struct_defaults(const struct proto_schema *s, void *out, int depth)
{
    if (depth > PROTO_MAX_DEPTH)
        return SL_ECORRUPT;
    for (uint16_t i = 0; i < s->nfields; i++) {
        const struct proto_field *f = &s->fields[i];
        void *p = field_ptr(out, f);
        if (f->type == PF_STRUCT) {
            if (f->sub) {
                int rc = set_struct_defaults(f->sub, p, depth + 1);
                if (rc)
                    return rc;
            }
        } else {
            set_scalar_default(f->type, f->dflt, p);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Decoding                                                             */
/* ------------------------------------------------------------------ */

static int dec_struct(struct dctx *c, const struct proto_schema *s, void *out, int depth);

static int corrupt(struct dctx *c)
{
    rbuf_fail(c->r);
    return SL_ECORRUPT;
}

/*
 * Reads a length prefix.  Non-flexible: int16 (strings) or int32 (bytes,
 * arrays); flexible: uvarint(len + 1).  As in Kafka's generated parsers, any
 * negative length is null: Kafka reads the prefix into a Java int (the uvarint
 * minus 1, wrapping like Java's int) and tests `length < 0`, so a non-flexible
 * -2 or a compact prefix above 2^31 is null too, not an error.  Returns the
 * length (>= 0), -1 for null, or -2 on malformed (truncated) input.
 */
static int64_t read_len(struct dctx *c, bool wide)
{
    if (c->flex) {
        uint32_t u = rbuf_uvarint(c->r);
        if (c->r->err)
            return -2;
        uint32_t n = u - 1u; /* 0 wraps to UINT32_MAX: null */
        return n > INT32_MAX ? -1 : (int64_t)n;
    }
    int64_t n = wide ? rbuf_i32(c->r) : rbuf_i16(c->r);
    if (c->r->err)
        return -2;
    return n < 0 ? -1 : n;
}

/* Minimum encoded size of one value of `type`, for bounding array counts. */
static size_t min_wire_size(uint8_t type, const struct proto_schema *sub, int16_t version,
                            bool flex, int depth)
{
    switch (type) {
    case PF_BOOL:
    case PF_INT8:
        return 1;
    case PF_INT16:
    case PF_UINT16:
        return 2;
    case PF_INT32:
    case PF_UINT32:
        return 4;
    case PF_INT64:
    case PF_FLOAT64:
        return 8;
    case PF_UUID:
        return 16;
    case PF_STRING:
        return flex ? 1 : 2;
    case PF_BYTES:
    case PF_RECORDS:
    case PF_ARRAY:
        return flex ? 1 : 4;
    case PF_STRUCT: {
        size_t n = flex ? 1 : 0;
        if (!sub || depth > PROTO_MAX_DEPTH)
            return n;
        for (uint16_t i = 0; i < sub->nfields; i++) {
            const struct proto_field *f = &sub->fields[i];
            if (f->tag >= 0 || !in_version(f, version))
                continue;
            n += min_wire_size(f->type, f->sub, version, flex, depth + 1);
        }
        return n;
    }
    default:
        return 0;
    }
}

/* Decodes one non-container value of `type` into p. */
static int dec_scalar(struct dctx *c, uint8_t type, bool nullable, void *p)
{
    struct rbuf *r = c->r;
    switch (type) {
    case PF_BOOL:
        *(bool *)p = rbuf_i8(r) != 0;
        break;
    case PF_INT8:
        *(int8_t *)p = rbuf_i8(r);
        break;
    case PF_INT16:
        *(int16_t *)p = rbuf_i16(r);
        break;
    case PF_UINT16:
        *(uint16_t *)p = rbuf_u16(r);
        break;
    case PF_INT32:
        *(int32_t *)p = rbuf_i32(r);
        break;
    case PF_UINT32:
        *(uint32_t *)p = rbuf_u32(r);
        break;
    case PF_INT64:
        *(int64_t *)p = rbuf_i64(r);
        break;
    case PF_FLOAT64:
        *(double *)p = rbuf_f64(r);
        break;
    case PF_UUID: {
        const uint8_t *b = rbuf_take(r, 16);
        if (b)
            memcpy(((struct uuid *)p)->b, b, 16);
        break;
    }
    case PF_STRING: {
        struct kstr *k = p;
        int64_t n = read_len(c, false);
        if (n == -2 || n > PROTO_MAX_STRING_LEN)
            return corrupt(c);
        if (n == -1) {
            if (!nullable)
                return corrupt(c);
            k->s = NULL;
            k->len = 0;
            break;
        }
        if ((size_t)n > rbuf_remaining(r))
            return corrupt(c);
        const uint8_t *b = rbuf_take(r, (size_t)n);
        k->s = n ? arena_strndup(c->a, (const char *)b, (size_t)n) : empty_str;
        k->len = (int32_t)n;
        break;
    }
    case PF_BYTES:
    case PF_RECORDS: {
        struct kbytes *k = p;
        int64_t n = read_len(c, true);
        if (n == -2 || n > INT32_MAX)
            return corrupt(c);
        k->file = NULL;
        if (n == -1) {
            if (!nullable)
                return corrupt(c);
            k->p = NULL;
            k->len = -1;
            break;
        }
        if ((size_t)n > rbuf_remaining(r))
            return corrupt(c);
        k->p = rbuf_take(r, (size_t)n);
        k->len = (int32_t)n;
        break;
    }
    default:
        return corrupt(c);
    }
    return r->err ? SL_ECORRUPT : 0;
}

static int dec_array(struct dctx *c, const struct proto_field *f, bool nullable, void *p, int depth)
{
    struct karr *k = p;
    int64_t n = read_len(c, true);
    if (n == -2)
        return corrupt(c);
    if (n == -1) {
        if (!nullable)
            return corrupt(c);
        k->n = -1;
        k->v = NULL;
        return 0;
    }
    size_t rem = rbuf_remaining(c->r);
    if (n > PROTO_MAX_ARRAY_LEN || (size_t)n > rem)
        return corrupt(c);
    if (f->elem_type == PF_ARRAY || f->elem_size == 0 || (f->elem_type == PF_STRUCT && !f->sub))
        return corrupt(c);
    size_t min = min_wire_size(f->elem_type, f->sub, c->version, c->flex, depth + 1);
    if (min > 0 && (size_t)n > rem / min)
        return corrupt(c);
    k->n = (int32_t)n;
    k->v = NULL;
    if (n == 0)
        return 0;
    char *v = arena_alloc(c->a, (size_t)n * f->elem_size);
    k->v = v;
    for (int64_t i = 0; i < n; i++) {
        void *e = v + (size_t)i * f->elem_size;
        int rc = f->elem_type == PF_STRUCT ? dec_struct(c, f->sub, e, depth + 1)
                                           : dec_scalar(c, f->elem_type, false, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* Decodes the value of field f (any type) into p. */
static int dec_field(struct dctx *c, const struct proto_field *f, void *p, int depth)
{
    bool nullable = nullable_in(f, c->version);
    switch (f->type) {
    case PF_STRUCT:
        if (!f->sub)
            return corrupt(c);
        return dec_struct(c, f->sub, p, depth + 1);
    case PF_ARRAY:
        return dec_array(c, f, nullable, p, depth);
    default:
        return dec_scalar(c, f->type, nullable, p);
    }
}

static const struct proto_field *find_tag(const struct proto_schema *s, uint32_t tag,
                                          int16_t version)
{
    for (uint16_t i = 0; i < s->nfields; i++) {
        const struct proto_field *f = &s->fields[i];
        if (f->tag >= 0 && (uint32_t)f->tag == tag && in_version(f, version))
            return f;
    }
    return NULL;
}

/* Reads a tagged-field section, decoding known tags of s (NULL: skip all). */
static int dec_tagged(struct dctx *c, const struct proto_schema *s, void *out, int depth)
{
    struct rbuf *r = c->r;
    uint32_t count = rbuf_uvarint(r);
    if (r->err || count > rbuf_remaining(r) / 2)
        return corrupt(c);
    for (uint32_t i = 0; i < count; i++) {
        uint32_t tag = rbuf_uvarint(r);
        uint32_t size = rbuf_uvarint(r);
        if (r->err || size > rbuf_remaining(r))
            return corrupt(c);
        const uint8_t *payload = rbuf_take(r, size);
        const struct proto_field *f = s ? find_tag(s, tag, c->version) : NULL;
        if (!f)
            continue; /* unknown tag: skipped (KIP-482) */
        struct rbuf sub;
        rbuf_init(&sub, payload, size);
        c->r = &sub;
        int rc = dec_field(c, f, field_ptr(out, f), depth);
        c->r = r;
        if (rc || sub.err)
            return corrupt(c);
    }
    return 0;
}

static int dec_struct(struct dctx *c, const struct proto_schema *s, void *out, int depth)
{
    if (depth > PROTO_MAX_DEPTH)
        return corrupt(c);
    bool any_tagged = false;
    for (uint16_t i = 0; i < s->nfields; i++) {
        const struct proto_field *f = &s->fields[i];
        void *p = field_ptr(out, f);
        if (f->tag >= 0 || !in_version(f, c->version)) {
            /* Absent here (or maybe in the tagged section): default value. */
            if (f->type == PF_STRUCT) {
                if (f->sub && set_struct_defaults(f->sub, p, depth + 1))
                    return corrupt(c);
            } else {
                set_scalar_default(f->type, f->dflt, p);
            }
            any_tagged |= f->tag >= 0;
            continue;
        }
        int rc = dec_field(c, f, p, depth);
        if (rc)
            return rc;
    }
    if (c->flex)
        return dec_tagged(c, any_tagged ? s : NULL, out, depth);
    return 0;
}

int proto_decode(const struct proto_schema *schema, int16_t version, bool flexible, struct rbuf *r,
                 void *out, struct arena *a)
{
    memset(out, 0, schema->size);
    if (r->err)
        return SL_ECORRUPT;
    struct dctx c = {.r = r, .a = a, .version = version, .flex = flexible};
    int rc = dec_struct(&c, schema, out, 0);
    if (rc || r->err) {
        r->err = true;
        return SL_ECORRUPT;
    }
    return 0;
}

void proto_init_defaults(const struct proto_schema *schema, void *out)
{
    memset(out, 0, schema->size);
    (void)set_struct_defaults(schema, out, 0); /* deeper than PROTO_MAX_DEPTH: left zero */
}

int proto_tagged_fields_skip(struct rbuf *r)
{
    struct dctx c = {.r = r, .a = NULL, .version = 0, .flex = true};
    if (r->err)
        return SL_ECORRUPT;
    return dec_tagged(&c, NULL, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* Encoding                                                             */
/* ------------------------------------------------------------------ */

void proto_out_init(struct proto_out *o)
{
    wbuf_init(&o->w, 0);
    o->splices = NULL;
    o->nsplices = o->cap_splices = 0;
    o->spliced_bytes = 0;
}

void proto_out_free(struct proto_out *o)
{
    wbuf_free(&o->w);
    free(o->splices);
    o->splices = NULL;
    o->nsplices = o->cap_splices = 0;
    o->spliced_bytes = 0;
}

static void add_splice(struct proto_out *o, const struct proto_file_slice *s)
{
    if (o->nsplices == o->cap_splices) {
        o->cap_splices = o->cap_splices ? o->cap_splices * 2 : 8;
        o->splices = xrealloc(o->splices, o->cap_splices * sizeof(*o->splices));
    }
    o->splices[o->nsplices].pos = o->w.len;
    o->splices[o->nsplices].slice = *s;
    o->nsplices++;
    o->spliced_bytes += s->len;
}

/* Writes a length prefix: see read_len. */
static void write_len(struct ectx *c, int64_t n, bool wide)
{
    if (c->flex)
        wbuf_uvarint(&c->o->w, (uint64_t)(n + 1));
    else if (wide)
        wbuf_i32(&c->o->w, (int32_t)n);
    else
        wbuf_i16(&c->o->w, (int16_t)n);
}

static bool struct_is_default(const struct ectx *c, const struct proto_schema *s, const void *in,
                              int depth);

/* Whether the value at p equals its default, deciding if a tagged field is written. */
static bool value_is_default(const struct ectx *c, const struct proto_field *f, const void *p,
                             int depth)
{
    switch (f->type) {
    case PF_BOOL:
        return *(const bool *)p == (f->dflt != 0);
    case PF_INT8:
        return *(const int8_t *)p == f->dflt;
    case PF_INT16:
        return *(const int16_t *)p == f->dflt;
    case PF_UINT16:
        return *(const uint16_t *)p == f->dflt;
    case PF_INT32:
        return *(const int32_t *)p == f->dflt;
    case PF_UINT32:
        return *(const uint32_t *)p == f->dflt;
    case PF_INT64:
        return *(const int64_t *)p == f->dflt;
    case PF_FLOAT64:
        return *(const double *)p == (double)f->dflt;
    case PF_UUID:
        return uuid_is_zero(p);
    case PF_STRING: {
        const struct kstr *k = p;
        return k->s == NULL || k->len == 0;
    }
    case PF_BYTES:
    case PF_RECORDS: {
        const struct kbytes *k = p;
        return k->file ? k->file->len == 0 : k->len <= 0;
    }
    case PF_ARRAY:
        return ((const struct karr *)p)->n <= 0;
    case PF_STRUCT:
        return !f->sub || struct_is_default(c, f->sub, p, depth + 1);
    default:
        return true;
    }
}

static bool struct_is_default(const struct ectx *c, const struct proto_schema *s, const void *in,
                              int depth)
{
    if (depth > PROTO_MAX_DEPTH)
        return false; /* the encoder then reports the depth error */
    for (uint16_t i = 0; i < s->nfields; i++) {
        const struct proto_field *f = &s->fields[i];
        if (!in_version(f, c->version) || (f->tag >= 0 && !c->flex))
            continue;
        if (!value_is_default(c, f, field_cptr(in, f), depth))
            return false;
    }
    return true;
}

static int enc_scalar(struct ectx *c, uint8_t type, bool nullable, const void *p)
{
    struct wbuf *w = &c->o->w;
    switch (type) {
    case PF_BOOL:
        wbuf_i8(w, *(const bool *)p ? 1 : 0);
        break;
    case PF_INT8:
        wbuf_i8(w, *(const int8_t *)p);
        break;
    case PF_INT16:
        wbuf_i16(w, *(const int16_t *)p);
        break;
    case PF_UINT16:
        wbuf_u16(w, *(const uint16_t *)p);
        break;
    case PF_INT32:
        wbuf_i32(w, *(const int32_t *)p);
        break;
    case PF_UINT32:
        wbuf_u32(w, *(const uint32_t *)p);
        break;
    case PF_INT64:
        wbuf_i64(w, *(const int64_t *)p);
        break;
    case PF_FLOAT64:
        wbuf_f64(w, *(const double *)p);
        break;
    case PF_UUID:
        wbuf_bytes(w, ((const struct uuid *)p)->b, 16);
        break;
    case PF_STRING: {
        const struct kstr *k = p;
        if (!k->s) {
            if (!nullable)
                return SL_EINVAL;
            write_len(c, -1, false);
            break;
        }
        if (k->len < 0 || k->len > PROTO_MAX_STRING_LEN)
            return SL_EINVAL;
        write_len(c, k->len, false);
        wbuf_bytes(w, k->s, (size_t)k->len);
        break;
    }
    case PF_BYTES:
    case PF_RECORDS: {
        const struct kbytes *k = p;
        if (k->file) {
            if (type != PF_RECORDS || k->file->len < 0 || k->file->len > INT32_MAX)
                return SL_EINVAL;
            write_len(c, k->file->len, true);
            if (k->file->len > 0)
                add_splice(c->o, k->file);
            break;
        }
        if (k->len < 0) {
            if (!nullable)
                return SL_EINVAL;
            write_len(c, -1, true);
            break;
        }
        if (k->len > 0 && !k->p)
            return SL_EINVAL;
        write_len(c, k->len, true);
        wbuf_bytes(w, k->p, (size_t)k->len);
        break;
    }
    default:
        return SL_EINVAL;
    }
    return 0;
}

static int enc_struct(struct ectx *c, const struct proto_schema *s, const void *in, int depth);

static int enc_field(struct ectx *c, const struct proto_field *f, const void *p, int depth)
{
    bool nullable = nullable_in(f, c->version);
    if (f->type == PF_STRUCT)
        return f->sub ? enc_struct(c, f->sub, p, depth + 1) : SL_EINVAL;
    if (f->type != PF_ARRAY)
        return enc_scalar(c, f->type, nullable, p);

    const struct karr *k = p;
    if (k->n < 0) {
        if (!nullable)
            return SL_EINVAL;
        write_len(c, -1, true);
        return 0;
    }
    if (f->elem_type == PF_ARRAY || f->elem_size == 0 || (k->n > 0 && !k->v) ||
        (f->elem_type == PF_STRUCT && !f->sub))
        return SL_EINVAL;
    write_len(c, k->n, true);
    const char *v = k->v;
    for (int32_t i = 0; i < k->n; i++) {
        const void *e = v + (size_t)i * f->elem_size;
        int rc = f->elem_type == PF_STRUCT ? enc_struct(c, f->sub, e, depth + 1)
                                           : enc_scalar(c, f->elem_type, false, e);
        if (rc)
            return rc;
    }
    return 0;
}

/* Stores uvarint v at p (room checked by the caller); returns bytes written. */
static size_t put_uvarint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/*
 * Writes one tagged field: uvarint tag, uvarint size, payload.  The payload
 * is encoded in place after a one-byte size slot and moved when its size
 * needs more bytes; splice positions recorded inside it move with it.
 */
static int enc_tagged_field(struct ectx *c, const struct proto_field *f, const void *p, int depth)
{
    struct proto_out *o = c->o;
    wbuf_uvarint(&o->w, (uint64_t)f->tag);
    size_t slot = o->w.len;
    wbuf_i8(&o->w, 0);
    size_t start = o->w.len;
    size_t first_splice = o->nsplices;
    int64_t spliced_before = o->spliced_bytes;
    int rc = enc_field(c, f, p, depth);
    if (rc)
        return rc;
    int64_t size = (int64_t)(o->w.len - start) + (o->spliced_bytes - spliced_before);
    if (size > INT32_MAX)
        return SL_EINVAL;
    size_t need = uvarint_size((uint64_t)size);
    if (need > 1) {
        size_t extra = need - 1;
        wbuf_reserve(&o->w, extra);
        memmove(o->w.data + start + extra, o->w.data + start, o->w.len - start);
        o->w.len += extra;
        for (size_t i = first_splice; i < o->nsplices; i++)
            o->splices[i].pos += extra;
    }
    put_uvarint(o->w.data + slot, (uint64_t)size);
    return 0;
}

static int enc_struct(struct ectx *c, const struct proto_schema *s, const void *in, int depth)
{
    if (depth > PROTO_MAX_DEPTH)
        return SL_EINVAL;
    uint32_t ntagged = 0;
    for (uint16_t i = 0; i < s->nfields; i++) {
        const struct proto_field *f = &s->fields[i];
        const void *p = field_cptr(in, f);
        if (f->tag >= 0) {
            if (tagged_present(f, c) && !value_is_default(c, f, p, depth))
                ntagged++;
            continue;
        }
        if (!in_version(f, c->version))
            continue;
        int rc = enc_field(c, f, p, depth);
        if (rc)
            return rc;
    }
    if (!c->flex)
        return 0;
    wbuf_uvarint(&c->o->w, ntagged);
    /* Emit in increasing tag order: select the next smallest tag each round. */
    int32_t last = -1;
    for (uint32_t k = 0; k < ntagged; k++) {
        const struct proto_field *next = NULL;
        for (uint16_t i = 0; i < s->nfields; i++) {
            const struct proto_field *f = &s->fields[i];
            if (f->tag <= last || (next && f->tag >= next->tag) || !tagged_present(f, c))
                continue;
            if (value_is_default(c, f, field_cptr(in, f), depth))
                continue;
            next = f;
        }
        if (!next)
            return SL_EINVAL; /* duplicate tags in the schema */
        int rc = enc_tagged_field(c, next, field_cptr(in, next), depth);
        if (rc)
            return rc;
        last = next->tag;
    }
    return 0;
}

int proto_encode(const struct proto_schema *schema, int16_t version, bool flexible, const void *in,
                 struct proto_out *o)
{
    size_t len0 = o->w.len, nsplices0 = o->nsplices;
    int64_t spliced0 = o->spliced_bytes;
    struct ectx c = {.o = o, .version = version, .flex = flexible};
    int rc = enc_struct(&c, schema, in, 0);
    if (rc) {
        /* Leave o as it was before the call. */
        o->w.len = len0;
        o->nsplices = nsplices0;
        o->spliced_bytes = spliced0;
    }
    return rc;
}
