/*
 * Metadata record framing and codec tables: every record type round-trips
 * through metadata_record_encode/decode, the bytes match Kafka's layout for
 * known records, tagged PartitionChangeRecord fields keep their "unchanged"
 * defaults, and malformed input is rejected without crashing.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "buf.h"
#include "err.h"
#include "metadata_records.h"

static struct uuid uuid_n(uint8_t n)
{
    struct uuid u;
    for (int i = 0; i < 16; i++)
        u.b[i] = (uint8_t)(n + i);
    return u;
}

static struct kstr ks(const char *s)
{
    struct kstr k = {s, s ? (int32_t)strlen(s) : 0};
    return k;
}

static int kstr_eq(struct kstr k, const char *s)
{
    if (!s)
        return k.s == NULL;
    return k.s && k.len == (int32_t)strlen(s) && memcmp(k.s, s, (size_t)k.len) == 0;
}

/* Encodes rec and decodes it back into out (arena a). */
static void round_trip(int16_t type, int16_t version, const void *rec, struct arena *a,
                       struct metadata_record *out)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(type, version, rec, &w), 0);
    uint8_t *copy = arena_alloc(a, w.len);
    memcpy(copy, w.data, w.len);
    size_t len = w.len;
    wbuf_free(&w);
    ck_assert_int_eq(metadata_record_decode(copy, len, a, out), 0);
    ck_assert_int_eq(out->type, type);
    ck_assert_int_eq(out->version, version);
}

START_TEST(register_broker_round_trip)
{
    for (int16_t v = 0; v <= 3; v++) {
        struct arena a = ARENA_INIT;
        struct mr_broker_endpoint eps[2] = {
            {ks("PLAINTEXT"), ks("127.0.0.1"), 9092, 0},
            {ks("SSL"), ks("broker.example"), 9093, 1},
        };
        struct mr_broker_feature feats[1] = {{ks("metadata.version"), 1, 25}};
        struct uuid dirs[2] = {uuid_n(50), uuid_n(60)};
        struct mr_register_broker r;
        memset(&r, 0, sizeof(r));
        r.broker_id = 7;
        r.is_migrating_zk_broker = v >= 2;
        r.incarnation_id = uuid_n(3);
        r.broker_epoch = 123456789012LL;
        r.end_points.n = 2;
        r.end_points.v = eps;
        r.features.n = 1;
        r.features.v = feats;
        r.rack = ks("rack-a");
        r.fenced = true;
        r.in_controlled_shutdown = v >= 1;
        r.log_dirs.n = 2;
        r.log_dirs.v = dirs;
        struct metadata_record d;
        round_trip(MR_REGISTER_BROKER, v, &r, &a, &d);
        const struct mr_register_broker *o = &d.u.register_broker;
        ck_assert_int_eq(o->broker_id, 7);
        ck_assert(uuid_equal(&o->incarnation_id, &r.incarnation_id));
        ck_assert_int_eq(o->broker_epoch, 123456789012LL);
        ck_assert_int_eq(o->end_points.n, 2);
        ck_assert(kstr_eq(o->end_points.v[1].host, "broker.example"));
        ck_assert_int_eq(o->end_points.v[1].port, 9093);
        ck_assert_int_eq(o->end_points.v[1].security_protocol, 1);
        ck_assert_int_eq(o->features.n, 1);
        ck_assert_int_eq(o->features.v[0].max_supported_version, 25);
        ck_assert(kstr_eq(o->rack, "rack-a"));
        ck_assert(o->fenced);
        ck_assert_int_eq(o->in_controlled_shutdown, v >= 1);
        ck_assert_int_eq(o->is_migrating_zk_broker, v >= 2);
        ck_assert_int_eq(o->log_dirs.n, v >= 3 ? 2 : 0);
        if (v >= 3)
            ck_assert(uuid_equal(&o->log_dirs.v[1], &dirs[1]));
        arena_free(&a);
    }
}
END_TEST

