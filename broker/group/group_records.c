/*
 * __consumer_offsets record formats (group_records.h): codec tables for the
 * coordinator's keys and values, transcribed from the version ranges of
 * Kafka's group-coordinator record definitions, and the partition hash.
 */
#include "group_records.h"

#include <string.h>

#include "err.h"

/* ---- keys ---- */

static const struct proto_field offset_key_fields[] = {
    PF_FIELD(struct group_record_key, group, PF_STRING, 0, 1),
    PF_FIELD(struct group_record_key, topic, PF_STRING, 0, 1),
    PF_FIELD(struct group_record_key, partition, PF_INT32, 0, 1),
};
static PROTO_SCHEMA(offset_key_schema, struct group_record_key, offset_key_fields);

static const struct proto_field group_key_fields[] = {
    PF_FIELD(struct group_record_key, group, PF_STRING, 2, 2),
};
static PROTO_SCHEMA(group_key_schema, struct group_record_key, group_key_fields);

/* ---- OffsetCommitValue (versions 0-4, flexible from 4) ---- */

#define OFFSET_VALUE_MAX_VERSION 4
#define GROUP_VALUE_MAX_VERSION  4
#define VALUE_FLEXIBLE_FROM      4

static const struct proto_field offset_value_fields[] = {
    PF_FIELD(struct group_offset_value, offset, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct group_offset_value, leader_epoch, PF_INT32, 3, PROTO_VMAX, -1),
    PF_FIELD(struct group_offset_value, metadata, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct group_offset_value, commit_timestamp, PF_INT64, 0, PROTO_VMAX),
    PF_FIELD_D(struct group_offset_value, expire_timestamp, PF_INT64, 1, 1, -1),
};
static PROTO_SCHEMA(offset_value_schema, struct group_offset_value, offset_value_fields);

/* ---- GroupMetadataValue (versions 0-4, flexible from 4) ---- */

