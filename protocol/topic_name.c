/*
 * Kafka's topic-name rule, checked on lengths (topic_name.h).
 */
#include "topic_name.h"

#include <stdio.h>
#include <string.h>

static bool legal_byte(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-';
}

enum proto_topic_name_check proto_topic_name_check(const char *s, size_t len)
{
    if (!s || len == 0)
        return PROTO_TOPIC_NAME_EMPTY;
    if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
        return PROTO_TOPIC_NAME_DOTS;
    if (len > PROTO_TOPIC_NAME_MAX)
        return PROTO_TOPIC_NAME_TOO_LONG;
    for (size_t i = 0; i < len; i++)
        if (!legal_byte((unsigned char)s[i]))
            return PROTO_TOPIC_NAME_BAD_CHAR;
    return PROTO_TOPIC_NAME_OK;
}

void proto_name_escape(const char *s, size_t len, char *out, size_t outlen)
{
    size_t o = 0, i = 0;
    for (; i < len && i < 64 && o + 5 < outlen; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '\\')
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", ch);
    }
    if (i < len && o + 2 < outlen) {
        out[o++] = '\\'; /* cut: marked, so the result is never a legal name */
        out[o++] = '+';
    }
    out[o] = '\0';
}

char *proto_topic_name_why(enum proto_topic_name_check rc, const char *s, size_t len, char *why,
                           size_t whylen)
{
    char name[64 * 4 + 8];
    proto_name_escape(s ? s : "", s ? len : 0, name, sizeof name);
    switch (rc) {
    case PROTO_TOPIC_NAME_OK:
        snprintf(why, whylen, "Topic name \"%s\" is legal", name);
        break;
    case PROTO_TOPIC_NAME_EMPTY:
        snprintf(why, whylen, "Topic name is illegal, it can't be empty");
        break;
    case PROTO_TOPIC_NAME_DOTS:
        snprintf(why, whylen, "Topic name cannot be \".\" or \"..\"");
        break;
    case PROTO_TOPIC_NAME_TOO_LONG:
        snprintf(why, whylen,
                 "Topic name is illegal, it can't be longer than %d characters, topic name: %s",
                 PROTO_TOPIC_NAME_MAX, name);
        break;
    case PROTO_TOPIC_NAME_BAD_CHAR:
        snprintf(why, whylen,
                 "Topic name \"%s\" is illegal, it contains a character other than ASCII "
                 "alphanumerics, '.', '_' and '-'",
                 name);
        break;
    }
    return why;
}

const char *proto_kstr_cstr(struct kstr k, struct arena *a)
{
    if (!proto_kstr_has_nul(k))
        return k.s;
    char buf[64 * 4 + 8];
    proto_name_escape(k.s, (size_t)k.len, buf, sizeof buf);
    return arena_strdup(a, buf);
}

bool proto_kstr_has_nul(struct kstr k)
{
    return k.s && k.len > 0 && memchr(k.s, '\0', (size_t)k.len) != NULL;
}