START_TEST(register_broker_null_rack)
{
    struct arena a = ARENA_INIT;
    struct mr_register_broker r;
    memset(&r, 0, sizeof(r));
    r.broker_id = 1;
    r.incarnation_id = uuid_n(1);
    r.rack = ks(NULL);
    struct metadata_record d;
    round_trip(MR_REGISTER_BROKER, 3, &r, &a, &d);
    ck_assert_ptr_null(d.u.register_broker.rack.s);
    ck_assert(!d.u.register_broker.fenced);
    arena_free(&a);
}
END_TEST

/* TopicRecord bytes: frame 1, key 2, version 0, compact name, uuid, no tags. */
START_TEST(topic_record_bytes)
{
    struct mr_topic t = {ks("ab"), uuid_n(0)};
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(MR_TOPIC, 0, &t, &w), 0);
    uint8_t want[3 + 3 + 16 + 1] = {1, 2, 0, 3, 'a', 'b'};
    for (int i = 0; i < 16; i++)
        want[6 + i] = (uint8_t)i;
    want[22] = 0;
    ck_assert_uint_eq(w.len, sizeof(want));
    ck_assert_mem_eq(w.data, want, sizeof(want));
    struct arena a = ARENA_INIT;
    struct metadata_record d;
    ck_assert_int_eq(metadata_record_decode(w.data, w.len, &a, &d), 0);
    ck_assert(kstr_eq(d.u.topic.name, "ab"));
    ck_assert(uuid_equal(&d.u.topic.topic_id, &t.topic_id));
    arena_free(&a);
    wbuf_free(&w);
}
END_TEST

START_TEST(partition_round_trip)
{
    for (int16_t v = 0; v <= 2; v++) {
        struct arena a = ARENA_INIT;
        int32_t reps[3] = {1, 2, 3}, isr[2] = {1, 3}, elr[1] = {2};
        struct uuid dirs[3] = {uuid_n(1), uuid_n(2), uuid_n(3)};
        struct mr_partition p;
        memset(&p, 0, sizeof(p));
        p.partition_id = 4;
        p.topic_id = uuid_n(9);
        p.replicas.n = 3;
        p.replicas.v = reps;
        p.isr.n = 2;
        p.isr.v = isr;
        p.leader = 3;
        p.leader_recovery_state = 1;
        p.leader_epoch = 12;
        p.partition_epoch = 34;
        p.directories.n = 3;
        p.directories.v = dirs;
        p.eligible_leader_replicas.n = 1;
        p.eligible_leader_replicas.v = elr;
        p.last_known_elr.n = -1;
        struct metadata_record d;
        round_trip(MR_PARTITION, v, &p, &a, &d);
        const struct mr_partition *o = &d.u.partition;
        ck_assert_int_eq(o->partition_id, 4);
        ck_assert(uuid_equal(&o->topic_id, &p.topic_id));
        ck_assert_int_eq(o->replicas.n, 3);
        ck_assert_int_eq(o->replicas.v[2], 3);
        ck_assert_int_eq(o->isr.n, 2);
        ck_assert_int_eq(o->isr.v[1], 3);
        ck_assert_int_eq(o->removing_replicas.n, 0);
        ck_assert_int_eq(o->leader, 3);
        ck_assert_int_eq(o->leader_recovery_state, 1);
        ck_assert_int_eq(o->leader_epoch, 12);
        ck_assert_int_eq(o->partition_epoch, 34);
        ck_assert_int_eq(o->directories.n, v >= 1 ? 3 : 0);
        ck_assert_int_eq(o->eligible_leader_replicas.n, v >= 2 ? 1 : 0);
        arena_free(&a);
    }
}
END_TEST

START_TEST(config_round_trip)
{
    struct arena a = ARENA_INIT;
    struct mr_config c = {MR_RESOURCE_TOPIC, ks("orders"), ks("retention.ms"), ks("1000")};
    struct metadata_record d;
    round_trip(MR_CONFIG, 0, &c, &a, &d);
    ck_assert_int_eq(d.u.config.resource_type, MR_RESOURCE_TOPIC);
    ck_assert(kstr_eq(d.u.config.resource_name, "orders"));
    ck_assert(kstr_eq(d.u.config.name, "retention.ms"));
    ck_assert(kstr_eq(d.u.config.value, "1000"));
    struct mr_config del = {MR_RESOURCE_BROKER, ks(""), ks("log.retention.ms"), ks(NULL)};
    round_trip(MR_CONFIG, 0, &del, &a, &d);
    ck_assert_int_eq(d.u.config.resource_type, MR_RESOURCE_BROKER);
    ck_assert(kstr_eq(d.u.config.resource_name, ""));
    ck_assert_ptr_null(d.u.config.value.s);
    arena_free(&a);
}
END_TEST