static const struct proto_field member_value_fields[] = {
    PF_FIELD(struct group_member_value, member_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_N(struct group_member_value, group_instance_id, PF_STRING, 3, PROTO_VMAX, 3),
    PF_FIELD(struct group_member_value, client_id, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct group_member_value, client_host, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD_D(struct group_member_value, rebalance_timeout, PF_INT32, 1, PROTO_VMAX, -1),
    PF_FIELD(struct group_member_value, session_timeout, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD(struct group_member_value, subscription, PF_BYTES, 0, PROTO_VMAX),
    PF_FIELD(struct group_member_value, assignment, PF_BYTES, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(member_value_schema, struct group_member_value, member_value_fields);

static const struct proto_field group_value_fields[] = {
    PF_FIELD(struct group_metadata_value, protocol_type, PF_STRING, 0, PROTO_VMAX),
    PF_FIELD(struct group_metadata_value, generation, PF_INT32, 0, PROTO_VMAX),
    PF_FIELD_N(struct group_metadata_value, protocol, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD_N(struct group_metadata_value, leader, PF_STRING, 0, PROTO_VMAX, 0),
    PF_FIELD_D(struct group_metadata_value, current_state_timestamp, PF_INT64, 2, PROTO_VMAX, -1),
    PF_SARRAY(struct group_metadata_value, members, member_value_schema, 0, PROTO_VMAX),
};
static PROTO_SCHEMA(group_value_schema, struct group_metadata_value, group_value_fields);

/* ---- partition hash ---- */

/* Next code point of a UTF-8 string (U+FFFD for a malformed sequence, one byte consumed). */
static uint32_t utf8_next(const unsigned char **pp)
{
    const unsigned char *p = *pp;
    uint32_t c = p[0];
    int n = 0;
    uint32_t min = 0;
    if (c < 0x80) {
        *pp = p + 1;
        return c;
    } else if ((c & 0xe0) == 0xc0) {
        n = 1;
        c &= 0x1f;
        min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
        n = 2;
        c &= 0x0f;
        min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
        n = 3;
        c &= 0x07;
        min = 0x10000;
    } else {
        *pp = p + 1;
        return 0xfffd;
    }
    for (int i = 1; i <= n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            *pp = p + 1;
            return 0xfffd;
        }
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        *pp = p + 1;
        return 0xfffd;
    }
    *pp = p + n + 1;
    return c;
}

int32_t group_records_partition_for(const char *group_id, int32_t npartitions)
{
    /* Java's String.hashCode: h = 31 * h + c over UTF-16 code units, with int overflow. */
    uint32_t h = 0;
    const unsigned char *p = (const unsigned char *)group_id;
    while (*p) {
        uint32_t c = utf8_next(&p);
        if (c >= 0x10000) {
            c -= 0x10000;
            h = 31u * h + (0xd800u + (c >> 10));
            h = 31u * h + (0xdc00u + (c & 0x3ff));
        } else {
            h = 31u * h + c;
        }
    }
    int32_t s = (int32_t)h;
    /* Kafka's Utils.abs: 0 for Integer.MIN_VALUE. */
    int32_t abs = s == INT32_MIN ? 0 : (s < 0 ? -s : s);
    return abs % npartitions;
}

/* ---- decoding ---- */

int group_records_key_decode(const uint8_t *key, int32_t len, struct arena *a,
                             struct group_record_key *out)
{
    memset(out, 0, sizeof *out);
    if (!key || len < 2)
        return SL_ECORRUPT;
    struct rbuf r;
    rbuf_init(&r, key, (size_t)len);
    int16_t version = rbuf_i16(&r);
    const struct proto_schema *s;
    int kind;
    if (version == 0 || version == 1) {
        s = &offset_key_schema;
        kind = GROUP_RECORD_OFFSET;
    } else if (version == 2) {
        s = &group_key_schema;
        kind = GROUP_RECORD_GROUP;
    } else {
        return GROUP_RECORD_OTHER;
    }
    if (proto_decode(s, version, false, &r, out, a) < 0 || rbuf_remaining(&r) != 0)
        return SL_ECORRUPT;
    if (!out->group.s || (kind == GROUP_RECORD_OFFSET && !out->topic.s))
        return SL_ECORRUPT;
    return kind;
}

static int value_decode(const struct proto_schema *s, int16_t max_version, const uint8_t *value,
                        int32_t len, struct arena *a, void *out)
{
    if (!value || len < 2)
        return SL_ECORRUPT;
    struct rbuf r;
    rbuf_init(&r, value, (size_t)len);
    int16_t version = rbuf_i16(&r);
    if (version < 0 || version > max_version)
        return SL_EUNSUPPORTED;
    if (proto_decode(s, version, version >= VALUE_FLEXIBLE_FROM, &r, out, a) < 0)
        return SL_ECORRUPT;
    return 0;
}

int group_records_offset_value_decode(const uint8_t *value, int32_t len, struct arena *a,
                                      struct group_offset_value *out)
{
    int rc = value_decode(&offset_value_schema, OFFSET_VALUE_MAX_VERSION, value, len, a, out);
    if (rc == 0 && !out->metadata.s)
        return SL_ECORRUPT;
    return rc;
}

int group_records_group_value_decode(const uint8_t *value, int32_t len, struct arena *a,
                                     struct group_metadata_value *out)
{
    int rc = value_decode(&group_value_schema, GROUP_VALUE_MAX_VERSION, value, len, a, out);
    if (rc < 0)
        return rc;
    if (!out->protocol_type.s)
        return SL_ECORRUPT;
    for (int32_t i = 0; i < out->members.n; i++) {
        const struct group_member_value *m = &out->members.v[i];
        if (!m->member_id.s || !m->client_id.s || !m->client_host.s)
            return SL_ECORRUPT;
    }
    return 0;
}

/* ---- encoding ---- */

static int encode(struct wbuf *w, int16_t version, const struct proto_schema *s, const void *in)
{
    struct proto_out o;
    proto_out_init(&o);
    wbuf_i16(&o.w, version);
    int rc = proto_encode(s, version, version >= VALUE_FLEXIBLE_FROM, in, &o);
    if (rc == 0)
        wbuf_bytes(w, o.w.data, o.w.len);
    proto_out_free(&o);
    return rc;
}

int group_records_offset_key(struct wbuf *w, const char *group, const char *topic,
                             int32_t partition)
{
    struct group_record_key k = {
        .group = {group, (int32_t)strlen(group)},
        .topic = {topic, (int32_t)strlen(topic)},
        .partition = partition,
    };
    return encode(w, GROUP_RECORD_OFFSET_KEY_VERSION, &offset_key_schema, &k);
}

int group_records_offset_value(struct wbuf *w, const struct group_offset_value *v)
{
    struct group_offset_value c = *v;
    if (!c.metadata.s)
        c.metadata = (struct kstr){"", 0};
    return encode(w, v->expire_timestamp >= 0 ? 1 : 3, &offset_value_schema, &c);
}

int group_records_group_key(struct wbuf *w, const char *group)
{
    struct group_record_key k = {.group = {group, (int32_t)strlen(group)}};
    return encode(w, GROUP_RECORD_GROUP_KEY_VERSION, &group_key_schema, &k);
}

int group_records_group_value(struct wbuf *w, const struct group_metadata_value *v)
{
    return encode(w, 3, &group_value_schema, v);
}

int group_records_subscription_decode(const uint8_t *p, int32_t len, struct arena *a,
                                      struct consumer_protocol_subscription *out)
{
    memset(out, 0, sizeof *out);
    if (!p || len < 2)
        return SL_ECORRUPT;
    struct rbuf r;
    rbuf_init(&r, p, (size_t)len);
    int16_t version = rbuf_i16(&r);
    if (version < 0)
        return SL_ECORRUPT;
    if (version > PROTO_CONSUMER_PROTOCOL_MAX_VERSION)
        version = PROTO_CONSUMER_PROTOCOL_MAX_VERSION;
    if (proto_decode(&proto_consumer_protocol_subscription_schema, version, false, &r, out, a) < 0)
        return SL_ECORRUPT;
    return 0;
}
