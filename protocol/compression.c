/*
 * Record batch compression codecs (see compression.h): bounded streaming
 * decompression and one-shot compression over zlib, snappy, lz4frame and
 * zstd.
 */
#include "compression.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "err.h"
#include "xalloc.h"

/* snappy-java's stream header: magic, then i32 version and i32 compat. */
static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};
#define XERIAL_HEADER_SIZE 16

/* First capacity given to a streaming decoder's output. */
#define DECOMP_INITIAL (64 * 1024)

/*
 * Bounded output: bytes may be appended to `w` up to `limit` (its length on
 * entry plus max_out).  Capacity is only ever grown up to `limit`.
 */
struct bout {
    struct wbuf *w;
    size_t base;  /* w->len on entry */
    size_t limit; /* largest w->len allowed */
};

static void bout_init(struct bout *o, struct wbuf *w, size_t max_out)
{
    o->w = w;
    o->base = w->len;
    o->limit = max_out > SIZE_MAX - w->len ? SIZE_MAX : w->len + max_out;
}

/* Room currently writable without growing, within the limit. */
static size_t bout_room(const struct bout *o)
{
    size_t cap = o->w->cap < o->limit ? o->w->cap : o->limit;
    return cap > o->w->len ? cap - o->w->len : 0;
}

/*
 * Ensures at least `need` bytes of room (need <= limit - len), doubling the
 * capacity but never past the limit.  `hint` is the capacity to start with.
 */
static void bout_grow(struct bout *o, size_t need, size_t hint)
{
    struct wbuf *w = o->w;
    if (w->cap - w->len >= need)
        return;
    size_t cap = w->cap ? (w->cap > SIZE_MAX / 2 ? SIZE_MAX : w->cap * 2) : hint;
    if (cap < w->len + need)
        cap = w->len + need;
    if (cap > o->limit)
        cap = o->limit;
    w->data = xrealloc(w->data, cap);
    w->cap = cap;
}

/* Makes some room for a streaming decoder; 0 when at the limit. */
static size_t bout_make_room(struct bout *o, size_t in_len)
{
    size_t room = bout_room(o);
    if (room > 0 || o->w->len >= o->limit)
        return room;
    size_t hint = in_len > DECOMP_INITIAL / 4 ? in_len * 4 : DECOMP_INITIAL;
    if (in_len > SIZE_MAX / 8)
        hint = SIZE_MAX;
    bout_grow(o, 1, hint);
    return bout_room(o);
}

static int bout_fail(struct bout *o, int err)
{
    o->w->len = o->base;
    return err;
}

/* ---- zstd ---- */

static int zstd_decompress(const uint8_t *in, size_t in_len, struct bout *o)
{
    if (in_len == 0)
        return SL_ECORRUPT;
    /* A declared content size over the cap is rejected before any work. */
    unsigned long long csize = ZSTD_getFrameContentSize(in, in_len);
    if (csize == ZSTD_CONTENTSIZE_ERROR)
        return SL_ECORRUPT;
    if (csize != ZSTD_CONTENTSIZE_UNKNOWN && csize > o->limit - o->w->len)
        return SL_ETOOLARGE;

    /*
     * The decoder keeps its own window buffer, sized from the frame header
     * and limited by zstd's default windowLogMax (27: 128 MiB of address
     * space, touched only as output is produced, which stops at the cap).
     * A lower limit would reject frames from producers at levels 20-22.
     */
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (!ds)
        return SL_EIO;
    int rc = 0;
    ZSTD_inBuffer ib = {in, in_len, 0};
    size_t ret = 1;
    uint8_t probe[64];
    for (;;) {
        size_t room = bout_make_room(o, in_len);
        bool probing = room == 0; /* at the cap: any further output is an overflow */
        ZSTD_outBuffer ob = {probing ? probe : o->w->data + o->w->len,
                             probing ? sizeof probe : room, 0};
        size_t in_before = ib.pos;
        ret = ZSTD_decompressStream(ds, &ob, &ib);
        if (ZSTD_isError(ret)) {
            rc = ZSTD_getErrorCode(ret) == ZSTD_error_memory_allocation ? SL_EIO : SL_ECORRUPT;
            break;
        }
        if (probing && ob.pos > 0) {
            rc = SL_ETOOLARGE;
            break;
        }
        if (!probing)
            o->w->len += ob.pos;
        if (ib.pos == ib.size) {
            if (ret == 0)
                break; /* every frame complete and flushed */
            if (ob.pos < ob.size) {
                rc = SL_ECORRUPT; /* input ends inside a frame */
                break;
            }
        } else if (ob.pos == 0 && ib.pos == in_before) {
            rc = SL_ECORRUPT; /* no progress possible */
            break;
        }
    }
    ZSTD_freeDStream(ds);
    return rc;
}