START_TEST(partition_change_defaults)
{
    struct arena a = ARENA_INIT;
    struct mr_partition_change pc;
    metadata_partition_change_init(&pc);
    pc.partition_id = 0;
    pc.topic_id = uuid_n(5);
    struct metadata_record d;
    /* Nothing changed: no tagged fields on the wire; they decode as "unchanged". */
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(MR_PARTITION_CHANGE, 0, &pc, &w), 0);
    ck_assert_uint_eq(w.len, 3 + 4 + 16 + 1);
    wbuf_free(&w);
    round_trip(MR_PARTITION_CHANGE, 0, &pc, &a, &d);
    ck_assert_int_eq(d.u.partition_change.leader, MR_NO_LEADER_CHANGE);
    ck_assert_int_eq(d.u.partition_change.leader_recovery_state, MR_LRS_NO_CHANGE);
    ck_assert_int_le(d.u.partition_change.isr.n, 0);
    ck_assert_int_le(d.u.partition_change.replicas.n, 0);
    /* Leader 0 and LRS 0 differ from the defaults and must survive. */
    int32_t isr[2] = {0, 2};
    pc.leader = 0;
    pc.leader_recovery_state = 0;
    pc.isr.n = 2;
    pc.isr.v = isr;
    round_trip(MR_PARTITION_CHANGE, 0, &pc, &a, &d);
    ck_assert_int_eq(d.u.partition_change.leader, 0);
    ck_assert_int_eq(d.u.partition_change.leader_recovery_state, 0);
    ck_assert_int_eq(d.u.partition_change.isr.n, 2);
    ck_assert_int_eq(d.u.partition_change.isr.v[1], 2);
    ck_assert_int_le(d.u.partition_change.replicas.n, 0);
    /* No leader (-1). */
    pc.leader = MR_NO_LEADER;
    round_trip(MR_PARTITION_CHANGE, 2, &pc, &a, &d);
    ck_assert_int_eq(d.u.partition_change.leader, MR_NO_LEADER);
    arena_free(&a);
}
END_TEST

START_TEST(small_records_round_trip)
{
    struct arena a = ARENA_INIT;
    struct metadata_record d;
    struct mr_broker_fencing f = {3, 77};
    round_trip(MR_FENCE_BROKER, 0, &f, &a, &d);
    ck_assert_int_eq(d.u.fence_broker.id, 3);
    ck_assert_int_eq(d.u.fence_broker.epoch, 77);
    round_trip(MR_UNFENCE_BROKER, 0, &f, &a, &d);
    ck_assert_int_eq(d.u.unfence_broker.id, 3);
    ck_assert_int_eq(d.u.unfence_broker.epoch, 77);
    struct mr_remove_topic rt = {uuid_n(40)};
    round_trip(MR_REMOVE_TOPIC, 0, &rt, &a, &d);
    ck_assert(uuid_equal(&d.u.remove_topic.topic_id, &rt.topic_id));
    struct mr_feature_level fl = {ks("metadata.version"), 25};
    round_trip(MR_FEATURE_LEVEL, 0, &fl, &a, &d);
    ck_assert(kstr_eq(d.u.feature_level.name, "metadata.version"));
    ck_assert_int_eq(d.u.feature_level.feature_level, 25);
    struct mr_producer_ids pid = {1, 42, 5000};
    round_trip(MR_PRODUCER_IDS, 0, &pid, &a, &d);
    ck_assert_int_eq(d.u.producer_ids.broker_id, 1);
    ck_assert_int_eq(d.u.producer_ids.broker_epoch, 42);
    ck_assert_int_eq(d.u.producer_ids.next_producer_id, 5000);
    struct mr_no_op no = {0};
    round_trip(MR_NO_OP, 0, &no, &a, &d);
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(MR_NO_OP, 0, &no, &w), 0);
    uint8_t want[4] = {1, 20, 0, 0};
    ck_assert_uint_eq(w.len, 4);
    ck_assert_mem_eq(w.data, want, 4);
    wbuf_free(&w);
    arena_free(&a);
}
END_TEST

