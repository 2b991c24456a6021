/*
 * Hand-written wire vectors for the CONTROLLER listener's messages
 * (msg_controller.h): Vote request and response v1 (flexible, directory ids,
 * the tagged NodeEndpoints of KIP-853), BrokerHeartbeat request v0 and v1
 * (the tagged OfflineLogDirs) and response v0; plus the listener's API table
 * (api_controller.h): lookups, flexibility, the ApiVersions answer and whole
 * frames with the right header versions.  Each vector is spelled out byte by
 * byte from Kafka's message definitions, decoded, checked field by field,
 * re-encoded to the same bytes, and every truncation is rejected.
 */
#include "api_controller.h"
#include "frame.h"
#include "kafka.h"
#include "msg_vectors.h"

#define DIR_A                                                                                      \
    0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf
#define DIR_B                                                                                      \
    0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf
static const uint8_t dir_a[16] = {DIR_A};
static const uint8_t dir_b[16] = {DIR_B};

#define META_TOPIC                                                                                 \
    '_', '_', 'c', 'l', 'u', 's', 't', 'e', 'r', '_', 'm', 'e', 't', 'a', 'd', 'a', 't', 'a'

START_TEST(vote_req_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x04, 'a', 'b', 'c',              /* cluster_id (compact nullable) */
        B32(2),                           /* voter_id (v1+) */
        0x02,                             /* topics: 1 */
        0x13, META_TOPIC,                 /* topic_name */
        0x02,                             /* partitions: 1 */
        B32(0),                           /* partition_index */
        B32(5),                           /* replica_epoch */
        B32(1),                           /* replica_id */
        DIR_A,                            /* replica_directory_id (v1+) */
        DIR_B,                            /* voter_directory_id (v1+) */
        B32(4),                           /* last_offset_epoch */
        B64(100),                         /* last_offset */
        0x00,                             /* partition tagged fields */
        0x00,                             /* topic tagged fields */
        0x00,                             /* tagged fields */
    };
    /* clang-format on */
    struct vote_req *m = VECTOR(proto_vote_req_schema, 1, true, b);
    ck_kstr(m->cluster_id, "abc");
    ck_assert_int_eq(m->voter_id, 2);
    ck_assert_int_eq(m->topics.n, 1);
    ck_kstr(m->topics.v[0].topic_name, "__cluster_metadata");
    ck_assert_int_eq(m->topics.v[0].partitions.n, 1);
    struct vote_req_partition *p = &m->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->partition_index, 0);
    ck_assert_int_eq(p->replica_epoch, 5);
    ck_assert_int_eq(p->replica_id, 1);
    ck_assert_mem_eq(p->replica_directory_id.b, dir_a, 16);
    ck_assert_mem_eq(p->voter_directory_id.b, dir_b, 16);
    ck_assert_int_eq(p->last_offset_epoch, 4);
    ck_assert_int_eq(p->last_offset, 100);
    ck_assert(!p->pre_vote); /* v2+ */
}
END_TEST

START_TEST(vote_req_v0_defaults)
{
    /* clang-format off */
    static const uint8_t b[] = {
        0x00,                             /* cluster_id: null */
        0x02, 0x13, META_TOPIC,
        0x02, B32(0), B32(3), B32(2), B32(2), B64(7), 0x00,
        0x00,
        0x00,
    };
    /* clang-format on */
    struct vote_req *m = VECTOR(proto_vote_req_schema, 0, true, b);
    ck_kstr(m->cluster_id, NULL);
    ck_assert_int_eq(m->voter_id, -1); /* absent before v1: Kafka's default */
    struct vote_req_partition *p = &m->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->replica_epoch, 3);
    ck_assert_int_eq(p->replica_id, 2);
    ck_assert_int_eq(p->last_offset_epoch, 2);
    ck_assert_int_eq(p->last_offset, 7);
}
END_TEST

