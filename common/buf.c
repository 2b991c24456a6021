/*
 * Implementation of the bounds-checked reader and growable writer (buf.h).
 */
#include "buf.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

const uint8_t *rbuf_take(struct rbuf *r, size_t n)
{
    if (r->err || r->len - r->pos < n) {
        r->err = true;
        return NULL;
    }
    const uint8_t *p = r->p + r->pos;
    r->pos += n;
    return p;
}

int8_t rbuf_i8(struct rbuf *r)
{
    const uint8_t *p = rbuf_take(r, 1);
    return p ? (int8_t)p[0] : 0;
}

int16_t rbuf_i16(struct rbuf *r)
{
    const uint8_t *p = rbuf_take(r, 2);
    return p ? (int16_t)be16_load(p) : 0;
}

uint16_t rbuf_u16(struct rbuf *r)
{
    const uint8_t *p = rbuf_take(r, 2);
    return p ? be16_load(p) : 0;
}

int32_t rbuf_i32(struct rbuf *r)
{
    const uint8_t *p = rbuf_take(r, 4);
    return p ? (int32_t)be32_load(p) : 0;
}

uint32_t rbuf_u32(struct rbuf *r)
{
    const uint8_t *p = rbuf_take(r, 4);
    return p ? be32_load(p) : 0;
}

int64_t rbuf_i64(struct rbuf *r)
{
    const uint8_t *p = rbuf_take(r, 8);
    return p ? (int64_t)be64_load(p) : 0;
}

double rbuf_f64(struct rbuf *r)
{
    uint64_t bits = (uint64_t)rbuf_i64(r);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/*
 * An unsigned LEB128 varint of at most `bits` bits (32 or 64): its last
 * possible byte (at shift 28, or 63) may carry only the bits that are left and
 * no continuation; anything else, or the end of the buffer, sets r->err.
 */
static uint64_t read_uvar(struct rbuf *r, int bits)
{
    int last = (bits - 1) / 7 * 7;
    uint8_t over = (uint8_t)(0xff << (bits - last));
    uint64_t v = 0;
    for (int shift = 0; shift <= last; shift += 7) {
        const uint8_t *p = rbuf_take(r, 1);
        if (!p)
            return 0;
        if (shift == last && (*p & over)) {
            r->err = true;
            return 0;
        }
        v |= (uint64_t)(*p & 0x7f) << shift;
        if (!(*p & 0x80))
            return v;
    }
    return 0; /* not reached: the last byte has no continuation bit */
}

uint64_t rbuf_uvarlong(struct rbuf *r)
{
    return read_uvar(r, 64);
}

uint32_t rbuf_uvarint(struct rbuf *r)
{
    return (uint32_t)read_uvar(r, 32);
}

int32_t rbuf_varint(struct rbuf *r)
{
    uint32_t u = rbuf_uvarint(r);
    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int64_t rbuf_varlong(struct rbuf *r)
{
    uint64_t u = rbuf_uvarlong(r);
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

void wbuf_init(struct wbuf *w, size_t hint)
{
    w->data = hint ? xmalloc(hint) : NULL;
    w->len = 0;
    w->cap = hint;
}

void wbuf_free(struct wbuf *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

void wbuf_reserve(struct wbuf *w, size_t n)
{
    if (w->cap - w->len >= n)
        return;
    size_t cap = w->cap ? w->cap : 64;
    while (cap - w->len < n)
        cap *= 2;
    w->data = xrealloc(w->data, cap);
    w->cap = cap;
}

void wbuf_bytes(struct wbuf *w, const void *p, size_t n)
{
    if (n == 0)
        return;
    wbuf_reserve(w, n);
    memcpy(w->data + w->len, p, n);
    w->len += n;
}

size_t wbuf_skip(struct wbuf *w, size_t n)
{
    wbuf_reserve(w, n);
    size_t off = w->len;
    memset(w->data + off, 0, n);
    w->len += n;
    return off;
}

void wbuf_i8(struct wbuf *w, int8_t v)
{
    wbuf_reserve(w, 1);
    w->data[w->len++] = (uint8_t)v;
}

void wbuf_i16(struct wbuf *w, int16_t v)
{
    wbuf_u16(w, (uint16_t)v);
}

void wbuf_u16(struct wbuf *w, uint16_t v)
{
    wbuf_reserve(w, 2);
    be16_store(w->data + w->len, v);
    w->len += 2;
}

void wbuf_i32(struct wbuf *w, int32_t v)
{
    wbuf_u32(w, (uint32_t)v);
}

void wbuf_u32(struct wbuf *w, uint32_t v)
{
    wbuf_reserve(w, 4);
    be32_store(w->data + w->len, v);
    w->len += 4;
}

void wbuf_i64(struct wbuf *w, int64_t v)
{
    wbuf_reserve(w, 8);
    be64_store(w->data + w->len, (uint64_t)v);
    w->len += 8;
}

void wbuf_f64(struct wbuf *w, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    wbuf_i64(w, (int64_t)bits);
}

void wbuf_uvarint(struct wbuf *w, uint64_t v)
{
    wbuf_reserve(w, 10);
    while (v >= 0x80) {
        w->data[w->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    w->data[w->len++] = (uint8_t)v;
}

void wbuf_varint(struct wbuf *w, int32_t v)
{
    wbuf_uvarint(w, ((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

void wbuf_varlong(struct wbuf *w, int64_t v)
{
    wbuf_uvarint(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void wbuf_patch_i32(struct wbuf *w, size_t off, int32_t v)
{
    be32_store(w->data + off, (uint32_t)v);
}

uint8_t *wbuf_detach(struct wbuf *w, size_t *len)
{
    uint8_t *d = w->data;
    *len = w->len;
    w->data = NULL;
    w->len = w->cap = 0;
    return d;
}

size_t uvarint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

size_t varint_size(int32_t v)
{
    return uvarint_size(((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

size_t varlong_size(int64_t v)
{
    return uvarint_size(((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