static int zstd_compress(int level, const uint8_t *in, size_t in_len, struct wbuf *out)
{
    if (level == COMPRESSION_LEVEL_DEFAULT)
        level = 3;
    if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel())
        return SL_EINVAL;
    size_t bound = ZSTD_compressBound(in_len);
    if (ZSTD_isError(bound))
        return SL_ETOOLARGE;
    wbuf_reserve(out, bound);
    size_t n = ZSTD_compress(out->data + out->len, bound, in, in_len, level);
    if (ZSTD_isError(n))
        return SL_EIO;
    out->len += n;
    return 0;
}

/* ---- lz4 frame ---- */

static int lz4_decompress(const uint8_t *in, size_t in_len, struct bout *o)
{
    if (in_len == 0)
        return SL_ECORRUPT;
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION)))
        return SL_EIO;
    int rc = 0;
    size_t pos = 0;
    size_t hint = 1;
    uint8_t probe[64];
    for (;;) {
        size_t room = bout_make_room(o, in_len);
        bool probing = room == 0;
        size_t dst_size = probing ? sizeof probe : room;
        size_t src_size = in_len - pos;
        hint = LZ4F_decompress(dctx, probing ? probe : o->w->data + o->w->len, &dst_size, in + pos,
                               &src_size, NULL);
        if (LZ4F_isError(hint)) {
            rc = SL_ECORRUPT;
            break;
        }
        if (probing && dst_size > 0) {
            rc = SL_ETOOLARGE;
            break;
        }
        if (!probing)
            o->w->len += dst_size;
        pos += src_size;
        if (pos == in_len) {
            if (hint == 0)
                break; /* frame complete */
            if (dst_size < (probing ? sizeof probe : room)) {
                rc = SL_ECORRUPT; /* input ends inside a frame */
                break;
            }
        } else if (dst_size == 0 && src_size == 0) {
            rc = SL_ECORRUPT;
            break;
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return rc;
}

static int lz4_compress(int level, const uint8_t *in, size_t in_len, struct wbuf *out)
{
    if (level == COMPRESSION_LEVEL_DEFAULT)
        level = 9;
    if (level < 1 || level > 17)
        return SL_EINVAL;
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof prefs);
    prefs.frameInfo.blockSizeID = LZ4F_max64KB;
    prefs.frameInfo.blockMode = LZ4F_blockIndependent; /* Java's reader rejects linked blocks */
    prefs.compressionLevel = level;
    size_t bound = LZ4F_compressFrameBound(in_len, &prefs);
    if (LZ4F_isError(bound))
        return SL_ETOOLARGE;
    wbuf_reserve(out, bound);
    size_t n = LZ4F_compressFrame(out->data + out->len, bound, in, in_len, &prefs);
    if (LZ4F_isError(n))
        return SL_EIO;
    out->len += n;
    return 0;
}

/* ---- gzip ---- */