START_TEST(registration_change_round_trip)
{
    struct arena a = ARENA_INIT;
    struct metadata_record d;
    /* v1 entering controlled shutdown: only tag 1 is written. */
    struct mr_broker_registration_change rc = {.broker_id = 3,
                                               .broker_epoch = 77,
                                               .fenced = MR_FENCING_NONE,
                                               .in_controlled_shutdown =
                                                   MR_CONTROLLED_SHUTDOWN_ENTER};
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_write_version(MR_BROKER_REGISTRATION_CHANGE), 1);
    ck_assert_int_eq(metadata_record_encode(MR_BROKER_REGISTRATION_CHANGE, 1, &rc, &w), 0);
    const uint8_t want[] = {1, 17, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 77, 1, 1, 1, 1};
    ck_assert_uint_eq(w.len, sizeof(want));
    ck_assert_mem_eq(w.data, want, sizeof(want));
    wbuf_free(&w);
    ck_assert_str_eq(metadata_record_name(MR_BROKER_REGISTRATION_CHANGE),
                     "BrokerRegistrationChangeRecord");
    round_trip(MR_BROKER_REGISTRATION_CHANGE, 1, &rc, &a, &d);
    ck_assert_int_eq(d.u.registration_change.broker_id, 3);
    ck_assert_int_eq(d.u.registration_change.broker_epoch, 77);
    ck_assert_int_eq(d.u.registration_change.fenced, MR_FENCING_NONE);
    ck_assert_int_eq(d.u.registration_change.in_controlled_shutdown, 1);
    /* v0 has no controlled-shutdown tag: an unfence only. */
    rc.fenced = MR_FENCING_UNFENCE;
    round_trip(MR_BROKER_REGISTRATION_CHANGE, 0, &rc, &a, &d);
    ck_assert_int_eq(d.u.registration_change.fenced, MR_FENCING_UNFENCE);
    ck_assert_int_eq(d.u.registration_change.in_controlled_shutdown, 0);
    /* v2 log directories. */
    struct uuid dirs[2] = {uuid_n(1), uuid_n(50)};
    rc.log_dirs.n = 2;
    rc.log_dirs.v = dirs;
    round_trip(MR_BROKER_REGISTRATION_CHANGE, 2, &rc, &a, &d);
    ck_assert_int_eq(d.u.registration_change.log_dirs.n, 2);
    ck_assert(uuid_equal(&d.u.registration_change.log_dirs.v[1], &dirs[1]));
    arena_free(&a);
}
END_TEST

START_TEST(encode_rejects_bad_arguments)
{
    struct wbuf w;
    wbuf_init(&w, 0);
    struct mr_topic t = {ks("x"), uuid_n(1)};
    ck_assert_int_eq(metadata_record_encode(99, 0, &t, &w), SL_EINVAL);
    ck_assert_int_eq(metadata_record_encode(MR_TOPIC, 1, &t, &w), SL_EINVAL);
    ck_assert_int_eq(metadata_record_encode(MR_TOPIC, -1, &t, &w), SL_EINVAL);
    struct mr_topic nul = {ks(NULL), uuid_n(1)};
    ck_assert_int_eq(metadata_record_encode(MR_TOPIC, 0, &nul, &w), SL_EINVAL);
    ck_assert_int_eq(metadata_record_write_version(MR_REGISTER_BROKER), 3);
    ck_assert_int_eq(metadata_record_write_version(99), -1);
    ck_assert_str_eq(metadata_record_name(MR_TOPIC), "TopicRecord");
    wbuf_free(&w);
}
END_TEST