START_TEST(vote_resp_v1_node_endpoints)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B16(0),                           /* error_code */
        0x02,                             /* topics: 1 */
        0x13, META_TOPIC,
        0x02,                             /* partitions: 1 */
        B32(0), B16(0),                   /* partition_index, error_code */
        B32(-1), B32(5),                  /* leader_id, leader_epoch */
        0x01,                             /* vote_granted */
        0x00, 0x00,
        0x01,                             /* one tagged field */
        0x00, 0x0b,                       /* tag 0 (node_endpoints), 11 bytes */
        0x02,                             /* 1 endpoint */
        B32(1), 0x03, 'h', '1', B16(19093), 0x00,
    };
    /* clang-format on */
    struct vote_resp *m = VECTOR(proto_vote_resp_schema, 1, true, b);
    ck_assert_int_eq(m->error_code, 0);
    struct vote_resp_partition *p = &m->topics.v[0].partitions.v[0];
    ck_assert_int_eq(p->leader_id, -1);
    ck_assert_int_eq(p->leader_epoch, 5);
    ck_assert(p->vote_granted);
    ck_assert_int_eq(m->node_endpoints.n, 1);
    ck_assert_int_eq(m->node_endpoints.v[0].node_id, 1);
    ck_kstr(m->node_endpoints.v[0].host, "h1");
    ck_assert_uint_eq(m->node_endpoints.v[0].port, 19093);
    /* Version 0 has no node_endpoints: the tag is skipped as unknown, and not re-encoded. */
    struct arena a = ARENA_INIT;
    struct vote_resp v0;
    struct rbuf r;
    rbuf_init(&r, b, sizeof(b));
    ck_assert_int_eq(proto_decode(&proto_vote_resp_schema, 0, true, &r, &v0, &a), 0);
    ck_assert_uint_eq(rbuf_remaining(&r), 0);
    ck_assert_int_eq(v0.node_endpoints.n, 0);
    arena_free(&a);
}
END_TEST

START_TEST(broker_heartbeat_req_v1)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(2),                           /* broker_id */
        B64(42),                          /* broker_epoch */
        B64(1234),                        /* current_metadata_offset */
        0x00,                             /* want_fence */
        0x01,                             /* want_shut_down */
        0x01,                             /* one tagged field */
        0x00, 0x11,                       /* tag 0 (offline_log_dirs), 17 bytes */
        0x02, DIR_A,
    };
    /* clang-format on */
    struct broker_heartbeat_req *m = VECTOR(proto_broker_heartbeat_req_schema, 1, true, b);
    ck_assert_int_eq(m->broker_id, 2);
    ck_assert_int_eq(m->broker_epoch, 42);
    ck_assert_int_eq(m->current_metadata_offset, 1234);
    ck_assert(!m->want_fence);
    ck_assert(m->want_shut_down);
    ck_assert_int_eq(m->offline_log_dirs.n, 1);
    ck_assert_mem_eq(m->offline_log_dirs.v[0].b, dir_a, 16);
}
END_TEST

START_TEST(broker_heartbeat_req_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(7), B64(-1), B64(0), 0x01, 0x00,
        0x00,                             /* no tagged fields */
    };
    /* clang-format on */
    struct broker_heartbeat_req *m = VECTOR(proto_broker_heartbeat_req_schema, 0, true, b);
    ck_assert_int_eq(m->broker_id, 7);
    ck_assert_int_eq(m->broker_epoch, -1);
    ck_assert_int_eq(m->current_metadata_offset, 0);
    ck_assert(m->want_fence);
    ck_assert(!m->want_shut_down);
    ck_assert_int_eq(m->offline_log_dirs.n, 0);
}
END_TEST

START_TEST(broker_heartbeat_resp_v0)
{
    /* clang-format off */
    static const uint8_t b[] = {
        B32(0),                           /* throttle_time_ms */
        B16(0),                           /* error_code */
        0x01,                             /* is_caught_up */
        0x00,                             /* is_fenced */
        0x00,                             /* should_shut_down */
        0x00,
    };
    /* clang-format on */
    struct broker_heartbeat_resp *m = VECTOR(proto_broker_heartbeat_resp_schema, 0, true, b);
    ck_assert(m->is_caught_up);
    ck_assert(!m->is_fenced);
    ck_assert(!m->should_shut_down);
    /* Defaults Kafka documents: is_fenced true, broker_epoch -1 (BrokerRegistration). */
    struct broker_heartbeat_resp d;
    proto_init_defaults(&proto_broker_heartbeat_resp_schema, &d);
    ck_assert(d.is_fenced);
    ck_assert(!d.is_caught_up);
    struct broker_registration_resp rd;
    proto_init_defaults(&proto_broker_registration_resp_schema, &rd);
    ck_assert_int_eq(rd.broker_epoch, -1);
}
END_TEST