static int gzip_decompress(const uint8_t *in, size_t in_len, struct bout *o)
{
    if (in_len == 0)
        return SL_ECORRUPT;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 32) != Z_OK) /* gzip or zlib header, auto-detected */
        return SL_EIO;
    int rc = 0;
    size_t in_left = in_len;
    const uint8_t *next = in;
    uint8_t probe[64];
    for (;;) {
        if (zs.avail_in == 0 && in_left > 0) {
            size_t chunk = in_left > UINT_MAX ? UINT_MAX : in_left;
            zs.next_in = (Bytef *)next;
            zs.avail_in = (uInt)chunk;
            next += chunk;
            in_left -= chunk;
        }
        size_t room = bout_make_room(o, in_len);
        bool probing = room == 0;
        size_t avail = probing ? sizeof probe : (room > UINT_MAX ? UINT_MAX : room);
        zs.next_out = probing ? probe : o->w->data + o->w->len;
        zs.avail_out = (uInt)avail;
        int z = inflate(&zs, Z_NO_FLUSH);
        size_t produced = avail - zs.avail_out;
        if (probing && produced > 0) {
            rc = SL_ETOOLARGE;
            break;
        }
        if (!probing)
            o->w->len += produced;
        bool in_done = zs.avail_in == 0 && in_left == 0;
        if (z == Z_STREAM_END) {
            if (in_done)
                break;
            /* Another gzip member follows (RFC 1952 2.2). */
            if (inflateReset(&zs) != Z_OK) {
                rc = SL_ECORRUPT;
                break;
            }
            continue;
        }
        if (z == Z_OK || z == Z_BUF_ERROR) {
            if (in_done && zs.avail_out > 0) {
                rc = SL_ECORRUPT; /* input ends inside the stream */
                break;
            }
            if (z == Z_BUF_ERROR && zs.avail_out > 0 && zs.avail_in > 0) {
                rc = SL_ECORRUPT;
                break;
            }
            continue;
        }
        rc = z == Z_MEM_ERROR ? SL_EIO : SL_ECORRUPT;
        break;
    }
    inflateEnd(&zs);
    return rc;
}

static int gzip_compress(int level, const uint8_t *in, size_t in_len, struct wbuf *out)
{
    if (level == COMPRESSION_LEVEL_DEFAULT)
        level = Z_DEFAULT_COMPRESSION;
    if (level != Z_DEFAULT_COMPRESSION && (level < 1 || level > 9))
        return SL_EINVAL;
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return SL_EIO;
    size_t in_left = in_len;
    const uint8_t *next = in;
    int z;
    do {
        if (zs.avail_in == 0 && in_left > 0) {
            size_t chunk = in_left > UINT_MAX ? UINT_MAX : in_left;
            zs.next_in = (Bytef *)next;
            zs.avail_in = (uInt)chunk;
            next += chunk;
            in_left -= chunk;
        }
        size_t want = in_left == 0 ? deflateBound(&zs, zs.avail_in) : 64 * 1024;
        wbuf_reserve(out, want);
        size_t room = out->cap - out->len;
        size_t avail = room > UINT_MAX ? UINT_MAX : room;
        zs.next_out = out->data + out->len;
        zs.avail_out = (uInt)avail;
        z = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
        out->len += avail - zs.avail_out;
        if (z == Z_STREAM_ERROR) {
            deflateEnd(&zs);
            return SL_EIO;
        }
    } while (z != Z_STREAM_END);
    deflateEnd(&zs);
    return 0;
}

/* ---- snappy ---- */

static int snappy_raw_decompress(const uint8_t *in, size_t in_len, struct bout *o)
{
    size_t n;
    if (in_len == 0 || snappy_uncompressed_length((const char *)in, in_len, &n) != SNAPPY_OK)
        return SL_ECORRUPT;
    if (n > o->limit - o->w->len)
        return SL_ETOOLARGE;
    if (n == 0)
        return snappy_validate_compressed_buffer((const char *)in, in_len) == SNAPPY_OK
                   ? 0
                   : SL_ECORRUPT;
    bout_grow(o, n, n);
    size_t got = n;
    if (snappy_uncompress((const char *)in, in_len, (char *)o->w->data + o->w->len, &got) !=
            SNAPPY_OK ||
        got != n)
        return SL_ECORRUPT;
    o->w->len += n;
    return 0;
}

