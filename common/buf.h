/*
 * Bounds-checked big-endian readers and growable writers for wire and disk
 * formats: fixed-width integers, Kafka's unsigned varints (KIP-482) and
 * zigzag varints/varlongs (record format v2).
 *
 * A reader carries a sticky error flag: once a read runs past the end (or a
 * varint is malformed) every later read returns 0 and `err` stays set, so a
 * parser can read linearly and check `r->err` once at the end.  A writer grows
 * on demand; allocation failure aborts (see xalloc.h).
 */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rbuf {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool err;
};

static inline void rbuf_init(struct rbuf *r, const void *p, size_t len)
{
    r->p = p;
    r->len = len;
    r->pos = 0;
    r->err = false;
}

static inline size_t rbuf_remaining(const struct rbuf *r)
{
    return r->err ? 0 : r->len - r->pos;
}

int8_t rbuf_i8(struct rbuf *r);
int16_t rbuf_i16(struct rbuf *r);
uint16_t rbuf_u16(struct rbuf *r);
int32_t rbuf_i32(struct rbuf *r);
uint32_t rbuf_u32(struct rbuf *r);
int64_t rbuf_i64(struct rbuf *r);
double rbuf_f64(struct rbuf *r);
/* Unsigned LEB128 varint of at most 5 bytes that fits in 32 bits. */
uint32_t rbuf_uvarint(struct rbuf *r);
/* Unsigned LEB128 varint of at most 10 bytes. */
uint64_t rbuf_uvarlong(struct rbuf *r);
/* Zigzag-encoded signed varint (32 bits) and varlong (64 bits). */
int32_t rbuf_varint(struct rbuf *r);
int64_t rbuf_varlong(struct rbuf *r);
/*
 * Returns a pointer to the next n bytes and advances past them, or NULL (and
 * sets err) when fewer than n remain.  The pointer aliases the reader's input.
 */
const uint8_t *rbuf_take(struct rbuf *r, size_t n);
/* Marks the reader as failed; later reads return 0. */
static inline void rbuf_fail(struct rbuf *r)
{
    r->err = true;
}

struct wbuf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

/* Initializes an empty writer with `hint` bytes preallocated (0 is fine). */
void wbuf_init(struct wbuf *w, size_t hint);
/* Releases the writer's memory; the writer may be re-initialized. */
void wbuf_free(struct wbuf *w);
/* Ensures room for n more bytes. */
void wbuf_reserve(struct wbuf *w, size_t n);
void wbuf_i8(struct wbuf *w, int8_t v);
void wbuf_i16(struct wbuf *w, int16_t v);
void wbuf_u16(struct wbuf *w, uint16_t v);
void wbuf_i32(struct wbuf *w, int32_t v);
void wbuf_u32(struct wbuf *w, uint32_t v);
void wbuf_i64(struct wbuf *w, int64_t v);
void wbuf_f64(struct wbuf *w, double v);
void wbuf_uvarint(struct wbuf *w, uint64_t v);
void wbuf_varint(struct wbuf *w, int32_t v);
void wbuf_varlong(struct wbuf *w, int64_t v);
void wbuf_bytes(struct wbuf *w, const void *p, size_t n);
/* Appends n bytes of room and returns their offset, to be patched later. */
size_t wbuf_skip(struct wbuf *w, size_t n);
/* Overwrites 4 bytes at `off` (previously written) with big-endian v. */
void wbuf_patch_i32(struct wbuf *w, size_t off, int32_t v);
/*
 * Hands the writer's bytes to the caller, who frees them with free(); the
 * writer is left empty.  *len receives the length.
 */
uint8_t *wbuf_detach(struct wbuf *w, size_t *len);

/* Encoded sizes, for precomputing lengths. */
size_t uvarint_size(uint64_t v);
size_t varint_size(int32_t v);
size_t varlong_size(int64_t v);

/* Big-endian loads and stores on raw memory (no bounds checks). */
static inline uint16_t be16_load(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t be32_load(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t be64_load(const uint8_t *p)
{
    return ((uint64_t)be32_load(p) << 32) | be32_load(p + 4);
}
static inline void be16_store(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void be32_store(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void be64_store(uint8_t *p, uint64_t v)
{
    be32_store(p, (uint32_t)(v >> 32));
    be32_store(p + 4, (uint32_t)v);
}

#endif