START_TEST(decode_rejects_malformed)
{
    struct arena a = ARENA_INIT;
    struct metadata_record d;
    uint8_t bad_frame[] = {2, 2, 0, 2, 'a', 0};
    ck_assert_int_eq(metadata_record_decode(bad_frame, sizeof(bad_frame), &a, &d), SL_EUNSUPPORTED);
    uint8_t bad_type[] = {1, 99, 0, 0};
    ck_assert_int_eq(metadata_record_decode(bad_type, sizeof(bad_type), &a, &d), SL_EUNSUPPORTED);
    uint8_t bad_version[] = {1, 2, 5, 0};
    ck_assert_int_eq(metadata_record_decode(bad_version, sizeof(bad_version), &a, &d),
                     SL_EUNSUPPORTED);
    ck_assert_int_eq(metadata_record_decode(bad_frame, 0, &a, &d), SL_ECORRUPT);
    /* Unterminated varint. */
    uint8_t bad_varint[] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x80};
    ck_assert_int_eq(metadata_record_decode(bad_varint, sizeof(bad_varint), &a, &d), SL_ECORRUPT);
    /* A PartitionRecord claiming a huge replica array. */
    uint8_t huge[3 + 4 + 16 + 5] = {1, 3, 0};
    memset(huge + 23, 0xff, 4);
    huge[27] = 0x0f;
    ck_assert_int_eq(metadata_record_decode(huge, sizeof(huge), &a, &d), SL_ECORRUPT);

    /* A valid record: every truncation and a trailing byte are rejected. */
    struct mr_topic t = {ks("orders"), uuid_n(3)};
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(MR_TOPIC, 0, &t, &w), 0);
    for (size_t n = 0; n < w.len; n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, w.data, n);
        ck_assert_int_ne(metadata_record_decode(cut, n, &a, &d), 0);
        free(cut);
    }
    wbuf_u16(&w, 0);
    ck_assert_int_eq(metadata_record_decode(w.data, w.len, &a, &d), SL_ECORRUPT);
    wbuf_free(&w);
    arena_free(&a);
}
END_TEST

/* Byte flips over a RegisterBrokerRecord: decode may succeed or fail but never crashes. */
START_TEST(decode_survives_mutations)
{
    struct mr_broker_endpoint eps[1] = {{ks("PLAINTEXT"), ks("localhost"), 9092, 0}};
    struct mr_register_broker r;
    memset(&r, 0, sizeof(r));
    r.broker_id = 1;
    r.incarnation_id = uuid_n(1);
    r.end_points.n = 1;
    r.end_points.v = eps;
    r.rack = ks("r1");
    struct wbuf w;
    wbuf_init(&w, 0);
    ck_assert_int_eq(metadata_record_encode(MR_REGISTER_BROKER, 3, &r, &w), 0);
    int ok = 0, bad = 0;
    for (size_t i = 0; i < w.len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t *m = malloc(w.len);
            memcpy(m, w.data, w.len);
            m[i] ^= (uint8_t)(1u << bit);
            struct arena a = ARENA_INIT;
            struct metadata_record d;
            if (metadata_record_decode(m, w.len, &a, &d) == 0)
                ok++;
            else
                bad++;
            arena_free(&a);
            free(m);
        }
    }
    ck_assert_int_gt(bad, 0);
    ck_assert_int_gt(ok, 0);
    wbuf_free(&w);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metadata_records");
    TCase *tc = tcase_create("records");
    tcase_add_test(tc, register_broker_round_trip);
    tcase_add_test(tc, register_broker_null_rack);
    tcase_add_test(tc, topic_record_bytes);
    tcase_add_test(tc, partition_round_trip);
    tcase_add_test(tc, config_round_trip);
    tcase_add_test(tc, partition_change_defaults);
    tcase_add_test(tc, small_records_round_trip);
    tcase_add_test(tc, registration_change_round_trip);
    tcase_add_test(tc, encode_rejects_bad_arguments);
    tcase_add_test(tc, decode_rejects_malformed);
    tcase_add_test(tc, decode_survives_mutations);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