static int snappy_decompress(const uint8_t *in, size_t in_len, struct bout *o)
{
    if (in_len < XERIAL_HEADER_SIZE || memcmp(in, xerial_magic, sizeof xerial_magic) != 0)
        return snappy_raw_decompress(in, in_len, o);
    /* snappy-java framing: header, then [i32 length][raw block] until the end. */
    size_t pos = XERIAL_HEADER_SIZE;
    while (pos < in_len) {
        if (in_len - pos < 4)
            return SL_ECORRUPT;
        uint32_t blen = be32_load(in + pos);
        pos += 4;
        if (blen > in_len - pos)
            return SL_ECORRUPT;
        int rc = snappy_raw_decompress(in + pos, blen, o);
        if (rc < 0)
            return rc;
        pos += blen;
    }
    return 0;
}

static int snappy_compress_raw(const uint8_t *in, size_t in_len, struct wbuf *out)
{
    size_t bound = snappy_max_compressed_length(in_len);
    if (bound < in_len)
        return SL_ETOOLARGE;
    wbuf_reserve(out, bound);
    size_t n = bound;
    if (snappy_compress((const char *)in, in_len, (char *)out->data + out->len, &n) != SNAPPY_OK)
        return SL_EIO;
    out->len += n;
    return 0;
}

/* ---- public ---- */

int compression_decompress(enum rb_compression codec, const uint8_t *in, size_t in_len,
                           size_t max_out, struct wbuf *out)
{
    struct bout o;
    bout_init(&o, out, max_out);
    int rc;
    switch (codec) {
    case RB_COMPRESSION_NONE:
        if (in_len > max_out)
            return SL_ETOOLARGE;
        if (in_len > 0) {
            bout_grow(&o, in_len, in_len);
            memcpy(out->data + out->len, in, in_len);
            out->len += in_len;
        }
        return 0;
    case RB_COMPRESSION_GZIP:
        rc = gzip_decompress(in, in_len, &o);
        break;
    case RB_COMPRESSION_SNAPPY:
        rc = snappy_decompress(in, in_len, &o);
        break;
    case RB_COMPRESSION_LZ4:
        rc = lz4_decompress(in, in_len, &o);
        break;
    case RB_COMPRESSION_ZSTD:
        rc = zstd_decompress(in, in_len, &o);
        break;
    default:
        return SL_EUNSUPPORTED;
    }
    return rc < 0 ? bout_fail(&o, rc) : 0;
}

int compression_compress(enum rb_compression codec, int level, const uint8_t *in, size_t in_len,
                         struct wbuf *out)
{
    size_t base = out->len;
    int rc;
    switch (codec) {
    case RB_COMPRESSION_NONE:
        wbuf_bytes(out, in, in_len);
        return 0;
    case RB_COMPRESSION_GZIP:
        rc = gzip_compress(level, in, in_len, out);
        break;
    case RB_COMPRESSION_SNAPPY:
        rc = snappy_compress_raw(in, in_len, out);
        break;
    case RB_COMPRESSION_LZ4:
        rc = lz4_compress(level, in, in_len, out);
        break;
    case RB_COMPRESSION_ZSTD:
        rc = zstd_compress(level, in, in_len, out);
        break;
    default:
        return SL_EUNSUPPORTED;
    }
    if (rc < 0)
        out->len = base;
    return rc;
}

static const char *const codec_names[] = {"none", "gzip", "snappy", "lz4", "zstd"};

const char *compression_name(enum rb_compression codec)
{
    if ((unsigned)codec < sizeof codec_names / sizeof codec_names[0])
        return codec_names[codec];
    return "unknown";
}

int compression_parse(const char *name, enum rb_compression *codec)
{
    for (unsigned i = 0; i < sizeof codec_names / sizeof codec_names[0]; i++) {
        if (strcasecmp(name, codec_names[i]) == 0) {
            *codec = (enum rb_compression)i;
            return 0;
        }
    }
    return SL_EINVAL;
}