START_TEST(controller_api_table)
{
    ck_assert_uint_ge(proto_api_table_count(&proto_controller_apis), 10);
    int16_t last = -1;
    for (size_t i = 0; i < proto_api_table_count(&proto_controller_apis); i++) {
        const struct proto_api *api = proto_api_table_at(&proto_controller_apis, i);
        ck_assert_int_gt(api->key, last); /* ordered by key */
        last = api->key;
        ck_assert_ptr_eq(proto_api_table_find(&proto_controller_apis, api->key), api);
    }
    ck_assert_ptr_null(
        proto_api_table_at(&proto_controller_apis, proto_api_table_count(&proto_controller_apis)));
    ck_assert_ptr_null(proto_api_table_find(&proto_controller_apis, KAPI_PRODUCE));
    ck_assert_ptr_null(proto_api_table_find(&proto_controller_apis, -1));
    ck_assert_ptr_null(proto_api_table_find(&proto_controller_apis, 1000));
    /* Flexibility per Kafka's definitions. */
    ck_assert(proto_api_controller_is_flexible(KAPI_VOTE, 0));
    ck_assert(!proto_api_controller_is_flexible(KAPI_BEGIN_QUORUM_EPOCH, 0));
    ck_assert(proto_api_controller_is_flexible(KAPI_BEGIN_QUORUM_EPOCH, 1));
    ck_assert(!proto_api_controller_is_flexible(KAPI_END_QUORUM_EPOCH, 0));
    ck_assert(proto_api_controller_is_flexible(KAPI_FETCH, 12));
    ck_assert(!proto_api_controller_is_flexible(KAPI_VOTE, 3));
    ck_assert(!proto_api_controller_is_flexible(KAPI_METADATA, 9));
    ck_assert(proto_api_table_version_supported(&proto_controller_apis, KAPI_ALTER_PARTITION, 3));
    ck_assert(!proto_api_table_version_supported(&proto_controller_apis, KAPI_ALTER_PARTITION, 1));
    ck_assert(!proto_api_table_version_supported(&proto_controller_apis, KAPI_FETCH, 11));
    /* ControllerRegistration is not served, hence not advertised. */
    ck_assert(!proto_api_table_version_supported(&proto_controller_apis,
                                                 PROTO_API_CONTROLLER_REGISTRATION, 0));
    ck_assert(
        proto_api_table_version_supported(&proto_controller_apis, KAPI_BROKER_REGISTRATION, 4));
    /* ApiVersions lists every entry. */
    struct arena a = ARENA_INIT;
    struct api_versions_resp av;
    proto_api_table_versions_fill(&proto_controller_apis, &av, &a);
    ck_assert_int_eq(av.api_keys.n, (int32_t)proto_api_table_count(&proto_controller_apis));
    bool saw_heartbeat = false;
    for (int32_t i = 0; i < av.api_keys.n; i++)
        if (av.api_keys.v[i].api_key == KAPI_BROKER_HEARTBEAT) {
            saw_heartbeat = true;
            ck_assert_int_eq(av.api_keys.v[i].min_version, 0);
            ck_assert_int_eq(av.api_keys.v[i].max_version, 1);
        }
    ck_assert(saw_heartbeat);
    ck_assert_int_eq(av.finalized_features_epoch, -1);
    arena_free(&a);
}
END_TEST

