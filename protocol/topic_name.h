/*
 * Kafka's topic-name rule (org.apache.kafka.common.internals.Topic.validate):
 * 1 to 249 bytes of [a-zA-Z0-9._-], and not "." or "..".  Names are checked
 * by their length, never by strlen, so a name carrying a NUL byte ("ab\0cd")
 * is illegal instead of silently standing for its prefix ("ab").
 */
#ifndef SLUICE_PROTO_TOPIC_NAME_H
#define SLUICE_PROTO_TOPIC_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "codec.h"

#define PROTO_TOPIC_NAME_MAX 249

enum proto_topic_name_check {
    PROTO_TOPIC_NAME_OK = 0,
    PROTO_TOPIC_NAME_EMPTY,    /* zero bytes, or null */
    PROTO_TOPIC_NAME_DOTS,     /* "." or ".." */
    PROTO_TOPIC_NAME_TOO_LONG, /* over PROTO_TOPIC_NAME_MAX bytes */
    PROTO_TOPIC_NAME_BAD_CHAR, /* a byte outside [a-zA-Z0-9._-] (NUL included) */
};

/* Checks the `len` bytes at s (s may be NULL when len is 0). */
enum proto_topic_name_check proto_topic_name_check(const char *s, size_t len);

/* proto_topic_name_check on a decoded string; a null string is EMPTY. */
static inline enum proto_topic_name_check proto_topic_name_check_kstr(struct kstr k)
{
    return proto_topic_name_check(k.s, k.s && k.len > 0 ? (size_t)k.len : 0);
}

static inline bool proto_topic_name_legal(struct kstr k)
{
    return proto_topic_name_check_kstr(k) == PROTO_TOPIC_NAME_OK;
}

/*
 * Writes Kafka's message for a failed check into why (whylen bytes,
 * truncated, always NUL-terminated); the name is quoted with bytes outside
 * printable ASCII escaped as \xNN, and at most 64 of its bytes are shown.
 * Returns why.
 */
char *proto_topic_name_why(enum proto_topic_name_check rc, const char *s, size_t len, char *why,
                           size_t whylen);

/*
 * Writes the first 64 of the `len` bytes at s into out (outlen >= 1, always
 * NUL-terminated), bytes outside printable ASCII and '\\' as \xNN, then "\\+"
 * when bytes were cut: a printable stand-in for a name that cannot be a C
 * string, and never a legal topic name when it escaped or cut something
 * (outlen >= 64 * 4 + 3 leaves room for every case).
 */
void proto_name_escape(const char *s, size_t len, char *out, size_t outlen);

/*
 * A C string standing for k: k.s itself when k holds no NUL byte (NULL when
 * k is null), else proto_name_escape's form, allocated in `a`.  For names
 * handed to code that keys by C strings: "ab\0x" becomes "ab\\x00x", which
 * names nothing, instead of "ab".
 */
const char *proto_kstr_cstr(struct kstr k, struct arena *a);

/* True when the string holds a NUL byte, i.e. it cannot be used as a C string unchanged. */
bool proto_kstr_has_nul(struct kstr k);

#endif
