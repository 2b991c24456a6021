/*
 * UUID generation and Kafka's base64url text form (uuid.h).
 */
#include "uuid.h"

#include <string.h>
#include <sys/random.h>

#include "err.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct uuid uuid_random(void)
{
    struct uuid u;
    for (;;) {
        size_t got = 0;
        while (got < sizeof u.b) {
            ssize_t n = getrandom(u.b + got, sizeof u.b - got, 0);
            if (n > 0)
                got += (size_t)n;
        }
        u.b[6] = (uint8_t)((u.b[6] & 0x0f) | 0x40);
        u.b[8] = (uint8_t)((u.b[8] & 0x3f) | 0x80);
        /* Kafka reserves the zero UUID and 0...01; also avoid ids starting with '-'. */
        if (!uuid_is_zero(&u) && (u.b[0] >> 2) != 62)
            return u;
    }
}

bool uuid_is_zero(const struct uuid *u)
{
    static const struct uuid zero;
    return memcmp(u->b, zero.b, sizeof zero.b) == 0;
}

bool uuid_equal(const struct uuid *a, const struct uuid *b)
{
    return memcmp(a->b, b->b, sizeof a->b) == 0;
}

void uuid_to_string(const struct uuid *u, char out[UUID_STR_LEN + 1])
{
    int o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (int i = 0; i < 16; i++) {
        acc = (acc << 8) | u->b[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[o++] = b64url[(acc >> bits) & 63];
        }
    }
    if (bits > 0)
        out[o++] = b64url[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

int uuid_from_string(const char *s, struct uuid *out)
{
    if (strlen(s) != UUID_STR_LEN)
        return SL_EINVAL;
    uint32_t acc = 0;
    int bits = 0, o = 0;
    for (int i = 0; i < UUID_STR_LEN; i++) {
        const char *p = strchr(b64url, s[i]);
        if (!p || !s[i])
            return SL_EINVAL;
        acc = (acc << 6) | (uint32_t)(p - b64url);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (o < 16)
                out->b[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o == 16 ? 0 : SL_EINVAL;
}