START_TEST(controller_frames)
{
    /* A BeginQuorumEpoch v0 request: header v1 (not flexible), read back with this table. */
    struct begin_quorum_epoch_req req;
    proto_init_defaults(&proto_begin_quorum_epoch_req_schema, &req);
    struct proto_req_header h = {.api_key = KAPI_BEGIN_QUORUM_EPOCH,
                                 .api_version = 0,
                                 .correlation_id = 9,
                                 .client_id = {"n1", 2}};
    struct proto_out o;
    proto_out_init(&o);
    ck_assert_int_eq(proto_api_controller_req_frame_encode(&o, &h, &req), 0);
    /* clang-format off */
    static const uint8_t want_req[] = {
        B32(18),                          /* size */
        B16(53), B16(0), B32(9),          /* api_key, api_version, correlation_id */
        B16(2), 'n', '1',                 /* client_id */
        B16(-1),                          /* cluster_id: null */
        B32(0),                           /* topics: empty */
    };
    /* clang-format on */
    ck_assert_uint_eq(o.w.len, sizeof(want_req));
    ck_assert_mem_eq(o.w.data, want_req, sizeof(want_req));
    struct arena a = ARENA_INIT;
    struct rbuf r;
    rbuf_init(&r, o.w.data + 4, o.w.len - 4);
    struct proto_req_header got;
    ck_assert_int_eq(proto_req_header_decode_ex(&r, &got, &a, proto_api_controller_is_flexible), 0);
    ck_assert_int_eq(got.api_key, KAPI_BEGIN_QUORUM_EPOCH);
    ck_assert_int_eq(got.correlation_id, 9);
    ck_assert_uint_eq(rbuf_remaining(&r), 6);
    proto_out_free(&o);

    /* A BrokerHeartbeat v1 response: response header v1 (correlation id + empty tags). */
    struct broker_heartbeat_resp resp = {.is_caught_up = true};
    proto_out_init(&o);
    ck_assert_int_eq(
        proto_api_controller_resp_frame_encode(&o, KAPI_BROKER_HEARTBEAT, 1, 77, &resp), 0);
    /* clang-format off */
    static const uint8_t want_resp[] = {
        B32(15), B32(77), 0x00,           /* size, correlation_id, header tags */
        B32(0), B16(0), 0x01, 0x00, 0x00, 0x00,
    };
    /* clang-format on */
    ck_assert_uint_eq(o.w.len, sizeof(want_resp));
    ck_assert_mem_eq(o.w.data, want_resp, sizeof(want_resp));
    proto_out_free(&o);

    /* ApiVersions v3 answers keep response header v0 (KIP-511). */
    struct api_versions_resp av;
    proto_api_table_versions_fill(&proto_controller_apis, &av, &a);
    proto_out_init(&o);
    ck_assert_int_eq(proto_api_controller_resp_frame_encode(&o, KAPI_API_VERSIONS, 3, 5, &av), 0);
    struct proto_out body;
    proto_out_init(&body);
    ck_assert_int_eq(proto_encode(&proto_api_versions_resp_schema, 3, true, &av, &body), 0);
    ck_assert_uint_eq(o.w.len, 4 + 4 + body.w.len); /* size, correlation id, no header tags */
    ck_assert_int_eq(o.w.data[7], 5);
    ck_assert_mem_eq(o.w.data + 8, body.w.data, body.w.len);
    proto_out_free(&body);
    proto_out_free(&o);

    /* Keys and versions this listener does not serve are refused, o untouched. */
    proto_out_init(&o);
    ck_assert_int_eq(proto_api_controller_resp_frame_encode(&o, KAPI_PRODUCE, 9, 1, &resp),
                     SL_EINVAL);
    ck_assert_int_eq(proto_api_controller_resp_frame_encode(&o, KAPI_BROKER_HEARTBEAT, 2, 1, &resp),
                     SL_EINVAL);
    ck_assert_uint_eq(o.w.len, 0);
    proto_out_free(&o);
    arena_free(&a);
}
END_TEST

static Suite *msg_vectors_controller_suite(void)
{
    Suite *s = suite_create("msg_vectors_controller");
    TCase *tc = tcase_create("vectors");
    tcase_add_checked_fixture(tc, NULL, teardown);
    tcase_add_test(tc, vote_req_v1);
    tcase_add_test(tc, vote_req_v0_defaults);
    tcase_add_test(tc, vote_resp_v1_node_endpoints);
    tcase_add_test(tc, broker_heartbeat_req_v1);
    tcase_add_test(tc, broker_heartbeat_req_v0);
    tcase_add_test(tc, broker_heartbeat_resp_v0);
    tcase_add_test(tc, controller_api_table);
    tcase_add_test(tc, controller_frames);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(msg_vectors_controller_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
