/*
 * Compression codecs of Kafka record batches (attributes bits 0-2): gzip,
 * snappy, lz4 and zstd, as Kafka's Java client and librdkafka write them.
 *
 * Decompression is streaming and bounded: output is produced into a wbuf
 * that grows only up to a caller-given cap, so a small compressed input
 * cannot make us allocate more than the cap (compression bombs).
 *
 * Wire formats:
 *   gzip    RFC 1952 (zlib framing is also accepted on input); several
 *           concatenated members are decoded in turn.
 *   snappy  raw snappy (librdkafka) or the xerial framing of snappy-java
 *           (magic 82 'SNAPPY' 00, i32 version, i32 compat, then repeated
 *           [i32 length][raw snappy block]); both accepted on input, raw on
 *           output (what librdkafka and Java both read).
 *   lz4     the LZ4 frame format (KIP-57: with the correct header checksum);
 *           output uses independent 64 KiB blocks, which Java requires.
 *   zstd    zstd frames (KIP-110); concatenated frames are decoded in turn.
 */
#ifndef SLUICE_COMPRESSION_H
#define SLUICE_COMPRESSION_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "record_batch.h"

/* Pass as `level` to use the codec's default (Kafka's defaults, KIP-390). */
#define COMPRESSION_LEVEL_DEFAULT INT_MIN

/*
 * Decompresses `in_len` bytes of `codec` data at `in`, appending the result
 * to `out`.  At most `max_out` bytes are appended, and out's capacity is never
 * grown beyond its length on entry plus max_out.  RB_COMPRESSION_NONE copies.
 * Returns 0; SL_ETOOLARGE when the output would exceed max_out;
 * SL_ECORRUPT for malformed, truncated or trailing input (an empty input is
 * corrupt for every real codec); SL_EUNSUPPORTED for an unknown codec.  On
 * error out->len is restored to its value on entry.
 */
int compression_decompress(enum rb_compression codec, const uint8_t *in, size_t in_len,
                           size_t max_out, struct wbuf *out);

/*
 * Compresses `in_len` bytes at `in` with `codec` at `level` (codec-specific:
 * gzip -1 or 1..9, lz4 1..17, zstd ZSTD_minCLevel()..22; ignored for none and
 * snappy; COMPRESSION_LEVEL_DEFAULT picks gzip -1, lz4 9, zstd 3), appending
 * the result to `out` (which grows as needed; the caller owns it).
 * Returns 0; SL_EUNSUPPORTED for an unknown codec; SL_EINVAL for an
 * out-of-range level; SL_ETOOLARGE when the input exceeds what the codec
 * library accepts; SL_EIO when the library fails.  On error out->len is
 * restored.
 */
int compression_compress(enum rb_compression codec, int level, const uint8_t *in, size_t in_len,
                         struct wbuf *out);

/* Kafka's name of a codec ("none", "gzip", "snappy", "lz4", "zstd"), or "unknown". */
const char *compression_name(enum rb_compression codec);

/* Parses a codec name as above into *codec.  Returns 0 or SL_EINVAL. */
int compression_parse(const char *name, enum rb_compression *codec);

#endif
